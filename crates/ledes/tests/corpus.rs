//! Replays the fuzz corpus (`fuzz/corpus/ledes_read/`) through everything the fuzz target does,
//! so every input that once crashed stays fixed under a plain `cargo test`.

use std::path::Path;

#[test]
fn fuzz_corpus_never_panics() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/ledes_read");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).expect("fuzz corpus directory") {
        let path = entry.expect("entry").path();
        if !path.is_file() {
            continue;
        }
        let data = std::fs::read(&path).expect("read");
        let opts = ledes::ValidateOptions {
            max_findings: 100,
            ..Default::default()
        };
        let report = ledes::validate(&data, &opts);
        let _ = report.render_text("corpus");
        let _ = serde_json::to_string(&report).expect("report serializes");
        for item in ledes::Reader::new(&data[..], opts.clone()) {
            let _ = item.has_errors();
        }
        if let Some(format) = report.format
            && let Ok(bytes) = ledes::write(&report.invoices, format)
        {
            let _ = ledes::validate(&bytes, &opts);
        }
        n += 1;
    }
    assert!(n >= 5, "expected seed files in {}", dir.display());
}
