//! Reading the packages `create` extracts: RPM (headers and cpio read by
//! [`crate::rpm`], the payload decompressed here) and deb (ar, `data.tar`),
//! streamed so memory does not grow with package or file size. No rpm2cpio,
//! cpio, ar or tar processes.

pub mod bundle;
pub mod deb;
pub mod disk;
pub mod distributions;
pub mod entry;
pub mod extract;
mod file_pool;
pub mod package;
pub mod payload;
pub mod pipeline;
pub mod records;
pub mod relocate;
pub mod rpm;
pub mod sbom;
pub mod tree;
pub mod venv;
pub mod verify;

pub use entry::{Entry, EntryKind, PackageError};
pub use package::{read_package, PackageInfo};
