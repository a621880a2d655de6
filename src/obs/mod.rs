//! Talking to OBS: the API client, its XML, oscrc credentials, and the
//! binary file names OBS lists.

pub mod binary_name;
pub mod client;
pub mod error;
pub mod headers;
pub mod oscrc;
pub mod service_file;
pub mod snapshot;
pub mod xml;

pub use client::{Client, ClientOptions};
pub use error::ObsError;
