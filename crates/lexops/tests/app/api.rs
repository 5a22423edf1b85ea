//! The REST API: token authentication, the error envelope, user administration and the
//! OpenAPI document (snapshot-tested).

use lexops::platform::access::Role;
use serde_json::{Value, json};

use crate::both;
use crate::harness::TestApp;

fn bearer(t: &str) -> String {
    format!("Bearer {t}")
}

both!(tokens_authenticate_api_calls);
async fn tokens_authenticate_api_calls(t: TestApp) {
    let http = reqwest::Client::new();
    // No token, a malformed one and a revoked one: 401 in the error envelope.
    let r = http.get(t.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["error"]["code"], "unauthorized");
    let r = http
        .get(t.url("/api/v1/me"))
        .header("authorization", "Bearer lxp_0000")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // A session cookie is not an API credential.
    let token = t.token(Role::Attorney).await;
    let me: Value = http
        .get(t.url("/api/v1/me"))
        .header("authorization", bearer(&token))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["role"], "attorney");
    // Tokens are managed through the API too; the secret is shown once.
    let created: Value = http
        .post(t.url("/api/v1/tokens"))
        .header("authorization", bearer(&token))
        .json(&json!({"name": "AP export", "expires_days": 30}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let second = created["secret"].as_str().unwrap().to_string();
    assert!(second.starts_with("lxp_"));
    let list: Value = http
        .get(t.url("/api/v1/tokens"))
        .header("authorization", bearer(&second))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert!(
        !list.to_string().contains(&second[4..]),
        "secrets are never listed"
    );
    let id = created["id"].as_i64().unwrap();
    let r = http
        .delete(t.url(&format!("/api/v1/tokens/{id}")))
        .header("authorization", bearer(&token))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(
        http.get(t.url("/api/v1/me"))
            .header("authorization", bearer(&second))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    // An expired token stops working.
    let created: Value = http
        .post(t.url("/api/v1/tokens"))
        .header("authorization", bearer(&token))
        .json(&json!({"name": "short", "expires_days": 1}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let short = created["secret"].as_str().unwrap().to_string();
    assert_eq!(
        http.get(t.url("/api/v1/me"))
            .header("authorization", bearer(&short))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    t.app.clock.advance(jiff::SignedDuration::from_hours(25));
    assert_eq!(
        http.get(t.url("/api/v1/me"))
            .header("authorization", bearer(&short))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
}

both!(admin_manages_users_through_the_api);
async fn admin_manages_users_through_the_api(t: TestApp) {
    let http = reqwest::Client::new();
    let admin = t.token(Role::Admin).await;
    let vendor = t.token(Role::Vendor).await;
    let body = json!({"email": "hank@example.com", "name": "Hank", "role": "paralegal", "password": "twelve chars ok"});
    // A vendor may not; nothing is created.
    let r = http
        .post(t.url("/api/v1/users"))
        .header("authorization", bearer(&vendor))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["error"]["code"], "forbidden");
    // Invalid fields are named.
    let r = http
        .post(t.url("/api/v1/users"))
        .header("authorization", bearer(&admin))
        .json(&json!({"email": "x", "name": "", "role": "king"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let e: Value = r.json().await.unwrap();
    let fields: Vec<&str> = e["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["email", "name", "role"]);
    let r = http
        .post(t.url("/api/v1/users"))
        .header("authorization", bearer(&admin))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let u: Value = r.json().await.unwrap();
    assert!(u.get("password_hash").is_none());
    let id = u["id"].as_i64().unwrap();
    let r = http
        .patch(t.url(&format!("/api/v1/users/{id}")))
        .header("authorization", bearer(&admin))
        .json(&json!({"status": "disabled"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let page: Value = http
        .get(t.url("/api/v1/users?q=hank"))
        .header("authorization", bearer(&admin))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["total"], 1);
    assert_eq!(page["items"][0]["status"], "disabled");
    let r = http
        .get(t.url("/api/v1/users/999999"))
        .header("authorization", bearer(&admin))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    // The audit trail is readable through the API by those allowed.
    let ev: Value = http
        .get(t.url("/api/v1/audit/events?filter=user"))
        .header("authorization", bearer(&admin))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(ev["total"].as_i64().unwrap() >= 2);
    let v: Value = http
        .get(t.url("/api/v1/audit/verify"))
        .header("authorization", bearer(&admin))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(
        http.get(t.url("/api/v1/audit/events"))
            .header("authorization", bearer(&vendor))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
}

#[tokio::test]
async fn openapi_document_matches_its_snapshot() {
    let t = TestApp::spawn(crate::harness::Backend::Sqlite)
        .await
        .unwrap();
    let doc = reqwest::get(t.url("/api/openapi.json"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let v: Value = serde_json::from_str(&doc).unwrap();
    assert!(v["paths"]["/api/v1/users"]["post"].is_object());
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/openapi.json");
    if std::env::var("UPDATE_SNAPSHOTS").as_deref() == Ok("1")
        || !path.exists() && std::env::var("CI").is_err()
    {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &doc).unwrap();
    }
    let expected = std::fs::read_to_string(&path)
        .expect("snapshot exists (run with UPDATE_SNAPSHOTS=1 to write it)");
    assert_eq!(
        doc, expected,
        "the OpenAPI document changed: review it and run with UPDATE_SNAPSHOTS=1"
    );
    // The browsable docs are served from the binary.
    let r = reqwest::get(t.url("/api/docs/")).await.unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("swagger"), "{html}");
    assert!(
        !html.contains("https://"),
        "no asset is fetched from the internet"
    );
}
