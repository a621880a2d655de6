//! `include`: an include-rpm list of a repository's binaries.

use std::io::Write;
use std::path::Path;

use super::{list_output, listing_setup, ObsTarget};
use crate::error::Error;
use crate::output::Reporter;
use crate::rules::escape_name;

/// Lines outside the block of a new include-rpm.
pub const HEADER: &str = "# List of packages to include (use Python regex, matched at the start of
# the package name). Lines outside the venvjail section are yours;
# venvjail regenerates the section from the repository.
";

/// Runs `include`: the repository's binary names minus the excluded ones
/// (unless `all`), escaped and anchored.
pub fn run(
    target: &ObsTarget,
    all: bool,
    exclude: &Path,
    output: Option<&Path>,
    out: &mut dyn Write,
    report: &Reporter,
) -> Result<(), Error> {
    let (project, exclude, client) = listing_setup(target, all, exclude, report)?;
    let names = client.repository_names(&project, &target.repository, &target.arch)?;
    let lines: Vec<String> = names
        .iter()
        .filter(|n| !exclude.matches(n))
        .map(|n| escape_name(n))
        .collect();
    list_output::emit(HEADER, &lines, output, out, report)
}
