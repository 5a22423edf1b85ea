//! Contract templates (minijinja over Markdown with a typed variable schema, from the
//! `drafting` crate), their revisions, the clause library (preferred text, ordered fallback
//! positions, guidance), and drafting a contract's next version from a template.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::model::{Version, lenient};
use super::store;
use crate::platform::access::CurrentUser;
use crate::platform::app::App;
use crate::platform::audit::{self, Change};
use crate::platform::db::is_unique_violation;
use crate::platform::error::{AppError, FieldError};

/// A template as pages show it.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Template {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub type_code: String,
    pub type_name: String,
    pub description: String,
    pub body: String,
    pub schema_json: String,
    pub revision: i64,
    pub active: i64,
    pub updated_at: String,
    pub updated_by_name: Option<String>,
}

impl Template {
    pub fn schema(&self) -> drafting::Schema {
        serde_json::from_str(&self.schema_json).unwrap_or_default()
    }
}

const SELECT: &str = "SELECT ct.id, ct.code, ct.name, t.code AS type_code, t.name AS type_name, ct.description, ct.body, ct.schema_json, ct.revision, ct.active, \
    ct.updated_at, u.name AS updated_by_name FROM contract_templates ct JOIN contract_types t ON t.id = ct.type_id LEFT JOIN users u ON u.id = ct.updated_by";

/// A template's fields as typed into the form or sent to the API.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct TemplateInput {
    #[serde(default, deserialize_with = "lenient")]
    pub code: String,
    #[serde(default, deserialize_with = "lenient")]
    pub name: String,
    #[serde(default, rename = "type", deserialize_with = "lenient")]
    pub type_code: String,
    #[serde(default, deserialize_with = "lenient")]
    pub description: String,
    /// minijinja over Markdown.
    #[serde(default, deserialize_with = "lenient")]
    pub body: String,
    /// The variable schema as JSON text: `{"variables": [{"name", "label", "type", "required", …}]}`.
    #[serde(default, deserialize_with = "lenient")]
    pub schema: String,
    /// `1`/`true`: offered for drafting.
    #[serde(default, deserialize_with = "lenient")]
    pub active: String,
}

/// Templates, active first.
pub async fn list(app: &App) -> Result<Vec<Template>, AppError> {
    Ok(sqlx::query_as::<_, Template>(sqlx::AssertSqlSafe(format!(
        "{SELECT} ORDER BY ct.active DESC, ct.name"
    )))
    .fetch_all(app.db.pool())
    .await?)
}

pub async fn get(app: &App, id: i64) -> Result<Template, AppError> {
    sqlx::query_as::<_, Template>(sqlx::AssertSqlSafe(format!("{SELECT} WHERE ct.id = $1")))
        .bind(id)
        .fetch_optional(app.db.pool())
        .await?
        .ok_or_else(|| AppError::NotFound("template".into()))
}

pub async fn by_code(app: &App, code: &str) -> Result<Template, AppError> {
    sqlx::query_as::<_, Template>(sqlx::AssertSqlSafe(format!("{SELECT} WHERE ct.code = $1")))
        .bind(code.trim())
        .fetch_optional(app.db.pool())
        .await?
        .ok_or_else(|| AppError::NotFound("template".into()))
}

fn code_ok(c: &str) -> bool {
    !c.is_empty()
        && c.len() <= 60
        && c.chars()
            .all(|x| x.is_ascii_lowercase() || x.is_ascii_digit() || x == '-' || x == '_')
}

/// Saves a new template (`id` None) or a new revision of one. The template is checked against
/// its schema and the clause library first (syntax, unknown variables by line, a trial
/// rendering); any problem refuses the save.
pub async fn save(
    app: &App,
    user: &CurrentUser,
    id: Option<i64>,
    input: &TemplateInput,
) -> Result<Template, AppError> {
    let mut errs = vec![];
    let code = input.code.trim().to_ascii_lowercase();
    if !code_ok(&code) {
        errs.push(FieldError::new(
            "code",
            "Use 1 to 60 lower-case letters, digits, - and _.",
        ));
    }
    let name = input.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 200 {
        errs.push(FieldError::new(
            "name",
            "Enter a name of 1 to 200 characters.",
        ));
    }
    if input.body.len() > 1_000_000 {
        errs.push(FieldError::new("body", "A template is at most 1 MB."));
    }
    let schema = if input.schema.trim().is_empty() {
        Ok(drafting::Schema::default())
    } else {
        drafting::Schema::from_json(&input.schema)
    };
    let schema = match schema {
        Ok(s) => Some(s),
        Err(ps) => {
            for p in ps {
                errs.push(FieldError::new("schema", p.to_string()));
            }
            None
        }
    };
    if let Some(s) = &schema {
        let clauses = clause_texts(app).await?;
        for p in drafting::template::check(&input.body, s, &clauses) {
            errs.push(FieldError::new("body", p.to_string()));
        }
    }
    if !errs.is_empty() {
        return Err(AppError::Validation(errs));
    }
    let schema_json = serde_json::to_string_pretty(&schema.expect("checked")).unwrap_or_default();
    let active = matches!(input.active.trim(), "1" | "true" | "on" | "yes") as i64;
    let now = app.clock.now_text();
    let mut tx = app.db.begin().await?;
    let type_id: Option<i64> = sqlx::query_scalar("SELECT id FROM contract_types WHERE code = $1")
        .bind(input.type_code.trim().to_ascii_lowercase())
        .fetch_optional(&mut *tx)
        .await?;
    let type_id = type_id.ok_or_else(|| AppError::field("type", "Choose a contract type."))?;
    let (id, revision) = match id {
        None => {
            let res = sqlx::query_scalar::<_, i64>(
                "INSERT INTO contract_templates (code, name, type_id, description, body, schema_json, revision, active, updated_at, updated_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $8, $9) RETURNING id",
            )
            .bind(&code)
            .bind(&name)
            .bind(type_id)
            .bind(input.description.trim())
            .bind(&input.body)
            .bind(&schema_json)
            .bind(active)
            .bind(&now)
            .bind(user.id)
            .fetch_one(&mut *tx)
            .await;
            match res {
                Ok(id) => (id, 1),
                Err(e) if is_unique_violation(&e) => {
                    return Err(AppError::field(
                        "code",
                        format!("A template {code} already exists."),
                    ));
                }
                Err(e) => return Err(e.into()),
            }
        }
        Some(id) => {
            let rev: Option<i64> = sqlx::query_scalar(
                "UPDATE contract_templates SET code = $1, name = $2, type_id = $3, description = $4, body = $5, schema_json = $6, revision = revision + 1, \
                 active = $7, updated_at = $8, updated_by = $9 WHERE id = $10 RETURNING revision",
            )
            .bind(&code)
            .bind(&name)
            .bind(type_id)
            .bind(input.description.trim())
            .bind(&input.body)
            .bind(&schema_json)
            .bind(active)
            .bind(&now)
            .bind(user.id)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(|e| {
                if is_unique_violation(&e) {
                    AppError::field("code", format!("A template {code} already exists."))
                } else {
                    e.into()
                }
            })?;
            (
                id,
                rev.ok_or_else(|| AppError::NotFound("template".into()))?,
            )
        }
    };
    sqlx::query(
        "INSERT INTO contract_template_revisions (template_id, revision, body, schema_json, saved_at, saved_by) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(revision)
    .bind(&input.body)
    .bind(&schema_json)
    .bind(&now)
    .bind(user.id)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        &now,
        &user.actor(),
        Change {
            action: "contract_template.save",
            object_type: "contract_template",
            object_id: id.to_string(),
            before: None,
            after: Some(json!({"code": code, "name": name, "revision": revision, "active": active == 1, "chars": input.body.chars().count()})),
        },
    )
    .await?;
    tx.commit().await?;
    get(app, id).await
}

/// A fallback position of a clause.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
pub struct Fallback {
    pub text: String,
    #[serde(default)]
    pub guidance: String,
}

/// A clause of the library.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Clause {
    pub id: i64,
    pub code: String,
    pub title: String,
    pub category: String,
    pub preferred: String,
    pub guidance: String,
    pub fallbacks_json: String,
    pub updated_at: String,
}

impl Clause {
    pub fn fallbacks(&self) -> Vec<Fallback> {
        serde_json::from_str(&self.fallbacks_json).unwrap_or_default()
    }
}

/// A clause as typed into the form or sent to the API.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct ClauseInput {
    pub code: String,
    pub title: String,
    /// A CUAD category (e.g. `Governing Law`), or empty.
    #[serde(default)]
    pub category: String,
    pub preferred: String,
    #[serde(default)]
    pub guidance: String,
    /// Ordered fallback positions, most preferred first.
    #[serde(default)]
    pub fallbacks: Vec<Fallback>,
}

/// The clause library, by title.
pub async fn clauses(app: &App) -> Result<Vec<Clause>, AppError> {
    Ok(sqlx::query_as(
        "SELECT id, code, title, category, preferred, guidance, fallbacks_json, updated_at FROM clauses ORDER BY title",
    )
    .fetch_all(app.db.pool())
    .await?)
}

pub async fn clause(app: &App, id: i64) -> Result<Clause, AppError> {
    sqlx::query_as(
        "SELECT id, code, title, category, preferred, guidance, fallbacks_json, updated_at FROM clauses WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(app.db.pool())
    .await?
    .ok_or_else(|| AppError::NotFound("clause".into()))
}

/// Every clause's texts as templates see them: preferred first, then the fallbacks in order.
pub async fn clause_texts(app: &App) -> Result<drafting::ClauseTexts, AppError> {
    let mut out = BTreeMap::new();
    for c in clauses(app).await? {
        let mut v = vec![c.preferred.clone()];
        v.extend(c.fallbacks().into_iter().map(|f| f.text));
        out.insert(c.code, v);
    }
    Ok(out)
}

/// Saves a clause (new when `id` is None).
pub async fn save_clause(
    app: &App,
    user: &CurrentUser,
    id: Option<i64>,
    input: &ClauseInput,
) -> Result<Clause, AppError> {
    let mut errs = vec![];
    let code = input.code.trim().to_ascii_lowercase();
    if !code_ok(&code) {
        errs.push(FieldError::new(
            "code",
            "Use 1 to 60 lower-case letters, digits, - and _.",
        ));
    }
    let title = input.title.trim();
    if title.is_empty() || title.chars().count() > 200 {
        errs.push(FieldError::new(
            "title",
            "Enter a title of 1 to 200 characters.",
        ));
    }
    if input.preferred.trim().is_empty() {
        errs.push(FieldError::new("preferred", "Write the preferred text."));
    }
    let fallbacks: Vec<Fallback> = input
        .fallbacks
        .iter()
        .filter(|f| !f.text.trim().is_empty())
        .map(|f| Fallback {
            text: f.text.trim().to_string(),
            guidance: f.guidance.trim().to_string(),
        })
        .collect();
    let total: usize = input.preferred.len()
        + fallbacks
            .iter()
            .map(|f| f.text.len() + f.guidance.len())
            .sum::<usize>();
    if total > 200_000 {
        errs.push(FieldError::new(
            "preferred",
            "A clause's texts are at most 200 KB together.",
        ));
    }
    if !errs.is_empty() {
        return Err(AppError::Validation(errs));
    }
    let fallbacks_json = serde_json::to_string(&fallbacks).unwrap_or_else(|_| "[]".into());
    let now = app.clock.now_text();
    let mut tx = app.db.begin().await?;
    let res = match id {
        None => sqlx::query_scalar::<_, i64>(
            "INSERT INTO clauses (code, title, category, preferred, guidance, fallbacks_json, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(&code)
        .bind(title)
        .bind(input.category.trim())
        .bind(input.preferred.trim())
        .bind(input.guidance.trim())
        .bind(&fallbacks_json)
        .bind(&now)
        .bind(user.id)
        .fetch_one(&mut *tx)
        .await
        .map(Some),
        Some(id) => sqlx::query_scalar::<_, i64>(
            "UPDATE clauses SET code = $1, title = $2, category = $3, preferred = $4, guidance = $5, fallbacks_json = $6, updated_at = $7, updated_by = $8 \
             WHERE id = $9 RETURNING id",
        )
        .bind(&code)
        .bind(title)
        .bind(input.category.trim())
        .bind(input.preferred.trim())
        .bind(input.guidance.trim())
        .bind(&fallbacks_json)
        .bind(&now)
        .bind(user.id)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await,
    };
    let id = match res {
        Ok(Some(id)) => id,
        Ok(None) => return Err(AppError::NotFound("clause".into())),
        Err(e) if is_unique_violation(&e) => {
            return Err(AppError::field(
                "code",
                format!("A clause {code} already exists."),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    audit::record(
        &mut tx,
        &now,
        &user.actor(),
        Change {
            action: "clause.save",
            object_type: "clause",
            object_id: id.to_string(),
            before: None,
            after: Some(json!({"code": code, "title": title, "category": input.category.trim(), "fallbacks": fallbacks.len()})),
        },
    )
    .await?;
    tx.commit().await?;
    clause(app, id).await
}

/// Drafts the next version of a contract from a template and answers (form fields by name):
/// checked answers, rendered Markdown, a DOCX. Problems with the answers come back by field.
pub async fn draft(
    app: &App,
    user: &CurrentUser,
    contract_id: i64,
    template_id: i64,
    raw: &BTreeMap<String, String>,
) -> Result<Version, AppError> {
    let c = store::get(app, Some(user), contract_id).await?;
    let t = get(app, template_id).await?;
    if t.active == 0 {
        return Err(AppError::Conflict(format!(
            "Template {} is retired.",
            t.name
        )));
    }
    let schema = t.schema();
    let answers = schema.answers(raw).map_err(|ps| {
        AppError::Validation(
            ps.into_iter()
                .map(|p| FieldError::new(p.field.as_deref().unwrap_or("answers"), p.message))
                .collect(),
        )
    })?;
    let clauses = clause_texts(app).await?;
    let rendered = drafting::template::render(&t.body, &schema, &answers, &clauses)
        .map_err(|p| AppError::BadRequest(format!("template {}: {p}", t.code)))?;
    let doc = rendered.document;
    let (bytes, text) = tokio::task::spawn_blocking(move || {
        let bytes = drafting::docx::to_docx(&doc);
        (bytes, doc.plain_text())
    })
    .await
    .map_err(|e| AppError::Internal(anyhow::anyhow!(e.to_string())))?;
    let bytes = bytes.map_err(|e| AppError::Internal(anyhow::anyhow!(e.to_string())))?;
    // Read back what Word will read, so a generated version compares like an uploaded one.
    let text = match evidence::extract(evidence::Kind::Docx, &bytes, &Default::default()) {
        Ok(x) => x.text,
        Err(_) => text,
    };
    let filename = format!("{}-{}.docx", c.number, t.code);
    let p = store::prepare_generated(app, filename, bytes, text).await?;
    let answers_json = serde_json::to_string(&json!({
        "fields": answers.to_fields(),
        "clauses": rendered.clauses,
    }))
    .unwrap_or_default();
    store::add_version(
        app,
        user,
        contract_id,
        p,
        "generated",
        &format!("From template {} (revision {})", t.name, t.revision),
        Some(store::Generated {
            template_id: t.id,
            revision: t.revision,
            answers_json: &answers_json,
        }),
    )
    .await
}
