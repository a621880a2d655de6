//! rpm's "stripped" cpio entries (`07070X`), written by rpm ≥ 4.12 for
//! packages with a file of 4 GiB or more (`rpmlib(LargeFiles)`).
//!
//! Such an entry holds only the magic and the file's index in the main
//! header (`07070X` + 8 hex digits, padded to 4 bytes), then the data
//! padded to 4 bytes; path, mode, size, mtime and symlink target come from
//! the header's file list ([`HeaderFile`]). As in newc, a hard-link set's
//! data travels once, with the member of highest index, and rpm writes the
//! sets last; members seen before the data are reported as hard links
//! right after it. The archive still ends with a newc `TRAILER!!!`.

use std::collections::HashMap;
use std::io::Read;

use super::cpio::{
    pad4, read_all, skip, Entry, EntryKind, MAX_NAME, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK,
    S_IFMT, S_IFREG,
};
use super::{Error, HeaderFile};

/// Reads stripped entries against the header's file list.
pub struct StrippedEntries<'a> {
    files: &'a [HeaderFile],
    /// For each file index, the index that carries its hard-link set's
    /// data (itself for files outside a set).
    data_at: Vec<usize>,
    /// Members seen before their set's data, keyed by the data index.
    waiting: HashMap<usize, Vec<usize>>,
    /// Data indexes already extracted.
    written: Vec<bool>,
}

impl<'a> StrippedEntries<'a> {
    /// A reader for a package whose header lists `files`.
    pub fn new(files: &'a [HeaderFile]) -> Self {
        // Hard links: regular, non-ghost files sharing (device, inode),
        // as rpm groups them; the highest index holds the data.
        let mut last: HashMap<(u32, u32), usize> = HashMap::new();
        for (i, f) in files.iter().enumerate() {
            if f.mode & S_IFMT == S_IFREG && !f.ghost && f.dev_ino.1 != 0 {
                last.insert(f.dev_ino, i);
            }
        }
        let data_at = files
            .iter()
            .enumerate()
            .map(|(i, f)| match last.get(&f.dev_ino) {
                Some(&l) if f.mode & S_IFMT == S_IFREG && !f.ghost && f.dev_ino.1 != 0 => l,
                _ => i,
            })
            .collect();
        Self {
            files,
            data_at,
            waiting: HashMap::new(),
            written: vec![false; files.len()],
        }
    }

    /// Reads the rest of the entry whose magic was just read (at `offset`
    /// bytes into the payload, updated), reports it to `visit`, and returns
    /// its path.
    pub fn entry<E: From<Error>>(
        &mut self,
        package: &str,
        r: &mut dyn Read,
        offset: &mut u64,
        visit: &mut dyn FnMut(Entry<'_>) -> Result<(), E>,
    ) -> Result<String, E> {
        let corrupt = |reason: String, entry: &str| {
            E::from(Error::Corrupt {
                source_name: package.to_owned(),
                entry: entry.to_owned(),
                reason,
            })
        };
        let mut hex = [0u8; 8];
        read_all(r, &mut hex).map_err(|e| corrupt(e, "a large-file cpio entry"))?;
        *offset += 8;
        let text = std::str::from_utf8(&hex).unwrap_or("");
        let fx = usize::from_str_radix(text, 16).map_err(|_| {
            corrupt(
                format!("bad file index {text:?}"),
                "a large-file cpio entry",
            )
        })?;
        let f = self.files.get(fx).ok_or_else(|| {
            corrupt(
                format!(
                    "file index {fx} is not in the header's list of {} files",
                    self.files.len()
                ),
                "a large-file cpio entry",
            )
        })?;
        let path = f.path.as_str();
        skip(r, pad4(*offset)).map_err(|e| corrupt(e, path))?;
        *offset += pad4(*offset);
        let (perm, mtime) = (f.mode & 0o7777, f.mtime);
        let data_at = self.data_at[fx];
        let kind = match f.mode & S_IFMT {
            S_IFREG if data_at != fx => {
                // A hard link whose data comes (or came) with another name.
                if self.written[data_at] {
                    visit(link(f, &self.files[data_at].path, &mut std::io::empty()))?;
                } else {
                    self.waiting.entry(data_at).or_default().push(fx);
                }
                return Ok(f.path.clone());
            }
            S_IFREG => EntryKind::File { size: f.size },
            S_IFLNK => {
                // The data is the target again; the header's copy is used,
                // as rpm does.
                if f.size > MAX_NAME {
                    return Err(corrupt(format!("link target length {}", f.size), path));
                }
                EntryKind::Symlink {
                    target: f.link_to.clone(),
                }
            }
            S_IFDIR => EntryKind::Directory,
            _ => match f.mode & S_IFMT {
                S_IFCHR | S_IFBLK => EntryKind::Device,
                S_IFIFO => EntryKind::Fifo,
                _ => EntryKind::Other,
            },
        };
        let size = match kind {
            EntryKind::File { size } => size,
            EntryKind::Symlink { .. } => f.size,
            _ => 0,
        };
        let is_file = matches!(kind, EntryKind::File { .. });
        let mut take = (&mut *r).take(if is_file { size } else { 0 });
        visit(Entry {
            path: path.to_owned(),
            kind,
            mode: perm,
            mtime,
            data: &mut take,
        })?;
        let unread = take.limit() + if is_file { 0 } else { size };
        skip(r, unread).map_err(|e| corrupt(e, path))?;
        *offset += size;
        skip(r, pad4(*offset)).map_err(|e| corrupt(e, path))?;
        *offset += pad4(*offset);
        if is_file {
            self.written[fx] = true;
            for member in self.waiting.remove(&fx).unwrap_or_default() {
                visit(link(&self.files[member], path, &mut std::io::empty()))?;
            }
        }
        Ok(f.path.clone())
    }

    /// At the trailer: sets whose data never came are reported as an empty
    /// file and links to it (as newc does for empty hard-linked files).
    pub fn finish<E>(
        &mut self,
        visit: &mut dyn FnMut(Entry<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut sets: Vec<(usize, Vec<usize>)> = self.waiting.drain().collect();
        sets.sort();
        for (_, members) in sets {
            let Some((&first, rest)) = members.split_first() else {
                continue;
            };
            let f = &self.files[first];
            visit(Entry {
                path: f.path.clone(),
                kind: EntryKind::File { size: 0 },
                mode: f.mode & 0o7777,
                mtime: f.mtime,
                data: &mut std::io::empty(),
            })?;
            for &member in rest {
                visit(link(&self.files[member], &f.path, &mut std::io::empty()))?;
            }
        }
        Ok(())
    }
}

/// `f` as a hard link to `target`.
fn link<'e>(f: &HeaderFile, target: &str, empty: &'e mut std::io::Empty) -> Entry<'e> {
    Entry {
        path: f.path.clone(),
        kind: EntryKind::HardLink {
            target: target.to_owned(),
        },
        mode: f.mode & 0o7777,
        mtime: f.mtime,
        data: empty,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rpm::cpio::for_each_entry;

    fn file(path: &str, mode: u32, size: u64, ino: u32) -> HeaderFile {
        HeaderFile {
            path: path.into(),
            mode,
            size,
            mtime: 1_700_000_000,
            link_to: String::new(),
            dev_ino: (1, ino),
            ghost: false,
        }
    }

    fn stripped(fx: u32, data: &[u8]) -> Vec<u8> {
        let mut out = format!("07070X{fx:08x}").into_bytes();
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(data);
        while out.len() % 4 != 0 {
            out.push(0);
        }
        out
    }

    fn trailer() -> Vec<u8> {
        let mut out = b"070701".to_vec();
        for f in [0u32, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 11, 0] {
            out.extend_from_slice(format!("{f:08x}").as_bytes());
        }
        out.extend_from_slice(b"TRAILER!!!\0");
        while out.len() % 4 != 0 {
            out.push(0);
        }
        out
    }

    fn read(files: &[HeaderFile], payload: &[u8]) -> Result<Vec<String>, Error> {
        let mut seen = Vec::new();
        for_each_entry("p", &mut &payload[..], files, &mut |e| {
            let mut data = Vec::new();
            e.data.read_to_end(&mut data).unwrap();
            seen.push(format!("{} {:?} {:?}", e.path, e.kind, data));
            Ok(())
        })?;
        Ok(seen)
    }

    #[test]
    fn hard_links_before_their_data_follow_it() {
        let files = [
            file("/a", 0o100644, 0, 7),
            file("/b", 0o100644, 3, 7),
            file("/c", 0o100600, 2, 8),
        ];
        let mut payload = stripped(2, b"cc");
        payload.extend(stripped(0, b""));
        payload.extend(stripped(1, b"bbb"));
        payload.extend(trailer());
        assert_eq!(
            read(&files, &payload).unwrap(),
            [
                "/c File { size: 2 } [99, 99]",
                "/b File { size: 3 } [98, 98, 98]",
                "/a HardLink { target: \"/b\" } []",
            ]
        );
    }

    #[test]
    fn an_index_outside_the_file_list_is_corrupt() {
        let files = [file("/a", 0o100644, 0, 7)];
        let mut payload = stripped(5, b"");
        payload.extend(trailer());
        assert_eq!(
            read(&files, &payload).unwrap_err().to_string(),
            "p: corrupt or truncated payload at a large-file cpio entry: \
             file index 5 is not in the header's list of 1 files"
        );
        assert_eq!(
            read(&[], &payload).unwrap_err().to_string(),
            "p: unsupported payload format 'rpm's large-file cpio (07070X) without a file list in the header'"
        );
    }
}
