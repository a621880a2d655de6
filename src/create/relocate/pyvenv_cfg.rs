//! `pyvenv.cfg`: Python ≥ 3.11 records the command that made the venv
//! (`command = /usr/bin/python3 -m venv /build/DEST`); the build-time
//! DEST on that line becomes R. Other lines (`home`, `version`) stay.

use super::{rewrite, RelocateError, Relocation, Report};

/// Rewrites the `command` line; returns 1 when it changed.
pub fn fix(r: &Relocation, report: &mut Report) -> Result<usize, RelocateError> {
    let path = r.dest.join("pyvenv.cfg");
    match std::fs::symlink_metadata(&path) {
        Ok(m) if m.is_file() => {}
        _ => return Ok(0),
    }
    let text = std::fs::read_to_string(&path).map_err(|e| RelocateError::io(&path, &e))?;
    let new = command_line(
        &text,
        &r.dest.display().to_string(),
        &r.target.display().to_string(),
    );
    if new == text {
        return Ok(0);
    }
    rewrite(&path, new.as_bytes(), None)?;
    report.changed.insert("pyvenv.cfg".into());
    Ok(1)
}

/// `text` with `from` replaced by `to` on the `command` line only.
pub fn command_line(text: &str, from: &str, to: &str) -> String {
    text.split_inclusive('\n')
        .map(|line| {
            let key = line.split('=').next().unwrap_or("").trim();
            if key == "command" {
                line.replace(from, to)
            } else {
                line.to_owned()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_the_command_line_changes() {
        let text = "home = /usr/bin\ninclude-system-site-packages = true\nversion = 3.11.7\nexecutable = /usr/bin/python3.11\ncommand = /usr/bin/python3 -m venv --copies --without-pip /b/venv\n";
        assert_eq!(
            super::command_line(text, "/b/venv", "/opt/venv/venv"),
            "home = /usr/bin\ninclude-system-site-packages = true\nversion = 3.11.7\nexecutable = /usr/bin/python3.11\ncommand = /usr/bin/python3 -m venv --copies --without-pip /opt/venv/venv\n"
        );
    }
}
