//! `verify DEST --build-root PATH`: planted build roots in text, ELF-like
//! and `.pyc` files and symlink targets; a clean tree; a real venv before
//! relocation; the errors.

use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use venvjail::create::verify::CHUNK_SIZE;

use crate::util::{Dir, Run, TestCommand};

fn verify(dest: &Path, build_root: impl AsRef<std::ffi::OsStr>, extra: &[&str]) -> Run {
    TestCommand::new()
        .arg("verify")
        .arg_path(dest)
        .arg("--build-root")
        .arg(build_root)
        .args(extra)
        .run()
}

/// The temp dir without symlinks in its path, so the build root has one
/// spelling and the summary line is predictable.
fn base(dir: &Dir) -> PathBuf {
    fs::canonicalize(dir.path()).unwrap()
}

fn write(path: &Path, contents: impl AsRef<[u8]>) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, contents).unwrap();
}

/// A text file larger than a chunk, with the build root once near the
/// start and once across the first chunk border.
fn text_with_root_across_the_border(root: &str) -> Vec<u8> {
    let mut text = format!("VIRTUAL_ENV={root}\n").into_bytes();
    text.resize(CHUNK_SIZE - 5, b'#');
    text.extend_from_slice(root.as_bytes());
    text.resize(CHUNK_SIZE * 2 + 100, b'#');
    text
}

/// Bytes shaped like an ELF shared object with the build root as a
/// NUL-terminated RUNPATH-like string among NULs.
fn elf_with_root(root: &str) -> Vec<u8> {
    let mut elf = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x03\0\x3e\0".to_vec();
    elf.resize(300, 0);
    elf.extend_from_slice(format!("{root}/lib\0").as_bytes());
    elf.resize(700, 0);
    elf
}

/// Compiles `module` with the real `python3 -m py_compile` and returns the
/// `.pyc` path relative to `dest`.
fn py_compile(dest: &Path, module: &str) -> String {
    let run = Command::new("python3")
        .args(["-m", "py_compile"])
        .arg(dest.join(module))
        .output()
        .expect("run python3");
    assert!(run.status.success(), "{run:?}");
    let cache = dest
        .join(Path::new(module).parent().unwrap())
        .join("__pycache__");
    let pyc = fs::read_dir(&cache)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    pyc.strip_prefix(dest).unwrap().to_str().unwrap().to_owned()
}

fn count(hay: &[u8], needle: &str) -> usize {
    hay.windows(needle.len())
        .filter(|w| *w == needle.as_bytes())
        .count()
}

#[test]
fn finds_the_build_root_in_text_elf_pyc_and_symlinks() {
    let dir = Dir::new();
    let dest = base(&dir).join("dest");
    let root = dest.to_str().unwrap();
    write(
        &dest.join("lib/big.txt"),
        text_with_root_across_the_border(root),
    );
    write(&dest.join("lib/_native.so"), elf_with_root(root));
    write(
        &dest.join("lib/mod.py"),
        format!(
            "DATA = {:?}\n\ndef where():\n    return DATA\n",
            format!("{root}/share")
        ),
    );
    // co_filename holds the build root: the module is compiled where it lies.
    let pyc = py_compile(&dest, "lib/mod.py");
    // The string constant and co_filename (shared by both code objects).
    assert_eq!(count(&fs::read(dest.join(&pyc)).unwrap(), root), 2);
    fs::create_dir_all(dest.join("bin")).unwrap();
    symlink(dest.join("lib/mod.py"), dest.join("bin/link")).unwrap();
    symlink("../lib/mod.py", dest.join("bin/relative-link")).unwrap();
    write(&dest.join("clean.txt"), "nothing to see\n");

    let run = verify(&dest, root, &[]);
    assert_eq!(
        run.stdout,
        format!(
            "bin/link: 1 occurrence (symlink target)
{pyc}: 2 occurrences
lib/_native.so: 1 occurrence
lib/big.txt: 2 occurrences
lib/mod.py: 1 occurrence
venvjail verify: 5 files with 7 occurrences of {root}
"
        )
    );
    assert_eq!(run.stderr, "");
    assert_eq!(run.code, 1);

    // A trailing slash on the build root changes nothing.
    let slash = verify(&dest, format!("{root}/"), &[]);
    assert_eq!((slash.code, slash.stdout), (1, run.stdout));
}

#[test]
fn json_format() {
    let dir = Dir::new();
    let dest = base(&dir).join("dest");
    let root = dest.to_str().unwrap();
    write(
        &dest.join("pyvenv.cfg"),
        format!("command = python3 -m venv {root}\n"),
    );
    write(&dest.join("README"), "clean\n");
    let run = verify(&dest, root, &["--format", "json"]);
    assert_eq!(
        run.stdout,
        format!(
            r#"{{
  "build_root": [
    "{root}"
  ],
  "scanned": 2,
  "occurrences": 1,
  "files": [
    {{
      "path": "pyvenv.cfg",
      "occurrences": 1,
      "symlink": false
    }}
  ]
}}
"#
        )
    );
    assert_eq!((run.code, run.stderr.as_str()), (1, ""));
}

#[test]
fn clean_tree_exits_0() {
    let dir = Dir::new();
    let dest = base(&dir).join("dest");
    let root = dest.to_str().unwrap();
    write(&dest.join("bin/activate"), "VIRTUAL_ENV=/opt/venv/dest\n");
    write(
        &dest.join("lib/_native.so"),
        elf_with_root("/opt/venv/dest"),
    );
    // Almost the build root, cut by a chunk border: no match.
    let mut near = vec![b' '; CHUNK_SIZE - 3];
    near.extend_from_slice(&root.as_bytes()[..root.len() - 1]);
    write(&dest.join("lib/near"), near);
    symlink("../lib/_native.so", dest.join("bin/link")).unwrap();
    fs::create_dir_all(dest.join("empty")).unwrap();
    let run = verify(&dest, root, &[]);
    assert_eq!(
        run.stdout,
        format!("venvjail verify: no occurrence of {root} in 4 files\n")
    );
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
}

#[test]
fn symlinks_are_not_followed_out_of_dest_and_fifos_are_skipped() {
    let dir = Dir::new();
    let base = base(&dir);
    let dest = base.join("dest");
    let root = dest.to_str().unwrap();
    write(&base.join("outside/leak.txt"), root);
    write(&dest.join("lib/ok.txt"), "ok\n");
    symlink("../../outside", dest.join("lib/outside")).unwrap();
    let mkfifo = Command::new("mkfifo")
        .arg(dest.join("lib/fifo"))
        .status()
        .unwrap();
    assert!(mkfifo.success());
    let run = verify(&dest, root, &[]);
    assert_eq!(
        run.stdout,
        format!("venvjail verify: no occurrence of {root} in 2 files\n")
    );
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
}

#[test]
fn a_symlinked_build_root_is_searched_under_both_names() {
    let dir = Dir::new();
    let base = base(&dir);
    fs::create_dir_all(base.join("real/dest")).unwrap();
    symlink("real", base.join("link")).unwrap();
    let via_link = base.join("link/dest");
    let real = base.join("real/dest");
    let (via_link, real) = (via_link.to_str().unwrap(), real.to_str().unwrap());
    write(&base.join("real/dest/a"), format!("{via_link}\n{real}\n"));
    write(&base.join("real/dest/b"), format!("{real}/bin/python\n"));
    let run = verify(Path::new(via_link), via_link, &[]);
    assert_eq!(
        run.stdout,
        format!(
            "a: 2 occurrences
b: 1 occurrence
venvjail verify: 2 files with 3 occurrences of {via_link} or {real}
"
        )
    );
    assert_eq!((run.code, run.stderr.as_str()), (1, ""));
}

#[test]
fn a_real_venv_before_relocation() {
    let version = Command::new("python3")
        .args(["-c", "import sys; print('%d.%d' % sys.version_info[:2])"])
        .output()
        .expect("run python3");
    let version = String::from_utf8_lossy(&version.stdout).trim().to_owned();
    if version != "3.11" {
        eprintln!("skipped: the list of leftovers is asserted for python 3.11, this is {version}");
        return;
    }
    let dir = Dir::new();
    let dest = base(&dir).join("venv");
    let root = dest.to_str().unwrap();
    let venv = Command::new("python3")
        .args(["-m", "venv", "--copies", "--without-pip"])
        .arg(&dest)
        .output()
        .unwrap();
    assert!(venv.status.success(), "{venv:?}");
    // What relocation must fix: the activators' VIRTUAL_ENV and pyvenv.cfg's
    // `command =`. The copied interpreter and lib64 -> lib are clean.
    let run = verify(&dest, root, &[]);
    assert_eq!(
        run.stdout,
        format!(
            "bin/activate: 1 occurrence
bin/activate.csh: 1 occurrence
bin/activate.fish: 1 occurrence
pyvenv.cfg: 1 occurrence
venvjail verify: 4 files with 4 occurrences of {root}
"
        )
    );
    assert_eq!((run.code, run.stderr.as_str()), (1, ""));
}

#[test]
fn missing_dest_is_an_error() {
    let dir = Dir::new();
    let dest = base(&dir).join("nope");
    let run = verify(&dest, dest.to_str().unwrap(), &[]);
    assert_eq!(
        run.stderr,
        format!(
            "venvjail: cannot read directory {}: no such file or directory\n",
            dest.display()
        )
    );
    assert_eq!((run.code, run.stdout.as_str()), (2, ""));
}

#[test]
fn dest_that_is_a_file_is_an_error() {
    let dir = Dir::new();
    let file = base(&dir).join("file");
    write(&file, "x");
    let run = verify(&file, "/build/root", &[]);
    assert_eq!(
        run.stderr,
        format!("venvjail: {} is not a directory\n", file.display())
    );
    assert_eq!((run.code, run.stdout.as_str()), (2, ""));
}

#[test]
fn build_root_that_matches_everything_is_an_error() {
    let dir = Dir::new();
    for (root, message) in [
        ("/", "the build root \"/\" would match every file"),
        ("//", "the build root \"//\" would match every file"),
        // clap refuses an empty path before venvjail sees it.
        (
            "",
            "a value is required for '--build-root <PATH>' but none was supplied",
        ),
        (
            "build/root",
            "the build root build/root is not an absolute path",
        ),
    ] {
        let run = verify(dir.path(), root, &[]);
        assert_eq!(run.stderr, format!("venvjail: {message}\n"), "{root:?}");
        assert_eq!((run.code, run.stdout.as_str()), (2, ""), "{root:?}");
    }
}

#[test]
fn unreadable_file_is_an_error_naming_it() {
    let dir = Dir::new();
    let dest = base(&dir).join("dest");
    let secret = dest.join("secret");
    write(&secret, "x");
    fs::set_permissions(&secret, fs::Permissions::from_mode(0o000)).unwrap();
    if fs::File::open(&secret).is_ok() {
        eprintln!("skipped: running with privileges that read mode 000 files");
        return;
    }
    let run = verify(&dest, dest.to_str().unwrap(), &[]);
    assert_eq!(
        run.stderr,
        format!(
            "venvjail: cannot read {}: permission denied\n",
            secret.display()
        )
    );
    assert_eq!((run.code, run.stdout.as_str()), (2, ""));
}

/// The build root counts only where it ends a path component:
/// `/build/venv` is not found in `/build/venv2` or `/build/venv-old`, and
/// is found before `/`, a quote, NUL, `:` or the end of the file.
#[test]
fn build_root_matches_only_at_the_end_of_a_path_component() {
    let dir = Dir::new();
    let dest = base(&dir).join("venv");
    write(
        &dest.join("other-roots.txt"),
        "/build/venv2/bin /build/venv-old /build/venv.bak /build/venvx\n",
    );
    write(
        &dest.join("real.txt"),
        "/build/venv/bin '/build/venv' /build/venv\0PATH=/build/venv:/usr/bin\n/build/venv",
    );
    let run = verify(&dest, "/build/venv", &[]);
    assert_eq!(
        (run.code, run.stdout.as_str(), run.stderr.as_str()),
        (
            1,
            "real.txt: 5 occurrences\nvenvjail verify: 1 file with 5 occurrences of /build/venv\n",
            ""
        )
    );
}
