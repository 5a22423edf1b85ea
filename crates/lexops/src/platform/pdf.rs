//! Printable reports as PDF (certificates of destruction, legal hold reports): a title, a
//! subtitle, headings, key–value lists and tables, laid out on A4 pages with page numbers.
//! Written with `pdf-writer` (no rendering engine): text in the standard Helvetica font
//! (WinAnsi encoding — characters outside it print as `?`), widths estimated from Helvetica's
//! metrics so that table cells wrap instead of overflowing. Content streams are not
//! compressed, so a test can find the text in the bytes.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

/// One part of a report, in order.
pub enum Block {
    Heading(String),
    Paragraph(String),
    /// (label, value) lines.
    Fields(Vec<(String, String)>),
    /// Column headers, relative column widths, rows.
    Table {
        headers: Vec<String>,
        widths: Vec<f32>,
        rows: Vec<Vec<String>>,
    },
}

/// A report to print.
pub struct Report {
    pub title: String,
    pub subtitle: String,
    /// Printed at the foot of every page (e.g. when and by what it was generated).
    pub footer: String,
    pub blocks: Vec<Block>,
}

const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const MARGIN: f32 = 48.0;
const BODY: f32 = 9.0;

/// A character in WinAnsi (the standard fonts' encoding).
fn win_ansi(c: char) -> u8 {
    match c {
        ' '..='~' => c as u8,
        '\u{a0}'..='\u{ff}' => c as u32 as u8,
        '€' => 0x80,
        '‚' => 0x82,
        '„' => 0x84,
        '…' => 0x85,
        '‘' => 0x91,
        '’' => 0x92,
        '“' => 0x93,
        '”' => 0x94,
        '•' => 0x95,
        '–' => 0x96,
        '—' => 0x97,
        '™' => 0x99,
        '\t' => b' ',
        _ => b'?',
    }
}

fn encode(s: &str) -> Vec<u8> {
    s.chars()
        .filter(|c| *c != '\r' && *c != '\n')
        .map(win_ansi)
        .collect()
}

/// Helvetica's advance width of a character, in thousandths of the font size.
fn advance(c: char, bold: bool) -> f32 {
    let w = match c {
        'i' | 'j' | 'l' | '\'' | '|' | '.' | ',' | ':' | ';' | '!' => 222.0,
        ' ' | 'f' | 't' | 'I' | '/' | '(' | ')' | '[' | ']' | '-' => 278.0,
        'r' => 333.0,
        'm' | 'M' => 833.0,
        'w' => 722.0,
        'W' => 944.0,
        '@' => 1015.0,
        'A'..='Z' => 667.0,
        '0'..='9' => 556.0,
        _ => 556.0,
    };
    if bold { w * 1.05 } else { w }
}

fn text_width(s: &str, size: f32, bold: bool) -> f32 {
    s.chars().map(|c| advance(c, bold)).sum::<f32>() * size / 1000.0
}

/// Splits `text` into lines no wider than `width` (words longer than a line are cut).
fn wrap(text: &str, width: f32, size: f32, bold: bool) -> Vec<String> {
    let mut lines = vec![];
    for para in text.split('\n') {
        let mut line = String::new();
        for word in para.split(' ') {
            let candidate = if line.is_empty() {
                word.to_string()
            } else {
                format!("{line} {word}")
            };
            if text_width(&candidate, size, bold) <= width {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            // A word wider than the line: cut it.
            let mut piece = String::new();
            for c in word.chars() {
                piece.push(c);
                if text_width(&piece, size, bold) > width {
                    piece.pop();
                    lines.push(std::mem::take(&mut piece));
                    piece.push(c);
                }
            }
            line = piece;
        }
        lines.push(line);
    }
    lines
}

struct Writer {
    pages: Vec<Content>,
    y: f32,
}

impl Writer {
    fn page(&mut self) -> &mut Content {
        self.pages.last_mut().expect("a page")
    }
    fn new_page(&mut self) {
        self.pages.push(Content::new());
        self.y = PAGE_H - MARGIN;
    }
    /// Makes room for `h` points, starting a new page if needed.
    fn need(&mut self, h: f32) {
        if self.y - h < MARGIN + 20.0 {
            self.new_page();
        }
    }
    fn text(&mut self, x: f32, y: f32, s: &str, size: f32, bold: bool) {
        let font = if bold { Name(b"F2") } else { Name(b"F1") };
        let bytes = encode(s);
        let c = self.page();
        c.begin_text();
        c.set_font(font, size);
        c.next_line(x, y);
        c.show(Str(&bytes));
        c.end_text();
    }
    fn rule(&mut self, y: f32, gray: f32) {
        let c = self.page();
        c.set_stroke_gray(gray);
        c.set_line_width(0.5);
        c.move_to(MARGIN, y);
        c.line_to(PAGE_W - MARGIN, y);
        c.stroke();
    }
    fn lines(&mut self, text: &str, size: f32, bold: bool, gap_after: f32) {
        for l in wrap(text, PAGE_W - 2.0 * MARGIN, size, bold) {
            self.need(size * 1.4);
            self.y -= size * 1.4;
            let y = self.y;
            self.text(MARGIN, y, &l, size, bold);
        }
        self.y -= gap_after;
    }
    fn table(&mut self, headers: &[String], widths: &[f32], rows: &[Vec<String>]) {
        let total: f32 = widths.iter().sum::<f32>().max(f32::EPSILON);
        let usable = PAGE_W - 2.0 * MARGIN;
        let cols: Vec<f32> = widths.iter().map(|w| w / total * usable).collect();
        let size = BODY - 1.0;
        let lead = size * 1.35;
        let draw_row = |w: &mut Writer, cells: &[String], bold: bool| {
            let wrapped: Vec<Vec<String>> = cells
                .iter()
                .zip(&cols)
                .map(|(c, cw)| wrap(c, cw - 6.0, size, bold))
                .collect();
            let height = wrapped.iter().map(Vec::len).max().unwrap_or(1).max(1) as f32 * lead + 4.0;
            w.need(height);
            let top = w.y;
            let mut x = MARGIN;
            for (lines, cw) in wrapped.iter().zip(&cols) {
                for (i, l) in lines.iter().enumerate() {
                    w.text(x, top - lead * (i as f32 + 1.0), l, size, bold);
                }
                x += cw;
            }
            w.y = top - height;
            let y = w.y + 1.0;
            w.rule(y, if bold { 0.3 } else { 0.8 });
        };
        draw_row(self, headers, true);
        for r in rows {
            // A row that starts a new page repeats the headers first.
            let before = self.pages.len();
            let probe = r
                .iter()
                .zip(&cols)
                .map(|(c, cw)| wrap(c, cw - 6.0, size, false).len())
                .max()
                .unwrap_or(1) as f32
                * lead
                + 4.0;
            self.need(probe);
            if self.pages.len() > before {
                draw_row(self, headers, true);
            }
            draw_row(self, r, false);
        }
        self.y -= 10.0;
    }
}

impl Report {
    /// The report as PDF bytes.
    pub fn render(&self) -> Vec<u8> {
        let mut w = Writer {
            pages: vec![],
            y: 0.0,
        };
        w.new_page();
        w.lines(&self.title, 16.0, true, 4.0);
        if !self.subtitle.is_empty() {
            w.lines(&self.subtitle, BODY, false, 6.0);
        }
        let y = w.y;
        w.rule(y, 0.3);
        w.y -= 8.0;
        for b in &self.blocks {
            match b {
                Block::Heading(h) => {
                    w.need(40.0);
                    w.y -= 6.0;
                    w.lines(h, 11.5, true, 4.0);
                }
                Block::Paragraph(p) => w.lines(p, BODY, false, 6.0),
                Block::Fields(fields) => {
                    let label_w = 130.0;
                    for (k, v) in fields {
                        let lines = wrap(v, PAGE_W - 2.0 * MARGIN - label_w, BODY, false);
                        w.need(BODY * 1.4 * lines.len().max(1) as f32);
                        let top = w.y;
                        w.text(MARGIN, top - BODY * 1.4, k, BODY, true);
                        for (i, l) in lines.iter().enumerate() {
                            w.text(
                                MARGIN + label_w,
                                top - BODY * 1.4 * (i as f32 + 1.0),
                                l,
                                BODY,
                                false,
                            );
                        }
                        w.y = top - BODY * 1.4 * lines.len().max(1) as f32 - 2.0;
                    }
                    w.y -= 6.0;
                }
                Block::Table {
                    headers,
                    widths,
                    rows,
                } => w.table(headers, widths, rows),
            }
        }
        // Footers with page numbers, now that the count is known.
        let n = w.pages.len();
        for i in 0..n {
            w.pages.swap(i, n - 1);
            let footer = format!("{}, page {} of {n}", self.footer, i + 1);
            w.text(MARGIN, MARGIN - 16.0, &footer, 7.5, false);
            w.pages.swap(i, n - 1);
        }

        let mut pdf = Pdf::new();
        let catalog = Ref::new(1);
        let tree = Ref::new(2);
        let regular = Ref::new(3);
        let bold = Ref::new(4);
        let info = Ref::new(5);
        let first = 6;
        let page_ids: Vec<Ref> = (0..n).map(|i| Ref::new(first + 2 * i as i32)).collect();
        pdf.catalog(catalog).pages(tree);
        pdf.pages(tree)
            .kids(page_ids.iter().copied())
            .count(n as i32);
        pdf.type1_font(regular)
            .base_font(Name(b"Helvetica"))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
        pdf.type1_font(bold)
            .base_font(Name(b"Helvetica-Bold"))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
        pdf.document_info(info)
            .title(TextStr(&self.title))
            .producer(TextStr("lexops"));
        for (i, content) in w.pages.into_iter().enumerate() {
            let page_id = page_ids[i];
            let content_id = Ref::new(page_id.get() + 1);
            let mut page = pdf.page(page_id);
            page.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H));
            page.parent(tree);
            page.contents(content_id);
            let mut res = page.resources();
            let mut fonts = res.fonts();
            fonts.pair(Name(b"F1"), regular);
            fonts.pair(Name(b"F2"), bold);
            fonts.finish();
            res.finish();
            page.finish();
            pdf.stream(content_id, &content.finish());
        }
        pdf.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_table_spans_pages_with_numbers_and_wrapped_cells() {
        let rows: Vec<Vec<String>> = (0..200)
            .map(|i| {
                vec![
                    format!("custodian {i}"),
                    "acknowledged — 2026-11-27 04:30 UTC".into(),
                    "x".repeat(300),
                ]
            })
            .collect();
        let pdf = Report {
            title: "Legal hold report: Acme v. Widget".into(),
            subtitle: "Matter LIT-2024-001 · active".into(),
            footer: "Generated by lexops".into(),
            blocks: vec![
                Block::Heading("Custodians".into()),
                Block::Table {
                    headers: vec!["Custodian".into(), "State".into(), "Answers".into()],
                    widths: vec![2.0, 2.0, 3.0],
                    rows,
                },
            ],
        }
        .render();
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.starts_with("%PDF-"));
        assert!(text.contains("(Legal hold report: Acme v. Widget)"));
        assert!(text.contains("(custodian 199)"));
        let pages = text.matches("/Type /Page\n").count() + text.matches("/Type /Page ").count();
        assert!(pages > 3 || text.contains("page 4 of"), "several pages");
        assert!(text.contains("page 1 of") && !text.contains("page 0 of"));
        // Text with an em dash is written in hex, the dash as WinAnsi 0x97 (not a '?').
        assert!(text.contains("2097"));
        // A 300-character word is cut to fit its column: no line longer than the page.
        assert!(!text.contains(&"x".repeat(120)));
    }

    #[test]
    fn wrapping_keeps_every_word_and_respects_the_width() {
        let text = "The legal department has placed a legal hold on everything that relates to this matter";
        let lines = wrap(text, 120.0, 9.0, false);
        assert!(lines.len() > 1);
        assert_eq!(lines.join(" "), text);
        assert!(lines.iter().all(|l| text_width(l, 9.0, false) <= 120.0));
    }
}
