//! `lexops bench spend`: a year of invoices for a 40-firm, 500-matter department, made as
//! LEDES files on disk, then imported through the real intake (reading, LEDES parse and
//! validation, matching, storage, the full guideline set with cross-invoice checks); then one
//! 1,000-line invoice evaluated against that history; then the spend dashboard's reports
//! computed repeatedly. Runs in a temporary data directory (removed afterwards unless
//! `LEXOPS_BENCH_KEEP=1`) on SQLite, or on the PostgreSQL database given by `--database-url`.

use std::time::Instant;

use serde_json::{Value, json};

use super::demo::Scale;
use crate::App;
use crate::platform::config::Settings;

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<f64>().ok())
        })
        .map(|kb| (kb / 1024.0 * 10.0).round() / 10.0)
        .unwrap_or(0.0)
}

/// CPU seconds used so far: the whole process's, and per thread name for the threads alive now
/// (from `/proc`, in clock ticks of 1/100 s; empty where `/proc` is not there).
fn cpu_seconds() -> (f64, std::collections::BTreeMap<String, f64>) {
    fn ticks(stat: &str) -> Option<(String, f64)> {
        let (head, rest) = stat.rsplit_once(") ")?;
        let name = head.split_once(" (")?.1.to_string();
        let f: Vec<&str> = rest.split_whitespace().collect();
        let t = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
        Some((name, t / 100.0))
    }
    let total = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| ticks(&s))
        .map_or(0.0, |(_, t)| t);
    let mut threads = std::collections::BTreeMap::new();
    if let Ok(dir) = std::fs::read_dir("/proc/self/task") {
        for e in dir.flatten() {
            if let Some((name, t)) = std::fs::read_to_string(e.path().join("stat"))
                .ok()
                .and_then(|s| ticks(&s))
            {
                *threads.entry(name).or_insert(0.0) += t;
            }
        }
    }
    (total, threads)
}

/// For a profiler whose counting a script turns on and off (`callgrind_control --instr=on|off`,
/// run with the benchmark's `TMPDIR`, where valgrind keeps its vgdb pipes):
/// with `LEXOPS_BENCH_HANDSHAKE=DIR`, the import's start and end each create `DIR/NAME` and
/// wait until the script removes it. Nothing happens without the variable.
fn handshake(name: &str) {
    if let Some(dir) = std::env::var_os("LEXOPS_BENCH_HANDSHAKE") {
        let path = std::path::Path::new(&dir).join(name);
        if std::fs::write(&path, b"").is_ok() {
            while path.exists() {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
        }
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    (sorted[i.min(sorted.len() - 1)] * 100.0).round() / 100.0
}

/// Runs the suite with `lines_per_invoice` lines on each of 500 matters × 12 months
/// (84 gives about 500,000 line items).
pub async fn run(settings: &Settings, lines_per_invoice: usize) -> anyhow::Result<Value> {
    let dir = std::env::temp_dir().join(format!(
        "lexops-bench-spend-{}",
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
    let scale = Scale {
        vendors: 40,
        matters: 500,
        billed_matters: 500,
        months: 12,
        lines_per_invoice,
        decide: false,
        contracts: 0,
        files_first: true,
    };
    let mut import_start: Option<Instant> = None;
    let mut cpu_start = None;
    let t0 = Instant::now();
    crate::platform::demo::seed_with(&app, scale, |stage, done, total| {
        // The clock starts once the year's files are on disk.
        if stage == "invoice files" && done == total {
            handshake("import-start");
            import_start = Some(Instant::now());
            cpu_start = Some(cpu_seconds());
        }
    })
    .await
    .map_err(|e| anyhow::anyhow!("{}", e.public_message()))?;
    // CPU time of the import, whole process and per thread name (threads that ended during it
    // count in the total only).
    let (cpu_total, cpu_threads) = {
        let (t0, before) = cpu_start.unwrap_or_default();
        let (t1, after) = cpu_seconds();
        let per: serde_json::Map<String, Value> = after
            .into_iter()
            .map(|(k, v)| (k.clone(), v - before.get(&k).copied().unwrap_or(0.0)))
            .filter(|(_, d)| *d > 0.0)
            .map(|(k, d)| (k, json!((d * 100.0).round() / 100.0)))
            .collect();
        (((t1 - t0) * 100.0).round() / 100.0, per)
    };
    let import_s = import_start
        .map(|t| t.elapsed().as_secs_f64())
        .unwrap_or_else(|| t0.elapsed().as_secs_f64());
    handshake("import-end");
    let (invoices, lines): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM invoices), (SELECT COUNT(*) FROM invoice_lines)",
    )
    .fetch_one(app.db.pool())
    .await?;
    let flags: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM invoice_flags")
        .fetch_one(app.db.pool())
        .await?;
    let rss_import = peak_rss_mb();

    // One 1,000-line invoice: the lines of a stored invoice, repeated, as a new invoice of the
    // same firm and matter, evaluated against the whole history.
    let (inv_id, vendor_id): (i64, i64) =
        sqlx::query_as("SELECT id, vendor_id FROM invoices ORDER BY id DESC LIMIT 1")
            .fetch_one(app.db.pool())
            .await?;
    let mut tx = app.db.begin().await?;
    let (_, _, mut g_inv, ctx) = super::review::engine_input(&app, &mut tx, inv_id)
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.public_message()))?;
    tx.rollback().await?;
    let template = g_inv.lines.clone();
    g_inv.lines = (0..1000)
        .map(|i| {
            let mut l = template[i % template.len()].clone();
            l.line_number = i as u32 + 1;
            l
        })
        .collect();
    g_inv.invoice_number = "BENCH-1000".into();
    g_inv.total = g_inv.lines.iter().map(|l| l.total).sum();
    let set = super::review::effective_set(&app, vendor_id, g_inv.lines[0].matter_id)
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.public_message()))?;
    let mut samples = vec![];
    let mut flags_1000 = 0;
    for _ in 0..20 {
        let t = Instant::now();
        let e = guidelines::evaluate(&set, &g_inv, &ctx);
        samples.push(t.elapsed().as_secs_f64() * 1000.0);
        flags_1000 = e.flags.len();
    }
    samples.sort_by(|a, b| a.total_cmp(b));
    // The context itself (history, rates, budget) read from the database for that invoice.
    let mut ctx_samples = vec![];
    for _ in 0..10 {
        let mut conn = app.db.pool().acquire().await?;
        let t = Instant::now();
        super::review::engine_input(&app, &mut conn, inv_id)
            .await
            .map_err(|e| anyhow::anyhow!("{}", e.public_message()))?;
        ctx_samples.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    ctx_samples.sort_by(|a, b| a.total_cmp(b));

    // The dashboard's reports, as the legal-ops user.
    let ops = crate::platform::users::by_email(&app, "legalops@demo.lexops.test")
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.public_message()))?
        .ok_or_else(|| anyhow::anyhow!("no legal ops user"))?;
    let user = crate::platform::access::CurrentUser {
        id: ops.id,
        role: ops.role(),
        email: ops.email,
        name: ops.name,
        via_token: false,
        vendor_id: None,
    };
    let filters = super::analytics::Filters {
        from: "2025-01-01".into(),
        to: "2026-12-31".into(),
        ..Default::default()
    };
    let mut dash = vec![];
    for _ in 0..20 {
        let t = Instant::now();
        super::analytics::reports(&app, &user, &filters)
            .await
            .map_err(|e| anyhow::anyhow!("{}", e.public_message()))?;
        dash.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    dash.sort_by(|a, b| a.total_cmp(b));
    app.db.close().await;
    // The directory is removed unless `LEXOPS_BENCH_KEEP` is set (to anything but "" or "0"),
    // for a series of runs: on a journal-less ext4 every file created within minutes of many
    // deletions scans past the recently freed inodes, so a run right after another's clean-up
    // pays for it.
    let kept = std::env::var("LEXOPS_BENCH_KEEP").is_ok_and(|v| !v.is_empty() && v != "0");
    if !kept {
        std::fs::remove_dir_all(&dir).ok();
    }
    Ok(json!({
        "kept_dir": kept.then(|| dir.display().to_string()),
        "suite": "spend",
        "backend": backend,
        "invoices": invoices,
        "line_items": lines,
        "flags": flags,
        "import_seconds": (import_s * 100.0).round() / 100.0,
        "import_line_items_per_second": (lines as f64 / import_s).round(),
        "import_peak_rss_mb": rss_import,
        "import_cpu_seconds": cpu_total,
        "import_cpu_seconds_by_thread": cpu_threads,
        "invoice_validation_ms": percentile(&samples, 50.0),
        "invoice_validation_p99_ms": percentile(&samples, 99.0),
        "invoice_validation_lines": 1000,
        "invoice_validation_flags": flags_1000,
        "invoice_context_load_ms": percentile(&ctx_samples, 50.0),
        "dashboard_p50_ms": percentile(&dash, 50.0),
        "dashboard_p99_ms": percentile(&dash, 99.0),
        "dashboard_line_items": lines,
        "note": "import = the year's LEDES files (made and written to disk first) read back, parsed and validated, matched, judged by all guideline rules and stored; the dashboard computes all eleven reports per request",
    }))
}

#[cfg(test)]
mod tests {
    #[test]
    fn cpu_time_is_counted_per_thread() {
        let (total, threads) = std::thread::Builder::new()
            .name("lexops-cpu-test".into())
            .spawn(|| {
                // Busy for 300 ms of wall time: some of it is CPU time even on a loaded machine.
                let t = std::time::Instant::now();
                let mut x = 0u64;
                while t.elapsed() < std::time::Duration::from_millis(300) {
                    x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
                }
                super::cpu_seconds()
            })
            .expect("thread")
            .join()
            .expect("no panic");
        let mine = threads.get("lexops-cpu-test").copied().unwrap_or(0.0);
        assert!(
            mine > 0.0,
            "the busy thread's CPU time is counted: {threads:?}"
        );
        assert!(
            total >= mine,
            "the process total ({total}) includes it ({mine})"
        );
    }
}
