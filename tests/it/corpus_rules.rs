//! How many corpus specs each reading rule of DESIGN §4.3 changes: the
//! dependencies `spec deps --format json` would report with every rule on,
//! against the same with that one rule off, per spec; and for
//! `--buildconfig`, the BuildRequires read with openSUSE Tumbleweed's build
//! configuration (`tests/fixtures/buildconfig/`) against rpm's reading.
//!
//! Ignored by default (it reads the whole corpus); run it with
//! `cargo test --test it corpus_rules -- --ignored --nocapture`. Macros as
//! in the librpm oracle test (rpm's macro files and the Fedora stub).

use std::path::Path;

use venvjail::rpmspec::{self, Analysis, DepTag, MacroTable, Rules};

use crate::util::{repo_root, shared_corpus, specs_under};

fn rpm_table() -> MacroTable {
    let mut t = MacroTable::with_rpm_core();
    for path in crate::oracle::venvjail_loads() {
        if let Ok(text) = std::fs::read(&path) {
            t.load_file_text(&text);
        }
    }
    t
}

fn deps_json(a: &Analysis, tags: Option<&[DepTag]>) -> String {
    let deps: Vec<_> = a
        .deps
        .iter()
        .filter(|d| tags.is_none_or(|t| t.contains(&d.tag)))
        .collect();
    serde_json::to_string(&deps).unwrap()
}

/// (rule, specs changed) for the corpus under `corpus`.
fn count(corpus: &Path) -> Vec<(&'static str, usize)> {
    let files = specs_under(corpus);
    let table = rpm_table();
    let conf_path = repo_root().join("tests/fixtures/buildconfig/tumbleweed.buildconfig");
    let conf = std::fs::read(conf_path).unwrap();
    let obs = rpmspec::buildconfig::read(&conf, "x86_64").macros;
    let off = |f: fn(&mut Rules)| {
        let mut r = Rules::default();
        f(&mut r);
        r
    };
    let variants: [(&str, Rules); 3] = [
        ("undecided branches", off(|r| r.undecided_branches = false)),
        ("whole-line macros", off(|r| r.whole_line_macros = false)),
        ("multi-line wrappers", off(|r| r.wrappers = false)),
    ];
    let mut counts = vec![0usize; variants.len() + 1];
    let build: &[DepTag] = &[DepTag::BuildRequires, DepTag::BuildPreReq];
    for path in &files {
        let bytes = std::fs::read(path).unwrap();
        let file = rpmspec::parse(&bytes);
        let all = deps_json(&rpmspec::dependencies(&file, table.clone()), None);
        for (i, (_, rules)) in variants.iter().enumerate() {
            let a = rpmspec::dependencies_with(&file, table.clone(), *rules);
            if deps_json(&a, None) != all {
                counts[i] += 1;
            }
        }
        let rpm_build = deps_json(&rpmspec::dependencies(&file, table.clone()), Some(build));
        let obs_build = deps_json(&rpmspec::dependencies(&file, obs.clone()), Some(build));
        if rpm_build != obs_build {
            counts[variants.len()] += 1;
        }
    }
    let mut names: Vec<&'static str> = variants.iter().map(|(n, _)| *n).collect();
    names.push("--buildconfig (Tumbleweed, BuildRequires)");
    names.into_iter().zip(counts).collect()
}

#[test]
#[ignore = "reads the whole corpus; run with --ignored --nocapture"]
fn specs_each_rule_changes() {
    let Some(corpus) = shared_corpus() else {
        println!("corpus rule count skipped: ../shared/corpus is not present");
        return;
    };
    let total = specs_under(&corpus).len();
    let counts = count(&corpus);
    println!("{total} corpus specs; specs whose dependencies a rule changes:");
    for (rule, n) in &counts {
        println!("  {rule}: {n}");
    }
    for (rule, n) in counts {
        assert!(n > 0, "{rule} changes no corpus spec");
    }
}
