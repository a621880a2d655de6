//! The whole `create` command (venv, extraction, relocation, verifier,
//! packages.log) side by side with the original `venvjail.py create`
//! (`python3 -m venv`, `rpm2cpio | cpio` per package, relocation in
//! Python) on the same package set: the Debian python3-* packages that
//! `benches/fixtures.sh` repacks as RPMs (cached under
//! `target/bench-packages/`). DEST goes on tmpfs (`/dev/shm`) and on the
//! disk under `target/`; the runs alternate (ours, the peer's, per place
//! and round) so a busy machine slows both alike. Prints best and median
//! of each, the ratios, the time of the `python3 -m venv` both commands
//! start with (measured alone in the same rounds) and the ratio of what is
//! left without it, and the peak RSS of `create` on the 50 MB-file
//! package against the smallest one. Asserts nothing about time.
//!
//! `VENVJAIL_BENCH_PAYLOAD=gzip` (or `xz`) repacks the same packages with
//! that payload compressor instead of zstd (cached under
//! `target/bench-packages-gzip/`), to compare decompressors.
//!
//! The peer is copied from `../shared/peers/venvjail.py` at run time; when
//! it, `rpm2cpio`, `cpio` or `python3` is missing, its half is skipped
//! with a message.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

const ROUNDS: usize = 3;
const BIG: &str = "bench-bigfile";

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|d| d.join(program).is_file()))
}

/// The peer, copied into `dir`; the reason when it cannot run.
fn peer(dir: &Path) -> Result<PathBuf, String> {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/peers/venvjail.py");
    if !source.is_file() {
        return Err(format!("{} is absent", source.display()));
    }
    for tool in ["rpm2cpio", "cpio", "rpm", "python3"] {
        if !on_path(tool) {
            return Err(format!("{tool} is not installed"));
        }
    }
    let copy = dir.join("venvjail.py");
    std::fs::copy(&source, &copy).map_err(|e| e.to_string())?;
    Ok(copy)
}

/// Runs `create` (ours or the peer's) of `repo` into `place/NAME`, from
/// `place` (the lists are empty files there); returns the wall time.
///
/// Every run gets a new DEST, and the trees are removed only at the end:
/// ext4 skips inodes freed in the last seconds when it allocates new ones,
/// so creating a tree right after removing one costs up to four times as
/// much in the kernel, which a fresh OBS build root never pays.
fn run(peer: Option<&Path>, place: &Path, name: &str, repo: &Path) -> f64 {
    let dest = place.join(name);
    // Earlier runs' data is written back before this run starts, so
    // neither tool pays for the other's.
    let _ = Command::new("sync").status();
    let mut cmd = match peer {
        Some(script) => {
            let mut c = Command::new("python3");
            c.arg(script);
            c
        }
        None => {
            let mut c = Command::new(env!("CARGO_BIN_EXE_venvjail"));
            c.arg("-q");
            c
        }
    };
    cmd.args(["create", name, "-r"])
        .arg(repo)
        .args([
            "-i",
            "include-rpm",
            "-e",
            "exclude-rpm",
            "-d",
            "remove-file",
        ])
        .current_dir(place)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let out = cmd.output().expect("run create");
    let wall = started.elapsed().as_secs_f64();
    assert!(
        out.status.success(),
        "{} create failed: {}",
        if peer.is_some() {
            "venvjail.py"
        } else {
            "venvjail"
        },
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dest.join("packages.log").is_file());
    wall
}

/// Peak RSS (MB) of our `create` of `repo`, median of three.
fn rss_mb(place: &Path, repo: &Path) -> Option<f64> {
    let mut v = Vec::new();
    for _ in 0..3 {
        let dest = place.join("venv");
        let _ = std::fs::remove_dir_all(&dest);
        let out = Command::new("/usr/bin/time")
            .args(["-f", "%M"])
            .arg(env!("CARGO_BIN_EXE_venvjail"))
            .args(["-q", "create", "venv", "-r"])
            .arg(repo)
            .args([
                "-i",
                "include-rpm",
                "-e",
                "exclude-rpm",
                "-d",
                "remove-file",
            ])
            .current_dir(place)
            .stdin(Stdio::null())
            .output()
            .ok()?;
        let _ = std::fs::remove_dir_all(&dest);
        let text = String::from_utf8_lossy(&out.stderr);
        v.push(text.lines().last()?.trim().parse::<f64>().ok()? / 1024.0);
    }
    v.sort_by(f64::total_cmp);
    Some(v[1])
}

/// `python3 -m venv` alone, as both commands run it first (the peer's
/// `-s` default passes `--system-site-packages`, and so does ours), into
/// a new `place/NAME`; returns the wall time.
fn run_venv(place: &Path, name: &str) -> f64 {
    let _ = Command::new("sync").status();
    let started = Instant::now();
    let status = Command::new("python3")
        .args([
            "-m",
            "venv",
            "--copies",
            "--without-pip",
            "--system-site-packages",
        ])
        .arg(place.join(name))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .status()
        .expect("run python3 -m venv");
    let wall = started.elapsed().as_secs_f64();
    assert!(status.success(), "python3 -m venv failed");
    wall
}

fn best_median(v: &mut [f64]) -> (f64, f64) {
    v.sort_by(f64::total_cmp);
    (v[0], v[v.len() / 2])
}

/// A directory holding links to `packages` (what `-r` reads).
fn repo_of(dir: &Path, packages: &[PathBuf]) -> PathBuf {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).unwrap();
    for p in packages {
        std::os::unix::fs::symlink(p, dir.join(p.file_name().unwrap())).unwrap();
    }
    dir.to_path_buf()
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let payload = std::env::var("VENVJAIL_BENCH_PAYLOAD").unwrap_or_default();
    let (cache, rpm_payload) = match payload.as_str() {
        "" | "zstd" => (root.join("target/bench-packages"), "w19.zstdio"),
        "gzip" => (root.join("target/bench-packages-gzip"), "w6.gzdio"),
        "xz" => (root.join("target/bench-packages-xz"), "w6.xzdio"),
        other => panic!("VENVJAIL_BENCH_PAYLOAD={other}: zstd, gzip or xz"),
    };
    println!("payload: {rpm_payload}");
    let status = Command::new("sh")
        .arg(root.join("benches/fixtures.sh"))
        .arg(&cache)
        .env("PAYLOAD", rpm_payload)
        .status()
        .expect("run benches/fixtures.sh");
    assert!(status.success(), "benches/fixtures.sh failed");
    let mut all: Vec<PathBuf> = std::fs::read_dir(cache.join("rpms"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "rpm"))
        .collect();
    all.sort();
    let is_big = |p: &PathBuf| p.file_name().unwrap().to_string_lossy().starts_with(BIG);
    let big: Vec<PathBuf> = all.iter().filter(|p| is_big(p)).cloned().collect();
    all.retain(|p| !is_big(p));
    let bytes: u64 = all
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().len())
        .sum();
    let repo = repo_of(&cache.join("repo-create"), &all);

    let work = cache.join("create-peer");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).unwrap();
    let peer = peer(&work);
    if let Err(why) = &peer {
        println!("create: venvjail.py skipped: {why}");
    }
    let shm = tempfile::tempdir_in("/dev/shm").ok();
    let mut places: Vec<(&str, PathBuf)> = Vec::new();
    if let Some(d) = &shm {
        places.push(("tmpfs /dev/shm", d.path().to_path_buf()));
    }
    places.push(("disk target/", work.join("disk")));
    for (_, dir) in &places {
        std::fs::create_dir_all(dir).unwrap();
        for list in ["include-rpm", "exclude-rpm", "remove-file"] {
            std::fs::write(dir.join(list), "").unwrap();
        }
    }
    println!(
        "create: {} RPMs ({:.1} MB), whole command, {ROUNDS} alternating rounds (after one warm-up each)",
        all.len(),
        bytes as f64 / 1e6
    );
    for (label, dir) in &places {
        let (mut ours, mut theirs, mut venvs) = (Vec::new(), Vec::new(), Vec::new());
        for round in 0..=ROUNDS {
            let v = run_venv(dir, &format!("venv-{round}-alone"));
            let a = run(None, dir, &format!("venv-{round}-venvjail"), &repo);
            let b = peer
                .as_ref()
                .ok()
                .map(|s| run(Some(s), dir, &format!("venv-{round}-peer"), &repo));
            if round > 0 {
                venvs.push(v);
                ours.push(a);
                theirs.extend(b);
            }
        }
        let (ob, om) = best_median(&mut ours);
        println!("  {label}: venvjail     best {ob:.3} s  median {om:.3} s");
        if !theirs.is_empty() {
            let (tb, tm) = best_median(&mut theirs);
            println!("  {label}: venvjail.py  best {tb:.3} s  median {tm:.3} s");
            println!(
                "  {label}: ratio {:.1}x (best)  {:.1}x (median)",
                tb / ob,
                tm / om
            );
            // Both commands begin with the same `python3 -m venv`; what is
            // left is the part either tool can make faster.
            let (vb, _) = best_median(&mut venvs);
            println!(
                "  {label}: python3 -m venv alone best {vb:.3} s; without it venvjail {:.3} s, venvjail.py {:.3} s: ratio {:.1}x (best)",
                ob - vb,
                tb - vb,
                (tb - vb) / (ob - vb)
            );
        }
    }
    if !Path::new("/usr/bin/time").exists() || big.is_empty() {
        println!("peak RSS: not measured (/usr/bin/time or the 50 MB package missing)");
    } else {
        let small = all
            .iter()
            .min_by_key(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(u64::MAX))
            .cloned()
            .expect("a package");
        let place = &places[places.len() - 1].1;
        let small_repo = repo_of(&cache.join("repo-small"), std::slice::from_ref(&small));
        let big_repo = repo_of(&cache.join("repo-big"), &big);
        match (rss_mb(place, &small_repo), rss_mb(place, &big_repo)) {
            (Some(s), Some(b)) => println!(
                "peak RSS of create: {} {s:.1} MB, the 50 MB-file package {b:.1} MB ({:+.1} MB)",
                small.file_name().unwrap().to_string_lossy(),
                b - s
            ),
            _ => println!("peak RSS: could not be measured"),
        }
    }
    let _ = std::fs::remove_dir_all(&work);
}
