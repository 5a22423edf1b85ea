//! The spend part of the demo department: vendors with timekeepers and effective-dated rates,
//! matters with assignments and budgets, and three years of monthly LEDES invoices with
//! realistic narratives and a realistic share of guideline violations. Invoices are written as
//! LEDES 1998B files and submitted through the same intake as a firm's, then most of the older
//! ones are approved (some exported) by the demo legal-ops user. Deterministic: a fixed seed.

use std::collections::HashMap;

use rust_decimal::Decimal;

use super::{intake, review, vendors};
use crate::App;
use crate::matters::model::MatterInput;
use crate::platform::access::CurrentUser;
use crate::platform::error::AppError;

/// How much to create.
#[derive(Clone, Copy, Debug)]
pub struct Scale {
    pub vendors: usize,
    pub matters: usize,
    /// Matters that receive invoices (the rest are intake, advisory or closed early).
    pub billed_matters: usize,
    pub months: u32,
    pub lines_per_invoice: usize,
    /// Approve the older invoices and export them (the benchmark leaves them in review).
    pub decide: bool,
    /// Contracts of the demo department (the contracts module's share of the scale).
    pub contracts: usize,
    /// Make every invoice file and write it to disk before the intake starts, then read each
    /// back and check it as `lexops import invoices` does (the benchmark, so that what it times
    /// is the import of a year's files, not also their making). Otherwise each file is made
    /// while the previous one is imported.
    pub files_first: bool,
}

impl Scale {
    /// The smallest useful department (tests).
    pub const TINY: Scale = Scale {
        vendors: 3,
        matters: 12,
        billed_matters: 4,
        months: 4,
        lines_per_invoice: 6,
        decide: true,
        contracts: 16,
        files_first: false,
    };
    /// Quick to create (seconds): what `serve --demo` loads.
    pub const SMALL: Scale = Scale {
        vendors: 40,
        matters: 500,
        billed_matters: 40,
        months: 34,
        lines_per_invoice: 10,
        decide: true,
        contracts: 240,
        files_first: false,
    };
    /// The full department of the benchmarks: about a million line items.
    pub const FULL: Scale = Scale {
        vendors: 40,
        matters: 500,
        billed_matters: 500,
        months: 34,
        lines_per_invoice: 90,
        decide: true,
        contracts: 600,
        files_first: false,
    };
}

struct Rng(u64);

impl Rng {
    /// A generator from a seed mixed by SplitMix64 (nearby seeds give unrelated streams).
    fn seeded(seed: u64) -> Rng {
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        Rng((z ^ (z >> 31)) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

const FIRMS: &[&str] = &[
    "Baker & Lowe LLP",
    "Hargreaves Whitcombe",
    "Northwind Court Reporting",
    "Acme eDiscovery",
    "Sterling Marsh LLP",
    "Okafor Lindqvist",
    "Parkes Ashdown LLP",
    "Meridian Legal Group",
    "Calloway & Finch",
    "Brightwater Partners",
    "Delacroix Hale LLP",
    "Fenwick Ayres",
    "Granger Holt LLP",
    "Harlow & Pike",
    "Ivers Morrow LLP",
    "Juniper Street Law",
    "Kessler Bright LLP",
    "Larkspur Advisors",
    "Monroe Tate LLP",
    "Nakamura Ellis",
    "Orchard Vance LLP",
    "Prescott Quill",
    "Quinlan Rhodes LLP",
    "Ravensworth Legal",
    "Sato & Winter",
    "Thornbury Cole LLP",
    "Underhill Marsh",
    "Valdez Crane LLP",
    "Whitfield Ortega",
    "Xavier & Lund",
    "Yardley Brooks LLP",
    "Zeller Amsel",
    "Ashcombe Reid LLP",
    "Beaumont Frost",
    "Carrington Vale LLP",
    "Dunmore Keats",
    "Ellery Shaw LLP",
    "Forsythe Gale",
    "Garrick Hume LLP",
    "Holloway Wren",
];
const FIRST: &[&str] = &[
    "Anna", "Ben", "Chloe", "David", "Elena", "Farid", "Grace", "Hiro", "Isabel", "James", "Kofi",
    "Laura", "Marco", "Nadia", "Omar", "Priya", "Quentin", "Rosa", "Samuel", "Tara",
];
const LAST: &[&str] = &[
    "Smith",
    "Okafor",
    "Lindqvist",
    "Chen",
    "Garcia",
    "Müller",
    "Rossi",
    "Dubois",
    "Kowalski",
    "Tanaka",
    "Haddad",
    "Nguyen",
    "O'Brien",
    "Silva",
    "Novak",
    "Singh",
];
const TYPES: &[(&str, &str)] = &[
    ("litigation", "LIT"),
    ("litigation", "LIT"),
    ("employment", "EMP"),
    ("transactional", "TRX"),
    ("regulatory", "REG"),
    ("ip", "IP"),
    ("advisory", "ADV"),
];
const SUBJECTS: &[&str] = &[
    "Acme Supply",
    "Globex",
    "Initech",
    "Umbrella Pharma",
    "Stark Components",
    "Wayne Logistics",
    "Hooli",
    "Vandelay Imports",
    "Soylent Foods",
    "Tyrell Systems",
    "Wonka Confections",
    "Cyberdyne",
];
const AREAS: &[&str] = &[
    "Commercial litigation",
    "Employment",
    "Mergers and acquisitions",
    "Privacy",
    "Patents",
    "Antitrust",
    "Product liability",
    "Real estate",
];

/// Narratives by UTBMS task, with their activity code.
const WORK: &[(&str, &str, &str)] = &[
    (
        "L110",
        "A104",
        "Analyze complaint and exhibits filed by plaintiff",
    ),
    (
        "L120",
        "A102",
        "Research statute of limitations defenses under state law",
    ),
    (
        "L130",
        "A106",
        "Telephone conference with client regarding settlement authority",
    ),
    (
        "L160",
        "A103",
        "Draft settlement term sheet for client review",
    ),
    ("L210", "A103", "Draft answer and affirmative defenses"),
    (
        "L230",
        "A104",
        "Analyze court's scheduling order and pretrial deadlines",
    ),
    (
        "L250",
        "A103",
        "Draft motion to compel production of documents",
    ),
    (
        "L310",
        "A103",
        "Draft first set of interrogatories and requests for production",
    ),
    (
        "L320",
        "A104",
        "Review opposing party's document production for privilege",
    ),
    (
        "L330",
        "A101",
        "Prepare outline for deposition of plaintiff's expert",
    ),
    (
        "L330",
        "A107",
        "Attend deposition of plaintiff's sales director",
    ),
    (
        "L340",
        "A106",
        "Confer with expert witness regarding damages model",
    ),
    ("L430", "A103", "Draft pretrial brief on damages"),
    (
        "L440",
        "A109",
        "Appear for hearing on motion for summary judgment",
    ),
];
const VAGUE: &[&str] = &[
    "Review file",
    "Attention to matter",
    "Work on case",
    "Research",
];
const BLOCK: &str = "Review correspondence; draft motion to dismiss; telephone conference with client; revise discovery responses";
const CLERICAL: &str = "Organize and scan documents for production";

fn classification_rate(code: &str) -> (i64, i64) {
    // (hourly rate in whole currency units, yearly increase)
    match code {
        "PARTNR" => (850, 50),
        "OFCOUN" => (700, 40),
        "ASSOC" => (520, 35),
        "PARALG" => (240, 15),
        _ => (180, 10),
    }
}

/// The user the invoice's current approval step waits for: its named approver, or the first
/// active user with its role who may see the matter (walls).
async fn step_approver(
    app: &App,
    invoice_id: i64,
) -> Result<Option<crate::platform::access::CurrentUser>, AppError> {
    let row: Option<(i64, String, String, String)> = sqlx::query_as(
        "SELECT u.id, u.email, u.name, u.role FROM invoices i JOIN invoice_approvals a ON a.invoice_id = i.id AND a.step = i.approval_step AND a.decision = 'pending' \
         JOIN users u ON u.status = 'active' AND ((a.approver_id IS NOT NULL AND u.id = a.approver_id) OR (a.approver_id IS NULL AND u.role = a.approver_role)) \
         WHERE i.id = $1 AND NOT EXISTS (SELECT 1 FROM walled_objects wo WHERE wo.object_type = 'matter' AND wo.object_id = i.matter_id \
           AND NOT EXISTS (SELECT 1 FROM object_walls ow WHERE ow.object_type = 'matter' AND ow.object_id = wo.object_id AND ow.user_id = u.id)) \
         ORDER BY u.id LIMIT 1",
    )
    .bind(invoice_id)
    .fetch_optional(app.db.pool())
    .await?;
    Ok(row.and_then(|(id, email, name, role)| {
        Some(crate::platform::access::CurrentUser {
            id,
            email,
            name,
            role: crate::platform::access::Role::parse(&role)?,
            via_token: false,
            vendor_id: None,
        })
    }))
}

type Timekeeper = (String, String, String, i64, i64);
/// A billed matter of the demo: id, number, the firm's matter id, firm index, first year.
type DemoMatter = (i64, String, String, usize, u32);

/// One firm's file for one month, made by the generator thread.
struct Generated {
    month: u32,
    firm: usize,
    /// `None` when the firm billed nothing that month; with its LEDES report (made on the
    /// generator's thread, so that the intake need not).
    file: Option<Result<(Vec<u8>, ledes::Report), ledes::ConvertError>>,
    invoices: usize,
    /// When the firm sends it (the demo clock is set to it).
    sent: Option<jiff::Timestamp>,
}

/// Makes a firm's LEDES 1998B file of the invoices of `month` for its matters, from a random
/// stream of its own (so the demo is the same whatever the order files are made in).
fn month_file(
    scale: Scale,
    base_year: u32,
    month: u32,
    f: usize,
    law_firm_id: &str,
    tks: &[Timekeeper],
    matters: &[&DemoMatter],
) -> Generated {
    let mut rng = Rng::seeded(0x0005_eed1_e0b5 ^ ((month as u64) << 32) ^ f as u64);
    let (y, m) = (base_year + month / 12, 1 + month % 12);
    let mut invoices = vec![];
    let mut sent = None;
    for (matter_id, number, firm_matter, _, start_year) in matters.iter().copied() {
        let first_month = if scale.months <= 12 {
            0
        } else {
            (*start_year - 2024) * 12
        };
        if month < first_month {
            continue;
        }
        let last_day = ledes::days_in_month(y as u16, m as u8);
        let mut items = vec![];
        for k in 0..scale.lines_per_invoice {
            // Legal assistants (the last timekeeper) bill only the occasional clerical entry.
            let (mut code, mut tk_name, mut class, base, step) =
                tks[rng.below(tks.len() - 1)].clone();
            let day = 1 + rng.below(last_day as usize) as u8;
            let (task, act, mut text) = *rng.pick(WORK);
            let mut rate = base + step * (y as i64 - 2024);
            let mut hours = Decimal::new((1 + rng.below(30)) as i64, 1);
            // A realistic share of what billing guidelines catch.
            match rng.below(100) {
                0..=2 => rate += 75,
                3..=4 => text = *rng.pick(VAGUE),
                5..=6 => text = BLOCK,
                7 if rng.chance(30) => {
                    let (c, n, cl, b, _) = tks[tks.len() - 1].clone();
                    (code, tk_name, class, rate) = (c, n, cl, b);
                    text = CLERICAL;
                }
                7 => text = CLERICAL,
                8 => hours = Decimal::new(115, 1),
                9 => hours = Decimal::new(rng.below(30) as i64 * 10 + 17, 2),
                _ => {}
            }
            let rate = Decimal::from(rate);
            items.push(ledes::LineItem {
                number: (k + 1).to_string(),
                line_type: ledes::LineType::Fee,
                date: ledes::Date::new(y as u16, m as u8, day).expect("valid day"),
                units: Some(hours),
                unit_cost: Some(rate),
                adjustment: Some(Decimal::ZERO),
                total: (hours * rate).round_dp(2),
                task_code: Some(task.to_string()),
                expense_code: None,
                activity_code: Some(act.to_string()),
                timekeeper_id: Some(code.clone()),
                timekeeper_name: Some(tk_name.clone()),
                timekeeper_classification: Some(class.clone()),
                timekeeper_last_name: None,
                timekeeper_first_name: None,
                description: text.to_string(),
                law_firm_matter_id: firm_matter.clone(),
                client_matter_id: Some(number.clone()),
                matter_name: None,
                tax_rate: None,
                tax_total: None,
                tax_type: None,
            });
        }
        if rng.chance(40) {
            let amount = Decimal::new((2_000 + rng.below(40_000)) as i64, 2);
            let (code, text) = *rng.pick(&[
                ("E101", "Copying"),
                ("E110", "Out-of-town travel: airfare"),
                ("E111", "Meals"),
                ("E106", "Online research (Westlaw)"),
            ]);
            items.push(ledes::LineItem {
                number: (items.len() + 1).to_string(),
                line_type: ledes::LineType::Expense,
                date: ledes::Date::new(y as u16, m as u8, last_day).expect("valid day"),
                units: Some(Decimal::ONE),
                unit_cost: Some(amount),
                adjustment: Some(Decimal::ZERO),
                total: amount,
                task_code: None,
                expense_code: Some(code.to_string()),
                activity_code: None,
                timekeeper_id: None,
                timekeeper_name: None,
                timekeeper_classification: None,
                timekeeper_last_name: None,
                timekeeper_first_name: None,
                description: text.to_string(),
                law_firm_matter_id: firm_matter.clone(),
                client_matter_id: Some(number.clone()),
                matter_name: None,
                tax_rate: None,
                tax_total: None,
                tax_type: None,
            });
        }
        let total: Decimal = items.iter().map(|i| i.total).sum();
        let invoice_date = if m == 12 {
            ledes::Date::new(y as u16 + 1, 1, 10)
        } else {
            ledes::Date::new(y as u16, m as u8 + 1, 10)
        }
        .expect("valid date");
        let inv = ledes::Invoice {
            invoice_number: format!("{}-{}{:02}-{}", 7000 + f, y, m, matter_id),
            invoice_date,
            client_id: "DEMO".into(),
            law_firm_id: law_firm_id.to_string(),
            billing_start: ledes::Date::new(y as u16, m as u8, 1),
            billing_end: ledes::Date::new(y as u16, m as u8, last_day),
            description: format!(
                "Legal services for {}",
                ledes::Date::new(y as u16, m as u8, 1)
                    .map(|d| d.to_string()[..7].to_string())
                    .unwrap_or_default()
            ),
            total,
            po_number: None,
            client_tax_id: None,
            tax_total: None,
            net_total: None,
            currency: None,
            account_type: None,
            reported_tax_total: None,
            tax_currency: None,
            law_firm: ledes::Party::default(),
            client: ledes::Party::default(),
            line_items: items,
        };
        // The firm sends it ten days after the month ends, and it is judged on that day.
        sent = jiff::civil::date(
            invoice_date.year() as i16,
            invoice_date.month() as i8,
            invoice_date.day() as i8,
        )
        .at(9, 0, 0, 0)
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .map(|z| z.timestamp())
        .ok();
        invoices.push(inv);
    }
    let n = invoices.len();
    Generated {
        month,
        firm: f,
        file: (n > 0).then(|| {
            ledes::write(&invoices, ledes::Format::Ledes1998B).map(|bytes| {
                let report = intake::validate(&bytes);
                (bytes, report)
            })
        }),
        invoices: n,
        sent,
    }
}

/// Creates the spend demo (idempotent: skipped when vendors exist).
pub async fn seed(
    app: &App,
    admin: &CurrentUser,
    ops: &CurrentUser,
    scale: Scale,
    mut progress: impl FnMut(&str, u64, u64),
) -> Result<(), AppError> {
    let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM vendors")
        .fetch_one(app.db.pool())
        .await?;
    if existing > 0 {
        return Ok(());
    }
    let mut rng = Rng(0x0005_eed1_e0b5);
    // Vendors, their timekeepers and rates.
    let mut firms = vec![];
    for (i, name) in FIRMS.iter().take(scale.vendors).enumerate() {
        let v = vendors::create(
            app,
            admin,
            &super::model::VendorInput {
                name: name.to_string(),
                law_firm_id: format!("{:02}-{:07}", 10 + i, 4_310_000 + i * 977),
                status: "active".into(),
                offices: rng
                    .pick(&[
                        "New York",
                        "London; New York",
                        "Chicago",
                        "San Francisco; Palo Alto",
                        "Boston",
                        "Frankfurt; London",
                    ])
                    .to_string(),
                billing_contact: format!("{} {}", rng.pick(FIRST), rng.pick(LAST)),
                billing_email: format!("billing{i}@firm{i}.example"),
                currency: "USD".into(),
            },
        )
        .await?;
        let mut tks = vec![];
        for (k, class) in [
            "PARTNR", "PARTNR", "OFCOUN", "ASSOC", "ASSOC", "ASSOC", "PARALG", "LGLAST",
        ]
        .iter()
        .enumerate()
        {
            let name = format!(
                "{} {}",
                FIRST[(i * 7 + k * 3) % FIRST.len()],
                LAST[(i * 5 + k) % LAST.len()]
            );
            let code = format!("TK{:02}{:02}", i, k);
            let id = vendors::add_timekeeper(app, admin, v.id, &code, &name, class).await?;
            let (base, step) = classification_rate(class);
            let base = base + (i as i64 % 5) * 20;
            for (y, year) in [2024, 2025, 2026].iter().enumerate() {
                vendors::approve_rate(
                    app,
                    admin,
                    id,
                    None,
                    &(base + step * y as i64).to_string(),
                    &format!("{year}-01-01"),
                )
                .await?;
            }
            tks.push((code, name, class.to_string(), base, step));
        }
        firms.push((v, tks));
        progress("vendors", i as u64 + 1, scale.vendors as u64);
    }
    // Matters, assignments and budgets.
    let mut matters = vec![];
    for n in 0..scale.matters {
        let (ty, prefix) = TYPES[n % TYPES.len()];
        let year = if scale.months <= 12 {
            2025
        } else {
            2024 + (n % 3) as u32
        };
        let number = format!("{prefix}-{year}-{:03}", n + 1);
        let billed = n < scale.billed_matters;
        let status = if !billed && n % 5 == 0 {
            "intake"
        } else if n % 11 == 10 {
            "closed"
        } else {
            "open"
        };
        let m = crate::matters::store::create(
            app,
            ops,
            &MatterInput {
                number: number.clone(),
                name: format!(
                    "{} — {}",
                    rng.pick(SUBJECTS),
                    match ty {
                        "litigation" => "commercial dispute",
                        "employment" => "employment claim",
                        "transactional" => "acquisition",
                        "regulatory" => "regulatory inquiry",
                        "ip" => "patent portfolio",
                        _ => "advice",
                    }
                ),
                type_code: ty.into(),
                status: if billed && status == "closed" {
                    "open".into()
                } else {
                    status.into()
                },
                practice_area: rng.pick(AREAS).to_string(),
                business_owner: rng
                    .pick(&[
                        "Sales EMEA",
                        "Finance",
                        "HR",
                        "R&D",
                        "Supply chain",
                        "Marketing",
                    ])
                    .to_string(),
                responsible_attorney_email: rng
                    .pick(&["attorney@demo.lexops.test", "counsel@demo.lexops.test"])
                    .to_string(),
                opened_on: format!("{year}-0{}-1{}", 1 + n % 9, n % 9),
                closed_on: String::new(),
                description: String::new(),
                confidential: n % 97 == 13,
            },
        )
        .await?;
        if billed {
            let f = n % firms.len();
            let firm_matter = format!("{}-{:04}", 7000 + f, n + 1);
            vendors::assign(
                app,
                ops,
                firms[f].0.id,
                &number,
                &number,
                &firm_matter,
                m.opened_on.as_deref().unwrap_or(""),
            )
            .await?;
            for fy in 2024..=2026 {
                if rng.chance(60) {
                    let amount = 40_000 + rng.below(20) as i64 * 15_000;
                    vendors::set_budget(
                        app,
                        ops,
                        m.id,
                        &format!("FY{fy}"),
                        "",
                        &amount.to_string(),
                        "USD",
                    )
                    .await?;
                }
            }
            matters.push((m.id, number, firm_matter, f, year));
        }
        progress("matters", n as u64 + 1, scale.matters as u64);
    }
    // Three years of monthly invoices.
    let total_invoices: u64 = matters
        .iter()
        .map(|(_, _, _, _, y)| {
            scale.months.saturating_sub(if scale.months <= 12 {
                0
            } else {
                (*y - 2024) * 12
            }) as u64
        })
        .sum();
    let mut done = 0u64;
    let base_year = if scale.months <= 12 { 2025 } else { 2024 };
    // The firms' monthly files are made on a thread of their own, one firm-month at a time
    // (each from its own random stream), while the intake judges and stores the previous one.
    let generator_firms: Vec<(String, Vec<Timekeeper>)> = firms
        .iter()
        .map(|(v, tks)| (v.law_firm_id.clone(), tks.clone()))
        .collect();
    let generator_matters = matters.clone();
    let (send, files) = std::sync::mpsc::sync_channel::<Generated>(1);
    let generator = std::thread::spawn(move || {
        for month in 0..scale.months {
            for (f, (law_firm_id, tks)) in generator_firms.iter().enumerate() {
                let mine: Vec<&DemoMatter> =
                    generator_matters.iter().filter(|x| x.3 == f).collect();
                let made = month_file(scale, base_year, month, f, law_firm_id, tks, &mine);
                if send.send(made).is_err() {
                    return;
                }
            }
        }
    });
    let (files, reader) = if scale.files_first {
        let dir = app.settings.data_dir.join("demo-invoice-files");
        std::fs::create_dir_all(&dir).map_err(anyhow::Error::from)?;
        let mut made = vec![];
        for mut g in files {
            let path = match g.file.take() {
                Some(Ok((bytes, _))) => {
                    let path = dir.join(format!("{}-{}.txt", g.month, g.firm));
                    std::fs::write(&path, &bytes).map_err(anyhow::Error::from)?;
                    Some(path)
                }
                other => {
                    g.file = other;
                    None
                }
            };
            made.push((g, path));
        }
        progress("invoice files", made.len() as u64, made.len() as u64);
        let (send, files) = std::sync::mpsc::sync_channel::<Generated>(1);
        let reader = std::thread::spawn(move || -> std::io::Result<()> {
            for (mut g, path) in made {
                if let Some(path) = path {
                    let bytes = std::fs::read(&path)?;
                    std::fs::remove_file(&path)?;
                    let report = intake::validate(&bytes);
                    g.file = Some(Ok((bytes, report)));
                }
                if send.send(g).is_err() {
                    break;
                }
            }
            Ok(())
        });
        (files, Some(reader))
    } else {
        (files, None)
    };
    // While one firm-month is written, the next is judged (intake::Pipeline); with `decide`,
    // each file's invoices are decided before the next file, as their firm would see it.
    let mut pipeline = intake::Pipeline::new(app, ops);
    let mut sent_files: HashMap<String, (u32, usize, String)> = HashMap::new();
    let mut files = files.into_iter();
    loop {
        let (outcomes, last) = match files.next() {
            Some(made) => {
                let Generated {
                    month,
                    firm: f,
                    file,
                    invoices,
                    sent,
                } = made;
                let (y, m) = (base_year + month / 12, 1 + month % 12);
                let Some(file) = file else { continue };
                let (bytes, report) =
                    file.map_err(|e| AppError::Internal(anyhow::anyhow!("demo LEDES: {e}")))?;
                app.clock.set_to(sent);
                let firm = &firms[f].0;
                let name = format!("demo-{}-{y}{m:02}.txt", firm.law_firm_id);
                sent_files.insert(name.clone(), (month, invoices, firm.name.clone()));
                let mut outcomes = pipeline.push(&name, bytes, Some(report)).await?;
                if scale.decide {
                    outcomes.extend(pipeline.flush().await?);
                }
                (outcomes, false)
            }
            None => (pipeline.flush().await?, true),
        };
        for outcome in outcomes {
            let (month, invoices, firm_name) = sent_files.remove(&outcome.file).unwrap_or_default();
            if !outcome.accepted {
                let first = outcome
                    .problems
                    .first()
                    .map(|p| p.render())
                    .unwrap_or_default();
                return Err(AppError::Internal(anyhow::anyhow!(
                    "the demo file {} of {firm_name} was rejected: {first}",
                    outcome.file
                )));
            }
            // Older invoices are decided; the last two months stay in review.
            // Each step is approved by whom it waits for (legal ops, then e.g. an attorney for
            // an invoice over budget).
            if scale.decide && month + 2 < scale.months {
                for id in outcome.invoice_ids {
                    for _ in 0..8 {
                        if review::get(app, ops, id).await?.status != "in_review" {
                            break;
                        }
                        let Some(approver) = step_approver(app, id).await? else {
                            break;
                        };
                        review::decide(app, &approver, id, review::Decision::Approve, "").await?;
                    }
                }
            }
            done += invoices as u64;
            progress("invoices", done, total_invoices);
        }
        if last {
            break;
        }
    }
    generator
        .join()
        .map_err(|_| AppError::Internal(anyhow::anyhow!("the demo invoice generator failed")))?;
    if let Some(reader) = reader {
        reader
            .join()
            .map_err(|_| AppError::Internal(anyhow::anyhow!("the demo file reader failed")))?
            .map_err(anyhow::Error::from)?;
    }
    app.clock.set_to(None);
    app.db.refresh_statistics().await?;
    // What was approved went to accounts payable.
    if scale.decide {
        super::export::create(app, ops, "csv").await?;
    }
    Ok(())
}
