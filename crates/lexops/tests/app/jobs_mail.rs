//! Jobs and mail: the outbox is transactional, a down SMTP server delays mail (retried with
//! back-off) and never loses it, a job is never queued twice, survives a restart, and a job
//! whose worker crashed is claimed again when its lease runs out.

use jiff::SignedDuration;
use lexops::App;
use lexops::platform::{jobs, mail};
use serde_json::json;

use crate::both;
use crate::harness::TestApp;

async fn outbox_state(t: &TestApp) -> (i64, i64) {
    sqlx::query_as("SELECT COUNT(*), COALESCE(SUM(CASE WHEN sent_at IS NULL THEN 1 ELSE 0 END), 0) FROM mail_outbox")
        .fetch_one(t.app.db.pool())
        .await
        .unwrap()
}

both!(mail_is_sent_through_smtp_and_retried_while_the_server_is_down);
async fn mail_is_sent_through_smtp_and_retried_while_the_server_is_down(t: TestApp) {
    t.smtp
        .refuse
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let now = t.app.clock.now_text();
    let mut tx = t.app.db.begin().await.unwrap();
    mail::queue(
        &mut tx,
        &now,
        "custodian@example.com",
        "Legal hold notice: Acme v. Example",
        "Please preserve all documents.",
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(jobs::drain(&t.app).await.unwrap(), 1);
    assert_eq!(
        outbox_state(&t).await,
        (1, 1),
        "still pending after a refusal"
    );
    let err: Option<String> = sqlx::query_scalar("SELECT last_error FROM mail_outbox")
        .fetch_one(t.app.db.pool())
        .await
        .unwrap();
    assert!(err.unwrap().contains("SMTP"));
    // Not retried before its back-off has passed.
    assert_eq!(jobs::drain(&t.app).await.unwrap(), 0);
    t.smtp
        .refuse
        .store(false, std::sync::atomic::Ordering::SeqCst);
    t.app.clock.advance(SignedDuration::from_secs(11));
    assert_eq!(jobs::drain(&t.app).await.unwrap(), 1);
    assert_eq!(outbox_state(&t).await, (1, 0));
    let got = t.smtp.received();
    assert_eq!(got.len(), 1);
    assert!(got[0].contains("Subject: Legal hold notice: Acme v. Example"));
    assert!(got[0].contains("Please preserve all documents."));
    assert!(got[0].contains("To: custodian@example.com"));
}

both!(rolled_back_change_sends_nothing);
async fn rolled_back_change_sends_nothing(t: TestApp) {
    let now = t.app.clock.now_text();
    let mut tx = t.app.db.begin().await.unwrap();
    mail::queue(&mut tx, &now, "x@example.com", "never", "never")
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(outbox_state(&t).await, (0, 0));
    assert_eq!(jobs::drain(&t.app).await.unwrap(), 0);
    assert!(t.smtp.received().is_empty());
}

both!(unique_jobs_are_queued_once);
async fn unique_jobs_are_queued_once(t: TestApp) {
    let now = t.app.clock.now_text();
    let mut tx = t.app.db.begin().await.unwrap();
    let a = jobs::enqueue(
        &mut tx,
        &now,
        "test.nothing",
        &json!({}),
        Some("sweep:2026-11"),
        None,
    )
    .await
    .unwrap();
    let b = jobs::enqueue(
        &mut tx,
        &now,
        "test.nothing",
        &json!({}),
        Some("sweep:2026-11"),
        None,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert!(a.is_some());
    assert_eq!(b, None);
}

both!(crashed_job_is_claimed_again_and_dead_jobs_stop);
async fn crashed_job_is_claimed_again_and_dead_jobs_stop(t: TestApp) {
    let now = t.app.clock.now_text();
    let mut tx = t.app.db.begin().await.unwrap();
    let id = jobs::enqueue(&mut tx, &now, "no.such.kind", &json!({}), None, None)
        .await
        .unwrap()
        .unwrap();
    tx.commit().await.unwrap();
    // A worker claims it and dies without finishing.
    let j = jobs::claim(&t.app, "doomed").await.unwrap().unwrap();
    assert_eq!((j.id, j.attempts), (id, 1));
    assert!(
        jobs::claim(&t.app, "other").await.unwrap().is_none(),
        "leased jobs are not handed out twice"
    );
    t.app.clock.advance(SignedDuration::from_mins(6));
    let j = jobs::claim(&t.app, "other").await.unwrap().unwrap();
    assert_eq!((j.id, j.attempts), (id, 2));
    jobs::finish(&t.app, &j, &Err("boom".into())).await.unwrap();
    // It fails until its attempts run out, then stays failed.
    for _ in 0..10 {
        t.app.clock.advance(SignedDuration::from_hours(2));
        jobs::drain(&t.app).await.unwrap();
    }
    let (state, attempts, err): (String, i64, Option<String>) =
        sqlx::query_as("SELECT state, attempts, last_error FROM jobs WHERE id = $1")
            .bind(id)
            .fetch_one(t.app.db.pool())
            .await
            .unwrap();
    assert_eq!(state, "failed");
    assert_eq!(attempts, 8);
    assert!(err.unwrap().contains("no handler"));
}

both!(queued_mail_survives_a_restart);
async fn queued_mail_survives_a_restart(t: TestApp) {
    let now = t.app.clock.now_text();
    let mut tx = t.app.db.begin().await.unwrap();
    mail::queue(&mut tx, &now, "later@example.com", "After restart", "Body")
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let settings = (*t.app.settings).clone();
    t.app.db.close().await;
    let reopened = App::open(settings).await.unwrap();
    assert_eq!(jobs::drain(&reopened).await.unwrap(), 1);
    assert_eq!(t.smtp.received().len(), 1);
}
