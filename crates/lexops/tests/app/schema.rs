//! The two migration folders stay in step: same files, and after migrating, the same tables
//! with the same columns on SQLite and PostgreSQL.

use std::collections::BTreeSet;

use crate::harness::{Backend, TestApp};

fn migration_names(dir: &str) -> Vec<String> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(dir);
    let mut v: Vec<String> = std::fs::read_dir(p)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    v.sort();
    v
}

#[test]
fn migration_folders_have_the_same_files() {
    assert_eq!(migration_names("sqlite"), migration_names("postgres"));
}

async fn columns(t: &TestApp) -> BTreeSet<String> {
    let rows: Vec<(String, String)> = match t.backend {
        Backend::Sqlite => sqlx::query_as(
            "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_sqlx%'",
        )
        .fetch_all(t.app.db.pool())
        .await
        .unwrap(),
        Backend::Postgres => sqlx::query_as(
            "SELECT table_name::text, column_name::text FROM information_schema.columns WHERE table_schema = 'public' AND table_name NOT LIKE '_sqlx%'",
        )
        .fetch_all(t.app.db.pool())
        .await
        .unwrap(),
    };
    // The full-text index is each engine's own (an FTS5 table and its shadow tables on SQLite,
    // a tsvector column on PostgreSQL): `record_text` and `contract_text` are compared apart.
    // The search queue's writing transaction (`txid`) is PostgreSQL's alone: SQLite's writes are
    // serial, so its sequence number is the place in the queue.
    rows.into_iter()
        .filter(|(t, _)| !t.starts_with("record_text") && !t.starts_with("contract_text"))
        .filter(|(t, c)| !(t == "contract_search_queue" && c == "txid"))
        .map(|(t, c)| format!("{t}.{c}"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_backends_have_the_same_tables_and_columns() {
    let Some(pg) = TestApp::spawn(Backend::Postgres).await else {
        eprintln!("skipped: LEXOPS_TEST_POSTGRES_URL is not set");
        return;
    };
    let lite = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let a = columns(&lite).await;
    let b = columns(&pg).await;
    assert!(a.len() > 50);
    for t in [&lite, &pg] {
        let n: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM record_text WHERE rowid = 0 AND body = ''")
                .fetch_one(t.app.db.pool())
                .await
                .unwrap();
        assert_eq!(n, 0);
    }
    assert_eq!(
        a.difference(&b).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "only on SQLite"
    );
    assert_eq!(
        b.difference(&a).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "only on PostgreSQL"
    );
}
