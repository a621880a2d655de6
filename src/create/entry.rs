//! What a package payload holds: entries with their metadata (the cpio
//! reader's [`Entry`], which the deb reader yields too), and the errors
//! reading a package can give.

pub use crate::rpm::cpio::{Entry, EntryKind};

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

impl From<crate::rpm::Error> for PackageError {
    fn from(e: crate::rpm::Error) -> Self {
        use crate::rpm::Error as E;
        match e {
            E::NotAnRpm {
                source_name,
                reason,
            } => Self::NotAPackage {
                package: source_name,
                format: "RPM",
                reason,
            },
            E::Unsupported {
                source_name,
                what,
                value,
            } => Self::Unsupported {
                package: source_name,
                what,
                value,
            },
            E::Corrupt {
                source_name,
                entry,
                reason,
            } => Self::Corrupt {
                package: source_name,
                entry,
                reason,
            },
        }
    }
}
