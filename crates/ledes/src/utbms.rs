//! UTBMS code sets as data: task codes (litigation, counseling, bankruptcy, project), activity
//! codes, expense codes (ABA E-codes; the LOC 2013 revised X-codes by shape only), with
//! client-defined codes added at runtime.
//!
//! Sources, and how far each list is confirmed:
//!
//! - Litigation (L100–L530), activity (A101–A111) and expense (E101–E124) codes: checked name by
//!   name against ABA Section of Litigation, "Uniform Task-Based Management System – Litigation
//!   Code Set",
//!   <https://www.americanbar.org/groups/litigation/resources/uniform_task_based_management_system/litigation_code_set/>.
//!   All names match.
//! - Counseling (C100–C400): checked against ABA, "Counseling Code Set",
//!   <https://www.americanbar.org/groups/litigation/resources/uniform-task-based-management-system/counseling-code-set/>.
//! - Bankruptcy: B100 and B110–B190 checked against ABA, "Bankruptcy Code Set Description"
//!   (2018-10-02),
//!   <https://www.americanbar.org/groups/litigation/resources/uniform_task_based_management_system/aba-task-code-sets/lists-of-template-code-sets/bankruptcy-code-set-description-/>;
//!   the names of B140, B160, B170 and B185 follow that page (vendor copies shorten them to
//!   "Relief from Stay/Adequate Protection Proceedings", "Fee/Employment Applications",
//!   "Fee/Employment Objections", "Assumption/Rejection of Leases and Contracts"). B195 and the
//!   B200–B400 phases could not be read on the ABA page; they are as given by vendor copies
//!   (Rocket Matter "LEDES: Accepted Task, Activity, and Expense codes", CaseFox "UTBMS Codes"),
//!   which agree except on B230 ("Financing/Cash Collections" vs "… Collateral"; the former is
//!   kept) and B420 ("Restructuring"/"Restructurings").
//! - Project: P100, P200 and P210 checked against ABA, "Project Code Set",
//!   <https://www.americanbar.org/groups/litigation/resources/uniform-task-based-management-system/project-code-set/>
//!   (also <http://www.abanet.org/litigation/utbms/utbms_counseling_projectcode.html>); P220–P280
//!   and P300–P800 could not be read there and are as given by an independent public copy of the
//!   ABA lists (a LEDES database schema on GitHub), which matches this table exactly.
//! - LOC 2013 revised expense codes (X-codes): utbms.com, "LOC Revised Expense Codes"
//!   (<http://utbms.com/loc-revised-expense-codes/>) confirms that they begin with "X", that
//!   `X900`–`X998` are reserved for client customisation, and that the list is published as
//!   "2013 LOC Revised UTBMS Expense Codes Rev 1" (a download). That document was not available
//!   as text (searched: utbms.com and ledes.org pages, vendor help pages, GitHub code), so no
//!   individual X-code is listed here. Unless [`CodeSets::accept_unlisted_loc_expense_codes`] is
//!   switched off, any `X100`–`X899` is accepted by its shape; `X900`–`X998` are known only once
//!   added with [`CodeSets::add_client_code`].

use serde::Serialize;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Arc, OnceLock};

/// Which LEDES field a code belongs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum CodeKind {
    /// A phase (e.g. `L100`); accepted where a task code is expected.
    Phase,
    /// A task code: `LINE_ITEM_TASK_CODE`.
    Task,
    /// An activity code: `LINE_ITEM_ACTIVITY_CODE`.
    Activity,
    /// An expense code: `LINE_ITEM_EXPENSE_CODE`.
    Expense,
}

impl CodeKind {
    /// The LEDES field this kind of code goes in.
    pub fn field(self) -> &'static str {
        match self {
            CodeKind::Phase | CodeKind::Task => "LINE_ITEM_TASK_CODE",
            CodeKind::Activity => "LINE_ITEM_ACTIVITY_CODE",
            CodeKind::Expense => "LINE_ITEM_EXPENSE_CODE",
        }
    }
}

/// One code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Code {
    /// The code, e.g. `L110`.
    pub code: String,
    /// Its name, e.g. `Fact Investigation/Development`.
    pub name: String,
    /// A longer description (for tasks: the phase they belong to).
    pub description: String,
    /// Which field it belongs in.
    pub kind: CodeKind,
    /// The identifier of its code set, e.g. `litigation`, or `client` for client-defined codes.
    pub set: String,
    /// True for codes added with [`CodeSets::add_client_code`].
    pub client_defined: bool,
}

/// A versioned code set (metadata).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CodeSetInfo {
    /// Identifier, e.g. `litigation`.
    pub id: &'static str,
    /// Name, e.g. `UTBMS Litigation Code Set`.
    pub name: &'static str,
    /// Version of the list as bundled.
    pub version: &'static str,
    /// Where the list comes from.
    pub source: &'static str,
}

/// The code sets bundled with this crate.
pub const SETS: &[CodeSetInfo] = &[
    CodeSetInfo {
        id: "litigation",
        name: "UTBMS Litigation Code Set",
        version: "ABA",
        source: "americanbar.org, Section of Litigation, Litigation Code Set (all codes checked)",
    },
    CodeSetInfo {
        id: "counseling",
        name: "UTBMS Counseling Code Set",
        version: "ABA",
        source: "americanbar.org, Counseling Code Set (all codes checked)",
    },
    CodeSetInfo {
        id: "bankruptcy",
        name: "UTBMS Bankruptcy Code Set",
        version: "ABA",
        source: "americanbar.org, Bankruptcy Code Set Description (B100-B190 checked; B195-B420 from vendor copies)",
    },
    CodeSetInfo {
        id: "project",
        name: "UTBMS Project Code Set",
        version: "ABA",
        source: "americanbar.org, Project Code Set (P100-P210 checked; P220-P800 from a public copy)",
    },
    CodeSetInfo {
        id: "activity",
        name: "UTBMS Activity Codes",
        version: "ABA",
        source: "americanbar.org, Section of Litigation, Litigation Code Set (all codes checked)",
    },
    CodeSetInfo {
        id: "expense",
        name: "UTBMS Expense Codes",
        version: "ABA",
        source: "americanbar.org, Section of Litigation, Litigation Code Set (all codes checked)",
    },
    CodeSetInfo {
        id: "loc-expense",
        name: "LOC Revised Expense Codes (X-codes)",
        version: "LOC 2013 Rev 1 (codes not bundled; X900-X998 client-defined)",
        source: "utbms.com, LOC Revised Expense Codes (list not available as text)",
    },
];

type Raw = (&'static str, &'static str);

const LITIGATION: &[(Raw, &[Raw])] = &[
    (
        ("L100", "Case Assessment, Development and Administration"),
        &[
            ("L110", "Fact Investigation/Development"),
            ("L120", "Analysis/Strategy"),
            ("L130", "Experts/Consultants"),
            ("L140", "Document/File Management"),
            ("L150", "Budgeting"),
            ("L160", "Settlement/Non-Binding ADR"),
            (
                "L190",
                "Other Case Assessment, Development and Administration",
            ),
        ],
    ),
    (
        ("L200", "Pre-Trial Pleadings and Motions"),
        &[
            ("L210", "Pleading"),
            ("L220", "Preliminary Injunctions/Provisional Remedies"),
            ("L230", "Court Mandated Conferences"),
            ("L240", "Dispositive Motions"),
            ("L250", "Other Written Motions and Submissions"),
            ("L260", "Class Action Certification and Notice"),
        ],
    ),
    (
        ("L300", "Discovery"),
        &[
            ("L310", "Written Discovery"),
            ("L320", "Document Production"),
            ("L330", "Depositions"),
            ("L340", "Expert Discovery"),
            ("L350", "Discovery Motions"),
            ("L390", "Other Discovery"),
        ],
    ),
    (
        ("L400", "Trial Preparation and Trial"),
        &[
            ("L410", "Fact Witnesses"),
            ("L420", "Expert Witnesses"),
            ("L430", "Written Motions and Submissions"),
            ("L440", "Other Trial Preparation and Support"),
            ("L450", "Trial and Hearing Attendance"),
            ("L460", "Post-Trial Motions and Submissions"),
            ("L470", "Enforcement"),
        ],
    ),
    (
        ("L500", "Appeal"),
        &[
            ("L510", "Appellate Motions and Submissions"),
            ("L520", "Appellate Briefs"),
            ("L530", "Oral Argument"),
        ],
    ),
];

const BANKRUPTCY: &[(Raw, &[Raw])] = &[
    (
        ("B100", "Administration"),
        &[
            ("B110", "Case Administration"),
            ("B120", "Asset Analysis and Recovery"),
            ("B130", "Asset Disposition"),
            (
                "B140",
                "Relief from Stay and Adequate Protection Proceedings",
            ),
            ("B150", "Meetings of and Communications with Creditors"),
            ("B160", "Employment and Fee Applications"),
            ("B170", "Employment and Fee Application Objections"),
            ("B180", "Avoidance Action Analysis"),
            ("B185", "Assumption and Rejection of Leases and Contracts"),
            (
                "B190",
                "Other Contested Matters (excluding assumption/rejection motions)",
            ),
            ("B195", "Non-Working Travel"),
        ],
    ),
    (
        ("B200", "Operations"),
        &[
            ("B210", "Business Operations"),
            ("B220", "Employee Benefits/Pensions"),
            ("B230", "Financing/Cash Collections"),
            ("B240", "Tax Issues"),
            ("B250", "Real Estate"),
            ("B260", "Board of Directors Matters"),
        ],
    ),
    (
        ("B300", "Claims and Plan"),
        &[
            ("B310", "Claims Administration and Objections"),
            (
                "B320",
                "Plan and Disclosure Statement (including Business Plan)",
            ),
        ],
    ),
    (
        ("B400", "Bankruptcy-Related Advice"),
        &[
            ("B410", "General Bankruptcy Advice/Opinions"),
            ("B420", "Restructuring"),
        ],
    ),
];

// The counseling set has a single level: each code is both phase and task.
const COUNSELING: &[Raw] = &[
    ("C100", "Fact Gathering"),
    ("C200", "Researching Law"),
    ("C300", "Analysis and Advice"),
    ("C400", "Third Party Communication"),
];

// In the project set only P200 has sub-tasks; the other phases are used as tasks.
const PROJECT: &[(Raw, &[Raw])] = &[
    (("P100", "Project Administration"), &[]),
    (
        ("P200", "Fact Gathering/Due Diligence"),
        &[
            ("P210", "Corporate Review"),
            ("P220", "Tax"),
            ("P230", "Environmental"),
            ("P240", "Real and Personal Property"),
            ("P250", "Employee/Labor"),
            ("P260", "Intellectual Property"),
            ("P270", "Regulatory Reviews"),
            ("P280", "Other"),
        ],
    ),
    (("P300", "Structure/Strategy/Analysis"), &[]),
    (("P400", "Initial Document Preparation/Filing"), &[]),
    (("P500", "Negotiation/Revision/Responses"), &[]),
    (("P600", "Completion/Closing"), &[]),
    (("P700", "Post-Completion/Post-Closing"), &[]),
    (("P800", "Maintenance and Renewal"), &[]),
];

const ACTIVITIES: &[Raw] = &[
    ("A101", "Plan and prepare for"),
    ("A102", "Research"),
    ("A103", "Draft/revise"),
    ("A104", "Review/analyze"),
    ("A105", "Communicate (in firm)"),
    ("A106", "Communicate (with client)"),
    ("A107", "Communicate (other outside counsel)"),
    ("A108", "Communicate (other external)"),
    ("A109", "Appear for/attend"),
    ("A110", "Manage data/files"),
    ("A111", "Other"),
];

const EXPENSES: &[Raw] = &[
    ("E101", "Copying"),
    ("E102", "Outside printing"),
    ("E103", "Word processing"),
    ("E104", "Facsimile"),
    ("E105", "Telephone"),
    ("E106", "Online research"),
    ("E107", "Delivery services/messengers"),
    ("E108", "Postage"),
    ("E109", "Local travel"),
    ("E110", "Out-of-town travel"),
    ("E111", "Meals"),
    ("E112", "Court fees"),
    ("E113", "Subpoena fees"),
    ("E114", "Witness fees"),
    ("E115", "Deposition transcripts"),
    ("E116", "Trial transcripts"),
    ("E117", "Trial exhibits"),
    ("E118", "Litigation support vendors"),
    ("E119", "Experts"),
    ("E120", "Private investigators"),
    ("E121", "Arbitrators/mediators"),
    ("E122", "Local counsel"),
    ("E123", "Other professionals"),
    ("E124", "Other"),
];

/// FNV-1a: codes are short, so a simple hasher beats SipHash by a wide margin on the hot path.
#[derive(Default)]
struct Fnv(u64);
impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

/// The error of adding a client-defined code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    /// Empty, too long (over 20 characters, the LEDES field length) or containing `|`.
    #[error("client code {0:?} must be 1 to 20 characters without '|'")]
    Invalid(String),
    /// The code is a standard UTBMS code and cannot be redefined.
    #[error("{0} is a standard UTBMS code and cannot be redefined")]
    Standard(String),
}

/// A registry of known codes: the standard sets plus client-defined codes.
///
/// ```
/// use ledes::utbms::{CodeKind, CodeSets};
/// let mut sets = CodeSets::standard();
/// assert!(sets.is_known("L110"));
/// assert_eq!(sets.lookup("E101").unwrap().name, "Copying");
/// assert!(!sets.is_known("X901"));
/// sets.add_client_code("X901", CodeKind::Expense, "Secure shredding", "Client-defined").unwrap();
/// assert!(sets.is_known("X901"));
/// assert!(sets.lookup("X901").unwrap().client_defined);
/// ```
#[derive(Debug, Clone)]
pub struct CodeSets {
    codes: HashMap<Box<str>, Code, BuildHasherDefault<Fnv>>,
    /// Accept `X100`–`X899` (LOC 2013 revised expense codes) by their shape, because the list is
    /// not bundled. On by default.
    pub accept_unlisted_loc_expense_codes: bool,
}

impl Default for CodeSets {
    fn default() -> Self {
        CodeSets::standard()
    }
}

impl CodeSets {
    /// An empty registry (no code is known).
    pub fn empty() -> CodeSets {
        CodeSets {
            codes: HashMap::default(),
            accept_unlisted_loc_expense_codes: false,
        }
    }

    /// The standard UTBMS sets.
    pub fn standard() -> CodeSets {
        shared_standard().as_ref().clone()
    }

    fn build_standard() -> CodeSets {
        let mut s = CodeSets::empty();
        s.accept_unlisted_loc_expense_codes = true;
        let mut add = |set: &str, kind: CodeKind, (code, name): Raw, desc: String| {
            s.codes.insert(
                code.into(),
                Code {
                    code: code.to_string(),
                    name: name.to_string(),
                    description: desc,
                    kind,
                    set: set.to_string(),
                    client_defined: false,
                },
            );
        };
        for (set, phases) in [
            ("litigation", LITIGATION),
            ("bankruptcy", BANKRUPTCY),
            ("project", PROJECT),
        ] {
            for (phase, tasks) in phases {
                let kind = if tasks.is_empty() {
                    CodeKind::Task
                } else {
                    CodeKind::Phase
                };
                add(set, kind, *phase, format!("Phase {} {}", phase.0, phase.1));
                for t in *tasks {
                    add(
                        set,
                        CodeKind::Task,
                        *t,
                        format!("Task in phase {} {}", phase.0, phase.1),
                    );
                }
            }
        }
        for c in COUNSELING {
            add("counseling", CodeKind::Task, *c, "Counseling task".into());
        }
        for c in ACTIVITIES {
            add("activity", CodeKind::Activity, *c, "Activity".into());
        }
        for c in EXPENSES {
            add("expense", CodeKind::Expense, *c, "Expense".into());
        }
        s
    }

    /// Metadata of the bundled sets.
    pub fn sets() -> &'static [CodeSetInfo] {
        SETS
    }

    /// True when the code is listed, client-defined, or an accepted LOC X-code.
    pub fn is_known(&self, code: &str) -> bool {
        self.kind_of(code).is_some()
    }

    /// The code's entry, when listed or client-defined.
    pub fn lookup(&self, code: &str) -> Option<&Code> {
        self.codes.get(code)
    }

    /// Which field the code belongs in, if it is known.
    pub fn kind_of(&self, code: &str) -> Option<CodeKind> {
        if let Some(c) = self.codes.get(code) {
            return Some(c.kind);
        }
        if self.accept_unlisted_loc_expense_codes && is_loc_x_shape(code) {
            return Some(CodeKind::Expense);
        }
        None
    }

    /// Adds (or replaces) a client-defined code, e.g. an `X900`–`X998` expense code or a client's
    /// own task code.
    pub fn add_client_code(
        &mut self,
        code: &str,
        kind: CodeKind,
        name: &str,
        description: &str,
    ) -> Result<(), CodeError> {
        let code = code.trim();
        if code.is_empty() || code.len() > 20 || code.contains('|') {
            return Err(CodeError::Invalid(code.to_string()));
        }
        if self.codes.get(code).is_some_and(|c| !c.client_defined) {
            return Err(CodeError::Standard(code.to_string()));
        }
        self.codes.insert(
            code.into(),
            Code {
                code: code.to_string(),
                name: name.to_string(),
                description: description.to_string(),
                kind,
                set: "client".to_string(),
                client_defined: true,
            },
        );
        Ok(())
    }

    /// All known codes of one kind, sorted by code.
    pub fn codes_of(&self, kind: CodeKind) -> Vec<&Code> {
        let mut v: Vec<&Code> = self.codes.values().filter(|c| c.kind == kind).collect();
        v.sort_by(|a, b| a.code.cmp(&b.code));
        v
    }
}

/// `X100`–`X899`: the LOC revised expense codes outside the client range.
fn is_loc_x_shape(code: &str) -> bool {
    let b = code.as_bytes();
    b.len() == 4
        && b[0] == b'X'
        && b[1..].iter().all(u8::is_ascii_digit)
        && (b'1'..=b'8').contains(&b[1])
}

pub(crate) fn shared_standard() -> &'static Arc<CodeSets> {
    static STANDARD: OnceLock<Arc<CodeSets>> = OnceLock::new();
    STANDARD.get_or_init(|| Arc::new(CodeSets::build_standard()))
}

/// Task codes of the litigation set (used by the generator).
pub(crate) fn litigation_tasks() -> impl Iterator<Item = &'static str> {
    LITIGATION
        .iter()
        .flat_map(|(_, tasks)| tasks.iter().map(|t| t.0))
}

/// Activity codes (used by the generator).
pub(crate) fn activity_codes() -> impl Iterator<Item = &'static str> {
    ACTIVITIES.iter().map(|t| t.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_sets_are_complete() {
        let s = CodeSets::standard();
        assert_eq!(s.codes_of(CodeKind::Activity).len(), 11);
        assert_eq!(s.codes_of(CodeKind::Expense).len(), 24);
        for c in [
            "L100", "L190", "L260", "L390", "L470", "L530", "B195", "C400", "P280", "P800",
        ] {
            assert!(s.is_known(c), "{c}");
        }
        for c in ["L170", "A112", "E125", "X900", "X998", "X99", "x101"] {
            assert!(!s.is_known(c), "{c}");
        }
        assert_eq!(s.kind_of("X101"), Some(CodeKind::Expense));
        assert_eq!(s.kind_of("L100"), Some(CodeKind::Phase));
        assert_eq!(s.kind_of("P300"), Some(CodeKind::Task));
    }

    /// Code → name pairs as printed on the ABA pages cited in the module documentation.
    #[test]
    fn names_match_the_aba_lists() {
        let s = CodeSets::standard();
        for (code, name) in [
            ("L100", "Case Assessment, Development and Administration"),
            ("L120", "Analysis/Strategy"),
            ("L210", "Pleading"),
            ("L450", "Trial and Hearing Attendance"),
            ("L530", "Oral Argument"),
            ("A101", "Plan and prepare for"),
            ("A106", "Communicate (with client)"),
            ("A111", "Other"),
            ("E101", "Copying"),
            ("E107", "Delivery services/messengers"),
            ("E118", "Litigation support vendors"),
            ("E124", "Other"),
            ("C300", "Analysis and Advice"),
            ("C400", "Third Party Communication"),
            ("B110", "Case Administration"),
            (
                "B140",
                "Relief from Stay and Adequate Protection Proceedings",
            ),
            ("B160", "Employment and Fee Applications"),
            ("B170", "Employment and Fee Application Objections"),
            ("B185", "Assumption and Rejection of Leases and Contracts"),
            (
                "B190",
                "Other Contested Matters (excluding assumption/rejection motions)",
            ),
            ("P100", "Project Administration"),
            ("P200", "Fact Gathering/Due Diligence"),
            ("P210", "Corporate Review"),
        ] {
            assert_eq!(
                s.lookup(code).map(|c| c.name.as_str()),
                Some(name),
                "{code}"
            );
        }
        assert_eq!(s.codes_of(CodeKind::Activity).len(), 11);
        assert_eq!(s.codes_of(CodeKind::Expense).len(), 24);
        let count = |p: char| s.codes.keys().filter(|k| k.starts_with(p)).count();
        // L100–L500 phases and 29 tasks; C100–C400; B100–B400 phases and 21 tasks; P100–P800
        // and P210–P280.
        assert_eq!(count('L'), 34);
        assert_eq!(count('C'), 4);
        assert_eq!(count('B'), 25);
        assert_eq!(count('P'), 16);
    }

    #[test]
    fn client_codes() {
        let mut s = CodeSets::standard();
        assert!(s.add_client_code("L110", CodeKind::Task, "x", "").is_err());
        assert!(s.add_client_code("", CodeKind::Task, "x", "").is_err());
        s.add_client_code("X950", CodeKind::Expense, "Courier", "")
            .unwrap();
        s.add_client_code("X950", CodeKind::Expense, "Courier (updated)", "")
            .unwrap();
        assert_eq!(s.lookup("X950").unwrap().name, "Courier (updated)");
    }
}
