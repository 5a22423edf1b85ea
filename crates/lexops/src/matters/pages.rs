//! Matter pages: list (search, filters, sort, pagination, CSV export), detail with the ethical
//! wall, create and edit forms, and CSV import.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Multipart, Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::model::{Matter, MatterInput, MatterStatus, MatterType};
use super::store::{self, ImportProblem, ImportReport, MatterFilter, WallMember};
use crate::platform::access::Permission;
use crate::platform::error::{AppError, PageResult};
use crate::platform::web::redirect_with_flash;
use crate::platform::web::ui::{FlashKind, Layout, ListParams, PageCtx, Pager, csv_response};

#[derive(Deserialize, Default)]
pub struct Filters {
    #[serde(flatten)]
    list: ListParams,
    #[serde(default, rename = "type")]
    type_code: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    practice_area: String,
}

#[derive(Template)]
#[template(path = "matters/list.html")]
struct ListPage {
    layout: Layout,
    matters: Vec<Matter>,
    pager: Pager,
    params: ListParams,
    type_code: String,
    status: String,
    practice_area: String,
    types: Vec<MatterType>,
    statuses: Vec<(&'static str, &'static str)>,
    practice_areas: Vec<String>,
    can_manage: bool,
    filtered: bool,
}

fn statuses() -> Vec<(&'static str, &'static str)> {
    MatterStatus::ALL
        .iter()
        .map(|s| (s.as_str(), s.label()))
        .collect()
}

/// GET /matters
pub async fn list(ctx: PageCtx, Query(f): Query<Filters>) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    let filter = MatterFilter {
        q: f.list.q.clone(),
        type_code: f.type_code.clone(),
        status: f.status.clone(),
        practice_area: f.practice_area.clone(),
    };
    let order = f.list.order_by(store::SORTS);
    if f.list.is_csv() {
        let rows = store::export(&ctx.app, &user, &filter, &order).await?;
        return Ok(csv_response("matters.csv", store::CSV_COLUMNS, rows));
    }
    let (rows, total) = store::list(
        &ctx.app,
        &user,
        &filter,
        &order,
        f.list.per_page(),
        f.list.offset(),
    )
    .await?;
    let pager = Pager::new(
        "/matters",
        &f.list,
        &[
            ("q", &f.list.q),
            ("type", &f.type_code),
            ("status", &f.status),
            ("practice_area", &f.practice_area),
        ],
        total,
        &[
            ("number", "Number", false),
            ("name", "Name", false),
            ("type", "Type", false),
            ("status", "Status", false),
            ("attorney", "Responsible attorney", false),
            ("opened", "Opened", false),
        ],
        "number",
    );
    let filtered = !(f.list.q.is_empty()
        && f.type_code.is_empty()
        && f.status.is_empty()
        && f.practice_area.is_empty());
    ctx.render(ListPage {
        layout: ctx.layout("Matters", "matters"),
        matters: rows,
        pager,
        params: f.list.clone(),
        type_code: f.type_code.clone(),
        status: f.status.clone(),
        practice_area: f.practice_area.clone(),
        types: store::types(&ctx.app).await?,
        statuses: statuses(),
        practice_areas: store::practice_areas(&ctx.app).await?,
        can_manage: user.can(Permission::ManageMatters),
        filtered,
    })
}

/// A budget line with what was billed against it.
pub struct BudgetView {
    pub fiscal_period: String,
    pub phase: String,
    pub amount: String,
    pub actual: String,
    pub used_percent: i64,
    pub over: bool,
}

/// The matter's spend, for people who see spend.
pub struct SpendView {
    pub assignments: Vec<crate::spend::model::Assignment>,
    pub budgets: Vec<BudgetView>,
    pub accruals: Vec<crate::spend::model::Accrual>,
    pub billed: String,
    pub approved: String,
    pub invoices: i64,
    pub can_manage: bool,
}

async fn spend_view(
    ctx: &PageCtx,
    user: &crate::platform::access::CurrentUser,
    m: &Matter,
) -> Result<Option<SpendView>, AppError> {
    use crate::spend::money::format_e4;
    if !user.can(Permission::ViewSpend) {
        return Ok(None);
    }
    let app = &ctx.app;
    let assignments = crate::spend::vendors::assignments_of_matter(app, m.id).await?;
    let (invoices, billed, approved): (i64, i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), CAST(COALESCE(SUM(total_e4), 0) AS BIGINT), CAST(COALESCE(SUM(adjusted_total_e4), 0) AS BIGINT) FROM invoices WHERE matter_id = $1 AND status IN ('in_review','approved','exported')",
    )
    .bind(m.id)
    .fetch_one(app.db.pool())
    .await?;
    let mut budgets = vec![];
    for b in crate::spend::vendors::budgets(app, m.id).await? {
        let year = b.fiscal_period.trim_start_matches("FY").to_string();
        let actual: i64 = sqlx::query_scalar(
            "SELECT CAST(COALESCE(SUM(l.adjusted_total_e4), 0) AS BIGINT) FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id \
             WHERE i.matter_id = $1 AND i.status IN ('in_review','approved','exported') AND SUBSTR(i.invoice_date, 1, 4) = $2 AND ($3 = '' OR SUBSTR(l.task_code, 1, 2) = SUBSTR($3, 1, 2))",
        )
        .bind(m.id)
        .bind(&year)
        .bind(&b.phase)
        .fetch_one(app.db.pool())
        .await?;
        let used = if b.amount_e4 > 0 {
            (actual as i128 * 100 / b.amount_e4 as i128) as i64
        } else {
            0
        };
        budgets.push(BudgetView {
            fiscal_period: b.fiscal_period,
            phase: if b.phase.is_empty() {
                "Total".into()
            } else {
                b.phase
            },
            amount: format_e4(b.amount_e4),
            actual: format_e4(actual),
            used_percent: used,
            over: actual > b.amount_e4,
        });
    }
    let accruals = crate::spend::vendors::accruals(app, user, Some(m.id), None).await?;
    Ok(Some(SpendView {
        assignments,
        budgets,
        accruals,
        billed: format_e4(billed),
        approved: format_e4(approved),
        invoices,
        can_manage: user.can(Permission::ManageVendors),
    }))
}

#[derive(Template)]
#[template(path = "matters/detail.html")]
struct DetailPage {
    layout: Layout,
    m: Matter,
    wall: Vec<WallMember>,
    can_manage: bool,
    wall_error: Option<String>,
    spend: Option<SpendView>,
}

async fn detail_page(
    ctx: &PageCtx,
    id: i64,
    wall_error: Option<String>,
    status: StatusCode,
) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    let m = store::get(&ctx.app, &user, id).await?;
    let wall = if m.confidential != 0 {
        store::wall_members(&ctx.app, &user, id).await?
    } else {
        vec![]
    };
    let title = format!("{} {}", m.number, m.name);
    let spend = spend_view(ctx, &user, &m).await?;
    let mut r = ctx.render(DetailPage {
        layout: ctx.layout(&title, "matters"),
        m,
        wall,
        can_manage: user.can(Permission::ManageMatters),
        wall_error,
        spend,
    })?;
    *r.status_mut() = status;
    Ok(r)
}

/// GET /matters/{id}
pub async fn detail(ctx: PageCtx, Path(id): Path<i64>) -> PageResult<Response> {
    detail_page(&ctx, id, None, StatusCode::OK).await
}

#[derive(Template)]
#[template(path = "matters/form.html")]
struct FormPage {
    layout: Layout,
    id: Option<i64>,
    form: FormValues,
    errors: HashMap<String, String>,
    types: Vec<MatterType>,
    statuses: Vec<(&'static str, &'static str)>,
}

/// The matter form's fields as typed.
#[derive(Deserialize, Default, Clone)]
pub struct FormValues {
    #[serde(default)]
    number: String,
    #[serde(default)]
    name: String,
    #[serde(default, rename = "type")]
    type_code: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    practice_area: String,
    #[serde(default)]
    business_owner: String,
    #[serde(default)]
    responsible_attorney_email: String,
    #[serde(default)]
    opened_on: String,
    #[serde(default)]
    closed_on: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    confidential: Option<String>,
}

impl FormValues {
    fn input(&self) -> MatterInput {
        MatterInput {
            number: self.number.clone(),
            name: self.name.clone(),
            type_code: self.type_code.clone(),
            status: self.status.clone(),
            practice_area: self.practice_area.clone(),
            business_owner: self.business_owner.clone(),
            responsible_attorney_email: self.responsible_attorney_email.clone(),
            opened_on: self.opened_on.clone(),
            closed_on: self.closed_on.clone(),
            description: self.description.clone(),
            confidential: self.confidential.is_some(),
        }
    }
}

async fn form_page(
    ctx: &PageCtx,
    id: Option<i64>,
    form: FormValues,
    errors: HashMap<String, String>,
) -> PageResult<Response> {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let title = if id.is_some() {
        "Edit matter"
    } else {
        "New matter"
    };
    let mut r = ctx.render(FormPage {
        layout: ctx.layout(title, "matters"),
        id,
        form,
        errors,
        types: store::types(&ctx.app).await?,
        statuses: statuses(),
    })?;
    *r.status_mut() = status;
    Ok(r)
}

/// GET /matters/new
pub async fn new_form(ctx: PageCtx) -> PageResult<Response> {
    form_page(
        &ctx,
        None,
        FormValues {
            type_code: "litigation".into(),
            status: "open".into(),
            ..Default::default()
        },
        HashMap::new(),
    )
    .await
}

/// POST /matters
pub async fn create(ctx: PageCtx, Form(f): Form<FormValues>) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    match store::create(&ctx.app, &user, &f.input()).await {
        Ok(m) => Ok(redirect_with_flash(
            &ctx.app,
            &format!("/matters/{}", m.id),
            FlashKind::Success,
            &format!("Matter {} created.", m.number),
        )),
        Err(e) => form_page(&ctx, None, f, e.into_field_map()?).await,
    }
}

/// GET /matters/{id}/edit
pub async fn edit_form(ctx: PageCtx, Path(id): Path<i64>) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    let m = store::get(&ctx.app, &user, id).await?;
    let email: Option<String> = match m.responsible_attorney_id {
        Some(a) => sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
            .bind(a)
            .fetch_optional(ctx.app.db.pool())
            .await
            .map_err(AppError::from)?,
        None => None,
    };
    let form = FormValues {
        number: m.number,
        name: m.name,
        type_code: m.type_code,
        status: m.status,
        practice_area: m.practice_area,
        business_owner: m.business_owner,
        responsible_attorney_email: email.unwrap_or_default(),
        opened_on: m.opened_on.unwrap_or_default(),
        closed_on: m.closed_on.unwrap_or_default(),
        description: m.description,
        confidential: (m.confidential != 0).then(|| "1".into()),
    };
    form_page(&ctx, Some(id), form, HashMap::new()).await
}

/// POST /matters/{id}
pub async fn update(
    ctx: PageCtx,
    Path(id): Path<i64>,
    Form(f): Form<FormValues>,
) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    match store::update(&ctx.app, &user, id, &f.input()).await {
        Ok(m) => Ok(redirect_with_flash(
            &ctx.app,
            &format!("/matters/{}", m.id),
            FlashKind::Success,
            "Matter saved.",
        )),
        Err(e) => form_page(&ctx, Some(id), f, e.into_field_map()?).await,
    }
}

#[derive(Deserialize)]
pub struct WallForm {
    email: String,
    action: String,
}

/// POST /matters/{id}/wall
pub async fn change_wall(
    ctx: PageCtx,
    Path(id): Path<i64>,
    Form(f): Form<WallForm>,
) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    match store::change_wall(&ctx.app, &user, id, &f.email, f.action == "add").await {
        Ok(()) => Ok(redirect_with_flash(
            &ctx.app,
            &format!("/matters/{id}"),
            FlashKind::Success,
            if f.action == "add" {
                "Added to the ethical wall."
            } else {
                "Removed from the ethical wall."
            },
        )),
        Err(AppError::Validation(errs)) => {
            let msg = errs
                .into_iter()
                .map(|e| e.message)
                .collect::<Vec<_>>()
                .join(" ");
            detail_page(&ctx, id, Some(msg), StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "matters/import.html")]
struct ImportPage {
    layout: Layout,
    report: Option<ImportReport>,
    problems: Vec<ImportProblem>,
    columns: String,
}

/// GET /matters/import
pub async fn import_form(ctx: PageCtx) -> PageResult<Response> {
    ctx.render(ImportPage {
        layout: ctx.layout("Import matters", "matters"),
        report: None,
        problems: vec![],
        columns: store::CSV_COLUMNS.join(","),
    })
}

/// POST /matters/import (multipart, CSRF token in the `X-CSRF-Token` header or `_csrf` query)
pub async fn import(ctx: PageCtx, multipart: Multipart) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    let file = crate::platform::web::read_one_file(multipart, "file", "upload.csv").await?;
    let Some((name, bytes)) = file else {
        let page = ImportPage {
            layout: ctx.layout("Import matters", "matters"),
            report: None,
            problems: vec![ImportProblem::no_file()],
            columns: store::CSV_COLUMNS.join(","),
        };
        let mut r = ctx.render(page)?;
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(r);
    };
    let outcome = store::import_csv(&ctx.app, &user, &name, &bytes).await?;
    let (report, problems, status) = match outcome {
        Ok(r) => (Some(r), vec![], StatusCode::OK),
        Err(p) => (None, p, StatusCode::UNPROCESSABLE_ENTITY),
    };
    let mut r = ctx.render(ImportPage {
        layout: ctx.layout("Import matters", "matters"),
        report,
        problems,
        columns: store::CSV_COLUMNS.join(","),
    })?;
    *r.status_mut() = status;
    Ok(r)
}

#[derive(Deserialize)]
pub struct BudgetForm {
    fiscal_period: String,
    #[serde(default)]
    phase: String,
    amount: String,
    #[serde(default)]
    currency: String,
}

/// POST /matters/{id}/budgets
pub async fn set_budget(
    ctx: PageCtx,
    Path(id): Path<i64>,
    Form(f): Form<BudgetForm>,
) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    match crate::spend::vendors::set_budget(
        &ctx.app,
        &user,
        id,
        &f.fiscal_period,
        &f.phase,
        &f.amount,
        &f.currency,
    )
    .await
    {
        Ok(()) => Ok(redirect_with_flash(
            &ctx.app,
            &format!("/matters/{id}#spend"),
            FlashKind::Success,
            "Budget saved.",
        )),
        Err(AppError::Validation(e)) => {
            detail_page(
                &ctx,
                id,
                Some(
                    e.into_iter()
                        .map(|e| e.message)
                        .collect::<Vec<_>>()
                        .join(" "),
                ),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct AccrualForm {
    vendor_id: i64,
    period: String,
    amount: String,
    #[serde(default)]
    note: String,
}

/// POST /matters/{id}/accruals — an accrual entered by the department.
pub async fn record_accrual(
    ctx: PageCtx,
    Path(id): Path<i64>,
    Form(f): Form<AccrualForm>,
) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    store::get(&ctx.app, &user, id).await?;
    match crate::spend::vendors::record_accrual(
        &ctx.app,
        &user,
        f.vendor_id,
        id,
        &f.period,
        &f.amount,
        &f.note,
    )
    .await
    {
        Ok(()) => Ok(redirect_with_flash(
            &ctx.app,
            &format!("/matters/{id}#spend"),
            FlashKind::Success,
            "Accrual recorded.",
        )),
        Err(AppError::Validation(e)) => {
            detail_page(
                &ctx,
                id,
                Some(
                    e.into_iter()
                        .map(|e| e.message)
                        .collect::<Vec<_>>()
                        .join(" "),
                ),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
