//! The demo department's file plan: a retention schedule of the kind an in-house legal
//! department keeps (US federal and UK citations as examples; the department checks its own).

use crate::App;
use crate::platform::access::CurrentUser;
use crate::platform::error::AppError;

/// The demo schedule, in the file plan's CSV columns.
pub const PLAN: &str = "\
code,title,description,owner,trigger,period,cutoff,disposition,citation
LEG-100,Commercial contracts,\"Executed agreements, amendments and renewals\",Legal,contract_expiry,7y,fiscal_year,destroy,\"Limitation Act 1980 s.5 (6 years), plus one\"
LEG-110,Contracts under seal,Deeds and agreements executed as deeds,Legal,contract_expiry,13y,fiscal_year,destroy,Limitation Act 1980 s.8 (12 years)
LEG-200,Litigation files,\"Pleadings, correspondence, disclosure and settlement papers\",Legal,matter_closed,10y,year,review,Department policy LP-7
LEG-210,Advisory matter files,Advice and working papers of closed advisory matters,Legal,matter_closed,6y,year,destroy,Department policy LP-7
LEG-300,Outside counsel invoices,LEDES invoices with their review and approval,Legal operations,created,7y,fiscal_year,destroy,26 CFR 1.6001-1(e); IRS Pub. 583
LEG-400,Legal holds,\"Hold notices, acknowledgements and releases\",Legal,matter_closed,10y,year,review,FRCP 37(e) defensibility record
HR-100,Personnel files,\"Contracts of employment, reviews, disciplinary records\",Human resources,employee_termination,6y,year,destroy,Limitation Act 1980 s.5
HR-200,Payroll records,,Human resources,created,3y,fiscal_year,destroy,29 CFR 516.5
HR-300,Recruitment records,Applications of candidates not hired,Human resources,created,1y,month,destroy,EEOC 29 CFR 1602.14
FIN-100,Accounts payable,Supplier invoices and payment records,Finance,created,7y,fiscal_year,destroy,26 CFR 1.6001-1(e)
CORP-100,Board minutes and resolutions,,Company secretary,created,permanent,none,keep,Companies Act 2006 s.248
CORP-200,Statutory registers,\"Registers of members, directors and charges\",Company secretary,created,permanent,none,keep,Companies Act 2006 s.113
IP-100,Patent prosecution files,,Intellectual property,superseded,6y,year,transfer,Department policy IP-2
PRIV-100,Data subject requests,Requests and responses under data protection law,Privacy,created,2y,year,destroy,ICO guidance (right of access)
";

/// The demo's company directory (custodians).
const DIRECTORY: &str = "name,email,department,manager_email,employee_status
Maria Garcia,maria.garcia@demo.lexops.test,Procurement,nina.olsen@demo.lexops.test,active
Tom Becker,tom.becker@demo.lexops.test,Procurement,nina.olsen@demo.lexops.test,active
Aisha Khan,aisha.khan@demo.lexops.test,Finance,david.wu@demo.lexops.test,active
Leo Martin,leo.martin@demo.lexops.test,Engineering,david.wu@demo.lexops.test,on_leave
Nina Olsen,nina.olsen@demo.lexops.test,Procurement,,active
David Wu,david.wu@demo.lexops.test,Finance,,active
Grace Liu,grace.liu@demo.lexops.test,Sales,david.wu@demo.lexops.test,departed
";

/// Imports the demo file plan unless the department already has one.
pub async fn seed(app: &App, ops: &CurrentUser) -> Result<(), AppError> {
    let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM record_categories")
        .fetch_one(app.db.pool())
        .await?;
    if existing > 0 {
        return Ok(());
    }
    if let Err(problems) =
        super::plan::import_csv(app, ops, "demo file plan", PLAN.as_bytes()).await?
    {
        return Err(AppError::Internal(anyhow::anyhow!(
            "the demo file plan is invalid: {}",
            problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        )));
    }
    records(app, ops).await
}

/// Documents of the demo: (folder, file, category, created, event and its date).
const DOCS: &[(&str, &str, &str, &str, Option<(&str, &str)>)] = &[
    (
        "contracts/suppliers",
        "northwind-msa-2016.pdf",
        "LEG-100",
        "2016-03-01",
        Some(("contract_expiry", "2018-02-28")),
    ),
    (
        "contracts/suppliers",
        "contoso-logistics-2017.pdf",
        "LEG-100",
        "2017-05-12",
        Some(("contract_expiry", "2018-12-31")),
    ),
    (
        "contracts/suppliers",
        "fabrikam-saas-2022.pdf",
        "LEG-100",
        "2022-01-10",
        None,
    ),
    (
        "contracts/customers",
        "tailspin-distribution-2019.docx",
        "LEG-100",
        "2019-07-01",
        Some(("contract_expiry", "2024-06-30")),
    ),
    (
        "contracts/deeds",
        "lease-deed-hq-2010.pdf",
        "LEG-110",
        "2010-04-01",
        Some(("contract_expiry", "2020-03-31")),
    ),
    (
        "litigation/acme-v-widget",
        "complaint.pdf",
        "LEG-200",
        "2021-02-03",
        None,
    ),
    (
        "litigation/acme-v-widget",
        "disclosure-index.xlsx",
        "LEG-200",
        "2022-09-14",
        None,
    ),
    (
        "litigation/old-closed",
        "settlement-2012.pdf",
        "LEG-200",
        "2012-11-20",
        Some(("matter_closed", "2013-06-30")),
    ),
    (
        "advisory",
        "gdpr-memo-2015.docx",
        "LEG-210",
        "2015-05-04",
        Some(("matter_closed", "2015-12-18")),
    ),
    (
        "advisory",
        "export-controls-2023.docx",
        "LEG-210",
        "2023-03-09",
        None,
    ),
    (
        "finance/invoices",
        "outside-counsel-2016.csv",
        "LEG-300",
        "2016-01-31",
        None,
    ),
    (
        "finance/invoices",
        "outside-counsel-2025.csv",
        "LEG-300",
        "2025-01-31",
        None,
    ),
    (
        "hr/leavers",
        "j-smith-personnel-file.pdf",
        "HR-100",
        "2011-09-01",
        Some(("employee_termination", "2016-08-31")),
    ),
    (
        "hr/leavers",
        "a-khan-personnel-file.pdf",
        "HR-100",
        "2014-02-17",
        Some(("employee_termination", "2024-10-31")),
    ),
    (
        "hr/payroll",
        "payroll-fy2019.xlsx",
        "HR-200",
        "2019-06-30",
        None,
    ),
    (
        "hr/recruitment",
        "candidates-2023.csv",
        "HR-300",
        "2023-02-01",
        None,
    ),
    (
        "board",
        "minutes-2019-q4.pdf",
        "CORP-100",
        "2019-12-12",
        None,
    ),
    (
        "board",
        "register-of-members.pdf",
        "CORP-200",
        "2008-01-01",
        None,
    ),
    (
        "privacy",
        "dsar-2021-014.eml",
        "PRIV-100",
        "2021-04-22",
        None,
    ),
    ("inbox", "unsorted-scan-0042.pdf", "", "2024-05-05", None),
];

/// A demo document of the kind its name says (a real PDF, Word file or email, whose text
/// search finds), about what its folder holds.
fn demo_document(folder: &str, file: &str, created: &str) -> Vec<u8> {
    let (stem, ext) = file.rsplit_once('.').unwrap_or((file, ""));
    let title: String = stem
        .split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ");
    let topic = match folder.split('/').next().unwrap_or("") {
        "contracts" => {
            "This agreement sets out the term, renewal and termination of the relationship, the fees and payment terms, confidentiality, data protection, limitation of liability and the indemnification obligations of the parties. Either party may terminate for material breach on thirty days written notice."
        }
        "litigation" => {
            "Acme Corp v. Widget Industries: the claim concerns the late delivery of the Widget supply contract components, liquidated damages, and the disclosure of the procurement correspondence. Privileged and confidential: prepared at the request of counsel."
        }
        "personnel" | "hr" => {
            "Contract of employment, annual performance reviews, salary changes and leave records. Personal data: keep confidential and dispose of six years after the employment ends."
        }
        "board" => {
            "Minutes of the meeting of the board of directors: quorum present, the accounts approved, the auditors reappointed and the dividend declared. Signed by the chair."
        }
        "privacy" => {
            "Data subject access request received by email: the requester asks for a copy of all personal data held about them. Identity verified; response due within one month."
        }
        "finance" | "payroll" => {
            "Payroll summary by cost centre with gross pay, tax and pension contributions for the fiscal year."
        }
        _ => "Scanned correspondence received by the legal department, not yet classified.",
    };
    let date = created.parse::<jiff::civil::Date>().unwrap_or_default();
    match ext {
        "pdf" => crate::platform::pdf::Report {
            title: title.clone(),
            subtitle: format!("{folder} · {created}"),
            footer: "lexops demo document".into(),
            blocks: vec![crate::platform::pdf::Block::Paragraph(topic.into())],
        }
        .render(),
        "docx" => evidence::simple_docx(&title, "Demo legal department", "CONFIDENTIAL", &[&title, topic]),
        "eml" => format!(
            "From: Privacy Team <privacy@demo.lexops.test>\r\nTo: Legal Operations <legalops@demo.lexops.test>\r\nSubject: {title}\r\nDate: {} 09:00:00 +0000\r\nMessage-ID: <{stem}@demo.lexops.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{topic}\r\n",
            date.strftime("%a, %d %b %Y")
        )
        .into_bytes(),
        _ => format!("{title}\n{folder}, {created}\n\n{topic}\n").into_bytes(),
    }
}

/// The demo's records, a litigation hold, and tonight's sweep run once.
async fn records(app: &App, ops: &CurrentUser) -> Result<(), AppError> {
    for (folder, file, code, created, event) in DOCS {
        let id = super::store::add(
            app,
            ops,
            super::store::NewRecord {
                title: String::new(),
                filename: file.to_string(),
                content_type: super::store::content_type(file).to_string(),
                bytes: demo_document(folder, file, created),
                folder: folder.to_string(),
                category_code: code.to_string(),
                created_on: created.to_string(),
                ..Default::default()
            },
        )
        .await?;
        if let Some((name, day)) = event {
            super::store::record_event(app, ops, id, name, day).await?;
        }
    }
    super::custodians::import_csv(app, ops, "demo directory", DIRECTORY.as_bytes())
        .await?
        .map_err(|p| AppError::Internal(anyhow::anyhow!("the demo directory is invalid: {p:?}")))?;
    // The hold belongs to the first matter the legal operations user can see.
    let numbers: Vec<String> =
        sqlx::query_scalar("SELECT number FROM matters ORDER BY id LIMIT 50")
            .fetch_all(app.db.pool())
            .await?;
    let mut matter = String::new();
    for n in numbers {
        let id: i64 = sqlx::query_scalar("SELECT id FROM matters WHERE number = $1")
            .bind(&n)
            .fetch_one(app.db.pool())
            .await?;
        if crate::matters::store::get(app, ops, id).await.is_ok() {
            matter = n;
            break;
        }
    }
    // Seeded alone (without the spend demo's matters), the hold gets a matter of its own.
    if matter.is_empty() {
        matter = crate::matters::store::create(
            app,
            ops,
            &crate::matters::model::MatterInput {
                number: "LIT-2019-001".into(),
                name: "Acme v. Widget Industries".into(),
                type_code: "litigation".into(),
                description: "Supply contract dispute".into(),
                ..Default::default()
            },
        )
        .await?
        .number;
    }
    // Issued by the demo attorney when the demo's people are there (they are in `lexops demo`).
    let attorney = crate::platform::users::by_email(app, "attorney@demo.lexops.test")
        .await?
        .map(|u| u.email)
        .unwrap_or_default();
    let hold = super::holds::create(
        app,
        ops,
        &super::holds::HoldInput {
            name: "Acme v. Widget — litigation hold".into(),
            description: "All litigation files and the supplier contracts in dispute".into(),
            categories: "LEG-200".into(),
            folders: "contracts/suppliers".into(),
            custodians: "maria.garcia@demo.lexops.test\ntom.becker@demo.lexops.test\naisha.khan@demo.lexops.test\nleo.martin@demo.lexops.test".into(),
            matter,
            attorney,
            date_from: "2019-01-01".into(),
            sources: "Procurement shared drive | file share | IT — Infrastructure\nmaria.garcia mailbox | mailbox | Maria Garcia\nSAP purchasing | system | Finance systems".into(),
            questionnaire: "Where do you keep documents about the Widget supply contracts?\nHave you deleted or lost any such documents since 2019?".into(),
            ..super::holds::HoldInput::blank()
        },
    )
    .await?;
    // Two custodians have acknowledged; the others are outstanding.
    let places = super::notices::custodians_of(app, hold).await?;
    let expires = app.clock.now() + jiff::SignedDuration::from_hours(24);
    for p in places
        .iter()
        .filter(|p| p.email.starts_with("maria") || p.email.starts_with("tom"))
    {
        let token = super::notices::link_token(app, p.id, expires);
        let _ = super::notices::acknowledge(
            app,
            &token,
            &[
                "In the procurement share, folder Widget".into(),
                "No".into(),
            ],
        )
        .await?;
    }
    super::disposition::sweep(app, false).await?;
    // Their text at once, so that search works from the first page view.
    super::text::index_pending(app, None).await?;
    Ok(())
}
