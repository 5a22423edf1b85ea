//! Integration tests: round trips, deduplication, tampering, keys, files.

use std::sync::Arc;

use blobstore::{BlobError, BlobStore, HEADER_LEN, MasterKey, SealedBlob, TAG_LEN};
use object_store::memory::InMemory;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use proptest::prelude::*;

const KIB64: usize = 64 * 1024;
const SIZES: [usize; 6] = [0, 1, KIB64 - 1, KIB64, KIB64 + 1, 1024 * 1024 + 3];

/// Deterministic, non-repeating-looking test content.
fn content(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x.to_le_bytes()[0]
        })
        .collect()
}

fn memory_store() -> (Arc<InMemory>, BlobStore) {
    let mem = Arc::new(InMemory::new());
    let store = BlobStore::new(mem.clone(), MasterKey::generate());
    (mem, store)
}

async fn raw(mem: &InMemory, sha256: &str) -> Vec<u8> {
    let path = BlobStore::object_path(sha256).unwrap();
    mem.get(&path)
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
        .to_vec()
}

async fn overwrite(mem: &InMemory, sha256: &str, body: Vec<u8>) {
    let path = BlobStore::object_path(sha256).unwrap();
    mem.put(&path, PutPayload::from(body)).await.unwrap();
}

/// Asserts `get` and `verify` both fail with `Integrity` for this blob; returns the reason.
async fn expect_integrity(store: &BlobStore, blob: &SealedBlob) -> String {
    let err = store.verify(blob).await.unwrap_err();
    assert!(
        matches!(&err, BlobError::Integrity { sha256, .. } if *sha256 == blob.sha256),
        "verify: expected Integrity, got {err:?}"
    );
    match store.get(blob).await {
        Err(BlobError::Integrity { reason, .. }) => reason,
        other => panic!("get: expected Integrity, got {other:?}"),
    }
}

async fn round_trip(store: &BlobStore) {
    for (i, &len) in SIZES.iter().enumerate() {
        let data = content(len, i as u64 + 1);
        let sealed = store.put(&data).await.unwrap();
        assert_eq!(sealed.sha256, BlobStore::digest(&data), "len {len}");
        assert_eq!(sealed.size, len as u64);
        assert_eq!(sealed.key_id, store.key_id());
        assert_eq!(sealed.wrapped_key.len(), 72);
        assert!(store.exists(&sealed.sha256).await.unwrap());
        assert_eq!(store.get(&sealed).await.unwrap(), data, "len {len}");
        store.verify(&sealed).await.unwrap();
    }
    assert_eq!(store.list().await.unwrap().len(), SIZES.len());
}

#[tokio::test]
async fn round_trip_in_memory() {
    round_trip(&BlobStore::in_memory(MasterKey::generate())).await;
}

#[tokio::test]
async fn round_trip_local_filesystem() {
    let dir = tempfile::tempdir().unwrap();
    let store = BlobStore::local(dir.path(), MasterKey::generate()).unwrap();
    round_trip(&store).await;

    // Stored where documented, and encrypted at rest.
    let data = b"PRIVILEGED AND CONFIDENTIAL attorney work product ".repeat(100);
    let sealed = store.put(&data).await.unwrap();
    let s = &sealed.sha256;
    let file = dir
        .path()
        .join("blobs")
        .join(&s[..2])
        .join(&s[2..4])
        .join(s);
    let on_disk = std::fs::read(file).unwrap();
    assert_eq!(&on_disk[..4], b"LXB1");
    assert_eq!(on_disk.len(), HEADER_LEN + data.len() + TAG_LEN);
    assert!(!on_disk.windows(12).any(|w| w == b"PRIVILEGED A"));
}

#[tokio::test]
async fn local_creates_missing_directory_and_reports_unusable_one() {
    let dir = tempfile::tempdir().unwrap();
    let nested = dir.path().join("a").join("b");
    let store = BlobStore::local(&nested, MasterKey::generate()).unwrap();
    store.put(b"x").await.unwrap();
    assert!(nested.is_dir());
    // Probe file removed again.
    assert_eq!(std::fs::read_dir(&nested).unwrap().count(), 1);

    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, b"").unwrap();
    let err = BlobStore::local(&file, MasterKey::generate()).unwrap_err();
    assert!(matches!(err, BlobError::Io(_)), "{err:?}");
    assert!(err.to_string().contains("not-a-dir"), "{err}");
}

#[tokio::test]
async fn same_content_twice_same_digest_and_never_overwritten() {
    let (mem, store) = memory_store();
    let data = content(100_000, 7);
    let first = store.put(&data).await.unwrap();
    let stored = raw(&mem, &first.sha256).await;

    match store.put(&data).await {
        Err(BlobError::AlreadyExists { sha256 }) => assert_eq!(sha256, first.sha256),
        other => panic!("expected AlreadyExists, got {other:?}"),
    }
    // The original object (and so the first SealedBlob) is intact.
    assert_eq!(raw(&mem, &first.sha256).await, stored);
    assert_eq!(store.get(&first).await.unwrap(), data);

    // Another store: same digest, different data key.
    let other = BlobStore::in_memory(MasterKey::generate());
    let second = other.put(&data).await.unwrap();
    assert_eq!(second.sha256, first.sha256);
    assert_ne!(second.wrapped_key, first.wrapped_key);

    // An orphan can be replaced after deleting it.
    store.delete(&first.sha256).await.unwrap();
    let again = store.put(&data).await.unwrap();
    assert_eq!(store.get(&again).await.unwrap(), data);
}

#[tokio::test]
async fn flipping_any_byte_is_detected() {
    let (mem, store) = memory_store();
    let store = store.with_chunk_size(1000);
    let data = content(2500, 3);
    let sealed = store.put(&data).await.unwrap();
    let body = raw(&mem, &sealed.sha256).await;
    // magic, chunk size, nonce prefix, chunk 0 body, chunk 1 tag, last chunk body, last tag
    for pos in [
        0,
        5,
        10,
        HEADER_LEN + 3,
        HEADER_LEN + 1010,
        body.len() - 100,
        body.len() - 1,
    ] {
        let mut tampered = body.clone();
        tampered[pos] ^= 0x01;
        overwrite(&mem, &sealed.sha256, tampered).await;
        let reason = expect_integrity(&store, &sealed).await;
        assert!(!reason.is_empty(), "pos {pos}");
    }
    overwrite(&mem, &sealed.sha256, body).await;
    assert_eq!(store.get(&sealed).await.unwrap(), data);
}

#[tokio::test]
async fn reordering_truncating_dropping_or_appending_chunks_is_detected() {
    let (mem, store) = memory_store();
    let cs = KIB64;
    let full = cs + TAG_LEN;
    let data = content(3 * cs + 500, 5); // chunks: full, full, full, 500 bytes
    let sealed = store.put(&data).await.unwrap();
    let body = raw(&mem, &sealed.sha256).await;
    assert_eq!(body.len(), HEADER_LEN + 3 * full + 500 + TAG_LEN);
    let chunk = |i: usize| HEADER_LEN + i * full..HEADER_LEN + (i + 1) * full;

    // Swap chunks 0 and 1.
    let mut swapped = body.clone();
    swapped[chunk(0)].copy_from_slice(&body[chunk(1)]);
    swapped[chunk(1)].copy_from_slice(&body[chunk(0)]);
    // Truncate the last chunk by one byte, and by most of it.
    let truncated = body[..body.len() - 1].to_vec();
    let truncated_more = body[..body.len() - 400].to_vec();
    // Drop the last chunk entirely, and the last two chunks.
    let dropped = body[..chunk(2).end].to_vec();
    let dropped_two = body[..chunk(1).end].to_vec();
    // Duplicate a chunk; append garbage; header only.
    let mut duplicated = body[..chunk(1).end].to_vec();
    duplicated.extend_from_slice(&body[chunk(1)]);
    duplicated.extend_from_slice(&body[chunk(2).end..]);
    let mut appended = body.clone();
    appended.extend_from_slice(&[0u8; 40]);
    let header_only = body[..HEADER_LEN].to_vec();
    let short_header = body[..10].to_vec();

    for (name, tampered) in [
        ("swapped", swapped),
        ("truncated", truncated),
        ("truncated_more", truncated_more),
        ("dropped", dropped),
        ("dropped_two", dropped_two),
        ("duplicated", duplicated),
        ("appended", appended),
        ("header_only", header_only),
        ("short_header", short_header),
    ] {
        overwrite(&mem, &sealed.sha256, tampered).await;
        let reason = expect_integrity(&store, &sealed).await;
        // Caught by the STREAM checks, not only by the final digest comparison.
        assert!(
            reason.contains("chunk") || reason.contains("header"),
            "{name}: {reason}"
        );
    }
}

#[tokio::test]
async fn dropping_last_chunk_of_exact_multiple_is_detected() {
    let (mem, store) = memory_store();
    let store = store.with_chunk_size(100);
    let data = content(300, 9); // three full chunks, the third flagged last
    let sealed = store.put(&data).await.unwrap();
    let body = raw(&mem, &sealed.sha256).await;
    assert_eq!(body.len(), HEADER_LEN + 3 * (100 + TAG_LEN));
    overwrite(&mem, &sealed.sha256, body[..HEADER_LEN + 2 * 116].to_vec()).await;
    let reason = expect_integrity(&store, &sealed).await;
    assert!(reason.contains("chunk 1"), "{reason}");
}

#[tokio::test]
async fn object_of_other_content_is_detected() {
    // Replace blob A's object by blob B's object: the data key of A does not open it.
    let (mem, store) = memory_store();
    let a = store.put(b"invoice A").await.unwrap();
    let b = store.put(b"invoice B").await.unwrap();
    overwrite(&mem, &a.sha256, raw(&mem, &b.sha256).await).await;
    expect_integrity(&store, &a).await;
}

#[tokio::test]
async fn wrong_master_key_is_reported() {
    let mem: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
    let right = MasterKey::generate();
    let store = BlobStore::new(mem.clone(), right.clone());
    let sealed = store.put(b"settlement agreement").await.unwrap();

    let wrong = BlobStore::new(mem, MasterKey::generate());
    for err in [
        wrong.get(&sealed).await.unwrap_err(),
        wrong.verify(&sealed).await.unwrap_err(),
        wrong.rewrap(&sealed, &right).await.unwrap_err(),
    ] {
        match &err {
            BlobError::WrongMasterKey { key_id } => assert_eq!(*key_id, right.key_id()),
            other => panic!("expected WrongMasterKey, got {other:?}"),
        }
        assert!(err.to_string().contains(&right.key_id()), "{err}");
        assert!(err.to_string().contains("master key"), "{err}");
    }
}

#[tokio::test]
async fn wrapped_key_of_another_blob_is_rejected() {
    let (_mem, store) = memory_store();
    let a = store.put(b"document A").await.unwrap();
    let b = store.put(b"document B").await.unwrap();
    let forged = SealedBlob {
        wrapped_key: b.wrapped_key.clone(),
        ..a.clone()
    };
    let reason = expect_integrity(&store, &forged).await;
    assert!(reason.contains("wrapped data key"), "{reason}");

    // Altered wrapped key, wrong recorded size, and wrong length are rejected too.
    let mut altered = a.clone();
    altered.wrapped_key[30] ^= 1;
    expect_integrity(&store, &altered).await;
    let mut short = a.clone();
    short.wrapped_key.truncate(40);
    expect_integrity(&store, &short).await;
    let mut resized = a.clone();
    resized.size += 1;
    let reason = expect_integrity(&store, &resized).await;
    assert!(reason.contains("size"), "{reason}");
    resized.size -= 2;
    expect_integrity(&store, &resized).await;
    assert_eq!(store.get(&a).await.unwrap(), b"document A");
}

#[tokio::test]
async fn missing_invalid_delete_exists_and_list() {
    let (mem, store) = memory_store();
    let a = store.put(b"alpha").await.unwrap();
    let b = store.put(b"beta").await.unwrap();
    let c = store.put(b"").await.unwrap();
    assert_eq!(
        c.sha256,
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    // Objects outside the blob layout are not listed.
    mem.put(&"staging/abc".into(), PutPayload::from_static(b"x"))
        .await
        .unwrap();
    mem.put(
        &"blobs/zz/not-a-digest".into(),
        PutPayload::from_static(b"x"),
    )
    .await
    .unwrap();
    let mut expected = vec![a.sha256.clone(), b.sha256.clone(), c.sha256.clone()];
    expected.sort();
    assert_eq!(store.list().await.unwrap(), expected);

    store.delete(&a.sha256).await.unwrap();
    store.delete(&a.sha256).await.unwrap(); // idempotent
    assert!(!store.exists(&a.sha256).await.unwrap());
    assert!(matches!(
        store.get(&a).await,
        Err(BlobError::NotFound { sha256 }) if sha256 == a.sha256
    ));
    assert!(matches!(
        store.verify(&a).await,
        Err(BlobError::NotFound { .. })
    ));
    assert_eq!(store.list().await.unwrap().len(), 2);

    for bad in [
        "",
        "../../etc/passwd",
        &a.sha256.to_uppercase(),
        &a.sha256[1..],
    ] {
        assert!(matches!(
            store.exists(bad).await,
            Err(BlobError::InvalidDigest(_))
        ));
        assert!(matches!(
            store.delete(bad).await,
            Err(BlobError::InvalidDigest(_))
        ));
    }
}

#[test]
fn master_key_hex_id_check_value_and_debug() {
    let key = MasterKey::from_bytes([0; 32]);
    assert_eq!(key.key_id(), "bb349337256d95b4");
    assert_eq!(key.to_hex(), "0".repeat(64));

    let key = MasterKey::generate();
    let hex = key.to_hex();
    assert_eq!(hex.len(), 64);
    let parsed = MasterKey::from_hex(&format!("  {hex}\n")).unwrap();
    assert_eq!(parsed.to_hex(), hex);
    assert_eq!(
        MasterKey::from_hex(&hex.to_uppercase()).unwrap().to_hex(),
        hex
    );
    assert_eq!(key.key_id().len(), 16);
    assert_ne!(key.key_id(), MasterKey::generate().key_id());

    let debug = format!("{key:?}");
    assert!(!debug.contains(&hex), "{debug}");
    assert!(!debug.contains(&hex[..16]), "{debug}");
    assert_eq!(debug, format!("MasterKey(<redacted>, id={})", key.key_id()));

    for bad in [
        &hex[..63],
        "",
        &format!("{hex}0"),
        &format!("{}zz", &hex[..62]),
    ] {
        let err = MasterKey::from_hex(bad).unwrap_err();
        assert!(matches!(err, BlobError::InvalidKey(_)), "{err:?}");
        assert!(err.to_string().starts_with("invalid master key: "), "{err}");
        if bad.len() > 8 {
            assert!(!err.to_string().contains(&bad[..8]), "echoes input: {err}");
        }
    }

    let check = key.check_value();
    assert!(key.verify_check_value(&check));
    assert!(parsed.verify_check_value(&check));
    assert_ne!(key.check_value(), check); // random nonce
    assert!(!MasterKey::generate().verify_check_value(&check));
    let mut altered = check.clone();
    altered[30] ^= 1;
    assert!(!key.verify_check_value(&altered));
    assert!(!key.verify_check_value(&check[..20]));
    assert!(!key.verify_check_value(&[]));
}

#[tokio::test]
async fn rewrap_rotates_without_touching_bytes() {
    let mem = Arc::new(InMemory::new());
    let old = BlobStore::new(mem.clone(), MasterKey::generate());
    let data = content(200_000, 11);
    let sealed = old.put(&data).await.unwrap();
    let before = raw(&mem, &sealed.sha256).await;

    let new_key = MasterKey::generate();
    let rotated = old.rewrap(&sealed, &new_key).await.unwrap();
    assert_eq!(rotated.sha256, sealed.sha256);
    assert_eq!(rotated.size, sealed.size);
    assert_eq!(rotated.key_id, new_key.key_id());
    assert_ne!(rotated.wrapped_key, sealed.wrapped_key);
    assert_eq!(raw(&mem, &sealed.sha256).await, before);

    let new = BlobStore::new(mem, new_key);
    assert_eq!(new.get(&rotated).await.unwrap(), data);
    assert!(matches!(
        new.get(&sealed).await,
        Err(BlobError::WrongMasterKey { .. })
    ));
    // A rewrapped key stays bound to its content.
    let other = new.put(b"other").await.unwrap();
    let forged = SealedBlob {
        wrapped_key: rotated.wrapped_key.clone(),
        ..other
    };
    expect_integrity(&new, &forged).await;
}

#[tokio::test]
async fn chunk_size_is_read_from_the_header() {
    let mem = Arc::new(InMemory::new());
    let key = MasterKey::generate();
    let writer = BlobStore::new(mem.clone(), key.clone()).with_chunk_size(7);
    let data = content(1000, 13);
    let sealed = writer.put(&data).await.unwrap();
    assert_eq!(
        raw(&mem, &sealed.sha256).await.len(),
        HEADER_LEN + 1000 + 143 * TAG_LEN
    );
    let reader = BlobStore::new(mem, key);
    assert_eq!(reader.get(&sealed).await.unwrap(), data);
}

async fn put_file_matches_put(store_for_file: BlobStore, dir: &std::path::Path) {
    let data = content(3 * 1024 * 1024, 17);
    let path = dir.join("exhibit.pdf");
    std::fs::write(&path, &data).unwrap();

    let reference = BlobStore::in_memory(MasterKey::generate())
        .put(&data)
        .await
        .unwrap();
    let from_file = store_for_file.put_file(&path).await.unwrap();
    assert_eq!(from_file.sha256, reference.sha256);
    assert_eq!(from_file.size, reference.size);
    assert_eq!(store_for_file.get(&from_file).await.unwrap(), data);
    // No staging leftovers are listed, and the blob is.
    assert_eq!(
        store_for_file.list().await.unwrap(),
        vec![from_file.sha256.clone()]
    );
    // Already stored: reported without overwriting.
    assert!(matches!(
        store_for_file.put_file(&path).await,
        Err(BlobError::AlreadyExists { .. })
    ));
    assert!(matches!(
        store_for_file.put(&data).await,
        Err(BlobError::AlreadyExists { .. })
    ));
    assert_eq!(store_for_file.get(&from_file).await.unwrap(), data);
}

#[tokio::test]
async fn put_file_in_memory_matches_put() {
    let dir = tempfile::tempdir().unwrap();
    put_file_matches_put(BlobStore::in_memory(MasterKey::generate()), dir.path()).await;
}

#[tokio::test]
async fn put_file_local_matches_put() {
    let dir = tempfile::tempdir().unwrap();
    let store = BlobStore::local(&dir.path().join("store"), MasterKey::generate()).unwrap();
    put_file_matches_put(store.clone(), dir.path()).await;
    // The staging area is empty after the rename.
    let staging = dir.path().join("store").join("staging");
    if staging.exists() {
        assert_eq!(std::fs::read_dir(staging).unwrap().count(), 0);
    }
}

#[tokio::test]
async fn put_file_edge_cases() {
    let dir = tempfile::tempdir().unwrap();
    let store = BlobStore::in_memory(MasterKey::generate()).with_chunk_size(100);
    for (i, len) in [0usize, 1, 99, 100, 101, 1000].into_iter().enumerate() {
        let data = content(len, 100 + i as u64);
        let path = dir.path().join(format!("f{len}"));
        std::fs::write(&path, &data).unwrap();
        let sealed = store.put_file(&path).await.unwrap();
        assert_eq!(sealed.sha256, BlobStore::digest(&data), "len {len}");
        assert_eq!(store.get(&sealed).await.unwrap(), data, "len {len}");
    }
    let missing = dir.path().join("missing.pdf");
    let err = store.put_file(&missing).await.unwrap_err();
    assert!(matches!(err, BlobError::Io(_)), "{err:?}");
    assert!(err.to_string().contains("missing.pdf"), "{err}");
}

#[test]
fn store_and_its_futures_are_send_sync() {
    fn send_sync_clone<T: Send + Sync + Clone + 'static>() {}
    fn send<T: Send>(_: &T) {}
    send_sync_clone::<BlobStore>();
    let store = BlobStore::in_memory(MasterKey::generate());
    let blob = SealedBlob {
        sha256: "0".repeat(64),
        size: 0,
        wrapped_key: vec![],
        key_id: String::new(),
    };
    send(&store.put(b""));
    send(&store.put_file(std::path::Path::new("x")));
    send(&store.get(&blob));
    send(&store.verify(&blob));
    send(&store.list());
    send(&store.rewrap(&blob, &MasterKey::generate()));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn prop_round_trip(data in proptest::collection::vec(any::<u8>(), 0..3000), chunk_size in 1usize..400) {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        runtime.block_on(async {
            let store = BlobStore::in_memory(MasterKey::generate()).with_chunk_size(chunk_size);
            let sealed = store.put(&data).await.unwrap();
            prop_assert_eq!(&sealed.sha256, &BlobStore::digest(&data));
            prop_assert_eq!(sealed.size, data.len() as u64);
            prop_assert_eq!(store.get(&sealed).await.unwrap(), data);
            Ok(())
        })?;
    }
}
