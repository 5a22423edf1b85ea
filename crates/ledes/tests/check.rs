//! Data-driven validation tests: one line per case through `check(input, expected)`.
//!
//! Each case starts from a valid two-line invoice and changes fields of one record; `expected`
//! lists the findings as `severity rule FIELD@file-line`, or is empty for a clean file.

use ledes::{ValidateOptions, validate};

const HEADER: &str = "LEDES1998B[]\nINVOICE_DATE|INVOICE_NUMBER|CLIENT_ID|LAW_FIRM_MATTER_ID|INVOICE_TOTAL|BILLING_START_DATE|BILLING_END_DATE|INVOICE_DESCRIPTION|LINE_ITEM_NUMBER|EXP/FEE/INV_ADJ_TYPE|LINE_ITEM_NUMBER_OF_UNITS|LINE_ITEM_ADJUSTMENT_AMOUNT|LINE_ITEM_TOTAL|LINE_ITEM_DATE|LINE_ITEM_TASK_CODE|LINE_ITEM_EXPENSE_CODE|LINE_ITEM_ACTIVITY_CODE|TIMEKEEPER_ID|LINE_ITEM_DESCRIPTION|LAW_FIRM_ID|LINE_ITEM_UNIT_COST|TIMEKEEPER_NAME|TIMEKEEPER_CLASSIFICATION|CLIENT_MATTER_ID[]\n";
const FEE: &str = "19990225|96542|00711|0528|654.95|19990101|19990131|For services rendered|1|F|2.00|-70|630|19990115|L510||A102|22547|Research attorney's fees|24-6437381|350|Arnsley, Robert|PARTNR|423-987";
const EXP: &str = "19990225|96542|00711|0528|654.95|19990101|19990131|For services rendered|2|E|1|0|24.95|19990117||E111|||Meals|24-6437381|24.95|||423-987";

/// Builds the file: `edits` are `line:field=value` applied to record 1 (fee) or 2 (expense).
fn build(edits: &str) -> String {
    let mut recs: Vec<Vec<String>> = [FEE, EXP]
        .iter()
        .map(|r| r.split('|').map(String::from).collect())
        .collect();
    for e in edits.split_whitespace() {
        let (rec, rest) = e.split_once(':').expect("rec:FIELD=value");
        let (field, value) = rest.split_once('=').expect("FIELD=value");
        let i = ledes::FIELD_NAMES
            .iter()
            .position(|n| *n == field)
            .expect(field);
        let value = value.replace('~', " ");
        recs[rec.parse::<usize>().unwrap() - 1][i] = value;
    }
    let mut s = HEADER.to_string();
    for r in recs {
        s.push_str(&r.join("|"));
        s.push_str("[]\n");
    }
    s
}

fn check(edits: &str, expected: &[&str]) {
    let input = build(edits);
    let report = validate(input.as_bytes(), &ValidateOptions::default());
    let got: Vec<String> = report
        .findings
        .iter()
        .map(|f| {
            format!(
                "{} {} {}@{}",
                f.severity.as_str(),
                f.rule.as_str(),
                f.field.unwrap_or("-"),
                f.line.map_or(0, |l| l)
            )
        })
        .collect();
    assert_eq!(
        got,
        expected,
        "edits {edits:?}\n{}",
        report.render_text("t.txt")
    );
}

#[test]
fn clean() {
    check("", &[]);
}

#[test]
fn arithmetic() {
    check(
        "1:LINE_ITEM_TOTAL=700",
        &[
            "error line-total LINE_ITEM_TOTAL@3",
            "error invoice-total-sum INVOICE_TOTAL@3",
        ],
    );
    check(
        "1:LINE_ITEM_TOTAL=700 1:INVOICE_TOTAL=724.95 2:INVOICE_TOTAL=724.95",
        &["error line-total LINE_ITEM_TOTAL@3"],
    );
    check(
        "1:INVOICE_TOTAL=1 2:INVOICE_TOTAL=1",
        &["error invoice-total-sum INVOICE_TOTAL@3"],
    );
    check(
        "2:INVOICE_TOTAL=654.96",
        &["error invoice-total-changed INVOICE_TOTAL@4"],
    );
    check(
        "1:LINE_ITEM_ADJUSTMENT_AMOUNT=",
        &["error line-total LINE_ITEM_TOTAL@3"],
    );
    // 0.3 × 333.33 = 99.999, billed as 100.00 (rounded to cents): accepted.
    check(
        "1:LINE_ITEM_NUMBER_OF_UNITS=0.3 1:LINE_ITEM_UNIT_COST=333.33 1:LINE_ITEM_ADJUSTMENT_AMOUNT=0 1:LINE_ITEM_TOTAL=100.00 1:INVOICE_TOTAL=124.95 2:INVOICE_TOTAL=124.95",
        &[],
    );
}

#[test]
fn tolerant_numbers() {
    check("1:LINE_ITEM_TOTAL=630. 1:LINE_ITEM_UNIT_COST=+350", &[]);
    check("1:LINE_ITEM_TOTAL=630.0000", &[]);
    check(
        "1:LINE_ITEM_TOTAL=630.00000",
        &["error decimal-places LINE_ITEM_TOTAL@3"],
    );
    check(
        "1:LINE_ITEM_UNIT_COST=$350",
        &["error number-format LINE_ITEM_UNIT_COST@3"],
    );
    check(
        "1:LINE_ITEM_UNIT_COST=3,50",
        &["error number-format LINE_ITEM_UNIT_COST@3"],
    );
    check(
        "1:LINE_ITEM_UNIT_COST=~350",
        &["error number-format LINE_ITEM_UNIT_COST@3"],
    );
    check(
        "1:INVOICE_TOTAL=654,95",
        &["error number-format INVOICE_TOTAL@3"],
    );
}

#[test]
fn dates() {
    check(
        "1:LINE_ITEM_DATE=19990230",
        &["error date-format LINE_ITEM_DATE@3"],
    );
    check(
        "1:LINE_ITEM_DATE=1999-01-15",
        &["error date-format LINE_ITEM_DATE@3"],
    );
    check(
        "1:LINE_ITEM_DATE=19990201",
        &["error line-date-outside-period LINE_ITEM_DATE@3"],
    );
    check(
        "1:INVOICE_DATE=19990226",
        &["warning invoice-field-changed INVOICE_DATE@4"],
    );
    check(
        "1:BILLING_START_DATE=19990201 2:BILLING_START_DATE=19990201",
        &[
            "error billing-period BILLING_START_DATE@3",
            "error line-date-outside-period LINE_ITEM_DATE@3",
            "error line-date-outside-period LINE_ITEM_DATE@4",
        ],
    );
}

#[test]
fn required_and_conditional() {
    check(
        "1:TIMEKEEPER_ID=",
        &["error required-field TIMEKEEPER_ID@3"],
    );
    check(
        "2:LINE_ITEM_EXPENSE_CODE=",
        &["error required-field LINE_ITEM_EXPENSE_CODE@4"],
    );
    check(
        "1:CLIENT_ID= 2:CLIENT_ID=",
        &[
            "error required-field CLIENT_ID@3",
            "error required-field CLIENT_ID@4",
        ],
    );
    check(
        "2:EXP/FEE/INV_ADJ_TYPE=X",
        &["error line-type EXP/FEE/INV_ADJ_TYPE@4"],
    );
    check("2:EXP/FEE/INV_ADJ_TYPE=e", &[]);
    check(
        "1:LINE_ITEM_NUMBER_OF_UNITS=-2 1:LINE_ITEM_TOTAL=-770 1:INVOICE_TOTAL=-745.05 2:INVOICE_TOTAL=-745.05",
        &["error negative-units LINE_ITEM_NUMBER_OF_UNITS@3"],
    );
}

#[test]
fn consistency() {
    check(
        "2:LINE_ITEM_NUMBER=1",
        &["error duplicate-line-number LINE_ITEM_NUMBER@4"],
    );
    check(
        "2:INVOICE_DESCRIPTION=Other",
        &["warning invoice-field-changed INVOICE_DESCRIPTION@4"],
    );
    check(
        "1:INVOICE_NUMBER=123456789012345678901 2:INVOICE_NUMBER=123456789012345678901",
        &[
            "error field-length INVOICE_NUMBER@3",
            "error field-length INVOICE_NUMBER@4",
        ],
    );
}

#[test]
fn codes() {
    check(
        "1:LINE_ITEM_TASK_CODE=L999",
        &["error unknown-code LINE_ITEM_TASK_CODE@3"],
    );
    check(
        "1:LINE_ITEM_TASK_CODE=E101",
        &["error misplaced-code LINE_ITEM_TASK_CODE@3"],
    );
    check(
        "1:LINE_ITEM_ACTIVITY_CODE=A112",
        &["error unknown-code LINE_ITEM_ACTIVITY_CODE@3"],
    );
    check("2:LINE_ITEM_EXPENSE_CODE=X123", &[]);
    check(
        "2:LINE_ITEM_EXPENSE_CODE=X901",
        &["error unknown-code LINE_ITEM_EXPENSE_CODE@4"],
    );
    check(
        "1:LINE_ITEM_TASK_CODE=L100 1:LINE_ITEM_ACTIVITY_CODE=A111",
        &[],
    );
    check("1:TIMEKEEPER_CLASSIFICATION=PT", &[]);
    check("1:TIMEKEEPER_CLASSIFICATION=LGLAST", &[]);
    check(
        "1:TIMEKEEPER_CLASSIFICATION=BOSS",
        &["warning classification TIMEKEEPER_CLASSIFICATION@3"],
    );
}

#[test]
fn client_defined_codes_are_known_once_added() {
    let mut sets = ledes::utbms::CodeSets::standard();
    sets.add_client_code(
        "X901",
        ledes::utbms::CodeKind::Expense,
        "Secure shredding",
        "",
    )
    .unwrap();
    let opts = ValidateOptions {
        code_sets: std::sync::Arc::new(sets),
        ..Default::default()
    };
    let r = validate(build("2:LINE_ITEM_EXPENSE_CODE=X901").as_bytes(), &opts);
    assert!(r.findings.is_empty(), "{:?}", r.findings);
}

#[test]
fn if_lines_in_both_forms() {
    // total = adjustment, no units or cost (the published sample's retainer line)
    check(
        "2:EXP/FEE/INV_ADJ_TYPE=IF 2:LINE_ITEM_EXPENSE_CODE= 2:LINE_ITEM_NUMBER_OF_UNITS= 2:LINE_ITEM_UNIT_COST= 2:LINE_ITEM_ADJUSTMENT_AMOUNT=24.95",
        &[],
    );
    // total = units × unit cost, adjustment repeated
    check(
        "2:EXP/FEE/INV_ADJ_TYPE=IF 2:LINE_ITEM_EXPENSE_CODE= 2:LINE_ITEM_ADJUSTMENT_AMOUNT=24.95",
        &[],
    );
    check(
        "2:EXP/FEE/INV_ADJ_TYPE=IF 2:LINE_ITEM_EXPENSE_CODE= 2:LINE_ITEM_ADJUSTMENT_AMOUNT=20",
        &[],
    );
    check(
        "2:EXP/FEE/INV_ADJ_TYPE=IF 2:LINE_ITEM_EXPENSE_CODE= 2:LINE_ITEM_UNIT_COST=20 2:LINE_ITEM_ADJUSTMENT_AMOUNT=20",
        &["error line-total LINE_ITEM_TOTAL@4"],
    );
}

#[test]
fn stop_at_first_error() {
    let input = build("1:LINE_ITEM_DATE=19990230 2:LINE_ITEM_DATE=19990231");
    let opts = ValidateOptions {
        stop_at_first_error: true,
        ..Default::default()
    };
    let r = validate(input.as_bytes(), &opts);
    assert_eq!(r.error_count(), 1);
    assert!(r.stopped_early);
    let all = validate(input.as_bytes(), &ValidateOptions::default());
    assert_eq!(all.error_count(), 2);
}

#[test]
fn structure() {
    let good = build("");
    let no_term = good.replacen("423-987[]", "423-987", 1);
    let r = validate(no_term.as_bytes(), &ValidateOptions::default());
    assert_eq!(r.findings.len(), 1, "{:?}", r.findings);
    assert_eq!(r.findings[0].rule, ledes::Rule::RecordTerminator);

    let extra = good.replacen("Meals", "Meals|Lunch", 1);
    let r = validate(extra.as_bytes(), &ValidateOptions::default());
    assert_eq!(r.findings.len(), 1, "{:?}", r.findings);
    assert_eq!(r.findings[0].rule, ledes::Rule::FieldCount);
    assert_eq!(r.findings[0].line, Some(4));

    let bad_literal = good.replacen("LEDES1998B[]", "LEDES1998[]", 1);
    let r = validate(bad_literal.as_bytes(), &ValidateOptions::default());
    assert_eq!(r.findings.len(), 1, "{:?}", r.findings);
    assert_eq!(r.findings[0].rule, ledes::Rule::HeaderLiteral);
    assert_eq!(r.line_items, 2);

    let trailing_pipe = good
        .replace("[]\n1999", "|[]\n1999")
        .replace("423-987[]", "423-987|[]");
    let r = validate(trailing_pipe.as_bytes(), &ValidateOptions::default());
    assert!(r.findings.is_empty(), "{:?}", r.findings);

    let crlf = good.replace('\n', "\r\n") + "\r\n\r\n";
    let r = validate(crlf.as_bytes(), &ValidateOptions::default());
    assert!(r.findings.is_empty(), "{:?}", r.findings);

    let r = validate(b"", &ValidateOptions::default());
    assert!(r.has_errors());
    let r = validate(HEADER.as_bytes(), &ValidateOptions::default());
    assert_eq!(r.findings.len(), 1);
    assert_eq!(r.findings[0].rule, ledes::Rule::EmptyFile);
}

#[test]
fn windows_1252_text_is_kept_with_a_warning() {
    let mut bytes = build("").into_bytes();
    let at = bytes.windows(9).position(|w| w == b"attorney'").unwrap() + 8;
    bytes[at] = 0x92; // Windows-1252 right single quotation mark
    let r = validate(&bytes, &ValidateOptions::default());
    assert_eq!(r.findings.len(), 1, "{:?}", r.findings);
    assert_eq!(r.findings[0].rule, ledes::Rule::Encoding);
    assert_eq!(
        r.invoices[0].line_items[0].description,
        "Research attorney\u{2019}s fees"
    );
}

#[test]
fn non_contiguous_invoice() {
    let mut s = build("");
    let lines: Vec<&str> = s.lines().collect();
    let other = lines[3]
        .replace("|96542|", "|96543|")
        .replace("654.95", "24.95");
    s = format!(
        "{}\n{}\n{}\n{}\n{}\n",
        lines[0],
        lines[1],
        lines[2],
        other,
        lines[3].replace("|2|E|", "|3|E|")
    );
    let r = validate(s.as_bytes(), &ValidateOptions::default());
    let rules: Vec<_> = r.findings.iter().map(|f| f.rule).collect();
    assert!(
        rules.contains(&ledes::Rule::InvoiceNotContiguous),
        "{rules:?}"
    );
    let f = r
        .findings
        .iter()
        .find(|f| f.rule == ledes::Rule::InvoiceNotContiguous)
        .unwrap();
    assert_eq!((f.line, f.code), (Some(5), Some("R401")));
}
