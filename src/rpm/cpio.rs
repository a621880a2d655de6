//! The cpio "newc" archives in RPM payloads (`070701`, `070702`), read one
//! entry at a time, with rpm's stripped entries (`07070X`, see
//! [`super::stripped`]) among them when the header lists the files. Also
//! the stream OBS answers `view=cpioheaders` with.

use std::io::Read;

use super::stripped::StrippedEntries;
use super::{Error, HeaderFile};

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

const TRAILER: &str = "TRAILER!!!";
/// Longest name accepted (PATH_MAX).
pub const MAX_NAME: u64 = 4096;

/// `S_IFMT`: the file-type bits of a mode
pub const S_IFMT: u32 = 0o170000;
/// `S_IFREG`: a regular file
pub const S_IFREG: u32 = 0o100000;
/// `S_IFDIR`: a directory
pub const S_IFDIR: u32 = 0o040000;
/// `S_IFLNK`: a symbolic link
pub const S_IFLNK: u32 = 0o120000;
/// `S_IFCHR`: a character device
pub const S_IFCHR: u32 = 0o020000;
/// `S_IFBLK`: a block device
pub const S_IFBLK: u32 = 0o060000;
/// `S_IFIFO`: a fifo
pub const S_IFIFO: u32 = 0o010000;

/// Calls `visit` for each entry of the newc archive in `r`, in order.
///
/// Hard links: newc stores the data once, with the last of the entries
/// sharing an inode; earlier ones (size 0) are reported as hard links to
/// that last path, after it, so a consumer can create the file first.
/// `files` is the header's file list, which stripped entries refer to
/// (empty when the package has none).
///
/// `visit`'s error type `E` is the caller's; the archive's own faults
/// become an `E` through `From<Error>`.
pub fn for_each_entry<E: From<Error>>(
    package: &str,
    r: &mut dyn Read,
    files: &[HeaderFile],
    visit: &mut dyn FnMut(Entry<'_>) -> Result<(), E>,
) -> Result<(), E> {
    let mut stripped = StrippedEntries::new(files);
    let mut pending_links: Vec<(u64, String, u32, i64)> = Vec::new();
    let mut offset: u64 = 0;
    let mut last = String::from("the start of the payload");
    loop {
        let corrupt = |reason: String, entry: &str| {
            E::from(Error::Corrupt {
                source_name: package.to_owned(),
                entry: entry.to_owned(),
                reason,
            })
        };
        let mut head = [0u8; 110];
        read_all(r, &mut head[..6]).map_err(|e| corrupt(e, &format!("the entry after {last}")))?;
        offset += 6;
        let magic = &head[..6];
        if magic == b"07070X" {
            if files.is_empty() {
                return Err(E::from(Error::Unsupported {
                    source_name: package.to_owned(),
                    what: "payload format",
                    value: "rpm's large-file cpio (07070X) without a file list in the header"
                        .into(),
                }));
            }
            last = stripped.entry(package, r, &mut offset, visit)?;
            continue;
        }
        if magic != b"070701" && magic != b"070702" {
            return Err(corrupt(
                format!("no cpio newc magic at byte {}", offset - 6),
                &format!("the entry after {last}"),
            ));
        }
        read_all(r, &mut head[6..]).map_err(|e| corrupt(e, &format!("the entry after {last}")))?;
        offset += 104;
        let field = |i: usize| -> Result<u64, E> {
            let text = std::str::from_utf8(&head[6 + i * 8..14 + i * 8]).unwrap_or("");
            u64::from_str_radix(text, 16).map_err(|_| {
                corrupt(
                    format!("bad cpio header field {text:?}"),
                    &format!("the entry after {last}"),
                )
            })
        };
        let ino = field(0)?;
        let mode = field(1)? as u32;
        let nlink = field(4)?;
        let mtime = field(5)? as i64;
        let size = field(6)?;
        let name_size = field(11)?;
        if name_size == 0 || name_size > MAX_NAME {
            return Err(corrupt(
                format!("name length {name_size}"),
                &format!("the entry after {last}"),
            ));
        }
        let mut name = vec![0u8; name_size as usize];
        read_all(r, &mut name).map_err(|e| corrupt(e, &format!("the entry after {last}")))?;
        offset += name_size;
        skip(r, pad4(offset)).map_err(|e| corrupt(e, &format!("the entry after {last}")))?;
        offset += pad4(offset);
        name.pop(); // the NUL
        let path = String::from_utf8_lossy(&name).into_owned();
        if path == TRAILER {
            stripped.finish(visit)?;
            // Groups whose names all came without data: empty files.
            while let Some(&(ino, ..)) = pending_links.first() {
                emit_empty_group(&mut pending_links, ino, visit)?;
            }
            return Ok(());
        }
        let perm = mode & 0o7777;
        let kind = match mode & S_IFMT {
            S_IFREG if nlink > 1 && size == 0 => {
                // Data comes with a later entry of the same inode, unless
                // the file is empty: then every name has size 0.
                pending_links.push((ino, path.clone(), perm, mtime));
                if pending_links.iter().filter(|(i, ..)| *i == ino).count() as u64 >= nlink {
                    emit_empty_group(&mut pending_links, ino, visit)?;
                }
                last = path;
                continue;
            }
            S_IFREG => EntryKind::File { size },
            S_IFDIR => EntryKind::Directory,
            S_IFLNK => {
                if size > MAX_NAME {
                    return Err(corrupt(format!("link target length {size}"), &path));
                }
                let mut target = vec![0u8; size as usize];
                read_all(r, &mut target).map_err(|e| corrupt(e, &path))?;
                offset += size;
                skip(r, pad4(offset)).map_err(|e| corrupt(e, &path))?;
                offset += pad4(offset);
                EntryKind::Symlink {
                    target: String::from_utf8_lossy(&target).into_owned(),
                }
            }
            S_IFCHR | S_IFBLK => EntryKind::Device,
            S_IFIFO => EntryKind::Fifo,
            _ => EntryKind::Other,
        };
        let data_size = if matches!(kind, EntryKind::File { .. }) {
            size
        } else {
            0
        };
        if !matches!(kind, EntryKind::Symlink { .. })
            && !matches!(kind, EntryKind::File { .. })
            && size > 0
        {
            skip(r, size).map_err(|e| corrupt(e, &path))?;
            offset += size;
            skip(r, pad4(offset)).map_err(|e| corrupt(e, &path))?;
            offset += pad4(offset);
        }
        let is_file = matches!(kind, EntryKind::File { .. });
        let mut take = (&mut *r).take(data_size);
        visit(Entry {
            path: path.clone(),
            kind,
            mode: perm,
            mtime,
            data: &mut take,
        })?;
        // Whatever the visitor did not read is skipped.
        let rest = take.limit();
        skip(r, rest).map_err(|e| corrupt(e, &path))?;
        if is_file {
            offset += data_size;
            skip(r, pad4(offset)).map_err(|e| corrupt(e, &path))?;
            offset += pad4(offset);
            let links: Vec<_> = pending_links
                .iter()
                .filter(|(i, ..)| *i == ino)
                .cloned()
                .collect();
            pending_links.retain(|(i, ..)| *i != ino);
            for (_, link, perm, mtime) in links {
                visit(Entry {
                    path: link,
                    kind: EntryKind::HardLink {
                        target: path.clone(),
                    },
                    mode: perm,
                    mtime,
                    data: &mut std::io::empty(),
                })?;
            }
        }
        last = path;
    }
}

/// Reports a hard-link group without data: the first name as an empty
/// file, the others as links to it.
fn emit_empty_group<E>(
    pending: &mut Vec<(u64, String, u32, i64)>,
    ino: u64,
    visit: &mut dyn FnMut(Entry<'_>) -> Result<(), E>,
) -> Result<(), E> {
    let group: Vec<_> = pending
        .iter()
        .filter(|(i, ..)| *i == ino)
        .cloned()
        .collect();
    pending.retain(|(i, ..)| *i != ino);
    let Some((_, first, perm, mtime)) = group.first().cloned() else {
        return Ok(());
    };
    visit(Entry {
        path: first.clone(),
        kind: EntryKind::File { size: 0 },
        mode: perm,
        mtime,
        data: &mut std::io::empty(),
    })?;
    for (_, link, perm, mtime) in group.into_iter().skip(1) {
        visit(Entry {
            path: link,
            kind: EntryKind::HardLink {
                target: first.clone(),
            },
            mode: perm,
            mtime,
            data: &mut std::io::empty(),
        })?;
    }
    Ok(())
}

/// Padding after `offset` bytes to the next multiple of 4.
pub(crate) fn pad4(offset: u64) -> u64 {
    (4 - offset % 4) % 4
}

pub(crate) fn read_all(r: &mut dyn Read, buf: &mut [u8]) -> Result<(), String> {
    r.read_exact(buf).map_err(|e| match e.kind() {
        std::io::ErrorKind::UnexpectedEof => "the payload ends here".to_owned(),
        _ => e.to_string(),
    })
}

pub(crate) fn skip(r: &mut dyn Read, n: u64) -> Result<(), String> {
    let copied = std::io::copy(&mut r.take(n), &mut std::io::sink()).map_err(|e| e.to_string())?;
    if copied == n {
        Ok(())
    } else {
        Err("the payload ends here".to_owned())
    }
}
