//! RPM files: the lead, the signature header (padded to 8 bytes), the main
//! header's tags venvjail needs, then the compressed cpio payload.

use std::io::{BufRead, BufReader, Read};

use super::entry::PackageError;
use super::package::PackageInfo;
use super::payload::{decompressor, Compressor};

const LEAD_MAGIC: [u8; 4] = [0xed, 0xab, 0xee, 0xdb];
const HEADER_MAGIC: [u8; 4] = [0x8e, 0xad, 0xe8, 0x01];
/// rpm's own limits (`hdrmax`): larger claims are corrupt, not allocated.
const MAX_INDEX: u32 = 0x0001_0000;
const MAX_DATA: u32 = 256 << 20;

const TAG_NAME: u32 = 1000;
const TAG_VERSION: u32 = 1001;
const TAG_RELEASE: u32 = 1002;
const TAG_EPOCH: u32 = 1003;
const TAG_BUILDTIME: u32 = 1006;
const TAG_VENDOR: u32 = 1011;
const TAG_LICENSE: u32 = 1014;
const TAG_ARCH: u32 = 1022;
const TAG_SOURCERPM: u32 = 1044;
const TAG_DISTURL: u32 = 1123;
const TAG_PAYLOADFORMAT: u32 = 1124;
const TAG_PAYLOADCOMPRESSOR: u32 = 1125;
const TAG_FILEMODES: u32 = 1030;
const TAG_FILEMTIMES: u32 = 1034;
const TAG_FILELINKTOS: u32 = 1036;
const TAG_FILEFLAGS: u32 = 1037;
const TAG_FILEDEVICES: u32 = 1095;
const TAG_FILEINODES: u32 = 1096;
const TAG_DIRINDEXES: u32 = 1116;
const TAG_BASENAMES: u32 = 1117;
const TAG_DIRNAMES: u32 = 1118;
const TAG_LONGFILESIZES: u32 = 5008;
/// `RPMFILE_GHOST`: listed in the header, never in the payload.
const FILE_GHOST: u32 = 1 << 6;

const TYPE_INT16: u32 = 3;
const TYPE_INT32: u32 = 4;
const TYPE_INT64: u32 = 5;
const TYPE_STRING: u32 = 6;
const TYPE_STRING_ARRAY: u32 = 8;
const TYPE_I18NSTRING: u32 = 9;

/// What the main header says about a package.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RpmInfo {
    /// NAME, EPOCH, VERSION, RELEASE, ARCH, DISTURL, LICENSE, VENDOR,
    /// BUILDTIME, and whether it is a source package (no SOURCERPM).
    pub package: PackageInfo,
    /// `PAYLOADFORMAT` (`cpio`).
    pub payload_format: String,
    /// `PAYLOADCOMPRESSOR`; empty when absent (the payload's magic decides).
    pub payload_compressor: String,
    /// The header's file list, read only when the package has
    /// `LONGFILESIZES`: rpm (≥ 4.12) then writes the payload as "stripped"
    /// cpio (`07070X`), whose entries carry nothing but an index into it.
    pub files: Vec<HeaderFile>,
}

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

/// Reads the lead and both headers from `r`, leaving it at the payload.
pub fn read_headers(package: &str, r: &mut impl Read) -> Result<RpmInfo, PackageError> {
    let not_rpm = |reason: String| PackageError::NotAPackage {
        package: package.to_owned(),
        format: "RPM",
        reason,
    };
    let mut lead = [0u8; 96];
    r.read_exact(&mut lead)
        .map_err(|_| not_rpm("shorter than an RPM lead".into()))?;
    if lead[..4] != LEAD_MAGIC {
        return Err(not_rpm("no RPM lead magic".into()));
    }
    let (_, sig_size) = read_header(package, r, "signature header")?;
    let pad = (8 - sig_size % 8) % 8;
    skip(package, r, pad as u64, "signature header")?;
    let (main, _) = read_header(package, r, "main header")?;
    let string = |tag| main.string(tag);
    Ok(RpmInfo {
        package: PackageInfo {
            name: string(TAG_NAME).ok_or_else(|| not_rpm("no NAME in the header".into()))?,
            epoch: main.int32(TAG_EPOCH),
            version: string(TAG_VERSION).unwrap_or_default(),
            release: string(TAG_RELEASE).unwrap_or_default(),
            arch: string(TAG_ARCH).unwrap_or_default(),
            disturl: string(TAG_DISTURL),
            license: string(TAG_LICENSE),
            vendor: string(TAG_VENDOR),
            build_time: main.int32(TAG_BUILDTIME),
            is_deb: false,
            is_source: main.string(TAG_SOURCERPM).is_none(),
        },
        payload_format: string(TAG_PAYLOADFORMAT).unwrap_or_else(|| "cpio".into()),
        payload_compressor: string(TAG_PAYLOADCOMPRESSOR).unwrap_or_default(),
        files: if main.find(TAG_LONGFILESIZES).is_some() {
            header_files(&main).ok_or_else(|| PackageError::Corrupt {
                package: package.to_owned(),
                entry: "main header".into(),
                reason: "its file list is inconsistent".into(),
            })?
        } else {
            Vec::new()
        },
    })
}

/// The file list of a header with `LONGFILESIZES`; `None` when the arrays
/// disagree in length or point outside each other.
fn header_files(h: &Header) -> Option<Vec<HeaderFile>> {
    let sizes = h.ints(TAG_LONGFILESIZES, TYPE_INT64)?;
    let n = sizes.len();
    let exactly = |v: Option<Vec<u64>>| v.filter(|v| v.len() == n);
    let modes = exactly(h.ints(TAG_FILEMODES, TYPE_INT16))?;
    let mtimes = exactly(h.ints(TAG_FILEMTIMES, TYPE_INT32))?;
    let dir_indexes = exactly(h.ints(TAG_DIRINDEXES, TYPE_INT32))?;
    let basenames = h.strings(TAG_BASENAMES).filter(|v| v.len() == n)?;
    let dirnames = h.strings(TAG_DIRNAMES)?;
    let link_tos = h.strings(TAG_FILELINKTOS).filter(|v| v.len() == n);
    let devices = exactly(h.ints(TAG_FILEDEVICES, TYPE_INT32));
    let inodes = exactly(h.ints(TAG_FILEINODES, TYPE_INT32));
    let flags = exactly(h.ints(TAG_FILEFLAGS, TYPE_INT32));
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

/// Opens the payload of an RPM positioned after its headers: the
/// decompressed cpio stream.
pub fn payload<'r>(
    package: &str,
    info: &RpmInfo,
    r: impl Read + 'r,
) -> Result<Box<dyn Read + 'r>, PackageError> {
    if info.payload_format != "cpio" {
        return Err(PackageError::Unsupported {
            package: package.to_owned(),
            what: "payload format",
            value: info.payload_format.clone(),
        });
    }
    let mut r = BufReader::new(r);
    let compressor = if info.payload_compressor.is_empty() {
        // No tag: rpm2cpio reads it as gzip, whose reader passes plain data
        // through; the magic tells what it really is.
        let head = r.fill_buf().map_err(|e| PackageError::Corrupt {
            package: package.to_owned(),
            entry: "payload".into(),
            reason: e.to_string(),
        })?;
        sniff(head)
    } else {
        Compressor::from_rpm(&info.payload_compressor).ok_or_else(|| PackageError::Unsupported {
            package: package.to_owned(),
            what: "payload compressor",
            value: info.payload_compressor.clone(),
        })?
    };
    decompressor(package, compressor, r)
}

/// The compressor a stream starts with (gzip when nothing else matches).
fn sniff(head: &[u8]) -> Compressor {
    if head.starts_with(b"0707") {
        Compressor::None
    } else if head.starts_with(b"BZh") {
        Compressor::Bzip2
    } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        Compressor::Xz
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Compressor::Zstd
    } else if head.starts_with(&[0x5d, 0, 0]) {
        Compressor::Lzma
    } else {
        Compressor::Gzip
    }
}

/// An index entry: tag, type, offset, count.
struct IndexEntry {
    tag: u32,
    kind: u32,
    offset: u32,
    count: u32,
}

/// A header's index and data.
struct Header {
    index: Vec<IndexEntry>,
    data: Vec<u8>,
}

impl Header {
    fn find(&self, tag: u32) -> Option<&IndexEntry> {
        self.index.iter().find(|e| e.tag == tag)
    }

    fn string(&self, tag: u32) -> Option<String> {
        let e = self.find(tag)?;
        if !matches!(e.kind, TYPE_STRING | TYPE_STRING_ARRAY | TYPE_I18NSTRING) {
            return None;
        }
        let start = e.offset as usize;
        let rest = self.data.get(start..)?;
        let end = rest.iter().position(|&b| b == 0)?;
        Some(String::from_utf8_lossy(&rest[..end]).into_owned())
    }

    /// An integer array of `kind` (int16, int32 or int64), widened.
    fn ints(&self, tag: u32, kind: u32) -> Option<Vec<u64>> {
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
    fn strings(&self, tag: u32) -> Option<Vec<String>> {
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

    fn int32(&self, tag: u32) -> Option<u32> {
        let e = self.find(tag)?;
        if e.kind != TYPE_INT32 || e.count == 0 {
            return None;
        }
        let start = e.offset as usize;
        let b = self.data.get(start..start + 4)?;
        Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
}

/// Reads one header structure; returns it and its size on disk.
fn read_header(
    package: &str,
    r: &mut impl Read,
    what: &str,
) -> Result<(Header, u32), PackageError> {
    let corrupt = |reason: String| PackageError::Corrupt {
        package: package.to_owned(),
        entry: what.to_owned(),
        reason,
    };
    let mut intro = [0u8; 16];
    r.read_exact(&mut intro)
        .map_err(|_| corrupt("the file ends in it".into()))?;
    if intro[..4] != HEADER_MAGIC {
        return Err(corrupt("no header magic".into()));
    }
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    let count = be(&intro[8..12]);
    let size = be(&intro[12..16]);
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
            tag: be(&c[0..4]),
            kind: be(&c[4..8]),
            offset: be(&c[8..12]),
            count: be(&c[12..16]),
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

fn skip(package: &str, r: &mut impl Read, n: u64, what: &str) -> Result<(), PackageError> {
    let copied = std::io::copy(&mut r.take(n), &mut std::io::sink()).unwrap_or(0);
    if copied == n {
        Ok(())
    } else {
        Err(PackageError::Corrupt {
            package: package.to_owned(),
            entry: what.to_owned(),
            reason: "the file ends in its padding".into(),
        })
    }
}
