//! Directory permissions: the original's table. Directories no package
//! owns are created by the extraction with whatever mode it had at hand;
//! these well-known ones get the mode a system gives them.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use super::RelocateError;
use crate::create::tree;

/// The original's table (venvjail.py `_fix_filesystem`).
pub const DIRECTORY_MODES: [(&str, u32); 19] = [
    ("etc", 0o755),
    ("etc/cron.daily", 0o755),
    ("etc/logrotate.d", 0o755),
    ("etc/modprobe.d", 0o755),
    ("etc/sudoers.d", 0o750),
    ("srv", 0o755),
    ("srv/www", 0o755),
    ("usr", 0o755),
    ("usr/share", 0o755),
    ("usr/share/doc", 0o755),
    ("usr/share/doc/packages", 0o755),
    ("usr/share/help", 0o755),
    ("usr/share/help/C", 0o755),
    ("usr/share/man", 0o755),
    ("usr/share/man/man1", 0o755),
    ("var", 0o755),
    ("var/cache", 0o755),
    ("var/lib", 0o755),
    ("var/log", 0o755),
];

/// Gives each directory of the table that exists inside DEST its mode;
/// returns how many changed.
pub fn fix(dest: &Path) -> Result<usize, RelocateError> {
    let mut changed = 0;
    for (rel, mode) in DIRECTORY_MODES {
        let Some(real) = tree::resolve_inside(dest, Path::new(rel)) else {
            continue;
        };
        let path = dest.join(real);
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if !meta.is_dir() || meta.permissions().mode() & 0o7777 == mode {
            continue;
        }
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))
            .map_err(|e| RelocateError::io(&path, &e))?;
        changed += 1;
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_modes_are_applied_inside_only() {
        let d = tempfile::tempdir().unwrap();
        let dest = d.path().join("dest");
        std::fs::create_dir_all(dest.join("etc/sudoers.d")).unwrap();
        std::fs::create_dir_all(d.path().join("outside")).unwrap();
        std::fs::set_permissions(dest.join("etc"), std::fs::Permissions::from_mode(0o700)).unwrap();
        std::fs::set_permissions(
            dest.join("etc/sudoers.d"),
            std::fs::Permissions::from_mode(0o777),
        )
        .unwrap();
        std::fs::set_permissions(
            d.path().join("outside"),
            std::fs::Permissions::from_mode(0o700),
        )
        .unwrap();
        std::os::unix::fs::symlink("../outside", dest.join("var")).unwrap();
        assert_eq!(fix(&dest).unwrap(), 2);
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode(&dest.join("etc")), 0o755);
        assert_eq!(mode(&dest.join("etc/sudoers.d")), 0o750);
        assert_eq!(mode(&d.path().join("outside")), 0o700);
    }
}
