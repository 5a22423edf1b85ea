//! `db::Batch`: statements sent together (one text on SQLite, one by one on PostgreSQL) run in
//! order, each with its own parameters, give back each statement's rows, and fail as a whole
//! inside the caller's transaction.

use lexops::platform::db::{Batch, decode, values};

use crate::both;
use crate::harness::TestApp;

both!(batch_runs_in_order_and_returns_each_statements_rows);
async fn batch_runs_in_order_and_returns_each_statements_rows(t: TestApp) {
    let mut tx = t.app.db.begin().await.unwrap();
    let mut b = Batch::new(t.app.db.backend());
    // A value with a semicolon and quotes is bound, never spliced into the text.
    let tricky = "a;b'c\"; DROP TABLE settings; --";
    let sql = format!(
        "INSERT INTO settings (key, value) VALUES {}",
        values(b.backend(), 2, 2)
    );
    b.statement(&sql)
        .bind("batch.one")
        .bind(tricky)
        .bind("batch.two")
        .bind("2");
    let sql = format!("SELECT value FROM settings WHERE key = {}", b.param(1));
    b.statement(&sql).bind("batch.one");
    let sql = format!(
        "UPDATE settings SET value = {} WHERE key = {}",
        b.param(1),
        b.param(2)
    );
    b.statement(&sql).bind("3").bind("batch.two");
    let sql = format!(
        "SELECT key, value FROM settings WHERE key IN ({}) ORDER BY key",
        b.params(1, 2)
    );
    b.statement(&sql).bind("batch.one").bind("batch.two");
    assert_eq!(b.len(), 4);
    let sets = b.fetch(&mut tx).await.unwrap();
    assert_eq!(sets.len(), 4);
    assert!(sets[0].is_empty() && sets[2].is_empty());
    assert_eq!(
        decode::<(String,)>(&sets[1]).unwrap(),
        vec![(tricky.to_string(),)]
    );
    assert_eq!(
        decode::<(String, String)>(&sets[3]).unwrap(),
        vec![
            ("batch.one".to_string(), tricky.to_string()),
            ("batch.two".to_string(), "3".to_string())
        ]
    );
    tx.commit().await.unwrap();
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM settings WHERE key LIKE 'batch.%'")
        .fetch_one(t.app.db.pool())
        .await
        .unwrap();
    assert_eq!(n, 2);
}

both!(a_failing_statement_fails_the_batch_and_its_transaction_keeps_nothing);
async fn a_failing_statement_fails_the_batch_and_its_transaction_keeps_nothing(t: TestApp) {
    let mut tx = t.app.db.begin().await.unwrap();
    let mut b = Batch::new(t.app.db.backend());
    let sql = format!(
        "INSERT INTO settings (key, value) VALUES {}",
        values(b.backend(), 1, 2)
    );
    b.statement(&sql).bind("batch.kept").bind("1");
    // The same key again: a unique violation in the second statement.
    b.statement(&sql).bind("batch.kept").bind("2");
    let e = b.execute(&mut tx).await.unwrap_err();
    assert!(lexops::platform::db::is_unique_violation(&e), "{e}");
    drop(tx);
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM settings WHERE key LIKE 'batch.%'")
        .fetch_one(t.app.db.pool())
        .await
        .unwrap();
    assert_eq!(n, 0);
    // An empty batch does nothing.
    let mut tx = t.app.db.begin().await.unwrap();
    let b = Batch::new(t.app.db.backend());
    assert!(b.is_empty());
    assert!(b.fetch(&mut tx).await.unwrap().is_empty());
}

both!(a_prepared_multi_row_statement_keeps_its_place_among_the_others);
async fn a_prepared_multi_row_statement_keeps_its_place_among_the_others(t: TestApp) {
    // Twice, so the second batch finds the statement prepared by the first.
    for round in 0..2 {
        let mut tx = t.app.db.begin().await.unwrap();
        let mut b = Batch::new(t.app.db.backend());
        let count = format!(
            "SELECT COUNT(*) FROM settings WHERE key LIKE {}",
            b.param(1)
        );
        let like = format!("prep{round}.%");
        b.statement(&count).bind(like.clone());
        b.rows_prepared("INSERT INTO settings (key, value) VALUES ", 3, 2);
        for k in 0..3 {
            b.bind(format!("prep{round}.{k}")).bind(k.to_string());
        }
        b.statement(&count).bind(like.clone());
        b.rows("INSERT INTO settings (key, value) VALUES ", 1, 2)
            .bind(format!("prep{round}.x"))
            .bind("x");
        b.statement(&count).bind(like);
        assert_eq!(b.len(), 5);
        let sets = b.fetch(&mut tx).await.unwrap();
        assert_eq!(sets.len(), 5);
        let n = |k: usize| decode::<(i64,)>(&sets[k]).unwrap()[0].0;
        assert_eq!((n(0), n(2), n(4)), (0, 3, 4), "round {round}");
        assert!(sets[1].is_empty() && sets[3].is_empty());
        tx.commit().await.unwrap();
    }
}

/// SQLite: the writer leaves the write-ahead log to a background task, which copies a
/// committed transaction into the database file shortly after (without it the log would grow
/// with every write and the database file never would); and it keeps a long transaction's pages
/// in a 16 MiB cache rather than spilling them to the log.
#[tokio::test]
async fn the_write_ahead_log_is_checkpointed_into_the_database_file() {
    let t = TestApp::spawn(crate::harness::Backend::Sqlite)
        .await
        .unwrap();
    let file = t.dir.path().join("lexops.db");
    let before = std::fs::metadata(&file).unwrap().len();
    let mut tx = t.app.db.begin().await.unwrap();
    let auto: i64 = sqlx::query_scalar("PRAGMA wal_autocheckpoint")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(auto, 0, "the writer leaves checkpoints to the task");
    let cache: i64 = sqlx::query_scalar("PRAGMA cache_size")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(
        cache, -16384,
        "the writer keeps 16 MiB of pages, not SQLite's 2 MiB"
    );
    sqlx::query("CREATE TABLE bulk (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
        .execute(&mut *tx)
        .await
        .unwrap();
    let body = "x".repeat(4000);
    for _ in 0..8 {
        let mut b = Batch::new(t.app.db.backend());
        let sql = format!(
            "INSERT INTO bulk (body) VALUES {}",
            values(b.backend(), 100, 1)
        );
        b.statement(&sql);
        for _ in 0..100 {
            b.bind(body.clone());
        }
        b.execute(&mut tx).await.unwrap();
    }
    tx.commit().await.unwrap();
    // 3.2 MB committed: in the log at once, in the database file within a few checkpoints.
    let mut grown = 0;
    for _ in 0..100 {
        grown = std::fs::metadata(&file).unwrap().len();
        if grown >= before + 3_000_000 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        grown >= before + 3_000_000,
        "the database file grew from {before} to {grown} bytes only"
    );
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM bulk")
        .fetch_one(t.app.db.pool())
        .await
        .unwrap();
    assert_eq!(n, 800);
}
