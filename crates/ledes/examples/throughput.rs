//! Measures parse + full validation throughput of LEDES 1998B (and 98BI) in memory and streamed
//! from a file: `cargo run --release -p ledes --example throughput -- [LINE_ITEMS]`.

use ledes::generate::Generator;
use ledes::{Format, ValidateOptions};
use std::io::BufReader;

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse::<f64>().ok())
            })
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let opts = ValidateOptions {
        keep_invoices: false,
        ..ValidateOptions::default()
    };
    let dir = std::env::temp_dir();
    for format in [Format::Ledes1998B, Format::Ledes98BI] {
        let path = dir.join(format!("ledes-throughput-{}.txt", format.id()));
        let generator = Generator::new(2024)
            .line_items(n)
            .invoices_per_file(n.div_ceil(1000))
            .format(format);
        let file = std::fs::File::create(&path).expect("create");
        let bytes = generator
            .write_to(std::io::BufWriter::new(file))
            .expect("write");
        println!("rss after generating to file: {:.1} MB", peak_rss_mb());
        let f = std::fs::File::open(&path).expect("open");
        let m = ledes::bench::measure_stream(BufReader::with_capacity(1 << 16, f), bytes, &opts);
        println!(
            "{} streamed: {} line items, {:.1} MB in {:.3} s: {:.0} line items/s, {:.1} MB/s, {} findings; peak RSS {:.1} MB",
            format,
            m.line_items,
            m.bytes as f64 / 1e6,
            m.seconds,
            m.line_items_per_second,
            m.mb_per_second,
            m.findings,
            peak_rss_mb()
        );
        let data = std::fs::read(&path).expect("read");
        let m = ledes::bench::measure_slice(&data, &opts);
        println!(
            "{} in memory: {:.0} line items/s, {:.1} MB/s",
            format, m.line_items_per_second, m.mb_per_second
        );
        let _ = std::fs::remove_file(&path);
    }
}
