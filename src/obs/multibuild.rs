//! `_multibuild` flavours: `PKG:FLAVOR` names a flavour of source package
//! PKG. Its build results live under `/build/P/R/A/PKG:FLAVOR` (the `:`
//! kept raw in the path, as osc sends it); its sources are PKG's own, and
//! OBS reads its spec with `@BUILD_FLAVOR@` replaced by FLAVOR (by nothing
//! for PKG itself).

use super::client::{path, Client};
use super::ObsError;

/// `PKG:FLAVOR` → (`PKG`, `Some(FLAVOR)`); a plain name → (name, `None`).
pub fn split_flavour(package: &str) -> (&str, Option<&str>) {
    match package.split_once(':') {
        Some((base, flavour)) if !base.is_empty() => (base, Some(flavour)),
        _ => (package, None),
    }
}

/// The spec OBS builds `package` (a source package or `PKG:FLAVOR`) from:
/// `PKG.spec` of the source package, `@BUILD_FLAVOR@` substituted.
pub fn package_spec(client: &Client, project: &str, package: &str) -> Result<Vec<u8>, ObsError> {
    let (base, flavour) = split_flavour(package);
    let file = format!("{base}.spec");
    let spec = client.get(&path(&["source", project, base, &file]), &[])?;
    Ok(substitute_flavour(&spec, flavour.unwrap_or("")))
}

/// `@BUILD_FLAVOR@` replaced by `flavour`, as OBS's `substitutedeps --buildflavor` does.
pub fn substitute_flavour(spec: &[u8], flavour: &str) -> Vec<u8> {
    const MARK: &[u8] = b"@BUILD_FLAVOR@";
    let mut out = Vec::with_capacity(spec.len());
    let mut rest = spec;
    while let Some(at) = memchr::memmem::find(rest, MARK) {
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(flavour.as_bytes());
        rest = &rest[at + MARK.len()..];
    }
    out.extend_from_slice(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flavours_split_at_the_first_colon() {
        assert_eq!(split_flavour("salt:testsuite"), ("salt", Some("testsuite")));
        assert_eq!(split_flavour("salt"), ("salt", None));
        assert_eq!(split_flavour(":odd"), (":odd", None));
    }

    #[test]
    fn build_flavor_is_substituted() {
        let spec = b"%define flavor @BUILD_FLAVOR@%{nil}\nName: x-@BUILD_FLAVOR@\n";
        assert_eq!(
            substitute_flavour(spec, "test"),
            b"%define flavor test%{nil}\nName: x-test\n"
        );
        assert_eq!(
            substitute_flavour(spec, ""),
            b"%define flavor %{nil}\nName: x-\n"
        );
    }
}
