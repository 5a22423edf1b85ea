//! Spend endpoints of the REST API: invoice submission (the raw LEDES file as the body),
//! invoices with lines and flags, decisions, vendors, the dashboard's reports and AP exports.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::analytics::{self, Report};
use super::export::{self, ApExport};
use super::intake::{self, IntakeOutcome};
use super::model::{Invoice, InvoiceFlag, InvoiceLine, Vendor, VendorInput};
use super::review::{self, ApprovalStep, Decision, InvoiceFilter};
use super::vendors;
use crate::App;
use crate::platform::api::{ApiUser, Page};
use crate::platform::error::{ApiError, ApiResult, AppError, ErrorEnvelope};

#[utoipa::path(post, path = "/api/v1/invoices", tag = "spend", request_body(content = String, description = "A LEDES 1998B, 98BI or XML file", content_type = "text/plain"),
    params(("X-Filename" = Option<String>, Header, description = "The file's name, for the report")),
    responses((status = 201, body = IntakeOutcome, description = "Accepted"), (status = 422, body = IntakeOutcome, description = "Rejected: nothing stored; the problems say where"), (status = 403, body = ErrorEnvelope)),
    security(("bearer" = [])))]
/// Submits a LEDES file.
pub async fn submit(
    State(app): State<App>,
    ApiUser(u): ApiUser,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<IntakeOutcome>)> {
    let name = headers
        .get("x-filename")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("api-upload")
        .chars()
        .take(200)
        .collect::<String>();
    if body.is_empty() {
        return Err(AppError::field("body", "Send the LEDES file as the request body.").into());
    }
    let outcome = intake::submit(&app, &u, &name, &body).await?;
    let status = if outcome.accepted {
        StatusCode::CREATED
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, Json(outcome)))
}

/// Filters of `GET /api/v1/invoices`.
#[derive(Deserialize, IntoParams, Default)]
pub struct InvoiceQuery {
    #[serde(default)]
    pub q: String,
    /// in_review, approved, rejected, returned or exported.
    #[serde(default)]
    pub status: String,
    pub vendor_id: Option<i64>,
    pub matter_id: Option<i64>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/invoices", tag = "spend", params(InvoiceQuery),
    responses((status = 200, body = Page<Invoice>), (status = 403, body = ErrorEnvelope)), security(("bearer" = [])))]
/// Invoices visible to the caller (a vendor: its own).
pub async fn list(
    State(app): State<App>,
    ApiUser(u): ApiUser,
    Query(q): Query<InvoiceQuery>,
) -> ApiResult<Json<Page<Invoice>>> {
    let (limit, offset) = (
        q.limit.unwrap_or(50).clamp(1, 500),
        q.offset.unwrap_or(0).max(0),
    );
    let f = InvoiceFilter {
        q: q.q,
        status: q.status,
        vendor_id: q.vendor_id,
        matter_id: q.matter_id,
        awaiting: None,
    };
    let (items, total) = review::list(&app, &u, &f, "i.received_at DESC", limit, offset).await?;
    Ok(Json(Page {
        items,
        total,
        limit,
        offset,
    }))
}

/// An invoice with everything about it.
#[derive(Serialize, ToSchema)]
pub struct InvoiceDetail {
    pub invoice: Invoice,
    pub lines: Vec<InvoiceLine>,
    pub flags: Vec<InvoiceFlag>,
    pub approvals: Vec<ApprovalStep>,
}

#[utoipa::path(get, path = "/api/v1/invoices/{id}", tag = "spend", params(("id" = i64, Path, description = "Invoice id")),
    responses((status = 200, body = InvoiceDetail), (status = 404, body = ErrorEnvelope)), security(("bearer" = [])))]
/// One invoice with its lines, flags and approval steps.
pub async fn get(
    State(app): State<App>,
    ApiUser(u): ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<InvoiceDetail>> {
    let invoice = review::get(&app, &u, id).await?;
    Ok(Json(InvoiceDetail {
        invoice,
        lines: review::lines(&app, id).await?,
        flags: review::flags(&app, id).await?,
        approvals: review::approvals(&app, id).await?,
    }))
}

/// A decision on the current approval step.
#[derive(Deserialize, ToSchema)]
pub struct DecisionRequest {
    /// approve, reject or return.
    pub decision: String,
    #[serde(default)]
    pub note: String,
}

#[utoipa::path(post, path = "/api/v1/invoices/{id}/decision", tag = "spend", params(("id" = i64, Path, description = "Invoice id")), request_body = DecisionRequest,
    responses((status = 200, body = Invoice), (status = 403, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)), security(("bearer" = [])))]
/// Approves, rejects or returns an invoice at its current step.
pub async fn decide(
    State(app): State<App>,
    ApiUser(u): ApiUser,
    Path(id): Path<i64>,
    Json(r): Json<DecisionRequest>,
) -> ApiResult<Json<Invoice>> {
    let d = match r.decision.as_str() {
        "approve" => Decision::Approve,
        "reject" => Decision::Reject,
        "return" => Decision::Return,
        _ => return Err(AppError::field("decision", "Use approve, reject or return.").into()),
    };
    review::decide(&app, &u, id, d, &r.note).await?;
    Ok(Json(review::get(&app, &u, id).await?))
}

#[utoipa::path(get, path = "/api/v1/vendors", tag = "spend",
    responses((status = 200, body = [Vendor]), (status = 403, body = ErrorEnvelope)), security(("bearer" = [])))]
/// Vendors (a vendor user: its own firm).
pub async fn vendors_list(
    State(app): State<App>,
    ApiUser(u): ApiUser,
) -> ApiResult<Json<Vec<Vendor>>> {
    Ok(Json(vendors::list(&app, &u, "", "").await?))
}

#[utoipa::path(post, path = "/api/v1/vendors", tag = "spend", request_body = VendorInput,
    responses((status = 201, body = Vendor), (status = 422, body = ErrorEnvelope)), security(("bearer" = [])))]
/// Registers a vendor.
pub async fn vendor_create(
    State(app): State<App>,
    ApiUser(u): ApiUser,
    Json(v): Json<VendorInput>,
) -> ApiResult<(StatusCode, Json<Vendor>)> {
    Ok((
        StatusCode::CREATED,
        Json(vendors::create(&app, &u, &v).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/spend/reports", tag = "spend", params(analytics::Filters),
    responses((status = 200, body = [Report]), (status = 403, body = ErrorEnvelope)), security(("bearer" = [])))]
/// The spend dashboard's reports as tables.
pub async fn reports(
    State(app): State<App>,
    ApiUser(u): ApiUser,
    Query(f): Query<analytics::Filters>,
) -> ApiResult<Json<Vec<Report>>> {
    Ok(Json(analytics::reports(&app, &u, &f).await?))
}

/// An export request.
#[derive(Deserialize, ToSchema)]
pub struct ExportRequest {
    /// csv, json or ledes.
    pub format: String,
}

#[utoipa::path(post, path = "/api/v1/exports", tag = "spend", request_body = ExportRequest,
    responses((status = 201, body = ApExport), (status = 204, description = "No approved invoice waits"), (status = 403, body = ErrorEnvelope)), security(("bearer" = [])))]
/// Exports every approved invoice not yet exported.
pub async fn export_create(
    State(app): State<App>,
    ApiUser(u): ApiUser,
    Json(r): Json<ExportRequest>,
) -> Result<Response, ApiError> {
    match export::create(&app, &u, &r.format).await? {
        Some(id) => {
            let e = export::list(&app)
                .await?
                .into_iter()
                .find(|e| e.id == id)
                .ok_or_else(|| AppError::NotFound("export".into()))?;
            Ok((StatusCode::CREATED, Json(e)).into_response())
        }
        None => Ok(StatusCode::NO_CONTENT.into_response()),
    }
}

#[utoipa::path(get, path = "/api/v1/exports/{id}/file", tag = "spend", params(("id" = i64, Path, description = "Export id")),
    responses((status = 200, description = "The exported file"), (status = 404, body = ErrorEnvelope)), security(("bearer" = [])))]
/// Downloads an export's file again.
pub async fn export_file(
    State(app): State<App>,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let (name, mime, bytes) = export::file(&app, id).await?;
    let mut r = bytes.into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(r)
}
