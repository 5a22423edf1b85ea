//! The document store as the application sees it: the `blobs` table indexes the encrypted
//! objects of the `blobstore` crate (SHA-256, size, wrapped data key). Modules store and read
//! documents only through these functions, so integrity is checked on every read and a
//! document whose bytes no longer match is reported, never served.

use blobstore::{BlobError, BlobStore, SealedBlob};
use serde::Serialize;

use super::app::App;
use super::error::AppError;

#[derive(sqlx::FromRow)]
struct BlobRow {
    sha256: String,
    size: i64,
    wrapped_key: String,
    key_id: String,
}

impl BlobRow {
    fn sealed(self) -> Result<SealedBlob, AppError> {
        Ok(SealedBlob {
            wrapped_key: hex::decode(&self.wrapped_key).map_err(|e| {
                AppError::Integrity(format!(
                    "document {}: stored key is not hex ({e})",
                    self.sha256
                ))
            })?,
            sha256: self.sha256,
            size: self.size as u64,
            key_id: self.key_id,
        })
    }
}

async fn row(app: &App, sha256: &str) -> Result<Option<BlobRow>, sqlx::Error> {
    sqlx::query_as::<_, BlobRow>(
        "SELECT sha256, size, wrapped_key, key_id FROM blobs WHERE sha256 = $1",
    )
    .bind(sha256)
    .fetch_optional(app.db.pool())
    .await
}

/// Stores bytes (deduplicated by content) and returns their SHA-256.
/// The name a document has in the store: the lowercase hex SHA-256 of its bytes.
pub fn digest(bytes: &[u8]) -> String {
    BlobStore::digest(bytes)
}

pub async fn put(app: &App, bytes: &[u8]) -> Result<String, AppError> {
    let sha = BlobStore::digest(bytes);
    if let Some(sealed) = seal(app, bytes).await? {
        let mut tx = app.db.begin().await?;
        insert_row(&mut tx, &sealed, &app.clock.now_text()).await?;
        tx.commit().await?;
    }
    Ok(sha)
}

/// Encrypts and writes bytes to the store unless a row already indexes the same content
/// (`None`). The caller inserts the row with [`insert_row`], in the transaction of the change
/// that uses the document: a crash in between leaves only an object no row refers to, which the
/// next write of the same bytes replaces.
pub async fn seal(app: &App, bytes: &[u8]) -> Result<Option<SealedBlob>, AppError> {
    seal_digested(app, bytes, BlobStore::digest(bytes)).await
}

/// [`seal`] for bytes whose [`digest`] the caller already holds (`sha`).
pub async fn seal_digested(
    app: &App,
    bytes: &[u8],
    sha: String,
) -> Result<Option<SealedBlob>, AppError> {
    if row(app, &sha).await?.is_some() {
        return Ok(None);
    }
    let sealed = match app.blobs.put_digested(bytes, sha.clone()).await {
        Ok(s) => s,
        Err(BlobError::AlreadyExists { .. }) => {
            // An object without a row: a crash came between the write and the insert.
            // Its key is lost with the crash, so the object is replaced.
            app.blobs.delete(&sha).await?;
            app.blobs.put_digested(bytes, sha).await?
        }
        Err(e) => return Err(e.into()),
    };
    Ok(Some(sealed))
}

/// Indexes a sealed object (see [`seal`]); a row already there (the same bytes sealed
/// concurrently) is kept.
pub async fn insert_row(
    tx: &mut super::db::Tx,
    sealed: &SealedBlob,
    now: &str,
) -> Result<(), sqlx::Error> {
    let mut batch = super::db::Batch::new(super::db::backend_of(tx));
    insert_row_into(&mut batch, sealed, now);
    batch.execute(tx).await
}

/// [`insert_row`] as a statement of `batch`.
pub fn insert_row_into(batch: &mut super::db::Batch, sealed: &SealedBlob, now: &str) {
    let sql = format!(
        "INSERT INTO blobs (sha256, size, wrapped_key, key_id, created_at) VALUES ({}) ON CONFLICT (sha256) DO NOTHING",
        batch.params(1, 5)
    );
    batch
        .statement(&sql)
        .bind(sealed.sha256.clone())
        .bind(sealed.size as i64)
        .bind(hex::encode(&sealed.wrapped_key))
        .bind(sealed.key_id.clone())
        .bind(now.to_string());
}

/// Reads a document, verifying its integrity; unverified bytes are never returned.
pub async fn get(app: &App, sha256: &str) -> Result<Vec<u8>, AppError> {
    let r = row(app, sha256)
        .await?
        .ok_or_else(|| AppError::NotFound("document".into()))?;
    Ok(app.blobs.get(&r.sealed()?).await?)
}

/// One problem found by [`verify_all`].
#[derive(Clone, Debug, Serialize)]
pub struct BlobProblem {
    pub sha256: String,
    pub problem: String,
}

/// The outcome of [`verify_all`].
#[derive(Clone, Debug, Serialize, Default)]
pub struct BlobReport {
    pub checked: u64,
    pub bytes: u64,
    pub problems: Vec<BlobProblem>,
    /// Objects in storage that no row refers to (left by an interrupted write; harmless).
    pub orphans: Vec<String>,
}

/// Decrypts and re-hashes every stored document (`lexops blobs verify`).
pub async fn verify_all(app: &App) -> Result<BlobReport, AppError> {
    let rows = sqlx::query_as::<_, BlobRow>(
        "SELECT sha256, size, wrapped_key, key_id FROM blobs ORDER BY sha256",
    )
    .fetch_all(app.db.pool())
    .await?;
    let mut report = BlobReport::default();
    let mut known = std::collections::HashSet::new();
    for r in rows {
        known.insert(r.sha256.clone());
        let sha = r.sha256.clone();
        report.checked += 1;
        report.bytes += r.size as u64;
        let result = match r.sealed() {
            Ok(s) => app.blobs.verify(&s).await.map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        if let Err(problem) = result {
            report.problems.push(BlobProblem {
                sha256: sha,
                problem,
            });
        }
    }
    for sha in app.blobs.list().await? {
        if !known.contains(&sha) {
            report.orphans.push(sha);
        }
    }
    Ok(report)
}
