//! The DOCX files lexops writes, opened by LibreOffice: a generated contract converts with its
//! headings, numbered clauses and table, and a redline's tracked changes arrive in LibreOffice
//! as revisions (ODT `text:changed-region`s of kind insertion and deletion). Runs where
//! `soffice` is installed; CI installs it and sets LEXOPS_REQUIRE_LIBREOFFICE=1 so a missing
//! LibreOffice fails instead of skipping.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

fn soffice() -> Option<PathBuf> {
    for name in ["soffice", "libreoffice"] {
        if let Ok(o) = Command::new(name).arg("--version").output()
            && o.status.success()
        {
            return Some(PathBuf::from(name));
        }
    }
    if std::env::var("LEXOPS_REQUIRE_LIBREOFFICE").is_ok_and(|v| v == "1") {
        panic!("LEXOPS_REQUIRE_LIBREOFFICE=1 but soffice is not installed");
    }
    eprintln!("soffice not installed: LibreOffice check skipped");
    None
}

/// One LibreOffice at a time: two starting at once on a fresh installation (the tests run in
/// parallel) have aborted with `WrappedTargetRuntimeException` before opening any file.
static SOFFICE: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Converts `file` with LibreOffice (headless, a profile of its own) to `to` ("txt:Text",
/// "odt") and returns the output's path. A run that ends without an output is tried once more
/// with a new profile (LibreOffice's first start in a new profile has aborted on its own); a
/// file LibreOffice cannot open fails both times.
fn convert(soffice: &Path, dir: &Path, file: &Path, to: &str, ext: &str) -> PathBuf {
    let _one = SOFFICE.lock().unwrap_or_else(|e| e.into_inner());
    let out = dir.join(file.with_extension(ext).file_name().unwrap());
    let mut failures = vec![];
    for attempt in 0..2 {
        let profile = dir.join(format!("profile-{attempt}"));
        let o = Command::new(soffice)
            .arg(format!(
                "-env:UserInstallation=file://{}",
                profile.display()
            ))
            .args(["--headless", "--norestore", "--convert-to", to, "--outdir"])
            .arg(dir)
            .arg(file)
            .output()
            .expect("soffice runs");
        if o.status.success() && out.exists() {
            return out;
        }
        failures.push(format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ));
    }
    panic!(
        "soffice failed on {}: {}",
        file.display(),
        failures.join("\n--- and again:\n")
    );
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("lexops-lo-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn a_generated_contract_opens_in_libreoffice_with_its_structure() {
    let Some(lo) = soffice() else { return };
    let dir = scratch("draft");
    let doc = drafting::Document::from_markdown(
        "# Services Agreement\n\nBetween **Acme Corp** and *Beta LLC*.\n\n1. Services\n   1. Scope of the services\n   2. Service levels\n2. Fees\n\n| Item | Fee |\n|---|---|\n| Setup | 1,000 |\n",
    );
    let bytes = drafting::docx::to_docx(&doc).unwrap();
    let file = dir.join("agreement.docx");
    std::fs::write(&file, bytes).unwrap();
    let txt = std::fs::read_to_string(convert(&lo, &dir, &file, "txt:Text", "txt")).unwrap();
    for want in [
        "Services Agreement",
        "Acme Corp",
        "Beta LLC",
        "Scope of the services",
        "Setup",
        "1,000",
    ] {
        assert!(
            txt.contains(want),
            "{want:?} not in LibreOffice's text:\n{txt}"
        );
    }
    // The clause numbering is ours (1, 1.1, 1.2, 2), not a default list.
    for label in ["1.1", "1.2"] {
        assert!(txt.contains(label), "numbering {label} not in:\n{txt}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_redline_opens_in_libreoffice_as_tracked_changes() {
    let Some(lo) = soffice() else { return };
    let dir = scratch("redline");
    let r = drafting::redline(
        "The Supplier shall deliver the Products within thirty days.\n\nFees are due in 30 days.",
        "The Supplier shall deliver the Products within sixty days.\n\nFees are due in 30 days.\n\nLate fees accrue at 1% a month.",
    );
    let bytes = drafting::redline::to_docx(&r, "Counterparty", "2026-11-27T00:00:00Z").unwrap();
    let file = dir.join("redline.docx");
    std::fs::write(&file, bytes).unwrap();
    let odt = convert(&lo, &dir, &file, "odt", "odt");
    let mut zip = zip::ZipArchive::new(std::fs::File::open(odt).unwrap()).unwrap();
    let mut content = String::new();
    zip.by_name("content.xml")
        .unwrap()
        .read_to_string(&mut content)
        .unwrap();
    let insertions = content.matches("<text:insertion>").count();
    let deletions = content.matches("<text:deletion>").count();
    assert!(
        insertions >= 2 && deletions >= 1,
        "LibreOffice saw {insertions} insertion(s) and {deletions} deletion(s):\n{content}"
    );
    assert!(content.contains("Counterparty"), "the author is kept");
    assert!(content.contains("sixty") && content.contains("thirty"));
    let _ = std::fs::remove_dir_all(&dir);
}
