//! Disposition: a sweep (daily job, or on demand, or as a dry run) puts the records past their
//! date on the review list; an authorised reviewer approves (destroy or transfer, as the
//! category says) or defers each; destruction crypto-shreds the content (its wrapped data key
//! is deleted, then its bytes) unless another live record or an invoice holds the same bytes,
//! and every approval produces a certificate of destruction. A record under a legal hold is
//! never put on the list and never destroyed: [`approve`] checks the holds inside the
//! transaction that destroys.

use serde::Serialize;
use serde_json::json;

use super::holds::{HELD, holds_on};
use crate::App;
use crate::platform::access::CurrentUser;
use crate::platform::audit::{self, Change};
use crate::platform::db::Tx;
use crate::platform::error::AppError;

/// A record being disposed of, with its category's rule (as stored).
type DisposedRow = (
    String,
    String,
    i64,
    String,
    String,
    Option<String>,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
);

/// What a sweep found.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SweepReport {
    /// Records past their date put on the review list (or that would be, in a dry run).
    pub listed_count: i64,
    /// The first of them: (id, title, due on).
    pub listed: Vec<(i64, String, String)>,
    /// Records past their date kept off the list by a hold.
    pub held_count: i64,
    /// The first of them: (id, title, hold names).
    pub held: Vec<(i64, String, String)>,
    /// Deferred items whose deferral ended, back on the list.
    pub returned: usize,
    pub dry_run: bool,
}

fn today(app: &App) -> String {
    app.clock
        .now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date()
        .to_string()
}

/// How many records of each kind a report names (the counts are always whole).
const SAMPLE: i64 = 200;

/// Finds the records past their date that are not on the review list yet and lists them in one
/// statement, leaving out those under a hold (nothing is written when `dry_run`).
pub async fn sweep(app: &App, dry_run: bool) -> Result<SweepReport, AppError> {
    let today = today(app);
    let now = app.clock.now_text();
    // `NOT IN` (a set built once), not `NOT EXISTS`: PostgreSQL planned the anti-join as a scan
    // of disposition_items per record, which the insert below grows as it goes (7 minutes for
    // 200k records instead of a second).
    let due = "r.status = 'active' AND r.due_state = 'scheduled' AND r.due_on <= $1 AND r.category_id IS NOT NULL \
         AND r.id NOT IN (SELECT d.record_id FROM disposition_items d WHERE d.state IN ('pending','deferred'))";
    let mut tx = app.db.begin().await?;
    if app.db.backend() == crate::platform::db::Backend::Postgres {
        // The per-record hold checks make the planner's cost estimate huge, which turns on JIT
        // compilation: 0.44 s of a 0.88 s count over a million records went to compiling it.
        // Off for this transaction only.
        sqlx::query("SET LOCAL jit = off").execute(&mut *tx).await?;
    }
    let mut report = SweepReport {
        dry_run,
        ..Default::default()
    };
    // Every due record is either listed or held: the held ones are counted as the difference
    // between the due and the listed, and only a sample of them is read, with the holds that
    // keep each — no second pass of the hold checks over every due record.
    let count_due = "SELECT COUNT(*) FROM records r WHERE {due}".replace("{due}", due);
    let held: Vec<(i64, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT r.id, r.title FROM records r WHERE {due} AND {HELD} ORDER BY r.due_on, r.id LIMIT {SAMPLE}"
    )))
    .bind(&today)
    .fetch_all(&mut *tx)
    .await?;
    for (id, title) in held {
        let names = holds_on(&mut tx, id)
            .await?
            .into_iter()
            .map(|(_, n)| n)
            .collect::<Vec<_>>()
            .join(", ");
        report.held.push((id, title, names));
    }
    if dry_run {
        let due_count: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(count_due))
            .bind(&today)
            .fetch_one(&mut *tx)
            .await?;
        report.listed_count = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM records r WHERE {due} AND NOT {HELD}"
        )))
        .bind(&today)
        .fetch_one(&mut *tx)
        .await?;
        report.held_count = due_count - report.listed_count;
        report.listed = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT r.id, r.title, r.due_on FROM records r WHERE {due} AND NOT {HELD} LIMIT {SAMPLE}"
        )))
        .bind(&today)
        .fetch_all(&mut *tx)
        .await?;
        tx.rollback().await?;
        return Ok(report);
    }
    let (due_count, listed): (i64, i64) = match app.db.backend() {
        // One pass over the due records that counts them and lists the unheld ones (a
        // data-modifying CTE: 170 ms less than a count and then the insert, on a million records).
        crate::platform::db::Backend::Postgres => {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "WITH due AS (SELECT r.id, r.due_on, c.disposition, {HELD} AS held FROM records r \
                   JOIN record_categories c ON c.id = r.category_id WHERE {due}), \
                 listed AS (INSERT INTO disposition_items (record_id, found_at, due_on, action) \
                   SELECT id, $2, due_on, disposition FROM due WHERE NOT held RETURNING 1) \
                 SELECT (SELECT COUNT(*) FROM due), (SELECT COUNT(*) FROM listed)"
            )))
            .bind(&today)
            .bind(&now)
            .fetch_one(&mut *tx)
            .await?
        }
        crate::platform::db::Backend::Sqlite => {
            let due_count: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(count_due))
                .bind(&today)
                .fetch_one(&mut *tx)
                .await?;
            let listed = sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO disposition_items (record_id, found_at, due_on, action) \
                 SELECT r.id, $2, r.due_on, c.disposition FROM records r JOIN record_categories c ON c.id = r.category_id WHERE {due} AND NOT {HELD}"
            )))
            .bind(&today)
            .bind(&now)
            .execute(&mut *tx)
            .await?
            .rows_affected() as i64;
            (due_count, listed)
        }
    };
    report.listed_count = listed;
    report.held_count = due_count - listed;
    report.listed = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT r.id, r.title, d.due_on FROM disposition_items d JOIN records r ON r.id = d.record_id \
         WHERE d.found_at = $1 AND d.state = 'pending' ORDER BY d.due_on, d.record_id LIMIT {SAMPLE}"
    )))
    .bind(&now)
    .fetch_all(&mut *tx)
    .await?;
    report.returned = sqlx::query(
        "UPDATE disposition_items SET state = 'pending' WHERE state = 'deferred' AND deferred_until <= $1",
    )
    .bind(&today)
    .execute(&mut *tx)
    .await?
    .rows_affected() as usize;
    audit::record(
        &mut tx,
        &now,
        &crate::platform::audit::Actor::system("disposition sweep"),
        Change {
            action: "disposition.sweep",
            object_type: "disposition",
            object_id: today.clone(),
            before: None,
            after: Some(json!({"listed": report.listed_count, "held": report.held_count, "returned": report.returned})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(report)
}

/// The daily sweep job: sweeps, then queues tomorrow's.
pub async fn sweep_job(
    app: App,
    _job: crate::platform::jobs::Job,
) -> crate::platform::jobs::JobResult {
    sweep(&app, false).await.map_err(|e| e.to_string())?;
    schedule_next(&app, 1).await.map_err(|e| e.to_string())
}

/// Queues the sweep `days_ahead` days from today at 02:00 UTC (today: now), once per day.
pub async fn schedule_next(app: &App, days_ahead: i64) -> Result<(), sqlx::Error> {
    crate::platform::jobs::schedule_daily(app, "records.sweep", days_ahead).await
}

/// An item of the review list.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct Item {
    pub id: i64,
    pub record_id: i64,
    pub title: String,
    pub category_code: String,
    pub category_title: String,
    pub due_on: String,
    pub action: String,
    pub state: String,
    pub deferred_until: Option<String>,
    pub note: String,
}

/// The review list (pending first, then deferred), as `viewer` may see it (records of a walled
/// matter only for those on its wall; `None`: the operator).
pub async fn items(app: &App, viewer: Option<&CurrentUser>) -> Result<Vec<Item>, AppError> {
    let sql = format!(
        "SELECT d.id, d.record_id, r.title, c.code AS category_code, c.title AS category_title, d.due_on, d.action, d.state, d.deferred_until, d.note \
         FROM disposition_items d JOIN records r ON r.id = d.record_id JOIN record_categories c ON c.id = r.category_id \
         WHERE d.state IN ('pending','deferred'){} ORDER BY d.state DESC, d.due_on, d.id",
        crate::platform::access::visible_sql_for(viewer, "matter", "r.matter_id", 1)
    );
    let q = sqlx::query_as::<_, Item>(sqlx::AssertSqlSafe(sql));
    Ok(match viewer {
        Some(u) => q.bind(u.id),
        None => q,
    }
    .fetch_all(app.db.pool())
    .await?)
}

/// Records who decided an item and when (its latest decision: a deferral, then an approval).
async fn decided(tx: &mut Tx, item: i64, user_id: i64, now: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO disposition_decisions (item_id, decided_by, decided_at) VALUES ($1, $2, $3) \
         ON CONFLICT (item_id) DO UPDATE SET decided_by = excluded.decided_by, decided_at = excluded.decided_at",
    )
    .bind(item)
    .bind(user_id)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Defers items until a date, with a reason.
pub async fn defer(
    app: &App,
    user: &CurrentUser,
    ids: &[i64],
    until: &str,
    note: &str,
) -> Result<(), AppError> {
    let until = until
        .trim()
        .parse::<jiff::civil::Date>()
        .map_err(|_| AppError::field("until", "Give the date to review again (YYYY-MM-DD)."))?;
    if until.to_string() <= today(app) {
        return Err(AppError::field("until", "Defer to a later day."));
    }
    if note.trim().is_empty() {
        return Err(AppError::field(
            "note",
            "Say why the record is kept longer.",
        ));
    }
    let now = app.clock.now_text();
    let mut tx = app.db.begin().await?;
    for id in ids {
        let n = sqlx::query(
            "UPDATE disposition_items SET state = 'deferred', deferred_until = $1, note = $2 WHERE id = $3 AND state = 'pending'",
        )
        .bind(until.to_string())
        .bind(note.trim())
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(AppError::Conflict(format!("item {id} is not pending")));
        }
        decided(&mut tx, *id, user.id, &now).await?;
        audit::record(
            &mut tx,
            &now,
            &user.actor(),
            Change {
                action: "disposition.defer",
                object_type: "disposition_item",
                object_id: id.to_string(),
                before: None,
                after: Some(json!({"until": until.to_string(), "note": note.trim()})),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Approves items: each record is destroyed (or transferred) as its category says, and one
/// certificate lists them all. All or nothing: if any record is under a hold, or any item is
/// not pending, nothing changes and the error names the record and the hold.
pub async fn approve(app: &App, user: &CurrentUser, ids: &[i64]) -> Result<i64, AppError> {
    if ids.is_empty() {
        return Err(AppError::field(
            "items",
            "Choose the records to dispose of.",
        ));
    }
    let now = app.clock.now_text();
    let mut tx = app.db.begin().await?;
    let mut lines = vec![];
    let mut shred = vec![];
    for id in ids {
        let item: Option<(i64, String, String)> =
            sqlx::query_as("SELECT record_id, action, state FROM disposition_items WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        let Some((record_id, action, state)) = item else {
            return Err(AppError::NotFound(format!("disposition item {id}")));
        };
        if state != "pending" {
            return Err(AppError::Conflict(format!("item {id} is not pending")));
        }
        let holds = holds_on(&mut tx, record_id).await?;
        if let Some((hold_id, name)) = holds.first() {
            return Err(AppError::Conflict(format!(
                "record {record_id} is under legal hold {hold_id} ({name}) and cannot be destroyed; nothing was disposed of"
            )));
        }
        let (title, filename, size, sha, created_on, due_on, code, ctitle, trigger, period, cutoff, disposition, citation): DisposedRow = sqlx::query_as(
            "SELECT r.title, r.filename, r.size, r.sha256, r.created_on, r.due_on, c.code, c.title, c.trigger_event, c.period, c.cutoff, c.disposition, c.citation \
             FROM records r JOIN record_categories c ON c.id = r.category_id WHERE r.id = $1 AND r.status = 'active'",
        )
        .bind(record_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| AppError::Conflict(format!("record {record_id} is no longer active")))?;
        let (new_status, item_state) = if action == "transfer" {
            ("transferred", "transferred")
        } else {
            ("destroyed", "destroyed")
        };
        sqlx::query("UPDATE records SET status = $1 WHERE id = $2")
            .bind(new_status)
            .bind(record_id)
            .execute(&mut *tx)
            .await?;
        // Its words leave the search index with it.
        super::text::forget(&mut tx, record_id).await?;
        sqlx::query("UPDATE disposition_items SET state = $1 WHERE id = $2")
            .bind(item_state)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        decided(&mut tx, *id, user.id, &now).await?;
        // The bytes of every version go unless something live still holds the same content.
        let earlier: Vec<String> = sqlx::query_scalar(
            "SELECT sha256 FROM record_versions WHERE record_id = $1 ORDER BY version",
        )
        .bind(record_id)
        .fetch_all(&mut *tx)
        .await?;
        let mut kept_elsewhere = 0i64;
        let mut shas = vec![sha.clone()];
        for v in &earlier {
            if !shas.contains(v) {
                shas.push(v.clone());
            }
        }
        for s in &shas {
            let others: i64 = sqlx::query_scalar(
                "SELECT (SELECT COUNT(*) FROM records WHERE sha256 = $1 AND status = 'active') \
                 + (SELECT COUNT(*) FROM record_versions v JOIN records r2 ON r2.id = v.record_id WHERE v.sha256 = $1 AND r2.status = 'active') \
                 + (SELECT COUNT(*) FROM invoices WHERE source_sha256 = $1) + (SELECT COUNT(*) FROM ap_exports WHERE file_sha256 = $1) \
                 + (SELECT COUNT(*) FROM contract_versions WHERE sha256 = $1)",
            )
            .bind(s)
            .fetch_one(&mut *tx)
            .await?;
            if new_status == "transferred" {
                continue;
            }
            if others == 0 {
                if !shred.contains(s) {
                    sqlx::query("DELETE FROM blobs WHERE sha256 = $1")
                        .bind(s)
                        .execute(&mut *tx)
                        .await?;
                    shred.push(s.clone());
                }
            } else if *s == sha {
                kept_elsewhere = others;
            }
        }
        let versions_note = if earlier.is_empty() {
            String::new()
        } else {
            format!(", with its {} earlier version(s)", earlier.len())
        };
        let content = if new_status == "transferred" {
            "transferred to the archive".to_string()
        } else if kept_elsewhere == 0 {
            format!("destroyed (data key deleted, bytes removed){versions_note}")
        } else {
            format!(
                "record destroyed{versions_note}; the same bytes are still held by {kept_elsewhere} live document(s)"
            )
        };
        let rule = retention::RetentionRule {
            trigger: retention::Trigger::parse(&trigger)
                .map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?,
            period: retention::Period::parse(&period)
                .map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?,
            cutoff: retention::Cutoff::parse(&cutoff)
                .map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?,
            action: retention::Disposition::parse(&disposition)
                .map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?,
        };
        lines.push(json!({
            "record_id": record_id, "title": title, "filename": filename, "size": size, "sha256": sha,
            "category": format!("{code} {ctitle}"), "rule": rule.describe(), "citation": citation,
            "created_on": created_on, "due_on": due_on, "action": action, "content": content,
            "earlier_versions_sha256": earlier,
        }));
        audit::record(
            &mut tx,
            &now,
            &user.actor(),
            Change {
                action: if new_status == "transferred" {
                    "record.transfer"
                } else {
                    "record.destroy"
                },
                object_type: "record",
                object_id: record_id.to_string(),
                before: Some(json!({"status": "active"})),
                after: Some(json!({"status": new_status, "sha256": sha, "content": content})),
            },
        )
        .await?;
    }
    let body = json!({
        "issued_at": now, "approved_by": {"id": user.id, "name": user.name, "email": user.email},
        "records": lines,
    });
    let text = body.to_string();
    let sha = blobstore::BlobStore::digest(text.as_bytes());
    let cert: i64 = sqlx::query_scalar(
        "INSERT INTO disposition_certificates (created_at, approved_by, records, body_json, sha256) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(&now)
    .bind(user.id)
    .bind(ids.len() as i64)
    .bind(&text)
    .bind(&sha)
    .fetch_one(&mut *tx)
    .await?;
    for id in ids {
        sqlx::query("UPDATE disposition_decisions SET certificate_id = $1 WHERE item_id = $2")
            .bind(cert)
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    audit::record(
        &mut tx,
        &now,
        &user.actor(),
        Change {
            action: "disposition.certificate",
            object_type: "disposition_certificate",
            object_id: cert.to_string(),
            before: None,
            after: Some(json!({"records": ids.len(), "sha256": sha})),
        },
    )
    .await?;
    tx.commit().await?;
    // The data keys are gone with the commit; now the bytes.
    for sha in shred {
        app.blobs.delete(&sha).await?;
    }
    Ok(cert)
}

/// A certificate of destruction.
#[derive(Clone, Debug, Serialize)]
pub struct Certificate {
    pub id: i64,
    pub created_at: String,
    pub sha256: String,
    pub body: serde_json::Value,
}

/// One certificate.
pub async fn certificate(app: &App, id: i64) -> Result<Certificate, AppError> {
    let (created_at, body, sha256): (String, String, String) = sqlx::query_as(
        "SELECT created_at, body_json, sha256 FROM disposition_certificates WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(app.db.pool())
    .await?
    .ok_or_else(|| AppError::NotFound("certificate".into()))?;
    Ok(Certificate {
        id,
        created_at,
        sha256,
        body: serde_json::from_str(&body).map_err(anyhow::Error::from)?,
    })
}

/// A certificate of destruction as PDF: what was destroyed, under which category and rule,
/// its dates, content hashes and the approver, with the certificate's own SHA-256.
pub fn certificate_pdf(c: &Certificate) -> Vec<u8> {
    use crate::platform::pdf::{Block, Report};
    let s = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
    let rows = c.body["records"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|r| {
            vec![
                format!(
                    "#{} {}\n{} ({} bytes)",
                    r["record_id"],
                    s(&r["title"]),
                    s(&r["filename"]),
                    r["size"]
                ),
                format!(
                    "{}\n{}{}",
                    s(&r["category"]),
                    s(&r["rule"]),
                    if s(&r["citation"]).is_empty() {
                        String::new()
                    } else {
                        format!(" — {}", s(&r["citation"]))
                    }
                ),
                s(&r["created_on"]),
                s(&r["due_on"]),
                s(&r["content"]),
                s(&r["sha256"]),
            ]
        })
        .collect();
    Report {
        title: format!("Certificate of destruction {}", c.id),
        subtitle: format!(
            "Issued {} · approved by {} ({})",
            crate::platform::time::human(&c.created_at),
            s(&c.body["approved_by"]["name"]),
            s(&c.body["approved_by"]["email"])
        ),
        footer: format!("Certificate SHA-256 {}", c.sha256),
        blocks: vec![
            Block::Paragraph("The records below were destroyed by crypto-shredding: their data keys were deleted and their bytes removed from the document store, unless another live item held the same content (column Content). None was under a legal hold when it was destroyed.".into()),
            Block::Table {
                headers: ["Record", "Category and rule", "Created", "Due", "Content", "SHA-256"].map(String::from).to_vec(),
                widths: vec![2.4, 2.4, 1.1, 1.1, 1.6, 2.6],
                rows,
            },
        ],
    }
    .render()
}

/// Every certificate, newest first: (id, created_at, records).
pub async fn certificates(app: &App) -> Result<Vec<(i64, String, i64)>, AppError> {
    Ok(sqlx::query_as(
        "SELECT id, created_at, records FROM disposition_certificates ORDER BY id DESC",
    )
    .fetch_all(app.db.pool())
    .await?)
}
