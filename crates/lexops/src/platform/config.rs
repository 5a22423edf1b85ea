//! Settings: every option is a CLI flag that is also read from a `LEXOPS_*` environment
//! variable (clap's `env`), with defaults that run lexops on an embedded SQLite database and
//! local files under `./lexops-data`. Secrets are redacted in `Debug`.

use std::fmt;
use std::path::{Path, PathBuf};

/// Settings shared by every command that opens the lexops data.
#[derive(Clone, clap::Args)]
pub struct Settings {
    /// Directory for the SQLite database, the document store and the master key.
    #[arg(
        long,
        env = "LEXOPS_DATA_DIR",
        default_value = "./lexops-data",
        global = true
    )]
    pub data_dir: PathBuf,
    /// Database URL: `sqlite://PATH` or `postgres://USER@HOST:PORT/DB`. Default: SQLite in the data directory.
    #[arg(long, env = "LEXOPS_DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// The master key (64 hex characters) that wraps every document key. Default: read from
    /// `--master-key-file`, created on first start.
    #[arg(long, env = "LEXOPS_MASTER_KEY", hide_env_values = true, global = true)]
    pub master_key: Option<String>,
    /// File holding the master key. Default: `DATA_DIR/master.key`. Keep a copy apart from backups.
    #[arg(long, env = "LEXOPS_MASTER_KEY_FILE", global = true)]
    pub master_key_file: Option<PathBuf>,
    /// SMTP server for outgoing mail, e.g. `smtp://user:pass@mail.example.com:587?tls=required`
    /// or `smtp://127.0.0.1:2525` (no TLS). Without it mail stays queued in the outbox.
    #[arg(long, env = "LEXOPS_SMTP_URL", hide_env_values = true, global = true)]
    pub smtp_url: Option<String>,
    /// Sender address of outgoing mail.
    #[arg(
        long,
        env = "LEXOPS_MAIL_FROM",
        default_value = "lexops <lexops@localhost>",
        global = true
    )]
    pub mail_from: String,
    /// The address users reach lexops at (for links in mail). An `https://` URL also turns on
    /// the `Secure` flag of cookies.
    #[arg(long, env = "LEXOPS_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,
    /// Minutes of inactivity after which a session ends.
    #[arg(
        long,
        env = "LEXOPS_SESSION_IDLE_MINUTES",
        default_value_t = 30,
        global = true
    )]
    pub session_idle_minutes: u32,
    /// Hours after sign-in after which a session ends, active or not.
    #[arg(
        long,
        env = "LEXOPS_SESSION_ABSOLUTE_HOURS",
        default_value_t = 12,
        global = true
    )]
    pub session_absolute_hours: u32,
    /// Log format: `text` or `json`.
    #[arg(long, env = "LEXOPS_LOG_FORMAT", default_value = "text", global = true)]
    pub log_format: String,
    /// The program that reads PDF text in a child process (`PROGRAM extract-text --kind pdf`).
    /// Default: this lexops binary.
    #[arg(long, env = "LEXOPS_EXTRACT_EXE", global = true)]
    pub extract_exe: Option<PathBuf>,
    /// Seconds a document's text may take to read before the reader is stopped.
    #[arg(
        long,
        env = "LEXOPS_EXTRACT_TIMEOUT_SECS",
        default_value_t = 60,
        global = true
    )]
    pub extract_timeout_secs: u64,
}

impl Settings {
    /// Settings for a data directory with every other option at its default.
    pub fn for_data_dir(dir: &Path) -> Settings {
        Settings {
            data_dir: dir.to_path_buf(),
            database_url: None,
            master_key: None,
            master_key_file: None,
            smtp_url: None,
            mail_from: "lexops <lexops@localhost>".into(),
            public_url: None,
            session_idle_minutes: 30,
            session_absolute_hours: 12,
            log_format: "text".into(),
            extract_exe: None,
            extract_timeout_secs: 60,
        }
    }

    /// The database URL in force.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(u) => u.clone(),
            None => format!("sqlite://{}", self.data_dir.join("lexops.db").display()),
        }
    }

    /// Where the master key file is.
    pub fn master_key_path(&self) -> PathBuf {
        self.master_key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("master.key"))
    }

    /// Whether cookies get the `Secure` flag.
    pub fn secure_cookies(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"))
    }

    /// Base URL for links in mail.
    pub fn public_base(&self) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| "http://127.0.0.1:8080".into())
            .trim_end_matches('/')
            .to_string()
    }
}

/// Hides the password of a URL (`postgres://u:secret@h/db` → `postgres://u:***@h/db`).
pub fn redact_url(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://")
        && let Some((creds, host)) = rest.split_once('@')
    {
        let user = creds.split(':').next().unwrap_or("");
        if creds.contains(':') {
            return format!("{scheme}://{user}:***@{host}");
        }
    }
    url.to_string()
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("data_dir", &self.data_dir)
            .field(
                "database_url",
                &self.database_url.as_deref().map(redact_url),
            )
            .field(
                "master_key",
                &self.master_key.as_ref().map(|_| "<redacted>"),
            )
            .field("master_key_file", &self.master_key_file)
            .field("smtp_url", &self.smtp_url.as_deref().map(redact_url))
            .field("mail_from", &self.mail_from)
            .field("public_url", &self.public_url)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_show_in_debug() {
        let mut s = Settings::for_data_dir(Path::new("/tmp/x"));
        s.master_key = Some("ab".repeat(32));
        s.smtp_url = Some("smtp://mailer:hunter2@mail:587".into());
        s.database_url = Some("postgres://app:s3cret@db/lexops".into());
        let d = format!("{s:?}");
        assert!(!d.contains("hunter2") && !d.contains("s3cret") && !d.contains(&"ab".repeat(32)));
        assert!(d.contains("mailer:***@mail"));
    }

    #[test]
    fn default_database_is_sqlite_in_the_data_dir() {
        let s = Settings::for_data_dir(Path::new("/srv/lexops"));
        assert_eq!(s.database_url(), "sqlite:///srv/lexops/lexops.db");
        assert!(!s.secure_cookies());
    }
}
