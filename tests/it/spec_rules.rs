//! The reading rules of DESIGN §4.3, one given/running/produces snapshot
//! each: undecided branches (and `--arch`), whole-line macros, multi-line
//! wrappers, `--buildconfig` (OBS's view). Each snapshot shows the input
//! files, the command line and what the real binary printed.

use crate::util::Dir;

/// Writes `files` into a fresh directory, runs `venvjail ARGS` there and
/// renders the whole exchange.
fn given_running(files: &[(&str, &str)], args: &[&str]) -> String {
    let dir = Dir::new();
    let mut out = String::new();
    for (name, text) in files {
        dir.write(name, text);
        out.push_str(&format!("--- given {name}\n{text}"));
    }
    let run = dir.cmd().args(args).run();
    out.push_str(&format!(
        "--- running venvjail {}\n--- produces (exit {})\n{}--- stderr\n{}",
        args.join(" "),
        run.code,
        run.stdout,
        run.stderr
    ));
    out
}

/// The `active` value of the dependency named `name` in `spec deps
/// --format json` output for `args`.
fn active_of(files: &[(&str, &str)], args: &[&str], name: &str) -> serde_json::Value {
    let dir = Dir::new();
    for (n, text) in files {
        dir.write(n, text);
    }
    let run = dir.cmd().args(args).run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    json["deps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {}", run.stdout))["active"]
        .clone()
}

/// The openQA pattern of issue 14: which `%bcond` ran depends on the arch.
const BCOND_BY_ARCH: &str = "Name: demo
%ifarch x86_64
%bcond_without tests
%else
%bcond_with tests
%endif
%if %{with tests}
BuildRequires: testdep
%endif
%ifarch aarch64
%define extra arm-only
%else
%define extra arm-only
%endif
BuildRequires: %{extra}
";

#[test]
fn undecided_branches_make_their_macros_unknown() {
    let files = [("demo.spec", BCOND_BY_ARCH)];
    insta::assert_snapshot!(given_running(
        &files,
        &["spec", "deps", "demo.spec", "--format", "json"]
    ));
    // rpm on x86_64 lists testdep; on aarch64 it does not.
    let deps = ["spec", "deps", "demo.spec", "--format", "json"];
    let with = |extra: &[&str]| {
        let mut a = deps.to_vec();
        a.extend_from_slice(extra);
        active_of(&files, &a, "testdep")
    };
    assert_eq!(with(&[]), serde_json::Value::Null);
    assert_eq!(with(&["--arch", "x86_64"]), true);
    assert_eq!(with(&["--arch", "aarch64"]), false);
    // --define wins over --arch.
    assert_eq!(
        with(&["--arch", "aarch64", "--define", "_target_cpu x86_64"]),
        true
    );
}

#[test]
fn undefine_and_redefine_under_an_undecided_condition() {
    let spec = "Name: demo
%define flavour plain
%ifarch x86_64
%undefine flavour
%endif
%if \"%{?flavour}\" == \"plain\"
BuildRequires: plain-build
%endif
%ifarch s390x
%global flavour other
%endif
";
    let files = [("demo.spec", spec)];
    let args = ["spec", "deps", "demo.spec", "--format", "json"];
    assert_eq!(
        active_of(&files, &args, "plain-build"),
        serde_json::Value::Null
    );
    let mut on = args.to_vec();
    on.extend(["--arch", "aarch64"]);
    assert_eq!(active_of(&files, &on, "plain-build"), true);
    let mut x86 = args.to_vec();
    x86.extend(["--arch", "x86_64"]);
    assert_eq!(active_of(&files, &x86, "plain-build"), false);
}

#[test]
fn arch_reaches_requires_spec_and_spec_edit() {
    let spec = "Name: demo
%ifarch x86_64
%define sub fast
%else
%define sub slow
%endif
%package -n demo-%{sub}
Summary: s
%ifarch x86_64
Requires: x86-helper
%else
Requires: generic-helper
%endif
%description -n demo-%{sub}
d
";
    let dir = Dir::new();
    dir.write("demo.spec", spec);
    dir.write("include-rpm", "nothing-matches$\n");
    dir.write("exclude-rpm", "");
    let run = dir
        .cmd()
        .args([
            "requires",
            "demo",
            "--spec",
            "demo.spec",
            "--arch",
            "x86_64",
        ])
        .run();
    assert_eq!((run.code, run.stdout.as_str()), (0, "x86-helper\n"));
    let run = dir
        .cmd()
        .args(["requires", "demo", "--spec", "demo.spec"])
        .run();
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (0, "generic-helper\nx86-helper\n")
    );
    // `--package demo-fast` is only known on x86_64.
    let edit = [
        "spec",
        "edit",
        "demo.spec",
        "--package",
        "demo-fast",
        "--requires",
        "bundled",
    ];
    let run = dir.cmd().args(edit).run();
    assert_eq!(
        (run.code, run.stderr.as_str()),
        (
            2,
            "venvjail: demo.spec: no package named 'demo-fast' in the spec\n"
        )
    );
    let run = dir.cmd().args(edit).args(["--arch", "x86_64"]).run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        String::from_utf8(dir.read("demo.spec")).unwrap().contains(
            "%endif\n# SECTION venvjail Requires\nRequires: bundled\n# /SECTION\n%description -n demo-%{sub}\n"
        ),
        "the block lands at the end of demo-fast's preamble"
    );
}

#[test]
fn whole_line_macros_are_read_as_spec_lines() {
    let macros = "%systemd_requires \\
Requires(pre): systemd \\
Requires(post): systemd \\
Requires(preun): systemd \\
Requires(postun): systemd
%sysusers_requires() Requires(pre): group(%{1})
%lang_subpkg() \\
%package langpack-%{1}\\
Summary: %{1} messages\\
Requires: %{name} = %{version}\\
%description langpack-%{1}\\
%{1} messages.\\
%files langpack-%{1}\\
/usr/share/%{name}/%{1}.qm
";
    let spec = "Name: demo
Version: 1.0
%{?systemd_requires}
%sysusers_requires demo
%{?not_defined_anywhere}
%description
text
%lang_subpkg de
%lang_subpkg fr
";
    insta::assert_snapshot!(given_running(
        &[("demo.spec", spec), ("extra.macros", macros)],
        &["spec", "deps", "demo.spec", "--load", "extra.macros"]
    ));
}

#[test]
fn tags_inside_multi_line_wrappers() {
    let spec = "Name: demo
%bcond_without docs
%{?with_docs:
BuildRequires: sphinx
Requires: demo-doc-viewer
}
%{!?with_docs:
BuildRequires: no-docs-stub
}
%{?with_gui:%package gui
Summary: GUI
Requires: gtk4
}
%description
d
";
    insta::assert_snapshot!(given_running(
        &[("demo.spec", spec)],
        &["spec", "deps", "demo.spec", "--format", "json"]
    ));
}

/// A build configuration as `osc buildconfig` prints it: a prjconf
/// `%define` (the configuration's own) and `Macros:` sections (the
/// spec's), with openSUSE's non-Lua `%python_module`.
const BUILDCONFIG: &str = "%define _project home:me
%define suse_version 1600
### from openSUSE:Leap:15.6
%define _repository standard
Macros:
%vendor obs://build.example/home:me
%suse_version 1600
:Macros
%ifarch x86_64 aarch64
Macros:
!
%suse_version 1500
%pythons %{?!skip_python3:%{?!skip_python311:python311} %{?!skip_python313:python313}}
%python_module_iter(a:) %{expand:%%define python %{-a*}} ( %python-%args ) %{expand:%%{?!python_module_iter_%1:%%{python_module_iter -a%*}}%%{?python_module_iter_%1}}
%python_module_iter_STOP %global python %%%%python
%python_module() %{?!python_module_lua:%{expand:%%define args %{**}} %{expand:%%{python_module_iter -a %{pythons} STOP}}}%{?python_module_lua:%python_module_lua %{**}}
:Macros
%endif
Prefer: python311-foo
";

const OBS_SPEC: &str = "Name: python-demo
%if 0%{?suse_version} >= 1500
BuildRequires: %{python_module foo >= 1.0}
BuildRequires: %{python_module bar}
%else
BuildRequires: python-old
%endif
%ifarch %ix86
BuildRequires: x86-32-only
%endif
%if 0%{?_project:1}
BuildRequires: sees-the-prjconf-define
%endif
";

#[test]
fn buildconfig_gives_the_buildrequires_obs_expands() {
    let files = [
        ("python-demo.spec", OBS_SPEC),
        ("_buildconfig", BUILDCONFIG),
    ];
    insta::assert_snapshot!(given_running(
        &files,
        &[
            "spec",
            "deps",
            "python-demo.spec",
            "--buildconfig",
            "_buildconfig"
        ]
    ));
    // On i586 the Macros: section under `%ifarch x86_64 aarch64` does not count.
    insta::assert_snapshot!(given_running(
        &files,
        &[
            "spec",
            "deps",
            "python-demo.spec",
            "--buildconfig",
            "_buildconfig",
            "--arch",
            "i586"
        ]
    ));
}

#[test]
fn lint_with_buildconfig_warns_about_what_obs_cannot_expand() {
    let spec = "Name: demo
BuildRequires: %{python_module foo}
BuildRequires: %{?suse_version:suse-build}
BuildRequires: %{rust_toolchain}
%description
d
";
    let files = [("demo.spec", spec), ("_buildconfig", BUILDCONFIG)];
    insta::assert_snapshot!(given_running(
        &files,
        &["lint", "--buildconfig", "_buildconfig"]
    ));
}

#[test]
fn buildconfig_that_cannot_be_read_is_an_error() {
    let dir = Dir::new();
    dir.write("demo.spec", "Name: demo\n");
    let run = dir
        .cmd()
        .args(["spec", "deps", "demo.spec", "--buildconfig", "missing"])
        .run();
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("missing"), "{}", run.stderr);
}
