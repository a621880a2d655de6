//! The snapshot: what the service read from OBS, committed next to the
//! spec so that a run without network (OBS's server-side service runs) gives
//! the same result (DESIGN §5). Sorted, no timestamps: the same inputs give
//! the same bytes.

use std::collections::BTreeMap;

use serde::Deserialize;

/// One source package's part of the snapshot.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PackageSnapshot {
    /// The source package.
    pub name: String,
    /// Its project.
    pub project: String,
    /// Binary package names it builds, sorted.
    pub binaries: Vec<String>,
    /// Its spec's Requires as `(name, op, evr)`, sorted.
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
            "<venvjail-snapshot version=\"1\" apiurl=\"{}\">\n  <repository project=\"{}\" name=\"{}\" arch=\"{}\">\n",
            escape(&self.apiurl),
            escape(&self.project),
            escape(&self.repository),
            escape(&self.arch)
        );
        for b in &binaries {
            match self.versions.get(b) {
                Some(evr) => s.push_str(&format!(
                    "    <binary name=\"{}\" evr=\"{}\"/>\n",
                    escape(b),
                    escape(evr)
                )),
                None => s.push_str(&format!("    <binary name=\"{}\"/>\n", escape(b))),
            }
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
            for (name, op, evr) in &p.requires {
                s.push_str(&format!("    <requires name=\"{}\"", escape(name)));
                if let (Some(op), Some(evr)) = (op, evr) {
                    s.push_str(&format!(" op=\"{}\" evr=\"{}\"", escape(op), escape(evr)));
                }
                s.push_str("/>\n");
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
        if root.version != "1" {
            return Err(located(
                format!("unsupported version '{}'", root.version),
                None,
            ));
        }
        Ok(Snapshot {
            apiurl: root.apiurl,
            project: root.repository.project,
            repository: root.repository.name,
            arch: root.repository.arch,
            versions: root
                .repository
                .binaries
                .iter()
                .filter_map(|b| Some((b.name.clone(), b.evr.clone()?)))
                .collect(),
            binaries: root
                .repository
                .binaries
                .into_iter()
                .map(|b| b.name)
                .collect(),
            packages: root
                .packages
                .into_iter()
                .map(|p| PackageSnapshot {
                    name: p.name,
                    project: p.project,
                    binaries: p.binaries.into_iter().map(|b| b.name).collect(),
                    requires: p
                        .requires
                        .into_iter()
                        .map(|r| (r.name, r.op, r.evr))
                        .collect(),
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

    fn sample() -> Snapshot {
        Snapshot {
            apiurl: "https://api.opensuse.org".into(),
            project: "P".into(),
            repository: "standard".into(),
            arch: "x86_64".into(),
            binaries: vec!["python311-foo".into(), "libzmq5".into()],
            versions: BTreeMap::new(),
            packages: vec![PackageSnapshot {
                name: "salt".into(),
                project: "P".into(),
                binaries: vec!["salt-minion".into()],
                requires: vec![(
                    "python3-PyYAML".into(),
                    Some(">=".into()),
                    Some("5.1".into()),
                )],
            }],
        }
    }

    #[test]
    fn round_trip_and_stable_bytes() {
        let xml = sample().to_xml();
        assert!(xml.contains("<requires name=\"python3-PyYAML\" op=\"&gt;=\" evr=\"5.1\"/>"));
        let back = Snapshot::parse("s", &xml).unwrap();
        assert_eq!(back.to_xml(), xml);
    }

    #[test]
    fn versions_are_optional_attributes() {
        let mut s = sample();
        let without = s.to_xml();
        s.versions
            .insert("python311-foo".into(), "1:2.0-150500.1.1".into());
        let with = s.to_xml();
        assert_eq!(
            with,
            without.replace(
                "<binary name=\"python311-foo\"/>",
                "<binary name=\"python311-foo\" evr=\"1:2.0-150500.1.1\"/>"
            )
        );
        let back = Snapshot::parse("s", &with).unwrap();
        assert_eq!(back.versions, s.versions);
        assert_eq!(back.to_xml(), with);
        assert!(Snapshot::parse("s", &without).unwrap().versions.is_empty());
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
