//! `binary PACKAGE`: the binary package names built from a source package.

use std::io::Write;
use std::path::Path;

use super::{list_output, listing_setup, ObsTarget};
use crate::error::Error;
use crate::obs::binary_name::package_name;
use crate::output::Reporter;
use crate::rules::escape_name;

/// Runs `binary`: names parsed from the build result's file names
/// (`_buildenv`, `_statistics`, logs and source packages skipped), minus
/// the excluded ones unless `all`; with `-o`, escaped into the block.
pub fn run(
    target: &ObsTarget,
    package: &str,
    all: bool,
    exclude: &Path,
    output: Option<&Path>,
    out: &mut dyn Write,
    report: &Reporter,
) -> Result<(), Error> {
    let (project, exclude, client) = listing_setup(target, all, exclude, report)?;
    let files = client.package_files(&project, &target.repository, &target.arch, package)?;
    let mut names: Vec<&str> = files
        .iter()
        .filter_map(|f| package_name(f))
        .filter(|n| !exclude.matches(n))
        .collect();
    names.sort_unstable();
    names.dedup();
    match output {
        None => {
            for n in names {
                writeln!(out, "{n}").map_err(Error::stdout)?;
            }
            Ok(())
        }
        Some(_) => {
            let lines: Vec<String> = names.iter().map(|n| escape_name(n)).collect();
            list_output::emit("", &lines, output, out, report)
        }
    }
}
