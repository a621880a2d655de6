//! Running Debian's `rpmspec` as the oracle: isolated HOME, `LC_ALL=C`,
//! killed after a timeout. Shared by the librpm comparisons.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long one rpmspec call may take.
pub const RPMSPEC_TIMEOUT: Duration = Duration::from_secs(20);

/// What one rpmspec call gave.
pub enum Rpm {
    /// Its stdout.
    Ok(String),
    /// The first `error:` line (or first line) of its stderr.
    Failed(String),
    /// Killed after [`RPMSPEC_TIMEOUT`].
    TimedOut,
}

/// True when `exe` is on PATH.
pub fn on_path(exe: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(exe).is_file()))
}

/// `rpmspec ARGS SPEC` in the isolated HOME `home`.
pub fn rpmspec(home: &Path, args: &[&str], spec: &Path) -> Rpm {
    let out_path = home.join("rpm.stdout");
    let err_path = home.join("rpm.stderr");
    let out = std::fs::File::create(&out_path).expect("create stdout file");
    let err = std::fs::File::create(&err_path).expect("create stderr file");
    let mut child = Command::new("rpmspec")
        .args(args)
        .arg(spec)
        .env("HOME", home)
        .env("LC_ALL", "C")
        .current_dir(home)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .expect("spawn rpmspec");
    let start = Instant::now();
    let mut nap = Duration::from_millis(1);
    let status = loop {
        if let Some(st) = child.try_wait().expect("wait for rpmspec") {
            break st;
        }
        if start.elapsed() > RPMSPEC_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            return Rpm::TimedOut;
        }
        std::thread::sleep(nap);
        nap = (nap * 2).min(Duration::from_millis(20));
    };
    let read =
        |p: &Path| String::from_utf8_lossy(&std::fs::read(p).unwrap_or_default()).into_owned();
    if status.success() {
        Rpm::Ok(read(&out_path))
    } else {
        let stderr = read(&err_path);
        let first = stderr
            .lines()
            .find(|l| l.starts_with("error:"))
            .or_else(|| stderr.lines().next())
            .unwrap_or("(no message)");
        Rpm::Failed(first.to_owned())
    }
}
