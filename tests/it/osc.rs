//! The real osc (Debian's 0.169.1 in CI): `osc checkout` the example package
//! "before venvjail" from the fake OBS, install the service where osc looks
//! for it, `osc service runall` in the working copy, and the working copy
//! then holds exactly the committed example.
//!
//! osc 0.169 has no `manualrun`; `runall` runs every service whatever its
//! mode and replaces the files in place (`run` would treat mode="manual" like
//! the default mode and write `_service:venvjail:*` files).

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::fake_obs::{FakeObs, PROJECT};
use crate::service::strip_generated;
use crate::util::{repo_root, Dir};

const PACKAGE: &str = "venv-salt-minion";
/// The package's files on the (fake) server: the example before venvjail.
const CHECKED_OUT: [&str; 4] = [
    "_service",
    "exclude-rpm",
    "include-rpm",
    "venv-salt-minion.spec",
];
const SNAPSHOT: &str = "venvjail.snapshot.xml";
/// Where osc looks for a service (hardcoded in osc).
const SERVICE_DIR: &str = "/usr/lib/obs/service";
/// The second line of the executable this test installs.
const MARKER: &str = "# Installed by venvjail's tests/it/osc.rs for a test run; removed after it.";
/// The installed script execs the binary this variable names (each run its own).
const BIN_VAR: &str = "VENVJAIL_OSC_TEST_BIN";
/// The wrapper's line that an install of obs-service/venvjail puts there.
const WRAPPER_EXEC: &str = "exec /usr/bin/venvjail service \"$@\"";
/// A made-up source md5 of revision 1.
const SRCMD5: &str = "e0a4d5b2c6f9cd7f3f5a1b8c2d9e4f70";

fn on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}

/// Prints why the test is skipped, or panics under `VENVJAIL_REQUIRE_ORACLE=1`.
fn skip(reason: &str) {
    if std::env::var("VENVJAIL_REQUIRE_ORACLE").as_deref() == Ok("1") {
        panic!("VENVJAIL_REQUIRE_ORACLE=1 but {reason}");
    }
    eprintln!("skipping the osc test: {reason}");
}

fn md5_hex(path: &Path) -> String {
    let out = Command::new("md5sum").arg(path).output().unwrap();
    assert!(out.status.success(), "md5sum {}", path.display());
    String::from_utf8(out.stdout).unwrap()[..32].to_owned()
}

/// The venvjail service installed under /usr/lib/obs/service for this test.
/// Concurrent runs of this test share the install; the last one to end
/// removes the executable and what the first one created.
struct Installed {
    users: PathBuf,
    me: PathBuf,
}

/// In the users directory: the paths the install created, a line each, files
/// before the directories holding them.
const CREATED: &str = "created";

impl Installed {
    /// Installs the real wrapper, its `/usr/bin/venvjail` replaced by
    /// `$VENVJAIL_OSC_TEST_BIN`, beside the real descriptor. `Err` says why not.
    fn install() -> Result<Self, String> {
        let exe = Path::new(SERVICE_DIR).join("venvjail");
        let descriptor = Path::new(SERVICE_DIR).join("venvjail.service");
        let ours = std::fs::read_to_string(&exe).is_ok_and(|t| t.lines().nth(1) == Some(MARKER));
        if exe.exists() && !ours {
            return Err(format!(
                "{} exists and was not written by this test",
                exe.display()
            ));
        }
        if std::fs::metadata("/proc/self").map(|m| m.uid()).ok() != Some(0) {
            return Err(format!("not root, cannot write {}", exe.display()));
        }
        let wrapper = std::fs::read_to_string(repo_root().join("obs-service/venvjail")).unwrap();
        assert!(wrapper.contains(WRAPPER_EXEC), "{wrapper}");
        let (shebang, rest) = wrapper.split_once('\n').unwrap();
        let exec = format!("exec \"${{{BIN_VAR}:?}}\" service \"$@\"");
        let script = format!("{shebang}\n{MARKER}\n{}", rest.replace(WRAPPER_EXEC, &exec));
        let descriptor_text =
            std::fs::read(repo_root().join("obs-service/venvjail.service")).unwrap();
        if !ours
            && descriptor.exists()
            && std::fs::read(&descriptor).ok() != Some(descriptor_text.clone())
        {
            return Err(format!(
                "{} exists and differs from obs-service/venvjail.service",
                descriptor.display()
            ));
        }
        let users = std::env::temp_dir().join("venvjail-osc-test-users");
        std::fs::create_dir_all(&users).unwrap();
        let me = users.join(std::process::id().to_string());
        std::fs::write(&me, "").unwrap();
        let candidates = [
            descriptor.clone(),
            PathBuf::from(SERVICE_DIR),
            PathBuf::from("/usr/lib/obs"),
        ];
        let created: String = candidates
            .iter()
            .filter(|p| !p.exists())
            .map(|p| format!("{}\n", p.display()))
            .collect();
        if !created.is_empty() {
            std::fs::write(users.join(CREATED), created).unwrap();
        }
        let installed = Self { users, me };
        std::fs::create_dir_all(SERVICE_DIR).unwrap();
        std::fs::write(&exe, script).unwrap();
        std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::write(&descriptor, descriptor_text).unwrap();
        Ok(installed)
    }
}

impl Drop for Installed {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.me);
        let others_alive = std::fs::read_dir(&self.users).is_ok_and(|entries| {
            let mut alive = false;
            for e in entries.flatten() {
                if e.file_name() == CREATED {
                    continue;
                }
                if Path::new("/proc").join(e.file_name()).exists() {
                    alive = true;
                } else {
                    let _ = std::fs::remove_file(e.path());
                }
            }
            alive
        });
        if others_alive {
            return;
        }
        let _ = std::fs::remove_file(Path::new(SERVICE_DIR).join("venvjail"));
        let created = self.users.join(CREATED);
        if let Ok(paths) = std::fs::read_to_string(&created) {
            for p in paths.lines().map(Path::new) {
                if p.is_dir() {
                    let _ = std::fs::remove_dir(p); // only if empty
                } else {
                    let _ = std::fs::remove_file(p);
                }
            }
            let _ = std::fs::remove_file(&created);
        }
        let _ = std::fs::remove_dir(&self.users);
    }
}

struct OscRun {
    ok: bool,
    stdout: String,
    /// Exit status, stdout and stderr, for failure messages.
    all: String,
}

/// `osc ARGS` in `cwd`, with HOME, the XDG dirs and the oscrc inside `home`.
fn osc(osc: &Path, home: &Path, cwd: &Path, args: &[&str]) -> OscRun {
    let out = Command::new(osc)
        .args(args)
        .current_dir(cwd)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_CACHE_HOME", home.join(".cache"))
        .env("XDG_DATA_HOME", home.join(".local/share"))
        .env("OSC_CONFIG", home.join("oscrc"))
        .env(BIN_VAR, env!("CARGO_BIN_EXE_venvjail"))
        .env_remove("OBS_SERVICE_DAEMON")
        .env_remove("OBS_SERVICE_APIURL")
        .env_remove("OBS_SERVICE_PROJECT")
        .env_remove("OBS_SERVICE_PACKAGE")
        .env_remove("VC_REALNAME")
        .env_remove("VC_MAILADDR")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    OscRun {
        ok: out.status.success(),
        all: format!(
            "osc {}: {}\n--- stdout\n{stdout}--- stderr\n{}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ),
        stdout,
    }
}

/// Serves the files in `files` as revision 1 of the package, the way
/// `osc checkout` (0.169) asks for them.
fn serve_package(obs: &FakeObs, files: &Path) {
    let base = format!("/source/{PROJECT}/{PACKAGE}");
    let mut entries = String::new();
    for name in CHECKED_OUT {
        let path = files.join(name);
        let body = std::fs::read(&path).unwrap();
        entries.push_str(&format!(
            "  <entry name=\"{name}\" md5=\"{}\" size=\"{}\" mtime=\"1700000000\" />\n",
            md5_hex(&path),
            body.len()
        ));
        for rev in ["1", SRCMD5] {
            let target = format!("{base}/{name}?rev={rev}");
            obs.route(&target, 200, "application/octet-stream", body.clone());
        }
    }
    let listing = format!(
        "<directory name=\"{PACKAGE}\" rev=\"1\" vrev=\"1\" srcmd5=\"{SRCMD5}\">\n{entries}</directory>\n"
    );
    for query in ["", "?rev=latest", "?rev=1"] {
        obs.route(&format!("{base}{query}"), 200, "text/xml", listing.clone());
    }
    let meta = format!(
        "<package name=\"{PACKAGE}\" project=\"{PROJECT}\">\n  <title>Salt bundle</title>\n  <description/>\n</package>\n"
    );
    obs.route(
        &format!("{base}/_meta"),
        200,
        "application/xml; charset=utf-8",
        meta,
    );
}

fn requests(obs: &FakeObs) -> String {
    let lines: Vec<String> = obs
        .requests()
        .into_iter()
        .map(|r| format!("{} {}", r.method, r.target))
        .collect();
    lines.join("\n")
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn osc_checkout_and_service_runall_give_the_example() {
    let Some(osc_bin) = on_path("osc") else {
        skip("osc is not on PATH (apt-get install osc)");
        return;
    };
    let _installed = match Installed::install() {
        Ok(installed) => installed,
        Err(reason) => {
            skip(&reason);
            return;
        }
    };
    let dir = Dir::new();
    let example = repo_root().join("examples/venv-salt-minion");
    for name in CHECKED_OUT {
        let text = std::fs::read_to_string(example.join(name)).unwrap();
        dir.write(&format!("server/{name}"), strip_generated(&text));
    }
    let obs = FakeObs::start();
    crate::fake_repo::serve_stack(&obs);
    serve_package(&obs, &dir.path().join("server"));
    // realname/email: osc would otherwise GET /person/alice before running
    // services; check_for_request_on_action: and /search/request on checkout.
    dir.write(
        "home/oscrc",
        format!(
            "[general]\napiurl = {url}\nuse_keyring = 0\ngnome_keyring = 0\ncheck_for_request_on_action = 0\n\n\
             [{url}]\nuser = alice\npass = opensuse\nrealname = Alice\nemail = alice@example.org\n",
            url = obs.url()
        ),
    );
    let home = dir.path().join("home");
    let wc = dir.path().join("wc");
    std::fs::create_dir(&wc).unwrap();

    let co = osc(&osc_bin, &home, &wc, &["checkout", PROJECT, PACKAGE]);
    assert!(co.ok, "{}\nrequests:\n{}", co.all, requests(&obs));
    let pkg = wc.join(PROJECT).join(PACKAGE);
    for name in CHECKED_OUT {
        assert_eq!(
            std::fs::read(pkg.join(name)).unwrap(),
            dir.read(&format!("server/{name}")),
            "{name} as checked out"
        );
    }

    // -v: osc prints the command line it runs.
    let run = osc(&osc_bin, &home, &pkg, &["-v", "service", "runall"]);
    assert!(run.ok, "{}\nrequests:\n{}", run.all, requests(&obs));
    let expected_cmd = format!(
        "Run source service: {SERVICE_DIR}/venvjail --project {PROJECT} --repository SLE_15 --arch x86_64 --package salt --outdir {}/tmp",
        pkg.display()
    );
    assert!(
        run.stdout
            .lines()
            .any(|l| l.starts_with(&expected_cmd) && l.ends_with(".venvjail.service")),
        "osc ran the service otherwise:\n{}",
        run.all
    );
    assert!(
        run.stdout
            .contains("\nvenvjail: 4 files changed (include-rpm +"),
        "{}",
        run.all
    );
    let mut expected_files: Vec<String> = CHECKED_OUT.iter().map(|s| s.to_string()).collect();
    expected_files.extend([".osc".to_owned(), SNAPSHOT.to_owned()]);
    expected_files.sort();
    assert_eq!(
        files_in(&pkg),
        expected_files,
        "no _service:* or temp dir left"
    );
    for name in CHECKED_OUT.iter().copied().chain([SNAPSHOT]) {
        let committed = std::fs::read_to_string(example.join(name)).unwrap();
        let produced = std::fs::read_to_string(pkg.join(name)).unwrap();
        let produced = produced.replace(&obs.url(), "https://api.opensuse.org");
        assert_eq!(
            committed, produced,
            "examples/venv-salt-minion/{name} differs from {name} after osc service runall"
        );
    }

    // osc sees the service's changes as local modifications.
    let st = osc(&osc_bin, &home, &pkg, &["status"]);
    assert!(st.ok, "{}", st.all);
    assert_eq!(
        st.stdout.lines().collect::<Vec<_>>(),
        [
            "M    exclude-rpm",
            "M    include-rpm",
            "M    venv-salt-minion.spec",
            "?    venvjail.snapshot.xml",
        ],
        "{}",
        st.all
    );

    // A second run changes nothing.
    let again = osc(&osc_bin, &home, &pkg, &["service", "runall"]);
    assert!(again.ok, "{}", again.all);
    assert!(
        again.stdout.ends_with("venvjail: nothing to change\n"),
        "{}",
        again.all
    );
    assert_eq!(files_in(&pkg), expected_files);
}
