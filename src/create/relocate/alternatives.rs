//! update-alternatives links: a package ships `name -> /etc/alternatives/name`
//! and `name-X.Y`, and leaves the rest to `update-alternatives`, which never
//! runs in a venv. The link is pointed at `name-X.Y` in its own directory.
//!
//! The original wrote an absolute link to `R/<dir>/name-X.Y`; a relative
//! `name-X.Y` reaches the same file at R and also before the move, and
//! leaves nothing for the verifier to find.

use std::path::Path;

use super::{RelocateError, Relocation, Report};
use crate::create::tree::{self, Kind, Node};

/// Fixes every alternatives link among `nodes` (DEST's tree); returns how many.
pub fn fix(r: &Relocation, nodes: &[Node], report: &mut Report) -> Result<usize, RelocateError> {
    let mut fixed = 0;
    for node in nodes {
        if node.kind != Kind::Symlink {
            continue;
        }
        let path = r.dest.join(&node.rel);
        let target = std::fs::read_link(&path).map_err(|e| RelocateError::io(&path, &e))?;
        if !target.to_string_lossy().contains("alternatives") {
            continue;
        }
        let Some(name) = node
            .rel
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
        else {
            continue;
        };
        let versioned = format!("{name}-{}", r.python_version);
        let sibling = node.rel.with_file_name(&versioned);
        if tree::resolve_inside(&r.dest, &sibling).is_none() {
            report.warnings.push(format!(
                "{}: alternatives link to {} left as is: no {versioned} beside it",
                node.rel.display(),
                target.display()
            ));
            continue;
        }
        replace_link(&path, Path::new(&versioned))?;
        fixed += 1;
    }
    Ok(fixed)
}

/// Replaces the symlink at `path` with one to `target` (new link, rename).
pub fn replace_link(path: &Path, target: &Path) -> Result<(), RelocateError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".venvjail-link-{name}"));
    let _ = std::fs::remove_file(&tmp);
    std::os::unix::fs::symlink(target, &tmp).map_err(|e| RelocateError::io(&tmp, &e))?;
    std::fs::rename(&tmp, path).map_err(|e| RelocateError::io(path, &e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alternatives_point_at_the_versioned_sibling() {
        let d = tempfile::tempdir().unwrap();
        let dest = d.path().to_path_buf();
        std::fs::create_dir_all(dest.join("bin")).unwrap();
        std::fs::write(dest.join("bin/pip-3.11"), "x").unwrap();
        std::os::unix::fs::symlink("/etc/alternatives/pip", dest.join("bin/pip")).unwrap();
        std::os::unix::fs::symlink("/etc/alternatives/wheel", dest.join("bin/wheel")).unwrap();
        let r = Relocation::for_tests(&dest);
        let mut report = Report::default();
        let nodes = tree::walk(&dest, &dest).unwrap();
        assert_eq!(fix(&r, &nodes, &mut report).unwrap(), 1);
        assert_eq!(
            std::fs::read_link(dest.join("bin/pip")).unwrap(),
            Path::new("pip-3.11")
        );
        assert_eq!(
            report.warnings,
            ["bin/wheel: alternatives link to /etc/alternatives/wheel left as is: no wheel-3.11 beside it"]
        );
    }
}
