//! The document store through the application: deduplicated by content, encrypted at rest,
//! and never served when the stored bytes no longer match.

use lexops::platform::blobs;
use lexops::platform::error::AppError;

use crate::both;
use crate::harness::TestApp;

fn object_path(t: &TestApp, sha: &str) -> std::path::PathBuf {
    t.dir
        .path()
        .join("documents/blobs")
        .join(&sha[..2])
        .join(&sha[2..4])
        .join(sha)
}

both!(documents_round_trip_and_tampering_is_reported);
async fn documents_round_trip_and_tampering_is_reported(t: TestApp) {
    let text =
        b"MASTER SERVICES AGREEMENT between Acme Corp and Example LLP. Confidential.".repeat(2000);
    let sha = blobs::put(&t.app, &text).await.unwrap();
    assert_eq!(
        blobs::put(&t.app, &text).await.unwrap(),
        sha,
        "same content, same document"
    );
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM blobs")
        .fetch_one(t.app.db.pool())
        .await
        .unwrap();
    assert_eq!(n, 1);
    assert_eq!(blobs::get(&t.app, &sha).await.unwrap(), text);
    // At rest the bytes are encrypted.
    let raw = std::fs::read(object_path(&t, &sha)).unwrap();
    assert!(!raw.windows(24).any(|w| w == b"MASTER SERVICES AGREEMEN"));
    let report = blobs::verify_all(&t.app).await.unwrap();
    assert_eq!((report.checked, report.problems.len()), (1, 0));
    // Flip one stored byte: the read is refused and the verifier names the document.
    let mut damaged = raw.clone();
    let i = damaged.len() / 2;
    damaged[i] ^= 0x01;
    std::fs::write(object_path(&t, &sha), &damaged).unwrap();
    match blobs::get(&t.app, &sha).await {
        Err(AppError::Integrity(_)) => {}
        other => panic!(
            "expected an integrity failure, got {:?}",
            other.map(|b| b.len())
        ),
    }
    let report = blobs::verify_all(&t.app).await.unwrap();
    assert_eq!(report.problems.len(), 1);
    assert_eq!(report.problems[0].sha256, sha);
    // An unknown document is simply not found.
    assert!(matches!(
        blobs::get(&t.app, &"0".repeat(64)).await,
        Err(AppError::NotFound(_))
    ));
}
