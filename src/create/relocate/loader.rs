//! The `bin/python*` loader: each interpreter that is a file, not a
//! symlink (`venv --copies` makes them files), is renamed `NAME.original`
//! and replaced by a `/bin/sh` script, as the original's, that sets the
//! environment the relocated venv needs and runs it:
//!
//! ```sh
//! #!/bin/sh
//!
//! export VIRTUAL_ENV="R"
//! export PATH="$VIRTUAL_ENV/bin:$PATH"
//! export LD_LIBRARY_PATH="R/lib"
//! export PYTHONHOME="$VIRTUAL_ENV"
//! exec "$VIRTUAL_ENV/bin/python3.original" "$@"
//! ```
//!
//! `PYTHONHOME` is set only when the bundle holds a standard library
//! (`lib/pythonX.Y/encodings`); without one, Python must find the
//! system's, so it is not set and `create` warns once. The original set
//! `LD_LIBRARY_PATH` to `R/bin`, where no library lives; this sets the same
//! value as the activators.

use super::activators::library_path;
use super::{RelocateError, Relocation, Report};
use crate::create::tree::{self, Kind};

/// Installs the loaders; returns how many interpreters got one.
pub fn fix(r: &Relocation, report: &mut Report) -> Result<usize, RelocateError> {
    let bin = r.dest.join("bin");
    if !bin.is_dir() {
        return Ok(0);
    }
    let stdlib = r
        .dest
        .join(format!("lib/python{}/encodings", r.python_version))
        .is_dir();
    let mut done = 0;
    for node in tree::walk(&r.dest, &bin)? {
        let Some(name) = node
            .rel
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
        else {
            continue;
        };
        let nested = node.rel.parent() != Some(std::path::Path::new("bin"));
        if node.kind != Kind::File
            || nested
            || !name.starts_with("python")
            || name.ends_with(".original")
        {
            continue;
        }
        let path = r.dest.join(&node.rel);
        let original = bin.join(format!("{name}.original"));
        std::fs::rename(&path, &original).map_err(|e| RelocateError::io(&path, &e))?;
        write_loader(&path, &original, &script(r, &name, stdlib))?;
        report.changed.insert(format!("bin/{name}"));
        done += 1;
    }
    if done > 0 && !stdlib {
        report.warnings.push(format!(
            "lib/python{}/encodings: no standard library in the bundle, so the bin/python* loaders do not set PYTHONHOME and the venv runs on the system's Python {}",
            r.python_version, r.python_version
        ));
    }
    Ok(done)
}

/// Writes the loader at `path`, mode 0755, with the interpreter's mtime
/// (so two builds give the same tree).
fn write_loader(
    path: &std::path::Path,
    original: &std::path::Path,
    text: &str,
) -> Result<(), RelocateError> {
    let err = |e: std::io::Error| RelocateError::io(path, &e);
    let how = crate::atomic_write::Replacement {
        mode: 0o755,
        owner: None,
        mtime: Some(
            std::fs::symlink_metadata(original)
                .and_then(|m| m.modified())
                .map_err(err)?,
        ),
        sync: false,
    };
    crate::atomic_write::write_beside(path, text.as_bytes(), &how).map_err(err)
}

/// The loader for `bin/NAME`.
pub fn script(r: &Relocation, name: &str, stdlib: bool) -> String {
    format!(
        "#!/bin/sh\n\nexport VIRTUAL_ENV=\"{}\"\nexport PATH=\"$VIRTUAL_ENV/bin:$PATH\"\nexport LD_LIBRARY_PATH=\"{}\"\n{}exec \"$VIRTUAL_ENV/bin/{name}.original\" \"$@\"\n",
        r.target.display(),
        library_path(r),
        if stdlib {
            "export PYTHONHOME=\"$VIRTUAL_ENV\"\n"
        } else {
            ""
        },
    )
}
