//! Shebangs: every text file whose first line runs Python, executable or
//! not (as the original), gets `#!R/bin/python` followed by the original
//! interpreter's flags; nothing else in the file changes.
//!
//! Handled forms: `#!/usr/bin/python3 -s`, `#!/usr/bin/env python3 -s`
//! (also `env -S` and `env VAR=x`), and pip's `#!/bin/sh` + `'''exec'
//! "/path/python" "$0" "$@"` form for long paths, where only the `exec`
//! line changes. Skipped: files matching `--no-relocate-shebang-list`
//! (globs on `DEST_DIR/relative/path`, `*` crossing `/` as with fnmatch),
//! binary files (a NUL byte in the first 8 KiB), and interpreters that are
//! not Python (`pythonX.Y`, `python3`, `python`).

use std::io::Read;

use globset::{Glob, GlobSet, GlobSetBuilder};

use super::{rewrite, RelocateError, Relocation, Report};
use crate::create::tree::{Kind, Node};

/// How much of a file is looked at to tell text from binary.
const HEAD: usize = 8 << 10;

/// What the shebang pass made of one node.
enum Seen {
    /// Nothing to do.
    Nothing,
    /// A symlink in `bin/` leading out of DEST: this warning.
    OutsideLink(String),
    /// A file whose shebang was rewritten.
    Changed,
}

/// Rewrites the shebangs of the files among `nodes` (DEST's tree); returns
/// how many files changed. Files are looked at (and rewritten) on every
/// core, each on its own; the report, its warnings and the first error are
/// taken in the nodes' order.
pub fn fix(r: &Relocation, nodes: &[Node], report: &mut Report) -> Result<usize, RelocateError> {
    let skip = globs(&r.no_relocate_shebang)?;
    let python = format!("{}/bin/python", r.target.display());
    let look = |node: &Node| -> Result<Seen, RelocateError> {
        if node.kind == Kind::Symlink && node.rel.parent() == Some(std::path::Path::new("bin")) {
            return Ok(outside_link(r, &node.rel)?.map_or(Seen::Nothing, Seen::OutsideLink));
        }
        if node.kind != Kind::File || skip.is_match(r.dest_arg.join(&node.rel)) {
            return Ok(Seen::Nothing);
        }
        let path = r.dest.join(&node.rel);
        let mut file = std::fs::File::open(&path).map_err(|e| RelocateError::io(&path, &e))?;
        let mut magic = [0u8; 2];
        if file.read_exact(&mut magic).is_err() || &magic != b"#!" {
            return Ok(Seen::Nothing);
        }
        let mut data = magic.to_vec();
        file.read_to_end(&mut data)
            .map_err(|e| RelocateError::io(&path, &e))?;
        if data[..data.len().min(HEAD)].contains(&0) {
            return Ok(Seen::Nothing);
        }
        match relocated(&data, &python) {
            Some(new) => {
                rewrite(&path, &new, None)?;
                Ok(Seen::Changed)
            }
            None => Ok(Seen::Nothing),
        }
    };
    let mut changed = 0;
    crate::in_order::map_in_order(
        nodes,
        crate::in_order::workers_for(nodes.len()),
        look,
        |node, seen| {
            match seen? {
                Seen::OutsideLink(warning) => report.warnings.push(warning),
                Seen::Changed => {
                    report
                        .changed
                        .insert(node.rel.to_string_lossy().into_owned());
                    changed += 1;
                }
                Seen::Nothing => {}
            }
            Ok::<_, RelocateError>(())
        },
    )?;
    Ok(changed)
}

/// The warning for a console script in `bin/` that is a symlink leading
/// out of DEST (an absolute target, or a relative one climbing out):
/// whatever it reaches on the host keeps its own shebang, as a unit that is
/// a symlink is left alone with a warning.
fn outside_link(r: &Relocation, rel: &std::path::Path) -> Result<Option<String>, RelocateError> {
    let path = r.dest.join(rel);
    let target = std::fs::read_link(&path).map_err(|e| RelocateError::io(&path, &e))?;
    let dir = rel.parent().unwrap_or(std::path::Path::new(""));
    let outside = target.is_absolute() || crate::create::tree::join_inside(dir, &target).is_none();
    Ok(outside.then(|| {
        format!(
            "{}: a console script linking out of DEST (to {}), left as is: its shebang is not relocated",
            rel.display(),
            target.display()
        )
    }))
}

/// The globs of `--no-relocate-shebang-list`.
fn globs(patterns: &[String]) -> Result<GlobSet, RelocateError> {
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        b.add(Glob::new(p).map_err(|e| RelocateError::BadGlob {
            pattern: p.clone(),
            reason: e.kind().to_string(),
        })?);
    }
    b.build().map_err(|e| RelocateError::BadGlob {
        pattern: patterns.join(" "),
        reason: e.to_string(),
    })
}

/// `data` with its Python shebang pointing at `python`, or `None` when it
/// has none.
pub fn relocated(data: &[u8], python: &str) -> Option<Vec<u8>> {
    let (first, rest) = split_line(data);
    let line = std::str::from_utf8(first).ok()?;
    if let Some(flags) = python_flags(line) {
        let mut out = format!("#!{python}{flags}").into_bytes();
        out.extend_from_slice(rest);
        return Some(out);
    }
    // pip's form for paths a kernel cannot take in a shebang.
    if line.trim_end() != "#!/bin/sh" {
        return None;
    }
    let (second, after) = split_line(rest.strip_prefix(b"\n")?);
    let second = std::str::from_utf8(second).ok()?;
    let exec = second.strip_prefix("'''exec' ")?;
    let (interpreter, tail) = match exec.chars().next()? {
        q @ ('"' | '\'') => {
            let inner = &exec[1..];
            let end = inner.find(q)?;
            (&inner[..end], &inner[end + 1..])
        }
        _ => first_word(exec)?,
    };
    if !is_python(interpreter) {
        return None;
    }
    let quoted = if python.contains([' ', '"', '\'', '$', '`', '\\']) {
        format!("'{}'", python.replace('\'', "'\\''"))
    } else {
        format!("\"{python}\"")
    };
    let mut out = first.to_vec();
    out.extend_from_slice(format!("\n'''exec' {quoted}{tail}").as_bytes());
    out.extend_from_slice(after);
    Some(out)
}

/// The first line without its `\n` (a `\r` stays in it), and the rest
/// starting at the `\n`.
fn split_line(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i..]),
        None => (data, &[]),
    }
}

/// For a Python shebang line, what follows the interpreter (its flags with
/// their spacing, and a `\r` if the line had one).
fn python_flags(line: &str) -> Option<&str> {
    let body = line.strip_prefix("#!")?;
    let (interpreter, mut rest) = first_word(body)?;
    if interpreter.rsplit('/').next() == Some("env") {
        // env [-S] [-i] [NAME=VALUE]... python [flags]
        loop {
            let (word, tail) = first_word(rest)?;
            if word == "-S" || word == "-i" || word == "-" || word.contains('=') {
                rest = tail;
                continue;
            }
            if !is_python(word) {
                return None;
            }
            return Some(tail);
        }
    }
    is_python(interpreter).then_some(rest)
}

/// The first whitespace-separated word of `s` and what follows it.
fn first_word(s: &str) -> Option<(&str, &str)> {
    let s = s.trim_start_matches([' ', '\t']);
    let end = s.find([' ', '\t', '\r']).unwrap_or(s.len());
    (end > 0).then(|| (&s[..end], &s[end..]))
}

/// `python`, `python3`, `python3.11`, … as a path or a name.
fn is_python(interpreter: &str) -> bool {
    let name = interpreter.rsplit('/').next().unwrap_or(interpreter);
    name.strip_prefix("python")
        .is_some_and(|v| v.chars().all(|c| c.is_ascii_digit() || c == '.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PY: &str = "/opt/venv/venv/bin/python";

    fn run(input: &str) -> Option<String> {
        relocated(input.as_bytes(), PY).map(|v| String::from_utf8(v).unwrap())
    }

    #[test]
    fn shebang_forms() {
        let cases: [(&str, Option<&str>); 14] = [
            (
                "#!/usr/bin/python3\nimport x\n",
                Some("#!/opt/venv/venv/bin/python\nimport x\n"),
            ),
            (
                "#!/usr/bin/python3 -s\nx\n",
                Some("#!/opt/venv/venv/bin/python -s\nx\n"),
            ),
            (
                "#! /usr/bin/python3.11 -sE\n",
                Some("#!/opt/venv/venv/bin/python -sE\n"),
            ),
            (
                "#!/usr/bin/env python3\nx",
                Some("#!/opt/venv/venv/bin/python\nx"),
            ),
            (
                "#!/usr/bin/env python3 -u\n",
                Some("#!/opt/venv/venv/bin/python -u\n"),
            ),
            (
                "#!/usr/bin/env -S python3 -s -E\n",
                Some("#!/opt/venv/venv/bin/python -s -E\n"),
            ),
            (
                "#!/usr/bin/env LANG=C python\n",
                Some("#!/opt/venv/venv/bin/python\n"),
            ),
            (
                "#!/usr/bin/python3\r\nx\r\n",
                Some("#!/opt/venv/venv/bin/python\r\nx\r\n"),
            ),
            ("#!/usr/bin/python", Some("#!/opt/venv/venv/bin/python")),
            ("#!/bin/sh\n# python\n", None),
            ("#!/usr/bin/env bash\npython3 x\n", None),
            ("#!/usr/bin/perl -w # python\n", None),
            ("#!/usr/bin/python3-config\n", None),
            ("# not a shebang python\n", None),
        ];
        for (input, want) in cases {
            assert_eq!(run(input).as_deref(), want, "{input:?}");
        }
    }

    #[test]
    fn pips_exec_form_changes_only_the_exec_line() {
        let input = "#!/bin/sh\n'''exec' \"/home/abuild/rpmbuild/BUILD/a very long path/venv/bin/python3\" \"$0\" \"$@\"\n' '''\n# -*- coding: utf-8 -*-\nimport re\n";
        assert_eq!(
            run(input).unwrap(),
            "#!/bin/sh\n'''exec' \"/opt/venv/venv/bin/python\" \"$0\" \"$@\"\n' '''\n# -*- coding: utf-8 -*-\nimport re\n"
        );
        assert_eq!(run("#!/bin/sh\n'''exec' /usr/bin/perl \"$0\"\n"), None);
    }

    #[test]
    fn files_binaries_and_excluded_globs() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let dest = d.path();
        std::fs::create_dir_all(dest.join("bin")).unwrap();
        std::fs::create_dir_all(dest.join("share/keep")).unwrap();
        std::fs::write(dest.join("bin/tool"), "#!/usr/bin/python3 -s\nx\n").unwrap();
        std::fs::set_permissions(
            dest.join("bin/tool"),
            std::fs::Permissions::from_mode(0o555),
        )
        .unwrap();
        std::fs::write(
            dest.join("share/not-executable.py"),
            "#!/usr/bin/env python3\n",
        )
        .unwrap();
        std::fs::write(dest.join("share/keep/x.py"), "#!/usr/bin/python3\n").unwrap();
        std::fs::write(dest.join("bin/binary"), b"#!/usr/bin/python\0\x7fELF\n").unwrap();
        std::os::unix::fs::symlink("tool", dest.join("bin/link")).unwrap();
        std::os::unix::fs::symlink("/usr/bin/host-tool", dest.join("bin/host")).unwrap();
        std::os::unix::fs::symlink("../../up", dest.join("bin/up")).unwrap();
        let r = Relocation {
            no_relocate_shebang: vec!["venv/share/keep/*".into()],
            ..Relocation::for_tests(dest)
        };
        let mut report = Report::default();
        let nodes = crate::create::tree::walk(dest, dest).unwrap();
        assert_eq!(fix(&r, &nodes, &mut report).unwrap(), 2);
        let read = |p: &str| std::fs::read(dest.join(p)).unwrap();
        assert_eq!(read("bin/tool"), b"#!/opt/venv/venv/bin/python -s\nx\n");
        assert_eq!(
            read("share/not-executable.py"),
            b"#!/opt/venv/venv/bin/python\n"
        );
        assert_eq!(read("share/keep/x.py"), b"#!/usr/bin/python3\n");
        assert_eq!(read("bin/binary"), b"#!/usr/bin/python\0\x7fELF\n");
        let mode = std::fs::metadata(dest.join("bin/tool"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o7777, 0o555, "the mode is kept");
        assert_eq!(
            report.changed.iter().collect::<Vec<_>>(),
            ["bin/tool", "share/not-executable.py"]
        );
        assert_eq!(
            report.warnings,
            [
                "bin/host: a console script linking out of DEST (to /usr/bin/host-tool), left as is: its shebang is not relocated",
                "bin/up: a console script linking out of DEST (to ../../up), left as is: its shebang is not relocated",
            ]
        );
        let bad = Relocation {
            no_relocate_shebang: vec!["venv/[".into()],
            ..Relocation::for_tests(dest)
        };
        assert_eq!(
            fix(&bad, &nodes, &mut report).unwrap_err().to_string(),
            "--no-relocate-shebang-list: venv/[: unclosed character class; missing ']'"
        );
    }
}
