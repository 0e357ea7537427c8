# SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE.
"""HTTP/2 in clear text (mod_http2, Protocols h2c http/1.1): with prior
knowledge, and through an HTTP/1.1 request carrying Upgrade: h2c, which
mod_http2 replays as stream 1 from the request's headers as they are when the
core's handler switches. A logged-in user stays logged in over both, a full
login with curl --http2 completes, and the backend sees the claims but never
the module's cookies."""
import subprocess
from pathlib import Path

import pytest

import harness
from conftest import BASIC_CLIENT, itsme_server_conf, start_httpd, stop_httpd

SUB = "tXOq9614vLHkXBkEu3Jm0Qa7ZGQO02Fc98IPaHq6iRwK-ytA="
H2 = Path(harness.httpd_modules_dir()) / "mod_http2.so"


def curl_has_http2():
    out = subprocess.run(["curl", "-V"], capture_output=True, text=True).stdout
    return any(line.startswith("Features:") and " HTTP2" in line for line in out.splitlines())


@pytest.fixture(scope="module")
def h2c(workdir, test_op, echo_backend):
    if not H2.exists():
        pytest.skip(f"{H2} not installed")
    if not curl_has_http2():
        pytest.skip("curl without HTTP/2")
    conf = itsme_server_conf(test_op.discovery, BASIC_CLIENT["client_id"], BASIC_CLIENT["client_secret"],
                             extra=f"LoadModule http2_module {H2}\nProtocols h2c http/1.1\n")
    h = start_httpd(workdir, "h2c", conf, backend=echo_backend)
    yield h
    stop_httpd(h)


def access_lines(h, path):
    return [ln for ln in (h.dir / "access.log").read_text().splitlines() if f" {path} " in ln]


def check_env(r):
    assert r.status == 200, r
    env = r.json()["env"]
    assert env.get("REMOTE_USER") == SUB and env.get("HTTP_X_ITSME_SUB") == SUB, env
    assert "itsme_session" not in env.get("HTTP_COOKIE", ""), env


def test_full_login_with_upgrade(h2c, jar):
    r = harness.curl(h2c.base + "/app/cgi/env.py?login=h2", jar=jar, follow=True, extra=["--http2"])
    assert r.url == h2c.base + "/app/cgi/env.py?login=h2", r
    check_env(r)


def test_logged_in_request_with_upgrade_is_served_as_the_user(h2c, jar):
    r = harness.curl(h2c.base + "/app/cgi/env.py?login=h1", jar=jar, follow=True)
    check_env(r)
    r = harness.curl(h2c.base + "/app/cgi/env.py?up=1", jar=jar, extra=["--http2"])
    check_env(r)
    lines = access_lines(h2c, "/app/cgi/env.py?up=1")
    assert any("HTTP/2.0\" 200" in ln for ln in lines), lines   # the upgrade took place
    assert not any("\" 302 " in ln for ln in lines), lines


def test_logged_in_request_with_prior_knowledge(h2c, jar):
    r = harness.curl(h2c.base + "/app/cgi/env.py?login=h1", jar=jar, follow=True)
    check_env(r)
    r = harness.curl(h2c.base + "/app/cgi/env.py?pk=1", jar=jar, extra=["--http2-prior-knowledge"])
    check_env(r)
    assert any("HTTP/2.0\" 200" in ln for ln in access_lines(h2c, "/app/cgi/env.py?pk=1"))


def test_proxied_backend_over_upgrade_sees_claims_once_and_no_module_cookie(h2c, jar):
    harness.curl(h2c.base + "/app/cgi/env.py?login=h1", jar=jar, follow=True)
    r = harness.curl(h2c.base + "/app/proxied/h2?x=1", jar=jar, extra=["--http2"],
                     headers=["Cookie: app_pref=dark", "X-Itsme-Nin: 00000000097"])
    assert r.status == 200, r
    hdrs = {}
    for k, v in r.json()["headers"]:
        hdrs.setdefault(k.lower(), []).append(v)
    assert hdrs.get("x-itsme-sub") == [SUB], hdrs
    assert hdrs.get("x-itsme-nin") == ["81042419835"], hdrs
    cookie = "; ".join(hdrs.get("cookie", []))
    assert "itsme_session" not in cookie and "app_pref=dark" in cookie, cookie
