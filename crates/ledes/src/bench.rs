//! Measuring: generate a file of a given size, validate it, and report throughput. Used by
//! `lexops bench ledes` and by `examples/throughput.rs`.

use crate::generate::Generator;
use crate::{Format, Reader, ValidateOptions};
use serde::Serialize;
use std::time::Instant;

/// The figures of one run.
#[derive(Debug, Clone, Serialize)]
pub struct Measurement {
    /// Format measured.
    pub format: Format,
    /// Line items read.
    pub line_items: usize,
    /// Invoices read.
    pub invoices: usize,
    /// Input size.
    pub bytes: u64,
    /// Wall time of parse + validation.
    pub seconds: f64,
    /// Line items per second.
    pub line_items_per_second: f64,
    /// Megabytes (10^6 bytes) per second.
    pub mb_per_second: f64,
    /// Findings (a generated file has none).
    pub findings: usize,
}

/// Validates an in-memory file and measures it.
pub fn measure_slice(input: &[u8], opts: &ValidateOptions) -> Measurement {
    let t = Instant::now();
    let report = crate::validate(input, opts);
    let s = t.elapsed().as_secs_f64().max(1e-9);
    Measurement {
        format: report.format.unwrap_or(Format::Ledes1998B),
        line_items: report.line_items,
        invoices: report.invoice_count,
        bytes: input.len() as u64,
        seconds: s,
        line_items_per_second: report.line_items as f64 / s,
        mb_per_second: input.len() as f64 / 1e6 / s,
        findings: report.findings.len(),
    }
}

/// Streams a file through [`Reader`] (validation only, flat memory) and measures it.
pub fn measure_stream<R: std::io::BufRead>(
    input: R,
    bytes: u64,
    opts: &ValidateOptions,
) -> Measurement {
    let t = Instant::now();
    let mut reader = Reader::new(input, opts.clone()).findings_only();
    let mut invoices = 0;
    let mut findings = 0;
    for item in &mut reader {
        invoices += 1;
        findings += item.findings.len();
    }
    findings += reader.take_file_findings().len();
    let s = t.elapsed().as_secs_f64().max(1e-9);
    let n = reader.line_items();
    Measurement {
        format: reader.format().unwrap_or(Format::Ledes1998B),
        line_items: n,
        invoices,
        bytes,
        seconds: s,
        line_items_per_second: n as f64 / s,
        mb_per_second: bytes as f64 / 1e6 / s,
        findings,
    }
}

/// Generates `line_items` realistic line items (1,000 per invoice) in `format` and measures
/// in-memory validation without keeping invoices.
///
/// ```
/// let m = ledes::bench::run(2_000, ledes::Format::Ledes1998B);
/// assert_eq!((m.line_items, m.findings), (2_000, 0));
/// ```
pub fn run(line_items: usize, format: Format) -> Measurement {
    let file = Generator::new(2024)
        .line_items(line_items)
        .invoices_per_file(line_items.div_ceil(1000).max(1))
        .format(format)
        .to_vec();
    let opts = ValidateOptions {
        keep_invoices: false,
        ..ValidateOptions::default()
    };
    measure_slice(&file, &opts)
}
