//! Tests of the fake OBS itself, through a minimal raw-TCP HTTP/1.1 client.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::fake_obs::{basic_auth, big_repository, FakeObs, Fault, PROJECT};

const REPO: &str = "/build/systemsmanagement:saltstack:bundle/SLE_15/x86_64/_repository";

/// A response as read off the wire.
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// Content-Length as announced.
    length: usize,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn text(&self) -> &str {
        std::str::from_utf8(&self.body).expect("utf-8 body")
    }
}

fn connect(obs: &FakeObs) -> TcpStream {
    let addr = obs.url().trim_start_matches("http://").to_owned();
    let stream = TcpStream::connect(addr).expect("connect to the fake");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("set read timeout");
    stream
}

/// Reads one response: the head, then Content-Length bytes or until EOF.
fn read_reply(stream: &mut TcpStream) -> Reply {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        let n = stream.read(&mut byte).expect("read response head");
        assert_eq!(n, 1, "connection closed inside the head: {head:?}");
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).expect("ascii head");
    let mut lines = head.trim_end().split("\r\n");
    let status_line = lines.next().expect("status line");
    let mut parts = status_line.splitn(3, ' ');
    assert_eq!(parts.next(), Some("HTTP/1.1"), "{status_line}");
    let status = parts
        .next()
        .expect("status")
        .parse()
        .expect("numeric status");
    let headers: Vec<(String, String)> = lines
        .map(|l| {
            let (n, v) = l.split_once(": ").expect("header line");
            (n.to_owned(), v.to_owned())
        })
        .collect();
    let length = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .map(|(_, v)| v.parse().expect("numeric Content-Length"))
        .expect("Content-Length is always set");
    let mut body = Vec::new();
    stream
        .take(length as u64)
        .read_to_end(&mut body)
        .expect("read body");
    Reply {
        status,
        headers,
        body,
        length,
    }
}

/// Sends `raw` on a fresh connection and reads one response.
fn exchange(obs: &FakeObs, raw: &str) -> Reply {
    let mut stream = connect(obs);
    stream.write_all(raw.as_bytes()).expect("send request");
    read_reply(&mut stream)
}

fn request(method: &str, target: &str, auth: Option<(&str, &str)>) -> String {
    let auth = auth.map_or(String::new(), |(u, p)| {
        format!("Authorization: {}\r\n", basic_auth(u, p))
    });
    format!(
        "{method} {target} HTTP/1.1\r\nHost: obs\r\nAccept: application/xml\r\n{auth}Connection: close\r\n\r\n"
    )
}

fn get(obs: &FakeObs, target: &str) -> Reply {
    exchange(obs, &request("GET", target, Some(("alice", "opensuse"))))
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        crate::util::repo_root()
            .join("tests/fixtures/obs-api")
            .join(name),
    )
    .expect("read fixture")
}

#[test]
fn basic_auth_encodes_like_rfc_7617() {
    assert_eq!(
        basic_auth("Aladdin", "open sesame"),
        "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
    );
    assert_eq!(basic_auth("a", "b"), "Basic YTpi");
    assert_eq!(basic_auth("ab", "cd"), "Basic YWI6Y2Q=");
}

#[test]
fn default_route_answers_the_fixture_with_backend_headers() {
    let obs = FakeObs::start();
    let reply = get(&obs, REPO);
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("Content-Type"), Some("text/xml"));
    assert_eq!(reply.header("Connection"), Some("close"));
    assert_eq!(reply.body, fixture("binarylist-repository.xml"));
    assert_eq!(reply.header("X-Opensuse-Errorcode"), None);
}

#[test]
fn percent_encoded_colons_match_the_same_route() {
    let obs = FakeObs::start();
    let reply = get(
        &obs,
        "/build/systemsmanagement%3Asaltstack%3abundle/SLE_15/x86_64/_repository?view=names",
    );
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, fixture("binarylist-repository-names.xml"));
    // Recorded as sent.
    assert!(obs.requests()[0].target.contains("%3Asaltstack%3abundle"));
}

#[test]
fn api_answers_carry_the_api_content_type() {
    let obs = FakeObs::start();
    let reply = get(&obs, &format!("/source/{PROJECT}/_meta"));
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("Content-Type"),
        Some("application/xml; charset=utf-8")
    );
    assert_eq!(reply.body, fixture("project-meta.xml"));
}

#[test]
fn about_needs_no_credentials() {
    let obs = FakeObs::start();
    let reply = exchange(&obs, &request("GET", "/about", None));
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, fixture("about.xml"));
}

#[test]
fn missing_credentials_get_the_api_401() {
    let obs = FakeObs::start();
    let reply = exchange(&obs, &request("GET", REPO, None));
    assert_eq!(reply.status, 401);
    assert_eq!(
        reply.header("WWW-Authenticate"),
        Some("basic realm=\"API login\"")
    );
    assert_eq!(
        reply.header("X-Opensuse-Errorcode"),
        Some("authentication_required")
    );
    assert_eq!(
        reply.header("Content-Type"),
        Some("application/xml; charset=utf-8")
    );
    assert_eq!(reply.body, fixture("status-authentication-required.xml"));
}

#[test]
fn wrong_password_gets_401_and_added_users_get_in() {
    let obs = FakeObs::start();
    let wrong = exchange(&obs, &request("GET", REPO, Some(("alice", "secret"))));
    assert_eq!(wrong.status, 401);
    let unknown = exchange(&obs, &request("GET", REPO, Some(("bob", "secret"))));
    assert_eq!(unknown.status, 401);

    obs.user("bob", "secret");
    let bob = exchange(&obs, &request("GET", REPO, Some(("bob", "secret"))));
    assert_eq!(bob.status, 200);
    let alice = exchange(&obs, &request("GET", REPO, Some(("alice", "opensuse"))));
    assert_eq!(alice.status, 200, "the default user still works");

    let garbage = format!(
        "GET {REPO} HTTP/1.1\r\nAuthorization: Basic !!notbase64\r\nConnection: close\r\n\r\n"
    );
    assert_eq!(exchange(&obs, &garbage).status, 401);
    let bearer =
        format!("GET {REPO} HTTP/1.1\r\nAuthorization: Token YWxpY2U6b3BlbnN1c2U=\r\nConnection: close\r\n\r\n");
    assert_eq!(exchange(&obs, &bearer).status, 401);
}

#[test]
fn unknown_paths_get_a_backend_404() {
    let obs = FakeObs::start();
    let reply = get(&obs, "/build/nothing/here?x=<&>");
    assert_eq!(reply.status, 404);
    assert_eq!(reply.header("Content-Type"), Some("text/xml"));
    assert!(
        reply
            .text()
            .starts_with("<status code=\"404\">\n  <summary>"),
        "{}",
        reply.text()
    );
    assert!(reply.text().contains("/build/nothing/here"));
}

#[test]
fn error_fixtures_have_their_status_and_error_code() {
    let obs = FakeObs::start();
    let unknown = get(&obs, "/build/home:nobody:nothing/SLE_15/x86_64/_repository");
    assert_eq!(unknown.status, 404);
    assert_eq!(
        unknown.header("X-Opensuse-Errorcode"),
        Some("unknown_project")
    );
    assert_eq!(
        unknown.header("Content-Type"),
        Some("application/xml; charset=utf-8")
    );

    let no_repo = get(
        &obs,
        &format!("/build/{PROJECT}/SLE_12_SP5/x86_64/_repository"),
    );
    assert_eq!(no_repo.status, 404);
    assert_eq!(no_repo.header("X-Opensuse-Errorcode"), None);
    assert_eq!(no_repo.header("Content-Type"), Some("text/xml"));
    assert_eq!(no_repo.body, fixture("status-no-repository.xml"));

    let view = get(&obs, &format!("{REPO}?view=binarylist"));
    assert_eq!(view.status, 400);
}

#[test]
fn post_routes_are_separate_from_get_routes() {
    let obs = FakeObs::start();
    let pkg = format!("/source/{PROJECT}/venv-salt-minion");
    let alice = Some(("alice", "opensuse"));
    let services = exchange(
        &obs,
        &request("POST", &format!("{pkg}?cmd=getprojectservices"), alice),
    );
    assert_eq!(services.status, 200);
    assert_eq!(services.body, fixture("services-empty.xml"));
    let no_cmd = exchange(&obs, &request("POST", &pkg, alice));
    assert_eq!(no_cmd.status, 400);
    assert_eq!(
        no_cmd.header("X-Opensuse-Errorcode"),
        Some("missing_parameter")
    );
    let listing = exchange(&obs, &request("GET", &pkg, alice));
    assert_eq!(listing.body, fixture("directory-source-package.xml"));
}

#[test]
fn spec_files_are_served_raw() {
    let obs = FakeObs::start();
    let spec = get(
        &obs,
        &format!("/source/{PROJECT}/venv-salt-minion/venv-salt-minion.spec"),
    );
    assert_eq!(spec.status, 200);
    assert_eq!(
        spec.header("Content-Type"),
        Some("application/octet-stream")
    );
    assert!(spec.text().contains("Requires(post): systemd"));
    assert!(spec
        .text()
        .contains("%package -n venv-salt-minion-bash-completion"));
    let salt = get(&obs, &format!("/source/{PROJECT}/salt/salt.spec"));
    assert!(salt
        .text()
        .contains("Requires:       python3-PyYAML >= 5.1"));
}

#[test]
fn routes_can_be_added_and_replaced() {
    let obs = FakeObs::start();
    obs.route(REPO, 200, "text/xml", "<binarylist />\n");
    assert_eq!(get(&obs, REPO).body, b"<binarylist />\n");
    obs.route_fixture(
        "/build/other/standard/x86_64/_repository",
        "binarylist-empty.xml",
    );
    let other = get(&obs, "/build/other/standard/x86_64/_repository");
    assert_eq!(other.body, fixture("binarylist-empty.xml"));
    assert_eq!(other.header("Content-Type"), Some("text/xml"));
    obs.route_fixture("/source/home:x/_meta", "status-unknown-project.xml");
    assert_eq!(get(&obs, "/source/home:x/_meta").status, 404);
}

#[test]
fn requests_are_recorded_in_order_with_lowercased_headers() {
    let obs = FakeObs::start();
    get(&obs, "/about");
    exchange(
        &obs,
        &format!("HEAD {REPO} HTTP/1.1\r\nX-Custom-Thing: Value\r\nConnection: close\r\n\r\n"),
    );
    let requests = obs.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].method, "GET");
    assert_eq!(requests[0].target, "/about");
    assert_eq!(requests[0].header("accept"), Some("application/xml"));
    assert!(requests[0]
        .headers
        .iter()
        .any(|(n, v)| n == "authorization" && v.starts_with("Basic ")));
    assert_eq!(requests[1].method, "HEAD");
    assert_eq!(requests[1].target, REPO);
    assert!(requests[1]
        .headers
        .contains(&("x-custom-thing".to_owned(), "Value".to_owned())));
}

#[test]
fn keep_alive_serves_several_requests_on_one_connection() {
    let obs = FakeObs::start();
    let auth = basic_auth("alice", "opensuse");
    let mut stream = connect(&obs);
    for target in [REPO, "/about", "/nowhere"] {
        let raw = format!("GET {target} HTTP/1.1\r\nHost: obs\r\nAuthorization: {auth}\r\n\r\n");
        stream.write_all(raw.as_bytes()).expect("send");
        let reply = read_reply(&mut stream);
        assert_eq!(reply.header("Connection"), Some("keep-alive"));
        assert_eq!(reply.body.len(), reply.length);
    }
    // Two pipelined requests, the second with a body.
    let raw = format!(
        "GET /about HTTP/1.1\r\n\r\nPOST /source/{PROJECT}/venv-salt-minion?cmd=getprojectservices HTTP/1.1\r\nAuthorization: {auth}\r\nContent-Length: 5\r\n\r\nhello"
    );
    stream.write_all(raw.as_bytes()).expect("send");
    assert_eq!(read_reply(&mut stream).body, fixture("about.xml"));
    assert_eq!(read_reply(&mut stream).body, fixture("services-empty.xml"));
    assert_eq!(obs.requests().len(), 5);
}

#[test]
fn malformed_requests_get_400_and_the_server_keeps_going() {
    let obs = FakeObs::start();
    for raw in [
        "garbage\r\n\r\n",
        "GET  HTTP/1.1\r\n\r\n",
        "GET /about HTTP/9.9\r\n\r\n",
        "GET /about HTTP/1.1\r\nno colon here\r\n\r\n",
        "GET /about HTTP/1.1\r\nContent-Length: lots\r\n\r\n",
        "GET /about HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
        "POST /about HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "G\u{e9}T /about HTTP/1.1\r\n\r\n",
    ] {
        let reply = exchange(&obs, raw);
        assert_eq!(reply.status, 400, "{raw:?}");
        assert_eq!(reply.header("Connection"), Some("close"));
    }
    // A head that never ends.
    let mut stream = connect(&obs);
    let _ = stream.write_all(&vec![b'a'; 70 * 1024]);
    assert_eq!(read_reply(&mut stream).status, 400);
    assert_eq!(get(&obs, "/about").status, 200);
}

#[test]
fn fault_fail_times_then_normal() {
    let obs = FakeObs::start();
    obs.fault(REPO, Fault::FailTimes(500, 2));
    for _ in 0..2 {
        let reply = get(&obs, REPO);
        assert_eq!(reply.status, 500);
        assert_eq!(
            reply.header("Content-Type"),
            Some("text/html; charset=utf-8")
        );
        assert!(reply.text().contains("500 Internal Server Error"));
    }
    assert_eq!(get(&obs, REPO).body, fixture("binarylist-repository.xml"));
    assert_eq!(get(&obs, REPO).status, 200);
}

#[test]
fn fault_always_with_and_without_retry_after() {
    let obs = FakeObs::start();
    obs.fault(REPO, Fault::Always(503, Some(2)));
    for _ in 0..3 {
        let reply = get(&obs, REPO);
        assert_eq!(reply.status, 503);
        assert_eq!(reply.header("Retry-After"), Some("2"));
    }
    let other = format!("{REPO}?view=names");
    obs.fault(&other, Fault::Always(502, None));
    let reply = get(&obs, &other);
    assert_eq!(reply.status, 502);
    assert_eq!(reply.header("Retry-After"), None);
    // Other routes are untouched.
    assert_eq!(get(&obs, "/about").status, 200);
}

#[test]
fn fault_hang_sends_nothing_then_closes() {
    let obs = FakeObs::start();
    let hang = Duration::from_millis(300);
    obs.fault(REPO, Fault::Hang(hang));
    let mut stream = connect(&obs);
    let start = Instant::now();
    stream
        .write_all(request("GET", REPO, Some(("alice", "opensuse"))).as_bytes())
        .expect("send");
    let mut got = Vec::new();
    stream.read_to_end(&mut got).expect("read until close");
    assert!(got.is_empty(), "{got:?}");
    assert!(start.elapsed() >= hang);
    assert_eq!(obs.requests().len(), 1, "the request was read");
}

#[test]
fn fault_html401_ignores_good_credentials() {
    let obs = FakeObs::start();
    obs.fault(REPO, Fault::Html401);
    for auth in [Some(("alice", "opensuse")), None] {
        let reply = exchange(&obs, &request("GET", REPO, auth));
        assert_eq!(reply.status, 401);
        assert_eq!(
            reply.header("Content-Type"),
            Some("text/html; charset=utf-8")
        );
        assert_eq!(
            reply.header("WWW-Authenticate"),
            Some("Basic realm=\"Use your SUSE developer account\"")
        );
        assert_eq!(reply.header("X-Opensuse-Errorcode"), None);
        assert_eq!(reply.body, fixture("unauthorized.html"));
    }
}

#[test]
fn fault_truncated_xml_is_well_formed_http() {
    let obs = FakeObs::start();
    obs.fault(REPO, Fault::TruncatedXml);
    let full = fixture("binarylist-repository.xml");
    let reply = get(&obs, REPO);
    assert_eq!(reply.status, 200);
    assert_eq!(reply.length, reply.body.len());
    assert!(!reply.body.is_empty() && reply.body.len() < full.len());
    assert!(full.starts_with(&reply.body));
}

#[test]
fn fault_not_xml_is_an_html_page() {
    let obs = FakeObs::start();
    obs.fault(REPO, Fault::NotXml);
    let reply = get(&obs, REPO);
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("Content-Type"),
        Some("text/html; charset=utf-8")
    );
    assert!(reply.text().starts_with("<!DOCTYPE html>"));
}

#[test]
fn fault_short_read_closes_before_content_length() {
    let obs = FakeObs::start();
    obs.fault(REPO, Fault::ShortRead);
    let full = fixture("binarylist-repository.xml");
    let reply = get(&obs, REPO);
    assert_eq!(reply.status, 200);
    assert_eq!(reply.length, full.len());
    assert!(reply.body.len() < reply.length);
    assert!(full.starts_with(&reply.body));
}

#[test]
fn faults_apply_after_authentication() {
    let obs = FakeObs::start();
    obs.fault(REPO, Fault::Always(503, None));
    let reply = exchange(&obs, &request("GET", REPO, None));
    assert_eq!(reply.status, 401);
}

#[test]
fn servers_run_side_by_side_and_stop_when_dropped() {
    let servers: Vec<FakeObs> = (0..4).map(|_| FakeObs::start()).collect();
    let mut urls: Vec<String> = servers.iter().map(FakeObs::url).collect();
    urls.sort();
    urls.dedup();
    assert_eq!(urls.len(), 4);
    std::thread::scope(|s| {
        for obs in &servers {
            s.spawn(move || {
                for _ in 0..5 {
                    assert_eq!(get(obs, REPO).status, 200);
                }
                assert_eq!(obs.requests().len(), 5);
            });
        }
    });
    // An idle keep-alive connection is closed once its server is gone.
    let mut idle = connect(&servers[0]);
    idle.write_all(b"GET /about HTTP/1.1\r\n\r\n")
        .expect("send");
    assert_eq!(read_reply(&mut idle).status, 200);
    drop(servers);
    let mut rest = Vec::new();
    idle.read_to_end(&mut rest).expect("read until close");
    assert!(rest.is_empty());
}

#[test]
fn big_repository_is_sorted_distinct_and_in_backend_layout() {
    assert_eq!(big_repository(0), b"<binarylist />\n");
    let xml = String::from_utf8(big_repository(5000)).expect("utf-8");
    assert!(xml.starts_with("<binarylist>\n") && xml.ends_with("</binarylist>\n"));
    let names: Vec<&str> = xml
        .lines()
        .filter_map(|l| l.strip_prefix("  <binary filename=\""))
        .map(|l| {
            assert!(l.ends_with("\" />"), "{l}");
            assert!(l.contains("\" size=\"") && l.contains("\" mtime=\""), "{l}");
            l.split(".rpm\"").next().expect("name")
        })
        .collect();
    assert_eq!(names.len(), 5000);
    assert!(names.windows(2).all(|w| w[0] < w[1]), "sorted and distinct");
    for needle in ["lib", "-debuginfo", "+", ".", "python311-P"] {
        assert!(names.iter().any(|n| n.contains(needle)), "{needle}");
    }
    assert_eq!(big_repository(5000), xml.as_bytes(), "deterministic");
}
