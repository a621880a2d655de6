//! An OBS build configuration (`GET /build/P/R/_buildconfig`, what
//! `osc buildconfig P R` prints) read as obs-build's `Build::read_config`
//! reads it for the scheduler's spec parser.
//!
//! The spec sees only:
//! - obs-build's standard macros (`%nil` and the architecture lists
//!   `%ix86`, `%x86_64`, `%arm`, …), `_target_cpu` (the architecture) and
//!   `_target_os linux`;
//! - `DistMacro: NAME VALUE` lines;
//! - the `Macros:` … `:Macros` sections (to the end of the file when not
//!   closed), verbatim: each `%name body` line defines `name` (a line ending
//!   in `\` continues on the next); a section whose first line is `!` drops
//!   every section before it.
//!
//! `%define`/`%global` lines outside the `Macros:` sections are the
//! configuration's own: they decide the configuration's `%if`/`%ifarch`
//! blocks (which decide which `Macros:` sections count) and are not visible
//! to the spec. As in obs-build, a configuration condition that cannot be
//! evaluated is false.

use super::expr;
use super::macros::{define_body, split_definition, Expander, MacroTable};

/// obs-build's `$std_macros` (Build.pm).
pub const OBS_STD_MACROS: &str = "\
%define nil
%define ix86    i386 i486 i586 i686 pentium3 pentium4 athlon geode
%define x86_64  x86_64 x86_64_v2 x86_64_v3 x86_64_v4 amd64 em64t
%define arm32   armv3l armv4b armv4l armv4tl armv5tl armv5tel armv5tejl armv6l armv6hl armv7l armv7hl armv7hnl armv8l armv8hl armv8hnl armv8hcnl
%define arm     %{arm32}
%define arml    armv3l armv4l armv5l armv5tel armv6l armv6hl armv7l armv7hl armv7hnl
%define armb    armv4b armv5b armv5teb
%define arm64   aarch64
%define mips32  mips mipsel mipsr6 mipsr6el
%define mips64  mips64 mips64el mips64r6 mips64r6el
%define mipseb  mips mipsr6 mips64 mips64r6
%define mipsel  mipsel mipsr6el mips64el mips64r6el
%define mips    %{mips32} %{mips64}
%define loongarch64 loongarch64
%define sparc   sparc sparcv8 sparcv9 sparcv9v sparc64 sparc64v
%define alpha   alpha alphaev56 alphaev6 alphaev67
%define power64 ppc64 ppc64p7 ppc64le
%define riscv32 riscv32
%define riscv64 riscv64
%define riscv128 riscv128
%define riscv   %{riscv32} %{riscv64} %{riscv128}
";

/// What a build configuration gives the spec parser.
#[derive(Debug, Clone)]
pub struct BuildConfig {
    /// The macros the spec sees (starting from rpm's core `%bcond` macros,
    /// which obs-build implements natively).
    pub macros: MacroTable,
    /// How many `%name` definitions the counted `Macros:` sections made.
    pub macro_count: usize,
}

/// The standard macros plus `_target_cpu`/`_target_os`, defined in `table`.
fn define_standard(table: &mut MacroTable, arch: &str) {
    for line in OBS_STD_MACROS.lines() {
        if let Some(def) = line.strip_prefix("%define ") {
            define_line(table, def);
        }
    }
    table.define("_target_cpu", None, Some(arch.to_owned()), true);
    table.define("_target_os", None, Some("linux".to_owned()), true);
}

/// `NAME[(opts)] BODY` as a lazy definition (obs-build's `%define`).
fn define_line(table: &mut MacroTable, def: &str) -> bool {
    match split_definition(def.trim_start()) {
        Some((name, params, body)) => {
            table.define(name, params, Some(define_body(body)), true);
            true
        }
        None => false,
    }
}

/// One open `%if` of the configuration.
struct Open {
    /// Whether the lines around the `%if` are read.
    outer: bool,
    /// Whether its current branch is read.
    reading: bool,
    /// Whether one of its branches was taken.
    done: bool,
}

/// Reads a build configuration for architecture `arch` (`--arch`).
pub fn read(text: &[u8], arch: &str) -> BuildConfig {
    let text = String::from_utf8_lossy(text);
    let mut config = MacroTable::new();
    define_standard(&mut config, arch);
    let mut spec = MacroTable::with_rpm_core();
    define_standard(&mut spec, arch);

    let mut raw: Vec<String> = Vec::new();
    let mut dist: Vec<String> = Vec::new();
    let mut stack: Vec<Open> = Vec::new();
    let mut lines = text.lines().map(|l| l.strip_suffix('\r').unwrap_or(l));
    let mut pending = String::new();
    while let Some(physical) = lines.next() {
        let reading = stack.last().is_none_or(|o| o.reading);
        if physical.trim().eq_ignore_ascii_case("macros:") {
            let mut section = Vec::new();
            for l in lines.by_ref() {
                let l = l.strip_suffix('\r').unwrap_or(l);
                if l.trim().eq_ignore_ascii_case(":macros") {
                    break;
                }
                section.push(l.to_owned());
            }
            if reading {
                if section.first().map(String::as_str) == Some("!") {
                    raw.clear();
                    section.remove(0);
                }
                raw.extend(section);
            }
            continue;
        }
        // obs-build joins `\`-continued configuration lines.
        if let Some(head) = physical.strip_suffix('\\') {
            pending.push_str(head);
            pending.push('\n');
            continue;
        }
        let line = std::mem::take(&mut pending) + physical;
        let trimmed = line.trim_start();
        let word = trimmed
            .split(|c: char| c.is_whitespace())
            .next()
            .unwrap_or("");
        match word {
            "%if" | "%ifarch" | "%ifnarch" | "%ifos" | "%ifnos" => {
                let hit = reading && condition(&mut config, word, &trimmed[word.len()..], arch);
                stack.push(Open {
                    outer: reading,
                    reading: hit,
                    done: hit,
                });
            }
            "%elif" | "%elifarch" | "%elifos" => {
                let test = match word {
                    "%elif" => "%if",
                    "%elifarch" => "%ifarch",
                    _ => "%ifos",
                };
                let rest = trimmed[word.len()..].to_owned();
                if let Some(top) = stack.last_mut() {
                    top.reading =
                        top.outer && !top.done && condition(&mut config, test, &rest, arch);
                    top.done |= top.reading;
                }
            }
            "%else" => {
                if let Some(top) = stack.last_mut() {
                    top.reading = top.outer && !top.done;
                    top.done = true;
                }
            }
            "%endif" => {
                stack.pop();
            }
            _ if !reading => {}
            "%define" | "%global" => {
                let def = &trimmed[word.len()..];
                if word == "%global" {
                    if let Some((name, params, body)) = split_definition(def.trim_start()) {
                        let body = define_body(body);
                        let value = Expander::new(&mut config).expand(&body).unwrap_or(body);
                        config.define(name, params, Some(value), true);
                    }
                } else {
                    define_line(&mut config, def);
                }
            }
            "%undefine" => config.undefine(trimmed[word.len()..].trim()),
            _ if word.eq_ignore_ascii_case("distmacro:") => {
                dist.push(trimmed[word.len()..].trim().to_owned());
            }
            _ => {}
        }
    }
    for d in &dist {
        define_line(&mut spec, d);
    }
    let macro_count = add_macros(&mut spec, &raw);
    BuildConfig {
        macros: spec,
        macro_count,
    }
}

/// obs-build's `add_macros`: `%name body` lines become definitions, a line
/// ending in `\` continues on the next; other lines are not definitions.
fn add_macros(table: &mut MacroTable, raw: &[String]) -> usize {
    // (text, is a definition), as obs-build's list of macro lines.
    let mut lines: Vec<(String, bool)> = Vec::new();
    for line in raw {
        match lines.last_mut() {
            Some((last, _)) if last.ends_with('\\') => {
                last.pop();
                last.push('\n');
                last.push_str(line);
            }
            _ => match line.strip_prefix('%') {
                Some(def) => lines.push((def.to_owned(), true)),
                None => lines.push((line.clone(), false)),
            },
        }
    }
    let mut count = 0;
    for (def, _) in lines.iter().filter(|(_, is_def)| *is_def) {
        if let Some((name, params, body)) = split_definition(def) {
            table.define(name, params, Some(body.trim_end().to_owned()), true);
            count += 1;
        }
    }
    count
}

/// A configuration `%if`/`%ifarch`/`%ifos` line's truth; unknown is false.
fn condition(config: &mut MacroTable, keyword: &str, rest: &str, arch: &str) -> bool {
    let Some(text) = Expander::new(config).expand(rest) else {
        return false;
    };
    let list = || text.split(|c: char| c.is_whitespace() || c == ',');
    match keyword {
        "%if" => expr::condition(&text).unwrap_or(false),
        "%ifarch" => list().any(|w| w == arch),
        "%ifnarch" => !list().any(|w| w == arch),
        "%ifos" => list().any(|w| w == "linux"),
        _ => !list().any(|w| w == "linux"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rpmspec::macros::Defined;

    fn expand(t: &mut MacroTable, s: &str) -> Option<String> {
        Expander::new(t).expand(s)
    }

    #[test]
    fn only_macros_sections_reach_the_spec() {
        let conf = b"%define suse_version 1600\nMacros:\n%is_opensuse 1\n:Macros\n";
        let mut c = read(conf, "x86_64");
        assert_eq!(c.macros.defined("suse_version"), Defined::No);
        assert_eq!(expand(&mut c.macros, "%is_opensuse").as_deref(), Some("1"));
        assert_eq!(
            expand(&mut c.macros, "%_target_cpu").as_deref(),
            Some("x86_64")
        );
        assert_eq!(
            expand(&mut c.macros, "%_target_os").as_deref(),
            Some("linux")
        );
        assert_eq!(c.macro_count, 1);
    }

    #[test]
    fn bang_drops_earlier_sections_and_continuations_join() {
        let conf = b"Macros:\n%a 1\n:Macros\nMacros:\n!\n%b two\\\nlines\n:Macros\nMacros:\n%c 3\n";
        let mut c = read(conf, "aarch64");
        assert_eq!(c.macros.defined("a"), Defined::No);
        assert_eq!(expand(&mut c.macros, "%b").as_deref(), Some("two\nlines"));
        assert_eq!(expand(&mut c.macros, "%c").as_deref(), Some("3"));
        assert_eq!(c.macro_count, 2);
    }

    #[test]
    fn configuration_conditions_pick_sections() {
        let conf = b"%define _repository standard\n\
%if \"%_repository\" == \"images\"\nMacros:\n%img 1\n:Macros\n%else\nMacros:\n%std 1\n:Macros\n%endif\n\
%ifarch x86_64\nMacros:\n%x86 1\n:Macros\n%endif\n\
%ifarch aarch64\nMacros:\n%aarch 1\n:Macros\n%endif\n\
%if %{undefined_thing} > 1\nMacros:\n%never 1\n:Macros\n%endif\n";
        let c = read(conf, "x86_64");
        assert_eq!(c.macros.defined("img"), Defined::No);
        assert_eq!(c.macros.defined("std"), Defined::Yes);
        assert_eq!(c.macros.defined("x86"), Defined::Yes);
        assert_eq!(c.macros.defined("never"), Defined::No);
        assert_eq!(c.macros.defined("_repository"), Defined::No);
    }

    #[test]
    fn arch_lists_are_standard() {
        let mut c = read(b"", "i586");
        let ix86 = expand(&mut c.macros, "%ix86").unwrap_or_default();
        assert!(ix86.split_whitespace().any(|a| a == "i586"), "{ix86}");
        assert_eq!(expand(&mut c.macros, "%{nil}").as_deref(), Some(""));
    }
}
