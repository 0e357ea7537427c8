# SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE.
"""The login and session path against hostile or careless use: a session made
without the acr a location asks for (step-up), a return URL long enough to
turn the state cookie into a cookie bomb, a session sealed by another
relying party that shares the passphrase, the re-sealed session cookie on
an application's cacheable answer, and the ID token kept in the session only
when a logout can use it."""

import re
import urllib.parse

import pytest

import harness
from conftest import BASIC_CLIENT, POST_CLIENT, start_httpd, stop_httpd
from itsme_support import (ACR_ADVANCED, REDIRECT_PATTERN, SERVICE_CODE, RPKeys, itsme_client,
                           locations as itsme_locations, op_log, server_conf as itsme_server_conf,
                           start_op_on)

SUB = "tXOq9614vLHkXBkEu3Jm0Qa7ZGQO02Fc98IPaHq6iRwK-ytA="
APP = "/app/cgi/env.py"
PASS = harness.random_passphrase()
OLD_PASS = harness.random_passphrase()

LOCATIONS = harness.default_locations("""
<Location /app/cgi/env.py/high>
    ItsmeACRValues urn:example:high
</Location>
<Location /app/index.html>
    Header set Cache-Control "public, max-age=600"
</Location>
""")


def broker_conf(op, client, passphrases, extra=""):
    return "\n".join([
        f"ItsmeProvider broker {op.discovery}",
        f"ItsmeClientID {client['client_id']}",
        f"ItsmeClientSecret {client['client_secret']}",
        "ItsmeRedirectURI /itsme/callback",
        "ItsmeCryptoPassphrase " + " ".join(passphrases),
        "ItsmeHTTPTimeout 5",
        extra,
    ]) + "\n"


@pytest.fixture(scope="module")
def rp_a(workdir, test_op):
    """client itsme-test-basic, passphrase PASS"""
    h = start_httpd(workdir, "harden_a", broker_conf(test_op, BASIC_CLIENT, [PASS]), locations=LOCATIONS)
    yield h
    stop_httpd(h)


@pytest.fixture(scope="module")
def rp_b(workdir, test_op):
    """another client (itsme-test-post), the same passphrase and OP"""
    h = start_httpd(workdir, "harden_b", broker_conf(test_op, POST_CLIENT, [PASS]), locations=LOCATIONS)
    yield h
    stop_httpd(h)


@pytest.fixture(scope="module")
def rp_rotated(workdir, test_op):
    """rp_a's client, a new passphrase first: re-seals rp_a's sessions"""
    h = start_httpd(workdir, "harden_rot", broker_conf(test_op, BASIC_CLIENT, [OLD_PASS, PASS]),
                    locations=LOCATIONS)
    yield h
    stop_httpd(h)


@pytest.fixture(scope="module")
def rp_logout(workdir, test_op):
    """rp_a with ItsmeLogoutURI: the session keeps the ID token"""
    h = start_httpd(workdir, "harden_logout",
                    broker_conf(test_op, BASIC_CLIENT, [PASS], "ItsmeLogoutURI /logout"),
                    locations=LOCATIONS)
    yield h
    stop_httpd(h)


def login(h, jar, path=APP):
    r = harness.curl(h.base + path, jar=jar, follow=True)
    assert r.status == 200 and r.json()["env"]["REMOTE_USER"] == SUB, r
    return r


def written(r, pattern):
    """name -> value of the cookies this answer writes (not expires)."""
    out = {}
    for c in r.set_cookies():
        name, _, rest = c.partition("=")
        if re.fullmatch(pattern, name) and not re.search(r";\s*Max-Age=0\b", c):
            out[name] = rest.split(";", 1)[0]
    return out


def expired(r):
    return {c.split("=", 1)[0] for c in r.set_cookies() if re.search(r";\s*Max-Age=0\b", c)}


def session_cookies(jar):
    return {c["name"]: c["value"] for c in harness.read_jar(jar)
            if re.fullmatch(r"itsme_session(_\d+)?", c["name"])}


def state_cookies(jar):
    return {c["name"]: c["value"] for c in harness.read_jar(jar) if "_st_" in c["name"]}


def drop_op_cookies(jar):
    """Forget the OP's own session, so the OP logs the user in again."""
    harness.rewrite_jar(jar, lambda n, v: v if n.startswith("itsme_session") else None)


# --------------------------------------------------------------------------
# 1. step-up: ItsmeACRValues on a location is enforced on existing sessions

def test_step_up_broker(rp_a, test_op, jar):
    login(rp_a, jar)
    before = session_cookies(jar)
    r = harness.curl(rp_a.base + APP + "/high", jar=jar)
    assert r.status == 302 and r.location.startswith(test_op.base + "/auth?"), r
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(r.location).query)
    assert q["acr_values"] == ["urn:example:high"], q
    assert "itsme_session" not in expired(r), r.set_cookies()      # still logged in elsewhere
    assert session_cookies(jar) == before
    assert harness.curl(rp_a.base + APP, jar=jar).status == 200

    # the OP reports no acr (none configured): the session records the one asked
    hops = harness.walk(r.location, jar)
    assert hops[-1].status == 200 and hops[-1].json()["env"]["REQUEST_URI"] == APP + "/high", hops[-1]
    for path in (APP + "/high", APP):
        again = harness.curl(rp_a.base + path, jar=jar)
        assert again.status == 200 and again.json()["env"]["REMOTE_USER"] == SUB, (path, again)


def test_step_up_for_api_callers_is_401(rp_a, jar):
    login(rp_a, jar)
    r = harness.curl(rp_a.base + APP + "/high", jar=jar, headers=["Accept: application/json"])
    assert r.status == 401, r
    assert 'error="insufficient_user_authentication"' in r.header("WWW-Authenticate"), r.headers
    assert "itsme_session" not in expired(r), r.set_cookies()


@pytest.fixture(scope="module")
def itsme_keys(workdir):
    return RPKeys(workdir / "hardening")


@pytest.fixture(scope="module")
def itsme_op_port():
    return harness.free_port()


@pytest.fixture(scope="module")
def itsme_rp(workdir, itsme_keys, itsme_op_port):
    discovery = f"http://127.0.0.1:{itsme_op_port}/.well-known/openid-configuration"
    h = start_httpd(workdir, "harden_itsme", itsme_server_conf(discovery, "itsme-rp", itsme_keys),
                    locations=itsme_locations(claims="sub birthdate"))
    yield h
    stop_httpd(h)


@pytest.fixture(scope="module")
def itsme_op(workdir, itsme_op_port, itsme_rp):
    rp_jwks = harness.curl(itsme_rp.base + "/itsme/jwks.json").json()
    cfg = {"profile": "itsme", "serviceCodes": [SERVICE_CODE], "redirectUriPattern": REDIRECT_PATTERN,
           "clients": [itsme_client("itsme-rp", rp_jwks)]}
    op = start_op_on(workdir, itsme_op_port, cfg, "harden-itsme-op")
    yield op
    op.stop()


def test_step_up_itsme_basic_to_advanced(itsme_rp, itsme_op, jar):
    """A basic session is not enough where advanced is asked; the new login
    asks advanced; the advanced session then serves basic locations too."""
    login(itsme_rp, jar, APP + "/basic")
    r = harness.curl(itsme_rp.base + APP + "/advanced", jar=jar)
    assert r.status == 302 and r.location.startswith(itsme_op.base + "/auth?"), r
    assert "itsme_session" not in expired(r), r.set_cookies()
    assert harness.curl(itsme_rp.base + APP + "/basic", jar=jar).status == 200

    drop_op_cookies(jar)          # the OP would otherwise reuse its basic login
    harness.http_json("POST", itsme_op.base + "/_test/log/clear")
    hops = harness.walk(urllib.parse.urljoin(itsme_rp.base, r.location), jar)
    assert hops[-1].status == 200 and hops[-1].json()["env"]["REQUEST_URI"] == APP + "/advanced", hops[-1]
    inter = op_log(itsme_op, "interaction")
    assert inter and inter[0]["acr_values"] == ACR_ADVANCED, inter
    for path in ("/advanced", "/basic", ""):
        again = harness.curl(itsme_rp.base + APP + path, jar=jar)
        assert again.status == 200 and again.json()["env"]["REMOTE_USER"] == SUB, (path, again)


def test_itsme_advanced_session_serves_basic(itsme_rp, itsme_op, jar):
    harness.http_json("POST", itsme_op.base + "/_test/log/clear")
    login(itsme_rp, jar, APP + "/advanced")
    inter = op_log(itsme_op, "interaction")
    assert inter and inter[0]["acr_values"] == ACR_ADVANCED, inter
    for path in ("/basic", ""):
        r = harness.curl(itsme_rp.base + APP + path, jar=jar)
        assert r.status == 200 and r.json()["env"]["REMOTE_USER"] == SUB, (path, r)


# --------------------------------------------------------------------------
# 2. cookie bomb: the state cookie stays one cookie of bounded size

def test_long_return_url_keeps_one_small_state_cookie(rp_a, jar):
    off = rp_a.log_size()
    r = harness.curl(rp_a.base + APP + "?q=" + "x" * 7000, jar=jar)
    assert r.status == 302, r
    states = written(r, r"itsme_session_st_.*")
    assert len(states) == 1, r.set_cookies()                        # one cookie, no chunks
    value = next(iter(states.values()))
    assert len(value) < 4096 and not value.startswith("chunks:"), len(value)
    assert any("ITSME04002: " in ln and "returning to its path" in ln for ln in rp_a.log_since(off))

    hops = harness.walk(urllib.parse.urljoin(rp_a.base, r.location), jar)
    last = hops[-1]
    assert last.status == 200 and last.json()["env"]["REMOTE_USER"] == SUB, last
    assert last.json()["env"]["REQUEST_URI"] == APP, last.json()["env"]   # the path, no query


def test_return_url_under_the_cap_is_kept(rp_a, jar):
    query = "q=" + "y" * 1000      # the cap: 1024 bytes of URL
    last = login(rp_a, jar, APP + "?" + query)
    assert last.json()["env"]["QUERY_STRING"] == query


def test_pending_states_fit_one_cookie_header(rp_a, jar):
    """Logins started again and again at long URLs: the state cookies stay
    within their budget, and the site keeps answering (no 400 for a Cookie
    header over LimitRequestFieldSize)."""
    for i in range(6):
        r = harness.curl(rp_a.base + APP + f"?n={i}&q=" + "z" * 2000, jar=jar)
        assert r.status == 302, r
        states = state_cookies(jar)
        assert 1 <= len(states) <= 5 and sum(len(v) for v in states.values()) <= 4096, \
            {k: len(v) for k, v in states.items()}
    assert harness.curl(rp_a.base + "/open/index.html", jar=jar).status == 200
    last = login(rp_a, jar)
    assert last.json()["env"]["REMOTE_USER"] == SUB


# --------------------------------------------------------------------------
# 3. cookies sealed for another client id do not open

def test_session_of_another_client_is_refused(rp_a, rp_b, test_op, jar):
    login(rp_a, jar)
    off = rp_b.log_size()
    # same host, another port: the browser sends rp_a's cookie to rp_b
    r = harness.curl(rp_b.base + APP, jar=jar)
    assert r.status == 302 and r.location.startswith(test_op.base + "/auth?"), r
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(r.location).query)
    assert q["client_id"] == [POST_CLIENT["client_id"]], q
    assert any("ITSME01108: not authenticated: session cookie does not open" in ln
               for ln in rp_b.log_since(off)), rp_b.log_since(off)
    # a fresh login at rp_b works, and rp_a refuses rp_b's session in turn
    login(rp_b, jar)
    r = harness.curl(rp_a.base + APP, jar=jar)
    assert r.status == 302 and r.location.startswith(test_op.base + "/auth?"), r


def test_state_of_another_client_is_refused(rp_a, rp_b, jar):
    r = harness.curl(rp_a.base + APP, jar=jar)
    assert r.status == 302, r
    state = urllib.parse.parse_qs(urllib.parse.urlsplit(r.location).query)["state"][0]
    off = rp_b.log_size()
    cb = harness.curl(rp_b.base + "/itsme/callback?code=stolen-code&state=" + state, jar=jar)
    assert cb.status == 400, cb
    assert any("ITSME01200: callback refused: no state cookie of this browser matches" in ln for ln in rp_b.log_since(off)), \
        rp_b.log_since(off)


# --------------------------------------------------------------------------
# 4. a re-sealed session on the application's answer: not for shared caches

def test_reseal_is_not_stored_by_shared_caches(rp_a, rp_rotated, jar):
    login(rp_a, jar)
    r = harness.curl(rp_rotated.base + "/app/index.html", jar=jar)
    assert r.status == 200 and "app index" in r.body, r
    assert written(r, r"itsme_session"), r.set_cookies()           # re-sealed under OLD_PASS
    cc = ", ".join(r.all_headers("Cache-Control"))
    assert 'no-cache="Set-Cookie"' in cc, r.headers
    assert "public" in cc and "max-age=600" in cc, r.headers        # the application's, kept
    r = harness.curl(rp_rotated.base + "/app/index.html", jar=jar)
    assert r.status == 200 and not r.set_cookies(), r.set_cookies()
    assert 'no-cache="Set-Cookie"' not in ", ".join(r.all_headers("Cache-Control")), r.headers


# --------------------------------------------------------------------------
# 5. the ID token stays out of the session unless a logout can use it

def test_personal_id_token_is_not_kept_even_with_a_logout_uri(rp_a, rp_logout, tmp_path):
    """The broker's ID token carries names, birth date and national number:
    it never goes into a logout URL, so the session does not keep it (a lean
    ID token is kept for id_token_hint: test_logout.py)."""
    with_logout, without = tmp_path / "with.txt", tmp_path / "without.txt"
    login(rp_logout, with_logout)
    login(rp_a, without)
    big, small = session_cookies(with_logout), session_cookies(without)
    assert list(small) == ["itsme_session"] and list(big) == ["itsme_session"], (small, big)
    big_len = sum(len(v) for v in big.values())
    small_len = len(small["itsme_session"])
    # measured before: 2292 characters with the ID token, 750 without
    assert abs(big_len - small_len) < 64, (small_len, big_len)
    assert small_len < 1100, small_len
