//! Package names from the binary file names OBS lists.

/// The package name of a binary file name, or `None` for files that are
/// not binary packages of the build (`_buildenv`, `_statistics`, `*.log`,
/// source RPMs, Debian source files).
///
/// `python311-zope.interface-5.4.0-150400.1.2.noarch.rpm` → `python311-zope.interface`;
/// `libstdc++6-12.3.0+git1204-1.1.x86_64.rpm` → `libstdc++6`;
/// `salt-minion_3006.0-1+21.7_all.deb` → `salt-minion`.
pub fn package_name(filename: &str) -> Option<&str> {
    if filename.starts_with('_') || filename.ends_with(".log") {
        return None;
    }
    if let Some(stem) = filename.strip_suffix(".rpm") {
        let (nvr, arch) = stem.rsplit_once('.')?;
        if arch == "src" || arch == "nosrc" {
            return None;
        }
        let (nv, release) = nvr.rsplit_once('-')?;
        let (name, version) = nv.rsplit_once('-')?;
        if name.is_empty() || version.is_empty() || release.is_empty() {
            return None;
        }
        return Some(name);
    }
    if let Some(stem) = filename.strip_suffix(".deb") {
        let mut parts = stem.split('_');
        let name = parts.next()?;
        let _version = parts.next()?;
        let _arch = parts.next()?;
        return (!name.is_empty()).then_some(name);
    }
    None
}

/// The name in a `view=names` entry (`bash.rpm` → `bash`).
pub fn strip_suffix(filename: &str) -> &str {
    filename
        .strip_suffix(".rpm")
        .or_else(|| filename.strip_suffix(".deb"))
        .unwrap_or(filename)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nevra() {
        let cases = [
            (
                "python311-zope.interface-5.4.0-150400.1.2.noarch.rpm",
                Some("python311-zope.interface"),
            ),
            (
                "libstdc++6-12.3.0+git1204-1.1.x86_64.rpm",
                Some("libstdc++6"),
            ),
            ("salt-3006.0-150500.4.21.1.x86_64.rpm", Some("salt")),
            ("foo-9.4.0~rc1-1.1.x86_64.rpm", Some("foo")),
            ("salt-3006.0-150500.4.21.1.src.rpm", None),
            ("salt-3006.0-1.nosrc.rpm", None),
            ("_buildenv", None),
            ("_statistics", None),
            ("rpmlint.log", None),
            ("salt-minion_3006.0-1+21.7_all.deb", Some("salt-minion")),
            ("salt_3006.0-1+21.7.dsc", None),
            ("salt_3006.0.orig.tar.gz", None),
        ];
        for (file, name) in cases {
            assert_eq!(package_name(file), name, "{file}");
        }
        assert_eq!(strip_suffix("libstdc++6.rpm"), "libstdc++6");
    }
}
