//! The department's holiday calendar: days that are not business days besides weekends, used
//! when a notice's send-by date allows business days for delivery (and when a deadline on a
//! holiday moves to the business day before). Holidays are data: added one by one, imported
//! from CSV (`date,name`), or filled with the United States federal holidays of a year. Any
//! change makes every contract's key dates be computed again on the next read.

use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::keydates::{self, Holidays};
use crate::App;
use crate::matters::store::{ImportProblem, csv_open};
use crate::platform::access::CurrentUser;
use crate::platform::audit::{self, Change};
use crate::platform::db::Tx;
use crate::platform::error::{AppError, FieldError};

/// A holiday.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Holiday {
    /// YYYY-MM-DD.
    pub day: String,
    pub name: String,
}

/// A holiday to add.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct HolidayInput {
    /// YYYY-MM-DD.
    #[serde(default)]
    pub day: String,
    #[serde(default)]
    pub name: String,
}

/// What an import or a fill changed.
#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct HolidayImport {
    pub added: usize,
    /// Days already in the calendar whose name changed.
    pub renamed: usize,
    pub unchanged: usize,
}

/// The calendar, for the key-date computation.
pub async fn load(app: &App) -> Result<Holidays, AppError> {
    let rows: Vec<(String, String)> = sqlx::query_as("SELECT day, name FROM holidays ORDER BY day")
        .fetch_all(app.db.pool())
        .await?;
    let mut h = Holidays::default();
    for (day, name) in rows {
        if let Ok(d) = jiff::civil::Date::strptime("%Y-%m-%d", &day) {
            h.0.insert(d, name);
        }
    }
    Ok(h)
}

/// A digest of the calendar: the stored key dates were computed with the calendar it names.
pub fn digest(h: &Holidays) -> String {
    let mut sha = Sha256::new();
    for (d, n) in &h.0 {
        sha.update(format!("{d}\t{n}\n").as_bytes());
    }
    hex::encode(&sha.finalize()[..8])
}

/// The holidays of `year` (all when `None`), in date order.
pub async fn list(app: &App, year: Option<i16>) -> Result<Vec<Holiday>, AppError> {
    let prefix = year.map(|y| format!("{y:04}-")).unwrap_or_default();
    Ok(sqlx::query_as(
        "SELECT day, name FROM holidays WHERE SUBSTR(day, 1, LENGTH($1)) = $1 ORDER BY day",
    )
    .bind(prefix)
    .fetch_all(app.db.pool())
    .await?)
}

/// The calendar's years, newest first.
pub async fn years(app: &App) -> Result<Vec<String>, AppError> {
    Ok(
        sqlx::query_scalar("SELECT DISTINCT SUBSTR(day, 1, 4) AS y FROM holidays ORDER BY y DESC")
            .fetch_all(app.db.pool())
            .await?,
    )
}

/// Checks a day and a name: the day (YYYY-MM-DD) and a name of 1 to 100 characters.
fn check(day: &str, name: &str) -> Result<(String, String), Vec<FieldError>> {
    let mut errs = vec![];
    let day = day.trim();
    let name = name.trim();
    let parsed = jiff::civil::Date::strptime("%Y-%m-%d", day);
    if parsed.is_err() {
        errs.push(FieldError::new(
            "day",
            format!("`{day}` is not a date (YYYY-MM-DD)."),
        ));
    }
    if name.is_empty() || name.chars().count() > 100 {
        errs.push(FieldError::new(
            "name",
            "Name the holiday (1 to 100 characters).",
        ));
    }
    match parsed {
        Ok(d) if errs.is_empty() => Ok((d.to_string(), name.to_string())),
        _ => Err(errs),
    }
}

/// Queues the recomputation of every contract's key dates in the change's transaction (one
/// queued job at a time, whatever the number of changes).
async fn queue_refresh(tx: &mut Tx, now: &str) -> Result<(), sqlx::Error> {
    crate::platform::jobs::enqueue(
        tx,
        now,
        super::dates::REFRESH_JOB,
        &json!({}),
        Some(super::dates::REFRESH_JOB),
        None,
    )
    .await
    .map(drop)
}

/// The name of the holiday on `day`, if it is one.
async fn name_of(tx: &mut Tx, day: &str) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT name FROM holidays WHERE day = $1")
        .bind(day)
        .fetch_optional(&mut **tx)
        .await
}

async fn insert(tx: &mut Tx, day: &str, name: &str, by: i64, now: &str) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO holidays (day, name, created_by, created_at) VALUES ($1, $2, $3, $4)")
        .bind(day)
        .bind(name)
        .bind(by)
        .bind(now)
        .execute(&mut **tx)
        .await
        .map(drop)
}

/// Adds one holiday; a day already in the calendar is refused.
pub async fn add(app: &App, user: &CurrentUser, input: &HolidayInput) -> Result<Holiday, AppError> {
    let (day, name) = check(&input.day, &input.name).map_err(AppError::Validation)?;
    let now = app.clock.now_text();
    let mut tx = app.db.begin().await?;
    let existing = name_of(&mut tx, &day).await?;
    if let Some(other) = existing {
        return Err(AppError::field(
            "day",
            format!("{day} is already a holiday ({other})."),
        ));
    }
    insert(&mut tx, &day, &name, user.id, &now).await?;
    audit::record(
        &mut tx,
        &now,
        &user.actor(),
        Change {
            action: "contract.holiday_add",
            object_type: "holiday",
            object_id: day.clone(),
            before: None,
            after: Some(json!({"day": day, "name": name})),
        },
    )
    .await?;
    queue_refresh(&mut tx, &now).await?;
    tx.commit().await?;
    Ok(Holiday { day, name })
}

/// Removes a holiday.
pub async fn remove(app: &App, user: &CurrentUser, day: &str) -> Result<(), AppError> {
    let now = app.clock.now_text();
    let mut tx = app.db.begin().await?;
    let name = name_of(&mut tx, day).await?;
    let Some(name) = name else {
        return Err(AppError::NotFound("holiday".into()));
    };
    sqlx::query("DELETE FROM holidays WHERE day = $1")
        .bind(day)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        &now,
        &user.actor(),
        Change {
            action: "contract.holiday_remove",
            object_type: "holiday",
            object_id: day.to_string(),
            before: Some(json!({"day": day, "name": name})),
            after: None,
        },
    )
    .await?;
    queue_refresh(&mut tx, &now).await?;
    tx.commit().await?;
    Ok(())
}

/// Writes checked rows in one transaction: new days are added, known days renamed when their
/// name differs; the same rows again change nothing.
async fn upsert(
    app: &App,
    user: &CurrentUser,
    source: &str,
    rows: &[(String, String)],
) -> Result<HolidayImport, AppError> {
    let now = app.clock.now_text();
    let mut tx = app.db.begin().await?;
    let mut out = HolidayImport::default();
    let mut changes = vec![];
    for (day, name) in rows {
        let existing = name_of(&mut tx, day).await?;
        match existing {
            Some(n) if n == *name => out.unchanged += 1,
            Some(before) => {
                changes.push(json!({"day": day, "before": before, "after": name}));
                sqlx::query("UPDATE holidays SET name = $1 WHERE day = $2")
                    .bind(name)
                    .bind(day)
                    .execute(&mut *tx)
                    .await?;
                out.renamed += 1;
            }
            None => {
                insert(&mut tx, day, name, user.id, &now).await?;
                changes.push(json!({"day": day, "before": null, "after": name}));
                out.added += 1;
            }
        }
    }
    if out.added + out.renamed > 0 {
        audit::record(
            &mut tx,
            &now,
            &user.actor(),
            Change {
                action: "contract.holidays_import",
                object_type: "holiday",
                object_id: source.to_string(),
                before: None,
                after: Some(
                    json!({"added": out.added, "renamed": out.renamed, "unchanged": out.unchanged, "changes": changes}),
                ),
            },
        )
        .await?;
        queue_refresh(&mut tx, &now).await?;
    }
    tx.commit().await?;
    Ok(out)
}

/// Imports holidays from CSV with the columns `date` (or `day`) and `name`: every row is
/// checked first and the problems (file, line, column) reported with nothing written.
pub async fn import_csv(
    app: &App,
    user: &CurrentUser,
    file: &str,
    bytes: &[u8],
) -> Result<Result<HolidayImport, Vec<ImportProblem>>, AppError> {
    let problem =
        |line: u64, column: &str, message: String| ImportProblem::at(file, line, column, message);
    let (mut rdr, headers) = match csv_open(file, bytes, false) {
        Ok(x) => x,
        Err(p) => return Ok(Err(vec![p])),
    };
    let day_col = headers.iter().position(|h| h == "date" || h == "day");
    let name_col = headers.iter().position(|h| h == "name");
    let (Some(day_col), Some(name_col)) = (day_col, name_col) else {
        return Ok(Err(vec![problem(
            1,
            if day_col.is_none() { "date" } else { "name" },
            "the header line needs the columns date and name".into(),
        )]));
    };
    let mut problems = vec![];
    let mut rows = vec![];
    let mut seen = std::collections::HashMap::new();
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
        match check(
            rec.get(day_col).unwrap_or(""),
            rec.get(name_col).unwrap_or(""),
        ) {
            Ok((day, name)) => {
                if let Some(first) = seen.insert(day.clone(), line) {
                    problems.push(problem(
                        line,
                        "date",
                        format!("{day} is also on line {first}"),
                    ));
                }
                rows.push((day, name));
            }
            Err(errs) => problems.extend(errs.into_iter().map(|e| {
                let column = if e.field == "day" { "date" } else { "name" };
                problem(line, column, e.message)
            })),
        }
        if problems.len() >= 50 {
            break;
        }
    }
    if !problems.is_empty() {
        return Ok(Err(problems));
    }
    if rows.is_empty() {
        return Ok(Err(vec![problem(
            2,
            "-",
            "the file has no holidays".into(),
        )]));
    }
    Ok(Ok(upsert(app, user, file, &rows).await?))
}

/// Fills the calendar with the United States federal holidays of `year`, as observed.
pub async fn add_us_federal(
    app: &App,
    user: &CurrentUser,
    year: i16,
) -> Result<HolidayImport, AppError> {
    if !(1971..=2200).contains(&year) {
        return Err(AppError::field("year", "Choose a year from 1971 to 2200."));
    }
    let rows: Vec<(String, String)> = keydates::us_federal(year)
        .into_iter()
        .map(|(d, n)| (d.to_string(), n))
        .collect();
    upsert(app, user, &format!("us-federal-{year}"), &rows).await
}
