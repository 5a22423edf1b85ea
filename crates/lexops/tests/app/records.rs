//! Records: the file plan — importing a retention schedule from CSV (all or nothing, every
//! problem named by line and column, idempotent), editing a category, versions, export, the API
//! and who may do what.

use lexops::platform::access::Role;
use serde_json::Value;

use crate::both;
use crate::harness::{Browser, TestApp};

const PLAN: &str = "code,title,description,owner,trigger,period,cutoff,disposition,citation
LEG-100,Contracts,Executed agreements and amendments,Legal,contract_expiry,7y,fiscal_year,destroy,Limitation Act 1980 s.5
HR-200,Personnel files,,HR,employee_termination,6y,year,destroy,
LEG-300,Matter files,Litigation and advisory files,Legal,matter_closed,10y,year,review,
CORP-1,Board minutes,,Company secretary,created,permanent,,keep,Companies Act 2006 s.248
";

async fn import(b: &Browser, name: &str, csv: &str) -> reqwest::Response {
    b.upload_file("/records/plan/import", name, csv.as_bytes())
        .await
}

async fn count(t: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(t.app.db.pool())
        .await
        .unwrap()
}

both!(legal_ops_builds_the_file_plan);
async fn legal_ops_builds_the_file_plan(t: TestApp) {
    let mut ops = t.signed_in(Role::LegalOps).await;
    assert!(ops.page("/records/plan").await.contains("No file plan yet"));
    // A schedule with mistakes: every one named by line and column, nothing stored.
    let bad = PLAN
        .replace(
            "HR-200,Personnel files,,HR,employee_termination,6y",
            "HR-200,Personnel files,,HR,employee_termination,6 parsecs",
        )
        .replace(
            "CORP-1,Board minutes,,Company secretary,created,permanent,,keep",
            "LEG-100,Board minutes,,Company secretary,created,permanent,,destroy",
        );
    let r = import(&ops, "schedule.csv", &bad).await;
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    assert!(body.contains("Nothing was imported"), "{body}");
    assert!(
        body.contains("schedule.csv:3</span> · column <strong>period</strong>"),
        "{body}"
    );
    assert!(
        body.contains("schedule.csv:5</span> · column <strong>code</strong>"),
        "{body}"
    );
    assert!(body.contains("already on line 2"), "{body}");
    assert!(
        body.contains("a permanent period cannot end in destroy"),
        "{body}"
    );
    assert_eq!(count(&t, "SELECT COUNT(*) FROM record_categories").await, 0);
    assert_eq!(
        count(&t, "SELECT COUNT(*) FROM file_plan_versions").await,
        0
    );

    // The corrected schedule: four categories, version 1, each rule in words.
    let body = import(&ops, "schedule.csv", PLAN)
        .await
        .text()
        .await
        .unwrap();
    assert!(body.contains("4 created, 0 updated, 0 unchanged"), "{body}");
    assert!(body.contains("The plan is now version 1"), "{body}");
    let page = ops.page("/records/plan").await;
    assert!(
        page.contains("7 years after contract expiry, cut off at fiscal-year end, then destroy")
    );
    assert!(page.contains("keep permanently"));
    assert!(page.contains("Limitation Act 1980 s.5"));
    // Importing it again changes nothing and makes no version.
    let body = import(&ops, "schedule.csv", PLAN)
        .await
        .text()
        .await
        .unwrap();
    assert!(body.contains("0 created, 0 updated, 4 unchanged"), "{body}");
    assert!(body.contains("The plan did not change"), "{body}");
    assert_eq!(
        count(&t, "SELECT COUNT(*) FROM file_plan_versions").await,
        1
    );
    // Search.
    let found = ops.page("/records/plan?q=personnel").await;
    assert!(found.contains("HR-200") && !found.contains("LEG-100"));

    // Edit one category in the form: a bad period is refused, then 10 years.
    let id: i64 = sqlx::query_scalar("SELECT id FROM record_categories WHERE code = 'HR-200'")
        .fetch_one(t.app.db.pool())
        .await
        .unwrap();
    let edit = ops.page(&format!("/records/plan/{id}/edit")).await;
    assert!(edit.contains("6 years after employee termination"));
    let form = |period: &'static str| {
        vec![
            ("code", "HR-200"),
            ("title", "Personnel files"),
            ("owner", "HR"),
            ("trigger", "employee_termination"),
            ("period", period),
            ("cutoff", "year"),
            ("disposition", "destroy"),
            ("citation", "Limitation Act 1980 s.2"),
        ]
    };
    let r = ops
        .post(&format!("/records/plan/{id}"), &form("six years"))
        .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("is not a period"));
    let r = ops.post(&format!("/records/plan/{id}"), &form("10y")).await;
    assert_eq!(r.status(), 303);
    assert!(
        ops.page("/records/plan")
            .await
            .contains("10 years after employee termination, cut off at year end, then destroy")
    );
    // Version 2 holds the change; version 1 still has the old period.
    assert_eq!(
        count(&t, "SELECT COUNT(*) FROM file_plan_versions").await,
        2
    );
    let v1 = ops
        .get("/records/plan/versions/1")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        v1.contains("HR-200,Personnel files,,HR,employee_termination,6y,year,destroy,"),
        "{v1}"
    );
    let now = ops
        .get("/records/plan?format=csv")
        .await
        .text()
        .await
        .unwrap();
    assert!(now.contains("HR-200,Personnel files,,HR,employee_termination,10y,year,destroy,Limitation Act 1980 s.2"), "{now}");
    // The export reads back as the same plan (a round trip changes nothing).
    let body = import(&ops, "export.csv", &now).await.text().await.unwrap();
    assert!(body.contains("0 created, 0 updated, 4 unchanged"), "{body}");
    // A new category; a duplicate code is refused.
    ops.page("/records/plan/new").await;
    let r = ops
        .post(
            "/records/plan",
            &[
                ("code", "hr-200"),
                ("title", "Duplicate"),
                ("trigger", "created"),
                ("period", "1y"),
                ("cutoff", "none"),
                ("disposition", "destroy"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("already used by another category")
    );
    // Every change is in the audit trail.
    assert_eq!(
        count(
            &t,
            "SELECT COUNT(*) FROM audit_events WHERE object_type = 'record_category'"
        )
        .await,
        5
    );
    assert_eq!(
        count(
            &t,
            "SELECT COUNT(*) FROM audit_events WHERE action = 'file_plan.version'"
        )
        .await,
        2
    );
    assert!(lexops::platform::audit::verify(&t.app.db).await.unwrap().ok);
}

both!(the_file_plan_is_read_by_staff_and_changed_by_records_managers);
async fn the_file_plan_is_read_by_staff_and_changed_by_records_managers(t: TestApp) {
    let mut ops = t.signed_in(Role::LegalOps).await;
    ops.page("/records/plan").await;
    assert_eq!(import(&ops, "schedule.csv", PLAN).await.status(), 200);
    let mut paralegal = t.signed_in(Role::Paralegal).await;
    let page = paralegal.page("/records/plan").await;
    assert!(page.contains("LEG-100") && !page.contains("New category"));
    assert_eq!(paralegal.get("/records/plan/new").await.status(), 403);
    assert_eq!(import(&paralegal, "x.csv", PLAN).await.status(), 403);
    assert_eq!(
        paralegal
            .post(
                "/records/plan",
                &[("code", "P-1"), ("title", "Mine"), ("period", "1y")]
            )
            .await
            .status(),
        403
    );
    let vendor = t.signed_in(Role::Vendor).await;
    assert_eq!(vendor.get("/records/plan").await.status(), 403);

    // The API: staff read it; records managers import (422 with the problems when wrong).
    let http = reqwest::Client::new();
    let token = t.token(Role::Auditor).await;
    let list: Value = http
        .get(t.url("/api/v1/records/categories"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list.as_array().unwrap().len(), 4);
    assert_eq!(list[0]["code"], "CORP-1");
    let r = http
        .post(t.url("/api/v1/records/categories/import"))
        .bearer_auth(&token)
        .body(PLAN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "auditors read, they do not change");
    let admin = t.token(Role::Admin).await;
    let r = http
        .post(t.url("/api/v1/records/categories/import"))
        .bearer_auth(&admin)
        .body("code,title,trigger,period,disposition\nX-1,Scratch,created,3y,shred\n")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["imported"], false);
    assert_eq!(v["problems"][0]["line"], 2);
    assert_eq!(v["problems"][0]["column"], "disposition");
    let r = http
        .post(t.url("/api/v1/records/categories/import"))
        .bearer_auth(&admin)
        .body("code,title,trigger,period,disposition\nX-1,Scratch,created,3y,destroy\n")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["report"]["created"], 1);
    assert_eq!(v["report"]["not_in_file"], 4);
    assert_eq!(v["report"]["version"], 2);
}

async fn upload(
    b: &Browser,
    files: &[(&str, &[u8])],
    category: &str,
    created_on: &str,
) -> reqwest::Response {
    let mut form = reqwest::multipart::Form::new()
        .text("category", category.to_string())
        .text("created_on", created_on.to_string());
    for (name, bytes) in files {
        form = form.part(
            "files",
            reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(name.to_string()),
        );
    }
    b.post_multipart("/records/upload", form).await
}

both!(records_are_kept_classified_and_scheduled);
async fn records_are_kept_classified_and_scheduled(t: TestApp) {
    t.matter("M-HOLD").await;
    let mut ops = t.signed_in(Role::LegalOps).await;
    assert!(ops.page("/records").await.contains("No records yet"));
    import(&ops, "schedule.csv", PLAN).await;
    ops.page("/records/upload").await;
    // Bad uploads keep nothing.
    let r = upload(&ops, &[("empty.txt", b"")], "LEG-100", "").await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("empty.txt is empty"));
    let r = upload(&ops, &[("a.txt", b"agreement")], "NOPE-1", "").await;
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("There is no category NOPE-1")
    );
    let r = upload(&ops, &[("a.txt", b"agreement")], "LEG-100", "2999-01-01").await;
    assert_eq!(r.status(), 422);
    assert_eq!(count(&t, "SELECT COUNT(*) FROM records").await, 0);
    // Two contracts, created in 2020: they wait for their expiry.
    let r = upload(
        &ops,
        &[
            ("supply-agreement.pdf", b"%PDF-1.4 supply"),
            ("nda.docx", b"PK nda"),
        ],
        "LEG-100",
        "2020-01-15",
    )
    .await;
    assert_eq!(r.status(), 303);
    let list = ops.page("/records").await;
    assert!(list.contains("supply-agreement.pdf") && list.contains("nda.docx"));
    assert_eq!(list.matches("waits for contract expiry").count(), 2);
    let id: i64 =
        sqlx::query_scalar("SELECT id FROM records WHERE filename = 'supply-agreement.pdf'")
            .fetch_one(t.app.db.pool())
            .await
            .unwrap();
    let nda: i64 = sqlx::query_scalar("SELECT id FROM records WHERE filename = 'nda.docx'")
        .fetch_one(t.app.db.pool())
        .await
        .unwrap();
    // The contract expires on 2024-03-15: cut off at the end of that fiscal year (January
    // start: 2024-12-31), kept 7 years, disposable from 2032-01-01.
    ops.page(&format!("/records/{id}")).await;
    let r = ops
        .post(
            &format!("/records/{id}/events"),
            &[("event", "contract expiry"), ("occurred_on", "2024-03-15")],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert!(
        ops.page(&format!("/records/{id}"))
            .await
            .contains("Retention: from 2032-01-01")
    );
    let r = ops
        .post(
            &format!("/records/{id}/events"),
            &[("event", "contract_expiry"), ("occurred_on", "15/03/2024")],
        )
        .await;
    assert_eq!(r.status(), 422);
    // The NDA is reclassified as a personnel record: it waits for a termination.
    ops.page(&format!("/records/{nda}")).await;
    let r = ops
        .post(
            &format!("/records/{nda}/classify"),
            &[("category", "HR-200")],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert!(
        ops.page(&format!("/records/{nda}"))
            .await
            .contains("waits for employee termination")
    );
    let filtered = ops.page("/records?state=awaiting_event").await;
    assert!(filtered.contains("nda.docx") && !filtered.contains("supply-agreement.pdf"));
    let filtered = ops.page("/records?category=LEG-100").await;
    assert!(!filtered.contains("nda.docx") && filtered.contains("supply-agreement.pdf"));

    // Changing the rule shows first which records it moves, then moves them.
    let cat: i64 = sqlx::query_scalar("SELECT id FROM record_categories WHERE code = 'LEG-100'")
        .fetch_one(t.app.db.pool())
        .await
        .unwrap();
    ops.page(&format!("/records/plan/{cat}/edit")).await;
    let form = |period: &'static str, action: &'static str| {
        vec![
            ("code", "LEG-100"),
            ("title", "Contracts"),
            ("description", "Executed agreements and amendments"),
            ("owner", "Legal"),
            ("trigger", "contract_expiry"),
            ("period", period),
            ("cutoff", "fiscal_year"),
            ("disposition", "destroy"),
            ("citation", "Limitation Act 1980 s.5"),
            ("action", action),
        ]
    };
    let body = ops
        .post(&format!("/records/plan/{cat}"), &form("10y", "preview"))
        .await
        .text()
        .await
        .unwrap();
    assert!(body.contains("1 record(s) would move"), "{body}");
    assert!(body.contains("from 2032-01-01 → from 2035-01-01"), "{body}");
    assert!(
        ops.page(&format!("/records/{id}"))
            .await
            .contains("from 2032-01-01"),
        "a preview changes nothing"
    );
    let r = ops
        .post(&format!("/records/plan/{cat}"), &form("10y", "save"))
        .await;
    assert_eq!(r.status(), 303);
    assert!(
        ops.page(&format!("/records/{id}"))
            .await
            .contains("Retention: from 2035-01-01")
    );

    // The document reads back as stored, and the reading is audited; the CSV lists it.
    let bytes = ops
        .get(&format!("/records/{id}/content"))
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(&bytes[..], b"%PDF-1.4 supply");
    assert_eq!(
        count(
            &t,
            "SELECT COUNT(*) FROM audit_events WHERE action = 'record.download'"
        )
        .await,
        1
    );
    let csv = ops.get("/records?format=csv").await.text().await.unwrap();
    assert!(
        csv.contains("supply-agreement.pdf") && csv.contains("2035-01-01"),
        "{csv}"
    );
    assert!(lexops::platform::audit::verify(&t.app.db).await.unwrap().ok);

    // Under a hold, a record's retention can be lengthened but never shortened, by any change.
    ops.page("/holds").await;
    let r = ops
        .post(
            "/holds",
            &[
                ("name", "Supplier dispute"),
                ("matter", "M-HOLD"),
                ("records", &id.to_string()),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    ops.page(&format!("/records/plan/{cat}/edit")).await;
    let r = ops
        .post(&format!("/records/plan/{cat}"), &form("7y", "save"))
        .await;
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("is under legal hold")
            && body.contains("Supplier dispute")
            && body.contains("cannot be shortened"),
        "{body}"
    );
    assert!(
        ops.page(&format!("/records/{id}"))
            .await
            .contains("Retention: from 2035-01-01")
    );
    ops.page(&format!("/records/{id}")).await;
    let r = ops
        .post(
            &format!("/records/{id}/events"),
            &[("event", "contract_expiry"), ("occurred_on", "2020-01-01")],
        )
        .await;
    assert_eq!(r.status(), 422, "an earlier expiry would shorten it");
    let r = ops
        .post(&format!("/records/plan/{cat}"), &form("12y", "save"))
        .await;
    assert_eq!(r.status(), 303);
    assert!(
        ops.page(&format!("/records/{id}"))
            .await
            .contains("Retention: from 2037-01-01")
    );

    // A paralegal reads records but does not add them.
    let mut paralegal = t.signed_in(Role::Paralegal).await;
    assert!(
        paralegal
            .page("/records")
            .await
            .contains("supply-agreement.pdf")
    );
    assert_eq!(paralegal.get("/records/upload").await.status(), 403);
    assert_eq!(
        paralegal
            .post(&format!("/records/{id}/classify"), &[("category", "")])
            .await
            .status(),
        403
    );
}

/// Imports a file plan through the API as `token`.
pub(crate) async fn api_import_plan(t: &TestApp, token: &str, csv: &str) {
    let r = reqwest::Client::new()
        .post(t.url("/api/v1/records/categories/import"))
        .bearer_auth(token)
        .body(csv.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
}

/// Adds a record through the API as `token`; returns its id.
pub(crate) async fn api_add_record(
    t: &TestApp,
    token: &str,
    name: &str,
    category: &str,
    matter: &str,
    bytes: Vec<u8>,
) -> i64 {
    let r = reqwest::Client::new()
        .post(t.url("/api/v1/records"))
        .bearer_auth(token)
        .header("X-Filename", name)
        .header("X-Category", category)
        .header("X-Created-On", "2020-01-15")
        .header("X-Matter", matter)
        .body(bytes)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{name}: {}", r.text().await.unwrap());
    r.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
}

both!(records_through_the_api);
async fn records_through_the_api(t: TestApp) {
    let http = reqwest::Client::new();
    let ops = t.token(Role::LegalOps).await;
    api_import_plan(&t, &ops, PLAN).await;
    let add = |category: &'static str, body: &'static [u8]| {
        http.post(t.url("/api/v1/records"))
            .bearer_auth(&ops)
            .header("X-Filename", "minutes-2019.pdf")
            .header("X-Category", category)
            .header("X-Created-On", "2019-06-30")
            .header("X-Folder", "/board/2019/")
            .body(body)
            .send()
    };
    let r = add("NOPE", b"%PDF minutes").await.unwrap();
    assert_eq!(r.status(), 422);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["fields"][0]["field"], "category");
    let r = add("CORP-1", b"%PDF minutes").await.unwrap();
    assert_eq!(r.status(), 201);
    let rec: Value = r.json().await.unwrap();
    assert_eq!(rec["due_state"], "permanent");
    assert_eq!(rec["folder"], "board/2019");
    assert_eq!(rec["category_code"], "CORP-1");
    let auditor = t.token(Role::Auditor).await;
    let page: Value = http
        .get(t.url("/api/v1/records?q=minutes"))
        .bearer_auth(&auditor)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["total"], 1);
    let one: Value = http
        .get(t.url(&format!("/api/v1/records/{}", rec["id"])))
        .bearer_auth(&auditor)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(one["sha256"], rec["sha256"]);
    let r = http
        .post(t.url("/api/v1/records"))
        .bearer_auth(&auditor)
        .header("X-Filename", "x.txt")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // Disposition through the API: a year-long category, a record made in 2020.
    http.post(t.url("/api/v1/records/categories/import"))
        .bearer_auth(&ops)
        .body("code,title,trigger,period,disposition\nTMP-1,Scratch,created,1y,destroy\n")
        .send()
        .await
        .unwrap();
    let r = http
        .post(t.url("/api/v1/records"))
        .bearer_auth(&ops)
        .header("X-Filename", "scratch.txt")
        .header("X-Category", "TMP-1")
        .header("X-Created-On", "2020-01-01")
        .body("scratch")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let sweep = |dry: bool| {
        http.post(t.url(&format!("/api/v1/disposition/sweep?dry_run={dry}")))
            .bearer_auth(&ops)
            .send()
    };
    let v: Value = sweep(true).await.unwrap().json().await.unwrap();
    assert_eq!(
        (v["dry_run"].clone(), v["listed_count"].clone()),
        (Value::from(true), Value::from(1))
    );
    let v: Value = sweep(false).await.unwrap().json().await.unwrap();
    assert_eq!(v["listed_count"], 1);
    let item: i64 = sqlx::query_scalar("SELECT id FROM disposition_items WHERE state = 'pending'")
        .fetch_one(t.app.db.pool())
        .await
        .unwrap();
    let decide = |body: Value| {
        http.post(t.url("/api/v1/disposition/decisions"))
            .bearer_auth(&ops)
            .json(&body)
            .send()
    };
    let r = decide(serde_json::json!({"items": [item], "decision": "defer", "until": "yesterday"}))
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let r = decide(serde_json::json!({"items": [item], "decision": "approve"}))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert!(v["certificate_id"].as_i64().is_some());
    // The decision is kept with who took it and the certificate it is on.
    let (by, cert): (i64, Option<i64>) = sqlx::query_as(
        "SELECT d.decided_by, d.certificate_id FROM disposition_decisions d WHERE d.item_id = $1",
    )
    .bind(item)
    .fetch_one(t.app.db.pool())
    .await
    .unwrap();
    assert!(by > 0);
    assert_eq!(cert, v["certificate_id"].as_i64());
    let r = decide(serde_json::json!({"items": [item], "decision": "approve"}))
        .await
        .unwrap();
    assert_eq!(r.status(), 409, "an item is decided once");
    let r = http
        .post(t.url("/api/v1/disposition/sweep"))
        .bearer_auth(&auditor)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}

async fn record_id(t: &TestApp, filename: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM records WHERE filename = $1")
        .bind(filename)
        .fetch_one(t.app.db.pool())
        .await
        .unwrap()
}

/// The pending review-list item of a record.
pub(crate) async fn item_id(t: &TestApp, record: i64) -> i64 {
    sqlx::query_scalar(
        "SELECT id FROM disposition_items WHERE record_id = $1 AND state = 'pending'",
    )
    .bind(record)
    .fetch_one(t.app.db.pool())
    .await
    .unwrap()
}

both!(disposition_destroys_what_is_due_and_never_what_is_held);
async fn disposition_destroys_what_is_due_and_never_what_is_held(t: TestApp) {
    t.matter("M-HOLD").await;
    let mut ops = t.signed_in(Role::LegalOps).await;
    ops.page("/records").await;
    let plan = format!("{PLAN}TMP-1,Working papers,,Legal,created,1y,none,destroy,\n");
    import(&ops, "schedule.csv", &plan).await;
    ops.page("/records/upload").await;
    for (name, bytes, created) in [
        ("old-invoice.pdf", &b"%PDF shared bytes"[..], "2020-01-01"),
        ("old-memo.txt", &b"memo 2019"[..], "2020-01-01"),
        ("held.txt", &b"custodian notes"[..], "2020-01-01"),
        ("copy-of-invoice.pdf", &b"%PDF shared bytes"[..], ""),
    ] {
        let r = upload(&ops, &[(name, bytes)], "TMP-1", created).await;
        assert_eq!(r.status(), 303, "{name}");
    }
    let (invoice, memo, held, copy) = (
        record_id(&t, "old-invoice.pdf").await,
        record_id(&t, "old-memo.txt").await,
        record_id(&t, "held.txt").await,
        record_id(&t, "copy-of-invoice.pdf").await,
    );
    // A hold on one record.
    ops.page("/holds").await;
    let r = ops
        .post(
            "/holds",
            &[
                ("name", "Acme v. Widget"),
                ("matter", "M-HOLD"),
                ("records", &held.to_string()),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let hold1: i64 = sqlx::query_scalar("SELECT id FROM legal_holds WHERE name = 'Acme v. Widget'")
        .fetch_one(t.app.db.pool())
        .await
        .unwrap();

    // A dry run says what a sweep would do and changes nothing.
    ops.page("/records/disposition").await;
    let body = ops
        .post("/records/disposition/sweep", &[("dry_run", "1")])
        .await
        .text()
        .await
        .unwrap();
    assert!(body.contains("Dry run: nothing was changed"), "{body}");
    assert!(
        body.contains("2 record(s) would be put on the list")
            && body.contains("1 past their date but under a hold"),
        "{body}"
    );
    assert!(body.contains("held.txt</a> — Acme v. Widget"), "{body}");
    assert_eq!(count(&t, "SELECT COUNT(*) FROM disposition_items").await, 0);
    // The sweep lists the two records due and not held.
    ops.post("/records/disposition/sweep", &[]).await;
    assert_eq!(
        count(
            &t,
            "SELECT COUNT(*) FROM disposition_items WHERE state = 'pending'"
        )
        .await,
        2
    );
    let (i_invoice, i_memo) = (item_id(&t, invoice).await, item_id(&t, memo).await);

    // A hold placed after the sweep still wins: the approval changes nothing and says why.
    ops.page("/holds").await;
    ops.post(
        "/holds",
        &[
            ("name", "Regulator inquiry"),
            ("matter", "M-HOLD"),
            ("categories", "TMP-1"),
        ],
    )
    .await;
    let hold2: i64 =
        sqlx::query_scalar("SELECT id FROM legal_holds WHERE name = 'Regulator inquiry'")
            .fetch_one(t.app.db.pool())
            .await
            .unwrap();
    ops.page("/records/disposition").await;
    let items = format!(
        "_csrf={}&items={i_invoice}&items={i_memo}&decision=approve",
        ops.csrf.clone().unwrap()
    );
    let (http, base) = (ops.http.clone(), ops.base.clone());
    let decide = |body: String| {
        http.post(format!("{base}/records/disposition/decide"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    let r = decide(items.clone()).await.unwrap();
    assert_eq!(r.status(), 422);
    let text = r.text().await.unwrap();
    assert!(
        text.contains("is under legal hold")
            && text.contains("Regulator inquiry")
            && text.contains("nothing was disposed of"),
        "{text}"
    );
    assert_eq!(
        count(&t, "SELECT COUNT(*) FROM records WHERE status = 'active'").await,
        4
    );
    let page = ops.page(&format!("/records/{memo}")).await;
    assert!(page.contains("Under legal hold") && page.contains("Regulator inquiry"));
    ops.page("/holds").await;
    assert_eq!(
        ops.post(&format!("/holds/{hold2}/release"), &[])
            .await
            .status(),
        303
    );

    // Approved: the memo's bytes are crypto-shredded; the invoice's stay, a live copy holds them.
    ops.page("/records/disposition").await;
    let r = decide(format!(
        "_csrf={}&items={i_invoice}&items={i_memo}&decision=approve",
        ops.csrf.clone().unwrap()
    ))
    .await
    .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(
        count(
            &t,
            "SELECT COUNT(*) FROM records WHERE status = 'destroyed'"
        )
        .await,
        2
    );
    let memo_sha: String = sqlx::query_scalar("SELECT sha256 FROM records WHERE id = $1")
        .bind(memo)
        .fetch_one(t.app.db.pool())
        .await
        .unwrap();
    assert_eq!(
        count(
            &t,
            &format!("SELECT COUNT(*) FROM blobs WHERE sha256 = '{memo_sha}'")
        )
        .await,
        0
    );
    assert!(
        lexops::platform::blobs::get(&t.app, &memo_sha)
            .await
            .is_err()
    );
    assert_eq!(
        ops.get(&format!("/records/{memo}/content")).await.status(),
        404
    );
    let copy_bytes = ops
        .get(&format!("/records/{copy}/content"))
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(&copy_bytes[..], b"%PDF shared bytes");
    // The certificate names what, which rule, when and who.
    let cert: i64 = sqlx::query_scalar("SELECT id FROM disposition_certificates")
        .fetch_one(t.app.db.pool())
        .await
        .unwrap();
    let page = ops.page(&format!("/records/certificates/{cert}")).await;
    assert!(
        page.contains("old-memo.txt")
            && page.contains("destroyed (data key deleted, bytes removed)"),
        "{page}"
    );
    assert!(page.contains("still held by 1 live document"), "{page}");
    assert!(
        page.contains("1 year after creation, then destroy"),
        "{page}"
    );
    let json: Value = ops
        .get(&format!("/records/certificates/{cert}?format=json"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(json["records"].as_array().unwrap().len(), 2);
    // And as PDF, for the file.
    let r = ops
        .get(&format!("/records/certificates/{cert}?format=pdf"))
        .await;
    assert_eq!(r.headers()["content-type"], "application/pdf");
    let pdf = r.bytes().await.unwrap();
    let text = String::from_utf8_lossy(&pdf);
    assert!(text.starts_with("%PDF-"));
    assert!(
        text.contains(&format!("(Certificate of destruction {cert})")),
        "{text}"
    );
    assert!(
        text.contains("old-memo.txt") && text.contains("(TMP-1 Working papers)"),
        "{text}"
    );

    // The held record stays off the list until its hold is released; a deferral brings it
    // back on its day.
    ops.post("/records/disposition/sweep", &[]).await;
    assert_eq!(
        count(
            &t,
            "SELECT COUNT(*) FROM disposition_items WHERE state = 'pending'"
        )
        .await,
        0
    );
    ops.page("/holds").await;
    ops.post(&format!("/holds/{hold1}/release"), &[]).await;
    ops.page("/records/disposition").await;
    ops.post("/records/disposition/sweep", &[]).await;
    let i_held = item_id(&t, held).await;
    let r = decide(format!(
        "_csrf={}&items={i_held}&decision=defer&until=2999-01-01&note=",
        ops.csrf.clone().unwrap()
    ))
    .await
    .unwrap();
    assert_eq!(r.status(), 422, "a deferral needs a reason");
    let tomorrow = t
        .app
        .clock
        .now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date()
        .tomorrow()
        .unwrap();
    let r = decide(format!(
        "_csrf={}&items={i_held}&decision=defer&until={tomorrow}&note=Board+review",
        ops.csrf.clone().unwrap()
    ))
    .await
    .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(
        count(
            &t,
            "SELECT COUNT(*) FROM disposition_items WHERE state = 'deferred'"
        )
        .await,
        1
    );
    t.app.clock.advance(jiff::SignedDuration::from_hours(48));
    lexops::records::disposition::sweep(&t.app, false)
        .await
        .unwrap();
    assert_eq!(
        count(
            &t,
            "SELECT COUNT(*) FROM disposition_items WHERE state = 'pending'"
        )
        .await,
        1
    );
    assert!(lexops::platform::audit::verify(&t.app.db).await.unwrap().ok);

    // Who may: paralegals neither dispose nor hold; attorneys place holds.
    let paralegal = t.signed_in(Role::Paralegal).await;
    assert_eq!(paralegal.get("/records/disposition").await.status(), 403);
    assert_eq!(paralegal.get("/holds").await.status(), 403);
    let attorney = t.signed_in(Role::Attorney).await;
    assert_eq!(attorney.get("/holds").await.status(), 200);
}

/// One random department for the disposition property.
#[derive(Debug, Clone)]
struct World {
    /// (period in days, cutoff) of three categories.
    categories: Vec<(u32, &'static str)>,
    /// (category index or none, days before today it was created, folder).
    records: Vec<(Option<usize>, i64, &'static str)>,
    /// (kind 0 record / 1 category / 2 folder, index, released before the sweep).
    holds: Vec<(u8, usize, bool)>,
    /// A hold placed after the sweep, before the approvals: (kind, index).
    late_hold: Option<(u8, usize)>,
}

fn world() -> impl proptest::strategy::Strategy<Value = World> {
    use proptest::prelude::*;
    let cutoff = prop_oneof![
        Just("none"),
        Just("month"),
        Just("year"),
        Just("fiscal_year")
    ];
    (
        proptest::collection::vec((0u32..900, cutoff), 3),
        proptest::collection::vec(
            (
                proptest::option::of(0usize..3),
                0i64..1500,
                prop_oneof![Just("a"), Just("a/b"), Just("c"), Just("")],
            ),
            1..10,
        ),
        proptest::collection::vec((0u8..3, 0usize..10, any::<bool>()), 0..4),
        proptest::option::of((0u8..3, 0usize..10)),
    )
        .prop_map(|(categories, records, holds, late_hold)| World {
            categories,
            records,
            holds,
            late_hold,
        })
}

async fn hold_on(
    t: &TestApp,
    who: &lexops::platform::access::CurrentUser,
    w: &World,
    ids: &[i64],
    (kind, index): (u8, usize),
) -> i64 {
    const FOLDERS: [&str; 3] = ["a", "a/b", "c"];
    let mut input = lexops::records::holds::HoldInput {
        name: format!("hold {kind}-{index}"),
        matter: "M-PROP".into(),
        ..Default::default()
    };
    match kind {
        0 => input.records = ids[index % ids.len()].to_string(),
        1 => input.categories = format!("P-{}", index % w.categories.len()),
        _ => input.folders = FOLDERS[index % 3].to_string(),
    }
    lexops::records::holds::create(&t.app, who, &input)
        .await
        .unwrap()
}

async fn held_ids(t: &TestApp) -> std::collections::BTreeSet<i64> {
    let ids: Vec<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT r.id FROM records r WHERE {}",
        lexops::records::holds::HELD
    )))
    .fetch_all(t.app.db.pool())
    .await
    .unwrap();
    ids.into_iter().collect()
}

/// For random schedules, records, holds and releases: the sweep offers exactly the records past
/// their date and under no hold; approving every offered record destroys none that a hold
/// covers at that moment (even a hold placed after the sweep), and all the others.
#[test]
fn no_held_record_is_ever_destroyed() {
    use proptest::test_runner::{Config, TestRunner};
    let mut runner = TestRunner::new(Config {
        cases: 24,
        ..Config::default()
    });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runner
        .run(&world(), |w| {
            rt.block_on(async {
                let t = TestApp::spawn(crate::harness::Backend::Sqlite).await.unwrap();
                let uid = t.user("ops@example.com", Role::LegalOps).await;
                t.matter("M-PROP").await;
                let who = lexops::platform::access::CurrentUser {
                    id: uid,
                    email: "ops@example.com".into(),
                    name: "Ops".into(),
                    role: Role::LegalOps,
                    via_token: false,
                    vendor_id: None,
                };
                let mut plan = String::from("code,title,trigger,period,cutoff,disposition\n");
                for (k, (days, cutoff)) in w.categories.iter().enumerate() {
                    plan.push_str(&format!("P-{k},Category {k},created,{days}d,{cutoff},destroy\n"));
                }
                lexops::records::plan::import_csv(&t.app, &who, "plan.csv", plan.as_bytes())
                    .await
                    .unwrap()
                    .unwrap();
                let today = t.app.clock.now().to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
                let mut ids = vec![];
                for (k, (cat, ago, folder)) in w.records.iter().enumerate() {
                    let created = today.checked_sub(jiff::Span::new().days(*ago)).unwrap();
                    let id = lexops::records::store::add(
                        &t.app,
                        &who,
                        lexops::records::store::NewRecord {
                            title: format!("r{k}"),
                            filename: format!("r{k}.txt"),
                            content_type: "text/plain".into(),
                            bytes: format!("record {k}").into_bytes(),
                            folder: folder.to_string(),
                            category_code: cat.map(|c| format!("P-{c}")).unwrap_or_default(),
                            created_on: created.to_string(),
                            ..Default::default()
                        },
                    )
                    .await
                    .unwrap();
                    ids.push(id);
                }
                for (kind, index, released) in &w.holds {
                    let h = hold_on(&t, &who, &w, &ids, (*kind, *index)).await;
                    if *released {
                        lexops::records::holds::release(&t.app, &who, h).await.unwrap();
                    }
                }
                lexops::records::disposition::sweep(&t.app, false).await.unwrap();
                let held = held_ids(&t).await;
                let due: Vec<i64> = sqlx::query_scalar(
                    "SELECT id FROM records WHERE status = 'active' AND due_state = 'scheduled' AND due_on <= $1 ORDER BY id",
                )
                .bind(today.to_string())
                .fetch_all(t.app.db.pool())
                .await
                .unwrap();
                let expected: Vec<i64> = due.into_iter().filter(|id| !held.contains(id)).collect();
                let offered: Vec<(i64, i64)> = sqlx::query_as(
                    "SELECT record_id, id FROM disposition_items WHERE state = 'pending' ORDER BY record_id",
                )
                .fetch_all(t.app.db.pool())
                .await
                .unwrap();
                assert_eq!(offered.iter().map(|o| o.0).collect::<Vec<_>>(), expected, "{w:?}");
                if let Some(late) = w.late_hold {
                    hold_on(&t, &who, &w, &ids, late).await;
                }
                let held = held_ids(&t).await;
                for (record, item) in &offered {
                    let r = lexops::records::disposition::approve(&t.app, &who, &[*item]).await;
                    assert_eq!(r.is_ok(), !held.contains(record), "{w:?} {r:?}");
                }
                let destroyed: Vec<i64> =
                    sqlx::query_scalar("SELECT id FROM records WHERE status = 'destroyed'")
                        .fetch_all(t.app.db.pool())
                        .await
                        .unwrap();
                assert!(destroyed.iter().all(|id| !held.contains(id)), "{w:?}");
                assert_eq!(
                    destroyed.len(),
                    offered.iter().filter(|(r, _)| !held.contains(r)).count()
                );
            });
            Ok(())
        })
        .unwrap();
}

const DIRECTORY: &str = "name,email,department,manager_email,employee_status
Jane Doe,jane.doe@example.com,Sales,mark.lee@example.com,active
Mark Lee,Mark.Lee@example.com,Sales,,active
Priya Raman,priya@example.com,Finance,mark.lee@example.com,on leave
Jane Doe,JANE.DOE@example.com,Sales EMEA,,
";

async fn import_directory(b: &Browser, csv: &str) -> reqwest::Response {
    b.upload_file("/holds/custodians/import", "directory.csv", csv.as_bytes())
        .await
}

both!(custodians_come_from_the_directory);
async fn custodians_come_from_the_directory(t: TestApp) {
    let mut ops = t.signed_in(Role::LegalOps).await;
    assert!(
        ops.page("/holds/custodians")
            .await
            .contains("No custodians yet")
    );
    // Mistakes: named by line and column, nothing imported.
    let bad = DIRECTORY
        .replace("priya@example.com", "priya at example.com")
        .replace("on leave", "sabbatical");
    let r = import_directory(&ops, &bad).await;
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("directory.csv:4</span> · column <strong>email</strong>"),
        "{body}"
    );
    assert!(
        body.contains("directory.csv:4</span> · column <strong>employee_status</strong>"),
        "{body}"
    );
    assert_eq!(count(&t, "SELECT COUNT(*) FROM custodians").await, 0);
    // The directory: Jane appears twice and is one person (the later row's department wins).
    let body = import_directory(&ops, DIRECTORY)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        body.contains("3 created, 0 updated, 0 unchanged, 1 repeated address(es) merged"),
        "{body}"
    );
    assert_eq!(count(&t, "SELECT COUNT(*) FROM custodians").await, 3);
    let page = ops.page("/holds/custodians").await;
    assert!(
        page.contains("jane.doe@example.com")
            && page.contains("Sales EMEA")
            && page.contains("on_leave")
    );
    // Re-importing changes nothing; a leaver is updated, not duplicated.
    let body = import_directory(&ops, DIRECTORY)
        .await
        .text()
        .await
        .unwrap();
    assert!(body.contains("0 created, 0 updated, 3 unchanged"), "{body}");
    let left = DIRECTORY.replace(
        "Finance,mark.lee@example.com,on leave",
        "Finance,mark.lee@example.com,departed",
    );
    let body = import_directory(&ops, &left).await.text().await.unwrap();
    assert!(body.contains("0 created, 1 updated, 2 unchanged"), "{body}");
    let csv = ops
        .get("/holds/custodians?format=csv")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        csv.contains("Priya Raman,priya@example.com,Finance,mark.lee@example.com,departed"),
        "{csv}"
    );
    assert_eq!(
        count(
            &t,
            "SELECT COUNT(*) FROM audit_events WHERE object_type = 'custodian'"
        )
        .await,
        4
    );
    // The API; paralegals may not see the directory.
    let http = reqwest::Client::new();
    let token = t.token(Role::Attorney).await;
    let v: Value = http
        .get(t.url("/api/v1/custodians"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v.as_array().unwrap().len(), 3);
    let r = http
        .post(t.url("/api/v1/custodians/import"))
        .bearer_auth(&token)
        .body("name,email\nNew Person,new@example.com\n")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let paralegal = t.signed_in(Role::Paralegal).await;
    assert_eq!(paralegal.get("/holds/custodians").await.status(), 403);
}

both!(a_record_keeps_its_versions_until_it_is_destroyed_with_them);
async fn a_record_keeps_its_versions_until_it_is_destroyed_with_them(t: TestApp) {
    let mut ops = t.signed_in(Role::LegalOps).await;
    ops.page("/records").await;
    let plan = format!("{PLAN}TMP-1,Working papers,,Legal,created,1y,none,destroy,\n");
    import(&ops, "schedule.csv", &plan).await;
    ops.page("/records/upload").await;
    assert_eq!(
        upload(
            &ops,
            &[("memo.txt", b"memo, first draft")],
            "TMP-1",
            "2020-01-01"
        )
        .await
        .status(),
        303
    );
    let id = record_id(&t, "memo.txt").await;
    let due_before: String = sqlx::query_scalar("SELECT due_on FROM records WHERE id = $1")
        .bind(id)
        .fetch_one(t.app.db.pool())
        .await
        .unwrap();

    // A new version through the page: the first stays in the history.
    ops.page(&format!("/records/{id}")).await;
    let version = |name: &str, bytes: &[u8], note: &str| {
        reqwest::multipart::Form::new()
            .part(
                "file",
                reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(name.to_string()),
            )
            .text("note", note.to_string())
    };
    let r = ops
        .post_multipart(
            &format!("/records/{id}/versions"),
            version("memo-v2.txt", b"memo, corrected", "typo in the amount"),
        )
        .await;
    assert_eq!(r.status(), 303);
    let r = ops
        .post_multipart(
            &format!("/records/{id}/versions"),
            version("empty.txt", b"", ""),
        )
        .await;
    assert_eq!(r.status(), 422, "an empty file is refused");
    let page = ops.page(&format!("/records/{id}")).await;
    assert!(
        page.contains("memo-v2.txt")
            && page.contains("typo in the amount")
            && page.contains(&format!("/records/{id}/versions/1/content")),
        "{page}"
    );
    assert_eq!(
        ops.get(&format!("/records/{id}/content"))
            .await
            .text()
            .await
            .unwrap(),
        "memo, corrected"
    );
    assert_eq!(
        ops.get(&format!("/records/{id}/versions/1/content"))
            .await
            .text()
            .await
            .unwrap(),
        "memo, first draft"
    );
    assert_eq!(
        ops.get(&format!("/records/{id}/versions/7/content"))
            .await
            .status(),
        404
    );
    // Retention belongs to the record, not to a version.
    let due_after: String = sqlx::query_scalar("SELECT due_on FROM records WHERE id = $1")
        .bind(id)
        .fetch_one(t.app.db.pool())
        .await
        .unwrap();
    assert_eq!(due_before, due_after);

    // A third through the API; a reader cannot add one.
    let token = t.token(Role::LegalOps).await;
    let http = reqwest::Client::new();
    let r = http
        .post(t.url(&format!("/api/v1/records/{id}/versions")))
        .bearer_auth(&token)
        .header("x-filename", "memo-v3.txt")
        .header("x-note", "signed copy")
        .body("memo, signed")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        (v["version"].as_i64(), v["filename"].as_str()),
        (Some(3), Some("memo-v3.txt"))
    );
    let r = http
        .post(t.url(&format!("/api/v1/records/{id}/versions")))
        .bearer_auth(t.token(Role::Requester).await)
        .header("x-filename", "x.txt")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let shas: Vec<String> = sqlx::query_scalar(
        "SELECT sha256 FROM record_versions WHERE record_id = $1 ORDER BY version",
    )
    .bind(id)
    .fetch_all(t.app.db.pool())
    .await
    .unwrap();
    assert_eq!(shas.len(), 2);
    assert!(
        count(
            &t,
            "SELECT COUNT(*) FROM audit_events WHERE action = 'record.version'"
        )
        .await
            == 2
    );

    // Previewed in lexops: text escaped in the page, images inline in a sandbox, others not.
    let page = ops.page(&format!("/records/{id}/preview")).await;
    assert!(
        page.contains("memo, signed") && page.contains("version 3"),
        "{page}"
    );
    ops.page("/records/upload").await;
    upload(
        &ops,
        &[
            ("note.txt", b"<script>alert(1)</script>"),
            ("scan.png", b"\x89PNG\r\n\x1a\n fake"),
            ("deed.pdf", b"%PDF-1.4"),
        ],
        "",
        "",
    )
    .await;
    let page = ops
        .page(&format!(
            "/records/{}/preview",
            record_id(&t, "note.txt").await
        ))
        .await;
    assert!(
        (page.contains("&#60;script&#62;alert(1)") || page.contains("&lt;script&gt;alert(1)"))
            && !page.contains("<script>alert"),
        "escaped: {}",
        &page[page.find("notice-text").unwrap_or(0)..][..120]
    );
    let png = record_id(&t, "scan.png").await;
    assert!(
        ops.page(&format!("/records/{png}/preview"))
            .await
            .contains(&format!("/records/{png}/inline"))
    );
    let r = ops.get(&format!("/records/{png}/inline")).await;
    assert_eq!(r.headers()["content-type"], "image/png");
    assert!(
        r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .starts_with("sandbox")
    );
    // A PDF is previewed as its text once read (tests/app/search.rs); this one is not a PDF
    // at all, which the page says after the reader tried.
    let pdf = record_id(&t, "deed.pdf").await;
    assert!(
        ops.page(&format!("/records/{pdf}/preview"))
            .await
            .contains("is being read")
    );
    lexops::platform::jobs::drain(&t.app).await.unwrap();
    assert!(
        ops.page(&format!("/records/{pdf}/preview"))
            .await
            .contains("could not be read")
    );
    assert_eq!(
        ops.get(&format!("/records/{pdf}/inline")).await.status(),
        400
    );

    // Destroyed: every version's bytes go, and the certificate says so.
    let swept: Value = http
        .post(t.url("/api/v1/disposition/sweep"))
        .bearer_auth(&token)
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(swept["listed_count"], 1, "{swept}");
    let r = http
        .post(t.url("/api/v1/disposition/decisions"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"items": [item_id(&t, id).await], "decision": "approve"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let current: String = sqlx::query_scalar("SELECT sha256 FROM records WHERE id = $1")
        .bind(id)
        .fetch_one(t.app.db.pool())
        .await
        .unwrap();
    for sha in shas.iter().chain([&current]) {
        assert_eq!(
            count(
                &t,
                &format!("SELECT COUNT(*) FROM blobs WHERE sha256 = '{sha}'")
            )
            .await,
            0,
            "{sha} shredded"
        );
    }
    let cert: i64 = count(&t, "SELECT id FROM disposition_certificates").await;
    let json: Value = ops
        .get(&format!("/records/certificates/{cert}?format=json"))
        .await
        .json()
        .await
        .unwrap();
    let line = &json["records"][0];
    assert!(
        line["content"]
            .as_str()
            .unwrap()
            .contains("with its 2 earlier version(s)"),
        "{line}"
    );
    assert_eq!(line["earlier_versions_sha256"].as_array().unwrap().len(), 2);
    assert_eq!(
        ops.get(&format!("/records/{id}/versions/1/content"))
            .await
            .status(),
        404
    );
}

both!(records_are_classified_in_bulk);
async fn records_are_classified_in_bulk(t: TestApp) {
    t.matter("M-HOLD").await;
    let http = reqwest::Client::new();
    let mut ops = t.signed_in(Role::LegalOps).await;
    ops.page("/records").await;
    import(&ops, "schedule.csv", PLAN).await;
    let token = t.token(Role::LegalOps).await;
    let mut ids = vec![];
    for name in ["a.txt", "b.txt", "c.txt"] {
        let bytes = format!("contents of {name}").into_bytes();
        ids.push(api_add_record(&t, &token, name, "", "", bytes).await);
    }
    let state = |id: i64| {
        let pool = t.app.db.pool().clone();
        async move {
            sqlx::query_scalar::<_, String>("SELECT due_state FROM records WHERE id = $1")
                .bind(id)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    // From the list: the chosen records, one category, back to the same list.
    let page = ops.page("/records").await;
    assert!(page.contains("Classify the chosen records into"));
    let (a, b) = (ids[0].to_string(), ids[1].to_string());
    let r = ops
        .post(
            "/records/classify",
            &[
                ("items", &a),
                ("items", &b),
                ("category", "CORP-1"),
                ("back", "/records?q=txt"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(crate::harness::location(&r), "/records?q=txt");
    assert_eq!(state(ids[0]).await, "permanent");
    assert_eq!(state(ids[1]).await, "permanent");
    assert_eq!(state(ids[2]).await, "unclassified");
    assert_eq!(
        count(
            &t,
            "SELECT COUNT(*) FROM audit_events WHERE action = 'record.classify'"
        )
        .await,
        2
    );
    // Never sent anywhere else; nothing chosen is a clear message.
    let r = ops
        .post(
            "/records/classify",
            &[("category", "CORP-1"), ("back", "https://evil.example/")],
        )
        .await;
    assert_eq!(crate::harness::location(&r), "/records");
    assert!(
        ops.page("/records")
            .await
            .contains("Choose one or more records.")
    );

    // Through the API, all or none: an unknown record changes nothing.
    let classify = |records: Vec<i64>, category: &'static str, token: String| {
        let http = http.clone();
        let url = t.url("/api/v1/records/classify");
        async move {
            http.post(url)
                .bearer_auth(token)
                .json(&serde_json::json!({"records": records, "category": category}))
                .send()
                .await
                .unwrap()
        }
    };
    let r = classify(vec![ids[2], 999_999], "CORP-1", token.clone()).await;
    assert_eq!(r.status(), 404);
    assert_eq!(state(ids[2]).await, "unclassified");
    // A held record's retention is not shortened in bulk either: the batch is refused.
    ops.page("/holds").await;
    let r = ops
        .post(
            "/holds",
            &[("name", "Keep A"), ("matter", "M-HOLD"), ("records", &a)],
        )
        .await;
    assert_eq!(r.status(), 303);
    let r = classify(vec![ids[2], ids[0]], "LEG-300", token.clone()).await;
    assert_eq!(r.status(), 409);
    let v: Value = r.json().await.unwrap();
    assert!(
        v["error"]["message"].as_str().unwrap().contains("Keep A"),
        "{v}"
    );
    assert_eq!(state(ids[2]).await, "unclassified");
    let r = classify(vec![ids[2]], "LEG-300", token.clone()).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["count"], 1);
    assert_eq!(state(ids[2]).await, "awaiting_event");
    let auditor = t.token(Role::Auditor).await;
    assert_eq!(classify(vec![ids[1]], "", auditor).await.status(), 403);
}
