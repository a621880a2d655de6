//! `lint --format gitlab`: a GitLab Code Quality report (a JSON array of
//! issues), for `artifacts: reports: codequality:`.
//!
//! Severity: an error is `major`, a warning `minor`. The fingerprint is
//! what GitLab compares between the base and the head of a merge request to
//! tell new findings from old ones; see [`super::report::fingerprints`].
//! The drift diff follows the message in `description`.

use serde::Serialize;

use super::{Finding, Severity};

/// One Code Quality issue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Issue {
    /// The finding's message, followed by the diff for drift.
    pub description: String,
    /// The finding code.
    pub check_name: &'static str,
    /// Stable across runs, distinct per finding (see the module doc).
    pub fingerprint: String,
    /// `major` (error) or `minor` (warning).
    pub severity: &'static str,
    /// Where the finding is.
    pub location: Location,
}

/// A Code Quality location.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Location {
    /// The file, relative to the directory lint was started in.
    pub path: String,
    /// The line range (only its start).
    pub lines: Lines,
}

/// A Code Quality line range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Lines {
    /// 1-based first line.
    pub begin: u32,
}

/// The Code Quality issues for `findings`, in their order.
pub fn report(findings: &[Finding]) -> Vec<Issue> {
    findings
        .iter()
        .zip(super::report::fingerprints(findings))
        .map(|(f, fingerprint)| {
            let mut description = f.message.clone();
            if let Some(diff) = &f.diff {
                description.push('\n');
                description.push_str(diff.trim_end());
            }
            Issue {
                description,
                check_name: f.code,
                fingerprint,
                severity: match f.severity {
                    Severity::Error => "major",
                    Severity::Warning => "minor",
                },
                location: Location {
                    path: super::report::repository_path(&f.path).to_owned(),
                    lines: Lines {
                        begin: f.line.max(1),
                    },
                },
            }
        })
        .collect()
}
