//! `lint --format sarif`: a SARIF 2.1.0 log, for code scanning
//! (GitHub's `upload-sarif`, SARIF viewers).
//!
//! One run; the tool is `venvjail` with its version, and it lists one rule
//! per finding code present in the results (in the order of
//! [`super::codes::CODES`]), each with a short description and a help URI
//! into the README's "Finding codes" table. Each result has its level, its
//! message and one physical location: the file's URI relative to the
//! linted directory (base id `PKGDIR`, which `originalUriBaseIds` places
//! under `%SRCROOT%`, the directory lint was started in), and the region's
//! start line and column. Columns are the ones the text format prints
//! (bytes in specs and lists); they equal SARIF's default UTF-16 columns
//! on ASCII lines.
//!
//! A drift finding carries its diff in the message text, after a blank
//! line: code scanning and the viewers show `message.text`, and a SARIF
//! `fix` would have to restate the whole generated file to say the same.
//!
//! `partialFingerprints` carries [`super::report::fingerprints`], so an
//! upload does not have to guess them from the file contents. The output
//! depends only on the findings and DIR: no times, no absolute paths
//! unless DIR is absolute.

use std::collections::BTreeMap;
use std::path::{Component, Path};

use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};
use serde::Serialize;

use super::codes::{self, CODES};
use super::{Finding, Severity};

/// The schema the log names in `$schema` (OASIS, 2.1.0 errata 01).
pub const SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The base id of every result's URI: the linted directory.
pub const BASE_ID: &str = "PKGDIR";

/// A SARIF log.
#[derive(Debug, Serialize)]
pub struct Log {
    /// [`SCHEMA_URI`].
    #[serde(rename = "$schema")]
    pub schema: &'static str,
    /// Always `2.1.0`.
    pub version: &'static str,
    /// Exactly one run.
    pub runs: Vec<Run>,
}

/// One run of `lint`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Run {
    /// venvjail and its rules.
    pub tool: Tool,
    /// Where [`BASE_ID`] points.
    pub original_uri_base_ids: BTreeMap<&'static str, ArtifactLocation>,
    /// One result per finding, in lint's order.
    pub results: Vec<SarifResult>,
}

/// The tool of a run.
#[derive(Debug, Serialize)]
pub struct Tool {
    /// venvjail.
    pub driver: Driver,
}

/// venvjail as a SARIF tool component.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Driver {
    /// `venvjail`.
    pub name: &'static str,
    /// This build's version.
    pub version: &'static str,
    /// The same version, as SemVer.
    pub semantic_version: &'static str,
    /// The project's home.
    pub information_uri: &'static str,
    /// One per finding code in the results.
    pub rules: Vec<Rule>,
}

/// A rule: one finding code.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    /// The code.
    pub id: &'static str,
    /// What the code means.
    pub short_description: Text,
    /// The README's finding-code table.
    pub help_uri: &'static str,
}

/// A SARIF message.
#[derive(Debug, Serialize)]
pub struct Text {
    /// Plain text.
    pub text: String,
}

/// One finding as a SARIF result.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SarifResult {
    /// The finding code.
    pub rule_id: &'static str,
    /// The rule's index in `driver.rules`.
    pub rule_index: usize,
    /// `error` or `warning`.
    pub level: &'static str,
    /// The message, and the diff for drift.
    pub message: Text,
    /// Exactly one location.
    pub locations: Vec<Location>,
    /// `venvjail/v1`: the finding's fingerprint.
    pub partial_fingerprints: BTreeMap<&'static str, String>,
}

/// A result location.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    /// The file and the place in it.
    pub physical_location: PhysicalLocation,
}

/// A file and a region of it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PhysicalLocation {
    /// The file.
    pub artifact_location: ArtifactLocation,
    /// Its line and column.
    pub region: Region,
}

/// A URI, relative to a base id or absolute.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactLocation {
    /// The URI reference.
    pub uri: String,
    /// The base a relative `uri` resolves against.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uri_base_id: Option<&'static str>,
}

/// The start of a finding.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Region {
    /// 1-based line.
    pub start_line: u32,
    /// 1-based column.
    pub start_column: u32,
}

/// The SARIF log of `findings` in the directory `dir`.
pub fn log(dir: &Path, findings: &[Finding]) -> Log {
    let mut used: Vec<&'static str> = Vec::new();
    for f in findings {
        if !used.contains(&f.code) {
            used.push(f.code);
        }
    }
    let table_rank = |code: &str| CODES.iter().position(|c| c.code == code);
    // Known codes in table order, then any other in the order found.
    used.sort_by_key(|c| table_rank(c).unwrap_or(CODES.len()));
    let rules: Vec<Rule> = used
        .iter()
        .map(|&code| Rule {
            id: code,
            short_description: Text {
                text: codes::describe(code)
                    .map_or_else(|| code.to_owned(), |c| c.summary.to_owned()),
            },
            help_uri: codes::HELP_URI,
        })
        .collect();
    let results = findings
        .iter()
        .zip(super::report::fingerprints(findings))
        .map(|(f, fingerprint)| {
            let mut text = f.message.clone();
            if let Some(diff) = &f.diff {
                text.push_str("\n\n");
                text.push_str(diff.trim_end());
            }
            SarifResult {
                rule_id: f.code,
                rule_index: used.iter().position(|&c| c == f.code).unwrap_or(0),
                level: match f.severity {
                    Severity::Error => "error",
                    Severity::Warning => "warning",
                },
                message: Text { text },
                locations: vec![Location {
                    physical_location: PhysicalLocation {
                        artifact_location: ArtifactLocation {
                            uri: encode(&relative_to(dir, &f.path)),
                            uri_base_id: Some(BASE_ID),
                        },
                        region: Region {
                            start_line: f.line.max(1),
                            start_column: f.col.max(1),
                        },
                    },
                }],
                partial_fingerprints: BTreeMap::from([("venvjail/v1", fingerprint)]),
            }
        })
        .collect();
    Log {
        schema: SCHEMA_URI,
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: "venvjail",
                    version: env!("CARGO_PKG_VERSION"),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    information_uri: env!("CARGO_PKG_REPOSITORY"),
                    rules,
                },
            },
            original_uri_base_ids: BTreeMap::from([(BASE_ID, base(dir))]),
            results,
        }],
    }
}

/// Where `PKGDIR` is: DIR under `%SRCROOT%` (the directory lint was started
/// in) when DIR is relative, else DIR's `file:` URI.
fn base(dir: &Path) -> ArtifactLocation {
    let mut parts: Vec<String> = Vec::new();
    let mut absolute = false;
    for c in dir.components() {
        match c {
            Component::RootDir | Component::Prefix(_) => absolute = true,
            Component::CurDir => {}
            Component::ParentDir => parts.push("..".to_owned()),
            Component::Normal(p) => parts.push(p.to_string_lossy().into_owned()),
        }
    }
    let mut uri: String = parts.iter().map(|p| encode(p) + "/").collect();
    if absolute {
        ArtifactLocation {
            uri: format!("file:///{uri}"),
            uri_base_id: None,
        }
    } else {
        if uri.is_empty() {
            uri.push_str("./");
        }
        ArtifactLocation {
            uri,
            uri_base_id: Some("%SRCROOT%"),
        }
    }
}

/// `path` (as lint printed it, under `dir`) relative to `dir`, with `/`.
fn relative_to(dir: &Path, path: &str) -> String {
    let p = Path::new(path);
    let rel = p.strip_prefix(dir).unwrap_or(p);
    let parts: Vec<String> = rel
        .components()
        .filter_map(|c| match c {
            Component::Normal(p) => Some(p.to_string_lossy().into_owned()),
            Component::ParentDir => Some("..".to_owned()),
            _ => None,
        })
        .collect();
    parts.join("/")
}

/// What a path segment must escape to be a URI reference (RFC 3986: all
/// but unreserved, sub-delims, `:`, `@` and `/`).
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

fn encode(path: &str) -> String {
    utf8_percent_encode(path, SEGMENT).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_relative_to_dir_and_percent_encoded() {
        assert_eq!(relative_to(Path::new("pkg"), "pkg/a b.spec"), "a b.spec");
        assert_eq!(encode("a b#1%.spec"), "a%20b%231%25.spec");
        assert_eq!(relative_to(Path::new("."), "a.spec"), "a.spec");
    }

    #[test]
    fn the_base_is_dir_under_srcroot() {
        let b = base(Path::new("./pkgs/salt"));
        assert_eq!(
            (b.uri.as_str(), b.uri_base_id),
            ("pkgs/salt/", Some("%SRCROOT%"))
        );
        let b = base(Path::new("."));
        assert_eq!((b.uri.as_str(), b.uri_base_id), ("./", Some("%SRCROOT%")));
        let b = base(Path::new("/srv/pkg"));
        assert_eq!((b.uri.as_str(), b.uri_base_id), ("file:///srv/pkg/", None));
    }
}
