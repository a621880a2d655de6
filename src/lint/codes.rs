//! The finding codes `lint` reports, with the one-line summary the SARIF
//! rules carry and the README's "Finding codes" table explains.

/// One finding code and what it means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeInfo {
    /// The code, as printed in `[code]` and used as SARIF `ruleId` and
    /// GitLab `check_name`.
    pub code: &'static str,
    /// A short description (SARIF `shortDescription`).
    pub summary: &'static str,
}

/// Every code `lint` can report, in the order of the README's table.
pub const CODES: &[CodeInfo] = &[
    CodeInfo {
        code: "spec-syntax",
        summary: "The spec does not parse: unbalanced %if/%endif or an unclosed %{",
    },
    CodeInfo {
        code: "invalid-dependency",
        summary: "A dependency rpm would reject",
    },
    CodeInfo {
        code: "invalid-regex",
        summary: "A package list pattern that does not compile",
    },
    CodeInfo {
        code: "unclosed-block",
        summary: "A managed block opened and never closed",
    },
    CodeInfo {
        code: "duplicate-block",
        summary: "The same managed block twice in one file",
    },
    CodeInfo {
        code: "block-in-conditional",
        summary: "A managed block inside %if",
    },
    CodeInfo {
        code: "managed-block",
        summary: "A managed block venvjail cannot read",
    },
    CodeInfo {
        code: "list",
        summary: "A package list venvjail cannot read",
    },
    CodeInfo {
        code: "duplicate-dependency",
        summary: "The same dependency twice for one package under the same conditions",
    },
    CodeInfo {
        code: "duplicate-in-block",
        summary: "A hand-written dependency the managed block also holds",
    },
    CodeInfo {
        code: "buildrequires-in-subpackage",
        summary: "BuildRequires in a %package preamble, where rpm files it under the source package",
    },
    CodeInfo {
        code: "drift",
        summary: "A file differs from what the service generates from the snapshot",
    },
    CodeInfo {
        code: "requirements",
        summary: "The requirements file of _service is not PEP 508, loops, or names a file that cannot be read",
    },
    CodeInfo {
        code: "unknown-parameter",
        summary: "A venvjail entry of _service with a parameter the service does not know",
    },
    CodeInfo {
        code: "service-file",
        summary: "_service does not parse",
    },
    CodeInfo {
        code: "snapshot",
        summary: "The snapshot does not parse",
    },
    CodeInfo {
        code: "unexpanded-buildrequires",
        summary: "A BuildRequires with a macro the build configuration does not define",
    },
];

/// The README anchor that explains the codes (SARIF `helpUri`).
pub const HELP_URI: &str = concat!(env!("CARGO_PKG_REPOSITORY"), "#finding-codes");

/// What `code` means; `None` for a code missing from [`CODES`] (a test
/// keeps the table complete).
pub fn describe(code: &str) -> Option<&'static CodeInfo> {
    CODES.iter().find(|c| c.code == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every code literal the checks in `src/lint.rs` pass to a finding is
    /// in the table, so no SARIF rule or README row is missing.
    #[test]
    fn every_code_the_checks_report_is_described() {
        let source = include_str!("../lint.rs");
        // The other short literals there: file names, a serde attribute and
        // the severities' words.
        let not_codes = [
            "lowercase",
            "error",
            "warning",
            "spec",
            "venvjail",
            "include-rpm",
            "exclude-rpm",
            "remove-file",
        ];
        let mut missing = Vec::new();
        for (i, _) in source.match_indices('"') {
            let rest = &source[i + 1..];
            let Some(end) = rest.find('"') else { break };
            let lit = &rest[..end];
            let after = rest[end + 1..].trim_start();
            let code_like = !lit.is_empty()
                && lit.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')
                && (after.starts_with(',') || after.starts_with(')'));
            if code_like && !not_codes.contains(&lit) && describe(lit).is_none() {
                missing.push(lit);
            }
        }
        assert!(missing.is_empty(), "codes without a summary: {missing:?}");
    }

    #[test]
    fn codes_are_unique() {
        for (i, c) in CODES.iter().enumerate() {
            assert!(!CODES[..i].iter().any(|d| d.code == c.code), "{}", c.code);
        }
    }
}
