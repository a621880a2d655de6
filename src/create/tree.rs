//! The venv's tree as `create` sees it after extraction (relocation, the
//! verifier, the SBOM): listed without following symlinks, and paths
//! resolved inside DEST only.

use std::path::{Component, Path, PathBuf};

/// A directory or entry that could not be listed.
#[derive(Debug, thiserror::Error)]
#[error("{}: {}", path.display(), crate::error::describe_io(source))]
pub struct WalkError {
    /// The path.
    pub path: PathBuf,
    /// Why.
    pub source: std::io::Error,
}

impl From<WalkError> for crate::error::Error {
    fn from(e: WalkError) -> Self {
        Self::read(&e.path, e.source)
    }
}

/// How many symlinks one resolution may pass through.
const MAX_LINKS: usize = 40;

/// What a path is (not following symlinks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link.
    Symlink,
    /// Anything else.
    Other,
}

/// One path of the tree, relative to DEST.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// Relative to DEST.
    pub rel: PathBuf,
    /// What it is.
    pub kind: Kind,
}

/// Every path under `root` (itself excluded), sorted, relative to `base`;
/// symlinks are listed, never followed.
pub fn walk(base: &Path, root: &Path) -> Result<Vec<Node>, WalkError> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let failed = |source| WalkError {
            path: dir.clone(),
            source,
        };
        for entry in std::fs::read_dir(&dir).map_err(failed)? {
            let entry = entry.map_err(failed)?;
            let path = entry.path();
            let t = entry.file_type().map_err(|source| WalkError {
                path: path.clone(),
                source,
            })?;
            let kind = if t.is_symlink() {
                Kind::Symlink
            } else if t.is_dir() {
                stack.push(path.clone());
                Kind::Dir
            } else if t.is_file() {
                Kind::File
            } else {
                Kind::Other
            };
            let rel = path.strip_prefix(base).unwrap_or(&path).to_path_buf();
            out.push(Node { rel, kind });
        }
    }
    // `Path`'s order (component by component), through a key that sorts
    // the same as plain bytes: joining components with a byte below any a
    // file name holds (NUL) makes byte order equal component order, and
    // comparing keys is a memcmp instead of a walk over components.
    out.sort_by_cached_key(|n| {
        let mut key = n.rel.as_os_str().as_encoded_bytes().to_vec();
        for b in &mut key {
            if *b == b'/' {
                *b = 0;
            }
        }
        key
    });
    Ok(out)
}

/// Lexically joins `target` (a symlink's target or a relative path) onto
/// the directory `dir` (relative to DEST); `None` when it climbs out of
/// DEST. An absolute `target` starts again at DEST's root.
pub fn join_inside(dir: &Path, target: &Path) -> Option<PathBuf> {
    let mut parts: Vec<std::ffi::OsString> = Vec::new();
    let start: &Path = if target.is_absolute() {
        Path::new("")
    } else {
        dir
    };
    for c in start.components().chain(target.components()) {
        match c {
            Component::Normal(p) => parts.push(p.to_owned()),
            Component::ParentDir => {
                parts.pop()?;
            }
            Component::CurDir | Component::RootDir | Component::Prefix(_) => {}
        }
    }
    Some(parts.iter().collect())
}

/// Resolves `rel` inside `dest`, following symlinks (relative or absolute,
/// an absolute one taken as relative to DEST, the bundle's own root) only
/// while they stay inside DEST; returns the resolved path relative to DEST
/// when it exists.
pub fn resolve_inside(dest: &Path, rel: &Path) -> Option<PathBuf> {
    let mut todo: Vec<std::ffi::OsString> = rel
        .components()
        .rev()
        .filter_map(|c| match c {
            Component::Normal(p) => Some(p.to_owned()),
            Component::ParentDir => Some("..".into()),
            _ => None,
        })
        .collect();
    let mut done = PathBuf::new();
    let mut links = 0;
    while let Some(part) = todo.pop() {
        if part == ".." {
            if !done.pop() {
                return None;
            }
            continue;
        }
        let here = done.join(&part);
        let meta = std::fs::symlink_metadata(dest.join(&here)).ok()?;
        if meta.file_type().is_symlink() {
            links += 1;
            if links > MAX_LINKS {
                return None;
            }
            let target = std::fs::read_link(dest.join(&here)).ok()?;
            if target.is_absolute() {
                done = PathBuf::new();
            }
            for c in target.components().rev() {
                match c {
                    Component::Normal(p) => todo.push(p.to_owned()),
                    Component::ParentDir => todo.push("..".into()),
                    _ => {}
                }
            }
        } else {
            done = here;
        }
    }
    Some(done)
}

/// The relative path from directory `from` to `to` (both relative to DEST).
pub fn relative(from: &Path, to: &Path) -> PathBuf {
    let a: Vec<_> = from.components().collect();
    let b: Vec<_> = to.components().collect();
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut out = PathBuf::new();
    for _ in common..a.len() {
        out.push("..");
    }
    for c in &b[common..] {
        out.push(c);
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_walk_is_in_path_order() {
        let root = tempfile::tempdir().unwrap();
        let dirs = [
            "a", "a/b", "a-b", "a.b", "a b", "ab", "a/b/c", "a/b-c", "\u{e9}", "Z",
        ];
        for d in dirs {
            std::fs::create_dir_all(root.path().join(d)).unwrap();
            for f in ["x", "x-y", "x.y", "-", "x y"] {
                std::fs::write(root.path().join(d).join(f), b"").unwrap();
            }
        }
        let walked: Vec<PathBuf> = walk(root.path(), root.path())
            .unwrap()
            .into_iter()
            .map(|n| n.rel)
            .collect();
        let mut by_path = walked.clone();
        by_path.sort();
        assert_eq!(walked, by_path);
        assert_eq!(walked.len(), dirs.len() * 6);
    }

    #[test]
    fn joins_stay_inside() {
        assert_eq!(
            join_inside(Path::new("srv/www"), Path::new("../../usr/share/x")),
            Some(PathBuf::from("usr/share/x"))
        );
        assert_eq!(
            join_inside(Path::new("srv"), Path::new("/usr/share/x")),
            Some(PathBuf::from("usr/share/x"))
        );
        assert_eq!(join_inside(Path::new("srv"), Path::new("../../x")), None);
    }

    #[test]
    fn relative_paths() {
        assert_eq!(
            relative(Path::new("srv/www"), Path::new("usr/share/x")),
            PathBuf::from("../../usr/share/x")
        );
        assert_eq!(
            relative(Path::new("bin"), Path::new("bin/x")),
            PathBuf::from("x")
        );
    }

    #[test]
    fn resolution_follows_inside_links_only() {
        let d = tempfile::tempdir().unwrap();
        let dest = d.path();
        std::fs::create_dir_all(dest.join("lib/share")).unwrap();
        std::fs::create_dir_all(dest.join("usr")).unwrap();
        std::os::unix::fs::symlink("../lib", dest.join("usr/lib")).unwrap();
        std::os::unix::fs::symlink("/lib", dest.join("abs")).unwrap();
        std::os::unix::fs::symlink("../../..", dest.join("up")).unwrap();
        assert_eq!(
            resolve_inside(dest, Path::new("usr/lib/share")),
            Some(PathBuf::from("lib/share"))
        );
        assert_eq!(
            resolve_inside(dest, Path::new("abs/share")),
            Some(PathBuf::from("lib/share"))
        );
        assert_eq!(resolve_inside(dest, Path::new("up/etc")), None);
        assert_eq!(resolve_inside(dest, Path::new("usr/nothing")), None);
    }
}
