//! `create` steps 1–5 and 8 (DESIGN §6): the venv, the packages of the
//! repository selected by name, extracted in sorted order, `remove-file`,
//! `packages.log` and the track file. Relocation (steps 6–7) is applied to
//! the result separately.

use std::path::{Path, PathBuf};

use super::extract::{Conflict, ConflictPolicy, Extractor, Stats};
use super::package::{read_info, PackageInfo};
use super::pipeline::{extract_packages, Job};
use super::relocate::{self, Relocation};
use super::sbom::{self, IncludedPackage, SbomOptions};
use super::{distributions, records, tree, venv, verify};
use crate::error::Error;
use crate::rules::{PackageList, Selection};

/// What selection matches the lists against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MatchOn {
    /// The package name from its header (venvjail).
    #[default]
    Name,
    /// The file name (venvjail.py's behaviour).
    FileName,
}

/// Everything `create` needs, validated.
#[derive(Debug, Clone)]
pub struct CreateOptions {
    /// The venv directory.
    pub dest: PathBuf,
    /// The interpreter (`python3.11`).
    pub python: String,
    /// Pass `--system-site-packages` to venv.
    pub system_site_packages: bool,
    /// The directory holding the packages.
    pub repo: PathBuf,
    /// The include, exclude and remove lists.
    pub selection: Selection,
    /// `remove-file` patterns, matched on paths relative to DEST.
    pub remove: PackageList,
    /// Where to write the track file.
    pub track: Option<PathBuf>,
    /// Where and how to write the SBOM (`--sbom`).
    pub sbom: Option<SbomOptions>,
    /// What the lists match.
    pub match_on: MatchOn,
    /// What a conflict does.
    pub conflicts: ConflictPolicy,
    /// Allow a DEST that exists and is not empty.
    pub force: bool,
    /// Skip (with a warning) files that are not packages.
    pub skip_bad: bool,
    /// Where the venv will live (R, DESIGN §6.6).
    pub target: PathBuf,
    /// Globs of files whose shebang stays (`--no-relocate-shebang-list`).
    pub no_relocate_shebang: Vec<String>,
    /// More directories whose links are fixed (`--fix-links`).
    pub fix_links: Vec<PathBuf>,
    /// `-p X.Y`, when given (else read from the venv's `pyvenv.cfg`).
    pub python_version: Option<String>,
    /// Leftovers of the build path fail the run (`--strict`).
    pub strict: bool,
}

/// What a run did.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// Included package files.
    pub included: Vec<String>,
    /// Excluded package files.
    pub excluded: Vec<String>,
    /// Paths removed by `remove-file`.
    pub removed: Vec<String>,
    /// Files written and bytes.
    pub stats: Stats,
    /// Paths two packages shipped with different content.
    pub conflicts: Vec<Conflict>,
    /// Warnings, in order.
    pub warnings: Vec<String>,
    /// What relocation changed.
    pub relocation: relocate::Report,
    /// Files of the relocated venv that still hold the build path, one
    /// line each (`path: N occurrences`), and the verifier's closing line.
    pub leftovers: (Vec<String>, String),
}

impl Outcome {
    /// The summary line printed last.
    pub fn summary(&self) -> String {
        format!(
            "venvjail: {} packages included, {} excluded, {} files, {} bytes, {} conflict{}",
            self.included.len(),
            self.excluded.len(),
            self.stats.files,
            self.stats.bytes,
            self.conflicts.len(),
            if self.conflicts.len() == 1 { "" } else { "s" }
        )
    }
}

/// Runs `create`; `progress` is told about each package as it is extracted.
pub fn create(
    opts: &CreateOptions,
    progress: &mut dyn FnMut(usize, usize, &str),
) -> Result<Outcome, Error> {
    let mut out = Outcome::default();
    let before = check_dest(&opts.dest, opts.force)?;
    if let Some(track) = &opts.track {
        check_writable(track)?;
    }
    if let Some(sbom) = &opts.sbom {
        sbom::check_target(&sbom.path)?;
    }
    // Every package is read (headers only) and selected before anything is written.
    let mut candidates = Vec::new();
    for path in package_files(&opts.repo)? {
        let file_name = file_name(&path);
        match read_info(&path) {
            Ok(info) => candidates.push((file_name, path, info)),
            Err(e) if opts.skip_bad => out.warnings.push(format!("{e}: skipped (--skip-bad)")),
            Err(e) => return Err(Error::Invalid(e.to_string())),
        }
    }
    let mut selected: Vec<(String, PathBuf, PackageInfo)> = Vec::new();
    for (file_name, path, info) in candidates {
        let key = match opts.match_on {
            MatchOn::Name => info.name.as_str(),
            MatchOn::FileName => file_name.as_str(),
        };
        if info.is_source {
            // rpm's headerIsSource: a binary package always names its source.
            out.warnings.push(format!(
                "{file_name}: no SOURCERPM in its header, so it is a source package: skipped"
            ));
            out.excluded.push(file_name);
        } else if opts.selection.selects(key) {
            selected.push((file_name, path, info));
        } else {
            out.excluded.push(file_name);
        }
    }
    selected.sort_by(|a, b| (&a.2.name, &a.0).cmp(&(&b.2.name, &b.0)));

    // venv writes the absolute DEST into its files; relocation looks for
    // exactly that spelling.
    let dest = absolute(&opts.dest)?;
    let mut unfinished = Unfinished {
        dest: &dest,
        before,
        finished: false,
    };
    venv::make_venv(&opts.python, &dest, opts.system_site_packages)?;
    let mut extractor = Extractor::new(&dest, opts.conflicts).map_err(|source| Error::Write {
        path: dest.clone(),
        source,
    })?;
    let total = selected.len();
    let jobs: Vec<Job<'_>> = selected
        .iter()
        .map(|(_, path, info)| Job {
            path,
            name: &info.name,
        })
        .collect();
    extract_packages(
        &jobs,
        &mut extractor,
        &mut |n| progress(n + 1, total, &selected[n].0),
        &mut |n, _| out.included.push(selected[n].0.clone()),
    )
    .map_err(|e| Error::Invalid(e.to_string()))?;
    out.removed = remove_files(&dest, &opts.remove)?;
    extractor.finish().map_err(|source| Error::Write {
        path: dest.clone(),
        source,
    })?;
    let relocation = Relocation {
        python_version: match &opts.python_version {
            Some(v) => v.clone(),
            None => venv::python_version(&dest)?,
        },
        dest: dest.clone(),
        dest_arg: opts.dest.clone(),
        target: opts.target.clone(),
        no_relocate_shebang: opts.no_relocate_shebang.clone(),
        fix_links: opts.fix_links.clone(),
    };
    out.relocation = relocate::relocate(&relocation).map_err(|e| Error::Invalid(e.to_string()))?;
    // Step 7: what relocation could not reach is reported, per file. A
    // venv built where it will live (an absolute DEST_DIR) has nothing to
    // find.
    let needles = verify::needles(&dest)?;
    let found = if absolute(&opts.target)? == dest {
        verify::Leftovers::default()
    } else {
        verify::scan(&dest, &needles)?
    };
    out.leftovers = (
        found.files.iter().map(ToString::to_string).collect(),
        found.summary(&needles),
    );
    if opts.strict && !found.is_clean() {
        return Err(Error::Invalid(format!(
            "{} (--strict): {}",
            out.leftovers.1,
            out.leftovers.0.join(", ")
        )));
    }
    out.stats = extractor.stats;
    out.conflicts = std::mem::take(&mut extractor.conflicts);
    out.warnings.append(&mut extractor.warnings);
    out.warnings.append(&mut out.relocation.warnings);
    for c in &out.conflicts {
        out.warnings.push(format!(
            "{}: shipped by {} and {} with different content; {} wins",
            c.path, c.first, c.second, c.second
        ));
    }
    if let Some(sbom) = &opts.sbom {
        out.warnings
            .append(&mut write_sbom(sbom, &dest, &selected, &extractor)?);
    }
    let log = records::packages_log(&out.included, &out.excluded, &out.removed);
    crate::atomic_write::replace_file(&dest.join("packages.log"), log.as_bytes())?;
    if let Some(track) = &opts.track {
        let infos: Vec<(String, PackageInfo)> =
            selected.into_iter().map(|(f, _, i)| (f, i)).collect();
        crate::atomic_write::replace_file(track, records::track_file(&infos).as_bytes())?;
    }
    unfinished.finished = true;
    Ok(out)
}

/// `path` made absolute against the current directory, `.` and `..`
/// resolved lexically (as Python's `os.path.abspath`, which `venv` uses).
fn absolute(path: &Path) -> Result<PathBuf, Error> {
    let joined = std::path::absolute(path).map_err(|e| Error::read(path, e))?;
    let mut out = PathBuf::new();
    for c in joined.components() {
        match c {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    Ok(out)
}

/// Writes the SBOM of the extracted venv; returns its warnings.
fn write_sbom(
    sbom: &SbomOptions,
    dest: &Path,
    selected: &[(String, PathBuf, PackageInfo)],
    extractor: &Extractor,
) -> Result<Vec<String>, Error> {
    let (found, warnings) = distributions::find(dest, extractor.owners())?;
    let packages: Vec<IncludedPackage<'_>> = selected
        .iter()
        .map(|(file_name, path, info)| IncludedPackage {
            file_name,
            path,
            info,
        })
        .collect();
    // `create .` names the venv after the directory it is.
    let name = match (
        sbom.name.as_ref().filter(|n| !n.is_empty()),
        dest.file_name(),
    ) {
        (Some(n), _) => n.clone(),
        (None, Some(n)) => n.to_string_lossy().into_owned(),
        (None, None) => file_name(&dest.canonicalize().map_err(|e| Error::read(dest, e))?),
    };
    let venv = sbom::Venv {
        name: &name,
        version: sbom.version.as_deref().filter(|v| !v.is_empty()),
        supplier: sbom.supplier.as_deref().filter(|v| !v.trim().is_empty()),
    };
    let doc = sbom::document(venv, &packages, &found, sbom.source_date_epoch)?;
    crate::atomic_write::replace_file(&sbom.path, &doc)?;
    Ok(warnings)
}

/// DEST must be absent or empty, unless `force`.
fn check_dest(dest: &Path, force: bool) -> Result<Before, Error> {
    match std::fs::read_dir(dest) {
        Ok(entries) => {
            let empty = entries.into_iter().next().is_none();
            if empty {
                Ok(Before::Empty)
            } else if force {
                Ok(Before::Full)
            } else {
                Err(Error::Invalid(format!(
                    "{} exists and is not empty: give --force to extract over it",
                    dest.display()
                )))
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Before::Absent),
        Err(e) => Err(Error::read(dest, e)),
    }
}

/// What DEST was before the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Before {
    /// It did not exist.
    Absent,
    /// An empty directory.
    Empty,
    /// A directory with content (`--force`).
    Full,
}

/// Puts DEST back as it was when the run fails after it started writing
/// there (a corrupt payload, a relocation error, `--strict`), so a failed
/// build leaves no half venv: removed if the run made it, emptied if it was
/// empty. A DEST that had content (`--force`) is left as it is.
struct Unfinished<'a> {
    dest: &'a Path,
    before: Before,
    finished: bool,
}

impl Drop for Unfinished<'_> {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        match self.before {
            Before::Absent => {
                let _ = std::fs::remove_dir_all(self.dest);
            }
            Before::Empty => {
                for entry in std::fs::read_dir(self.dest).into_iter().flatten().flatten() {
                    let path = entry.path();
                    let _ = match entry.file_type() {
                        Ok(t) if t.is_dir() => std::fs::remove_dir_all(&path),
                        _ => std::fs::remove_file(&path),
                    };
                }
            }
            Before::Full => {}
        }
    }
}

/// The track file's directory must exist, before anything is extracted.
fn check_writable(track: &Path) -> Result<(), Error> {
    let dir = track
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(Error::Invalid(format!(
            "cannot write {}: {} is not a directory",
            track.display(),
            dir.display()
        ))),
        Err(source) => Err(Error::Write {
            path: track.to_owned(),
            source,
        }),
    }
}

/// `*.rpm` and `*.deb` in `repo`, sorted by file name.
fn package_files(repo: &Path) -> Result<Vec<PathBuf>, Error> {
    let entries = std::fs::read_dir(repo).map_err(|e| Error::read(repo, e))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "rpm" || x == "deb") && p.is_file())
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(Error::Invalid(format!(
            "no packages (*.rpm, *.deb) in {}",
            repo.display()
        )));
    }
    Ok(files)
}

fn file_name(p: &Path) -> String {
    p.file_name().map_or_else(
        || p.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// Removes every path under `dest` (relative, without following symlinks)
/// that a `remove-file` pattern matches; returns them sorted.
///
/// Every match is listed, including the paths inside a removed directory
/// that a pattern matches too (`a/test` matches `a/test/x.py` with
/// `re.match`), as the original's `packages.log` does; only the outermost
/// matches are removed, which takes what is inside with them.
fn remove_files(dest: &Path, remove: &PackageList) -> Result<Vec<String>, Error> {
    if remove.is_empty() {
        return Ok(Vec::new());
    }
    let mut matched: Vec<(String, bool)> = Vec::new();
    for node in tree::walk(dest, dest)? {
        let rel = node.rel.to_string_lossy().into_owned();
        if remove.matches(&rel) {
            matched.push((rel, node.kind == tree::Kind::Dir));
        }
    }
    matched.sort();
    // Sorted as strings, a directory `a/b` comes before `a/b/x` but
    // `a/b.py` may come between them: the removed directories are kept
    // aside rather than compared with the last match only.
    let mut removed_dirs: std::collections::HashSet<&str> = std::collections::HashSet::new();
    for (rel, is_dir) in &matched {
        let inside_removed = Path::new(rel)
            .ancestors()
            .skip(1)
            .any(|a| removed_dirs.contains(a.to_string_lossy().as_ref()));
        if inside_removed {
            continue;
        }
        let path = dest.join(rel);
        let result = if *is_dir {
            removed_dirs.insert(rel);
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
        result.map_err(|source| Error::Write { path, source })?;
    }
    Ok(matched.into_iter().map(|(p, _)| p).collect())
}
