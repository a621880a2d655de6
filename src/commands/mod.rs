//! The commands: validated options in, library calls, output out.

pub mod exclude;
pub mod lint;
pub mod spec;
