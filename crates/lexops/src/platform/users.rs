//! Users: creation, editing, disabling and role assignment, shared by the admin pages, the API
//! and `lexops user …`. Every change is audited (without secrets: password hashes and TOTP
//! secrets never enter the audit trail).

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::access::Role;
use super::app::App;
use super::audit::{self, Actor, Change};
use super::auth;
use super::db::is_unique_violation;
use super::error::{AppError, FieldError};

/// A user as shown to admins and the API.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub name: String,
    /// admin, legal_ops, attorney, paralegal, requester, vendor, custodian or auditor.
    pub role: String,
    /// active or disabled.
    pub status: String,
    /// 1 when a second factor is enrolled.
    pub totp_enabled: i64,
    /// 1 when an admin requires a second factor.
    pub totp_required: i64,
    pub created_at: String,
    pub updated_at: String,
}

const COLUMNS: &str =
    "id, email, name, role, status, totp_enabled, totp_required, created_at, updated_at";

impl User {
    pub fn role(&self) -> Role {
        Role::parse(&self.role).unwrap_or(Role::Requester)
    }

    fn audit_view(&self) -> serde_json::Value {
        json!({
            "email": self.email, "name": self.name, "role": self.role, "status": self.status,
            "totp_enabled": self.totp_enabled != 0, "totp_required": self.totp_required != 0,
        })
    }
}

/// Input for a new user.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub role: String,
    /// Initial password (at least 12 characters). Without one, the user cannot sign in with a
    /// password until an admin sets one.
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub totp_required: bool,
}

/// Changes to a user; absent fields stay as they are.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct UserPatch {
    pub name: Option<String>,
    pub role: Option<String>,
    /// active or disabled.
    pub status: Option<String>,
    pub totp_required: Option<bool>,
    pub password: Option<String>,
}

fn valid_email(e: &str) -> bool {
    let Some((local, domain)) = e.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.is_empty()
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && e.len() <= 254
        && !e.contains(char::is_whitespace)
        && !domain.contains('@')
}

fn check_fields(
    email: Option<&str>,
    name: Option<&str>,
    role: Option<&str>,
    status: Option<&str>,
    password: Option<&str>,
) -> Result<(), AppError> {
    let mut errs = vec![];
    if let Some(e) = email
        && !valid_email(e)
    {
        errs.push(FieldError::new(
            "email",
            "Enter an email address like name@example.com.",
        ));
    }
    if let Some(n) = name
        && (n.trim().is_empty() || n.chars().count() > 200)
    {
        errs.push(FieldError::new(
            "name",
            "Enter a name of 1 to 200 characters.",
        ));
    }
    if let Some(r) = role
        && Role::parse(r).is_none()
    {
        errs.push(FieldError::new(
            "role",
            "Choose one of admin, legal_ops, attorney, paralegal, requester, vendor, custodian, auditor.",
        ));
    }
    if let Some(s) = status
        && s != "active"
        && s != "disabled"
    {
        errs.push(FieldError::new("status", "Choose active or disabled."));
    }
    if let Some(p) = password
        && let Some(problem) = auth::password_problem(p)
    {
        errs.push(FieldError::new("password", problem));
    }
    if errs.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(errs))
    }
}

/// Finds a user by id.
pub async fn get(app: &App, id: i64) -> Result<User, AppError> {
    sqlx::query_as::<_, User>(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM users WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(app.db.pool())
    .await?
    .ok_or_else(|| AppError::NotFound("user".into()))
}

/// Finds a user by email.
pub async fn by_email(app: &App, email: &str) -> Result<Option<User>, AppError> {
    Ok(sqlx::query_as::<_, User>(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM users WHERE email = $1"
    )))
    .bind(email.trim().to_lowercase())
    .fetch_optional(app.db.pool())
    .await?)
}

/// Creates a user.
pub async fn create(app: &App, actor: &Actor, new: NewUser) -> Result<User, AppError> {
    let email = new.email.trim().to_lowercase();
    let name = new.name.trim().to_string();
    check_fields(
        Some(&email),
        Some(&name),
        Some(&new.role),
        None,
        new.password.as_deref(),
    )?;
    let role = Role::parse(&new.role).expect("checked");
    let hash = match new.password {
        Some(p) => Some(
            tokio::task::spawn_blocking(move || auth::hash_password(&p))
                .await
                .map_err(anyhow::Error::from)?,
        ),
        None => None,
    };
    let now = app.clock.now_text();
    let mut tx = app.db.begin().await?;
    let res = sqlx::query_scalar::<_, i64>(
        "INSERT INTO users (email, name, role, password_hash, totp_required, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
    )
    .bind(&email)
    .bind(&name)
    .bind(role.as_str())
    .bind(hash)
    .bind(new.totp_required as i64)
    .bind(&now)
    .fetch_one(&mut *tx)
    .await;
    let id = match res {
        Ok(id) => id,
        Err(e) if is_unique_violation(&e) => {
            return Err(AppError::field(
                "email",
                "A user with this email already exists.",
            ));
        }
        Err(e) => return Err(e.into()),
    };
    let user = sqlx::query_as::<_, User>(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM users WHERE id = $1"
    )))
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        &now,
        actor,
        Change {
            action: "user.create",
            object_type: "user",
            object_id: id.to_string(),
            before: None,
            after: Some(user.audit_view()),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(user)
}

/// Applies a patch to a user. An admin cannot disable or demote themselves, so that a
/// department is never left without an admin by accident.
pub async fn update(app: &App, actor: &Actor, id: i64, patch: UserPatch) -> Result<User, AppError> {
    check_fields(
        None,
        patch.name.as_deref(),
        patch.role.as_deref(),
        patch.status.as_deref(),
        patch.password.as_deref(),
    )?;
    let before = get(app, id).await?;
    if actor.id == Some(id) {
        if patch.status.as_deref() == Some("disabled") {
            return Err(AppError::field(
                "status",
                "You cannot disable your own account.",
            ));
        }
        if patch
            .role
            .as_deref()
            .and_then(Role::parse)
            .is_some_and(|r| r != Role::Admin)
            && before.role() == Role::Admin
        {
            return Err(AppError::field(
                "role",
                "You cannot remove your own admin role.",
            ));
        }
    }
    let hash = match patch.password.clone() {
        Some(p) => Some(
            tokio::task::spawn_blocking(move || auth::hash_password(&p))
                .await
                .map_err(anyhow::Error::from)?,
        ),
        None => None,
    };
    let now = app.clock.now_text();
    let mut tx = app.db.begin().await?;
    sqlx::query(
        "UPDATE users SET name = COALESCE($1, name), role = COALESCE($2, role), status = COALESCE($3, status), \
         totp_required = COALESCE($4, totp_required), password_hash = COALESCE($5, password_hash), updated_at = $6 WHERE id = $7",
    )
    .bind(patch.name.as_deref().map(str::trim))
    .bind(patch.role.as_deref().and_then(Role::parse).map(Role::as_str))
    .bind(patch.status.as_deref())
    .bind(patch.totp_required.map(|b| b as i64))
    .bind(hash.as_deref())
    .bind(&now)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    if patch.status.as_deref() == Some("disabled") || hash.is_some() {
        // A disabled user or a changed password ends every session and token at once.
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    if patch.status.as_deref() == Some("disabled") {
        sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
        )
        .bind(&now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    }
    let after = sqlx::query_as::<_, User>(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM users WHERE id = $1"
    )))
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    let mut after_view = after.audit_view();
    if hash.is_some() {
        after_view["password"] = json!("changed");
    }
    audit::record(
        &mut tx,
        &now,
        actor,
        Change {
            action: if patch.status.as_deref() == Some("disabled") && before.status != "disabled" {
                "user.disable"
            } else {
                "user.update"
            },
            object_type: "user",
            object_id: id.to_string(),
            before: Some(before.audit_view()),
            after: Some(after_view),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Sort keys users can be listed by.
pub const SORTS: &[(&str, &str)] = &[
    ("name", "name"),
    ("email", "email"),
    ("role", "role"),
    ("status", "status"),
    ("created", "created_at"),
];

/// Lists users matching a text filter, role and status, sorted and paged.
pub async fn list(
    app: &App,
    q: &str,
    role: &str,
    status: &str,
    order_by: &str,
    limit: i64,
    offset: i64,
) -> Result<(Vec<User>, i64), AppError> {
    let filter = "($1 = '' OR LOWER(name) LIKE $1 OR email LIKE $1) AND ($2 = '' OR role = $2) AND ($3 = '' OR status = $3)";
    let like = if q.trim().is_empty() {
        String::new()
    } else {
        format!("%{}%", q.trim().to_lowercase())
    };
    let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM users WHERE {filter}"
    )))
    .bind(&like)
    .bind(role)
    .bind(status)
    .fetch_one(app.db.pool())
    .await?;
    let rows = sqlx::query_as::<_, User>(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM users WHERE {filter} ORDER BY {order_by}, id LIMIT $4 OFFSET $5"
    )))
    .bind(&like)
    .bind(role)
    .bind(status)
    .bind(limit)
    .bind(offset)
    .fetch_all(app.db.pool())
    .await?;
    Ok((rows, total))
}

/// Starts TOTP enrolment: stores a fresh secret (not yet enabled) and returns it.
pub async fn begin_totp(app: &App, user_id: i64) -> Result<String, AppError> {
    let secret = auth::totp::new_secret();
    let sealed = app.seal_secret(secret.as_bytes());
    let mut tx = app.db.begin().await?;
    sqlx::query("UPDATE users SET totp_secret = $1 WHERE id = $2 AND totp_enabled = 0")
        .bind(&sealed)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(secret)
}

/// The user's TOTP secret, if one is stored.
pub async fn totp_secret(app: &App, user_id: i64) -> Result<Option<String>, AppError> {
    let sealed: Option<Option<String>> =
        sqlx::query_scalar("SELECT totp_secret FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(app.db.pool())
            .await?;
    Ok(sealed
        .flatten()
        .and_then(|s| app.open_secret(&s))
        .and_then(|b| String::from_utf8(b).ok()))
}

/// Checks a TOTP code for a user and records the step used, so the same code cannot be used
/// twice. Enables the second factor if `enable` and the code is right.
pub async fn verify_totp(
    app: &App,
    actor: &Actor,
    user_id: i64,
    code: &str,
    enable: bool,
) -> Result<bool, AppError> {
    let Some(secret) = totp_secret(app, user_id).await? else {
        return Ok(false);
    };
    let now = app.clock.now();
    let Some(step) = auth::totp::check(&secret, code, now.as_second() as u64) else {
        return Ok(false);
    };
    let mut tx = app.db.begin().await?;
    let updated =
        sqlx::query("UPDATE users SET totp_last_step = $1 WHERE id = $2 AND totp_last_step < $1")
            .bind(step as i64)
            .bind(user_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
    if updated == 0 {
        return Ok(false);
    }
    if enable {
        let now_text = app.clock.now_text();
        sqlx::query("UPDATE users SET totp_enabled = 1, updated_at = $1 WHERE id = $2")
            .bind(&now_text)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        audit::record(
            &mut tx,
            &now_text,
            actor,
            Change {
                action: "user.totp_enable",
                object_type: "user",
                object_id: user_id.to_string(),
                before: Some(json!({"totp_enabled": false})),
                after: Some(json!({"totp_enabled": true})),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_checks_name_the_field() {
        let e = check_fields(
            Some("not-an-email"),
            Some(""),
            Some("boss"),
            Some("gone"),
            Some("short"),
        )
        .unwrap_err();
        let AppError::Validation(f) = e else {
            panic!("expected validation")
        };
        let names: Vec<_> = f.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(names, ["email", "name", "role", "status", "password"]);
        assert!(
            check_fields(
                Some("a@example.com"),
                Some("A"),
                Some("legal_ops"),
                Some("active"),
                None
            )
            .is_ok()
        );
    }
}
