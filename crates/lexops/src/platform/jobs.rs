//! Background jobs: a `jobs` table that survives restarts. A job has a kind, a JSON payload,
//! a run-at time, attempts with exponential back-off, and an optional unique key so the same
//! job is never queued twice while one is live. Workers claim a job by leasing it
//! (`locked_until`); a worker that crashes loses its lease and the job is claimed again.
//! Workers run inside `serve` and alone as `lexops worker`.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use jiff::SignedDuration;
use serde::Serialize;

use super::app::App;
use super::db::{Backend, Tx};
use super::time::fmt_ts;

/// How long a claimed job is leased before another worker may take it.
const LEASE: SignedDuration = SignedDuration::from_secs(300);

/// A job's outcome: `Err` is retried with back-off until `max_attempts`.
pub type JobResult = Result<(), String>;
type Handler =
    Arc<dyn Fn(App, Job) -> Pin<Box<dyn Future<Output = JobResult> + Send>> + Send + Sync>;

/// The job kinds this process can run.
#[derive(Clone, Default)]
pub struct Registry {
    handlers: HashMap<&'static str, Handler>,
}

impl Registry {
    /// Registers the handler of a job kind.
    pub fn register<F, Fut>(&mut self, kind: &'static str, f: F)
    where
        F: Fn(App, Job) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = JobResult> + Send + 'static,
    {
        self.handlers
            .insert(kind, Arc::new(move |app, job| Box::pin(f(app, job))));
    }
}

/// A claimed job.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub payload: String,
    pub unique_key: Option<String>,
    pub state: String,
    pub run_at: String,
    pub attempts: i64,
    pub max_attempts: i64,
    pub last_error: Option<String>,
    pub progress: i64,
    pub created_at: String,
    pub finished_at: Option<String>,
}

const COLUMNS: &str = "id, kind, payload, unique_key, state, run_at, attempts, max_attempts, last_error, progress, created_at, finished_at";

/// Queues a job inside the caller's transaction, so it exists if and only if the change that
/// caused it commits. Returns `None` when a live job with the same unique key exists.
pub async fn enqueue(
    tx: &mut Tx,
    now: &str,
    kind: &str,
    payload: &serde_json::Value,
    unique_key: Option<&str>,
    run_at: Option<&str>,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar::<_, i64>(
        "INSERT INTO jobs (kind, payload, unique_key, run_at, created_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(kind)
    .bind(payload.to_string())
    .bind(unique_key)
    .bind(run_at.unwrap_or(now))
    .bind(now)
    .fetch_optional(&mut **tx)
    .await
}

/// Queues the daily job `kind` for `days_ahead` days from today at 02:00 UTC (0: now), once per
/// day whatever the restarts (its unique key is the kind and the day). A daily job's handler
/// calls this with 1 when it is done.
pub async fn schedule_daily(app: &App, kind: &str, days_ahead: i64) -> Result<(), sqlx::Error> {
    let day = app
        .clock
        .now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date()
        .checked_add(jiff::Span::new().days(days_ahead))
        .unwrap_or(jiff::civil::Date::MAX);
    let now = app.clock.now_text();
    let run_at = if days_ahead == 0 {
        now.clone()
    } else {
        format!("{day}T02:00:00.000000Z")
    };
    let mut tx = app.db.begin().await?;
    enqueue(
        &mut tx,
        &now,
        kind,
        &serde_json::json!({}),
        Some(&format!("{kind}:{day}")),
        Some(&run_at),
    )
    .await?;
    tx.commit().await
}

/// Claims the next due job for `worker`, if any.
pub async fn claim(app: &App, worker: &str) -> Result<Option<Job>, sqlx::Error> {
    let now = app.clock.now();
    let now_text = fmt_ts(now);
    let lease = fmt_ts(now + LEASE);
    let pick = match app.db.backend() {
        Backend::Postgres => "FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    // A job whose worker lost its lease first, else the next queued one: two index-ordered
    // lookups on (state, run_at), so claiming stays O(log n) with 10,000 notices queued (one
    // query with an OR sorted every due job on every claim).
    let sql = format!(
        "UPDATE jobs SET state = 'running', attempts = attempts + 1, locked_by = $1, locked_until = $2 \
         WHERE id = COALESCE( \
           (SELECT id FROM jobs WHERE state = 'running' AND locked_until < $3 ORDER BY run_at, id LIMIT 1 {pick}), \
           (SELECT id FROM jobs WHERE state = 'queued' AND run_at <= $3 ORDER BY run_at, id LIMIT 1 {pick})) \
         RETURNING {COLUMNS}"
    );
    let mut tx = app.db.begin().await?;
    let job = sqlx::query_as::<_, Job>(sqlx::AssertSqlSafe(sql))
        .bind(worker)
        .bind(&lease)
        .bind(&now_text)
        .fetch_optional(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(job)
}

/// Records the outcome of a job run.
pub async fn finish(app: &App, job: &Job, result: &JobResult) -> Result<(), sqlx::Error> {
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    match result {
        Ok(()) => {
            sqlx::query("UPDATE jobs SET state = 'done', finished_at = $1, locked_by = NULL, locked_until = NULL, progress = 100, last_error = NULL WHERE id = $2")
                .bind(fmt_ts(now))
                .bind(job.id)
                .execute(&mut *tx)
                .await?;
        }
        Err(e) => {
            let dead = job.attempts >= job.max_attempts;
            // Back-off: 10 s, 20 s, 40 s, … capped at one hour.
            let delay =
                SignedDuration::from_secs((10i64 << (job.attempts - 1).clamp(0, 9)).min(3600));
            sqlx::query("UPDATE jobs SET state = $1, run_at = $2, last_error = $3, locked_by = NULL, locked_until = NULL, finished_at = $4 WHERE id = $5")
                .bind(if dead { "failed" } else { "queued" })
                .bind(fmt_ts(now + delay))
                .bind(e.chars().take(2000).collect::<String>())
                .bind(if dead { Some(fmt_ts(now)) } else { None })
                .bind(job.id)
                .execute(&mut *tx)
                .await?;
        }
    }
    tx.commit().await
}

/// Records a running job's progress (0–100), for progress bars.
pub async fn set_progress(app: &App, job_id: i64, pct: i64) -> Result<(), sqlx::Error> {
    let mut tx = app.db.begin().await?;
    sqlx::query("UPDATE jobs SET progress = $1 WHERE id = $2")
        .bind(pct.clamp(0, 100))
        .bind(job_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}

/// Runs one due job if there is one; returns whether one ran.
pub async fn run_one(app: &App, worker: &str) -> Result<bool, sqlx::Error> {
    let Some(job) = claim(app, worker).await? else {
        return Ok(false);
    };
    let result = match app.jobs.handlers.get(job.kind.as_str()).cloned() {
        Some(h) => {
            let fut = h(app.clone(), job.clone());
            match tokio::spawn(fut).await {
                Ok(r) => r,
                Err(e) => Err(format!("the job panicked: {e}")),
            }
        }
        None => Err(format!("no handler for job kind {}", job.kind)),
    };
    if let Err(e) = &result {
        tracing::warn!(job_id = job.id, kind = %job.kind, attempt = job.attempts, error = %e, "job failed");
    }
    finish(app, &job, &result).await?;
    Ok(true)
}

/// Runs every job that is due now (tests and `lexops worker --once`).
pub async fn drain(app: &App) -> Result<usize, sqlx::Error> {
    let mut n = 0;
    while run_one(app, "drain").await? {
        n += 1;
    }
    Ok(n)
}

/// Starts `n` worker loops that run until `shutdown` fires.
pub fn spawn_workers(
    app: &App,
    n: usize,
    shutdown: tokio::sync::watch::Receiver<bool>,
) -> Vec<tokio::task::JoinHandle<()>> {
    (0..n)
        .map(|i| {
            let app = app.clone();
            let mut stop = shutdown.clone();
            let name = format!("{}-{}", std::process::id(), i);
            tokio::spawn(async move {
                loop {
                    if *stop.borrow() {
                        break;
                    }
                    match run_one(&app, &name).await {
                        Ok(true) => continue,
                        Ok(false) => {}
                        Err(e) => {
                            tracing::warn!(error = %e, "job worker could not reach the database")
                        }
                    }
                    tokio::select! {
                        _ = app.job_wakeup.notified() => {}
                        _ = tokio::time::sleep(Duration::from_millis(1000)) => {}
                        _ = stop.changed() => {}
                    }
                }
            })
        })
        .collect()
}

/// Lists jobs, newest first.
pub async fn list(
    app: &App,
    state: &str,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Job>, i64), sqlx::Error> {
    let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE ($1 = '' OR state = $1)")
        .bind(state)
        .fetch_one(app.db.pool())
        .await?;
    let rows = sqlx::query_as::<_, Job>(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM jobs WHERE ($1 = '' OR state = $1) ORDER BY id DESC LIMIT $2 OFFSET $3"
    )))
    .bind(state)
    .bind(limit)
    .bind(offset)
    .fetch_all(app.db.pool())
    .await?;
    Ok((rows, total))
}
