//! `requires PACKAGE`: the Requires of a source package that will not be
//! inside the venv.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::spec::spec_macros;
use super::{list_output, load_list, ObsTarget};
use crate::error::{read_file, Error};
use crate::obs::Client;
use crate::output::Reporter;
use crate::rpmspec::{self, DepTag};
use crate::rules::Selection;

/// What `requires` was asked to do.
#[derive(Debug, Clone)]
pub struct RequiresOptions {
    /// The source package.
    pub package: String,
    /// `-i/--include`.
    pub include: PathBuf,
    /// `-x/--exclude`.
    pub exclude: PathBuf,
    /// `--spec FILE`: read a local spec instead of fetching it.
    pub spec: Option<PathBuf>,
    /// `--define 'NAME VALUE'`.
    pub defines: Vec<String>,
    /// `--arch ARCH` (for `--spec`).
    pub arch: Option<String>,
    /// `-o FILE`.
    pub output: Option<PathBuf>,
}

/// The `name [op evr]` lines of every `Requires` of every package of the
/// spec (qualified ones too) that the lists do not put into the venv,
/// sorted and de-duplicated. Dependencies in branches known to be false
/// are left out; macros are expanded where known.
pub fn outside_venv(spec: &[u8], table: rpmspec::MacroTable, selection: &Selection) -> Vec<String> {
    let file = rpmspec::parse(spec);
    let analysis = rpmspec::dependencies(&file, table);
    let mut lines = Vec::new();
    for d in analysis.deps {
        if d.tag != DepTag::Requires || d.active == Some(false) {
            continue;
        }
        let expanded = match &d.expanded {
            Some(e) => e
                .as_slice()
                .iter()
                .map(|x| (x.name.clone(), x.op, x.evr.clone()))
                .collect(),
            None => vec![(d.name.clone(), d.op, d.evr.clone())],
        };
        for (name, op, evr) in expanded {
            // venvjail.py: in the venv = not excluded and (no include list or included).
            if selection.selects(&name) {
                continue;
            }
            lines.push(match (op, evr) {
                (Some(op), Some(evr)) => format!("{name} {} {evr}", op.as_str()),
                _ => name,
            });
        }
    }
    rpmspec::edit::sort_dependencies(lines)
}

/// Runs `requires`.
pub fn run(
    target: &ObsTarget,
    opts: &RequiresOptions,
    out: &mut dyn Write,
    report: &Reporter,
) -> Result<(), Error> {
    let table = spec_macros(&opts.defines, &[], opts.arch.as_deref(), None)?;
    let selection = Selection {
        include: load_list(&opts.include, "every package is included", report)?,
        exclude: load_list(&opts.exclude, "no package is excluded", report)?,
    };
    let spec = match &opts.spec {
        Some(path) => read_file(path)?,
        None => {
            let project = target.project()?;
            let client =
                Client::from_config(target.apiurl.as_deref(), target.timeout, target.verbose)?;
            crate::obs::multibuild::package_spec(&client, &project, &opts.package)?
        }
    };
    let lines = outside_venv(&spec, table, &selection);
    match &opts.output {
        None => {
            for l in &lines {
                writeln!(out, "{l}").map_err(Error::stdout)?;
            }
            Ok(())
        }
        Some(path) => list_output::emit("", &lines, Some(Path::new(path)), out, report),
    }
}
