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
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".venvjail-")
        .tempfile_in(dir)
        .map_err(write_err)?;
    tmp.write_all(contents).map_err(write_err)?;
    let mode = existing
        .as_ref()
        .map_or(0o644, |m| m.permissions().mode() & 0o7777);
    let file = tmp.as_file();
    file.set_permissions(std::fs::Permissions::from_mode(mode))
        .map_err(write_err)?;
    if let Some(m) = &existing {
        // Keeping the owner needs privileges the packager may not have;
        // the file is then owned by whoever rewrote it, as with `sed -i`.
        let _ = std::os::unix::fs::fchown(file, Some(m.uid()), Some(m.gid()));
    }
    file.sync_all().map_err(write_err)?;
    tmp.persist(path).map_err(|e| write_err(e.error))?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}
