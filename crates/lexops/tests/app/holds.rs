//! Legal holds, whole: a hold issued to custodians from the directory, its notices through a
//! real SMTP server (and while that server is down), the custodian's acknowledgement through
//! the signed link, reminders and escalation on the clock, a disposition run that spares what
//! the hold preserves, release notices, and the defensibility report.

use jiff::SignedDuration;
use lexops::platform::access::Role;
use lexops::platform::jobs;
use serde_json::{Value, json};

use crate::both;
use crate::harness::{Browser, TestApp};

const PLAN: &str = "code,title,description,owner,trigger,period,cutoff,disposition,citation
TMP-1,Working papers,,Legal,created,1y,none,destroy,
";
const DIRECTORY: &str = "name,email,department,manager_email,employee_status
Alice Adams,alice@example.com,Procurement,dave@example.com,active
Bob Brown,bob@example.com,Procurement,dave@example.com,active
Carol Chen,carol@example.com,Finance,,on_leave
Dave Dunn,dave@example.com,Procurement,,active
";

async fn count(t: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(t.app.db.pool())
        .await
        .unwrap()
}

/// A received message's text with quoted-printable soft breaks and escapes undone.
fn plain(msg: &str) -> String {
    msg.replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=")
}

fn to_of(msg: &str) -> String {
    msg.lines()
        .find_map(|l| l.strip_prefix("To: "))
        .unwrap_or("")
        .trim()
        .to_string()
}

/// The path of the acknowledgement link in a message.
fn link_in(msg: &str) -> String {
    let text = plain(msg);
    let at = text.find("/hold-notice/").expect("the message has a link");
    text[at..]
        .split(|c: char| c.is_whitespace())
        .next()
        .unwrap()
        .to_string()
}

fn days(n: i64) -> SignedDuration {
    SignedDuration::from_hours(24 * n)
}

both!(a_hold_is_issued_acknowledged_reminded_escalated_and_released);
async fn a_hold_is_issued_acknowledged_reminded_escalated_and_released(t: TestApp) {
    t.matter("M-HOLD").await;
    let mut ops = t.signed_in(Role::LegalOps).await;
    ops.page("/holds/custodians").await;
    let r = ops
        .upload_file(
            "/holds/custodians/import",
            "directory.csv",
            DIRECTORY.as_bytes(),
        )
        .await;
    assert_eq!(r.status(), 200);
    ops.page("/records/plan").await;
    ops.upload_file("/records/plan/import", "plan.csv", PLAN.as_bytes())
        .await;
    // Two of Alice's documents and one nobody's, all past their date.
    ops.page("/records/upload").await;
    for (name, custodian) in [
        ("alice-1.txt", "alice@example.com"),
        ("alice-2.txt", "alice@example.com"),
        ("other.txt", ""),
    ] {
        let form = reqwest::multipart::Form::new()
            .part(
                "files",
                reqwest::multipart::Part::bytes(format!("doc {name}").into_bytes()).file_name(name),
            )
            .text("category", "TMP-1")
            .text("created_on", "2020-01-01")
            .text("custodian", custodian);
        assert_eq!(
            ops.post_multipart("/records/upload", form).await.status(),
            303,
            "{name}"
        );
    }
    // An unknown custodian on a record is refused.
    let form = reqwest::multipart::Form::new()
        .part(
            "files",
            reqwest::multipart::Part::bytes(b"x".to_vec()).file_name("x.txt"),
        )
        .text("custodian", "nobody@example.com");
    let body = ops
        .post_multipart("/records/upload", form)
        .await
        .text()
        .await
        .unwrap();
    assert!(body.contains("no custodian nobody@example.com"), "{body}");

    // The SMTP server is down when the hold is placed: the notices wait, visibly, and are kept.
    t.smtp
        .refuse
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let form = ops.page("/holds/new").await;
    assert!(
        form.contains("custodian.name"),
        "the default notice is offered"
    );
    // A broken template is refused on the form, nothing placed.
    let r = ops
        .post(
            "/holds",
            &[
                ("name", "Broken"),
                ("matter", "M-HOLD"),
                ("custodians", "alice@example.com"),
                ("notice_template", "Dear {{ custodian.nmae }}, {{ link }}"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("The notice cannot be written: line 1"),
        "{body}"
    );
    let r = ops
        .post(
            "/holds",
            &[
                ("name", "Broken"),
                ("matter", "M-HOLD"),
                ("custodians", "alice@example.com\nzed@example.com"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Not in the custodian directory: zed@example.com")
    );
    assert_eq!(count(&t, "SELECT COUNT(*) FROM legal_holds").await, 0);
    assert_eq!(count(&t, "SELECT COUNT(*) FROM mail_outbox").await, 0);

    let r = ops
        .post(
            "/holds",
            &[
                ("name", "Acme v. Widget"),
                ("matter", "M-HOLD"),
                ("description", "Supplier contracts in dispute"),
                (
                    "custodians",
                    "alice@example.com\nbob@example.com\ncarol@example.com",
                ),
                ("sources", "Procurement share | file share | IT"),
                ("questionnaire", "Where do you keep documents about Widget?"),
                ("reminder_days", "3"),
                ("escalate_days", "7"),
                ("reaffirm_days", "0"),
                ("link_days", "30"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let hold: i64 = count(
        &t,
        "SELECT id FROM legal_holds WHERE name = 'Acme v. Widget'",
    )
    .await;
    jobs::drain(&t.app).await.unwrap();
    assert!(t.smtp.received().is_empty());
    let page = ops.page(&format!("/holds/{hold}")).await;
    assert!(
        page.contains("Pending") && page.contains("3 message(s) waiting"),
        "{page}"
    );
    assert!(page.contains("SMTP server refused"), "{page}");
    // Alice's documents are preserved through her: only the other one is due.
    assert_eq!(
        count(
            &t,
            &format!(
                "SELECT COUNT(*) FROM hold_scope WHERE hold_id = {hold} AND kind = 'custodian'"
            )
        )
        .await,
        3
    );

    // The server is back: the notices go out on the retry.
    t.smtp
        .refuse
        .store(false, std::sync::atomic::Ordering::SeqCst);
    t.app.clock.advance(SignedDuration::from_secs(11));
    jobs::drain(&t.app).await.unwrap();
    let got = t.smtp.received();
    assert_eq!(got.len(), 3, "one notice each");
    let mut tos: Vec<String> = got.iter().map(|m| to_of(m)).collect();
    tos.sort();
    assert_eq!(
        tos,
        ["alice@example.com", "bob@example.com", "carol@example.com"]
    );
    let alice_mail = got
        .iter()
        .find(|m| to_of(m) == "alice@example.com")
        .unwrap();
    assert!(alice_mail.contains("Subject: Legal hold notice: Acme v. Widget"));
    let text = plain(alice_mail);
    assert!(text.contains("Dear Alice Adams"), "{text}");
    assert!(text.contains("Procurement share (file share)"), "{text}");
    assert!(text.contains("answer 1 short question"), "{text}");
    let alice_link = link_in(alice_mail);
    let bob_link = link_in(got.iter().find(|m| to_of(m) == "bob@example.com").unwrap());

    // Alice opens her link (no password), must confirm, answers and acknowledges.
    let mut alice = t.client();
    let page = alice.page(&alice_link).await;
    assert!(
        page.contains("Legal hold notice") && page.contains("for Alice Adams"),
        "{page}"
    );
    assert!(page.contains("Where do you keep documents about Widget?"));
    let r = alice
        .post(&alice_link, &[("q0", "Procurement share, folder Widget")])
        .await;
    assert_eq!(r.status(), 422, "the confirmation box is required");
    let r = alice
        .post(&alice_link, &[("q0", ""), ("confirm", "yes")])
        .await;
    assert_eq!(r.status(), 422, "the question needs an answer");
    assert_eq!(
        count(
            &t,
            "SELECT COUNT(*) FROM hold_custodians WHERE acknowledged_at IS NOT NULL"
        )
        .await,
        0
    );
    let r = alice
        .post(
            &alice_link,
            &[
                ("q0", "Procurement share, folder Widget"),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let page = alice.page(&alice_link).await;
    assert!(page.contains("You acknowledged this notice on"), "{page}");
    // A tampered link opens nothing and changes nothing.
    let mut tampered = alice_link.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == '0' { '1' } else { '0' });
    let r = t.client().get(&tampered).await;
    assert_eq!(r.status(), 404);
    assert!(r.text().await.unwrap().contains("This link is not valid"));
    let other_hc = tampered.replacen("/hold-notice/", "/hold-notice/9", 1);
    assert_eq!(t.client().get(&other_hc).await.status(), 404);

    // Three days on: Bob and Carol are reminded, Alice is not.
    t.app.clock.advance(days(3));
    let r: Value = t
        .client()
        .http
        .post(t.url("/api/v1/holds/notices/run"))
        .bearer_auth(t.token(Role::LegalOps).await)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        r,
        json!({"reminders": 2, "escalations": 0, "reaffirmations": 0})
    );
    jobs::drain(&t.app).await.unwrap();
    let got = t.smtp.received();
    let reminders: Vec<&String> = got
        .iter()
        .filter(|m| m.contains("Subject: Reminder: Legal hold notice"))
        .collect();
    assert_eq!(reminders.len(), 2);
    assert!(reminders.iter().all(|m| to_of(m) != "alice@example.com"));
    assert!(plain(reminders[0]).contains("you have not yet acknowledged"));

    // A week after the notice, the daily job escalates Bob to his manager (Carol has none).
    t.app.clock.advance(days(4));
    jobs::schedule_daily(&t.app, "holds.notices", 0)
        .await
        .unwrap();
    jobs::drain(&t.app).await.unwrap();
    let got = t.smtp.received();
    let escalations: Vec<&String> = got
        .iter()
        .filter(|m| m.contains("Subject: Action needed"))
        .collect();
    assert_eq!(escalations.len(), 1, "{got:?}");
    assert_eq!(to_of(escalations[0]), "dave@example.com");
    assert!(plain(escalations[0]).contains("Bob Brown (bob@example.com), who reports to you"));
    assert_eq!(
        got.iter()
            .filter(|m| m.contains("Subject: Reminder:"))
            .count(),
        4
    );
    // The job scheduled itself for tomorrow.
    assert_eq!(
        count(
            &t,
            "SELECT COUNT(*) FROM jobs WHERE kind = 'holds.notices' AND state = 'queued'"
        )
        .await,
        1
    );

    // Disposition skips what the hold preserves (Alice's records) and destroys the rest.
    let sweep: Value = t
        .client()
        .http
        .post(t.url("/api/v1/disposition/sweep"))
        .bearer_auth(t.token(Role::LegalOps).await)
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(sweep["listed_count"], 1, "{sweep}");
    assert_eq!(sweep["held_count"], 2, "{sweep}");

    // A second hold binds Alice too, through the API.
    let token = t.token(Role::LegalOps).await;
    let api = t.client().http;
    // A hold belongs to a matter: without one it is refused, naming the field.
    let r = api
        .post(t.url("/api/v1/holds"))
        .bearer_auth(&token)
        .json(&json!({"name": "No matter", "custodians": ["alice@example.com"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["fields"][0]["field"], "matter", "{v}");
    let r = api
        .post(t.url("/api/v1/holds"))
        .bearer_auth(&token)
        .json(&json!({"name": "Regulator inquiry", "matter": "M-HOLD", "custodians": ["ALICE@example.com"], "questions": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let second: Value = r.json().await.unwrap();
    let second_id = second["hold"]["id"].as_i64().unwrap();
    assert_eq!(second["custodians"][0]["email"], "alice@example.com");
    let r = api
        .post(t.url(&format!("/api/v1/holds/{second_id}/custodians")))
        .bearer_auth(&token)
        .json(&json!({"custodians": ["nobody@example.com"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);

    // Release: every custodian is told; Alice learns she stays under the other hold, and her
    // records stay preserved. (A week has passed: sign in again.)
    let mut ops = t.signed_in(Role::LegalOps).await;
    ops.page(&format!("/holds/{hold}")).await;
    assert_eq!(
        ops.post(&format!("/holds/{hold}/release"), &[])
            .await
            .status(),
        303
    );
    jobs::drain(&t.app).await.unwrap();
    let got = t.smtp.received();
    let releases: Vec<&String> = got
        .iter()
        .filter(|m| m.contains("Subject: Legal hold released: Acme v. Widget"))
        .collect();
    assert_eq!(
        releases.len(),
        3,
        "{:?}",
        got.iter()
            .map(|m| m
                .lines()
                .find(|l| l.starts_with("Subject"))
                .unwrap_or("")
                .to_string())
            .collect::<Vec<_>>()
    );
    let to_alice = plain(
        releases
            .iter()
            .find(|m| to_of(m) == "alice@example.com")
            .unwrap(),
    );
    assert!(
        to_alice.contains("You remain under 1 other legal hold: Regulator inquiry"),
        "{to_alice}"
    );
    let to_bob = plain(
        releases
            .iter()
            .find(|m| to_of(m) == "bob@example.com")
            .unwrap(),
    );
    assert!(
        to_bob.contains("go back to the normal retention schedule"),
        "{to_bob}"
    );
    // Links of a released hold open nothing and change nothing.
    let r = t.client().get(&bob_link).await;
    assert_eq!(r.status(), 410);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("This hold has been released")
    );
    let mut bob = t.client();
    bob.page("/login").await;
    let r = bob
        .post(&bob_link, &[("q0", "late"), ("confirm", "yes")])
        .await;
    assert_eq!(r.status(), 410);
    assert_eq!(
        count(
            &t,
            "SELECT COUNT(*) FROM hold_custodians WHERE acknowledged_at IS NOT NULL"
        )
        .await,
        1,
        "only Alice, on the first hold"
    );

    // No more reminders for a released hold.
    t.app.clock.advance(days(3));
    let before = t.smtp.received().len();
    lexops::records::notices::run_schedule(&t.app)
        .await
        .unwrap();
    jobs::drain(&t.app).await.unwrap();
    let after = t.smtp.received();
    assert!(
        after[before..]
            .iter()
            .all(|m| to_of(m) == "alice@example.com"),
        "only the other hold's reminders"
    );

    // The defensibility record: who was notified, reminded, escalated, who acknowledged, answers.
    let mut ops = t.signed_in(Role::LegalOps).await;
    let csv = ops
        .get(&format!("/holds/{hold}/report.csv"))
        .await
        .text()
        .await
        .unwrap();
    let mut rdr = csv::Reader::from_reader(csv.as_bytes());
    let headers = rdr.headers().unwrap().clone();
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let row = |email: &str| {
        rows.iter()
            .find(|r| &r[col("email")] == email)
            .unwrap()
            .clone()
    };
    assert_eq!(rows.len(), 3);
    assert!(!row("alice@example.com")[col("acknowledged_at")].is_empty());
    assert_eq!(
        &row("alice@example.com")[col("answers")],
        "Where do you keep documents about Widget?: Procurement share, folder Widget"
    );
    assert_eq!(&row("bob@example.com")[col("reminders")], "2");
    assert!(!row("bob@example.com")[col("escalated_at")].is_empty());
    assert!(row("carol@example.com")[col("escalated_at")].is_empty());
    assert_eq!(&row("bob@example.com")[col("state")], "released");
    // The same record as PDF, for the file.
    let r = ops.get(&format!("/holds/{hold}/report.pdf")).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    let bytes = r.bytes().await.unwrap();
    // Kept next to the screenshots, to be looked at.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("hold-report-{:?}.pdf", t.backend)), &bytes).unwrap();
    let pdf = String::from_utf8_lossy(&bytes).to_string();
    assert!(pdf.starts_with("%PDF-") && pdf.contains("(Legal hold report: Acme v. Widget)"));
    assert!(
        pdf.contains("(bob@example.com)")
            && pdf.contains("(escalation)")
            && pdf.contains("(released)"),
        "{pdf}"
    );
    // Per custodian: every hold they are on.
    let alice_id = count(
        &t,
        "SELECT id FROM custodians WHERE email = 'alice@example.com'",
    )
    .await;
    let page = ops.page(&format!("/holds/custodians/{alice_id}")).await;
    assert!(
        page.contains("Under 1 active legal hold")
            && page.contains("Acme v. Widget")
            && page.contains("Regulator inquiry"),
        "{page}"
    );
    // Every step is audited.
    for action in [
        "hold.create",
        "hold.custodians_add",
        "hold.acknowledge",
        "hold.release",
    ] {
        assert!(
            count(
                &t,
                &format!("SELECT COUNT(*) FROM audit_events WHERE action = '{action}'")
            )
            .await
                >= 1,
            "{action}"
        );
    }

    // Releasing the last hold on Alice returns her records to their schedule.
    let r = api
        .post(t.url(&format!("/api/v1/holds/{second_id}/release")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let sweep = lexops::records::disposition::sweep(&t.app, true)
        .await
        .unwrap();
    assert_eq!((sweep.listed_count, sweep.held_count), (2, 0));
}

both!(an_expired_link_shows_a_clear_page_and_changes_nothing);
async fn an_expired_link_shows_a_clear_page_and_changes_nothing(t: TestApp) {
    t.matter("M-HOLD").await;
    let mut ops = t.signed_in(Role::LegalOps).await;
    ops.page("/holds/custodians").await;
    ops.upload_file(
        "/holds/custodians/import",
        "directory.csv",
        DIRECTORY.as_bytes(),
    )
    .await;
    ops.page("/holds/new").await;
    let r = ops
        .post(
            "/holds",
            &[
                ("name", "Short links"),
                ("matter", "M-HOLD"),
                ("custodians", "bob@example.com"),
                ("link_days", "2"),
                ("reminder_days", "0"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    jobs::drain(&t.app).await.unwrap();
    let link = link_in(&t.smtp.received()[0]);
    assert_eq!(t.client().get(&link).await.status(), 200);
    t.app.clock.advance(days(3));
    let r = t.client().get(&link).await;
    assert_eq!(r.status(), 410);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("This link has expired") && body.contains("Nothing was recorded"),
        "{body}"
    );
    let mut bob = t.client();
    bob.page("/login").await;
    assert_eq!(bob.post(&link, &[("confirm", "yes")]).await.status(), 410);
    assert_eq!(
        count(
            &t,
            "SELECT COUNT(*) FROM hold_custodians WHERE acknowledged_at IS NOT NULL"
        )
        .await,
        0
    );
    // A reminder brings a fresh link that works. (Days have passed: sign in again.)
    let mut ops = t.signed_in(Role::LegalOps).await;
    let hold = count(&t, "SELECT id FROM legal_holds").await;
    ops.page(&format!("/holds/{hold}")).await;
    assert_eq!(
        ops.post(&format!("/holds/{hold}/remind"), &[])
            .await
            .status(),
        303
    );
    jobs::drain(&t.app).await.unwrap();
    let fresh = link_in(t.smtp.received().last().unwrap());
    assert_ne!(fresh, link);
    let mut bob = t.client();
    bob.page(&fresh).await;
    assert_eq!(bob.post(&fresh, &[("confirm", "yes")]).await.status(), 303);
    assert_eq!(
        count(
            &t,
            "SELECT COUNT(*) FROM hold_custodians WHERE acknowledged_at IS NOT NULL"
        )
        .await,
        1
    );
}

both!(holds_are_for_holds_managers_only);
async fn holds_are_for_holds_managers_only(t: TestApp) {
    for role in [
        Role::Paralegal,
        Role::Requester,
        Role::Vendor,
        Role::Custodian,
    ] {
        let b: Browser = t.signed_in(role).await;
        assert_eq!(b.get("/holds/new").await.status(), 403, "{role:?}");
        let r = t
            .client()
            .http
            .get(t.url("/api/v1/holds"))
            .bearer_auth(t.token(role).await)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "{role:?}");
    }
}
