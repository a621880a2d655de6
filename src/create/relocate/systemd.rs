//! systemd units in `lib/systemd/system` (`usr/lib/systemd/system` is the
//! same directory through `usr/lib -> ../lib`): every `Exec*=` line whose
//! command is absolute runs it from the bundle (`/usr/bin/x` becomes
//! `R/usr/bin/x`, as the original), its `-@:+!` / `!!` prefixes kept in
//! front; empty reset lines, relative commands, comments and every other
//! key stay byte for byte. The unit is renamed `venv-NAME.service`, mode
//! 0444. A unit that is a symlink is left alone (never written through).
//!
//! The original handled only `ExecStart=` and `ExecStartPre=-`.

use std::path::Path;

use super::{rewrite, RelocateError, Relocation, Report};
use crate::create::tree::{self, Kind};

/// The keys whose value is a command line.
pub const EXEC_KEYS: [&str; 7] = [
    "ExecStart",
    "ExecStartPre",
    "ExecStartPost",
    "ExecStop",
    "ExecStopPost",
    "ExecReload",
    "ExecCondition",
];

/// Relocates the units; returns how many.
pub fn fix(r: &Relocation, report: &mut Report) -> Result<usize, RelocateError> {
    let mut done = 0;
    let mut seen = std::collections::BTreeSet::new();
    let root = r.target.display().to_string();
    for dir in ["lib/systemd/system", "usr/lib/systemd/system"] {
        let Some(real) = tree::resolve_inside(&r.dest, Path::new(dir)) else {
            continue;
        };
        if !r.dest.join(&real).is_dir() || !seen.insert(real.clone()) {
            continue;
        }
        for node in tree::walk(&r.dest, &r.dest.join(&real))? {
            let name = node
                .rel
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if node.rel.parent() != Some(real.as_path())
                || !name.ends_with(".service")
                || name.starts_with("venv-")
            {
                continue;
            }
            if node.kind != Kind::File {
                report.warnings.push(format!(
                    "{}: a unit that is not a regular file, left as is",
                    node.rel.display()
                ));
                continue;
            }
            let path = r.dest.join(&node.rel);
            let renamed = path.with_file_name(format!("venv-{name}"));
            if std::fs::symlink_metadata(&renamed).is_ok() {
                return Err(RelocateError::UnitNameTaken {
                    path,
                    taken: format!("venv-{name}"),
                });
            }
            let text = std::fs::read_to_string(&path).map_err(|e| RelocateError::io(&path, &e))?;
            rewrite(&path, unit(&text, &root).as_bytes(), Some(0o444))?;
            std::fs::rename(&path, &renamed).map_err(|e| RelocateError::io(&path, &e))?;
            report.changed.insert(
                renamed
                    .strip_prefix(&r.dest)
                    .unwrap_or(&renamed)
                    .to_string_lossy()
                    .into_owned(),
            );
            done += 1;
        }
    }
    Ok(done)
}

/// A unit's text with its absolute `Exec*=` commands under `root`.
pub fn unit(text: &str, root: &str) -> String {
    text.split_inclusive('\n')
        .map(|line| exec_line(line, root).unwrap_or_else(|| line.to_owned()))
        .collect()
}

/// One line relocated, or `None` when it stays.
fn exec_line(line: &str, root: &str) -> Option<String> {
    let indent = line.len() - line.trim_start().len();
    let (key, rest) = line[indent..].split_once('=')?;
    if !EXEC_KEYS.contains(&key.trim_end()) {
        return None;
    }
    let value_start = indent + key.len() + 1;
    let value = &line[value_start..];
    let spaces = value.len() - value.trim_start_matches([' ', '\t']).len();
    let command = &value[spaces..];
    let prefixes = command.len() - command.trim_start_matches(['-', '@', ':', '+', '!']).len();
    if !command[prefixes..].starts_with('/') {
        return None; // empty (a reset), relative, or a variable
    }
    let _ = rest;
    let at = value_start + spaces + prefixes;
    Some(format!("{}{root}{}", &line[..at], &line[at..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_exec_key_and_prefix() {
        let text = "[Unit]\nDescription=The Salt Minion\n# ExecStart=/usr/bin/commented\n\n[Service]\nExecStartPre=-/usr/bin/pre\nExecStartPre=@/usr/bin/argv0 name\nExecStart=\nExecStart=/usr/bin/salt-minion -c /etc/salt\nExecStartPost=+/usr/bin/post\nExecStop=!!/usr/bin/stop\nExecStopPost=:/usr/bin/stoppost\nExecReload=/bin/kill -HUP $MAINPID\nExecCondition=-!/usr/bin/cond\nExecStart = /usr/bin/spaced\nExecStart=relative-cmd\nExecStart=${CMD}\nEnvironment=PATH=/usr/bin\nKillMode=process\n";
        assert_eq!(
            unit(text, "/opt/venv/venv"),
            "[Unit]\nDescription=The Salt Minion\n# ExecStart=/usr/bin/commented\n\n[Service]\nExecStartPre=-/opt/venv/venv/usr/bin/pre\nExecStartPre=@/opt/venv/venv/usr/bin/argv0 name\nExecStart=\nExecStart=/opt/venv/venv/usr/bin/salt-minion -c /etc/salt\nExecStartPost=+/opt/venv/venv/usr/bin/post\nExecStop=!!/opt/venv/venv/usr/bin/stop\nExecStopPost=:/opt/venv/venv/usr/bin/stoppost\nExecReload=/opt/venv/venv/bin/kill -HUP $MAINPID\nExecCondition=-!/opt/venv/venv/usr/bin/cond\nExecStart = /opt/venv/venv/usr/bin/spaced\nExecStart=relative-cmd\nExecStart=${CMD}\nEnvironment=PATH=/usr/bin\nKillMode=process\n"
        );
    }

    #[test]
    fn units_are_renamed_read_only_and_symlinks_left_alone() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let dest = d.path();
        std::fs::create_dir_all(dest.join("lib/systemd/system")).unwrap();
        std::fs::create_dir_all(dest.join("usr")).unwrap();
        std::os::unix::fs::symlink("../lib", dest.join("usr/lib")).unwrap();
        std::fs::write(
            dest.join("lib/systemd/system/salt-minion.service"),
            "ExecStart=/usr/bin/salt-minion\n",
        )
        .unwrap();
        std::fs::write(d.path().join("elsewhere.service"), "ExecStart=/x\n").unwrap();
        std::os::unix::fs::symlink("/etc/passwd", dest.join("lib/systemd/system/evil.service"))
            .unwrap();
        let r = Relocation::for_tests(dest);
        let mut report = Report::default();
        assert_eq!(fix(&r, &mut report).unwrap(), 1);
        let unit = dest.join("lib/systemd/system/venv-salt-minion.service");
        assert_eq!(
            std::fs::read_to_string(&unit).unwrap(),
            "ExecStart=/opt/venv/venv/usr/bin/salt-minion\n"
        );
        assert_eq!(
            std::fs::metadata(&unit).unwrap().permissions().mode() & 0o7777,
            0o444
        );
        assert_eq!(
            report.warnings,
            ["lib/systemd/system/evil.service: a unit that is not a regular file, left as is"]
        );
    }
}
