//! The command line: errors, exit codes and global flags (DESIGN §2).

use crate::util::{Dir, TestCommand};

#[test]
fn missing_file_is_exit_2_with_one_line() {
    let dir = Dir::new();
    let run = dir.cmd().args(["spec", "deps", "nope.spec"]).run();
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "venvjail: cannot read nope.spec: no such file or directory\n"
    );
    assert_eq!(run.stdout, "");
}

#[test]
fn unreadable_file_is_exit_2() {
    let dir = Dir::new();
    std::fs::create_dir(dir.path().join("adir.spec")).unwrap();
    let run = dir.cmd().args(["spec", "reprint", "adir.spec"]).run();
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "venvjail: cannot read adir.spec: is a directory\n"
    );
}

#[test]
fn one_bad_file_among_good_ones_prints_nothing() {
    let dir = Dir::new();
    dir.write("good.spec", "Name: g\nBuildRequires: x\n");
    let run = dir
        .cmd()
        .args(["spec", "deps", "good.spec", "bad.spec"])
        .run();
    assert_eq!(run.code, 2);
    assert_eq!(run.stdout, "", "no partial output before the error");
    assert!(run
        .stderr
        .ends_with("cannot read bad.spec: no such file or directory\n"));
}

#[test]
fn missing_load_file_is_exit_2() {
    let dir = Dir::new();
    dir.write("a.spec", "Name: a\n");
    let run = dir
        .cmd()
        .args(["spec", "deps", "a.spec", "--load", "no.macros"])
        .run();
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "venvjail: cannot read no.macros: no such file or directory\n"
    );
}

#[test]
fn bad_define_is_exit_2() {
    let dir = Dir::new();
    dir.write("a.spec", "Name: a\n");
    let run = dir
        .cmd()
        .args(["spec", "deps", "a.spec", "--define", "(bad"])
        .run();
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "venvjail: --define: invalid macro definition '(bad': expected 'NAME VALUE'\n"
    );
}

#[test]
fn usage_errors_are_exit_2_never_3() {
    let run = TestCommand::new().args(["spec", "deps"]).run();
    assert_eq!(run.code, 2);
    let run = TestCommand::new().args(["no-such-command"]).run();
    assert_eq!(run.code, 2);
    let run = TestCommand::new()
        .args(["spec", "deps", "--format", "yaml", "x"])
        .run();
    assert_eq!(run.code, 2);
}

#[test]
fn help_and_version_are_exit_0() {
    let run = TestCommand::new().args(["--help"]).run();
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("spec"));
    let run = TestCommand::new().args(["--version"]).run();
    assert_eq!(run.code, 0);
    assert_eq!(
        run.stdout,
        format!("venvjail {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn dash_c_runs_in_another_directory() {
    let dir = Dir::new();
    dir.write("sub/a.spec", "Name: a\nBuildRequires: x\n");
    let run = TestCommand::new()
        .args(["-C"])
        .arg_path(&dir.path().join("sub"))
        .args(["spec", "deps", "a.spec"])
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "a.spec:2: [a] BuildRequires: x\n");
    let run = dir
        .cmd()
        .args(["-C", "missing", "spec", "deps", "a.spec"])
        .run();
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "venvjail: cannot change to directory missing: no such file or directory\n"
    );
}

#[test]
fn global_flags_go_before_the_subcommand_only() {
    let dir = Dir::new();
    dir.write("a.spec", "Name: a\n%if 1\n");
    let run = dir.cmd().args(["-q", "spec", "deps", "a.spec"]).run();
    assert_eq!(run.code, 0);
    assert_eq!(run.stderr, "", "-q silences warnings");
    let run = dir
        .cmd()
        .args(["--color", "always", "spec", "deps", "a.spec"])
        .run();
    assert!(
        run.stderr.contains("\x1b[1;33mwarning\x1b[0m"),
        "{}",
        run.stderr
    );
    let run = dir
        .cmd()
        .args(["--color", "never", "spec", "deps", "a.spec"])
        .run();
    assert_eq!(
        run.stderr,
        "a.spec:2: warning: unclosed %if: no %endif before the end of the file\n"
    );
    // Not propagated: `-q` after the subcommand is not a global flag.
    let run = dir.cmd().args(["spec", "deps", "-q", "a.spec"]).run();
    assert_eq!(run.code, 2);
}

#[test]
fn completions_and_man_page() {
    let run = TestCommand::new().args(["completions", "bash"]).run();
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("_venvjail()"));
    let run = TestCommand::new().args(["man"]).run();
    assert_eq!(run.code, 0);
    assert!(
        run.stdout.starts_with(".ie \\n(.g .ds Aq"),
        "{}",
        &run.stdout[..80]
    );
    assert!(run.stdout.contains(".TH venvjail"));
}

#[test]
fn broken_pipe_is_not_an_error() {
    use std::io::Read;
    use std::process::{Command, Stdio};
    let dir = Dir::new();
    let mut spec = String::from("Name: big\n");
    for i in 0..50_000 {
        spec.push_str(&format!("BuildRequires: dep-{i}\n"));
    }
    dir.write("big.spec", spec);
    let mut child = Command::new(env!("CARGO_BIN_EXE_venvjail"))
        .current_dir(dir.path())
        .args(["spec", "deps", "big.spec"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 16];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    // stdout is dropped here: the reader went away.
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}
