//! `lint`: offline checks of a package directory for CI (DESIGN §7).
//!
//! Reads every `*.spec` and the list files (`include-rpm`, `exclude-rpm`,
//! `remove-file`) of one directory and reports findings as
//! `path:line:col: error|warning: message [code]`. Nothing is written and
//! nothing is fetched. How findings are printed (text, JSON, GitHub,
//! SARIF, GitLab) is [`report`]'s job.

pub mod codes;
pub mod github;
pub mod gitlab;
pub mod report;
pub mod sarif;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::Error;
use crate::rpmspec::edit::{managed_blocks, EditError};
use crate::rpmspec::{self, DepTag, LineKind, MacroTable, SpecFile};
use crate::rules::{self, ListError, PackageList};

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Counts only with `--strict`.
    Warning,
    /// Makes `lint` exit 1.
    Error,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The file, as reached from the linted directory.
    pub path: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column (bytes).
    pub col: u32,
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong.
    pub message: String,
    /// A stable code naming the check.
    pub code: &'static str,
    /// For drift: the diff from the file to what venvjail generates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(
            f,
            "{}:{}:{}: {sev}: {} [{}]",
            self.path, self.line, self.col, self.message, self.code
        )?;
        if let Some(diff) = &self.diff {
            write!(f, "\n{}", diff.trim_end())?;
        }
        Ok(())
    }
}

/// The list files `lint` checks when they exist.
pub const LIST_FILES: [&str; 3] = ["include-rpm", "exclude-rpm", "remove-file"];

/// Lints `dir`; an error means lint could not run (exit 2).
pub fn lint_dir(dir: &Path) -> Result<Vec<Finding>, Error> {
    lint_dir_with(dir, None)
}

/// Lints `dir`, reading its specs with `buildconfig` (the macros of
/// `--buildconfig`, as OBS's scheduler sees them) when given.
pub fn lint_dir_with(dir: &Path, buildconfig: Option<&MacroTable>) -> Result<Vec<Finding>, Error> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::read(dir, e))?;
    let mut specs: Vec<PathBuf> = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| Error::read(dir, e))?.path();
        if path.extension().is_some_and(|e| e == "spec") && path.is_file() {
            specs.push(path);
        }
    }
    specs.sort();
    let mut findings = Vec::new();
    for path in &specs {
        let bytes = crate::error::read_file(path)?;
        lint_spec_with(&display(dir, path), &bytes, buildconfig, &mut findings);
    }
    lint_service(dir, &mut findings);
    for name in LIST_FILES {
        let path = dir.join(name);
        if let Some(bytes) = crate::error::read_optional(&path)? {
            lint_list(
                &display(dir, &path),
                &String::from_utf8_lossy(&bytes),
                &mut findings,
            );
        }
    }
    Ok(findings)
}

/// `dir/name` as the user wrote the directory (no `./` prefix).
fn display(dir: &Path, path: &Path) -> String {
    let name = path.file_name().map(Path::new).unwrap_or(path);
    if dir == Path::new(".") {
        name.display().to_string()
    } else {
        dir.join(name).display().to_string()
    }
}

fn finding(
    path: &str,
    line: u32,
    col: u32,
    severity: Severity,
    message: String,
    code: &'static str,
) -> Finding {
    Finding {
        path: path.to_owned(),
        line,
        col,
        severity,
        message,
        code,
        diff: None,
    }
}

/// Checks one spec.
pub fn lint_spec(path: &str, bytes: &[u8], out: &mut Vec<Finding>) {
    lint_spec_with(path, bytes, None, out);
}

/// Checks one spec; with `buildconfig`, read as OBS's scheduler reads it,
/// and a BuildRequires it cannot expand is a warning (OBS asks for the
/// literal text, which nothing provides).
pub fn lint_spec_with(
    path: &str,
    bytes: &[u8],
    buildconfig: Option<&MacroTable>,
    out: &mut Vec<Finding>,
) {
    let file = rpmspec::parse(bytes);
    for d in &file.diagnostics {
        out.push(finding(
            path,
            d.line,
            1,
            Severity::Error,
            d.message.clone(),
            "spec-syntax",
        ));
    }
    let table = buildconfig
        .cloned()
        .unwrap_or_else(MacroTable::with_rpm_core);
    let analysis = rpmspec::dependencies(&file, table);
    if buildconfig.is_some() {
        unexpanded_buildrequires(path, &analysis.deps, out);
    }
    for w in analysis
        .warnings
        .iter()
        .filter(|w| w.message.contains(" skipped: "))
    {
        let message = w.message.replace(" skipped: ", ": ");
        out.push(finding(
            path,
            w.line,
            1,
            Severity::Error,
            message,
            "invalid-dependency",
        ));
    }
    let blocks = match managed_blocks(&file) {
        Ok(b) => b,
        Err(e) => {
            let (line, code) = match &e {
                EditError::Unclosed { line, .. } => (*line, "unclosed-block"),
                EditError::Duplicate { line, .. } => (*line, "duplicate-block"),
                EditError::InConditional { line, .. } => (*line, "block-in-conditional"),
                _ => (1, "managed-block"),
            };
            let text = e.to_string();
            let message = text
                .split_once(": ")
                .map_or(text.as_str(), |(_, m)| m)
                .to_owned();
            out.push(finding(path, line, 1, Severity::Error, message, code));
            Vec::new()
        }
    };
    let in_block = |line: u32| {
        blocks
            .iter()
            .any(|b| file.lines[b.opener].number < line && line < file.lines[b.closer].number)
    };
    duplicates(path, &file, &analysis.deps, &in_block, out);
    buildrequires_in_subpackages(path, &file, out);
}

/// With `--buildconfig`: BuildRequires OBS would see with a macro it
/// cannot expand.
fn unexpanded_buildrequires(path: &str, deps: &[rpmspec::Dependency], out: &mut Vec<Finding>) {
    for d in deps {
        if d.tag != DepTag::BuildRequires || d.expanded.is_some() || d.active == Some(false) {
            continue;
        }
        out.push(finding(
            path,
            d.line,
            1,
            Severity::Warning,
            format!(
                "BuildRequires '{}' uses a macro the build configuration does not define",
                d.raw
            ),
            "unexpanded-buildrequires",
        ));
    }
}

/// The same dependency twice in one package under the same conditions.
fn duplicates(
    path: &str,
    file: &SpecFile<'_>,
    deps: &[rpmspec::Dependency],
    in_block: &dyn Fn(u32) -> bool,
    out: &mut Vec<Finding>,
) {
    type Key<'d> = (
        &'d str,
        DepTag,
        Vec<&'d str>,
        String,
        Vec<(u32, &'static str)>,
    );
    let mut seen: HashMap<Key, (u32, bool)> = HashMap::new();
    for d in deps {
        let text = match &d.expanded {
            Some(e) => e
                .as_slice()
                .iter()
                .map(|x| match (x.op, &x.evr) {
                    (Some(op), Some(evr)) => format!("{} {} {evr}", x.name, op.as_str()),
                    _ => x.name.to_string(),
                })
                .collect::<Vec<_>>()
                .join(" "),
            None => d.raw.to_string(),
        };
        let mut quals: Vec<&str> = d.qualifiers.iter().map(|q| &**q).collect();
        quals.sort();
        let conds = d.conditions.iter().map(|c| (c.line, c.branch)).collect();
        let key = (&*d.package, d.tag, quals, text.clone(), conds);
        let here_in_block = in_block(d.line);
        match seen.get(&key) {
            None => {
                seen.insert(key, (d.line, here_in_block));
            }
            Some(&(first, first_in_block)) => {
                if here_in_block != first_in_block {
                    let (hand, block) = if here_in_block {
                        (first, d.line)
                    } else {
                        (d.line, first)
                    };
                    out.push(finding(
                        path,
                        hand,
                        dep_column(file, hand, &d.raw),
                        Severity::Warning,
                        format!(
                            "{} '{text}' is written by hand at line {hand} and also held by the venvjail block (line {block})",
                            d.tag.as_str()
                        ),
                        "duplicate-in-block",
                    ));
                } else {
                    out.push(finding(
                        path,
                        d.line,
                        dep_column(file, d.line, &d.raw),
                        Severity::Error,
                        format!(
                            "duplicate {} '{text}' (first at line {first})",
                            d.tag.as_str()
                        ),
                        "duplicate-dependency",
                    ));
                }
            }
        }
    }
}

/// Column of a dependency's text in a line (1-based; 1 when not found).
fn dep_column(file: &SpecFile<'_>, line: u32, raw: &str) -> u32 {
    file.lines
        .iter()
        .find(|l| l.number == line)
        .and_then(|l| {
            let text = file.str(&l.span);
            text.rfind(raw).map(|c| c as u32 + 1)
        })
        .unwrap_or(1)
}

/// `BuildRequires` in a `%package` preamble: rpm files it under the source
/// package anyway, which surprises readers.
fn buildrequires_in_subpackages(path: &str, file: &SpecFile<'_>, out: &mut Vec<Finding>) {
    for line in &file.lines {
        let LineKind::Tag(t) = &line.kind else {
            continue;
        };
        if t.tag != rpmspec::Tag::Dependency(DepTag::BuildRequires) || line.section.is_none() {
            continue;
        }
        let header = line.section.map(|s| file.lines[s].number).unwrap_or(0);
        out.push(finding(
            path,
            line.number,
            1,
            Severity::Warning,
            format!("BuildRequires in the %package preamble at line {header} belongs to the source package; move it to the main preamble"),
            "buildrequires-in-subpackage",
        ));
    }
}

/// Checks one list file.
pub fn lint_list(path: &str, text: &str, out: &mut Vec<Finding>) {
    // Report every invalid pattern, not just the first.
    for (n, raw) in text.lines().enumerate() {
        if let Err(ListError::InvalidRegex {
            pattern, reason, ..
        }) = PackageList::parse(path, raw)
        {
            let col = raw.find(pattern.as_str()).map_or(1, |c| c as u32 + 1);
            out.push(finding(
                path,
                n as u32 + 1,
                col,
                Severity::Error,
                format!("invalid regex '{pattern}': {reason}"),
                "invalid-regex",
            ));
        }
    }
    if let Err(e) = rules::find_block(path, text) {
        let (line, code) = match &e {
            ListError::UnclosedBlock { line, .. } => (*line, "unclosed-block"),
            ListError::DuplicateBlock { line, .. } => (*line, "duplicate-block"),
            _ => (1, "list"),
        };
        let text = e.to_string();
        let message = text
            .splitn(3, ':')
            .nth(2)
            .unwrap_or(&text)
            .trim()
            .to_owned();
        out.push(finding(
            path,
            line as u32,
            1,
            Severity::Error,
            message,
            code,
        ));
    }
}

/// The exit code for a set of findings: 1 when an error (or, with
/// `strict`, a warning) was found, else 0.
pub fn exit_code(findings: &[Finding], strict: bool) -> u8 {
    let counts = findings
        .iter()
        .any(|f| f.severity == Severity::Error || (strict && f.severity == Severity::Warning));
    u8::from(counts)
}

/// `_service`: unknown venvjail parameters; and the drift between the
/// snapshot and the generated files (the service's regeneration, offline).
fn lint_service(dir: &Path, out: &mut Vec<Finding>) {
    let svc_path = dir.join("_service");
    let shown = display(dir, &svc_path);
    if let Ok(bytes) = std::fs::read(&svc_path) {
        let text = String::from_utf8_lossy(&bytes);
        match crate::obs::service_file::parse(&shown, &text) {
            Err(e) => out.push(finding(&shown, 1, 1, Severity::Error, e, "service-file")),
            Ok(entries) => {
                for entry in entries.iter().filter(|e| e.name == "venvjail") {
                    for p in entry
                        .params
                        .iter()
                        .filter(|p| !crate::service::PARAMETERS.contains(&p.name.as_str()))
                    {
                        let needle = format!("name=\"{}\"", p.name);
                        let (line, col) = text
                            .lines()
                            .enumerate()
                            .find_map(|(n, l)| {
                                l.find(&needle).map(|c| (n as u32 + 1, c as u32 + 1))
                            })
                            .unwrap_or((1, 1));
                        out.push(finding(
                            &shown,
                            line,
                            col,
                            Severity::Error,
                            format!("unknown venvjail parameter '{}'", p.name),
                            "unknown-parameter",
                        ));
                    }
                }
            }
        }
    }
    drift(dir, out);
}

fn drift(dir: &Path, out: &mut Vec<Finding>) {
    let mut params = crate::service::Params::default();
    if params.merge_service_file(dir).is_err() {
        return; // reported above
    }
    let inputs = match crate::service::read_inputs(dir, &params) {
        Ok(inputs) => inputs,
        Err(crate::Error::Requirements(e)) => {
            let (path, line, col, message) = e.position();
            out.push(finding(
                &path,
                line,
                col,
                Severity::Error,
                message,
                "requirements",
            ));
            return;
        }
        Err(_) => return, // no single spec: nothing to compare
    };
    if !inputs.snapshot.exists() {
        return;
    }
    let snap_name = display(dir, &inputs.snapshot);
    let snapshot = match crate::obs::snapshot::read_snapshot(&inputs.snapshot) {
        Ok(s) => s,
        Err(e) => {
            let text = e.to_string();
            let line = text
                .split(':')
                .nth(1)
                .and_then(|l| l.parse().ok())
                .unwrap_or(1);
            out.push(finding(
                &snap_name,
                line,
                1,
                Severity::Error,
                text,
                "snapshot",
            ));
            return;
        }
    };
    // Lists and blocks that do not parse are reported by their own checks.
    let Ok(files) = crate::service::regenerate(&inputs, &snapshot) else {
        return;
    };
    for f in files.iter().filter(|f| f.changed()) {
        let path = display(dir, &dir.join(&f.name));
        let old = f.old.as_deref().unwrap_or(b"");
        out.push(Finding {
            diff: Some(crate::diff::unified(&f.name, old, &f.new)),
            ..finding(
                &path,
                1,
                1,
                Severity::Error,
                format!("differs from what venvjail generates from {snap_name}; run the service (osc service manualrun; runall with osc before 1.0)"),
                "drift",
            )
        });
    }
}
