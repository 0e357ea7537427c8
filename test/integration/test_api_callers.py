# SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE.
"""Callers that cannot follow a redirect to the OP (XHR, fetch, JSON APIs),
and the three ItsmeUnauthAction values: auth (302, or 401 for such callers),
401 (always), pass (anonymous access where the Require rules allow it)."""

import pytest

import harness
from conftest import BASIC_CLIENT, itsme_server_conf, start_httpd, stop_httpd

SUB = "tXOq9614vLHkXBkEu3Jm0Qa7ZGQO02Fc98IPaHq6iRwK-ytA="
SPOOF = ["X-Itsme-Sub: attacker", "X-Itsme-Birthdate: 1900-01-01", "X_Itsme_Age: 99"]


def locations(cgi_dir):
    return harness.default_locations(f"""
ScriptAlias /api/ "{cgi_dir}/"
ScriptAlias /pass/ "{cgi_dir}/"
ScriptAlias /passclaim/ "{cgi_dir}/"
<Location /api>
    AuthType itsme
    AuthName "Orders API"
    ItsmeUnauthAction 401
    Require valid-user
</Location>
<Location /pass>
    AuthType itsme
    ItsmeUnauthAction pass
    ItsmeClaims birthdate
    ItsmePassClaimsAs both
    Require valid-user
</Location>
<Location /passclaim>
    AuthType itsme
    ItsmeUnauthAction pass
    Require itsme-claim age>=18
</Location>
""")


@pytest.fixture(scope="module")
def httpd(workdir, test_op):
    conf = itsme_server_conf(test_op.discovery, BASIC_CLIENT["client_id"], BASIC_CLIENT["client_secret"])
    h = start_httpd(workdir, "api", conf, locations=locations(workdir / "api" / "cgi-bin"))
    yield h
    stop_httpd(h)


def login(httpd, jar):
    r = harness.curl(httpd.base + "/app/cgi/env.py", jar=jar, follow=True)
    assert r.status == 200 and r.json()["env"]["HTTP_X_ITSME_SUB"] == SUB, r


def assert_challenge(r, realm="127.0.0.1"):
    assert r.status == 401, r
    assert r.header("WWW-Authenticate") == f'itsme realm="{realm}"', r.headers
    assert r.location is None, r
    assert not [c for c in r.set_cookies() if c.startswith("itsme_session_st_")], r.set_cookies()
    assert r.header("Cache-Control") == "no-store", r.headers


# --------------------------------------------------------------------------
# ItsmeUnauthAction auth (the default)

CANNOT_FOLLOW = [
    ["Accept: application/json"],
    ["Accept: application/json;q=0.9, application/problem+json"],
    ["X-Requested-With: XMLHttpRequest"],
    ["Sec-Fetch-Mode: cors"],
    ["Accept: text/html", "X-Requested-With: XMLHttpRequest"],
]
CAN_FOLLOW = [
    [],
    ["Accept: text/html,application/xhtml+xml"],
    ["Accept: application/json, text/html"],
    ["Accept: */*"],
    ["Sec-Fetch-Mode: navigate", "Accept: text/html"],
    ["Sec-Fetch-Mode: no-cors"],
    ["X-Requested-With: com.example.app"],
]


@pytest.mark.parametrize("headers", CANNOT_FOLLOW, ids=lambda h: "|".join(h))
def test_caller_that_cannot_follow_gets_401(httpd, headers):
    assert_challenge(harness.curl(httpd.base + "/app/cgi/env.py", headers=headers))


@pytest.mark.parametrize("headers", CAN_FOLLOW, ids=lambda h: "|".join(h) or "none")
def test_browser_gets_redirect_to_op(httpd, test_op, headers):
    r = harness.curl(httpd.base + "/app/cgi/env.py", headers=headers)
    assert r.status == 302 and r.location.startswith(test_op.base + "/auth?"), r


def test_xhr_with_session_gets_through(httpd, jar):
    login(httpd, jar)
    r = harness.curl(httpd.base + "/app/cgi/env.py", jar=jar,
                     headers=["Accept: application/json", "X-Requested-With: XMLHttpRequest"])
    assert r.status == 200 and r.json()["env"]["REMOTE_USER"] == SUB, r


# --------------------------------------------------------------------------
# ItsmeUnauthAction 401

@pytest.mark.parametrize("headers", [[], ["Accept: text/html"], ["Sec-Fetch-Mode: navigate"]],
                         ids=["none", "html", "navigate"])
def test_api_location_always_401(httpd, headers):
    assert_challenge(harness.curl(httpd.base + "/api/env.py", headers=headers), realm="Orders API")


def test_api_location_with_session(httpd, jar):
    login(httpd, jar)
    r = harness.curl(httpd.base + "/api/env.py", jar=jar, headers=["Accept: application/json"])
    assert r.status == 200, r
    env = r.json()["env"]
    assert env["REMOTE_USER"] == SUB and env["HTTP_X_ITSME_SUB"] == SUB


def test_api_location_bad_cookie_is_401_and_expired(httpd):
    r = harness.curl(httpd.base + "/api/env.py", headers=["Cookie: itsme_session=forged"])
    assert_challenge(r, realm="Orders API")
    assert any(c.startswith("itsme_session=;") and "Max-Age=0" in c for c in r.set_cookies()), r.set_cookies()


# --------------------------------------------------------------------------
# ItsmeUnauthAction pass

def test_pass_anonymous_with_valid_user_gets_through_without_identity(httpd):
    r = harness.curl(httpd.base + "/pass/env.py", headers=SPOOF)
    assert r.status == 200, r
    env = r.json()["env"]
    assert env.get("REMOTE_USER", "") == "", env
    assert not [k for k in env if k.startswith("ITSME_") or k.startswith("HTTP_X_ITSME")], env


def test_pass_with_session_gets_identity(httpd, jar):
    login(httpd, jar)
    r = harness.curl(httpd.base + "/pass/env.py", jar=jar, headers=SPOOF)
    assert r.status == 200, r
    env = r.json()["env"]
    assert env["REMOTE_USER"] == SUB and env["ITSME_SUB"] == SUB and env["HTTP_X_ITSME_SUB"] == SUB
    assert env["ITSME_BIRTHDATE"] == "1981-04-24" and env["HTTP_X_ITSME_BIRTHDATE"] == "1981-04-24"
    assert "HTTP_X_ITSME_AGE" not in env or env["HTTP_X_ITSME_AGE"] != "99"


def test_pass_never_satisfies_a_claim_rule(httpd, expect_log):
    """pass + Require itsme-claim: the anonymous caller has no claims, so the
    rule denies, with a 401 challenge (not a login redirect, not access)."""
    expect_log(r"AH01631")
    for headers in ([], SPOOF, ["Accept: text/html"]):
        r = harness.curl(httpd.base + "/passclaim/env.py", headers=headers)
        assert_challenge(r)
        assert "REMOTE_USER" not in r.body and "Login required" in r.body, r


def test_pass_claim_rule_with_session(httpd, jar):
    login(httpd, jar)
    r = harness.curl(httpd.base + "/passclaim/env.py", jar=jar)
    assert r.status == 200 and r.json()["env"]["REMOTE_USER"] == SUB, r
