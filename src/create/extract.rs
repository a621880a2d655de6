//! Safe extraction into the venv directory (DESIGN §6.4).
//!
//! Every entry resolves under DEST: a stored path is normalised lexically
//! (leading `/` and `./` stripped, `..` may not climb out), and existing
//! symlinks on the way are followed only when what they point to stays
//! inside DEST (`usr/lib64 -> ../lib` is followed; `srv -> /srv` is not). A
//! file never writes through a symlink: it replaces it, as `cpio
//! --unconditional` does. Hard links must point at a regular file inside
//! DEST. Devices and FIFOs are skipped, setuid/setgid bits dropped; both
//! are warnings. Directory modes and times are applied at the end, so a
//! read-only directory does not block its own contents.

use std::collections::HashMap;
use std::hash::Hasher;
use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::disk::{copy, create_file, replacing, Copy};
use super::entry::{Entry, EntryKind};
use super::file_pool::{FileJob, FilePool};

/// How many symlinks one path may pass through.
const MAX_LINK_DEPTH: usize = 40;
/// Threads writing small files ([`FilePool`]). On this project's bench
/// set (4,302 files) four took `create` on a settled ext4 from 0.34–0.39 s
/// to 0.31–0.35 s and changed nothing on tmpfs; where creating a file is
/// the floor (~0.3 ms each on a slower ext4) they halve that part.
const FILE_WRITERS: usize = 4;
/// Files smaller than this are read whole and handed to the pool; larger
/// ones are copied through the buffer here, so memory stays bounded.
const POOLED_BELOW: u64 = super::pipeline::CHUNK as u64;

/// Why an entry could not be extracted; names the package and the entry.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExtractError {
    /// The stored path leaves DEST (`../x`, `a/../../x`).
    #[error("{package}: entry {entry} escapes the destination")]
    PathEscape {
        /// The package.
        package: String,
        /// The entry as stored.
        entry: String,
    },
    /// A symlink on the way leads outside DEST.
    #[error("{package}: entry {entry} would be written outside the destination through the symlink {link}")]
    SymlinkEscape {
        /// The package.
        package: String,
        /// The entry as stored.
        entry: String,
        /// The symlink, relative to DEST.
        link: String,
    },
    /// A hard link to something that is not a regular file inside DEST.
    #[error("{package}: hard link {entry} points at {target}, which is not a file inside the destination")]
    BadHardLink {
        /// The package.
        package: String,
        /// The entry as stored.
        entry: String,
        /// Its target as stored.
        target: String,
    },
    /// Two packages ship one path with different content (`--conflicts error`).
    #[error("{path}: shipped by {first} and {second} with different content")]
    Conflict {
        /// The path relative to DEST.
        path: String,
        /// The package extracted first.
        first: String,
        /// The package extracted later.
        second: String,
    },
    /// The file system refused.
    #[error("{package}: cannot extract {entry}: {reason}")]
    Io {
        /// The package.
        package: String,
        /// The entry as stored.
        entry: String,
        /// Why.
        reason: String,
    },
}

/// What to do when two packages ship one path with different content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ConflictPolicy {
    /// Report it; the package later in sorted order wins.
    #[default]
    Warn,
    /// Fail.
    Error,
}

/// A path two packages ship with different content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// The path relative to DEST.
    pub path: String,
    /// The package extracted first.
    pub first: String,
    /// The package extracted later (its content is kept).
    pub second: String,
}

/// Counts for the summary line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Regular files and hard links written.
    pub files: u64,
    /// Bytes of file data written.
    pub bytes: u64,
}

/// Extracts entries into one destination.
#[derive(Debug)]
pub struct Extractor {
    dest: PathBuf,
    policy: ConflictPolicy,
    /// Path relative to DEST → (package, content hash) of what is there.
    owners: HashMap<String, (String, u64)>,
    /// Directories to give their mode and mtime at the end.
    dirs: HashMap<PathBuf, (u32, i64)>,
    /// Packages already warned about absolute entries (one warning each,
    /// as GNU tar prints one per archive).
    absolute_warned: std::collections::HashSet<String>,
    /// Parent paths already resolved (`usr/lib64/x` → `lib/x`): most
    /// entries share their parents, so this saves a stat per component.
    /// Cleared whenever a symlink is created, which could change a resolution.
    resolved: HashMap<Vec<String>, PathBuf>,
    /// The copy buffer, kept between files.
    buf: Vec<u8>,
    /// The threads small files are written by ([`FilePool`]), if any.
    pool: Option<FilePool>,
    /// Warnings, in order (each names the path and the package).
    pub warnings: Vec<String>,
    /// Conflicts found.
    pub conflicts: Vec<Conflict>,
    /// Counts.
    pub stats: Stats,
}

impl Extractor {
    /// An extractor into `dest`, which must exist, writing small files
    /// from a pool of threads.
    pub fn new(dest: &Path, policy: ConflictPolicy) -> std::io::Result<Self> {
        Self::with_file_writers(dest, policy, FILE_WRITERS)
    }

    /// An extractor with `writers` threads writing small files; with 0,
    /// every file is written on the calling thread. The tree is the same
    /// whatever the number.
    pub fn with_file_writers(
        dest: &Path,
        policy: ConflictPolicy,
        writers: usize,
    ) -> std::io::Result<Self> {
        Ok(Self {
            dest: dest.canonicalize()?,
            policy,
            owners: HashMap::new(),
            dirs: HashMap::new(),
            absolute_warned: std::collections::HashSet::new(),
            resolved: HashMap::new(),
            buf: vec![0u8; super::pipeline::CHUNK],
            pool: match writers {
                0 => None,
                n => Some(FilePool::new(n)?),
            },
            warnings: Vec::new(),
            conflicts: Vec::new(),
            stats: Stats::default(),
        })
    }

    /// Extracts one entry of `package`.
    pub fn extract(&mut self, package: &str, entry: Entry<'_>) -> Result<(), ExtractError> {
        let escape = || ExtractError::PathEscape {
            package: package.to_owned(),
            entry: entry.path.clone(),
        };
        let rel = normalise(&entry.path).ok_or_else(escape)?;
        let Some((name, parents)) = rel.split_last() else {
            return Ok(()); // the payload's root directory
        };
        let shown = rel.join("/");
        if entry.path.starts_with('/') && !self.absolute_warned.contains(package) {
            // rpm payloads say `./etc/x`; `/etc/x` is an absolute member name.
            self.absolute_warned.insert(package.to_owned());
            self.warnings.push(format!(
                "{}: absolute entry of {package}, extracted under DEST as {shown} \
                 (leading / removed, as GNU tar does; said once per package)",
                entry.path
            ));
        }
        let io = |e: std::io::Error| ExtractError::Io {
            package: package.to_owned(),
            entry: entry.path.clone(),
            reason: crate::error::describe_io(&e),
        };
        let corrupt = |e: std::io::Error| ExtractError::Io {
            package: package.to_owned(),
            entry: entry.path.clone(),
            reason: format!("corrupt or truncated payload: {e}"),
        };
        let parent = match self.resolved.get(parents) {
            Some(p) => p.clone(),
            None => {
                let p = self.resolve_dirs(package, &entry.path, parents, true)?;
                self.resolved.insert(parents.to_vec(), p.clone());
                p
            }
        };
        let target = parent.join(name);
        let pooled = self.pool.is_some()
            && matches!(entry.kind, EntryKind::File { size } if size < POOLED_BELOW);
        let links = matches!(
            entry.kind,
            EntryKind::Symlink { .. } | EntryKind::HardLink { .. }
        );
        // Nothing else goes where a file is still being written, and a
        // link waits for every file (what it points at, or what resolving
        // through it would see, may be one of them).
        if let Some(pool) = &mut self.pool {
            if (!pooled && pool.is_pending(&target)) || (links && pool.any_pending()) {
                pool.wait()?;
            }
        }
        match entry.kind {
            EntryKind::Directory => {
                // Created first and looked at only when something is
                // there: one system call for the common case.
                match std::fs::create_dir(&target) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                        let m = std::fs::symlink_metadata(&target).map_err(io)?;
                        if m.file_type().is_symlink() {
                            // `usr/lib64 -> ../lib`: kept when it stays inside DEST.
                            let resolved = self.resolve_dirs(package, &entry.path, &rel, false)?;
                            self.dirs
                                .entry(resolved)
                                .or_insert((entry.mode, entry.mtime));
                            return Ok(());
                        }
                        if !m.is_dir() {
                            std::fs::remove_file(&target).map_err(io)?;
                            std::fs::create_dir(&target).map_err(io)?;
                        }
                    }
                    Err(e) => return Err(io(e)),
                }
                self.dirs.insert(target, (entry.mode, entry.mtime));
            }
            EntryKind::File { size } if pooled => {
                let mut data = Vec::with_capacity(size as usize);
                std::io::Read::read_to_end(entry.data, &mut data).map_err(corrupt)?;
                let mut crc = flate2::Crc::new();
                crc.update(&data);
                self.stats.bytes += data.len() as u64;
                let mode = self.file_mode(package, &shown, entry.mode);
                self.stats.files += 1;
                self.own(package, &shown, content_hash(&crc))?;
                if let Some(pool) = &mut self.pool {
                    pool.submit(FileJob {
                        target,
                        data,
                        mode,
                        mtime: time(entry.mtime),
                        package: package.to_owned(),
                        entry: entry.path.clone(),
                    })?;
                }
            }
            EntryKind::File { .. } => {
                let mut file = create_file(&target).map_err(io)?;
                let mut crc = flate2::Crc::new();
                let mut buf = std::mem::take(&mut self.buf);
                let copied = copy(entry.data, &mut file, &mut buf, &mut crc);
                self.buf = buf;
                match copied {
                    Ok(n) => self.stats.bytes += n,
                    Err(Copy::Read(e)) => return Err(corrupt(e)),
                    Err(Copy::Write(e)) => return Err(io(e)),
                }
                let mode = self.file_mode(package, &shown, entry.mode);
                file.set_permissions(std::fs::Permissions::from_mode(mode))
                    .map_err(io)?;
                file.set_modified(time(entry.mtime)).map_err(io)?;
                self.stats.files += 1;
                self.own(package, &shown, content_hash(&crc))?;
            }
            EntryKind::Symlink { target: link } => {
                replacing(&target, |t| std::os::unix::fs::symlink(&link, t)).map_err(io)?;
                self.resolved.clear();
                let mut hasher = std::hash::DefaultHasher::new();
                hasher.write(link.as_bytes());
                self.own(package, &shown, hasher.finish())?;
            }
            EntryKind::HardLink { target: to } => {
                let bad = || ExtractError::BadHardLink {
                    package: package.to_owned(),
                    entry: entry.path.clone(),
                    target: to.clone(),
                };
                let to_rel = normalise(&to).ok_or_else(bad)?;
                let Some((to_name, to_parents)) = to_rel.split_last() else {
                    return Err(bad());
                };
                let source = match self.resolve_dirs(package, &entry.path, to_parents, false) {
                    Ok(dir) => dir.join(to_name),
                    Err(ExtractError::Io { .. }) => return Err(bad()),
                    Err(e) => return Err(e),
                };
                match std::fs::symlink_metadata(&source) {
                    Ok(m) if m.is_file() => {}
                    _ => return Err(bad()),
                }
                replacing(&target, |t| std::fs::hard_link(&source, t)).map_err(io)?;
                self.stats.files += 1;
                let hash = self.owners.get(&to_rel.join("/")).map_or(0, |(_, h)| *h);
                self.own(package, &shown, hash)?;
            }
            EntryKind::Device | EntryKind::Fifo | EntryKind::Other => {
                self.warnings.push(format!(
                    "{shown}: skipped a device node, FIFO or socket from {package}"
                ));
            }
        }
        Ok(())
    }

    /// Who wrote each path: (path relative to DEST as stored, package
    /// name), the last writer for a path two packages shipped.
    pub fn owners(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.owners
            .iter()
            .map(|(path, (package, _))| (path.as_str(), package.as_str()))
    }

    /// Waits until every file handed to the writer threads is on disk;
    /// returns the first (in extraction order) that could not be written.
    pub fn flush(&mut self) -> Result<(), ExtractError> {
        self.pool.as_mut().map_or(Ok(()), FilePool::wait)
    }

    /// Applies the directories' modes and times; call once at the end,
    /// after [`Extractor::flush`].
    pub fn finish(&mut self) -> std::io::Result<()> {
        self.flush().map_err(std::io::Error::other)?;
        // Deepest first, so setting a parent's mtime comes last.
        let mut dirs: Vec<_> = self.dirs.drain().collect();
        dirs.sort_by_key(|(p, _)| std::cmp::Reverse(p.components().count()));
        for (path, (mode, mtime)) in dirs {
            match std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode & 0o1777)) {
                // `remove-file` removed it after extraction.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                other => other?,
            }
            let dir = std::fs::File::open(&path)?;
            dir.set_modified(time(mtime))?;
        }
        Ok(())
    }

    /// Mode bits to set, dropping setuid/setgid with a warning.
    fn file_mode(&mut self, package: &str, shown: &str, mode: u32) -> u32 {
        if mode & 0o6000 != 0 {
            self.warnings.push(format!(
                "{shown}: dropped the setuid/setgid bit ({:o}) shipped by {package}",
                mode & 0o7777
            ));
        }
        mode & 0o1777
    }

    /// Records who wrote `path`; reports a conflict when another package
    /// wrote different content there.
    fn own(&mut self, package: &str, path: &str, hash: u64) -> Result<(), ExtractError> {
        if let Some((first, old)) = self.owners.get(path) {
            if first != package && *old != hash {
                let conflict = Conflict {
                    path: path.to_owned(),
                    first: first.clone(),
                    second: package.to_owned(),
                };
                if self.policy == ConflictPolicy::Error {
                    return Err(ExtractError::Conflict {
                        path: conflict.path,
                        first: conflict.first,
                        second: conflict.second,
                    });
                }
                self.conflicts.push(conflict);
            }
        }
        self.owners
            .insert(path.to_owned(), (package.to_owned(), hash));
        Ok(())
    }

    /// Walks `components` from DEST, following symlinks only while they
    /// stay inside it, creating missing directories when `create`.
    fn resolve_dirs(
        &mut self,
        package: &str,
        entry: &str,
        components: &[String],
        create: bool,
    ) -> Result<PathBuf, ExtractError> {
        let mut todo: Vec<String> = components.iter().rev().cloned().collect();
        let mut stack: Vec<String> = Vec::new();
        let mut links = 0;
        let mut last_link = String::new();
        while let Some(c) = todo.pop() {
            if c == ".." {
                // Only symlink targets bring `..` here (stored paths are normalised).
                if stack.pop().is_none() {
                    return Err(ExtractError::SymlinkEscape {
                        package: package.to_owned(),
                        entry: entry.to_owned(),
                        link: last_link,
                    });
                }
                continue;
            }
            let here = self.dest.join(stack.join("/")).join(&c);
            if let Some(pool) = self.pool.as_mut().filter(|p| p.is_pending(&here)) {
                // What is there is still being written.
                pool.wait()?;
            }
            let io = |e: std::io::Error| ExtractError::Io {
                package: package.to_owned(),
                entry: entry.to_owned(),
                reason: crate::error::describe_io(&e),
            };
            match std::fs::symlink_metadata(&here) {
                Ok(m) if m.is_dir() => stack.push(c),
                Ok(m) if m.file_type().is_symlink() => {
                    links += 1;
                    let link_rel = format!(
                        "{}{}{c}",
                        stack.join("/"),
                        if stack.is_empty() { "" } else { "/" }
                    );
                    let escape = || ExtractError::SymlinkEscape {
                        package: package.to_owned(),
                        entry: entry.to_owned(),
                        link: link_rel.clone(),
                    };
                    if links > MAX_LINK_DEPTH {
                        return Err(escape());
                    }
                    let target = std::fs::read_link(&here).map_err(io)?;
                    if target.is_absolute() {
                        return Err(escape());
                    }
                    // Resolve the target against the link's directory, lexically.
                    for part in target.components().rev() {
                        match part {
                            Component::Normal(p) => todo.push(p.to_string_lossy().into_owned()),
                            Component::ParentDir => todo.push("..".into()),
                            _ => {}
                        }
                    }
                    last_link = link_rel;
                }
                Ok(_) => {
                    return Err(ExtractError::Io {
                        package: package.to_owned(),
                        entry: entry.to_owned(),
                        reason: format!(
                            "{} is not a directory",
                            [stack.join("/"), c].join("/").trim_start_matches('/')
                        ),
                    })
                }
                Err(_) if create => {
                    std::fs::create_dir(&here).map_err(io)?;
                    stack.push(c);
                }
                Err(e) => return Err(io(e)),
            }
        }
        Ok(self.dest.join(stack.join("/")))
    }
}

/// Lexical normalisation of a stored path: leading `/` and `./` removed,
/// `.` dropped, `..` resolved; `None` when it climbs out.
pub fn normalise(stored: &str) -> Option<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for part in stored.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                out.pop()?;
            }
            p => out.push(p.to_owned()),
        }
    }
    Some(out)
}

/// What tells two files' contents apart for the conflict report: CRC-32
/// and length, at memory speed (SipHash cost a third of the extraction
/// time).
fn content_hash(crc: &flate2::Crc) -> u64 {
    (u64::from(crc.amount()) << 32) | u64::from(crc.sum())
}

fn time(mtime: i64) -> SystemTime {
    if mtime >= 0 {
        SystemTime::UNIX_EPOCH + Duration::from_secs(mtime as u64)
    } else {
        SystemTime::UNIX_EPOCH
    }
}

#[cfg(test)]
mod tests;
