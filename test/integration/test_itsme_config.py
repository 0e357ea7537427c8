# SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE.
"""itsme profile configuration: what it requires at startup, and keys and
values the module must refuse, each time naming the directive."""

import subprocess

import pytest

import harness
from conftest import itsme_server_conf
from itsme_support import RPKeys, server_conf

DISCOVERY = "http://127.0.0.1:9/.well-known/openid-configuration"   # never contacted at startup


@pytest.fixture(scope="module")
def keys(workdir):
    return RPKeys(workdir)


def startup(workdir, name, conf, timeout=15):
    """(started, output): -t first (directive setters and the check_config
    checks), then a real start (post_config). Started means harness's
    Httpd.start saw this httpd write its pid file, serve its port and stay
    alive, not merely that something answered on the port."""
    h = harness.Httpd(workdir, name, conf)
    t = h.configtest()
    if t.returncode != 0:
        return False, t.stdout + t.stderr
    # a name may be used before (parametrized tests): this start's output only
    marks = [(f, f.stat().st_size if f.exists() else 0) for f in (h.stderr, h.errlog)]

    def output():
        return "".join(harness.read_from(f, at).decode("utf-8", "replace") for f, at in marks)
    try:
        h.start(timeout)
    except RuntimeError as e:
        return False, output() + f"\n{e.args[0].splitlines()[0]}"
    h.stop()
    return True, output()


def assert_refused(workdir, name, conf, *needles):
    started, out = startup(workdir, name, conf)
    assert not started, f"httpd started although it should not:\n{out}"
    for n in needles:
        assert n in out, f"{n!r} not in:\n{out}"


@pytest.mark.parametrize("missing", ["ItsmeServiceCode", "ItsmeClientKey", "ItsmeDecryptionKey"])
def test_itsme_profile_requires(workdir, keys, missing):
    conf = server_conf(DISCOVERY, "rp", keys, service_code=missing != "ItsmeServiceCode" and "SVC",
                       client_key=missing != "ItsmeClientKey", decryption_key=missing != "ItsmeDecryptionKey")
    # a protected location without a service code names its line (ITSME07100)
    needles = ("ITSME07100", "has no itsme service code") if missing == "ItsmeServiceCode" else ("is missing",)
    assert_refused(workdir, f"itsme-req-{missing}", conf, missing, *needles)


def test_itsme_preset_requires_service_code(workdir, keys):
    """The production preset (no URL) is held to the same rule."""
    conf = server_conf("", "rp", keys, service_code=None, provider="itsme-e2e")
    assert_refused(workdir, "itsme-req-preset", conf, "ItsmeServiceCode")


def test_encryption_off_needs_no_decryption_key(workdir, keys):
    conf = server_conf(DISCOVERY, "rp", keys, "ItsmeExpectEncryption off\n", decryption_key=False)
    started, out = startup(workdir, "itsme-enc-off", conf)
    assert started, out


def test_broker_may_use_a_client_key_instead_of_a_secret(workdir, keys):
    conf = server_conf(DISCOVERY, "rp", keys, provider="broker", service_code=None, decryption_key=False)
    started, out = startup(workdir, "broker-key", conf)
    assert started, out


def test_broker_expecting_encryption_needs_a_decryption_key(workdir, keys):
    conf = itsme_server_conf(DISCOVERY, "rp", "secret-0123456789abcdef", "ItsmeExpectEncryption on\n")
    assert_refused(workdir, "broker-enc", conf, "ItsmeDecryptionKey")


@pytest.mark.parametrize("case", ["ec", "small", "missing", "public"])
def test_bad_client_key(workdir, keys, case):
    if case == "public":
        path = keys.dir / "rp-sig-public.pem"
        subprocess.run(["openssl", "pkey", "-in", str(keys.sig), "-pubout", "-out", str(path)], check=True,
                       capture_output=True, timeout=30)
    else:
        path = {"ec": keys.ec, "small": keys.small, "missing": keys.dir / "nope.pem"}[case]
    conf = server_conf(DISCOVERY, "rp", keys, client_key=False) + f"ItsmeClientKey {path}\n"
    why = {"ec": "RSA", "small": "too small", "missing": "cannot read", "public": "private key"}[case]
    assert_refused(workdir, f"itsme-badkey-{case}", conf, "ItsmeClientKey", why)


@pytest.mark.parametrize("args,why", [
    ("{enc} bad/kid", "kid"),
    ("{enc} e9 forever", "retired"),
])
def test_bad_decryption_key_arguments(workdir, keys, args, why):
    conf = server_conf(DISCOVERY, "rp", keys, decryption_key=False) + \
        "ItsmeDecryptionKey " + args.format(enc=keys.enc) + "\n"
    assert_refused(workdir, "itsme-baddec", conf, "ItsmeDecryptionKey", why)


@pytest.mark.parametrize("code", ["a/b", "ab;c", "x" * 129])
def test_bad_service_code(workdir, keys, code):
    conf = server_conf(DISCOVERY, "rp", keys, service_code=code)
    assert_refused(workdir, "itsme-badsvc", conf, "ItsmeServiceCode")


def test_kids_must_be_unique(workdir, keys):
    conf = server_conf(DISCOVERY, "rp", keys, f"ItsmeDecryptionKey {keys.enc_old} s1\n")
    assert_refused(workdir, "itsme-dupkid", conf, "ITSME02001", "'s1'")
    # caught by the configuration test already (check_config), not only at start
    t = harness.Httpd(workdir, "itsme-dupkid-t", conf).configtest()
    assert t.returncode != 0 and "ITSME02001" in t.stdout + t.stderr, t


def test_same_key_twice_is_refused(workdir, keys):
    """Without kids, one key given for signing and for encryption has one
    thumbprint twice: refused (itsme wants two distinct keys)."""
    conf = server_conf(DISCOVERY, "rp", keys, client_key=False, decryption_key=False) + \
        f"ItsmeClientKey {keys.sig}\nItsmeDecryptionKey {keys.sig}\n"
    assert_refused(workdir, "itsme-samekey", conf, "ITSME02001")


@pytest.mark.parametrize("uri,why", [
    ("/itsme/callback", "same path as ItsmeRedirectURI"),
    ("/jwks?x=1", "query"),
    ("http://example.org/jwks", "https"),
    ("relative/jwks", "path starting with"),
])
def test_bad_jwks_uri(workdir, keys, uri, why):
    conf = server_conf(DISCOVERY, "rp", keys, jwks=uri)
    assert_refused(workdir, "itsme-badjwks", conf, "ItsmeJWKSURI", why)


def test_jwks_uri_without_keys(workdir):
    conf = itsme_server_conf(DISCOVERY, "rp", "secret-0123456789abcdef", "ItsmeJWKSURI /jwks.json\n")
    assert_refused(workdir, "broker-jwks-nokeys", conf, "ITSME02001", "no ItsmeClientKey")


def test_request_object_on_needs_a_client_key(workdir):
    conf = itsme_server_conf(DISCOVERY, "rp", "secret-0123456789abcdef", "ItsmeRequestObject on\n")
    assert_refused(workdir, "broker-ro", conf, "ItsmeClientKey")


def test_example_config_starts(workdir, keys):
    """conf/example-itsme-e2e.conf, with its key paths pointed at test keys, is
    accepted as it stands (directives, validation, post_config checks)."""
    passfile = keys.dir / "session.key"
    passfile.write_text(harness.random_passphrase() + "\n")
    text = (harness.REPO / "conf" / "example-itsme-e2e.conf").read_text()
    for name, path in (("rp-sig.pem", keys.sig), ("rp-enc.pem", keys.enc), ("session.key", passfile)):
        text = text.replace(f"/etc/apache2/itsme/{name}", str(path))
    assert "/etc/apache2/itsme/" not in text.split("<VirtualHost", 1)[1], text
    # two itsme services in the one virtual host (issue 10)
    codes = [ln.split()[1] for ln in text.splitlines() if ln.strip().startswith("ItsmeServiceCode ")]
    assert len(set(codes)) == 2, codes
    # its https virtual host, with a throwaway certificate for mod_ssl
    cert, key = keys.dir / "tls.pem", keys.dir / "tls.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                    "/CN=app.example.org", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, stdin=subprocess.DEVNULL)
    for old, new in (("/etc/ssl/certs/app.example.org.pem", cert), ("/etc/ssl/private/app.example.org.key", key)):
        assert old in text, old
        text = text.replace(old, str(new))
    assert "\n    SSLEngine on\n" in text, "the example's https virtual host has no SSLEngine on"
    ssl = f"LoadModule ssl_module {harness.httpd_modules_dir()}/mod_ssl.so\n"
    if "mod_ssl" in harness.builtin_modules():
        ssl = ""
    started, out = startup(workdir, "itsme-example", ssl + text)
    assert started, out
