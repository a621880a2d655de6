//! The OBS source service (DESIGN §5): read the repository from OBS (or
//! the committed snapshot), regenerate `include-rpm`, `exclude-rpm` and the
//! spec's managed blocks, print a diff per changed file, and write only the
//! changed files into `--outdir`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{read_file, read_optional, Error};
use crate::obs::binary_name::package_name;
use crate::obs::service_file;
use crate::obs::snapshot::{PackageSnapshot, Snapshot, REFRESH};
use crate::obs::Client;
use crate::provides::bundled_provides;
use crate::requirements::{Repository, RequirementsSet, Resolution};
use crate::rpm::resolve::{self, named_paths, Block};
use crate::rpmspec;
use crate::rpmspec::edit::{self, BlockKind};
use crate::rules::{self, PackageList, Selection};

/// The service's parameters, each also in `obs-service/venvjail.service`.
pub const PARAMETERS: &[&str] = &[
    "apiurl",
    "project",
    "repository",
    "arch",
    "package",
    "spec",
    "include",
    "exclude",
    "snapshot",
    "offline",
    "check",
    "requirements",
    "flavour",
    "provides",
];

/// Parameters as given (command line merged over `_service`).
#[derive(Debug, Clone, Default)]
pub struct Params {
    /// OBS API URL or alias.
    pub apiurl: Option<String>,
    /// Project of the bundled repository.
    pub project: Option<String>,
    /// Repository name.
    pub repository: Option<String>,
    /// Architecture.
    pub arch: Option<String>,
    /// Source packages whose binaries and Requires are bundled.
    pub packages: Vec<String>,
    /// The bundle's spec.
    pub spec: Option<String>,
    /// The include list.
    pub include: Option<String>,
    /// The exclude list.
    pub exclude: Option<String>,
    /// The snapshot file.
    pub snapshot: Option<String>,
    /// Use the snapshot only.
    pub offline: Option<bool>,
    /// Print diffs, write nothing, exit 1 on changes.
    pub check: Option<bool>,
    /// A pip requirements file whose requirements make the include list.
    pub requirements: Option<String>,
    /// The Python flavour requirements map to (`python311`).
    pub flavour: Option<String>,
    /// Write the `# SECTION venvjail Provides` block.
    pub provides: Option<bool>,
}

impl Params {
    /// Fills what the command line left out from the venvjail entry of
    /// `_service` in `dir` (what OBS would pass).
    pub fn merge_service_file(&mut self, dir: &Path) -> Result<(), Error> {
        let path = dir.join("_service");
        let Some(bytes) = read_optional(&path)? else {
            return Ok(());
        };
        let text = String::from_utf8_lossy(&bytes);
        let entries = service_file::parse("_service", &text).map_err(Error::Invalid)?;
        let Some(entry) = entries.into_iter().find(|e| e.name == "venvjail") else {
            return Ok(());
        };
        let mut packages = Vec::new();
        for p in entry.params {
            let v = p.value.trim().to_owned();
            if v.is_empty() {
                continue;
            }
            let slot = match p.name.as_str() {
                "apiurl" => &mut self.apiurl,
                "project" => &mut self.project,
                "repository" => &mut self.repository,
                "arch" => &mut self.arch,
                "spec" => &mut self.spec,
                "include" => &mut self.include,
                "exclude" => &mut self.exclude,
                "snapshot" => &mut self.snapshot,
                "requirements" => &mut self.requirements,
                "flavour" => &mut self.flavour,
                "package" => {
                    packages.push(v);
                    continue;
                }
                "define" => {
                    return Err(Error::Invalid(
                        "_service: the venvjail parameter 'define' is gone: the Requires block comes from the built RPM headers now, which need no macros; remove it".into(),
                    ))
                }
                "offline" | "check" | "provides" => {
                    let b = parse_bool(&p.name, &v)?;
                    let slot = match p.name.as_str() {
                        "offline" => &mut self.offline,
                        "check" => &mut self.check,
                        _ => &mut self.provides,
                    };
                    slot.get_or_insert(b);
                    continue;
                }
                other => {
                    return Err(Error::Invalid(format!(
                        "_service: unknown venvjail parameter '{other}'"
                    )))
                }
            };
            slot.get_or_insert(v);
        }
        if self.packages.is_empty() {
            self.packages = packages;
        }
        Ok(())
    }
}

/// A `true|false` parameter.
pub fn parse_bool(name: &str, v: &str) -> Result<bool, Error> {
    match v {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(Error::Invalid(format!(
            "--{name} takes true or false, not '{v}'"
        ))),
    }
}

/// The package directory's inputs, read and checked before anything else.
#[derive(Debug, Clone)]
pub struct Inputs {
    /// The spec's path and bytes.
    pub spec: (PathBuf, Vec<u8>),
    /// include-rpm's path and text (`None`: missing).
    pub include: (PathBuf, Option<String>),
    /// exclude-rpm's path and text (`None`: missing).
    pub exclude: (PathBuf, Option<String>),
    /// The snapshot's path.
    pub snapshot: PathBuf,
    /// The `requirements` file, read (`None`: the whole repository is listed).
    pub requirements: Option<RequirementsSet>,
    /// The flavour requirements map to (`None`: the repository's most common).
    pub flavour: Option<String>,
    /// The architecture markers are evaluated for, when the snapshot has none.
    pub arch: String,
    /// Whether the Provides block is written.
    pub provides: bool,
}

/// Finds and reads the inputs in `dir`.
pub fn read_inputs(dir: &Path, params: &Params) -> Result<Inputs, Error> {
    let spec_path = match &params.spec {
        Some(s) => dir.join(s),
        None => {
            let mut specs: Vec<PathBuf> = std::fs::read_dir(dir)
                .map_err(|e| Error::read(dir, e))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "spec") && p.is_file())
                .collect();
            specs.sort();
            match specs.len() {
                1 => specs.remove(0),
                0 => {
                    return Err(Error::Invalid(format!(
                        "no *.spec in {}: give --spec",
                        dir.display()
                    )))
                }
                _ => {
                    let names: Vec<String> = specs
                        .iter()
                        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                        .collect();
                    return Err(Error::Invalid(format!(
                        "several specs ({}): give --spec",
                        names.join(", ")
                    )));
                }
            }
        }
    };
    let spec = read_file(&spec_path)?;
    let optional = |name: &str| -> Result<(PathBuf, Option<String>), Error> {
        let path = dir.join(name);
        let text = read_optional(&path)?.map(|b| String::from_utf8_lossy(&b).into_owned());
        Ok((path, text))
    };
    // Read before any request, so a bad line fails the run at once; a path
    // relative to the package directory names it as the packager wrote it.
    let requirements = match &params.requirements {
        Some(name) if dir == Path::new(".") => Some(crate::requirements::read(Path::new(name))?),
        Some(name) => Some(crate::requirements::read(&dir.join(name))?),
        None => None,
    };
    Ok(Inputs {
        requirements,
        flavour: params.flavour.clone(),
        arch: params.arch.clone().unwrap_or_else(|| "x86_64".into()),
        provides: params.provides == Some(true),
        spec: (spec_path, spec),
        include: optional(params.include.as_deref().unwrap_or("include-rpm"))?,
        exclude: optional(params.exclude.as_deref().unwrap_or("exclude-rpm"))?,
        snapshot: dir.join(
            params
                .snapshot
                .as_deref()
                .unwrap_or("venvjail.snapshot.xml"),
        ),
    })
}

/// Where to read the repository from, online (the client knows the API URL).
#[derive(Debug, Clone)]
pub struct Source {
    /// The project.
    pub project: String,
    /// The repository.
    pub repository: String,
    /// The architecture.
    pub arch: String,
    /// The bundled source packages.
    pub packages: Vec<String>,
    /// Also read the binaries' versions (`view=binaryversions&withevr=1`),
    /// which requirements and Provides need.
    pub versions: bool,
}

/// Fetches everything a run needs: the repository's names (and versions
/// when asked), each bundled package's binaries, then the RPM headers of
/// the binaries the lists put into the venv (V). Nothing is written until
/// it all succeeded; the result is what a snapshot written and read back
/// holds, so online and offline runs compute from the same data.
pub fn fetch_snapshot(client: &Client, src: &Source, inputs: &Inputs) -> Result<Snapshot, Error> {
    let binaries = client.repository_names(&src.project, &src.repository, &src.arch)?;
    let versions = if src.versions {
        let mut all = client.repository_versions(&src.project, &src.repository, &src.arch)?;
        all.retain(|name, _| binaries.binary_search(name).is_ok());
        all
    } else {
        BTreeMap::new()
    };
    let mut packages = Vec::new();
    for name in &src.packages {
        let files = client.package_files(&src.project, &src.repository, &src.arch, name)?;
        let mut bins: Vec<String> = files
            .iter()
            .filter_map(|f| package_name(f))
            .map(str::to_owned)
            .collect();
        bins.sort();
        bins.dedup();
        packages.push(PackageSnapshot {
            name: name.clone(),
            project: src.project.clone(),
            binaries: bins,
            requires: Vec::new(),
        });
    }
    let mut snapshot = Snapshot {
        apiurl: client.apiurl().to_owned(),
        project: src.project.clone(),
        repository: src.repository.clone(),
        arch: src.arch.clone(),
        binaries,
        versions,
        packages,
        headers: BTreeMap::new(),
        version: crate::obs::snapshot::VERSION,
    };
    let venv = venv_binaries(inputs, &snapshot)?;
    let mut got: Vec<_> = client
        .repository_headers(&src.project, &src.repository, &src.arch, &venv)?
        .into_iter()
        .filter(|(name, _)| venv.binary_search(name).is_ok())
        .collect();
    let all: Vec<_> = got.iter().map(|(_, p)| p.clone()).collect();
    let named = named_paths(&all);
    for (_, p) in &mut got {
        p.keep_named_files(&named);
    }
    snapshot.headers = got.into_iter().collect();
    Snapshot::parse("the fetched snapshot", &snapshot.to_xml()).map_err(Error::Invalid)
}

/// V: the repository binaries the regenerated lists select, sorted.
pub fn venv_binaries(inputs: &Inputs, snapshot: &Snapshot) -> Result<Vec<String>, Error> {
    let lists = lists(inputs, snapshot)?;
    let mut v: Vec<String> = snapshot
        .binaries
        .iter()
        .filter(|b| lists.selection.selects(b))
        .cloned()
        .collect();
    v.sort();
    v.dedup();
    Ok(v)
}

/// One generated file: its name in the package directory, old and new bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    /// The file's basename.
    pub name: String,
    /// Its current content (`None`: it does not exist).
    pub old: Option<Vec<u8>>,
    /// The regenerated content.
    pub new: Vec<u8>,
}

impl Generated {
    /// True when the content changes.
    pub fn changed(&self) -> bool {
        self.old.as_deref() != Some(self.new.as_slice())
    }
}

fn basename(p: &Path) -> String {
    p.file_name().map_or_else(
        || p.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// What a regeneration found besides the files: the requirements' mapping
/// (warnings to show) and binaries declared without a version.
#[derive(Debug, Clone, Default)]
pub struct Regeneration {
    /// The files, in the order include list, exclude list, spec.
    pub files: Vec<Generated>,
    /// The requirements' mapping, when `requirements` is given.
    pub resolution: Option<Resolution>,
    /// Binaries whose `bundled(python3dist())` Provides has no version.
    pub unversioned: Vec<String>,
    /// The Requires block with who needs each line, and the requirements
    /// on a binary of V at another version.
    pub requires: Block,
}

/// Regenerates the lists and the spec's blocks from a snapshot; pure (no
/// I/O), so `lint` reuses it for its drift check.
pub fn regenerate(inputs: &Inputs, snapshot: &Snapshot) -> Result<Vec<Generated>, Error> {
    Ok(regenerate_all(inputs, snapshot)?.files)
}

/// The regenerated lists and the selection they make.
struct Lists {
    include: (String, String),
    exclude: (String, String),
    selection: Selection,
    resolution: Option<Resolution>,
}

/// Regenerates include-rpm and exclude-rpm from a snapshot.
fn lists(inputs: &Inputs, snapshot: &Snapshot) -> Result<Lists, Error> {
    let invalid = |e: rules::ListError| Error::Invalid(e.to_string());
    // exclude-rpm: the default block, the user's lines kept.
    let (ex_path, ex_old) = &inputs.exclude;
    let ex_name = basename(ex_path);
    let ex_new = match ex_old {
        Some(text) => {
            rules::update_block(&ex_name, text, &rules::default_exclude_block())
                .map_err(invalid)?
                .0
        }
        None => rules::default_exclude_file(),
    };
    let exclude_list = PackageList::parse(&ex_name, &ex_new).map_err(invalid)?;
    // include-rpm: the repository's names minus the excluded ones, or what
    // the requirements map to.
    let resolution = match &inputs.requirements {
        Some(set) => {
            let arch = if snapshot.arch.is_empty() {
                &inputs.arch
            } else {
                &snapshot.arch
            };
            let repo = Repository {
                binaries: &snapshot.binaries,
                versions: &snapshot.versions,
            };
            Some(crate::requirements::resolve(
                set,
                repo,
                (&ex_name, &exclude_list),
                inputs.flavour.as_deref(),
                arch,
            )?)
        }
        None => None,
    };
    let lines: Vec<String> = match &resolution {
        Some(r) => r.binaries.iter().map(|n| rules::escape_name(n)).collect(),
        None => snapshot
            .binaries
            .iter()
            .filter(|n| !exclude_list.matches(n))
            .map(|n| rules::escape_name(n))
            .collect(),
    };
    let (in_path, in_old) = &inputs.include;
    let in_name = basename(in_path);
    let in_new = match in_old {
        Some(text) => {
            rules::update_block(&in_name, text, &lines)
                .map_err(invalid)?
                .0
        }
        None => rules::new_list_file(rules::INCLUDE_HEADER, &lines),
    };
    let selection = Selection {
        include: PackageList::parse(&in_name, &in_new).map_err(invalid)?,
        exclude: exclude_list,
    };
    Ok(Lists {
        include: (in_name, in_new),
        exclude: (ex_name, ex_new),
        selection,
        resolution,
    })
}

/// The Requires block from a snapshot: from V's headers (version 2), or,
/// for a version 1 snapshot, the bundled specs' Requires the lists do not
/// select. `needs` picks whose requirements count (all of V for the
/// service, one package's binaries for `requires PACKAGE`).
pub fn requires_block(
    snapshot: &Snapshot,
    selection: &Selection,
    needs: &dyn Fn(&str) -> bool,
    snapshot_name: &str,
) -> Result<Block, Error> {
    if snapshot.version == 1 {
        let mut lines: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for p in &snapshot.packages {
            for (name, op, evr) in &p.requires {
                if selection.selects(name) {
                    continue;
                }
                let line = match (op, evr) {
                    (Some(op), Some(evr)) => format!("{name} {op} {evr}"),
                    _ => name.clone(),
                };
                lines.entry(line).or_default().push(p.name.clone());
            }
        }
        return Ok(Block {
            lines: lines
                .into_iter()
                .map(|(dep, needed_by)| resolve::Line { dep, needed_by })
                .collect(),
            inconsistent: Vec::new(),
        });
    }
    let mut venv = Vec::new();
    for b in snapshot.binaries.iter().filter(|b| selection.selects(b)) {
        match snapshot.headers.get(b) {
            Some(h) => venv.push(h.clone()),
            None => {
                return Err(Error::Invalid(format!(
                    "{snapshot_name}: no RPM header for {b}, which the lists put into the venv: {REFRESH}, to refresh it"
                )))
            }
        }
    }
    resolve::resolve(&venv, &|p| needs(&p.name)).map_err(Error::Invalid)
}

/// [`regenerate`], also returning what the run should warn about.
pub fn regenerate_all(inputs: &Inputs, snapshot: &Snapshot) -> Result<Regeneration, Error> {
    let Lists {
        include: (in_name, in_new),
        exclude: (ex_name, ex_new),
        selection,
        resolution,
    } = lists(inputs, snapshot)?;
    let (_, in_old) = &inputs.include;
    let (_, ex_old) = &inputs.exclude;
    // The spec: BuildRequires = the packages' binaries that go into the
    // venv; Requires = what V needs that V does not provide (§5.2).
    let mut build = Vec::new();
    for p in &snapshot.packages {
        build.extend(p.binaries.iter().filter(|b| selection.selects(b)).cloned());
    }
    if let Some(r) = &resolution {
        build.extend(r.binaries.iter().filter(|b| selection.selects(b)).cloned());
    }
    let requires = requires_block(snapshot, &selection, &|_| true, &basename(&inputs.snapshot))?;
    let run: Vec<String> = requires.lines.iter().map(|l| l.dep.clone()).collect();
    let build = edit::sort_dependencies(build);
    let run = edit::sort_dependencies(run);
    let (spec_path, spec_old) = &inputs.spec;
    let spec_name = basename(spec_path);
    let edit_err = |e: edit::EditError| Error::Invalid(format!("{spec_name}:{e}"));
    let file = rpmspec::parse(spec_old);
    let (with_build, _) =
        edit::set_block(&file, BlockKind::BuildRequires, None, &build).map_err(edit_err)?;
    let file = rpmspec::parse(&with_build);
    let (mut spec_new, _) =
        edit::set_block(&file, BlockKind::Requires, None, &run).map_err(edit_err)?;
    let mut unversioned = Vec::new();
    if inputs.provides {
        let in_venv = snapshot.binaries.iter().filter(|b| selection.selects(b));
        let Some(p) = bundled_provides(in_venv, &snapshot.versions) else {
            return Err(Error::Invalid(format!(
                "{}: the snapshot holds no versions, which provides=true needs: run the service online once to refresh it (osc service manualrun; runall with osc before 1.0)",
                basename(&inputs.snapshot)
            )));
        };
        unversioned = p.unversioned;
        let file = rpmspec::parse(&spec_new);
        spec_new = edit::set_block(
            &file,
            BlockKind::Provides,
            None,
            &edit::sort_dependencies(p.provides),
        )
        .map_err(edit_err)?
        .0;
    }
    let files = vec![
        Generated {
            name: in_name,
            old: in_old.clone().map(String::into_bytes),
            new: in_new.into_bytes(),
        },
        Generated {
            name: ex_name,
            old: ex_old.clone().map(String::into_bytes),
            new: ex_new.into_bytes(),
        },
        Generated {
            name: spec_name,
            old: Some(spec_old.clone()),
            new: spec_new,
        },
    ];
    Ok(Regeneration {
        files,
        resolution,
        unversioned,
        requires,
    })
}

/// The last line a run prints.
pub fn summary(files: &[Generated]) -> String {
    let changed: Vec<String> = files
        .iter()
        .filter(|f| f.changed())
        .map(|f| {
            let (added, removed) =
                crate::diff::line_counts(f.old.as_deref().unwrap_or(b""), &f.new);
            format!("{} +{added} -{removed}", f.name)
        })
        .collect();
    match changed.len() {
        0 => "venvjail: nothing to change".to_owned(),
        n => format!(
            "venvjail: {n} file{} changed ({})",
            if n == 1 { "" } else { "s" },
            changed.join(", ")
        ),
    }
}
