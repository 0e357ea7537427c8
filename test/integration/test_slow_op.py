# SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE.
"""A slow or vanished OP (issue 8, items 6 and 7).

A small OP of our own runs in a thread here: it serves a discovery document
and, when told to, holds every request until released (a hanging OP) or
refuses connections (a vanished one). One httpd child serves two virtual
hosts: the main one on the test OP, the other on the slow OP.

- While the slow OP hangs, a login start on the other virtual host answers
  fast: fetches no longer queue behind one cache lock per child.
- With the slow OP's discovery cached and the OP then hanging, the callback
  answers with the module's own 504 page within ItsmeHTTPTimeout (and 502 at
  once when the OP refuses connections).
"""
import socket
import threading
import time
import json
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import harness
from conftest import BASIC_CLIENT, itsme_server_conf, start_httpd, stop_httpd

SLOW_TIMEOUT = 8     # ItsmeHTTPTimeout of the slow OP's virtual host (seconds)
FAST_BOUND = 4.0     # the other virtual host must answer well within this


class SlowOP:
    def __init__(self):
        self.release = threading.Event()
        self.release.set()
        self.hits = 0
        op = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                op.hits += 1
                op.release.wait(60)
                if self.path == "/.well-known/openid-configuration":
                    base = f"http://127.0.0.1:{op.port}"
                    body = json.dumps({
                        "issuer": base,
                        "authorization_endpoint": base + "/auth",
                        "token_endpoint": base + "/token",
                        "jwks_uri": base + "/jwks",
                        "response_types_supported": ["code"],
                        "subject_types_supported": ["public"],
                        "id_token_signing_alg_values_supported": ["RS256"],
                        "code_challenge_methods_supported": ["S256"],
                    }).encode()
                else:
                    body = b'{"keys":[]}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                op.hits += 1
                op.release.wait(60)
                self.send_response(400)
                self.end_headers()

            def log_message(self, fmt, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def discovery(self):
        return f"http://127.0.0.1:{self.port}/.well-known/openid-configuration"

    def hang(self):
        self.release.clear()

    def stop(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def slow_op():
    op = SlowOP()
    yield op
    op.stop()


@pytest.fixture(scope="module")
def two_hosts(workdir, test_op, slow_op, echo_backend):
    port_b = harness.free_port()
    slow = itsme_server_conf(slow_op.discovery, "slow-client", "slow-secret-" + "x" * 20)
    slow = slow.replace("ItsmeHTTPTimeout 5", f"ItsmeHTTPTimeout {SLOW_TIMEOUT}")
    conf = itsme_server_conf(test_op.discovery, BASIC_CLIENT["client_id"],
                             BASIC_CLIENT["client_secret"])
    # one child, so that both hosts share one process (and its cache)
    conf += f"""
StartServers 1
ServerLimit 1
MaxRequestWorkers 10
Listen 127.0.0.1:{port_b}
<VirtualHost 127.0.0.1:{port_b}>
{slow}
</VirtualHost>
"""
    h = start_httpd(workdir, "slowop", conf, backend=echo_backend)
    h.slow_base = f"http://127.0.0.1:{port_b}"
    yield h
    stop_httpd(h)


def login_start(base, jar=None, timeout=30):
    t0 = time.monotonic()
    r = harness.curl(base + "/app/", jar=jar, timeout=timeout)
    return r, time.monotonic() - t0


def test_hanging_op_does_not_slow_another_vhost(two_hosts, slow_op, test_op, expect_log):
    expect_log(r"ITSME\d+.*(discovery|provider metadata)", required=False)
    # the fast host's discovery is fetched and cached first
    r, _ = login_start(two_hosts.base)
    assert r.status == 302 and r.location.startswith(test_op.base + "/auth"), r
    slow_op.hang()
    try:
        starts = []
        for _ in range(3):   # the slow host's login starts wait for its OP
            t = threading.Thread(target=login_start, args=(two_hosts.slow_base,))
            t.start()
            starts.append(t)
        deadline = time.monotonic() + 10
        while slow_op.hits == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert slow_op.hits >= 1, "the slow OP was never asked"
        r, took = login_start(two_hosts.base)
        assert r.status == 302, r
        assert took < FAST_BOUND, f"login start took {took:.1f} s behind a hanging OP"
        assert slow_op.hits == 1, "concurrent callers of one URL share one fetch"
    finally:
        slow_op.release.set()
        for t in starts:
            t.join(60)


def test_callback_answers_504_when_op_hangs(two_hosts, slow_op, jar, expect_log):
    expect_log(r"ITSME\d+.*(token|timed out|Timeout)")
    r, _ = login_start(two_hosts.slow_base, jar=jar)
    assert r.status == 302, r
    state = urllib.parse.parse_qs(urllib.parse.urlsplit(r.location).query)["state"][0]
    slow_op.hang()
    try:
        t0 = time.monotonic()
        r = harness.curl(two_hosts.slow_base + "/itsme/callback?code=c1&state="
                         + urllib.parse.quote(state), jar=jar, timeout=60)
        took = time.monotonic() - t0
    finally:
        slow_op.release.set()
    assert r.status == 504, r
    assert "<h1>" in r.body, r   # the module's own page
    assert took < SLOW_TIMEOUT + 4, f"callback took {took:.1f} s"


def test_callback_answers_502_when_op_is_gone(workdir, echo_backend, jar, expect_log):
    # the child that answers may have the discovery cached (then the token
    # call fails) or not (then the discovery fetch does)
    expect_log(r"ITSME\d+.*(token|refused|connect|provider metadata)")
    op = SlowOP()
    conf = itsme_server_conf(op.discovery, "gone-client", "gone-secret-" + "x" * 20)
    h = start_httpd(workdir, "goneop", conf, backend=echo_backend)
    try:
        r, _ = login_start(h.base, jar=jar)
        assert r.status == 302, r
        state = urllib.parse.parse_qs(urllib.parse.urlsplit(r.location).query)["state"][0]
        op.stop()   # the OP is gone; its discovery is still cached
        r, took = login_start(h.base)
        # documented: a child that cached the discovery still sends people to
        # the OP; a child that has none (the cache is per process) cannot
        assert r.status in (302, 502), r
        t0 = time.monotonic()
        r = harness.curl(h.base + "/itsme/callback?code=c1&state=" + urllib.parse.quote(state),
                         jar=jar, timeout=30)
        assert r.status == 502, r
        assert "<h1>" in r.body, r
        assert time.monotonic() - t0 < 5 + 4
    finally:
        stop_httpd(h)
