//! The crate's error type and how errors map to exit codes (DESIGN §2).

use std::io;
use std::path::{Path, PathBuf};

/// Everything that makes a command fail. Every variant is exit code 2.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be read.
    #[error("cannot read {}: {}", path.display(), describe_io(source))]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// A file could not be written.
    #[error("cannot write {}: {}", path.display(), describe_io(source))]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// A file marked read-only is not rewritten.
    #[error("cannot write {}: the file is read-only", path.display())]
    ReadOnly {
        /// The file.
        path: PathBuf,
    },
    /// A directory given with `-C` could not be entered.
    #[error("cannot change to directory {}: {}", path.display(), describe_io(source))]
    ChangeDir {
        /// The directory.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// OBS could not be reached or refused the request.
    #[error(transparent)]
    Obs(#[from] crate::obs::ObsError),
    /// A requirements file that cannot be read or parsed.
    #[error(transparent)]
    Requirements(#[from] crate::requirements::RequirementsError),
    /// Requirements that cannot be mapped (no flavour).
    #[error(transparent)]
    Mapping(#[from] crate::requirements::MappingError),
    /// `verify` could not scan the venv.
    #[error(transparent)]
    Verify(#[from] crate::create::verify::VerifyError),
    /// An input is invalid; the message names the file and line.
    #[error("{0}")]
    Invalid(String),
}

impl Error {
    /// A read error for `path`.
    pub fn read(path: &Path, source: io::Error) -> Self {
        Error::Read {
            path: path.to_owned(),
            source,
        }
    }

    /// A failure writing to standard output.
    pub fn stdout(source: io::Error) -> Self {
        Error::Write {
            path: PathBuf::from("<stdout>"),
            source,
        }
    }

    /// The process exit code for this error (never 3: OBS reads exit 3 as
    /// an infrastructure failure).
    pub fn exit_code(&self) -> i32 {
        2
    }
}

/// An I/O error as a short lowercase reason, without `(os error N)`.
pub fn describe_io(e: &io::Error) -> String {
    let text = match e.kind() {
        io::ErrorKind::NotFound => "no such file or directory".to_owned(),
        io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        io::ErrorKind::IsADirectory => "is a directory".to_owned(),
        _ => {
            let s = e.to_string();
            match s.find(" (os error") {
                Some(p) => s[..p].to_owned(),
                None => s,
            }
        }
    };
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => text,
    }
}

/// Reads a file that may be absent: `None` when it does not exist, an
/// error naming it for anything else (permissions, a directory…).
pub fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, Error> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::read(path, e)),
    }
}

/// Reads a whole file, with the error naming it.
pub fn read_file(path: &Path) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|e| Error::read(path, e))
}
