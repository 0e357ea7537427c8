# SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE.
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


# ---- issue 8: audiences, NumericDates, issuer exactness, one subject ----

def _login(httpd, op, jar, mode):
    set_mode(op, mode)
    try:
        return harness.curl(httpd.base + "/app/cgi/env.py", jar=jar, follow=True)
    finally:
        set_mode(op, "valid")


@pytest.mark.parametrize("mode,why", [("two-aud", r"audience"), ("crlf-sub", r"sub")])
def test_issue8_refused(httpd, hostile_op, jar, mode, why, expect_log):
    """A second, untrusted audience (azp = client) and a CR/LF sub: refused,
    and no session, no REMOTE_USER."""
    expect_log(r"(?i)ITSME\d+:.*(" + why + ")")
    r = _login(httpd, hostile_op, jar, mode)
    assert r.status == 502, r
    assert "REMOTE_USER" not in r.body and "X-Injected" not in r.body, r
    assert harness.curl(httpd.base + "/app/cgi/env.py", jar=jar).status == 302


def test_issue8_fractional_times_log_in(httpd, hostile_op, jar):
    """exp/iat/nbf/auth_time with a fraction (RFC 7519 §2) are accepted."""
    r = _login(httpd, hostile_op, jar, "fractional-times")
    assert r.status == 200, r
    assert r.json()["env"].get("REMOTE_USER") == "hostile-user-0001"


def test_issue8_legacy_sub_is_not_the_subject(httpd, hostile_op, jar):
    """itsme.sub (before sub in the token) never becomes the canonical sub."""
    r = _login(httpd, hostile_op, jar, "legacy-sub")
    assert r.status == 200, r
    env = r.json()["env"]
    assert env.get("REMOTE_USER") == "hostile-user-0001"
    assert env.get("HTTP_X_ITSME_SUB") == "hostile-user-0001", env


def test_issue8_trusted_audience(workdir, hostile_op, jar):
    """ItsmeTrustedAudiences lets a listed second audience through."""
    conf = itsme_server_conf(hostile_op.discovery, CLIENT_ID, CLIENT_SECRET,
                             "ItsmeTrustedAudiences partner-api\n")
    h = start_httpd(workdir, "hostile-trusted-aud", conf)
    try:
        r = _login(h, hostile_op, jar, "two-aud")
        assert r.status == 200, r
        assert r.json()["env"].get("REMOTE_USER") == "hostile-user-0001"
    finally:
        stop_httpd(h)


def _conf_with(discovery, passphrase, extra=""):
    conf = itsme_server_conf(discovery, CLIENT_ID, CLIENT_SECRET, extra)
    return "\n".join(f"ItsmeCryptoPassphrase {passphrase}" if ln.startswith("ItsmeCryptoPassphrase")
                     else ln for ln in conf.split("\n"))


def test_issue8_prefix_issuer_refused(workdir, hostile_op, jar, expect_log):
    """A discovery document under /prefix-tenant/ naming the host root as its
    issuer (a prefix of the discovery URL) is refused (Discovery 1.0 §4.3)."""
    expect_log(r"(?i)ITSME\d+:.*issuer")
    disco = hostile_op.base + "/prefix-tenant/.well-known/openid-configuration"
    h = start_httpd(workdir, "hostile-prefix", _conf_with(disco, harness.random_passphrase()))
    try:
        r = harness.curl(h.base + "/app/cgi/env.py", jar=jar, follow=True)
        assert r.status == 502, r
        assert "REMOTE_USER" not in r.body
    finally:
        stop_httpd(h)
