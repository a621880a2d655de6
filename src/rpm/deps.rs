//! Dependency entries of a header (`PROVIDE*`, `REQUIRE*`: name, flags,
//! version) with the flag bits named as in rpm's `rpmds.h`, and the file
//! list (`BASENAMES`, `DIRNAMES`, `DIRINDEXES`).

use super::tag::{self, TYPE_INT32};
use super::Header;

/// `RPMSENSE_LESS`.
pub const SENSE_LESS: u32 = 1 << 1;
/// `RPMSENSE_GREATER`.
pub const SENSE_GREATER: u32 = 1 << 2;
/// `RPMSENSE_EQUAL`.
pub const SENSE_EQUAL: u32 = 1 << 3;
/// `RPMSENSE_SENSEMASK`: the comparison bits.
pub const SENSE_MASK: u32 = SENSE_LESS | SENSE_GREATER | SENSE_EQUAL;
/// `RPMSENSE_POSTTRANS`: `Requires(posttrans)`.
pub const SENSE_POSTTRANS: u32 = 1 << 5;
/// `RPMSENSE_PREREQ`: the legacy `PreReq:` bit.
pub const SENSE_PREREQ: u32 = 1 << 6;
/// `RPMSENSE_PRETRANS`: `Requires(pretrans)`.
pub const SENSE_PRETRANS: u32 = 1 << 7;
/// `RPMSENSE_INTERP`: the interpreter of a scriptlet.
pub const SENSE_INTERP: u32 = 1 << 8;
/// `RPMSENSE_SCRIPT_PRE`: `Requires(pre)`.
pub const SENSE_SCRIPT_PRE: u32 = 1 << 9;
/// `RPMSENSE_SCRIPT_POST`: `Requires(post)`.
pub const SENSE_SCRIPT_POST: u32 = 1 << 10;
/// `RPMSENSE_SCRIPT_PREUN`: `Requires(preun)`.
pub const SENSE_SCRIPT_PREUN: u32 = 1 << 11;
/// `RPMSENSE_SCRIPT_POSTUN`: `Requires(postun)`.
pub const SENSE_SCRIPT_POSTUN: u32 = 1 << 12;
/// `RPMSENSE_SCRIPT_VERIFY`: `Requires(verify)`.
pub const SENSE_SCRIPT_VERIFY: u32 = 1 << 13;
/// `RPMSENSE_FIND_REQUIRES`: added by the dependency generator.
pub const SENSE_FIND_REQUIRES: u32 = 1 << 14;
/// `RPMSENSE_FIND_PROVIDES`: added by the dependency generator.
pub const SENSE_FIND_PROVIDES: u32 = 1 << 15;
/// `RPMSENSE_TRIGGERIN`.
pub const SENSE_TRIGGERIN: u32 = 1 << 16;
/// `RPMSENSE_TRIGGERUN`.
pub const SENSE_TRIGGERUN: u32 = 1 << 17;
/// `RPMSENSE_TRIGGERPOSTUN`.
pub const SENSE_TRIGGERPOSTUN: u32 = 1 << 18;
/// `RPMSENSE_MISSINGOK`: `Requires(missingok)`.
pub const SENSE_MISSINGOK: u32 = 1 << 19;
/// `RPMSENSE_PREUNTRANS`: `Requires(preuntrans)` (rpm ≥ 4.20).
pub const SENSE_PREUNTRANS: u32 = 1 << 20;
/// `RPMSENSE_POSTUNTRANS`: `Requires(postuntrans)` (rpm ≥ 4.20).
pub const SENSE_POSTUNTRANS: u32 = 1 << 21;
/// `RPMSENSE_RPMLIB`: an `rpmlib(…)` feature.
pub const SENSE_RPMLIB: u32 = 1 << 24;
/// `RPMSENSE_TRIGGERPREIN`.
pub const SENSE_TRIGGERPREIN: u32 = 1 << 25;
/// `RPMSENSE_KEYRING`.
pub const SENSE_KEYRING: u32 = 1 << 26;
/// `RPMSENSE_CONFIG`: a `config(…)` dependency.
pub const SENSE_CONFIG: u32 = 1 << 28;
/// `RPMSENSE_META`: `Requires(meta)`, no ordering.
pub const SENSE_META: u32 = 1 << 29;

/// The bits of a requirement that only a scriptlet or a transaction step
/// needs (`_notpre()` in `rpmds.h` plus the transaction scriptlets): a
/// bundle that extracts payloads and never runs scriptlets skips them.
pub const SCRIPTLET_BITS: u32 = SENSE_INTERP
    | SENSE_SCRIPT_PRE
    | SENSE_SCRIPT_POST
    | SENSE_SCRIPT_PREUN
    | SENSE_SCRIPT_POSTUN
    | SENSE_SCRIPT_VERIFY
    | SENSE_PRETRANS
    | SENSE_POSTTRANS
    | SENSE_PREUNTRANS
    | SENSE_POSTUNTRANS;

/// One dependency entry: a name, the comparison and the EVR it compares
/// with (empty for an unversioned entry).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Dep {
    /// The capability (`python311-foo`, `libc.so.6()(64bit)`, `/bin/sh`,
    /// or a rich dependency `(a or b)`).
    pub name: String,
    /// The `RPMSENSE_*` flags.
    pub flags: u32,
    /// `[epoch:]version[-release]`, empty when unversioned.
    pub evr: String,
}

impl Dep {
    /// An entry with only the comparison bits of `flags` kept; an
    /// unversioned one when `evr` is empty.
    pub fn new(name: impl Into<String>, flags: u32, evr: impl Into<String>) -> Self {
        let evr = evr.into();
        Dep {
            name: name.into(),
            flags: if evr.is_empty() { 0 } else { flags },
            evr,
        }
    }

    /// The comparison as rpm prints it (`<`, `>`, `=`, `<=`, `>=`), empty
    /// for an unversioned entry.
    pub fn op(&self) -> &'static str {
        op_of(self.flags)
    }

    /// Whether the flags carry a bit only scriptlets and transaction
    /// steps need ([`SCRIPTLET_BITS`]).
    pub fn is_scriptlet(&self) -> bool {
        self.flags & SCRIPTLET_BITS != 0
    }

    /// An `rpmlib(…)` feature of rpm itself.
    pub fn is_rpmlib(&self) -> bool {
        self.name.starts_with("rpmlib(")
    }

    /// A rich (boolean) dependency, `(…)`.
    pub fn is_rich(&self) -> bool {
        self.name.starts_with('(')
    }
}

impl std::fmt::Display for Dep {
    /// As rpm prints it: `name`, or `name OP evr`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.op() {
            "" => f.write_str(&self.name),
            op => write!(f, "{} {op} {}", self.name, self.evr),
        }
    }
}

/// The operator of the comparison bits of `flags` (empty when none).
pub fn op_of(flags: u32) -> &'static str {
    match flags & SENSE_MASK {
        SENSE_LESS => "<",
        SENSE_GREATER => ">",
        SENSE_EQUAL => "=",
        x if x == SENSE_LESS | SENSE_EQUAL => "<=",
        x if x == SENSE_GREATER | SENSE_EQUAL => ">=",
        _ => "",
    }
}

/// The comparison bits of an operator (`>=` → GREATER|EQUAL); `None` for
/// anything else.
pub fn flags_of(op: &str) -> Option<u32> {
    Some(match op {
        "<" => SENSE_LESS,
        ">" => SENSE_GREATER,
        "=" | "==" => SENSE_EQUAL,
        "<=" => SENSE_LESS | SENSE_EQUAL,
        ">=" => SENSE_GREATER | SENSE_EQUAL,
        _ => return None,
    })
}

impl Header {
    /// The `Provides` entries; `None` when the three arrays disagree.
    pub fn provides(&self) -> Option<Vec<Dep>> {
        self.deps(tag::PROVIDENAME, tag::PROVIDEFLAGS, tag::PROVIDEVERSION)
    }

    /// The `Requires` entries (all of them, scriptlet ones included);
    /// `None` when the three arrays disagree.
    pub fn requires(&self) -> Option<Vec<Dep>> {
        self.deps(tag::REQUIRENAME, tag::REQUIREFLAGS, tag::REQUIREVERSION)
    }

    fn deps(&self, names: u32, flags: u32, versions: u32) -> Option<Vec<Dep>> {
        let Some(names) = self.strings(names) else {
            return (!self.has(names)).then(Vec::new);
        };
        let n = names.len();
        let flags = match self.ints(flags, TYPE_INT32) {
            Some(f) if f.len() == n => f,
            None if !self.has(flags) => vec![0; n],
            _ => return None,
        };
        let versions = match self.strings(versions) {
            Some(v) if v.len() == n => v,
            None if !self.has(versions) => vec![String::new(); n],
            _ => return None,
        };
        Some(
            names
                .into_iter()
                .zip(flags)
                .zip(versions)
                .map(|((name, flags), evr)| Dep {
                    name,
                    flags: flags as u32,
                    evr,
                })
                .collect(),
        )
    }

    /// The packaged paths (`DIRNAMES[DIRINDEXES[i]] + BASENAMES[i]`), ghost
    /// files included as rpm counts them for file dependencies; `None` when
    /// the arrays disagree.
    pub fn file_paths(&self) -> Option<Vec<String>> {
        let Some(basenames) = self.strings(tag::BASENAMES) else {
            return (!self.has(tag::BASENAMES)).then(Vec::new);
        };
        let dirnames = self.strings(tag::DIRNAMES)?;
        let indexes = self
            .ints(tag::DIRINDEXES, TYPE_INT32)
            .filter(|i| i.len() == basenames.len())?;
        basenames
            .iter()
            .zip(indexes)
            .map(|(b, i)| {
                let dir = dirnames.get(usize::try_from(i).ok()?)?;
                Some(format!("{dir}{b}"))
            })
            .collect()
    }
}
