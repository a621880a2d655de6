//! A small, honest macro expander.
//!
//! It follows rpm's `expandMacro` for what a spec can define itself
//! (`%define`, `%global`, parametric macros with `%1`, `%*`, `%{-x}`), the
//! conditional forms (`%{?x}`, `%{!?x:…}`, `%{?x:…}`), `%{expand:…}` and
//! a handful of pure builtins. It never runs Lua or shell and never guesses:
//! a reference to a macro that is not known makes the whole expansion
//! unknown (`None`). `%{?x}` of a macro defined nowhere is empty, as in rpm.

use foldhash::HashMap;

mod lua;

use super::expr;
use super::line::SECTIONS;
use super::macro_ref::{is_name_byte, macro_ref_len};
use super::macro_table::IMPURE_BUILTINS;
pub use super::macro_table::{define_body, split_definition, Defined, Macro, MacroTable};

/// rpm's recursion limit (`max_macro_depth`).
const MAX_DEPTH: usize = 64;
/// Expansions larger than this are treated as unknown rather than grown.
const MAX_OUTPUT: usize = 1 << 20;

/// Expands macros in text against a table (which `%define` may change).
pub struct Expander<'t> {
    table: &'t mut MacroTable,
    /// Arguments of the parametric macros being expanded, innermost last.
    frames: Vec<HashMap<String, String>>,
    depth: usize,
    unknown: bool,
}

impl<'t> Expander<'t> {
    /// An expander over `table`.
    pub fn new(table: &'t mut MacroTable) -> Self {
        Self {
            table,
            frames: Vec::new(),
            depth: 0,
            unknown: false,
        }
    }

    /// Expands `text`; `None` when any macro in it is unknown.
    pub fn expand(&mut self, text: &str) -> Option<String> {
        self.unknown = false;
        // Grown on the first byte written: a line whose first macro is
        // unknown (`%doc`, a distribution macro not loaded) costs nothing.
        let mut out = String::new();
        self.expand_into(text, &mut out);
        (!self.unknown).then_some(out)
    }

    /// Expands into `out`, setting `self.unknown` on anything unknown.
    fn expand_into(&mut self, s: &str, out: &mut String) {
        if self.depth >= MAX_DEPTH {
            self.unknown = true;
            return;
        }
        self.depth += 1;
        let bytes = s.as_bytes();
        let mut i = 0;
        while i < bytes.len() && !self.unknown {
            let Some(off) = memchr::memchr(b'%', &bytes[i..]) else {
                out.push_str(&s[i..]);
                break;
            };
            out.push_str(&s[i..i + off]);
            i += off;
            let (len, closed) = macro_ref_len(&bytes[i..]);
            let reference = &s[i..i + len];
            i += len;
            match bytes.get(i - len + 1) {
                Some(b'%') => out.push('%'),
                Some(b'{') => {
                    let inner = if closed {
                        &reference[2..len - 1]
                    } else {
                        self.unknown = true;
                        break;
                    };
                    self.braced(inner, out);
                }
                Some(b'(') => self.unknown = true,
                Some(b'[') => {
                    if !closed {
                        self.unknown = true;
                        break;
                    }
                    self.expression(&reference[2..len - 1], out);
                }
                _ if len == 1 => out.push('%'),
                _ => {
                    let consumed = self.plain(&reference[1..], &s[i..], out);
                    i += consumed;
                }
            }
            if out.len() > MAX_OUTPUT {
                self.unknown = true;
            }
        }
        self.depth -= 1;
    }

    /// `%name` (with `?`/`!` flags); `rest` is the text after it, of which
    /// a parametric macro or `%define` may consume the rest of the line.
    /// Returns how many bytes of `rest` were consumed.
    fn plain(&mut self, reference: &str, rest: &str, out: &mut String) -> usize {
        let (test, negate, name) = split_flags(reference);
        if test {
            self.conditional(name, negate, None, out);
            return 0;
        }
        let line_end = rest.find('\n').unwrap_or(rest.len());
        match name {
            "dnl" => return line_end + usize::from(line_end < rest.len()),
            "define" | "global" | "undefine" => {
                self.builtin_define(name, rest[..line_end].trim_start());
                return line_end;
            }
            _ => {}
        }
        let parametric = self.table.get(name).is_some_and(|m| m.params.is_some());
        if parametric && rest.starts_with([' ', '\t']) {
            let args = &rest[..line_end];
            self.call(name, Some(args), out);
            return line_end;
        }
        self.call(name, None, out);
        0
    }

    /// `%{…}`: conditionals, builtins with `:`, calls with arguments.
    fn braced(&mut self, inner: &str, out: &mut String) {
        let flag_len = inner
            .bytes()
            .take_while(|&b| b == b'?' || b == b'!')
            .count();
        let flags = &inner[..flag_len];
        let body = &inner[flag_len..];
        let name_len = name_len(body);
        let name = &body[..name_len];
        let after = &body[name_len..];
        let negate = flags.contains('!');
        let (arg, call_args) = match after.chars().next() {
            Some(':') => (Some(&after[1..]), None),
            Some(c) if c.is_whitespace() => (None, Some(after.trim_start())),
            None => (None, None),
            Some(_) => {
                // `%{foo-bar}` and other shapes rpm rejects: not guessed.
                self.unknown = true;
                return;
            }
        };
        if name.is_empty() {
            self.unknown = true;
            return;
        }
        // `%{-x:X}` and `%{!-x:X}` test an option of the macro being expanded.
        let test = flags.contains('?') || (name.starts_with('-') && arg.is_some());
        if test {
            self.conditional(name, negate, arg, out);
            return;
        }
        if let Some(arg) = arg {
            self.builtin(name, arg, out);
            return;
        }
        self.call(name, call_args, out);
    }

    /// `%{?name}`, `%{?name:X}`, `%{!?name:X}`.
    fn conditional(&mut self, name: &str, negate: bool, arg: Option<&str>, out: &mut String) {
        let defined = if self.frame_lookup(name).is_some() {
            Defined::Yes
        } else {
            self.table.defined(name)
        };
        match (defined, negate) {
            (Defined::Maybe, _) => self.unknown = true,
            (Defined::Yes, false) => match arg {
                Some(x) => self.expand_into(x, out),
                None => self.call(name, None, out),
            },
            (Defined::No, true) => {
                if let Some(x) = arg {
                    self.expand_into(x, out);
                }
            }
            _ => {}
        }
    }

    /// `%{name:arg}` for builtins (and user macros, which take `arg` as one argument).
    fn builtin(&mut self, name: &str, arg: &str, out: &mut String) {
        match name {
            "expand" => {
                let mut once = String::new();
                self.expand_into(arg, &mut once);
                self.expand_into(&once, out);
            }
            "quote" => self.expand_into(arg, out),
            "shrink" | "lower" | "upper" | "len" | "basename" | "dirname" | "suffix" => {
                let mut v = String::new();
                self.expand_into(arg, &mut v);
                match name {
                    "shrink" => out.push_str(&v.split_whitespace().collect::<Vec<_>>().join(" ")),
                    "lower" => out.push_str(&v.to_lowercase()),
                    "upper" => out.push_str(&v.to_uppercase()),
                    "len" => out.push_str(&v.chars().count().to_string()),
                    "basename" => out.push_str(v.rsplit('/').next().unwrap_or("")),
                    "dirname" => match v.rfind('/') {
                        Some(p) => out.push_str(&v[..p]),
                        None => out.push_str(&v),
                    },
                    _ => {
                        if let Some(p) = v.rfind('.') {
                            out.push_str(&v[p + 1..]);
                        }
                    }
                }
            }
            "defined" | "undefined" => {
                let mut v = String::new();
                self.expand_into(arg, &mut v);
                match self.table.defined(v.trim()) {
                    Defined::Maybe => self.unknown = true,
                    d => {
                        let yes = (d == Defined::Yes) == (name == "defined");
                        out.push(if yes { '1' } else { '0' });
                    }
                }
            }
            "expr" => self.expression(arg, out),
            "define" | "global" | "undefine" => self.builtin_define(name, arg),
            "echo" | "warn" | "verbose" | "trace" | "dump" | "nil" => {}
            _ if IMPURE_BUILTINS.contains(&name) => self.unknown = true,
            _ => self.call(name, Some(arg), out),
        }
    }

    /// `%define`/`%global`/`%undefine` met during expansion.
    fn builtin_define(&mut self, kind: &str, text: &str) {
        if kind == "undefine" {
            self.table.undefine(text.trim());
            return;
        }
        let Some((name, params, body)) = split_definition(text) else {
            self.unknown = true;
            return;
        };
        let body = define_body(body);
        let body = if kind == "global" {
            let saved = self.unknown;
            let mut v = String::new();
            self.expand_into(&body, &mut v);
            let ok = !self.unknown;
            self.unknown = saved;
            // Unknown parts stay for expansion on use, as rpm leaves them verbatim.
            Some(if ok { v } else { body })
        } else {
            Some(body)
        };
        self.table.define(name, params, body, true);
    }

    /// `%[expr]` and `%{expr:…}`. Like rpm, the branch of `c ? a : b` that
    /// is not taken is not expanded (`%bcond` relies on it: each branch
    /// holds a `%global`).
    fn expression(&mut self, text: &str, out: &mut String) {
        if let Some((cond, yes, no)) = split_ternary(text) {
            let mut c = String::new();
            self.expand_into(cond, &mut c);
            if self.unknown {
                return;
            }
            let Some(taken) = expr::condition(&c) else {
                self.unknown = true;
                return;
            };
            let branch = if taken { yes } else { no };
            match unquote(branch) {
                Some(inner) => self.expand_into(inner, out),
                None => self.expression(branch, out),
            }
            return;
        }
        let mut v = String::new();
        self.expand_into(text, &mut v);
        if self.unknown {
            return;
        }
        match expr::evaluate(&v) {
            Some(value) => out.push_str(&value.to_string()),
            None => self.unknown = true,
        }
    }

    fn frame_lookup(&self, name: &str) -> Option<&String> {
        self.frames.last().and_then(|f| f.get(name))
    }

    /// Expands a use of `name`, with arguments when it is parametric.
    fn call(&mut self, name: &str, args: Option<&str>, out: &mut String) {
        if let Some(v) = self.frame_lookup(name) {
            out.push_str(&v.clone());
            return;
        }
        if is_parameter_name(name) {
            // `%1`, `%*` or `%{-x}` with no such argument: rpm expands these
            // to nothing inside a macro body, and leaves them outside one.
            if self.frames.is_empty() {
                self.unknown = true;
            }
            return;
        }
        match name {
            "nil" => return,
            "define" | "global" | "undefine" => {
                self.builtin_define(name, args.unwrap_or(""));
                return;
            }
            _ => {}
        }
        let Some(m) = self.table.get(name).cloned() else {
            // rpm leaves an undefined macro as written; for a section
            // keyword (`%package` in a macro that makes subpackages) that
            // text is known: the spec reads it as a section header.
            if SECTIONS.iter().any(|(kw, _)| *kw == name) {
                out.push('%');
                out.push_str(name);
            } else {
                self.unknown = true;
            }
            return;
        };
        let Some(body) = m.body.filter(|_| m.certain) else {
            self.unknown = true;
            return;
        };
        if body.trim_start().starts_with("%{lua:") {
            match name {
                "python_module" => return self.python_module(args.unwrap_or(""), out),
                "py3_dist" => return self.py3_dist(args.unwrap_or(""), out),
                _ => {}
            }
        }
        let Some(opts) = m.params else {
            self.expand_into(&body, out);
            return;
        };
        let mut expanded_args = String::new();
        self.expand_into(args.unwrap_or(""), &mut expanded_args);
        let Some(frame) = bind_arguments(name, &opts, &expanded_args) else {
            self.unknown = true;
            return;
        };
        self.frames.push(frame);
        self.expand_into(&body, out);
        self.frames.pop();
    }
}

/// `cond ? a : b` at the top level of an expression (outside parentheses,
/// quotes and macro references).
fn split_ternary(text: &str) -> Option<(&str, &str, &str)> {
    let b = text.as_bytes();
    let (mut depth, mut i, mut question) = (0i32, 0usize, None);
    while i < b.len() {
        match b[i] {
            b'%' => {
                i += macro_ref_len(&b[i..]).0;
                continue;
            }
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += 1;
                }
            }
            b'(' => depth += 1,
            b')' => depth -= 1,
            b'?' if depth == 0 && question.is_none() => question = Some(i),
            b':' if depth == 0 => {
                if let Some(q) = question {
                    return Some((&text[..q], text[q + 1..i].trim(), text[i + 1..].trim()));
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// The inside of a `"…"` literal.
fn unquote(s: &str) -> Option<&str> {
    s.strip_prefix('"')?.strip_suffix('"')
}

/// Splits `?`/`!` flags off a plain reference: `(test, negate, name)`.
fn split_flags(reference: &str) -> (bool, bool, &str) {
    let n = reference
        .bytes()
        .take_while(|&b| b == b'?' || b == b'!')
        .count();
    let flags = &reference[..n];
    (flags.contains('?'), flags.contains('!'), &reference[n..])
}

/// Length of a macro name inside `%{…}`: a name, `-x`, `-x*`, `*`, `**`, `#`, digits.
fn name_len(s: &str) -> usize {
    let b = s.as_bytes();
    let mut i = 0;
    if b.first() == Some(&b'-') {
        i = 1;
    }
    let start = i;
    while i < b.len() && is_name_byte(b[i]) {
        i += 1;
    }
    if i == start && i < b.len() && (b[i] == b'*' || b[i] == b'#') {
        i += 1;
        if b[i - 1] == b'*' && b.get(i) == Some(&b'*') {
            i += 1;
        }
        return i;
    }
    if b.get(i) == Some(&b'*') {
        i += 1;
    }
    i
}

/// True for the names rpm binds while expanding a parametric macro.
fn is_parameter_name(name: &str) -> bool {
    name.starts_with('-')
        || name == "*"
        || name == "**"
        || name == "#"
        || name.bytes().all(|b| b.is_ascii_digit())
}

/// Binds a parametric macro's arguments as rpm's `setupArgs` does (getopt
/// with the definition's option string; `-` disables option parsing).
fn bind_arguments(name: &str, opts: &str, args: &str) -> Option<HashMap<String, String>> {
    let words: Vec<&str> = args.split_whitespace().collect();
    let mut frame = HashMap::default();
    frame.insert("0".to_owned(), name.to_owned());
    frame.insert("**".to_owned(), words.join(" "));
    let mut positional = Vec::new();
    let parse_options = opts != "-";
    let mut iter = words.iter();
    while let Some(&w) = iter.next() {
        if !parse_options || !w.starts_with('-') || w == "-" {
            positional.push(w);
            continue;
        }
        if w == "--" {
            positional.extend(iter.by_ref());
            break;
        }
        let letters: Vec<char> = w[1..].chars().collect();
        let mut k = 0;
        while k < letters.len() {
            let c = letters[k];
            let pos = opts.find(c)?;
            let takes_arg = opts[pos + c.len_utf8()..].starts_with(':');
            if takes_arg {
                let attached: String = letters[k + 1..].iter().collect();
                let value = if attached.is_empty() {
                    (*iter.next()?).to_owned()
                } else {
                    attached
                };
                frame.insert(format!("-{c}"), format!("-{c} {value}"));
                frame.insert(format!("-{c}*"), value);
                break;
            }
            frame.insert(format!("-{c}"), format!("-{c}"));
            k += 1;
        }
    }
    frame.insert("#".to_owned(), positional.len().to_string());
    frame.insert("*".to_owned(), positional.join(" "));
    for (n, w) in positional.iter().enumerate() {
        frame.insert((n + 1).to_string(), (*w).to_owned());
    }
    Some(frame)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(defs: &[&str]) -> MacroTable {
        let mut t = MacroTable::new();
        for d in defs {
            t.define_arg(d).unwrap();
        }
        t
    }

    fn exp(t: &mut MacroTable, s: &str) -> Option<String> {
        Expander::new(t).expand(s)
    }

    #[test]
    fn conditionals_follow_rpm() {
        let mut t = table(&["fedora 42"]);
        assert_eq!(exp(&mut t, "0%{?fedora}").as_deref(), Some("042"));
        assert_eq!(exp(&mut t, "0%{?suse_version}").as_deref(), Some("0"));
        assert_eq!(exp(&mut t, "%{!?suse_version:x}").as_deref(), Some("x"));
        assert_eq!(
            exp(&mut t, "%{?fedora:f}%{!?fedora:n}").as_deref(),
            Some("f")
        );
        assert_eq!(exp(&mut t, "%{suse_version}"), None);
        assert_eq!(exp(&mut t, "%suse_version"), None);
        assert_eq!(exp(&mut t, "100%%").as_deref(), Some("100%"));
        assert_eq!(exp(&mut t, "a %{nil}b").as_deref(), Some("a b"));
    }

    #[test]
    fn parametric_macros() {
        let mut t = MacroTable::new();
        t.define(
            "pm",
            Some(""),
            Some("python-%{**} python3-%{**}".into()),
            true,
        );
        assert_eq!(
            exp(&mut t, "%{pm foo >= 1}").as_deref(),
            Some("python-foo >= 1 python3-foo >= 1")
        );
        t.define(
            "opt",
            Some("n:v"),
            Some("%{-n*}|%{-v:verbose}|%1|%#".into()),
            true,
        );
        assert_eq!(
            exp(&mut t, "%{opt -n x -v a b}").as_deref(),
            Some("x|verbose|a|2")
        );
        assert_eq!(exp(&mut t, "%opt a\nrest").as_deref(), Some("||a|1\nrest"));
    }

    #[test]
    fn nested_define_and_expand() {
        let mut t = MacroTable::new();
        assert_eq!(
            exp(
                &mut t,
                "%{!?python_module:%define python_module() python-%{**} python3-%{**}}"
            )
            .as_deref(),
            Some("")
        );
        assert_eq!(
            exp(&mut t, "%{python_module six}").as_deref(),
            Some("python-six python3-six")
        );
        t.define_arg("a b").unwrap();
        t.define_arg("b %%{a}").unwrap();
        assert_eq!(exp(&mut t, "%{expand:%{b}}").as_deref(), Some("b"));
    }

    #[test]
    fn bcond_runs_only_the_taken_branch() {
        let mut t = MacroTable::new();
        t.load_file_text(
            br#"%bcond()	%[ (%2)\
    ? "%{expand:%%{!?_without_%{1}:%%global with_%{1} 1}}"\
    : "%{expand:%%{?_with_%{1}:%%global with_%{1} 1}}"\
]
%bcond_with()		%bcond %{1} 0
%bcond_without()	%bcond %{1} 1
%with()		%{expand:%%{?with_%{1}:1}%%{!?with_%{1}:0}}
"#,
        );
        assert_eq!(exp(&mut t, "%bcond_with check").as_deref(), Some(""));
        assert_eq!(exp(&mut t, "%{with check}").as_deref(), Some("0"));
        assert_eq!(exp(&mut t, "%bcond_without docs").as_deref(), Some(""));
        assert_eq!(exp(&mut t, "%{with docs}").as_deref(), Some("1"));
    }

    #[test]
    fn unknown_stays_unknown_and_no_runaway() {
        let mut t = MacroTable::new();
        t.define_arg("loop %{loop}").unwrap();
        assert_eq!(exp(&mut t, "%{loop}"), None);
        assert_eq!(exp(&mut t, "%(echo hi)"), None);
        assert_eq!(exp(&mut t, "%{lua: print(1)}"), None);
        t.define("maybe", None, None, false);
        assert_eq!(exp(&mut t, "%{?maybe:x}"), None);
    }
}
