//! File-plan pages: the plan (search, CSV export, versions, import), and the category form.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Multipart, Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::plan::{self, CategoryInput, CategoryRow, PlanImportReport, PlanVersion};
use crate::matters::store::ImportProblem;
use crate::platform::access::Permission;
use crate::platform::error::{AppError, PageResult};
use crate::platform::web::redirect_with_flash;
use crate::platform::web::ui::{FlashKind, Layout, PageCtx, csv_response};

#[derive(Deserialize, Default)]
pub struct PlanQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    format: String,
}

#[derive(Template)]
#[template(path = "records/plan.html")]
struct PlanPage {
    layout: Layout,
    q: String,
    categories: Vec<CategoryRow>,
    versions: Vec<PlanVersion>,
    can_manage: bool,
    report: Option<PlanImportReport>,
    problems: Vec<ImportProblem>,
    columns: String,
}

async fn plan_page(
    ctx: &PageCtx,
    q: String,
    report: Option<PlanImportReport>,
    problems: Vec<ImportProblem>,
) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    let status = if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut r = ctx.render(PlanPage {
        layout: ctx.layout("File plan", "file-plan"),
        categories: plan::list(&ctx.app, &q).await?,
        q,
        versions: plan::versions(&ctx.app).await?,
        can_manage: user.can(Permission::ManageRecords),
        report,
        problems,
        columns: retention::COLUMNS.join(","),
    })?;
    *r.status_mut() = status;
    Ok(r)
}

/// GET /records/plan (`?format=csv` downloads the whole plan)
pub async fn list(ctx: PageCtx, Query(f): Query<PlanQuery>) -> PageResult<Response> {
    if f.format == "csv" {
        let bytes = plan::export_csv(&ctx.app).await?;
        return Ok(csv_bytes("file-plan.csv", bytes));
    }
    plan_page(&ctx, f.q, None, vec![]).await
}

fn csv_bytes(name: &str, bytes: Vec<u8>) -> Response {
    // The plan's CSV is written by the retention crate; serve it as it is.
    let rows: Vec<Vec<String>> = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(bytes.as_slice())
        .records()
        .filter_map(Result::ok)
        .map(|r| r.iter().map(str::to_string).collect())
        .collect();
    csv_response(name, &retention::COLUMNS, rows)
}

/// GET /records/plan/versions/{version} — the plan as it stood then, as CSV.
pub async fn version(ctx: PageCtx, Path(version): Path<i64>) -> PageResult<Response> {
    let bytes = plan::version_csv(&ctx.app, version).await?;
    Ok(csv_bytes(&format!("file-plan-v{version}.csv"), bytes))
}

/// POST /records/plan/import (multipart; CSRF token in the `_csrf` query)
pub async fn import(ctx: PageCtx, mut multipart: Multipart) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    let mut file = None;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| AppError::BadRequest(format!("the upload could not be read: {e}")))?
    {
        if field.name() == Some("file") {
            let name = field.file_name().unwrap_or("file-plan.csv").to_string();
            let bytes = field
                .bytes()
                .await
                .map_err(|e| AppError::BadRequest(format!("the upload could not be read: {e}")))?;
            file = Some((name, bytes));
        }
    }
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        let p = ImportProblem {
            file: "-".into(),
            line: 0,
            column: "file".into(),
            message: "Choose a CSV file to import.".into(),
        };
        return plan_page(&ctx, String::new(), None, vec![p]).await;
    };
    match plan::import_csv(&ctx.app, &user, &name, &bytes).await? {
        Ok(report) => plan_page(&ctx, String::new(), Some(report), vec![]).await,
        Err(problems) => plan_page(&ctx, String::new(), None, problems).await,
    }
}

#[derive(Template)]
#[template(path = "records/category_form.html")]
struct FormPage {
    layout: Layout,
    id: Option<i64>,
    form: CategoryInput,
    errors: HashMap<String, String>,
    rule_text: String,
}

async fn form_page(
    ctx: &PageCtx,
    id: Option<i64>,
    form: CategoryInput,
    errors: HashMap<String, String>,
) -> PageResult<Response> {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let rule_text = form.check().map(|c| c.rule.describe()).unwrap_or_default();
    let title = if id.is_some() {
        "Edit record category"
    } else {
        "New record category"
    };
    let mut r = ctx.render(FormPage {
        layout: ctx.layout(title, "file-plan"),
        id,
        form,
        errors,
        rule_text,
    })?;
    *r.status_mut() = status;
    Ok(r)
}

/// GET /records/plan/new
pub async fn new_form(ctx: PageCtx) -> PageResult<Response> {
    let form = CategoryInput {
        trigger: "created".into(),
        cutoff: "year".into(),
        disposition: "destroy".into(),
        ..Default::default()
    };
    form_page(&ctx, None, form, HashMap::new()).await
}

/// GET /records/plan/{id}/edit
pub async fn edit_form(ctx: PageCtx, Path(id): Path<i64>) -> PageResult<Response> {
    let c = plan::get(&ctx.app, id).await?;
    let form = CategoryInput {
        code: c.code,
        title: c.title,
        description: c.description,
        owner: c.owner,
        trigger: c.trigger_event,
        period: c.period,
        cutoff: c.cutoff,
        disposition: c.disposition,
        citation: c.citation,
    };
    form_page(&ctx, Some(id), form, HashMap::new()).await
}

async fn save(ctx: PageCtx, id: Option<i64>, form: CategoryInput) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    match plan::save(&ctx.app, &user, id, &form).await {
        Ok(_) => Ok(redirect_with_flash(
            &ctx.app,
            "/records/plan",
            FlashKind::Success,
            &format!("Category {} saved.", form.code.trim()),
        )),
        Err(e @ AppError::Validation(_)) => form_page(&ctx, id, form, e.into_field_map()?).await,
        Err(e) => Err(e.into()),
    }
}

/// POST /records/plan
pub async fn create(ctx: PageCtx, Form(form): Form<CategoryInput>) -> PageResult<Response> {
    save(ctx, None, form).await
}

/// POST /records/plan/{id}
pub async fn update(
    ctx: PageCtx,
    Path(id): Path<i64>,
    Form(form): Form<CategoryInput>,
) -> PageResult<Response> {
    plan::get(&ctx.app, id).await?;
    save(ctx, Some(id), form).await
}
