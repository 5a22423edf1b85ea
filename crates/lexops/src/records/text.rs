//! Full-text search of records. The text of each active record's current document is read by the
//! `evidence` crate in the job `records.text` and kept in `record_text` (`rowid` = the record's
//! id): an FTS5 table on SQLite (porter stemming, secure-delete, so a destroyed record's words
//! leave the index's pages), a `tsvector` column with a GIN index on PostgreSQL. The database's
//! own index rather than a separate one (tantivy) because it lives in the same transactions as
//! the records: a destroyed record's text goes in the destroying transaction, and a search can
//! apply the ethical walls and filters in one query.
//!
//! `records.text_state` says where a record stands: `pending` (queued), `indexed`, `none` (a
//! kind with no text we read: images, spreadsheets), `failed` (`text_note` says why). PDF is
//! read in a child process (`lexops extract-text`) with memory and time limits, because
//! pdf-extract panics or runs away on malformed files; the other kinds in a blocking task with
//! the panic caught.

use std::time::Duration;

use serde_json::json;

use crate::App;
use crate::platform::db::{Backend, Tx};
use crate::platform::error::AppError;

/// The job that reads pending records.
pub const JOB: &str = "records.text";

/// Characters of text kept per document (about 500 pages).
pub const MAX_CHARS: usize = 1_000_000;

/// Queues the text job in the caller's transaction (once: a queued one does for all).
pub async fn queue(tx: &mut Tx, now: &str) -> Result<(), sqlx::Error> {
    crate::platform::jobs::enqueue(tx, now, JOB, &json!({}), Some(JOB), None).await?;
    Ok(())
}

/// Queues the text job now (at `serve` and `worker` start: documents left pending by a
/// crash or a race with a finishing job are read).
pub async fn queue_now(app: &App) -> Result<(), sqlx::Error> {
    let now = app.clock.now_text();
    let mut tx = app.db.begin().await?;
    queue(&mut tx, &now).await?;
    tx.commit().await
}

/// The job: reads pending records for up to two minutes (inside the job lease), then hands over
/// to a follow-up job when some are left.
pub async fn job(app: App, job: crate::platform::jobs::Job) -> crate::platform::jobs::JobResult {
    let left = index_pending(&app, Some(Duration::from_secs(120)))
        .await
        .map_err(|e| e.to_string())?
        .left;
    if left > 0 {
        // The live job's unique key is taken by this very job: the follow-up uses the other one.
        let key = if job.unique_key.as_deref() == Some(JOB) {
            "records.text:more"
        } else {
            JOB
        };
        let now = app.clock.now_text();
        let mut tx = app.db.begin().await.map_err(|e| e.to_string())?;
        crate::platform::jobs::enqueue(&mut tx, &now, JOB, &json!({}), Some(key), None)
            .await
            .map_err(|e| e.to_string())?;
        tx.commit().await.map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// What a run of [`index_pending`] did.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct IndexRun {
    pub indexed: usize,
    pub without_text: usize,
    pub failed: usize,
    /// Records still pending when the time budget ran out.
    pub left: usize,
}

#[derive(sqlx::FromRow)]
struct Pending {
    id: i64,
    title: String,
    filename: String,
    folder: String,
    sha256: String,
}

/// What became of one record's document.
enum Outcome {
    Text { body: String, note: String },
    NoText,
    Failed(String),
}

/// Reads every pending record (within `budget`, if given).
pub async fn index_pending(app: &App, budget: Option<Duration>) -> Result<IndexRun, AppError> {
    let started = std::time::Instant::now();
    let mut run = IndexRun::default();
    let mut after = 0i64;
    loop {
        if budget.is_some_and(|b| started.elapsed() > b) {
            run.left = sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM records WHERE text_state = 'pending' AND status = 'active'",
            )
            .fetch_one(app.db.pool())
            .await? as usize;
            return Ok(run);
        }
        let batch: Vec<Pending> = sqlx::query_as(
            "SELECT id, title, filename, folder, sha256 FROM records WHERE text_state = 'pending' AND status = 'active' AND id > $1 ORDER BY id LIMIT 64",
        )
        .bind(after)
        .fetch_all(app.db.pool())
        .await?;
        let Some(last) = batch.last() else {
            return Ok(run);
        };
        after = last.id;
        let mut done = Vec::with_capacity(batch.len());
        for p in batch {
            let outcome = match crate::platform::blobs::get(app, &p.sha256).await {
                Ok(bytes) => read(app, &p.filename, bytes).await,
                Err(e) => Outcome::Failed(format!("the document could not be read: {e}")),
            };
            match &outcome {
                Outcome::Text { .. } => run.indexed += 1,
                Outcome::NoText => run.without_text += 1,
                Outcome::Failed(_) => run.failed += 1,
            }
            done.push((p, outcome));
        }
        save(app, &done).await?;
    }
}

/// Writes a batch in one transaction. A record whose document changed meanwhile (a new version)
/// stays pending for the next round: the update is guarded by the hash that was read.
async fn save(app: &App, done: &[(Pending, Outcome)]) -> Result<(), AppError> {
    let mut tx = app.db.begin().await?;
    // Writing a record's text replaces its row, whose only words so far are its title, file
    // name and folder, written again at once: FTS5's secure delete (which rewrites the index
    // pages of the old words, for destroyed records) is not needed for that and halves the
    // indexing rate on a large index. Off inside this transaction only (the setting is a row of
    // the index's own, so no other connection ever sees it off).
    let sqlite = app.db.backend() == Backend::Sqlite;
    if sqlite {
        secure_delete(&mut tx, false).await?;
    }
    for (p, outcome) in done {
        let (state, note, body) = match outcome {
            Outcome::Text { body, note } => ("indexed", note.as_str(), Some(body)),
            Outcome::NoText => ("none", "", None),
            Outcome::Failed(e) => ("failed", e.as_str(), None),
        };
        let n = sqlx::query(
            "UPDATE records SET text_state = $1, text_note = $2 WHERE id = $3 AND sha256 = $4 AND text_state = 'pending' AND status = 'active'",
        )
        .bind(state)
        .bind(note)
        .bind(p.id)
        .bind(&p.sha256)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            continue;
        }
        forget(&mut tx, p.id).await?;
        sqlx::query("INSERT INTO record_text (rowid, meta, body) VALUES ($1, $2, $3)")
            .bind(p.id)
            .bind(meta(&p.title, &p.filename, &p.folder))
            .bind(body.map_or("", |b| b.as_str()))
            .execute(&mut *tx)
            .await?;
    }
    if sqlite {
        secure_delete(&mut tx, true).await?;
    }
    tx.commit().await?;
    Ok(())
}

async fn secure_delete(tx: &mut Tx, on: bool) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO record_text (record_text, rank) VALUES ('secure-delete', $1)")
        .bind(on as i64)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// What is searched of a record besides its text: title, file name and folder.
pub fn meta(title: &str, filename: &str, folder: &str) -> String {
    format!("{title} {filename} {folder}")
}

/// Puts a new record in the index (its title, file name and folder at once; its text when the
/// job has read it).
pub async fn add(tx: &mut Tx, record_id: i64, meta: &str) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO record_text (rowid, meta, body) VALUES ($1, $2, '')")
        .bind(record_id)
        .bind(meta)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Removes a record from the index (a destroyed record; or before it is written again).
pub async fn forget(tx: &mut Tx, record_id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM record_text WHERE rowid = $1")
        .bind(record_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Marks a record's text as to be read again (its document changed: until read, only its
/// title, new file name and folder are found) and queues the job.
pub async fn reread(tx: &mut Tx, now: &str, record_id: i64, meta: &str) -> Result<(), sqlx::Error> {
    forget(tx, record_id).await?;
    add(tx, record_id, meta).await?;
    sqlx::query("UPDATE records SET text_state = 'pending', text_note = '' WHERE id = $1")
        .bind(record_id)
        .execute(&mut **tx)
        .await?;
    queue(tx, now).await
}

/// Reads a document's text with the `evidence` crate: PDF in a child process (see
/// [`pdf_in_child`]), the other kinds in a blocking task with panics caught. `Ok(None)` for a
/// kind that has no text (images, archives). The one way the application reads documents.
pub async fn extract(
    app: &App,
    filename: &str,
    bytes: Vec<u8>,
    max_chars: usize,
) -> Result<Option<(evidence::Kind, evidence::Extracted)>, String> {
    let kind = evidence::kind_of(filename, &bytes);
    let limits = evidence::Limits {
        max_chars,
        ..Default::default()
    };
    let result = match kind {
        evidence::Kind::Other => return Ok(None),
        evidence::Kind::Pdf => pdf_in_child(app, &bytes)
            .await
            .map(|text| evidence::Extracted {
                text,
                ..Default::default()
            }),
        _ => tokio::task::spawn_blocking(move || {
            std::panic::catch_unwind(|| evidence::extract(kind, &bytes, &limits))
        })
        .await
        .map_err(|e| e.to_string())
        .and_then(|r| r.map_err(|_| "the reader failed on this file".to_string()))
        .and_then(|r| r.map_err(|e| e.to_string())),
    };
    result.map(|x| Some((kind, x)))
}

async fn read(app: &App, filename: &str, bytes: Vec<u8>) -> Outcome {
    match extract(app, filename, bytes, MAX_CHARS).await {
        Ok(None) => Outcome::NoText,
        Ok(Some((kind, mut x))) => {
            let mut note = String::new();
            if x.truncated || x.text.chars().count() > MAX_CHARS {
                x.text = x.text.chars().take(MAX_CHARS).collect();
                note = format!("only the first {MAX_CHARS} characters are searchable");
            }
            let body = x.searchable();
            if body.trim().is_empty() {
                // A scanned PDF has pages but no text layer.
                Outcome::Failed(format!(
                    "no text in this {} (a scan needs OCR)",
                    kind.as_str().to_uppercase()
                ))
            } else {
                Outcome::Text { body, note }
            }
        }
        Err(e) => Outcome::Failed(e),
    }
}

/// Reads a PDF's text in `lexops extract-text` (the program in `--extract-exe`, this binary by
/// default): bytes in on stdin, text out on stdout, killed after the time limit.
async fn pdf_in_child(app: &App, bytes: &[u8]) -> Result<String, String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let exe = app
        .settings
        .extract_exe
        .clone()
        .or_else(|| std::env::current_exe().ok())
        .ok_or("no program to read PDF text with")?;
    let mut child = tokio::process::Command::new(exe)
        .args(["extract-text", "--kind", "pdf"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("the PDF reader did not start: {e}"))?;
    let mut stdin = child.stdin.take().ok_or("no stdin")?;
    let mut stdout = child.stdout.take().ok_or("no stdout")?;
    let mut stderr = child.stderr.take().ok_or("no stderr")?;
    let input = bytes.to_vec();
    let work = async move {
        let write = async move {
            let _ = stdin.write_all(&input).await;
            drop(stdin);
        };
        let mut out = Vec::new();
        let mut err = Vec::new();
        let mut out_reader = (&mut stdout).take((MAX_CHARS * 4 + 1024) as u64);
        let mut err_reader = (&mut stderr).take(4096);
        let (_, o, e) = tokio::join!(
            write,
            out_reader.read_to_end(&mut out),
            err_reader.read_to_end(&mut err)
        );
        o.map_err(|e| e.to_string())?;
        e.map_err(|e| e.to_string())?;
        let status = child.wait().await.map_err(|e| e.to_string())?;
        Ok::<_, String>((status, out, err))
    };
    let timeout = Duration::from_secs(app.settings.extract_timeout_secs.max(1));
    match tokio::time::timeout(timeout, work).await {
        Err(_) => Err(format!(
            "reading the PDF took longer than {} s and was stopped",
            timeout.as_secs()
        )),
        Ok(Err(e)) => Err(format!("the PDF reader failed: {e}")),
        Ok(Ok((status, out, err))) => {
            if status.success() {
                Ok(String::from_utf8_lossy(&out).into_owned())
            } else {
                let msg = String::from_utf8_lossy(&err);
                let first = msg
                    .lines()
                    .find(|l| l.starts_with("error: "))
                    .map(|l| l.trim_start_matches("error: ").to_string());
                Err(first.unwrap_or_else(|| {
                    "the PDF reader stopped on this file (malformed or too large)".into()
                }))
            }
        }
    }
}

/// `lexops extract-text --kind KIND`: reads a document on stdin, writes its text on stdout,
/// under limits of its own (2 GiB of address space, 60 s of CPU) so a hostile file ends this
/// process and nothing else.
pub fn extract_main(kind: &str) -> i32 {
    use std::io::{Read, Write};
    let _ = rlimit::setrlimit(rlimit::Resource::AS, 2 << 30, 2 << 30);
    let _ = rlimit::setrlimit(rlimit::Resource::CPU, 60, 60);
    let Some(kind) = evidence::Kind::parse(kind) else {
        eprintln!("error: unknown kind {kind}: pdf, docx, email or text");
        return 2;
    };
    let mut bytes = Vec::new();
    if let Err(e) = std::io::stdin().take(1 << 30).read_to_end(&mut bytes) {
        eprintln!("error: {e}");
        return 2;
    }
    let limits = evidence::Limits {
        max_chars: MAX_CHARS,
        ..Default::default()
    };
    let text = match kind {
        evidence::Kind::Pdf => evidence::pdf_text(&bytes),
        k => evidence::extract(k, &bytes, &limits).map(|x| x.searchable()),
    };
    match text {
        Ok(t) => {
            let _ = std::io::stdout().write_all(t.as_bytes());
            0
        }
        Err(e) => {
            eprintln!("error: {e}");
            2
        }
    }
}

/// A record's text as indexed (for the preview), and its state and note.
pub async fn text_of(app: &App, record_id: i64) -> Result<Option<String>, AppError> {
    Ok(
        sqlx::query_scalar("SELECT body FROM record_text WHERE rowid = $1 AND body <> ''")
            .bind(record_id)
            .fetch_optional(app.db.pool())
            .await?,
    )
}
