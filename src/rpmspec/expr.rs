//! rpm's `%if` expressions (`rpmio/expression.c`), evaluated on text whose
//! macros are already expanded.
//!
//! Integers, `"strings"`, `v"versions"`, `! - * / + - < <= > >= == != && ||`,
//! `? :` and parentheses. Like rpm, comparing values of different types is
//! an error; an error or a bare word gives `None` (undecided).

use std::cmp::Ordering;
use std::fmt;

/// The value of an expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// An integer.
    Int(i64),
    /// A string.
    Str(String),
    /// A version, compared with rpmvercmp.
    Version(String),
}

impl Value {
    /// rpm's truth: non-zero integers and non-empty strings.
    pub fn truthy(&self) -> bool {
        match self {
            Value::Int(i) => *i != 0,
            Value::Str(s) | Value::Version(s) => !s.is_empty(),
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Int(i) => write!(f, "{i}"),
            Value::Str(s) | Value::Version(s) => f.write_str(s),
        }
    }
}

/// Evaluates an expression; `None` on a syntax or type error.
pub fn evaluate(text: &str) -> Option<Value> {
    let mut p = Parser {
        s: text.as_bytes(),
        i: 0,
        depth: 0,
    };
    let v = p.ternary()?;
    p.skip_ws();
    (p.i == p.s.len()).then_some(v)
}

/// Evaluates an `%if` condition to a truth value.
pub fn condition(text: &str) -> Option<bool> {
    evaluate(text).map(|v| v.truthy())
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    depth: usize,
}

impl Parser<'_> {
    fn skip_ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn eat(&mut self, tok: &str) -> bool {
        self.skip_ws();
        if self.s[self.i..].starts_with(tok.as_bytes()) {
            self.i += tok.len();
            true
        } else {
            false
        }
    }

    fn peek_is(&mut self, tok: &str) -> bool {
        self.skip_ws();
        self.s[self.i..].starts_with(tok.as_bytes())
    }

    ///
    /// ```ebnf
    /// Expr := OrExpr [ "?" Expr ":" Expr ] ;
    /// ```
    fn ternary(&mut self) -> Option<Value> {
        self.depth += 1;
        if self.depth > 200 {
            return None;
        }
        let cond = self.or()?;
        let v = if self.eat("?") {
            let a = self.ternary()?;
            if !self.eat(":") {
                return None;
            }
            let b = self.ternary()?;
            if cond.truthy() {
                a
            } else {
                b
            }
        } else {
            cond
        };
        self.depth -= 1;
        Some(v)
    }

    ///
    /// ```ebnf
    /// OrExpr := AndExpr { "||" AndExpr } ;
    /// ```
    fn or(&mut self) -> Option<Value> {
        let mut v = self.and()?;
        while self.eat("||") {
            let r = self.and()?;
            v = if v.truthy() { v } else { r };
        }
        Some(v)
    }

    ///
    /// ```ebnf
    /// AndExpr := RelExpr { "&&" RelExpr } ;
    /// ```
    fn and(&mut self) -> Option<Value> {
        let mut v = self.relational()?;
        while self.eat("&&") {
            let r = self.relational()?;
            v = if v.truthy() { r } else { v };
        }
        Some(v)
    }

    ///
    /// ```ebnf
    /// RelExpr := AddExpr { ( "==" | "!=" | "<=" | ">=" | "<" | ">" ) AddExpr } ;
    /// ```
    fn relational(&mut self) -> Option<Value> {
        let mut v = self.additive()?;
        loop {
            // `<=`/`>=` come before `<`/`>` so the longer operator wins.
            let Some(op) = ["==", "!=", "<=", ">=", "<", ">"]
                .into_iter()
                .find(|op| self.peek_is(op))
            else {
                return Some(v);
            };
            self.i += op.len();
            let r = self.additive()?;
            let ord = compare(&v, &r)?;
            let yes = match op {
                "==" => ord == Ordering::Equal,
                "!=" => ord != Ordering::Equal,
                "<=" => ord != Ordering::Greater,
                ">=" => ord != Ordering::Less,
                "<" => ord == Ordering::Less,
                _ => ord == Ordering::Greater,
            };
            v = Value::Int(i64::from(yes));
        }
    }

    ///
    /// ```ebnf
    /// AddExpr := MulExpr { ( "+" | "-" ) MulExpr } ;
    /// ```
    fn additive(&mut self) -> Option<Value> {
        let mut v = self.multiplicative()?;
        loop {
            if self.peek_is("+") {
                self.i += 1;
                let r = self.multiplicative()?;
                v = match (v, r) {
                    (Value::Int(a), Value::Int(b)) => Value::Int(a.checked_add(b)?),
                    (Value::Str(a), Value::Str(b)) => Value::Str(a + &b),
                    _ => return None,
                };
            } else if self.peek_is("-") {
                self.i += 1;
                let r = self.multiplicative()?;
                v = match (v, r) {
                    (Value::Int(a), Value::Int(b)) => Value::Int(a.checked_sub(b)?),
                    _ => return None,
                };
            } else {
                return Some(v);
            }
        }
    }

    ///
    /// ```ebnf
    /// MulExpr := Unary { ( "*" | "/" ) Unary } ;
    /// ```
    fn multiplicative(&mut self) -> Option<Value> {
        let mut v = self.unary()?;
        loop {
            let mul = if self.peek_is("*") {
                true
            } else if self.peek_is("/") {
                false
            } else {
                return Some(v);
            };
            self.i += 1;
            let r = self.unary()?;
            v = match (v, r) {
                (Value::Int(a), Value::Int(b)) if mul => Value::Int(a.checked_mul(b)?),
                (Value::Int(a), Value::Int(b)) => Value::Int(a.checked_div(b)?),
                _ => return None,
            };
        }
    }

    ///
    /// ```ebnf
    /// Unary := ( "!" | "-" ) Unary | Primary ;
    /// ```
    fn unary(&mut self) -> Option<Value> {
        self.depth += 1;
        if self.depth > 200 {
            return None;
        }
        let v = if self.peek_is("!") && !self.peek_is("!=") {
            self.i += 1;
            match self.unary()? {
                Value::Int(i) => Value::Int(i64::from(i == 0)),
                Value::Str(s) => Value::Int(i64::from(s.is_empty())),
                Value::Version(_) => return None,
            }
        } else if self.peek_is("-") {
            self.i += 1;
            match self.unary()? {
                Value::Int(i) => Value::Int(i.checked_neg()?),
                _ => return None,
            }
        } else {
            self.primary()?
        };
        self.depth -= 1;
        Some(v)
    }

    ///
    /// ```ebnf
    /// Primary := "(" Expr ")" | Digit+ | '"' { byte - '"' } '"' | 'v"' { byte - '"' } '"' ;
    /// ```
    fn primary(&mut self) -> Option<Value> {
        self.skip_ws();
        let rest = &self.s[self.i..];
        match *rest.first()? {
            b'(' => {
                self.i += 1;
                let v = self.ternary()?;
                self.eat(")").then_some(v)
            }
            b'"' => self.string().map(Value::Str),
            b'v' if rest.get(1) == Some(&b'"') => {
                self.i += 1;
                self.string().map(Value::Version)
            }
            b if b.is_ascii_digit() => {
                let n = rest.iter().take_while(|b| b.is_ascii_digit()).count();
                // rpm rejects `1a`: a number glued to letters is a bare word.
                if rest
                    .get(n)
                    .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
                {
                    return None;
                }
                let text = std::str::from_utf8(&rest[..n]).ok()?;
                self.i += n;
                text.parse().ok().map(Value::Int)
            }
            _ => None,
        }
    }

    fn string(&mut self) -> Option<String> {
        let rest = &self.s[self.i + 1..];
        let end = rest.iter().position(|&b| b == b'"')?;
        let s = String::from_utf8_lossy(&rest[..end]).into_owned();
        self.i += end + 2;
        Some(s)
    }
}

fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => Some(x.cmp(y)),
        (Value::Str(x), Value::Str(y)) => Some(x.cmp(y)),
        (Value::Version(x), Value::Version(y)) => Some(rpmvercmp_evr(x, y)),
        _ => None,
    }
}

/// Compares two `[epoch:]version[-release]` strings as rpm does.
pub fn rpmvercmp_evr(a: &str, b: &str) -> Ordering {
    fn split(s: &str) -> (&str, &str, &str) {
        let (epoch, rest) = match s.split_once(':') {
            Some((e, r)) if e.bytes().all(|b| b.is_ascii_digit()) => (e, r),
            _ => ("0", s),
        };
        let (v, r) = rest.rsplit_once('-').unwrap_or((rest, ""));
        (epoch, v, r)
    }
    let (ea, va, ra) = split(a);
    let (eb, vb, rb) = split(b);
    let ea: u64 = ea.parse().unwrap_or(0);
    let eb: u64 = eb.parse().unwrap_or(0);
    ea.cmp(&eb).then_with(|| rpmvercmp(va, vb)).then_with(|| {
        if ra.is_empty() || rb.is_empty() {
            Ordering::Equal
        } else {
            rpmvercmp(ra, rb)
        }
    })
}

/// rpm's `rpmvercmp`: alternating numeric and alphabetic segments, `~`
/// sorts before everything, `^` after the base version.
pub fn rpmvercmp(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let (mut x, mut y) = (a.as_bytes(), b.as_bytes());
    let sep = |c: u8| !c.is_ascii_alphanumeric() && c != b'~' && c != b'^';
    loop {
        while let Some(&c) = x.first().filter(|&&c| sep(c)) {
            let _ = c;
            x = &x[1..];
        }
        while y.first().is_some_and(|&c| sep(c)) {
            y = &y[1..];
        }
        match (x.first(), y.first()) {
            (Some(b'~'), Some(b'~')) => {
                x = &x[1..];
                y = &y[1..];
                continue;
            }
            (Some(b'~'), _) => return Ordering::Less,
            (_, Some(b'~')) => return Ordering::Greater,
            (Some(b'^'), Some(b'^')) => {
                x = &x[1..];
                y = &y[1..];
                continue;
            }
            (Some(b'^'), None) => return Ordering::Greater,
            (None, Some(b'^')) => return Ordering::Less,
            (Some(b'^'), _) => return Ordering::Less,
            (_, Some(b'^')) => return Ordering::Greater,
            (None, _) | (_, None) => break,
            _ => {}
        }
        let numeric = x[0].is_ascii_digit();
        let take = |s: &[u8]| {
            s.iter()
                .take_while(|c| {
                    if numeric {
                        c.is_ascii_digit()
                    } else {
                        c.is_ascii_alphabetic()
                    }
                })
                .count()
        };
        let (nx, ny) = (take(x), take(y));
        if ny == 0 {
            return if numeric {
                Ordering::Greater
            } else {
                Ordering::Less
            };
        }
        let (sx, sy) = (&x[..nx], &y[..ny]);
        let ord = if numeric {
            let tx = trim_zeros(sx);
            let ty = trim_zeros(sy);
            tx.len().cmp(&ty.len()).then_with(|| tx.cmp(ty))
        } else {
            sx.cmp(sy)
        };
        if ord != Ordering::Equal {
            return ord;
        }
        x = &x[nx..];
        y = &y[ny..];
    }
    match (x.is_empty(), y.is_empty()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        _ => Ordering::Greater,
    }
}

fn trim_zeros(s: &[u8]) -> &[u8] {
    let n = s.iter().take_while(|&&c| c == b'0').count();
    &s[n..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rpm_expressions() {
        assert_eq!(condition("0042 > 1500"), Some(false));
        assert_eq!(condition("01600 > 1500"), Some(true));
        assert_eq!(condition("\"python3\" == \"python3\""), Some(true));
        assert_eq!(condition("1 && !0 || 0"), Some(true));
        assert_eq!(condition("(1 + 2) * 3 == 9"), Some(true));
        assert_eq!(condition("0 ? 1 : 2"), Some(true));
        assert_eq!(condition("v\"1.10\" > v\"1.9\""), Some(true));
        assert_eq!(condition("\"a\" == 1"), None);
        assert_eq!(condition("fedora"), None);
        assert_eq!(condition(""), None);
        assert_eq!(condition("1 # comment"), None);
    }

    #[test]
    fn vercmp() {
        assert_eq!(rpmvercmp("1.0~rc1", "1.0"), Ordering::Less);
        assert_eq!(rpmvercmp("1.0^git1", "1.0"), Ordering::Greater);
        assert_eq!(rpmvercmp("1.010", "1.9"), Ordering::Greater);
        assert_eq!(rpmvercmp("1.0a", "1.0"), Ordering::Greater);
        assert_eq!(rpmvercmp_evr("1:1.0", "2.0"), Ordering::Greater);
    }
}
