//! The `lexops` binary as an operator uses it: users, audit and document verification, backup
//! and restore, start-up refusals, PostgreSQL by URL, and a `kill -9` in the middle of writes.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use lexops::App;
use lexops::platform::access::{CurrentUser, Role};
use lexops::platform::config::Settings;

use crate::harness::{PgDatabase, postgres_url};

fn lexops(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_lexops"));
    c.args(args)
        .arg("--data-dir")
        .arg(dir)
        .env_remove("LEXOPS_DATABASE_URL")
        .env_remove("LEXOPS_MASTER_KEY")
        .env("RUST_LOG", "warn");
    c
}

fn run(dir: &Path, args: &[&str]) -> Output {
    lexops(dir, args).output().unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn users_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let o = lexops(
        dir.path(),
        &[
            "user",
            "add",
            "--email",
            "Ops@Example.com",
            "--name",
            "Olga Ops",
            "--role",
            "legal-ops",
        ],
    )
    .env("LEXOPS_NEW_PASSWORD", "a very long password")
    .output()
    .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let o = lexops(
        dir.path(),
        &[
            "user",
            "add",
            "--email",
            "x@example.com",
            "--name",
            "X",
            "--role",
            "king",
        ],
    )
    .env("LEXOPS_NEW_PASSWORD", "a very long password")
    .output()
    .unwrap();
    assert!(!o.status.success());
    assert!(text(&o).contains("role: Choose one of"), "{}", text(&o));
    let o = run(dir.path(), &["user", "list", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v[0]["email"], "ops@example.com");
    assert_eq!(v[0]["role"], "legal_ops");
    let o = run(dir.path(), &["user", "disable", "ops@example.com"]);
    assert!(o.status.success(), "{}", text(&o));
    let o = run(dir.path(), &["user", "list"]);
    assert!(text(&o).contains("disabled"));
    let o = run(dir.path(), &["audit", "verify"]);
    assert!(o.status.success());
    assert!(text(&o).contains("2 events verified"), "{}", text(&o));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_verify_names_the_tampered_event() {
    let dir = tempfile::tempdir().unwrap();
    assert!(
        run(dir.path(), &["demo", "--scale", "tiny"])
            .status
            .success()
    );
    let db = lexops::platform::db::Db::connect(&format!(
        "sqlite://{}",
        dir.path().join("lexops.db").display()
    ))
    .await
    .unwrap();
    let mut tx = db.begin().await.unwrap();
    sqlx::query("UPDATE audit_events SET after_json = '{\"role\":\"admin\"}' WHERE seq = 4")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    db.close().await;
    let o = run(dir.path(), &["audit", "verify"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("BROKEN at event 4"), "{}", text(&o));
    let o = run(dir.path(), &["audit", "verify", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["first_broken_seq"], 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_and_restore() {
    let dir = tempfile::tempdir().unwrap();
    assert!(
        run(dir.path(), &["demo", "--scale", "tiny"])
            .status
            .success()
    );
    let app = App::open(Settings::for_data_dir(dir.path())).await.unwrap();
    // The demo's invoices went through the real intake: their stored totals and the dashboard
    // rollups agree with their flags and line items.
    assert_eq!(
        lexops::spend::review::verify_totals(&app.db).await.unwrap(),
        Vec::<String>::new()
    );
    assert_eq!(
        lexops::spend::rollup::verify(&app.db).await.unwrap(),
        Vec::<String>::new()
    );
    let sha = lexops::platform::blobs::put(&app, b"retention schedule v3")
        .await
        .unwrap();
    // The backup is taken while the application is open (online).
    let file = dir.path().join("../backup-test.tar");
    let o = run(dir.path(), &["backup", file.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    app.db.close().await;
    let target = tempfile::tempdir().unwrap();
    let restored = target.path().join("restored");
    // Restoring over existing data is refused.
    let o = run(dir.path(), &["restore", file.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(text(&o).contains("not empty"));
    let o = run(&restored, &["restore", file.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    // Without the master key the restored data cannot be opened; with it, everything checks out.
    std::fs::copy(dir.path().join("master.key"), restored.join("master.key")).unwrap();
    let o = run(&restored, &["blobs", "verify"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains(", 0 problems"), "{}", text(&o));
    assert!(run(&restored, &["audit", "verify"]).status.success());
    let app = App::open(Settings::for_data_dir(&restored)).await.unwrap();
    assert_eq!(
        lexops::platform::blobs::get(&app, &sha).await.unwrap(),
        b"retention schedule v3"
    );
    let o = run(&restored, &["user", "list"]);
    assert!(text(&o).contains("admin@demo.lexops.test"));
    std::fs::remove_file(file).ok();
}

#[test]
fn refuses_to_start_with_one_clear_sentence() {
    let dir = tempfile::tempdir().unwrap();
    // An unreachable database.
    let o = lexops(dir.path(), &["user", "list"])
        .env(
            "LEXOPS_DATABASE_URL",
            "postgres://lexops:secret@127.0.0.1:1/nowhere",
        )
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let t = text(&o);
    assert!(
        t.contains("Cannot open the database at postgres://lexops:***@127.0.0.1:1/nowhere"),
        "{t}"
    );
    assert!(!t.contains("secret"));
    // A data directory that cannot be written.
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"x").unwrap();
    let o = run(&file.join("data"), &["user", "list"]);
    assert!(text(&o).contains("is not writable"), "{}", text(&o));
    // A wrong master key.
    let data = dir.path().join("data");
    assert!(run(&data, &["user", "list"]).status.success());
    let o = lexops(&data, &["user", "list"])
        .env("LEXOPS_MASTER_KEY", "11".repeat(32))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("is not the key this database was created with"),
        "{}",
        text(&o)
    );
    // A missing key file for an existing database.
    std::fs::remove_file(data.join("master.key")).unwrap();
    let o = run(&data, &["user", "list"]);
    assert!(
        text(&o).contains("master key file") && text(&o).contains("is missing"),
        "{}",
        text(&o)
    );
}

#[test]
fn runs_on_postgresql_by_url() {
    let Some(server) = postgres_url() else {
        eprintln!("skipped: LEXOPS_TEST_POSTGRES_URL is not set");
        return;
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = rt.block_on(PgDatabase::create(&server));
    let dir = tempfile::tempdir().unwrap();
    let o = lexops(dir.path(), &["demo", "--scale", "tiny"])
        .env("LEXOPS_DATABASE_URL", &db.url)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let o = lexops(dir.path(), &["user", "list", "--json"])
        .env("LEXOPS_DATABASE_URL", &db.url)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 9);
    assert!(
        !dir.path().join("lexops.db").exists(),
        "nothing was written to SQLite"
    );
    drop(db);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_loses_no_acknowledged_write() {
    let dir = tempfile::tempdir().unwrap();
    let app = App::open(Settings::for_data_dir(dir.path())).await.unwrap();
    let admin = lexops::platform::users::create(
        &app,
        &lexops::platform::audit::Actor::system("test"),
        lexops::platform::users::NewUser {
            email: "root@example.com".into(),
            name: "Root".into(),
            role: "admin".into(),
            password: None,
            totp_required: false,
        },
    )
    .await
    .unwrap();
    let me = CurrentUser {
        id: admin.id,
        email: admin.email.clone(),
        name: admin.name.clone(),
        role: Role::Admin,
        via_token: false,
        vendor_id: None,
    };
    let token = lexops::platform::auth::issue_token(&app, &me, "kill test", None)
        .await
        .unwrap()
        .secret;
    app.db.close().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = lexops(
        dir.path(),
        &["serve", "--listen", &format!("127.0.0.1:{port}")],
    )
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    for _ in 0..200 {
        if http
            .get(format!("{base}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // Four writers create users as fast as they can; the server is killed mid-stream.
    let acked = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let mut writers = vec![];
    for w in 0..4 {
        let (http, base, token, acked) = (http.clone(), base.clone(), token.clone(), acked.clone());
        writers.push(tokio::spawn(async move {
            for i in 0.. {
                let email = format!("w{w}-{i}@example.com");
                let r = http
                    .post(format!("{base}/api/v1/users"))
                    .bearer_auth(&token)
                    .json(
                        &serde_json::json!({"email": email, "name": "Writer", "role": "requester"}),
                    )
                    .send()
                    .await;
                match r {
                    Ok(r) if r.status() == 201 => acked.lock().unwrap().push(email),
                    Ok(r) => panic!("unexpected status {}", r.status()),
                    Err(_) => break,
                }
            }
        }));
    }
    while acked.lock().unwrap().len() < 60 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    for w in writers {
        w.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    let app = App::open(Settings::for_data_dir(dir.path())).await.unwrap();
    for email in &acked {
        assert!(
            lexops::platform::users::by_email(&app, email)
                .await
                .unwrap()
                .is_some(),
            "{email} was acknowledged but lost"
        );
    }
    let report = lexops::platform::audit::verify(&app.db).await.unwrap();
    assert!(report.ok, "{report:?}");
    let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    let created: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'user.create'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!(
        users, created,
        "every stored user has its audit event and no event lacks its user"
    );
    assert!(users as usize > acked.len());
}

#[test]
fn ledes_validate_and_convert_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../ledes/tests/fixtures/sample_1998b.txt");
    let o = run(
        dir.path(),
        &["ledes", "validate", fixture.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        text(&o).contains("2 invoice(s), 6 line item(s): 0 error(s)"),
        "{}",
        text(&o)
    );
    // One wrong line total: exit 1, and the report names the file line, field and invoice.
    let good = std::fs::read_to_string(&fixture).unwrap();
    let bad_text = good.replacen("|1|F|2.00|-70|630|", "|1|F|3.00|-70|630|", 1);
    assert_ne!(bad_text, good, "the fixture's first fee line changed shape");
    let bad = dir.path().join("bad.txt");
    std::fs::write(&bad, bad_text).unwrap();
    let o = run(dir.path(), &["ledes", "validate", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let t = text(&o);
    assert!(
        t.contains("bad.txt:3: error [field LINE_ITEM_TOTAL, invoice 96542, line 1]"),
        "{t}"
    );
    let o = run(
        dir.path(),
        &[
            "ledes",
            "validate",
            "--json",
            bad.to_str().unwrap(),
            fixture.to_str().unwrap(),
        ],
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["ok"], false);
    assert_eq!(v["files"][0]["errors"], 1);
    assert_eq!(v["files"][1]["ok"], true);
    // Convert to XML 2.1 and back: the same invoices.
    let xml = dir.path().join("out.xml");
    let o = run(
        dir.path(),
        &[
            "ledes",
            "convert",
            fixture.to_str().unwrap(),
            "--to",
            "xml2.1",
            "-o",
            xml.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let o = run(dir.path(), &["ledes", "validate", xml.to_str().unwrap()]);
    assert!(
        text(&o).contains("2 invoice(s), 6 line item(s): 0 error(s)"),
        "{}",
        text(&o)
    );
    let o = run(
        dir.path(),
        &[
            "ledes",
            "convert",
            fixture.to_str().unwrap(),
            "--to",
            "fancy",
        ],
    );
    assert!(!o.status.success());
}

#[test]
fn import_matters_and_invoices_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    assert!(
        run(dir.path(), &["demo", "--scale", "tiny"])
            .status
            .success()
    );
    let csv = dir.path().join("matters.csv");
    std::fs::write(
        &csv,
        "number,name,type,status\nCLI-1,Imported from the shell,advisory,open\n",
    )
    .unwrap();
    let o = run(
        dir.path(),
        &[
            "import",
            "matters",
            csv.to_str().unwrap(),
            "--as",
            "legalops@demo.lexops.test",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("1 created, 0 updated, 0 unchanged"));
    let o = run(
        dir.path(),
        &[
            "import",
            "matters",
            csv.to_str().unwrap(),
            "--as",
            "requester@demo.lexops.test",
        ],
    );
    assert!(!o.status.success());
    assert!(text(&o).contains("may not import matters"));
    let bad = dir.path().join("bad.txt");
    std::fs::write(&bad, "LEDES1998B[]\nnot|a|header[]\n").unwrap();
    let o = run(
        dir.path(),
        &[
            "import",
            "invoices",
            bad.to_str().unwrap(),
            "--as",
            "legalops@demo.lexops.test",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    let t = text(&o);
    assert!(
        t.contains("REJECTED, nothing stored") && t.contains("bad.txt:2"),
        "{t}"
    );
    let o = run(
        dir.path(),
        &[
            "import",
            "invoices",
            bad.to_str().unwrap(),
            "--as",
            "legalops@demo.lexops.test",
            "--json",
        ],
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["rejected"], 1);
    // The file plan (the demo's has 14 categories): a wrong row names its line and column and
    // imports nothing; the right file imports once; a paralegal may not change it.
    let plan = dir.path().join("plan.csv");
    std::fs::write(
        &plan,
        "code,title,trigger,period,cutoff,disposition\nTEST-1,Contracts,contract_expiry,7y,fiscal_year,destroy\nTEST-2,Personnel,employee_termination,6y,year,shred\n",
    )
    .unwrap();
    let args = |who: &'static str| {
        vec![
            "import".to_string(),
            "file-plan".to_string(),
            plan.to_str().unwrap().to_string(),
            "--as".to_string(),
            who.to_string(),
        ]
    };
    let o = run(dir.path(), &strs(&args("legalops@demo.lexops.test")));
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).contains("plan.csv:3: column disposition"),
        "{}",
        text(&o)
    );
    std::fs::write(
        &plan,
        "code,title,trigger,period,cutoff,disposition\nTEST-1,Contracts,contract_expiry,7y,fiscal_year,destroy\nTEST-2,Personnel,employee_termination,6y,year,destroy\n",
    )
    .unwrap();
    let o = run(dir.path(), &strs(&args("legalops@demo.lexops.test")));
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains(
            "2 created, 0 updated, 0 unchanged, 14 not in the file; the file plan is now version 2"
        ),
        "{}",
        text(&o)
    );
    let o = run(dir.path(), &strs(&args("legalops@demo.lexops.test")));
    assert!(
        text(&o).contains("0 created, 0 updated, 2 unchanged"),
        "{}",
        text(&o)
    );
    let o = run(dir.path(), &strs(&args("paralegal@demo.lexops.test")));
    assert!(!o.status.success());
    assert!(
        text(&o).contains("may not change the file plan"),
        "{}",
        text(&o)
    );
    // A folder of documents becomes records, each keeping its folder, classified by the
    // folder mapping; a wrong mapping imports nothing; running it again adds nothing.
    let docs = dir.path().join("share");
    std::fs::create_dir_all(docs.join("contracts/signed")).unwrap();
    std::fs::create_dir_all(docs.join("hr")).unwrap();
    std::fs::write(docs.join("contracts/signed/msa.pdf"), b"%PDF msa").unwrap();
    std::fs::write(docs.join("contracts/draft.docx"), b"PK draft").unwrap();
    std::fs::write(docs.join("hr/offer.txt"), b"offer letter").unwrap();
    let folder = |maps: &[&str]| {
        let mut v = vec![
            "import".to_string(),
            "records".to_string(),
            docs.to_str().unwrap().to_string(),
            "--as".to_string(),
            "legalops@demo.lexops.test".to_string(),
            "--category".to_string(),
            "LEG-210".to_string(),
        ];
        for m in maps {
            v.push("--map".into());
            v.push(m.to_string());
        }
        v
    };
    let o = run(
        dir.path(),
        &strs(&folder(&["contracts/signed=LEG-100", "hr=NOPE"])),
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("There is no category NOPE"),
        "{}",
        text(&o)
    );
    let mapped = folder(&["contracts/signed=LEG-100", "hr=HR-100"]);
    let o = run(dir.path(), &strs(&mapped));
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("3 added, 0 already kept"), "{}", text(&o));
    let o = run(dir.path(), &strs(&mapped));
    assert!(text(&o).contains("0 added, 3 already kept"), "{}", text(&o));
    let rows: Vec<(String, String, String)> = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(async {
            let db = lexops::platform::db::Db::connect(&format!(
                "sqlite://{}",
                dir.path().join("lexops.db").display()
            ))
            .await
            .unwrap();
            sqlx::query_as(
                "SELECT r.folder, r.filename, c.code FROM records r JOIN record_categories c ON c.id = r.category_id WHERE r.filename IN ('draft.docx', 'msa.pdf', 'offer.txt') ORDER BY r.folder, r.filename",
            )
            .fetch_all(db.pool())
            .await
            .unwrap()
        });
    let directory = dir.path().join("directory.csv");
    std::fs::write(
        &directory,
        "name,email,department\nJane Doe,jane@example.com,Sales\nJane Doe,JANE@example.com,Sales EMEA\n",
    )
    .unwrap();
    let d = directory.to_str().unwrap();
    let o = run(
        dir.path(),
        &[
            "import",
            "custodians",
            d,
            "--as",
            "legalops@demo.lexops.test",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("1 created, 0 updated, 0 unchanged, 1 merged"),
        "{}",
        text(&o)
    );
    let o = run(dir.path(), &["records", "sweep", "--dry-run", "--json"]);
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["dry_run"], true);
    let o = run(dir.path(), &["records", "sweep"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("record(s) put on the review list"),
        "{}",
        text(&o)
    );
    // Their text read now (the workers would do it in the background), then searched.
    let o = run(dir.path(), &["records", "index", "--json"]);
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        (v["indexed"].as_u64(), v["failed"].as_u64()),
        (Some(1), Some(0)),
        "{v}"
    );
    let o = run(dir.path(), &["records", "search", "offer letter", "--json"]);
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["total"], 1, "{v}");
    assert_eq!(v["items"][0]["record"]["filename"], "offer.txt");
    assert_eq!(v["items"][0]["snippet"], "[offer] [letter]");
    let o = run(dir.path(), &["records", "search", "indemnification"]);
    assert!(text(&o).contains("5 record(s) match"), "{}", text(&o));
    assert_eq!(
        rows,
        vec![
            ("contracts".into(), "draft.docx".into(), "LEG-210".into()),
            (
                "contracts/signed".into(),
                "msa.pdf".into(),
                "LEG-100".into()
            ),
            ("hr".into(), "offer.txt".into(), "HR-100".into()),
        ]
    );
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contracts_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    assert!(
        run(dir.path(), &["demo", "--scale", "tiny"])
            .status
            .success()
    );
    let o = run(
        dir.path(),
        &["contracts", "search", "\"Services Agreement\"", "--json"],
    );
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["total"].as_i64().unwrap() > 0, "{v}");
    let marked = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["snippet"].as_str())
        .any(|s| s.contains("[Services Agreement]"));
    assert!(marked, "the words are marked in a snippet: {v}");
    // A contract that went through negotiation: its counterparty's turn against what we sent.
    let app = App::open(Settings::for_data_dir(dir.path())).await.unwrap();
    let number: String = sqlx::query_scalar(
        "SELECT c.number FROM contracts c WHERE EXISTS (SELECT 1 FROM contract_versions v WHERE v.contract_id = c.id AND v.source = 'counterparty') ORDER BY c.id LIMIT 1",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    app.db.close().await;
    let out = dir.path().join("redline.docx");
    let o = run(
        dir.path(),
        &[
            "contracts",
            "redline",
            &number,
            "--to",
            "2",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("version 1 -> 2") && text(&o).contains("without tracked changes"),
        "{}",
        text(&o)
    );
    let bytes = std::fs::read(&out).unwrap();
    assert!(evidence::docx_revisions(&bytes, &Default::default()).unwrap() > 0);
    let o = run(dir.path(), &["contracts", "dates", "--days", "3650"]);
    assert!(o.status.success());
    assert!(text(&o).contains("date(s)"), "{}", text(&o));
    // Existing contracts from a folder: imported once, skipped the second time.
    let legacy = dir.path().join("legacy");
    std::fs::create_dir_all(&legacy).unwrap();
    std::fs::write(
        legacy.join("acme-nda.txt"),
        "MUTUAL NON-DISCLOSURE AGREEMENT\n\nThis Agreement is made on 1 June 2024 between Acme Corp and Example Corp. It is governed by the laws of the State of Delaware.\n",
    )
    .unwrap();
    let args = [
        "import",
        "contracts",
        legacy.to_str().unwrap(),
        "--as",
        "legalops@demo.lexops.test",
    ];
    let o = run(dir.path(), &args);
    assert!(
        text(&o).contains("imported 1 contract(s) (0 already there)"),
        "{}",
        text(&o)
    );
    let o = run(dir.path(), &args);
    assert!(
        text(&o).contains("imported 0 contract(s) (1 already there)"),
        "{}",
        text(&o)
    );
    let o = run(
        dir.path(),
        &[
            "contracts",
            "redline",
            "CT-NOPE",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(!o.status.success());
    // The search index: the imported contract is found (the index followed the import), and
    // a rebuild from the database finds it the same; refused while another process holds it.
    let o = run(dir.path(), &["contracts", "search", "Acme", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["total"], 1, "{v}");
    let o = run(dir.path(), &["contracts", "reindex"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("indexed "), "{}", text(&o));
    let o = run(dir.path(), &["contracts", "search", "Acme", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["total"], 1, "{v}");
    let holder = App::open(Settings::for_data_dir(dir.path())).await.unwrap();
    assert!(lexops::contracts::index::get(&holder).await.is_some());
    let o = run(dir.path(), &["contracts", "reindex"]);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("in use by another lexops process"),
        "{}",
        text(&o)
    );
    // Searching still works meanwhile, from the database.
    let o = run(dir.path(), &["contracts", "search", "Acme", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["total"], 1, "{v}");
    drop(holder);
    // The holiday calendar: the demo works to the US federal holidays; a CSV with a bad row
    // is refused whole, naming the line; a good one lands once.
    let o = run(
        dir.path(),
        &[
            "import",
            "holidays",
            "--us-federal",
            "2026",
            "--as",
            "legalops@demo.lexops.test",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("0 added, 0 renamed, 11 unchanged"),
        "{}",
        text(&o)
    );
    let csv = dir.path().join("office.csv");
    std::fs::write(
        &csv,
        "date,name\n2026-12-24,Christmas Eve\n2026-12-32,Bad\n",
    )
    .unwrap();
    let args = [
        "import",
        "holidays",
        csv.to_str().unwrap(),
        "--as",
        "legalops@demo.lexops.test",
    ];
    let o = run(dir.path(), &args);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("nothing was imported") && text(&o).contains("office.csv:3: column date"),
        "{}",
        text(&o)
    );
    std::fs::write(&csv, "date,name\n2026-12-24,Christmas Eve\n").unwrap();
    let o = run(dir.path(), &args);
    assert!(
        text(&o).contains("1 added, 0 renamed, 0 unchanged"),
        "{}",
        text(&o)
    );
    let o = run(dir.path(), &args);
    assert!(
        text(&o).contains("0 added, 0 renamed, 1 unchanged"),
        "{}",
        text(&o)
    );
    let o = run(
        dir.path(),
        &[
            "import",
            "holidays",
            csv.to_str().unwrap(),
            "--as",
            "requester@demo.lexops.test",
        ],
    );
    assert!(
        !o.status.success(),
        "a requester cannot change the calendar"
    );
}

/// A folder laid out like CUAD, written by the test: two contracts, the 83 columns of
/// `master_clauses.csv`, labels on two categories.
fn cuad_folder(dir: &Path) {
    std::fs::create_dir_all(dir.join("contracts")).unwrap();
    let law = "This Agreement shall be governed by the laws of the State of New York.";
    let assign = "Neither party may assign this Agreement without the prior written consent of the other party.";
    let texts = [
        (
            "Alpha Corp - Supply Agreement.txt",
            format!(
                "SUPPLY AGREEMENT\n\n1. Supply. Alpha shall supply the Products.\n\n2. Law. {law}\n\n3. Assignment. {assign}\n"
            ),
        ),
        (
            "Beta Inc - Services Agreement.txt",
            format!(
                "SERVICES AGREEMENT\n\n1. Services. Beta shall perform the Services.\n\n2. Governing Law. {law}\n"
            ),
        ),
    ];
    let mut header = vec!["Filename".to_string()];
    for c in clauses::CATEGORIES {
        header.push(c.to_string());
        header.push(format!("{c}-Answer"));
    }
    let mut w = csv::Writer::from_path(dir.join("master_clauses.csv")).unwrap();
    w.write_record(&header).unwrap();
    for (i, (name, text)) in texts.iter().enumerate() {
        std::fs::write(dir.join("contracts").join(name), text).unwrap();
        let mut row = vec![name.replace(".txt", ".pdf")];
        for c in clauses::CATEGORIES {
            let labels = match c {
                "Governing Law" => format!("['{law}']"),
                "Anti-Assignment" if i == 0 => format!("['{assign}']"),
                _ => "[]".into(),
            };
            row.push(labels);
            row.push(if c == "Governing Law" {
                "New York".into()
            } else {
                String::new()
            });
        }
        w.write_record(&row).unwrap();
    }
    w.flush().unwrap();
}

#[test]
fn clause_finding_and_the_cuad_benchmark_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let cuad = dir.path().join("cuad");
    cuad_folder(&cuad);
    let o = run(
        dir.path(),
        &["bench", "cuad", cuad.to_str().unwrap(), "--json"],
    );
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["suite"], "cuad");
    assert_eq!(v["contracts"], 2);
    assert_eq!(v["labels"], 3);
    for k in ["precision_at_80_recall", "aupr", "contracts_per_second"] {
        assert!(v[k].as_f64().is_some(), "{k} in {v}");
    }
    // Both governing-law clauses and the assignment clause are found, nothing else is labelled:
    // recall reaches 1, and the governing-law category is perfect at the top of the curve.
    assert_eq!(v["max_recall"], 1.0, "{v}");
    let law = &v["per_category"]["Governing Law"];
    assert_eq!(law["labels"], 2);
    assert!(law["aupr"].as_f64().unwrap() > 0.9, "{law}");
    // A folder without the CSV is a clear error naming the file.
    let o = run(
        dir.path(),
        &["bench", "cuad", dir.path().join("nope").to_str().unwrap()],
    );
    assert!(!o.status.success());
    assert!(text(&o).contains("nope"), "{}", text(&o));
    // One contract's clauses, with the normalised answers.
    let f = cuad
        .join("contracts")
        .join("Alpha Corp - Supply Agreement.txt");
    let o = run(
        dir.path(),
        &["contracts", "clauses", f.to_str().unwrap(), "--json"],
    );
    assert!(o.status.success(), "{}", text(&o));
    let found: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let law = found
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["slug"] == "governing_law")
        .unwrap_or_else(|| panic!("{found}"));
    assert_eq!(law["answer"], "New York");
    // Training writes a model file that the benchmark could use.
    let out = dir.path().join("model.bin");
    let o = run(
        dir.path(),
        &[
            "contracts",
            "train-clauses",
            cuad.to_str().unwrap(),
            "--all",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let m = clauses::Model::from_bytes(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(m.training_size(), 2);
    assert!(m.trained_on("Alpha Corp - Supply Agreement.txt"));
}
