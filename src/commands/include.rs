//! `include`: an include-rpm list of a repository's binaries, or of the
//! binaries a pip requirements file maps to (`--from-requirements`).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use super::{list_output, load_list, ObsTarget};
use crate::error::Error;
use crate::output::Reporter;
use crate::requirements::{self, Repository, Resolution};
use crate::rules::{escape_name, PackageList};

pub use crate::rules::INCLUDE_HEADER as HEADER;

/// What `include` was asked for, besides where to look.
#[derive(Debug, Clone, Default)]
pub struct IncludeOptions {
    /// Ignore the exclude list.
    pub all: bool,
    /// The exclude list file.
    pub exclude: PathBuf,
    /// Update the block of this file instead of printing.
    pub output: Option<PathBuf>,
    /// List what this pip requirements file maps to, not the whole repository.
    pub requirements: Option<PathBuf>,
    /// The flavour requirements map to (default: the repository's most common).
    pub flavour: Option<String>,
    /// Read the repository from this snapshot instead of OBS.
    pub snapshot: Option<PathBuf>,
}

/// Runs `include`: the repository's binary names minus the excluded ones
/// (unless `all`), or the binaries the requirements map to, escaped and
/// anchored.
pub fn run(
    target: &ObsTarget,
    opts: &IncludeOptions,
    out: &mut dyn Write,
    report: &Reporter,
) -> Result<(), Error> {
    // The requirements are read first: a bad line fails before any request.
    let set = opts
        .requirements
        .as_deref()
        .map(requirements::read)
        .transpose()?;
    let exclude = if opts.all {
        PackageList::default()
    } else {
        load_list(&opts.exclude, "no package is excluded", report)?
    };
    let (binaries, versions, arch) = match &opts.snapshot {
        Some(path) => {
            let snap = crate::obs::snapshot::read_snapshot(path)?;
            (snap.binaries, snap.versions, snap.arch)
        }
        None => {
            let project = target.project()?;
            let client = crate::obs::Client::from_config(
                target.apiurl.as_deref(),
                target.timeout,
                target.verbose,
            )?;
            let names = client.repository_names(&project, &target.repository, &target.arch)?;
            let versions = if set.is_some() {
                client.repository_versions(&project, &target.repository, &target.arch)?
            } else {
                BTreeMap::new()
            };
            (names, versions, target.arch.clone())
        }
    };
    let lines: Vec<String> = match &set {
        Some(set) => {
            let exclude_name = opts.exclude.display().to_string();
            let resolution = requirements::resolve(
                set,
                Repository {
                    binaries: &binaries,
                    versions: &versions,
                },
                (&exclude_name, &exclude),
                opts.flavour.as_deref(),
                &arch,
            )?;
            report_resolution(&resolution, report);
            resolution.binaries.iter().map(|n| escape_name(n)).collect()
        }
        None => binaries
            .iter()
            .filter(|n| !exclude.matches(n))
            .map(|n| escape_name(n))
            .collect(),
    };
    list_output::emit(HEADER, &lines, opts.output.as_deref(), out, report)
}

/// Prints a mapping's warnings (`file:line: warning: …`) and, with `-v`,
/// its notes.
pub fn report_resolution(r: &Resolution, report: &Reporter) {
    if report.verbose > 0 {
        if let Some(f) = &r.flavour {
            report.note(&format!("venvjail: requirements map to the {f} flavour"));
        }
    }
    let mut lines: Vec<(&crate::requirements::Location, bool, &str)> = r
        .warnings
        .iter()
        .map(|w| (&w.location, true, w.message.as_str()))
        .collect();
    if report.verbose > 0 {
        lines.extend(
            r.notes
                .iter()
                .map(|n| (&n.location, false, n.message.as_str())),
        );
    }
    lines.sort_by(|a, b| a.0.cmp(b.0));
    for (location, warning, message) in lines {
        if warning {
            report.warning(Some(&location.to_string()), message);
        } else {
            report.note(&format!("{location}: note: {message}"));
        }
    }
    for g in &r.general {
        report.warning(None, g);
    }
}
