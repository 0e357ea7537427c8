# SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE.
"""The module's counters on mod_status' page: Itsme* lines in ?auto (what
monitoring scrapes) and a section in the HTML page; one count for the whole
server whichever child answers, kept across a graceful restart."""

import re
import signal
import time
import urllib.parse

import pytest

import harness
from conftest import BASIC_CLIENT, itsme_server_conf, start_httpd, stop_httpd

ITSME_LINE = r"ITSME\d+"


def status_conf(test_op, extra=""):
    """The itsme server configuration plus mod_status at /server-status."""
    load = ""
    if "mod_status" not in harness.builtin_modules():
        load = f"LoadModule status_module {harness.httpd_modules_dir()}/mod_status.so"
    return itsme_server_conf(test_op.discovery, BASIC_CLIENT["client_id"],
                             BASIC_CLIENT["client_secret"], extra=f"""
{load}
<Location /server-status>
    SetHandler server-status
    Require all granted
</Location>
{extra}
""")


LOCATIONS = harness.default_locations("""
<Location /app/cgi/env.py/high>
    ItsmeACRValues urn:example:high
</Location>
""")


@pytest.fixture(scope="module")
def httpd(workdir, test_op):
    h = start_httpd(workdir, "status", status_conf(test_op), locations=LOCATIONS)
    yield h
    stop_httpd(h)


def counters(h):
    """The Itsme* lines of ?auto, as a dict of ints."""
    r = harness.curl(h.base + "/server-status?auto")
    assert r.status == 200, r
    found = dict(re.findall(r"^(Itsme\w+): (\d+)$", r.body, re.M))
    assert found, r.body
    return {k: int(v) for k, v in found.items()}


def login(h, jar):
    r = harness.curl(h.base + "/app/cgi/env.py", jar=jar, follow=True)
    assert r.status == 200 and r.url == h.base + "/app/cgi/env.py", r
    return r


def to_callback(h, jar):
    """Walk the flow up to (not including) the callback; return its URL."""
    hops = harness.walk(h.base + "/app/cgi/env.py", jar,
                        stop=lambda r: (r.location or "").startswith(h.base + "/itsme/callback"))
    assert (hops[-1].location or "").startswith(h.base + "/itsme/callback"), hops
    return hops[-1].location


def delta(before, after):
    return {k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)}


def test_auto_has_the_counters(httpd):
    c = counters(httpd)
    for key in ("ItsmeLogins", "ItsmeLoginFailures", "ItsmeLoginFailuresState",
                "ItsmeLoginFailuresOPError", "ItsmeLoginFailuresToken",
                "ItsmeLoginFailuresNetwork", "ItsmeLoginFailuresOther",
                "ItsmeSessionsFromCookie", "ItsmeSessionsFromStore", "ItsmeSessionsExpired",
                "ItsmeStepUps", "ItsmeOPFetches", "ItsmeOPFetchErrors",
                "ItsmeOPFetchMicroseconds", "ItsmeOPFetchMaxMicroseconds", "ItsmeJWKSRefetches"):
        assert key in c, (key, c)


def test_login_counts(httpd, jar):
    before = counters(httpd)
    login(httpd, jar)
    d = delta(before, counters(httpd))
    assert d.get("ItsmeLogins") == 1, d
    assert "ItsmeLoginFailures" not in d, d
    # the token exchange at least (discovery and JWKS when not cached yet)
    assert d.get("ItsmeOPFetches", 0) >= 1 and d.get("ItsmeOPFetchMicroseconds", 0) > 0, d
    # the session then comes back in its cookie
    before = counters(httpd)
    r = harness.curl(httpd.base + "/app/cgi/env.py", jar=jar)
    assert r.status == 200, r
    d = delta(before, counters(httpd))
    assert d == {"ItsmeSessionsFromCookie": 1}, d


def test_bogus_callback_counts_a_state_failure(httpd, expect_log):
    expect_log(ITSME_LINE, required=False)
    before = counters(httpd)
    r = harness.curl(httpd.base + "/itsme/callback?state=" + "x" * 32 + "&code=abc")
    assert r.status == 400, r
    d = delta(before, counters(httpd))
    assert d == {"ItsmeLoginFailures": 1, "ItsmeLoginFailuresState": 1}, d


def test_op_error_counts_its_cause(httpd, jar, expect_log):
    expect_log(ITSME_LINE, required=False)
    cb = to_callback(httpd, jar)
    parts = urllib.parse.urlsplit(cb)
    q = dict(urllib.parse.parse_qsl(parts.query))
    q.pop("code", None)
    q["error"] = "access_denied"
    before = counters(httpd)
    r = harness.curl(urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(q))),
                     jar=jar)
    assert r.status == 403, r
    d = delta(before, counters(httpd))
    assert d == {"ItsmeLoginFailures": 1, "ItsmeLoginFailuresOPError": 1}, d


def test_step_up_counts(httpd, jar):
    login(httpd, jar)
    before = counters(httpd)
    r = harness.curl(httpd.base + "/app/cgi/env.py/high", jar=jar,
                     headers=["Accept: application/json"])
    assert r.status == 401, r
    d = delta(before, counters(httpd))
    assert d == {"ItsmeStepUps": 1, "ItsmeSessionsFromCookie": 1}, d


def test_idle_session_counts_as_expired(workdir, test_op, jar):
    h = start_httpd(workdir, "status-idle",
                    status_conf(test_op, "ItsmeSessionInactivityTimeout 10"))
    try:
        login(h, jar)
        time.sleep(11)
        r = harness.curl(h.base + "/app/cgi/env.py", jar=jar)
        assert r.status == 302, r
        c = counters(h)
        assert c["ItsmeSessionsExpired"] == 1 and c["ItsmeLogins"] == 1, c
    finally:
        stop_httpd(h)


def test_html_page_has_an_itsme_section(httpd):
    r = harness.curl(httpd.base + "/server-status")
    assert r.status == 200, r
    html = r.body
    assert "<h2>mod_auth_itsme</h2>" in html, html
    assert re.search(r"<tr><td>Logins completed</td><td>\d+</td></tr>", html), html
    assert "Itsme" not in html.split("<h2>mod_auth_itsme</h2>")[1].split("</table>")[0]


def test_same_counts_whichever_child_answers(workdir, test_op, jar, expect_log):
    """Every child serves one connection and exits: the login and the status
    reads are served by different processes, and all see the same counts;
    a graceful restart keeps them."""
    # httpd's own complaint should stopping children hold every slot
    expect_log(r"AH03490: scoreboard is full", required=False)
    extra = ('MaxConnectionsPerChild 1\nServerLimit 16\n'
             f'CustomLog "{workdir}/status-children/pids.log" "%P %U"\n')
    h = start_httpd(workdir, "status-children", status_conf(test_op, extra))
    try:
        login(h, jar)
        reads = [counters(h) for _ in range(4)]
        assert all(r == reads[0] for r in reads), reads
        assert reads[0]["ItsmeLogins"] == 1, reads[0]
        pids = {ln.split()[0] for ln in (h.dir / "pids.log").read_text().splitlines()
                if "/server-status" in ln or "/itsme/callback" in ln}
        assert len(pids) >= 3, pids
        graceful_restart(h)
        after = counters(h)
        assert after["ItsmeLogins"] == 1, after
        login(h, jar.with_name("second.txt"))
        assert counters(h)["ItsmeLogins"] == 2
    finally:
        stop_httpd(h)


def generation(h):
    r = harness.curl(h.base + "/server-status?auto")
    m = re.search(r"^ParentServerConfigGeneration: (\d+)$", r.body, re.M)
    return int(m.group(1)) if r.status == 200 and m else None


def graceful_restart(h, timeout=20):
    """SIGUSR1, then wait for the next configuration generation to answer."""
    was = generation(h)
    assert was is not None
    h.proc.send_signal(signal.SIGUSR1)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = generation(h)
        if now is not None and now > was:
            return
        time.sleep(0.2)
    raise AssertionError(f"no graceful restart (generation {was})")
