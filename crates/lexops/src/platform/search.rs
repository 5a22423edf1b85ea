//! Full-text search shared by the modules: one reading of the search box (words, "phrases",
//! -exclusions, OR, prefix*) rendered as SQLite FTS5 or PostgreSQL `websearch_to_tsquery` input,
//! so nothing typed is query syntax; the match condition over a module's search table; snippets
//! with control-character markers that pages escape around and turn into `<mark>`.

use crate::platform::app::App;
use crate::platform::db::Backend;
use crate::platform::error::AppError;

/// The SQL condition "row `id_expr` of the search table `table` has the words of query
/// parameter `$n`", and the value to bind: FTS5's query language on SQLite ([`fts5_query`]),
/// `websearch_to_tsquery` on PostgreSQL ([`websearch_query`]), both built from the same reading
/// of the search box. `None` when the query has no word to look for. Search tables have the same
/// shape on both backends: `rowid`, `meta`, `body` (an FTS5 table on SQLite; a table with a
/// generated `tsv` column and a GIN index on PostgreSQL).
pub fn matches(
    backend: Backend,
    table: &str,
    id_expr: &str,
    q: &str,
    n: usize,
) -> Option<(String, String)> {
    match backend {
        Backend::Sqlite => fts5_query(q).map(|fq| {
            (
                format!("{id_expr} IN (SELECT rowid FROM {table} WHERE {table} MATCH ${n})"),
                fq,
            )
        }),
        Backend::Postgres => websearch_query(q).map(|wq| {
            (
                format!("{id_expr} IN (SELECT rowid FROM {table} WHERE tsv @@ websearch_to_tsquery('english', ${n}))"),
                wq,
            )
        }),
    }
}

/// One term of a search: words that must come together (one word, or a quoted phrase).
#[derive(Debug, PartialEq)]
pub struct Term {
    pub words: Vec<String>,
    pub negate: bool,
    pub prefix: bool,
    /// `OR` stood between the previous term and this one.
    pub or_before: bool,
}

/// Reads a search box: words and `"quoted phrases"` must all be there, `-word` must not, `OR`
/// between two terms accepts either, `word*` is a prefix. Words are runs of letters and digits
/// (punctuation separates them, as the index does), so nothing typed is read as syntax.
/// Exclusions before the first wanted term are dropped (nothing to exclude from).
pub fn terms(q: &str) -> Vec<Term> {
    let mut out: Vec<Term> = vec![];
    let mut chars = q.chars().peekable();
    let mut pending_or = false;
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let negate = c == '-';
        if negate {
            chars.next();
        }
        let (raw, phrase) = if chars.peek() == Some(&'"') {
            chars.next();
            let mut t = String::new();
            for c in chars.by_ref() {
                if c == '"' {
                    break;
                }
                t.push(c);
            }
            (t, true)
        } else {
            let mut t = String::new();
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                t.push(c);
                chars.next();
            }
            (t, false)
        };
        if !phrase && !negate && raw == "OR" {
            pending_or = out.iter().any(|t| !t.negate);
            continue;
        }
        let words: Vec<String> = raw
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect();
        if words.is_empty() || (negate && !out.iter().any(|t| !t.negate)) {
            continue;
        }
        out.push(Term {
            words,
            negate,
            prefix: !phrase && raw.ends_with('*'),
            or_before: pending_or && !negate,
        });
        pending_or = false;
    }
    out
}

/// The search box in FTS5's language, every term quoted; `None` when there is no word to
/// look for.
pub fn fts5_query(q: &str) -> Option<String> {
    let terms = terms(q);
    let mut out: Vec<String> = vec![];
    for t in &terms {
        let mut lit = format!("\"{}\"", t.words.join(" "));
        if t.prefix {
            lit.push('*');
        }
        if t.negate {
            out.push(format!("NOT {lit}"));
        } else {
            if t.or_before {
                out.push("OR".into());
            }
            out.push(lit);
        }
    }
    (!out.is_empty()).then(|| out.join(" "))
}

/// The search box for PostgreSQL's `websearch_to_tsquery`, from the same terms (PostgreSQL has
/// no prefix search there: `word*` looks for the word); `None` when there is no word.
pub fn websearch_query(q: &str) -> Option<String> {
    let terms = terms(q);
    let mut out: Vec<String> = vec![];
    for t in &terms {
        let lit = if t.words.len() == 1 {
            t.words[0].clone()
        } else {
            format!("\"{}\"", t.words.join(" "))
        };
        if t.negate {
            out.push(format!("-{lit}"));
        } else {
            if t.or_before {
                out.push("or".into());
            }
            out.push(lit);
        }
    }
    (!out.is_empty()).then(|| out.join(" "))
}

/// Search snippets for the rows `ids` of a page: a few words of their `body` around the
/// matches, with `\u{2}` before and `\u{3}` after each match (the page escapes the text, then
/// marks them).
pub async fn snippets(
    app: &App,
    table: &str,
    q: &str,
    ids: &[i64],
) -> Result<std::collections::HashMap<i64, String>, AppError> {
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let list = crate::platform::db::id_list(ids.iter().copied());
    // The page's bodies are read by rowid and the snippet made here, on both backends: FTS5's
    // snippet() evaluates the MATCH over the whole index for each page (a broad or prefix
    // query: over a second at 100,000 contracts), and PostgreSQL's ts_headline parses each body
    // again (30–40 ms for a page of 50 contracts).
    let terms = terms(q);
    if terms.iter().all(|t| t.negate) {
        return Ok(Default::default());
    }
    let bodies: Vec<(i64, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT rowid, body FROM {table} WHERE rowid IN ({list})"
    )))
    .persistent(false)
    .fetch_all(app.db.pool())
    .await?;
    let rows: Vec<(i64, String)> = bodies
        .into_iter()
        .filter_map(|(id, body)| snippet_of(&body, &terms, 24).map(|s| (id, s)))
        .collect();
    // A row found by its meta alone (title, file name) has no snippet of its text.
    Ok(rows
        .into_iter()
        .filter(|(_, s)| s.contains('\u{2}'))
        .collect())
}

/// The words of a text with their byte ranges (letters and digits; what FTS5's unicode61
/// tokenizer calls a token, near enough).
fn words_of(text: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut it = text.char_indices().peekable();
    std::iter::from_fn(move || {
        while let Some(&(_, c)) = it.peek() {
            if c.is_alphanumeric() {
                break;
            }
            it.next();
        }
        let &(start, _) = it.peek()?;
        let mut end = start;
        while let Some(&(i, c)) = it.peek() {
            if !c.is_alphanumeric() {
                break;
            }
            end = i + c.len_utf8();
            it.next();
        }
        Some((start, end))
    })
}

/// The snippet of `body` for the query's terms, as FTS5's `snippet(…, 24)` makes it: the window
/// of `window` words holding the most distinct terms, matches between U+0002 and U+0003, `…` where
/// text is cut. A word matches a term's word when their English stems are equal (the index
/// stems with Porter), or, for a prefix term, when it starts with the prefix. None when no
/// word of the body matches (the row was found by its meta).
fn snippet_of(body: &str, terms: &[Term], window: usize) -> Option<String> {
    let stemmer = rust_stemmers::Stemmer::create(rust_stemmers::Algorithm::English);
    // (stem or prefix, is prefix, term index, place in the term)
    let mut wanted: Vec<(String, bool, usize, usize)> = vec![];
    for (i, t) in terms.iter().enumerate().filter(|(_, t)| !t.negate) {
        let last = t.words.len() - 1;
        for (j, w) in t.words.iter().enumerate() {
            let w = w.to_lowercase();
            if t.prefix && j == last {
                wanted.push((w, true, i, j));
            } else {
                wanted.push((stemmer.stem(&w).into_owned(), false, i, j));
            }
        }
    }
    if wanted.is_empty() {
        return None;
    }
    let words: Vec<(usize, usize)> = words_of(body).collect();
    // A stem keeps the start of its word: only words starting like a wanted stem are stemmed.
    let starts: Vec<String> = wanted
        .iter()
        .map(|(x, ..)| x.chars().take(2).collect())
        .collect();
    // For each word, the (term, place) pairs it matches.
    let matched: Vec<Vec<(usize, usize)>> = words
        .iter()
        .map(|&(a, b)| {
            let w = body[a..b].to_lowercase();
            if !starts.iter().any(|p| w.starts_with(p.as_str())) {
                return vec![];
            }
            let stem = stemmer.stem(&w);
            wanted
                .iter()
                .filter(|(x, prefix, ..)| {
                    if *prefix {
                        w.starts_with(x.as_str())
                    } else {
                        *x == stem
                    }
                })
                .map(|x| (x.2, x.3))
                .collect()
        })
        .collect();
    // A word is a hit when it starts a run of the whole term (a phrase's words in order).
    let mut hit: Vec<Option<usize>> = vec![None; words.len()];
    for k in 0..words.len() {
        for &(i, j) in &matched[k] {
            if j != 0 {
                continue;
            }
            let n = terms[i].words.len();
            if k + n <= words.len() && (1..n).all(|d| matched[k + d].contains(&(i, d))) {
                for h in &mut hit[k..k + n] {
                    *h = Some(i);
                }
            }
        }
    }
    let first = hit.iter().position(Option::is_some)?;
    // The window with the most distinct terms, its first match a few words in.
    let distinct = |from: usize| {
        let mut seen: Vec<usize> = hit[from..(from + window).min(hit.len())]
            .iter()
            .flatten()
            .copied()
            .collect();
        seen.sort_unstable();
        seen.dedup();
        seen.len()
    };
    let mut best = (distinct(first.saturating_sub(3)), first.saturating_sub(3));
    for (i, h) in hit.iter().enumerate().skip(first + 1) {
        if h.is_some() {
            let from = i.saturating_sub(3);
            let d = distinct(from);
            if d > best.0 {
                best = (d, from);
            }
        }
    }
    let from = best.1;
    let to = (from + window).min(words.len());
    let mut out = String::new();
    if from > 0 {
        out.push('…');
    }
    // A phrase is marked as one run, as FTS5 does.
    let mut at = words[from].0;
    for k in from..to {
        let (a, b) = words[k];
        let opens = hit[k].is_some() && (k == from || hit[k - 1] != hit[k]);
        let closes = hit[k].is_some() && (k + 1 == to || hit[k + 1] != hit[k]);
        out.push_str(&body[at..a]);
        if opens {
            out.push('\u{2}');
        }
        out.push_str(&body[a..b]);
        if closes {
            out.push('\u{3}');
        }
        at = b;
    }
    if to < words.len() {
        out.push('…');
    } else {
        out.push_str(&body[at..]);
    }
    Some(out)
}

/// A snippet as HTML: the text escaped, the matches in `<mark>`.
pub fn snippet_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '\u{2}' => out.push_str("<mark>"),
            '\u{3}' => out.push_str("</mark>"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A snippet as plain text (API, CLI): the matches between `[` and `]`.
pub fn snippet_text(s: &str) -> String {
    s.chars()
        .filter_map(|c| match c {
            '\u{2}' => Some('['),
            '\u{3}' => Some(']'),
            '\n' | '\r' | '\t' => Some(' '),
            c if c.is_control() => None,
            c => Some(c),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_mark_the_words_of_the_query_in_the_best_window() {
        let body = "The Customer pays the fees. Payments are due in thirty days. Each party shall indemnify the other. Late payment bears interest.";
        let s = snippet_of(body, &terms("payment"), 24).unwrap();
        assert!(
            s.contains("\u{2}Payments\u{3}") && s.contains("\u{2}payment\u{3}"),
            "{s}"
        );
        let s = snippet_of(body, &terms("indemnif* -fees"), 24).unwrap();
        assert!(
            s.contains("\u{2}indemnify\u{3}") && !s.contains("\u{2}fees"),
            "{s}"
        );
        assert_eq!(snippet_of(body, &terms("escrow"), 24), None);
        assert_eq!(snippet_of(body, &terms("-fees"), 24), None);
        // A long text: the window around the matches, cut with ellipses on both sides.
        let long = format!(
            "{} governed by the laws of Delaware {}",
            "word ".repeat(200),
            "more ".repeat(200)
        );
        let s = snippet_of(&long, &terms("\"laws of Delaware\""), 10).unwrap();
        assert!(s.starts_with('…') && s.ends_with('…'), "{s}");
        assert!(s.contains("\u{2}laws of Delaware\u{3}"), "one run: {s}");
    }

    #[test]
    fn the_search_box_becomes_quoted_fts5() {
        assert_eq!(
            fts5_query("warehouse lease").unwrap(),
            r#""warehouse" "lease""#
        );
        assert_eq!(
            fts5_query(r#""legal hold" -draft"#).unwrap(),
            r#""legal hold" NOT "draft""#
        );
        assert_eq!(
            fts5_query("indemn* OR warranty").unwrap(),
            r#""indemn"* OR "warranty""#
        );
        // FTS5 operators and punctuation typed by the user are only words.
        assert_eq!(
            fts5_query("NEAR(a b) AND col:x").unwrap(),
            r#""NEAR a" "b" "AND" "col x""#
        );
        assert_eq!(fts5_query("O'Brien").unwrap(), r#""O Brien""#);
        assert_eq!(fts5_query("-draft hold"), Some(r#""hold""#.into()));
        assert_eq!(fts5_query("-draft"), None);
        assert_eq!(fts5_query("  ?! "), None);
        assert_eq!(fts5_query("OR"), None);
        assert_eq!(fts5_query(r#"""#), None);
    }

    #[test]
    fn postgres_gets_the_same_terms_in_its_web_search_syntax() {
        assert_eq!(
            websearch_query(r#"minutes-2019.pdf "legal hold" -draft OR x"#).unwrap(),
            r#""minutes 2019 pdf" "legal hold" -draft or x"#
        );
        assert_eq!(
            websearch_query("indemn* OR warranty").unwrap(),
            "indemn or warranty"
        );
        assert_eq!(
            websearch_query("dana@acme.example").unwrap(),
            r#""dana acme example""#
        );
        assert_eq!(websearch_query("?!"), None);
    }

    #[test]
    fn snippets_are_escaped_then_marked() {
        assert_eq!(
            snippet_html("a <b>\u{2}hold\u{3}</b> & \"x\""),
            "a &lt;b&gt;<mark>hold</mark>&lt;/b&gt; &amp; &quot;x&quot;"
        );
        assert_eq!(
            snippet_text("keep \u{2}all\u{3}\nfiles"),
            "keep [all] files"
        );
    }
}
