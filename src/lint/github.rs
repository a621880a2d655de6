//! `lint --format github`: GitHub Actions workflow commands, one
//! `::error …::message` or `::warning …::message` line per finding.
//!
//! Escaping follows `@actions/core` (`packages/core/src/command.ts`):
//! the message escapes `%`, `\r` and `\n`; property values also `:` and
//! `,`. The drift diff follows the message on its own lines (escaped
//! newlines), which the annotation shows as is.

use super::{Finding, Severity};

/// The workflow command lines for `findings`, each ending in `\n`.
pub fn annotations(findings: &[Finding]) -> String {
    let mut out = String::new();
    for f in findings {
        let command = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut message = f.message.clone();
        if let Some(diff) = &f.diff {
            message.push('\n');
            message.push_str(diff.trim_end());
        }
        out.push_str(&format!(
            "::{command} file={},line={},col={},title={}::{}\n",
            escape_property(super::report::repository_path(&f.path)),
            f.line,
            f.col,
            escape_property(&format!("venvjail {}", f.code)),
            escape_data(&message),
        ));
    }
    out
}

/// A workflow command's message: `%`, `\r` and `\n` escaped.
pub fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A workflow command's property value: as [`escape_data`], plus `:` and `,`.
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_escapes_percent_first_then_line_breaks() {
        assert_eq!(escape_data("50%\r\nx: a,b"), "50%25%0D%0Ax: a,b");
        // An already escaped sequence is escaped again, not passed through.
        assert_eq!(escape_data("%0A"), "%250A");
    }

    #[test]
    fn properties_also_escape_colon_and_comma() {
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }
}
