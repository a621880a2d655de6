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
    /// True for a deb.
    pub is_deb: bool,
    /// True for a source RPM.
    pub is_source: bool,
}

/// Reads a package file and calls `visit` for each payload entry.
pub fn read_package(
    path: &Path,
    visit: &mut dyn FnMut(&PackageInfo, Entry<'_>) -> Result<(), PackageError>,
) -> Result<PackageInfo, PackageError> {
    let name = path.display().to_string();
    let file = File::open(path).map_err(|e| PackageError::NotAPackage {
        package: name.clone(),
        format: "RPM",
        reason: crate::error::describe_io(&e),
    })?;
    let mut r = BufReader::with_capacity(1 << 16, file);
    let mut magic = [0u8; 8];
    let n = r.read(&mut magic).unwrap_or(0);
    let mut r = std::io::Cursor::new(magic[..n].to_vec()).chain(r);
    if magic.starts_with(b"!<arch>\n") {
        let mut info = PackageInfo {
            is_deb: true,
            ..Default::default()
        };
        let d = deb::read(&name, &mut r, &mut |d, e| {
            info.name.clone_from(&d.name);
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
        })?;
        info.name = d.name;
        info.version = d.version;
        info.arch = d.arch;
        return Ok(info);
    }
    let h = rpm::read_headers(&name, &mut r)?;
    let info = PackageInfo {
        name: h.name.clone(),
        epoch: h.epoch,
        version: h.version.clone(),
        release: h.release.clone(),
        arch: h.arch.clone(),
        disturl: h.disturl.clone(),
        is_deb: false,
        is_source: h.is_source,
    };
    let mut payload = rpm::payload(&name, &h, r)?;
    cpio::for_each_entry(&name, &mut payload, &mut |e| visit(&info, e))?;
    Ok(info)
}
