//! Billing-guidelines engine for the lexops Spend module.
//!
//! Legal departments publish outside-counsel billing guidelines; this crate checks a law firm's
//! invoice against them. Guidelines are data — a [`GuidelineSet`] of [`Rule`]s, each a
//! [`RuleKind`] with parameters, an [`Action`] and a reason code the firm sees — stored as JSON
//! and layered department → vendor → matter with [`GuidelineSet::layered`].
//!
//! [`evaluate`] checks one [`Invoice`] with the [`Context`] the application knows (today,
//! matters, approved timekeepers and rates, caps, budgets, UTBMS code lists, earlier billing) and
//! returns an [`Evaluation`]: findings ([`Flag`]) with plain-language messages, exact proposed
//! adjustments, the adjusted total, whether the invoice is rejected and who else must approve.
//! [`compare`] replays invoices under an old and a new set and reports what changes ("what-if").
//!
//! ```
//! use guidelines::{evaluate, Context, Date, GuidelineSet, Invoice};
//! let set = GuidelineSet::standard();
//! let today: Date = "2026-02-10".parse().unwrap();
//! let invoice = Invoice {
//!     vendor_id: "V1".into(), invoice_number: "INV-1".into(), invoice_date: today,
//!     billing_start: "2026-01-01".parse().unwrap(), billing_end: "2026-01-31".parse().unwrap(),
//!     currency: "USD".into(), total: "0".parse().unwrap(), tax_total: Default::default(),
//!     lines: vec![],
//! };
//! let evaluation = evaluate(&set, &invoice, &Context::new(today));
//! assert!(evaluation.flags.is_empty());
//! ```
//!
//! The crate knows nothing of the database or HTTP; it is pure and never fails on an invoice.

#![warn(missing_docs)]

mod checks;
mod date;
mod engine;
mod error;
mod model;
mod rules;
mod text;
mod whatif;

pub use date::Date;
pub use engine::{
    Adjustment, Evaluation, Flag, HistoryIndex, LineOutcome, evaluate, evaluate_normalizing,
};
pub use error::Error;
pub use model::{
    AllowedCodes, ApprovedRate, ApprovedTimekeeper, Budget, Classification, Context, DailyHours,
    History, HistoryLine, Invoice, Line, LineTimekeeper, LineType, MatterInfo, MatterStatus,
    PhaseBudget, RateCap, utbms_phase,
};
pub use rules::{Action, Approver, DEFAULT_TASK_VERBS, ExpenseCap, GuidelineSet, Rule, RuleKind};
pub use whatif::{InvoiceDiff, LineDiff, WhatIf, compare};
