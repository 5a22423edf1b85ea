//! Measures one evaluation of a 1,000-line invoice against a 100,000-line history with the
//! standard guideline set (every kind enabled, history checks included).
//!
//! Run: `cargo run --release -p guidelines --example bench [-- LINES HISTORY]`

use std::time::Instant;

use guidelines::*;
use rust_decimal::Decimal;

/// A small deterministic generator (xorshift64*), so runs are comparable.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const VERBS: &[&str] = &[
    "Draft",
    "Revise",
    "Analyze",
    "Research",
    "Prepare",
    "Summarize",
    "Review",
];
const OBJECTS: &[&str] = &[
    "motion to compel production of maintenance records",
    "expert report on lost profits methodology",
    "outline for deposition of plant manager",
    "responses to second set of interrogatories",
    "summary judgment brief section on causation",
    "indemnification provisions of supply agreement",
    "privilege log entries for custodian emails",
    "memorandum on successor liability under Delaware law",
    "call with opposing counsel re discovery schedule",
    "review file; draft letter to client",
];

fn narrative(rng: &mut Rng) -> String {
    format!(
        "{} {} {}",
        VERBS[rng.below(VERBS.len())],
        OBJECTS[rng.below(OBJECTS.len())],
        rng.below(50)
    )
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let lines_n = args.first().copied().unwrap_or(1_000);
    let history_n = args.get(1).copied().unwrap_or(100_000);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let d = |s: &str| -> Decimal { s.parse().unwrap() };
    let day = |n: usize| Date::new(2026, 1, 1).unwrap().add_days(n as i64);

    let classes = ["PT", "AS", "OC", "PL"];
    let timekeepers: Vec<ApprovedTimekeeper> = (0..60)
        .map(|i| ApprovedTimekeeper {
            id: format!("TK{i:03}"),
            name: format!("Timekeeper {i}"),
            classification: Classification::from_code(classes[i % 4]),
            rates: vec![ApprovedRate {
                rate: Decimal::from(200 + 100 * (i % 5) as i64),
                from: Date::new(2024, 1, 1).unwrap(),
                to: None,
                matter_id: None,
            }],
        })
        .collect();

    let mut lines = Vec::with_capacity(lines_n);
    for n in 0..lines_n {
        let tk = &timekeepers[rng.below(40)];
        let units = Decimal::new(1 + rng.below(60) as i64, 1);
        let rate = tk.rates[0].rate + Decimal::from((rng.below(10) == 0) as i64 * 50);
        let is_expense = n % 20 == 19;
        lines.push(Line {
            line_number: n as u32 + 1,
            line_type: if is_expense {
                LineType::Expense
            } else {
                LineType::Fee
            },
            date: day(rng.below(28)),
            timekeeper: (!is_expense).then(|| LineTimekeeper {
                id: tk.id.clone(),
                name: tk.name.clone(),
                classification: tk.classification,
                classification_code: classes[n % 4].to_owned(),
            }),
            units: if is_expense { Decimal::ONE } else { units },
            rate: if is_expense { d("92.40") } else { rate },
            adjustment: Decimal::ZERO,
            total: if is_expense {
                d("92.40")
            } else {
                (units * rate).round_dp(2)
            },
            tax_rate: None,
            tax: None,
            task_code: (!is_expense).then(|| "L110".to_owned()),
            activity_code: (!is_expense).then(|| "A103".to_owned()),
            expense_code: is_expense.then(|| "E111".to_owned()),
            narrative: if is_expense {
                "Working dinner".to_owned()
            } else {
                narrative(&mut rng)
            },
            matter_id: 1 + rng.below(3) as i64,
            client_matter_id: "CM".into(),
            firm_matter_id: "FM".into(),
        });
    }
    let total = lines.iter().map(|l| l.total).sum();
    let invoice = Invoice {
        vendor_id: "V1".into(),
        invoice_number: "INV-2026-01".into(),
        invoice_date: Date::new(2026, 2, 5).unwrap(),
        billing_start: day(0),
        billing_end: day(30),
        currency: "USD".into(),
        total,
        tax_total: Decimal::ZERO,
        lines,
    };

    // Two years of history: 60 timekeepers, dates spread over 2024-2026 (some on this invoice's
    // dates, so duplicate and near-duplicate checks have work to do).
    let mut history = History {
        invoice_numbers: (0..500).map(|i| format!("INV-{i}")).collect(),
        ..History::default()
    };
    for n in 0..history_n {
        let tk = &timekeepers[rng.below(60)];
        history.lines.push(HistoryLine {
            invoice_number: format!("INV-{}", n / 200),
            line_number: (n % 200) as u32 + 1,
            line_type: LineType::Fee,
            date: Date::new(2024, 1, 1)
                .unwrap()
                .add_days(rng.below(760) as i64),
            timekeeper_id: Some(tk.id.clone()),
            units: Decimal::new(1 + rng.below(60) as i64, 1),
            rate: tk.rates[0].rate,
            narrative: narrative(&mut rng),
            matter_id: 1 + rng.below(3) as i64,
            normalized: Default::default(),
        });
    }
    for tk in &timekeepers {
        for n in 0..28 {
            history.daily_hours.push(DailyHours {
                timekeeper_id: tk.id.clone(),
                date: day(n),
                hours: Decimal::from(rng.below(9) as i64),
            });
        }
    }
    let mut context = Context::new(Date::new(2026, 2, 10).unwrap());
    context.matters = (1..=3)
        .map(|id| MatterInfo {
            id,
            status: MatterStatus::Open,
            vendor_assigned: true,
        })
        .collect();
    context.timekeepers = timekeepers;
    context.rate_caps = vec![RateCap {
        classification: Classification::Partner,
        rate: d("550"),
    }];
    context.budgets = vec![Budget {
        matter_id: 1,
        total: Some(d("250000")),
        billed: d("240000"),
        phases: vec![],
    }];
    context.history = history;

    let set = GuidelineSet::standard();
    let mut times = Vec::new();
    let mut eval = evaluate(&set, &invoice, &context);
    for _ in 0..20 {
        let start = Instant::now();
        eval = evaluate(&set, &invoice, &context);
        times.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "{{\"lines\": {lines_n}, \"history_lines\": {history_n}, \"rules\": {}, \"flags\": {}, \"savings\": \"{}\", \"min_ms\": {:.2}, \"median_ms\": {:.2}, \"max_ms\": {:.2}}}",
        set.enabled_rules().count(),
        eval.flags.len(),
        eval.savings,
        times[0],
        times[times.len() / 2],
        times[times.len() - 1]
    );
}
