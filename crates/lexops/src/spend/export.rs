//! The accounts-payable export: approved invoices, with the department's adjustments applied,
//! as CSV (with a configurable column mapping), JSON or LEDES 1998B. Every export is recorded
//! with its file (in the document store); an invoice is exported once — the unique
//! `ap_export_items.invoice_id` makes a second export of it impossible, by accident or race.

use askama::Template;
use axum::Form;
use axum::extract::Path;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::model::InvoiceLine;
use super::money::{format_e4, from_e4};
use super::pages::Fmt;
use super::review::LINE_COLS;
use crate::App;
use crate::platform::access::CurrentUser;
use crate::platform::audit::{self, Change};
use crate::platform::error::{AppError, PageResult};
use crate::platform::web::redirect_with_flash;
use crate::platform::web::ui::{FlashKind, Layout, PageCtx};

/// The fields a CSV export can have, in the default order.
pub const FIELDS: &[&str] = &[
    "vendor_name",
    "vendor_tax_id",
    "invoice_number",
    "invoice_date",
    "matter_number",
    "matter_name",
    "currency",
    "billed",
    "approved",
    "adjustments",
    "approved_on",
];

/// An approved invoice as exported.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct ExportRow {
    pub id: i64,
    pub vendor_name: String,
    pub vendor_tax_id: String,
    pub invoice_number: String,
    pub invoice_date: String,
    pub billing_start: String,
    pub billing_end: String,
    pub description: String,
    pub matter_number: String,
    pub matter_name: String,
    pub client_matter_id: Option<String>,
    pub firm_matter_id: Option<String>,
    pub currency: String,
    pub total_e4: i64,
    pub adjusted_total_e4: i64,
    pub decided_at: Option<String>,
}

impl ExportRow {
    fn field(&self, name: &str) -> String {
        match name {
            "vendor_name" => self.vendor_name.clone(),
            "vendor_tax_id" => self.vendor_tax_id.clone(),
            "invoice_number" => self.invoice_number.clone(),
            "invoice_date" => self.invoice_date.clone(),
            "matter_number" => self.matter_number.clone(),
            "matter_name" => self.matter_name.clone(),
            "currency" => self.currency.clone(),
            "billed" => format_e4(self.total_e4).replace(',', ""),
            "approved" => format_e4(self.adjusted_total_e4).replace(',', ""),
            "adjustments" => format_e4(self.total_e4 - self.adjusted_total_e4).replace(',', ""),
            "approved_on" => self
                .decided_at
                .as_deref()
                .map(|d| d.get(..10).unwrap_or(d).to_string())
                .unwrap_or_default(),
            _ => String::new(),
        }
    }
}

/// The CSV columns in force (setting `ap_export_columns`, default [`FIELDS`]).
pub async fn columns(app: &App) -> Result<Vec<String>, AppError> {
    Ok(match app.db.setting("ap_export_columns").await? {
        Some(s) => s
            .split(',')
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty())
            .collect(),
        None => FIELDS.iter().map(|s| s.to_string()).collect(),
    })
}

/// Changes the CSV column mapping.
pub async fn set_columns(app: &App, user: &CurrentUser, list: &str) -> Result<(), AppError> {
    let cols: Vec<String> = list
        .split(',')
        .map(|c| c.trim().to_ascii_lowercase())
        .filter(|c| !c.is_empty())
        .collect();
    if cols.is_empty() {
        return Err(AppError::field("columns", "Choose at least one column."));
    }
    if let Some(bad) = cols.iter().find(|c| !FIELDS.contains(&c.as_str())) {
        return Err(AppError::field(
            "columns",
            format!("{bad} is not an export field; use {}", FIELDS.join(", ")),
        ));
    }
    let now = app.clock.now_text();
    let mut tx = app.db.begin().await?;
    crate::platform::db::set_setting(&mut tx, "ap_export_columns", &cols.join(",")).await?;
    audit::record(
        &mut tx,
        &now,
        &user.actor(),
        Change {
            action: "settings.ap_export_columns",
            object_type: "setting",
            object_id: "ap_export_columns".into(),
            before: None,
            after: Some(json!({"columns": cols})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

const ROW_SELECT: &str = "SELECT i.id, v.name AS vendor_name, v.law_firm_id AS vendor_tax_id, i.invoice_number, i.invoice_date, i.billing_start, i.billing_end, i.description, \
     m.number AS matter_number, m.name AS matter_name, a.client_matter_id, a.firm_matter_id, i.currency, i.total_e4, i.adjusted_total_e4, i.decided_at \
     FROM invoices i JOIN vendors v ON v.id = i.vendor_id JOIN matters m ON m.id = i.matter_id LEFT JOIN matter_assignments a ON a.matter_id = i.matter_id AND a.vendor_id = i.vendor_id";

/// Approved invoices not yet exported.
pub async fn pending(app: &App) -> Result<Vec<ExportRow>, AppError> {
    Ok(sqlx::query_as::<_, ExportRow>(sqlx::AssertSqlSafe(format!(
        "{ROW_SELECT} WHERE i.status = 'approved' ORDER BY v.name, i.invoice_number"
    )))
    .fetch_all(app.db.pool())
    .await?)
}

fn ledes_file(rows: &[ExportRow], lines: &[Vec<InvoiceLine>]) -> Result<Vec<u8>, AppError> {
    let d = |s: &str| {
        ledes::Date::parse_iso(s)
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("stored date {s} is not a date")))
    };
    let mut out = vec![];
    for (r, ls) in rows.iter().zip(lines) {
        let mut items = vec![];
        for l in ls {
            let units = from_e4(l.units_e4);
            let rate = from_e4(l.rate_e4);
            let approved = from_e4(l.adjusted_total_e4);
            let line_type =
                ledes::LineType::from_code(&l.line_type).unwrap_or(ledes::LineType::Fee);
            // The approved amount goes out as the line total; the difference from units × rate
            // is the adjustment, so the file's arithmetic holds.
            let adjustment = if line_type.is_adjustment() {
                approved
            } else {
                approved - units * rate
            };
            items.push(ledes::LineItem {
                number: l.line_no.clone(),
                line_type,
                date: d(&l.line_date)?,
                units: (!line_type.is_adjustment()).then_some(units),
                unit_cost: (!line_type.is_adjustment()).then_some(rate),
                adjustment: Some(adjustment),
                total: approved,
                task_code: Some(l.task_code.clone()).filter(|c| !c.is_empty()),
                expense_code: Some(l.expense_code.clone()).filter(|c| !c.is_empty()),
                activity_code: Some(l.activity_code.clone()).filter(|c| !c.is_empty()),
                timekeeper_id: Some(l.timekeeper_code.clone()).filter(|c| !c.is_empty()),
                timekeeper_name: Some(l.timekeeper_name.clone()).filter(|c| !c.is_empty()),
                timekeeper_classification: Some(l.classification.clone()).filter(|c| !c.is_empty()),
                timekeeper_last_name: None,
                timekeeper_first_name: None,
                description: l.narrative.clone(),
                law_firm_matter_id: r.firm_matter_id.clone().unwrap_or_default(),
                client_matter_id: Some(
                    r.client_matter_id
                        .clone()
                        .unwrap_or_else(|| r.matter_number.clone()),
                ),
                matter_name: None,
                tax_rate: None,
                tax_total: None,
                tax_type: None,
            });
        }
        let total: Decimal = items.iter().map(|i| i.total).sum();
        out.push(ledes::Invoice {
            invoice_number: r.invoice_number.clone(),
            invoice_date: d(&r.invoice_date)?,
            client_id: "LEXOPS".into(),
            law_firm_id: r.vendor_tax_id.clone(),
            billing_start: Some(d(&r.billing_start)?),
            billing_end: Some(d(&r.billing_end)?),
            description: r.description.clone(),
            total,
            po_number: None,
            client_tax_id: None,
            tax_total: None,
            net_total: None,
            currency: None,
            account_type: None,
            reported_tax_total: None,
            tax_currency: None,
            law_firm: ledes::Party::default(),
            client: ledes::Party::default(),
            line_items: items,
        });
    }
    ledes::write(&out, ledes::Format::Ledes1998B)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("cannot write LEDES: {e}")))
}

/// A recorded export.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ApExport {
    pub id: i64,
    pub format: String,
    pub created_by: Option<String>,
    pub created_at: String,
    pub invoice_count: i64,
    pub total_e4: i64,
    pub file_sha256: String,
}

/// Exports every approved, not yet exported invoice in `format` (csv, json or ledes).
/// Returns the export's id, or `None` when nothing waits.
pub async fn create(app: &App, user: &CurrentUser, format: &str) -> Result<Option<i64>, AppError> {
    if !matches!(format, "csv" | "json" | "ledes") {
        return Err(AppError::field("format", "Choose csv, json or ledes."));
    }
    let rows = pending(app).await?;
    if rows.is_empty() {
        return Ok(None);
    }
    // The lines only for the formats that carry them (a CSV export is one row per invoice).
    let mut lines = vec![];
    if format != "csv" {
        for r in &rows {
            lines.push(
                sqlx::query_as::<_, InvoiceLine>(sqlx::AssertSqlSafe(format!(
                    "SELECT {LINE_COLS} FROM invoice_lines WHERE invoice_id = $1 ORDER BY id"
                )))
                .bind(r.id)
                .fetch_all(app.db.pool())
                .await?,
            );
        }
    }
    let file = match format {
        "csv" => {
            let cols = columns(app).await?;
            let mut w = csv::Writer::from_writer(vec![]);
            w.write_record(&cols).map_err(anyhow::Error::from)?;
            for r in &rows {
                w.write_record(cols.iter().map(|c| r.field(c)))
                    .map_err(anyhow::Error::from)?;
            }
            w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?
        }
        "json" => {
            let invoices: Vec<serde_json::Value> = rows
                .iter()
                .zip(&lines)
                .map(|(r, ls)| {
                    json!({
                        "vendor": r.vendor_name, "vendor_tax_id": r.vendor_tax_id, "invoice_number": r.invoice_number, "invoice_date": r.invoice_date,
                        "matter_number": r.matter_number, "currency": r.currency, "billed": format_e4(r.total_e4).replace(',', ""),
                        "approved": format_e4(r.adjusted_total_e4).replace(',', ""), "approved_on": r.decided_at,
                        "lines": ls.iter().map(|l| json!({"line": l.line_no, "type": l.line_type, "date": l.line_date, "billed": format_e4(l.total_e4).replace(',', ""), "approved": format_e4(l.adjusted_total_e4).replace(',', "")})).collect::<Vec<_>>(),
                    })
                })
                .collect();
            serde_json::to_vec_pretty(&json!({ "invoices": invoices }))
                .map_err(anyhow::Error::from)?
        }
        _ => ledes_file(&rows, &lines)?,
    };
    let sha = crate::platform::blobs::put(app, &file).await?;
    let total: i64 = rows.iter().map(|r| r.adjusted_total_e4).sum();
    let now = app.clock.now_text();
    let mut tx = app.db.begin().await?;
    let id: i64 = sqlx::query_scalar("INSERT INTO ap_exports (format, created_by, created_at, invoice_count, total_e4, file_sha256) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
        .bind(format)
        .bind(user.id)
        .bind(&now)
        .bind(rows.len() as i64)
        .bind(total)
        .bind(&sha)
        .fetch_one(&mut *tx)
        .await?;
    let backend = app.db.backend();
    for chunk in rows.chunks(300) {
        // The unique invoice_id fails the whole export if another export took an invoice.
        let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO ap_export_items (export_id, invoice_id) VALUES {}",
            crate::platform::db::values(backend, chunk.len(), 2)
        )));
        for r in chunk {
            q = q.bind(id).bind(r.id);
        }
        q.execute(&mut *tx).await.map_err(|e| {
            if crate::platform::db::is_unique_violation(&e) {
                AppError::Conflict(
                    "an invoice of this export was exported meanwhile; run the export again".into(),
                )
            } else {
                e.into()
            }
        })?;
        let list = chunk
            .iter()
            .map(|r| r.id.to_string())
            .collect::<Vec<_>>()
            .join(",");
        let n = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE invoices SET status = 'exported', exported_at = $1 WHERE id IN ({list}) AND status = 'approved'"
        )))
        .bind(&now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n != chunk.len() as u64 {
            return Err(AppError::Conflict(
                "an invoice of this export changed meanwhile; run the export again".into(),
            ));
        }
        let note = format!("AP export {id} ({format})");
        let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO invoice_events (invoice_id, at, actor_id, kind, note) VALUES {}",
            crate::platform::db::values(backend, chunk.len(), 5)
        )));
        for r in chunk {
            q = q
                .bind(r.id)
                .bind(&now)
                .bind(user.id)
                .bind("exported")
                .bind(&note);
        }
        q.execute(&mut *tx).await?;
    }
    audit::record(&mut tx, &now, &user.actor(), Change { action: "ap_export.create", object_type: "ap_export", object_id: id.to_string(), before: None, after: Some(json!({"format": format, "invoices": rows.iter().map(|r| r.id).collect::<Vec<_>>(), "total": format_e4(total), "sha256": sha})) }).await?;
    tx.commit().await?;
    Ok(Some(id))
}

/// Earlier exports, newest first.
pub async fn list(app: &App) -> Result<Vec<ApExport>, AppError> {
    Ok(sqlx::query_as::<_, ApExport>(
        "SELECT e.id, e.format, u.name AS created_by, e.created_at, e.invoice_count, e.total_e4, e.file_sha256 FROM ap_exports e LEFT JOIN users u ON u.id = e.created_by ORDER BY e.id DESC",
    )
    .fetch_all(app.db.pool())
    .await?)
}

/// The file of an export, with its name and content type.
pub async fn file(app: &App, id: i64) -> Result<(String, &'static str, Vec<u8>), AppError> {
    let (format, sha): (String, String) =
        sqlx::query_as("SELECT format, file_sha256 FROM ap_exports WHERE id = $1")
            .bind(id)
            .fetch_optional(app.db.pool())
            .await?
            .ok_or_else(|| AppError::NotFound("export".into()))?;
    let bytes = crate::platform::blobs::get(app, &sha).await?;
    let (ext, mime) = match format.as_str() {
        "csv" => ("csv", "text/csv; charset=utf-8"),
        "json" => ("json", "application/json"),
        _ => ("txt", "text/plain; charset=utf-8"),
    };
    Ok((format!("ap-export-{id}.{ext}"), mime, bytes))
}

#[derive(Template)]
#[template(path = "spend/exports.html")]
struct ExportsPage {
    layout: Layout,
    f: Fmt,
    pending: Vec<ExportRow>,
    exports: Vec<ApExport>,
    columns: String,
    fields: String,
}

/// GET /spend/exports
pub async fn page(ctx: PageCtx) -> PageResult<Response> {
    let pending = pending(&ctx.app).await?;
    let exports = list(&ctx.app).await?;
    let columns = columns(&ctx.app).await?.join(",");
    ctx.render(ExportsPage {
        layout: ctx.layout("AP exports", "exports"),
        f: Fmt,
        pending,
        exports,
        columns,
        fields: FIELDS.join(", "),
    })
}

#[derive(Deserialize)]
pub struct ExportForm {
    format: String,
}

/// POST /spend/exports
pub async fn create_page(ctx: PageCtx, Form(f): Form<ExportForm>) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    match create(&ctx.app, &user, &f.format).await? {
        Some(id) => Ok(redirect_with_flash(
            &ctx.app,
            "/spend/exports",
            FlashKind::Success,
            &format!("Export {id} created: download it below."),
        )),
        None => Ok(redirect_with_flash(
            &ctx.app,
            "/spend/exports",
            FlashKind::Info,
            "No approved invoice waits for export.",
        )),
    }
}

#[derive(Deserialize)]
pub struct ColumnsForm {
    columns: String,
}

/// POST /spend/exports/columns
pub async fn save_columns(ctx: PageCtx, Form(f): Form<ColumnsForm>) -> PageResult<Response> {
    let user = ctx.user()?.clone();
    match set_columns(&ctx.app, &user, &f.columns).await {
        Ok(()) => Ok(redirect_with_flash(
            &ctx.app,
            "/spend/exports",
            FlashKind::Success,
            "Column mapping saved.",
        )),
        Err(AppError::Validation(e)) => Ok(redirect_with_flash(
            &ctx.app,
            "/spend/exports",
            FlashKind::Error,
            &e.into_iter()
                .map(|e| e.message)
                .collect::<Vec<_>>()
                .join(" "),
        )),
        Err(e) => Err(e.into()),
    }
}

/// GET /spend/exports/{id}/download
pub async fn download(ctx: PageCtx, Path(id): Path<i64>) -> PageResult<Response> {
    let (name, mime, bytes) = file(&ctx.app, id).await?;
    let mut r = bytes.into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(r)
}
