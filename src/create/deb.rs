//! deb files: an `ar` archive whose `data.tar[.gz|.xz|.zst|.bz2]` member is
//! the payload, and whose `control.tar` names the package.

use std::io::{BufReader, Read};

use super::entry::{Entry, EntryKind, PackageError};
use super::payload::{decompressor, Compressor};

/// What a deb's control file says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DebInfo {
    /// `Package`.
    pub name: String,
    /// `Version`.
    pub version: String,
    /// `Architecture`.
    pub arch: String,
    /// `Maintainer` (the SBOM's supplier of a deb).
    pub maintainer: String,
}

/// The visitor of a deb's payload entries.
pub type DebVisitor<'v> = dyn FnMut(&DebInfo, Entry<'_>) -> Result<(), PackageError> + 'v;

/// Reads a deb: its control fields, and each payload entry through
/// `visit`; without a visitor it stops once the control fields are read.
pub fn read(
    package: &str,
    r: &mut dyn Read,
    mut visit: Option<&mut DebVisitor<'_>>,
) -> Result<DebInfo, PackageError> {
    let not_deb = |reason: String| PackageError::NotAPackage {
        package: package.to_owned(),
        format: "deb",
        reason,
    };
    let corrupt = |entry: &str, reason: String| PackageError::Corrupt {
        package: package.to_owned(),
        entry: entry.to_owned(),
        reason,
    };
    let mut magic = [0u8; 8];
    r.read_exact(&mut magic)
        .map_err(|_| not_deb("shorter than an ar header".into()))?;
    if &magic != b"!<arch>\n" {
        return Err(not_deb("no ar magic".into()));
    }
    let mut info = DebInfo::default();
    let mut offset = 8u64;
    loop {
        let mut head = [0u8; 60];
        match r.read(&mut head[..1]) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => return Err(corrupt("ar member", e.to_string())),
        }
        r.read_exact(&mut head[1..])
            .map_err(|_| corrupt("ar member", "the file ends in a member header".into()))?;
        offset += 60;
        let name = String::from_utf8_lossy(&head[..16])
            .trim_end()
            .trim_end_matches('/')
            .to_owned();
        let size: u64 = String::from_utf8_lossy(&head[48..58])
            .trim()
            .parse()
            .map_err(|_| corrupt(&name, "bad ar member size".into()))?;
        let mut member = (&mut *r).take(size);
        if name.starts_with("control.tar") {
            let compressor = Compressor::from_member(&name.replacen("control", "data", 1))
                .ok_or_else(|| PackageError::Unsupported {
                    package: package.to_owned(),
                    what: "control member",
                    value: name.clone(),
                })?;
            let data = decompressor(package, compressor, BufReader::new(&mut member))?;
            info = read_control(package, data)?;
            if visit.is_none() {
                return Ok(info);
            }
        } else if name.starts_with("data.tar") {
            let compressor =
                Compressor::from_member(&name).ok_or_else(|| PackageError::Unsupported {
                    package: package.to_owned(),
                    what: "data member",
                    value: name.clone(),
                })?;
            if info.name.is_empty() {
                return Err(corrupt(&name, "data.tar comes before control.tar".into()));
            }
            let data = decompressor(package, compressor, BufReader::new(&mut member))?;
            if let Some(visit) = visit.as_deref_mut() {
                read_tar(package, data, &mut |e| visit(&info, e))?;
            }
        }
        let rest = member.limit();
        std::io::copy(&mut (&mut *r).take(rest), &mut std::io::sink())
            .map_err(|e| corrupt(&name, e.to_string()))?;
        offset += size;
        if offset % 2 == 1 {
            let mut pad = [0u8; 1];
            let _ = r.read(&mut pad);
            offset += 1;
        }
    }
    if info.name.is_empty() {
        return Err(not_deb("no control.tar member".into()));
    }
    Ok(info)
}

fn read_control(package: &str, data: impl Read) -> Result<DebInfo, PackageError> {
    let corrupt = |reason: String| PackageError::Corrupt {
        package: package.to_owned(),
        entry: "control.tar".into(),
        reason,
    };
    let mut archive = tar::Archive::new(data);
    for entry in archive.entries().map_err(|e| corrupt(e.to_string()))? {
        let mut entry = entry.map_err(|e| corrupt(e.to_string()))?;
        let path = entry
            .path()
            .map_err(|e| corrupt(e.to_string()))?
            .to_string_lossy()
            .into_owned();
        if path.trim_start_matches("./") != "control" {
            continue;
        }
        let mut text = String::new();
        entry
            .by_ref()
            .take(1 << 20)
            .read_to_string(&mut text)
            .map_err(|e| corrupt(e.to_string()))?;
        let field = |name: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(name).and_then(|v| v.strip_prefix(':')))
                .map(|v| v.trim().to_owned())
                .unwrap_or_default()
        };
        return Ok(DebInfo {
            name: field("Package"),
            version: field("Version"),
            arch: field("Architecture"),
            maintainer: field("Maintainer"),
        });
    }
    Err(corrupt("no control file".into()))
}

fn read_tar(
    package: &str,
    data: impl Read,
    visit: &mut dyn FnMut(Entry<'_>) -> Result<(), PackageError>,
) -> Result<(), PackageError> {
    let mut archive = tar::Archive::new(data);
    let entries = archive.entries().map_err(|e| PackageError::Corrupt {
        package: package.to_owned(),
        entry: "data.tar".into(),
        reason: e.to_string(),
    })?;
    let mut last = String::from("the start of data.tar");
    for entry in entries {
        let mut entry = entry.map_err(|e| PackageError::Corrupt {
            package: package.to_owned(),
            entry: format!("the entry after {last}"),
            reason: e.to_string(),
        })?;
        let header = entry.header();
        let path = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let mode = header.mode().unwrap_or(0o644) & 0o7777;
        let mtime = header.mtime().unwrap_or(0) as i64;
        let link = entry
            .link_name_bytes()
            .map(|l| String::from_utf8_lossy(&l).into_owned())
            .unwrap_or_default();
        let kind = match header.entry_type() {
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                EntryKind::File { size: entry.size() }
            }
            tar::EntryType::Directory => EntryKind::Directory,
            tar::EntryType::Symlink => EntryKind::Symlink { target: link },
            tar::EntryType::Link => EntryKind::HardLink { target: link },
            tar::EntryType::Char | tar::EntryType::Block => EntryKind::Device,
            tar::EntryType::Fifo => EntryKind::Fifo,
            _ => EntryKind::Other,
        };
        visit(Entry {
            path: path.clone(),
            kind,
            mode,
            mtime,
            data: &mut entry,
        })?;
        last = path;
    }
    Ok(())
}
