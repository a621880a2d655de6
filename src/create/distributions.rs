//! The Python distributions in a venv, for the SBOM: every
//! `*.dist-info/METADATA`, `*.egg-info/PKG-INFO` and single-file
//! `*.egg-info`, with the `Name` and `Version` of its headers and the
//! package that wrote it.
//!
//! The walk never follows a symlink (`usr/lib -> ../lib` would list every
//! distribution twice, and a link could lead out of DEST) and never reads a
//! metadata file that is a symlink. Which package wrote a metadata file is
//! what the extractor recorded for its path; the stored path and the path on
//! disk differ when the package installed through the venv's own links
//! (`/usr/lib/python3.11/…` lands in `lib/python3.11/…`), so both sides are
//! compared after resolving them inside DEST.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::tree::{self, Kind};
use crate::error::Error;

/// A Python distribution found in the venv.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Distribution {
    /// `Name` from the metadata.
    pub name: String,
    /// `Version` from the metadata (empty when absent).
    pub version: String,
    /// `License-Expression` from the metadata (core metadata 2.4), if any.
    pub license_expression: Option<String>,
    /// The `.dist-info` / `.egg-info` path, relative to DEST.
    pub path: String,
    /// The package that wrote the metadata file, when one did.
    pub package: Option<String>,
}

/// Finds every distribution under `dest`, sorted by path; `owners` is the
/// extractor's (stored path, package) record. Returns the distributions
/// and a warning per metadata file that names no distribution.
pub fn find<'a>(
    dest: &Path,
    owners: impl Iterator<Item = (&'a str, &'a str)>,
) -> Result<(Vec<Distribution>, Vec<String>), Error> {
    let found = metadata_files(dest)?;
    let root = dest.canonicalize().map_err(|e| Error::read(dest, e))?;
    // Only the owners of metadata files are resolved: a venv has tens of
    // thousands of paths and a handful of distributions.
    let mut writers: HashMap<PathBuf, &str> = HashMap::new();
    for (stored, package) in owners {
        if is_metadata_name(stored) {
            if let Ok(real) = root.join(stored).canonicalize() {
                writers.insert(real, package);
            }
        }
    }
    let mut out = Vec::new();
    let mut warnings = Vec::new();
    for found in found {
        let file = dest.join(&found.metadata);
        let bytes = std::fs::read(&file).map_err(|e| Error::read(&file, e))?;
        let text = String::from_utf8_lossy(&bytes);
        let headers = Headers::parse(&text);
        let (dir_name, dir_version) = name_from_path(&found.dist);
        let name = headers.get("Name").unwrap_or(dir_name);
        if name.is_empty() {
            warnings.push(format!(
                "{}: no Name in the metadata: not listed in the SBOM",
                found.metadata
            ));
            continue;
        }
        let package = file
            .canonicalize()
            .ok()
            .and_then(|real| writers.get(&real))
            .map(|p| (*p).to_owned());
        out.push(Distribution {
            name: name.to_owned(),
            version: headers.get("Version").unwrap_or(dir_version).to_owned(),
            license_expression: headers.get("License-Expression").map(str::to_owned),
            path: found.dist,
            package,
        });
    }
    Ok((out, warnings))
}

/// A distribution's directory (or single egg-info file) and its metadata
/// file, both relative to DEST.
struct Found {
    dist: String,
    metadata: String,
}

/// True for a stored path that can be a metadata file.
fn is_metadata_name(stored: &str) -> bool {
    let mut parts = stored.rsplit('/');
    let file = parts.next().unwrap_or_default();
    let dir = parts.next().unwrap_or_default();
    (file == "METADATA" && dir.ends_with(".dist-info"))
        || (file == "PKG-INFO" && dir.ends_with(".egg-info"))
        || file.ends_with(".egg-info")
}

/// The metadata files of DEST's tree (listed without following symlinks):
/// `*.dist-info/METADATA`, `*.egg-info/PKG-INFO`, and `*.egg-info` files;
/// sorted by distribution path.
fn metadata_files(dest: &Path) -> Result<Vec<Found>, Error> {
    let mut out = Vec::new();
    for node in tree::walk(dest, dest)? {
        if node.kind != Kind::File {
            continue;
        }
        let path = node.rel.to_string_lossy().into_owned();
        let (dir, name) = path.rsplit_once('/').unwrap_or(("", path.as_str()));
        let in_dist = (name == "METADATA" && dir.ends_with(".dist-info"))
            || (name == "PKG-INFO" && dir.ends_with(".egg-info"));
        if in_dist {
            out.push(Found {
                dist: dir.to_owned(),
                metadata: path.clone(),
            });
        } else if name.ends_with(".egg-info") {
            out.push(Found {
                dist: path.clone(),
                metadata: path.clone(),
            });
        }
    }
    out.sort_by(|a, b| a.dist.cmp(&b.dist));
    Ok(out)
}

/// Name and version from `NAME-VERSION[-…].dist-info` / `.egg-info`, the
/// fallback for metadata without those headers.
fn name_from_path(dist: &str) -> (&str, &str) {
    let base = dist.rsplit('/').next().unwrap_or(dist);
    let stem = base
        .strip_suffix(".dist-info")
        .or_else(|| base.strip_suffix(".egg-info"))
        .unwrap_or(base);
    let mut parts = stem.splitn(3, '-');
    let name = parts.next().unwrap_or_default();
    let version = parts.next().unwrap_or_default();
    (name, version)
}

/// The header block of core metadata (RFC 822 style, up to the first
/// blank line); continuation lines are not needed for the fields read.
struct Headers<'t> {
    fields: Vec<(&'t str, &'t str)>,
}

impl<'t> Headers<'t> {
    fn parse(text: &'t str) -> Self {
        let mut fields = Vec::new();
        for line in text.lines() {
            if line.trim().is_empty() {
                break;
            }
            if line.starts_with([' ', '\t']) {
                continue;
            }
            if let Some((key, value)) = line.split_once(':') {
                fields.push((key.trim(), value.trim()));
            }
        }
        Self { fields }
    }

    /// The first non-empty value of `key` (case-insensitive, as email headers).
    fn get(&self, key: &str) -> Option<&'t str> {
        self.fields
            .iter()
            .find(|(k, v)| k.eq_ignore_ascii_case(key) && !v.is_empty())
            .map(|(_, v)| *v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_stop_at_the_body() {
        let h = Headers::parse(
            "Metadata-Version: 2.1\nName: Foo_Bar\nVersion: 1.0\nClassifier: a\n  b\n\nName: body\n",
        );
        assert_eq!(h.get("name"), Some("Foo_Bar"));
        assert_eq!(h.get("Version"), Some("1.0"));
        assert_eq!(h.get("License-Expression"), None);
    }

    #[test]
    fn names_from_paths() {
        assert_eq!(
            name_from_path("lib/python3.11/site-packages/foo_bar-1.0.dist-info"),
            ("foo_bar", "1.0")
        );
        assert_eq!(name_from_path("x/foo-2.0-py3.11.egg-info"), ("foo", "2.0"));
        assert_eq!(name_from_path("x/foo.egg-info"), ("foo", ""));
    }

    #[test]
    fn metadata_names() {
        assert!(is_metadata_name("usr/lib/p/foo-1.dist-info/METADATA"));
        assert!(is_metadata_name("usr/lib/p/foo-1.egg-info/PKG-INFO"));
        assert!(is_metadata_name("usr/lib/p/foo-1.egg-info"));
        assert!(!is_metadata_name("usr/lib/p/foo-1.dist-info/RECORD"));
        assert!(!is_metadata_name("METADATA"));
    }
}
