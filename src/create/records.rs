//! Step 8 of `create`: `packages.log` and the track file, in venvjail.py's
//! formats, sorted so the same input gives the same bytes.

use super::package::PackageInfo;

/// `packages.log`: included and excluded package files as venvjail.py
/// wrote them, then the removed files.
pub fn packages_log(included: &[String], excluded: &[String], removed: &[String]) -> String {
    let mut s = String::from("# Included packages\n");
    for p in sorted(included) {
        s.push_str(&p);
        s.push('\n');
    }
    s.push_str("\n\n# Excluded packages\n");
    for p in sorted(excluded) {
        s.push_str(&p);
        s.push('\n');
    }
    s.push_str("\n\n# Removed files\n");
    for p in sorted(removed) {
        s.push_str(&p);
        s.push('\n');
    }
    s
}

fn sorted(v: &[String]) -> Vec<String> {
    let mut v = v.to_vec();
    v.sort();
    v
}

/// One track line: `NAME|EPOCH|VERSION|RELEASE|ARCH|DISTURL` with rpm's
/// `(none)` for what is unset; debs as venvjail.py's seven fields.
pub fn track_line(p: &PackageInfo) -> String {
    if p.is_deb {
        return format!("{}|None|{}|None|{}|None|None", p.name, p.version, p.arch);
    }
    format!(
        "{}|{}|{}|{}|{}|{}",
        p.name,
        p.epoch
            .map_or_else(|| "(none)".to_owned(), |e| e.to_string()),
        p.version,
        p.release,
        p.arch,
        p.disturl.as_deref().unwrap_or("(none)")
    )
}

/// The track file: one line per included package, in file-name order.
pub fn track_file(included: &[(String, PackageInfo)]) -> String {
    let mut v: Vec<&(String, PackageInfo)> = included.iter().collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v.iter().map(|(_, p)| track_line(p) + "\n").collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        let log = packages_log(
            &["b.rpm".into(), "a.rpm".into()],
            &["c-devel.rpm".into()],
            &[],
        );
        assert_eq!(log, "# Included packages\na.rpm\nb.rpm\n\n\n# Excluded packages\nc-devel.rpm\n\n\n# Removed files\n");
        let rpm = PackageInfo {
            name: "salt".into(),
            version: "3006.0".into(),
            release: "1.1".into(),
            arch: "x86_64".into(),
            disturl: Some("obs://build.opensuse.org/x".into()),
            ..Default::default()
        };
        assert_eq!(
            track_line(&rpm),
            "salt|(none)|3006.0|1.1|x86_64|obs://build.opensuse.org/x"
        );
        let deb = PackageInfo {
            name: "salt".into(),
            version: "3006.0-1".into(),
            arch: "all".into(),
            is_deb: true,
            ..Default::default()
        };
        assert_eq!(track_line(&deb), "salt|None|3006.0-1|None|all|None|None");
    }
}
