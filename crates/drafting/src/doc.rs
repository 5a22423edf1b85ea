//! The structured document a template renders to: headings, paragraphs, numbered clauses
//! (1., 1.1, 1.1.1), bullets and tables, with bold and italic runs. Templates produce Markdown
//! (read by pulldown-cmark), and the DOCX and HTML writers read this model, so Word's run
//! splitting never reaches a template.

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};

/// A run of text with its emphasis.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Span {
    pub text: String,
    pub bold: bool,
    pub italic: bool,
}

/// A block of the document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Block {
    /// `level` 1 to 3.
    Heading { level: u8, spans: Vec<Span> },
    /// A paragraph; `indent` counts the clause levels it continues (0 for body text).
    Para { indent: u8, spans: Vec<Span> },
    /// A numbered clause; `level` 0 is "1.", 1 is "1.1", 2 is "1.1.1".
    Clause { level: u8, spans: Vec<Span> },
    /// A bulleted item at `level`.
    Bullet { level: u8, spans: Vec<Span> },
    /// A table: its first row is the header.
    Table { rows: Vec<Vec<Vec<Span>>> },
}

/// A rendered document.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Document {
    pub blocks: Vec<Block>,
}

/// The most nesting a clause or bullet can have (deeper items are kept at this level).
pub const MAX_LEVEL: u8 = 2;

impl Document {
    /// Reads the Markdown a template renders to. Raw HTML, images, links and code are kept as
    /// their plain text: nothing in a contract's text is markup for the reader.
    pub fn from_markdown(src: &str) -> Document {
        let mut opts = Options::empty();
        opts.insert(Options::ENABLE_TABLES);
        let mut b = Builder::default();
        for ev in Parser::new_ext(src, opts) {
            b.event(ev);
        }
        b.flush();
        Document { blocks: b.blocks }
    }

    /// The clause numbers ("1.", "2.3.") of each block, as the DOCX numbering shows them
    /// (`None` for blocks that are not numbered clauses).
    pub fn clause_labels(&self) -> Vec<Option<String>> {
        let mut counters = [0u32; (MAX_LEVEL + 1) as usize];
        self.blocks
            .iter()
            .map(|b| match b {
                Block::Clause { level, .. } => {
                    let l = *level as usize;
                    counters[l] += 1;
                    for c in counters.iter_mut().skip(l + 1) {
                        *c = 0;
                    }
                    let parts: Vec<String> = counters[..=l]
                        .iter()
                        .map(|c| c.max(&1).to_string())
                        .collect();
                    Some(format!("{}.", parts.join(".")))
                }
                // A heading restarts nothing: clauses number through the whole document.
                _ => None,
            })
            .collect()
    }

    /// The plain text, a line per paragraph (table cells separated by tabs), as a reader of
    /// the DOCX gets it back.
    pub fn plain_text(&self) -> String {
        let mut out = String::new();
        for b in &self.blocks {
            match b {
                Block::Heading { spans, .. }
                | Block::Para { spans, .. }
                | Block::Clause { spans, .. }
                | Block::Bullet { spans, .. } => out.push_str(&spans_text(spans)),
                Block::Table { rows } => {
                    for (i, row) in rows.iter().enumerate() {
                        if i > 0 {
                            out.push('\n');
                        }
                        let cells: Vec<String> = row.iter().map(|c| spans_text(c)).collect();
                        out.push_str(&cells.join("\t"));
                    }
                }
            }
            out.push('\n');
        }
        out.trim_end().to_string()
    }
}

/// The text of runs, without emphasis.
pub fn spans_text(spans: &[Span]) -> String {
    spans.iter().map(|s| s.text.as_str()).collect()
}

#[derive(Default)]
struct Builder {
    blocks: Vec<Block>,
    spans: Vec<Span>,
    bold: u32,
    italic: u32,
    /// Open lists: `true` for numbered.
    lists: Vec<bool>,
    /// Whether the current list item's first paragraph has been emitted.
    item_started: Vec<bool>,
    heading: Option<u8>,
    table: Option<Vec<Vec<Vec<Span>>>>,
    in_cell: bool,
}

impl Builder {
    fn push_text(&mut self, t: &str) {
        if t.is_empty() {
            return;
        }
        let (bold, italic) = (self.bold > 0, self.italic > 0);
        if let Some(last) = self.spans.last_mut()
            && last.bold == bold
            && last.italic == italic
        {
            last.text.push_str(t);
            return;
        }
        self.spans.push(Span {
            text: t.to_string(),
            bold,
            italic,
        });
    }

    /// Ends the paragraph being collected, as the block its context makes it.
    fn flush(&mut self) {
        if self.in_cell {
            return;
        }
        // Trim the paragraph's outer whitespace.
        if let Some(first) = self.spans.first_mut() {
            first.text = first.text.trim_start().to_string();
        }
        if let Some(last) = self.spans.last_mut() {
            last.text = last.text.trim_end().to_string();
        }
        self.spans.retain(|s| !s.text.is_empty());
        if self.spans.is_empty() {
            return;
        }
        let spans = std::mem::take(&mut self.spans);
        let block = if let Some(level) = self.heading {
            Block::Heading { level, spans }
        } else if let Some(&numbered) = self.lists.last() {
            let level = (self.lists.len() as u8 - 1).min(MAX_LEVEL);
            let started = self.item_started.last_mut().expect("an item per list");
            if *started {
                Block::Para {
                    indent: level + 1,
                    spans,
                }
            } else {
                *started = true;
                if numbered {
                    // Numbering counts numbered lists only.
                    let level =
                        (self.lists.iter().filter(|n| **n).count() as u8 - 1).min(MAX_LEVEL);
                    Block::Clause { level, spans }
                } else {
                    Block::Bullet { level, spans }
                }
            }
        } else {
            Block::Para { indent: 0, spans }
        };
        self.blocks.push(block);
    }

    fn event(&mut self, ev: Event<'_>) {
        match ev {
            Event::Start(tag) => match tag {
                Tag::Paragraph => self.flush(),
                Tag::Heading { level, .. } => {
                    self.flush();
                    self.heading = Some(match level {
                        HeadingLevel::H1 => 1,
                        HeadingLevel::H2 => 2,
                        _ => 3,
                    });
                }
                Tag::List(start) => {
                    self.flush();
                    self.lists.push(start.is_some());
                }
                Tag::Item => {
                    self.flush();
                    self.item_started.push(false);
                }
                Tag::Strong => self.bold += 1,
                Tag::Emphasis => self.italic += 1,
                Tag::Table(_) => {
                    self.flush();
                    self.table = Some(vec![]);
                }
                Tag::TableHead | Tag::TableRow => {
                    if let Some(t) = self.table.as_mut() {
                        t.push(vec![]);
                    }
                }
                Tag::TableCell => {
                    self.in_cell = true;
                    self.spans.clear();
                }
                _ => {}
            },
            Event::End(tag) => match tag {
                TagEnd::Paragraph => self.flush(),
                TagEnd::Heading(_) => {
                    self.flush();
                    self.heading = None;
                }
                TagEnd::Item => {
                    self.flush();
                    self.item_started.pop();
                }
                TagEnd::List(_) => {
                    self.flush();
                    self.lists.pop();
                }
                TagEnd::Strong => self.bold = self.bold.saturating_sub(1),
                TagEnd::Emphasis => self.italic = self.italic.saturating_sub(1),
                TagEnd::TableCell => {
                    self.in_cell = false;
                    let mut spans = std::mem::take(&mut self.spans);
                    if let Some(first) = spans.first_mut() {
                        first.text = first.text.trim_start().to_string();
                    }
                    if let Some(last) = spans.last_mut() {
                        last.text = last.text.trim_end().to_string();
                    }
                    if let Some(row) = self.table.as_mut().and_then(|t| t.last_mut()) {
                        row.push(spans);
                    }
                }
                TagEnd::Table => {
                    if let Some(rows) = self.table.take() {
                        self.blocks.push(Block::Table { rows });
                    }
                }
                _ => {}
            },
            Event::Text(t) | Event::Code(t) | Event::InlineMath(t) | Event::DisplayMath(t) => {
                self.push_text(&t)
            }
            Event::Html(t) | Event::InlineHtml(t) => self.push_text(&t),
            Event::SoftBreak => self.push_text(" "),
            Event::HardBreak => self.push_text("\n"),
            Event::Rule => self.flush(),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(t: &str) -> Span {
        Span {
            text: t.into(),
            bold: false,
            italic: false,
        }
    }

    #[test]
    fn markdown_becomes_headings_clauses_and_tables() {
        let d = Document::from_markdown(
            "# Master Services Agreement\n\nBetween **Acme** and *Beta*.\n\n1. Services\n   1. Scope of work\n   2. Changes\n2. Fees\n\n   Paid monthly.\n\n- a bullet\n\n| Item | Fee |\n|---|---|\n| Setup | USD 1,000.00 |\n",
        );
        assert_eq!(
            d.blocks[0],
            Block::Heading {
                level: 1,
                spans: vec![s("Master Services Agreement")]
            }
        );
        assert_eq!(
            d.blocks[1],
            Block::Para {
                indent: 0,
                spans: vec![
                    s("Between "),
                    Span {
                        text: "Acme".into(),
                        bold: true,
                        italic: false
                    },
                    s(" and "),
                    Span {
                        text: "Beta".into(),
                        bold: false,
                        italic: true
                    },
                    s("."),
                ]
            }
        );
        let kinds: Vec<String> = d
            .blocks
            .iter()
            .map(|b| match b {
                Block::Heading { level, .. } => format!("h{level}"),
                Block::Para { indent, .. } => format!("p{indent}"),
                Block::Clause { level, .. } => format!("c{level}"),
                Block::Bullet { level, .. } => format!("b{level}"),
                Block::Table { rows } => format!("t{}", rows.len()),
            })
            .collect();
        assert_eq!(
            kinds,
            ["h1", "p0", "c0", "c1", "c1", "c0", "p1", "b0", "t2"]
        );
        let labels: Vec<Option<String>> = d.clause_labels();
        assert_eq!(labels[2].as_deref(), Some("1."));
        assert_eq!(labels[3].as_deref(), Some("1.1."));
        assert_eq!(labels[4].as_deref(), Some("1.2."));
        assert_eq!(labels[5].as_deref(), Some("2."));
        assert_eq!(d.plain_text().lines().last(), Some("Setup\tUSD 1,000.00"));
    }

    #[test]
    fn html_in_a_template_is_text() {
        let d = Document::from_markdown("<script>alert(1)</script>\n\nok");
        assert!(d.plain_text().contains("<script>"));
    }
}
