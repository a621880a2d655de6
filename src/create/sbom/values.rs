//! The values of the SBOM's fields: `SPDXRef-` ids, `versionInfo`, purls,
//! license expressions and dates (see the parent module for the rules).

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use super::NOASSERTION;
use crate::create::package::PackageInfo;

/// Characters a purl or URL component keeps as they are.
pub(super) const PURL_ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'.')
    .remove(b'-')
    .remove(b'_')
    .remove(b'~');

/// Unique `SPDXRef-` ids in the allowed charset.
#[derive(Default)]
pub(super) struct Ids {
    taken: std::collections::HashSet<String>,
}

impl Ids {
    pub(super) fn make(&mut self, kind: &str, name: &str) -> String {
        let mut base = format!("SPDXRef-{kind}");
        if !name.is_empty() {
            base.push('-');
            base.extend(name.chars().map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                    c
                } else {
                    '-'
                }
            }));
        }
        let mut id = base.clone();
        let mut n = 1;
        while !self.taken.insert(id.clone()) {
            n += 1;
            id = format!("{base}-{n}");
        }
        id
    }
}

/// `[EPOCH:]VERSION-RELEASE` for an RPM, the `Version` field for a deb.
pub(super) fn version_info(p: &PackageInfo) -> String {
    if p.is_deb || p.release.is_empty() {
        return p.version.clone();
    }
    match p.epoch {
        Some(e) => format!("{e}:{}-{}", p.version, p.release),
        None => format!("{}-{}", p.version, p.release),
    }
}

pub(super) fn system_purl(p: &PackageInfo) -> String {
    let enc = |s: &str| utf8_percent_encode(s, PURL_ENCODE).to_string();
    if p.is_deb {
        return format!(
            "pkg:deb/{}@{}?arch={}",
            enc(&p.name),
            enc(&p.version),
            enc(&p.arch)
        );
    }
    let mut purl = format!(
        "pkg:rpm/{}@{}-{}?arch={}",
        enc(&p.name),
        enc(&p.version),
        enc(&p.release),
        enc(&p.arch)
    );
    if let Some(e) = p.epoch {
        purl.push_str(&format!("&epoch={e}"));
    }
    purl
}

/// `pkg:pypi/NAME@VERSION`, the name normalised as PEP 503 says.
pub(super) fn pypi_purl(name: &str, version: &str) -> String {
    let mut normal = String::new();
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !normal.ends_with('-') {
                normal.push('-');
            }
        } else {
            normal.extend(c.to_lowercase());
        }
    }
    let mut purl = format!("pkg:pypi/{}", utf8_percent_encode(&normal, PURL_ENCODE));
    if !version.is_empty() {
        purl.push('@');
        purl.push_str(&utf8_percent_encode(version, PURL_ENCODE).to_string());
    }
    purl
}

/// The declared license and, when the text is not usable, a comment
/// quoting it.
pub(super) fn declared_license(text: Option<&str>, what: &str) -> (String, Option<String>) {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return (NOASSERTION.to_owned(), None);
    };
    match spdx_expression(text) {
        Some(expr) => (expr, None),
        None => (
            NOASSERTION.to_owned(),
            Some(format!(
                "{what}: {text} (not an SPDX license expression of license-list ids)"
            )),
        ),
    }
}

/// `text` as an SPDX expression of license-list ids with upper-case
/// operators, or `None`.
fn spdx_expression(text: &str) -> Option<String> {
    let normal: Vec<String> = text
        .split(' ')
        .map(|w| match w.to_ascii_uppercase().as_str() {
            op @ ("AND" | "OR" | "WITH") => op.to_owned(),
            _ => w.to_owned(),
        })
        .collect();
    let normal = normal.join(" ");
    if normal.contains("LicenseRef-") || normal.contains("DocumentRef-") {
        return None;
    }
    // `GPL-2.0+` (a deprecated id with the spec's `+` suffix) is still
    // valid SPDX, and common in older RPM License tags.
    let mode = spdx::ParseMode {
        allow_deprecated: true,
        allow_postfix_plus_on_gpl: true,
        ..spdx::ParseMode::STRICT
    };
    spdx::Expression::parse_mode(&normal, mode).ok()?;
    Some(normal)
}

pub(super) fn license_list_version() -> String {
    spdx::identifiers::VERSION
        .split('.')
        .take(2)
        .collect::<Vec<_>>()
        .join(".")
}

/// Seconds since 1970 as `YYYY-MM-DDThh:mm:ssZ`.
pub(super) fn rfc3339(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339(super::super::MAX_EPOCH), "9999-12-31T23:59:59Z");
    }

    #[test]
    fn ids_are_sanitized_and_unique() {
        let mut ids = Ids::default();
        assert_eq!(ids.make("RPM", "libstdc++6"), "SPDXRef-RPM-libstdc--6");
        assert_eq!(ids.make("Python", "foo_bar"), "SPDXRef-Python-foo-bar");
        assert_eq!(ids.make("Python", "foo-bar"), "SPDXRef-Python-foo-bar-2");
        assert_eq!(ids.make("Python", "foo.bar"), "SPDXRef-Python-foo.bar");
    }

    #[test]
    fn licenses() {
        assert_eq!(
            spdx_expression("MIT and (Apache-2.0 or BSD-3-Clause)").as_deref(),
            Some("MIT AND (Apache-2.0 OR BSD-3-Clause)")
        );
        assert_eq!(spdx_expression("GPL-2.0+").as_deref(), Some("GPL-2.0+"));
        assert_eq!(spdx_expression("GPLv2+"), None);
        assert_eq!(spdx_expression("LicenseRef-Foo"), None);
        assert_eq!(
            declared_license(Some("BSD"), "RPM License tag"),
            (
                "NOASSERTION".to_owned(),
                Some(
                    "RPM License tag: BSD (not an SPDX license expression of license-list ids)"
                        .to_owned()
                )
            )
        );
    }

    #[test]
    fn purls() {
        let rpm = PackageInfo {
            name: "libstdc++6".into(),
            epoch: Some(1),
            version: "13.2".into(),
            release: "1.1".into(),
            arch: "x86_64".into(),
            ..Default::default()
        };
        assert_eq!(
            system_purl(&rpm),
            "pkg:rpm/libstdc%2B%2B6@13.2-1.1?arch=x86_64&epoch=1"
        );
        assert_eq!(version_info(&rpm), "1:13.2-1.1");
        let deb = PackageInfo {
            name: "python3-foo".into(),
            version: "1:2.0-3".into(),
            arch: "all".into(),
            is_deb: true,
            ..Default::default()
        };
        assert_eq!(system_purl(&deb), "pkg:deb/python3-foo@1%3A2.0-3?arch=all");
        assert_eq!(pypi_purl("Foo__Bar.baz", "1.0"), "pkg:pypi/foo-bar-baz@1.0");
    }
}
