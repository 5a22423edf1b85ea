//! The document store of lexops: content-addressed, envelope-encrypted at rest,
//! integrity-verified on every read.
//!
//! * **Content addressing.** A blob is named by the lowercase hex SHA-256 of its
//!   *plaintext* and stored at `blobs/<aa>/<bb>/<sha256>` (`aa`, `bb` = first two
//!   and next two hex characters of the digest).
//! * **Envelope encryption.** Every object gets a fresh random 256-bit *data key*.
//!   The data key is *wrapped* by the [`MasterKey`] (kept outside the database) and
//!   returned to the caller in a [`SealedBlob`], which the caller stores in its
//!   database. The storage backend never sees the data key or the master key.
//! * **Verification.** [`BlobStore::get`] and [`BlobStore::verify`] unwrap the data
//!   key, authenticate every chunk and recompute the SHA-256 of the plaintext. Any
//!   mismatch yields [`BlobError::Integrity`] and no bytes at all.
//! * **Crypto-shredding.** Destroying the caller's copy of
//!   [`SealedBlob::wrapped_key`] and calling [`BlobStore::delete`] makes the content
//!   unrecoverable, even from backups of the object storage (the wrapped key is
//!   *not* stored in the object).
//!
//! Storage goes through [`object_store`], so an S3-compatible backend can be
//! plugged in with [`BlobStore::new`] without touching callers. The async methods
//! must run inside a Tokio runtime (the filesystem backend and multipart uploads
//! use it).
//!
//! # Object format (version `LXB1`)
//!
//! ```text
//! header (24 bytes) = "LXB1" || chunk_size (u32, big-endian) || nonce_prefix (16 random bytes)
//! body              = header || chunk_0 || chunk_1 || ... || chunk_last
//! chunk_i           = XChaCha20-Poly1305(data_key, nonce_i, aad = header, plaintext_i)
//!                     (ciphertext || 16-byte tag)
//! nonce_i (24 bytes) = nonce_prefix (16) || i (u32, big-endian) || last (1 byte: 0 or 1) || 0 0 0
//! ```
//!
//! The plaintext is split into chunks of `chunk_size` bytes (64 KiB by default);
//! only the final chunk may be shorter, and it may also be exactly `chunk_size`
//! bytes long. An empty plaintext is a single empty final chunk (just a tag). This
//! is the STREAM construction (Hoang, Reyhanitabar, Rogaway, Vizár 2015): the chunk
//! counter and the last-chunk flag are part of each nonce, so chunks cannot be
//! reordered, duplicated, dropped, truncated or extended without failing
//! authentication. The header is authenticated as associated data of every chunk,
//! so the chunk size and nonce prefix cannot be altered either. Readers take the
//! chunk size from the header, so objects written with any chunk size stay readable.
//!
//! # Key wrapping
//!
//! ```text
//! wrapped_key = nonce (24 random bytes) || XChaCha20-Poly1305(master_key, nonce,
//!                                              aad = hex SHA-256 of the plaintext, data_key)
//! ```
//!
//! The associated data binds the data key to the content: a wrapped key copied
//! from another blob does not unwrap. [`SealedBlob::key_id`] records which master
//! key wrapped it ([`MasterKey::key_id`]) so that a wrong master key is reported as
//! [`BlobError::WrongMasterKey`]. [`BlobStore::rewrap`] rotates the master key
//! without touching the stored bytes.
//!
//! # Duplicates
//!
//! Because each object has its own random data key, an object must never be
//! silently replaced: earlier [`SealedBlob`]s for it would stop decrypting.
//! [`BlobStore::put`] therefore creates objects with a conditional (create-only)
//! write and returns [`BlobError::AlreadyExists`] when the content is already
//! stored. Callers deduplicate through their database (look up the recorded
//! [`SealedBlob`] for [`BlobStore::digest`] first); an object with no recorded
//! `SealedBlob` is an orphan that can be [deleted](BlobStore::delete) and put again.
//!
//! # Example
//!
//! ```
//! use blobstore::{BlobError, BlobStore, MasterKey};
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! // At installation: generate the master key, keep its hex outside the database,
//! // store its check value (and key id) in the database.
//! let master = MasterKey::generate();
//! let check = master.check_value();
//!
//! // At start-up: refuse to run with a wrong master key.
//! let master = MasterKey::from_hex(&master.to_hex())?;
//! assert!(master.verify_check_value(&check));
//!
//! let store = BlobStore::in_memory(master); // or BlobStore::local(dir, master)?
//! let sealed = store.put(b"engagement letter").await?; // record `sealed` in the database
//! assert_eq!(sealed.sha256, BlobStore::digest(b"engagement letter"));
//! assert_eq!(store.get(&sealed).await?, b"engagement letter");
//! store.verify(&sealed).await?;
//!
//! // Storing the same content again is reported, not silently overwritten.
//! assert!(matches!(store.put(b"engagement letter").await, Err(BlobError::AlreadyExists { .. })));
//!
//! assert_eq!(store.list().await?, vec![sealed.sha256.clone()]);
//! store.delete(&sealed.sha256).await?; // plus: destroy `sealed.wrapped_key` in the database
//! assert!(!store.exists(&sealed.sha256).await?);
//! # Ok::<(), BlobError>(())
//! # }).unwrap();
//! ```

#![warn(missing_docs)]

use std::fmt;
use std::io;
use std::path::Path as FsPath;
use std::sync::Arc;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use futures_util::StreamExt;
use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload, WriteMultipart};
use sha2::{Digest, Sha256};
use tokio::io::AsyncReadExt;

/// Default plaintext chunk size: 64 KiB.
pub const DEFAULT_CHUNK_SIZE: usize = 64 * 1024;
/// Largest chunk size accepted when writing or reading: 16 MiB.
pub const MAX_CHUNK_SIZE: usize = 16 * 1024 * 1024;
/// Length in bytes of the object header (`LXB1`, chunk size, nonce prefix).
pub const HEADER_LEN: usize = 24;
/// Length in bytes of the authentication tag appended to every chunk.
pub const TAG_LEN: usize = 16;

const MAGIC: &[u8; 4] = b"LXB1";
const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 24;
const PREFIX_LEN: usize = 16;
const WRAPPED_KEY_LEN: usize = NONCE_LEN + KEY_LEN + TAG_LEN;
const KEY_ID_DOMAIN: &[u8] = b"lexops-key-id";
const CHECK_PLAINTEXT: &[u8] = b"lexops master key check value v1";
const CHECK_AAD: &[u8] = b"lexops-check-value";
/// Part size for multipart uploads (S3 requires at least 5 MiB except for the last part).
const UPLOAD_PART_SIZE: usize = 5 * 1024 * 1024;
/// Multipart parts allowed in flight before `put_file` waits.
const UPLOAD_PARTS_IN_FLIGHT: usize = 2;
/// Read buffer for hashing a file.
const HASH_BUF_SIZE: usize = 256 * 1024;

/// Errors returned by [`BlobStore`] and [`MasterKey`].
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    /// No object is stored for this digest.
    #[error("no blob with SHA-256 {sha256} is stored")]
    NotFound {
        /// The requested digest.
        sha256: String,
    },
    /// An object with this digest is already stored; it was left untouched.
    #[error(
        "a blob with SHA-256 {sha256} is already stored; reuse the SealedBlob recorded for it, or delete it first if nothing references it"
    )]
    AlreadyExists {
        /// The digest of the content.
        sha256: String,
    },
    /// The stored object, the wrapped key or the recorded size/digest do not match.
    #[error("blob {sha256} failed its integrity check: {reason}")]
    Integrity {
        /// The digest of the blob that failed.
        sha256: String,
        /// What did not match.
        reason: String,
    },
    /// The blob was sealed under a different master key than the configured one.
    #[error("the blob was sealed with master key {key_id}, which is not the configured master key")]
    WrongMasterKey {
        /// Key id recorded in the [`SealedBlob`].
        key_id: String,
    },
    /// A master key could not be parsed.
    #[error("invalid master key: {0}")]
    InvalidKey(String),
    /// A digest argument is not 64 lowercase hex characters.
    #[error("invalid SHA-256 digest {0:?}: expected 64 lowercase hexadecimal characters")]
    InvalidDigest(String),
    /// The storage backend failed.
    #[error("blob storage error: {0}")]
    Storage(#[from] object_store::Error),
    /// A local file or directory could not be read or written.
    #[error("I/O error: {0}")]
    Io(#[from] io::Error),
}

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).expect("the operating system random number generator failed");
    bytes
}

fn cipher(key: &[u8; KEY_LEN]) -> XChaCha20Poly1305 {
    XChaCha20Poly1305::new(&chacha20poly1305::Key::from(*key))
}

/// Encrypts with a random nonce; returns `nonce || ciphertext`.
fn seal_random_nonce(key: &[u8; KEY_LEN], aad: &[u8], msg: &[u8]) -> Vec<u8> {
    let nonce: [u8; NONCE_LEN] = random_bytes();
    let ciphertext = cipher(key)
        .encrypt(&XNonce::from(nonce), Payload { msg, aad })
        .expect("XChaCha20-Poly1305 encryption of a short message cannot fail");
    let mut out = Vec::with_capacity(NONCE_LEN + ciphertext.len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ciphertext);
    out
}

/// Inverse of [`seal_random_nonce`]; `None` if too short or not authentic.
fn open_random_nonce(key: &[u8; KEY_LEN], aad: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
    if sealed.len() < NONCE_LEN + TAG_LEN {
        return None;
    }
    let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
    let nonce: [u8; NONCE_LEN] = nonce.try_into().ok()?;
    cipher(key)
        .decrypt(
            &XNonce::from(nonce),
            Payload {
                msg: ciphertext,
                aad,
            },
        )
        .ok()
}

/// The 256-bit master key that wraps every data key.
///
/// Keep it outside the database (environment, secret manager). Its [`Debug`]
/// output is redacted and only shows the [key id](MasterKey::key_id).
///
/// ```
/// let key = blobstore::MasterKey::generate();
/// let again = blobstore::MasterKey::from_hex(&key.to_hex()).unwrap();
/// assert_eq!(key.key_id(), again.key_id());
/// assert!(!format!("{key:?}").contains(&key.to_hex()));
/// ```
#[derive(Clone)]
pub struct MasterKey([u8; KEY_LEN]);

impl MasterKey {
    /// Generates a new random master key from the operating system's RNG.
    ///
    /// # Panics
    /// If the operating system random number generator fails.
    pub fn generate() -> MasterKey {
        MasterKey(random_bytes())
    }

    /// Builds a master key from its 32 raw bytes.
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> MasterKey {
        MasterKey(bytes)
    }

    /// Parses a master key from 64 hex characters (surrounding whitespace ignored).
    ///
    /// The error message never repeats the input.
    pub fn from_hex(s: &str) -> Result<MasterKey, BlobError> {
        let s = s.trim();
        let chars = s.chars().count();
        if chars != 2 * KEY_LEN {
            return Err(BlobError::InvalidKey(format!(
                "expected 64 hexadecimal characters (32 bytes), got {chars} characters"
            )));
        }
        let mut bytes = [0u8; KEY_LEN];
        hex::decode_to_slice(s, &mut bytes).map_err(|_| {
            BlobError::InvalidKey("it contains characters that are not hexadecimal digits".into())
        })?;
        Ok(MasterKey(bytes))
    }

    /// The key as 64 lowercase hex characters (secret: handle with care).
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// A key for another purpose (e.g. signing links), derived from this one so that it needs no
    /// storage of its own: SHA-256(`"lexops-derive"` || purpose || 0 || key). Different purposes
    /// give independent keys; none reveals the master key.
    pub fn derive(&self, purpose: &str) -> [u8; KEY_LEN] {
        let mut hasher = Sha256::new();
        hasher.update(b"lexops-derive");
        hasher.update(purpose.as_bytes());
        hasher.update([0u8]);
        hasher.update(self.0);
        hasher.finalize().into()
    }

    /// A public identifier of the key, safe to store: the first 16 hex
    /// characters of SHA-256(`"lexops-key-id"` || key).
    pub fn key_id(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(KEY_ID_DOMAIN);
        hasher.update(self.0);
        let mut id = hex::encode(hasher.finalize());
        id.truncate(16);
        id
    }

    /// Encrypts a fixed known constant under this key with a random nonce.
    ///
    /// Store the result in the database; at start-up
    /// [`verify_check_value`](MasterKey::verify_check_value) refuses a wrong key.
    pub fn check_value(&self) -> Vec<u8> {
        seal_random_nonce(&self.0, CHECK_AAD, CHECK_PLAINTEXT)
    }

    /// True iff `value` was produced by [`check_value`](MasterKey::check_value) with this key.
    pub fn verify_check_value(&self, value: &[u8]) -> bool {
        open_random_nonce(&self.0, CHECK_AAD, value).is_some_and(|p| p == CHECK_PLAINTEXT)
    }

    /// Encrypts a small secret (a TOTP seed, an SMTP password) under this key, bound to
    /// `context` (associated data); returns `nonce || ciphertext`.
    ///
    /// ```
    /// let key = blobstore::MasterKey::generate();
    /// let sealed = key.seal(b"seed", b"totp");
    /// assert_eq!(key.open(&sealed, b"totp").as_deref(), Some(&b"seed"[..]));
    /// assert_eq!(key.open(&sealed, b"other"), None);
    /// ```
    pub fn seal(&self, secret: &[u8], context: &[u8]) -> Vec<u8> {
        let mut aad = b"lexops-seal:".to_vec();
        aad.extend_from_slice(context);
        seal_random_nonce(&self.0, &aad, secret)
    }

    /// Decrypts what [`seal`](MasterKey::seal) made with this key and context; `None` if it
    /// was made with another key or context, or was altered.
    pub fn open(&self, sealed: &[u8], context: &[u8]) -> Option<Vec<u8>> {
        let mut aad = b"lexops-seal:".to_vec();
        aad.extend_from_slice(context);
        open_random_nonce(&self.0, &aad, sealed)
    }

    fn wrap_data_key(&self, data_key: &[u8; KEY_LEN], sha256: &str) -> Vec<u8> {
        seal_random_nonce(&self.0, sha256.as_bytes(), data_key)
    }

    fn unwrap_data_key(&self, wrapped: &[u8], sha256: &str) -> Option<[u8; KEY_LEN]> {
        if wrapped.len() != WRAPPED_KEY_LEN {
            return None;
        }
        open_random_nonce(&self.0, sha256.as_bytes(), wrapped)?
            .as_slice()
            .try_into()
            .ok()
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MasterKey(<redacted>, id={})", self.key_id())
    }
}

/// What the caller records in its database for a stored blob.
///
/// `wrapped_key` is needed to read the blob back; destroying it (and deleting the
/// object) crypto-shreds the content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SealedBlob {
    /// Lowercase hex SHA-256 of the plaintext (also the storage name).
    pub sha256: String,
    /// Plaintext size in bytes.
    pub size: u64,
    /// The data key wrapped by the master key (`nonce || ciphertext`, 72 bytes).
    pub wrapped_key: Vec<u8>,
    /// [`MasterKey::key_id`] of the master key that wrapped `wrapped_key`.
    pub key_id: String,
}

struct Inner {
    store: Arc<dyn ObjectStore>,
    master: MasterKey,
    chunk_size: usize,
}

/// Content-addressed, encrypted, verified blob storage (see the [crate docs](crate)).
///
/// Cheap to clone (an `Arc` inside); `Send + Sync`, and its futures are `Send`.
#[derive(Clone)]
pub struct BlobStore {
    inner: Arc<Inner>,
}

impl fmt::Debug for BlobStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlobStore")
            .field("store", &format_args!("{}", self.inner.store))
            .field("key_id", &self.inner.master.key_id())
            .field("chunk_size", &self.inner.chunk_size)
            .finish()
    }
}

impl BlobStore {
    /// A store on any [`ObjectStore`] backend (e.g. S3 later).
    ///
    /// [`put_file`](BlobStore::put_file) needs the backend to support multipart
    /// uploads and `rename_if_not_exists`; [`put`](BlobStore::put) needs
    /// [`PutMode::Create`].
    pub fn new(store: Arc<dyn ObjectStore>, master: MasterKey) -> BlobStore {
        BlobStore {
            inner: Arc::new(Inner {
                store,
                master,
                chunk_size: DEFAULT_CHUNK_SIZE,
            }),
        }
    }

    /// A store in a local directory, created if missing (writes are fsynced).
    ///
    /// Fails with [`BlobError::Io`] naming the directory if it cannot be created
    /// or is not writable.
    pub fn local(dir: &FsPath, master: MasterKey) -> Result<BlobStore, BlobError> {
        let context = |what: &str, e: io::Error| {
            BlobError::Io(io::Error::new(
                e.kind(),
                format!("blob directory {} {what}: {e}", dir.display()),
            ))
        };
        std::fs::create_dir_all(dir).map_err(|e| context("cannot be created", e))?;
        let probe = dir.join(format!(
            ".lexops-write-probe-{}",
            hex::encode(random_bytes::<8>())
        ));
        std::fs::write(&probe, b"probe").map_err(|e| context("is not writable", e))?;
        std::fs::remove_file(&probe).map_err(|e| context("is not writable", e))?;
        let fs = LocalFileSystem::new_with_prefix(dir)?.with_fsync(true);
        Ok(BlobStore::new(Arc::new(fs), master))
    }

    /// A store in memory (tests).
    pub fn in_memory(master: MasterKey) -> BlobStore {
        BlobStore::new(Arc::new(InMemory::new()), master)
    }

    /// Same store, writing new objects with `chunk_size`-byte plaintext chunks
    /// (for tests; reading always uses the chunk size recorded in each object).
    ///
    /// # Panics
    /// If `chunk_size` is 0 or larger than [`MAX_CHUNK_SIZE`].
    pub fn with_chunk_size(self, chunk_size: usize) -> BlobStore {
        assert!(
            (1..=MAX_CHUNK_SIZE).contains(&chunk_size),
            "chunk size must be between 1 and {MAX_CHUNK_SIZE} bytes, got {chunk_size}"
        );
        BlobStore {
            inner: Arc::new(Inner {
                store: Arc::clone(&self.inner.store),
                master: self.inner.master.clone(),
                chunk_size,
            }),
        }
    }

    /// The [`MasterKey::key_id`] of the configured master key.
    pub fn key_id(&self) -> String {
        self.inner.master.key_id()
    }

    /// Lowercase hex SHA-256 of `bytes` (the name the content is stored under).
    pub fn digest(bytes: &[u8]) -> String {
        hex::encode(Sha256::digest(bytes))
    }

    /// Storage location of a digest: `blobs/<aa>/<bb>/<sha256>`.
    pub fn object_path(sha256: &str) -> Result<ObjectPath, BlobError> {
        check_digest(sha256)?;
        Ok(ObjectPath::from(format!(
            "blobs/{}/{}/{sha256}",
            &sha256[..2],
            &sha256[2..4]
        )))
    }

    /// Encrypts and stores `bytes` atomically with a create-only write.
    ///
    /// Returns [`BlobError::AlreadyExists`] (and leaves the stored object alone)
    /// if the content is already stored.
    pub async fn put(&self, bytes: &[u8]) -> Result<SealedBlob, BlobError> {
        self.put_digested(bytes, Self::digest(bytes)).await
    }

    /// [`BlobStore::put`] for a caller that already holds the bytes' [`BlobStore::digest`]
    /// (`sha256`), so that a large file is not hashed again. The digest is the object's name:
    /// it must be the digest of these bytes (checked in debug builds).
    pub async fn put_digested(
        &self,
        bytes: &[u8],
        sha256: String,
    ) -> Result<SealedBlob, BlobError> {
        debug_assert_eq!(sha256, Self::digest(bytes), "put_digested: wrong digest");
        let path = Self::object_path(&sha256)?;
        let chunk_size = self.inner.chunk_size;
        let data_key: [u8; KEY_LEN] = random_bytes();
        let mut sealer = Sealer::new(&data_key, chunk_size);
        let chunks = bytes.len().div_ceil(chunk_size).max(1);
        let mut body = Vec::with_capacity(HEADER_LEN + bytes.len() + chunks * TAG_LEN);
        body.extend_from_slice(&sealer.header);
        if bytes.is_empty() {
            body.extend_from_slice(&sealer.seal(&[], true)?);
        } else {
            let mut chunks = bytes.chunks(chunk_size).peekable();
            while let Some(chunk) = chunks.next() {
                let last = chunks.peek().is_none();
                body.extend_from_slice(&sealer.seal(chunk, last)?);
            }
        }
        let options = PutOptions::from(PutMode::Create);
        match self
            .inner
            .store
            .put_opts(&path, PutPayload::from(body), options)
            .await
        {
            Ok(_) => Ok(self.sealed(sha256, bytes.len() as u64, &data_key)),
            Err(object_store::Error::AlreadyExists { .. }) => {
                Err(BlobError::AlreadyExists { sha256 })
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Encrypts and stores a file without holding it in memory.
    ///
    /// A first pass hashes the file (and returns [`BlobError::AlreadyExists`]
    /// without uploading if the content is already stored); a second pass
    /// encrypts it chunk by chunk into a multipart upload under `staging/`, which
    /// is then renamed into place with `rename_if_not_exists`. If the file changes
    /// between the passes the upload is abandoned with [`BlobError::Io`].
    pub async fn put_file(&self, path: &FsPath) -> Result<SealedBlob, BlobError> {
        let (sha256, size) = hash_file(path).await?;
        let dest = Self::object_path(&sha256)?;
        if self.exists(&sha256).await? {
            return Err(BlobError::AlreadyExists { sha256 });
        }
        let data_key: [u8; KEY_LEN] = random_bytes();
        let mut sealer = Sealer::new(&data_key, self.inner.chunk_size);
        let staging = ObjectPath::from(format!("staging/{}", hex::encode(random_bytes::<16>())));
        let upload = self.inner.store.put_multipart(&staging).await?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, UPLOAD_PART_SIZE);
        match encrypt_file(path, &mut sealer, &mut writer).await {
            Ok((sha_again, size_again)) if sha_again == sha256 && size_again == size => {}
            Ok(_) => {
                let _ = writer.abort().await;
                return Err(BlobError::Io(io::Error::other(format!(
                    "file {} changed while it was being stored; store it again",
                    path.display()
                ))));
            }
            Err(e) => {
                let _ = writer.abort().await;
                return Err(e);
            }
        }
        writer.finish().await?;
        match self.inner.store.rename_if_not_exists(&staging, &dest).await {
            Ok(()) => Ok(self.sealed(sha256, size, &data_key)),
            Err(e) => {
                let _ = self.inner.store.delete(&staging).await;
                match e {
                    object_store::Error::AlreadyExists { .. } => {
                        Err(BlobError::AlreadyExists { sha256 })
                    }
                    e => Err(e.into()),
                }
            }
        }
    }

    /// Reads, decrypts and verifies a blob; returns its plaintext only if every
    /// check passes.
    pub async fn get(&self, blob: &SealedBlob) -> Result<Vec<u8>, BlobError> {
        self.read(blob, true).await
    }

    /// Runs the same checks as [`get`](BlobStore::get), streaming, without keeping the bytes.
    pub async fn verify(&self, blob: &SealedBlob) -> Result<(), BlobError> {
        self.read(blob, false).await.map(drop)
    }

    /// Deletes the stored object (idempotent: a missing object is not an error).
    ///
    /// Crypto-shredding also requires the caller to destroy its `wrapped_key`.
    pub async fn delete(&self, sha256: &str) -> Result<(), BlobError> {
        let path = Self::object_path(sha256)?;
        match self.inner.store.delete(&path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// All digests present in storage, sorted (to find orphans).
    pub async fn list(&self) -> Result<Vec<String>, BlobError> {
        let prefix = ObjectPath::from("blobs");
        let mut stream = self.inner.store.list(Some(&prefix));
        let mut digests = Vec::new();
        while let Some(meta) = stream.next().await {
            let meta = meta?;
            if let Some(sha256) = meta.location.filename()
                && Self::object_path(sha256).is_ok_and(|p| p == meta.location)
            {
                digests.push(sha256.to_owned());
            }
        }
        digests.sort();
        Ok(digests)
    }

    /// Whether an object is stored for `sha256`.
    pub async fn exists(&self, sha256: &str) -> Result<bool, BlobError> {
        let path = Self::object_path(sha256)?;
        match self.inner.store.head(&path).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Key rotation: unwraps the data key with this store's master key and wraps
    /// it with `new_master`. The stored bytes are not touched; record the returned
    /// [`SealedBlob`] in place of the old one.
    pub async fn rewrap(
        &self,
        blob: &SealedBlob,
        new_master: &MasterKey,
    ) -> Result<SealedBlob, BlobError> {
        check_digest(&blob.sha256)?;
        let data_key = self.unwrap(blob)?;
        Ok(SealedBlob {
            sha256: blob.sha256.clone(),
            size: blob.size,
            wrapped_key: new_master.wrap_data_key(&data_key, &blob.sha256),
            key_id: new_master.key_id(),
        })
    }

    fn sealed(&self, sha256: String, size: u64, data_key: &[u8; KEY_LEN]) -> SealedBlob {
        let master = &self.inner.master;
        SealedBlob {
            wrapped_key: master.wrap_data_key(data_key, &sha256),
            key_id: master.key_id(),
            sha256,
            size,
        }
    }

    fn unwrap(&self, blob: &SealedBlob) -> Result<[u8; KEY_LEN], BlobError> {
        let master = &self.inner.master;
        match master.unwrap_data_key(&blob.wrapped_key, &blob.sha256) {
            Some(key) => Ok(key),
            None if blob.key_id != master.key_id() => Err(BlobError::WrongMasterKey {
                key_id: blob.key_id.clone(),
            }),
            None => Err(BlobError::Integrity {
                sha256: blob.sha256.clone(),
                reason: "the wrapped data key does not unwrap for this content under the configured master key (it belongs to another blob or was altered)".into(),
            }),
        }
    }

    async fn read(&self, blob: &SealedBlob, keep: bool) -> Result<Vec<u8>, BlobError> {
        let path = Self::object_path(&blob.sha256)?;
        let data_key = self.unwrap(blob)?;
        let integrity = |reason: String| BlobError::Integrity {
            sha256: blob.sha256.clone(),
            reason,
        };
        let object = match self.inner.store.get(&path).await {
            Ok(object) => object,
            Err(object_store::Error::NotFound { .. }) => {
                return Err(BlobError::NotFound {
                    sha256: blob.sha256.clone(),
                });
            }
            Err(e) => return Err(e.into()),
        };
        let mut opener = Opener::new(data_key, keep, blob.size);
        let mut stream = object.into_stream();
        while let Some(piece) = stream.next().await {
            opener.feed(&piece?).map_err(integrity)?;
        }
        let (sha256, size, plaintext) = opener.finish().map_err(integrity)?;
        if size != blob.size {
            return Err(integrity(format!(
                "decrypted size is {size} bytes, but {} bytes were recorded",
                blob.size
            )));
        }
        if sha256 != blob.sha256 {
            return Err(integrity(format!("decrypted content has SHA-256 {sha256}")));
        }
        Ok(plaintext)
    }
}

fn check_digest(sha256: &str) -> Result<(), BlobError> {
    if sha256.len() == 64
        && sha256
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    {
        Ok(())
    } else {
        Err(BlobError::InvalidDigest(sha256.to_owned()))
    }
}

fn chunk_nonce(prefix: &[u8; PREFIX_LEN], counter: u32, last: bool) -> XNonce {
    let mut nonce = [0u8; NONCE_LEN];
    nonce[..PREFIX_LEN].copy_from_slice(prefix);
    nonce[PREFIX_LEN..PREFIX_LEN + 4].copy_from_slice(&counter.to_be_bytes());
    nonce[PREFIX_LEN + 4] = u8::from(last);
    XNonce::from(nonce)
}

/// Writing side of the STREAM construction.
struct Sealer {
    cipher: XChaCha20Poly1305,
    header: [u8; HEADER_LEN],
    prefix: [u8; PREFIX_LEN],
    chunk_size: usize,
    counter: u32,
}

impl Sealer {
    fn new(data_key: &[u8; KEY_LEN], chunk_size: usize) -> Sealer {
        let prefix: [u8; PREFIX_LEN] = random_bytes();
        let declared = u32::try_from(chunk_size).expect("chunk size is at most MAX_CHUNK_SIZE");
        let mut header = [0u8; HEADER_LEN];
        header[..4].copy_from_slice(MAGIC);
        header[4..8].copy_from_slice(&declared.to_be_bytes());
        header[8..].copy_from_slice(&prefix);
        Sealer {
            cipher: cipher(data_key),
            header,
            prefix,
            chunk_size,
            counter: 0,
        }
    }

    fn seal(&mut self, plaintext: &[u8], last: bool) -> Result<Vec<u8>, BlobError> {
        let nonce = chunk_nonce(&self.prefix, self.counter, last);
        let sealed = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad: &self.header,
                },
            )
            .expect("XChaCha20-Poly1305 encryption of one chunk cannot fail");
        if !last {
            self.counter = self.counter.checked_add(1).ok_or_else(|| {
                BlobError::Io(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "content is too large: it needs more than 2^32 chunks",
                ))
            })?;
        }
        Ok(sealed)
    }
}

/// Reading side: parses the header, authenticates chunks as they stream in,
/// hashes the plaintext.
struct Opener {
    cipher: XChaCha20Poly1305,
    keep: bool,
    limit: u64,
    header: Vec<u8>,
    prefix: [u8; PREFIX_LEN],
    /// Ciphertext length of a full chunk; 0 until the header is parsed.
    full: usize,
    pending: Vec<u8>,
    counter: u32,
    hasher: Sha256,
    size: u64,
    plaintext: Vec<u8>,
}

impl Opener {
    fn new(data_key: [u8; KEY_LEN], keep: bool, limit: u64) -> Opener {
        Opener {
            cipher: cipher(&data_key),
            keep,
            limit,
            header: Vec::with_capacity(HEADER_LEN),
            prefix: [0; PREFIX_LEN],
            full: 0,
            pending: Vec::new(),
            counter: 0,
            hasher: Sha256::new(),
            size: 0,
            plaintext: Vec::new(),
        }
    }

    fn parse_header(&mut self) -> Result<(), String> {
        if &self.header[..4] != MAGIC {
            return Err("the object does not start with the LXB1 header".into());
        }
        let chunk_size = u32::from_be_bytes(self.header[4..8].try_into().expect("4 bytes"));
        let chunk_size = usize::try_from(chunk_size).unwrap_or(usize::MAX);
        if !(1..=MAX_CHUNK_SIZE).contains(&chunk_size) {
            return Err(format!(
                "the header declares an unsupported chunk size of {chunk_size} bytes"
            ));
        }
        self.prefix.copy_from_slice(&self.header[8..HEADER_LEN]);
        self.full = chunk_size + TAG_LEN;
        if self.keep {
            let expected = usize::try_from(self.limit).unwrap_or(usize::MAX);
            self.plaintext.reserve_exact(expected.min(64 * 1024 * 1024));
        }
        Ok(())
    }

    fn feed(&mut self, mut data: &[u8]) -> Result<(), String> {
        if self.full == 0 {
            let take = (HEADER_LEN - self.header.len()).min(data.len());
            self.header.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.header.len() < HEADER_LEN {
                return Ok(());
            }
            self.parse_header()?;
        }
        let full = self.full;
        while !data.is_empty() {
            // A full pending chunk followed by more data is not the last chunk.
            if self.pending.len() == full {
                let chunk = std::mem::take(&mut self.pending);
                self.open(&chunk, false)?;
                self.pending = chunk;
                self.pending.clear();
            }
            if self.pending.is_empty() && data.len() > full {
                self.open(&data[..full], false)?;
                data = &data[full..];
                continue;
            }
            let take = (full - self.pending.len()).min(data.len());
            self.pending.extend_from_slice(&data[..take]);
            data = &data[take..];
        }
        Ok(())
    }

    fn open(&mut self, chunk: &[u8], last: bool) -> Result<(), String> {
        let index = self.counter;
        if chunk.len() < TAG_LEN {
            return Err(format!(
                "chunk {index} is shorter than its authentication tag (the object is truncated)"
            ));
        }
        let nonce = chunk_nonce(&self.prefix, index, last);
        let plaintext = self
            .cipher
            .decrypt(
                &nonce,
                Payload {
                    msg: chunk,
                    aad: &self.header,
                },
            )
            .map_err(|_| {
                format!(
                    "chunk {index} failed authentication (the object was altered, reordered, truncated or extended)"
                )
            })?;
        self.size += plaintext.len() as u64;
        if self.size > self.limit {
            return Err(format!(
                "decrypted content is longer than the {} bytes recorded",
                self.limit
            ));
        }
        self.hasher.update(&plaintext);
        if self.keep {
            self.plaintext.extend_from_slice(&plaintext);
        }
        if !last {
            self.counter = self
                .counter
                .checked_add(1)
                .ok_or("the object has more chunks than the format allows")?;
        }
        Ok(())
    }

    /// Opens the final chunk; returns (hex SHA-256, size, plaintext if kept).
    fn finish(mut self) -> Result<(String, u64, Vec<u8>), String> {
        if self.full == 0 {
            return Err("the object is shorter than its header".into());
        }
        let chunk = std::mem::take(&mut self.pending);
        self.open(&chunk, true)?;
        Ok((
            hex::encode(self.hasher.finalize()),
            self.size,
            self.plaintext,
        ))
    }
}

fn file_error(path: &FsPath, e: io::Error) -> BlobError {
    BlobError::Io(io::Error::new(
        e.kind(),
        format!("cannot read {}: {e}", path.display()),
    ))
}

/// Reads until `buf` is full or the file ends; returns the bytes read.
async fn read_full(file: &mut tokio::fs::File, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..]).await? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

async fn hash_file(path: &FsPath) -> Result<(String, u64), BlobError> {
    let mut file = tokio::fs::File::open(path)
        .await
        .map_err(|e| file_error(path, e))?;
    let mut buf = vec![0u8; HASH_BUF_SIZE];
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf).await.map_err(|e| file_error(path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    Ok((hex::encode(hasher.finalize()), size))
}

/// Second pass of `put_file`: encrypts into `writer`; returns what was actually read.
async fn encrypt_file(
    path: &FsPath,
    sealer: &mut Sealer,
    writer: &mut WriteMultipart,
) -> Result<(String, u64), BlobError> {
    let chunk_size = sealer.chunk_size;
    let mut file = tokio::fs::File::open(path)
        .await
        .map_err(|e| file_error(path, e))?;
    writer.write(&sealer.header);
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let mut current = vec![0u8; chunk_size];
    let mut next = vec![0u8; chunk_size];
    let mut current_len = read_full(&mut file, &mut current)
        .await
        .map_err(|e| file_error(path, e))?;
    loop {
        // One chunk of look-ahead decides whether `current` is the last chunk.
        let next_len = if current_len < chunk_size {
            0
        } else {
            read_full(&mut file, &mut next)
                .await
                .map_err(|e| file_error(path, e))?
        };
        let last = next_len == 0;
        let plaintext = &current[..current_len];
        hasher.update(plaintext);
        size += current_len as u64;
        writer.write(&sealer.seal(plaintext, last)?);
        writer.wait_for_capacity(UPLOAD_PARTS_IN_FLIGHT).await?;
        if last {
            break;
        }
        std::mem::swap(&mut current, &mut next);
        current_len = next_len;
    }
    Ok((hex::encode(hasher.finalize()), size))
}
