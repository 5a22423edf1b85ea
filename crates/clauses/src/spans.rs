//! Candidate spans: the pieces of a contract's text that may be a clause answer. Paragraphs
//! (lines of the text), the sentences inside them, dates, and title phrases near the top. A
//! CUAD answer is nearly always one of these (measured on the development split: a paragraph or
//! sentence matches 92% of the labelled clauses; dates and titles cover the short answers).

use regex::Regex;
use std::sync::LazyLock;

/// What a span is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Paragraph = 0,
    Sentence = 1,
    Date = 2,
    Title = 3,
}

pub const KINDS: usize = 4;

/// A candidate: byte offsets into the text, its kind, and the paragraph it sits in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    pub kind: Kind,
    pub line: u32,
}

/// A paragraph (non-empty line), trimmed.
#[derive(Clone, Copy, Debug)]
pub struct Line {
    pub start: usize,
    pub end: usize,
    /// The heading this paragraph falls under (a short line above it), if any.
    pub heading: Option<u32>,
}

/// The paragraphs of a text, each with its heading.
pub fn lines(text: &str) -> Vec<Line> {
    let mut out = Vec::new();
    let mut heading = None;
    let mut pos = 0;
    for raw in text.split('\n') {
        let st = pos;
        pos += raw.len() + 1;
        let lead = raw.len() - raw.trim_start().len();
        let t = raw.trim();
        if t.is_empty() {
            continue;
        }
        let idx = out.len() as u32;
        out.push(Line {
            start: st + lead,
            end: st + lead + t.len(),
            heading,
        });
        if is_heading(t) {
            heading = Some(idx);
        }
    }
    out
}

fn is_heading(t: &str) -> bool {
    let words = t.split_whitespace().count();
    if words == 0 || words > 10 || t.len() > 90 {
        return false;
    }
    let has_lower = t.chars().any(|c| c.is_lowercase());
    !has_lower || !t.ends_with(['.', ';', ',', ':'])
}

const ABBREVIATIONS: [&str; 22] = [
    "inc", "no", "co", "ltd", "corp", "sec", "mr", "ms", "mrs", "dr", "st", "nos", "art", "vs",
    "jr", "sr", "bros", "u.s", "i.e", "e.g", "etc", "para",
];

/// Byte ranges of the sentences of one paragraph (split after . ! ? ; when the next word starts
/// a sentence, not after abbreviations and initials).
pub fn sentences(p: &str) -> Vec<(usize, usize)> {
    let b = p.as_bytes();
    let mut out = Vec::new();
    let mut from = 0;
    let mut i = 0;
    while i < b.len() {
        if matches!(b[i], b'.' | b'!' | b'?' | b';')
            && i + 1 < b.len()
            && b[i + 1].is_ascii_whitespace()
        {
            let mut j = i + 1;
            while j < b.len() && b[j].is_ascii_whitespace() {
                j += 1;
            }
            let starts = j < b.len()
                && (b[j].is_ascii_uppercase()
                    || b[j].is_ascii_digit()
                    || matches!(b[j], b'(' | b'"' | b'[')
                    || p[j..].starts_with('\u{201c}'));
            if starts && !(b[i] == b'.' && abbreviation(&p[from..i])) {
                out.push((from, i + 1));
                from = j;
                i = j;
                continue;
            }
        }
        i += 1;
    }
    if from < b.len() {
        out.push((from, b.len()));
    }
    out
}

fn abbreviation(before: &str) -> bool {
    let w = before
        .rsplit(|c: char| c.is_whitespace() || c == '(')
        .next()
        .unwrap_or("");
    let w = w.trim_start_matches(['"', '\u{201c}']);
    // Initials ("J.") and list numbers ("12.", "4.1.") do not end sentences.
    if w.chars().count() == 1 && w.chars().all(|c| c.is_alphabetic()) {
        return true;
    }
    if !w.is_empty() && w.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return true;
    }
    let l = w.to_ascii_lowercase();
    ABBREVIATIONS.contains(&l.as_str())
}

const MONTH: &str = r"(?:January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?";

static DATES: LazyLock<Regex> = LazyLock::new(|| {
    let day = r"\d{1,2}(?:st|nd|rd|th)?";
    Regex::new(&format!(
        r"(?i)\b(?:{MONTH}\s+(?:{day}|_+)\s*,?\s+\d{{4}}|(?:{day}|_+)\s+(?:day\s+of\s+)?(?:{MONTH}|_+)\s*,?\s*(?:\d{{4}}|_+)|\d{{1,2}}/\d{{1,2}}/\d{{2,4}}|\d{{4}}-\d{{2}}-\d{{2}}|(?:this\s+)?_*\s*day\s+of\s+_*\s*,\s*\d{{4}}|{MONTH}\s+\d{{4}})\b"
    ))
    .expect("date pattern")
});

static TITLES: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(?:[A-Z][A-Za-z0-9&'\-.]*\s+(?:(?:and|of|to|for|the|on|in|AND|OF|TO|FOR|THE)\s+)?){0,8}(?:AGREEMENT|Agreement|CONTRACT|Contract|AMENDMENT|Amendment|ADDENDUM|Addendum|LICENSE|License|LEASE|Lease|MEMORANDUM OF UNDERSTANDING|Memorandum of Understanding)\b").expect("title pattern")
});

/// Only the first part of a contract is searched for title phrases.
const TITLE_ZONE: usize = 4000;

/// Every candidate span of a text, without duplicates, in text order.
pub fn spans(text: &str, lines: &[Line]) -> Vec<Span> {
    let mut out = Vec::with_capacity(lines.len() * 3);
    for (li, l) in lines.iter().enumerate() {
        let li = li as u32;
        out.push(Span {
            start: l.start,
            end: l.end,
            kind: Kind::Paragraph,
            line: li,
        });
        let p = &text[l.start..l.end];
        let ss = sentences(p);
        if ss.len() > 1 {
            for (a, b) in ss {
                out.push(Span {
                    start: l.start + a,
                    end: l.start + b,
                    kind: Kind::Sentence,
                    line: li,
                });
            }
        }
        for m in DATES.find_iter(p) {
            out.push(Span {
                start: l.start + m.start(),
                end: l.start + m.end(),
                kind: Kind::Date,
                line: li,
            });
        }
        if l.start < TITLE_ZONE {
            for m in TITLES.find_iter(p) {
                if m.end() - m.start() < l.end - l.start {
                    out.push(Span {
                        start: l.start + m.start(),
                        end: l.start + m.end(),
                        kind: Kind::Title,
                        line: li,
                    });
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_skip_abbreviations() {
        let p = "Acme Inc. shall pay. The U.S. courts decide; Either party may end it. See Sec. 4 below.";
        let s: Vec<&str> = sentences(p).into_iter().map(|(a, b)| &p[a..b]).collect();
        assert_eq!(
            s,
            [
                "Acme Inc. shall pay.",
                "The U.S. courts decide;",
                "Either party may end it.",
                "See Sec. 4 below."
            ]
        );
    }

    #[test]
    fn candidates_cover_paragraphs_sentences_dates_titles() {
        let text = "MASTER SUPPLY AGREEMENT\n\nThis Master Supply Agreement is made on the 5th day of January, 2015 by Acme. It lasts.\n\n12. GOVERNING LAW\n\nNew York law governs.";
        let ls = lines(text);
        assert_eq!(ls.len(), 4);
        assert_eq!(ls[3].heading, Some(2));
        let sp = spans(text, &ls);
        let of = |k: Kind| -> Vec<&str> {
            sp.iter()
                .filter(|s| s.kind == k)
                .map(|s| &text[s.start..s.end])
                .collect()
        };
        assert_eq!(of(Kind::Date), ["5th day of January, 2015"]);
        assert!(
            of(Kind::Title).contains(&"This Master Supply Agreement"),
            "{:?}",
            of(Kind::Title)
        );
        assert_eq!(of(Kind::Sentence).len(), 2);
        assert_eq!(of(Kind::Paragraph).len(), 4);
    }
}
