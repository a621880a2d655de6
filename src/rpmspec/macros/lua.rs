//! Lua macros whose meaning venvjail knows, computed natively: their Lua
//! bodies are never run (openSUSE's `%python_module`, Fedora's `%py3_dist`).

use super::{Defined, Expander};

impl Expander<'_> {
    /// openSUSE's `%python_module` as python-rpm-macros' `python_module_lua`
    /// computes it: for each flavour in `%pythons`, `FLAVOUR-ARGS` with
    /// `%python` replaced by the flavour, parenthesised when the arguments
    /// hold a rich operator. Its Lua body is not run; this is its meaning.
    pub(super) fn python_module(&mut self, args: &str, out: &mut String) {
        if self.table.defined("pythons") != Defined::Yes {
            self.unknown = true;
            return;
        }
        let mut pythons = String::new();
        self.expand_into("%{pythons}", &mut pythons);
        let rich = args
            .split_whitespace()
            .any(|w| matches!(w, "and" | "or" | "if" | "with" | "without" | "unless"));
        let mut first = true;
        for flavor in pythons.split_whitespace() {
            let text = args.replace("%{python}", flavor).replace("%python", flavor);
            let mut expanded = String::new();
            self.expand_into(&text, &mut expanded);
            if !first {
                out.push(' ');
            }
            first = false;
            let dep = format!("{flavor}-{}", expanded.trim());
            if rich {
                out.push('(');
                out.push_str(&dep);
                out.push(')');
            } else {
                out.push_str(&dep);
            }
        }
    }
}

impl Expander<'_> {
    /// Fedora's `%py3_dist NAME…` as python-srpm-macros computes it in Lua:
    /// `python%{python3_pkgversion}dist(CANONICAL)` per argument, CANONICAL
    /// being the name lowercased with each run of characters other than
    /// letters, digits, `[` and `]` replaced by `-` (`%py_dist_name` since
    /// python-srpm-macros 3.9-5, which keeps extras' brackets: `a.a[b.b]` →
    /// `a-a[b-b]`). Its Lua body is not run; this is its meaning.
    pub(super) fn py3_dist(&mut self, args: &str, out: &mut String) {
        if self.table.defined("python3_pkgversion") != Defined::Yes {
            self.unknown = true;
            return;
        }
        let mut version = String::new();
        self.expand_into("%{python3_pkgversion}", &mut version);
        let mut words = String::new();
        self.expand_into(args, &mut words);
        let mut first = true;
        for word in words.split_whitespace() {
            let mut canonical = String::with_capacity(word.len());
            for c in word.chars() {
                if c.is_ascii_alphanumeric() || c == '[' || c == ']' {
                    canonical.push(c.to_ascii_lowercase());
                } else if !canonical.ends_with('-') {
                    canonical.push('-');
                }
            }
            if !first {
                out.push(' ');
            }
            first = false;
            out.push_str(&format!("python{}dist({canonical})", version.trim()));
        }
    }
}
