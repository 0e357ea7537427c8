# SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE.
"""client_secret_post against an OP that only offers client_secret_post."""

import pytest

import harness
from conftest import POST_CLIENT, REDIRECT_PATTERN, itsme_server_conf, start_httpd, stop_httpd


@pytest.fixture(scope="module")
def post_op(workdir):
    op = harness.start_test_op(workdir, {
        "profile": "broker",
        "clients": [POST_CLIENT],
        "clientAuthMethods": ["client_secret_post"],
        "redirectUriPattern": REDIRECT_PATTERN,
    }, name="op-post")
    yield op
    op.stop()


@pytest.fixture(scope="module")
def httpd(workdir, post_op):
    conf = itsme_server_conf(post_op.discovery, POST_CLIENT["client_id"], POST_CLIENT["client_secret"])
    h = start_httpd(workdir, "client_post", conf)
    yield h
    stop_httpd(h)


def test_discovery_lists_only_post(post_op):
    d = harness.http_json("GET", post_op.discovery)
    assert d["token_endpoint_auth_methods_supported"] == ["client_secret_post"]


def test_login_with_client_secret_post(httpd, post_op, jar):
    r = harness.curl(httpd.base + "/app/cgi/env.py", jar=jar, follow=True)
    assert r.status == 200, r
    assert r.json()["env"]["HTTP_X_ITSME_NIN"] == "81042419835"
    tokens = [e for e in harness.http_json("GET", post_op.base + "/_test/log") if e.get("event") == "token"]
    assert tokens and tokens[-1]["status"] == 200
    assert tokens[-1]["authorization"] is None, "client_secret_post must not send an Authorization header"
