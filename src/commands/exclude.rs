//! `exclude`: the default exclude-rpm list.

use std::io::Write;
use std::path::Path;

use crate::error::Error;
use crate::output::Reporter;

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

use crate::rules::{default_exclude_block as default_block, EXCLUDE_HEADER as HEADER};

/// The default exclude-rpm file.
pub fn default_file() -> String {
    crate::rules::default_exclude_file()
}

/// Runs `exclude`: prints the list, or updates the block of `output`.
pub fn run(
    compat: bool,
    output: Option<&Path>,
    out: &mut dyn Write,
    report: &Reporter,
) -> Result<(), Error> {
    if compat {
        return out.write_all(ORIGINAL.as_bytes()).map_err(Error::stdout);
    }
    super::list_output::emit(HEADER, &default_block(), output, out, report)
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
