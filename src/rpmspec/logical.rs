//! Physical lines joined into the logical lines rpm reads.
//!
//! rpm (`build/parseSpec.c: copyNextLineFromOFI`) keeps appending physical
//! lines to its buffer while the buffer ends in `\` + newline or while a
//! `%{`, `%(` or `%[` is unbalanced. After macro expansion it splits the
//! buffer at newlines again, so a backslash continuation only matters for
//! lines the macro engine consumes whole: `%define`/`%global` bodies, `%if`
//! expressions and other `%`-directives. For every other line (tags,
//! comments, text) a depth-0 backslash continuation is cut here, which gives
//! the lines rpm classifies after its re-split.

use std::ops::Range;

/// One logical line: the byte range it covers and how it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogicalLine {
    /// Bytes of the line, including its line ending.
    pub span: Range<usize>,
    /// Length of the line ending (`\n` = 1, `\r\n` = 2, none at EOF = 0).
    pub eol_len: usize,
    /// True when the line reached end of file with an unbalanced `%{`, `%(` or `%[`.
    pub unclosed_macro: bool,
    /// Number of physical lines joined into this one.
    pub physical_lines: u32,
}

impl LogicalLine {
    /// The range of the content, without the line ending.
    pub fn content(&self) -> Range<usize> {
        self.span.start..self.span.end - self.eol_len
    }
}

/// Splits `src` into logical lines that tile it exactly.
///
/// ```ebnf
/// LogicalLine := PhysLine { PhysLine } ;
/// ```
pub fn logical_lines(src: &[u8]) -> Vec<LogicalLine> {
    let mut out = Vec::with_capacity(src.len() / 32 + 1);
    let mut pos = 0;
    while pos < src.len() {
        let line = next_logical_line(src, pos);
        pos = line.span.end;
        out.push(line);
    }
    out
}

/// Bracket depths of rpm's join counter.
#[derive(Default, Clone, Copy)]
struct Depth {
    brace: u32,
    paren: u32,
    bracket: u32,
}

impl Depth {
    fn open(self) -> bool {
        self.brace > 0 || self.paren > 0 || self.bracket > 0
    }
}

/// Reads one logical line starting at `start`.
fn next_logical_line(src: &[u8], start: usize) -> LogicalLine {
    let continuable = starts_with_directive(&src[start..]);
    let mut depth = Depth::default();
    let mut i = start;
    let mut physical_lines = 1;
    loop {
        let Some(nl) = scan_physical(src, i, &mut depth) else {
            return LogicalLine {
                span: start..src.len(),
                eol_len: 0,
                unclosed_macro: depth.open(),
                physical_lines,
            };
        };
        // `nl` is the index of the '\n' ending this physical line.
        let backslash = ends_in_escaping_backslash(&src[i..nl]);
        let more = depth.open() || (backslash && continuable);
        if !more || nl + 1 >= src.len() {
            let eol_len = if nl > start && src[nl - 1] == b'\r' && !depth.open() {
                2
            } else {
                1
            };
            return LogicalLine {
                span: start..nl + 1,
                eol_len,
                unclosed_macro: depth.open(),
                physical_lines,
            };
        }
        i = nl + 1;
        physical_lines += 1;
    }
}

/// Advances over one physical line from `from`, updating `depth` with rpm's
/// counting rules; returns the index of its '\n', or `None` at end of input.
///
/// ```ebnf
/// PhysLine := { byte - "\n" } ( "\n" | EOF ) ;
/// ```
fn scan_physical(src: &[u8], from: usize, depth: &mut Depth) -> Option<usize> {
    let mut i = from;
    while i < src.len() {
        if !depth.open() {
            // Fast path: only '\\', '%' and '\n' matter at depth 0.
            match memchr::memchr3(b'\\', b'%', b'\n', &src[i..]) {
                None => return None,
                Some(off) => i += off,
            }
        }
        match src[i] {
            b'\n' => return Some(i),
            // `\x` skips x; a backslash before the newline is handled by the caller.
            b'\\' if i + 1 < src.len() && src[i + 1] != b'\n' => i += 1,
            b'%' => match src.get(i + 1) {
                Some(b'{') => {
                    depth.brace += 1;
                    i += 1;
                }
                Some(b'(') => {
                    depth.paren += 1;
                    i += 1;
                }
                Some(b'[') => {
                    depth.bracket += 1;
                    i += 1;
                }
                Some(b'%') => i += 1,
                _ => {}
            },
            b'{' if depth.brace > 0 => depth.brace += 1,
            b'}' if depth.brace > 0 => depth.brace -= 1,
            b'(' if depth.paren > 0 => depth.paren += 1,
            b')' if depth.paren > 0 => depth.paren -= 1,
            b'[' if depth.bracket > 0 => depth.bracket += 1,
            b']' if depth.bracket > 0 => depth.bracket -= 1,
            _ => {}
        }
        i += 1;
    }
    None
}

/// True when the physical line ends in a backslash that escapes its newline
/// (an even run of backslashes escapes itself).
fn ends_in_escaping_backslash(line: &[u8]) -> bool {
    let run = line.iter().rev().take_while(|&&b| b == b'\\').count();
    run % 2 == 1
}

/// True when the line is one whose backslash continuation the macro engine
/// consumes: a `%define`/`%global`/`%undefine` body, or the argument of
/// `%if`/`%elif` (and their variants) or `%include`. Any other line is
/// re-split by rpm after expansion, so `%cmake \` followed by `%if` leaves
/// the `%if` a directive.
fn starts_with_directive(rest: &[u8]) -> bool {
    let blanks = rest
        .iter()
        .take_while(|&&b| b == b' ' || b == b'\t')
        .count();
    let rest = &rest[blanks..];
    let Some(word) = rest.strip_prefix(b"%") else {
        return false;
    };
    let len = word
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
        .count();
    let word = &word[..len];
    matches!(word, b"define" | b"global" | b"undefine" | b"include")
        || word.starts_with(b"if")
        || word.starts_with(b"elif")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(src: &str) -> Vec<&str> {
        logical_lines(src.as_bytes())
            .into_iter()
            .map(|l| &src[l.span])
            .collect()
    }

    #[test]
    fn plain_lines_and_missing_final_newline() {
        assert_eq!(texts("a\nb\nc"), ["a\n", "b\n", "c"]);
    }

    #[test]
    fn define_body_continues_on_backslash() {
        assert_eq!(
            texts("%define x a\\\nb\nc\n"),
            ["%define x a\\\nb\n", "c\n"]
        );
    }

    #[test]
    fn tag_value_does_not_continue_on_backslash() {
        assert_eq!(
            texts("BuildRequires: a \\\n  b\n"),
            ["BuildRequires: a \\\n", "  b\n"]
        );
    }

    #[test]
    fn unbalanced_macro_joins_any_line() {
        assert_eq!(
            texts("%{?x:\nSource0: y}\nz\n"),
            ["%{?x:\nSource0: y}\n", "z\n"]
        );
        assert_eq!(texts("# c %{\nrest\n"), ["# c %{\nrest\n"]);
        let lines = logical_lines(b"# c %{\nrest\n");
        assert!(lines[0].unclosed_macro);
    }

    #[test]
    fn escaped_percent_and_bare_braces() {
        assert_eq!(texts("a %%{ b\nc\n"), ["a %%{ b\n", "c\n"]);
        assert_eq!(texts("a { b\nc\n"), ["a { b\n", "c\n"]);
        assert_eq!(texts("%{a {b}\n}\nc\n"), ["%{a {b}\n}\n", "c\n"]);
    }

    #[test]
    fn macro_call_continuation_leaves_if_a_directive() {
        assert_eq!(
            texts("%cmake -DA \\\n%if 1\n  -DB\n%endif\n"),
            ["%cmake -DA \\\n", "%if 1\n", "  -DB\n", "%endif\n"]
        );
        assert_eq!(
            texts("%if a \\\n  && b\nx\n"),
            ["%if a \\\n  && b\n", "x\n"]
        );
    }

    #[test]
    fn crlf_is_one_line_ending() {
        let lines = logical_lines(b"a\r\nb\r\n");
        assert_eq!(lines[0].eol_len, 2);
        assert_eq!(lines[0].content(), 0..1);
    }

    #[test]
    fn double_backslash_does_not_continue() {
        assert_eq!(texts("%define x a\\\\\nb\n"), ["%define x a\\\\\n", "b\n"]);
    }
}
