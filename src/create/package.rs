//! Any package file: RPM or deb, told apart by its magic, read entry by entry.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use super::entry::{Entry, PackageError};
use super::{deb, rpm};
use crate::rpm::cpio;

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
    /// The Vendor tag of an RPM; a deb's `Maintainer` (who supplies it).
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
    match open(path)? {
        Opened::Deb(mut r) => Ok(deb_info(&deb::read(&name, &mut r, None)?)),
        Opened::Rpm(mut r) => Ok(rpm::read_headers(&name, &mut r)?.package),
    }
}

/// A package file opened and told apart by its magic.
enum Opened {
    /// `!<arch>`: a deb.
    Deb(Sniffed),
    /// Anything else is read as an RPM (whose reader names what is wrong).
    Rpm(Sniffed),
}

/// The file with the bytes read to tell its kind put back in front.
type Sniffed = std::io::Chain<std::io::Cursor<Vec<u8>>, BufReader<File>>;

fn open(path: &Path) -> Result<Opened, PackageError> {
    let file = File::open(path).map_err(|e| PackageError::NotAPackage {
        package: path.display().to_string(),
        format: "RPM",
        reason: crate::error::describe_io(&e),
    })?;
    let mut r = BufReader::with_capacity(1 << 16, file);
    let mut magic = [0u8; 8];
    let n = r.read(&mut magic).unwrap_or(0);
    let sniffed = std::io::Cursor::new(magic[..n].to_vec()).chain(r);
    Ok(if magic.starts_with(b"!<arch>\n") {
        Opened::Deb(sniffed)
    } else {
        Opened::Rpm(sniffed)
    })
}

/// What a deb's control says, as a [`PackageInfo`].
fn deb_info(d: &deb::DebInfo) -> PackageInfo {
    PackageInfo {
        name: d.name.clone(),
        version: d.version.clone(),
        arch: d.arch.clone(),
        vendor: Some(d.maintainer.clone()).filter(|m| !m.is_empty()),
        is_deb: true,
        ..Default::default()
    }
}

/// Reads a package file and calls `visit` for each payload entry.
pub fn read_package(
    path: &Path,
    visit: &mut dyn FnMut(&PackageInfo, Entry<'_>) -> Result<(), PackageError>,
) -> Result<PackageInfo, PackageError> {
    let name = path.display().to_string();
    match open(path)? {
        Opened::Deb(mut r) => {
            // The control is read before the data, so the info is made
            // once, at the first entry, not per entry.
            let mut info: Option<PackageInfo> = None;
            let mut deb_visit =
                |d: &deb::DebInfo, e: Entry<'_>| visit(info.get_or_insert_with(|| deb_info(d)), e);
            Ok(deb_info(&deb::read(&name, &mut r, Some(&mut deb_visit))?))
        }
        Opened::Rpm(mut r) => {
            let h = rpm::read_headers(&name, &mut r)?;
            let mut payload = rpm::payload(&name, &h, r)?;
            cpio::for_each_entry(&name, &mut payload, &h.files, &mut |e| visit(&h.package, e))?;
            Ok(h.package)
        }
    }
}
