//! `service`: the OBS source service run (DESIGN §5).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::atomic_write::replace_file;
use crate::error::Error;
use crate::obs::snapshot::Snapshot;
use crate::obs::Client;
use crate::output::Reporter;
use crate::service::{self, Generated, Params, Source};

/// What `service` was asked to do.
#[derive(Debug, Clone, Default)]
pub struct ServiceOptions {
    /// The parameters from the command line.
    pub params: Params,
    /// Where to write changed files.
    pub outdir: Option<PathBuf>,
    /// Timeout of each OBS request.
    pub timeout: Duration,
    /// `-v` count.
    pub verbose: u8,
}

/// Runs the service in the current directory; returns the exit code
/// (1 with `check=true` when something would change).
pub fn run(opts: &ServiceOptions, out: &mut dyn Write, report: &Reporter) -> Result<u8, Error> {
    let dir = Path::new(".");
    let mut params = opts.params.clone();
    params.merge_service_file(dir)?;
    let outdir = opts.outdir.clone().ok_or_else(|| {
        Error::Invalid("no --outdir: OBS and osc always pass one; give --outdir DIR".into())
    })?;
    let inputs = service::read_inputs(dir, &params)?;
    // Lists and spec blocks are checked before any request is sent.
    service::regenerate(&inputs, &Snapshot::default())?;
    let offline = params
        .offline
        .unwrap_or_else(|| std::env::var("OBS_SERVICE_DAEMON").is_ok_and(|v| v == "1"));
    let snapshot = if offline {
        crate::obs::snapshot::read_snapshot(&inputs.snapshot)?
    } else {
        let project = params
            .project
            .clone()
            .or_else(|| {
                std::env::var("OBS_SERVICE_PROJECT")
                    .ok()
                    .filter(|p| !p.is_empty())
            })
            .ok_or_else(|| {
                Error::Invalid("no project: give --project (or set OBS_SERVICE_PROJECT)".into())
            })?;
        let client = Client::from_config(params.apiurl.as_deref(), opts.timeout, opts.verbose)?;
        service::fetch_snapshot(
            &client,
            &Source {
                project,
                repository: params
                    .repository
                    .clone()
                    .unwrap_or_else(|| "standard".into()),
                arch: params.arch.clone().unwrap_or_else(|| "x86_64".into()),
                packages: params.packages.clone(),
                versions: inputs.requirements.is_some() || inputs.provides,
            },
            &inputs,
        )?
    };
    let snapshot_name = inputs.snapshot.file_name().map_or_else(
        || "venvjail.snapshot.xml".to_owned(),
        |n| n.to_string_lossy().into_owned(),
    );
    if snapshot.version == 1 {
        report.warning(
            Some(&snapshot_name),
            &format!(
                "a version 1 snapshot: its Requires come from the bundled specs' text, not the built RPM headers; {}, to refresh it",
                crate::obs::snapshot::REFRESH
            ),
        );
    }
    let regeneration = service::regenerate_all(&inputs, &snapshot)?;
    if let Some(r) = &regeneration.resolution {
        super::include::report_resolution(r, report);
    }
    for b in &regeneration.unversioned {
        report.warning(
            None,
            &format!(
                "the version of {b} is not known: its bundled(python3dist()) Provides has none"
            ),
        );
    }
    let mut files = regeneration.files;
    if !offline {
        files.push(Generated {
            old: crate::error::read_optional(&inputs.snapshot)?,
            name: snapshot_name,
            new: snapshot.to_xml().into_bytes(),
        });
    }
    super::requires::report_block(&regeneration.requires, opts.verbose, report);
    let write_out = Error::stdout;
    for f in files.iter().filter(|f| f.changed()) {
        let diff = crate::diff::unified(&f.name, f.old.as_deref().unwrap_or(b""), &f.new);
        out.write_all(diff.as_bytes()).map_err(write_out)?;
    }
    let changed = files.iter().any(Generated::changed);
    if params.check == Some(true) {
        writeln!(out, "{}", service::summary(&files)).map_err(write_out)?;
        return Ok(u8::from(changed));
    }
    if changed {
        std::fs::create_dir_all(&outdir).map_err(|source| Error::Write {
            path: outdir.clone(),
            source,
        })?;
        for f in files.iter().filter(|f| f.changed()) {
            replace_file(&outdir.join(&f.name), &f.new)?;
        }
    }
    writeln!(out, "{}", service::summary(&files)).map_err(write_out)?;
    Ok(0)
}
