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
//! - The venv: named after DEST_DIR or `--sbom-name`, `versionInfo` from
//!   `--sbom-version`, `supplier` from `--sbom-supplier`, else the Vendor
//!   most included packages carry.
//! - A system package: `versionInfo` `[EPOCH:]VERSION-RELEASE` (a deb's
//!   `Version` as is), `packageFileName`, `downloadLocation` `NOASSERTION`
//!   and its DISTURL in `sourceInfo` and an `OTHER`/`disturl` external
//!   reference (SPDX's download locations are http(s), ftp and VCS URLs;
//!   `obs://` is none, and spdx-tools rejects it), SHA-256 of the package
//!   file, `supplier` `Organization: VENDOR` (a deb's `Maintainer`;
//!   `NOASSERTION` without either), a purl
//!   (`pkg:rpm/NAME@VERSION-RELEASE?arch=A&epoch=E`, `pkg:deb/NAME@VERSION?arch=A`;
//!   no vendor namespace, which the package does not state).
//! - A distribution's `supplier` is that of the package that shipped it
//!   into this venv (the venv's own for one no package wrote).
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

mod values;

use std::io::Read;
use std::path::{Path, PathBuf};

use percent_encoding::utf8_percent_encode;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::distributions::Distribution;
use super::package::PackageInfo;
use crate::error::Error;
use values::{
    declared_license, license_list_version, pypi_purl, rfc3339, system_purl, version_info, Ids,
    PURL_ENCODE,
};

/// What `--sbom` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SbomOptions {
    /// Where to write the document.
    pub path: PathBuf,
    /// `SOURCE_DATE_EPOCH`, when set.
    pub source_date_epoch: Option<i64>,
    /// The venv's name (`--sbom-name`; default: DEST_DIR's name).
    pub name: Option<String>,
    /// The venv's version (`--sbom-version`).
    pub version: Option<String>,
    /// The venv's supplier (`--sbom-supplier`; default: the Vendor most
    /// included RPMs share).
    pub supplier: Option<String>,
}

/// What the document says about the venv itself.
#[derive(Debug, Clone, Copy)]
pub struct Venv<'a> {
    /// Its name.
    pub name: &'a str,
    /// Its version, when given.
    pub version: Option<&'a str>,
    /// Its supplier, when given.
    pub supplier: Option<&'a str>,
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

/// The SPDX document for `venv`, as pretty JSON with a final newline.
pub fn document(
    venv: Venv<'_>,
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
    let name = venv.name;
    let mut ids = Ids::default();
    let venv_id = ids.make("Venv", "");
    let venv_supplier = venv
        .supplier
        .map(str::to_owned)
        .or_else(|| common_vendor(packages))
        .as_deref()
        .map_or_else(|| NOASSERTION.to_owned(), organization);
    let mut elements = vec![Element {
        name: name.to_owned(),
        spdx_id: venv_id.clone(),
        version_info: venv.version.map(str::to_owned),
        package_file_name: None,
        supplier: venv_supplier.clone(),
        source_info: None,
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
    let mut by_name: Vec<(&str, String, String)> = Vec::new();
    for p in packages {
        let info = p.info;
        let id = ids.make(if info.is_deb { "DEB" } else { "RPM" }, &info.name);
        let (declared, comments) = declared_license(info.license.as_deref(), "RPM License tag");
        elements.push(Element {
            name: info.name.clone(),
            spdx_id: id.clone(),
            version_info: Some(version_info(info)),
            package_file_name: Some(p.file_name.to_owned()),
            supplier: package_supplier(info),
            source_info: info
                .disturl
                .as_deref()
                .map(|d| format!("built by the Open Build Service, DISTURL {d}")),
            originator: NOASSERTION,
            download_location: NOASSERTION.to_owned(),
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
            external_refs: std::iter::once(ExternalRef::purl(system_purl(info)))
                .chain(info.disturl.as_deref().map(ExternalRef::disturl))
                .collect(),
        });
        relationships.push(Relationship::new(&venv_id, "CONTAINS", &id));
        by_name.push((&info.name, id, package_supplier(info)));
    }
    for d in distributions {
        let id = ids.make("Python", &d.name);
        // Two packages of one name: the later one's files are the ones on disk.
        let from = d
            .package
            .as_deref()
            .and_then(|owner| by_name.iter().rev().find(|(n, _, _)| *n == owner));
        let (declared, comments) =
            declared_license(d.license_expression.as_deref(), "License-Expression");
        elements.push(Element {
            name: d.name.clone(),
            spdx_id: id.clone(),
            version_info: (!d.version.is_empty()).then(|| d.version.clone()),
            package_file_name: Some(d.path.clone()),
            // Who shipped it into this venv: the package's Vendor, or the
            // venv's supplier for what no package wrote.
            supplier: from.map_or_else(|| venv_supplier.clone(), |(_, _, s)| s.clone()),
            source_info: None,
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
        match from.map(|(_, id, _)| id.as_str()) {
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

/// `Organization: NAME`, SPDX's form of a supplier; a contact in angle
/// brackets (`SUSE LLC <https://www.suse.com/>`, a deb's
/// `Team <team@example.org>`) goes in SPDX's parentheses.
fn organization(name: &str) -> String {
    let name = name.trim();
    match name
        .strip_suffix('>')
        .and_then(|rest| rest.rsplit_once('<'))
        .filter(|(who, _)| !who.trim().is_empty())
    {
        Some((who, contact)) => format!("Organization: {} ({})", who.trim(), contact.trim()),
        None => format!("Organization: {name}"),
    }
}

/// A package's supplier: its Vendor tag, else `NOASSERTION`.
fn package_supplier(info: &PackageInfo) -> String {
    info.vendor
        .as_deref()
        .filter(|v| !v.trim().is_empty())
        .map_or_else(|| NOASSERTION.to_owned(), organization)
}

/// The Vendor most included packages carry (the first in sorted order on
/// a tie): in an OBS build, the vendor of the project the venv's packages
/// come from, and so the best default for the venv's own supplier.
fn common_vendor(packages: &[IncludedPackage<'_>]) -> Option<String> {
    let mut counts: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for p in packages {
        if let Some(v) = p
            .info
            .vendor
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
        {
            *counts.entry(v).or_default() += 1;
        }
    }
    let most = counts.values().copied().max()?;
    counts
        .into_iter()
        .find(|(_, n)| *n == most)
        .map(|(v, _)| v.to_owned())
}

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
    #[serde(skip_serializing_if = "Option::is_none")]
    source_info: Option<String>,
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

    /// The OBS DISTURL (`obs://…`): not a download location SPDX accepts,
    /// so it travels as an `OTHER` reference (and in `sourceInfo`).
    fn disturl(disturl: &str) -> Self {
        Self {
            reference_category: "OTHER",
            reference_type: "disturl",
            // A locator may hold no whitespace.
            reference_locator: disturl.split_whitespace().collect::<Vec<_>>().join("%20"),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epochs() {
        let parse = |s: &str| source_date_epoch(Some(std::ffi::OsStr::new(s)));
        assert_eq!(parse("").ok(), Some(None));
        assert_eq!(parse("1700000000").ok(), Some(Some(1_700_000_000)));
        assert!(parse("-1").is_err());
        assert!(parse("yesterday").is_err());
        assert_eq!(source_date_epoch(None).ok(), Some(None));
    }
}
