# SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE.
"""ItsmeLogoutURI: the local session ends (session cookie, its chunks, login
state cookies), then RP-initiated logout at an OP that has an
end_session_endpoint, or a local redirect when it has none (as with itsme);
return targets limited to this origin or ItsmeLogoutRedirectAllow."""

import base64
import html
import json
import re
import subprocess
import urllib.parse

import pytest

import harness
from conftest import start_httpd, stop_httpd

SUB = "tXOq9614vLHkXBkEu3Jm0Qa7ZGQO02Fc98IPaHq6iRwK-ytA="
CLIENT = {"client_id": "logout-client", "client_secret": harness.random_passphrase(),
          "token_endpoint_auth_method": "client_secret_basic",
          "redirect_uris": ["http://127.0.0.1:8080/itsme/callback"]}
# callbacks and post-logout targets of any test httpd (ports are chosen at run time)
PATTERN = r"^http://127\.0\.0\.1:\d+/(itsme/callback|open/.*)$"


def start_op(workdir, name, features=None, **extra):
    cfg = {"profile": "broker", "clients": [CLIENT], "redirectUriPattern": PATTERN, **extra}
    if features:
        cfg["features"] = features
    return harness.start_test_op(workdir, cfg, name=name)


def server_conf(op, extra=""):
    return "\n".join([
        f"ItsmeProvider broker {op.discovery}",
        f"ItsmeClientID {CLIENT['client_id']}",
        f"ItsmeClientSecret {CLIENT['client_secret']}",
        "ItsmeRedirectURI /itsme/callback",
        f"ItsmeCryptoPassphrase {harness.random_passphrase()}",
        "ItsmeLogoutURI /logout",
        "ItsmePostLogoutRedirect /open/",
        "ItsmeLogoutRedirectAllow https://portal.example http://127.0.0.1:1/",
        extra,
    ]) + "\n"


@pytest.fixture(scope="module")
def op_end(workdir):
    o = start_op(workdir, "op_logout")
    yield o
    o.stop()


@pytest.fixture(scope="module")
def op_lean(workdir):
    """ID tokens with protocol claims only (the rest through userinfo)"""
    o = start_op(workdir, "op_logout_lean", claimsInIdToken=False,
                 accounts={"maxence": {"sub": SUB, "given_name": "Maxence", "family_name": "Legrand",
                                       "birthdate": "1981-04-24", "nin": "81042419835"}})
    yield o
    o.stop()


@pytest.fixture(scope="module")
def httpd_lean(workdir, op_lean):
    h = start_httpd(workdir, "logout_lean", server_conf(op_lean))
    yield h
    stop_httpd(h)


@pytest.fixture(scope="module")
def op_local(workdir):
    o = start_op(workdir, "op_nologout", features={"rpInitiatedLogout": {"enabled": False}})
    yield o
    o.stop()


@pytest.fixture(scope="module")
def httpd_end(workdir, op_end):
    h = start_httpd(workdir, "logout_end", server_conf(op_end))
    yield h
    stop_httpd(h)


@pytest.fixture(scope="module")
def httpd_local(workdir, op_local):
    h = start_httpd(workdir, "logout_local", server_conf(op_local))
    yield h
    stop_httpd(h)


def login(h, jar):
    r = harness.curl(h.base + "/app/cgi/env.py", jar=jar, follow=True)
    assert r.status == 200 and r.json()["env"]["REMOTE_USER"] == SUB, r


def expired(r):
    """Names of the cookies this answer expires."""
    return {c.split("=", 1)[0] for c in r.set_cookies() if re.search(r";\s*Max-Age=0\b", c)}


def assert_logged_out(h, jar, op):
    r = harness.curl(h.base + "/app/cgi/env.py", jar=jar)
    assert r.status == 302 and r.location.startswith(op.base + "/auth?"), r


def jwt_payload(token):
    body = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


# --------------------------------------------------------------------------
# the OP has an end_session_endpoint

# Values of the test account that must never travel in a logout URL.
PERSONAL = ["Maxence", "Legrand", "1981-04-24", "81042419835", "810424", "Bruxelles"]


def confirm_at_op(r, jar):
    """The OP's confirmation form, submitted: where the OP sends the browser."""
    page = harness.curl(r.location, jar=jar)
    assert page.status == 200 and "op.logoutForm" in page.body, page
    action = html.unescape(re.search(r'action="([^"]+)"', page.body).group(1))
    xsrf = re.search(r'name="xsrf" value="([^"]+)"', page.body).group(1)
    return harness.curl(urllib.parse.urljoin(r.location, action), jar=jar, method="POST",
                        data=urllib.parse.urlencode({"xsrf": xsrf, "logout": "yes"}),
                        headers=["Content-Type: application/x-www-form-urlencoded"])


def test_logout_goes_through_the_op(httpd_end, op_end, jar):
    """The broker's ID tokens carry names, birth date and national number:
    the logout URL names the client, never the token."""
    assert "end_session_endpoint" in harness.http_json("GET", op_end.discovery)
    login(httpd_end, jar)
    r = harness.curl(httpd_end.base + "/logout", jar=jar)
    assert r.status == 302, r
    assert "itsme_session" in expired(r), r.set_cookies()
    assert r.header("Cache-Control") == "no-store", r.headers
    loc = urllib.parse.urlsplit(r.location)
    assert f"{loc.scheme}://{loc.netloc}{loc.path}" == op_end.base + "/session/end", r.location
    q = urllib.parse.parse_qs(loc.query)
    assert q["post_logout_redirect_uri"] == [httpd_end.base + "/open/"], q
    assert q["client_id"] == [CLIENT["client_id"]], q
    assert "id_token_hint" not in q, q
    decoded = urllib.parse.unquote(r.location)
    assert not [v for v in PERSONAL if v in decoded], decoded

    # the OP accepts client_id alone (its confirmation form) and sends the browser back
    back = confirm_at_op(r, jar)
    assert back.status in (302, 303) and back.location == httpd_end.base + "/open/", back
    assert_logged_out(httpd_end, jar, op_end)


def test_logout_hint_when_the_id_token_is_lean(httpd_lean, op_lean, jar):
    """An ID token with protocol claims only may travel as id_token_hint."""
    login(httpd_lean, jar)
    r = harness.curl(httpd_lean.base + "/logout", jar=jar)
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(r.location).query)
    assert r.status == 302 and r.location.startswith(op_lean.base + "/session/end?"), r
    hint = jwt_payload(q["id_token_hint"][0])
    assert hint["sub"] == SUB and hint["aud"] == CLIENT["client_id"] and hint["iss"] == op_lean.base
    assert not set(hint) - {"iss", "sub", "aud", "exp", "iat", "nbf", "auth_time", "nonce", "acr",
                            "amr", "azp", "sid", "at_hash", "c_hash", "s_hash", "jti"}, hint
    back = confirm_at_op(r, jar)
    assert back.status in (302, 303) and back.location == httpd_lean.base + "/open/", back
    assert_logged_out(httpd_lean, jar, op_lean)


def test_logout_without_session_is_local(httpd_end, jar):
    r = harness.curl(httpd_end.base + "/logout", jar=jar)
    assert r.status == 302 and r.location == httpd_end.base + "/open/", r
    assert "itsme_session" in expired(r)


def test_logout_post_answers_303(httpd_end, op_end, jar):
    login(httpd_end, jar)
    r = harness.curl(httpd_end.base + "/logout", jar=jar, method="POST", data="")
    assert r.status == 303 and r.location.startswith(op_end.base + "/session/end?"), r
    assert_logged_out(httpd_end, jar, op_end)


# --------------------------------------------------------------------------
# the OP has none (itsme's case): local logout only

def test_local_logout_when_op_has_no_end_session(httpd_local, op_local, jar):
    assert "end_session_endpoint" not in harness.http_json("GET", op_local.discovery)
    login(httpd_local, jar)
    r = harness.curl(httpd_local.base + "/logout", jar=jar)
    assert r.status == 302 and r.location == httpd_local.base + "/open/", r
    assert "itsme_session" in expired(r)
    assert_logged_out(httpd_local, jar, op_local)


def test_logout_clears_chunks_and_state_cookies(httpd_local):
    cookie = ("Cookie: itsme_session=chunks:2; itsme_session_1=aaaa; itsme_session_2=bbbb; "
              "itsme_session_st_AAAAAAAAAAAAAAAA=x; itsme_session_st_BBBBBBBBBBBBBBBB=y; other=1")
    r = harness.curl(httpd_local.base + "/logout", headers=[cookie])
    assert r.status == 302, r
    assert expired(r) >= {"itsme_session", "itsme_session_1", "itsme_session_2",
                          "itsme_session_st_AAAAAAAAAAAAAAAA", "itsme_session_st_BBBBBBBBBBBBBBBB"}, r.set_cookies()
    assert "other" not in expired(r)


@pytest.mark.parametrize("target,want", [
    ("/open/x?y=1", "{base}/open/x?y=1"),
    ("{base}/open/abs", "{base}/open/abs"),
    ("https://portal.example/home?a=b", "https://portal.example/home?a=b"),
    ("http://127.0.0.1:1/", "http://127.0.0.1:1/"),
], ids=["path", "same-origin", "allowed", "allowed-port"])
def test_return_target_accepted(httpd_local, target, want):
    base = httpd_local.base
    r = harness.curl(base + "/logout?return=" + urllib.parse.quote(target.format(base=base), safe=""))
    assert r.status == 302 and r.location == want.format(base=base), r


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/", "/\\evil.example/", "https://portal.example.evil.com/",
    "https://portal.example:8443/", "http://portal.example/", "javascript:alert(1)", "https://user@evil.example/",
    "{base}.evil.example/", "evil.example", "/open/\r\nSet-Cookie: x=1",
], ids=["other-site", "scheme-relative", "backslash", "suffix", "other-port", "other-scheme", "javascript",
        "userinfo", "host-prefix", "bare-host", "crlf"])
def test_open_redirect_refused(httpd_local, jar, target, expect_log):
    start = httpd_local.log_size()
    url = httpd_local.base + "/logout?return=" + urllib.parse.quote(target.format(base=httpd_local.base), safe="")
    r = harness.curl(url, jar=jar)
    assert r.status == 400, r
    assert r.location is None and "evil" not in json.dumps(r.headers), r.headers
    assert "itsme_session" in expired(r)         # signed out all the same
    assert "signed out" in r.body, r.body
    assert any("ITSME03052" in ln for ln in httpd_local.log_since(start))


def test_duplicate_return_refused(httpd_local):
    r = harness.curl(httpd_local.base + "/logout?return=/open/&return=https://evil.example/")
    assert r.status == 400 and r.location is None, r


@pytest.mark.parametrize("method", ["PUT", "DELETE", "OPTIONS"])
def test_other_methods_405(httpd_local, method):
    r = harness.curl(httpd_local.base + "/logout", method=method)
    assert r.status == 405 and r.header("Allow") == "GET, POST", r
    assert not expired(r)


def test_cross_site_subresource_cannot_log_out(httpd_local, jar):
    login(httpd_local, jar)
    r = harness.curl(httpd_local.base + "/logout", jar=jar,
                     headers=["Sec-Fetch-Site: cross-site", "Sec-Fetch-Mode: no-cors", "Sec-Fetch-Dest: image"])
    assert r.status == 403 and not expired(r), r
    again = harness.curl(httpd_local.base + "/app/cgi/env.py", jar=jar)
    assert again.status == 200, again
    # a cross-site link the user follows (top-level navigation) does log out
    r = harness.curl(httpd_local.base + "/logout", jar=jar,
                     headers=["Sec-Fetch-Site: cross-site", "Sec-Fetch-Mode: navigate"])
    assert r.status == 302 and "itsme_session" in expired(r), r


# --------------------------------------------------------------------------
# configuration

@pytest.mark.parametrize("directive,value", [
    ("ItsmeLogoutURI", "logout"), ("ItsmeLogoutURI", "//logout"), ("ItsmeLogoutURI", "/logout?x=1"),
    ("ItsmePostLogoutRedirect", "javascript:alert(1)"), ("ItsmePostLogoutRedirect", "//evil.example/"),
    ("ItsmePostLogoutRedirect", "bye.html"),
    ("ItsmeLogoutRedirectAllow", "https://portal.example/path"), ("ItsmeLogoutRedirectAllow", "portal.example"),
    ("ItsmeLogoutRedirectAllow", "ftp://portal.example"), ("ItsmeLogoutRedirectAllow", "https://u@portal.example"),
    ("ItsmeLogoutRedirectAllow", "https://portal.example?x"),
])
def test_bad_directive_values_fail_configtest(workdir, op_local, directive, value):
    h = harness.Httpd(workdir, "logout_bad", server_conf(op_local, f"{directive} {value}"))
    t = h.configtest()
    out = t.stdout + t.stderr
    assert t.returncode != 0 and directive in out, out


def test_logout_uri_equal_to_redirect_uri_fails_startup(workdir, op_local):
    h = harness.Httpd(workdir, "logout_clash", server_conf(op_local, "ItsmeLogoutURI /itsme/callback"))
    h.write_conf()
    p = subprocess.run([harness.httpd_binary(), "-f", str(h.conf), "-DFOREGROUND"], capture_output=True,
                       text=True, timeout=20, stdin=subprocess.DEVNULL)
    out = p.stdout + p.stderr + harness.tail(h.errlog, 50)
    assert p.returncode != 0, out
    assert "ITSME03050" in out and "ItsmeLogoutURI /itsme/callback" in out, out
