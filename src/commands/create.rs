//! `create DEST_DIR`: the venv, extracted from the repository's packages.

use std::io::{IsTerminal, Write};

use crate::create::bundle::{self, CreateOptions};
use crate::error::Error;
use crate::output::Reporter;

/// Runs `create`; warnings on stderr, the summary line last.
pub fn run(opts: &CreateOptions, out: &mut dyn Write, report: &Reporter) -> Result<u8, Error> {
    let quiet = report.quiet;
    // A bar on a terminal; plain lines otherwise (an OBS build log).
    let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} {wide_msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let mut progress = |n: usize, total: usize, file: &str| {
        if let Some(bar) = &bar {
            bar.set_length(total as u64);
            bar.set_position((n as u64).saturating_sub(1));
            bar.set_message(file.to_owned());
        } else if !quiet {
            let _ = writeln!(
                std::io::stderr(),
                "venvjail: [{n}/{total}] extracting {file}"
            );
        }
    };
    let outcome = bundle::create(opts, &mut progress);
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let outcome = outcome?;
    for w in &outcome.warnings {
        report.warning(None, w);
    }
    if report.verbose > 0 {
        let steps: Vec<String> = outcome
            .relocation
            .steps
            .iter()
            .map(|(step, n)| format!("{step} {n}"))
            .collect();
        report.note(&format!(
            "venvjail: relocated to {}: {}",
            opts.target.display(),
            steps.join(", ")
        ));
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
