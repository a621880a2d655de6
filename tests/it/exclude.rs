//! `exclude`: the default list, `--compat`, and `-o FILE`.

use crate::util::Dir;

/// venvjail.py's `exclude` output (its `EXCLUDE_RPM` printed with `print`).
const ORIGINAL: &str = include_str!("../fixtures/venvjail-py/exclude-rpm.original");

#[test]
fn compat_prints_the_original_byte_for_byte() {
    let run = Dir::new().cmd().args(["exclude", "--compat"]).run();
    assert_eq!(run.code, 0);
    assert_eq!(run.stdout, ORIGINAL);
}

#[test]
fn default_list_is_the_original_without_python3_and_in_a_block() {
    let run = Dir::new().cmd().args(["exclude"]).run();
    assert_eq!(run.code, 0);
    insta::assert_snapshot!(run.stdout);
    assert!(!run.stdout.contains("\npython3.*\n"));
}

#[test]
fn output_updates_only_the_block() {
    let dir = Dir::new();
    dir.write(
        "exclude-rpm",
        "# my own header\nmy-private-package\n# SECTION venvjail\nstale\n# /SECTION\n# trailing user line\n",
    );
    let run = dir.cmd().args(["exclude", "-o", "exclude-rpm"]).run();
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
    insta::assert_snapshot!(String::from_utf8(dir.read("exclude-rpm")).unwrap());
    // Idempotent.
    let before = dir.read("exclude-rpm");
    dir.cmd().args(["exclude", "-o", "exclude-rpm"]).run();
    assert_eq!(dir.read("exclude-rpm"), before);
}

#[test]
fn output_without_markers_appends_the_block_and_says_so() {
    let dir = Dir::new();
    dir.write("exclude-rpm", "legacy-line\n");
    let run = dir.cmd().args(["exclude", "-o", "exclude-rpm"]).run();
    assert_eq!(run.code, 0);
    assert_eq!(
        run.stderr,
        "exclude-rpm: no '# SECTION venvjail' section: appended one at the end\n"
    );
    let text = String::from_utf8(dir.read("exclude-rpm")).unwrap();
    assert!(text.starts_with("legacy-line\n# SECTION venvjail\n"));
}

#[test]
fn output_creates_a_missing_file() {
    let dir = Dir::new();
    let run = dir.cmd().args(["exclude", "-o", "exclude-rpm"]).run();
    assert_eq!(run.code, 0);
    let stdout = Dir::new().cmd().args(["exclude"]).run().stdout;
    assert_eq!(String::from_utf8(dir.read("exclude-rpm")).unwrap(), stdout);
}

#[test]
fn output_with_a_broken_block_is_exit_2_and_untouched() {
    let dir = Dir::new();
    dir.write("exclude-rpm", "# SECTION venvjail\nfoo\n");
    let run = dir.cmd().args(["exclude", "-o", "exclude-rpm"]).run();
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "venvjail: exclude-rpm:1: '# SECTION venvjail' is not closed by '# /SECTION'\n"
    );
    assert_eq!(dir.read("exclude-rpm"), b"# SECTION venvjail\nfoo\n");
}

#[test]
fn compat_and_output_conflict() {
    let run = Dir::new()
        .cmd()
        .args(["exclude", "--compat", "-o", "x"])
        .run();
    assert_eq!(run.code, 2);
}
