//! The typed domain model every format reads into and writes from: invoices, line items,
//! timekeeper classifications, parties. Money is exact (`rust_decimal::Decimal`), never float.

use crate::Date;
use rust_decimal::Decimal;
use serde::Serialize;

/// The kind of a line item: LEDES field `EXP/FEE/INV_ADJ_TYPE`.
///
/// ```
/// use ledes::LineType;
/// assert_eq!(LineType::from_code("if"), Some(LineType::FeeAdjustment));
/// assert_eq!(LineType::Expense.code(), "E");
/// assert!(LineType::FeeAdjustment.is_adjustment());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum LineType {
    /// `F`: a fee, work by a timekeeper.
    Fee,
    /// `E`: an expense (disbursement).
    Expense,
    /// `IF`: an invoice-level adjustment to fees (discount, retainer, write-off).
    FeeAdjustment,
    /// `IE`: an invoice-level adjustment to expenses.
    ExpenseAdjustment,
}

impl LineType {
    /// Reads the LEDES code, ignoring ASCII case.
    pub fn from_code(s: &str) -> Option<LineType> {
        match s.as_bytes() {
            [a] if a.eq_ignore_ascii_case(&b'F') => Some(LineType::Fee),
            [a] if a.eq_ignore_ascii_case(&b'E') => Some(LineType::Expense),
            [a, b] if a.eq_ignore_ascii_case(&b'I') && b.eq_ignore_ascii_case(&b'F') => {
                Some(LineType::FeeAdjustment)
            }
            [a, b] if a.eq_ignore_ascii_case(&b'I') && b.eq_ignore_ascii_case(&b'E') => {
                Some(LineType::ExpenseAdjustment)
            }
            _ => None,
        }
    }

    /// The LEDES code: `F`, `E`, `IF`, `IE`.
    pub fn code(self) -> &'static str {
        match self {
            LineType::Fee => "F",
            LineType::Expense => "E",
            LineType::FeeAdjustment => "IF",
            LineType::ExpenseAdjustment => "IE",
        }
    }

    /// True for `IF` and `IE`.
    pub fn is_adjustment(self) -> bool {
        matches!(self, LineType::FeeAdjustment | LineType::ExpenseAdjustment)
    }

    /// True for `F` and `IF`.
    pub fn is_fee_side(self) -> bool {
        matches!(self, LineType::Fee | LineType::FeeAdjustment)
    }
}

/// A timekeeper classification, unifying the two code sets seen in LEDES files: the original
/// two-letter 1998B codes (`PT`, `AS`, `OC`, `LA`, `OT`, and the common extensions `PL`, `LP`,
/// `CS`, `LI`) and the LOC revised six-letter codes (`PARTNR`, `ASSOC`, `OFCOUN`, `PARALG`,
/// `LGLAST`, …).
///
/// Source of the six-letter codes: LEDES Oversight Committee, "LOC Revised Timekeeper
/// Classification Codes" (2014; current document "LEDES Revised Timekeeper Classifications
/// Reference Document 6-2023 Upd"),
/// <https://ledes.org/loc-revised-timekeeper-classification-codes-august-2014/>. That reference
/// document (a download) could not be read while this was written. The 25 codes mapped here are
/// those that two independent public implementations agree on: a LEDES 1998B/98BI validator's
/// complete list of 51 six-letter codes, and a UTBMS table that gives the names (as used below)
/// and cites the 6-2023 reference document. The other 26 codes of that list (e.g. `ARBITR`,
/// `MEDITR`, `INVSTG`, `VIDOGR`) appear in one source only, without names, and are not mapped;
/// like any unknown code they are kept verbatim on the line item and produce a warning, never an
/// error. `NBOTHR` is read as [`Classification::Other`] (named "Other" in the one source that
/// names it) but never written, since the reference document's exact meaning could not be checked.
///
/// ```
/// use ledes::Classification;
/// assert_eq!(Classification::from_code("PT"), Some(Classification::Partner));
/// assert_eq!(Classification::from_code("partnr"), Some(Classification::Partner));
/// assert_eq!(Classification::from_code("LGLAST"), Some(Classification::LegalAssistant));
/// assert_eq!(Classification::from_code("LIBRRN"), Some(Classification::Librarian));
/// assert_eq!(Classification::Associate.loc_code(), "ASSOC");
/// assert_eq!(Classification::StaffAttorney.name(), "Staff Attorney");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Classification {
    /// Partner: `PARTNR`, `PT`.
    Partner,
    /// Associate: `ASSOC`, `AS`.
    Associate,
    /// Of Counsel: `OFCOUN`, `OC`.
    OfCounsel,
    /// Paralegal: `PARALG`, `PL`, `LP`.
    Paralegal,
    /// Legal Assistant: `LGLAST`, `LA`.
    LegalAssistant,
    /// Librarian: `LIBRRN`, `LI`.
    Librarian,
    /// Clerk or Secretary: `CLKSEC`, `CS`.
    ClerkOrSupport,
    /// Other timekeeper: `OT`, `NBOTHR`.
    Other,
    /// Associate Trainee: `TRANEE`.
    AssociateTrainee,
    /// Staff Attorney: `STFATT`.
    StaffAttorney,
    /// Contract Attorney: `TEMPAT`.
    ContractAttorney,
    /// Secondee: `SECNDE`.
    Secondee,
    /// Legal Intern: `LGLINT`.
    LegalIntern,
    /// Legal Project Manager: `LGPRMG`.
    LegalProjectManager,
    /// Analyst: `ANALST`.
    Analyst,
    /// Consultant: `CONSLT`.
    Consultant,
    /// Expert: `EXPERT`.
    Expert,
    /// Research Specialist / Researcher: `RSRCHR`.
    Researcher,
    /// Translator: `TRANSL`.
    Translator,
    /// High-Level Non-Lawyer Professional: `HLNLPF`.
    HighLevelNonLawyerProfessional,
    /// IP Agent: `IPAGNT`.
    IpAgent,
    /// Costs Counsel: `CSTCNS`.
    CostsCounsel,
    /// Contract Other Staff: `TEMPOS`.
    ContractOtherStaff,
    /// Flat / Fixed Fee: `FLTFEE`.
    FlatFee,
    /// Adjustment: `ADJSMT`.
    Adjustment,
}

impl Classification {
    /// Every classification, in the order of the LOC codes above.
    pub const ALL: &'static [Classification] = &[
        Classification::Partner,
        Classification::Associate,
        Classification::OfCounsel,
        Classification::Paralegal,
        Classification::LegalAssistant,
        Classification::Librarian,
        Classification::ClerkOrSupport,
        Classification::Other,
        Classification::AssociateTrainee,
        Classification::StaffAttorney,
        Classification::ContractAttorney,
        Classification::Secondee,
        Classification::LegalIntern,
        Classification::LegalProjectManager,
        Classification::Analyst,
        Classification::Consultant,
        Classification::Expert,
        Classification::Researcher,
        Classification::Translator,
        Classification::HighLevelNonLawyerProfessional,
        Classification::IpAgent,
        Classification::CostsCounsel,
        Classification::ContractOtherStaff,
        Classification::FlatFee,
        Classification::Adjustment,
    ];

    /// Maps a two-letter or six-letter code (ASCII case ignored).
    pub fn from_code(code: &str) -> Option<Classification> {
        let mut buf = [0u8; 8];
        let b = code.trim().as_bytes();
        if b.len() > buf.len() {
            return None;
        }
        for (i, c) in b.iter().enumerate() {
            buf[i] = c.to_ascii_uppercase();
        }
        Some(match &buf[..b.len()] {
            b"PT" | b"PARTNR" => Classification::Partner,
            b"AS" | b"ASSOC" => Classification::Associate,
            b"OC" | b"OFCOUN" => Classification::OfCounsel,
            b"PL" | b"LP" | b"PARALG" => Classification::Paralegal,
            b"LA" | b"LGLAST" => Classification::LegalAssistant,
            b"LI" | b"LIBRRN" => Classification::Librarian,
            b"CS" | b"CLKSEC" => Classification::ClerkOrSupport,
            b"OT" | b"NBOTHR" => Classification::Other,
            b"TRANEE" => Classification::AssociateTrainee,
            b"STFATT" => Classification::StaffAttorney,
            b"TEMPAT" => Classification::ContractAttorney,
            b"SECNDE" => Classification::Secondee,
            b"LGLINT" => Classification::LegalIntern,
            b"LGPRMG" => Classification::LegalProjectManager,
            b"ANALST" => Classification::Analyst,
            b"CONSLT" => Classification::Consultant,
            b"EXPERT" => Classification::Expert,
            b"RSRCHR" => Classification::Researcher,
            b"TRANSL" => Classification::Translator,
            b"HLNLPF" => Classification::HighLevelNonLawyerProfessional,
            b"IPAGNT" => Classification::IpAgent,
            b"CSTCNS" => Classification::CostsCounsel,
            b"TEMPOS" => Classification::ContractOtherStaff,
            b"FLTFEE" => Classification::FlatFee,
            b"ADJSMT" => Classification::Adjustment,
            _ => return None,
        })
    }

    /// The preferred code when writing: the LOC six-letter code where one is known, else the
    /// two-letter code (only [`Classification::Other`], written `OT`).
    pub fn loc_code(self) -> &'static str {
        match self {
            Classification::Partner => "PARTNR",
            Classification::Associate => "ASSOC",
            Classification::OfCounsel => "OFCOUN",
            Classification::Paralegal => "PARALG",
            Classification::LegalAssistant => "LGLAST",
            Classification::Librarian => "LIBRRN",
            Classification::ClerkOrSupport => "CLKSEC",
            Classification::Other => "OT",
            Classification::AssociateTrainee => "TRANEE",
            Classification::StaffAttorney => "STFATT",
            Classification::ContractAttorney => "TEMPAT",
            Classification::Secondee => "SECNDE",
            Classification::LegalIntern => "LGLINT",
            Classification::LegalProjectManager => "LGPRMG",
            Classification::Analyst => "ANALST",
            Classification::Consultant => "CONSLT",
            Classification::Expert => "EXPERT",
            Classification::Researcher => "RSRCHR",
            Classification::Translator => "TRANSL",
            Classification::HighLevelNonLawyerProfessional => "HLNLPF",
            Classification::IpAgent => "IPAGNT",
            Classification::CostsCounsel => "CSTCNS",
            Classification::ContractOtherStaff => "TEMPOS",
            Classification::FlatFee => "FLTFEE",
            Classification::Adjustment => "ADJSMT",
        }
    }

    /// The classification's name, as given with the LOC codes (see the type's documentation).
    pub fn name(self) -> &'static str {
        match self {
            Classification::Partner => "Partner",
            Classification::Associate => "Associate",
            Classification::OfCounsel => "Of Counsel",
            Classification::Paralegal => "Paralegal",
            Classification::LegalAssistant => "Legal Assistant",
            Classification::Librarian => "Librarian",
            Classification::ClerkOrSupport => "Clerk or Secretary",
            Classification::Other => "Other timekeeper",
            Classification::AssociateTrainee => "Associate Trainee",
            Classification::StaffAttorney => "Staff Attorney",
            Classification::ContractAttorney => "Contract Attorney",
            Classification::Secondee => "Secondee",
            Classification::LegalIntern => "Legal Intern",
            Classification::LegalProjectManager => "Legal Project Manager",
            Classification::Analyst => "Analyst",
            Classification::Consultant => "Consultant",
            Classification::Expert => "Expert",
            Classification::Researcher => "Research Specialist / Researcher",
            Classification::Translator => "Translator",
            Classification::HighLevelNonLawyerProfessional => "High-Level Non-Lawyer Professional",
            Classification::IpAgent => "IP Agent",
            Classification::CostsCounsel => "Costs Counsel",
            Classification::ContractOtherStaff => "Contract Other Staff",
            Classification::FlatFee => "Flat / Fixed Fee",
            Classification::Adjustment => "Adjustment",
        }
    }

    /// The original two-letter 1998B code. Classifications added by the LOC revision have no
    /// two-letter code and give `OT` (other timekeeper).
    pub fn legacy_code(self) -> &'static str {
        match self {
            Classification::Partner => "PT",
            Classification::Associate => "AS",
            Classification::OfCounsel => "OC",
            Classification::Paralegal => "PL",
            Classification::LegalAssistant => "LA",
            Classification::Librarian => "LI",
            Classification::ClerkOrSupport => "CS",
            Classification::Other => "OT",
            _ => "OT",
        }
    }
}

/// A law firm or client name and address (98BI `LAW_FIRM_*` / `CLIENT_*` fields, XML address
/// segments). Empty strings mean "not given".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Party {
    /// `LAW_FIRM_NAME` / `CLIENT_NAME`.
    pub name: String,
    /// `*_ADDRESS_1`.
    pub address_1: String,
    /// `*_ADDRESS_2`.
    pub address_2: String,
    /// `*_CITY`.
    pub city: String,
    /// `*_STATEorREGION`.
    pub state_or_region: String,
    /// `*_POSTCODE`.
    pub postcode: String,
    /// `*_COUNTRY`: ISO 3166 alpha-2 or alpha-3.
    pub country: String,
}

impl Party {
    /// True when no field is given.
    pub fn is_empty(&self) -> bool {
        self.name.is_empty()
            && self.address_1.is_empty()
            && self.address_2.is_empty()
            && self.city.is_empty()
            && self.state_or_region.is_empty()
            && self.postcode.is_empty()
            && self.country.is_empty()
    }
}

/// One invoice with its line items.
///
/// In the pipe formats, invoice-level fields are repeated on every line; the reader keeps the
/// values of the invoice's first line (as the 1998B specification says) and reports lines that
/// disagree.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Invoice {
    /// `INVOICE_NUMBER`.
    pub invoice_number: String,
    /// `INVOICE_DATE`.
    pub invoice_date: Date,
    /// `CLIENT_ID`: the law firm's code for the client.
    pub client_id: String,
    /// `LAW_FIRM_ID`: the firm's tax identifier.
    pub law_firm_id: String,
    /// `BILLING_START_DATE`.
    pub billing_start: Option<Date>,
    /// `BILLING_END_DATE`.
    pub billing_end: Option<Date>,
    /// `INVOICE_DESCRIPTION`.
    pub description: String,
    /// `INVOICE_TOTAL`: the sum of the line totals (tax included in 98BI).
    pub total: Decimal,
    /// 98BI `PO_NUMBER`.
    pub po_number: Option<String>,
    /// 98BI `CLIENT_TAX_ID`.
    pub client_tax_id: Option<String>,
    /// 98BI `INVOICE_TAX_TOTAL`.
    pub tax_total: Option<Decimal>,
    /// 98BI `INVOICE_NET_TOTAL` (= total − tax total).
    pub net_total: Option<Decimal>,
    /// 98BI `INVOICE_CURRENCY` (ISO 4217).
    pub currency: Option<String>,
    /// 98BI `ACCOUNT_TYPE`.
    pub account_type: Option<String>,
    /// 98BI `INVOICE_REPORTED_TAX_TOTAL`.
    pub reported_tax_total: Option<Decimal>,
    /// 98BI `INVOICE_TAX_CURRENCY`.
    pub tax_currency: Option<String>,
    /// 98BI `LAW_FIRM_NAME` and address.
    pub law_firm: Party,
    /// 98BI `CLIENT_NAME` and address.
    pub client: Party,
    /// The line items, in file order.
    pub line_items: Vec<LineItem>,
}

/// One line item (fee, expense, or invoice-level adjustment).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LineItem {
    /// `LINE_ITEM_NUMBER`, unique within the invoice.
    pub number: String,
    /// `EXP/FEE/INV_ADJ_TYPE`.
    pub line_type: LineType,
    /// `LINE_ITEM_DATE`.
    pub date: Date,
    /// `LINE_ITEM_NUMBER_OF_UNITS` (hours for fees).
    pub units: Option<Decimal>,
    /// `LINE_ITEM_UNIT_COST` (hourly rate for fees).
    pub unit_cost: Option<Decimal>,
    /// `LINE_ITEM_ADJUSTMENT_AMOUNT` (negative for a discount).
    pub adjustment: Option<Decimal>,
    /// `LINE_ITEM_TOTAL` = units × unit cost + adjustment (+ line tax in 98BI).
    pub total: Decimal,
    /// `LINE_ITEM_TASK_CODE` (UTBMS task, e.g. `L110`).
    pub task_code: Option<String>,
    /// `LINE_ITEM_EXPENSE_CODE` (UTBMS expense, e.g. `E101`).
    pub expense_code: Option<String>,
    /// `LINE_ITEM_ACTIVITY_CODE` (UTBMS activity, e.g. `A101`).
    pub activity_code: Option<String>,
    /// `TIMEKEEPER_ID`.
    pub timekeeper_id: Option<String>,
    /// `TIMEKEEPER_NAME`, "Last, First".
    pub timekeeper_name: Option<String>,
    /// `TIMEKEEPER_CLASSIFICATION` as written; see [`LineItem::classification`].
    pub timekeeper_classification: Option<String>,
    /// 98BI `TIMEKEEPER_LAST_NAME`.
    pub timekeeper_last_name: Option<String>,
    /// 98BI `TIMEKEEPER_FIRST_NAME`.
    pub timekeeper_first_name: Option<String>,
    /// `LINE_ITEM_DESCRIPTION`.
    pub description: String,
    /// `LAW_FIRM_MATTER_ID`.
    pub law_firm_matter_id: String,
    /// `CLIENT_MATTER_ID`.
    pub client_matter_id: Option<String>,
    /// 98BI `MATTER_NAME`.
    pub matter_name: Option<String>,
    /// 98BI `LINE_ITEM_TAX_RATE` (a fraction, e.g. `0.20`).
    pub tax_rate: Option<Decimal>,
    /// 98BI `LINE_ITEM_TAX_TOTAL`.
    pub tax_total: Option<Decimal>,
    /// 98BI `LINE_ITEM_TAX_TYPE`, e.g. `VAT`, `GST`.
    pub tax_type: Option<String>,
}

impl LineItem {
    /// The timekeeper classification, if the code is one this crate knows.
    pub fn classification(&self) -> Option<Classification> {
        self.timekeeper_classification
            .as_deref()
            .and_then(Classification::from_code)
    }

    /// True when the line carries any 98BI-only data (tax, names, matter name).
    pub fn has_international_data(&self) -> bool {
        self.tax_rate.is_some()
            || self.tax_total.is_some()
            || self.tax_type.is_some()
            || self.timekeeper_last_name.is_some()
            || self.timekeeper_first_name.is_some()
            || self.matter_name.is_some()
    }
}

impl Invoice {
    /// True when the invoice carries any 98BI-only data (tax, currency, parties, PO number…),
    /// which LEDES 1998B cannot represent.
    pub fn has_international_data(&self) -> bool {
        self.po_number.is_some()
            || self.client_tax_id.is_some()
            || self.tax_total.is_some()
            || self.net_total.is_some()
            || self.currency.is_some()
            || self.account_type.is_some()
            || self.reported_tax_total.is_some()
            || self.tax_currency.is_some()
            || !self.law_firm.is_empty()
            || !self.client.is_empty()
            || self.line_items.iter().any(LineItem::has_international_data)
    }

    /// The sum of the line totals.
    pub fn sum_of_lines(&self) -> Decimal {
        self.line_items.iter().map(|l| l.total).sum()
    }
}
