# SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE.
# shellcheck shell=bash
# Shared helpers for scripts/test.sh and scripts/demo.sh (sourced, not run).
#
# What they need on a fresh Debian 12: the Debian packages below, node >= 18
# with npm (Debian's nodejs/npm unless a node >= 18 is already there) and the
# test OP's npm packages (test/integration/op, from its package-lock.json);
# the tests also Chromium and playwright-core (install_browser).

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck disable=SC2034
BUILD_DIR="${ITSME_BUILD_DIR:-$REPO/build}"
# shellcheck disable=SC2034
ASAN_BUILD_DIR="${ITSME_ASAN_BUILD_DIR:-$REPO/build-asan}"
OP_DIR="$REPO/test/integration/op"
# shellcheck disable=SC2034
PYTHON=/usr/bin/python3

# apache2-bin (the httpd binary and its modules) rather than apache2: the
# tests and the demo run their own httpd with a generated config on loopback
# ports, so the system service (port 80, /etc/apache2) is not needed.
DEB_PACKAGES=(build-essential autoconf automake libtool pkg-config
    apache2-bin media-types apache2-dev libapr1-dev libaprutil1-dev
    libcurl4-openssl-dev libjansson-dev libcjose-dev libssl-dev
    check libsubunit-dev python3-pytest curl openssl redis-server memcached
    debhelper dpkg-dev)   # the last two: the package stage (dpkg-buildpackage)

say() { printf '==> %s\n' "$*" >&2; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

jobs_count() { nproc 2>/dev/null || echo 2; }

deb_installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

node_ok() {
    command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || return 1
    local major
    major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null)" || return 1
    [ "${major:-0}" -ge 18 ]
}

# Install whatever Debian packages are missing (apt-get update only then).
install_deps() {
    local missing=() p
    for p in "${DEB_PACKAGES[@]}"; do
        deb_installed "$p" || missing+=("$p")
    done
    if ! node_ok; then
        deb_installed nodejs || missing+=(nodejs)
        deb_installed npm || missing+=(npm)
    fi
    if [ "${#missing[@]}" -eq 0 ]; then
        say "system packages: all present"
        return 0
    fi
    [ "$(id -u)" -eq 0 ] || die "missing packages (${missing[*]}); run as root (sudo bash $0 if you are not root)"
    say "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq || die "apt-get update failed"
    apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null \
        || die "apt-get install failed"
    node_ok || die "node >= 18 with npm is required (found: $(node --version 2>/dev/null || echo none))"
}

# npm packages of the test OP; skipped when node_modules matches the lock.
install_op_packages() {
    local stamp="$OP_DIR/node_modules/.package-lock.json"
    if [ -f "$OP_DIR/package-lock.json" ] && [ -f "$stamp" ] && [ "$stamp" -nt "$OP_DIR/package-lock.json" ] \
        && [ -d "$OP_DIR/node_modules/oidc-provider" ]; then
        say "test OP npm packages: up to date"
        return 0
    fi
    say "installing the test OP's npm packages"
    if [ -f "$OP_DIR/package-lock.json" ]; then
        (cd "$OP_DIR" && npm ci --no-audit --no-fund --loglevel=error </dev/null)
    else
        (cd "$OP_DIR" && npm install --no-audit --no-fund --loglevel=error </dev/null)
    fi
}

# The real-browser test (test/integration/test_browser.py): Debian's
# Chromium, driven by npm playwright-core (test/integration/browser, from its
# package-lock.json; no browser download). Neither is needed by the demo;
# without them that test is skipped, saying why.
BROWSER_DIR="$REPO/test/integration/browser"
install_browser() {
    if deb_installed chromium; then
        say "chromium: present"
    elif [ "$(id -u)" -ne 0 ]; then
        warn "chromium missing and not root: the browser test will be skipped"
    else
        say "installing: chromium"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium \
            </dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -qq --no-install-recommends chromium </dev/null; } \
            || warn "apt-get install chromium failed: the browser test will be skipped"
    fi
    local stamp="$BROWSER_DIR/node_modules/.package-lock.json"
    if [ -f "$stamp" ] && [ "$stamp" -nt "$BROWSER_DIR/package-lock.json" ] \
        && [ -d "$BROWSER_DIR/node_modules/playwright-core" ]; then
        say "browser test npm packages: up to date"
        return 0
    fi
    say "installing the browser test's npm packages"
    (cd "$BROWSER_DIR" && npm ci --no-audit --no-fund --loglevel=error </dev/null)
}

# ./autogen.sh when configure is missing or older than its sources.
bootstrap() {
    if [ ! -x "$REPO/configure" ] || [ "$REPO/configure.ac" -nt "$REPO/configure" ] \
        || [ "$REPO/Makefile.am" -nt "$REPO/Makefile.in" ]; then
        say "autogen.sh"
        (cd "$REPO" && ./autogen.sh) || return 1
    fi
}

# build_tree DIR [configure args...] [-- make targets...]: out-of-tree build.
build_tree() {
    local dir="$1"; shift
    local conf=() targets=()
    while [ $# -gt 0 ]; do
        if [ "$1" = "--" ]; then shift; targets=("$@"); break; fi
        conf+=("$1"); shift
    done
    mkdir -p "$dir"
    local want="${conf[*]}"
    if [ ! -f "$dir/Makefile" ] || [ "$(cat "$dir/.itsme-configure-args" 2>/dev/null)" != "$want" ]; then
        say "configure in ${dir#"$REPO"/} ${want}"
        (cd "$dir" && "$REPO/configure" -q "${conf[@]}") || return 1
        printf '%s' "$want" > "$dir/.itsme-configure-args"
    fi
    say "make in ${dir#"$REPO"/} ${targets[*]}"
    # -k: one broken file must not hide everything else that does build;
    # products are removed first so a stale one is never tested.
    rm -f "$dir/test/unit/check_itsme" "$dir/.libs/mod_auth_itsme.so" "$dir/mod_auth_itsme.la"
    # one target at a time: "all" recurses into a second make, which would
    # relink libitsme.la while a parallel top-level target links against it
    local t rc=0
    [ "${#targets[@]}" -gt 0 ] || targets=(all)
    for t in "${targets[@]}"; do
        make -k -C "$dir" -j"$(jobs_count)" "$t" || rc=1
    done
    return $rc
}

# Is every directory above $1 traversable by user $2 (httpd children)?
traversable_by() {
    local path="$1" user="$2"
    command -v runuser >/dev/null 2>&1 || return 0
    runuser -u "$user" -- test -x "$path" 2>/dev/null
}
