//! The RPM lead and header structures: the lead (96 bytes), the signature
//! header (padded to 8 bytes), then the main header, whose tags are read on
//! demand by [`Header`]'s accessors.

use std::io::Read;

use super::tag::*;
use super::Error;

const LEAD_MAGIC: [u8; 4] = [0xed, 0xab, 0xee, 0xdb];
const HEADER_MAGIC: [u8; 4] = [0x8e, 0xad, 0xe8, 0x01];
/// rpm's own limits (`hdrmax`): larger claims are corrupt, not allocated.
const MAX_INDEX: u32 = 0x0001_0000;
const MAX_DATA: u32 = 256 << 20;

/// One file as the main header describes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeaderFile {
    /// The absolute path (`DIRNAMES[DIRINDEXES[i]] + BASENAMES[i]`).
    pub path: String,
    /// Type and permission bits (`FILEMODES`).
    pub mode: u32,
    /// Size in bytes (`LONGFILESIZES`).
    pub size: u64,
    /// Modification time (`FILEMTIMES`).
    pub mtime: i64,
    /// Symlink target (`FILELINKTOS`), empty for other files.
    pub link_to: String,
    /// Device and inode (`FILEDEVICES`, `FILEINODES`): equal pairs of
    /// regular files are hard links.
    pub dev_ino: (u32, u32),
    /// A `%ghost` file (not in the payload).
    pub ghost: bool,
}

/// An index entry: tag, type, offset, count.
#[derive(Debug, Clone, PartialEq, Eq)]
struct IndexEntry {
    tag: u32,
    kind: u32,
    offset: u32,
    count: u32,
}

/// A header's index and data; tags are decoded when asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    index: Vec<IndexEntry>,
    data: Vec<u8>,
}

/// Reads the lead, the signature header and the main header of an RPM
/// from `r` (a file, or an OBS `cpioheaders` member), leaving `r` at the
/// payload; `name` names the source in errors.
pub fn read_lead_and_header(name: &str, r: &mut impl Read) -> Result<Header, Error> {
    let mut lead = [0u8; 96];
    r.read_exact(&mut lead).map_err(|_| Error::NotAnRpm {
        source_name: name.to_owned(),
        reason: "shorter than an RPM lead".into(),
    })?;
    if lead[..4] != LEAD_MAGIC {
        return Err(Error::NotAnRpm {
            source_name: name.to_owned(),
            reason: "no RPM lead magic".into(),
        });
    }
    let (_, sig_size) = Header::read(name, r, "signature header")?;
    let pad = (8 - sig_size % 8) % 8;
    skip(name, r, u64::from(pad), "signature header")?;
    let (main, _) = Header::read(name, r, "main header")?;
    Ok(main)
}

impl Header {
    /// Reads one header structure (magic, index, data) from `r`; returns it
    /// and its size in bytes. `what` names it in errors.
    pub fn read(name: &str, r: &mut impl Read, what: &str) -> Result<(Header, u32), Error> {
        let corrupt = |reason: String| Error::Corrupt {
            source_name: name.to_owned(),
            entry: what.to_owned(),
            reason,
        };
        let mut intro = [0u8; 16];
        r.read_exact(&mut intro)
            .map_err(|_| corrupt("the file ends in it".into()))?;
        if intro[..4] != HEADER_MAGIC {
            return Err(corrupt("no header magic".into()));
        }
        let count = be32(&intro[8..12]);
        let size = be32(&intro[12..16]);
        if count > MAX_INDEX || size > MAX_DATA {
            return Err(corrupt(format!(
                "claims {count} tags and {size} bytes, more than rpm allows"
            )));
        }
        let mut raw = vec![0u8; count as usize * 16];
        r.read_exact(&mut raw)
            .map_err(|_| corrupt("the file ends in its index".into()))?;
        let index: Vec<IndexEntry> = raw
            .chunks_exact(16)
            .map(|c| IndexEntry {
                tag: be32(&c[0..4]),
                kind: be32(&c[4..8]),
                offset: be32(&c[8..12]),
                count: be32(&c[12..16]),
            })
            .collect();
        let mut data = Vec::new();
        r.take(u64::from(size))
            .read_to_end(&mut data)
            .map_err(|e| corrupt(e.to_string()))?;
        if data.len() != size as usize {
            return Err(corrupt("the file ends in its data".into()));
        }
        Ok((Header { index, data }, 16 + count * 16 + size))
    }

    fn find(&self, tag: u32) -> Option<&IndexEntry> {
        self.index.iter().find(|e| e.tag == tag)
    }

    /// Whether the header has `tag` at all.
    pub fn has(&self, tag: u32) -> bool {
        self.find(tag).is_some()
    }

    /// The first string of a string, string array or i18n string tag.
    pub fn string(&self, tag: u32) -> Option<String> {
        let e = self.find(tag)?;
        if !matches!(e.kind, TYPE_STRING | TYPE_STRING_ARRAY | TYPE_I18NSTRING) {
            return None;
        }
        let rest = self.data.get(e.offset as usize..)?;
        let end = rest.iter().position(|&b| b == 0)?;
        Some(String::from_utf8_lossy(&rest[..end]).into_owned())
    }

    /// An integer array of `kind` (int16, int32 or int64), widened; `None`
    /// when the tag is absent, of another type, or outside the data.
    pub fn ints(&self, tag: u32, kind: u32) -> Option<Vec<u64>> {
        let e = self.find(tag)?;
        let width: usize = match (e.kind, kind) {
            (TYPE_INT16, TYPE_INT16) => 2,
            (TYPE_INT32, TYPE_INT32) => 4,
            (TYPE_INT64, TYPE_INT64) => 8,
            _ => return None,
        };
        let start = e.offset as usize;
        let bytes = self
            .data
            .get(start..start.checked_add(width.checked_mul(e.count as usize)?)?)?;
        Some(
            bytes
                .chunks_exact(width)
                .map(|c| c.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
                .collect(),
        )
    }

    /// A string array.
    pub fn strings(&self, tag: u32) -> Option<Vec<String>> {
        let e = self.find(tag)?;
        if e.kind != TYPE_STRING_ARRAY {
            return None;
        }
        let mut rest = self.data.get(e.offset as usize..)?;
        let mut out = Vec::with_capacity((e.count as usize).min(rest.len()));
        for _ in 0..e.count {
            let end = rest.iter().position(|&b| b == 0)?;
            out.push(String::from_utf8_lossy(&rest[..end]).into_owned());
            rest = &rest[end + 1..];
        }
        Some(out)
    }

    /// The first value of an int32 tag.
    pub fn int32(&self, tag: u32) -> Option<u32> {
        let e = self.find(tag)?;
        if e.kind != TYPE_INT32 || e.count == 0 {
            return None;
        }
        let start = e.offset as usize;
        let b = self.data.get(start..start.checked_add(4)?)?;
        Some(be32(b))
    }

    /// The file list with what extraction needs (paths, modes, sizes,
    /// links); `None` when the header has no `LONGFILESIZES` or its arrays
    /// disagree in length or point outside each other.
    pub fn long_files(&self) -> Option<Vec<HeaderFile>> {
        let sizes = self.ints(LONGFILESIZES, TYPE_INT64)?;
        let n = sizes.len();
        let exactly = |v: Option<Vec<u64>>| v.filter(|v| v.len() == n);
        let modes = exactly(self.ints(FILEMODES, TYPE_INT16))?;
        let mtimes = exactly(self.ints(FILEMTIMES, TYPE_INT32))?;
        let dir_indexes = exactly(self.ints(DIRINDEXES, TYPE_INT32))?;
        let basenames = self.strings(BASENAMES).filter(|v| v.len() == n)?;
        let dirnames = self.strings(DIRNAMES)?;
        let link_tos = self.strings(FILELINKTOS).filter(|v| v.len() == n);
        let devices = exactly(self.ints(FILEDEVICES, TYPE_INT32));
        let inodes = exactly(self.ints(FILEINODES, TYPE_INT32));
        let flags = exactly(self.ints(FILEFLAGS, TYPE_INT32));
        let mut files = Vec::with_capacity(n);
        for i in 0..n {
            let dir = dirnames.get(usize::try_from(dir_indexes[i]).ok()?)?;
            files.push(HeaderFile {
                path: format!("{dir}{}", basenames[i]),
                mode: modes[i] as u32,
                size: sizes[i],
                mtime: mtimes[i] as i64,
                link_to: link_tos.as_ref().map_or_else(String::new, |l| l[i].clone()),
                dev_ino: (
                    devices.as_ref().map_or(0, |d| d[i] as u32),
                    inodes.as_ref().map_or(0, |d| d[i] as u32),
                ),
                ghost: flags
                    .as_ref()
                    .is_some_and(|f| f[i] as u32 & FILE_GHOST != 0),
            });
        }
        Some(files)
    }
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

fn skip(name: &str, r: &mut impl Read, n: u64, what: &str) -> Result<(), Error> {
    let copied = std::io::copy(&mut r.take(n), &mut std::io::sink()).unwrap_or(0);
    if copied == n {
        Ok(())
    } else {
        Err(Error::Corrupt {
            source_name: name.to_owned(),
            entry: what.to_owned(),
            reason: "the file ends in its padding".into(),
        })
    }
}
