//! Spend stories: a firm submits a bad LEDES file and sees where it is wrong, then a good one;
//! the guidelines flag and adjust it; legal ops reviews, overrides, adjusts and approves; the
//! firm is told by mail and sees the outcome line by line; the AP export carries the approved
//! amounts and never exports an invoice twice; walls and firms never see what is not theirs.

use lexops::platform::access::Role;
use lexops::platform::jobs;
use serde_json::Value;

use crate::both;
use crate::harness::{Browser, PASSWORD, TestApp, location};

const HEADER: &str = "LEDES1998B[]\nINVOICE_DATE|INVOICE_NUMBER|CLIENT_ID|LAW_FIRM_MATTER_ID|INVOICE_TOTAL|BILLING_START_DATE|BILLING_END_DATE|INVOICE_DESCRIPTION|LINE_ITEM_NUMBER|EXP/FEE/INV_ADJ_TYPE|LINE_ITEM_NUMBER_OF_UNITS|LINE_ITEM_ADJUSTMENT_AMOUNT|LINE_ITEM_TOTAL|LINE_ITEM_DATE|LINE_ITEM_TASK_CODE|LINE_ITEM_EXPENSE_CODE|LINE_ITEM_ACTIVITY_CODE|TIMEKEEPER_ID|LINE_ITEM_DESCRIPTION|LAW_FIRM_ID|LINE_ITEM_UNIT_COST|TIMEKEEPER_NAME|TIMEKEEPER_CLASSIFICATION|CLIENT_MATTER_ID[]\n";

/// The previous month of the app's clock: (first day, a day in it, last day, invoice date), YYYYMMDD.
fn period(t: &TestApp) -> (String, String, String, String) {
    let today = t
        .app
        .clock
        .now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date();
    let first_this = today.first_of_month();
    let last_prev = first_this.yesterday().unwrap();
    let first_prev = last_prev.first_of_month();
    let f = |d: jiff::civil::Date| d.to_string().replace('-', "");
    (
        f(first_prev),
        f(first_prev.checked_add(jiff::Span::new().days(9)).unwrap()),
        f(last_prev),
        f(today),
    )
}

/// One 1998B invoice: `lines` are (units, rate, total, task, activity, timekeeper id, name, class, narrative).
fn ledes(
    t: &TestApp,
    number: &str,
    firm_id: &str,
    matter: &str,
    lines: &[(&str, &str, &str, &str, &str, &str, &str, &str, &str)],
) -> String {
    let (start, day, end, inv_date) = period(t);
    let total: rust_decimal::Decimal = lines
        .iter()
        .map(|l| l.2.parse::<rust_decimal::Decimal>().unwrap())
        .sum();
    let mut s = HEADER.to_string();
    for (i, (units, rate, line_total, task, act, tk, name, class, text)) in lines.iter().enumerate()
    {
        s.push_str(&format!(
            "{inv_date}|{number}|ACME|F-{matter}|{total}|{start}|{end}|Services|{}|F|{units}|0|{line_total}|{day}|{task}||{act}|{tk}|{text}|{firm_id}|{rate}|{name}|{class}|{matter}[]\n",
            i + 1
        ));
    }
    s
}

/// The invoices' stored totals agree with their lines and flags, and the dashboard rollups
/// with the line items.
async fn sums_agree(t: &TestApp) {
    assert_eq!(
        lexops::spend::rollup::verify(&t.app.db).await.unwrap(),
        Vec::<String>::new()
    );
    assert_eq!(
        lexops::spend::review::verify_totals(&t.app.db)
            .await
            .unwrap(),
        Vec::<String>::new()
    );
}

async fn upload(b: &Browser, path: &str, name: &str, text: &str) -> reqwest::Response {
    b.upload_file(path, name, text.as_bytes()).await
}

/// Legal ops registers a firm with one approved partner at 600.00 from 2020, a matter and an
/// assignment; a vendor user gets portal access. Returns (ops browser, vendor browser, matter number).
async fn setup(
    t: &TestApp,
    firm: &str,
    tax_id: &str,
    matter: &str,
    vendor_email: &str,
    confidential: bool,
) -> (Browser, Browser) {
    t.user(vendor_email, Role::Vendor).await;
    if lexops::platform::users::by_email(&t.app, "ops@example.com")
        .await
        .unwrap()
        .is_none()
    {
        t.user("ops@example.com", Role::LegalOps).await;
    }
    let mut ops = t.client();
    ops.sign_in("ops@example.com", PASSWORD).await;
    ops.page("/spend/vendors/new").await;
    let r = ops
        .post(
            "/spend/vendors",
            &[
                ("name", firm),
                ("law_firm_id", tax_id),
                ("currency", "USD"),
                ("billing_email", &format!("billing@{}.example", tax_id)),
            ],
        )
        .await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    let vendor_url = location(&r).split('#').next().unwrap().to_string();
    ops.page(&vendor_url).await;
    let r = ops
        .post(
            &format!("{vendor_url}/timekeepers"),
            &[
                ("code", "TK1"),
                ("name", "Ann Partner"),
                ("classification", "PARTNR"),
                ("rate", "600"),
                ("effective_from", "2020-01-01"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    ops.page("/matters/new").await;
    let mut form = vec![
        ("number", matter),
        ("name", "Acme v. Widget"),
        ("type", "litigation"),
        ("status", "open"),
    ];
    if confidential {
        form.push(("confidential", "1"));
    }
    assert_eq!(ops.post("/matters", &form).await.status(), 303);
    ops.page(&vendor_url).await;
    let r = ops
        .post(
            &format!("{vendor_url}/assignments"),
            &[
                ("matter_number", matter),
                ("firm_matter_id", &format!("F-{matter}")),
            ],
        )
        .await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    let r = ops
        .post(&format!("{vendor_url}/users"), &[("email", vendor_email)])
        .await;
    assert_eq!(r.status(), 303);
    let mut vendor = t.client();
    vendor.sign_in(vendor_email, PASSWORD).await;
    vendor.page("/portal").await;
    (ops, vendor)
}

both!(invoice_from_upload_to_ap_export);
async fn invoice_from_upload_to_ap_export(t: TestApp) {
    let (mut ops, mut vendor) = setup(
        &t,
        "Baker & Lowe LLP",
        "12-3456789",
        "LIT-1",
        "firm@baker.example",
        false,
    )
    .await;
    // A bad file: the second line's total is not units × rate. Rejected whole, with the place.
    let bad = ledes(
        &t,
        "INV-100",
        "12-3456789",
        "LIT-1",
        &[
            (
                "2.0",
                "600",
                "1200",
                "L120",
                "A102",
                "TK1",
                "Ann Partner",
                "PARTNR",
                "Research statute of limitations defenses under state law",
            ),
            (
                "1.5",
                "600",
                "950",
                "L210",
                "A103",
                "TK1",
                "Ann Partner",
                "PARTNR",
                "Draft answer and affirmative defenses to the complaint",
            ),
        ],
    );
    let r = upload(&vendor, "/portal/invoices/upload", "inv-100.txt", &bad).await;
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("inv-100.txt:4: error [field LINE_ITEM_TOTAL, invoice INV-100, line 2]"),
        "{body}"
    );
    assert!(body.contains("nothing was stored"));
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM invoices")
        .fetch_one(t.app.db.pool())
        .await
        .unwrap();
    assert_eq!(n, 0);
    // The corrected file: one line at 650 (above the approved 600) and one vague narrative.
    let good = ledes(
        &t,
        "INV-100",
        "12-3456789",
        "LIT-1",
        &[
            (
                "2.0",
                "650",
                "1300",
                "L120",
                "A102",
                "TK1",
                "Ann Partner",
                "PARTNR",
                "Research statute of limitations defenses under state law",
            ),
            (
                "1.5",
                "600",
                "900",
                "L210",
                "A103",
                "TK1",
                "Ann Partner",
                "PARTNR",
                "Draft answer and affirmative defenses to the complaint",
            ),
            (
                "0.5",
                "600",
                "300",
                "L120",
                "A104",
                "TK1",
                "Ann Partner",
                "PARTNR",
                "Attention to matter",
            ),
        ],
    );
    let r = upload(&vendor, "/portal/invoices/upload", "inv-100.txt", &good).await;
    let body = r.text().await.unwrap();
    assert!(body.contains("inv-100.txt accepted"), "{body}");
    // The same invoice number again is a duplicate (LEDES R401).
    let body = upload(&vendor, "/portal/invoices/upload", "again.txt", &good)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        body.contains("duplicate invoice number") && body.contains("R401"),
        "{body}"
    );
    let id: i64 = sqlx::query_scalar("SELECT id FROM invoices WHERE invoice_number = 'INV-100'")
        .fetch_one(t.app.db.pool())
        .await
        .unwrap();
    // The standard guidelines cut the rate to the approved one at once (−100) and flag the vague
    // entry for review: 2,500 billed, 2,400 proposed.
    let (total, adjusted): (i64, i64) =
        sqlx::query_as("SELECT total_e4, adjusted_total_e4 FROM invoices WHERE id = $1")
            .bind(id)
            .fetch_one(t.app.db.pool())
            .await
            .unwrap();
    assert_eq!((total, adjusted), (25_000_000, 24_000_000));
    // Legal ops finds it in the queue and reviews it.
    let queue = ops.page("/spend/invoices/queue").await;
    assert!(queue.contains("INV-100"));
    let page = ops.page(&format!("/spend/invoices/{id}")).await;
    assert!(
        page.contains("exceeds the approved rate") || page.contains("approved rate"),
        "rate flag shown"
    );
    let flags: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT id, rule_kind, action FROM invoice_flags WHERE invoice_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(t.app.db.pool())
    .await
    .unwrap();
    let vague = flags
        .iter()
        .find(|f| f.1 == "vague_narrative")
        .expect("a vague-narrative flag");
    let rate = flags
        .iter()
        .find(|f| f.1 == "rate_above_approved")
        .expect("a rate flag");
    // Overriding needs a reason.
    let r = ops
        .post(
            &format!("/spend/invoices/{id}/flags/{}", vague.0),
            &[("decision", "override"), ("note", "")],
        )
        .await;
    assert_eq!(r.status(), 422);
    let r = ops
        .post(
            &format!("/spend/invoices/{id}/flags/{}", vague.0),
            &[
                ("decision", "override"),
                ("note", "File review before the hearing: agreed"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let adjusted: i64 = sqlx::query_scalar("SELECT adjusted_total_e4 FROM invoices WHERE id = $1")
        .bind(id)
        .fetch_one(t.app.db.pool())
        .await
        .unwrap();
    assert_eq!(
        adjusted, 24_000_000,
        "a flag without money: the override changes no amount; {flags:?}"
    );
    // The reviewer also cuts line 2 to 1.0 hour.
    let line2: i64 =
        sqlx::query_scalar("SELECT id FROM invoice_lines WHERE invoice_id = $1 AND line_no = '2'")
            .bind(id)
            .fetch_one(t.app.db.pool())
            .await
            .unwrap();
    ops.page(&format!("/spend/invoices/{id}")).await;
    let r = ops
        .post(
            &format!("/spend/invoices/{id}/lines/{line2}"),
            &[
                ("units", "1.0"),
                ("reason", "Answer drafting capped at one hour"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let adjusted: i64 = sqlx::query_scalar("SELECT adjusted_total_e4 FROM invoices WHERE id = $1")
        .bind(id)
        .fetch_one(t.app.db.pool())
        .await
        .unwrap();
    assert_eq!(adjusted, 21_000_000, "1,200 + 600 + 300, exactly");
    // Approve.
    ops.page(&format!("/spend/invoices/{id}")).await;
    let r = ops
        .post(
            &format!("/spend/invoices/{id}/decision"),
            &[("decision", "approve")],
        )
        .await;
    assert_eq!(r.status(), 303);
    // The firm is told by mail, and sees each line's outcome in the portal.
    jobs::drain(&t.app).await.unwrap();
    let mail = t.smtp.received();
    assert!(
        mail.iter()
            .any(|m| m.contains("Subject: Invoice INV-100 approved") && m.contains("2,100.00")),
        "{mail:?}"
    );
    let portal = vendor.page(&format!("/portal/invoices/{id}")).await;
    assert!(portal.contains("Answer drafting capped at one hour") && portal.contains("2,100.00"));
    // The firm appeals the rate cut once; a second appeal is refused.
    let r = vendor
        .post(
            &format!("/portal/invoices/{id}/appeal/{}", rate.0),
            &[("reason", "The 650 rate was agreed for this matter")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let r = vendor
        .post(
            &format!("/portal/invoices/{id}/appeal/{}", rate.0),
            &[("reason", "Again")],
        )
        .await;
    assert_eq!(r.status(), 422);
    // Legal ops denies the appeal and approves again.
    ops.page(&format!("/spend/invoices/{id}")).await;
    assert_eq!(
        ops.post(
            &format!("/spend/invoices/{id}/flags/{}", rate.0),
            &[("decision", "accept"), ("note", "Rate card says 600")]
        )
        .await
        .status(),
        303
    );
    ops.page(&format!("/spend/invoices/{id}")).await;
    assert_eq!(
        ops.post(
            &format!("/spend/invoices/{id}/decision"),
            &[("decision", "approve")]
        )
        .await
        .status(),
        303
    );
    // AP export: the approved amount, once.
    ops.page("/spend/exports").await;
    assert_eq!(
        ops.post("/spend/exports", &[("format", "csv")])
            .await
            .status(),
        303
    );
    let export_id: i64 = sqlx::query_scalar("SELECT id FROM ap_exports")
        .fetch_one(t.app.db.pool())
        .await
        .unwrap();
    let csv = ops
        .get(&format!("/spend/exports/{export_id}/download"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        csv.contains("Baker & Lowe LLP,12-3456789,INV-100,")
            && csv.contains(",2500.00,2100.00,400.00,"),
        "{csv}"
    );
    ops.page("/spend/exports").await;
    ops.post("/spend/exports", &[("format", "csv")]).await;
    let exports: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM ap_exports")
        .fetch_one(t.app.db.pool())
        .await
        .unwrap();
    assert_eq!(exports, 1, "nothing is exported twice");
    let ledes_export = lexops::spend::export::create(
        &t.app,
        &lexops::platform::access::CurrentUser {
            id: 1,
            email: "x".into(),
            name: "x".into(),
            role: Role::LegalOps,
            via_token: false,
            vendor_id: None,
        },
        "ledes",
    )
    .await
    .unwrap();
    assert_eq!(ledes_export, None);
    // The audit trail tells the story and still verifies.
    let actions: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_events WHERE object_type = 'invoice' ORDER BY seq",
    )
    .fetch_all(t.app.db.pool())
    .await
    .unwrap();
    for a in [
        "invoice.receive",
        "invoice.flag_resolve",
        "invoice.line_adjust",
        "invoice.approved",
        "invoice.appeal",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
    }
    assert!(lexops::platform::audit::verify(&t.app.db).await.unwrap().ok);
    assert_eq!(
        lexops::spend::rollup::verify(&t.app.db).await.unwrap(),
        Vec::<String>::new(),
        "the dashboard rollups agree with the line items"
    );
    assert_eq!(
        lexops::spend::review::verify_totals(&t.app.db)
            .await
            .unwrap(),
        Vec::<String>::new(),
        "the stored totals agree with the flags and adjustments"
    );
    // The dashboard from the rollups (whole months) and live (any other period) agree.
    let rolled = ops
        .get("/spend?report=by_vendor&format=csv")
        .await
        .text()
        .await
        .unwrap();
    let today = t
        .app
        .clock
        .now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date();
    let live = ops
        .get(&format!(
            "/spend?report=by_vendor&format=csv&from={}&to={today}",
            today
                .first_of_month()
                .checked_sub(jiff::Span::new().months(11))
                .unwrap()
                .checked_add(jiff::Span::new().days(1))
                .unwrap()
                .checked_sub(jiff::Span::new().days(1))
                .unwrap()
        ))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        rolled.contains("Baker & Lowe LLP,2500.00,2100.00,400.00"),
        "{rolled}"
    );
    assert!(
        live.contains("Baker & Lowe LLP,2500.00,2100.00,400.00"),
        "{live}"
    );
}

both!(ap_export_in_ledes_keeps_the_arithmetic);
async fn ap_export_in_ledes_keeps_the_arithmetic(t: TestApp) {
    let (mut ops, vendor) = setup(
        &t,
        "Calloway & Finch",
        "98-7654321",
        "EMP-9",
        "firm@calloway.example",
        false,
    )
    .await;
    let file = ledes(
        &t,
        "CF-1",
        "98-7654321",
        "EMP-9",
        &[
            (
                "3.0",
                "650",
                "1950",
                "L120",
                "A102",
                "TK1",
                "Ann Partner",
                "PARTNR",
                "Research wage and hour exemptions for the class claims",
            ),
            (
                "1.0",
                "600",
                "600",
                "L210",
                "A103",
                "TK1",
                "Ann Partner",
                "PARTNR",
                "Draft answer and affirmative defenses to the complaint",
            ),
        ],
    );
    assert!(
        upload(&vendor, "/portal/invoices/upload", "cf-1.txt", &file)
            .await
            .text()
            .await
            .unwrap()
            .contains("accepted")
    );
    let id: i64 = sqlx::query_scalar("SELECT id FROM invoices")
        .fetch_one(t.app.db.pool())
        .await
        .unwrap();
    ops.page(&format!("/spend/invoices/{id}")).await;
    assert_eq!(
        ops.post(
            &format!("/spend/invoices/{id}/decision"),
            &[("decision", "approve")]
        )
        .await
        .status(),
        303
    );
    ops.page("/spend/exports").await;
    assert_eq!(
        ops.post("/spend/exports", &[("format", "ledes")])
            .await
            .status(),
        303
    );
    let export_id: i64 = sqlx::query_scalar("SELECT id FROM ap_exports")
        .fetch_one(t.app.db.pool())
        .await
        .unwrap();
    let out = ops
        .get(&format!("/spend/exports/{export_id}/download"))
        .await
        .bytes()
        .await
        .unwrap();
    // The exported file is valid LEDES whose total is the approved amount (rate cut to 600).
    let report = ledes::validate(&out, &ledes::ValidateOptions::default());
    assert!(!report.has_errors(), "{}", report.render_text("export"));
    assert_eq!(report.invoices[0].total.to_string(), "2400");
}

both!(walls_and_firms_see_only_their_own);
async fn walls_and_firms_see_only_their_own(t: TestApp) {
    let (mut ops, vendor_a) = setup(
        &t,
        "Secret Counsel LLP",
        "11-1111111",
        "INV-SECRET",
        "a@secret.example",
        true,
    )
    .await;
    let (_, mut vendor_b) = setup(
        &t,
        "Other Firm LLP",
        "22-2222222",
        "PUB-2",
        "b@other.example",
        false,
    )
    .await;
    let file = ledes(
        &t,
        "S-1",
        "11-1111111",
        "INV-SECRET",
        &[(
            "1.0",
            "600",
            "600",
            "L120",
            "A102",
            "TK1",
            "Ann Partner",
            "PARTNR",
            "Research privilege issues for the internal investigation",
        )],
    );
    assert!(
        upload(&vendor_a, "/portal/invoices/upload", "s-1.txt", &file)
            .await
            .text()
            .await
            .unwrap()
            .contains("accepted")
    );
    let id: i64 = sqlx::query_scalar("SELECT id FROM invoices WHERE invoice_number = 'S-1'")
        .fetch_one(t.app.db.pool())
        .await
        .unwrap();
    // The creator of the walled matter (ops) sees it; an admin off the wall sees nothing of it.
    assert!(ops.page("/spend/invoices").await.contains("S-1"));
    let mut admin = t.signed_in(Role::Admin).await;
    let list = admin.page("/spend/invoices").await;
    assert!(!list.contains("S-1"));
    assert_eq!(
        admin.get(&format!("/spend/invoices/{id}")).await.status(),
        404
    );
    assert!(
        !admin
            .get("/spend/invoices?format=csv")
            .await
            .text()
            .await
            .unwrap()
            .contains("S-1")
    );
    let dash = admin
        .get("/spend?report=by_vendor&format=csv")
        .await
        .text()
        .await
        .unwrap();
    assert!(!dash.contains("Secret Counsel"), "{dash}");
    // The people on the wall see it in the dashboard (its own key in the rollups).
    let dash = ops
        .get("/spend?report=by_vendor&format=csv")
        .await
        .text()
        .await
        .unwrap();
    assert!(dash.contains("Secret Counsel LLP,600.00,600.00"), "{dash}");
    assert_eq!(
        lexops::spend::rollup::verify(&t.app.db).await.unwrap(),
        Vec::<String>::new()
    );
    // Lifting the wall moves the matter's sums into everyone's dashboard (and its flags);
    // putting it back takes them out again; the rollups agree with the line items each time.
    let matter_id: i64 = sqlx::query_scalar("SELECT id FROM matters WHERE number = 'INV-SECRET'")
        .fetch_one(t.app.db.pool())
        .await
        .unwrap();
    let edit = |confidential: bool| {
        let mut form = vec![
            ("number", "INV-SECRET"),
            ("name", "Acme v. Widget"),
            ("type", "litigation"),
            ("status", "open"),
        ];
        if confidential {
            form.push(("confidential", "1"));
        }
        form
    };
    ops.page(&format!("/matters/{matter_id}/edit")).await;
    let r = ops
        .post(&format!("/matters/{matter_id}"), &edit(false))
        .await;
    assert_eq!(r.status(), 303);
    let by_admin = |report: &'static str| {
        let admin = &admin;
        async move {
            admin
                .get(&format!("/spend?report={report}&format=csv"))
                .await
                .text()
                .await
                .unwrap()
        }
    };
    assert!(
        by_admin("by_vendor")
            .await
            .contains("Secret Counsel LLP,600.00,600.00")
    );
    assert!(
        by_admin("by_matter")
            .await
            .contains("INV-SECRET Acme v. Widget")
    );
    assert_eq!(
        lexops::spend::rollup::verify(&t.app.db).await.unwrap(),
        Vec::<String>::new()
    );
    ops.page(&format!("/matters/{matter_id}/edit")).await;
    let r = ops
        .post(&format!("/matters/{matter_id}"), &edit(true))
        .await;
    assert_eq!(r.status(), 303);
    assert!(!by_admin("by_vendor").await.contains("Secret Counsel"));
    assert!(!by_admin("by_matter").await.contains("INV-SECRET"));
    assert!(
        ops.get("/spend?report=by_matter&format=csv")
            .await
            .text()
            .await
            .unwrap()
            .contains("INV-SECRET Acme v. Widget")
    );
    assert_eq!(
        lexops::spend::rollup::verify(&t.app.db).await.unwrap(),
        Vec::<String>::new()
    );
    // A migration that reshapes the rollups asks for a rebuild at the next start, which puts
    // them back from the line items.
    sqlx::query("DELETE FROM spend_vendor_month")
        .execute(t.app.db.pool())
        .await
        .unwrap();
    sqlx::query("INSERT INTO settings (key, value) VALUES ('spend_rollups_rebuild', '1')")
        .execute(t.app.db.pool())
        .await
        .unwrap();
    assert!(
        !lexops::spend::rollup::verify(&t.app.db)
            .await
            .unwrap()
            .is_empty()
    );
    let reopened = lexops::App::open((*t.app.settings).clone()).await.unwrap();
    assert_eq!(
        lexops::spend::rollup::verify(&reopened.db).await.unwrap(),
        Vec::<String>::new()
    );
    assert_eq!(
        reopened.db.setting("spend_rollups_rebuild").await.unwrap(),
        None
    );
    let token = t.token(Role::Admin).await;
    let http = reqwest::Client::new();
    let page: Value = http
        .get(t.url("/api/v1/invoices"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["total"], 0);
    assert_eq!(
        http.get(t.url(&format!("/api/v1/invoices/{id}")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    // The other firm sees none of it either, and cannot bill under the first firm's tax id.
    assert_eq!(
        vendor_b
            .get(&format!("/portal/invoices/{id}"))
            .await
            .status(),
        404
    );
    assert!(!vendor_b.page("/portal").await.contains("S-1"));
    let forged = ledes(
        &t,
        "S-2",
        "11-1111111",
        "INV-SECRET",
        &[(
            "1.0",
            "600",
            "600",
            "L120",
            "A102",
            "TK1",
            "Ann Partner",
            "PARTNR",
            "Research privilege issues for the internal investigation",
        )],
    );
    let body = upload(&vendor_b, "/portal/invoices/upload", "forged.txt", &forged)
        .await
        .text()
        .await
        .unwrap();
    assert!(body.contains("is not your firm"), "{body}");
    // Vendors cannot reach the department's pages at all.
    assert_eq!(vendor_b.get("/spend/invoices").await.status(), 403);
    assert_eq!(vendor_b.get("/spend").await.status(), 403);
}

both!(invoices_through_the_api);
async fn invoices_through_the_api(t: TestApp) {
    let (_, _) = setup(
        &t,
        "Api Firm LLP",
        "33-3333333",
        "API-1",
        "api@firm.example",
        false,
    )
    .await;
    let vendor_id: i64 =
        sqlx::query_scalar("SELECT id FROM users WHERE email = 'api@firm.example'")
            .fetch_one(t.app.db.pool())
            .await
            .unwrap();
    let u = lexops::platform::access::CurrentUser {
        id: vendor_id,
        email: "api@firm.example".into(),
        name: "x".into(),
        role: Role::Vendor,
        via_token: false,
        vendor_id: None,
    };
    let token = lexops::platform::auth::issue_token(&t.app, &u, "billing system", None)
        .await
        .unwrap()
        .secret;
    let http = reqwest::Client::new();
    let file = ledes(
        &t,
        "API-INV-1",
        "33-3333333",
        "API-1",
        &[(
            "1.0",
            "600",
            "600",
            "L120",
            "A102",
            "TK1",
            "Ann Partner",
            "PARTNR",
            "Analyze removal jurisdiction for the federal court motion",
        )],
    );
    let bad = file.replace("|600|Ann", "|6OO|Ann");
    let r = http
        .post(t.url("/api/v1/invoices"))
        .bearer_auth(&token)
        .header("x-filename", "bad.txt")
        .body(bad)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let o: Value = r.json().await.unwrap();
    assert_eq!(o["accepted"], false);
    assert_eq!(o["problems"][0]["field"], "LINE_ITEM_UNIT_COST");
    let r = http
        .post(t.url("/api/v1/invoices"))
        .bearer_auth(&token)
        .body(file)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let o: Value = r.json().await.unwrap();
    let id = o["invoice_ids"][0].as_i64().unwrap();
    let d: Value = http
        .get(t.url(&format!("/api/v1/invoices/{id}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(d["invoice"]["total_e4"], 6_000_000);
    assert_eq!(d["lines"].as_array().unwrap().len(), 1);
    // The firm cannot decide its own invoice.
    let r = http
        .post(t.url(&format!("/api/v1/invoices/{id}/decision")))
        .bearer_auth(&token)
        .json(&serde_json::json!({"decision": "approve"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let ops = t.token(Role::LegalOps).await;
    let r = http
        .post(t.url(&format!("/api/v1/invoices/{id}/decision")))
        .bearer_auth(&ops)
        .json(&serde_json::json!({"decision": "approve"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let e: Value = http
        .post(t.url("/api/v1/exports"))
        .bearer_auth(&ops)
        .json(&serde_json::json!({"format": "json"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let file: Value = http
        .get(t.url(&format!("/api/v1/exports/{}/file", e["id"])))
        .bearer_auth(&ops)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(file["invoices"][0]["approved"], "600.00", "{d}");
}

both!(routing_rules_caps_budgets_and_accruals);
async fn routing_rules_caps_and_budgets_inner(t: &TestApp) {
    let (mut ops, mut vendor) = setup(
        t,
        "Routing LLP",
        "44-4444444",
        "RT-1",
        "firm@routing.example",
        false,
    )
    .await;
    t.user("gc@example.com", Role::Attorney).await;
    // Legal ops caps partner rates at 500, routes invoices of 1,000 or more to the GC, and
    // budgets the matter at 800 for this year.
    ops.page("/spend/guidelines").await;
    assert_eq!(
        ops.post("/spend/rate-caps", &[("PARTNR", "500")])
            .await
            .status(),
        303
    );
    let r = ops
        .post(
            "/spend/approval-rules",
            &[
                ("name", "GC above 1,000"),
                ("approver", "gc@example.com"),
                ("min_total", "1000"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let r = ops
        .post(
            "/spend/approval-rules",
            &[("name", "Bad"), ("approver", "vendor")],
        )
        .await;
    assert_eq!(r.status(), 422, "a vendor cannot approve");
    // A guideline that routes invoices to a role nobody who approves holds is refused (the
    // invoice would wait for no one), and nothing is saved.
    let text = guidelines::GuidelineSet::standard()
        .to_json()
        .replace("\"attorney\"", "\"budget_owner\"");
    assert!(text.contains("budget_owner"));
    let body = ops
        .post(
            "/spend/guidelines",
            &[("rules", text.as_str()), ("action", "save")],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(
        body.contains("the role budget_owner cannot approve invoices"),
        "{body}"
    );
    let saved: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM guideline_sets")
        .fetch_one(t.app.db.pool())
        .await
        .unwrap();
    assert_eq!(saved, 0);
    let year = t
        .app
        .clock
        .now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date()
        .year();
    let matter_id: i64 = sqlx::query_scalar("SELECT id FROM matters WHERE number = 'RT-1'")
        .fetch_one(t.app.db.pool())
        .await
        .unwrap();
    ops.page(&format!("/matters/{matter_id}")).await;
    assert_eq!(
        ops.post(
            &format!("/matters/{matter_id}/budgets"),
            &[("fiscal_period", &format!("FY{year}")), ("amount", "800")]
        )
        .await
        .status(),
        303
    );
    let file = ledes(
        t,
        "RT-INV-1",
        "44-4444444",
        "RT-1",
        &[(
            "2.0",
            "600",
            "1200",
            "L120",
            "A102",
            "TK1",
            "Ann Partner",
            "PARTNR",
            "Analyze the indemnity clause of the supply agreement",
        )],
    );
    assert!(
        upload(&vendor, "/portal/invoices/upload", "rt.txt", &file)
            .await
            .text()
            .await
            .unwrap()
            .contains("accepted")
    );
    let id: i64 = sqlx::query_scalar("SELECT id FROM invoices WHERE invoice_number = 'RT-INV-1'")
        .fetch_one(t.app.db.pool())
        .await
        .unwrap();
    let kinds: Vec<String> =
        sqlx::query_scalar("SELECT rule_kind FROM invoice_flags WHERE invoice_id = $1")
            .bind(id)
            .fetch_all(t.app.db.pool())
            .await
            .unwrap();
    assert!(kinds.iter().any(|k| k == "rate_above_cap"), "{kinds:?}");
    assert!(kinds.iter().any(|k| k == "budget_overrun"), "{kinds:?}");
    let adjusted: i64 = sqlx::query_scalar("SELECT adjusted_total_e4 FROM invoices WHERE id = $1")
        .bind(id)
        .fetch_one(t.app.db.pool())
        .await
        .unwrap();
    assert_eq!(adjusted, 10_000_000, "2.0 h at the 500 cap");
    let steps: Vec<String> = sqlx::query_scalar(
        "SELECT rule_name FROM invoice_approvals WHERE invoice_id = $1 ORDER BY step",
    )
    .bind(id)
    .fetch_all(t.app.db.pool())
    .await
    .unwrap();
    assert_eq!(steps[0], "GC above 1,000");
    // Legal ops is not the approver of that step.
    ops.page(&format!("/spend/invoices/{id}")).await;
    assert_eq!(
        ops.post(
            &format!("/spend/invoices/{id}/decision"),
            &[("decision", "approve")]
        )
        .await
        .status(),
        403
    );
    let mut gc = t.client();
    gc.sign_in("gc@example.com", PASSWORD).await;
    let queue = gc.page("/spend/invoices/queue").await;
    assert!(queue.contains("RT-INV-1"));
    gc.page(&format!("/spend/invoices/{id}")).await;
    assert_eq!(
        gc.post(
            &format!("/spend/invoices/{id}/decision"),
            &[("decision", "approve")]
        )
        .await
        .status(),
        303
    );
    // The matter page shows the budget used, and takes accruals from legal ops and the firm.
    let page = ops.page(&format!("/matters/{matter_id}")).await;
    assert!(
        page.contains("Budgets") && page.contains("125%"),
        "1,000 of 800"
    );
    assert_eq!(
        ops.post(
            &format!("/matters/{matter_id}/accruals"),
            &[
                (
                    "vendor_id",
                    &sqlx::query_scalar::<_, i64>(
                        "SELECT id FROM vendors WHERE name = 'Routing LLP'"
                    )
                    .fetch_one(t.app.db.pool())
                    .await
                    .unwrap()
                    .to_string()
                ),
                ("period", &format!("{year}-01")),
                ("amount", "350.50")
            ]
        )
        .await
        .status(),
        303
    );
    vendor.page("/portal").await;
    assert_eq!(
        vendor
            .post(
                "/portal/accruals",
                &[
                    ("matter_id", &matter_id.to_string()),
                    ("period", &format!("{year}-02")),
                    ("amount", "1200")
                ]
            )
            .await
            .status(),
        303
    );
    let page = ops.page(&format!("/matters/{matter_id}")).await;
    assert!(
        page.contains("350.50")
            && page.contains("1,200.00")
            && page.contains("vendor")
            && page.contains("internal")
    );
    // The dashboard's budget report agrees.
    let csv = ops
        .get(&format!(
            "/spend?report=budget&format=csv&from={year}-01-01&to={year}-12-31"
        ))
        .await
        .text()
        .await
        .unwrap();
    assert!(csv.contains("800.00,1000.00,-200.00,125"), "{csv}");
    sums_agree(t).await;
}

async fn routing_rules_caps_budgets_and_accruals(t: TestApp) {
    routing_rules_caps_and_budgets_inner(&t).await;
}

both!(returned_invoice_is_replaced_by_its_correction);
async fn returned_invoice_is_replaced_by_its_correction(t: TestApp) {
    let (mut ops, mut vendor) = setup(
        &t,
        "Resubmit LLP",
        "55-5555555",
        "RS-1",
        "firm@resubmit.example",
        false,
    )
    .await;
    let first = ledes(
        &t,
        "RS-INV-1",
        "55-5555555",
        "RS-1",
        &[(
            "3.0",
            "600",
            "1800",
            "L120",
            "A102",
            "TK1",
            "Ann Partner",
            "PARTNR",
            "Analyze the indemnity clause of the supply agreement",
        )],
    );
    assert!(
        upload(&vendor, "/portal/invoices/upload", "rs.txt", &first)
            .await
            .text()
            .await
            .unwrap()
            .contains("accepted")
    );
    let id: i64 = sqlx::query_scalar("SELECT id FROM invoices WHERE invoice_number = 'RS-INV-1'")
        .fetch_one(t.app.db.pool())
        .await
        .unwrap();
    ops.page(&format!("/spend/invoices/{id}")).await;
    let r = ops
        .post(
            &format!("/spend/invoices/{id}/decision"),
            &[("decision", "return"), ("note", "")],
        )
        .await;
    assert_eq!(r.status(), 422, "returning needs a reason for the firm");
    let r = ops
        .post(
            &format!("/spend/invoices/{id}/decision"),
            &[
                ("decision", "return"),
                ("note", "Split the research entry by task"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    lexops::platform::jobs::drain(&t.app).await.unwrap();
    assert!(
        t.smtp
            .received()
            .iter()
            .any(|m| m.contains("Subject: Invoice RS-INV-1 returned"))
    );
    // The corrected invoice, same number: it replaces the returned one.
    let fixed = ledes(
        &t,
        "RS-INV-1",
        "55-5555555",
        "RS-1",
        &[
            (
                "1.5",
                "600",
                "900",
                "L120",
                "A102",
                "TK1",
                "Ann Partner",
                "PARTNR",
                "Analyze the indemnity clause of the supply agreement",
            ),
            (
                "1.5",
                "600",
                "900",
                "L210",
                "A103",
                "TK1",
                "Ann Partner",
                "PARTNR",
                "Draft the reply on the indemnity position",
            ),
        ],
    );
    let body = upload(&vendor, "/portal/invoices/upload", "rs-fixed.txt", &fixed)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        body.contains("accepted") && body.contains("replacing a rejected or returned invoice"),
        "{body}"
    );
    let (same_id, version, status, lines): (i64, i64, String, i64) = sqlx::query_as(
        "SELECT id, version, status, line_count FROM invoices WHERE invoice_number = 'RS-INV-1'",
    )
    .fetch_one(t.app.db.pool())
    .await
    .unwrap();
    assert_eq!(
        (same_id, version, status.as_str(), lines),
        (id, 2, "in_review", 2)
    );
    let stored: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM invoice_lines WHERE invoice_id = $1")
            .bind(id)
            .fetch_one(t.app.db.pool())
            .await
            .unwrap();
    assert_eq!(stored, 2, "the old lines are gone");
    let portal = vendor.page(&format!("/portal/invoices/{id}")).await;
    assert!(portal.contains("resubmitted") && portal.contains("Split the research entry by task"));
    // A second submission of an invoice in review is a duplicate.
    let body = upload(&vendor, "/portal/invoices/upload", "rs-again.txt", &fixed)
        .await
        .text()
        .await
        .unwrap();
    assert!(body.contains("R401"));
    sums_agree(&t).await;
}

both!(several_files_go_through_one_pipeline);
/// Files sent together (the CLI import, an upload of several files): while one is written the
/// next is judged, and files of other firms and matters share a transaction; a file of the same
/// firm waits until the first is stored, so its duplicate line is still caught and its repeated
/// invoice number refused. Outcomes come back in file order, a bad file among them changes
/// nothing, and the totals and dashboard rollups agree with the line items.
async fn several_files_go_through_one_pipeline(t: TestApp) {
    several_files(t, None).await;
}

both!(several_files_each_committed_by_its_own_write);
/// The same files with transactions of one line item: every file fills its group, so its own
/// write task commits it while the next file is judged; the outcomes and what is stored are
/// the same.
async fn several_files_each_committed_by_its_own_write(t: TestApp) {
    several_files(t, Some(1)).await;
}

both!(an_invoice_decided_while_its_resubmission_waits_is_not_overwritten);
/// A firm resubmits its rejected invoice A-1 and, in the same import, Brook's B-1; the
/// resubmission is judged and waits for its write (on SQLite B-1 too, queued behind it).
/// Meanwhile a reviewer approves the first A-1 after all. The resubmission is judged again
/// when it is written, and refused as a duplicate: the approved invoice stays as it was. B-1 is
/// written all the same, in file order.
async fn an_invoice_decided_while_its_resubmission_waits_is_not_overwritten(t: TestApp) {
    let ops = avery_and_brook(&t).await;
    let entry = |text| partner_entry("1.0", "600.00", text);
    let first = ledes(
        &t,
        "A-1",
        "11-1111111",
        "PA-1",
        &[entry("Drafted complaint")],
    );
    let mut pipeline = lexops::spend::intake::Pipeline::new(&t.app, &ops);
    let mut outcomes = pipeline
        .push("first.txt", first.into_bytes(), None)
        .await
        .unwrap();
    outcomes.extend(pipeline.finish().await.unwrap());
    assert!(outcomes[0].accepted, "{:?}", outcomes[0].problems);
    sqlx::query("UPDATE invoices SET status = 'rejected', version = version + 1 WHERE invoice_number = 'A-1'")
        .execute(t.app.db.pool())
        .await
        .unwrap();

    let gate = std::sync::Arc::new(tokio::sync::Semaphore::new(0));
    let mut pipeline = lexops::spend::intake::Pipeline::new(&t.app, &ops).hold_writes(gate.clone());
    let again = ledes(
        &t,
        "A-1",
        "11-1111111",
        "PA-1",
        &[entry("Drafted amended complaint")],
    );
    let brook = ledes(&t, "B-1", "22-2222222", "PB-1", &[entry("Reviewed answer")]);
    let mut outcomes = pipeline
        .push("again.txt", again.into_bytes(), None)
        .await
        .unwrap();
    // On SQLite the next file is judged and handed to its write behind the first (two in
    // flight); on PostgreSQL a file's write is waited for before the next is handed over.
    let sqlite = matches!(t.backend, crate::harness::Backend::Sqlite);
    let mut brook = Some(brook);
    if sqlite {
        let b = brook.take().unwrap();
        outcomes.extend(
            pipeline
                .push("brook.txt", b.into_bytes(), None)
                .await
                .unwrap(),
        );
    }
    assert!(outcomes.is_empty(), "nothing is written yet");
    // The reviewer's decision, while the files wait for their writes.
    sqlx::query("UPDATE invoices SET status = 'approved', version = version + 1 WHERE invoice_number = 'A-1'")
        .execute(t.app.db.pool())
        .await
        .unwrap();
    gate.add_permits(100);
    if let Some(b) = brook {
        outcomes.extend(
            pipeline
                .push("brook.txt", b.into_bytes(), None)
                .await
                .unwrap(),
        );
    }
    outcomes.extend(pipeline.finish().await.unwrap());
    let got = verdicts(&outcomes);
    assert_eq!(got, [("again.txt", false), ("brook.txt", true)]);
    assert!(
        outcomes[0]
            .problems
            .iter()
            .any(|p| p.code.as_deref() == Some("R401")),
        "{:?}",
        outcomes[0].problems
    );
    let stored: Vec<(String, String)> = sqlx::query_as(
        "SELECT i.invoice_number, i.status FROM invoices i ORDER BY i.invoice_number",
    )
    .fetch_all(t.app.db.pool())
    .await
    .unwrap();
    assert_eq!(
        stored,
        [
            ("A-1".to_string(), "approved".to_string()),
            ("B-1".to_string(), "in_review".to_string())
        ]
    );
    let narrative: String = sqlx::query_scalar(
        "SELECT l.narrative FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id WHERE i.invoice_number = 'A-1'",
    )
    .fetch_one(t.app.db.pool())
    .await
    .unwrap();
    assert_eq!(narrative, "Drafted complaint");
    sums_agree(&t).await;
}

both!(a_long_file_is_stored_line_by_line_with_its_flags);
/// A file of 1,234 lines, nearly all flagged: its lines go in statements of 1,000, of whole
/// fifties and of the few left, its flags in statements of a hundred and the rest; every line
/// is stored in order and every flag points at its own line.
async fn a_long_file_is_stored_line_by_line_with_its_flags(t: TestApp) {
    setup_avery(&t).await;
    let ops = ops_user(&t).await;
    // The same entry 1,234 times: lines 2 to 1,234 duplicate line 1.
    let entry = (
        "0.1",
        "600.00",
        "60.00",
        "L210",
        "A103",
        "TK1",
        "Ann Partner",
        "PARTNR",
        "Drafted motion to dismiss",
    );
    let text = ledes(&t, "A-LONG", "11-1111111", "PA-1", &vec![entry; 1234]);
    let mut pipeline = lexops::spend::intake::Pipeline::new(&t.app, &ops);
    let mut outcomes = pipeline
        .push("long.txt", text.into_bytes(), None)
        .await
        .unwrap();
    outcomes.extend(pipeline.finish().await.unwrap());
    assert_eq!(outcomes.len(), 1);
    assert!(outcomes[0].accepted, "{:?}", outcomes[0].problems);
    // The lines in file order, numbered 1..=1234 by id.
    let numbers: Vec<String> = sqlx::query_scalar("SELECT line_no FROM invoice_lines ORDER BY id")
        .fetch_all(t.app.db.pool())
        .await
        .unwrap();
    let want: Vec<String> = (1..=1234).map(|n| n.to_string()).collect();
    assert_eq!(numbers, want);
    // Each duplicate flag on its own line, none lost, none on line 1.
    let mut flagged: Vec<i64> = sqlx::query_scalar(
        "SELECT CAST(l.line_no AS BIGINT) FROM invoice_flags f JOIN invoice_lines l ON l.id = f.line_id AND l.invoice_id = f.invoice_id \
         WHERE f.rule_kind = 'duplicate_line'",
    )
    .fetch_all(t.app.db.pool())
    .await
    .unwrap();
    flagged.sort_unstable();
    assert_eq!(flagged, (2..=1234).collect::<Vec<i64>>());
    let (all, on_lines): (i64, i64) =
        sqlx::query_as("SELECT COUNT(*), COUNT(line_id) FROM invoice_flags")
            .fetch_one(t.app.db.pool())
            .await
            .unwrap();
    let joined: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM invoice_flags f JOIN invoice_lines l ON l.id = f.line_id AND l.invoice_id = f.invoice_id",
    )
    .fetch_one(t.app.db.pool())
    .await
    .unwrap();
    assert!(all >= 1233, "{all} flags");
    assert_eq!(joined, on_lines);
    sums_agree(&t).await;
}

/// The firm Avery LLP on matter PA-1, with its portal user (see [`setup`]).
async fn setup_avery(t: &TestApp) {
    setup(
        t,
        "Avery LLP",
        "11-1111111",
        "PA-1",
        "firm@avery.example",
        false,
    )
    .await;
}

/// Each outcome's file and whether it was accepted, in order.
fn verdicts(outcomes: &[lexops::spend::intake::IntakeOutcome]) -> Vec<(&str, bool)> {
    outcomes
        .iter()
        .map(|o| (o.file.as_str(), o.accepted))
        .collect()
}

/// The firms Avery LLP (matter PA-1) and Brook LLP (matter PB-1); the legal-ops user.
async fn avery_and_brook(t: &TestApp) -> lexops::platform::access::CurrentUser {
    setup_avery(t).await;
    setup(
        t,
        "Brook LLP",
        "22-2222222",
        "PB-1",
        "firm@brook.example",
        false,
    )
    .await;
    ops_user(t).await
}

/// A line of Ann Partner's (TK1, 600.00 an hour) on task L210, activity A103.
fn partner_entry<'a>(
    units: &'a str,
    total: &'a str,
    text: &'a str,
) -> (
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    &'a str,
) {
    (
        units,
        "600.00",
        total,
        "L210",
        "A103",
        "TK1",
        "Ann Partner",
        "PARTNR",
        text,
    )
}

/// The legal-ops user [`setup`] made, as the intake pipeline is given it.
async fn ops_user(t: &TestApp) -> lexops::platform::access::CurrentUser {
    let ops = lexops::platform::users::by_email(&t.app, "ops@example.com")
        .await
        .unwrap()
        .expect("setup made the legal-ops user");
    lexops::platform::access::CurrentUser {
        id: ops.id,
        email: ops.email,
        name: ops.name,
        role: Role::LegalOps,
        via_token: false,
        vendor_id: None,
    }
}

async fn several_files(t: TestApp, group_lines: Option<usize>) {
    let ops = avery_and_brook(&t).await;
    let line = |text| partner_entry("2.0", "1200.00", text);
    let files = [
        (
            "a1.txt",
            ledes(
                &t,
                "A-1",
                "11-1111111",
                "PA-1",
                &[line("Drafted motion to dismiss")],
            ),
        ),
        (
            "b1.txt",
            ledes(
                &t,
                "B-1",
                "22-2222222",
                "PB-1",
                &[line("Reviewed discovery requests")],
            ),
        ),
        ("bad.txt", "LEDES1998B[]\nnot|a|header[]\n".to_string()),
        // The same entry again, on a second invoice of the same firm: a duplicate line.
        (
            "a2.txt",
            ledes(
                &t,
                "A-2",
                "11-1111111",
                "PA-1",
                &[
                    line("Drafted motion to dismiss"),
                    line("Prepared for hearing"),
                ],
            ),
        ),
        // Brook's B-1 again: a duplicate invoice number.
        (
            "b2.txt",
            ledes(
                &t,
                "B-1",
                "22-2222222",
                "PB-1",
                &[line("Reviewed discovery requests")],
            ),
        ),
        (
            "b3.txt",
            ledes(
                &t,
                "B-2",
                "22-2222222",
                "PB-1",
                &[line("Called opposing counsel")],
            ),
        ),
        // B-1 in other letters: not refused as the same number, but the guidelines'
        // duplicate-invoice rule (numbers compared trimmed, ignoring case) rejects it.
        (
            "b4.txt",
            ledes(
                &t,
                "b-1",
                "22-2222222",
                "PB-1",
                &[line("Summarised deposition transcript")],
            ),
        ),
    ];
    let mut pipeline = lexops::spend::intake::Pipeline::new(&t.app, &ops);
    if let Some(n) = group_lines {
        pipeline = pipeline.group_lines(n);
    }
    let mut outcomes = vec![];
    for (name, text) in &files {
        outcomes.extend(
            pipeline
                .push(name, text.as_bytes().to_vec(), None)
                .await
                .unwrap(),
        );
    }
    outcomes.extend(pipeline.finish().await.unwrap());
    let got = verdicts(&outcomes);
    assert_eq!(
        got,
        [
            ("a1.txt", true),
            ("b1.txt", true),
            ("bad.txt", false),
            ("a2.txt", true),
            ("b2.txt", false),
            ("b3.txt", true),
            ("b4.txt", true),
        ]
    );
    let dup: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT i.invoice_number, i.status, f.rule_kind FROM invoice_flags f JOIN invoices i ON i.id = f.invoice_id WHERE f.rule_kind = 'duplicate_invoice_number'",
    )
    .fetch_all(t.app.db.pool())
    .await
    .unwrap();
    assert_eq!(
        dup,
        [(
            "b-1".to_string(),
            "rejected".to_string(),
            "duplicate_invoice_number".to_string()
        )]
    );
    assert!(
        outcomes[4]
            .problems
            .iter()
            .any(|p| p.code.as_deref() == Some("R401")),
        "{:?}",
        outcomes[4].problems
    );
    // The flag is on the repeated line of A-2 (each flag finds its line by the ids the lines
    // were given when written).
    let flags: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT i.invoice_number, f.rule_kind, l.line_no, l.narrative FROM invoice_flags f JOIN invoices i ON i.id = f.invoice_id \
         JOIN invoice_lines l ON l.id = f.line_id AND l.invoice_id = i.id WHERE f.rule_kind = 'duplicate_line' ORDER BY i.invoice_number",
    )
    .fetch_all(t.app.db.pool())
    .await
    .unwrap();
    assert_eq!(
        flags,
        [(
            "A-2".to_string(),
            "duplicate_line".to_string(),
            "1".to_string(),
            "Drafted motion to dismiss".to_string()
        )]
    );
    let mut stored: Vec<String> = sqlx::query_scalar("SELECT invoice_number FROM invoices")
        .fetch_all(t.app.db.pool())
        .await
        .unwrap();
    stored.sort();
    assert_eq!(stored, ["A-1", "A-2", "B-1", "B-2", "b-1"]);
    sums_agree(&t).await;
}
