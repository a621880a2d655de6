//! Relocation end to end: a venv made by the real `python3 -m venv` plus a
//! real RPM built by rpmbuild (a module with a shebang and its bytecode, a
//! dist-info with RECORD, console scripts in the shebang forms rpm and pip
//! write, an alternatives link, a systemd unit, an absolute link in `srv`),
//! then DEST is moved to where `-l` says it will live (the build directory
//! removed), and the venv is used there: imports, console scripts,
//! `source bin/activate` / `deactivate`, RECORD checked by Python's own
//! `importlib.metadata`, and the unit file.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::Command;

use crate::packages::{have_tools, put, rpmbuild, run, RpmSpec};
use crate::util::TestCommand;

/// `X.Y` of the `python3` on PATH.
fn python_version() -> String {
    run(Command::new("python3").args(["-c", "import sys; print('%d.%d' % sys.version_info[:2])"]))
        .trim()
        .to_owned()
}

const MODULE: &str = "#!/usr/bin/python3\n\"\"\"A module that was once a script.\"\"\"\nGREETING = \"hello from the bundle\"\n\n\ndef main():\n    print(GREETING)\n    return 0\n";
const SCRIPT: &str = "#!/usr/bin/python3 -s\n# -*- coding: utf-8 -*-\nimport re\nimport sys\nfrom hello import main\nif __name__ == \"__main__\":\n    sys.argv[0] = re.sub(r\"(-script\\.pyw|\\.exe)?$\", \"\", sys.argv[0])\n    sys.exit(main())\n";
const ENV_SCRIPT: &str = "#!/usr/bin/env python3\nimport sys\nprint(sys.executable.endswith('.original'), sys.flags.no_user_site)\n";
const UNIT: &str = "[Unit]\nDescription=hello\n\n[Service]\nExecStartPre=-/usr/bin/hello-env\nExecStart=/usr/bin/hello --serve\nExecReload=\n";

/// The package's `%install` stage.
fn stage(root: &Path, py: &str) {
    let site = format!("usr/lib/python{py}/site-packages");
    put(
        root,
        &format!("{site}/hello/__init__.py"),
        MODULE.as_bytes(),
        0o644,
    );
    put(root, "usr/bin/hello", SCRIPT.as_bytes(), 0o755);
    put(root, "usr/bin/hello-env", ENV_SCRIPT.as_bytes(), 0o755);
    put(
        root,
        &format!("usr/bin/hello-alt-{py}"),
        SCRIPT.as_bytes(),
        0o755,
    );
    symlink(
        "/etc/alternatives/hello-alt",
        root.join("usr/bin/hello-alt"),
    )
    .unwrap();
    put(
        root,
        "usr/lib/systemd/system/hello.service",
        UNIT.as_bytes(),
        0o644,
    );
    put(
        root,
        "usr/share/hello/static/index.html",
        b"<p>hi</p>\n",
        0o644,
    );
    fs::create_dir_all(root.join("srv/www")).unwrap();
    symlink("/usr/share/hello/static", root.join("srv/www/hello")).unwrap();
    // Bytecode compiled for the installed path, as rpm's brp scripts do.
    run(Command::new("python3")
        .args(["-m", "compileall", "-q", "-d", &format!("/{site}")])
        .arg(root.join(&site)));
    // A RECORD as pip writes it, hashes of the files as shipped.
    let dist = format!("{site}/hello-1.0.dist-info");
    put(
        root,
        &format!("{dist}/METADATA"),
        b"Metadata-Version: 2.1\nName: hello\nVersion: 1.0\n",
        0o644,
    );
    let record = run(Command::new("python3").arg("-c").arg(
        r#"
import base64, hashlib, os, sys
root, site = sys.argv[1], sys.argv[2]
rows = []
for rel in ["hello/__init__.py", "../../../bin/hello", "../../../bin/hello-env", "hello-1.0.dist-info/METADATA"]:
    data = open(os.path.join(root, site, rel), "rb").read()
    h = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    rows.append(f"{rel},sha256={h},{len(data)}")
cache = os.path.join(root, site, "hello/__pycache__")
for name in sorted(os.listdir(cache)):
    data = open(os.path.join(cache, name), "rb").read()
    h = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    rows.append(f"hello/__pycache__/{name},sha256={h},{len(data)}")
rows.append("hello-1.0.dist-info/RECORD,,")
print("\n".join(rows))
"#,
    )
    .arg(root)
    .arg(&site));
    put(root, &format!("{dist}/RECORD"), record.as_bytes(), 0o644);
}

#[test]
fn a_relocated_venv_runs_where_it_was_moved() {
    if !have_tools(
        "a_relocated_venv_runs_where_it_was_moved",
        &["rpmbuild", "rpm", "python3", "bash"],
    ) {
        return;
    }
    let py = python_version();
    let work = tempfile::tempdir().unwrap();
    let stage_dir = work.path().join("stage");
    stage(&stage_dir, &py);
    let files = "/usr/bin/hello\n/usr/bin/hello-env\n/usr/bin/hello-alt\n/usr/bin/hello-alt-*\n\
                 /usr/lib/python*/site-packages/hello\n/usr/lib/python*/site-packages/hello-1.0.dist-info\n\
                 /usr/lib/systemd/system/hello.service\n/usr/share/hello\n/srv/www/hello\n";
    let rpm = rpmbuild(
        work.path(),
        &stage_dir,
        &RpmSpec {
            name: "python-hello",
            epoch: None,
            version: "1.0",
            release: "1",
            files,
            payload: "w6.xzdio",
        },
    );
    let repo = work.path().join("repo");
    fs::create_dir(&repo).unwrap();
    fs::copy(&rpm, repo.join("python-hello-1.0-1.noarch.rpm")).unwrap();
    let build = work.path().join("BUILD");
    fs::create_dir(&build).unwrap();
    let final_root = work.path().join("opt");
    let out = TestCommand::new()
        .cwd(&build)
        .args([
            "create", "venv", "-d", "none", "-i", "none", "-e", "none", "-l",
        ])
        .arg_path(&final_root)
        .arg("-r")
        .arg_path(&repo)
        .run();
    assert_eq!(out.code, 0, "{}", out.stderr);
    println!("{}", out.stderr);
    assert!(!out.stderr.contains("build path"), "{}", out.stderr);
    let r = final_root.join("venv");
    let dest = build.join("venv");
    let site = format!("lib/python{py}/site-packages");

    // Move the venv where it will live; nothing of the build dir remains.
    fs::create_dir_all(&final_root).unwrap();
    fs::rename(&dest, &r).unwrap();
    fs::remove_dir_all(&build).unwrap();
    let verified = TestCommand::new()
        .args(["verify"])
        .arg_path(&r)
        .arg("--build-root")
        .arg_path(&dest)
        .run();
    assert_eq!(verified.code, 0, "{}", verified.stdout);
    assert!(
        verified.stdout.starts_with(&format!(
            "venvjail verify: no occurrence of {} in ",
            dest.display()
        )),
        "{}",
        verified.stdout
    );

    let python = r.join("bin/python");
    let imported = run(Command::new(&python).args([
        "-c",
        "import hello, sys; print(hello.GREETING); print(sys.prefix)",
    ]));
    assert_eq!(
        imported,
        format!("hello from the bundle\n{}\n", r.display())
    );
    assert_eq!(
        run(&mut Command::new(r.join("bin/hello"))),
        "hello from the bundle\n"
    );
    assert_eq!(
        run(&mut Command::new(r.join("bin/hello-alt"))),
        "hello from the bundle\n"
    );
    // `-s` kept from `#!/usr/bin/python3 -s`: no user site; the env form runs too.
    assert_eq!(run(&mut Command::new(r.join("bin/hello-env"))), "True 0\n");
    let head = |p: &str| {
        fs::read_to_string(r.join(p))
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .to_owned()
    };
    assert_eq!(
        head("bin/hello"),
        format!("#!{}/bin/python -s", r.display())
    );
    assert_eq!(
        head("bin/hello-env"),
        format!("#!{}/bin/python", r.display())
    );
    assert_eq!(
        head(&format!("{site}/hello/__init__.py")),
        format!("#!{}/bin/python", r.display())
    );
    assert_eq!(
        fs::read_link(r.join("bin/hello-alt")).unwrap(),
        Path::new(&format!("hello-alt-{py}"))
    );
    assert_eq!(
        fs::read_link(r.join("srv/www/hello")).unwrap(),
        Path::new("../../usr/share/hello/static")
    );
    assert_eq!(
        fs::read_to_string(r.join("srv/www/hello/index.html")).unwrap(),
        "<p>hi</p>\n"
    );

    // activate sets VIRTUAL_ENV and the library path; deactivate restores PATH.
    let shell = run(Command::new("bash").arg("-c").arg(format!(
        "before=\"$PATH\"; source '{}/bin/activate'; echo \"$VIRTUAL_ENV\"; echo \"$LD_LIBRARY_PATH\"; \
         command -v python; deactivate; [ \"$PATH\" = \"$before\" ] && echo restored; echo \"${{VIRTUAL_ENV:-unset}}\"",
        r.display()
    )));
    assert_eq!(
        shell,
        format!(
            "{r}\n{r}/lib\n{r}/bin/python\nrestored\nunset\n",
            r = r.display()
        )
    );

    // Each activator of this Python: R for VIRTUAL_ENV, the library path
    // right after `deactivate nondestructive`.
    for (name, assign, ld) in [
        ("activate", "VIRTUAL_ENV=", "export LD_LIBRARY_PATH=\""),
        (
            "activate.csh",
            "setenv VIRTUAL_ENV ",
            "setenv LD_LIBRARY_PATH \"",
        ),
        (
            "activate.fish",
            "set -gx VIRTUAL_ENV ",
            "set -gx LD_LIBRARY_PATH \"",
        ),
    ] {
        let text = fs::read_to_string(r.join("bin").join(name)).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let at = lines
            .iter()
            .position(|l| l.trim() == "deactivate nondestructive")
            .unwrap_or_else(|| panic!("{name}: no deactivate line"));
        assert_eq!(
            lines[at + 1],
            format!("{ld}{}/lib\"", r.display()),
            "{name}"
        );
        let assigned: Vec<&&str> = lines
            .iter()
            .filter(|l| l.trim_start().starts_with(assign))
            .collect();
        assert!(!assigned.is_empty(), "{name}: no {assign}");
        for l in assigned {
            assert!(l.contains(&*r.to_string_lossy()), "{name}: {l}");
        }
    }

    // RECORD, checked by Python itself: every listed file has its hash and
    // size; the stale bytecode of the rewritten module is gone from it.
    let record = run(Command::new(&python).arg("-c").arg(
        r#"
import base64, hashlib, importlib.metadata as m
d = m.distribution("hello")
bad, checked = [], 0
for f in d.files:
    if f.hash is None:
        continue
    data = f.read_binary()
    h = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    checked += 1
    if h != f.hash.value or len(data) != f.size:
        bad.append(str(f))
print(checked, bad, any("__pycache__" in str(f) for f in d.files))
"#,
    ));
    assert_eq!(record, "4 [] False\n");

    // The unit: renamed, read-only, absolute commands from the bundle.
    let unit = r.join("lib/systemd/system/venv-hello.service");
    assert_eq!(
        fs::read_to_string(&unit).unwrap(),
        format!(
            "[Unit]\nDescription=hello\n\n[Service]\nExecStartPre=-{r}/usr/bin/hello-env\nExecStart={r}/usr/bin/hello --serve\nExecReload=\n",
            r = r.display()
        )
    );
    assert!(!r.join("lib/systemd/system/hello.service").exists());
    assert!(fs::read_to_string(r.join("pyvenv.cfg"))
        .unwrap()
        .lines()
        .all(|l| !l.contains(&*dest.to_string_lossy())));
}

/// A file that names the build directory (a path compiled into a binary, a
/// generated config) is reported per file; `--strict` fails the build.
#[test]
fn leftovers_are_warnings_and_strict_fails() {
    if !have_tools(
        "leftovers_are_warnings_and_strict_fails",
        &["rpmbuild", "rpm", "python3"],
    ) {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let build = work.path().join("BUILD");
    let dest = build.join("venv");
    let stage_dir = work.path().join("stage");
    let mut elf = b"\x7fELF\x02\x01\x01\0\0\0".to_vec();
    elf.extend_from_slice(dest.to_string_lossy().as_bytes());
    elf.extend_from_slice(b"/lib\0\0\0");
    put(&stage_dir, "usr/lib/libleft.so.1", &elf, 0o755);
    put(
        &stage_dir,
        "usr/share/left/paths.txt",
        format!("prefix={}\n", dest.display()).as_bytes(),
        0o644,
    );
    let rpm = rpmbuild(
        work.path(),
        &stage_dir,
        &RpmSpec {
            name: "leftover",
            epoch: None,
            version: "1.0",
            release: "1",
            files: "/usr/lib/libleft.so.1\n/usr/share/left\n",
            payload: "w6.xzdio",
        },
    );
    let repo = work.path().join("repo");
    fs::create_dir(&repo).unwrap();
    fs::copy(&rpm, repo.join("leftover-1.0-1.noarch.rpm")).unwrap();
    fs::create_dir(&build).unwrap();
    let create = |strict: bool| {
        let _ = fs::remove_dir_all(&dest);
        let mut cmd = TestCommand::new();
        cmd.cwd(&build)
            .args([
                "create", "venv", "-d", "none", "-i", "none", "-e", "none", "-r",
            ])
            .arg_path(&repo);
        if strict {
            cmd.arg("--strict");
        }
        cmd.run()
    };
    let shown = dest.display();
    let warned = create(false);
    assert_eq!(warned.code, 0, "{}", warned.stderr);
    let about_leftovers: String = warned
        .stderr
        .lines()
        .filter(|l| l.contains("occurrence"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(
        about_leftovers,
        format!(
            "venvjail: warning: lib/libleft.so.1: 1 occurrence of the build path\n\
             venvjail: warning: usr/share/left/paths.txt: 1 occurrence of the build path\n\
             venvjail: warning: 2 files with 2 occurrences of {shown}\n"
        )
    );
    let strict = create(true);
    assert_eq!(strict.code, 2);
    assert_eq!(
        strict.stderr.lines().last().map(|l| format!("{l}\n")).unwrap_or_default(),
        format!(
            "venvjail: 2 files with 2 occurrences of {shown} (--strict): lib/libleft.so.1: 1 occurrence, usr/share/left/paths.txt: 1 occurrence\n"
        )
    );
}
