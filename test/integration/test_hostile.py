"""Every way a hostile OP can lie must end without access (and without a 500)."""

import pytest

import harness
from conftest import itsme_server_conf, start_httpd, stop_httpd

CLIENT_ID, CLIENT_SECRET = "hostile-client", "hostile-secret-0123456789abcdef0123"

# mode -> (final status, pattern the module's log must show; case-insensitive)
MODES = {
    "wrong-iss": (502, r"iss"),
    "wrong-aud": (502, r"aud"),
    "expired": (502, r"exp"),
    "bad-sig": (502, r"sig|verif"),
    "alg-none": (502, r"alg|none|sign|verif"),
    "hs256-pubkey": (502, r"alg|HS256|sign|verif"),
    "nonce-mismatch": (502, r"nonce"),
    "no-sub": (502, r"sub"),
    "state-mismatch": (400, r"state"),
    "unknown-kid": (502, r"kid|key|sig|verif"),
    "iat-future": (502, r"iat|future|issued"),
    "userinfo-sub-mismatch": (502, r"sub|userinfo"),
    "token-500": (502, r"token|500|server_error"),
    "access-denied": (403, r"access_denied|denied"),
}


@pytest.fixture(scope="module")
def httpd(workdir, hostile_op):
    conf = itsme_server_conf(hostile_op.discovery, CLIENT_ID, CLIENT_SECRET)
    h = start_httpd(workdir, "hostile", conf)
    yield h
    stop_httpd(h)


def set_mode(op, mode):
    assert harness.http_json("POST", op.base + "/mode", {"mode": mode}) == {"mode": mode}


def test_valid_mode_logs_in(httpd, hostile_op, jar):
    """Control: the harness itself is able to log in through the hostile OP."""
    set_mode(hostile_op, "valid")
    r = harness.curl(httpd.base + "/app/cgi/env.py", jar=jar, follow=True)
    assert r.status == 200, r
    env = r.json()["env"]
    assert env.get("HTTP_X_ITSME_SUB") == "hostile-user-0001"
    assert env.get("REMOTE_USER") == "hostile-user-0001"


@pytest.mark.parametrize("mode", sorted(MODES))
def test_hostile_mode_is_refused(httpd, hostile_op, jar, mode, expect_log):
    status, why = MODES[mode]
    expect_log(r"ITSME\d+", required=False)          # refusals may be logged at error level
    expect_log(r"(?i)ITSME\d+:.*(" + why + ")")       # and the reason must be logged
    set_mode(hostile_op, mode)
    try:
        r = harness.curl(httpd.base + "/app/cgi/env.py", jar=jar, follow=True)
    finally:
        set_mode(hostile_op, "valid")
    assert r.status == status, r
    assert "HTTP_X_ITSME_SUB" not in r.body and "REMOTE_USER" not in r.body, r
    # no session came out of it: the next request goes to the OP again
    again = harness.curl(httpd.base + "/app/cgi/env.py", jar=jar)
    assert again.status == 302, again


def test_valid_mode_logs_in_after_the_attacks(httpd, hostile_op, jar):
    """After every refused token above (bad signatures, unknown kid...), an
    honest login must still work: no poisoned key cache, no lock-out."""
    set_mode(hostile_op, "valid")
    r = harness.curl(httpd.base + "/app/cgi/env.py", jar=jar, follow=True)
    assert r.status == 200, r
    assert r.json()["env"].get("HTTP_X_ITSME_SUB") == "hostile-user-0001"
