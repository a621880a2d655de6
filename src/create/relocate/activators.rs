//! The venv's activators (`bin/activate`, `activate.csh`, `activate.fish`,
//! and `activate.nu` when present): every occurrence of the build-time
//! DEST becomes R, whatever quoting the venv version writes
//! (`VIRTUAL_ENV="…"`, `'…'`, `$(cygpath '…')`), and the library path line
//! goes right after `deactivate nondestructive` (a missing line is an
//! error naming the activator, as the original intended). `activate.nu`
//! has no such line: only its path is rewritten.

use std::path::Path;

use super::{rewrite, RelocateError, Relocation, Report};

/// The activators and the line setting the library path in each (`{}`
/// is the value).
const ACTIVATORS: [(&str, Option<&str>); 4] = [
    ("activate", Some("export LD_LIBRARY_PATH=\"{}\"")),
    ("activate.csh", Some("setenv LD_LIBRARY_PATH \"{}\"")),
    ("activate.fish", Some("set -gx LD_LIBRARY_PATH \"{}\"")),
    ("activate.nu", None),
];

/// `R/lib`, plus `R/lib/<multiarch>` for each `lib/*-linux-gnu*`
/// directory the bundle holds (Debian's layout).
pub fn library_path(r: &Relocation) -> String {
    let lib = r.target.join("lib");
    let mut parts = vec![lib.display().to_string()];
    if let Ok(entries) = std::fs::read_dir(r.dest.join("lib")) {
        let mut multiarch: Vec<String> = entries
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains("-linux-gnu"))
            .collect();
        multiarch.sort();
        parts.extend(multiarch.iter().map(|m| lib.join(m).display().to_string()));
    }
    parts.join(":")
}

/// Rewrites the activators in `DEST/bin`; returns how many changed.
pub fn fix(r: &Relocation, report: &mut Report) -> Result<usize, RelocateError> {
    let from = r.dest.display().to_string();
    let to = r.target.display().to_string();
    let ld = library_path(r);
    // Every activator is checked before any is written.
    let mut rewritten = Vec::new();
    for (name, line) in ACTIVATORS {
        let rel = format!("bin/{name}");
        let path = r.dest.join(&rel);
        match std::fs::symlink_metadata(&path) {
            Ok(m) if m.is_file() => {}
            Ok(_) => {
                report
                    .warnings
                    .push(format!("{rel}: not a regular file, left as is"));
                continue;
            }
            Err(_) => continue,
        }
        let text = std::fs::read_to_string(&path).map_err(|e| RelocateError::io(&path, &e))?;
        let new = activator(&path, &text, &from, &to, line.map(|l| l.replace("{}", &ld)))?;
        if !text.contains(&from) {
            report
                .warnings
                .push(format!("{rel}: no {from} in it to rewrite"));
        }
        if new != text {
            rewritten.push((rel, path, new));
        }
    }
    for (rel, path, new) in &rewritten {
        rewrite(path, new.as_bytes(), None)?;
        report.changed.insert(rel.clone());
    }
    Ok(rewritten.len())
}

/// One activator rewritten: `from` replaced by `to`, `line` inserted after
/// the `deactivate nondestructive` line.
pub fn activator(
    path: &Path,
    text: &str,
    from: &str,
    to: &str,
    line: Option<String>,
) -> Result<String, RelocateError> {
    let replaced = text.replace(from, to);
    let Some(line) = line else {
        return Ok(replaced);
    };
    let mut out = String::with_capacity(replaced.len() + line.len() + 1);
    let mut inserted = false;
    for l in replaced.split_inclusive('\n') {
        out.push_str(l);
        if !inserted && l.trim() == "deactivate nondestructive" {
            if !l.ends_with('\n') {
                out.push('\n');
            }
            out.push_str(&line);
            out.push('\n');
            inserted = true;
        }
    }
    if !inserted {
        return Err(RelocateError::NoDeactivateLine {
            path: path.to_owned(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BUILD: &str = "/home/abuild/rpmbuild/BUILD/venv";
    const R: &str = "/opt/venv/venv";

    #[test]
    fn bash_activator_of_python_3_11() {
        let text = "deactivate () {\n    unset VIRTUAL_ENV\n}\n\n# unset irrelevant variables\ndeactivate nondestructive\n\nVIRTUAL_ENV=\"/home/abuild/rpmbuild/BUILD/venv\"\nexport VIRTUAL_ENV\n";
        let got = activator(
            Path::new("bin/activate"),
            text,
            BUILD,
            R,
            Some("export LD_LIBRARY_PATH=\"/opt/venv/venv/lib\"".into()),
        )
        .unwrap();
        assert_eq!(got, "deactivate () {\n    unset VIRTUAL_ENV\n}\n\n# unset irrelevant variables\ndeactivate nondestructive\nexport LD_LIBRARY_PATH=\"/opt/venv/venv/lib\"\n\nVIRTUAL_ENV=\"/opt/venv/venv\"\nexport VIRTUAL_ENV\n");
    }

    #[test]
    fn quoting_of_later_pythons_and_fish() {
        let text = "deactivate nondestructive\ncase \"$(uname)\" in\n    CYGWIN*|MSYS*|MINGW*)\n        VIRTUAL_ENV=$(cygpath '/home/abuild/rpmbuild/BUILD/venv')\n        ;;\n    *)\n        export VIRTUAL_ENV='/home/abuild/rpmbuild/BUILD/venv'\n        ;;\nesac\n";
        let got = activator(Path::new("bin/activate"), text, BUILD, R, Some("L".into())).unwrap();
        assert_eq!(got, "deactivate nondestructive\nL\ncase \"$(uname)\" in\n    CYGWIN*|MSYS*|MINGW*)\n        VIRTUAL_ENV=$(cygpath '/opt/venv/venv')\n        ;;\n    *)\n        export VIRTUAL_ENV='/opt/venv/venv'\n        ;;\nesac\n");
        let fish = "# Unset irrelevant variables.\ndeactivate nondestructive\n\nset -gx VIRTUAL_ENV '/home/abuild/rpmbuild/BUILD/venv'\n";
        let got = activator(
            Path::new("bin/activate.fish"),
            fish,
            BUILD,
            R,
            Some("set -gx LD_LIBRARY_PATH \"/opt/venv/venv/lib\"".into()),
        )
        .unwrap();
        assert_eq!(got, "# Unset irrelevant variables.\ndeactivate nondestructive\nset -gx LD_LIBRARY_PATH \"/opt/venv/venv/lib\"\n\nset -gx VIRTUAL_ENV '/opt/venv/venv'\n");
    }

    #[test]
    fn a_missing_deactivate_line_is_an_error() {
        let e = activator(
            Path::new("/b/venv/bin/activate.csh"),
            "setenv VIRTUAL_ENV \"/b/venv\"\n",
            "/b/venv",
            R,
            Some("x".into()),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "/b/venv/bin/activate.csh: no 'deactivate nondestructive' line to add LD_LIBRARY_PATH after"
        );
    }
}
