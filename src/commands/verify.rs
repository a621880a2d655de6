//! `verify DEST --build-root PATH`: print the files that still hold the
//! build root, then the count; exit 0 clean, 1 leftovers, 2 error.

use std::io::Write;
use std::path::PathBuf;

use serde::Serialize;

use crate::create::verify::{self, LeftoverKind, Leftovers};
use crate::error::Error;

/// What `verify` was asked.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    /// The venv.
    pub dest: PathBuf,
    /// The build-time path to look for.
    pub build_root: PathBuf,
    /// Print JSON instead of lines.
    pub json: bool,
}

/// Runs `verify`; returns the exit code (0 clean, 1 leftovers).
///
/// Text: one `PATH: N occurrence(s)` line per file (` (symlink target)`
/// appended for a symlink), then `venvjail verify: …` with the count, last
/// and on stdout so it stays last in a build log that merges both streams.
pub fn run(opts: &VerifyOptions, out: &mut dyn Write) -> Result<u8, Error> {
    let needles = verify::needles(&opts.build_root)?;
    let found = verify::scan(&opts.dest, &needles)?;
    let write = Error::stdout;
    if opts.json {
        serde_json::to_writer_pretty(&mut *out, &JsonReport::new(&found, &needles))
            .map_err(|e| write(e.into()))?;
        writeln!(out).map_err(write)?;
    } else {
        for leftover in &found.files {
            writeln!(out, "{leftover}").map_err(write)?;
        }
        writeln!(out, "venvjail verify: {}", found.summary(&needles)).map_err(write)?;
    }
    Ok(u8::from(!found.is_clean()))
}

/// The `--format json` document.
#[derive(Serialize)]
struct JsonReport {
    build_root: Vec<String>,
    scanned: u64,
    occurrences: u64,
    files: Vec<JsonLeftover>,
}

#[derive(Serialize)]
struct JsonLeftover {
    path: String,
    occurrences: u64,
    symlink: bool,
}

impl JsonReport {
    fn new(found: &Leftovers, needles: &[Vec<u8>]) -> Self {
        Self {
            build_root: needles
                .iter()
                .map(|n| String::from_utf8_lossy(n).into_owned())
                .collect(),
            scanned: found.scanned,
            occurrences: found.occurrences(),
            files: found
                .files
                .iter()
                .map(|l| JsonLeftover {
                    path: l.path.to_string_lossy().into_owned(),
                    occurrences: l.occurrences,
                    symlink: l.kind == LeftoverKind::SymlinkTarget,
                })
                .collect(),
        }
    }
}
