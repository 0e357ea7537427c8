#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE.
# The release checks scripts/test.sh runs as its "dist" and "package" stages
# (each can also be run alone, as root for "package"):
#
#   bash scripts/release-check.sh dist BUILD_DIR
#       make distcheck in the configured BUILD_DIR, then the tarball's
#       contents: docs, conf, licence, NEWS, debian/, scripts, bench, the unit
#       and integration test sources; every file git tracks; no node_modules,
#       caches or build outputs.
#
#   bash scripts/release-check.sh package WORK_DIR
#       copies the tree (what git tracks or would track, without build
#       directories) to WORK_DIR/src, builds the Debian package there with
#       dpkg-buildpackage -us -uc -b, installs it with dpkg -i (apache2 too
#       when it is missing, for a2enmod), enables it with a2enmod, runs
#       apache2ctl -t, then disables and purges it and whatever it installed:
#       the machine is left as it was.
#
# Each check prints "ok   <what>" or "FAIL <what>"; the last line is
# "N passed, M failed". Exit status 0 only when nothing failed.

set -uo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PKG=libapache2-mod-auth-itsme
PASSED=0
FAILED=0

ok() { PASSED=$((PASSED + 1)); printf 'ok   %s\n' "$*"; }
fail() { FAILED=$((FAILED + 1)); printf 'FAIL %s\n' "$*"; }
check() { # what cmd... : ok when cmd succeeds (its output goes to the log)
    local what="$1"; shift
    if "$@"; then ok "$what"; else fail "$what"; fi
}
finish() {
    printf '%d passed, %d failed\n' "$PASSED" "$FAILED"
    [ "$FAILED" -eq 0 ]
}

# the one version: configure.ac's AC_INIT
VERSION="$(sed -n 's/^AC_INIT(\[mod_auth_itsme\], *\[\([^]]*\)\].*/\1/p' "$REPO/configure.ac")"

# ---------------------------------------------------------------------------
# dist

tarball_has() { # listing path: an entry named path (a file, or a directory's content)
    awk -v p="$2" '{ sub(/^[^\/]+\//, "") } $0 == p || index($0, p "/") == 1 { found = 1 } END { exit !found }' "$1"
}

dist_check() {
    local build="$1" tarball listing f missing=() bad
    # NEWS reads as a version history whose newest section is this version
    check "NEWS's newest section is configure.ac's version ($VERSION)" \
        test "$(grep -m1 -E '^[0-9]+\.[0-9]+\.[0-9]+' "$REPO/NEWS" | cut -d' ' -f1)" = "$VERSION"
    [ -f "$build/Makefile" ] || { fail "make distcheck: $build is not configured"; finish; return; }
    tarball="$build/mod_auth_itsme-$VERSION.tar.gz"
    rm -f "$tarball"
    echo "==> make distcheck in $build"
    check "make distcheck" make -C "$build" distcheck
    [ -f "$tarball" ] || { fail "the tarball ${tarball##*/} exists"; finish; return; }
    ok "the tarball ${tarball##*/} exists"
    listing="$(mktemp)"
    # shellcheck disable=SC2064
    trap "rm -f '$listing'" RETURN
    tar -tzf "$tarball" >"$listing"
    for f in README.md NEWS LICENSE NOTICE configure Makefile.in autogen.sh \
        docs/directives.md docs/itsme-e2e.md conf/auth_itsme.load conf/auth_itsme.conf \
        conf/example-itsme-e2e.conf debian/control debian/rules debian/changelog debian/copyright \
        debian/source/format "debian/$PKG.apache2" scripts/test.sh scripts/lib.sh scripts/lint.py \
        scripts/release-check.sh bench/run.sh test/unit/check_main.c test/unit/tests.h \
        test/integration/conftest.py test/integration/harness.py test/integration/hostile_op.js \
        test/integration/backends test/integration/op/op.js test/integration/op/package.json \
        test/integration/op/package-lock.json; do
        tarball_has "$listing" "$f" || missing+=("$f")
    done
    if [ "${#missing[@]}" -eq 0 ]; then ok "the tarball holds the docs, conf, licence, debian/, scripts, bench and tests"
    else fail "the tarball lacks: ${missing[*]}"; fi
    # every file git tracks (the .gitignore files and .ci aside)
    if git -C "$REPO" rev-parse --git-dir >/dev/null 2>&1; then
        missing=()
        while IFS= read -r f; do
            case "$f" in .gitignore|*/.gitignore) continue ;; esac
            tarball_has "$listing" "$f" || missing+=("$f")
        done < <(git -C "$REPO" ls-files)
        if [ "${#missing[@]}" -eq 0 ]; then ok "the tarball holds every file git tracks"
        else fail "files git tracks missing from the tarball: ${missing[*]}"; fi
    fi
    bad="$(grep -E '(^|/)(node_modules|__pycache__|\.pytest_cache|\.libs|\.deps|build|build-asan|autom4te\.cache)(/|$)|\.(o|lo|la|so|pyc|log|trs)$|/check_itsme$|/config\.status$' \
        "$listing" | grep -vE '^[^/]+/build-aux(/|$)' | head -n 20)"
    if [ -z "$bad" ]; then ok "no node_modules, caches or build outputs in the tarball"
    else fail "the tarball holds what is not source:"; printf '%s\n' "$bad" | sed 's/^/     /'; fi
    finish
}

# ---------------------------------------------------------------------------
# package

pkg_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
installed_set() { dpkg-query -W -f='${Package}\t${Status}\n' 2>/dev/null | awk -F'\t' '$2 ~ / installed$/ {print $1}' | sort; }

# dpkg and apt wait for a lock another installer holds, up to 10 minutes
with_dpkg_lock() {
    local tries out rc
    for tries in $(seq 120 -1 1); do
        out="$("$@" 2>&1)"; rc=$?
        printf '%s\n' "$out"
        [ "$rc" -ne 0 ] && [ "$tries" -gt 1 ] \
            && grep -qiE 'could not get lock|frontend lock|/var/lib/dpkg/lock' <<<"$out" || return "$rc"
        sleep 5
    done
    return "$rc"
}

apt_install() {
    with_dpkg_lock env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        -o DPkg::Lock::Timeout=600 "$@" </dev/null
}

APT_INSTALLED=()   # packages this check installed (apache2 and its dependencies)
before=""          # the installed package set before the check
OWN_POLICY_RC=0

restore_machine() {
    if dpkg-query -W -f='${Status}' "$PKG" 2>/dev/null | grep -qv 'not-installed'; then
        command -v a2dismod >/dev/null 2>&1 && a2dismod -q -f auth_itsme >/dev/null 2>&1
        with_dpkg_lock dpkg --purge "$PKG"
    fi
    if [ "${#APT_INSTALLED[@]}" -gt 0 ]; then
        echo "==> purging what this check installed: ${APT_INSTALLED[*]}"
        with_dpkg_lock env DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq \
            -o DPkg::Lock::Timeout=600 "${APT_INSTALLED[@]}" </dev/null
        APT_INSTALLED=()
    fi
    if [ "$OWN_POLICY_RC" -eq 1 ]; then
        rm -f /usr/sbin/policy-rc.d
        OWN_POLICY_RC=0
    fi
}

copy_tree() { # dest: the source tree as git has it (tracked + untracked, not ignored), or without build dirs
    local dest="$1"
    mkdir -p "$dest"
    if git -C "$REPO" rev-parse --git-dir >/dev/null 2>&1; then
        (cd "$REPO" && git ls-files -co --exclude-standard -z \
            | grep -zvE '(^|/)(node_modules|build|build-asan)(/|$)' | tar --null -T - -cf -) | tar -C "$dest" -xf -
    else
        (cd "$REPO" && tar --exclude=./build --exclude=./build-asan --exclude=node_modules --exclude=.git \
            --exclude=__pycache__ -cf - .) | tar -C "$dest" -xf -
    fi
}

package_check() {
    local work="$1" arch deb src p planned=()
    [ "$(id -u)" -eq 0 ] || { fail "package check: needs root (dpkg -i)"; finish; return; }
    if pkg_installed "$PKG"; then
        fail "$PKG is already installed on this machine; the check will not replace it (dpkg --purge $PKG first)"
        finish; return
    fi
    arch="$(dpkg --print-architecture)"
    deb="$work/${PKG}_${VERSION}_${arch}.deb"
    src="$work/src"
    rm -rf "$work"
    mkdir -p "$work"
    copy_tree "$src"
    check "debian/changelog's version is configure.ac's ($VERSION)" \
        test "$(cd "$src" && dpkg-parsechangelog -S Version)" = "$VERSION"

    # the unit tests are a stage of their own: nocheck here
    echo "==> dpkg-buildpackage -us -uc -b in $src"
    if (cd "$src" && DEB_BUILD_OPTIONS="nocheck ${DEB_BUILD_OPTIONS:-}" dpkg-buildpackage -us -uc -b); then
        ok "dpkg-buildpackage -us -uc -b"
    else
        fail "dpkg-buildpackage -us -uc -b"; finish; return
    fi
    if [ ! -f "$deb" ]; then fail "no ${deb##*/} in $work: $(ls "$work")"; finish; return; fi
    ok "built ${deb##*/}"
    local listing
    listing="$(dpkg-deb -c "$deb" | awk '{print $NF}')"
    local f missing=()
    for f in ./usr/lib/apache2/modules/mod_auth_itsme.so ./etc/apache2/mods-available/auth_itsme.load \
        ./etc/apache2/mods-available/auth_itsme.conf "./usr/share/doc/$PKG/copyright" \
        "./usr/share/doc/$PKG/NEWS.gz" "./usr/share/doc/$PKG/README.md" \
        "./usr/share/doc/$PKG/docs/directives.md" "./usr/share/doc/$PKG/docs/itsme-e2e.md" \
        "./usr/share/doc/$PKG/examples/example-itsme-e2e.conf" \
        "./usr/share/doc/$PKG/examples/example-broker.conf"; do
        grep -qxF "$f" <<<"$listing" || missing+=("$f")
    done
    # the README's conf/... links, answered by the examples
    dpkg-deb -c "$deb" | grep -qE "\./usr/share/doc/$PKG/conf -> (/usr/share/doc/$PKG/)?examples\$" \
        || missing+=("./usr/share/doc/$PKG/conf -> examples")
    if [ "${#missing[@]}" -eq 0 ]; then ok "the package holds the module, its .load/.conf, docs and examples"
    else fail "the package lacks: ${missing[*]}"; fi

    trap 'restore_machine' EXIT
    # no service start during the installs (a container has no init; a host's
    # port 80 may be taken): Debian's policy-rc.d convention, only if none is there
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && OWN_POLICY_RC=1
    fi
    before="$(installed_set)"
    if ! pkg_installed apache2; then
        echo "==> installing apache2 (for a2enmod and apache2ctl)"
        # what apt will install for it (not whatever else another installer
        # adds meanwhile): those are purged at the end
        mapfile -t planned < <(apt-get install -s --no-install-recommends apache2 2>/dev/null | awk '/^Inst /{print $2}')
        apt_install apache2 || { apt-get update -qq -o DPkg::Lock::Timeout=600 && apt_install apache2; }
        for p in "${planned[@]}"; do
            grep -qxF "$p" <<<"$before" || ! pkg_installed "$p" || APT_INSTALLED+=("$p")
        done
        [ "${#APT_INSTALLED[@]}" -gt 0 ] || APT_INSTALLED=(apache2)
        if ! pkg_installed apache2; then fail "apt-get install apache2"; finish; return; fi
        ok "apache2 installed for the check"
    fi

    check "dpkg -i ${deb##*/}" with_dpkg_lock dpkg -i "$deb"
    check "dpkg -i enabled the module (dh_apache2's postinst)" test -L /etc/apache2/mods-enabled/auth_itsme.load
    a2dismod -q auth_itsme
    check "a2enmod auth_itsme" a2enmod auth_itsme
    check "mods-enabled/auth_itsme.load links to mods-available" \
        test "$(readlink -f /etc/apache2/mods-enabled/auth_itsme.load)" = /etc/apache2/mods-available/auth_itsme.load
    check "apache2ctl -t: Syntax OK" apache2ctl -t
    check "apache2ctl -M lists auth_itsme_module" bash -c 'apache2ctl -M 2>/dev/null | grep -q auth_itsme_module'

    check "a2dismod auth_itsme" a2dismod -q auth_itsme
    check "dpkg --purge $PKG" with_dpkg_lock dpkg --purge "$PKG"
    local left=()
    for f in /usr/lib/apache2/modules/mod_auth_itsme.so /etc/apache2/mods-available/auth_itsme.load \
        /etc/apache2/mods-available/auth_itsme.conf /etc/apache2/mods-enabled/auth_itsme.load "/usr/share/doc/$PKG"; do
        [ -e "$f" ] || [ -L "$f" ] && left+=("$f")
    done
    if [ "${#left[@]}" -eq 0 ]; then ok "purged: no file of the package left"
    else fail "left after purge: ${left[*]}"; fi
    local purge_list=("${APT_INSTALLED[@]}")
    restore_machine
    trap - EXIT
    # as before: nothing it installed is left, nothing that was there is gone
    local now gone=() extra=()
    now="$(installed_set)"
    mapfile -t gone < <(comm -23 <(printf '%s\n' "$before") <(printf '%s\n' "$now"))
    for p in "${purge_list[@]}" "$PKG"; do pkg_installed "$p" && extra+=("$p"); done
    if [ "${#gone[@]}" -eq 0 ] && [ "${#extra[@]}" -eq 0 ]; then ok "the machine's packages are as before the check"
    else fail "packages after the check: still installed: ${extra[*]:-none}; gone: ${gone[*]:-none}"; fi
    finish
}

case "${1:-}" in
    dist) dist_check "${2:?build directory}" ;;
    package) package_check "${2:?work directory}" ;;
    *) echo "usage: $0 dist BUILD_DIR | package WORK_DIR" >&2; exit 2 ;;
esac
