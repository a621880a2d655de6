//! The verifier (DESIGN §6 step 7): after relocation, find every file of the
//! venv that still holds the build-time DEST path.
//!
//! Every regular file is read, text and binary alike (ELF, `.pyc`, …),
//! streamed in [`CHUNK_SIZE`] chunks so memory does not grow with file size.
//! A symlink is not followed; its target is checked instead. Nothing outside
//! DEST is read: the walk never follows a symlink, and FIFOs, sockets and
//! device nodes are skipped (opening a FIFO would block).
//!
//! Counting rule: the occurrences of a file are the non-overlapping matches
//! of the needles, found left to right, preferring the longest needle at a
//! position. With one needle that is the usual non-overlapping count
//! (`/b/b` in `/b/b/b/b` counts 2); with a build root and its canonical form
//! (`/tmp/x` and `/private/tmp/x`) a match of the longer one is not counted
//! again for the shorter one inside it.

use std::fmt;
use std::fs::{self, File};
use std::io::{self, Read};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use memchr::memmem::Finder;

use super::tree::{self, Kind};
use crate::error::describe_io;

/// How many bytes of a file are read at a time.
pub const CHUNK_SIZE: usize = 64 * 1024;

/// Why a verification could not run (every variant is exit code 2).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The build root is empty or `/`: it would match every path.
    #[error("the build root {:?} would match every file", .0.as_os_str())]
    EmptyBuildRoot(PathBuf),
    /// The build root is relative; the build-time path of a venv is absolute.
    #[error("the build root {} is not an absolute path", .0.display())]
    RelativeBuildRoot(PathBuf),
    /// [`scan`] was given no needle, or an empty one.
    #[error("nothing to search for: no needle, or an empty one")]
    NoNeedle,
    /// DEST is not a directory.
    #[error("{} is not a directory", .0.display())]
    NotADirectory(PathBuf),
    /// A directory could not be listed (DEST itself included).
    #[error("cannot read directory {}: {}", path.display(), describe_io(source))]
    ReadDir {
        /// The directory.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// A file could not be read.
    #[error("cannot read {}: {}", path.display(), describe_io(source))]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
}

/// Where a leftover was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeftoverKind {
    /// In the bytes of a regular file.
    Contents,
    /// In the target of a symlink (counted once).
    SymlinkTarget,
}

/// One file that still holds the build root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leftover {
    /// The path relative to DEST.
    pub path: PathBuf,
    /// Where the build root was found.
    pub kind: LeftoverKind,
    /// How many non-overlapping occurrences (1 for a symlink).
    pub occurrences: u64,
}

impl From<tree::WalkError> for VerifyError {
    fn from(e: tree::WalkError) -> Self {
        Self::ReadDir {
            path: e.path,
            source: e.source,
        }
    }
}

impl fmt::Display for Leftover {
    /// `PATH: N occurrence(s)`, plus ` (symlink target)` for a symlink.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}",
            self.path.display(),
            plural(self.occurrences, "occurrence")
        )?;
        if self.kind == LeftoverKind::SymlinkTarget {
            f.write_str(" (symlink target)")?;
        }
        Ok(())
    }
}

/// What [`scan`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Leftovers {
    /// The files with leftovers, sorted bytewise by relative path.
    pub files: Vec<Leftover>,
    /// How many regular files and symlinks were checked.
    pub scanned: u64,
}

impl Leftovers {
    /// True when no file holds the build root.
    pub fn is_clean(&self) -> bool {
        self.files.is_empty()
    }

    /// The occurrences in all files.
    pub fn occurrences(&self) -> u64 {
        self.files.iter().map(|l| l.occurrences).sum()
    }

    /// The closing line: `2 files with 5 occurrences of /build/root`, or
    /// `no occurrence of /build/root in 1234 files` (needles joined by `or`).
    pub fn summary(&self, needles: &[Vec<u8>]) -> String {
        let what = needles
            .iter()
            .map(|n| String::from_utf8_lossy(n).into_owned())
            .collect::<Vec<_>>()
            .join(" or ");
        if self.is_clean() {
            format!(
                "no occurrence of {what} in {}",
                plural(self.scanned, "file")
            )
        } else {
            format!(
                "{} with {} of {what}",
                plural(self.files.len() as u64, "file"),
                plural(self.occurrences(), "occurrence")
            )
        }
    }
}

fn plural(n: u64, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// The byte strings to look for: `build_root` without trailing `/`, and its
/// canonical form when that differs (a build directory reached through a
/// symlink is written under both names).
///
/// Errors when the build root is empty, `/` or relative. A build root that
/// does not exist (any more) is searched for as given.
pub fn needles(build_root: &Path) -> Result<Vec<Vec<u8>>, VerifyError> {
    let given = trim_slashes(build_root.as_os_str().as_bytes());
    if given.is_empty() {
        return Err(VerifyError::EmptyBuildRoot(build_root.to_owned()));
    }
    if !build_root.is_absolute() {
        return Err(VerifyError::RelativeBuildRoot(build_root.to_owned()));
    }
    let mut out = vec![given.to_vec()];
    if let Ok(canonical) = fs::canonicalize(build_root) {
        let canonical = trim_slashes(canonical.as_os_str().as_bytes());
        if !canonical.is_empty() && !out.iter().any(|n| n == canonical) {
            out.push(canonical.to_vec());
        }
    }
    Ok(out)
}

fn trim_slashes(mut bytes: &[u8]) -> &[u8] {
    while let Some(rest) = bytes.strip_suffix(b"/") {
        bytes = rest;
    }
    bytes
}

/// Walks `dest` (never following a symlink, never leaving it) and counts
/// the occurrences of `needles` in every regular file and symlink target.
///
/// `dest` itself may be a symlink to the venv. An unreadable file or
/// directory is an error naming it.
pub fn scan(dest: &Path, needles: &[Vec<u8>]) -> Result<Leftovers, VerifyError> {
    let matcher = Matcher::new(needles)?;
    let meta = fs::metadata(dest).map_err(|source| VerifyError::ReadDir {
        path: dest.to_owned(),
        source,
    })?;
    if !meta.is_dir() {
        return Err(VerifyError::NotADirectory(dest.to_owned()));
    }
    let nodes = tree::walk(dest, dest)?;
    let mut found = Leftovers::default();
    // Files are read on every core; errors and results are taken in the
    // walk's order, so the first unreadable file is the one reported.
    let count = |node: &tree::Node| -> Result<Option<u64>, VerifyError> {
        let path = dest.join(&node.rel);
        let read_error = |source| VerifyError::Read {
            path: path.clone(),
            source,
        };
        match node.kind {
            Kind::Symlink => {
                let target = fs::read_link(&path).map_err(read_error)?;
                Ok(Some(u64::from(
                    matcher.count_slice(target.as_os_str().as_bytes()) > 0,
                )))
            }
            Kind::File => {
                let file = File::open(&path).map_err(read_error)?;
                BUFFER
                    .with_borrow_mut(|buf| matcher.count_reader(file, CHUNK_SIZE, buf))
                    .map(Some)
                    .map_err(read_error)
            }
            // Directories are listed by the walk; FIFOs and devices are
            // never opened (a FIFO would block).
            Kind::Dir | Kind::Other => Ok(None),
        }
    };
    crate::in_order::map_in_order(
        &nodes,
        crate::in_order::workers_for(nodes.len()),
        count,
        |node, result| {
            let Some(occurrences) = result? else {
                return Ok(());
            };
            found.scanned += 1;
            if occurrences > 0 {
                found.files.push(Leftover {
                    path: node.rel.clone(),
                    kind: if node.kind == Kind::Symlink {
                        LeftoverKind::SymlinkTarget
                    } else {
                        LeftoverKind::Contents
                    },
                    occurrences,
                });
            }
            Ok::<_, VerifyError>(())
        },
    )?;
    found.files.sort_by(|a, b| {
        a.path
            .as_os_str()
            .as_bytes()
            .cmp(b.path.as_os_str().as_bytes())
    });
    Ok(found)
}

thread_local! {
    /// Each scanning thread's read buffer, kept between files.
    static BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The needles, ready to search.
struct Matcher {
    finders: Vec<Finder<'static>>,
    longest: usize,
}

impl Matcher {
    fn new(needles: &[Vec<u8>]) -> Result<Self, VerifyError> {
        if needles.is_empty() || needles.iter().any(Vec::is_empty) {
            return Err(VerifyError::NoNeedle);
        }
        let finders: Vec<Finder<'static>> = needles
            .iter()
            .map(|n| Finder::new(n.as_slice()).into_owned())
            .collect();
        let longest = needles.iter().map(Vec::len).max().unwrap_or(0);
        Ok(Self { finders, longest })
    }

    /// The occurrences in a whole buffer.
    fn count_slice(&self, haystack: &[u8]) -> u64 {
        self.count_decided(haystack, true).0
    }

    /// The occurrences in a stream read `chunk` bytes at a time; `buf` is
    /// reused between calls. Memory: `chunk + longest` bytes (a match's
    /// next byte decides whether it counts).
    fn count_reader(
        &self,
        mut reader: impl Read,
        chunk: usize,
        buf: &mut Vec<u8>,
    ) -> io::Result<u64> {
        let chunk = chunk.max(1);
        let keep = self.longest;
        // Only the bytes read are ever looked at: a buffer of the right
        // size is reused as it is (zeroing 64 KiB per file cost more than
        // searching most files).
        if buf.len() != keep + chunk {
            buf.clear();
            buf.resize(keep + chunk, 0);
        }
        let mut filled = 0;
        let mut total = 0;
        loop {
            let n = match reader.read(&mut buf[filled..filled + chunk]) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if n == 0 {
                total += self.count_decided(&buf[..filled], true).0;
                return Ok(total);
            }
            filled += n;
            let (count, decided) = self.count_decided(&buf[..filled], false);
            total += count;
            // What is not decided yet (at most `longest` bytes) moves to
            // the front, so a match across the border counts exactly once.
            buf.copy_within(decided..filled, 0);
            filled -= decided;
        }
    }

    /// Counts the matches in `hay` and returns how many leading bytes are
    /// decided. A match counts only where the build root ends a path
    /// component: the byte after it (if any) must not continue a file name
    /// (see [`continues_name`]), so `/build/venv` is not found in
    /// `/build/venv2`. Unless `last`, a match is decided only when every
    /// needle starting at its position and the byte after it fit in `hay`,
    /// so a longer needle or a match running past the end is decided with
    /// the next chunk.
    fn count_decided(&self, hay: &[u8], last: bool) -> (u64, usize) {
        // The next match of each needle at or after `pos`: None = unknown,
        // Some(None) = none in `hay`.
        let mut next: Vec<Option<Option<usize>>> = vec![None; self.finders.len()];
        let mut pos = 0;
        let mut count = 0;
        loop {
            let mut first: Option<usize> = None;
            for (finder, slot) in self.finders.iter().zip(next.iter_mut()) {
                let at = match *slot {
                    Some(Some(at)) if at >= pos => Some(at),
                    Some(None) => None,
                    _ => {
                        let at = finder.find(&hay[pos..]).map(|i| pos + i);
                        *slot = Some(at);
                        at
                    }
                };
                if let Some(at) = at {
                    first = Some(first.map_or(at, |f: usize| f.min(at)));
                }
            }
            let Some(at) = first else { break };
            if !last && at + self.longest >= hay.len() {
                break;
            }
            // The longest needle at `at` that ends a path component.
            let hit = self
                .finders
                .iter()
                .zip(&next)
                .filter(|(_, slot)| **slot == Some(Some(at)))
                .map(|(finder, _)| finder.needle().len())
                .filter(|&len| !hay.get(at + len).is_some_and(|&b| continues_name(b)))
                .max();
            match hit {
                Some(len) => {
                    count += 1;
                    pos = at + len;
                }
                None => pos = at + 1,
            }
        }
        let decided = if last {
            hay.len()
        } else {
            pos.max(hay.len().saturating_sub(self.longest))
        };
        (count, decided)
    }
}

/// True for a byte that, right after the build root, makes it part of a
/// longer file name (`/build/venv2`, `/build/venv-old`, `/build/venv.bak`)
/// rather than the end of a path component (`/`, a quote, NUL, a space,
/// `:` of a search path, the end of the data).
pub fn continues_name(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'+' | b'~' | b'@') || b >= 0x80
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The reference: the same rule over the whole buffer, position by
    /// position, without any search library.
    fn naive(hay: &[u8], needles: &[Vec<u8>]) -> u64 {
        let mut count = 0;
        let mut i = 0;
        while i < hay.len() {
            let hit = needles
                .iter()
                .filter(|n| hay[i..].starts_with(n.as_slice()))
                .map(Vec::len)
                .filter(|&len| hay.get(i + len).is_none_or(|&b| !continues_name(b)))
                .max();
            match hit {
                Some(len) => {
                    count += 1;
                    i += len;
                }
                None => i += 1,
            }
        }
        count
    }

    fn chunked(hay: &[u8], needles: &[Vec<u8>], chunk: usize) -> u64 {
        let matcher = Matcher::new(needles).unwrap();
        matcher.count_reader(hay, chunk, &mut Vec::new()).unwrap()
    }

    /// A reader that returns at most `step` bytes per read, like a pipe.
    struct Trickle<'a> {
        data: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let n = self.step.min(out.len()).min(self.data.len());
            out[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    /// A haystack of random bytes over a small alphabet (so near misses
    /// are frequent) with needles planted at random places.
    fn planted() -> impl Strategy<Value = (Vec<u8>, Vec<Vec<u8>>)> {
        let alphabet = prop::sample::select(vec![b'/', b'b', b'r', 0u8]);
        (
            prop::collection::vec(alphabet.clone(), 0..400),
            prop::collection::vec(prop::collection::vec(alphabet, 1..6), 1..3),
            prop::collection::vec((any::<prop::sample::Index>(), any::<bool>()), 0..8),
        )
            .prop_map(|(mut hay, needles, plants)| {
                for (at, second) in plants {
                    let needle = &needles[usize::from(second) % needles.len()];
                    let at = at.index(hay.len() + 1);
                    hay.splice(at..at, needle.iter().copied());
                }
                (hay, needles)
            })
    }

    proptest! {
        #[test]
        fn chunked_count_equals_whole_buffer_count(
            (hay, needles) in planted(),
            chunk in 1usize..40,
        ) {
            let expected = naive(&hay, &needles);
            prop_assert_eq!(chunked(&hay, &needles, chunk), expected);
            prop_assert_eq!(Matcher::new(&needles).unwrap().count_slice(&hay), expected);
            let trickle = Trickle { data: &hay, step: 1 + chunk / 3 };
            let got = Matcher::new(&needles).unwrap()
                .count_reader(trickle, chunk, &mut Vec::new()).unwrap();
            prop_assert_eq!(got, expected);
        }
    }

    #[test]
    fn a_match_across_the_chunk_border_counts_once() {
        let needle = b"/build/root".to_vec();
        let mut hay = vec![b' '; 100];
        hay.splice(95..95, needle.iter().copied());
        for chunk in 1..120 {
            assert_eq!(
                chunked(&hay, std::slice::from_ref(&needle), chunk),
                1,
                "chunk {chunk}"
            );
        }
    }

    #[test]
    fn non_overlapping_and_longest_first() {
        assert_eq!(naive(b"/b/b/b/b", &[b"/b/b".to_vec()]), 2);
        assert_eq!(chunked(b"/b/b/b/b", &[b"/b/b".to_vec()], 3), 2);
        let both = [b"/tmp/x".to_vec(), b"/private/tmp/x".to_vec()];
        assert_eq!(chunked(b"/private/tmp/x and /tmp/x", &both, 4), 2);
    }

    #[test]
    fn needles_trim_and_refuse_the_root() {
        assert_eq!(
            needles(Path::new("/no/such/build/root//")).unwrap(),
            vec![b"/no/such/build/root".to_vec()]
        );
        for bad in ["", "/", "//"] {
            assert!(matches!(
                needles(Path::new(bad)),
                Err(VerifyError::EmptyBuildRoot(_))
            ));
        }
        assert!(matches!(
            needles(Path::new("build")),
            Err(VerifyError::RelativeBuildRoot(_))
        ));
        assert!(matches!(
            scan(Path::new("/"), &[]),
            Err(VerifyError::NoNeedle)
        ));
    }

    #[test]
    fn leftover_lines() {
        let l = Leftover {
            path: PathBuf::from("bin/activate"),
            kind: LeftoverKind::Contents,
            occurrences: 1,
        };
        assert_eq!(l.to_string(), "bin/activate: 1 occurrence");
        let s = Leftover {
            path: PathBuf::from("lib/link"),
            kind: LeftoverKind::SymlinkTarget,
            occurrences: 1,
        };
        assert_eq!(s.to_string(), "lib/link: 1 occurrence (symlink target)");
    }
}
