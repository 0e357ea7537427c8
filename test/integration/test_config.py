# SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE.
"""Configuration errors stop httpd at startup with the directive named."""

import subprocess

import harness
from conftest import BASIC_CLIENT, itsme_server_conf


def test_missing_client_id_fails_startup(workdir, test_op):
    conf = itsme_server_conf(test_op.discovery, None, BASIC_CLIENT["client_secret"])
    h = harness.Httpd(workdir, "no_client_id", conf)
    t = h.configtest()
    out = t.stdout + t.stderr
    if t.returncode != 0:
        assert "ItsmeClientID" in out, out
        return
    # the check may live in post_config, which -t does not run: start for real
    h.write_conf()
    p = subprocess.Popen([harness.httpd_binary(), "-f", str(h.conf), "-DFOREGROUND"], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, stdin=subprocess.DEVNULL)
    try:
        stdout, _ = p.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        p.terminate()
        p.communicate(timeout=10)
        raise AssertionError("httpd started without ItsmeClientID")
    out = stdout + harness.tail(h.errlog, 50)
    assert p.returncode != 0, out
    assert "ItsmeClientID" in out, out
