//! Unified diffs of file changes, as the service and `spec edit` print them.

use similar::TextDiff;

/// A unified diff of `old` → `new` with `a/NAME`, `b/NAME` headers and
/// three lines of context; empty when nothing changed.
pub fn unified(name: &str, old: &[u8], new: &[u8]) -> String {
    if old == new {
        return String::new();
    }
    let old = String::from_utf8_lossy(old);
    let new = String::from_utf8_lossy(new);
    let diff = TextDiff::from_lines(old.as_ref(), new.as_ref());
    let mut out = diff
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{name}"), &format!("b/{name}"))
        .to_string();
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// Lines added and removed between `old` and `new`.
pub fn line_counts(old: &[u8], new: &[u8]) -> (usize, usize) {
    let old = String::from_utf8_lossy(old);
    let new = String::from_utf8_lossy(new);
    let diff = TextDiff::from_lines(old.as_ref(), new.as_ref());
    let mut added = 0;
    let mut removed = 0;
    for change in diff.iter_all_changes() {
        match change.tag() {
            similar::ChangeTag::Insert => added += 1,
            similar::ChangeTag::Delete => removed += 1,
            similar::ChangeTag::Equal => {}
        }
    }
    (added, removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unified_diff_with_headers() {
        let d = unified("f", b"a\nb\nc\n", b"a\nB\nc\n");
        assert_eq!(d, "--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n");
        assert_eq!(unified("f", b"x", b"x"), "");
        assert_eq!(line_counts(b"a\nb\n", b"a\nc\nd\n"), (2, 1));
    }
}
