//! The commands: validated options in, library calls, output out.

pub mod spec;
