//! Test support: builds invoices from compact line descriptions and checks one rule's findings.
//!
//! A line description is `TYPE TK MM-DD UNITS@RATE [key=value …] [: narrative]`:
//! TYPE is `F`, `E`, `IF` or `IE`; TK a timekeeper id from [`timekeepers`] or `-` for none;
//! the date is in 2026; keys are `total`, `adj`, `task`, `act`, `exp`, `matter`, `tax`
//! (`rate/amount`), `n` (line number), `class` (classification code override). Fee lines get
//! task L110 and activity A103 unless given; expense lines get expense code E124.

use guidelines::*;
use rust_decimal::Decimal;

pub fn d(s: &str) -> Decimal {
    s.parse().unwrap_or_else(|_| panic!("bad decimal {s}"))
}

pub fn date(s: &str) -> Date {
    if s.len() == 5 {
        format!("2026-{s}").parse().unwrap()
    } else {
        s.parse().unwrap()
    }
}

/// Approved timekeepers: id, name, code, rate from 2025-01-01.
pub const TIMEKEEPERS: &[(&str, &str, &str, &str)] = &[
    ("JS", "Jane Smith", "PT", "600"),
    ("AB", "Alex Brown", "AS", "400"),
    ("CD", "Chris Doe", "AS", "350"),
    ("EF", "Erin Fox", "OC", "500"),
    ("PL", "Pat Lee", "PL", "200"),
    ("LA", "Lou Ash", "LA", "100"),
];

pub fn timekeepers() -> Vec<ApprovedTimekeeper> {
    TIMEKEEPERS
        .iter()
        .map(|(id, name, code, rate)| ApprovedTimekeeper {
            id: (*id).into(),
            name: (*name).into(),
            classification: Classification::from_code(code),
            rates: vec![ApprovedRate {
                rate: d(rate),
                from: date("2025-01-01"),
                to: None,
                matter_id: None,
            }],
        })
        .collect()
}

fn line_timekeeper(id: &str) -> LineTimekeeper {
    match TIMEKEEPERS.iter().find(|t| t.0 == id) {
        Some((id, name, code, _)) => LineTimekeeper {
            id: (*id).into(),
            name: (*name).into(),
            classification: Classification::from_code(code),
            classification_code: (*code).into(),
        },
        None => LineTimekeeper {
            id: id.into(),
            name: format!("Unknown {id}"),
            classification: Classification::Associate,
            classification_code: "AS".into(),
        },
    }
}

/// Parses one compact line description; `n` is the default line number.
pub fn line(n: u32, desc: &str) -> Line {
    let (head, narrative) = match desc.split_once(':') {
        Some((h, t)) => (h, t.trim()),
        None => (desc, "Draft motion to compel production of documents"),
    };
    let mut it = head.split_whitespace();
    let line_type = match it.next().unwrap() {
        "F" => LineType::Fee,
        "E" => LineType::Expense,
        "IF" => LineType::FeeAdjustment,
        "IE" => LineType::ExpenseAdjustment,
        t => panic!("bad type {t}"),
    };
    let tk = it.next().unwrap();
    let day = date(it.next().unwrap());
    let (units, rate) = it.next().unwrap().split_once('@').unwrap();
    let mut l = Line {
        line_number: n,
        line_type,
        date: day,
        timekeeper: (tk != "-").then(|| line_timekeeper(tk)),
        units: d(units),
        rate: d(rate),
        adjustment: Decimal::ZERO,
        total: Decimal::ZERO,
        tax_rate: None,
        tax: None,
        task_code: line_type.is_fee().then(|| "L110".to_owned()),
        activity_code: line_type.is_fee().then(|| "A103".to_owned()),
        expense_code: line_type.is_expense().then(|| "E124".to_owned()),
        narrative: narrative.to_owned(),
        matter_id: 1,
        client_matter_id: "CM-1".into(),
        firm_matter_id: "FM-1".into(),
    };
    let mut total = None;
    for kv in it {
        let (k, v) = kv
            .split_once('=')
            .unwrap_or_else(|| panic!("bad option {kv}"));
        let opt = |v: &str| (v != "-").then(|| v.to_owned());
        match k {
            "total" => total = Some(d(v)),
            "adj" => l.adjustment = d(v),
            "task" => l.task_code = opt(v),
            "act" => l.activity_code = opt(v),
            "exp" => l.expense_code = opt(v),
            "matter" => l.matter_id = v.parse().unwrap(),
            "n" => l.line_number = v.parse().unwrap(),
            "class" => {
                let t = l.timekeeper.as_mut().unwrap();
                t.classification = Classification::from_code(v);
                t.classification_code = v.into();
            }
            "tax" => {
                let (r, a) = v.split_once('/').unwrap();
                l.tax_rate = opt(r).map(|r| d(&r));
                l.tax = opt(a).map(|a| d(&a));
            }
            _ => panic!("bad option {k}"),
        }
    }
    l.total = total.unwrap_or_else(|| (l.units * l.rate + l.adjustment).round_dp(2));
    l
}

/// An invoice of the given lines, totals consistent, period January 2026, dated 2026-02-05.
pub fn invoice(lines: &[&str]) -> Invoice {
    let lines: Vec<Line> = lines
        .iter()
        .enumerate()
        .map(|(i, s)| line(i as u32 + 1, s))
        .collect();
    let tax_total = lines.iter().filter_map(|l| l.tax).sum::<Decimal>();
    let total = lines.iter().map(|l| l.total).sum::<Decimal>() + tax_total;
    Invoice {
        vendor_id: "V1".into(),
        invoice_number: "INV-100".into(),
        invoice_date: date("02-05"),
        billing_start: date("01-01"),
        billing_end: date("01-31"),
        currency: "USD".into(),
        total,
        tax_total,
        lines,
    }
}

/// Today 2026-02-10; matter 1 open with the vendor assigned; approved timekeepers; no caps,
/// budgets, code lists or history.
pub fn context() -> Context {
    let mut c = Context::new(date("02-10"));
    c.matters = vec![MatterInfo {
        id: 1,
        status: MatterStatus::Open,
        vendor_assigned: true,
    }];
    c.timekeepers = timekeepers();
    c
}

/// A history line: `INVOICE LINE TK MM-DD UNITS@RATE : narrative` (fee, matter 1).
pub fn hist(desc: &str) -> HistoryLine {
    let (head, narrative) = desc.split_once(':').unwrap();
    let mut it = head.split_whitespace();
    let invoice_number = it.next().unwrap().to_owned();
    let line_number = it.next().unwrap().parse().unwrap();
    let tk = it.next().unwrap();
    let day = date(it.next().unwrap());
    let (units, rate) = it.next().unwrap().split_once('@').unwrap();
    HistoryLine {
        invoice_number,
        line_number,
        line_type: LineType::Fee,
        date: day,
        timekeeper_id: (tk != "-").then(|| tk.to_owned()),
        units: d(units),
        rate: d(rate),
        narrative: narrative.trim().to_owned(),
        matter_id: 1,
        normalized: Default::default(),
    }
}

/// Renders a flag as `L3 message => 540.00 (saved 60.00)` or `INV message`.
pub fn render(f: &Flag) -> String {
    let at = f.line_number.map_or("INV".to_owned(), |n| format!("L{n}"));
    let adj = f.adjustment.as_ref().map_or(String::new(), |a| {
        format!(" => {} (saved {})", a.new_total, a.saved)
    });
    format!("{at} {}{adj}", f.message)
}

/// Evaluates `lines` against one rule of `kind` with `action`, after `setup`, and checks that the
/// rendered findings contain the `expected` fragments, one per finding, in order.
pub fn check_with(
    kind: RuleKind,
    action: Action,
    setup: impl FnOnce(&mut Invoice, &mut Context),
    lines: &[&str],
    expected: &[&str],
) -> Evaluation {
    let set = GuidelineSet::new(vec![Rule::new("r", kind, action, "BG-TEST")]).unwrap();
    let mut inv = invoice(lines);
    let mut ctx = context();
    setup(&mut inv, &mut ctx);
    let eval = evaluate(&set, &inv, &ctx);
    let got: Vec<String> = eval.flags.iter().map(render).collect();
    assert_eq!(
        got.len(),
        expected.len(),
        "expected {expected:#?}\n     got {got:#?}"
    );
    for (g, e) in got.iter().zip(expected) {
        assert!(
            g.contains(e),
            "expected fragment {e:?}\n in {g:?}\n all: {got:#?}"
        );
    }
    eval
}

/// [`check_with`] with action Flag and the default context.
pub fn check(kind: RuleKind, lines: &[&str], expected: &[&str]) -> Evaluation {
    check_with(kind, Action::Flag, |_, _| {}, lines, expected)
}

/// [`check_with`] with action AutoAdjust and the default context.
pub fn check_adjust(kind: RuleKind, lines: &[&str], expected: &[&str]) -> Evaluation {
    check_with(kind, Action::AutoAdjust, |_, _| {}, lines, expected)
}

pub fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

/// The kind of the standard set's rule with this id.
pub fn standard_kind(id: &str) -> RuleKind {
    GuidelineSet::standard().rule(id).unwrap().kind.clone()
}
