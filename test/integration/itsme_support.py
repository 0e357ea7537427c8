# SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE.
"""Helpers for the itsme direct-profile tests (test_itsme_*.py): the RP's
keys made with openssl, their public JWKs, the server directives of an
itsme-profile httpd, and an OP started on a port chosen beforehand (httpd is
configured first, so the OP can be given the keys httpd publishes)."""

import base64
import json
import subprocess
import urllib.parse
from pathlib import Path

import harness

SERVICE_CODE = "TEST_SERVICE"
ACR_BASIC = "http://itsme.services/v2/claim/acr_basic"
ACR_ADVANCED = "http://itsme.services/v2/claim/acr_advanced"
REDIRECT_PATTERN = r"^http://127\.0\.0\.1:\d+/itsme/callback$"


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64u_json(text):
    return json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))


def openssl(*args, timeout=60):
    p = subprocess.run(["openssl", *args], capture_output=True, text=True, timeout=timeout,
                       stdin=subprocess.DEVNULL)
    assert p.returncode == 0, f"openssl {' '.join(args)}: {p.stderr}"
    return p.stdout


def make_rsa_key(path, bits=2048):
    openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", f"rsa_keygen_bits:{bits}", "-out", str(path))
    Path(path).chmod(0o600)
    return Path(path)


def make_ec_key(path):
    openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", str(path))
    Path(path).chmod(0o600)
    return Path(path)


def public_jwk(pem, kid, use, alg):
    """The public JWK of an RSA PEM key (e = 65537, openssl's default)."""
    text = openssl("rsa", "-in", str(pem), "-noout", "-modulus")
    n = bytes.fromhex(text.strip().split("=", 1)[1])
    return {"kty": "RSA", "kid": kid, "use": use, "alg": alg, "n": b64u(n), "e": "AQAB"}


class RPKeys:
    """sig (s1), enc (e1), an older enc key (e0), and keys the module must refuse."""

    def __init__(self, workdir):
        d = Path(workdir) / "itsme-keys"
        d.mkdir(parents=True, exist_ok=True)
        d.chmod(0o755)
        self.dir = d
        self.sig = make_rsa_key(d / "rp-sig.pem")
        self.enc = make_rsa_key(d / "rp-enc.pem")
        self.enc_old = make_rsa_key(d / "rp-enc-old.pem")
        self.small = make_rsa_key(d / "rp-1024.pem", bits=1024)
        self.ec = make_ec_key(d / "rp-ec.pem")


def server_conf(discovery, client_id, keys, extra="", service_code=SERVICE_CODE, jwks="/itsme/jwks.json",
                client_key=True, decryption_key=True, provider="itsme"):
    lines = [f"ItsmeProvider {provider} {discovery}", f"ItsmeClientID {client_id}"]
    if client_key:
        lines.append(f"ItsmeClientKey {keys.sig} s1")
    if decryption_key:
        lines.append(f"ItsmeDecryptionKey {keys.enc} e1")
    if service_code:
        lines.append(f"ItsmeServiceCode {service_code}")
    if jwks:
        lines.append(f"ItsmeJWKSURI {jwks}")
    lines += [
        "ItsmeRedirectURI /itsme/callback",
        f"ItsmeCryptoPassphrase {harness.random_passphrase()}",
        "ItsmeHTTPTimeout 5",
    ]
    return "\n".join(lines) + "\n" + extra


FULL_CLAIMS = ("sub given_name family_name birthdate nin eid_number place_of_birth address_street "
               "address_postal_code address_locality")


def locations(extra="", claims=FULL_CLAIMS):
    return f"""
<Location /app>
    AuthType itsme
    ItsmeClaims {claims}
    ItsmePassClaimsAs both
    Require valid-user
</Location>
<Location /app/cgi/env.py/advanced>
    AuthType itsme
    ItsmeACRValues advanced
    ItsmeClaims sub birthdate
    ItsmePassClaimsAs both
    Require valid-user
</Location>
<Location /app/cgi/env.py/basic>
    AuthType itsme
    ItsmeACRValues basic
    ItsmeClaims sub birthdate
    ItsmePassClaimsAs both
    Require valid-user
</Location>
{extra}
"""


def start_op_on(workdir, port, config, name):
    cfgfile = Path(workdir) / f"{name}.json"
    cfgfile.write_text(json.dumps(config, indent=2))
    srv = harness.NodeServer(harness.OP_DIR / "op.js", ["--port", str(port), "--config", str(cfgfile)], "OP",
                             Path(workdir) / f"{name}.log")
    return srv.start()


def itsme_client(client_id, jwks, alg="RSA-OAEP-256", enc="A128CBC-HS256", id_token_encrypted=True,
                 userinfo_encrypted=True):
    c = {
        "client_id": client_id,
        "token_endpoint_auth_method": "private_key_jwt",
        "token_endpoint_auth_signing_alg": "RS256",
        "jwks": jwks,
        "redirect_uris": ["http://127.0.0.1:8080/itsme/callback"],
        "id_token_signed_response_alg": "RS256",
        "userinfo_signed_response_alg": "RS256",
        "request_object_signing_alg": "RS256",
        "require_signed_request_object": True,
    }
    if id_token_encrypted:
        c["id_token_encrypted_response_alg"] = alg
        c["id_token_encrypted_response_enc"] = enc
    if userinfo_encrypted:
        c["userinfo_encrypted_response_alg"] = alg
        c["userinfo_encrypted_response_enc"] = enc
    return c


def with_enc_alg(jwks, alg):
    """A copy of the JWKS whose enc keys name another alg (what the OP was told)."""
    return {"keys": [dict(k, alg=alg) if k.get("use") == "enc" else dict(k) for k in jwks["keys"]]}


def op_log(op, event=None):
    entries = harness.http_json("GET", op.base + "/_test/log")
    return [e for e in entries if event is None or e.get("event") == event]


def auth_query(location):
    return urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)


def jwe_header(compact):
    return b64u_json(compact.split(".")[0])
