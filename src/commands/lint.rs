//! `lint [DIR]`: print findings, exit 0 / 1 / 2.

use std::io::Write;
use std::path::Path;

use crate::error::Error;
use crate::lint::report::{write_report, ReportFormat};
use crate::lint::{exit_code, lint_dir_with, Severity};
use crate::output::Reporter;
use crate::rpmspec::MacroTable;

/// Runs `lint` (with the macros of `--buildconfig` when given); returns the exit code (0 clean, 1 findings that count).
pub fn run(
    dir: &Path,
    buildconfig: Option<MacroTable>,
    format: ReportFormat,
    strict: bool,
    out: &mut dyn Write,
    report: &Reporter,
) -> Result<u8, Error> {
    let findings = lint_dir_with(dir, buildconfig.as_ref())?;
    write_report(format, dir, &findings, out).map_err(Error::stdout)?;
    let errors = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    let warnings = findings.len() - errors;
    report.note(&format!(
        "venvjail lint: {errors} error{}, {warnings} warning{} in {}",
        if errors == 1 { "" } else { "s" },
        if warnings == 1 { "" } else { "s" },
        dir.display()
    ));
    Ok(exit_code(&findings, strict))
}
