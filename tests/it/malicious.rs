//! Malicious and broken packages: `create` refuses them with one line
//! naming the package and the entry, exit 2, and nothing is ever written
//! outside DEST (which sits two levels inside a fresh temp dir).

use std::io::Write;
use std::path::Path;

use crate::util::{Dir, Run};

/// One cpio entry: path, mode (with file type), data or link target.
pub(crate) struct E<'a> {
    path: &'a str,
    mode: u32,
    data: &'a [u8],
    ino: u32,
    nlink: u32,
}

const REG: u32 = 0o100644;
const DIR: u32 = 0o040755;
const LNK: u32 = 0o120777;

pub(crate) fn file<'a>(path: &'a str, data: &'a [u8]) -> E<'a> {
    E {
        path,
        mode: REG,
        data,
        ino: 0,
        nlink: 1,
    }
}

pub(crate) fn symlink<'a>(path: &'a str, target: &'a str) -> E<'a> {
    E {
        path,
        mode: LNK,
        data: target.as_bytes(),
        ino: 0,
        nlink: 1,
    }
}

pub(crate) fn dir(path: &str) -> E<'_> {
    E {
        path,
        mode: DIR,
        data: b"",
        ino: 0,
        nlink: 2,
    }
}

/// `file` with a mode of its own (file type bits included).
pub(crate) fn file_mode<'a>(path: &'a str, data: &'a [u8], mode: u32) -> E<'a> {
    E {
        path,
        mode,
        data,
        ino: 0,
        nlink: 1,
    }
}

/// A cpio newc archive.
pub(crate) fn cpio(entries: &[E<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    let pad = |out: &mut Vec<u8>| {
        while out.len() % 4 != 0 {
            out.push(0);
        }
    };
    let trailer = E {
        path: "TRAILER!!!",
        mode: 0,
        data: b"",
        ino: 0,
        nlink: 1,
    };
    for (ino, e) in (1001u32..).zip(entries.iter().chain(std::iter::once(&trailer))) {
        let fields = [
            if e.ino == 0 { ino } else { e.ino },
            e.mode,
            0,
            0,
            e.nlink,
            1_700_000_000,
            e.data.len() as u32,
            0,
            0,
            0,
            0,
            e.path.len() as u32 + 1,
            0,
        ];
        out.extend_from_slice(b"070701");
        for f in fields {
            out.extend_from_slice(format!("{f:08x}").as_bytes());
        }
        out.extend_from_slice(e.path.as_bytes());
        out.push(0);
        pad(&mut out);
        out.extend_from_slice(e.data);
        pad(&mut out);
    }
    out
}

pub(crate) fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

/// An RPM: lead, empty signature header, a main header with the tags
/// venvjail reads, and `payload` as is (already compressed).
pub(crate) fn rpm(name: &str, payload: &[u8]) -> Vec<u8> {
    rpm_with(name, payload, Some("x-1.0-1.src.rpm"))
}

/// [`rpm`] with the SOURCERPM tag given (`None`: no such tag, which rpm
/// takes for a source package).
pub(crate) fn rpm_with(name: &str, payload: &[u8], source_rpm: Option<&str>) -> Vec<u8> {
    let mut out = vec![0u8; 96];
    out[..4].copy_from_slice(&[0xed, 0xab, 0xee, 0xdb]);
    out[4] = 3;
    out.extend_from_slice(&[0x8e, 0xad, 0xe8, 0x01, 0, 0, 0, 0]);
    out.extend_from_slice(&0u32.to_be_bytes());
    out.extend_from_slice(&0u32.to_be_bytes());
    let tags: Vec<(u32, &str)> = [
        (1000, Some(name)),
        (1001, Some("1.0")),
        (1002, Some("1")),
        (1022, Some("noarch")),
        (1044, source_rpm),
        (1124, Some("cpio")),
        (1125, Some("gzip")),
    ]
    .into_iter()
    .filter_map(|(tag, value)| Some((tag, value?)))
    .collect();
    let mut index = Vec::new();
    let mut data = Vec::new();
    for &(tag, value) in &tags {
        for v in [tag, 6, data.len() as u32, 1] {
            index.extend_from_slice(&v.to_be_bytes());
        }
        data.extend_from_slice(value.as_bytes());
        data.push(0);
    }
    out.extend_from_slice(&[0x8e, 0xad, 0xe8, 0x01, 0, 0, 0, 0]);
    out.extend_from_slice(&(tags.len() as u32).to_be_bytes());
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(&index);
    out.extend_from_slice(&data);
    out.extend_from_slice(payload);
    out
}

/// Runs `create` on a repo holding `files`, with DEST two levels inside
/// the temp dir, and asserts nothing exists outside DEST afterwards.
fn create(files: &[(&str, Vec<u8>)], extra: &[&str]) -> (Run, Dir) {
    let dir = Dir::new();
    for (name, bytes) in files {
        dir.write(&format!("repo/{name}"), bytes);
    }
    let before = listing(dir.path());
    let mut args = vec![
        "-q", "create", "a/b/venv", "-r", "repo", "-i", "none", "-e", "none", "-d", "none",
    ];
    args.extend_from_slice(extra);
    let run = dir.cmd().args(&args).run();
    let after: Vec<String> = listing(dir.path())
        .into_iter()
        .filter(|p| !p.starts_with("a/b/venv/") && !before.contains(p))
        .collect();
    assert!(
        after
            .iter()
            .all(|p| p == "a" || p == "a/b" || p == "a/b/venv"),
        "written outside DEST: {after:?}"
    );
    (run, dir)
}

/// Every path below `root`, relative, without following symlinks.
fn listing(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            out.push(p.strip_prefix(root).unwrap().to_string_lossy().into_owned());
            if e.file_type().unwrap().is_dir() {
                stack.push(p);
            }
        }
    }
    out.sort();
    out
}

fn assert_error(run: &Run, message: &str) {
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert_eq!(run.stderr, format!("venvjail: {message}\n"));
}

#[test]
fn dot_dot_escape() {
    let p = rpm(
        "evil",
        &gzip(&cpio(&[file("./usr/../../../../evil", b"x")])),
    );
    let (run, _) = create(&[("evil.rpm", p)], &[]);
    assert_error(
        &run,
        "evil: entry ./usr/../../../../evil escapes the destination",
    );
}

/// The warnings of a run, one per line, without the prefix.
fn warnings(run: &Run) -> Vec<&str> {
    run.stderr
        .lines()
        .filter_map(|l| l.strip_prefix("venvjail: warning: "))
        // The loader's PYTHONHOME note and the missing `none` lists.
        .filter(|l| !l.starts_with("lib/python3.") && !l.starts_with("none not found"))
        .collect()
}

/// DESIGN §6.4: an absolute entry lands under DEST, with one warning per
/// package naming the package and the entry, as GNU tar does.
#[test]
fn absolute_paths_land_inside_with_a_warning() {
    let p = rpm(
        "abs",
        &gzip(&cpio(&[
            file("/etc/abs.conf", b"x"),
            file("/etc/other.conf", b"y"),
            file("./etc/relative.conf", b"z"),
        ])),
    );
    let (run, dir) = create(&[("abs.rpm", p)], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(dir.read("a/b/venv/etc/abs.conf"), b"x");
    assert_eq!(dir.read("a/b/venv/etc/other.conf"), b"y");
    let run = dir
        .cmd()
        .args([
            "create", "v", "-r", "repo", "-i", "none", "-e", "none", "-d", "none",
        ])
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        warnings(&run),
        [
            "/etc/abs.conf: absolute entry of abs, extracted under DEST as etc/abs.conf \
          (leading / removed, as GNU tar does; said once per package)"
        ]
    );
}

/// DESIGN §6.4: a header without SOURCERPM is a source package for rpm;
/// it is skipped with a warning naming the file, and listed as excluded.
#[test]
fn a_package_without_sourcerpm_is_skipped_with_a_warning() {
    let source = rpm_with("nosrc", &gzip(&cpio(&[file("./nosrc", b"x")])), None);
    let binary = rpm("bin", &gzip(&cpio(&[file("./bin.txt", b"x")])));
    let dir = Dir::new();
    dir.write("repo/nosrc-1.0-1.src.rpm", &source);
    dir.write("repo/bin-1.0-1.noarch.rpm", &binary);
    let run = dir
        .cmd()
        .args([
            "create", "v", "-r", "repo", "-i", "none", "-e", "none", "-d", "none",
        ])
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        warnings(&run),
        ["nosrc-1.0-1.src.rpm: no SOURCERPM in its header, so it is a source package: skipped"]
    );
    assert!(!dir.path().join("v/nosrc").exists());
    assert!(dir.path().join("v/bin.txt").exists());
    let log = String::from_utf8(dir.read("v/packages.log")).unwrap();
    assert!(
        log.contains("# Excluded packages\nnosrc-1.0-1.src.rpm\n"),
        "{log}"
    );
}

#[test]
fn symlink_to_tmp_then_a_file_through_it() {
    let p = rpm(
        "evil",
        &gzip(&cpio(&[symlink("./srv", "/tmp"), file("./srv/evil", b"x")])),
    );
    let (run, _) = create(&[("evil.rpm", p)], &[]);
    assert_error(
        &run,
        "evil: entry ./srv/evil would be written outside the destination through the symlink srv",
    );
}

#[test]
fn symlink_chain_escaping_with_dot_dot() {
    let p = rpm(
        "evil",
        &gzip(&cpio(&[
            E {
                path: "./d",
                mode: DIR,
                data: b"",
                ino: 0,
                nlink: 2,
            },
            symlink("./d/up", ".."),
            symlink("./d/upup", "up/.."),
            file("./d/upup/../evil", b"x"),
            file("./d/upup/x/evil", b"x"),
        ])),
    );
    let (run, _) = create(&[("evil.rpm", p)], &[]);
    // `d/upup/../evil` normalises to `d/evil` (inside); `d/upup/x` climbs out.
    // Reported at the link that climbs out: `d/up -> ..`, reached through `d/upup`.
    assert_error(&run, "evil: entry ./d/upup/x/evil would be written outside the destination through the symlink d/up");
}

#[test]
fn hard_link_to_etc_passwd() {
    let p = rpm(
        "evil",
        &gzip(&cpio(&[
            E {
                path: "./passwd",
                mode: REG,
                data: b"",
                ino: 7,
                nlink: 2,
            },
            E {
                path: "/../../etc/passwd",
                mode: REG,
                data: b"root",
                ino: 7,
                nlink: 2,
            },
        ])),
    );
    let (run, _) = create(&[("evil.rpm", p)], &[]);
    assert_error(
        &run,
        "evil: entry /../../etc/passwd escapes the destination",
    );
}

#[test]
fn devices_and_fifos_are_skipped_with_a_warning() {
    let p = rpm(
        "dev",
        &gzip(&cpio(&[
            E {
                path: "./dev/null",
                mode: 0o020666,
                data: b"",
                ino: 0,
                nlink: 1,
            },
            E {
                path: "./run/fifo",
                mode: 0o010644,
                data: b"",
                ino: 0,
                nlink: 1,
            },
            file("./ok", b"ok"),
        ])),
    );
    let dir = Dir::new();
    dir.write("repo/dev.rpm", &p);
    let run = dir
        .cmd()
        .args([
            "create", "v", "-r", "repo", "-i", "none", "-e", "none", "-d", "none",
        ])
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run
        .stderr
        .contains("venvjail: warning: dev/null: skipped a device node, FIFO or socket from dev\n"));
    assert!(run
        .stderr
        .contains("venvjail: warning: run/fifo: skipped a device node, FIFO or socket from dev\n"));
    assert!(!dir.path().join("v/dev/null").exists());
}

#[test]
fn truncated_payload() {
    // Cut inside the first header, and inside a file's data (stored, so the
    // cut is exact).
    let full = gzip(&cpio(&[file("./big", &[7u8; 4096])]));
    let (run, _) = create(&[("cut.rpm", rpm("cut", &full[..full.len() / 2]))], &[]);
    assert_error(
        &run,
        "repo/cut.rpm: corrupt or truncated payload at the entry after the start of the payload: the payload ends here",
    );
    let mut stored = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::none());
    stored
        .write_all(&cpio(&[file("./big", &[7u8; 8192])]))
        .unwrap();
    let stored = stored.finish().unwrap();
    let (run, _) = create(&[("cut.rpm", rpm("cut", &stored[..4096]))], &[]);
    assert_error(
        &run,
        "repo/cut.rpm: corrupt or truncated payload at ./big: incomplete deflate stream",
    );
}

#[test]
fn header_claiming_a_huge_size() {
    let mut p = rpm("huge", &gzip(&cpio(&[])));
    // The main header's data size field (after lead 96 + signature 16 + magic 8 + count 4).
    p[96 + 16 + 12..96 + 16 + 16].copy_from_slice(&0xffff_fff0u32.to_be_bytes());
    let (run, _) = create(&[("huge.rpm", p)], &[]);
    assert_error(&run, "repo/huge.rpm: corrupt or truncated payload at main header: claims 7 tags and 4294967280 bytes, more than rpm allows");
}

#[test]
fn corrupt_compressed_stream() {
    let mut payload = gzip(&cpio(&[file("./f", &[1u8; 2048])]));
    let n = payload.len();
    for b in &mut payload[20..n - 8] {
        *b ^= 0x5a;
    }
    let (run, _) = create(&[("bad.rpm", rpm("bad", &payload))], &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(run.stderr.starts_with("venvjail: "), "{}", run.stderr);
}

#[test]
fn empty_file_and_text_file_named_rpm() {
    let (run, _) = create(&[("empty.rpm", Vec::new())], &[]);
    assert_error(
        &run,
        "repo/empty.rpm: not an RPM package: shorter than an RPM lead",
    );
    let (run, _) = create(&[("notes.rpm", b"just some text, long enough to look like something at all, really it is more than ninety-six bytes long".to_vec())], &[]);
    assert_error(
        &run,
        "repo/notes.rpm: not an RPM package: no RPM lead magic",
    );
    let good = rpm("good", &gzip(&cpio(&[file("./g", b"g")])));
    let dir = Dir::new();
    dir.write("repo/notes.rpm", "text");
    dir.write("repo/good.rpm", good);
    let run = dir
        .cmd()
        .args(["create", "v", "-r", "repo", "--skip-bad"])
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("venvjail: warning: repo/notes.rpm: not an RPM package: shorter than an RPM lead: skipped (--skip-bad)\n"),
        "{}",
        run.stderr
    );
    assert_eq!(dir.read("v/g"), b"g");
}

#[test]
fn no_packages_and_a_non_empty_dest() {
    let dir = Dir::new();
    std::fs::create_dir(dir.path().join("repo")).unwrap();
    let run = dir.cmd().args(["-q", "create", "v", "-r", "repo"]).run();
    assert_error(&run, "no packages (*.rpm, *.deb) in repo");
    dir.write("v/already", "x");
    dir.write("repo/g.rpm", rpm("g", &gzip(&cpio(&[file("./g", b"g")]))));
    let run = dir.cmd().args(["-q", "create", "v", "-r", "repo"]).run();
    assert_error(
        &run,
        "v exists and is not empty: give --force to extract over it",
    );
}

#[test]
fn unsupported_compressor() {
    let mut p = rpm("z", &gzip(&cpio(&[])));
    let at = p.windows(5).position(|w| w == b"gzip\0").unwrap();
    p[at..at + 4].copy_from_slice(b"lzip");
    let (run, _) = create(&[("z.rpm", p)], &[]);
    assert_error(&run, "repo/z.rpm: unsupported payload compressor 'lzip'");
}

/// A deb whose data.tar holds `../evil` (a tar built by hand: the `tar`
/// crate's builder refuses such names).
#[test]
fn deb_with_a_dot_dot_member() {
    fn tar_entry(name: &str, data: &[u8]) -> Vec<u8> {
        let mut h = [0u8; 512];
        h[..name.len()].copy_from_slice(name.as_bytes());
        h[100..107].copy_from_slice(b"0000644");
        h[108..115].copy_from_slice(b"0000000");
        h[116..123].copy_from_slice(b"0000000");
        h[124..135].copy_from_slice(format!("{:011o}", data.len()).as_bytes());
        h[136..147].copy_from_slice(b"14000000000");
        h[156] = b'0';
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
        h[148..156].copy_from_slice(b"        ");
        let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
        h[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
        let mut out = h.to_vec();
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(512) * 512, 0);
        out
    }
    fn ar_member(name: &str, data: &[u8]) -> Vec<u8> {
        let mut h = format!(
            "{name:<16}{:<12}{:<6}{:<6}{:<8}{:<10}`\n",
            0,
            0,
            0,
            "100644",
            data.len()
        )
        .into_bytes();
        h.extend_from_slice(data);
        if data.len() % 2 == 1 {
            h.push(b'\n');
        }
        h
    }
    let control = [
        tar_entry(
            "./control",
            b"Package: evil\nVersion: 1\nArchitecture: all\n",
        ),
        vec![0; 1024],
    ]
    .concat();
    let data = [tar_entry("../evil", b"x"), vec![0; 1024]].concat();
    let mut deb = b"!<arch>\n".to_vec();
    deb.extend(ar_member("debian-binary", b"2.0\n"));
    deb.extend(ar_member("control.tar.gz", &gzip(&control)));
    deb.extend(ar_member("data.tar.gz", &gzip(&data)));
    let (run, _) = create(&[("evil.deb", deb)], &[]);
    assert_error(&run, "evil: entry ../evil escapes the destination");
}

/// A package that breaks in the middle of the extraction leaves no half
/// venv: a DEST the run made is removed, an empty one is emptied again.
#[test]
fn a_failed_create_leaves_dest_as_it_was() {
    let ok = rpm("aaa", &gzip(&cpio(&[file("./usr/share/ok", b"ok")])));
    let full = gzip(&cpio(&[file("./big", &[7u8; 4096])]));
    let cut = rpm("cut", &full[..full.len() / 2]);
    let (run, dir) = create(&[("aaa.rpm", ok.clone()), ("cut.rpm", cut.clone())], &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(!dir.path().join("a/b/venv").exists());

    let dir = Dir::new();
    dir.write("repo/aaa.rpm", &ok);
    dir.write("repo/cut.rpm", &cut);
    std::fs::create_dir_all(dir.path().join("venv")).unwrap();
    let run = dir
        .cmd()
        .args([
            "-q", "create", "venv", "-r", "repo", "-i", "none", "-e", "none", "-d", "none",
        ])
        .run();
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(
        std::fs::read_dir(dir.path().join("venv")).unwrap().count(),
        0
    );
}
