//! Browser tests: headless Chromium, driven through chromedriver, signs in through the real
//! pages and checks the home page. Screenshots go to `target/screenshots/` to be looked at.
//! Skipped when chromedriver is missing, unless `LEXOPS_REQUIRE_BROWSER=1`.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{ClientBuilder, Locator};
use lexops::platform::access::Role;

use crate::harness::{Backend, PASSWORD, TestApp};

pub struct Driver {
    child: Child,
    pub port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts chromedriver, or returns `None` (test skipped) when it is not installed.
pub async fn chromedriver() -> Option<Driver> {
    let bin = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists());
    let Some(bin) = bin else {
        assert!(
            std::env::var("LEXOPS_REQUIRE_BROWSER").as_deref() != Ok("1"),
            "LEXOPS_REQUIRE_BROWSER=1 but chromedriver is not installed"
        );
        eprintln!(
            "skipped: chromedriver is not installed (apt-get install chromium chromium-driver)"
        );
        return None;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(bin)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some(Driver { child, port });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("chromedriver did not start");
}

pub async fn browser(d: &Driver) -> fantoccini::Client {
    let profile = tempfile::tempdir().unwrap().keep();
    let caps = serde_json::json!({
        "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1440,900",
                     format!("--user-data-dir={}", profile.display())]
        }
    });
    let caps = caps.as_object().unwrap().clone().into_iter().collect();
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", d.port))
        .await
        .expect("connect to chromedriver")
}

pub async fn screenshot(c: &fantoccini::Client, name: &str) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let png = c.screenshot().await.unwrap();
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
}

/// The text of the first element matching `css`.
async fn text_of(c: &fantoccini::Client, css: &str) -> String {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Clicks the first element matching `css`.
async fn click(c: &fantoccini::Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// Fills the sign-in form on the current page and submits it.
async fn fill_sign_in(c: &fantoccini::Client, email: &str) {
    c.find(Locator::Css("#email"))
        .await
        .unwrap()
        .send_keys(email)
        .await
        .unwrap();
    c.find(Locator::Css("#password"))
        .await
        .unwrap()
        .send_keys(PASSWORD)
        .await
        .unwrap();
    click(c, "button[type=submit]").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_through_chromium_and_see_the_home_page() {
    let Some(driver) = chromedriver().await else {
        return;
    };
    let t = TestApp::spawn(Backend::Sqlite).await.unwrap();
    t.user("lena@example.com", Role::Admin).await;
    for i in 0..12 {
        t.user(&format!("person{i}@example.com"), Role::ALL[i % 8])
            .await;
    }
    let c = browser(&driver).await;
    c.goto(&t.url("/")).await.unwrap();
    assert!(c.current_url().await.unwrap().as_str().contains("/login"));
    screenshot(&c, "login").await;
    fill_sign_in(&c, "lena@example.com").await;
    let h1 = c
        .wait()
        .for_element(Locator::Css("h1.page-title"))
        .await
        .unwrap();
    assert!(h1.text().await.unwrap().starts_with("Good "));
    let nav = c
        .find(Locator::Css("nav.nav"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(nav.contains("Users") && nav.contains("Audit trail"));
    screenshot(&c, "home").await;
    c.goto(&t.url("/admin/users")).await.unwrap();
    let rows = c
        .find_all(Locator::Css("table.table tbody tr"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 13);
    screenshot(&c, "users").await;
    c.goto(&t.url("/admin/users/new")).await.unwrap();
    screenshot(&c, "user-new").await;
    c.goto(&t.url("/admin/audit")).await.unwrap();
    screenshot(&c, "audit").await;
    c.goto(&t.url("/account")).await.unwrap();
    screenshot(&c, "account").await;
    // The file plan, with the demo department's schedule.
    let lena = lexops::platform::users::by_email(&t.app, "lena@example.com")
        .await
        .unwrap()
        .unwrap();
    let admin = lexops::platform::access::CurrentUser {
        id: lena.id,
        email: lena.email.clone(),
        name: lena.name.clone(),
        role: Role::Admin,
        via_token: false,
        vendor_id: None,
    };
    lexops::records::demo::seed(&t.app, &admin).await.unwrap();
    c.goto(&t.url("/records/plan")).await.unwrap();
    let rows = c
        .find_all(Locator::Css("table.table tbody tr"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 14 + 1, "14 categories and one version");
    screenshot(&c, "file-plan").await;
    c.goto(&t.url("/records/plan/new")).await.unwrap();
    screenshot(&c, "file-plan-new").await;
    c.goto(&t.url("/records")).await.unwrap();
    let rows = c
        .find_all(Locator::Css("table.table tbody tr"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 20);
    screenshot(&c, "records").await;
    // Full-text search through the search box: the demo's Word and PDF contracts by a word of
    // their text, the match marked.
    c.find(Locator::Css("#f-q"))
        .await
        .unwrap()
        .send_keys("indemnification")
        .await
        .unwrap();
    click(&c, "form.filter-bar button[type='submit']").await;
    c.wait()
        .for_element(Locator::Css(".snippet mark"))
        .await
        .unwrap();
    assert_eq!(
        text_of(&c, ".snippet mark").await.to_lowercase(),
        "indemnification"
    );
    let rows = c
        .find_all(Locator::Css("table.table tbody tr"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 5);
    screenshot(&c, "records-search").await;
    let docx: i64 = sqlx::query_scalar(
        "SELECT id FROM records WHERE filename LIKE '%.docx' ORDER BY id LIMIT 1",
    )
    .fetch_one(t.app.db.pool())
    .await
    .unwrap();
    c.goto(&t.url(&format!("/records/{docx}/preview")))
        .await
        .unwrap();
    assert!(
        text_of(&c, "pre.notice-text")
            .await
            .contains("CONFIDENTIAL")
    );
    screenshot(&c, "record-preview-docx").await;
    c.goto(&t.url("/records/disposition")).await.unwrap();
    screenshot(&c, "disposition").await;
    c.goto(&t.url("/holds")).await.unwrap();
    screenshot(&c, "holds").await;
    c.goto(&t.url("/records/1")).await.unwrap();
    screenshot(&c, "record").await;
    // Sign out through the button.
    click(&c, "form[action='/logout'] button").await;
    c.wait().for_element(Locator::Css("#email")).await.unwrap();
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_review_and_approve_in_chromium() {
    use lexops::platform::access::CurrentUser;
    use lexops::spend::{model::VendorInput, vendors};
    let Some(driver) = chromedriver().await else {
        return;
    };
    let t = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let ops_id = t.user("ops@example.com", Role::LegalOps).await;
    t.user("firm@baker.example", Role::Vendor).await;
    let ops = CurrentUser {
        id: ops_id,
        email: "ops@example.com".into(),
        name: "Olga Ops".into(),
        role: Role::LegalOps,
        via_token: false,
        vendor_id: None,
    };
    let v = vendors::create(
        &t.app,
        &ops,
        &VendorInput {
            name: "Baker & Lowe LLP".into(),
            law_firm_id: "12-3456789".into(),
            currency: "USD".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let tk = vendors::add_timekeeper(&t.app, &ops, v.id, "TK1", "Ann Partner", "PARTNR")
        .await
        .unwrap();
    vendors::approve_rate(&t.app, &ops, tk, None, "600", "2020-01-01")
        .await
        .unwrap();
    lexops::matters::store::create(
        &t.app,
        &ops,
        &lexops::matters::model::MatterInput {
            number: "LIT-1".into(),
            name: "Acme v. Widget".into(),
            type_code: "litigation".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    vendors::assign(&t.app, &ops, v.id, "LIT-1", "LIT-1", "F-LIT-1", "")
        .await
        .unwrap();
    vendors::link_user(&t.app, &ops, v.id, "firm@baker.example")
        .await
        .unwrap();
    // The firm's file, on disk for the browser's file chooser.
    let today = t
        .app
        .clock
        .now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date();
    let last = today.first_of_month().yesterday().unwrap();
    let first = last.first_of_month();
    let d = |x: jiff::civil::Date| x.to_string().replace('-', "");
    let header = "LEDES1998B[]\nINVOICE_DATE|INVOICE_NUMBER|CLIENT_ID|LAW_FIRM_MATTER_ID|INVOICE_TOTAL|BILLING_START_DATE|BILLING_END_DATE|INVOICE_DESCRIPTION|LINE_ITEM_NUMBER|EXP/FEE/INV_ADJ_TYPE|LINE_ITEM_NUMBER_OF_UNITS|LINE_ITEM_ADJUSTMENT_AMOUNT|LINE_ITEM_TOTAL|LINE_ITEM_DATE|LINE_ITEM_TASK_CODE|LINE_ITEM_EXPENSE_CODE|LINE_ITEM_ACTIVITY_CODE|TIMEKEEPER_ID|LINE_ITEM_DESCRIPTION|LAW_FIRM_ID|LINE_ITEM_UNIT_COST|TIMEKEEPER_NAME|TIMEKEEPER_CLASSIFICATION|CLIENT_MATTER_ID[]\n";
    let line = |n: u32, units: &str, rate: &str, total: &str, text: &str| {
        format!(
            "{}|INV-7|ACME|F-LIT-1|2500|{}|{}|Services|{n}|F|{units}|0|{total}|{}|L120||A102|TK1|{text}|12-3456789|{rate}|Ann Partner|PARTNR|LIT-1[]\n",
            d(today),
            d(first),
            d(last),
            d(first)
        )
    };
    let file = format!(
        "{header}{}{}{}",
        line(
            1,
            "2.0",
            "650",
            "1300",
            "Research statute of limitations defenses under state law"
        ),
        line(
            2,
            "1.5",
            "600",
            "900",
            "Draft answer and affirmative defenses"
        ),
        line(3, "0.5", "600", "300", "Attention to matter")
    );
    let path = t.dir.path().join("INV-7.txt");
    std::fs::write(&path, file).unwrap();
    let c = browser(&driver).await;
    let sign_in = |email: &'static str| {
        let c = c.clone();
        let url = t.url("/login");
        async move {
            c.goto(&url).await.unwrap();
            fill_sign_in(&c, email).await;
            c.wait()
                .for_element(Locator::Css("h1.page-title"))
                .await
                .unwrap();
        }
    };
    // The firm uploads through the portal.
    sign_in("firm@baker.example").await;
    c.goto(&t.url("/portal/invoices/upload")).await.unwrap();
    c.find(Locator::Css("input[type=file]"))
        .await
        .unwrap()
        .send_keys(path.to_str().unwrap())
        .await
        .unwrap();
    screenshot(&c, "spend-1-upload").await;
    c.find(Locator::Css(
        "form[enctype='multipart/form-data'] button[type=submit]",
    ))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    let callout = c
        .wait()
        .for_element(Locator::Css(".callout"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(callout.contains("INV-7.txt accepted"), "{callout}");
    screenshot(&c, "spend-2-accepted").await;
    click(&c, "form[action='/logout'] button").await;
    c.wait().for_element(Locator::Css("#email")).await.unwrap();
    // Legal ops reviews from the queue and approves.
    sign_in("ops@example.com").await;
    c.goto(&t.url("/spend/invoices/queue")).await.unwrap();
    screenshot(&c, "spend-3-queue").await;
    c.find(Locator::LinkText("INV-7"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let title = c
        .wait()
        .for_element(Locator::Css("h1.page-title"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(title.contains("INV-7"));
    let flags = c.find_all(Locator::Css(".flag")).await.unwrap();
    assert!(flags.len() >= 2, "rate and narrative flags shown");
    screenshot(&c, "spend-4-review").await;
    click(&c, "button[name=decision][value=approve]").await;
    c.wait().for_element(Locator::Css(".flash")).await.unwrap();
    screenshot(&c, "spend-5-approved").await;
    let status: String =
        sqlx::query_scalar("SELECT status FROM invoices WHERE invoice_number = 'INV-7'")
            .fetch_one(t.app.db.pool())
            .await
            .unwrap();
    assert_eq!(status, "approved");
    // And the dashboard shows it.
    c.goto(&t.url("/spend")).await.unwrap();
    c.wait()
        .for_element(Locator::Css("figure.chart svg"))
        .await
        .unwrap();
    screenshot(&c, "spend-6-dashboard").await;
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custodian_acknowledges_a_hold_in_chromium() {
    let Some(driver) = chromedriver().await else {
        return;
    };
    let t = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let id = t.user("jane@example.com", Role::LegalOps).await;
    let jane = lexops::platform::access::CurrentUser {
        id,
        email: "jane@example.com".into(),
        name: "Jane".into(),
        role: Role::LegalOps,
        via_token: false,
        vendor_id: None,
    };
    // The demo department: a file plan, records, the directory and a hold on four custodians,
    // two of whom have acknowledged.
    lexops::records::demo::seed(&t.app, &jane).await.unwrap();
    lexops::platform::jobs::drain(&t.app).await.unwrap();
    let mail = t.smtp.received();
    let to_leo = mail
        .iter()
        .find(|m| m.contains("To: leo.martin@demo.lexops.test"))
        .expect("Leo's notice arrived")
        .replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=");
    let at = to_leo.find("/hold-notice/").unwrap();
    let link: String = to_leo[at..]
        .split(char::is_whitespace)
        .next()
        .unwrap()
        .to_string();

    // The custodian opens the link: no password, the notice, the questionnaire.
    let c = browser(&driver).await;
    c.goto(&t.url(&link)).await.unwrap();
    let title = text_of(&c, "h1.auth-title").await;
    assert_eq!(title, "Legal hold notice");
    let notice = text_of(&c, "pre.notice-text").await;
    assert!(notice.contains("Dear Leo Martin"), "{notice}");
    screenshot(&c, "hold-notice").await;
    c.find(Locator::Css("#q0"))
        .await
        .unwrap()
        .send_keys("Laptop and the engineering share")
        .await
        .unwrap();
    c.find(Locator::Css("#q1"))
        .await
        .unwrap()
        .send_keys("No")
        .await
        .unwrap();
    click(&c, "input[name=confirm]").await;
    click(&c, "button[type=submit]").await;
    let done = c
        .wait()
        .for_element(Locator::Css(".callout-success"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(done.contains("You acknowledged this notice on"), "{done}");
    screenshot(&c, "hold-notice-acknowledged").await;
    // A link altered by one character opens nothing.
    let mut bad = link.clone();
    let last = bad.pop().unwrap();
    bad.push(if last == 'a' { 'b' } else { 'a' });
    c.goto(&t.url(&bad)).await.unwrap();
    let title = text_of(&c, "h1.auth-title").await;
    assert_eq!(title, "This link is not valid");
    screenshot(&c, "hold-notice-invalid").await;

    // Legal ops sees it on the hold dashboard.
    c.goto(&t.url("/login")).await.unwrap();
    fill_sign_in(&c, "jane@example.com").await;
    c.wait()
        .for_element(Locator::Css("h1.page-title"))
        .await
        .unwrap();
    c.goto(&t.url("/holds")).await.unwrap();
    let row = text_of(&c, "table.table tbody tr").await;
    assert!(row.contains("Acme v. Widget"), "{row}");
    screenshot(&c, "holds").await;
    click(&c, "table.table tbody tr a").await;
    let stats = c
        .wait()
        .for_element(Locator::Css(".stat-grid"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(stats.contains("Acknowledged\n3"), "{stats}");
    let leo = c
        .find(Locator::XPath(
            "//tr[contains(., 'leo.martin@demo.lexops.test')]",
        ))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        leo.contains("Acknowledged") && leo.contains("Laptop and the engineering share"),
        "{leo}"
    );
    screenshot(&c, "hold-detail").await;
    c.goto(&t.url("/holds/new")).await.unwrap();
    screenshot(&c, "hold-new").await;
    c.close().await.unwrap();
}

/// Contracts in Chromium: the repository with its filters, a contract under negotiation, the
/// redline of the counterparty's turn against what we sent, and the template editor.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contracts_redline_and_repository_in_chromium() {
    use lexops::platform::access::CurrentUser;
    let Some(driver) = chromedriver().await else {
        return;
    };
    let t = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let id = t.user("lena@example.com", Role::LegalOps).await;
    let lena = CurrentUser {
        id,
        email: "lena@example.com".into(),
        name: "Lena Ops".into(),
        role: Role::LegalOps,
        via_token: false,
        vendor_id: None,
    };
    lexops::contracts::demo::seed(&t.app, &lena, &lena, 16)
        .await
        .unwrap();
    let c = browser(&driver).await;
    c.goto(&t.url("/contracts")).await.unwrap();
    fill_sign_in(&c, "lena@example.com").await;
    c.wait()
        .for_element(Locator::Css("table.table"))
        .await
        .unwrap();
    c.goto(&t.url("/contracts")).await.unwrap();
    let rows = c
        .find_all(Locator::Css("table.table tbody tr"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 16);
    screenshot(&c, "contracts").await;
    // Filter the repository to the contracts under negotiation.
    let negotiating: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM contracts WHERE status = 'negotiation'")
            .fetch_one(t.app.db.pool())
            .await
            .unwrap();
    assert!(negotiating > 0, "the demo has contracts under negotiation");
    c.find(Locator::Css("#f-status option[value='negotiation']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    click(&c, "form.filter-bar button[type='submit']").await;
    for _ in 0..50 {
        if c.current_url()
            .await
            .unwrap()
            .as_str()
            .contains("status=negotiation")
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let rows = c
        .find_all(Locator::Css("table.table tbody tr"))
        .await
        .unwrap();
    assert_eq!(rows.len() as i64, negotiating);
    screenshot(&c, "contracts-filtered").await;
    // The first one: its page, then its redline.
    click(&c, "table.table tbody tr td a").await;
    c.wait()
        .for_element(Locator::Css("#versions"))
        .await
        .unwrap();
    screenshot(&c, "contract").await;
    click(&c, ".page-actions a[href*='/redline']").await;
    c.wait()
        .for_element(Locator::Css(".redline-view"))
        .await
        .unwrap();
    assert!(
        !c.find_all(Locator::Css(".redline-view del"))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        !c.find_all(Locator::Css(".redline-view ins"))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        text_of(&c, ".callout-warning")
            .await
            .contains("Changes without tracking")
    );
    screenshot(&c, "contract-redline").await;
    // Back to the contract: the clauses its newest version holds, on the CUAD categories.
    c.back().await.unwrap();
    c.wait()
        .for_element(Locator::Css("#versions"))
        .await
        .unwrap();
    click(&c, ".page-actions a[href$='/clauses']").await;
    c.wait()
        .for_element(Locator::Css("form.filter-bar"))
        .await
        .unwrap();
    let found = c
        .find_all(Locator::Css("table.table tbody tr"))
        .await
        .unwrap();
    assert!(!found.is_empty(), "the demo draft's clauses are found");
    assert!(text_of(&c, "table.table").await.contains("Governing Law"));
    screenshot(&c, "contract-clauses").await;
    let tid: i64 = sqlx::query_scalar("SELECT id FROM contract_templates WHERE code = 'services'")
        .fetch_one(t.app.db.pool())
        .await
        .unwrap();
    c.goto(&t.url(&format!("/contracts/templates/{tid}")))
        .await
        .unwrap();
    assert!(
        text_of(&c, ".contract-doc")
            .await
            .contains("Services Agreement")
    );
    screenshot(&c, "contract-template").await;
    c.close().await.unwrap();
}
