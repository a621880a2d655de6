//! The OBS commands (`include`, `binary`, `requires`) run as the real binary
//! against the fake OBS: their output and `-o FILE`, every credential form
//! osc knows, every fault, and that no password ever reaches the terminal.
//!
//! Every run gets a cleared environment: its own `HOME`, `XDG_CONFIG_HOME`
//! and (where a test says so) `OSC_CONFIG`, and nothing else, so that no
//! oscrc, `OSC_*` variable or proxy setting of the machine leaks in.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::fake_obs::{basic_auth, FakeObs, Fault, Request, PROJECT};
use crate::util::{Dir, Run};

const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The `view=names` request `include` sends for `-r SLE_15` (faults match the query too).
const NAMES: &str =
    "/build/systemsmanagement:saltstack:bundle/SLE_15/x86_64/_repository?view=names";
/// The same without the query, as error messages name it.
const REPO: &str = "/build/systemsmanagement:saltstack:bundle/SLE_15/x86_64/_repository";
/// The package `binary python-MarkupSafe` asks for.
const MARKUPSAFE: &str =
    "/build/systemsmanagement:saltstack:bundle/SLE_15/x86_64/python-MarkupSafe";
/// The spec `requires venv-salt-minion` fetches.
/// The salt package's build result headers, which `requires salt` reads.
const PKG_HEADERS: &str =
    "/build/systemsmanagement:saltstack:bundle/SLE_15/x86_64/salt?view=cpioheaders";

/// `include` on the fake's SLE_15 repository.
const INCLUDE: &[&str] = &["include", "-A", "{url}", "-p", PROJECT, "-r", "SLE_15"];
/// `binary` of the RPM fixture.
const BINARY: &[&str] = &[
    "binary",
    "python-MarkupSafe",
    "-A",
    "{url}",
    "-p",
    PROJECT,
    "-r",
    "SLE_15",
];
/// `requires` with the spec fetched from the fake.
const REQUIRES: &[&str] = &[
    "requires", "salt", "-A", "{url}", "-p", PROJECT, "-r", "SLE_15",
];

/// The exclude-rpm every working directory starts with.
const EXCLUDE_RPM: &str =
    "# test exclude list\n.*-debuginfo$\n.*-debugsource$\npython311-devel$\nsalt-common$\n";
/// The include-rpm every working directory starts with (for `requires`).
const INCLUDE_RPM: &str =
    "# SECTION venvjail\nlibzmq5$\nlibsodium23$\nlibffi8$\npython311-.*\n# /SECTION\n";
/// An include-rpm with lines of the user around the block.
const USER_INCLUDE_RPM: &str = "# my own header\nmy-private-package$\n# SECTION venvjail\nstale-entry$\n# /SECTION\n# trailing user line\npython311-extra$\n";

/// The KeyringCredentialsManager osc writes for the Secret Service.
const KEYRING: &str =
    "osc.credentials.KeyringCredentialsManager:keyring.backends.SecretService.Keyring";

fn fixture(name: &str) -> String {
    let path = crate::util::repo_root()
        .join("tests/fixtures/obs-api")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// A fake OBS, a private HOME and a working directory holding `include-rpm`
/// and `exclude-rpm`.
struct World {
    obs: FakeObs,
    /// The API URL `{url}` stands for (the fake's, unless a test points elsewhere).
    api: String,
    home: Dir,
    work: Dir,
    env: Vec<(String, String)>,
}

impl World {
    /// The fake and `~/.config/osc/oscrc` = `oscrc-plain` pointed at it.
    fn new() -> Self {
        let w = Self::bare();
        w.home_file(".config/osc/oscrc", &w.oscrc("oscrc-plain"));
        w
    }

    /// The fake without any oscrc; `HOME` and `XDG_CONFIG_HOME` (`~/.config`) set.
    fn bare() -> Self {
        let obs = FakeObs::start();
        crate::fake_repo::serve_stack(&obs);
        let home = Dir::new();
        let work = Dir::new();
        work.write("exclude-rpm", EXCLUDE_RPM);
        work.write("include-rpm", INCLUDE_RPM);
        let env = vec![
            ("HOME".to_owned(), path_str(home.path())),
            (
                "XDG_CONFIG_HOME".to_owned(),
                path_str(&home.path().join(".config")),
            ),
        ];
        Self {
            api: obs.url(),
            obs,
            home,
            work,
            env,
        }
    }

    /// An oscrc fixture with `https://api.opensuse.org` turned into the fake's URL.
    fn oscrc(&self, name: &str) -> String {
        fixture(name).replace("https://api.opensuse.org", &self.obs.url())
    }

    /// Writes a file under HOME.
    fn home_file(&self, rel: &str, text: &str) -> PathBuf {
        self.home.write(rel, text)
    }

    /// Sets (or replaces) an environment variable of the runs.
    fn set(&mut self, key: &str, value: impl Into<String>) {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.to_owned(), value.into()));
    }

    /// Removes an environment variable of the runs.
    fn unset(&mut self, key: &str) {
        self.env.retain(|(k, _)| k != key);
    }

    /// `s` with `{url}` replaced by the API URL.
    fn expand(&self, s: &str) -> String {
        s.replace("{url}", &self.api)
    }

    /// Runs venvjail with `args` (`{url}` expanded) in the working directory.
    fn run(&self, args: &[&str]) -> Run {
        let output = Command::new(env!("CARGO_BIN_EXE_venvjail"))
            .env_clear()
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .args(args.iter().map(|a| self.expand(a)))
            .current_dir(self.work.path())
            .stdin(Stdio::null())
            .output()
            .expect("run venvjail");
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            stdout_bytes: output.stdout,
        }
    }

    /// Runs and asserts success with nothing on stderr; returns stdout.
    fn ok(&self, args: &[&str]) -> String {
        let run = self.run(args);
        assert_eq!(
            (run.code, run.stderr.as_str()),
            (0, ""),
            "venvjail {args:?} failed; stdout: {}",
            run.stdout
        );
        run.stdout
    }

    /// The requests the fake received.
    fn requests(&self) -> Vec<Request> {
        self.obs.requests()
    }

    /// The targets of the requests the fake received.
    fn targets(&self) -> Vec<String> {
        self.requests().into_iter().map(|r| r.target).collect()
    }

    /// The file names and contents of the working directory.
    fn snapshot_work(&self) -> Vec<(String, Vec<u8>)> {
        let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(self.work.path())
            .expect("read the working directory")
            .map(|e| {
                let e = e.expect("dir entry");
                let name = e.file_name().to_string_lossy().into_owned();
                let bytes = std::fs::read(e.path()).expect("read file");
                (name, bytes)
            })
            .collect();
        files.sort();
        files
    }
}

fn path_str(p: &Path) -> String {
    p.to_str().expect("UTF-8 temp path").to_owned()
}

/// What one failing variant left behind.
struct Failure {
    requests: Vec<Request>,
    elapsed: Duration,
}

/// Runs a failing command three ways, each in its own world made by `make`
/// (in parallel, so that slow faults cost their time once): printing to
/// stdout, with `-o` naming a missing file, and with `-o` naming an existing
/// list with lines of the user around its block. Each must exit 2 with exactly `expected` (`{url}` expanded;
/// `{reason}`, if present, stands for any non-empty one-line text) as its
/// only stderr line, print nothing on stdout, and leave the working
/// directory as it was. Returns what each fake saw, in that order.
fn assert_fails(make: impl Fn() -> World + Sync, args: &[&str], expected: &str) -> Vec<Failure> {
    let outputs: [Option<&str>; 3] = [None, Some("new-list"), Some("existing-list")];
    std::thread::scope(|s| {
        let handles: Vec<_> = outputs
            .iter()
            .map(|output| {
                let make = &make;
                s.spawn(move || {
                    let w = make();
                    if *output == Some("existing-list") {
                        w.work.write("existing-list", USER_INCLUDE_RPM);
                    }
                    let before = w.snapshot_work();
                    let mut full: Vec<&str> = args.to_vec();
                    if let Some(file) = output {
                        full.extend(["-o", file]);
                    }
                    let started = Instant::now();
                    let run = w.run(&full);
                    let elapsed = started.elapsed();
                    let context = format!("venvjail {full:?}");
                    assert_eq!(run.code, 2, "{context}: exit code; stderr: {}", run.stderr);
                    assert_eq!(run.stdout, "", "{context}: stdout");
                    let want = w.expand(expected);
                    match want.split_once("{reason}") {
                        None => assert_eq!(run.stderr, format!("{want}\n"), "{context}: stderr"),
                        Some((head, tail)) => {
                            let line = run.stderr.strip_suffix('\n').unwrap_or_else(|| {
                                panic!("{context}: stderr not one line: {:?}", run.stderr)
                            });
                            assert!(
                                !line.contains('\n'),
                                "{context}: stderr not one line: {line:?}"
                            );
                            let reason = line
                                .strip_prefix(head)
                                .and_then(|r| r.strip_suffix(tail))
                                .unwrap_or_else(|| {
                                    panic!("{context}: stderr {line:?} is not {want:?}")
                                });
                            assert!(!reason.trim().is_empty(), "{context}: empty reason");
                        }
                    }
                    assert!(
                        before == w.snapshot_work(),
                        "{context}: the working directory changed"
                    );
                    if *output == Some("new-list") {
                        assert!(!w.work.path().join("new-list").exists());
                    }
                    Failure {
                        requests: w.requests(),
                        elapsed,
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

/// The targets of each variant's requests.
fn tries(failures: &[Failure]) -> Vec<Vec<String>> {
    failures
        .iter()
        .map(|f| f.requests.iter().map(|r| r.target.clone()).collect())
        .collect()
}

/// Every variant sent `target` exactly `n` times and nothing else.
fn assert_tries(failures: &[Failure], target: &str, n: usize) {
    for t in tries(failures) {
        assert_eq!(t, vec![target.to_owned(); n]);
    }
}

/// Like [`assert_tries`], after one successful `view=names` request.
fn assert_tries_after_names(failures: &[Failure], target: &str, n: usize) {
    for t in tries(failures) {
        let mut want = vec![NAMES.to_owned()];
        want.extend(vec![target.to_owned(); n]);
        assert_eq!(t, want);
    }
}

/// A world whose fake has `fault` on `target`.
fn faulty(target: &'static str, fault: Fault) -> impl Fn() -> World + Sync {
    move || {
        let w = World::new();
        w.obs.fault(target, fault.clone());
        w
    }
}

// ---------------------------------------------------------------- include

#[test]
fn include_prints_the_repository_minus_the_excluded_names_in_a_block() {
    let w = World::new();
    let out = w.ok(INCLUDE);
    insta::assert_snapshot!(out, @r"
    # List of packages to include (use Python regex, matched at the start of
    # the package name). Lines outside the venvjail section are yours;
    # venvjail regenerates the section from the repository.

    # SECTION venvjail
    libffi8$
    libpython3_11-1_0$
    libsodium23$
    libyaml-0-2$
    libzmq5$
    python311$
    python311-Jinja2$
    python311-MarkupSafe$
    python311-PyYAML$
    python311-base$
    python311-msgpack$
    python311-pyzmq$
    python311-pyzmq-devel$
    python311-salt$
    python311-typing_extensions$
    python311-zope\.interface$
    salt$
    salt-bash-completion$
    salt-minion$
    venv-salt-minion$
    zeromq-devel$
    # /SECTION
    ");
    assert_eq!(w.targets(), [NAMES]);
}

#[test]
fn include_all_ignores_the_exclude_list() {
    let w = World::new();
    let filtered = w.ok(INCLUDE);
    let mut args = INCLUDE.to_vec();
    args.push("--all");
    let all = w.ok(&args);
    let extra: Vec<&str> = all.lines().filter(|l| !filtered.contains(l)).collect();
    assert_eq!(
        extra,
        [
            r"libffi8-debuginfo$",
            r"libzmq5-debuginfo$",
            r"python-MarkupSafe-debugsource$",
            r"python311-MarkupSafe-debuginfo$",
            r"python311-devel$",
        ]
    );
    assert!(filtered.lines().all(|l| all.contains(l)));
}

#[test]
fn include_sends_accept_user_agent_basic_auth_and_a_raw_colon() {
    let w = World::new();
    w.ok(INCLUDE);
    let reqs = w.requests();
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    assert_eq!(r.method, "GET");
    // ':' is sent as it is, not as %3A (the fake records the target verbatim).
    assert_eq!(r.target, NAMES);
    assert_eq!(r.header("accept"), Some("application/xml"));
    assert_eq!(
        r.header("user-agent").map(str::to_owned),
        Some(format!("venvjail/{VERSION}"))
    );
    assert_eq!(
        r.header("authorization").map(str::to_owned),
        Some(basic_auth("alice", "opensuse"))
    );
}

#[test]
fn include_output_replaces_only_the_block_of_an_existing_file() {
    let w = World::new();
    w.work.write("include-rpm", USER_INCLUDE_RPM);
    let mut args = INCLUDE.to_vec();
    args.extend(["-o", "include-rpm"]);
    assert_eq!(w.ok(&args), "");
    let text = String::from_utf8(w.work.read("include-rpm")).unwrap();
    insta::assert_snapshot!(text, @r"
    # my own header
    my-private-package$
    # SECTION venvjail
    libffi8$
    libpython3_11-1_0$
    libsodium23$
    libyaml-0-2$
    libzmq5$
    python311$
    python311-Jinja2$
    python311-MarkupSafe$
    python311-PyYAML$
    python311-base$
    python311-msgpack$
    python311-pyzmq$
    python311-pyzmq-devel$
    python311-salt$
    python311-typing_extensions$
    python311-zope\.interface$
    salt$
    salt-bash-completion$
    salt-minion$
    venv-salt-minion$
    zeromq-devel$
    # /SECTION
    # trailing user line
    python311-extra$
    ");
    // A second run changes nothing.
    assert_eq!(w.ok(&args), "");
    assert_eq!(String::from_utf8(w.work.read("include-rpm")).unwrap(), text);
}

#[test]
fn include_output_creates_a_missing_file_with_what_stdout_gets() {
    let w = World::new();
    let printed = w.ok(INCLUDE);
    let mut args = INCLUDE.to_vec();
    args.extend(["-o", "new-include-rpm"]);
    assert_eq!(w.ok(&args), "");
    assert_eq!(
        String::from_utf8(w.work.read("new-include-rpm")).unwrap(),
        printed
    );
    assert!(printed.starts_with("# List of packages to include"));
}

#[test]
fn include_output_without_a_block_appends_one_and_says_so() {
    let w = World::new();
    w.work.write("include-rpm", "my-private-package$\n");
    let mut args = INCLUDE.to_vec();
    args.extend(["-o", "include-rpm"]);
    let run = w.run(&args);
    assert_eq!(run.code, 0);
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        "include-rpm: no '# SECTION venvjail' section: appended one at the end\n"
    );
    let text = String::from_utf8(w.work.read("include-rpm")).unwrap();
    assert!(text.starts_with("my-private-package$\n# SECTION venvjail\nlibffi8$\n"));
    assert!(text.ends_with("zeromq-devel$\n# /SECTION\n"));
}

// ----------------------------------------------------------------- binary

#[test]
fn binary_rpm_skips_sources_logs_and_excluded_names() {
    let w = World::new();
    assert_eq!(w.ok(BINARY), "python311-MarkupSafe\n");
    let mut all = BINARY.to_vec();
    all.push("--all");
    assert_eq!(
        w.ok(&all),
        "python-MarkupSafe-debugsource\npython311-MarkupSafe\npython311-MarkupSafe-debuginfo\n"
    );
    assert_eq!(w.targets(), [MARKUPSAFE, MARKUPSAFE]);
}

#[test]
fn binary_deb_takes_the_names_of_the_debs_only() {
    let w = World::new();
    let args = [
        "binary",
        "salt",
        "-A",
        "{url}",
        "-p",
        PROJECT,
        "-r",
        "Debian_12",
    ];
    assert_eq!(w.ok(&args), "salt-minion\n");
    let mut all = args.to_vec();
    all.push("--all");
    assert_eq!(w.ok(&all), "salt-common\nsalt-minion\n");
    assert_eq!(
        w.targets(),
        ["/build/systemsmanagement:saltstack:bundle/Debian_12/x86_64/salt"; 2]
    );
}

#[test]
fn binary_of_a_multibuild_flavour_keeps_its_colon_raw() {
    let w = World::new();
    let args = [
        "binary",
        "salt:testsuite",
        "-A",
        "{url}",
        "-p",
        PROJECT,
        "-r",
        "SLE_15",
    ];
    assert_eq!(w.ok(&args), "python311-salt-testsuite\n");
    assert_eq!(
        w.targets(),
        ["/build/systemsmanagement:saltstack:bundle/SLE_15/x86_64/salt:testsuite"]
    );
}

#[test]
fn binary_output_writes_escaped_names_into_a_new_file() {
    let w = World::new();
    let mut args = BINARY.to_vec();
    args.extend(["--all", "-o", "binaries"]);
    assert_eq!(w.ok(&args), "");
    assert_eq!(
        String::from_utf8(w.work.read("binaries")).unwrap(),
        "# SECTION venvjail\npython-MarkupSafe-debugsource$\npython311-MarkupSafe$\npython311-MarkupSafe-debuginfo$\n# /SECTION\n"
    );
}

// --------------------------------------------------------------- requires

/// `requires salt` from the built headers: python311-salt is salt's only
/// binary the lists put into the venv; what it needs that the venv (every
/// python311-* and the three libraries) does not provide.
#[test]
fn requires_reads_the_built_headers() {
    let w = World::new();
    let run = w.run(REQUIRES);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "(python311-pycryptodomex >= 3.9.7 or python311-M2Crypto)\npython(abi) = 3.11\npython311-Jinja2 >= 1:3.0\npython311-msgpack >= 2.0\npython311-requests >= 1.0.0\n"
    );
    assert_eq!(
        run.stderr,
        "venvjail: warning: python311-salt requires python311-Jinja2 >= 1:3.0 but the venv has python311-Jinja2 3.1.2-150400.1.1: the repository is inconsistent (the line stays in the block)\n\
         venvjail: warning: python311-salt requires python311-msgpack >= 2.0 but the venv has python311-msgpack 1.0.5-1.1: the repository is inconsistent (the line stays in the block)\n"
    );
    let targets = w.targets();
    assert_eq!(targets[0], NAMES);
    assert_eq!(targets[1], PKG_HEADERS);
    assert!(targets[2].starts_with(&format!("{REPO}?view=cpioheaders&binary=libffi8&")));
    assert_eq!(targets.len(), 3, "{targets:?}");
    assert_eq!(
        w.requests()[0].header("accept"),
        Some("application/xml"),
        "every request asks for XML"
    );
}

#[test]
fn requires_with_a_local_spec_needs_no_obs_and_no_credentials() {
    let w = World::bare();
    let spec = crate::util::repo_root().join("tests/fixtures/obs-api-extra/venv-salt-minion.spec");
    let spec = path_str(&spec);
    let args = [
        "requires",
        "venv-salt-minion",
        "-A",
        "{url}",
        "-p",
        PROJECT,
        "--spec",
        &spec,
    ];
    let run = w.run(&args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "bash-completion\ncoreutils\nlibyaml-0-2\nopenssl >= 1.1.1\nshadow\nsystemd\nvenv-salt-minion = 3006.0-0\nzeromq >= 4.1\n");
    assert_eq!(
        run.stderr,
        format!("venvjail: {spec}: the Requires as the spec's text says them, an approximation: the built RPM headers (without --spec) are what rpm resolves\n")
    );
    assert!(w.requests().is_empty());
    let mut defined = args.to_vec();
    defined.extend(["--define", "suse_version 1500"]);
    assert_eq!(w.run(&defined).stdout, "bash-completion\ncoreutils\nlibyaml-0-2\nopenssl >= 1.1.1\nshadow\nsystemd\nvenv-salt-minion = 3006.0-0\n");
    assert!(w.requests().is_empty());
}

// ------------------------------------------------------------ credentials

/// Runs `binary` in `w` and checks that the fake saw `user:password`.
fn assert_authenticates(w: &World, args: &[&str], user: &str, password: &str) {
    assert_eq!(w.ok(args), "python311-MarkupSafe\n");
    let reqs = w.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(
        reqs[0].header("authorization").map(str::to_owned),
        Some(basic_auth(user, password))
    );
}

#[test]
fn credentials_plain_pass() {
    let w = World::new();
    assert_authenticates(&w, BINARY, "alice", "opensuse");
}

#[test]
fn credentials_obfuscated_pass() {
    let w = World::bare();
    w.home_file(".config/osc/oscrc", &w.oscrc("oscrc-obfuscated"));
    assert_authenticates(&w, BINARY, "alice", "opensuse");
}

#[test]
fn credentials_passx() {
    let w = World::bare();
    w.home_file(".config/osc/oscrc", &w.oscrc("oscrc-passx"));
    assert_authenticates(&w, BINARY, "alice", "opensuse");
}

#[test]
fn credentials_from_osc_username_and_osc_password_without_oscrc() {
    let mut w = World::bare();
    w.obs.user("bob", "b0b-s3cret");
    w.set("OSC_USERNAME", "bob");
    w.set("OSC_PASSWORD", "b0b-s3cret");
    assert_authenticates(&w, BINARY, "bob", "b0b-s3cret");
}

#[test]
fn credentials_from_the_environment_win_over_oscrc() {
    let mut w = World::bare();
    w.home_file(
        ".config/osc/oscrc",
        &w.oscrc("oscrc-plain")
            .replace("pass = opensuse", "pass = wrong"),
    );
    w.obs.user("bob", "b0b-s3cret");
    w.set("OSC_USERNAME", "bob");
    w.set("OSC_PASSWORD", "b0b-s3cret");
    assert_authenticates(&w, BINARY, "bob", "b0b-s3cret");
}

#[test]
fn credentials_of_an_alias_given_with_dash_a() {
    let w = World::bare();
    // [general] apiurl = obs still names api.opensuse.org; `-A local` wins.
    let rc = fixture("oscrc-aliases").replace("http://obs.example.com", &w.obs.url());
    w.home_file(".config/osc/oscrc", &rc);
    w.obs.user("admin", "opensuse");
    let mut args = BINARY.to_vec();
    args[3] = "local";
    assert_authenticates(&w, &args, "admin", "opensuse");
}

#[test]
fn credentials_of_an_alias_named_by_general_apiurl() {
    let w = World::bare();
    w.home_file(".config/osc/oscrc", &w.oscrc("oscrc-aliases"));
    let args = ["binary", "python-MarkupSafe", "-p", PROJECT, "-r", "SLE_15"];
    assert_authenticates(&w, &args, "alice", "opensuse");
}

#[test]
fn credentials_of_a_keyring_manager_need_the_environment() {
    let make = || {
        let w = World::bare();
        let url = w.obs.url();
        w.home_file(
            ".config/osc/oscrc",
            &format!("[general]\napiurl = {url}\n\n[{url}]\nuser = alice\ncredentials_mgr_class = {KEYRING}\n"),
        );
        w
    };
    let failures = assert_fails(
        make,
        INCLUDE,
        &format!("venvjail: the password for alice at {{url}} is kept by {KEYRING}, which venvjail cannot read: set OSC_USERNAME and OSC_PASSWORD"),
    );
    assert_tries(&failures, NAMES, 0);

    let mut w = make();
    w.set("OSC_USERNAME", "alice");
    w.set("OSC_PASSWORD", "opensuse");
    assert_authenticates(&w, BINARY, "alice", "opensuse");
}

#[test]
fn credentials_missing_is_an_error_before_any_request() {
    let failures = assert_fails(
        World::bare,
        INCLUDE,
        "venvjail: no credentials for {url}: add a [{url}] section with user and pass to ~/.config/osc/oscrc, or set OSC_USERNAME and OSC_PASSWORD",
    );
    assert_tries(&failures, NAMES, 0);
}

#[test]
fn oscrc_locations_in_the_order_osc_reads_them() {
    let wrong = |w: &World| {
        w.oscrc("oscrc-plain")
            .replace("pass = opensuse", "pass = wrong")
    };
    let message = |w: &World, file: &str| {
        w.expand(&format!(
            "venvjail: authentication failed for alice at {{url}} (HTTP 401): check the credentials in {file}\n"
        ))
    };

    // OSC_CONFIG first, even when the others exist; shown with ~ under HOME.
    let mut w = World::new();
    w.home_file("elsewhere/oscrc", &wrong(&w));
    w.set(
        "OSC_CONFIG",
        path_str(&w.home.path().join("elsewhere/oscrc")),
    );
    w.home_file(".oscrc", &w.oscrc("oscrc-plain"));
    assert_eq!(w.run(INCLUDE).stderr, message(&w, "~/elsewhere/oscrc"));

    // OSC_CONFIG outside HOME: the full path.
    let outside = Dir::new();
    let outside_rc = outside.write("oscrc", wrong(&w));
    w.set("OSC_CONFIG", path_str(&outside_rc));
    assert_eq!(
        w.run(INCLUDE).stderr,
        message(&w, &outside_rc.display().to_string())
    );

    // $XDG_CONFIG_HOME/osc/oscrc before ~/.oscrc.
    let mut w = World::bare();
    w.home_file("xdg/osc/oscrc", &wrong(&w));
    w.home_file(".oscrc", &w.oscrc("oscrc-plain"));
    w.set("XDG_CONFIG_HOME", path_str(&w.home.path().join("xdg")));
    assert_eq!(w.run(INCLUDE).stderr, message(&w, "~/xdg/osc/oscrc"));

    // Without XDG_CONFIG_HOME: ~/.config/osc/oscrc.
    w.unset("XDG_CONFIG_HOME");
    w.home_file(".config/osc/oscrc", &wrong(&w));
    assert_eq!(w.run(INCLUDE).stderr, message(&w, "~/.config/osc/oscrc"));

    // Neither: ~/.oscrc.
    let mut w = World::bare();
    w.unset("XDG_CONFIG_HOME");
    w.home_file(".oscrc", &wrong(&w));
    assert_eq!(w.run(INCLUDE).stderr, message(&w, "~/.oscrc"));
}

// ----------------------------------------------------------------- faults

#[test]
fn fault_500_once_is_retried_and_succeeds() {
    let clean = World::new().ok(INCLUDE);
    let w = World::new();
    w.obs.fault(NAMES, Fault::FailTimes(500, 1));
    let started = Instant::now();
    assert_eq!(w.ok(INCLUDE), clean);
    assert!(started.elapsed() >= Duration::from_millis(450), "backoff");
    assert_eq!(w.targets(), [NAMES, NAMES]);

    let w = World::new();
    w.obs.fault(MARKUPSAFE, Fault::FailTimes(500, 1));
    assert_eq!(w.ok(BINARY), "python311-MarkupSafe\n");
    assert_eq!(w.targets(), [MARKUPSAFE, MARKUPSAFE]);
}

#[test]
fn fault_503_always_is_an_error_after_three_tries() {
    let failures = assert_fails(
        faulty(NAMES, Fault::Always(503, None)),
        INCLUDE,
        &format!("venvjail: OBS answered HTTP 503 for GET {REPO}: <html> <head><title>503 Service Unavailable</title></head> <body> <h1>503 Service Unavailable</h1> <p>The server encount…"),
    );
    assert_tries(&failures, NAMES, 3);
    for f in &failures {
        // 0.5 s then 1 s between the tries.
        assert!(f.elapsed >= Duration::from_millis(1450), "{:?}", f.elapsed);
    }
}

#[test]
fn fault_503_always_on_requires() {
    let failures = assert_fails(
        faulty(PKG_HEADERS, Fault::Always(503, None)),
        REQUIRES,
        &format!("venvjail: OBS answered HTTP 503 for GET {}: <html> <head><title>503 Service Unavailable</title></head> <body> <h1>503 Service Unavailable</h1> <p>The server encount…", PKG_HEADERS),
    );
    assert_tries_after_names(&failures, PKG_HEADERS, 3);
}

#[test]
fn fault_hang_past_the_timeout() {
    let mut args = vec!["--timeout", "1"];
    args.extend(INCLUDE);
    let failures = assert_fails(
        faulty(NAMES, Fault::Hang(Duration::from_secs(3))),
        &args,
        &format!("venvjail: OBS did not answer within 1 s: GET {REPO}"),
    );
    assert_tries(&failures, NAMES, 3);
    for f in &failures {
        // Three 1 s timeouts and 1.5 s of backoff.
        assert!(f.elapsed >= Duration::from_millis(4400), "{:?}", f.elapsed);
    }
}

#[test]
fn fault_html_401_is_an_authentication_error_without_retries() {
    let failures = assert_fails(
        faulty(NAMES, Fault::Html401),
        INCLUDE,
        "venvjail: authentication failed for alice at {url} (HTTP 401): check the credentials in ~/.config/osc/oscrc",
    );
    assert_tries(&failures, NAMES, 1);
}

#[test]
fn fault_wrong_password_from_oscrc_and_from_the_environment() {
    let make = || {
        let w = World::bare();
        w.home_file(
            ".config/osc/oscrc",
            &w.oscrc("oscrc-plain")
                .replace("pass = opensuse", "pass = wrong"),
        );
        w
    };
    let failures = assert_fails(
        make,
        BINARY,
        "venvjail: authentication failed for alice at {url} (HTTP 401): check the credentials in ~/.config/osc/oscrc",
    );
    assert_tries(&failures, MARKUPSAFE, 1);

    let make_env = || {
        let mut w = World::bare();
        w.set("OSC_USERNAME", "alice");
        w.set("OSC_PASSWORD", "wrong");
        w
    };
    let failures = assert_fails(
        make_env,
        REQUIRES,
        "venvjail: authentication failed for alice at {url} (HTTP 401): check OSC_USERNAME and OSC_PASSWORD",
    );
    assert_tries(&failures, NAMES, 1);
}

#[test]
fn fault_truncated_xml() {
    let failures = assert_fails(
        faulty(NAMES, Fault::TruncatedXml),
        INCLUDE,
        &format!("venvjail: OBS returned malformed XML for GET {REPO}: <binarylist> <binary filename=\"libffi8.rpm\" size=\"38412\" mtime=\"1697775741\" /> <binary filename=\"libffi8-debuginfo.r…"),
    );
    assert_tries(&failures, NAMES, 1);

    let failures = assert_fails(
        faulty(MARKUPSAFE, Fault::TruncatedXml),
        BINARY,
        &format!("venvjail: OBS returned malformed XML for GET {MARKUPSAFE}: <binarylist> <binary filename=\"_buildenv\" size=\"18466\" mtime=\"1696768296\" /> <binary filename=\"_statistics\" size=\"78…"),
    );
    assert_tries(&failures, MARKUPSAFE, 1);
}

#[test]
fn fault_not_xml_200() {
    let failures = assert_fails(
        faulty(NAMES, Fault::NotXml),
        INCLUDE,
        &format!("venvjail: OBS returned malformed XML for GET {REPO}: <!DOCTYPE html> <html lang=\"en\"> <head> <title>Open Build Service - Scheduled maintenance</title> </head> <body> <h1>Sch…"),
    );
    assert_tries(&failures, NAMES, 1);
}

#[test]
fn fault_404_with_a_word_code_unknown_project() {
    const TARGET: &str = "/build/home:nobody:nothing/SLE_15/x86_64/_repository?view=names";
    let make = || {
        let w = World::new();
        w.obs.route_fixture(TARGET, "status-unknown-project.xml");
        w
    };
    let args = [
        "include",
        "-A",
        "{url}",
        "-p",
        "home:nobody:nothing",
        "-r",
        "SLE_15",
    ];
    let failures = assert_fails(
        make,
        &args,
        "venvjail: OBS error unknown_project: Project not found: home:nobody:nothing (HTTP 404, GET /build/home:nobody:nothing/SLE_15/x86_64/_repository)",
    );
    assert_tries(&failures, TARGET, 1);
}

#[test]
fn fault_404_with_a_numeric_code_no_repository() {
    const TARGET: &str =
        "/build/systemsmanagement:saltstack:bundle/SLE_12_SP5/x86_64/_repository?view=names";
    let make = || {
        let w = World::new();
        w.obs.route_fixture(TARGET, "status-no-repository.xml");
        w
    };
    let args = ["include", "-A", "{url}", "-p", PROJECT, "-r", "SLE_12_SP5"];
    let failures = assert_fails(
        make,
        &args,
        "venvjail: OBS error 404: project 'systemsmanagement:saltstack:bundle' has no repository 'SLE_12_SP5' (HTTP 404, GET /build/systemsmanagement:saltstack:bundle/SLE_12_SP5/x86_64/_repository)",
    );
    assert_tries(&failures, TARGET, 1);
}

#[test]
fn fault_404_on_binary_and_requires() {
    let args = [
        "binary",
        "nosuchpackage",
        "-A",
        "{url}",
        "-p",
        PROJECT,
        "-r",
        "SLE_15",
    ];
    let failures = assert_fails(
        World::new,
        &args,
        "venvjail: OBS error unknown_package: Package not found: systemsmanagement:saltstack:bundle/nosuchpackage (HTTP 404, GET /build/systemsmanagement:saltstack:bundle/SLE_15/x86_64/nosuchpackage)",
    );
    assert_tries(
        &failures,
        "/build/systemsmanagement:saltstack:bundle/SLE_15/x86_64/nosuchpackage",
        1,
    );

    let args = [
        "requires",
        "nosuchpackage",
        "-A",
        "{url}",
        "-p",
        PROJECT,
        "-r",
        "SLE_15",
    ];
    let target =
        "/build/systemsmanagement:saltstack:bundle/SLE_15/x86_64/nosuchpackage?view=cpioheaders";
    let failures = assert_fails(
        || {
            let w = World::new();
            w.obs.route_fixture(target, "status-unknown-package.xml");
            w
        },
        &args,
        "venvjail: OBS error unknown_package: Package not found: systemsmanagement:saltstack:bundle/nosuchpackage (HTTP 404, GET /build/systemsmanagement:saltstack:bundle/SLE_15/x86_64/nosuchpackage?view=cpioheaders)",
    );
    assert_tries_after_names(&failures, target, 1);
}

#[test]
fn fault_connection_refused() {
    let make = || {
        let mut w = World::new();
        // A port that nothing listens on any more.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("address").port();
        drop(listener);
        w.api = format!("http://127.0.0.1:{port}");
        w.home_file(
            ".config/osc/oscrc",
            &format!("[{}]\nuser = alice\npass = opensuse\n", w.api),
        );
        w
    };
    let failures = assert_fails(
        make,
        INCLUDE,
        &format!("venvjail: cannot reach OBS at {{url}}: {{reason}} (GET {REPO})"),
    );
    assert_tries(&failures, NAMES, 0);
}

#[test]
fn fault_answer_cut_short_is_retried_then_an_error() {
    let failures = assert_fails(
        faulty(MARKUPSAFE, Fault::ShortRead),
        BINARY,
        &format!("venvjail: cannot reach OBS at {{url}}: the answer broke off: {{reason}} (GET {MARKUPSAFE})"),
    );
    assert_tries(&failures, MARKUPSAFE, 3);
}

// ------------------------------------------------------------ no leaks

#[test]
fn verbose_output_never_shows_the_password() {
    const RIGHT: &str = "Kq7-vZ9pL_right";
    const WRONG: &str = "Wr0ng-Pa55_guess";
    for (password, code) in [(RIGHT, 0), (WRONG, 2)] {
        for from_env in [false, true] {
            let mut w = World::bare();
            w.obs.user("alice", RIGHT);
            if from_env {
                w.set("OSC_USERNAME", "alice");
                w.set("OSC_PASSWORD", password);
            } else {
                w.home_file(
                    ".config/osc/oscrc",
                    &w.oscrc("oscrc-plain")
                        .replace("pass = opensuse", &format!("pass = {password}")),
                );
            }
            let forbidden = secrets("alice", password);
            for args in [INCLUDE, BINARY, REQUIRES] {
                let mut full = vec!["-vv"];
                full.extend(args);
                let run = w.run(&full);
                let context = format!("venvjail {full:?} (password from env: {from_env})");
                assert_eq!(run.code, code, "{context}: {}", run.stderr);
                assert!(
                    run.stderr.contains(&w.expand("venvjail: GET {url}/")),
                    "{context}: -vv logs the request: {}",
                    run.stderr
                );
                for secret in &forbidden {
                    assert!(
                        !run.stdout.contains(secret.as_str()),
                        "{context}: stdout shows {secret:?}"
                    );
                    assert!(
                        !run.stderr.contains(secret.as_str()),
                        "{context}: stderr shows {secret:?}: {}",
                        run.stderr
                    );
                }
            }
        }
    }
}

/// The password, `user:password`, and the base64 of both (unpadded, so a
/// prefix also counts).
fn secrets(user: &str, password: &str) -> Vec<String> {
    vec![
        password.to_owned(),
        format!("{user}:{password}"),
        base64_unpadded(format!("{user}:{password}").as_bytes()),
        base64_unpadded(password.as_bytes()),
        basic_auth(user, password),
    ]
}

fn base64_unpadded(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &b)| acc | u32::from(b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
        }
    }
    out
}

/// BUG: a password written into the API URL (`-A http://alice:PASSWORD@host`,
/// or the same in `OSC_APIURL` / `[general] apiurl`) is printed by `-v` in
/// the `GET` lines and in the error message's `at URL`; it should be shown
/// without its user info, like every other password.
#[test]

fn verbose_output_never_shows_a_password_in_the_api_url() {
    let mut w = World::bare();
    w.set("OSC_USERNAME", "alice");
    w.set("OSC_PASSWORD", "wrong");
    let url = w.obs.url().replace("http://", "http://alice:Url-Pa55word@");
    let run = w.run(&["-vv", "include", "-A", &url, "-p", PROJECT, "-r", "SLE_15"]);
    assert!(
        !run.stderr.contains("Url-Pa55word"),
        "stderr shows the password: {}",
        run.stderr
    );
}

#[test]
fn requires_of_a_multibuild_flavour_reads_the_flavours_headers() {
    let w = World::new();
    // A flavour's build results live under PKG:FLAVOR, the `:` kept raw in
    // the path as osc sends it. Serve the salt binaries there too.
    let salt: Vec<(String, Vec<u8>)> = crate::fake_repo::stack()
        .iter()
        .filter(|b| b.name == "python311-salt")
        .map(|b| {
            let file = b.path.file_name().unwrap().to_string_lossy().into_owned();
            (file, b.header.clone())
        })
        .collect();
    let flavour = format!("/build/{PROJECT}/SLE_15/x86_64/salt:testsuite");
    w.obs.cpio_headers(&flavour, salt);
    let mut args = REQUIRES.to_vec();
    args[1] = "salt:testsuite";
    let run = w.run(&args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "(python311-pycryptodomex >= 3.9.7 or python311-M2Crypto)\npython(abi) = 3.11\npython311-Jinja2 >= 1:3.0\npython311-msgpack >= 2.0\npython311-requests >= 1.0.0\n"
    );
    let targets = w.targets();
    assert_eq!(targets[1], format!("{flavour}?view=cpioheaders"));
}
