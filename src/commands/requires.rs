//! `requires PACKAGE`: what a source package's binaries need that the
//! venv does not provide, from the built RPM headers as the service's
//! Requires block (DESIGN §5.2); with `--spec`, an approximation from a
//! local spec's text.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::spec::spec_macros;
use super::{list_output, load_list, ObsTarget};
use crate::error::{read_file, Error};
use crate::obs::binary_name::package_name;
use crate::obs::Client;
use crate::output::Reporter;
use crate::rpm::resolve::{self, Block, Package};
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
    /// `--spec FILE`: read a local spec's text instead of the built headers.
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
                _ => name.into_owned(),
            });
        }
    }
    rpmspec::edit::sort_dependencies(lines)
}

/// Prints, per the block, the warnings about requirements on a binary of
/// V at another version and, with `-v`, which binaries need each line.
pub fn report_block(block: &Block, verbose: u8, report: &Reporter) {
    for i in &block.inconsistent {
        report.warning(
            None,
            &format!(
                "{} requires {} but the venv has {} {}: the repository is inconsistent (the line stays in the block)",
                i.binary, i.dep, i.present.0, i.present.1
            ),
        );
    }
    if verbose > 0 {
        for l in &block.lines {
            report.note(&format!(
                "venvjail: Requires: {} (needed by {})",
                l.dep,
                l.needed_by.join(", ")
            ));
        }
    }
}

/// The block for `package`'s binaries from OBS: the package's build result
/// headers (`PKG?view=cpioheaders`) are whose requirements count, V's
/// headers (`_repository?view=cpioheaders`) what satisfies them.
fn from_headers(target: &ObsTarget, package: &str, selection: &Selection) -> Result<Block, Error> {
    let project = target.project()?;
    let client = Client::from_config(target.apiurl.as_deref(), target.timeout, target.verbose)?;
    let (repo, arch) = (&target.repository, &target.arch);
    let names = client.repository_names(&project, repo, arch)?;
    let own: Vec<Package> = client
        .package_headers(&project, repo, arch, package)?
        .into_iter()
        .filter(|(file, _)| package_name(file).is_some())
        .map(|(_, p)| p)
        .filter(|p| selection.selects(&p.name))
        .collect();
    let venv: Vec<String> = names.into_iter().filter(|n| selection.selects(n)).collect();
    let mut by_name: BTreeMap<String, Package> = client
        .repository_headers(&project, repo, arch, &venv)?
        .into_iter()
        .collect();
    for p in &own {
        by_name.insert(p.name.clone(), p.clone());
    }
    let all: Vec<Package> = by_name.into_values().collect();
    let mine: Vec<&str> = own.iter().map(|p| p.name.as_str()).collect();
    resolve::resolve(&all, &|p| mine.contains(&p.name.as_str())).map_err(Error::Invalid)
}

/// Runs `requires`.
pub fn run(
    target: &ObsTarget,
    opts: &RequiresOptions,
    out: &mut dyn Write,
    report: &Reporter,
) -> Result<(), Error> {
    let selection = Selection {
        include: load_list(&opts.include, "every package is included", report)?,
        exclude: load_list(&opts.exclude, "no package is excluded", report)?,
    };
    let lines = match &opts.spec {
        Some(path) => {
            let table = spec_macros(&opts.defines, &[], opts.arch.as_deref(), None)?;
            report.note(&format!(
                "venvjail: {}: the Requires as the spec's text says them, an approximation: the built RPM headers (without --spec) are what rpm resolves",
                path.display()
            ));
            outside_venv(&read_file(path)?, table, &selection)
        }
        None => {
            let block = from_headers(target, &opts.package, &selection)?;
            report_block(&block, target.verbose, report);
            rpmspec::edit::sort_dependencies(block.lines.into_iter().map(|l| l.dep).collect())
        }
    };
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
