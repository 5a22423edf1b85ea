//! What the billing-guidelines engine needs to judge invoices, read from the database once per
//! firm (approved timekeepers and rates, rate caps, the firm's billing history for the dates in
//! question, its invoice numbers) and once per matter (status, budget and what was billed
//! against it), then kept up to date in memory as the invoices of one file are judged in turn —
//! so a file of many invoices costs a few queries, not a few per invoice.

use std::collections::HashMap;

use rust_decimal::Decimal;

use super::money::from_e4;
use crate::platform::db::{Batch, decode};
use crate::platform::error::AppError;

pub(crate) fn gdate(s: &str) -> guidelines::Date {
    s.parse()
        .unwrap_or_else(|_| "1970-01-01".parse().expect("a valid date"))
}

pub(crate) fn classification(code: &str) -> guidelines::Classification {
    guidelines::Classification::from_code(code)
}

pub(crate) fn line_type(code: &str) -> guidelines::LineType {
    match code {
        "E" => guidelines::LineType::Expense,
        "IF" => guidelines::LineType::FeeAdjustment,
        "IE" => guidelines::LineType::ExpenseAdjustment,
        _ => guidelines::LineType::Fee,
    }
}

/// Every character Rust's `str::trim` removes (Unicode White_Space), for SQL's `TRIM(x, chars)`.
const WHITE_SPACE: &str = "\u{9}\u{a}\u{b}\u{c}\u{d}\u{20}\u{85}\u{a0}\u{1680}\u{2000}\u{2001}\u{2002}\u{2003}\u{2004}\u{2005}\u{2006}\u{2007}\u{2008}\u{2009}\u{200a}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}";

/// Adds to `batch` the statements (as many as it returns) that read the firm's invoice numbers
/// (other than invoice `exclude`'s) that the duplicate-invoice rule could match with one of
/// `numbers`: equal once trimmed, ignoring ASCII case. The rule makes the exact comparison; the
/// database returns only candidates (SQLite's UPPER folds ASCII only, as the rule does;
/// PostgreSQL's folds more, so it may return a few more), not the firm's whole list of numbers
/// with every file.
fn taken_numbers_into(
    batch: &mut Batch,
    vendor_id: i64,
    numbers: &[&str],
    exclude: Option<i64>,
) -> usize {
    let mut wanted: Vec<String> = numbers
        .iter()
        .map(|n| n.trim().to_ascii_uppercase())
        .collect();
    wanted.sort_unstable();
    wanted.dedup();
    let chunks = wanted.chunks(500);
    let n = chunks.len();
    for chunk in chunks {
        let list = (4..chunk.len() + 4)
            .map(|k| format!("UPPER({})", batch.param(k)))
            .collect::<Vec<_>>()
            .join(",");
        let sql = format!(
            "SELECT invoice_number FROM invoices WHERE vendor_id = {} AND id <> {} AND UPPER(TRIM(invoice_number, {})) IN ({list})",
            batch.param(1),
            batch.param(2),
            batch.param(3)
        );
        batch
            .statement(&sql)
            .bind(vendor_id)
            .bind(exclude.unwrap_or(-1))
            .bind(WHITE_SPACE);
        for n in chunk {
            batch.bind(n.clone());
        }
    }
    n
}

/// A firm's side of the context: an engine [`guidelines::Context`] whose matters and budgets
/// are swapped per invoice.
pub struct FirmContext {
    pub ctx: guidelines::Context,
}

impl FirmContext {
    /// Loads a firm's context for invoices dated between `from` and `to` (YYYY-MM-DD) and
    /// numbered `numbers`, leaving out invoice `exclude` (the one being re-judged).
    pub async fn load(
        conn: &mut sqlx::AnyConnection,
        today: &str,
        vendor_id: i64,
        (from, to): (&str, &str),
        numbers: &[&str],
        exclude: Option<i64>,
    ) -> Result<FirmContext, AppError> {
        let mut ctx = guidelines::Context::new(gdate(today));
        // Everything in one batch (one round trip on SQLite).
        let mut batch = Batch::new(crate::platform::db::backend_of(conn));
        let sql = format!(
            "SELECT id, code, name, classification FROM timekeepers WHERE vendor_id = {} AND status = 'approved'",
            batch.param(1)
        );
        batch.statement(&sql).bind(vendor_id);
        let sql = format!(
            "SELECT r.timekeeper_id, r.matter_id, r.rate_e4, r.effective_from, r.effective_to FROM timekeeper_rates r JOIN timekeepers t ON t.id = r.timekeeper_id WHERE t.vendor_id = {}",
            batch.param(1)
        );
        batch.statement(&sql).bind(vendor_id);
        batch.statement("SELECT value FROM settings WHERE key = 'rate_caps'");
        // The firm's lines on the same dates, for duplicates and daily hours.
        let sql = format!(
            "SELECT i.invoice_number, l.line_type, l.line_date, l.timekeeper_code, l.units_e4, l.rate_e4, l.narrative, i.matter_id FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id \
             WHERE i.vendor_id = {p1} AND i.id <> {p2} AND i.billing_end >= {p3} AND i.billing_start <= {p4} AND i.status <> 'rejected' AND l.status <> 'rejected' AND l.line_date >= {p5} AND l.line_date <= {p6}",
            p1 = batch.param(1),
            p2 = batch.param(2),
            p3 = batch.param(3),
            p4 = batch.param(4),
            p5 = batch.param(5),
            p6 = batch.param(6),
        );
        batch
            .statement(&sql)
            .bind(vendor_id)
            .bind(exclude.unwrap_or(-1))
            .bind(from.to_string())
            .bind(to.to_string())
            .bind(from.to_string())
            .bind(to.to_string());
        let taken = taken_numbers_into(&mut batch, vendor_id, numbers, exclude);
        let sets = batch.fetch(conn).await?;
        let tks: Vec<(i64, String, String, String)> = decode(&sets[0])?;
        let rates: Vec<(i64, Option<i64>, i64, String, Option<String>)> = decode(&sets[1])?;
        let caps: Option<String> = decode::<(String,)>(&sets[2])?.pop().map(|(v,)| v);
        let hist: Vec<(String, String, String, String, i64, i64, String, i64)> = decode(&sets[3])?;
        for rows in &sets[4..4 + taken] {
            ctx.history
                .invoice_numbers
                .extend(decode::<(String,)>(rows)?.into_iter().map(|(n,)| n));
        }
        let mut by_tk: HashMap<i64, Vec<guidelines::ApprovedRate>> = HashMap::new();
        for (tk, matter, rate, f, t) in rates {
            by_tk.entry(tk).or_default().push(guidelines::ApprovedRate {
                rate: from_e4(rate),
                from: gdate(&f),
                to: t.as_deref().map(gdate),
                matter_id: matter,
            });
        }
        ctx.timekeepers = tks
            .into_iter()
            .map(|(id, code, name, class)| guidelines::ApprovedTimekeeper {
                id: code,
                name,
                classification: classification(&class),
                rates: by_tk.remove(&id).unwrap_or_default(),
            })
            .collect();
        ctx.rate_caps = caps
            .unwrap_or_default()
            .split(',')
            .filter_map(|kv| kv.split_once('='))
            .filter_map(|(k, v)| {
                v.parse::<i64>().ok().map(|v| guidelines::RateCap {
                    classification: classification(k),
                    rate: from_e4(v),
                })
            })
            .collect();
        let mut daily: HashMap<(String, String), Decimal> = HashMap::new();
        for (n, (num, lt, date, tk, units, rate, narrative, matter)) in hist.into_iter().enumerate()
        {
            if lt == "F" && !tk.is_empty() {
                *daily.entry((tk.clone(), date.clone())).or_default() += from_e4(units);
            }
            ctx.history.lines.push(guidelines::HistoryLine {
                invoice_number: num,
                line_number: n as u32 + 1,
                line_type: line_type(&lt),
                date: gdate(&date),
                timekeeper_id: Some(tk).filter(|t| !t.is_empty()),
                units: from_e4(units),
                rate: from_e4(rate),
                narrative,
                matter_id: matter,
                normalized: Default::default(),
            });
        }
        ctx.history.daily_hours = daily
            .into_iter()
            .map(|((tk, d), hours)| guidelines::DailyHours {
                timekeeper_id: tk,
                date: gdate(&d),
                hours,
            })
            .collect();
        Ok(FirmContext { ctx })
    }

    /// Judges an invoice of this firm on `matter`; also gives back its lines' narratives
    /// normalised, for [`FirmContext::remember`].
    pub fn evaluate(
        &mut self,
        set: &guidelines::GuidelineSet,
        inv: &guidelines::Invoice,
        matter: &MatterContext,
    ) -> (guidelines::Evaluation, Vec<String>) {
        self.ctx.matters = vec![matter.info.clone()];
        self.ctx.budgets = matter.budget.clone().into_iter().collect();
        guidelines::evaluate_normalizing(set, inv, &self.ctx)
    }

    /// Adds a judged invoice to the history, so later invoices of the same file see it
    /// (`normalized`: its lines' narratives as [`FirmContext::evaluate`] gave them).
    pub fn remember(
        &mut self,
        inv: &guidelines::Invoice,
        eval: &guidelines::Evaluation,
        normalized: Vec<String>,
    ) {
        let rejected: std::collections::HashSet<u32> = eval
            .lines
            .iter()
            .filter(|l| l.rejected)
            .map(|l| l.line_number)
            .collect();
        let base = self.ctx.history.lines.len() as u32;
        let mut normalized = normalized.into_iter();
        for l in inv.lines.iter() {
            let norm = normalized.next();
            if rejected.contains(&l.line_number) {
                continue;
            }
            if l.line_type == guidelines::LineType::Fee
                && let Some(tk) = &l.timekeeper
            {
                self.ctx.history.daily_hours.push(guidelines::DailyHours {
                    timekeeper_id: tk.id.clone(),
                    date: l.date,
                    hours: l.units,
                });
            }
            let mut h = guidelines::HistoryLine::of_normalized(&inv.invoice_number, l, norm);
            h.line_number += base;
            self.ctx.history.lines.push(h);
        }
        self.ctx
            .history
            .invoice_numbers
            .push(inv.invoice_number.clone());
    }
}

/// A matter's side of the context: its status and its budget for one fiscal year.
#[derive(Clone)]
pub struct MatterContext {
    pub info: guidelines::MatterInfo,
    pub budget: Option<guidelines::Budget>,
    pub matter_type: String,
    pub practice_area: String,
}

impl MatterContext {
    /// Loads a matter's context for invoices dated in `year` (budget `FY{year}`), leaving out
    /// invoice `exclude`.
    pub async fn load(
        conn: &mut sqlx::AnyConnection,
        matter_id: i64,
        year: &str,
        exclude: Option<i64>,
    ) -> Result<MatterContext, AppError> {
        let exclude: Vec<i64> = exclude.into_iter().collect();
        MatterContext::load_many(conn, &[(matter_id, year.to_string())], &exclude)
            .await?
            .pop()
            .map(|(_, m)| m)
            .ok_or_else(|| AppError::NotFound("matter".into()))
    }

    /// Loads the contexts of several (matter, year) pairs with three statements, leaving out
    /// the invoices `exclude` (being replaced).
    pub async fn load_many(
        conn: &mut sqlx::AnyConnection,
        keys: &[(i64, String)],
        exclude: &[i64],
    ) -> Result<Vec<((i64, String), MatterContext)>, AppError> {
        let mut keys: Vec<(i64, String)> = keys.to_vec();
        keys.sort();
        keys.dedup();
        if keys.is_empty() {
            return Ok(vec![]);
        }
        let mut ids: Vec<i64> = keys.iter().map(|k| k.0).collect();
        ids.dedup();
        // Only the budgets and billing of the years asked for: the budgets whose period ends
        // in one of them (`FY2025`, `2025`; the exact match is made below), the months in them.
        let mut years: Vec<&str> = keys.iter().map(|k| k.1.as_str()).collect();
        years.sort_unstable();
        years.dedup();
        // All in one batch (one round trip on SQLite): per chunk of matters their status, their
        // budgets and what counts against them, from the phase rollup (by month and phase); then
        // the invoices left out (an invoice being judged again still counts there).
        let mut batch = Batch::new(crate::platform::db::backend_of(conn));
        for chunk in ids.chunks(500) {
            let sql = format!(
                "SELECT m.id, m.status, t.code, m.practice_area FROM matters m JOIN matter_types t ON t.id = m.type_id WHERE m.id IN ({})",
                batch.params(1, chunk.len())
            );
            batch.statement(&sql);
            for id in chunk {
                batch.bind(*id);
            }
            // Two statements over the chunk's matters and the years: `{ids}` and `{years}`.
            let for_years = |batch: &mut Batch, sql: &str| {
                let sql = sql
                    .replace("{ids}", &batch.params(1, chunk.len()))
                    .replace("{years}", &batch.params(chunk.len() + 1, years.len()));
                batch.statement(&sql);
                for id in chunk {
                    batch.bind(*id);
                }
                for y in &years {
                    batch.bind(y.to_string());
                }
            };
            for_years(
                &mut batch,
                "SELECT matter_id, fiscal_period, phase, amount_e4 FROM budgets WHERE matter_id IN ({ids}) AND SUBSTR(fiscal_period, LENGTH(fiscal_period) - 3) IN ({years})",
            );
            for_years(
                &mut batch,
                "SELECT matter_id, SUBSTR(month, 1, 4), phase, CAST(SUM(approved_e4) AS BIGINT) FROM spend_phase_month \
                 WHERE matter_id IN ({ids}) AND SUBSTR(month, 1, 4) IN ({years}) GROUP BY matter_id, SUBSTR(month, 1, 4), phase",
            );
        }
        if !exclude.is_empty() {
            let sql = format!(
                "SELECT i.matter_id, SUBSTR(i.invoice_date, 1, 4), SUBSTR(l.task_code, 1, 2), CAST(COALESCE(SUM(l.adjusted_total_e4), 0) AS BIGINT) \
                 FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id WHERE i.id IN ({}) AND i.status IN ('in_review','approved','exported') \
                 GROUP BY i.matter_id, SUBSTR(i.invoice_date, 1, 4), SUBSTR(l.task_code, 1, 2)",
                batch.params(1, exclude.len())
            );
            batch.statement(&sql);
            for id in exclude {
                batch.bind(*id);
            }
        }
        let sets = batch.fetch(conn).await?;
        let mut info: HashMap<i64, (String, String, String)> = HashMap::new();
        let mut budgets: HashMap<(i64, String), Vec<(String, i64)>> = HashMap::new();
        let mut billed: HashMap<(i64, String), Vec<(String, i64)>> = HashMap::new();
        let chunks = ids.len().div_ceil(500);
        for k in 0..chunks {
            for (id, st, ty, pa) in decode::<(i64, String, String, String)>(&sets[3 * k])? {
                info.insert(id, (st, ty, pa));
            }
            for (id, fy, phase, amount) in decode::<(i64, String, String, i64)>(&sets[3 * k + 1])? {
                budgets
                    .entry((id, fy.trim_start_matches("FY").to_string()))
                    .or_default()
                    .push((phase, amount));
            }
            for (id, year, phase, amount) in decode::<(i64, String, String, i64)>(&sets[3 * k + 2])?
            {
                billed.entry((id, year)).or_default().push((phase, amount));
            }
        }
        if !exclude.is_empty() {
            for (id, year, phase, amount) in
                decode::<(i64, String, String, i64)>(&sets[3 * chunks])?
            {
                billed.entry((id, year)).or_default().push((phase, -amount));
            }
        }
        let mut out = vec![];
        for (matter_id, year) in keys {
            let Some((status, matter_type, practice_area)) = info.get(&matter_id).cloned() else {
                continue;
            };
            let budget = budgets.get(&(matter_id, year.clone())).map(|bs| {
                let spent = billed
                    .get(&(matter_id, year.clone()))
                    .cloned()
                    .unwrap_or_default();
                let total_billed: i64 = spent.iter().map(|(_, v)| v).sum();
                let phase_billed = |phase: &str| -> i64 {
                    spent
                        .iter()
                        .filter(|(p, _)| phase.len() >= 2 && p.as_str() == &phase[..2])
                        .map(|(_, v)| v)
                        .sum()
                };
                guidelines::Budget {
                    matter_id,
                    total: bs
                        .iter()
                        .find(|(p, _)| p.is_empty())
                        .map(|(_, a)| from_e4(*a)),
                    billed: from_e4(total_billed),
                    phases: bs
                        .iter()
                        .filter(|(p, _)| !p.is_empty())
                        .map(|(p, a)| guidelines::PhaseBudget {
                            phase: p.clone(),
                            amount: from_e4(*a),
                            billed: from_e4(phase_billed(p)),
                        })
                        .collect(),
                }
            });
            let info = guidelines::MatterInfo {
                id: matter_id,
                status: match status.as_str() {
                    "closed" => guidelines::MatterStatus::Closed,
                    "on_hold" => guidelines::MatterStatus::OnHold,
                    "intake" => guidelines::MatterStatus::Intake,
                    _ => guidelines::MatterStatus::Open,
                },
                vendor_assigned: true,
            };
            out.push((
                (matter_id, year),
                MatterContext {
                    info,
                    budget,
                    matter_type,
                    practice_area,
                },
            ));
        }
        Ok(out)
    }

    /// Counts a judged invoice against the budget, for the next invoice of the same file.
    pub fn remember(&mut self, inv: &guidelines::Invoice, eval: &guidelines::Evaluation) {
        let Some(b) = &mut self.budget else { return };
        b.billed += eval.adjusted_total;
        // The evaluation has one outcome per line, in the invoice's order.
        for p in &mut b.phases {
            let prefix = &p.phase[..p.phase.len().min(2)];
            let add: Decimal = inv
                .lines
                .iter()
                .zip(&eval.lines)
                .filter(|(l, _)| {
                    l.task_code
                        .as_deref()
                        .is_some_and(|t| t.starts_with(prefix))
                })
                .map(|(_, o)| o.adjusted_total)
                .sum();
            p.billed += add;
        }
    }
}

/// A LEDES date as the engine's (both are checked calendar dates).
fn ldate(d: ledes::Date) -> guidelines::Date {
    guidelines::Date::new(
        i32::from(d.year()),
        u32::from(d.month()),
        u32::from(d.day()),
    )
    .unwrap_or_else(|_| gdate(&d.to_string()))
}

/// The engine's view of a LEDES invoice billed on `matter_id` by firm `vendor_id`. The lines'
/// texts move into it rather than being copied (some nine strings a line, on a path that
/// judges a million lines); [`give_back`] returns them once the invoice is judged.
pub fn engine_invoice(
    inv: &mut ledes::Invoice,
    vendor_id: i64,
    matter_id: i64,
) -> guidelines::Invoice {
    guidelines::Invoice {
        vendor_id: vendor_id.to_string(),
        invoice_number: inv.invoice_number.clone(),
        invoice_date: ldate(inv.invoice_date),
        billing_start: ldate(inv.billing_start.unwrap_or(inv.invoice_date)),
        billing_end: ldate(inv.billing_end.unwrap_or(inv.invoice_date)),
        currency: inv.currency.clone().unwrap_or_else(|| "USD".into()),
        total: inv.total,
        tax_total: inv.tax_total.unwrap_or_default(),
        lines: inv
            .line_items
            .iter_mut()
            .enumerate()
            .map(|(i, l)| guidelines::Line {
                line_number: i as u32 + 1,
                line_type: line_type(l.line_type.code()),
                date: ldate(l.date),
                timekeeper: match l.timekeeper_id.take_if(|t| !t.is_empty()) {
                    Some(id) => {
                        let code = l.timekeeper_classification.take().unwrap_or_default();
                        Some(guidelines::LineTimekeeper {
                            id,
                            name: l.timekeeper_name.take().unwrap_or_default(),
                            classification: classification(&code),
                            classification_code: code,
                        })
                    }
                    None => None,
                },
                units: l.units.unwrap_or_default(),
                rate: l.unit_cost.unwrap_or_default(),
                adjustment: l.adjustment.unwrap_or_default(),
                total: l.total,
                tax_rate: l.tax_rate,
                tax: l.tax_total,
                task_code: l.task_code.take_if(|c| !c.is_empty()),
                activity_code: l.activity_code.take_if(|c| !c.is_empty()),
                expense_code: l.expense_code.take_if(|c| !c.is_empty()),
                narrative: std::mem::take(&mut l.description),
                matter_id,
                client_matter_id: l.client_matter_id.take().unwrap_or_default(),
                firm_matter_id: std::mem::take(&mut l.law_firm_matter_id),
            })
            .collect(),
    }
}

/// Puts back into `inv` the texts [`engine_invoice`] moved out of it. (A timekeeper's name or
/// classification that was absent comes back empty, which every reader takes alike.)
pub fn give_back(inv: &mut ledes::Invoice, g: guidelines::Invoice) {
    for (l, gl) in inv.line_items.iter_mut().zip(g.lines) {
        if let Some(tk) = gl.timekeeper {
            l.timekeeper_id = Some(tk.id);
            l.timekeeper_name = Some(tk.name);
            l.timekeeper_classification = Some(tk.classification_code);
        }
        if gl.task_code.is_some() {
            l.task_code = gl.task_code;
        }
        if gl.activity_code.is_some() {
            l.activity_code = gl.activity_code;
        }
        if gl.expense_code.is_some() {
            l.expense_code = gl.expense_code;
        }
        l.description = gl.narrative;
        l.client_matter_id = Some(gl.client_matter_id);
        l.law_firm_matter_id = gl.firm_matter_id;
    }
}
