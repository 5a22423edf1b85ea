//! Legal holds as the record store sees them: what each active hold preserves (records by id,
//! whole categories, whole folders). [`HELD_BY`] and [`HELD`] define "this record is under a
//! hold"; disposition checks [`holds_on`] inside the transaction that would destroy a record,
//! so no path can destroy a held record. (Notices, custodians and acknowledgements: issue #5, to come.)

use serde::Serialize;
use serde_json::json;

use crate::App;
use crate::platform::access::CurrentUser;
use crate::platform::audit::{self, Change};
use crate::platform::error::AppError;

/// The active holds whose scope covers the record aliased `r`: an SQL condition on `h`
/// (legal_holds) and `s` (hold_scope), for naming the holds of one record ([`holds_on`]).
pub const HELD_BY: &str = "h.status = 'active' AND ( \
    (s.kind = 'record' AND s.value = CAST(r.id AS TEXT)) \
    OR (s.kind = 'category' AND s.value = CAST(r.category_id AS TEXT)) \
    OR (s.kind = 'folder' AND (r.folder = s.value OR SUBSTR(r.folder, 1, LENGTH(s.value) + 1) = s.value || '/')))";

/// Whether an active hold covers the record aliased `r`: the same condition as [`HELD_BY`], as
/// one boolean that uses the `(kind, value)` index (a sweep evaluates it for every record due).
/// The property test in `tests/app/records.rs` checks that the two agree.
pub const HELD: &str = "(EXISTS (SELECT 1 FROM hold_scope s JOIN legal_holds h ON h.id = s.hold_id WHERE s.kind = 'record' AND s.value = CAST(r.id AS TEXT) AND h.status = 'active') \
    OR EXISTS (SELECT 1 FROM hold_scope s JOIN legal_holds h ON h.id = s.hold_id WHERE s.kind = 'category' AND s.value = CAST(r.category_id AS TEXT) AND h.status = 'active') \
    OR EXISTS (SELECT 1 FROM hold_scope s JOIN legal_holds h ON h.id = s.hold_id WHERE s.kind = 'folder' AND h.status = 'active' \
        AND (r.folder = s.value OR SUBSTR(r.folder, 1, LENGTH(s.value) + 1) = s.value || '/')))";

/// The active holds on a record: (id, name).
pub async fn holds_on(
    conn: &mut sqlx::AnyConnection,
    record_id: i64,
) -> Result<Vec<(i64, String)>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT DISTINCT h.id, h.name FROM legal_holds h JOIN hold_scope s ON s.hold_id = h.id JOIN records r ON r.id = $1 WHERE {HELD_BY} ORDER BY h.id"
    )))
    .bind(record_id)
    .fetch_all(&mut *conn)
    .await
}

/// A hold with what it preserves.
#[derive(Clone, Debug, Serialize)]
pub struct HoldView {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub status: String,
    pub issued_at: String,
    pub released_at: Option<String>,
    pub scope: Vec<(String, String)>,
    /// Active records it preserves now.
    pub records: i64,
}

/// Every hold, active first.
pub async fn list(app: &App) -> Result<Vec<HoldView>, AppError> {
    let rows: Vec<(i64, String, String, String, String, Option<String>)> = sqlx::query_as(
        "SELECT id, name, description, status, issued_at, released_at FROM legal_holds ORDER BY status, id DESC",
    )
    .fetch_all(app.db.pool())
    .await?;
    let mut out = vec![];
    for (id, name, description, status, issued_at, released_at) in rows {
        let scope: Vec<(String, String)> = sqlx::query_as(
            "SELECT s.kind, CASE WHEN s.kind = 'category' THEN COALESCE((SELECT c.code FROM record_categories c WHERE CAST(c.id AS TEXT) = s.value), s.value) ELSE s.value END \
             FROM hold_scope s WHERE s.hold_id = $1 ORDER BY 1, 2",
        )
        .bind(id)
        .fetch_all(app.db.pool())
        .await?;
        let records: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM records r WHERE r.status = 'active' AND EXISTS (SELECT 1 FROM legal_holds h JOIN hold_scope s ON s.hold_id = h.id WHERE h.id = $1 AND {HELD_BY})"
        )))
        .bind(id)
        .fetch_one(app.db.pool())
        .await?;
        out.push(HoldView {
            id,
            name,
            description,
            status,
            issued_at,
            released_at,
            scope,
            records,
        });
    }
    Ok(out)
}

/// What a new hold preserves, as typed: category codes, folders and record ids, one per line
/// or separated by commas.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct HoldInput {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub categories: String,
    #[serde(default)]
    pub folders: String,
    #[serde(default)]
    pub records: String,
}

fn items(s: &str) -> Vec<String> {
    s.split([',', '\n'])
        .map(|x| x.trim().trim_matches('/').to_string())
        .filter(|x| !x.is_empty())
        .collect()
}

/// Places a hold; returns its id.
pub async fn create(app: &App, user: &CurrentUser, input: &HoldInput) -> Result<i64, AppError> {
    let mut errs = vec![];
    if input.name.trim().is_empty() {
        errs.push(("name", "Name the hold.".to_string()));
    }
    let mut scope: Vec<(&str, String)> = vec![];
    for code in items(&input.categories) {
        let known: Option<i64> =
            sqlx::query_scalar("SELECT id FROM record_categories WHERE LOWER(code) = LOWER($1)")
                .bind(&code)
                .fetch_optional(app.db.pool())
                .await?;
        match known {
            Some(c) => scope.push(("category", c.to_string())),
            None => errs.push(("categories", format!("There is no category {code}."))),
        }
    }
    for folder in items(&input.folders) {
        scope.push(("folder", folder));
    }
    for id in items(&input.records) {
        match id.parse::<i64>() {
            Ok(n) => {
                let known: Option<i64> = sqlx::query_scalar("SELECT id FROM records WHERE id = $1")
                    .bind(n)
                    .fetch_optional(app.db.pool())
                    .await?;
                match known {
                    Some(_) => scope.push(("record", n.to_string())),
                    None => errs.push(("records", format!("There is no record {n}."))),
                }
            }
            Err(_) => errs.push(("records", format!("{id} is not a record number."))),
        }
    }
    if scope.is_empty() && errs.is_empty() {
        errs.push((
            "categories",
            "Say what the hold preserves: categories, folders or records.".into(),
        ));
    }
    if !errs.is_empty() {
        return Err(AppError::Validation(
            errs.into_iter()
                .map(|(f, m)| crate::platform::error::FieldError::new(f, m))
                .collect(),
        ));
    }
    scope.sort();
    scope.dedup();
    let now = app.clock.now_text();
    let mut tx = app.db.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO legal_holds (name, description, issued_by, issued_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(input.name.trim())
    .bind(input.description.trim())
    .bind(user.id)
    .bind(&now)
    .fetch_one(&mut *tx)
    .await?;
    for (kind, value) in &scope {
        sqlx::query("INSERT INTO hold_scope (hold_id, kind, value) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(*kind)
            .bind(value)
            .execute(&mut *tx)
            .await?;
    }
    audit::record(
        &mut tx,
        &now,
        &user.actor(),
        Change {
            action: "hold.create",
            object_type: "legal_hold",
            object_id: id.to_string(),
            before: None,
            after: Some(json!({"name": input.name.trim(), "scope": scope})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Releases a hold: its records return to their schedule (unless another hold covers them).
pub async fn release(app: &App, user: &CurrentUser, id: i64) -> Result<(), AppError> {
    let now = app.clock.now_text();
    let mut tx = app.db.begin().await?;
    let n = sqlx::query(
        "UPDATE legal_holds SET status = 'released', released_by = $1, released_at = $2 WHERE id = $3 AND status = 'active'",
    )
    .bind(user.id)
    .bind(&now)
    .bind(id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(AppError::Conflict(
            "this hold is not active (released already, or unknown)".into(),
        ));
    }
    audit::record(
        &mut tx,
        &now,
        &user.actor(),
        Change {
            action: "hold.release",
            object_type: "legal_hold",
            object_id: id.to_string(),
            before: Some(json!({"status": "active"})),
            after: Some(json!({"status": "released"})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
