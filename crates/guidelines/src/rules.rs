//! Billing guidelines as data: a [`Rule`] is a [`RuleKind`] with its parameters, an [`Action`]
//! and a reason code; a [`GuidelineSet`] is a validated list of rules, layered department →
//! vendor → matter, stored by the application as JSON.
//!
//! Invariants of a [`GuidelineSet`] (checked by [`GuidelineSet::new`] and on deserialisation):
//! rule ids are unique and non-empty, every rule has a reason code, parameters are in range, and
//! [`Action::AutoAdjust`] is only used by kinds that check a line (an invoice-level finding has
//! no line to adjust).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::{Classification, Error, MatterStatus};

/// Who must additionally approve an invoice that a rule routes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Approver {
    /// Anyone holding this role in the department (e.g. `"general_counsel"`).
    Role(String),
    /// One user, by the application's user id.
    User(i64),
}

/// What happens when a rule finds something.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Action {
    /// The whole invoice is rejected back to the firm.
    RejectInvoice,
    /// The line is rejected (nothing paid on it).
    RejectLine,
    /// The line is reduced automatically (see [`RuleKind`] for each kind's reduction).
    AutoAdjust,
    /// A reviewer is shown the finding; nothing changes by itself.
    Flag,
    /// The invoice needs an extra approval.
    RouteToApprover {
        /// The extra approver.
        approver: Approver,
    },
}

/// A cap on one expense code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpenseCap {
    /// The UTBMS expense code capped (`E111`).
    pub code: String,
    /// Maximum cost per unit (copying 0.10 per page); AutoAdjust lowers the unit cost to it.
    #[serde(default)]
    pub max_unit_cost: Option<Decimal>,
    /// Maximum line total (a meal ≤ 75.00); AutoAdjust lowers the line total to it.
    #[serde(default)]
    pub max_line_total: Option<Decimal>,
}

/// What a rule checks, with its parameters. Decimals are JSON strings (`"0.1"`).
///
/// With [`Action::AutoAdjust`], rate kinds lower the rate, hour kinds lower the units, the
/// arithmetic kind lowers the total to the computed one, expense caps lower cost or total, and
/// every other line kind writes the line down by [`Rule::write_down_percent`] (default 100 %).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RuleKind {
    /// Line total must equal `units × rate + adjustment` (rounded to cents) within `tolerance`.
    LineArithmetic {
        /// Largest accepted difference (0.01).
        tolerance: Decimal,
    },
    /// Invoice-level: total must equal the sum of line totals plus tax, and the tax total the
    /// sum of line taxes, within `tolerance`.
    InvoiceArithmetic {
        /// Largest accepted difference.
        tolerance: Decimal,
    },
    /// Line tax must equal `total × tax_rate` within `tolerance`; with `allowed_rates`, the rate
    /// must be one of them.
    Tax {
        /// Largest accepted difference.
        tolerance: Decimal,
        /// Accepted tax rates as fractions (0.20); empty accepts any rate.
        #[serde(default)]
        allowed_rates: Vec<Decimal>,
    },
    /// Invoice-level: the invoice number was used on an earlier invoice of the vendor (case and
    /// surrounding spaces ignored).
    DuplicateInvoiceNumber,
    /// Same line type, timekeeper, date, units and normalised narrative as an earlier line of
    /// this invoice, or (with `include_history`) of an earlier invoice.
    DuplicateLine {
        /// Also compare against [`crate::History::lines`].
        include_history: bool,
    },
    /// Same timekeeper and date, units within `units_tolerance`, and narrative word-shingle
    /// Jaccard similarity ≥ `threshold` (exact duplicates are left to [`RuleKind::DuplicateLine`]).
    NearDuplicateLine {
        /// Similarity threshold, 0–1 (0.7).
        threshold: Decimal,
        /// Words per shingle (2).
        shingle_words: u32,
        /// Largest difference in units (0.5).
        units_tolerance: Decimal,
        /// Also compare against [`crate::History::lines`].
        include_history: bool,
    },
    /// The line's matter is not among [`crate::Context::matters`].
    UnknownMatter,
    /// The line's matter has a status outside `billable`.
    MatterNotBillable {
        /// Statuses that accept bills (`[open]`).
        billable: Vec<MatterStatus>,
    },
    /// The vendor is not assigned to the line's matter.
    VendorNotAssigned,
    /// Line date before the billing period start or after its end.
    OutsideBillingPeriod,
    /// Line date after the invoice date or after today.
    FutureDated,
    /// Line date more than `max_days` before the invoice date (late billing).
    LateBilling {
        /// Days (90).
        max_days: u32,
    },
    /// Invoice-level: submitted (today) more than `max_days` after the billing period ended.
    LateSubmission {
        /// Days (60).
        max_days: u32,
    },
    /// Fee line by a timekeeper who is not approved (or, with `check_classification`, billed
    /// under another classification than approved).
    UnapprovedTimekeeper {
        /// Also require the billed classification to match the approved one.
        check_classification: bool,
    },
    /// Rate above the approved rate in force on the line date (matter-scoped rates first);
    /// AutoAdjust lowers the rate to it. Timekeepers with no rates on file are not checked.
    RateAboveApproved,
    /// Rate above the cap for the line's classification ([`crate::Context::rate_caps`]);
    /// AutoAdjust lowers the rate to the cap.
    RateAboveCap,
    /// Rate higher than the timekeeper's most recent rate in history with no approved rate in
    /// force that covers it; AutoAdjust lowers the rate to the earlier one.
    UnapprovedRateIncrease,
    /// Time billed by a classification the department does not pay for.
    DisallowedClassification {
        /// The classifications refused (`[legal_assistant]`).
        classifications: Vec<Classification>,
    },
    /// Hours not a multiple of `increment`; AutoAdjust rounds down to a multiple.
    TimeIncrement {
        /// The increment in hours (0.1).
        increment: Decimal,
    },
    /// One entry of more than `max_hours`; AutoAdjust lowers the hours to it.
    MaxEntryHours {
        /// Hours (10).
        max_hours: Decimal,
    },
    /// A timekeeper billing more than `max_hours` on one date across all matters and vendors
    /// (history + this invoice); AutoAdjust removes the excess from the later lines.
    DailyHours {
        /// Hours (12).
        max_hours: Decimal,
    },
    /// Several tasks in one time entry of at least `min_hours`.
    BlockBilling {
        /// Tasks that make a block (2).
        min_tasks: u32,
        /// Entries shorter than this are not checked (0).
        min_hours: Decimal,
        /// Text that separates tasks (`;`).
        separators: Vec<String>,
        /// Verbs that start a task ("draft", "review", …); a task after "and" or "," counts
        /// only when it starts with one of them and names its object.
        task_verbs: Vec<String>,
    },
    /// A narrative shorter than `min_length` characters, or built around a vague phrase with
    /// fewer than `min_other_words` informative words besides.
    VagueNarrative {
        /// Vague phrases ("review file", "attention to matter").
        phrases: Vec<String>,
        /// Minimum narrative length in characters (15).
        min_length: u32,
        /// Informative words required beside a vague phrase (3).
        min_other_words: u32,
    },
    /// A narrative containing a prohibited term (any line type).
    ProhibitedTerms {
        /// Terms ("overtime", "word processing").
        terms: Vec<String>,
    },
    /// Clerical work ("scan", "bates") billed as professional time.
    ClericalWork {
        /// Clerical terms.
        terms: Vec<String>,
        /// Classifications allowed to bill these tasks (empty: nobody).
        #[serde(default)]
        exempt: Vec<Classification>,
    },
    /// Conferences inside the firm ("conference with associate").
    InternalConference {
        /// Phrases that mark an internal conference.
        phrases: Vec<String>,
    },
    /// More than `max_attendees` timekeepers billing the same meeting: same matter and date, and
    /// the same counterpart ("… with opposing counsel") or the same activity code in
    /// `activity_codes`. Lines of attendees beyond the first `max_attendees` are flagged.
    MultipleAttendees {
        /// Attendees paid for (2).
        max_attendees: u32,
        /// Activity codes of meetings (A105, A106).
        activity_codes: Vec<String>,
        /// Words that mark a meeting in the narrative ("meeting", "conference", "call").
        meeting_words: Vec<String>,
    },
    /// Expense codes the department does not reimburse.
    DisallowedExpenses {
        /// Codes (E103 word processing, E105 telephone, …).
        codes: Vec<String>,
    },
    /// Caps per unit or per line for expense codes.
    ExpenseCaps {
        /// The caps.
        caps: Vec<ExpenseCap>,
    },
    /// Expense narratives naming premium travel ("first class").
    PremiumTravel {
        /// Terms.
        terms: Vec<String>,
    },
    /// Missing UTBMS codes, or codes not in [`crate::Context::codes`].
    UtbmsCodes {
        /// Fee lines need a task code.
        require_task: bool,
        /// Fee lines need an activity code.
        require_activity: bool,
        /// Expense lines need an expense code.
        require_expense: bool,
    },
    /// Invoice-level: billed so far + this invoice above a matter's total budget or (with
    /// `phases`) a phase budget, by more than `tolerance_percent`.
    BudgetOverrun {
        /// Tolerance in percent (10).
        tolerance_percent: Decimal,
        /// Also check phase budgets.
        phases: bool,
    },
}

impl RuleKind {
    /// The list of phrases the rule looks for in narratives, if it has one.
    pub(crate) fn phrase_list(&self) -> Option<&[String]> {
        match self {
            RuleKind::VagueNarrative { phrases, .. } | RuleKind::InternalConference { phrases } => {
                Some(phrases)
            }
            RuleKind::ProhibitedTerms { terms }
            | RuleKind::ClericalWork { terms, .. }
            | RuleKind::PremiumTravel { terms } => Some(terms),
            RuleKind::MultipleAttendees { meeting_words, .. } => Some(meeting_words),
            _ => None,
        }
    }

    /// The kind's name, as in JSON (`"rate_above_approved"`).
    pub fn name(&self) -> &'static str {
        match self {
            RuleKind::LineArithmetic { .. } => "line_arithmetic",
            RuleKind::InvoiceArithmetic { .. } => "invoice_arithmetic",
            RuleKind::Tax { .. } => "tax",
            RuleKind::DuplicateInvoiceNumber => "duplicate_invoice_number",
            RuleKind::DuplicateLine { .. } => "duplicate_line",
            RuleKind::NearDuplicateLine { .. } => "near_duplicate_line",
            RuleKind::UnknownMatter => "unknown_matter",
            RuleKind::MatterNotBillable { .. } => "matter_not_billable",
            RuleKind::VendorNotAssigned => "vendor_not_assigned",
            RuleKind::OutsideBillingPeriod => "outside_billing_period",
            RuleKind::FutureDated => "future_dated",
            RuleKind::LateBilling { .. } => "late_billing",
            RuleKind::LateSubmission { .. } => "late_submission",
            RuleKind::UnapprovedTimekeeper { .. } => "unapproved_timekeeper",
            RuleKind::RateAboveApproved => "rate_above_approved",
            RuleKind::RateAboveCap => "rate_above_cap",
            RuleKind::UnapprovedRateIncrease => "unapproved_rate_increase",
            RuleKind::DisallowedClassification { .. } => "disallowed_classification",
            RuleKind::TimeIncrement { .. } => "time_increment",
            RuleKind::MaxEntryHours { .. } => "max_entry_hours",
            RuleKind::DailyHours { .. } => "daily_hours",
            RuleKind::BlockBilling { .. } => "block_billing",
            RuleKind::VagueNarrative { .. } => "vague_narrative",
            RuleKind::ProhibitedTerms { .. } => "prohibited_terms",
            RuleKind::ClericalWork { .. } => "clerical_work",
            RuleKind::InternalConference { .. } => "internal_conference",
            RuleKind::MultipleAttendees { .. } => "multiple_attendees",
            RuleKind::DisallowedExpenses { .. } => "disallowed_expenses",
            RuleKind::ExpenseCaps { .. } => "expense_caps",
            RuleKind::PremiumTravel { .. } => "premium_travel",
            RuleKind::UtbmsCodes { .. } => "utbms_codes",
            RuleKind::BudgetOverrun { .. } => "budget_overrun",
        }
    }

    /// Whether findings of this kind are about the whole invoice (no line number).
    pub fn is_invoice_level(&self) -> bool {
        matches!(
            self,
            RuleKind::InvoiceArithmetic { .. }
                | RuleKind::DuplicateInvoiceNumber
                | RuleKind::LateSubmission { .. }
                | RuleKind::BudgetOverrun { .. }
        )
    }

    /// Whether [`Action::AutoAdjust`] makes sense for this kind.
    pub fn can_auto_adjust(&self) -> bool {
        !self.is_invoice_level() && !matches!(self, RuleKind::Tax { .. })
    }

    fn validate(&self, rule: &str) -> Result<(), Error> {
        let bad = |parameter: &'static str, reason: &str| {
            Err(Error::InvalidParameter {
                rule: rule.to_owned(),
                parameter,
                reason: reason.to_owned(),
            })
        };
        let non_negative = |parameter: &'static str, d: Decimal| {
            if d.is_sign_negative() && !d.is_zero() {
                bad(parameter, "must not be negative")
            } else {
                Ok(())
            }
        };
        match self {
            RuleKind::LineArithmetic { tolerance }
            | RuleKind::InvoiceArithmetic { tolerance }
            | RuleKind::Tax { tolerance, .. } => non_negative("tolerance", *tolerance),
            RuleKind::NearDuplicateLine {
                threshold,
                shingle_words,
                units_tolerance,
                ..
            } => {
                if *threshold <= Decimal::ZERO || *threshold > Decimal::ONE {
                    return bad("threshold", "must be above 0 and at most 1");
                }
                if *shingle_words == 0 {
                    return bad("shingle_words", "must be at least 1");
                }
                non_negative("units_tolerance", *units_tolerance)
            }
            RuleKind::TimeIncrement { increment } if *increment <= Decimal::ZERO => {
                bad("increment", "must be positive")
            }
            RuleKind::MaxEntryHours { max_hours } | RuleKind::DailyHours { max_hours }
                if *max_hours <= Decimal::ZERO =>
            {
                bad("max_hours", "must be positive")
            }
            RuleKind::BlockBilling {
                min_tasks,
                min_hours,
                ..
            } => {
                if *min_tasks < 2 {
                    return bad("min_tasks", "must be at least 2");
                }
                non_negative("min_hours", *min_hours)
            }
            RuleKind::MultipleAttendees { max_attendees, .. } if *max_attendees == 0 => {
                bad("max_attendees", "must be at least 1")
            }
            RuleKind::ExpenseCaps { caps } => {
                for c in caps {
                    for v in [c.max_unit_cost, c.max_line_total].into_iter().flatten() {
                        non_negative("caps", v)?;
                    }
                }
                Ok(())
            }
            RuleKind::BudgetOverrun {
                tolerance_percent, ..
            } => non_negative("tolerance_percent", *tolerance_percent),
            _ => Ok(()),
        }
    }
}

fn yes() -> bool {
    true
}

/// One billing guideline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    /// Stable id; a more specific layer replaces the rule with the same id.
    pub id: String,
    /// What is checked, with parameters.
    pub kind: RuleKind,
    /// What happens on a finding.
    pub action: Action,
    /// The code the vendor sees ("BG-RATE-01").
    pub reason_code: String,
    /// Disabled rules are kept (and override general ones) but never fire.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// The guideline in words, for admins and vendors.
    #[serde(default)]
    pub description: String,
    /// For AutoAdjust on kinds without their own reduction: percent of the line written off
    /// (default 100).
    #[serde(default)]
    pub write_down_percent: Option<Decimal>,
}

impl Rule {
    /// An enabled rule with no description and the default write-down.
    pub fn new(id: &str, kind: RuleKind, action: Action, reason_code: &str) -> Rule {
        Rule {
            id: id.to_owned(),
            kind,
            action,
            reason_code: reason_code.to_owned(),
            enabled: true,
            description: String::new(),
            write_down_percent: None,
        }
    }

    /// This rule with a description.
    pub fn describe(mut self, description: &str) -> Rule {
        self.description = description.to_owned();
        self
    }

    fn validate(&self) -> Result<(), Error> {
        if self.id.trim().is_empty() || self.reason_code.trim().is_empty() {
            return Err(Error::MissingIdentifier(self.id.clone()));
        }
        if self.action == Action::AutoAdjust && !self.kind.can_auto_adjust() {
            return Err(Error::CannotAutoAdjust {
                rule: self.id.clone(),
                kind: self.kind.name(),
            });
        }
        if let Some(p) = self.write_down_percent
            && (p < Decimal::ZERO || p > Decimal::ONE_HUNDRED)
        {
            return Err(Error::InvalidParameter {
                rule: self.id.clone(),
                parameter: "write_down_percent",
                reason: "must be between 0 and 100".to_owned(),
            });
        }
        self.kind.validate(&self.id)
    }
}

/// The serialised shape of a [`GuidelineSet`], validated on the way in.
#[derive(Deserialize)]
struct RawSet {
    #[serde(default)]
    rules: Vec<Rule>,
    #[serde(default)]
    disabled: Vec<String>,
}

impl TryFrom<RawSet> for GuidelineSet {
    type Error = Error;

    fn try_from(raw: RawSet) -> Result<GuidelineSet, Error> {
        GuidelineSet::with_disabled(raw.rules, raw.disabled)
    }
}

/// A validated set of rules: one layer (department, vendor or matter) or an effective set made
/// by [`GuidelineSet::layered`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(try_from = "RawSet")]
pub struct GuidelineSet {
    rules: Vec<Rule>,
    /// Ids of more general rules this layer switches off without restating them.
    disabled: Vec<String>,
    /// Each rule's phrase list, normalised once for every evaluation (made from `rules`).
    #[serde(skip)]
    phrases: Vec<Option<crate::text::Phrases>>,
}

impl GuidelineSet {
    /// A set of rules, validated (see the module invariants).
    pub fn new(rules: Vec<Rule>) -> Result<GuidelineSet, Error> {
        GuidelineSet::with_disabled(rules, Vec::new())
    }

    /// A layer that also switches off more general rules by id.
    pub fn with_disabled(rules: Vec<Rule>, disabled: Vec<String>) -> Result<GuidelineSet, Error> {
        let mut seen = std::collections::HashSet::new();
        for r in &rules {
            r.validate()?;
            if !seen.insert(r.id.as_str()) {
                return Err(Error::DuplicateRuleId(r.id.clone()));
            }
        }
        Ok(GuidelineSet::of(rules, disabled))
    }

    fn of(rules: Vec<Rule>, disabled: Vec<String>) -> GuidelineSet {
        let phrases = rules
            .iter()
            .map(|r| r.kind.phrase_list().map(crate::text::Phrases::new))
            .collect();
        GuidelineSet {
            rules,
            disabled,
            phrases,
        }
    }

    /// The rules, in evaluation order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Ids this layer switches off.
    pub fn disabled(&self) -> &[String] {
        &self.disabled
    }

    /// The rule with this id.
    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// The rules that fire: enabled and not switched off.
    pub fn enabled_rules(&self) -> impl Iterator<Item = &Rule> {
        self.rules
            .iter()
            .filter(|r| r.enabled && !self.disabled.contains(&r.id))
    }

    /// [`GuidelineSet::enabled_rules`] with each one's phrases, normalised.
    pub(crate) fn enabled_rules_with_phrases(
        &self,
    ) -> impl Iterator<Item = (&Rule, Option<&crate::text::Phrases>)> {
        self.rules
            .iter()
            .zip(&self.phrases)
            .filter(|(r, _)| r.enabled && !self.disabled.contains(&r.id))
            .map(|(r, p)| (r, p.as_ref()))
    }

    /// The effective set from layers ordered general → specific (department, vendor, matter):
    /// a rule in a later layer replaces the rule with the same id in place (a disabled one
    /// switches it off); new ids are appended; ids in a layer's `disabled` list are removed.
    pub fn layered<'a>(layers: impl IntoIterator<Item = &'a GuidelineSet>) -> GuidelineSet {
        let mut rules: Vec<Rule> = Vec::new();
        let mut disabled: Vec<String> = Vec::new();
        for layer in layers {
            for id in &layer.disabled {
                rules.retain(|r| &r.id != id);
                if !disabled.contains(id) {
                    disabled.push(id.clone());
                }
            }
            for rule in &layer.rules {
                disabled.retain(|d| d != &rule.id);
                match rules.iter_mut().find(|r| r.id == rule.id) {
                    Some(slot) => *slot = rule.clone(),
                    None => rules.push(rule.clone()),
                }
            }
        }
        GuidelineSet::of(rules, disabled)
    }

    /// Reads a set from JSON, validating it.
    pub fn from_json(json: &str) -> Result<GuidelineSet, Error> {
        serde_json::from_str(json).map_err(|e| Error::Json(e.to_string()))
    }

    /// Writes the set as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a guideline set always serialises")
    }

    /// Evaluates an invoice against this set (see [`crate::evaluate`]).
    pub fn evaluate(
        &self,
        invoice: &crate::Invoice,
        context: &crate::Context,
    ) -> crate::Evaluation {
        crate::evaluate(self, invoice, context)
    }

    /// A sensible department-wide default using every kind. Defaults (ids and reason codes):
    ///
    /// | id | kind and parameters | action | code |
    /// |---|---|---|---|
    /// | line-arithmetic | tolerance 0.01 | AutoAdjust | BG-ARITH-01 |
    /// | invoice-arithmetic | tolerance 0.01 | RejectInvoice | BG-ARITH-02 |
    /// | tax | tolerance 0.01, any rate | Flag | BG-TAX-01 |
    /// | duplicate-invoice | — | RejectInvoice | BG-DUP-01 |
    /// | duplicate-line | with history | RejectLine | BG-DUP-02 |
    /// | near-duplicate-line | Jaccard ≥ 0.7 on 2-word shingles, ±0.5 h, with history | Flag | BG-DUP-03 |
    /// | unknown-matter | — | RejectInvoice | BG-MAT-01 |
    /// | matter-not-billable | billable: open | RejectLine | BG-MAT-02 |
    /// | vendor-not-assigned | — | RejectInvoice | BG-MAT-03 |
    /// | outside-period | — | RejectLine | BG-DATE-01 |
    /// | future-dated | — | RejectLine | BG-DATE-02 |
    /// | late-billing | 90 days | RejectLine | BG-DATE-03 |
    /// | late-submission | 60 days after period end | Flag | BG-DATE-04 |
    /// | unapproved-timekeeper | classification checked | RejectLine | BG-TK-01 |
    /// | disallowed-classification | legal assistant, clerk | RejectLine | BG-TK-02 |
    /// | rate-above-approved | — | AutoAdjust | BG-RATE-01 |
    /// | rate-above-cap | caps from context | AutoAdjust | BG-RATE-02 |
    /// | unapproved-rate-increase | — | AutoAdjust | BG-RATE-03 |
    /// | time-increment | 0.1 h | AutoAdjust | BG-TIME-01 |
    /// | max-entry-hours | 10 h | Flag | BG-TIME-02 |
    /// | daily-hours | 12 h | Flag | BG-TIME-03 |
    /// | block-billing | ≥ 2 tasks, any length, `;` | Flag | BG-NARR-01 |
    /// | vague-narrative | 8 phrases, ≥ 15 chars, ≥ 3 other words | Flag | BG-NARR-02 |
    /// | prohibited-terms | overtime, word processing, summer associate, … | RejectLine | BG-NARR-03 |
    /// | clerical-work | file, copy, scan, organize, schedule, calendar, bates, …; nobody exempt | RejectLine | BG-NARR-04 |
    /// | internal-conference | conference with associate, internal meeting, … | Flag | BG-CONF-01 |
    /// | multiple-attendees | > 2 attendees; A105, A106 | Flag | BG-CONF-02 |
    /// | disallowed-expenses | E103, E104, E105, E106, E108 | RejectLine | BG-EXP-01 |
    /// | expense-caps | E101 ≤ 0.10/page, E111 meals ≤ 75.00 | AutoAdjust | BG-EXP-02 |
    /// | premium-travel | first class, business class | Flag | BG-EXP-03 |
    /// | utbms-codes | task, activity and expense codes required | RejectLine | BG-CODE-01 |
    /// | budget-overrun | phases, 10 % tolerance | RouteToApprover role `attorney` | BG-BUD-01 |
    pub fn standard() -> GuidelineSet {
        let d = |s: &str| -> Decimal { s.parse().expect("literal decimal") };
        let strings = |v: &[&str]| -> Vec<String> { v.iter().map(|s| (*s).to_owned()).collect() };
        use Action::*;
        use RuleKind::*;
        let rules = vec![
            Rule::new("line-arithmetic", LineArithmetic { tolerance: d("0.01") }, AutoAdjust, "BG-ARITH-01")
                .describe("Each line total must equal units × rate + adjustment; we pay the lower figure."),
            Rule::new("invoice-arithmetic", InvoiceArithmetic { tolerance: d("0.01") }, RejectInvoice, "BG-ARITH-02")
                .describe("The invoice total must equal the sum of its lines and tax."),
            Rule::new("tax", Tax { tolerance: d("0.01"), allowed_rates: Vec::new() }, Flag, "BG-TAX-01")
                .describe("Tax on each line must equal the line total times its tax rate."),
            Rule::new("duplicate-invoice", DuplicateInvoiceNumber, RejectInvoice, "BG-DUP-01")
                .describe("Each invoice number may be used once."),
            Rule::new("duplicate-line", DuplicateLine { include_history: true }, RejectLine, "BG-DUP-02")
                .describe("The same work may be billed once."),
            Rule::new(
                "near-duplicate-line",
                NearDuplicateLine { threshold: d("0.7"), shingle_words: 2, units_tolerance: d("0.5"), include_history: true },
                Flag,
                "BG-DUP-03",
            )
            .describe("Entries that look like the same work billed twice are reviewed."),
            Rule::new("unknown-matter", UnknownMatter, RejectInvoice, "BG-MAT-01")
                .describe("Bill only matters the department has opened."),
            Rule::new("matter-not-billable", MatterNotBillable { billable: vec![MatterStatus::Open] }, RejectLine, "BG-MAT-02")
                .describe("Closed, on-hold and intake matters accept no new charges."),
            Rule::new("vendor-not-assigned", VendorNotAssigned, RejectInvoice, "BG-MAT-03")
                .describe("Bill only matters your firm is assigned to."),
            Rule::new("outside-period", OutsideBillingPeriod, RejectLine, "BG-DATE-01")
                .describe("Line dates must fall within the billing period."),
            Rule::new("future-dated", FutureDated, RejectLine, "BG-DATE-02")
                .describe("Work cannot be billed before it is done."),
            Rule::new("late-billing", LateBilling { max_days: 90 }, RejectLine, "BG-DATE-03")
                .describe("Time and expenses must be billed within 90 days."),
            Rule::new("late-submission", LateSubmission { max_days: 60 }, Flag, "BG-DATE-04")
                .describe("Invoices are due within 60 days of the end of the billing period."),
            Rule::new("unapproved-timekeeper", UnapprovedTimekeeper { check_classification: true }, RejectLine, "BG-TK-01")
                .describe("Only approved timekeepers, at their approved classification, may bill."),
            Rule::new(
                "disallowed-classification",
                DisallowedClassification { classifications: vec![Classification::LegalAssistant, Classification::Clerk] },
                RejectLine,
                "BG-TK-02",
            )
            .describe("Legal assistant and clerical staff time is overhead."),
            Rule::new("rate-above-approved", RateAboveApproved, AutoAdjust, "BG-RATE-01")
                .describe("Rates may not exceed the approved rate in force on the date of the work."),
            Rule::new("rate-above-cap", RateAboveCap, AutoAdjust, "BG-RATE-02")
                .describe("Rates may not exceed the cap for the timekeeper's classification."),
            Rule::new("unapproved-rate-increase", UnapprovedRateIncrease, AutoAdjust, "BG-RATE-03")
                .describe("Rate increases need prior approval."),
            Rule::new("time-increment", TimeIncrement { increment: d("0.1") }, AutoAdjust, "BG-TIME-01")
                .describe("Time is billed in tenths of an hour."),
            Rule::new("max-entry-hours", MaxEntryHours { max_hours: d("10") }, Flag, "BG-TIME-02")
                .describe("Single entries above 10 hours are reviewed."),
            Rule::new("daily-hours", DailyHours { max_hours: d("12") }, Flag, "BG-TIME-03")
                .describe("More than 12 hours a day across all matters is reviewed."),
            Rule::new(
                "block-billing",
                BlockBilling {
                    min_tasks: 2,
                    min_hours: Decimal::ZERO,
                    separators: strings(&[";"]),
                    task_verbs: strings(DEFAULT_TASK_VERBS),
                },
                Flag,
                "BG-NARR-01",
            )
            .describe("Each task is a separate entry with its own time."),
            Rule::new(
                "vague-narrative",
                VagueNarrative {
                    phrases: strings(&[
                        "review file", "attention to matter", "work on case", "research",
                        "follow up", "prepare for meeting", "review documents", "various matters",
                    ]),
                    min_length: 15,
                    min_other_words: 3,
                },
                Flag,
                "BG-NARR-02",
            )
            .describe("Narratives say what was done, on what, and why."),
            Rule::new(
                "prohibited-terms",
                ProhibitedTerms {
                    terms: strings(&[
                        "overtime", "word processing", "summer associate", "secretarial",
                        "training", "conflict check", "file opening", "billing inquiry",
                    ]),
                },
                RejectLine,
                "BG-NARR-03",
            )
            .describe("Overhead and training are not billable."),
            Rule::new(
                "clerical-work",
                ClericalWork {
                    terms: strings(&[
                        "file", "filing", "copy", "copies", "copying", "photocopy", "scan",
                        "scanning", "organize", "organizing", "schedule", "scheduling",
                        "calendar", "calendaring", "bates", "bates label", "index documents",
                    ]),
                    exempt: Vec::new(),
                },
                RejectLine,
                "BG-NARR-04",
            )
            .describe("Clerical tasks are overhead, whoever performs them."),
            Rule::new(
                "internal-conference",
                InternalConference {
                    phrases: strings(&[
                        "conference with associate", "conference with partner", "internal meeting",
                        "internal conference", "office conference", "intra office", "meet with associate",
                        "confer with associate", "confer with partner", "team meeting",
                    ]),
                },
                Flag,
                "BG-CONF-01",
            )
            .describe("Conferences between firm lawyers are not billable without approval."),
            Rule::new(
                "multiple-attendees",
                MultipleAttendees {
                    max_attendees: 2,
                    activity_codes: strings(&["A105", "A106"]),
                    meeting_words: strings(&["meeting", "meet", "conference", "confer", "call"]),
                },
                Flag,
                "BG-CONF-02",
            )
            .describe("At most two timekeepers may bill the same meeting or call."),
            Rule::new("disallowed-expenses", DisallowedExpenses { codes: strings(&["E103", "E104", "E105", "E106", "E108"]) }, RejectLine, "BG-EXP-01")
                .describe("Word processing, fax, telephone, online research and postage are overhead."),
            Rule::new(
                "expense-caps",
                ExpenseCaps {
                    caps: vec![
                        ExpenseCap { code: "E101".to_owned(), max_unit_cost: Some(d("0.10")), max_line_total: None },
                        ExpenseCap { code: "E111".to_owned(), max_unit_cost: None, max_line_total: Some(d("75.00")) },
                    ],
                },
                AutoAdjust,
                "BG-EXP-02",
            )
            .describe("Copying at most 0.10 a page; meals at most 75.00."),
            Rule::new("premium-travel", PremiumTravel { terms: strings(&["first class", "business class"]) }, Flag, "BG-EXP-03")
                .describe("Travel is reimbursed at economy fares."),
            Rule::new(
                "utbms-codes",
                UtbmsCodes { require_task: true, require_activity: true, require_expense: true },
                RejectLine,
                "BG-CODE-01",
            )
            .describe("Every line carries valid UTBMS codes."),
            Rule::new(
                "budget-overrun",
                BudgetOverrun { tolerance_percent: d("10"), phases: true },
                RouteToApprover { approver: Approver::Role("attorney".to_owned()) },
                "BG-BUD-01",
            )
            .describe("Invoices that take a matter or phase more than 10 % over budget need an attorney's approval."),
        ];
        GuidelineSet::new(rules).expect("the standard set is valid")
    }
}

/// Verbs that start a task in a narrative, used by the standard block-billing rule.
pub const DEFAULT_TASK_VERBS: &[&str] = &[
    "analyze",
    "analyse",
    "attend",
    "call",
    "confer",
    "correspond",
    "draft",
    "edit",
    "email",
    "finalize",
    "investigate",
    "meet",
    "negotiate",
    "prepare",
    "research",
    "review",
    "revise",
    "summarize",
    "telephone",
    "travel",
    "update",
    "write",
    "discuss",
    "outline",
    "argue",
    "interview",
    "depose",
    "respond",
];
