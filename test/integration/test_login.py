# SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE.
"""The broker route end to end: httpd + mod_auth_itsme + node-oidc-provider."""

import re
import urllib.parse

import pytest

import harness
from conftest import BASIC_CLIENT, itsme_server_conf, start_httpd, stop_httpd

SUB = "tXOq9614vLHkXBkEu3Jm0Qa7ZGQO02Fc98IPaHq6iRwK-ytA="
STATE_COOKIE_RE = re.compile(r"^itsme_session_st_[0-2]=")   # fixed slots: at most 3


@pytest.fixture(scope="module")
def httpd(workdir, test_op, echo_backend):
    conf = itsme_server_conf(test_op.discovery, BASIC_CLIENT["client_id"], BASIC_CLIENT["client_secret"])
    h = start_httpd(workdir, "login", conf, backend=echo_backend)
    yield h
    stop_httpd(h)


def login(httpd, jar, path="/app/cgi/env.py"):
    r = harness.curl(httpd.base + path, jar=jar, follow=True)
    assert r.status == 200, r
    assert r.url == httpd.base + path, r
    return r


def cookie_attrs(set_cookie):
    parts = [p.strip() for p in set_cookie.split(";")]
    return parts[0], {p.split("=", 1)[0].lower(): (p.split("=", 1)[1] if "=" in p else True) for p in parts[1:]}


def test_unauthenticated_redirects_to_op(httpd, test_op, jar):
    r = harness.curl(httpd.base + "/app/cgi/env.py?x=1", jar=jar)
    assert r.status == 302, r
    loc = urllib.parse.urlsplit(r.location)
    assert f"{loc.scheme}://{loc.netloc}{loc.path}" == test_op.base + "/auth"
    q = urllib.parse.parse_qs(loc.query)
    assert q["response_type"] == ["code"]
    assert q["client_id"] == [BASIC_CLIENT["client_id"]]
    assert q["redirect_uri"] == [httpd.base + "/itsme/callback"]
    scopes = q["scope"][0].split()
    assert "openid" in scopes and "nin" in scopes, scopes   # Signicat: nin -> nin, nin_type...
    assert q["code_challenge_method"] == ["S256"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", q["code_challenge"][0])
    assert len(q["state"][0]) >= 16 and len(q["nonce"][0]) >= 16
    st = [c for c in r.set_cookies() if c.startswith("itsme_session_st_")]
    assert len(st) == 1 and STATE_COOKIE_RE.match(st[0]), r.set_cookies()
    _, attrs = cookie_attrs(st[0])
    assert "httponly" in attrs
    assert "secure" not in attrs   # plain-http test setup


def test_full_login_passes_claims(httpd, jar):
    r = login(httpd, jar)
    env = r.json()["env"]
    assert env.get("REMOTE_USER") == SUB
    assert env.get("HTTP_X_ITSME_SUB") == SUB
    assert env.get("HTTP_X_ITSME_BIRTHDATE") == "1981-04-24"
    assert env.get("HTTP_X_ITSME_NIN") == "81042419835"
    assert env.get("HTTP_X_ITSME_GIVEN_NAME") == "Maxence"
    assert env.get("HTTP_X_ITSME_FAMILY_NAME") == "Legrand"
    assert env.get("ITSME_SUB") == SUB
    assert env.get("ITSME_NIN") == "81042419835"
    assert env.get("ITSME_BIRTHDATE") == "1981-04-24"
    assert env.get("ITSME_GIVEN_NAME") == "Maxence"
    assert env.get("ITSME_AGE", "").isdigit() and int(env["ITSME_AGE"]) >= 43


def test_token_request_uses_client_secret_basic(httpd, test_op, jar):
    login(httpd, jar)
    tokens = [e for e in harness.http_json("GET", test_op.base + "/_test/log") if e.get("event") == "token"]
    assert tokens and tokens[-1]["status"] == 200, tokens[-3:]
    assert tokens[-1]["authorization"] == "Basic"


def test_session_cookie_attributes(httpd, jar):
    hops = harness.walk(httpd.base + "/app/", jar)
    assert hops[-1].status == 200, hops
    callback = [h for h in hops if h.url.startswith(httpd.base + "/itsme/callback")]
    assert len(callback) == 1, hops
    cb = callback[0]
    assert cb.status == 302 and cb.location in (httpd.base + "/app/", "/app/"), cb
    sess = [c for c in cb.set_cookies() if re.match(r"itsme_session(_\d+)?=", c)]
    assert sess, cb.set_cookies()
    for c in sess:
        _, attrs = cookie_attrs(c)
        assert "httponly" in attrs, c
        assert str(attrs.get("samesite", "")).lower() == "lax", c
        assert "secure" not in attrs, c


def test_second_request_uses_cookie_only(httpd, jar):
    login(httpd, jar)
    r = harness.curl(httpd.base + "/app/cgi/env.py?again=1", jar=jar)
    assert r.status == 200, r
    assert r.json()["env"]["HTTP_X_ITSME_SUB"] == SUB
    assert r.json()["env"]["QUERY_STRING"] == "again=1"


def test_proxied_backend_gets_claims_not_cookies(httpd, jar):
    login(httpd, jar)
    r = harness.curl(httpd.base + "/app/proxied/hello", jar=jar)
    assert r.status == 200, r
    hdrs = {k.lower(): v for k, v in r.json()["headers"]}
    assert hdrs.get("x-itsme-sub") == SUB
    assert hdrs.get("x-itsme-nin") == "81042419835"
    cookie = hdrs.get("cookie", "")
    assert "itsme_session" not in cookie, f"module cookies leaked to the backend: {cookie}"


def test_cookie_strip_matches_names_at_cookie_boundaries_only(httpd, jar):
    """Our cookies are found by name, not by tokenizing: a name counts only
    at the start of a cookie; one that ends with ours, one inside a value and
    a longer one pass to the backend untouched."""
    login(httpd, jar)
    extra = ("Cookie: xitsme_session=keep1; other=itsme_session=keep2;itsme_sessionx=keep3; "
             "itsme_session_12=drop1;  itsme_session_st_q=drop2;itsme_session_7 =drop3; "
             "last=itsme_session_st_z")
    r = harness.curl(httpd.base + "/app/proxied/hello", jar=jar, headers=[extra])
    assert r.status == 200, r
    cookies = [v for k, v in r.json()["headers"] if k.lower() == "cookie"]
    cookie = "; ".join(cookies)
    for kept in ("xitsme_session=keep1", "other=itsme_session=keep2", "itsme_sessionx=keep3",
                 "last=itsme_session_st_z"):
        assert kept in cookie, cookie
    assert "drop" not in cookie and not re.search(r"(^|;\s*)itsme_session=", cookie), cookie


def test_tampered_session_cookie_restarts_login(httpd, jar):
    login(httpd, jar)

    def flip(name, value):
        if re.fullmatch(r"itsme_session(_\d+)?", name) and len(value) > 20:
            i = len(value) // 2
            return value[:i] + ("A" if value[i] != "A" else "B") + value[i + 1:]
        return value
    harness.rewrite_jar(jar, flip)
    r = harness.curl(httpd.base + "/app/cgi/env.py", jar=jar)
    assert r.status == 302, r
    assert "/auth?" in (r.location or ""), r
    # and a fresh login over the same jar works
    login(httpd, jar)


def test_garbage_session_cookie_is_not_500(httpd, jar):
    for value in ("x", "A" * 5000, "%00%ff..", "eyJhbGciOiJub25lIn0.e30."):
        r = harness.curl(httpd.base + "/app/cgi/env.py", headers=[f"Cookie: itsme_session={value}"])
        assert r.status == 302, (value, r)


SPOOF = ["X-Itsme-Nin: 00000000097", "X_Itsme_Nin: 00000000097", "x-itsme-sub: attacker",
         "X-ITSME-BIRTHDATE: 1900-01-01", "X-Itsme-Age: 99"]


def _leaks(pairs):
    bad = []
    for k, v in pairs:
        norm = k.lower().replace("_", "-")
        if norm.startswith("http-"):
            norm = norm[5:]
        if norm.startswith("x-itsme-") and v in ("00000000097", "attacker", "1900-01-01", "99"):
            bad.append((k, v))
    return bad


def test_spoofed_headers_never_reach_cgi_authenticated(httpd, jar):
    login(httpd, jar)
    r = harness.curl(httpd.base + "/app/cgi/env.py", jar=jar, headers=SPOOF)
    assert r.status == 200, r
    env = r.json()["env"]
    assert not _leaks(env.items()), env
    assert env["HTTP_X_ITSME_SUB"] == SUB and env["HTTP_X_ITSME_NIN"] == "81042419835"


def test_spoofed_headers_never_reach_proxy_authenticated(httpd, jar):
    login(httpd, jar)
    r = harness.curl(httpd.base + "/app/proxied/x", jar=jar, headers=SPOOF)
    assert r.status == 200, r
    assert not _leaks(r.json()["headers"]), r.json()["headers"]


def test_spoofed_headers_never_reach_open_location(httpd):
    r = harness.curl(httpd.base + "/open/cgi/env.py", headers=SPOOF)
    assert r.status == 200, r
    assert not _leaks(r.json()["env"].items()), r.json()["env"]
    r = harness.curl(httpd.base + "/open/proxied/x", headers=SPOOF)
    assert r.status == 200, r
    assert not _leaks(r.json()["headers"]), r.json()["headers"]


def test_spoofed_headers_do_not_authenticate(httpd):
    r = harness.curl(httpd.base + "/app/cgi/env.py", headers=SPOOF + ["X-Remote-User: attacker"])
    assert r.status == 302, r


def test_xhr_unauthenticated_gets_401(httpd):
    r = harness.curl(httpd.base + "/app/cgi/env.py", headers=["X-Requested-With: XMLHttpRequest"])
    assert r.status == 401, r
    assert not r.location
