//! The requirements a set of packages (a venv's binaries, V) leaves to the
//! system, as rpm resolves them (DESIGN §5.2): each counted `Requires`
//! entry of V is satisfied by an overlapping `Provides` of V, a file V
//! ships, or, for a rich dependency, by its operators over the same rule;
//! what is left is the block.

use std::collections::{BTreeMap, BTreeSet};

use super::deps::Dep;
use super::evr::overlaps;
use super::rich::{self, Rich};
use super::Header;

/// What the resolution needs of one binary's header.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Package {
    /// `NAME`.
    pub name: String,
    /// `[epoch:]version-release`.
    pub evr: String,
    /// `ARCH`.
    pub arch: String,
    /// Every `Provides` entry.
    pub provides: Vec<Dep>,
    /// The `Requires` entries that count ([`counts`]).
    pub requires: Vec<Dep>,
    /// The packaged paths.
    pub files: Vec<String>,
}

/// Whether a `Requires` entry counts for a bundle that extracts payloads:
/// not an `rpmlib(…)` feature, no scriptlet or transaction bit.
pub fn counts(d: &Dep) -> bool {
    !d.is_rpmlib() && !d.is_scriptlet()
}

impl Package {
    /// Reads what the resolution needs from a main header; `None` (with a
    /// reason) when NAME is missing or a dependency array is inconsistent.
    pub fn from_header(h: &Header) -> Result<Package, String> {
        use super::tag;
        let name = h.string(tag::NAME).ok_or("no NAME in the header")?;
        let version = h.string(tag::VERSION).unwrap_or_default();
        let release = h.string(tag::RELEASE).unwrap_or_default();
        let evr = match h.int32(tag::EPOCH) {
            Some(e) => format!("{e}:{version}-{release}"),
            None => format!("{version}-{release}"),
        };
        let mut provides = h.provides().ok_or("its Provides arrays disagree")?;
        provides.sort();
        provides.dedup();
        let mut requires: Vec<Dep> = h
            .requires()
            .ok_or("its Requires arrays disagree")?
            .into_iter()
            .filter(counts)
            .map(|d| Dep::new(d.name, d.flags & super::deps::SENSE_MASK, d.evr))
            .collect();
        requires.sort();
        requires.dedup();
        let mut files = h.file_paths().ok_or("its file list is inconsistent")?;
        files.sort();
        Ok(Package {
            name,
            evr,
            arch: h.string(tag::ARCH).unwrap_or_default(),
            provides,
            requires,
            files,
        })
    }

    /// The paths some requirement of `all` names (rich operands too): the
    /// only files a resolution looks at.
    pub fn keep_named_files(&mut self, named: &BTreeSet<String>) {
        self.files.retain(|f| named.contains(f));
    }
}

/// Every path a requirement of `packages` names, rich operands included.
pub fn named_paths(packages: &[Package]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for p in packages {
        for d in &p.requires {
            if d.name.starts_with('/') {
                out.insert(d.name.clone());
            } else if d.is_rich() {
                if let Ok(r) = rich::parse(&d.name) {
                    r.each_dep(&mut |x| {
                        if x.name.starts_with('/') {
                            out.insert(x.name.clone());
                        }
                    });
                }
            }
        }
    }
    out
}

/// One line of the block and the binaries that need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// The dependency as rpm prints it.
    pub dep: String,
    /// The binaries whose requirement it is, sorted.
    pub needed_by: Vec<String>,
}

/// A requirement naming a package of V at another version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inconsistency {
    /// The binary with the requirement.
    pub binary: String,
    /// The requirement (`salt = 3006.0-1.1`).
    pub dep: String,
    /// The package it names and the EVR V has it at.
    pub present: (String, String),
}

/// The block and what is odd about it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Block {
    /// The lines, sorted by dependency text, de-duplicated.
    pub lines: Vec<Line>,
    /// Requirements of V on a package of V at another version.
    pub inconsistent: Vec<Inconsistency>,
}

/// The requirements of the packages of `venv` that `needs` selects that
/// nothing in `venv` satisfies. An error names a binary whose rich
/// dependency does not parse.
pub fn resolve(venv: &[Package], needs: &dyn Fn(&Package) -> bool) -> Result<Block, String> {
    let mut providers: BTreeMap<&str, Vec<(usize, &Dep)>> = BTreeMap::new();
    let mut files: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, p) in venv.iter().enumerate() {
        for d in &p.provides {
            providers.entry(d.name.as_str()).or_default().push((i, d));
        }
        for f in &p.files {
            files.entry(f.as_str()).or_default().push(i);
        }
    }
    let who = |d: &Dep| -> Vec<usize> {
        let mut out: Vec<usize> = providers
            .get(d.name.as_str())
            .into_iter()
            .flatten()
            .filter(|(_, p)| overlaps(d, p))
            .map(|(i, _)| *i)
            .collect();
        if d.name.starts_with('/') {
            out.extend(files.get(d.name.as_str()).into_iter().flatten());
        }
        out.sort_unstable();
        out.dedup();
        out
    };
    let mut lines: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut inconsistent = Vec::new();
    for p in venv.iter().filter(|p| needs(p)) {
        for d in &p.requires {
            let satisfied = if d.is_rich() {
                let r: Rich = rich::parse(&d.name)
                    .map_err(|e| format!("{}: requirement '{}': {e}", p.name, d.name))?;
                r.holds(&who)
            } else {
                !who(d).is_empty()
            };
            if satisfied {
                continue;
            }
            if let Some(other) = venv.iter().find(|o| o.name == d.name) {
                inconsistent.push(Inconsistency {
                    binary: p.name.clone(),
                    dep: d.to_string(),
                    present: (other.name.clone(), other.evr.clone()),
                });
            }
            lines
                .entry(d.to_string())
                .or_default()
                .insert(p.name.clone());
        }
    }
    inconsistent.sort_by(|a, b| (&a.binary, &a.dep).cmp(&(&b.binary, &b.dep)));
    inconsistent.dedup();
    Ok(Block {
        lines: lines
            .into_iter()
            .map(|(dep, by)| Line {
                dep,
                needed_by: by.into_iter().collect(),
            })
            .collect(),
        inconsistent,
    })
}
