//! `lint`: one snapshot per finding code, one test per exit code.

use std::sync::OnceLock;

use crate::util::{repo_root, Dir};

fn lint(dir: &Dir, args: &[&str]) -> String {
    let mut all = vec!["lint", "."];
    all.extend_from_slice(args);
    let run = dir.cmd().args(&all).run();
    format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        run.code, run.stdout, run.stderr
    )
}

/// `lint --format github|sarif|gitlab` on `dir`, as one snapshot. Each
/// format exits as the text format does, the SARIF log passes the SARIF
/// 2.1.0 schema, and the GitLab report holds what GitLab requires.
fn ci_formats(dir: &Dir) -> String {
    let text = dir.cmd().args(["lint", "."]).run();
    let mut shown = String::new();
    for format in ["github", "sarif", "gitlab"] {
        let run = dir.cmd().args(["lint", ".", "--format", format]).run();
        assert_eq!(run.code, text.code, "exit of --format {format}");
        assert_eq!(run.stderr, text.stderr, "stderr of --format {format}");
        match format {
            "sarif" => {
                let log: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
                assert_eq!(sarif_schema_errors(&log), Vec::<String>::new());
            }
            "gitlab" => check_gitlab(&run.stdout),
            _ => {}
        }
        shown.push_str(&format!("--- {format}, exit {}\n{}", run.code, run.stdout));
    }
    shown
        .replace(
            &format!("\"version\": \"{}\"", env!("CARGO_PKG_VERSION")),
            "\"version\": \"[version]\"",
        )
        .replace(
            &format!("\"semanticVersion\": \"{}\"", env!("CARGO_PKG_VERSION")),
            "\"semanticVersion\": \"[version]\"",
        )
}

/// The official SARIF 2.1.0 schema (see tests/fixtures/README.md).
fn sarif_schema() -> &'static jsonschema::Validator {
    static SCHEMA: OnceLock<jsonschema::Validator> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let path = repo_root().join("tests/fixtures/sarif/sarif-schema-2.1.0.json");
        // The schema's `language` pattern has a stray `]` that the
        // meta-schema's `regex` format (ECMA-262) rejects, a known erratum;
        // it is read here as the two-letter code and optional region it
        // describes. venvjail does not write `language`.
        let text = std::fs::read_to_string(path).unwrap().replace(
            "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$",
            "^[a-zA-Z]{2}(-[a-zA-Z]{2})?$",
        );
        let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
        jsonschema::validator_for(&schema).expect("the SARIF schema compiles")
    })
}

fn sarif_schema_errors(log: &serde_json::Value) -> Vec<String> {
    sarif_schema()
        .iter_errors(log)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}

/// What GitLab's Code Quality report needs of each issue.
fn check_gitlab(report: &str) {
    let issues: Vec<serde_json::Value> = serde_json::from_str(report).unwrap();
    let mut fingerprints = Vec::new();
    for issue in &issues {
        assert!(issue["description"].as_str().is_some_and(|d| !d.is_empty()));
        assert!(issue["check_name"].as_str().is_some_and(|d| !d.is_empty()));
        let severity = issue["severity"].as_str().unwrap();
        assert!(
            ["info", "minor", "major", "critical", "blocker"].contains(&severity),
            "{severity}"
        );
        assert!(issue["location"]["path"].as_str().is_some());
        assert!(issue["location"]["lines"]["begin"].as_u64().unwrap() >= 1);
        let fingerprint = issue["fingerprint"].as_str().unwrap().to_owned();
        assert!(!fingerprints.contains(&fingerprint), "{fingerprint} twice");
        fingerprints.push(fingerprint);
    }
}

const CLEAN: &str = "Name:           demo
Version:        1
Release:        0
BuildRequires:  gcc
# SECTION venvjail BuildRequires
BuildRequires:  python311-foo
# /SECTION
%if 0%{?suse_version}
Requires:       same
%else
Requires:       same
%endif

%description
Demo.
";

#[test]
fn clean_directory_exits_0() {
    let dir = Dir::new();
    dir.write("demo.spec", CLEAN);
    dir.write(
        "exclude-rpm",
        "# mine\n# SECTION venvjail\n.*-devel$\n# /SECTION\n",
    );
    insta::assert_snapshot!(lint(&dir, &[]));
    insta::assert_snapshot!(ci_formats(&dir));
}

#[test]
fn spec_syntax() {
    let dir = Dir::new();
    dir.write("demo.spec", "Name: demo\n%if 1\nBuildRequires: a\n");
    insta::assert_snapshot!(lint(&dir, &[]));
    insta::assert_snapshot!(ci_formats(&dir));
}

#[test]
fn invalid_regex() {
    let dir = Dir::new();
    dir.write("exclude-rpm", "ok\n  foo(\n(?!look)\n");
    dir.write("include-rpm", r"(a)\1");
    insta::assert_snapshot!(lint(&dir, &[]));
    insta::assert_snapshot!(ci_formats(&dir));
}

#[test]
fn unclosed_and_duplicate_blocks() {
    let dir = Dir::new();
    dir.write(
        "a.spec",
        "Name: a\n# SECTION venvjail BuildRequires\nBuildRequires: x\n",
    );
    dir.write(
        "b.spec",
        "Name: b\n# SECTION venvjail BuildRequires\n# /SECTION\n# SECTION venvjail BuildRequires\n# /SECTION\n",
    );
    dir.write("include-rpm", "# SECTION venvjail\nfoo$\n");
    insta::assert_snapshot!(lint(&dir, &[]));
    insta::assert_snapshot!(ci_formats(&dir));
}

#[test]
fn block_in_conditional() {
    let dir = Dir::new();
    dir.write(
        "a.spec",
        "Name: a\n%if 1\n# SECTION venvjail Requires\nRequires: x\n# /SECTION\n%endif\n",
    );
    insta::assert_snapshot!(lint(&dir, &[]));
    insta::assert_snapshot!(ci_formats(&dir));
}

#[test]
fn duplicate_dependency_and_hand_written_copy_of_the_block() {
    let dir = Dir::new();
    dir.write(
        "a.spec",
        "Name: a
BuildRequires:  gcc
BuildRequires:  make, gcc
BuildRequires:  python311-foo
# SECTION venvjail BuildRequires
BuildRequires:  python311-foo
# /SECTION
%if 1
Requires: x
%else
Requires: x
%endif
",
    );
    insta::assert_snapshot!(lint(&dir, &[]));
    insta::assert_snapshot!(ci_formats(&dir));
}

#[test]
fn buildrequires_in_subpackage_is_a_warning() {
    let dir = Dir::new();
    dir.write(
        "a.spec",
        "Name: a\n%package sub\nSummary: s\nBuildRequires: x\n%description sub\nS.\n",
    );
    insta::assert_snapshot!(lint(&dir, &[]));
    // Warnings only: exit 0, unless --strict.
    insta::assert_snapshot!(lint(&dir, &["--strict"]));
    insta::assert_snapshot!(lint(&dir, &["--format", "json"]));
    insta::assert_snapshot!(ci_formats(&dir));
}

#[test]
fn invalid_dependency() {
    let dir = Dir::new();
    dir.write("a.spec", "Name: a\nRequires: ok =1\n");
    insta::assert_snapshot!(lint(&dir, &[]));
    insta::assert_snapshot!(ci_formats(&dir));
}

#[test]
fn missing_directory_exits_2() {
    let dir = Dir::new();
    let run = dir.cmd().args(["lint", "nope"]).run();
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "venvjail: cannot read nope: no such file or directory\n"
    );
}

#[test]
fn the_example_package_is_clean() {
    let run = crate::util::TestCommand::new()
        .args(["lint"])
        .arg_path(&repo_root().join("examples/venv-salt-minion"))
        .run();
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
}

#[test]
fn lint_is_clean_right_after_spec_edit() {
    let dir = Dir::new();
    dir.write("a.spec", "Name: a\nBuildRequires: gcc\n%description\nA.\n");
    let run = dir
        .cmd()
        .args([
            "spec",
            "edit",
            "a.spec",
            "--buildrequires",
            "x y",
            "--requires",
            "z",
        ])
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = dir.cmd().args(["lint", "--strict"]).run();
    assert_eq!((run.code, run.stdout.as_str()), (0, ""));
}

fn example_copy() -> Dir {
    let dir = Dir::new();
    let example = repo_root().join("examples/venv-salt-minion");
    for entry in std::fs::read_dir(&example).unwrap() {
        let p = entry.unwrap().path();
        dir.write(
            p.file_name().unwrap().to_str().unwrap(),
            std::fs::read(&p).unwrap(),
        );
    }
    dir
}

#[test]
fn drift_after_editing_include_rpm_by_hand() {
    let dir = example_copy();
    let run = dir.cmd().args(["lint"]).run();
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let text = String::from_utf8(dir.read("include-rpm")).unwrap();
    dir.write("include-rpm", text.replace("python311-msgpack$\n", ""));
    insta::assert_snapshot!(lint(&dir, &[]));
    insta::assert_snapshot!(ci_formats(&dir));
}

#[test]
fn unknown_service_parameter() {
    let dir = Dir::new();
    dir.write(
        "_service",
        "<services>\n  <service name=\"venvjail\" mode=\"manual\">\n    <param name=\"projekt\">x</param>\n  </service>\n</services>\n",
    );
    insta::assert_snapshot!(lint(&dir, &[]));
    insta::assert_snapshot!(ci_formats(&dir));
}

#[test]
fn github_annotations_escape_percent_line_breaks_colon_and_comma() {
    let dir = Dir::new();
    // A file name with `,` and `:` (escaped in the `file=` property), and a
    // pattern with `,`, `:`, `%` and a carriage return (escaped in the
    // message; `,` and `:` stay there).
    dir.write("x,y:z.spec", "Name: x\n%if 1\n");
    dir.write("exclude-rpm", "a,:%\r(\n");
    let run = dir.cmd().args(["lint", "--format", "github"]).run();
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stdout,
        "::error file=x%2Cy%3Az.spec,line=2,col=1,title=venvjail spec-syntax::unclosed %25if: no %25endif before the end of the file\n\
         ::error file=exclude-rpm,line=1,col=1,title=venvjail invalid-regex::invalid regex 'a,:%25%0D(': unclosed group\n"
    );
    // A newline: the drift diff follows the message, one line per finding.
    let dir = example_copy();
    let text = String::from_utf8(dir.read("include-rpm")).unwrap();
    dir.write("include-rpm", text.replace("python311-msgpack$\n", ""));
    let run = dir.cmd().args(["lint", "--format", "github"]).run();
    assert_eq!(run.code, 1);
    assert_eq!(run.stdout.lines().count(), 1, "{}", run.stdout);
    assert!(
        run.stdout.contains(
            "(osc service manualrun; runall with osc before 1.0)%0A--- a/include-rpm%0A+++ b/include-rpm%0A@@ -14,6 +14,7 @@%0A"
        ),
        "{}",
        run.stdout
    );
}

/// A directory with findings of several codes, two of them equal but for
/// their line.
fn several_findings() -> Dir {
    let dir = Dir::new();
    dir.write(
        "a.spec",
        "Name: a\nBuildRequires: gcc\nBuildRequires: gcc\nBuildRequires: gcc\n%package sub\nSummary: s\nBuildRequires: x\n%description sub\nS.\n",
    );
    dir.write("exclude-rpm", "foo(\nfoo(\n");
    dir
}

fn gitlab_fingerprints(dir: &Dir) -> Vec<String> {
    let run = dir.cmd().args(["lint", "--format", "gitlab"]).run();
    assert_eq!(run.code, 1, "{}", run.stderr);
    check_gitlab(&run.stdout);
    let issues: Vec<serde_json::Value> = serde_json::from_str(&run.stdout).unwrap();
    issues
        .iter()
        .map(|i| i["fingerprint"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn gitlab_fingerprints_are_stable_and_distinct() {
    let dir = several_findings();
    let first = gitlab_fingerprints(&dir);
    assert_eq!(first.len(), 5, "{first:?}");
    // check_gitlab asserted they differ; a second run gives the same ones.
    assert_eq!(gitlab_fingerprints(&dir), first);
    // A comment added above the findings moves their lines, not their
    // fingerprints (GitLab would otherwise show them as fixed and new).
    let spec = String::from_utf8(dir.read("a.spec")).unwrap();
    dir.write("a.spec", format!("# a comment\n{spec}"));
    let list = String::from_utf8(dir.read("exclude-rpm")).unwrap();
    dir.write("exclude-rpm", format!("# a comment\n{list}"));
    assert_eq!(gitlab_fingerprints(&dir), first);
    // A different finding has a different fingerprint.
    dir.write("exclude-rpm", "# a comment\nfoo(\nbar(\n");
    let changed = gitlab_fingerprints(&dir);
    assert_eq!(changed[..4], first[..4]);
    assert_ne!(changed[4], first[4]);
}

#[test]
fn sarif_is_deterministic_and_relative_to_dir() {
    let dir = Dir::new();
    dir.write("pkg/a b.spec", "Name: a\nRequires: ok =1\n");
    let sarif = || {
        let run = dir.cmd().args(["lint", "pkg", "--format", "sarif"]).run();
        assert_eq!(run.code, 1, "{}", run.stderr);
        run.stdout
    };
    let first = sarif();
    assert_eq!(sarif(), first);
    let log: serde_json::Value = serde_json::from_str(&first).unwrap();
    assert_eq!(sarif_schema_errors(&log), Vec::<String>::new());
    let run = &log["runs"][0];
    assert_eq!(
        run["originalUriBaseIds"]["PKGDIR"],
        serde_json::json!({"uri": "pkg/", "uriBaseId": "%SRCROOT%"})
    );
    assert_eq!(
        run["results"][0]["locations"][0]["physicalLocation"],
        serde_json::json!({
            "artifactLocation": {"uri": "a%20b.spec", "uriBaseId": "PKGDIR"},
            "region": {"startLine": 2, "startColumn": 1}
        })
    );
    // GitHub and GitLab name the file as lint printed it.
    let run = dir
        .cmd()
        .args(["lint", "./pkg", "--format", "gitlab"])
        .run();
    let issues: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(issues[0]["location"]["path"], "pkg/a b.spec");
}

#[test]
fn the_sarif_schema_rejects_a_broken_log() {
    let dir = several_findings();
    let run = dir.cmd().args(["lint", "--format", "sarif"]).run();
    let good: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(sarif_schema_errors(&good), Vec::<String>::new());
    let broken = |edit: &dyn Fn(&mut serde_json::Value)| {
        let mut log = good.clone();
        edit(&mut log);
        sarif_schema_errors(&log)
    };
    // A level SARIF does not have, a line 0, a run without its tool, and an
    // unknown property: each fails, naming where.
    let errors = broken(&|l| l["runs"][0]["results"][0]["level"] = "fatal".into());
    assert!(
        errors
            .iter()
            .any(|e| e.ends_with("at /runs/0/results/0/level")),
        "{errors:?}"
    );
    let errors = broken(&|l| {
        l["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
            0.into();
    });
    assert!(
        errors
            .iter()
            .any(|e| e.ends_with("/physicalLocation/region/startLine")),
        "{errors:?}"
    );
    let errors = broken(&|l| {
        l["runs"][0].as_object_mut().unwrap().remove("tool");
    });
    assert!(errors.iter().any(|e| e.contains("\"tool\"")), "{errors:?}");
    let errors = broken(&|l| l["runs"][0]["severity"] = "high".into());
    assert!(!errors.is_empty());
}

#[test]
fn the_readme_explains_every_code_where_sarif_help_points() {
    use venvjail::lint::codes::{CODES, HELP_URI};
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let (_, table) = readme
        .split_once("\n#### Finding codes\n")
        .expect("a Finding codes heading (the anchor #finding-codes)");
    assert!(HELP_URI.ends_with("#finding-codes"), "{HELP_URI}");
    let rows: Vec<&str> = table
        .lines()
        .skip_while(|l| !l.starts_with("|---"))
        .skip(1)
        .take_while(|l| l.starts_with('|'))
        .filter_map(|l| l.split('`').nth(1))
        .collect();
    let codes: Vec<&str> = CODES.iter().map(|c| c.code).collect();
    assert_eq!(rows, codes);
}

#[test]
fn every_format_exits_2_and_prints_nothing_when_lint_cannot_run() {
    let dir = Dir::new();
    for format in ["text", "json", "github", "sarif", "gitlab"] {
        let run = dir.cmd().args(["lint", "nope", "--format", format]).run();
        assert_eq!(
            (run.code, run.stdout.as_str(), run.stderr.as_str()),
            (
                2,
                "",
                "venvjail: cannot read nope: no such file or directory\n"
            ),
            "--format {format}"
        );
    }
}

#[test]
fn strict_counts_warnings_in_every_format() {
    let dir = Dir::new();
    dir.write(
        "a.spec",
        "Name: a\n%package sub\nSummary: s\nBuildRequires: x\n%description sub\nS.\n",
    );
    for format in ["text", "json", "github", "sarif", "gitlab"] {
        let code = |args: &[&str]| {
            let mut all = vec!["lint", "--format", format];
            all.extend_from_slice(args);
            dir.cmd().args(&all).run().code
        };
        assert_eq!(
            (code(&[]), code(&["--strict"])),
            (0, 1),
            "--format {format}"
        );
    }
}
