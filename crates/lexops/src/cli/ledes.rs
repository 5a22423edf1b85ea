//! `lexops ledes validate|convert` and `lexops bench ledes`: the command-line face of the
//! `ledes` library.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use clap::Subcommand;
use ledes::{ConvertOptions, Decimal, Format, ValidateOptions};
use serde_json::{Value, json};

#[derive(Subcommand)]
pub enum LedesCmd {
    /// Validate LEDES files (1998B, 98BI, XML 2.x); exits 1 if any file has errors.
    Validate {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Print one JSON object instead of the text report.
        #[arg(long)]
        json: bool,
        /// Stop each file at its first error.
        #[arg(long)]
        stop_at_first_error: bool,
        /// Largest accepted difference in arithmetic checks, e.g. 0.01 (default 0).
        #[arg(long, default_value = "0")]
        tolerance: String,
    },
    /// Convert a LEDES file to another format (1998b, 98bi, xml2.0, xml2.1, xml2.2).
    Convert {
        input: PathBuf,
        /// Target format.
        #[arg(long)]
        to: String,
        /// Output file (default: standard output).
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// Drop data the target cannot hold (e.g. tax into 1998B) instead of refusing.
        #[arg(long)]
        allow_lossy: bool,
    },
}

fn options(stop: bool, tolerance: &str) -> anyhow::Result<ValidateOptions> {
    let tolerance: Decimal = tolerance
        .parse()
        .with_context(|| format!("--tolerance {tolerance} is not a number"))?;
    anyhow::ensure!(
        tolerance >= Decimal::ZERO,
        "--tolerance must not be negative"
    );
    Ok(ValidateOptions {
        stop_at_first_error: stop,
        tolerance,
        keep_invoices: false,
        ..Default::default()
    })
}

/// Runs a `lexops ledes` command; returns the exit code.
pub fn run(cmd: LedesCmd) -> anyhow::Result<i32> {
    match cmd {
        LedesCmd::Validate {
            files,
            json,
            stop_at_first_error,
            tolerance,
        } => {
            let opts = options(stop_at_first_error, &tolerance)?;
            let mut any_errors = false;
            let mut reports = vec![];
            for f in &files {
                let bytes =
                    std::fs::read(f).with_context(|| format!("cannot read {}", f.display()))?;
                let report = ledes::validate(&bytes, &opts);
                any_errors |= report.has_errors();
                let name = f.display().to_string();
                if json {
                    reports.push(json!({
                        "file": name,
                        "ok": !report.has_errors(),
                        "errors": report.error_count(),
                        "warnings": report.warning_count(),
                        "report": report,
                    }));
                } else {
                    print!("{}", report.render_text(&name));
                }
            }
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&json!({ "ok": !any_errors, "files": reports }))?
                );
            }
            Ok(if any_errors { 1 } else { 0 })
        }
        LedesCmd::Convert {
            input,
            to,
            output,
            allow_lossy,
        } => {
            let to: Format = to.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
            let bytes = std::fs::read(&input)
                .with_context(|| format!("cannot read {}", input.display()))?;
            let opts = ConvertOptions {
                allow_lossy,
                ..Default::default()
            };
            let out = ledes::convert(&bytes, to, &opts)
                .map_err(|e| anyhow::anyhow!("{}: {e}", input.display()))?;
            match output {
                Some(p) => {
                    let tmp = p.with_extension("partial");
                    std::fs::write(&tmp, &out)
                        .with_context(|| format!("cannot write {}", tmp.display()))?;
                    std::fs::rename(&tmp, &p)?;
                    eprintln!("wrote {} ({})", p.display(), to);
                }
                None => std::io::stdout().write_all(&out)?,
            }
            Ok(0)
        }
    }
}

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

const PEER_SCRIPT: &str = include_str!("../../../ledes/peer/ledes_parser_bench.py");

/// Times the `ledes-parser` PyPI package on a file: line items per second, or why not.
fn peer(file: &Path) -> Result<f64, String> {
    let script = std::env::temp_dir().join(format!("lexops-ledes-peer-{}.py", std::process::id()));
    std::fs::write(&script, PEER_SCRIPT).map_err(|e| e.to_string())?;
    let out = std::process::Command::new("python3")
        .arg(&script)
        .arg(file)
        .output()
        .map_err(|e| format!("python3: {e}"))?;
    std::fs::remove_file(&script).ok();
    if !out.status.success() {
        return Err(format!(
            "ledes-parser failed (pip install ledes-parser): {}",
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or("")
        ));
    }
    let v: Value = serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())?;
    let n = v["line_items"].as_f64().unwrap_or(0.0);
    let s = v["seconds"].as_f64().unwrap_or(0.0).max(1e-9);
    Ok(n / s)
}

/// `lexops bench ledes`: generates a 1998B file of `size` line items, streams it through full
/// validation on one thread, and measures the `ledes-parser` package on a 20,000-line file.
pub fn bench(size: usize) -> anyhow::Result<Value> {
    let dir = std::env::temp_dir().join(format!("lexops-bench-ledes-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("invoices.txt");
    let t = Instant::now();
    {
        let f = std::fs::File::create(&path)?;
        let mut w = std::io::BufWriter::new(f);
        ledes::generate::Generator::new(2026)
            .line_items(size)
            .invoices_per_file(size.div_ceil(1000).max(1))
            .format(Format::Ledes1998B)
            .write_to(&mut w)?;
        w.flush()?;
    }
    let generate_s = t.elapsed().as_secs_f64();
    let bytes = std::fs::metadata(&path)?.len();
    let rss_before = peak_rss_mb();
    let f = std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(&path)?);
    let opts = ValidateOptions {
        keep_invoices: false,
        ..Default::default()
    };
    let m = ledes::bench::measure_stream(f, bytes, &opts);
    anyhow::ensure!(
        m.findings == 0 && m.line_items == size,
        "the generated file did not validate cleanly ({} findings, {} line items)",
        m.findings,
        m.line_items
    );
    let peer_file = dir.join("peer.txt");
    std::fs::write(
        &peer_file,
        ledes::generate::Generator::new(7)
            .line_items(20_000)
            .invoices_per_file(20)
            .format(Format::Ledes1998B)
            .to_vec(),
    )?;
    let peer_rate = peer(&peer_file);
    std::fs::remove_dir_all(&dir).ok();
    let mut v = json!({
        "suite": "ledes",
        "format": "LEDES 1998B",
        "line_items": m.line_items,
        "invoices": m.invoices,
        "file_mb": (bytes as f64 / 1e6 * 10.0).round() / 10.0,
        "seconds": (m.seconds * 1000.0).round() / 1000.0,
        "line_items_per_second": m.line_items_per_second.round(),
        "mb_per_second": (m.mb_per_second * 10.0).round() / 10.0,
        "peak_rss_mb": peak_rss_mb(),
        "rss_before_validation_mb": rss_before,
        "generate_seconds": (generate_s * 100.0).round() / 100.0,
        "threads": 1,
    });
    match peer_rate {
        Ok(r) => {
            v["peer_line_items_per_second"] = json!(r.round());
            v["peer"] = json!("ledes-parser (PyPI), 20,000 line items, parse only");
            v["speedup_vs_peer"] = json!((m.line_items_per_second / r * 10.0).round() / 10.0);
        }
        Err(e) => {
            v["peer_line_items_per_second"] = Value::Null;
            v["peer_error"] = json!(e);
        }
    }
    Ok(v)
}
