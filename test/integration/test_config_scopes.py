# SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE.
"""Location directives set once for a server, and warnings that reach the log.

A configuration entirely inside a <VirtualHost>: ItsmeClaims,
ItsmePassClaimsAs and ItsmeUnauthAction set at vhost level (ItsmeEnvPrefix
in the main server, inherited through the vhost) are the defaults of its
locations; a <Location> that sets one overrides it, and its ItsmeClaims
replaces the vhost's list. The two configuration warnings (ITSME02000, a
key file every user can read; ITSME03000, a Require itsme-claim on a name
that is not canonical) are logged for a directive inside the vhost, once
at startup (httpd reads its configuration twice) and under `httpd -t`."""

import re
import subprocess
import urllib.parse

import pytest

import harness
import itsme_support
from conftest import BASIC_CLIENT, RUNNING, itsme_server_conf, stop_httpd

SUB = "tXOq9614vLHkXBkEu3Jm0Qa7ZGQO02Fc98IPaHq6iRwK-ytA="
WARN_02000 = r"ITSME02000: .*httpd\.conf:\d+: ItsmeDecryptionKey: the private key file .*open\.pem " \
             r"can be read by every user"
WARN_03000 = r"ITSME03000: .*httpd\.conf:\d+: Require itsme-claim: 'givenname' is not a canonical"


def vhost_conf(workdir, port, discovery):
    key = workdir / "scopes-open.pem"
    if not key.exists():
        itsme_support.make_rsa_key(key)
    key.chmod(0o644)                   # readable by every user: ITSME02000
    server = itsme_server_conf(discovery, BASIC_CLIENT["client_id"], BASIC_CLIENT["client_secret"])
    body = "\n    ".join(server.strip().splitlines())
    return f"""
# main-server default, inherited by the virtual host's locations
ItsmeEnvPrefix ITSME_VH_

<VirtualHost 127.0.0.1:{port}>
    ServerName scopes.test
    {body}
    # broker: harmless, never used (ID tokens are not encrypted)
    ItsmeDecryptionKey {key} enc-open

    # the vhost's defaults for its locations
    ItsmeClaims sub given_name birthdate
    ItsmePassClaimsAs environment
    ItsmeUnauthAction 401

    # inherits claims and environment; its own ItsmeUnauthAction
    <Location /app>
        AuthType itsme
        ItsmeUnauthAction auth
        Require valid-user
    </Location>
    # inherits ItsmeUnauthAction 401; its own claims and headers
    <Location /open/cgi>
        AuthType itsme
        ItsmeClaims sub family_name
        ItsmePassClaimsAs headers
        Require valid-user
    </Location>
    # replaces the claims list, logs in
    <Location /nin>
        AuthType itsme
        ItsmeClaims nin
        ItsmeUnauthAction auth
        Require valid-user
    </Location>
    <Location /w>
        AuthType itsme
        Require itsme-claim givenname:x
    </Location>
</VirtualHost>
"""


class VhostHttpd(harness.Httpd):
    """The test httpd with vhost_conf for its (possibly re-picked) port."""

    def __init__(self, workdir, name, discovery):
        super().__init__(workdir, name, "", locations="")
        self.workdir, self.discovery = workdir, discovery

    def write_conf(self):
        self.server_directives = vhost_conf(self.workdir, self.port, self.discovery)
        return super().write_conf()


@pytest.fixture(scope="module")
def httpd(workdir, test_op):
    h = VhostHttpd(workdir, "scopes", test_op.discovery)
    try:
        h.start()
    except RuntimeError as e:
        pytest.fail(str(e), pytrace=False)
    RUNNING.append(h)
    yield h
    stop_httpd(h)


def scopes_asked(httpd, path, jar):
    r = harness.curl(httpd.base + path, jar=jar)
    assert r.status == 302, r
    return urllib.parse.parse_qs(urllib.parse.urlsplit(r.location).query)["scope"][0].split()


def test_configtest_accepts_vhost_defaults_and_prints_both_warnings(workdir, test_op):
    h = VhostHttpd(workdir, "scopes_t", test_op.discovery)
    t = h.configtest()
    out = t.stdout + t.stderr
    assert t.returncode == 0 and "Syntax OK" in out, out
    assert len(re.findall(WARN_02000, out)) == 1, out
    assert len(re.findall(WARN_03000, out)) == 1, out


def test_startup_logs_both_warnings_once(httpd):
    log = "\n".join(httpd.log_since(0))
    assert len(re.findall(WARN_02000, log)) == 1, log
    assert len(re.findall(WARN_03000, log)) == 1, log


def test_inherited_and_replaced_claims_are_asked_for(httpd, tmp_path):
    app = scopes_asked(httpd, "/app/x", tmp_path / "a.txt")
    assert "date-of-birth" in app and "nin" not in app, app
    nin = scopes_asked(httpd, "/nin/x", tmp_path / "n.txt")
    assert "nin" in nin and "date-of-birth" not in nin, nin


def test_inherited_unauth_action_answers_401(httpd, jar):
    r = harness.curl(httpd.base + "/open/cgi/env.py", jar=jar)
    assert r.status == 401, r
    assert r.header("WWW-Authenticate", block=-1).startswith("itsme"), r


def test_login_then_inheriting_and_overriding_locations(httpd, jar):
    r = harness.curl(httpd.base + "/app/cgi/env.py", jar=jar, follow=True)
    assert r.status == 200 and r.url == httpd.base + "/app/cgi/env.py", r
    env = r.json()["env"]
    # /app: the vhost's claims and ItsmePassClaimsAs, the main server's prefix
    assert env.get("REMOTE_USER") == SUB
    assert env.get("ITSME_VH_SUB") == SUB and env.get("ITSME_VH_GIVEN_NAME") == "Maxence", env
    assert env.get("ITSME_VH_BIRTHDATE") == "1981-04-24", env
    assert not [k for k in env if k.startswith("HTTP_X_ITSME_")
                or (k.startswith("ITSME_") and not k.startswith("ITSME_VH_"))], env
    # /open/cgi: its own ItsmePassClaimsAs headers, same session
    r = harness.curl(httpd.base + "/open/cgi/env.py", jar=jar)
    assert r.status == 200, r
    env = r.json()["env"]
    assert env.get("REMOTE_USER") == SUB
    assert env.get("HTTP_X_ITSME_SUB") == SUB and env.get("HTTP_X_ITSME_FAMILY_NAME") == "Legrand", env
    assert not [k for k in env if k.startswith("ITSME_")], env


def test_refused_configuration_prints_its_warnings_too(workdir, test_op):
    conf = itsme_server_conf(test_op.discovery, None, BASIC_CLIENT["client_secret"])
    h = harness.Httpd(workdir, "scopes_refused", "", locations="")
    h.server_directives = (f"<VirtualHost 127.0.0.1:{h.port}>\n{conf}\n<Location /w>\n    AuthType itsme\n"
                           "    Require itsme-claim givenname:x\n</Location>\n</VirtualHost>\n")
    t = h.configtest()
    out = t.stdout + t.stderr
    assert t.returncode != 0 and "ItsmeClientID is missing" in out, out
    assert len(re.findall(WARN_03000, out)) == 1, out


def test_main_server_warnings_reach_its_error_log_once(workdir, test_op):
    """The same directives in the main server: -t prints each warning once,
    a start writes each once to the error log (not to the console)."""
    key = workdir / "scopes-open.pem"
    if not key.exists():
        itsme_support.make_rsa_key(key)
    key.chmod(0o644)
    conf = itsme_server_conf(test_op.discovery, BASIC_CLIENT["client_id"], BASIC_CLIENT["client_secret"],
                             f"ItsmeDecryptionKey {key} enc-open\n")
    h = harness.Httpd(workdir, "scopes_main", conf,
                      locations="<Location /w>\n    AuthType itsme\n    Require itsme-claim givenname:x\n"
                                "</Location>\n")
    t = h.configtest()
    out = t.stdout + t.stderr
    assert t.returncode == 0, out
    assert len(re.findall(WARN_02000, out)) == 1 and len(re.findall(WARN_03000, out)) == 1, out
    h.start()
    try:
        log = "\n".join(h.log_since(0))
        assert len(re.findall(WARN_02000, log)) == 1 and len(re.findall(WARN_03000, log)) == 1, log
        console = h.stderr.read_text(errors="replace")
        assert "ITSME02000" not in console and "ITSME03000" not in console, console
    finally:
        h.stop()
