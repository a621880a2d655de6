//! Throughput of the spec parser and dependency extractor on a real corpus,
//! with `rpmspec -q --buildrequires` as the peer.
//!
//! Run with `cargo bench --bench spec_parse`. Plain std timing, no harness:
//! it prints numbers and never asserts on time.
//!
//! Corpus: `$VENVJAIL_BENCH_CORPUS`, else `../shared/corpus` (next to the
//! crate), else the curated subset in `tests/fixtures/specs`. Every `*.spec`
//! one directory level below the corpus root (and at the root) is loaded.
//!
//! Environment:
//! - `VENVJAIL_BENCH_CORPUS=DIR`: corpus root.
//! - `VENVJAIL_BENCH_PASSES=N`: timed passes per measurement (default 7).
//! - `VENVJAIL_BENCH_RPMSPEC_LIMIT=N`: time rpmspec on the first N files only
//!   and extrapolate to the whole corpus (default: all files).
//! - `VENVJAIL_BENCH_NO_RPMSPEC=1`: skip the peer.
//!
//! It also runs the built binary once per pass on the whole corpus, one
//! process, `spec deps --format json` and `--format text` to /dev/null
//! (DESIGN §10: >= 150 MB/s), next to the in-process figure; skipped with a
//! message when only the fallback subset is found. The binary reads and
//! analyses the files on every core (the in-process passes use one), so
//! the line says how many cores it had.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use venvjail::rpmspec::{dependencies, parse, MacroTable};

struct Spec {
    path: PathBuf,
    bytes: Vec<u8>,
}

fn spec_files(dir: &Path, out: &mut Vec<PathBuf>, depth: u32) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if depth > 0 {
                spec_files(&path, out, depth - 1);
            }
        } else if path.extension().is_some_and(|e| e == "spec") {
            out.push(path);
        }
    }
}

/// Returns the corpus root, a label saying where it came from, and its specs.
fn load_corpus() -> (String, Vec<Spec>) {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut candidates: Vec<(PathBuf, String)> = Vec::new();
    if let Some(dir) = std::env::var_os("VENVJAIL_BENCH_CORPUS") {
        let p = PathBuf::from(dir);
        let label = p.display().to_string();
        candidates.push((p, label));
    }
    candidates.push((manifest.join("../shared/corpus"), "../shared/corpus".into()));
    candidates.push((
        manifest.join("tests/fixtures/specs"),
        "tests/fixtures/specs -- FALLBACK: ../shared/corpus not found".into(),
    ));
    for (dir, label) in candidates {
        let mut paths = Vec::new();
        spec_files(&dir, &mut paths, 1);
        if paths.is_empty() {
            continue;
        }
        paths.sort();
        let specs = paths
            .into_iter()
            .filter_map(|path| std::fs::read(&path).ok().map(|bytes| Spec { path, bytes }))
            .collect();
        return (label, specs);
    }
    panic!("no .spec files found: set VENVJAIL_BENCH_CORPUS");
}

fn env_usize(name: &str) -> Option<usize> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

/// One pass: parse every file. Returns the number of lines (to keep the work).
fn pass_parse(specs: &[Spec]) -> usize {
    let mut n = 0;
    for s in specs {
        let file = parse(black_box(&s.bytes));
        n += file.lines.len();
        black_box(&file);
    }
    n
}

/// One pass: parse every file and extract its dependencies. Returns the
/// number of dependencies found.
fn pass_parse_deps(specs: &[Spec]) -> usize {
    let mut n = 0;
    for s in specs {
        let file = parse(black_box(&s.bytes));
        let analysis = dependencies(&file, MacroTable::new());
        n += analysis.deps.len();
        black_box(&analysis);
    }
    n
}

struct Timing {
    best: Duration,
    median: Duration,
    count: usize,
}

/// A warm-up pass, then `passes` timed passes.
fn measure(specs: &[Spec], passes: usize, f: fn(&[Spec]) -> usize) -> Timing {
    let count = black_box(f(specs));
    let mut times: Vec<Duration> = (0..passes.max(1))
        .map(|_| {
            let t = Instant::now();
            black_box(f(black_box(specs)));
            t.elapsed()
        })
        .collect();
    times.sort();
    Timing {
        best: times[0],
        median: times[times.len() / 2],
        count,
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn mb(bytes: usize) -> f64 {
    bytes as f64 / 1e6
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

fn main() {
    // `cargo bench` passes `--bench`; with harness = false we accept and ignore it.
    let (label, specs) = load_corpus();
    let passes = env_usize("VENVJAIL_BENCH_PASSES").unwrap_or(7);
    let total_bytes: usize = specs.iter().map(|s| s.bytes.len()).sum();
    println!(
        "corpus: {} specs, {:.1} MB ({label})",
        specs.len(),
        mb(total_bytes)
    );
    println!("passes: 1 warm-up + {passes} timed, one thread");

    let p = measure(&specs, passes, pass_parse);
    println!(
        "{:<28}best {:>8.1} ms  median {:>8.1} ms  {:>7.1} MB/s  {:>7.0} specs/s",
        "venvjail parse:",
        ms(p.best),
        ms(p.median),
        mb(total_bytes) / p.best.as_secs_f64(),
        specs.len() as f64 / p.best.as_secs_f64(),
    );
    let d = measure(&specs, passes, pass_parse_deps);
    println!(
        "{:<28}best {:>8.1} ms  median {:>8.1} ms  {:>7.1} MB/s  {:>7.0} specs/s  {} deps",
        "venvjail parse+deps:",
        ms(d.best),
        ms(d.median),
        mb(total_bytes) / d.best.as_secs_f64(),
        specs.len() as f64 / d.best.as_secs_f64(),
        d.count,
    );
    let deps_only = d.best.saturating_sub(p.best);
    println!(
        "{:<28}~{:.1} ms of the best pass ({:.0}%), by difference",
        "  of which dependencies():",
        ms(deps_only),
        100.0 * deps_only.as_secs_f64() / d.best.as_secs_f64()
    );

    binary(&label, &specs, passes, &d);
    peer(&specs, passes, &d);
}

/// `venvjail spec deps --format FORMAT` on every spec, one process, stdout
/// to /dev/null: best of `passes` runs (after a warm-up run).
fn binary(label: &str, specs: &[Spec], passes: usize, in_process: &Timing) {
    if label.contains("FALLBACK") {
        println!("binary spec deps: skipped (../shared/corpus not found)");
        return;
    }
    let total_bytes: usize = specs.iter().map(|s| s.bytes.len()).sum();
    let exe = env!("CARGO_BIN_EXE_venvjail");
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    for format in ["json", "text"] {
        let run = || {
            let t = Instant::now();
            let status = Command::new(exe)
                .args(["spec", "deps", "--format", format])
                .args(specs.iter().map(|s| &s.path))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .expect("run venvjail");
            assert!(status.success(), "venvjail spec deps failed: {status}");
            t.elapsed()
        };
        run();
        let mut times: Vec<Duration> = (0..passes.max(1)).map(|_| run()).collect();
        times.sort();
        let best = times[0];
        println!(
            "{:<28}best {:>8.1} ms  median {:>8.1} ms  {:>7.1} MB/s  ({:.1}x the in-process parse+deps time; {cores} cores)",
            format!("binary spec deps {format}:"),
            ms(best),
            ms(times[times.len() / 2]),
            mb(total_bytes) / best.as_secs_f64(),
            best.as_secs_f64() / in_process.best.as_secs_f64(),
        );
    }
}

fn peer(specs: &[Spec], passes: usize, full: &Timing) {
    if std::env::var_os("VENVJAIL_BENCH_NO_RPMSPEC").is_some() {
        println!("rpmspec: skipped (VENVJAIL_BENCH_NO_RPMSPEC set)");
        return;
    }
    if !on_path("rpmspec") {
        println!("rpmspec: not on PATH, peer skipped");
        return;
    }
    let limit = env_usize("VENVJAIL_BENCH_RPMSPEC_LIMIT")
        .filter(|&n| n > 0)
        .map_or(specs.len(), |n| n.min(specs.len()));
    let subset = &specs[..limit];
    let home = tempfile::tempdir().expect("temp dir for rpmspec HOME");

    let mut failed = 0usize;
    let t = Instant::now();
    for s in subset {
        let status = Command::new("rpmspec")
            .args(["-q", "--buildrequires"])
            .arg(&s.path)
            .env("HOME", home.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if !matches!(status, Ok(st) if st.success()) {
            failed += 1;
        }
    }
    let rpm = t.elapsed();
    let per_file = rpm / limit as u32;
    println!(
        "rpmspec -q --buildrequires: {limit} files in {:.1} s ({:.1} ms/file, {failed} failed){}",
        rpm.as_secs_f64(),
        ms(per_file),
        if limit < specs.len() {
            format!(
                " -- LIMITED to first {limit} of {} (VENVJAIL_BENCH_RPMSPEC_LIMIT); extrapolated to all: {:.1} s",
                specs.len(),
                per_file.as_secs_f64() * specs.len() as f64
            )
        } else {
            " -- all files".to_string()
        },
    );

    // venvjail on exactly the same files.
    let ours = if limit == specs.len() {
        full.best
    } else {
        measure(subset, passes, pass_parse_deps).best
    };
    println!(
        "ratio: venvjail parse+deps is {:.0}x faster than rpmspec on the same {limit} files ({:.1} ms vs {:.1} s)",
        rpm.as_secs_f64() / ours.as_secs_f64(),
        ms(ours),
        rpm.as_secs_f64(),
    );
}
