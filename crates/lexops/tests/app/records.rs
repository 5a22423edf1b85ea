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
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name(name.to_string()),
    );
    b.http
        .post(format!(
            "{}/records/plan/import?_csrf={}",
            b.base,
            b.csrf.clone().unwrap_or_default()
        ))
        .multipart(form)
        .send()
        .await
        .unwrap()
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
