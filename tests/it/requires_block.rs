//! The Requires block against librpm (DESIGN §5.2): V, the binaries the
//! lists put into the venv, is installed into a throw-away rpmdb; rpm's own
//! dependency check then says that no line of the block is provided there
//! and that every counted requirement of V left out of it is. Also offline
//! runs, a version 1 snapshot, and the faults of `view=cpioheaders`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::fake_obs::Fault;
use crate::fake_repo::{self, Built};
use crate::service::{Package, SNAPSHOT};
use crate::util::Dir;

const REPO: &str = "/build/systemsmanagement:saltstack:bundle/SLE_15/x86_64/_repository";

/// The `Requires:` lines of the spec's venvjail block.
fn block(spec: &str) -> Vec<String> {
    let start = spec.find("# SECTION venvjail Requires\n").unwrap();
    spec[start..]
        .lines()
        .skip(1)
        .take_while(|l| !l.starts_with("# /SECTION"))
        .map(|l| l.trim_start_matches("Requires:").trim().to_owned())
        .collect()
}

/// The binaries the snapshot has headers for: V.
fn venv(snapshot: &str) -> Vec<&'static Built> {
    let names: Vec<&str> = snapshot
        .lines()
        .filter(|l| l.starts_with("    <binary") && l.contains(" arch=\""))
        .filter_map(|l| l.split('"').nth(1))
        .collect();
    let v: Vec<&Built> = fake_repo::stack()
        .iter()
        .filter(|b| names.contains(&b.name.as_str()))
        .collect();
    assert_eq!(v.len(), names.len(), "every binary with a header is built");
    v
}

fn rpm(args: &[&str], root: &Path) -> std::process::Output {
    Command::new("rpm")
        .arg("--root")
        .arg(root)
        .args(args)
        .output()
        .expect("run rpm")
}

/// Every counted requirement of `v` (no `rpmlib(`, no scriptlet or
/// transaction bit), as librpm reads the files: `name`, or `name OP evr`.
fn counted_requirements(v: &[&Built]) -> Vec<String> {
    let script = r#"
import rpm, sys
ts = rpm.TransactionSet()
ts.setVSFlags(rpm._RPMVSF_NOSIGNATURES | rpm._RPMVSF_NODIGESTS)
skip = (rpm.RPMSENSE_INTERP | rpm.RPMSENSE_SCRIPT_PRE | rpm.RPMSENSE_SCRIPT_POST
        | rpm.RPMSENSE_SCRIPT_PREUN | rpm.RPMSENSE_SCRIPT_POSTUN | rpm.RPMSENSE_SCRIPT_VERIFY
        | rpm.RPMSENSE_PRETRANS | rpm.RPMSENSE_POSTTRANS
        | getattr(rpm, "RPMSENSE_PREUNTRANS", 1 << 20) | getattr(rpm, "RPMSENSE_POSTUNTRANS", 1 << 21))
out = set()
for f in sys.argv[1:]:
    with open(f, "rb") as fd:
        h = ts.hdrFromFdno(fd)
    for d in rpm.ds(h, "requirename"):
        if d.N().startswith("rpmlib(") or d.Flags() & skip:
            continue
        out.add(d.DNEVR()[2:])
print("\n".join(sorted(out)))
"#;
    let out = Command::new("/usr/bin/python3")
        .arg("-c")
        .arg(script)
        .args(v.iter().map(|b| &b.path))
        .output()
        .expect("run /usr/bin/python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// A package requiring `deps`, built by rpmbuild.
fn probe(deps: &[String], dir: &Path) -> PathBuf {
    let mut spec = String::from(
        "Name: probe\nVersion: 1\nRelease: 1\nSummary: p\nLicense: MIT\nBuildArch: noarch\n",
    );
    for d in deps {
        spec.push_str(&format!("Requires: {d}\n"));
    }
    spec.push_str("%description\np\n%files\n");
    let built = fake_repo::build(&spec, dir);
    built[0].path.clone()
}

/// What librpm says: installs `v` into a fresh rpmdb and returns, for the
/// block lines, those rpm finds provided (must be none) and, for the
/// counted requirements outside the block, those rpm finds missing (must
/// be none); plus the counts, for the report.
fn cross_check(v: &[&Built], lines: &[String]) -> (usize, usize) {
    let t = Dir::new();
    let root = t.path().join("root");
    std::fs::create_dir(&root).unwrap();
    assert!(rpm(&["--initdb"], &root).status.success());
    let mut args = vec![
        "-i",
        "--justdb",
        "--nodeps",
        "--noscripts",
        "--ignorearch",
        "--nosignature",
    ];
    let files: Vec<String> = v.iter().map(|b| b.path.display().to_string()).collect();
    args.extend(files.iter().map(String::as_str));
    let out = rpm(&args, &root);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // No line of the block is provided: rpm's check of a package requiring
    // them all lists every one as missing.
    let needs_lines = probe(lines, &t.path().join("p1"));
    let out = rpm(
        &[
            "-i",
            "--test",
            "--justdb",
            "--nosignature",
            &needs_lines.display().to_string(),
        ],
        &root,
    );
    let report = String::from_utf8_lossy(&out.stderr).into_owned();
    for l in lines {
        assert!(
            report.contains(&format!("\t{l} is needed by probe-1-1.noarch")),
            "librpm finds {l} provided by V:\n{report}"
        );
        if !l.starts_with('(') && !l.contains(' ') {
            assert!(
                !rpm(&["-q", "--whatprovides", l], &root).status.success(),
                "--whatprovides {l}"
            );
        }
    }
    // Every counted requirement outside the block is provided.
    let counted = counted_requirements(v);
    let inside: Vec<String> = counted
        .iter()
        .filter(|r| !lines.contains(r))
        .cloned()
        .collect();
    let needs_inside = probe(&inside, &t.path().join("p2"));
    let out = rpm(
        &[
            "-i",
            "--test",
            "--justdb",
            "--nosignature",
            &needs_inside.display().to_string(),
        ],
        &root,
    );
    assert!(
        out.status.success(),
        "librpm finds requirements left out of the block unmet:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (lines.len(), counted.len())
}

#[test]
fn librpm_agrees_with_the_block_and_with_a_changed_exclude_list() {
    let p = Package::new();
    let run = p.service(&[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    p.apply();
    let spec = p.read("venv-salt-minion.spec");
    let lines = block(&spec);
    let snapshot = p.read(SNAPSHOT);
    let v = venv(&snapshot);
    let (n_lines, n_counted) = cross_check(&v, &lines);
    eprintln!(
        "librpm cross-check: {} binaries in V, {n_counted} counted requirements, {n_lines} block lines, agreement",
        v.len()
    );
    // The cases of the issue are all there.
    for line in [
        "(python311-pycryptodomex >= 3.9.7 or python311-M2Crypto)",
        "/usr/sbin/useradd",
        "python311-Jinja2 >= 1:3.0",
        "python311-msgpack >= 2.0",
        "pkgconfig(libzmq) >= 4.0",
    ] {
        assert!(lines.contains(&line.to_owned()), "{line}: {lines:?}");
    }
    for gone in [
        "fillup",
        "shadow",
        "/usr/sbin/groupadd",
        "salt-python >= 3000",
        "libzmq.so.5()(64bit)",
        "python(abi) = 3.11",
    ] {
        assert!(!lines.contains(&gone.to_owned()), "{gone}: {lines:?}");
    }
    // Offline with the server stopped: byte-identical, nothing to change.
    let before: Vec<Vec<u8>> = ["include-rpm", "exclude-rpm", "venv-salt-minion.spec"]
        .iter()
        .map(|f| std::fs::read(p.pkg().join(f)).unwrap())
        .collect();
    // The server "stopped": the oscrc points at a port nothing listens on.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_url = format!("http://{}", dead.local_addr().unwrap());
    drop(dead);
    p.dir.write(
        "oscrc",
        format!("[general]\napiurl = {dead_url}\n\n[{dead_url}]\nuser = alice\npass = opensuse\n"),
    );
    let sent = p.obs.requests().len();
    let run = p.service(&["--offline", "true", "--check", "true"]);
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (0, "venvjail: nothing to change\n"),
        "{}",
        run.stderr
    );
    let after: Vec<Vec<u8>> = ["include-rpm", "exclude-rpm", "venv-salt-minion.spec"]
        .iter()
        .map(|f| std::fs::read(p.pkg().join(f)).unwrap())
        .collect();
    assert_eq!(before, after);
    assert_eq!(p.obs.requests().len(), sent, "an offline run sends nothing");
    // A user line in exclude-rpm, offline: python311-msgpack leaves V, and
    // the block changes as librpm says.
    let exclude = p.read("exclude-rpm");
    p.dir
        .write("pkg/exclude-rpm", format!("{exclude}python311-msgpack$\n"));
    let run = p.service(&["--offline", "true"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    p.apply();
    let lines = block(&p.read("venv-salt-minion.spec"));
    assert!(
        lines.contains(&"(python311-msgpack or python311-umsgpack)".to_owned()),
        "{lines:?}"
    );
    let v: Vec<&Built> = v
        .into_iter()
        .filter(|b| b.name != "python311-msgpack")
        .collect();
    cross_check(&v, &lines);
}

#[test]
fn verbose_names_who_needs_each_line_and_v1_snapshots_still_work() {
    let p = Package::new();
    let run = p.service(&["--check", "true"]);
    assert_eq!(run.code, 1);
    let mut cmd = crate::util::TestCommand::new();
    let run = cmd
        .cwd(&p.pkg())
        .env("HOME", p.dir.path())
        .env("OSC_CONFIG", p.dir.path().join("oscrc"))
        .env_remove("OBS_SERVICE_DAEMON")
        .args(["-v", "service", "--check", "true", "--outdir"])
        .arg_path(&p.out())
        .run();
    assert!(
        run.stderr
            .contains("venvjail: Requires: salt = 3006.0-1.1 (needed by salt-minion)\n"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("venvjail: Requires: /usr/sbin/useradd (needed by salt)\n"),
        "{}",
        run.stderr
    );
    // A version 1 snapshot: its package requires stand in, with a warning.
    p.dir.write(
        &format!("pkg/{SNAPSHOT}"),
        "<venvjail-snapshot version=\"1\" apiurl=\"https://api.opensuse.org\">\n  <repository project=\"P\" name=\"SLE_15\" arch=\"x86_64\">\n    <binary name=\"python311-salt\"/>\n  </repository>\n  <package project=\"P\" name=\"salt\">\n    <binary name=\"python311-salt\"/>\n    <requires name=\"python3-PyYAML\" op=\"&gt;=\" evr=\"5.1\"/>\n  </package>\n</venvjail-snapshot>\n",
    );
    let run = p.service(&["--offline", "true"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        "venvjail.snapshot.xml: warning: a version 1 snapshot: its Requires come from the bundled specs' text, not the built RPM headers; run `osc service manualrun` (`osc service runall` with osc before 1.0) once, with network and credentials, to refresh it\n"
    );
    let spec = std::fs::read_to_string(p.out().join("venv-salt-minion.spec")).unwrap();
    assert_eq!(block(&spec), ["python3-PyYAML >= 5.1"]);
}

/// The faults of `view=cpioheaders`: each exits 2 with one line naming the
/// request and writes nothing.
#[test]
fn cpioheaders_faults_exit_2_and_write_nothing() {
    let v_query = {
        let p = Package::new();
        assert_eq!(p.service(&[]).code, 0);
        p.obs
            .requests()
            .into_iter()
            .map(|r| r.target.replace("%3A", ":"))
            .find(|t| t.contains("view=cpioheaders"))
            .unwrap()
    };
    let garbage = |p: &Package| {
        let mut members: Vec<(String, Vec<u8>)> = fake_repo::stack()
            .iter()
            .map(|b| (b.name.clone(), b.header.clone()))
            .collect();
        members[0].1 = b"not an rpm header at all".to_vec();
        p.obs.cpio_headers(REPO, members);
    };
    let missing = |p: &Package| {
        let members: Vec<(String, Vec<u8>)> = fake_repo::stack()
            .iter()
            .filter(|b| b.name != "libzmq5")
            .map(|b| (b.name.clone(), b.header.clone()))
            .collect();
        p.obs.cpio_headers(REPO, members);
    };
    let truncated = |p: &Package| p.obs.fault(&v_query, Fault::TruncatedXml);
    type SetUp<'a> = &'a dyn Fn(&Package);
    let cases: Vec<(&str, SetUp, String)> = vec![
        (
            "truncated",
            &truncated,
            "corrupt or truncated payload".to_owned(),
        ),
        ("garbage", &garbage, "libffi8-".to_owned()),
        (
            ".errors",
            &missing,
            "OBS reports: libzmq5: not available".to_owned(),
        ),
    ];
    for (what, set_up, expected) in cases {
        let p = Package::new();
        set_up(&p);
        let run = p.service(&[]);
        assert_eq!(run.code, 2, "{what}: {}", run.stderr);
        assert_eq!(run.stderr.lines().count(), 1, "{what}: {}", run.stderr);
        assert!(
            run.stderr.starts_with(&format!(
                "venvjail: OBS did not give the RPM headers asked for (GET {}?view=cpioheaders, batch 1 of 1: libffi8 to salt-minion): ",
                REPO
            )) && run.stderr.contains(&expected),
            "{what}: {}",
            run.stderr
        );
        assert!(
            p.outdir_files().is_empty(),
            "{what}: {:?}",
            p.outdir_files()
        );
    }
}

/// 60 binaries: two `cpioheaders` batches (50 + 10); a 500 on the second
/// (three tries) fails the run with one line, nothing written.
#[test]
fn a_500_on_the_second_batch_exits_2_and_writes_nothing() {
    let names: Vec<String> = (0..60).map(|i| format!("python311-pkg{i:02}")).collect();
    let binaries: Vec<(&str, &str, &str)> = names
        .iter()
        .map(|n| (n.as_str(), "1.0-1.1", "noarch"))
        .collect();
    let p = Package::new();
    p.obs
        .repository(crate::fake_obs::PROJECT, "big", "x86_64", &binaries);
    fake_repo::serve_plain(&p.obs, crate::fake_obs::PROJECT, "big", "x86_64", &binaries);
    let service = p
        .read("_service")
        .replace(
            "<param name=\"repository\">SLE_15</param>",
            "<param name=\"repository\">big</param>",
        )
        .replace("    <param name=\"package\">salt</param>\n", "");
    p.dir.write("pkg/_service", service);
    let big = "/build/systemsmanagement:saltstack:bundle/big/x86_64/_repository";
    let mut second = format!("{big}?view=cpioheaders");
    for n in &names[50..] {
        second.push_str(&format!("&binary={n}"));
    }
    // Without the fault: 2 batches, all requests counted.
    let run = p.service(&["--check", "true"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let headers = p
        .obs
        .requests()
        .iter()
        .filter(|r| r.target.contains("view=cpioheaders"))
        .count();
    assert_eq!(headers, 2);
    p.obs.fault(&second, Fault::Always(500, None));
    let run = p.service(&[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        format!("venvjail: OBS answered HTTP 500 for GET {big}?view=cpioheaders, batch 2 of 2: python311-pkg50 to python311-pkg59: <html> <head><title>500 Internal Server Error</title></head> <body> <h1>500 Internal Server Error</h1> <p>The server enc…\n")
    );
    assert!(p.outdir_files().is_empty(), "{:?}", p.outdir_files());
    let tries = p
        .obs
        .requests()
        .iter()
        .filter(|r| r.target.replace("%3A", ":") == second)
        .count();
    assert_eq!(
        tries,
        1 + 3,
        "one answered before the fault, then three tries"
    );
}
