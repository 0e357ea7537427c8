# SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE.
"""ItsmeCryptoPassphrase: keys come from HKDF without stretching, so a value
must be random and at least 32 bytes; a shorter one stops httpd at startup
(the check is the core's ITSME_CRYPTO_MIN_PASSPHRASE, applied by the glue)."""

import secrets

import harness
from conftest import BASIC_CLIENT


def conf(op, passphrase):
    return "\n".join([
        f"ItsmeProvider broker {op.discovery}",
        f"ItsmeClientID {BASIC_CLIENT['client_id']}",
        f"ItsmeClientSecret {BASIC_CLIENT['client_secret']}",
        "ItsmeRedirectURI /itsme/callback",
        f"ItsmeCryptoPassphrase {passphrase}",
    ]) + "\n"


def configtest(workdir, op, name, passphrase):
    t = harness.Httpd(workdir, name, conf(op, passphrase)).configtest()
    return t.returncode, t.stdout + t.stderr


def random_text(n):
    """n random characters from the base64url alphabet."""
    return secrets.token_urlsafe(n)[:n]


def test_31_bytes_refused_32_accepted(workdir, test_op):
    short = random_text(31)
    rc, out = configtest(workdir, test_op, "pass31", short)
    assert rc != 0, out
    assert "ItsmeCryptoPassphrase" in out and "32 bytes" in out, out
    assert short not in out, out                 # never echo the secret
    rc, out = configtest(workdir, test_op, "pass32", random_text(32))
    assert rc == 0, out


def test_file_value_counts_after_trimming(workdir, test_op):
    """`openssl rand -base64 32 > file` (44 characters and a newline) passes;
    31 characters and a newline do not."""
    good = workdir / "session-good.key"
    good.write_text(random_text(44) + "\n")
    rc, out = configtest(workdir, test_op, "passfile44", f"file:{good}")
    assert rc == 0, out
    bad = workdir / "session-bad.key"
    bad.write_text(random_text(31) + "\n")
    rc, out = configtest(workdir, test_op, "passfile31", f"file:{bad}")
    assert rc != 0, out
    assert "32 bytes" in out, out
