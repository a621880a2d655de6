//! A blocking OBS API client (reqwest with rustls).
//!
//! `Accept: application/xml`, `User-Agent: venvjail/VERSION`, HTTP Basic.
//! Path segments are percent-encoded except `:` (as osc quotes them). Up to
//! three tries with backoff on connection errors, timeouts and 5xx answers,
//! never on 4xx; `Retry-After` is honoured up to 10 s.

use std::time::Duration;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::Deserialize;

use super::error::{snippet, ObsError};
use super::oscrc::{Credentials, Env, Oscrc};
use super::xml::{self, Status};
use crate::rpm::resolve::Package;

/// Bytes kept as they are in a path segment: unreserved characters and `:`.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b':');

/// Binaries per `cpioheaders` request, as openSUSE's release tools ask.
pub const HEADER_BATCH: usize = 50;
/// Tries per request.
const TRIES: u32 = 3;
/// The longest `Retry-After` honoured.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(10);
/// Connection timeout (capped by the request timeout).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The wait a 5xx answer's `Retry-After` (in seconds) asks for, capped at
/// [`MAX_RETRY_AFTER`].
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(|secs| Duration::from_secs(secs).min(MAX_RETRY_AFTER))
}

/// How to reach OBS.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// The API URL, without a trailing `/`.
    pub apiurl: String,
    /// Who to authenticate as.
    pub credentials: Credentials,
    /// Timeout of each try.
    pub timeout: Duration,
    /// `-v` count: 1 logs requests, 2 also answers and timings.
    pub verbose: u8,
}

/// A connection to one OBS instance.
pub struct Client {
    http: reqwest::blocking::Client,
    opts: ClientOptions,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("opts", &self.opts).finish()
    }
}

/// The request path for `segments`, each percent-encoded except `:`.
pub fn path(segments: &[&str]) -> String {
    let mut out = String::new();
    for s in segments {
        out.push('/');
        out.extend(utf8_percent_encode(s, SEGMENT));
    }
    out
}

impl Client {
    /// A client for `opts`. A `user:password@` in the API URL is dropped:
    /// credentials come from oscrc or the environment, and a URL is printed
    /// in messages.
    pub fn new(mut opts: ClientOptions) -> Result<Self, ObsError> {
        opts.apiurl = strip_userinfo(&opts.apiurl);
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::ACCEPT,
            reqwest::header::HeaderValue::from_static("application/xml"),
        );
        let http = reqwest::blocking::Client::builder()
            .user_agent(concat!("venvjail/", env!("CARGO_PKG_VERSION")))
            .default_headers(headers)
            .connect_timeout(CONNECT_TIMEOUT.min(opts.timeout))
            .timeout(opts.timeout)
            .build()
            .map_err(|e| ObsError::Config(format!("cannot set up the HTTP client: {e}")))?;
        Ok(Self { http, opts })
    }

    /// A client as osc would set it up: API URL from the flag, the
    /// environment or oscrc; credentials from the environment or oscrc.
    pub fn from_config(
        apiurl_flag: Option<&str>,
        timeout: Duration,
        verbose: u8,
    ) -> Result<Self, ObsError> {
        let env = Env::from_process();
        let rc = Oscrc::load(&env)?;
        let apiurl = rc.apiurl(apiurl_flag, &env);
        let credentials = rc.credentials(&apiurl, &env)?;
        Self::new(ClientOptions {
            apiurl,
            credentials,
            timeout,
            verbose,
        })
    }

    /// The API URL.
    pub fn apiurl(&self) -> &str {
        &self.opts.apiurl
    }

    /// GETs `path` (already encoded) with `query`, returning the body of a
    /// 2xx answer.
    pub fn get(&self, path: &str, query: &[(&str, &str)]) -> Result<Vec<u8>, ObsError> {
        let url = self.url(path, query);
        let mut last = None;
        for attempt in 1..=TRIES {
            if self.opts.verbose > 0 {
                eprintln!("venvjail: GET {url}{}", try_note(attempt));
            }
            let started = std::time::Instant::now();
            let outcome = self
                .http
                .get(&url)
                .basic_auth(
                    &self.opts.credentials.user,
                    Some(&self.opts.credentials.password),
                )
                .send()
                .and_then(|resp| {
                    let status = resp.status().as_u16();
                    let retry_after = retry_after(resp.headers());
                    // `Vec::from` takes the buffer over without a copy when
                    // the answer arrived as one uniquely held allocation.
                    resp.bytes().map(|b| (status, retry_after, Vec::from(b)))
                });
            if self.opts.verbose > 1 {
                let what = match &outcome {
                    Ok((status, _, body)) => format!("HTTP {status}, {} bytes", body.len()),
                    Err(e) => format!("failed: {}", transport_reason(e)),
                };
                eprintln!("venvjail: {what} in {} ms", started.elapsed().as_millis());
            }
            let delay = Duration::from_millis(500 << (attempt - 1));
            match outcome {
                Ok((status, _, body)) if (200..300).contains(&status) => return Ok(body),
                Ok((status, retry_after, body)) if status >= 500 => {
                    last = Some(self.status_error(status, path, &body));
                    if attempt < TRIES {
                        std::thread::sleep(retry_after.unwrap_or(delay));
                    }
                }
                Ok((status, _, body)) => return Err(self.status_error(status, path, &body)),
                Err(e) => {
                    last = Some(self.transport_error(&e, path));
                    if attempt < TRIES {
                        std::thread::sleep(delay);
                    }
                }
            }
        }
        Err(last.unwrap_or_else(|| self.no_answer(path)))
    }

    /// GETs and parses an XML document whose root element is `root`.
    pub fn get_xml<T: for<'de> Deserialize<'de>>(
        &self,
        path: &str,
        query: &[(&str, &str)],
        root: &str,
    ) -> Result<T, ObsError> {
        let body = self.get(path, query)?;
        xml::parse(&body, root).map_err(|_| ObsError::MalformedXml {
            path: path.to_owned(),
            snippet: snippet(&body),
        })
    }

    fn status_error(&self, status: u16, path: &str, body: &[u8]) -> ObsError {
        if status == 401 {
            return ObsError::Authentication {
                user: self.opts.credentials.user.clone(),
                apiurl: self.opts.apiurl.clone(),
                source_hint: self.opts.credentials.hint(),
            };
        }
        match xml::parse::<Status>(body, "status") {
            Ok(s) => ObsError::Api {
                code: s.code,
                summary: s.summary.unwrap_or_default().trim().to_owned(),
                status,
                path: path.to_owned(),
            },
            Err(_) => ObsError::Http {
                status,
                path: path.to_owned(),
                snippet: snippet(body),
            },
        }
    }

    /// Binary names of a repository (`_repository?view=names`), without suffix.
    pub fn repository_names(
        &self,
        project: &str,
        repository: &str,
        arch: &str,
    ) -> Result<Vec<String>, ObsError> {
        let p = path(&["build", project, repository, arch, "_repository"]);
        let body = self.get(&p, &[("view", "names")])?;
        let filenames = xml::binary_filenames(&body).map_err(|_| ObsError::MalformedXml {
            path: p.clone(),
            snippet: snippet(&body),
        })?;
        // Each file name is cut to its binary name in place (no second
        // allocation per name). The stable sort stays: perf showed
        // `sort_unstable` doing ~3x the memcmp work on this data.
        let mut names: Vec<String> = filenames
            .into_iter()
            .filter_map(|mut f| {
                let len = super::binary_name::strip_suffix(&f).len();
                f.truncate(len);
                (!f.starts_with('_')).then_some(f)
            })
            .collect();
        names.sort();
        names.dedup();
        Ok(names)
    }

    /// `name → [epoch:]version-release` of a repository's binaries
    /// (`_repository?view=binaryversions&withevr=1`); names without suffix.
    pub fn repository_versions(
        &self,
        project: &str,
        repository: &str,
        arch: &str,
    ) -> Result<std::collections::BTreeMap<String, String>, ObsError> {
        let p = path(&["build", project, repository, arch, "_repository"]);
        let list: xml::BinaryVersionList = self.get_xml(
            &p,
            &[("view", "binaryversions"), ("withevr", "1")],
            "binaryversionlist",
        )?;
        Ok(list
            .binaries
            .into_iter()
            .filter(|b| b.error.is_none())
            .filter_map(|b| {
                let name = super::binary_name::strip_suffix(&b.name).to_owned();
                Some((name, b.evr?))
            })
            .filter(|(n, _)| !n.starts_with('_'))
            .collect())
    }

    /// File names of a package's build result.
    pub fn package_files(
        &self,
        project: &str,
        repository: &str,
        arch: &str,
        package: &str,
    ) -> Result<Vec<String>, ObsError> {
        let p = path(&["build", project, repository, arch, package]);
        let list: xml::BinaryList = self.get_xml(&p, &[], "binarylist")?;
        Ok(list.binaries.into_iter().map(|b| b.filename).collect())
    }

    /// The headers of the repository binaries `names`
    /// (`_repository?view=cpioheaders&binary=…`, at most [`HEADER_BATCH`] a
    /// request), as `(name, what its header says)`. A name the answer
    /// lacks is an error naming it.
    pub fn repository_headers(
        &self,
        project: &str,
        repository: &str,
        arch: &str,
        names: &[String],
    ) -> Result<Vec<(String, Package)>, ObsError> {
        let p = path(&["build", project, repository, arch, "_repository"]);
        let mut out = Vec::with_capacity(names.len());
        let batches = names.len().div_ceil(HEADER_BATCH);
        for (i, batch) in names.chunks(HEADER_BATCH).enumerate() {
            let mut query = vec![("view", "cpioheaders")];
            query.extend(batch.iter().map(|n| ("binary", n.as_str())));
            let request = format!(
                "{p}?view=cpioheaders, batch {} of {batches}: {} to {}",
                i + 1,
                batch[0],
                batch[batch.len() - 1]
            );
            let mut got = self.headers(&p, &query, &request)?;
            for name in batch {
                if !got.iter().any(|(b, _)| b == name) {
                    return Err(ObsError::Headers {
                        request,
                        reason: format!("no header for {name}"),
                    });
                }
            }
            out.append(&mut got);
        }
        Ok(out)
    }

    /// The headers of a package's build result (`PKG?view=cpioheaders`),
    /// as `(file name, what its header says)`.
    pub fn package_headers(
        &self,
        project: &str,
        repository: &str,
        arch: &str,
        package: &str,
    ) -> Result<Vec<(String, Package)>, ObsError> {
        let p = path(&["build", project, repository, arch, package]);
        let request = format!("{p}?view=cpioheaders");
        self.headers(&p, &[("view", "cpioheaders")], &request)
    }

    /// One `cpioheaders` request, its answer read as it arrives.
    fn headers(
        &self,
        path: &str,
        query: &[(&str, &str)],
        request: &str,
    ) -> Result<Vec<(String, Package)>, ObsError> {
        let mut resp = self.open(path, query).map_err(|e| e.for_request(request))?;
        super::headers::read_stream(request, &mut resp)
    }

    /// GETs `path` with `query` and returns the 2xx answer unread, with the
    /// same retries as [`Client::get`] up to the start of the body.
    pub fn open(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<reqwest::blocking::Response, ObsError> {
        let url = self.url(path, query);
        let mut last = None;
        for attempt in 1..=TRIES {
            if self.opts.verbose > 0 {
                eprintln!("venvjail: GET {url}{}", try_note(attempt));
            }
            let delay = Duration::from_millis(500 << (attempt - 1));
            let outcome = self
                .http
                .get(&url)
                .basic_auth(
                    &self.opts.credentials.user,
                    Some(&self.opts.credentials.password),
                )
                .send();
            match outcome {
                Ok(resp) if resp.status().is_success() => return Ok(resp),
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let retry_after = retry_after(resp.headers());
                    let body = resp.bytes().map(|b| b.to_vec()).unwrap_or_default();
                    let e = self.status_error(status, path, &body);
                    if status < 500 {
                        return Err(e);
                    }
                    last = Some(e);
                    if attempt < TRIES {
                        std::thread::sleep(retry_after.unwrap_or(delay));
                    }
                }
                Err(e) => {
                    last = Some(self.transport_error(&e, path));
                    if attempt < TRIES {
                        std::thread::sleep(delay);
                    }
                }
            }
        }
        Err(last.unwrap_or_else(|| self.no_answer(path)))
    }

    /// The error when no try got as far as an answer or an error.
    fn no_answer(&self, path: &str) -> ObsError {
        ObsError::Connect {
            apiurl: self.opts.apiurl.clone(),
            reason: "no answer".to_owned(),
            path: path.to_owned(),
        }
    }

    fn url(&self, path: &str, query: &[(&str, &str)]) -> String {
        let mut url = format!("{}{path}", self.opts.apiurl);
        for (i, (k, v)) in query.iter().enumerate() {
            url.push(if i == 0 { '?' } else { '&' });
            url.extend(utf8_percent_encode(k, SEGMENT));
            url.push('=');
            url.extend(utf8_percent_encode(v, SEGMENT));
        }
        url
    }

    fn transport_error(&self, e: &reqwest::Error, path: &str) -> ObsError {
        if e.is_timeout() {
            ObsError::Timeout {
                seconds: self.opts.timeout.as_secs().max(1),
                path: path.to_owned(),
            }
        } else {
            ObsError::Connect {
                apiurl: self.opts.apiurl.clone(),
                reason: transport_reason(e),
                path: path.to_owned(),
            }
        }
    }

    /// A source file of a package.
    pub fn source_file(
        &self,
        project: &str,
        package: &str,
        file: &str,
    ) -> Result<Vec<u8>, ObsError> {
        self.get(&path(&["source", project, package, file]), &[])
    }
}

/// ` (try N)` after the first try.
fn try_note(attempt: u32) -> String {
    if attempt > 1 {
        format!(" (try {attempt})")
    } else {
        String::new()
    }
}

/// `scheme://user:pass@host/…` → `scheme://host/…`.
pub fn strip_userinfo(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://{}", &rest[at + 1..]),
        None => url.to_owned(),
    }
}

/// A transport error's reason, one line, lowercase, without the URL.
fn transport_reason(e: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut reason = String::new();
    let mut source = e.source();
    while let Some(s) = source {
        reason = s.to_string();
        source = s.source();
    }
    if reason.is_empty() {
        reason = e.to_string();
    }
    if e.is_body() || e.is_decode() {
        reason = format!("the answer broke off: {reason}");
    }
    reason
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_is_dropped() {
        assert_eq!(
            strip_userinfo("http://alice:pw@127.0.0.1:8/x"),
            "http://127.0.0.1:8/x"
        );
        assert_eq!(
            strip_userinfo("https://api.opensuse.org"),
            "https://api.opensuse.org"
        );
    }

    #[test]
    fn segments_keep_colons() {
        assert_eq!(
            path(&[
                "build",
                "systemsmanagement:saltstack:bundle",
                "SLE 15",
                "x86_64",
                "libstdc++6"
            ]),
            "/build/systemsmanagement:saltstack:bundle/SLE%2015/x86_64/libstdc%2B%2B6"
        );
    }
}
