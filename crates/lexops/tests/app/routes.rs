//! Authorization on every route: the route table is walked; each protected route must refuse
//! an anonymous caller and a signed-in role without its permission, and the public routes
//! are exactly the reviewed list below.

use lexops::platform::access::{Policy, Role};
use lexops::platform::routes;
use lexops::platform::web::Surface;

use crate::harness::{Backend, TestApp};

/// Routes anyone may call. Adding one here is a security decision: say why in the review.
const PUBLIC: &[&str] = &[
    "GET /login",
    "POST /login",
    "GET /login/totp",
    "POST /login/totp",
    "POST /logout",
    // A user's contract calendar feed for calendar programs, which cannot sign in: the signed
    // link is the credential (tests/app/contracts.rs proves a tampered one gets nothing and the
    // feed shows only what the user may see).
    "GET /calendar/{token}",
    // A custodian's hold notice: the signed, expiring link is the credential (tests/app/holds.rs
    // proves a tampered, expired or released link opens nothing).
    "GET /hold-notice/{token}",
    "POST /hold-notice/{token}",
    "GET /healthz",
    "GET /readyz",
    "GET /metrics",
    "GET /api/openapi.json",
    "GET /static/{*file}",
];

fn concrete(path: &str) -> String {
    path.replace("{id}", "1").replace("{*file}", "lexops.css")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_has_a_policy_and_refuses_the_wrong_role() {
    let t = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let table = routes::table();
    assert!(table.len() > 20);
    let public: Vec<String> = table
        .iter()
        .filter(|r| r.policy == Policy::Public)
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(public, PUBLIC, "the public routes changed");
    let anon = t.client();
    let http = reqwest::Client::new();
    let mut browsers = std::collections::HashMap::new();
    let mut tokens = std::collections::HashMap::new();
    let mut checked = 0;
    for r in table.iter() {
        let Policy::Requires(perm) = r.policy else {
            continue;
        };
        let path = concrete(r.path);
        // Anonymous: pages redirect to sign-in (GET) or refuse (POST); the API says 401.
        let status = match r.surface {
            Surface::Page => anon
                .http
                .request(r.method.clone(), t.url(&path))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16(),
            Surface::Api => http
                .request(r.method.clone(), t.url(&path))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16(),
        };
        let expected_anon: &[u16] = match (r.surface, r.method.as_str()) {
            (Surface::Api, _) => &[401],
            (Surface::Page, "GET") => &[303],
            (Surface::Page, _) => &[401, 403],
        };
        assert!(
            expected_anon.contains(&status),
            "{} {} anonymous got {status}",
            r.method,
            r.path
        );
        // Every role without the permission is refused with 403.
        for role in Role::ALL.into_iter().filter(|role| !role.can(perm)) {
            let status = match r.surface {
                Surface::Page => {
                    if let std::collections::hash_map::Entry::Vacant(e) = browsers.entry(role) {
                        let mut b = t.signed_in(role).await;
                        b.page("/").await;
                        e.insert(b);
                    }
                    let b = &browsers[&role];
                    if r.method == axum::http::Method::GET {
                        b.get(&path).await.status().as_u16()
                    } else {
                        b.post(&path, &[]).await.status().as_u16()
                    }
                }
                Surface::Api => {
                    if let std::collections::hash_map::Entry::Vacant(e) = tokens.entry(role) {
                        e.insert(t.token(role).await);
                    }
                    http.request(r.method.clone(), t.url(&path))
                        .bearer_auth(&tokens[&role])
                        .send()
                        .await
                        .unwrap()
                        .status()
                        .as_u16()
                }
            };
            assert_eq!(status, 403, "{} {} as {role:?}", r.method, r.path);
            checked += 1;
        }
    }
    assert!(checked > 30, "only {checked} refusals checked");
}
