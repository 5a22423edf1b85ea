//! The file plan: record categories, each with its retention rule (the `retention` crate's
//! types, stored as their text forms), imported and exported as CSV, edited one by one, and
//! versioned: every change that alters the plan stores the whole plan as a new version.

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::App;
use crate::matters::store::ImportProblem;
use crate::platform::access::CurrentUser;
use crate::platform::audit::{self, Change};
use crate::platform::db::Tx;
use crate::platform::error::AppError;

/// A record category as stored.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct CategoryRow {
    pub id: i64,
    pub code: String,
    pub title: String,
    pub description: String,
    pub owner: String,
    /// `created`, or the event that starts the clock (`contract_expiry`).
    pub trigger_event: String,
    /// `7y`, `18m`, `90d` or `permanent`.
    pub period: String,
    /// `none`, `month`, `year` or `fiscal_year`.
    pub cutoff: String,
    /// `destroy`, `review`, `transfer` or `keep`.
    pub disposition: String,
    pub citation: String,
    pub updated_at: String,
}

impl CategoryRow {
    /// The category as the retention crate sees it (stored values were checked on the way in).
    pub fn category(&self) -> Result<retention::Category, AppError> {
        let bad = |what: &str, e: String| {
            AppError::Internal(anyhow::anyhow!(
                "stored category {} has an invalid {what}: {e}",
                self.code
            ))
        };
        Ok(retention::Category {
            code: self.code.clone(),
            title: self.title.clone(),
            description: self.description.clone(),
            owner: self.owner.clone(),
            rule: retention::RetentionRule {
                trigger: retention::Trigger::parse(&self.trigger_event)
                    .map_err(|e| bad("trigger", e))?,
                period: retention::Period::parse(&self.period).map_err(|e| bad("period", e))?,
                cutoff: retention::Cutoff::parse(&self.cutoff).map_err(|e| bad("cutoff", e))?,
                action: retention::Disposition::parse(&self.disposition)
                    .map_err(|e| bad("disposition", e))?,
            },
            citation: self.citation.clone(),
        })
    }

    /// The rule in words.
    pub fn rule_text(&self) -> String {
        self.category()
            .map(|c| c.rule.describe())
            .unwrap_or_default()
    }
}

/// A category as typed in the form or sent to the API.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct CategoryInput {
    pub code: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub owner: String,
    /// `created`, or an event name.
    #[serde(default)]
    pub trigger: String,
    #[serde(default)]
    pub period: String,
    #[serde(default)]
    pub cutoff: String,
    #[serde(default)]
    pub disposition: String,
    #[serde(default)]
    pub citation: String,
}

impl CategoryInput {
    /// Checks every field; the errors are keyed by field name.
    pub fn check(&self) -> Result<retention::Category, AppError> {
        let mut errs: Vec<(String, String)> = vec![];
        let code = self.code.trim().to_string();
        if code.is_empty() {
            errs.push(("code".into(), "Give the category a code.".into()));
        } else if code.len() > 40 {
            errs.push(("code".into(), "At most 40 characters.".into()));
        }
        if self.title.trim().is_empty() {
            errs.push(("title".into(), "Give the category a title.".into()));
        }
        let trigger = retention::Trigger::parse(if self.trigger.trim().is_empty() {
            "created"
        } else {
            &self.trigger
        })
        .map_err(|e| errs.push(("trigger".into(), e)))
        .ok();
        let period = retention::Period::parse(&self.period)
            .map_err(|e| errs.push(("period".into(), e)))
            .ok();
        let cutoff = retention::Cutoff::parse(&self.cutoff)
            .map_err(|e| errs.push(("cutoff".into(), e)))
            .ok();
        let action = retention::Disposition::parse(&self.disposition)
            .map_err(|e| errs.push(("disposition".into(), e)))
            .ok();
        if let (Some(trigger), Some(period), Some(cutoff), Some(action)) =
            (trigger, period, cutoff, action)
        {
            let rule = retention::RetentionRule {
                trigger,
                period,
                cutoff,
                action,
            };
            if let Err(e) = rule.check() {
                errs.push(("disposition".into(), e));
            }
            if errs.is_empty() {
                return Ok(retention::Category {
                    code,
                    title: self.title.trim().to_string(),
                    description: self.description.trim().to_string(),
                    owner: self.owner.trim().to_string(),
                    rule,
                    citation: self.citation.trim().to_string(),
                });
            }
        }
        Err(AppError::Validation(
            errs.into_iter()
                .map(|(field, message)| crate::platform::error::FieldError { field, message })
                .collect(),
        ))
    }
}

const SELECT: &str = "SELECT id, code, title, description, owner, trigger_event, period, cutoff, disposition, citation, updated_at FROM record_categories";

/// The categories whose code, title, owner, description or citation contains `q`, by code.
pub async fn list(app: &App, q: &str) -> Result<Vec<CategoryRow>, AppError> {
    let like = format!("%{}%", q.trim().to_lowercase());
    Ok(sqlx::query_as::<_, CategoryRow>(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE $1 = '%%' OR LOWER(code) LIKE $1 OR LOWER(title) LIKE $1 OR LOWER(owner) LIKE $1 OR LOWER(description) LIKE $1 OR LOWER(citation) LIKE $1 ORDER BY code"
    )))
    .bind(like)
    .fetch_all(app.db.pool())
    .await?)
}

/// One category.
pub async fn get(app: &App, id: i64) -> Result<CategoryRow, AppError> {
    sqlx::query_as::<_, CategoryRow>(sqlx::AssertSqlSafe(format!("{SELECT} WHERE id = $1")))
        .bind(id)
        .fetch_optional(app.db.pool())
        .await?
        .ok_or_else(|| AppError::NotFound("record category".into()))
}

async fn all_in(tx: &mut Tx) -> Result<Vec<CategoryRow>, sqlx::Error> {
    sqlx::query_as::<_, CategoryRow>(sqlx::AssertSqlSafe(format!("{SELECT} ORDER BY code")))
        .fetch_all(&mut **tx)
        .await
}

fn to_csv(rows: &[CategoryRow]) -> Result<Vec<u8>, AppError> {
    let cats = rows
        .iter()
        .map(CategoryRow::category)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(retention::write_schedule(&cats))
}

/// The whole plan as CSV (what [`import_csv`] reads).
pub async fn export_csv(app: &App) -> Result<Vec<u8>, AppError> {
    to_csv(&list(app, "").await?)
}

fn audit_view(c: &retention::Category) -> serde_json::Value {
    json!({
        "code": c.code, "title": c.title, "description": c.description, "owner": c.owner,
        "trigger": c.rule.trigger.to_string(), "period": c.rule.period.to_string(),
        "cutoff": c.rule.cutoff.to_string(), "disposition": c.rule.action.to_string(),
        "citation": c.citation,
    })
}

/// Writes one category (insert or update by code) and its audit event; returns its id and
/// whether anything changed.
async fn write(
    tx: &mut Tx,
    user: &CurrentUser,
    now: &str,
    existing: Option<&CategoryRow>,
    c: &retention::Category,
) -> Result<(i64, bool), AppError> {
    let after = audit_view(c);
    match existing {
        Some(row) => {
            let before = audit_view(&row.category()?);
            if before == after {
                return Ok((row.id, false));
            }
            sqlx::query(
                "UPDATE record_categories SET code = $1, title = $2, description = $3, owner = $4, trigger_event = $5, period = $6, cutoff = $7, \
                 disposition = $8, citation = $9, updated_at = $10 WHERE id = $11",
            )
            .bind(&c.code)
            .bind(&c.title)
            .bind(&c.description)
            .bind(&c.owner)
            .bind(c.rule.trigger.to_string())
            .bind(c.rule.period.to_string())
            .bind(c.rule.cutoff.to_string())
            .bind(c.rule.action.to_string())
            .bind(&c.citation)
            .bind(now)
            .bind(row.id)
            .execute(&mut **tx)
            .await?;
            // Its records' dates follow the new rule.
            super::store::recompute_category(tx, row.id).await?;
            audit::record(
                tx,
                now,
                &user.actor(),
                Change {
                    action: "record_category.update",
                    object_type: "record_category",
                    object_id: row.id.to_string(),
                    before: Some(before),
                    after: Some(after),
                },
            )
            .await?;
            Ok((row.id, true))
        }
        None => {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO record_categories (code, title, description, owner, trigger_event, period, cutoff, disposition, citation, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id",
            )
            .bind(&c.code)
            .bind(&c.title)
            .bind(&c.description)
            .bind(&c.owner)
            .bind(c.rule.trigger.to_string())
            .bind(c.rule.period.to_string())
            .bind(c.rule.cutoff.to_string())
            .bind(c.rule.action.to_string())
            .bind(&c.citation)
            .bind(now)
            .fetch_one(&mut **tx)
            .await?;
            audit::record(
                tx,
                now,
                &user.actor(),
                Change {
                    action: "record_category.create",
                    object_type: "record_category",
                    object_id: id.to_string(),
                    before: None,
                    after: Some(after),
                },
            )
            .await?;
            Ok((id, true))
        }
    }
}

/// Stores the plan as it now stands as a new version.
async fn new_version(
    tx: &mut Tx,
    user: &CurrentUser,
    now: &str,
    note: &str,
) -> Result<i64, AppError> {
    let rows = all_in(tx).await?;
    let csv = String::from_utf8(to_csv(&rows)?).map_err(anyhow::Error::from)?;
    let version: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(MAX(version), 0) + 1 AS BIGINT) FROM file_plan_versions",
    )
    .fetch_one(&mut **tx)
    .await?;
    sqlx::query(
        "INSERT INTO file_plan_versions (version, created_at, created_by, note, categories, csv) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(version)
    .bind(now)
    .bind(user.id)
    .bind(note)
    .bind(rows.len() as i64)
    .bind(&csv)
    .execute(&mut **tx)
    .await?;
    audit::record(
        tx,
        now,
        &user.actor(),
        Change {
            action: "file_plan.version",
            object_type: "file_plan",
            object_id: version.to_string(),
            before: None,
            after: Some(json!({"version": version, "note": note, "categories": rows.len()})),
        },
    )
    .await?;
    Ok(version)
}

/// Creates (`id` = None) or edits a category from the form or the API; a change makes a new
/// version of the plan. Returns the category's id.
pub async fn save(
    app: &App,
    user: &CurrentUser,
    id: Option<i64>,
    input: &CategoryInput,
) -> Result<i64, AppError> {
    let c = input.check()?;
    let now = app.clock.now_text();
    let mut tx = app.db.begin().await?;
    let current = match id {
        Some(id) => Some(
            sqlx::query_as::<_, CategoryRow>(sqlx::AssertSqlSafe(format!(
                "{SELECT} WHERE id = $1"
            )))
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| AppError::NotFound("record category".into()))?,
        ),
        None => None,
    };
    let clash: Option<i64> =
        sqlx::query_scalar("SELECT id FROM record_categories WHERE LOWER(code) = LOWER($1)")
            .bind(&c.code)
            .fetch_optional(&mut *tx)
            .await?;
    if clash.is_some_and(|other| Some(other) != id) {
        return Err(AppError::field(
            "code",
            format!("The code {} is already used by another category.", c.code),
        ));
    }
    let (saved, changed) = write(&mut tx, user, &now, current.as_ref(), &c).await?;
    if changed {
        let note = if current.is_some() {
            format!("{} edited", c.code)
        } else {
            format!("{} added", c.code)
        };
        new_version(&mut tx, user, &now, &note).await?;
    }
    tx.commit().await?;
    Ok(saved)
}

/// What an import did.
#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct PlanImportReport {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Categories of the plan that the file does not mention (left as they are).
    pub not_in_file: usize,
    /// The plan's new version, when the import changed it.
    pub version: Option<i64>,
}

/// Imports a file plan from CSV: all or nothing. Categories are matched by code (created or
/// updated); those the file does not mention are left as they are; importing the same file
/// again changes nothing. Every problem is reported with its line and column.
pub async fn import_csv(
    app: &App,
    user: &CurrentUser,
    file: &str,
    bytes: &[u8],
) -> Result<Result<PlanImportReport, Vec<ImportProblem>>, AppError> {
    let categories = match retention::parse_schedule(bytes) {
        Ok(c) => c,
        Err(problems) => {
            return Ok(Err(problems
                .into_iter()
                .map(|p| ImportProblem {
                    file: file.to_string(),
                    line: p.line,
                    column: if p.column.is_empty() {
                        "-".into()
                    } else {
                        p.column
                    },
                    message: p.message,
                })
                .collect()));
        }
    };
    if categories.is_empty() {
        return Ok(Err(vec![ImportProblem {
            file: file.to_string(),
            line: 2,
            column: "-".into(),
            message: "the file holds no category".into(),
        }]));
    }
    let now = app.clock.now_text();
    let mut tx = app.db.begin().await?;
    let existing = all_in(&mut tx).await?;
    let mut report = PlanImportReport::default();
    for c in &categories {
        let current = existing
            .iter()
            .find(|r| r.code.eq_ignore_ascii_case(&c.code));
        match write(&mut tx, user, &now, current, c).await? {
            (_, false) => report.unchanged += 1,
            (_, true) if current.is_some() => report.updated += 1,
            (_, true) => report.created += 1,
        }
    }
    report.not_in_file = existing
        .iter()
        .filter(|r| {
            !categories
                .iter()
                .any(|c| c.code.eq_ignore_ascii_case(&r.code))
        })
        .count();
    if report.created + report.updated > 0 {
        let note = format!(
            "imported {file}: {} created, {} updated",
            report.created, report.updated
        );
        report.version = Some(new_version(&mut tx, user, &now, &note).await?);
    }
    tx.commit().await?;
    Ok(Ok(report))
}

/// A stored version of the plan.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct PlanVersion {
    pub version: i64,
    pub created_at: String,
    pub created_by: Option<String>,
    pub note: String,
    pub categories: i64,
}

/// Every version, newest first.
pub async fn versions(app: &App) -> Result<Vec<PlanVersion>, AppError> {
    Ok(sqlx::query_as::<_, PlanVersion>(
        "SELECT v.version, v.created_at, u.name AS created_by, v.note, v.categories FROM file_plan_versions v LEFT JOIN users u ON u.id = v.created_by ORDER BY v.version DESC",
    )
    .fetch_all(app.db.pool())
    .await?)
}

/// The plan as it stood at `version`, as CSV.
pub async fn version_csv(app: &App, version: i64) -> Result<Vec<u8>, AppError> {
    let csv: String = sqlx::query_scalar("SELECT csv FROM file_plan_versions WHERE version = $1")
        .bind(version)
        .fetch_optional(app.db.pool())
        .await?
        .ok_or_else(|| AppError::NotFound("file plan version".into()))?;
    Ok(csv.into_bytes())
}
