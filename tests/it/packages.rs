//! Real packages against the real tools: RPMs built by `rpmbuild` (every
//! payload compressor rpm 4.18 offers) and debs built by `dpkg-deb --build`
//! (every compression), read by `venvjail::create::read_package` and compared
//! with what `rpm2cpio X | cpio -idmu` and `dpkg-deb -x` extract.
//!
//! The model compared, per path (leading `./` or `/` and a trailing `/`
//! stripped; the root itself left out):
//! - a regular file: permission bits (with setuid), mtime, link count and
//!   content (length, CRC-32 of everything, and the first 256 KiB byte for
//!   byte — so small files are compared exactly and a large one is only
//!   hashed, never held). On venvjail's side a `HardLink` is a file with its
//!   target's content, and every name of the inode counts as one link;
//! - a directory: permission bits, and for debs its mtime (GNU cpio sets a
//!   directory's mtime before writing its children, which change it);
//! - a symlink: its target (its mode and mtime are not portable);
//! - anything else: a mismatch (none of these packages has one).
//!
//! Every path venvjail reads must be extracted, identically. What the tools
//! extract beyond that must be a directory that is an ancestor of a payload
//! path: cpio creates the parents an RPM payload does not list (`/usr`,
//! `/usr/bin`), with the umask's mode, so those are not compared. A deb lists
//! every directory, so for debs the two trees must be equal.
//!
//! Skipped (with the reason printed) when `rpmbuild`, `rpm2cpio`, `cpio` or
//! `dpkg-deb` is missing, unless `VENVJAIL_REQUIRE_ORACLE=1`. Each test builds
//! its packages once, in its own temporary directory.

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use venvjail::create::{read_package, Entry, EntryKind, PackageInfo};

// ------------------------------------------------------------------- oracle

fn require_oracle() -> bool {
    std::env::var("VENVJAIL_REQUIRE_ORACLE").is_ok_and(|v| v == "1")
}

pub(crate) fn on_path(exe: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(exe).is_file()))
}

/// True when every tool is on PATH; otherwise prints why the test is skipped
/// (or panics under `VENVJAIL_REQUIRE_ORACLE=1`).
pub(crate) fn have_tools(test: &str, tools: &[&str]) -> bool {
    let missing: Vec<&str> = tools.iter().copied().filter(|t| !on_path(t)).collect();
    if missing.is_empty() {
        return true;
    }
    let why = format!("{} not on PATH", missing.join(", "));
    assert!(!require_oracle(), "VENVJAIL_REQUIRE_ORACLE=1 but {why}");
    println!("{test} skipped: {why}");
    false
}

pub(crate) fn run(cmd: &mut Command) -> String {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

// -------------------------------------------------------------------- model

/// How much of a file's content is kept for an exact comparison.
const HEAD: usize = 256 << 10;

/// A file's content: exact for small files, hashed beyond [`HEAD`].
#[derive(Clone, PartialEq, Eq)]
struct Content {
    len: u64,
    crc32: u32,
    head: Vec<u8>,
}

impl fmt::Debug for Content {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = String::from_utf8_lossy(&self.head[..self.head.len().min(24)]).into_owned();
        write!(
            f,
            "{} bytes, crc32 {:08x}, starting {shown:?}",
            self.len, self.crc32
        )
    }
}

/// Reads `r` to its end in 64 KiB pieces.
fn content(r: &mut dyn Read) -> std::io::Result<Content> {
    let mut buf = vec![0u8; 64 << 10];
    let mut crc = flate2::Crc::new();
    let mut head = Vec::new();
    let mut len = 0u64;
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        crc.update(&buf[..n]);
        if head.len() < HEAD {
            let take = n.min(HEAD - head.len());
            head.extend_from_slice(&buf[..take]);
        }
        len += n as u64;
    }
    Ok(Content {
        len,
        crc32: crc.sum(),
        head,
    })
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    File {
        mode: u32,
        mtime: i64,
        nlink: u64,
        content: Content,
    },
    Dir {
        mode: u32,
        mtime: i64,
    },
    Symlink {
        target: String,
    },
    Other(String),
}

type Tree = BTreeMap<String, Node>;

/// A stored path as a key: no leading `./` or `/`, no trailing `/`; the root
/// is the empty string.
fn norm(path: &str) -> String {
    let mut p = path;
    while let Some(rest) = p.strip_prefix("./") {
        p = rest;
    }
    let p = p.trim_start_matches('/').trim_end_matches('/');
    if p == "." {
        String::new()
    } else {
        p.to_owned()
    }
}

/// The tree the real tool extracted under `root`.
fn walk_disk(root: &Path) -> Tree {
    fn walk(root: &Path, dir: &Path, out: &mut Tree) {
        let mut entries: Vec<PathBuf> = fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
            .map(|e| e.expect("directory entry").path())
            .collect();
        entries.sort();
        for p in entries {
            let rel = p
                .strip_prefix(root)
                .expect("under root")
                .to_string_lossy()
                .into_owned();
            let md =
                fs::symlink_metadata(&p).unwrap_or_else(|e| panic!("stat {}: {e}", p.display()));
            let ft = md.file_type();
            let node = if ft.is_symlink() {
                Node::Symlink {
                    target: fs::read_link(&p)
                        .expect("readlink")
                        .to_string_lossy()
                        .into_owned(),
                }
            } else if ft.is_dir() {
                walk(root, &p, out);
                Node::Dir {
                    mode: md.mode() & 0o7777,
                    mtime: md.mtime(),
                }
            } else if ft.is_file() {
                let mut f = fs::File::open(&p).expect("open extracted file");
                Node::File {
                    mode: md.mode() & 0o7777,
                    mtime: md.mtime(),
                    nlink: md.nlink(),
                    content: content(&mut f).expect("read extracted file"),
                }
            } else {
                Node::Other(format!("{ft:?}"))
            };
            out.insert(rel, node);
        }
    }
    let mut out = Tree::new();
    walk(root, root, &mut out);
    out
}

/// What venvjail read from a package.
struct ReadBack {
    info: PackageInfo,
    tree: Tree,
    entries: usize,
    /// Inconsistencies found while reading (bad sizes, dangling links…).
    problems: Vec<String>,
}

/// Reads `pkg` with venvjail into the same model as [`walk_disk`].
fn read_model(pkg: &Path) -> Result<ReadBack, String> {
    let mut tree = Tree::new();
    let mut problems = Vec::new();
    let mut entries = 0usize;
    let mut seen_info: Option<PackageInfo> = None;
    // Each name of a hard-linked inode: data path -> all its names.
    let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut group_of: BTreeMap<String, String> = BTreeMap::new();
    let info = read_package(pkg, &mut |info: &PackageInfo, e: Entry<'_>| {
        entries += 1;
        match &seen_info {
            None => seen_info = Some(info.clone()),
            Some(s) if s != info => problems.push(format!(
                "PackageInfo changed between entries: {s:?} then {info:?}"
            )),
            Some(_) => {}
        }
        let path = norm(&e.path);
        let node = match e.kind {
            EntryKind::File { size } => match content(e.data) {
                Ok(c) => {
                    if c.len != size {
                        problems.push(format!(
                            "{}: size {size} but data has {} bytes",
                            e.path, c.len
                        ));
                    }
                    groups.insert(path.clone(), vec![path.clone()]);
                    group_of.insert(path.clone(), path.clone());
                    Node::File {
                        mode: e.mode,
                        mtime: e.mtime,
                        nlink: 1,
                        content: c,
                    }
                }
                Err(err) => {
                    problems.push(format!("{}: reading its data: {err}", e.path));
                    return Ok(());
                }
            },
            EntryKind::Directory => Node::Dir {
                mode: e.mode,
                mtime: e.mtime,
            },
            EntryKind::Symlink { target } => Node::Symlink { target },
            EntryKind::HardLink { target } => {
                let t = norm(&target);
                match (tree.get(&t), group_of.get(&t).cloned()) {
                    (Some(Node::File { content, .. }), Some(key)) => {
                        let content = content.clone();
                        groups.entry(key.clone()).or_default().push(path.clone());
                        group_of.insert(path.clone(), key);
                        Node::File {
                            mode: e.mode,
                            mtime: e.mtime,
                            nlink: 1,
                            content,
                        }
                    }
                    _ => {
                        problems.push(format!(
                            "{}: hard link to {target:?}, not a file read before it",
                            e.path
                        ));
                        return Ok(());
                    }
                }
            }
            other => Node::Other(format!("{other:?}")),
        };
        if path.is_empty() {
            return Ok(());
        }
        if tree.insert(path, node).is_some() {
            problems.push(format!("{}: listed twice", e.path));
        }
        Ok(())
    })
    .map_err(|e| format!("read_package failed: {e}"))?;
    for names in groups.values() {
        for name in names {
            if let Some(Node::File { nlink, .. }) = tree.get_mut(name) {
                *nlink = names.len() as u64;
            }
        }
    }
    if let Some(s) = &seen_info {
        if *s != info {
            problems.push(format!(
                "PackageInfo given to visit {s:?} but returned {info:?}"
            ));
        }
    }
    Ok(ReadBack {
        info,
        tree,
        entries,
        problems,
    })
}

/// Differences between what venvjail read and what the tool extracted.
fn compare(read: &Tree, disk: &Tree, implicit_parents: bool) -> Vec<String> {
    let mut problems = Vec::new();
    for (path, node) in read {
        match disk.get(path) {
            None => problems.push(format!(
                "{path}: read by venvjail ({node:?}) but not extracted by the tool"
            )),
            Some(d) if d != node => problems.push(format!(
                "{path}: venvjail read {node:?}, the tool extracted {d:?}"
            )),
            Some(_) => {}
        }
    }
    for (path, node) in disk {
        if read.contains_key(path) {
            continue;
        }
        let prefix = format!("{path}/");
        let parent =
            matches!(node, Node::Dir { .. }) && read.keys().any(|k| k.starts_with(&prefix));
        if !(implicit_parents && parent) {
            problems.push(format!(
                "{path}: extracted by the tool ({node:?}) but not read by venvjail"
            ));
        }
    }
    problems
}

// --------------------------------------------------------------- the trees

const README: &str = "venvjail package test\n\nLine three, with trailing spaces   \n\tand a tab.\n";

/// Binary content of `len` bytes with every byte value and no period that
/// lines up with cpio's 4-byte or tar's 512-byte padding.
fn binary(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..len)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            if i % 7 == 0 {
                (i % 256) as u8
            } else {
                (x >> 24) as u8
            }
        })
        .collect()
}

pub(crate) fn put(root: &Path, rel: &str, data: &[u8], mode: u32) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().expect("parent")).expect("create parent");
    fs::write(&p, data).expect("write staged file");
    fs::set_permissions(&p, fs::Permissions::from_mode(mode)).expect("chmod staged file");
}

fn mkdir(root: &Path, rel: &str, mode: u32) {
    let p = root.join(rel);
    fs::create_dir_all(&p).expect("create staged dir");
    fs::set_permissions(&p, fs::Permissions::from_mode(mode)).expect("chmod staged dir");
}

/// The main tree: files of several kinds and sizes, nested and empty
/// directories, absolute, relative and directory symlinks, two hard links
/// to one file, a setuid file and a name with a space.
fn main_tree(root: &Path, tag: &str) {
    let share = "usr/share/pkgtest";
    put(
        root,
        &format!("{share}/README.txt"),
        format!("{README}{tag}\n").as_bytes(),
        0o644,
    );
    put(
        root,
        &format!("{share}/data.bin"),
        &binary(70_001, 1),
        0o644,
    );
    put(root, &format!("{share}/empty"), b"", 0o644);
    for n in [1usize, 2, 3, 5, 511, 512, 513] {
        put(
            root,
            &format!("{share}/pad/{n}"),
            &binary(n, n as u32),
            0o644,
        );
    }
    put(
        root,
        &format!("{share}/private.key"),
        b"not really a secret\n",
        0o600,
    );
    put(root, &format!("{share}/group-readable"), b"640\n", 0o640);
    put(
        root,
        &format!("{share}/nested/a/b/c/deep.txt"),
        b"deep\n",
        0o644,
    );
    mkdir(root, &format!("{share}/nested/emptydir"), 0o755);
    mkdir(root, &format!("{share}/nested/private-dir"), 0o700);
    put(
        root,
        &format!("{share}/nested/private-dir/inside"),
        b"inside\n",
        0o644,
    );
    symlink(
        "/usr/share/pkgtest/README.txt",
        root.join(format!("{share}/abs-link")),
    )
    .expect("symlink");
    symlink(
        "nested/a/b/c/deep.txt",
        root.join(format!("{share}/rel-link")),
    )
    .expect("symlink");
    symlink("nested/a", root.join(format!("{share}/dir-link"))).expect("symlink");
    symlink(
        "../share/pkgtest/nested",
        root.join("usr/share/pkgtest-dirlink"),
    )
    .expect("symlink");
    put(root, &format!("{share}/hard1"), &binary(4097, 7), 0o644);
    fs::hard_link(
        root.join(format!("{share}/hard1")),
        root.join(format!("{share}/hard2")),
    )
    .expect("hard link");
    put(
        root,
        &format!("{share}/with space.txt"),
        b"a name with a space\n",
        0o644,
    );
    put(
        root,
        "usr/bin/pkgtest-suid",
        b"#!/bin/sh\necho setuid\n",
        0o4755,
    );
    put(
        root,
        "usr/bin/pkgtest-tool",
        b"#!/bin/sh\necho tool\n",
        0o755,
    );
    for d in ["usr", "usr/bin", "usr/share", share] {
        fs::set_permissions(root.join(d), fs::Permissions::from_mode(0o755)).expect("chmod");
    }
}

const MAIN_FILES: &str = "/usr/share/pkgtest\n/usr/share/pkgtest-dirlink\n\
                          %attr(4755,root,root) /usr/bin/pkgtest-suid\n/usr/bin/pkgtest-tool\n";

/// Edge cases kept apart so that they do not hide the main comparison:
/// hard links to an empty file, three names of one inode, a name with
/// non-ASCII characters.
fn edge_tree(root: &Path) {
    let share = "usr/share/pkgtest-edge";
    put(root, &format!("{share}/empty-a"), b"", 0o644);
    fs::hard_link(
        root.join(format!("{share}/empty-a")),
        root.join(format!("{share}/empty-b")),
    )
    .expect("hard link");
    put(root, &format!("{share}/tri-1"), b"three names\n", 0o644);
    for n in ["tri-2", "tri-3"] {
        fs::hard_link(
            root.join(format!("{share}/tri-1")),
            root.join(format!("{share}/{n}")),
        )
        .expect("hard link");
    }
    put(
        root,
        &format!("{share}/caf\u{e9} \u{2603}.txt"),
        b"unicode name\n",
        0o644,
    );
    put(
        root,
        &format!("{share}/zz-last"),
        b"after the links\n",
        0o644,
    );
    for d in ["usr", "usr/share", share] {
        fs::set_permissions(root.join(d), fs::Permissions::from_mode(0o755)).expect("chmod");
    }
}

// --------------------------------------------------------------------- RPM

pub(crate) struct RpmSpec<'a> {
    pub(crate) name: &'a str,
    pub(crate) epoch: Option<u32>,
    pub(crate) version: &'a str,
    pub(crate) release: &'a str,
    pub(crate) files: &'a str,
    pub(crate) payload: &'a str,
}

/// Builds one noarch RPM whose `%install` copies `stage`; returns its path.
pub(crate) fn rpmbuild(work: &Path, stage: &Path, spec: &RpmSpec<'_>) -> PathBuf {
    let top = work.join(format!("top-{}", spec.name));
    fs::create_dir_all(&top).expect("create topdir");
    let epoch = spec
        .epoch
        .map(|e| format!("Epoch: {e}\n"))
        .unwrap_or_default();
    let text = format!(
        "Name: {name}\n{epoch}Version: {version}\nRelease: {release}\nSummary: venvjail package test\n\
         License: MIT\nBuildArch: noarch\n\n%description\nvenvjail package test.\n\n\
         %install\ncp -a '{stage}/.' '%{{buildroot}}/'\n\n%files\n%defattr(-,root,root)\n{files}",
        name = spec.name,
        version = spec.version,
        release = spec.release,
        stage = stage.display(),
        files = spec.files,
    );
    let spec_path = top.join(format!("{}.spec", spec.name));
    fs::write(&spec_path, text).expect("write spec");
    let define = |k: &str, v: &str| ["--define".to_owned(), format!("{k} {v}")];
    let mut cmd = Command::new("rpmbuild");
    cmd.arg("-bb")
        .arg("--nodeps")
        .arg("--quiet")
        .args(define("_topdir", &top.display().to_string()))
        .args(define("_dbpath", &top.join("db").display().to_string()))
        .args(define("_binary_payload", spec.payload))
        .args(define("_build_id_links", "none"))
        .args(define("debug_package", "%{nil}"))
        .args(define("__spec_install_post", "%{nil}"))
        .args(define("__os_install_post", "%{nil}"))
        .arg(&spec_path)
        .env("HOME", &top);
    run(&mut cmd);
    let dir = top.join("RPMS/noarch");
    let rpms: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "rpm"))
        .collect();
    assert_eq!(rpms.len(), 1, "one RPM built in {}", dir.display());
    rpms.into_iter().next().expect("one RPM")
}

/// `rpm2cpio RPM | cpio -idmu` into a fresh directory under `work`.
fn rpm_extract(work: &Path, rpm: &Path) -> PathBuf {
    let dest = tempfile::tempdir_in(work).expect("extract dir").keep();
    let mut r2c = Command::new("rpm2cpio")
        .arg(rpm)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn rpm2cpio");
    let pipe = r2c.stdout.take().expect("rpm2cpio stdout");
    let cpio = Command::new("cpio")
        .args(["-idmu", "--quiet"])
        .current_dir(&dest)
        .stdin(pipe)
        .output()
        .expect("run cpio");
    let r2c_status = r2c.wait().expect("wait rpm2cpio");
    assert!(r2c_status.success(), "rpm2cpio {} failed", rpm.display());
    assert!(
        cpio.status.success(),
        "cpio on {} failed: {}",
        rpm.display(),
        String::from_utf8_lossy(&cpio.stderr)
    );
    dest
}

/// `rpm -qp --qf` for NAME, EPOCH, VERSION, RELEASE, ARCH.
fn rpm_query(work: &Path, rpm: &Path) -> PackageInfo {
    let out = run(Command::new("rpm")
        .arg("-qp")
        .args([
            "--define",
            &format!("_dbpath {}", work.join("rpmdb").display()),
        ])
        .args([
            "--qf",
            "%{NAME}\\n%{EPOCH}\\n%{VERSION}\\n%{RELEASE}\\n%{ARCH}\\n",
        ])
        .arg(rpm)
        .env("HOME", work));
    let f: Vec<&str> = out.lines().collect();
    assert_eq!(f.len(), 5, "rpm -qp output: {out:?}");
    PackageInfo {
        name: f[0].to_owned(),
        epoch: f[1].parse().ok(),
        version: f[2].to_owned(),
        release: f[3].to_owned(),
        arch: f[4].to_owned(),
        ..Default::default()
    }
}

/// Totals for the summary line.
#[derive(Default)]
struct Tally {
    packages: usize,
    entries: usize,
    paths: usize,
}

/// The main tree as the real tool extracted it really has what the test is
/// about (so that a comparison cannot pass by both sides losing it).
fn fixture_problems(disk: &Tree) -> Vec<String> {
    if !disk.contains_key("usr/share/pkgtest/README.txt") {
        return Vec::new();
    }
    let share = "usr/share/pkgtest";
    let mut problems = Vec::new();
    let mut want = |path: String, ok: &dyn Fn(&Node) -> bool, what: &str| match disk.get(&path) {
        Some(n) if ok(n) => {}
        other => problems.push(format!("fixture: {path} should be {what}, is {other:?}")),
    };
    let file = |n: &Node, m: u32, links: u64| matches!(n, Node::File { mode, nlink, .. } if *mode == m && *nlink == links);
    want(
        "usr/bin/pkgtest-suid".into(),
        &|n| file(n, 0o4755, 1),
        "setuid 4755",
    );
    want(
        format!("{share}/private.key"),
        &|n| file(n, 0o600, 1),
        "mode 600",
    );
    for h in ["hard1", "hard2"] {
        want(
            format!("{share}/{h}"),
            &|n| file(n, 0o644, 2),
            "a file with 2 links",
        );
    }
    want(
        format!("{share}/empty"),
        &|n| matches!(n, Node::File { content, .. } if content.len == 0),
        "empty",
    );
    want(
        format!("{share}/with space.txt"),
        &|n| matches!(n, Node::File { .. }),
        "a file",
    );
    want(
        format!("{share}/nested/emptydir"),
        &|n| matches!(n, Node::Dir { .. }),
        "a directory",
    );
    for (link, to) in [
        ("abs-link", "/usr/share/pkgtest/README.txt"),
        ("rel-link", "nested/a/b/c/deep.txt"),
        ("dir-link", "nested/a"),
    ] {
        want(
            format!("{share}/{link}"),
            &|n| matches!(n, Node::Symlink { target } if target == to),
            &format!("a symlink to {to}"),
        );
    }
    problems
}

/// Compares one RPM with rpm2cpio + cpio and `rpm -qp`; returns the problems.
fn check_rpm(work: &Path, label: &str, rpm: &Path, tally: &mut Tally) -> Vec<String> {
    tally.packages += 1;
    let disk = walk_disk(&rpm_extract(work, rpm));
    let fixture = fixture_problems(&disk);
    let want = rpm_query(work, rpm);
    let read = match read_model(rpm) {
        Ok(r) => r,
        Err(e) => return vec![format!("{label} ({}): {e}", rpm.display())],
    };
    tally.entries += read.entries;
    tally.paths += read.tree.len();
    let mut problems = fixture;
    problems.extend(read.problems);
    let got = &read.info;
    let info = (&got.name, got.epoch, &got.version, &got.release, &got.arch);
    let expected = (
        &want.name,
        want.epoch,
        &want.version,
        &want.release,
        &want.arch,
    );
    if info != expected {
        problems.push(format!("PackageInfo {info:?}, rpm -qp says {expected:?}"));
    }
    if got.is_deb || got.is_source {
        problems.push(format!(
            "binary RPM read as is_deb={} is_source={}",
            got.is_deb, got.is_source
        ));
    }
    // GNU cpio sets a directory's mtime when it reaches its entry, then
    // changes it by writing the children: directory mtimes are not compared.
    let no_dir_mtime = |tree: Tree| -> Tree {
        tree.into_iter()
            .map(|(p, n)| match n {
                Node::Dir { mode, .. } => (p, Node::Dir { mode, mtime: 0 }),
                n => (p, n),
            })
            .collect()
    };
    problems.extend(compare(&no_dir_mtime(read.tree), &no_dir_mtime(disk), true));
    problems
        .into_iter()
        .map(|p| format!("{label} ({}): {p}", rpm.display()))
        .collect()
}

fn report(test: &str, tally: &Tally, problems: &[String]) {
    println!(
        "{test}: {} packages built and read, {} payload entries, {} paths compared",
        tally.packages, tally.entries, tally.paths
    );
    assert!(
        problems.is_empty(),
        "{test}: {} disagreement(s) with the real tools:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// The payload compressors: label, `_binary_payload`.
const RPM_PAYLOADS: [(&str, &str); 6] = [
    ("gzip", "w9.gzdio"),
    ("bzip2", "w9.bzdio"),
    ("xz", "w6.xzdio"),
    ("lzma", "w6.lzdio"),
    ("zstd", "w19.zstdio"),
    ("none", "w.ufdio"),
];

pub(crate) const RPM_TOOLS: [&str; 4] = ["rpmbuild", "rpm", "rpm2cpio", "cpio"];

#[test]
fn rpms_read_like_rpm2cpio_and_cpio() {
    if !have_tools("rpms_read_like_rpm2cpio_and_cpio", &RPM_TOOLS) {
        return;
    }
    let work = tempfile::tempdir().expect("work dir");
    let stage = work.path().join("stage");
    main_tree(&stage, "rpm");
    let mut tally = Tally::default();
    let mut problems = Vec::new();
    for (i, (label, payload)) in RPM_PAYLOADS.iter().enumerate() {
        let name = format!("pkgtest-{label}");
        let rpm = rpmbuild(
            work.path(),
            &stage,
            &RpmSpec {
                name: &name,
                // One package with an epoch, the others without.
                epoch: (*label == "xz").then_some(7),
                version: "1.2.3",
                release: &format!("{}.test", i + 4),
                files: MAIN_FILES,
                payload,
            },
        );
        problems.extend(check_rpm(
            work.path(),
            &format!("RPM {payload}"),
            &rpm,
            &mut tally,
        ));
    }
    report("rpms_read_like_rpm2cpio_and_cpio", &tally, &problems);
}

#[test]
fn rpm_edge_hard_links_read_like_cpio() {
    if !have_tools("rpm_edge_hard_links_read_like_cpio", &RPM_TOOLS) {
        return;
    }
    let work = tempfile::tempdir().expect("work dir");
    let stage = work.path().join("stage");
    edge_tree(&stage);
    let rpm = rpmbuild(
        work.path(),
        &stage,
        &RpmSpec {
            name: "pkgtest-edge",
            epoch: None,
            version: "0.1",
            release: "1",
            files: "/usr/share/pkgtest-edge\n",
            payload: "w9.gzdio",
        },
    );
    let mut tally = Tally::default();
    let problems = check_rpm(work.path(), "RPM edge", &rpm, &mut tally);
    report("rpm_edge_hard_links_read_like_cpio", &tally, &problems);
}

/// Builds `conflict-a` and `conflict-b`: both ship
/// `/usr/share/conflict/same.txt`, with different content.
fn build_conflict_rpms(work: &Path) -> [(PathBuf, &'static str); 2] {
    ["a", "b"].map(|which| {
        let stage = work.join(format!("stage-conflict-{which}"));
        let text: &'static str = if which == "a" {
            "conflict-a's same.txt\n"
        } else {
            "conflict-b's same.txt, longer and different\n"
        };
        put(
            &stage,
            "usr/share/conflict/same.txt",
            text.as_bytes(),
            0o644,
        );
        put(
            &stage,
            &format!("usr/share/conflict/only-{which}.txt"),
            which.as_bytes(),
            0o644,
        );
        let rpm = rpmbuild(
            work,
            &stage,
            &RpmSpec {
                name: &format!("conflict-{which}"),
                epoch: None,
                version: "1.0",
                release: "1",
                files: "%dir /usr/share/conflict\n/usr/share/conflict/*\n",
                payload: "w9.gzdio",
            },
        );
        (rpm, text)
    })
}

#[test]
fn conflicting_rpms_both_read() {
    if !have_tools("conflicting_rpms_both_read", &RPM_TOOLS) {
        return;
    }
    let work = tempfile::tempdir().expect("work dir");
    let mut tally = Tally::default();
    let mut problems = Vec::new();
    for (rpm, text) in build_conflict_rpms(work.path()) {
        problems.extend(check_rpm(work.path(), "RPM conflict", &rpm, &mut tally));
        let read = read_model(&rpm).expect("conflict package reads");
        match read.tree.get("usr/share/conflict/same.txt") {
            Some(Node::File { content, .. }) => {
                assert_eq!(content.head, text.as_bytes(), "{}", rpm.display())
            }
            other => panic!("{}: same.txt is {other:?}", rpm.display()),
        }
    }
    report("conflicting_rpms_both_read", &tally, &problems);
}

// --------------------------------------------------------------------- deb

/// Builds a deb from `stage` (which gets a `DEBIAN/control`) with
/// `dpkg-deb --build`, with `-Z<compression>` unless it is `None` (xz).
pub(crate) fn dpkg_build(
    work: &Path,
    stage: &Path,
    control: &str,
    compression: Option<&str>,
    file: &str,
) -> PathBuf {
    put(stage, "DEBIAN/control", control.as_bytes(), 0o644);
    fs::set_permissions(stage.join("DEBIAN"), fs::Permissions::from_mode(0o755))
        .expect("chmod DEBIAN");
    fs::set_permissions(stage, fs::Permissions::from_mode(0o755)).expect("chmod stage");
    let out = work.join(file);
    let mut cmd = Command::new("dpkg-deb");
    cmd.arg("--root-owner-group");
    if let Some(z) = compression {
        cmd.arg(format!("-Z{z}"));
    }
    run(cmd.arg("--build").arg(stage).arg(&out));
    out
}

pub(crate) fn control(name: &str, version: &str) -> String {
    format!(
        "Package: {name}\nVersion: {version}\nArchitecture: all\nMaintainer: venvjail tests <tests@example.org>\n\
         Description: venvjail package test\n a deb built by the test suite\n"
    )
}

/// Compares one deb with `dpkg-deb -x` and its control fields.
fn check_deb(
    work: &Path,
    label: &str,
    deb: &Path,
    name: &str,
    version: &str,
    tally: &mut Tally,
) -> Vec<String> {
    tally.packages += 1;
    let dest = tempfile::tempdir_in(work).expect("extract dir").keep();
    run(Command::new("dpkg-deb").arg("-x").arg(deb).arg(&dest));
    let disk = walk_disk(&dest);
    let fixture = fixture_problems(&disk);
    let read = match read_model(deb) {
        Ok(r) => r,
        Err(e) => return vec![format!("{label} ({}): {e}", deb.display())],
    };
    tally.entries += read.entries;
    tally.paths += read.tree.len();
    let mut problems = fixture;
    problems.extend(read.problems);
    let got = &read.info;
    let info = (
        got.name.as_str(),
        got.version.as_str(),
        got.arch.as_str(),
        got.is_deb,
    );
    let expected = (name, version, "all", true);
    if info != expected {
        problems.push(format!("PackageInfo {info:?}, control says {expected:?}"));
    }
    problems.extend(compare(&read.tree, &disk, false));
    problems
        .into_iter()
        .map(|p| format!("{label} ({}): {p}", deb.display()))
        .collect()
}

#[test]
fn debs_read_like_dpkg_deb() {
    if !have_tools("debs_read_like_dpkg_deb", &["dpkg-deb"]) {
        return;
    }
    let work = tempfile::tempdir().expect("work dir");
    let mut tally = Tally::default();
    let mut problems = Vec::new();
    for z in [None, Some("gzip"), Some("zstd"), Some("none")] {
        let label = z.unwrap_or("xz");
        let stage = work.path().join(format!("stage-{label}"));
        main_tree(&stage, "deb");
        let name = format!("pkgtest-{label}");
        let version = "2:1.2.3-4";
        let deb = dpkg_build(
            work.path(),
            &stage,
            &control(&name, version),
            z,
            &format!("{name}.deb"),
        );
        problems.extend(check_deb(
            work.path(),
            &format!("deb {label}"),
            &deb,
            &name,
            version,
            &mut tally,
        ));
    }
    let stage = work.path().join("stage-edge");
    edge_tree(&stage);
    let deb = dpkg_build(
        work.path(),
        &stage,
        &control("pkgtest-edge", "0.1"),
        None,
        "pkgtest-edge.deb",
    );
    problems.extend(check_deb(
        work.path(),
        "deb edge",
        &deb,
        "pkgtest-edge",
        "0.1",
        &mut tally,
    ));
    report("debs_read_like_dpkg_deb", &tally, &problems);
}

// ---------------------------------------------------------------- big file

const BIG: u64 = 50 << 20;
const BIG_PATH: &str = "usr/share/pkgtest-big/blob";
const CHILD_ENV: &str = "VENVJAIL_PKGTEST_BIG_RPM";

/// Writes the 50 MiB file: a 4099-byte block (prime, so never aligned with
/// any padding) repeated, written a block at a time.
fn write_big(root: &Path) {
    let p = root.join(BIG_PATH);
    fs::create_dir_all(p.parent().expect("parent")).expect("create parent");
    let block = binary(4099, 99);
    let mut f = std::io::BufWriter::new(fs::File::create(&p).expect("create big file"));
    let mut left = BIG;
    while left > 0 {
        let n = left.min(block.len() as u64) as usize;
        f.write_all(&block[..n]).expect("write big file");
        left -= n as u64;
    }
    f.flush().expect("flush big file");
    put(
        root,
        "usr/share/pkgtest-big/zz-after.txt",
        b"the entry after the big one\n",
        0o644,
    );
}

/// `VmHWM` (peak resident set) of this process in KiB, when /proc has it.
fn vm_hwm_kib() -> Option<u64> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Run by [`big_file_is_streamed`] in a child process of its own (so that
/// no other test's memory counts): reads the big RPM, only hashing its
/// data, and prints the peak resident set before and after.
#[test]
#[ignore = "run by big_file_is_streamed in a child process"]
fn big_file_child() {
    let Some(rpm) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let before = vm_hwm_kib().unwrap_or(0);
    let mut blob = None;
    read_package(Path::new(&rpm), &mut |_, e| {
        if norm(&e.path) == BIG_PATH {
            blob = Some(content(e.data).expect("read big file"));
        }
        Ok(())
    })
    .expect("read big RPM");
    let after = vm_hwm_kib().unwrap_or(0);
    let blob = blob.expect("the big file is in the payload");
    println!(
        "PKGTEST-CHILD before={before} after={after} len={} crc32={:08x}",
        blob.len, blob.crc32
    );
}

#[test]
fn big_file_is_streamed() {
    if !have_tools("big_file_is_streamed", &RPM_TOOLS) {
        return;
    }
    let work = tempfile::tempdir().expect("work dir");
    let stage = work.path().join("stage");
    write_big(&stage);
    let rpm = rpmbuild(
        work.path(),
        &stage,
        &RpmSpec {
            name: "pkgtest-big",
            epoch: None,
            version: "1",
            release: "1",
            files: "/usr/share/pkgtest-big\n",
            payload: "w1.gzdio",
        },
    );
    let mut tally = Tally::default();
    let problems = check_rpm(work.path(), "RPM big", &rpm, &mut tally);

    // The memory check, in a child running only `big_file_child`.
    let exe = std::env::current_exe().expect("test binary");
    let out = Command::new(exe)
        .args([
            "packages::big_file_child",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, &rpm)
        .stdin(Stdio::null())
        .output()
        .expect("run the child test");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "child failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = stdout
        .lines()
        .find_map(|l| {
            l.find("PKGTEST-CHILD ")
                .map(|i| &l[i + "PKGTEST-CHILD ".len()..])
        })
        .unwrap_or_else(|| panic!("no report from the child:\n{stdout}"));
    let field = |k: &str| {
        line.split_whitespace()
            .find_map(|f| f.strip_prefix(k).and_then(|v| v.strip_prefix('=')))
            .unwrap_or_else(|| panic!("no {k} in {line:?}"))
            .to_owned()
    };
    let expected = content(&mut fs::File::open(stage.join(BIG_PATH)).expect("open big file"))
        .expect("read big file");
    assert_eq!(field("len"), BIG.to_string(), "big file length");
    assert_eq!(
        field("crc32"),
        format!("{:08x}", expected.crc32),
        "big file content"
    );
    let (before, after): (u64, u64) = (
        field("before").parse().unwrap(),
        field("after").parse().unwrap(),
    );
    if before == 0 || after == 0 {
        println!("big_file_is_streamed: no /proc/self/status VmHWM, memory not checked");
    } else {
        let grew_mib = after.saturating_sub(before) / 1024;
        println!("big_file_is_streamed: peak RSS {before} KiB before, {after} KiB after reading a 50 MiB file");
        assert!(
            grew_mib < 16,
            "reading a 50 MiB file raised the peak RSS by {grew_mib} MiB: not streamed"
        );
    }
    report("big_file_is_streamed", &tally, &problems);
}

/// `venvjail create` on a repository of real RPMs gives the tree that
/// `rpm2cpio X | cpio -idmu` per package (in the same order) gives, for
/// every path cpio extracted; only setuid/setgid bits differ (dropped, with
/// a warning), and the conflict is reported with both package names.
#[test]
fn create_extracts_what_rpm2cpio_and_cpio_extract() {
    if !have_tools("create_extracts_what_rpm2cpio_and_cpio_extract", &RPM_TOOLS)
        || !on_path("python3")
    {
        return;
    }
    let work = tempfile::tempdir().expect("work dir");
    let stage = work.path().join("stage-main");
    main_tree(&stage, "rpm");
    let edge_stage = work.path().join("stage-edge");
    edge_tree(&edge_stage);
    let repo = work.path().join("repo");
    fs::create_dir(&repo).expect("repo dir");
    let mut rpms = vec![
        rpmbuild(
            work.path(),
            &stage,
            &RpmSpec {
                name: "pkgtest-main",
                epoch: None,
                version: "1.0",
                release: "1",
                files: MAIN_FILES,
                payload: "w6.xzdio",
            },
        ),
        rpmbuild(
            work.path(),
            &edge_stage,
            &RpmSpec {
                name: "pkgtest-edge",
                epoch: None,
                version: "0.1",
                release: "1",
                files: "/usr/share/pkgtest-edge\n",
                payload: "w19.zstdio",
            },
        ),
    ];
    rpms.extend(build_conflict_rpms(work.path()).map(|(p, _)| p));
    for rpm in &rpms {
        fs::copy(rpm, repo.join(rpm.file_name().expect("file name"))).expect("copy rpm");
    }
    // cpio, in venvjail's order: sorted by package name.
    let cpio_dir = work.path().join("cpio");
    fs::create_dir(&cpio_dir).expect("cpio dir");
    let mut sorted = rpms.clone();
    sorted.sort_by_key(|p| p.file_name().map(|n| n.to_os_string()));
    for rpm in &sorted {
        let once = rpm_extract(work.path(), rpm);
        let status = Command::new("cp")
            .arg("-a")
            .arg(format!("{}/.", once.display()))
            .arg(&cpio_dir)
            .status()
            .expect("cp");
        assert!(status.success());
    }
    let expected = walk_disk(&cpio_dir);
    let dest = work.path().join("venv");
    let out = Command::new(env!("CARGO_BIN_EXE_venvjail"))
        .args(["create"])
        .arg(&dest)
        .arg("-r")
        .arg(&repo)
        .args(["-i", "none", "-e", "none", "-d", "none"])
        .current_dir(work.path())
        .output()
        .expect("run venvjail create");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("usr/share/conflict/same.txt: shipped by conflict-a and conflict-b with different content; conflict-b wins"),
        "{stderr}"
    );
    let mut problems = Vec::new();
    let mut compared = 0;
    for (path, want) in &expected {
        let here = dest.join(path);
        // The venv's own directory links (`usr/bin -> ../bin`) stand where
        // cpio made directories: follow them for directories.
        let stat = match (want, fs::symlink_metadata(&here)) {
            (Node::Dir { .. }, Ok(md)) if md.file_type().is_symlink() => fs::metadata(&here),
            (_, other) => other,
        };
        let got = match stat {
            Ok(md) if md.file_type().is_symlink() => Node::Symlink {
                target: fs::read_link(&here)
                    .expect("readlink")
                    .to_string_lossy()
                    .into_owned(),
            },
            Ok(md) if md.is_dir() => Node::Dir {
                mode: md.mode() & 0o7777,
                mtime: md.mtime(),
            },
            Ok(md) if md.is_file() => Node::File {
                mode: md.mode() & 0o7777,
                mtime: md.mtime(),
                nlink: md.nlink(),
                content: content(&mut fs::File::open(&here).expect("open")).expect("read"),
            },
            Ok(md) => Node::Other(format!("{:?}", md.file_type())),
            Err(e) => {
                problems.push(format!("{path}: missing in the venv ({e})"));
                continue;
            }
        };
        compared += 1;
        let same = match (want, &got) {
            (Node::Dir { mode: a, .. }, Node::Dir { mode: b, .. }) => {
                // Directories cpio made for parents get cpio's own mode.
                a == b || path.matches('/').count() < 2
            }
            (
                Node::File {
                    mode: a,
                    mtime: ta,
                    nlink: na,
                    content: ca,
                },
                Node::File {
                    mode: b,
                    mtime: tb,
                    nlink: nb,
                    content: cb,
                },
            ) => a & 0o1777 == *b && ta == tb && na == nb && ca == cb,
            (a, b) => a == b,
        };
        if !same {
            problems.push(format!("{path}: cpio {want:?}, venvjail {got:?}"));
        }
    }
    println!(
        "create vs rpm2cpio|cpio: {} packages, {compared} paths compared",
        rpms.len()
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let log = fs::read_to_string(dest.join("packages.log")).expect("packages.log");
    assert!(
        log.starts_with("# Included packages\nconflict-a-1.0-1.noarch.rpm\n"),
        "{log}"
    );
}

/// Regression: `remove-file` removing a directory a package lists made
/// `create` fail at the end ("cannot write DEST: no such file or
/// directory") while applying that directory's mode and mtime.
#[test]
fn remove_file_may_remove_a_directory_a_package_ships() {
    if !have_tools(
        "remove_file_may_remove_a_directory_a_package_ships",
        &["dpkg-deb"],
    ) || !on_path("python3")
    {
        return;
    }
    let work = tempfile::tempdir().expect("work dir");
    let stage = work.path().join("stage");
    put(&stage, "usr/share/gone/file.txt", b"removed\n", 0o644);
    put(&stage, "usr/share/kept/file.txt", b"kept\n", 0o644);
    let repo = work.path().join("repo");
    fs::create_dir(&repo).expect("repo dir");
    dpkg_build(
        &repo,
        &stage,
        &control("gone", "1.0"),
        Some("gzip"),
        "gone_1.0_all.deb",
    );
    fs::write(work.path().join("remove-file"), "usr/share/gone$\n").expect("remove-file");
    fs::write(work.path().join("empty"), "").expect("empty list");
    let out = Command::new(env!("CARGO_BIN_EXE_venvjail"))
        .args([
            "-q", "create", "venv", "-r", "repo", "-i", "empty", "-e", "empty",
        ])
        .current_dir(work.path())
        .output()
        .expect("run venvjail create");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    assert!(out.status.success());
    assert!(!work.path().join("venv/usr/share/gone").exists());
    assert!(work.path().join("venv/usr/share/kept/file.txt").is_file());
}
