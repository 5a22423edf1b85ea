//! File-plan endpoints of the REST API.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;

use super::plan::{self, CategoryRow, PlanImportReport};
use super::store::{self as records, NewRecord, RecordFilter, RecordRow};
use crate::App;
use crate::matters::store::ImportProblem;
use crate::platform::api::{ApiUser, Page};
use crate::platform::error::{ApiResult, AppError, ErrorEnvelope};

#[utoipa::path(get, path = "/api/v1/records/categories", tag = "records", operation_id = "list_record_categories",
    responses((status = 200, body = Vec<CategoryRow>), (status = 403, body = ErrorEnvelope)), security(("bearer" = [])))]
/// The file plan: every record category with its retention rule, by code.
pub async fn list(
    State(app): State<App>,
    ApiUser(_user): ApiUser,
) -> ApiResult<Json<Vec<CategoryRow>>> {
    Ok(Json(plan::list(&app, "").await?))
}

/// The outcome of a file-plan import: the report, or every problem (nothing imported).
#[derive(Serialize, utoipa::ToSchema)]
pub struct PlanImportOutcome {
    pub imported: bool,
    pub report: Option<PlanImportReport>,
    pub problems: Vec<ImportProblem>,
}

#[utoipa::path(post, path = "/api/v1/records/categories/import", tag = "records", operation_id = "import_file_plan",
    request_body(content = String, content_type = "text/csv", description = "The file plan as CSV (columns: code,title,description,owner,trigger,period,cutoff,disposition,citation)"),
    responses((status = 200, body = PlanImportOutcome), (status = 422, body = PlanImportOutcome), (status = 403, body = ErrorEnvelope)), security(("bearer" = [])))]
/// Imports the file plan from CSV: all or nothing, matched by code, idempotent.
pub async fn import(
    State(app): State<App>,
    ApiUser(u): ApiUser,
    body: axum::body::Bytes,
) -> ApiResult<(StatusCode, Json<PlanImportOutcome>)> {
    Ok(
        match plan::import_csv(&app, &u, "request body", &body).await? {
            Ok(report) => (
                StatusCode::OK,
                Json(PlanImportOutcome {
                    imported: true,
                    report: Some(report),
                    problems: vec![],
                }),
            ),
            Err(problems) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(PlanImportOutcome {
                    imported: false,
                    report: None,
                    problems,
                }),
            ),
        },
    )
}

/// Filters of `GET /api/v1/records`.
#[derive(serde::Deserialize, utoipa::IntoParams, Default)]
pub struct RecordQuery {
    /// Text in title, file name or folder.
    #[serde(default)]
    pub q: String,
    /// A category code.
    #[serde(default)]
    pub category: String,
    /// past_due, unclassified, awaiting_event, scheduled or permanent.
    #[serde(default)]
    pub state: String,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/records", tag = "records", operation_id = "list_records", params(RecordQuery),
    responses((status = 200, body = Page<RecordRow>), (status = 403, body = ErrorEnvelope)), security(("bearer" = [])))]
/// Active records, by title.
pub async fn records_list(
    State(app): State<App>,
    ApiUser(_user): ApiUser,
    axum::extract::Query(q): axum::extract::Query<RecordQuery>,
) -> ApiResult<Json<Page<RecordRow>>> {
    let (limit, offset) = (
        q.limit.unwrap_or(50).clamp(1, 500),
        q.offset.unwrap_or(0).max(0),
    );
    let today = app
        .clock
        .now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date()
        .to_string();
    let f = RecordFilter {
        q: q.q,
        category: q.category,
        state: q.state,
    };
    let (items, total) = records::list(&app, &f, &today, "r.title ASC", limit, offset).await?;
    Ok(Json(Page {
        items,
        total,
        limit,
        offset,
    }))
}

#[utoipa::path(get, path = "/api/v1/records/{id}", tag = "records", operation_id = "get_record", params(("id" = i64, Path, description = "Record id")),
    responses((status = 200, body = RecordRow), (status = 404, body = ErrorEnvelope)), security(("bearer" = [])))]
/// One record.
pub async fn record_get(
    State(app): State<App>,
    ApiUser(_user): ApiUser,
    axum::extract::Path(id): axum::extract::Path<i64>,
) -> ApiResult<Json<RecordRow>> {
    Ok(Json(records::get(&app, id).await?))
}

#[utoipa::path(post, path = "/api/v1/records", tag = "records", operation_id = "add_record",
    request_body(content = String, description = "The document's bytes", content_type = "application/octet-stream"),
    params(("X-Filename" = String, Header, description = "The file's name"),
        ("X-Category" = Option<String>, Header, description = "The category's code (classify later when absent)"),
        ("X-Created-On" = Option<String>, Header, description = "When the record was created, YYYY-MM-DD (today when absent)"),
        ("X-Folder" = Option<String>, Header, description = "The folder it belongs to")),
    responses((status = 201, body = RecordRow), (status = 422, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope)), security(("bearer" = [])))]
/// Keeps a document as a record.
pub async fn record_add(
    State(app): State<App>,
    ApiUser(u): ApiUser,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<(StatusCode, Json<RecordRow>)> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .chars()
            .take(500)
            .collect::<String>()
    };
    let filename = header("x-filename");
    if filename.trim().is_empty() {
        return Err(
            AppError::field("X-Filename", "Name the file in the X-Filename header.").into(),
        );
    }
    let id = records::add(
        &app,
        &u,
        NewRecord {
            title: String::new(),
            content_type: records::content_type(&filename).to_string(),
            filename,
            bytes: body.to_vec(),
            folder: header("x-folder").trim_matches('/').to_string(),
            category_code: header("x-category"),
            created_on: header("x-created-on"),
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(records::get(&app, id).await?)))
}

#[utoipa::path(get, path = "/api/v1/custodians", tag = "records", operation_id = "list_custodians",
    responses((status = 200, body = Vec<super::custodians::Custodian>), (status = 403, body = ErrorEnvelope)), security(("bearer" = [])))]
/// The custodians of the directory, by name.
pub async fn custodians_list(
    State(app): State<App>,
    ApiUser(_user): ApiUser,
) -> ApiResult<Json<Vec<super::custodians::Custodian>>> {
    Ok(Json(super::custodians::list(&app, "").await?))
}

/// The outcome of a directory import: the report, or every problem (nothing imported).
#[derive(Serialize, utoipa::ToSchema)]
pub struct DirectoryOutcome {
    pub imported: bool,
    pub report: Option<super::custodians::DirectoryReport>,
    pub problems: Vec<ImportProblem>,
}

#[utoipa::path(post, path = "/api/v1/custodians/import", tag = "records", operation_id = "import_custodians",
    request_body(content = String, content_type = "text/csv", description = "The directory as CSV (columns: name,email,department,manager_email,employee_status)"),
    responses((status = 200, body = DirectoryOutcome), (status = 422, body = DirectoryOutcome), (status = 403, body = ErrorEnvelope)), security(("bearer" = [])))]
/// Imports the custodian directory from CSV: all or nothing, one person per email.
pub async fn custodians_import(
    State(app): State<App>,
    ApiUser(u): ApiUser,
    body: axum::body::Bytes,
) -> ApiResult<(StatusCode, Json<DirectoryOutcome>)> {
    Ok(
        match super::custodians::import_csv(&app, &u, "request body", &body).await? {
            Ok(report) => (
                StatusCode::OK,
                Json(DirectoryOutcome {
                    imported: true,
                    report: Some(report),
                    problems: vec![],
                }),
            ),
            Err(problems) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(DirectoryOutcome {
                    imported: false,
                    report: None,
                    problems,
                }),
            ),
        },
    )
}

#[utoipa::path(post, path = "/api/v1/disposition/sweep", tag = "records", operation_id = "disposition_sweep",
    params(("dry_run" = Option<bool>, Query, description = "Only say what the sweep would do")),
    responses((status = 200, description = "What the sweep found (counts, and the first records of each kind)"), (status = 403, body = ErrorEnvelope)), security(("bearer" = [])))]
/// Puts the records past their date and under no hold on the disposition review list.
pub async fn disposition_sweep(
    State(app): State<App>,
    ApiUser(_user): ApiUser,
    axum::extract::Query(q): axum::extract::Query<SweepQuery>,
) -> ApiResult<Json<super::disposition::SweepReport>> {
    Ok(Json(
        super::disposition::sweep(&app, q.dry_run.unwrap_or(false)).await?,
    ))
}

/// Options of `POST /api/v1/disposition/sweep`.
#[derive(serde::Deserialize, utoipa::IntoParams)]
pub struct SweepQuery {
    pub dry_run: Option<bool>,
}

/// A decision on disposition items.
#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct DispositionDecision {
    /// The items (ids from the review list).
    pub items: Vec<i64>,
    /// approve or defer.
    pub decision: String,
    /// For defer: the day to review again (YYYY-MM-DD).
    #[serde(default)]
    pub until: String,
    /// For defer: why.
    #[serde(default)]
    pub note: String,
}

/// The outcome of an approval.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DispositionOutcome {
    /// The certificate of destruction (approve only).
    pub certificate_id: Option<i64>,
}

#[utoipa::path(post, path = "/api/v1/disposition/decisions", tag = "records", operation_id = "disposition_decide",
    request_body = DispositionDecision,
    responses((status = 200, body = DispositionOutcome), (status = 409, body = ErrorEnvelope, description = "A record is under a legal hold: nothing changed"), (status = 422, body = ErrorEnvelope)),
    security(("bearer" = [])))]
/// Approves (destroys or transfers, with a certificate) or defers items of the review list.
pub async fn disposition_decide(
    State(app): State<App>,
    ApiUser(u): ApiUser,
    Json(d): Json<DispositionDecision>,
) -> ApiResult<Json<DispositionOutcome>> {
    let certificate_id = match d.decision.as_str() {
        "approve" => Some(super::disposition::approve(&app, &u, &d.items).await?),
        "defer" => {
            super::disposition::defer(&app, &u, &d.items, &d.until, &d.note).await?;
            None
        }
        _ => return Err(AppError::field("decision", "Write approve or defer.").into()),
    };
    Ok(Json(DispositionOutcome { certificate_id }))
}
