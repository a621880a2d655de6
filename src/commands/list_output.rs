//! Printing a generated list, or writing it into the venvjail section of a
//! file (`-o FILE`), as `include`, `exclude`, `binary` and `requires` do.

use std::io::Write;
use std::path::Path;

use crate::atomic_write::replace_file;
use crate::error::Error;
use crate::output::Reporter;
use crate::rules::{self, BlockUpdate, BLOCK_START};

pub use crate::rules::new_list_file as new_file;

/// Prints the list to `out`, or updates the block of `output` (creating the
/// file with `header` when it does not exist). Writes only when the file
/// changes.
pub fn emit(
    header: &str,
    lines: &[String],
    output: Option<&Path>,
    out: &mut dyn Write,
    report: &Reporter,
) -> Result<(), Error> {
    let Some(path) = output else {
        return out
            .write_all(new_file(header, lines).as_bytes())
            .map_err(Error::stdout);
    };
    let old = crate::error::read_optional(path)?;
    let new = match &old {
        None => new_file(header, lines),
        Some(bytes) => {
            let text = String::from_utf8_lossy(bytes);
            let name = path.display().to_string();
            let (new, how) = rules::update_block(&name, &text, lines)
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
