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
pub async fn import(ctx: PageCtx, multipart: Multipart) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    let file = crate::platform::web::read_one_file(multipart, "file", "file-plan.csv").await?;
    let Some((name, bytes)) = file else {
        return plan_page(&ctx, String::new(), None, vec![ImportProblem::no_file()]).await;
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
    /// After "Preview": the records whose retention would change, with the new retention.
    moving: Option<Vec<(records::RecordRow, String)>>,
}

async fn form_page(
    ctx: &PageCtx,
    id: Option<i64>,
    form: CategoryInput,
    errors: HashMap<String, String>,
) -> PageResult<Response> {
    form_page_with(ctx, id, form, errors, None).await
}

async fn form_page_with(
    ctx: &PageCtx,
    id: Option<i64>,
    form: CategoryInput,
    errors: HashMap<String, String>,
    moving: Option<Vec<(records::RecordRow, String)>>,
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
        moving,
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
        Err(AppError::Conflict(m)) => {
            form_page(&ctx, id, form, HashMap::from([("period".to_string(), m)])).await
        }
        Err(e) => Err(e.into()),
    }
}

/// POST /records/plan
pub async fn create(ctx: PageCtx, Form(form): Form<CategoryInput>) -> PageResult<Response> {
    save(ctx, None, form).await
}

/// The category form with the button pressed.
#[derive(Deserialize)]
pub struct EditForm {
    #[serde(flatten)]
    input: CategoryInput,
    /// `preview`: show which records' retention would change, save nothing.
    #[serde(default)]
    action: String,
}

/// POST /records/plan/{id}
pub async fn update(
    ctx: PageCtx,
    Path(id): Path<i64>,
    Form(f): Form<EditForm>,
) -> PageResult<Response> {
    plan::get(&ctx.app, id).await?;
    if f.action == "preview" {
        return match f.input.check() {
            Ok(c) => {
                let moving = records::preview_rule_change(&ctx.app, id, &c).await?;
                form_page_with(&ctx, Some(id), f.input, HashMap::new(), Some(moving)).await
            }
            Err(e) => form_page(&ctx, Some(id), f.input, e.into_field_map()?).await,
        };
    }
    save(ctx, Some(id), f.input).await
}

// ---- Records ----

use super::store::{self as records, NewRecord, RecordFilter, RecordRow};
use crate::platform::web::ui::{ListParams, Pager};

#[derive(Deserialize, Default)]
pub struct RecordQuery {
    #[serde(flatten)]
    list: ListParams,
    #[serde(default)]
    category: String,
    #[serde(default)]
    state: String,
}

#[derive(Template)]
#[template(path = "records/list.html")]
struct ListPage {
    layout: Layout,
    records: Vec<RecordRow>,
    pager: Pager,
    params: ListParams,
    category: String,
    state: String,
    categories: Vec<CategoryRow>,
    states: Vec<(&'static str, &'static str)>,
    can_manage: bool,
    filtered: bool,
    /// This page's address, to come back to after a bulk change.
    back: String,
}

const STATES: [(&str, &str); 5] = [
    ("past_due", "Due for disposition"),
    ("scheduled", "Scheduled"),
    ("awaiting_event", "Waiting for an event"),
    ("unclassified", "Not classified"),
    ("permanent", "Kept permanently"),
];

fn today(ctx: &PageCtx) -> String {
    ctx.app
        .clock
        .now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date()
        .to_string()
}

/// GET /records
pub async fn records_list(ctx: PageCtx, Query(f): Query<RecordQuery>) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    let filter = RecordFilter {
        q: f.list.q.clone(),
        category: f.category.clone(),
        state: f.state.clone(),
    };
    let order = f.list.order_by(records::SORTS);
    let today = today(&ctx);
    if f.list.is_csv() {
        let (rows, _) =
            records::list(&ctx.app, Some(&user), &filter, &today, &order, 1_000_000, 0).await?;
        return Ok(csv_response(
            "records.csv",
            &[
                "id",
                "title",
                "filename",
                "folder",
                "category",
                "created_on",
                "retention",
                "due_on",
                "sha256",
                "size",
            ],
            rows.into_iter().map(|r| {
                vec![
                    r.id.to_string(),
                    r.title.clone(),
                    r.filename.clone(),
                    r.folder.clone(),
                    r.category_code.clone().unwrap_or_default(),
                    r.created_on.clone(),
                    r.due_text(),
                    r.due_on.clone().unwrap_or_default(),
                    r.sha256.clone(),
                    r.size.to_string(),
                ]
            }),
        ));
    }
    let (rows, total) = records::list(
        &ctx.app,
        Some(&user),
        &filter,
        &today,
        &order,
        f.list.per_page(),
        f.list.offset(),
    )
    .await?;
    let pager = Pager::new(
        "/records",
        &f.list,
        &[
            ("q", &f.list.q),
            ("category", &f.category),
            ("state", &f.state),
        ],
        total,
        &[
            ("title", "Record", false),
            ("category", "Category", false),
            ("created", "Created", false),
            ("due", "Retention", false),
            ("uploaded", "Added", false),
        ],
        "title",
    );
    let filtered = !(f.list.q.is_empty() && f.category.is_empty() && f.state.is_empty());
    ctx.render(ListPage {
        layout: ctx.layout("Records", "records"),
        records: rows,
        pager,
        params: f.list.clone(),
        category: f.category.clone(),
        state: f.state.clone(),
        categories: plan::list(&ctx.app, "").await?,
        states: STATES.to_vec(),
        can_manage: user.can(Permission::ManageRecords),
        filtered,
        back: {
            let mut q = form_urlencoded::Serializer::new(String::new());
            for (k, v) in [
                ("q", f.list.q.as_str()),
                ("category", &f.category),
                ("state", &f.state),
                ("sort", &f.list.sort),
                ("dir", &f.list.dir),
            ] {
                if !v.is_empty() {
                    q.append_pair(k, v);
                }
            }
            if let Some(p) = f.list.page {
                q.append_pair("page", &p.to_string());
            }
            let q = q.finish();
            if q.is_empty() {
                "/records".into()
            } else {
                format!("/records?{q}")
            }
        },
    })
}

#[derive(Template)]
#[template(path = "records/upload.html")]
struct UploadPage {
    layout: Layout,
    categories: Vec<CategoryRow>,
    errors: Vec<String>,
}

/// GET /records/upload
pub async fn upload_form(ctx: PageCtx) -> PageResult<Response> {
    ctx.render(UploadPage {
        layout: ctx.layout("Add records", "records"),
        categories: plan::list(&ctx.app, "").await?,
        errors: vec![],
    })
}

/// POST /records/upload (multipart: `files` one or more, `category`, `created_on`; CSRF token
/// in the `_csrf` query). Every file is checked before any is kept.
pub async fn upload(ctx: PageCtx, multipart: Multipart) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    let mut files = vec![];
    let (mut category, mut created_on) = (String::new(), String::new());
    let mut owners = records::Owners::default();
    for part in crate::platform::web::read_upload(multipart).await? {
        match part.field.as_str() {
            "files" => {
                let name = part.file_name.clone().unwrap_or_else(|| "document".into());
                if !(name.is_empty() && part.bytes.is_empty()) {
                    files.push((name, part.content_type.clone(), part.bytes));
                }
            }
            "category" => category = part.text(),
            "created_on" => created_on = part.text(),
            "custodian" => owners.custodian = part.text(),
            "matter" => owners.matter = part.text(),
            _ => {}
        }
    }
    let mut errors = vec![];
    if files.is_empty() {
        errors.push("Choose one or more files.".to_string());
    }
    for (name, _, bytes) in &files {
        if bytes.is_empty() {
            errors.push(format!("{name} is empty."));
        }
    }
    if errors.is_empty() {
        let mut added = 0;
        for (name, ctype, bytes) in files {
            match records::add(
                &ctx.app,
                &user,
                NewRecord {
                    title: String::new(),
                    filename: name.clone(),
                    content_type: ctype,
                    bytes,
                    folder: String::new(),
                    category_code: category.clone(),
                    created_on: created_on.clone(),
                    owners: owners.clone(),
                },
            )
            .await
            {
                Ok(_) => added += 1,
                Err(AppError::Validation(fs)) => {
                    errors.extend(fs.into_iter().map(|f| format!("{name}: {}", f.message)));
                    break;
                }
                Err(e) => return Err(e.into()),
            }
        }
        if errors.is_empty() {
            return Ok(redirect_with_flash(
                &ctx.app,
                "/records",
                FlashKind::Success,
                &format!("{added} record(s) added."),
            ));
        }
    }
    let mut r = ctx.render(UploadPage {
        layout: ctx.layout("Add records", "records"),
        categories: plan::list(&ctx.app, "").await?,
        errors,
    })?;
    *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(r)
}

#[derive(Template)]
#[template(path = "records/detail.html")]
struct DetailPage {
    layout: Layout,
    r: RecordRow,
    holds: Vec<(i64, String)>,
    events: Vec<(String, String)>,
    categories: Vec<CategoryRow>,
    versions: Vec<records::VersionRow>,
    can_manage: bool,
    errors: HashMap<String, String>,
}

async fn detail_page(
    ctx: &PageCtx,
    id: i64,
    errors: HashMap<String, String>,
) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    let r = records::get(&ctx.app, &user, id).await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let title = r.title.clone();
    let mut conn = ctx.app.db.pool().acquire().await.map_err(AppError::from)?;
    let holds = super::holds::holds_on(&mut conn, id)
        .await
        .map_err(AppError::from)?;
    drop(conn);
    let mut resp = ctx.render(DetailPage {
        layout: ctx.layout(&title, "records"),
        holds,
        events: records::events(&ctx.app, id).await?,
        categories: plan::list(&ctx.app, "").await?,
        versions: records::versions(&ctx.app, id).await?,
        can_manage: user.can(Permission::ManageRecords),
        errors,
        r,
    })?;
    *resp.status_mut() = status;
    Ok(resp)
}

/// GET /records/{id}
pub async fn record_detail(ctx: PageCtx, Path(id): Path<i64>) -> PageResult<Response> {
    detail_page(&ctx, id, HashMap::new()).await
}

/// GET /records/{id}/content — the document, read back and verified (audited).
pub async fn record_content(ctx: PageCtx, Path(id): Path<i64>) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    let (r, bytes) = records::content(&ctx.app, &user, id).await?;
    download(r, bytes)
}

/// GET /records/{id}/versions/{version}/content — an earlier version (audited).
pub async fn record_version_content(
    ctx: PageCtx,
    Path((id, version)): Path<(i64, i64)>,
) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    let (r, bytes) = records::content_of_version(&ctx.app, &user, id, Some(version)).await?;
    download(r, bytes)
}

/// POST /records/{id}/versions (multipart: `file`, `note`; CSRF token in the `_csrf` query)
pub async fn record_new_version(
    ctx: PageCtx,
    Path(id): Path<i64>,
    multipart: Multipart,
) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    let (mut file, mut note) = (None, String::new());
    for part in crate::platform::web::read_upload(multipart).await? {
        match part.field.as_str() {
            "file"
                if !part.bytes.is_empty()
                    || part.file_name.as_deref().is_some_and(|n| !n.is_empty()) =>
            {
                file = Some((
                    part.file_name.clone().unwrap_or_else(|| "document".into()),
                    part.bytes,
                ))
            }
            "note" => note = part.text(),
            _ => {}
        }
    }
    let Some((name, bytes)) = file else {
        let mut errors = HashMap::new();
        errors.insert(
            "file".to_string(),
            "Choose the new version's file.".to_string(),
        );
        return detail_page(&ctx, id, errors).await;
    };
    match records::add_version(&ctx.app, &user, id, &name, bytes, &note).await {
        Ok(v) => Ok(redirect_with_flash(
            &ctx.app,
            &format!("/records/{id}"),
            FlashKind::Success,
            &format!("Version {v} kept; the earlier one stays in the history."),
        )),
        Err(e @ AppError::Validation(_)) => detail_page(&ctx, id, e.into_field_map()?).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "records/preview.html")]
struct PreviewPage {
    layout: Layout,
    r: RecordRow,
    /// The text (first 256 KB) of a text record.
    text: Option<String>,
    truncated: bool,
    image: bool,
    /// Otherwise, the text read out of the document (PDF, DOCX, email).
    extracted: Option<String>,
}

/// What can be shown inside the page: text (escaped) and images (served apart, sandboxed).
/// The type is the one the file came with, or its extension's when it came as bytes.
fn previewable(r: &RecordRow) -> (bool, bool) {
    let content_type = effective_type(r);
    let text = content_type.starts_with("text/plain") || content_type.starts_with("text/csv");
    let image = matches!(content_type, "image/png" | "image/jpeg");
    (text, image)
}

fn effective_type(r: &RecordRow) -> &str {
    if r.content_type.is_empty() || r.content_type == "application/octet-stream" {
        records::content_type(&r.filename)
    } else {
        &r.content_type
    }
}

/// GET /records/{id}/preview — the document shown in lexops (audited as a read).
pub async fn record_preview(ctx: PageCtx, Path(id): Path<i64>) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    let r = records::get(&ctx.app, &user, id).await?;
    let (is_text, image) = previewable(&r);
    let (mut text, mut truncated) = (None, false);
    if is_text && r.status == "active" {
        let (_, bytes) = records::content(&ctx.app, &user, id).await?;
        const LIMIT: usize = 256 * 1024;
        truncated = bytes.len() > LIMIT;
        text = Some(String::from_utf8_lossy(&bytes[..bytes.len().min(LIMIT)]).into_owned());
    }
    let mut extracted = None;
    if !is_text && !image && r.status == "active" && r.text_state == "indexed" {
        extracted = records::extracted_text(&ctx.app, &user, id).await?.1;
    }
    ctx.render(PreviewPage {
        layout: ctx.layout(&r.title, "records"),
        r,
        text,
        truncated,
        image,
        extracted,
    })
}

/// GET /records/{id}/inline — an image record for the preview page: served inline only for
/// PNG and JPEG, in a sandbox (no scripts, nothing else loaded), audited.
pub async fn record_inline(ctx: PageCtx, Path(id): Path<i64>) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    let (r, bytes) = records::content(&ctx.app, &user, id).await?;
    if !previewable(&r).1 {
        return Err(
            AppError::BadRequest("this record has no inline preview: download it".into()).into(),
        );
    }
    Ok(Response::builder()
        .header("content-type", effective_type(&r))
        .header("content-disposition", "inline")
        .header("content-security-policy", "sandbox; default-src 'none'")
        .header("x-content-type-options", "nosniff")
        .header("cache-control", "no-store")
        .body(axum::body::Body::from(bytes))
        .map_err(|e| AppError::Internal(e.into()))?)
}

fn download(r: RecordRow, bytes: Vec<u8>) -> PageResult<Response> {
    Ok(crate::platform::web::attachment(&r.filename, bytes))
}

#[derive(Deserialize)]
pub struct ClassifyForm {
    #[serde(default)]
    category: String,
}

/// POST /records/classify — the records chosen on the list put in one category (or none), all
/// or none; back to the list the user came from.
pub async fn records_bulk_classify(ctx: PageCtx, body: axum::body::Bytes) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    let mut ids = vec![];
    let (mut category, mut back) = (String::new(), String::from("/records"));
    for (k, v) in form_urlencoded::parse(&body) {
        match k.as_ref() {
            "items" => {
                if let Ok(id) = v.parse::<i64>() {
                    ids.push(id);
                }
            }
            "category" => category = v.into_owned(),
            // Only back to the records list (never elsewhere: no open redirect).
            "back" if v == "/records" || v.starts_with("/records?") => back = v.into_owned(),
            _ => {}
        }
    }
    let (kind, message) = match records::classify_many(&ctx.app, &user, &ids, &category).await {
        Ok(()) => (
            FlashKind::Success,
            if category.trim().is_empty() {
                format!("{} record(s) left unclassified.", ids.len())
            } else {
                format!(
                    "{} record(s) classified into {}.",
                    ids.len(),
                    category.trim()
                )
            },
        ),
        Err(AppError::Validation(fs)) => (
            FlashKind::Error,
            fs.iter()
                .map(|f| f.message.clone())
                .collect::<Vec<_>>()
                .join(" "),
        ),
        Err(AppError::Conflict(m)) => (FlashKind::Error, format!("Nothing was classified: {m}.")),
        Err(e) => return Err(e.into()),
    };
    Ok(redirect_with_flash(&ctx.app, &back, kind, &message))
}

/// POST /records/{id}/classify
pub async fn record_classify(
    ctx: PageCtx,
    Path(id): Path<i64>,
    Form(f): Form<ClassifyForm>,
) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    match records::classify(&ctx.app, &user, id, &f.category).await {
        Ok(()) => Ok(redirect_with_flash(
            &ctx.app,
            &format!("/records/{id}"),
            FlashKind::Success,
            "Classified.",
        )),
        Err(e @ AppError::Validation(_)) => detail_page(&ctx, id, e.into_field_map()?).await,
        Err(AppError::Conflict(m)) => {
            detail_page(&ctx, id, HashMap::from([("category".to_string(), m)])).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct EventForm {
    #[serde(default)]
    event: String,
    #[serde(default)]
    occurred_on: String,
}

/// POST /records/{id}/events
pub async fn record_event(
    ctx: PageCtx,
    Path(id): Path<i64>,
    Form(f): Form<EventForm>,
) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    match records::record_event(&ctx.app, &user, id, &f.event, &f.occurred_on).await {
        Ok(()) => Ok(redirect_with_flash(
            &ctx.app,
            &format!("/records/{id}"),
            FlashKind::Success,
            "Event recorded; the record's retention follows it.",
        )),
        Err(e @ AppError::Validation(_)) => detail_page(&ctx, id, e.into_field_map()?).await,
        Err(AppError::Conflict(m)) => {
            detail_page(&ctx, id, HashMap::from([("category".to_string(), m)])).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---- Disposition and holds ----

use super::disposition::{self, Item, SweepReport};
use super::holds::{self, HoldInput, HoldView};
use super::notices;

#[derive(Template)]
#[template(path = "records/disposition.html")]
struct DispositionPage {
    layout: Layout,
    items: Vec<Item>,
    certificates: Vec<(i64, String, i64)>,
    report: Option<SweepReport>,
    errors: Vec<String>,
}

async fn disposition_page(
    ctx: &PageCtx,
    report: Option<SweepReport>,
    errors: Vec<String>,
) -> PageResult<Response> {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut r = ctx.render(DispositionPage {
        layout: ctx.layout("Disposition", "disposition"),
        items: disposition::items(&ctx.app, Some(ctx.user()?)).await?,
        certificates: disposition::certificates(&ctx.app).await?,
        report,
        errors,
    })?;
    *r.status_mut() = status;
    Ok(r)
}

/// GET /records/disposition — the review list.
pub async fn disposition_list(ctx: PageCtx) -> PageResult<Response> {
    disposition_page(&ctx, None, vec![]).await
}

#[derive(Deserialize)]
pub struct SweepForm {
    #[serde(default)]
    dry_run: Option<String>,
}

/// POST /records/disposition/sweep — run the sweep now (or as a dry run).
pub async fn disposition_sweep(ctx: PageCtx, Form(f): Form<SweepForm>) -> PageResult<Response> {
    let report = disposition::sweep(&ctx.app, f.dry_run.is_some()).await?;
    disposition_page(&ctx, Some(report), vec![]).await
}

/// POST /records/disposition/decide — `items` (repeated), `decision` (approve or defer),
/// `until` and `note` for a deferral.
pub async fn disposition_decide(ctx: PageCtx, body: axum::body::Bytes) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    let mut ids = vec![];
    let (mut decision, mut until, mut note) = (String::new(), String::new(), String::new());
    for (k, v) in form_urlencoded::parse(&body) {
        match k.as_ref() {
            "items" => {
                if let Ok(id) = v.parse::<i64>() {
                    ids.push(id);
                }
            }
            "decision" => decision = v.into_owned(),
            "until" => until = v.into_owned(),
            "note" => note = v.into_owned(),
            _ => {}
        }
    }
    if ids.is_empty() {
        return disposition_page(&ctx, None, vec!["Choose one or more records.".into()]).await;
    }
    let outcome = match decision.as_str() {
        "approve" => disposition::approve(&ctx.app, &user, &ids)
            .await
            .map(|cert| {
                format!(
                    "Disposed of {} record(s); certificate {cert} issued.",
                    ids.len()
                )
            }),
        "defer" => disposition::defer(&ctx.app, &user, &ids, &until, &note)
            .await
            .map(|()| format!("Deferred {} record(s) until {until}.", ids.len())),
        _ => Err(AppError::field("decision", "Approve or defer.")),
    };
    match outcome {
        Ok(msg) => Ok(redirect_with_flash(
            &ctx.app,
            "/records/disposition",
            FlashKind::Success,
            &msg,
        )),
        Err(AppError::Validation(fs)) => {
            disposition_page(&ctx, None, fs.into_iter().map(|f| f.message).collect()).await
        }
        Err(AppError::Conflict(m)) => disposition_page(&ctx, None, vec![m]).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "records/certificate.html")]
struct CertificatePage {
    layout: Layout,
    c: disposition::Certificate,
    rows: Vec<serde_json::Value>,
}

/// GET /records/certificates/{id} (`?format=json` for the signed body as stored)
pub async fn certificate(
    ctx: PageCtx,
    Path(id): Path<i64>,
    Query(q): Query<PlanQuery>,
) -> PageResult<Response> {
    let c = disposition::certificate(&ctx.app, id).await?;
    if q.format == "json" {
        return Ok(Response::builder()
            .header("content-type", "application/json")
            .header(
                "content-disposition",
                format!("attachment; filename=\"certificate-{id}.json\""),
            )
            .body(axum::body::Body::from(c.body.to_string()))
            .map_err(|e| AppError::Internal(e.into()))?);
    }
    let rows = c.body["records"].as_array().cloned().unwrap_or_default();
    if q.format == "pdf" {
        return Ok(pdf_response(
            &format!("certificate-{id}.pdf"),
            disposition::certificate_pdf(&c),
        ));
    }
    ctx.render(CertificatePage {
        layout: ctx.layout(&format!("Certificate of destruction {id}"), "disposition"),
        c,
        rows,
    })
}

#[derive(Template)]
#[template(path = "records/holds.html")]
struct HoldsPage {
    layout: Layout,
    holds: Vec<HoldView>,
}

/// GET /holds
pub async fn holds_list(ctx: PageCtx) -> PageResult<Response> {
    ctx.render(HoldsPage {
        layout: ctx.layout("Legal holds", "holds"),
        holds: holds::list(&ctx.app, Some(ctx.user()?)).await?,
    })
}

#[derive(Template)]
#[template(path = "records/hold_form.html")]
struct HoldFormPage {
    layout: Layout,
    form: HoldInput,
    errors: HashMap<String, String>,
}

/// GET /holds/new
pub async fn hold_new(ctx: PageCtx) -> PageResult<Response> {
    ctx.render(HoldFormPage {
        layout: ctx.layout("Place a legal hold", "holds"),
        form: HoldInput::blank(),
        errors: HashMap::new(),
    })
}

/// POST /holds
pub async fn hold_create(ctx: PageCtx, Form(f): Form<HoldInput>) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    match holds::create(&ctx.app, &user, &f).await {
        Ok(id) => Ok(redirect_with_flash(
            &ctx.app,
            &format!("/holds/{id}"),
            FlashKind::Success,
            &format!(
                "Hold {id} placed: what it covers cannot be destroyed until it is released, and its custodians' notices are on their way."
            ),
        )),
        Err(e @ AppError::Validation(_)) => {
            let mut r = ctx.render(HoldFormPage {
                layout: ctx.layout("Place a legal hold", "holds"),
                form: f,
                errors: e.into_field_map()?,
            })?;
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "records/hold_detail.html")]
struct HoldDetailPage {
    layout: Layout,
    h: notices::HoldNoticeInfo,
    scope: Vec<(String, String)>,
    sources: Vec<notices::Source>,
    places: Vec<notices::OnHold>,
    log: Vec<notices::NoticeRow>,
    records: i64,
    acknowledged: usize,
    outstanding: usize,
    reaffirm: usize,
    escalated: usize,
    pending: i64,
    errors: HashMap<String, String>,
}

async fn hold_detail_page(
    ctx: &PageCtx,
    id: i64,
    errors: HashMap<String, String>,
) -> PageResult<Response> {
    holds::check_visible(&ctx.app, ctx.user()?, id).await?;
    let mut conn = ctx.app.db.pool().acquire().await.map_err(AppError::from)?;
    let h = notices::hold_info(&mut conn, id)
        .await
        .map_err(AppError::from)?
        .ok_or_else(|| AppError::NotFound("legal hold".into()))?;
    let sources = notices::sources(&mut conn, id)
        .await
        .map_err(AppError::from)?;
    drop(conn);
    let places = notices::custodians_of(&ctx.app, id).await?;
    let count = |st: &str| places.iter().filter(|p| p.state() == st).count();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut r = ctx.render(HoldDetailPage {
        layout: ctx.layout(&h.name, "holds"),
        scope: holds::scope_of(&ctx.app, id).await?,
        sources,
        log: notices::log(&ctx.app, id).await?,
        records: holds::records_preserved(&ctx.app, id).await?,
        acknowledged: count("acknowledged") + count("reaffirm"),
        outstanding: count("outstanding"),
        reaffirm: count("reaffirm"),
        escalated: places.iter().filter(|p| p.escalated_at.is_some()).count(),
        pending: places.iter().map(|p| p.pending_mail).sum(),
        places,
        h,
        errors,
    })?;
    *r.status_mut() = status;
    Ok(r)
}

/// GET /holds/{id}
pub async fn hold_detail(ctx: PageCtx, Path(id): Path<i64>) -> PageResult<Response> {
    hold_detail_page(&ctx, id, HashMap::new()).await
}

#[derive(Deserialize)]
pub struct CustodiansForm {
    #[serde(default)]
    custodians: String,
}

/// POST /holds/{id}/custodians
pub async fn hold_add_custodians(
    ctx: PageCtx,
    Path(id): Path<i64>,
    Form(f): Form<CustodiansForm>,
) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    match holds::add_custodians(&ctx.app, &user, id, &f.custodians).await {
        Ok(n) => Ok(redirect_with_flash(
            &ctx.app,
            &format!("/holds/{id}"),
            FlashKind::Success,
            &if n == 0 {
                "They were already on this hold: nothing was sent.".to_string()
            } else {
                format!("{n} custodian(s) added; their notices are on their way.")
            },
        )),
        Err(e @ AppError::Validation(_)) => hold_detail_page(&ctx, id, e.into_field_map()?).await,
        Err(e) => Err(e.into()),
    }
}

/// POST /holds/{id}/remind: a reminder now to everyone who has not acknowledged.
pub async fn hold_remind(ctx: PageCtx, Path(id): Path<i64>) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    let n = holds::remind_now(&ctx.app, &user, id).await?;
    Ok(redirect_with_flash(
        &ctx.app,
        &format!("/holds/{id}"),
        FlashKind::Success,
        &format!("{n} reminder(s) queued."),
    ))
}

/// GET /holds/{id}/report.csv: the defensibility record, one row per custodian.
pub async fn hold_report(ctx: PageCtx, Path(id): Path<i64>) -> PageResult<Response> {
    holds::check_visible(&ctx.app, ctx.user()?, id).await?;
    let places = notices::custodians_of(&ctx.app, id).await?;
    let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM legal_holds WHERE id = $1")
        .bind(id)
        .fetch_optional(ctx.app.db.pool())
        .await
        .map_err(AppError::from)?;
    if exists.is_none() {
        return Err(AppError::NotFound("legal hold".into()).into());
    }
    Ok(csv_response(
        &format!("hold-{id}-report.csv"),
        notices::REPORT_HEADERS,
        notices::report_rows(&places),
    ))
}

/// GET /holds/{id}/report.pdf
pub async fn hold_report_pdf(ctx: PageCtx, Path(id): Path<i64>) -> PageResult<Response> {
    holds::check_visible(&ctx.app, ctx.user()?, id).await?;
    let pdf = notices::report_pdf(&ctx.app, id).await?;
    Ok(pdf_response(&format!("hold-{id}-report.pdf"), pdf))
}

/// A PDF download.
fn pdf_response(filename: &str, bytes: Vec<u8>) -> Response {
    Response::builder()
        .header("content-type", "application/pdf")
        .header(
            "content-disposition",
            format!("attachment; filename=\"{filename}\""),
        )
        .body(axum::body::Body::from(bytes))
        .unwrap_or_else(|_| {
            axum::response::IntoResponse::into_response(StatusCode::INTERNAL_SERVER_ERROR)
        })
}

/// POST /holds/{id}/release
pub async fn hold_release(ctx: PageCtx, Path(id): Path<i64>) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    holds::release(&ctx.app, &user, id).await?;
    Ok(redirect_with_flash(
        &ctx.app,
        &format!("/holds/{id}"),
        FlashKind::Success,
        &format!(
            "Hold {id} released and its custodians told; its records return to their schedule unless another hold covers them."
        ),
    ))
}

#[derive(Template)]
#[template(path = "records/custodian_detail.html")]
struct CustodianPage {
    layout: Layout,
    c: Custodian,
    holds: Vec<(notices::OnHold, String, String)>,
    active: usize,
}

/// GET /holds/custodians/{id} (`?format=csv`: their holds)
pub async fn custodian_detail(
    ctx: PageCtx,
    Path(id): Path<i64>,
    Query(f): Query<PlanQuery>,
) -> PageResult<Response> {
    let c = custodians::get(&ctx.app, id).await?;
    // Holds of a walled matter are left out for those off its wall.
    let mut list = vec![];
    for item in notices::holds_of(&ctx.app, id).await? {
        if holds::check_visible(&ctx.app, ctx.user()?, item.0.hold_id)
            .await
            .is_ok()
        {
            list.push(item);
        }
    }
    if f.format == "csv" {
        let mut headers = vec!["hold_id", "hold", "hold_status"];
        headers.extend_from_slice(notices::REPORT_HEADERS);
        let rows = list.iter().map(|(p, name, status)| {
            let mut row = vec![p.hold_id.to_string(), name.clone(), status.clone()];
            row.extend(notices::report_rows(std::slice::from_ref(p)).remove(0));
            row
        });
        return Ok(csv_response(
            &format!("custodian-{id}-holds.csv"),
            &headers,
            rows.collect::<Vec<_>>(),
        ));
    }
    ctx.render(CustodianPage {
        layout: ctx.layout(&c.name, "custodians"),
        active: list
            .iter()
            .filter(|(p, _, st)| st == "active" && p.released_at.is_none())
            .count(),
        holds: list,
        c,
    })
}

// ---- The custodian's acknowledgement page (public: the signed link is the credential) ----

pub enum NoticeState {
    Closed(String, String),
    Open,
}

#[derive(Template)]
#[template(path = "records/hold_notice.html")]
struct NoticePage {
    layout: Layout,
    state: NoticeState,
    token: String,
    hold_name: String,
    custodian_name: String,
    notice: String,
    acknowledged_at: Option<String>,
    reaffirm_due: bool,
    questions: Vec<(usize, String, String)>,
    errors: HashMap<String, String>,
}

fn closed_page(ctx: &PageCtx, why: notices::Closed) -> PageResult<Response> {
    let (status, title, message) = match why {
        notices::Closed::Link(notices::LinkProblem::Invalid) => (
            StatusCode::NOT_FOUND,
            "This link is not valid",
            "The link is incomplete or was changed. Open it again from the email exactly as it was sent, or ask the legal department for a new notice.".to_string(),
        ),
        notices::Closed::Link(notices::LinkProblem::Expired(day)) => (
            StatusCode::GONE,
            "This link has expired",
            format!("This acknowledgement link stopped working on {day}. Your duty to preserve continues: ask the legal department for a new link (each reminder brings one)."),
        ),
        notices::Closed::Released(day) => (
            StatusCode::GONE,
            "This hold has been released",
            format!("The legal hold this link belongs to was released on {day}; there is nothing to acknowledge. If you are under another hold, keep preserving what it covers."),
        ),
    };
    let mut r = ctx.render(NoticePage {
        layout: ctx.layout(title, ""),
        state: NoticeState::Closed(title.to_string(), message),
        token: String::new(),
        hold_name: String::new(),
        custodian_name: String::new(),
        notice: String::new(),
        acknowledged_at: None,
        reaffirm_due: false,
        questions: vec![],
        errors: HashMap::new(),
    })?;
    *r.status_mut() = status;
    Ok(r)
}

async fn notice_page(
    ctx: &PageCtx,
    token: String,
    answers: Vec<String>,
    errors: HashMap<String, String>,
) -> PageResult<Response> {
    let o = match notices::open(&ctx.app, &token).await? {
        Ok(o) => o,
        Err(c) => return closed_page(ctx, c),
    };
    let previous = o.place.answers();
    let questions = o
        .hold
        .questions()
        .into_iter()
        .enumerate()
        .map(|(i, q)| {
            let a = answers
                .get(i)
                .cloned()
                .filter(|a| !a.is_empty())
                .or_else(|| {
                    previous
                        .iter()
                        .find(|(pq, _)| *pq == q)
                        .map(|(_, a)| a.clone())
                })
                .unwrap_or_default();
            (i, q, a)
        })
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut r = ctx.render(NoticePage {
        layout: ctx.layout("Legal hold notice", ""),
        state: NoticeState::Open,
        token,
        hold_name: o.hold.name.clone(),
        custodian_name: o.place.name.clone(),
        notice: o.notice,
        reaffirm_due: o.place.state() == "reaffirm",
        acknowledged_at: o
            .place
            .affirmed_at
            .is_some()
            .then(|| o.place.when("affirmed")),
        questions,
        errors,
    })?;
    *r.status_mut() = status;
    // The page carries a personal link: never cached, never sent on as a referrer.
    r.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    r.headers_mut().insert(
        axum::http::header::REFERRER_POLICY,
        axum::http::HeaderValue::from_static("no-referrer"),
    );
    Ok(r)
}

/// GET /hold-notice/{token}
pub async fn notice_open(ctx: PageCtx, Path(token): Path<String>) -> PageResult<Response> {
    notice_page(&ctx, token, vec![], HashMap::new()).await
}

/// POST /hold-notice/{token}: `confirm=yes`, answers `q0`, `q1`, …
pub async fn notice_acknowledge(
    ctx: PageCtx,
    Path(token): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> PageResult<Response> {
    let answers: Vec<String> = (0..100)
        .map_while(|i| f.get(&format!("q{i}")).cloned())
        .collect();
    if f.get("confirm").map(String::as_str) != Some("yes") {
        let mut errors = HashMap::new();
        errors.insert(
            "confirm".to_string(),
            "Tick the box to confirm that you will comply.".to_string(),
        );
        return notice_page(&ctx, token, answers, errors).await;
    }
    match notices::acknowledge(&ctx.app, &token, &answers).await {
        Ok(Ok(_)) => Ok(redirect_with_flash(
            &ctx.app,
            &format!("/hold-notice/{token}"),
            FlashKind::Success,
            "Thank you: your acknowledgement is recorded. Keep preserving everything the notice covers.",
        )),
        Ok(Err(c)) => closed_page(&ctx, c),
        Err(e @ AppError::Validation(_)) => {
            notice_page(&ctx, token, answers, e.into_field_map()?).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---- Custodians ----

use super::custodians::{self, Custodian, DirectoryReport};

#[derive(Template)]
#[template(path = "records/custodians.html")]
struct CustodiansPage {
    layout: Layout,
    q: String,
    people: Vec<Custodian>,
    report: Option<DirectoryReport>,
    problems: Vec<ImportProblem>,
    columns: String,
}

async fn custodians_page(
    ctx: &PageCtx,
    q: String,
    report: Option<DirectoryReport>,
    problems: Vec<ImportProblem>,
) -> PageResult<Response> {
    let status = if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut r = ctx.render(CustodiansPage {
        layout: ctx.layout("Custodians", "custodians"),
        people: custodians::list(&ctx.app, &q).await?,
        q,
        report,
        problems,
        columns: custodians::COLUMNS.join(","),
    })?;
    *r.status_mut() = status;
    Ok(r)
}

/// GET /holds/custodians (`?format=csv` exports the directory)
pub async fn custodians_list(ctx: PageCtx, Query(f): Query<PlanQuery>) -> PageResult<Response> {
    if f.format == "csv" {
        let rows = custodians::list(&ctx.app, &f.q).await?;
        return Ok(csv_response(
            "custodians.csv",
            &custodians::COLUMNS,
            rows.into_iter().map(|c| {
                vec![
                    c.name,
                    c.email,
                    c.department,
                    c.manager_email,
                    c.employee_status,
                ]
            }),
        ));
    }
    custodians_page(&ctx, f.q, None, vec![]).await
}

/// POST /holds/custodians/import (multipart; CSRF token in the `_csrf` query)
pub async fn custodians_import(ctx: PageCtx, multipart: Multipart) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    let file = crate::platform::web::read_one_file(multipart, "file", "directory.csv").await?;
    let Some((name, bytes)) = file else {
        return custodians_page(&ctx, String::new(), None, vec![ImportProblem::no_file()]).await;
    };
    match custodians::import_csv(&ctx.app, &user, &name, &bytes).await? {
        Ok(r) => custodians_page(&ctx, String::new(), Some(r), vec![]).await,
        Err(p) => custodians_page(&ctx, String::new(), None, p).await,
    }
}
