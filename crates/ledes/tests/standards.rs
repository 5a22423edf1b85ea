//! Facts taken from the LEDES/UTBMS standards (sources in the crate's documentation): LEDES error
//! codes on findings, timekeeper classifications, XML element names, UTBMS code names.

use ledes::generate::Generator;
use ledes::utbms::{CodeKind, CodeSets};
use ledes::{Classification, Format, Rule, ValidateOptions, validate};

fn xml_with(root: &str, body: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{root} xmlns=\"http://www.ledes.org/LEDES21.xsd\">\n<firm>\n<lf_vendor_id>24-6437381</lf_vendor_id>\n<client>\n<cl_id>00711</cl_id>\n{body}</client>\n</firm>\n</{root}>\n"
    )
}

fn invoice(number: &str, timekeeper_segment: &str, task_element: &str) -> String {
    format!(
        "<invoice>\n<inv_id>{number}</inv_id>\n<inv_date>1999-02-25</inv_date>\n<inv_start_date>1999-01-01</inv_start_date>\n<inv_end_date>1999-01-31</inv_end_date>\n<inv_total_net_due>630</inv_total_net_due>\n<matter>\n<lf_matter_id>0528</lf_matter_id>\n<{timekeeper_segment}>\n<tk_id>22547</tk_id>\n<tk_lname>Arnsley</tk_lname>\n<tk_fname>Robert</tk_fname>\n</{timekeeper_segment}>\n<fee>\n<line_item_nbr>1</line_item_nbr>\n<charge_date>1999-01-15</charge_date>\n<tk_id>22547</tk_id>\n<tk_level>PARTNR</tk_level>\n<{task_element}>L510</{task_element}>\n<charge_desc>Research</charge_desc>\n<units>2</units>\n<rate>350</rate>\n<adjustment_amount>-70</adjustment_amount>\n<total_amount>630</total_amount>\n</fee>\n</matter>\n</invoice>\n"
    )
}

#[test]
fn duplicate_invoice_number_carries_ledes_code_r401() {
    assert_eq!(
        ledes::ledes_error_title("R401"),
        Some("Duplicate invoice number")
    );
    let body = format!(
        "{}{}",
        invoice("96542", "tksum", "acca_task"),
        invoice("96542", "tksum", "acca_task")
    );
    let r = validate(
        xml_with("ledesxmlebilling2.1", &body).as_bytes(),
        &ValidateOptions::default(),
    );
    let f = r
        .findings
        .iter()
        .find(|f| f.rule == Rule::InvoiceNotContiguous)
        .expect("duplicate invoice reported");
    assert_eq!(f.code, Some("R401"));
    assert!(f.render("x.xml").ends_with("(LEDES code R401)"));
    // Only confirmed codes are given: every other check carries none.
    assert!(
        r.findings
            .iter()
            .filter(|f| f.rule != Rule::InvoiceNotContiguous)
            .all(|f| f.code.is_none())
    );
}

#[test]
fn xml_root_names_and_namespace() {
    for (format, root, ns) in [
        (Format::Xml20, "ledesxmlebilling2.0", "LEDES20.xsd"),
        (Format::Xml21, "ledesxmlebilling2.1", "LEDES21.xsd"),
        (Format::Xml22, "ledesxmlebilling2.2", "LEDES22.xsd"),
    ] {
        let invoices: Vec<_> = Generator::new(5)
            .line_items(6)
            .format(format)
            .invoices()
            .collect();
        let out = String::from_utf8(ledes::write(&invoices, format).unwrap()).unwrap();
        let expected = format!("<{root} xmlns=\"http://www.ledes.org/{ns}\">");
        assert!(out.contains(&expected), "{format:?}: {}", &out[..200]);
        assert!(out.trim_end().ends_with(&format!("</{root}>")));
        assert_eq!(Format::detect(out.as_bytes()), Some(format));
        let back = validate(out.as_bytes(), &ValidateOptions::default());
        assert_eq!(back.format, Some(format));
        assert!(!back.has_errors(), "{}", back.render_text("out"));
    }
    // Roots written without the dot (older files of this crate) are still read.
    assert_eq!(Format::detect(b"<ledesxmlebilling21>"), Some(Format::Xml21));
}

#[test]
fn xml_alternative_spellings_are_read() {
    let opts = ValidateOptions {
        keep_invoices: true,
        ..ValidateOptions::default()
    };
    for (seg, task) in [("tksum", "acca_task"), ("tk_sum", "task_code")] {
        let xml = xml_with("ledesxmlebilling2.2", &invoice("96542", seg, task));
        let r = validate(xml.as_bytes(), &opts);
        assert_eq!(r.format, Some(Format::Xml22));
        assert!(!r.has_errors(), "{seg}: {}", r.render_text("x"));
        let li = &r.invoices[0].line_items[0];
        assert_eq!(li.task_code.as_deref(), Some("L510"), "{seg}/{task}");
        assert_eq!(li.timekeeper_last_name.as_deref(), Some("Arnsley"), "{seg}");
        assert_eq!(li.classification(), Some(Classification::Partner));
        assert_eq!(r.invoices[0].law_firm_id, "24-6437381");
    }
}

#[test]
fn loc_timekeeper_classifications() {
    for (code, class, name) in [
        ("PARTNR", Classification::Partner, "Partner"),
        ("ASSOC", Classification::Associate, "Associate"),
        ("OFCOUN", Classification::OfCounsel, "Of Counsel"),
        ("PARALG", Classification::Paralegal, "Paralegal"),
        ("LGLAST", Classification::LegalAssistant, "Legal Assistant"),
        ("LIBRRN", Classification::Librarian, "Librarian"),
        (
            "CLKSEC",
            Classification::ClerkOrSupport,
            "Clerk or Secretary",
        ),
        (
            "TRANEE",
            Classification::AssociateTrainee,
            "Associate Trainee",
        ),
        ("STFATT", Classification::StaffAttorney, "Staff Attorney"),
        (
            "TEMPAT",
            Classification::ContractAttorney,
            "Contract Attorney",
        ),
        ("LGLINT", Classification::LegalIntern, "Legal Intern"),
        (
            "LGPRMG",
            Classification::LegalProjectManager,
            "Legal Project Manager",
        ),
        ("FLTFEE", Classification::FlatFee, "Flat / Fixed Fee"),
    ] {
        assert_eq!(Classification::from_code(code), Some(class), "{code}");
        assert_eq!(class.loc_code(), code);
        assert_eq!(class.name(), name);
    }
    // Two-letter 1998B codes keep working.
    for (code, class) in [
        ("PT", Classification::Partner),
        ("AS", Classification::Associate),
        ("OC", Classification::OfCounsel),
        ("LA", Classification::LegalAssistant),
        ("PL", Classification::Paralegal),
        ("LP", Classification::Paralegal),
        ("LI", Classification::Librarian),
        ("CS", Classification::ClerkOrSupport),
        ("OT", Classification::Other),
    ] {
        assert_eq!(Classification::from_code(code), Some(class), "{code}");
    }
    assert_eq!(
        Classification::from_code("nbothr"),
        Some(Classification::Other)
    );
    assert_eq!(Classification::Other.loc_code(), "OT");
    assert_eq!(Classification::from_code("PARTNER"), None);
    assert_eq!(Classification::from_code("LIBRN"), None);
    // Every classification's written code reads back to itself.
    assert_eq!(Classification::ALL.len(), 25);
    for c in Classification::ALL {
        assert_eq!(Classification::from_code(c.loc_code()), Some(*c));
        assert!(Classification::from_code(c.legacy_code()).is_some());
    }
}

#[test]
fn utbms_sets_as_published() {
    let s = CodeSets::standard();
    assert_eq!(
        s.lookup("B160").unwrap().name,
        "Employment and Fee Applications"
    );
    assert_eq!(s.lookup("L210").unwrap().name, "Pleading");
    assert_eq!(s.lookup("P210").unwrap().kind, CodeKind::Task);
    assert_eq!(s.lookup("P200").unwrap().kind, CodeKind::Phase);
    // LOC X-codes: shape only (the list was not available); X900–X998 are client-reserved.
    assert_eq!(s.kind_of("X101"), Some(CodeKind::Expense));
    assert_eq!(s.kind_of("X950"), None);
}
