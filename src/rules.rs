//! Package lists: `include-rpm`, `exclude-rpm` and `remove-file` (DESIGN §3).
//!
//! One Python-style regular expression per line; blank lines and `#`
//! comments are ignored, surrounding whitespace is trimmed. A name matches a
//! list when a pattern matches at its start (`re.match`: `^(?:pat)`, not
//! anchored at the end). Exclude wins over include; an empty include list
//! includes everything. The generated part of a list lives between
//! `# SECTION venvjail` and `# /SECTION`; everything else is the user's.

use std::path::Path;

use regex::Regex;

/// The line that opens venvjail's block in a list file.
pub const BLOCK_START: &str = "# SECTION venvjail";
/// The line that closes it.
pub const BLOCK_END: &str = "# /SECTION";

/// A list file that could not be used, naming `file:line`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ListError {
    /// A pattern the regex engine cannot compile.
    #[error("{file}:{line}: invalid regex '{pattern}': {reason}")]
    InvalidRegex {
        /// The list file as named.
        file: String,
        /// 1-based line number.
        line: usize,
        /// The pattern as written.
        pattern: String,
        /// Why, in one line.
        reason: String,
    },
    /// `# SECTION venvjail` without its `# /SECTION`.
    #[error("{file}:{line}: '{BLOCK_START}' is not closed by '{BLOCK_END}'")]
    UnclosedBlock {
        /// The list file.
        file: String,
        /// Line of the opener.
        line: usize,
    },
    /// Two venvjail blocks in one file.
    #[error("{file}:{line}: a second '{BLOCK_START}' block (the first starts at line {first})")]
    DuplicateBlock {
        /// The list file.
        file: String,
        /// Line of the second opener.
        line: usize,
        /// Line of the first opener.
        first: usize,
    },
}

/// One compiled pattern and where it came from.
#[derive(Debug, Clone)]
pub struct Pattern {
    /// 1-based line in the list file.
    pub line: usize,
    /// The pattern as written (trimmed).
    pub source: String,
    regex: Regex,
}

/// A compiled list of patterns.
#[derive(Debug, Clone, Default)]
pub struct PackageList {
    /// The patterns in file order.
    pub patterns: Vec<Pattern>,
}

impl PackageList {
    /// Compiles the list in `text`; `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<Self, ListError> {
        let mut patterns = Vec::new();
        for (n, raw) in text.lines().enumerate() {
            let pat = raw.trim();
            if pat.is_empty() || pat.starts_with('#') {
                continue;
            }
            let regex = compile(pat).map_err(|reason| ListError::InvalidRegex {
                file: file.to_owned(),
                line: n + 1,
                pattern: pat.to_owned(),
                reason,
            })?;
            patterns.push(Pattern {
                line: n + 1,
                source: pat.to_owned(),
                regex,
            });
        }
        Ok(Self { patterns })
    }

    /// True when no pattern is listed.
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// The first pattern matching the start of `name`.
    pub fn matching(&self, name: &str) -> Option<&Pattern> {
        self.patterns.iter().find(|p| p.regex.is_match(name))
    }

    /// True when some pattern matches the start of `name`.
    pub fn matches(&self, name: &str) -> bool {
        self.matching(name).is_some()
    }
}

/// How a list file was found.
#[derive(Debug, Clone)]
pub enum Loaded {
    /// The file exists and compiled.
    Found(PackageList),
    /// The file does not exist: an empty list (the caller warns).
    Missing,
}

/// Reads and compiles a list file; a missing file is [`Loaded::Missing`].
pub fn load(path: &Path) -> Result<Loaded, crate::Error> {
    let Some(bytes) = crate::error::read_optional(path)? else {
        return Ok(Loaded::Missing);
    };
    let text = String::from_utf8_lossy(&bytes);
    PackageList::parse(&path.display().to_string(), &text)
        .map(Loaded::Found)
        .map_err(|e| crate::Error::Invalid(e.to_string()))
}

impl Loaded {
    /// The list, empty when the file is missing.
    pub fn into_list(self) -> PackageList {
        match self {
            Loaded::Found(l) => l,
            Loaded::Missing => PackageList::default(),
        }
    }
}

/// Which packages go into the venv: exclude wins, an empty include includes all.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// `include-rpm`.
    pub include: PackageList,
    /// `exclude-rpm`.
    pub exclude: PackageList,
}

impl Selection {
    /// True when `name` goes into the venv.
    pub fn selects(&self, name: &str) -> bool {
        !self.exclude.matches(name) && (self.include.is_empty() || self.include.matches(name))
    }
}

/// Compiles a Python `re` pattern with `re.match` semantics, naming the
/// constructs the `regex` crate does not support.
fn compile(pat: &str) -> Result<Regex, String> {
    if let Some(construct) = unsupported_construct(pat) {
        return Err(format!("{construct} is not supported"));
    }
    Regex::new(&format!("^(?:{pat})")).map_err(|e| regex_reason(&e))
}

/// Python constructs the `regex` crate rejects, by name.
fn unsupported_construct(pat: &str) -> Option<&'static str> {
    let b = pat.as_bytes();
    let mut i = 0;
    let mut in_class = false;
    while i < b.len() {
        match b[i] {
            b'\\' => {
                if let Some(c) = b.get(i + 1) {
                    if !in_class && c.is_ascii_digit() && *c != b'0' {
                        return Some("back-reference");
                    }
                    if !in_class && *c == b'g' && b.get(i + 2) == Some(&b'<') {
                        return Some("back-reference");
                    }
                }
                i += 2;
                continue;
            }
            b'[' if !in_class => in_class = true,
            b']' if in_class => in_class = false,
            b'(' if !in_class && b.get(i + 1) == Some(&b'?') => {
                let rest = &b[i + 2..];
                if rest.starts_with(b"=") || rest.starts_with(b"!") {
                    return Some("look-ahead");
                }
                if rest.starts_with(b"<=") || rest.starts_with(b"<!") {
                    return Some("look-behind");
                }
                if rest.starts_with(b"P=") {
                    return Some("back-reference");
                }
                if rest.starts_with(b"(") {
                    return Some("conditional group");
                }
                if rest.starts_with(b">") {
                    return Some("atomic group");
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// The one-line reason of a regex error (`unclosed group`).
fn regex_reason(e: &regex::Error) -> String {
    let text = e.to_string();
    text.lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix("error: "))
        .map_or_else(
            || text.lines().last().unwrap_or("").trim().to_owned(),
            str::to_owned,
        )
}

/// An exact name as a generated list line: metacharacters escaped (not
/// `-`), anchored with `$` (`python311-zope\.interface$`).
pub fn escape_name(name: &str) -> String {
    // Every metacharacter is ASCII, so the name is scanned as bytes and
    // copied a run at a time (a profile of `include` on 60,000 names had
    // the char-at-a-time loop ahead of the XML reader).
    let mut out = String::with_capacity(name.len() + 4);
    let mut run = 0;
    for (i, b) in name.bytes().enumerate() {
        if matches!(
            b,
            b'.' | b'+'
                | b'*'
                | b'?'
                | b'('
                | b')'
                | b'['
                | b']'
                | b'{'
                | b'}'
                | b'^'
                | b'$'
                | b'|'
                | b'\\'
        ) {
            // `i` is the index of an ASCII byte: a char boundary.
            out.push_str(&name[run..i]);
            out.push('\\');
            run = i;
        }
    }
    out.push_str(&name[run..]);
    out.push('$');
    out
}

/// Where the venvjail block sits in a list file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListBlock {
    /// Byte range of the whole block, marker lines included.
    pub span: std::ops::Range<usize>,
    /// Byte range of the lines between the markers.
    pub body: std::ops::Range<usize>,
    /// 1-based line of the opener.
    pub line: usize,
}

/// Finds the venvjail block; the first `# /SECTION` after the opener
/// closes it, and another `# SECTION` before that means it is unclosed.
pub fn find_block(file: &str, text: &str) -> Result<Option<ListBlock>, ListError> {
    let mut found: Option<ListBlock> = None;
    let mut open: Option<(usize, usize, usize)> = None; // (start, body start, line)
    let mut pos = 0;
    for (n, line) in text.split_inclusive('\n').enumerate() {
        let t = line.trim();
        let start = pos;
        pos += line.len();
        if t == BLOCK_START {
            if let Some(b) = &found {
                return Err(ListError::DuplicateBlock {
                    file: file.to_owned(),
                    line: n + 1,
                    first: b.line,
                });
            }
            if let Some((_, _, l)) = open {
                return Err(ListError::UnclosedBlock {
                    file: file.to_owned(),
                    line: l,
                });
            }
            open = Some((start, pos, n + 1));
        } else if let Some((s, body, l)) = open {
            if t.starts_with("# SECTION") {
                return Err(ListError::UnclosedBlock {
                    file: file.to_owned(),
                    line: l,
                });
            }
            if t == BLOCK_END {
                found = Some(ListBlock {
                    span: s..pos,
                    body: body..start,
                    line: l,
                });
                open = None;
            }
        }
    }
    if let Some((_, _, l)) = open {
        return Err(ListError::UnclosedBlock {
            file: file.to_owned(),
            line: l,
        });
    }
    Ok(found)
}

/// What [`update_block`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockUpdate {
    /// The existing block was replaced.
    Replaced,
    /// The file had no block: it was appended.
    Appended,
}

/// Replaces the venvjail block's body with `lines` (each without newline),
/// or appends a block when there is none. Everything outside is kept byte
/// for byte; the file's line ending style is used for new lines.
pub fn update_block(
    file: &str,
    text: &str,
    lines: &[String],
) -> Result<(String, BlockUpdate), ListError> {
    let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let mut body = String::new();
    for l in lines {
        body.push_str(l);
        body.push_str(eol);
    }
    match find_block(file, text)? {
        Some(block) => {
            let mut out = String::with_capacity(text.len() + body.len());
            out.push_str(&text[..block.body.start]);
            out.push_str(&body);
            out.push_str(&text[block.body.end..]);
            Ok((out, BlockUpdate::Replaced))
        }
        None => {
            let mut out = text.to_owned();
            if !out.is_empty() && !out.ends_with('\n') {
                out.push_str(eol);
            }
            out.push_str(BLOCK_START);
            out.push_str(eol);
            out.push_str(&body);
            out.push_str(BLOCK_END);
            out.push_str(eol);
            Ok((out, BlockUpdate::Appended))
        }
    }
}

/// The lines outside the block of a new include-rpm.
pub const INCLUDE_HEADER: &str =
    "# List of packages to include (use Python regex, matched at the start of
# the package name). Lines outside the venvjail section are yours;
# venvjail regenerates the section from the repository.
";

/// The lines outside the block of a new exclude-rpm.
pub const EXCLUDE_HEADER: &str =
    "# List of packages to ignore (use Python regex, matched at the start of
# the package name). Exclude takes precedence over include: a package
# matching both is excluded. Lines outside the venvjail section are yours;
# venvjail regenerates the section.
";

/// The default exclude entries: venvjail.py's, without `python3.*` (which
/// matched every `python311-*` package and emptied Python 3 bundles), plus
/// the base package of every Python flavour.
pub fn default_exclude_block() -> Vec<String> {
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
pub fn default_exclude_file() -> String {
    new_list_file(EXCLUDE_HEADER, &default_exclude_block())
}

/// A whole new list file: `header`, then the block holding `lines`.
pub fn new_list_file(header: &str, lines: &[String]) -> String {
    let mut s = String::from(header);
    if !header.is_empty() {
        s.push('\n');
    }
    s.push_str(BLOCK_START);
    s.push('\n');
    for l in lines {
        s.push_str(l);
        s.push('\n');
    }
    s.push_str(BLOCK_END);
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(text: &str) -> PackageList {
        PackageList::parse("exclude-rpm", text).unwrap()
    }

    #[test]
    fn python_match_semantics() {
        let l = list("# comment\n\n  .*-devel$  \npython3-base\n");
        assert!(l.matches("foo-devel"));
        assert!(!l.matches("foo-devel-static"));
        assert!(
            l.matches("python3-base-extra"),
            "re.match is not anchored at the end"
        );
        assert!(
            !l.matches("xpython3-base"),
            "re.match is anchored at the start"
        );
    }

    #[test]
    fn exclude_wins_and_empty_include_is_all() {
        let s = Selection {
            include: PackageList::default(),
            exclude: list("foo$"),
        };
        assert!(s.selects("bar"));
        assert!(!s.selects("foo"));
        let s = Selection {
            include: list("foo\nbar"),
            exclude: list("foo"),
        };
        assert!(!s.selects("foo"));
        assert!(s.selects("bar"));
        assert!(!s.selects("baz"));
    }

    #[test]
    fn invalid_regexes_name_file_line_and_construct() {
        let e = PackageList::parse("exclude-rpm", "a\nb\nc\nd\ne\nf\nfoo(\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "exclude-rpm:7: invalid regex 'foo(': unclosed group"
        );
        let e = PackageList::parse("x", "foo(?!bar)").unwrap_err();
        assert_eq!(
            e.to_string(),
            "x:1: invalid regex 'foo(?!bar)': look-ahead is not supported"
        );
        let e = PackageList::parse("x", "(?<=a)b").unwrap_err();
        assert_eq!(
            e.to_string(),
            "x:1: invalid regex '(?<=a)b': look-behind is not supported"
        );
        let e = PackageList::parse("x", r"(a)\1").unwrap_err();
        assert_eq!(
            e.to_string(),
            r"x:1: invalid regex '(a)\1': back-reference is not supported"
        );
        assert!(PackageList::parse("x", r"(?:a)(?P<n>b)[0-9]{2}").is_ok());
    }

    #[test]
    fn escaping() {
        assert_eq!(
            escape_name("python311-zope.interface"),
            r"python311-zope\.interface$"
        );
        assert_eq!(escape_name("libstdc++6"), r"libstdc\+\+6$");
        let l = list(&escape_name("a.b+c"));
        assert!(l.matches("a.b+c"));
        assert!(!l.matches("aXb+c"));
        assert!(!l.matches("a.b+cd"));
    }

    #[test]
    fn escaping_runs_and_non_ascii() {
        assert_eq!(escape_name(""), "$");
        assert_eq!(escape_name("."), r"\.$");
        assert_eq!(escape_name("été.x|y$"), r"été\.x\|y\$$");
        assert_eq!(
            escape_name(r"a\b(c)[d]{e}^f*g?h"),
            r"a\\b\(c\)\[d\]\{e\}\^f\*g\?h$"
        );
        for name in ["ü+ü", "python311-pkg1", "x..y"] {
            let l = list(&escape_name(name));
            assert!(l.matches(name), "{name}");
        }
    }

    #[test]
    fn blocks() {
        let text = "# mine\nfoo\n# SECTION venvjail\nold\n# /SECTION\nbar\n";
        let (out, how) = update_block("f", text, &["new1".into(), "new2".into()]).unwrap();
        assert_eq!(how, BlockUpdate::Replaced);
        assert_eq!(
            out,
            "# mine\nfoo\n# SECTION venvjail\nnew1\nnew2\n# /SECTION\nbar\n"
        );
        let (out, how) = update_block("f", "user\n", &["x".into()]).unwrap();
        assert_eq!(how, BlockUpdate::Appended);
        assert_eq!(out, "user\n# SECTION venvjail\nx\n# /SECTION\n");
        let (out, _) = update_block("f", "a\r\nb", &["x".into()]).unwrap();
        assert_eq!(out, "a\r\nb\r\n# SECTION venvjail\r\nx\r\n# /SECTION\r\n");
    }

    #[test]
    fn block_errors() {
        let e = find_block("f", "# SECTION venvjail\nx\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "f:1: '# SECTION venvjail' is not closed by '# /SECTION'"
        );
        let e = find_block(
            "f",
            "# SECTION venvjail\nx\n# SECTION other\ny\n# /SECTION\n",
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "f:1: '# SECTION venvjail' is not closed by '# /SECTION'"
        );
        let e = find_block(
            "f",
            "# SECTION venvjail\n# /SECTION\n# SECTION venvjail\n# /SECTION\n",
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "f:3: a second '# SECTION venvjail' block (the first starts at line 1)"
        );
    }
}
