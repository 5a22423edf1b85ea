//! Property tests: valid random invoices survive writing and reading in every format, and a
//! single mutation of a valid file produces exactly one precise finding.

use ledes::generate::Generator;
use ledes::{
    ConvertOptions, Format, Invoice, Rule, Severity, ValidateOptions, convert, validate, write,
};
use proptest::prelude::*;

fn invoices(seed: u64, lines: usize, k: usize, format: Format, texts: &[String]) -> Vec<Invoice> {
    let mut v: Vec<Invoice> = Generator::new(seed)
        .line_items(lines)
        .invoices_per_file(k)
        .format(format)
        .invoices()
        .collect();
    let mut t = texts.iter().cycle();
    for inv in &mut v {
        for li in &mut inv.line_items {
            if let Some(s) = t.next() {
                li.description = s.clone();
            }
        }
    }
    v
}

fn text() -> impl Strategy<Value = String> {
    // Printable text including non-ASCII; no '|', no line breaks, no "[]", no edge spaces.
    "[A-Za-z0-9 ,.;:'()&/\\-éü’€]{0,40}".prop_map(|s| s.trim().replace("[]", "[ ]"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    #[test]
    fn round_trip_every_format(seed in any::<u64>(), lines in 1usize..40, k in 1usize..4,
                               texts in proptest::collection::vec(text(), 1..8)) {
        for (source, targets) in [
            (Format::Ledes1998B, &[Format::Ledes1998B, Format::Ledes98BI, Format::Xml20, Format::Xml21, Format::Xml22][..]),
            (Format::Ledes98BI, &[Format::Ledes98BI, Format::Xml21][..]),
        ] {
            let invs = invoices(seed, lines, k, source, &texts);
            for &to in targets {
                let bytes = write(&invs, to).unwrap();
                let r = validate(&bytes, &ValidateOptions::default());
                prop_assert_eq!(r.format, Some(to));
                prop_assert!(!r.has_errors(), "{}\n{}", r.render_text("rt"), String::from_utf8_lossy(&bytes));
                let mut expected = invs.clone();
                if to == Format::Ledes98BI {
                    for inv in &mut expected {
                        inv.net_total = inv.net_total.or(Some(inv.total - inv.tax_total.unwrap_or_default()));
                    }
                }
                prop_assert_eq!(&r.invoices, &expected, "{:?}", to);
            }
        }
    }

    #[test]
    fn conversion_chain(seed in any::<u64>(), lines in 1usize..30) {
        let b98 = Generator::new(seed).line_items(lines).to_vec();
        let opts = ConvertOptions::default();
        let xml = convert(&b98, Format::Xml21, &opts).unwrap();
        let back = convert(&xml, Format::Ledes1998B, &opts).unwrap();
        prop_assert_eq!(&back, &b98);
        // Via 98BI the derived net total cannot go back into 1998B without loss...
        let bi = convert(&b98, Format::Ledes98BI, &opts).unwrap();
        prop_assert!(convert(&bi, Format::Ledes1998B, &opts).is_err());
        // ...unless lossy conversion is allowed.
        let lossy = ConvertOptions { allow_lossy: true, ..ConvertOptions::default() };
        prop_assert_eq!(convert(&bi, Format::Ledes1998B, &lossy).unwrap(), b98);
        // Tax data cannot go into 1998B.
        let taxed = Generator::new(seed).line_items(lines).format(Format::Ledes98BI).to_vec();
        let err = convert(&taxed, Format::Ledes1998B, &opts).unwrap_err();
        prop_assert!(matches!(err, ledes::ConvertError::Lossy { .. }), "{}", err);
    }

    #[test]
    fn one_mutation_one_finding(seed in any::<u64>(), lines in 2usize..30, pick in any::<usize>(), which in any::<usize>()) {
        let file = String::from_utf8(Generator::new(seed).line_items(lines).invoices_per_file(2).to_vec()).unwrap();
        let mut recs: Vec<String> = file.lines().map(String::from).collect();
        let i = 2 + pick % (recs.len() - 2);
        let body = recs[i].strip_suffix("[]").unwrap().to_string();
        let mut f: Vec<String> = body.split('|').map(String::from).collect();
        let same_invoice_prev = i > 2 && recs[i - 1].split('|').nth(1) == Some(f[1].as_str());
        let is_fee = f[9] == "F";
        let is_priced = f[9] == "F" || f[9] == "E";
        let mut options: Vec<(Rule, Option<&str>, Severity)> = vec![
            (Rule::DateFormat, Some("LINE_ITEM_DATE"), Severity::Error),
            (Rule::RecordTerminator, None, Severity::Error),
            (Rule::LineType, Some("EXP/FEE/INV_ADJ_TYPE"), Severity::Error),
        ];
        if is_priced {
            options.push((Rule::NumberFormat, Some("LINE_ITEM_UNIT_COST"), Severity::Error));
            options.push((Rule::LineTotal, Some("LINE_ITEM_TOTAL"), Severity::Error));
        }
        if is_fee {
            options.push((Rule::UnknownCode, Some("LINE_ITEM_TASK_CODE"), Severity::Error));
            options.push((Rule::Classification, Some("TIMEKEEPER_CLASSIFICATION"), Severity::Warning));
        }
        if same_invoice_prev {
            options.push((Rule::DuplicateLineNumber, Some("LINE_ITEM_NUMBER"), Severity::Error));
            options.push((Rule::InvoiceFieldChanged, Some("INVOICE_DESCRIPTION"), Severity::Warning));
        }
        let (rule, field, sev) = options[which % options.len()];
        let mut terminator = "[]";
        match rule {
            Rule::DateFormat => f[13] = format!("{}0230", &f[13][..4]),
            Rule::RecordTerminator => terminator = "",
            Rule::LineType => f[9] = "X".into(),
            Rule::NumberFormat => f[20] = format!("${}", f[20]),
            Rule::LineTotal => f[20] = format!("{}", f[20].parse::<ledes::Decimal>().unwrap() + ledes::Decimal::ONE),
            Rule::UnknownCode => f[14] = "L999".into(),
            Rule::Classification => f[22] = "BOSS".into(),
            Rule::DuplicateLineNumber => f[8] = recs[i - 1].split('|').nth(8).unwrap().to_string(),
            Rule::InvoiceFieldChanged => f[7] = "Something else".into(),
            _ => unreachable!(),
        }
        recs[i] = format!("{}{terminator}", f.join("|"));
        let input = recs.join("\n");
        let r = validate(input.as_bytes(), &ValidateOptions::default());
        prop_assert_eq!(r.findings.len(), 1, "{:?}\n{}", rule, r.render_text("m"));
        let got = &r.findings[0];
        prop_assert_eq!(got.rule, rule);
        prop_assert_eq!(got.field, field);
        prop_assert_eq!(got.severity, sev);
        prop_assert_eq!(got.line, Some(i as u64 + 1));
        prop_assert_eq!(got.invoice.as_deref(), Some(f[1].as_str()));
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = validate(&data, &ValidateOptions::default());
        let mut with_header = b"LEDES1998B[]\n".to_vec();
        with_header.extend_from_slice(&data);
        let _ = validate(&with_header, &ValidateOptions::default());
    }
}
