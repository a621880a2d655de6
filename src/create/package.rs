//! Any package file: RPM or deb, told apart by its magic, read entry by entry.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use super::entry::{Entry, PackageError};
use super::{cpio, deb, rpm};

/// What a package is, for selection, logs and the track file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PackageInfo {
    /// The package name from its header (not the file name).
    pub name: String,
    /// The epoch (RPM only).
    pub epoch: Option<u32>,
    /// The version.
    pub version: String,
    /// The release (RPM only).
    pub release: String,
    /// The architecture.
    pub arch: String,
    /// The DISTURL (RPM only).
    pub disturl: Option<String>,
    /// The License tag (RPM only).
    pub license: Option<String>,
    /// The Vendor tag (RPM only).
    pub vendor: Option<String>,
    /// The build time, seconds since 1970 (RPM only).
    pub build_time: Option<u32>,
    /// True for a deb.
    pub is_deb: bool,
    /// True for a source RPM.
    pub is_source: bool,
}

/// Reads only what a package says about itself (RPM headers, deb control).
pub fn read_info(path: &Path) -> Result<PackageInfo, PackageError> {
    let name = path.display().to_string();
    let mut r = open(path)?;
    let mut magic = [0u8; 8];
    let n = r.read(&mut magic).unwrap_or(0);
    let mut r = std::io::Cursor::new(magic[..n].to_vec()).chain(r);
    if magic.starts_with(b"!<arch>\n") {
        let d = deb::read(&name, &mut r, None)?;
        return Ok(PackageInfo {
            name: d.name,
            version: d.version,
            arch: d.arch,
            is_deb: true,
            ..Default::default()
        });
    }
    let h = rpm::read_headers(&name, &mut r)?;
    Ok(rpm_info(&h))
}

fn open(path: &Path) -> Result<BufReader<File>, PackageError> {
    let file = File::open(path).map_err(|e| PackageError::NotAPackage {
        package: path.display().to_string(),
        format: "RPM",
        reason: crate::error::describe_io(&e),
    })?;
    Ok(BufReader::with_capacity(1 << 16, file))
}

fn rpm_info(h: &rpm::RpmInfo) -> PackageInfo {
    PackageInfo {
        name: h.name.clone(),
        epoch: h.epoch,
        version: h.version.clone(),
        release: h.release.clone(),
        arch: h.arch.clone(),
        disturl: h.disturl.clone(),
        license: h.license.clone(),
        vendor: h.vendor.clone(),
        build_time: h.build_time,
        is_deb: false,
        is_source: h.is_source,
    }
}

/// Reads a package file and calls `visit` for each payload entry.
pub fn read_package(
    path: &Path,
    visit: &mut dyn FnMut(&PackageInfo, Entry<'_>) -> Result<(), PackageError>,
) -> Result<PackageInfo, PackageError> {
    let name = path.display().to_string();
    let mut r = open(path)?;
    let mut magic = [0u8; 8];
    let n = r.read(&mut magic).unwrap_or(0);
    let mut r = std::io::Cursor::new(magic[..n].to_vec()).chain(r);
    if magic.starts_with(b"!<arch>\n") {
        let mut info = PackageInfo {
            is_deb: true,
            ..Default::default()
        };
        let mut deb_visit = |d: &deb::DebInfo, e: Entry<'_>| {
            visit(
                &PackageInfo {
                    name: d.name.clone(),
                    version: d.version.clone(),
                    arch: d.arch.clone(),
                    is_deb: true,
                    ..Default::default()
                },
                e,
            )
        };
        let d = deb::read(&name, &mut r, Some(&mut deb_visit))?;
        info.name = d.name;
        info.version = d.version;
        info.arch = d.arch;
        return Ok(info);
    }
    let h = rpm::read_headers(&name, &mut r)?;
    let info = rpm_info(&h);
    let mut payload = rpm::payload(&name, &h, r)?;
    cpio::for_each_entry(&name, &mut payload, &h.files, &mut |e| visit(&info, e))?;
    Ok(info)
}
