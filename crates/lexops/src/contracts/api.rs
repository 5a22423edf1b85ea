//! Contract endpoints of the REST API: the repository, versions, drafting from templates,
//! redlines, status, comments, intake requests, templates and the clause library.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::compare;
use super::model::{Comment, Contract, ContractInput, Status, StatusChange, Version};
use super::store::{self, Filter};
use super::templates::{self as tpl, Clause, ClauseInput, Template, TemplateInput};
use crate::App;
use crate::platform::api::{ApiUser, Page, header_text, required_filename};
use crate::platform::error::{ApiResult, AppError, ErrorEnvelope};

/// Filters of `GET /api/v1/contracts`.
#[derive(Deserialize, utoipa::IntoParams, Default)]
pub struct ContractQuery {
    /// Words in the number, title, counterparty or governing law.
    #[serde(default)]
    pub q: String,
    /// draft, in_review, negotiation, approval, signature, executed, expired or terminated.
    #[serde(default)]
    pub status: String,
    /// A contract type code.
    #[serde(default, rename = "type")]
    pub type_code: String,
    /// Only contracts expiring on or before this date (YYYY-MM-DD).
    #[serde(default)]
    pub expires_by: String,
    /// Only contracts with this counterparty (the whole name, any case).
    #[serde(default)]
    pub counterparty: String,
    /// updated (default), number, title, counterparty, status, value or expires; `-` first for descending.
    #[serde(default)]
    pub sort: String,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/contracts", tag = "contracts", operation_id = "list_contracts", params(ContractQuery),
    responses((status = 200, body = Page<Contract>), (status = 403, body = ErrorEnvelope)), security(("bearer" = [])))]
/// Contracts visible to the caller.
pub async fn list(
    State(app): State<App>,
    ApiUser(u): ApiUser,
    Query(q): Query<ContractQuery>,
) -> ApiResult<Json<Page<Contract>>> {
    let (limit, offset) = (
        q.limit.unwrap_or(50).clamp(1, 500),
        q.offset.unwrap_or(0).max(0),
    );
    let (key, desc) = match q.sort.strip_prefix('-') {
        Some(k) => (k, true),
        None => (q.sort.as_str(), false),
    };
    let order = store::order_by(&crate::platform::web::ui::ListParams {
        sort: key.to_string(),
        dir: if desc { "desc".into() } else { String::new() },
        ..Default::default()
    });
    let f = Filter {
        q: q.q,
        status: q.status,
        type_code: q.type_code,
        expires_by: q.expires_by,
        counterparty: q.counterparty,
        ..Default::default()
    };
    let (mut items, total) = store::list(&app, Some(&u), &f, &order, limit, offset).await?;
    for c in &mut items {
        c.snippet = c
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

/// A value of a facet and how many contracts have it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct FacetValue {
    pub value: String,
    pub label: String,
    pub count: i64,
}

/// Counts of the contracts a search finds, by status and by type.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Facets {
    pub status: Vec<FacetValue>,
    #[serde(rename = "type")]
    pub type_code: Vec<FacetValue>,
}

#[utoipa::path(get, path = "/api/v1/contracts/facets", tag = "contracts", operation_id = "contract_facets", params(ContractQuery),
    responses((status = 200, body = Facets), (status = 403, body = ErrorEnvelope)), security(("bearer" = [])))]
/// How the contracts a search finds divide by status and by type (each ignoring its own filter).
pub async fn facets(
    State(app): State<App>,
    ApiUser(u): ApiUser,
    Query(q): Query<ContractQuery>,
) -> ApiResult<Json<Facets>> {
    let f = Filter {
        q: q.q,
        status: q.status,
        type_code: q.type_code,
        expires_by: q.expires_by,
        counterparty: q.counterparty,
        ..Default::default()
    };
    let (s, t) = store::facets(&app, Some(&u), &f).await?;
    Ok(Json(Facets {
        status: s
            .into_iter()
            .map(|(v, count)| FacetValue {
                label: Status::parse(&v).map(Status::label).unwrap_or("").into(),
                value: v,
                count,
            })
            .collect(),
        type_code: t
            .into_iter()
            .map(|(value, label, count)| FacetValue {
                value,
                label,
                count,
            })
            .collect(),
    }))
}

#[utoipa::path(post, path = "/api/v1/contracts", tag = "contracts", operation_id = "create_contract", request_body = ContractInput,
    responses((status = 201, body = Contract), (status = 422, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope)), security(("bearer" = [])))]
/// Creates a contract in draft.
pub async fn create(
    State(app): State<App>,
    ApiUser(u): ApiUser,
    Json(input): Json<ContractInput>,
) -> ApiResult<(StatusCode, Json<Contract>)> {
    Ok((
        StatusCode::CREATED,
        Json(store::create(&app, &u, &input).await?),
    ))
}

/// A contract with its versions, status history and comments.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ContractDetail {
    pub contract: Contract,
    pub versions: Vec<Version>,
    pub history: Vec<StatusChange>,
    pub comments: Vec<Comment>,
}

#[utoipa::path(get, path = "/api/v1/contracts/{id}", tag = "contracts", operation_id = "get_contract", params(("id" = i64, Path, description = "Contract id")),
    responses((status = 200, body = ContractDetail), (status = 404, body = ErrorEnvelope)), security(("bearer" = [])))]
/// One contract.
pub async fn get(
    State(app): State<App>,
    ApiUser(u): ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<ContractDetail>> {
    let contract = store::get(&app, Some(&u), id).await?;
    Ok(Json(ContractDetail {
        contract,
        versions: store::versions(&app, id).await?,
        history: store::history(&app, id).await?,
        comments: store::comments(&app, id).await?,
    }))
}

#[utoipa::path(put, path = "/api/v1/contracts/{id}", tag = "contracts", operation_id = "update_contract", params(("id" = i64, Path, description = "Contract id")),
    request_body = ContractInput,
    responses((status = 200, body = Contract), (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)), security(("bearer" = [])))]
/// Replaces a contract's fields (not its status; an executed contract is locked).
pub async fn update(
    State(app): State<App>,
    ApiUser(u): ApiUser,
    Path(id): Path<i64>,
    Json(input): Json<ContractInput>,
) -> ApiResult<Json<Contract>> {
    Ok(Json(store::update(&app, &u, id, &input).await?))
}

/// A status change.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct StatusRequest {
    pub status: Status,
    #[serde(default)]
    pub note: String,
}

#[utoipa::path(post, path = "/api/v1/contracts/{id}/status", tag = "contracts", operation_id = "set_contract_status", params(("id" = i64, Path, description = "Contract id")),
    request_body = StatusRequest,
    responses((status = 200, body = Contract), (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope)), security(("bearer" = [])))]
/// Moves a contract to another status (draft → in review → negotiation → approval → signature →
/// executed → expired/terminated; executing needs a signed copy).
pub async fn set_status(
    State(app): State<App>,
    ApiUser(u): ApiUser,
    Path(id): Path<i64>,
    Json(r): Json<StatusRequest>,
) -> ApiResult<Json<Contract>> {
    Ok(Json(
        store::set_status(&app, &u, id, r.status, &r.note).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/contracts/{id}/versions", tag = "contracts", operation_id = "add_contract_version",
    request_body(content = String, description = "The document's bytes (DOCX, PDF or text)", content_type = "application/octet-stream"),
    params(("id" = i64, Path, description = "Contract id"), ("X-Filename" = String, Header, description = "The file's name"),
        ("X-Source" = Option<String>, Header, description = "ours (default), counterparty or signed"),
        ("X-Note" = Option<String>, Header, description = "A note on the version"),
        ("X-Signed-On" = Option<String>, Header, description = "For a signed copy: the date everyone signed, YYYY-MM-DD (today when absent)")),
    responses((status = 201, body = Version), (status = 409, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)), security(("bearer" = [])))]
/// Adds a version: its text is read at once; a corrupt or password-protected file is refused and
/// nothing is stored.
pub async fn add_version(
    State(app): State<App>,
    ApiUser(u): ApiUser,
    Path(id): Path<i64>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<(StatusCode, Json<Version>)> {
    let filename = required_filename(&headers)?;
    let source = match header_text(&headers, "x-source", 40) {
        s if s.is_empty() => "ours".to_string(),
        s => s,
    };
    store::get(&app, Some(&u), id).await?;
    let p = store::prepare(&app, filename, body.to_vec()).await?;
    let signed_on = header_text(&headers, "x-signed-on", 10);
    let v = store::add_version_signed(
        &app,
        &u,
        id,
        p,
        &source,
        &header_text(&headers, "x-note", 2000),
        None,
        &super::approvals::signed_on_all(&signed_on),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(v)))
}

#[utoipa::path(get, path = "/api/v1/contracts/{id}/versions/{version}/content", tag = "contracts", operation_id = "get_contract_version_content",
    params(("id" = i64, Path, description = "Contract id"), ("version" = i64, Path, description = "Version number")),
    responses((status = 200, description = "The document's bytes", content_type = "application/octet-stream"), (status = 404, body = ErrorEnvelope)), security(("bearer" = [])))]
/// A version's document (audited).
pub async fn version_content(
    State(app): State<App>,
    ApiUser(u): ApiUser,
    Path((id, n)): Path<(i64, i64)>,
) -> ApiResult<Response> {
    let v = store::version_by_number(&app, Some(&u), id, n).await?;
    let bytes = store::version_bytes(&app, &u, &v).await?;
    Ok(crate::platform::web::attachment(&v.filename, bytes))
}

#[utoipa::path(post, path = "/api/v1/contracts/{id}/versions/{version}/sent", tag = "contracts", operation_id = "mark_contract_version_sent",
    params(("id" = i64, Path, description = "Contract id"), ("version" = i64, Path, description = "Version number")),
    responses((status = 200, body = Version), (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope)), security(("bearer" = [])))]
/// Records that a version of ours went to the counterparty: their next turn is compared with it.
pub async fn version_sent(
    State(app): State<App>,
    ApiUser(u): ApiUser,
    Path((id, n)): Path<(i64, i64)>,
) -> ApiResult<Json<Version>> {
    let v = store::version_by_number(&app, Some(&u), id, n).await?;
    Ok(Json(store::mark_sent(&app, &u, id, v.id).await?))
}

/// Drafting from a template.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct DraftRequest {
    /// The template's code.
    pub template: String,
    /// Answers by form field: `fee` and `fee.currency` for money, `term.count` and `term.unit`
    /// for a duration, `party.name`, `party.entity` and `party.address` for a party, one item
    /// per line for a list, `yes`/`no` for yes/no.
    #[serde(default)]
    pub answers: BTreeMap<String, String>,
}

#[utoipa::path(post, path = "/api/v1/contracts/{id}/draft", tag = "contracts", operation_id = "draft_contract", params(("id" = i64, Path, description = "Contract id")),
    request_body = DraftRequest,
    responses((status = 201, body = Version), (status = 422, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope)), security(("bearer" = [])))]
/// Renders a template with answers into a DOCX: the contract's next version.
pub async fn draft(
    State(app): State<App>,
    ApiUser(u): ApiUser,
    Path(id): Path<i64>,
    Json(r): Json<DraftRequest>,
) -> ApiResult<(StatusCode, Json<Version>)> {
    let t = tpl::by_code(&app, &r.template).await?;
    Ok((
        StatusCode::CREATED,
        Json(tpl::draft(&app, &u, id, t.id, &r.answers).await?),
    ))
}

/// Which versions to compare.
#[derive(Deserialize, utoipa::IntoParams, Default)]
pub struct RedlineQuery {
    /// The earlier version's number (default: for a counterparty turn, the version we sent; else
    /// the one before).
    pub from: Option<i64>,
    /// The later version's number (default: the newest).
    pub to: Option<i64>,
    /// `docx` for the Word file with tracked changes.
    #[serde(default)]
    pub format: String,
}

/// One changed or unchanged stretch of a redline.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RedlineSeg {
    /// same, ins or del
    pub op: &'static str,
    pub text: String,
}

/// A redline between two versions.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RedlineOut {
    pub from_version: i64,
    pub to_version: i64,
    pub words_inserted: usize,
    pub words_deleted: usize,
    pub paragraphs_changed: usize,
    /// A counterparty turn that differs from what we sent although it carries no tracked changes.
    pub untracked_changes: bool,
    /// Paragraphs, each a list of stretches.
    pub paragraphs: Vec<Vec<RedlineSeg>>,
    /// The same as escaped HTML (`<ins>`, `<del>`).
    pub html: String,
}

#[utoipa::path(get, path = "/api/v1/contracts/{id}/redline", tag = "contracts", operation_id = "contract_redline",
    params(("id" = i64, Path, description = "Contract id"), RedlineQuery),
    responses((status = 200, body = RedlineOut), (status = 404, body = ErrorEnvelope)), security(("bearer" = [])))]
/// A word-level redline between two versions (JSON, or `format=docx` for tracked changes).
pub async fn redline(
    State(app): State<App>,
    ApiUser(u): ApiUser,
    Path(id): Path<i64>,
    Query(q): Query<RedlineQuery>,
) -> ApiResult<Response> {
    let vid = |n: Option<i64>| {
        let app = app.clone();
        let u = u.clone();
        async move {
            match n {
                Some(n) => Ok::<_, AppError>(Some(
                    store::version_by_number(&app, Some(&u), id, n).await?.id,
                )),
                None => Ok(None),
            }
        }
    };
    let (from, to) = (vid(q.from).await?, vid(q.to).await?);
    let cmp = compare::compare(&app, Some(&u), id, from, to).await?;
    if q.format == "docx" {
        return Ok(crate::platform::web::attachment(
            &cmp.filename(),
            cmp.docx()?,
        ));
    }
    let paragraphs = cmp
        .redline
        .paras
        .iter()
        .map(|p| {
            p.segs
                .iter()
                .map(|s| RedlineSeg {
                    op: match s.op {
                        drafting::redline::Op::Same => "same",
                        drafting::redline::Op::Ins => "ins",
                        drafting::redline::Op::Del => "del",
                    },
                    text: s.text.clone(),
                })
                .collect()
        })
        .collect();
    Ok(Json(RedlineOut {
        from_version: cmp.from.version,
        to_version: cmp.to.version,
        words_inserted: cmp.redline.words_inserted,
        words_deleted: cmp.redline.words_deleted,
        paragraphs_changed: cmp.redline.paras_changed,
        untracked_changes: cmp.untracked_changes(),
        html: drafting::redline::to_html(&cmp.redline),
        paragraphs,
    })
    .into_response())
}

/// A comment.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct CommentRequest {
    pub body: String,
    /// The version number it is about, if any.
    pub version: Option<i64>,
}

#[utoipa::path(post, path = "/api/v1/contracts/{id}/comments", tag = "contracts", operation_id = "comment_contract", params(("id" = i64, Path, description = "Contract id")),
    request_body = CommentRequest,
    responses((status = 201, body = Vec<Comment>), (status = 422, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope)), security(("bearer" = [])))]
/// Comments on a contract (or one of its versions); returns all its comments.
pub async fn comment(
    State(app): State<App>,
    ApiUser(u): ApiUser,
    Path(id): Path<i64>,
    Json(r): Json<CommentRequest>,
) -> ApiResult<(StatusCode, Json<Vec<Comment>>)> {
    let vid = match r.version {
        Some(n) => Some(store::version_by_number(&app, Some(&u), id, n).await?.id),
        None => None,
    };
    store::comment(&app, &u, id, vid, &r.body).await?;
    Ok((StatusCode::CREATED, Json(store::comments(&app, id).await?)))
}

#[utoipa::path(post, path = "/api/v1/contract-requests", tag = "contracts", operation_id = "request_contract", request_body = ContractInput,
    responses((status = 201, body = Contract), (status = 422, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope)), security(("bearer" = [])))]
/// Asks legal for a contract: a draft owned by the least-loaded lawyer (needs `business_reason`).
pub async fn request(
    State(app): State<App>,
    ApiUser(u): ApiUser,
    Json(input): Json<ContractInput>,
) -> ApiResult<(StatusCode, Json<Contract>)> {
    Ok((
        StatusCode::CREATED,
        Json(store::request(&app, &u, &input, vec![]).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/contract-requests", tag = "contracts", operation_id = "my_contract_requests",
    responses((status = 200, body = Vec<Contract>), (status = 403, body = ErrorEnvelope)), security(("bearer" = [])))]
/// The caller's own requests, newest first.
pub async fn my_requests(
    State(app): State<App>,
    ApiUser(u): ApiUser,
) -> ApiResult<Json<Vec<Contract>>> {
    let f = Filter {
        requester_id: Some(u.id),
        ..Default::default()
    };
    Ok(Json(
        store::list(&app, None, &f, "c.created_at DESC", 500, 0)
            .await?
            .0,
    ))
}

#[utoipa::path(get, path = "/api/v1/contract-templates", tag = "contracts", operation_id = "list_contract_templates",
    responses((status = 200, body = Vec<Template>), (status = 403, body = ErrorEnvelope)), security(("bearer" = [])))]
/// Templates, active first.
pub async fn templates_list(
    State(app): State<App>,
    ApiUser(_u): ApiUser,
) -> ApiResult<Json<Vec<Template>>> {
    Ok(Json(tpl::list(&app).await?))
}

#[utoipa::path(post, path = "/api/v1/contract-templates", tag = "contracts", operation_id = "create_contract_template", request_body = TemplateInput,
    responses((status = 201, body = Template), (status = 422, body = ErrorEnvelope, description = "Problems by field; template problems name their line")), security(("bearer" = [])))]
/// Saves a new template after checking it (syntax, unknown variables, a trial rendering).
pub async fn template_create(
    State(app): State<App>,
    ApiUser(u): ApiUser,
    Json(input): Json<TemplateInput>,
) -> ApiResult<(StatusCode, Json<Template>)> {
    Ok((
        StatusCode::CREATED,
        Json(tpl::save(&app, &u, None, &input).await?),
    ))
}

#[utoipa::path(put, path = "/api/v1/contract-templates/{id}", tag = "contracts", operation_id = "update_contract_template",
    params(("id" = i64, Path, description = "Template id")), request_body = TemplateInput,
    responses((status = 200, body = Template), (status = 422, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope)), security(("bearer" = [])))]
/// Saves a template's next revision.
pub async fn template_update(
    State(app): State<App>,
    ApiUser(u): ApiUser,
    Path(id): Path<i64>,
    Json(input): Json<TemplateInput>,
) -> ApiResult<Json<Template>> {
    Ok(Json(tpl::save(&app, &u, Some(id), &input).await?))
}

#[utoipa::path(get, path = "/api/v1/clauses", tag = "contracts", operation_id = "list_clauses",
    responses((status = 200, body = Vec<Clause>), (status = 403, body = ErrorEnvelope)), security(("bearer" = [])))]
/// The clause library.
pub async fn clauses_list(
    State(app): State<App>,
    ApiUser(_u): ApiUser,
) -> ApiResult<Json<Vec<Clause>>> {
    Ok(Json(tpl::clauses(&app).await?))
}

#[utoipa::path(post, path = "/api/v1/clauses", tag = "contracts", operation_id = "create_clause", request_body = ClauseInput,
    responses((status = 201, body = Clause), (status = 422, body = ErrorEnvelope)), security(("bearer" = [])))]
/// Adds a clause to the library.
pub async fn clause_create(
    State(app): State<App>,
    ApiUser(u): ApiUser,
    Json(input): Json<ClauseInput>,
) -> ApiResult<(StatusCode, Json<Clause>)> {
    Ok((
        StatusCode::CREATED,
        Json(tpl::save_clause(&app, &u, None, &input).await?),
    ))
}

#[utoipa::path(put, path = "/api/v1/clauses/{id}", tag = "contracts", operation_id = "update_clause", params(("id" = i64, Path, description = "Clause id")),
    request_body = ClauseInput,
    responses((status = 200, body = Clause), (status = 422, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope)), security(("bearer" = [])))]
/// Replaces a clause's texts.
pub async fn clause_update(
    State(app): State<App>,
    ApiUser(u): ApiUser,
    Path(id): Path<i64>,
    Json(input): Json<ClauseInput>,
) -> ApiResult<Json<Clause>> {
    Ok(Json(tpl::save_clause(&app, &u, Some(id), &input).await?))
}

#[utoipa::path(get, path = "/api/v1/contracts/{id}/approvals", tag = "contracts", operation_id = "contract_approvals", params(("id" = i64, Path, description = "Contract id")),
    responses((status = 200, body = Vec<super::approvals::Approval>), (status = 404, body = ErrorEnvelope)), security(("bearer" = [])))]
/// The approvals the rules asked for, per version (void ones included).
pub async fn approvals(
    State(app): State<App>,
    ApiUser(u): ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<super::approvals::Approval>>> {
    store::get(&app, Some(&u), id).await?;
    Ok(Json(super::approvals::list(&app, id).await?))
}

/// An approver's decision.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct ApprovalDecision {
    pub approve: bool,
    /// Required to reject.
    #[serde(default)]
    pub note: String,
}

#[utoipa::path(post, path = "/api/v1/contracts/{id}/approvals/{approval}", tag = "contracts", operation_id = "decide_contract_approval",
    params(("id" = i64, Path, description = "Contract id"), ("approval" = i64, Path, description = "Approval id")), request_body = ApprovalDecision,
    responses((status = 200, body = Contract), (status = 403, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope)), security(("bearer" = [])))]
/// Approves or rejects (the caller must be the approver, at their turn; a rejection sends the
/// contract back to negotiation).
pub async fn decide(
    State(app): State<App>,
    ApiUser(u): ApiUser,
    Path((id, aid)): Path<(i64, i64)>,
    Json(d): Json<ApprovalDecision>,
) -> ApiResult<Json<Contract>> {
    Ok(Json(
        super::approvals::decide(&app, &u, id, aid, d.approve, &d.note).await?,
    ))
}

/// A signature request.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct SignatureRequest {
    pub signatories: Vec<super::approvals::Signatory>,
    /// electronic (default) or wet ink.
    #[serde(default)]
    pub method: String,
}

#[utoipa::path(post, path = "/api/v1/contracts/{id}/signature", tag = "contracts", operation_id = "request_contract_signature",
    params(("id" = i64, Path, description = "Contract id")), request_body = SignatureRequest,
    responses((status = 201, body = Vec<super::approvals::Signature>), (status = 409, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)), security(("bearer" = [])))]
/// Records who signs the current version (at the signature stage); the signed copy is then
/// uploaded as a version with `X-Source: signed`.
pub async fn request_signature(
    State(app): State<App>,
    ApiUser(u): ApiUser,
    Path(id): Path<i64>,
    Json(r): Json<SignatureRequest>,
) -> ApiResult<(StatusCode, Json<Vec<super::approvals::Signature>>)> {
    super::approvals::request_signature(&app, &u, id, &r.signatories, &r.method).await?;
    Ok((
        StatusCode::CREATED,
        Json(super::approvals::signatures(&app, id).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/contract-approval-rules", tag = "contracts", operation_id = "list_contract_approval_rules",
    responses((status = 200, body = Vec<super::approvals::Rule>)), security(("bearer" = [])))]
/// The approval rules, in order.
pub async fn rules_list(
    State(app): State<App>,
    ApiUser(_u): ApiUser,
) -> ApiResult<Json<Vec<super::approvals::Rule>>> {
    Ok(Json(super::approvals::rules(&app).await?))
}

#[utoipa::path(post, path = "/api/v1/contract-approval-rules", tag = "contracts", operation_id = "save_contract_approval_rule",
    request_body = super::approvals::Rule,
    responses((status = 200, body = super::approvals::Rule), (status = 422, body = ErrorEnvelope)), security(("bearer" = [])))]
/// Adds a rule (`id` 0 or absent) or replaces one.
pub async fn rule_save(
    State(app): State<App>,
    ApiUser(u): ApiUser,
    Json(r): Json<super::approvals::Rule>,
) -> ApiResult<Json<super::approvals::Rule>> {
    Ok(Json(super::approvals::save_rule(&app, &u, &r).await?))
}

/// The window of `GET /api/v1/contracts/upcoming`.
#[derive(Deserialize, utoipa::IntoParams, Default)]
pub struct UpcomingQuery {
    /// Days ahead (default 90, at most 3,650).
    pub days: Option<i64>,
    /// `true`: only what the caller owns.
    #[serde(default)]
    pub mine: bool,
    /// Page size (default 100, at most 1,000).
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/contracts/upcoming", tag = "contracts", operation_id = "contract_upcoming", params(UpcomingQuery),
    responses((status = 200, body = Page<super::dates::Upcoming>)), security(("bearer" = [])))]
/// Key dates of executed contracts and open obligations coming up (overdue obligations first by
/// date), with how each date was computed, a page at a time.
pub async fn upcoming(
    State(app): State<App>,
    ApiUser(u): ApiUser,
    Query(q): Query<UpcomingQuery>,
) -> ApiResult<Json<Page<super::dates::Upcoming>>> {
    let days = q.days.unwrap_or(90).clamp(0, 3650);
    let (limit, offset) = (
        q.limit.unwrap_or(100).clamp(1, 1000),
        q.offset.unwrap_or(0).max(0),
    );
    let (items, total) =
        super::dates::upcoming_window(&app, Some(&u), days, q.mine, Some((limit, offset))).await?;
    Ok(Json(Page {
        items,
        total,
        limit,
        offset,
    }))
}

#[utoipa::path(post, path = "/api/v1/contracts/alerts/run", tag = "contracts", operation_id = "run_contract_alerts",
    responses((status = 200, body = super::dates::AlertRun)), security(("bearer" = [])))]
/// Sends the alerts that are due now (the daily job does this by itself); each goes once.
pub async fn alerts_run(
    State(app): State<App>,
    ApiUser(_u): ApiUser,
) -> ApiResult<Json<super::dates::AlertRun>> {
    Ok(Json(super::dates::run_alerts(&app).await?))
}

#[utoipa::path(get, path = "/api/v1/contracts/{id}/key-dates", tag = "contracts", operation_id = "contract_key_dates", params(("id" = i64, Path, description = "Contract id")),
    responses((status = 200, body = Vec<super::keydates::KeyDate>), (status = 404, body = ErrorEnvelope)), security(("bearer" = [])))]
/// The contract's key dates as of today, each with how it was computed.
pub async fn key_dates(
    State(app): State<App>,
    ApiUser(u): ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<super::keydates::KeyDate>>> {
    let c = store::get(&app, Some(&u), id).await?;
    Ok(Json(super::dates::key_dates(&app, &c).await?))
}

/// How sure a clause must be to be listed.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct ClausesQuery {
    /// 0–1; default 0.5.
    pub min: Option<f32>,
}

#[utoipa::path(get, path = "/api/v1/contracts/{id}/clauses", tag = "contracts", operation_id = "contract_clauses",
    params(("id" = i64, Path, description = "Contract id"), ClausesQuery),
    responses((status = 200, body = super::clauses::ContractClauses), (status = 404, body = ErrorEnvelope)), security(("bearer" = [])))]
/// The clauses of the contract's newest version on the CUAD taxonomy (41 categories), each with
/// its evidence, confidence and normalised answer.
pub async fn clauses(
    State(app): State<App>,
    ApiUser(u): ApiUser,
    Path(id): Path<i64>,
    Query(q): Query<ClausesQuery>,
) -> ApiResult<Json<super::clauses::ContractClauses>> {
    Ok(Json(
        super::clauses::of_contract(
            &app,
            &u,
            id,
            q.min.unwrap_or(super::clauses::QUEUE_CONFIDENCE),
        )
        .await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/contracts/{id}/obligations", tag = "contracts", operation_id = "contract_obligations", params(("id" = i64, Path, description = "Contract id")),
    responses((status = 200, body = Vec<super::dates::Obligation>), (status = 404, body = ErrorEnvelope)), security(("bearer" = [])))]
/// The contract's obligations.
pub async fn obligations(
    State(app): State<App>,
    ApiUser(u): ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<super::dates::Obligation>>> {
    store::get(&app, Some(&u), id).await?;
    Ok(Json(super::dates::obligations(&app, id).await?))
}

#[utoipa::path(post, path = "/api/v1/contracts/{id}/obligations", tag = "contracts", operation_id = "add_contract_obligation", params(("id" = i64, Path, description = "Contract id")),
    request_body = super::dates::ObligationInput,
    responses((status = 201, body = super::dates::Obligation), (status = 422, body = ErrorEnvelope)), security(("bearer" = [])))]
/// Adds an obligation (payment, reporting, insurance, audit…) with its due date and recurrence.
pub async fn add_obligation(
    State(app): State<App>,
    ApiUser(u): ApiUser,
    Path(id): Path<i64>,
    Json(i): Json<super::dates::ObligationInput>,
) -> ApiResult<(StatusCode, Json<super::dates::Obligation>)> {
    Ok((
        StatusCode::CREATED,
        Json(super::dates::add_obligation(&app, &u, id, &i).await?),
    ))
}

/// Meeting or waiving an obligation.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct CompleteObligation {
    /// How it was met (required unless waived).
    #[serde(default)]
    pub evidence: String,
    #[serde(default)]
    pub waive: bool,
}

#[utoipa::path(post, path = "/api/v1/contracts/{id}/obligations/{obligation}", tag = "contracts", operation_id = "complete_contract_obligation",
    params(("id" = i64, Path, description = "Contract id"), ("obligation" = i64, Path, description = "Obligation id")), request_body = CompleteObligation,
    responses((status = 200, body = super::dates::Obligation), (status = 409, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)), security(("bearer" = [])))]
/// Marks an obligation met (with its evidence) or waived; a recurring one gets its next occurrence.
pub async fn complete_obligation(
    State(app): State<App>,
    ApiUser(u): ApiUser,
    Path((id, oid)): Path<(i64, i64)>,
    Json(r): Json<CompleteObligation>,
) -> ApiResult<Json<super::dates::Obligation>> {
    Ok(Json(
        super::dates::complete_obligation(&app, &u, id, oid, r.waive, &r.evidence).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/contracts/import", tag = "contracts", operation_id = "import_contract",
    request_body(content = String, description = "An existing contract's bytes (PDF, DOCX or text)", content_type = "application/octet-stream"),
    params(("X-Filename" = String, Header, description = "The file's name"), ("X-Our-Name" = Option<String>, Header, description = "The name our side goes by (default Example Corp)")),
    responses((status = 200, body = super::import::ImportReport), (status = 422, body = ErrorEnvelope)), security(("bearer" = [])))]
/// Imports an existing executed contract: its metadata is read from the text and queued for
/// verification; the same file twice is skipped.
pub async fn import(
    State(app): State<App>,
    ApiUser(u): ApiUser,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<Json<super::import::ImportReport>> {
    let filename = required_filename(&headers)?;
    let ours = match header_text(&headers, "x-our-name", 200) {
        s if s.is_empty() => "Example Corp".to_string(),
        s => s,
    };
    let files = vec![store::Upload {
        filename,
        bytes: body.to_vec(),
    }];
    Ok(Json(
        super::import::import(&app, &u, files, &[ours.as_str()]).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/contracts/verification", tag = "contracts", operation_id = "contract_verification_queue",
    responses((status = 200, body = Vec<super::import::Pending>)), security(("bearer" = [])))]
/// Values read out of imported contracts, waiting for a person, with the words they came from.
pub async fn verification(
    State(app): State<App>,
    ApiUser(u): ApiUser,
) -> ApiResult<Json<Vec<super::import::Pending>>> {
    Ok(Json(super::import::queue(&app, Some(&u)).await?))
}

/// A person's answer on a value.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct VerifyRequest {
    /// The right value; absent to confirm the one found.
    pub value: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/contracts/verification/{id}", tag = "contracts", operation_id = "verify_contract_value",
    params(("id" = i64, Path, description = "Value id")), request_body = VerifyRequest,
    responses((status = 200), (status = 409, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)), security(("bearer" = [])))]
/// Confirms or corrects a value; the contract takes it.
pub async fn verify(
    State(app): State<App>,
    ApiUser(u): ApiUser,
    Path(id): Path<i64>,
    Json(r): Json<VerifyRequest>,
) -> ApiResult<StatusCode> {
    super::import::decide(&app, &u, id, r.value.as_deref()).await?;
    Ok(StatusCode::OK)
}

/// The year of `GET /api/v1/contracts/holidays`.
#[derive(Deserialize, utoipa::IntoParams, Default)]
pub struct HolidaysQuery {
    /// Only this year's holidays.
    pub year: Option<i16>,
}

#[utoipa::path(get, path = "/api/v1/contracts/holidays", tag = "contracts", operation_id = "list_holidays", params(HolidaysQuery),
    responses((status = 200, body = Vec<super::holidays::Holiday>)), security(("bearer" = [])))]
/// The department's holiday calendar (days that are not business days besides weekends), in
/// date order.
pub async fn holidays(
    State(app): State<App>,
    ApiUser(_u): ApiUser,
    Query(q): Query<HolidaysQuery>,
) -> ApiResult<Json<Vec<super::holidays::Holiday>>> {
    Ok(Json(super::holidays::list(&app, q.year).await?))
}

#[utoipa::path(post, path = "/api/v1/contracts/holidays", tag = "contracts", operation_id = "add_holiday",
    request_body = super::holidays::HolidayInput,
    responses((status = 201, body = super::holidays::Holiday), (status = 422, body = ErrorEnvelope)), security(("bearer" = [])))]
/// Adds a holiday; every contract's key dates are computed again on the next read.
pub async fn holiday_add(
    State(app): State<App>,
    ApiUser(u): ApiUser,
    Json(input): Json<super::holidays::HolidayInput>,
) -> ApiResult<(StatusCode, Json<super::holidays::Holiday>)> {
    Ok((
        StatusCode::CREATED,
        Json(super::holidays::add(&app, &u, &input).await?),
    ))
}

#[utoipa::path(post, path = "/api/v1/contracts/holidays/import", tag = "contracts", operation_id = "import_holidays",
    request_body(content = String, description = "CSV with the columns date,name", content_type = "text/csv"),
    params(("X-Filename" = Option<String>, Header, description = "The file's name, for the problems' locations")),
    responses((status = 200, body = super::holidays::HolidayImport), (status = 422, body = ErrorEnvelope)), security(("bearer" = [])))]
/// Imports holidays from CSV: all or nothing, each problem named by file, line and column;
/// the same file again changes nothing.
pub async fn holidays_import(
    State(app): State<App>,
    ApiUser(u): ApiUser,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<Json<super::holidays::HolidayImport>> {
    let file = match header_text(&headers, "x-filename", 200) {
        s if s.is_empty() => "holidays.csv".to_string(),
        s => s,
    };
    match super::holidays::import_csv(&app, &u, &file, &body).await? {
        Ok(r) => Ok(Json(r)),
        Err(problems) => Err(AppError::Validation(
            problems
                .into_iter()
                .map(|p| crate::platform::error::FieldError::new(&p.column, p.to_string()))
                .collect(),
        )
        .into()),
    }
}

/// The year to fill.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct FederalYear {
    pub year: i16,
}

#[utoipa::path(post, path = "/api/v1/contracts/holidays/us-federal", tag = "contracts", operation_id = "add_us_federal_holidays",
    request_body = FederalYear,
    responses((status = 200, body = super::holidays::HolidayImport), (status = 422, body = ErrorEnvelope)), security(("bearer" = [])))]
/// Fills a year with the United States federal holidays, as observed.
pub async fn holidays_us_federal(
    State(app): State<App>,
    ApiUser(u): ApiUser,
    Json(y): Json<FederalYear>,
) -> ApiResult<Json<super::holidays::HolidayImport>> {
    Ok(Json(
        super::holidays::add_us_federal(&app, &u, y.year).await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/contracts/holidays/{day}", tag = "contracts", operation_id = "remove_holiday",
    params(("day" = String, Path, description = "The holiday's date, YYYY-MM-DD")),
    responses((status = 204), (status = 404, body = ErrorEnvelope)), security(("bearer" = [])))]
/// Removes a holiday.
pub async fn holiday_remove(
    State(app): State<App>,
    ApiUser(u): ApiUser,
    Path(day): Path<String>,
) -> ApiResult<StatusCode> {
    super::holidays::remove(&app, &u, &day).await?;
    Ok(StatusCode::NO_CONTENT)
}
