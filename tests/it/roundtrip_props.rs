//! Property tests of the parser — written by the fuzz/proptest work.
//!
//! For arbitrary bytes and for generated spec-like text:
//! * `parse` never panics;
//! * the tokens tile the input exactly, in order;
//! * `reprint()` is byte-identical to the input;
//! * `dependencies()` (macro expander + analysis) never panics, with an empty
//!   macro table and with a few definitions.
//!
//! The fuzz target in `fuzz/fuzz_targets/spec_roundtrip.rs` checks the same
//! properties with coverage guidance; this module keeps a fast version in the
//! normal test run.

use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use venvjail::rpmspec::{self, MacroTable};

/// Checks every property on `input`; returns a description of the first
/// violation (panics inside the parser propagate and fail the case as well).
fn check(input: &[u8], with_defines: bool) -> Result<(), TestCaseError> {
    let file = rpmspec::parse(input);

    let mut at = 0usize;
    for (i, t) in file.tokens.iter().enumerate() {
        prop_assert_eq!(
            t.span.start,
            at,
            "token {} ({:?}) does not start where the previous one ended",
            i,
            t.kind
        );
        prop_assert!(
            t.span.end >= t.span.start,
            "token {} has a reversed span {:?}",
            i,
            t.span
        );
        at = t.span.end;
    }
    prop_assert_eq!(at, input.len(), "tokens do not cover the whole input");

    let out = file.reprint();
    prop_assert!(
        out == input,
        "reprint differs:\n  input:   {:?}\n  reprint: {:?}",
        String::from_utf8_lossy(input),
        String::from_utf8_lossy(&out)
    );

    let _ = rpmspec::dependencies(&file, MacroTable::new());
    if with_defines {
        let _ = rpmspec::dependencies(&file, defines());
    }
    Ok(())
}

/// A small macro table like the one `--define` builds.
fn defines() -> MacroTable {
    let mut t = MacroTable::new();
    for d in [
        "fedora 42",
        "python_module() python3-%{**}",
        "suse_version 1600",
    ] {
        t.define_arg(d).expect("valid define");
    }
    t
}

/// `cases` by default; `PROPTEST_CASES=N` in the environment overrides it
/// for a longer run.
fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(cases);
    ProptestConfig {
        cases,
        // Failures are reported with their minimal input; do not write
        // `proptest-regressions/` files next to the sources.
        failure_persistence: Some(Box::new(FileFailurePersistence::Off)),
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------
// Generators of spec-like text.

/// Names: plain, dotted, with dashes, with a macro in them.
fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z][a-z0-9_+.-]{0,10}",
        Just("python3-foo".to_string()),
        Just("%{name}".to_string()),
        Just("%{name}-devel".to_string()),
        Just("%{python_module setuptools}".to_string()),
        Just("%{?python_module:%python_module}".to_string()),
        Just("pkgconfig(glib-2.0)".to_string()),
        Just("perl(Foo::Bar)".to_string()),
        Just("/usr/bin/sh".to_string()),
        Just("%{py3_dist foo}".to_string()),
        Just("%{?x}".to_string()),
        Just("%x".to_string()),
    ]
}

fn version() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9]{1,3}(\\.[0-9]{1,3}){0,3}",
        Just("%{version}".to_string()),
        Just("%{version}-%{release}".to_string()),
        Just("1:2.3-4.fc42".to_string()),
        Just("1.0~rc1^post".to_string()),
        Just("%{?epoch:%{epoch}:}%{version}".to_string()),
    ]
}

fn op() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![">=", "=", "<", "<=", ">", "==", "=>", "=<", "!="])
}

fn ws() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["", " ", "  ", "\t", " \t "])
}

/// One dependency: `name`, `name op version`, or a rich dependency.
fn dep() -> impl Strategy<Value = String> {
    let simple = prop_oneof![
        3 => name(),
        3 => (name(), ws(), op(), ws(), version()).prop_map(|(n, a, o, b, v)| format!("{n}{a}{o}{b}{v}")),
        1 => (name(), op(), version()).prop_map(|(n, o, v)| format!("%{{python_module {n} {o} {v}}}")),
    ];
    simple.prop_recursive(2, 8, 2, |inner| {
        let kw = prop::sample::select(vec![
            "or", "and", "if", "else", "unless", "with", "without", "OR",
        ]);
        prop_oneof![
            4 => (inner.clone(), kw.clone(), inner.clone())
                .prop_map(|(a, k, b)| format!("({a} {k} {b})")),
            2 => (inner.clone(), kw, inner.clone())
                .prop_map(|(a, k, b)| format!("({a} {k} ({b}))")),
            1 => inner.prop_map(|a| format!("({a}")),
        ]
    })
}

/// Dependency tag names, in several cases and with qualifiers.
fn dep_tag() -> impl Strategy<Value = String> {
    let base = prop::sample::select(vec![
        "BuildRequires",
        "buildrequires",
        "BUILDREQUIRES",
        "Requires",
        "requires",
        "Provides",
        "Obsoletes",
        "Conflicts",
        "Recommends",
        "Suggests",
        "Supplements",
        "Enhances",
        "BuildConflicts",
        "OrderWithRequires",
        "BuildPreReq",
        "PreReq",
    ]);
    let qual = prop_oneof![
        12 => Just(""),
        6 => prop::sample::select(vec![
            "(post)",
            "(pre)",
            "(post,postun)",
            "(preun)",
            "(pre, post)",
            "(meta)",
            "(interp)",
        ]),
        1 => prop::sample::select(vec!["(", "()", "(post", "(bogus)"]),
    ];
    (base, qual).prop_map(|(b, q)| format!("{b}{q}"))
}

/// A tag line: `Tag: value` with dependency lists for dependency tags.
fn tag_line() -> impl Strategy<Value = String> {
    let sep = prop::sample::select(vec![",", ", ", " ", "  ,  ", "\t", ",,"]);
    let deps = prop::collection::vec(dep(), 0..4);
    let dep_line =
        (dep_tag(), ws(), deps, sep).prop_map(|(t, w, ds, s)| format!("{t}:{w}{}", ds.join(s)));
    let other_tag = prop::sample::select(vec![
        "Name",
        "Version",
        "Release",
        "Summary",
        "License",
        "URL",
        "Source0",
        "Source",
        "Patch1",
        "BuildArch",
        "ExclusiveArch",
        "Epoch",
        "Group",
        "name",
        "BuildRoot",
    ]);
    let other_val = prop_oneof![
        "[ -~]{0,20}",
        Just("noarch".to_string()),
        Just("%{name}".to_string()),
        Just("%{?dist}".to_string()),
        Just("1%{?dist}".to_string()),
    ];
    let other = (other_tag, ws(), other_val).prop_map(|(t, w, v)| format!("{t}:{w}{v}"));
    let cond_tag = (
        dep_tag(),
        dep(),
        prop::sample::select(vec!["?fedora", "!?fedora", "?suse_version", "?with_foo"]),
    )
        .prop_map(|(t, d, c)| format!("%{{{c}:{t}: {d}}}"));
    prop_oneof![5 => dep_line, 2 => other, 1 => cond_tag]
}

/// A condition expression for `%if`.
fn cond_expr() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("0".to_string()),
        Just("1".to_string()),
        Just("%{?fedora}".to_string()),
        Just("0%{?fedora} >= 40".to_string()),
        Just("%{defined suse_version}".to_string()),
        Just("%{with python3}".to_string()),
        Just("0%{?suse_version} > 1500 || 0%{?fedora}".to_string()),
        Just("\"%{_arch}\" == \"x86_64\"".to_string()),
        Just("(1 && (0 || 1)".to_string()),
        Just("%[ 1 + 2 ]".to_string()),
        Just("".to_string()),
        "[ -~]{0,12}",
    ]
}

/// A macro definition, possibly with parameters and continued lines.
fn define_line() -> impl Strategy<Value = String> {
    let kw = prop::sample::select(vec![
        "%define",
        "%global",
        "%undefine",
        "%define  ",
        "%global\t",
    ]);
    let params = prop::sample::select(vec!["", "()", "(n:)", "(a:b)", "("]);
    let body = prop_oneof![
        Just("1".to_string()),
        Just("%{nil}".to_string()),
        Just("python3-%{**}".to_string()),
        Just("%{?1:%1}%{!?1:none}".to_string()),
        Just("%{-n:%{-n*}}".to_string()),
        Just("foo \\\n  bar \\\n  baz".to_string()),
        Just("%{lua: print(\"x\")}".to_string()),
        Just("%(echo hi)".to_string()),
        Just("\\".to_string()),
        Just("%{expand:%%{x}}".to_string()),
        Just("%{x}".to_string()),
        "[ -~]{0,16}",
    ];
    (kw, name(), params, ws(), body).prop_map(|(k, n, p, w, b)| {
        let n = n.trim_start_matches('%').to_string();
        format!("{k} {n}{p} {w}{b}")
    })
}

/// Conditionals and (less often, since they end the preamble) section headers.
fn directive_line() -> impl Strategy<Value = String> {
    prop_oneof![6 => conditional_line(), 1 => section_line()]
}

fn conditional_line() -> impl Strategy<Value = String> {
    prop_oneof![
        cond_expr().prop_map(|e| format!("%if {e}")),
        cond_expr().prop_map(|e| format!("%elif {e}")),
        Just("%else".to_string()),
        Just("%endif".to_string()),
        Just("%endif # comment".to_string()),
        Just("%ifarch x86_64 %{ix86}".to_string()),
        Just("%ifnarch s390x".to_string()),
        Just("%ifos linux".to_string()),
        Just("%elifarch aarch64".to_string()),
        Just("%if".to_string()),
        Just("%bcond_without tests".to_string()),
        Just("%bcond tests 1".to_string()),
        Just("%{?python_enable_dependency_generator}".to_string()),
        Just("%python_subpackages".to_string()),
        Just("%include %{SOURCE1}".to_string()),
    ]
}

fn section_line() -> impl Strategy<Value = String> {
    prop_oneof![
        name().prop_map(|n| format!("%package {n}")),
        name().prop_map(|n| format!("%package -n {n}")),
        Just("%package".to_string()),
        Just("%description".to_string()),
        name().prop_map(|n| format!("%description -n {n}")),
        Just("%prep".to_string()),
        Just("%build".to_string()),
        Just("%install".to_string()),
        Just("%check".to_string()),
        Just("%files".to_string()),
        Just("%files -n python3-%{name}".to_string()),
        Just("%changelog".to_string()),
        Just("%post -p /sbin/ldconfig".to_string()),
    ]
}

/// Fragments that stress the lexer: unbalanced delimiters, escapes, odd bytes.
fn weird_line() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("%{".to_string()),
        Just("%{?".to_string()),
        Just("%(".to_string()),
        Just("%[".to_string()),
        Just("%{foo".to_string()),
        Just("%(echo %{x}".to_string()),
        Just("%[1 + (2".to_string()),
        Just("%{?x:%{y}".to_string()),
        Just("}}})])".to_string()),
        Just("%%".to_string()),
        Just("%".to_string()),
        Just("%%{x}".to_string()),
        Just("\\".to_string()),
        Just("\\\\".to_string()),
        Just("# comment %{x} \\".to_string()),
        Just("#!%{".to_string()),
        Just("\0".to_string()),
        Just("a\0b".to_string()),
        Just("\u{feff}Name: bom".to_string()),
        Just("é ü \u{1F600}".to_string()),
        Just("%{lua:".to_string()),
        Just("%{expand:%{".to_string()),
        Just("%{-".to_string()),
        Just("%{!?".to_string()),
        Just("%-".to_string()),
        Just("%{**}".to_string()),
        Just("%*".to_string()),
        Just("%1".to_string()),
        Just("%0".to_string()),
        Just("%#".to_string()),
        "[ -~]{0,30}",
    ]
}

/// One logical line's content (no terminator), optionally with a trailing
/// backslash continuation.
fn line_content() -> impl Strategy<Value = String> {
    let content = prop_oneof![
        6 => tag_line(),
        3 => directive_line(),
        2 => define_line(),
        2 => weird_line(),
        1 => Just(String::new()),
        1 => "[ -~]{0,40}",
    ];
    let lead = prop_oneof![6 => Just(""), 1 => ws()];
    (content, lead, prop::bool::weighted(0.05), ws()).prop_map(|(c, lead, cont, trail)| {
        format!("{lead}{c}{trail}{}", if cont { "\\" } else { "" })
    })
}

/// Line terminators, mixed within a file.
fn eol() -> impl Strategy<Value = &'static str> {
    prop_oneof![8 => Just("\n"), 2 => Just("\r\n"), 1 => Just("\r"), 1 => Just("\n\n")]
}

/// A whole spec-like file: lines with mixed endings, maybe no final newline,
/// maybe a stray byte.
fn spec_text() -> impl Strategy<Value = Vec<u8>> {
    let line = (line_content(), eol()).prop_map(|(c, e)| format!("{c}{e}"));
    let extra = prop::sample::select(vec![
        &b""[..],
        &b""[..],
        &b"\\"[..],
        &b"\0"[..],
        &b"\xff\xfe"[..],
        &b"\r"[..],
        &b"%{"[..],
        &b"\xc3"[..],
    ]);
    (prop::collection::vec(line, 0..40), prop::bool::ANY, extra).prop_map(
        |(lines, final_nl, extra)| {
            let mut s = lines.concat().into_bytes();
            if !final_nl {
                while matches!(s.last(), Some(b'\n' | b'\r')) {
                    s.pop();
                }
            }
            s.extend_from_slice(extra);
            s
        },
    )
}

/// Balanced `%if … %elif … %else … %endif` blocks (nested), as lines.
fn balanced_block() -> impl Strategy<Value = Vec<String>> {
    let leaf = prop::collection::vec(line_content(), 0..4);
    leaf.prop_recursive(3, 40, 4, |inner| {
        (
            prop::sample::select(vec!["%if", "%ifarch", "%ifnarch", "%ifos"]),
            cond_expr(),
            inner.clone(),
            prop::option::of((cond_expr(), inner.clone())),
            prop::option::of(inner.clone()),
            inner,
        )
            .prop_map(|(kw, c, then, elif, els, after)| {
                let mut v = vec![format!("{kw} {c}")];
                v.extend(then);
                if let Some((c2, body)) = elif {
                    v.push(format!("%elif {c2}"));
                    v.extend(body);
                }
                if let Some(body) = els {
                    v.push("%else".to_string());
                    v.extend(body);
                }
                v.push("%endif".to_string());
                v.extend(after);
                v
            })
    })
}

fn balanced_text() -> impl Strategy<Value = Vec<u8>> {
    (balanced_block(), prop::bool::ANY, prop::bool::ANY).prop_map(|(lines, crlf, final_nl)| {
        let eol = if crlf { "\r\n" } else { "\n" };
        let mut s = lines.join(eol);
        if final_nl {
            s.push_str(eol);
        }
        s.into_bytes()
    })
}

/// A real-looking spec skeleton with generated lines spliced in.
fn skeleton_text() -> impl Strategy<Value = Vec<u8>> {
    const SKELETON: &[&str] = &[
        "%global srcname foo",
        "%{?!python_module:%define python_module() python3-%{**}}",
        "Name:           python-%{srcname}",
        "Version:        1.2.3",
        "Release:        1%{?dist}",
        "BuildRequires:  %{python_module setuptools >= 40}",
        "%if 0%{?fedora}",
        "BuildRequires:  python3-devel",
        "%endif",
        "%description",
        "Text.",
        "%package -n python3-%{srcname}",
        "Requires:       python3-bar",
        "%description -n python3-%{srcname}",
        "%prep",
        "%autosetup -n %{srcname}-%{version}",
        "%files -n python3-%{srcname}",
        "%changelog",
    ];
    prop::collection::vec((0..SKELETON.len(), line_content()), 0..12).prop_map(|inserts| {
        let mut lines: Vec<String> = SKELETON.iter().map(|s| s.to_string()).collect();
        for (at, l) in inserts {
            lines.insert(at.min(lines.len()), l);
        }
        let mut s = lines.join("\n");
        s.push('\n');
        s.into_bytes()
    })
}

// ---------------------------------------------------------------------------
// The properties.

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn arbitrary_bytes_round_trip(input in prop::collection::vec(any::<u8>(), 0..512)) {
        check(&input, false)?;
    }

    #[test]
    fn arbitrary_spec_alphabet_round_trip(
        input in prop::collection::vec(
            prop::sample::select(b"%{}()[]?!:\\\n\r\t #,<>=-*/\0abcdefiln0123456789\xff".to_vec()),
            0..256,
        )
    ) {
        check(&input, true)?;
    }
}

proptest! {
    #![proptest_config(config(384))]

    #[test]
    fn generated_spec_round_trip(input in spec_text()) {
        check(&input, true)?;
    }

    #[test]
    fn generated_balanced_conditionals_round_trip(input in balanced_text()) {
        check(&input, true)?;
    }

    #[test]
    fn generated_skeleton_round_trip(input in skeleton_text()) {
        check(&input, true)?;
    }

    #[test]
    fn generated_spec_with_garbage_round_trip(
        input in spec_text(),
        garbage in prop::collection::vec(any::<u8>(), 0..16),
        at in any::<prop::sample::Index>(),
    ) {
        let mut input = input;
        let i = at.index(input.len() + 1);
        input.splice(i..i, garbage);
        check(&input, true)?;
    }
}

/// The generators are not degenerate: over a fixed-seed sample, the generated
/// text yields dependencies, expanded `%{python_module …}` ones, conditionals
/// and diagnostics, so the properties above exercise the interesting paths.
#[test]
fn generators_exercise_the_analysis() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{RngAlgorithm, TestRng, TestRunner};

    let mut runner = TestRunner::new_with_rng(
        ProptestConfig::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]),
    );
    let (mut deps, mut python, mut conditional, mut diagnostics) = (0, 0, 0, 0);
    for _ in 0..64 {
        for input in [
            spec_text().new_tree(&mut runner).unwrap().current(),
            balanced_text().new_tree(&mut runner).unwrap().current(),
            skeleton_text().new_tree(&mut runner).unwrap().current(),
        ] {
            let file = rpmspec::parse(&input);
            diagnostics += file.diagnostics.len();
            let analysis = rpmspec::dependencies(&file, defines());
            deps += analysis.deps.len();
            for d in &analysis.deps {
                if !d.conditions.is_empty() {
                    conditional += 1;
                }
                if let Some(e) = &d.expanded {
                    python += e
                        .as_slice()
                        .iter()
                        .filter(|x| x.name.starts_with("python3-"))
                        .count();
                }
            }
        }
    }
    println!("sample: {deps} deps, {python} python3-, {conditional} conditional, {diagnostics} diagnostics");
    assert!(deps > 200, "only {deps} dependencies in the sample");
    assert!(python > 60, "only {python} expanded python3- dependencies");
    assert!(
        conditional > 80,
        "only {conditional} conditional dependencies"
    );
    assert!(diagnostics > 100, "only {diagnostics} diagnostics");
}

/// A build configuration: generated spec-like lines with `Macros:`
/// sections (some unclosed, some starting with `!`) spliced in.
fn buildconfig_text() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        4 => (line_content(), eol()).prop_map(|(c, e)| format!("{c}{e}")),
        1 => Just("Macros:\n".to_owned()),
        1 => Just(":Macros\n".to_owned()),
        1 => Just("Macros:\n!\n".to_owned()),
        1 => Just("DistMacro: %x y\n".to_owned()),
        1 => Just("%pythons python311\n".to_owned()),
    ];
    prop::collection::vec(piece, 0..40).prop_map(|v| v.concat().into_bytes())
}

proptest! {
    #![proptest_config(config(256))]

    /// `--buildconfig`: reading any configuration never panics, and specs
    /// read with its macros still satisfy every property.
    #[test]
    fn buildconfig_never_panics(conf in buildconfig_text(), spec in spec_text()) {
        let c = rpmspec::buildconfig::read(&conf, "x86_64");
        let file = rpmspec::parse(&spec);
        let _ = rpmspec::dependencies(&file, c.macros);
    }

    #[test]
    fn buildconfig_of_arbitrary_bytes(conf in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = rpmspec::buildconfig::read(&conf, "aarch64");
    }
}
