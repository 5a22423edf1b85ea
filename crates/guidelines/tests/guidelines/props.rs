//! Properties: clean invoices raise nothing under the standard set; AutoAdjust never raises a
//! line total.

use guidelines::*;
use proptest::prelude::*;
use rust_decimal::Decimal;

use crate::support::*;

/// Narratives that break no standard guideline (specific, one task, no meeting, no clerical or
/// prohibited words).
const CLEAN: &[&str] = &[
    "Draft motion to compel production of warehouse maintenance records",
    "Analyze plaintiff expert report on lost profits methodology",
    "Prepare outline for deposition of plant manager Smith",
    "Research Delaware law on successor liability for asset purchases",
    "Revise summary judgment brief section on causation",
    "Summarize deposition testimony of former sales director",
    "Draft responses to second set of interrogatories",
    "Analyze indemnification provisions of supply agreement",
];

/// Narratives likely to break guidelines, for the adjustment property.
const DIRTY: &[&str] = &[
    "Review file",
    "Research",
    "Review documents; draft memo; call with client",
    "Scan and bates label production",
    "Conference with associate re strategy",
    "Meeting with client re settlement",
    "Overtime",
    "Draft motion to compel production of warehouse maintenance records",
    "Draft motion to compel production of warehouse records",
];

const TKS: &[&str] = &["JS", "AB", "CD", "EF", "PL"];

fn clean_invoice(fees: &[(u32, usize)], expenses: &[(u32, u32)]) -> Invoice {
    let mut descs = Vec::new();
    for (i, (tenths, narrative)) in fees.iter().enumerate() {
        // One line per (timekeeper, date): no duplicates, at most 8 h a day.
        let tk_index = i / 31 % TKS.len();
        let tk = TKS[tk_index];
        let rate = TIMEKEEPERS.iter().find(|t| t.0 == tk).unwrap().3;
        let units = Decimal::new(i64::from(*tenths), 1);
        descs.push(format!(
            "F {tk} 01-{:02} {units}@{rate} : {}",
            i % 31 + 1,
            CLEAN[*narrative]
        ));
    }
    for (j, (qty, cents)) in expenses.iter().enumerate() {
        let cost = Decimal::new(i64::from(*cents), 2);
        descs.push(format!(
            "E - 01-{:02} {qty}@{cost} exp=E112 : Court fee for motion filed in matter {j}",
            j % 28 + 1
        ));
    }
    let refs: Vec<&str> = descs.iter().map(String::as_str).collect();
    invoice(&refs)
}

fn all_auto_adjust() -> GuidelineSet {
    let rules = GuidelineSet::standard()
        .rules()
        .iter()
        .cloned()
        .map(|mut r| {
            if r.kind.can_auto_adjust() {
                r.action = Action::AutoAdjust;
                r.write_down_percent = Some(Decimal::new(50, 0));
            }
            r
        })
        .collect();
    GuidelineSet::new(rules).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn clean_invoices_raise_no_flags(
        fees in prop::collection::vec((1u32..=80, 0..CLEAN.len()), 0..60),
        expenses in prop::collection::vec((1u32..=3, 100u32..=20_000), 0..10),
    ) {
        let inv = clean_invoice(&fees, &expenses);
        let eval = evaluate(&GuidelineSet::standard(), &inv, &context());
        prop_assert!(eval.flags.is_empty(), "{:#?}", eval.flags);
        prop_assert_eq!(eval.adjusted_total, inv.total);
    }

    #[test]
    fn auto_adjust_never_increases_a_line_total(
        lines in prop::collection::vec(
            (0..TKS.len() + 1, 1u32..=10, 1u32..=1500, 100u32..=900, 0..DIRTY.len(), -200i64..=200),
            1..40,
        ),
        history_hours in 0u32..=12,
    ) {
        let descs: Vec<String> = lines
            .iter()
            .map(|(tk, day, hundredths, rate, narrative, skew)| {
                let tk = TKS.get(*tk).copied().unwrap_or("ZZ");
                let units = Decimal::new(i64::from(*hundredths), 2);
                let total = (units * Decimal::from(*rate)).round_dp(2) + Decimal::new(*skew, 2);
                format!("F {tk} 01-{day:02} {units}@{rate} total={} : {}", total.max(Decimal::ZERO), DIRTY[*narrative])
            })
            .collect();
        let refs: Vec<&str> = descs.iter().map(String::as_str).collect();
        let inv = invoice(&refs);
        let mut ctx = context();
        ctx.rate_caps = vec![RateCap { classification: Classification::Partner, rate: d("550") }];
        ctx.history.daily_hours = vec![DailyHours {
            timekeeper_id: "JS".into(),
            date: date("01-03"),
            hours: Decimal::from(history_hours),
        }];
        ctx.history.lines = vec![hist("INV-1 1 AB 01-02 1@350 : Draft motion to compel production of warehouse records")];
        let eval = evaluate(&all_auto_adjust(), &inv, &ctx);
        for f in &eval.flags {
            if let (Some(adj), Some(n)) = (&f.adjustment, f.line_number) {
                let line = inv.lines.iter().find(|l| l.line_number == n).unwrap();
                prop_assert!(adj.new_total <= line.total, "{f:?}");
                prop_assert!(adj.saved >= Decimal::ZERO, "{f:?}");
            }
        }
        for o in &eval.lines {
            prop_assert!(o.adjusted_total <= o.billed_total, "{o:?}");
        }
        prop_assert!(eval.savings >= Decimal::ZERO);
    }
}

/// A series of invoices judged one after the other against one history that grows (as an
/// intake judges a file's invoices), its index kept between them, gives what each gives
/// against a fresh copy of the same history; so does a history replaced instead of grown.
#[test]
fn a_kept_history_index_judges_as_a_fresh_one() {
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(48));
    let line = (
        0..TKS.len() + 1,
        1u32..=20,
        1u32..=60,
        0..DIRTY.len(),
        0u32..=4,
    );
    let invoices = prop::collection::vec(prop::collection::vec(line, 1..25), 1..6);
    runner
        .run(&invoices, |invoices| {
            let set = GuidelineSet::standard();
            let mut ctx = context();
            for (n, lines) in invoices.iter().enumerate() {
                let descs: Vec<String> = lines
                    .iter()
                    .map(|(tk, day, tenths, narrative, kind)| {
                        let tk = TKS.get(*tk).copied().unwrap_or("ZZ");
                        let units = Decimal::new(i64::from(*tenths), 1);
                        if *kind == 0 {
                            format!("E - 01-{day:02} 1@{units} exp=E112 : Court fee")
                        } else {
                            format!("F {tk} 01-{day:02} {units}@350 : {}", DIRTY[*narrative])
                        }
                    })
                    .collect();
                let refs: Vec<&str> = descs.iter().map(String::as_str).collect();
                let mut inv = invoice(&refs);
                inv.invoice_number = format!("INV-{n}");
                let kept = evaluate(&set, &inv, &ctx);
                let fresh = evaluate(&set, &inv, &ctx.clone());
                prop_assert_eq!(&kept, &fresh);
                // What the intake does after judging: the invoice joins the history.
                for l in &inv.lines {
                    if let Some(tk) = l.timekeeper_id() {
                        ctx.history.daily_hours.push(DailyHours {
                            timekeeper_id: tk.to_string(),
                            date: l.date,
                            hours: l.units,
                        });
                    }
                    ctx.history.lines.push(HistoryLine::of(&inv.invoice_number, l));
                }
                ctx.history.invoice_numbers.push(inv.invoice_number.clone());
                // Every other time, the history is replaced by a shorter one after it was
                // indexed: the index notices and is made again.
                if n % 2 == 1 {
                    let keep = ctx.history.lines.len() / 2;
                    ctx.history.lines.truncate(keep);
                    ctx.history.lines.push(hist(
                        "INV-X 1 AB 01-03 1.5@350 : Draft motion to compel production of warehouse records",
                    ));
                    let again = evaluate(&set, &inv, &ctx);
                    prop_assert_eq!(&again, &evaluate(&set, &inv, &ctx.clone()));
                }
            }
            Ok(())
        })
        .unwrap();
}
