//! The test harness: a temp directory and a command that runs the real binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A temporary directory that is removed when dropped.
pub struct Dir {
    tmp: tempfile::TempDir,
}

impl Dir {
    /// A fresh empty directory.
    pub fn new() -> Self {
        Self {
            tmp: tempfile::tempdir().expect("create temp dir"),
        }
    }

    /// The directory's path.
    pub fn path(&self) -> &Path {
        self.tmp.path()
    }

    /// Writes `contents` to `name` inside the directory and returns its path.
    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let p = self.tmp.path().join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("create parent");
        }
        std::fs::write(&p, contents).expect("write file");
        p
    }

    /// Reads a file inside the directory.
    pub fn read(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.tmp.path().join(name)).expect("read file")
    }

    /// A `venvjail` command that runs in this directory.
    pub fn cmd(&self) -> TestCommand {
        let mut c = TestCommand::new();
        c.cmd.current_dir(self.path());
        c
    }
}

/// The real `venvjail` binary with arguments.
pub struct TestCommand {
    cmd: Command,
}

/// What a run produced.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub stdout_bytes: Vec<u8>,
}

impl TestCommand {
    pub fn new() -> Self {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_venvjail"));
        cmd.env_remove("NO_COLOR")
            .env("HOME", std::env::temp_dir())
            .stdin(Stdio::null());
        Self { cmd }
    }

    pub fn args<I, S>(&mut self, args: I) -> &mut Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.cmd.args(args);
        self
    }

    pub fn cwd(&mut self, dir: &Path) -> &mut Self {
        self.cmd.current_dir(dir);
        self
    }

    pub fn arg(&mut self, a: impl AsRef<std::ffi::OsStr>) -> &mut Self {
        self.cmd.arg(a);
        self
    }

    pub fn env_remove(&mut self, k: &str) -> &mut Self {
        self.cmd.env_remove(k);
        self
    }

    pub fn arg_path(&mut self, p: &Path) -> &mut Self {
        self.cmd.arg(p);
        self
    }

    pub fn env(&mut self, k: &str, v: impl AsRef<std::ffi::OsStr>) -> &mut Self {
        self.cmd.env(k, v);
        self
    }

    pub fn run(&mut self) -> Run {
        let Output {
            status,
            stdout,
            stderr,
        } = self.cmd.output().expect("run venvjail");
        Run {
            code: status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
            stdout_bytes: stdout,
        }
    }
}

/// The repository's root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared/corpus` when it exists (CI has it; a plain checkout may not).
pub fn shared_corpus() -> Option<PathBuf> {
    let p = repo_root().join("../shared/corpus");
    p.is_dir().then_some(p)
}

/// Every `*.spec` under `dir`, sorted.
pub fn specs_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read dir") {
            let p = entry.expect("dir entry").path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "spec") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}
