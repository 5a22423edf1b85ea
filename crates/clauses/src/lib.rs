//! Clause finding on the CUAD taxonomy (41 categories of the Contract Understanding Atticus
//! Dataset).
//!
//! How it works: a contract's text is cut into candidate spans ([`spans`]: paragraphs,
//! sentences, dates and title phrases), each span is described by hashed features (its words and
//! word pairs, the words of its heading and of what comes just before it, its place in the
//! document, its kind and length), and one logistic-regression model per category gives each
//! candidate a probability ([`Model`]). The models are trained on the CUAD development split
//! ([`train`]) by `lexops cuad train` and shipped in `model/cuad.bin`; [`cuad`] reads a folder
//! laid out like CUAD and scores predictions the way CUAD's own evaluation does. Written here:
//! no crate does contract clause classification, and a general ML crate (linfa, smartcore)
//! would bring a linear-algebra stack for what is a sparse dot product and an SGD loop.

pub mod cuad;
pub mod features;
mod model;
pub mod normalise;
pub mod spans;

pub use model::{Finding, Model, ModelError, TrainDoc, TrainOptions, train};

/// The 41 CUAD categories, in the order of `master_clauses.csv`.
pub const CATEGORIES: [&str; 41] = [
    "Document Name",
    "Parties",
    "Agreement Date",
    "Effective Date",
    "Expiration Date",
    "Renewal Term",
    "Notice Period to Terminate Renewal",
    "Governing Law",
    "Most Favored Nation",
    "Competitive Restriction Exception",
    "Non-Compete",
    "Exclusivity",
    "No-Solicit of Customers",
    "No-Solicit of Employees",
    "Non-Disparagement",
    "Termination for Convenience",
    "Rofr/Rofo/Rofn",
    "Change of Control",
    "Anti-Assignment",
    "Revenue/Profit Sharing",
    "Price Restrictions",
    "Minimum Commitment",
    "Volume Restriction",
    "IP Ownership Assignment",
    "Joint IP Ownership",
    "License Grant",
    "Non-Transferable License",
    "Affiliate License-Licensor",
    "Affiliate License-Licensee",
    "Unlimited/All-You-Can-Eat-License",
    "Irrevocable or Perpetual License",
    "Source Code Escrow",
    "Post-Termination Services",
    "Audit Rights",
    "Uncapped Liability",
    "Cap on Liability",
    "Liquidated Damages",
    "Warranty Duration",
    "Insurance",
    "Covenant Not to Sue",
    "Third Party Beneficiary",
];

/// Index of `Parties`, the one category where CUAD also counts a prediction that contains the
/// labelled text.
pub const PARTIES: usize = 1;

/// A short stable key for a category (`governing_law`, `rofr_rofo_rofn`, …), for URLs and
/// database rows.
pub fn slug(category: usize) -> String {
    let mut s = String::new();
    for c in CATEGORIES[category].chars() {
        if c.is_ascii_alphanumeric() {
            s.push(c.to_ascii_lowercase());
        } else if !s.ends_with('_') {
            s.push('_');
        }
    }
    s.trim_end_matches('_').to_string()
}

/// The category for a slug.
pub fn category_of(slug_: &str) -> Option<usize> {
    (0..CATEGORIES.len()).find(|&i| slug(i) == slug_)
}

/// A clause found in a contract, ready to show: category, span, evidence text, confidence and
/// normalised answer.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Clause {
    pub category: &'static str,
    pub slug: String,
    pub start: usize,
    pub end: usize,
    pub text: String,
    pub confidence: f32,
    pub answer: Option<String>,
}

/// The best span of every category found with at least `min_confidence`, in text order.
pub fn find(text: &str, min_confidence: f32) -> Vec<Clause> {
    let mut out: Vec<Clause> = Model::builtin()
        .extract(text, 1, min_confidence)
        .into_iter()
        .map(|f| {
            let span = &text[f.start..f.end];
            Clause {
                category: CATEGORIES[f.category],
                slug: slug(f.category),
                start: f.start,
                end: f.end,
                text: span.to_string(),
                confidence: f.confidence,
                answer: normalise::answer(f.category, span),
            }
        })
        .collect();
    out.sort_by_key(|c| (c.start, c.slug.clone()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONTRACT: &str = "DISTRIBUTION AGREEMENT\n\nThis Distribution Agreement (the \"Agreement\") is made as of March 3, 2021 by and between Northwind Traders LLC, a Delaware limited liability company (\"Supplier\"), and Example Corp, a New York corporation (\"Distributor\").\n\n1. Appointment. Supplier appoints Distributor as its exclusive distributor of the Products in the Territory, and Supplier shall not appoint any other distributor in the Territory.\n\n2. Term. This Agreement shall commence on the Effective Date and continue for a period of three (3) years. Thereafter this Agreement shall automatically renew for successive one (1) year terms unless either party gives notice of non-renewal at least ninety (90) days before the end of the then-current term.\n\n3. Assignment. Neither party may assign this Agreement without the prior written consent of the other party, which shall not be unreasonably withheld.\n\n4. Audit. Supplier may, upon thirty (30) days' notice, audit the books and records of Distributor relating to sales of the Products once per calendar year.\n\n5. Insurance. Distributor shall maintain commercial general liability insurance with limits of not less than $2,000,000 per occurrence and shall name Supplier as an additional insured.\n\n6. Governing Law. This Agreement shall be governed by and construed in accordance with the laws of the State of New York, without regard to its conflict of laws principles.\n\nIN WITNESS WHEREOF, the parties have executed this Agreement as of the date first written above.";

    #[test]
    fn the_shipped_model_finds_the_clauses_of_a_contract_it_never_saw() {
        let m = Model::builtin();
        assert!(m.training_size() > 300, "{}", m.training_size());
        let found = find(CONTRACT, 0.3);
        let get = |slug_: &str| found.iter().find(|c| c.slug == slug_);
        let law = get("governing_law").expect("governing law found");
        assert!(
            law.text.contains("laws of the State of New York"),
            "{}",
            law.text
        );
        assert_eq!(law.answer.as_deref(), Some("New York"));
        let a = get("anti_assignment").expect("anti-assignment found");
        assert!(
            a.text.contains("without the prior written consent"),
            "{}",
            a.text
        );
        assert!(get("audit_rights").is_some(), "{found:#?}");
        assert!(get("insurance").is_some(), "{found:#?}");
        // Nothing about source code escrow or non-disparagement is in this contract.
        assert!(get("source_code_escrow").is_none());
        assert!(get("non_disparagement").is_none());
    }

    #[test]
    fn the_model_file_round_trips_and_bad_files_are_refused() {
        let m = Model::builtin();
        let again = Model::from_bytes(&m.to_bytes()).expect("reads back");
        assert_eq!(again.weights(), m.weights());
        assert!(matches!(
            Model::from_bytes(b"nonsense-and-more"),
            Err(ModelError::Header)
        ));
        let b = m.to_bytes();
        assert!(matches!(
            Model::from_bytes(&b[..b.len() / 2]),
            Err(ModelError::Truncated)
        ));
        assert_eq!(slug(16), "rofr_rofo_rofn");
        assert_eq!(category_of("governing_law"), Some(7));
    }
}
