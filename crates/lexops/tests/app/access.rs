//! Object-level scopes: an ethical wall around an object hides it from everyone not on the
//! wall, whatever their role, in direct checks and in list queries alike.

use lexops::platform::access::{self, CurrentUser, Permission, Role};
use lexops::platform::error::AppError;

use crate::both;
use crate::harness::TestApp;

async fn user(t: &TestApp, email: &str, role: Role) -> CurrentUser {
    let id = t.user(email, role).await;
    CurrentUser {
        id,
        email: email.into(),
        name: "x".into(),
        role,
        via_token: false,
        vendor_id: None,
    }
}

both!(a_wall_beats_any_grant);
async fn a_wall_beats_any_grant(t: TestApp) {
    let admin = user(&t, "admin@example.com", Role::Admin).await;
    let inside = user(&t, "inside@example.com", Role::Attorney).await;
    let vendor = user(&t, "vendor@example.com", Role::Vendor).await;
    let mut tx = t.app.db.begin().await.unwrap();
    sqlx::query("INSERT INTO walled_objects (object_type, object_id) VALUES ('matter', 7)")
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO object_walls (object_type, object_id, user_id) VALUES ('matter', 7, $1)",
    )
    .bind(inside.id)
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    // Unwalled objects follow the role's permissions.
    assert!(
        access::check(&t.app.db, &admin, Permission::UseApp, Some(("matter", 8)))
            .await
            .is_ok()
    );
    // The walled matter: only the people on the wall, even the admin is kept out — and the
    // refusal looks like absence.
    assert!(
        access::check(&t.app.db, &inside, Permission::UseApp, Some(("matter", 7)))
            .await
            .is_ok()
    );
    assert!(matches!(
        access::check(&t.app.db, &admin, Permission::UseApp, Some(("matter", 7))).await,
        Err(AppError::NotFound(_))
    ));
    // A role without the permission is refused before the wall is even looked at.
    assert!(matches!(
        access::check(
            &t.app.db,
            &vendor,
            Permission::ViewAudit,
            Some(("matter", 8))
        )
        .await,
        Err(AppError::Forbidden(_))
    ));
    // The same rule as SQL for lists, searches and exports.
    let sql = format!(
        "SELECT v.id FROM (SELECT 7 AS id UNION ALL SELECT 8) v WHERE {} ORDER BY v.id",
        access::visible_sql("matter", "v.id", 1)
    );
    for (u, expected) in [(&admin, vec![8i64]), (&inside, vec![7, 8])] {
        let ids: Vec<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.clone()))
            .bind(u.id)
            .fetch_all(t.app.db.pool())
            .await
            .unwrap();
        assert_eq!(ids, expected, "{}", u.email);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_readiness_and_metrics() {
    let t = TestApp::spawn(crate::harness::Backend::Sqlite)
        .await
        .unwrap();
    assert_eq!(
        reqwest::get(t.url("/healthz"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "ok"
    );
    assert_eq!(reqwest::get(t.url("/readyz")).await.unwrap().status(), 200);
    reqwest::get(t.url("/login")).await.unwrap();
    let m = reqwest::get(t.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        m.contains("lexops_http_requests_total") && m.contains("route=\"/login\""),
        "{m}"
    );
    let r = reqwest::get(t.url("/no/such/page")).await.unwrap();
    assert_eq!(r.status(), 404);
    let body = r.text().await.unwrap();
    assert!(body.contains("Page not found"));
    let r = reqwest::get(t.url("/static/lexops.css")).await.unwrap();
    assert_eq!(r.headers()["content-type"], "text/css; charset=utf-8");
    let r = reqwest::get(t.url("/login")).await.unwrap();
    assert_eq!(r.headers()["x-frame-options"], "DENY");
    assert!(
        r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'self'")
    );
}
