//! The fields of the pipe formats: names, order, and length limits.
//!
//! LEDES 1998B has 24 fields; LEDES 98BI V2 appends 28 (52 in all). Names and order are those of
//! the LEDES 1998B specification (field numbers 1–24, as reproduced by e-billing vendors) and the
//! 98BI V2 additional fields in the order listed by vendors converting 1998B to 98BI.

use crate::Severity;

/// Number of fields in LEDES 1998B.
pub const N_1998B: usize = 24;
/// Number of fields in LEDES 98BI V2.
pub const N_98BI: usize = 52;

/// Field names in file order (the first 24 are LEDES 1998B).
pub const NAMES: [&str; N_98BI] = [
    "INVOICE_DATE",
    "INVOICE_NUMBER",
    "CLIENT_ID",
    "LAW_FIRM_MATTER_ID",
    "INVOICE_TOTAL",
    "BILLING_START_DATE",
    "BILLING_END_DATE",
    "INVOICE_DESCRIPTION",
    "LINE_ITEM_NUMBER",
    "EXP/FEE/INV_ADJ_TYPE",
    "LINE_ITEM_NUMBER_OF_UNITS",
    "LINE_ITEM_ADJUSTMENT_AMOUNT",
    "LINE_ITEM_TOTAL",
    "LINE_ITEM_DATE",
    "LINE_ITEM_TASK_CODE",
    "LINE_ITEM_EXPENSE_CODE",
    "LINE_ITEM_ACTIVITY_CODE",
    "TIMEKEEPER_ID",
    "LINE_ITEM_DESCRIPTION",
    "LAW_FIRM_ID",
    "LINE_ITEM_UNIT_COST",
    "TIMEKEEPER_NAME",
    "TIMEKEEPER_CLASSIFICATION",
    "CLIENT_MATTER_ID",
    "PO_NUMBER",
    "CLIENT_TAX_ID",
    "MATTER_NAME",
    "INVOICE_TAX_TOTAL",
    "INVOICE_NET_TOTAL",
    "INVOICE_CURRENCY",
    "TIMEKEEPER_LAST_NAME",
    "TIMEKEEPER_FIRST_NAME",
    "ACCOUNT_TYPE",
    "LAW_FIRM_NAME",
    "LAW_FIRM_ADDRESS_1",
    "LAW_FIRM_ADDRESS_2",
    "LAW_FIRM_CITY",
    "LAW_FIRM_STATEorREGION",
    "LAW_FIRM_POSTCODE",
    "LAW_FIRM_COUNTRY",
    "CLIENT_NAME",
    "CLIENT_ADDRESS_1",
    "CLIENT_ADDRESS_2",
    "CLIENT_CITY",
    "CLIENT_STATEorREGION",
    "CLIENT_POSTCODE",
    "CLIENT_COUNTRY",
    "LINE_ITEM_TAX_RATE",
    "LINE_ITEM_TAX_TOTAL",
    "LINE_ITEM_TAX_TYPE",
    "INVOICE_REPORTED_TAX_TOTAL",
    "INVOICE_TAX_CURRENCY",
];

#[allow(missing_docs)]
pub mod idx {
    pub const INVOICE_DATE: usize = 0;
    pub const INVOICE_NUMBER: usize = 1;
    pub const CLIENT_ID: usize = 2;
    pub const LAW_FIRM_MATTER_ID: usize = 3;
    pub const INVOICE_TOTAL: usize = 4;
    pub const BILLING_START_DATE: usize = 5;
    pub const BILLING_END_DATE: usize = 6;
    pub const INVOICE_DESCRIPTION: usize = 7;
    pub const LINE_ITEM_NUMBER: usize = 8;
    pub const TYPE: usize = 9;
    pub const UNITS: usize = 10;
    pub const ADJUSTMENT: usize = 11;
    pub const LINE_ITEM_TOTAL: usize = 12;
    pub const LINE_ITEM_DATE: usize = 13;
    pub const TASK: usize = 14;
    pub const EXPENSE: usize = 15;
    pub const ACTIVITY: usize = 16;
    pub const TIMEKEEPER_ID: usize = 17;
    pub const LINE_ITEM_DESCRIPTION: usize = 18;
    pub const LAW_FIRM_ID: usize = 19;
    pub const UNIT_COST: usize = 20;
    pub const TIMEKEEPER_NAME: usize = 21;
    pub const CLASSIFICATION: usize = 22;
    pub const CLIENT_MATTER_ID: usize = 23;
    pub const PO_NUMBER: usize = 24;
    pub const CLIENT_TAX_ID: usize = 25;
    pub const MATTER_NAME: usize = 26;
    pub const INVOICE_TAX_TOTAL: usize = 27;
    pub const INVOICE_NET_TOTAL: usize = 28;
    pub const INVOICE_CURRENCY: usize = 29;
    pub const TK_LAST: usize = 30;
    pub const TK_FIRST: usize = 31;
    pub const ACCOUNT_TYPE: usize = 32;
    pub const LAW_FIRM_NAME: usize = 33;
    pub const CLIENT_NAME: usize = 40;
    pub const TAX_RATE: usize = 47;
    pub const LINE_TAX_TOTAL: usize = 48;
    pub const TAX_TYPE: usize = 49;
    pub const REPORTED_TAX_TOTAL: usize = 50;
    pub const TAX_CURRENCY: usize = 51;
}

/// The 98BI fields that describe the invoice (and so must be the same on every line).
pub(crate) const INVOICE_LEVEL_98BI: [usize; 23] = [
    24, 25, 27, 28, 29, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 50, 51, 26,
];

/// The maximum length of a field in characters, and how bad exceeding it is.
///
/// Identifier fields are `Character * 20` in the 1998B specification (error). Descriptions are
/// limited to 15 KB in vendor copies of the specification. The limits of `TIMEKEEPER_NAME` (30),
/// `TIMEKEEPER_CLASSIFICATION` (10), and the 98BI name and address fields (255, PO_NUMBER 100,
/// CLIENT_TAX_ID 20, MATTER_NAME 255) could not all be confirmed, so exceeding them is a warning.
pub(crate) fn max_len(i: usize) -> Option<(usize, Severity)> {
    use idx::*;
    Some(match i {
        INVOICE_NUMBER | CLIENT_ID | LAW_FIRM_MATTER_ID | LINE_ITEM_NUMBER | TASK | EXPENSE
        | ACTIVITY | TIMEKEEPER_ID | LAW_FIRM_ID | CLIENT_MATTER_ID => (20, Severity::Error),
        INVOICE_DESCRIPTION | LINE_ITEM_DESCRIPTION => (15 * 1024, Severity::Error),
        TIMEKEEPER_NAME => (30, Severity::Warning),
        CLASSIFICATION => (10, Severity::Warning),
        PO_NUMBER => (100, Severity::Warning),
        CLIENT_TAX_ID => (20, Severity::Warning),
        INVOICE_CURRENCY | TAX_CURRENCY => (3, Severity::Error),
        33..=46 | MATTER_NAME | TK_LAST | TK_FIRST | ACCOUNT_TYPE | TAX_TYPE => {
            (255, Severity::Warning)
        }
        _ => return None,
    })
}
