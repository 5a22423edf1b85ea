//! LEDES 1998B and 98BI: a streaming record parser (one line in, findings and finished invoices
//! out) and the writer.
//!
//! The parser borrows every field from the line it is given; it allocates only for invoices it
//! keeps, for findings, and once per invoice for the consistency checks.

use crate::check::{HeaderRef, InvoiceAcc, LineRef, Loc, Sink};
use crate::fields::{N_98BI, N_1998B, NAMES, idx, max_len};
use crate::finding::{Finding, Rule, Severity};
use crate::num::parse_decimal;
use crate::{ConvertError, Date, Format, Invoice, LineItem, LineType, ValidateOptions};
use rust_decimal::Decimal;
use std::borrow::Cow;
use std::collections::{HashSet, VecDeque};

/// An invoice read from a stream, with the findings that concern it.
#[derive(Debug, Clone)]
pub struct ReadInvoice {
    /// The invoice number.
    pub invoice_number: String,
    /// The invoice, unless its invoice-level fields (date, total) could not be read, or
    /// invoices are not kept.
    pub invoice: Option<Invoice>,
    /// Findings about this invoice and its lines.
    pub findings: Vec<Finding>,
}

impl ReadInvoice {
    /// True when any finding is an error.
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(Finding::is_error)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Literal,
    Names,
    Records,
}

const NONE: u16 = u16::MAX;

#[derive(Debug)]
pub(crate) struct PipeParser {
    pub opts: ValidateOptions,
    pub sink: Sink,
    state: State,
    pub format: Option<Format>,
    cols: [u16; N_98BI],
    ncols: usize,
    current: Option<InvoiceAcc>,
    seen: HashSet<String>,
    pub line_items: usize,
    pub invoices: usize,
    pub stopped: bool,
    inv_start: usize,
    pub done: VecDeque<ReadInvoice>,
    keep: bool,
    last_line: u64,
}

fn identity_cols(n: usize) -> [u16; N_98BI] {
    let mut c = [NONE; N_98BI];
    for (i, v) in c.iter_mut().enumerate().take(n) {
        *v = i as u16;
    }
    c
}

fn strip_record(line: &[u8]) -> &[u8] {
    let mut end = line.len();
    while end > 0 && matches!(line[end - 1], b'\r' | b' ' | b'\t' | b'\n') {
        end -= 1;
    }
    &line[..end]
}

/// Windows-1252 decoding for files that are not UTF-8 (0x80–0x9F map to typographic characters).
fn decode_cp1252(b: &[u8]) -> String {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž',
        '\u{8f}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}',
        'ž', 'Ÿ',
    ];
    b.iter()
        .map(|&c| match c {
            0x80..=0x9F => HIGH[usize::from(c - 0x80)],
            _ => char::from(c),
        })
        .collect()
}

impl PipeParser {
    pub fn new(opts: ValidateOptions, keep: bool) -> PipeParser {
        let max = opts.max_findings;
        PipeParser {
            opts,
            sink: Sink::new(max),
            state: State::Literal,
            format: None,
            cols: identity_cols(N_1998B),
            ncols: N_1998B,
            current: None,
            seen: HashSet::new(),
            line_items: 0,
            invoices: 0,
            stopped: false,
            inv_start: 0,
            done: VecDeque::new(),
            keep,
            last_line: 0,
        }
    }

    fn file_finding(&mut self, sev: Severity, rule: Rule, line: u64, msg: String) {
        self.sink.push(Finding::new(sev, rule, msg).at_line(line));
    }

    fn check_stop(&mut self) {
        if self.opts.stop_at_first_error && self.sink.errors > 0 {
            self.stopped = true;
        }
    }

    /// Feeds one physical line (without its `\n`), numbered from 1.
    pub fn feed(&mut self, raw: &[u8], line_no: u64) {
        if self.stopped {
            return;
        }
        self.last_line = line_no;
        let mut line = strip_record(raw);
        if line_no == 1 {
            line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
        }
        if line.is_empty() {
            return;
        }
        if line.len() > self.opts.max_record_len {
            self.file_finding(
                Severity::Error,
                Rule::RecordTooLong,
                line_no,
                format!(
                    "this line is {} bytes long, more than the {} accepted; a record terminator may be missing",
                    line.len(),
                    self.opts.max_record_len
                ),
            );
            if let Some(c) = &mut self.current {
                c.poison();
            }
            self.check_stop();
            return;
        }
        match self.state {
            State::Literal => self.literal(line, line_no),
            State::Names => self.names(line, line_no),
            State::Records => self.record(line, line_no),
        }
        self.check_stop();
    }

    fn literal(&mut self, line: &[u8], line_no: u64) {
        self.state = State::Names;
        let body = line.strip_suffix(b"[]").unwrap_or(line);
        let up = body.to_ascii_uppercase();
        let (fmt, exact): (Option<Format>, &[u8]) = match up.as_slice() {
            b"LEDES1998B" => (Some(Format::Ledes1998B), b"LEDES1998B[]"),
            b"LEDES98BI V2" => (Some(Format::Ledes98BI), b"LEDES98BI V2[]"),
            b"LEDES98BI" | b"LEDES98BIV2" | b"LEDES1998BI" | b"LEDES1998BI V2" => {
                (Some(Format::Ledes98BI), b"LEDES98BI V2[]")
            }
            _ => (None, b""),
        };
        match fmt {
            Some(f) => {
                self.set_format(f);
                if line != exact {
                    self.file_finding(
                        Severity::Warning,
                        Rule::HeaderLiteral,
                        line_no,
                        format!(
                            "the first line should read exactly {}",
                            String::from_utf8_lossy(exact)
                        ),
                    );
                }
            }
            None => {
                self.file_finding(
                    Severity::Error,
                    Rule::HeaderLiteral,
                    line_no,
                    "the first line must be LEDES1998B[] (or LEDES98BI V2[] for the international format)".into(),
                );
                // Perhaps the literal is missing and this is already the field-name line.
                if line.contains(&b'|') {
                    self.names(line, line_no);
                }
            }
        }
    }

    fn set_format(&mut self, f: Format) {
        self.format = Some(f);
        self.ncols = if f == Format::Ledes98BI {
            N_98BI
        } else {
            N_1998B
        };
        self.cols = identity_cols(self.ncols);
    }

    fn names(&mut self, line: &[u8], line_no: u64) {
        self.state = State::Records;
        let body = line.strip_suffix(b"[]").unwrap_or(line);
        let text = String::from_utf8_lossy(body);
        let mut names: Vec<&str> = text.split('|').map(str::trim).collect();
        if names.last() == Some(&"") {
            names.pop();
        }
        let known: Vec<Option<usize>> = names
            .iter()
            .map(|n| NAMES.iter().position(|k| k.eq_ignore_ascii_case(n)))
            .collect();
        let n_known = known.iter().filter(|k| k.is_some()).count();
        if n_known < names.len() / 2 || n_known == 0 {
            // Not a field-name line: report, assume the standard order, and read it as a record.
            if self.format.is_none() {
                self.set_format(if names.len() >= N_98BI {
                    Format::Ledes98BI
                } else {
                    Format::Ledes1998B
                });
            }
            self.file_finding(
                Severity::Error,
                Rule::HeaderFields,
                line_no,
                "the second line must list the field names (INVOICE_DATE|INVOICE_NUMBER|…[]); the standard field order is assumed".into(),
            );
            self.record(line, line_no);
            return;
        }
        if self.format.is_none() {
            self.set_format(if names.len() > N_1998B {
                Format::Ledes98BI
            } else {
                Format::Ledes1998B
            });
        }
        let expected = &NAMES[..self.ncols];
        if names.len() == expected.len()
            && names
                .iter()
                .zip(expected)
                .all(|(a, b)| a.eq_ignore_ascii_case(b))
        {
            if !line.ends_with(b"[]") {
                self.file_finding(
                    Severity::Error,
                    Rule::RecordTerminator,
                    line_no,
                    "the field-name line must end with []".into(),
                );
            }
            return;
        }
        // Map the columns by name.
        let mut cols = [NONE; N_98BI];
        for (c, k) in known.iter().enumerate() {
            // Records are split into at most 64 fields; later columns cannot be mapped.
            if let Some(k) = k
                && cols[*k] == NONE
                && c < 64
            {
                cols[*k] = c as u16;
            }
        }
        let unknown: Vec<&str> = names
            .iter()
            .zip(&known)
            .filter(|(_, k)| k.is_none())
            .map(|(n, _)| *n)
            .collect();
        let missing: Vec<&str> = expected
            .iter()
            .enumerate()
            .filter(|(i, _)| cols[*i] == NONE)
            .map(|(_, n)| *n)
            .collect();
        let mut msg = String::from("the field names are not the standard list");
        if !missing.is_empty() {
            msg.push_str(&format!("; missing: {}", missing.join(", ")));
        }
        if !unknown.is_empty() {
            msg.push_str(&format!("; unknown: {}", unknown.join(", ")));
        }
        if missing.is_empty() && unknown.is_empty() {
            msg.push_str("; the fields are in a different order (read by name)");
        }
        self.file_finding(
            if missing.is_empty() && unknown.is_empty() {
                Severity::Warning
            } else {
                Severity::Error
            },
            Rule::HeaderFields,
            line_no,
            msg,
        );
        self.cols = cols;
        self.ncols = names.len();
    }

    fn finish_current(&mut self) {
        if let Some(mut acc) = self.current.take() {
            if self.stopped {
                // Stopped at the first error: the invoice is incomplete, do not check its sums.
                acc.poison();
            }
            let (number, invoice) = acc.finish(&self.opts, &mut self.sink);
            let findings = self
                .sink
                .findings
                .split_off(self.inv_start.min(self.sink.findings.len()));
            self.invoices += 1;
            self.done.push_back(ReadInvoice {
                invoice_number: number,
                invoice,
                findings,
            });
        }
    }

    /// End of input.
    pub fn finish(&mut self) {
        if self.state == State::Literal && !self.stopped {
            self.file_finding(
                Severity::Error,
                Rule::EmptyFile,
                1,
                "the file is empty; a LEDES file starts with LEDES1998B[] and the field names"
                    .into(),
            );
        } else if self.line_items == 0 && !self.stopped {
            self.file_finding(
                Severity::Error,
                Rule::EmptyFile,
                self.last_line.max(1),
                "the file has no line items".into(),
            );
        }
        self.finish_current();
    }

    fn record(&mut self, line: &[u8], line_no: u64) {
        let (body, terminated) = match line.strip_suffix(b"[]") {
            Some(b) => (b, true),
            None => (line, false),
        };
        let ascii = body.is_ascii();
        let text: Cow<'_, str> = match std::str::from_utf8(body) {
            Ok(s) => Cow::Borrowed(s),
            Err(_) => Cow::Owned(decode_cp1252(body)),
        };
        let utf8 = matches!(text, Cow::Borrowed(_));
        let mut fields: [&str; 64] = [""; 64];
        let mut n = 0usize;
        let mut start = 0usize;
        let tb = text.as_bytes();
        for p in memchr::memchr_iter(b'|', tb) {
            if n < fields.len() {
                fields[n] = &text[start..p];
            }
            n += 1;
            start = p + 1;
        }
        if n < fields.len() {
            fields[n] = &text[start..];
        }
        n += 1;
        self.line_items += 1;
        let ok_count = n == self.ncols
            || (n == self.ncols + 1 && fields.get(self.ncols).is_some_and(|f| f.is_empty()));
        let cols = self.cols;
        let col = |i: usize| -> Option<usize> {
            let c = cols[i];
            if c == NONE {
                None
            } else {
                Some(usize::from(c))
            }
        };
        let inv_col = col(idx::INVOICE_NUMBER);
        let invoice_number: &str = inv_col.filter(|c| *c < n.min(64)).map_or("", |c| fields[c]);
        if !ok_count {
            let item = col(idx::LINE_ITEM_NUMBER)
                .filter(|c| *c < n.min(64))
                .map_or("", |c| fields[c]);
            let fmt = self.format.map_or("LEDES", Format::name);
            self.sink.push(
                Finding::new(
                    Severity::Error,
                    Rule::FieldCount,
                    format!(
                        "this line has {n} fields but {fmt} lines have {}; look for a '|' inside a description or a missing field",
                        self.ncols
                    ),
                )
                .at_line(line_no)
                .invoice(invoice_number)
                .line_item(item),
            );
            match &mut self.current {
                Some(c) if c.number == invoice_number || invoice_number.is_empty() => c.poison(),
                _ => {
                    // The broken line may begin another invoice: close the current one without
                    // checking its sums against a line we could not read.
                    if let Some(c) = &mut self.current {
                        c.poison();
                    }
                }
            }
            return;
        }

        // Invoice boundary, before any finding about this line.
        let switching = self
            .current
            .as_ref()
            .is_none_or(|c| c.number != invoice_number);
        if switching {
            self.finish_current();
            self.inv_start = self.sink.findings.len();
            if !invoice_number.is_empty() && !self.seen.insert(invoice_number.to_string()) {
                self.sink.push(
                    Finding::new(
                        Severity::Error,
                        Rule::InvoiceNotContiguous,
                        format!("invoice {invoice_number} appears again here, after lines of other invoices; keep all lines of an invoice together (or give this invoice its own number)"),
                    )
                    .at_line(line_no)
                    .field("INVOICE_NUMBER")
                    .invoice(invoice_number),
                );
            }
        }

        let f = |i: usize| -> &str { col(i).and_then(|c| fields.get(c).copied()).unwrap_or("") };
        let item = f(idx::LINE_ITEM_NUMBER);
        let loc = Loc {
            line: Some(line_no),
            invoice: invoice_number,
            item,
        };
        let sink = &mut self.sink;
        if !terminated {
            sink.push(loc.finding(
                Severity::Error,
                Rule::RecordTerminator,
                None,
                "this line does not end with []; every LEDES record ends with []".into(),
            ));
        }
        if !ascii {
            let what = if utf8 {
                "non-ASCII characters"
            } else {
                "bytes that are not UTF-8 (read as Windows-1252)"
            };
            for (i, &name) in NAMES.iter().enumerate().take(self.ncols.min(N_98BI)) {
                let v = f(i);
                if !v.is_ascii() {
                    sink.push(loc.finding(
                        Severity::Warning,
                        Rule::Encoding,
                        Some(name),
                        format!("{} contains {what}; LEDES pipe files are ASCII, the text is kept as written", name),
                    ));
                }
            }
        }
        let is_98bi = self.format == Some(Format::Ledes98BI);
        let nfields = if is_98bi { N_98BI } else { N_1998B };
        // Required fields and lengths.
        for (i, &name) in NAMES.iter().enumerate().take(nfields) {
            let v = f(i);
            if v.is_empty() {
                let required = matches!(
                    i,
                    idx::INVOICE_DATE
                        | idx::INVOICE_NUMBER
                        | idx::CLIENT_ID
                        | idx::LAW_FIRM_MATTER_ID
                        | idx::INVOICE_TOTAL
                        | idx::BILLING_START_DATE
                        | idx::BILLING_END_DATE
                        | idx::LINE_ITEM_NUMBER
                        | idx::TYPE
                        | idx::LINE_ITEM_TOTAL
                        | idx::LINE_ITEM_DATE
                        | idx::LAW_FIRM_ID
                ) || (is_98bi && i == idx::INVOICE_NET_TOTAL);
                if required && col(i).is_some() {
                    sink.push(loc.finding(
                        Severity::Error,
                        Rule::RequiredField,
                        Some(name),
                        format!("{} is empty; it is required on every line", name),
                    ));
                }
            } else if let Some((max, sev)) = max_len(i)
                && v.len() > max
                && v.chars().count() > max
            {
                sink.push(loc.finding(
                    sev,
                    Rule::FieldLength,
                    Some(name),
                    format!(
                        "{} is {} characters long; at most {max} are allowed",
                        name,
                        v.chars().count()
                    ),
                ));
            }
        }
        let mut invalid = 0u64;
        let date = |i: usize, invalid: &mut u64, sink: &mut Sink| -> Option<Date> {
            let v = f(i);
            if v.is_empty() {
                return None;
            }
            let d = Date::parse_yyyymmdd(v.as_bytes());
            if d.is_none() {
                *invalid |= 1 << i;
                let shape = v.len() == 8 && v.bytes().all(|c| c.is_ascii_digit());
                sink.push(loc.finding(
                    Severity::Error,
                    Rule::DateFormat,
                    Some(NAMES[i]),
                    if shape {
                        format!(
                            "{} {v} is not a real calendar date; check the month and day",
                            NAMES[i]
                        )
                    } else {
                        format!(
                            "{} {v:?} is not a date in the form YYYYMMDD (e.g. 19990225)",
                            NAMES[i]
                        )
                    },
                ));
            }
            d
        };
        let invoice_date = date(idx::INVOICE_DATE, &mut invalid, sink);
        let billing_start = date(idx::BILLING_START_DATE, &mut invalid, sink);
        let billing_end = date(idx::BILLING_END_DATE, &mut invalid, sink);
        let line_date = date(idx::LINE_ITEM_DATE, &mut invalid, sink);
        let num = |i: usize, max_dp: u32, invalid: &mut u64, sink: &mut Sink| -> Option<Decimal> {
            let v = f(i);
            if v.is_empty() {
                return None;
            }
            match parse_decimal(v.as_bytes()) {
                Ok(d) => {
                    if d.scale() > max_dp {
                        *invalid |= 1 << i;
                        sink.push(loc.finding(
                            Severity::Error,
                            Rule::DecimalPlaces,
                            Some(NAMES[i]),
                            format!(
                                "{} {v} has {} decimal places; at most {max_dp} are allowed",
                                NAMES[i],
                                d.scale()
                            ),
                        ));
                        return None;
                    }
                    Some(d)
                }
                Err(e) => {
                    *invalid |= 1 << i;
                    sink.push(loc.finding(
                        Severity::Error,
                        Rule::NumberFormat,
                        Some(NAMES[i]),
                        format!(
                            "{} {v:?} cannot be read as a number: {}",
                            NAMES[i],
                            e.explain()
                        ),
                    ));
                    None
                }
            }
        };
        let invoice_total = num(idx::INVOICE_TOTAL, 4, &mut invalid, sink);
        let units = num(idx::UNITS, 4, &mut invalid, sink);
        let adjustment = num(idx::ADJUSTMENT, 4, &mut invalid, sink);
        let total = num(idx::LINE_ITEM_TOTAL, 4, &mut invalid, sink);
        let unit_cost = num(idx::UNIT_COST, 4, &mut invalid, sink);
        let (mut tax_total, mut net_total, mut tax_rate, mut line_tax, mut reported) =
            (None, None, None, None, None);
        if is_98bi {
            tax_total = num(idx::INVOICE_TAX_TOTAL, 4, &mut invalid, sink);
            net_total = num(idx::INVOICE_NET_TOTAL, 4, &mut invalid, sink);
            tax_rate = num(idx::TAX_RATE, 28, &mut invalid, sink);
            line_tax = num(idx::LINE_TAX_TOTAL, 4, &mut invalid, sink);
            reported = num(idx::REPORTED_TAX_TOTAL, 4, &mut invalid, sink);
        }
        let type_raw = f(idx::TYPE);
        let line_type = LineType::from_code(type_raw);
        if line_type.is_none() && !type_raw.is_empty() {
            sink.push(loc.finding(
                Severity::Error,
                Rule::LineType,
                Some("EXP/FEE/INV_ADJ_TYPE"),
                format!("{type_raw:?} is not a line type; use F (fee), E (expense), IF or IE (invoice-level adjustment to fees or expenses)"),
            ));
        }
        let mut intl = [""; N_98BI];
        if is_98bi {
            for (i, v) in intl.iter_mut().enumerate().skip(N_1998B) {
                *v = f(i);
            }
        }
        let h = HeaderRef {
            invoice_number,
            invoice_date,
            client_id: f(idx::CLIENT_ID),
            law_firm_id: f(idx::LAW_FIRM_ID),
            total: invoice_total,
            billing_start,
            billing_end,
            description: f(idx::INVOICE_DESCRIPTION),
            tax_total,
            net_total,
            reported_tax_total: reported,
            intl,
            is_98bi,
        };
        let l = LineRef {
            file_line: Some(line_no),
            number: item,
            line_type,
            date: line_date,
            units,
            unit_cost,
            adjustment,
            total,
            task: f(idx::TASK),
            expense: f(idx::EXPENSE),
            activity: f(idx::ACTIVITY),
            tk_id: f(idx::TIMEKEEPER_ID),
            tk_name: f(idx::TIMEKEEPER_NAME),
            tk_class: f(idx::CLASSIFICATION),
            tk_last: intl[idx::TK_LAST],
            tk_first: intl[idx::TK_FIRST],
            description: f(idx::LINE_ITEM_DESCRIPTION),
            matter: f(idx::LAW_FIRM_MATTER_ID),
            client_matter: f(idx::CLIENT_MATTER_ID),
            matter_name: intl[idx::MATTER_NAME],
            tax_rate,
            tax_total: line_tax,
            tax_type: intl[idx::TAX_TYPE],
            invalid,
        };
        if switching {
            let acc = InvoiceAcc::start(&h, Some(line_no), self.keep, &mut self.sink);
            self.current = Some(acc);
        } else if let Some(acc) = &mut self.current {
            acc.check_header_repeat(&h, &l, &mut self.sink);
        }
        if let Some(acc) = &mut self.current {
            if invalid & (1 << idx::INVOICE_TOTAL) != 0 {
                acc.poison();
            }
            acc.check_line(&l, &self.opts, &mut self.sink);
        }
    }
}

// ---------------------------------------------------------------- writer

const EOL: &[u8] = b"\r\n";

/// Writes the first two lines (format literal and field names).
pub(crate) fn write_header(format: Format, out: &mut Vec<u8>) {
    let n = if format == Format::Ledes98BI {
        out.extend_from_slice(b"LEDES98BI V2[]");
        N_98BI
    } else {
        out.extend_from_slice(b"LEDES1998B[]");
        N_1998B
    };
    out.extend_from_slice(EOL);
    out.extend_from_slice(NAMES[..n].join("|").as_bytes());
    out.extend_from_slice(b"[]");
    out.extend_from_slice(EOL);
}

fn text(
    out: &mut Vec<u8>,
    v: &str,
    field: &'static str,
    inv: &Invoice,
    li: Option<&LineItem>,
) -> Result<(), ConvertError> {
    let b = v.as_bytes();
    if b.iter().any(|c| matches!(c, b'|' | b'\n' | b'\r'))
        || memchr::memmem::find(b, b"[]").is_some()
    {
        return Err(ConvertError::Unrepresentable {
            invoice: inv.invoice_number.clone(),
            line_item: li.map(|l| l.number.clone()),
            field,
            reason: "contains '|', '[]' or a line break, which the pipe formats cannot carry"
                .into(),
        });
    }
    out.extend_from_slice(b);
    Ok(())
}

fn dec(out: &mut Vec<u8>, d: Option<Decimal>) {
    if let Some(d) = d {
        use std::io::Write;
        let _ = write!(out, "{d}");
    }
}

fn date_opt(out: &mut Vec<u8>, d: Option<Date>) {
    if let Some(d) = d {
        d.write_yyyymmdd(out);
    }
}

/// Writes one invoice's records.
pub(crate) fn write_invoice(
    inv: &Invoice,
    format: Format,
    lossy: bool,
    out: &mut Vec<u8>,
) -> Result<(), ConvertError> {
    let is_98bi = format == Format::Ledes98BI;
    if !is_98bi && !lossy && inv.has_international_data() {
        return Err(ConvertError::Lossy {
            invoice: inv.invoice_number.clone(),
            target: format,
            what: "tax, currency, address or other 98BI/XML-only data".into(),
        });
    }
    for li in &inv.line_items {
        let put = |out: &mut Vec<u8>, v: &str, i: usize| -> Result<(), ConvertError> {
            if i > 0 {
                out.push(b'|');
            }
            text(out, v, NAMES[i], inv, Some(li))
        };
        inv.invoice_date.write_yyyymmdd(out);
        put(out, &inv.invoice_number, 1)?;
        put(out, &inv.client_id, 2)?;
        put(out, &li.law_firm_matter_id, 3)?;
        out.push(b'|');
        dec(out, Some(inv.total));
        out.push(b'|');
        date_opt(out, inv.billing_start);
        out.push(b'|');
        date_opt(out, inv.billing_end);
        put(out, &inv.description, 7)?;
        put(out, &li.number, 8)?;
        put(out, li.line_type.code(), 9)?;
        out.push(b'|');
        dec(out, li.units);
        out.push(b'|');
        dec(out, li.adjustment);
        out.push(b'|');
        dec(out, Some(li.total));
        out.push(b'|');
        li.date.write_yyyymmdd(out);
        put(out, li.task_code.as_deref().unwrap_or(""), 14)?;
        put(out, li.expense_code.as_deref().unwrap_or(""), 15)?;
        put(out, li.activity_code.as_deref().unwrap_or(""), 16)?;
        put(out, li.timekeeper_id.as_deref().unwrap_or(""), 17)?;
        put(out, &li.description, 18)?;
        put(out, &inv.law_firm_id, 19)?;
        out.push(b'|');
        dec(out, li.unit_cost);
        put(out, li.timekeeper_name.as_deref().unwrap_or(""), 21)?;
        put(
            out,
            li.timekeeper_classification.as_deref().unwrap_or(""),
            22,
        )?;
        put(out, li.client_matter_id.as_deref().unwrap_or(""), 23)?;
        if is_98bi {
            put(out, inv.po_number.as_deref().unwrap_or(""), 24)?;
            put(out, inv.client_tax_id.as_deref().unwrap_or(""), 25)?;
            put(out, li.matter_name.as_deref().unwrap_or(""), 26)?;
            out.push(b'|');
            dec(out, inv.tax_total);
            out.push(b'|');
            // INVOICE_NET_TOTAL is required in 98BI: derive it when converting from 1998B.
            dec(
                out,
                inv.net_total
                    .or_else(|| Some(inv.total - inv.tax_total.unwrap_or_default())),
            );
            put(out, inv.currency.as_deref().unwrap_or(""), 29)?;
            put(out, li.timekeeper_last_name.as_deref().unwrap_or(""), 30)?;
            put(out, li.timekeeper_first_name.as_deref().unwrap_or(""), 31)?;
            put(out, inv.account_type.as_deref().unwrap_or(""), 32)?;
            for (base, p) in [(33, &inv.law_firm), (40, &inv.client)] {
                put(out, &p.name, base)?;
                put(out, &p.address_1, base + 1)?;
                put(out, &p.address_2, base + 2)?;
                put(out, &p.city, base + 3)?;
                put(out, &p.state_or_region, base + 4)?;
                put(out, &p.postcode, base + 5)?;
                put(out, &p.country, base + 6)?;
            }
            out.push(b'|');
            dec(out, li.tax_rate);
            out.push(b'|');
            dec(out, li.tax_total);
            put(out, li.tax_type.as_deref().unwrap_or(""), 49)?;
            out.push(b'|');
            dec(out, inv.reported_tax_total);
            put(out, inv.tax_currency.as_deref().unwrap_or(""), 51)?;
        }
        out.extend_from_slice(b"[]");
        out.extend_from_slice(EOL);
    }
    Ok(())
}

impl PipeParser {
    /// Drains the findings that belong to no invoice (those before the current invoice).
    pub fn take_file_findings(&mut self) -> Vec<Finding> {
        let upto = if self.current.is_some() {
            self.inv_start.min(self.sink.findings.len())
        } else {
            self.sink.findings.len()
        };
        let out: Vec<Finding> = self.sink.findings.drain(..upto).collect();
        self.inv_start -= upto.min(self.inv_start);
        out
    }
}
