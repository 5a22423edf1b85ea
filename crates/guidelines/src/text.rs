//! Narrative text helpers: normalisation, phrase matching, word shingles and Jaccard similarity.
//!
//! A narrative is normalised once per evaluation: lower case, apostrophes dropped ("client's" →
//! "clients"), every other non-alphanumeric character a word break, words joined by single spaces
//! and padded with one space at each end. Padding makes phrase matching on word boundaries a plain
//! substring search: `" review file "` is found in `" review file re motion "` but `" file "` is
//! not found in `" filed "`.

/// Normalises `text` to padded lower-case words (`" draft motion to compel "`).
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    normalize_into(&mut out, text);
    out
}

/// [`normalize`] into `out` (cleared first), reusing its allocation.
pub fn normalize_into(out: &mut String, text: &str) {
    out.clear();
    out.push(' ');
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if c == '\'' || c == '\u{2019}' {
            continue;
        } else if !out.ends_with(' ') {
            out.push(' ');
        }
    }
    if !out.ends_with(' ') {
        out.push(' ');
    }
}

/// Whether the padded normalised narrative contains the padded normalised phrase.
pub fn contains(narrative: &str, phrase: &str) -> bool {
    phrase.len() > 2 && narrative.contains(phrase)
}

/// Normalises a list of configured phrases once (dropping empty ones).
pub fn normalize_all(phrases: &[String]) -> Vec<String> {
    phrases
        .iter()
        .map(|p| normalize(p))
        .filter(|p| p.len() > 2)
        .collect()
}

/// A 64-bit summary of a normalised text's words: each word sets one bit (by its hash). A
/// phrase can only be in a narrative whose mask has all of the phrase's bits, so most phrases
/// are ruled out with one `AND` instead of a substring search.
pub fn word_mask(normalized: &str) -> u64 {
    words(normalized).fold(0, |m, w| m | 1 << (fnv(&[w]) % 64))
}

/// Configured phrases, normalised once (empty ones dropped), each with its [`word_mask`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Phrases(Vec<(String, u64)>);

impl Phrases {
    pub fn new(phrases: &[String]) -> Phrases {
        Phrases(
            normalize_all(phrases)
                .into_iter()
                .map(|p| {
                    let m = word_mask(&p);
                    (p, m)
                })
                .collect(),
        )
    }

    /// The first phrase found in the padded normalised `narrative` (whose [`word_mask`] is
    /// `mask`), as plain text.
    pub fn find(&self, narrative: &str, mask: u64) -> Option<&str> {
        self.0
            .iter()
            .find(|(p, m)| m & !mask == 0 && contains(narrative, p))
            .map(|(p, _)| p.trim())
    }

    /// The normalised, padded phrases.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(p, _)| p.as_str())
    }
}

/// The words of a normalised narrative.
pub fn words(normalized: &str) -> impl Iterator<Item = &str> {
    normalized.split(' ').filter(|w| !w.is_empty())
}

/// Length in characters of the narrative's words and single spaces between them.
pub fn text_len(normalized: &str) -> usize {
    normalized.trim().chars().count()
}

/// Hashed `k`-word shingles of a normalised narrative, sorted and deduplicated. A narrative of
/// fewer than `k` words is one shingle.
pub fn shingles(normalized: &str, k: usize) -> Vec<u64> {
    let w: Vec<&str> = words(normalized).collect();
    let k = k.max(1);
    let mut out: Vec<u64> = if w.len() <= k {
        if w.is_empty() {
            Vec::new()
        } else {
            vec![fnv(&w)]
        }
    } else {
        w.windows(k).map(fnv).collect()
    };
    out.sort_unstable();
    out.dedup();
    out
}

/// FNV-1a over the words with a separator: stable across runs and platforms.
fn fnv(words: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for w in words {
        for b in w.bytes().chain(std::iter::once(b' ')) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// `(intersection, union)` sizes of two sorted shingle sets.
pub fn jaccard_parts(a: &[u64], b: &[u64]) -> (usize, usize) {
    let (mut i, mut j, mut inter) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                inter += 1;
                i += 1;
                j += 1;
            }
        }
    }
    (inter, a.len() + b.len() - inter)
}

/// Filler words that carry no information about the work done.
pub const STOP_WORDS: &[&str] = &[
    "a",
    "an",
    "the",
    "and",
    "or",
    "of",
    "to",
    "for",
    "on",
    "in",
    "re",
    "with",
    "at",
    "by",
    "from",
    "regarding",
    "concerning",
    "about",
    "matter",
    "case",
    "file",
    "various",
    "issues",
    "etc",
    "all",
    "same",
    "as",
    "needed",
    "further",
    "work",
    "attention",
];

/// Whether `word` is filler (see [`STOP_WORDS`]).
pub fn is_stop_word(word: &str) -> bool {
    STOP_WORDS.contains(&word)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes() {
        assert_eq!(
            normalize("Review  client's file; draft-memo."),
            " review clients file draft memo "
        );
        assert_eq!(normalize(""), " ");
        assert!(contains(
            &normalize("Review file re motion"),
            &normalize("review file")
        ));
        assert!(!contains(&normalize("Filed motion"), &normalize("file")));
    }

    #[test]
    fn normalizes_unicode_and_reuses_the_buffer() {
        assert_eq!(
            normalize("Überprüfung der Akte – ÉTÉ’s 2024 Straße"),
            " überprüfung der akte étés 2024 straße "
        );
        assert_eq!(normalize("a\u{2019}b'c -- d\t\ne"), " abc d e ");
        assert_eq!(normalize("  trailing  "), " trailing ");
        let mut buf = String::from("left over");
        normalize_into(&mut buf, "Call, J. Doe");
        assert_eq!(buf, " call j doe ");
    }

    #[test]
    fn phrases_are_found_by_mask_then_text() {
        let ph = Phrases::new(&[
            "Review file".to_string(),
            "".to_string(),
            "call".to_string(),
        ]);
        let n = normalize("Review file re motion");
        assert_eq!(ph.find(&n, word_mask(&n)), Some("review file"));
        let n = normalize("Filed motion; phone CALL");
        assert_eq!(ph.find(&n, word_mask(&n)), Some("call"));
        let n = normalize("Review the file");
        assert_eq!(ph.find(&n, word_mask(&n)), None);
        assert_eq!(ph.iter().count(), 2);
        // Every word's bit is in the mask of a text that contains it.
        let m = word_mask(&n);
        for w in ["review", "the", "file"] {
            assert_eq!(word_mask(&normalize(w)) & !m, 0);
        }
    }

    #[test]
    fn jaccard() {
        let a = shingles(&normalize("draft motion to compel discovery"), 2);
        let b = shingles(&normalize("draft motion to compel discovery responses"), 2);
        assert_eq!(jaccard_parts(&a, &b), (4, 5));
        assert_eq!(shingles(&normalize("call"), 2).len(), 1);
    }
}
