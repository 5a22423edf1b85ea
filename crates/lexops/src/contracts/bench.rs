//! `lexops bench contracts`: DOCX generation from the demo's services template (render, Markdown,
//! DOCX), a redline of two 100-page contracts (diff and HTML, and the tracked-changes DOCX), and
//! repository search over `size` contracts (default 100,000) as a user would run it: the page's
//! list query with its count, snippets and facets, walls included. Runs in a temporary data
//! directory on SQLite, or on the PostgreSQL database given by `--database-url`.
//!
//! The repository is filled by multi-row SQL (contracts and their search rows, about 300 words of
//! contract prose each from a fixed vocabulary and the demo's clauses), not through the drafting
//! path: what is measured is the search, not the loading.

use std::time::Instant;

use serde_json::{Value, json};

use super::demo::Rng;
use crate::App;
use crate::platform::access::{CurrentUser, Role};
use crate::platform::audit::Actor;
use crate::platform::config::Settings;
use crate::platform::db::values;
use crate::platform::users::{self, NewUser};

fn ms(t: Instant) -> f64 {
    (t.elapsed().as_secs_f64() * 100_000.0).round() / 100.0
}

fn percentile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    if v.is_empty() {
        return 0.0;
    }
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    (v[i] * 100.0).round() / 100.0
}

const WORDS: &str = "agreement party parties services supplier customer fee fees payment invoice term termination notice renewal \
    confidential information obligation liability indemnify indemnification warranty warranties representation breach cure period \
    days months years written consent assignment change control law governing jurisdiction court dispute arbitration insurance \
    audit records data protection personal security incident subcontractor deliverables acceptance milestone schedule price \
    increase discount credit tax expenses travel intellectual property license grant ownership background foreground \
    exclusive non-exclusive territory affiliate employee solicit compete restriction survival severability waiver entire \
    amendment counterpart electronic signature force majeure event delay remedy damages cap consequential indirect loss profit \
    revenue goodwill reputation third claim defend settle cooperate reasonable efforts commercially standard industry practice \
    applicable regulation compliance anti-bribery sanctions export modern slavery environment health safety quality service \
    level availability uptime response resolution escalation review meeting report quarter annual budget forecast volume order \
    purchase delivery shipment title risk inspection defect replacement refund return warehouse logistics hosting platform \
    software support maintenance update upgrade release version source code escrow api integration migration transition exit";

/// Builds `n` paragraphs of contract prose.
/// The searches a user runs (query, status, type): a party, a clause phrase, a rare word, a
/// prefix, with and without filters.
pub const SEARCHES: &[(&str, &str, &str)] = &[
    ("Northwind", "", ""),
    ("\"governed by the laws of Delaware\"", "", ""),
    ("escrow", "", ""),
    ("indemnif*", "executed", ""),
    ("force majeure", "", ""),
    ("Contoso termination", "", ""),
    ("\"source code\" escrow", "", ""),
    ("anti-bribery sanctions", "executed", ""),
    ("CT-B-000042", "", ""),
    ("Fabrikam -warranty", "", ""),
    ("liability cap", "negotiation", ""),
    ("migration exit", "", ""),
];

/// Fills the repository with `contracts` generated contracts owned by `owner` (ids 1…n): their
/// rows, search rows and party rows, by multi-row SQL in transactions of 500.
pub async fn load_repository(
    app: &App,
    owner: i64,
    contracts: u64,
    seed: u64,
) -> anyhow::Result<()> {
    let mut rng = Rng(seed);
    let rng = &mut rng;
    let words: Vec<&str> = WORDS.split_whitespace().collect();
    let now = app.clock.now_text();
    let types: Vec<(i64,)> = sqlx::query_as("SELECT id FROM contract_types ORDER BY id")
        .fetch_all(app.db.pool())
        .await?;
    let parties = super::demo::COUNTERPARTIES;
    let statuses = [
        "draft",
        "in_review",
        "negotiation",
        "approval",
        "signature",
        "executed",
        "executed",
        "executed",
        "expired",
        "terminated",
    ];
    let batch = 500usize;
    let mut id = 0i64;
    while (id as u64) < contracts {
        let n = batch.min((contracts - id as u64) as usize);
        let mut tx = app.db.begin().await?;
        let sql = format!(
            "INSERT INTO contracts (id, number, title, type_id, status, status_at, counterparty, our_entity, value_minor, currency, effective_on, expires_on, \
             governing_law, owner_id, created_at, updated_at) VALUES {}",
            values(app.db.backend(), n, 16)
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        let mut rows = vec![];
        for k in 0..n {
            let cid = id + k as i64 + 1;
            let party = parties[rng.index(parties.len())];
            let type_id = types[rng.index(types.len())].0;
            let title = format!("{} {} agreement", party, words[rng.index(words.len())]);
            let year = 2019 + rng.index(8);
            let eff = format!("{year}-{:02}-{:02}", 1 + rng.index(12), 1 + rng.index(28));
            let exp = format!("{}-{}", year + 1 + rng.index(3), &eff[5..]);
            let law = ["New York", "Delaware", "California", "England and Wales"][rng.index(4)];
            q = q
                .bind(cid)
                .bind(format!("CT-B-{cid:06}"))
                .bind(title.clone())
                .bind(type_id)
                .bind(statuses[rng.index(statuses.len())])
                .bind(now.clone())
                .bind(party)
                .bind("Example Corp")
                .bind((rng.index(5_000) as i64 + 1) * 100_000)
                .bind("USD")
                .bind(eff)
                .bind(exp)
                .bind(law)
                .bind(owner)
                .bind(now.clone())
                .bind(now.clone());
            let mut body = prose(rng, &words, 15, 20).join("\n");
            body.push_str(&format!(
                "\nThis Agreement is governed by the laws of {law}. The supplier is {party}."
            ));
            rows.push((
                cid,
                format!("CT-B-{cid:06} {title} {party} Example Corp {law}"),
                body,
            ));
        }
        q.execute(&mut *tx).await?;
        let sql = format!(
            "INSERT INTO contract_text (rowid, meta, body) VALUES {}",
            values(app.db.backend(), n, 3)
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (cid, meta, body) in rows {
            q = q.bind(cid).bind(meta).bind(body);
        }
        q.execute(&mut *tx).await?;
        // Each contract's counterparty as its party row (what `store::write_parties` keeps).
        sqlx::query(
            "INSERT INTO contract_parties (contract_id, position, name, name_key) SELECT id, 1, counterparty, LOWER(counterparty) FROM contracts WHERE id > $1 AND id <= $2",
        )
        .bind(id)
        .bind(id + n as i64)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        id += n as i64;
    }
    Ok(())
}

fn prose(rng: &mut Rng, words: &[&str], paragraphs: usize, words_per: usize) -> Vec<String> {
    (0..paragraphs)
        .map(|i| {
            let mut p = format!("{}.{} ", i / 10 + 1, i % 10 + 1);
            for w in 0..words_per {
                if w > 0 {
                    p.push(' ');
                }
                p.push_str(words[rng.zipf(words.len())]);
            }
            p.push('.');
            p
        })
        .collect()
}

/// Runs the suite.
pub async fn run(settings: &Settings, contracts: u64) -> anyhow::Result<Value> {
    let dir = std::env::temp_dir().join(format!(
        "lexops-bench-contracts-{}",
        crate::platform::auth::random_hex(4)
    ));
    let mut s = Settings::for_data_dir(&dir);
    s.database_url = settings.database_url.clone();
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
            email: "contracts@bench.lexops.test".into(),
            name: "Contract manager".into(),
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
    let words: Vec<&str> = WORDS.split_whitespace().collect();

    // DOCX generation: the demo's services template with a full set of answers.
    let schema = drafting::Schema::from_json(super::demo::SERVICES_SCHEMA)
        .map_err(|p| anyhow::anyhow!("{p:?}"))?;
    let mut clauses = drafting::ClauseTexts::new();
    for (k, t) in [
        ("governing_law", "This Agreement is governed by the laws of"),
        (
            "renewal",
            "After the Initial Term this Agreement renews automatically.",
        ),
        (
            "confidentiality",
            "Each party will keep the other's confidential information secret.",
        ),
        (
            "limitation_of_liability",
            "Each party's total liability is limited to the fees paid in the twelve months before the claim.",
        ),
    ] {
        clauses.insert(k.into(), vec![t.into()]);
    }
    let raw: std::collections::BTreeMap<String, String> = [
        ("counterparty.name", "Northwind Traders LLC"),
        (
            "counterparty.entity",
            "a Delaware limited liability company",
        ),
        ("fee", "250000"),
        ("start", "2027-01-01"),
        ("term.count", "24"),
        ("term.unit", "months"),
        ("notice_days", "90"),
        ("payment_days", "30"),
        ("law", "New York"),
        ("exclusive", "yes"),
        ("services", "Cloud hosting\nSupport\nSecurity monitoring"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let answers = schema.answers(&raw).map_err(|p| anyhow::anyhow!("{p:?}"))?;
    let mut gen_ms = vec![];
    let mut docx_bytes = 0;
    for _ in 0..200 {
        let t = Instant::now();
        let r = drafting::template::render(super::demo::SERVICES_BODY, &schema, &answers, &clauses)
            .map_err(|p| anyhow::anyhow!("{p}"))?;
        let bytes = drafting::docx::to_docx(&r.document)?;
        gen_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        docx_bytes = bytes.len();
    }

    // A redline of two 100-page contracts: ~3,000 numbered paragraphs of 17 words (about 500
    // words a page), the second with 2% of its paragraphs edited, some removed, some added.
    let mut rng = Rng(0xC0FFEE);
    let old = prose(&mut rng, &words, 3000, 17);
    let mut new = old.clone();
    let mut edits = 0;
    for i in (0..new.len()).rev() {
        match rng.index(100) {
            0 => {
                let mut ws: Vec<String> = new[i].split(' ').map(str::to_string).collect();
                let k = 1 + rng.index(ws.len() - 1);
                ws[k] = words[rng.index(words.len())].to_string();
                new[i] = ws.join(" ");
                edits += 1;
            }
            1 => {
                new.remove(i);
                edits += 1;
            }
            2 => {
                new.insert(i, format!("{} {}", words[rng.index(words.len())], new[i]));
                edits += 1;
            }
            _ => {}
        }
    }
    let (a, b) = (old.join("\n"), new.join("\n"));
    let pages_words = a.split_whitespace().count();
    let mut red_ms = vec![];
    let mut red_docx_ms = vec![];
    let mut changed = 0;
    for _ in 0..10 {
        let t = Instant::now();
        let r = drafting::redline(&a, &b);
        let html = drafting::redline::to_html(&r);
        red_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        changed = r.paras_changed;
        std::hint::black_box(html);
        let t = Instant::now();
        let d = drafting::redline::to_docx(&r, "Counterparty", "2027-01-01T00:00:00Z")?;
        red_docx_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        std::hint::black_box(d);
    }

    // The repository: `contracts` contracts, a search row each.
    let t = Instant::now();
    load_repository(&app, who.id, contracts, rng.0).await?;
    app.db.refresh_statistics().await?;
    let load_s = t.elapsed().as_secs_f64();
    // The search index, built from the database (as on the first search after an upgrade).
    let t = Instant::now();
    let indexed = super::index::get(&app).await.is_some();
    let index_build_s = t.elapsed().as_secs_f64();

    // The searches a user runs: a party, a clause phrase, a rare word, a prefix, with and without
    // filters; each is the page's list (count, 50 rows, snippets) and its facets.
    let queries = SEARCHES;
    let mut lat = vec![];
    let mut hits = vec![];
    let mut per_query = vec![0f64; queries.len()];
    for round in 0..10 {
        for (qi, (q, status, type_code)) in queries.iter().enumerate() {
            let f = super::store::Filter::search(q, status, type_code);
            let t = Instant::now();
            let (rows, total, _) =
                super::store::search(&app, Some(&who), &f, "c.updated_at DESC", 50, 0)
                    .await
                    .map_err(err)?;
            let took = t.elapsed().as_secs_f64() * 1000.0;
            lat.push(took);
            per_query[qi] = per_query[qi].max(took);
            if round == 0 {
                hits.push(json!({"q": q, "status": status, "total": total, "page": rows.len()}));
            }
        }
    }
    for (h, m) in hits.iter_mut().zip(&per_query) {
        h["max_ms"] = json!((m * 100.0).round() / 100.0);
    }
    let search_p50 = percentile(&mut lat.clone(), 0.5);
    let search_p99 = percentile(&mut lat, 0.99);
    // The same searches answered by the database alone (the index's fallback), once each, and
    // checked against the index's answers.
    let mut db_lat = vec![];
    let mut disagree = vec![];
    for (q, status, type_code) in queries {
        let f = super::store::Filter::search(q, status, type_code);
        let t = Instant::now();
        let (rows, total, facets) =
            super::store::search_in_database(&app, Some(&who), &f, "c.updated_at DESC", 50, 0)
                .await
                .map_err(err)?;
        db_lat.push(t.elapsed().as_secs_f64() * 1000.0);
        let (irows, itotal, ifacets) =
            super::store::search(&app, Some(&who), &f, "c.updated_at DESC", 50, 0)
                .await
                .map_err(err)?;
        let ids = |r: &[super::model::Contract]| r.iter().map(|c| c.id).collect::<Vec<_>>();
        if total != itotal || facets != ifacets || ids(&rows) != ids(&irows) {
            disagree.push(json!({"q": q, "database": total, "index": itotal}));
        }
    }
    // Key dates: half the contracts renew automatically, a third may be ended for convenience,
    // a fifth carry an option window. The first read of the dashboard computes and stores every
    // executed contract's dates; the next ones read a date range.
    sqlx::query("UPDATE contracts SET auto_renew = 1, renewal_months = 12, notice_days = 90 WHERE id % 2 = 0")
        .execute(app.db.pool())
        .await?;
    sqlx::query("UPDATE contracts SET termination_notice_days = 60 WHERE id % 3 = 0")
        .execute(app.db.pool())
        .await?;
    sqlx::query(
        "UPDATE contracts SET option_from_days = 180, option_to_days = 90 WHERE id % 5 = 0",
    )
    .execute(app.db.pool())
    .await?;
    // What the dashboard did before the dates were stored: every executed contract read and its
    // dates computed, on each view.
    let t = Instant::now();
    let f = super::store::Filter {
        status: "executed".into(),
        ..Default::default()
    };
    let (executed, _) = super::store::list(&app, Some(&who), &f, "c.id", 1_000_000, 0)
        .await
        .map_err(err)?;
    let today = jiff::civil::Date::strptime("%Y-%m-%d", app.clock.today())?;
    let horizon = today.checked_add(jiff::Span::new().days(90))?;
    let computed = executed
        .iter()
        .flat_map(|c| {
            super::keydates::compute(
                &super::dates::terms(c),
                today,
                super::dates::DEFAULT_DELIVERY_DAYS,
                &super::keydates::Holidays::default(),
            )
        })
        .filter(|k| !k.kind.is_informational() && k.date >= today && k.date <= horizon)
        .count();
    let key_dates_computed_ms = t.elapsed().as_secs_f64() * 1000.0;
    let t = Instant::now();
    let first = super::dates::upcoming(&app, Some(&who), 90, false)
        .await
        .map_err(err)?;
    let key_dates_first_ms = t.elapsed().as_secs_f64() * 1000.0;
    anyhow::ensure!(
        first.len() == computed,
        "stored key dates ({}) differ from computed ones ({computed})",
        first.len()
    );
    let mut kd_ms = vec![];
    // The dashboard as the page reads it: the first 100, and the count of all.
    for _ in 0..20 {
        let t = Instant::now();
        let (items, total) =
            super::dates::upcoming_window(&app, Some(&who), 90, false, Some((100, 0)))
                .await
                .map_err(err)?;
        kd_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        anyhow::ensure!(
            total as usize == first.len() && items.len() == first.len().min(100),
            "the dashboard changed between reads"
        );
    }
    let out = json!({
        "suite": "contracts",
        "backend": backend,
        "docx_generation_ms": percentile(&mut gen_ms.clone(), 0.5),
        "docx_generation_p99_ms": percentile(&mut gen_ms, 0.99),
        "docx_bytes": docx_bytes,
        "redline_ms": percentile(&mut red_ms.clone(), 0.5),
        "redline_max_ms": percentile(&mut red_ms, 1.0),
        "redline_docx_ms": percentile(&mut red_docx_ms, 0.5),
        "redline_words": pages_words,
        "redline_edits": edits,
        "redline_paragraphs_changed": changed,
        "contracts": contracts,
        "load_s": (load_s * 100.0).round() / 100.0,
        "search_p50_ms": search_p50,
        "search_p99_ms": search_p99,
        "search_index": indexed,
        "index_build_s": (index_build_s * 100.0).round() / 100.0,
        "search_database_p50_ms": percentile(&mut db_lat.clone(), 0.5),
        "search_database_max_ms": percentile(&mut db_lat, 1.0),
        "index_disagreements": disagree,
        "searches": hits,
        "search_runs": queries.len() * 10,
        "key_dates_first_read_ms": (key_dates_first_ms * 100.0).round() / 100.0,
        "key_dates_computed_per_view_ms": (key_dates_computed_ms * 100.0).round() / 100.0,
        "key_dates_computed_items": computed,
        "key_dates_dashboard_ms": percentile(&mut kd_ms.clone(), 0.5),
        "key_dates_dashboard_p99_ms": percentile(&mut kd_ms, 0.99),
        "key_dates_items_90_days": first.len(),
    });
    drop(app);
    let _ = std::fs::remove_dir_all(&dir);
    let _ = ms;
    Ok(out)
}
