//! The venv's `Provides: bundled(python3dist(NAME)) = VERSION`, computed
//! from the snapshot without building anything.
//!
//! A binary `python3XX-TAIL` or `python3-TAIL` is taken to ship the Python
//! distribution TAIL: NAME is TAIL normalised as PEP 503 says (as rpm's
//! `python3dist()` generator normalises it), VERSION the version part of
//! the binary's `[epoch:]version-release`. Not distributions: subpackages
//! (`-devel`, `-doc`, `-debuginfo`, …) and the interpreter's own packages
//! (`python311-base`, `-curses`, `-dbm`, `-idle`, `-tk`, `-tools`).
//! Limits: a binary named differently from the distribution it ships
//! (rare in openSUSE, whose python naming policy uses the PyPI name), one
//! that ships several distributions, and distributions inside non-`python3`
//! binaries are declared wrongly or not at all; the build's own
//! `python3dist()` generator would see the files, but venvjail does not build.

use std::collections::BTreeMap;

use crate::requirements::mapping::{is_subpackage, normalise, rpm_version, split_flavour};

/// Tails of the interpreter's own packages: not distributions.
const INTERPRETER: &[&str] = &["base", "curses", "dbm", "idle", "tk", "tools"];

/// The Python distribution a binary ships, PEP 503 normalised; `None` for
/// anything that is not a `python3…-NAME` distribution package.
pub fn distribution_name(binary: &str) -> Option<String> {
    let (_, tail) = split_flavour(binary)?;
    if is_subpackage(tail) || INTERPRETER.contains(&tail) {
        return None;
    }
    Some(normalise(tail))
}

/// The Provides of a venv holding `binaries`, sorted, one per
/// distribution; versions from `versions` (`name → evr`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BundledProvides {
    /// `bundled(python3dist(NAME)) = VERSION` lines' dependency text.
    pub provides: Vec<String>,
    /// Binaries whose version is unknown (their Provides is unversioned).
    pub unversioned: Vec<String>,
}

/// Computes the Provides; `None` when the snapshot holds no versions at all
/// but some distribution needs one (the caller says to refresh online).
pub fn bundled_provides<'a>(
    binaries: impl IntoIterator<Item = &'a String>,
    versions: &BTreeMap<String, String>,
) -> Option<BundledProvides> {
    let mut by_name: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut out = BundledProvides::default();
    for b in binaries {
        let Some(name) = distribution_name(b) else {
            continue;
        };
        let version = versions.get(b).map(|evr| rpm_version(evr).to_owned());
        if version.is_none() {
            out.unversioned.push(b.clone());
        }
        let slot = by_name.entry(name).or_default();
        // Two flavours of one distribution: the higher version is declared.
        if version > *slot {
            *slot = version;
        }
    }
    if !by_name.is_empty() && versions.is_empty() {
        return None;
    }
    out.provides = by_name
        .into_iter()
        .map(|(name, version)| match version {
            Some(v) => format!("bundled(python3dist({name})) = {v}"),
            None => format!("bundled(python3dist({name}))"),
        })
        .collect();
    out.unversioned.sort();
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(
            distribution_name("python311-zope.interface").as_deref(),
            Some("zope-interface")
        );
        assert_eq!(
            distribution_name("python311-PyYAML").as_deref(),
            Some("pyyaml")
        );
        assert_eq!(distribution_name("python311-base"), None);
        assert_eq!(distribution_name("python311-pyzmq-devel"), None);
        assert_eq!(distribution_name("python311"), None);
        assert_eq!(distribution_name("libzmq5"), None);
    }

    #[test]
    fn provides_with_versions() {
        let bins: Vec<String> = ["python311-Jinja2", "libffi8", "python311-salt"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let versions: BTreeMap<String, String> = [
            ("python311-Jinja2", "3.1.2-150500.12.4"),
            ("python311-salt", "1:3006.0-150500.6.2"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        let p = bundled_provides(&bins, &versions).unwrap();
        assert_eq!(
            p.provides,
            [
                "bundled(python3dist(jinja2)) = 3.1.2",
                "bundled(python3dist(salt)) = 3006.0"
            ]
        );
        assert!(bundled_provides(&bins, &BTreeMap::new()).is_none());
    }
}
