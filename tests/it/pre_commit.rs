//! `.pre-commit-hooks.yaml`, run by the real `pre-commit` (PyPI) in a
//! throw-away git repository: `pre-commit try-repo` on this checkout, with
//! the hook `venvjail-lint-system` and the venvjail under test on PATH, so
//! nothing is fetched. (`venvjail-lint`, `language: rust`, runs
//! `cargo install --path .` on the hook repository, which needs crates.io;
//! its declaration is checked to match the system hook.)
//!
//! Skipped with a message when `pre-commit` is not installed, unless
//! `VENVJAIL_REQUIRE_ORACLE=1` (CI installs it in `.ci/run`).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{repo_root, Dir};

fn skip(reason: &str) {
    if std::env::var("VENVJAIL_REQUIRE_ORACLE").as_deref() == Ok("1") {
        panic!("VENVJAIL_REQUIRE_ORACLE=1 but {reason}");
    }
    eprintln!("skipping the pre-commit test: {reason}");
}

fn pre_commit_available() -> bool {
    Command::new("pre-commit")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// PATH with the directory of the venvjail under test first.
fn path_with_venvjail() -> OsString {
    let bin = Path::new(env!("CARGO_BIN_EXE_venvjail"))
        .parent()
        .unwrap()
        .to_path_buf();
    let mut dirs: Vec<PathBuf> = vec![bin];
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    std::env::join_paths(dirs).unwrap()
}

/// A git repository holding `files`, all staged.
fn repository(files: &[(&str, &str)]) -> Dir {
    let dir = Dir::new();
    for (name, text) in files {
        dir.write(name, text);
    }
    git(&dir, &["init", "-q", "-b", "main"]);
    git(&dir, &["add", "-A"]);
    dir
}

fn git(dir: &Dir, args: &[&str]) {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir.path())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {out:?}");
}

/// `pre-commit try-repo CHECKOUT venvjail-lint-system` on the staged files
/// of `repo`: exit code and output.
fn run_hook(repo: &Dir, home: &Path) -> (i32, String) {
    let out = Command::new("pre-commit")
        .arg("try-repo")
        .arg(repo_root())
        .args(["venvjail-lint-system", "--color", "never"])
        .current_dir(repo.path())
        .env("PATH", path_with_venvjail())
        .env("PRE_COMMIT_HOME", home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "venvjail test")
        .env("GIT_AUTHOR_EMAIL", "test@venvjail.invalid")
        .env("GIT_COMMITTER_NAME", "venvjail test")
        .env("GIT_COMMITTER_EMAIL", "test@venvjail.invalid")
        .env_remove("PRE_COMMIT_COLOR")
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

const SPEC: &str = "Name: demo\nVersion: 1\nRelease: 0\nBuildRequires: gcc\n%description\nDemo.\n";

#[test]
fn the_hook_passes_a_clean_package_and_fails_an_invalid_regex_with_file_and_line() {
    if !pre_commit_available() {
        return skip("pre-commit is not installed (pip install pre-commit)");
    }
    let home = Dir::new();
    let clean = repository(&[
        ("demo.spec", SPEC),
        ("exclude-rpm", "# SECTION venvjail\n.*-devel$\n# /SECTION\n"),
    ]);
    let (code, out) = run_hook(&clean, home.path());
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("venvjail lint") && out.contains("Passed"),
        "{out}"
    );

    let broken = repository(&[("demo.spec", SPEC), ("exclude-rpm", ".*-devel$\nfoo(\n")]);
    let (code, out) = run_hook(&broken, home.path());
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("Failed"), "{out}");
    assert!(
        out.contains(
            "exclude-rpm:2:1: error: invalid regex 'foo(': unclosed group [invalid-regex]"
        ),
        "{out}"
    );

    // Only the files venvjail reads trigger the hook.
    let other = repository(&[("README.md", "notes\n")]);
    let (code, out) = run_hook(&other, home.path());
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("(no files to check)Skipped"), "{out}");
}

#[test]
fn both_hooks_run_the_same_command_on_the_same_files() {
    let text = std::fs::read_to_string(repo_root().join(".pre-commit-hooks.yaml")).unwrap();
    let hooks: Vec<&str> = text.split("\n- id: ").skip(1).collect();
    assert_eq!(hooks.len(), 2, "{text}");
    let field = |hook: &str, key: &str| {
        hook.lines()
            .find_map(|l| l.trim().strip_prefix(key))
            .map(str::trim)
            .unwrap_or_else(|| panic!("{key} missing in {hook}"))
            .to_owned()
    };
    assert!(hooks[0].starts_with("venvjail-lint\n"));
    assert!(hooks[1].starts_with("venvjail-lint-system\n"));
    assert_eq!(field(hooks[0], "language:"), "rust");
    assert_eq!(field(hooks[1], "language:"), "system");
    for key in ["entry:", "files:", "pass_filenames:"] {
        assert_eq!(field(hooks[0], key), field(hooks[1], key), "{key}");
    }
    assert_eq!(field(hooks[0], "entry:"), "venvjail lint");
    assert_eq!(field(hooks[0], "pass_filenames:"), "false");
    assert_eq!(
        field(hooks[0], "files:"),
        r"'\.spec$|include-rpm|exclude-rpm|remove-file|_service|venvjail\.snapshot\.xml'"
    );
}
