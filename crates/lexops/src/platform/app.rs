//! The application state and its start-up: checks the data directory, opens and migrates the
//! database, loads the master key (refusing a wrong one), opens the document store and
//! registers the job handlers. Every failure is one sentence that says what to fix.

use std::path::Path;
use std::sync::Arc;

use blobstore::{BlobStore, MasterKey};

use super::config::{Settings, redact_url};
use super::db::Db;
use super::jobs::Registry;
use super::time::Clock;

/// Everything a request, a job or a command needs. Cheap to clone.
#[derive(Clone)]
pub struct App {
    pub settings: Arc<Settings>,
    pub db: Db,
    pub blobs: BlobStore,
    pub clock: Clock,
    pub jobs: Arc<Registry>,
    /// Woken when a job is queued in this process, so workers start at once.
    pub job_wakeup: Arc<tokio::sync::Notify>,
    /// The SMTP transport, built on first use and kept: its pool reuses connections, so a run
    /// of notices goes as fast as the server accepts (see `mail`).
    pub mailer: Arc<std::sync::OnceLock<super::mail::Transport>>,
    /// The contracts' search index, opened on first search (until it opens, the database
    /// answers).
    pub contract_index: Arc<tokio::sync::OnceCell<Arc<crate::contracts::index::ContractIndex>>>,
    master: Arc<MasterKey>,
}

/// Why lexops refused to start.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct StartError(pub String);

fn check_writable(dir: &Path) -> Result<(), StartError> {
    let fail = |e: std::io::Error| {
        StartError(format!(
            "The data directory {} is not writable ({e}): fix its permissions or choose another with --data-dir / LEXOPS_DATA_DIR.",
            dir.display()
        ))
    };
    std::fs::create_dir_all(dir).map_err(fail)?;
    let probe = dir.join(".lexops-write-test");
    std::fs::write(&probe, b"ok").map_err(fail)?;
    std::fs::remove_file(&probe).map_err(fail)?;
    Ok(())
}

fn load_master_key(settings: &Settings, may_create: bool) -> Result<MasterKey, StartError> {
    if let Some(hex) = &settings.master_key {
        return MasterKey::from_hex(hex).map_err(|e| {
            StartError(format!("The master key in LEXOPS_MASTER_KEY / --master-key is not valid ({e}): it must be 64 hexadecimal characters."))
        });
    }
    let path = settings.master_key_path();
    match std::fs::read_to_string(&path) {
        Ok(s) => MasterKey::from_hex(&s).map_err(|e| {
            StartError(format!("The master key file {} is not valid ({e}): it must hold 64 hexadecimal characters.", path.display()))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && may_create => {
            let key = MasterKey::generate();
            write_key_file(&path, &key).map_err(|e| {
                StartError(format!("Cannot write a new master key to {} ({e}): fix the permissions or set --master-key-file.", path.display()))
            })?;
            tracing::info!(path = %path.display(), key_id = %key.key_id(), "created a new master key; keep a copy apart from your backups");
            Ok(key)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(StartError(format!(
            "The master key file {} is missing, but this database was created with a master key: restore the key file or set LEXOPS_MASTER_KEY.",
            path.display()
        ))),
        Err(e) => Err(StartError(format!("Cannot read the master key file {} ({e}).", path.display()))),
    }
}

fn write_key_file(path: &Path, key: &MasterKey) -> std::io::Result<()> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    opts.mode(0o600);
    let mut f = opts.open(path)?;
    f.write_all(key.to_hex().as_bytes())?;
    f.write_all(b"\n")?;
    f.sync_all()
}

impl App {
    /// A key for `purpose` derived from the master key (signing links: never stored).
    pub fn derived_key(&self, purpose: &str) -> [u8; 32] {
        self.master.derive(purpose)
    }

    /// Opens lexops with these settings: checks, migrations, master key, document store.
    pub async fn open(settings: Settings) -> Result<App, StartError> {
        Self::open_with_clock(settings, Clock::default()).await
    }

    /// As [`App::open`], with a given clock (tests move it forward).
    pub async fn open_with_clock(settings: Settings, clock: Clock) -> Result<App, StartError> {
        check_writable(&settings.data_dir)?;
        let url = settings.database_url();
        let db = Db::connect(&url).await.map_err(|e| {
            StartError(format!(
                "Cannot open the database at {}: {}. Check --database-url / LEXOPS_DATABASE_URL and that the server is running.",
                redact_url(&url),
                root_cause(&e)
            ))
        })?;
        db.migrate().await.map_err(|e| {
            StartError(format!("Cannot bring the database schema up to date: {e}."))
        })?;
        rebuild_rollups_if_asked(&db)
            .await
            .map_err(|e| StartError(format!("Cannot rebuild the spend rollups: {e}.")))?;
        let stored_check = db
            .setting("master_key_check")
            .await
            .map_err(|e| StartError(format!("Cannot read the database settings: {e}.")))?;
        let master = load_master_key(&settings, stored_check.is_none())?;
        match &stored_check {
            Some(check) => {
                let ok = hex::decode(check)
                    .map(|v| master.verify_check_value(&v))
                    .unwrap_or(false);
                if !ok {
                    return Err(StartError(format!(
                        "The master key (id {}) is not the key this database was created with: set LEXOPS_MASTER_KEY or --master-key-file to the original key.",
                        master.key_id()
                    )));
                }
            }
            None => {
                let mut tx = db
                    .begin()
                    .await
                    .map_err(|e| StartError(format!("Cannot write to the database: {e}.")))?;
                super::db::set_setting(
                    &mut tx,
                    "master_key_check",
                    &hex::encode(master.check_value()),
                )
                .await
                .map_err(|e| StartError(format!("Cannot write to the database: {e}.")))?;
                super::db::set_setting(&mut tx, "master_key_id", &master.key_id())
                    .await
                    .map_err(|e| StartError(format!("Cannot write to the database: {e}.")))?;
                tx.commit()
                    .await
                    .map_err(|e| StartError(format!("Cannot write to the database: {e}.")))?;
            }
        }
        let blobs = BlobStore::local(&settings.data_dir.join("documents"), master.clone())
            .map_err(|e| {
                StartError(format!(
                    "Cannot open the document store under {}: {e}.",
                    settings.data_dir.display()
                ))
            })?;
        let mut jobs = Registry::default();
        jobs.register("mail.send", super::mail::send_job);
        jobs.register("records.sweep", crate::records::disposition::sweep_job);
        jobs.register("holds.notices", crate::records::notices::schedule_job);
        jobs.register(crate::contracts::dates::JOB, crate::contracts::dates::job);
        jobs.register(
            crate::contracts::dates::REFRESH_JOB,
            crate::contracts::dates::refresh_job,
        );
        jobs.register(crate::records::text::JOB, crate::records::text::job);
        Ok(App {
            settings: Arc::new(settings),
            db,
            blobs,
            clock,
            jobs: Arc::new(jobs),
            job_wakeup: Arc::new(tokio::sync::Notify::new()),
            mailer: Arc::default(),
            contract_index: Arc::default(),
            master: Arc::new(master),
        })
    }

    /// Encrypts a small secret (e.g. a TOTP seed) under the master key, as hex.
    pub fn seal_secret(&self, plain: &[u8]) -> String {
        hex::encode(self.master.seal(plain, b"lexops-secret"))
    }

    /// Decrypts a secret sealed by [`App::seal_secret`].
    pub fn open_secret(&self, sealed_hex: &str) -> Option<Vec<u8>> {
        let b = hex::decode(sealed_hex).ok()?;
        self.master.open(&b, b"lexops-secret")
    }

    /// Wakes the job workers of this process.
    pub fn wake_jobs(&self) {
        self.job_wakeup.notify_waiters();
    }
}

fn root_cause(e: &super::db::DbError) -> String {
    match e {
        super::db::DbError::Connect { reason, .. } => reason.clone(),
        other => other.to_string(),
    }
}

/// Rebuilds the spend rollups from the line items when a migration has asked for it (by the
/// setting `spend_rollups_rebuild`, after it changed their shape).
async fn rebuild_rollups_if_asked(db: &Db) -> Result<(), sqlx::Error> {
    if db.setting("spend_rollups_rebuild").await?.is_none() {
        return Ok(());
    }
    let mut tx = db.begin().await?;
    crate::spend::rollup::rebuild(&mut tx).await?;
    sqlx::query("DELETE FROM settings WHERE key = 'spend_rollups_rebuild'")
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}
