//! The vendor portal: a firm's people submit LEDES invoices, follow each invoice's outcome line
//! by line, appeal an adjustment once, propose new rates and report accruals — and see nothing
//! of any other firm.

use askama::Template;
use axum::Form;
use axum::extract::{Multipart, Path, Query};
use axum::response::Response;
use serde::Deserialize;

use super::model::{Accrual, Assignment, Invoice, RateRequest, Timekeeper, Vendor};
use super::pages::{Fmt, invoice_page, upload_outcome};
use super::review::{self, InvoiceFilter};
use super::vendors::{self, vendor_scope};
use crate::platform::error::{AppError, PageResult};
use crate::platform::web::redirect_with_flash;
use crate::platform::web::ui::{FlashKind, Layout, ListParams, PageCtx, Pager};

async fn my_vendor(ctx: &PageCtx) -> Result<Vendor, AppError> {
    let user = ctx.user()?.clone();
    let id = vendor_scope(&user).filter(|v| *v > 0).ok_or_else(|| AppError::Forbidden("your account is not linked to a firm yet: ask the legal department to give you portal access".into()))?;
    vendors::get(&ctx.app, &user, id).await
}

#[derive(Template)]
#[template(path = "portal/home.html")]
struct HomePage {
    layout: Layout,
    f: Fmt,
    v: Vendor,
    invoices: Vec<Invoice>,
    pager: Pager,
    params: ListParams,
    status: String,
    assignments: Vec<Assignment>,
    accruals: Vec<Accrual>,
}

#[derive(Deserialize, Default)]
pub struct Filters {
    #[serde(flatten)]
    list: ListParams,
    #[serde(default)]
    status: String,
}

/// GET /portal — the firm's invoices and matters.
pub async fn home(ctx: PageCtx, Query(f): Query<Filters>) -> PageResult<Response> {
    let v = my_vendor(&ctx).await?;
    let user = ctx.user()?.clone();
    let filter = InvoiceFilter {
        q: f.list.q.clone(),
        status: f.status.clone(),
        ..Default::default()
    };
    let (rows, total) = review::list(
        &ctx.app,
        &user,
        &filter,
        "i.received_at DESC",
        f.list.per_page(),
        f.list.offset(),
    )
    .await?;
    let pager = Pager::new(
        "/portal",
        &f.list,
        &[("q", &f.list.q), ("status", &f.status)],
        total,
        &[],
        "",
    );
    let assignments = vendors::assignments_of_vendor(&ctx.app, &user, v.id).await?;
    let accruals = vendors::accruals(&ctx.app, &user, None, Some(v.id)).await?;
    let title = format!("{} — vendor portal", v.name);
    ctx.render(HomePage {
        layout: ctx.layout(&title, "portal"),
        f: Fmt,
        v,
        invoices: rows,
        pager,
        params: f.list.clone(),
        status: f.status.clone(),
        assignments,
        accruals,
    })
}

/// GET /portal/invoices/upload
pub async fn upload_form(ctx: PageCtx) -> PageResult<Response> {
    my_vendor(&ctx).await?;
    #[derive(Template)]
    #[template(path = "spend/upload.html")]
    struct UploadPage {
        layout: Layout,
        outcomes: Vec<super::intake::IntakeOutcome>,
        action: String,
        back: String,
    }
    ctx.render(UploadPage {
        layout: ctx.layout("Submit invoices", "portal"),
        outcomes: vec![],
        action: "/portal/invoices/upload".into(),
        back: "/portal".into(),
    })
}

/// POST /portal/invoices/upload
pub async fn upload(ctx: PageCtx, multipart: Multipart) -> PageResult<Response> {
    my_vendor(&ctx).await?;
    upload_outcome(&ctx, multipart, "/portal/invoices/upload", "/portal").await
}

/// GET /portal/invoices/{id} — the outcome line by line.
pub async fn invoice(ctx: PageCtx, Path(id): Path<i64>) -> PageResult<Response> {
    my_vendor(&ctx).await?;
    invoice_page(&ctx, id, None, true).await
}

#[derive(Deserialize)]
pub struct AppealForm {
    reason: String,
}

/// POST /portal/invoices/{id}/appeal/{flag}
pub async fn appeal(
    ctx: PageCtx,
    Path((id, flag)): Path<(i64, i64)>,
    Form(f): Form<AppealForm>,
) -> PageResult<Response> {
    my_vendor(&ctx).await?;
    let user = ctx.user()?.clone();
    match review::appeal(&ctx.app, &user, id, flag, &f.reason).await {
        Ok(()) => Ok(redirect_with_flash(
            &ctx.app,
            &format!("/portal/invoices/{id}"),
            FlashKind::Success,
            "Appeal sent to the legal department.",
        )),
        Err(AppError::Conflict(m)) | Err(AppError::BadRequest(m)) => {
            invoice_page(&ctx, id, Some(m), true).await
        }
        Err(AppError::Validation(e)) => {
            invoice_page(
                &ctx,
                id,
                Some(
                    e.into_iter()
                        .map(|e| e.message)
                        .collect::<Vec<_>>()
                        .join(" "),
                ),
                true,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct CommentForm {
    comment: String,
}

/// POST /portal/invoices/{id}/comments
pub async fn comment(
    ctx: PageCtx,
    Path(id): Path<i64>,
    Form(f): Form<CommentForm>,
) -> PageResult<Response> {
    my_vendor(&ctx).await?;
    let user = ctx.user()?.clone();
    match review::comment(&ctx.app, &user, id, &f.comment).await {
        Ok(()) => Ok(redirect_with_flash(
            &ctx.app,
            &format!("/portal/invoices/{id}#history"),
            FlashKind::Success,
            "Comment sent.",
        )),
        Err(AppError::Validation(e)) => {
            invoice_page(
                &ctx,
                id,
                Some(
                    e.into_iter()
                        .map(|e| e.message)
                        .collect::<Vec<_>>()
                        .join(" "),
                ),
                true,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "portal/rates.html")]
struct RatesPage {
    layout: Layout,
    f: Fmt,
    v: Vendor,
    timekeepers: Vec<(Timekeeper, Option<i64>)>,
    requests: Vec<RateRequest>,
    error: Option<String>,
}

async fn rates_page(ctx: &PageCtx, error: Option<String>) -> PageResult<Response> {
    let v = my_vendor(ctx).await?;
    let user = ctx.user()?.clone();
    let tks = vendors::timekeepers(&ctx.app, &user, v.id).await?;
    let today = ctx
        .app
        .clock
        .now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date()
        .to_string();
    let rates = vendors::rates(&ctx.app, v.id).await?;
    let timekeepers = tks
        .into_iter()
        .map(|t| {
            let current = rates
                .iter()
                .filter(|r| {
                    r.timekeeper_id == t.id
                        && r.matter_id.is_none()
                        && r.effective_from <= today
                        && r.effective_to
                            .as_deref()
                            .is_none_or(|e| e >= today.as_str())
                })
                .map(|r| r.rate_e4)
                .next();
            (t, current)
        })
        .collect();
    let requests = vendors::rate_requests(&ctx.app, &user, "").await?;
    let status = if error.is_some() {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        axum::http::StatusCode::OK
    };
    let mut r = ctx.render(RatesPage {
        layout: ctx.layout("Timekeepers and rates", "portal-rates"),
        f: Fmt,
        v,
        timekeepers,
        requests,
        error,
    })?;
    *r.status_mut() = status;
    Ok(r)
}

/// GET /portal/rates
pub async fn rates(ctx: PageCtx) -> PageResult<Response> {
    rates_page(&ctx, None).await
}

#[derive(Deserialize)]
pub struct RateRequestForm {
    timekeeper_id: i64,
    rate: String,
    effective_from: String,
    #[serde(default)]
    reason: String,
}

/// POST /portal/rate-requests
pub async fn request_rate(ctx: PageCtx, Form(f): Form<RateRequestForm>) -> PageResult<Response> {
    my_vendor(&ctx).await?;
    let user = ctx.user()?.clone();
    match vendors::request_rate(
        &ctx.app,
        &user,
        f.timekeeper_id,
        &f.rate,
        &f.effective_from,
        &f.reason,
    )
    .await
    {
        Ok(_) => Ok(redirect_with_flash(
            &ctx.app,
            "/portal/rates",
            FlashKind::Success,
            "Rate request sent to the legal department.",
        )),
        Err(AppError::Validation(e)) => {
            rates_page(
                &ctx,
                Some(
                    e.into_iter()
                        .map(|e| e.message)
                        .collect::<Vec<_>>()
                        .join(" "),
                ),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct AccrualForm {
    matter_id: i64,
    period: String,
    amount: String,
    #[serde(default)]
    note: String,
}

/// POST /portal/accruals — the firm's estimate of work done and not yet billed.
pub async fn accrual(ctx: PageCtx, Form(f): Form<AccrualForm>) -> PageResult<Response> {
    let v = my_vendor(&ctx).await?;
    let user = ctx.user()?.clone();
    match vendors::record_accrual(
        &ctx.app,
        &user,
        v.id,
        f.matter_id,
        &f.period,
        &f.amount,
        &f.note,
    )
    .await
    {
        Ok(()) => Ok(redirect_with_flash(
            &ctx.app,
            "/portal#accruals",
            FlashKind::Success,
            "Accrual recorded.",
        )),
        Err(AppError::Validation(e)) => Ok(redirect_with_flash(
            &ctx.app,
            "/portal#accruals",
            FlashKind::Error,
            &e.into_iter()
                .map(|e| e.message)
                .collect::<Vec<_>>()
                .join(" "),
        )),
        Err(e) => Err(e.into()),
    }
}
