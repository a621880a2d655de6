//! The commands: validated options in, library calls, output out.

pub mod binary;
pub mod create;
pub mod exclude;
pub mod include;
pub mod lint;
pub mod list_output;
pub mod requires;
pub mod service;
pub mod spec;
pub mod verify;

use std::path::Path;
use std::time::Duration;

use crate::error::Error;
use crate::output::Reporter;
use crate::rules::{self, Loaded, PackageList};

/// Where an OBS command looks: `-A`, `-p`, `-r`, `-a`, and the global
/// `--timeout` and `-v`.
#[derive(Debug, Clone)]
pub struct ObsTarget {
    /// `-A/--apiurl`.
    pub apiurl: Option<String>,
    /// `-p/--project` (else `OBS_SERVICE_PROJECT`).
    pub project: Option<String>,
    /// `-r/--repo`.
    pub repository: String,
    /// `-a/--arch`.
    pub arch: String,
    /// Timeout of each request.
    pub timeout: Duration,
    /// `-v` count.
    pub verbose: u8,
}

impl ObsTarget {
    /// The project, from `-p` or `OBS_SERVICE_PROJECT`.
    pub fn project(&self) -> Result<String, Error> {
        self.project
            .clone()
            .filter(|p| !p.is_empty())
            .or_else(|| {
                std::env::var("OBS_SERVICE_PROJECT")
                    .ok()
                    .filter(|p| !p.is_empty())
            })
            .ok_or_else(|| {
                Error::Invalid("no project: give -p PROJECT (or set OBS_SERVICE_PROJECT)".into())
            })
    }
}

/// What a repository listing command (`include`, `binary`) starts from:
/// the project, the exclude list (empty with `all`), and a client.
pub fn listing_setup(
    target: &ObsTarget,
    all: bool,
    exclude: &Path,
    report: &Reporter,
) -> Result<(String, PackageList, crate::obs::Client), Error> {
    let project = target.project()?;
    let exclude = if all {
        PackageList::default()
    } else {
        load_list(exclude, "no package is excluded", report)?
    };
    let client =
        crate::obs::Client::from_config(target.apiurl.as_deref(), target.timeout, target.verbose)?;
    Ok((project, exclude, client))
}

/// Loads a list file; a missing one is an empty list and a warning.
pub fn load_list(path: &Path, role: &str, report: &Reporter) -> Result<PackageList, Error> {
    match rules::load(path)? {
        Loaded::Found(list) => Ok(list),
        Loaded::Missing => {
            report.warning(None, &format!("{} not found: {role}", path.display()));
            Ok(PackageList::default())
        }
    }
}
