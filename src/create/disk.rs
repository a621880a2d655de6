//! How an entry's bytes land on disk: created without ever writing
//! through what is already there, copied with runs of zeros left as holes.

use std::io::Write;
use std::path::Path;

/// Runs `make` on `path`; when something is already there, removes it
/// (unless it is a directory) and runs `make` again. Trying first saves a
/// `stat` per entry on a fresh tree.
pub(super) fn replacing<T>(
    path: &Path,
    make: impl Fn(&Path) -> std::io::Result<T>,
) -> std::io::Result<T> {
    match make(path) {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            if std::fs::symlink_metadata(path)?.is_dir() {
                return Err(std::io::Error::other(format!(
                    "{} is a directory",
                    path.display()
                )));
            }
            std::fs::remove_file(path)?;
            make(path)
        }
        result => result,
    }
}

/// A new file at `path`, replacing a file or symlink there (never writing
/// through it, as `cpio --unconditional`).
pub(super) fn create_file(path: &Path) -> std::io::Result<std::fs::File> {
    replacing(path, |p| {
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(p)
    })
}

/// Where copying failed.
pub(super) enum Copy {
    /// Reading the entry's data failed (a corrupt or truncated payload).
    Read(std::io::Error),
    /// Writing the file failed.
    Write(std::io::Error),
}

/// What a hole reads as (compared with `memcmp`, fast in any build).
static ZEROS: [u8; super::pipeline::CHUNK] = [0; super::pipeline::CHUNK];

/// Copies `data` to `file` through `buf`, updating `crc`; returns the bytes.
///
/// A whole buffer of zeros becomes a hole (a seek) instead of a write, as
/// `cpio --sparse` and `tar -S` do: the content reads the same, and a
/// 4 GiB file of zeros (rpm's large-file packages) costs neither the
/// writes nor the disk. Text and code rarely hold 128 KiB of zeros, and
/// the check stops at the first non-zero byte.
pub(super) fn copy(
    data: &mut dyn std::io::Read,
    file: &mut std::fs::File,
    buf: &mut [u8],
    crc: &mut flate2::Crc,
) -> Result<u64, Copy> {
    use std::io::{Seek, SeekFrom};
    let mut total = 0u64;
    let mut holes = false;
    loop {
        let n = match data.read(buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Copy::Read(e)),
        };
        let chunk = &buf[..n];
        crc.update(chunk);
        if n == buf.len() && ZEROS.get(..n) == Some(chunk) {
            file.seek(SeekFrom::Current(n as i64))
                .map_err(Copy::Write)?;
            holes = true;
        } else {
            file.write_all(chunk).map_err(Copy::Write)?;
        }
        total += n as u64;
    }
    if holes {
        // A hole at the end is only a seek: the length makes it real.
        file.set_len(total).map_err(Copy::Write)?;
    }
    Ok(total)
}
