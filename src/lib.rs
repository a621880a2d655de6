//! venvjail builds relocatable Python virtual environments out of
//! distribution packages inside the Open Build Service, and keeps the
//! packaging that drives them (`include-rpm`, `exclude-rpm`, the spec's
//! `BuildRequires`/`Requires`) in sync with OBS.
//!
//! The binary is thin: [`cli`] holds the clap definitions, [`commands`]
//! turns validated options into library calls, and the library modules
//! ([`rpmspec`]) never see clap types.

pub mod atomic_write;
pub mod cli;
pub mod commands;
pub mod create;
pub mod diff;
pub mod error;
pub mod in_order;
pub mod lint;
pub mod obs;
pub mod output;
pub mod provides;
pub mod requirements;
pub mod rpm;
pub mod rpmspec;
pub mod rules;
pub mod service;

pub use error::Error;
