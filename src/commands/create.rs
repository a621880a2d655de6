//! `create DEST_DIR`: the venv, extracted from the repository's packages.

use std::io::{IsTerminal, Write};

use crate::create::bundle::{self, CreateOptions};
use crate::error::Error;
use crate::output::Reporter;

/// Runs `create`; warnings on stderr, the summary line last.
pub fn run(opts: &CreateOptions, out: &mut dyn Write, report: &Reporter) -> Result<u8, Error> {
    let tty = std::io::stderr().is_terminal();
    let quiet = report.quiet;
    let mut progress = |n: usize, total: usize, file: &str| {
        if quiet {
            return;
        }
        if tty {
            let _ = write!(std::io::stderr(), "\r\x1b[2K[{n}/{total}] {file}");
            if n == total {
                let _ = writeln!(std::io::stderr());
            }
        } else {
            let _ = writeln!(
                std::io::stderr(),
                "venvjail: [{n}/{total}] extracting {file}"
            );
        }
    };
    let outcome = bundle::create(opts, &mut progress)?;
    for w in &outcome.warnings {
        report.warning(None, w);
    }
    let (files, verified) = &outcome.leftovers;
    for f in files {
        report.warning(None, &format!("{f} of the build path"));
    }
    if !files.is_empty() {
        report.warning(None, verified);
    }
    writeln!(out, "{}", outcome.summary()).map_err(Error::stdout)?;
    Ok(0)
}
