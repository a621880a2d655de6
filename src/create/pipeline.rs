//! Packages extracted on every core: reader threads (one per core) parse
//! and decompress different packages at the same time and hand their
//! entries over in bounded chunks; the calling thread, the only writer,
//! writes them through the [`Extractor`] in the packages' order.
//!
//! Decompression and the file system overlap, and the payloads of
//! different packages decompress in parallel, while the extraction order
//! (and so conflicts and "last wins") stays exactly sequential.
//! Entries travel in batches (up to 256 KiB of data or 64 messages), so
//! the threads hand over once per batch rather than once per file. Memory
//! stays bounded: at most [`DEPTH`] batches are in flight, whatever the
//! file or package size, and chunk buffers are recycled rather than
//! allocated per entry.

use std::io::Read;
use std::path::Path;
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender, SyncSender};

use super::entry::{Entry, EntryKind, PackageError};
use super::extract::{ExtractError, Extractor};
use super::package::{read_package, PackageInfo};

/// Bytes of file data per message.
pub const CHUNK: usize = 128 * 1024;
/// Batches in flight between the threads.
pub const DEPTH: usize = 8;
/// A batch is sent when it holds this many bytes of file data…
const BATCH_BYTES: usize = 256 * 1024;
/// …or this many messages: small entries travel together, so the threads
/// wake each other once per batch, not once per file.
const BATCH_MESSAGES: usize = 64;

/// Why a package could not be extracted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExtractPackageError {
    /// Reading the package failed (it wins over a write error it caused).
    #[error(transparent)]
    Read(#[from] PackageError),
    /// Writing an entry failed.
    #[error(transparent)]
    Extract(#[from] ExtractError),
}

/// How a piece of file data ends.
enum End {
    /// More data of this entry follows.
    More,
    /// The entry's data is complete.
    Done,
    /// Reading the data failed here.
    Broken(String),
}

/// A piece of one entry's data.
struct Piece {
    data: Vec<u8>,
    end: End,
}

/// What the reader thread sends.
enum Message {
    /// A new entry with its first piece of data.
    Entry {
        path: String,
        kind: EntryKind,
        mode: u32,
        mtime: i64,
        first: Piece,
    },
    /// The next piece of the current entry's data.
    Chunk(Piece),
    /// The package of this index was read to its end (or failed).
    Done(Result<PackageInfo, PackageError>),
}

/// One package to extract: its file and the name messages use.
#[derive(Debug, Clone, Copy)]
pub struct Job<'a> {
    /// The package file.
    pub path: &'a Path,
    /// The package name (for conflicts and messages).
    pub name: &'a str,
}

/// Extracts `jobs` in order into `extractor`'s destination.
///
/// One reader per core (at most one per job) decompresses packages, each
/// taking the next package in order, so the payloads of different packages
/// are decompressed in parallel while the single writer (the calling
/// thread) applies their entries in exactly the jobs' order: conflicts,
/// "last wins" and every message are those of a sequential run. Each
/// package has its own bounded channel of [`DEPTH`] batches, so a reader
/// ahead of the writer waits once it has read that far: memory stays
/// bounded by readers × [`DEPTH`] batches, whatever the file or package
/// size. `started(i)` is called when job `i`'s first entry is written (or
/// when it turns out empty), `done(i, info)` when it is complete. Stops at
/// the first failure, which names its package.
pub fn extract_packages(
    jobs: &[Job<'_>],
    extractor: &mut Extractor,
    started: &mut dyn FnMut(usize),
    done: &mut dyn FnMut(usize, PackageInfo),
) -> Result<(), ExtractPackageError> {
    let readers = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .min(jobs.len())
        .max(1);
    extract_with_readers(jobs, readers, extractor, started, done)
}

/// [`extract_packages`] with `readers` reader threads.
pub fn extract_with_readers(
    jobs: &[Job<'_>],
    readers: usize,
    extractor: &mut Extractor,
    started: &mut dyn FnMut(usize),
    done: &mut dyn FnMut(usize, PackageInfo),
) -> Result<(), ExtractPackageError> {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let (senders, receivers): (Vec<_>, Vec<_>) = jobs
        .iter()
        .map(|_| {
            let (tx, rx) = sync_channel::<Vec<Message>>(DEPTH);
            (Some(tx), rx)
        })
        .unzip();
    // A reader takes a job's sender and drops it when done (or when it
    // panics), so the writer never waits on a channel nobody feeds.
    let senders = std::sync::Mutex::new(senders);
    let (recycle, spare) = channel::<Vec<u8>>();
    let spare = std::sync::Mutex::new(spare);
    let stop = AtomicBool::new(false);
    let next_job = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        let (stop, next_job, senders, spare) = (&stop, &next_job, &senders, &spare);
        let workers: Vec<_> = (0..readers.max(1))
            .map(|_| {
                scope.spawn(move || loop {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    // Jobs are taken in order, so the one the writer waits
                    // for is always being read by a reader that waits only
                    // for the writer.
                    let i = next_job.fetch_add(1, Ordering::Relaxed);
                    let tx = senders
                        .lock()
                        .ok()
                        .and_then(|mut s| s.get_mut(i).and_then(Option::take));
                    let (Some(job), Some(tx)) = (jobs.get(i), tx) else {
                        break;
                    };
                    let mut out = Outbox {
                        tx: &tx,
                        batch: Vec::new(),
                        bytes: 0,
                    };
                    let result = read_into(job.path, &mut out, spare, stop);
                    let failed = result.is_err();
                    if !out.push(Message::Done(result)) || !out.flush() || failed {
                        break;
                    }
                })
            })
            .collect();
        let mut outcome = Ok(());
        for (i, rx) in receivers.into_iter().enumerate() {
            let mut inbox = Inbox {
                rx,
                queue: std::collections::VecDeque::new(),
            };
            match write_one(i, jobs, &mut inbox, &recycle, extractor, started, done) {
                Ok(()) => {}
                Err(e) => {
                    outcome = Err(e);
                    break;
                }
            }
        }
        // Every file is on disk before the caller looks at the tree. A file
        // the writer threads could not write came before (in extraction
        // order) whatever failed after it, except a corrupt payload.
        outcome = match (outcome, extractor.flush()) {
            (Err(ExtractPackageError::Read(e)), _) => Err(ExtractPackageError::Read(e)),
            (_, Err(e)) => Err(ExtractPackageError::Extract(e)),
            (outcome, Ok(())) => outcome,
        };
        if outcome.is_err() {
            // The readers see the flag, or a closed channel once the
            // receivers are dropped here, and end.
            stop.store(true, Ordering::Relaxed);
        }
        for worker in workers {
            if let Err(panic) = worker.join() {
                std::panic::resume_unwind(panic);
            }
        }
        outcome
    })
}

/// Writes job `i`'s entries as they arrive on `inbox`, up to its `Done`.
fn write_one(
    i: usize,
    jobs: &[Job<'_>],
    inbox: &mut Inbox,
    recycle: &Sender<Vec<u8>>,
    extractor: &mut Extractor,
    started: &mut dyn FnMut(usize),
    done: &mut dyn FnMut(usize, PackageInfo),
) -> Result<(), ExtractPackageError> {
    let mut announced = false;
    let mut failure = None;
    let name = jobs.get(i).map_or("", |j| j.name);
    while let Some(message) = inbox.next() {
        let (path, kind, mode, mtime, first) = match message {
            Message::Entry {
                path,
                kind,
                mode,
                mtime,
                first,
            } => (path, kind, mode, mtime, first),
            Message::Chunk(_) => continue, // of an entry already drained
            Message::Done(result) => {
                if !announced {
                    started(i);
                }
                // A read error wins over the write error it caused.
                return match (result, failure) {
                    (Err(e), _) => Err(ExtractPackageError::Read(e)),
                    (Ok(_), Some(e)) => Err(ExtractPackageError::Extract(e)),
                    (Ok(info), None) => {
                        done(i, info);
                        Ok(())
                    }
                };
            }
        };
        if !announced {
            started(i);
            announced = true;
        }
        let mut data = PieceReader {
            inbox: &mut *inbox,
            recycle,
            piece: first,
            pos: 0,
        };
        if failure.is_none() {
            let entry = Entry {
                path,
                kind,
                mode,
                mtime,
                data: &mut data,
            };
            // After a failure the rest of the package is still read, so
            // that a corrupt payload is reported as such.
            if let Err(e) = extractor.extract(name, entry) {
                failure = Some(e);
            }
        }
        data.drain();
    }
    // The reader ended without a `Done`: it panicked, and its join says so.
    Ok(())
}

/// The reader thread: every entry of the package, sent in pieces.
fn read_into(
    path: &Path,
    out: &mut Outbox<'_>,
    spare: &std::sync::Mutex<Receiver<Vec<u8>>>,
    stop: &std::sync::atomic::AtomicBool,
) -> Result<PackageInfo, PackageError> {
    let spare = || spare.lock().ok().and_then(|s| s.try_recv().ok());
    read_package(path, &mut |_, entry| {
        if stop.load(std::sync::atomic::Ordering::Relaxed) {
            // The writer failed: what is left is not written anyway.
            return Ok(());
        }
        // Small files get a buffer of their size from the allocator; large
        // ones share recycled chunk buffers (a fresh 128 KiB buffer would
        // be an mmap and munmap per file).
        let buffer = |size: u64| match usize::try_from(size) {
            Ok(small) if small < CHUNK => Vec::with_capacity(small),
            _ => spare().unwrap_or_else(|| Vec::with_capacity(CHUNK)),
        };
        let size = match entry.kind {
            EntryKind::File { size } => Some(size),
            _ => None,
        };
        let first = if let Some(size) = size {
            fill(buffer(size), entry.data)
        } else {
            Piece {
                data: Vec::new(),
                end: End::Done,
            }
        };
        let mut more = matches!(first.end, End::More);
        let sent = out.push(Message::Entry {
            path: entry.path,
            kind: entry.kind,
            mode: entry.mode,
            mtime: entry.mtime,
            first,
        });
        while more && sent {
            let piece = fill(buffer(u64::MAX), entry.data);
            more = matches!(piece.end, End::More);
            if !out.push(Message::Chunk(piece)) {
                break;
            }
        }
        // A closed channel means the writer is gone (it panicked); the
        // panic is what gets reported.
        Ok(())
    })
}

/// Reads up to [`CHUNK`] bytes of `data` into `buf` (whose spare capacity
/// is filled without zeroing it first; it grows only if the entry holds
/// more than its stated size).
fn fill(mut buf: Vec<u8>, data: &mut dyn Read) -> Piece {
    buf.clear();
    let end = match data.take(CHUNK as u64).read_to_end(&mut buf) {
        Ok(_) if buf.len() == CHUNK => End::More,
        Ok(_) => End::Done,
        Err(e) => End::Broken(e.to_string()),
    };
    Piece { data: buf, end }
}

/// The reader's side of the channel: messages gathered into batches.
struct Outbox<'a> {
    tx: &'a SyncSender<Vec<Message>>,
    batch: Vec<Message>,
    bytes: usize,
}

impl Outbox<'_> {
    /// Adds a message, sending the batch when it is full; false when the
    /// writer is gone.
    fn push(&mut self, message: Message) -> bool {
        self.bytes += match &message {
            Message::Entry { first, .. } => first.data.len(),
            Message::Chunk(piece) => piece.data.len(),
            Message::Done(_) => 0,
        };
        self.batch.push(message);
        if self.bytes >= BATCH_BYTES || self.batch.len() >= BATCH_MESSAGES {
            self.flush()
        } else {
            true
        }
    }

    /// Sends what is gathered; false when the writer is gone.
    fn flush(&mut self) -> bool {
        self.bytes = 0;
        if self.batch.is_empty() {
            return true;
        }
        self.tx.send(std::mem::take(&mut self.batch)).is_ok()
    }
}

/// The writer's side: batches unpacked into messages.
struct Inbox {
    rx: Receiver<Vec<Message>>,
    queue: std::collections::VecDeque<Message>,
}

impl Inbox {
    /// The next message, waiting for a batch when none is left.
    fn next(&mut self) -> Option<Message> {
        loop {
            if let Some(m) = self.queue.pop_front() {
                return Some(m);
            }
            self.queue.extend(self.rx.recv().ok()?);
        }
    }
}

/// The writer's view of one entry's data: the pieces as they arrive.
struct PieceReader<'a> {
    inbox: &'a mut Inbox,
    recycle: &'a Sender<Vec<u8>>,
    piece: Piece,
    pos: usize,
}

impl PieceReader<'_> {
    /// Takes the next piece; false when the entry has no more.
    fn advance(&mut self) -> std::io::Result<bool> {
        match &self.piece.end {
            End::Done => return Ok(false),
            End::Broken(reason) => return Err(std::io::Error::other(reason.clone())),
            End::More => {}
        }
        match self.inbox.next() {
            Some(Message::Chunk(next)) => {
                let old = std::mem::replace(&mut self.piece, next);
                let _ = self.recycle.send(old.data);
                self.pos = 0;
                Ok(true)
            }
            _ => Err(std::io::ErrorKind::UnexpectedEof.into()),
        }
    }

    /// Skips whatever the extractor did not read.
    fn drain(&mut self) {
        self.pos = self.piece.data.len();
        while let Ok(true) = self.advance() {
            self.pos = self.piece.data.len();
        }
        let data = std::mem::take(&mut self.piece.data);
        if data.capacity() >= CHUNK {
            let _ = self.recycle.send(data);
        }
    }
}

impl Read for PieceReader<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.pos == self.piece.data.len() {
            if !self.advance()? {
                return Ok(0);
            }
        }
        let n = out.len().min(self.piece.data.len() - self.pos);
        out[..n].copy_from_slice(&self.piece.data[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}
