//! Review and approval: applying the billing guidelines to a received invoice, routing it to
//! its approvers (rules as data), reviewer decisions on flags and lines, approval steps, the
//! firm's notification and appeals. Totals are recomputed exactly from the stored line totals,
//! flags and manual adjustments, never from floating point.

use guidelines::{Action, GuidelineSet};
use rust_decimal::Decimal;
use serde_json::json;

use super::model::{Invoice, InvoiceFlag, InvoiceLine};
use super::money::{format_e4, from_e4, to_e4};
use super::vendors::vendor_scope;
use crate::App;
use crate::platform::access::{CurrentUser, Role, visible_sql};
use crate::platform::audit::{self, Change};
use crate::platform::db::Tx;
use crate::platform::error::AppError;

use super::context::{FirmContext, MatterContext, classification, gdate, line_type};

/// The guideline set in force for a vendor and matter: department, overridden by vendor, then
/// by matter. Without a department set, the standard set applies.
pub async fn effective_set(
    app: &App,
    vendor_id: i64,
    matter_id: i64,
) -> Result<GuidelineSet, AppError> {
    GuidelineSets::load(app)
        .await?
        .effective(vendor_id, matter_id)
}

/// Every stored guideline set, read once (a file's invoices are judged with it).
pub struct GuidelineSets {
    rows: Vec<(String, i64, String)>,
}

impl GuidelineSets {
    pub async fn load(app: &App) -> Result<GuidelineSets, AppError> {
        Ok(GuidelineSets {
            rows: sqlx::query_as("SELECT scope, scope_id, rules_json FROM guideline_sets")
                .fetch_all(app.db.pool())
                .await?,
        })
    }

    /// Which layers apply to a firm and matter: (the firm's id if it has its own set, else 0;
    /// the matter's likewise). Firms and matters with the same key have the same set in force.
    pub fn layers(&self, vendor_id: i64, matter_id: i64) -> (i64, i64) {
        let has =
            |scope: &str, id: i64| self.rows.iter().any(|(s, sid, _)| s == scope && *sid == id);
        (
            if has("vendor", vendor_id) {
                vendor_id
            } else {
                0
            },
            if has("matter", matter_id) {
                matter_id
            } else {
                0
            },
        )
    }

    /// The set in force for a firm and matter: department ← firm ← matter.
    pub fn effective(&self, vendor_id: i64, matter_id: i64) -> Result<GuidelineSet, AppError> {
        let parse = |scope: &str, id: i64| -> Result<Option<GuidelineSet>, AppError> {
            match self
                .rows
                .iter()
                .find(|(s, sid, _)| s == scope && (scope == "department" || *sid == id))
            {
                Some((_, _, json)) => GuidelineSet::from_json(json).map(Some).map_err(|e| {
                    AppError::Internal(anyhow::anyhow!(
                        "stored {scope} guideline set is invalid: {e}"
                    ))
                }),
                None => Ok(None),
            }
        };
        let dept = parse("department", 0)?.unwrap_or_else(GuidelineSet::standard);
        let layers: Vec<GuidelineSet> = std::iter::once(dept)
            .chain(parse("vendor", vendor_id)?)
            .chain(parse("matter", matter_id)?)
            .collect();
        Ok(GuidelineSet::layered(layers.iter()))
    }
}

#[derive(sqlx::FromRow)]
pub struct InvRow {
    vendor_id: i64,
    matter_id: i64,
    invoice_number: String,
    invoice_date: String,
    billing_start: String,
    billing_end: String,
    currency: String,
    total_e4: i64,
}

/// Builds the engine's view of a stored invoice and the context it is judged in.
pub async fn engine_input(
    app: &App,
    conn: &mut sqlx::AnyConnection,
    invoice_id: i64,
) -> Result<
    (
        InvRow,
        Vec<InvoiceLine>,
        guidelines::Invoice,
        guidelines::Context,
    ),
    AppError,
> {
    let inv: InvRow = sqlx::query_as(
        "SELECT i.vendor_id, i.matter_id, i.invoice_number, i.invoice_date, i.billing_start, i.billing_end, i.currency, i.total_e4 FROM invoices i WHERE i.id = $1",
    )
    .bind(invoice_id)
    .fetch_one(&mut *conn)
    .await?;
    let lines = sqlx::query_as::<_, InvoiceLine>(sqlx::AssertSqlSafe(format!(
        "SELECT {LINE_COLS} FROM invoice_lines WHERE invoice_id = $1 ORDER BY id"
    )))
    .bind(invoice_id)
    .fetch_all(&mut *conn)
    .await?;
    let g_lines: Vec<guidelines::Line> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| guidelines::Line {
            line_number: (i + 1) as u32,
            line_type: line_type(&l.line_type),
            date: gdate(&l.line_date),
            timekeeper: (!l.timekeeper_code.is_empty()).then(|| guidelines::LineTimekeeper {
                id: l.timekeeper_code.clone(),
                name: l.timekeeper_name.clone(),
                classification: classification(&l.classification),
                classification_code: l.classification.clone(),
            }),
            units: from_e4(l.units_e4),
            rate: from_e4(l.rate_e4),
            adjustment: from_e4(l.adjustment_e4),
            total: from_e4(l.total_e4),
            tax_rate: None,
            tax: None,
            task_code: Some(l.task_code.clone()).filter(|c| !c.is_empty()),
            activity_code: Some(l.activity_code.clone()).filter(|c| !c.is_empty()),
            expense_code: Some(l.expense_code.clone()).filter(|c| !c.is_empty()),
            narrative: l.narrative.clone(),
            matter_id: inv.matter_id,
            client_matter_id: String::new(),
            firm_matter_id: String::new(),
        })
        .collect();
    let g_inv = guidelines::Invoice {
        vendor_id: inv.vendor_id.to_string(),
        invoice_number: inv.invoice_number.clone(),
        invoice_date: gdate(&inv.invoice_date),
        billing_start: gdate(&inv.billing_start),
        billing_end: gdate(&inv.billing_end),
        currency: inv.currency.clone(),
        total: from_e4(inv.total_e4),
        tax_total: Decimal::ZERO,
        lines: g_lines,
    };
    let today = app
        .clock
        .now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date()
        .to_string();
    let (min_date, max_date) = lines
        .iter()
        .fold((String::from("9999"), String::new()), |(lo, hi), l| {
            (lo.min(l.line_date.clone()), hi.max(l.line_date.clone()))
        });
    let firm = FirmContext::load(
        conn,
        &today,
        inv.vendor_id,
        (&min_date, &max_date),
        &[inv.invoice_number.as_str()],
        Some(invoice_id),
    )
    .await?;
    let matter = MatterContext::load(
        conn,
        inv.matter_id,
        &inv.invoice_date[..4],
        Some(invoice_id),
    )
    .await?;
    let mut ctx = firm.ctx;
    ctx.matters = vec![matter.info];
    ctx.budgets = matter.budget.into_iter().collect();
    Ok((inv, lines, g_inv, ctx))
}

/// The stored columns of a line, in [`InvoiceLine`] order.
pub const LINE_COLS: &str = "id, invoice_id, line_no, line_type, line_date, timekeeper_code, timekeeper_name, classification, task_code, activity_code, expense_code, \
     narrative, units_e4, rate_e4, adjustment_e4, total_e4, adjusted_total_e4, manual_total_e4, manual_reason, status";

pub(crate) fn action_name(a: &Action) -> &'static str {
    match a {
        Action::RejectInvoice => "reject_invoice",
        Action::RejectLine => "reject_line",
        Action::AutoAdjust => "auto_adjust",
        Action::Flag => "flag",
        Action::RouteToApprover { .. } => "route_to_approver",
    }
}

/// Recomputes every line's adjusted total from its flags and manual adjustment, and the
/// invoice's adjusted total from its lines. A manual adjustment wins; otherwise a live
/// reject-line flag makes the line zero, and live auto-adjust flags cap it at their proposal.
pub async fn recompute(tx: &mut Tx, invoice_id: i64) -> Result<(), sqlx::Error> {
    super::rollup::apply_lines(tx, &[invoice_id], -1).await?;
    recompute_many(tx, &[invoice_id]).await?;
    super::rollup::apply_lines(tx, &[invoice_id], 1).await
}

/// [`recompute`] for several invoices with three statements.
pub async fn recompute_many(tx: &mut Tx, ids: &[i64]) -> Result<(), sqlx::Error> {
    for chunk in ids.chunks(500) {
        let list = crate::platform::db::params(1, chunk.len());
        for sql in RECOMPUTE {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.replace("$IDS", &list)));
            for id in chunk {
                q = q.bind(*id);
            }
            q.execute(&mut **tx).await?;
        }
    }
    Ok(())
}

/// Compares every stored line and invoice total with a recomputation from the flags and
/// manual adjustments (rolled back); returns the rows that differ (empty when they agree).
pub async fn verify_totals(db: &crate::platform::db::Db) -> Result<Vec<String>, sqlx::Error> {
    const SNAPSHOT: &str = "SELECT 'line ' || CAST(id AS TEXT) || ' ' || CAST(adjusted_total_e4 AS TEXT) || ' ' || status FROM invoice_lines \
         UNION ALL SELECT 'invoice ' || CAST(id AS TEXT) || ' ' || CAST(adjusted_total_e4 AS TEXT) FROM invoices";
    let mut tx = db.begin().await?;
    let before: Vec<String> = sqlx::query_scalar(SNAPSHOT).fetch_all(&mut *tx).await?;
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM invoices")
        .fetch_all(&mut *tx)
        .await?;
    recompute_many(&mut tx, &ids).await?;
    let after: Vec<String> = sqlx::query_scalar(SNAPSHOT).fetch_all(&mut *tx).await?;
    tx.rollback().await?;
    let a: std::collections::BTreeSet<_> = before.into_iter().collect();
    let b: std::collections::BTreeSet<_> = after.into_iter().collect();
    Ok(a.symmetric_difference(&b).cloned().collect())
}

const RECOMPUTE: [&str; 3] = [
    "UPDATE invoice_lines SET adjusted_total_e4 = CASE \
       WHEN manual_total_e4 IS NOT NULL THEN manual_total_e4 \
       WHEN EXISTS (SELECT 1 FROM invoice_flags f WHERE f.line_id = invoice_lines.id AND f.invoice_id = invoice_lines.invoice_id AND f.action = 'reject_line' AND f.state IN ('open','accepted','appealed','appeal_denied')) THEN 0 \
       ELSE COALESCE((SELECT MIN(f.proposed_total_e4) FROM invoice_flags f WHERE f.line_id = invoice_lines.id AND f.invoice_id = invoice_lines.invoice_id AND f.action = 'auto_adjust' AND f.proposed_total_e4 IS NOT NULL \
            AND f.proposed_total_e4 < invoice_lines.total_e4 AND f.state IN ('open','accepted','appealed','appeal_denied')), total_e4) END WHERE invoice_id IN ($IDS)",
    "UPDATE invoice_lines SET status = CASE WHEN adjusted_total_e4 = 0 AND total_e4 <> 0 THEN 'rejected' WHEN adjusted_total_e4 <> total_e4 THEN 'adjusted' ELSE 'open' END WHERE invoice_id IN ($IDS)",
    "UPDATE invoices SET adjusted_total_e4 = (SELECT CAST(COALESCE(SUM(l.adjusted_total_e4), 0) AS BIGINT) FROM invoice_lines l WHERE l.invoice_id = invoices.id) WHERE id IN ($IDS)",
];

/// Wakes the workers so queued mail goes out at once.
pub async fn notify_queued(app: &App) {
    app.wake_jobs();
}

/// Mails the firm (billing contact and portal users) the outcome of its invoice.
pub(crate) async fn notify_firm(
    app: &App,
    tx: &mut Tx,
    invoice_id: i64,
    now: &str,
    outcome: &str,
) -> Result<(), AppError> {
    let (number, vendor_id, billing_email, total, adjusted, currency): (String, i64, String, i64, i64, String) =
        sqlx::query_as("SELECT i.invoice_number, i.vendor_id, v.billing_email, i.total_e4, i.adjusted_total_e4, i.currency FROM invoices i JOIN vendors v ON v.id = i.vendor_id WHERE i.id = $1")
            .bind(invoice_id)
            .fetch_one(&mut **tx)
            .await?;
    let mut to: Vec<String> =
        sqlx::query_scalar("SELECT email FROM users WHERE vendor_id = $1 AND status = 'active'")
            .bind(vendor_id)
            .fetch_all(&mut **tx)
            .await?;
    if !billing_email.is_empty() {
        to.push(billing_email);
    }
    to.sort();
    to.dedup();
    let link = format!(
        "{}/portal/invoices/{invoice_id}",
        app.settings.public_base()
    );
    let body = format!(
        "Invoice {number} was {outcome}.\n\nBilled: {currency} {}\nApproved amount: {currency} {}\n\nSee the outcome line by line, and appeal an adjustment, in the lexops vendor portal:\n{link}\n",
        format_e4(total),
        format_e4(adjusted)
    );
    for addr in to {
        crate::platform::mail::queue(
            tx,
            now,
            &addr,
            &format!("Invoice {number} {outcome}"),
            &body,
        )
        .await?;
    }
    Ok(())
}

const INVOICE_SELECT: &str = "SELECT i.id, i.vendor_id, v.name AS vendor_name, i.matter_id, m.number AS matter_number, m.name AS matter_name, i.invoice_number, i.invoice_date, \
     i.billing_start, i.billing_end, i.description, i.currency, i.total_e4, i.adjusted_total_e4, i.fees_e4, i.expenses_e4, i.line_count, i.status, i.format, i.version, \
     i.approval_step, i.received_at, i.decided_at, i.exported_at, \
     (SELECT COUNT(*) FROM invoice_flags f WHERE f.invoice_id = i.id AND f.state IN ('open','appealed')) AS open_flags \
     FROM invoices i JOIN vendors v ON v.id = i.vendor_id JOIN matters m ON m.id = i.matter_id";

/// The visibility condition on invoices for a user: a vendor sees its own firm's; staff see
/// invoices of matters they can see (ethical walls).
fn invoice_scope(user_param: usize, vendor_param: usize) -> String {
    format!(
        "(${vendor_param} < 0 OR i.vendor_id = ${vendor_param}) AND (${vendor_param} >= 0 OR {})",
        visible_sql("matter", "i.matter_id", user_param)
    )
}

/// Filters of the invoice list.
#[derive(Clone, Debug, Default)]
pub struct InvoiceFilter {
    pub q: String,
    pub status: String,
    pub vendor_id: Option<i64>,
    pub matter_id: Option<i64>,
    /// Only invoices waiting for this user's decision.
    pub awaiting: Option<(i64, String)>,
}

/// Sort keys of the invoice list.
pub const SORTS: &[(&str, &str)] = &[
    ("received", "i.received_at"),
    ("number", "i.invoice_number"),
    ("vendor", "v.name"),
    ("matter", "m.number"),
    ("total", "i.total_e4"),
    ("status", "i.status"),
    ("date", "i.invoice_date"),
];

/// Invoices visible to the user.
pub async fn list(
    app: &App,
    user: &CurrentUser,
    f: &InvoiceFilter,
    order_by: &str,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Invoice>, i64), AppError> {
    let like = if f.q.trim().is_empty() {
        String::new()
    } else {
        format!("%{}%", f.q.trim().to_lowercase())
    };
    let scope = vendor_scope(user).map(|v| v.max(0)).unwrap_or(-1);
    let (await_user, await_role) = f.awaiting.clone().unwrap_or((-1, String::new()));
    let filter = format!(
        "($1 = '' OR LOWER(i.invoice_number) LIKE $1 OR LOWER(v.name) LIKE $1 OR LOWER(m.number) LIKE $1 OR LOWER(m.name) LIKE $1) AND ($2 = '' OR i.status = $2) \
         AND ($3 < 0 OR i.vendor_id = $3) AND ($4 < 0 OR i.matter_id = $4) AND {} \
         AND ($7 < 0 OR (i.status = 'in_review' AND EXISTS (SELECT 1 FROM invoice_approvals a WHERE a.invoice_id = i.id AND a.step = i.approval_step AND a.decision = 'pending' \
              AND (a.approver_id = $7 OR (a.approver_id IS NULL AND a.approver_role = $8)))))",
        invoice_scope(5, 6)
    );
    let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM invoices i JOIN vendors v ON v.id = i.vendor_id JOIN matters m ON m.id = i.matter_id WHERE {filter}"
    )))
    .bind(&like)
    .bind(&f.status)
    .bind(f.vendor_id.unwrap_or(-1))
    .bind(f.matter_id.unwrap_or(-1))
    .bind(user.id)
    .bind(scope)
    .bind(await_user)
    .bind(&await_role)
    .fetch_one(app.db.pool())
    .await?;
    let rows = sqlx::query_as::<_, Invoice>(sqlx::AssertSqlSafe(format!(
        "{INVOICE_SELECT} WHERE {filter} ORDER BY {order_by}, i.id DESC LIMIT $9 OFFSET $10"
    )))
    .bind(&like)
    .bind(&f.status)
    .bind(f.vendor_id.unwrap_or(-1))
    .bind(f.matter_id.unwrap_or(-1))
    .bind(user.id)
    .bind(scope)
    .bind(await_user)
    .bind(&await_role)
    .bind(limit)
    .bind(offset)
    .fetch_all(app.db.pool())
    .await?;
    Ok((rows, total))
}

/// One invoice, if visible to the user.
pub async fn get(app: &App, user: &CurrentUser, id: i64) -> Result<Invoice, AppError> {
    let scope = vendor_scope(user).map(|v| v.max(0)).unwrap_or(-1);
    sqlx::query_as::<_, Invoice>(sqlx::AssertSqlSafe(format!(
        "{INVOICE_SELECT} WHERE i.id = $1 AND {}",
        invoice_scope(2, 3)
    )))
    .bind(id)
    .bind(user.id)
    .bind(scope)
    .fetch_optional(app.db.pool())
    .await?
    .ok_or_else(|| AppError::NotFound("invoice".into()))
}

/// An invoice's lines.
pub async fn lines(app: &App, invoice_id: i64) -> Result<Vec<InvoiceLine>, AppError> {
    Ok(
        sqlx::query_as::<_, InvoiceLine>(sqlx::AssertSqlSafe(format!(
            "SELECT {LINE_COLS} FROM invoice_lines WHERE invoice_id = $1 ORDER BY id"
        )))
        .bind(invoice_id)
        .fetch_all(app.db.pool())
        .await?,
    )
}

/// An invoice's flags.
pub async fn flags(app: &App, invoice_id: i64) -> Result<Vec<InvoiceFlag>, AppError> {
    Ok(sqlx::query_as::<_, InvoiceFlag>(
        "SELECT id, invoice_id, line_id, rule_id, rule_kind, action, reason_code, message, proposed_total_e4, state, note FROM invoice_flags WHERE invoice_id = $1 ORDER BY line_id, id",
    )
    .bind(invoice_id)
    .fetch_all(app.db.pool())
    .await?)
}

/// An approval step of an invoice.
#[derive(Clone, Debug, serde::Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ApprovalStep {
    pub step: i64,
    pub rule_name: String,
    pub approver_id: Option<i64>,
    pub approver_name: Option<String>,
    pub approver_role: String,
    pub decision: String,
    pub decided_by_name: Option<String>,
    pub decided_at: Option<String>,
    pub note: String,
}

/// An invoice's approval steps.
pub async fn approvals(app: &App, invoice_id: i64) -> Result<Vec<ApprovalStep>, AppError> {
    Ok(sqlx::query_as::<_, ApprovalStep>(
        "SELECT a.step, a.rule_name, a.approver_id, u.name AS approver_name, a.approver_role, a.decision, d.name AS decided_by_name, a.decided_at, a.note \
         FROM invoice_approvals a LEFT JOIN users u ON u.id = a.approver_id LEFT JOIN users d ON d.id = a.decided_by WHERE a.invoice_id = $1 ORDER BY a.step",
    )
    .bind(invoice_id)
    .fetch_all(app.db.pool())
    .await?)
}

/// An entry of an invoice's history.
#[derive(Clone, Debug, serde::Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct InvoiceEvent {
    pub at: String,
    pub actor: Option<String>,
    pub kind: String,
    pub note: String,
}

/// An invoice's history (received, comments, decisions), oldest first.
pub async fn events(app: &App, invoice_id: i64) -> Result<Vec<InvoiceEvent>, AppError> {
    Ok(sqlx::query_as::<_, InvoiceEvent>(
        "SELECT e.at, u.name AS actor, e.kind, e.note FROM invoice_events e LEFT JOIN users u ON u.id = e.actor_id WHERE e.invoice_id = $1 ORDER BY e.id",
    )
    .bind(invoice_id)
    .fetch_all(app.db.pool())
    .await?)
}

async fn in_review(app: &App, user: &CurrentUser, id: i64) -> Result<Invoice, AppError> {
    let inv = get(app, user, id).await?;
    if vendor_scope(user).is_some() {
        return Err(AppError::forbidden());
    }
    if inv.status != "in_review" {
        return Err(AppError::Conflict(format!(
            "invoice {} is {} and can no longer be changed",
            inv.invoice_number,
            inv.status_label().to_lowercase()
        )));
    }
    Ok(inv)
}

async fn event(
    tx: &mut Tx,
    id: i64,
    now: &str,
    actor: i64,
    kind: &str,
    note: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO invoice_events (invoice_id, at, actor_id, kind, note) VALUES ($1, $2, $3, $4, $5)")
        .bind(id)
        .bind(now)
        .bind(actor)
        .bind(kind)
        .bind(note)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A reviewer accepts a flag (its adjustment stands) or overrides it (the line goes back to
/// what the firm billed, as far as this flag is concerned).
pub async fn resolve_flag(
    app: &App,
    user: &CurrentUser,
    invoice_id: i64,
    flag_id: i64,
    accept: bool,
    note: &str,
) -> Result<(), AppError> {
    in_review(app, user, invoice_id).await?;
    if !accept && note.trim().is_empty() {
        return Err(AppError::field("note", "Say why the flag is overridden."));
    }
    let now = app.clock.now_text();
    let mut tx = app.db.begin().await?;
    let before: Option<(String, String)> = sqlx::query_as(
        "SELECT state, rule_id FROM invoice_flags WHERE id = $1 AND invoice_id = $2",
    )
    .bind(flag_id)
    .bind(invoice_id)
    .fetch_optional(&mut *tx)
    .await?;
    let (state, rule) = before.ok_or_else(|| AppError::NotFound("flag".into()))?;
    let new_state = match (state.as_str(), accept) {
        ("appealed", true) => "appeal_denied",
        ("appealed", false) => "appeal_upheld",
        (_, true) => "accepted",
        (_, false) => "overridden",
    };
    super::rollup::apply_flags(&mut tx, &[invoice_id], -1).await?;
    sqlx::query("UPDATE invoice_flags SET state = $1, resolved_by = $2, resolved_at = $3, note = $4 WHERE id = $5")
        .bind(new_state)
        .bind(user.id)
        .bind(&now)
        .bind(note.trim())
        .bind(flag_id)
        .execute(&mut *tx)
        .await?;
    super::rollup::apply_flags(&mut tx, &[invoice_id], 1).await?;
    recompute(&mut tx, invoice_id).await?;
    event(
        &mut tx,
        invoice_id,
        &now,
        user.id,
        "flag",
        &format!(
            "{rule}: {new_state}{}",
            if note.trim().is_empty() {
                String::new()
            } else {
                format!(" — {}", note.trim())
            }
        ),
    )
    .await?;
    audit::record(
        &mut tx,
        &now,
        &user.actor(),
        Change {
            action: "invoice.flag_resolve",
            object_type: "invoice",
            object_id: invoice_id.to_string(),
            before: Some(json!({"flag": flag_id, "state": state})),
            after: Some(json!({"flag": flag_id, "state": new_state, "note": note.trim()})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A reviewer sets a line's approved amount: new units and/or rate (total = units × rate +
/// adjustment), or a total directly; a reason is required. `reject` sets it to zero.
pub async fn adjust_line(
    app: &App,
    user: &CurrentUser,
    invoice_id: i64,
    line_id: i64,
    units: &str,
    rate: &str,
    total: &str,
    reject: bool,
    reason: &str,
) -> Result<(), AppError> {
    in_review(app, user, invoice_id).await?;
    if reason.trim().is_empty() {
        return Err(AppError::field(
            "reason",
            "Give the reason the firm will see.",
        ));
    }
    let line: Option<(i64, i64, i64, i64)> = sqlx::query_as("SELECT units_e4, rate_e4, adjustment_e4, total_e4 FROM invoice_lines WHERE id = $1 AND invoice_id = $2")
        .bind(line_id)
        .bind(invoice_id)
        .fetch_optional(app.db.pool())
        .await?;
    let (u0, r0, adj, billed) = line.ok_or_else(|| AppError::NotFound("line".into()))?;
    let parse = |s: &str, field: &str| -> Result<Option<i64>, AppError> {
        if s.trim().is_empty() {
            Ok(None)
        } else {
            super::money::parse_amount(s)
                .map(Some)
                .map_err(|e| AppError::field(field, e))
        }
    };
    let new_total = if reject {
        0
    } else if let Some(t) = parse(total, "total")? {
        t
    } else {
        let u = parse(units, "units")?.unwrap_or(u0);
        let r = parse(rate, "rate")?.unwrap_or(r0);
        if u == u0 && r == r0 {
            return Err(AppError::field(
                "units",
                "Enter new units, a new rate or a new total.",
            ));
        }
        let t = from_e4(u) * from_e4(r) + from_e4(adj);
        to_e4(t.round_dp(4)).ok_or_else(|| AppError::field("total", "The result is too large."))?
    };
    if new_total < 0 || (billed >= 0 && new_total > billed) {
        return Err(AppError::field(
            "total",
            "An adjustment lowers the line: the approved amount is between zero and what was billed.",
        ));
    }
    let now = app.clock.now_text();
    let mut tx = app.db.begin().await?;
    sqlx::query("UPDATE invoice_lines SET manual_total_e4 = $1, manual_reason = $2 WHERE id = $3")
        .bind(new_total)
        .bind(reason.trim())
        .bind(line_id)
        .execute(&mut *tx)
        .await?;
    recompute(&mut tx, invoice_id).await?;
    event(
        &mut tx,
        invoice_id,
        &now,
        user.id,
        if reject {
            "line_rejected"
        } else {
            "line_adjusted"
        },
        &format!(
            "line {line_id}: {} → {} — {}",
            format_e4(billed),
            format_e4(new_total),
            reason.trim()
        ),
    )
    .await?;
    audit::record(
        &mut tx,
        &now,
        &user.actor(),
        Change {
            action: if reject {
                "invoice.line_reject"
            } else {
                "invoice.line_adjust"
            },
            object_type: "invoice",
            object_id: invoice_id.to_string(),
            before: Some(json!({"line": line_id, "total": format_e4(billed)})),
            after: Some(
                json!({"line": line_id, "total": format_e4(new_total), "reason": reason.trim()}),
            ),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Adds a comment to an invoice (visible to the firm).
pub async fn comment(
    app: &App,
    user: &CurrentUser,
    invoice_id: i64,
    text: &str,
) -> Result<(), AppError> {
    get(app, user, invoice_id).await?;
    let text = text.trim();
    if text.is_empty() || text.chars().count() > 4000 {
        return Err(AppError::field(
            "comment",
            "Write a comment of 1 to 4000 characters.",
        ));
    }
    let now = app.clock.now_text();
    let mut tx = app.db.begin().await?;
    event(&mut tx, invoice_id, &now, user.id, "comment", text).await?;
    audit::record(
        &mut tx,
        &now,
        &user.actor(),
        Change {
            action: "invoice.comment",
            object_type: "invoice",
            object_id: invoice_id.to_string(),
            before: None,
            after: Some(json!({"comment": text})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The decision of the current approval step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Reject,
    Return,
}

/// Records the current approver's decision. Approve moves to the next step or approves the
/// invoice; reject and return end the review and notify the firm.
pub async fn decide(
    app: &App,
    user: &CurrentUser,
    invoice_id: i64,
    decision: Decision,
    note: &str,
) -> Result<(), AppError> {
    let inv = in_review(app, user, invoice_id).await?;
    if decision != Decision::Approve && note.trim().is_empty() {
        return Err(AppError::field("note", "Tell the firm why."));
    }
    let step: Option<(i64, Option<i64>, String)> = sqlx::query_as("SELECT step, approver_id, approver_role FROM invoice_approvals WHERE invoice_id = $1 AND step = $2 AND decision = 'pending'")
        .bind(invoice_id)
        .bind(inv.approval_step)
        .fetch_optional(app.db.pool())
        .await?;
    let (step, approver_id, role) =
        step.ok_or_else(|| AppError::Conflict("this invoice has no pending approval step".into()))?;
    let allowed = approver_id == Some(user.id)
        || (approver_id.is_none() && (role == user.role.as_str() || user.role == Role::Admin));
    if !allowed {
        return Err(AppError::Forbidden(format!(
            "step {step} waits for {}",
            if role.is_empty() {
                "another approver".to_string()
            } else {
                format!("the {role} role")
            }
        )));
    }
    let open_flags: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM invoice_flags WHERE invoice_id = $1 AND state = 'appealed'",
    )
    .bind(invoice_id)
    .fetch_one(app.db.pool())
    .await?;
    if decision == Decision::Approve && open_flags > 0 {
        return Err(AppError::Conflict(
            "decide the firm's appeals before approving".into(),
        ));
    }
    let now = app.clock.now_text();
    let label = match decision {
        Decision::Approve => "approved",
        Decision::Reject => "rejected",
        Decision::Return => "returned",
    };
    let mut tx = app.db.begin().await?;
    sqlx::query("UPDATE invoice_approvals SET decision = $1, decided_by = $2, decided_at = $3, note = $4 WHERE invoice_id = $5 AND step = $6")
        .bind(label)
        .bind(user.id)
        .bind(&now)
        .bind(note.trim())
        .bind(invoice_id)
        .bind(step)
        .execute(&mut *tx)
        .await?;
    let last: i64 = sqlx::query_scalar("SELECT CAST(COALESCE(MAX(step), 0) AS BIGINT) FROM invoice_approvals WHERE invoice_id = $1").bind(invoice_id).fetch_one(&mut *tx).await?;
    let final_status = match decision {
        Decision::Approve if step < last => None,
        Decision::Approve => Some("approved"),
        Decision::Reject => Some("rejected"),
        Decision::Return => Some("returned"),
    };
    match final_status {
        None => {
            sqlx::query("UPDATE invoices SET approval_step = $1 WHERE id = $2")
                .bind(step + 1)
                .bind(invoice_id)
                .execute(&mut *tx)
                .await?;
        }
        Some(s) => {
            super::rollup::apply(&mut tx, &[invoice_id], -1).await?;
            sqlx::query("UPDATE invoices SET status = $1, decided_at = $2 WHERE id = $3")
                .bind(s)
                .bind(&now)
                .bind(invoice_id)
                .execute(&mut *tx)
                .await?;
            super::rollup::apply(&mut tx, &[invoice_id], 1).await?;
            // Open flags are settled as they stand.
            sqlx::query("UPDATE invoice_flags SET state = 'accepted', resolved_by = $1, resolved_at = $2 WHERE invoice_id = $3 AND state = 'open'")
                .bind(user.id)
                .bind(&now)
                .bind(invoice_id)
                .execute(&mut *tx)
                .await?;
            notify_firm(app, &mut tx, invoice_id, &now, s).await?;
        }
    }
    event(
        &mut tx,
        invoice_id,
        &now,
        user.id,
        label,
        &format!(
            "step {step}{}",
            if note.trim().is_empty() {
                String::new()
            } else {
                format!(": {}", note.trim())
            }
        ),
    )
    .await?;
    audit::record(
        &mut tx,
        &now,
        &user.actor(),
        Change {
            action: &format!("invoice.{label}"),
            object_type: "invoice",
            object_id: invoice_id.to_string(),
            before: Some(json!({"status": "in_review", "step": step})),
            after: Some(
                json!({"status": final_status.unwrap_or("in_review"), "note": note.trim()}),
            ),
        },
    )
    .await?;
    tx.commit().await?;
    app.wake_jobs();
    Ok(())
}

/// The firm appeals an adjustment once: the flag goes back to the reviewers.
pub async fn appeal(
    app: &App,
    user: &CurrentUser,
    invoice_id: i64,
    flag_id: i64,
    reason: &str,
) -> Result<(), AppError> {
    let inv = get(app, user, invoice_id).await?;
    if vendor_scope(user).is_none() {
        return Err(AppError::forbidden());
    }
    if reason.trim().is_empty() {
        return Err(AppError::field(
            "reason",
            "Explain why the adjustment should be reversed.",
        ));
    }
    if !matches!(inv.status.as_str(), "in_review" | "approved") {
        return Err(AppError::Conflict(format!(
            "invoice {} is {}: it can no longer be appealed",
            inv.invoice_number,
            inv.status_label().to_lowercase()
        )));
    }
    let now = app.clock.now_text();
    let mut tx = app.db.begin().await?;
    let n = sqlx::query("UPDATE invoice_flags SET state = 'appealed', note = $1 WHERE id = $2 AND invoice_id = $3 AND state IN ('open','accepted') AND action IN ('auto_adjust','reject_line')")
        .bind(reason.trim())
        .bind(flag_id)
        .bind(invoice_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if n == 0 {
        return Err(AppError::Conflict(
            "this adjustment cannot be appealed (it was appealed already, or is not an adjustment)"
                .into(),
        ));
    }
    if inv.status == "approved" {
        // Back to review for the appeal; the last step decides it.
        super::rollup::apply(&mut tx, &[invoice_id], -1).await?;
        sqlx::query("UPDATE invoices SET status = 'in_review', decided_at = NULL WHERE id = $1")
            .bind(invoice_id)
            .execute(&mut *tx)
            .await?;
        super::rollup::apply(&mut tx, &[invoice_id], 1).await?;
        sqlx::query("UPDATE invoice_approvals SET decision = 'pending', decided_by = NULL, decided_at = NULL WHERE invoice_id = $1 AND step = (SELECT MAX(step) FROM invoice_approvals WHERE invoice_id = $1)")
            .bind(invoice_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE invoices SET approval_step = (SELECT MAX(step) FROM invoice_approvals WHERE invoice_id = $1) WHERE id = $1").bind(invoice_id).execute(&mut *tx).await?;
    }
    event(&mut tx, invoice_id, &now, user.id, "appeal", reason.trim()).await?;
    audit::record(
        &mut tx,
        &now,
        &user.actor(),
        Change {
            action: "invoice.appeal",
            object_type: "invoice",
            object_id: invoice_id.to_string(),
            before: None,
            after: Some(json!({"flag": flag_id, "reason": reason.trim()})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
