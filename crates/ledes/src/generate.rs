//! A deterministic generator of realistic, valid LEDES files: several invoices and matters,
//! UTBMS-coded fees by a pool of timekeepers, expenses, discounts and invoice-level adjustments,
//! and (for 98BI and XML) VAT. The same seed always gives the same bytes.
//!
//! ```
//! use ledes::{Format, generate::Generator, validate, ValidateOptions};
//! let file = Generator::new(42).line_items(200).invoices_per_file(5).format(Format::Ledes98BI).to_vec();
//! let report = validate(&file, &ValidateOptions::default());
//! assert!(!report.has_errors(), "{}", report.render_text("gen.txt"));
//! assert_eq!((report.line_items, report.invoice_count), (200, 5));
//! ```

use crate::utbms::{activity_codes, litigation_tasks};
use crate::{Date, Format, Invoice, LineItem, LineType, Party};
use rust_decimal::{Decimal, RoundingStrategy};
use std::io;

/// A small xorshift64* generator: deterministic, no dependency.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed (any value, zero included).
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15 | 1)
    }
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
    /// A random element.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
    /// True with probability `percent` / 100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

const TIMEKEEPERS: &[(&str, &str, &str, &str, i64)] = &[
    ("TK1001", "Arnsley", "Robert", "PARTNR", 850),
    ("TK1002", "Okafor", "Amara", "PARTNR", 925),
    ("TK1003", "Lindqvist", "Erik", "OFCOUN", 700),
    ("TK1004", "Beaster", "John", "ASSOC", 475),
    ("TK1005", "Nakamura", "Yui", "ASSOC", 520),
    ("TK1006", "Delgado", "Maria", "ASSOC", 410),
    ("TK1007", "O'Brien", "Siobhan", "ASSOC", 385),
    ("TK1008", "Haddad", "Karim", "PARALG", 245),
    ("TK1009", "Whitfield", "Anne", "PARALG", 220),
    ("TK1010", "Kowalski", "Piotr", "LGLAST", 180),
];

const OBJECTS: &[&str] = &[
    "motion to compel production of documents",
    "opposition to motion for summary judgment",
    "deposition outline for plaintiff's damages expert",
    "first set of interrogatories and requests for production",
    "privilege log entries for custodian emails",
    "settlement demand letter and damages model",
    "case management statement",
    "expert report on lost profits",
    "witness interview notes with plant manager",
    "protective order stipulation",
    "answer and affirmative defenses",
    "meet-and-confer correspondence regarding ESI search terms",
    "trial exhibit list and objections",
    "jury instructions on breach of warranty",
    "mediation brief",
    "subpoena to third-party distributor",
    "chronology of key events from produced documents",
    "appellate brief statement of facts",
    "motion in limine to exclude hearsay testimony",
    "document review protocol for contract attorneys",
];

const ACTIVITY_VERBS: &[(&str, &str)] = &[
    ("A101", "Plan and prepare for"),
    ("A102", "Research case law for"),
    ("A103", "Draft and revise"),
    ("A104", "Review and analyze"),
    ("A105", "Confer with team regarding"),
    ("A106", "Call with client regarding"),
    ("A107", "Correspond with opposing counsel regarding"),
    ("A108", "Correspond with court reporter regarding"),
    ("A109", "Attend hearing on"),
    ("A110", "Organize and index files for"),
    ("A111", "Work on"),
];

const EXPENSES: &[(&str, &str, i64, i64)] = &[
    // code, description, unit cost in cents (0 = amount), max units
    ("E101", "Photocopies", 15, 600),
    ("E105", "Conference call charges", 0, 1),
    ("E106", "Westlaw online research", 0, 1),
    ("E107", "Courier delivery to opposing counsel", 0, 1),
    ("E108", "Postage", 0, 1),
    ("E110", "Airfare to deposition", 0, 1),
    ("E111", "Working meal during trial preparation", 0, 1),
    ("E112", "Court filing fee", 0, 1),
    ("E115", "Deposition transcript", 0, 1),
    ("E118", "E-discovery hosting vendor", 0, 1),
];

const CLIENTS: &[(&str, &str, &str, &str)] = &[
    ("C0042", "Stanley's Widgets Inc.", "New York", "US"),
    ("C0107", "Northwind Logistics Ltd", "Manchester", "GB"),
    ("C0311", "Helios Energy GmbH", "Hamburg", "DE"),
];

/// Builds realistic, valid LEDES files of a chosen size.
#[derive(Debug, Clone)]
pub struct Generator {
    seed: u64,
    line_items: usize,
    invoices: usize,
    format: Format,
}

impl Generator {
    /// A generator with 100 line items in 4 invoices, LEDES 1998B.
    pub fn new(seed: u64) -> Generator {
        Generator {
            seed,
            line_items: 100,
            invoices: 4,
            format: Format::Ledes1998B,
        }
    }

    /// Total number of line items in the file.
    pub fn line_items(mut self, n: usize) -> Generator {
        self.line_items = n;
        self
    }

    /// Number of invoices the line items are spread over (at least 1, at most one per line).
    pub fn invoices_per_file(mut self, k: usize) -> Generator {
        self.invoices = k.max(1);
        self
    }

    /// Output format. For 98BI and XML the invoices carry VAT at 20% in GBP.
    pub fn format(mut self, f: Format) -> Generator {
        self.format = f;
        self
    }

    fn n_invoices(&self) -> usize {
        self.invoices.min(self.line_items.max(1))
    }

    /// The `k`-th invoice of the file (0-based).
    pub fn invoice(&self, k: usize) -> Invoice {
        let n = self.n_invoices();
        let per = self.line_items / n;
        let lines = per + usize::from(k < self.line_items % n);
        let mut rng = Rng::new(self.seed.wrapping_mul(1_000_003).wrapping_add(k as u64));
        let taxed = self.format != Format::Ledes1998B;
        let client = *rng.pick(CLIENTS);
        let month = (k % 12) as u8 + 1;
        let year = 2023 + (k / 12 % 3) as u16;
        let start = Date::new(year, month, 1).expect("date");
        let end = Date::new(year, month, crate::date::days_in_month(year, month)).expect("date");
        let invoice_date = end.add_days(7).expect("date");
        let n_matters = 1 + rng.below(3) as usize;
        let matters: Vec<(String, String, String)> = (0..n_matters)
            .map(|m| {
                (
                    format!("{}-{:04}", year, 100 + (self.seed % 97) as usize * 7 + m),
                    format!("{}-M{}", client.0, 10 + m),
                    format!(
                        "{} v. Acme Corp. ({})",
                        client.1.split(' ').next().unwrap_or("Client"),
                        m + 1
                    ),
                )
            })
            .collect();
        let vat = Decimal::new(20, 2);
        let cents =
            |d: Decimal| d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
        let mut items = Vec::with_capacity(lines);
        let tasks: Vec<&str> = litigation_tasks().collect();
        let _acts: Vec<&str> = activity_codes().collect();
        let period_days = end.ordinal() - start.ordinal() + 1;
        for i in 0..lines {
            let date = start
                .add_days(rng.below(period_days as u64) as i64)
                .expect("date");
            let matter = &matters[rng.below(n_matters as u64) as usize];
            let roll = rng.below(100);
            let is_last = i + 1 == lines;
            let mut li = LineItem {
                number: (i + 1).to_string(),
                line_type: LineType::Fee,
                date,
                units: None,
                unit_cost: None,
                adjustment: None,
                total: Decimal::ZERO,
                task_code: None,
                expense_code: None,
                activity_code: None,
                timekeeper_id: None,
                timekeeper_name: None,
                timekeeper_classification: None,
                timekeeper_last_name: None,
                timekeeper_first_name: None,
                description: String::new(),
                law_firm_matter_id: matter.0.clone(),
                client_matter_id: Some(matter.1.clone()),
                matter_name: if taxed { Some(matter.2.clone()) } else { None },
                tax_rate: None,
                tax_total: None,
                tax_type: None,
            };
            let base;
            if is_last && lines >= 20 && rng.chance(50) {
                // Invoice-level discount on fees: the total equals the adjustment.
                let amount = Decimal::new(-(5000 + rng.below(45000) as i64), 2);
                li.line_type = LineType::FeeAdjustment;
                li.adjustment = Some(amount);
                li.description = "Courtesy discount agreed with client".into();
                base = amount;
            } else if roll < 78 {
                let (id, last, first, class, rate) = *rng.pick(TIMEKEEPERS);
                let (act, verb) = *rng.pick(ACTIVITY_VERBS);
                let hours = Decimal::new(1 + rng.below(60) as i64, 1);
                let rate = Decimal::new(rate * 100, 2);
                let product = hours * rate;
                let adj = if rng.chance(8) {
                    Some(-cents(product * Decimal::new(10, 2)))
                } else if rng.chance(20) {
                    Some(Decimal::new(0, 2))
                } else {
                    None
                };
                li.units = Some(hours);
                li.unit_cost = Some(rate);
                li.adjustment = adj;
                li.task_code = Some((*rng.pick(&tasks)).to_string());
                li.activity_code = Some(act.to_string());
                li.timekeeper_id = Some(id.to_string());
                li.timekeeper_name = Some(format!("{last}, {first}"));
                li.timekeeper_classification = Some(class.to_string());
                if taxed {
                    li.timekeeper_last_name = Some(last.to_string());
                    li.timekeeper_first_name = Some(first.to_string());
                }
                let obj = rng.pick(OBJECTS);
                li.description = if rng.chance(30) {
                    format!("{verb} {obj}; follow up on open items from prior week")
                } else {
                    format!("{verb} {obj}")
                };
                base = cents(product + adj.unwrap_or_default());
            } else {
                let (code, desc, unit_cents, max_units) = *rng.pick(EXPENSES);
                let (units, cost) = if unit_cents > 0 {
                    (
                        Decimal::from(1 + rng.below(max_units as u64) as i64),
                        Decimal::new(unit_cents, 2),
                    )
                } else {
                    (
                        Decimal::ONE,
                        Decimal::new(500 + rng.below(150_000) as i64, 2),
                    )
                };
                li.line_type = LineType::Expense;
                li.units = Some(units);
                li.unit_cost = Some(cost);
                li.expense_code = Some(code.to_string());
                li.description = desc.to_string();
                base = cents(units * cost);
            }
            if taxed {
                let tax = cents(base * vat);
                li.tax_rate = Some(vat);
                li.tax_total = Some(tax);
                li.tax_type = Some("VAT".into());
                li.total = base + tax;
            } else {
                li.total = base;
            }
            items.push(li);
        }
        let total: Decimal = items.iter().map(|l| l.total).sum();
        let tax: Decimal = items.iter().filter_map(|l| l.tax_total).sum();
        let number = format!("{}", 100_000 + (self.seed % 10_000) * 1000 + k as u64);
        let mut inv = Invoice {
            invoice_number: number,
            invoice_date,
            client_id: client.0.to_string(),
            law_firm_id: "24-6437381".into(),
            billing_start: Some(start),
            billing_end: Some(end),
            description: format!("Legal services rendered {} {year}", month_name(month)),
            total,
            po_number: None,
            client_tax_id: None,
            tax_total: None,
            net_total: None,
            currency: None,
            account_type: None,
            reported_tax_total: None,
            tax_currency: None,
            law_firm: Party::default(),
            client: Party::default(),
            line_items: items,
        };
        if taxed {
            inv.po_number = Some(format!("PO-{}", 40_000 + k));
            inv.client_tax_id = Some(format!(
                "GB{}",
                100_000_000 + (self.seed % 1000) * 1000 + k as u64
            ));
            inv.tax_total = Some(tax);
            inv.net_total = Some(total - tax);
            inv.currency = Some("GBP".into());
            inv.account_type = Some("O".into());
            inv.reported_tax_total = Some(tax);
            inv.tax_currency = Some("GBP".into());
            inv.law_firm = Party {
                name: "Law Offices of John Smith".into(),
                address_1: "One Fleet Street".into(),
                address_2: String::new(),
                city: "London".into(),
                state_or_region: String::new(),
                postcode: "EC4A 2EG".into(),
                country: "GB".into(),
            };
            inv.client = Party {
                name: client.1.into(),
                address_1: "1 Market Square".into(),
                address_2: "Suite 200".into(),
                city: client.2.into(),
                state_or_region: String::new(),
                postcode: "10036".into(),
                country: client.3.into(),
            };
        }
        inv
    }

    /// All invoices of the file.
    pub fn invoices(&self) -> impl Iterator<Item = Invoice> + '_ {
        (0..self.n_invoices()).map(|k| self.invoice(k))
    }

    /// The file in memory.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut v = Vec::new();
        self.write_to(&mut v).expect("writing to memory");
        v
    }

    /// Streams the file into `w`, one invoice at a time (memory stays flat for any size);
    /// returns the number of bytes written. XML is built in memory.
    pub fn write_to<W: io::Write>(&self, mut w: W) -> io::Result<u64> {
        if self.format.is_xml() {
            let all: Vec<Invoice> = self.invoices().collect();
            let bytes = crate::write(&all, self.format).map_err(io::Error::other)?;
            w.write_all(&bytes)?;
            return Ok(bytes.len() as u64);
        }
        let mut buf = Vec::with_capacity(1 << 16);
        crate::pipe::write_header(self.format, &mut buf);
        let mut n = 0u64;
        for inv in self.invoices() {
            crate::pipe::write_invoice(&inv, self.format, false, &mut buf)
                .map_err(io::Error::other)?;
            if buf.len() > 1 << 16 {
                w.write_all(&buf)?;
                n += buf.len() as u64;
                buf.clear();
            }
        }
        w.write_all(&buf)?;
        n += buf.len() as u64;
        Ok(n)
    }
}

fn month_name(m: u8) -> &'static str {
    [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ][usize::from(m.clamp(1, 12) - 1)]
}
