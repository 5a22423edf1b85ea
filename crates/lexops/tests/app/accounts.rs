//! Signing in and out, sessions, CSRF, throttling, the second factor, and user administration
//! through the pages.

use jiff::SignedDuration;
use lexops::platform::access::Role;
use lexops::platform::auth::totp;

use crate::both;
use crate::harness::{PASSWORD, TestApp, location};

both!(sign_in_and_out);
async fn sign_in_and_out(t: TestApp) {
    t.user("ann@example.com", Role::LegalOps).await;
    let mut b = t.client();
    // Protected pages send an anonymous visitor to the sign-in page, remembering where to go.
    let r = b.get("/admin/audit").await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/login?next=%2Fadmin%2Faudit");
    // A wrong password and an unknown account get the same answer.
    let wrong = b.sign_in("ann@example.com", "not the password").await;
    assert_eq!(wrong.status(), 401);
    let wrong_body = wrong.text().await.unwrap();
    let unknown = b.sign_in("nobody@example.com", "not the password").await;
    assert_eq!(unknown.status(), 401);
    let unknown_body = unknown.text().await.unwrap();
    assert!(wrong_body.contains("Wrong email or password."));
    assert!(unknown_body.contains("Wrong email or password."));
    // The right one signs in and lands on the home page.
    let r = b.sign_in("ANN@example.com ", PASSWORD).await;
    assert_eq!(r.status(), 303);
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("lexops_session="))
        .unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let home = b.page("/").await;
    assert!(home.contains("Good ") && home.contains("Test Legal ops"));
    assert!(
        home.contains("href=\"/admin/audit\""),
        "legal ops sees the audit trail in the navigation"
    );
    assert!(!home.contains("href=\"/admin/users/new\""));
    // Signing out ends the session on the server.
    let r = b.post("/logout", &[]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(b.get("/").await.status(), 303);
}

both!(session_id_rotates_and_times_out);
async fn session_id_rotates_and_times_out(t: TestApp) {
    t.user("bob@example.com", Role::Attorney).await;
    let mut b = t.client();
    b.sign_in("bob@example.com", PASSWORD).await;
    let n1: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions")
        .fetch_one(t.app.db.pool())
        .await
        .unwrap();
    let first: String = sqlx::query_scalar("SELECT token_hash FROM sessions")
        .fetch_one(t.app.db.pool())
        .await
        .unwrap();
    // Signing in again from the same browser replaces the session (fixation defence).
    b.sign_in("bob@example.com", PASSWORD).await;
    let hashes: Vec<String> = sqlx::query_scalar("SELECT token_hash FROM sessions")
        .fetch_all(t.app.db.pool())
        .await
        .unwrap();
    assert_eq!(n1, 1);
    assert_eq!(hashes.len(), 1);
    assert_ne!(hashes[0], first);
    assert_eq!(b.get("/").await.status(), 200);
    // 31 idle minutes end the session.
    t.app.clock.advance(SignedDuration::from_mins(31));
    assert_eq!(b.get("/").await.status(), 303);
    // Activity keeps a session alive, but not past the absolute limit.
    b.sign_in("bob@example.com", PASSWORD).await;
    for _ in 0..24 {
        t.app.clock.advance(SignedDuration::from_mins(29));
        assert_eq!(b.get("/").await.status(), 200);
    }
    t.app.clock.advance(SignedDuration::from_mins(29));
    assert_eq!(
        b.get("/").await.status(),
        303,
        "12 hours after sign-in the session ends"
    );
}

both!(forms_without_csrf_token_change_nothing);
async fn forms_without_csrf_token_change_nothing(t: TestApp) {
    let mut admin = t.signed_in(Role::Admin).await;
    admin.page("/admin/users/new").await;
    let r = admin
        .post_without_csrf(
            "/admin/users",
            &[
                ("email", "evil@example.com"),
                ("name", "Evil"),
                ("role", "admin"),
                ("password", "aaaaaaaaaaaaaaaa"),
            ],
        )
        .await;
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("form has expired"));
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE email = 'evil@example.com'")
        .fetch_one(t.app.db.pool())
        .await
        .unwrap();
    assert_eq!(n, 0);
    // A token from elsewhere is refused too.
    admin.csrf = Some("0".repeat(32));
    let r = admin
        .post(
            "/admin/users",
            &[
                ("email", "evil@example.com"),
                ("name", "Evil"),
                ("role", "admin"),
            ],
        )
        .await;
    assert_eq!(r.status(), 403);
}

both!(repeated_failures_are_throttled);
async fn repeated_failures_are_throttled(t: TestApp) {
    t.user("carol@example.com", Role::Paralegal).await;
    let mut b = t.client();
    for _ in 0..5 {
        assert_eq!(
            b.sign_in("carol@example.com", "guess guess guess")
                .await
                .status(),
            401
        );
    }
    // Even the right password is refused while throttled, and an unknown account looks the same.
    let r = b.sign_in("carol@example.com", PASSWORD).await;
    assert_eq!(r.status(), 429);
    for _ in 0..5 {
        b.sign_in("ghost@example.com", "guess guess guess").await;
    }
    assert_eq!(b.sign_in("ghost@example.com", "guess").await.status(), 429);
    t.app.clock.advance(SignedDuration::from_mins(16));
    assert_eq!(b.sign_in("carol@example.com", PASSWORD).await.status(), 303);
}

both!(totp_second_factor);
async fn totp_second_factor(t: TestApp) {
    t.user("dana@example.com", Role::Attorney).await;
    let mut b = t.client();
    b.sign_in("dana@example.com", PASSWORD).await;
    let page = b.page("/account/totp").await;
    assert!(page.contains("<svg") && page.contains("QR code"));
    let secret = page
        .split("<div class=\"secret mono\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_string();
    let now = t.app.clock.now().as_second() as u64;
    // A wrong code is refused; the right one turns the factor on.
    let r = b.post("/account/totp", &[("code", "000000")]).await;
    assert_eq!(r.status(), 422);
    let code = totp::code_at(&secret, now);
    let r = b.post("/account/totp", &[("code", &code)]).await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    b.post("/logout", &[]).await;
    // Now the password alone is not enough.
    let r = b.sign_in("dana@example.com", PASSWORD).await;
    assert_eq!(location(&r), "/login/totp?next=%2F");
    assert_eq!(
        b.get("/").await.status(),
        303,
        "a pending session opens nothing"
    );
    b.page("/login/totp").await;
    // The code already used cannot be replayed.
    let r = b.post("/login/totp", &[("code", &code)]).await;
    assert_eq!(r.status(), 401);
    t.app.clock.advance(SignedDuration::from_secs(60));
    let fresh = totp::code_at(&secret, t.app.clock.now().as_second() as u64);
    let r = b.post("/login/totp", &[("code", &fresh)]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(b.get("/").await.status(), 200);
    // The secret is not stored in clear.
    let stored: String =
        sqlx::query_scalar("SELECT totp_secret FROM users WHERE email = 'dana@example.com'")
            .fetch_one(t.app.db.pool())
            .await
            .unwrap();
    assert!(!stored.contains(&secret));
}

both!(admin_can_require_totp);
async fn admin_can_require_totp(t: TestApp) {
    let id = t.user("erin@example.com", Role::Paralegal).await;
    let mut admin = t.signed_in(Role::Admin).await;
    admin.page(&format!("/admin/users/{id}")).await;
    let r = admin
        .post(
            &format!("/admin/users/{id}"),
            &[
                ("name", "Erin Example"),
                ("role", "paralegal"),
                ("status", "active"),
                ("totp_required", "1"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let mut b = t.client();
    let r = b.sign_in("erin@example.com", PASSWORD).await;
    assert_eq!(location(&r), "/account/totp");
    // Until she enrols, every other page sends her back to enrolment.
    let r = b.get("/").await;
    assert_eq!(location(&r), "/account/totp");
    let page = b.page("/account/totp").await;
    assert!(page.contains("requires two-factor"));
    let secret = page
        .split("<div class=\"secret mono\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_string();
    let code = totp::code_at(&secret, t.app.clock.now().as_second() as u64);
    assert_eq!(
        b.post("/account/totp", &[("code", &code)]).await.status(),
        303
    );
    assert_eq!(b.get("/").await.status(), 200);
}

both!(admin_manages_users_in_the_ui);
async fn admin_manages_users_in_the_ui(t: TestApp) {
    let mut admin = t.signed_in(Role::Admin).await;
    admin.page("/admin/users/new").await;
    // Invalid input is shown field by field and nothing is created.
    let r = admin
        .post(
            "/admin/users",
            &[
                ("email", "not-an-email"),
                ("name", ""),
                ("role", "boss"),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("Enter an email address") && body.contains("At least 12")
            || body.contains("Use at least 12")
    );
    let r = admin
        .post(
            "/admin/users",
            &[
                ("email", "Frank@Example.com"),
                ("name", "Frank <b>Ocean</b>"),
                ("role", "legal_ops"),
                ("password", "a long enough password"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    // The list escapes what users typed, and filters, sorts and exports.
    let list = admin.page("/admin/users?q=frank").await;
    assert!(
        list.contains("Frank &lt;b&gt;Ocean&lt;/b&gt;") || list.contains("Frank &#60;b&#62;Ocean")
    );
    assert!(!list.contains("<b>Ocean</b>"));
    let csv = admin
        .get("/admin/users?format=csv&role=legal_ops")
        .await
        .text()
        .await
        .unwrap();
    assert!(csv.starts_with("id,email,name,role,status"));
    assert!(csv.contains("frank@example.com"));
    // The same email twice is refused.
    let r = admin
        .post(
            "/admin/users",
            &[
                ("email", "frank@example.com"),
                ("name", "Frank 2"),
                ("role", "attorney"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("already exists"));
    // Disabling ends the user's sessions at once.
    let mut frank = t.client();
    assert_eq!(
        frank
            .sign_in("frank@example.com", "a long enough password")
            .await
            .status(),
        303
    );
    assert_eq!(frank.get("/").await.status(), 200);
    let id: i64 = sqlx::query_scalar("SELECT id FROM users WHERE email = 'frank@example.com'")
        .fetch_one(t.app.db.pool())
        .await
        .unwrap();
    admin.page(&format!("/admin/users/{id}")).await;
    let r = admin
        .post(
            &format!("/admin/users/{id}"),
            &[
                ("name", "Frank Ocean"),
                ("role", "legal_ops"),
                ("status", "disabled"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(frank.get("/").await.status(), 303);
    assert_eq!(
        frank
            .sign_in("frank@example.com", "a long enough password")
            .await
            .status(),
        401
    );
    // Every change is in the audit trail.
    let actions: Vec<String> = sqlx::query_scalar("SELECT action FROM audit_events WHERE object_type = 'user' AND object_id = $1 ORDER BY seq")
        .bind(id.to_string())
        .fetch_all(t.app.db.pool())
        .await
        .unwrap();
    assert_eq!(actions, ["user.create", "user.disable"]);
    let audit = admin.page("/admin/audit?object_type=user").await;
    assert!(audit.contains("user.disable"));
    assert!(
        !audit.contains("argon2"),
        "password hashes never reach the audit trail"
    );
}

both!(roles_see_only_their_pages);
async fn roles_see_only_their_pages(t: TestApp) {
    let vendor = t.signed_in(Role::Vendor).await;
    assert_eq!(vendor.get("/admin/users").await.status(), 403);
    assert_eq!(vendor.get("/admin/audit").await.status(), 403);
    let mut vendor = vendor;
    let home = vendor.page("/").await;
    assert!(
        !home.contains("/admin/users"),
        "no navigation entry for what a role cannot open"
    );
    let auditor = t.signed_in(Role::Auditor).await;
    assert_eq!(auditor.get("/admin/audit").await.status(), 200);
    assert_eq!(auditor.get("/admin/users").await.status(), 200);
    assert_eq!(auditor.get("/admin/users/new").await.status(), 403);
}

both!(password_change_signs_out_other_sessions);
async fn password_change_signs_out_other_sessions(t: TestApp) {
    t.user("gail@example.com", Role::Attorney).await;
    let mut a = t.client();
    let mut b = t.client();
    a.sign_in("gail@example.com", PASSWORD).await;
    b.sign_in("gail@example.com", PASSWORD).await;
    a.page("/account").await;
    let r = a
        .post(
            "/account/password",
            &[
                ("current", "wrong wrong wrong"),
                ("password", "a brand new password"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let r = a
        .post(
            "/account/password",
            &[("current", PASSWORD), ("password", "a brand new password")],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        a.get("/account").await.status(),
        200,
        "this browser stays signed in"
    );
    assert_eq!(
        b.get("/account").await.status(),
        303,
        "the other one is signed out"
    );
    assert_eq!(
        b.sign_in("gail@example.com", "a brand new password")
            .await
            .status(),
        303
    );
}
