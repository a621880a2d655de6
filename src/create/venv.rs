//! Step 1 of `create`: the virtual environment, made by the real
//! interpreter, and the `usr/` links packages extract through.

use std::path::Path;
use std::process::Command;

use crate::error::Error;

/// The interpreter to run: `pythonX.Y` for `-p X.Y`, else `python3`.
pub fn interpreter(version: Option<&str>) -> String {
    match version {
        Some(v) => format!("python{v}"),
        None => "python3".to_owned(),
    }
}

/// `PYTHON -m venv --copies --without-pip [--system-site-packages] DEST`,
/// then `usr/bin -> ../bin`, `usr/lib -> ../lib`, `usr/lib64 -> ../lib`.
pub fn make_venv(python: &str, dest: &Path, system_site_packages: bool) -> Result<(), Error> {
    let mut cmd = Command::new(python);
    cmd.args(["-m", "venv", "--copies", "--without-pip"]);
    if system_site_packages {
        cmd.arg("--system-site-packages");
    }
    let out = cmd.arg(dest).output().map_err(|e| {
        Error::Invalid(format!(
            "cannot run {python} to create the venv: {}",
            crate::error::describe_io(&e)
        ))
    })?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let last = stderr
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("no message");
        return Err(Error::Invalid(format!(
            "{python} -m venv {} failed: {last}",
            dest.display()
        )));
    }
    let usr = dest.join("usr");
    std::fs::create_dir_all(&usr).map_err(|source| Error::Write {
        path: usr.clone(),
        source,
    })?;
    for (name, target) in [("bin", "../bin"), ("lib", "../lib"), ("lib64", "../lib")] {
        let link = usr.join(name);
        if std::fs::symlink_metadata(&link).is_ok() {
            continue;
        }
        std::os::unix::fs::symlink(target, &link)
            .map_err(|source| Error::Write { path: link, source })?;
    }
    Ok(())
}

/// `X.Y` of the venv's interpreter, from the `version` line of its
/// `pyvenv.cfg` (`version = 3.11.7`, or `version_info` in older venvs).
pub fn python_version(dest: &Path) -> Result<String, Error> {
    let cfg = dest.join("pyvenv.cfg");
    let text = std::fs::read_to_string(&cfg).map_err(|e| Error::read(&cfg, e))?;
    text.lines()
        .filter_map(|l| l.split_once('='))
        .filter(|(k, _)| matches!(k.trim(), "version" | "version_info"))
        .find_map(|(_, v)| {
            let mut parts = v.trim().split('.');
            let (major, minor) = (parts.next()?, parts.next()?);
            Some(format!("{major}.{minor}"))
        })
        .ok_or_else(|| {
            Error::Invalid(format!(
                "{}: no Python version in it; give -p X.Y",
                cfg.display()
            ))
        })
}
