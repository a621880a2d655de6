//! The macros a spec can see: definitions stacked per name (so
//! `%undefine` pops), rpm's builtins, rpm's core macros (`%bcond`,
//! `%with`), `--define` arguments and macro files (`--load`). The
//! [`super::macros::Expander`] expands text against this table.

use foldhash::HashMap;

use super::macro_ref::is_name_byte;

/// A macro definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Macro {
    /// The option string of a parametric macro (`-` for no option parsing).
    pub params: Option<String>,
    /// The body, or `None` when it could not be known statically.
    pub body: Option<String>,
    /// False when the definition sits under a condition that could not be
    /// decided, so the macro may or may not exist.
    pub certain: bool,
}

/// Whether a name is defined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Defined {
    /// Known to be defined.
    Yes,
    /// Known to be undefined.
    No,
    /// Defined only under an undecided condition.
    Maybe,
}

/// The known macros: definitions stack per name so `%undefine` can pop.
///
/// While a [`MacroTable::mark`] is open, every change records the name's
/// previous definitions, so [`MacroTable::rollback`] can put the table back
/// as it was: the spec reader walks each branch of an undecided conditional
/// from the same table and merges what the branches left
/// ([`MacroTable::merge_branches`]).
#[derive(Debug, Clone, Default)]
pub struct MacroTable {
    macros: HashMap<String, Vec<Macro>>,
    /// Names changed since the oldest open mark, with what they were.
    journal: Vec<(String, Option<Vec<Macro>>)>,
    /// Open marks.
    marks: usize,
}

/// A point in a [`MacroTable`]'s history to roll back to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark(usize);

/// What one branch of a conditional left: the final definitions of every
/// name it changed (`None`: undefined).
pub type BranchState = HashMap<String, Option<Vec<Macro>>>;

/// Builtins that expand without running anything.
pub(super) const PURE_BUILTINS: &[&str] = &[
    "expand",
    "quote",
    "shrink",
    "lower",
    "upper",
    "len",
    "basename",
    "dirname",
    "suffix",
    "defined",
    "undefined",
    "expr",
    "nil",
    "dnl",
    "define",
    "global",
    "undefine",
    "echo",
    "warn",
    "verbose",
    "trace",
    "dump",
];

/// Builtins whose result depends on the build host or runs code.
pub(super) const IMPURE_BUILTINS: &[&str] = &[
    "lua",
    "getenv",
    "load",
    "uncompress",
    "exists",
    "getncpus",
    "getconfdir",
    "rpmversion",
    "url2path",
    "u2p",
    "S",
    "P",
    "macrobody",
    "shescape",
    "sub",
    "gsub",
    "rep",
    "reverse",
    "error",
];

/// rpm's own platform-independent macros that every rpm defines
/// (`/usr/lib/rpm/macros` of rpm 4.18): the build conditionals.
pub const RPM_CORE_MACROS: &str = r#"%bcond()	%[ (%2)\
    ? "%{expand:%%{!?_without_%{1}:%%global with_%{1} 1}}"\
    : "%{expand:%%{?_with_%{1}:%%global with_%{1} 1}}"\
]
%bcond_with()		%bcond %{1} 0
%bcond_without()	%bcond %{1} 1
%with()		%{expand:%%{?with_%{1}:1}%%{!?with_%{1}:0}}
%without()	%{expand:%%{?with_%{1}:0}%%{!?with_%{1}:1}}
"#;

impl MacroTable {
    /// An empty table (rpm's builtins are always known).
    pub fn new() -> Self {
        Self::default()
    }

    /// A table with rpm's core macros ([`RPM_CORE_MACROS`]): what every
    /// command starts from, so `%bcond_without x` and `%{with x}` work
    /// without loading rpm's macro files.
    pub fn with_rpm_core() -> Self {
        let mut t = Self::default();
        t.load_file_text(RPM_CORE_MACROS.as_bytes());
        t
    }

    /// Defines `name` as `body` (the innermost definition).
    pub fn define(
        &mut self,
        name: &str,
        params: Option<&str>,
        body: Option<String>,
        certain: bool,
    ) {
        self.record(name);
        let definition = Macro {
            params: params.map(str::to_owned),
            body,
            certain,
        };
        // Most names are defined once, but looking up first spares the
        // key's allocation for the ones defined again.
        match self.macros.get_mut(name) {
            Some(stack) => stack.push(definition),
            None => {
                self.macros.insert(name.to_owned(), vec![definition]);
            }
        }
    }

    /// Removes the innermost definition of `name`. When that definition is
    /// uncertain, what is left is uncertain too: the name stays "maybe".
    pub fn undefine(&mut self, name: &str) {
        if self.get(name).is_some_and(|m| !m.certain) {
            return;
        }
        self.record(name);
        if let Some(stack) = self.macros.get_mut(name) {
            stack.pop();
            if stack.is_empty() {
                self.macros.remove(name);
            }
        }
    }

    /// Notes `name`'s current definitions before a change, while a mark is open.
    fn record(&mut self, name: &str) {
        if self.marks > 0 {
            let old = self.macros.get(name).cloned();
            self.journal.push((name.to_owned(), old));
        }
    }

    /// Opens a mark: changes from now on can be rolled back to here.
    pub fn mark(&mut self) -> Mark {
        self.marks += 1;
        Mark(self.journal.len())
    }

    /// Puts the table back as it was at `mark` (which stays open) and
    /// returns what the changes since then had left.
    pub fn rollback(&mut self, mark: Mark) -> BranchState {
        let mut state = BranchState::default();
        for (name, _) in &self.journal[mark.0..] {
            if !state.contains_key(name) {
                state.insert(name.clone(), self.macros.get(name).cloned());
            }
        }
        while self.journal.len() > mark.0 {
            let Some((name, old)) = self.journal.pop() else {
                break;
            };
            match old {
                Some(stack) => {
                    self.macros.insert(name, stack);
                }
                None => {
                    self.macros.remove(&name);
                }
            }
        }
        state
    }

    /// Closes the innermost mark (after its last [`MacroTable::rollback`]) and applies
    /// the outcome of a conditional whose branches left `branches` (the
    /// table as at `mark` being one of the outcomes when `unchanged` is a
    /// possible outcome too): a name every outcome leaves with the same
    /// definitions gets them; any other name becomes "maybe defined".
    pub fn merge_branches(&mut self, branches: &[BranchState], unchanged: bool) {
        self.marks = self.marks.saturating_sub(1);
        if self.marks == 0 {
            self.journal.clear();
        }
        let mut names: Vec<&String> = branches.iter().flat_map(|b| b.keys()).collect();
        names.sort();
        names.dedup();
        for name in names {
            let current = self.macros.get(name.as_str()).cloned();
            let mut outcomes = branches
                .iter()
                .map(|b| b.get(name).cloned().unwrap_or_else(|| current.clone()));
            let first = if unchanged {
                Some(current.clone())
            } else {
                outcomes.next()
            };
            let Some(first) = first else {
                continue;
            };
            let agreed = outcomes.all(|o| o == first);
            self.record(name);
            match (agreed, first) {
                (true, Some(stack)) => {
                    self.macros.insert(name.clone(), stack);
                }
                (true, None) => {
                    self.macros.remove(name.as_str());
                }
                (false, _) => {
                    let mut stack = current.unwrap_or_default();
                    stack.push(Macro {
                        params: None,
                        body: None,
                        certain: false,
                    });
                    self.macros.insert(name.clone(), stack);
                }
            }
        }
    }

    /// The innermost definition of `name`.
    pub fn get(&self, name: &str) -> Option<&Macro> {
        self.macros.get(name).and_then(|s| s.last())
    }

    /// Whether `name` is defined (builtins count as defined).
    pub fn defined(&self, name: &str) -> Defined {
        match self.get(name) {
            Some(m) if m.certain => Defined::Yes,
            Some(_) => Defined::Maybe,
            None if PURE_BUILTINS.contains(&name) || IMPURE_BUILTINS.contains(&name) => {
                Defined::Yes
            }
            None => Defined::No,
        }
    }

    /// Defines what rpm building for `arch` (`rpmbuild --target ARCH`)
    /// defines: `_target_cpu` ARCH, `_arch` (rpm's canonical name: `i386`
    /// for the x86 32-bit family, `arm` for 32-bit ARM) and `_target_os`
    /// `linux`.
    pub fn define_arch(&mut self, arch: &str) {
        let canonical = match arch {
            "i386" | "i486" | "i586" | "i686" | "pentium3" | "pentium4" | "athlon" | "geode" => {
                "i386"
            }
            a if a.starts_with("armv") && !a.starts_with("armv8") => "arm",
            a => a,
        };
        self.define("_target_cpu", None, Some(arch.to_owned()), true);
        self.define("_arch", None, Some(canonical.to_owned()), true);
        self.define("_target_os", None, Some("linux".to_owned()), true);
    }

    /// Parses a `--define 'NAME VALUE'` argument (also `NAME(opts) VALUE`).
    pub fn define_arg(&mut self, arg: &str) -> Result<(), String> {
        let arg = arg.trim_start_matches('%');
        let (name, params, body) = split_definition(arg)
            .ok_or_else(|| format!("invalid macro definition '{arg}': expected 'NAME VALUE'"))?;
        self.define(name, params, Some(body.to_owned()), true);
        Ok(())
    }

    /// Loads an rpm macro file (`%name body` per logical line, as
    /// `rpmspec --load`); returns the number of macros defined.
    pub fn load_file_text(&mut self, text: &[u8]) -> usize {
        let mut count = 0;
        for line in macro_file_lines(text) {
            let s = String::from_utf8_lossy(&line);
            let s = s.trim_start();
            let Some(def) = s.strip_prefix('%') else {
                continue;
            };
            if let Some((name, params, body)) = split_definition(def) {
                let body = body.replace("\\\r\n", "\n").replace("\\\n", "\n");
                self.define(name, params, Some(body.trim_end().to_owned()), true);
                count += 1;
            }
        }
        count
    }
}

/// The lines of an rpm macro file: as rpm's macro file reader does, a
/// physical line ending in a backslash continues on the next, whatever
/// it holds (`%_debuginfo_template \` + `%package debuginfo\` + …).
fn macro_file_lines(text: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut current: Vec<u8> = Vec::new();
    for physical in text.split_inclusive(|&b| b == b'\n') {
        current.extend_from_slice(physical);
        let content = physical
            .strip_suffix(b"\n")
            .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
            .unwrap_or(physical);
        let run = content.iter().rev().take_while(|&&b| b == b'\\').count();
        if run % 2 == 0 || !physical.ends_with(b"\n") {
            while current.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
                current.pop();
            }
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Splits `NAME[(opts)] BODY` into its parts.
pub fn split_definition(s: &str) -> Option<(&str, Option<&str>, &str)> {
    let name_len = s.bytes().take_while(|&b| is_name_byte(b)).count();
    if name_len == 0 {
        return None;
    }
    let (name, rest) = s.split_at(name_len);
    let (params, rest) = match rest.strip_prefix('(') {
        Some(r) => {
            let close = r.find(')')?;
            (Some(&r[..close]), &r[close + 1..])
        }
        None => (None, rest),
    };
    if !rest.is_empty() && !rest.starts_with([' ', '\t', '\n']) {
        return None;
    }
    Some((name, params, rest.trim_start_matches([' ', '\t'])))
}

/// Normalises a `%define` body as rpm's `doDefine` does: each
/// backslash-newline becomes a newline, trailing blanks are trimmed.
pub fn define_body(raw: &str) -> String {
    raw.replace("\\\r\n", "\n")
        .replace("\\\n", "\n")
        .trim_end()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macro_files_continue_any_line_on_a_backslash() {
        let mut t = MacroTable::new();
        let n = t.load_file_text(
            b"%_debuginfo_template \\\n%package debuginfo\\\nSummary: x\\\n%{nil}\n\n%after 1\n",
        );
        assert_eq!(n, 2);
        assert_eq!(t.defined("package"), Defined::No);
        let body = t.get("_debuginfo_template").and_then(|m| m.body.clone());
        assert_eq!(
            body.as_deref(),
            Some("\n%package debuginfo\nSummary: x\n%{nil}")
        );
        assert_eq!(t.defined("after"), Defined::Yes);
    }

    #[test]
    fn branches_merge_to_what_every_outcome_agrees_on() {
        let mut t = MacroTable::new();
        t.define("kept", None, Some("1".into()), true);
        let mark = t.mark();
        t.define("same", None, Some("x".into()), true);
        t.define("differs", None, Some("a".into()), true);
        let first = t.rollback(mark);
        t.define("same", None, Some("x".into()), true);
        t.define("differs", None, Some("b".into()), true);
        t.undefine("kept");
        let second = t.rollback(mark);
        assert_eq!(t.defined("same"), Defined::No, "rolled back");
        t.merge_branches(&[first, second], false);
        assert_eq!(t.defined("same"), Defined::Yes);
        assert_eq!(t.defined("differs"), Defined::Maybe);
        assert_eq!(t.defined("kept"), Defined::Maybe);
        // A maybe macro stays maybe when undefined.
        t.undefine("differs");
        assert_eq!(t.defined("differs"), Defined::Maybe);
    }
}
