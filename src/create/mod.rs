//! Reading the packages `create` extracts: RPM (lead, headers, cpio
//! payload) and deb (ar, `data.tar`), streamed so memory does not grow with
//! package or file size. No rpm2cpio, cpio, ar or tar processes.

pub mod bundle;
pub mod cpio;
pub mod deb;
pub mod disk;
pub mod distributions;
pub mod entry;
pub mod extract;
pub mod package;
pub mod payload;
pub mod pipeline;
pub mod records;
pub mod relocate;
pub mod rpm;
pub mod sbom;
pub mod stripped;
pub mod tree;
pub mod venv;
pub mod verify;

pub use entry::{Entry, EntryKind, PackageError};
pub use package::{read_package, PackageInfo};
