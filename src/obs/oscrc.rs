//! oscrc, read as osc reads it (DESIGN §8, osc's `conf.py` and
//! `credentials.py`): the file's location, `[general] apiurl`, host
//! `aliases`, and the credentials of a host section.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use base64::Engine;

use super::error::ObsError;

/// The API URL used when nothing else names one.
pub const DEFAULT_APIURL: &str = "https://api.opensuse.org";

/// A parsed oscrc: sections of lowercase keys.
#[derive(Debug, Clone, Default)]
pub struct Oscrc {
    /// Where it was read from.
    pub path: Option<PathBuf>,
    sections: Vec<(String, HashMap<String, String>)>,
}

/// A user name and password; `Debug` never shows the password.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The user name.
    pub user: String,
    /// The password.
    pub password: String,
    /// Where they came from, for error messages (`~/.config/osc/oscrc`).
    pub origin: String,
}

impl Credentials {
    /// What to check when they are refused.
    pub fn hint(&self) -> String {
        if self.origin.starts_with("OSC_") {
            self.origin.clone()
        } else {
            format!("the credentials in {}", self.origin)
        }
    }
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .field("origin", &self.origin)
            .finish()
    }
}

/// The process environment venvjail reads, passed in so tests and callers
/// control it.
#[derive(Debug, Clone, Default)]
pub struct Env {
    vars: HashMap<String, String>,
}

impl Env {
    /// The real environment.
    pub fn from_process() -> Self {
        Self {
            vars: std::env::vars().collect(),
        }
    }

    /// An environment from pairs.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Self {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        }
    }

    /// A non-empty variable.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
}

/// Where osc 1.x looks for its configuration: `$OSC_CONFIG` (empty or
/// `/dev/null`: no file), else `$XDG_CONFIG_HOME/osc/oscrc` (default
/// `~/.config/osc/oscrc`) when it exists, else `~/.oscrc` when it exists.
pub fn locate(env: &Env) -> Option<PathBuf> {
    if let Some(v) = env.vars.get("OSC_CONFIG") {
        return (!v.is_empty() && v != "/dev/null").then(|| PathBuf::from(v));
    }
    let home = env.get("HOME").map(PathBuf::from);
    let xdg = env
        .get("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| home.as_ref().map(|h| h.join(".config")))
        .map(|d| d.join("osc/oscrc"));
    if let Some(p) = xdg.filter(|p| p.is_file()) {
        return Some(p);
    }
    home.map(|h| h.join(".oscrc")).filter(|p| p.is_file())
}

impl Oscrc {
    /// Reads the oscrc osc would read; no file is an empty configuration.
    pub fn load(env: &Env) -> Result<Self, ObsError> {
        let Some(path) = locate(env) else {
            return Ok(Self::default());
        };
        let mut text = String::new();
        std::fs::File::open(&path)
            .and_then(|mut f| f.read_to_string(&mut text))
            .map_err(|e| {
                ObsError::Config(format!(
                    "cannot read {}: {}",
                    path.display(),
                    crate::error::describe_io(&e)
                ))
            })?;
        let mut rc = Self::parse(&text, &path)?;
        rc.path = Some(path);
        Ok(rc)
    }

    /// Parses INI text as Python's configparser does (`=` or `:`, `#`/`;`
    /// comment lines, indented continuation lines).
    pub fn parse(text: &str, path: &Path) -> Result<Self, ObsError> {
        let mut sections: Vec<(String, HashMap<String, String>)> = Vec::new();
        let mut last_key: Option<String> = None;
        for (n, raw) in text.lines().enumerate() {
            let line = raw.trim_end();
            let trimmed = line.trim_start();
            if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
                continue;
            }
            if line.starts_with([' ', '\t']) {
                if let (Some(key), Some((_, map))) = (&last_key, sections.last_mut()) {
                    if let Some(v) = map.get_mut(key) {
                        v.push('\n');
                        v.push_str(trimmed);
                        continue;
                    }
                }
            }
            if let Some(name) = trimmed.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
                sections.push((name.trim().to_owned(), HashMap::new()));
                last_key = None;
                continue;
            }
            let Some(pos) = trimmed.find(['=', ':']) else {
                return Err(ObsError::Config(format!(
                    "{}:{}: expected 'key = value' or '[section]'",
                    path.display(),
                    n + 1
                )));
            };
            let key = trimmed[..pos].trim().to_ascii_lowercase();
            let value = trimmed[pos + 1..].trim().to_owned();
            let Some((_, map)) = sections.last_mut() else {
                return Err(ObsError::Config(format!(
                    "{}:{}: '{key}' outside any [section]",
                    path.display(),
                    n + 1
                )));
            };
            map.insert(key.clone(), value);
            last_key = Some(key);
        }
        Ok(Self {
            path: None,
            sections,
        })
    }

    fn section(&self, name: &str) -> Option<&HashMap<String, String>> {
        self.sections
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, m)| m)
    }

    /// The host section of `apiurl` (its name normalised the same way).
    fn host(&self, apiurl: &str) -> Option<(&str, &HashMap<String, String>)> {
        self.sections
            .iter()
            .find(|(n, _)| n != "general" && normalise_url(n) == apiurl)
            .map(|(n, m)| (n.as_str(), m))
    }

    /// Resolves an API URL or alias (`obs` → `https://api.opensuse.org`).
    pub fn resolve(&self, name: &str) -> String {
        for (section, map) in &self.sections {
            if section == "general" {
                continue;
            }
            let aliases = map.get("aliases").map(String::as_str).unwrap_or("");
            if aliases
                .split([',', ' ', '\t', '\n'])
                .any(|a| !a.is_empty() && a == name)
            {
                return normalise_url(section);
            }
        }
        normalise_url(name)
    }

    /// The API URL to use: the `-A` flag, else `OSC_APIURL` /
    /// `OBS_SERVICE_APIURL`, else `[general] apiurl`, else api.opensuse.org;
    /// aliases resolved.
    pub fn apiurl(&self, flag: Option<&str>, env: &Env) -> String {
        let chosen = flag
            .filter(|s| !s.is_empty())
            .or_else(|| env.get("OSC_APIURL"))
            .or_else(|| env.get("OBS_SERVICE_APIURL"))
            .or_else(|| {
                self.section("general")
                    .and_then(|g| g.get("apiurl"))
                    .map(String::as_str)
            })
            .unwrap_or(DEFAULT_APIURL);
        self.resolve(chosen)
    }

    /// The credentials for `apiurl`: `OSC_USERNAME`/`OSC_PASSWORD` first,
    /// then the host section (`pass` plain or obfuscated, `passx`).
    pub fn credentials(&self, apiurl: &str, env: &Env) -> Result<Credentials, ObsError> {
        let origin = self.origin();
        let host = self.host(apiurl);
        let env_user = env.get("OSC_USERNAME");
        if let Some(password) = env.get("OSC_PASSWORD") {
            let user = env_user
                .map(str::to_owned)
                .or_else(|| host.and_then(|(_, m)| m.get("user").cloned()))
                .ok_or_else(|| {
                    ObsError::Credentials(format!(
                        "OSC_PASSWORD is set but no user name for {apiurl}: set OSC_USERNAME"
                    ))
                })?;
            return Ok(Credentials {
                user,
                password: password.to_owned(),
                origin: "OSC_USERNAME and OSC_PASSWORD".to_owned(),
            });
        }
        let Some((_, map)) = host else {
            return Err(ObsError::Credentials(format!(
                "no credentials for {apiurl}: add a [{apiurl}] section with user and pass to {origin}, or set OSC_USERNAME and OSC_PASSWORD"
            )));
        };
        let user = env_user
            .map(str::to_owned)
            .or_else(|| map.get("user").cloned())
            .ok_or_else(|| ObsError::Credentials(format!("no user for {apiurl} in {origin}")))?;
        let manager = map
            .get("credentials_mgr_class")
            .map(String::as_str)
            .unwrap_or("");
        let obfuscated = manager.contains("ObfuscatedConfigFileCredentialsManager");
        let plain = manager.is_empty() || manager.contains("PlaintextConfigFileCredentialsManager");
        if !obfuscated && !plain {
            return Err(ObsError::Credentials(format!(
                "the password for {user} at {apiurl} is kept by {manager}, which venvjail cannot read: set OSC_USERNAME and OSC_PASSWORD"
            )));
        }
        let password = match (map.get("pass"), map.get("passx")) {
            (Some(p), _) if !obfuscated => p.clone(),
            (Some(p), _) | (None, Some(p)) => deobfuscate(p).ok_or_else(|| {
                ObsError::Credentials(format!(
                    "the obfuscated password for {user} at {apiurl} in {origin} is not base64 of bzip2 data"
                ))
            })?,
            (None, None) => {
                return Err(ObsError::Credentials(format!(
                    "no password for {user} at {apiurl} in {origin}: add pass, or set OSC_PASSWORD"
                )))
            }
        };
        Ok(Credentials {
            user,
            password,
            origin,
        })
    }

    /// The file's path for messages, with the home directory as `~`.
    pub fn origin(&self) -> String {
        match &self.path {
            None => "~/.config/osc/oscrc".to_owned(),
            Some(p) => {
                let home = std::env::var_os("HOME").map(PathBuf::from);
                match home.and_then(|h| p.strip_prefix(h).ok().map(Path::to_owned)) {
                    Some(rel) => format!("~/{}", rel.display()),
                    None => p.display().to_string(),
                }
            }
        }
    }
}

/// osc's obfuscation: `base64(bz2(password))`.
pub fn deobfuscate(value: &str) -> Option<String> {
    let packed = base64::engine::general_purpose::STANDARD
        .decode(value.trim())
        .ok()?;
    let mut out = String::new();
    bzip2::read::BzDecoder::new(packed.as_slice())
        .read_to_string(&mut out)
        .ok()?;
    Some(out)
}

/// An API URL as osc stores it: `https://` added when no scheme, no
/// trailing `/`, no `user:password@`.
pub fn normalise_url(url: &str) -> String {
    let url = super::client::strip_userinfo(url.trim());
    let url = url.trim_end_matches('/');
    if url.contains("://") {
        url.to_owned()
    } else {
        format!("https://{url}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rc(text: &str) -> Oscrc {
        Oscrc::parse(text, Path::new("oscrc")).unwrap()
    }

    #[test]
    fn obfuscated_password() {
        assert_eq!(
            deobfuscate("QlpoOTFBWSZTWeTSblkAAAGBgAIBygAgADDACGNEHxaYXckU4UJDk0m5ZA==").as_deref(),
            Some("opensuse")
        );
    }

    #[test]
    fn aliases_and_apiurl() {
        let rc = rc("[general]\napiurl = obs\n\n[https://api.opensuse.org]\nuser = alice\npass = opensuse\naliases = obs, opensuse\n\n[http://obs.example.com/]\nuser=admin\npass=x\naliases=local\n");
        let env = Env::default();
        assert_eq!(rc.apiurl(None, &env), "https://api.opensuse.org");
        assert_eq!(rc.apiurl(Some("local"), &env), "http://obs.example.com");
        let env = Env::from_pairs([("OSC_APIURL", "opensuse")]);
        assert_eq!(rc.apiurl(None, &env), "https://api.opensuse.org");
        let c = rc
            .credentials("http://obs.example.com", &Env::default())
            .unwrap();
        assert_eq!((c.user.as_str(), c.password.as_str()), ("admin", "x"));
        assert!(!format!("{c:?}").contains("\"x\""));
    }

    #[test]
    fn managers() {
        let rc1 = rc("[https://a]\nuser = u\npassx = QlpoOTFBWSZTWeTSblkAAAGBgAIBygAgADDACGNEHxaYXckU4UJDk0m5ZA==\n");
        assert_eq!(
            rc1.credentials("https://a", &Env::default())
                .unwrap()
                .password,
            "opensuse"
        );
        let rc2 = rc("[https://a]\nuser = u\ncredentials_mgr_class = osc.credentials.KeyringCredentialsManager:keyring.backends.SecretService.Keyring\n");
        let e = rc2.credentials("https://a", &Env::default()).unwrap_err();
        assert_eq!(e.to_string(), "the password for u at https://a is kept by osc.credentials.KeyringCredentialsManager:keyring.backends.SecretService.Keyring, which venvjail cannot read: set OSC_USERNAME and OSC_PASSWORD");
        let env = Env::from_pairs([("OSC_USERNAME", "bob"), ("OSC_PASSWORD", "pw")]);
        let c = rc2.credentials("https://a", &env).unwrap();
        assert_eq!((c.user.as_str(), c.password.as_str()), ("bob", "pw"));
    }
}
