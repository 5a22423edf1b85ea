//! The plain data the engine reads: the [`Invoice`] under review with its [`Line`]s, and the
//! [`Context`] the application supplies (today, matters, approved timekeepers and rates, caps,
//! budgets, allowed UTBMS codes and the vendor's billing [`History`]).
//!
//! Everything here is serde-(de)serialisable plain data with public fields; the engine never
//! mutates it. Money is [`Decimal`], never a float.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::Date;

/// What a line bills: LEDES `EXP/FEE/INV_ADJ_TYPE` (`F`, `E`, `IF`, `IE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineType {
    /// Professional time; units are hours.
    Fee,
    /// A disbursement; units are a quantity.
    Expense,
    /// An invoice-level adjustment to fees.
    FeeAdjustment,
    /// An invoice-level adjustment to expenses.
    ExpenseAdjustment,
}

impl LineType {
    /// Whether this is a time entry ([`LineType::Fee`]); time rules only look at these.
    pub fn is_fee(self) -> bool {
        self == LineType::Fee
    }

    /// Whether this is a disbursement ([`LineType::Expense`]).
    pub fn is_expense(self) -> bool {
        self == LineType::Expense
    }
}

/// A timekeeper classification, reduced to the groups billing guidelines distinguish.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Classification {
    /// Partner (`PT`, `PARTNR`).
    Partner,
    /// Of counsel (`OC`, `OFCOUN`).
    OfCounsel,
    /// Associate, staff or contract attorney (`AS`, `ASSOC`, `STFATT`, `TEMPAT`, `TRANEE`).
    Associate,
    /// Paralegal (`PL`, `LP`, `PARALG`).
    Paralegal,
    /// Legal assistant (`LA`, `LGLAST`).
    LegalAssistant,
    /// Clerk, secretary or other support staff (`CS`, `CLKSEC`).
    Clerk,
    /// Anything else (`OT`, `NBOTHR`, unknown codes).
    Other,
}

impl Classification {
    /// Maps a LEDES two-letter or LOC six-letter code (case ignored); unknown codes are
    /// [`Classification::Other`] — the raw code stays on the line for messages.
    pub fn from_code(code: &str) -> Classification {
        match code.trim().to_ascii_uppercase().as_str() {
            "PT" | "PARTNR" => Classification::Partner,
            "OC" | "OFCOUN" => Classification::OfCounsel,
            "AS" | "ASSOC" | "STFATT" | "TEMPAT" | "TRANEE" => Classification::Associate,
            "PL" | "LP" | "PARALG" => Classification::Paralegal,
            "LA" | "LGLAST" => Classification::LegalAssistant,
            "CS" | "CLKSEC" => Classification::Clerk,
            _ => Classification::Other,
        }
    }

    /// The plain-language name used in messages ("of counsel").
    pub fn name(self) -> &'static str {
        match self {
            Classification::Partner => "partner",
            Classification::OfCounsel => "of counsel",
            Classification::Associate => "associate",
            Classification::Paralegal => "paralegal",
            Classification::LegalAssistant => "legal assistant",
            Classification::Clerk => "clerk",
            Classification::Other => "other",
        }
    }
}

/// The timekeeper who billed a line, as the invoice states it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineTimekeeper {
    /// The firm's timekeeper id (LEDES `TIMEKEEPER_ID`).
    pub id: String,
    /// Display name ("Jane Smith").
    pub name: String,
    /// Classification group.
    pub classification: Classification,
    /// The raw classification code from the file ("PT", "PARTNR").
    pub classification_code: String,
}

/// One line item of the invoice under review.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Line {
    /// The line number within the invoice (LEDES `LINE_ITEM_NUMBER`).
    pub line_number: u32,
    /// Fee, expense or adjustment.
    pub line_type: LineType,
    /// The date the work was done or the cost incurred.
    pub date: Date,
    /// Who billed it; usually `None` for expenses.
    #[serde(default)]
    pub timekeeper: Option<LineTimekeeper>,
    /// Hours for fees, quantity for expenses.
    pub units: Decimal,
    /// Rate per hour or cost per unit.
    pub rate: Decimal,
    /// Signed adjustment (negative is a discount): `total = units × rate + adjustment`.
    #[serde(default)]
    pub adjustment: Decimal,
    /// The line total as billed, before tax.
    pub total: Decimal,
    /// Tax rate as a fraction (0.20 for 20 %), when the line is taxed (LEDES 98BI).
    #[serde(default)]
    pub tax_rate: Option<Decimal>,
    /// Tax amount billed on this line, when taxed.
    #[serde(default)]
    pub tax: Option<Decimal>,
    /// UTBMS task code (L110…), for fees.
    #[serde(default)]
    pub task_code: Option<String>,
    /// UTBMS activity code (A101…), for fees.
    #[serde(default)]
    pub activity_code: Option<String>,
    /// UTBMS expense code (E101…), for expenses.
    #[serde(default)]
    pub expense_code: Option<String>,
    /// The narrative (LEDES `LINE_ITEM_DESCRIPTION`).
    #[serde(default)]
    pub narrative: String,
    /// The department's matter id this line bills.
    pub matter_id: i64,
    /// The client's matter id as the firm wrote it.
    #[serde(default)]
    pub client_matter_id: String,
    /// The firm's own matter id.
    #[serde(default)]
    pub firm_matter_id: String,
}

impl Line {
    /// The timekeeper id, if the line has a timekeeper.
    pub fn timekeeper_id(&self) -> Option<&str> {
        self.timekeeper.as_ref().map(|t| t.id.as_str())
    }
}

/// The invoice under review.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Invoice {
    /// The department's vendor (firm) id.
    pub vendor_id: String,
    /// The firm's invoice number.
    pub invoice_number: String,
    /// The invoice date.
    pub invoice_date: Date,
    /// First day of the billing period.
    pub billing_start: Date,
    /// Last day of the billing period.
    pub billing_end: Date,
    /// ISO 4217 currency of every amount on the invoice.
    pub currency: String,
    /// The invoice total as billed, including tax.
    pub total: Decimal,
    /// Total tax billed (0 when untaxed).
    #[serde(default)]
    pub tax_total: Decimal,
    /// The line items.
    pub lines: Vec<Line>,
}

/// Where a matter stands; only some statuses accept new bills.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatterStatus {
    /// Open and billable.
    Open,
    /// Closed.
    Closed,
    /// Temporarily on hold.
    OnHold,
    /// Still in intake, not yet opened.
    Intake,
}

impl MatterStatus {
    /// Plain-language name for messages.
    pub fn name(self) -> &'static str {
        match self {
            MatterStatus::Open => "open",
            MatterStatus::Closed => "closed",
            MatterStatus::OnHold => "on hold",
            MatterStatus::Intake => "in intake",
        }
    }
}

/// A matter the invoice bills, as the department knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatterInfo {
    /// The matter id (matches [`Line::matter_id`]).
    pub id: i64,
    /// Its status.
    pub status: MatterStatus,
    /// Whether this invoice's vendor is assigned to the matter.
    pub vendor_assigned: bool,
}

/// An approved rate for a timekeeper, in force from `from` to `to` (both inclusive).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovedRate {
    /// The approved hourly rate, in the invoice currency.
    pub rate: Decimal,
    /// First day in force.
    pub from: Date,
    /// Last day in force; `None` while current.
    #[serde(default)]
    pub to: Option<Date>,
    /// Restricts the rate to one matter; `None` applies to all matters.
    #[serde(default)]
    pub matter_id: Option<i64>,
}

impl ApprovedRate {
    /// Whether this rate is in force on `date` for `matter_id`.
    pub fn covers(&self, date: Date, matter_id: i64) -> bool {
        self.from <= date
            && self.to.is_none_or(|to| date <= to)
            && self.matter_id.is_none_or(|m| m == matter_id)
    }
}

/// A timekeeper the department has approved for this vendor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovedTimekeeper {
    /// The firm's timekeeper id (matches [`LineTimekeeper::id`]).
    pub id: String,
    /// Display name.
    pub name: String,
    /// The approved classification.
    pub classification: Classification,
    /// Effective-dated approved rates.
    #[serde(default)]
    pub rates: Vec<ApprovedRate>,
}

impl ApprovedTimekeeper {
    /// The approved rate in force on `date` for `matter_id`: a matter-scoped rate beats a general
    /// one; among equals the latest `from` wins.
    pub fn rate_on(&self, date: Date, matter_id: i64) -> Option<&ApprovedRate> {
        self.rates
            .iter()
            .filter(|r| r.covers(date, matter_id))
            .max_by_key(|r| (r.matter_id.is_some(), r.from))
    }
}

/// A maximum hourly rate for a classification, in the invoice currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateCap {
    /// The classification capped.
    pub classification: Classification,
    /// The maximum rate.
    pub rate: Decimal,
}

/// A budget for one UTBMS phase of a matter (e.g. `L100`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhaseBudget {
    /// The phase: `L100` (or just its letters and first digit, `L1`); task codes `L110`–`L190`
    /// count toward it.
    pub phase: String,
    /// The budgeted amount.
    pub amount: Decimal,
    /// Already billed to this phase on earlier invoices (all vendors the budget covers).
    #[serde(default)]
    pub billed: Decimal,
}

/// A matter budget: a total and/or per-phase amounts, with what was billed so far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Budget {
    /// The matter id.
    pub matter_id: i64,
    /// The total budget, if one is set.
    #[serde(default)]
    pub total: Option<Decimal>,
    /// Already billed to the matter on earlier invoices.
    #[serde(default)]
    pub billed: Decimal,
    /// Per-phase budgets.
    #[serde(default)]
    pub phases: Vec<PhaseBudget>,
}

/// The UTBMS codes the department accepts; `None` accepts any code in that position.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllowedCodes {
    /// Allowed task codes (L110, …).
    #[serde(default)]
    pub tasks: Option<Vec<String>>,
    /// Allowed activity codes (A101, …).
    #[serde(default)]
    pub activities: Option<Vec<String>>,
    /// Allowed expense codes (E101, …).
    #[serde(default)]
    pub expenses: Option<Vec<String>>,
}

/// A line from an earlier invoice of the same vendor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryLine {
    /// The earlier invoice's number.
    pub invoice_number: String,
    /// Line number on that invoice.
    pub line_number: u32,
    /// Fee, expense or adjustment.
    pub line_type: LineType,
    /// The line date.
    pub date: Date,
    /// The timekeeper id, if any.
    #[serde(default)]
    pub timekeeper_id: Option<String>,
    /// Hours or quantity.
    pub units: Decimal,
    /// Rate per unit as billed.
    pub rate: Decimal,
    /// The narrative.
    #[serde(default)]
    pub narrative: String,
    /// The matter id.
    pub matter_id: i64,
    /// The narrative normalised, made on first use and kept (a line is compared with many
    /// invoices); not part of the data.
    #[serde(skip)]
    pub normalized: std::sync::OnceLock<String>,
}

impl HistoryLine {
    /// A line of an invoice judged earlier, as history for the invoices after it.
    pub fn of(invoice_number: &str, line: &Line) -> HistoryLine {
        Self::of_normalized(invoice_number, line, None)
    }

    /// [`HistoryLine::of`], with the narrative already normalised (as
    /// [`crate::evaluate_normalizing`] gives it), if at hand.
    pub fn of_normalized(
        invoice_number: &str,
        line: &Line,
        normalized: Option<String>,
    ) -> HistoryLine {
        HistoryLine {
            invoice_number: invoice_number.to_string(),
            line_number: line.line_number,
            line_type: line.line_type,
            date: line.date,
            timekeeper_id: line.timekeeper_id().map(str::to_string),
            units: line.units,
            rate: line.rate,
            narrative: line.narrative.clone(),
            matter_id: line.matter_id,
            normalized: normalized.map(Into::into).unwrap_or_default(),
        }
    }
}

/// Hours a timekeeper billed on one date on earlier invoices, across all matters and vendors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailyHours {
    /// The timekeeper id.
    pub timekeeper_id: String,
    /// The date.
    pub date: Date,
    /// Hours already billed that day, excluding the invoice under review.
    pub hours: Decimal,
}

/// What the vendor billed before. The application should send only what is relevant (e.g. the
/// last 2–3 years of the vendor's lines, and daily hours for the dates of this invoice), and
/// must exclude the invoice under review itself.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct History {
    /// Invoice numbers the vendor used before.
    #[serde(default)]
    pub invoice_numbers: Vec<String>,
    /// Earlier line items of this vendor.
    #[serde(default)]
    pub lines: Vec<HistoryLine>,
    /// Daily hours per timekeeper across all matters and vendors.
    #[serde(default)]
    pub daily_hours: Vec<DailyHours>,
    /// `lines` and `daily_hours` indexed by timekeeper and date, made on first use and
    /// extended as they grow, so that judging many invoices against one history does not pass
    /// over every line each time. Append to `lines` and `daily_hours` freely; anything else
    /// (a line removed or replaced) is noticed and the index made again. Not part of the data.
    #[serde(skip)]
    pub index: crate::engine::HistoryIndex,
}

/// Everything the application knows that the invoice does not say.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Context {
    /// Today (the submission or review date).
    pub today: Date,
    /// The department's matters this invoice's lines refer to; a line whose matter is absent is
    /// an unknown matter.
    #[serde(default)]
    pub matters: Vec<MatterInfo>,
    /// The vendor's approved timekeepers and rates.
    #[serde(default)]
    pub timekeepers: Vec<ApprovedTimekeeper>,
    /// Rate caps by classification.
    #[serde(default)]
    pub rate_caps: Vec<RateCap>,
    /// Budgets of the matters billed.
    #[serde(default)]
    pub budgets: Vec<Budget>,
    /// Accepted UTBMS codes.
    #[serde(default)]
    pub codes: AllowedCodes,
    /// The vendor's earlier billing.
    #[serde(default)]
    pub history: History,
}

impl Context {
    /// A context with only today's date set: no matters, timekeepers, caps, budgets or history.
    pub fn new(today: Date) -> Context {
        Context {
            today,
            matters: Vec::new(),
            timekeepers: Vec::new(),
            rate_caps: Vec::new(),
            budgets: Vec::new(),
            codes: AllowedCodes::default(),
            history: History::default(),
        }
    }
}

/// The UTBMS phase of a task code: `L110` → `L100`, `B120` → `B100`. `None` for codes that do
/// not end in at least three digits.
pub fn utbms_phase(task_code: &str) -> Option<String> {
    let code = task_code.trim();
    let digits = code.bytes().rev().take_while(u8::is_ascii_digit).count();
    if digits < 3 {
        return None;
    }
    let split = code.len() - digits;
    let mut phase = code[..split + 1].to_ascii_uppercase();
    phase.extend(std::iter::repeat_n('0', digits - 1));
    Some(phase)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases() {
        assert_eq!(utbms_phase("L110").as_deref(), Some("L100"));
        assert_eq!(utbms_phase("l250").as_deref(), Some("L200"));
        assert_eq!(utbms_phase("X"), None);
    }

    #[test]
    fn classification_codes() {
        assert_eq!(Classification::from_code("partnr"), Classification::Partner);
        assert_eq!(
            Classification::from_code("LA"),
            Classification::LegalAssistant
        );
        assert_eq!(Classification::from_code("ZZ"), Classification::Other);
    }
}
