//! Options of validation and conversion.

use crate::Severity;
use crate::utbms::CodeSets;
use rust_decimal::Decimal;
use std::sync::Arc;

/// How to validate.
///
/// ```
/// use ledes::ValidateOptions;
/// use rust_decimal::Decimal;
/// let opts = ValidateOptions { stop_at_first_error: true, tolerance: Decimal::new(1, 2), ..Default::default() };
/// assert!(opts.keep_invoices);
/// ```
#[derive(Debug, Clone)]
pub struct ValidateOptions {
    /// Stop at the first error (the findings before it are kept) instead of collecting all.
    pub stop_at_first_error: bool,
    /// Largest accepted difference in arithmetic checks (line totals, invoice totals, tax).
    /// Zero by default: amounts must agree exactly.
    pub tolerance: Decimal,
    /// Accept a line total equal to the computed amount rounded to cents (half away from zero),
    /// e.g. 0.25 × 333.33 = 83.3325 billed as 83.33. On by default, since e-billing amounts are
    /// in cents.
    pub round_to_cents: bool,
    /// The known UTBMS codes; share one `Arc` between many validations.
    pub code_sets: Arc<CodeSets>,
    /// Severity of an unknown task, activity or expense code. Error by default.
    pub unknown_code_severity: Severity,
    /// Keep the invoices in [`crate::Report::invoices`]; switch off for large files when only
    /// the findings are wanted (memory then stays flat).
    pub keep_invoices: bool,
    /// At most this many findings are recorded; the rest are counted in
    /// [`crate::Report::suppressed_findings`].
    pub max_findings: usize,
    /// Records longer than this many bytes are rejected without being parsed.
    pub max_record_len: usize,
    /// XML input larger than this many bytes is rejected (XML is parsed in memory).
    pub max_xml_len: usize,
}

impl Default for ValidateOptions {
    fn default() -> Self {
        ValidateOptions {
            stop_at_first_error: false,
            tolerance: Decimal::ZERO,
            round_to_cents: true,
            code_sets: crate::utbms::shared_standard().clone(),
            unknown_code_severity: Severity::Error,
            keep_invoices: true,
            max_findings: 10_000,
            max_record_len: 1 << 20,
            max_xml_len: 1 << 30,
        }
    }
}

/// How to convert.
#[derive(Debug, Clone, Default)]
pub struct ConvertOptions {
    /// Options of reading and validating the input.
    pub validate: ValidateOptions,
    /// Convert even when the input has errors (by default conversion refuses invalid input).
    pub allow_invalid_input: bool,
    /// Drop data the target format cannot carry (e.g. tax into 1998B) instead of failing.
    pub allow_lossy: bool,
}
