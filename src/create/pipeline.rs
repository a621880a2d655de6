//! One package extracted on two threads: a reader thread parses and
//! decompresses the package and hands its entries over in bounded chunks,
//! the calling thread writes them through the [`Extractor`].
//!
//! Decompression is about a third of the work and the file system the
//! rest, so overlapping them is the cheapest speed-up that keeps the
//! extraction order (and so conflicts and "last wins") exactly sequential.
//! Memory stays bounded: at most [`DEPTH`] chunks of [`CHUNK`] bytes are in
//! flight, whatever the file or package size, and chunk buffers are
//! recycled rather than allocated per entry.

use std::io::Read;
use std::path::Path;
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender};

use super::entry::{Entry, EntryKind, PackageError};
use super::extract::{ExtractError, Extractor};
use super::package::{read_package, PackageInfo};

/// Bytes of file data per message.
pub const CHUNK: usize = 128 * 1024;
/// Messages in flight between the threads.
pub const DEPTH: usize = 32;

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
}

/// Extracts the package at `path` as `package` into `extractor`'s
/// destination, entry by entry in payload order.
pub fn extract_package(
    path: &Path,
    package: &str,
    extractor: &mut Extractor,
) -> Result<PackageInfo, ExtractPackageError> {
    let (tx, rx) = sync_channel::<Message>(DEPTH);
    let (recycle, spare) = channel::<Vec<u8>>();
    std::thread::scope(|scope| {
        let reader = scope.spawn(move || read_into(path, &tx, &spare));
        let mut failure = None;
        while let Ok(message) = rx.recv() {
            let Message::Entry {
                path,
                kind,
                mode,
                mtime,
                first,
            } = message
            else {
                continue; // chunks of an entry already drained
            };
            let mut data = PieceReader {
                rx: &rx,
                recycle: &recycle,
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
                // After a failure the rest is still read, so that a
                // corrupt payload is reported as such, as it would be
                // without the thread.
                if let Err(e) = extractor.extract(package, entry) {
                    failure = Some(e);
                }
            }
            data.drain();
        }
        let read = match reader.join() {
            Ok(result) => result,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        let info = read?;
        match failure {
            Some(e) => Err(e.into()),
            None => Ok(info),
        }
    })
}

/// The reader thread: every entry of the package, sent in pieces.
fn read_into(
    path: &Path,
    tx: &std::sync::mpsc::SyncSender<Message>,
    spare: &Receiver<Vec<u8>>,
) -> Result<PackageInfo, PackageError> {
    read_package(path, &mut |_, entry| {
        // Small files get a buffer of their size from the allocator; large
        // ones share recycled chunk buffers (a fresh 128 KiB buffer would
        // be an mmap and munmap per file).
        let buffer = |size: u64| match usize::try_from(size) {
            Ok(small) if small < CHUNK => Vec::with_capacity(small),
            _ => spare
                .try_recv()
                .unwrap_or_else(|_| Vec::with_capacity(CHUNK)),
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
        let sent = tx.send(Message::Entry {
            path: entry.path,
            kind: entry.kind,
            mode: entry.mode,
            mtime: entry.mtime,
            first,
        });
        while more && sent.is_ok() {
            let piece = fill(buffer(u64::MAX), entry.data);
            more = matches!(piece.end, End::More);
            if tx.send(Message::Chunk(piece)).is_err() {
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

/// The writer's view of one entry's data: the pieces as they arrive.
struct PieceReader<'a> {
    rx: &'a Receiver<Message>,
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
        match self.rx.recv() {
            Ok(Message::Chunk(next)) => {
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
