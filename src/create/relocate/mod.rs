//! `create` step 6 (DESIGN §6): make the venv built in DEST run from its
//! final location R, the original's fixes done right.
//!
//! Each step is its own module, run in the original's order except that
//! [`activators`] (`bin/activate*`) comes first, so its one failure
//! leaves the tree untouched: [`permissions`] (directory modes),
//! [`alternatives`] (update-alternatives links), [`links`] (absolute and
//! broken relative links), [`shebang`] (first lines of scripts), [`loader`]
//! (the `bin/python*` shim), [`systemd`] (units), then what the original
//! left out: [`pyvenv_cfg`] (`command =`) and [`record`] (RECORD entries and
//! stale `.pyc` of every file relocation changed).
//!
//! Every step works inside DEST only: it lists the tree without following
//! symlinks ([`crate::create::tree`]), follows a symlink only when it resolves inside DEST,
//! and rewrites a file by writing a temporary file beside it and renaming
//! it over (never writing through a symlink), keeping its mode and mtime so
//! the result is deterministic.

pub mod activators;
pub mod alternatives;
pub mod links;
pub mod loader;
pub mod permissions;
pub mod pyvenv_cfg;
pub mod record;
pub mod shebang;
pub mod systemd;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::create::tree;

/// Why relocation failed; names the file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RelocateError {
    /// Reading, writing or listing a file failed.
    #[error("{path}: {reason}")]
    Io {
        /// The path (absolute).
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// An activator lacks the line the library path goes after.
    #[error("{path}: no 'deactivate nondestructive' line to add LD_LIBRARY_PATH after")]
    NoDeactivateLine {
        /// The activator.
        path: PathBuf,
    },
    /// A `--no-relocate-shebang-list` pattern is not a glob.
    #[error("--no-relocate-shebang-list: {pattern}: {reason}")]
    BadGlob {
        /// The pattern.
        pattern: String,
        /// Why.
        reason: String,
    },
    /// A unit cannot be renamed to `venv-NAME.service`: that name is taken.
    #[error("{path}: cannot rename it, {taken} exists")]
    UnitNameTaken {
        /// The unit.
        path: PathBuf,
        /// The name in the way.
        taken: String,
    },
}

impl From<tree::WalkError> for RelocateError {
    fn from(e: tree::WalkError) -> Self {
        Self::io(&e.path, &e.source)
    }
}

impl RelocateError {
    /// An I/O error about `path`.
    pub fn io(path: &Path, e: &std::io::Error) -> Self {
        Self::Io {
            path: path.to_owned(),
            reason: crate::error::describe_io(e),
        }
    }
}

/// What relocation needs to know.
#[derive(Debug, Clone)]
pub struct Relocation {
    /// DEST as the build sees it: absolute, as `venv` wrote it into its files.
    pub dest: PathBuf,
    /// DEST_DIR as given on the command line: `--no-relocate-shebang-list`
    /// globs match `DEST_DIR/relative/path`, as the original's help says.
    pub dest_arg: PathBuf,
    /// Where the venv will live: R (see [`final_location`]).
    pub target: PathBuf,
    /// The Python version, `X.Y` (alternatives suffix, the pytz directory).
    pub python_version: String,
    /// Globs of files whose shebang stays.
    pub no_relocate_shebang: Vec<String>,
    /// Directories (relative to DEST) whose links are fixed, besides `srv`
    /// and `lib/pythonX.Y/site-packages/pytz`.
    pub fix_links: Vec<PathBuf>,
}

impl Relocation {
    /// A relocation of `dest` to `/opt/venv/venv` for Python 3.11, as the
    /// unit tests use it.
    #[cfg(test)]
    pub(crate) fn for_tests(dest: &Path) -> Self {
        Self {
            dest: dest.to_path_buf(),
            dest_arg: "venv".into(),
            target: "/opt/venv/venv".into(),
            python_version: "3.11".into(),
            no_relocate_shebang: vec![],
            fix_links: vec![],
        }
    }
}

/// What relocation did.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Files whose content changed (relative to DEST, `/`-separated).
    pub changed: BTreeSet<String>,
    /// Files removed (stale `.pyc`).
    pub removed: BTreeSet<String>,
    /// Warnings, each naming the path.
    pub warnings: Vec<String>,
    /// Files each step touched, in order (printed with `-v`).
    pub steps: Vec<(&'static str, usize)>,
}

/// R: `RELOCATE/DEST_DIR`, as the original computes it (`/opt/venv` and
/// `venv` give `/opt/venv/venv`; an absolute DEST_DIR is used as is).
pub fn final_location(relocate: &Path, dest_dir: &Path) -> PathBuf {
    relocate.join(dest_dir)
}

/// Runs every step on `r.dest`.
///
/// The activators go first: a missing `deactivate nondestructive` line is
/// found before anything is changed. The tree is listed once for the steps
/// that look at every file (alternatives, shebangs, RECORD); none of the
/// steps before RECORD adds or removes a path there.
pub fn relocate(r: &Relocation) -> Result<Report, RelocateError> {
    let mut report = Report::default();
    let n = activators::fix(r, &mut report)?;
    report.steps.push(("activators", n));
    let n = permissions::fix(&r.dest)?;
    report.steps.push(("permissions", n));
    let nodes = tree::walk(&r.dest, &r.dest)?;
    let n = alternatives::fix(r, &nodes, &mut report)?;
    report.steps.push(("alternatives", n));
    let n = links::fix(r, &mut report)?;
    report.steps.push(("links", n));
    let n = shebang::fix(r, &nodes, &mut report)?;
    report.steps.push(("shebangs", n));
    let n = loader::fix(r, &mut report)?;
    report.steps.push(("loaders", n));
    let n = systemd::fix(r, &mut report)?;
    report.steps.push(("systemd units", n));
    let n = pyvenv_cfg::fix(r, &mut report)?;
    report.steps.push(("pyvenv.cfg", n));
    let n = record::fix(r, &nodes, &mut report)?;
    report.steps.push(("RECORD and bytecode", n));
    Ok(report)
}

/// Replaces the regular file `path` with `contents` (temp file + rename),
/// keeping its mode and mtime, or with `mode` when given. Not synced to
/// disk: a build directory is rebuilt, not recovered.
pub fn rewrite(path: &Path, contents: &[u8], mode: Option<u32>) -> Result<(), RelocateError> {
    use std::os::unix::fs::PermissionsExt;
    let err = |e: std::io::Error| RelocateError::io(path, &e);
    let meta = std::fs::symlink_metadata(path).map_err(err)?;
    let how = crate::atomic_write::Replacement {
        mode: mode.unwrap_or(meta.permissions().mode() & 0o7777),
        owner: None,
        mtime: Some(meta.modified().map_err(err)?),
        sync: false,
    };
    crate::atomic_write::write_beside(path, contents, &how).map_err(err)
}

/// `path` relative to `dest`, `/`-separated, for messages and reports.
pub fn shown(dest: &Path, path: &Path) -> String {
    path.strip_prefix(dest)
        .unwrap_or(path)
        .to_string_lossy()
        .into_owned()
}
