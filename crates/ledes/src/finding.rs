//! Findings (what is wrong with a file, where, and what to do) and the validation report.

use crate::{Format, Invoice};
use serde::Serialize;
use std::fmt::Write as _;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// For information only.
    Info,
    /// Accepted, but worth a look (non-ASCII text, an unknown timekeeper classification…).
    Warning,
    /// The invoice must be corrected and sent again.
    Error,
}

impl Severity {
    /// `error`, `warning`, `info`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// Which check produced a finding: a stable identifier for filtering, tests and translations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
#[allow(missing_docs)]
pub enum Rule {
    NotLedes,
    EmptyFile,
    HeaderLiteral,
    HeaderFields,
    Encoding,
    RecordTerminator,
    FieldCount,
    RecordTooLong,
    RequiredField,
    FieldLength,
    DateFormat,
    NumberFormat,
    DecimalPlaces,
    LineType,
    NegativeUnits,
    LineTotal,
    InvoiceTotalChanged,
    InvoiceTotalSum,
    InvoiceFieldChanged,
    LineDateOutsidePeriod,
    BillingPeriod,
    DuplicateLineNumber,
    InvoiceNotContiguous,
    UnknownCode,
    MisplacedCode,
    Classification,
    LineTax,
    InvoiceTaxTotal,
    NetTotal,
    CountryCode,
    CurrencyCode,
    XmlSyntax,
    XmlStructure,
    TooManyFindings,
}

impl Rule {
    /// The kebab-case identifier, e.g. `line-total`.
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::NotLedes => "not-ledes",
            Rule::EmptyFile => "empty-file",
            Rule::HeaderLiteral => "header-literal",
            Rule::HeaderFields => "header-fields",
            Rule::Encoding => "encoding",
            Rule::RecordTerminator => "record-terminator",
            Rule::FieldCount => "field-count",
            Rule::RecordTooLong => "record-too-long",
            Rule::RequiredField => "required-field",
            Rule::FieldLength => "field-length",
            Rule::DateFormat => "date-format",
            Rule::NumberFormat => "number-format",
            Rule::DecimalPlaces => "decimal-places",
            Rule::LineType => "line-type",
            Rule::NegativeUnits => "negative-units",
            Rule::LineTotal => "line-total",
            Rule::InvoiceTotalChanged => "invoice-total-changed",
            Rule::InvoiceTotalSum => "invoice-total-sum",
            Rule::InvoiceFieldChanged => "invoice-field-changed",
            Rule::LineDateOutsidePeriod => "line-date-outside-period",
            Rule::BillingPeriod => "billing-period",
            Rule::DuplicateLineNumber => "duplicate-line-number",
            Rule::InvoiceNotContiguous => "invoice-not-contiguous",
            Rule::UnknownCode => "unknown-code",
            Rule::MisplacedCode => "misplaced-code",
            Rule::Classification => "classification",
            Rule::LineTax => "line-tax",
            Rule::InvoiceTaxTotal => "invoice-tax-total",
            Rule::NetTotal => "net-total",
            Rule::CountryCode => "country-code",
            Rule::CurrencyCode => "currency-code",
            Rule::XmlSyntax => "xml-syntax",
            Rule::XmlStructure => "xml-structure",
            Rule::TooManyFindings => "too-many-findings",
        }
    }

    /// The LEDES standard error code (LOC Standardized Error Codes) for this check, where one is
    /// confirmed.
    ///
    /// Source: LEDES Oversight Committee, "LEDES Error Codes" (<https://ledes.org/ledes-error-codes/>
    /// and <https://ledes.org/?p=7135>). Version 1 was ratified on 17 November 2020; version 2
    /// ("LOC Standardized Error Codes V2 2024-09", 65 errors, published only as a spreadsheet)
    /// wholly replaces it. The only code quoted in text on ledes.org is `R401` "Duplicate invoice
    /// number", given as the example of how vendors should append the code to their message
    /// ("Duplicate invoice number \[R401\]"). The V2 spreadsheet itself could not be consulted:
    /// searches of the stored ledes.org pages, vendor help pages (Thomson Reuters Legal Tracker,
    /// Mitratech Collaborati, Brightflag), GitHub code and issues for the list, for `R401` and for
    /// other `R`-codes found nothing further. Every other check therefore returns `None` rather
    /// than a guessed code; see [`LEDES_ERROR_CODES`].
    ///
    /// `R401` is given to [`Rule::InvoiceNotContiguous`], which reports an invoice number that is
    /// used a second time in the file (XML), or whose lines reappear after another invoice's
    /// (pipe formats): in both cases the receiving system sees a duplicate invoice number.
    ///
    /// ```
    /// use ledes::Rule;
    /// assert_eq!(Rule::InvoiceNotContiguous.ledes_code(), Some("R401"));
    /// assert_eq!(Rule::LineTotal.ledes_code(), None);
    /// ```
    pub fn ledes_code(self) -> Option<&'static str> {
        match self {
            Rule::InvoiceNotContiguous => Some("R401"),
            _ => None,
        }
    }
}

/// The LEDES standard error codes this crate knows, with their titles: only those confirmed from
/// public text (LEDES Oversight Committee, "LEDES Error Codes", <https://ledes.org/ledes-error-codes/>).
/// The full V2 list (2024-09) is a spreadsheet on ledes.org that could not be consulted.
pub const LEDES_ERROR_CODES: &[(&str, &str)] = &[("R401", "Duplicate invoice number")];

/// The title of a LEDES standard error code, when it is one of [`LEDES_ERROR_CODES`].
///
/// ```
/// assert_eq!(ledes::ledes_error_title("R401"), Some("Duplicate invoice number"));
/// assert_eq!(ledes::ledes_error_title("R999"), None);
/// ```
pub fn ledes_error_title(code: &str) -> Option<&'static str> {
    LEDES_ERROR_CODES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, t)| *t)
}

/// One problem found in a file.
///
/// `line` is the 1-based line number in the file (for XML, the line of the element), `field`
/// the LEDES field name (e.g. `LINE_ITEM_TOTAL`), `invoice` the invoice number and `line_item`
/// the `LINE_ITEM_NUMBER`, each when known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// How bad it is.
    pub severity: Severity,
    /// Which check found it.
    pub rule: Rule,
    /// 1-based line number in the file.
    pub line: Option<u64>,
    /// The LEDES field name.
    pub field: Option<&'static str>,
    /// The invoice number.
    pub invoice: Option<String>,
    /// The line item number.
    pub line_item: Option<String>,
    /// The LEDES standard error code, where one applies.
    pub code: Option<&'static str>,
    /// What is wrong and what to do, in words a billing clerk can act on.
    pub message: String,
}

impl Finding {
    /// A finding with the rule's LEDES code filled in and no location.
    pub fn new(severity: Severity, rule: Rule, message: impl Into<String>) -> Finding {
        Finding {
            severity,
            rule,
            line: None,
            field: None,
            invoice: None,
            line_item: None,
            code: rule.ledes_code(),
            message: message.into(),
        }
    }

    /// Sets the file line.
    pub fn at_line(mut self, line: u64) -> Finding {
        self.line = Some(line);
        self
    }

    /// Sets the field name.
    pub fn field(mut self, field: &'static str) -> Finding {
        self.field = Some(field);
        self
    }

    /// Sets the invoice number (ignored when empty).
    pub fn invoice(mut self, inv: &str) -> Finding {
        if !inv.is_empty() {
            self.invoice = Some(inv.to_string());
        }
        self
    }

    /// Sets the line item number (ignored when empty).
    pub fn line_item(mut self, li: &str) -> Finding {
        if !li.is_empty() {
            self.line_item = Some(li.to_string());
        }
        self
    }

    /// True for [`Severity::Error`].
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// One line of the human report, e.g.
    /// `invoice.txt:14: error [field LINE_ITEM_TOTAL, invoice 96542, line 3] … (LEDES code R401)`.
    ///
    /// ```
    /// use ledes::{Finding, Rule, Severity};
    /// let f = Finding::new(Severity::Error, Rule::LineTotal, "line total 1250.00 is wrong")
    ///     .at_line(14).field("LINE_ITEM_TOTAL").invoice("96542").line_item("3");
    /// assert_eq!(f.render("invoice.txt"),
    ///     "invoice.txt:14: error [field LINE_ITEM_TOTAL, invoice 96542, line 3] line total 1250.00 is wrong");
    /// ```
    pub fn render(&self, file_name: &str) -> String {
        let mut s = String::with_capacity(self.message.len() + 64);
        s.push_str(file_name);
        if let Some(l) = self.line {
            let _ = write!(s, ":{l}");
        }
        let _ = write!(s, ": {}", self.severity.as_str());
        let mut parts: Vec<String> = Vec::new();
        if let Some(f) = self.field {
            parts.push(format!("field {f}"));
        }
        if let Some(i) = &self.invoice {
            parts.push(format!("invoice {i}"));
        }
        if let Some(li) = &self.line_item {
            parts.push(format!("line {li}"));
        }
        if !parts.is_empty() {
            let _ = write!(s, " [{}]", parts.join(", "));
        }
        s.push(' ');
        s.push_str(&self.message);
        if let Some(c) = self.code {
            let _ = write!(s, " (LEDES code {c})");
        }
        s
    }
}

/// The result of [`crate::validate`].
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The detected format, `None` when the input is not a LEDES file.
    pub format: Option<Format>,
    /// The invoices read (empty unless [`crate::ValidateOptions::keep_invoices`]).
    pub invoices: Vec<Invoice>,
    /// The number of invoices read.
    pub invoice_count: usize,
    /// Everything found, in file order (invoice-level findings come after the invoice's lines).
    pub findings: Vec<Finding>,
    /// The number of line items read.
    pub line_items: usize,
    /// Findings not recorded because [`crate::ValidateOptions::max_findings`] was reached.
    pub suppressed_findings: usize,
    /// True when validation stopped at the first error.
    pub stopped_early: bool,
}

impl Report {
    /// True when any finding is an error.
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(Finding::is_error)
    }

    /// The number of error findings.
    pub fn error_count(&self) -> usize {
        self.findings.iter().filter(|f| f.is_error()).count()
    }

    /// The number of warning findings.
    pub fn warning_count(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Warning)
            .count()
    }

    /// The human report: one line per finding and a summary line.
    ///
    /// ```
    /// let report = ledes::validate(b"hello", &ledes::ValidateOptions::default());
    /// let text = report.render_text("upload.txt");
    /// assert!(text.starts_with("upload.txt:1: error"));
    /// ```
    pub fn render_text(&self, file_name: &str) -> String {
        let mut out = String::new();
        for f in &self.findings {
            out.push_str(&f.render(file_name));
            out.push('\n');
        }
        let format = self.format.map_or("unknown format", |f| f.name());
        let _ = writeln!(
            out,
            "{file_name}: {format}, {} invoice(s), {} line item(s): {} error(s), {} warning(s){}{}",
            self.invoice_count,
            self.line_items,
            self.error_count(),
            self.warning_count(),
            if self.suppressed_findings > 0 {
                format!(
                    ", {} further finding(s) not listed",
                    self.suppressed_findings
                )
            } else {
                String::new()
            },
            if self.stopped_early {
                ", stopped at the first error"
            } else {
                ""
            },
        );
        out
    }
}
