//! Dependency lists as rpm's `parseRCPOT` reads them.
//!
//! Dependencies are separated by whitespace or commas; an operator is a
//! whole token (`foo>=1` is one name); only a dependency that starts with
//! `(` is rich, and it runs to its matching `)`. Macro references are atomic
//! here: rpm expands them before it tokenizes, so a dependency holding a
//! macro keeps its raw text until [`crate::rpmspec::macros`] expands it.

use nom::bytes::complete::take_while;
use nom::{IResult, Parser};

use super::macro_ref::macro_ref_len;
use super::syntax::{DepItem, Op, Token, TokenKind};

/// Parses a dependency list, pushing its tokens (which tile `value`) and
/// returning the dependencies. `base` is the offset of `value` in the file.
///
/// ```ebnf
/// DepList := Sep* [ DepItem { Sep+ DepItem } ] Sep* ;
/// ```
pub fn dep_list(value: &[u8], base: usize, tokens: &mut Vec<Token>) -> Vec<DepItem> {
    let mut deps = Vec::new();
    let mut rest = value;
    let at = |rest: &[u8]| base + value.len() - rest.len();
    loop {
        let (after, sep) = separators(rest).unwrap_or((rest, &[]));
        if !sep.is_empty() {
            tokens.push(Token {
                kind: TokenKind::Separator,
                span: at(rest)..at(after),
            });
        }
        rest = after;
        if rest.is_empty() {
            return deps;
        }
        let (after, item) = dep_item(rest, at(rest), tokens);
        rest = after;
        deps.push(item);
    }
}

/// Whitespace and commas between dependencies.
///
/// ```ebnf
/// Sep := WS | "," ;
/// ```
fn separators(input: &[u8]) -> IResult<&[u8], &[u8]> {
    take_while(is_separator).parse(input)
}

/// True for the bytes rpm's `SKIPWHITE` skips in a dependency list.
pub fn is_separator(b: u8) -> bool {
    b == b',' || b.is_ascii_whitespace() || b == 0x0b
}

/// One dependency: rich, or a name with an optional operator and version.
///
/// ```ebnf
/// DepItem   := RichDep | SimpleDep ;
/// SimpleDep := Word [ Sep+ CmpOp Sep+ Word ] ;
/// ```
fn dep_item<'a>(input: &'a [u8], start: usize, tokens: &mut Vec<Token>) -> (&'a [u8], DepItem) {
    if input[0] == b'(' {
        let (len, closed) = rich_dep_len(input);
        tokens.push(Token {
            kind: TokenKind::RichDep,
            span: start..start + len,
        });
        let item = DepItem {
            span: start..start + len,
            name: start..start + len,
            op: None,
            evr: None,
            rich: true,
            problem: (!closed).then_some("unclosed rich dependency"),
        };
        return (&input[len..], item);
    }
    let name_len = word_len(input);
    let name = start..start + name_len;
    let mut item = DepItem {
        span: name.clone(),
        name: name.clone(),
        op: None,
        evr: None,
        rich: false,
        problem: name_problem(&input[..name_len]),
    };
    tokens.push(Token {
        kind: TokenKind::DepName,
        span: name,
    });
    let rest = &input[name_len..];
    // Peek: is the next token an exact operator?
    let sep1 = rest.iter().take_while(|&&b| is_separator(b)).count();
    let op_tok = &rest[sep1..];
    let op_len = word_len_or_zero(op_tok);
    let Some(op) = Op::from_token(&op_tok[..op_len]) else {
        return (rest, item);
    };
    let op_start = start + name_len + sep1;
    push_separator(tokens, start + name_len, sep1);
    tokens.push(Token {
        kind: TokenKind::Operator,
        span: op_start..op_start + op_len,
    });
    item.op = Some((op, op_start..op_start + op_len));
    let after_op = &op_tok[op_len..];
    let sep2 = after_op.iter().take_while(|&&b| is_separator(b)).count();
    let evr_tok = &after_op[sep2..];
    let evr_len = word_len_or_zero(evr_tok);
    if evr_len == 0 {
        item.span = start..op_start + op_len;
        item.problem = Some("version required");
        return (after_op, item);
    }
    let evr_start = op_start + op_len + sep2;
    push_separator(tokens, op_start + op_len, sep2);
    tokens.push(Token {
        kind: TokenKind::Evr,
        span: evr_start..evr_start + evr_len,
    });
    item.evr = Some(evr_start..evr_start + evr_len);
    item.span = start..evr_start + evr_len;
    (&evr_tok[evr_len..], item)
}

fn push_separator(tokens: &mut Vec<Token>, start: usize, len: usize) {
    if len > 0 {
        tokens.push(Token {
            kind: TokenKind::Separator,
            span: start..start + len,
        });
    }
}

/// Why rpm's `checkDep` would reject a name, judged before expansion.
fn name_problem(name: &[u8]) -> Option<&'static str> {
    match name.first() {
        Some(b) if b.is_ascii_alphanumeric() || *b == b'_' || *b == b'/' || *b == b'%' => None,
        Some(b) if *b >= 0x80 => None,
        _ => Some("dependency tokens must begin with alpha-numeric, '_' or '/'"),
    }
}

/// A maximal run of non-separator bytes; macro references are atomic.
///
/// ```ebnf
/// Word := { MacroRef | byte - Sep }+ ;
/// ```
fn word_len(input: &[u8]) -> usize {
    word_len_or_zero(input).max(1).min(input.len())
}

fn word_len_or_zero(input: &[u8]) -> usize {
    let mut i = 0;
    while i < input.len() {
        let b = input[i];
        if is_separator(b) {
            break;
        }
        if b == b'%' {
            i += macro_ref_len(&input[i..]).0;
        } else {
            i += 1;
        }
    }
    i
}

/// A rich dependency runs from its `(` to the matching `)`; macro references
/// inside are atomic.
///
/// ```ebnf
/// RichDep := "(" { MacroRef | RichDep | byte - ")" } ")" ;
/// ```
fn rich_dep_len(input: &[u8]) -> (usize, bool) {
    let mut depth = 0usize;
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'%' => {
                i += macro_ref_len(&input[i..]).0;
                continue;
            }
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return (i + 1, true);
                }
            }
            _ => {}
        }
        i += 1;
    }
    (input.len(), false)
}

/// Splits an already expanded dependency string into `(name, op, evr)` triples.
pub fn split_expanded(text: &str) -> Vec<(String, Option<Op>, Option<String>)> {
    let mut tokens = Vec::new();
    let items = dep_list(text.as_bytes(), 0, &mut tokens);
    items
        .into_iter()
        .map(|d| {
            let name = if d.rich {
                normalise_rich(&text[d.name.clone()])
            } else {
                text[d.name.clone()].to_owned()
            };
            (
                name,
                d.op.as_ref().map(|(op, _)| *op),
                d.evr.map(|s| text[s].to_owned()),
            )
        })
        .collect()
}

/// Re-spaces a rich dependency as rpm prints it: single spaces, no blanks
/// inside the parentheses.
pub fn normalise_rich(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for word in raw.split(|c: char| c.is_whitespace() || c == ',') {
        if word.is_empty() {
            continue;
        }
        if !out.is_empty() && !out.ends_with('(') && !word.starts_with(')') {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(s: &str) -> Vec<String> {
        let mut toks = Vec::new();
        let items = dep_list(s.as_bytes(), 0, &mut toks);
        let covered: String = toks.iter().map(|t| &s[t.span.clone()]).collect();
        assert_eq!(covered, s, "tokens must tile the value");
        items
            .iter()
            .map(|d| {
                let mut out = s[d.name.clone()].to_string();
                if let (Some((op, _)), Some(evr)) = (&d.op, &d.evr) {
                    out = format!("{out} {} {}", op.as_str(), &s[evr.clone()]);
                }
                out
            })
            .collect()
    }

    #[test]
    fn rpm_tokenizer_cases() {
        assert_eq!(
            split("qux = 1:2-3, a,b , c"),
            ["qux = 1:2-3", "a", "b", "c"]
        );
        assert_eq!(split("foo, >= 1.0"), ["foo >= 1.0"]);
        assert_eq!(split("foo >=,1.0"), ["foo >= 1.0"]);
        assert_eq!(split("foo>=1.0"), ["foo>=1.0"]);
        assert_eq!(split("baz>= 3"), ["baz>=", "3"]);
        assert_eq!(split("y == 2 z => 3 w =< 4"), ["y = 2", "z >= 3", "w <= 4"]);
        assert_eq!(split("(a or b)c"), ["(a or b)", "c"]);
        assert_eq!(split("modalias(of:a,b)"), ["modalias(of:a", "b)"]);
        assert_eq!(split("(a or (b and c)) d"), ["(a or (b and c))", "d"]);
        assert_eq!(
            split("%{python_module foo >= 1} bar"),
            ["%{python_module foo >= 1}", "bar"]
        );
        assert_eq!(
            split("a%{?_isa} >= %{version}"),
            ["a%{?_isa} >= %{version}"]
        );
        assert_eq!(split(""), Vec::<String>::new());
    }

    #[test]
    fn problems() {
        let mut toks = Vec::new();
        let items = dep_list(b"x =1", 0, &mut toks);
        assert_eq!(
            items[1].problem,
            Some("dependency tokens must begin with alpha-numeric, '_' or '/'")
        );
        let items = dep_list(b"x >=", 0, &mut toks);
        assert_eq!(items[0].problem, Some("version required"));
        let items = dep_list(b"(a or b", 0, &mut toks);
        assert_eq!(items[0].problem, Some("unclosed rich dependency"));
    }

    #[test]
    fn rich_normalised() {
        assert_eq!(
            normalise_rich("(  a   and  (b or c)  )"),
            "(a and (b or c))"
        );
    }
}
