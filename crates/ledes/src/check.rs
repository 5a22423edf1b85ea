//! The checks shared by every format: a line item against its invoice (consistency, arithmetic,
//! billing period, UTBMS codes, tax), and the invoice against its lines (totals).
//!
//! Readers turn their syntax into [`HeaderRef`] and [`LineRef`] (borrowing, no allocation) and
//! feed them to an [`InvoiceAcc`], so the pipe formats and XML are checked by the same code.

use crate::fields::{NAMES, idx};
use crate::finding::{Finding, Rule, Severity};
use crate::utbms::CodeKind;
use crate::{Date, Invoice, LineItem, LineType, Party, ValidateOptions};
use rust_decimal::{Decimal, RoundingStrategy};
use std::collections::HashSet;

/// Where findings go: bounded, and aware of stop-at-first-error.
#[derive(Debug)]
pub(crate) struct Sink {
    pub findings: Vec<Finding>,
    pub max: usize,
    pub recorded: usize,
    pub suppressed: usize,
    pub errors: usize,
}

impl Sink {
    pub fn new(max: usize) -> Sink {
        Sink {
            findings: Vec::new(),
            max,
            recorded: 0,
            suppressed: 0,
            errors: 0,
        }
    }

    pub fn push(&mut self, f: Finding) {
        if f.is_error() {
            self.errors += 1;
        }
        if self.recorded < self.max {
            self.recorded += 1;
            self.findings.push(f);
        } else {
            if self.suppressed == 0 {
                self.findings.push(Finding::new(
                    Severity::Info,
                    Rule::TooManyFindings,
                    format!(
                        "more than {} findings; the rest are counted but not listed",
                        self.max
                    ),
                ));
            }
            self.suppressed += 1;
        }
    }
}

/// Location of a finding: file line, invoice number, line item number.
#[derive(Clone, Copy)]
pub(crate) struct Loc<'a> {
    pub line: Option<u64>,
    pub invoice: &'a str,
    pub item: &'a str,
}

impl Loc<'_> {
    pub fn finding(
        &self,
        sev: Severity,
        rule: Rule,
        field: Option<&'static str>,
        msg: String,
    ) -> Finding {
        let mut f = Finding::new(sev, rule, msg)
            .invoice(self.invoice)
            .line_item(self.item);
        f.line = self.line;
        f.field = field;
        f
    }
}

/// Invoice-level values as given on one line (pipe) or by the invoice (XML).
#[derive(Debug, Clone, Copy)]
pub(crate) struct HeaderRef<'a> {
    pub invoice_number: &'a str,
    pub invoice_date: Option<Date>,
    pub client_id: &'a str,
    pub law_firm_id: &'a str,
    pub total: Option<Decimal>,
    pub billing_start: Option<Date>,
    pub billing_end: Option<Date>,
    pub description: &'a str,
    pub tax_total: Option<Decimal>,
    pub net_total: Option<Decimal>,
    pub reported_tax_total: Option<Decimal>,
    /// Raw text of the 98BI invoice-level fields, indexed like [`NAMES`] (empty for 1998B).
    pub intl: [&'a str; 52],
    pub is_98bi: bool,
}

/// One line item's values, borrowed.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct LineRef<'a> {
    pub file_line: Option<u64>,
    pub number: &'a str,
    pub line_type: Option<LineType>,
    pub date: Option<Date>,
    pub units: Option<Decimal>,
    pub unit_cost: Option<Decimal>,
    pub adjustment: Option<Decimal>,
    pub total: Option<Decimal>,
    pub task: &'a str,
    pub expense: &'a str,
    pub activity: &'a str,
    pub tk_id: &'a str,
    pub tk_name: &'a str,
    pub tk_class: &'a str,
    pub tk_last: &'a str,
    pub tk_first: &'a str,
    pub description: &'a str,
    pub matter: &'a str,
    pub client_matter: &'a str,
    pub matter_name: &'a str,
    pub tax_rate: Option<Decimal>,
    pub tax_total: Option<Decimal>,
    pub tax_type: &'a str,
    /// Bit `i` set: field `i` was present but unreadable (already reported).
    pub invalid: u64,
}

impl LineRef<'_> {
    fn bad(&self, i: usize) -> bool {
        self.invalid & (1 << i) != 0
    }
}

fn opt(s: &str) -> Option<String> {
    if s.is_empty() {
        None
    } else {
        Some(s.to_string())
    }
}

impl<'a> LineRef<'a> {
    /// The owned line item, when the typed required values are present.
    pub fn to_line_item(self) -> Option<LineItem> {
        Some(LineItem {
            number: self.number.to_string(),
            line_type: self.line_type?,
            date: self.date?,
            units: self.units,
            unit_cost: self.unit_cost,
            adjustment: self.adjustment,
            total: self.total?,
            task_code: opt(self.task),
            expense_code: opt(self.expense),
            activity_code: opt(self.activity),
            timekeeper_id: opt(self.tk_id),
            timekeeper_name: opt(self.tk_name),
            timekeeper_classification: opt(self.tk_class),
            timekeeper_last_name: opt(self.tk_last),
            timekeeper_first_name: opt(self.tk_first),
            description: self.description.to_string(),
            law_firm_matter_id: self.matter.to_string(),
            client_matter_id: opt(self.client_matter),
            matter_name: opt(self.matter_name),
            tax_rate: self.tax_rate,
            tax_total: self.tax_total,
            tax_type: opt(self.tax_type),
        })
    }

    /// Borrows an owned line item.
    pub fn from_item(li: &'a LineItem, file_line: Option<u64>) -> LineRef<'a> {
        let s = |o: &'a Option<String>| o.as_deref().unwrap_or("");
        LineRef {
            file_line,
            number: &li.number,
            line_type: Some(li.line_type),
            date: Some(li.date),
            units: li.units,
            unit_cost: li.unit_cost,
            adjustment: li.adjustment,
            total: Some(li.total),
            task: s(&li.task_code),
            expense: s(&li.expense_code),
            activity: s(&li.activity_code),
            tk_id: s(&li.timekeeper_id),
            tk_name: s(&li.timekeeper_name),
            tk_class: s(&li.timekeeper_classification),
            tk_last: s(&li.timekeeper_last_name),
            tk_first: s(&li.timekeeper_first_name),
            description: &li.description,
            matter: &li.law_firm_matter_id,
            client_matter: s(&li.client_matter_id),
            matter_name: s(&li.matter_name),
            tax_rate: li.tax_rate,
            tax_total: li.tax_total,
            tax_type: s(&li.tax_type),
            invalid: 0,
        }
    }
}

impl<'a> HeaderRef<'a> {
    /// The owned invoice (without lines), when the typed required values are present.
    pub fn to_invoice(self) -> Option<Invoice> {
        let party = |base: usize| Party {
            name: self.intl[base].to_string(),
            address_1: self.intl[base + 1].to_string(),
            address_2: self.intl[base + 2].to_string(),
            city: self.intl[base + 3].to_string(),
            state_or_region: self.intl[base + 4].to_string(),
            postcode: self.intl[base + 5].to_string(),
            country: self.intl[base + 6].to_string(),
        };
        Some(Invoice {
            invoice_number: self.invoice_number.to_string(),
            invoice_date: self.invoice_date?,
            client_id: self.client_id.to_string(),
            law_firm_id: self.law_firm_id.to_string(),
            billing_start: self.billing_start,
            billing_end: self.billing_end,
            description: self.description.to_string(),
            total: self.total?,
            po_number: opt(self.intl[idx::PO_NUMBER]),
            client_tax_id: opt(self.intl[idx::CLIENT_TAX_ID]),
            tax_total: self.tax_total,
            net_total: self.net_total,
            currency: opt(self.intl[idx::INVOICE_CURRENCY]),
            account_type: opt(self.intl[idx::ACCOUNT_TYPE]),
            reported_tax_total: self.reported_tax_total,
            tax_currency: opt(self.intl[idx::TAX_CURRENCY]),
            law_firm: party(idx::LAW_FIRM_NAME),
            client: party(idx::CLIENT_NAME),
            line_items: Vec::new(),
        })
    }

    /// Borrows an owned invoice.
    pub fn from_invoice(inv: &'a Invoice, is_98bi: bool) -> HeaderRef<'a> {
        let mut intl = [""; 52];
        let s = |o: &'a Option<String>| o.as_deref().unwrap_or("");
        intl[idx::PO_NUMBER] = s(&inv.po_number);
        intl[idx::CLIENT_TAX_ID] = s(&inv.client_tax_id);
        intl[idx::INVOICE_CURRENCY] = s(&inv.currency);
        intl[idx::ACCOUNT_TYPE] = s(&inv.account_type);
        intl[idx::TAX_CURRENCY] = s(&inv.tax_currency);
        for (base, p) in [
            (idx::LAW_FIRM_NAME, &inv.law_firm),
            (idx::CLIENT_NAME, &inv.client),
        ] {
            intl[base] = &p.name;
            intl[base + 1] = &p.address_1;
            intl[base + 2] = &p.address_2;
            intl[base + 3] = &p.city;
            intl[base + 4] = &p.state_or_region;
            intl[base + 5] = &p.postcode;
            intl[base + 6] = &p.country;
        }
        HeaderRef {
            invoice_number: &inv.invoice_number,
            invoice_date: Some(inv.invoice_date),
            client_id: &inv.client_id,
            law_firm_id: &inv.law_firm_id,
            total: Some(inv.total),
            billing_start: inv.billing_start,
            billing_end: inv.billing_end,
            description: &inv.description,
            tax_total: inv.tax_total,
            net_total: inv.net_total,
            reported_tax_total: inv.reported_tax_total,
            intl,
            is_98bi,
        }
    }
}

/// The state of one invoice while its lines stream past.
#[derive(Debug)]
pub(crate) struct InvoiceAcc {
    pub number: String,
    pub first_line: Option<u64>,
    invoice_date: Option<Date>,
    client_id: String,
    law_firm_id: String,
    total: Option<Decimal>,
    billing_start: Option<Date>,
    billing_end: Option<Date>,
    description: String,
    tax_total: Option<Decimal>,
    net_total: Option<Decimal>,
    intl: Vec<String>,
    is_98bi: bool,
    sum: Decimal,
    tax_sum: Decimal,
    /// False when a line could not be counted (unreadable total), so sums are not checked.
    sum_ok: bool,
    nums: HashSet<u64>,
    strs: HashSet<String>,
    pub lines: usize,
    pub invoice: Option<Invoice>,
}

fn money(d: Decimal) -> String {
    d.normalize().to_string()
}

impl InvoiceAcc {
    /// Starts an invoice from its first line's header; checks the header itself once.
    pub fn start(
        h: &HeaderRef<'_>,
        file_line: Option<u64>,
        keep: bool,
        sink: &mut Sink,
    ) -> InvoiceAcc {
        let loc = Loc {
            line: file_line,
            invoice: h.invoice_number,
            item: "",
        };
        if let (Some(s), Some(e)) = (h.billing_start, h.billing_end)
            && s > e
        {
            sink.push(loc.finding(
                Severity::Error,
                Rule::BillingPeriod,
                Some("BILLING_START_DATE"),
                format!("the billing period starts ({s}) after it ends ({e}); swap or correct BILLING_START_DATE and BILLING_END_DATE"),
            ));
        }
        if h.is_98bi {
            for (field, code) in [
                (idx::INVOICE_CURRENCY, h.intl[idx::INVOICE_CURRENCY]),
                (idx::TAX_CURRENCY, h.intl[idx::TAX_CURRENCY]),
            ] {
                if !(code.is_empty()
                    || code.len() == 3 && code.bytes().all(|c| c.is_ascii_uppercase()))
                {
                    sink.push(loc.finding(
                        Severity::Error,
                        Rule::CurrencyCode,
                        Some(NAMES[field]),
                        format!("{code:?} is not an ISO 4217 currency code; use three capital letters such as USD, EUR, GBP"),
                    ));
                }
            }
            for field in [idx::LAW_FIRM_NAME + 6, idx::CLIENT_NAME + 6] {
                let c = h.intl[field];
                if !c.is_empty()
                    && !((c.len() == 2 || c.len() == 3)
                        && c.bytes().all(|b| b.is_ascii_uppercase()))
                {
                    sink.push(loc.finding(
                        Severity::Error,
                        Rule::CountryCode,
                        Some(NAMES[field]),
                        format!("{c:?} is not an ISO 3166 country code; use two or three capital letters such as US, GB or USA, GBR"),
                    ));
                }
            }
        }
        InvoiceAcc {
            number: h.invoice_number.to_string(),
            first_line: file_line,
            invoice_date: h.invoice_date,
            client_id: h.client_id.to_string(),
            law_firm_id: h.law_firm_id.to_string(),
            total: h.total,
            billing_start: h.billing_start,
            billing_end: h.billing_end,
            description: h.description.to_string(),
            tax_total: h.tax_total,
            net_total: h.net_total,
            intl: if h.is_98bi {
                crate::fields::INVOICE_LEVEL_98BI
                    .iter()
                    .map(|i| h.intl[*i].to_string())
                    .collect()
            } else {
                Vec::new()
            },
            is_98bi: h.is_98bi,
            sum: Decimal::ZERO,
            tax_sum: Decimal::ZERO,
            sum_ok: h.total.is_some(),
            nums: HashSet::new(),
            strs: HashSet::new(),
            lines: 0,
            invoice: if keep { h.to_invoice() } else { None },
        }
    }

    /// Marks the sums as incomplete (a record of this invoice could not be read).
    pub fn poison(&mut self) {
        self.sum_ok = false;
    }

    /// Checks the line's copy of the invoice-level fields against the first line's (pipe formats).
    pub fn check_header_repeat(&mut self, h: &HeaderRef<'_>, l: &LineRef<'_>, sink: &mut Sink) {
        let loc = Loc {
            line: l.file_line,
            invoice: &self.number,
            item: l.number,
        };
        if h.total.is_some()
            && h.total != self.total
            && let (Some(t), Some(first)) = (h.total, self.total)
        {
            sink.push(loc.finding(
                    Severity::Error,
                    Rule::InvoiceTotalChanged,
                    Some("INVOICE_TOTAL"),
                    format!(
                        "INVOICE_TOTAL is {} here but {} on the invoice's first line; every line must repeat the same invoice total",
                        money(t),
                        money(first)
                    ),
                ));
        }
        let mut changed = |field: &'static str, same: bool, what: &str| {
            if !same {
                sink.push(loc.finding(
                    Severity::Warning,
                    Rule::InvoiceFieldChanged,
                    Some(field),
                    format!("{what} differs from the invoice's first line; the first line's value is used, make every line of the invoice the same"),
                ));
            }
        };
        changed(
            "INVOICE_DATE",
            h.invoice_date.is_none() || h.invoice_date == self.invoice_date,
            "the invoice date",
        );
        changed(
            "INVOICE_DESCRIPTION",
            h.description == self.description,
            "the invoice description",
        );
        changed("CLIENT_ID", h.client_id == self.client_id, "the client ID");
        changed(
            "LAW_FIRM_ID",
            h.law_firm_id == self.law_firm_id,
            "the law firm ID",
        );
        changed(
            "BILLING_START_DATE",
            h.billing_start.is_none() || h.billing_start == self.billing_start,
            "the billing start date",
        );
        changed(
            "BILLING_END_DATE",
            h.billing_end.is_none() || h.billing_end == self.billing_end,
            "the billing end date",
        );
        if self.is_98bi {
            for (k, i) in crate::fields::INVOICE_LEVEL_98BI.iter().enumerate() {
                if *i == idx::MATTER_NAME {
                    continue; // the matter name belongs to the line's matter
                }
                if h.intl[*i] != self.intl[k] {
                    changed(NAMES[*i], false, NAMES[*i]);
                }
            }
        }
    }

    /// Checks one line item and adds it to the invoice's sums.
    pub fn check_line(&mut self, l: &LineRef<'_>, opts: &ValidateOptions, sink: &mut Sink) {
        self.lines += 1;
        let loc = Loc {
            line: l.file_line,
            invoice: &self.number,
            item: l.number,
        };
        // Unique line numbers. Plain numbers without leading zeros are kept as integers.
        if !l.number.is_empty() {
            let b = l.number.as_bytes();
            let fresh = if b.len() <= 18 && b[0] != b'0' && b.iter().all(u8::is_ascii_digit) {
                let n = b.iter().fold(0u64, |a, c| a * 10 + u64::from(c - b'0'));
                self.nums.insert(n)
            } else {
                self.strs.insert(l.number.to_string())
            };
            if !fresh {
                sink.push(loc.finding(
                    Severity::Error,
                    Rule::DuplicateLineNumber,
                    Some("LINE_ITEM_NUMBER"),
                    format!("line item number {} is used twice in this invoice; give each line its own number", l.number),
                ));
            }
        }

        if let Some(t) = l.total {
            self.sum += t;
        } else {
            self.sum_ok = false;
        }
        if let Some(t) = l.tax_total {
            self.tax_sum += t;
        } else if l.bad(idx::LINE_TAX_TOTAL) {
            self.sum_ok = false;
        }

        let Some(lt) = l.line_type else { return };

        // Conditional required fields.
        if lt == LineType::Fee && l.tk_id.is_empty() {
            sink.push(loc.finding(
                Severity::Error,
                Rule::RequiredField,
                Some("TIMEKEEPER_ID"),
                "a fee line must name its timekeeper; fill in TIMEKEEPER_ID".into(),
            ));
        }
        if matches!(lt, LineType::Expense | LineType::ExpenseAdjustment) && l.expense.is_empty() {
            sink.push(loc.finding(
                Severity::Error,
                Rule::RequiredField,
                Some("LINE_ITEM_EXPENSE_CODE"),
                "an expense line needs a UTBMS expense code (E101–E124 or the client's X-code); fill in LINE_ITEM_EXPENSE_CODE".into(),
            ));
        }
        if !lt.is_adjustment() {
            for (i, v) in [(idx::UNITS, l.units), (idx::UNIT_COST, l.unit_cost)] {
                if v.is_none() && !l.bad(i) {
                    sink.push(loc.finding(
                        Severity::Error,
                        Rule::RequiredField,
                        Some(NAMES[i]),
                        format!(
                            "{} is empty; fee and expense lines need units and a unit cost",
                            NAMES[i]
                        ),
                    ));
                }
            }
        }
        if let Some(u) = l.units
            && u.is_sign_negative()
            && !u.is_zero()
        {
            sink.push(loc.finding(
                Severity::Error,
                Rule::NegativeUnits,
                Some("LINE_ITEM_NUMBER_OF_UNITS"),
                format!("the number of units is negative ({u}); give a reduction as a negative LINE_ITEM_ADJUSTMENT_AMOUNT or an IF/IE line"),
            ));
        }

        // Arithmetic.
        if let Some(total) = l.total {
            let arith_inputs_ok = !l.bad(idx::UNITS)
                && !l.bad(idx::UNIT_COST)
                && !l.bad(idx::ADJUSTMENT)
                && !l.bad(idx::LINE_TAX_TOTAL);
            if arith_inputs_ok {
                self.check_arith(lt, total, l, opts, &loc, sink);
            }
        }

        // Billing period.
        if let Some(d) = l.date {
            let before = self.billing_start.is_some_and(|s| d < s);
            let after = self.billing_end.is_some_and(|e| d > e);
            if before || after {
                sink.push(loc.finding(
                    Severity::Error,
                    Rule::LineDateOutsidePeriod,
                    Some("LINE_ITEM_DATE"),
                    format!(
                        "the line date {d} is outside the billing period {} to {}; correct the date or the billing period",
                        self.billing_start.map_or("?".into(), |x| x.to_string()),
                        self.billing_end.map_or("?".into(), |x| x.to_string()),
                    ),
                ));
            }
        }

        // UTBMS codes.
        let sets = &opts.code_sets;
        let code_checks: [(&str, usize, CodeKind); 3] = [
            (l.task, idx::TASK, CodeKind::Task),
            (l.activity, idx::ACTIVITY, CodeKind::Activity),
            (l.expense, idx::EXPENSE, CodeKind::Expense),
        ];
        for (code, field, want) in code_checks {
            if code.is_empty() {
                continue;
            }
            match sets.kind_of(code) {
                Some(k) if k == want || (want == CodeKind::Task && k == CodeKind::Phase) => {}
                Some(k) => sink.push(loc.finding(
                    Severity::Error,
                    Rule::MisplacedCode,
                    Some(NAMES[field]),
                    format!("{code} is {} code; move it to {}", match k {
                        CodeKind::Expense => "an expense",
                        CodeKind::Activity => "an activity",
                        _ => "a task",
                    }, k.field()),
                )),
                None => sink.push(loc.finding(
                    opts.unknown_code_severity,
                    Rule::UnknownCode,
                    Some(NAMES[field]),
                    format!("{code} is not a known UTBMS {} code; use a code from the client's code set", match want {
                        CodeKind::Expense => "expense",
                        CodeKind::Activity => "activity",
                        _ => "task",
                    }),
                )),
            }
        }

        if !l.tk_class.is_empty() && crate::Classification::from_code(l.tk_class).is_none() {
            sink.push(loc.finding(
                Severity::Warning,
                Rule::Classification,
                Some("TIMEKEEPER_CLASSIFICATION"),
                format!("timekeeper classification {:?} is not a LEDES classification (e.g. PARTNR, ASSOC, OFCOUN, PARALG, LGLAST or PT, AS, OC, LA, OT)", l.tk_class),
            ));
        }

        if let Some(inv) = &mut self.invoice
            && let Some(item) = l.to_line_item()
        {
            inv.line_items.push(item);
        }
    }

    fn close(&self, a: Decimal, b: Decimal, opts: &ValidateOptions) -> bool {
        let diff = (a - b).abs();
        diff <= opts.tolerance
            || (opts.round_to_cents
                && (a - b.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)).abs()
                    <= opts.tolerance)
    }

    fn check_arith(
        &self,
        lt: LineType,
        total: Decimal,
        l: &LineRef<'_>,
        opts: &ValidateOptions,
        loc: &Loc<'_>,
        sink: &mut Sink,
    ) {
        let units = l.units.unwrap_or(Decimal::ZERO);
        let cost = l.unit_cost.unwrap_or(Decimal::ZERO);
        let adj = l.adjustment.unwrap_or(Decimal::ZERO);
        let tax = l.tax_total.unwrap_or(Decimal::ZERO);
        let Some(product) = units.checked_mul(cost) else {
            sink.push(loc.finding(
                Severity::Error,
                Rule::LineTotal,
                Some("LINE_ITEM_TOTAL"),
                "units × unit cost is too large to compute".into(),
            ));
            return;
        };
        let base = product + adj;
        let expected = base + tax;
        let ok = if lt.is_adjustment() {
            // Both forms are seen in practice: the total equals the adjustment amount, or it is
            // computed like any other line.
            self.close(total, adj + tax, opts)
                || self.close(total, product + tax, opts)
                || self.close(total, expected, opts)
        } else {
            self.close(total, expected, opts)
        };
        if !ok {
            let taxs = if l.tax_total.is_some() {
                format!(" + tax {}", money(tax))
            } else {
                String::new()
            };
            let msg = if lt.is_adjustment() {
                format!(
                    "line total {} matches neither the adjustment amount ({}) nor units × unit cost ({} × {} = {}){taxs}; correct LINE_ITEM_TOTAL",
                    money(total),
                    money(adj),
                    money(units),
                    money(cost),
                    money(product)
                )
            } else {
                format!(
                    "line total {} is not units × unit cost + adjustment{} ({} × {} + {}{taxs} = {}); correct LINE_ITEM_TOTAL or the amounts it is computed from",
                    money(total),
                    if l.tax_total.is_some() { " + tax" } else { "" },
                    money(units),
                    money(cost),
                    money(adj),
                    money(expected)
                )
            };
            sink.push(loc.finding(
                Severity::Error,
                Rule::LineTotal,
                Some("LINE_ITEM_TOTAL"),
                msg,
            ));
        }
        // 98BI line tax = (units × unit cost + adjustment) × rate.
        if let (Some(rate), Some(t)) = (l.tax_rate, l.tax_total)
            && !l.bad(idx::TAX_RATE)
        {
            let exact = base * rate;
            if !self.close(t, exact, opts) {
                let pct = exact / Decimal::ONE_HUNDRED;
                if rate > Decimal::ONE && self.close(t, pct, opts) {
                    sink.push(loc.finding(
                        Severity::Warning,
                        Rule::LineTax,
                        Some("LINE_ITEM_TAX_RATE"),
                        format!("the tax rate {} looks like a percentage; LEDES 98BI gives the rate as a fraction (e.g. 0.20 for 20%)", money(rate)),
                    ));
                } else {
                    sink.push(loc.finding(
                        Severity::Error,
                        Rule::LineTax,
                        Some("LINE_ITEM_TAX_TOTAL"),
                        format!(
                            "line tax {} is not the taxable amount × tax rate ({} × {} = {}); correct LINE_ITEM_TAX_TOTAL or LINE_ITEM_TAX_RATE",
                            money(t),
                            money(base),
                            money(rate),
                            money(exact.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero))
                        ),
                    ));
                }
            }
        }
    }

    /// Invoice-level checks once all lines are in; returns the finished invoice if kept.
    pub fn finish(self, opts: &ValidateOptions, sink: &mut Sink) -> (String, Option<Invoice>) {
        let loc = Loc {
            line: self.first_line,
            invoice: &self.number,
            item: "",
        };
        if self.sum_ok
            && let Some(total) = self.total
            && (total - self.sum).abs() > opts.tolerance
        {
            sink.push(loc.finding(
                Severity::Error,
                Rule::InvoiceTotalSum,
                Some("INVOICE_TOTAL"),
                format!(
                    "invoice total {} does not equal the sum of its {} line totals ({}); the difference is {}",
                    money(total),
                    self.lines,
                    money(self.sum),
                    money(total - self.sum)
                ),
            ));
        }
        if self.is_98bi && self.sum_ok {
            if let Some(tax) = self.tax_total
                && (tax - self.tax_sum).abs() > opts.tolerance
            {
                sink.push(loc.finding(
                    Severity::Error,
                    Rule::InvoiceTaxTotal,
                    Some("INVOICE_TAX_TOTAL"),
                    format!(
                        "invoice tax total {} does not equal the sum of the line taxes ({})",
                        money(tax),
                        money(self.tax_sum)
                    ),
                ));
            }
            if let (Some(net), Some(total)) = (self.net_total, self.total) {
                let tax = self.tax_total.unwrap_or(Decimal::ZERO);
                if (net - (total - tax)).abs() > opts.tolerance {
                    sink.push(loc.finding(
                        Severity::Error,
                        Rule::NetTotal,
                        Some("INVOICE_NET_TOTAL"),
                        format!(
                            "invoice net total {} is not invoice total − tax total ({} − {} = {})",
                            money(net),
                            money(total),
                            money(tax),
                            money(total - tax)
                        ),
                    ));
                }
            }
        }
        (self.number, self.invoice)
    }
}

/// Checks whole invoices (from XML, or built in code) with the shared rules.
pub(crate) fn check_invoices(
    invoices: &[Invoice],
    lines: &[Vec<Option<u64>>],
    is_98bi: bool,
    opts: &ValidateOptions,
    sink: &mut Sink,
) {
    let mut seen: HashSet<&str> = HashSet::new();
    for (k, inv) in invoices.iter().enumerate() {
        let h = HeaderRef::from_invoice(inv, is_98bi);
        let positions = lines.get(k);
        let first = positions.and_then(|p| p.first().copied().flatten());
        if !seen.insert(&inv.invoice_number) {
            sink.push(
                Loc {
                    line: first,
                    invoice: &inv.invoice_number,
                    item: "",
                }
                .finding(
                    Severity::Error,
                    Rule::InvoiceNotContiguous,
                    Some("INVOICE_NUMBER"),
                    format!("invoice number {} is used for two invoices in this file; each invoice needs its own number", inv.invoice_number),
                ),
            );
        }
        let mut acc = InvoiceAcc::start(&h, first, false, sink);
        for (j, li) in inv.line_items.iter().enumerate() {
            let at = positions.and_then(|p| p.get(j).copied().flatten());
            acc.check_line(&LineRef::from_item(li, at), opts, sink);
        }
        let _ = acc.finish(opts, sink);
    }
}
