//! The database: SQLite (default, embedded) or PostgreSQL, chosen by URL. One way to query:
//! sqlx runtime queries through the `Any` driver with `$1`-style parameters (both backends
//! accept them), so module SQL is written once. Where the dialects differ, [`Db::backend`]
//! picks the text.
//!
//! SQLite runs in WAL mode with `synchronous=FULL` and `foreign_keys=ON`; writes go through a
//! single-connection write pool so that writers queue instead of failing with `SQLITE_BUSY`.
//! PostgreSQL uses one pool for both.

use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{Any, AnyPool, Transaction};

/// Which database engine is behind a [`Db`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Connection pools for reading and writing.
#[derive(Clone, Debug)]
pub struct Db {
    backend: Backend,
    read: AnyPool,
    write: AnyPool,
    /// SQLite: the task that checkpoints the write-ahead log, stopped when the last clone goes.
    _checkpoints: Option<Arc<Checkpoints>>,
}

/// Stops the checkpointing task when dropped.
#[derive(Debug)]
struct Checkpoints(tokio::task::JoinHandle<()>);

impl Drop for Checkpoints {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// How often the write-ahead log is checkpointed into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(200);

/// A write transaction.
pub type Tx = Transaction<'static, Any>;

/// Why the database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error(
        "unsupported database URL {0}: use sqlite://PATH or postgres://USER@HOST:PORT/DATABASE"
    )]
    UnsupportedUrl(String),
    #[error("cannot connect to the database at {url}: {reason}")]
    Connect { url: String, reason: String },
    #[error("cannot migrate the database schema: {0}")]
    Migrate(String),
    #[error(transparent)]
    Sql(#[from] sqlx::Error),
}

const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; \
     PRAGMA foreign_keys=ON; PRAGMA busy_timeout=15000;";
/// Set on the write connection only, after [`SQLITE_PRAGMAS`]: it leaves checkpoints to a task
/// (see [`Db::connect`]), and its page cache holds 16 MiB instead of SQLite's 2 MiB, so that a
/// long bulk transaction keeps its dirty pages until the commit instead of spilling them to the
/// log and writing them again (the spend import: write calls -28 %, read calls -43 %; a larger
/// cache changed nothing more).
const SQLITE_WRITER_PRAGMAS: &str = "PRAGMA wal_autocheckpoint=0; PRAGMA cache_size=-16384;";

impl Db {
    /// Opens the database at `url`, creating a SQLite file if needed.
    pub async fn connect(url: &str) -> Result<Db, DbError> {
        install_default_drivers();
        let redacted = super::config::redact_url(url);
        let fail = |e: sqlx::Error| DbError::Connect {
            url: redacted.clone(),
            reason: e.to_string(),
        };
        if url.starts_with("sqlite:") {
            let url = if url.contains('?') {
                url.to_string()
            } else {
                format!("{url}?mode=rwc")
            };
            let open = |n: u32, writer: bool| {
                AnyPoolOptions::new()
                    .max_connections(n)
                    .min_connections(1)
                    .acquire_timeout(Duration::from_secs(30))
                    // No ping before handing out a connection: an embedded connection does not
                    // go stale as a network one can, and the ping was a round trip to the
                    // connection's thread on every acquire (the intake's reads went from two
                    // round trips to one each).
                    .test_before_acquire(false)
                    .after_connect(move |conn, _| {
                        Box::pin(async move {
                            sqlx::raw_sql(SQLITE_PRAGMAS).execute(&mut *conn).await?;
                            if writer {
                                sqlx::raw_sql(SQLITE_WRITER_PRAGMAS).execute(conn).await?;
                            }
                            Ok(())
                        })
                    })
            };
            // The write pool opens first so that WAL mode is set before readers attach.
            // The writer never checkpoints the write-ahead log itself (SQLite would do it in the
            // commit that grows the log past 1,000 pages, copying the log into the database file
            // and syncing it while the writer waits): a task does it every CHECKPOINT_EVERY on a
            // reader's connection, alongside the writes (a passive checkpoint blocks no one).
            let write = open(1, true).connect(&url).await.map_err(fail)?;
            let read = open(8, false).connect(&url).await.map_err(fail)?;
            let pool = read.clone();
            let task = tokio::spawn(async move {
                let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    tick.tick().await;
                    if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                        .execute(&pool)
                        .await
                    {
                        tracing::warn!("cannot checkpoint the SQLite write-ahead log: {e}");
                    }
                }
            });
            Ok(Db {
                backend: Backend::Sqlite,
                read,
                write,
                _checkpoints: Some(Arc::new(Checkpoints(task))),
            })
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let pool = AnyPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect(url)
                .await
                .map_err(fail)?;
            Ok(Db {
                backend: Backend::Postgres,
                read: pool.clone(),
                write: pool,
                _checkpoints: None,
            })
        } else {
            Err(DbError::UnsupportedUrl(redacted))
        }
    }

    /// Brings the schema up to date with the migrations embedded in the binary.
    pub async fn migrate(&self) -> Result<(), DbError> {
        let m = match self.backend {
            Backend::Sqlite => sqlx::migrate!("migrations/sqlite"),
            Backend::Postgres => sqlx::migrate!("migrations/postgres"),
        };
        m.run(&self.write)
            .await
            .map_err(|e| DbError::Migrate(e.to_string()))
    }

    /// Which engine this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Refreshes the planner's statistics after a bulk load. PostgreSQL plans from them and
    /// only gathers them by autovacuum, a minute or more later (a fresh import planned as if its
    /// tables were empty made the dashboard 4–8× slower); SQLite plans well without them.
    pub async fn refresh_statistics(&self) -> Result<(), sqlx::Error> {
        if self.backend == Backend::Postgres {
            sqlx::query("ANALYZE").execute(&self.write).await?;
        }
        Ok(())
    }

    /// The pool for reads.
    pub fn pool(&self) -> &AnyPool {
        &self.read
    }

    /// Starts a write transaction.
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        self.write.begin().await
    }

    /// Checks that the database answers (for `/readyz`).
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.read).await.is_ok()
    }

    /// Closes every connection (graceful shutdown, backup).
    pub async fn close(&self) {
        self.read.close().await;
        self.write.close().await;
    }

    /// Reads a setting from the `settings` table.
    pub async fn setting(&self, key: &str) -> Result<Option<String>, sqlx::Error> {
        sqlx::query_scalar::<_, String>("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.read)
            .await
    }
}

/// Ids as the inside of an SQL `IN (…)` list (`1,2,3`): numbers only, so safe to format into a
/// statement, and one statement whatever the count (no limit on bound parameters).
pub fn id_list(ids: impl IntoIterator<Item = i64>) -> String {
    ids.into_iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// Numbered parameters `$first,…,$(first+n-1)` for an SQL `IN (…)` list of bound values.
pub fn params(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|k| format!("${k}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// The `VALUES` tuples of a multi-row statement: `rows` tuples of `cols` parameters. SQLite
/// gets anonymous `?` parameters: its lookup of numbered ones is linear per parameter, which
/// makes a 10,000-parameter statement quadratic; PostgreSQL gets `$1…$n`.
pub fn values(backend: Backend, rows: usize, cols: usize) -> String {
    let mut s = String::with_capacity(rows * cols * 4);
    for r in 0..rows {
        if r > 0 {
            s.push(',');
        }
        s.push('(');
        for c in 0..cols {
            if c > 0 {
                s.push(',');
            }
            match backend {
                Backend::Sqlite => s.push('?'),
                Backend::Postgres => {
                    s.push('$');
                    s.push_str(&(r * cols + c + 1).to_string());
                }
            }
        }
        s.push(')');
    }
    s
}

/// Writes that need no answer, sent together. On SQLite the statements go as one
/// multi-statement text with one argument list: one round trip to sqlx's worker thread instead
/// of one per statement (on this kind of machine each costs ~0.1–0.3 ms of thread wake-ups,
/// more than a small insert takes to run). On PostgreSQL, which takes one statement per
/// parameterised message, they run one after another. Either way they run in the caller's
/// transaction, in order, and the first error stops them.
///
/// A statement's parameters must be written with [`values`] or [`Batch::param`], never as a
/// literal `$n`: on SQLite a numbered parameter would index the whole batch's argument list.
pub struct Batch {
    backend: Backend,
    done: Vec<Sent>,
    sql: String,
    args: sqlx::any::AnyArguments,
    /// Statements in `sql` (SQLite).
    statements: usize,
    /// Whether `sql` is a statement begun by [`Batch::rows_prepared`], to be sent on its own.
    alone: bool,
    error: Option<sqlx::error::BoxDynError>,
}

/// One text sent to the database: its statements (several on SQLite) and their arguments.
struct Sent {
    sql: String,
    args: sqlx::any::AnyArguments,
    statements: usize,
    persistent: bool,
}

impl Batch {
    pub fn new(backend: Backend) -> Batch {
        Batch {
            backend,
            done: vec![],
            sql: String::new(),
            args: Default::default(),
            statements: 0,
            alone: false,
            error: None,
        }
    }

    /// The engine the statements are written for.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Starts the next statement.
    pub fn statement(&mut self, sql: &str) -> &mut Batch {
        match self.backend {
            Backend::Sqlite => {
                if self.alone {
                    self.finish_statement();
                }
                if !self.sql.is_empty() {
                    self.sql.push_str(";\n");
                }
                self.sql.push_str(sql);
                self.statements += 1;
            }
            Backend::Postgres => {
                self.finish_statement();
                self.sql.push_str(sql);
            }
        }
        self
    }

    /// Starts a multi-row statement: `head` (ending in `VALUES `) followed by [`values`] for
    /// `rows` tuples of `cols` parameters, which the caller then binds row by row.
    pub fn rows(&mut self, head: &str, rows: usize, cols: usize) -> &mut Batch {
        let mut sql = String::with_capacity(head.len() + rows * cols * 4);
        sql.push_str(head);
        sql.push_str(&values(self.backend, rows, cols));
        self.statement(&sql)
    }

    /// Like [`Batch::rows`], for a statement sent on its own and kept prepared. On SQLite,
    /// where the other statements go as one text parsed anew each time, parsing a long
    /// multi-row statement costs more than the extra round trip: worth it for a text that
    /// recurs, i.e. a fixed number of rows.
    pub fn rows_prepared(&mut self, head: &str, rows: usize, cols: usize) -> &mut Batch {
        self.finish_statement();
        self.rows(head, rows, cols);
        self.alone = true;
        self
    }

    /// The placeholder of the statement's `k`th parameter (from 1), for text built by hand.
    pub fn param(&self, k: usize) -> String {
        match self.backend {
            Backend::Sqlite => "?".into(),
            Backend::Postgres => format!("${k}"),
        }
    }

    /// `n` placeholders from the statement's `first`th parameter, separated by commas.
    pub fn params(&self, first: usize, n: usize) -> String {
        (first..first + n)
            .map(|k| self.param(k))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// How many statements were added.
    pub fn len(&self) -> usize {
        self.done.iter().map(|d| d.statements).sum::<usize>()
            + match self.backend {
                Backend::Sqlite => self.statements,
                Backend::Postgres => usize::from(!self.sql.is_empty()),
            }
    }

    /// Binds the current statement's next parameter.
    pub fn bind<'t, T>(&mut self, value: T) -> &mut Batch
    where
        T: sqlx::Encode<'t, sqlx::Any> + sqlx::Type<sqlx::Any>,
    {
        use sqlx::Arguments;
        if self.error.is_none()
            && let Err(e) = self.args.add(value)
        {
            self.error = Some(e);
        }
        self
    }

    /// Whether nothing was added.
    pub fn is_empty(&self) -> bool {
        self.done.is_empty() && self.sql.is_empty()
    }

    /// Ends the text being written. It is kept prepared if it is one statement: a text of
    /// several (SQLite) changes with every batch and is not worth a place in the statement
    /// cache.
    fn finish_statement(&mut self) {
        if !self.sql.is_empty() {
            let statements = match self.backend {
                Backend::Sqlite => self.statements,
                Backend::Postgres => 1,
            };
            self.done.push(Sent {
                sql: std::mem::take(&mut self.sql),
                args: std::mem::take(&mut self.args),
                statements,
                persistent: statements <= 1,
            });
        }
        self.statements = 0;
        self.alone = false;
    }

    /// Runs the statements in `conn` in order and returns each one's rows (one list per
    /// statement, empty for a statement that returns none).
    pub async fn fetch(
        mut self,
        conn: &mut sqlx::AnyConnection,
    ) -> Result<Vec<Vec<sqlx::any::AnyRow>>, sqlx::Error> {
        use futures_util::TryStreamExt;
        if let Some(e) = self.error {
            return Err(sqlx::Error::Encode(e));
        }
        self.finish_statement();
        let mut sets = vec![];
        for Sent {
            sql,
            args,
            persistent,
            ..
        } in self.done
        {
            let q = sqlx::query_with(sqlx::AssertSqlSafe(sql), args).persistent(persistent);
            // Each statement's rows, then its result (SQLite runs them all from one text).
            let mut stream = sqlx::Executor::fetch_many(&mut *conn, q);
            let mut rows = vec![];
            while let Some(step) = stream.try_next().await? {
                match step {
                    sqlx::Either::Left(_) => sets.push(std::mem::take(&mut rows)),
                    sqlx::Either::Right(row) => rows.push(row),
                }
            }
        }
        Ok(sets)
    }

    /// Runs the statements in `conn` (a transaction's connection), in order.
    pub async fn execute(mut self, conn: &mut sqlx::AnyConnection) -> Result<(), sqlx::Error> {
        if let Some(e) = self.error {
            return Err(sqlx::Error::Encode(e));
        }
        self.finish_statement();
        for Sent {
            sql,
            args,
            persistent,
            ..
        } in self.done
        {
            sqlx::query_with(sqlx::AssertSqlSafe(sql), args)
                .persistent(persistent)
                .execute(&mut *conn)
                .await?;
        }
        Ok(())
    }
}

/// Decodes rows (e.g. a [`Batch::fetch`] statement's) as `T`, a tuple of columns.
pub fn decode<T>(rows: &[sqlx::any::AnyRow]) -> Result<Vec<T>, sqlx::Error>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
{
    rows.iter().map(T::from_row).collect()
}

/// The engine behind a connection.
pub fn backend_of(conn: &sqlx::AnyConnection) -> Backend {
    if conn.backend_name().eq_ignore_ascii_case("sqlite") {
        Backend::Sqlite
    } else {
        Backend::Postgres
    }
}

/// Writes a setting inside a transaction.
pub async fn set_setting(tx: &mut Tx, key: &str, value: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO settings (key, value) VALUES ($1, $2) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )
    .bind(key)
    .bind(value)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Whether an error is a unique-constraint violation (for turning it into a field error).
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(d) => {
            d.is_unique_violation() || d.message().contains("UNIQUE constraint failed")
        }
        _ => false,
    }
}
