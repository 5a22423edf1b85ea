//! DOCX output with docx-rs: styles for headings, real Word numbering for clauses (1., 1.1,
//! 1.1.1) and bullets, bold and italic runs, tables. The redline's tracked-change document is
//! written here too, with the same styles.

use crate::doc::{Block, Document, Span};
use docx_rs::{
    AbstractNumbering, Docx, IndentLevel, Level, LevelJc, LevelText, NumberFormat, Numbering,
    NumberingId, Paragraph, Run, SpecialIndentType, Start, Style, StyleType, Table, TableCell,
    TableRow,
};

// docx-rs always writes a default numbering with id 1 (first in the part, so it would win):
// ours take the next ids.
const CLAUSES: usize = 2;
const BULLETS: usize = 3;

#[derive(Debug, thiserror::Error)]
#[error("the DOCX could not be written: {0}")]
pub struct DocxError(String);

/// A document with lexops' styles and numbering definitions.
pub(crate) fn base() -> Docx {
    let mut clauses = AbstractNumbering::new(CLAUSES);
    let mut bullets = AbstractNumbering::new(BULLETS);
    for l in 0..3usize {
        let text: Vec<String> = (1..=l + 1).map(|i| format!("%{i}")).collect();
        let left = 567 * (l as i32 + 1);
        clauses = clauses.add_level(
            Level::new(
                l,
                Start::new(1),
                NumberFormat::new("decimal"),
                LevelText::new(format!("{}.", text.join("."))),
                LevelJc::new("left"),
            )
            .indent(
                Some(left),
                Some(SpecialIndentType::Hanging(567)),
                None,
                None,
            ),
        );
        bullets = bullets.add_level(
            Level::new(
                l,
                Start::new(1),
                NumberFormat::new("bullet"),
                LevelText::new(["\u{2022}", "\u{2013}", "\u{25AA}"][l]),
                LevelJc::new("left"),
            )
            .indent(
                Some(left),
                Some(SpecialIndentType::Hanging(284)),
                None,
                None,
            ),
        );
    }
    let mut d = Docx::new()
        .default_size(22)
        .add_abstract_numbering(clauses)
        .add_numbering(Numbering::new(CLAUSES, CLAUSES))
        .add_abstract_numbering(bullets)
        .add_numbering(Numbering::new(BULLETS, BULLETS));
    for (id, name, size) in [
        ("Heading1", "heading 1", 32),
        ("Heading2", "heading 2", 26),
        ("Heading3", "heading 3", 24),
    ] {
        let level = id.as_bytes()[7] - b'1';
        d = d.add_style(
            Style::new(id, StyleType::Paragraph)
                .name(name)
                .based_on("Normal")
                .next("Normal")
                .q_format(true)
                .size(size)
                .bold()
                .outline_lvl(level as usize),
        );
    }
    d
}

pub(crate) fn run(s: &Span) -> Run {
    let mut r = Run::new().add_text(&s.text);
    if s.bold {
        r = r.bold();
    }
    if s.italic {
        r = r.italic();
    }
    r
}

fn para(spans: &[Span]) -> Paragraph {
    spans
        .iter()
        .fold(Paragraph::new(), |p, s| p.add_run(run(s)))
}

/// Writes a document as DOCX bytes.
pub fn to_docx(doc: &Document) -> Result<Vec<u8>, DocxError> {
    let mut d = base();
    for b in &doc.blocks {
        match b {
            Block::Heading { level, spans } => {
                d = d.add_paragraph(para(spans).style(&format!("Heading{level}")));
            }
            Block::Para { indent, spans } => {
                let mut p = para(spans);
                if *indent > 0 {
                    p = p.indent(Some(567 * *indent as i32), None, None, None);
                }
                d = d.add_paragraph(p);
            }
            Block::Clause { level, spans } => {
                d = d.add_paragraph(
                    para(spans)
                        .numbering(NumberingId::new(CLAUSES), IndentLevel::new(*level as usize)),
                );
            }
            Block::Bullet { level, spans } => {
                d = d.add_paragraph(
                    para(spans)
                        .numbering(NumberingId::new(BULLETS), IndentLevel::new(*level as usize)),
                );
            }
            Block::Table { rows } => {
                let rows = rows
                    .iter()
                    .enumerate()
                    .map(|(i, row)| {
                        TableRow::new(
                            row.iter()
                                .map(|cell| {
                                    let mut spans = cell.clone();
                                    if i == 0 {
                                        for s in &mut spans {
                                            s.bold = true;
                                        }
                                    }
                                    TableCell::new().add_paragraph(para(&spans))
                                })
                                .collect(),
                        )
                    })
                    .collect();
                d = d.add_table(Table::new(rows));
                // Word needs a paragraph between two tables, and after a last one.
                d = d.add_paragraph(Paragraph::new());
            }
        }
    }
    pack(d)
}

pub(crate) fn pack(d: Docx) -> Result<Vec<u8>, DocxError> {
    let mut out = std::io::Cursor::new(Vec::new());
    d.build()
        .pack(&mut out)
        .map_err(|e| DocxError(e.to_string()))?;
    Ok(out.into_inner())
}

#[cfg(test)]
pub(crate) fn tests_part(bytes: &[u8], name: &str) -> String {
    use std::io::Read;
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut s = String::new();
    z.by_name(name).unwrap().read_to_string(&mut s).unwrap();
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_docx_reads_back_with_its_text_and_numbering() {
        let doc = Document::from_markdown(
            "# Services Agreement\n\nBetween **Acme Corp** and *Beta LLC*.\n\n1. Services\n   1. Scope\n2. Fees\n\n| Item | Fee |\n|---|---|\n| Setup | 1,000 |\n",
        );
        let bytes = to_docx(&doc).unwrap();
        let text = evidence::extract(evidence::Kind::Docx, &bytes, &Default::default())
            .unwrap()
            .text;
        assert!(text.contains("Services Agreement"), "{text}");
        assert!(text.contains("Between Acme Corp and Beta LLC."), "{text}");
        assert!(text.contains("Item\tFee\nSetup\t1,000"), "{text}");
        // The XML carries real numbering, a heading style, bold and italic.
        let xml = tests_part(&bytes, "word/document.xml");
        assert!(
            xml.contains("<w:numId w:val=\"2\" />") || xml.contains("<w:numId w:val=\"2\"/>"),
            "clauses use our numbering, not docx-rs' default (id 1): {xml}"
        );
        assert!(xml.contains("Heading1"));
        assert!(xml.contains("<w:b />") || xml.contains("<w:b/>"));
        assert!(xml.contains("<w:i />") || xml.contains("<w:i/>"));
        assert!(xml.contains("<w:tbl>"));
        let numbering = tests_part(&bytes, "word/numbering.xml");
        assert!(numbering.contains("%1.%2."), "{numbering}");
    }
}
