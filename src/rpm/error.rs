//! Why an RPM header or cpio archive could not be read.

/// An error reading RPM data; names the source (a file, or an OBS request
/// and member) and, when it is about one, the entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Not an RPM at all (no lead, no NAME).
    #[error("{source_name}: not an RPM package: {reason}")]
    NotAnRpm {
        /// The file or member.
        source_name: String,
        /// Why.
        reason: String,
    },
    /// Something venvjail cannot read (a cpio variant).
    #[error("{source_name}: unsupported {what} '{value}'")]
    Unsupported {
        /// The file or member.
        source_name: String,
        /// What is unsupported (`payload format`).
        what: &'static str,
        /// Its value.
        value: String,
    },
    /// The data ends or breaks in the middle.
    #[error("{source_name}: corrupt or truncated payload at {entry}: {reason}")]
    Corrupt {
        /// The file or member.
        source_name: String,
        /// The part being read (`main header`, a cpio entry's path).
        entry: String,
        /// Why.
        reason: String,
    },
}
