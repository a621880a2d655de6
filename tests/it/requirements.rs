//! `include --from-requirements` with requirements files written the way
//! OpenStack and Salt write theirs, against the fake OBS and offline from a
//! snapshot: exact include blocks, exact warnings, and the errors.

use crate::fake_obs::{FakeObs, PROJECT};
use crate::util::{repo_root, Dir, Run, TestCommand};

/// The repository the tests map to: `(name, evr, arch)`.
pub(crate) const FACTORY: &[(&str, &str, &str)] = &[
    ("libzmq5", "4.3.5-1.2", "x86_64"),
    ("python3-Jinja2", "2.10.1-150000.3.6", "noarch"),
    ("python3-contextvars", "2.4-150000.1.3", "noarch"),
    ("python311", "3.11.9-1.1", "x86_64"),
    ("python311-base", "3.11.9-1.1", "x86_64"),
    ("python311-devel", "3.11.9-1.1", "x86_64"),
    ("python311-Jinja2", "3.1.4-1.1", "noarch"),
    ("python311-LooseVersion", "1.3.0-1.1", "noarch"),
    ("python311-MarkupSafe", "2.1.5-1.3", "x86_64"),
    ("python311-MarkupSafe-debuginfo", "2.1.5-1.3", "x86_64"),
    ("python311-PyYAML", "6.0.1-1.4", "x86_64"),
    ("python311-distro", "1.9.0-1.1", "noarch"),
    ("python311-keystoneauth1", "5.6.0-1.1", "noarch"),
    ("python311-looseversion", "1.3.0-2.1", "noarch"),
    ("python311-msgpack", "1.0.8-1.2", "x86_64"),
    ("python311-oslo.config", "9.4.0-1.1", "noarch"),
    ("python311-oslo.i18n", "6.3.0-1.1", "noarch"),
    ("python311-packaging", "24.0-1.1", "noarch"),
    ("python311-pbr", "6.0.0-1.1", "noarch"),
    ("python311-psutil", "5.9.8-1.2", "x86_64"),
    ("python311-pycryptodomex", "3.20.0-1.1", "x86_64"),
    ("python311-pyzmq", "25.1.2-1.3", "x86_64"),
    ("python311-pyzmq-devel", "25.1.2-1.3", "x86_64"),
    ("python311-requests", "2.31.0-1.1", "noarch"),
    ("python311-six", "1.16.0-1.1", "noarch"),
    ("python311-tornado6", "6.4-1.1", "noarch"),
    ("python311-typing_extensions", "4.11.0-1.1", "noarch"),
    ("python311-urllib3", "2.2.1-1.1", "noarch"),
    ("python311-zope.interface", "6.3-1.1", "x86_64"),
    ("python36-six", "1.16.0-1.1", "noarch"),
    ("salt", "3006.0-150500.6.2", "x86_64"),
];

/// OpenStack's `requirements.txt` (oslo/keystone style): lower bounds with
/// licence comments, `!=` exclusions, markers, an extra, and the
/// upper-constraints file as `-c`.
const OPENSTACK_REQUIREMENTS: &str = "\
# Requirements lower bounds listed here are our best effort to keep them up to
# date but we do not test them so no guarantee of having them all correct. If
# you find any incorrect lower bounds, let us know or propose a fix.

# The order of packages is significant, because pip processes them in the order
# of appearance. Changing the order has an impact on the overall integration
# process, which may cause wedges in the gate later.

pbr!=2.1.0,>=2.0.0 # Apache-2.0
keystoneauth1>=3.4.0 # Apache-2.0
oslo.config>=6.1.0 # Apache-2.0
oslo.i18n>=3.15.3 # Apache-2.0
oslo.db[mysql]>=4.27.0 # Apache-2.0
PyYAML>=3.12 # MIT
requests>=2.14.2 # Apache-2.0
six>=1.10.0 # MIT
urllib3<2.0;python_version>='3.8' # MIT
importlib-metadata>=1.7.0;python_version<'3.8' # Apache-2.0
pywin32>=227;sys_platform=='win32' # PSF
typing-extensions>=3.10.0;\\
    python_version>='3.11' # PSF
-c upper-constraints.txt
";

/// A slice of openstack/requirements' `upper-constraints.txt` (`===` pins).
const UPPER_CONSTRAINTS: &str = "\
pbr===6.0.0
requests===2.32.3
six===1.16.0
PyYAML===6.0.1
";

/// Salt's `requirements/base.txt`, `crypto.txt` and `zeromq.txt` (which
/// pulls the other two in with `-r`).
const SALT_BASE: &str = "\
--constraint=constraints.txt

Jinja2
jmespath
msgpack>=1.0.0
PyYAML
MarkupSafe
requests>=2.25.1
distro>=1.0.1
psutil>=5.0.0
packaging>=21.3
looseversion
tornado>=6.3.3
# We need contextvars for salt-ssh
contextvars
";
const SALT_CRYPTO: &str = "pycryptodomex>=3.9.8 ; sys_platform != 'win32'\n";
const SALT_ZEROMQ: &str = "\
-r base.txt
-r crypto.txt

pyzmq>=25.1.2 ; python_version >= \"3.11\"
pyzmq>=20.0.0 ; python_version < \"3.11\"
";
const SALT_CONSTRAINTS: &str = "msgpack<1.0.8\n";

/// The header `include` prints above the block.
const HEADER: &str = "\
# List of packages to include (use Python regex, matched at the start of
# the package name). Lines outside the venvjail section are yours;
# venvjail regenerates the section from the repository.

";

/// A fake OBS serving [`FACTORY`], an oscrc for it, and a working directory.
struct World {
    obs: FakeObs,
    home: Dir,
    work: Dir,
}

impl World {
    fn new() -> Self {
        let obs = FakeObs::start();
        obs.repository(PROJECT, "openSUSE_Factory", "x86_64", FACTORY);
        let home = Dir::new();
        home.write(
            "oscrc",
            format!(
                "[general]\napiurl = {url}\n\n[{url}]\nuser = alice\npass = opensuse\n",
                url = obs.url()
            ),
        );
        let work = Dir::new();
        work.write(
            "exclude-rpm",
            "# SECTION venvjail\n.*-debuginfo$\npython3[0-9]+-base$\n# /SECTION\npython311-six$\n",
        );
        Self { obs, home, work }
    }

    /// `venvjail ARGS` in the working directory.
    fn run(&self, args: &[&str]) -> Run {
        TestCommand::new()
            .cwd(self.work.path())
            .env("HOME", self.home.path())
            .env("OSC_CONFIG", self.home.path().join("oscrc"))
            .env_remove("OSC_APIURL")
            .env_remove("OSC_USERNAME")
            .env_remove("OSC_PASSWORD")
            .args(args)
            .run()
    }

    /// `include --from-requirements FILE` against the fake.
    fn include(&self, file: &str, extra: &[&str]) -> Run {
        let url = self.obs.url();
        let mut args = vec![
            "--timeout",
            "5",
            "include",
            "-A",
            &url,
            "-p",
            PROJECT,
            "-r",
            "openSUSE_Factory",
            "--from-requirements",
            file,
        ];
        args.extend(extra);
        self.run(&args)
    }
}

fn block(names: &[&str]) -> String {
    let mut s = String::from(HEADER);
    s.push_str("# SECTION venvjail\n");
    for n in names {
        s.push_str(n);
        s.push('\n');
    }
    s.push_str("# /SECTION\n");
    s
}

#[test]
fn openstack_requirements_with_upper_constraints() {
    let w = World::new();
    w.work.write("requirements.txt", OPENSTACK_REQUIREMENTS);
    w.work.write("upper-constraints.txt", UPPER_CONSTRAINTS);
    let run = w.include("requirements.txt", &[]);
    assert_eq!(
        (run.code, run.stderr.as_str()),
        (
            0,
            "\
requirements.txt:13: warning: 'oslo.db' maps to no binary of the repository (looked for python311-oslo-db and python3-oslo-db in any spelling)
requirements.txt:16: warning: 'six' maps to python311-six, which exclude-rpm:5 ('python311-six$') excludes: not listed
requirements.txt:17: warning: 'urllib3<2.0' is not met by python311-urllib3 2.2.1
upper-constraints.txt:2: warning: 'requests===2.32.3' is not met by python311-requests 2.31.0
"
        )
    );
    assert_eq!(
        run.stdout,
        block(&[
            "python311-PyYAML$",
            "python311-keystoneauth1$",
            "python311-oslo\\.config$",
            "python311-oslo\\.i18n$",
            "python311-pbr$",
            "python311-requests$",
            "python311-typing_extensions$",
            "python311-urllib3$",
        ])
    );
    let targets: Vec<String> = w.obs.requests().into_iter().map(|r| r.target).collect();
    assert_eq!(
        targets,
        [
            "/build/systemsmanagement:saltstack:bundle/openSUSE_Factory/x86_64/_repository?view=names",
            "/build/systemsmanagement:saltstack:bundle/openSUSE_Factory/x86_64/_repository?view=binaryversions&withevr=1",
        ]
    );
}

#[test]
fn openstack_requirements_verbose_notes_markers_extras_and_flavour() {
    let w = World::new();
    w.work.write("requirements.txt", OPENSTACK_REQUIREMENTS);
    w.work.write("upper-constraints.txt", UPPER_CONSTRAINTS);
    let url = w.obs.url();
    let run = w.run(&[
        "-v",
        "include",
        "-A",
        &url,
        "-p",
        PROJECT,
        "-r",
        "openSUSE_Factory",
        "--from-requirements",
        "requirements.txt",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let notes: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| !l.starts_with("venvjail: GET"))
        .collect();
    assert_eq!(
        notes,
        [
            "venvjail: requirements map to the python311 flavour",
            "requirements.txt:13: warning: 'oslo.db' maps to no binary of the repository (looked for python311-oslo-db and python3-oslo-db in any spelling)",
            "requirements.txt:13: note: 'oslo.db': extras [mysql] are not expanded; list what they need by hand",
            "requirements.txt:16: warning: 'six' maps to python311-six, which exclude-rpm:5 ('python311-six$') excludes: not listed",
            "requirements.txt:17: warning: 'urllib3<2.0' is not met by python311-urllib3 2.2.1",
            "requirements.txt:18: note: 'importlib-metadata>=1.7.0;python_version<'3.8'' skipped: its marker is false for Python 3.11 on x86_64",
            "requirements.txt:19: note: 'pywin32>=227;sys_platform=='win32'' skipped: its marker is false for Python 3.11 on x86_64",
            "upper-constraints.txt:2: warning: 'requests===2.32.3' is not met by python311-requests 2.31.0",
        ]
    );
}

#[test]
fn salt_requirements_with_nested_includes_and_a_constraint() {
    let w = World::new();
    w.work.write("requirements/base.txt", SALT_BASE);
    w.work.write("requirements/crypto.txt", SALT_CRYPTO);
    w.work.write("requirements/zeromq.txt", SALT_ZEROMQ);
    w.work
        .write("requirements/constraints.txt", SALT_CONSTRAINTS);
    let run = w.include("requirements/zeromq.txt", &["--flavour", "python311"]);
    assert_eq!(
        (run.code, run.stderr.as_str()),
        (
            0,
            "\
requirements/base.txt:4: warning: 'jmespath' maps to no binary of the repository (looked for python311-jmespath and python3-jmespath in any spelling)
requirements/base.txt:12: warning: 'looseversion' maps to several binaries (python311-LooseVersion, python311-looseversion): none is listed; include the right one by hand
requirements/base.txt:13: warning: 'tornado' maps to no binary of the repository (looked for python311-tornado and python3-tornado in any spelling)
requirements/constraints.txt:1: warning: 'msgpack<1.0.8' is not met by python311-msgpack 1.0.8
"
        )
    );
    assert_eq!(
        run.stdout,
        block(&[
            "python3-contextvars$",
            "python311-Jinja2$",
            "python311-MarkupSafe$",
            "python311-PyYAML$",
            "python311-distro$",
            "python311-msgpack$",
            "python311-packaging$",
            "python311-psutil$",
            "python311-pycryptodomex$",
            "python311-pyzmq$",
            "python311-requests$",
        ])
    );
}

#[test]
fn a_python36_flavour_evaluates_markers_for_3_6() {
    let w = World::new();
    w.work.write(
        "r.txt",
        "six\ntyping-extensions; python_version >= '3.8'\nJinja2\n",
    );
    let run = w.include("r.txt", &["--flavour", "python36", "--all"]);
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
    assert_eq!(run.stdout, block(&["python3-Jinja2$", "python36-six$"]));
}

#[test]
fn output_updates_only_the_block() {
    let w = World::new();
    w.work.write("r.txt", "PyYAML\nmsgpack\n");
    w.work.write(
        "include-rpm",
        "# mine\nlibzmq5$\n# SECTION venvjail\nold$\n# /SECTION\n",
    );
    let run = w.include("r.txt", &["-o", "include-rpm"]);
    assert_eq!(
        (run.code, run.stdout.as_str(), run.stderr.as_str()),
        (0, "", "")
    );
    assert_eq!(
        String::from_utf8(w.work.read("include-rpm")).unwrap(),
        "# mine\nlibzmq5$\n# SECTION venvjail\npython311-PyYAML$\npython311-msgpack$\n# /SECTION\n"
    );
}

#[test]
fn urls_editables_and_options_are_skipped_with_warnings() {
    let w = World::new();
    w.work.write(
        "r.txt",
        "--index-url https://pypi.example.org/simple\n-e git+https://opendev.org/openstack/oslo.db#egg=oslo.db\nhttps://files.example.org/six-1.16.0-py2.py3-none-any.whl\npsutil @ https://files.example.org/psutil-5.9.8.tar.gz\n./vendor/distro\npackaging==24.0 --hash=sha256:2ddfb553fdf02fb784c234c7ba6ccc288296ceabec964ad2eae3777778130bc5\n",
    );
    let run = w.include("r.txt", &[]);
    assert_eq!(
        (run.code, run.stderr.as_str()),
        (
            0,
            "\
r.txt:2: warning: editable install 'git+https://opendev.org/openstack/oslo.db#egg=oslo.db' is not a distribution package: skipped
r.txt:3: warning: 'https://files.example.org/six-1.16.0-py2.py3-none-any.whl' is a URL or a path, not a distribution name: skipped
r.txt:4: warning: 'psutil' is installed from https://files.example.org/psutil-5.9.8.tar.gz, not from a distribution package: skipped
r.txt:5: warning: './vendor/distro' is a URL or a path, not a distribution name: skipped
"
        )
    );
    assert_eq!(run.stdout, block(&["python311-packaging$"]));
}

#[test]
fn offline_from_a_snapshot_without_versions() {
    let w = World::new();
    w.work.write("r.txt", "PyYAML>=5.1\nsalt\nmsgpack\n");
    let snapshot = repo_root().join("examples/venv-salt-minion/venvjail.snapshot.xml");
    let run = w.run(&[
        "include",
        "--snapshot",
        snapshot.to_str().unwrap(),
        "--from-requirements",
        "r.txt",
    ]);
    assert_eq!(
        (run.code, run.stderr.as_str()),
        (
            0,
            "venvjail: warning: the repository data holds no versions, so version specifiers are not checked: refresh the snapshot online\n"
        )
    );
    assert_eq!(
        run.stdout,
        block(&["python311-PyYAML$", "python311-msgpack$", "python311-salt$"])
    );
    assert!(w.obs.requests().is_empty(), "--snapshot sends no request");
}

#[test]
fn a_line_that_is_not_pep508_is_exit_2_with_file_line_and_column() {
    let w = World::new();
    w.work.write("r.txt", "-r more.txt\n");
    w.work.write(
        "more.txt",
        "# ok\nsix>=1.0\nrequests >= 2.0 ; python_version >< '3.8'\n",
    );
    let run = w.include("r.txt", &[]);
    assert_eq!(
        (run.code, run.stdout.as_str(), run.stderr.as_str()),
        (
            2,
            "",
            "venvjail: more.txt:3:34: not a PEP 508 requirement: Expected a valid marker operator (such as `>=` or `not in`), found `><`\n"
        )
    );
    assert!(w.obs.requests().is_empty(), "nothing is fetched");
    // A continued line: the column is on the physical line that holds it.
    w.work.write("r.txt", "six \\\n  >= 1.0 \\\n  ;; x\n");
    let run = w.include("r.txt", &[]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .starts_with("venvjail: r.txt:3:4: not a PEP 508 requirement: "),
        "{}",
        run.stderr
    );
}

#[test]
fn an_include_loop_is_exit_2_naming_the_files() {
    let w = World::new();
    w.work
        .write("requirements.txt", "six\n-r test-requirements.txt\n");
    w.work.write(
        "test-requirements.txt",
        "# tests\n--requirement requirements.txt\n",
    );
    let run = w.include("requirements.txt", &[]);
    assert_eq!(
        (run.code, run.stdout.as_str(), run.stderr.as_str()),
        (
            2,
            "",
            "venvjail: test-requirements.txt:2: '--requirement requirements.txt' makes a loop: requirements.txt -> test-requirements.txt -> requirements.txt\n"
        )
    );
}

#[test]
fn a_missing_included_file_is_exit_2_naming_the_line() {
    let w = World::new();
    w.work
        .write("requirements.txt", "six\n-c upper-constraints.txt\n");
    let run = w.include("requirements.txt", &[]);
    assert_eq!(
        (run.code, run.stderr.as_str()),
        (
            2,
            "venvjail: requirements.txt:2: cannot read upper-constraints.txt: no such file or directory\n"
        )
    );
}

#[test]
fn a_bad_flavour_is_exit_2() {
    let w = World::new();
    w.work.write("r.txt", "six\n");
    let run = w.include("r.txt", &["--flavour", "python3"]);
    assert_eq!(
        (run.code, run.stderr.as_str()),
        (
            2,
            "venvjail: 'python3' is not a Python flavour: give python3 and the minor version, e.g. python311\n"
        )
    );
}

#[test]
fn python_full_version_is_the_interpreter_package_version() {
    let w = World::new();
    // python311-base is 3.11.9 in the repository: the first marker is true,
    // the second false (with "3.11" alone both would be decided wrongly).
    w.work.write(
        "r.txt",
        "distro; python_full_version >= '3.11.4'\npsutil; python_full_version < '3.11.2'\n",
    );
    let run = w.include("r.txt", &[]);
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
    assert_eq!(run.stdout, block(&["python311-distro$"]));
}
