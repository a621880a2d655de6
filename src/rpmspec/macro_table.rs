//! The macros a spec can see: definitions stacked per name (so
//! `%undefine` pops), rpm's builtins, rpm's core macros (`%bcond`,
//! `%with`), `--define` arguments and macro files (`--load`). The
//! [`super::macros::Expander`] expands text against this table.

use std::collections::HashMap;

use super::logical::logical_lines;
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
#[derive(Debug, Clone, Default)]
pub struct MacroTable {
    macros: HashMap<String, Vec<Macro>>,
}

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
        self.macros.entry(name.to_owned()).or_default().push(Macro {
            params: params.map(str::to_owned),
            body,
            certain,
        });
    }

    /// Removes the innermost definition of `name`.
    pub fn undefine(&mut self, name: &str) {
        if let Some(stack) = self.macros.get_mut(name) {
            stack.pop();
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
        for line in logical_lines(text) {
            let bytes = &text[line.content()];
            let s = String::from_utf8_lossy(bytes);
            let s = s.trim_start();
            let Some(def) = s.strip_prefix('%') else {
                continue;
            };
            if let Some((name, params, body)) = split_definition(def) {
                let body = body.replace("\\\n", "\n");
                self.define(name, params, Some(body.trim_end().to_owned()), true);
                count += 1;
            }
        }
        count
    }
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
