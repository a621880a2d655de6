//! A fake repository whose binaries have real RPM headers: one spec with a
//! python311 stack as subpackages, built once per test process by
//! `rpmbuild` (tiny ELF libraries compiled by gcc give real sonames), and
//! the helpers that serve its headers as OBS's `view=cpioheaders` does.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::fake_obs::{FakeObs, PROJECT};

/// The example's stack. Each subpackage carries a case of DESIGN §5.2:
/// sonames from real ELF files (`libzmq.so.5()(64bit)`), `python(abi) =
/// 3.11` (provided by the excluded python311-base), a file dependency
/// nothing in the venv ships (`/usr/sbin/useradd`), `Requires(pre)` and
/// `Requires(post)` that are skipped, an unversioned Provides
/// (`salt-python`), an epoch (`python311-zope.interface` 1:5.5.2, and a
/// `python311-Jinja2 >= 1:3.0` the venv's 3.1.2 cannot meet), rich
/// dependencies (one met, one not), a versioned requirement the venv cannot
/// meet (`python311-msgpack >= 2.0`), a `salt = 3006.0-1.1` while the venv
/// has 3006.0-1.2 (an inconsistent repository), and a requirement only the
/// excluded `-devel` package provides (`pkgconfig(libzmq)`).
pub const STACK_SPEC: &str = r#"Name:           salt
Version:        3006.0
Release:        1.2
Summary:        A parallel remote execution system
License:        Apache-2.0
Requires:       python311-salt = %{version}-%{release}
Requires:       salt-python >= 3000
Requires:       /usr/sbin/useradd
Requires:       logrotate
Requires(pre):  shadow
%description
Salt.

%package -n salt-minion
Summary:        The client component of Salt
Requires:       salt = 3006.0-1.1
Requires:       (python311-msgpack or python311-umsgpack)
Requires(pre):  /usr/sbin/groupadd
Requires(post): fillup
%description -n salt-minion
Minion.

%package -n salt-bash-completion
Summary:        Bash completion for salt
BuildArch:      noarch
Requires:       bash-completion
%description -n salt-bash-completion
Completion.

%package -n python311-salt
Summary:        Salt's Python modules
BuildArch:      noarch
Provides:       salt-python
Provides:       python3.11dist(salt) = 3006.0
Requires:       python(abi) = 3.11
Requires:       python311-PyYAML >= 5.1
Requires:       python311-Jinja2 >= 1:3.0
Requires:       python311-msgpack > 0.3
Requires:       python311-msgpack >= 2.0
Requires:       python311-pyzmq >= 2.2.0
Requires:       python311-requests >= 1.0.0
Requires:       python311-zope.interface >= 5.0
Requires:       python311-typing_extensions
Requires:       (python311-pycryptodomex >= 3.9.7 or python311-M2Crypto)
%description -n python311-salt
Modules.

%package -n python311
Version:        3.11.5
Release:        1.1
Summary:        Python 3.11
Requires:       python311-base = 3.11.5
Requires:       libpython3_11-1_0 = 3.11.5
%description -n python311
Python.

%package -n libpython3_11-1_0
Version:        3.11.5
Release:        1.1
Summary:        The Python 3.11 library
%description -n libpython3_11-1_0
Library.

%package -n libffi8
Version:        3.4.4
Release:        1.1
Summary:        libffi
%description -n libffi8
Library.

%package -n libsodium23
Version:        1.0.18
Release:        1.1
Summary:        libsodium
%description -n libsodium23
Library.

%package -n libzmq5
Version:        4.3.4
Release:        1.1
Summary:        ZeroMQ
%description -n libzmq5
Library.

%package -n libyaml-0-2
Version:        0.2.5
Release:        1.1
Summary:        libyaml
%description -n libyaml-0-2
Library.

%package -n python311-PyYAML
Version:        6.0.1
Release:        150400.3.1
Summary:        YAML for Python
Provides:       python3.11dist(pyyaml) = 6.0.1
Requires:       python(abi) = 3.11
%description -n python311-PyYAML
YAML.

%package -n python311-pyzmq
Version:        25.1.1
Release:        1.1
Summary:        ZeroMQ for Python
Requires:       python(abi) = 3.11
Requires:       pkgconfig(libzmq) >= 4.0
%description -n python311-pyzmq
ZeroMQ.

%package -n python311-Jinja2
Version:        3.1.2
Release:        150400.1.1
Summary:        Jinja2
BuildArch:      noarch
Requires:       python(abi) = 3.11
Requires:       python311-MarkupSafe >= 2.0
%description -n python311-Jinja2
Templates.

%package -n python311-MarkupSafe
Version:        2.1.3
Release:        1.1
Summary:        MarkupSafe
Requires:       python(abi) = 3.11
%description -n python311-MarkupSafe
Markup.

%package -n python311-msgpack
Version:        1.0.5
Release:        1.1
Summary:        msgpack
Requires:       python(abi) = 3.11
%description -n python311-msgpack
Msgpack.

%package -n python311-typing_extensions
Version:        4.7.1
Release:        1.1
Summary:        typing_extensions
BuildArch:      noarch
Requires:       python(abi) = 3.11
%description -n python311-typing_extensions
Typing.

%package -n python311-zope.interface
Version:        5.5.2
Release:        150500.1.1
Epoch:          1
Summary:        zope.interface
Requires:       python(abi) = 3.11
%description -n python311-zope.interface
Interfaces.

%package -n python311-base
Version:        3.11.5
Release:        1.1
Summary:        Python 3.11 base (excluded from venvs)
%description -n python311-base
Base.

%package -n python311-pyzmq-devel
Version:        25.1.1
Release:        1.1
Summary:        pyzmq headers
Requires:       python311-pyzmq = 25.1.1
Requires:       zeromq-devel
%description -n python311-pyzmq-devel
Headers.

%package -n python311-requests
Version:        2.31.0
Release:        1.1
Summary:        requests (in the repository only when a test adds it)
BuildArch:      noarch
Requires:       python(abi) = 3.11
%description -n python311-requests
Requests.

%package -n zeromq-devel
Version:        4.3.4
Release:        1.1
Summary:        ZeroMQ headers
Provides:       pkgconfig(libzmq) = 4.3.4
Requires:       libzmq5 = 4.3.4
%description -n zeromq-devel
Headers.

%prep
%build
lib() { n=$1; so=$2; shift 2; echo "int ${n}_v(void) { return 1; }" > $n.c; gcc -shared -fPIC -Wl,-soname,$so -o $so $n.c "$@"; }
lib ffi libffi.so.8
lib sodium libsodium.so.23
lib zmq libzmq.so.5 -L. -l:libsodium.so.23
lib yaml libyaml-0.so.2
lib python libpython3.11.so.1.0 -L. -l:libffi.so.8
lib pyzmq _zmq.so -L. -l:libzmq.so.5
lib pyyaml _yaml.so -L. -l:libyaml-0.so.2
%install
s=%{buildroot}/usr/share/fakestack
l=%{buildroot}%{_libdir}
p=%{buildroot}%{_libdir}/python3.11/site-packages
mkdir -p $s $l $p %{buildroot}/usr/bin
for f in salt salt-minion salt-bash-completion python311-salt python311-requests python311-base python311-pyzmq-devel python311-Jinja2 python311-MarkupSafe python311-msgpack python311-typing_extensions python311-zope.interface zeromq-devel; do echo $f > $s/$f; done
echo '#!/bin/sh' > %{buildroot}/usr/bin/python3.11
install -m755 libffi.so.8 libsodium.so.23 libzmq.so.5 libyaml-0.so.2 libpython3.11.so.1.0 $l/
install -m755 _zmq.so _yaml.so $p/

%files
/usr/share/fakestack/salt
%files -n salt-minion
/usr/share/fakestack/salt-minion
%files -n salt-bash-completion
/usr/share/fakestack/salt-bash-completion
%files -n python311-salt
/usr/share/fakestack/python311-salt
%files -n python311
%attr(755,root,root) /usr/bin/python3.11
%files -n libpython3_11-1_0
%{_libdir}/libpython3.11.so.1.0
%files -n libffi8
%{_libdir}/libffi.so.8
%files -n libsodium23
%{_libdir}/libsodium.so.23
%files -n libzmq5
%{_libdir}/libzmq.so.5
%files -n libyaml-0-2
%{_libdir}/libyaml-0.so.2
%files -n python311-PyYAML
%{_libdir}/python3.11/site-packages/_yaml.so
%files -n python311-pyzmq
%{_libdir}/python3.11/site-packages/_zmq.so
%files -n python311-Jinja2
/usr/share/fakestack/python311-Jinja2
%files -n python311-MarkupSafe
/usr/share/fakestack/python311-MarkupSafe
%files -n python311-msgpack
/usr/share/fakestack/python311-msgpack
%files -n python311-typing_extensions
/usr/share/fakestack/python311-typing_extensions
%files -n python311-zope.interface
/usr/share/fakestack/python311-zope.interface
%files -n python311-base
/usr/share/fakestack/python311-base
%files -n python311-pyzmq-devel
/usr/share/fakestack/python311-pyzmq-devel
%files -n python311-requests
/usr/share/fakestack/python311-requests
%files -n zeromq-devel
/usr/share/fakestack/zeromq-devel
"#;

/// One built binary.
#[derive(Debug, Clone)]
pub struct Built {
    /// The package name.
    pub name: String,
    /// The `.rpm` file.
    pub path: PathBuf,
    /// Its lead, signature and main header, as `cpioheaders` carries them.
    pub header: Vec<u8>,
}

/// Builds `spec` with rpmbuild into `dir`; every binary, sorted by name.
pub fn build(spec: &str, dir: &Path) -> Vec<Built> {
    std::fs::create_dir_all(dir).unwrap();
    let spec_path = dir.join("stack.spec");
    std::fs::write(&spec_path, spec).unwrap();
    let out = Command::new("rpmbuild")
        .arg("-bb")
        .arg("--quiet")
        .arg("--define")
        .arg(format!("_topdir {}", dir.join("top").display()))
        .args(["--define", "debug_package %{nil}"])
        .args(["--define", "_build_id_links none"])
        .args(["--define", "source_date_epoch_from_changelog 0"])
        .args(["--define", "use_source_date_epoch_as_buildtime 1"])
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .arg(&spec_path)
        .output()
        .expect("run rpmbuild");
    assert!(
        out.status.success(),
        "rpmbuild failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut built = Vec::new();
    let mut stack = vec![dir.join("top/RPMS")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rpm") {
                let bytes = std::fs::read(&p).unwrap();
                let q = Command::new("rpm")
                    .args(["-qp", "--qf", "%{NAME}"])
                    .arg(&p)
                    .output()
                    .unwrap();
                built.push(Built {
                    name: String::from_utf8(q.stdout).unwrap(),
                    path: p,
                    header: header_bytes(&bytes),
                });
            }
        }
    }
    built.sort_by(|a, b| a.name.cmp(&b.name));
    built
}

/// The example's stack, built once per process.
pub fn stack() -> &'static [Built] {
    static STACK: OnceLock<(tempfile::TempDir, Vec<Built>)> = OnceLock::new();
    &STACK
        .get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let built = build(STACK_SPEC, dir.path());
            (dir, built)
        })
        .1
}

/// Serves the stack's headers for the default repository (`SLE_15`,
/// `x86_64` of [`PROJECT`]) and for the `salt` package's build result.
pub fn serve_stack(obs: &FakeObs) {
    let members: Vec<(String, Vec<u8>)> = stack()
        .iter()
        .map(|b| (b.name.clone(), b.header.clone()))
        .collect();
    obs.cpio_headers(
        &format!("/build/{PROJECT}/SLE_15/x86_64/_repository"),
        members,
    );
    let salt: Vec<(String, Vec<u8>)> = stack()
        .iter()
        .filter(|b| {
            [
                "salt",
                "salt-minion",
                "salt-bash-completion",
                "python311-salt",
            ]
            .contains(&b.name.as_str())
        })
        .map(|b| {
            let file = b.path.file_name().unwrap().to_string_lossy().into_owned();
            (file, b.header.clone())
        })
        .collect();
    obs.cpio_headers(&format!("/build/{PROJECT}/SLE_15/x86_64/salt"), salt);
}

/// The lead, signature header (padded to 8) and main header of an RPM.
pub fn header_bytes(rpm: &[u8]) -> Vec<u8> {
    let header_len = |at: usize| {
        let be = |i: usize| u32::from_be_bytes(rpm[i..i + 4].try_into().unwrap()) as usize;
        16 + be(at + 8) * 16 + be(at + 12)
    };
    let sig = header_len(96);
    let main_at = 96 + sig + (8 - sig % 8) % 8;
    let end = main_at + header_len(main_at);
    rpm[..end].to_vec()
}

/// A spec whose subpackages are `binaries` (`name`, `[epoch:]version-release`,
/// `arch`), empty, each with only rpm's own Provides.
pub fn plain_spec(binaries: &[(&str, &str, &str)]) -> String {
    let mut s = String::from(
        "Name: fakerepo\nVersion: 1\nRelease: 1\nSummary: s\nLicense: MIT\n%description\nd\n",
    );
    for (name, evr, arch) in binaries {
        let (epoch, vr) = evr.split_once(':').unwrap_or(("", evr));
        let (version, release) = vr.rsplit_once('-').unwrap_or((vr, "0"));
        s.push_str(&format!(
            "%package -n {name}\nVersion: {version}\nRelease: {release}\nSummary: {name}\n"
        ));
        if !epoch.is_empty() {
            s.push_str(&format!("Epoch: {epoch}\n"));
        }
        if *arch == "noarch" {
            s.push_str("BuildArch: noarch\n");
        }
        s.push_str(&format!("%description -n {name}\n{name}\n"));
    }
    s.push_str("%prep\n%build\n%install\n");
    for (name, ..) in binaries {
        s.push_str(&format!("%files -n {name}\n"));
    }
    s
}

/// Serves the headers of `binaries` (built once per process per list) for
/// `_repository` of `project/repository/arch`.
pub fn serve_plain(
    obs: &FakeObs,
    project: &str,
    repository: &str,
    arch: &str,
    binaries: &[(&str, &str, &str)],
) {
    type Cache = std::sync::Mutex<Vec<(String, tempfile::TempDir, Vec<Built>)>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let spec = plain_spec(binaries);
    let cache = CACHE.get_or_init(Default::default);
    let mut cache = cache
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if !cache.iter().any(|(s, ..)| *s == spec) {
        let dir = tempfile::tempdir().unwrap();
        let built = build(&spec, dir.path());
        cache.push((spec.clone(), dir, built));
    }
    let built = &cache.iter().find(|(s, ..)| *s == spec).unwrap().2;
    obs.cpio_headers(
        &format!("/build/{project}/{repository}/{arch}/_repository"),
        built
            .iter()
            .map(|b| (b.name.clone(), b.header.clone()))
            .collect(),
    );
}
