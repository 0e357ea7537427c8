#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE.
# The test command, on a fresh Debian 12, as root (sudo if you are not root):
#   bash scripts/test.sh
#
# 1. installs the missing Debian packages and the test OP's npm packages,
#    and Chromium + playwright-core for the real-browser test
# 2. ./autogen.sh, then configure + make out of tree in build/
# 3. project lint (scripts/lint.py: unique log tags, directive docs in step
#    with the code, core/glue layering, file length)
# 4. unit tests (build/test/unit/check_itsme)
# 5. a second build in build-asan/ (--enable-sanitizers): unit tests under
#    ASan + UBSan
# 6. the integration suite (pytest, real httpd + node-oidc-provider + a
#    hostile OP) against build/.libs/mod_auth_itsme.so
# 7. dist: make distcheck in build/, and the tarball's contents
# 8. package: the Debian package built from a clean copy of the tree
#    (dpkg-buildpackage), installed with dpkg -i (and apache2 for the
#    check when missing), a2enmod, apache2ctl -t, then purged with whatever
#    the check installed (scripts/release-check.sh)
#
# Logs: build/test-logs/<stage>.log. The last line printed is the total over
# all stages, "N passed, M failed"; a stage that cannot run or crashes counts
# as failed. Exit status 0 only when nothing failed.
#
# Environment: ITSME_SKIP_ASAN=1 skips stage 5; ITSME_SKIP_RELEASE=1 skips
# stages 7 and 8; PYTEST_ARGS adds pytest arguments (e.g. "-k hostile").

set -uo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
cd "$REPO" || exit 1

LOG_DIR="$BUILD_DIR/test-logs"
TOTAL_PASSED=0
TOTAL_FAILED=0
SUMMARY=()

record() { # stage passed failed note
    TOTAL_PASSED=$((TOTAL_PASSED + $2))
    TOTAL_FAILED=$((TOTAL_FAILED + $3))
    SUMMARY+=("$(printf '%-18s %4d passed %4d failed  %s' "$1" "$2" "$3" "${4:-}")")
}

show_tail() { # stage logfile
    printf '\n----- %s failed: last lines of %s -----\n' "$1" "${2#"$REPO"/}" >&2
    tail -n "${TAIL_LINES:-60}" "$2" >&2
    printf -- '----- end of %s -----\n\n' "$1" >&2
}

# run_stage NAME TIMEOUT cmd... : output to the stage log; returns the status
run_stage() {
    local name="$1" limit="$2"; shift 2
    local log="$LOG_DIR/$name.log"
    say "$name (log: ${log#"$REPO"/})"
    timeout --kill-after=30 "$limit" "$@" >"$log" 2>&1
}

# Check prints "NN%: Checks: N, Failures: F, Errors: E"
parse_check() { # stage log rc
    local name="$1" log="$2" rc="$3" line n f e
    line="$(grep -Eo '[0-9]+%: Checks: [0-9]+, Failures: [0-9]+, Errors: [0-9]+' "$log" | tail -n 1)"
    if [ -z "$line" ]; then
        record "$name" 0 1 "no Check summary (rc=$rc): did not run or crashed"
        show_tail "$name" "$log"
        return
    fi
    n="$(sed -E 's/.*Checks: ([0-9]+).*/\1/' <<<"$line")"
    f="$(sed -E 's/.*Failures: ([0-9]+).*/\1/' <<<"$line")"
    e="$(sed -E 's/.*Errors: ([0-9]+).*/\1/' <<<"$line")"
    local failed=$((f + e)) passed=$((n - f - e)) note=""
    if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
        failed=1   # e.g. a sanitizer report after all checks passed
        note="exit status $rc after the checks"
    fi
    record "$name" "$passed" "$failed" "$note"
    [ "$failed" -eq 0 ] || show_tail "$name" "$log"
}

# pytest ends with "N failed, M passed, K errors in Ts" (any order/subset)
parse_pytest() { # stage log rc
    local name="$1" log="$2" rc="$3" line passed failed errors
    line="$(grep -E '^(=+ )?[0-9]+ (passed|failed|error|errors|skipped|deselected|xfailed|xpassed)' "$log" \
        | grep -E ' in [0-9.]+s' | tail -n 1)"
    passed="$(grep -Eo '[0-9]+ passed' <<<"$line" | grep -Eo '[0-9]+' || true)"
    failed="$(grep -Eo '[0-9]+ failed' <<<"$line" | grep -Eo '[0-9]+' || true)"
    errors="$(grep -Eo '[0-9]+ errors?' <<<"$line" | grep -Eo '[0-9]+' || true)"
    passed=${passed:-0}; failed=$(( ${failed:-0} + ${errors:-0} ))
    local note=""
    if [ -z "$line" ] || { [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; }; then
        failed=$((failed + 1))
        note="pytest exit status $rc"
    fi
    record "$name" "$passed" "$failed" "$note"
    [ "$failed" -eq 0 ] || show_tail "$name" "$log"
}

# "N passed, M failed" as the last such line (scripts/lint.py)
parse_plain() { # stage log rc
    local name="$1" log="$2" rc="$3" line passed failed
    line="$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)"
    if [ -z "$line" ]; then
        record "$name" 0 1 "no summary line (rc=$rc)"
        show_tail "$name" "$log"
        return
    fi
    passed="${line%% passed*}"
    failed="$(sed -E 's/.* ([0-9]+) failed$/\1/' <<<"$line")"
    record "$name" "$passed" "$failed"
    [ "$failed" -eq 0 ] && [ "$rc" -eq 0 ] || show_tail "$name" "$log"
}

cannot_run() { # stage reason
    record "$1" 0 1 "not run: $2"
}

# ---------------------------------------------------------------------------
install_deps || exit 1
mkdir -p "$LOG_DIR"
rm -f "$LOG_DIR"/*.log
rm -rf "$LOG_DIR/integration"

install_op_packages >"$LOG_DIR/npm.log" 2>&1
NPM_OK=$?
[ "$NPM_OK" -eq 0 ] || { record npm 0 1 "npm ci failed"; show_tail npm "$LOG_DIR/npm.log"; }
# the browser test skips itself (saying why) when this could not be done
install_browser >>"$LOG_DIR/npm.log" 2>&1 || warn "browser test packages not installed (see npm.log)"

BUILD_OK=1   # configure ran; products are checked one by one below
if ! run_stage build 1800 bash -c "source '$REPO/scripts/lib.sh' && bootstrap && build_tree '$BUILD_DIR' -- all test/unit/check_itsme"; then
    [ -f "$BUILD_DIR/Makefile" ] || BUILD_OK=0
    record build 0 1 "autogen/configure/make failed"
    show_tail build "$LOG_DIR/build.log"
fi

# --- project lint (log tags, directive docs, layering, file length)
run_stage lint 120 "$PYTHON" "$REPO/scripts/lint.py"
parse_plain lint "$LOG_DIR/lint.log" $?

# --- unit tests
if [ "$BUILD_OK" -eq 1 ] && [ -x "$BUILD_DIR/test/unit/check_itsme" ]; then
    run_stage unit 900 env CK_VERBOSITY=normal "$BUILD_DIR/test/unit/check_itsme"
    parse_check unit "$LOG_DIR/unit.log" $?
else
    cannot_run unit "build/test/unit/check_itsme missing"
fi

# --- unit tests under ASan + UBSan
if [ "${ITSME_SKIP_ASAN:-0}" = 1 ]; then
    SUMMARY+=("unit-asan          skipped (ITSME_SKIP_ASAN=1)")
elif [ "$BUILD_OK" -eq 1 ] && { run_stage build-asan 1800 bash -c \
    "source '$REPO/scripts/lib.sh' && build_tree '$ASAN_BUILD_DIR' --enable-sanitizers -- test/unit/check_itsme" \
    || [ -x "$ASAN_BUILD_DIR/test/unit/check_itsme" ]; }; then
    run_stage unit-asan 1200 env CK_FORK=no CK_VERBOSITY=normal \
        ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1 \
        UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        "$ASAN_BUILD_DIR/test/unit/check_itsme"
    parse_check unit-asan "$LOG_DIR/unit-asan.log" $?
else
    [ "$BUILD_OK" -eq 1 ] && show_tail build-asan "$LOG_DIR/build-asan.log"
    cannot_run unit-asan "sanitizer build of check_itsme failed"
fi

# --- integration suite
MODULE="$BUILD_DIR/.libs/mod_auth_itsme.so"
if [ "$BUILD_OK" -eq 1 ] && [ -f "$MODULE" ] && [ "$NPM_OK" -eq 0 ]; then
    # shellcheck disable=SC2086
    run_stage integration 1800 env ITSME_MODULE="$MODULE" ITSME_IT_LOGDIR="$LOG_DIR/integration" \
        PYTHONDONTWRITEBYTECODE=1 \
        "$PYTHON" -m pytest -q -rfE -p no:cacheprovider ${PYTEST_ARGS:-} test/integration
    parse_pytest integration "$LOG_DIR/integration.log" $?
else
    cannot_run integration "module or test OP packages missing"
fi

# --- release: the tarball (make distcheck and its contents) and the Debian
# package (built from a clean copy, installed, enabled, removed again)
if [ "${ITSME_SKIP_RELEASE:-0}" = 1 ]; then
    SUMMARY+=("dist, package      skipped (ITSME_SKIP_RELEASE=1)")
else
    if [ "$BUILD_OK" -eq 1 ]; then
        run_stage dist 2400 bash "$REPO/scripts/release-check.sh" dist "$BUILD_DIR"
        parse_plain dist "$LOG_DIR/dist.log" $?
    else
        cannot_run dist "build/ is not configured"
    fi
    run_stage package 2400 bash "$REPO/scripts/release-check.sh" package "$BUILD_DIR/package"
    parse_plain package "$LOG_DIR/package.log" $?
fi

# ---------------------------------------------------------------------------
printf '\n%s\n' "Summary (logs in ${LOG_DIR#"$REPO"/}/):"
printf '  %s\n' "${SUMMARY[@]}"
printf '%d passed, %d failed\n' "$TOTAL_PASSED" "$TOTAL_FAILED"
[ "$TOTAL_FAILED" -eq 0 ]
