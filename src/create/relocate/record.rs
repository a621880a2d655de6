//! What relocation changed, told to Python's own bookkeeping.
//!
//! - Stale bytecode: for every `.py` relocation rewrote (a module with a
//!   shebang), its `__pycache__/NAME.*.pyc` (and a legacy `NAMEc` beside
//!   it) is removed, not recompiled: a pyc compiled here would record the
//!   build path as its file name, and one left behind no longer matches
//!   its source's size. Python compiles the module when it is imported.
//! - `*.dist-info/RECORD`: each entry of a file relocation changed gets
//!   the new `sha256=` (urlsafe base64 without padding) and size; entries
//!   of removed files are dropped. Every other byte stays.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use base64::Engine;
use sha2::{Digest, Sha256};

use super::{rewrite, RelocateError, Relocation, Report};
use crate::create::tree::{self, Kind, Node};

/// Removes stale bytecode and updates RECORD files; returns how many
/// files it removed or rewrote.
pub fn fix(r: &Relocation, nodes: &[Node], report: &mut Report) -> Result<usize, RelocateError> {
    let mut done = 0;
    let changed_py: Vec<String> = report
        .changed
        .iter()
        .filter(|p| p.ends_with(".py"))
        .cloned()
        .collect();
    for py in changed_py {
        for stale in stale_bytecode(&r.dest, Path::new(&py))? {
            let path = r.dest.join(&stale);
            std::fs::remove_file(&path).map_err(|e| RelocateError::io(&path, &e))?;
            report.removed.insert(stale.to_string_lossy().into_owned());
            done += 1;
        }
    }
    if report.changed.is_empty() && report.removed.is_empty() {
        return Ok(done);
    }
    for node in nodes {
        let is_record = node.kind == Kind::File
            && node.rel.file_name().is_some_and(|n| n == "RECORD")
            && node
                .rel
                .parent()
                .and_then(|p| p.file_name())
                .is_some_and(|n| n.to_string_lossy().ends_with(".dist-info"));
        if !is_record {
            continue;
        }
        let path = r.dest.join(&node.rel);
        let text = std::fs::read_to_string(&path).map_err(|e| RelocateError::io(&path, &e))?;
        let site = node
            .rel
            .parent()
            .and_then(Path::parent)
            .unwrap_or(Path::new(""));
        let new = record(&text, |entry| {
            let rel = canonical(&r.dest, &tree::join_inside(site, Path::new(entry))?)?;
            let key = rel.to_string_lossy().into_owned();
            if report.removed.contains(&key) {
                Some(None)
            } else if report.changed.contains(&key) {
                let data = std::fs::read(r.dest.join(&rel)).ok()?;
                Some(Some(hash(&data)))
            } else {
                None
            }
        });
        if new != text {
            rewrite(&path, new.as_bytes(), None)?;
            done += 1;
        }
    }
    Ok(done)
}

/// The bytecode files of `py` (relative to DEST) that exist.
fn stale_bytecode(dest: &Path, py: &Path) -> Result<Vec<PathBuf>, RelocateError> {
    let (Some(dir), Some(stem)) = (py.parent(), py.file_stem()) else {
        return Ok(Vec::new());
    };
    let stem = stem.to_string_lossy();
    let mut out = Vec::new();
    let cache = dest.join(dir).join("__pycache__");
    if let Ok(entries) = std::fs::read_dir(&cache) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let ours = name
                .strip_prefix(&*stem)
                .and_then(|rest| rest.strip_prefix('.'))
                .is_some_and(|rest| {
                    rest.ends_with(".pyc") && !rest[..rest.len() - 4].contains('/')
                });
            if ours && e.file_type().is_ok_and(|t| t.is_file()) {
                out.push(dir.join("__pycache__").join(name));
            }
        }
    }
    for legacy in ["c", "o"] {
        let p = PathBuf::from(format!("{}{legacy}", py.display()));
        if std::fs::symlink_metadata(dest.join(&p)).is_ok_and(|m| m.is_file()) {
            out.push(p);
        }
    }
    out.sort();
    Ok(out)
}

/// `path` with its directory resolved inside DEST (the file itself may be gone).
fn canonical(dest: &Path, path: &Path) -> Option<PathBuf> {
    let name = path.file_name()?;
    let dir = tree::resolve_inside(dest, path.parent().unwrap_or(Path::new("")))?;
    Some(dir.join(name))
}

/// `sha256=<urlsafe base64 without padding>` and the size of `data`.
pub fn hash(data: &[u8]) -> (String, usize) {
    let digest = Sha256::digest(data);
    (
        format!(
            "sha256={}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest)
        ),
        data.len(),
    )
}

/// A RECORD with the entries `update` answers for replaced: `Some(None)`
/// drops the line, `Some(Some((hash, size)))` rewrites its hash and size,
/// `None` keeps it.
pub fn record(
    text: &str,
    mut update: impl FnMut(&str) -> Option<Option<(String, usize)>>,
) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        let ending = &line[body.len()..];
        let Some((field, entry)) = first_field(body) else {
            out.push_str(line);
            continue;
        };
        match update(&entry) {
            None => out.push_str(line),
            Some(None) => {}
            Some(Some((hash, size))) => {
                out.push_str(field);
                out.push_str(&format!(",{hash},{size}"));
                out.push_str(ending);
            }
        }
    }
    out
}

/// The first CSV field of a RECORD line as written, and its value.
fn first_field(line: &str) -> Option<(&str, String)> {
    if let Some(rest) = line.strip_prefix('"') {
        let mut value = String::new();
        let mut chars = rest.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if c == '"' {
                if chars.peek().map(|(_, n)| *n) == Some('"') {
                    value.push('"');
                    chars.next();
                    continue;
                }
                return Some((&line[..i + 2], value));
            }
            value.push(c);
        }
        None
    } else {
        let end = line.find(',')?;
        Some((&line[..end], line[..end].to_owned()))
    }
}

/// For the tests: the set of entries of a RECORD text.
pub fn entries(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter_map(|l| first_field(l).map(|(_, v)| v))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_pips() {
        // pip's RECORD for an empty file.
        assert_eq!(
            hash(b""),
            (
                "sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU".into(),
                0
            )
        );
    }

    #[test]
    fn only_the_entries_asked_for_change() {
        let text = "../../../bin/tool,sha256=old,10\r\n\"a,b.py\",sha256=x,1\nfoo/__pycache__/m.cpython-311.pyc,,\nfoo/m.py,sha256=y,2\nfoo-1.0.dist-info/RECORD,,\n";
        let got = record(text, |e| match e {
            "../../../bin/tool" => Some(Some(("sha256=new".into(), 42))),
            "a,b.py" => Some(Some(("sha256=q".into(), 3))),
            "foo/__pycache__/m.cpython-311.pyc" => Some(None),
            _ => None,
        });
        assert_eq!(got, "../../../bin/tool,sha256=new,42\r\n\"a,b.py\",sha256=q,3\nfoo/m.py,sha256=y,2\nfoo-1.0.dist-info/RECORD,,\n");
    }
}
