use super::*;
use std::io::Write;

/// A Word file as Word writes one: a zip with the content types, the main document, a header
/// and the core properties.
pub(crate) fn docx_bytes(paragraphs: &[&str], header: &str) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let body: String = paragraphs
        .iter()
        .map(|p| {
            format!(
                "<w:p><w:r><w:t xml:space=\"preserve\">{}</w:t></w:r></w:p>",
                p.replace('&', "&amp;").replace('<', "&lt;")
            )
        })
        .collect();
    let files = [
        ("[Content_Types].xml", "<?xml version=\"1.0\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"/>".to_string()),
        ("word/document.xml", format!("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body>{body}<w:tbl><w:tr><w:tc><w:p><w:r><w:t>Cell A</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>Cell B</w:t></w:r><w:r><w:tab/><w:t>after tab</w:t></w:r></w:p></w:tc></w:tr></w:tbl></w:body></w:document>")),
        ("word/header1.xml", format!("<w:hdr xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:p><w:r><w:t>{header}</w:t></w:r></w:p></w:hdr>")),
        ("docProps/core.xml", "<cp:coreProperties xmlns:cp=\"x\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><dc:title>Master Services Agreement</dc:title><dc:creator>A. Lawyer &amp; Co</dc:creator></cp:coreProperties>".to_string()),
    ];
    for (name, text) in files {
        w.start_file(name, opts).unwrap();
        w.write_all(text.as_bytes()).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// A one-page PDF with `lines` of text in Helvetica, with a correct cross-reference table.
pub(crate) fn pdf_bytes(lines: &[&str]) -> Vec<u8> {
    let mut content = String::from("BT /F1 12 Tf 72 720 Td 14 TL\n");
    for l in lines {
        content.push_str(&format!(
            "({}) Tj T*\n",
            l.replace('(', "\\(").replace(')', "\\)")
        ));
    }
    content.push_str("ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_string(),
        format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_string(),
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = vec![];
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

const EML: &str = "From: Dana Whitfield <dana@acme.example>\r\nTo: Legal Ops <legalops@acme.example>, Sam <sam@acme.example>\r\nSubject: Preservation of the Hendricks files\r\nDate: Tue, 3 Nov 2026 09:15:00 -0500\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Please keep the <b>Hendricks</b> warehouse invoices.</p>\r\n--b1\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"invoices.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--b1--\r\n";

#[test]
fn kinds_come_from_the_name_checked_by_the_first_bytes() {
    assert_eq!(kind_of("a.PDF", b"%PDF-1.7"), Kind::Pdf);
    assert_eq!(kind_of("a.pdf", b"<html>"), Kind::Other);
    assert_eq!(kind_of("a.docx", b"PK\x03\x04rest"), Kind::Docx);
    assert_eq!(kind_of("a.docx", b"not a zip"), Kind::Other);
    assert_eq!(kind_of("note.txt", b"hi"), Kind::Text);
    assert_eq!(kind_of("mail.eml", b"From: x"), Kind::Email);
    assert_eq!(kind_of("scan.png", b"\x89PNG"), Kind::Other);
    for k in [Kind::Text, Kind::Docx, Kind::Email, Kind::Pdf, Kind::Other] {
        assert_eq!(Kind::parse(k.as_str()), Some(k));
    }
}

#[test]
fn plain_text_in_its_encodings() {
    assert_eq!(plain_text(b"\xEF\xBB\xBFcaf\xC3\xA9"), "café");
    assert_eq!(plain_text(b"\xFF\xFEh\0i\0"), "hi");
    assert_eq!(plain_text(b"caf\xE9"), "café");
}

#[test]
fn a_word_file_gives_its_paragraphs_tables_headers_and_properties() {
    let bytes = docx_bytes(
        &["Section 1. Term & Termination", "The term is <five> years."],
        "CONFIDENTIAL",
    );
    let x = extract(Kind::Docx, &bytes, &Limits::default()).unwrap();
    assert!(
        x.text
            .contains("Section 1. Term & Termination\nThe term is <five> years.\n"),
        "{:?}",
        x.text
    );
    assert!(
        x.text.contains("Cell A\tCell B\tafter tab\n"),
        "{:?}",
        x.text
    );
    assert!(x.text.contains("CONFIDENTIAL"));
    assert_eq!(
        x.fields,
        vec![
            ("Title".to_string(), "Master Services Agreement".to_string()),
            ("Author".to_string(), "A. Lawyer & Co".to_string())
        ]
    );
}

#[test]
fn a_docx_that_unpacks_too_far_is_refused() {
    let bytes = docx_bytes(&[&"x".repeat(10_000)], "h");
    let limits = Limits {
        max_part_bytes: 1_000,
        ..Limits::default()
    };
    let e = extract(Kind::Docx, &bytes, &limits).unwrap_err();
    assert!(e.to_string().contains("more than 1000 bytes"), "{e}");
    assert!(extract(Kind::Docx, b"PK\x03\x04garbage", &Limits::default()).is_err());
}

#[test]
fn an_email_gives_its_headers_body_and_attachment_names() {
    let x = extract(Kind::Email, EML.as_bytes(), &Limits::default()).unwrap();
    let f: std::collections::HashMap<_, _> = x.fields.iter().cloned().collect();
    assert_eq!(f["From"], "Dana Whitfield <dana@acme.example>");
    assert_eq!(
        f["To"],
        "Legal Ops <legalops@acme.example>, Sam <sam@acme.example>"
    );
    assert_eq!(f["Subject"], "Preservation of the Hendricks files");
    assert_eq!(f["Date"], "2026-11-03T09:15:00-05:00");
    assert_eq!(f["Attachments"], "invoices.pdf");
    assert!(
        x.text
            .contains("Please keep the Hendricks warehouse invoices."),
        "{:?}",
        x.text
    );
    assert!(x.searchable().starts_with("From: Dana Whitfield"));
    assert!(extract(Kind::Email, b"", &Limits::default()).is_err());
}

#[test]
fn a_pdf_gives_its_text_and_garbage_is_an_error() {
    let bytes = pdf_bytes(&["Records retention notice", "Destroy after (seven) years"]);
    let t = pdf_text(&bytes).unwrap();
    assert!(t.contains("Records retention notice"), "{t:?}");
    assert!(t.contains("Destroy after (seven) years"), "{t:?}");
    assert!(
        std::panic::catch_unwind(|| pdf_text(b"%PDF-1.4 nonsense")).map_or(true, |r| r.is_err())
    );
}

#[test]
fn text_is_cut_at_the_limit_on_a_character_boundary() {
    let limits = Limits {
        max_chars: 3,
        ..Limits::default()
    };
    let x = extract(Kind::Text, "éééé".as_bytes(), &limits).unwrap();
    assert_eq!(x.text, "ééé");
    assert!(x.truncated);
    assert!(matches!(
        extract(Kind::Other, b"x", &limits),
        Err(ExtractError::NoText(_))
    ));
}

#[test]
fn the_simple_word_writer_is_read_back() {
    let bytes = simple_docx(
        "Lease",
        "Legal <Ops>",
        "DRAFT",
        &["Rent is due & payable monthly."],
    );
    assert_eq!(kind_of("lease.docx", &bytes), Kind::Docx);
    let x = extract(Kind::Docx, &bytes, &Limits::default()).unwrap();
    assert_eq!(x.text, "Rent is due & payable monthly.\n\nDRAFT");
    assert_eq!(x.fields[1].1, "Legal <Ops>");
}

#[test]
fn protected_files_are_named_as_such() {
    let mut ole = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    ole.extend_from_slice(&[0; 512]);
    let e = extract(Kind::Docx, &ole, &Limits::default()).unwrap_err();
    assert!(e.to_string().contains("password-protected"), "{e}");
    let e = pdf_text(b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<</Encrypt 2 0 R>>\n%%EOF").unwrap_err();
    assert!(e.to_string().contains("password-protected"), "{e}");
}

#[test]
fn tracked_changes_are_counted() {
    let plain = docx_bytes(&["No revisions here."], "H");
    assert_eq!(docx_revisions(&plain, &Limits::default()).unwrap(), 0);
}
