//! Word-level redlines between two texts (a paragraph per line): paragraphs are aligned first
//! (patience diff over whole paragraphs), then each changed stretch is compared word by word,
//! so a long contract with a few edits costs little. The result renders as HTML (`<ins>`,
//! `<del>`) and as a DOCX whose changes are real tracked revisions (`w:ins`, `w:del`).

use crate::docx::{DocxError, base, pack};
use docx_rs::{Delete, Insert, Paragraph, Run};
use similar::{Algorithm, DiffTag};
use std::time::Duration;

/// What happened to a stretch of text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Same,
    Ins,
    Del,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seg {
    pub op: Op,
    pub text: String,
}

/// One paragraph of the redline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RPara {
    pub segs: Vec<Seg>,
    /// What happened to the paragraph's end: `Same`, inserted (`Ins`: a paragraph the old text
    /// did not have ends here) or deleted (`Del`: in the new text this paragraph runs on into
    /// the next).
    pub mark: Op,
}

impl Default for RPara {
    fn default() -> Self {
        RPara {
            segs: vec![],
            mark: Op::Same,
        }
    }
}

impl RPara {
    fn push(&mut self, op: Op, text: &str) {
        if text.is_empty() {
            return;
        }
        match self.segs.last_mut() {
            Some(last) if last.op == op => last.text.push_str(text),
            _ => self.segs.push(Seg {
                op,
                text: text.to_string(),
            }),
        }
    }

    /// Whether every part of the paragraph has this one kind of change.
    pub fn all(&self, op: Op) -> bool {
        !self.segs.is_empty() && self.segs.iter().all(|s| s.op == op)
    }

    pub fn changed(&self) -> bool {
        self.mark != Op::Same || self.segs.iter().any(|s| s.op != Op::Same)
    }

    /// The paragraph as the old (`Op::Del`) or new (`Op::Ins`) text had it.
    pub fn side(&self, side: Op) -> String {
        self.segs
            .iter()
            .filter(|s| s.op == Op::Same || s.op == side)
            .map(|s| s.text.as_str())
            .collect()
    }
}

/// A redline and its counts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Redline {
    pub paras: Vec<RPara>,
    pub words_inserted: usize,
    pub words_deleted: usize,
    /// Paragraphs with any change.
    pub paras_changed: usize,
    /// The comparison ran out of time and fell back to a coarser result somewhere (still
    /// correct: every difference is shown, some as larger blocks).
    pub coarse: bool,
}

impl Redline {
    pub fn is_identical(&self) -> bool {
        self.paras_changed == 0
    }

    /// The old text back (paragraphs joined by line breaks).
    pub fn old_text(&self) -> String {
        self.join(Op::Del)
    }

    /// The new text back.
    pub fn new_text(&self) -> String {
        self.join(Op::Ins)
    }

    fn join(&self, side: Op) -> String {
        let mut out = String::new();
        for p in &self.paras {
            out.push_str(&p.side(side));
            if p.mark == Op::Same || p.mark == side {
                out.push('\n');
            }
        }
        out.truncate(out.trim_end_matches('\n').len());
        out
    }
}

/// How long one comparison may search before settling for a coarser (still correct) answer.
pub const TIME_LIMIT: Duration = Duration::from_secs(2);

fn paragraphs(s: &str) -> Vec<&str> {
    s.lines()
        .map(str::trim_end)
        .filter(|l| !l.trim().is_empty())
        .collect()
}

/// Splits text into words, runs of whitespace and single punctuation marks, so that "30," and
/// "45," differ in the number only.
pub fn tokens(s: &str) -> Vec<&str> {
    let mut out = vec![];
    let mut start = 0;
    let mut kind = 0u8; // 0 none, 1 word, 2 space
    for (i, c) in s.char_indices() {
        let k = if c.is_whitespace() {
            2
        } else if c.is_alphanumeric() || c == '\'' || c == '\u{2019}' {
            1
        } else {
            3
        };
        if k != kind || k == 3 {
            if i > start {
                out.push(&s[start..i]);
            }
            start = i;
            kind = k;
        }
    }
    if start < s.len() {
        out.push(&s[start..]);
    }
    out
}

fn is_word(t: &str) -> bool {
    t.chars().any(char::is_alphanumeric)
}

/// Compares `old` with `new`.
pub fn redline(old: &str, new: &str) -> Redline {
    let deadline = std::time::Instant::now() + TIME_LIMIT;
    let (a, b) = (paragraphs(old), paragraphs(new));
    let mut r = Redline::default();
    let ops = similar::capture_diff_slices_deadline(Algorithm::Patience, &a, &b, Some(deadline));
    for op in ops {
        let (tag, or, nr) = op.as_tag_tuple();
        match tag {
            DiffTag::Equal => {
                for p in &a[or] {
                    let mut rp = RPara::default();
                    rp.push(Op::Same, p);
                    r.paras.push(rp);
                }
            }
            DiffTag::Delete => {
                for p in &a[or] {
                    let mut rp = RPara {
                        mark: Op::Del,
                        ..Default::default()
                    };
                    rp.push(Op::Del, p);
                    r.words_deleted += tokens(p).into_iter().filter(|t| is_word(t)).count();
                    r.paras.push(rp);
                }
            }
            DiffTag::Insert => {
                for p in &b[nr] {
                    let mut rp = RPara {
                        mark: Op::Ins,
                        ..Default::default()
                    };
                    rp.push(Op::Ins, p);
                    r.words_inserted += tokens(p).into_iter().filter(|t| is_word(t)).count();
                    r.paras.push(rp);
                }
            }
            DiffTag::Replace => {
                if or.len() == nr.len() {
                    for (x, y) in a[or].iter().zip(&b[nr]) {
                        words(&mut r, x, y, deadline);
                    }
                } else {
                    words(&mut r, &a[or].join("\n"), &b[nr].join("\n"), deadline);
                }
            }
        }
    }
    r.paras_changed = r.paras.iter().filter(|p| p.changed()).count();
    r
}

/// Word-level comparison of a changed stretch; a line break in either text ends a paragraph,
/// whose mark is inserted or deleted when only one side has the break.
fn words(r: &mut Redline, old: &str, new: &str, deadline: std::time::Instant) {
    let (x, y) = (tokens(old), tokens(new));
    let ops = similar::capture_diff_slices_deadline(Algorithm::Myers, &x, &y, Some(deadline));
    if std::time::Instant::now() >= deadline {
        r.coarse = true;
    }
    let mut cur = RPara::default();
    let emit = |r: &mut Redline, cur: &mut RPara, op: Op, t: &str| {
        for (i, piece) in t.split('\n').enumerate() {
            if i > 0 {
                cur.mark = op;
                r.paras.push(std::mem::take(cur));
            }
            cur.push(op, piece);
        }
    };
    for op in ops {
        let (tag, or, nr) = op.as_tag_tuple();
        match tag {
            DiffTag::Equal => {
                for t in &x[or] {
                    emit(r, &mut cur, Op::Same, t);
                }
            }
            DiffTag::Delete | DiffTag::Insert | DiffTag::Replace => {
                for t in &x[or] {
                    if is_word(t) {
                        r.words_deleted += 1;
                    }
                    emit(r, &mut cur, Op::Del, t);
                }
                for t in &y[nr] {
                    if is_word(t) {
                        r.words_inserted += 1;
                    }
                    emit(r, &mut cur, Op::Ins, t);
                }
            }
        }
    }
    r.paras.push(cur);
}

/// The redline as an HTML fragment: unchanged text as is, insertions in `<ins>`, deletions in
/// `<del>`, every character escaped; paragraphs wholly inserted or deleted are marked by class.
pub fn to_html(r: &Redline) -> String {
    let mut out = String::from("<div class=\"redline\">\n");
    for p in &r.paras {
        let class = if p.all(Op::Ins) {
            " class=\"para-ins\""
        } else if p.all(Op::Del) {
            " class=\"para-del\""
        } else if p.changed() {
            " class=\"para-changed\""
        } else {
            ""
        };
        out.push_str(&format!("<p{class}>"));
        for s in &p.segs {
            let (o, c) = match s.op {
                Op::Same => ("", ""),
                Op::Ins => ("<ins>", "</ins>"),
                Op::Del => ("<del>", "</del>"),
            };
            out.push_str(o);
            crate::html::escape(&s.text, &mut out);
            out.push_str(c);
        }
        match p.mark {
            Op::Del if !p.all(Op::Del) => out.push_str("<del class=\"mark\">\u{b6}</del>"),
            Op::Ins if !p.all(Op::Ins) => out.push_str("<ins class=\"mark\">\u{b6}</ins>"),
            _ => {}
        }
        out.push_str("</p>\n");
    }
    out.push_str("</div>\n");
    out
}

/// The redline as a DOCX with tracked changes by `author` at `date` (RFC 3339): Word and
/// LibreOffice show each insertion and deletion as a revision to accept or reject; accepting
/// all gives the new text, rejecting all the old.
pub fn to_docx(r: &Redline, author: &str, date: &str) -> Result<Vec<u8>, DocxError> {
    let mut d = base();
    for p in &r.paras {
        let mut para = Paragraph::new();
        for s in &p.segs {
            para = match s.op {
                Op::Same => para.add_run(Run::new().add_text(&s.text)),
                Op::Ins => para.add_insert(
                    Insert::new(Run::new().add_text(&s.text))
                        .author(author)
                        .date(date),
                ),
                Op::Del => para.add_delete(
                    Delete::new()
                        .add_run(Run::new().add_delete_text(&s.text))
                        .author(author)
                        .date(date),
                ),
            };
        }
        // The paragraph mark's own revision, so that accepting all gives exactly the new
        // paragraphs and rejecting all the old.
        match p.mark {
            Op::Ins => para = para.insert(author, date),
            Op::Del => para = para.delete(author, date),
            Op::Same => {}
        }
        d = d.add_paragraph(para);
    }
    pack(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_changed_number_is_one_word_each_way() {
        let r = redline(
            "1. Payment is due within 30 days.\n2. Term is one year.",
            "1. Payment is due within 45 days.\n2. Term is one year.\n3. New clause.",
        );
        assert_eq!(r.words_deleted, 1);
        assert_eq!(r.words_inserted, 1 + 3);
        assert_eq!(r.paras_changed, 2);
        let h = to_html(&r);
        assert!(h.contains("within <del>30</del><ins>45</ins> days."), "{h}");
        assert!(
            h.contains("<p class=\"para-ins\"><ins>3. New clause.</ins></p>"),
            "{h}"
        );
        assert!(!r.coarse);
    }

    #[test]
    fn identical_texts_have_no_changes() {
        let r = redline("a b\n\nc", "a b\nc\n");
        assert!(r.is_identical());
        assert!(redline("", "").is_identical());
    }

    #[test]
    fn tracked_changes_docx_accepts_to_the_new_text() {
        let r = redline(
            "Payment within 30 days.\nGoverning law: New York.\nOld clause.",
            "Payment within 45 days.\nGoverning law: Delaware.",
        );
        let bytes = to_docx(&r, "lexops", "2026-11-27T10:00:00Z").unwrap();
        // evidence reads the document with insertions kept and deletions dropped: the
        // accepted text.
        let text = evidence::extract(evidence::Kind::Docx, &bytes, &Default::default())
            .unwrap()
            .text;
        assert_eq!(text, "Payment within 45 days.\nGoverning law: Delaware.");
        let xml = crate::docx::tests_part(&bytes, "word/document.xml");
        assert!(xml.contains("<w:ins "), "{xml}");
        assert!(xml.contains("<w:del "), "{xml}");
        assert!(xml.contains("<w:delText"), "{xml}");
        assert!(xml.contains("w:author=\"lexops\""), "{xml}");
    }

    proptest! {
        #[test]
        fn both_texts_come_back(
            a in proptest::collection::vec("[a-d ,.]{0,12}", 0..8),
            b in proptest::collection::vec("[a-d ,.]{0,12}", 0..8),
        ) {
            let (old, new) = (a.join("\n"), b.join("\n"));
            let r = redline(&old, &new);
            let norm = |s: &str| paragraphs(s).join("\n");
            prop_assert_eq!(r.old_text(), norm(&old));
            prop_assert_eq!(r.new_text(), norm(&new));
        }
    }
}
