//! One function per [`RuleKind`]: each reads the invoice through [`Prep`] and pushes [`Hit`]s
//! with a plain-language message and, where the kind has one, the figure AutoAdjust reduces to.
//!
//! Checks are pure and independent of the rule's action; the engine decides what a hit means.

use std::collections::HashMap;

/// The checks' hash maps: foldhash, seeded per process (narratives come from vendors, so a
/// predictable hash would let a crafted file make them slow); several times faster than the
/// standard library's SipHash on these short keys.
pub(crate) type Map<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

fn map<K, V>(capacity: usize) -> Map<K, V> {
    Map::with_capacity_and_hasher(capacity, Default::default())
}

use rust_decimal::Decimal;

use crate::engine::{Hit, Prep, Proposal, cents, money, qty, quote, who};
use crate::rules::{ExpenseCap, RuleKind};
use crate::{Classification, Date, LineType, MatterStatus, text, utbms_phase};

/// Runs the check for `kind`.
/// Runs one rule (`phrases`: its phrase list, normalised; empty for a rule without one).
pub(crate) fn run(kind: &RuleKind, phrases: &text::Phrases, p: &Prep<'_>, out: &mut Vec<Hit>) {
    match kind {
        RuleKind::LineArithmetic { tolerance } => line_arithmetic(*tolerance, p, out),
        RuleKind::InvoiceArithmetic { tolerance } => invoice_arithmetic(*tolerance, p, out),
        RuleKind::Tax {
            tolerance,
            allowed_rates,
        } => tax(*tolerance, allowed_rates, p, out),
        RuleKind::DuplicateInvoiceNumber => duplicate_invoice(p, out),
        RuleKind::DuplicateLine { include_history } => duplicate_lines(*include_history, p, out),
        RuleKind::NearDuplicateLine {
            threshold,
            shingle_words,
            units_tolerance,
            include_history,
        } => near_duplicates(
            *threshold,
            *shingle_words as usize,
            *units_tolerance,
            *include_history,
            p,
            out,
        ),
        RuleKind::UnknownMatter => unknown_matter(p, out),
        RuleKind::MatterNotBillable { billable } => matter_not_billable(billable, p, out),
        RuleKind::VendorNotAssigned => vendor_not_assigned(p, out),
        RuleKind::OutsideBillingPeriod => outside_period(p, out),
        RuleKind::FutureDated => future_dated(p, out),
        RuleKind::LateBilling { max_days } => late_billing(*max_days, p, out),
        RuleKind::LateSubmission { max_days } => late_submission(*max_days, p, out),
        RuleKind::UnapprovedTimekeeper {
            check_classification,
        } => unapproved_timekeeper(*check_classification, p, out),
        RuleKind::RateAboveApproved => rate_above_approved(p, out),
        RuleKind::RateAboveCap => rate_above_cap(p, out),
        RuleKind::UnapprovedRateIncrease => unapproved_increase(p, out),
        RuleKind::DisallowedClassification { classifications } => {
            disallowed_classification(classifications, p, out)
        }
        RuleKind::TimeIncrement { increment } => time_increment(*increment, p, out),
        RuleKind::MaxEntryHours { max_hours } => max_entry_hours(*max_hours, p, out),
        RuleKind::DailyHours { max_hours } => daily_hours(*max_hours, p, out),
        RuleKind::BlockBilling {
            min_tasks,
            min_hours,
            separators,
            task_verbs,
        } => block_billing(*min_tasks, *min_hours, separators, task_verbs, p, out),
        RuleKind::VagueNarrative {
            min_length,
            min_other_words,
            ..
        } => vague(phrases, *min_length, *min_other_words, p, out),
        RuleKind::ProhibitedTerms { .. } => prohibited(phrases, p, out),
        RuleKind::ClericalWork { exempt, .. } => clerical(phrases, exempt, p, out),
        RuleKind::InternalConference { .. } => internal_conference(phrases, p, out),
        RuleKind::MultipleAttendees {
            max_attendees,
            activity_codes,
            ..
        } => multiple_attendees(*max_attendees, activity_codes, phrases, p, out),
        RuleKind::DisallowedExpenses { codes } => disallowed_expenses(codes, p, out),
        RuleKind::ExpenseCaps { caps } => expense_caps(caps, p, out),
        RuleKind::PremiumTravel { .. } => premium_travel(phrases, p, out),
        RuleKind::UtbmsCodes {
            require_task,
            require_activity,
            require_expense,
        } => utbms_codes(*require_task, *require_activity, *require_expense, p, out),
        RuleKind::BudgetOverrun {
            tolerance_percent,
            phases,
        } => budget_overrun(*tolerance_percent, *phases, p, out),
    }
}

fn line_arithmetic(tolerance: Decimal, p: &Prep<'_>, out: &mut Vec<Hit>) {
    for (i, l) in p.lines() {
        let expected = cents(l.units.saturating_mul(l.rate).saturating_add(l.adjustment));
        if expected.saturating_sub(l.total).abs() > tolerance {
            let adj = if l.adjustment.is_zero() {
                String::new()
            } else {
                format!(" + adjustment {}", money(l.adjustment))
            };
            let proposal = if expected < l.total {
                Proposal::Total(expected)
            } else {
                Proposal::None
            };
            out.push(Hit::line(
                i,
                format!(
                    "Line total {} does not equal {} × {}{adj} = {}",
                    money(l.total),
                    qty(l.units),
                    money(l.rate),
                    money(expected)
                ),
                proposal,
            ));
        }
    }
}

fn invoice_arithmetic(tolerance: Decimal, p: &Prep<'_>, out: &mut Vec<Hit>) {
    let inv = p.inv;
    let lines = inv
        .lines
        .iter()
        .fold(Decimal::ZERO, |s, l| s.saturating_add(l.total));
    let expected = lines.saturating_add(inv.tax_total);
    if inv.total.saturating_sub(expected).abs() > tolerance {
        out.push(Hit::invoice(format!(
            "Invoice total {} does not equal the sum of line totals {} plus tax {} = {}",
            money(inv.total),
            money(lines),
            money(inv.tax_total),
            money(expected)
        )));
    }
    let line_tax = inv
        .lines
        .iter()
        .filter_map(|l| l.tax)
        .fold(Decimal::ZERO, Decimal::saturating_add);
    if inv.tax_total.saturating_sub(line_tax).abs() > tolerance {
        out.push(Hit::invoice(format!(
            "Invoice tax total {} does not equal the sum of line taxes {}",
            money(inv.tax_total),
            money(line_tax)
        )));
    }
}

fn percent(fraction: Decimal) -> String {
    format!(
        "{}%",
        fraction.saturating_mul(Decimal::ONE_HUNDRED).normalize()
    )
}

fn tax(tolerance: Decimal, allowed: &[Decimal], p: &Prep<'_>, out: &mut Vec<Hit>) {
    for (i, l) in p.lines() {
        let mut problems = Vec::new();
        match (l.tax_rate, l.tax) {
            (Some(rate), Some(tax)) => {
                let expected = cents(l.total.saturating_mul(rate));
                if tax.saturating_sub(expected).abs() > tolerance {
                    problems.push(format!(
                        "tax {} does not equal {} of {} = {}",
                        money(tax),
                        percent(rate),
                        money(l.total),
                        money(expected)
                    ));
                }
            }
            (None, Some(tax)) if !tax.is_zero() => {
                problems.push(format!("tax {} is billed without a tax rate", money(tax)));
            }
            (Some(rate), None) if !rate.is_zero() => {
                problems.push(format!(
                    "tax rate {} is given without a tax amount",
                    percent(rate)
                ));
            }
            _ => {}
        }
        if let Some(rate) = l.tax_rate
            && !allowed.is_empty()
            && !allowed.contains(&rate)
        {
            let list: Vec<String> = allowed.iter().map(|r| percent(*r)).collect();
            problems.push(format!(
                "tax rate {} is not an accepted rate ({})",
                percent(rate),
                list.join(", ")
            ));
        }
        if !problems.is_empty() {
            out.push(Hit::line(
                i,
                capitalize(&problems.join("; ")),
                Proposal::None,
            ));
        }
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn duplicate_invoice(p: &Prep<'_>, out: &mut Vec<Hit>) {
    let number = p.inv.invoice_number.trim();
    if p.ctx
        .history
        .invoice_numbers
        .iter()
        .any(|n| n.trim().eq_ignore_ascii_case(number))
    {
        out.push(Hit::invoice(format!(
            "Invoice number {number} was already used on an earlier invoice from vendor {}",
            p.inv.vendor_id
        )));
    }
}

fn duplicate_lines(include_history: bool, p: &Prep<'_>, out: &mut Vec<Hit>) {
    let mut seen: Map<(LineType, &str, Date, Decimal, &str), usize> = map(p.inv.lines.len());
    for (i, l) in p.lines() {
        let tk = l.timekeeper_id().unwrap_or("");
        let units = l.units.normalize();
        let key = (l.line_type, tk, l.date, units, p.norm[i].as_str());
        if let Some(&first) = seen.get(&key) {
            out.push(Hit::line(
                i,
                format!(
                    "Duplicates line {}: same timekeeper ({}), date {}, {} units and narrative",
                    p.inv.lines[first].line_number,
                    who(l),
                    l.date,
                    qty(l.units)
                ),
                Proposal::WriteDown,
            ));
            continue;
        }
        seen.insert(key, i);
        if !include_history {
            continue;
        }
        let earlier = p.history().by_key.get(&(tk, l.date)).and_then(|v| {
            v.iter().find(|e| {
                e.line.line_type == l.line_type && e.line.units == l.units && e.norm == p.norm[i]
            })
        });
        if let Some(e) = earlier {
            out.push(Hit::line(
                i,
                format!(
                    "Duplicates line {} of invoice {}: same timekeeper ({}), date {}, {} units and narrative",
                    e.line.line_number,
                    e.line.invoice_number,
                    who(l),
                    l.date,
                    qty(l.units)
                ),
                Proposal::WriteDown,
            ));
        }
    }
}

/// `a/b > c/d` for non-negative integer fractions, without division.
fn greater(a: (usize, usize), b: (usize, usize)) -> bool {
    (a.0 as u128) * (b.1 as u128) > (b.0 as u128) * (a.1 as u128)
}

fn near_duplicates(
    threshold: Decimal,
    k: usize,
    units_tolerance: Decimal,
    include_history: bool,
    p: &Prep<'_>,
    out: &mut Vec<Hit>,
) {
    let mut groups: Map<(&str, Date), Vec<usize>> = map(p.inv.lines.len());
    for (i, l) in p.lines() {
        if let (true, Some(tk)) = (l.line_type.is_fee(), l.timekeeper_id()) {
            groups.entry((tk, l.date)).or_default().push(i);
        }
    }
    let mut shingles: Map<usize, Vec<u64>> = map(0);
    let passes = |inter: usize, union: usize| {
        union > 0 && Decimal::from(inter as u64) >= threshold * Decimal::from(union as u64)
    };
    let mut order: Vec<(&(&str, Date), &Vec<usize>)> = groups.iter().collect();
    order.sort_by_key(|(_, v)| v[0]);
    for (key, members) in order {
        let history = if include_history {
            p.history()
                .by_key
                .get(key)
                .map(Vec::as_slice)
                .unwrap_or(&[])
        } else {
            &[]
        };
        if members.len() < 2 && history.is_empty() {
            continue;
        }
        for (pos, &i) in members.iter().enumerate() {
            let l = &p.inv.lines[i];
            let own = shingles
                .entry(i)
                .or_insert_with(|| text::shingles(&p.norm[i], k))
                .clone();
            // (similarity as a fraction, description of the match)
            let mut best: Option<((usize, usize), String)> = None;
            for &j in &members[..pos] {
                let o = &p.inv.lines[j];
                if o.units.saturating_sub(l.units).abs() > units_tolerance
                    || (o.units == l.units && p.norm[j] == p.norm[i])
                {
                    continue;
                }
                let theirs = shingles
                    .entry(j)
                    .or_insert_with(|| text::shingles(&p.norm[j], k));
                let sim = text::jaccard_parts(&own, theirs);
                if passes(sim.0, sim.1) && best.as_ref().is_none_or(|(b, _)| greater(sim, *b)) {
                    best = Some((sim, format!("line {} ({} h)", o.line_number, qty(o.units))));
                }
            }
            for e in history {
                let h = e.line;
                if !h.line_type.is_fee()
                    || h.units.saturating_sub(l.units).abs() > units_tolerance
                    || (h.units == l.units && e.norm == p.norm[i])
                {
                    continue;
                }
                let sim = text::jaccard_parts(&own, &text::shingles(e.norm, k));
                if passes(sim.0, sim.1) && best.as_ref().is_none_or(|(b, _)| greater(sim, *b)) {
                    best = Some((
                        sim,
                        format!(
                            "line {} of invoice {} ({} h)",
                            h.line_number,
                            h.invoice_number,
                            qty(h.units)
                        ),
                    ));
                }
            }
            if let Some(((inter, union), what)) = best {
                let pct = inter * 100 / union;
                out.push(Hit::line(
                    i,
                    format!(
                        "Nearly duplicates {what}: same timekeeper ({}) and date {}, narratives {pct}% alike, {} h billed here",
                        who(l),
                        l.date,
                        qty(l.units)
                    ),
                    Proposal::WriteDown,
                ));
            }
        }
    }
}

fn matter_label(p: &Prep<'_>, i: usize) -> String {
    let l = &p.inv.lines[i];
    if l.client_matter_id.is_empty() {
        format!("matter {}", l.matter_id)
    } else {
        format!("matter {} ({})", l.matter_id, l.client_matter_id)
    }
}

fn unknown_matter(p: &Prep<'_>, out: &mut Vec<Hit>) {
    for (i, l) in p.lines() {
        if !p.matters.contains_key(&l.matter_id) {
            out.push(Hit::line(
                i,
                format!(
                    "{} is not a known matter of the department",
                    capitalize(&matter_label(p, i))
                ),
                Proposal::WriteDown,
            ));
        }
    }
}

fn matter_not_billable(billable: &[MatterStatus], p: &Prep<'_>, out: &mut Vec<Hit>) {
    for (i, l) in p.lines() {
        if let Some(m) = p.matters.get(&l.matter_id)
            && !billable.contains(&m.status)
        {
            out.push(Hit::line(
                i,
                format!(
                    "{} is {} and accepts no charges",
                    capitalize(&matter_label(p, i)),
                    m.status.name()
                ),
                Proposal::WriteDown,
            ));
        }
    }
}

fn vendor_not_assigned(p: &Prep<'_>, out: &mut Vec<Hit>) {
    for (i, l) in p.lines() {
        if let Some(m) = p.matters.get(&l.matter_id)
            && !m.vendor_assigned
        {
            out.push(Hit::line(
                i,
                format!(
                    "Vendor {} is not assigned to {}",
                    p.inv.vendor_id,
                    matter_label(p, i)
                ),
                Proposal::WriteDown,
            ));
        }
    }
}

fn outside_period(p: &Prep<'_>, out: &mut Vec<Hit>) {
    let (start, end) = (p.inv.billing_start, p.inv.billing_end);
    for (i, l) in p.lines() {
        if l.date < start || l.date > end {
            out.push(Hit::line(
                i,
                format!(
                    "Line date {} is outside the billing period {start} to {end}",
                    l.date
                ),
                Proposal::WriteDown,
            ));
        }
    }
}

fn future_dated(p: &Prep<'_>, out: &mut Vec<Hit>) {
    for (i, l) in p.lines() {
        let message = if l.date > p.inv.invoice_date {
            format!(
                "Line date {} is after the invoice date {}",
                l.date, p.inv.invoice_date
            )
        } else if l.date > p.ctx.today {
            format!(
                "Line date {} is in the future (today is {})",
                l.date, p.ctx.today
            )
        } else {
            continue;
        };
        out.push(Hit::line(i, message, Proposal::WriteDown));
    }
}

fn late_billing(max_days: u32, p: &Prep<'_>, out: &mut Vec<Hit>) {
    for (i, l) in p.lines() {
        let age = p.inv.invoice_date.days_after(l.date);
        if age > i64::from(max_days) {
            out.push(Hit::line(
                i,
                format!(
                    "Line date {} is {age} days before the invoice date {}; work must be billed within {max_days} days",
                    l.date, p.inv.invoice_date
                ),
                Proposal::WriteDown,
            ));
        }
    }
}

fn late_submission(max_days: u32, p: &Prep<'_>, out: &mut Vec<Hit>) {
    let late = p.ctx.today.days_after(p.inv.billing_end);
    if late > i64::from(max_days) {
        out.push(Hit::invoice(format!(
            "Submitted on {} — {late} days after the billing period ended on {}; invoices are due within {max_days} days",
            p.ctx.today, p.inv.billing_end
        )));
    }
}

fn unapproved_timekeeper(check_classification: bool, p: &Prep<'_>, out: &mut Vec<Hit>) {
    for (i, l) in p.lines() {
        if !l.line_type.is_fee() {
            continue;
        }
        let Some(tk) = &l.timekeeper else {
            out.push(Hit::line(
                i,
                "Fee line has no timekeeper".to_owned(),
                Proposal::WriteDown,
            ));
            continue;
        };
        match p.timekeepers.get(tk.id.as_str()) {
            None => out.push(Hit::line(
                i,
                format!("{} (id {}) is not an approved timekeeper", who(l), tk.id),
                Proposal::WriteDown,
            )),
            Some(a) if check_classification && a.classification != tk.classification => {
                out.push(Hit::line(
                    i,
                    format!(
                        "{} billed as {} but is approved as {}",
                        who(l),
                        tk.classification.name(),
                        a.classification.name()
                    ),
                    Proposal::WriteDown,
                ))
            }
            Some(_) => {}
        }
    }
}

fn rate_above_approved(p: &Prep<'_>, out: &mut Vec<Hit>) {
    for (i, l) in p.lines() {
        if !l.line_type.is_fee() {
            continue;
        }
        let Some(a) = p.approved(l) else { continue };
        if a.rates.is_empty() {
            continue;
        }
        match a.rate_on(l.date, l.matter_id) {
            Some(r) if l.rate > r.rate => out.push(Hit::line(
                i,
                format!(
                    "Rate {} exceeds the approved rate {} for {} effective {}",
                    money(l.rate),
                    money(r.rate),
                    who(l),
                    r.from
                ),
                Proposal::Rate(r.rate),
            )),
            Some(_) => {}
            None => out.push(Hit::line(
                i,
                format!("No approved rate is in force for {} on {}", who(l), l.date),
                Proposal::None,
            )),
        }
    }
}

fn rate_above_cap(p: &Prep<'_>, out: &mut Vec<Hit>) {
    if p.ctx.rate_caps.is_empty() {
        return;
    }
    for (i, l) in p.lines() {
        let (true, Some(tk)) = (l.line_type.is_fee(), &l.timekeeper) else {
            continue;
        };
        let cap = p
            .ctx
            .rate_caps
            .iter()
            .filter(|c| c.classification == tk.classification)
            .map(|c| c.rate)
            .min();
        if let Some(cap) = cap
            && l.rate > cap
        {
            out.push(Hit::line(
                i,
                format!(
                    "Rate {} exceeds the {} rate cap {} for {}",
                    money(l.rate),
                    tk.classification.name(),
                    money(cap),
                    who(l)
                ),
                Proposal::Rate(cap),
            ));
        }
    }
}

fn unapproved_increase(p: &Prep<'_>, out: &mut Vec<Hit>) {
    for (i, l) in p.lines() {
        let (true, Some(tk)) = (l.line_type.is_fee(), l.timekeeper_id()) else {
            continue;
        };
        let Some(earlier) = p.history().fee_lines.get(tk) else {
            continue;
        };
        // The most recent earlier line on or before this line's date.
        let n = earlier.partition_point(|h| h.date <= l.date);
        let Some(prev) = n.checked_sub(1).map(|k| earlier[k]) else {
            continue;
        };
        if l.rate <= prev.rate {
            continue;
        }
        let covered = p
            .approved(l)
            .and_then(|a| a.rate_on(l.date, l.matter_id))
            .is_some_and(|r| r.rate >= l.rate);
        if !covered {
            out.push(Hit::line(
                i,
                format!(
                    "Rate {} for {} is higher than the {} billed on invoice {} ({}) and no approved rate covers the increase",
                    money(l.rate),
                    who(l),
                    money(prev.rate),
                    prev.invoice_number,
                    prev.date
                ),
                Proposal::Rate(prev.rate),
            ));
        }
    }
}

fn disallowed_classification(classes: &[Classification], p: &Prep<'_>, out: &mut Vec<Hit>) {
    for (i, l) in p.lines() {
        if let (true, Some(tk)) = (l.line_type.is_fee(), &l.timekeeper)
            && classes.contains(&tk.classification)
        {
            out.push(Hit::line(
                i,
                format!(
                    "Time billed by a {} ({}) is not billable",
                    tk.classification.name(),
                    who(l)
                ),
                Proposal::WriteDown,
            ));
        }
    }
}

fn time_increment(increment: Decimal, p: &Prep<'_>, out: &mut Vec<Hit>) {
    for (i, l) in p.lines() {
        if !l.line_type.is_fee() || l.units <= Decimal::ZERO {
            continue;
        }
        let rem = l.units.checked_rem(increment).unwrap_or(Decimal::ZERO);
        if !rem.is_zero() {
            out.push(Hit::line(
                i,
                format!(
                    "{} h is not a multiple of the {} h billing increment",
                    qty(l.units),
                    qty(increment)
                ),
                Proposal::Units(l.units.saturating_sub(rem)),
            ));
        }
    }
}

fn max_entry_hours(max: Decimal, p: &Prep<'_>, out: &mut Vec<Hit>) {
    for (i, l) in p.lines() {
        if l.line_type.is_fee() && l.units > max {
            out.push(Hit::line(
                i,
                format!(
                    "Entry of {} h by {} exceeds the {} h maximum for one entry",
                    qty(l.units),
                    who(l),
                    qty(max)
                ),
                Proposal::Units(max),
            ));
        }
    }
}

fn daily_hours(max: Decimal, p: &Prep<'_>, out: &mut Vec<Hit>) {
    let mut groups: Map<(&str, Date), Vec<usize>> = map(p.inv.lines.len());
    for (i, l) in p.lines() {
        if let (true, Some(tk)) = (l.line_type.is_fee(), l.timekeeper_id()) {
            groups.entry((tk, l.date)).or_default().push(i);
        }
    }
    let mut order: Vec<_> = groups.into_iter().collect();
    order.sort_by_key(|(_, v)| v[0]);
    for (key, members) in order {
        let before = p
            .history()
            .daily
            .get(&key)
            .copied()
            .unwrap_or(Decimal::ZERO);
        let here = members.iter().fold(Decimal::ZERO, |s, &i| {
            s.saturating_add(p.inv.lines[i].units)
        });
        let day = before.saturating_add(here);
        if day <= max {
            continue;
        }
        let mut running = before;
        for &i in &members {
            let l = &p.inv.lines[i];
            running = running.saturating_add(l.units);
            if running <= max {
                continue;
            }
            let over = running.saturating_sub(max).min(l.units);
            out.push(Hit::line(
                i,
                format!(
                    "{} billed {} h on {} across all matters ({} h on earlier invoices, {} h on this one), above the {} h daily maximum",
                    who(l),
                    qty(day),
                    l.date,
                    qty(before),
                    qty(here),
                    qty(max)
                ),
                Proposal::Units(l.units.saturating_sub(over)),
            ));
        }
    }
}

/// Counts the tasks in a narrative: pieces between `separators` each count once, plus once
/// more for every further piece after "and", "then", "plus" or a comma that starts with a task
/// verb and names an object ("review documents and draft memo" is two tasks; "review and revise
/// brief" is one).
#[cfg(test)]
pub(crate) fn count_tasks(narrative: &str, separators: &[String], verbs: &[String]) -> usize {
    count_tasks_normalized(narrative, None, separators, verbs)
}

/// [`count_tasks`], given the whole narrative already normalised: used as is when the
/// narrative has no separator and no comma (most have neither), instead of normalising it again.
fn count_tasks_normalized(
    narrative: &str,
    normalized: Option<&str>,
    separators: &[String],
    verbs: &[String],
) -> usize {
    let whole = normalized.filter(|_| {
        !narrative.contains(',')
            && separators
                .iter()
                .all(|s| s.is_empty() || !narrative.contains(s.as_str()))
    });
    let mut segments = vec![narrative];
    for sep in separators.iter().filter(|s| !s.is_empty()) {
        segments = segments
            .iter()
            .flat_map(|s| s.split(sep.as_str()))
            .collect();
    }
    let is_verb = |w: &str| verbs.iter().any(|v| w.starts_with(v.as_str()));
    // Each part (words between "and", "then", "plus" and commas) is seen as its length and
    // whether its first word is a task verb: the first counts if it has two words or more, the
    // others if they also start with a verb.
    let mut norm = String::new();
    let mut tasks = 0;
    for seg in segments {
        let (mut count, mut any) = (0usize, false);
        let mut close = |len: usize, verb: bool| {
            if len == 0 {
                return;
            }
            if !any {
                any = true;
                count += usize::from(len >= 2);
            } else if len >= 2 && verb {
                count += 1;
            }
        };
        for comma_part in seg.split(',') {
            let part = match whole {
                Some(n) => n,
                None => {
                    text::normalize_into(&mut norm, comma_part);
                    norm.as_str()
                }
            };
            let (mut len, mut verb) = (0usize, false);
            for w in text::words(part) {
                if matches!(w, "and" | "then" | "plus") {
                    close(len, verb);
                    len = 0;
                } else {
                    if len == 0 {
                        verb = is_verb(w);
                    }
                    len += 1;
                }
            }
            close(len, verb);
        }
        if any {
            tasks += count.max(1);
        }
    }
    tasks
}

fn block_billing(
    min_tasks: u32,
    min_hours: Decimal,
    separators: &[String],
    verbs: &[String],
    p: &Prep<'_>,
    out: &mut Vec<Hit>,
) {
    let verbs: Vec<String> = verbs.iter().map(|v| v.trim().to_lowercase()).collect();
    for (i, l) in p.lines() {
        if !l.line_type.is_fee() || l.units < min_hours {
            continue;
        }
        let tasks = count_tasks_normalized(&l.narrative, Some(&p.norm[i]), separators, &verbs);
        if tasks >= min_tasks as usize {
            out.push(Hit::line(
                i,
                format!(
                    "Block billing: {tasks} tasks in one {} h entry ({}); each task needs its own entry and time",
                    qty(l.units),
                    quote(&l.narrative)
                ),
                Proposal::WriteDown,
            ));
        }
    }
}

fn vague(
    phrases: &text::Phrases,
    min_length: u32,
    min_other_words: u32,
    p: &Prep<'_>,
    out: &mut Vec<Hit>,
) {
    for (i, l) in p.lines() {
        if !l.line_type.is_fee() {
            continue;
        }
        let norm = &p.norm[i];
        let len = text::text_len(norm);
        if len < min_length as usize {
            out.push(Hit::line(
                i,
                format!(
                    "Narrative {} is too short ({len} characters; at least {min_length} required)",
                    quote(&l.narrative)
                ),
                Proposal::WriteDown,
            ));
            continue;
        }
        let Some(found) = phrases.find(norm, p.masks[i]) else {
            continue;
        };
        let mut rest = norm.clone();
        for ph in phrases.iter() {
            if text::contains(&rest, ph) {
                rest = rest.replace(ph, " ");
            }
        }
        let informative = text::words(&rest)
            .filter(|w| !text::is_stop_word(w))
            .count();
        if informative < min_other_words as usize {
            out.push(Hit::line(
                i,
                format!(
                    "Narrative {} is vague: \"{found}\" without saying what was done and why",
                    quote(&l.narrative)
                ),
                Proposal::WriteDown,
            ));
        }
    }
}

fn prohibited(terms: &text::Phrases, p: &Prep<'_>, out: &mut Vec<Hit>) {
    for (i, _) in p.lines() {
        if let Some(t) = terms.find(&p.norm[i], p.masks[i]) {
            out.push(Hit::line(
                i,
                format!("Narrative contains the prohibited term \"{t}\""),
                Proposal::WriteDown,
            ));
        }
    }
}

fn clerical(terms: &text::Phrases, exempt: &[Classification], p: &Prep<'_>, out: &mut Vec<Hit>) {
    for (i, l) in p.lines() {
        let (true, Some(tk)) = (l.line_type.is_fee(), &l.timekeeper) else {
            continue;
        };
        if exempt.contains(&tk.classification) {
            continue;
        }
        if let Some(t) = terms.find(&p.norm[i], p.masks[i]) {
            out.push(Hit::line(
                i,
                format!(
                    "Clerical task (\"{t}\") billed as professional time by {}",
                    who(l)
                ),
                Proposal::WriteDown,
            ));
        }
    }
}

fn internal_conference(phrases: &text::Phrases, p: &Prep<'_>, out: &mut Vec<Hit>) {
    for (i, l) in p.lines() {
        if !l.line_type.is_fee() {
            continue;
        }
        if let Some(t) = phrases.find(&p.norm[i], p.masks[i]) {
            out.push(Hit::line(
                i,
                format!(
                    "Internal firm conference (\"{t}\") by {} is not billable",
                    who(l)
                ),
                Proposal::WriteDown,
            ));
        }
    }
}

/// The counterpart of a meeting: up to four words after the first "with", skipping articles and
/// stopping at "re", "regarding", "about", "and", … ("call with opposing counsel re x" →
/// "opposing counsel").
pub(crate) fn counterpart(normalized: &str) -> Option<String> {
    let words: Vec<&str> = text::words(normalized).collect();
    let at = words.iter().position(|w| *w == "with")?;
    let mut picked: Vec<&str> = Vec::new();
    for w in &words[at + 1..] {
        match *w {
            "the" | "a" | "an" if picked.is_empty() => continue,
            "re" | "regarding" | "about" | "concerning" | "on" | "to" | "for" | "and" | "in"
            | "of" | "at" | "as" => break,
            _ => picked.push(w),
        }
        if picked.len() == 4 {
            break;
        }
    }
    (!picked.is_empty()).then(|| picked.join(" "))
}

fn multiple_attendees(
    max: u32,
    codes: &[String],
    words: &text::Phrases,
    p: &Prep<'_>,
    out: &mut Vec<Hit>,
) {
    let mut groups: Map<(i64, Date, String), Vec<usize>> = map(0);
    for (i, l) in p.lines() {
        if !l.line_type.is_fee() || l.timekeeper.is_none() {
            continue;
        }
        let code = l
            .activity_code
            .as_deref()
            .map(str::trim)
            .filter(|c| codes.iter().any(|k| k.eq_ignore_ascii_case(c)));
        let is_meeting = code.is_some() || words.find(&p.norm[i], p.masks[i]).is_some();
        if !is_meeting {
            continue;
        }
        let topic = match (counterpart(&p.norm[i]), code) {
            (Some(c), _) => format!("with {c}"),
            (None, Some(code)) => format!("activity {}", code.to_ascii_uppercase()),
            (None, None) => continue,
        };
        groups
            .entry((l.matter_id, l.date, topic))
            .or_default()
            .push(i);
    }
    let mut order: Vec<_> = groups.into_iter().collect();
    order.sort_by_key(|(_, v)| v[0]);
    for ((_, date, topic), members) in order {
        let mut attendees: Vec<&str> = Vec::new();
        for &i in &members {
            let tk = p.inv.lines[i].timekeeper_id().unwrap_or("");
            if !attendees.contains(&tk) {
                attendees.push(tk);
            }
        }
        if attendees.len() <= max as usize {
            continue;
        }
        let extra = &attendees[max as usize..];
        let names: Vec<String> = attendees
            .iter()
            .filter_map(|tk| {
                members
                    .iter()
                    .map(|&i| &p.inv.lines[i])
                    .find(|l| l.timekeeper_id() == Some(tk))
                    .map(who)
            })
            .collect();
        for &i in &members {
            let l = &p.inv.lines[i];
            if extra.contains(&l.timekeeper_id().unwrap_or("")) {
                out.push(Hit::line(
                    i,
                    format!(
                        "{} timekeepers billed the same meeting ({topic}) on {date}: {}; at most {max} may attend",
                        attendees.len(),
                        names.join(", ")
                    ),
                    Proposal::WriteDown,
                ));
            }
        }
    }
}

fn code_in(code: &str, list: &[String]) -> bool {
    list.iter()
        .any(|c| c.trim().eq_ignore_ascii_case(code.trim()))
}

fn disallowed_expenses(codes: &[String], p: &Prep<'_>, out: &mut Vec<Hit>) {
    for (i, l) in p.lines() {
        if let (true, Some(code)) = (l.line_type.is_expense(), l.expense_code.as_deref())
            && code_in(code, codes)
        {
            out.push(Hit::line(
                i,
                format!(
                    "Expense code {} ({}) is not reimbursable",
                    code.trim().to_ascii_uppercase(),
                    money(l.total)
                ),
                Proposal::WriteDown,
            ));
        }
    }
}

fn expense_caps(caps: &[ExpenseCap], p: &Prep<'_>, out: &mut Vec<Hit>) {
    for (i, l) in p.lines() {
        let (true, Some(code)) = (l.line_type.is_expense(), l.expense_code.as_deref()) else {
            continue;
        };
        for cap in caps
            .iter()
            .filter(|c| c.code.trim().eq_ignore_ascii_case(code.trim()))
        {
            if let Some(max) = cap.max_unit_cost
                && l.rate > max
            {
                out.push(Hit::line(
                    i,
                    format!(
                        "Unit cost {} for {} exceeds the cap {} per unit",
                        money(l.rate),
                        cap.code,
                        money(max)
                    ),
                    Proposal::Rate(max),
                ));
            }
            if let Some(max) = cap.max_line_total
                && l.total > max
            {
                out.push(Hit::line(
                    i,
                    format!(
                        "Expense of {} for {} exceeds the cap {} per line",
                        money(l.total),
                        cap.code,
                        money(max)
                    ),
                    Proposal::Total(max),
                ));
            }
        }
    }
}

fn premium_travel(terms: &text::Phrases, p: &Prep<'_>, out: &mut Vec<Hit>) {
    for (i, l) in p.lines() {
        if !l.line_type.is_expense() {
            continue;
        }
        if let Some(t) = terms.find(&p.norm[i], p.masks[i]) {
            out.push(Hit::line(
                i,
                format!(
                    "Premium travel (\"{t}\", {}) is reimbursed at economy fare only",
                    money(l.total)
                ),
                Proposal::WriteDown,
            ));
        }
    }
}

fn utbms_codes(task: bool, activity: bool, expense: bool, p: &Prep<'_>, out: &mut Vec<Hit>) {
    let codes = &p.ctx.codes;
    let check = |name: &str, value: Option<&str>, required: bool, allowed: Option<&Vec<String>>| {
        match value.map(str::trim).filter(|v| !v.is_empty()) {
            None if required => Some(format!("no {name} code")),
            None => None,
            Some(v) => match allowed {
                Some(list) if !code_in(v, list) => {
                    Some(format!("{name} code {v} is not an accepted code"))
                }
                _ => None,
            },
        }
    };
    for (i, l) in p.lines() {
        let problems: Vec<String> = match l.line_type {
            LineType::Fee => [
                check("task", l.task_code.as_deref(), task, codes.tasks.as_ref()),
                check(
                    "activity",
                    l.activity_code.as_deref(),
                    activity,
                    codes.activities.as_ref(),
                ),
            ]
            .into_iter()
            .flatten()
            .collect(),
            LineType::Expense => check(
                "expense",
                l.expense_code.as_deref(),
                expense,
                codes.expenses.as_ref(),
            )
            .into_iter()
            .collect(),
            _ => Vec::new(),
        };
        if !problems.is_empty() {
            out.push(Hit::line(
                i,
                format!("UTBMS codes: {}", problems.join("; ")),
                Proposal::WriteDown,
            ));
        }
    }
}

fn budget_overrun(tolerance_percent: Decimal, phases: bool, p: &Prep<'_>, out: &mut Vec<Hit>) {
    let factor = Decimal::ONE + tolerance_percent / Decimal::ONE_HUNDRED;
    let mut matters: Vec<i64> = Vec::new();
    for l in &p.inv.lines {
        if !matters.contains(&l.matter_id) {
            matters.push(l.matter_id);
        }
    }
    for matter in matters {
        let Some(budget) = p.ctx.budgets.iter().find(|b| b.matter_id == matter) else {
            continue;
        };
        let lines = p.inv.lines.iter().filter(|l| l.matter_id == matter);
        if let Some(total) = budget.total {
            let here = lines
                .clone()
                .fold(Decimal::ZERO, |s, l| s.saturating_add(l.total));
            let after = budget.billed.saturating_add(here);
            if after > total.saturating_mul(factor) {
                out.push(Hit::invoice(format!(
                    "Matter {matter} would reach {} (billed {} + this invoice {}), over its budget {} by more than {}%",
                    money(after),
                    money(budget.billed),
                    money(here),
                    money(total),
                    tolerance_percent.normalize()
                )));
            }
        }
        if !phases || budget.phases.is_empty() {
            continue;
        }
        // Phases are matched on letters and first digit, so a budget may name the phase
        // "L100" or "L1" and a line's task code "L110" falls in both.
        let mut by_phase: Vec<(String, String, Decimal)> = Vec::new();
        for l in lines.filter(|l| l.line_type.is_fee()) {
            let Some(task) = l.task_code.as_deref() else {
                continue;
            };
            let (Some(key), Some(phase)) = (phase_key(task), utbms_phase(task)) else {
                continue;
            };
            match by_phase.iter_mut().find(|(k, _, _)| *k == key) {
                Some((_, _, sum)) => *sum = sum.saturating_add(l.total),
                None => by_phase.push((key, phase, l.total)),
            }
        }
        for (key, phase, here) in by_phase {
            let Some(pb) = budget
                .phases
                .iter()
                .find(|b| phase_key(&b.phase).as_deref() == Some(key.as_str()))
            else {
                continue;
            };
            let after = pb.billed.saturating_add(here);
            if after > pb.amount.saturating_mul(factor) {
                out.push(Hit::invoice(format!(
                    "Matter {matter} phase {phase} would reach {} (billed {} + this invoice {}), over its budget {} by more than {}%",
                    money(after),
                    money(pb.billed),
                    money(here),
                    money(pb.amount),
                    tolerance_percent.normalize()
                )));
            }
        }
    }
}

/// The letters of a UTBMS code and its first digit, upper case: `L110` → `L1`, `l100` → `L1`.
fn phase_key(code: &str) -> Option<String> {
    let code = code.trim();
    let at = code.find(|c: char| c.is_ascii_digit())?;
    Some(code[..=at].to_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phase_keys() {
        assert_eq!(phase_key("L110").as_deref(), Some("L1"));
        assert_eq!(phase_key(" l100").as_deref(), Some("L1"));
        assert_eq!(phase_key("L1").as_deref(), Some("L1"));
        assert_eq!(phase_key("misc"), None);
    }

    fn verbs() -> Vec<String> {
        crate::rules::DEFAULT_TASK_VERBS
            .iter()
            .map(|s| (*s).to_owned())
            .collect()
    }

    #[test]
    fn counts_tasks() {
        let seps = vec![";".to_owned()];
        for (narrative, tasks) in [
            ("Review and revise brief", 1),
            ("Draft motion to compel and supporting declaration", 1),
            ("Review documents and draft memo", 2),
            ("Conference with client and review documents", 2),
            ("Travel to Chicago; deposition of J. Doe; return travel", 3),
            (
                "Reviewed production, drafted deficiency letter, called opposing counsel",
                3,
            ),
            ("Research", 1),
            ("", 0),
        ] {
            assert_eq!(
                count_tasks(narrative, &seps, &verbs()),
                tasks,
                "{narrative}"
            );
            // The same with the whole narrative normalised beforehand (the engine's way).
            let norm = text::normalize(narrative);
            assert_eq!(
                count_tasks_normalized(narrative, Some(&norm), &seps, &verbs()),
                tasks,
                "{narrative} (normalised first)"
            );
        }
    }

    proptest::proptest! {
        /// Counting from the narrative normalised beforehand never changes the count.
        #[test]
        fn counting_from_the_normalised_narrative_agrees(
            narrative in "[a-zA-Z ,;'./-]{0,60}|(review|draft|and|call|then|plus|memo|,|;| ){0,12}"
        ) {
            let seps = vec![";".to_owned(), " / ".to_owned()];
            let norm = text::normalize(&narrative);
            proptest::prop_assert_eq!(
                count_tasks_normalized(&narrative, Some(&norm), &seps, &verbs()),
                count_tasks(&narrative, &seps, &verbs())
            );
        }
    }

    #[test]
    fn finds_counterparts() {
        let c = |s: &str| counterpart(&text::normalize(s));
        assert_eq!(
            c("Conference call with opposing counsel re discovery").as_deref(),
            Some("opposing counsel")
        );
        assert_eq!(
            c("Meeting with the client and J. Doe").as_deref(),
            Some("client")
        );
        assert_eq!(c("Team meeting"), None);
    }
}
