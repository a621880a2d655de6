//! Managed blocks: the only places venvjail writes in a spec (DESIGN §4.4).
//!
//! ```text
//! # SECTION venvjail BuildRequires
//! BuildRequires:  python311-foo
//! # /SECTION
//! ```
//!
//! A block is closed by the first `# /SECTION` after it; another
//! `# SECTION` opener before that closer means it is unclosed. A block must
//! sit at the top level (not inside `%if`). A missing block is inserted after
//! the last unconditional `BuildRequires`/`Requires` of the right package,
//! else at the end of that package's preamble, and never inside another
//! `# SECTION` group (py2pack's `# SECTION test requirements`). Nothing
//! outside the blocks changes.

use std::ops::Range;
use std::sync::Arc;

use foldhash::HashMap;

use super::deplist::{dep_list, normalise_rich};
use super::syntax::{DepTag, Item, LineId, LineKind, PackageRef, SectionKind, SpecFile, Tag};

/// The kinds of managed block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BlockKind {
    /// `# SECTION venvjail BuildRequires` (the source package's).
    BuildRequires,
    /// `# SECTION venvjail Requires` (one binary package's).
    Requires,
    /// `# SECTION venvjail Provides` (one binary package's).
    Provides,
}

impl BlockKind {
    /// The tag the block's lines carry.
    pub fn tag(self) -> &'static str {
        match self {
            BlockKind::BuildRequires => "BuildRequires",
            BlockKind::Requires => "Requires",
            BlockKind::Provides => "Provides",
        }
    }

    /// The opener line.
    pub fn opener(self) -> String {
        format!("# SECTION venvjail {}", self.tag())
    }

    fn dep_tag(self) -> DepTag {
        match self {
            BlockKind::BuildRequires => DepTag::BuildRequires,
            BlockKind::Requires => DepTag::Requires,
            BlockKind::Provides => DepTag::Provides,
        }
    }

    fn from_opener(text: &str) -> Option<BlockKind> {
        match text.trim().strip_prefix("# SECTION venvjail ")?.trim() {
            "BuildRequires" => Some(BlockKind::BuildRequires),
            "Requires" => Some(BlockKind::Requires),
            "Provides" => Some(BlockKind::Provides),
            _ => None,
        }
    }
}

/// A spec that cannot be edited safely, with its line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EditError {
    /// An opener without its closer.
    #[error("{line}: '{opener}' is not closed by '# /SECTION'")]
    Unclosed {
        /// 1-based line of the opener.
        line: u32,
        /// The opener text.
        opener: String,
    },
    /// Two blocks of one kind for one package.
    #[error("{line}: a second '{opener}' block (the first starts at line {first})")]
    Duplicate {
        /// Line of the second opener.
        line: u32,
        /// Line of the first.
        first: u32,
        /// The opener text.
        opener: String,
    },
    /// A block inside a conditional.
    #[error("{line}: '{opener}' is inside the conditional opened at line {cond}; managed blocks must be unconditional")]
    InConditional {
        /// Line of the opener.
        line: u32,
        /// Line of the enclosing `%if`.
        cond: u32,
        /// The opener text.
        opener: String,
    },
    /// The package's header is inside a conditional, so no unconditional
    /// place in its preamble exists.
    #[error("{line}: the %package header of '{name}' is inside the conditional opened at line {cond}; venvjail's block must be unconditional, so move the package out of the %if or write its Requires by hand")]
    PackageInConditional {
        /// Line of the header.
        line: u32,
        /// Line of the enclosing `%if`.
        cond: u32,
        /// The package as asked for.
        name: String,
    },
    /// The spec does not parse cleanly; an edit could land in the wrong place.
    #[error("{line}: {message}: fix the spec before venvjail edits it")]
    Syntax {
        /// Line of the problem.
        line: u32,
        /// What it is.
        message: String,
    },
    /// `--package` names no package of the spec.
    #[error("no package named '{0}' in the spec")]
    UnknownPackage(String),
    /// A dependency string that is not a dependency list.
    #[error("'{token}' is not a dependency: {reason}")]
    BadDependency {
        /// The offending token.
        token: String,
        /// Why.
        reason: String,
    },
}

/// A managed block found in a spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagedBlock {
    /// Which block.
    pub kind: BlockKind,
    /// The opener line.
    pub opener: LineId,
    /// The closer line.
    pub closer: LineId,
    /// The section header of the package it is in (`None`: main preamble).
    pub section: Option<LineId>,
}

/// Parses a `--buildrequires`/`--requires` argument into normalised
/// dependency strings (`name`, or `name op evr`), sorted and de-duplicated.
pub fn parse_dependency_arg(text: &str) -> Result<Vec<String>, EditError> {
    let mut tokens = Vec::new();
    let items = dep_list(text.as_bytes(), 0, &mut tokens);
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let raw = &text[item.span.clone()];
        if let Some(reason) = item.problem {
            return Err(EditError::BadDependency {
                token: raw.to_owned(),
                reason: reason.to_owned(),
            });
        }
        let name = &text[item.name.clone()];
        let dep = match (&item.op, &item.evr) {
            (Some((op, _)), Some(evr)) => format!("{name} {} {}", op.as_str(), &text[evr.clone()]),
            _ if item.rich => normalise_rich(name),
            _ => name.to_owned(),
        };
        out.push(dep);
    }
    Ok(sort_dependencies(out))
}

/// Sorts by name then full text, removing duplicates.
pub fn sort_dependencies(mut deps: Vec<String>) -> Vec<String> {
    deps.sort_by(|a, b| {
        let key = |s: &str| s.split_whitespace().next().unwrap_or("").to_owned();
        key(a).cmp(&key(b)).then_with(|| a.cmp(b))
    });
    deps.dedup();
    deps
}

/// Finds every managed block, checking they are closed, unique per kind and
/// package, and unconditional.
pub fn managed_blocks(file: &SpecFile<'_>) -> Result<Vec<ManagedBlock>, EditError> {
    let cond_of = enclosing_conditionals(file);
    let mut blocks: Vec<ManagedBlock> = Vec::new();
    let mut open: Option<(BlockKind, LineId)> = None;
    for (id, line) in file.lines.iter().enumerate() {
        if line.kind != LineKind::Comment {
            continue;
        }
        let text = file.str(&line.span);
        let t = text.trim();
        if let Some((kind, opener)) = open {
            if t.starts_with("# SECTION") {
                return Err(EditError::Unclosed {
                    line: file.lines[opener].number,
                    opener: kind.opener(),
                });
            }
            if t.starts_with("# /SECTION") {
                let section = file.lines[opener].section;
                let dup = blocks.iter().find(|b| {
                    b.kind == kind && (kind == BlockKind::BuildRequires || b.section == section)
                });
                if let Some(first) = dup {
                    return Err(EditError::Duplicate {
                        line: file.lines[opener].number,
                        first: file.lines[first.opener].number,
                        opener: kind.opener(),
                    });
                }
                if let Some(&cond) = cond_of.get(&opener) {
                    return Err(EditError::InConditional {
                        line: file.lines[opener].number,
                        cond: file.lines[cond].number,
                        opener: kind.opener(),
                    });
                }
                blocks.push(ManagedBlock {
                    kind,
                    opener,
                    closer: id,
                    section,
                });
                open = None;
            }
        } else if let Some(kind) = BlockKind::from_opener(t) {
            open = Some((kind, id));
        }
    }
    if let Some((kind, opener)) = open {
        return Err(EditError::Unclosed {
            line: file.lines[opener].number,
            opener: kind.opener(),
        });
    }
    Ok(blocks)
}

/// For each line inside a conditional, the `%if` line of its outermost one.
fn enclosing_conditionals(file: &SpecFile<'_>) -> HashMap<LineId, LineId> {
    fn mark(items: &[Item], cond: LineId, map: &mut HashMap<LineId, LineId>) {
        for item in items {
            match item {
                Item::Line(id) => {
                    map.insert(*id, cond);
                }
                Item::Conditional(c) => {
                    for b in &c.branches {
                        mark(&b.items, cond, map);
                    }
                }
            }
        }
    }
    let mut map = HashMap::default();
    for item in &file.items {
        if let Item::Conditional(c) = item {
            let cond = c.branches[0].directive;
            for b in &c.branches {
                mark(&b.items, cond, &mut map);
            }
        }
    }
    map
}

/// What one block edit did, for the message the tool prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    /// An existing block was rewritten.
    Replaced {
        /// Line of its opener.
        line: u32,
    },
    /// A new block was inserted after `after` (0: at the top of the file).
    Inserted {
        /// The line it follows.
        after: u32,
        /// Why there: `last unconditional BuildRequires`, `end of the preamble`…
        reason: String,
    },
}

/// Rewrites (or inserts) the block of `kind` for the package whose section
/// header is `section` with `deps`; returns the new file text and where the
/// block went. `deps` must already be sorted and normalised.
pub fn set_block(
    file: &SpecFile<'_>,
    kind: BlockKind,
    section: Option<LineId>,
    deps: &[String],
) -> Result<(Vec<u8>, Placement), EditError> {
    if let Some(d) = file.diagnostics.first() {
        return Err(EditError::Syntax {
            line: d.line,
            message: d.message.clone(),
        });
    }
    let blocks = managed_blocks(file)?;
    let style = Style::of(file);
    let mut body = Vec::new();
    for d in deps {
        body.extend_from_slice(style.tag_line(kind.tag(), d).as_bytes());
        body.extend_from_slice(style.eol.as_bytes());
    }
    let target = blocks
        .iter()
        .find(|b| b.kind == kind && (kind == BlockKind::BuildRequires || b.section == section));
    if let Some(block) = target {
        let start = file.lines[block.opener].span.end;
        let end = file.lines[block.closer].span.start;
        let mut out = Vec::with_capacity(file.src.len() + body.len());
        out.extend_from_slice(&file.src[..start]);
        out.extend_from_slice(&body);
        out.extend_from_slice(&file.src[end..]);
        return Ok((
            out,
            Placement::Replaced {
                line: file.lines[block.opener].number,
            },
        ));
    }
    let section = if kind == BlockKind::BuildRequires {
        None
    } else {
        section
    };
    if let Some(header) = section {
        if let Some(&cond) = enclosing_conditionals(file).get(&header) {
            let name = match &file.lines[header].kind {
                LineKind::Section(h) => match &h.package {
                    Some(PackageRef::Full(s) | PackageRef::Suffix(s)) => file.str(s).into_owned(),
                    None => String::new(),
                },
                _ => String::new(),
            };
            return Err(EditError::PackageInConditional {
                line: file.lines[header].number,
                cond: file.lines[cond].number,
                name,
            });
        }
    }
    let (after, reason) = insertion_point(file, kind.dep_tag(), section);
    let at = after.map_or(0, |id| file.lines[id].span.end);
    let mut block = Vec::new();
    // After a last line without a newline the block starts with one and
    // ends without one, so the file keeps "no final newline".
    let unterminated = at > 0 && !file.src[..at].ends_with(b"\n");
    if unterminated {
        block.extend_from_slice(style.eol.as_bytes());
    }
    block.extend_from_slice(kind.opener().as_bytes());
    block.extend_from_slice(style.eol.as_bytes());
    block.extend_from_slice(&body);
    block.extend_from_slice(b"# /SECTION");
    if !unterminated {
        block.extend_from_slice(style.eol.as_bytes());
    }
    let mut out = Vec::with_capacity(file.src.len() + block.len());
    out.extend_from_slice(&file.src[..at]);
    out.extend_from_slice(&block);
    out.extend_from_slice(&file.src[at..]);
    Ok((
        out,
        Placement::Inserted {
            after: after.map_or(0, |id| file.lines[id].number),
            reason,
        },
    ))
}

/// Finds the section header of the package named `name`: its full name
/// with macros expanded (`names`), or the `%package` argument as written.
pub fn find_package(
    file: &SpecFile<'_>,
    name: &str,
    names: &HashMap<LineId, Arc<str>>,
) -> Result<Option<LineId>, EditError> {
    for (id, line) in file.lines.iter().enumerate() {
        let LineKind::Section(h) = &line.kind else {
            continue;
        };
        if h.kind != SectionKind::Package {
            continue;
        }
        let written = match &h.package {
            Some(PackageRef::Full(s) | PackageRef::Suffix(s)) => file.str(s),
            None => continue,
        };
        if written == name || names.get(&id).is_some_and(|n| &**n == name) {
            return Ok(Some(id));
        }
    }
    Err(EditError::UnknownPackage(name.to_owned()))
}

/// The last line of the package's preamble after which a new block goes.
fn insertion_point(
    file: &SpecFile<'_>,
    tag: DepTag,
    section: Option<LineId>,
) -> (Option<LineId>, String) {
    let groups = section_groups(file);
    // Top-level items of the package's preamble, as (first line, last line),
    // up to the first item that holds a section header: what follows it may
    // belong to another package.
    let mut items: Vec<(LineId, LineId)> = Vec::new();
    let mut started = section.is_none();
    for item in &file.items {
        let (first, last) = item_lines(item);
        if !started {
            started = matches!(item, Item::Line(id) if Some(*id) == section);
            continue;
        }
        if holds_section(file, item) {
            break;
        }
        items.push((first, last));
    }
    let is_tag = |id: LineId| match &file.lines[id].kind {
        LineKind::Tag(t) => t.tag == Tag::Dependency(tag),
        _ => false,
    };
    let escape_group = |id: LineId| {
        groups
            .iter()
            .find(|g| g.start < id && id < g.end)
            .map_or(id, |g| g.end)
    };
    if let Some(&(id, _)) = items
        .iter()
        .rev()
        .find(|(first, last)| first == last && is_tag(*first))
    {
        let after = escape_group(id);
        let reason = if after == id {
            format!("the last unconditional {}", tag.as_str())
        } else {
            format!(
                "the '# /SECTION' closing the group around the last unconditional {}",
                tag.as_str()
            )
        };
        return (Some(after), reason);
    }
    let last = items
        .iter()
        .rev()
        .find(|(first, last)| first != last || !matches!(file.lines[*first].kind, LineKind::Blank))
        .map(|&(_, last)| last);
    match last {
        Some(id) => (Some(escape_group(id)), "the end of the preamble".to_owned()),
        None if section.is_none() => (None, "the start of the file".to_owned()),
        None => (section, "the package header".to_owned()),
    }
}

/// True when the item is, or contains, a section header.
fn holds_section(file: &SpecFile<'_>, item: &Item) -> bool {
    match item {
        Item::Line(id) => matches!(file.lines[*id].kind, LineKind::Section(_)),
        Item::Conditional(c) => c
            .branches
            .iter()
            .any(|b| b.items.iter().any(|i| holds_section(file, i))),
    }
}

fn item_lines(item: &Item) -> (LineId, LineId) {
    match item {
        Item::Line(id) => (*id, *id),
        Item::Conditional(c) => {
            let first = c.branches[0].directive;
            let last = c.endif.unwrap_or_else(|| last_line(&c.branches));
            (first, last)
        }
    }
}

fn last_line(branches: &[super::syntax::Branch]) -> LineId {
    let mut last = branches[0].directive;
    for b in branches {
        last = last.max(b.directive);
        for item in &b.items {
            last = last.max(item_lines(item).1);
        }
    }
    last
}

/// `# SECTION …` … `# /SECTION` groups as line ranges (opener..closer).
fn section_groups(file: &SpecFile<'_>) -> Vec<Range<LineId>> {
    let mut out = Vec::new();
    let mut open = None;
    for (id, line) in file.lines.iter().enumerate() {
        if line.kind != LineKind::Comment {
            continue;
        }
        let text = file.str(&line.span);
        let t = text.trim();
        if t.starts_with("# SECTION") && open.is_none() {
            open = Some(id);
        } else if t.starts_with("# /SECTION") {
            if let Some(start) = open.take() {
                out.push(start..id);
            }
        }
    }
    out
}

/// How the file writes tag lines and line endings.
#[derive(Debug, Clone)]
struct Style {
    eol: &'static str,
    /// Visual column where values start, and whether tabs reach it.
    column: usize,
    tabs: bool,
}

impl Style {
    /// The dominant alignment of the file's tag lines (spec-cleaner's
    /// column 16 with spaces when the file has none).
    fn of(file: &SpecFile<'_>) -> Style {
        let crlf = file.src.windows(2).filter(|w| w == b"\r\n").count();
        let lf = file.src.iter().filter(|&&b| b == b'\n').count();
        let eol = if crlf * 2 > lf { "\r\n" } else { "\n" };
        let mut counts: HashMap<(usize, bool), usize> = HashMap::default();
        for line in &file.lines {
            let LineKind::Tag(t) = &line.kind else {
                continue;
            };
            if t.value.is_empty() {
                continue;
            }
            let prefix = &file.src[line.span.start..t.value.start];
            if prefix.contains(&b'\n') {
                continue;
            }
            let tabs = file.text(&t.gap).contains(&b'\t');
            *counts.entry((visual_width(prefix), tabs)).or_default() += 1;
        }
        let ((column, tabs), _) = counts
            .into_iter()
            .max_by_key(|&((col, tabs), n)| (n, col, tabs))
            .unwrap_or(((16, false), 0));
        Style { eol, column, tabs }
    }

    fn tag_line(&self, tag: &str, dep: &str) -> String {
        let mut s = format!("{tag}:");
        let mut width = s.len();
        if self.tabs {
            loop {
                s.push('\t');
                width = (width / 8 + 1) * 8;
                if width >= self.column {
                    break;
                }
            }
        } else {
            let pad = self.column.saturating_sub(width).max(1);
            s.extend(std::iter::repeat_n(' ', pad));
        }
        s.push_str(dep);
        s
    }
}

/// Display width with tab stops every 8 columns.
fn visual_width(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .fold(0, |w, &b| if b == b'\t' { (w / 8 + 1) * 8 } else { w + 1 })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rpmspec::parse;

    fn set(src: &str, kind: BlockKind, deps: &[&str]) -> String {
        let file = parse(src.as_bytes());
        let deps: Vec<String> = deps.iter().map(|s| s.to_string()).collect();
        let (out, _) = set_block(&file, kind, None, &deps).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn inserts_after_last_unconditional_buildrequires() {
        let src = "Name: x\nBuildRequires:  a\n%if 0\nBuildRequires:  b\n%endif\n\n%description\n";
        assert_eq!(
            set(src, BlockKind::BuildRequires, &["p"]),
            "Name: x\nBuildRequires:  a\n# SECTION venvjail BuildRequires\nBuildRequires:  p\n# /SECTION\n%if 0\nBuildRequires:  b\n%endif\n\n%description\n"
        );
    }

    #[test]
    fn replaces_and_is_idempotent() {
        let src = "Name: x\n# SECTION venvjail BuildRequires\nBuildRequires:  old\n# /SECTION\n";
        let once = set(src, BlockKind::BuildRequires, &["a", "b"]);
        assert_eq!(once, "Name: x\n# SECTION venvjail BuildRequires\nBuildRequires:  a\nBuildRequires:  b\n# /SECTION\n");
        assert_eq!(set(&once, BlockKind::BuildRequires, &["a", "b"]), once);
    }

    #[test]
    fn tab_alignment_followed() {
        let src = "Name:\tx\nVersion:\t1\nBuildRequires:\ta\n";
        assert_eq!(
            set(src, BlockKind::BuildRequires, &["p"]),
            "Name:\tx\nVersion:\t1\nBuildRequires:\ta\n# SECTION venvjail BuildRequires\nBuildRequires:\tp\n# /SECTION\n"
        );
    }

    #[test]
    fn dependency_arguments() {
        assert_eq!(
            parse_dependency_arg("b a, b >= 1.2 a").unwrap(),
            ["a", "b", "b >= 1.2"]
        );
        let e = parse_dependency_arg("a >=").unwrap_err();
        assert_eq!(
            e.to_string(),
            "'a >=' is not a dependency: version required"
        );
    }
}
