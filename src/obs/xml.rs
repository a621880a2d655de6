//! The OBS API's XML documents, as serde types (quick-xml), and the
//! `view=names` binary list read with quick-xml's event reader: it is the
//! one large answer (60,000 binaries are ~4 MB), and serde with its
//! attribute maps was most of `include`'s time.

use serde::Deserialize;

/// `<binarylist>`: a repository's or a package's binaries.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct BinaryList {
    /// The package, when the list is a package's build result.
    #[serde(rename = "@package", default)]
    pub package: Option<String>,
    /// The binaries.
    #[serde(rename = "binary", default)]
    pub binaries: Vec<Binary>,
}

/// One `<binary>` of a binary list.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct Binary {
    /// The file name (`name.rpm` with `view=names`, full NEVRA otherwise).
    #[serde(rename = "@filename")]
    pub filename: String,
    /// Size in bytes; empty for download-on-demand repositories.
    #[serde(rename = "@size", default)]
    pub size: Option<String>,
    /// Modification time; empty or absent for some entries.
    #[serde(rename = "@mtime", default)]
    pub mtime: Option<String>,
}

/// `<binaryversionlist>` (`view=binaryversions`).
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct BinaryVersionList {
    /// The binaries.
    #[serde(rename = "binary", default)]
    pub binaries: Vec<BinaryVersion>,
}

/// One binary with its version (`withevr=1`).
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct BinaryVersion {
    /// `name.rpm`.
    #[serde(rename = "@name")]
    pub name: String,
    /// `[epoch:]version-release`.
    #[serde(rename = "@evr", default)]
    pub evr: Option<String>,
    /// The architecture.
    #[serde(rename = "@arch", default)]
    pub arch: Option<String>,
    /// `not available` for an unknown name.
    #[serde(rename = "@error", default)]
    pub error: Option<String>,
}

/// `<directory>`: a listing of names.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct Directory {
    /// The entries.
    #[serde(rename = "entry", default)]
    pub entries: Vec<Entry>,
}

/// One `<entry>`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct Entry {
    /// Its name.
    #[serde(rename = "@name")]
    pub name: String,
}

/// A project's `_meta`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct ProjectMeta {
    /// The project name.
    #[serde(rename = "@name")]
    pub name: String,
    /// Its repositories.
    #[serde(rename = "repository", default)]
    pub repositories: Vec<Repository>,
}

/// A repository of a project's `_meta`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct Repository {
    /// The repository name.
    #[serde(rename = "@name")]
    pub name: String,
    /// Build dependencies, in search order.
    #[serde(rename = "path", default)]
    pub paths: Vec<RepositoryPath>,
    /// Architectures built.
    #[serde(rename = "arch", default)]
    pub archs: Vec<String>,
}

/// A `<path project repository/>`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct RepositoryPath {
    /// The project.
    #[serde(rename = "@project")]
    pub project: String,
    /// The repository.
    #[serde(rename = "@repository")]
    pub repository: String,
}

/// An OBS `<status>` error body.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct Status {
    /// A word (`unknown_project`) or a number (`404`).
    #[serde(rename = "@code")]
    pub code: String,
    /// The message.
    #[serde(default)]
    pub summary: Option<String>,
    /// Backend details.
    #[serde(default)]
    pub details: Option<String>,
}

/// Parses an XML document of type `T` whose root element is `root`
/// (serde alone would read an HTML page as an empty list).
pub fn parse<T: for<'de> Deserialize<'de>>(body: &[u8], root: &str) -> Result<T, String> {
    let text = std::str::from_utf8(body).map_err(|e| e.to_string())?;
    match root_element(text) {
        Some(name) if name == root => {}
        Some(name) => return Err(format!("expected <{root}>, found <{name}>")),
        None => return Err("no XML element".to_owned()),
    }
    quick_xml::de::from_str(text).map_err(|e| e.to_string())
}

/// The `filename` of every `<binary>` of a `<binarylist>` (the answer to
/// `_repository?view=names`), in document order, read with the event
/// reader: attributes are looked at in place, and a value is unescaped
/// (allocated) only when it holds an entity.
pub fn binary_filenames(body: &[u8]) -> Result<Vec<String>, String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_reader(body);
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut seen_root = false;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| format!("at byte {}: {e}", reader.error_position()))?;
        let (start, empty) = match &event {
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                continue;
            }
            Event::Eof => break,
            // Text, comments, the declaration, a doctype: nothing to read.
            _ => continue,
        };
        if !seen_root {
            let name = start.name();
            if name.as_ref() != b"binarylist" {
                return Err(format!(
                    "expected <binarylist>, found <{}>",
                    String::from_utf8_lossy(name.as_ref())
                ));
            }
            seen_root = true;
        } else if depth == 1 && start.name().as_ref() == b"binary" {
            for attr in start.html_attributes().with_checks(false) {
                let attr = attr.map_err(|e| e.to_string())?;
                if attr.key.as_ref() == b"filename" {
                    let raw = std::str::from_utf8(&attr.value).map_err(|e| e.to_string())?;
                    out.push(if raw.contains('&') {
                        quick_xml::escape::unescape(raw)
                            .map_err(|e| e.to_string())?
                            .into_owned()
                    } else {
                        raw.to_owned()
                    });
                    break;
                }
            }
        }
        if !empty {
            depth += 1;
        }
    }
    if !seen_root {
        return Err("no XML element".to_owned());
    }
    if depth != 0 {
        return Err("the document ends inside an element".to_owned());
    }
    Ok(out)
}

/// The name of the first element of a document.
fn root_element(text: &str) -> Option<&str> {
    let mut rest = text.trim_start_matches('\u{feff}');
    loop {
        rest = rest.trim_start();
        if let Some(r) = rest.strip_prefix("<?") {
            rest = &r[r.find("?>")? + 2..];
        } else if let Some(r) = rest.strip_prefix("<!--") {
            rest = &r[r.find("-->")? + 3..];
        } else if let Some(r) = rest.strip_prefix("<!") {
            rest = &r[r.find('>')? + 1..];
        } else {
            let r = rest.strip_prefix('<')?;
            let end = r.find(|c: char| c.is_whitespace() || c == '>' || c == '/')?;
            return Some(&r[..end]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let l: BinaryList = parse(
            br#"<?xml version="1.0"?>
<binarylist>
  <binary filename="libffi8.rpm" size="38412" mtime="1697775741" />
  <binary filename="x.rpm" size="" mtime="" />
</binarylist>"#,
            "binarylist",
        )
        .unwrap();
        assert_eq!(l.binaries.len(), 2);
        assert_eq!(l.binaries[1].size.as_deref(), Some(""));
        let empty: BinaryList = parse(b"<binarylist />", "binarylist").unwrap();
        let html = parse::<BinaryList>(
            b"<!DOCTYPE html><html><body>Maintenance</body></html>",
            "binarylist",
        );
        assert_eq!(html.unwrap_err(), "expected <binarylist>, found <html>");
        assert!(empty.binaries.is_empty());
        let s: Status = parse(
            br#"<status code="unknown_project">
  <summary>Project not found: x</summary>
</status>"#,
            "status",
        )
        .unwrap();
        assert_eq!(s.summary.as_deref(), Some("Project not found: x"));
        assert!(parse::<BinaryList>(b"<binarylist><binary filename=\"a", "binarylist").is_err());
    }

    /// The event reader reads what serde reads, in the same order.
    #[test]
    fn binary_filenames_read_like_serde() {
        let body = br#"<?xml version="1.0" encoding="UTF-8"?>
<!-- a comment -->
<binarylist>
  <binary filename="libffi8.rpm" size="38412" mtime="1697775741" />
  <binary size="1" filename='python311-a&amp;b.rpm'/>
  <binary filename="x.rpm"></binary>
  <binary filename="_statistics"/>
</binarylist>"#;
        let serde: BinaryList = parse(body, "binarylist").unwrap();
        let want: Vec<String> = serde.binaries.into_iter().map(|b| b.filename).collect();
        assert_eq!(binary_filenames(body).unwrap(), want);
        assert_eq!(want[1], "python311-a&b.rpm");
        assert_eq!(
            binary_filenames(b"<binarylist/>").unwrap(),
            Vec::<String>::new()
        );
        assert_eq!(
            binary_filenames(b"<!DOCTYPE html><html><body>Maintenance</body></html>").unwrap_err(),
            "expected <binarylist>, found <html>"
        );
        assert_eq!(binary_filenames(b"").unwrap_err(), "no XML element");
        assert!(binary_filenames(b"<binarylist><binary filename=\"a").is_err());
        assert!(binary_filenames(b"<binarylist><binary filename=\"a\"/>").is_err());
    }
}
