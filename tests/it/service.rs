//! `service`: online and offline runs against the fake OBS, idempotence,
//! `check=true`, faults and bad input (DESIGN §5).

use std::path::PathBuf;

use crate::fake_obs::{FakeObs, Fault, PROJECT};
use crate::util::{repo_root, Dir, Run, TestCommand};

const EXAMPLE_FILES: [&str; 4] = [
    "_service",
    "include-rpm",
    "exclude-rpm",
    "venv-salt-minion.spec",
];
pub(crate) const SNAPSHOT: &str = "venvjail.snapshot.xml";
const REPO_NAMES: &str =
    "/build/systemsmanagement:saltstack:bundle/SLE_15/x86_64/_repository?view=names";

/// Removes every `# SECTION venvjail…` … `# /SECTION` block: the package as
/// it was before venvjail managed it.
pub(crate) fn strip_generated(text: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for line in text.split_inclusive('\n') {
        if line.starts_with("# SECTION venvjail") {
            inside = true;
        } else if inside && line.starts_with("# /SECTION") {
            inside = false;
        } else if !inside {
            out.push_str(line);
        }
    }
    out
}

/// A package directory: the example as it was before venvjail managed it
/// (generated sections stripped, no snapshot), an oscrc for the fake, and an
/// empty outdir.
pub(crate) struct Package {
    pub(crate) dir: Dir,
    pub(crate) obs: FakeObs,
}

impl Package {
    pub(crate) fn new() -> Self {
        let dir = Dir::new();
        let example = repo_root().join("examples/venv-salt-minion");
        for f in EXAMPLE_FILES {
            let text = std::fs::read_to_string(example.join(f)).unwrap();
            dir.write(&format!("pkg/{f}"), strip_generated(&text));
        }
        let obs = FakeObs::start();
        crate::fake_repo::serve_stack(&obs);
        dir.write(
            "oscrc",
            format!(
                "[general]\napiurl = {url}\n\n[{url}]\nuser = alice\npass = opensuse\n",
                url = obs.url()
            ),
        );
        std::fs::create_dir(dir.path().join("out")).unwrap();
        Self { dir, obs }
    }

    pub(crate) fn pkg(&self) -> PathBuf {
        self.dir.path().join("pkg")
    }

    pub(crate) fn out(&self) -> PathBuf {
        self.dir.path().join("out")
    }

    /// `venvjail service ARGS --outdir OUT` in the package directory.
    pub(crate) fn service(&self, args: &[&str]) -> Run {
        let mut cmd = TestCommand::new();
        cmd.cwd(&self.pkg())
            .env("HOME", self.dir.path())
            .env("OSC_CONFIG", self.dir.path().join("oscrc"))
            .env_remove("OBS_SERVICE_DAEMON")
            .args(["--timeout", "1", "service"])
            .args(args)
            .arg("--outdir")
            .arg_path(&self.out());
        cmd.run()
    }

    pub(crate) fn outdir_files(&self) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(self.out())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    /// Moves the outdir's files into the package directory (what osc does).
    pub(crate) fn apply(&self) {
        for name in self.outdir_files() {
            std::fs::rename(self.out().join(&name), self.pkg().join(&name)).unwrap();
        }
    }

    pub(crate) fn read(&self, name: &str) -> String {
        String::from_utf8(std::fs::read(self.pkg().join(name)).unwrap()).unwrap()
    }
}

/// The snapshot as committed: the fake's URL replaced by api.opensuse.org.
fn committed_snapshot(text: &str, obs: &FakeObs) -> String {
    text.replace(&obs.url(), "https://api.opensuse.org")
}

#[test]
fn the_example_is_what_an_online_run_produces() {
    let p = Package::new();
    let run = p.service(&[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    p.apply();
    let example = repo_root().join("examples/venv-salt-minion");
    let mut produced: Vec<(String, String)> = EXAMPLE_FILES
        .iter()
        .map(|f| (f.to_string(), p.read(f)))
        .collect();
    produced.push((
        SNAPSHOT.into(),
        committed_snapshot(&p.read(SNAPSHOT), &p.obs),
    ));
    if std::env::var_os("VENVJAIL_BLESS_EXAMPLE").is_some() {
        for (name, text) in &produced {
            std::fs::write(example.join(name), text).unwrap();
        }
    }
    for (name, text) in &produced {
        let committed = std::fs::read_to_string(example.join(name)).unwrap_or_default();
        assert_eq!(
            &committed, text,
            "examples/venv-salt-minion/{name} differs from what the service produces (VENVJAIL_BLESS_EXAMPLE=1 updates it)"
        );
    }
}

#[test]
fn first_run_writes_second_run_writes_nothing() {
    let p = Package::new();
    let run = p.service(&[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        p.outdir_files(),
        [
            "include-rpm",
            "exclude-rpm",
            SNAPSHOT,
            "venv-salt-minion.spec"
        ]
        .iter()
        .map(|s| s.to_string())
        .collect::<Vec<_>>()
        .tap_sort()
    );
    let last = run.stdout.lines().last().unwrap();
    assert!(
        last.starts_with("venvjail: 4 files changed (include-rpm +"),
        "{last}"
    );
    assert!(run
        .stdout
        .contains("--- a/include-rpm\n+++ b/include-rpm\n"));
    p.apply();
    let run = p.service(&[]);
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (0, "venvjail: nothing to change\n")
    );
    assert!(p.outdir_files().is_empty());
}

trait TapSort {
    fn tap_sort(self) -> Self;
}

impl TapSort for Vec<String> {
    fn tap_sort(mut self) -> Self {
        self.sort();
        self
    }
}

#[test]
fn a_changed_repository_gives_exactly_the_expected_diff() {
    let p = Package::new();
    assert_eq!(p.service(&[]).code, 0);
    p.apply();
    let names = std::fs::read_to_string(repo_root().join("tests/fixtures/obs-api/binarylist-repository-names.xml"))
        .unwrap()
        .replace(
            "  <binary filename=\"python311-salt.rpm\"",
            "  <binary filename=\"python311-requests.rpm\" size=\"1\" mtime=\"1\" />\n  <binary filename=\"python311-salt.rpm\"",
        );
    p.obs.route(REPO_NAMES, 200, "text/xml", names);
    let run = p.service(&[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!(run.stdout.replace(&p.obs.url(), "URL"));
    assert_eq!(
        p.outdir_files(),
        ["include-rpm", "venv-salt-minion.spec", SNAPSHOT]
    );
}

#[test]
fn offline_run_from_the_snapshot_gives_the_same_files() {
    let online = Package::new();
    assert_eq!(online.service(&[]).code, 0);
    let offline = Package::new();
    std::fs::copy(online.out().join(SNAPSHOT), offline.pkg().join(SNAPSHOT)).unwrap();
    let run = offline.service(&["--offline", "true"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        offline.obs.requests().is_empty(),
        "an offline run sends no request"
    );
    for f in ["include-rpm", "exclude-rpm", "venv-salt-minion.spec"] {
        assert_eq!(
            std::fs::read(offline.out().join(f)).unwrap(),
            std::fs::read(online.out().join(f)).unwrap(),
            "{f}"
        );
    }
    assert!(
        !offline.out().join(SNAPSHOT).exists(),
        "offline runs never rewrite the snapshot"
    );
    // OBS's server-side runs set OBS_SERVICE_DAEMON=1: offline by default.
    let daemon = Package::new();
    std::fs::copy(online.out().join(SNAPSHOT), daemon.pkg().join(SNAPSHOT)).unwrap();
    let mut cmd = TestCommand::new();
    let run = cmd
        .cwd(&daemon.pkg())
        .env("HOME", daemon.dir.path())
        .env("OBS_SERVICE_DAEMON", "1")
        .args(["service", "--outdir"])
        .arg_path(&daemon.out())
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(daemon.obs.requests().is_empty());
}

#[test]
fn check_prints_the_diff_writes_nothing_and_exits_1() {
    let p = Package::new();
    let run = p.service(&["--check", "true"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stdout.contains("+++ b/venv-salt-minion.spec"));
    assert!(p.outdir_files().is_empty());
}

#[test]
fn called_the_way_osc_and_obs_call_it() {
    let p = Package::new();
    // osc passes every <param>, empty ones too; --outdir may come first.
    let mut cmd = TestCommand::new();
    let run = cmd
        .cwd(&p.pkg())
        .env("HOME", p.dir.path())
        .env("OSC_CONFIG", p.dir.path().join("oscrc"))
        .args(["service", "--outdir"])
        .arg_path(&p.out())
        .args([
            "--project",
            PROJECT,
            "--repository",
            "SLE_15",
            "--arch",
            "x86_64",
        ])
        .args([
            "--package",
            "salt",
            "--package",
            "",
            "--spec",
            "",
            "--check",
            "false",
        ])
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(p.outdir_files().len(), 4);
}

/// Every fault of the OBS client: exit 2, one stderr line, NOTHING in outdir.
#[test]
fn obs_errors_leave_the_outdir_empty() {
    let cases: Vec<(&str, Fault)> = vec![
        (REPO_NAMES, Fault::Always(503, None)),
        (REPO_NAMES, Fault::Html401),
        (REPO_NAMES, Fault::TruncatedXml),
        (REPO_NAMES, Fault::NotXml),
        (REPO_NAMES, Fault::ShortRead),
        (
            "/build/systemsmanagement:saltstack:bundle/SLE_15/x86_64/salt",
            Fault::TruncatedXml,
        ),
        (REPO_NAMES, Fault::Hang(std::time::Duration::from_secs(3))),
    ];
    std::thread::scope(|s| {
        for (target, fault) in cases {
            s.spawn(move || {
                let p = Package::new();
                p.obs.fault(target, fault.clone());
                let run = p.service(&[]);
                assert_eq!(run.code, 2, "{fault:?}: {}{}", run.stdout, run.stderr);
                assert_eq!(run.stderr.lines().count(), 1, "{fault:?}: {}", run.stderr);
                assert!(run.stderr.starts_with("venvjail: "), "{}", run.stderr);
                assert!(
                    p.outdir_files().is_empty(),
                    "{fault:?} wrote {:?}",
                    p.outdir_files()
                );
            });
        }
    });
}

#[test]
fn bad_input() {
    let p = Package::new();
    let run = p.service(&["--frobnicate", "x"]);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "venvjail: unexpected argument '--frobnicate' found\n"
    );

    let mut cmd = TestCommand::new();
    let run = cmd.cwd(&p.pkg()).args(["service"]).run();
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "venvjail: no --outdir: OBS and osc always pass one; give --outdir DIR\n"
    );

    p.dir.write("pkg/other.spec", "Name: other\n");
    let run = p.service(&["--offline", "true"]);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "venvjail: several specs (other.spec, venv-salt-minion.spec): give --spec\n"
    );
    std::fs::remove_file(p.pkg().join("other.spec")).unwrap();

    let run = p.service(&["--offline", "true"]);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "venvjail: no snapshot ./venvjail.snapshot.xml: run `osc service manualrun` (`osc service runall` with osc before 1.0) once, with network and credentials, to create it\n"
    );

    p.dir.write(
        &format!("pkg/{SNAPSHOT}"),
        "<venvjail-snapshot version=\"1\">\n  <repository>\n</oops>\n",
    );
    let run = p.service(&["--offline", "true"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .starts_with("venvjail: venvjail.snapshot.xml:3: invalid snapshot:"),
        "{}",
        run.stderr
    );

    let run = p.service(&["--offline", "maybe"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .starts_with("venvjail: invalid value 'maybe' for '--offline <BOOL>'"),
        "{}",
        run.stderr
    );
    assert!(p.outdir_files().is_empty());
}

#[test]
fn unknown_parameter_in_service_file() {
    let p = Package::new();
    p.dir.write(
        "pkg/_service",
        "<services><service name=\"venvjail\"><param name=\"colour\">red</param></service></services>",
    );
    let run = p.service(&[]);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "venvjail: _service: unknown venvjail parameter 'colour'\n"
    );
}

/// `define` only served reading the bundled specs, which are no longer
/// fetched: the parameter is gone from the command line and `_service`.
#[test]
fn define_is_gone_and_no_spec_is_fetched() {
    let p = Package::new();
    let run = p.service(&[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let sources: Vec<String> = p
        .obs
        .requests()
        .into_iter()
        .map(|r| r.target)
        .filter(|t| t.starts_with("/source/"))
        .collect();
    assert!(sources.is_empty(), "specs fetched: {sources:?}");
    let run = p.service(&["--define", "suse_version 1600"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("unexpected argument '--define'"),
        "{}",
        run.stderr
    );
    let service = std::fs::read_to_string(p.pkg().join("_service")).unwrap();
    p.dir.write(
        "pkg/_service",
        service.replace(
            "<param name=\"package\">salt</param>",
            "<param name=\"package\">salt</param>\n    <param name=\"define\">suse_version 1600</param>",
        ),
    );
    let run = p.service(&[]);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "venvjail: _service: the venvjail parameter 'define' is gone: the Requires block comes from the built RPM headers now, which need no macros; remove it\n"
    );
}

/// An unreadable snapshot is an error naming it, not a missing one that an
/// online run would silently replace.
#[test]
fn unreadable_snapshot_is_an_error_not_absent() {
    let p = Package::new();
    std::fs::create_dir(p.pkg().join(SNAPSHOT)).unwrap();
    let run = p.service(&[]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert_eq!(
        run.stderr,
        "venvjail: cannot read ./venvjail.snapshot.xml: is a directory\n"
    );
    assert!(p.outdir_files().is_empty());
}

/// A `_multibuild` flavour as the service's `package`: its binaries come
/// from `/build/…/salt:testsuite` (the `:` raw), its spec is salt's.
#[test]
fn a_multibuild_flavour_is_a_package_name() {
    let p = Package::new();
    let run = p.service(&[
        "--project",
        PROJECT,
        "--repository",
        "SLE_15",
        "--package",
        "salt:testsuite",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let targets: Vec<String> = p.obs.requests().into_iter().map(|r| r.target).collect();
    let flavour = format!("/build/{PROJECT}/SLE_15/x86_64/salt:testsuite");
    assert!(targets.contains(&flavour), "{targets:?}");
    assert!(
        !targets.iter().any(|t| t.starts_with("/source/")),
        "no spec is fetched: {targets:?}"
    );
    let snapshot = std::fs::read_to_string(p.out().join(SNAPSHOT)).unwrap();
    assert!(
        snapshot.contains("name=\"salt:testsuite\""),
        "the snapshot names the flavour: {snapshot}"
    );
}
