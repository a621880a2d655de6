//! Replacing a file atomically: a temp file in the same directory, fsync,
//! the original's mode and ownership, then rename. Readers see the old or
//! the new file, never half of one.

use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use crate::error::Error;

/// Replaces (or creates) `path` with `contents`.
///
/// A file without any write permission bit is refused (also for root, who
/// could otherwise write it): the packager marked it read-only on purpose.
pub fn replace_file(path: &Path, contents: &[u8]) -> Result<(), Error> {
    let write_err = |source: std::io::Error| Error::Write {
        path: path.to_owned(),
        source,
    };
    let existing = match std::fs::metadata(path) {
        Ok(m) => Some(m),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(write_err(e)),
    };
    if let Some(m) = &existing {
        if m.permissions().mode() & 0o222 == 0 {
            return Err(Error::ReadOnly {
                path: path.to_owned(),
            });
        }
    }
    let replacement = Replacement {
        mode: existing
            .as_ref()
            .map_or(0o644, |m| m.permissions().mode() & 0o7777),
        // Keeping the owner needs privileges the packager may not have;
        // the file is then owned by whoever rewrote it, as with `sed -i`.
        owner: existing.as_ref().map(|m| (m.uid(), m.gid())),
        mtime: None,
        sync: true,
    };
    write_beside(path, contents, &replacement).map_err(write_err)?;
    Ok(())
}

/// What [`write_beside`] gives the new file.
#[derive(Debug, Clone, Copy)]
pub struct Replacement {
    /// Permission bits.
    pub mode: u32,
    /// Owner and group to try to keep (failure is not an error).
    pub owner: Option<(u32, u32)>,
    /// Modification time to set; `None` leaves "now".
    pub mtime: Option<std::time::SystemTime>,
    /// Flush the file and its directory to disk before and after the rename.
    pub sync: bool,
}

/// Writes `contents` to a temporary file beside `path`, gives it `how`,
/// and renames it over `path` (which may not exist): readers see the old
/// file or the new one, never half of one, and a symlink at `path` is
/// replaced, never written through.
pub fn write_beside(path: &Path, contents: &[u8], how: &Replacement) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".venvjail-")
        .tempfile_in(dir)?;
    tmp.write_all(contents)?;
    let file = tmp.as_file();
    file.set_permissions(std::fs::Permissions::from_mode(how.mode))?;
    if let Some((uid, gid)) = how.owner {
        let _ = std::os::unix::fs::fchown(file, Some(uid), Some(gid));
    }
    if let Some(mtime) = how.mtime {
        file.set_modified(mtime)?;
    }
    if how.sync {
        file.sync_all()?;
    }
    tmp.persist(path).map_err(|e| e.error)?;
    if how.sync {
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}
