//! `create` details of DESIGN §6 checked on hand-made RPMs: what
//! `packages.log` lists under `# Removed files`, and the same result
//! whatever the number of reader threads.

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

/// Every file under `root` with its content and mode, symlinks with their
/// target, sorted.
fn snapshot(root: &std::path::Path) -> Vec<String> {
    use std::os::unix::fs::PermissionsExt;
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            let rel = p.strip_prefix(root).unwrap().display().to_string();
            let m = std::fs::symlink_metadata(&p).unwrap();
            if m.file_type().is_symlink() {
                out.push(format!(
                    "{rel} -> {}",
                    std::fs::read_link(&p).unwrap().display()
                ));
            } else if m.is_dir() {
                out.push(format!("{rel}/ {:o}", m.permissions().mode() & 0o7777));
                stack.push(p);
            } else {
                out.push(format!(
                    "{rel} {:o} {:?}",
                    m.permissions().mode() & 0o7777,
                    String::from_utf8_lossy(&std::fs::read(&p).unwrap())
                ));
            }
        }
    }
    out.sort();
    out
}

/// DESIGN §6.3 with several readers: whatever the number of threads
/// decompressing packages, the single writer applies them in the jobs'
/// order, so the tree, the conflicts (and their winner) and the warnings
/// are those of one reader.
#[test]
fn parallel_readers_give_the_tree_and_conflicts_of_one() {
    use venvjail::create::extract::{ConflictPolicy, Extractor};
    use venvjail::create::pipeline::{extract_with_readers, Job};
    let dir = Dir::new();
    let mut paths = Vec::new();
    for i in 0..12u8 {
        let mine = format!("./share/p{i}/own.txt");
        let shared = format!("shared content from {i}");
        let big = vec![b'a' + i; 300 * 1024 + usize::from(i)];
        let p = rpm(
            &format!("p{i:02}"),
            &gzip(&cpio(&[
                file(&mine, b"mine"),
                file("./share/shared.txt", shared.as_bytes()),
                file("./share/big.bin", &big),
                file("/etc/abs.conf", &[i]),
            ])),
        );
        paths.push(dir.write(&format!("repo/p{i:02}.rpm"), &p));
    }
    let names: Vec<String> = (0..12).map(|i| format!("p{i:02}")).collect();
    let jobs: Vec<Job<'_>> = paths
        .iter()
        .zip(&names)
        .map(|(path, name)| Job { path, name })
        .collect();
    let run = |readers: usize| {
        let dest = dir.path().join(format!("dest-{readers}"));
        std::fs::create_dir(&dest).unwrap();
        let mut x = Extractor::new(&dest, ConflictPolicy::Warn).unwrap();
        let mut order = Vec::new();
        extract_with_readers(&jobs, readers, &mut x, &mut |_| {}, &mut |i, _| {
            order.push(i)
        })
        .unwrap();
        x.finish().unwrap();
        let conflicts: Vec<String> = x
            .conflicts
            .iter()
            .map(|c| format!("{} {} {}", c.path, c.first, c.second))
            .collect();
        (snapshot(&dest), conflicts, x.warnings.clone(), order)
    };
    let one = run(1);
    assert_eq!(one.3, (0..12).collect::<Vec<_>>());
    assert_eq!(one.1.len(), 33, "{:?}", one.1);
    assert!(one.1.last().unwrap().ends_with("p10 p11"), "{:?}", one.1);
    assert!(
        one.0
            .iter()
            .any(|l| l == "share/shared.txt 644 \"shared content from 11\""),
        "{:?}",
        one.0
    );
    for readers in [2, 3, 8] {
        assert_eq!(run(readers), one, "{readers} readers");
    }
}
