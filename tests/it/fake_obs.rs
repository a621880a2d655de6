//! A local fake Open Build Service API on 127.0.0.1 for the integration tests.
//!
//! It answers with the project's OBS samples (`tests/fixtures/obs-api/`) the
//! way OBS does: backend answers are `text/xml`, API answers
//! `application/xml; charset=utf-8` with `X-Opensuse-Errorcode` on errors,
//! every path but `/about` needs HTTP Basic. Faults are injected per route.
//! HTTP/1.1 with keep-alive, one thread per connection, std only.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// The project the default routes serve.
pub const PROJECT: &str = "systemsmanagement:saltstack:bundle";

const BACKEND_XML: &str = "text/xml";
const API_XML: &str = "application/xml; charset=utf-8";
const HTML: &str = "text/html; charset=utf-8";
const API_REALM: &str = "basic realm=\"API login\"";
const PROXY_REALM: &str = "Basic realm=\"Use your SUSE developer account\"";

/// How often an idle connection thread looks whether the server was dropped.
const POLL: Duration = Duration::from_millis(50);
/// An idle keep-alive connection is closed after this long.
const IDLE_LIMIT: Duration = Duration::from_secs(60);
const MAX_HEAD: usize = 64 * 1024;
const MAX_BODY: usize = 16 * 1024 * 1024;

/// A fake OBS API server; its threads stop when it is dropped.
pub struct FakeObs {
    addr: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

/// One request as the fake received it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    /// The request target exactly as sent (`%3A` not decoded).
    pub target: String,
    /// Header names lowercased, in the order sent.
    pub headers: Vec<(String, String)>,
}

impl Request {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A failure injected for one route.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// This status with a small HTML body the first N times, then the normal answer.
    FailTimes(u16, usize),
    /// This status every time, optionally with `Retry-After: <secs>`.
    Always(u16, Option<u32>),
    /// Read the request, send nothing for this long, then close.
    Hang(Duration),
    /// api.opensuse.org's front-proxy HTML 401, whatever the credentials.
    Html401,
    /// The normal body cut in half, with a matching Content-Length.
    TruncatedXml,
    /// 200 with an HTML maintenance page.
    NotXml,
    /// Content-Length of the normal body, half of it sent, then close.
    ShortRead,
}

struct Shared {
    stop: AtomicBool,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    users: Vec<(String, String)>,
    /// Keyed by (method, normalised target).
    routes: HashMap<(String, String), Answer>,
    /// A fault and how often it has fired.
    faults: HashMap<String, (Fault, usize)>,
    /// `view=cpioheaders` members by route path (`…/_repository` or a
    /// package's): member name without `-<hdrmd5>`, and the header bytes.
    headers: HashMap<String, Vec<(String, Vec<u8>)>>,
    requests: Vec<Request>,
}

#[derive(Clone, Debug)]
struct Answer {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

enum Action {
    Send(Answer),
    SendShort(Answer),
    Hang(Duration),
}

impl FakeObs {
    /// Starts on 127.0.0.1 with an ephemeral port and the default routes.
    pub fn start() -> FakeObs {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address");
        let shared = Arc::new(Shared {
            stop: AtomicBool::new(false),
            state: Mutex::new(State::default()),
        });
        let for_thread = Arc::clone(&shared);
        let acceptor = thread::Builder::new()
            .name("fake-obs-accept".into())
            .spawn(move || accept_loop(&listener, &for_thread))
            .expect("spawn the accept thread");
        let obs = FakeObs {
            addr,
            shared,
            acceptor: Some(acceptor),
        };
        obs.user("alice", "opensuse");
        obs.default_routes();
        obs
    }

    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Accepts these HTTP Basic credentials too (a known user gets the new password).
    pub fn user(&self, name: &str, password: &str) {
        let mut st = self.state();
        match st.users.iter_mut().find(|(n, _)| n == name) {
            Some(entry) => entry.1 = password.to_owned(),
            None => st.users.push((name.to_owned(), password.to_owned())),
        }
    }

    /// Serves `body` for GET (and HEAD) of `path_and_query`.
    pub fn route(
        &self,
        path_and_query: &str,
        status: u16,
        content_type: &str,
        body: impl Into<Vec<u8>>,
    ) {
        self.route_method("GET", path_and_query, status, content_type, body);
    }

    /// Serves `body` for `method` of `path_and_query` (e.g. POST `…?cmd=…`).
    pub fn route_method(
        &self,
        method: &str,
        path_and_query: &str,
        status: u16,
        content_type: &str,
        body: impl Into<Vec<u8>>,
    ) {
        let mut headers = Vec::new();
        if !content_type.is_empty() {
            headers.push(("Content-Type", content_type.to_owned()));
        }
        let answer = Answer {
            status,
            headers,
            body: body.into(),
        };
        self.set_route(method, path_and_query, answer);
    }

    /// Serves a fixture of `tests/fixtures/obs-api/` (or `obs-api-extra/`) for
    /// GET of `path_and_query`, with the status and headers OBS sends with it.
    pub fn route_fixture(&self, path_and_query: &str, fixture: &str) {
        self.set_route("GET", path_and_query, fixture_answer(fixture));
    }

    /// Serves a repository of `binaries` (`name`, `[epoch:]version-release`,
    /// `arch`) the way the backend does: `_repository?view=names` as a
    /// `<binarylist>` and `_repository?view=binaryversions&withevr=1` as a
    /// `<binaryversionlist>`, both sorted by name.
    pub fn repository(
        &self,
        project: &str,
        repository: &str,
        arch: &str,
        binaries: &[(&str, &str, &str)],
    ) {
        let mut sorted = binaries.to_vec();
        sorted.sort();
        let mut names = String::from("<binarylist>\n");
        let mut versions = String::from("<binaryversionlist>\n");
        for (i, (name, evr, bin_arch)) in sorted.iter().enumerate() {
            let seed = name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
            });
            let _ = writeln!(
                names,
                "  <binary filename=\"{name}.rpm\" size=\"{}\" mtime=\"{}\" />",
                10_000 + seed % 900_000,
                1_696_000_000 + i * 977
            );
            let _ = writeln!(
                versions,
                "  <binary name=\"{name}.rpm\" sizek=\"{}\" hdrmd5=\"{seed:016x}{:016x}\" metamd5=\"{:016x}{seed:016x}\" evr=\"{evr}\" arch=\"{bin_arch}\" />",
                10 + seed % 900,
                seed.rotate_left(17),
                seed.rotate_left(29)
            );
        }
        names.push_str("</binarylist>\n");
        versions.push_str("</binaryversionlist>\n");
        let repo = format!("/build/{project}/{repository}/{arch}/_repository");
        self.route(&format!("{repo}?view=names"), 200, BACKEND_XML, names);
        self.route(
            &format!("{repo}?view=binaryversions&withevr=1"),
            200,
            BACKEND_XML,
            versions,
        );
    }

    /// Serves `view=cpioheaders` for `path` (`/build/P/R/A/_repository`,
    /// where `binary=` picks members and unknown names go into `.errors`,
    /// or `/build/P/R/A/PKG`, which answers every member): `members` are
    /// `(NAME or FILE.rpm, lead+signature+header bytes)`.
    pub fn cpio_headers(&self, path: &str, members: Vec<(String, Vec<u8>)>) {
        self.state().headers.insert(normalise_target(path), members);
    }

    /// Injects `fault` for every request to `path_and_query` (replacing an earlier one).
    pub fn fault(&self, path_and_query: &str, fault: Fault) {
        self.state()
            .faults
            .insert(normalise_target(path_and_query), (fault, 0));
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<Request> {
        self.state().requests.clone()
    }

    fn set_route(&self, method: &str, path_and_query: &str, answer: Answer) {
        let key = (
            method.to_ascii_uppercase(),
            normalise_target(path_and_query),
        );
        self.state().routes.insert(key, answer);
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.shared.state()
    }

    fn default_routes(&self) {
        let p = PROJECT;
        let repo = format!("/build/{p}/SLE_15/x86_64/_repository");
        let gets = [
            (repo.clone(), "binarylist-repository.xml"),
            (format!("{repo}?view=names"), "binarylist-repository-names.xml"),
            (
                "/build/Fedora:39/standard/x86_64/_repository".into(),
                "binarylist-repository-dod.xml",
            ),
            (
                "/build/Fedora:39/standard/x86_64/_repository?view=names".into(),
                "binarylist-repository-dod-names.xml",
            ),
            (
                format!("{repo}?view=names&binary=salt&binary=salt-minion&binary=nosuchpackage"),
                "binarylist-repository-filtered.xml",
            ),
            (
                format!("{repo}?view=binaryversions&withevr=1"),
                "binaryversionlist-repository-withevr.xml",
            ),
            (
                format!("{repo}?view=binaryversions&withevr=1&nometa=1&binary=salt&binary=nosuchpackage"),
                "binaryversionlist-repository-filtered.xml",
            ),
            (format!("{repo}?view=binarylist"), "status-unsupported-view.xml"),
            (
                format!("/build/{p}/SLE_15/x86_64/python-MarkupSafe"),
                "binarylist-package.xml",
            ),
            (
                format!("/build/{p}/SLE_15/x86_64/salt:testsuite"),
                "binarylist-package-multibuild.xml",
            ),
            (format!("/build/{p}/Debian_12/x86_64/salt"), "binarylist-package-deb.xml"),
            (format!("/build/{p}/Debian_12/x86_64/python311-core"), "binarylist-empty.xml"),
            (format!("/build/{p}"), "directory-build-project.xml"),
            (format!("/build/{p}/SLE_15"), "directory-build-repository.xml"),
            (format!("/source/{p}"), "directory-source-project.xml"),
            (format!("/source/{p}/venv-salt-minion"), "directory-source-package.xml"),
            (format!("/source/{p}/_meta"), "project-meta.xml"),
            ("/source/Fedora:39/_meta".into(), "project-meta-dod.xml"),
            ("/about".into(), "about.xml"),
            (
                "/build/home:nobody:nothing/SLE_15/x86_64/_repository".into(),
                "status-unknown-project.xml",
            ),
            ("/source/home:nobody:nothing/_meta".into(), "status-unknown-project.xml"),
            (
                format!("/build/{p}/SLE_15/x86_64/nosuchpackage"),
                "status-unknown-package.xml",
            ),
            (
                format!("/build/{p}/SLE_12_SP5/x86_64/_repository"),
                "status-no-repository.xml",
            ),
            (format!("/build/{p}/SLE_15/s390x/_repository"), "status-no-architecture.xml"),
            (
                format!("/source/{p}/python311-docs/python311-docs.spec"),
                "status-no-such-file.xml",
            ),
            (
                format!("/source/{p}/venv-salt-minion/venv-salt-minion.spec"),
                "venv-salt-minion.spec",
            ),
            (format!("/source/{p}/salt/salt.spec"), "salt.spec"),
            (
                format!("/build/{p}/SLE_15/x86_64/salt"),
                "binarylist-package-salt.xml",
            ),
        ];
        for (target, fixture) in gets {
            self.route_fixture(&target, fixture);
        }
        let package = format!("/source/{p}/venv-salt-minion");
        self.set_route(
            "POST",
            &format!("{package}?cmd=getprojectservices"),
            fixture_answer("services-empty.xml"),
        );
        self.set_route(
            "POST",
            &package,
            fixture_answer("status-missing-parameter.xml"),
        );
    }
}

impl Drop for FakeObs {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wakes the blocking accept() so that it sees `stop`.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// Records `req` and decides what to send.
    fn respond(&self, req: &Request) -> Action {
        let mut st = self.state();
        st.requests.push(req.clone());
        let key = normalise_target(&req.target);
        let path = key.split('?').next().unwrap_or_default();

        let fault = st.faults.get(&key).map(|(f, _)| f.clone());
        if fault == Some(Fault::Html401) {
            return Action::Send(fixture_answer("unauthorized.html"));
        }
        if path != "/about" && !authorised(&st.users, req.header("authorization")) {
            return Action::Send(fixture_answer("status-authentication-required.xml"));
        }
        let method = if req.method == "HEAD" {
            "GET"
        } else {
            req.method.as_str()
        };
        let normal = match cpio_answer(&st.headers, &key) {
            Some(answer) => answer,
            None => st
                .routes
                .get(&(method.to_owned(), key.clone()))
                .cloned()
                .unwrap_or_else(|| not_found(path)),
        };
        let Some(fault) = fault else {
            return Action::Send(normal);
        };
        match fault {
            Fault::FailTimes(status, times) => {
                let fired = st.faults.get_mut(&key).map(|(_, n)| n);
                match fired {
                    Some(n) if *n < times => {
                        *n += 1;
                        Action::Send(error_page(status, None))
                    }
                    _ => Action::Send(normal),
                }
            }
            Fault::Always(status, retry_after) => Action::Send(error_page(status, retry_after)),
            Fault::Hang(d) => Action::Hang(d),
            Fault::Html401 => Action::Send(fixture_answer("unauthorized.html")),
            Fault::TruncatedXml => {
                let mut cut = normal;
                cut.body.truncate(cut.body.len() / 2);
                Action::Send(cut)
            }
            Fault::NotXml => Action::Send(maintenance_page()),
            Fault::ShortRead => Action::SendShort(normal),
        }
    }
}

/// The backend's `view=cpioheaders` answer for `key`, when headers are
/// served there: members named `NAME-<hdrmd5>` (the MD5 of the bytes), in
/// the order asked, unknown names in a `.errors` member.
fn cpio_answer(headers: &HashMap<String, Vec<(String, Vec<u8>)>>, key: &str) -> Option<Answer> {
    let (path, query) = key.split_once('?')?;
    let mut params = query.split('&');
    if params.next() != Some("view=cpioheaders") {
        return None;
    }
    let members = headers.get(path)?;
    let asked: Vec<String> = params
        .filter_map(|p| p.strip_prefix("binary="))
        .map(|n| n.replace("%2B", "+"))
        .collect();
    let mut out = Vec::new();
    let mut errors = String::new();
    let picked: Vec<&(String, Vec<u8>)> = if path.ends_with("/_repository") {
        let mut picked = Vec::new();
        for name in &asked {
            match members.iter().find(|(n, _)| n == name) {
                Some(m) => picked.push(m),
                None => {
                    let _ = writeln!(errors, "{name}: not available");
                }
            }
        }
        picked
    } else {
        members.iter().collect()
    };
    for (name, bytes) in picked {
        let md5 = md5_hex(bytes);
        cpio_member(&mut out, &format!("{name}-{md5}"), bytes);
    }
    if !errors.is_empty() {
        cpio_member(&mut out, ".errors", errors.as_bytes());
    }
    cpio_member(&mut out, "TRAILER!!!", b"");
    Some(Answer {
        status: 200,
        headers: vec![("Content-Type", "application/x-cpio".to_owned())],
        body: out,
    })
}

/// `%3A` decoded to `:` and an absolute-form target reduced to its path.
fn normalise_target(target: &str) -> String {
    let mut t = target;
    for scheme in ["http://", "https://"] {
        if let Some(rest) = t.strip_prefix(scheme) {
            t = rest.find('/').map_or("/", |i| &rest[i..]);
        }
    }
    t.replace("%3A", ":").replace("%3a", ":")
}

fn authorised(users: &[(String, String)], header: Option<&str>) -> bool {
    let Some((scheme, encoded)) = header.and_then(|h| h.trim().split_once(' ')) else {
        return false;
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return false;
    }
    let Some(decoded) = base64_decode(encoded.trim()) else {
        return false;
    };
    let Ok(decoded) = String::from_utf8(decoded) else {
        return false;
    };
    let Some((user, pass)) = decoded.split_once(':') else {
        return false;
    };
    users.iter().any(|(u, p)| u == user && p == pass)
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with or without `=` padding; `None` for anything else.
fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let data = s.trim_end_matches('=');
    if s.len() - data.len() > 2 || data.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(data.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in data.bytes() {
        let v = BASE64.iter().position(|&b| b == c)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// `Basic base64(user:password)`, the value of an `Authorization` header.
pub fn basic_auth(user: &str, password: &str) -> String {
    let raw = format!("{user}:{password}").into_bytes();
    let mut out = String::from("Basic ");
    for chunk in raw.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &b)| acc | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(BASE64[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn fixture_dir(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// A fixture with the status and headers the OBS samples' README gives it.
fn fixture_answer(fixture: &str) -> Answer {
    let path = [fixture_dir("obs-api"), fixture_dir("obs-api-extra")]
        .into_iter()
        .map(|d| d.join(fixture))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("no OBS fixture named {fixture}"));
    let body = std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let xml_code = status_code_attribute(&body);
    let mut headers = Vec::new();
    let status = match (fixture, xml_code) {
        ("unauthorized.html", _) => {
            headers.push(("Content-Type", HTML.to_owned()));
            headers.push(("WWW-Authenticate", PROXY_REALM.to_owned()));
            401
        }
        (_, Some(code)) => match code.parse::<u16>() {
            Ok(status) => {
                headers.push(("Content-Type", BACKEND_XML.to_owned()));
                status
            }
            Err(_) => {
                headers.push(("Content-Type", API_XML.to_owned()));
                let status = api_error_status(&code);
                if status == 401 {
                    headers.push(("WWW-Authenticate", API_REALM.to_owned()));
                }
                headers.push(("X-Opensuse-Errorcode", code));
                status
            }
        },
        ("about.xml" | "directory-source-project.xml", None) => {
            headers.push(("Content-Type", API_XML.to_owned()));
            200
        }
        (f, None) if f.starts_with("project-meta") => {
            headers.push(("Content-Type", API_XML.to_owned()));
            200
        }
        (f, None) if f.ends_with(".xml") => {
            headers.push(("Content-Type", BACKEND_XML.to_owned()));
            200
        }
        _ => {
            headers.push(("Content-Type", "application/octet-stream".to_owned()));
            200
        }
    };
    Answer {
        status,
        headers,
        body,
    }
}

/// The `code` of a `<status code="…">` document.
fn status_code_attribute(body: &[u8]) -> Option<String> {
    let rest = body.strip_prefix(b"<status code=\"")?;
    let end = rest.iter().position(|&b| b == b'"')?;
    String::from_utf8(rest[..end].to_vec()).ok()
}

/// The HTTP status the OBS API sends with an error code word.
fn api_error_status(code: &str) -> u16 {
    match code {
        "authentication_required" => 401,
        "timeout_error" => 408,
        c if c.starts_with("unknown_") || c == "not_found" => 404,
        c if c.ends_with("_no_permission") || c.ends_with("_not_authorized") => 403,
        _ => 400,
    }
}

fn not_found(path: &str) -> Answer {
    let what = xml_escape(&format!("no such resource: {path}"));
    let body = format!("<status code=\"404\">\n  <summary>{what}</summary>\n  <details>404 {what}</details>\n</status>\n");
    Answer {
        status: 404,
        headers: vec![("Content-Type", BACKEND_XML.to_owned())],
        body: body.into_bytes(),
    }
}

fn error_page(status: u16, retry_after: Option<u32>) -> Answer {
    let title = format!("{status} {}", reason(status));
    let body = format!(
        "<html>\n<head><title>{title}</title></head>\n<body>\n<h1>{title}</h1>\n<p>The server encountered a temporary problem.</p>\n</body>\n</html>\n"
    );
    let mut headers = vec![("Content-Type", HTML.to_owned())];
    if let Some(secs) = retry_after {
        headers.push(("Retry-After", secs.to_string()));
    }
    Answer {
        status,
        headers,
        body: body.into_bytes(),
    }
}

fn maintenance_page() -> Answer {
    let body = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<title>Open Build Service - Scheduled maintenance</title>\n</head>\n<body>\n<h1>Scheduled maintenance</h1>\n<p>The Open Build Service is down for maintenance. Please try again later.</p>\n</body>\n</html>\n";
    Answer {
        status: 200,
        headers: vec![("Content-Type", HTML.to_owned())],
        body: body.as_bytes().to_vec(),
    }
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        408 => "Request Timeout",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Unknown",
    }
}

fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>) {
    for conn in listener.incoming() {
        if shared.stopped() {
            break;
        }
        let Ok(stream) = conn else {
            thread::sleep(POLL);
            continue;
        };
        let shared = Arc::clone(shared);
        let _ = thread::Builder::new()
            .name("fake-obs-conn".into())
            .spawn(move || serve_connection(stream, &shared));
    }
}

/// A parsed request head plus what the connection needs to know.
struct Incoming {
    request: Request,
    keep_alive: bool,
}

fn serve_connection(mut stream: TcpStream, shared: &Shared) {
    let _ = stream.set_read_timeout(Some(POLL));
    let _ = stream.set_nodelay(true);
    let mut buf = Vec::new();
    loop {
        let incoming = match read_request(&mut stream, &mut buf, shared) {
            Ok(Some(incoming)) => incoming,
            Ok(None) => return,
            Err(why) => {
                let answer = Answer {
                    status: 400,
                    headers: vec![("Content-Type", "text/plain; charset=utf-8".to_owned())],
                    body: format!("bad request: {why}\n").into_bytes(),
                };
                let _ = write_answer(&mut stream, &answer, false, false, None);
                lingering_close(&mut stream);
                return;
            }
        };
        let head_only = incoming.request.method == "HEAD";
        let keep = incoming.keep_alive;
        match shared.respond(&incoming.request) {
            Action::Send(answer) => {
                if write_answer(&mut stream, &answer, keep, head_only, None).is_err() || !keep {
                    let _ = stream.shutdown(Shutdown::Both);
                    return;
                }
            }
            Action::SendShort(answer) => {
                let declared = answer.body.len().max(1);
                let sent = answer.body.len() / 2;
                let _ = write_answer(&mut stream, &answer, false, false, Some((declared, sent)));
                let _ = stream.shutdown(Shutdown::Both);
                return;
            }
            Action::Hang(duration) => {
                let start = Instant::now();
                while !shared.stopped() && start.elapsed() < duration {
                    thread::sleep(POLL.min(duration.saturating_sub(start.elapsed())));
                }
                let _ = stream.shutdown(Shutdown::Both);
                return;
            }
        }
    }
}

/// Closes after draining what the client still sends, so that unread input
/// does not turn the close into a reset that could discard the answer.
fn lingering_close(stream: &mut TcpStream) {
    let _ = stream.shutdown(Shutdown::Write);
    let start = Instant::now();
    let mut sink = [0u8; 16 * 1024];
    while start.elapsed() < Duration::from_secs(2) {
        match stream.read(&mut sink) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
                ) => {}
            Err(_) => break,
        }
    }
}

/// Writes `answer`; `short` = (declared Content-Length, bytes of the body actually sent).
fn write_answer(
    stream: &mut TcpStream,
    answer: &Answer,
    keep_alive: bool,
    head_only: bool,
    short: Option<(usize, usize)>,
) -> std::io::Result<()> {
    let (declared, sent) = short.unwrap_or((answer.body.len(), answer.body.len()));
    let mut head = format!("HTTP/1.1 {} {}\r\n", answer.status, reason(answer.status));
    for (name, value) in &answer.headers {
        let _ = write!(head, "{name}: {value}\r\n");
    }
    let _ = write!(head, "Content-Length: {declared}\r\n");
    head.push_str(if keep_alive {
        "Connection: keep-alive\r\n\r\n"
    } else {
        "Connection: close\r\n\r\n"
    });
    let mut out = head.into_bytes();
    if !head_only {
        out.extend_from_slice(&answer.body[..sent]);
    }
    stream.write_all(&out)?;
    stream.flush()
}

/// Reads one request; `Ok(None)` when the peer closed, the server stopped or
/// the connection sat idle too long; `Err` for a malformed request.
fn read_request(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
    shared: &Shared,
) -> Result<Option<Incoming>, String> {
    let mut last_data = Instant::now();
    let mut chunk = [0u8; 16 * 1024];
    let mut head: Option<(usize, Incoming, usize)> = None; // (head end, parsed, body length)
    loop {
        if head.is_none() {
            if let Some(end) = find(buf, b"\r\n\r\n") {
                let (incoming, body_len) = parse_head(&buf[..end])?;
                if body_len > 0
                    && incoming
                        .request
                        .header("expect")
                        .is_some_and(|e| e.eq_ignore_ascii_case("100-continue"))
                {
                    let _ = stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n");
                }
                head = Some((end + 4, incoming, body_len));
            } else if buf.len() > MAX_HEAD {
                return Err("request head too large".into());
            }
        }
        match head.take() {
            Some((start, incoming, body_len)) if buf.len() >= start + body_len => {
                buf.drain(..start + body_len);
                return Ok(Some(incoming));
            }
            pending => head = pending,
        }
        match stream.read(&mut chunk) {
            Ok(0) => return Ok(None),
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                last_data = Instant::now();
            }
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
                ) =>
            {
                if shared.stopped() || last_data.elapsed() > IDLE_LIMIT {
                    return Ok(None);
                }
            }
            Err(_) => return Ok(None),
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Parses a request head (without the final CRLFCRLF) into the request and its body length.
fn parse_head(head: &[u8]) -> Result<(Incoming, usize), String> {
    let text = String::from_utf8_lossy(head);
    let mut lines = text.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let parts: Vec<&str> = request_line.split(' ').collect();
    let [method, target, version] = parts[..] else {
        return Err(format!("malformed request line {request_line:?}"));
    };
    if !is_token(method) {
        return Err(format!("malformed method {method:?}"));
    }
    let target_ok = !target.is_empty()
        && (target.starts_with('/')
            || target.starts_with("http://")
            || target.starts_with("https://")
            || target == "*")
        && target.bytes().all(|b| b.is_ascii_graphic());
    if !target_ok {
        return Err(format!("malformed request target {target:?}"));
    }
    let http10 = match version {
        "HTTP/1.1" => false,
        "HTTP/1.0" => true,
        _ => return Err(format!("unsupported protocol {version:?}")),
    };
    let mut headers = Vec::new();
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            return Err(format!("malformed header line {line:?}"));
        };
        if !is_token(name) {
            return Err(format!("malformed header name {name:?}"));
        }
        headers.push((
            name.to_ascii_lowercase(),
            value.trim_matches([' ', '\t']).to_owned(),
        ));
    }
    let request = Request {
        method: method.to_owned(),
        target: target.to_owned(),
        headers,
    };
    if request.header("transfer-encoding").is_some() {
        return Err("Transfer-Encoding is not supported".into());
    }
    let mut body_len = None;
    for (_, value) in request
        .headers
        .iter()
        .filter(|(n, _)| n == "content-length")
    {
        let n: usize = value
            .parse()
            .map_err(|_| format!("malformed Content-Length {value:?}"))?;
        if body_len.is_some_and(|m| m != n) {
            return Err("conflicting Content-Length headers".into());
        }
        body_len = Some(n);
    }
    let body_len = body_len.unwrap_or(0);
    if body_len > MAX_BODY {
        return Err("request body too large".into());
    }
    let connection = request
        .header("connection")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let has = |token: &str| connection.split(',').any(|t| t.trim() == token);
    let keep_alive = if http10 {
        has("keep-alive")
    } else {
        !has("close")
    };
    Ok((
        Incoming {
            request,
            keep_alive,
        },
        body_len,
    ))
}

/// A `view=names` binarylist of `n` realistic binary names in backend layout, sorted like OBS.
pub fn big_repository(n: usize) -> Vec<u8> {
    let mut names = BTreeSet::new();
    let mut rng: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut i = 0usize;
    let mut entries: Vec<(u64, u64)> = Vec::with_capacity(n);
    while names.len() < n {
        let r = next();
        let name = match r % 12 {
            0..=2 => format!("python311-pkg{i}"),
            3 => format!("python311-Pkg{i}"),
            4 => format!("python311-pkg{i}-debuginfo"),
            5 => format!(
                "lib{}{i}-{}_{}",
                ["ssl", "ffi", "zmq", "yaml"][(r >> 8) as usize % 4],
                (r >> 12) % 4,
                (r >> 16) % 3
            ),
            6 => format!("lib{i}-debuginfo"),
            7 => format!("libstdc++{i}"),
            8 => format!("python311-zope.pkg{i}"),
            9 => format!("perl-Pkg{i}-Util"),
            10 => format!("pkg{i}-devel"),
            _ => format!("ghc-pkg{i}_{}-{}", (r >> 20) % 9, (r >> 24) % 9),
        };
        if names.insert(name) {
            entries.push((
                1_000 + (r >> 32) % 20_000_000,
                1_690_000_000 + (r >> 40) % 10_000_000,
            ));
        }
        i += 1;
    }
    if n == 0 {
        return b"<binarylist />\n".to_vec();
    }
    let mut out = String::with_capacity(n * 80 + 32);
    out.push_str("<binarylist>\n");
    for (name, (size, mtime)) in names.iter().zip(entries) {
        let _ = writeln!(
            out,
            "  <binary filename=\"{name}.rpm\" size=\"{size}\" mtime=\"{mtime}\" />"
        );
    }
    out.push_str("</binarylist>\n");
    out.into_bytes()
}

/// 32 hex digits standing in for the header's MD5 (the fake has no MD5;
/// only the shape of the name matters to venvjail).
pub fn md5_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(bytes);
    let mut s = String::new();
    for b in &digest[..16] {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Appends one cpio newc member (a regular file) to `out`.
pub fn cpio_member(out: &mut Vec<u8>, name: &str, data: &[u8]) {
    let mode = if name == "TRAILER!!!" { 0 } else { 0o100644 };
    let fields = [
        0u32,
        mode,
        0,
        0,
        1,
        1_700_000_000,
        data.len() as u32,
        0,
        0,
        0,
        0,
        name.len() as u32 + 1,
        0,
    ];
    out.extend_from_slice(b"070701");
    for f in fields {
        out.extend_from_slice(format!("{f:08x}").as_bytes());
    }
    out.extend_from_slice(name.as_bytes());
    out.push(0);
    while out.len() % 4 != 0 {
        out.push(0);
    }
    out.extend_from_slice(data);
    while out.len() % 4 != 0 {
        out.push(0);
    }
}
