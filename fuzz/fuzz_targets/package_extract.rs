//! Arbitrary bytes as an RPM or a deb, read and extracted into a fresh
//! DEST two levels inside a temp dir: no panic, and nothing written
//! outside DEST. Errors are expected; panics and escapes are findings.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use venvjail::create::extract::{ConflictPolicy, Extractor};
use venvjail::create::read_package;

fn outside(root: &Path, dest: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.starts_with(dest) || dest.starts_with(&p) {
                if dest.starts_with(&p) && p != dest {
                    stack.push(p);
                }
                continue;
            }
            if p.file_name().is_some_and(|n| n == "pkg") {
                continue;
            }
            found.push(p.display().to_string());
        }
    }
    found
}

fuzz_target!(|data: &[u8]| {
    let Ok(root) = tempfile::tempdir() else { return };
    let dest = root.path().join("a/b/dest");
    if std::fs::create_dir_all(&dest).is_err() {
        return;
    }
    // The first byte picks the container, so both readers get fuzzed.
    let (kind, body) = match data.split_first() {
        Some((k, rest)) => (*k, rest),
        None => return,
    };
    let mut bytes = Vec::new();
    if kind & 1 == 1 && !body.starts_with(b"!<arch>\n") {
        bytes.extend_from_slice(b"!<arch>\n");
    }
    bytes.extend_from_slice(body);
    let pkg = root.path().join("pkg");
    if std::fs::write(&pkg, &bytes).is_err() {
        return;
    }
    let Ok(mut x) = Extractor::new(&dest, ConflictPolicy::Warn) else { return };
    let _ = read_package(&pkg, &mut |info, entry| {
        let _ = x.extract(&info.name, entry);
        Ok(())
    });
    let _ = x.finish();
    let escaped = outside(root.path(), &dest);
    assert!(escaped.is_empty(), "written outside DEST: {escaped:?}");
});
