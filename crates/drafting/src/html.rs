//! The HTML view of a document: every character of text escaped, numbering written out.

use crate::doc::{Block, Document, Span};

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' => out.push_str("<br>"),
            c => out.push(c),
        }
    }
}

fn spans(sp: &[Span], out: &mut String) {
    for s in sp {
        let (open, close) = match (s.bold, s.italic) {
            (true, true) => ("<strong><em>", "</em></strong>"),
            (true, false) => ("<strong>", "</strong>"),
            (false, true) => ("<em>", "</em>"),
            (false, false) => ("", ""),
        };
        out.push_str(open);
        escape(&s.text, out);
        out.push_str(close);
    }
}

/// The document as an HTML fragment (`<article class="contract-doc">`).
pub fn to_html(doc: &Document) -> String {
    let labels = doc.clause_labels();
    let mut out = String::from("<article class=\"contract-doc\">\n");
    for (b, label) in doc.blocks.iter().zip(labels) {
        match b {
            Block::Heading { level, spans: sp } => {
                let l = level + 1; // the page has its own h1
                out.push_str(&format!("<h{l}>"));
                spans(sp, &mut out);
                out.push_str(&format!("</h{l}>\n"));
            }
            Block::Para { indent, spans: sp } => {
                out.push_str(&format!("<p class=\"indent-{indent}\">"));
                spans(sp, &mut out);
                out.push_str("</p>\n");
            }
            Block::Clause { level, spans: sp } => {
                out.push_str(&format!(
                    "<p class=\"clause level-{level}\"><span class=\"num\">{}</span> ",
                    label.unwrap_or_default()
                ));
                spans(sp, &mut out);
                out.push_str("</p>\n");
            }
            Block::Bullet { level, spans: sp } => {
                out.push_str(&format!("<p class=\"bullet level-{level}\">&bull; "));
                spans(sp, &mut out);
                out.push_str("</p>\n");
            }
            Block::Table { rows } => {
                out.push_str("<table class=\"contract-table\">\n");
                for (i, row) in rows.iter().enumerate() {
                    out.push_str("<tr>");
                    let tag = if i == 0 { "th" } else { "td" };
                    for cell in row {
                        out.push_str(&format!("<{tag}>"));
                        spans(cell, &mut out);
                        out.push_str(&format!("</{tag}>"));
                    }
                    out.push_str("</tr>\n");
                }
                out.push_str("</table>\n");
            }
        }
    }
    out.push_str("</article>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_clauses_numbered() {
        let d = Document::from_markdown("1. Fees <b>&</b> \"costs\"\n2. Term");
        let h = to_html(&d);
        assert!(
            h.contains(
                "<span class=\"num\">1.</span> Fees &lt;b&gt;&amp;&lt;/b&gt; &quot;costs&quot;"
            ),
            "{h}"
        );
        assert!(h.contains("<span class=\"num\">2.</span> Term"));
        assert!(!h.contains("<b>"));
    }
}
