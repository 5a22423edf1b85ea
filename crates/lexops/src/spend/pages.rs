//! Spend pages for the legal department: invoices (list, review queue, upload, the review page
//! with flags and line adjustments, decisions), vendors (list, detail with timekeepers, rates,
//! assignments and portal users), rate requests. The vendor portal is in `portal`; the
//! dashboard in `analytics`; guidelines and AP exports in `guidelines_pages` and `export`.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Multipart, Path, Query};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::intake::{self, IntakeOutcome};
use super::model::{
    Assignment, Invoice, InvoiceFlag, InvoiceLine, Rate, RateRequest, Timekeeper, Vendor,
    VendorInput,
};
use super::money::{format_e4, money, units};
use super::review::{self, ApprovalStep, Decision, InvoiceEvent, InvoiceFilter};
use super::vendors;
use crate::platform::access::{CurrentUser, Permission};
use crate::platform::error::{AppError, PageResult};
use crate::platform::web::redirect_with_flash;
use crate::platform::web::ui::{FlashKind, Layout, ListParams, PageCtx, Pager, csv_response};

/// A stored amount however a template holds it (`i64`, `&i64`, `&&i64`).
pub trait E4 {
    fn e4(&self) -> i64;
}

impl E4 for i64 {
    fn e4(&self) -> i64 {
        *self
    }
}

impl<T: E4 + ?Sized> E4 for &T {
    fn e4(&self) -> i64 {
        (**self).e4()
    }
}

/// Formatting helpers the spend templates call (`f.money(…)`).
pub struct Fmt;

impl Fmt {
    pub fn amount(&self, v: impl E4) -> String {
        format_e4(v.e4())
    }
    pub fn money(&self, v: impl E4, currency: &str) -> String {
        money(v.e4(), currency)
    }
    pub fn units(&self, v: impl E4) -> String {
        units(v.e4())
    }
    /// `+8.3%` from `old` to `new` (exact integer arithmetic, one decimal).
    pub fn pct_change(&self, new: impl E4, old: &Option<i64>) -> String {
        let new = &new.e4();
        match old {
            Some(o) if *o > 0 => {
                let tenths = ((*new - *o) as i128 * 1000
                    + if *new >= *o {
                        *o as i128 / 2
                    } else {
                        -(*o as i128) / 2
                    })
                    / *o as i128;
                format!(
                    "{}{}.{}%",
                    if tenths >= 0 { "+" } else { "-" },
                    tenths.abs() / 10,
                    tenths.abs() % 10
                )
            }
            _ => "—".into(),
        }
    }
    /// The first 12 characters (hashes).
    pub fn short<'a>(&self, s: &'a str) -> &'a str {
        s.get(..12).unwrap_or(s)
    }
    pub fn day<'a>(&self, ts: &'a str) -> &'a str {
        ts.get(..10).unwrap_or(ts)
    }
    pub fn action_label(&self, a: &str) -> &'static str {
        match a {
            "reject_invoice" => "Rejects invoice",
            "reject_line" => "Rejects line",
            "auto_adjust" => "Adjusts",
            "route_to_approver" => "Adds approver",
            _ => "Flag",
        }
    }
    pub fn flag_badge(&self, state: &str) -> &'static str {
        match state {
            "open" => "badge badge-amber",
            "accepted" | "appeal_denied" => "badge badge-gray",
            "overridden" | "appeal_upheld" => "badge badge-green",
            "appealed" => "badge badge-blue",
            _ => "badge badge-gray",
        }
    }
    pub fn flag_state(&self, state: &str) -> &'static str {
        match state {
            "open" => "Open",
            "accepted" => "Accepted",
            "overridden" => "Overridden",
            "appealed" => "Appealed",
            "appeal_upheld" => "Appeal upheld",
            "appeal_denied" => "Appeal denied",
            _ => "—",
        }
    }
}

// ---------- Invoices ----------

#[derive(Deserialize, Default)]
pub struct InvoiceFilters {
    #[serde(flatten)]
    list: ListParams,
    #[serde(default)]
    status: String,
    #[serde(default)]
    vendor: Option<i64>,
    #[serde(default)]
    matter: Option<i64>,
}

#[derive(Template)]
#[template(path = "spend/invoices.html")]
struct InvoicesPage {
    layout: Layout,
    f: Fmt,
    invoices: Vec<Invoice>,
    pager: Pager,
    params: ListParams,
    status: String,
    queue: bool,
    can_submit: bool,
    filtered: bool,
}

const INVOICE_COLUMNS: &[(&str, &str, bool)] = &[
    ("number", "Invoice", false),
    ("vendor", "Vendor", false),
    ("matter", "Matter", false),
    ("date", "Date", false),
    ("total", "Billed", true),
    ("", "Approved", true),
    ("status", "Status", false),
    ("received", "Received", false),
];

async fn invoice_list(ctx: &PageCtx, f: &InvoiceFilters, queue: bool) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    let filter = InvoiceFilter {
        q: f.list.q.clone(),
        status: f.status.clone(),
        vendor_id: f.vendor,
        matter_id: f.matter,
        awaiting: queue.then(|| (user.id, user.role.as_str().to_string())),
    };
    let order = if f.list.sort.is_empty() {
        "i.received_at DESC".to_string()
    } else {
        f.list.order_by(review::SORTS)
    };
    let (limit, offset) = f.list.window();
    let (rows, total) = review::list(&ctx.app, &user, &filter, &order, limit, offset).await?;
    if f.list.is_csv() {
        return Ok(csv_response(
            "invoices.csv",
            &[
                "invoice_number",
                "vendor",
                "matter",
                "invoice_date",
                "currency",
                "billed",
                "approved",
                "savings",
                "status",
                "received_at",
            ],
            rows.into_iter().map(|i| {
                vec![
                    i.invoice_number.clone(),
                    i.vendor_name.clone(),
                    i.matter_number.clone(),
                    i.invoice_date.clone(),
                    i.currency.clone(),
                    format_e4(i.total_e4).replace(',', ""),
                    format_e4(i.adjusted_total_e4).replace(',', ""),
                    format_e4(i.savings_e4()).replace(',', ""),
                    i.status.clone(),
                    i.received_at.clone(),
                ]
            }),
        ));
    }
    let base = if queue {
        "/spend/invoices/queue"
    } else {
        "/spend/invoices"
    };
    let vendor = f.vendor.map(|v| v.to_string()).unwrap_or_default();
    let matter = f.matter.map(|v| v.to_string()).unwrap_or_default();
    let pager = Pager::new(
        base,
        &f.list,
        &[
            ("q", &f.list.q),
            ("status", &f.status),
            ("vendor", &vendor),
            ("matter", &matter),
        ],
        total,
        INVOICE_COLUMNS,
        "received",
    );
    let filtered =
        !(f.list.q.is_empty() && f.status.is_empty() && f.vendor.is_none() && f.matter.is_none());
    ctx.render(InvoicesPage {
        layout: ctx.layout(
            if queue { "My review queue" } else { "Invoices" },
            "invoices",
        ),
        f: Fmt,
        invoices: rows,
        pager,
        params: f.list.clone(),
        status: f.status.clone(),
        queue,
        can_submit: user.can(Permission::SubmitInvoices),
        filtered,
    })
}

/// GET /spend/invoices
pub async fn invoices(ctx: PageCtx, Query(f): Query<InvoiceFilters>) -> PageResult<Response> {
    invoice_list(&ctx, &f, false).await
}

/// GET /spend/invoices/queue — invoices waiting for my decision.
pub async fn queue(ctx: PageCtx, Query(f): Query<InvoiceFilters>) -> PageResult<Response> {
    invoice_list(&ctx, &f, true).await
}

#[derive(Template)]
#[template(path = "spend/upload.html")]
struct UploadPage {
    layout: Layout,
    outcomes: Vec<IntakeOutcome>,
    action: String,
    back: String,
}

/// Reads every non-empty `file` part of a multipart upload.
pub async fn read_files(multipart: Multipart) -> Result<Vec<(String, Vec<u8>)>, AppError> {
    let files: Vec<(String, Vec<u8>)> = crate::platform::web::read_upload(multipart)
        .await?
        .into_iter()
        .filter(|p| p.field == "file" && !p.bytes.is_empty())
        .map(|p| (p.file_name.unwrap_or_else(|| "invoice.txt".into()), p.bytes))
        .collect();
    if files.is_empty() {
        return Err(AppError::field("file", "Choose one or more LEDES files."));
    }
    Ok(files)
}

/// Submits uploaded files and renders the outcome (shared with the portal).
pub async fn upload_outcome(
    ctx: &PageCtx,
    multipart: Multipart,
    action: &str,
    back: &str,
) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    let files = match read_files(multipart).await {
        Ok(f) => f,
        Err(AppError::Validation(_)) => {
            let mut r = ctx.render(UploadPage {
                layout: ctx.layout("Submit invoices", "invoices"),
                outcomes: vec![],
                action: action.into(),
                back: back.into(),
            })?;
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            return Ok(r);
        }
        Err(e) => return Err(e.into()),
    };
    let mut outcomes = vec![];
    let mut pipeline = intake::Pipeline::new(&ctx.app, &user);
    for (name, bytes) in files {
        outcomes.extend(pipeline.push(&name, bytes, None).await?);
    }
    outcomes.extend(pipeline.finish().await?);
    let status = if outcomes.iter().all(|o| o.accepted) {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut r = ctx.render(UploadPage {
        layout: ctx.layout(
            "Submit invoices",
            if action.starts_with("/portal") {
                "portal"
            } else {
                "invoices"
            },
        ),
        outcomes,
        action: action.into(),
        back: back.into(),
    })?;
    *r.status_mut() = status;
    Ok(r)
}

/// GET /spend/invoices/upload
pub async fn upload_form(ctx: PageCtx) -> PageResult<Response> {
    ctx.render(UploadPage {
        layout: ctx.layout("Submit invoices", "invoices"),
        outcomes: vec![],
        action: "/spend/invoices/upload".into(),
        back: "/spend/invoices".into(),
    })
}

/// POST /spend/invoices/upload
pub async fn upload(ctx: PageCtx, multipart: Multipart) -> PageResult<Response> {
    upload_outcome(&ctx, multipart, "/spend/invoices/upload", "/spend/invoices").await
}

/// A line with its flags, for the review page.
pub struct LineView {
    pub line: InvoiceLine,
    pub flags: Vec<InvoiceFlag>,
}

#[derive(Template)]
#[template(path = "spend/invoice.html")]
struct InvoicePage {
    layout: Layout,
    f: Fmt,
    inv: Invoice,
    lines: Vec<LineView>,
    invoice_flags: Vec<InvoiceFlag>,
    approvals: Vec<ApprovalStep>,
    events: Vec<InvoiceEvent>,
    can_review: bool,
    my_turn: bool,
    error: Option<String>,
    portal: bool,
}

/// Builds the invoice page (staff review or vendor portal view).
pub async fn invoice_page(
    ctx: &PageCtx,
    id: i64,
    error: Option<String>,
    portal: bool,
) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    let inv = review::get(&ctx.app, &user, id).await?;
    let lines = review::lines(&ctx.app, id).await?;
    let flags = review::flags(&ctx.app, id).await?;
    let approvals = review::approvals(&ctx.app, id).await?;
    let events = review::events(&ctx.app, id).await?;
    let mut by_line: HashMap<i64, Vec<InvoiceFlag>> = HashMap::new();
    let mut invoice_flags = vec![];
    for fl in flags {
        match fl.line_id {
            Some(l) => by_line.entry(l).or_default().push(fl),
            None => invoice_flags.push(fl),
        }
    }
    let lines = lines
        .into_iter()
        .map(|l| LineView {
            flags: by_line.remove(&l.id).unwrap_or_default(),
            line: l,
        })
        .collect();
    let can_review = !portal && user.can(Permission::ReviewInvoices) && inv.status == "in_review";
    let my_turn = can_review && is_my_turn(&user, &approvals, inv.approval_step);
    let title = format!("Invoice {}", inv.invoice_number);
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let mut r = ctx.render(InvoicePage {
        layout: ctx.layout(&title, if portal { "portal" } else { "invoices" }),
        f: Fmt,
        inv,
        lines,
        invoice_flags,
        approvals,
        events,
        can_review,
        my_turn,
        error,
        portal,
    })?;
    *r.status_mut() = status;
    Ok(r)
}

fn is_my_turn(user: &CurrentUser, approvals: &[ApprovalStep], step: i64) -> bool {
    approvals.iter().any(|a| {
        a.step == step
            && a.decision == "pending"
            && (a.approver_id == Some(user.id)
                || (a.approver_id.is_none()
                    && (a.approver_role == user.role.as_str()
                        || user.role == crate::platform::access::Role::Admin)))
    })
}

/// GET /spend/invoices/{id}
pub async fn invoice(ctx: PageCtx, Path(id): Path<i64>) -> PageResult<Response> {
    invoice_page(&ctx, id, None, false).await
}

/// GET /spend/invoices/{id}/source — the file as the firm sent it.
pub async fn source(ctx: PageCtx, Path(id): Path<i64>) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    let inv = review::get(&ctx.app, &user, id).await?;
    let sha: String = sqlx::query_scalar("SELECT source_sha256 FROM invoices WHERE id = $1")
        .bind(id)
        .fetch_one(ctx.app.db.pool())
        .await
        .map_err(AppError::from)?;
    let bytes = crate::platform::blobs::get(&ctx.app, &sha).await?;
    let mut r = bytes.into_response();
    let ext = if inv.format.contains("XML") {
        "xml"
    } else {
        "txt"
    };
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"invoice-{}.{ext}\"",
        inv.invoice_number.replace(['"', '\\', '/'], "_")
    )) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(r)
}

#[derive(Deserialize)]
pub struct FlagForm {
    decision: String,
    #[serde(default)]
    note: String,
}

/// POST /spend/invoices/{id}/flags/{flag}
pub async fn resolve_flag(
    ctx: PageCtx,
    Path((id, flag)): Path<(i64, i64)>,
    Form(f): Form<FlagForm>,
) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    match review::resolve_flag(&ctx.app, &user, id, flag, f.decision == "accept", &f.note).await {
        Ok(()) => Ok(redirect_with_flash(
            &ctx.app,
            &format!("/spend/invoices/{id}#flag-{flag}"),
            FlashKind::Success,
            "Flag updated; totals recomputed.",
        )),
        Err(e) => invoice_page(&ctx, id, Some(e.into_message()?), false).await,
    }
}

#[derive(Deserialize)]
pub struct LineForm {
    #[serde(default)]
    units: String,
    #[serde(default)]
    rate: String,
    #[serde(default)]
    total: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    reject: Option<String>,
}

/// POST /spend/invoices/{id}/lines/{line}
pub async fn adjust_line(
    ctx: PageCtx,
    Path((id, line)): Path<(i64, i64)>,
    Form(f): Form<LineForm>,
) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    match review::adjust_line(
        &ctx.app,
        &user,
        id,
        line,
        &f.units,
        &f.rate,
        &f.total,
        f.reject.is_some(),
        &f.reason,
    )
    .await
    {
        Ok(()) => Ok(redirect_with_flash(
            &ctx.app,
            &format!("/spend/invoices/{id}#line-{line}"),
            FlashKind::Success,
            if f.reject.is_some() {
                "Line rejected."
            } else {
                "Line adjusted."
            },
        )),
        Err(e) => invoice_page(&ctx, id, Some(e.into_message()?), false).await,
    }
}

#[derive(Deserialize)]
pub struct CommentForm {
    comment: String,
}

/// POST /spend/invoices/{id}/comments
pub async fn comment(
    ctx: PageCtx,
    Path(id): Path<i64>,
    Form(f): Form<CommentForm>,
) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    match review::comment(&ctx.app, &user, id, &f.comment).await {
        Ok(()) => Ok(redirect_with_flash(
            &ctx.app,
            &format!("/spend/invoices/{id}#history"),
            FlashKind::Success,
            "Comment added.",
        )),
        Err(e) => invoice_page(&ctx, id, Some(e.into_message()?), false).await,
    }
}

#[derive(Deserialize)]
pub struct DecisionForm {
    decision: String,
    #[serde(default)]
    note: String,
}

/// POST /spend/invoices/{id}/decision
pub async fn decide(
    ctx: PageCtx,
    Path(id): Path<i64>,
    Form(f): Form<DecisionForm>,
) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    let d = match f.decision.as_str() {
        "approve" => Decision::Approve,
        "reject" => Decision::Reject,
        "return" => Decision::Return,
        _ => return Err(AppError::field("decision", "Choose approve, reject or return.").into()),
    };
    match review::decide(&ctx.app, &user, id, d, &f.note).await {
        Ok(()) => Ok(redirect_with_flash(
            &ctx.app,
            "/spend/invoices/queue",
            FlashKind::Success,
            &format!(
                "Invoice {}.",
                match d {
                    Decision::Approve => "approved",
                    Decision::Reject => "rejected",
                    Decision::Return => "returned to the firm",
                }
            ),
        )),
        Err(AppError::Forbidden(m)) => Err(AppError::Forbidden(m).into()),
        Err(e) => invoice_page(&ctx, id, Some(e.into_message()?), false).await,
    }
}

// ---------- Vendors ----------

#[derive(Deserialize, Default)]
pub struct VendorFilters {
    #[serde(default)]
    q: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    format: String,
}

/// A vendor row with its spend figures.
pub struct VendorRow {
    pub v: Vendor,
    pub invoices: i64,
    pub billed_e4: i64,
    pub matters: i64,
}

#[derive(Template)]
#[template(path = "spend/vendors.html")]
struct VendorsPage {
    layout: Layout,
    f: Fmt,
    vendors: Vec<VendorRow>,
    q: String,
    status: String,
    can_manage: bool,
}

/// GET /spend/vendors
pub async fn vendors_list(ctx: PageCtx, Query(f): Query<VendorFilters>) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    let list = vendors::list(&ctx.app, &user, &f.q, &f.status).await?;
    let stats: Vec<(i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT v.id, (SELECT COUNT(*) FROM invoices i WHERE i.vendor_id = v.id), (SELECT CAST(COALESCE(SUM(i.total_e4), 0) AS BIGINT) FROM invoices i WHERE i.vendor_id = v.id), \
         (SELECT COUNT(*) FROM matter_assignments a WHERE a.vendor_id = v.id) FROM vendors v",
    )
    .fetch_all(ctx.app.db.pool())
    .await
    .map_err(AppError::from)?;
    let stats: HashMap<i64, (i64, i64, i64)> = stats
        .into_iter()
        .map(|(id, n, b, m)| (id, (n, b, m)))
        .collect();
    let rows: Vec<VendorRow> = list
        .into_iter()
        .map(|v| {
            let (invoices, billed_e4, matters) = stats.get(&v.id).copied().unwrap_or_default();
            VendorRow {
                v,
                invoices,
                billed_e4,
                matters,
            }
        })
        .collect();
    if f.format == "csv" {
        return Ok(csv_response(
            "vendors.csv",
            &[
                "name",
                "law_firm_id",
                "status",
                "currency",
                "billing_contact",
                "billing_email",
                "invoices",
                "billed",
                "matters",
            ],
            rows.into_iter().map(|r| {
                vec![
                    r.v.name,
                    r.v.law_firm_id,
                    r.v.status,
                    r.v.currency,
                    r.v.billing_contact,
                    r.v.billing_email,
                    r.invoices.to_string(),
                    format_e4(r.billed_e4).replace(',', ""),
                    r.matters.to_string(),
                ]
            }),
        ));
    }
    ctx.render(VendorsPage {
        layout: ctx.layout("Vendors", "vendors"),
        f: Fmt,
        vendors: rows,
        q: f.q.clone(),
        status: f.status.clone(),
        can_manage: user.can(Permission::ManageVendors),
    })
}

#[derive(Template)]
#[template(path = "spend/vendor_form.html")]
struct VendorFormPage {
    layout: Layout,
    id: Option<i64>,
    form: VendorInput,
    errors: HashMap<String, String>,
}

async fn vendor_form_page(
    ctx: &PageCtx,
    id: Option<i64>,
    form: VendorInput,
    errors: HashMap<String, String>,
) -> PageResult<Response> {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut r = ctx.render(VendorFormPage {
        layout: ctx.layout(
            if id.is_some() {
                "Edit vendor"
            } else {
                "New vendor"
            },
            "vendors",
        ),
        id,
        form,
        errors,
    })?;
    *r.status_mut() = status;
    Ok(r)
}

/// GET /spend/vendors/new
pub async fn vendor_new(ctx: PageCtx) -> PageResult<Response> {
    vendor_form_page(
        &ctx,
        None,
        VendorInput {
            currency: "USD".into(),
            status: "active".into(),
            ..Default::default()
        },
        HashMap::new(),
    )
    .await
}

/// POST /spend/vendors
pub async fn vendor_create(ctx: PageCtx, Form(f): Form<VendorInput>) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    match vendors::create(&ctx.app, &user, &f).await {
        Ok(v) => Ok(redirect_with_flash(
            &ctx.app,
            &format!("/spend/vendors/{}", v.id),
            FlashKind::Success,
            &format!("Vendor {} registered.", v.name),
        )),
        Err(e) => vendor_form_page(&ctx, None, f, e.into_field_map()?).await,
    }
}

/// GET /spend/vendors/{id}/edit
pub async fn vendor_edit(ctx: PageCtx, Path(id): Path<i64>) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    let v = vendors::get(&ctx.app, &user, id).await?;
    let form = v.input();
    vendor_form_page(&ctx, Some(id), form, HashMap::new()).await
}

/// POST /spend/vendors/{id}
pub async fn vendor_update(
    ctx: PageCtx,
    Path(id): Path<i64>,
    Form(f): Form<VendorInput>,
) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    match vendors::update(&ctx.app, &user, id, &f).await {
        Ok(v) => Ok(redirect_with_flash(
            &ctx.app,
            &format!("/spend/vendors/{}", v.id),
            FlashKind::Success,
            "Vendor saved.",
        )),
        Err(e) => vendor_form_page(&ctx, Some(id), f, e.into_field_map()?).await,
    }
}

/// A timekeeper with its rates, for the vendor page.
pub struct TimekeeperView {
    pub t: Timekeeper,
    pub rates: Vec<Rate>,
}

#[derive(Template)]
#[template(path = "spend/vendor.html")]
struct VendorPage {
    layout: Layout,
    f: Fmt,
    v: Vendor,
    timekeepers: Vec<TimekeeperView>,
    assignments: Vec<Assignment>,
    users: Vec<(String, String, String)>,
    requests: Vec<RateRequest>,
    can_manage: bool,
    error: Option<String>,
}

async fn vendor_page(ctx: &PageCtx, id: i64, error: Option<String>) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    let v = vendors::get(&ctx.app, &user, id).await?;
    let tks = vendors::timekeepers(&ctx.app, &user, id).await?;
    let mut rates: HashMap<i64, Vec<Rate>> = HashMap::new();
    for r in vendors::rates(&ctx.app, id).await? {
        rates.entry(r.timekeeper_id).or_default().push(r);
    }
    let timekeepers = tks
        .into_iter()
        .map(|t| TimekeeperView {
            rates: rates.remove(&t.id).unwrap_or_default(),
            t,
        })
        .collect();
    let assignments = vendors::assignments_of_vendor(&ctx.app, &user, id).await?;
    let users = vendors::users(&ctx.app, id).await?;
    let requests = vendors::rate_requests(&ctx.app, &user, "pending")
        .await?
        .into_iter()
        .filter(|r| r.vendor_id == id)
        .collect();
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let title = v.name.clone();
    let mut r = ctx.render(VendorPage {
        layout: ctx.layout(&title, "vendors"),
        f: Fmt,
        v,
        timekeepers,
        assignments,
        users,
        requests,
        can_manage: user.can(Permission::ManageVendors),
        error,
    })?;
    *r.status_mut() = status;
    Ok(r)
}

/// GET /spend/vendors/{id}
pub async fn vendor(ctx: PageCtx, Path(id): Path<i64>) -> PageResult<Response> {
    vendor_page(&ctx, id, None).await
}

#[derive(Deserialize)]
pub struct TimekeeperForm {
    code: String,
    name: String,
    classification: String,
    #[serde(default)]
    rate: String,
    #[serde(default)]
    effective_from: String,
}

/// POST /spend/vendors/{id}/timekeepers — approves a timekeeper, optionally with a rate.
pub async fn add_timekeeper(
    ctx: PageCtx,
    Path(id): Path<i64>,
    Form(f): Form<TimekeeperForm>,
) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    let result = async {
        let tk = vendors::add_timekeeper(&ctx.app, &user, id, &f.code, &f.name, &f.classification)
            .await?;
        if !f.rate.trim().is_empty() {
            vendors::approve_rate(&ctx.app, &user, tk, None, &f.rate, &f.effective_from).await?;
        }
        Ok::<_, AppError>(())
    }
    .await;
    match result {
        Ok(()) => Ok(redirect_with_flash(
            &ctx.app,
            &format!("/spend/vendors/{id}#timekeepers"),
            FlashKind::Success,
            "Timekeeper approved.",
        )),
        Err(e) => vendor_page(&ctx, id, Some(e.into_message()?)).await,
    }
}

#[derive(Deserialize)]
pub struct RateForm {
    timekeeper_id: i64,
    rate: String,
    effective_from: String,
    #[serde(default)]
    matter_number: String,
}

/// POST /spend/vendors/{id}/rates
pub async fn add_rate(
    ctx: PageCtx,
    Path(id): Path<i64>,
    Form(f): Form<RateForm>,
) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    let result = async {
        vendors::get(&ctx.app, &user, id).await?;
        let owner: Option<i64> =
            sqlx::query_scalar("SELECT vendor_id FROM timekeepers WHERE id = $1")
                .bind(f.timekeeper_id)
                .fetch_optional(ctx.app.db.pool())
                .await?;
        if owner != Some(id) {
            return Err(AppError::NotFound("timekeeper".into()));
        }
        let matter = if f.matter_number.trim().is_empty() {
            None
        } else {
            let m: Option<i64> = sqlx::query_scalar("SELECT id FROM matters WHERE number = $1")
                .bind(f.matter_number.trim())
                .fetch_optional(ctx.app.db.pool())
                .await?;
            Some(m.ok_or_else(|| {
                AppError::field(
                    "matter_number",
                    format!("There is no matter {}.", f.matter_number.trim()),
                )
            })?)
        };
        vendors::approve_rate(
            &ctx.app,
            &user,
            f.timekeeper_id,
            matter,
            &f.rate,
            &f.effective_from,
        )
        .await?;
        Ok(())
    }
    .await;
    match result {
        Ok(()) => Ok(redirect_with_flash(
            &ctx.app,
            &format!("/spend/vendors/{id}#timekeepers"),
            FlashKind::Success,
            "Rate approved.",
        )),
        Err(e) => vendor_page(&ctx, id, Some(e.into_message()?)).await,
    }
}

#[derive(Deserialize)]
pub struct AssignForm {
    matter_number: String,
    #[serde(default)]
    client_matter_id: String,
    #[serde(default)]
    firm_matter_id: String,
    #[serde(default)]
    starts_on: String,
}

/// POST /spend/vendors/{id}/assignments
pub async fn assign(
    ctx: PageCtx,
    Path(id): Path<i64>,
    Form(f): Form<AssignForm>,
) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    match vendors::assign(
        &ctx.app,
        &user,
        id,
        &f.matter_number,
        &f.client_matter_id,
        &f.firm_matter_id,
        &f.starts_on,
    )
    .await
    {
        Ok(_) => Ok(redirect_with_flash(
            &ctx.app,
            &format!("/spend/vendors/{id}#matters"),
            FlashKind::Success,
            "Matter assigned.",
        )),
        Err(e) => vendor_page(&ctx, id, Some(e.into_message()?)).await,
    }
}

#[derive(Deserialize)]
pub struct LinkUserForm {
    email: String,
}

/// POST /spend/vendors/{id}/users — gives a vendor-role user access to this firm's portal.
pub async fn link_user(
    ctx: PageCtx,
    Path(id): Path<i64>,
    Form(f): Form<LinkUserForm>,
) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    match vendors::link_user(&ctx.app, &user, id, &f.email).await {
        Ok(()) => Ok(redirect_with_flash(
            &ctx.app,
            &format!("/spend/vendors/{id}#users"),
            FlashKind::Success,
            "Portal access given.",
        )),
        Err(e) => vendor_page(&ctx, id, Some(e.into_message()?)).await,
    }
}

#[derive(Template)]
#[template(path = "spend/rate_requests.html")]
struct RateRequestsPage {
    layout: Layout,
    f: Fmt,
    requests: Vec<RateRequest>,
    status: String,
}

#[derive(Deserialize, Default)]
pub struct StatusFilter {
    #[serde(default)]
    status: String,
}

/// GET /spend/rate-requests
pub async fn rate_requests(ctx: PageCtx, Query(f): Query<StatusFilter>) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    let requests = vendors::rate_requests(&ctx.app, &user, &f.status).await?;
    ctx.render(RateRequestsPage {
        layout: ctx.layout("Rate requests", "rate-requests"),
        f: Fmt,
        requests,
        status: f.status.clone(),
    })
}

#[derive(Deserialize)]
pub struct RequestDecision {
    decision: String,
    #[serde(default)]
    note: String,
}

/// POST /spend/rate-requests/{id}
pub async fn decide_rate_request(
    ctx: PageCtx,
    Path(id): Path<i64>,
    Form(f): Form<RequestDecision>,
) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    let approve = f.decision == "approve";
    if !approve && f.note.trim().is_empty() {
        return Ok(redirect_with_flash(
            &ctx.app,
            "/spend/rate-requests",
            FlashKind::Error,
            "Say why the rate is rejected: the firm sees the reason.",
        ));
    }
    vendors::decide_rate_request(&ctx.app, &user, id, approve, &f.note).await?;
    Ok(redirect_with_flash(
        &ctx.app,
        "/spend/rate-requests",
        FlashKind::Success,
        if approve {
            "Rate approved; it applies from its effective date."
        } else {
            "Rate request rejected."
        },
    ))
}
