//! `spec edit` on every spec we have: inserting the managed blocks only adds
//! lines, a second run changes nothing, no dependency is lost, and rpm
//! itself still reads the edited spec and sees the new dependencies.
//!
//! Three edits, each with `venvjail-probe-a venvjail-probe-b >= 1.2`:
//! `--buildrequires`, `--requires` (main package) and `--requires --package P`
//! (P: the first `%package` of specs that have one).
//!
//! 1. In-process, through the library calls `spec edit` makes, on the
//!    fixture subset and the whole `../shared/corpus` (when present): the
//!    line diff removes nothing and adds exactly the block; editing the result
//!    again is byte-identical; the analysis `spec deps` prints reports every
//!    dependency it reported before (as a multiset of package, tag,
//!    qualifiers, raw text and activity, ignoring line numbers) plus the two
//!    probes, in the right package.
//! 2. The same through the real binary on the fixture subset (`spec edit`
//!    twice and `--check`, then `spec deps --format json`), whose output must
//!    also equal the in-process edit byte for byte.
//! 3. On a deterministic sample of corpus specs that `rpmspec` parses (with
//!    the Fedora macro stub `--load`ed, in an isolated HOME): the edited copies
//!    still parse and rpm lists both probes with their versions, in the
//!    source package's BuildRequires or the edited binary package's Requires.
//!    Skipped (saying why) without `rpmspec` or the corpus, unless
//!    `VENVJAIL_REQUIRE_ORACLE=1`.
//!
//! A spec the edit refuses (broken existing managed blocks, exit 2) is counted
//! and listed with the reason; any other refusal is a failure.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use serde_json::Value;
use venvjail::rpmspec::edit::{self as block, BlockKind};
use venvjail::rpmspec::macros::{Defined, Expander};
use venvjail::rpmspec::syntax::{LineId, PackageRef, SectionKind};
use venvjail::rpmspec::{self, Analysis, LineKind, MacroTable, SpecFile, Tag};

use crate::rpmspec_oracle::{on_path, rpmspec, Rpm};
use crate::util::{repo_root, shared_corpus, specs_under, Dir, TestCommand};

/// The dependencies every edit writes, as given on the command line.
const PROBES: &str = "venvjail-probe-a venvjail-probe-b >= 1.2";
/// The probes as `spec deps` reports their raw text.
const PROBE_RAW: [&str; 2] = ["venvjail-probe-a", "venvjail-probe-b >= 1.2"];
/// Corpus specs rpmspec must parse before the edit for part 3.
const RPM_SAMPLE: usize = 210;
/// Per-call limit for rpmspec.
/// Failures printed per class.
const EXAMPLES: usize = 20;

// ---------------------------------------------------------------- the edits

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Variant {
    /// `--buildrequires PROBES`
    Build,
    /// `--requires PROBES`
    MainRequires,
    /// `--requires PROBES --package FIRST-SUBPACKAGE`
    SubRequires,
}

impl Variant {
    const ALL: [Variant; 3] = [Variant::Build, Variant::MainRequires, Variant::SubRequires];

    fn label(self) -> &'static str {
        match self {
            Variant::Build => "buildrequires",
            Variant::MainRequires => "requires(main)",
            Variant::SubRequires => "requires(--package)",
        }
    }

    fn kind(self) -> BlockKind {
        match self {
            Variant::Build => BlockKind::BuildRequires,
            _ => BlockKind::Requires,
        }
    }

    fn flag(self) -> &'static str {
        match self {
            Variant::Build => "--buildrequires",
            _ => "--requires",
        }
    }
}

/// What a spec looks like to the edits: the package names involved.
struct Target {
    /// The main package's name as `spec deps` reports it.
    main: String,
    /// The first `%package`: the `--package` argument and the package name
    /// `spec deps` reports for its dependencies.
    sub: Option<(String, String)>,
}

impl Target {
    fn of(file: &SpecFile<'_>, analysis: &Analysis) -> Target {
        let main = main_name(file, analysis);
        let sub = first_package(file).map(|(id, written)| {
            let name = analysis.packages.get(&id).map(|n| n.to_string());
            // The full name when venvjail knows it (what users type), else
            // the `%package` argument as written.
            let arg = name
                .clone()
                .filter(|n| !n.contains('%') && !n.is_empty())
                .unwrap_or(written);
            (arg, name.unwrap_or_else(|| main.clone()))
        });
        Target { main, sub }
    }

    /// The `--package` argument for `v`, `None` for the main package, or
    /// `Err` when the spec has no subpackage.
    fn package_arg(&self, v: Variant) -> Result<Option<&str>, ()> {
        match v {
            Variant::SubRequires => self.sub.as_ref().map(|(a, _)| Some(a.as_str())).ok_or(()),
            _ => Ok(None),
        }
    }

    /// The package the probes must be reported in.
    fn probe_package(&self, v: Variant) -> &str {
        match (v, &self.sub) {
            (Variant::SubRequires, Some((_, name))) => name,
            _ => &self.main,
        }
    }
}

/// The main package's name the way `spec deps` derives it: `%{name}` after
/// the whole file, else the first `Name:` as written.
fn main_name(file: &SpecFile<'_>, analysis: &Analysis) -> String {
    let mut table = analysis.macros.clone();
    if table.defined("name") == Defined::Yes {
        if let Some(n) = Expander::new(&mut table).expand("%{name}") {
            return n;
        }
    }
    file.lines
        .iter()
        .find_map(|l| match &l.kind {
            LineKind::Tag(t) if t.tag == Tag::Name && l.section.is_none() => {
                Some(file.str(&t.value).into_owned())
            }
            _ => None,
        })
        .unwrap_or_default()
}

/// The first `%package` header and its argument as written.
fn first_package(file: &SpecFile<'_>) -> Option<(LineId, String)> {
    file.lines.iter().enumerate().find_map(|(id, line)| {
        let LineKind::Section(h) = &line.kind else {
            return None;
        };
        if h.kind != SectionKind::Package {
            return None;
        }
        match &h.package {
            Some(PackageRef::Full(s) | PackageRef::Suffix(s)) => {
                Some((id, file.str(s).into_owned()))
            }
            None => None,
        }
    })
}

/// `spec edit FILE FLAG PROBES [--package P]` computed with the library
/// calls the command makes (src/commands/spec.rs `edit()`, one flag).
fn edit_bytes(src: &[u8], v: Variant, package: Option<&str>) -> Result<Vec<u8>, String> {
    let deps = block::parse_dependency_arg(PROBES).map_err(|e| e.to_string())?;
    let file = rpmspec::parse(src);
    block::managed_blocks(&file).map_err(|e| e.to_string())?;
    let section = match package {
        Some(p) => {
            let names = rpmspec::dependencies(&file, MacroTable::with_rpm_core()).packages;
            block::find_package(&file, p, &names).map_err(|e| e.to_string())?
        }
        None => None,
    };
    block::set_block(&file, v.kind(), section, &deps)
        .map(|(text, _)| text)
        .map_err(|e| e.to_string())
}

/// Whether the command refusing this spec is expected (the documented
/// exit-2 cases): its existing managed blocks are broken, the spec has a
/// syntax error (unbalanced `%if`, unclosed `%{`) so an edit could land in
/// the wrong place, or the target `%package` header is inside `%if` so no
/// unconditional place exists.
fn expected_refusal(src: &[u8], message: &str) -> Option<String> {
    let file = rpmspec::parse(src);
    if let Err(e) = block::managed_blocks(&file) {
        return Some(e.to_string());
    }
    let syntax =
        !file.diagnostics.is_empty() && message.contains("fix the spec before venvjail edits it");
    let conditional_package =
        message.contains("%package header of") && message.contains("inside the conditional");
    (syntax || conditional_package).then(|| message.trim().to_owned())
}

// ---------------------------------------------------------------- the checks

/// (package, tag, qualifiers, raw text, active): a dependency without its line.
type DepKey = (String, String, Vec<String>, String, Option<bool>);
type Deps = BTreeMap<DepKey, usize>;

fn deps_in_process(src: &[u8]) -> Deps {
    let file = rpmspec::parse(src);
    let mut out = Deps::new();
    for d in rpmspec::dependencies(&file, MacroTable::with_rpm_core()).deps {
        let key = (
            d.package.to_string(),
            d.tag.as_str().to_owned(),
            d.qualifiers.iter().map(|q| q.to_string()).collect(),
            d.raw.into_owned(),
            d.active,
        );
        *out.entry(key).or_default() += 1;
    }
    out
}

fn deps_from_json(deps: &[Value]) -> Deps {
    let s = |d: &Value, k: &str| {
        d.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let mut out = Deps::new();
    for d in deps {
        let quals = d
            .get("qualifiers")
            .and_then(Value::as_array)
            .map(|qs| {
                qs.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let key = (
            s(d, "package"),
            s(d, "tag"),
            quals,
            s(d, "raw"),
            d.get("active").and_then(Value::as_bool),
        );
        *out.entry(key).or_default() += 1;
    }
    out
}

/// The physical lines of `b` without their `\n`.
fn lines(b: &[u8]) -> Vec<&[u8]> {
    let body = b.strip_suffix(b"\n").unwrap_or(b);
    if b.is_empty() {
        Vec::new()
    } else {
        body.split(|&c| c == b'\n').collect()
    }
}

/// A line with its whitespace runs collapsed, for comparing block content.
fn squeeze(l: &[u8]) -> String {
    String::from_utf8_lossy(l)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The lines `after` adds to `before`, or the first line of `before` it
/// removes or changes. `before` is a subsequence of `after` exactly when a
/// line diff has no removals, and greedy matching finds that embedding.
fn added_lines<'a>(before: &[u8], after: &'a [u8]) -> Result<Vec<&'a [u8]>, String> {
    let old = lines(before);
    let new = lines(after);
    let mut i = 0;
    let mut added = Vec::new();
    for l in new {
        if old.get(i) == Some(&l) {
            i += 1;
        } else {
            added.push(l);
        }
    }
    match old.get(i) {
        None => Ok(added),
        Some(l) => Err(format!(
            "line {} {:?} removed or changed",
            i + 1,
            String::from_utf8_lossy(l)
        )),
    }
}

/// The block an edit must add, whitespace-squeezed and sorted.
fn expected_block(v: Variant) -> Vec<String> {
    let tag = v.kind().tag();
    let mut out = vec![
        v.kind().opener(),
        format!("{tag}: {}", PROBE_RAW[0]),
        format!("{tag}: {}", PROBE_RAW[1]),
        "# /SECTION".to_owned(),
    ];
    out.sort();
    out
}

/// Everything wrong with one edit (empty: fine).
fn check_edit(
    v: Variant,
    target: &Target,
    before: &[u8],
    after: &[u8],
    again: &[u8],
    deps_before: &Deps,
    deps_after: &Deps,
) -> Vec<String> {
    let mut problems = Vec::new();
    match added_lines(before, after) {
        Err(e) => problems.push(format!("not only additions: {e}")),
        Ok(added) => {
            let mut got: Vec<String> = added.iter().map(|l| squeeze(l)).collect();
            got.sort();
            if got != expected_block(v) {
                problems.push(format!("added lines {got:?}, expected the block"));
            }
        }
    }
    if !before.is_empty() && before.ends_with(b"\n") != after.ends_with(b"\n") {
        problems.push("final newline changed".to_owned());
    }
    if again != after {
        problems.push("second edit is not byte-identical".to_owned());
    }
    let mut rest = deps_after.clone();
    // The probes' activity is the package's: unconditional packages give
    // `true`, a `%package` inside an undecided `%if` gives `null`.
    for raw in PROBE_RAW {
        let key = |active| {
            (
                target.probe_package(v).to_owned(),
                v.kind().tag().to_owned(),
                Vec::new(),
                raw.to_owned(),
                active,
            )
        };
        let found = [Some(true), None, Some(false)]
            .into_iter()
            .map(key)
            .find(|k| rest.get(k).is_some_and(|n| *n > 0));
        match found.and_then(|k| rest.get_mut(&k)) {
            Some(n) => *n -= 1,
            None => problems.push(format!("probe not reported as {:?}", key(Some(true)))),
        }
    }
    rest.retain(|_, n| *n > 0);
    if &rest != deps_before {
        for (k, n) in deps_before {
            let m = rest.get(k).copied().unwrap_or(0);
            if m < *n {
                problems.push(format!("lost {k:?} ({n} before, {m} after)"));
            }
        }
        for (k, n) in &rest {
            let m = deps_before.get(k).copied().unwrap_or(0);
            if m < *n {
                problems.push(format!("gained {k:?} ({m} before, {n} after)"));
            }
        }
    }
    problems
}

// ---------------------------------------------------------------- reporting

#[derive(Default)]
struct Tally {
    /// Specs the edit applies to.
    edited: usize,
    /// Specs without a `%package` (the `--package` edit does not apply).
    no_package: usize,
    /// Refusals explained by broken managed blocks: (spec, reason).
    refused: Vec<String>,
    /// Specs whose edit only added the block.
    only_adds: usize,
    /// Specs whose second edit was byte-identical.
    idempotent: usize,
    /// Specs whose dependencies were all kept, plus the probes.
    deps_kept: usize,
    /// Everything wrong: (spec, problem).
    failures: Vec<(String, String)>,
}

impl Tally {
    fn record(&mut self, spec: &str, problems: Vec<String>) {
        self.edited += 1;
        let has = |p: &str| problems.iter().any(|x| x.starts_with(p));
        if !has("not only additions") && !has("added lines") && !has("final newline") {
            self.only_adds += 1;
        }
        if !has("second edit") {
            self.idempotent += 1;
        }
        if !has("probe not") && !has("lost") && !has("gained") {
            self.deps_kept += 1;
        }
        self.failures
            .extend(problems.into_iter().map(|p| (spec.to_owned(), p)));
    }

    fn line(&self, v: Variant) -> String {
        format!(
            "  {:<20} edited {:>5}  only-adds {:>5}  idempotent {:>5}  deps-kept {:>5}  refused {:>3}  no-%package {:>4}  failures {}",
            v.label(),
            self.edited,
            self.only_adds,
            self.idempotent,
            self.deps_kept,
            self.refused.len(),
            self.no_package,
            self.failures.len()
        )
    }
}

/// The kind of an edit problem, for the summary.
fn problem_class(p: &str) -> &'static str {
    const CLASSES: &[(&str, &str)] = &[
        ("not only additions", "removes or changes a line"),
        ("added lines", "adds other lines than the block"),
        ("final newline", "changes the final newline"),
        ("second edit", "second edit not byte-identical"),
        ("second run", "second run not a silent no-op"),
        ("--check", "--check after the edit not 0"),
        ("probe not", "probes not reported in the edited package"),
        ("lost", "loses a dependency"),
        ("gained", "reports extra dependencies (probes elsewhere)"),
        ("binary output", "binary differs from in-process edit"),
        ("exit", "unexpected exit code"),
        ("edit refused", "refused without broken blocks"),
    ];
    CLASSES
        .iter()
        .find(|(prefix, _)| p.starts_with(prefix))
        .map_or("other", |(_, class)| class)
}

/// Prints the tallies and refusals; panics listing failures if any.
fn report(title: &str, specs: usize, tallies: &BTreeMap<Variant, Tally>, secs: f64) {
    let mut out = format!("{title}: {specs} specs in {secs:.1}s\n");
    let mut classes: BTreeMap<(&str, &str), BTreeSet<&str>> = BTreeMap::new();
    let mut details = Vec::new();
    for (v, t) in tallies {
        out.push_str(&t.line(*v));
        out.push('\n');
        for r in &t.refused {
            let _ = writeln!(out, "    refused (exit 2, explained): {r}");
        }
        for (spec, p) in &t.failures {
            classes
                .entry((v.label(), problem_class(p)))
                .or_default()
                .insert(spec);
            details.push(format!("[{}] {spec}: {p}", v.label()));
        }
    }
    println!("{out}");
    if details.is_empty() {
        return;
    }
    let mut msg = format!(
        "{title}: {} edit problems (venvjail bug: an edit must only add its block, be idempotent and keep every dependency)\n",
        details.len()
    );
    for ((label, class), specs) in &classes {
        let names: Vec<&str> = specs.iter().take(EXAMPLES / 2).copied().collect();
        let more = specs.len().saturating_sub(names.len());
        let more = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        let _ = writeln!(
            msg,
            "  [{label}] {class}: {} specs: {}{more}",
            specs.len(),
            names.join(" ")
        );
    }
    msg.push_str("details:\n");
    for d in details.iter().take(EXAMPLES * 3) {
        msg.push_str(d);
        msg.push('\n');
    }
    panic!("{msg}");
}

fn short(p: &Path) -> String {
    let comps: Vec<_> = p.components().rev().take(2).collect();
    comps
        .iter()
        .rev()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

fn fixture_specs() -> Vec<PathBuf> {
    specs_under(&repo_root().join("tests/fixtures/specs"))
}

fn workers() -> usize {
    std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(2, 4)
}

/// `f` on every item on [`workers`] threads, each with its own temp dir;
/// results in item order.
fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T, &Path) -> R + Sync) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, R)>> = Mutex::new(Vec::with_capacity(items.len()));
    std::thread::scope(|s| {
        for _ in 0..workers().min(items.len().max(1)) {
            s.spawn(|| {
                let dir = tempfile::tempdir().expect("worker temp dir");
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    let r = f(item, dir.path());
                    results.lock().unwrap().push((i, r));
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

// ---------------------------------------------------------------- 1. in-process

/// One spec's in-process outcome per edit.
enum Outcome {
    NoPackage,
    Refused(String),
    Checked(Vec<String>),
}

fn in_process(src: &[u8]) -> Vec<(Variant, Outcome)> {
    let file = rpmspec::parse(src);
    let analysis = rpmspec::dependencies(&file, MacroTable::with_rpm_core());
    let target = Target::of(&file, &analysis);
    let deps_before = deps_in_process(src);
    let mut out = Vec::new();
    for v in Variant::ALL {
        let Ok(package) = target.package_arg(v) else {
            out.push((v, Outcome::NoPackage));
            continue;
        };
        let outcome = match edit_bytes(src, v, package) {
            Err(e) => match expected_refusal(src, &e.to_string()) {
                Some(why) => Outcome::Refused(why),
                None => Outcome::Checked(vec![format!("edit refused without broken blocks: {e}")]),
            },
            Ok(after) => {
                let again = edit_bytes(&after, v, package)
                    .unwrap_or_else(|e| format!("second edit refused: {e}").into_bytes());
                let deps_after = deps_in_process(&after);
                Outcome::Checked(check_edit(
                    v,
                    &target,
                    src,
                    &after,
                    &again,
                    &deps_before,
                    &deps_after,
                ))
            }
        };
        out.push((v, outcome));
    }
    out
}

fn run_in_process(title: &str, files: &[PathBuf]) {
    let t0 = Instant::now();
    let results = par_map(files, |path, _| {
        let src = std::fs::read(path).expect("read spec");
        in_process(&src)
    });
    let mut tallies: BTreeMap<Variant, Tally> = BTreeMap::new();
    for (path, outcomes) in files.iter().zip(results) {
        let name = short(path);
        for (v, o) in outcomes {
            let t = tallies.entry(v).or_default();
            match o {
                Outcome::NoPackage => t.no_package += 1,
                Outcome::Refused(why) => t.refused.push(format!("{name}: {why}")),
                Outcome::Checked(problems) => t.record(&name, problems),
            }
        }
    }
    report(title, files.len(), &tallies, t0.elapsed().as_secs_f64());
}

#[test]
fn edits_only_add_on_fixture_specs_in_process() {
    let files = fixture_specs();
    assert!(files.len() > 100, "fixture specs missing");
    run_in_process("spec edit (in-process) on tests/fixtures/specs", &files);
}

#[test]
fn edits_only_add_on_shared_corpus_in_process() {
    let Some(corpus) = shared_corpus() else {
        println!("shared corpus edit test skipped: ../shared/corpus is not present");
        return;
    };
    let files = specs_under(&corpus);
    run_in_process("spec edit (in-process) on ../shared/corpus", &files);
}

// ---------------------------------------------------------------- 2. the binary

/// `spec deps --format json` on `files` (one invocation), by file name.
fn deps_via_binary(files: &[PathBuf]) -> BTreeMap<String, Deps> {
    let mut out = BTreeMap::new();
    if files.is_empty() {
        return out;
    }
    let mut cmd = TestCommand::new();
    cmd.args(["spec", "deps", "--format", "json"]);
    for f in files {
        cmd.arg_path(f);
    }
    let run = cmd.run();
    assert_eq!(run.code, 0, "spec deps failed: {}", run.stderr);
    let v: Value = serde_json::from_str(&run.stdout).expect("spec deps JSON");
    let objs = match v {
        Value::Array(xs) => xs,
        o => vec![o],
    };
    for o in objs {
        let file = o
            .get("file")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let deps = o
            .get("deps")
            .and_then(Value::as_array)
            .map(|ds| deps_from_json(ds))
            .unwrap_or_default();
        out.insert(file, deps);
    }
    out
}

#[test]
fn edits_only_add_on_fixture_specs_via_binary() {
    let t0 = Instant::now();
    let files = fixture_specs();
    let dir = Dir::new();
    // Each fixture copied to `orig/` and, per edit, to `<edit>/`.
    let mut originals = Vec::new();
    let mut targets = Vec::new();
    let mut sources = Vec::new();
    for (i, path) in files.iter().enumerate() {
        let src = std::fs::read(path).expect("read fixture");
        let stem = path.file_stem().unwrap_or_default().to_string_lossy();
        let name = format!("{i:03}-{stem}.spec");
        originals.push(dir.write(&format!("orig/{name}"), &src));
        let file = rpmspec::parse(&src);
        let analysis = rpmspec::dependencies(&file, MacroTable::with_rpm_core());
        targets.push(Target::of(&file, &analysis));
        sources.push((name, src));
    }
    let deps_before = deps_via_binary(&originals);

    let mut tallies: BTreeMap<Variant, Tally> = BTreeMap::new();
    for v in Variant::ALL {
        let sub = match v {
            Variant::Build => "build",
            Variant::MainRequires => "main",
            Variant::SubRequires => "sub",
        };
        // (fixture index, edited copy, first-run bytes (`None`: exit 2),
        // second-run bytes, problems, first-run stderr)
        let jobs: Vec<usize> = (0..files.len()).collect();
        let runs = par_map(&jobs, |&i, _| {
            let (name, src) = &sources[i];
            let Ok(package) = targets[i].package_arg(v) else {
                return None;
            };
            let copy = dir.write(&format!("{sub}/{name}"), src);
            let mut args = vec!["spec", "edit"];
            let copy_s = copy.display().to_string();
            args.push(&copy_s);
            args.extend([v.flag(), PROBES]);
            if let Some(p) = package {
                args.extend(["--package", p]);
            }
            let mut problems = Vec::new();
            let first = TestCommand::new().args(&args).run();
            let after = std::fs::read(&copy).expect("read edited copy");
            let expected = edit_bytes(src, v, package);
            match (&expected, first.code) {
                (Err(_), 2) => {
                    return Some((i, copy, None, Vec::new(), problems, first.stderr));
                }
                (Ok(exp), 0) => {
                    if exp != &after {
                        problems.push("binary output differs from the in-process edit".into());
                    }
                }
                (exp, code) => problems.push(format!(
                    "exit {code} (in-process: {}) stderr {:?}",
                    match exp {
                        Ok(_) => "ok".to_owned(),
                        Err(e) => format!("refused: {e}"),
                    },
                    first.stderr
                )),
            }
            let second = TestCommand::new().args(&args).run();
            if (second.code, second.stderr.as_str()) != (0, "") {
                problems.push(format!(
                    "second run: exit {} stderr {:?}",
                    second.code, second.stderr
                ));
            }
            let again = std::fs::read(&copy).expect("read edited copy");
            let mut check = args.clone();
            check.push("--check");
            let checked = TestCommand::new().args(&check).run();
            if checked.code != 0 {
                problems.push(format!("--check after the edit: exit {}", checked.code));
            }
            // `spec deps` below reads the first run's result.
            std::fs::write(&copy, &after).expect("restore edited copy");
            Some((i, copy, Some(after), again, problems, String::new()))
        });
        let edited: Vec<PathBuf> = runs.iter().flatten().map(|r| r.1.clone()).collect();
        let deps_after = deps_via_binary(&edited);
        let t = tallies.entry(v).or_default();
        t.no_package = runs.iter().filter(|r| r.is_none()).count();
        for (i, copy, after, again, mut problems, stderr) in runs.into_iter().flatten() {
            let name = short(&files[i]);
            let Some(after) = after else {
                match expected_refusal(&sources[i].1, &stderr) {
                    Some(why) => t.refused.push(format!("{name}: {why}")),
                    None => t.record(
                        &name,
                        vec![format!("exit 2 without broken blocks: {stderr}")],
                    ),
                }
                continue;
            };
            let empty = Deps::new();
            let key = |p: &Path| p.display().to_string();
            let before = deps_before.get(&key(&originals[i])).unwrap_or(&empty);
            let after_deps = deps_after.get(&key(&copy)).unwrap_or(&empty);
            problems.extend(check_edit(
                v,
                &targets[i],
                &sources[i].1,
                &after,
                &again,
                before,
                after_deps,
            ));
            t.record(&name, problems);
        }
    }
    report(
        "spec edit (binary) on tests/fixtures/specs",
        files.len(),
        &tallies,
        t0.elapsed().as_secs_f64(),
    );
}

// ---------------------------------------------------------------- 3. rpmspec

fn require_oracle() -> bool {
    std::env::var("VENVJAIL_REQUIRE_ORACLE").is_ok_and(|v| v == "1")
}

fn stub() -> Option<PathBuf> {
    [
        repo_root().join("tests/fixtures/oracle/fedora-stub.macros"),
        repo_root().join("../shared/reference/fedora-stub.macros"),
    ]
    .into_iter()
    .find(|p| p.is_file())
}

const PACKAGES_QF: &str = "==%{NAME}\n[%{REQUIRENEVRS}\n]";

/// Binary packages with their Requires, in rpm's order (main first).
type Packages = Vec<(String, BTreeSet<String>)>;

/// `rpmspec -q --qf PACKAGES_QF` output: each binary package with its
/// Requires, main package first.
fn packages(listing: &str) -> Packages {
    let mut out = Packages::new();
    for line in listing.lines() {
        if let Some(name) = line.strip_prefix("==") {
            out.push((name.to_owned(), BTreeSet::new()));
        } else if let Some((_, reqs)) = out.last_mut() {
            reqs.insert(line.trim().to_owned());
        }
    }
    out
}

fn has_probes(deps: &BTreeSet<String>) -> bool {
    PROBE_RAW.iter().all(|p| deps.contains(*p))
}

/// What rpm made of one edited copy.
#[derive(Debug)]
enum After {
    /// The edit was refused for a documented reason (exit 2).
    Refused,
    /// No `%package` to edit.
    NoPackage,
    /// The `%package` edited is not among the packages rpm emits (e.g. in a
    /// false conditional): nothing to find.
    SubpackageNotEmitted(String),
    ParseFailed(String),
    Found,
    /// Found in one subpackage, which rpm names differently from venvjail.
    FoundRenamed(String),
    Missing(String),
}

fn rpm_check_variant(
    home: &Path,
    stub: &str,
    spec: &Path,
    src: &[u8],
    before: &Packages,
    target: &Target,
    v: Variant,
) -> After {
    let Ok(package) = target.package_arg(v) else {
        return After::NoPackage;
    };
    let Ok(edited) = edit_bytes(src, v, package) else {
        return After::Refused;
    };
    std::fs::write(spec, &edited).expect("write edited copy");
    let args: Vec<&str> = match v {
        Variant::Build => vec!["-q", "--buildrequires", "--load", stub],
        _ => vec!["-q", "--load", stub, "--qf", PACKAGES_QF],
    };
    let out = match rpmspec(home, &args, spec) {
        Rpm::Ok(s) => s,
        Rpm::Failed(e) => return After::ParseFailed(e),
        Rpm::TimedOut => return After::ParseFailed("timed out".to_owned()),
    };
    match v {
        Variant::Build => {
            let deps: BTreeSet<String> = out.lines().map(|l| l.trim().to_owned()).collect();
            if has_probes(&deps) {
                After::Found
            } else {
                After::Missing("not in --buildrequires".to_owned())
            }
        }
        Variant::MainRequires => {
            let pkgs = packages(&out);
            let with: Vec<&str> = pkgs
                .iter()
                .filter(|(_, d)| has_probes(d))
                .map(|(n, _)| n.as_str())
                .collect();
            match pkgs.first() {
                Some((main, _)) if with == [main.as_str()] => After::Found,
                _ => After::Missing(format!("probes in {with:?}, not only in the main package")),
            }
        }
        Variant::SubRequires => {
            let want = target.probe_package(v);
            let known = !want.contains('%');
            let emitted = before.iter().skip(1).any(|(n, _)| n == want);
            let pkgs = packages(&out);
            let with: Vec<&str> = pkgs
                .iter()
                .filter(|(_, d)| has_probes(d))
                .map(|(n, _)| n.as_str())
                .collect();
            let main = pkgs.first().map(|(m, _)| m.as_str());
            if known && !emitted {
                match with.as_slice() {
                    [] => After::SubpackageNotEmitted(want.to_owned()),
                    [one] if Some(*one) != main => {
                        After::FoundRenamed(format!("venvjail {want}, rpm {one}"))
                    }
                    _ => After::Missing(format!("probes in {with:?}, {want} not emitted by rpm")),
                }
            } else if with.len() == 1 && (with[0] == want || !known) && main != Some(with[0]) {
                After::Found
            } else {
                After::Missing(format!("probes in {with:?}, expected only in {want}"))
            }
        }
    }
}

/// FNV-1a, for a sample order that does not depend on file names' sorting.
fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[test]
fn rpmspec_reads_edited_corpus_specs() {
    let skip = |why: &str| {
        assert!(!require_oracle(), "VENVJAIL_REQUIRE_ORACLE=1 but {why}");
        println!("rpmspec edit test skipped: {why}");
    };
    if !on_path("rpmspec") {
        return skip("`rpmspec` is not on PATH (install Debian's `rpm`)");
    }
    let Some(corpus) = shared_corpus() else {
        return skip("../shared/corpus is not present");
    };
    let Some(stub) = stub() else {
        return skip("no fedora-stub.macros (tests/fixtures/oracle or ../shared/reference)");
    };
    let stub = stub.display().to_string();
    let t0 = Instant::now();
    let mut files = specs_under(&corpus);
    files.sort_by_key(|p| (fnv(&short(p)), p.clone()));

    // Phase 1: in sample order, whole chunks at a time (so the sample does
    // not depend on thread timing), until RPM_SAMPLE specs parse.
    let mut parsed: Vec<(PathBuf, Packages)> = Vec::new();
    let mut sampled = 0;
    let mut failed_before: BTreeMap<String, usize> = BTreeMap::new();
    for chunk in files.chunks(16) {
        if parsed.len() >= RPM_SAMPLE {
            break;
        }
        sampled += chunk.len();
        let res = par_map(chunk, |path, home| {
            let spec = home.join("x.spec");
            std::fs::copy(path, &spec).expect("copy spec");
            rpmspec(home, &["-q", "--load", &stub, "--qf", PACKAGES_QF], &spec)
        });
        for (path, r) in chunk.iter().zip(res) {
            match r {
                Rpm::Ok(listing) => parsed.push((path.clone(), packages(&listing))),
                Rpm::Failed(e) => *failed_before.entry(e).or_default() += 1,
                Rpm::TimedOut => *failed_before.entry("timed out".into()).or_default() += 1,
            }
        }
    }
    parsed.truncate(RPM_SAMPLE);

    // Phase 2: each edit on a copy in the same place, read by rpmspec.
    let results = par_map(&parsed, |(path, before), home| {
        let src = std::fs::read(path).expect("read spec");
        let file = rpmspec::parse(&src);
        let analysis = rpmspec::dependencies(&file, MacroTable::with_rpm_core());
        let target = Target::of(&file, &analysis);
        let spec = home.join("x.spec");
        Variant::ALL
            .iter()
            .map(|&v| rpm_check_variant(home, &stub, &spec, &src, before, &target, v))
            .collect::<Vec<_>>()
    });

    let mut out = format!(
        "rpmspec on edited corpus specs ({:.1}s): sampled {sampled}, parsed before {}",
        t0.elapsed().as_secs_f64(),
        parsed.len()
    );
    let top: Vec<String> = {
        let mut v: Vec<(&String, &usize)> = failed_before.iter().collect();
        v.sort_by(|a, b| b.1.cmp(a.1));
        v.iter().take(3).map(|(e, n)| format!("{n}× {e}")).collect()
    };
    let _ = writeln!(out, " (not parsed before: {:?})", top);
    let mut failures = Vec::new();
    let mut renamed = Vec::new();
    for (k, v) in Variant::ALL.iter().enumerate() {
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for ((path, _), r) in parsed.iter().zip(&results) {
            let r = &r[k];
            let class = match r {
                After::Refused => "refused",
                After::NoPackage => "no-%package",
                After::SubpackageNotEmitted(_) => "sub-not-emitted-by-rpm",
                After::ParseFailed(_) => "parse-failed-after",
                After::Found => "probes-found",
                After::FoundRenamed(_) => "probes-found-renamed",
                After::Missing(_) => "probes-missing",
            };
            *counts.entry(class).or_default() += 1;
            match r {
                After::ParseFailed(e) | After::Missing(e) => {
                    failures.push(format!("[{}] {}: {class}: {e}", v.label(), short(path)));
                }
                After::FoundRenamed(e) if renamed.len() < EXAMPLES => {
                    renamed.push(format!(
                        "subpackage named differently by rpm: {}: {e}",
                        short(path)
                    ));
                }
                After::SubpackageNotEmitted(p) if renamed.len() < EXAMPLES => {
                    renamed.push(format!(
                        "subpackage not emitted by rpm: {}: {p}",
                        short(path)
                    ));
                }
                _ => {}
            }
        }
        let edited = parsed.len() - counts.get("no-%package").copied().unwrap_or(0);
        let parsed_after = edited
            - counts.get("parse-failed-after").copied().unwrap_or(0)
            - counts.get("refused").copied().unwrap_or(0);
        let _ = writeln!(
            out,
            "  {:<20} edited {edited:>4}  parsed after {parsed_after:>4}  probes found {:>4}  {counts:?}",
            v.label(),
            counts.get("probes-found").copied().unwrap_or(0)
                + counts.get("probes-found-renamed").copied().unwrap_or(0),
        );
    }
    for r in &renamed {
        let _ = writeln!(out, "    {r}");
    }
    println!("{out}");
    assert!(
        parsed.len() >= RPM_SAMPLE.min(files.len() / 2),
        "only {} of {sampled} sampled specs parse with rpmspec",
        parsed.len()
    );
    assert!(
        failures.is_empty(),
        "{} edited specs rpm no longer reads or reads without the probes (venvjail bug):\n{}",
        failures.len(),
        failures
            .iter()
            .take(EXAMPLES * 3)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
