//! What a package payload holds: entries with their metadata, and the
//! errors reading a package can give.

use std::io::Read;

/// The kind of a payload entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryKind {
    /// A regular file of this many bytes (its data follows).
    File {
        /// Size in bytes.
        size: u64,
    },
    /// A directory.
    Directory,
    /// A symbolic link.
    Symlink {
        /// Where it points, as stored.
        target: String,
    },
    /// A hard link to an earlier entry of the same package.
    HardLink {
        /// The path it links to, as stored.
        target: String,
    },
    /// A character or block device (never extracted).
    Device,
    /// A FIFO (never extracted).
    Fifo,
    /// A socket or anything else (never extracted).
    Other,
}

/// One entry of a payload; for a file, `data` reads exactly its bytes.
pub struct Entry<'a> {
    /// The path as stored (may start with `./` or `/`).
    pub path: String,
    /// What it is.
    pub kind: EntryKind,
    /// Permission bits (with setuid/setgid/sticky), without the file type.
    pub mode: u32,
    /// Modification time, seconds since the epoch.
    pub mtime: i64,
    /// The entry's data (empty unless a regular file).
    pub data: &'a mut dyn Read,
}

/// Why a package could not be read; names the package and, when it is
/// about one, the entry.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PackageError {
    /// Not an RPM or deb at all.
    #[error("{package}: not an {format} package: {reason}")]
    NotAPackage {
        /// The file.
        package: String,
        /// `RPM` or `deb`.
        format: &'static str,
        /// Why.
        reason: String,
    },
    /// The payload uses something venvjail cannot read.
    #[error("{package}: unsupported {what} '{value}'")]
    Unsupported {
        /// The file.
        package: String,
        /// What is unsupported (`payload compressor`).
        what: &'static str,
        /// Its value.
        value: String,
    },
    /// The package ends or breaks in the middle.
    #[error("{package}: corrupt or truncated payload at {entry}: {reason}")]
    Corrupt {
        /// The file.
        package: String,
        /// The entry being read (or `header`).
        entry: String,
        /// Why.
        reason: String,
    },
}
