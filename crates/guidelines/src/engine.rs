//! Evaluation: runs the enabled rules of a [`GuidelineSet`] over one [`Invoice`] with its
//! [`Context`] and combines the findings into an [`Evaluation`].
//!
//! Cost model (the target is a 1,000-line invoice against 100,000 history lines in a few
//! milliseconds): narratives are normalised once per line; history is scanned once, keeping only
//! lines whose (timekeeper, date) occurs in the invoice, so near-duplicate comparison is
//! confined to small groups; all other checks are linear in the invoice.
//!
//! Combining: every AutoAdjust finding proposes lower units, a lower rate, a lower total or a
//! write-down percentage. Per line the engine takes the lowest units, the lowest rate, the
//! lowest total and the highest write-down, applied in that order, and never lets a line
//! exceed its billed total. A RejectLine finding sets the line to zero.

use std::cell::OnceCell;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::sync::Mutex;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use crate::rules::{Action, Approver, GuidelineSet, Rule};
use crate::{
    ApprovedTimekeeper, Context, DailyHours, Date, History, HistoryLine, Invoice, Line, MatterInfo,
    text,
};

/// A proposed change to one line, with the exact resulting total and the amount saved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Adjustment {
    /// The reduced units (hours), when the finding reduces hours.
    pub new_units: Option<Decimal>,
    /// The reduced rate, when the finding reduces the rate.
    pub new_rate: Option<Decimal>,
    /// The percentage written off, when the finding writes the line down.
    pub write_down_percent: Option<Decimal>,
    /// The line total after this adjustment alone (never above the billed total).
    pub new_total: Decimal,
    /// Billed total minus `new_total`.
    pub saved: Decimal,
}

/// One finding of one rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flag {
    /// The rule's id.
    pub rule_id: String,
    /// The rule kind's name (`"rate_above_approved"`).
    pub kind: String,
    /// The line number, or `None` for an invoice-level finding.
    pub line_number: Option<u32>,
    /// The rule's action.
    pub action: Action,
    /// The reason code the vendor sees.
    pub reason_code: String,
    /// Plain-language explanation naming the figures.
    pub message: String,
    /// For [`Action::AutoAdjust`], the proposed adjustment (absent when the finding has no
    /// figure to adjust to, e.g. a timekeeper with no rate in force).
    pub adjustment: Option<Adjustment>,
}

/// What happens to one line after all findings are combined.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineOutcome {
    /// The line number.
    pub line_number: u32,
    /// The total as billed.
    pub billed_total: Decimal,
    /// The total after rejections and adjustments (tax is not recomputed).
    pub adjusted_total: Decimal,
    /// Whether a RejectLine finding rejected it.
    pub rejected: bool,
}

/// The result of checking one invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Every finding: invoice-level first, then by line, each in rule order.
    pub flags: Vec<Flag>,
    /// Per-line outcome, in invoice order.
    pub lines: Vec<LineOutcome>,
    /// The invoice total as billed.
    pub billed_total: Decimal,
    /// Billed total minus [`Evaluation::savings`]: what line-level actions leave payable. When
    /// [`Evaluation::invoice_rejected`], nothing is payable now; this still shows what the
    /// line-level actions would leave.
    pub adjusted_total: Decimal,
    /// Sum over lines of billed minus adjusted totals (rejected lines count in full).
    pub savings: Decimal,
    /// Whether a RejectInvoice finding rejected the whole invoice.
    pub invoice_rejected: bool,
    /// Extra approvers required by RouteToApprover findings, in first-seen order.
    pub extra_approvers: Vec<Approver>,
}

impl Evaluation {
    /// Money withheld from the firm: the whole billed total when rejected, else the savings.
    pub fn withheld(&self) -> Decimal {
        if self.invoice_rejected {
            self.billed_total
        } else {
            self.savings
        }
    }

    /// The findings on one line.
    pub fn flags_for_line(&self, line_number: u32) -> impl Iterator<Item = &Flag> {
        self.flags
            .iter()
            .filter(move |f| f.line_number == Some(line_number))
    }
}

/// Evaluates `invoice` against the enabled rules of `set`, with what the application knows in
/// `context`. Never fails: every problem is a [`Flag`].
pub fn evaluate(set: &GuidelineSet, invoice: &Invoice, context: &Context) -> Evaluation {
    evaluate_normalizing(set, invoice, context).0
}

/// [`evaluate`], also giving back each line's narrative as the checks normalised it: for a
/// caller that adds the invoice to the history next ([`HistoryLine::of_normalized`]), so the
/// narratives are not normalised again when later invoices are compared with them.
pub fn evaluate_normalizing(
    set: &GuidelineSet,
    invoice: &Invoice,
    context: &Context,
) -> (Evaluation, Vec<String>) {
    let prep = Prep::new(invoice, context);
    let mut accs = vec![LineAcc::default(); invoice.lines.len()];
    let mut flags: Vec<(Option<usize>, Flag)> = Vec::new();
    let mut invoice_rejected = false;
    let mut extra_approvers: Vec<Approver> = Vec::new();
    let mut hits = Vec::new();
    let none = text::Phrases::default();
    for (rule, phrases) in set.enabled_rules_with_phrases() {
        hits.clear();
        crate::checks::run(&rule.kind, phrases.unwrap_or(&none), &prep, &mut hits);
        for hit in hits.drain(..) {
            flags.push((hit.line, make_flag(rule, &hit, invoice, &mut accs)));
            match &rule.action {
                Action::RejectInvoice => invoice_rejected = true,
                Action::RouteToApprover { approver } if !extra_approvers.contains(approver) => {
                    extra_approvers.push(approver.clone());
                }
                _ => {}
            }
        }
    }
    flags.sort_by_key(|(i, _)| i.map_or(0, |i| i + 1));
    let lines: Vec<LineOutcome> = invoice
        .lines
        .iter()
        .zip(&accs)
        .map(|(line, acc)| LineOutcome {
            line_number: line.line_number,
            billed_total: line.total,
            adjusted_total: acc.apply(line),
            rejected: acc.rejected,
        })
        .collect();
    let savings = lines.iter().fold(Decimal::ZERO, |s, l| {
        s.saturating_add(l.billed_total.saturating_sub(l.adjusted_total))
    });
    let evaluation = Evaluation {
        flags: flags.into_iter().map(|(_, f)| f).collect(),
        lines,
        billed_total: invoice.total,
        adjusted_total: invoice.total.saturating_sub(savings),
        savings,
        invoice_rejected,
        extra_approvers,
    };
    (evaluation, prep.norm)
}

fn make_flag(rule: &Rule, hit: &Hit, invoice: &Invoice, accs: &mut [LineAcc]) -> Flag {
    let line = hit.line.map(|i| &invoice.lines[i]);
    let mut adjustment = None;
    if let (Some(i), Some(line)) = (hit.line, line) {
        match rule.action {
            Action::RejectLine => accs[i].rejected = true,
            Action::AutoAdjust => {
                adjustment = adjust(line, &hit.proposal, rule.write_down_percent);
                accs[i].add(&hit.proposal, rule.write_down_percent);
            }
            _ => {}
        }
    }
    Flag {
        rule_id: rule.id.clone(),
        kind: rule.kind.name().to_owned(),
        line_number: line.map(|l| l.line_number),
        action: rule.action.clone(),
        reason_code: rule.reason_code.clone(),
        message: hit.message.clone(),
        adjustment,
    }
}

/// What an AutoAdjust finding proposes for its line.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Proposal {
    /// Nothing to adjust to.
    None,
    /// Lower the units to this.
    Units(Decimal),
    /// Lower the rate to this.
    Rate(Decimal),
    /// Lower the line total to this.
    Total(Decimal),
    /// Write the line down by the rule's percentage.
    WriteDown,
}

/// One raw finding of a check, before the rule's action is applied.
pub(crate) struct Hit {
    pub line: Option<usize>,
    pub message: String,
    pub proposal: Proposal,
}

impl Hit {
    /// A finding on line index `i`.
    pub fn line(i: usize, message: String, proposal: Proposal) -> Hit {
        Hit {
            line: Some(i),
            message,
            proposal,
        }
    }

    /// An invoice-level finding.
    pub fn invoice(message: String) -> Hit {
        Hit {
            line: None,
            message,
            proposal: Proposal::None,
        }
    }
}

/// Rounds money to cents, half away from zero.
pub(crate) fn cents(d: Decimal) -> Decimal {
    let mut r = d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    r.rescale(2);
    r
}

fn extend(units: Decimal, rate: Decimal, adjustment: Decimal) -> Decimal {
    cents(units.saturating_mul(rate).saturating_add(adjustment))
}

fn write_down(total: Decimal, percent: Decimal) -> Decimal {
    let keep = (Decimal::ONE_HUNDRED - percent) / Decimal::ONE_HUNDRED;
    cents(total.saturating_mul(keep))
}

fn adjust(line: &Line, proposal: &Proposal, percent: Option<Decimal>) -> Option<Adjustment> {
    let (mut new_units, mut new_rate, mut pct) = (None, None, None);
    let new_total = match proposal {
        Proposal::None => return None,
        Proposal::Units(u) => {
            new_units = Some(*u);
            extend(*u, line.rate, line.adjustment)
        }
        Proposal::Rate(r) => {
            new_rate = Some(*r);
            extend(line.units, *r, line.adjustment)
        }
        Proposal::Total(t) => *t,
        Proposal::WriteDown => {
            let p = percent.unwrap_or(Decimal::ONE_HUNDRED);
            pct = Some(p);
            write_down(line.total, p)
        }
    };
    let new_total = new_total.min(line.total);
    Some(Adjustment {
        new_units,
        new_rate,
        write_down_percent: pct,
        new_total,
        saved: line.total.saturating_sub(new_total),
    })
}

/// The combined effect of all findings on one line.
#[derive(Debug, Clone, Default)]
struct LineAcc {
    rejected: bool,
    units: Option<Decimal>,
    rate: Option<Decimal>,
    total: Option<Decimal>,
    write_down: Option<Decimal>,
}

impl LineAcc {
    fn add(&mut self, proposal: &Proposal, percent: Option<Decimal>) {
        fn lower(slot: &mut Option<Decimal>, v: Decimal) {
            *slot = Some(slot.map_or(v, |s| s.min(v)));
        }
        match proposal {
            Proposal::None => {}
            Proposal::Units(u) => lower(&mut self.units, *u),
            Proposal::Rate(r) => lower(&mut self.rate, *r),
            Proposal::Total(t) => lower(&mut self.total, *t),
            Proposal::WriteDown => {
                let p = percent.unwrap_or(Decimal::ONE_HUNDRED);
                self.write_down = Some(self.write_down.map_or(p, |w| w.max(p)));
            }
        }
    }

    fn apply(&self, line: &Line) -> Decimal {
        if self.rejected {
            return Decimal::ZERO;
        }
        let mut total = line.total;
        if self.units.is_some() || self.rate.is_some() {
            let units = self.units.unwrap_or(line.units);
            let rate = self.rate.unwrap_or(line.rate);
            total = total.min(extend(units, rate, line.adjustment));
        }
        if let Some(t) = self.total {
            total = total.min(t);
        }
        if let Some(p) = self.write_down {
            total = write_down(total, p);
        }
        total.min(line.total)
    }
}

/// A fast, non-cryptographic hasher (the multiply-rotate scheme of rustc's FxHash) for the
/// history index, where SipHash dominated the cost of scanning 100,000 lines. Keys come from
/// the invoice under review, which is bounded in size, so collision flooding cannot make the
/// scan worse than quadratic in the invoice.
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher(u64);

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut buf = [0u8; 8];
            buf[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(buf));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn write_u16(&mut self, i: u16) {
        self.add(u64::from(i));
    }

    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// Hash maps and sets keyed by [`FxHasher`].
pub(crate) type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;
type FxSet<K> = HashSet<K, BuildHasherDefault<FxHasher>>;

/// One earlier line in the history index, with its narrative normalised.
pub(crate) struct HistEntry<'a> {
    pub line: &'a HistoryLine,
    pub norm: &'a str,
}

/// History reduced to what this invoice can match.
#[derive(Default)]
pub(crate) struct HistIndex<'a> {
    /// Earlier lines by (timekeeper id or "", date), only for keys present in the invoice.
    pub by_key: FxMap<(&'a str, Date), Vec<HistEntry<'a>>>,
    /// Earlier fee lines per timekeeper of the invoice, sorted by date: the latest before the
    /// invoice's first line date, and all within the invoice's dates.
    pub fee_lines: FxMap<&'a str, Vec<&'a HistoryLine>>,
    /// Hours billed on earlier invoices per (timekeeper, date) of the invoice.
    pub daily: FxMap<(&'a str, Date), Decimal>,
}

/// Per-evaluation lookups shared by the checks.
pub(crate) struct Prep<'a> {
    pub inv: &'a Invoice,
    pub ctx: &'a Context,
    /// Normalised, padded narrative per line.
    pub norm: Vec<String>,
    /// Each line's [`text::word_mask`].
    pub masks: Vec<u64>,
    pub timekeepers: crate::checks::Map<&'a str, &'a ApprovedTimekeeper>,
    pub matters: crate::checks::Map<i64, &'a MatterInfo>,
    history: OnceCell<HistIndex<'a>>,
}

impl<'a> Prep<'a> {
    fn new(inv: &'a Invoice, ctx: &'a Context) -> Prep<'a> {
        let norm: Vec<String> = inv
            .lines
            .iter()
            .map(|l| text::normalize(&l.narrative))
            .collect();
        Prep {
            inv,
            ctx,
            masks: norm.iter().map(|n| text::word_mask(n)).collect(),
            norm,
            timekeepers: ctx.timekeepers.iter().map(|t| (t.id.as_str(), t)).collect(),
            matters: ctx.matters.iter().map(|m| (m.id, m)).collect(),
            history: OnceCell::new(),
        }
    }

    /// The lines with their indexes.
    pub fn lines(&self) -> impl Iterator<Item = (usize, &'a Line)> + use<'a> {
        self.inv.lines.iter().enumerate()
    }

    /// The approved timekeeper record for a line's timekeeper.
    pub fn approved(&self, line: &Line) -> Option<&'a ApprovedTimekeeper> {
        line.timekeeper_id()
            .and_then(|id| self.timekeepers.get(id).copied())
    }

    /// The history index, built on first use from the history's own [`HistoryIndex`].
    pub fn history(&self) -> &HistIndex<'a> {
        self.history.get_or_init(|| {
            let h = &self.ctx.history;
            let Wanted {
                keys,
                tks,
                first,
                last,
            } = Wanted::of(self.inv);
            let mut cache = h.index.0.lock().unwrap_or_else(|e| e.into_inner());
            cache.catch_up(h);
            let mut index = HistIndex::default();
            for &(tk, date) in &keys {
                let Some(&t) = cache.tks.get(tk) else {
                    continue;
                };
                if let Some(found) = cache.by_key.get(&(t, date)) {
                    let entries = found
                        .iter()
                        .map(|&i| {
                            let line = &h.lines[i as usize];
                            HistEntry {
                                line,
                                norm: line
                                    .normalized
                                    .get_or_init(|| text::normalize(&line.narrative)),
                            }
                        })
                        .collect();
                    index.by_key.insert((tk, date), entries);
                }
                if let Some(hours) = cache.daily.get(&(t, date)) {
                    index.daily.insert((tk, date), *hours);
                }
            }
            // For rate history: the latest fee line before the invoice's first date (the
            // last of its date in history order) and every fee line within its dates, by date.
            for tk in tks {
                let Some(&t) = cache.tks.get(tk) else {
                    continue;
                };
                let fees = &cache.fees[t as usize];
                let from = fees.partition_point(|&i| h.lines[i as usize].date < first);
                let to = fees.partition_point(|&i| h.lines[i as usize].date <= last);
                let picked: Vec<&HistoryLine> = fees[from.saturating_sub(1)..to]
                    .iter()
                    .map(|&i| &h.lines[i as usize])
                    .collect();
                if !picked.is_empty() {
                    index.fee_lines.insert(tk, picked);
                }
            }
            index
        })
    }
}

/// What of the history an invoice can match: its (timekeeper or "", date) keys, its timekeepers
/// and its first and last line dates.
struct Wanted<'a> {
    keys: FxSet<(&'a str, Date)>,
    tks: FxSet<&'a str>,
    first: Date,
    last: Date,
}

impl<'a> Wanted<'a> {
    fn of(inv: &'a Invoice) -> Wanted<'a> {
        Wanted {
            keys: inv
                .lines
                .iter()
                .map(|l| (l.timekeeper_id().unwrap_or(""), l.date))
                .collect(),
            tks: inv.lines.iter().filter_map(Line::timekeeper_id).collect(),
            first: inv.lines.iter().map(|l| l.date).min().unwrap_or(Date::MAX),
            last: inv.lines.iter().map(|l| l.date).max().unwrap_or(Date::MIN),
        }
    }
}

/// A [`History`] indexed by timekeeper and date (see [`History::index`]).
#[derive(Default)]
pub struct HistoryIndex(Mutex<HistoryCache>);

impl Clone for HistoryIndex {
    /// A clone starts empty: the index is made again from the clone's history on first use.
    fn clone(&self) -> Self {
        HistoryIndex::default()
    }
}

impl PartialEq for HistoryIndex {
    /// Not part of the data: histories compare by their lines.
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl std::fmt::Debug for HistoryIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HistoryIndex")
    }
}

/// What [`HistoryIndex`] holds: positions in `History::lines`, by interned timekeeper id ("" for
/// none) and date.
#[derive(Default)]
struct HistoryCache {
    /// How many lines and daily-hours entries are indexed, and a digest of the last of each
    /// (to notice a history that was changed other than by appending).
    lines: usize,
    last_line: u64,
    daily_n: usize,
    last_daily: u64,
    tks: FxMap<String, u32>,
    by_key: FxMap<(u32, Date), Vec<u32>>,
    /// Fee lines per timekeeper in (date, position) order.
    fees: Vec<Vec<u32>>,
    daily: FxMap<(u32, Date), Decimal>,
}

fn line_digest(l: &HistoryLine) -> u64 {
    let mut h = FxHasher::default();
    (
        &l.invoice_number,
        l.line_number,
        l.date,
        &l.timekeeper_id,
        l.units,
        l.rate,
    )
        .hash(&mut h);
    h.finish()
}

fn daily_digest(d: &DailyHours) -> u64 {
    let mut h = FxHasher::default();
    (&d.timekeeper_id, d.date, d.hours).hash(&mut h);
    h.finish()
}

impl HistoryCache {
    fn tk(&mut self, id: &str) -> u32 {
        if let Some(&t) = self.tks.get(id) {
            return t;
        }
        let t = self.tks.len() as u32;
        self.tks.insert(id.to_string(), t);
        self.fees.push(vec![]);
        t
    }

    /// Indexes what was appended since the last call (everything, if the history was changed
    /// other than by appending).
    fn catch_up(&mut self, h: &History) {
        let lines_kept = self.lines <= h.lines.len()
            && (self.lines == 0 || line_digest(&h.lines[self.lines - 1]) == self.last_line);
        let daily_kept = self.daily_n <= h.daily_hours.len()
            && (self.daily_n == 0
                || daily_digest(&h.daily_hours[self.daily_n - 1]) == self.last_daily);
        if !lines_kept || !daily_kept {
            *self = HistoryCache::default();
        }
        for (i, line) in h.lines.iter().enumerate().skip(self.lines) {
            let t = self.tk(line.timekeeper_id.as_deref().unwrap_or(""));
            self.by_key
                .entry((t, line.date))
                .or_default()
                .push(i as u32);
            if line.line_type.is_fee() {
                // After every line of an earlier date or of the same date (this one comes
                // last in history order).
                let list = &mut self.fees[t as usize];
                let at = list.partition_point(|&j| h.lines[j as usize].date <= line.date);
                list.insert(at, i as u32);
            }
        }
        if let Some(l) = h.lines.last() {
            self.lines = h.lines.len();
            self.last_line = line_digest(l);
        }
        for d in h.daily_hours.iter().skip(self.daily_n) {
            let t = self.tk(&d.timekeeper_id);
            let slot = self.daily.entry((t, d.date)).or_insert(Decimal::ZERO);
            *slot = slot.saturating_add(d.hours);
        }
        if let Some(d) = h.daily_hours.last() {
            self.daily_n = h.daily_hours.len();
            self.last_daily = daily_digest(d);
        }
    }
}

/// `"650.00"`: money with two decimals.
pub(crate) fn money(d: Decimal) -> String {
    format!("{:.2}", cents(d))
}

/// `"1.5"`, `"12.0"`: a quantity without trailing zeros but at least one decimal.
pub(crate) fn qty(d: Decimal) -> String {
    let n = d.normalize();
    if n.scale() == 0 {
        format!("{n}.0")
    } else {
        n.to_string()
    }
}

/// `"Jane Smith (PT)"`, or `"no timekeeper"`.
pub(crate) fn who(line: &Line) -> String {
    match &line.timekeeper {
        Some(t) if t.classification_code.is_empty() => t.name.clone(),
        Some(t) => format!("{} ({})", t.name, t.classification_code),
        None => "no timekeeper".to_owned(),
    }
}

/// The narrative in quotes, shortened for messages.
pub(crate) fn quote(narrative: &str) -> String {
    let t = narrative.trim();
    if t.chars().count() > 60 {
        let s: String = t.chars().take(57).collect();
        format!("\"{s}…\"")
    } else {
        format!("\"{t}\"")
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::{LineTimekeeper, LineType};

    /// The index as it was made before it was kept: one pass over the whole history.
    fn scan<'a>(inv: &'a Invoice, h: &'a History) -> HistIndex<'a> {
        let Wanted {
            keys,
            tks,
            first,
            last,
        } = Wanted::of(inv);
        let mut index = HistIndex::default();
        let mut before: FxMap<&str, &HistoryLine> = FxMap::default();
        for line in &h.lines {
            let tk = line.timekeeper_id.as_deref().unwrap_or("");
            let key = (tk, line.date);
            if first <= line.date && line.date <= last && keys.contains(&key) {
                index.by_key.entry(key).or_default().push(HistEntry {
                    line,
                    norm: line
                        .normalized
                        .get_or_init(|| text::normalize(&line.narrative)),
                });
            }
            if line.line_type.is_fee() && line.date <= last && tks.contains(tk) {
                if line.date < first {
                    let slot = before.entry(tk).or_insert(line);
                    if line.date >= slot.date {
                        *slot = line;
                    }
                } else {
                    index.fee_lines.entry(tk).or_default().push(line);
                }
            }
        }
        for (tk, line) in before {
            index.fee_lines.entry(tk).or_default().push(line);
        }
        for v in index.fee_lines.values_mut() {
            v.sort_by_key(|l| l.date);
        }
        for d in &h.daily_hours {
            let key = (d.timekeeper_id.as_str(), d.date);
            if first <= d.date && d.date <= last && keys.contains(&key) {
                let slot = index.daily.entry(key).or_insert(Decimal::ZERO);
                *slot = slot.saturating_add(d.hours);
            }
        }
        index
    }

    /// The same index, compared by which lines (by position) it holds where.
    type Shape = (
        Vec<((String, Date), Vec<usize>)>,
        Vec<(String, Vec<usize>)>,
        Vec<((String, Date), Decimal)>,
    );

    fn shape(index: &HistIndex<'_>, h: &History) -> Shape {
        let at = |l: &HistoryLine| {
            h.lines
                .iter()
                .position(|x| std::ptr::eq(x, l))
                .expect("a line of the history")
        };
        let mut by_key: Vec<_> = index
            .by_key
            .iter()
            .map(|((tk, d), v)| ((tk.to_string(), *d), v.iter().map(|e| at(e.line)).collect()))
            .collect();
        by_key.sort();
        let mut fees: Vec<_> = index
            .fee_lines
            .iter()
            .map(|(tk, v)| (tk.to_string(), v.iter().map(|l| at(l)).collect()))
            .collect();
        fees.sort();
        let mut daily: Vec<_> = index
            .daily
            .iter()
            .map(|((tk, d), h)| ((tk.to_string(), *d), *h))
            .collect();
        daily.sort();
        (by_key, fees, daily)
    }

    fn day(n: u32) -> Date {
        Date::new(2026, 1, 1)
            .expect("a date")
            .add_days(i64::from(n))
    }

    const TKS: &[&str] = &["JS", "AB", "CD"];

    fn line((tk, d, fee): (usize, u32, bool), n: usize) -> Line {
        Line {
            line_number: n as u32 + 1,
            line_type: if fee {
                LineType::Fee
            } else {
                LineType::Expense
            },
            date: day(d),
            timekeeper: TKS.get(tk).map(|id| LineTimekeeper {
                id: id.to_string(),
                name: id.to_string(),
                classification: crate::Classification::Partner,
                classification_code: "PT".into(),
            }),
            matter_id: 1,
            units: Decimal::ONE,
            rate: Decimal::from(300),
            adjustment: Decimal::ZERO,
            total: Decimal::from(300),
            tax_rate: None,
            tax: None,
            task_code: None,
            activity_code: None,
            expense_code: None,
            narrative: format!("Draft motion {n}"),
            client_matter_id: String::new(),
            firm_matter_id: String::new(),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        /// Invoices judged in turn against a history that grows between them (in any date
        /// order): the kept index gives each exactly what a pass over the whole history gives.
        #[test]
        fn the_kept_index_holds_what_a_full_pass_finds(
            batches in prop::collection::vec(
                prop::collection::vec((0usize..4, 0u32..40, any::<bool>()), 1..30),
                1..6,
            ),
        ) {
            let mut ctx = Context::new(day(60));
            for (b, batch) in batches.iter().enumerate() {
                let inv = Invoice {
                    vendor_id: "V1".into(),
                    invoice_number: format!("INV-{b}"),
                    invoice_date: day(45),
                    billing_start: day(0),
                    billing_end: day(40),
                    currency: "USD".into(),
                    total: Decimal::ZERO,
                    tax_total: Decimal::ZERO,
                    lines: batch.iter().enumerate().map(|(n, l)| line(*l, n)).collect(),
                };
                let prep = Prep::new(&inv, &ctx);
                prop_assert_eq!(
                    shape(prep.history(), &ctx.history),
                    shape(&scan(&inv, &ctx.history), &ctx.history)
                );
                for l in &inv.lines {
                    ctx.history.lines.push(HistoryLine::of(&inv.invoice_number, l));
                    if let Some(tk) = l.timekeeper_id() {
                        ctx.history.daily_hours.push(DailyHours {
                            timekeeper_id: tk.to_string(),
                            date: l.date,
                            hours: Decimal::from(b as i64 + 1),
                        });
                    }
                }
            }
        }
    }
}
