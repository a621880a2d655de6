//! The snapshot: what the service read from OBS, committed next to the
//! spec so that a run without network (OBS's server-side service runs) gives
//! the same result (DESIGN §5). Sorted, no timestamps: the same inputs give
//! the same bytes.
//!
//! Version 2 (DESIGN §5.3) keeps, for each binary of the venv, what the
//! Requires block needs from its RPM header: its Provides, the Requires
//! that count, and the files some Requires names. A version 1 snapshot
//! (the bundled specs' Requires per package) is still read.
//!
//! `evr` on a binary without header data means the repository's versions
//! were read (`view=binaryversions`); they were when every binary carries
//! one.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::error::{read_optional, Error};
use crate::rpm::deps::{flags_of, Dep};
use crate::rpm::resolve::Package;

/// The version [`Snapshot::to_xml`] writes.
pub const VERSION: u32 = 2;

/// What a refresh of the snapshot takes, for messages.
pub const REFRESH: &str = "run `osc service manualrun` (`osc service runall` with osc before 1.0) once, with network and credentials";

/// One source package's part of the snapshot.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PackageSnapshot {
    /// The source package.
    pub name: String,
    /// Its project.
    pub project: String,
    /// Binary package names it builds, sorted.
    pub binaries: Vec<String>,
    /// Version 1 only: its spec's Requires as `(name, op, evr)`, sorted.
    pub requires: Vec<(String, Option<String>, Option<String>)>,
}

/// Everything a service run needs from OBS.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// The API URL it was read from.
    pub apiurl: String,
    /// The repository's project.
    pub project: String,
    /// The repository name.
    pub repository: String,
    /// The architecture.
    pub arch: String,
    /// Binary names of the repository, sorted.
    pub binaries: Vec<String>,
    /// `[epoch:]version-release` of the repository's binaries, read only
    /// when requirements or Provides need them (`<binary evr="…">`; empty
    /// in snapshots written without them).
    pub versions: BTreeMap<String, String>,
    /// The bundled source packages, sorted by name.
    pub packages: Vec<PackageSnapshot>,
    /// What the headers of the venv's binaries say, by binary name.
    pub headers: BTreeMap<String, Package>,
    /// The version read (`0` for one made in memory, written as
    /// [`VERSION`]).
    pub version: u32,
}

/// Reads the committed snapshot (offline runs); a missing one says how to
/// make it.
pub fn read_snapshot(path: &Path) -> Result<Snapshot, Error> {
    let Some(bytes) = read_optional(path)? else {
        return Err(Error::Invalid(format!(
            "no snapshot {}: {REFRESH}, to create it",
            path.display()
        )));
    };
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    Snapshot::parse(&name, &String::from_utf8_lossy(&bytes)).map_err(Error::Invalid)
}

fn dep_xml(s: &mut String, element: &str, d: &Dep) {
    s.push_str(&format!("      <{element} name=\"{}\"", escape(&d.name)));
    if !d.op().is_empty() {
        s.push_str(&format!(
            " op=\"{}\" evr=\"{}\"",
            escape(d.op()),
            escape(&d.evr)
        ));
    }
    s.push_str("/>\n");
}

fn escape(s: &str) -> String {
    quick_xml::escape::escape(s).into_owned()
}

impl Snapshot {
    /// The snapshot as XML; sorting makes it byte-stable.
    pub fn to_xml(&self) -> String {
        let mut binaries = self.binaries.clone();
        binaries.sort();
        binaries.dedup();
        let mut packages = self.packages.clone();
        packages.sort_by(|a, b| (&a.project, &a.name).cmp(&(&b.project, &b.name)));
        let mut s = format!(
            "<venvjail-snapshot version=\"{VERSION}\" apiurl=\"{}\">\n  <repository project=\"{}\" name=\"{}\" arch=\"{}\">\n",
            escape(&self.apiurl),
            escape(&self.project),
            escape(&self.repository),
            escape(&self.arch)
        );
        for b in &binaries {
            s.push_str(&format!("    <binary name=\"{}\"", escape(b)));
            let Some(h) = self.headers.get(b) else {
                if let Some(evr) = self.versions.get(b) {
                    s.push_str(&format!(" evr=\"{}\"", escape(evr)));
                }
                s.push_str("/>\n");
                continue;
            };
            s.push_str(&format!(
                " evr=\"{}\" arch=\"{}\">\n",
                escape(&h.evr),
                escape(&h.arch)
            ));
            let mut provides = h.provides.clone();
            provides.sort();
            provides.dedup();
            for d in &provides {
                dep_xml(&mut s, "provides", d);
            }
            let mut requires = h.requires.clone();
            requires.sort();
            requires.dedup();
            for d in &requires {
                dep_xml(&mut s, "requires", d);
            }
            let mut files = h.files.clone();
            files.sort();
            files.dedup();
            for f in &files {
                s.push_str(&format!("      <file path=\"{}\"/>\n", escape(f)));
            }
            s.push_str("    </binary>\n");
        }
        s.push_str("  </repository>\n");
        for p in &mut packages {
            p.binaries.sort();
            p.binaries.dedup();
            p.requires.sort();
            p.requires.dedup();
            s.push_str(&format!(
                "  <package project=\"{}\" name=\"{}\">\n",
                escape(&p.project),
                escape(&p.name)
            ));
            for b in &p.binaries {
                s.push_str(&format!("    <binary name=\"{}\"/>\n", escape(b)));
            }
            s.push_str("  </package>\n");
        }
        s.push_str("</venvjail-snapshot>\n");
        s
    }

    /// Reads a snapshot; errors name `file:line`.
    pub fn parse(file: &str, text: &str) -> Result<Self, String> {
        #[derive(Deserialize)]
        struct Root {
            #[serde(rename = "@version")]
            version: String,
            #[serde(rename = "@apiurl", default)]
            apiurl: String,
            repository: Repo,
            #[serde(rename = "package", default)]
            packages: Vec<Pkg>,
        }
        #[derive(Deserialize)]
        struct Repo {
            #[serde(rename = "@project")]
            project: String,
            #[serde(rename = "@name")]
            name: String,
            #[serde(rename = "@arch")]
            arch: String,
            #[serde(rename = "binary", default)]
            binaries: Vec<Bin>,
        }
        #[derive(Deserialize)]
        struct Bin {
            #[serde(rename = "@name")]
            name: String,
            #[serde(rename = "@evr", default)]
            evr: Option<String>,
            #[serde(rename = "@arch", default)]
            arch: Option<String>,
            #[serde(rename = "provides", default)]
            provides: Vec<Req>,
            #[serde(rename = "requires", default)]
            requires: Vec<Req>,
            #[serde(rename = "file", default)]
            files: Vec<File>,
        }
        #[derive(Deserialize)]
        struct File {
            #[serde(rename = "@path")]
            path: String,
        }
        #[derive(Deserialize)]
        struct Pkg {
            #[serde(rename = "@project")]
            project: String,
            #[serde(rename = "@name")]
            name: String,
            #[serde(rename = "binary", default)]
            binaries: Vec<Bin>,
            #[serde(rename = "requires", default)]
            requires: Vec<Req>,
        }
        #[derive(Deserialize)]
        struct Req {
            #[serde(rename = "@name")]
            name: String,
            #[serde(rename = "@op", default)]
            op: Option<String>,
            #[serde(rename = "@evr", default)]
            evr: Option<String>,
        }
        let located = |msg: String, pos: Option<usize>| {
            let line = pos.map_or(1, |p| text[..p.min(text.len())].matches('\n').count() + 1);
            format!("{file}:{line}: invalid snapshot: {msg}")
        };
        check_well_formed(text).map_err(|(msg, pos)| located(msg, Some(pos)))?;
        let root: Root = super::xml::parse(text.as_bytes(), "venvjail-snapshot")
            .map_err(|e| located(e, None))?;
        let version: u32 = match root.version.as_str() {
            "1" => 1,
            "2" => 2,
            other => {
                return Err(located(format!("unsupported version '{other}'"), None));
            }
        };
        let dep = |r: Req, binary: &str| -> Result<Dep, String> {
            match (r.op, r.evr) {
                (Some(op), Some(evr)) => {
                    let flags = flags_of(&op).ok_or_else(|| {
                        located(
                            format!("binary {binary}: unknown comparison '{op}' for {}", r.name),
                            None,
                        )
                    })?;
                    Ok(Dep::new(r.name, flags, evr))
                }
                _ => Ok(Dep::new(r.name, 0, "")),
            }
        };
        let mut headers = BTreeMap::new();
        let mut evrs = BTreeMap::new();
        let mut names = Vec::new();
        let mut bare_without_evr = false;
        for b in root.repository.binaries {
            names.push(b.name.clone());
            match (&b.evr, &b.arch) {
                (Some(evr), Some(arch)) if version >= 2 => {
                    let mut provides = Vec::new();
                    for r in b.provides {
                        provides.push(dep(r, &b.name)?);
                    }
                    let mut requires = Vec::new();
                    for r in b.requires {
                        requires.push(dep(r, &b.name)?);
                    }
                    evrs.insert(b.name.clone(), evr.clone());
                    headers.insert(
                        b.name.clone(),
                        Package {
                            name: b.name.clone(),
                            evr: evr.clone(),
                            arch: arch.clone(),
                            provides,
                            requires,
                            files: b.files.into_iter().map(|f| f.path).collect(),
                        },
                    );
                }
                (Some(evr), _) => {
                    evrs.insert(b.name.clone(), evr.clone());
                }
                (None, _) => bare_without_evr = true,
            }
        }
        Ok(Snapshot {
            apiurl: root.apiurl,
            project: root.repository.project,
            repository: root.repository.name,
            arch: root.repository.arch,
            // Versions were read when every binary has one (header
            // binaries always do).
            versions: if bare_without_evr && version >= 2 {
                BTreeMap::new()
            } else {
                evrs
            },
            binaries: names,
            headers,
            version,
            packages: root
                .packages
                .into_iter()
                .map(|p| PackageSnapshot {
                    name: p.name,
                    project: p.project,
                    binaries: p.binaries.into_iter().map(|b| b.name).collect(),
                    requires: if version == 1 {
                        p.requires
                            .into_iter()
                            .map(|r| (r.name, r.op, r.evr))
                            .collect()
                    } else {
                        Vec::new()
                    },
                })
                .collect(),
        })
    }
}

/// Checks well-formedness with quick-xml's reader, returning the byte
/// position of the first error (serde's errors carry none).
fn check_well_formed(text: &str) -> Result<(), (String, usize)> {
    let mut reader = quick_xml::Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut depth = 0usize;
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Start(_)) => depth += 1,
            Ok(quick_xml::events::Event::End(_)) => depth = depth.saturating_sub(1),
            Ok(quick_xml::events::Event::Eof) => {
                return if depth == 0 {
                    Ok(())
                } else {
                    Err(("the document ends inside an element".into(), text.len()))
                };
            }
            Ok(_) => {}
            Err(e) => return Err((e.to_string(), reader.error_position() as usize)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rpm::deps::{SENSE_EQUAL, SENSE_GREATER};

    fn sample() -> Snapshot {
        Snapshot {
            apiurl: "https://api.opensuse.org".into(),
            project: "P".into(),
            repository: "standard".into(),
            arch: "x86_64".into(),
            binaries: vec!["python311-foo".into(), "libzmq5".into()],
            packages: vec![PackageSnapshot {
                name: "salt".into(),
                project: "P".into(),
                binaries: vec!["salt-minion".into()],
                requires: Vec::new(),
            }],
            headers: [(
                "python311-foo".to_owned(),
                Package {
                    name: "python311-foo".into(),
                    evr: "1.0-1.1".into(),
                    arch: "noarch".into(),
                    provides: vec![Dep::new("python311-foo", SENSE_EQUAL, "1.0-1.1")],
                    requires: vec![
                        Dep::new("(a or b)", 0, ""),
                        Dep::new("python311-requests", SENSE_GREATER | SENSE_EQUAL, "2.0"),
                    ],
                    files: vec!["/usr/bin/foo".into()],
                },
            )]
            .into(),
            ..Default::default()
        }
    }

    #[test]
    fn round_trip_and_stable_bytes() {
        let xml = sample().to_xml();
        assert_eq!(
            xml,
            r#"<venvjail-snapshot version="2" apiurl="https://api.opensuse.org">
  <repository project="P" name="standard" arch="x86_64">
    <binary name="libzmq5"/>
    <binary name="python311-foo" evr="1.0-1.1" arch="noarch">
      <provides name="python311-foo" op="=" evr="1.0-1.1"/>
      <requires name="(a or b)"/>
      <requires name="python311-requests" op="&gt;=" evr="2.0"/>
      <file path="/usr/bin/foo"/>
    </binary>
  </repository>
  <package project="P" name="salt">
    <binary name="salt-minion"/>
  </package>
</venvjail-snapshot>
"#
        );
        let back = Snapshot::parse("s", &xml).unwrap();
        assert_eq!(back.to_xml(), xml);
        assert_eq!(back.headers, sample().headers);
        assert_eq!(back.version, 2);
        assert!(back.versions.is_empty());
    }

    #[test]
    fn versions_are_optional_attributes() {
        let mut s = sample();
        s.versions.insert("libzmq5".into(), "4.3.4-1.1".into());
        s.versions.insert("python311-foo".into(), "1.0-1.1".into());
        let with = s.to_xml();
        assert!(with.contains("<binary name=\"libzmq5\" evr=\"4.3.4-1.1\"/>"));
        let back = Snapshot::parse("s", &with).unwrap();
        assert_eq!(back.versions, s.versions);
        assert_eq!(back.to_xml(), with);
    }

    #[test]
    fn version_1_keeps_the_package_requires() {
        let v1 = r#"<venvjail-snapshot version="1" apiurl="https://api.opensuse.org">
  <repository project="P" name="standard" arch="x86_64">
    <binary name="python311-foo" evr="1.0-1.1"/>
  </repository>
  <package project="P" name="salt">
    <binary name="salt-minion"/>
    <requires name="python3-PyYAML" op="&gt;=" evr="5.1"/>
  </package>
</venvjail-snapshot>
"#;
        let s = Snapshot::parse("s", v1).unwrap();
        assert_eq!(s.version, 1);
        assert!(s.headers.is_empty());
        assert_eq!(
            s.packages[0].requires,
            [(
                "python3-PyYAML".to_owned(),
                Some(">=".to_owned()),
                Some("5.1".to_owned())
            )]
        );
        assert_eq!(s.versions["python311-foo"], "1.0-1.1");
    }

    #[test]
    fn errors_name_the_line() {
        let e = Snapshot::parse(
            "venvjail.snapshot.xml",
            "<venvjail-snapshot version=\"1\">\n<repository>\n</wrong>\n",
        )
        .unwrap_err();
        assert!(
            e.starts_with("venvjail.snapshot.xml:3: invalid snapshot:"),
            "{e}"
        );
    }
}
