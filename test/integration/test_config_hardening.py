# SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE.
"""Configuration hardening: checks that `apache2 -t` runs (required
directives, AuthType itsme in a server without the module's configuration,
an absolute ItsmePostLogoutRedirect outside ItsmeLogoutRedirectAllow), claim
headers under every ItsmeHeaderPrefix (mod_dir switching to another
section's prefix), the age on the server's local date, the claims of
Require itsme-claim rules asked for by the login, and ItsmeForwardedHeaders.

The test OP's default account (Maxence Legrand) is born 1981-04-24, has the
national number 81042419835 and nin_issuing_country BE."""

import datetime
import os
import shutil
import subprocess
import urllib.parse

import pytest

import harness
from conftest import itsme_server_conf, start_httpd, stop_httpd

SUB = "tXOq9614vLHkXBkEu3Jm0Qa7ZGQO02Fc98IPaHq6iRwK-ytA="
PATTERN = r"^https?://127\.0\.0\.1:\d+/itsme/callback$"
CLIENT = {"client_id": "hardening-client", "client_secret": harness.random_passphrase(),
          "token_endpoint_auth_method": "client_secret_basic",
          "redirect_uris": ["http://127.0.0.1:8080/itsme/callback"]}
TZ_CLIENT = {"client_id": "hardening-tz", "client_secret": harness.random_passphrase(),
             "token_endpoint_auth_method": "client_secret_basic",
             "redirect_uris": ["http://127.0.0.1:8080/itsme/callback"]}
TZ_SUB = "tz-user-0001"
TZ_YEARS = 28    # a multiple of 4: a 29 February birthday exists in the birth year


# --------------------------------------------------------------------------
# the server's local date: a time zone whose date differs from UTC's now

def tz_choice(now_utc):
    """(POSIX TZ for httpd, its UTC offset in hours). Between 00:00 and 11:00
    UTC, UTC-12 is still on the previous day (until 12:00); from 11:00 on,
    UTC+14 is already on the next day (from 10:00): one hour of margin on the
    near side. POSIX offsets have the opposite sign."""
    return ("ITS+12", -12) if now_utc.hour < 11 else ("ITS-14", 14)


def dates(offset, now_utc=None):
    now_utc = now_utc or datetime.datetime.now(datetime.timezone.utc)
    return (now_utc + datetime.timedelta(hours=offset)).date(), now_utc.date()


def age_on(born, day):
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


NOW = datetime.datetime.now(datetime.timezone.utc)
TZ, TZ_OFFSET = tz_choice(NOW)
_local, _utc = dates(TZ_OFFSET, NOW)
_bday = max(_local, _utc)          # the birthday falls between the two dates
TZ_BORN = _bday.replace(year=_bday.year - TZ_YEARS)
TZ_ACCOUNT = {"sub": TZ_SUB, "given_name": "Zoe", "family_name": "Zone",
              "birthdate": TZ_BORN.isoformat()}


@pytest.fixture(scope="module")
def op(workdir):
    o = harness.start_test_op(workdir, {
        "profile": "broker", "clients": [CLIENT, TZ_CLIENT], "redirectUriPattern": PATTERN,
        "accounts": {"tz": TZ_ACCOUNT}, "clientAccounts": {TZ_CLIENT["client_id"]: "tz"},
    }, name="op_hardening")
    yield o
    o.stop()


def server_conf(op, client=CLIENT, extra=""):
    return itsme_server_conf(op.discovery, client["client_id"], client["client_secret"], extra)


# --------------------------------------------------------------------------
# the main test server

MAIN_EXTRA = """ItsmeLogoutURI /logout
ItsmePostLogoutRedirect https://portal.example/bye
ItsmeLogoutRedirectAllow https://portal.example
ItsmeTrustForwardedHeaders 127.0.0.1
ItsmeForwardedHeaders proto
"""


def main_locations(d):
    return f"""
Alias /dd "{d}/dd"
Alias /pp "{d}/dd"
Alias /nn "{d}/dd"
<Directory "{d}/dd">
    Options +ExecCGI
    AddHandler cgi-script .py
    DirectoryIndex env.py
    Require all granted
    <Files env.py>
        ItsmeHeaderPrefix X-P-
    </Files>
</Directory>
<Location /dd>
    AuthType itsme
    ItsmeClaims sub given_name
    Require valid-user
</Location>
<Location /dd/env.py>
    ItsmeHeaderPrefix X-B-
</Location>
<Location /pp>
    AuthType itsme
    ItsmeUnauthAction pass
    Require valid-user
</Location>

Alias /ht "{d}/ht"
<Directory "{d}/ht">
    AllowOverride AuthConfig
    Require all granted
</Directory>

ScriptAliasMatch "^/(solo|auto)/[a-z]+/env\\.py$" "{d}/cgi-bin/env.py"
<Location /solo/adult>
    AuthType itsme
    Require itsme-claim age>=18
</Location>
<Location /solo/senior>
    AuthType itsme
    Require itsme-claim age>=65
</Location>
<Location /auto>
    ItsmeClaims given_name
    ItsmePassClaimsAs both
</Location>
<Location /auto/nested>
    AuthType itsme
    <RequireAll>
        Require valid-user
        <RequireAny>
            Require itsme-claim age>=65
            Require itsme-claim nin_issuing_country:BE
        </RequireAny>
    </RequireAll>
</Location>
"""


@pytest.fixture(scope="module")
def httpd(workdir, op):
    d = workdir / "hardening"
    for sub in ("dd", "ht"):
        (d / sub).mkdir(parents=True, exist_ok=True)
    for sub in (d, d / "dd", d / "ht"):
        sub.chmod(0o755)
    shutil.copyfile(harness.BACKENDS / "env_cgi.py", d / "dd" / "env.py")
    (d / "dd" / "env.py").chmod(0o755)
    (d / "ht" / ".htaccess").write_text("ItsmeHeaderPrefix X-H-\n")
    (d / "ht" / "index.html").write_text("ht\n")
    h = start_httpd(workdir, "hardening", server_conf(op, extra=MAIN_EXTRA), locations=main_locations(d))
    yield h
    stop_httpd(h)


def env_of(r):
    assert r.status == 200, r
    return r.json()["env"]


# --------------------------------------------------------------------------
# 1. required directives: checked by "apache2 -t", not only at start

def configtest(workdir, name, server_directives, locations=""):
    h = harness.Httpd(workdir, name, server_directives, locations=locations)
    t = h.configtest()
    return h, t.returncode, t.stdout + t.stderr


def test_configtest_names_missing_client_id(workdir, op):
    conf = itsme_server_conf(op.discovery, None, CLIENT["client_secret"])
    _, rc, out = configtest(workdir, "hard_no_client_id", conf)
    assert rc != 0, out
    assert "ITSME01021" in out and "ItsmeClientID is missing" in out, out
    assert "the main server configuration" in out, out


def test_configtest_accepts_complete_configuration(workdir, op):
    _, rc, out = configtest(workdir, "hard_complete", server_conf(op))
    assert rc == 0 and "Syntax OK" in out, out


def test_authtype_itsme_without_provider_fails_startup(workdir):
    """No Itsme* directive at all, but AuthType itsme: httpd does not start
    (no 500 at request time), naming ItsmeProvider and the AuthType line."""
    h = harness.Httpd(workdir, "hard_authtype_only", "",
                      locations="<Location /x>\n    AuthType itsme\n    Require valid-user\n</Location>\n")
    h.write_conf()
    lineno = 1 + h.conf.read_text().splitlines().index("    AuthType itsme")
    p = subprocess.Popen([harness.httpd_binary(), "-f", str(h.conf), "-DFOREGROUND"], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, stdin=subprocess.DEVNULL)
    try:
        stdout, _ = p.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        p.terminate()           # httpd stops its children on SIGTERM
        p.communicate(timeout=10)
        raise AssertionError("httpd started with AuthType itsme and no ItsmeProvider")
    out = stdout + harness.tail(h.errlog, 50)
    assert p.returncode != 0, out
    assert "ITSME04101" in out and "ItsmeProvider is missing" in out, out
    assert f"{h.conf}:{lineno}" in out, out
    t = h.configtest()
    assert t.returncode != 0 and "ItsmeProvider is missing" in t.stdout + t.stderr, t


def vhost(port, body, name):
    return f"<VirtualHost 127.0.0.1:{port}>\n    ServerName {name}\n{body}\n</VirtualHost>\n"


def test_authtype_in_unconfigured_vhost_fails_naming_that_vhost(workdir, op):
    """Only vhost a.test has the module's configuration; b.test (nested
    sections) uses AuthType itsme without it: -t fails for b.test only."""
    h = harness.Httpd(workdir, "hard_vhosts", "", locations="")
    a = vhost(h.port, server_conf(op) + "<Location /a>\n AuthType itsme\n Require valid-user\n</Location>",
              "a.test")
    b = vhost(h.port, "<IfModule mod_alias.c>\n<Directory /srv/b>\n<Files x.html>\n    AuthType iTsMe\n"
              "    Require valid-user\n</Files>\n</Directory>\n</IfModule>", "b.test")
    h.server_directives = a + b
    t = h.configtest()
    out = t.stdout + t.stderr
    lines = h.conf.read_text().splitlines()
    b_line = 1 + next(i for i, ln in enumerate(lines) if ln.startswith("<VirtualHost") and
                      "b.test" in lines[i + 1])
    assert t.returncode != 0, out
    assert "ITSME04101" in out and "server b.test" in out and "ItsmeProvider is missing" in out, out
    assert f"the virtual host defined at {h.conf}:{b_line}" in out, out
    assert "a.test" not in out, out
    # the same without b.test's AuthType: a.test alone is fine
    h.server_directives = a + vhost(h.port, "", "b.test")
    t = h.configtest()
    assert t.returncode == 0, t.stdout + t.stderr


def test_global_authtype_with_per_vhost_configuration_warns(workdir, op):
    """AuthType itsme outside <VirtualHost>, the configuration in a virtual
    host only: accepted with a warning about the main server."""
    h = harness.Httpd(workdir, "hard_global_authtype", "",
                      locations="<Location /g>\n    AuthType itsme\n    Require valid-user\n</Location>\n")
    h.server_directives = vhost(h.port, server_conf(op), "c.test")
    t = h.configtest()
    out = t.stdout + t.stderr
    assert t.returncode == 0, out
    assert "ITSME04102" in out and "lacks ItsmeProvider" in out, out


def test_vhost_authtype_inherits_main_server_configuration(workdir, op):
    h = harness.Httpd(workdir, "hard_vhost_inherit", server_conf(op), locations="")
    h.server_directives += vhost(h.port, "<Location /v>\n AuthType itsme\n Require valid-user\n</Location>",
                                 "v.test")
    t = h.configtest()
    assert t.returncode == 0, t.stdout + t.stderr


def test_logout_uri_clash_caught_by_configtest(workdir, op):
    _, rc, out = configtest(workdir, "hard_clash", server_conf(op, extra="ItsmeLogoutURI /itsme/callback\n"))
    assert rc != 0 and "ITSME03050" in out, out


# --------------------------------------------------------------------------
# 4. an absolute ItsmePostLogoutRedirect must be on an allowed origin

@pytest.mark.parametrize("target,allow", [
    ("https://evil.example/bye", "https://portal.example"),
    ("https://portal.example/bye", None),
    ("https://portal.example:8443/bye", "https://portal.example"),
    ("http://portal.example/bye", "https://portal.example"),
])
def test_post_logout_redirect_off_the_allow_list_fails(workdir, op, target, allow):
    extra = f"ItsmeLogoutURI /logout\nItsmePostLogoutRedirect {target}\n"
    if allow:
        extra += f"ItsmeLogoutRedirectAllow {allow}\n"
    _, rc, out = configtest(workdir, "hard_postlogout_bad", server_conf(op, extra=extra))
    assert rc != 0, out
    assert "ITSME04130" in out and "ItsmeLogoutRedirectAllow" in out and target in out, out


def test_post_logout_redirect_on_the_allow_list_is_used(httpd):
    """The main server lists https://portal.example: it starts, and a logout
    ends there."""
    r = harness.curl(httpd.base + "/logout")
    assert r.status == 302 and r.location == "https://portal.example/bye", r


# --------------------------------------------------------------------------
# 2. every ItsmeHeaderPrefix is scrubbed; the final prefix gets the claims

SPOOF = ["X-B-Sub: victim", "X-B-Nin: 00000000097", "X-B-Given-Name: Mallory", "X-Itsme-Sub: victim"]


def test_directory_index_prefix_cannot_be_spoofed(httpd, jar):
    """/dd/ is served by env.py through DirectoryIndex, whose own section sets
    ItsmeHeaderPrefix X-B-: the client's X-B-* never reach it, the real
    claims do, under X-B- only."""
    env = env_of(harness.curl(httpd.base + "/dd/", jar=jar, follow=True, headers=SPOOF))
    assert env.get("HTTP_X_B_SUB") == SUB, env
    assert env.get("HTTP_X_B_GIVEN_NAME") == "Maxence", env
    assert "HTTP_X_B_NIN" not in env, env              # not asked for: absent, never spoofed
    assert not [k for k in env if k.startswith("HTTP_X_ITSME_")], env
    # logged in already: the same request again
    env = env_of(harness.curl(httpd.base + "/dd/", jar=jar, headers=SPOOF))
    assert env.get("HTTP_X_B_SUB") == SUB and "HTTP_X_B_NIN" not in env, env


def test_directory_index_prefix_unauthenticated_pass(httpd):
    """ItsmeUnauthAction pass and no session: nothing under any prefix."""
    env = env_of(harness.curl(httpd.base + "/pp/", headers=["X-P-Sub: victim", "X-P-Nin: 00000000097",
                                                            "X_P_Sub: victim", "X-B-Sub: victim"]))
    assert not [k for k in env if k.startswith(("HTTP_X_P_", "HTTP_X_B_", "HTTP_X_ITSME_"))], env
    assert env.get("REMOTE_USER", "") == "", env


def test_directory_index_prefix_without_authtype(httpd):
    """/nn/ has no AuthType itsme: no claims at all, and the X-P- of the
    index file's <Files> section is scrubbed when the request arrives."""
    env = env_of(harness.curl(httpd.base + "/nn/", headers=["X-P-Sub: victim", "X-P-Nin: 00000000097"]))
    assert not [k for k in env if k.startswith(("HTTP_X_P_", "HTTP_X_ITSME_"))], env
    assert "REMOTE_USER" not in env, env


def test_header_prefix_refused_in_htaccess(httpd, expect_log):
    expect_log(r"ItsmeHeaderPrefix not allowed here")
    r = harness.curl(httpd.base + "/ht/")
    assert r.status == 500, r


# --------------------------------------------------------------------------
# 5. the claims of Require itsme-claim rules are asked for by the login

def test_age_rule_without_itsme_claims_asks_birthdate(httpd, op, jar):
    first = harness.curl(httpd.base + "/solo/adult/env.py", jar=jar)
    assert first.status == 302, first
    scope = urllib.parse.parse_qs(urllib.parse.urlsplit(first.location).query)["scope"][0].split()
    assert "date-of-birth" in scope, scope
    env = env_of(harness.curl(httpd.base + "/solo/adult/env.py", jar=jar, follow=True))
    assert env.get("HTTP_X_ITSME_BIRTHDATE") == "1981-04-24", env


def test_age_rule_not_met_denies_with_403(httpd, jar, expect_log):
    expect_log(r"AH01631")
    expect_log(r"ITSME03003: Require itsme-claim age>=65: not met for /solo/senior/env\.py")
    start = httpd.log_size()
    r = harness.curl(httpd.base + "/solo/senior/env.py", jar=jar, follow=True)
    assert r.status == 403 and "Access denied" in r.body, r
    assert not [ln for ln in httpd.log_since(start) if "ITSME03006" in ln]   # the claim was there


def test_session_made_elsewhere_without_the_claim_steps_up(httpd, op, jar, expect_log):
    """A login at /dd (sub, given_name) made the session: the age rule at
    /solo/adult needs birthdate, so the browser goes to the OP once more
    asking for it (claim step-up) and comes back to /solo/adult."""
    expect_log(r"ITSME07104: the session lacks birthdate, which this location asks for")
    expect_log(r"ITSME07101: step-up login of the same person")
    env_of(harness.curl(httpd.base + "/dd/", jar=jar, follow=True))
    r = harness.curl(httpd.base + "/solo/adult/env.py", jar=jar)
    assert r.status == 302 and r.location.startswith(op.base + "/auth?"), r
    scope = urllib.parse.parse_qs(urllib.parse.urlsplit(r.location).query)["scope"][0].split()
    # what this location asks (birthdate), not again what the session has
    # (given_name: the broker's profile scope); the merge keeps that
    assert "date-of-birth" in scope and "profile" not in scope, scope
    env = env_of(harness.curl(r.location, jar=jar, follow=True))
    assert env.get("HTTP_X_ITSME_BIRTHDATE") == "1981-04-24", env
    assert env.get("REQUEST_URI") == "/solo/adult/env.py", env


def test_nested_rule_claims_add_to_inherited_itsme_claims(httpd, jar):
    """/auto/nested inherits ItsmeClaims given_name from /auto; the rules in
    <RequireAll>/<RequireAny> add birthdate and nin_issuing_country."""
    env = env_of(harness.curl(httpd.base + "/auto/nested/env.py", jar=jar, follow=True))
    assert env.get("ITSME_GIVEN_NAME") == "Maxence", env
    assert env.get("ITSME_NIN_ISSUING_COUNTRY") == "BE", env
    assert env.get("ITSME_BIRTHDATE") == "1981-04-24", env


# --------------------------------------------------------------------------
# 6. ItsmeForwardedHeaders: only the listed headers of a trusted proxy count

def test_only_listed_forwarded_headers_count(httpd):
    r = harness.curl(httpd.base + "/solo/adult/env.py",
                     headers=["X-Forwarded-Proto: https", "X-Forwarded-Host: evil.example",
                              "X-Forwarded-Port: 8443", "Forwarded: proto=http;host=evil.example"])
    assert r.status == 302, r
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(r.location).query)
    assert q["redirect_uri"] == [f"https://127.0.0.1:{httpd.port}/itsme/callback"], q


@pytest.mark.parametrize("value", ["bogus", "proto proto", "host,port"])
def test_bad_forwarded_headers_value_fails_configtest(workdir, op, value):
    _, rc, out = configtest(workdir, "hard_fwd_bad", server_conf(op, extra=f"ItsmeForwardedHeaders {value}\n"))
    assert rc != 0 and "ItsmeForwardedHeaders" in out, out


# --------------------------------------------------------------------------
# 3. age on the server's local date (TZ of httpd)

TZ_LOCATIONS = """
ScriptAlias /tz/ "{d}/cgi-bin/"
<Location /tz>
    AuthType itsme
    ItsmeClaims birthdate
    ItsmePassClaimsAs both
    <RequireAll>
        Require itsme-claim age>={age}
        Require itsme-claim age<={age}
    </RequireAll>
</Location>
"""


@pytest.fixture(scope="module")
def httpd_tz(workdir, op):
    """httpd with TZ set (httpd inherits the environment of this process)."""
    local, _ = dates(TZ_OFFSET)
    locations = TZ_LOCATIONS.format(d=workdir / "hardening_tz", age=age_on(TZ_BORN, local))
    saved = os.environ.get("TZ")
    os.environ["TZ"] = TZ
    try:
        h = start_httpd(workdir, "hardening_tz", server_conf(op, client=TZ_CLIENT), locations=locations)
    finally:
        if saved is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = saved
    yield h
    stop_httpd(h)


def test_age_uses_the_servers_local_date(httpd_tz, jar):
    before = dates(TZ_OFFSET)
    r = harness.curl(httpd_tz.base + "/tz/env.py", jar=jar, follow=True)
    after = dates(TZ_OFFSET)
    local, utc = before
    if before != after or local == utc or (local, utc) != dates(TZ_OFFSET, NOW):
        pytest.skip("a date changed while the test ran")
    want, utc_age = age_on(TZ_BORN, local), age_on(TZ_BORN, utc)
    assert want != utc_age                     # the test means something
    env = env_of(r)
    assert env.get("REMOTE_USER") == TZ_SUB, env
    assert env.get("ITSME_AGE") == str(want), (TZ, TZ_BORN, env)
    assert env.get("HTTP_X_ITSME_AGE") == str(want), env
