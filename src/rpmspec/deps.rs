//! The dependencies of a spec, with their package, conditions, expansion
//! and whether they are active, as `spec deps` reports them.
//!
//! The tree is walked in file order, as rpm reads it: `%define`/`%global`
//! and the `Name`/`Version`/`Release`/`Epoch` tags change the macro table
//! as they are met; a definition under a condition that cannot be decided
//! makes its macro "maybe defined", whose uses are unknown.

use std::borrow::Cow;
use std::sync::Arc;

use foldhash::HashMap;
use serde::Serialize;

use super::deplist::{normalise_rich, split_expanded};
use super::expr;
use super::macros::{define_body, Defined, Expander, MacroTable};
mod expansion;

use super::syntax::{
    CondKeyword, Conditional, DepItem, DepTag, Diagnostic, Directive, Item, LineId, LineKind,
    MacroDefKind, Op, PackageRef, SectionKind, SpecFile, Tag, TagLine,
};

/// One dependency as `spec deps` reports it. What is written as is
/// borrows the spec's bytes (`'a`); the package name is shared by every
/// dependency of the package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dependency<'a> {
    /// The binary package it belongs to (the source package for build deps).
    pub package: Arc<str>,
    /// The tag, canonically spelled.
    pub tag: DepTag,
    /// Tag qualifiers such as `post`.
    pub qualifiers: Vec<Cow<'a, str>>,
    /// The name as written (a rich dependency whole).
    pub name: Cow<'a, str>,
    /// The operator as written, normalised (`==` → `=`).
    pub op: Option<Op>,
    /// The version as written.
    pub evr: Option<Cow<'a, str>>,
    /// The dependency's text as written.
    pub raw: Cow<'a, str>,
    /// 1-based line number.
    pub line: u32,
    /// The enclosing conditions, outermost first.
    pub conditions: Vec<Condition>,
    /// The dependency after macro expansion, `None` when a macro is unknown.
    pub expanded: Option<Expanded<'a>>,
    /// Whether every enclosing condition holds; `None` when one is undecided.
    pub active: Option<bool>,
}

impl Dependency<'_> {
    /// The same dependency owning its text, for one read from text that
    /// does not outlive the walk (a macro's expansion read as spec lines).
    pub fn into_owned(self) -> Dependency<'static> {
        fn own(c: Cow<'_, str>) -> Cow<'static, str> {
            Cow::Owned(c.into_owned())
        }
        Dependency {
            package: self.package,
            tag: self.tag,
            qualifiers: self.qualifiers.into_iter().map(own).collect(),
            name: own(self.name),
            op: self.op,
            evr: self.evr.map(own),
            raw: own(self.raw),
            line: self.line,
            conditions: self.conditions,
            expanded: self.expanded.map(|e| {
                let owned = |d: ExpandedDep<'_>| ExpandedDep {
                    name: own(d.name),
                    op: d.op,
                    evr: d.evr.map(own),
                };
                match e {
                    Expanded::One(d) => Expanded::One(owned(d)),
                    Expanded::Many(v) => Expanded::Many(v.into_iter().map(owned).collect()),
                }
            }),
            active: self.active,
        }
    }
}

/// An enclosing condition of a dependency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Condition {
    /// The line of the `%if`/`%elif` (for `%else`, of its `%if`).
    pub line: u32,
    /// That line's text.
    pub text: String,
    /// `if`, `elif` or `else`.
    pub branch: &'static str,
}

/// A dependency after expansion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExpandedDep<'a> {
    /// The expanded name (rich dependencies re-spaced as rpm prints them).
    pub name: Cow<'a, str>,
    /// The operator, normalised.
    pub op: Option<Op>,
    /// The expanded version.
    pub evr: Option<Cow<'a, str>>,
}

/// What a dependency expands to: one, or several when a macro yields several.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Expanded<'a> {
    /// Exactly one dependency.
    One(ExpandedDep<'a>),
    /// Zero or several dependencies.
    Many(Vec<ExpandedDep<'a>>),
}

impl<'a> Expanded<'a> {
    /// The expanded dependencies as a slice.
    pub fn as_slice(&self) -> &[ExpandedDep<'a>] {
        match self {
            Expanded::One(d) => std::slice::from_ref(d),
            Expanded::Many(v) => v,
        }
    }
}

impl Serialize for Op {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl Serialize for DepTag {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// The result of analysing a spec.
#[derive(Debug, Clone)]
pub struct Analysis<'a> {
    /// Every dependency, in file order.
    pub deps: Vec<Dependency<'a>>,
    /// Parse problems worth a warning (unbalanced `%if`, unclosed macros).
    pub warnings: Vec<Diagnostic>,
    /// The macro table after the whole file was read.
    pub macros: MacroTable,
    /// The name of the package each `%package` header declares, expanded
    /// where the macros are known.
    pub packages: HashMap<LineId, Arc<str>>,
}

/// Which of the reading rules of DESIGN §4.3 beyond plain tags are on.
/// Everything venvjail reports uses [`Rules::default`] (all on); turning
/// one off shows what it changes (the corpus count in
/// `tests/it/corpus_rules.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    /// Each branch of an undecided conditional is read from the same
    /// macros and a macro the branches leave differently is unknown after
    /// it. Off: definitions under an undecided condition are "maybe", and
    /// `%undefine` and whole-line macros there are skipped.
    pub undecided_branches: bool,
    /// A whole-line macro's known expansion is read as spec lines.
    pub whole_line_macros: bool,
    /// Tags inside multi-line `%{?x:` … `}` wrappers are read.
    pub wrappers: bool,
}

impl Default for Rules {
    fn default() -> Self {
        Self {
            undecided_branches: true,
            whole_line_macros: true,
            wrappers: true,
        }
    }
}

/// Lists the dependencies of `file`, starting from the macros in `macros`
/// (from `--define` and `--load`).
pub fn dependencies<'a>(file: &SpecFile<'a>, macros: MacroTable) -> Analysis<'a> {
    dependencies_with(file, macros, Rules::default())
}

/// [`dependencies`] with some reading rules turned off.
pub fn dependencies_with<'a>(
    file: &SpecFile<'a>,
    macros: MacroTable,
    rules: Rules,
) -> Analysis<'a> {
    let noarch = is_noarch(file);
    let mut w = Walker {
        file,
        table: macros,
        conditions: Vec::new(),
        deps: Vec::new(),
        owners: Vec::new(),
        section_names: HashMap::default(),
        noarch,
        main_name_set: false,
        current: None,
        named: None,
        unnamed: Arc::from(""),
        problems: Vec::new(),
        depth: 0,
        rules,
    };
    w.walk(&file.items, Some(true));
    let main: Arc<str> = w.main_name().into();
    let Walker {
        mut deps,
        owners,
        section_names,
        table,
        problems,
        ..
    } = w;
    for (dep, owner) in deps.iter_mut().zip(owners) {
        dep.package = match owner {
            Owner::Main => main.clone(),
            Owner::Section(id) => section_names
                .get(&id)
                .cloned()
                .unwrap_or_else(|| main.clone()),
            Owner::Named(name) => name,
        };
    }
    let mut warnings = file.diagnostics.clone();
    warnings.extend(problems);
    warnings.sort_by_key(|d| d.line);
    Analysis {
        deps,
        warnings,
        macros: table,
        packages: section_names,
    }
}

/// Which package a dependency belongs to.
#[derive(Clone)]
enum Owner {
    Main,
    Section(LineId),
    /// A package whose `%package` line came from an expansion.
    Named(Arc<str>),
}

struct Walker<'f, 'a> {
    file: &'f SpecFile<'a>,
    table: MacroTable,
    conditions: Vec<Condition>,
    deps: Vec<Dependency<'a>>,
    owners: Vec<Owner>,
    section_names: HashMap<LineId, Arc<str>>,
    noarch: bool,
    main_name_set: bool,
    /// The header of the section being read, decided with branch truth.
    current: Option<LineId>,
    /// The package a `%package` line of an expansion started, until the
    /// next section header of this file.
    named: Option<Arc<str>>,
    /// The package of a dependency until its owner is known (one shared
    /// empty name, so a dependency costs no allocation for it).
    unnamed: Arc<str>,
    /// Dependencies rpm would reject, as warnings.
    problems: Vec<Diagnostic>,
    /// How many expansions deep this walker reads (0: the file itself).
    depth: usize,
    /// The reading rules in force.
    rules: Rules,
}

/// Three-valued AND.
fn and(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    match (a, b) {
        (Some(false), _) | (_, Some(false)) => Some(false),
        (Some(true), x) | (x, Some(true)) => x,
        _ => None,
    }
}

impl<'a> Walker<'_, 'a> {
    fn walk(&mut self, items: &[Item], active: Option<bool>) {
        for item in items {
            match item {
                Item::Line(id) => self.line(*id, active),
                Item::Conditional(cond) => self.conditional(cond, active),
            }
        }
    }

    /// Walks each branch with its truth; the section being read afterwards
    /// is the taken branch's, or the latest possible one when undecided.
    ///
    /// Each branch is read from the macros as they were before the
    /// conditional, as if it were taken; afterwards a macro keeps what every
    /// possible outcome agrees on and is "maybe defined" otherwise
    /// (DESIGN §4.3: what is decided must be right).
    fn conditional(&mut self, cond: &Conditional, active: Option<bool>) {
        let mut none_taken = Some(true);
        let first = cond.branches.first().map(|b| b.directive);
        let entry = self.current;
        let mut exits: Vec<(Option<bool>, Option<LineId>)> = Vec::new();
        let mut has_else = false;
        let hypotheses = self.rules.undecided_branches;
        let mark = self.table.mark();
        let mut outcomes = Vec::new();
        for branch in &cond.branches {
            let line = &self.file.lines[branch.directive];
            let LineKind::Conditional(d) = &line.kind else {
                continue;
            };
            let (own, branch_name, cond_line) = if d.keyword == CondKeyword::Else {
                has_else = true;
                (Some(true), "else", first.unwrap_or(branch.directive))
            } else if d.keyword.is_elif() {
                (self.eval(d, active), "elif", branch.directive)
            } else {
                (self.eval(d, active), "if", branch.directive)
            };
            let taken = and(none_taken, own);
            none_taken = and(none_taken, own.map(|v| !v));
            let cl = &self.file.lines[cond_line];
            let text = self.file.str(&(cl.span.start..cl.span.end));
            self.conditions.push(Condition {
                line: cl.number,
                text: text.trim_end().to_owned(),
                branch: branch_name,
            });
            self.current = entry;
            self.walk(&branch.items, and(active, taken));
            if hypotheses {
                let state = self.table.rollback(mark);
                if taken != Some(false) {
                    outcomes.push(state);
                }
            }
            exits.push((taken, self.current));
            self.conditions.pop();
        }
        let fall_through = !has_else && none_taken != Some(false);
        if !hypotheses {
            outcomes.clear();
        }
        self.table.merge_branches(&outcomes, fall_through);
        if !has_else {
            exits.push((none_taken, entry));
        }
        self.current = match exits.iter().find(|(t, _)| *t == Some(true)) {
            Some((_, exit)) => *exit,
            None => exits
                .iter()
                .filter(|(t, _)| *t != Some(false))
                .map(|(_, e)| *e)
                .max()
                .unwrap_or(entry),
        };
    }

    fn expand(&mut self, text: &str) -> Option<String> {
        Expander::new(&mut self.table).expand(text)
    }

    /// Evaluates a conditional directive (only when its context is reached).
    fn eval(&mut self, d: &Directive, active: Option<bool>) -> Option<bool> {
        if active == Some(false) {
            return Some(false);
        }
        let arg = self.file.str(&d.argument);
        let arg = arg.replace("\\\r\n", "  ").replace("\\\n", "  ");
        match d.keyword {
            CondKeyword::If | CondKeyword::Elif => {
                let text = self.expand(&arg)?;
                expr::condition(&text)
            }
            CondKeyword::IfArch | CondKeyword::IfNArch | CondKeyword::ElifArch => {
                let target = if self.noarch {
                    Some("noarch".to_owned())
                } else {
                    self.target("_target_cpu")
                }?;
                let hit = self.matches_list(&arg, &target)?;
                Some(hit != (d.keyword == CondKeyword::IfNArch))
            }
            CondKeyword::IfOs | CondKeyword::IfNOs | CondKeyword::ElifOs => {
                let target = self.target("_target_os")?;
                let hit = self.matches_list(&arg, &target)?;
                Some(hit != (d.keyword == CondKeyword::IfNOs))
            }
            CondKeyword::IfMacro => {
                // python-rpm-macros defines `%ifpython3` as an `%if …` line.
                let name = self.file.str(&d.name);
                let m = self.table.get(&name).filter(|m| m.certain)?;
                let body = m.body.clone()?;
                let rest = body.trim_start().strip_prefix("%if")?.to_owned();
                let text = self.expand(&rest)?;
                expr::condition(&text)
            }
            CondKeyword::Else | CondKeyword::Endif => Some(true),
        }
    }

    fn target(&mut self, name: &str) -> Option<String> {
        if self.table.defined(name) != Defined::Yes {
            return None;
        }
        self.expand(&format!("%{{{name}}}"))
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
    }

    fn matches_list(&mut self, list: &str, target: &str) -> Option<bool> {
        let expanded = self.expand(list)?;
        Some(
            expanded
                .split(|c: char| c.is_whitespace() || c == ',')
                .any(|w| w == target),
        )
    }

    fn line(&mut self, id: LineId, active: Option<bool>) {
        let line = &self.file.lines[id];
        match &line.kind {
            LineKind::MacroDef(def) if active != Some(false) => {
                let name = self.file.str(&def.name);
                let params = def.params.as_ref().map(|p| self.file.str(p));
                let body = define_body(&self.file.str(&def.body));
                // Under an undecided branch the table is that branch's own
                // (see `conditional`), so the definition is certain there.
                let certain = self.rules.undecided_branches || active == Some(true);
                match def.kind {
                    MacroDefKind::Undefine => {
                        if certain {
                            self.table.undefine(&name);
                        }
                    }
                    MacroDefKind::Define => {
                        self.table
                            .define(&name, params.as_deref(), Some(body), certain);
                    }
                    MacroDefKind::Global => {
                        // rpm leaves an unknown macro verbatim in the body and
                        // expands it again on use; keeping the body lazy does
                        // the same when the macro is defined later.
                        let value = self.expand(&body).unwrap_or(body);
                        self.table
                            .define(&name, params.as_deref(), Some(value), certain);
                    }
                }
            }
            LineKind::Tag(tag) => self.tag(id, tag, active),
            LineKind::WrappedTag(w) => {
                let name = self.file.str(&w.macro_name);
                let own = match self.table.defined(&name) {
                    Defined::Yes => Some(!w.negated),
                    Defined::No => Some(w.negated),
                    Defined::Maybe => None,
                };
                self.conditions.push(Condition {
                    line: line.number,
                    text: format!("%{{{}?{name}}}", if w.negated { "!" } else { "" }),
                    branch: "if",
                });
                self.tag(id, &w.inner, and(active, own));
                self.conditions.pop();
            }
            LineKind::Macro if self.reads_effects(active) => {
                self.macro_line(id, active);
            }
            // Named even in an inactive branch: its lines still need an owner.
            LineKind::Section(header) => {
                self.current = Some(id);
                self.named = None;
                if let Some(name) = self.section_name(header.kind, header.package.as_ref()) {
                    self.section_names.insert(id, name.into());
                }
            }
            _ => {}
        }
    }

    /// Whether a whole-line macro is read: everywhere not known false
    /// (under an undecided condition the table is that branch's own, see
    /// `conditional`); with that rule off, only where known true.
    fn reads_effects(&self, active: Option<bool>) -> bool {
        match active {
            Some(true) => true,
            Some(false) => false,
            None => self.rules.undecided_branches,
        }
    }

    /// The package a dependency with `tag` read now belongs to.
    fn owner(&self, tag: DepTag) -> Owner {
        if tag.belongs_to_source() {
            return Owner::Main;
        }
        match &self.named {
            Some(name) => Owner::Named(name.clone()),
            None => self.current.map_or(Owner::Main, Owner::Section),
        }
    }

    fn section_name(&mut self, kind: SectionKind, package: Option<&PackageRef>) -> Option<String> {
        if kind != SectionKind::Package {
            return None;
        }
        let (text, full) = match package? {
            PackageRef::Full(s) => (self.file.str(s).into_owned(), true),
            PackageRef::Suffix(s) => (self.file.str(s).into_owned(), false),
        };
        let raw = if full {
            text
        } else {
            format!("%{{name}}-{text}")
        };
        Some(self.expand(&raw).unwrap_or(raw))
    }

    fn tag(&mut self, id: LineId, tag: &TagLine, active: Option<bool>) {
        let line = &self.file.lines[id];
        let in_main = line.section.is_none();
        match tag.tag {
            Tag::Name | Tag::Version | Tag::Release | Tag::Epoch if in_main => {
                if active == Some(false) {
                    return;
                }
                let macro_name = match tag.tag {
                    Tag::Name => "name",
                    Tag::Version => "version",
                    Tag::Release => "release",
                    _ => "epoch",
                };
                if tag.tag == Tag::Name {
                    if self.main_name_set {
                        return;
                    }
                    self.main_name_set = active == Some(true);
                }
                let raw = self.file.str(&tag.value);
                let value = self.expand(&raw);
                let certain = self.rules.undecided_branches || active == Some(true);
                self.table.define(macro_name, None, value, certain);
            }
            Tag::Dependency(dep_tag) => {
                let owner = self.owner(dep_tag);
                let qualifiers: Vec<Cow<'a, str>> =
                    tag.qualifiers.iter().map(|q| self.file.str(q)).collect();
                let mut skip_next = false;
                for (i, item) in tag.deps.iter().enumerate() {
                    if std::mem::take(&mut skip_next) {
                        continue;
                    }
                    // rpm expands the value before it tokenizes: a macro that
                    // yields `>= 1.0` versions the name before it.
                    if let Some(merged) = self.merge_versioning_macro(item, tag.deps.get(i + 1)) {
                        skip_next = true;
                        let dep =
                            self.dependency(dep_tag, &qualifiers, &merged, line.number, active);
                        self.deps.push(dep);
                        self.owners.push(owner.clone());
                        continue;
                    }
                    if let Some(problem) = item.problem {
                        self.problems.push(Diagnostic {
                            line: line.number,
                            message: format!(
                                "{} '{}' skipped: {problem}",
                                dep_tag.as_str(),
                                self.file.str(&item.span)
                            ),
                        });
                        continue;
                    }
                    let dep = self.dependency(dep_tag, &qualifiers, item, line.number, active);
                    self.deps.push(dep);
                    self.owners.push(owner.clone());
                }
            }
            _ => {}
        }
    }

    /// `name %{?x:>= 1.0}`: the name and the macro as one dependency when
    /// the macro's expansion starts with an operator.
    fn merge_versioning_macro(
        &mut self,
        item: &DepItem,
        next: Option<&DepItem>,
    ) -> Option<DepItem> {
        let next = next?;
        if item.rich || item.op.is_some() || item.problem.is_some() {
            return None;
        }
        let text = self.file.str(&next.span);
        if !text.starts_with('%') {
            return None;
        }
        let expanded = self.expand(&text)?;
        let first = expanded
            .split(|c: char| c.is_whitespace() || c == ',')
            .find(|w| !w.is_empty())?;
        Op::from_token(first.as_bytes())?;
        Some(DepItem {
            span: item.span.start..next.span.end,
            name: item.name.clone(),
            op: None,
            evr: None,
            rich: false,
            problem: None,
        })
    }

    fn dependency(
        &mut self,
        tag: DepTag,
        qualifiers: &[Cow<'a, str>],
        item: &DepItem,
        line: u32,
        active: Option<bool>,
    ) -> Dependency<'a> {
        let raw = self.file.str(&item.span);
        let name = self.file.str(&item.name);
        let evr = item.evr.as_ref().map(|e| self.file.str(e));
        let op = item.op.as_ref().map(|(op, _)| *op);
        let expanded = if raw.contains('%') {
            self.expand(&raw).map(|text| {
                let mut list: Vec<ExpandedDep<'a>> = split_expanded(&text)
                    .into_iter()
                    .map(|(name, op, evr)| ExpandedDep {
                        name: name.into(),
                        op,
                        evr: evr.map(Cow::Owned),
                    })
                    .collect();
                match list.len() {
                    1 => Expanded::One(list.remove(0)),
                    _ => Expanded::Many(list),
                }
            })
        } else {
            Some(Expanded::One(ExpandedDep {
                name: if item.rich {
                    normalise_rich(&name).into()
                } else {
                    name.clone()
                },
                op,
                evr: evr.clone(),
            }))
        };
        Dependency {
            package: self.unnamed.clone(),
            tag,
            qualifiers: qualifiers.to_vec(),
            name,
            op,
            evr,
            raw,
            line,
            conditions: self.conditions.clone(),
            expanded,
            active,
        }
    }

    fn main_name(&mut self) -> String {
        if self.table.defined("name") == Defined::Yes {
            if let Some(n) = self.expand("%{name}") {
                return n;
            }
        }
        // Fall back to the raw text of the first Name tag.
        self.file
            .lines
            .iter()
            .find_map(|l| match &l.kind {
                LineKind::Tag(t) if t.tag == Tag::Name && l.section.is_none() => {
                    Some(self.file.str(&t.value).into_owned())
                }
                _ => None,
            })
            .unwrap_or_default()
    }
}

/// True when the main preamble says `BuildArch: noarch` outside any
/// conditional: rpm then re-reads the spec with `_target_cpu` = `noarch`.
fn is_noarch(file: &SpecFile<'_>) -> bool {
    file.items.iter().any(|item| match item {
        Item::Line(id) => {
            let line = &file.lines[*id];
            matches!(&line.kind, LineKind::Tag(t)
                if t.tag == Tag::BuildArch
                    && line.section.is_none()
                    && file.text(&t.value).eq_ignore_ascii_case(b"noarch"))
        }
        Item::Conditional(_) => false,
    })
}
