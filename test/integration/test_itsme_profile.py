# SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE.
"""The direct itsme V2 profile end to end: httpd + mod_auth_itsme against
node-oidc-provider configured like itsme (private_key_jwt, signed and
encrypted request objects, JWE ID tokens and userinfo, itsme claim URIs,
scope service:CODE). The OP's client is registered with the keys the module
publishes at ItsmeJWKSURI, as a real itsme onboarding would do."""

import http.client

import pytest

import harness
from conftest import start_httpd, stop_httpd
from itsme_support import (ACR_ADVANCED, REDIRECT_PATTERN, SERVICE_CODE, RPKeys, auth_query, itsme_client,
                           jwe_header, locations, op_log, server_conf, start_op_on, with_enc_alg)

SUB = "tXOq9614vLHkXBkEu3Jm0Qa7ZGQO02Fc98IPaHq6iRwK-ytA="
# An account whose national number and eID card number fail their check
# digits (...35 and ...29 would be right).
BAD_NUMBERS = {
    "sub": "bad-numbers-user-0001", "name": "Bad Numbers", "given_name": "Bad", "family_name": "Numbers",
    "birthdate": "1981-04-24", "nin": "81042419836", "itsme_eid": "591-2345678-30",
    "place_of_birth": "Bruxelles", "country_of_birth": "BE", "nationality": "Belg",
}
PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}


@pytest.fixture(scope="module")
def keys(workdir):
    return RPKeys(workdir)


@pytest.fixture(scope="module")
def op_port():
    return harness.free_port()


@pytest.fixture(scope="module")
def discovery(op_port):
    return f"http://127.0.0.1:{op_port}/.well-known/openid-configuration"


@pytest.fixture(scope="module")
def main_httpd(workdir, keys, discovery):
    """Started before the OP: the OP is given the keys this httpd publishes."""
    extra = f"ItsmeDecryptionKey {keys.enc_old} e0 retired\n"
    h = start_httpd(workdir, "itsme-main", server_conf(discovery, "itsme-rp", keys, extra), locations=locations())
    yield h
    stop_httpd(h)


@pytest.fixture(scope="module")
def rp_jwks(main_httpd):
    r = harness.curl(main_httpd.base + "/itsme/jwks.json")
    assert r.status == 200, r
    return r.json()


@pytest.fixture(scope="module")
def itsme_op(workdir, op_port, rp_jwks):
    cfg = {
        "profile": "itsme",
        "serviceCodes": [SERVICE_CODE],
        "redirectUriPattern": REDIRECT_PATTERN,
        "clients": [
            itsme_client("itsme-rp", rp_jwks),
            itsme_client("itsme-rp-gcm", with_enc_alg(rp_jwks, "RSA-OAEP"), alg="RSA-OAEP", enc="A256GCM"),
            itsme_client("itsme-rp-plain", rp_jwks, id_token_encrypted=False),
            itsme_client("itsme-rp-plainui", rp_jwks, userinfo_encrypted=False),
            itsme_client("itsme-rp-badnum", rp_jwks),
        ],
        "accounts": {"badnumbers": BAD_NUMBERS},
        "clientAccounts": {"itsme-rp-badnum": "badnumbers"},
        "userinfoOnlyClients": ["itsme-rp-gcm", "itsme-rp-plainui"],
        # the 2020 documentation writes the acr with a capital V
        "acrResult": "http://itsme.services/V2/claim/acr_advanced",
    }
    op = start_op_on(workdir, op_port, cfg, "itsme-op")
    yield op
    op.stop()


def _httpd(workdir, keys, discovery, client_id, name, extra=""):
    return start_httpd(workdir, name, server_conf(discovery, client_id, keys, extra), locations=locations())


@pytest.fixture(scope="module")
def httpd_gcm(workdir, keys, discovery, itsme_op):
    h = _httpd(workdir, keys, discovery, "itsme-rp-gcm", "itsme-gcm")
    yield h
    stop_httpd(h)


@pytest.fixture(scope="module")
def httpd_plain(workdir, keys, discovery, itsme_op):
    h = _httpd(workdir, keys, discovery, "itsme-rp-plain", "itsme-plain")
    yield h
    stop_httpd(h)


@pytest.fixture(scope="module")
def httpd_plainui(workdir, keys, discovery, itsme_op):
    h = _httpd(workdir, keys, discovery, "itsme-rp-plainui", "itsme-plainui")
    yield h
    stop_httpd(h)


@pytest.fixture(scope="module")
def httpd_badnum(workdir, keys, discovery, itsme_op):
    h = _httpd(workdir, keys, discovery, "itsme-rp-badnum", "itsme-badnum")
    yield h
    stop_httpd(h)


@pytest.fixture(scope="module")
def httpd_ro_off(workdir, keys, discovery, itsme_op):
    h = _httpd(workdir, keys, discovery, "itsme-rp", "itsme-ro-off", "ItsmeRequestObject off\n")
    yield h
    stop_httpd(h)


def login(h, jar, path="/app/cgi/env.py"):
    r = harness.curl(h.base + path, jar=jar, follow=True)
    assert r.status == 200, r
    return r.json()["env"]


def clear_op_log(op):
    harness.http_json("POST", op.base + "/_test/log/clear")


# --------------------------------------------------------------------------
# the JWK Set

def test_jwks_publishes_sig_and_enc_keys(main_httpd, keys):
    r = harness.curl(main_httpd.base + "/itsme/jwks.json")
    assert r.status == 200, r
    assert r.header("Content-Type").split(";")[0] == "application/json"
    cc = [p.strip() for p in r.header("Cache-Control").split(",")]
    assert "public" in cc and "max-age=3600" in cc, cc
    doc = r.json()
    by_kid = {k["kid"]: k for k in doc["keys"]}
    # the retired key e0 still decrypts but is no longer published
    assert set(by_kid) == {"s1", "e1"}, doc
    assert by_kid["s1"]["use"] == "sig" and by_kid["s1"]["alg"] == "RS256"
    assert by_kid["e1"]["use"] == "enc" and by_kid["e1"]["alg"] == "RSA-OAEP-256"
    from itsme_support import public_jwk
    for kid, pem in (("s1", keys.sig), ("e1", keys.enc)):
        k = by_kid[kid]
        assert k["kty"] == "RSA" and not PRIVATE_MEMBERS & set(k), k
        want = public_jwk(pem, kid, k["use"], k["alg"])
        assert (k["n"], k["e"]) == (want["n"], want["e"]), kid


def test_jwks_head_and_other_methods(main_httpd):
    conn = http.client.HTTPConnection("127.0.0.1", main_httpd.port, timeout=10)
    try:
        conn.request("HEAD", "/itsme/jwks.json")
        head = conn.getresponse()
        assert head.status == 200 and head.read() == b""
        assert int(head.getheader("Content-Length")) > 100
        assert head.getheader("Cache-Control") == "public, max-age=3600"
    finally:
        conn.close()
    post = harness.curl(main_httpd.base + "/itsme/jwks.json", method="POST", data="x")
    assert post.status == 405, post
    assert post.header("Allow") == "GET, HEAD"


def test_jwks_is_public_inside_a_protected_area(workdir, keys, discovery):
    """The JWKS lies under a location with AuthType itsme: served anyway."""
    conf = server_conf(discovery, "itsme-rp", keys, jwks="/app/jwks.json")
    h = start_httpd(workdir, "itsme-jwks-in-app", conf, locations=locations())
    try:
        r = harness.curl(h.base + "/app/jwks.json")
        assert r.status == 200 and len(r.json()["keys"]) == 2, r
    finally:
        stop_httpd(h)


def test_virtual_host_inherits_and_overrides_keys(workdir, keys, discovery):
    """A virtual host inherits the server's keys and may replace its
    decryption keys (all of them: the directive's values are not merged)."""
    vhosts = f"""
<VirtualHost *:*>
    ServerName 127.0.0.1
</VirtualHost>
<VirtualHost *:*>
    ServerName other.test
    ItsmeDecryptionKey {keys.enc_old} e7
</VirtualHost>
"""
    h = start_httpd(workdir, "itsme-vhosts", server_conf(discovery, "itsme-rp", keys, vhosts), locations="")
    try:
        main = harness.curl(h.base + "/itsme/jwks.json").json()
        other = harness.curl(h.base + "/itsme/jwks.json", headers=["Host: other.test"]).json()
    finally:
        stop_httpd(h)
    assert sorted(k["kid"] for k in main["keys"]) == ["e1", "s1"], main
    assert sorted(k["kid"] for k in other["keys"]) == ["e7", "s1"], other


# --------------------------------------------------------------------------
# login

def jwe_logged(h, offset):
    return [ln.split("ITSME02006: ", 1)[1] for ln in h.log_since(offset) if "ITSME02006: " in ln]


def test_login_with_request_object_private_key_jwt_and_jwe(main_httpd, itsme_op, jar):
    clear_op_log(itsme_op)
    offset = main_httpd.log_size()
    env = login(main_httpd, jar)
    assert jwe_logged(main_httpd, offset) == ["the ID token is a JWE: alg RSA-OAEP-256, enc A128CBC-HS256, kid e1"]
    assert env["REMOTE_USER"] == SUB
    for name, want in (("NIN", "81042419835"), ("BIRTHDATE", "1981-04-24"), ("EID_NUMBER", "591234567829"),
                       ("GIVEN_NAME", "Maxence"), ("FAMILY_NAME", "Legrand"), ("NIN_ISSUING_COUNTRY", "BE")):
        assert env.get(f"ITSME_{name}") == want, (name, env)
        assert env.get(f"HTTP_X_ITSME_{name}") == want, (name, env)
    assert env.get("ITSME_PLACE_OF_BIRTH") == "Bruxelles", env
    assert env.get("ITSME_ADDRESS_STREET") == "Rue Royale 82", env
    assert env.get("ITSME_ADDRESS_POSTAL_CODE") == "1000", env

    auth = op_log(itsme_op, "auth")
    assert auth, op_log(itsme_op)
    q = auth[0]["query"]
    # response_type, client_id and scope stay in the query; claims only inside
    assert q["response_type"] == "code" and q["client_id"] == "itsme-rp"
    assert "openid" in q["scope"].split() and f"service:{SERVICE_CODE}" in q["scope"].split(), q
    assert "claims" not in q and "acr_values" not in q, q
    assert len(q["request"].split(".")) == 5, "the request object is not a JWE"
    hdr = jwe_header(q["request"])
    assert hdr["alg"] == "RSA-OAEP-256" and hdr["enc"] == "A128CBC-HS256", hdr
    assert hdr["cty"] == "JWT" and hdr["kid"] == "op-enc-1", hdr
    # what the OP took from inside the request object
    inter = op_log(itsme_op, "interaction")
    assert inter and inter[0]["client_id"] == "itsme-rp", inter
    assert "http://itsme.services/v2/claim/BENationalNumber" in inter[0]["claims"], inter
    assert f"service:{SERVICE_CODE}" in inter[0]["scope"].split(), inter
    tokens = op_log(itsme_op, "token")
    assert tokens and tokens[-1]["status"] == 200, tokens
    assert tokens[-1]["authorization"] is None     # private_key_jwt: no Basic header


def test_ui_locales_follow_the_browser_into_the_request_object(main_httpd, itsme_op, jar):
    """A browser asking fr-BE: the OP is asked for ui_locales=fr, in the
    query and inside the (encrypted) request object, which the OP resolved."""
    clear_op_log(itsme_op)
    r = harness.curl(main_httpd.base + "/app/cgi/env.py", jar=jar, follow=True,
                     headers=["Accept-Language: fr-BE,fr;q=0.9,en;q=0.5"])
    assert r.status == 200, r
    q = op_log(itsme_op, "auth")[0]["query"]
    assert q.get("ui_locales") == "fr" and "request" in q, q
    inter = op_log(itsme_op, "interaction")
    assert inter and inter[0]["ui_locales"] == "fr", inter


def test_login_rsa_oaep_a256gcm_with_encrypted_userinfo(httpd_gcm, itsme_op, jar):
    clear_op_log(itsme_op)
    offset = httpd_gcm.log_size()
    env = login(httpd_gcm, jar)
    assert jwe_logged(httpd_gcm, offset) == ["the ID token is a JWE: alg RSA-OAEP, enc A256GCM, kid e1"]
    assert env["REMOTE_USER"] == SUB
    assert env.get("ITSME_NIN") == "81042419835" and env.get("HTTP_X_ITSME_NIN") == "81042419835", env
    assert env.get("ITSME_BIRTHDATE") == "1981-04-24", env
    assert env.get("ITSME_EID_NUMBER") == "591234567829", env
    # the ID token carried sub only: the claims came from the (encrypted) userinfo
    me = op_log(itsme_op, "me")
    assert me and me[-1]["status"] == 200 and me[-1]["authorization"] == "Bearer", me


def test_acr_is_checked_case_insensitively(main_httpd, itsme_op, jar):
    """Asked advanced, the OP answers .../V2/claim/acr_advanced: accepted."""
    clear_op_log(itsme_op)
    env = login(main_httpd, jar, "/app/cgi/env.py/advanced")
    assert env["REMOTE_USER"] == SUB
    inter = op_log(itsme_op, "interaction")
    assert inter and inter[0]["acr_values"] == ACR_ADVANCED, inter


def test_basic_admits_the_stricter_advanced(main_httpd, itsme_op, jar):
    env = login(main_httpd, jar, "/app/cgi/env.py/basic")
    assert env["REMOTE_USER"] == SUB


def test_unencrypted_id_token_is_refused(httpd_plain, jar, expect_log):
    expect_log(r"ITSME01202: login failed \(ID token validation\).*JWE\) required")
    r = harness.curl(httpd_plain.base + "/app/cgi/env.py", jar=jar, follow=True)
    assert r.status == 502, r
    assert "REMOTE_USER" not in r.body and SUB not in r.body, r
    again = harness.curl(httpd_plain.base + "/app/cgi/env.py", jar=jar)
    assert again.status == 302, again


def test_unencrypted_userinfo_is_refused(httpd_plainui, jar, expect_log):
    expect_log(r"ITSME01202: login failed \(claims\).*not encrypted")
    r = harness.curl(httpd_plainui.base + "/app/cgi/env.py", jar=jar, follow=True)
    assert r.status == 502, r
    assert SUB not in r.body, r


def test_request_object_off_is_honoured(httpd_ro_off, itsme_op, jar):
    """The OP requires request objects; with ItsmeRequestObject off the module
    sends none, and the OP's refusal ends on the module's error page."""
    clear_op_log(itsme_op)
    r = harness.curl(httpd_ro_off.base + "/app/cgi/env.py", jar=jar, follow=True)
    assert r.status == 502, r
    assert "invalid_request" in r.body, r
    q = op_log(itsme_op, "auth")[0]["query"]
    assert "request" not in q and "claims" in q, q


def test_numbers_failing_check_digits_are_dropped(httpd_badnum, jar):
    offset = httpd_badnum.log_size()
    env = login(httpd_badnum, jar)
    assert env["REMOTE_USER"] == BAD_NUMBERS["sub"]
    assert env.get("ITSME_BIRTHDATE") == "1981-04-24", env
    for name in ("ITSME_NIN", "HTTP_X_ITSME_NIN", "ITSME_EID_NUMBER", "HTTP_X_ITSME_EID_NUMBER"):
        assert name not in env, (name, env)
    lines = httpd_badnum.log_since(offset)
    assert any("ITSME00501" in ln and "national number" in ln for ln in lines), lines
    assert any("ITSME00502" in ln and "eID card number" in ln for ln in lines), lines
    logged = "\n".join(lines)
    assert "81042419836" not in logged and "591234567830" not in logged, "numbers logged unmasked"
