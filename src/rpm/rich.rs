//! Rich (boolean) dependencies, `(a or b)`, as rpm's `rpmrichParse`
//! reads them: the operators `and or if else unless with without`, nested
//! in parentheses, each operand a capability with an optional `OP EVR` or
//! another rich dependency.

use super::deps::{flags_of, Dep};

/// A parsed rich dependency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rich {
    /// A capability, maybe versioned.
    Dep(Dep),
    /// Every operand.
    And(Vec<Rich>),
    /// Any operand.
    Or(Vec<Rich>),
    /// `then if cond [else otherwise]`.
    If(Box<Rich>, Box<Rich>, Option<Box<Rich>>),
    /// `then unless cond [else otherwise]`.
    Unless(Box<Rich>, Box<Rich>, Option<Box<Rich>>),
    /// All operands from one package.
    With(Vec<Rich>),
    /// The first operand from a package that does not have the second.
    Without(Box<Rich>, Box<Rich>),
}

/// Why a rich dependency does not parse; `at` is the byte offset.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad rich dependency at byte {at}: {reason}")]
pub struct RichError {
    /// Byte offset in the text.
    pub at: usize,
    /// What is wrong.
    pub reason: String,
}

/// Parses `text`, which starts with `(`.
pub fn parse(text: &str) -> Result<Rich, RichError> {
    let mut p = Parser { s: text, at: 0 };
    p.skip_space();
    let r = p.group(0)?;
    p.skip_space();
    if p.at < p.s.len() {
        return Err(p.err("text after the closing parenthesis"));
    }
    Ok(r)
}

/// Nesting deeper than this is refused (rpm has no limit; the stack does).
const MAX_DEPTH: usize = 64;

struct Parser<'a> {
    s: &'a str,
    at: usize,
}

impl Parser<'_> {
    fn err(&self, reason: &str) -> RichError {
        RichError {
            at: self.at,
            reason: reason.to_owned(),
        }
    }

    fn skip_space(&mut self) {
        while self.s[self.at..].starts_with([' ', '\t', '\n']) {
            self.at += 1;
        }
    }

    /// A word up to whitespace or a parenthesis.
    fn word(&mut self) -> &str {
        let rest = &self.s[self.at..];
        let end = rest
            .find(|c: char| c.is_whitespace() || c == '(' || c == ')')
            .unwrap_or(rest.len());
        self.at += end;
        &rest[..end]
    }

    fn peek_word(&self) -> &str {
        let rest = &self.s[self.at..];
        let end = rest
            .find(|c: char| c.is_whitespace() || c == '(' || c == ')')
            .unwrap_or(rest.len());
        &rest[..end]
    }

    /// `( operand [op operand …] )`.
    fn group(&mut self, depth: usize) -> Result<Rich, RichError> {
        if depth > MAX_DEPTH {
            return Err(self.err("nested too deep"));
        }
        if !self.s[self.at..].starts_with('(') {
            return Err(self.err("expected '('"));
        }
        self.at += 1;
        self.skip_space();
        let first = self.operand(depth)?;
        self.skip_space();
        let result = match self.peek_word() {
            "" if self.s[self.at..].starts_with(')') => first,
            op @ ("and" | "or" | "with") => {
                let op = op.to_owned();
                let mut items = vec![first];
                while self.peek_word() == op {
                    self.word();
                    self.skip_space();
                    items.push(self.operand(depth)?);
                    self.skip_space();
                }
                match op.as_str() {
                    "and" => Rich::And(items),
                    "or" => Rich::Or(items),
                    _ => Rich::With(items),
                }
            }
            op @ ("if" | "unless") => {
                let is_if = op == "if";
                self.word();
                self.skip_space();
                let cond = self.operand(depth)?;
                self.skip_space();
                let otherwise = if self.peek_word() == "else" {
                    self.word();
                    self.skip_space();
                    let e = self.operand(depth)?;
                    self.skip_space();
                    Some(Box::new(e))
                } else {
                    None
                };
                if is_if {
                    Rich::If(Box::new(first), Box::new(cond), otherwise)
                } else {
                    Rich::Unless(Box::new(first), Box::new(cond), otherwise)
                }
            }
            "without" => {
                self.word();
                self.skip_space();
                let second = self.operand(depth)?;
                self.skip_space();
                Rich::Without(Box::new(first), Box::new(second))
            }
            "" => return Err(self.err("missing ')'")),
            other => return Err(self.err(&format!("unknown operator '{other}'"))),
        };
        if !self.s[self.at..].starts_with(')') {
            return Err(self.err("expected ')' (mixed operators need parentheses)"));
        }
        self.at += 1;
        Ok(result)
    }

    /// A nested group or `name [OP evr]`.
    fn operand(&mut self, depth: usize) -> Result<Rich, RichError> {
        if self.s[self.at..].starts_with('(') {
            return self.group(depth + 1);
        }
        let name = self.word().to_owned();
        if name.is_empty() {
            return Err(self.err("expected a capability"));
        }
        if matches!(
            name.as_str(),
            "and" | "or" | "if" | "else" | "unless" | "with" | "without"
        ) {
            return Err(self.err(&format!("operator '{name}' where a capability belongs")));
        }
        let save = self.at;
        self.skip_space();
        if let Some(flags) = flags_of(self.peek_word()) {
            self.word();
            self.skip_space();
            let evr = self.word().to_owned();
            if evr.is_empty() {
                return Err(self.err("expected a version after the comparison"));
            }
            return Ok(Rich::Dep(Dep::new(name, flags, evr)));
        }
        self.at = save;
        Ok(Rich::Dep(Dep::new(name, 0, "")))
    }
}

impl Rich {
    /// Whether the expression holds, given `providers(dep)`: the indexes of
    /// the packages that satisfy a simple dependency. `with` needs one
    /// package for all operands, `without` one that has the first and not
    /// the second; `if`/`unless` without `else` hold when their condition
    /// says the operand is not needed.
    pub fn holds(&self, providers: &dyn Fn(&Dep) -> Vec<usize>) -> bool {
        match self {
            Rich::Dep(d) => !providers(d).is_empty(),
            Rich::And(items) => items.iter().all(|r| r.holds(providers)),
            Rich::Or(items) => items.iter().any(|r| r.holds(providers)),
            Rich::If(then, cond, otherwise) => {
                if cond.holds(providers) {
                    then.holds(providers)
                } else {
                    otherwise.as_ref().is_none_or(|o| o.holds(providers))
                }
            }
            Rich::Unless(then, cond, otherwise) => {
                if cond.holds(providers) {
                    otherwise.as_ref().is_none_or(|o| o.holds(providers))
                } else {
                    then.holds(providers)
                }
            }
            Rich::With(_) | Rich::Without(..) => !self.packages(providers).is_empty(),
        }
    }

    /// The packages that satisfy the expression as one package (for
    /// `with`/`without`); for the other operators, all packages of the
    /// operands when it holds.
    fn packages(&self, providers: &dyn Fn(&Dep) -> Vec<usize>) -> Vec<usize> {
        match self {
            Rich::Dep(d) => providers(d),
            Rich::With(items) => {
                let mut it = items.iter();
                let mut set = it.next().map(|r| r.packages(providers)).unwrap_or_default();
                for r in it {
                    let other = r.packages(providers);
                    set.retain(|p| other.contains(p));
                }
                set
            }
            Rich::Without(a, b) => {
                let other = b.packages(providers);
                let mut set = a.packages(providers);
                set.retain(|p| !other.contains(p));
                set
            }
            Rich::Or(items) => {
                let mut set: Vec<usize> =
                    items.iter().flat_map(|r| r.packages(providers)).collect();
                set.sort_unstable();
                set.dedup();
                set
            }
            _ if self.holds(providers) => {
                let mut set = Vec::new();
                self.each_dep(&mut |d| set.extend(providers(d)));
                set.sort_unstable();
                set.dedup();
                set
            }
            _ => Vec::new(),
        }
    }

    /// Calls `f` with every simple dependency in the expression.
    pub fn each_dep(&self, f: &mut dyn FnMut(&Dep)) {
        match self {
            Rich::Dep(d) => f(d),
            Rich::And(items) | Rich::Or(items) | Rich::With(items) => {
                items.iter().for_each(|r| r.each_dep(f));
            }
            Rich::If(a, b, c) | Rich::Unless(a, b, c) => {
                a.each_dep(f);
                b.each_dep(f);
                if let Some(c) = c {
                    c.each_dep(f);
                }
            }
            Rich::Without(a, b) => {
                a.each_dep(f);
                b.each_dep(f);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with<'a>(names: &'a [&'a str]) -> impl Fn(&Dep) -> Vec<usize> + 'a {
        move |d: &Dep| {
            names
                .iter()
                .enumerate()
                .filter(|(_, n)| n.split(',').any(|n| n == d.name))
                .map(|(i, _)| i)
                .collect()
        }
    }

    #[test]
    fn operators_evaluate_as_rpm_says() {
        let venv = ["a", "b,c", "d"];
        let p = with(&venv);
        for (text, want) in [
            ("(a or x)", true),
            ("(x or y)", false),
            ("(a and b)", true),
            ("(a and x)", false),
            ("(x if a)", false),
            ("(x if y)", true),
            ("(x if y else a)", true),
            ("(x unless a)", true),
            ("(x unless y)", false),
            ("(x unless a else d)", true),
            ("(b with c)", true),
            ("(a with c)", false),
            ("(b without c)", false),
            ("(a without c)", true),
            ("(a and (x or (d >= 1.0)))", true),
        ] {
            let r = parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(r.holds(&p), want, "{text}");
        }
    }

    #[test]
    fn versions_and_errors() {
        assert_eq!(
            parse("(python311-a >= 1.0 or python311-b)").unwrap(),
            Rich::Or(vec![
                Rich::Dep(Dep::new(
                    "python311-a",
                    crate::rpm::deps::flags_of(">=").unwrap(),
                    "1.0"
                )),
                Rich::Dep(Dep::new("python311-b", 0, "")),
            ])
        );
        for (text, msg) in [
            (
                "(a or b and c)",
                "bad rich dependency at byte 8: expected ')' (mixed operators need parentheses)",
            ),
            (
                "(a or",
                "bad rich dependency at byte 5: expected a capability",
            ),
            (
                "(a xor b)",
                "bad rich dependency at byte 3: unknown operator 'xor'",
            ),
            (
                "(a >=)",
                "bad rich dependency at byte 5: expected a version after the comparison",
            ),
            (
                "(a) b",
                "bad rich dependency at byte 4: text after the closing parenthesis",
            ),
        ] {
            assert_eq!(parse(text).unwrap_err().to_string(), msg, "{text}");
        }
    }
}
