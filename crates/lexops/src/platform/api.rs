//! The REST API under `/api/v1`: bearer-token authentication, the JSON error envelope of
//! [`ApiError`](super::error::ApiError), and the OpenAPI document generated from these
//! handlers (`/api/openapi.json`, browsable at `/api/docs`). API types are separate from the
//! page forms; domain logic lives in `users`, `auth`, `audit` and `jobs`.

use axum::Json;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::{Deserialize, Serialize};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi, ToSchema};

use super::access::{CurrentUser, Permission};
use super::app::App;
use super::audit::{self, AuditEvent, VerifyReport};
use super::auth::{self, ApiToken};
use super::error::{ApiError, ApiResult, AppError, ErrorEnvelope};
use super::jobs::{self, Job};
use super::users::{self, NewUser, User, UserPatch};
use super::web::Auth;

/// The user behind a bearer token (route policies guarantee one on protected routes).
pub struct ApiUser(pub CurrentUser);

impl FromRequestParts<App> for ApiUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &App) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Auth>()
            .and_then(|a| a.user().cloned())
            .map(ApiUser)
            .ok_or(ApiError(AppError::Unauthorized))
    }
}

/// A page of results.
#[derive(Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// All matching rows.
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
}

/// Paging and filters of list endpoints.
#[derive(Deserialize, IntoParams, Default)]
pub struct ListQuery {
    /// Text filter.
    #[serde(default)]
    pub q: String,
    /// Rows per page (1–500, default 50).
    pub limit: Option<i64>,
    /// Rows to skip.
    pub offset: Option<i64>,
    /// Filter by role (users) or object type (audit) or state (jobs).
    #[serde(default)]
    pub filter: String,
}

impl ListQuery {
    fn window(&self) -> (i64, i64) {
        (
            self.limit.unwrap_or(50).clamp(1, 500),
            self.offset.unwrap_or(0).max(0),
        )
    }
}

/// The signed-in user.
#[derive(Serialize, ToSchema)]
pub struct Me {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: String,
}

#[utoipa::path(get, path = "/api/v1/me", tag = "account",
    responses((status = 200, body = Me), (status = 401, body = ErrorEnvelope)), security(("bearer" = [])))]
/// Who am I?
pub async fn me(ApiUser(u): ApiUser) -> Json<Me> {
    Json(Me {
        id: u.id,
        email: u.email,
        name: u.name,
        role: u.role.as_str().into(),
    })
}

#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(ListQuery),
    responses((status = 200, body = Page<User>), (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope)), security(("bearer" = [])))]
/// Lists users (filter = role).
pub async fn list_users(
    State(app): State<App>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Page<User>>> {
    let (limit, offset) = q.window();
    let (items, total) = users::list(&app, &q.q, &q.filter, "", "id ASC", limit, offset).await?;
    Ok(Json(Page {
        items,
        total,
        limit,
        offset,
    }))
}

#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = NewUser,
    responses((status = 201, body = User), (status = 422, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope)), security(("bearer" = [])))]
/// Creates a user.
pub async fn create_user(
    State(app): State<App>,
    ApiUser(me): ApiUser,
    Json(new): Json<NewUser>,
) -> ApiResult<(StatusCode, Json<User>)> {
    let u = users::create(&app, &me.actor(), new).await?;
    Ok((StatusCode::CREATED, Json(u)))
}

#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", params(("id" = i64, Path, description = "User id")),
    responses((status = 200, body = User), (status = 404, body = ErrorEnvelope)), security(("bearer" = [])))]
/// One user.
pub async fn get_user(State(app): State<App>, Path(id): Path<i64>) -> ApiResult<Json<User>> {
    Ok(Json(users::get(&app, id).await?))
}

#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", params(("id" = i64, Path, description = "User id")), request_body = UserPatch,
    responses((status = 200, body = User), (status = 422, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope)), security(("bearer" = [])))]
/// Changes a user: name, role, status (disable), required second factor, password.
pub async fn update_user(
    State(app): State<App>,
    ApiUser(me): ApiUser,
    Path(id): Path<i64>,
    Json(p): Json<UserPatch>,
) -> ApiResult<Json<User>> {
    Ok(Json(users::update(&app, &me.actor(), id, p).await?))
}

#[utoipa::path(get, path = "/api/v1/audit/events", tag = "audit", params(ListQuery),
    responses((status = 200, body = Page<AuditEvent>), (status = 403, body = ErrorEnvelope)), security(("bearer" = [])))]
/// Audit events, newest first (q = actor, filter = object type).
pub async fn audit_events(
    State(app): State<App>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Page<AuditEvent>>> {
    let (limit, offset) = q.window();
    let (items, total) = audit::list(&app.db, Some(&q.filter), Some(&q.q), limit, offset).await?;
    Ok(Json(Page {
        items,
        total,
        limit,
        offset,
    }))
}

#[utoipa::path(get, path = "/api/v1/audit/verify", tag = "audit",
    responses((status = 200, body = VerifyReport), (status = 403, body = ErrorEnvelope)), security(("bearer" = [])))]
/// Recomputes the audit chain.
pub async fn audit_verify(State(app): State<App>) -> ApiResult<Json<VerifyReport>> {
    Ok(Json(audit::verify(&app.db).await?))
}

/// A new API token.
#[derive(Deserialize, ToSchema)]
pub struct NewTokenRequest {
    pub name: String,
    /// Days until it expires; absent = never.
    pub expires_days: Option<i64>,
}

/// The created token: `secret` is shown once.
#[derive(Serialize, ToSchema)]
pub struct CreatedToken {
    pub id: i64,
    pub secret: String,
}

#[utoipa::path(get, path = "/api/v1/tokens", tag = "account",
    responses((status = 200, body = [ApiToken])), security(("bearer" = [])))]
/// My API tokens.
pub async fn list_tokens(
    State(app): State<App>,
    ApiUser(me): ApiUser,
) -> ApiResult<Json<Vec<ApiToken>>> {
    Ok(Json(auth::list_tokens(&app.db, me.id).await?))
}

#[utoipa::path(post, path = "/api/v1/tokens", tag = "account", request_body = NewTokenRequest,
    responses((status = 201, body = CreatedToken), (status = 422, body = ErrorEnvelope)), security(("bearer" = [])))]
/// Creates an API token for me.
pub async fn create_token(
    State(app): State<App>,
    ApiUser(me): ApiUser,
    Json(r): Json<NewTokenRequest>,
) -> ApiResult<(StatusCode, Json<CreatedToken>)> {
    let t = auth::issue_token(&app, &me, &r.name, r.expires_days).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedToken {
            id: t.id,
            secret: t.secret,
        }),
    ))
}

#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "account", params(("id" = i64, Path, description = "Token id")),
    responses((status = 204), (status = 404, body = ErrorEnvelope)), security(("bearer" = [])))]
/// Revokes one of my API tokens.
pub async fn revoke_token(
    State(app): State<App>,
    ApiUser(me): ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    auth::revoke_token(&app, &me, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/jobs", tag = "jobs", params(ListQuery),
    responses((status = 200, body = Page<Job>), (status = 403, body = ErrorEnvelope)), security(("bearer" = [])))]
/// Background jobs, newest first (filter = state).
pub async fn list_jobs(
    State(app): State<App>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Page<Job>>> {
    let (limit, offset) = q.window();
    let (items, total) = jobs::list(&app, &q.filter, limit, offset).await?;
    Ok(Json(Page {
        items,
        total,
        limit,
        offset,
    }))
}

/// Refuses callers without a permission (for handlers whose route policy is broader).
pub fn require(u: &CurrentUser, p: Permission) -> Result<(), ApiError> {
    if u.can(p) {
        Ok(())
    } else {
        Err(ApiError(AppError::forbidden()))
    }
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("lxp_…")
                    .build(),
            ),
        );
    }
}

/// The OpenAPI document of `/api/v1`.
#[derive(OpenApi)]
#[openapi(
    info(title = "lexops API", description = "The REST API of lexops. Authenticate with a personal API token: `Authorization: Bearer lxp_…` (create one under My account). Errors use one envelope: `{\"error\": {\"code\", \"message\", \"fields\"}}`."),
    paths(me, list_users, create_user, get_user, update_user, audit_events, audit_verify, list_tokens, create_token, revoke_token, list_jobs,
        crate::matters::api::list, crate::matters::api::get, crate::matters::api::create, crate::matters::api::update,
        crate::spend::api::submit, crate::spend::api::list, crate::spend::api::get, crate::spend::api::decide, crate::spend::api::vendors_list,
        crate::spend::api::vendor_create, crate::spend::api::reports, crate::spend::api::export_create, crate::spend::api::export_file,
        crate::records::api::list, crate::records::api::import, crate::records::api::records_list, crate::records::api::record_get,
        crate::records::api::record_add, crate::records::api::custodians_list, crate::records::api::custodians_import,
        crate::records::api::disposition_sweep, crate::records::api::disposition_decide,
        crate::records::api::holds_list, crate::records::api::hold_create, crate::records::api::hold_get,
        crate::records::api::hold_add_custodians, crate::records::api::hold_remind, crate::records::api::hold_release,
        crate::records::api::hold_notices_run, crate::records::api::record_add_version, crate::records::api::record_text,
        crate::records::api::records_classify,
        crate::contracts::api::list, crate::contracts::api::facets, crate::contracts::api::create, crate::contracts::api::get, crate::contracts::api::update,
        crate::contracts::api::set_status, crate::contracts::api::add_version, crate::contracts::api::version_content,
        crate::contracts::api::version_sent, crate::contracts::api::draft, crate::contracts::api::redline, crate::contracts::api::comment,
        crate::contracts::api::request, crate::contracts::api::my_requests, crate::contracts::api::templates_list,
        crate::contracts::api::template_create, crate::contracts::api::template_update, crate::contracts::api::clauses_list,
        crate::contracts::api::clause_create, crate::contracts::api::clause_update, crate::contracts::api::approvals,
        crate::contracts::api::decide, crate::contracts::api::request_signature, crate::contracts::api::rules_list, crate::contracts::api::rule_save,
        crate::contracts::api::upcoming, crate::contracts::api::holidays, crate::contracts::api::holiday_add, crate::contracts::api::holidays_import, crate::contracts::api::holidays_us_federal, crate::contracts::api::holiday_remove, crate::contracts::api::alerts_run, crate::contracts::api::key_dates, crate::contracts::api::clauses, crate::contracts::api::obligations,
        crate::contracts::api::add_obligation, crate::contracts::api::complete_obligation, crate::contracts::api::import,
        crate::contracts::api::verification, crate::contracts::api::verify),
    components(schemas(ErrorEnvelope, Me, User, NewUser, UserPatch, AuditEvent, VerifyReport, ApiToken, NewTokenRequest, CreatedToken, Job,
        crate::matters::model::Matter, crate::matters::model::MatterInput,
        crate::spend::intake::IntakeOutcome, crate::spend::intake::IntakeProblem, crate::spend::model::Invoice, crate::spend::model::InvoiceLine,
        crate::spend::model::InvoiceFlag, crate::spend::model::Vendor, crate::spend::model::VendorInput, crate::spend::review::ApprovalStep,
        crate::spend::api::InvoiceDetail, crate::spend::api::DecisionRequest, crate::spend::api::ExportRequest, crate::spend::export::ApExport,
        crate::spend::analytics::Report, crate::records::plan::CategoryRow, crate::records::plan::PlanImportReport,
        crate::records::api::PlanImportOutcome, crate::matters::store::ImportProblem, crate::records::store::RecordRow,
        crate::records::custodians::Custodian, crate::records::custodians::DirectoryReport, crate::records::api::DirectoryOutcome,
        crate::records::api::DispositionDecision, crate::records::api::DispositionOutcome,
        crate::records::holds::HoldView, crate::records::api::HoldRequest, crate::records::api::HoldDetail,
        crate::records::notices::HoldNoticeInfo, crate::records::notices::Source, crate::records::notices::OnHold,
        crate::records::notices::NoticeRow, crate::records::notices::ScheduleOutcome,
        crate::records::api::CustodiansRequest, crate::records::api::Sent, crate::records::store::VersionRow,
        crate::records::api::RecordText, crate::records::api::ClassifyRequest,
        crate::contracts::model::Contract, crate::contracts::model::ContractInput, crate::contracts::model::Version,
        crate::contracts::model::StatusChange, crate::contracts::model::Comment, crate::contracts::model::Status,
        crate::contracts::api::ContractDetail, crate::contracts::api::Facets, crate::contracts::api::FacetValue, crate::contracts::api::StatusRequest, crate::contracts::api::DraftRequest,
        crate::contracts::api::RedlineOut, crate::contracts::api::RedlineSeg, crate::contracts::api::CommentRequest,
        crate::contracts::templates::Template, crate::contracts::templates::TemplateInput, crate::contracts::templates::Clause,
        crate::contracts::templates::ClauseInput, crate::contracts::templates::Fallback,
        crate::contracts::approvals::Approval, crate::contracts::approvals::Rule, crate::contracts::approvals::Condition,
        crate::contracts::approvals::Approver, crate::contracts::approvals::Signatory, crate::contracts::approvals::Signature,
        crate::contracts::api::ApprovalDecision, crate::contracts::api::SignatureRequest,
        crate::contracts::keydates::KeyDate, crate::contracts::keydates::Kind, crate::contracts::dates::Obligation, crate::contracts::dates::ObligationInput,
        crate::contracts::dates::Upcoming, crate::contracts::holidays::Holiday, crate::contracts::holidays::HolidayInput, crate::contracts::holidays::HolidayImport, crate::contracts::api::FederalYear, crate::contracts::dates::AlertRun, crate::contracts::api::CompleteObligation,
        crate::contracts::import::ImportReport, crate::contracts::import::Pending, crate::contracts::api::VerifyRequest)),
    modifiers(&BearerAuth),
    tags((name = "account"), (name = "users"), (name = "audit"), (name = "jobs"), (name = "matters"), (name = "spend"), (name = "records"), (name = "contracts"))
)]
pub struct ApiDoc;

impl ApiDoc {
    /// The document as a value.
    pub fn openapi_spec() -> utoipa::openapi::OpenApi {
        <ApiDoc as OpenApi>::openapi()
    }
}

/// The OpenAPI document as JSON.
pub fn openapi_json() -> String {
    ApiDoc::openapi_spec().to_pretty_json().unwrap_or_default()
}

/// A request header as text, at most `max` characters ("" when absent).
pub fn header_text(headers: &axum::http::HeaderMap, name: &str, max: usize) -> String {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .chars()
        .take(max)
        .collect()
}

/// The `X-Filename` of an upload, required.
pub fn required_filename(headers: &axum::http::HeaderMap) -> Result<String, AppError> {
    let f = header_text(headers, "x-filename", 500);
    if f.trim().is_empty() {
        return Err(AppError::field(
            "X-Filename",
            "Name the file in the X-Filename header.",
        ));
    }
    Ok(f)
}
