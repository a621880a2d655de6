//! `spec deps` on hand-made inputs: exact text and JSON output, warnings
//! and exit codes (snapshots in `tests/it/snapshots/`).

use crate::util::{repo_root, TestCommand};

/// Runs `spec deps` in the hand-made fixture directory and renders exit
/// code, stdout and stderr as one snapshot.
fn deps(args: &[&str]) -> String {
    let dir = repo_root().join("tests/fixtures/specs/handmade");
    let mut cmd = TestCommand::new();
    let run = cmd.cwd(&dir).args(["spec", "deps"]).args(args).run();
    format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        run.code, run.stdout, run.stderr
    )
}

#[test]
fn continuation_lines() {
    insta::assert_snapshot!(deps(&["continuation.spec"]));
    insta::assert_snapshot!(deps(&["continuation.spec", "--format", "json"]));
}

#[test]
fn nested_conditionals_with_package_headers() {
    insta::assert_snapshot!(deps(&["nested.spec"]));
    insta::assert_snapshot!(deps(&[
        "nested.spec",
        "--format",
        "json",
        "--define",
        "fedora 42"
    ]));
}

#[test]
fn ifarch_decided_by_target_cpu() {
    let out = deps(&[
        "nested.spec",
        "--format",
        "json",
        "--define",
        "_target_cpu aarch64",
    ]);
    let json: serde_json::Value = serde_json::from_str(
        out.split("--- stdout\n")
            .nth(1)
            .unwrap()
            .split("--- stderr")
            .next()
            .unwrap(),
    )
    .unwrap();
    let arch = json["deps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "arch-specific")
        .unwrap();
    assert_eq!(arch["active"], true);
    assert_eq!(arch["conditions"][0]["text"], "%ifarch x86_64 aarch64");
}

#[test]
fn dependency_lists_rich_qualifiers_subpackages() {
    insta::assert_snapshot!(deps(&["deplists.spec"]));
    insta::assert_snapshot!(deps(&[
        "deplists.spec",
        "--format",
        "json",
        "--define",
        "python_module() python311-%{**} python313-%{**}",
    ]));
}

#[test]
fn opensuse_idioms() {
    insta::assert_snapshot!(deps(&["opensuse.spec", "--format", "json"]));
    insta::assert_snapshot!(deps(&[
        "opensuse.spec",
        "--format",
        "json",
        "--load",
        "opensuse.macros"
    ]));
}

#[test]
fn crlf_and_no_final_newline() {
    insta::assert_snapshot!(deps(&["crlf.spec", "--format", "json"]));
}

#[test]
fn invalid_utf8() {
    insta::assert_snapshot!(deps(&["invalid-utf8.spec"]));
}

#[test]
fn unbalanced_conditionals_and_unclosed_macros_warn_and_continue() {
    insta::assert_snapshot!(deps(&["warnings.spec"]));
    insta::assert_snapshot!(deps(&["comment-swallows.spec"]));
}

#[test]
fn several_files_give_an_array() {
    insta::assert_snapshot!(deps(&[
        "crlf.spec",
        "invalid-utf8.spec",
        "--format",
        "json"
    ]));
}

/// Many files are read on every core; the output must be what each file
/// gives alone, in the order given, warnings included.
#[test]
fn many_files_give_each_files_output_in_order() {
    let root = repo_root();
    let mut files = crate::util::specs_under(&root.join("tests/fixtures/specs"));
    files.sort();
    // Reversed, so the order given (not the sorted one) is what must show.
    files.reverse();
    assert!(files.len() > 100, "fixture specs: {}", files.len());
    let alone = |format: &str, file: &std::path::Path| {
        TestCommand::new()
            .args(["spec", "deps", "--format", format])
            .arg_path(file)
            .run()
    };
    for format in ["text", "json"] {
        let all = TestCommand::new()
            .args(["spec", "deps", "--format", format])
            .args(&files)
            .run();
        assert_eq!(all.code, 0, "{}", all.stderr);
        let runs: Vec<_> = files.iter().map(|f| alone(format, f)).collect();
        let stderr: String = runs.iter().map(|r| r.stderr.as_str()).collect();
        assert_eq!(all.stderr, stderr, "{format}: warnings in file order");
        if format == "text" {
            let stdout: String = runs.iter().map(|r| r.stdout.as_str()).collect();
            assert_eq!(all.stdout, stdout);
        } else {
            let array: serde_json::Value = serde_json::from_str(&all.stdout).unwrap();
            let each: Vec<serde_json::Value> = runs
                .iter()
                .map(|r| serde_json::from_str(&r.stdout).unwrap())
                .collect();
            assert_eq!(array, serde_json::Value::Array(each));
        }
    }
}
