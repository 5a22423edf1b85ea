//! Contract pages: the repository (search, filters, sort, CSV), a contract (metadata, status,
//! versions, redlines, comments, drafting from a template), intake requests and their
//! requester's view, templates and the clause library.

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use axum::Form;
use axum::extract::{Multipart, Path, Query};
use axum::response::Response;
use serde::Deserialize;

use super::compare;
use super::model::{self, Comment, Contract, ContractInput, Status, StatusChange, Version};
use super::store::{self, Filter, Upload};
use super::templates::{
    self as tpl, Clause, ClauseInput, Fallback, Template as ContractTemplate, TemplateInput,
};
use crate::platform::access::{CurrentUser, Permission};
use crate::platform::error::{AppError, PageResult};
use crate::platform::web::ui::{FlashKind, Layout, ListParams, PageCtx, Pager, csv_response};
use crate::platform::web::{redirect_with_error, redirect_with_flash};

type Errors = HashMap<String, String>;

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(flatten)]
    list: ListParams,
    #[serde(default)]
    status: String,
    #[serde(default, rename = "type")]
    type_code: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    expires_by: String,
    /// One counterparty's contracts (the whole name, any case).
    #[serde(default)]
    counterparty: String,
}

#[derive(Template)]
#[template(path = "contracts/list.html")]
struct ListPage {
    layout: Layout,
    contracts: Vec<Contract>,
    pager: Pager,
    params: ListParams,
    status: String,
    type_code: String,
    owner: String,
    expires_by: String,
    counterparty: String,
    without_counterparty: String,
    types: Vec<(String, String)>,
    statuses: Vec<(&'static str, &'static str)>,
    owners: Vec<(i64, String, String)>,
    can_manage: bool,
    filtered: bool,
    /// Facets of the search: (label, count, link, chosen).
    status_facets: Vec<(String, i64, String, bool)>,
    type_facets: Vec<(String, i64, String, bool)>,
}

fn statuses() -> Vec<(&'static str, &'static str)> {
    Status::ALL
        .iter()
        .map(|s| (s.as_str(), s.label()))
        .collect()
}

pub const CSV_COLUMNS: [&str; 21] = [
    "number",
    "title",
    "type",
    "status",
    "counterparty",
    "our_entity",
    "value",
    "currency",
    "effective_on",
    "term_months",
    "expires_on",
    "auto_renew",
    "renewal_months",
    "notice_days",
    "termination_notice_days",
    "termination_after_months",
    "option_from_days",
    "option_to_days",
    "governing_law",
    "owner",
    "matter",
];

pub fn csv_row(c: &Contract) -> Vec<String> {
    vec![
        c.number.clone(),
        c.title.clone(),
        c.type_code.clone(),
        c.status.clone(),
        c.counterparty.clone(),
        c.our_entity.clone(),
        c.value_plain(),
        c.currency.clone(),
        c.effective_on.clone().unwrap_or_default(),
        c.term_months.map(|m| m.to_string()).unwrap_or_default(),
        c.expires_on.clone().unwrap_or_default(),
        if c.auto_renew != 0 { "yes" } else { "no" }.into(),
        c.renewal_months.map(|m| m.to_string()).unwrap_or_default(),
        c.notice_days.map(|m| m.to_string()).unwrap_or_default(),
        c.termination_notice_days
            .map(|m| m.to_string())
            .unwrap_or_default(),
        c.termination_after_months
            .map(|m| m.to_string())
            .unwrap_or_default(),
        c.option_from_days
            .map(|m| m.to_string())
            .unwrap_or_default(),
        c.option_to_days.map(|m| m.to_string()).unwrap_or_default(),
        c.governing_law.clone(),
        c.owner_name.clone().unwrap_or_default(),
        c.matter_number.clone().unwrap_or_default(),
    ]
}

/// GET /contracts
pub async fn list(ctx: PageCtx, Query(f): Query<ListQuery>) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    let filter = Filter {
        q: f.list.q.clone(),
        status: f.status.clone(),
        type_code: f.type_code.clone(),
        owner_id: f.owner.parse().ok(),
        requester_id: None,
        expires_by: f.expires_by.clone(),
        counterparty: f.counterparty.clone(),
    };
    let order = store::order_by(&f.list);
    let (limit, offset) = f.list.window();
    let (rows, total, (sf, tf)) =
        store::search(&ctx.app, Some(&user), &filter, &order, limit, offset).await?;
    if f.list.is_csv() {
        return Ok(csv_response(
            "contracts.csv",
            &CSV_COLUMNS,
            rows.iter().map(csv_row),
        ));
    }
    let pager = Pager::new(
        "/contracts",
        &f.list,
        &[
            ("q", &f.list.q),
            ("status", &f.status),
            ("type", &f.type_code),
            ("owner", &f.owner),
            ("expires_by", &f.expires_by),
            ("counterparty", &f.counterparty),
        ],
        total,
        &[
            ("number", "Number", false),
            ("title", "Title", false),
            ("counterparty", "Counterparty", false),
            ("status", "Status", false),
            ("value", "Value", true),
            ("expires", "Expires", false),
            ("", "Owner", false),
        ],
        "updated",
    );
    let filtered = !(f.list.q.is_empty()
        && f.status.is_empty()
        && f.type_code.is_empty()
        && f.owner.is_empty()
        && f.expires_by.is_empty()
        && f.counterparty.is_empty());
    // A facet's link keeps the search and the other filters, and toggles its own value.
    let link = |status: &str, type_code: &str| {
        let pairs: Vec<(&str, &str)> = [
            ("q", f.list.q.as_str()),
            ("status", status),
            ("type", type_code),
            ("owner", f.owner.as_str()),
            ("expires_by", f.expires_by.as_str()),
            ("counterparty", f.counterparty.as_str()),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .collect();
        format!(
            "/contracts?{}",
            serde_urlencoded::to_string(&pairs).unwrap_or_default()
        )
    };
    // The counterparty chip takes the filter off and keeps the rest.
    let without_counterparty = {
        let pairs: Vec<(&str, &str)> = [
            ("q", f.list.q.as_str()),
            ("status", f.status.as_str()),
            ("type", f.type_code.as_str()),
            ("owner", f.owner.as_str()),
            ("expires_by", f.expires_by.as_str()),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .collect();
        format!(
            "/contracts?{}",
            serde_urlencoded::to_string(&pairs).unwrap_or_default()
        )
    };
    let status_facets = sf
        .into_iter()
        .map(|(code, n)| {
            let on = code == f.status;
            let label = Status::parse(&code)
                .map(Status::label)
                .unwrap_or("")
                .to_string();
            (
                label,
                n,
                link(if on { "" } else { &code }, &f.type_code),
                on,
            )
        })
        .collect();
    let type_facets = tf
        .into_iter()
        .map(|(code, name, n)| {
            let on = code == f.type_code;
            (name, n, link(&f.status, if on { "" } else { &code }), on)
        })
        .collect();
    ctx.render(ListPage {
        layout: ctx.layout("Contracts", "contracts"),
        contracts: rows,
        pager,
        params: f.list.clone(),
        status: f.status,
        type_code: f.type_code,
        owner: f.owner,
        expires_by: f.expires_by,
        counterparty: f.counterparty,
        without_counterparty,
        types: store::types(&ctx.app).await?,
        statuses: statuses(),
        owners: store::owners(&ctx.app).await?,
        can_manage: user.can(Permission::ManageContracts),
        filtered,
        status_facets,
        type_facets,
    })
}

#[derive(Template)]
#[template(path = "contracts/form.html")]
struct FormPage {
    layout: Layout,
    id: Option<i64>,
    number: String,
    form: ContractInput,
    errors: Errors,
    types: Vec<(String, String)>,
    owners: Vec<(i64, String, String)>,
    /// The intake form (requesters): fewer fields, attachments.
    request: bool,
}

impl FormPage {
    fn auto_renew(&self) -> bool {
        matches!(self.form.auto_renew.as_str(), "1" | "true" | "on" | "yes")
    }
}

async fn form_page(
    ctx: &PageCtx,
    id: Option<i64>,
    number: String,
    form: ContractInput,
    errors: Errors,
    request: bool,
) -> PageResult<Response> {
    let title = match (id, request) {
        (Some(_), _) => "Edit contract",
        (None, true) => "Request a contract",
        (None, false) => "New contract",
    };
    let active = if request {
        "contract-request"
    } else {
        "contracts"
    };
    let r = ctx.render(FormPage {
        layout: ctx.layout(title, active),
        id,
        number,
        form,
        errors: errors.clone(),
        types: store::types(&ctx.app).await?,
        owners: store::owners(&ctx.app).await?,
        request,
    })?;
    Ok(with_status(r, &errors))
}

fn with_status(mut r: Response, errors: &Errors) -> Response {
    if !errors.is_empty() {
        *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    r
}

/// GET /contracts/new
pub async fn new_form(ctx: PageCtx) -> PageResult<Response> {
    let form = ContractInput {
        type_code: "services".into(),
        currency: "USD".into(),
        ..Default::default()
    };
    form_page(&ctx, None, String::new(), form, Errors::new(), false).await
}

/// POST /contracts
pub async fn create(ctx: PageCtx, Form(f): Form<ContractInput>) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    match store::create(&ctx.app, &user, &f).await {
        Ok(c) => Ok(redirect_with_flash(
            &ctx.app,
            &format!("/contracts/{}", c.id),
            FlashKind::Success,
            &format!("Contract {} created.", c.number),
        )),
        Err(e) => form_page(&ctx, None, String::new(), f, e.into_field_map()?, false).await,
    }
}

/// GET /contracts/{id}/edit
pub async fn edit_form(ctx: PageCtx, Path(id): Path<i64>) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    let c = store::get(&ctx.app, Some(&user), id).await?;
    let owner_email: Option<String> = match c.owner_id {
        Some(o) => sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
            .bind(o)
            .fetch_optional(ctx.app.db.pool())
            .await
            .map_err(AppError::from)?,
        None => None,
    };
    let form = ContractInput {
        owner_email: owner_email.unwrap_or_default(),
        ..c.to_input()
    };
    form_page(&ctx, Some(id), c.number, form, Errors::new(), false).await
}

/// POST /contracts/{id}
pub async fn update(
    ctx: PageCtx,
    Path(id): Path<i64>,
    Form(f): Form<ContractInput>,
) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    match store::update(&ctx.app, &user, id, &f).await {
        Ok(c) => Ok(redirect_with_flash(
            &ctx.app,
            &format!("/contracts/{id}"),
            FlashKind::Success,
            &format!("{} saved.", c.number),
        )),
        Err(AppError::Conflict(m)) => Ok(redirect_with_flash(
            &ctx.app,
            &format!("/contracts/{id}"),
            FlashKind::Error,
            &m,
        )),
        Err(e) => {
            let number = store::get(&ctx.app, Some(&user), id).await?.number;
            form_page(&ctx, Some(id), number, f, e.into_field_map()?, false).await
        }
    }
}

#[derive(Template)]
#[template(path = "contracts/detail.html")]
struct DetailPage {
    layout: Layout,
    c: Contract,
    versions: Vec<Version>,
    history: Vec<StatusChange>,
    comments: Vec<Comment>,
    next: Vec<(&'static str, &'static str)>,
    templates: Vec<ContractTemplate>,
    can_manage: bool,
    errors: Errors,
    sources: Vec<(&'static str, &'static str)>,
    /// (from id, to id) of the redline the page offers first.
    compare: Option<(i64, i64)>,
    approvals: Vec<super::approvals::Approval>,
    /// Approvals the signed-in user may decide now.
    mine: Vec<i64>,
    current_version: Option<i64>,
    signatures: Vec<super::approvals::Signature>,
    key_dates: Vec<super::keydates::KeyDate>,
    obligations: Vec<super::dates::Obligation>,
    kinds: Vec<&'static str>,
    recurrences: Vec<&'static str>,
}

impl DetailPage {
    fn can_decide(&self, id: &i64) -> bool {
        self.mine.contains(id)
    }
    fn at_signature(&self) -> bool {
        self.c.status() == Status::Signature
    }
    fn open_signature(&self) -> bool {
        self.signatures.iter().any(|s| s.completed_at.is_none())
    }
}

async fn detail_page(ctx: &PageCtx, id: i64, errors: Errors) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    let c = store::get(&ctx.app, Some(&user), id).await?;
    let versions = store::versions(&ctx.app, id).await?;
    let compare = versions
        .iter()
        .find(|v| v.source != "attachment")
        .and_then(|newest| store::compare_base(&versions, newest).map(|b| (b, newest.id)));
    let next = c
        .status()
        .next()
        .iter()
        .map(|s| (s.as_str(), s.label()))
        .collect();
    let sources = model::SOURCES
        .iter()
        .copied()
        .filter(|(k, _)| {
            *k == "ours"
                || *k == "counterparty"
                || (*k == "signed" && c.status() == Status::Signature)
        })
        .collect();
    let approvals = super::approvals::list(&ctx.app, id).await?;
    let current_version = super::approvals::current_number(&versions);
    let mine = super::approvals::decidable(&approvals, &user, current_version);
    let r = ctx.render(DetailPage {
        layout: ctx.layout(&c.number, "contracts"),
        approvals,
        mine,
        current_version,
        signatures: super::approvals::signatures(&ctx.app, id).await?,
        key_dates: super::dates::key_dates(&ctx.app, &c).await?,
        obligations: super::dates::obligations(&ctx.app, id).await?,
        kinds: super::dates::KINDS.to_vec(),
        recurrences: super::dates::RECURRENCES.to_vec(),
        history: store::history(&ctx.app, id).await?,
        comments: store::comments(&ctx.app, id).await?,
        templates: tpl::list(&ctx.app)
            .await?
            .into_iter()
            .filter(|t| t.active != 0)
            .collect(),
        can_manage: user.can(Permission::ManageContracts),
        next,
        versions,
        c,
        errors: errors.clone(),
        sources,
        compare,
    })?;
    Ok(with_status(r, &errors))
}

/// GET /contracts/{id}
pub async fn detail(ctx: PageCtx, Path(id): Path<i64>) -> PageResult<Response> {
    detail_page(&ctx, id, Errors::new()).await
}

#[derive(Deserialize)]
pub struct StatusForm {
    status: String,
    #[serde(default)]
    note: String,
}

/// POST /contracts/{id}/status
pub async fn set_status(
    ctx: PageCtx,
    Path(id): Path<i64>,
    Form(f): Form<StatusForm>,
) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    let Some(to) = Status::parse(&f.status) else {
        return Ok(redirect_with_flash(
            &ctx.app,
            &format!("/contracts/{id}"),
            FlashKind::Error,
            "Choose a status.",
        ));
    };
    match store::set_status(&ctx.app, &user, id, to, &f.note).await {
        Ok(c) => Ok(redirect_with_flash(
            &ctx.app,
            &format!("/contracts/{id}"),
            FlashKind::Success,
            &format!("{} is now {}.", c.number, to.label().to_lowercase()),
        )),
        Err(e) => redirect_with_error(&ctx.app, &format!("/contracts/{id}"), e),
    }
}

/// POST /contracts/{id}/versions (multipart: file, source, note; CSRF token in `_csrf`)
pub async fn add_version(
    ctx: PageCtx,
    Path(id): Path<i64>,
    multipart: Multipart,
) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    let (mut file, mut source, mut note, mut signed_on) =
        (None, String::from("ours"), String::new(), String::new());
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
            "source" => source = part.text(),
            "note" => note = part.text(),
            "signed_on" => signed_on = part.text(),
            _ => {}
        }
    }
    let Some((name, bytes)) = file else {
        let mut errors = Errors::new();
        errors.insert(
            "file".into(),
            "Choose the version's file (DOCX, PDF or text).".into(),
        );
        return detail_page(&ctx, id, errors).await;
    };
    let result = async {
        let p = store::prepare(&ctx.app, name, bytes).await?;
        store::add_version_signed(
            &ctx.app,
            &user,
            id,
            p,
            &source,
            &note,
            None,
            &super::approvals::signed_on_all(&signed_on),
        )
        .await
    }
    .await;
    match result {
        Ok(v) => Ok(redirect_with_flash(
            &ctx.app,
            &format!("/contracts/{id}"),
            FlashKind::Success,
            &format!("Version {} added.", v.version),
        )),
        Err(AppError::Validation(f)) => {
            detail_page(
                &ctx,
                id,
                f.into_iter().map(|f| (f.field, f.message)).collect(),
            )
            .await
        }
        Err(e) => redirect_with_error(&ctx.app, &format!("/contracts/{id}"), e),
    }
}

/// GET /contracts/{id}/versions/{vid}/content
pub async fn version_content(
    ctx: PageCtx,
    Path((id, vid)): Path<(i64, i64)>,
) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    let v = store::version(&ctx.app, Some(&user), id, vid).await?;
    let bytes = store::version_bytes(&ctx.app, &user, &v).await?;
    Ok(crate::platform::web::attachment(&v.filename, bytes))
}

#[derive(Template)]
#[template(path = "contracts/version.html")]
struct VersionPage {
    layout: Layout,
    c: Contract,
    v: Version,
    text: String,
}

/// GET /contracts/{id}/versions/{vid}: the version's text.
pub async fn version_view(ctx: PageCtx, Path((id, vid)): Path<(i64, i64)>) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    let c = store::get(&ctx.app, Some(&user), id).await?;
    let v = store::version(&ctx.app, Some(&user), id, vid).await?;
    let text = store::version_text(&ctx.app, vid).await?;
    ctx.render(VersionPage {
        layout: ctx.layout(&format!("{} version {}", c.number, v.version), "contracts"),
        c,
        v,
        text,
    })
}

/// POST /contracts/{id}/versions/{vid}/sent
pub async fn version_sent(ctx: PageCtx, Path((id, vid)): Path<(i64, i64)>) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    match store::mark_sent(&ctx.app, &user, id, vid).await {
        Ok(v) => Ok(redirect_with_flash(
            &ctx.app,
            &format!("/contracts/{id}"),
            FlashKind::Success,
            &format!("Version {} marked as sent to the counterparty.", v.version),
        )),
        Err(e) => redirect_with_error(&ctx.app, &format!("/contracts/{id}"), e),
    }
}

#[derive(Deserialize, Default)]
pub struct CompareQuery {
    #[serde(default)]
    from: Option<i64>,
    #[serde(default)]
    to: Option<i64>,
}

#[derive(Template)]
#[template(path = "contracts/redline.html")]
struct RedlinePage {
    layout: Layout,
    c: Contract,
    from: Version,
    to: Version,
    versions: Vec<Version>,
    html: String,
    inserted: usize,
    deleted: usize,
    paras_changed: usize,
    identical: bool,
    untracked: bool,
    coarse: bool,
}

/// GET /contracts/{id}/redline?from=&to=
pub async fn redline(
    ctx: PageCtx,
    Path(id): Path<i64>,
    Query(q): Query<CompareQuery>,
) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    let cmp = compare::compare(&ctx.app, Some(&user), id, q.from, q.to).await?;
    let versions = store::versions(&ctx.app, id)
        .await?
        .into_iter()
        .filter(|v| v.source != "attachment")
        .collect();
    ctx.render(RedlinePage {
        layout: ctx.layout(&format!("{} redline", cmp.contract.number), "contracts"),
        html: drafting::redline::to_html(&cmp.redline),
        inserted: cmp.redline.words_inserted,
        deleted: cmp.redline.words_deleted,
        paras_changed: cmp.redline.paras_changed,
        identical: cmp.redline.is_identical(),
        untracked: cmp.untracked_changes(),
        coarse: cmp.redline.coarse,
        versions,
        c: cmp.contract,
        from: cmp.from,
        to: cmp.to,
    })
}

/// GET /contracts/{id}/redline.docx?from=&to=
pub async fn redline_docx(
    ctx: PageCtx,
    Path(id): Path<i64>,
    Query(q): Query<CompareQuery>,
) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    let cmp = compare::compare(&ctx.app, Some(&user), id, q.from, q.to).await?;
    Ok(crate::platform::web::attachment(
        &cmp.filename(),
        cmp.docx()?,
    ))
}

#[derive(Deserialize)]
pub struct CommentForm {
    body: String,
    #[serde(default)]
    version_id: String,
}

/// POST /contracts/{id}/comments
pub async fn add_comment(
    ctx: PageCtx,
    Path(id): Path<i64>,
    Form(f): Form<CommentForm>,
) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    match store::comment(&ctx.app, &user, id, f.version_id.parse().ok(), &f.body).await {
        Ok(()) => Ok(redirect_with_flash(
            &ctx.app,
            &format!("/contracts/{id}#comments"),
            FlashKind::Success,
            "Comment added.",
        )),
        Err(e) => detail_page(&ctx, id, e.into_field_map()?).await,
    }
}

#[derive(Template)]
#[template(path = "contracts/draft.html")]
struct DraftPage {
    layout: Layout,
    c: Contract,
    t: ContractTemplate,
    fields: Vec<drafting::template::Field>,
    values: BTreeMap<String, String>,
    errors: Errors,
    clauses: Vec<Clause>,
}

impl DraftPage {
    fn has_error(&self, name: &str) -> bool {
        !name.contains('.') && self.errors.contains_key(name)
    }
    fn value(&self, name: &str) -> &str {
        self.values.get(name).map(String::as_str).unwrap_or("")
    }
}

#[derive(Deserialize, Default)]
pub struct DraftQuery {
    #[serde(default)]
    template: Option<i64>,
}

async fn draft_page(
    ctx: &PageCtx,
    id: i64,
    template_id: i64,
    values: BTreeMap<String, String>,
    errors: Errors,
) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    let c = store::get(&ctx.app, Some(&user), id).await?;
    let t = tpl::get(&ctx.app, template_id).await?;
    let r = ctx.render(DraftPage {
        layout: ctx.layout(&format!("Draft {}", c.number), "contracts"),
        fields: t.schema().fields(),
        clauses: tpl::clauses(&ctx.app).await?,
        c,
        t,
        values,
        errors: errors.clone(),
    })?;
    Ok(with_status(r, &errors))
}

/// GET /contracts/{id}/draft?template=
pub async fn draft_form(
    ctx: PageCtx,
    Path(id): Path<i64>,
    Query(q): Query<DraftQuery>,
) -> PageResult<Response> {
    let Some(t) = q.template else {
        return Ok(redirect_with_flash(
            &ctx.app,
            &format!("/contracts/{id}"),
            FlashKind::Error,
            "Choose a template.",
        ));
    };
    let user = ctx.user()?.clone();
    let c = store::get(&ctx.app, Some(&user), id).await?;
    // Start from what the contract already says.
    let mut values = BTreeMap::new();
    for f in tpl::get(&ctx.app, t).await?.schema().variables {
        let v = match (f.name.as_str(), f.kind) {
            (_, drafting::template::VarKind::Party) if f.name.contains("counterparty") => {
                values.insert(format!("{}.name", f.name), c.counterparty.clone());
                continue;
            }
            ("governing_law", _) => c.governing_law.clone(),
            ("effective_date" | "effective_on" | "start", _) => {
                c.effective_on.clone().unwrap_or_default()
            }
            ("fee" | "value", drafting::template::VarKind::Money) => {
                values.insert(format!("{}.currency", f.name), c.currency.clone());
                c.value_plain()
            }
            _ => continue,
        };
        values.insert(f.name.clone(), v);
    }
    draft_page(&ctx, id, t, values, Errors::new()).await
}

/// POST /contracts/{id}/draft (form fields of the template's schema, and `template`)
pub async fn draft(
    ctx: PageCtx,
    Path(id): Path<i64>,
    Form(raw): Form<Vec<(String, String)>>,
) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    let mut values: BTreeMap<String, String> = BTreeMap::new();
    let mut template_id = None;
    for (k, v) in raw {
        match k.as_str() {
            "_csrf" => {}
            "template" => template_id = v.parse::<i64>().ok(),
            _ => {
                values.insert(k, v);
            }
        }
    }
    let Some(t) = template_id else {
        return Ok(redirect_with_flash(
            &ctx.app,
            &format!("/contracts/{id}"),
            FlashKind::Error,
            "Choose a template.",
        ));
    };
    match tpl::draft(&ctx.app, &user, id, t, &values).await {
        Ok(v) => Ok(redirect_with_flash(
            &ctx.app,
            &format!("/contracts/{id}"),
            FlashKind::Success,
            &format!("Version {} drafted: {}.", v.version, v.filename),
        )),
        Err(AppError::Validation(f)) => {
            draft_page(
                &ctx,
                id,
                t,
                values,
                f.into_iter().map(|f| (f.field, f.message)).collect(),
            )
            .await
        }
        Err(e) => redirect_with_error(&ctx.app, &format!("/contracts/{id}"), e),
    }
}

#[derive(Template)]
#[template(path = "contracts/templates.html")]
struct TemplatesPage {
    layout: Layout,
    templates: Vec<ContractTemplate>,
    clauses: Vec<Clause>,
}

/// GET /contracts/templates
pub async fn templates_list(ctx: PageCtx) -> PageResult<Response> {
    ctx.render(TemplatesPage {
        layout: ctx.layout("Templates and clauses", "contract-templates"),
        templates: tpl::list(&ctx.app).await?,
        clauses: tpl::clauses(&ctx.app).await?,
    })
}

#[derive(Template)]
#[template(path = "contracts/template_form.html")]
struct TemplateFormPage {
    layout: Layout,
    id: Option<i64>,
    revision: i64,
    form: TemplateInput,
    errors: Vec<(String, String)>,
    types: Vec<(String, String)>,
    kinds: Vec<&'static str>,
    preview: String,
}

impl TemplateFormPage {
    fn active(&self) -> bool {
        matches!(self.form.active.as_str(), "1" | "true" | "on" | "yes")
    }
}

const KINDS: [&str; 9] = [
    "text", "number", "money", "date", "duration", "party", "choice", "yes_no", "list",
];

async fn template_form_page(
    ctx: &PageCtx,
    id: Option<i64>,
    revision: i64,
    form: TemplateInput,
    errors: Vec<(String, String)>,
) -> PageResult<Response> {
    // A preview with sample answers when the template is sound.
    let preview = match (
        errors.is_empty(),
        drafting::Schema::from_json(if form.schema.trim().is_empty() {
            "{\"variables\":[]}"
        } else {
            &form.schema
        }),
    ) {
        (true, Ok(schema)) => {
            let clauses = tpl::clause_texts(&ctx.app).await?;
            drafting::template::render(&form.body, &schema, &schema.sample_answers(), &clauses)
                .map(|r| drafting::html::to_html(&r.document))
                .unwrap_or_default()
        }
        _ => String::new(),
    };
    let title = if id.is_some() {
        "Edit template"
    } else {
        "New template"
    };
    let failed = !errors.is_empty();
    let mut r = ctx.render(TemplateFormPage {
        layout: ctx.layout(title, "contract-templates"),
        id,
        revision,
        form,
        errors,
        types: store::types(&ctx.app).await?,
        kinds: KINDS.to_vec(),
        preview,
    })?;
    if failed {
        *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

/// GET /contracts/templates/new
pub async fn template_new(ctx: PageCtx) -> PageResult<Response> {
    let form = TemplateInput {
        type_code: "nda".into(),
        active: "1".into(),
        schema: "{\n  \"variables\": [\n    {\"name\": \"counterparty\", \"label\": \"Counterparty\", \"type\": \"party\", \"required\": true}\n  ]\n}".into(),
        body: "# Agreement\n\nThis agreement is made between **Example Corp** and **{{ counterparty }}**.\n\n1. Purpose\n   1. …\n".into(),
        ..Default::default()
    };
    template_form_page(&ctx, None, 0, form, vec![]).await
}

fn field_errors(e: AppError) -> Result<Vec<(String, String)>, crate::platform::error::PageError> {
    match e {
        AppError::Validation(f) => Ok(f.into_iter().map(|f| (f.field, f.message)).collect()),
        other => Err(other.into()),
    }
}

/// POST /contracts/templates
pub async fn template_create(ctx: PageCtx, Form(f): Form<TemplateInput>) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    match tpl::save(&ctx.app, &user, None, &f).await {
        Ok(t) => Ok(redirect_with_flash(
            &ctx.app,
            &format!("/contracts/templates/{}", t.id),
            FlashKind::Success,
            &format!("Template {} saved.", t.name),
        )),
        Err(e) => template_form_page(&ctx, None, 0, f, field_errors(e)?).await,
    }
}

/// GET /contracts/templates/{id}
pub async fn template_edit(ctx: PageCtx, Path(id): Path<i64>) -> PageResult<Response> {
    let t = tpl::get(&ctx.app, id).await?;
    let form = TemplateInput {
        code: t.code.clone(),
        name: t.name.clone(),
        type_code: t.type_code.clone(),
        description: t.description.clone(),
        body: t.body.clone(),
        schema: t.schema_json.clone(),
        active: if t.active != 0 {
            "1".into()
        } else {
            String::new()
        },
    };
    template_form_page(&ctx, Some(id), t.revision, form, vec![]).await
}

/// POST /contracts/templates/{id}
pub async fn template_update(
    ctx: PageCtx,
    Path(id): Path<i64>,
    Form(f): Form<TemplateInput>,
) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    match tpl::save(&ctx.app, &user, Some(id), &f).await {
        Ok(t) => Ok(redirect_with_flash(
            &ctx.app,
            &format!("/contracts/templates/{id}"),
            FlashKind::Success,
            &format!("Template {} saved as revision {}.", t.name, t.revision),
        )),
        Err(e) => {
            let rev = tpl::get(&ctx.app, id).await?.revision;
            template_form_page(&ctx, Some(id), rev, f, field_errors(e)?).await
        }
    }
}

#[derive(Template)]
#[template(path = "contracts/clause_form.html")]
struct ClauseFormPage {
    layout: Layout,
    id: Option<i64>,
    form: ClauseInput,
    errors: Errors,
}

/// The clause form: the preferred text and three fallback positions.
#[derive(Deserialize, Default)]
pub struct ClauseForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    preferred: String,
    #[serde(default)]
    guidance: String,
    #[serde(default)]
    fallback_1: String,
    #[serde(default)]
    fallback_1_guidance: String,
    #[serde(default)]
    fallback_2: String,
    #[serde(default)]
    fallback_2_guidance: String,
    #[serde(default)]
    fallback_3: String,
    #[serde(default)]
    fallback_3_guidance: String,
}

impl ClauseForm {
    fn input(self) -> ClauseInput {
        ClauseInput {
            code: self.code,
            title: self.title,
            category: self.category,
            preferred: self.preferred,
            guidance: self.guidance,
            fallbacks: vec![
                Fallback {
                    text: self.fallback_1,
                    guidance: self.fallback_1_guidance,
                },
                Fallback {
                    text: self.fallback_2,
                    guidance: self.fallback_2_guidance,
                },
                Fallback {
                    text: self.fallback_3,
                    guidance: self.fallback_3_guidance,
                },
            ],
        }
    }
}

impl ClauseFormPage {
    fn fallback(&self, i: usize) -> Fallback {
        self.form.fallbacks.get(i).cloned().unwrap_or_default()
    }
}

async fn clause_form_page(
    ctx: &PageCtx,
    id: Option<i64>,
    mut form: ClauseInput,
    errors: Errors,
) -> PageResult<Response> {
    form.fallbacks
        .resize(3.max(form.fallbacks.len()), Fallback::default());
    let r = ctx.render(ClauseFormPage {
        layout: ctx.layout(
            if id.is_some() {
                "Edit clause"
            } else {
                "New clause"
            },
            "contract-templates",
        ),
        id,
        form,
        errors: errors.clone(),
    })?;
    Ok(with_status(r, &errors))
}

/// GET /contracts/clauses/new
pub async fn clause_new(ctx: PageCtx) -> PageResult<Response> {
    clause_form_page(&ctx, None, ClauseInput::default(), Errors::new()).await
}

/// POST /contracts/clauses
pub async fn clause_create(ctx: PageCtx, Form(f): Form<ClauseForm>) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    let input = f.input();
    match tpl::save_clause(&ctx.app, &user, None, &input).await {
        Ok(c) => Ok(redirect_with_flash(
            &ctx.app,
            "/contracts/templates#clauses",
            FlashKind::Success,
            &format!("Clause {} saved.", c.title),
        )),
        Err(e) => clause_form_page(&ctx, None, input, e.into_field_map()?).await,
    }
}

/// GET /contracts/clauses/{id}
pub async fn clause_edit(ctx: PageCtx, Path(id): Path<i64>) -> PageResult<Response> {
    let c = tpl::clause(&ctx.app, id).await?;
    let form = ClauseInput {
        fallbacks: c.fallbacks(),
        code: c.code,
        title: c.title,
        category: c.category,
        preferred: c.preferred,
        guidance: c.guidance,
    };
    clause_form_page(&ctx, Some(id), form, Errors::new()).await
}

/// POST /contracts/clauses/{id}
pub async fn clause_update(
    ctx: PageCtx,
    Path(id): Path<i64>,
    Form(f): Form<ClauseForm>,
) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    let input = f.input();
    match tpl::save_clause(&ctx.app, &user, Some(id), &input).await {
        Ok(c) => Ok(redirect_with_flash(
            &ctx.app,
            "/contracts/templates#clauses",
            FlashKind::Success,
            &format!("Clause {} saved.", c.title),
        )),
        Err(e) => clause_form_page(&ctx, Some(id), input, e.into_field_map()?).await,
    }
}

/// GET /contracts/request
pub async fn request_form(ctx: PageCtx) -> PageResult<Response> {
    let form = ContractInput {
        type_code: "services".into(),
        currency: "USD".into(),
        ..Default::default()
    };
    form_page(&ctx, None, String::new(), form, Errors::new(), true).await
}

/// POST /contracts/request (multipart: the form's fields and `attachments`; CSRF in `_csrf`)
pub async fn request(ctx: PageCtx, multipart: Multipart) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    let mut fields: Vec<(String, String)> = vec![];
    let mut files = vec![];
    for part in crate::platform::web::read_upload(multipart).await? {
        if part.field == "attachments" {
            if !part.bytes.is_empty() {
                files.push(Upload {
                    filename: part
                        .file_name
                        .clone()
                        .unwrap_or_else(|| "attachment".into()),
                    bytes: part.bytes,
                });
            }
        } else {
            fields.push((part.field.clone(), part.text()));
        }
    }
    let input: ContractInput =
        serde_urlencoded::from_str(&serde_urlencoded::to_string(&fields).unwrap_or_default())
            .map_err(|e| AppError::BadRequest(format!("the form could not be read: {e}")))?;
    match store::request(&ctx.app, &user, &input, files).await {
        Ok(c) => Ok(redirect_with_flash(
            &ctx.app,
            &format!("/contracts/requests/{}", c.id),
            FlashKind::Success,
            &format!(
                "Request {} sent to legal{}.",
                c.number,
                c.owner_name
                    .as_deref()
                    .map(|n| format!(" ({n} owns it)"))
                    .unwrap_or_default()
            ),
        )),
        Err(e) => form_page(&ctx, None, String::new(), input, e.into_field_map()?, true).await,
    }
}

#[derive(Template)]
#[template(path = "contracts/requests.html")]
struct RequestsPage {
    layout: Layout,
    contracts: Vec<Contract>,
}

/// GET /contracts/requests: the signed-in user's own requests.
pub async fn my_requests(ctx: PageCtx) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    let f = Filter {
        requester_id: Some(user.id),
        ..Default::default()
    };
    // The requester's own view: walls do not hide a person's own request from them.
    let (rows, _) = store::list(&ctx.app, None, &f, "c.created_at DESC", 500, 0).await?;
    ctx.render(RequestsPage {
        layout: ctx.layout("My contract requests", "contract-requests"),
        contracts: rows,
    })
}

#[derive(Template)]
#[template(path = "contracts/request.html")]
struct RequestPage {
    layout: Layout,
    c: Contract,
    history: Vec<StatusChange>,
    attachments: Vec<Version>,
}

/// GET /contracts/requests/{id}: a requester follows their request (status and history).
pub async fn request_detail(ctx: PageCtx, Path(id): Path<i64>) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    let c = requested_by(&ctx, &user, id).await?;
    ctx.render(RequestPage {
        layout: ctx.layout(&c.number, "contract-requests"),
        history: store::history(&ctx.app, id).await?,
        attachments: store::versions(&ctx.app, id)
            .await?
            .into_iter()
            .filter(|v| v.source == "attachment")
            .collect(),
        c,
    })
}

/// The contract if `user` requested it (anyone else: not found).
async fn requested_by(ctx: &PageCtx, user: &CurrentUser, id: i64) -> Result<Contract, AppError> {
    let c = store::get(&ctx.app, None, id).await?;
    if c.requester_id != Some(user.id) {
        return Err(AppError::NotFound("contract".into()));
    }
    Ok(c)
}

#[derive(Deserialize)]
pub struct DecisionForm {
    decision: String,
    #[serde(default)]
    note: String,
}

/// POST /contracts/{id}/approvals/{aid}
pub async fn decide(
    ctx: PageCtx,
    Path((id, aid)): Path<(i64, i64)>,
    Form(f): Form<DecisionForm>,
) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    let approve = f.decision == "approve";
    match super::approvals::decide(&ctx.app, &user, id, aid, approve, &f.note).await {
        Ok(_) => Ok(redirect_with_flash(
            &ctx.app,
            &format!("/contracts/{id}#approvals"),
            FlashKind::Success,
            if approve {
                "Approved."
            } else {
                "Rejected: the contract is back in negotiation."
            },
        )),
        Err(AppError::Forbidden(m)) => Ok(redirect_with_flash(
            &ctx.app,
            &format!("/contracts/{id}"),
            FlashKind::Error,
            &m,
        )),
        Err(e) => redirect_with_error(&ctx.app, &format!("/contracts/{id}#approvals"), e),
    }
}

#[derive(Deserialize)]
pub struct SignatureForm {
    #[serde(default)]
    us_name: String,
    #[serde(default)]
    us_email: String,
    #[serde(default)]
    cp_name: String,
    #[serde(default)]
    cp_email: String,
    #[serde(default)]
    method: String,
}

/// POST /contracts/{id}/signature
pub async fn request_signature(
    ctx: PageCtx,
    Path(id): Path<i64>,
    Form(f): Form<SignatureForm>,
) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    let people = vec![
        super::approvals::Signatory {
            name: f.us_name,
            email: f.us_email,
            party: "us".into(),
            signed_on: None,
        },
        super::approvals::Signatory {
            name: f.cp_name,
            email: f.cp_email,
            party: "counterparty".into(),
            signed_on: None,
        },
    ];
    match super::approvals::request_signature(&ctx.app, &user, id, &people, &f.method).await {
        Ok(()) => Ok(redirect_with_flash(
            &ctx.app,
            &format!("/contracts/{id}#signature"),
            FlashKind::Success,
            "Signatories recorded: upload the signed copy when it comes back.",
        )),
        Err(e) => redirect_with_error(&ctx.app, &format!("/contracts/{id}#signature"), e),
    }
}

#[derive(Template)]
#[template(path = "contracts/approval_rules.html")]
struct RulesPage {
    layout: Layout,
    rules: Vec<super::approvals::Rule>,
    example: String,
    form: String,
    errors: Vec<String>,
}

impl RulesPage {
    fn condition_text(&self, r: &super::approvals::Rule) -> String {
        serde_json::to_string(&r.condition).unwrap_or_default()
    }
    fn approvers_text(&self, r: &super::approvals::Rule) -> String {
        r.approvers
            .iter()
            .map(|a| match a {
                super::approvals::Approver::Role { role } => format!("any {role}"),
                super::approvals::Approver::User { email } => email.clone(),
            })
            .collect::<Vec<_>>()
            .join(if r.mode == "sequential" {
                " → "
            } else {
                " + "
            })
    }
}

const RULE_EXAMPLE: &str = r#"{"name": "Large contracts", "condition": {"kind": "value_above", "amount_minor": 50000000}, "approvers": [{"role": "attorney"}, {"email": "gc@example.com"}], "mode": "sequential"}"#;

/// GET /contracts/approval-rules
pub async fn rules_page(ctx: PageCtx) -> PageResult<Response> {
    ctx.render(RulesPage {
        layout: ctx.layout("Approval rules", "contract-rules"),
        rules: super::approvals::rules(&ctx.app).await?,
        example: RULE_EXAMPLE.into(),
        form: String::new(),
        errors: vec![],
    })
}

#[derive(Deserialize)]
pub struct RuleForm {
    rule: String,
}

/// POST /contracts/approval-rules (one rule as JSON; `id` to replace one)
pub async fn rule_save(ctx: PageCtx, Form(f): Form<RuleForm>) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    let errors = match serde_json::from_str::<super::approvals::Rule>(&f.rule) {
        Err(e) => vec![format!("line {}, column {}: {e}", e.line(), e.column())],
        Ok(r) => match super::approvals::save_rule(&ctx.app, &user, &r).await {
            Ok(r) => {
                return Ok(redirect_with_flash(
                    &ctx.app,
                    "/contracts/approval-rules",
                    FlashKind::Success,
                    &format!("Rule {} saved.", r.name),
                ));
            }
            Err(AppError::Validation(fs)) => fs
                .into_iter()
                .map(|x| format!("{}: {}", x.field, x.message))
                .collect(),
            Err(e) => return Err(e.into()),
        },
    };
    let mut r = ctx.render(RulesPage {
        layout: ctx.layout("Approval rules", "contract-rules"),
        rules: super::approvals::rules(&ctx.app).await?,
        example: RULE_EXAMPLE.into(),
        form: f.rule,
        errors,
    })?;
    *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    Ok(r)
}

#[derive(Deserialize, Default)]
pub struct DatesQuery {
    #[serde(default)]
    days: Option<i64>,
    #[serde(default)]
    page: Option<i64>,
    #[serde(default)]
    mine: String,
    #[serde(default)]
    format: String,
}

#[derive(Template)]
#[template(path = "contracts/clauses.html")]
struct ClausesPage {
    layout: Layout,
    c: Contract,
    found: super::clauses::ContractClauses,
    min_text: String,
}

#[derive(Deserialize)]
pub struct ClausesQuery {
    #[serde(default)]
    min: String,
    #[serde(default)]
    format: String,
}

/// GET /contracts/{id}/clauses: the CUAD clauses of the newest version, with their evidence.
pub async fn clauses_page(
    ctx: PageCtx,
    Path(id): Path<i64>,
    Query(q): Query<ClausesQuery>,
) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    let c = store::get(&ctx.app, Some(&user), id).await?;
    let min_text = match q.min.as_str() {
        m @ ("0.9" | "0.7" | "0.5" | "0.3" | "0.1") => m.to_string(),
        _ => "0.5".to_string(),
    };
    let min: f32 = min_text.parse().unwrap_or(0.5);
    let found = super::clauses::of_contract(&ctx.app, &user, id, min).await?;
    if q.format == "csv" {
        return Ok(csv_response(
            &format!("{}-clauses.csv", c.number),
            &["category", "answer", "confidence", "evidence"],
            found.clauses.iter().map(|f| {
                vec![
                    f.category.clone(),
                    f.answer.clone().unwrap_or_default(),
                    format!("{:.2}", f.confidence),
                    f.text.clone(),
                ]
            }),
        ));
    }
    ctx.render(ClausesPage {
        layout: ctx.layout(&format!("{} clauses", c.number), "contracts"),
        c,
        found,
        min_text,
    })
}

#[derive(Template)]
#[template(path = "contracts/dates.html")]
struct DatesPage {
    layout: Layout,
    items: Vec<super::dates::Upcoming>,
    pager: crate::platform::web::ui::Pager,
    days: i64,
    mine: bool,
    feed: String,
}

/// GET /contracts/dates: key dates and obligations coming up and overdue.
pub async fn dates_page(ctx: PageCtx, Query(q): Query<DatesQuery>) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    let days = q.days.unwrap_or(90).clamp(0, 3650);
    let mine = q.mine == "1";
    if q.format == "csv" {
        let items = super::dates::upcoming(&ctx.app, Some(&user), days, mine).await?;
        return Ok(csv_response(
            "contract-dates.csv",
            &[
                "date",
                "what",
                "contract",
                "title",
                "counterparty",
                "owner",
                "overdue",
                "how",
            ],
            items.iter().map(|i| {
                vec![
                    i.date.clone(),
                    i.label.clone(),
                    i.number.clone(),
                    i.title.clone(),
                    i.counterparty.clone(),
                    i.owner_name.clone().unwrap_or_default(),
                    if i.overdue { "yes" } else { "no" }.into(),
                    i.how.clone(),
                ]
            }),
        ));
    }
    // A page of 100 (a large department has thousands of dates in 90 days), read and counted by
    // the database; CSV has them all.
    let params = crate::platform::web::ui::ListParams {
        page: q.page,
        per_page: Some(100),
        ..Default::default()
    };
    let wanted = (params.page() - 1).saturating_mul(100);
    let (mut items, total) =
        super::dates::upcoming_window(&ctx.app, Some(&user), days, mine, Some((100, wanted)))
            .await?;
    let (days_s, mine_s) = (days.to_string(), if mine { "1" } else { "" });
    let pager = crate::platform::web::ui::Pager::new(
        "/contracts/dates",
        &params,
        &[("days", &days_s), ("mine", mine_s)],
        total,
        &[],
        "",
    );
    // A page past the end shows the last one.
    let from = (pager.page - 1) * 100;
    if from != wanted {
        items = super::dates::upcoming_window(&ctx.app, Some(&user), days, mine, Some((100, from)))
            .await?
            .0;
    }
    ctx.render(DatesPage {
        layout: ctx.layout("Key dates", "contract-dates"),
        items,
        pager,
        days,
        mine,
        feed: format!("/calendar/{}", super::dates::feed_token(&ctx.app, user.id)),
    })
}

/// GET /calendar/{token}: the signed-in-elsewhere user's calendar feed (iCalendar), for
/// calendar programs; the signed token is the credential.
pub async fn calendar_feed(ctx: PageCtx, Path(token): Path<String>) -> PageResult<Response> {
    let token = token.trim_end_matches(".ics");
    let Some(user) = super::dates::feed_user(&ctx.app, token).await? else {
        return Err(AppError::NotFound("calendar".into()).into());
    };
    if !user.can(Permission::ViewContracts) {
        return Err(AppError::NotFound("calendar".into()).into());
    }
    let items = super::dates::upcoming(&ctx.app, Some(&user), 400, true).await?;
    Ok(ics_response(super::dates::ics(
        &format!("Contract dates of {}", user.name),
        &items,
        &ctx.app.clock.now_text(),
    )))
}

fn ics_response(body: String) -> Response {
    use axum::response::IntoResponse;
    let mut r = body.into_response();
    r.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("text/calendar; charset=utf-8"),
    );
    r
}

/// GET /contracts/{id}/calendar.ics: one contract's dates and obligations.
pub async fn contract_calendar(ctx: PageCtx, Path(id): Path<i64>) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    let c = store::get(&ctx.app, Some(&user), id).await?;
    let today = ctx.app.clock.today();
    let mut items: Vec<super::dates::Upcoming> = super::dates::key_dates(&ctx.app, &c)
        .await?
        .into_iter()
        .filter(|k| k.date.to_string() >= today)
        .map(|k| super::dates::Upcoming {
            contract_id: c.id,
            number: c.number.clone(),
            title: c.title.clone(),
            counterparty: c.counterparty.clone(),
            owner_name: c.owner_name.clone(),
            kind: k.kind.as_str().into(),
            label: k.label.into(),
            date: k.date.to_string(),
            how: k.how,
            overdue: false,
            obligation_id: None,
        })
        .collect();
    for o in super::dates::obligations(&ctx.app, id)
        .await?
        .into_iter()
        .filter(|o| o.status == "open")
    {
        items.push(super::dates::Upcoming {
            contract_id: c.id,
            number: c.number.clone(),
            title: c.title.clone(),
            counterparty: c.counterparty.clone(),
            owner_name: o.owner_name.clone(),
            kind: "obligation".into(),
            label: o.title.clone(),
            overdue: o.due_on < today,
            date: o.due_on,
            how: "an obligation of the contract".into(),
            obligation_id: Some(o.id),
        });
    }
    Ok(ics_response(super::dates::ics(
        &c.number,
        &items,
        &ctx.app.clock.now_text(),
    )))
}

/// POST /contracts/{id}/obligations
pub async fn add_obligation(
    ctx: PageCtx,
    Path(id): Path<i64>,
    Form(f): Form<super::dates::ObligationInput>,
) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    match super::dates::add_obligation(&ctx.app, &user, id, &f).await {
        Ok(o) => Ok(redirect_with_flash(
            &ctx.app,
            &format!("/contracts/{id}#obligations"),
            FlashKind::Success,
            &format!("Obligation added, due {}.", o.due_on),
        )),
        Err(e) => detail_page(&ctx, id, e.into_field_map()?).await,
    }
}

#[derive(Deserialize)]
pub struct ObligationDoneForm {
    #[serde(default)]
    evidence: String,
    #[serde(default)]
    action: String,
}

/// POST /contracts/{id}/obligations/{oid}
pub async fn complete_obligation(
    ctx: PageCtx,
    Path((id, oid)): Path<(i64, i64)>,
    Form(f): Form<ObligationDoneForm>,
) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    match super::dates::complete_obligation(
        &ctx.app,
        &user,
        id,
        oid,
        f.action == "waive",
        &f.evidence,
    )
    .await
    {
        Ok(o) => Ok(redirect_with_flash(
            &ctx.app,
            &format!("/contracts/{id}#obligations"),
            FlashKind::Success,
            &format!("“{}” is {}.", o.title, o.status),
        )),
        Err(e) => redirect_with_error(&ctx.app, &format!("/contracts/{id}#obligations"), e),
    }
}

#[derive(Template)]
#[template(path = "contracts/verify.html")]
struct VerifyPage {
    layout: Layout,
    items: Vec<super::import::Pending>,
}

/// GET /contracts/verify: values read out of imported contracts, waiting for a person.
pub async fn verify_page(ctx: PageCtx) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    ctx.render(VerifyPage {
        layout: ctx.layout("Verify imported contracts", "contract-verify"),
        items: super::import::queue(&ctx.app, Some(&user)).await?,
    })
}

#[derive(Deserialize)]
pub struct VerifyForm {
    #[serde(default)]
    value: String,
}

/// POST /contracts/verify/{id}
pub async fn verify(
    ctx: PageCtx,
    Path(id): Path<i64>,
    Form(f): Form<VerifyForm>,
) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    match super::import::decide(&ctx.app, &user, id, Some(&f.value)).await {
        Ok(()) => Ok(redirect_with_flash(
            &ctx.app,
            "/contracts/verify",
            FlashKind::Success,
            "Saved.",
        )),
        Err(e) => redirect_with_error(&ctx.app, "/contracts/verify", e),
    }
}

/// POST /contracts/import (multipart: `files`; CSRF token in `_csrf`)
pub async fn import(ctx: PageCtx, multipart: Multipart) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    let mut files = vec![];
    for part in crate::platform::web::read_upload(multipart).await? {
        if part.field == "files" && !part.bytes.is_empty() {
            files.push(Upload {
                filename: part.file_name.clone().unwrap_or_else(|| "contract".into()),
                bytes: part.bytes,
            });
        }
    }
    if files.is_empty() {
        return Ok(redirect_with_flash(
            &ctx.app,
            "/contracts/verify",
            FlashKind::Error,
            "Choose the contracts to import.",
        ));
    }
    match super::import::import(&ctx.app, &user, files, &["Example Corp"]).await {
        Ok(r) => Ok(redirect_with_flash(
            &ctx.app,
            "/contracts/verify",
            FlashKind::Success,
            &format!(
                "Imported {} contract(s) ({} already there); {} value(s) to verify below.",
                r.imported, r.skipped, r.fields
            ),
        )),
        Err(e) => {
            let m = e.into_message()?;
            Ok(redirect_with_flash(
                &ctx.app,
                "/contracts/verify",
                FlashKind::Error,
                &format!("Nothing was imported. {m}"),
            ))
        }
    }
}

#[derive(Template)]
#[template(path = "contracts/holidays.html")]
struct HolidaysPage {
    layout: Layout,
    /// Each holiday with its weekday.
    holidays: Vec<(super::holidays::Holiday, String)>,
    years: Vec<String>,
    year: String,
    next_year: i16,
    can_manage: bool,
    report: Option<super::holidays::HolidayImport>,
    problems: Vec<crate::matters::store::ImportProblem>,
}

#[derive(Deserialize, Default)]
pub struct HolidaysQuery {
    #[serde(default)]
    year: String,
    #[serde(default)]
    format: String,
}

async fn holidays_page_with(
    ctx: &PageCtx,
    year: &str,
    report: Option<super::holidays::HolidayImport>,
    problems: Vec<crate::matters::store::ImportProblem>,
) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    let y = year.parse::<i16>().ok();
    let holidays = super::holidays::list(&ctx.app, y)
        .await?
        .into_iter()
        .map(|h| {
            let wd = jiff::civil::Date::strptime("%Y-%m-%d", &h.day)
                .map(|d| format!("{:?}", d.weekday()))
                .unwrap_or_default();
            (h, wd)
        })
        .collect();
    let this_year: i16 = ctx
        .app
        .clock
        .today()
        .get(..4)
        .and_then(|s| s.parse().ok())
        .unwrap_or(2026);
    let status = if problems.is_empty() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut r = ctx.render(HolidaysPage {
        layout: ctx.layout("Holiday calendar", "contract-dates"),
        holidays,
        years: super::holidays::years(&ctx.app).await?,
        year: if y.is_some() {
            year.to_string()
        } else {
            String::new()
        },
        next_year: this_year + 1,
        can_manage: user.can(Permission::ManageTemplates),
        report,
        problems,
    })?;
    *r.status_mut() = status;
    Ok(r)
}

/// GET /contracts/holidays: the holiday calendar (CSV with `format=csv`).
pub async fn holidays_page(ctx: PageCtx, Query(q): Query<HolidaysQuery>) -> PageResult<Response> {
    if q.format == "csv" {
        let items = super::holidays::list(&ctx.app, q.year.parse().ok()).await?;
        return Ok(csv_response(
            "holidays.csv",
            &["date", "name"],
            items.into_iter().map(|h| vec![h.day, h.name]),
        ));
    }
    holidays_page_with(&ctx, &q.year, None, vec![]).await
}

/// POST /contracts/holidays: adds one holiday.
pub async fn holiday_add(
    ctx: PageCtx,
    Form(f): Form<super::holidays::HolidayInput>,
) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    match super::holidays::add(&ctx.app, &user, &f).await {
        Ok(h) => Ok(redirect_with_flash(
            &ctx.app,
            &format!("/contracts/holidays?year={}", &h.day[..4]),
            FlashKind::Success,
            &format!(
                "{} ({}) added; key dates are computed again.",
                h.name, h.day
            ),
        )),
        Err(e) => redirect_with_error(&ctx.app, "/contracts/holidays", e),
    }
}

#[derive(Deserialize)]
pub struct FederalForm {
    year: String,
}

/// POST /contracts/holidays/us-federal: fills a year with the US federal holidays.
pub async fn holidays_us_federal(ctx: PageCtx, Form(f): Form<FederalForm>) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    let Ok(year) = f.year.trim().parse::<i16>() else {
        return redirect_with_error(
            &ctx.app,
            "/contracts/holidays",
            AppError::field("year", format!("`{}` is not a year.", f.year.trim())),
        );
    };
    match super::holidays::add_us_federal(&ctx.app, &user, year).await {
        Ok(r) => Ok(redirect_with_flash(
            &ctx.app,
            &format!("/contracts/holidays?year={year}"),
            FlashKind::Success,
            &format!(
                "United States federal holidays of {year}: {} added, {} renamed, {} unchanged.",
                r.added, r.renamed, r.unchanged
            ),
        )),
        Err(e) => redirect_with_error(&ctx.app, "/contracts/holidays", e),
    }
}

/// POST /contracts/holidays/import (multipart, CSRF token in the `_csrf` query)
pub async fn holidays_import(ctx: PageCtx, multipart: Multipart) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    let file = crate::platform::web::read_one_file(multipart, "file", "holidays.csv").await?;
    let Some((name, bytes)) = file else {
        return holidays_page_with(
            &ctx,
            "",
            None,
            vec![crate::matters::store::ImportProblem::no_file()],
        )
        .await;
    };
    match super::holidays::import_csv(&ctx.app, &user, &name, &bytes).await? {
        Ok(r) => holidays_page_with(&ctx, "", Some(r), vec![]).await,
        Err(p) => holidays_page_with(&ctx, "", None, p).await,
    }
}

/// POST /contracts/holidays/{day}/delete
pub async fn holiday_remove(ctx: PageCtx, Path(day): Path<String>) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    match super::holidays::remove(&ctx.app, &user, &day).await {
        Ok(()) => Ok(redirect_with_flash(
            &ctx.app,
            "/contracts/holidays",
            FlashKind::Success,
            &format!("The holiday on {day} was removed; key dates are computed again."),
        )),
        Err(e) => redirect_with_error(&ctx.app, "/contracts/holidays", e),
    }
}
