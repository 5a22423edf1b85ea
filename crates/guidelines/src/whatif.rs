//! "What-if" replay: evaluate past invoices under the current and a proposed guideline set and
//! report, per invoice and line, the findings gained and lost and the money at stake, before
//! the new set goes live.
//!
//! Money at stake is measured on outcomes, not by adding up flags, so overlapping findings are
//! not counted twice: per line it is the old adjusted total minus the new one (positive when the
//! new set pays less); per invoice it is the change in money withheld (the whole total when
//! rejected, else the savings). The invoice-level entry carries the part that line changes do
//! not explain — a rejection gained or lost.

use std::collections::HashMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::{Context, Evaluation, Flag, GuidelineSet, Invoice, evaluate};

/// Findings gained and lost on one line (or, with `line_number: None`, on the invoice).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineDiff {
    /// The line number; `None` for invoice-level findings and rejection changes.
    pub line_number: Option<u32>,
    /// Findings the new set raises that the old one did not.
    pub gained: Vec<Flag>,
    /// Findings the old set raised that the new one does not.
    pub lost: Vec<Flag>,
    /// Extra money withheld under the new set (negative: paid out).
    pub money_at_stake: Decimal,
}

/// The changes on one invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceDiff {
    /// The vendor.
    pub vendor_id: String,
    /// The invoice number.
    pub invoice_number: String,
    /// Whether the old set rejected the invoice.
    pub rejected_before: bool,
    /// Whether the new set rejects it.
    pub rejected_after: bool,
    /// Money withheld under the old set.
    pub withheld_before: Decimal,
    /// Money withheld under the new set.
    pub withheld_after: Decimal,
    /// `withheld_after − withheld_before`.
    pub money_at_stake: Decimal,
    /// Changed lines, invoice level first, then in invoice order.
    pub lines: Vec<LineDiff>,
}

/// The result of a replay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhatIf {
    /// Invoices replayed.
    pub invoices_compared: usize,
    /// Only the invoices where something changed, in input order.
    pub invoices: Vec<InvoiceDiff>,
    /// Findings gained in total.
    pub flags_gained: usize,
    /// Findings lost in total.
    pub flags_lost: usize,
    /// Invoices rejected under the new set but not the old.
    pub newly_rejected: usize,
    /// Invoices rejected under the old set but not the new.
    pub no_longer_rejected: usize,
    /// Sum of the invoices' money at stake.
    pub money_at_stake: Decimal,
}

/// Replays `invoices` under `old` and `new` and lists what changes.
pub fn compare(old: &GuidelineSet, new: &GuidelineSet, invoices: &[(Invoice, Context)]) -> WhatIf {
    let mut out = WhatIf {
        invoices_compared: invoices.len(),
        invoices: Vec::new(),
        flags_gained: 0,
        flags_lost: 0,
        newly_rejected: 0,
        no_longer_rejected: 0,
        money_at_stake: Decimal::ZERO,
    };
    for (invoice, context) in invoices {
        let before = evaluate(old, invoice, context);
        let after = evaluate(new, invoice, context);
        let diff = diff_invoice(invoice, &before, &after);
        out.newly_rejected += usize::from(!diff.rejected_before && diff.rejected_after);
        out.no_longer_rejected += usize::from(diff.rejected_before && !diff.rejected_after);
        out.money_at_stake = out.money_at_stake.saturating_add(diff.money_at_stake);
        let changed = diff.rejected_before != diff.rejected_after
            || !diff.money_at_stake.is_zero()
            || !diff.lines.is_empty();
        if changed {
            for l in &diff.lines {
                out.flags_gained += l.gained.len();
                out.flags_lost += l.lost.len();
            }
            out.invoices.push(diff);
        }
    }
    out
}

type Key<'a> = (&'a str, Option<u32>, &'a str, &'a str);

fn key(f: &Flag) -> Key<'_> {
    (&f.rule_id, f.line_number, &f.reason_code, &f.message)
}

/// Flags of `a` not matched (as a multiset, by rule, line, reason and message) in `b`.
fn minus<'a>(a: &'a [Flag], b: &[Flag]) -> Vec<&'a Flag> {
    let mut counts: HashMap<Key<'_>, usize> = HashMap::new();
    for f in b {
        *counts.entry(key(f)).or_default() += 1;
    }
    a.iter()
        .filter(|f| match counts.get_mut(&key(f)) {
            Some(n) if *n > 0 => {
                *n -= 1;
                false
            }
            _ => true,
        })
        .collect()
}

fn diff_invoice(invoice: &Invoice, before: &Evaluation, after: &Evaluation) -> InvoiceDiff {
    let gained = minus(&after.flags, &before.flags);
    let lost = minus(&before.flags, &after.flags);
    let withheld_before = before.withheld();
    let withheld_after = after.withheld();
    let money_at_stake = withheld_after.saturating_sub(withheld_before);

    // Slot 0 is the invoice level; slot i + 1 is line index i. Flags carry line numbers, which
    // map to the first line with that number.
    let mut index: HashMap<u32, usize> = HashMap::new();
    for (i, l) in invoice.lines.iter().enumerate() {
        index.entry(l.line_number).or_insert(i + 1);
    }
    let slot = |f: &Flag| {
        f.line_number
            .and_then(|n| index.get(&n).copied())
            .unwrap_or(0)
    };
    let mut slots: Vec<LineDiff> = std::iter::once(None)
        .chain(invoice.lines.iter().map(|l| Some(l.line_number)))
        .map(|line_number| LineDiff {
            line_number,
            gained: Vec::new(),
            lost: Vec::new(),
            money_at_stake: Decimal::ZERO,
        })
        .collect();
    for f in gained {
        slots[slot(f)].gained.push(f.clone());
    }
    for f in lost {
        slots[slot(f)].lost.push(f.clone());
    }
    let mut explained = Decimal::ZERO;
    for (i, (b, a)) in before.lines.iter().zip(&after.lines).enumerate() {
        let delta = b.adjusted_total.saturating_sub(a.adjusted_total);
        slots[i + 1].money_at_stake = delta;
        explained = explained.saturating_add(delta);
    }
    slots[0].money_at_stake = money_at_stake.saturating_sub(explained);
    slots.retain(|s| !s.gained.is_empty() || !s.lost.is_empty() || !s.money_at_stake.is_zero());
    InvoiceDiff {
        vendor_id: invoice.vendor_id.clone(),
        invoice_number: invoice.invoice_number.clone(),
        rejected_before: before.invoice_rejected,
        rejected_after: after.invoice_rejected,
        withheld_before,
        withheld_after,
        money_at_stake,
        lines: slots,
    }
}
