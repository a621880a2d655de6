//! Lines rpm reads from an expansion: a whole-line macro's known
//! expansion and the body of a multi-line `%{?x:` … `}` wrapper are read
//! as spec lines in place of the macro line (DESIGN §4.3).

use std::borrow::Cow;

use foldhash::HashMap;

use super::{and, Condition, Owner, Walker};
use crate::rpmspec::macros::Defined;
use crate::rpmspec::syntax::{LineId, LineKind, SectionKind};

/// How deep expansions read as spec lines may nest.
const MAX_SUB_DEPTH: usize = 8;

/// The parts of a multi-line conditional wrapper `%{?name:` … `}`.
struct Wrapper<'t> {
    name: &'t str,
    negated: bool,
    /// The body's bytes in the line's text.
    body: std::ops::Range<usize>,
}

/// `%{?name:` newline … `}` (or `%{!?name:`): a wrapper whose body spans
/// lines and that is alone on its logical line.
fn multiline_wrapper(text: &str) -> Option<Wrapper<'_>> {
    let bytes = text.as_bytes();
    if !bytes.starts_with(b"%{") {
        return None;
    }
    let (len, closed) = crate::rpmspec::macro_ref::macro_ref_len(bytes);
    if !closed || !text[len..].trim().is_empty() {
        return None;
    }
    let inner = &text[2..len - 1];
    let flags = inner
        .bytes()
        .take_while(|&b| b == b'?' || b == b'!')
        .count();
    if !inner[..flags].contains('?') {
        return None;
    }
    let name_len = inner[flags..]
        .bytes()
        .take_while(|&b| crate::rpmspec::macro_ref::is_name_byte(b))
        .count();
    let name = &inner[flags..flags + name_len];
    if name.is_empty() || inner.as_bytes().get(flags + name_len) != Some(&b':') {
        return None;
    }
    let start = 2 + flags + name_len + 1;
    let body = start..len - 1;
    text[body.clone()].contains('\n').then_some(Wrapper {
        name,
        negated: inner[..flags].contains('!'),
        body,
    })
}

/// Where the first line starting with `%package` begins in `text`.
fn first_package_line(text: &str) -> Option<usize> {
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        if let Some(rest) = line.strip_prefix("%package") {
            if rest.is_empty() || rest.starts_with([' ', '\t', '\r', '\n']) {
                return Some(at);
            }
        }
        at += line.len();
    }
    None
}

/// The number of line ends in `s`.
fn newlines(s: &str) -> u32 {
    u32::try_from(s.bytes().filter(|&b| b == b'\n').count()).unwrap_or(u32::MAX)
}

impl Walker<'_, '_> {
    /// A line that starts with a macro. It may define macros
    /// (`%bcond_without x`, `%{!?x:%global x 1}`); in a preamble, a
    /// multi-line wrapper's tags are read under its condition, and a known
    /// expansion is read as spec lines, as rpm reads it. What cannot be
    /// expanded is skipped.
    pub(super) fn macro_line(&mut self, id: LineId, active: Option<bool>) {
        let line = &self.file.lines[id];
        let number = line.number;
        let text = self.file.str(&line.span);
        if self.depth >= MAX_SUB_DEPTH {
            let _ = self.expand(&text);
            return;
        }
        // Outside a preamble only what follows a `%package` line of the
        // expansion is preamble (`%lang_subpkg de German` in `%files`).
        let preamble = self.in_preamble(id);
        let start = |body: &str| {
            if preamble {
                Some(0)
            } else {
                first_package_line(body)
            }
        };
        if let Some(w) = multiline_wrapper(&text).filter(|_| self.rules.wrappers) {
            let body = &text[w.body.clone()];
            let Some(off) = start(body) else {
                let _ = self.expand(&text);
                return;
            };
            let own = match self.table.defined(w.name) {
                Defined::Yes => Some(!w.negated),
                Defined::No => Some(w.negated),
                Defined::Maybe => None,
            };
            self.conditions.push(Condition {
                line: number,
                text: format!("%{{{}?{}}}", if w.negated { "!" } else { "" }, w.name),
                branch: "if",
            });
            let first = number + newlines(&text[..w.body.start + off]);
            self.sub_walk(&body[off..], first, None, and(active, own));
            self.conditions.pop();
            return;
        }
        let Some(expansion) = self.expand(&text) else {
            return;
        };
        let may_hold_lines = expansion.contains(':') || expansion.contains("%package");
        if !self.rules.whole_line_macros || !may_hold_lines {
            return;
        }
        if let Some(off) = start(&expansion) {
            let raw = text.trim_end().to_owned();
            self.sub_walk(&expansion[off..], number, Some(raw), active);
        }
    }

    /// True when line `id` is in the main preamble or a `%package` one.
    fn in_preamble(&self, id: LineId) -> bool {
        match self.file.lines[id].section {
            None => true,
            Some(h) => matches!(&self.file.lines[h].kind,
                LineKind::Section(s) if s.kind == SectionKind::Package),
        }
    }

    /// Reads `text` as spec lines in place of one line of this file: its
    /// dependencies belong to the package being read, under the current
    /// conditions. Their line is `first` plus their line in `text`, or
    /// `first` with `raw` as their text when `raw` is given (an expansion).
    fn sub_walk(&mut self, text: &str, first: u32, raw: Option<String>, active: Option<bool>) {
        let sub = crate::rpmspec::parse::parse(text.as_bytes());
        let mut w = Walker {
            file: &sub,
            table: std::mem::take(&mut self.table),
            conditions: std::mem::take(&mut self.conditions),
            deps: Vec::new(),
            owners: Vec::new(),
            section_names: HashMap::default(),
            noarch: self.noarch,
            main_name_set: self.main_name_set,
            current: None,
            named: None,
            unnamed: self.unnamed.clone(),
            problems: Vec::new(),
            depth: self.depth + 1,
            rules: self.rules,
        };
        w.walk(&sub.items, active);
        let Walker {
            table,
            conditions,
            deps,
            owners,
            section_names,
            problems,
            main_name_set,
            named,
            ..
        } = w;
        self.table = table;
        self.conditions = conditions;
        self.main_name_set = main_name_set;
        let place = |line: u32| match raw {
            Some(_) => first,
            None => first + line.saturating_sub(1),
        };
        for (mut dep, owner) in deps.into_iter().zip(owners) {
            // Set before `into_owned`, which then has nothing to copy.
            if let Some(raw) = &raw {
                dep.raw = Cow::Owned(raw.clone());
            }
            let mut dep = dep.into_owned();
            dep.line = place(dep.line);
            let owner = match owner {
                Owner::Main => self.owner(dep.tag),
                Owner::Section(sid) => match section_names.get(&sid) {
                    Some(name) => Owner::Named(name.clone()),
                    None => self.owner(dep.tag),
                },
                named @ Owner::Named(_) => named,
            };
            self.deps.push(dep);
            self.owners.push(owner);
        }
        // The package the expansion's last `%package` started goes on
        // (when undecided, the latest header, as after an undecided `%if`).
        if active != Some(false) {
            if let Some((_, name)) = section_names.iter().max_by_key(|(id, _)| **id) {
                self.named = Some(name.clone());
            } else if named.is_some() {
                self.named = named;
            }
        }
        for mut p in problems {
            p.line = place(p.line);
            self.problems.push(p);
        }
    }
}
