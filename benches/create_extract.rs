//! `venvjail create`'s extraction against `rpm2cpio X | cpio --extract …`
//! (what venvjail.py ran per package), on real packages: Debian python3-*
//! .debs repacked as zstd RPMs by `benches/fixtures.sh` (cached under
//! `target/bench-packages/`), plus one package holding a single 50 MB file.
//! Reports best and median totals over a few warm rounds, the ratio, and
//! the peak RSS of a one-package extraction (small package versus the 50 MB
//! file). Prints numbers, asserts nothing about time or memory.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use venvjail::create::extract::{ConflictPolicy, Extractor, Stats};
use venvjail::create::pipeline::{extract_packages, Job};

const ROUNDS: usize = 3;
const RSS_RUNS: usize = 3;
const BIG: &str = "bench-bigfile";
const CPIO: &str = "rpm2cpio \"$1\" | cpio --extract --unconditional \
                    --preserve-modification-time --make-directories --quiet";

/// Extracts one package into `dest` (which must exist) as `create` does.
fn extract(package: &Path, dest: &Path) -> Result<Stats, String> {
    let mut x = Extractor::new(dest, ConflictPolicy::Warn).map_err(|e| e.to_string())?;
    let name = package.file_name().unwrap().to_string_lossy();
    let job = Job {
        path: package,
        name: &name,
    };
    extract_packages(&[job], &mut x, &mut |_| {}, &mut |_, _| {}).map_err(|e| e.to_string())?;
    x.finish().map_err(|e| e.to_string())?;
    Ok(x.stats)
}

fn cpio(package: &Path, dest: &Path) -> Result<(), String> {
    let out = Command::new("sh")
        .args(["-c", CPIO, "sh"])
        .arg(package)
        .current_dir(dest)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// Every path under `root` with what it is: `d`, `f SIZE` or `l TARGET`.
fn tree(root: &Path) -> BTreeMap<String, String> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            let rel = p.strip_prefix(root).unwrap().display().to_string();
            let m = std::fs::symlink_metadata(&p).unwrap();
            if m.file_type().is_symlink() {
                let t = std::fs::read_link(&p).unwrap();
                out.insert(rel, format!("l {}", t.display()));
            } else if m.is_dir() {
                out.insert(rel, "d".into());
                walk(root, &p, out);
            } else {
                out.insert(rel, format!("f {}", m.len()));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// A fresh empty directory under `scratch`.
fn fresh(scratch: &Path) -> tempfile::TempDir {
    tempfile::tempdir_in(scratch).unwrap()
}

/// Total seconds to extract every package with `f`, each into a fresh dir
/// (creating and removing the dirs is not timed).
fn round(
    packages: &[PathBuf],
    scratch: &Path,
    f: &dyn Fn(&Path, &Path) -> Result<(), String>,
) -> f64 {
    let mut total = 0.0;
    for p in packages {
        let dir = fresh(scratch);
        let started = Instant::now();
        if let Err(e) = f(p, dir.path()) {
            panic!("{}: {e}", p.display());
        }
        total += started.elapsed().as_secs_f64();
    }
    total
}

/// Seconds to extract every package into one fresh dir, as `create` (one
/// reader thread for all) and venvjail.py (one `rpm2cpio | cpio` after the
/// other into DEST) do.
fn one_dest(packages: &[PathBuf], scratch: &Path, venvjail: bool) -> f64 {
    let dir = fresh(scratch);
    let started = Instant::now();
    if venvjail {
        let names: Vec<String> = packages
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        let jobs: Vec<Job<'_>> = packages
            .iter()
            .zip(&names)
            .map(|(path, name)| Job { path, name })
            .collect();
        let mut x = Extractor::new(dir.path(), ConflictPolicy::Warn).unwrap();
        extract_packages(&jobs, &mut x, &mut |_| {}, &mut |_, _| {}).unwrap();
        x.finish().unwrap();
    } else {
        for p in packages {
            cpio(p, dir.path()).unwrap();
        }
    }
    started.elapsed().as_secs_f64()
}

fn best_median(mut v: Vec<f64>) -> (f64, f64) {
    v.sort_by(f64::total_cmp);
    (v[0], v[v.len() / 2])
}

/// Peak RSS in kB of `--extract-one PACKAGE` in a child under `/usr/bin/time -v`.
fn peak_rss_kb(package: &Path, scratch: &Path) -> Option<u64> {
    let dir = fresh(scratch);
    let out = Command::new("/usr/bin/time")
        .arg("-v")
        .arg(std::env::current_exe().ok()?)
        .arg("--extract-one")
        .arg(package)
        .arg(dir.path())
        .stdin(Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        eprintln!(
            "extract-one {} failed: {}",
            package.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        return None;
    }
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .find_map(|l| l.trim().strip_prefix("Maximum resident set size (kbytes):"))
        .and_then(|v| v.trim().parse().ok())
}

fn median_rss_mb(package: &Path, scratch: &Path) -> Option<f64> {
    let mut v: Vec<u64> = (0..RSS_RUNS)
        .filter_map(|_| peak_rss_kb(package, scratch))
        .collect();
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    Some(v[v.len() / 2] as f64 / 1024.0)
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1_048_576.0
}

fn measure(label: &str, scratch: &Path, packages: &[PathBuf], big: &Path) {
    let venvjail = |p: &Path, d: &Path| extract(p, d).map(|_| ());
    let big = [big.to_path_buf()];
    let (mut ours, mut theirs, mut big_ours, mut big_theirs) = (vec![], vec![], vec![], vec![]);
    for _ in 0..ROUNDS {
        ours.push(round(packages, scratch, &venvjail));
        theirs.push(round(packages, scratch, &cpio));
        big_ours.push(round(&big, scratch, &venvjail));
        big_theirs.push(round(&big, scratch, &cpio));
    }
    let (mut all_ours, mut all_theirs) = (vec![], vec![]);
    for _ in 0..ROUNDS {
        all_ours.push(one_dest(packages, scratch, true));
        all_theirs.push(one_dest(packages, scratch, false));
    }
    let (aob, aom) = best_median(all_ours);
    let (atb, atm) = best_median(all_theirs);
    let (ob, om) = best_median(ours);
    let (tb, tm) = best_median(theirs);
    let (bob, bom) = best_median(big_ours);
    let (btb, btm) = best_median(big_theirs);
    println!("[{label}] {} packages, {ROUNDS} rounds", packages.len());
    println!("  venvjail extract:  best {ob:.2} s  median {om:.2} s");
    println!("  rpm2cpio | cpio:   best {tb:.2} s  median {tm:.2} s");
    println!(
        "  ratio, each package alone in a fresh dir: {:.1}x faster (median; best {:.1}x)",
        tm / om,
        tb / ob
    );
    println!(
        "  as create does it (all packages into one DEST): venvjail best {aob:.2} s  median {aom:.2} s; \
         rpm2cpio | cpio per package best {atb:.2} s  median {atm:.2} s: {:.1}x faster (median; best {:.1}x; target >= 5x)",
        atm / aom,
        atb / aob
    );
    println!(
        "  50 MB file: venvjail best {bob:.3} s  median {bom:.3} s; rpm2cpio | cpio best {btb:.3} s  median {btm:.3} s ({:.1}x)",
        btm / bom
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--extract-one") {
        let (package, dest) = (Path::new(&args[i + 1]), Path::new(&args[i + 2]));
        if let Err(e) = extract(package, dest) {
            eprintln!("{}: {e}", package.display());
            std::process::exit(1);
        }
        return;
    }

    if let Some(i) = args.iter().position(|a| a == "--extract-all") {
        // For profilers: every cached package into DEST, as `create` does.
        let dest = Path::new(&args[i + 1]);
        let cache = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-packages/rpms");
        let mut all: Vec<PathBuf> = std::fs::read_dir(cache)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with(BIG))
            .collect();
        all.sort();
        let secs = one_dest(&all, dest, true);
        println!("{} packages in {secs:.3} s", all.len());
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cache = root.join("target/bench-packages");
    let status = Command::new("sh")
        .arg(root.join("benches/fixtures.sh"))
        .arg(&cache)
        .status()
        .expect("run benches/fixtures.sh");
    assert!(status.success(), "benches/fixtures.sh failed");
    let scratch = cache.join("scratch");
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).unwrap();

    let mut all: Vec<PathBuf> = std::fs::read_dir(cache.join("rpms"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "rpm"))
        .collect();
    all.sort();
    let name = |p: &Path| p.file_name().unwrap().to_string_lossy().into_owned();
    let big = all
        .iter()
        .position(|p| name(p).starts_with(BIG))
        .map(|i| all.remove(i))
        .expect("the 50 MB package");

    // Once: both sides must give the same tree, or the comparison is unfair.
    let (mut packages, mut rpm_bytes, mut stats) = (Vec::new(), 0u64, Stats::default());
    for p in &all {
        let (a, b) = (fresh(&scratch), fresh(&scratch));
        match extract(p, a.path()) {
            Err(e) => {
                println!("SKIPPED {}: venvjail cannot extract it: {e}", name(p));
                continue;
            }
            Ok(s) => {
                stats.files += s.files;
                stats.bytes += s.bytes;
            }
        }
        if let Err(e) = cpio(p, b.path()) {
            println!("SKIPPED {}: rpm2cpio | cpio failed: {e}", name(p));
            continue;
        }
        let (ta, tb) = (tree(a.path()), tree(b.path()));
        if ta != tb {
            let only_a: Vec<_> = ta.iter().filter(|(k, v)| tb.get(*k) != Some(v)).collect();
            let only_b: Vec<_> = tb.iter().filter(|(k, v)| ta.get(*k) != Some(v)).collect();
            println!(
                "MISMATCH {}: venvjail only/different {:?}; cpio only/different {:?}",
                name(p),
                &only_a[..only_a.len().min(5)],
                &only_b[..only_b.len().min(5)]
            );
        }
        rpm_bytes += std::fs::metadata(p).unwrap().len();
        packages.push(p.clone());
    }
    let (a, b) = (fresh(&scratch), fresh(&scratch));
    extract(&big, a.path()).expect("extract the 50 MB package");
    cpio(&big, b.path()).expect("cpio the 50 MB package");
    if tree(a.path()) != tree(b.path()) {
        println!("MISMATCH {}", name(&big));
    }
    drop((a, b));
    println!(
        "packages: {} RPMs ({:.1} MB, {:.1} MB unpacked, {} files) + 50 MB single-file package ({:.1} MB)",
        packages.len(),
        mb(rpm_bytes),
        mb(stats.bytes),
        stats.files,
        mb(std::fs::metadata(&big).unwrap().len()),
    );

    // The same rounds on tmpfs (the extraction's own cost) and on the disk
    // under target/ (adds the file system's create and write latency).
    let shm = Path::new("/dev/shm");
    let mut places = Vec::new();
    if let Ok(d) = tempfile::tempdir_in(shm) {
        places.push(("tmpfs /dev/shm", d.path().to_path_buf(), Some(d)));
    }
    places.push(("disk target/", scratch.clone(), None));
    for (label, dir, _keep) in &places {
        measure(label, dir, &packages, &big);
    }

    let small = packages
        .iter()
        .min_by_key(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(u64::MAX))
        .expect("a package");
    if !Path::new("/usr/bin/time").exists() {
        println!("peak RSS: /usr/bin/time not found, not measured");
    } else if let (Some(s), Some(b)) = (
        median_rss_mb(small, &scratch),
        median_rss_mb(&big, &scratch),
    ) {
        println!(
            "peak RSS: small package ({}) {s:.1} MB, 50 MB file {b:.1} MB ({:+.1} MB; target <= 20 MB)",
            name(small),
            b - s
        );
    } else {
        println!("peak RSS: could not be measured");
    }
    let _ = std::fs::remove_dir_all(&scratch);
}
