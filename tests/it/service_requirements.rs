//! The service's `requirements`, `flavour` and `provides` parameters: the
//! include list from a requirements file, the Provides block, versions in
//! the snapshot, offline runs, and the Provides block read back by
//! `spec deps` and by rpm itself (`rpmspec -q --provides`).

use std::path::PathBuf;

use crate::fake_obs::{FakeObs, PROJECT};
use crate::requirements::FACTORY;
use crate::rpmspec_oracle::{on_path, rpmspec, Rpm};
use crate::util::{repo_root, Dir, Run, TestCommand};

const SERVICE: &str = "\
<services>
  <service name=\"venvjail\" mode=\"manual\">
    <param name=\"project\">systemsmanagement:saltstack:bundle</param>
    <param name=\"repository\">openSUSE_Factory</param>
    <param name=\"requirements\">requirements.txt</param>
    <param name=\"provides\">true</param>
  </service>
</services>
";

const SPEC: &str = "\
Name:           venv-keystone-client
Version:        1.0
Release:        0
Summary:        OpenStack client libraries in a venv
License:        Apache-2.0
BuildRequires:  python311
BuildRequires:  venvjail
Requires:       python311-base
Provides:       keystone-client-bundle = %{version}

%description
Client libraries bundled in a relocatable venv.

%build
venvjail create %{buildroot}/usr/lib/venv-keystone-client

%files
/usr/lib/venv-keystone-client
";

const REQUIREMENTS: &str = "\
pbr!=2.1.0,>=2.0.0 # Apache-2.0
keystoneauth1>=3.4.0 # Apache-2.0
oslo.config>=6.1.0 # Apache-2.0
PyYAML>=7.0 # MIT
zope.interface
importlib-metadata>=1.7.0;python_version<'3.8' # Apache-2.0
-r extra-requirements.txt
";

const EXTRA: &str = "requests>=2.14.2\nnosuchthing\n";

const SPEC_AFTER: &str = "\
Name:           venv-keystone-client
Version:        1.0
Release:        0
Summary:        OpenStack client libraries in a venv
License:        Apache-2.0
BuildRequires:  python311
BuildRequires:  venvjail
# SECTION venvjail BuildRequires
BuildRequires:  python311-PyYAML
BuildRequires:  python311-keystoneauth1
BuildRequires:  python311-oslo.config
BuildRequires:  python311-pbr
BuildRequires:  python311-requests
BuildRequires:  python311-zope.interface
# /SECTION
Requires:       python311-base
# SECTION venvjail Requires
# /SECTION
Provides:       keystone-client-bundle = %{version}
# SECTION venvjail Provides
Provides:       bundled(python3dist(keystoneauth1)) = 5.6.0
Provides:       bundled(python3dist(oslo-config)) = 9.4.0
Provides:       bundled(python3dist(pbr)) = 6.0.0
Provides:       bundled(python3dist(pyyaml)) = 6.0.1
Provides:       bundled(python3dist(requests)) = 2.31.0
Provides:       bundled(python3dist(zope-interface)) = 6.3
# /SECTION

%description
Client libraries bundled in a relocatable venv.

%build
venvjail create %{buildroot}/usr/lib/venv-keystone-client

%files
/usr/lib/venv-keystone-client
";

/// A package directory using the new parameters, and a fake OBS serving
/// the repository they map to.
struct Package {
    dir: Dir,
    obs: FakeObs,
}

impl Package {
    fn new() -> Self {
        let dir = Dir::new();
        dir.write("pkg/_service", SERVICE);
        dir.write("pkg/venv-keystone-client.spec", SPEC);
        dir.write("pkg/requirements.txt", REQUIREMENTS);
        dir.write("pkg/extra-requirements.txt", EXTRA);
        let obs = FakeObs::start();
        obs.repository(PROJECT, "openSUSE_Factory", "x86_64", FACTORY);
        crate::fake_repo::serve_plain(&obs, PROJECT, "openSUSE_Factory", "x86_64", FACTORY);
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

    fn pkg(&self) -> PathBuf {
        self.dir.path().join("pkg")
    }

    fn out(&self) -> PathBuf {
        self.dir.path().join("out")
    }

    fn venvjail(&self, args: &[&str]) -> Run {
        TestCommand::new()
            .cwd(&self.pkg())
            .env("HOME", self.dir.path())
            .env("OSC_CONFIG", self.dir.path().join("oscrc"))
            .env_remove("OBS_SERVICE_DAEMON")
            .args(args)
            .run()
    }

    fn service(&self, args: &[&str]) -> Run {
        let out = self.out();
        let mut all = vec!["--timeout", "5", "service"];
        all.extend(args);
        all.extend(["--outdir", out.to_str().unwrap()]);
        self.venvjail(&all)
    }

    fn apply(&self) {
        for e in std::fs::read_dir(self.out()).unwrap() {
            let e = e.unwrap();
            std::fs::rename(e.path(), self.pkg().join(e.file_name())).unwrap();
        }
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.pkg().join(name)).unwrap()
    }
}

const WARNINGS: &str = "\
extra-requirements.txt:2: warning: 'nosuchthing' maps to no binary of the repository (looked for python311-nosuchthing and python3-nosuchthing in any spelling)
requirements.txt:4: warning: 'PyYAML>=7.0' is not met by python311-PyYAML 6.0.1
";

#[test]
fn requirements_and_provides_online_then_offline() {
    let p = Package::new();
    let run = p.service(&[]);
    assert_eq!((run.code, run.stderr.as_str()), (0, WARNINGS));
    assert_eq!(
        run.stdout.lines().last().unwrap(),
        "venvjail: 4 files changed (include-rpm +12 -0, exclude-rpm +25 -0, venv-keystone-client.spec +18 -0, venvjail.snapshot.xml +49 -0)"
    );
    p.apply();
    assert_eq!(p.read("venv-keystone-client.spec"), SPEC_AFTER);
    let include = p.read("include-rpm");
    assert!(
        include.ends_with("# SECTION venvjail\npython311-PyYAML$\npython311-keystoneauth1$\npython311-oslo\\.config$\npython311-pbr$\npython311-requests$\npython311-zope\\.interface$\n# /SECTION\n"),
        "{include}"
    );
    let snapshot = p.read("venvjail.snapshot.xml");
    assert!(
        snapshot
            .contains("    <binary name=\"python311-PyYAML\" evr=\"6.0.1-1.4\" arch=\"x86_64\">\n"),
        "{snapshot}"
    );
    assert!(snapshot.contains("    <binary name=\"salt\" evr=\"3006.0-150500.6.2\"/>\n"));
    let targets: Vec<String> = p.obs.requests().into_iter().map(|r| r.target).collect();
    assert_eq!(
        targets,
        [
            "/build/systemsmanagement:saltstack:bundle/openSUSE_Factory/x86_64/_repository?view=names",
            "/build/systemsmanagement:saltstack:bundle/openSUSE_Factory/x86_64/_repository?view=binaryversions&withevr=1",
            "/build/systemsmanagement:saltstack:bundle/openSUSE_Factory/x86_64/_repository?view=cpioheaders&binary=python311-PyYAML&binary=python311-keystoneauth1&binary=python311-oslo.config&binary=python311-pbr&binary=python311-requests&binary=python311-zope.interface",
        ]
    );
    // Online again: nothing changes.
    let run = p.service(&[]);
    assert_eq!(
        (run.code, run.stdout.as_str(), run.stderr.as_str()),
        (0, "venvjail: nothing to change\n", WARNINGS)
    );
    // Offline from the snapshot: the same, without a request.
    let before = p.obs.requests().len();
    let run = p.service(&["--offline", "true"]);
    assert_eq!(
        (run.code, run.stdout.as_str(), run.stderr.as_str()),
        (0, "venvjail: nothing to change\n", WARNINGS)
    );
    assert_eq!(p.obs.requests().len(), before);
    // lint agrees with what the service wrote.
    let run = p.venvjail(&["lint"]);
    assert_eq!((run.code, run.stdout.as_str()), (0, ""), "{}", run.stderr);
}

#[test]
fn provides_without_versions_in_the_snapshot_is_an_error_saying_to_refresh() {
    let p = Package::new();
    let old = std::fs::read_to_string(
        repo_root().join("examples/venv-salt-minion/venvjail.snapshot.xml"),
    )
    .unwrap();
    std::fs::write(p.pkg().join("venvjail.snapshot.xml"), old).unwrap();
    let run = p.service(&["--offline", "true"]);
    assert_eq!(
        (run.code, run.stdout.as_str(), run.stderr.as_str()),
        (
            2,
            "",
            "venvjail: venvjail.snapshot.xml: the snapshot holds no versions, which provides=true needs: run the service online once to refresh it (osc service manualrun; runall with osc before 1.0)\n"
        )
    );
    assert_eq!(std::fs::read_dir(p.out()).unwrap().count(), 0);
}

#[test]
fn without_the_new_parameters_no_versions_are_fetched() {
    let p = Package::new();
    p.dir.write(
        "pkg/_service",
        SERVICE
            .replace(
                "    <param name=\"requirements\">requirements.txt</param>\n",
                "",
            )
            .replace("    <param name=\"provides\">true</param>\n", ""),
    );
    let run = p.service(&[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let targets: Vec<String> = p.obs.requests().into_iter().map(|r| r.target).collect();
    let repo = "/build/systemsmanagement:saltstack:bundle/openSUSE_Factory/x86_64/_repository";
    assert_eq!(targets[0], format!("{repo}?view=names"));
    assert_eq!(targets.len(), 2, "{targets:?}");
    assert!(
        targets[1].starts_with(&format!("{repo}?view=cpioheaders&binary=")),
        "{targets:?}"
    );
    let snapshot = std::fs::read_to_string(p.out().join("venvjail.snapshot.xml")).unwrap();
    // Excluded binaries stay bare: no versions were read.
    assert!(
        snapshot.contains("<binary name=\"python311-base\"/>"),
        "{snapshot}"
    );
}

#[test]
fn a_bad_requirements_line_fails_before_any_request() {
    let p = Package::new();
    p.dir
        .write("pkg/extra-requirements.txt", "requests>=2.14.2\nfoo bar\n");
    let run = p.service(&[]);
    assert_eq!(
        (run.code, run.stdout.as_str(), run.stderr.as_str()),
        (
            2,
            "",
            "venvjail: extra-requirements.txt:2:5: not a PEP 508 requirement: Expected one of `@`, `(`, `<`, `=`, `>`, `~`, `!`, `;`, found `b`\n"
        )
    );
    assert!(p.obs.requests().is_empty());
}

#[test]
fn lint_reports_a_bad_requirements_line_with_its_position() {
    let p = Package::new();
    p.dir
        .write("pkg/extra-requirements.txt", "requests>=2.14.2\nfoo bar\n");
    let run = p.venvjail(&["lint"]);
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (
            1,
            "extra-requirements.txt:2:5: error: not a PEP 508 requirement: Expected one of `@`, `(`, `<`, `=`, `>`, `~`, `!`, `;`, found `b` [requirements]\n"
        ),
        "{}",
        run.stderr
    );
}

/// The Provides block as `spec deps` and rpm read it.
#[test]
fn the_provides_block_round_trips_through_spec_deps_and_rpmspec() {
    let p = Package::new();
    p.dir.write("pkg/venv-keystone-client.spec", SPEC_AFTER);
    let run = p.venvjail(&["spec", "deps", "venv-keystone-client.spec"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let from_deps: Vec<String> = run
        .stdout
        .lines()
        .filter(|l| l.contains("] Provides: bundled("))
        .map(|l| l.split_once("Provides: ").unwrap().1.to_owned())
        .collect();
    let expected: Vec<String> = SPEC_AFTER
        .lines()
        .filter_map(|l| l.strip_prefix("Provides:       bundled("))
        .map(|l| format!("bundled({l}"))
        .collect();
    assert_eq!(expected.len(), 6);
    assert_eq!(from_deps, expected);
    // What spec deps read, written back by spec edit, changes nothing.
    let joined = from_deps.join(", ");
    let run = p.venvjail(&[
        "spec",
        "edit",
        "venv-keystone-client.spec",
        "--provides",
        &joined,
        "--check",
    ]);
    assert_eq!(
        (run.code, run.stdout.as_str(), run.stderr.as_str()),
        (0, "", "")
    );
    // ... and into a spec without the block, spec edit writes the same block.
    p.dir.write("pkg/venv-keystone-client.spec", SPEC);
    let run = p.venvjail(&[
        "spec",
        "edit",
        "venv-keystone-client.spec",
        "--provides",
        &joined,
    ]);
    assert_eq!(
        (run.code, run.stderr.as_str()),
        (
            0,
            "venv-keystone-client.spec: inserted '# SECTION venvjail Provides' after line 9 (the last unconditional Provides)\n"
        )
    );
    let block_of = |text: &str| {
        let start = text.find("# SECTION venvjail Provides").unwrap();
        let end = start + text[start..].find("# /SECTION\n").unwrap();
        text[start..end].to_owned()
    };
    assert_eq!(
        block_of(&p.read("venv-keystone-client.spec")),
        block_of(SPEC_AFTER)
    );
    p.dir.write("pkg/venv-keystone-client.spec", SPEC_AFTER);
    if !on_path("rpmspec") {
        assert!(
            std::env::var("VENVJAIL_REQUIRE_ORACLE").map_or(true, |v| v != "1"),
            "VENVJAIL_REQUIRE_ORACLE=1 but rpmspec is not on PATH"
        );
        println!("rpmspec not found: the rpm half is skipped");
        return;
    }
    let home = Dir::new();
    let from_rpm = match rpmspec(
        home.path(),
        &["-q", "--provides"],
        &p.pkg().join("venv-keystone-client.spec"),
    ) {
        Rpm::Ok(out) => out,
        Rpm::Failed(e) => panic!("rpmspec failed: {e}"),
        Rpm::TimedOut => panic!("rpmspec timed out"),
    };
    let bundled: Vec<String> = from_rpm
        .lines()
        .filter(|l| l.starts_with("bundled("))
        .map(str::to_owned)
        .collect();
    assert_eq!(bundled, expected);
    assert!(from_rpm
        .lines()
        .any(|l| l == "keystone-client-bundle = 1.0"));
}
