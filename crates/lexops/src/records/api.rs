//! File-plan endpoints of the REST API.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;

use super::plan::{self, CategoryRow, PlanImportReport};
use crate::App;
use crate::matters::store::ImportProblem;
use crate::platform::api::ApiUser;
use crate::platform::error::{ApiResult, ErrorEnvelope};

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
