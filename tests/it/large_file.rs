//! rpm's large-file packages: a file of 4 GiB or more makes rpmbuild (≥
//! 4.12) add `rpmlib(LargeFiles)` and write the payload as "stripped" cpio
//! (`07070X` + the file's index in the header), which `rpm2cpio | cpio`
//! cannot extract at all. `venvjail create` reads such a package built by
//! the real rpmbuild, and the tree it makes is checked against the file
//! list librpm reports (`rpm -qp --qf`): types, modes, sizes, mtimes,
//! symlink targets, hard links, and content.
//!
//! The 4 GiB file is sparse on the build side and, being zeros, written as
//! holes by venvjail, so the test needs neither 4 GiB of disk nor of RAM.

use std::fs;
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Command;

use crate::packages::{have_tools, run};

/// Over `u32::MAX`: rpm must use LONGFILESIZES and the stripped payload.
const BIG: u64 = (4 << 30) + 100;
const TAIL: &[u8] = b"tail";

/// The `%install` stage: a sparse 4 GiB file ending in "tail", a small
/// file with a hard link, a symlink, an executable in a 0750 directory.
fn stage(root: &Path) {
    let big = root.join("opt/big");
    fs::create_dir_all(big.join("bin")).unwrap();
    let mut f = fs::File::create(big.join("zeros")).unwrap();
    f.seek(SeekFrom::Start(BIG - TAIL.len() as u64)).unwrap();
    f.write_all(TAIL).unwrap();
    drop(f);
    fs::write(big.join("small"), "small\n").unwrap();
    fs::hard_link(big.join("small"), big.join("small-link")).unwrap();
    symlink("small", big.join("sym")).unwrap();
    fs::write(big.join("bin/tool"), "#!/bin/sh\necho tool\n").unwrap();
    fs::set_permissions(big.join("bin/tool"), fs::Permissions::from_mode(0o755)).unwrap();
    fs::set_permissions(big.join("bin"), fs::Permissions::from_mode(0o750)).unwrap();
}

fn rpmbuild(work: &Path, stage: &Path) -> std::path::PathBuf {
    let top = work.join("top");
    fs::create_dir_all(&top).unwrap();
    let spec = top.join("bigfile.spec");
    fs::write(
        &spec,
        format!(
            "Name: bigfile\nVersion: 1.0\nRelease: 1\nSummary: a file over 4 GiB\nLicense: MIT\n\
             BuildArch: noarch\n\n%description\nbig\n\n%install\ncp -a --sparse=always '{}/.' '%{{buildroot}}/'\n\n\
             %files\n%defattr(-,root,root)\n/opt/big\n",
            stage.display()
        ),
    )
    .unwrap();
    let define = |k: &str, v: &str| ["--define".to_owned(), format!("{k} {v}")];
    run(Command::new("rpmbuild")
        .args(["-bb", "--nodeps", "--quiet"])
        .args(define("_topdir", &top.display().to_string()))
        .args(define("_binary_payload", "w1.zstdio"))
        .args(define("_build_id_links", "none"))
        .args(define("debug_package", "%{nil}"))
        .args(define("__spec_install_post", "%{nil}"))
        .args(define("__os_install_post", "%{nil}"))
        .arg(&spec)
        .env("HOME", &top));
    top.join("RPMS/noarch/bigfile-1.0-1.noarch.rpm")
}

/// True when `path` holds `len` bytes: zeros, then [`TAIL`].
fn zeros_then_tail(path: &Path, len: u64) -> bool {
    let mut f = fs::File::open(path).unwrap();
    let zeros = vec![0u8; 1 << 20];
    let mut buf = vec![0u8; 1 << 20];
    let mut left = len - TAIL.len() as u64;
    while left > 0 {
        let n = left.min(buf.len() as u64) as usize;
        f.read_exact(&mut buf[..n]).unwrap();
        if buf[..n] != zeros[..n] {
            return false;
        }
        left -= n as u64;
    }
    let mut tail = Vec::new();
    f.read_to_end(&mut tail).unwrap();
    tail == TAIL
}

#[test]
fn large_file_rpm_is_extracted_as_librpm_lists_it() {
    if !have_tools(
        "large_file_rpm_is_extracted_as_librpm_lists_it",
        &["rpmbuild", "rpm", "python3"],
    ) {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let stage_dir = work.path().join("stage");
    stage(&stage_dir);
    let rpm = rpmbuild(work.path(), &stage_dir);
    let query = |qf: &str| {
        run(Command::new("rpm")
            .args(["-qp", "--qf", qf])
            .arg(&rpm)
            .env("HOME", work.path()))
    };
    assert!(
        run(Command::new("rpm")
            .args(["-qp", "--requires"])
            .arg(&rpm)
            .env("HOME", work.path()))
        .contains("rpmlib(LargeFiles)"),
        "rpmbuild did not make a large-file package"
    );

    let repo = work.path().join("repo");
    fs::create_dir(&repo).unwrap();
    fs::copy(&rpm, repo.join("bigfile-1.0-1.noarch.rpm")).unwrap();
    let dest = work.path().join("venv");
    let out = Command::new(env!("CARGO_BIN_EXE_venvjail"))
        .arg("create")
        .arg(&dest)
        .arg("-r")
        .arg(&repo)
        .args(["-i", "none", "-e", "none", "-d", "none"])
        .current_dir(work.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "venvjail: 1 packages included, 0 excluded, 4 files, 4294967422 bytes, 0 conflicts\n"
    );

    // librpm's file list, entry by entry, against the tree.
    let listing = query("[%{FILENAMES}\\t%{FILEMODES:octal}\\t%{LONGFILESIZES}\\t%{FILEMTIMES}\\t%{FILELINKTOS}\\n]");
    let mut checked = 0;
    for line in listing.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        let (path, mode, size, mtime, link) = (f[0], f[1], f[2], f[3], f[4]);
        let mode = u32::from_str_radix(mode, 8).unwrap();
        let here = dest.join(path.trim_start_matches('/'));
        let md = fs::symlink_metadata(&here).unwrap_or_else(|e| panic!("{path}: {e}"));
        match mode & 0o170000 {
            0o120000 => {
                assert_eq!(fs::read_link(&here).unwrap().to_str(), Some(link), "{path}");
            }
            0o040000 => {
                assert!(md.is_dir(), "{path}");
                assert_eq!(md.mode() & 0o7777, mode & 0o7777, "{path}");
            }
            _ => {
                assert!(md.is_file(), "{path}");
                assert_eq!(md.mode() & 0o7777, mode & 0o7777, "{path}");
                assert_eq!(md.len().to_string(), size, "{path}");
                assert_eq!(md.mtime().to_string(), mtime, "{path}");
            }
        }
        checked += 1;
    }
    assert_eq!(checked, 7, "{listing}");

    let big = dest.join("opt/big");
    assert_eq!(fs::read(big.join("small")).unwrap(), b"small\n");
    let (a, b) = (
        fs::metadata(big.join("small")).unwrap(),
        fs::metadata(big.join("small-link")).unwrap(),
    );
    assert_eq!(
        (a.ino(), a.nlink()),
        (b.ino(), 2),
        "small-link is a hard link"
    );
    assert_eq!(
        fs::read(big.join("bin/tool")).unwrap(),
        b"#!/bin/sh\necho tool\n"
    );
    let zeros = fs::metadata(big.join("zeros")).unwrap();
    assert_eq!(zeros.len(), BIG);
    assert!(
        zeros.blocks() * 512 < 1 << 20,
        "the zeros are holes: {} blocks",
        zeros.blocks()
    );
    assert!(zeros_then_tail(&big.join("zeros"), BIG));
}
