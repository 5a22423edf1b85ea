//! The published LEDES 1998B sample's structure, read in every way the application reads files.

use ledes::{Classification, Format, LineType, Reader, Rule, Severity, ValidateOptions, validate};
use rust_decimal::Decimal;
use std::str::FromStr;

const SAMPLE: &[u8] = include_bytes!("fixtures/sample_1998b.txt");

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

#[test]
fn published_sample_reads_and_validates() {
    let r = validate(SAMPLE, &ValidateOptions::default());
    assert_eq!(r.format, Some(Format::Ledes1998B));
    assert!(!r.has_errors(), "{}", r.render_text("sample"));
    assert_eq!((r.invoice_count, r.line_items), (2, 6));
    // The only finding: the non-ASCII apostrophe, kept as written.
    assert_eq!(r.findings.len(), 1);
    let f = &r.findings[0];
    assert_eq!(
        (f.severity, f.rule, f.line, f.field),
        (
            Severity::Warning,
            Rule::Encoding,
            Some(3),
            Some("LINE_ITEM_DESCRIPTION")
        )
    );
    let inv = &r.invoices[0];
    assert_eq!(inv.invoice_number, "96542");
    assert_eq!(inv.total, d("1684.45"));
    assert_eq!(inv.sum_of_lines(), d("1684.45"));
    let first = &inv.line_items[0];
    assert_eq!(first.adjustment, Some(d("-70")));
    assert_eq!(
        first.description,
        "Research Attorney\u{2019}s fees, Set off claim"
    );
    assert_eq!(first.classification(), Some(Classification::Partner));
    assert_eq!(
        inv.line_items[2].classification(),
        Some(Classification::Associate)
    );
    let retainer = &r.invoices[1].line_items[0];
    assert_eq!(retainer.line_type, LineType::FeeAdjustment);
    assert_eq!(retainer.adjustment, Some(d("1250")));
    assert_eq!(retainer.unit_cost, None);
}

#[test]
fn report_text_and_json() {
    let bad = String::from_utf8_lossy(SAMPLE).replace("|0|700|", "|0|750|");
    let r = validate(bad.as_bytes(), &ValidateOptions::default());
    let text = r.render_text("invoice.txt");
    let expected = "invoice.txt:3: warning [field LINE_ITEM_DESCRIPTION, invoice 96542, line 1] LINE_ITEM_DESCRIPTION contains non-ASCII characters; LEDES pipe files are ASCII, the text is kept as written
invoice.txt:4: error [field LINE_ITEM_TOTAL, invoice 96542, line 2] line total 750 is not units × unit cost + adjustment (2 × 350 + 0 = 700); correct LINE_ITEM_TOTAL or the amounts it is computed from
invoice.txt:3: error [field INVOICE_TOTAL, invoice 96542] invoice total 1684.45 does not equal the sum of its 5 line totals (1734.45); the difference is -50
invoice.txt: LEDES 1998B, 2 invoice(s), 6 line item(s): 2 error(s), 1 warning(s)
";
    assert_eq!(text, expected);
    let json: serde_json::Value = serde_json::to_value(&r).unwrap();
    assert_eq!(json["findings"][1]["rule"], "line-total");
    assert_eq!(json["findings"][1]["field"], "LINE_ITEM_TOTAL");
    assert_eq!(json["findings"][1]["line"], 4);
    assert_eq!(json["invoices"][0]["line_items"][0]["total"], "630");
    assert_eq!(json["invoices"][0]["invoice_date"], "1999-02-25");
}

#[test]
fn streaming_reader_matches_validate() {
    let all = validate(SAMPLE, &ValidateOptions::default());
    let mut reader = Reader::new(SAMPLE, ValidateOptions::default());
    let items: Vec<_> = (&mut reader).collect();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0].findings.len(), 1);
    let invs: Vec<_> = items.into_iter().map(|i| i.invoice.unwrap()).collect();
    assert_eq!(invs, all.invoices);
    assert_eq!(reader.format(), Some(Format::Ledes1998B));
    assert_eq!(reader.line_items(), 6);
}

#[test]
fn streaming_bounds_long_records() {
    let mut data = SAMPLE.to_vec();
    data.extend(std::iter::repeat_n(b'x', 5000));
    data.extend_from_slice(b"[]\r\n");
    let opts = ValidateOptions {
        max_record_len: 1000,
        ..Default::default()
    };
    let items: Vec<_> = Reader::new(&data[..], opts).collect();
    assert_eq!(items.len(), 2);
    let f: Vec<_> = items[1].findings.iter().map(|f| (f.rule, f.line)).collect();
    assert_eq!(f, vec![(Rule::RecordTooLong, Some(9))]);
}

#[test]
fn lf_crlf_and_blank_lines_are_equivalent() {
    let lf = String::from_utf8_lossy(SAMPLE).replace("\r\n", "\n");
    let a = validate(SAMPLE, &ValidateOptions::default());
    let b = validate(lf.as_bytes(), &ValidateOptions::default());
    let c = validate(format!("{lf}\n\n").as_bytes(), &ValidateOptions::default());
    assert_eq!(a.invoices, b.invoices);
    assert_eq!(b.invoices, c.invoices);
    assert_eq!(c.findings.len(), 1);
}

#[test]
fn two_letter_classifications_map_to_the_same_enum() {
    let two = String::from_utf8_lossy(SAMPLE)
        .replace("|PARTNR|", "|PT|")
        .replace("|ASSOC|", "|AS|");
    let r = validate(two.as_bytes(), &ValidateOptions::default());
    assert!(!r.has_errors());
    assert_eq!(
        r.invoices[0].line_items[0].classification(),
        Some(Classification::Partner)
    );
    assert_eq!(
        r.invoices[0].line_items[2].classification(),
        Some(Classification::Associate)
    );
}

#[test]
fn tax_cannot_be_written_as_1998b() {
    let taxed = ledes::generate::Generator::new(9)
        .line_items(5)
        .format(Format::Ledes98BI)
        .to_vec();
    let err = ledes::convert(
        &taxed,
        Format::Ledes1998B,
        &ledes::ConvertOptions::default(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("cannot carry tax"), "{err}");
}

#[test]
fn format_names() {
    for f in Format::ALL {
        assert_eq!(f.id().parse::<Format>().unwrap(), f);
    }
    assert_eq!("LEDES98BI V2".parse::<Format>().unwrap(), Format::Ledes98BI);
    assert!("pdf".parse::<Format>().is_err());
    assert_eq!(
        Format::detect(b"\xEF\xBB\xBF<?xml version=\"1.0\"?>\n<ledesxmlebilling21>"),
        Some(Format::Xml21)
    );
    assert_eq!(
        Format::detect(b"<ledesxmlebilling22/>"),
        Some(Format::Xml22)
    );
    assert_eq!(Format::detect(b"<html>"), None);
    assert_eq!(Format::detect(b"LEDES98BI V2[]"), Some(Format::Ledes98BI));
}
