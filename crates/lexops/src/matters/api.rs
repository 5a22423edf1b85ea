//! Matter endpoints of the REST API.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::IntoParams;

use super::model::{Matter, MatterInput};
use super::store::{self, MatterFilter};
use crate::App;
use crate::platform::api::{ApiUser, Page};
use crate::platform::error::{ApiResult, ErrorEnvelope};

/// Filters of `GET /api/v1/matters`.
#[derive(Deserialize, IntoParams, Default)]
pub struct MatterQuery {
    /// Text in number, name or business owner.
    #[serde(default)]
    pub q: String,
    /// Matter type code.
    #[serde(default, rename = "type")]
    pub type_code: String,
    /// intake, open, on_hold or closed.
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub practice_area: String,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/matters", tag = "matters", operation_id = "list_matters", params(MatterQuery),
    responses((status = 200, body = Page<Matter>), (status = 403, body = ErrorEnvelope)), security(("bearer" = [])))]
/// Matters visible to the caller (walled matters only to the people on their wall).
pub async fn list(
    State(app): State<App>,
    ApiUser(u): ApiUser,
    Query(q): Query<MatterQuery>,
) -> ApiResult<Json<Page<Matter>>> {
    let (limit, offset) = (
        q.limit.unwrap_or(50).clamp(1, 500),
        q.offset.unwrap_or(0).max(0),
    );
    let f = MatterFilter {
        q: q.q,
        type_code: q.type_code,
        status: q.status,
        practice_area: q.practice_area,
    };
    let (items, total) = store::list(&app, &u, &f, "m.number ASC", limit, offset).await?;
    Ok(Json(Page {
        items,
        total,
        limit,
        offset,
    }))
}

#[utoipa::path(get, path = "/api/v1/matters/{id}", tag = "matters", operation_id = "get_matter", params(("id" = i64, Path, description = "Matter id")),
    responses((status = 200, body = Matter), (status = 404, body = ErrorEnvelope)), security(("bearer" = [])))]
/// One matter.
pub async fn get(
    State(app): State<App>,
    ApiUser(u): ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<Matter>> {
    Ok(Json(store::get(&app, &u, id).await?))
}

#[utoipa::path(post, path = "/api/v1/matters", tag = "matters", operation_id = "create_matter", request_body = MatterInput,
    responses((status = 201, body = Matter), (status = 422, body = ErrorEnvelope)), security(("bearer" = [])))]
/// Opens a matter.
pub async fn create(
    State(app): State<App>,
    ApiUser(u): ApiUser,
    Json(input): Json<MatterInput>,
) -> ApiResult<(StatusCode, Json<Matter>)> {
    Ok((
        StatusCode::CREATED,
        Json(store::create(&app, &u, &input).await?),
    ))
}

#[utoipa::path(put, path = "/api/v1/matters/{id}", tag = "matters", operation_id = "update_matter", params(("id" = i64, Path, description = "Matter id")), request_body = MatterInput,
    responses((status = 200, body = Matter), (status = 422, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope)), security(("bearer" = [])))]
/// Replaces a matter's fields.
pub async fn update(
    State(app): State<App>,
    ApiUser(u): ApiUser,
    Path(id): Path<i64>,
    Json(input): Json<MatterInput>,
) -> ApiResult<Json<Matter>> {
    Ok(Json(store::update(&app, &u, id, &input).await?))
}
