# SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE.
"""Require itsme-claim: every rule form allowing and denying, nested in
<RequireAll>/<RequireAny>/Require not, the answers to a denied user (403
page, or 401 + WWW-Authenticate for an API location), and rules that stop
httpd at startup naming the line.

The test OP's account (Maxence Legrand) is born 1981-04-24, has a Belgian
national number 81042419835 and nin_issuing_country BE."""

import datetime
import re
import subprocess

import pytest

import harness
from conftest import BASIC_CLIENT, itsme_server_conf, start_httpd, stop_httpd

SUB = "tXOq9614vLHkXBkEu3Jm0Qa7ZGQO02Fc98IPaHq6iRwK-ytA="
NIN = "81042419835"


def age_today(born=datetime.date(1981, 4, 24)):
    today = datetime.datetime.now(datetime.timezone.utc).date()
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


AGE = age_today()

# name -> (Require block, expected status for the logged-in test user)
RULES = {
    "adult": ("Require itsme-claim age>=18", 200),
    "senior": ("Require itsme-claim age>=65", 403),
    "young": ("Require itsme-claim age<30", 403),
    "age-ge-exact": (f"Require itsme-claim age>={AGE}", 200),
    "age-gt-exact": (f"Require itsme-claim age>{AGE}", 403),
    "age-le-exact": (f"Require itsme-claim age<={AGE}", 200),
    "age-lt-exact": (f"Require itsme-claim age<{AGE}", 403),
    "age-lt-next": (f"Require itsme-claim age<{AGE + 1}", 200),
    "age-gt-prev": (f"Require itsme-claim age>{AGE - 1}", 200),
    "country-be": ("Require itsme-claim nin_issuing_country:BE", 200),
    "country-nl-fr": ("Require itsme-claim nin_issuing_country:NL,FR", 403),
    "country-list": ('Require itsme-claim "nin_issuing_country:NL, BE"', 200),
    "country-case": ("Require itsme-claim nin_issuing_country:be", 403),
    "nin-exact": (f"Require itsme-claim nin:{NIN}", 200),
    "nin-other": ("Require itsme-claim nin:00000000097", 403),
    "sub-exact": (f"Require itsme-claim sub:{SUB}", 200),
    "regex-ok": ("Require itsme-claim family_name~^Leg", 200),
    "regex-case": ("Require itsme-claim family_name~^leg", 403),
    "regex-date": ("Require itsme-claim birthdate~^19[0-9]{2}-04-", 200),
    "regex-space": ('Require itsme-claim "given_name~^Max(ence| Other)$"', 200),
    "regex-none": ("Require itsme-claim given_name~^Bob$", 403),
    "present": ("Require itsme-claim nin", 200),
    "present-age": ("Require itsme-claim age", 200),
    # not in the session (the login at /app did not ask for it): asked for
    # once (claim step-up), and the OP gives it
    "absent": ("Require itsme-claim email", 200),
    "any-ok": ("<RequireAny>\n  Require itsme-claim age>=65\n  Require itsme-claim nin_issuing_country:BE\n"
               "</RequireAny>", 200),
    "any-no": ("<RequireAny>\n  Require itsme-claim age>=65\n  Require itsme-claim nin_issuing_country:NL\n"
               "</RequireAny>", 403),
    "all-ok": ("<RequireAll>\n  Require itsme-claim age>=18\n  Require itsme-claim nin_issuing_country:BE\n"
               "</RequireAll>", 200),
    "all-no": ("<RequireAll>\n  Require itsme-claim age>=18\n  Require itsme-claim family_name:Nobody\n"
               "</RequireAll>", 403),
    "not-ok": ("<RequireAll>\n  Require valid-user\n  Require not itsme-claim nin_issuing_country:NL\n"
               "</RequireAll>", 200),
    "not-no": ("<RequireAll>\n  Require valid-user\n  Require not itsme-claim nin_issuing_country:BE\n"
               "</RequireAll>", 403),
    "nested": ("<RequireAny>\n  <RequireAll>\n    Require itsme-claim age>=65\n    Require itsme-claim nin\n"
               "  </RequireAll>\n  <RequireAll>\n    Require itsme-claim age>=18\n"
               "    Require itsme-claim family_name~^Legrand$\n  </RequireAll>\n</RequireAny>", 200),
}


def locations(index_file):
    out = [harness.default_locations(), f'AliasMatch "^/r/[^/]+/?$" "{index_file}"',
           "<Location /r>\n    ItsmeClaims sub given_name family_name birthdate nin\n</Location>",
           f'AliasMatch "^/plain/[^/]+/?$" "{index_file}"',
           "<Location /plain/adult>\n    AuthType itsme\n    ItsmeClaims given_name\n"
           "    Require itsme-claim age>=18\n</Location>"]
    for name, (require, _) in RULES.items():
        out.append(f"<Location /r/{name}>\n    AuthType itsme\n{require}\n</Location>")
    out.append("<Location /r/api-senior>\n    AuthType itsme\n    AuthName \"Claims API\"\n"
               "    ItsmeUnauthAction 401\n    Require itsme-claim age>=65\n</Location>")
    out.append("<Location /r/api-adult>\n    AuthType itsme\n    ItsmeUnauthAction 401\n"
               "    Require itsme-claim age>=18\n</Location>")
    return "\n".join(out)


@pytest.fixture(scope="module")
def httpd(workdir, test_op):
    conf = itsme_server_conf(test_op.discovery, BASIC_CLIENT["client_id"], BASIC_CLIENT["client_secret"])
    index = workdir / "authz" / "htdocs" / "app" / "index.html"
    h = start_httpd(workdir, "authz", conf, locations=locations(index))
    yield h
    stop_httpd(h)


@pytest.fixture(scope="module")
def session_jar(httpd, tmp_path_factory):
    """One login (at /app, which asks for birthdate, nin and the names) for
    every rule below: rules read the session, wherever it was made."""
    jar = tmp_path_factory.mktemp("authz") / "cookies.txt"
    r = harness.curl(httpd.base + "/app/cgi/env.py", jar=jar, follow=True)
    assert r.status == 200 and r.json()["env"].get("HTTP_X_ITSME_SUB") == SUB, r
    return jar


@pytest.mark.parametrize("name", sorted(RULES))
def test_rule(httpd, session_jar, expect_log, name):
    require, want = RULES[name]
    if want == 403:
        expect_log(r"AH01631")          # httpd's own [error] line for every authz denial
    r = harness.curl(httpd.base + f"/r/{name}", jar=session_jar, follow=name == "absent")
    assert r.status == want, (require, r)
    if want == 200:
        assert "app index" in r.body, r
    else:
        assert "Access denied" in r.body and "app index" not in r.body, r
        assert r.header("WWW-Authenticate") is None, r.headers
        assert (r.header("Content-Type") or "").startswith("text/html"), r.headers
        assert r.header("Cache-Control") == "no-store", r.headers


def test_denial_is_logged_with_the_rule(httpd, session_jar, expect_log):
    expect_log(r"AH01631")
    expect_log(r"ITSME03003: Require itsme-claim age>=65: not met for /r/senior")
    r = harness.curl(httpd.base + "/r/senior", jar=session_jar)
    assert r.status == 403, r


def test_denial_log_masks_national_numbers(httpd, session_jar, expect_log):
    expect_log(r"AH01631")
    start = httpd.log_size()
    r = harness.curl(httpd.base + "/r/nin-other", jar=session_jar)
    assert r.status == 403, r
    lines = httpd.log_since(start)
    rule_lines = [ln for ln in lines if "ITSME03003" in ln]
    assert rule_lines and "nin:0000" in rule_lines[0], lines
    joined = "\n".join(lines)
    assert "00000000097" not in joined and NIN not in joined, joined


def test_unauthenticated_request_logs_in_first(httpd, test_op, jar):
    """No user yet: the rule answers AUTHZ_DENIED_NO_USER, so the login starts
    (a 302 to the OP), and after the login the rule decides."""
    r = harness.curl(httpd.base + "/r/senior", jar=jar)
    assert r.status == 302 and r.location.startswith(test_op.base + "/auth?"), r
    r = harness.curl(httpd.base + "/r/adult", jar=jar, follow=True)
    assert r.status == 200 and r.url == httpd.base + "/r/adult", r


def test_rule_on_a_claim_the_login_did_not_ask_for(httpd, jar):
    """A location whose ItsmeClaims lacks birthdate still gets it: the age
    rule's claim is added to what the login asks for, so the rule can hold.
    (A session made elsewhere without the claim steps up:
    test_config_hardening.py, test_stepup.py.)"""
    r = harness.curl(httpd.base + "/plain/adult", jar=jar, follow=True)
    assert r.status == 200, r


def test_api_location_denied_gets_401_challenge(httpd, session_jar, expect_log):
    expect_log(r"AH01631")
    r = harness.curl(httpd.base + "/r/api-senior", jar=session_jar)
    assert r.status == 401, r
    assert r.header("WWW-Authenticate") == 'itsme realm="Claims API", error="insufficient_claims"', r.headers
    assert r.location is None, r


def test_api_location_allowed(httpd, session_jar):
    r = harness.curl(httpd.base + "/r/api-adult", jar=session_jar)
    assert r.status == 200 and "app index" in r.body, r


def test_api_location_unauthenticated_gets_401(httpd):
    r = harness.curl(httpd.base + "/r/api-adult")
    assert r.status == 401, r
    assert r.header("WWW-Authenticate") == 'itsme realm="127.0.0.1"', r.headers


def test_spoofed_claim_headers_do_not_satisfy_rules(httpd, jar):
    """Claims come from the sealed session only: headers never count."""
    r = harness.curl(httpd.base + "/r/api-adult", jar=jar,
                     headers=["X-Itsme-Birthdate: 1950-01-01", "X-Itsme-Age: 99", f"X-Itsme-Sub: {SUB}"])
    assert r.status == 401, r


# --------------------------------------------------------------------------
# bad rules stop httpd at startup, naming the line

BAD = {
    "nin=81042419835": "unknown operator after 'nin'",
    "age>=abc": "whole number",
    "age>=300": "whole number",
    "given_name>=3": "only age can be compared",
    '"family_name~(unclosed"': "bad regular expression",
    "nin_issuing_country:": "empty value",
    '"nin_issuing_country:BE,,NL"': "empty value",
    "Given_Name:x": "lower-case claim name",
    "age>=18 nin_issuing_country:BE": "takes one rule",
    "": "a rule is missing",
}


@pytest.mark.parametrize("rule", sorted(BAD))
def test_bad_rule_fails_startup_naming_the_line(workdir, test_op, rule):
    conf = itsme_server_conf(test_op.discovery, BASIC_CLIENT["client_id"], BASIC_CLIENT["client_secret"])
    name = f"authz_bad_{sorted(BAD).index(rule)}"
    h = harness.Httpd(workdir, name, conf,
                      locations=f"<Location /bad>\n    AuthType itsme\n    Require itsme-claim {rule}\n</Location>\n")
    t = h.configtest()
    out = t.stdout + t.stderr
    assert t.returncode != 0, out
    lines = h.conf.read_text().splitlines()
    lineno = 1 + next(i for i, ln in enumerate(lines) if ln.strip().startswith("Require itsme-claim"))
    assert re.search(rf"line {lineno} of .*{re.escape(h.conf.name)}", out), out
    assert BAD[rule] in out, out
    assert "81042419835" not in out, out   # a national number is never echoed


def test_good_rules_pass_configtest(workdir, test_op):
    conf = itsme_server_conf(test_op.discovery, BASIC_CLIENT["client_id"], BASIC_CLIENT["client_secret"])
    h = harness.Httpd(workdir, "authz_good", conf, locations=locations(workdir / "x.html"))
    t = h.configtest()
    assert t.returncode == 0, t.stdout + t.stderr


def test_unknown_claim_name_warns_at_startup(workdir, test_op):
    conf = itsme_server_conf(test_op.discovery, BASIC_CLIENT["client_id"], BASIC_CLIENT["client_secret"])
    h = harness.Httpd(workdir, "authz_warn", conf,
                      locations="<Location /w>\n    AuthType itsme\n    Require itsme-claim nin_issueing_country:BE\n"
                                "</Location>\n")
    t = subprocess.run([harness.httpd_binary(), "-t", "-f", str(h.write_conf())], capture_output=True,
                       text=True, timeout=20, stdin=subprocess.DEVNULL)
    out = t.stdout + t.stderr
    assert t.returncode == 0, out
    assert re.search(r"ITSME03000: .*httpd\.conf:\d+: .*'nin_issueing_country' is not a canonical", out), out
