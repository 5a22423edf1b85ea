//! `lexops bench records`: a disposition sweep over `size` records (default 1,000,000, created
//! over ten years under a 7-year rule, so about three in ten are due) of which 10,000 are under
//! a legal hold; then a bulk import of small documents from a folder through the real import
//! (default 100,000; `size / 10`), their text read and indexed, and a search over them; then a
//! hold notice run to 10,000 custodians. Runs in a temporary data directory on SQLite, or on the
//! PostgreSQL database given by `--database-url`.

use std::time::Instant;

use serde_json::{Value, json};

use crate::App;
use crate::platform::access::{CurrentUser, Role};
use crate::platform::audit::Actor;
use crate::platform::config::Settings;
use crate::platform::users::{self, NewUser};

fn ms(t: Instant) -> f64 {
    (t.elapsed().as_secs_f64() * 100_000.0).round() / 100.0
}

/// Runs the suite.
pub async fn run(settings: &Settings, records: u64) -> anyhow::Result<Value> {
    let dir = std::env::temp_dir().join(format!(
        "lexops-bench-records-{}",
        crate::platform::auth::random_hex(4)
    ));
    let mut s = Settings::for_data_dir(&dir);
    s.database_url = settings.database_url.clone();
    // Notices go to a loopback SMTP server that accepts everything.
    let smtp = crate::platform::mail::sink::SmtpSink::start().await;
    s.smtp_url = Some(format!("smtp://127.0.0.1:{}", smtp.port));
    let backend = if s.database_url.is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let app = App::open(s).await?;
    let err = |e: crate::platform::error::AppError| anyhow::anyhow!("{}", e.public_message());
    let u = users::create(
        &app,
        &Actor::system("bench"),
        NewUser {
            email: "records@bench.lexops.test".into(),
            name: "Records manager".into(),
            role: "legal_ops".into(),
            password: None,
            totp_required: false,
        },
    )
    .await
    .map_err(err)?;
    let who = CurrentUser {
        id: u.id,
        email: u.email,
        name: u.name,
        role: Role::LegalOps,
        via_token: false,
        vendor_id: None,
    };
    super::plan::import_csv(
        &app,
        &who,
        "bench plan",
        b"code,title,trigger,period,cutoff,disposition\nFIN-100,Accounts payable,created,7y,year,destroy\n",
    )
    .await
    .map_err(err)?
    .map_err(|p| anyhow::anyhow!("bench plan: {p:?}"))?;
    // The matter the bench's holds belong to.
    crate::matters::store::create(
        &app,
        &who,
        &crate::matters::model::MatterInput {
            number: "BENCH-1".into(),
            name: "Bench matter".into(),
            type_code: "litigation".into(),
            ..Default::default()
        },
    )
    .await
    .map_err(err)?;
    let category: i64 = sqlx::query_scalar("SELECT id FROM record_categories")
        .fetch_one(app.db.pool())
        .await?;

    // The records, written in bulk (what the sweep reads is the same as the store writes: the
    // retention columns are computed here by the same rule).
    let today = app
        .clock
        .now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date();
    let rule = super::plan::get(&app, category)
        .await
        .map_err(err)?
        .category()
        .map_err(err)?;
    let now = app.clock.now_text();
    let t_load = Instant::now();
    let mut tx = app.db.begin().await?;
    let chunk = 500usize;
    let mut k = 0u64;
    while k < records {
        let n = chunk.min((records - k) as usize);
        let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO records (title, filename, content_type, size, sha256, folder, category_id, created_on, uploaded_at, uploaded_by, due_state, due_on) VALUES {}",
            crate::platform::db::values(app.db.backend(), n, 12)
        )));
        for i in k..k + n as u64 {
            let created = today
                .checked_sub(jiff::Span::new().days((i % 3650) as i64))
                .unwrap_or(today);
            let (state, due, _) = super::store::schedule(Some(&rule), &created.to_string(), &[], 1);
            q = q
                .bind(format!("Invoice batch {i}"))
                .bind(format!("ap-{i}.pdf"))
                .bind("application/pdf")
                .bind(1024i64)
                .bind(format!("{i:064x}"))
                .bind(format!("finance/ap/{}", i % 100))
                .bind(category)
                .bind(created.to_string())
                .bind(now.clone())
                .bind(who.id)
                .bind(state)
                .bind(due);
        }
        q.execute(&mut *tx).await?;
        k += n as u64;
    }
    // Their bytes are not in the store (only the sweep reads them): no text to read; their
    // titles, file names and folders are in the search index, as the store puts them.
    sqlx::query("UPDATE records SET text_state = 'none'")
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO record_text (rowid, meta, body) SELECT id, title || ' ' || filename || ' ' || folder, '' FROM records")
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    let load_ms = ms(t_load);
    // 10,000 of them (or a hundredth of a smaller run) under one hold, by record.
    let held = 10_000.min(records / 100).max(1);
    let step = (records / held).max(1);
    let ids: Vec<String> = (0..held).map(|i| (1 + i * step).to_string()).collect();
    super::holds::create(
        &app,
        &who,
        &super::holds::HoldInput {
            name: "Bench hold".into(),
            matter: "BENCH-1".into(),
            records: ids.join("\n"),
            ..Default::default()
        },
    )
    .await
    .map_err(err)?;
    app.db.refresh_statistics().await?;

    let t = Instant::now();
    let dry = super::disposition::sweep(&app, true).await.map_err(err)?;
    let dry_ms = ms(t);
    let t = Instant::now();
    let sweep = super::disposition::sweep(&app, false).await.map_err(err)?;
    let sweep_ms = ms(t);

    // Bulk import of small documents from a folder.
    let docs = (records / 10).clamp(100, 100_000);
    let src = dir.join("import");
    for i in 0..docs {
        let folder = src.join(format!("dept-{}/year-{}", i % 10, 2015 + i % 10));
        std::fs::create_dir_all(&folder)?;
        std::fs::write(
            folder.join(format!("doc-{i}.txt")),
            format!("Document {i}: minutes, memos and letters of the department.\n").repeat(16),
        )?;
    }
    let t = Instant::now();
    let imported = super::store::import_folder(
        &app,
        &who,
        &src,
        "FIN-100",
        &[],
        &Default::default(),
        |_, _| {},
    )
    .await
    .map_err(err)?
    .map_err(|p| anyhow::anyhow!("bench import: {p:?}"))?;
    let import_s = t.elapsed().as_secs_f64();
    // Their text read and indexed for search (what the records.text job does after an import).
    let t = Instant::now();
    let indexed = super::text::index_pending(&app, None).await.map_err(err)?;
    let index_s = t.elapsed().as_secs_f64();
    let hits: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM records r WHERE {}",
        crate::platform::search::matches(
            app.db.backend(),
            "record_text",
            "r.id",
            "memos letters",
            1
        )
        .map(|(c, _)| c)
        .unwrap_or_default()
    )))
    .bind(
        crate::platform::search::matches(
            app.db.backend(),
            "record_text",
            "r.id",
            "memos letters",
            1,
        )
        .map(|(_, v)| v)
        .unwrap_or_default(),
    )
    .fetch_one(app.db.pool())
    .await?;
    let t = Instant::now();
    let f = super::store::RecordFilter {
        q: "\"document 42\"".into(),
        ..Default::default()
    };
    let (_, phrase_hits) = super::store::list(
        &app,
        Some(&who),
        &f,
        &today.to_string(),
        "r.title ASC",
        25,
        0,
    )
    .await
    .map_err(err)?;
    let search_ms = ms(t);

    // A hold notice to 10,000 custodians: the directory imported, then the hold placed (each
    // custodian rendered, signed and queued in the outbox, in one transaction), then sent.
    let people = 10_000usize;
    let mut csv = String::from("name,email,department,manager_email,employee_status\n");
    for i in 0..people {
        csv.push_str(&format!(
            "Custodian {i},custodian{i}@bench.lexops.test,Dept {},manager{}@bench.lexops.test,active\n",
            i % 40,
            i % 200
        ));
    }
    let t = Instant::now();
    super::custodians::import_csv(&app, &who, "bench directory", csv.as_bytes())
        .await
        .map_err(err)?
        .map_err(|p| anyhow::anyhow!("bench directory: {p:?}"))?;
    let directory_ms = ms(t);
    let emails: Vec<String> = (0..people)
        .map(|i| format!("custodian{i}@bench.lexops.test"))
        .collect();
    let t = Instant::now();
    let hold = super::holds::create(
        &app,
        &who,
        &super::holds::HoldInput {
            name: "Bench notice run".into(),
            matter: "BENCH-1".into(),
            custodians: emails.join("\n"),
            questionnaire: "Where do you keep relevant documents?".into(),
            ..super::holds::HoldInput::blank()
        },
    )
    .await
    .map_err(err)?;
    let queue_ms = ms(t);
    let queued: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM hold_notices WHERE hold_id = $1")
        .bind(hold)
        .fetch_one(app.db.pool())
        .await?;
    // Sent by the job workers (two, as `serve` runs them) until the outbox is empty.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let t = Instant::now();
    let workers = crate::platform::jobs::spawn_workers(&app, 2, stop_rx);
    app.wake_jobs();
    loop {
        let pending: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM mail_outbox WHERE sent_at IS NULL")
                .fetch_one(app.db.pool())
                .await?;
        if pending == 0 || t.elapsed().as_secs() > 600 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let send_s = t.elapsed().as_secs_f64();
    let _ = stop_tx.send(true);
    for w in workers {
        let _ = w.await;
    }
    let received = smtp.received().len();
    app.db.close().await;
    std::fs::remove_dir_all(&dir).ok();
    Ok(json!({
        "suite": "records",
        "backend": backend,
        "records": records,
        "records_held": held,
        "records_load_ms": load_ms,
        "records_due": sweep.listed_count + sweep.held_count,
        "records_listed": sweep.listed_count,
        "records_held_and_due": sweep.held_count,
        "disposition_dry_run_ms": dry_ms,
        "disposition_sweep_ms": sweep_ms,
        "dry_run_agrees": dry.listed_count == sweep.listed_count,
        "import_documents": imported.added,
        "import_mb": (imported.bytes as f64 / 1e5).round() / 10.0,
        "import_documents_per_second": (imported.added as f64 / import_s).round(),
        "import_mb_per_second": ((imported.bytes as f64 / 1e6 / import_s) * 100.0).round() / 100.0,
        "text_indexed": indexed.indexed,
        "text_failed": indexed.failed,
        "text_index_documents_per_second": (indexed.indexed as f64 / index_s).round(),
        "text_search_matches": hits,
        "text_search_page_ms": search_ms,
        "text_search_page_total": phrase_hits,
        "custodians": people,
        "custodian_directory_import_ms": directory_ms,
        "notices_queued": queued,
        "notice_queue_ms": queue_ms,
        "notices_received_by_smtp": received,
        "notice_send_seconds": (send_s * 100.0).round() / 100.0,
        "notices_sent_per_second": (received as f64 / send_s).round(),
    }))
}
