//! The `_service` file of a package directory: the venvjail entry's
//! parameters, used when the service is run by hand.

use serde::Deserialize;

/// One `<service>` entry.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct ServiceEntry {
    /// The service name (`venvjail`).
    #[serde(rename = "@name")]
    pub name: String,
    /// `manual`, `localonly`, … (absent: the default mode).
    #[serde(rename = "@mode", default)]
    pub mode: Option<String>,
    /// Its parameters in order.
    #[serde(rename = "param", default)]
    pub params: Vec<ServiceParam>,
}

/// One `<param name="…">value</param>`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct ServiceParam {
    /// The parameter name.
    #[serde(rename = "@name")]
    pub name: String,
    /// Its value (empty when the element is empty).
    #[serde(rename = "$text", default)]
    pub value: String,
}

#[derive(Debug, Deserialize)]
struct Services {
    #[serde(rename = "service", default)]
    services: Vec<ServiceEntry>,
}

/// The entries of a `_service` file.
pub fn parse(file: &str, text: &str) -> Result<Vec<ServiceEntry>, String> {
    super::xml::parse::<Services>(text.as_bytes(), "services")
        .map(|s| s.services)
        .map_err(|e| format!("{file}: invalid _service: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries() {
        let s = parse(
            "_service",
            r#"<services>
  <service name="venvjail" mode="manual">
    <param name="project">systemsmanagement:saltstack:bundle</param>
    <param name="package">salt</param>
    <param name="package">python-MarkupSafe</param>
    <param name="check"/>
  </service>
</services>"#,
        )
        .unwrap();
        assert_eq!(s[0].mode.as_deref(), Some("manual"));
        assert_eq!(s[0].params.len(), 4);
        assert_eq!(s[0].params[3].value, "");
    }
}
