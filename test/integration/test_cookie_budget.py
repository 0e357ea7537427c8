# SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE.
"""Cookie mode (ItsmeSessionStore cookie, the default) and the cookie budget
(issue 7): the module's cookies together stay within 6144 bytes, the session
cookie is one cookie of at most 3800 bytes (never chunked), at most three
login-state cookies. A session too large for a cookie (a 12 KB picture) is
refused with a page for the person and a log line for the admin, and the
host keeps answering; 50 parallel login starts in one browser leave it able
to log in; the session keeps only the claims the configuration asks for."""

import re
import threading
import urllib.parse

import pytest

import harness
from conftest import (BASIC_CLIENT, CALLBACK_OR_OPEN_PATTERN, POST_CLIENT, png_data_uri, start_httpd,
                      stop_httpd)

SUB = "tXOq9614vLHkXBkEu3Jm0Qa7ZGQO02Fc98IPaHq6iRwK-ytA="
APP = "/app/cgi/env.py"
# about 2.3 KB as a data: URI: fits the session cookie, not with an ID token
MID_PICTURE = png_data_uri(1700, 3)
PIC = APP + "/pic"
COOKIE = "itsme_session"
BUDGET = 6144              # all module cookies: names, values, "; " separators
SESSION_MAX = 3800         # the session cookie's value
SET_COOKIE_MAX = 3900      # one Set-Cookie header line, attributes included
STATE_SLOTS = 3
FIELD_LIMIT = 8190         # httpd's LimitRequestFieldSize
EXPIRY_RE = re.compile(r";\s*Max-Age=0\b", re.I)

LOCATIONS = harness.default_locations(f"""
<Location {PIC}>
    ItsmeClaims sub given_name family_name birthdate nin picture
</Location>
""")


def conf(op, extra="", client=BASIC_CLIENT):
    return "\n".join([
        f"ItsmeProvider broker {op.discovery}",
        f"ItsmeClientID {client['client_id']}",
        f"ItsmeClientSecret {client['client_secret']}",
        "ItsmeRedirectURI /itsme/callback",
        f"ItsmeCryptoPassphrase {harness.random_passphrase()}",
        "ItsmeHTTPTimeout 5",
        extra,
    ]) + "\n"


@pytest.fixture(scope="module")
def rp_budget(workdir, picture_op):
    """cookie mode; ItsmeLogoutURI keeps the ID token (dropped first when too large)"""
    h = start_httpd(workdir, "budget", conf(picture_op, "ItsmeLogoutURI /logout\nItsmePostLogoutRedirect /open/"),
                    locations=LOCATIONS)
    yield h
    stop_httpd(h)


@pytest.fixture(scope="module")
def lean_op(workdir):
    """ID tokens with protocol claims only (the claims come from userinfo), so
    the session keeps the ID token for id_token_hint; POST_CLIENT's account
    has MID_PICTURE."""
    op = harness.start_test_op(workdir, {
        "profile": "broker", "clients": [POST_CLIENT], "redirectUriPattern": CALLBACK_OR_OPEN_PATTERN,
        "claimsInIdToken": False,
        "accounts": {"maxence": {"sub": SUB, "given_name": "Maxence", "family_name": "Legrand",
                                 "birthdate": "1981-04-24", "picture": MID_PICTURE}},
    }, name="op_lean_budget")
    yield op
    op.stop()


@pytest.fixture(scope="module")
def rp_small(workdir, lean_op):
    """cookie mode, ItsmeLogoutURI, against lean_op: a session with
    MID_PICTURE fits its cookie only without the ID token"""
    h = start_httpd(workdir, "budget_small",
                    conf(lean_op, "ItsmeLogoutURI /logout\nItsmePostLogoutRedirect /open/", client=POST_CLIENT),
                    locations=LOCATIONS)
    yield h
    stop_httpd(h)


# --------------------------------------------------------------------------
# helpers

def jar_cookies(jar):
    return [(c["name"], c["value"]) for c in harness.read_jar(jar)]


def module_cookies(jar):
    return [(n, v) for n, v in jar_cookies(jar) if n.startswith(COOKIE)]


def state_cookies(jar):
    return [(n, v) for n, v in module_cookies(jar) if "_st_" in n]


def cookie_header(cookies):
    """What a browser sends: every cookie of the host in one header."""
    return "; ".join(f"{n}={v}" for n, v in cookies)


def assert_within_budget(jar):
    mine = module_cookies(jar)
    for n, v in mine:
        assert len(v) <= SESSION_MAX, (n, len(v))
    assert len(cookie_header(mine)) <= BUDGET, [(n, len(v)) for n, v in mine]
    states = [n for n, _ in state_cookies(jar)]
    assert len(states) <= STATE_SLOTS, states
    assert not [n for n, _ in mine if re.fullmatch(COOKIE + r"_\d+", n)], "chunked session cookie"
    full = cookie_header(jar_cookies(jar))
    assert len(full) < FIELD_LIMIT - 1024, len(full)
    return full


def assert_set_cookies_small(responses):
    for r in responses:
        for c in r.set_cookies():
            name, _, rest = c.partition("=")
            value = rest.split(";", 1)[0]
            assert len(c) <= SET_COOKIE_MAX, (name, len(c))
            if name.startswith(COOKIE):
                assert len(value) <= SESSION_MAX, (name, len(value))


def assert_host_answers(h, op, jar, logged_in):
    """Every page of the host answers with the browser's full Cookie header."""
    r = harness.curl(h.base + "/open/", jar=jar)
    assert r.status == 200 and "open index" in r.body, r
    r = harness.curl(h.base + "/open/cgi/env.py", jar=jar)
    assert r.status == 200, r
    r = harness.curl(h.base + "/app/", jar=jar)
    if logged_in:
        assert r.status == 200 and "app index" in r.body, r
    else:
        assert r.status == 302 and r.location.startswith(op.base + "/auth?"), r


# --------------------------------------------------------------------------
# one cookie, within the budget

def test_session_is_one_cookie_within_budget(rp_budget, picture_op, jar):
    r = harness.curl(rp_budget.base + APP, jar=jar, follow=True)
    assert r.status == 200 and r.json()["env"]["REMOTE_USER"] == SUB, r
    assert r.json()["env"].get("ITSME_NIN") == "81042419835", r.json()["env"]
    written = [c for c in r.set_cookies() if c.startswith(COOKIE + "=") and not EXPIRY_RE.search(c)]
    assert len(written) == 1, r.set_cookies()
    assert not written[0].split("=", 1)[1].startswith("chunks:"), written[0][:40]
    assert_set_cookies_small([r])
    names = [n for n, _ in module_cookies(jar)]
    assert names == [COOKIE], names                 # no chunk, no state cookie left
    assert_within_budget(jar)
    assert_host_answers(rp_budget, picture_op, jar, logged_in=True)


# --------------------------------------------------------------------------
# a session too large for a cookie

def test_picture_too_large_for_a_cookie_is_refused(rp_budget, picture_op, jar, expect_log):
    expect_log(r"ITSME05020.*ItsmeSessionStore")
    hops = harness.walk(rp_budget.base + PIC, jar)
    last = hops[-1]
    assert last.url.startswith(rp_budget.base + "/itsme/callback?"), [h.url for h in hops]
    assert last.status == 500, last
    assert "could not be completed" in last.body.lower(), last.body[:500]
    assert_set_cookies_small([h for h in hops if h.url.startswith(rp_budget.base)])
    assert COOKIE not in [n for n, _ in module_cookies(jar)], module_cookies(jar)
    full = assert_within_budget(jar)
    assert len(full) < 4096, len(full)              # nothing big was left behind
    assert_host_answers(rp_budget, picture_op, jar, logged_in=False)
    # the same browser can still log in where no picture is asked
    r = harness.curl(rp_budget.base + APP, jar=jar, follow=True)
    assert r.status == 200 and r.json()["env"]["REMOTE_USER"] == SUB, r
    assert_within_budget(jar)


def logout_hint(h, jar):
    """The id_token_hint of the logout redirect to the OP; None when the
    session kept no ID token (the OP is told the client_id alone)."""
    r = harness.curl(h.base + "/logout", jar=jar)
    assert r.status == 302, r
    assert "/session/end?" in r.location, r
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(r.location).query)
    assert q.get("client_id") == [POST_CLIENT["client_id"]], q
    return q.get("id_token_hint", [None])[0]


def test_id_token_goes_first_when_the_session_is_too_large(rp_small, tmp_path):
    """A session that fits its cookie only without the ID token: the login
    works, the logout names the client instead of an id_token_hint."""
    plain, pic = tmp_path / "plain.txt", tmp_path / "pic.txt"
    r = harness.curl(rp_small.base + APP, jar=plain, follow=True)
    assert r.status == 200 and r.json()["env"]["REMOTE_USER"] == SUB, r
    assert logout_hint(rp_small, plain), "no id_token_hint although the ID token fits"

    off = rp_small.log_size()
    r = harness.curl(rp_small.base + PIC, jar=pic, follow=True)
    assert r.status == 200 and r.json()["env"].get("ITSME_PICTURE") == MID_PICTURE, r
    assert_set_cookies_small([r])
    assert_within_budget(pic)
    assert any("ITSME05021" in ln for ln in rp_small.log_since(off)), rp_small.log_since(off)
    again = harness.curl(rp_small.base + PIC, jar=pic)
    assert again.status == 200 and again.json()["env"].get("ITSME_PICTURE") == MID_PICTURE, again
    assert logout_hint(rp_small, pic) is None


# --------------------------------------------------------------------------
# 50 parallel login starts in one cookie jar

def _parse_set_cookie(header):
    name, _, rest = header.partition("=")
    value, *attrs = rest.split(";")
    attrs = [a.strip() for a in attrs]
    gone = any(re.fullmatch(r"max-age=(0+|-\d+)", a, re.I) for a in attrs) \
        or any(a.lower().startswith("expires=") and "1970" in a for a in attrs)
    path = next((a.split("=", 1)[1] for a in attrs if a.lower().startswith("path=")), "/")
    return name.strip(), value.strip(), path, "httponly" in [a.lower() for a in attrs], gone


def write_jar(jar, cookies):
    """cookies: name -> (value, path, httponly), as curl's Netscape jar."""
    lines = ["# Netscape HTTP Cookie File"]
    for name, (value, path, httponly) in cookies.items():
        host = ("#HttpOnly_" if httponly else "") + "127.0.0.1"
        lines.append("\t".join([host, "FALSE", path, "FALSE", "0", name, value]))
    jar.write_text("\n".join(lines) + "\n")


def test_parallel_login_starts_leave_at_most_three_state_cookies(rp_budget, picture_op, jar):
    # a browser with a pending login already
    first = harness.curl(rp_budget.base + APP + "?tab=0", jar=jar)
    assert first.status == 302 and len(state_cookies(jar)) == 1, (first, state_cookies(jar))

    results, lock = [], threading.Lock()

    def start(i):
        r = harness.curl(rp_budget.base + f"/app/?tab={i}", extra=("-b", str(jar)), timeout=30)
        with lock:
            results.append(r)           # completion order: the browser applies them so

    threads = [threading.Thread(target=start, args=(i,)) for i in range(1, 51)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(results) == 50, len(results)
    assert all(r.status == 302 and r.location.startswith(picture_op.base + "/auth?") for r in results), \
        [r.status for r in results if r.status != 302]
    assert_set_cookies_small(results)

    merged = {c["name"]: (c["value"], c["path"], c["httponly"]) for c in harness.read_jar(jar)}
    for r in results:
        for header in r.set_cookies():
            name, value, path, httponly, gone = _parse_set_cookie(header)
            if gone:
                merged.pop(name, None)
            else:
                merged[name] = (value, path, httponly)
    write_jar(jar, merged)
    states = sorted(n for n, _ in state_cookies(jar))
    assert 1 <= len(states) <= STATE_SLOTS, states
    assert set(states) <= {f"{COOKIE}_st_{i}" for i in range(STATE_SLOTS)}, states
    assert_within_budget(jar)

    # more starts one after the other: the slots are reused
    for i in range(10):
        r = harness.curl(rp_budget.base + APP + f"?again={i}&q=" + "x" * 1500, jar=jar)
        assert r.status == 302, r
        assert_set_cookies_small([r])
        assert_within_budget(jar)

    # the browser logs in, and reaches every page
    hops = harness.walk(rp_budget.base + APP + "?final=1", jar)
    last = hops[-1]
    assert last.status == 200 and last.json()["env"]["REMOTE_USER"] == SUB, last
    assert last.json()["env"]["QUERY_STRING"] == "final=1", last.json()["env"]
    assert_within_budget(jar)
    assert_host_answers(rp_budget, picture_op, jar, logged_in=True)
    r = harness.curl(rp_budget.base + APP, jar=jar)
    assert r.status == 200, r


# --------------------------------------------------------------------------
# the session keeps the claims asked for, not the OP's extras

@pytest.mark.parametrize("store", ["cookie", "socache:shmcb"])
def test_session_keeps_only_asked_claims(workdir, test_op, store, tmp_path):
    locations = """
<Location /app>
    AuthType itsme
    ItsmeClaims sub given_name
    ItsmePassClaimsAs both
    Require valid-user
</Location>
"""
    name = "claims_" + ("cookie" if store == "cookie" else "shmcb")
    h = start_httpd(workdir, name, conf(test_op, f"ItsmeSessionStore {store}"), locations=locations)
    try:
        jar = tmp_path / "claims.txt"
        first = harness.curl(h.base + APP, jar=jar, follow=True)
        again = harness.curl(h.base + APP, jar=jar)
        for r in (first, again):
            assert r.status == 200, r
            env = r.json()["env"]
            assert env["REMOTE_USER"] == SUB and env.get("ITSME_SUB") == SUB, env
            assert env.get("ITSME_GIVEN_NAME") == "Maxence" and env.get("HTTP_X_ITSME_GIVEN_NAME") == "Maxence", env
            extras = [k for k in env if re.search(r"IDP|SANDBOX", k)]
            assert not extras, extras
            # the broker's name scope also releases family_name and name: not asked, not kept
            unasked = [k for k in env if re.fullmatch(r"(ITSME_|HTTP_X_ITSME_)(FAMILY_NAME|NAME|BIRTHDATE|NIN)", k)]
            assert not unasked, unasked
            assert "Legrand" not in r.body, r.body
    finally:
        stop_httpd(h)


# --------------------------------------------------------------------------
# a claim step-up that grows the session past its cookie

def test_step_up_too_large_for_a_cookie_keeps_the_session_and_asks_once(rp_budget, picture_op, jar,
                                                                        expect_log):
    """A light session steps up for the 12 KB picture: the merged session
    does not fit its cookie. The person gets the clear page, keeps the
    session they had (logged in where the page fits), and is not sent to
    the provider again for it (each try is another paid login that would
    end the same way): the page answers without the picture."""
    expect_log(r"ITSME05020.*ItsmeSessionStore")
    expect_log(r"ITSME07151: step-up too large for the session cookie: the session is kept as it "
               r"was, not asking again for picture")
    r = harness.curl(rp_budget.base + APP, jar=jar, follow=True)
    assert r.status == 200 and r.json()["env"]["REMOTE_USER"] == SUB, r
    hops = harness.walk(rp_budget.base + PIC, jar)
    last = hops[-1]
    assert last.url.startswith(rp_budget.base + "/itsme/callback?"), [h.url for h in hops]
    assert last.status == 500 and "could not be completed" in last.body.lower(), last
    assert_set_cookies_small([h for h in hops if h.url.startswith(rp_budget.base)])
    assert_within_budget(jar)
    r = harness.curl(rp_budget.base + APP, jar=jar)
    assert r.status == 200 and r.json()["env"]["REMOTE_USER"] == SUB, r
    r = harness.curl(rp_budget.base + PIC, jar=jar)
    assert r.status == 200, r                       # no second trip to the provider
    env = r.json()["env"]
    assert env["REMOTE_USER"] == SUB and "ITSME_PICTURE" not in env, env
    assert_within_budget(jar)
