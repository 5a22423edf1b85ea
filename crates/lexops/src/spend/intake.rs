//! LEDES invoice intake: a file (1998B, 98BI or XML) is validated by the `ledes` crate; any
//! structural or arithmetic error rejects the whole file with the LEDES report and nothing is
//! stored. Accepted invoices are matched to the vendor by `LAW_FIRM_ID` and to the matter by
//! the vendor's assignment (`LAW_FIRM_MATTER_ID` or `CLIENT_MATTER_ID`); an unknown or closed
//! matter, a foreign firm id or a duplicate invoice number rejects the file too. A corrected
//! resubmission replaces an invoice that was rejected or returned. Everything of one file is
//! written in one transaction, with its audit events, then checked against the billing
//! guidelines (`review::evaluate_and_route`).

use std::collections::HashMap;

use serde::Serialize;
use serde_json::json;

use super::money::to_e4;
use super::vendors::vendor_scope;
use crate::App;
use crate::platform::access::CurrentUser;
use crate::platform::audit::{self, Change};
use crate::platform::db::Tx;
use crate::platform::error::AppError;

/// One reason a file was rejected, as the firm's billing clerk needs it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct IntakeProblem {
    pub file: String,
    /// Line of the file (pipe formats).
    pub line: Option<u64>,
    pub field: Option<String>,
    pub invoice: Option<String>,
    pub line_item: Option<String>,
    /// The LEDES standard error code, where one applies.
    pub code: Option<String>,
    /// error or warning.
    pub severity: String,
    pub message: String,
}

impl IntakeProblem {
    fn error(
        file: &str,
        invoice: Option<&str>,
        field: Option<&str>,
        message: String,
    ) -> IntakeProblem {
        IntakeProblem {
            file: file.to_string(),
            line: None,
            field: field.map(str::to_string),
            invoice: invoice.map(str::to_string),
            line_item: None,
            code: None,
            severity: "error".into(),
            message,
        }
    }

    /// `file:line: error [field F, invoice I, line L] message (LEDES code C)`.
    pub fn render(&self) -> String {
        let mut ctx = vec![];
        if let Some(f) = &self.field {
            ctx.push(format!("field {f}"));
        }
        if let Some(i) = &self.invoice {
            ctx.push(format!("invoice {i}"));
        }
        if let Some(l) = &self.line_item {
            ctx.push(format!("line {l}"));
        }
        let loc = match self.line {
            Some(l) => format!("{}:{l}", self.file),
            None => self.file.clone(),
        };
        let ctx = if ctx.is_empty() {
            String::new()
        } else {
            format!(" [{}]", ctx.join(", "))
        };
        let code = self
            .code
            .as_ref()
            .map(|c| format!(" (LEDES code {c})"))
            .unwrap_or_default();
        format!("{loc}: {}{ctx} {}{code}", self.severity, self.message)
    }
}

/// What happened to a submitted file.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct IntakeOutcome {
    pub file: String,
    /// True when the file was accepted (its invoices are stored).
    pub accepted: bool,
    /// Ids of the stored invoices.
    pub invoice_ids: Vec<i64>,
    /// Invoices that replaced an earlier rejected or returned version.
    pub replaced: usize,
    pub line_items: usize,
    /// Errors (rejection) and warnings.
    pub problems: Vec<IntakeProblem>,
}

struct Matched {
    vendor_id: i64,
    matter_id: i64,
    replaces: Option<i64>,
}

/// Reads, checks and stores a LEDES file submitted by `user` (a vendor through the portal or
/// API, or legal ops). The file is rejected whole on any error.
pub async fn submit(
    app: &App,
    user: &CurrentUser,
    file: &str,
    bytes: &[u8],
) -> Result<IntakeOutcome, AppError> {
    let opts = ledes::ValidateOptions {
        keep_invoices: true,
        ..Default::default()
    };
    let bytes_owned = bytes.to_vec();
    let report = tokio::task::spawn_blocking(move || ledes::validate(&bytes_owned, &opts))
        .await
        .map_err(anyhow::Error::from)?;
    let mut problems: Vec<IntakeProblem> = report
        .findings
        .iter()
        .map(|f| IntakeProblem {
            file: file.to_string(),
            line: f.line,
            field: f.field.map(str::to_string),
            invoice: f.invoice.clone(),
            line_item: f.line_item.clone(),
            code: f.code.map(str::to_string),
            severity: f.severity.as_str().to_string(),
            message: f.message.clone(),
        })
        .collect();
    let reject = |problems: Vec<IntakeProblem>, lines: usize| IntakeOutcome {
        file: file.to_string(),
        accepted: false,
        invoice_ids: vec![],
        replaced: 0,
        line_items: lines,
        problems,
    };
    if report.format.is_none() {
        if problems.is_empty() {
            problems.push(IntakeProblem::error(
                file,
                None,
                None,
                "this is not a LEDES file (1998B, 98BI or LEDES XML)".into(),
            ));
        }
        return Ok(reject(problems, 0));
    }
    if report.has_errors() {
        return Ok(reject(problems, report.line_items));
    }
    if report.invoices.is_empty() {
        problems.push(IntakeProblem::error(
            file,
            None,
            None,
            "the file holds no invoice".into(),
        ));
        return Ok(reject(problems, 0));
    }
    // Match every invoice before writing anything.
    let scope = vendor_scope(user);
    let mut matched = vec![];
    let mut errors = vec![];
    let mut in_file: HashMap<(i64, String), ()> = HashMap::new();
    for inv in &report.invoices {
        let num = inv.invoice_number.as_str();
        let vendor: Option<(i64, String)> =
            sqlx::query_as("SELECT id, status FROM vendors WHERE law_firm_id = $1")
                .bind(inv.law_firm_id.trim())
                .fetch_optional(app.db.pool())
                .await?;
        let Some((vendor_id, vendor_status)) = vendor else {
            errors.push(IntakeProblem::error(
                file,
                Some(num),
                Some("LAW_FIRM_ID"),
                format!(
                    "no vendor has the tax id {}: ask the legal department to register your firm",
                    inv.law_firm_id
                ),
            ));
            continue;
        };
        if let Some(s) = scope
            && s != vendor_id
        {
            errors.push(IntakeProblem::error(
                file,
                Some(num),
                Some("LAW_FIRM_ID"),
                format!("{} is not your firm's tax id", inv.law_firm_id),
            ));
            continue;
        }
        if vendor_status != "active" {
            errors.push(IntakeProblem::error(
                file,
                Some(num),
                Some("LAW_FIRM_ID"),
                "this vendor is inactive and cannot submit invoices".into(),
            ));
            continue;
        }
        let mut firm_ids: Vec<(&str, Option<&str>)> = inv
            .line_items
            .iter()
            .map(|l| (l.law_firm_matter_id.as_str(), l.client_matter_id.as_deref()))
            .collect();
        firm_ids.sort();
        firm_ids.dedup();
        if firm_ids.len() != 1 {
            errors.push(IntakeProblem::error(
                file,
                Some(num),
                Some("LAW_FIRM_MATTER_ID"),
                "this invoice bills several matters: send one invoice per matter".into(),
            ));
            continue;
        }
        let (firm_matter, client_matter) = firm_ids[0];
        let m: Option<(i64, String)> = sqlx::query_as(
            "SELECT a.matter_id, m.status FROM matter_assignments a JOIN matters m ON m.id = a.matter_id \
             WHERE a.vendor_id = $1 AND a.status = 'active' AND ((a.firm_matter_id <> '' AND a.firm_matter_id = $2) OR (a.client_matter_id <> '' AND a.client_matter_id = $3)) ORDER BY a.id LIMIT 1",
        )
        .bind(vendor_id)
        .bind(firm_matter.trim())
        .bind(client_matter.unwrap_or("").trim())
        .fetch_optional(app.db.pool())
        .await?;
        let Some((matter_id, matter_status)) = m else {
            errors.push(IntakeProblem::error(
                file,
                Some(num),
                Some("CLIENT_MATTER_ID"),
                format!(
                    "matter {} (your matter id {}) is unknown or not assigned to your firm",
                    client_matter.unwrap_or("—"),
                    firm_matter
                ),
            ));
            continue;
        };
        if matter_status == "closed" {
            errors.push(IntakeProblem::error(
                file,
                Some(num),
                Some("CLIENT_MATTER_ID"),
                format!(
                    "matter {} is closed and cannot be billed",
                    client_matter.unwrap_or(firm_matter)
                ),
            ));
            continue;
        }
        if in_file.insert((vendor_id, num.to_string()), ()).is_some() {
            errors.push(IntakeProblem::error(
                file,
                Some(num),
                Some("INVOICE_NUMBER"),
                "this invoice number appears twice in the file".into(),
            ));
            continue;
        }
        let existing: Option<(i64, String)> = sqlx::query_as(
            "SELECT id, status FROM invoices WHERE vendor_id = $1 AND invoice_number = $2",
        )
        .bind(vendor_id)
        .bind(num)
        .fetch_optional(app.db.pool())
        .await?;
        let replaces = match existing {
            Some((id, status)) if status == "rejected" || status == "returned" => Some(id),
            Some(_) => {
                let mut p = IntakeProblem::error(
                    file,
                    Some(num),
                    Some("INVOICE_NUMBER"),
                    format!(
                        "invoice {num} was already submitted; a duplicate invoice number is refused"
                    ),
                );
                p.code = Some("R401".into());
                errors.push(p);
                continue;
            }
            None => None,
        };
        matched.push(Matched {
            vendor_id,
            matter_id,
            replaces,
        });
    }
    if !errors.is_empty() {
        problems.extend(errors);
        return Ok(reject(problems, report.line_items));
    }
    let sha = crate::platform::blobs::put(app, bytes).await?;
    let format = report
        .format
        .map(|f| f.name().to_string())
        .unwrap_or_default();
    let now = app.clock.now_text();
    let mut tx = app.db.begin().await?;
    let mut ids = vec![];
    let mut replaced = 0;
    for (inv, m) in report.invoices.iter().zip(&matched) {
        let id = store_invoice(&mut tx, &now, user, inv, m, &format, &sha)
            .await
            .map_err(|e| match e {
                StoreError::Amount(msg) => {
                    AppError::BadRequest(format!("{file}: invoice {}: {msg}", inv.invoice_number))
                }
                StoreError::Sql(e) => e.into(),
            })?;
        if m.replaces.is_some() {
            replaced += 1;
        }
        ids.push(id);
    }
    for id in &ids {
        super::review::evaluate_and_route(app, &mut tx, *id, &now).await?;
    }
    tx.commit().await?;
    super::review::notify_queued(app).await;
    Ok(IntakeOutcome {
        file: file.to_string(),
        accepted: true,
        invoice_ids: ids,
        replaced,
        line_items: report.line_items,
        problems,
    })
}

enum StoreError {
    Amount(String),
    Sql(sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::Sql(e)
    }
}

fn e4(d: ledes::Decimal, what: &str) -> Result<i64, StoreError> {
    to_e4(d).ok_or_else(|| {
        StoreError::Amount(format!(
            "{what} {d} has more than four decimals or is too large"
        ))
    })
}

const LINE_COLS: usize = 17;

async fn store_invoice(
    tx: &mut Tx,
    now: &str,
    user: &CurrentUser,
    inv: &ledes::Invoice,
    m: &Matched,
    format: &str,
    sha: &str,
) -> Result<i64, StoreError> {
    let mut fees = 0i64;
    let mut expenses = 0i64;
    for l in &inv.line_items {
        let t = e4(l.total, "line total")?;
        if l.line_type.is_fee_side() {
            fees += t
        } else {
            expenses += t
        }
    }
    let total = e4(inv.total, "invoice total")?;
    let currency = inv.currency.clone().unwrap_or_else(|| "USD".into());
    let start = inv
        .billing_start
        .map(|d| d.to_string())
        .unwrap_or_else(|| inv.invoice_date.to_string());
    let end = inv
        .billing_end
        .map(|d| d.to_string())
        .unwrap_or_else(|| inv.invoice_date.to_string());
    let id = match m.replaces {
        Some(old) => {
            sqlx::query("DELETE FROM invoice_flags WHERE invoice_id = $1").bind(old).execute(&mut **tx).await?;
            sqlx::query("DELETE FROM invoice_lines WHERE invoice_id = $1").bind(old).execute(&mut **tx).await?;
            sqlx::query("DELETE FROM invoice_approvals WHERE invoice_id = $1").bind(old).execute(&mut **tx).await?;
            sqlx::query(
                "UPDATE invoices SET matter_id = $1, invoice_date = $2, billing_start = $3, billing_end = $4, description = $5, currency = $6, total_e4 = $7, \
                 adjusted_total_e4 = $7, fees_e4 = $8, expenses_e4 = $9, line_count = $10, status = 'in_review', format = $11, source_sha256 = $12, \
                 version = version + 1, approval_step = 0, submitted_by = $13, received_at = $14, decided_at = NULL WHERE id = $15",
            )
            .bind(m.matter_id)
            .bind(inv.invoice_date.to_string())
            .bind(&start)
            .bind(&end)
            .bind(&inv.description)
            .bind(&currency)
            .bind(total)
            .bind(fees)
            .bind(expenses)
            .bind(inv.line_items.len() as i64)
            .bind(format)
            .bind(sha)
            .bind(user.id)
            .bind(now)
            .bind(old)
            .execute(&mut **tx)
            .await?;
            old
        }
        None => {
            sqlx::query_scalar::<_, i64>(
                "INSERT INTO invoices (vendor_id, matter_id, invoice_number, invoice_date, billing_start, billing_end, description, currency, total_e4, adjusted_total_e4, \
                 fees_e4, expenses_e4, line_count, status, format, source_sha256, submitted_by, received_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $11, $12, 'in_review', $13, $14, $15, $16) RETURNING id",
            )
            .bind(m.vendor_id)
            .bind(m.matter_id)
            .bind(&inv.invoice_number)
            .bind(inv.invoice_date.to_string())
            .bind(&start)
            .bind(&end)
            .bind(&inv.description)
            .bind(&currency)
            .bind(total)
            .bind(fees)
            .bind(expenses)
            .bind(inv.line_items.len() as i64)
            .bind(format)
            .bind(sha)
            .bind(user.id)
            .bind(now)
            .fetch_one(&mut **tx)
            .await?
        }
    };
    // Line items in batches: one multi-row INSERT per 500 lines.
    for chunk in inv.line_items.chunks(500) {
        let mut sql = String::from(
            "INSERT INTO invoice_lines (invoice_id, line_no, line_type, line_date, timekeeper_code, timekeeper_name, classification, task_code, activity_code, \
             expense_code, narrative, units_e4, rate_e4, adjustment_e4, total_e4, adjusted_total_e4, status) VALUES ",
        );
        for i in 0..chunk.len() {
            if i > 0 {
                sql.push(',');
            }
            sql.push('(');
            for c in 0..LINE_COLS {
                if c > 0 {
                    sql.push(',');
                }
                sql.push_str(&format!("${}", i * LINE_COLS + c + 1));
            }
            sql.push(')');
        }
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for l in chunk {
            let total = e4(l.total, "line total")?;
            q = q
                .bind(id)
                .bind(l.number.clone())
                .bind(l.line_type.code())
                .bind(l.date.to_string())
                .bind(l.timekeeper_id.clone().unwrap_or_default())
                .bind(l.timekeeper_name.clone().unwrap_or_default())
                .bind(l.timekeeper_classification.clone().unwrap_or_default())
                .bind(l.task_code.clone().unwrap_or_default())
                .bind(l.activity_code.clone().unwrap_or_default())
                .bind(l.expense_code.clone().unwrap_or_default())
                .bind(l.description.clone())
                .bind(e4(l.units.unwrap_or_default(), "units")?)
                .bind(e4(l.unit_cost.unwrap_or_default(), "unit cost")?)
                .bind(e4(l.adjustment.unwrap_or_default(), "adjustment")?)
                .bind(total)
                .bind(total)
                .bind("open");
        }
        q.execute(&mut **tx).await?;
    }
    sqlx::query("INSERT INTO invoice_events (invoice_id, at, actor_id, kind, note) VALUES ($1, $2, $3, $4, $5)")
        .bind(id)
        .bind(now)
        .bind(user.id)
        .bind(if m.replaces.is_some() { "resubmitted" } else { "received" })
        .bind(format!("{} line items, {format}", inv.line_items.len()))
        .execute(&mut **tx)
        .await?;
    audit::record(tx, now, &user.actor(), Change {
        action: if m.replaces.is_some() { "invoice.resubmit" } else { "invoice.receive" },
        object_type: "invoice",
        object_id: id.to_string(),
        before: None,
        after: Some(json!({"vendor_id": m.vendor_id, "matter_id": m.matter_id, "invoice_number": inv.invoice_number, "total": inv.total.to_string(), "lines": inv.line_items.len(), "source_sha256": sha})),
    })
    .await?;
    Ok(id)
}
