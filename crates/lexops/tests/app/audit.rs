//! The audit chain: every change appends one event; altering, deleting or reordering any row is
//! detected and the first broken event is named.

use lexops::platform::access::Role;
use lexops::platform::audit;

use crate::both;
use crate::harness::TestApp;

async fn exec(t: &TestApp, sql: &'static str) {
    let mut tx = t.app.db.begin().await.unwrap();
    sqlx::query(sql).execute(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
}

async fn five_events(t: &TestApp) {
    for i in 0..5 {
        t.user(&format!("u{i}@example.com"), Role::Requester).await;
    }
    let r = audit::verify(&t.app.db).await.unwrap();
    assert!(r.ok, "{r:?}");
    assert_eq!(r.events, 5);
}

both!(altered_event_is_named);
async fn altered_event_is_named(t: TestApp) {
    five_events(&t).await;
    exec(
        &t,
        "UPDATE audit_events SET actor = 'someone else' WHERE seq = 3",
    )
    .await;
    let r = audit::verify(&t.app.db).await.unwrap();
    assert!(!r.ok);
    assert_eq!(r.first_broken_seq, Some(3));
    assert!(r.problem.unwrap().contains("altered"));
}

both!(deleted_event_is_named);
async fn deleted_event_is_named(t: TestApp) {
    five_events(&t).await;
    exec(&t, "DELETE FROM audit_events WHERE seq = 2").await;
    let r = audit::verify(&t.app.db).await.unwrap();
    assert_eq!(r.first_broken_seq, Some(2));
    assert!(r.problem.unwrap().contains("missing"));
}

both!(deleted_last_event_is_noticed);
async fn deleted_last_event_is_noticed(t: TestApp) {
    five_events(&t).await;
    exec(&t, "DELETE FROM audit_events WHERE seq = 5").await;
    let r = audit::verify(&t.app.db).await.unwrap();
    assert!(!r.ok);
    assert_eq!(r.first_broken_seq, Some(5));
}

both!(reordered_events_are_noticed);
async fn reordered_events_are_noticed(t: TestApp) {
    five_events(&t).await;
    // Swap the contents of events 2 and 4 (keeping their sequence numbers).
    exec(&t, "UPDATE audit_events SET seq = 100 WHERE seq = 2").await;
    exec(&t, "UPDATE audit_events SET seq = 2 WHERE seq = 4").await;
    exec(&t, "UPDATE audit_events SET seq = 4 WHERE seq = 100").await;
    let r = audit::verify(&t.app.db).await.unwrap();
    assert_eq!(r.first_broken_seq, Some(2));
}

both!(failed_change_writes_no_event);
async fn failed_change_writes_no_event(t: TestApp) {
    t.user("dup@example.com", Role::Requester).await;
    let before = audit::verify(&t.app.db).await.unwrap().events;
    let again = lexops::platform::users::create(
        &t.app,
        &lexops::platform::audit::Actor::system("test"),
        lexops::platform::users::NewUser {
            email: "dup@example.com".into(),
            name: "Dup".into(),
            role: "requester".into(),
            password: None,
            totp_required: false,
        },
    )
    .await;
    assert!(again.is_err());
    let after = audit::verify(&t.app.db).await.unwrap();
    assert!(after.ok);
    assert_eq!(
        after.events, before,
        "the rolled-back change left no audit event"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writers_keep_one_chain_on_postgres() {
    let Some(t) = TestApp::spawn(crate::harness::Backend::Postgres).await else {
        eprintln!("skipped: LEXOPS_TEST_POSTGRES_URL is not set");
        return;
    };
    let mut handles = vec![];
    for i in 0..16 {
        let app = t.app.clone();
        handles.push(tokio::spawn(async move {
            lexops::platform::users::create(
                &app,
                &lexops::platform::audit::Actor::system("test"),
                lexops::platform::users::NewUser {
                    email: format!("c{i}@example.com"),
                    name: "C".into(),
                    role: "requester".into(),
                    password: None,
                    totp_required: false,
                },
            )
            .await
            .unwrap();
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    let r = audit::verify(&t.app.db).await.unwrap();
    assert!(r.ok, "{r:?}");
    assert_eq!(r.events, 16);
}
