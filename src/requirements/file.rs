//! Reading pip requirements files: pip's file syntax around PEP 508 lines.
//!
//! What pip does, in pip's order: a line ending in `\` continues on the next
//! one; `#` at the start of a line or after whitespace starts a comment;
//! blank lines are skipped. A line starting with `-` is an option:
//! `-r`/`--requirement FILE` reads FILE (relative to the including file),
//! `-c`/`--constraint FILE` reads FILE's pins as constraints (they add no
//! package, only version checks), `-e`/`--editable` and URL or path lines
//! are skipped with a warning (nothing maps a checkout to a distribution
//! binary), every other option (`--index-url`, `--hash`…) is ignored (noted
//! with `-v`). Any other line is a PEP 508 requirement, parsed by
//! `pep508_rs`; per-requirement options after it (`--hash=…`) are dropped
//! as pip drops them. A line that is not PEP 508 is an error naming
//! `file:line:col`; an `-r`/`-c` loop is an error naming the files.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use pep508_rs::{Pep508ErrorSource, Requirement, VersionOrUrl};

/// Where a line of a requirements file is.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Location {
    /// The file as given (`-r` paths joined to the including file's directory).
    pub file: String,
    /// 1-based line.
    pub line: u32,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// One requirement and the line it came from.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Where it was written.
    pub location: Location,
    /// The requirement as written (comment and options removed).
    pub text: String,
    /// The parsed PEP 508 requirement.
    pub requirement: Requirement,
}

/// A message about one line: a skipped line (warning) or an ignored option (note).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineMessage {
    /// The line.
    pub location: Location,
    /// What happened to it.
    pub message: String,
}

/// Everything read from a requirements file and the files it includes.
#[derive(Debug, Clone, Default)]
pub struct RequirementsSet {
    /// The requirements, in file order (`-r` files where they are included).
    pub requirements: Vec<Entry>,
    /// The constraints (`-c` files), used only to check versions.
    pub constraints: Vec<Entry>,
    /// Lines skipped that the packager should know about (`-e`, URLs).
    pub warnings: Vec<LineMessage>,
    /// Options ignored (`--index-url`…), shown with `-v`.
    pub notes: Vec<LineMessage>,
}

/// A requirements file that cannot be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RequirementsError {
    /// The top-level file cannot be read.
    #[error("cannot read {file}: {}", crate::error::describe_io(source))]
    Read {
        /// The file.
        file: String,
        /// Why.
        source: std::io::Error,
    },
    /// A file named by `-r`/`-c` cannot be read.
    #[error("{at}: cannot read {file}: {}", crate::error::describe_io(source))]
    Include {
        /// The line naming it.
        at: Location,
        /// The file.
        file: String,
        /// Why.
        source: std::io::Error,
    },
    /// A line that is not PEP 508 or a bad option.
    #[error("{file}:{line}:{col}: {message}")]
    Syntax {
        /// The file.
        file: String,
        /// 1-based line.
        line: u32,
        /// 1-based column (characters).
        col: u32,
        /// What is wrong, one line.
        message: String,
    },
    /// `-r`/`-c` files that include each other.
    #[error("{at}: '{line}' makes a loop: {}", chain.join(" -> "))]
    Loop {
        /// The line that closes the loop.
        at: Location,
        /// The line as written.
        line: String,
        /// The files of the cycle, the first repeated at the end.
        chain: Vec<String>,
    },
}

impl RequirementsError {
    /// The file, line and column the error is about, and the message
    /// without them (for `lint`'s `path:line:col:` findings).
    pub fn position(&self) -> (String, u32, u32, String) {
        match self {
            RequirementsError::Read { file, source } => (
                file.clone(),
                1,
                1,
                format!("cannot read {file}: {}", crate::error::describe_io(source)),
            ),
            RequirementsError::Include { at, file, source } => (
                at.file.clone(),
                at.line,
                1,
                format!("cannot read {file}: {}", crate::error::describe_io(source)),
            ),
            RequirementsError::Syntax {
                file,
                line,
                col,
                message,
            } => (file.clone(), *line, *col, message.clone()),
            RequirementsError::Loop { at, line, chain } => (
                at.file.clone(),
                at.line,
                1,
                format!("'{line}' makes a loop: {}", chain.join(" -> ")),
            ),
        }
    }
}

/// What a file's lines are read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Requirements,
    Constraints,
}

/// Reads `path` and everything it includes.
pub fn read(path: &Path) -> Result<RequirementsSet, RequirementsError> {
    let mut set = RequirementsSet::default();
    let mut reader = Reader {
        set: &mut set,
        stack: Vec::new(),
        done: Vec::new(),
    };
    let bytes = std::fs::read(path).map_err(|source| RequirementsError::Read {
        file: path.display().to_string(),
        source,
    })?;
    reader.file(path, &bytes, Role::Requirements, None)?;
    Ok(set)
}

/// Parses `text` as the requirements file `name` (no `-r`/`-c` may be
/// followed: they are read relative to `name`'s directory).
pub fn read_text(name: &Path, text: &str) -> Result<RequirementsSet, RequirementsError> {
    let mut set = RequirementsSet::default();
    let mut reader = Reader {
        set: &mut set,
        stack: Vec::new(),
        done: Vec::new(),
    };
    reader.file(name, text.as_bytes(), Role::Requirements, None)?;
    Ok(set)
}

struct Reader<'a> {
    set: &'a mut RequirementsSet,
    /// Files being read: (canonical path, display name).
    stack: Vec<(PathBuf, String)>,
    /// Files read completely (a file included twice is read once).
    done: Vec<PathBuf>,
}

/// A logical line: its text and, for each physical line it joins, the line
/// number and the offset in `text` where that physical line starts.
struct Logical {
    text: String,
    parts: Vec<(u32, usize)>,
}

impl Logical {
    /// The physical line and 1-based character column of byte `offset`.
    fn position(&self, offset: usize) -> (u32, u32) {
        let (line, start) = self
            .parts
            .iter()
            .rev()
            .find(|(_, s)| *s <= offset)
            .copied()
            .unwrap_or((self.parts.first().map_or(1, |p| p.0), 0));
        let col = self
            .text
            .get(start..offset)
            .map_or(1, |s| s.chars().count() + 1);
        (line, u32::try_from(col).unwrap_or(u32::MAX))
    }
}

/// Joins `\`-continued lines, as pip does before it strips comments.
fn logical_lines(text: &str) -> Vec<Logical> {
    let mut out = Vec::new();
    let mut current: Option<Logical> = None;
    for (i, raw) in text.split('\n').enumerate() {
        let number = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let (body, continues) = match line.strip_suffix('\\') {
            Some(body) => (body, true),
            None => (line, false),
        };
        let logical = current.get_or_insert_with(|| Logical {
            text: String::new(),
            parts: Vec::new(),
        });
        logical.parts.push((number, logical.text.len()));
        logical.text.push_str(body);
        if !continues {
            out.extend(current.take());
        }
    }
    out.extend(current.take());
    out
}

/// The end of the line's content before a comment: `#` at the start or
/// after whitespace.
fn comment_start(text: &str) -> usize {
    let mut prev_space = true;
    for (i, c) in text.char_indices() {
        if c == '#' && prev_space {
            return i;
        }
        prev_space = c.is_whitespace();
    }
    text.len()
}

/// Options whose argument is a file pip reads, and how.
enum FileOption {
    Requirement,
    Constraint,
    Editable,
}

impl Reader<'_> {
    fn file(
        &mut self,
        path: &Path,
        bytes: &[u8],
        role: Role,
        included_at: Option<(Location, &str)>,
    ) -> Result<(), RequirementsError> {
        let display = path.display().to_string();
        let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
        if let Some(pos) = self.stack.iter().position(|(p, _)| *p == canonical) {
            let mut chain: Vec<String> = self.stack[pos..].iter().map(|(_, n)| n.clone()).collect();
            chain.push(display.clone());
            let (at, line) = included_at.map_or_else(
                || {
                    (
                        Location {
                            file: display,
                            line: 1,
                        },
                        String::new(),
                    )
                },
                |(at, line)| (at, line.to_owned()),
            );
            return Err(RequirementsError::Loop { at, line, chain });
        }
        if self.done.contains(&canonical) {
            return Ok(());
        }
        self.stack.push((canonical.clone(), display.clone()));
        let text = String::from_utf8_lossy(bytes);
        for logical in logical_lines(&text) {
            self.line(path, &display, &logical, role)?;
        }
        self.stack.pop();
        self.done.push(canonical);
        Ok(())
    }

    fn line(
        &mut self,
        path: &Path,
        display: &str,
        logical: &Logical,
        role: Role,
    ) -> Result<(), RequirementsError> {
        let content = &logical.text[..comment_start(&logical.text)];
        let start = content.len() - content.trim_start().len();
        let content = content.trim();
        if content.is_empty() {
            return Ok(());
        }
        let (first_line, _) = logical.position(start);
        let location = Location {
            file: display.to_owned(),
            line: first_line,
        };
        if content.starts_with('-') {
            return self.option(path, display, logical, start, content, location, role);
        }
        // pip: the requirement ends at the first whitespace-separated token
        // that starts with `-` (per-requirement options such as `--hash`).
        let mut end = content.len();
        let mut prev_space = false;
        for (i, c) in content.char_indices() {
            if c == '-' && prev_space {
                end = i;
                break;
            }
            prev_space = c.is_whitespace();
        }
        let text = content[..end].trim_end();
        if looks_like_location(text) {
            self.set.warnings.push(LineMessage {
                location,
                message: format!("'{text}' is a URL or a path, not a distribution name: skipped"),
            });
            return Ok(());
        }
        let requirement = match Requirement::from_str(text) {
            Ok(r) => r,
            Err(e) => {
                if matches!(e.message, Pep508ErrorSource::UrlError(_)) {
                    self.set.warnings.push(LineMessage {
                        location,
                        message: format!("'{text}' names a URL or a path: skipped"),
                    });
                    return Ok(());
                }
                let (line, col) = logical.position(start + e.start.min(text.len()));
                let message = e.message.to_string();
                let message = message.lines().next().unwrap_or("invalid requirement");
                return Err(RequirementsError::Syntax {
                    file: display.to_owned(),
                    line,
                    col,
                    message: format!("not a PEP 508 requirement: {message}"),
                });
            }
        };
        if let Some(VersionOrUrl::Url(url)) = &requirement.version_or_url {
            self.set.warnings.push(LineMessage {
                location,
                message: format!(
                    "'{}' is installed from {url}, not from a distribution package: skipped",
                    requirement.name
                ),
            });
            return Ok(());
        }
        let entry = Entry {
            location,
            text: text.to_owned(),
            requirement,
        };
        match role {
            Role::Requirements => self.set.requirements.push(entry),
            Role::Constraints => self.set.constraints.push(entry),
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn option(
        &mut self,
        path: &Path,
        display: &str,
        logical: &Logical,
        start: usize,
        content: &str,
        location: Location,
        role: Role,
    ) -> Result<(), RequirementsError> {
        let (flag, attached) = match content.split_once(|c: char| c == '=' || c.is_whitespace()) {
            Some((f, rest)) => (f, Some(rest.trim())),
            None => (content, None),
        };
        // Short options may carry their argument without a space: `-rfile`.
        let (flag, argument) = match flag {
            f if f.starts_with("--") => (f, attached),
            f if f.len() > 2 && f.is_char_boundary(2) => (&f[..2], Some(content[2..].trim())),
            f => (f, attached),
        };
        let kind = match flag {
            "-r" | "--requirement" | "--requirements" => FileOption::Requirement,
            "-c" | "--constraint" | "--constraints" => FileOption::Constraint,
            "-e" | "--editable" => FileOption::Editable,
            _ => {
                self.set.notes.push(LineMessage {
                    location,
                    message: format!("option '{flag}' ignored"),
                });
                return Ok(());
            }
        };
        let argument = argument
            .filter(|a| !a.is_empty())
            .map(|a| a.trim_start_matches('=').trim());
        let Some(argument) = argument.filter(|a| !a.is_empty()) else {
            let (line, col) = logical.position(start);
            return Err(RequirementsError::Syntax {
                file: display.to_owned(),
                line,
                col,
                message: format!("'{flag}' needs an argument"),
            });
        };
        let included_role = match kind {
            FileOption::Editable => {
                self.set.warnings.push(LineMessage {
                    location,
                    message: format!(
                        "editable install '{argument}' is not a distribution package: skipped"
                    ),
                });
                return Ok(());
            }
            FileOption::Requirement => role,
            FileOption::Constraint => Role::Constraints,
        };
        if argument.contains("://") {
            self.set.warnings.push(LineMessage {
                location,
                message: format!(
                    "'{flag} {argument}' is a URL, which venvjail does not fetch: skipped"
                ),
            });
            return Ok(());
        }
        let included = path
            .parent()
            .map_or_else(|| PathBuf::from(argument), |d| d.join(argument));
        let bytes = match std::fs::read(&included) {
            Ok(b) => b,
            Err(source) => {
                return Err(RequirementsError::Include {
                    at: location,
                    file: included.display().to_string(),
                    source,
                })
            }
        };
        self.file(&included, &bytes, included_role, Some((location, content)))
    }
}

/// A line pip would install from a URL, an archive or a directory.
fn looks_like_location(text: &str) -> bool {
    let first = text.split_whitespace().next().unwrap_or("");
    first.contains("://")
        || first.starts_with('.')
        || first.starts_with('/')
        || first.starts_with('~')
        || [".whl", ".tar.gz", ".zip", ".tar.bz2", ".tgz"]
            .iter()
            .any(|s| first.ends_with(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> RequirementsSet {
        read_text(Path::new("r.txt"), text).unwrap()
    }

    #[test]
    fn comments_continuations_and_options() {
        let set = parse(
            "# top\nrequests>=2.0 # why\nPyYAML\\\n  >=5.1\n--index-url https://x/simple\nsix --hash=sha256:abc\n",
        );
        let names: Vec<String> = set
            .requirements
            .iter()
            .map(|e| format!("{}:{}", e.location, e.requirement))
            .collect();
        assert_eq!(
            names,
            [
                "r.txt:2:requests>=2.0",
                "r.txt:3:pyyaml>=5.1",
                "r.txt:6:six"
            ]
        );
        assert_eq!(set.notes[0].message, "option '--index-url' ignored");
    }

    #[test]
    fn pip_compile_output_with_hashes_and_via_comments() {
        let set = parse(
            "#\n# This file is autogenerated by pip-compile with Python 3.11\n#\ncertifi==2024.2.2 \\\n    --hash=sha256:0569859f95fc761b18b45ef421b1290a0f65f147e92a1e5eb3e635f9a5e4e66f \\\n    --hash=sha256:dc383c07b76109f368f6106eee2b593b04a011ea4d55f652c6ca24a754d1cdd1\n    # via requests\nidna==3.7 \\\n    --hash=sha256:028ff3aadf0609c1fd278d8ea3089299412a7a8b9bd005dd08b9f8285bcb5cfc\n",
        );
        let got: Vec<String> = set
            .requirements
            .iter()
            .map(|e| format!("{}:{}", e.location, e.text))
            .collect();
        assert_eq!(got, ["r.txt:4:certifi==2024.2.2", "r.txt:8:idna==3.7"]);
        assert!(set.warnings.is_empty() && set.notes.is_empty());
    }

    #[test]
    fn errors_name_line_and_column() {
        let e = read_text(Path::new("r.txt"), "ok\n\nfoo >= 1.0 ;; x\n").unwrap_err();
        let text = e.to_string();
        assert!(text.starts_with("r.txt:3:"), "{text}");
        let e = read_text(Path::new("r.txt"), "a\\\n  b c\n").unwrap_err();
        assert!(e.to_string().starts_with("r.txt:2:"), "{e}");
    }

    #[test]
    fn option_spellings() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), "six\n").unwrap();
        std::fs::write(dir.path().join("c.txt"), "six<2\n").unwrap();
        for line in [
            "-r a.txt",
            "-ra.txt",
            "--requirement a.txt",
            "--requirement=a.txt",
        ] {
            let set = read_text(&dir.path().join("r.txt"), &format!("{line}\n-cc.txt\n")).unwrap();
            assert_eq!(set.requirements.len(), 1, "{line}");
            assert_eq!(set.constraints.len(), 1, "{line}");
        }
        let e = read_text(Path::new("r.txt"), "-r\n").unwrap_err();
        assert_eq!(e.to_string(), "r.txt:1:1: '-r' needs an argument");
        let set = parse("-egit+https://x/y#egg=y\n-i https://x\n");
        assert_eq!(set.warnings.len(), 1);
        assert_eq!(set.notes[0].message, "option '-i' ignored");
    }

    #[test]
    fn urls_and_editables_are_skipped_with_a_warning() {
        let set = parse("-e git+https://x/y#egg=y\nhttps://x/y.whl\nz @ https://x/z.whl\n");
        assert!(set.requirements.is_empty());
        assert_eq!(set.warnings.len(), 3);
    }
}
