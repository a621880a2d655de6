//! The service online against a local fake OBS with 200 binaries whose
//! RPM headers are real (rpmbuild): requests sent (target: at most 6),
//! wall time of the run, the snapshot's size, and the regeneration itself
//! (lists and spec blocks from the snapshot, the Requires block resolved
//! from 200 headers; target: under 50 ms). Prints numbers, asserts nothing
//! but success.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../tests/it/fake_obs.rs"]
#[allow(dead_code)]
mod fake_obs;
#[path = "../tests/it/fake_repo.rs"]
#[allow(dead_code)]
mod fake_repo;

use std::fmt::Write as _;
use std::process::{Command, Stdio};
use std::time::Instant;

const BINARIES: usize = 200;
const RUNS: usize = 50;

/// 200 subpackages chained by versioned requirements, with a file
/// dependency, a rich one and one the repository cannot meet.
fn spec() -> String {
    let mut s = String::from(
        "Name: bench\nVersion: 1\nRelease: 1\nSummary: s\nLicense: MIT\n%description\nd\n",
    );
    for i in 0..BINARIES {
        let _ = write!(
            s,
            "%package -n python311-pkg{i:03}\nVersion: 1.{i}\nRelease: 1.1\nSummary: p\nBuildArch: noarch\nProvides: python3.11dist(pkg{i:03}) = 1.{i}\nRequires: python311-pkg{:03} >= 1.0\nRequires: (python311-pkg{:03} or python311-missing{i})\nRequires: /usr/bin/env\nRequires: python311-absent{} >= 2\n%description -n python311-pkg{i:03}\np\n",
            (i + 1) % BINARIES,
            (i + 7) % BINARIES,
            i % 10
        );
    }
    s.push_str("%prep\n%build\n%install\n");
    for i in 0..BINARIES {
        let _ = writeln!(s, "%files -n python311-pkg{i:03}");
    }
    s
}

fn main() {
    let build_dir = tempfile::tempdir().expect("temp dir");
    let started = Instant::now();
    let built = fake_repo::build(&spec(), build_dir.path());
    eprintln!(
        "built {} RPMs in {:.1} s",
        built.len(),
        started.elapsed().as_secs_f64()
    );
    let obs = fake_obs::FakeObs::start();
    let binaries: Vec<(String, String)> = built
        .iter()
        .map(|b| (b.name.clone(), String::from("1.0-1.1")))
        .collect();
    let listed: Vec<(&str, &str, &str)> = binaries
        .iter()
        .map(|(n, e)| (n.as_str(), e.as_str(), "noarch"))
        .collect();
    obs.repository("bench:project", "standard", "x86_64", &listed);
    obs.cpio_headers(
        "/build/bench:project/standard/x86_64/_repository",
        built
            .iter()
            .map(|b| (b.name.clone(), b.header.clone()))
            .collect(),
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let pkg = dir.path().join("pkg");
    std::fs::create_dir(&pkg).unwrap();
    std::fs::write(
        pkg.join("venv-bench.spec"),
        "Name: venv-bench\nVersion: 1\nRelease: 0\nSummary: b\nLicense: MIT\n%description\nb\n",
    )
    .unwrap();
    let oscrc = dir.path().join("oscrc");
    std::fs::write(
        &oscrc,
        format!(
            "[general]\napiurl = {url}\n\n[{url}]\nuser = alice\npass = opensuse\n",
            url = obs.url()
        ),
    )
    .unwrap();
    let out = dir.path().join("out");
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_venvjail"))
        .args(["service", "--project", "bench:project", "--outdir"])
        .arg(&out)
        .current_dir(&pkg)
        .env("HOME", dir.path())
        .env("OSC_CONFIG", &oscrc)
        .env_remove("OBS_SERVICE_DAEMON")
        .stdin(Stdio::null())
        .output()
        .expect("run venvjail");
    let wall = started.elapsed().as_secs_f64();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let requests = obs.requests();
    let snapshot = std::fs::read(out.join("venvjail.snapshot.xml")).unwrap();
    println!(
        "online run, {BINARIES} binaries: {} requests (target <= 6), {:.0} ms wall",
        requests.len(),
        wall * 1000.0
    );
    for r in &requests {
        println!("  GET {}", r.target.chars().take(110).collect::<String>());
    }
    println!(
        "snapshot: {} bytes ({:.1} KiB), {} lines",
        snapshot.len(),
        snapshot.len() as f64 / 1024.0,
        snapshot.iter().filter(|&&b| b == b'\n').count()
    );
    // The regeneration alone, in process, from the snapshot just written.
    for f in std::fs::read_dir(&out).unwrap() {
        let f = f.unwrap().path();
        std::fs::copy(&f, pkg.join(f.file_name().unwrap())).unwrap();
    }
    let params = venvjail::service::Params::default();
    let inputs = venvjail::service::read_inputs(&pkg, &params).unwrap();
    let text = String::from_utf8(snapshot).unwrap();
    let mut times = Vec::new();
    let mut parse_times = Vec::new();
    let mut lines = 0;
    for _ in 0..RUNS {
        let started = Instant::now();
        let snap = venvjail::obs::snapshot::Snapshot::parse("s", &text).unwrap();
        parse_times.push(started.elapsed().as_secs_f64() * 1000.0);
        let r = venvjail::service::regenerate_all(&inputs, &snap).unwrap();
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        lines = r.requires.lines.len();
    }
    times.sort_by(f64::total_cmp);
    parse_times.sort_by(f64::total_cmp);
    println!(
        "snapshot parse alone: median {:.2} ms",
        parse_times[RUNS / 2]
    );
    println!(
        "regeneration (snapshot parse + lists + blocks, {lines} Requires lines): median {:.2} ms, max {:.2} ms over {RUNS} runs (target < 50 ms)",
        times[RUNS / 2],
        times[RUNS - 1]
    );
}
