//! RPM files as `create` reads them: the main header's tags it needs (read
//! by [`crate::rpm`]), then the compressed cpio payload, decompressed here.

use std::io::{BufRead, BufReader, Read};

use super::entry::PackageError;
use super::package::PackageInfo;
use super::payload::{decompressor, Compressor};
use crate::rpm::tag::*;
pub use crate::rpm::HeaderFile;

/// What the main header says about a package.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RpmInfo {
    /// NAME, EPOCH, VERSION, RELEASE, ARCH, DISTURL, LICENSE, VENDOR,
    /// BUILDTIME, and whether it is a source package (no SOURCERPM).
    pub package: PackageInfo,
    /// `PAYLOADFORMAT` (`cpio`).
    pub payload_format: String,
    /// `PAYLOADCOMPRESSOR`; empty when absent (the payload's magic decides).
    pub payload_compressor: String,
    /// The header's file list, read only when the package has
    /// `LONGFILESIZES`: rpm (≥ 4.12) then writes the payload as "stripped"
    /// cpio (`07070X`), whose entries carry nothing but an index into it.
    pub files: Vec<HeaderFile>,
}

/// Reads the lead and both headers from `r`, leaving it at the payload.
pub fn read_headers(package: &str, r: &mut impl Read) -> Result<RpmInfo, PackageError> {
    let main = crate::rpm::read_lead_and_header(package, r)?;
    let string = |tag| main.string(tag);
    Ok(RpmInfo {
        package: PackageInfo {
            name: string(NAME).ok_or_else(|| PackageError::NotAPackage {
                package: package.to_owned(),
                format: "RPM",
                reason: "no NAME in the header".into(),
            })?,
            epoch: main.int32(EPOCH),
            version: string(VERSION).unwrap_or_default(),
            release: string(RELEASE).unwrap_or_default(),
            arch: string(ARCH).unwrap_or_default(),
            disturl: string(DISTURL),
            license: string(LICENSE),
            vendor: string(VENDOR),
            build_time: main.int32(BUILDTIME),
            is_deb: false,
            is_source: main.string(SOURCERPM).is_none(),
        },
        payload_format: string(PAYLOADFORMAT).unwrap_or_else(|| "cpio".into()),
        payload_compressor: string(PAYLOADCOMPRESSOR).unwrap_or_default(),
        files: if main.has(LONGFILESIZES) {
            main.long_files().ok_or_else(|| PackageError::Corrupt {
                package: package.to_owned(),
                entry: "main header".into(),
                reason: "its file list is inconsistent".into(),
            })?
        } else {
            Vec::new()
        },
    })
}

/// Opens the payload of an RPM positioned after its headers: the
/// decompressed cpio stream.
pub fn payload<'r>(
    package: &str,
    info: &RpmInfo,
    r: impl Read + 'r,
) -> Result<Box<dyn Read + 'r>, PackageError> {
    if info.payload_format != "cpio" {
        return Err(PackageError::Unsupported {
            package: package.to_owned(),
            what: "payload format",
            value: info.payload_format.clone(),
        });
    }
    let mut r = BufReader::new(r);
    let compressor = if info.payload_compressor.is_empty() {
        // No tag: rpm2cpio reads it as gzip, whose reader passes plain data
        // through; the magic tells what it really is.
        let head = r.fill_buf().map_err(|e| PackageError::Corrupt {
            package: package.to_owned(),
            entry: "payload".into(),
            reason: e.to_string(),
        })?;
        sniff(head)
    } else {
        Compressor::from_rpm(&info.payload_compressor).ok_or_else(|| PackageError::Unsupported {
            package: package.to_owned(),
            what: "payload compressor",
            value: info.payload_compressor.clone(),
        })?
    };
    decompressor(package, compressor, r)
}

/// The compressor a stream starts with (gzip when nothing else matches).
fn sniff(head: &[u8]) -> Compressor {
    if head.starts_with(b"0707") {
        Compressor::None
    } else if head.starts_with(b"BZh") {
        Compressor::Bzip2
    } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        Compressor::Xz
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Compressor::Zstd
    } else if head.starts_with(&[0x5d, 0, 0]) {
        Compressor::Lzma
    } else {
        Compressor::Gzip
    }
}
