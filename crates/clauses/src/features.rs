//! Hashed features of a candidate span: its words and word pairs, its kind, length and place in
//! the document, the first words of its paragraph and the words of its heading, and for short
//! spans (dates, titles) the words around it.

use crate::spans::{Kind, Line, Span};

/// Feature space: 2^20 hashed buckets.
pub const BITS: u32 = 20;
const MASK: u32 = (1 << BITS) - 1;
/// Long paragraphs are described by their first words only.
const MAX_TOKENS: usize = 300;

fn fnv(ns: u8, parts: &[&str]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    let mut eat = |b: u8| {
        h ^= b as u32;
        h = h.wrapping_mul(0x0100_0193);
    };
    eat(ns);
    for p in parts {
        eat(0xff);
        for &b in p.as_bytes() {
            eat(b);
        }
    }
    h & MASK
}

/// Lower-cased words of a piece of text; digits become `#`.
pub fn tokens(s: &str, out: &mut Vec<String>, limit: usize) {
    let mut cur = String::new();
    let flush = |cur: &mut String, out: &mut Vec<String>| {
        if !cur.is_empty() {
            if cur.bytes().any(|b| b.is_ascii_digit()) {
                cur.clear();
                cur.push('#');
            }
            out.push(std::mem::take(cur));
        }
    };
    for c in s.chars() {
        if out.len() >= limit {
            return;
        }
        if c.is_alphanumeric() {
            cur.extend(c.to_lowercase());
        } else if !(c == '\'' || c == '\u{2019}') || cur.is_empty() {
            flush(&mut cur, out);
        }
    }
    if out.len() < limit {
        flush(&mut cur, out);
    }
}

/// What one document's features need besides the span.
pub struct Doc<'a> {
    pub text: &'a str,
    pub lines: &'a [Line],
}

/// The features of `span`, sorted and without repeats, in `out`.
pub fn features(doc: &Doc<'_>, span: &Span, toks: &mut Vec<String>, out: &mut Vec<u32>) {
    out.clear();
    let text = doc.text;
    let kind = span.kind as u8;
    let kname = ["p", "s", "d", "t"][kind as usize];
    toks.clear();
    tokens(&text[span.start..span.end], toks, MAX_TOKENS);
    for (i, t) in toks.iter().enumerate() {
        out.push(fnv(b'u', &[t]));
        if let Some(n) = toks.get(i + 1) {
            out.push(fnv(b'b', &[t, n]));
        }
    }
    let n = toks.len();
    let len = match n {
        0..=3 => "1",
        4..=8 => "2",
        9..=20 => "3",
        21..=50 => "4",
        51..=100 => "5",
        _ => "6",
    };
    out.push(fnv(b'k', &[kname]));
    out.push(fnv(b'l', &[kname, len]));
    let pos = (span.start * 20 / text.len().max(1)).to_string();
    out.push(fnv(b'q', &[kname, &pos]));
    let zone = match span.start {
        0..=300 => "a",
        301..=1500 => "b",
        1501..=4000 => "c",
        _ => "d",
    };
    out.push(fnv(b'z', &[kname, zone]));
    let line = &doc.lines[span.line as usize];
    // The first words of the paragraph (an inline heading such as "12. Governing Law.").
    toks.clear();
    tokens(&text[line.start..line.end], toks, 5);
    for t in toks.iter() {
        out.push(fnv(b'f', &[t]));
    }
    if span.start == line.start {
        out.push(fnv(b'F', &[kname]));
    }
    if let Some(h) = line.heading {
        let h = &doc.lines[h as usize];
        toks.clear();
        tokens(&text[h.start..h.end], toks, 8);
        for t in toks.iter() {
            out.push(fnv(b'h', &[t]));
        }
    }
    if matches!(span.kind, Kind::Date | Kind::Title) {
        toks.clear();
        let from = text[..span.start]
            .char_indices()
            .rev()
            .nth(80)
            .map(|(i, _)| i)
            .unwrap_or(0)
            .max(line.start);
        tokens(&text[from..span.start], toks, 40);
        let m = toks.len();
        for (i, t) in toks.iter().enumerate().skip(m.saturating_sub(6)) {
            out.push(fnv(b'L', &[t]));
            if i + 1 == m {
                out.push(fnv(b'1', &[t]));
            }
            if i + 2 == m {
                out.push(fnv(b'2', &[t, &toks[i + 1]]));
            }
        }
        if m == 0 {
            out.push(fnv(b'1', &["^"]));
        }
        toks.clear();
        let to = text[span.end..]
            .char_indices()
            .nth(40)
            .map(|(i, _)| span.end + i)
            .unwrap_or(text.len())
            .min(line.end);
        tokens(&text[span.end..to], toks, 3);
        for t in toks.iter() {
            out.push(fnv(b'R', &[t]));
        }
        if toks.is_empty() {
            out.push(fnv(b'R', &["$"]));
        }
    }
    out.sort_unstable();
    out.dedup();
}
