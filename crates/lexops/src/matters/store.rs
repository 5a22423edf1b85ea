//! Matter SQL, and nothing else. Every read goes through the ethical-wall filter of
//! `access::visible_sql`, so a walled matter never appears to someone off its wall.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::json;

use super::model::{Matter, MatterInput, MatterType};
use super::rules::{self, ValidMatter};
use crate::App;
use crate::platform::access::{CurrentUser, visible_sql};
use crate::platform::audit::{self, Actor, Change};
use crate::platform::db::{Tx, is_unique_violation};
use crate::platform::error::{AppError, FieldError};

const SELECT: &str = "SELECT m.id, m.number, m.name, t.code AS type_code, t.name AS type_name, m.status, m.practice_area, m.business_owner, \
     m.responsible_attorney_id, u.name AS responsible_attorney, m.opened_on, m.closed_on, m.description, m.confidential, m.created_at, m.updated_at \
     FROM matters m JOIN matter_types t ON t.id = m.type_id LEFT JOIN users u ON u.id = m.responsible_attorney_id";

/// Sort keys of the matter list.
pub const SORTS: &[(&str, &str)] = &[
    ("number", "m.number"),
    ("name", "m.name"),
    ("type", "t.name"),
    ("status", "m.status"),
    ("opened", "m.opened_on"),
    ("attorney", "u.name"),
];

/// Filters of the matter list.
#[derive(Clone, Debug, Default)]
pub struct MatterFilter {
    pub q: String,
    pub type_code: String,
    pub status: String,
    pub practice_area: String,
}

/// The matter types, by name.
pub async fn types(app: &App) -> Result<Vec<MatterType>, AppError> {
    Ok(
        sqlx::query_as::<_, MatterType>("SELECT id, code, name FROM matter_types ORDER BY name")
            .fetch_all(app.db.pool())
            .await?,
    )
}

/// Distinct practice areas in use (for filters and suggestions).
pub async fn practice_areas(app: &App) -> Result<Vec<String>, AppError> {
    Ok(sqlx::query_scalar("SELECT DISTINCT practice_area FROM matters WHERE practice_area <> '' ORDER BY practice_area").fetch_all(app.db.pool()).await?)
}

/// Matters visible to `user`, filtered, sorted and paged.
pub async fn list(
    app: &App,
    user: &CurrentUser,
    f: &MatterFilter,
    order_by: &str,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Matter>, i64), AppError> {
    let like = if f.q.trim().is_empty() {
        String::new()
    } else {
        format!("%{}%", f.q.trim().to_lowercase())
    };
    let filter = format!(
        "($1 = '' OR LOWER(m.number) LIKE $1 OR LOWER(m.name) LIKE $1 OR LOWER(m.business_owner) LIKE $1) AND ($2 = '' OR t.code = $2) \
         AND ($3 = '' OR m.status = $3) AND ($4 = '' OR m.practice_area = $4) AND {}",
        visible_sql("matter", "m.id", 5)
    );
    let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM matters m JOIN matter_types t ON t.id = m.type_id LEFT JOIN users u ON u.id = m.responsible_attorney_id WHERE {filter}"
    )))
    .bind(&like)
    .bind(&f.type_code)
    .bind(&f.status)
    .bind(&f.practice_area)
    .bind(user.id)
    .fetch_one(app.db.pool())
    .await?;
    let rows = sqlx::query_as::<_, Matter>(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE {filter} ORDER BY {order_by}, m.id LIMIT $6 OFFSET $7"
    )))
    .bind(&like)
    .bind(&f.type_code)
    .bind(&f.status)
    .bind(&f.practice_area)
    .bind(user.id)
    .bind(limit)
    .bind(offset)
    .fetch_all(app.db.pool())
    .await?;
    Ok((rows, total))
}

/// One matter, if visible to `user` (a walled matter is "not found" to outsiders).
pub async fn get(app: &App, user: &CurrentUser, id: i64) -> Result<Matter, AppError> {
    sqlx::query_as::<_, Matter>(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE m.id = $1 AND {}",
        visible_sql("matter", "m.id", 2)
    )))
    .bind(id)
    .bind(user.id)
    .fetch_optional(app.db.pool())
    .await?
    .ok_or_else(|| AppError::NotFound("matter".into()))
}

fn audit_view(m: &ValidMatter) -> serde_json::Value {
    json!({
        "number": m.number.as_str(), "name": m.name, "type": m.type_code, "status": m.status.as_str(),
        "practice_area": m.practice_area, "business_owner": m.business_owner,
        "responsible_attorney": m.responsible_attorney_email, "opened_on": m.opened_on, "closed_on": m.closed_on,
        "confidential": m.confidential,
    })
}

fn row_view(m: &Matter, attorney_email: Option<String>) -> serde_json::Value {
    json!({
        "number": m.number, "name": m.name, "type": m.type_code, "status": m.status,
        "practice_area": m.practice_area, "business_owner": m.business_owner,
        "responsible_attorney": attorney_email, "opened_on": m.opened_on, "closed_on": m.closed_on,
        "confidential": m.confidential != 0,
    })
}

async fn resolve(tx: &mut Tx, v: &ValidMatter) -> Result<(i64, Option<i64>), Vec<FieldError>> {
    let type_id: Option<i64> =
        sqlx::query_scalar("SELECT id FROM matter_types WHERE code = $1 OR LOWER(name) = $1")
            .bind(&v.type_code)
            .fetch_optional(&mut **tx)
            .await
            .map_err(|e| vec![FieldError::new("type", e.to_string())])?;
    let mut errs = vec![];
    if type_id.is_none() {
        errs.push(FieldError::new(
            "type",
            format!("There is no matter type {}.", v.type_code),
        ));
    }
    let attorney = match &v.responsible_attorney_email {
        Some(email) => {
            let id: Option<i64> =
                sqlx::query_scalar("SELECT id FROM users WHERE email = $1 AND status = 'active'")
                    .bind(email)
                    .fetch_optional(&mut **tx)
                    .await
                    .map_err(|e| {
                        vec![FieldError::new("responsible_attorney_email", e.to_string())]
                    })?;
            if id.is_none() {
                errs.push(FieldError::new(
                    "responsible_attorney_email",
                    format!("There is no active user {email}."),
                ));
            }
            id
        }
        None => None,
    };
    if errs.is_empty() {
        Ok((type_id.expect("checked"), attorney))
    } else {
        Err(errs)
    }
}

async fn wall(
    tx: &mut Tx,
    matter_id: i64,
    confidential: bool,
    members: &[i64],
) -> Result<(), sqlx::Error> {
    if confidential {
        sqlx::query("INSERT INTO walled_objects (object_type, object_id) VALUES ('matter', $1) ON CONFLICT DO NOTHING").bind(matter_id).execute(&mut **tx).await?;
        for m in members {
            sqlx::query("INSERT INTO object_walls (object_type, object_id, user_id) VALUES ('matter', $1, $2) ON CONFLICT DO NOTHING")
                .bind(matter_id)
                .bind(m)
                .execute(&mut **tx)
                .await?;
        }
    } else {
        sqlx::query("DELETE FROM walled_objects WHERE object_type = 'matter' AND object_id = $1")
            .bind(matter_id)
            .execute(&mut **tx)
            .await?;
        sqlx::query("DELETE FROM object_walls WHERE object_type = 'matter' AND object_id = $1")
            .bind(matter_id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

async fn insert(
    tx: &mut Tx,
    now: &str,
    actor: &Actor,
    v: &ValidMatter,
    creator: Option<i64>,
) -> Result<i64, AppError> {
    let (type_id, attorney) = resolve(tx, v).await.map_err(AppError::Validation)?;
    let res = sqlx::query_scalar::<_, i64>(
        "INSERT INTO matters (number, name, type_id, status, practice_area, business_owner, responsible_attorney_id, opened_on, closed_on, description, confidential, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id",
    )
    .bind(v.number.as_str())
    .bind(&v.name)
    .bind(type_id)
    .bind(v.status.as_str())
    .bind(&v.practice_area)
    .bind(&v.business_owner)
    .bind(attorney)
    .bind(&v.opened_on)
    .bind(&v.closed_on)
    .bind(&v.description)
    .bind(v.confidential as i64)
    .bind(now)
    .fetch_one(&mut **tx)
    .await;
    let id = match res {
        Ok(id) => id,
        Err(e) if is_unique_violation(&e) => {
            return Err(AppError::field(
                "number",
                format!("Matter {} already exists.", v.number.as_str()),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    let members: Vec<i64> = creator.into_iter().chain(attorney).collect();
    wall(tx, id, v.confidential, &members).await?;
    audit::record(
        tx,
        now,
        actor,
        Change {
            action: "matter.create",
            object_type: "matter",
            object_id: id.to_string(),
            before: None,
            after: Some(audit_view(v)),
        },
    )
    .await?;
    Ok(id)
}

async fn attorney_email(app: &App, m: &Matter) -> Result<Option<String>, AppError> {
    match m.responsible_attorney_id {
        Some(id) => Ok(sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(app.db.pool())
            .await?),
        None => Ok(None),
    }
}

/// Creates a matter. A confidential matter's wall starts with its creator and responsible
/// attorney.
pub async fn create(
    app: &App,
    user: &CurrentUser,
    input: &MatterInput,
) -> Result<Matter, AppError> {
    let today = app
        .clock
        .now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date()
        .to_string();
    let v = rules::check(input, &today).map_err(AppError::Validation)?;
    let now = app.clock.now_text();
    let mut tx = app.db.begin().await?;
    let id = insert(&mut tx, &now, &user.actor(), &v, Some(user.id)).await?;
    tx.commit().await?;
    get(app, user, id).await
}

/// Writes a checked matter over row `id` (a taken number is a field error).
async fn write(
    tx: &mut Tx,
    id: i64,
    v: &ValidMatter,
    type_id: i64,
    attorney: Option<i64>,
    now: &str,
) -> Result<(), AppError> {
    let res = sqlx::query(
        "UPDATE matters SET number = $1, name = $2, type_id = $3, status = $4, practice_area = $5, business_owner = $6, responsible_attorney_id = $7, \
         opened_on = $8, closed_on = $9, description = $10, confidential = $11, updated_at = $12 WHERE id = $13",
    )
    .bind(v.number.as_str())
    .bind(&v.name)
    .bind(type_id)
    .bind(v.status.as_str())
    .bind(&v.practice_area)
    .bind(&v.business_owner)
    .bind(attorney)
    .bind(&v.opened_on)
    .bind(&v.closed_on)
    .bind(&v.description)
    .bind(v.confidential as i64)
    .bind(now)
    .bind(id)
    .execute(&mut **tx)
    .await;
    match res {
        Ok(_) => Ok(()),
        Err(e) if is_unique_violation(&e) => Err(AppError::field(
            "number",
            format!("Matter {} already exists.", v.number.as_str()),
        )),
        Err(e) => Err(e.into()),
    }
}

/// Replaces a matter's fields.
pub async fn update(
    app: &App,
    user: &CurrentUser,
    id: i64,
    input: &MatterInput,
) -> Result<Matter, AppError> {
    let before = get(app, user, id).await?;
    let today = app
        .clock
        .now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date()
        .to_string();
    let v = rules::check(input, &today).map_err(AppError::Validation)?;
    let now = app.clock.now_text();
    let before_view = row_view(&before, attorney_email(app, &before).await?);
    let mut tx = app.db.begin().await?;
    let (type_id, attorney) = resolve(&mut tx, &v).await.map_err(AppError::Validation)?;
    // The spend rollups key walled matters apart and sum by matter type: move this matter's
    // sums out before the change and back in after it.
    let moves = v.confidential != (before.confidential != 0) || v.type_code != before.type_code;
    if moves {
        crate::spend::rollup::apply_matter(&mut tx, id, -1).await?;
    }
    write(&mut tx, id, &v, type_id, attorney, &now).await?;
    if v.confidential != (before.confidential != 0) {
        let members: Vec<i64> = std::iter::once(user.id).chain(attorney).collect();
        wall(&mut tx, id, v.confidential, &members).await?;
    }
    if moves {
        crate::spend::rollup::apply_matter(&mut tx, id, 1).await?;
    }
    audit::record(
        &mut tx,
        &now,
        &user.actor(),
        Change {
            action: "matter.update",
            object_type: "matter",
            object_id: id.to_string(),
            before: Some(before_view),
            after: Some(audit_view(&v)),
        },
    )
    .await?;
    tx.commit().await?;
    get(app, user, id).await
}

/// A member of a matter's ethical wall.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct WallMember {
    pub user_id: i64,
    pub name: String,
    pub email: String,
    pub role: String,
}

/// The people on a matter's wall (the caller must see the matter).
pub async fn wall_members(
    app: &App,
    user: &CurrentUser,
    id: i64,
) -> Result<Vec<WallMember>, AppError> {
    get(app, user, id).await?;
    Ok(sqlx::query_as::<_, WallMember>(
        "SELECT u.id AS user_id, u.name, u.email, u.role FROM object_walls w JOIN users u ON u.id = w.user_id \
         WHERE w.object_type = 'matter' AND w.object_id = $1 ORDER BY u.name",
    )
    .bind(id)
    .fetch_all(app.db.pool())
    .await?)
}

/// Adds or removes a person on a confidential matter's wall. Only someone on the wall can
/// change it, and the last member cannot be removed.
pub async fn change_wall(
    app: &App,
    user: &CurrentUser,
    id: i64,
    email: &str,
    add: bool,
) -> Result<(), AppError> {
    let m = get(app, user, id).await?;
    if m.confidential == 0 {
        return Err(AppError::BadRequest(
            "this matter is not confidential: mark it confidential to give it an ethical wall"
                .into(),
        ));
    }
    let email = email.trim().to_lowercase();
    let target: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(&email)
        .fetch_optional(app.db.pool())
        .await?;
    let Some(target) = target else {
        return Err(AppError::field(
            "email",
            format!("There is no user {email}."),
        ));
    };
    let now = app.clock.now_text();
    let mut tx = app.db.begin().await?;
    if add {
        sqlx::query("INSERT INTO object_walls (object_type, object_id, user_id) VALUES ('matter', $1, $2) ON CONFLICT DO NOTHING")
            .bind(id)
            .bind(target)
            .execute(&mut *tx)
            .await?;
    } else {
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM object_walls WHERE object_type = 'matter' AND object_id = $1",
        )
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        if count <= 1 {
            return Err(AppError::field(
                "email",
                "The wall needs at least one member.",
            ));
        }
        sqlx::query("DELETE FROM object_walls WHERE object_type = 'matter' AND object_id = $1 AND user_id = $2").bind(id).bind(target).execute(&mut *tx).await?;
    }
    audit::record(
        &mut tx,
        &now,
        &user.actor(),
        Change {
            action: if add {
                "matter.wall_add"
            } else {
                "matter.wall_remove"
            },
            object_type: "matter",
            object_id: id.to_string(),
            before: None,
            after: Some(json!({"user": email})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The CSV columns of matter import and export.
pub const CSV_COLUMNS: &[&str] = &[
    "number",
    "name",
    "type",
    "status",
    "practice_area",
    "business_owner",
    "responsible_attorney_email",
    "opened_on",
    "closed_on",
    "description",
    "confidential",
];

/// What an import did.
#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// A problem in an import file: nothing was imported.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ImportProblem {
    pub file: String,
    pub line: u64,
    pub column: String,
    pub message: String,
}

/// The header line of a CSV import, lower-cased and without a byte-order mark; the error is
/// the message for line 1.
pub fn csv_headers<R: std::io::Read>(rdr: &mut csv::Reader<R>) -> Result<Vec<String>, String> {
    rdr.headers()
        .map(|h| {
            h.iter()
                .map(|s| s.trim_start_matches('\u{feff}').to_ascii_lowercase())
                .collect()
        })
        .map_err(|e| format!("cannot read the header line: {e}"))
}

/// Opens a CSV import (values trimmed; `flexible`: rows may have fewer or more fields than the
/// header): the reader and its lower-cased header names, or the problem with the header line.
/// Every CSV import (matters, custodians, holidays) starts here.
pub fn csv_open<'a>(
    file: &str,
    bytes: &'a [u8],
    flexible: bool,
) -> Result<(csv::Reader<&'a [u8]>, Vec<String>), ImportProblem> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(flexible)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    match csv_headers(&mut rdr) {
        Ok(h) => Ok((rdr, h)),
        Err(message) => Err(ImportProblem::at(file, 1, "-", message)),
    }
}

impl ImportProblem {
    /// A problem at `file:line`, in `column`.
    pub fn at(file: &str, line: u64, column: &str, message: impl Into<String>) -> ImportProblem {
        ImportProblem {
            file: file.to_string(),
            line,
            column: column.to_string(),
            message: message.into(),
        }
    }

    /// The problem of an import form sent without a file.
    pub fn no_file() -> ImportProblem {
        ImportProblem {
            file: "-".into(),
            line: 0,
            column: "file".into(),
            message: "Choose a CSV file to import.".into(),
        }
    }
}

impl std::fmt::Display for ImportProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}: column {}: {}",
            self.file, self.line, self.column, self.message
        )
    }
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "" | "0" | "no" | "false" | "n" => Some(false),
        "1" | "yes" | "true" | "y" => Some(true),
        _ => None,
    }
}

/// Imports matters from CSV in one transaction: every row is checked first and the first
/// problems (file, line, column) are reported with nothing written; otherwise rows are
/// created, or updated by matter number (re-importing the same file changes nothing).
pub async fn import_csv(
    app: &App,
    user: &CurrentUser,
    file: &str,
    bytes: &[u8],
) -> Result<Result<ImportReport, Vec<ImportProblem>>, AppError> {
    let problem =
        |line: u64, column: &str, message: String| ImportProblem::at(file, line, column, message);
    let (mut rdr, headers) = match csv_open(file, bytes, false) {
        Ok(x) => x,
        Err(p) => return Ok(Err(vec![p])),
    };
    for required in ["number", "name", "type"] {
        if !headers.iter().any(|h| h == required) {
            return Ok(Err(vec![problem(
                1,
                required,
                format!(
                    "the header line has no {required} column (expected: {})",
                    CSV_COLUMNS.join(",")
                ),
            )]));
        }
    }
    if let Some(unknown) = headers.iter().find(|h| !CSV_COLUMNS.contains(&h.as_str())) {
        return Ok(Err(vec![problem(
            1,
            unknown,
            format!(
                "unknown column {unknown} (expected: {})",
                CSV_COLUMNS.join(",")
            ),
        )]));
    }
    let today = app
        .clock
        .now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date()
        .to_string();
    let mut problems = vec![];
    let mut rows: Vec<(u64, ValidMatter)> = vec![];
    let mut seen: HashMap<String, u64> = HashMap::new();
    for rec in rdr.records() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                problems.push(problem(line, "-", format!("malformed CSV: {e}")));
                break;
            }
        };
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        let get = |name: &str| {
            headers
                .iter()
                .position(|h| h == name)
                .and_then(|i| rec.get(i))
                .unwrap_or("")
                .to_string()
        };
        let Some(confidential) = parse_bool(&get("confidential")) else {
            problems.push(problem(line, "confidential", "use yes or no".into()));
            continue;
        };
        let input = MatterInput {
            number: get("number"),
            name: get("name"),
            type_code: get("type"),
            status: get("status"),
            practice_area: get("practice_area"),
            business_owner: get("business_owner"),
            responsible_attorney_email: get("responsible_attorney_email"),
            opened_on: get("opened_on"),
            closed_on: get("closed_on"),
            description: get("description"),
            confidential,
        };
        match rules::check(&input, &today) {
            Ok(v) => {
                if let Some(first) = seen.insert(v.number.as_str().to_string(), line) {
                    problems.push(problem(
                        line,
                        "number",
                        format!("matter {} is also on line {first}", v.number.as_str()),
                    ));
                }
                rows.push((line, v));
            }
            Err(errs) => {
                problems.extend(errs.into_iter().map(|e| problem(line, &e.field, e.message)))
            }
        }
        if problems.len() >= 50 {
            break;
        }
    }
    if !problems.is_empty() {
        return Ok(Err(problems));
    }
    let now = app.clock.now_text();
    let actor = user.actor();
    let mut report = ImportReport::default();
    let mut tx = app.db.begin().await?;
    for (line, v) in rows {
        let existing: Option<(i64, String)> =
            sqlx::query_as("SELECT id, updated_at FROM matters WHERE number = $1")
                .bind(v.number.as_str())
                .fetch_optional(&mut *tx)
                .await?;
        let (type_id, attorney) = match resolve(&mut tx, &v).await {
            Ok(r) => r,
            Err(errs) => {
                return Ok(Err(errs
                    .into_iter()
                    .map(|e| problem(line, &e.field, e.message))
                    .collect()));
            }
        };
        match existing {
            None => {
                insert(&mut tx, &now, &actor, &v, Some(user.id)).await?;
                report.created += 1;
            }
            Some((id, _)) => {
                let current: Matter =
                    sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} WHERE m.id = $1")))
                        .bind(id)
                        .fetch_one(&mut *tx)
                        .await?;
                let current_email: Option<String> = match current.responsible_attorney_id {
                    Some(a) => {
                        sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
                            .bind(a)
                            .fetch_optional(&mut *tx)
                            .await?
                    }
                    None => None,
                };
                let before = row_view(&current, current_email);
                let after = audit_view(&v);
                if before == after {
                    report.unchanged += 1;
                    continue;
                }
                let moves = v.confidential != (current.confidential != 0)
                    || v.type_code != current.type_code;
                if moves {
                    crate::spend::rollup::apply_matter(&mut tx, id, -1).await?;
                }
                write(&mut tx, id, &v, type_id, attorney, &now).await?;
                if v.confidential != (current.confidential != 0) {
                    let members: Vec<i64> = std::iter::once(user.id).chain(attorney).collect();
                    wall(&mut tx, id, v.confidential, &members).await?;
                }
                if moves {
                    crate::spend::rollup::apply_matter(&mut tx, id, 1).await?;
                }
                audit::record(
                    &mut tx,
                    &now,
                    &actor,
                    Change {
                        action: "matter.update",
                        object_type: "matter",
                        object_id: id.to_string(),
                        before: Some(before),
                        after: Some(after),
                    },
                )
                .await?;
                report.updated += 1;
            }
        }
    }
    tx.commit().await?;
    Ok(Ok(report))
}

/// The CSV rows of matters visible to `user` (same columns as import).
pub fn csv_rows(rows: Vec<(Matter, Option<String>)>) -> Vec<Vec<String>> {
    rows.into_iter()
        .map(|(m, email)| {
            vec![
                m.number,
                m.name,
                m.type_code,
                m.status,
                m.practice_area,
                m.business_owner,
                email.unwrap_or_default(),
                m.opened_on.unwrap_or_default(),
                m.closed_on.unwrap_or_default(),
                m.description,
                if m.confidential != 0 {
                    "yes".into()
                } else {
                    "no".into()
                },
            ]
        })
        .collect()
}

/// Matters visible to `user` with their attorney's email, for export.
pub async fn export(
    app: &App,
    user: &CurrentUser,
    f: &MatterFilter,
    order_by: &str,
) -> Result<Vec<Vec<String>>, AppError> {
    let (rows, _) = list(app, user, f, order_by, 10_000_000, 0).await?;
    let emails: HashMap<i64, String> =
        sqlx::query_as::<_, (i64, String)>("SELECT id, email FROM users")
            .fetch_all(app.db.pool())
            .await?
            .into_iter()
            .collect();
    Ok(csv_rows(
        rows.into_iter()
            .map(|m| {
                let e = m
                    .responsible_attorney_id
                    .and_then(|id| emails.get(&id).cloned());
                (m, e)
            })
            .collect(),
    ))
}
