# SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE.
"""The itsme profile against a lying OP: every ID token that is not a JWE,
not for one of our keys, or that wraps anything but a JWS signed by the OP
must end without access (and without a 500)."""

import pytest

import harness
from conftest import start_httpd, stop_httpd
from itsme_support import RPKeys, locations, public_jwk, server_conf

SUB = "hostile-user-0001"

# mode -> (path, status, pattern the module's log must show)
REFUSED = {
    "valid": ("/app/cgi/env.py", 502, r"encrypted token \(JWE\) required"),
    "jwe-unknown-kid": ("/app/cgi/env.py", 502, r"decryption failed: no usable private key"),
    "jwe-alg-none": ("/app/cgi/env.py", 502, r"signature algorithm not allowed"),
    "jwe-bad-sig": ("/app/cgi/env.py", 502, r"bad signature"),
    "jwe-not-jws": ("/app/cgi/env.py", 502, r"does not wrap a signed JWT"),
    "jwe-acr-basic": ("/app/cgi/env.py/advanced", 502, r"acr not allowed"),
}

ACCEPTED = {
    "jwe-valid": "/app/cgi/env.py",
    "jwe-retired-key": "/app/cgi/env.py",        # e0: no longer published, still decrypts
    "jwe-acr-basic": "/app/cgi/env.py/basic",    # asked basic, got basic
}


@pytest.fixture(scope="module")
def httpd(workdir, hostile_op):
    keys = RPKeys(workdir)
    extra = f"ItsmeDecryptionKey {keys.enc_old} e0 retired\n"
    conf = server_conf(hostile_op.discovery, "itsme-hostile", keys, extra)
    # claims the hostile OP puts in its ID token: no userinfo call
    # /basic asks the national number too: a location's backend gets only
    # the claims it asks for, and test_accepted reads it there
    basic_nin = "<Location /app/cgi/env.py/basic>\n    ItsmeClaims sub birthdate nin\n</Location>\n"
    h = start_httpd(workdir, "itsme-hostile", conf,
                    locations=locations(basic_nin, claims="sub given_name birthdate nin"))
    published = harness.curl(h.base + "/itsme/jwks.json").json()
    retired = public_jwk(keys.enc_old, "e0", "enc", "RSA-OAEP-256")
    assert harness.http_json("POST", hostile_op.base + "/rp", {"jwks": {"keys": published["keys"] + [retired]}})
    yield h
    stop_httpd(h)


def set_mode(op, mode):
    assert harness.http_json("POST", op.base + "/mode", {"mode": mode}) == {"mode": mode}


def run(httpd, op, mode, path, jar):
    set_mode(op, mode)
    try:
        return harness.curl(httpd.base + path, jar=jar, follow=True)
    finally:
        set_mode(op, "valid")


@pytest.mark.parametrize("mode", sorted(ACCEPTED))
def test_accepted(httpd, hostile_op, jar, mode):
    offset = httpd.log_size()
    r = run(httpd, hostile_op, mode, ACCEPTED[mode], jar)
    assert r.status == 200, r
    env = r.json()["env"]
    assert env.get("REMOTE_USER") == SUB and env.get("ITSME_NIN") == "81042419835", env
    kid = "e0" if mode == "jwe-retired-key" else "e1"
    assert any(f"ITSME02006: the ID token is a JWE: alg RSA-OAEP-256, enc A128CBC-HS256, kid {kid}" in ln
               for ln in httpd.log_since(offset)), httpd.log_since(offset)


@pytest.mark.parametrize("mode", sorted(REFUSED))
def test_refused(httpd, hostile_op, jar, mode, expect_log):
    path, status, why = REFUSED[mode]
    expect_log(r"ITSME01202: login failed \(ID token validation\): .*(" + why + ")")
    r = run(httpd, hostile_op, mode, path, jar)
    assert r.status == status, r
    assert SUB not in r.body and "REMOTE_USER" not in r.body, r
    again = harness.curl(httpd.base + path, jar=jar)
    assert again.status == 302, again


def test_private_key_jwt_is_used(httpd, hostile_op, jar):
    harness.http_json("POST", hostile_op.base + "/_log/clear")
    r = run(httpd, hostile_op, "jwe-valid", "/app/cgi/env.py", jar)
    assert r.status == 200, r
    tokens = [e for e in harness.http_json("GET", hostile_op.base + "/_log") if e["path"] == "/token"]
    assert tokens and tokens[-1]["auth"] is None, tokens   # no Basic header: the assertion is in the body
