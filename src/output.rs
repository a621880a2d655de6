//! How venvjail talks to the terminal: warnings and errors on stderr, one
//! line each, optionally coloured.

use std::io::{IsTerminal, Write};

/// When to colour diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ColorChoice {
    /// Colour when stderr is a terminal and `NO_COLOR` is unset.
    #[default]
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// Options every command shares: verbosity and colour.
#[derive(Debug, Clone, Copy, Default)]
pub struct Reporter {
    /// Colour diagnostics.
    pub color: bool,
    /// Suppress warnings (`-q`).
    pub quiet: bool,
    /// `-v` count.
    pub verbose: u8,
}

impl Reporter {
    /// A reporter for the given choices.
    pub fn new(color: ColorChoice, quiet: bool, verbose: u8) -> Self {
        let color = match color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::env::var_os("NO_COLOR").is_none() && std::io::stderr().is_terminal()
            }
        };
        Self {
            color,
            quiet,
            verbose,
        }
    }

    /// Prints `LOCATION: warning: MESSAGE` (or `venvjail: warning: MESSAGE`).
    pub fn warning(&self, location: Option<&str>, message: &str) {
        if self.quiet {
            return;
        }
        let label = if self.color {
            "\x1b[1;33mwarning\x1b[0m"
        } else {
            "warning"
        };
        let _ = writeln!(
            std::io::stderr(),
            "{}: {label}: {message}",
            location.unwrap_or("venvjail")
        );
    }

    /// Prints an informational line on stderr (`-q` silences it).
    pub fn note(&self, message: &str) {
        if !self.quiet {
            let _ = writeln!(std::io::stderr(), "{message}");
        }
    }

    /// Prints the final error line: `venvjail: MESSAGE` (OBS keeps only the
    /// last line of a failed service, so it must stand alone).
    pub fn error(&self, message: &str) {
        let _ = writeln!(std::io::stderr(), "venvjail: {message}");
    }
}
