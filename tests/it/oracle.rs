//! Agreement with librpm (`rpmspec`) on the corpus — written by the oracle work.
//!
//! Every corpus spec is parsed by rpm 4.18's `rpmspec` (in an isolated HOME,
//! with `tests/fixtures/oracle/fedora-stub.macros` loaded) and by
//! `venvjail spec deps --format json` (with rpm's own macro files and the same
//! stub loaded, because rpmspec reads those implicitly). Specs rpmspec cannot
//! parse are left out. Then, for the source package's BuildRequires and for
//! each binary package's Requires, compared as de-duplicated sets of
//! normalised `name [op evr]` text:
//!
//! 1. *plain agreement*: deps outside every conditional whose source text has
//!    no `%` must be in rpmspec's set (≥ 99 %);
//! 2. *precision*: deps venvjail claims (`active: true`, `expanded` known)
//!    must be in rpmspec's set (≥ 99.5 %); *coverage*: rpmspec's deps that
//!    venvjail claims (thresholds below);
//! 3. *false branches*: no dep venvjail marks `active: false` (and does not
//!    also claim elsewhere for the same package) is in rpmspec's set.
//!
//! venvjail reads the specs for the architecture rpmspec reads them for
//! (`--arch` = rpm's `%{_target_cpu}`). Coverage must stay at what issue 14
//! reached: BuildRequires ≥ 99.6 %, Requires ≥ 98 %.
//!
//! The test skips (and says why) without `rpmspec` or `../shared/corpus`,
//! unless `VENVJAIL_REQUIRE_ORACLE=1`. `VENVJAIL_ORACLE_DUMP=FILE` writes every
//! disagreement (not only the printed examples) to FILE.buildrequires and
//! FILE.requires;
//! `VENVJAIL_ORACLE_CORPUS=DIR` compares the specs under DIR instead.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use serde_json::Value;

use crate::rpmspec_oracle::{on_path, rpmspec, Rpm};
use crate::util::{repo_root, shared_corpus, specs_under, TestCommand};

/// Per-spec limit for one rpmspec run.
/// Examples printed per class of disagreement.
const EXAMPLES: usize = 15;
/// Specs per `venvjail spec deps` invocation.
const BATCH: usize = 400;

/// Source-package tags that become the srpm's REQUIRENAME (`--buildrequires`).
const BUILD_TAGS: &[&str] = &["BuildRequires", "BuildPreReq"];
/// Binary-package tags that become the package's REQUIRENAME.
const REQUIRE_TAGS: &[&str] = &["Requires", "PreReq"];

/// One dependency as `venvjail spec deps --format json` reports it.
#[derive(Debug, Clone)]
struct VjDep {
    package: String,
    tag: String,
    raw: String,
    line: u64,
    conditions: Vec<String>,
    /// Normalised text of the expansion; `None` when a macro is unknown.
    expanded: Option<Vec<String>>,
    active: Option<bool>,
}

/// One spec both sides parsed.
struct SpecResult {
    path: PathBuf,
    /// rpmspec's BuildRequires (source header REQUIRENAME), normalised.
    rpm_build: BTreeSet<String>,
    /// rpmspec's Requires per binary package, normalised, without interp/rpmlib.
    rpm_requires: BTreeMap<String, BTreeSet<String>>,
    vj: Vec<VjDep>,
}

/// Everything the comparisons need, computed once per test binary.
struct Oracle {
    total: usize,
    specs: Vec<SpecResult>,
    /// Specs rpmspec failed on: (path, first error line).
    rpm_failed: Vec<(PathBuf, String)>,
    timed_out: usize,
    /// Specs rpmspec parsed but venvjail reported nothing for.
    vj_missing: Vec<PathBuf>,
    rpm_secs: f64,
    vj_secs: f64,
}

static ORACLE: OnceLock<Oracle> = OnceLock::new();

fn require_oracle() -> bool {
    std::env::var("VENVJAIL_REQUIRE_ORACLE").is_ok_and(|v| v == "1")
}

fn skip(why: &str) -> Option<&'static Oracle> {
    assert!(!require_oracle(), "VENVJAIL_REQUIRE_ORACLE=1 but {why}");
    println!("oracle test skipped: {why}");
    None
}

/// The shared oracle run, or `None` (after printing why) when it cannot run.
fn oracle() -> Option<&'static Oracle> {
    if !on_path("rpmspec") {
        return skip("`rpmspec` is not on PATH (install Debian's `rpm`)");
    }
    let corpus = std::env::var_os("VENVJAIL_ORACLE_CORPUS")
        .map(PathBuf::from)
        .or_else(shared_corpus);
    let Some(corpus) = corpus else {
        return skip("../shared/corpus is not present");
    };
    Some(ORACLE.get_or_init(|| run_oracle(&corpus)))
}

fn stub() -> PathBuf {
    repo_root().join("tests/fixtures/oracle/fedora-stub.macros")
}

fn workers() -> usize {
    std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(2, 4)
}

// ---------------------------------------------------------------- normalising

fn norm_op(op: &str) -> &str {
    match op {
        "==" => "=",
        "=>" => ">=",
        "=<" => "<=",
        o => o,
    }
}

fn is_op(t: &str) -> bool {
    matches!(t, "<" | "<=" | "=<" | "=" | "==" | ">=" | "=>" | ">")
}

/// `name [op evr]` or a rich dep, spaced the way rpm prints it.
fn norm(text: &str) -> String {
    let t = text.trim();
    if t.starts_with('(') {
        // Rich: single spaces between tokens, none just inside parentheses.
        let mut out = t
            .split_whitespace()
            .map(norm_op)
            .collect::<Vec<_>>()
            .join(" ");
        while out.contains("( ") || out.contains(" )") {
            out = out.replace("( ", "(").replace(" )", ")");
        }
        return out;
    }
    let toks: Vec<&str> = t.split_whitespace().collect();
    match toks.as_slice() {
        [n, op, evr] if is_op(op) => format!("{n} {} {evr}", norm_op(op)),
        _ => toks.join(" "),
    }
}

fn dep_text(v: &Value) -> Option<String> {
    let name = v.get("name")?.as_str()?;
    let s = match (
        v.get("op").and_then(Value::as_str),
        v.get("evr").and_then(Value::as_str),
    ) {
        (Some(op), Some(evr)) => format!("{name} {op} {evr}"),
        _ => name.to_owned(),
    };
    Some(norm(&s))
}

// ---------------------------------------------------------------- rpmspec side

type RpmSides = (BTreeSet<String>, BTreeMap<String, BTreeSet<String>>);
/// rpmspec's sets, or why it failed (`None`: timed out).
type RpmResult = Result<RpmSides, Option<String>>;

fn query_rpm(home: &Path, stub: &str, spec: &Path) -> RpmResult {
    let build = match rpmspec(home, &["-q", "--buildrequires", "--load", stub], spec) {
        Rpm::Ok(s) => s,
        Rpm::Failed(e) => return Err(Some(e)),
        Rpm::TimedOut => return Err(None),
    };
    let qf = "==%{NAME}\n[R %{REQUIRENEVRS} %{REQUIREFLAGS:deptype}\n]";
    let bin = match rpmspec(home, &["-q", "--load", stub, "--qf", qf], spec) {
        Rpm::Ok(s) => s,
        Rpm::Failed(e) => return Err(Some(e)),
        Rpm::TimedOut => return Err(None),
    };
    let build = build
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("rpmlib("))
        .map(norm)
        .collect();
    let mut requires: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut current = String::new();
    for line in bin.lines() {
        if let Some(name) = line.strip_prefix("==") {
            current = name.to_owned();
            requires.entry(current.clone()).or_default();
        } else if let Some(rest) = line.strip_prefix("R ") {
            let (dep, kind) = rest.rsplit_once(' ').unwrap_or((rest, ""));
            let auto = kind.split(',').any(|k| k == "interp" || k == "rpmlib");
            if auto || dep.starts_with("rpmlib(") {
                continue;
            }
            requires
                .entry(current.clone())
                .or_default()
                .insert(norm(dep));
        }
    }
    Ok((build, requires))
}

// ---------------------------------------------------------------- venvjail side

/// The macro files rpmspec reads implicitly, in its order (`Macro path:` of
/// `rpmspec --showrc`, globbed, with `%{_target}` filled in; `~/.rpmmacros`
/// left out as rpmspec runs in an empty HOME), then the stub.
pub fn venvjail_loads() -> Vec<String> {
    let showrc = Command::new("rpmspec")
        .arg("--showrc")
        .env("HOME", std::env::temp_dir())
        .stderr(Stdio::null())
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    let target = Command::new("rpmspec")
        .args(["--eval", "%{_target}"])
        .env("HOME", std::env::temp_dir())
        .stderr(Stdio::null())
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .ok()
        .filter(|t| !t.is_empty() && !t.contains('%'))
        .unwrap_or_else(|| "x86_64-linux".to_owned());
    let path = showrc
        .lines()
        .find_map(|l| l.strip_prefix("Macro path:"))
        .unwrap_or("/usr/lib/rpm/macros:/usr/lib/rpm/platform/%{_target}/macros")
        .trim()
        .replace("%{_target}", &target);
    let mut loads = Vec::new();
    for entry in path.split(':').filter(|e| e.starts_with('/')) {
        let entry = Path::new(entry);
        let pattern = entry
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        match pattern.split_once('*') {
            None => {
                if entry.is_file() {
                    loads.push(entry.display().to_string());
                }
            }
            Some((pre, post)) => {
                let dir = entry.parent().unwrap_or(Path::new("/"));
                let mut found: Vec<String> = std::fs::read_dir(dir)
                    .into_iter()
                    .flatten()
                    .flatten()
                    .map(|e| e.path())
                    .filter(|p| {
                        p.is_file()
                            && p.file_name().is_some_and(|n| {
                                let n = n.to_string_lossy();
                                n.len() >= pre.len() + post.len()
                                    && n.starts_with(pre)
                                    && n.ends_with(post)
                            })
                    })
                    .map(|p| p.display().to_string())
                    .collect();
                found.sort();
                loads.extend(found);
            }
        }
    }
    loads.push(stub().display().to_string());
    loads
}

fn parse_vj_dep(d: &Value) -> VjDep {
    let s = |k: &str| {
        d.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let expanded = match d.get("expanded") {
        Some(Value::Array(xs)) => Some(xs.iter().filter_map(dep_text).collect()),
        Some(v @ Value::Object(_)) => dep_text(v).map(|t| vec![t]),
        _ => None,
    };
    VjDep {
        package: s("package"),
        tag: s("tag"),
        raw: s("raw"),
        line: d.get("line").and_then(Value::as_u64).unwrap_or(0),
        conditions: d
            .get("conditions")
            .and_then(Value::as_array)
            .map(|cs| {
                cs.iter()
                    .map(|c| {
                        c.get("text")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_owned()
                    })
                    .collect()
            })
            .unwrap_or_default(),
        expanded,
        active: d.get("active").and_then(Value::as_bool),
    }
}

/// The architecture rpmspec reads specs for (`%{_target_cpu}` of this
/// rpm), given to venvjail as `--arch`.
fn rpm_target_cpu() -> Option<String> {
    Command::new("rpmspec")
        .args(["--eval", "%{_target_cpu}"])
        .env("HOME", std::env::temp_dir())
        .stderr(Stdio::null())
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .filter(|t| !t.is_empty() && !t.contains('%'))
}

fn run_venvjail(
    files: &[PathBuf],
    loads: &[String],
    arch: Option<&str>,
) -> BTreeMap<PathBuf, Vec<VjDep>> {
    let mut cmd = TestCommand::new();
    cmd.args(["spec", "deps", "--format", "json"]);
    if let Some(arch) = arch {
        cmd.args(["--arch", arch]);
    }
    for l in loads {
        cmd.args(["--load", l]);
    }
    for f in files {
        cmd.arg_path(f);
    }
    let run = cmd.run();
    assert_eq!(run.code, 0, "venvjail spec deps failed: {}", run.stderr);
    let v: Value = serde_json::from_str(&run.stdout).expect("venvjail JSON");
    let objs = match v {
        Value::Array(xs) => xs,
        o => vec![o],
    };
    let mut out = BTreeMap::new();
    for o in objs {
        let file = PathBuf::from(o.get("file").and_then(Value::as_str).unwrap_or_default());
        let deps = o
            .get("deps")
            .and_then(Value::as_array)
            .map(|ds| ds.iter().map(parse_vj_dep).collect())
            .unwrap_or_default();
        out.insert(file, deps);
    }
    out
}

// ---------------------------------------------------------------- the run

fn run_oracle(corpus: &Path) -> Oracle {
    let files = specs_under(corpus);
    let stub = stub().display().to_string();
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, RpmResult)>> = Mutex::new(Vec::new());
    let t0 = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..workers() {
            s.spawn(|| {
                let home = tempfile::tempdir().expect("rpmspec HOME");
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(f) = files.get(i) else { break };
                    let r = query_rpm(home.path(), &stub, f);
                    results.lock().unwrap().push((i, r));
                }
            });
        }
    });
    let rpm_secs = t0.elapsed().as_secs_f64();
    let mut results = results.into_inner().unwrap();
    results.sort_by_key(|(i, _)| *i);

    let mut ok = Vec::new();
    let mut rpm_failed = Vec::new();
    let mut timed_out = 0;
    for (i, r) in results {
        match r {
            Ok(sides) => ok.push((files[i].clone(), sides)),
            Err(Some(e)) => rpm_failed.push((files[i].clone(), e)),
            Err(None) => {
                timed_out += 1;
                rpm_failed.push((files[i].clone(), "timed out".to_owned()));
            }
        }
    }

    let t1 = Instant::now();
    let loads = venvjail_loads();
    let arch = rpm_target_cpu();
    let parsed: Vec<PathBuf> = ok.iter().map(|(p, _)| p.clone()).collect();
    let vj_all: Mutex<BTreeMap<PathBuf, Vec<VjDep>>> = Mutex::new(BTreeMap::new());
    let chunks: Vec<&[PathBuf]> = parsed.chunks(BATCH).collect();
    let next = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..workers().min(chunks.len().max(1)) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(chunk) = chunks.get(i) else { break };
                let m = run_venvjail(chunk, &loads, arch.as_deref());
                vj_all.lock().unwrap().extend(m);
            });
        }
    });
    let vj_secs = t1.elapsed().as_secs_f64();
    let mut vj_all = vj_all.into_inner().unwrap();

    let mut specs = Vec::new();
    let mut vj_missing = Vec::new();
    for (path, (rpm_build, rpm_requires)) in ok {
        let Some(vj) = vj_all.remove(&path) else {
            vj_missing.push(path);
            continue;
        };
        specs.push(SpecResult {
            path,
            rpm_build,
            rpm_requires,
            vj,
        });
    }
    Oracle {
        total: files.len(),
        specs,
        rpm_failed,
        timed_out,
        vj_missing,
        rpm_secs,
        vj_secs,
    }
}

// ---------------------------------------------------------------- comparing

#[derive(Default)]
struct Class {
    count: usize,
    examples: Vec<String>,
}

impl Class {
    fn add(&mut self, example: impl FnOnce() -> String) {
        self.count += 1;
        self.examples.push(example());
    }
}

#[derive(Default)]
struct Figures {
    plain_total: usize,
    plain_agree: usize,
    claimed: usize,
    claimed_agree: usize,
    rpm_total: usize,
    rpm_covered: usize,
    inactive: usize,
    inactive_in_rpm: usize,
    /// Deps venvjail leaves undecided (`active: null`, expansion known).
    undecided: usize,
    undecided_in_rpm: usize,
    /// venvjail deps of packages rpmspec did not emit.
    orphan_deps: usize,
    /// Disagreements by class name.
    classes: BTreeMap<&'static str, Class>,
}

fn pct(a: usize, b: usize) -> f64 {
    if b == 0 {
        100.0
    } else {
        100.0 * a as f64 / b as f64
    }
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

fn describe(d: &VjDep) -> String {
    let exp = match &d.expanded {
        None => "null".to_owned(),
        Some(v) => format!("{v:?}"),
    };
    let act = d.active.map_or("null".to_owned(), |a| a.to_string());
    let cond = if d.conditions.is_empty() {
        String::new()
    } else {
        format!(" under {:?}", d.conditions)
    };
    format!(
        "line {} [{}] {:?} -> {exp} active={act}{cond}",
        d.line, d.package, d.raw
    )
}

/// Why venvjail does not claim a dep rpmspec lists.
fn miss_class(text: &str, deps: &[&VjDep]) -> &'static str {
    let name = text.split_whitespace().next().unwrap_or(text);
    let same: Vec<&&VjDep> = deps
        .iter()
        .filter(|d| {
            d.expanded
                .as_ref()
                .is_some_and(|e| e.iter().any(|t| t == text))
        })
        .collect();
    if same.iter().any(|d| d.active.is_none()) {
        return "missed: undecided condition (active null)";
    }
    if same.iter().any(|d| d.active == Some(false)) {
        return "missed: venvjail says inactive";
    }
    let named = deps.iter().any(|d| {
        d.expanded
            .as_ref()
            .is_some_and(|e| e.iter().any(|t| t.split_whitespace().next() == Some(name)))
    });
    if named {
        return "missed: same name, different version/text";
    }
    if deps.iter().any(|d| d.expanded.is_none()) {
        return "missed: spec has deps with unknown macros (expanded null)";
    }
    "missed: not seen by venvjail (whole-line macro / generated / other)"
}

fn compare(o: &Oracle, tags: &[&str], per_package: bool) -> Figures {
    let mut f = Figures::default();
    for spec in &o.specs {
        let name = short(&spec.path);
        // key -> venvjail deps of this class
        let mut by_key: BTreeMap<String, Vec<&VjDep>> = BTreeMap::new();
        for d in spec.vj.iter().filter(|d| tags.contains(&d.tag.as_str())) {
            let key = if per_package {
                d.package.clone()
            } else {
                String::new()
            };
            by_key.entry(key).or_default().push(d);
        }
        let none = BTreeSet::new();
        let rpm_sets: Vec<(String, &BTreeSet<String>)> = if per_package {
            spec.rpm_requires
                .iter()
                .map(|(k, v)| (k.clone(), v))
                .collect()
        } else {
            vec![(String::new(), &spec.rpm_build)]
        };
        for (key, deps) in &by_key {
            // A package rpmspec does not emit (e.g. its %package is in a
            // false branch) has no deps at all.
            let emitted = !per_package || spec.rpm_requires.contains_key(key);
            if !emitted {
                f.orphan_deps += deps.len();
            }
            let rpm = if !emitted {
                &none
            } else if per_package {
                &spec.rpm_requires[key]
            } else {
                &spec.rpm_build
            };
            let claimed: BTreeMap<&str, &VjDep> = deps
                .iter()
                .filter(|d| d.active == Some(true))
                .flat_map(|d| d.expanded.iter().flatten().map(move |t| (t.as_str(), *d)))
                .collect();
            // (i) plain deps
            let mut plain: BTreeMap<String, &VjDep> = BTreeMap::new();
            for d in deps
                .iter()
                .filter(|d| d.conditions.is_empty() && !d.raw.contains('%'))
            {
                for t in d.expanded.iter().flatten() {
                    plain.entry(t.clone()).or_insert(d);
                }
            }
            for (t, d) in &plain {
                f.plain_total += 1;
                if rpm.contains(t) {
                    f.plain_agree += 1;
                } else {
                    let cls = f.classes.entry(if emitted {
                        "plain dep not in rpmspec"
                    } else {
                        "plain dep of a package rpmspec does not emit"
                    });
                    let cls = cls.or_default();
                    cls.add(|| format!("{name}: {} (text {t:?})", describe(d)));
                }
            }
            // (ii) precision
            for (t, d) in &claimed {
                f.claimed += 1;
                if rpm.contains(*t) {
                    f.claimed_agree += 1;
                } else {
                    let nm = t.split_whitespace().next().unwrap_or(t);
                    let near: Vec<&String> = rpm
                        .iter()
                        .filter(|r| r.split_whitespace().next() == Some(nm))
                        .collect();
                    let cls_name = if !emitted {
                        "false claim (package not emitted by rpmspec)"
                    } else if d.conditions.is_empty() {
                        "false claim (no condition)"
                    } else {
                        "false claim (under a condition)"
                    };
                    let cls = f.classes.entry(cls_name).or_default();
                    cls.add(|| {
                        format!("{name}: {} (text {t:?}; rpmspec has {near:?})", describe(d))
                    });
                }
            }
            // Undecided deps, for information.
            for d in deps.iter().filter(|d| d.active.is_none()) {
                for t in d.expanded.iter().flatten() {
                    f.undecided += 1;
                    if rpm.contains(t) {
                        f.undecided_in_rpm += 1;
                    }
                }
            }
            // (iii) inactive deps
            let inactive: BTreeMap<&str, &VjDep> = deps
                .iter()
                .filter(|d| d.active == Some(false))
                .flat_map(|d| d.expanded.iter().flatten().map(move |t| (t.as_str(), *d)))
                .filter(|(t, _)| !claimed.contains_key(t))
                .collect();
            for (t, d) in &inactive {
                f.inactive += 1;
                if rpm.contains(*t) {
                    f.inactive_in_rpm += 1;
                    let cls = f
                        .classes
                        .entry("inactive dep that rpmspec lists")
                        .or_default();
                    cls.add(|| format!("{name}: {} (text {t:?})", describe(d)));
                }
            }
        }
        // (ii) coverage
        for (key, rpm) in rpm_sets {
            let deps = by_key.get(&key).map(Vec::as_slice).unwrap_or_default();
            let claimed: BTreeSet<&str> = deps
                .iter()
                .filter(|d| d.active == Some(true))
                .flat_map(|d| d.expanded.iter().flatten().map(String::as_str))
                .collect();
            for t in rpm {
                f.rpm_total += 1;
                if claimed.contains(t.as_str()) {
                    f.rpm_covered += 1;
                } else {
                    let cls = f.classes.entry(miss_class(t, deps)).or_default();
                    let pkg = if per_package {
                        format!(" [{key}]")
                    } else {
                        String::new()
                    };
                    cls.add(|| format!("{name}{pkg}: rpmspec lists {t:?}"));
                }
            }
        }
    }
    f
}

fn report(o: &Oracle, what: &str, f: &Figures) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "== {what}: venvjail vs rpmspec (rpm 4.18) ==");
    let _ = writeln!(
        s,
        "specs: {} in corpus, {} parsed by rpmspec and compared, {} rejected by rpmspec ({} timed out), {} missing from venvjail output; rpmspec {:.1}s, venvjail {:.1}s",
        o.total,
        o.specs.len(),
        o.rpm_failed.len(),
        o.timed_out,
        o.vj_missing.len(),
        o.rpm_secs,
        o.vj_secs
    );
    let _ = writeln!(
        s,
        "(i)   plain deps (no %if, no %) found by rpmspec: {}/{} = {:.2}% (need >= 99%)",
        f.plain_agree,
        f.plain_total,
        pct(f.plain_agree, f.plain_total)
    );
    let _ = writeln!(
        s,
        "(ii)  precision: {}/{} claimed deps in rpmspec = {:.2}% (need >= 99.5%)",
        f.claimed_agree,
        f.claimed,
        pct(f.claimed_agree, f.claimed)
    );
    let _ = writeln!(
        s,
        "(ii)  coverage: {}/{} rpmspec deps claimed = {:.2}%",
        f.rpm_covered,
        f.rpm_total,
        pct(f.rpm_covered, f.rpm_total)
    );
    let _ = writeln!(
        s,
        "(iii) inactive deps that rpmspec lists: {}/{} (need 0)",
        f.inactive_in_rpm, f.inactive
    );
    let _ = writeln!(
        s,
        "      undecided (active null) deps: {}, of which rpmspec lists {}",
        f.undecided, f.undecided_in_rpm
    );
    if f.orphan_deps > 0 {
        let _ = writeln!(
            s,
            "{} deps belong to packages rpmspec did not emit (compared with an empty set)",
            f.orphan_deps
        );
    }
    for (name, cls) in &f.classes {
        let _ = writeln!(s, "-- {name}: {}", cls.count);
        for e in cls.examples.iter().take(EXAMPLES) {
            let _ = writeln!(s, "   {e}");
        }
    }
    s
}

fn dump(what: &str, o: &Oracle, f: &Figures) {
    let Some(path) = std::env::var_os("VENVJAIL_ORACLE_DUMP") else {
        return;
    };
    let mut s = format!("#### {what}\n");
    for (p, e) in &o.rpm_failed {
        let _ = writeln!(s, "rpmspec rejected {}: {e}", p.display());
    }
    for (name, cls) in &f.classes {
        for e in &cls.examples {
            let _ = writeln!(s, "{name}\t{e}");
        }
    }
    let path = PathBuf::from(path).with_extension(what.to_lowercase().replace(' ', "-"));
    std::fs::write(&path, s).expect("write dump");
}

fn check(what: &str, tags: &[&str], per_package: bool, min_coverage: f64) {
    let Some(o) = oracle() else { return };
    let f = compare(o, tags, per_package);
    let text = report(o, what, &f);
    println!("{text}");
    dump(what, o, &f);
    assert!(
        o.specs.len() * 10 >= o.total * 8,
        "rpmspec parsed too few specs: {}",
        o.specs.len()
    );
    assert!(
        o.vj_missing.is_empty(),
        "venvjail skipped specs: {:?}",
        o.vj_missing
    );
    assert!(
        pct(f.plain_agree, f.plain_total) >= 99.0,
        "{what}: plain agreement below 99% (figures above)"
    );
    assert!(
        pct(f.claimed_agree, f.claimed) >= 99.5,
        "{what}: precision below 99.5% (figures above)"
    );
    assert!(
        pct(f.rpm_covered, f.rpm_total) >= min_coverage,
        "{what}: coverage below {min_coverage}% (figures above)"
    );
    assert_eq!(
        f.inactive_in_rpm, 0,
        "{what}: deps marked inactive are in rpmspec's set (figures above)"
    );
}

#[test]
fn buildrequires_agree_with_rpmspec() {
    check("BuildRequires", BUILD_TAGS, false, 99.6);
}

#[test]
fn requires_agree_with_rpmspec() {
    check("Requires", REQUIRE_TAGS, true, 98.0);
}

#[test]
fn normalisation_matches_rpm_printing() {
    assert_eq!(norm("y  ==  2"), "y = 2");
    assert_eq!(norm("z => 3"), "z >= 3");
    assert_eq!(norm("  (  a   and  (b or c)  )  "), "(a and (b or c))");
    assert_eq!(norm("(foo => 1 with foo < 2)"), "(foo >= 1 with foo < 2)");
    assert_eq!(norm("(perl(A::B) or  b)"), "(perl(A::B) or b)");
}
