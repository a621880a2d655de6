//! `lint`: one snapshot per finding code, one test per exit code.

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
}

#[test]
fn spec_syntax() {
    let dir = Dir::new();
    dir.write("demo.spec", "Name: demo\n%if 1\nBuildRequires: a\n");
    insta::assert_snapshot!(lint(&dir, &[]));
}

#[test]
fn invalid_regex() {
    let dir = Dir::new();
    dir.write("exclude-rpm", "ok\n  foo(\n(?!look)\n");
    dir.write("include-rpm", r"(a)\1");
    insta::assert_snapshot!(lint(&dir, &[]));
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
}

#[test]
fn block_in_conditional() {
    let dir = Dir::new();
    dir.write(
        "a.spec",
        "Name: a\n%if 1\n# SECTION venvjail Requires\nRequires: x\n# /SECTION\n%endif\n",
    );
    insta::assert_snapshot!(lint(&dir, &[]));
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
}

#[test]
fn invalid_dependency() {
    let dir = Dir::new();
    dir.write("a.spec", "Name: a\nRequires: ok =1\n");
    insta::assert_snapshot!(lint(&dir, &[]));
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
}

#[test]
fn unknown_service_parameter() {
    let dir = Dir::new();
    dir.write(
        "_service",
        "<services>\n  <service name=\"venvjail\" mode=\"manual\">\n    <param name=\"projekt\">x</param>\n  </service>\n</services>\n",
    );
    insta::assert_snapshot!(lint(&dir, &[]));
}
