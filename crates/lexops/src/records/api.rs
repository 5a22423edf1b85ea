//! File-plan endpoints of the REST API.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;

use super::plan::{self, CategoryRow, PlanImportReport};
use super::store::{self as records, NewRecord, RecordFilter, RecordRow};
use crate::App;
use crate::matters::store::ImportProblem;
use crate::platform::api::{ApiUser, Page, header_text, required_filename};
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
    /// Words in the title, file name, folder or the document's text: all must be there;
    /// "quoted phrases", -word to exclude, OR between two terms. Matches on the text come with a
    /// `snippet`.
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
    ApiUser(user): ApiUser,
    axum::extract::Query(q): axum::extract::Query<RecordQuery>,
) -> ApiResult<Json<Page<RecordRow>>> {
    let (limit, offset) = (
        q.limit.unwrap_or(50).clamp(1, 500),
        q.offset.unwrap_or(0).max(0),
    );
    let today = app.clock.today();
    let f = RecordFilter {
        q: q.q,
        category: q.category,
        state: q.state,
    };
    let (mut items, total) =
        records::list(&app, Some(&user), &f, &today, "r.title ASC", limit, offset).await?;
    for r in &mut items {
        r.snippet = r
            .snippet
            .take()
            .map(|s| crate::platform::search::snippet_text(&s));
    }
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
    ApiUser(user): ApiUser,
    axum::extract::Path(id): axum::extract::Path<i64>,
) -> ApiResult<Json<RecordRow>> {
    Ok(Json(records::get(&app, &user, id).await?))
}

/// The text read out of a record's document.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RecordText {
    pub record_id: i64,
    /// pending (being read), indexed, none (a kind with no text) or failed.
    pub state: String,
    /// Why it could not be read, or that only part of it is searchable.
    pub note: String,
    /// The text (with an email's sender, recipients, date and subject, or a Word file's title
    /// and author, as `Name: value` lines first), when read.
    pub text: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/records/{id}/text", tag = "records", operation_id = "get_record_text", params(("id" = i64, Path, description = "Record id")),
    responses((status = 200, body = RecordText), (status = 404, body = ErrorEnvelope)), security(("bearer" = [])))]
/// The text of a record's current document, as searched and previewed (audited as a read).
pub async fn record_text(
    State(app): State<App>,
    ApiUser(user): ApiUser,
    axum::extract::Path(id): axum::extract::Path<i64>,
) -> ApiResult<Json<RecordText>> {
    let (r, text) = records::extracted_text(&app, &user, id).await?;
    Ok(Json(RecordText {
        record_id: r.id,
        state: r.text_state,
        note: r.text_note,
        text,
    }))
}

/// Records to put in one category.
#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct ClassifyRequest {
    /// Record ids.
    pub records: Vec<i64>,
    /// A category code of the file plan; empty to leave them unclassified.
    #[serde(default)]
    pub category: String,
}

#[utoipa::path(post, path = "/api/v1/records/classify", tag = "records", operation_id = "classify_records",
    request_body = ClassifyRequest,
    responses((status = 200, body = Sent), (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)), security(("bearer" = [])))]
/// Puts records in a category (or none) and reschedules them, all or none (a held record whose
/// retention would become shorter is refused, naming the hold).
pub async fn records_classify(
    State(app): State<App>,
    ApiUser(u): ApiUser,
    Json(req): Json<ClassifyRequest>,
) -> ApiResult<Json<Sent>> {
    records::classify_many(&app, &u, &req.records, &req.category).await?;
    Ok(Json(Sent {
        count: req.records.len(),
    }))
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
    let header = |name: &str| header_text(&headers, name, 500);
    let filename = required_filename(&headers)?;
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
            owners: records::Owners {
                custodian: header("x-custodian"),
                matter: header("x-matter"),
            },
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(records::get(&app, &u, id).await?)))
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

// ---- Legal holds ----

use super::holds::{self, HoldInput, HoldView};
use super::notices::{self, HoldNoticeInfo, NoticeRow, OnHold, ScheduleOutcome, Source};

#[utoipa::path(get, path = "/api/v1/holds", tag = "records", operation_id = "list_holds",
    responses((status = 200, body = Vec<HoldView>), (status = 403, body = ErrorEnvelope)), security(("bearer" = [])))]
/// Every legal hold, active first, with what it preserves and its custodians' standing.
pub async fn holds_list(
    State(app): State<App>,
    ApiUser(u): ApiUser,
) -> ApiResult<Json<Vec<HoldView>>> {
    Ok(Json(holds::list(&app, Some(&u)).await?))
}

/// A new legal hold. Everything but `name` is optional; at least one of `custodians`,
/// `categories`, `folders`, `records` or a `matter` (with `preserve_matter`) says what it
/// preserves. Notice text and schedule default to the standard ones.
#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct HoldRequest {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// The matter number.
    #[serde(default)]
    pub matter: String,
    /// Preserve every record of the matter (default true).
    #[serde(default = "yes")]
    pub preserve_matter: bool,
    /// The issuing attorney's email (default: the caller).
    #[serde(default)]
    pub attorney: String,
    #[serde(default)]
    pub date_from: String,
    #[serde(default)]
    pub date_to: String,
    /// Custodian emails from the directory; each is sent the notice.
    #[serde(default)]
    pub custodians: Vec<String>,
    /// Record category codes.
    #[serde(default)]
    pub categories: Vec<String>,
    #[serde(default)]
    pub folders: Vec<String>,
    #[serde(default)]
    pub records: Vec<i64>,
    #[serde(default)]
    pub sources: Vec<Source>,
    #[serde(default)]
    pub questions: Vec<String>,
    #[serde(default)]
    pub notice_subject: String,
    /// A minijinja template (see the hold form for its variables); must use `{{ link }}`.
    #[serde(default)]
    pub notice_template: String,
    pub reminder_days: Option<i64>,
    pub escalate_days: Option<i64>,
    pub reaffirm_days: Option<i64>,
    pub link_days: Option<i64>,
}

fn yes() -> bool {
    true
}

impl HoldRequest {
    fn into_input(self) -> Result<HoldInput, AppError> {
        let bad = self.sources.iter().any(|s| {
            [&s.name, &s.kind, &s.owner]
                .iter()
                .any(|f| f.contains(['|', '\n']))
        }) || self.questions.iter().any(|q| q.contains('\n'));
        if bad {
            return Err(AppError::field(
                "sources",
                "A source's name, kind and owner, and a question, cannot contain '|' or a line break.",
            ));
        }
        let n = |v: Option<i64>| v.map(|d| d.to_string()).unwrap_or_default();
        Ok(HoldInput {
            name: self.name,
            description: self.description,
            categories: self.categories.join("\n"),
            folders: self.folders.join("\n"),
            records: self
                .records
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join("\n"),
            custodians: self.custodians.join("\n"),
            matter: self.matter,
            preserve_matter: self.preserve_matter.then(|| "on".to_string()),
            attorney: self.attorney,
            date_from: self.date_from,
            date_to: self.date_to,
            sources: self
                .sources
                .iter()
                .map(|s| format!("{} | {} | {}", s.name, s.kind, s.owner))
                .collect::<Vec<_>>()
                .join("\n"),
            questionnaire: self.questions.join("\n"),
            notice_subject: self.notice_subject,
            notice_template: self.notice_template,
            reminder_days: n(self.reminder_days),
            escalate_days: n(self.escalate_days),
            reaffirm_days: n(self.reaffirm_days),
            link_days: n(self.link_days),
        })
    }
}

/// A hold with its custodians and everything sent for it: the defensibility record.
#[derive(Serialize, utoipa::ToSchema)]
pub struct HoldDetail {
    pub hold: HoldNoticeInfo,
    /// (kind, value): category code, folder, record number, matter number or custodian email.
    pub scope: Vec<(String, String)>,
    pub sources: Vec<Source>,
    /// Active records it preserves now.
    pub records: i64,
    pub custodians: Vec<OnHold>,
    pub notices: Vec<NoticeRow>,
}

async fn hold_detail(app: &App, id: i64) -> Result<HoldDetail, AppError> {
    let mut conn = app.db.pool().acquire().await?;
    let hold = notices::hold_info(&mut conn, id)
        .await?
        .ok_or_else(|| AppError::NotFound("legal hold".into()))?;
    let sources = notices::sources(&mut conn, id).await?;
    drop(conn);
    Ok(HoldDetail {
        hold,
        scope: holds::scope_of(app, id).await?,
        sources,
        records: holds::records_preserved(app, id).await?,
        custodians: notices::custodians_of(app, id).await?,
        notices: notices::log(app, id).await?,
    })
}

#[utoipa::path(post, path = "/api/v1/holds", tag = "records", operation_id = "create_hold", request_body = HoldRequest,
    responses((status = 201, body = HoldDetail), (status = 422, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope)), security(("bearer" = [])))]
/// Places a legal hold and sends its notice to its custodians (through the outbox).
pub async fn hold_create(
    State(app): State<App>,
    ApiUser(u): ApiUser,
    Json(req): Json<HoldRequest>,
) -> ApiResult<(StatusCode, Json<HoldDetail>)> {
    let id = holds::create(&app, &u, &req.into_input()?).await?;
    Ok((StatusCode::CREATED, Json(hold_detail(&app, id).await?)))
}

#[utoipa::path(get, path = "/api/v1/holds/{id}", tag = "records", operation_id = "get_hold",
    params(("id" = i64, Path, description = "Hold id")),
    responses((status = 200, body = HoldDetail), (status = 404, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope)), security(("bearer" = [])))]
/// A hold: scope, sources, each custodian's notices, acknowledgement and answers, every message.
pub async fn hold_get(
    State(app): State<App>,
    ApiUser(u): ApiUser,
    axum::extract::Path(id): axum::extract::Path<i64>,
) -> ApiResult<Json<HoldDetail>> {
    holds::check_visible(&app, &u, id).await?;
    Ok(Json(hold_detail(&app, id).await?))
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct CustodiansRequest {
    /// Directory emails.
    pub custodians: Vec<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Sent {
    /// How many custodians were added / messages queued / records classified.
    pub count: usize,
}

#[utoipa::path(post, path = "/api/v1/holds/{id}/custodians", tag = "records", operation_id = "add_hold_custodians", request_body = CustodiansRequest,
    params(("id" = i64, Path, description = "Hold id")),
    responses((status = 200, body = Sent), (status = 409, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope)), security(("bearer" = [])))]
/// Adds custodians to an active hold and sends each new one the notice (all or none).
pub async fn hold_add_custodians(
    State(app): State<App>,
    ApiUser(u): ApiUser,
    axum::extract::Path(id): axum::extract::Path<i64>,
    Json(req): Json<CustodiansRequest>,
) -> ApiResult<Json<Sent>> {
    let count = holds::add_custodians(&app, &u, id, &req.custodians.join("\n")).await?;
    Ok(Json(Sent { count }))
}

#[utoipa::path(post, path = "/api/v1/holds/{id}/remind", tag = "records", operation_id = "remind_hold_custodians",
    params(("id" = i64, Path, description = "Hold id")),
    responses((status = 200, body = Sent), (status = 409, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope)), security(("bearer" = [])))]
/// Sends a reminder now to every custodian of the hold who has not acknowledged.
pub async fn hold_remind(
    State(app): State<App>,
    ApiUser(u): ApiUser,
    axum::extract::Path(id): axum::extract::Path<i64>,
) -> ApiResult<Json<Sent>> {
    Ok(Json(Sent {
        count: holds::remind_now(&app, &u, id).await?,
    }))
}

#[utoipa::path(post, path = "/api/v1/holds/{id}/release", tag = "records", operation_id = "release_hold",
    params(("id" = i64, Path, description = "Hold id")),
    responses((status = 200, body = HoldDetail), (status = 409, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope)), security(("bearer" = [])))]
/// Releases a hold: its custodians are sent the release notice, its records return to their
/// schedule unless another hold covers them.
pub async fn hold_release(
    State(app): State<App>,
    ApiUser(u): ApiUser,
    axum::extract::Path(id): axum::extract::Path<i64>,
) -> ApiResult<Json<HoldDetail>> {
    holds::release(&app, &u, id).await?;
    Ok(Json(hold_detail(&app, id).await?))
}

#[utoipa::path(post, path = "/api/v1/holds/notices/run", tag = "records", operation_id = "run_hold_notices",
    responses((status = 200, body = ScheduleOutcome), (status = 403, body = ErrorEnvelope)), security(("bearer" = [])))]
/// Sends now the reminders, escalations and re-affirmations that are due (the daily job does
/// this every night).
pub async fn hold_notices_run(
    State(app): State<App>,
    ApiUser(_u): ApiUser,
) -> ApiResult<Json<ScheduleOutcome>> {
    Ok(Json(notices::run_schedule(&app).await?))
}

#[utoipa::path(post, path = "/api/v1/records/{id}/versions", tag = "records", operation_id = "add_record_version",
    params(("id" = i64, Path, description = "Record id"), ("X-Filename" = String, Header, description = "The new version's file name"),
        ("X-Note" = Option<String>, Header, description = "Why it replaces the current version")),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The new version's bytes"),
    responses((status = 201, body = RecordRow), (status = 409, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope)), security(("bearer" = [])))]
/// Replaces a record's document with a new version; the current one is kept in its history.
pub async fn record_add_version(
    State(app): State<App>,
    ApiUser(u): ApiUser,
    axum::extract::Path(id): axum::extract::Path<i64>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<(StatusCode, Json<RecordRow>)> {
    let filename = required_filename(&headers)?;
    records::add_version(
        &app,
        &u,
        id,
        &filename,
        body.to_vec(),
        &header_text(&headers, "x-note", 2000),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(records::get(&app, &u, id).await?)))
}
