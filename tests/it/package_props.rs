//! Property tests of package reading and extraction: arbitrary bytes and
//! mutations of valid packages, as RPM and as deb, never panic and never
//! write outside DEST.

use std::path::Path;

use proptest::prelude::*;
use venvjail::create::extract::{ConflictPolicy, Extractor};
use venvjail::create::read_package;

use crate::malicious::{cpio, file, gzip, rpm};

/// Reads and extracts `bytes` into DEST two levels inside a temp dir;
/// returns what was written outside DEST (must be nothing).
fn extract(bytes: &[u8]) -> Vec<String> {
    let root = tempfile::tempdir().unwrap();
    let dest = root.path().join("a/b/dest");
    std::fs::create_dir_all(&dest).unwrap();
    let pkg = root.path().join("pkg");
    std::fs::write(&pkg, bytes).unwrap();
    let mut x = Extractor::new(&dest, ConflictPolicy::Warn).unwrap();
    let _ = read_package(&pkg, &mut |info, entry| {
        let _ = x.extract(&info.name, entry);
        Ok(())
    });
    let _ = x.finish();
    outside(root.path(), &dest)
}

fn outside(root: &Path, dest: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.starts_with(dest) || p.file_name().is_some_and(|n| n == "pkg") {
                continue;
            }
            if dest.starts_with(&p) {
                stack.push(p);
                continue;
            }
            found.push(p.display().to_string());
        }
    }
    found
}

/// A valid RPM with nasty but legal-looking entries, to mutate.
fn seed_rpm() -> Vec<u8> {
    rpm(
        "seed",
        &gzip(&cpio(&[
            file("./usr/bin/tool", b"#!/bin/sh\necho hi\n"),
            file(
                "./usr/lib/python3.11/site-packages/x/__init__.py",
                b"x = 1\n",
            ),
            file("./etc/../etc/conf", b"k=v\n"),
        ])),
    )
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Insert(usize, Vec<u8>),
    Delete(usize, usize),
    Truncate(usize),
}

fn mutate(mut bytes: Vec<u8>, muts: &[Mutation]) -> Vec<u8> {
    for m in muts {
        let n = bytes.len().max(1);
        match m {
            Mutation::Flip(i, b) => {
                let i = i % n;
                if let Some(x) = bytes.get_mut(i) {
                    *x ^= b | 1;
                }
            }
            Mutation::Insert(i, v) => {
                let i = i % (bytes.len() + 1);
                bytes.splice(i..i, v.iter().copied());
            }
            Mutation::Delete(i, k) => {
                let i = i % n;
                let end = (i + k).min(bytes.len());
                if i < end {
                    bytes.drain(i..end);
                }
            }
            Mutation::Truncate(i) => bytes.truncate(i % n),
        }
    }
    bytes
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(i, v)| Mutation::Insert(i, v)),
        (any::<usize>(), 1usize..64).prop_map(|(i, k)| Mutation::Delete(i, k)),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_as_rpm_and_deb(body in prop::collection::vec(any::<u8>(), 0..2048), deb in any::<bool>()) {
        let mut bytes = if deb { b"!<arch>\n".to_vec() } else { vec![0xed, 0xab, 0xee, 0xdb] };
        bytes.extend_from_slice(&body);
        prop_assert_eq!(extract(&bytes), Vec::<String>::new());
    }

    #[test]
    fn mutated_rpms(muts in prop::collection::vec(mutation(), 1..6)) {
        let bytes = mutate(seed_rpm(), &muts);
        prop_assert_eq!(extract(&bytes), Vec::<String>::new());
    }
}

#[test]
fn the_seed_extracts_cleanly() {
    assert!(extract(&seed_rpm()).is_empty());
}
