# SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE.
"""Session lifetime on a real clock: ItsmeSessionMaxAge (absolute) and
ItsmeSessionInactivityTimeout (sliding, re-sealed at most once per interval),
both read from inside the sealed cookie; and passphrase rotation across
httpd restarts (ItsmeCryptoPassphrase new old).

The clock test waits about 35 s in total (bounded sleeps, not timing
assertions): the directives' minimum of 10 s keeps it that short."""

import re
import shutil
import time

import pytest

import harness
from conftest import BASIC_CLIENT, start_httpd, stop_httpd

SUB = "tXOq9614vLHkXBkEu3Jm0Qa7ZGQO02Fc98IPaHq6iRwK-ytA="
APP = "/app/cgi/env.py"


def server_conf(op, passphrases, extra=""):
    return "\n".join([
        f"ItsmeProvider broker {op.discovery}",
        f"ItsmeClientID {BASIC_CLIENT['client_id']}",
        f"ItsmeClientSecret {BASIC_CLIENT['client_secret']}",
        "ItsmeRedirectURI /itsme/callback",
        "ItsmeCryptoPassphrase " + " ".join(passphrases),
        extra,
    ]) + "\n"


def login(h, jar):
    r = harness.curl(h.base + APP, jar=jar, follow=True)
    assert r.status == 200 and r.json()["env"]["REMOTE_USER"] == SUB, r
    return r


def session_sets(r):
    """Set-Cookie headers that write (not expire) the session cookie."""
    return [c for c in r.set_cookies() if re.match(r"itsme_session(_\d+)?=", c) and "Max-Age=0" not in c]


def get(h, jar):
    return harness.curl(h.base + APP, jar=jar)


def test_lifetimes_on_the_clock(workdir, test_op, tmp_path, expect_log):
    idle = start_httpd(workdir, "life_idle", server_conf(test_op, [harness.random_passphrase()],
                                                         "ItsmeSessionInactivityTimeout 16"))
    short = start_httpd(workdir, "life_max", server_conf(test_op, [harness.random_passphrase()],
                                                         "ItsmeSessionMaxAge 16\nItsmeCookiePersistent on"))
    try:
        jar_idle, jar_max = tmp_path / "idle.txt", tmp_path / "max.txt"
        # Margins: whole-second times inside the seal, and logins that may take
        # a few seconds on a loaded machine. The max-age login goes first so
        # the idle session is the freshest when the clock starts (t=0).
        first = login(short, jar_max)
        login(idle, jar_idle)
        ages = [int(m) for c in first.set_cookies() for m in re.findall(r"Max-Age=(\d+)", c)
                if c.startswith("itsme_session=")]
        assert ages and max(ages) <= 16, first.set_cookies()
        # the browser drops the cookie after Max-Age; the server must refuse
        # it on its own (expiry sealed inside), so keep a copy to replay
        replay = "; ".join(f"{c['name']}={c['value']}" for c in harness.read_jar(jar_max)
                           if c["name"].startswith("itsme_session"))

        # t=0: no re-seal right after the login (nothing is due yet)
        for _ in range(2):
            r = get(idle, jar_idle)
            assert r.status == 200 and not session_sets(r), r.set_cookies()
        assert not session_sets(get(short, jar_max))

        # t=9: more than half the timeout (8 s) since last seen: re-sealed once
        time.sleep(9)
        r1, r2 = get(idle, jar_idle), get(idle, jar_idle)
        assert r1.status == 200 and len(session_sets(r1)) == 1, r1.set_cookies()
        assert r2.status == 200 and not session_sets(r2), r2.set_cookies()
        r = get(short, jar_max)
        assert r.status == 200 and not session_sets(r), r.set_cookies()   # no sliding for MaxAge

        # t=18: 18 s since the login but 9 s since last seen: still valid
        time.sleep(9)
        r = get(idle, jar_idle)
        assert r.status == 200 and r.json()["env"]["REMOTE_USER"] == SUB, r
        expect_log(r"ITSME01108: not authenticated: session expired", required=False)
        r = get(short, jar_max)    # 18 s > ItsmeSessionMaxAge, activity or not
        assert r.status == 302 and "/auth?" in r.location, r
        r = harness.curl(short.base + APP, headers=["Cookie: " + replay])
        assert r.status == 302 and "/auth?" in r.location, r
        assert any(c.startswith("itsme_session=;") and "Max-Age=0" in c for c in r.set_cookies())

        # t=35: idle for 17 s > 16 s
        time.sleep(17)
        r = get(idle, jar_idle)
        assert r.status == 302 and "/auth?" in r.location, r
        logs = "\n".join(idle.log_since(0)) + "\n".join(short.log_since(0))
        assert "ITSME01108: not authenticated: session idle for too long" in logs
        assert "ITSME01108: not authenticated: session expired" in logs
        assert "ITSME01102: session re-sealed (activity)" in logs
    finally:
        stop_httpd(idle)
        stop_httpd(short)


def test_rotation_across_restarts(workdir, test_op, tmp_path):
    old, new = harness.random_passphrase(), harness.random_passphrase()
    jar = tmp_path / "jar.txt"
    h = start_httpd(workdir, "rot_old", server_conf(test_op, [old]))
    try:
        login(h, jar)
    finally:
        stop_httpd(h)
    sealed_with_old = tmp_path / "old-jar.txt"
    shutil.copyfile(jar, sealed_with_old)

    h = start_httpd(workdir, "rot_both", server_conf(test_op, [new, old]))
    try:
        r = get(h, jar)
        assert r.status == 200 and r.json()["env"]["REMOTE_USER"] == SUB, r
        assert len(session_sets(r)) == 1, r.set_cookies()        # re-sealed under `new`
        r = get(h, jar)
        assert r.status == 200 and not session_sets(r), r.set_cookies()
        assert any("ITSME01102: session re-sealed (older passphrase)" in ln for ln in h.log_since(0))
    finally:
        stop_httpd(h)

    h = start_httpd(workdir, "rot_new", server_conf(test_op, [new]))
    try:
        r = get(h, jar)
        assert r.status == 200 and r.json()["env"]["REMOTE_USER"] == SUB, r
        r = get(h, sealed_with_old)             # the old passphrase is gone
        assert r.status == 302 and "/auth?" in r.location, r
        assert any(c.startswith("itsme_session=;") and "Max-Age=0" in c for c in r.set_cookies())
    finally:
        stop_httpd(h)


@pytest.mark.parametrize("directive,value,ok", [
    ("ItsmeSessionMaxAge", "9", False),
    ("ItsmeSessionMaxAge", "10", True),
    ("ItsmeSessionMaxAge", "604801", False),
    ("ItsmeSessionInactivityTimeout", "9", False),
    ("ItsmeSessionInactivityTimeout", "10", True),
    ("ItsmeSessionInactivityTimeout", "0", True),
    ("ItsmeSessionInactivityTimeout", "-5", False),
])
def test_lifetime_directive_bounds(workdir, test_op, directive, value, ok):
    h = harness.Httpd(workdir, "life_bounds", server_conf(test_op, [harness.random_passphrase()],
                                                         f"{directive} {value}"))
    t = h.configtest()
    out = t.stdout + t.stderr
    assert (t.returncode == 0) == ok, out
    if not ok:
        assert directive in out and "10.." in out, out
