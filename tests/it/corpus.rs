//! Round trip: `spec reprint` is byte-identical on every spec we have, and
//! the tree's leaves tile the input.

use crate::util::{repo_root, shared_corpus, specs_under, TestCommand};
use venvjail::rpmspec;

/// Parses each file in-process: leaves tile the input and the tree walk
/// reprints it; returns the number of files checked.
fn check_files(files: &[std::path::PathBuf]) -> usize {
    let mut failures = Vec::new();
    for path in files {
        let bytes = std::fs::read(path).unwrap();
        let file = rpmspec::parse(&bytes);
        let mut at = 0;
        for t in &file.tokens {
            if t.span.start != at || t.span.end < t.span.start {
                failures.push(format!("{}: token gap at byte {at}", path.display()));
                break;
            }
            at = t.span.end;
        }
        if at != bytes.len() {
            failures.push(format!(
                "{}: tokens end at {at} of {}",
                path.display(),
                bytes.len()
            ));
        }
        if file.reprint() != bytes {
            failures.push(format!("{}: reprint differs", path.display()));
        }
        // The analysis must not panic either.
        let _ = rpmspec::dependencies(&file, rpmspec::MacroTable::new());
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    files.len()
}

#[test]
fn fixtures_round_trip() {
    let files = specs_under(&repo_root().join("tests/fixtures/specs"));
    assert!(
        files.len() > 150,
        "fixture set unexpectedly small: {}",
        files.len()
    );
    let n = check_files(&files);
    println!("round trip: {n}/{n} fixture specs byte-identical");
}

#[test]
fn full_corpus_round_trip() {
    let Some(corpus) = shared_corpus() else {
        println!("../shared/corpus not present: full corpus round trip skipped");
        return;
    };
    let files = specs_under(&corpus);
    let n = check_files(&files);
    println!("round trip: {n}/{n} corpus specs byte-identical");
}

#[test]
fn reprint_command_is_byte_identical() {
    let files = specs_under(&repo_root().join("tests/fixtures/specs"));
    for path in files.iter().step_by(20) {
        let run = TestCommand::new()
            .args(["spec", "reprint"])
            .arg_path(path)
            .run();
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_eq!(run.stdout_bytes, std::fs::read(path).unwrap());
    }
}
