//! Small regular files written by a few threads while the extractor goes
//! on in order.
//!
//! On a real disk, creating a file can cost more than everything else
//! about it (~0.3 ms on a slow ext4), and there several threads creating
//! files halve that part; where inode allocation itself is the floor they
//! gain little (see [`super::extract`]'s `FILE_WRITERS`). The extractor
//! still decides everything in order — where an entry goes, conflicts,
//! warnings, who owns a path — and hands only the writing of a complete
//! small file (create, write, mode, mtime) to the pool. What the result
//! depends on stays sequential:
//! - a file goes to the thread its path hashes to, so two writes of one
//!   path (a conflict, "last wins") happen in order;
//! - a path handed over stays *pending* until [`FilePool::wait`]; the
//!   extractor waits before it looks at, or puts anything else at, a
//!   pending path (a directory, a symlink, a hard link to it, a path
//!   through it);
//! - a failure is reported with the entry it was about, and when several
//!   fail, the earliest in extraction order wins.

use std::collections::HashSet;
use std::hash::BuildHasher;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender, SyncSender};
use std::thread::JoinHandle;
use std::time::SystemTime;

use super::disk::create_file;
use super::extract::ExtractError;

/// Files each thread may have waiting: with files of at most
/// [`super::pipeline::CHUNK`] bytes, the pool holds at most
/// threads × this × 128 KiB of data.
const QUEUE: usize = 8;

/// One complete file to write.
pub(super) struct FileJob {
    /// Where it goes (its parent directory exists).
    pub target: PathBuf,
    /// All its bytes.
    pub data: Vec<u8>,
    /// The mode to set (setuid/setgid already dropped).
    pub mode: u32,
    /// The modification time to set.
    pub mtime: SystemTime,
    /// The package, for the error message.
    pub package: String,
    /// The entry as stored, for the error message.
    pub entry: String,
}

enum Task {
    Write(u64, FileJob),
    /// Answer on the sender once every task before this one is done.
    Flush(Sender<()>),
}

/// The writer threads and what was handed to them since the last wait.
pub(super) struct FilePool {
    senders: Vec<SyncSender<Task>>,
    threads: Vec<JoinHandle<()>>,
    failures: Receiver<(u64, ExtractError)>,
    pending: HashSet<PathBuf>,
    hasher: std::hash::RandomState,
    seq: u64,
}

impl FilePool {
    /// A pool of `threads` writer threads.
    pub(super) fn new(threads: usize) -> std::io::Result<Self> {
        let (failed, failures) = channel();
        let mut senders = Vec::new();
        let mut handles = Vec::new();
        for k in 0..threads.max(1) {
            let (tx, rx) = sync_channel::<Task>(QUEUE);
            let failed = failed.clone();
            let handle = std::thread::Builder::new()
                .name(format!("file-writer-{k}"))
                .spawn(move || {
                    for task in rx {
                        match task {
                            Task::Write(seq, job) => {
                                if let Err(e) = write(&job) {
                                    let _ = failed.send((seq, e));
                                }
                            }
                            Task::Flush(done) => {
                                let _ = done.send(());
                            }
                        }
                    }
                })?;
            senders.push(tx);
            handles.push(handle);
        }
        Ok(Self {
            senders,
            threads: handles,
            failures,
            pending: HashSet::new(),
            hasher: std::hash::RandomState::new(),
            seq: 0,
        })
    }

    /// Whether a file for `path` was handed over and may not be written yet.
    pub(super) fn is_pending(&self, path: &Path) -> bool {
        self.pending.contains(path)
    }

    /// Whether anything was handed over since the last wait.
    pub(super) fn any_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Hands `job` to the thread its path belongs to. A failure of an
    /// earlier file is returned (after waiting for the rest) instead.
    pub(super) fn submit(&mut self, job: FileJob) -> Result<(), ExtractError> {
        if let Ok(failure) = self.failures.try_recv() {
            return self.wait_with(Some(failure));
        }
        self.seq += 1;
        let k = (self.hasher.hash_one(&job.target) % self.senders.len() as u64) as usize;
        self.pending.insert(job.target.clone());
        // A thread that is gone panicked; `wait` re-raises its panic.
        if self.senders[k].send(Task::Write(self.seq, job)).is_err() {
            return self.wait();
        }
        Ok(())
    }

    /// Waits until every file handed over is written; returns the
    /// earliest failure among them.
    pub(super) fn wait(&mut self) -> Result<(), ExtractError> {
        self.wait_with(None)
    }

    fn wait_with(&mut self, first: Option<(u64, ExtractError)>) -> Result<(), ExtractError> {
        let (done, answers) = channel();
        let mut asked = 0;
        for s in &self.senders {
            if s.send(Task::Flush(done.clone())).is_ok() {
                asked += 1;
            }
        }
        drop(done);
        if answers.iter().take(asked).count() < self.senders.len() {
            self.rejoin();
        }
        self.pending.clear();
        let earliest = first
            .into_iter()
            .chain(self.failures.try_iter())
            .min_by_key(|(seq, _)| *seq);
        match earliest {
            Some((_, e)) => Err(e),
            None => Ok(()),
        }
    }

    /// Joins the threads, re-raising a panic of one of them.
    fn rejoin(&mut self) {
        self.senders.clear();
        for t in self.threads.drain(..) {
            if let Err(panic) = t.join() {
                std::panic::resume_unwind(panic);
            }
        }
    }
}

impl Drop for FilePool {
    fn drop(&mut self) {
        self.senders.clear();
        for t in self.threads.drain(..) {
            // A panic was re-raised by `wait` already, or the extractor is
            // being dropped while unwinding: do not panic twice.
            let _ = t.join();
        }
    }
}

impl std::fmt::Debug for FilePool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FilePool")
            .field("threads", &self.senders.len())
            .field("pending", &self.pending.len())
            .finish()
    }
}

/// Creates the file (replacing a file or symlink there), writes it, sets
/// its mode and time: what the extractor does for a file itself.
fn write(job: &FileJob) -> Result<(), ExtractError> {
    let io = |e: std::io::Error| ExtractError::Io {
        package: job.package.clone(),
        entry: job.entry.clone(),
        reason: crate::error::describe_io(&e),
    };
    let mut file = create_file(&job.target).map_err(io)?;
    file.write_all(&job.data).map_err(io)?;
    file.set_permissions(std::fs::Permissions::from_mode(job.mode))
        .map_err(io)?;
    file.set_modified(job.mtime).map_err(io)
}
