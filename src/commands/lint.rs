//! `lint [DIR]`: print findings, exit 0 / 1 / 2.

use std::io::Write;
use std::path::Path;

use crate::error::Error;
use crate::lint::report::{write_report, ReportFormat};
use crate::lint::{exit_code, lint_dir, Severity};
use crate::output::Reporter;

/// Runs `lint`; returns the exit code (0 clean, 1 findings that count).
pub fn run(
    dir: &Path,
    format: ReportFormat,
    strict: bool,
    out: &mut dyn Write,
    report: &Reporter,
) -> Result<u8, Error> {
    let findings = lint_dir(dir)?;
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
