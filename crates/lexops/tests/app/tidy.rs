//! Cheap conventions, checked inside `cargo test`: every source file starts with a `//!`
//! module doc, no unfinished-code macros, no ignored tests, no floats for money columns.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            if !p.ends_with("target") && !p.ends_with("fixtures") {
                rust_files(&p, out);
            }
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

#[test]
fn every_module_says_what_it_owns_and_nothing_is_left_unfinished() {
    let root = workspace();
    let mut files = vec![];
    for d in [
        "crates/lexops/src",
        "crates/lexops/tests",
        "crates/blobstore/src",
        "crates/ledes/src",
    ] {
        if root.join(d).exists() {
            rust_files(&root.join(d), &mut files);
        }
    }
    assert!(files.len() > 20);
    let mut problems = vec![];
    let banned = [
        concat!("todo", "!("),
        concat!("unimplemented", "!("),
        concat!("#[", "ignore]"),
    ];
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        if !first.starts_with("//!") {
            problems.push(format!(
                "{}: the first line must be a //! module doc",
                f.display()
            ));
        }
        for b in banned {
            if text.contains(b) {
                problems.push(format!("{}: contains {b}", f.display()));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn money_and_time_columns_are_never_floating_point() {
    let root = workspace().join("crates/lexops/migrations");
    for backend in ["sqlite", "postgres"] {
        for e in std::fs::read_dir(root.join(backend)).unwrap() {
            let text = std::fs::read_to_string(e.unwrap().path())
                .unwrap()
                .to_uppercase();
            for bad in ["REAL", "FLOAT", "DOUBLE"] {
                assert!(
                    !text.split(|c: char| !c.is_alphanumeric()).any(|w| w == bad),
                    "{backend}: a {bad} column"
                );
            }
        }
    }
}
