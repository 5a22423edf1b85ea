//! LEDES e-billing: readers, validators and writers for LEDES 1998B, LEDES 98BI V2 and LEDES XML
//! E-Billing 2.0/2.1/2.2, with UTBMS code sets.
//!
//! Law firms send invoices as LEDES files. This crate reads every variant a firm is likely to
//! send (LF or CRLF, trailing blank lines, `1250.` and `+100.00` amounts, Windows-1252 or UTF-8
//! text, two-letter or six-letter timekeeper classifications), checks structure, arithmetic and
//! consistency with exact decimal arithmetic, and reports each problem with its file line, field,
//! invoice, line item and a message a billing clerk can act on.
//!
//! ```
//! use ledes::{validate, Format, ValidateOptions};
//! let file = b"LEDES1998B[]\n\
//! INVOICE_DATE|INVOICE_NUMBER|CLIENT_ID|LAW_FIRM_MATTER_ID|INVOICE_TOTAL|BILLING_START_DATE|BILLING_END_DATE|INVOICE_DESCRIPTION|LINE_ITEM_NUMBER|EXP/FEE/INV_ADJ_TYPE|LINE_ITEM_NUMBER_OF_UNITS|LINE_ITEM_ADJUSTMENT_AMOUNT|LINE_ITEM_TOTAL|LINE_ITEM_DATE|LINE_ITEM_TASK_CODE|LINE_ITEM_EXPENSE_CODE|LINE_ITEM_ACTIVITY_CODE|TIMEKEEPER_ID|LINE_ITEM_DESCRIPTION|LAW_FIRM_ID|LINE_ITEM_UNIT_COST|TIMEKEEPER_NAME|TIMEKEEPER_CLASSIFICATION|CLIENT_MATTER_ID[]\n\
//! 19990225|96542|00711|0528|630|19990101|19990131|For services rendered|1|F|2.00|-70|630|19990115|L510||A102|22547|Research attorney's fees|24-6437381|350|Arnsley, Robert|PARTNR|423-987[]\n";
//! let report = validate(file, &ValidateOptions::default());
//! assert_eq!(report.format, Some(Format::Ledes1998B));
//! assert!(!report.has_errors());
//! assert_eq!(report.invoices[0].line_items[0].total.to_string(), "630");
//!
//! // Convert to LEDES XML 2.1 and back.
//! let xml = ledes::write(&report.invoices, Format::Xml21).unwrap();
//! let back = validate(&xml, &ValidateOptions::default());
//! assert_eq!(back.invoices, report.invoices);
//! ```
//!
//! Streaming: [`Reader`] yields invoices one at a time from any `BufRead`, so memory stays flat
//! for files of millions of lines. Demo data and benchmarks: [`generate::Generator`].

#![warn(missing_docs)]

mod check;
mod date;
mod fields;
mod finding;
mod format;
mod model;
mod num;
mod options;
mod pipe;
mod reader;
mod xml;

pub mod bench;
pub mod generate;
pub mod utbms;

pub use date::{Date, days_in_month};
pub use fields::{N_98BI, N_1998B, NAMES as FIELD_NAMES};
pub use finding::{Finding, LEDES_ERROR_CODES, Report, Rule, Severity, ledes_error_title};
pub use format::{Format, UnknownFormat};
pub use model::{Classification, Invoice, LineItem, LineType, Party};
pub use options::{ConvertOptions, ValidateOptions};
pub use pipe::ReadInvoice;
pub use reader::Reader;
pub use rust_decimal::Decimal;

use std::io;

/// Why [`write`] or [`convert`] failed.
#[derive(Debug, thiserror::Error)]
pub enum ConvertError {
    /// The input is not a LEDES file.
    #[error("the input is not a LEDES file (1998B, 98BI or LEDES XML)")]
    NotLedes,
    /// The input has errors and [`ConvertOptions::allow_invalid_input`] is off.
    #[error("the input has {errors} error(s) and was not converted; first: {first}")]
    InvalidInput {
        /// Number of errors.
        errors: usize,
        /// The first error, rendered.
        first: String,
    },
    /// The target format cannot carry some of the data (e.g. tax into 1998B).
    #[error(
        "invoice {invoice}: {target} cannot carry {what}; convert to LEDES 98BI or XML instead, or allow lossy conversion"
    )]
    Lossy {
        /// Invoice number.
        invoice: String,
        /// Target format.
        target: Format,
        /// What would be lost.
        what: String,
    },
    /// A value cannot be written in the target format.
    #[error("invoice {invoice}{}: {field} {reason}", line_item.as_ref().map(|l| format!(", line {l}")).unwrap_or_default())]
    Unrepresentable {
        /// Invoice number.
        invoice: String,
        /// Line item number.
        line_item: Option<String>,
        /// Field name.
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// Writing failed.
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// Reads `input` in whatever LEDES format it is, validates it, and reports.
///
/// ```
/// let report = ledes::validate(b"not a ledes file", &ledes::ValidateOptions::default());
/// assert!(report.has_errors());
/// assert_eq!(report.findings[0].rule, ledes::Rule::NotLedes);
/// ```
pub fn validate(input: &[u8], opts: &ValidateOptions) -> Report {
    let mut report = Report {
        format: None,
        invoices: Vec::new(),
        invoice_count: 0,
        findings: Vec::new(),
        line_items: 0,
        suppressed_findings: 0,
        stopped_early: false,
    };
    let detected = Format::detect(input);
    if let Some(f) = detected
        && f.is_xml()
    {
        if input.len() > opts.max_xml_len {
            report.findings.push(
                Finding::new(
                    Severity::Error,
                    Rule::RecordTooLong,
                    format!(
                        "the XML file is larger than the {} bytes accepted",
                        opts.max_xml_len
                    ),
                )
                .at_line(1),
            );
            return report;
        }
        let parsed = xml::read(input, opts, opts.keep_invoices);
        report.format = parsed.format;
        report.line_items = parsed.line_items;
        report.findings = parsed.file_findings;
        for item in parsed.items {
            report.invoice_count += 1;
            report.findings.extend(item.findings);
            if let Some(inv) = item.invoice {
                report.invoices.push(inv);
            }
        }
        report.stopped_early = opts.stop_at_first_error && report.has_errors();
        return report;
    }
    if detected.is_none() {
        let body = format::skip_bom_and_space(input);
        let head = &body[..body.len().min(64 * 1024)];
        let mut lines = head.split(|b| *b == b'\n');
        let looks_pipe = lines.next().is_some_and(|l| l.contains(&b'|'))
            || lines.next().is_some_and(|l| l.contains(&b'|'));
        if !looks_pipe {
            report.findings.push(
                Finding::new(
                    Severity::Error,
                    Rule::NotLedes,
                    "this is not a LEDES file: the first line must be LEDES1998B[] or LEDES98BI V2[], or the file must be LEDES XML",
                )
                .at_line(1),
            );
            return report;
        }
    }
    let mut p = pipe::PipeParser::new(opts.clone(), opts.keep_invoices);
    let drain = |p: &mut pipe::PipeParser, report: &mut Report| {
        while let Some(item) = p.done.pop_front() {
            report.findings.extend(p.take_file_findings());
            report.findings.extend(item.findings);
            report.invoice_count += 1;
            if let Some(inv) = item.invoice {
                report.invoices.push(inv);
            }
        }
    };
    let mut line_no = 0u64;
    for line in input.split(|b| *b == b'\n') {
        line_no += 1;
        p.feed(line, line_no);
        if p.stopped {
            break;
        }
        if !p.done.is_empty() {
            drain(&mut p, &mut report);
        }
    }
    p.finish();
    drain(&mut p, &mut report);
    report.findings.extend(p.take_file_findings());
    report.format = p.format;
    report.line_items = p.line_items;
    report.suppressed_findings = p.sink.suppressed;
    report.stopped_early = p.stopped;
    report
}

/// Writes invoices in a format.
///
/// Fails with [`ConvertError::Lossy`] when an invoice carries data the format cannot hold
/// (tax, currency, addresses into 1998B), and with [`ConvertError::Unrepresentable`] when a text
/// contains `|`, `[]` or a line break (pipe formats).
///
/// ```
/// use ledes::{generate::Generator, Format};
/// let invoices: Vec<_> = Generator::new(1).line_items(10).format(Format::Ledes98BI).invoices().collect();
/// assert!(ledes::write(&invoices, Format::Ledes98BI).is_ok());
/// assert!(matches!(ledes::write(&invoices, Format::Ledes1998B), Err(ledes::ConvertError::Lossy { .. })));
/// ```
pub fn write(invoices: &[Invoice], format: Format) -> Result<Vec<u8>, ConvertError> {
    write_with(invoices, format, false)
}

fn write_with(invoices: &[Invoice], format: Format, lossy: bool) -> Result<Vec<u8>, ConvertError> {
    if format.is_xml() {
        return xml::write(invoices, format);
    }
    let mut out = Vec::with_capacity(
        invoices
            .iter()
            .map(|i| i.line_items.len() * 256)
            .sum::<usize>()
            + 1024,
    );
    pipe::write_header(format, &mut out);
    for inv in invoices {
        if lossy && format == Format::Ledes1998B && inv.has_international_data() {
            let mut stripped = inv.clone();
            strip_international(&mut stripped);
            pipe::write_invoice(&stripped, format, true, &mut out)?;
        } else {
            pipe::write_invoice(inv, format, lossy, &mut out)?;
        }
    }
    Ok(out)
}

/// Removes the 98BI-only data, and puts tax into the line totals' base (for lossy 1998B output).
fn strip_international(inv: &mut Invoice) {
    if let Some(net) = inv.net_total.filter(|_| inv.tax_total.is_some()) {
        inv.total = net;
    }
    inv.po_number = None;
    inv.client_tax_id = None;
    inv.tax_total = None;
    inv.net_total = None;
    inv.currency = None;
    inv.account_type = None;
    inv.reported_tax_total = None;
    inv.tax_currency = None;
    inv.law_firm = Party::default();
    inv.client = Party::default();
    for li in &mut inv.line_items {
        if let Some(t) = li.tax_total.take() {
            li.total -= t;
        }
        li.tax_rate = None;
        li.tax_type = None;
        li.timekeeper_first_name = None;
        li.timekeeper_last_name = None;
        li.matter_name = None;
    }
}

/// Writes invoices into any `io::Write`.
pub fn write_to<W: io::Write>(
    invoices: &[Invoice],
    format: Format,
    mut w: W,
) -> Result<(), ConvertError> {
    let bytes = write(invoices, format)?;
    w.write_all(&bytes)?;
    Ok(())
}

/// Reads `input` (any LEDES format), validates it, and writes it in format `to`.
///
/// ```
/// use ledes::{convert, generate::Generator, ConvertOptions, Format};
/// let b98 = Generator::new(3).line_items(20).to_vec();
/// let xml = convert(&b98, Format::Xml21, &ConvertOptions::default()).unwrap();
/// let back = convert(&xml, Format::Ledes1998B, &ConvertOptions::default()).unwrap();
/// assert_eq!(back, b98);
/// ```
pub fn convert(input: &[u8], to: Format, opts: &ConvertOptions) -> Result<Vec<u8>, ConvertError> {
    let mut vopts = opts.validate.clone();
    vopts.keep_invoices = true;
    let report = validate(input, &vopts);
    if report.format.is_none() {
        return Err(ConvertError::NotLedes);
    }
    if report.has_errors() && !opts.allow_invalid_input {
        let first = report
            .findings
            .iter()
            .find(|f| f.is_error())
            .map(|f| f.render("input"))
            .unwrap_or_default();
        return Err(ConvertError::InvalidInput {
            errors: report.error_count(),
            first,
        });
    }
    write_with(&report.invoices, to, opts.allow_lossy)
}
