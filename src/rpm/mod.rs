//! RPM data read without librpm: the lead and header structures
//! ([`header`]), their tags ([`tag`]), and the cpio newc archives of
//! payloads ([`cpio`], with rpm's stripped `07070X` entries in
//! [`stripped`]). Nothing here depends on the rest of the crate; `create`
//! decompresses payloads and extracts them on top of it.

pub mod cpio;
mod error;
pub mod header;
pub mod stripped;
pub mod tag;

pub use error::Error;
pub use header::{read_lead_and_header, Header, HeaderFile};
