#!/bin/sh
# Fixtures for benches/create_extract.rs: real packages as openSUSE would
# ship them. Downloads Debian python3-* .debs (`apt-get download`), unpacks
# each with `dpkg-deb -x` and repacks it with rpmbuild (zstd payload, no
# debuginfo, no brp scripts, no build-id links), plus one package holding a
# single 50 MB file of deterministic, poorly compressible bytes.
#
# Usage: benches/fixtures.sh OUT   (OUT/rpms/*.rpm is the result)
# PAYLOAD=w6.gzdio (or w9.xzdio, …) picks another payload compressor;
# the default is zstd, as openSUSE and Fedora build today.
# Everything is cached in OUT; a rerun only builds what is missing.
set -eu

OUT=${1:?usage: fixtures.sh OUT}
mkdir -p "$OUT/debs" "$OUT/rpms" "$OUT/work"
OUT=$(cd "$OUT" && pwd)

PACKAGES="python3-yaml python3-jinja2 python3-markupsafe python3-requests
python3-urllib3 python3-idna python3-certifi python3-six python3-packaging
python3-setuptools python3-pkg-resources python3-zmq python3-msgpack
python3-psutil python3-distro python3-cryptography python3-cffi
python3-cffi-backend python3-pycparser python3-chardet python3-attr
python3-dateutil python3-tz python3-babel python3-pygments python3-docutils
python3-lxml python3-numpy python3-toml python3-tornado
python3-zope.interface python3-mako python3-markdown python3-simplejson
python3-ujson python3-pyasn1 python3-rsa python3-oauthlib python3-jwt
python3-openssl python3-serial python3-wheel python3-pip python3-click
python3-colorama python3-decorator python3-sqlalchemy python3-pil
python3-bs4 python3-html5lib python3-soupsieve python3-webencodings"

# 1. Debian packages.
cd "$OUT/debs"
for p in $PACKAGES; do
    if ! ls "${p}"_*.deb >/dev/null 2>&1; then
        apt-get download -q "$p" >/dev/null 2>&1 || echo "fixtures: cannot download $p (skipped)" >&2
    fi
done

# 2. One RPM per deb.
build_rpm() { # NAME VERSION TREE
    name=$1 version=$2 tree=$3
    top="$OUT/work/rpmbuild-$name"
    rm -rf "$top"
    mkdir -p "$top/SPECS" "$top/RPMS" "$top/BUILD"
    spec="$top/SPECS/$name.spec"
    {
        echo "Name: $name"
        echo "Version: $version"
        echo "Release: 1"
        echo "Summary: $name repacked from Debian for the venvjail benchmark"
        echo "License: various"
        # OBS sets Vendor from the project config; the SBOM's suppliers come from it.
        echo "Vendor: Debian"
        echo "AutoReqProv: no"
        echo "%description"
        echo "$name repacked from Debian."
        echo "%install"
        echo "mkdir -p %{buildroot}"
        echo "cp -a '$tree'/. %{buildroot}/"
        echo "%files"
        # Every top-level directory of the tree, recursively.
        for d in "$tree"/*; do
            echo "/$(basename "$d")"
        done
    } >"$spec"
    rpmbuild -bb --quiet \
        --define "_topdir $top" \
        --define "debug_package %{nil}" \
        --define "__os_install_post %{nil}" \
        --define "_build_id_links none" \
        --define "_binary_payload ${PAYLOAD:-w19.zstdio}" \
        --define "_unpackaged_files_terminate_build 0" \
        "$spec" >"$top/build.log" 2>&1 || {
        echo "fixtures: rpmbuild failed for $name, see $top/build.log" >&2
        return 1
    }
    find "$top/RPMS" -name '*.rpm' -exec mv {} "$OUT/rpms/" \;
    rm -rf "$top"
}

for deb in "$OUT"/debs/*.deb; do
    [ -e "$deb" ] || continue
    name=$(dpkg-deb -f "$deb" Package)
    if ls "$OUT/rpms/$name"-[0-9]*.rpm >/dev/null 2>&1; then continue; fi
    version=$(dpkg-deb -f "$deb" Version | sed -e 's/^[0-9]*://' -e 's/[^A-Za-z0-9._+]/_/g')
    tree="$OUT/work/tree-$name"
    rm -rf "$tree"
    mkdir -p "$tree"
    dpkg-deb -x "$deb" "$tree"
    build_rpm "$name" "$version" "$tree" || true
    rm -rf "$tree"
done

# 3. A single 50 MB file that compresses poorly (same bytes every time).
if ! ls "$OUT/rpms/bench-bigfile"-[0-9]*.rpm >/dev/null 2>&1; then
    tree="$OUT/work/tree-bigfile"
    rm -rf "$tree"
    mkdir -p "$tree/usr/share/bench-bigfile"
    python3 -c 'import random, sys; sys.stdout.buffer.write(random.Random(20240601).randbytes(50 * 1024 * 1024))' \
        >"$tree/usr/share/bench-bigfile/blob.bin"
    build_rpm bench-bigfile 1.0 "$tree"
    rm -rf "$tree"
fi
rm -rf "$OUT/work"
