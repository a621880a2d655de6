//! The extent of a macro reference in raw spec text.
//!
//! rpm's `findMacroEnd`/`matchchar`: `%{…}`, `%(…)` and `%[…]` end at the
//! matching bracket of the same kind (nesting counted, `\x` skipped); a
//! plain `%name` ends after its name.

/// Length of the macro reference at the start of `s` (which starts with `%`).
///
/// ```ebnf
/// MacroRef := "%%" | "%{" Balanced "}" | "%(" Balanced ")" | "%[" Balanced "]"
///           | "%" { "?" | "!" } [ "-" ] NameChar+ [ "**" | "*" ] | "%*" | "%**" | "%#" ;
/// ```
///
/// Returns `(len, closed)`: `closed` is false when a bracketed reference runs
/// to the end of `s` without its closing bracket.
pub fn macro_ref_len(s: &[u8]) -> (usize, bool) {
    debug_assert!(s.first() == Some(&b'%'));
    match s.get(1) {
        None => (1, true),
        Some(b'%') => (2, true),
        Some(&open @ (b'{' | b'(' | b'[')) => {
            let close = match open {
                b'{' => b'}',
                b'(' => b')',
                _ => b']',
            };
            match matching_close(&s[1..], open, close) {
                Some(end) => (end + 2, true),
                None => (s.len(), false),
            }
        }
        Some(_) => {
            let mut i = 1;
            while i < s.len() && (s[i] == b'?' || s[i] == b'!') {
                i += 1;
            }
            if i < s.len() && s[i] == b'-' {
                i += 1;
            }
            let name_start = i;
            while i < s.len() && is_name_byte(s[i]) {
                i += 1;
            }
            if i == name_start {
                if i < s.len() && (s[i] == b'*' || s[i] == b'#') {
                    i += 1;
                    if s[i - 1] == b'*' && s.get(i) == Some(&b'*') {
                        i += 1;
                    }
                    return (i, true);
                }
                return (1, true);
            }
            if s.get(i) == Some(&b'*') {
                i += 1;
                if s.get(i) == Some(&b'*') {
                    i += 1;
                }
            }
            (i, true)
        }
    }
}

/// Index of the bracket closing `s[0]` (which is `open`), nesting counted,
/// backslash escapes skipped.
pub fn matching_close(s: &[u8], open: u8, close: u8) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = 0;
    while i < s.len() {
        let b = s[i];
        if b == b'\\' {
            i += 2;
            continue;
        }
        if b == open {
            depth += 1;
        } else if b == close {
            depth -= 1;
            if depth == 0 {
                return Some(i);
            }
        }
        i += 1;
    }
    None
}

/// True for the bytes of a macro name.
///
/// ```ebnf
/// Name := ( Letter | "_" ) { Letter | Digit | "_" } ;
/// ```
pub fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extents() {
        assert_eq!(macro_ref_len(b"%{a {b} c} x"), (10, true));
        assert_eq!(macro_ref_len(b"%{a"), (3, false));
        assert_eq!(macro_ref_len(b"%name-x"), (5, true));
        assert_eq!(macro_ref_len(b"%?name x"), (6, true));
        assert_eq!(macro_ref_len(b"%%x"), (2, true));
        assert_eq!(macro_ref_len(b"%** x"), (3, true));
        assert_eq!(macro_ref_len(b"%-f*"), (4, true));
        assert_eq!(macro_ref_len(b"% x"), (1, true));
        assert_eq!(macro_ref_len(b"%(echo \\) x)y"), (12, true));
    }
}
