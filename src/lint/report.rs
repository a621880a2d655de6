//! How `lint` prints its findings: text, JSON, GitHub workflow commands,
//! SARIF 2.1.0 or a GitLab Code Quality report. The checks do not know
//! about formats; every format prints the same findings in the same order,
//! and the exit code does not depend on the format.

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::Path;

use sha2::{Digest, Sha256};

use super::{github, gitlab, sarif, Finding};

/// An output format of `lint`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    /// `path:line:col: error|warning: message [code]`, the diff below drift.
    Text,
    /// An array of the findings as they are.
    Json,
    /// GitHub Actions workflow commands (annotations on the change).
    Github,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
    /// A GitLab Code Quality report.
    Gitlab,
}

/// Writes `findings` of the directory `dir` to `out` in `format`.
pub fn write_report(
    format: ReportFormat,
    dir: &Path,
    findings: &[Finding],
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        ReportFormat::Text => {
            for f in findings {
                writeln!(out, "{f}")?;
            }
        }
        ReportFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, findings)?;
            writeln!(out)?;
        }
        ReportFormat::Github => out.write_all(github::annotations(findings).as_bytes())?,
        ReportFormat::Sarif => {
            serde_json::to_writer_pretty(&mut *out, &sarif::log(dir, findings))?;
            writeln!(out)?;
        }
        ReportFormat::Gitlab => {
            serde_json::to_writer_pretty(&mut *out, &gitlab::report(findings))?;
            writeln!(out)?;
        }
    }
    Ok(())
}

/// A finding's path as CI systems resolve it against the checkout: the
/// path as lint printed it, without leading `./`.
pub fn repository_path(path: &str) -> &str {
    let mut path = path;
    while let Some(rest) = path.strip_prefix("./") {
        path = rest.trim_start_matches('/');
    }
    path
}

/// One fingerprint per finding, stable across runs and distinct within
/// one run: a hash of the code, the path, the message without the line
/// numbers it mentions, and the rank among findings equal in those three.
/// The finding's own line and the drift diff are left out, so adding an
/// unrelated line above a finding keeps its fingerprint (GitLab and GitHub
/// then see the same finding, not a fixed one and a new one).
pub fn fingerprints(findings: &[Finding]) -> Vec<String> {
    let mut seen: HashMap<(&str, &str, String), u32> = HashMap::new();
    findings
        .iter()
        .map(|f| {
            let path = repository_path(&f.path);
            let message = without_line_numbers(&f.message);
            let rank = seen.entry((path, f.code, message.clone())).or_insert(0);
            let mut hash = Sha256::new();
            for part in ["venvjail", f.code, path, &message, &rank.to_string()] {
                hash.update(part.as_bytes());
                hash.update([0]);
            }
            *rank += 1;
            hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
        })
        .collect()
}

/// `message` with every `line N` turned into `line #`.
fn without_line_numbers(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(at) = rest.find("line ") {
        let word = !rest[..at].ends_with(|c: char| c.is_alphanumeric());
        let (before, after) = rest.split_at(at + "line ".len());
        out.push_str(before);
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        let digits = if word { digits } else { 0 };
        if digits > 0 {
            out.push('#');
        }
        rest = &after[digits..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_numbers_in_messages_are_left_out() {
        assert_eq!(
            without_line_numbers("duplicate Requires 'x' (first at line 12), see line 3"),
            "duplicate Requires 'x' (first at line #), see line #"
        );
        assert_eq!(
            without_line_numbers("no line here: inline 7"),
            "no line here: inline 7"
        );
    }

    #[test]
    fn leading_dot_slash_is_dropped() {
        assert_eq!(repository_path("./pkg/a.spec"), "pkg/a.spec");
        assert_eq!(repository_path(".//a.spec"), "a.spec");
        assert_eq!(repository_path("pkg/a.spec"), "pkg/a.spec");
    }
}
