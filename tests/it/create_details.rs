//! `create` details of DESIGN §6 checked on hand-made RPMs: what
//! `packages.log` lists under `# Removed files`.

use crate::malicious::{cpio, file, gzip, rpm};
use crate::util::Dir;

/// DESIGN §6.5: every path a `remove-file` pattern matches is listed,
/// including the paths inside a removed directory that the pattern also
/// matches (`re.match` of `share/demo/test` matches `share/demo/test/x.py`),
/// as the original's `packages.log` does; the directory goes as a whole.
#[test]
fn removed_files_lists_every_match_inside_a_removed_directory() {
    let p = rpm(
        "demo",
        &gzip(&cpio(&[
            file("./share/demo/test/x.py", b"x"),
            file("./share/demo/test/sub/y.py", b"y"),
            file("./share/demo/test.py", b"t"),
            file("./share/demo/keep.py", b"k"),
        ])),
    );
    let dir = Dir::new();
    dir.write("repo/demo-1.0-1.noarch.rpm", &p);
    dir.write("remove-file", "share/demo/test\n");
    let run = dir
        .cmd()
        .args([
            "-q",
            "create",
            "v",
            "-r",
            "repo",
            "-i",
            "none",
            "-e",
            "none",
            "-d",
            "remove-file",
        ])
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    let log = String::from_utf8(dir.read("v/packages.log")).unwrap();
    assert_eq!(
        log.split_once("# Removed files\n").map(|(_, r)| r),
        Some(
            "share/demo/test\n\
             share/demo/test.py\n\
             share/demo/test/sub\n\
             share/demo/test/sub/y.py\n\
             share/demo/test/x.py\n"
        ),
        "{log}"
    );
    assert!(!dir.path().join("v/share/demo/test").exists());
    assert!(!dir.path().join("v/share/demo/test.py").exists());
    assert!(dir.path().join("v/share/demo/keep.py").is_file());
}
