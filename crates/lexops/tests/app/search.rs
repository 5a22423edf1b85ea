//! Full-text search of records: the text of PDF, Word, email and text documents is read in the
//! background (PDF in a child process), searched with words, phrases, exclusions and OR, shown
//! in the preview, replaced with a new version, removed with a destroyed record, and hidden
//! behind a matter's ethical wall.

use lexops::platform::access::Role;
use serde_json::Value;

use crate::both;
use crate::harness::TestApp;
use crate::records::{api_add_record as add, api_import_plan, item_id};

const PLAN: &str = "code,title,description,owner,trigger,period,cutoff,disposition,citation
TMP-1,Working papers,,Legal,created,1y,none,destroy,
KEEP-1,Contracts,,Legal,created,permanent,none,keep,
";

const EML: &str = "From: Dana Whitfield <dana@acme.example>\r\nTo: Legal Ops <legalops@acme.example>\r\nSubject: Preservation of the Hendricks files\r\nDate: Tue, 3 Nov 2026 09:15:00 -0500\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Please keep the <b>Hendricks</b> warehouse invoices under the legal hold.</p>\r\n";

fn pdf(lines: &[&str]) -> Vec<u8> {
    lexops::platform::pdf::Report {
        title: "Board resolution".into(),
        subtitle: "2024".into(),
        footer: "test".into(),
        blocks: lines
            .iter()
            .map(|l| lexops::platform::pdf::Block::Paragraph(l.to_string()))
            .collect(),
    }
    .render()
}

async fn search(t: &TestApp, token: &str, q: &str) -> (Vec<String>, Vec<Option<String>>) {
    let url = reqwest::Url::parse_with_params(&t.url("/api/v1/records"), &[("q", q)]).unwrap();
    let v: Value = reqwest::Client::new()
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let items = v["items"].as_array().unwrap();
    assert_eq!(v["total"].as_u64().unwrap() as usize, items.len(), "{v}");
    let mut names: Vec<String> = items
        .iter()
        .map(|i| i["filename"].as_str().unwrap().to_string())
        .collect();
    let snippets = items
        .iter()
        .map(|i| i["snippet"].as_str().map(str::to_string))
        .collect();
    names.sort();
    (names, snippets)
}

async fn state(t: &TestApp, id: i64) -> (String, String) {
    sqlx::query_as("SELECT text_state, text_note FROM records WHERE id = $1")
        .bind(id)
        .fetch_one(t.app.db.pool())
        .await
        .unwrap()
}

both!(records_are_found_by_the_words_in_their_documents);
async fn records_are_found_by_the_words_in_their_documents(t: TestApp) {
    let http = reqwest::Client::new();
    let ops = t.token(Role::LegalOps).await;
    api_import_plan(&t, &ops, PLAN).await;
    // A confidential matter: its creator is on the wall, nobody else.
    let r = http
        .post(t.url("/api/v1/matters"))
        .bearer_auth(&ops)
        .json(&serde_json::json!({"number": "INV-FALCON", "name": "Investigation Falcon", "type": "regulatory", "confidential": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());

    let docx = evidence::simple_docx(
        "Master services agreement",
        "Legal",
        "CONFIDENTIAL",
        &[
            "Section 9. Indemnification",
            "The supplier shall indemnify the customer against third-party claims.",
        ],
    );
    let msa = add(&t, &ops, "msa.docx", "KEEP-1", "", docx).await;
    let mail = add(
        &t,
        &ops,
        "hendricks.eml",
        "TMP-1",
        "",
        EML.as_bytes().to_vec(),
    )
    .await;
    let board = add(
        &t,
        &ops,
        "resolution.pdf",
        "KEEP-1",
        "",
        pdf(&["The board approved the dividend and the warehouse lease renewal."]),
    )
    .await;
    let note = add(
        &t,
        &ops,
        "note.txt",
        "TMP-1",
        "",
        b"Call notes: the legal hold covers the draft warehouse plans.".to_vec(),
    )
    .await;
    let scan = add(
        &t,
        &ops,
        "scan.png",
        "TMP-1",
        "",
        b"\x89PNG\r\n\x1a\nnot really".to_vec(),
    )
    .await;
    let broken = add(
        &t,
        &ops,
        "broken.pdf",
        "TMP-1",
        "",
        b"%PDF-1.4\n1 0 obj << /Type /Catalog >> garbage".to_vec(),
    )
    .await;
    let secret = add(
        &t,
        &ops,
        "falcon-interview.txt",
        "TMP-1",
        "INV-FALCON",
        b"Interview notes: the warehouse manager admitted the backdating.".to_vec(),
    )
    .await;

    // Until the background job has read them, only titles and names are searched, and the
    // preview says the text is being read.
    assert_eq!(state(&t, msa).await.0, "pending");
    assert!(search(&t, &ops, "indemnify").await.0.is_empty());
    let mut b = t.signed_in(Role::LegalOps).await;
    let page = b.page(&format!("/records/{msa}/preview")).await;
    assert!(page.contains("being read"), "{page}");
    lexops::platform::jobs::drain(&t.app).await.unwrap();
    for id in [msa, mail, board, note, secret] {
        assert_eq!(
            state(&t, id).await,
            ("indexed".into(), String::new()),
            "record {id}"
        );
    }
    assert_eq!(state(&t, scan).await.0, "none");
    let (s, why) = state(&t, broken).await;
    assert_eq!(s, "failed");
    assert!(!why.is_empty());

    // Words, stems, phrases, exclusions, OR, fields of an email; the snippet marks the match.
    let (names, snippets) = search(&t, &ops, "indemnify").await;
    assert_eq!(names, ["msa.docx"]);
    assert!(
        snippets[0].as_deref().unwrap().contains("[indemnify]"),
        "{snippets:?}"
    );
    assert_eq!(search(&t, &ops, "Hendricks").await.0, ["hendricks.eml"]);
    assert_eq!(
        search(&t, &ops, "dana@acme.example").await.0,
        ["hendricks.eml"]
    );
    assert_eq!(search(&t, &ops, "dividend").await.0, ["resolution.pdf"]);
    assert_eq!(
        search(&t, &ops, "warehouse").await.0,
        [
            "falcon-interview.txt",
            "hendricks.eml",
            "note.txt",
            "resolution.pdf"
        ]
    );
    assert_eq!(
        search(&t, &ops, "warehouse -hold").await.0,
        ["falcon-interview.txt", "resolution.pdf"]
    );
    assert_eq!(
        search(&t, &ops, "\"legal hold\"").await.0,
        ["hendricks.eml", "note.txt"]
    );
    assert_eq!(
        search(&t, &ops, "dividend OR indemnify").await.0,
        ["msa.docx", "resolution.pdf"]
    );
    // Nothing the user types is read as query syntax.
    assert!(search(&t, &ops, "NEAR(\"x\" AND col:*").await.0.is_empty());
    assert!(search(&t, &ops, "\"").await.0.is_empty());
    // A name match still works without any text match, with no snippet.
    let (names, snippets) = search(&t, &ops, "msa").await;
    assert_eq!(names, ["msa.docx"]);
    assert_eq!(snippets, [None]);

    // The ethical wall: off the wall, the walled matter's record is absent everywhere.
    let auditor = t.token(Role::Auditor).await;
    assert_eq!(
        search(&t, &auditor, "warehouse").await.0,
        ["hendricks.eml", "note.txt", "resolution.pdf"]
    );
    assert!(search(&t, &auditor, "backdating").await.0.is_empty());
    for path in [
        format!("/api/v1/records/{secret}"),
        format!("/api/v1/records/{secret}/text"),
    ] {
        let r = http
            .get(t.url(&path))
            .bearer_auth(&auditor)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "{path}");
    }
    assert_eq!(
        search(&t, &ops, "backdating").await.0,
        ["falcon-interview.txt"]
    );
    // A hold of the walled matter is as absent as the matter to legal ops off the wall.
    let r = http
        .post(t.url("/api/v1/custodians/import"))
        .bearer_auth(&ops)
        .body("name,email,department\nDana Whitfield,dana@acme.example,Operations\n")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let dana: i64 =
        sqlx::query_scalar("SELECT id FROM custodians WHERE email = 'dana@acme.example'")
            .fetch_one(t.app.db.pool())
            .await
            .unwrap();
    let r = http
        .post(t.url("/api/v1/holds"))
        .bearer_auth(&ops)
        .json(&serde_json::json!({"name": "Falcon preservation", "matter": "INV-FALCON", "preserve_matter": false, "folders": ["falcon"], "custodians": ["dana@acme.example"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let hold = r.json::<Value>().await.unwrap()["hold"]["id"]
        .as_i64()
        .unwrap();
    let other_ops = t.token(Role::LegalOps).await;
    let listed = |token: String| {
        let http = http.clone();
        let url = t.url("/api/v1/holds");
        async move {
            let v: Value = http
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            v.as_array()
                .unwrap()
                .iter()
                .filter(|h| h["id"] == hold)
                .count()
        }
    };
    assert_eq!(listed(ops.clone()).await, 1);
    assert_eq!(listed(other_ops.clone()).await, 0);
    for (method, path) in [
        (reqwest::Method::GET, format!("/api/v1/holds/{hold}")),
        (
            reqwest::Method::POST,
            format!("/api/v1/holds/{hold}/remind"),
        ),
        (
            reqwest::Method::POST,
            format!("/api/v1/holds/{hold}/release"),
        ),
    ] {
        let r = http
            .request(method, t.url(&path))
            .bearer_auth(&other_ops)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "{path}");
    }

    // The text through the API (audited as a read) and in the preview page (escaped).
    let v: Value = http
        .get(t.url(&format!("/api/v1/records/{mail}/text")))
        .bearer_auth(&auditor)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["state"], "indexed");
    let text = v["text"].as_str().unwrap();
    assert!(
        text.starts_with("From: Dana Whitfield <dana@acme.example>\n"),
        "{text}"
    );
    assert!(text.contains("Subject: Preservation of the Hendricks files"));
    assert!(text.contains("Please keep the Hendricks warehouse invoices"));
    let reads: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_events WHERE action = 'record.read_text' AND object_id = $1",
    )
    .bind(mail.to_string())
    .fetch_one(t.app.db.pool())
    .await
    .unwrap();
    assert_eq!(reads, 1);
    let page = b.page(&format!("/records/{mail}/preview")).await;
    assert!(
        page.contains("From: Dana Whitfield &#60;dana@acme.example&#62;"),
        "{page}"
    );
    assert!(!page.contains("<b>Hendricks</b>"));
    let page = b.page(&format!("/records/{board}/preview")).await;
    assert!(page.contains("warehouse lease renewal"));
    let page = b.page(&format!("/records/{broken}/preview")).await;
    assert!(page.contains("could not be read"));
    // The list page marks the match inside escaped text.
    let page = b.page("/records?q=indemnify").await;
    assert!(page.contains("<mark>indemnify</mark>"), "{page}");

    // A new version replaces the text: the old words are no longer found.
    let r = http
        .post(t.url(&format!("/api/v1/records/{msa}/versions")))
        .bearer_auth(&ops)
        .header("X-Filename", "msa-v2.docx")
        .header("X-Note", "signed version")
        .body(evidence::simple_docx(
            "MSA",
            "Legal",
            "",
            &["Limitation of liability: twelve months of fees."],
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    lexops::platform::jobs::drain(&t.app).await.unwrap();
    assert!(search(&t, &ops, "indemnify").await.0.is_empty());
    assert_eq!(search(&t, &ops, "liability").await.0, ["msa-v2.docx"]);

    // A destroyed record's words leave the index in the destroying transaction.
    t.app
        .clock
        .advance(jiff::SignedDuration::from_hours(24 * 365 * 7));
    let r = http
        .post(t.url("/api/v1/disposition/sweep"))
        .bearer_auth(&ops)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let item = item_id(&t, note).await;
    let r = http
        .post(t.url("/api/v1/disposition/decisions"))
        .bearer_auth(&ops)
        .json(&serde_json::json!({"items": [item], "decision": "approve"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM record_text WHERE rowid = $1")
        .bind(note)
        .fetch_one(t.app.db.pool())
        .await
        .unwrap();
    assert_eq!(left, 0);
    if t.backend == crate::harness::Backend::Sqlite {
        // Indexing turns FTS5's secure delete off only inside its own transactions.
        let on: i64 =
            sqlx::query_scalar("SELECT v FROM record_text_config WHERE k = 'secure-delete'")
                .fetch_one(t.app.db.pool())
                .await
                .unwrap();
        assert_eq!(on, 1);
    }
    assert!(
        search(&t, &ops, "\"draft warehouse plans\"")
            .await
            .0
            .is_empty()
    );
    // The review list and the custodian's page show the walled matter's record and hold only
    // to those on the wall.
    // (Fresh sessions: the clock moved seven years.)
    let mut off_wall = t.client();
    t.user("offwall@example.com", Role::LegalOps).await;
    off_wall
        .sign_in("offwall@example.com", crate::harness::PASSWORD)
        .await;
    let mut insider = t.client();
    let insider_id = t.user("insider@example.com", Role::LegalOps).await;
    sqlx::query("INSERT INTO object_walls (object_type, object_id, user_id) SELECT 'matter', id, $1 FROM matters WHERE number = 'INV-FALCON'")
        .bind(insider_id)
        .execute(t.app.db.pool())
        .await
        .unwrap();
    insider
        .sign_in("insider@example.com", crate::harness::PASSWORD)
        .await;
    let review = "/records/disposition";
    assert!(insider.page(review).await.contains("falcon-interview.txt"));
    assert!(!off_wall.page(review).await.contains("falcon-interview"));
    let custodian_page = format!("/holds/custodians/{dana}");
    assert!(
        insider
            .page(&custodian_page)
            .await
            .contains("Falcon preservation")
    );
    assert!(!off_wall.page(&custodian_page).await.contains("Falcon"));
}

/// The PDF reader runs in a child process with a time limit: one that never answers is killed,
/// the record says why, and the other documents are read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pdf_reader_that_hangs_is_stopped_and_the_rest_are_read() {
    let scripts = tempfile::tempdir().unwrap();
    let hang = scripts.path().join("hang.sh");
    std::fs::write(&hang, "#!/bin/sh\nexec sleep 30\n").unwrap();
    std::fs::set_permissions(&hang, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let t = TestApp::spawn_with(crate::harness::Backend::Sqlite, |s| {
        s.extract_exe = Some(hang.clone());
        s.extract_timeout_secs = 1;
    })
    .await
    .unwrap();
    let ops = t.token(Role::LegalOps).await;
    let slow = add(&t, &ops, "slow.pdf", "", "", pdf(&["never read"])).await;
    let note = add(
        &t,
        &ops,
        "note.txt",
        "",
        "",
        b"quarterly compliance attestation".to_vec(),
    )
    .await;
    let started = std::time::Instant::now();
    lexops::platform::jobs::drain(&t.app).await.unwrap();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(25),
        "the reader was not stopped"
    );
    let (s, why) = state(&t, slow).await;
    assert_eq!(s, "failed");
    assert!(why.contains("longer than 1 s"), "{why}");
    assert_eq!(state(&t, note).await.0, "indexed");
    assert_eq!(search(&t, &ops, "attestation").await.0, ["note.txt"]);
}
