//! Unit tests of the extractor: escapes, links, modes, conflicts.
use super::*;

fn file<'a>(path: &str, data: &'a mut &'a [u8], mode: u32) -> Entry<'a> {
    Entry {
        path: path.into(),
        kind: EntryKind::File {
            size: data.len() as u64,
        },
        mode,
        mtime: 1_700_000_000,
        data,
    }
}

fn outside_is_empty(root: &Path, dest: &Path) {
    for e in std::fs::read_dir(root).unwrap() {
        let p = e.unwrap().path();
        assert!(
            dest.starts_with(&p),
            "something outside DEST: {}",
            p.display()
        );
    }
}

#[test]
fn normalisation() {
    assert_eq!(normalise("./usr/bin/x").unwrap(), ["usr", "bin", "x"]);
    assert_eq!(normalise("/usr//./lib/../bin").unwrap(), ["usr", "bin"]);
    assert_eq!(normalise("../etc/passwd"), None);
    assert_eq!(normalise("a/../../b"), None);
}

#[test]
fn escapes_are_rejected_and_nothing_lands_outside() {
    let root = tempfile::tempdir().unwrap();
    let dest = root.path().join("a/dest");
    std::fs::create_dir_all(&dest).unwrap();
    let mut x = Extractor::new(&dest, ConflictPolicy::Warn).unwrap();
    let mut d: &[u8] = b"evil";
    let e = x
        .extract("p", file("../../evil", &mut d, 0o644))
        .unwrap_err();
    assert_eq!(e.to_string(), "p: entry ../../evil escapes the destination");
    // A symlink to /tmp, then a file through it.
    let mut none: &[u8] = b"";
    x.extract(
        "p",
        Entry {
            path: "./tmp".into(),
            kind: EntryKind::Symlink {
                target: "/tmp".into(),
            },
            mode: 0o777,
            mtime: 0,
            data: &mut none,
        },
    )
    .unwrap();
    let mut d: &[u8] = b"evil";
    let e = x
        .extract("p", file("./tmp/evil", &mut d, 0o644))
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "p: entry ./tmp/evil would be written outside the destination through the symlink tmp"
    );
    // A chain escaping with `..`.
    let mut none: &[u8] = b"";
    x.extract(
        "p",
        Entry {
            path: "up".into(),
            kind: EntryKind::Symlink {
                target: "../..".into(),
            },
            mode: 0o777,
            mtime: 0,
            data: &mut none,
        },
    )
    .unwrap();
    let mut d: &[u8] = b"evil";
    assert!(matches!(
        x.extract("p", file("up/evil", &mut d, 0o644)),
        Err(ExtractError::SymlinkEscape { .. })
    ));
    // A hard link to /etc/passwd.
    let mut none: &[u8] = b"";
    let e = x
        .extract(
            "p",
            Entry {
                path: "passwd".into(),
                kind: EntryKind::HardLink {
                    target: "/etc/passwd".into(),
                },
                mode: 0o644,
                mtime: 0,
                data: &mut none,
            },
        )
        .unwrap_err();
    assert!(matches!(e, ExtractError::BadHardLink { .. }), "{e}");
    outside_is_empty(root.path(), &dest);
}

#[test]
fn inside_symlinks_are_followed_files_replace_links_setuid_dropped() {
    let root = tempfile::tempdir().unwrap();
    let dest = root.path().join("dest");
    std::fs::create_dir_all(dest.join("lib")).unwrap();
    std::fs::create_dir_all(dest.join("usr")).unwrap();
    std::os::unix::fs::symlink("../lib", dest.join("usr/lib64")).unwrap();
    let mut x = Extractor::new(&dest, ConflictPolicy::Warn).unwrap();
    let mut d: &[u8] = b"so";
    x.extract("p", file("./usr/lib64/libx.so", &mut d, 0o4755))
        .unwrap();
    x.flush().unwrap();
    assert_eq!(std::fs::read(dest.join("lib/libx.so")).unwrap(), b"so");
    let mode = std::fs::metadata(dest.join("lib/libx.so"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o7777, 0o755);
    assert_eq!(
        x.warnings,
        ["usr/lib64/libx.so: dropped the setuid/setgid bit (4755) shipped by p"]
    );
    // Two packages, one path, different content: reported, last wins.
    let mut a: &[u8] = b"a";
    x.extract("pa", file("share/same", &mut a, 0o644)).unwrap();
    let mut b: &[u8] = b"b";
    x.extract("pb", file("share/same", &mut b, 0o644)).unwrap();
    assert_eq!(x.conflicts.len(), 1);
    x.flush().unwrap();
    assert_eq!(std::fs::read(dest.join("share/same")).unwrap(), b"b");
    x.finish().unwrap();
}
