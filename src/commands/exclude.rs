//! `exclude`: the default exclude-rpm list.

use std::io::Write;
use std::path::Path;

use crate::atomic_write::replace_file;
use crate::error::Error;
use crate::output::Reporter;
use crate::rules::{self, BlockUpdate, BLOCK_END, BLOCK_START};

/// venvjail.py's `EXCLUDE_RPM` as its `exclude` command printed it
/// (`print()` adds a final newline), for `--compat`.
pub const ORIGINAL: &str = "# List of packages to ignore (use Python regex)

# Note that `exclude` takes precedence over `include`.  So if a
# package match both constrains, it will be excluded.

# Exclude irrelevant sub-packages
.*-debuginfo$
.*-debugsource$
.*-devel$
.*-devel-.*
# Exclude docs packages (but do not exclude docker)
.*-doc$
.*-docs$
.*-doc-.*
.*-test

# Python base breaks the venv
python-base
python3-base

# Exclude all Python 3 packages
python3.*

# Exclude rpmlint related packages
rpmlint.*

";

/// The lines outside the block when a new exclude-rpm is printed.
const HEADER: &str = "# List of packages to ignore (use Python regex, matched at the start of
# the package name). Exclude takes precedence over include: a package
# matching both is excluded. Lines outside the venvjail section are yours;
# venvjail regenerates the section.
";

/// The default entries: the original's, without `python3.*` (which matched
/// every `python311-*` package and emptied Python 3 bundles), plus the base
/// package of every Python flavour.
pub fn default_block() -> Vec<String> {
    [
        "# Exclude irrelevant sub-packages",
        ".*-debuginfo$",
        ".*-debugsource$",
        ".*-devel$",
        ".*-devel-.*",
        "# Exclude docs packages (but do not exclude docker)",
        ".*-doc$",
        ".*-docs$",
        ".*-doc-.*",
        ".*-test",
        "",
        "# Python base breaks the venv (of any flavour: python311-base)",
        "python-base",
        "python3-base",
        "python3[0-9]+-base$",
        "",
        "# Exclude rpmlint related packages",
        "rpmlint.*",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect()
}

/// The default exclude-rpm file.
pub fn default_file() -> String {
    let mut s = String::from(HEADER);
    s.push('\n');
    s.push_str(BLOCK_START);
    s.push('\n');
    for l in default_block() {
        s.push_str(&l);
        s.push('\n');
    }
    s.push_str(BLOCK_END);
    s.push('\n');
    s
}

/// Runs `exclude`: prints the list, or updates the block of `output`.
pub fn run(
    compat: bool,
    output: Option<&Path>,
    out: &mut dyn Write,
    report: &Reporter,
) -> Result<(), Error> {
    let Some(path) = output else {
        let text = if compat {
            ORIGINAL.to_owned()
        } else {
            default_file()
        };
        return out
            .write_all(text.as_bytes())
            .map_err(|source| Error::Write {
                path: "<stdout>".into(),
                source,
            });
    };
    let old = match std::fs::read(path) {
        Ok(b) => Some(b),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(Error::read(path, e)),
    };
    let new = match &old {
        None => default_file(),
        Some(bytes) => {
            let text = String::from_utf8_lossy(bytes);
            let name = path.display().to_string();
            let (new, how) = rules::update_block(&name, &text, &default_block())
                .map_err(|e| Error::Invalid(e.to_string()))?;
            if how == BlockUpdate::Appended {
                report.note(&format!(
                    "{name}: no '{BLOCK_START}' section: appended one at the end"
                ));
            }
            new
        }
    };
    if old.as_deref() != Some(new.as_bytes()) {
        replace_file(path, new.as_bytes())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::PackageList;

    #[test]
    fn default_list_keeps_python3_packages() {
        let list = PackageList::parse("exclude-rpm", &default_file()).unwrap();
        assert!(!list.matches("python311-salt"));
        assert!(!list.matches("python3-PyYAML"));
        assert!(list.matches("python311-base"));
        assert!(list.matches("python3-base"));
        assert!(list.matches("salt-doc"));
        assert!(list.matches("libzmq-devel"));
        let original = PackageList::parse("exclude-rpm", ORIGINAL).unwrap();
        assert!(
            original.matches("python311-salt"),
            "the bug the default fixes"
        );
    }
}
