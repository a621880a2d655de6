//! `spec edit`: given a spec, running an edit, produces exact files,
//! messages and exit codes.

use crate::util::Dir;

/// Writes `input` as `x.spec`, runs `spec edit x.spec ARGS`, and renders
/// exit code, stdout, stderr and the resulting file (`\r` made visible).
fn edit(input: &str, args: &[&str]) -> String {
    let dir = Dir::new();
    dir.write("x.spec", input);
    let mut all = vec!["spec", "edit", "x.spec"];
    all.extend_from_slice(args);
    let run = dir.cmd().args(&all).run();
    let after = String::from_utf8(dir.read("x.spec")).unwrap();
    let unchanged = if after == input { " (unchanged)" } else { "" };
    let eof = if after.ends_with('\n') {
        ""
    } else {
        "\n[no final newline]"
    };
    format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}--- x.spec{unchanged}\n{}{eof}",
        run.code,
        run.stdout,
        run.stderr,
        after.replace('\r', "\\r")
    )
}

const PROBES: &[&str] = &[
    "--buildrequires",
    "venvjail-probe-b >= 1.2 venvjail-probe-a",
];

#[test]
fn replaces_an_existing_block() {
    let spec = "Name:           demo
Version:        1
Release:        0
BuildRequires:  gcc
# SECTION venvjail BuildRequires
BuildRequires:  old-dep
BuildRequires:  older-dep
# /SECTION
Requires:       bash

%description
Demo.
";
    insta::assert_snapshot!(edit(spec, PROBES));
}

#[test]
fn second_run_changes_nothing() {
    let dir = Dir::new();
    dir.write(
        "x.spec",
        "Name: demo\nBuildRequires: gcc\n%description\nD.\n",
    );
    let args = ["spec", "edit", "x.spec", "--buildrequires", "a b"];
    assert_eq!(dir.cmd().args(args).run().code, 0);
    let once = dir.read("x.spec");
    let run = dir.cmd().args(args).run();
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
    assert_eq!(dir.read("x.spec"), once);
    let run = dir
        .cmd()
        .args([
            "spec",
            "edit",
            "x.spec",
            "--buildrequires",
            "a b",
            "--check",
        ])
        .run();
    assert_eq!(run.code, 0, "--check on an up-to-date file");
}

#[test]
fn inserts_after_the_last_unconditional_buildrequires() {
    let spec = "Name:           demo
Version:        1
Release:        0
BuildRequires:  gcc
BuildRequires:  make
%if 0%{?suse_version}
BuildRequires:  suse-macros
%endif
Requires:       bash

%description
Demo.
";
    insta::assert_snapshot!(edit(spec, PROBES));
}

#[test]
fn inserts_at_the_end_of_the_preamble_without_buildrequires() {
    let spec = "Name:           demo
Version:        1
Release:        0
Summary:        Demo
License:        MIT

%description
Demo.
";
    insta::assert_snapshot!(edit(spec, PROBES));
}

#[test]
fn never_lands_inside_an_opensuse_section_group() {
    let spec = "Name:           python-demo
Version:        1
Release:        0
BuildRequires:  %{python_module setuptools}
# SECTION test requirements
BuildRequires:  %{python_module pytest}
# /SECTION
BuildRequires:  fdupes
# SECTION more test requirements
BuildRequires:  %{python_module mock}
# /SECTION

%description
Demo.
";
    insta::assert_snapshot!(edit(spec, PROBES));
}

#[test]
fn tab_aligned_file() {
    let spec = "Name:\t\tdemo\nVersion:\t1\nRelease:\t0\nBuildRequires:\tgcc\nRequires:\tbash\n\n%description\nDemo.\n";
    insta::assert_snapshot!(edit(
        spec,
        &["--buildrequires", "a", "--requires", "b c >= 2"]
    ));
}

#[test]
fn space_aligned_to_another_column() {
    let spec = "Name:     demo\nVersion:  1\nRelease:  0\nRequires: bash\n\n%description\nDemo.\n";
    insta::assert_snapshot!(edit(spec, &["--requires", "python3-foo"]));
}

#[test]
fn crlf_file() {
    let spec = "Name:           demo\r\nVersion:        1\r\nBuildRequires:  gcc\r\n\r\n%description\r\nDemo.\r\n";
    insta::assert_snapshot!(edit(spec, PROBES));
}

#[test]
fn no_final_newline() {
    let spec = "Name:           demo\nVersion:        1\nBuildRequires:  gcc";
    insta::assert_snapshot!(edit(spec, PROBES));
}

#[test]
fn requires_into_a_subpackage() {
    let spec = "Name:           demo
Version:        1
Release:        0
Requires:       bash

%package -n demo-extra
Summary:        Extra
Requires:       demo = %{version}

%package tools
Summary:        Tools

%description
Demo.
";
    insta::assert_snapshot!(edit(spec, &["--requires", "x", "--package", "demo-extra"]));
    insta::assert_snapshot!(edit(spec, &["--requires", "y", "--package", "demo-tools"]));
    insta::assert_snapshot!(edit(spec, &["--requires", "y", "--package", "nope"]));
}

#[test]
fn diff_and_check() {
    let spec = "Name:           demo\nBuildRequires:  gcc\n";
    insta::assert_snapshot!(edit(spec, &["--buildrequires", "a", "--diff", "--check"]));
    insta::assert_snapshot!(edit(spec, &["--buildrequires", "a", "--diff"]));
}

#[test]
fn unclosed_block_is_an_error_and_the_file_is_untouched() {
    let spec = "Name: demo\n# SECTION venvjail BuildRequires\nBuildRequires: a\nRequires: b\n";
    insta::assert_snapshot!(edit(spec, PROBES));
}

#[test]
fn unclosed_block_is_not_paired_with_a_later_group_closer() {
    let spec = "Name: demo
# SECTION venvjail BuildRequires
BuildRequires:  a
# SECTION test requirements
BuildRequires:  pytest
# /SECTION
";
    insta::assert_snapshot!(edit(spec, PROBES));
}

#[test]
fn two_blocks_of_one_kind() {
    let spec = "Name: demo
# SECTION venvjail BuildRequires
BuildRequires:  a
# /SECTION
# SECTION venvjail BuildRequires
BuildRequires:  b
# /SECTION
";
    insta::assert_snapshot!(edit(spec, PROBES));
}

#[test]
fn block_inside_a_conditional() {
    let spec = "Name: demo
%if 0%{?suse_version}
# SECTION venvjail BuildRequires
BuildRequires:  a
# /SECTION
%endif
";
    insta::assert_snapshot!(edit(spec, PROBES));
}

#[test]
fn bad_dependency_list() {
    let spec = "Name: demo\n";
    insta::assert_snapshot!(edit(spec, &["--buildrequires", "a >="]));
    insta::assert_snapshot!(edit(spec, &["--requires", "ok =1"]));
}

#[test]
fn read_only_target_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = Dir::new();
    let p = dir.write("x.spec", "Name: demo\n");
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o444)).unwrap();
    let run = dir
        .cmd()
        .args(["spec", "edit", "x.spec", "--buildrequires", "a"])
        .run();
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "venvjail: cannot write x.spec: the file is read-only\n"
    );
    assert_eq!(dir.read("x.spec"), b"Name: demo\n");
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "no temp file left behind: {names:?}");
}

#[test]
fn mode_is_kept() {
    use std::os::unix::fs::PermissionsExt;
    let dir = Dir::new();
    let p = dir.write("x.spec", "Name: demo\n");
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640)).unwrap();
    let run = dir
        .cmd()
        .args(["spec", "edit", "x.spec", "--buildrequires", "a"])
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode, 0o640);
}
