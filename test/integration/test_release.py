# SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE.
"""The release: the module names its version (configure.ac's AC_INIT) once
per start or restart in the error log at notice level, so that it shows
under Debian's default LogLevel warn, and keeps it out of the Server header."""

import re
import signal
import time

import harness
from conftest import BASIC_CLIENT, itsme_server_conf, start_httpd, stop_httpd


def configure_version():
    text = (harness.REPO / "configure.ac").read_text()
    m = re.search(r"^AC_INIT\(\[mod_auth_itsme\],\s*\[([^\]]+)\]", text, re.M)
    assert m, "no AC_INIT version in configure.ac"
    return m.group(1)


def version_lines(h, version):
    pat = re.compile(r"\[auth_itsme:notice\] .*ITSME08000: mod_auth_itsme " + re.escape(version) + r" configured")
    return [ln for ln in h.log_since(0) if pat.search(ln)]


def wait_for(cond, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.1)
    return cond()


def test_version_notice_once_per_start_not_in_server_header(workdir, test_op):
    version = configure_version()
    # the main server's LogLevel as Debian ships it; ServerTokens Full shows
    # every version component a module adds
    conf = itsme_server_conf(test_op.discovery, BASIC_CLIENT["client_id"], BASIC_CLIENT["client_secret"],
                             "LogLevel warn\nServerTokens Full\n")
    h = start_httpd(workdir, "release_version", conf)
    try:
        # httpd reads its configuration twice at startup; only the real pass logs
        assert wait_for(lambda: len(version_lines(h, version)) == 1), h.log_since(0)
        time.sleep(0.5)
        assert len(version_lines(h, version)) == 1, h.log_since(0)

        r = harness.curl(h.base + "/open/")
        server = r.header("Server") or ""
        assert server.startswith("Apache"), server
        assert "itsme" not in server.lower(), server

        # a graceful restart is a new start: the line once more
        h.proc.send_signal(signal.SIGUSR1)
        assert wait_for(lambda: len(version_lines(h, version)) == 2), h.log_since(0)
        assert harness.wait_port(h.port), "httpd stopped serving after a graceful restart"
    finally:
        stop_httpd(h)


def test_version_not_logged_by_configtest(workdir, test_op):
    """apache2 -t runs no post_config: nothing to announce there."""
    version = configure_version()
    conf = itsme_server_conf(test_op.discovery, BASIC_CLIENT["client_id"], BASIC_CLIENT["client_secret"])
    h = harness.Httpd(workdir, "release_configtest", conf)
    t = h.configtest()
    assert t.returncode == 0, t.stdout + t.stderr
    assert "ITSME08000" not in t.stdout + t.stderr
    assert not version_lines(h, version)
