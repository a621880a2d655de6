//! `create --sbom`: the SPDX 2.3 document of a venv built from real RPMs
//! (`rpmbuild`) and a real deb (`dpkg-deb`), validated against the SPDX
//! 2.3 JSON schema (`tests/fixtures/spdx/`), snapshotted, and rebuilt to
//! show the same input gives the same bytes.
//!
//! The packages are built reproducibly (`SOURCE_DATE_EPOCH` for rpmbuild
//! and dpkg-deb, `use_source_date_epoch_as_buildtime`), so BUILDTIME — and
//! with it `created` when `SOURCE_DATE_EPOCH` is unset for `create` — is
//! known. Package checksums depend on the compressors' versions, so the
//! snapshot shows them as `[sha256]` and the test compares each with the
//! SHA-256 of its file instead; the namespace's hash likewise.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

use super::packages::{control, dpkg_build, have_tools, on_path, put, run, RPM_TOOLS};
use super::util::{repo_root, Dir, TestCommand};

/// When the test packages were built: 2023-11-14T22:13:20Z.
const BUILT: &str = "1700000000";

struct SbomRpm<'a> {
    name: &'a str,
    epoch: Option<u32>,
    version: &'a str,
    license: &'a str,
    vendor: Option<&'a str>,
    disturl: Option<&'a str>,
    files: &'a str,
}

/// Builds one noarch RPM of `stage`, reproducibly; returns its path.
fn build_rpm(work: &Path, stage: &Path, spec: &SbomRpm<'_>) -> PathBuf {
    let top = work.join(format!("top-{}", spec.name));
    fs::create_dir_all(&top).expect("create topdir");
    let mut preamble = format!(
        "Name: {}\nVersion: {}\nRelease: 1.1\nSummary: venvjail SBOM test\nLicense: {}\nBuildArch: noarch\n",
        spec.name, spec.version, spec.license
    );
    if let Some(e) = spec.epoch {
        preamble.push_str(&format!("Epoch: {e}\n"));
    }
    if let Some(v) = spec.vendor {
        preamble.push_str(&format!("Vendor: {v}\n"));
    }
    let text = format!(
        "{preamble}\n%description\nvenvjail SBOM test.\n\n%install\ncp -a '{}/.' '%{{buildroot}}/'\n\n\
         %files\n%defattr(-,root,root)\n{}",
        stage.display(),
        spec.files
    );
    let spec_path = top.join(format!("{}.spec", spec.name));
    fs::write(&spec_path, text).expect("write spec");
    let mut cmd = Command::new("rpmbuild");
    cmd.args(["-bb", "--nodeps", "--quiet"]);
    for (k, v) in [
        ("_topdir", top.display().to_string()),
        ("_dbpath", top.join("db").display().to_string()),
        ("_binary_payload", "w19.zstdio".into()),
        ("_build_id_links", "none".into()),
        ("debug_package", "%{nil}".into()),
        ("__spec_install_post", "%{nil}".into()),
        ("__os_install_post", "%{nil}".into()),
        ("use_source_date_epoch_as_buildtime", "1".into()),
        ("clamp_mtime_to_source_date_epoch", "1".into()),
        ("_buildhost", "venvjail.test".into()),
    ] {
        cmd.arg("--define").arg(format!("{k} {v}"));
    }
    if let Some(d) = spec.disturl {
        // rpmbuild copies the `disturl` macro into the DISTURL tag, as OBS relies on.
        cmd.arg("--define").arg(format!("disturl {d}"));
    }
    run(cmd
        .arg(&spec_path)
        .env("HOME", &top)
        .env("SOURCE_DATE_EPOCH", BUILT));
    let rpm = top
        .join("RPMS/noarch")
        .join(format!("{}-{}-1.1.noarch.rpm", spec.name, spec.version));
    assert!(rpm.is_file(), "{} built", rpm.display());
    rpm
}

fn metadata(name: &str, version: &str, extra: &str) -> Vec<u8> {
    format!(
        "Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: test\n{extra}\nThe body.\nName: not-this\n"
    )
    .into_bytes()
}

/// The repository: two RPMs and a deb holding every kind of Python
/// metadata, and an RPM with none.
fn build_repo(work: &Path) -> PathBuf {
    let site = "usr/lib/python3.11/site-packages";
    let alpha = work.join("stage-alpha");
    put(
        &alpha,
        &format!("{site}/alpha-1.0.dist-info/METADATA"),
        &metadata("alpha", "1.0", "License-Expression: MIT\n"),
        0o644,
    );
    put(
        &alpha,
        &format!("{site}/alpha/__init__.py"),
        b"x = 1\n",
        0o644,
    );
    let beta = work.join("stage-beta");
    put(
        &beta,
        &format!("{site}/Beta_Pkg-2.0-py3.11.egg-info/PKG-INFO"),
        &metadata("Beta_Pkg", "2.0", ""),
        0o644,
    );
    put(
        &beta,
        &format!("{site}/gamma-0.5-py3.11.egg-info"),
        &metadata("gamma", "0.5", ""),
        0o644,
    );
    put(
        &beta,
        &format!("{site}/removed-9.9.dist-info/METADATA"),
        &metadata("removed", "9.9", ""),
        0o644,
    );
    let plain = work.join("stage-plain");
    put(
        &plain,
        "usr/share/doc/libplain1/README",
        b"no python\n",
        0o644,
    );
    let repo = work.join("repo");
    fs::create_dir(&repo).expect("repo dir");
    let rpms = [
        build_rpm(
            work,
            &alpha,
            &SbomRpm {
                name: "python311-alpha",
                epoch: Some(2),
                version: "1.0",
                license: "MIT and Apache-2.0",
                vendor: Some("openSUSE"),
                disturl: Some("obs://build.opensuse.org/devel:languages:python/openSUSE_Tumbleweed/0123abcd-python-alpha"),
                files: "/usr/lib/python3.11\n",
            },
        ),
        build_rpm(
            work,
            &beta,
            &SbomRpm {
                name: "python311-beta",
                epoch: None,
                version: "2.0",
                license: "GPLv2+",
                vendor: Some("SUSE LLC <https://www.suse.com/>"),
                disturl: None,
                files: "/usr/lib/python3.11\n",
            },
        ),
        build_rpm(
            work,
            &plain,
            &SbomRpm {
                name: "libplain1",
                epoch: None,
                version: "0.1",
                license: "BSD-3-Clause",
                vendor: Some("openSUSE"),
                disturl: None,
                files: "/usr/share/doc/libplain1\n",
            },
        ),
    ];
    for rpm in &rpms {
        fs::copy(rpm, repo.join(rpm.file_name().expect("file name"))).expect("copy rpm");
    }
    let delta = work.join("stage-delta");
    put(
        &delta,
        "usr/lib/python3/dist-packages/delta-3.1.dist-info/METADATA",
        &metadata("Delta", "3.1", ""),
        0o644,
    );
    dpkg_build(
        work,
        &delta,
        &control("python3-delta", "1:3.1-2"),
        Some("gzip"),
        "python3-delta_3.1-2_all.deb",
    );
    fs::copy(
        work.join("python3-delta_3.1-2_all.deb"),
        repo.join("python3-delta_3.1-2_all.deb"),
    )
    .expect("copy deb");
    fs::write(
        work.join("remove-file"),
        "lib/python3\\.11/site-packages/removed-\n",
    )
    .expect("remove-file");
    fs::write(work.join("empty"), "").expect("empty list");
    repo
}

/// Runs `create venv --sbom sbom.json` in `dir` (which must not hold a
/// venv yet); returns the SBOM's text.
fn create(dir: &Path, repo: &Path, work: &Path, epoch: Option<&str>) -> String {
    fs::create_dir_all(dir).expect("run dir");
    let mut cmd = TestCommand::new();
    cmd.cwd(dir)
        .args(["create", "venv", "--sbom", "sbom.json", "-r"])
        .arg_path(repo)
        .arg("-i")
        .arg_path(&work.join("empty"))
        .arg("-e")
        .arg_path(&work.join("empty"))
        .arg("-d")
        .arg_path(&work.join("remove-file"));
    match epoch {
        Some(e) => cmd.env("SOURCE_DATE_EPOCH", e),
        None => cmd.env_remove("SOURCE_DATE_EPOCH"),
    };
    let out = cmd.run();
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stderr,
        "venvjail: [1/4] extracting libplain1-0.1-1.1.noarch.rpm\n\
         venvjail: [2/4] extracting python3-delta_3.1-2_all.deb\n\
         venvjail: [3/4] extracting python311-alpha-1.0-1.1.noarch.rpm\n\
         venvjail: [4/4] extracting python311-beta-2.0-1.1.noarch.rpm\n\
         venvjail: warning: lib/python3.11/encodings: no standard library in the bundle, \
         so the bin/python* loaders do not set PYTHONHOME and the venv runs on the system's Python 3.11\n"
    );
    assert!(
        out.stdout
            .starts_with("venvjail: 4 packages included, 0 excluded, 7 files, "),
        "{}",
        out.stdout
    );
    fs::read_to_string(dir.join("sbom.json")).expect("sbom.json written")
}

fn sha256_hex(path: &Path) -> String {
    Sha256::digest(fs::read(path).expect("read package"))
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn schema_validator() -> jsonschema::Validator {
    let path = repo_root().join("tests/fixtures/spdx/spdx-2.3-schema.json");
    let schema: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(path).expect("schema")).expect("schema JSON");
    jsonschema::validator_for(&schema).expect("the SPDX 2.3 schema compiles")
}

fn schema_errors(v: &jsonschema::Validator, doc: &serde_json::Value) -> Vec<String> {
    v.iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

/// Checksums, the namespace hash and venvjail's version replaced by
/// placeholders, after checking each checksum against its package file.
fn redact(text: &str, repo: &Path) -> String {
    let doc: serde_json::Value = serde_json::from_str(text).expect("SBOM is JSON");
    let mut out = text.to_owned();
    for p in doc["packages"].as_array().expect("packages") {
        if let Some(sum) = p["checksums"][0]["checksumValue"].as_str() {
            let file = p["packageFileName"].as_str().expect("packageFileName");
            assert_eq!(sum, sha256_hex(&repo.join(file)), "checksum of {file}");
            out = out.replace(sum, "[sha256]");
        }
    }
    let ns = doc["documentNamespace"].as_str().expect("namespace");
    let hash = ns
        .strip_prefix("https://venvjail.invalid/spdx/venv-")
        .expect("namespace prefix");
    assert!(
        hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()),
        "{ns}"
    );
    out.replace(hash, "[sha256 of the document]").replace(
        concat!("venvjail-", env!("CARGO_PKG_VERSION")),
        "venvjail-[VERSION]",
    )
}

/// The SBOM of a venv built from real packages of a venv built from real packages
/// validates against the SPDX 2.3 schema and lists every package and every
/// distribution; two builds of the same input give byte-identical SBOMs.
#[test]
fn sbom_of_real_packages_validates_and_is_reproducible() {
    if !have_tools("sbom_of_real_packages", &RPM_TOOLS)
        || !have_tools("sbom_of_real_packages", &["dpkg-deb"])
        || !on_path("python3")
    {
        return;
    }
    let work = Dir::new();
    let repo = build_repo(work.path());
    let first = create(&work.path().join("a"), &repo, work.path(), None);
    let second = create(&work.path().join("b"), &repo, work.path(), None);
    assert!(first == second, "two builds differ:\n{first}\n{second}");
    let validator = schema_validator();
    let doc: serde_json::Value = serde_json::from_str(&first).expect("JSON");
    assert_eq!(schema_errors(&validator, &doc), Vec::<String>::new());
    // The schema has teeth: a relationship type SPDX does not define fails.
    let mut broken = doc.clone();
    broken["relationships"][0]["relationshipType"] = "INCLUDES".into();
    assert_eq!(schema_errors(&validator, &broken).len(), 1);
    // What the 2.3 schema leaves to the spec: id charset and uniqueness.
    let ids: Vec<&str> = doc["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|p| p["SPDXID"].as_str().expect("SPDXID"))
        .collect();
    for id in &ids {
        let rest = id.strip_prefix("SPDXRef-").expect("SPDXRef- prefix");
        assert!(
            rest.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-'),
            "{id}"
        );
    }
    let mut unique = ids.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "{ids:?}");
    insta::assert_snapshot!(redact(&first, &repo));

    // SOURCE_DATE_EPOCH decides `created`, and so the namespace; nothing else.
    let dated = create(
        &work.path().join("c"),
        &repo,
        work.path(),
        Some("1234567890"),
    );
    let dated_doc: serde_json::Value = serde_json::from_str(&dated).expect("JSON");
    assert_eq!(schema_errors(&validator, &dated_doc), Vec::<String>::new());
    assert_eq!(dated_doc["creationInfo"]["created"], "2009-02-13T23:31:30Z");
    assert_ne!(dated_doc["documentNamespace"], doc["documentNamespace"]);
    let strip = |v: &serde_json::Value| {
        let mut v = v.clone();
        v["creationInfo"]["created"] = serde_json::Value::Null;
        v["documentNamespace"] = serde_json::Value::Null;
        v
    };
    assert_eq!(strip(&dated_doc), strip(&doc));
}

/// `--sbom` to a path that cannot be written: exit 2 and one line naming
/// it, before anything is extracted (DEST_DIR is not even created).
#[test]
fn sbom_to_an_unwritable_path_fails_before_extracting() {
    let dir = Dir::new();
    dir.write("repo/not-looked-at.rpm", b"");
    dir.write("include-rpm", b"");
    dir.write("exclude-rpm", b"");
    dir.write("remove-file", b"");
    fs::create_dir(dir.path().join("a-directory")).expect("mkdir");
    for (target, reason) in [
        ("missing/sbom.json", "no such file or directory"),
        ("a-directory", "is a directory"),
    ] {
        let out = dir
            .cmd()
            .args(["create", "venv", "-r", "repo", "--sbom", target])
            .run();
        assert_eq!(
            (out.code, out.stdout.as_str(), out.stderr.as_str()),
            (
                2,
                "",
                format!("venvjail: cannot write {target}: {reason}\n").as_str()
            )
        );
        assert!(!dir.path().join("venv").exists());
    }
    let out = dir
        .cmd()
        .args(["create", "venv", "-r", "repo", "--sbom", "sbom.json"])
        .env("SOURCE_DATE_EPOCH", "yesterday")
        .run();
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (
            2,
            "venvjail: SOURCE_DATE_EPOCH=yesterday is not a number of seconds since 1970 (0 to 253402300799)\n"
        )
    );
    assert!(!dir.path().join("venv").exists());
    assert!(!dir.path().join("sbom.json").exists());
}

/// A distribution no package wrote (already in a `--force`d DEST_DIR) is
/// listed and contained by the venv itself; one a deb wrote is generated
/// from the deb.
#[test]
fn sbom_lists_a_distribution_no_package_wrote() {
    if !have_tools("sbom_lists_a_distribution_no_package_wrote", &["dpkg-deb"])
        || !on_path("python3")
    {
        return;
    }
    let work = Dir::new();
    let stage = work.path().join("stage");
    put(
        &stage,
        "usr/lib/python3/dist-packages/delta-3.1.dist-info/METADATA",
        &metadata("delta", "3.1", ""),
        0o644,
    );
    fs::create_dir(work.path().join("repo")).expect("repo");
    dpkg_build(
        &work.path().join("repo"),
        &stage,
        &control("python3-delta", "3.1-1"),
        None,
        "python3-delta_3.1-1_all.deb",
    );
    work.write(
        "venv/lib/python3/dist-packages/local-0.1.dist-info/METADATA",
        metadata("local", "0.1", ""),
    );
    work.write("empty", "");
    let out = work
        .cmd()
        .args([
            "-q",
            "create",
            "venv",
            "--force",
            "-r",
            "repo",
            "-i",
            "empty",
            "-e",
            "empty",
            "-d",
            "empty",
            "--sbom",
            "sbom.json",
        ])
        .env_remove("SOURCE_DATE_EPOCH")
        .run();
    assert_eq!((out.code, out.stderr.as_str()), (0, ""));
    let doc: serde_json::Value =
        serde_json::from_slice(&work.read("sbom.json")).expect("SBOM is JSON");
    assert_eq!(
        schema_errors(&schema_validator(), &doc),
        Vec::<String>::new()
    );
    let relationships: Vec<String> = doc["relationships"]
        .as_array()
        .expect("relationships")
        .iter()
        .map(|r| {
            format!(
                "{} {} {}",
                r["spdxElementId"].as_str().expect("element"),
                r["relationshipType"].as_str().expect("type"),
                r["relatedSpdxElement"].as_str().expect("related")
            )
        })
        .collect();
    assert_eq!(
        relationships,
        [
            "SPDXRef-DOCUMENT DESCRIBES SPDXRef-Venv",
            "SPDXRef-Venv CONTAINS SPDXRef-DEB-python3-delta",
            "SPDXRef-DEB-python3-delta CONTAINS SPDXRef-Python-delta",
            "SPDXRef-Python-delta GENERATED_FROM SPDXRef-DEB-python3-delta",
            "SPDXRef-Venv CONTAINS SPDXRef-Python-local",
        ]
    );
    // No package build time, no SOURCE_DATE_EPOCH: the epoch itself.
    assert_eq!(doc["creationInfo"]["created"], "1970-01-01T00:00:00Z");
}

/// Runs an SBOM checker when it is installed (CI installs both from PyPI);
/// `None` when it is not.
fn checker(program: &str, args: &[&str], sbom: &Path) -> Option<(bool, String)> {
    let out = Command::new(program).args(args).arg(sbom).output().ok()?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Some((out.status.success(), text))
}

/// The two checkers SBOM users run accept the document: spdx-tools'
/// `pyspdxtools -i` (the DISTURL is in `sourceInfo` and an `OTHER`
/// reference, not in `downloadLocation`) and `ntia-checker` (every
/// package, distribution and the venv has a supplier; the venv has the
/// name and version given by `--sbom-name` and `--sbom-version`).
#[test]
fn sbom_passes_pyspdxtools_and_ntia_checker() {
    if !have_tools("sbom_passes_pyspdxtools_and_ntia_checker", &RPM_TOOLS)
        || !have_tools("sbom_passes_pyspdxtools_and_ntia_checker", &["dpkg-deb"])
        || !on_path("python3")
    {
        return;
    }
    let work = Dir::new();
    let repo = build_repo(work.path());
    let mut cmd = TestCommand::new();
    cmd.cwd(work.path())
        .args(["-q", "create", "build-dir", "--sbom", "sbom.json"])
        .args([
            "--sbom-name",
            "venv-demo",
            "--sbom-version",
            "4.2-1.1",
            "-r",
        ])
        .arg_path(&repo)
        .args(["-i", "empty", "-e", "empty", "-d", "remove-file"]);
    let out = cmd.run();
    assert_eq!((out.code, out.stderr.as_str()), (0, ""), "{}", out.stderr);
    let sbom = work.path().join("sbom.json");
    let doc: serde_json::Value = serde_json::from_slice(&work.read("sbom.json")).expect("JSON");
    assert_eq!(
        schema_errors(&schema_validator(), &doc),
        Vec::<String>::new()
    );
    let venv = &doc["packages"][0];
    assert_eq!(
        (&venv["name"], &venv["versionInfo"], &venv["supplier"]),
        (
            &serde_json::Value::from("venv-demo"),
            &serde_json::Value::from("4.2-1.1"),
            &serde_json::Value::from("Organization: openSUSE")
        )
    );
    let alpha = doc["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .find(|p| p["name"] == "python311-alpha")
        .expect("alpha");
    assert_eq!(alpha["downloadLocation"], "NOASSERTION");
    assert_eq!(
        alpha["sourceInfo"],
        "built by the Open Build Service, DISTURL \
         obs://build.opensuse.org/devel:languages:python/openSUSE_Tumbleweed/0123abcd-python-alpha"
    );
    let mut ran = 0;
    match checker("pyspdxtools", &["-i"], &sbom) {
        Some((ok, text)) => {
            assert!(ok, "pyspdxtools -i rejects the SBOM:\n{text}");
            ran += 1;
        }
        None => eprintln!("sbom_passes_pyspdxtools_and_ntia_checker: pyspdxtools not installed (pip install spdx-tools)"),
    }
    match checker("ntia-checker", &[], &sbom) {
        Some((ok, text)) => {
            assert!(ok && text.contains("Conformant: True"), "ntia-checker:\n{text}");
            ran += 1;
        }
        None => eprintln!("sbom_passes_pyspdxtools_and_ntia_checker: ntia-checker not installed (pip install ntia-conformance-checker)"),
    }
    println!("sbom_passes_pyspdxtools_and_ntia_checker: {ran} of 2 checkers ran");
}
