//! Absolute and broken relative links in `srv`,
//! `lib/pythonX.Y/site-packages/pytz` and every `--fix-links` directory.
//!
//! A package installed at `/` may link to `/usr/share/x` or to
//! `../../../../share/zoneinfo` (right from `/usr/lib/...`, wrong from the
//! venv's `lib/...`). Each link is resolved inside the bundle, never by
//! looking at the build host (as the original did): an absolute target is
//! taken from DEST's root, a broken relative one is tried from the link's
//! directory as if installed under `/` and under `/usr`. A target found in
//! the bundle becomes a relative link; one that is not stays as it is, with
//! a warning naming the link.

use std::path::{Path, PathBuf};

use super::alternatives::replace_link;
use super::{RelocateError, Relocation, Report};
use crate::create::tree::{self, Kind};

/// Fixes the links of the directories; returns how many were rewritten.
pub fn fix(r: &Relocation, report: &mut Report) -> Result<usize, RelocateError> {
    let mut dirs = vec![
        PathBuf::from("srv"),
        PathBuf::from(format!("lib/python{}/site-packages/pytz", r.python_version)),
    ];
    dirs.extend(r.fix_links.iter().cloned());
    let mut seen = std::collections::BTreeSet::new();
    let mut fixed = 0;
    for dir in dirs {
        let Some(real) = tree::resolve_inside(&r.dest, &dir) else {
            continue;
        };
        if !r.dest.join(&real).is_dir() || !seen.insert(real.clone()) {
            continue;
        }
        for node in tree::walk(&r.dest, &r.dest.join(&real))? {
            if node.kind == Kind::Symlink && fix_link(r, &node.rel, report)? {
                fixed += 1;
            }
        }
    }
    Ok(fixed)
}

/// Fixes one link (relative to DEST); true when it was rewritten.
fn fix_link(r: &Relocation, rel: &Path, report: &mut Report) -> Result<bool, RelocateError> {
    let path = r.dest.join(rel);
    let target = std::fs::read_link(&path).map_err(|e| RelocateError::io(&path, &e))?;
    let dir = rel.parent().unwrap_or(Path::new(""));
    let found = |candidate: Option<PathBuf>| {
        candidate.filter(|c| tree::resolve_inside(&r.dest, c).is_some())
    };
    let new_target = if target.is_absolute() {
        found(tree::join_inside(Path::new(""), &target))
    } else if found(tree::join_inside(dir, &target)).is_some() {
        return Ok(false); // a working relative link
    } else {
        ["", "usr"]
            .iter()
            .find_map(|prefix| found(tree::join_inside(&Path::new(prefix).join(dir), &target)))
    };
    match new_target {
        Some(to) => {
            replace_link(&path, &tree::relative(dir, &to))?;
            Ok(true)
        }
        None => {
            report.warnings.push(format!(
                "{}: link to {} left as is: its target is not in the bundle",
                rel.display(),
                target.display()
            ));
            Ok(false)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn relocation(dest: &Path) -> Relocation {
        Relocation {
            fix_links: vec!["share/extra".into()],
            ..Relocation::for_tests(dest)
        }
    }

    #[test]
    fn absolute_and_broken_relative_links_are_resolved_in_the_bundle() {
        let d = tempfile::tempdir().unwrap();
        let dest = d.path();
        let mk = |p: &str| std::fs::create_dir_all(dest.join(p)).unwrap();
        mk("srv/www/app");
        mk("usr/share/zoneinfo");
        mk("usr/share/app/static");
        mk("lib/python3.11/site-packages/pytz");
        mk("share/extra");
        std::os::unix::fs::symlink("/usr/share/app/static", dest.join("srv/www/app/static"))
            .unwrap();
        std::os::unix::fs::symlink("/etc/passwd", dest.join("srv/www/app/passwd")).unwrap();
        std::os::unix::fs::symlink("app", dest.join("srv/www/ok")).unwrap();
        std::os::unix::fs::symlink(
            "../../../../share/zoneinfo",
            dest.join("lib/python3.11/site-packages/pytz/zoneinfo"),
        )
        .unwrap();
        std::os::unix::fs::symlink("../../../nowhere", dest.join("share/extra/gone")).unwrap();
        let mut report = Report::default();
        assert_eq!(fix(&relocation(dest), &mut report).unwrap(), 2);
        let link = |p: &str| std::fs::read_link(dest.join(p)).unwrap();
        assert_eq!(
            link("srv/www/app/static"),
            Path::new("../../../usr/share/app/static")
        );
        assert_eq!(
            link("lib/python3.11/site-packages/pytz/zoneinfo"),
            Path::new("../../../../usr/share/zoneinfo")
        );
        assert_eq!(link("srv/www/ok"), Path::new("app"));
        assert_eq!(
            report.warnings,
            [
                "srv/www/app/passwd: link to /etc/passwd left as is: its target is not in the bundle",
                "share/extra/gone: link to ../../../nowhere left as is: its target is not in the bundle",
            ]
        );
    }
}
