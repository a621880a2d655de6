//! `venvjail include` end to end against a local fake OBS serving a
//! 60,000-binary repository: wall time and peak RSS of the real binary
//! (DESIGN §10: under 0.5 s and 50 MB). Prints numbers, asserts nothing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../tests/it/fake_obs.rs"]
#[allow(dead_code)]
mod fake_obs;

use std::process::{Command, Stdio};
use std::time::Instant;

const BINARIES: usize = 60_000;
const RUNS: usize = 7;

fn main() {
    let obs = fake_obs::FakeObs::start();
    let body = fake_obs::big_repository(BINARIES);
    let target = "/build/bench:project/standard/x86_64/_repository?view=names";
    obs.route(target, 200, "text/xml", body.clone());
    let dir = tempfile::tempdir().expect("temp dir");
    let oscrc = dir.path().join("oscrc");
    std::fs::write(
        &oscrc,
        format!(
            "[general]\napiurl = {url}\n\n[{url}]\nuser = alice\npass = opensuse\n",
            url = obs.url()
        ),
    )
    .expect("write oscrc");
    let time = std::path::Path::new("/usr/bin/time");
    let has_time = time.exists();
    let mut walls = Vec::new();
    let mut rss_kb = Vec::new();
    let mut lines = 0;
    for run in 0..=RUNS {
        let out_file = dir.path().join(format!("include-rpm.{run}"));
        let mut cmd = if has_time {
            let mut c = Command::new(time);
            c.args(["-f", "%M"]).arg(env!("CARGO_BIN_EXE_venvjail"));
            c
        } else {
            Command::new(env!("CARGO_BIN_EXE_venvjail"))
        };
        cmd.args(["include", "-p", "bench:project", "--all", "-o"])
            .arg(&out_file)
            .env("HOME", dir.path())
            .env("OSC_CONFIG", &oscrc)
            .stdin(Stdio::null());
        let started = Instant::now();
        let output = cmd.output().expect("run venvjail");
        let wall = started.elapsed().as_secs_f64();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        if run == 0 {
            lines = std::fs::read_to_string(&out_file)
                .expect("read output")
                .lines()
                .count();
            continue; // warm-up
        }
        walls.push(wall);
        if has_time {
            let stderr = String::from_utf8_lossy(&output.stderr);
            if let Some(kb) = stderr
                .lines()
                .last()
                .and_then(|l| l.trim().parse::<f64>().ok())
            {
                rss_kb.push(kb);
            }
        }
    }
    walls.sort_by(f64::total_cmp);
    rss_kb.sort_by(f64::total_cmp);
    println!(
        "include: {BINARIES} binaries ({:.1} MB of XML) from a local fake OBS, {} lines written, {RUNS} runs",
        body.len() as f64 / 1e6,
        lines
    );
    println!(
        "  wall time: best {:.3} s  median {:.3} s  (target < 0.5 s)",
        walls[0],
        walls[walls.len() / 2]
    );
    if rss_kb.is_empty() {
        println!("  peak RSS: not measured (/usr/bin/time missing)");
    } else {
        println!(
            "  peak RSS: max {:.1} MB  median {:.1} MB  (target < 50 MB)",
            rss_kb[rss_kb.len() - 1] / 1024.0,
            rss_kb[rss_kb.len() / 2] / 1024.0
        );
    }
}
