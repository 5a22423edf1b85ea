//! Authentication: Argon2id passwords, browser sessions, API tokens, login throttling and the
//! TOTP second factor.
//!
//! Sessions are random 256-bit tokens kept in a cookie; the database keeps only their SHA-256,
//! with idle and absolute timeouts. Signing in always issues a new token (id rotation), and a
//! user with a second factor first gets a session that can do nothing but enter the code.
//! API tokens (`lxp_…`) are stored the same way. Failed sign-ins are counted per email and per
//! address; the answer never says whether the account exists.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use jiff::SignedDuration;
use sha2::{Digest, Sha256};

use super::access::{CurrentUser, Role};
use super::db::{Db, Tx};
use super::time::{Clock, fmt_ts};

/// Cookie holding the session token.
pub const SESSION_COOKIE: &str = "lexops_session";
/// Failed sign-ins allowed per email or address in [`THROTTLE_WINDOW_MINUTES`].
pub const MAX_FAILURES: i64 = 5;
pub const THROTTLE_WINDOW_MINUTES: i64 = 15;
/// Minimum password length (NIST SP 800-63B recommends at least 8; we ask for 12).
pub const MIN_PASSWORD_LEN: usize = 12;

/// `n` random bytes as lowercase hex.
pub fn random_hex(n: usize) -> String {
    let mut b = vec![0u8; n];
    getrandom::fill(&mut b).expect("the operating system's random source failed");
    hex::encode(b)
}

/// SHA-256 of a token, as stored.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Hashes a password with Argon2id (PHC string with its own salt).
pub fn hash_password(pw: &str) -> String {
    Argon2::default()
        .hash_password(pw.as_bytes())
        .expect("argon2 hashing with default parameters cannot fail")
        .to_string()
}

/// Checks a password against a stored PHC string.
pub fn verify_password(pw: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(h) => Argon2::default().verify_password(pw.as_bytes(), &h).is_ok(),
        Err(_) => false,
    }
}

/// A hash of a random password, verified against when the account does not exist so that
/// a sign-in takes as long either way.
fn dummy_hash() -> &'static str {
    static H: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    H.get_or_init(|| hash_password(&random_hex(16)))
}

/// Checks a new password; returns what is wrong.
pub fn password_problem(pw: &str) -> Option<String> {
    if pw.chars().count() < MIN_PASSWORD_LEN {
        return Some(format!("Use at least {MIN_PASSWORD_LEN} characters."));
    }
    if pw.len() > 1024 {
        return Some("Use at most 1024 characters.".into());
    }
    None
}

#[derive(sqlx::FromRow)]
struct LoginRow {
    id: i64,
    password_hash: Option<String>,
    status: String,
    totp_enabled: i64,
    totp_required: i64,
}

/// What a password check leads to.
pub enum LoginOutcome {
    /// Signed in fully; start a session.
    Success {
        user_id: i64,
        needs_totp_setup: bool,
    },
    /// Password right; the second factor comes next.
    NeedsTotp { user_id: i64 },
    /// Wrong email or password (the same answer for both).
    Invalid,
    /// Too many failures recently.
    Throttled,
}

/// Checks an email and password, counting failures per email and per address.
pub async fn check_login(
    db: &Db,
    clock: &Clock,
    email: &str,
    password: &str,
    ip: &str,
) -> Result<LoginOutcome, sqlx::Error> {
    let email = email.trim().to_lowercase();
    let since = fmt_ts(clock.now() - SignedDuration::from_mins(THROTTLE_WINDOW_MINUTES));
    let subject_email = format!("email:{email}");
    let subject_ip = format!("ip:{ip}");
    let failures: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM login_failures WHERE (subject = $1 OR subject = $2) AND failed_at > $3",
    )
    .bind(&subject_email)
    .bind(&subject_ip)
    .bind(&since)
    .fetch_one(db.pool())
    .await?;
    // Per address the allowance is larger: several people may share an office's address.
    if failures >= MAX_FAILURES * 4 {
        return Ok(LoginOutcome::Throttled);
    }
    let email_failures: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM login_failures WHERE subject = $1 AND failed_at > $2",
    )
    .bind(&subject_email)
    .bind(&since)
    .fetch_one(db.pool())
    .await?;
    if email_failures >= MAX_FAILURES {
        return Ok(LoginOutcome::Throttled);
    }
    let row = sqlx::query_as::<_, LoginRow>(
        "SELECT id, password_hash, status, totp_enabled, totp_required FROM users WHERE email = $1",
    )
    .bind(&email)
    .fetch_optional(db.pool())
    .await?;
    let ok = match &row {
        Some(r) => {
            let pw = password.to_string();
            let phc = r
                .password_hash
                .clone()
                .unwrap_or_else(|| dummy_hash().to_string());
            let good = tokio::task::spawn_blocking(move || verify_password(&pw, &phc))
                .await
                .unwrap_or(false);
            good && r.password_hash.is_some() && r.status == "active"
        }
        None => {
            let pw = password.to_string();
            let _ = tokio::task::spawn_blocking(move || verify_password(&pw, dummy_hash())).await;
            false
        }
    };
    if !ok {
        let now = clock.now_text();
        let mut tx = db.begin().await?;
        for s in [&subject_email, &subject_ip] {
            sqlx::query("INSERT INTO login_failures (subject, failed_at) VALUES ($1, $2)")
                .bind(s)
                .bind(&now)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("DELETE FROM login_failures WHERE failed_at < $1")
            .bind(fmt_ts(clock.now() - SignedDuration::from_hours(24)))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        return Ok(LoginOutcome::Invalid);
    }
    let r = row.expect("checked above");
    let mut tx = db.begin().await?;
    sqlx::query("DELETE FROM login_failures WHERE subject = $1")
        .bind(&subject_email)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    if r.totp_enabled != 0 {
        Ok(LoginOutcome::NeedsTotp { user_id: r.id })
    } else {
        Ok(LoginOutcome::Success {
            user_id: r.id,
            needs_totp_setup: r.totp_required != 0,
        })
    }
}

/// Creates a session and returns its token (for the cookie). Any older session token the
/// browser had is not reused: signing in always rotates the id.
pub async fn create_session(
    db: &Db,
    clock: &Clock,
    user_id: i64,
    mfa_pending: bool,
    ip: &str,
    user_agent: &str,
) -> Result<String, sqlx::Error> {
    let token = random_hex(32);
    let now = clock.now_text();
    let mut tx = db.begin().await?;
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, mfa_pending, created_at, last_seen_at, ip, user_agent) VALUES ($1, $2, $3, $4, $4, $5, $6)",
    )
    .bind(token_hash(&token))
    .bind(user_id)
    .bind(mfa_pending as i64)
    .bind(&now)
    .bind(ip)
    .bind(user_agent.chars().take(200).collect::<String>())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(token)
}

/// Ends a session.
pub async fn delete_session(db: &Db, token: &str) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash(token))
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    user_id: i64,
    mfa_pending: i64,
    created_at: String,
    last_seen_at: String,
    email: String,
    name: String,
    role: String,
    status: String,
    totp_required: i64,
    totp_enabled: i64,
    vendor_id: Option<i64>,
}

/// A valid session and its user.
#[derive(Clone, Debug)]
pub struct Session {
    pub user: CurrentUser,
    /// Password given, second factor not yet.
    pub mfa_pending: bool,
    /// An admin requires a second factor and the user has none yet.
    pub must_enroll_totp: bool,
}

/// Loads the session of a token, enforcing the idle and absolute timeouts.
pub async fn load_session(
    db: &Db,
    clock: &Clock,
    token: &str,
    idle_minutes: u32,
    absolute_hours: u32,
) -> Result<Option<Session>, sqlx::Error> {
    let h = token_hash(token);
    let row = sqlx::query_as::<_, SessionRow>(
        "SELECT s.user_id, s.mfa_pending, s.created_at, s.last_seen_at, u.email, u.name, u.role, u.status, u.totp_required, u.totp_enabled, u.vendor_id \
         FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1",
    )
    .bind(&h)
    .fetch_optional(db.pool())
    .await?;
    let Some(r) = row else { return Ok(None) };
    let now = clock.now();
    let idle_limit = fmt_ts(now - SignedDuration::from_mins(idle_minutes as i64));
    let abs_limit = fmt_ts(now - SignedDuration::from_hours(absolute_hours as i64));
    let Some(role) = Role::parse(&r.role) else {
        return Ok(None);
    };
    if r.status != "active" || r.last_seen_at < idle_limit || r.created_at < abs_limit {
        let mut tx = db.begin().await?;
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(&h)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        return Ok(None);
    }
    // Touch at most once a minute: a write per request would throttle the whole server.
    if r.last_seen_at < fmt_ts(now - SignedDuration::from_secs(60)) {
        let mut tx = db.begin().await?;
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
            .bind(fmt_ts(now))
            .bind(&h)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
    }
    Ok(Some(Session {
        user: CurrentUser {
            id: r.user_id,
            email: r.email,
            name: r.name,
            role,
            via_token: false,
            vendor_id: r.vendor_id,
        },
        mfa_pending: r.mfa_pending != 0,
        must_enroll_totp: r.totp_required != 0 && r.totp_enabled == 0,
    }))
}

/// Marks the second factor as given: the pending session is replaced by a new, full one.
pub async fn complete_mfa(
    db: &Db,
    clock: &Clock,
    old_token: &str,
    user_id: i64,
    ip: &str,
    ua: &str,
) -> Result<String, sqlx::Error> {
    delete_session(db, old_token).await?;
    create_session(db, clock, user_id, false, ip, ua).await
}

/// A new API token: the secret is shown once; only its hash is stored.
pub struct NewToken {
    pub id: i64,
    pub secret: String,
}

/// Stores a new API token for a user (inside the caller's transaction).
pub async fn create_api_token(
    tx: &mut Tx,
    clock: &Clock,
    user_id: i64,
    name: &str,
    expires_days: Option<i64>,
) -> Result<NewToken, sqlx::Error> {
    let secret = format!("lxp_{}", random_hex(24));
    let expires = expires_days.map(|d| fmt_ts(clock.now() + SignedDuration::from_hours(24 * d)));
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO api_tokens (user_id, name, token_hash, prefix, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(user_id)
    .bind(name)
    .bind(token_hash(&secret))
    .bind(&secret[..12])
    .bind(clock.now_text())
    .bind(expires)
    .fetch_one(&mut **tx)
    .await?;
    Ok(NewToken { id, secret })
}

#[derive(sqlx::FromRow)]
struct TokenUser {
    token_id: i64,
    expires_at: Option<String>,
    last_used_at: Option<String>,
    user_id: i64,
    email: String,
    name: String,
    role: String,
    status: String,
    vendor_id: Option<i64>,
}

/// Resolves a bearer token to its user, if the token is live and the user active.
pub async fn user_for_token(
    db: &Db,
    clock: &Clock,
    secret: &str,
) -> Result<Option<CurrentUser>, sqlx::Error> {
    if !secret.starts_with("lxp_") || secret.len() > 100 {
        return Ok(None);
    }
    let row = sqlx::query_as::<_, TokenUser>(
        "SELECT t.id AS token_id, t.expires_at, t.last_used_at, u.id AS user_id, u.email, u.name, u.role, u.status, u.vendor_id \
         FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1 AND t.revoked_at IS NULL",
    )
    .bind(token_hash(secret))
    .fetch_optional(db.pool())
    .await?;
    let Some(r) = row else { return Ok(None) };
    let now = clock.now();
    if r.status != "active"
        || r.expires_at
            .as_deref()
            .is_some_and(|e| e < fmt_ts(now).as_str())
    {
        return Ok(None);
    }
    if r.last_used_at
        .as_deref()
        .is_none_or(|l| l < fmt_ts(now - SignedDuration::from_secs(60)).as_str())
    {
        let mut tx = db.begin().await?;
        sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
            .bind(fmt_ts(now))
            .bind(r.token_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
    }
    let Some(role) = Role::parse(&r.role) else {
        return Ok(None);
    };
    Ok(Some(CurrentUser {
        id: r.user_id,
        email: r.email,
        name: r.name,
        role,
        via_token: true,
        vendor_id: r.vendor_id,
    }))
}

/// TOTP (RFC 6238): SHA-1, 6 digits, 30-second steps, one step of clock skew allowed.
pub mod totp {
    use totp_rs::{Algorithm, Builder, Secret, Totp};

    /// A new random 160-bit secret, base32-encoded.
    pub fn new_secret() -> String {
        let mut b = [0u8; 20];
        getrandom::fill(&mut b).expect("the operating system's random source failed");
        Secret::from(b).to_base32()
    }

    fn totp(secret_b32: &str, account: &str) -> Option<Totp> {
        let secret = Secret::try_from_base32(secret_b32).ok()?;
        Builder::new()
            .with_algorithm(Algorithm::SHA1)
            .with_digits(6)
            .with_skew(1)
            .with_step_duration(30)
            .with_secret(secret)
            .with_issuer(Some("lexops"))
            .with_account_name(account)
            .build()
            .ok()
    }

    /// The `otpauth://` URL an authenticator app scans.
    pub fn provisioning_url(secret_b32: &str, account: &str) -> String {
        totp(secret_b32, account)
            .and_then(|t| t.to_url().ok())
            .unwrap_or_default()
    }

    /// Checks a code at `unix_secs` (one step of clock skew either way); returns the time step
    /// it matched, so that the caller can refuse a code used before (RFC 6238 §5.2).
    pub fn check(secret_b32: &str, code: &str, unix_secs: u64) -> Option<u64> {
        let code = code.trim().replace(' ', "");
        if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        totp(secret_b32, "x")?.check(&code, unix_secs)
    }

    /// The code for a moment (tests use it).
    pub fn code_at(secret_b32: &str, unix_secs: u64) -> String {
        totp(secret_b32, "x")
            .map(|t| t.generate(unix_secs).to_string())
            .unwrap_or_default()
    }

    /// The provisioning URL as an SVG QR code.
    pub fn qr_svg(url: &str) -> String {
        use qrcodegen::{QrCode, QrCodeEcc};
        let Ok(qr) = QrCode::encode_text(url, QrCodeEcc::Medium) else {
            return String::new();
        };
        let n = qr.size();
        let border = 2;
        let dim = n + border * 2;
        let mut path = String::new();
        for y in 0..n {
            for x in 0..n {
                if qr.get_module(x, y) {
                    path.push_str(&format!("M{},{}h1v1h-1z", x + border, y + border));
                }
            }
        }
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {dim} {dim}\" width=\"200\" height=\"200\" role=\"img\" aria-label=\"QR code for the authenticator app\" shape-rendering=\"crispEdges\"><rect width=\"100%\" height=\"100%\" fill=\"#fff\"/><path d=\"{path}\" fill=\"#000\"/></svg>"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_with_the_right_one() {
        let h = hash_password("correct horse battery");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("correct horse batterz", &h));
        assert!(!verify_password("x", "not a phc string"));
    }

    #[test]
    fn totp_accepts_current_and_adjacent_steps_only() {
        let s = totp::new_secret();
        let t = 1_800_000_000u64;
        let code = totp::code_at(&s, t);
        assert_eq!(totp::check(&s, &code, t), Some(t / 30));
        assert_eq!(totp::check(&s, &code, t + 30), Some(t / 30));
        assert_eq!(totp::check(&s, &code, t + 300), None);
        assert_eq!(totp::check(&s, "12345", t), None);
        assert!(totp::provisioning_url(&s, "a@b.c").starts_with("otpauth://totp/"));
        assert!(totp::qr_svg("otpauth://totp/x").contains("<svg"));
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(password_problem("short").is_some());
        assert!(password_problem("long enough password").is_none());
    }
}

/// An API token as listed to its owner (never the secret).
#[derive(Clone, Debug, serde::Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    /// The first characters of the token, to recognise it.
    pub prefix: String,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

/// A user's API tokens, newest first.
pub async fn list_tokens(db: &Db, user_id: i64) -> Result<Vec<ApiToken>, sqlx::Error> {
    sqlx::query_as::<_, ApiToken>(
        "SELECT id, name, prefix, created_at, expires_at, last_used_at, revoked_at FROM api_tokens WHERE user_id = $1 ORDER BY id DESC",
    )
    .bind(user_id)
    .fetch_all(db.pool())
    .await
}

/// Creates an API token for the acting user, audited. Returns the token's id and secret.
pub async fn issue_token(
    app: &super::app::App,
    user: &CurrentUser,
    name: &str,
    expires_days: Option<i64>,
) -> Result<NewToken, super::error::AppError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(super::error::AppError::field(
            "name",
            "Give the token a name of 1 to 100 characters.",
        ));
    }
    if let Some(d) = expires_days
        && !(1..=3650).contains(&d)
    {
        return Err(super::error::AppError::field(
            "expires_days",
            "Choose an expiry between 1 and 3650 days.",
        ));
    }
    let now = app.clock.now_text();
    let mut tx = app.db.begin().await?;
    let t = create_api_token(&mut tx, &app.clock, user.id, name, expires_days).await?;
    super::audit::record(
        &mut tx,
        &now,
        &user.actor(),
        super::audit::Change {
            action: "api_token.create",
            object_type: "api_token",
            object_id: t.id.to_string(),
            before: None,
            after: Some(
                serde_json::json!({"name": name, "user_id": user.id, "expires_days": expires_days}),
            ),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(t)
}

/// Revokes one of the user's own tokens, audited.
pub async fn revoke_token(
    app: &super::app::App,
    user: &CurrentUser,
    token_id: i64,
) -> Result<(), super::error::AppError> {
    let now = app.clock.now_text();
    let mut tx = app.db.begin().await?;
    let n = sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL")
        .bind(&now)
        .bind(token_id)
        .bind(user.id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if n == 0 {
        return Err(super::error::AppError::NotFound("API token".into()));
    }
    super::audit::record(
        &mut tx,
        &now,
        &user.actor(),
        super::audit::Change {
            action: "api_token.revoke",
            object_type: "api_token",
            object_id: token_id.to_string(),
            before: Some(serde_json::json!({"revoked": false})),
            after: Some(serde_json::json!({"revoked": true})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
