//! Matters: opening, listing, searching, editing, CSV import and export, the API, and the
//! ethical wall that hides a confidential matter from everyone off the wall.

use lexops::platform::access::Role;
use serde_json::{Value, json};

use crate::both;
use crate::harness::{Browser, PASSWORD, TestApp, location};

async fn import(b: &Browser, csv: &str, with_token: bool) -> reqwest::Response {
    if with_token {
        return b
            .upload_file("/matters/import", "matters.csv", csv.as_bytes())
            .await;
    }
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name("matters.csv"),
    );
    b.http
        .post(format!("{}/matters/import", b.base))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

both!(legal_ops_opens_finds_and_edits_matters);
async fn legal_ops_opens_finds_and_edits_matters(t: TestApp) {
    t.user("attorney@example.com", Role::Attorney).await;
    let mut b = t.signed_in(Role::LegalOps).await;
    let empty = b.page("/matters").await;
    assert!(empty.contains("No matters yet"));
    b.page("/matters/new").await;
    let r = b
        .post(
            "/matters",
            &[
                ("number", "bad number!"),
                ("name", ""),
                ("type", "litigation"),
                ("status", "open"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    assert!(body.contains("Use only letters, digits") && body.contains("Enter a name"));
    let r = b
        .post(
            "/matters",
            &[
                ("number", "LIT-2026-001"),
                ("name", "Acme v. Widget Co."),
                ("type", "litigation"),
                ("status", "open"),
                ("practice_area", "Commercial litigation"),
                ("business_owner", "Sales EMEA"),
                ("responsible_attorney_email", "attorney@example.com"),
                ("opened_on", "2026-02-03"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let detail_url = location(&r);
    let detail = b.page(&detail_url).await;
    assert!(
        detail.contains("Acme v. Widget Co.")
            && detail.contains("Test Attorney")
            && detail.contains("2026-02-03")
    );
    b.page("/matters/new").await;
    b.post(
        "/matters",
        &[
            ("number", "ADV-7"),
            ("name", "Supplier terms review"),
            ("type", "advisory"),
            ("status", "intake"),
        ],
    )
    .await;
    let dup = b
        .post(
            "/matters",
            &[("number", "ADV-7"), ("name", "Again"), ("type", "advisory")],
        )
        .await;
    assert_eq!(dup.status(), 422);
    assert!(dup.text().await.unwrap().contains("already exists"));
    // Search, filter and sort.
    let list = b.page("/matters?q=widget").await;
    assert!(list.contains("LIT-2026-001") && !list.contains("ADV-7"));
    let list = b.page("/matters?status=intake").await;
    assert!(list.contains("ADV-7") && !list.contains("LIT-2026-001"));
    let list = b.page("/matters?sort=number&dir=desc").await;
    assert!(list.find("LIT-2026-001").unwrap() < list.find("ADV-7").unwrap());
    // Close it: the closing date defaults to today and the change is audited.
    let id = detail_url.rsplit('/').next().unwrap();
    b.page(&format!("/matters/{id}/edit")).await;
    let r = b
        .post(
            &format!("/matters/{id}"),
            &[
                ("number", "LIT-2026-001"),
                ("name", "Acme v. Widget Co."),
                ("type", "litigation"),
                ("status", "closed"),
                ("practice_area", "Commercial litigation"),
                ("business_owner", "Sales EMEA"),
                ("opened_on", "2026-02-03"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let detail = b.page(&detail_url).await;
    assert!(detail.contains("Closed"));
    let actions: Vec<String> = sqlx::query_scalar("SELECT action FROM audit_events WHERE object_type = 'matter' AND object_id = $1 ORDER BY seq").bind(id).fetch_all(t.app.db.pool()).await.unwrap();
    assert_eq!(actions, ["matter.create", "matter.update"]);
    // Export has the import columns.
    let csv = b.get("/matters?format=csv").await.text().await.unwrap();
    assert!(csv.starts_with(
        "number,name,type,status,practice_area,business_owner,responsible_attorney_email"
    ));
    assert!(csv.contains("LIT-2026-001,Acme v. Widget Co.,litigation,closed,Commercial litigation,Sales EMEA,,2026-02-03,"));
}

both!(csv_import_is_all_or_nothing_and_idempotent);
async fn csv_import_is_all_or_nothing_and_idempotent(t: TestApp) {
    let mut b = t.signed_in(Role::LegalOps).await;
    b.page("/matters/import").await;
    let bad = "number,name,type,status,opened_on\nM-1,First,litigation,open,2026-01-05\nM-2,Second,employment,open,2026-02-30\nM-3,Third,nonsense,open,\n";
    assert_eq!(
        import(&b, bad, false).await.status(),
        403,
        "an upload without the CSRF token is refused"
    );
    let r = import(&b, bad, true).await;
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("matters.csv:3")
            && body.contains("opened_on")
            && body.contains("2026-02-30 is not a date"),
        "{body}"
    );
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM matters")
        .fetch_one(t.app.db.pool())
        .await
        .unwrap();
    assert_eq!(n, 0, "nothing of a rejected file is imported");
    let bad_type = "number,name,type\nM-1,First,litigation\nM-3,Third,nonsense\n";
    let body = import(&b, bad_type, true).await.text().await.unwrap();
    assert!(
        body.contains("matters.csv:3") && body.contains("There is no matter type nonsense"),
        "{body}"
    );
    assert_eq!(
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM matters")
            .fetch_one(t.app.db.pool())
            .await
            .unwrap(),
        0
    );
    let good = "number,name,type,status,practice_area,confidential\nM-1,First,litigation,open,Disputes,no\nM-2,Second,Employment,on hold,HR,no\n";
    let body = import(&b, good, true).await.text().await.unwrap();
    assert!(body.contains("2 created, 0 updated, 0 unchanged"), "{body}");
    let body = import(&b, good, true).await.text().await.unwrap();
    assert!(body.contains("0 created, 0 updated, 2 unchanged"), "{body}");
    let changed = good.replace("Second,Employment,on hold", "Second,Employment,closed");
    let body = import(&b, &changed, true).await.text().await.unwrap();
    assert!(body.contains("0 created, 1 updated, 1 unchanged"), "{body}");
    let events: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE object_type = 'matter'")
            .fetch_one(t.app.db.pool())
            .await
            .unwrap();
    assert_eq!(events, 3);
}

both!(a_walled_matter_is_invisible_off_the_wall);
async fn a_walled_matter_is_invisible_off_the_wall(t: TestApp) {
    t.user("insider@example.com", Role::Attorney).await;
    t.user("colleague@example.com", Role::Paralegal).await;
    let mut insider = t.client();
    insider.sign_in("insider@example.com", PASSWORD).await;
    insider.page("/matters/new").await;
    let r = insider
        .post(
            "/matters",
            &[
                ("number", "INV-SECRET"),
                ("name", "Internal investigation Falcon"),
                ("type", "regulatory"),
                ("confidential", "1"),
            ],
        )
        .await;
    let url = location(&r);
    let id = url.rsplit('/').next().unwrap().to_string();
    insider.page("/matters/new").await;
    insider
        .post(
            "/matters",
            &[
                ("number", "PUB-1"),
                ("name", "Public matter"),
                ("type", "advisory"),
            ],
        )
        .await;
    // The admin, off the wall, sees nothing of it: list, search, detail, export, API.
    let mut admin = t.signed_in(Role::Admin).await;
    let list = admin.page("/matters").await;
    assert!(list.contains("PUB-1") && !list.contains("INV-SECRET") && !list.contains("Falcon"));
    assert!(!admin.page("/matters?q=falcon").await.contains("Falcon"));
    assert_eq!(admin.get(&url).await.status(), 404);
    assert_eq!(admin.get(&format!("{url}/edit")).await.status(), 404);
    assert!(
        !admin
            .get("/matters?format=csv")
            .await
            .text()
            .await
            .unwrap()
            .contains("Falcon")
    );
    let token = t.token(Role::Admin).await;
    let http = reqwest::Client::new();
    let page: Value = http
        .get(t.url("/api/v1/matters"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["total"], 1);
    assert_eq!(
        http.get(t.url(&format!("/api/v1/matters/{id}")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    // Editing it from outside is impossible too.
    admin.page("/matters").await;
    let r = admin
        .post(
            &format!("/matters/{id}"),
            &[
                ("number", "INV-SECRET"),
                ("name", "Renamed"),
                ("type", "regulatory"),
            ],
        )
        .await;
    assert_eq!(r.status(), 404);
    // The insider lets a colleague in; the colleague sees it; then is removed again.
    let detail = insider.page(&url).await;
    assert!(detail.contains("Ethical wall") && detail.contains("insider@example.com"));
    let r = insider
        .post(
            &format!("/matters/{id}/wall"),
            &[("email", "colleague@example.com"), ("action", "add")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let mut colleague = t.client();
    colleague.sign_in("colleague@example.com", PASSWORD).await;
    assert!(colleague.page("/matters").await.contains("INV-SECRET"));
    insider.page(&url).await;
    insider
        .post(
            &format!("/matters/{id}/wall"),
            &[("email", "colleague@example.com"), ("action", "remove")],
        )
        .await;
    assert!(!colleague.page("/matters").await.contains("INV-SECRET"));
    assert_eq!(colleague.get(&url).await.status(), 404);
    // The last member cannot leave.
    insider.page(&url).await;
    let r = insider
        .post(
            &format!("/matters/{id}/wall"),
            &[("email", "insider@example.com"), ("action", "remove")],
        )
        .await;
    assert_eq!(r.status(), 422);
}

both!(matters_through_the_api);
async fn matters_through_the_api(t: TestApp) {
    let http = reqwest::Client::new();
    let ops = t.token(Role::LegalOps).await;
    let vendor = t.token(Role::Vendor).await;
    let body = json!({"number": "REG-1", "name": "Data protection audit", "type": "regulatory", "practice_area": "Privacy"});
    assert_eq!(
        http.post(t.url("/api/v1/matters"))
            .bearer_auth(&vendor)
            .json(&body)
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    let r = http
        .post(t.url("/api/v1/matters"))
        .bearer_auth(&ops)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let m: Value = r.json().await.unwrap();
    assert_eq!(m["status"], "open");
    assert_eq!(m["type_name"], "Regulatory");
    let id = m["id"].as_i64().unwrap();
    let r = http
        .put(t.url(&format!("/api/v1/matters/{id}")))
        .bearer_auth(&ops)
        .json(&json!({"number": "REG-1", "name": "x", "type": "unknown"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["error"]["fields"][0]["field"], "type");
    let page: Value = http
        .get(t.url("/api/v1/matters?practice_area=Privacy"))
        .bearer_auth(&ops)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["total"], 1);
    assert_eq!(
        http.get(t.url("/api/v1/matters"))
            .bearer_auth(&vendor)
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
}
