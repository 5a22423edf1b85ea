//! Fuzzes reading and validation of every LEDES format, in memory and streamed, and writing back
//! what was read.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let opts = ledes::ValidateOptions {
        max_findings: 100,
        ..Default::default()
    };
    let report = ledes::validate(data, &opts);
    let _ = report.render_text("fuzz");
    for item in ledes::Reader::new(data, opts.clone()) {
        let _ = item.has_errors();
    }
    if let Some(format) = report.format {
        if let Ok(bytes) = ledes::write(&report.invoices, format) {
            let _ = ledes::validate(&bytes, &opts);
        }
    }
});
