//! From requirements to the repository's binary names, and version checks.
//!
//! A requirement's name is normalised as PEP 503 says (lowercase, runs of
//! `-`, `_`, `.` become one `-`) and compared with the normalised tail of
//! every binary name that starts with the flavour (`python311-`) or
//! `python3-`: so `PyYAML`, `pyyaml` and `py_yaml` all find
//! `python311-PyYAML`, and `zope.interface` finds
//! `python311-zope.interface`. A binary of the flavour wins over a
//! `python3-` one; several binaries of the same prefix (two spellings) are
//! ambiguous and none is listed. Subpackages (`-devel`, `-debuginfo`,
//! `-debugsource`, `-doc`, `-docs`, `-test`, `-tests`, `-testsuite`) are
//! never candidates. Markers are evaluated for the target: the flavour's
//! Python version (`python_full_version` from `python3XX-base`'s version
//! when known), CPython, Linux, `platform_machine` = the architecture.
//! Extras are not expanded (the repository does not say which packages an
//! extra pulls in); `-v` notes them.
//!
//! Versions: the version part of a binary's `[epoch:]version-release`
//! (rpm's `~` dropped, `^` read as `+`) is checked against the
//! requirement's specifiers and those of any `-c` constraint of the same
//! name, with `pep440_rs`.

use std::collections::{BTreeMap, HashMap};

use pep508_rs::pep440_rs::{Version, VersionSpecifiers};
use pep508_rs::{MarkerEnvironment, MarkerEnvironmentBuilder, VersionOrUrl};

use super::file::{LineMessage, Location, RequirementsSet};
use crate::rules::PackageList;

/// Binary name endings that mark a subpackage, never a distribution.
const SUBPACKAGES: &[&str] = &[
    "-devel",
    "-debuginfo",
    "-debugsource",
    "-doc",
    "-docs",
    "-test",
    "-tests",
    "-testsuite",
];

/// The flavour cannot be decided or is not a Python flavour.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MappingError {
    /// No `python3XX-` binary in the repository and no flavour given.
    #[error("the repository has no python3XX- binaries to take the flavour from: give the flavour (e.g. python311)")]
    NoFlavour,
    /// A flavour that is not `python3` followed by the minor version.
    #[error("'{0}' is not a Python flavour: give python3 and the minor version, e.g. python311")]
    BadFlavour(String),
}

/// PEP 503 normalisation: lowercase, runs of `-`, `_`, `.` → one `-`.
pub fn normalise(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
            continue;
        }
        if sep && !out.is_empty() {
            out.push('-');
        }
        sep = false;
        out.extend(c.to_lowercase());
    }
    out
}

/// `python311-foo` → `("python311", "foo")`, `python3-foo` → `("python3", "foo")`.
pub fn split_flavour(binary: &str) -> Option<(&str, &str)> {
    let (prefix, tail) = binary.split_once('-')?;
    let digits = prefix.strip_prefix("python3")?;
    (digits.bytes().all(|b| b.is_ascii_digit()) && !tail.is_empty()).then_some((prefix, tail))
}

/// True when the tail names a subpackage (`foo-devel`, `foo-doc`…).
pub fn is_subpackage(tail: &str) -> bool {
    SUBPACKAGES.iter().any(|s| tail.ends_with(s))
}

/// The most common `python3XX` prefix among `binaries` (ties: the higher
/// version); `None` when there is none.
pub fn default_flavour(binaries: &[String]) -> Option<String> {
    let mut counts: BTreeMap<(usize, String), usize> = BTreeMap::new();
    for b in binaries {
        if let Some((prefix, _)) = split_flavour(b) {
            if prefix != "python3" {
                *counts.entry((prefix.len(), prefix.to_owned())).or_default() += 1;
            }
        }
    }
    counts
        .into_iter()
        .max_by_key(|(key, n)| (*n, key.clone()))
        .map(|((_, prefix), _)| prefix)
}

/// The name as the line spells it (`PyYAML` of `PyYAML>=5.1`), for messages.
fn written_name(text: &str) -> &str {
    let end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(text.len());
    &text[..end]
}

/// The Python version of a flavour: `python311` → `3.11`.
pub fn python_version(flavour: &str) -> Result<String, MappingError> {
    let bad = || MappingError::BadFlavour(flavour.to_owned());
    let minor = flavour.strip_prefix("python3").ok_or_else(bad)?;
    if minor.is_empty() || !minor.bytes().all(|b| b.is_ascii_digit()) || minor.starts_with('0') {
        return Err(bad());
    }
    Ok(format!("3.{minor}"))
}

/// The version part of an rpm `[epoch:]version-release`.
pub fn rpm_version(evr: &str) -> &str {
    let v = evr.split_once(':').map_or(evr, |(_, v)| v);
    v.rsplit_once('-').map_or(v, |(v, _)| v)
}

/// An rpm version read as PEP 440 (`1.0~rc1` → `1.0rc1`, `1.0^git3` → `1.0+git3`).
pub fn pep440_version(rpm_version: &str) -> Option<Version> {
    rpm_version
        .replace('~', "")
        .replace('^', "+")
        .parse::<Version>()
        .ok()
}

/// The environment markers are evaluated in; `full_version` is the
/// interpreter's `X.Y.Z` when the repository says it.
pub fn environment(
    flavour: &str,
    full_version: Option<&str>,
    arch: &str,
) -> Result<MarkerEnvironment, MappingError> {
    let version = python_version(flavour)?;
    let full = full_version
        .filter(|v| {
            v.strip_prefix(version.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
                && v.parse::<Version>().is_ok()
        })
        .unwrap_or(&version);
    MarkerEnvironment::try_from(MarkerEnvironmentBuilder {
        implementation_name: "cpython",
        implementation_version: full,
        os_name: "posix",
        platform_machine: arch,
        platform_python_implementation: "CPython",
        platform_release: "",
        platform_system: "Linux",
        platform_version: "",
        python_full_version: full,
        python_version: &version,
        sys_platform: "linux",
    })
    .map_err(|_| MappingError::BadFlavour(flavour.to_owned()))
}

/// What the repository holds: binary names and, when known, their `evr`.
#[derive(Debug, Clone, Copy)]
pub struct Repository<'a> {
    /// Binary names.
    pub binaries: &'a [String],
    /// `name → [epoch:]version-release` (empty: versions unknown).
    pub versions: &'a BTreeMap<String, String>,
}

/// What the requirements map to.
#[derive(Debug, Clone, Default)]
pub struct Resolution {
    /// The flavour used (`None` when the repository is empty).
    pub flavour: Option<String>,
    /// The binaries to include, sorted, de-duplicated.
    pub binaries: Vec<String>,
    /// Lines the packager must look at, by file and line.
    pub warnings: Vec<LineMessage>,
    /// Warnings not about one line.
    pub general: Vec<String>,
    /// What `-v` shows: skipped markers, extras, ignored options.
    pub notes: Vec<LineMessage>,
}

/// Maps `set` to binaries of `repo`. `exclude` (named `exclude_name`)
/// removes binaries with a warning; `flavour` `None` takes the most common.
pub fn resolve(
    set: &RequirementsSet,
    repo: Repository<'_>,
    exclude: (&str, &PackageList),
    flavour: Option<&str>,
    arch: &str,
) -> Result<Resolution, MappingError> {
    let mut res = Resolution {
        warnings: set.warnings.clone(),
        notes: set.notes.clone(),
        ..Resolution::default()
    };
    let flavour = match flavour
        .map(str::to_owned)
        .or_else(|| default_flavour(repo.binaries))
    {
        Some(f) => f,
        None if repo.binaries.is_empty() => return Ok(res),
        None => return Err(MappingError::NoFlavour),
    };
    // python_full_version: the interpreter package's version, when known.
    let full = [format!("{flavour}-base"), flavour.clone()]
        .iter()
        .find_map(|b| repo.versions.get(b))
        .map(|evr| rpm_version(evr));
    let env = environment(&flavour, full, arch)?;
    let target = format!("Python {} on {arch}", python_version(&flavour)?);
    let mut index: HashMap<String, Vec<(&str, &str)>> = HashMap::new();
    for b in repo.binaries {
        let Some((prefix, tail)) = split_flavour(b) else {
            continue;
        };
        if (prefix == flavour || prefix == "python3") && !is_subpackage(tail) {
            index.entry(normalise(tail)).or_default().push((prefix, b));
        }
    }
    let mut constraints: HashMap<String, Vec<(&Location, &str, &VersionSpecifiers)>> =
        HashMap::new();
    for c in &set.constraints {
        if !c.requirement.marker.evaluate(&env, &[]) {
            continue;
        }
        if let Some(VersionOrUrl::VersionSpecifier(s)) = &c.requirement.version_or_url {
            constraints
                .entry(c.requirement.name.to_string())
                .or_default()
                .push((&c.location, written_name(&c.text), s));
        }
    }
    let mut unchecked = false;
    for entry in &set.requirements {
        let req = &entry.requirement;
        let at = &entry.location;
        let name = req.name.to_string();
        let written = written_name(&entry.text);
        if !req.marker.evaluate(&env, &[]) {
            res.notes.push(LineMessage {
                location: at.clone(),
                message: format!("'{}' skipped: its marker is false for {target}", entry.text),
            });
            continue;
        }
        if !req.extras.is_empty() {
            let extras: Vec<String> = req.extras.iter().map(ToString::to_string).collect();
            res.notes.push(LineMessage {
                location: at.clone(),
                message: format!(
                    "'{written}': extras [{}] are not expanded; list what they need by hand",
                    extras.join(", ")
                ),
            });
        }
        let all = index.get(&name).map(Vec::as_slice).unwrap_or_default();
        let flavoured: Vec<&str> = all
            .iter()
            .filter(|(p, _)| *p == flavour)
            .map(|(_, b)| *b)
            .collect();
        let candidates = if flavoured.is_empty() {
            all.iter().map(|(_, b)| *b).collect()
        } else {
            flavoured
        };
        let binary = match candidates.as_slice() {
            [] => {
                res.warnings.push(LineMessage {
                    location: at.clone(),
                    message: format!(
                        "'{written}' maps to no binary of the repository (looked for {flavour}-{name} and python3-{name} in any spelling)"
                    ),
                });
                continue;
            }
            [one] => *one,
            several => {
                let mut several = several.to_vec();
                several.sort_unstable();
                res.warnings.push(LineMessage {
                    location: at.clone(),
                    message: format!(
                        "'{written}' maps to several binaries ({}): none is listed; include the right one by hand",
                        several.join(", ")
                    ),
                });
                continue;
            }
        };
        if let Some(p) = exclude.1.matching(binary) {
            res.warnings.push(LineMessage {
                location: at.clone(),
                message: format!(
                    "'{written}' maps to {binary}, which {}:{} ('{}') excludes: not listed",
                    exclude.0, p.line, p.source
                ),
            });
            continue;
        }
        res.binaries.push(binary.to_owned());
        let mut specs: Vec<(&Location, &str, &VersionSpecifiers)> = Vec::new();
        if let Some(VersionOrUrl::VersionSpecifier(s)) = &req.version_or_url {
            specs.push((at, written, s));
        }
        specs.extend(constraints.get(&name).into_iter().flatten().copied());
        specs.retain(|(_, _, s)| !s.is_empty());
        if specs.is_empty() {
            continue;
        }
        let Some(evr) = repo.versions.get(binary) else {
            if repo.versions.is_empty() {
                unchecked = true;
            } else {
                res.warnings.push(LineMessage {
                    location: at.clone(),
                    message: format!(
                        "'{written}': the version of {binary} is not known: not checked"
                    ),
                });
            }
            continue;
        };
        let rpm = rpm_version(evr);
        let Some(version) = pep440_version(rpm) else {
            res.warnings.push(LineMessage {
                location: at.clone(),
                message: format!(
                    "'{written}': {binary} {rpm} is not a PEP 440 version: not checked"
                ),
            });
            continue;
        };
        for (loc, spelled, s) in specs {
            if !s.contains(&version) {
                res.warnings.push(LineMessage {
                    location: loc.clone(),
                    message: format!("'{spelled}{s}' is not met by {binary} {rpm}"),
                });
            }
        }
    }
    if unchecked {
        res.general.push(
            "the repository data holds no versions, so version specifiers are not checked: refresh the snapshot online".to_owned(),
        );
    }
    res.binaries.sort();
    res.binaries.dedup();
    res.warnings.sort_by(|a, b| a.location.cmp(&b.location));
    res.notes.sort_by(|a, b| a.location.cmp(&b.location));
    res.flavour = Some(flavour);
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pep503() {
        assert_eq!(normalise("Zope.Interface"), "zope-interface");
        assert_eq!(normalise("typing__extensions"), "typing-extensions");
        assert_eq!(normalise("PyYAML"), "pyyaml");
    }

    #[test]
    fn flavours() {
        assert_eq!(
            split_flavour("python311-foo-bar"),
            Some(("python311", "foo-bar"))
        );
        assert_eq!(split_flavour("python3-foo"), Some(("python3", "foo")));
        assert_eq!(split_flavour("python311"), None);
        assert_eq!(split_flavour("python-foo"), None);
        let names: Vec<String> = ["python311-a", "python311-b", "python36-a", "python3-c"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(default_flavour(&names).as_deref(), Some("python311"));
        assert_eq!(python_version("python39").unwrap(), "3.9");
        assert!(python_version("python3").is_err());
    }

    #[test]
    fn rpm_versions() {
        assert_eq!(rpm_version("1:0.2.3-150500.2.1"), "0.2.3");
        assert_eq!(rpm_version("3006.0"), "3006.0");
        assert_eq!(pep440_version("1.0~rc1").unwrap().to_string(), "1.0rc1");
    }
}
