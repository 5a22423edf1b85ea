//! Custodians: the people whose data legal holds preserve, imported from the company directory
//! as CSV (`name,email,department,manager_email,employee_status`). One person per email address:
//! a re-import updates them, and an address that appears twice in a file is merged into one
//! person (the later row's non-empty fields win). All or nothing, every problem named by line
//! and column.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::json;

use crate::App;
use crate::matters::store::ImportProblem;
use crate::platform::access::CurrentUser;
use crate::platform::audit::{self, Change};
use crate::platform::error::AppError;

/// The columns of the directory CSV.
pub const COLUMNS: [&str; 5] = [
    "name",
    "email",
    "department",
    "manager_email",
    "employee_status",
];

/// A custodian as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Custodian {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub department: String,
    pub manager_email: String,
    /// active, on_leave or departed.
    pub employee_status: String,
    pub updated_at: String,
}

/// What an import did.
#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct DirectoryReport {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Rows whose address appeared earlier in the same file (merged into that person).
    pub merged: usize,
}

fn valid_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s
            .chars()
            .any(|c| c.is_whitespace() || c == ',' || c == '<' || c == '>')
}

fn status(s: &str) -> Option<&'static str> {
    match s
        .trim()
        .to_ascii_lowercase()
        .replace([' ', '-'], "_")
        .as_str()
    {
        "" | "active" | "employed" => Some("active"),
        "on_leave" | "leave" => Some("on_leave"),
        "departed" | "terminated" | "left" | "inactive" => Some("departed"),
        _ => None,
    }
}

/// The fields of one person from the file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Row {
    name: String,
    department: String,
    manager_email: String,
    employee_status: String,
}

/// Imports the directory.
pub async fn import_csv(
    app: &App,
    user: &CurrentUser,
    file: &str,
    bytes: &[u8],
) -> Result<Result<DirectoryReport, Vec<ImportProblem>>, AppError> {
    let problem =
        |line: u64, column: &str, message: String| ImportProblem::at(file, line, column, message);
    let (mut rdr, headers) = match crate::matters::store::csv_open(file, bytes, true) {
        Ok(x) => x,
        Err(p) => return Ok(Err(vec![p])),
    };
    let mut problems = vec![];
    for h in &headers {
        if !COLUMNS.contains(&h.as_str()) {
            problems.push(problem(
                1,
                h,
                format!("unknown column {h} (expected: {})", COLUMNS.join(",")),
            ));
        }
    }
    for required in ["name", "email"] {
        if !headers.iter().any(|h| h == required) {
            problems.push(problem(
                1,
                required,
                format!("the header line has no {required} column"),
            ));
        }
    }
    if !problems.is_empty() {
        return Ok(Err(problems));
    }
    let col = |name: &str| headers.iter().position(|h| h == name);
    let mut people: BTreeMap<String, Row> = BTreeMap::new();
    let mut merged = 0;
    for rec in rdr.records() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                problems.push(problem(line, "-", format!("malformed CSV: {e}")));
                break;
            }
        };
        if rec.iter().all(str::is_empty) {
            continue;
        }
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        let get = |name: &str| col(name).and_then(|i| rec.get(i)).unwrap_or("").to_string();
        let email = get("email").to_ascii_lowercase();
        let before = problems.len();
        if !valid_email(&email) {
            problems.push(problem(
                line,
                "email",
                format!("{:?} is not an email address", get("email")),
            ));
        }
        let name = get("name");
        if name.is_empty() {
            problems.push(problem(line, "name", "the name is empty".into()));
        }
        let manager = get("manager_email").to_ascii_lowercase();
        if !manager.is_empty() && !valid_email(&manager) {
            problems.push(problem(
                line,
                "manager_email",
                format!("{manager:?} is not an email address"),
            ));
        }
        let st = status(&get("employee_status"));
        if st.is_none() {
            problems.push(problem(
                line,
                "employee_status",
                format!(
                    "{:?} is not a status: write active, on_leave or departed",
                    get("employee_status")
                ),
            ));
        }
        if problems.len() > before {
            continue;
        }
        let row = Row {
            name,
            department: get("department"),
            manager_email: manager,
            employee_status: st.unwrap_or("active").to_string(),
        };
        match people.get_mut(&email) {
            Some(existing) => {
                merged += 1;
                let take = |old: &mut String, new: &str| {
                    if !new.is_empty() {
                        *old = new.to_string();
                    }
                };
                take(&mut existing.name, &row.name);
                take(&mut existing.department, &row.department);
                take(&mut existing.manager_email, &row.manager_email);
                existing.employee_status = row.employee_status;
            }
            None => {
                people.insert(email, row);
            }
        }
    }
    if !problems.is_empty() {
        return Ok(Err(problems));
    }
    if people.is_empty() {
        return Ok(Err(vec![problem(
            2,
            "-",
            "the file holds no person".into(),
        )]));
    }
    let now = app.clock.now_text();
    let mut tx = app.db.begin().await?;
    let mut report = DirectoryReport {
        merged,
        ..Default::default()
    };
    // Everyone already in the directory, read once; new people inserted a thousand at a time;
    // every change audited with one append (a 10,000-person directory is a few dozen
    // statements, not 50,000 round trips).
    type Existing = (i64, String, String, String, String, String);
    let existing: std::collections::HashMap<String, (i64, Row)> = sqlx::query_as::<_, Existing>(
        "SELECT id, email, name, department, manager_email, employee_status FROM custodians",
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(
        |(id, email, name, department, manager_email, employee_status)| {
            (
                email,
                (
                    id,
                    Row {
                        name,
                        department,
                        manager_email,
                        employee_status,
                    },
                ),
            )
        },
    )
    .collect();
    let after = |email: &str, row: &Row| json!({"email": email, "name": row.name, "department": row.department, "manager_email": row.manager_email, "employee_status": row.employee_status});
    let mut changes = vec![];
    let mut new_people = vec![];
    for (email, row) in &people {
        match existing.get(email) {
            Some((_, before)) if before == row => report.unchanged += 1,
            Some((id, before)) => {
                sqlx::query(
                    "UPDATE custodians SET name = $1, department = $2, manager_email = $3, employee_status = $4, updated_at = $5 WHERE id = $6",
                )
                .bind(&row.name)
                .bind(&row.department)
                .bind(&row.manager_email)
                .bind(&row.employee_status)
                .bind(&now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                changes.push(Change {
                    action: "custodian.update",
                    object_type: "custodian",
                    object_id: id.to_string(),
                    before: Some(json!({"name": before.name, "department": before.department, "manager_email": before.manager_email, "employee_status": before.employee_status})),
                    after: Some(after(email, row)),
                });
                report.updated += 1;
            }
            None => new_people.push((email, row)),
        }
    }
    let backend = crate::platform::db::backend_of(&tx);
    for chunk in new_people.chunks(1000) {
        let sql = format!(
            "INSERT INTO custodians (email, name, department, manager_email, employee_status, created_at, updated_at) VALUES {} RETURNING id, email",
            crate::platform::db::values(backend, chunk.len(), 7)
        );
        let mut q = sqlx::query_as::<_, (i64, String)>(sqlx::AssertSqlSafe(sql));
        for (email, row) in chunk {
            q = q
                .bind(email.as_str())
                .bind(&row.name)
                .bind(&row.department)
                .bind(&row.manager_email)
                .bind(&row.employee_status)
                .bind(&now)
                .bind(&now);
        }
        let ids: std::collections::HashMap<String, i64> = q
            .fetch_all(&mut *tx)
            .await?
            .into_iter()
            .map(|(id, e)| (e, id))
            .collect();
        for (email, row) in chunk {
            changes.push(Change {
                action: "custodian.create",
                object_type: "custodian",
                object_id: ids
                    .get(email.as_str())
                    .map(i64::to_string)
                    .unwrap_or_default(),
                before: None,
                after: Some(after(email, row)),
            });
            report.created += 1;
        }
    }
    audit::record_many(&mut tx, &now, &user.actor(), changes).await?;
    tx.commit().await?;
    Ok(Ok(report))
}

/// Custodians whose name, email or department contains `q`, by name.
pub async fn list(app: &App, q: &str) -> Result<Vec<Custodian>, AppError> {
    let like = format!("%{}%", q.trim().to_lowercase());
    Ok(sqlx::query_as::<_, Custodian>(
        "SELECT id, email, name, department, manager_email, employee_status, updated_at FROM custodians \
         WHERE $1 = '%%' OR LOWER(name) LIKE $1 OR email LIKE $1 OR LOWER(department) LIKE $1 ORDER BY name, email",
    )
    .bind(like)
    .fetch_all(app.db.pool())
    .await?)
}

/// One custodian.
pub async fn get(app: &App, id: i64) -> Result<Custodian, AppError> {
    sqlx::query_as::<_, Custodian>(
        "SELECT id, email, name, department, manager_email, employee_status, updated_at FROM custodians WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(app.db.pool())
    .await?
    .ok_or_else(|| AppError::NotFound("custodian".into()))
}
