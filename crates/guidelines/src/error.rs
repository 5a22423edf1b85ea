//! The one error type of this crate: what can go wrong when guideline data is built or read.
//!
//! Evaluating an invoice never fails — every problem with an invoice is a [`crate::Flag`]. Errors
//! are only for malformed configuration: an impossible date, a rule set that does not make sense,
//! or JSON that is not a rule set.

use thiserror::Error;

/// Everything that can go wrong when guideline data is constructed or parsed.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum Error {
    /// A calendar date that does not exist or could not be parsed (`YYYY-MM-DD`).
    #[error("invalid date {0:?}: expected an existing calendar date as YYYY-MM-DD")]
    InvalidDate(String),
    /// Two rules in one set share an id.
    #[error("rule id {0:?} appears more than once in the set")]
    DuplicateRuleId(String),
    /// A rule has an empty id or reason code.
    #[error("rule {0:?}: id and reason code must not be empty")]
    MissingIdentifier(String),
    /// A rule parameter is out of range (e.g. a similarity threshold above 1).
    #[error("rule {rule:?}: invalid parameter {parameter}: {reason}")]
    InvalidParameter {
        /// The rule id.
        rule: String,
        /// The parameter name.
        parameter: &'static str,
        /// Why it is invalid.
        reason: String,
    },
    /// `AutoAdjust` was chosen for a rule kind that has no line to adjust (an invoice-level kind).
    #[error("rule {rule:?}: kind {kind} checks the whole invoice and cannot auto-adjust a line")]
    CannotAutoAdjust {
        /// The rule id.
        rule: String,
        /// The rule kind name.
        kind: &'static str,
    },
    /// The JSON text is not a valid guideline set.
    #[error("invalid guideline set JSON: {0}")]
    Json(String),
}
