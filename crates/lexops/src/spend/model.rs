//! Spend domain types as stored and shown: vendors, timekeepers, rates, assignments, rate
//! requests, budgets, accruals, invoices, line items and flags. Amounts are `*_e4` integers
//! (see `money`).

use serde::{Deserialize, Serialize};

/// A law firm or other provider.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Vendor {
    pub id: i64,
    pub name: String,
    /// The firm's tax id as sent in LEDES (`LAW_FIRM_ID`).
    pub law_firm_id: String,
    /// active or inactive.
    pub status: String,
    pub offices: String,
    pub billing_contact: String,
    pub billing_email: String,
    /// ISO 4217 code of the firm's invoices.
    pub currency: String,
    pub created_at: String,
    pub updated_at: String,
}

impl Vendor {
    /// The vendor's fields as entered (for the edit form and the audit trail).
    pub fn input(&self) -> VendorInput {
        VendorInput {
            name: self.name.clone(),
            law_firm_id: self.law_firm_id.clone(),
            status: self.status.clone(),
            offices: self.offices.clone(),
            billing_contact: self.billing_contact.clone(),
            billing_email: self.billing_email.clone(),
            currency: self.currency.clone(),
        }
    }
}

/// What a person enters for a vendor.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct VendorInput {
    pub name: String,
    pub law_firm_id: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub offices: String,
    #[serde(default)]
    pub billing_contact: String,
    #[serde(default)]
    pub billing_email: String,
    #[serde(default)]
    pub currency: String,
}

/// A person at a vendor who bills time.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Timekeeper {
    pub id: i64,
    pub vendor_id: i64,
    /// The firm's timekeeper id (`TIMEKEEPER_ID`).
    pub code: String,
    pub name: String,
    /// LEDES classification code (PT, AS, PARTNR, …).
    pub classification: String,
    /// approved, pending or inactive.
    pub status: String,
    pub created_at: String,
}

/// An approved rate, in force from a date (and optionally to one), firm-wide or for one matter.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Rate {
    pub id: i64,
    pub timekeeper_id: i64,
    pub matter_id: Option<i64>,
    pub matter_number: Option<String>,
    pub rate_e4: i64,
    pub currency: String,
    pub effective_from: String,
    pub effective_to: Option<String>,
    pub created_at: String,
}

/// Which vendor works on which matter, under which ids.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Assignment {
    pub id: i64,
    pub matter_id: i64,
    pub matter_number: String,
    pub matter_name: String,
    pub vendor_id: i64,
    pub vendor_name: String,
    /// The department's matter id as the firm sends it (`CLIENT_MATTER_ID`).
    pub client_matter_id: String,
    /// The firm's own matter id (`LAW_FIRM_MATTER_ID`).
    pub firm_matter_id: String,
    pub starts_on: Option<String>,
    pub ends_on: Option<String>,
    /// active or ended.
    pub status: String,
}

/// A vendor's proposal of a new rate.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct RateRequest {
    pub id: i64,
    pub vendor_id: i64,
    pub vendor_name: String,
    pub timekeeper_id: i64,
    pub timekeeper_name: String,
    pub classification: String,
    pub matter_id: Option<i64>,
    pub rate_e4: i64,
    pub current_rate_e4: Option<i64>,
    pub currency: String,
    pub effective_from: String,
    pub reason: String,
    /// pending, approved or rejected.
    pub status: String,
    pub decision_note: String,
    pub created_at: String,
}

/// A budget line of a matter for a fiscal period: the total (`phase` empty) or a UTBMS phase.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Budget {
    pub id: i64,
    pub matter_id: i64,
    pub fiscal_period: String,
    pub phase: String,
    pub amount_e4: i64,
    pub currency: String,
}

/// A monthly estimate of work done and not yet billed.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Accrual {
    pub id: i64,
    pub matter_id: i64,
    pub matter_number: String,
    pub vendor_id: i64,
    pub vendor_name: String,
    /// YYYY-MM
    pub period: String,
    pub amount_e4: i64,
    pub currency: String,
    /// vendor or internal.
    pub source: String,
    pub note: String,
}

impl Accrual {
    /// The amount for people: `12,500.00`.
    pub fn amount(&self) -> String {
        super::money::format_e4(self.amount_e4)
    }
}

/// An invoice as stored.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Invoice {
    pub id: i64,
    pub vendor_id: i64,
    pub vendor_name: String,
    pub matter_id: i64,
    pub matter_number: String,
    pub matter_name: String,
    pub invoice_number: String,
    pub invoice_date: String,
    pub billing_start: String,
    pub billing_end: String,
    pub description: String,
    pub currency: String,
    pub total_e4: i64,
    pub adjusted_total_e4: i64,
    pub fees_e4: i64,
    pub expenses_e4: i64,
    pub line_count: i64,
    /// in_review, approved, rejected, returned or exported.
    pub status: String,
    pub format: String,
    pub version: i64,
    pub approval_step: i64,
    pub received_at: String,
    pub decided_at: Option<String>,
    pub exported_at: Option<String>,
    pub open_flags: i64,
}

impl Invoice {
    pub fn status_label(&self) -> &'static str {
        match self.status.as_str() {
            "in_review" => "In review",
            "approved" => "Approved",
            "rejected" => "Rejected",
            "returned" => "Returned to firm",
            "exported" => "Exported to AP",
            _ => "Unknown",
        }
    }
    pub fn status_badge(&self) -> &'static str {
        match self.status.as_str() {
            "in_review" => "badge badge-blue",
            "approved" => "badge badge-green",
            "rejected" => "badge badge-red",
            "returned" => "badge badge-amber",
            "exported" => "badge badge-indigo",
            _ => "badge badge-gray",
        }
    }
    pub fn savings_e4(&self) -> i64 {
        self.total_e4 - self.adjusted_total_e4
    }
}

/// A line item as stored.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct InvoiceLine {
    pub id: i64,
    pub invoice_id: i64,
    pub line_no: String,
    /// F, E, IF or IE.
    pub line_type: String,
    pub line_date: String,
    pub timekeeper_code: String,
    pub timekeeper_name: String,
    pub classification: String,
    pub task_code: String,
    pub activity_code: String,
    pub expense_code: String,
    pub narrative: String,
    pub units_e4: i64,
    pub rate_e4: i64,
    pub adjustment_e4: i64,
    pub total_e4: i64,
    pub adjusted_total_e4: i64,
    /// A reviewer's own adjustment of the line total, if any.
    pub manual_total_e4: Option<i64>,
    pub manual_reason: String,
    /// open, adjusted or rejected.
    pub status: String,
}

/// A guideline finding on an invoice or one of its lines.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct InvoiceFlag {
    pub id: i64,
    pub invoice_id: i64,
    pub line_id: Option<i64>,
    pub rule_id: String,
    pub rule_kind: String,
    pub action: String,
    /// The code the firm sees.
    pub reason_code: String,
    pub message: String,
    pub proposed_total_e4: Option<i64>,
    /// open, accepted, overridden, appealed, appeal_upheld or appeal_denied.
    pub state: String,
    pub note: String,
}
