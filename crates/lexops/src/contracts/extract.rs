//! Metadata read out of an existing contract's text for the verification queue: the parties,
//! the effective date, the governing law, the term, automatic renewal, its period and the notice
//! period, each with the words it came from. Pattern rules (written here: no crate reads
//! contract terms); a person confirms or corrects every value.

use regex::Regex;
use std::sync::LazyLock;

/// One value found, with where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    /// counterparty, our_entity, effective_on, governing_law, term_months, auto_renew,
    /// renewal_months or notice_days.
    pub field: &'static str,
    pub value: String,
    /// The sentence around it.
    pub evidence: String,
    /// Character offsets of the match in the text.
    pub start: usize,
    pub end: usize,
}

fn number(word: &str) -> Option<i64> {
    clauses::normalise::number(word).map(i64::from)
}

fn date(s: &str) -> Option<String> {
    clauses::normalise::date(s)
}

fn sentence(text: &str, start: usize, end: usize) -> String {
    let from = text[..start].rfind(['.', '\n']).map(|i| i + 1).unwrap_or(0);
    let to = text[end..]
        .find(['.', '\n'])
        .map(|i| end + i + 1)
        .unwrap_or(text.len());
    let s: String = text[from..to].trim().chars().take(400).collect();
    s
}

static PARTIES: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\bbetween\s+\**([A-Z][^,;()\n*]{1,80}?)\**\s*(?:,[^,;\n]{0,80}?,?\s*|\([^)\n]{0,80}\)\s*)?and\s+\**([A-Z][^,;()\n*]{1,80}?)\**\s*(?:[,;(.]|$)").unwrap()
});
static EFFECTIVE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:dated|effective|made|entered\s+into)(?:\s+as\s+of|\s+on)?\s+(\d{4}-\d{2}-\d{2}|[A-Z][a-z]+\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}|\d{1,2}(?:st|nd|rd|th)?\s+[A-Z][a-z]+,?\s+\d{4})").unwrap()
});
static LAW: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\bgoverned\s+by(?:\s+and\s+construed\s+in\s+accordance\s+with)?\s+the\s+laws?\s+of\s+(?:the\s+(?:State|Commonwealth)\s+of\s+)?([A-Z][A-Za-z]+(?:\s+(?:and\s+)?[A-Z][A-Za-z]+){0,3})").unwrap()
});
static TERM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:initial\s+term|term)\b[^.\n]{0,60}?\b(?:is|of|for|be)\s+([a-z]+(?:-[a-z]+)?|\d+)\s*(?:\(\d+\)\s*)?(years?|months?)\b").unwrap()
});
static RENEW: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:renews?|renewed|renewal)\s+automatically|\bautomatically\s+renew(?:s|ed)?\b|\bauto-renew").unwrap()
});
static RENEW_PERIOD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\bsuccessive\s+(?:periods?\s+of\s+)?([a-z]+(?:-(?:one|two|three|four|five|six|seven|eight|nine))?|\d+)\s*(?:\(\d+\)\s*)?[- ]?(years?|months?)").unwrap()
});
static NOTICE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:at\s+least\s+)?([a-z]+(?:-(?:one|two|three|four|five|six|seven|eight|nine))?|\d+)\s*(?:\(\d+\)\s*)?days['’]?\s+(?:prior\s+)?(?:written\s+)?notice").unwrap()
});

fn months(n: i64, unit: &str) -> i64 {
    if unit.to_ascii_lowercase().starts_with("year") {
        n * 12
    } else {
        n
    }
}

/// Reads what it can; `our_names` are the names our side goes by (the other party is the
/// counterparty).
pub fn extract(text: &str, our_names: &[&str]) -> Vec<Found> {
    let mut out = vec![];
    let mut push = |field: &'static str, value: String, m: regex::Match<'_>| {
        if !out.iter().any(|f: &Found| f.field == field) {
            out.push(Found {
                field,
                value,
                evidence: sentence(text, m.start(), m.end()),
                start: m.start(),
                end: m.end(),
            });
        }
    };
    if let Some(c) = PARTIES.captures(text) {
        let (a, b) = (c[1].trim().to_string(), c[2].trim().to_string());
        let ours = |n: &str| {
            our_names
                .iter()
                .any(|o| !o.is_empty() && n.to_lowercase().contains(&o.to_lowercase()))
        };
        let (us, them) = if ours(&b) && !ours(&a) {
            (b, a)
        } else {
            (a, b)
        };
        let m = c.get(0).expect("whole match");
        push("our_entity", us, m);
        push("counterparty", them, m);
    }
    if let Some(c) = EFFECTIVE.captures(text)
        && let Some(d) = date(&c[1])
    {
        push("effective_on", d, c.get(0).expect("whole match"));
    }
    if let Some(c) = LAW.captures(text) {
        let law = c[1].trim().trim_end_matches(" and").to_string();
        push("governing_law", law, c.get(0).expect("whole match"));
    }
    if let Some(c) = TERM.captures(text)
        && let Some(n) = number(&c[1])
    {
        push(
            "term_months",
            months(n, &c[2]).to_string(),
            c.get(0).expect("whole match"),
        );
    }
    if let Some(m) = RENEW.find(text) {
        push("auto_renew", "yes".into(), m);
        if let Some(c) = RENEW_PERIOD.captures(text)
            && let Some(n) = number(&c[1])
        {
            push(
                "renewal_months",
                months(n, &c[2]).to_string(),
                c.get(0).expect("whole match"),
            );
        }
    }
    if let Some(c) = NOTICE.captures(text)
        && let Some(n) = number(&c[1])
    {
        push("notice_days", n.to_string(), c.get(0).expect("whole match"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "MASTER SERVICES AGREEMENT\n\nThis Master Services Agreement is entered into as of March 3, 2021 between Northwind Traders LLC, a Delaware limited liability company, and Example Corp (the \"Customer\").\n\n1. Term. The initial term of this Agreement is three (3) years. Thereafter it renews automatically for successive one-year periods unless either party gives at least sixty (60) days' prior written notice of non-renewal.\n\n2. This Agreement is governed by the laws of the State of New York, without regard to conflicts of law.";

    #[test]
    fn terms_come_with_their_evidence() {
        let f = extract(TEXT, &["Example Corp"]);
        let get = |k: &str| f.iter().find(|x| x.field == k).map(|x| x.value.as_str());
        assert_eq!(get("counterparty"), Some("Northwind Traders LLC"));
        assert_eq!(get("our_entity"), Some("Example Corp"));
        assert_eq!(get("effective_on"), Some("2021-03-03"));
        assert_eq!(get("term_months"), Some("36"));
        assert_eq!(get("auto_renew"), Some("yes"));
        assert_eq!(get("renewal_months"), Some("12"));
        assert_eq!(get("notice_days"), Some("60"));
        assert_eq!(get("governing_law"), Some("New York"));
        let law = f.iter().find(|x| x.field == "governing_law").unwrap();
        assert!(
            law.evidence
                .contains("governed by the laws of the State of New York"),
            "{}",
            law.evidence
        );
        assert_eq!(
            &TEXT[law.start..law.end],
            "governed by the laws of the State of New York"
        );
    }

    #[test]
    fn words_and_dates() {
        assert_eq!(number("ninety"), Some(90));
        assert_eq!(number("twenty-four"), Some(24));
        assert_eq!(date("1st January 2027"), Some("2027-01-01".into()));
        assert_eq!(date("February 30, 2027"), None);
        assert!(extract("Nothing to see here.", &[]).is_empty());
    }
}
