//! `venvjail include` end to end against a local fake OBS serving a
//! 60,000-binary repository, side by side with the original
//! (`venvjail.py include`, which runs `osc api`) against the same server,
//! runs alternating. Prints the wall times (best and median), the ratio,
//! venvjail's peak RSS, `curl`'s time for the same answer (the transfer)
//! and the client's own work: venvjail's time minus curl's, and the
//! in-process parse of the answer (DESIGN §10: ≥ 10×, < 50 MB, < 40 ms).
//! Prints numbers, asserts nothing about time. The peer is copied from
//! `../shared/peers/venvjail.py` at run time; without it (or without osc)
//! its half is skipped with a message.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../tests/it/fake_obs.rs"]
#[allow(dead_code)]
mod fake_obs;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

const BINARIES: usize = 60_000;
const RUNS: usize = 7;
const PROJECT: &str = "bench:project";

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|d| d.join(program).is_file()))
}

/// The peer, copied into `dir`; `None` (with the reason) when it cannot run.
fn peer(dir: &Path) -> Result<PathBuf, String> {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/peers/venvjail.py");
    if !source.is_file() {
        return Err(format!("{} is absent", source.display()));
    }
    for tool in ["osc", "python3"] {
        if !on_path(tool) {
            return Err(format!("{tool} is not installed"));
        }
    }
    let copy = dir.join("venvjail.py");
    std::fs::copy(&source, &copy).map_err(|e| e.to_string())?;
    Ok(copy)
}

/// Best and median of `v` (sorted in place).
fn best_median(v: &mut [f64]) -> (f64, f64) {
    v.sort_by(f64::total_cmp);
    (v[0], v[v.len() / 2])
}

fn main() {
    let obs = fake_obs::FakeObs::start();
    let body = fake_obs::big_repository(BINARIES);
    let path = format!("/build/{PROJECT}/standard/x86_64/_repository");
    obs.route(&format!("{path}?view=names"), 200, "text/xml", body.clone());
    // venvjail.py asks without `view=names`; the names answer has the same shape.
    obs.route(&path, 200, "text/xml", body.clone());
    let dir = tempfile::tempdir().expect("temp dir");
    let home = dir.path();
    let oscrc = home.join("oscrc");
    std::fs::write(
        &oscrc,
        format!(
            "[general]\napiurl = {url}\nuse_keyring = 0\ngnome_keyring = 0\n\
             check_for_request_on_action = 0\n\n[{url}]\nuser = alice\npass = opensuse\n",
            url = obs.url()
        ),
    )
    .expect("write oscrc");
    let env = |c: &mut Command| {
        c.env("HOME", home)
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("XDG_CACHE_HOME", home.join(".cache"))
            .env("OSC_CONFIG", &oscrc)
            .current_dir(home)
            .stdin(Stdio::null());
    };
    let peer = peer(home);
    if let Err(why) = &peer {
        println!("include: venvjail.py skipped: {why}");
    }
    let time = Path::new("/usr/bin/time");
    let has_time = time.exists();
    let has_curl = on_path("curl");
    let (mut ours, mut theirs, mut curl, mut rss_kb) = (vec![], vec![], vec![], vec![]);
    let mut lines = (0, 0);
    for run in 0..=RUNS {
        // venvjail.
        let out_file = home.join("include-rpm");
        let mut cmd = if has_time {
            let mut c = Command::new(time);
            c.args(["-f", "%M"]).arg(env!("CARGO_BIN_EXE_venvjail"));
            c
        } else {
            Command::new(env!("CARGO_BIN_EXE_venvjail"))
        };
        cmd.args(["include", "-p", PROJECT, "--all", "-o"])
            .arg(&out_file);
        env(&mut cmd);
        let started = Instant::now();
        let output = cmd.output().expect("run venvjail");
        let wall = started.elapsed().as_secs_f64();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        let kb = stderr
            .lines()
            .last()
            .and_then(|l| l.trim().parse::<f64>().ok());
        if run == 0 {
            lines.0 = std::fs::read_to_string(&out_file)
                .expect("read output")
                .lines()
                .count();
        } else {
            ours.push(wall);
            rss_kb.extend(kb);
        }
        // venvjail.py + osc.
        if let Ok(script) = &peer {
            let mut cmd = Command::new("python3");
            cmd.arg(script)
                .args(["include", "-A", &obs.url(), "-p", PROJECT, "--all"]);
            env(&mut cmd);
            let started = Instant::now();
            let output = cmd.output().expect("run venvjail.py");
            let wall = started.elapsed().as_secs_f64();
            assert!(
                output.status.success(),
                "venvjail.py include: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            if run == 0 {
                lines.1 = output.stdout.split(|b| *b == b'\n').count();
            } else {
                theirs.push(wall);
            }
        }
        // The transfer alone.
        if has_curl {
            let started = Instant::now();
            let status = Command::new("curl")
                .args(["-s", "-o", "/dev/null", "-u", "alice:opensuse"])
                .arg(format!("{}{path}?view=names", obs.url()))
                .status()
                .expect("run curl");
            let wall = started.elapsed().as_secs_f64();
            assert!(status.success(), "curl failed");
            if run > 0 {
                curl.push(wall);
            }
        }
    }
    // The client's parse, in process: the names out of the answer.
    let mut parse = Vec::new();
    for _ in 0..RUNS {
        let started = Instant::now();
        let names = venvjail::obs::xml::binary_filenames(std::hint::black_box(&body)).unwrap();
        parse.push(started.elapsed().as_secs_f64());
        assert_eq!(names.len(), BINARIES);
    }
    println!(
        "include: {BINARIES} binaries ({:.1} MB of XML) from a local fake OBS, {RUNS} alternating runs \
         (venvjail wrote {} lines, venvjail.py printed {})",
        body.len() as f64 / 1e6,
        lines.0,
        lines.1
    );
    let (ob, om) = best_median(&mut ours);
    println!("  venvjail:          best {ob:.3} s  median {om:.3} s");
    if !theirs.is_empty() {
        let (tb, tm) = best_median(&mut theirs);
        println!("  venvjail.py + osc: best {tb:.3} s  median {tm:.3} s");
        println!(
            "  ratio: {:.1}x (best)  {:.1}x (median)  (target >= 10x)",
            tb / ob,
            tm / om
        );
    }
    if !curl.is_empty() {
        let (cb, cm) = best_median(&mut curl);
        println!("  curl (the transfer alone): best {cb:.3} s  median {cm:.3} s");
        println!(
            "  client work (venvjail - curl): best {:.1} ms  median {:.1} ms  (target < 40 ms)",
            (ob - cb) * 1e3,
            (om - cm) * 1e3
        );
    }
    let (pb, pm) = best_median(&mut parse);
    println!(
        "  of which reading the names (in process): best {:.1} ms  median {:.1} ms",
        pb * 1e3,
        pm * 1e3
    );
    if rss_kb.is_empty() {
        println!("  peak RSS: not measured (/usr/bin/time missing)");
    } else {
        let (_, median) = best_median(&mut rss_kb);
        println!(
            "  peak RSS: max {:.1} MB  median {:.1} MB  (target < 50 MB)",
            rss_kb[rss_kb.len() - 1] / 1024.0,
            median / 1024.0
        );
    }
}
