# SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE.
"""The redirect_uri handler: state handling and bad input (never a 500)."""

import urllib.parse

import pytest

import harness
from conftest import BASIC_CLIENT, itsme_server_conf, start_httpd, stop_httpd

# The module is expected to log why it refused a callback; warn or error
# level are both fine, so ITSME lines are tolerated in these tests.
ITSME_LINE = r"ITSME\d+"


@pytest.fixture(scope="module")
def httpd(workdir, test_op):
    conf = itsme_server_conf(test_op.discovery, BASIC_CLIENT["client_id"], BASIC_CLIENT["client_secret"])
    h = start_httpd(workdir, "callback", conf)
    yield h
    stop_httpd(h)


def to_callback(httpd, jar, path="/app/cgi/env.py"):
    """Walk the flow up to (not including) the callback; return its URL."""
    hops = harness.walk(httpd.base + path, jar,
                        stop=lambda r: (r.location or "").startswith(httpd.base + "/itsme/callback"))
    last = hops[-1]
    assert (last.location or "").startswith(httpd.base + "/itsme/callback"), hops
    return last.location


def with_query(url, **changes):
    parts = urllib.parse.urlsplit(url)
    q = dict(urllib.parse.parse_qsl(parts.query))
    for k, v in changes.items():
        if v is None:
            q.pop(k, None)
        else:
            q[k] = v
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(q)))


def test_callback_ok_control(httpd, jar):
    cb = to_callback(httpd, jar)
    r = harness.curl(cb, jar=jar)
    assert r.status == 302 and r.location.endswith("/app/cgi/env.py"), r


def test_state_missing(httpd, jar, expect_log):
    expect_log(ITSME_LINE, required=False)
    cb = to_callback(httpd, jar)
    r = harness.curl(with_query(cb, state=None), jar=jar)
    assert r.status == 400, r


def test_state_garbage(httpd, jar, expect_log):
    expect_log(ITSME_LINE, required=False)
    cb = to_callback(httpd, jar)
    r = harness.curl(with_query(cb, state="garbage-" + "x" * 30), jar=jar)
    assert r.status == 400, r


def test_state_without_state_cookie(httpd, jar, expect_log):
    expect_log(ITSME_LINE, required=False)
    cb = to_callback(httpd, jar)
    r = harness.curl(cb)   # no cookie jar: the sealed state cookie is missing
    assert r.status == 400, r


def test_state_replayed(httpd, jar, expect_log):
    expect_log(ITSME_LINE, required=False)
    cb = to_callback(httpd, jar)
    r = harness.curl(cb, jar=jar)
    assert r.status == 302, r
    r = harness.curl(httpd.base + "/app/cgi/env.py", jar=jar)
    assert r.status == 200, r
    r = harness.curl(cb, jar=jar)
    assert r.status == 400, r


def test_state_of_another_flow(httpd, tmp_path, expect_log):
    expect_log(ITSME_LINE, required=False)
    jar_a, jar_b = tmp_path / "a.txt", tmp_path / "b.txt"
    cb_a = to_callback(httpd, jar_a)
    to_callback(httpd, jar_b)
    r = harness.curl(cb_a, jar=jar_b)    # A's code+state with B's cookies
    assert r.status == 400, r


def test_op_error_access_denied_is_403(httpd, jar, expect_log):
    expect_log(ITSME_LINE, required=False)
    cb = to_callback(httpd, jar)
    state = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(cb).query))["state"]
    url = (httpd.base + "/itsme/callback?" +
           urllib.parse.urlencode({"error": "access_denied", "error_description": "cancelled", "state": state}))
    r = harness.curl(url, jar=jar)
    assert r.status == 403, r


BAD_QUERIES = [
    "",
    "code=abc",
    "state=",
    "code=&state=",
    "error=access_denied",
    "code=abc&state=%ZZ%00",
    # (not longer: curl 7.88 then drops the jar's cookies and sends a broken
    # empty "Cookie:" header, and httpd waits for the rest of the request)
    "code=abc&state=" + "A" * 4000,
    "code=abc&code=def&state=x&state=y",
    "error=%3Cscript%3E&state=x",
]


@pytest.mark.parametrize("query", BAD_QUERIES, ids=range(len(BAD_QUERIES)))
def test_bad_callback_input_is_not_500(httpd, jar, query, expect_log):
    expect_log(ITSME_LINE, required=False)
    to_callback(httpd, jar)   # a pending flow, so a state cookie exists
    r = harness.curl(httpd.base + "/itsme/callback?" + query, jar=jar)
    assert 400 <= r.status < 600 and r.status != 500, r
    assert "<script>" not in r.body


def test_op_error_with_forged_state_is_400(httpd, jar, expect_log):
    """An error answer must carry the flow's state too: a forged one is a bad
    request (400), not an OP failure (502) or a refusal (403)."""
    expect_log(ITSME_LINE, required=False)
    to_callback(httpd, jar)
    for err in ("server_error", "access_denied"):
        r = harness.curl(httpd.base + f"/itsme/callback?error={err}&state=forged-state-0123456789", jar=jar)
        assert r.status == 400, (err, r)


def test_post_to_callback_is_not_500(httpd, jar, expect_log):
    expect_log(ITSME_LINE, required=False)
    to_callback(httpd, jar)
    r = harness.curl(httpd.base + "/itsme/callback", jar=jar, method="POST", data="code=x&state=y",
                     headers=["Content-Type: application/x-www-form-urlencoded"])
    assert 400 <= r.status < 500, r
