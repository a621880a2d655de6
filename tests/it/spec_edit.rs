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

mod props {
    use proptest::prelude::*;
    use venvjail::rpmspec::edit::{parse_dependency_arg, set_block, BlockKind};
    use venvjail::rpmspec::{dependencies, parse, DepTag, MacroTable};

    fn dep() -> impl Strategy<Value = String> {
        let name = "[a-zA-Z_/][a-zA-Z0-9._+-]{0,12}(\\([a-z0-9:]{1,6}\\))?";
        let op = prop::sample::select(vec!["<", "<=", "=", ">=", ">", "==", "=>", "=<"]);
        let evr = "([0-9]:)?[0-9][0-9a-z.~^+]{0,6}(-[0-9a-z.]{1,4})?";
        prop_oneof![
            4 => name.prop_map(|n| n.to_string()),
            4 => (name, op, evr).prop_map(|(n, o, e)| format!("{n} {o} {e}")),
            1 => (name, name).prop_map(|(a, b)| format!("({a} or ({b} and {a}))")),
        ]
    }

    fn spec() -> impl Strategy<Value = String> {
        prop::sample::select(vec![
            "Name: x\nBuildRequires: gcc\n%description\nX.\n",
            "Name:\tx\n%if 0\nRequires: a\n%endif\n",
            "Name: x\r\nRequires:       a\r\n",
            "Name: x\n# SECTION venvjail BuildRequires\nBuildRequires: old\n# /SECTION\n# SECTION venvjail Requires\nRequires: old\n# /SECTION\n",
            "Name: x",
        ])
        .prop_map(str::to_owned)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// What `spec edit` writes reads back through `spec deps` as the same list.
        #[test]
        fn written_dependencies_read_back(deps in prop::collection::vec(dep(), 0..8), src in spec(), requires in any::<bool>()) {
            let arg = deps.join(if requires { ", " } else { " " });
            let wanted = parse_dependency_arg(&arg).unwrap();
            let (kind, tag) = if requires {
                (BlockKind::Requires, DepTag::Requires)
            } else {
                (BlockKind::BuildRequires, DepTag::BuildRequires)
            };
            let file = parse(src.as_bytes());
            let (out, _) = set_block(&file, kind, None, &wanted).unwrap();
            let edited = parse(&out);
            prop_assert_eq!(edited.reprint(), out.clone());
            let blocks = venvjail::rpmspec::edit::managed_blocks(&edited).unwrap();
            let block = blocks.iter().find(|b| b.kind == kind).unwrap();
            let (first, last) = (edited.lines[block.opener].number, edited.lines[block.closer].number);
            let got: Vec<String> = dependencies(&edited, MacroTable::new())
                .deps
                .into_iter()
                .filter(|d| d.tag == tag && first < d.line && d.line < last)
                .map(|d| {
                    let expanded = d.expanded.unwrap();
                    let e = &expanded.as_slice()[0];
                    match (e.op, &e.evr) {
                        (Some(op), Some(evr)) => format!("{} {} {evr}", e.name, op.as_str()),
                        _ => e.name.to_string(),
                    }
                })
                .collect();
            prop_assert_eq!(&got, &wanted);
            // And a second edit with the same list changes nothing.
            let (again, _) = set_block(&edited, kind, None, &wanted).unwrap();
            prop_assert_eq!(again, out);
        }
    }
}
