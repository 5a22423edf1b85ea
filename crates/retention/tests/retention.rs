//! Retention rules, from the file plan's CSV to the dates they give.

use jiff::civil::{Date, date};
use proptest::prelude::*;
use retention::*;

fn rule(trigger: Trigger, period: Period, cutoff: Cutoff, action: Disposition) -> RetentionRule {
    RetentionRule {
        trigger,
        period,
        cutoff,
        action,
    }
}

fn no_events(_: &str) -> Option<Date> {
    None
}

#[test]
fn contract_expiry_plus_seven_years_cut_off_at_fiscal_year_end() {
    // Fiscal year July–June: a contract that expires on 2024-03-15 is cut off on 2024-06-30
    // and may be destroyed from 2031-07-01.
    let r = rule(
        Trigger::Event("contract_expiry".into()),
        Period::Years(7),
        Cutoff::FiscalYear,
        Disposition::Destroy,
    );
    let expiry = |e: &str| (e == "contract_expiry").then(|| date(2024, 3, 15));
    assert_eq!(
        r.due(date(2019, 1, 2), expiry, 7),
        Due::On(date(2031, 7, 1))
    );
    // Expiring in July falls in the next fiscal year.
    let july = |_: &str| Some(date(2024, 7, 1));
    assert_eq!(r.due(date(2019, 1, 2), july, 7), Due::On(date(2032, 7, 1)));
    // Until the event is recorded, the record waits for it.
    assert_eq!(
        r.due(date(2019, 1, 2), no_events, 7),
        Due::AwaitingEvent("contract_expiry".into())
    );
    assert_eq!(
        r.describe(),
        "7 years after contract expiry, cut off at fiscal-year end, then destroy"
    );
}

#[test]
fn fixed_periods_and_cutoffs() {
    let created = |p, c| rule(Trigger::Created, p, c, Disposition::Destroy);
    let d = date(2020, 1, 15);
    assert_eq!(
        created(Period::Years(3), Cutoff::None).due(d, no_events, 1),
        Due::On(date(2023, 1, 15))
    );
    assert_eq!(
        created(Period::Years(6), Cutoff::Year).due(date(2021, 5, 5), no_events, 1),
        Due::On(date(2028, 1, 1))
    );
    assert_eq!(
        created(Period::Days(90), Cutoff::Month).due(date(2024, 1, 31), no_events, 1),
        Due::On(date(2024, 5, 1))
    );
    // A leap day plus a year lands on the last day of February.
    assert_eq!(
        created(Period::Years(1), Cutoff::None).due(date(2024, 2, 29), no_events, 1),
        Due::On(date(2025, 2, 28))
    );
    // A fiscal year that starts in January is the calendar year.
    assert_eq!(
        created(Period::Months(18), Cutoff::FiscalYear).due(date(2024, 12, 31), no_events, 1),
        Due::On(date(2026, 7, 1))
    );
    let keep = rule(
        Trigger::Created,
        Period::Permanent,
        Cutoff::None,
        Disposition::Keep,
    );
    assert_eq!(keep.due(d, no_events, 1), Due::Never);
    assert_eq!(keep.describe(), "keep permanently");
}

#[test]
fn fiscal_year_ends() {
    assert_eq!(fiscal_year_end(date(2024, 6, 30), 7), date(2024, 6, 30));
    assert_eq!(fiscal_year_end(date(2024, 7, 1), 7), date(2025, 6, 30));
    assert_eq!(fiscal_year_end(date(2024, 2, 1), 4), date(2024, 3, 31));
    assert_eq!(fiscal_year_end(date(2024, 10, 1), 10), date(2025, 9, 30));
    assert_eq!(fiscal_year_end(date(2024, 3, 9), 1), date(2024, 12, 31));
}

const PLAN: &str = "code,title,description,owner,trigger,period,cutoff,disposition,citation
LEG-100,Contracts,Executed agreements,Legal,contract_expiry,7y,fiscal_year,destroy,Limitation Act 1980 s.5
HR-200,Personnel files,,HR,employee termination,6 years,year,destroy,
LEG-300,Matter files,,Legal,matter_closed,10y,,review,
CORP-1,Board minutes,,Company secretary,created,permanent,,keep,Companies Act 2006 s.248
";

#[test]
fn a_file_plan_reads_and_writes_back() {
    let plan = parse_schedule(PLAN.as_bytes()).unwrap();
    assert_eq!(plan.len(), 4);
    assert_eq!(
        plan[1].rule.trigger,
        Trigger::Event("employee_termination".into())
    );
    assert_eq!(plan[1].rule.period, Period::Years(6));
    assert_eq!(plan[2].rule.cutoff, Cutoff::None);
    assert_eq!(plan[3].rule.action, Disposition::Keep);
    assert_eq!(plan[0].citation, "Limitation Act 1980 s.5");
    let again = parse_schedule(&write_schedule(&plan)).unwrap();
    assert_eq!(again, plan);
}

#[test]
fn every_problem_is_named_by_line_and_column() {
    let bad = "code,title,trigger,period,cutoff,disposition
LEG-1,Contracts,contract expiry,7 parsecs,month,destroy
LEG-1,Again,created,3y,quarter,shred
,No code,created,permanent,,destroy
";
    let problems = parse_schedule(bad.as_bytes()).unwrap_err();
    let seen: Vec<(u64, &str)> = problems
        .iter()
        .map(|p| (p.line, p.column.as_str()))
        .collect();
    assert_eq!(
        seen,
        vec![
            (2, "period"),
            (3, "code"),
            (3, "cutoff"),
            (3, "disposition"),
            (4, "code"),
            (4, "disposition"),
        ],
        "{problems:#?}"
    );
    assert!(problems[1].message.contains("already on line 2"));
    assert!(
        problems[5]
            .message
            .contains("permanent period cannot end in destroy")
    );
    let missing = parse_schedule(b"code,title,colour\nA,B,red\n").unwrap_err();
    assert!(missing.iter().any(|p| p.column == "colour" && p.line == 1));
    assert!(missing.iter().any(|p| p.column == "trigger"));
}

fn any_date() -> impl Strategy<Value = Date> {
    (1990i16..2060, 1i8..=12, 1i8..=28).prop_map(|(y, m, d)| date(y, m, d))
}

fn any_period() -> impl Strategy<Value = Period> {
    prop_oneof![
        (0u16..60).prop_map(Period::Years),
        (0u16..240).prop_map(Period::Months),
        (0u32..5000).prop_map(Period::Days),
    ]
}

fn any_cutoff() -> impl Strategy<Value = Cutoff> {
    prop_oneof![
        Just(Cutoff::None),
        Just(Cutoff::Month),
        Just(Cutoff::Year),
        Just(Cutoff::FiscalYear)
    ]
}

proptest! {
    /// A record is never due before its trigger date plus its period, a cutoff only ever
    /// delays it (by less than a year), and a later trigger never makes it due earlier.
    #[test]
    fn due_dates_are_never_early_and_move_with_the_trigger(
        a in any_date(), b in any_date(), period in any_period(), cutoff in any_cutoff(), fy in 1i8..=12,
    ) {
        let with = rule(Trigger::Created, period, cutoff, Disposition::Destroy);
        let without = rule(Trigger::Created, period, Cutoff::None, Disposition::Destroy);
        let due = with.due(a, no_events, fy).date().unwrap();
        let plain = without.due(a, no_events, fy).date().unwrap();
        prop_assert!(due >= plain);
        prop_assert!(due > a || period_is_zero(period) && cutoff == Cutoff::None);
        prop_assert!(due <= plain.checked_add(jiff::Span::new().days(368)).unwrap());
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        prop_assert!(with.due(lo, no_events, fy).date() <= with.due(hi, no_events, fy).date());
    }

    /// With a year cutoff and a whole number of years, every record comes due on 1 January;
    /// with a month cutoff and whole months, on the first of a month.
    #[test]
    fn cutoffs_put_due_dates_on_block_boundaries(d in any_date(), n in 0u16..50) {
        let y = rule(Trigger::Created, Period::Years(n), Cutoff::Year, Disposition::Review);
        let due = y.due(d, no_events, 1).date().unwrap();
        prop_assert_eq!((due.month(), due.day()), (1, 1));
        let m = rule(Trigger::Created, Period::Months(n), Cutoff::Month, Disposition::Review);
        prop_assert_eq!(m.due(d, no_events, 1).date().unwrap().day(), 1);
    }
}

fn period_is_zero(p: Period) -> bool {
    matches!(p, Period::Years(0) | Period::Months(0) | Period::Days(0))
}
