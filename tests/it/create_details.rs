//! `create` details of DESIGN §6 checked on hand-made RPMs: what
//! `packages.log` lists under `# Removed files`, and the same result
//! whatever the number of reader threads.

use crate::malicious::{cpio, dir as directory, file, file_mode, gzip, rpm, symlink};
use crate::util::Dir;
use venvjail::create::extract::{ConflictPolicy, Extractor};
use venvjail::create::pipeline::{extract_with_readers, Job};

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
    let jobs = jobs_of(&paths, &names);
    let run = |readers: usize| {
        let dest = dir.path().join(format!("dest-{readers}"));
        let x = extract(&jobs, &dest, readers, 4).unwrap();
        (x.tree, x.conflicts, x.warnings, x.order)
    };
    let one = run(1);
    assert_eq!(one.3, (0..12).collect::<Vec<_>>());
    assert_eq!(one.1.len(), 33, "{:?}", one.1);
    assert!(one.1.last().unwrap().ends_with("p10 p11"), "{:?}", one.1);
    assert!(
        one.0
            .iter()
            .any(|l| l == "share/shared.txt 644 1700000000 \"shared content from 11\""),
        "{:?}",
        one.0
    );
    for readers in [2, 3, 8] {
        assert_eq!(run(readers), one, "{readers} readers");
    }
}

/// Small files are written by a pool of threads while the writer goes on:
/// whatever the number of them, the tree (contents, modes, mtimes, links),
/// the conflicts and their winner, and the warnings are those of writing
/// every file in order on one thread, through every case where an entry
/// meets a file still being written: the same path twice, a symlink or a
/// directory where a file was, a file where a symlink was, a path through
/// a symlink onto a pending file, a large file (copied in place) over a
/// small one.
#[test]
fn file_writer_threads_give_the_tree_of_one() {
    let dir = Dir::new();
    let many: Vec<(String, String)> = (0..200)
        .map(|i| (format!("./share/x/f{i}.txt"), format!("file {i}")))
        .collect();
    let big = vec![b'z'; 200 * 1024];
    let mut first: Vec<_> = vec![
        directory("./usr"),
        directory("./lib"),
        symlink("./usr/lib64", "../lib"),
        file("./usr/lib64/a.so", b"through the link"),
        file("./share/same.txt", b"zero"),
        file("./share/bin/tool", b"a file first"),
        file("./share/becomes-dir", b"a file first"),
        file_mode("./share/bin/suid", b"s", 0o104755),
    ];
    first.extend(many.iter().map(|(p, d)| file(p, d.as_bytes())));
    // Right behind the files they meet, while those are still queued.
    first.extend([
        file("./share/x/f198.txt", b"written twice in a row"),
        symlink("./share/x/f199.txt", "f0.txt"),
        directory("./share/x/f197.txt"),
        file("./share/x/f197.txt/in", b"a directory where a file was"),
        symlink("./share/y", "x"),
        file("./share/y/f196.txt", b"through a link onto a queued file"),
    ]);
    let packages: Vec<Vec<u8>> = vec![
        cpio(&first),
        cpio(&[
            file("./share/same.txt", b"one"),
            symlink("./share/bin/tool", "../x/f1.txt"),
            file("./share/x/f7.txt", b"rewritten at once"),
            directory("./share/becomes-dir"),
            file("./share/becomes-dir/inside", b"in the new directory"),
        ]),
        cpio(&[
            file("./share/bin/tool", b"a file again"),
            symlink("./share/alias", "x"),
            file(
                "./share/alias/f2.txt",
                b"through a new link onto a pending file",
            ),
            file("./share/x/f4.txt", &big),
            file("./share/same.txt", b"two"),
        ]),
    ];
    let paths: Vec<_> = packages
        .iter()
        .enumerate()
        .map(|(i, payload)| {
            dir.write(
                &format!("repo/q{i}.rpm"),
                rpm(&format!("q{i}"), &gzip(payload)),
            )
        })
        .collect();
    let names: Vec<String> = (0..paths.len()).map(|i| format!("q{i}")).collect();
    let jobs = jobs_of(&paths, &names);
    let run = |writers: usize| {
        let x = extract(
            &jobs,
            &dir.path().join(format!("dest-{writers}")),
            2,
            writers,
        )
        .unwrap();
        (x.tree, x.conflicts, x.warnings)
    };
    let inline = run(0);
    let shown = |rel: &str| {
        inline
            .0
            .iter()
            .find(|l| l.starts_with(&format!("{rel} ")))
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(
        shown("share/same.txt"),
        "share/same.txt 644 1700000000 \"two\""
    );
    assert_eq!(
        shown("share/bin/tool"),
        "share/bin/tool 644 1700000000 \"a file again\""
    );
    assert_eq!(
        shown("share/x/f2.txt"),
        "share/x/f2.txt 644 1700000000 \"through a new link onto a pending file\""
    );
    assert_eq!(
        shown("lib/a.so"),
        "lib/a.so 644 1700000000 \"through the link\""
    );
    assert_eq!(
        shown("share/bin/suid"),
        "share/bin/suid 755 1700000000 \"s\""
    );
    assert_eq!(
        inline.1,
        [
            "share/same.txt q0 q1",
            "share/bin/tool q0 q1",
            "share/x/f7.txt q0 q1",
            "share/bin/tool q1 q2",
            "share/x/f4.txt q0 q2",
            "share/same.txt q1 q2"
        ]
    );
    assert_eq!(
        shown("share/becomes-dir/inside"),
        "share/becomes-dir/inside 644 1700000000 \"in the new directory\""
    );
    assert_eq!(inline.2.len(), 1, "{:?}", inline.2);
    for writers in [1, 2, 4, 8] {
        assert_eq!(run(writers), inline, "{writers} file writers");
    }
}

/// A file the writer threads cannot write is reported as writing it in
/// order reports it: the package, the entry, why; and so is an entry
/// under a file that is still queued.
#[test]
fn a_file_the_writer_threads_cannot_write_is_the_error_of_one() {
    let dir = Dir::new();
    let many: Vec<(String, String)> = (0..100)
        .map(|i| (format!("./share/many/f{i}"), format!("file {i}")))
        .collect();
    let queued = |last: Vec<crate::malicious::E<'static>>| {
        let mut entries: Vec<_> = many.iter().map(|(p, d)| file(p, d.as_bytes())).collect();
        entries.extend(last);
        cpio(&entries)
    };
    let cases = [
        (
            "a directory",
            vec![
                cpio(&[directory("./share"), directory("./share/d")]),
                queued(vec![file("./share/d", b"not a directory")]),
            ],
            "b: cannot extract ./share/d: DEST/share/d is a directory",
        ),
        (
            "a queued file",
            vec![
                cpio(&[directory("./share")]),
                queued(vec![
                    file("./share/f", b"a file"),
                    file("./share/f/under", b"x"),
                ]),
            ],
            "b: cannot extract ./share/f/under: share/f is not a directory",
        ),
    ];
    for (case, payloads, expected) in cases {
        let paths: Vec<_> = payloads
            .iter()
            .zip(["a", "b"])
            .map(|(payload, name)| {
                dir.write(&format!("{case}/{name}.rpm"), rpm(name, &gzip(payload)))
            })
            .collect();
        let names = ["a".to_owned(), "b".to_owned()];
        let jobs = jobs_of(&paths, &names);
        let run = |writers: usize| {
            let dest = dir.path().join(format!("{case}/dest-{writers}"));
            let e = extract(&jobs, &dest, 2, writers).unwrap_err();
            e.replace(&dest.display().to_string(), "DEST")
        };
        assert_eq!(run(0), expected, "{case}");
        for writers in [1, 4] {
            assert_eq!(run(writers), expected, "{case}, {writers} file writers");
        }
    }
}

/// The jobs of `paths`, named `names`.
fn jobs_of<'a>(paths: &'a [std::path::PathBuf], names: &'a [String]) -> Vec<Job<'a>> {
    paths
        .iter()
        .zip(names)
        .map(|(path, name)| Job { path, name })
        .collect()
}

/// What extracting a set of packages into a new directory gave.
#[derive(Debug)]
struct Extracted {
    /// [`snapshot_with_mtimes`] of the tree.
    tree: Vec<String>,
    /// `PATH FIRST SECOND` per conflict.
    conflicts: Vec<String>,
    warnings: Vec<String>,
    /// The jobs in the order they were done.
    order: Vec<usize>,
}

/// Extracts `jobs` into the new directory `dest` with `readers` reader
/// threads and `writers` file-writer threads; the error as a string.
fn extract(
    jobs: &[Job<'_>],
    dest: &std::path::Path,
    readers: usize,
    writers: usize,
) -> Result<Extracted, String> {
    std::fs::create_dir_all(dest).unwrap();
    let mut x = Extractor::with_file_writers(dest, ConflictPolicy::Warn, writers).unwrap();
    let mut order = Vec::new();
    extract_with_readers(jobs, readers, &mut x, &mut |_| {}, &mut |i, _| {
        order.push(i)
    })
    .map_err(|e| e.to_string())?;
    x.finish().unwrap();
    Ok(Extracted {
        tree: snapshot_with_mtimes(dest),
        conflicts: x
            .conflicts
            .iter()
            .map(|c| format!("{} {} {}", c.path, c.first, c.second))
            .collect(),
        warnings: x.warnings.clone(),
        order,
    })
}

/// [`snapshot`] with each file's mtime.
fn snapshot_with_mtimes(root: &std::path::Path) -> Vec<String> {
    use std::os::unix::fs::MetadataExt;
    snapshot(root)
        .into_iter()
        .map(|line| {
            let rel = line.split(' ').next().unwrap_or_default();
            let m = std::fs::symlink_metadata(root.join(rel)).unwrap();
            if m.is_file() {
                let (path, rest) = line.split_once(' ').unwrap();
                let (mode, content) = rest.split_once(' ').unwrap();
                format!("{path} {mode} {} {content}", m.mtime())
            } else {
                line
            }
        })
        .collect()
}
