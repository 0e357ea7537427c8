# SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE.
"""Claims are exported once (check_authn) and the last fixup only checks that
export still stands: what another module did to the claim headers in between
(mod_headers' RequestHeader runs in the fixups too, before ours) is undone as
when the last fixup exported everything again: a value set or merged over
ours, one of ours unset, a new header under the prefix."""
import pytest

import harness
from conftest import BASIC_CLIENT, itsme_server_conf, start_httpd, stop_httpd

SUB = "tXOq9614vLHkXBkEu3Jm0Qa7ZGQO02Fc98IPaHq6iRwK-ytA="

LOCATIONS = harness.default_locations("""
<Location /app/proxied/set>
    RequestHeader set X-Itsme-Sub attacker
</Location>
<Location /app/proxied/merge>
    RequestHeader merge X-Itsme-Birthdate 1900-01-01
</Location>
<Location /app/proxied/unset>
    RequestHeader unset X-Itsme-Nin
</Location>
<Location /app/proxied/extra>
    RequestHeader set X-Itsme-Extra injected
</Location>
""")

@pytest.fixture(scope="module")
def httpd(workdir, test_op, echo_backend):
    conf = itsme_server_conf(test_op.discovery, BASIC_CLIENT["client_id"], BASIC_CLIENT["client_secret"])
    h = start_httpd(workdir, "export-once", conf, locations=LOCATIONS, backend=echo_backend)
    yield h
    stop_httpd(h)


def headers_seen(r):
    assert r.status == 200, r
    hdrs = {}
    for k, v in r.json()["headers"]:
        hdrs.setdefault(k.lower(), []).append(v)
    return hdrs


def test_claims_once_each(httpd, jar):
    harness.curl(httpd.base + "/app/cgi/env.py", jar=jar, follow=True)
    hdrs = headers_seen(harness.curl(httpd.base + "/app/proxied/plain", jar=jar))
    assert hdrs.get("x-itsme-sub") == [SUB], hdrs
    assert hdrs.get("x-itsme-nin") == ["81042419835"], hdrs
    assert hdrs.get("x-itsme-birthdate") == ["1981-04-24"], hdrs
    assert hdrs.get("x-itsme-given-name") == ["Maxence"], hdrs


@pytest.mark.parametrize("where", ["set", "merge", "unset", "extra"])
def test_other_modules_changes_to_claim_headers_are_undone(httpd, jar, where):
    harness.curl(httpd.base + "/app/cgi/env.py", jar=jar, follow=True)
    hdrs = headers_seen(harness.curl(httpd.base + "/app/proxied/" + where, jar=jar))
    assert hdrs.get("x-itsme-sub") == [SUB], hdrs
    assert hdrs.get("x-itsme-nin") == ["81042419835"], hdrs
    assert hdrs.get("x-itsme-birthdate") == ["1981-04-24"], hdrs
    assert "x-itsme-extra" not in hdrs, hdrs
