//! `create --sbom FILE`: an SPDX 2.3 JSON document of the venv — each
//! included package and each Python distribution found in it.
//!
//! Deterministic: the same packages give the same bytes. Packages come in
//! extraction order (sorted by name, then file name), distributions by
//! path, relationships in the order of the elements; nothing depends on
//! the clock, the host or the DEST_DIR's parent directory.
//!
//! - `creationInfo.created` is `SOURCE_DATE_EPOCH` when set (RFC 3339,
//!   UTC); otherwise the newest `BUILDTIME` of the included RPMs (when the
//!   content was last built, which a rebuild of the same packages keeps);
//!   `1970-01-01T00:00:00Z` when no package has one (debs only).
//! - `documentNamespace` is `https://venvjail.invalid/spdx/NAME-SHA256`,
//!   the SHA-256 of the document serialized with an empty namespace: unique
//!   per content, identical for identical content. `.invalid` because the
//!   namespace only has to be a unique URI, never resolved.
//! - `SPDXRef-` ids: `SPDXRef-Venv`, `SPDXRef-RPM-NAME`, `SPDXRef-DEB-NAME`,
//!   `SPDXRef-Python-NAME`, with every character outside `[A-Za-z0-9.-]`
//!   replaced by `-`; a repeated id gets `-2`, `-3`… in document order.
//! - A system package: `versionInfo` `[EPOCH:]VERSION-RELEASE` (a deb's
//!   `Version` as is), `packageFileName`, `downloadLocation` its DISTURL
//!   (`NOASSERTION` without one), SHA-256 of the package file, `supplier`
//!   `Organization: VENDOR` (`NOASSERTION` without a Vendor tag), a purl
//!   (`pkg:rpm/NAME@VERSION-RELEASE?arch=A&epoch=E`, `pkg:deb/NAME@VERSION?arch=A`;
//!   no vendor namespace, which the package does not state).
//! - Licenses: `licenseConcluded` is always `NOASSERTION` (venvjail analyses
//!   no file); `licenseDeclared` is the RPM `License` tag (or a
//!   distribution's `License-Expression`) when it is a valid SPDX expression
//!   of license-list ids (operators' case normalised, deprecated ids such
//!   as `GPL-2.0+` accepted), else `NOASSERTION` with the original text in
//!   `licenseComments`. `LicenseRef-` is not used: it would need the license
//!   text in the document.
//! - Relationships: the document `DESCRIBES` the venv (a package named after
//!   DEST_DIR); the venv `CONTAINS` each system package; a system package
//!   `CONTAINS` each distribution whose metadata file it shipped, and the
//!   distribution is `GENERATED_FROM` it (SPDX 2.3: "A GENERATED_FROM B"
//!   when A was made from B — the installed distribution was extracted from
//!   the package); a distribution no package wrote is contained by the venv.

use std::io::Read;
use std::path::{Path, PathBuf};

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::distributions::Distribution;
use super::package::PackageInfo;
use crate::error::Error;

/// What `--sbom` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SbomOptions {
    /// Where to write the document.
    pub path: PathBuf,
    /// `SOURCE_DATE_EPOCH`, when set.
    pub source_date_epoch: Option<i64>,
}

/// One included package: its file name, path and header.
#[derive(Debug, Clone, Copy)]
pub struct IncludedPackage<'a> {
    /// The package file's name.
    pub file_name: &'a str,
    /// The package file.
    pub path: &'a Path,
    /// What its header says.
    pub info: &'a PackageInfo,
}

/// The largest `SOURCE_DATE_EPOCH` accepted: 9999-12-31T23:59:59Z.
const MAX_EPOCH: i64 = 253_402_300_799;

/// Parses `SOURCE_DATE_EPOCH` (unset or empty: `None`).
pub fn source_date_epoch(raw: Option<&std::ffi::OsStr>) -> Result<Option<i64>, Error> {
    let Some(raw) = raw else { return Ok(None) };
    let text = raw.to_string_lossy();
    if text.is_empty() {
        return Ok(None);
    }
    match text.parse::<i64>() {
        Ok(s) if (0..=MAX_EPOCH).contains(&s) => Ok(Some(s)),
        _ => Err(Error::Invalid(format!(
            "SOURCE_DATE_EPOCH={text} is not a number of seconds since 1970 (0 to {MAX_EPOCH})"
        ))),
    }
}

/// Fails unless a file can be created beside `path` and `path` itself can
/// be replaced: run before anything is extracted.
pub fn check_target(path: &Path) -> Result<(), Error> {
    let write_err = |source: std::io::Error| Error::Write {
        path: path.to_owned(),
        source,
    };
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => {
            return Err(write_err(std::io::Error::from(
                std::io::ErrorKind::IsADirectory,
            )))
        }
        Ok(m) if std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o222 == 0 => {
            return Err(Error::ReadOnly {
                path: path.to_owned(),
            })
        }
        _ => {}
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    // The same temp file the final atomic write makes, dropped at once.
    tempfile::Builder::new()
        .prefix(".venvjail-")
        .tempfile_in(dir)
        .map(drop)
        .map_err(write_err)
}

/// The SPDX document for the venv `name`, as pretty JSON with a final newline.
pub fn document(
    name: &str,
    packages: &[IncludedPackage<'_>],
    distributions: &[Distribution],
    source_date_epoch: Option<i64>,
) -> Result<Vec<u8>, Error> {
    let created = source_date_epoch
        .or_else(|| {
            packages
                .iter()
                .filter_map(|p| p.info.build_time)
                .max()
                .map(i64::from)
        })
        .unwrap_or(0);
    let mut ids = Ids::default();
    let venv_id = ids.make("Venv", "");
    let mut elements = vec![Element {
        name: name.to_owned(),
        spdx_id: venv_id.clone(),
        version_info: None,
        package_file_name: None,
        supplier: NOASSERTION.to_owned(),
        originator: NOASSERTION,
        download_location: NOASSERTION.to_owned(),
        files_analyzed: false,
        checksums: Vec::new(),
        license_concluded: NOASSERTION,
        license_declared: NOASSERTION.to_owned(),
        license_comments: None,
        copyright_text: NOASSERTION,
        primary_package_purpose: "APPLICATION",
        external_refs: Vec::new(),
    }];
    let mut relationships = vec![Relationship::new("SPDXRef-DOCUMENT", "DESCRIBES", &venv_id)];
    let mut by_name: Vec<(&str, String)> = Vec::new();
    for p in packages {
        let info = p.info;
        let id = ids.make(if info.is_deb { "DEB" } else { "RPM" }, &info.name);
        let (declared, comments) = declared_license(info.license.as_deref(), "RPM License tag");
        elements.push(Element {
            name: info.name.clone(),
            spdx_id: id.clone(),
            version_info: Some(version_info(info)),
            package_file_name: Some(p.file_name.to_owned()),
            supplier: info
                .vendor
                .as_deref()
                .filter(|v| !v.trim().is_empty())
                .map_or(NOASSERTION.to_owned(), |v| {
                    format!("Organization: {}", v.trim())
                }),
            originator: NOASSERTION,
            download_location: info
                .disturl
                .clone()
                .unwrap_or_else(|| NOASSERTION.to_owned()),
            files_analyzed: false,
            checksums: vec![Checksum {
                algorithm: "SHA256",
                checksum_value: sha256_file(p.path)?,
            }],
            license_concluded: NOASSERTION,
            license_declared: declared,
            license_comments: comments,
            copyright_text: NOASSERTION,
            primary_package_purpose: "INSTALL",
            external_refs: vec![ExternalRef::purl(system_purl(info))],
        });
        relationships.push(Relationship::new(&venv_id, "CONTAINS", &id));
        by_name.push((&info.name, id));
    }
    for d in distributions {
        let id = ids.make("Python", &d.name);
        let (declared, comments) =
            declared_license(d.license_expression.as_deref(), "License-Expression");
        elements.push(Element {
            name: d.name.clone(),
            spdx_id: id.clone(),
            version_info: (!d.version.is_empty()).then(|| d.version.clone()),
            package_file_name: Some(d.path.clone()),
            supplier: NOASSERTION.to_owned(),
            originator: NOASSERTION,
            download_location: NOASSERTION.to_owned(),
            files_analyzed: false,
            checksums: Vec::new(),
            license_concluded: NOASSERTION,
            license_declared: declared,
            license_comments: comments,
            copyright_text: NOASSERTION,
            primary_package_purpose: "LIBRARY",
            external_refs: vec![ExternalRef::purl(pypi_purl(&d.name, &d.version))],
        });
        // Two packages of one name: the later one's files are the ones on disk.
        let from = d.package.as_deref().and_then(|owner| {
            by_name
                .iter()
                .rev()
                .find(|(n, _)| *n == owner)
                .map(|(_, id)| id.as_str())
        });
        match from {
            Some(package_id) => {
                relationships.push(Relationship::new(package_id, "CONTAINS", &id));
                relationships.push(Relationship::new(&id, "GENERATED_FROM", package_id));
            }
            None => relationships.push(Relationship::new(&venv_id, "CONTAINS", &id)),
        }
    }
    let mut doc = Document {
        spdx_version: "SPDX-2.3",
        data_license: "CC0-1.0",
        spdx_id: "SPDXRef-DOCUMENT",
        name: name.to_owned(),
        document_namespace: String::new(),
        creation_info: CreationInfo {
            created: rfc3339(created),
            creators: vec![concat!("Tool: venvjail-", env!("CARGO_PKG_VERSION"))],
            license_list_version: license_list_version(),
        },
        packages: elements,
        relationships,
    };
    let unnamed = to_json(&doc)?;
    doc.document_namespace = format!(
        "https://venvjail.invalid/spdx/{}-{}",
        utf8_percent_encode(name, PURL_ENCODE),
        hex(&Sha256::digest(&unnamed))
    );
    to_json(&doc)
}

const NOASSERTION: &str = "NOASSERTION";

/// Characters a purl or URL component keeps as they are.
const PURL_ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'.')
    .remove(b'-')
    .remove(b'_')
    .remove(b'~');

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Document {
    spdx_version: &'static str,
    data_license: &'static str,
    #[serde(rename = "SPDXID")]
    spdx_id: &'static str,
    name: String,
    document_namespace: String,
    creation_info: CreationInfo,
    packages: Vec<Element>,
    relationships: Vec<Relationship>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CreationInfo {
    created: String,
    creators: Vec<&'static str>,
    license_list_version: String,
}

/// An SPDX package element (the venv, a system package, a distribution).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Element {
    name: String,
    #[serde(rename = "SPDXID")]
    spdx_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    version_info: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    package_file_name: Option<String>,
    supplier: String,
    originator: &'static str,
    download_location: String,
    files_analyzed: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    checksums: Vec<Checksum>,
    license_concluded: &'static str,
    license_declared: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    license_comments: Option<String>,
    copyright_text: &'static str,
    primary_package_purpose: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    external_refs: Vec<ExternalRef>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Checksum {
    algorithm: &'static str,
    checksum_value: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExternalRef {
    reference_category: &'static str,
    reference_type: &'static str,
    reference_locator: String,
}

impl ExternalRef {
    fn purl(locator: String) -> Self {
        Self {
            reference_category: "PACKAGE-MANAGER",
            reference_type: "purl",
            reference_locator: locator,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Relationship {
    spdx_element_id: String,
    relationship_type: &'static str,
    related_spdx_element: String,
}

impl Relationship {
    fn new(from: &str, kind: &'static str, to: &str) -> Self {
        Self {
            spdx_element_id: from.to_owned(),
            relationship_type: kind,
            related_spdx_element: to.to_owned(),
        }
    }
}

fn to_json(doc: &Document) -> Result<Vec<u8>, Error> {
    let mut out = serde_json::to_vec_pretty(doc)
        .map_err(|e| Error::Invalid(format!("cannot serialize the SBOM: {e}")))?;
    out.push(b'\n');
    Ok(out)
}

/// Unique `SPDXRef-` ids in the allowed charset.
#[derive(Default)]
struct Ids {
    taken: std::collections::HashSet<String>,
}

impl Ids {
    fn make(&mut self, kind: &str, name: &str) -> String {
        let mut base = format!("SPDXRef-{kind}");
        if !name.is_empty() {
            base.push('-');
            base.extend(name.chars().map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                    c
                } else {
                    '-'
                }
            }));
        }
        let mut id = base.clone();
        let mut n = 1;
        while !self.taken.insert(id.clone()) {
            n += 1;
            id = format!("{base}-{n}");
        }
        id
    }
}

/// `[EPOCH:]VERSION-RELEASE` for an RPM, the `Version` field for a deb.
fn version_info(p: &PackageInfo) -> String {
    if p.is_deb || p.release.is_empty() {
        return p.version.clone();
    }
    match p.epoch {
        Some(e) => format!("{e}:{}-{}", p.version, p.release),
        None => format!("{}-{}", p.version, p.release),
    }
}

fn system_purl(p: &PackageInfo) -> String {
    let enc = |s: &str| utf8_percent_encode(s, PURL_ENCODE).to_string();
    if p.is_deb {
        return format!(
            "pkg:deb/{}@{}?arch={}",
            enc(&p.name),
            enc(&p.version),
            enc(&p.arch)
        );
    }
    let mut purl = format!(
        "pkg:rpm/{}@{}-{}?arch={}",
        enc(&p.name),
        enc(&p.version),
        enc(&p.release),
        enc(&p.arch)
    );
    if let Some(e) = p.epoch {
        purl.push_str(&format!("&epoch={e}"));
    }
    purl
}

/// `pkg:pypi/NAME@VERSION`, the name normalised as PEP 503 says.
fn pypi_purl(name: &str, version: &str) -> String {
    let mut normal = String::new();
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !normal.ends_with('-') {
                normal.push('-');
            }
        } else {
            normal.extend(c.to_lowercase());
        }
    }
    let mut purl = format!("pkg:pypi/{}", utf8_percent_encode(&normal, PURL_ENCODE));
    if !version.is_empty() {
        purl.push('@');
        purl.push_str(&utf8_percent_encode(version, PURL_ENCODE).to_string());
    }
    purl
}

/// The declared license and, when the text is not usable, a comment
/// quoting it.
fn declared_license(text: Option<&str>, what: &str) -> (String, Option<String>) {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return (NOASSERTION.to_owned(), None);
    };
    match spdx_expression(text) {
        Some(expr) => (expr, None),
        None => (
            NOASSERTION.to_owned(),
            Some(format!(
                "{what}: {text} (not an SPDX license expression of license-list ids)"
            )),
        ),
    }
}

/// `text` as an SPDX expression of license-list ids with upper-case
/// operators, or `None`.
fn spdx_expression(text: &str) -> Option<String> {
    let normal: Vec<String> = text
        .split(' ')
        .map(|w| match w.to_ascii_uppercase().as_str() {
            op @ ("AND" | "OR" | "WITH") => op.to_owned(),
            _ => w.to_owned(),
        })
        .collect();
    let normal = normal.join(" ");
    if normal.contains("LicenseRef-") || normal.contains("DocumentRef-") {
        return None;
    }
    // `GPL-2.0+` (a deprecated id with the spec's `+` suffix) is still
    // valid SPDX, and common in older RPM License tags.
    let mode = spdx::ParseMode {
        allow_deprecated: true,
        allow_postfix_plus_on_gpl: true,
        ..spdx::ParseMode::STRICT
    };
    spdx::Expression::parse_mode(&normal, mode).ok()?;
    Some(normal)
}

fn license_list_version() -> String {
    spdx::identifiers::VERSION
        .split('.')
        .take(2)
        .collect::<Vec<_>>()
        .join(".")
}

fn sha256_file(path: &Path) -> Result<String, Error> {
    let mut file = std::fs::File::open(path).map_err(|e| Error::read(path, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf).map_err(|e| Error::read(path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Seconds since 1970 as `YYYY-MM-DDThh:mm:ssZ`.
fn rfc3339(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339(MAX_EPOCH), "9999-12-31T23:59:59Z");
    }

    #[test]
    fn epochs() {
        let parse = |s: &str| source_date_epoch(Some(std::ffi::OsStr::new(s)));
        assert_eq!(parse("").ok(), Some(None));
        assert_eq!(parse("1700000000").ok(), Some(Some(1_700_000_000)));
        assert!(parse("-1").is_err());
        assert!(parse("yesterday").is_err());
        assert_eq!(source_date_epoch(None).ok(), Some(None));
    }

    #[test]
    fn ids_are_sanitized_and_unique() {
        let mut ids = Ids::default();
        assert_eq!(ids.make("RPM", "libstdc++6"), "SPDXRef-RPM-libstdc--6");
        assert_eq!(ids.make("Python", "foo_bar"), "SPDXRef-Python-foo-bar");
        assert_eq!(ids.make("Python", "foo-bar"), "SPDXRef-Python-foo-bar-2");
        assert_eq!(ids.make("Python", "foo.bar"), "SPDXRef-Python-foo.bar");
    }

    #[test]
    fn licenses() {
        assert_eq!(
            spdx_expression("MIT and (Apache-2.0 or BSD-3-Clause)").as_deref(),
            Some("MIT AND (Apache-2.0 OR BSD-3-Clause)")
        );
        assert_eq!(spdx_expression("GPL-2.0+").as_deref(), Some("GPL-2.0+"));
        assert_eq!(spdx_expression("GPLv2+"), None);
        assert_eq!(spdx_expression("LicenseRef-Foo"), None);
        assert_eq!(
            declared_license(Some("BSD"), "RPM License tag"),
            (
                "NOASSERTION".to_owned(),
                Some(
                    "RPM License tag: BSD (not an SPDX license expression of license-list ids)"
                        .to_owned()
                )
            )
        );
    }

    #[test]
    fn purls() {
        let rpm = PackageInfo {
            name: "libstdc++6".into(),
            epoch: Some(1),
            version: "13.2".into(),
            release: "1.1".into(),
            arch: "x86_64".into(),
            ..Default::default()
        };
        assert_eq!(
            system_purl(&rpm),
            "pkg:rpm/libstdc%2B%2B6@13.2-1.1?arch=x86_64&epoch=1"
        );
        assert_eq!(version_info(&rpm), "1:13.2-1.1");
        let deb = PackageInfo {
            name: "python3-foo".into(),
            version: "1:2.0-3".into(),
            arch: "all".into(),
            is_deb: true,
            ..Default::default()
        };
        assert_eq!(system_purl(&deb), "pkg:deb/python3-foo@1%3A2.0-3?arch=all");
        assert_eq!(pypi_purl("Foo__Bar.baz", "1.0"), "pkg:pypi/foo-bar-baz@1.0");
    }
}
