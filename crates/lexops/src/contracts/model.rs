//! Contract types, statuses, rows and inputs, and the checks on input (no database here).

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize};
use std::str::FromStr;

use crate::platform::error::FieldError;

/// Where a contract is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Draft,
    InReview,
    Negotiation,
    Approval,
    Signature,
    Executed,
    Expired,
    Terminated,
}

impl Status {
    pub const ALL: [Status; 8] = [
        Status::Draft,
        Status::InReview,
        Status::Negotiation,
        Status::Approval,
        Status::Signature,
        Status::Executed,
        Status::Expired,
        Status::Terminated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::InReview => "in_review",
            Status::Negotiation => "negotiation",
            Status::Approval => "approval",
            Status::Signature => "signature",
            Status::Executed => "executed",
            Status::Expired => "expired",
            Status::Terminated => "terminated",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::Draft => "Draft",
            Status::InReview => "In review",
            Status::Negotiation => "Negotiation",
            Status::Approval => "Approval",
            Status::Signature => "Signature",
            Status::Executed => "Executed",
            Status::Expired => "Expired",
            Status::Terminated => "Terminated",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        let k = s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        Status::ALL.into_iter().find(|x| x.as_str() == k)
    }

    /// The statuses a contract may move to from this one. Approval and execution have their
    /// own conditions on top (approvals complete, a signed copy), checked by the store.
    pub fn next(self) -> &'static [Status] {
        use Status::*;
        match self {
            Draft => &[InReview, Negotiation, Terminated],
            InReview => &[Draft, Negotiation, Approval, Terminated],
            Negotiation => &[InReview, Approval, Terminated],
            Approval => &[Negotiation, Signature, Terminated],
            Signature => &[Negotiation, Executed, Terminated],
            Executed => &[Expired, Terminated],
            Expired | Terminated => &[],
        }
    }

    /// Whether the contract is still being made (not executed, expired or terminated).
    pub fn in_progress(self) -> bool {
        !matches!(
            self,
            Status::Executed | Status::Expired | Status::Terminated
        )
    }

    /// CSS badge colour of the status.
    pub fn badge(self) -> &'static str {
        match self {
            Status::Draft => "badge-gray",
            Status::InReview | Status::Negotiation => "badge-blue",
            Status::Approval | Status::Signature => "badge-amber",
            Status::Executed => "badge-green",
            Status::Expired | Status::Terminated => "badge-gray",
        }
    }
}

/// A contract's counterparties: several are written in one field, separated by semicolons
/// or line breaks, and kept one row each in `contract_parties`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Parties(pub Vec<String>);

impl Parties {
    /// The parties written in `s` (blank ones dropped, spaces collapsed).
    pub fn parse(s: &str) -> Parties {
        Parties(
            s.split([';', '\n'])
                .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
                .filter(|p| !p.is_empty())
                .collect(),
        )
    }

    /// How a party's name is matched by the filter: spaces collapsed, lower-cased (any case,
    /// any alphabet — `contract_parties.name_key`).
    pub fn key(name: &str) -> String {
        name.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    }

    /// The one-text form stored in `contracts.counterparty`.
    pub fn joined(&self) -> String {
        self.0.join("; ")
    }
}

impl From<String> for Parties {
    fn from(s: String) -> Parties {
        Parties::parse(&s)
    }
}

/// A contract as lists and pages show it.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Contract {
    pub id: i64,
    pub number: String,
    pub title: String,
    pub type_code: String,
    pub type_name: String,
    pub status: String,
    pub status_at: String,
    /// The counterparties as one text, joined with "; ".
    pub counterparty: String,
    /// Each counterparty, in the order given.
    #[sqlx(try_from = "String")]
    #[schema(value_type = Vec<String>)]
    pub counterparties: Parties,
    pub our_entity: String,
    /// Exact value in minor units (cents) of `currency`.
    pub value_minor: Option<i64>,
    pub currency: String,
    pub effective_on: Option<String>,
    pub term_months: Option<i64>,
    pub expires_on: Option<String>,
    pub auto_renew: i64,
    pub renewal_months: Option<i64>,
    pub notice_days: Option<i64>,
    pub termination_notice_days: Option<i64>,
    pub termination_after_months: Option<i64>,
    pub option_from_days: Option<i64>,
    pub option_to_days: Option<i64>,
    pub governing_law: String,
    pub owner_id: Option<i64>,
    pub owner_name: Option<String>,
    pub requester_id: Option<i64>,
    pub requester_name: Option<String>,
    pub matter_id: Option<i64>,
    pub matter_number: Option<String>,
    pub parent_id: Option<i64>,
    pub parent_number: Option<String>,
    pub business_reason: String,
    pub locked: i64,
    pub created_at: String,
    pub updated_at: String,
    /// Search results only: the words around the matches in its versions' text (the page marks
    /// them; the API puts them between `[` and `]`).
    #[sqlx(skip)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snippet: Option<String>,
}

impl Contract {
    /// The contract's terms as the form holds them (owner e-mail left to the caller).
    pub fn to_input(&self) -> ContractInput {
        let n = |x: Option<i64>| x.map(|m| m.to_string()).unwrap_or_default();
        ContractInput {
            title: self.title.clone(),
            type_code: self.type_code.clone(),
            counterparty: self.counterparty.clone(),
            our_entity: self.our_entity.clone(),
            value: self.value_plain(),
            currency: self.currency.clone(),
            effective_on: self.effective_on.clone().unwrap_or_default(),
            term_months: n(self.term_months),
            expires_on: self.expires_on.clone().unwrap_or_default(),
            auto_renew: if self.auto_renew != 0 {
                "1".into()
            } else {
                String::new()
            },
            renewal_months: n(self.renewal_months),
            notice_days: n(self.notice_days),
            termination_notice_days: n(self.termination_notice_days),
            termination_after_months: n(self.termination_after_months),
            option_from_days: n(self.option_from_days),
            option_to_days: n(self.option_to_days),
            governing_law: self.governing_law.clone(),
            matter_number: self.matter_number.clone().unwrap_or_default(),
            parent_number: self.parent_number.clone().unwrap_or_default(),
            business_reason: self.business_reason.clone(),
            ..Default::default()
        }
    }

    /// The search snippet as HTML (text escaped, matches in `<mark>`).
    pub fn snippet_html(&self) -> Option<String> {
        self.snippet
            .as_deref()
            .map(crate::platform::search::snippet_html)
    }
    pub fn status(&self) -> Status {
        Status::parse(&self.status).unwrap_or(Status::Draft)
    }
    pub fn status_label(&self) -> &'static str {
        self.status().label()
    }
    pub fn badge(&self) -> &'static str {
        self.status().badge()
    }
    /// The value as people read it (`USD 250,000.00`), or "".
    pub fn value_text(&self) -> String {
        self.value_minor
            .map(|v| format!("{} {}", self.currency, money_text(v)))
            .unwrap_or_default()
    }
    /// The value as a plain decimal (`250000.00`) for forms and CSV.
    pub fn value_plain(&self) -> String {
        self.value_minor
            .map(|v| Decimal::new(v, 2).to_string())
            .unwrap_or_default()
    }
    pub fn is_locked(&self) -> bool {
        self.locked != 0
    }
}

/// `25000000` minor units → `250,000.00`.
pub fn money_text(minor: i64) -> String {
    drafting::template::format_amount(Decimal::new(minor, 2))
}

/// The SELECT every contract query starts from (`c` is the contract).
pub const SELECT: &str = "SELECT c.id, c.number, c.title, t.code AS type_code, t.name AS type_name, c.status, c.status_at, c.counterparty, c.counterparty AS counterparties, c.our_entity, \
    c.value_minor, c.currency, c.effective_on, c.term_months, c.expires_on, c.auto_renew, c.renewal_months, c.notice_days, c.termination_notice_days, c.termination_after_months, c.option_from_days, c.option_to_days, c.governing_law, \
    c.owner_id, ou.name AS owner_name, c.requester_id, ru.name AS requester_name, c.matter_id, m.number AS matter_number, \
    c.parent_id, pc.number AS parent_number, c.business_reason, c.locked, c.created_at, c.updated_at \
    FROM contracts c JOIN contract_types t ON t.id = c.type_id LEFT JOIN users ou ON ou.id = c.owner_id LEFT JOIN users ru ON ru.id = c.requester_id \
    LEFT JOIN matters m ON m.id = c.matter_id LEFT JOIN contracts pc ON pc.id = c.parent_id";

/// Accepts a JSON string, number or boolean (or nothing) as text, so API clients can send
/// `"value": 1200.5` and forms `value=1200.50`.
pub fn lenient<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    Ok(match v {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => s,
        serde_json::Value::Bool(b) => if b { "1" } else { "" }.into(),
        other => other.to_string(),
    })
}

/// A contract's fields as typed into the form or sent to the API.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct ContractInput {
    #[serde(default, deserialize_with = "lenient")]
    pub title: String,
    /// A contract type code (`nda`, `msa`, `sow`, `services`, …).
    #[serde(default, rename = "type", deserialize_with = "lenient")]
    pub type_code: String,
    #[serde(default, deserialize_with = "lenient")]
    pub counterparty: String,
    #[serde(default, deserialize_with = "lenient")]
    pub our_entity: String,
    /// Total value, a decimal with at most two places.
    #[serde(default, deserialize_with = "lenient")]
    pub value: String,
    /// ISO 4217 code; USD when empty.
    #[serde(default, deserialize_with = "lenient")]
    pub currency: String,
    /// YYYY-MM-DD
    #[serde(default, deserialize_with = "lenient")]
    pub effective_on: String,
    #[serde(default, deserialize_with = "lenient")]
    pub term_months: String,
    /// YYYY-MM-DD; computed from the effective date and term when empty.
    #[serde(default, deserialize_with = "lenient")]
    pub expires_on: String,
    /// `1`/`true` for a contract that renews itself unless notice is given.
    #[serde(default, deserialize_with = "lenient")]
    pub auto_renew: String,
    #[serde(default, deserialize_with = "lenient")]
    pub renewal_months: String,
    /// Days of notice needed to stop a renewal.
    #[serde(default, deserialize_with = "lenient")]
    pub notice_days: String,
    /// Termination for convenience: days of notice (empty: no such right).
    #[serde(default, deserialize_with = "lenient")]
    pub termination_notice_days: String,
    /// Termination for convenience may be used only this many months after the effective date.
    #[serde(default, deserialize_with = "lenient")]
    pub termination_after_months: String,
    /// An option (to extend, renew, purchase…) opens this many days before the current term ends…
    #[serde(default, deserialize_with = "lenient")]
    pub option_from_days: String,
    /// …and closes this many days before it ends.
    #[serde(default, deserialize_with = "lenient")]
    pub option_to_days: String,
    #[serde(default, deserialize_with = "lenient")]
    pub governing_law: String,
    /// The owner in legal (email); for a new contract, the least-loaded lawyer when empty.
    #[serde(default, deserialize_with = "lenient")]
    pub owner_email: String,
    /// The matter it belongs to (number): the matter's ethical wall then covers it.
    #[serde(default, deserialize_with = "lenient")]
    pub matter_number: String,
    /// The parent contract's number (an SOW's MSA, an amendment's contract).
    #[serde(default, deserialize_with = "lenient")]
    pub parent_number: String,
    #[serde(default, deserialize_with = "lenient")]
    pub business_reason: String,
}

/// A checked contract input.
#[derive(Clone, Debug, PartialEq)]
pub struct ValidContract {
    pub title: String,
    pub type_code: String,
    /// The counterparties joined with "; " (see [`Parties`]).
    pub counterparty: String,
    pub counterparties: Parties,
    pub our_entity: String,
    pub value_minor: Option<i64>,
    pub currency: String,
    pub effective_on: Option<jiff::civil::Date>,
    pub term_months: Option<i64>,
    pub expires_on: Option<jiff::civil::Date>,
    pub auto_renew: bool,
    pub renewal_months: Option<i64>,
    pub notice_days: Option<i64>,
    pub termination_notice_days: Option<i64>,
    pub termination_after_months: Option<i64>,
    pub option_from_days: Option<i64>,
    pub option_to_days: Option<i64>,
    pub governing_law: String,
    pub owner_email: Option<String>,
    pub matter_number: Option<String>,
    pub parent_number: Option<String>,
    pub business_reason: String,
}

fn text(
    errs: &mut Vec<FieldError>,
    field: &str,
    v: &str,
    max: usize,
    required: bool,
    what: &str,
) -> String {
    let t = v.split_whitespace().collect::<Vec<_>>().join(" ");
    if required && t.is_empty() {
        errs.push(FieldError::new(field, format!("Enter {what}.")));
    } else if t.chars().count() > max {
        errs.push(FieldError::new(field, format!("At most {max} characters.")));
    }
    t
}

fn whole(errs: &mut Vec<FieldError>, field: &str, v: &str, max: i64) -> Option<i64> {
    whole_in(errs, field, v, 1, max)
}

fn whole_in(errs: &mut Vec<FieldError>, field: &str, v: &str, min: i64, max: i64) -> Option<i64> {
    let v = v.trim();
    if v.is_empty() {
        return None;
    }
    match v.parse::<i64>() {
        Ok(n) if (min..=max).contains(&n) => Some(n),
        _ => {
            errs.push(FieldError::new(
                field,
                format!("Enter a whole number from {min} to {max}."),
            ));
            None
        }
    }
}

fn date(errs: &mut Vec<FieldError>, field: &str, v: &str) -> Option<jiff::civil::Date> {
    let v = v.trim();
    if v.is_empty() {
        return None;
    }
    match jiff::civil::Date::from_str(v) {
        Ok(d) => Some(d),
        Err(_) => {
            errs.push(FieldError::new(
                field,
                format!("`{v}` is not a date (YYYY-MM-DD)."),
            ));
            None
        }
    }
}

/// Parses an amount with at most two decimals into minor units.
pub fn parse_money(v: &str) -> Result<Option<i64>, String> {
    let cleaned: String = v
        .chars()
        .filter(|c| *c != ',' && !c.is_whitespace())
        .collect();
    if cleaned.is_empty() {
        return Ok(None);
    }
    let d = Decimal::from_str(&cleaned).map_err(|_| format!("`{v}` is not an amount."))?;
    if d.is_sign_negative() {
        return Err("The value cannot be negative.".into());
    }
    if d.scale() > 2 {
        return Err("At most two decimals.".into());
    }
    let minor = (d * Decimal::from(100)).trunc();
    i64::try_from(minor.mantissa() / 10i128.pow(minor.scale()))
        .map(Some)
        .map_err(|_| "The value is too large.".into())
}

/// The last day of a term of `months` starting on `start` (a 12-month term from 1 January ends
/// on 31 December).
pub fn term_end(start: jiff::civil::Date, months: i64) -> Option<jiff::civil::Date> {
    start
        .checked_add(jiff::Span::new().months(months))
        .ok()?
        .checked_sub(jiff::Span::new().days(1))
        .ok()
}

/// Checks a contract's input.
pub fn check(input: &ContractInput) -> Result<ValidContract, Vec<FieldError>> {
    let mut errs = vec![];
    let title = text(&mut errs, "title", &input.title, 300, true, "a title");
    let type_code = input.type_code.trim().to_ascii_lowercase();
    if type_code.is_empty() {
        errs.push(FieldError::new("type", "Choose a contract type."));
    }
    let counterparties = Parties::parse(&input.counterparty);
    if counterparties.0.len() > 20 {
        errs.push(FieldError::new(
            "counterparty",
            "At most 20 counterparties.",
        ));
    } else if counterparties.0.iter().any(|p| p.chars().count() > 300) {
        errs.push(FieldError::new(
            "counterparty",
            "At most 300 characters for each counterparty.",
        ));
    } else if let Some(twice) = counterparties.0.iter().enumerate().find_map(|(i, p)| {
        counterparties.0[..i]
            .iter()
            .any(|q| Parties::key(q) == Parties::key(p))
            .then_some(p)
    }) {
        errs.push(FieldError::new(
            "counterparty",
            format!("{twice} is named twice."),
        ));
    }
    let counterparty = counterparties.joined();
    let our_entity = text(&mut errs, "our_entity", &input.our_entity, 300, false, "");
    let value_minor = parse_money(&input.value)
        .map_err(|e| errs.push(FieldError::new("value", e)))
        .ok()
        .flatten();
    let currency = match input.currency.trim().to_ascii_uppercase() {
        c if c.is_empty() => "USD".to_string(),
        c if c.len() == 3 && c.chars().all(|x| x.is_ascii_uppercase()) => c,
        c => {
            errs.push(FieldError::new(
                "currency",
                format!("`{c}` is not a three-letter currency code."),
            ));
            c
        }
    };
    let effective_on = date(&mut errs, "effective_on", &input.effective_on);
    let term_months = whole(&mut errs, "term_months", &input.term_months, 1200);
    let mut expires_on = date(&mut errs, "expires_on", &input.expires_on);
    if expires_on.is_none()
        && let (Some(s), Some(m)) = (effective_on, term_months)
    {
        expires_on = term_end(s, m);
    }
    if let (Some(s), Some(e)) = (effective_on, expires_on)
        && e < s
    {
        errs.push(FieldError::new(
            "expires_on",
            "The expiry date is before the effective date.",
        ));
    }
    let auto_renew = matches!(
        input.auto_renew.trim().to_ascii_lowercase().as_str(),
        "1" | "true" | "on" | "yes"
    );
    let renewal_months = whole(&mut errs, "renewal_months", &input.renewal_months, 1200);
    let notice_days = whole(&mut errs, "notice_days", &input.notice_days, 3650);
    let termination_notice_days = whole(
        &mut errs,
        "termination_notice_days",
        &input.termination_notice_days,
        3650,
    );
    let termination_after_months = whole(
        &mut errs,
        "termination_after_months",
        &input.termination_after_months,
        1200,
    );
    if termination_after_months.is_some() && termination_notice_days.is_none() {
        errs.push(FieldError::new(
            "termination_notice_days",
            "Give the notice period of the termination for convenience.",
        ));
    }
    let option_from_days = whole(&mut errs, "option_from_days", &input.option_from_days, 3650);
    let option_to_days = whole_in(&mut errs, "option_to_days", &input.option_to_days, 0, 3650);
    match (option_from_days, option_to_days) {
        (Some(f), Some(t)) if t > f => errs.push(FieldError::new(
            "option_to_days",
            "The option closes before it opens: the closing day must be fewer days before the term ends than the opening day.",
        )),
        (Some(_), None) => errs.push(FieldError::new(
            "option_to_days",
            "Give the day the option closes (days before the term ends; 0 for the last day).",
        )),
        (None, Some(_)) => errs.push(FieldError::new(
            "option_from_days",
            "Give the day the option opens (days before the term ends).",
        )),
        _ => {}
    }
    if auto_renew && renewal_months.is_none() {
        errs.push(FieldError::new(
            "renewal_months",
            "An automatic renewal needs its renewal period.",
        ));
    }
    let governing_law = text(
        &mut errs,
        "governing_law",
        &input.governing_law,
        200,
        false,
        "",
    );
    let opt = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    let business_reason = input.business_reason.trim().to_string();
    if business_reason.chars().count() > 10_000 {
        errs.push(FieldError::new(
            "business_reason",
            "At most 10,000 characters.",
        ));
    }
    if errs.is_empty() {
        Ok(ValidContract {
            title,
            type_code,
            counterparty,
            counterparties,
            our_entity,
            value_minor,
            currency,
            effective_on,
            term_months,
            expires_on,
            auto_renew,
            renewal_months,
            notice_days,
            termination_notice_days,
            termination_after_months,
            option_from_days,
            option_to_days,
            governing_law,
            owner_email: opt(&input.owner_email).map(|e| e.to_lowercase()),
            matter_number: opt(&input.matter_number),
            parent_number: opt(&input.parent_number),
            business_reason,
        })
    } else {
        Err(errs)
    }
}

/// A version of a contract's document.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Version {
    pub id: i64,
    pub contract_id: i64,
    pub version: i64,
    pub sha256: String,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    /// generated, ours, counterparty, signed or attachment
    pub source: String,
    pub tracked_changes: i64,
    pub sent_at: Option<String>,
    pub template_id: Option<i64>,
    pub template_revision: Option<i64>,
    pub note: String,
    pub created_at: String,
    pub created_by: Option<i64>,
    pub created_by_name: Option<String>,
}

impl Version {
    pub fn source_label(&self) -> &'static str {
        source_label(&self.source)
    }
}

pub const SOURCES: [(&str, &str); 5] = [
    ("ours", "Our draft"),
    ("counterparty", "Counterparty's turn"),
    ("generated", "Generated from a template"),
    ("signed", "Signed copy"),
    ("attachment", "Request attachment"),
];

pub fn source_label(s: &str) -> &'static str {
    SOURCES
        .iter()
        .find(|(k, _)| *k == s)
        .map(|(_, l)| *l)
        .unwrap_or("Version")
}

pub const VERSION_SELECT: &str = "SELECT v.id, v.contract_id, v.version, v.sha256, v.filename, v.content_type, v.size, v.source, v.tracked_changes, \
    v.sent_at, v.template_id, v.template_revision, v.note, v.created_at, v.created_by, u.name AS created_by_name \
    FROM contract_versions v LEFT JOIN users u ON u.id = v.created_by";

/// A status change.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct StatusChange {
    pub from_status: Option<String>,
    pub to_status: String,
    pub note: String,
    pub at: String,
    pub by_name: Option<String>,
}

impl StatusChange {
    pub fn to_label(&self) -> &'static str {
        Status::parse(&self.to_status)
            .map(Status::label)
            .unwrap_or("")
    }
}

/// A comment on a contract (on one of its versions, if `version`).
#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Comment {
    pub id: i64,
    pub version: Option<i64>,
    pub body: String,
    pub created_at: String,
    pub author_name: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_exact_minor_units() {
        assert_eq!(parse_money("1,250,000.5"), Ok(Some(125_000_050)));
        assert_eq!(parse_money("0.01"), Ok(Some(1)));
        assert_eq!(parse_money(""), Ok(None));
        assert!(parse_money("1.005").is_err());
        assert!(parse_money("-5").is_err());
        assert!(parse_money("abc").is_err());
        assert_eq!(money_text(125_000_050), "1,250,000.50");
    }

    #[test]
    fn expiry_follows_from_the_term() {
        let i = ContractInput {
            title: "MSA".into(),
            type_code: "msa".into(),
            effective_on: "2027-01-01".into(),
            term_months: "12".into(),
            ..Default::default()
        };
        let v = check(&i).unwrap();
        assert_eq!(v.expires_on, Some(jiff::civil::date(2027, 12, 31)));
        let bad = ContractInput {
            auto_renew: "1".into(),
            expires_on: "2026-01-01".into(),
            ..i
        };
        let e = check(&bad).unwrap_err();
        let fields: Vec<&str> = e.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["expires_on", "renewal_months"]);
    }

    #[test]
    fn status_graph_ends_in_expired_or_terminated() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
            for n in s.next() {
                assert_ne!(*n, s);
            }
        }
        assert!(Status::Expired.next().is_empty());
        assert!(Status::Signature.next().contains(&Status::Executed));
        assert!(!Status::Draft.next().contains(&Status::Executed));
    }
}
