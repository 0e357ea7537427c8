# SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE.
"""Issue 10: one virtual host, two itsme services by location, and claim
step-up. /app runs the Authentication service (a light login: names, no
national number); /onboarding the Identification service (Require
itsme-claim nin). A light session that reaches /onboarding goes to the OP
once more, with /onboarding's service, asking for nin (not again for what it holds),
and comes back to /onboarding; /app keeps working with the same session.

Against the test OP in its itsme profile, which decrypts request objects
and logs the scope it resolved (`resolved` in /_test/log), and whose
/_test/settings switches the person who logs in and the claims it gives.
Run with request objects off (the scope in the query) and on (the scope
inside the encrypted object), with cookie sessions and an shmcb store."""

import time
import urllib.parse

import pytest

import harness
from conftest import start_httpd, stop_httpd
from itsme_support import REDIRECT_PATTERN, RPKeys, itsme_client, op_log, public_jwk, server_conf, start_op_on

AUTH_SVC = "LIGHT_LOGIN"
IDENT_SVC = "ONBOARDING_ID"
SUB = "tXOq9614vLHkXBkEu3Jm0Qa7ZGQO02Fc98IPaHq6iRwK-ytA="
NIN = "81042419835"
OTHER = {
    "sub": "other-person-0002", "name": "Jan Peeters", "given_name": "Jan", "family_name": "Peeters",
    "birthdate": "1990-01-02", "nin": "90010200190", "itsme_eid": "591-0000000-05",
}
OTHER_NIN = OTHER["nin"]


def locations(cgi):
    return f"""
ScriptAlias /onboarding/ "{cgi}/"
ScriptAlias /onboarding-api/ "{cgi}/"
ScriptAlias /onboarding-strong/ "{cgi}/"
ScriptAlias /app-strong/ "{cgi}/"
ScriptAlias /app-nin/ "{cgi}/"
<Location /app>
    AuthType itsme
    ItsmeClaims given_name family_name
    ItsmePassClaimsAs both
    Require valid-user
</Location>
<Location /app-strong>
    AuthType itsme
    ItsmeClaims given_name family_name
    ItsmeACRValues advanced
    ItsmePassClaimsAs both
    Require valid-user
</Location>
<Location /app-nin>
    AuthType itsme
    ItsmeClaims given_name family_name nin
    ItsmePassClaimsAs both
    Require valid-user
</Location>
<Location /onboarding>
    AuthType itsme
    ItsmeServiceCode {IDENT_SVC}
    ItsmePassClaimsAs both
    Require itsme-claim nin
</Location>
<Location /onboarding-api>
    AuthType itsme
    AuthName "Onboarding API"
    ItsmeServiceCode {IDENT_SVC}
    ItsmeUnauthAction 401
    Require itsme-claim nin
</Location>
<Location /onboarding-strong>
    AuthType itsme
    ItsmeServiceCode {IDENT_SVC}
    ItsmeACRValues advanced
    ItsmePassClaimsAs both
    Require itsme-claim nin
</Location>
"""


@pytest.fixture(scope="module")
def keys(workdir):
    return RPKeys(workdir / "stepup")


@pytest.fixture(scope="module")
def op_port():
    return harness.free_port()


@pytest.fixture(scope="module")
def op(workdir, keys, op_port):
    jwks = {"keys": [public_jwk(keys.sig, "s1", "sig", "RS256"), public_jwk(keys.enc, "e1", "enc", "RSA-OAEP-256")]}
    cfg = {
        "profile": "itsme",
        "serviceCodes": [AUTH_SVC, IDENT_SVC],
        "redirectUriPattern": REDIRECT_PATTERN,
        # itsme-rp-query: a client that may send its parameters in the query
        "clients": [itsme_client("itsme-rp", jwks),
                    dict(itsme_client("itsme-rp-query", jwks), require_signed_request_object=False)],
        "requireSignedRequestObject": False,
        "accounts": {"other": OTHER},
    }
    o = start_op_on(workdir, op_port, cfg, "stepup-op")
    yield o
    o.stop()


def start_rp(workdir, keys, op_port, name, request_object, store, extra=""):
    discovery = f"http://127.0.0.1:{op_port}/.well-known/openid-configuration"
    extra = f"ItsmeRequestObject {request_object}\n" + (f"ItsmeSessionStore {store}\n" if store else "") + extra
    # the server's service: the light login (every location but /onboarding*)
    client = "itsme-rp" if request_object == "on" else "itsme-rp-query"
    conf = server_conf(discovery, client, keys, extra, service_code=AUTH_SVC)
    return start_httpd(workdir, name, conf, locations=locations(workdir / name / "cgi-bin"))


# request object off: the scope is read in the query; on: inside the object
MODES = [("off", None), ("on", "socache:shmcb"), ("on", None)]


@pytest.fixture(scope="module", params=MODES, ids=[f"ro-{m}-{s or 'cookie'}" for m, s in MODES])
def rp(request, workdir, keys, op_port, op):
    ro, store = request.param
    h = start_rp(workdir, keys, op_port, f"stepup-{ro}-{'shmcb' if store else 'cookie'}", ro, store)
    h.request_object = ro == "on"
    h.store = store
    yield h
    stop_httpd(h)


@pytest.fixture(autouse=True)
def op_settings(op):
    yield
    settings(op, account=None, withhold=[])


def settings(op, **kw):
    return harness.http_json("POST", op.base + "/_test/settings", kw)


def clear_log(op):
    harness.http_json("POST", op.base + "/_test/log/clear")


def env_of(r):
    assert r.status == 200, r
    return r.json()["env"]


def scopes(location):
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)
    return q["scope"][0].split(), q


def service_scopes(scope):
    return [s for s in scope if s.startswith("service:")]


def auth_entries(op):
    return op_log(op, "auth")


def drop_op_cookies(jar):
    """Forget the OP's own session: the next login there is a new one."""
    harness.rewrite_jar(jar, lambda n, v: v if n.startswith("itsme_session") else None)


def light_login(rp, op, jar):
    """A login at /app: the Authentication service, names only."""
    first = harness.curl(rp.base + "/app/cgi/env.py", jar=jar)
    assert first.status == 302 and first.location.startswith(op.base + "/auth?"), first
    scope, _ = scopes(first.location)
    assert service_scopes(scope) == [f"service:{AUTH_SVC}"], scope
    assert "eid" not in scope, scope
    env = env_of(harness.curl(first.location, jar=jar, follow=True))
    assert env["REMOTE_USER"] == SUB and env.get("ITSME_GIVEN_NAME") == "Maxence", env
    assert "ITSME_NIN" not in env and "HTTP_X_ITSME_NIN" not in env, env
    return env


def check_resolved(rp, op, service):
    """The OP saw exactly this service: in the query, and (request object on)
    inside the object it decrypted."""
    entries = [e for e in auth_entries(op) if "resolved" in e]
    assert entries, auth_entries(op)
    last = entries[-1]
    assert last["resolved"]["request_object"] == rp.request_object, last
    assert "request" in last["query"] if rp.request_object else "request" not in last["query"], last
    assert service_scopes(last["resolved"]["scope"].split()) == [f"service:{service}"], last


# --------------------------------------------------------------------------
# two services, one virtual host; a light session steps up where it must

def test_light_login_then_identification_by_step_up(rp, op, jar, expect_log):
    expect_log(r"ITSME07104: the session lacks nin, which this location asks for: step-up")
    expect_log(r"ITSME07101: step-up login of the same person")
    clear_log(op)
    light_login(rp, op, jar)
    check_resolved(rp, op, AUTH_SVC)

    r = harness.curl(rp.base + "/onboarding/env.py?step=1", jar=jar)
    assert r.status == 302 and r.location.startswith(op.base + "/auth?"), r
    scope, q = scopes(r.location)
    # this location's service only, and what this location asks (eid: the
    # national number), not again what the session holds (the names)
    assert service_scopes(scope) == [f"service:{IDENT_SVC}"], scope
    assert "eid" in scope and "profile" not in scope, scope
    if not rp.request_object:
        assert "BENationalNumber" in q["claims"][0] and "given_name" not in q["claims"][0], q
    hops = harness.walk(r.location, jar)
    assert hops[-1].status == 200, hops[-1]
    env = hops[-1].json()["env"]
    assert env["REQUEST_URI"] == "/onboarding/env.py?step=1", env       # back where it asked
    assert env["REMOTE_USER"] == SUB and env.get("ITSME_NIN") == NIN, env
    # the session holds /app's names too, but /onboarding does not ask for
    # them: its backend gets only what it asks (data minimisation)
    assert "ITSME_GIVEN_NAME" not in env and "HTTP_X_ITSME_GIVEN_NAME" not in env, env
    check_resolved(rp, op, IDENT_SVC)

    # the first location still works with the same session, no new login
    n = len(auth_entries(op))
    env = env_of(harness.curl(rp.base + "/app/cgi/env.py", jar=jar))
    assert env["REMOTE_USER"] == SUB and env.get("ITSME_GIVEN_NAME") == "Maxence", env
    env = env_of(harness.curl(rp.base + "/onboarding/env.py", jar=jar))
    assert env.get("ITSME_NIN") == NIN, env
    assert len(auth_entries(op)) == n


def claim_vars(env):
    return {k: v for k, v in env.items() if k.startswith(("ITSME_", "HTTP_X_ITSME_"))}


def test_each_backend_gets_only_the_claims_its_location_asks(rp, op, jar):
    """Data minimisation: after the step-up the session holds the names
    (/app's) and the national number (/onboarding's). /app's backend gets
    its names and sub, never the national number (nor a copy the client
    sends); /onboarding's gets the number with its qualifiers, not the
    names; /app-nin, which asks both, gets both."""
    light_login(rp, op, jar)
    hops = harness.walk(rp.base + "/onboarding/env.py", jar)
    assert hops[-1].status == 200, hops[-1]
    n = len(auth_entries(op))
    spoof = ("X-Itsme-Nin: 00000000000", "X-Itsme-Birthdate: 1900-01-01")

    app = claim_vars(env_of(harness.curl(rp.base + "/app/cgi/env.py", jar=jar, headers=spoof)))
    assert app.get("ITSME_GIVEN_NAME") == "Maxence" and app.get("ITSME_SUB") == SUB, app
    assert app.get("HTTP_X_ITSME_GIVEN_NAME") == "Maxence", app
    for leak in ("NIN", "NIN_TYPE", "NIN_ISSUING_COUNTRY", "BIRTHDATE", "AGE"):
        assert f"ITSME_{leak}" not in app and f"HTTP_X_ITSME_{leak}" not in app, app
    assert set(app) <= {f"{p}{c}" for p in ("ITSME_", "HTTP_X_ITSME_")
                        for c in ("SUB", "GIVEN_NAME", "FAMILY_NAME")}, app

    onb = claim_vars(env_of(harness.curl(rp.base + "/onboarding/env.py", jar=jar, headers=spoof)))
    assert onb.get("ITSME_NIN") == NIN and onb.get("HTTP_X_ITSME_NIN") == NIN, onb
    assert onb.get("ITSME_SUB") == SUB, onb
    assert "ITSME_GIVEN_NAME" not in onb and "HTTP_X_ITSME_BIRTHDATE" not in onb, onb
    assert set(onb) <= {f"{p}{c}" for p in ("ITSME_", "HTTP_X_ITSME_")
                        for c in ("SUB", "NIN", "NIN_TYPE", "NIN_ISSUING_COUNTRY")}, onb

    both = claim_vars(env_of(harness.curl(rp.base + "/app-nin/env.py", jar=jar)))
    assert both.get("ITSME_NIN") == NIN and both.get("ITSME_GIVEN_NAME") == "Maxence", both
    assert len(auth_entries(op)) == n                   # one session, no new login


def light_step_up_without_nin(rp, op, jar, r):
    """r: the redirect to the OP a light page answered a session holding
    the national number with. It asks with the Authentication code and not
    for the number (query and resolved request); the login that follows
    gives the page its names. Returns what the OP resolved."""
    assert r.status == 302 and r.location.startswith(op.base + "/auth?"), r
    scope, q = scopes(r.location)
    assert service_scopes(scope) == [f"service:{AUTH_SVC}"], scope
    assert "eid" not in scope, scope
    if not rp.request_object:
        assert "BENationalNumber" not in q.get("claims", [""])[0], q
    env = env_of(harness.curl(r.location, jar=jar, follow=True))
    assert env["REMOTE_USER"] == SUB and env.get("ITSME_GIVEN_NAME") == "Maxence", env
    resolved = auth_entries(op)[-1]["resolved"]
    assert "eid" not in resolved["scope"].split(), resolved
    return resolved


def test_identification_first_then_the_light_page_asks_only_its_names(rp, op, jar):
    """A person whose first page is /onboarding (an identification: nin)
    then opens /app, which lacks the names: the step-up at /app asks for
    /app's names with the Authentication code, not again for the national
    number the session holds (an identification on the light page); the
    session keeps the number."""
    clear_log(op)
    env = env_of(harness.curl(rp.base + "/onboarding/env.py", jar=jar, follow=True))
    assert env.get("ITSME_NIN") == NIN, env
    check_resolved(rp, op, IDENT_SVC)
    r = harness.curl(rp.base + "/app/cgi/env.py", jar=jar)
    if r.status == 200:
        pytest.skip("the identification gave the names too: no step-up at /app")
    light_step_up_without_nin(rp, op, jar, r)
    check_resolved(rp, op, AUTH_SVC)
    n = len(auth_entries(op))
    assert env_of(harness.curl(rp.base + "/onboarding/env.py", jar=jar)).get("ITSME_NIN") == NIN
    assert len(auth_entries(op)) == n


def test_step_up_issues_a_new_session_id_and_ends_the_old_one(rp, op, jar, tmp_path):
    """Store mode: the merged session is a new record under a new id; the
    cookie that named the light session opens nothing any more (no session
    fixation through a step-up)."""
    if not rp.store:
        pytest.skip("cookie mode: the session is the cookie")
    light_login(rp, op, jar)
    before = [c["value"] for c in harness.read_jar(jar) if c["name"] == "itsme_session"]
    assert len(before) == 1, harness.read_jar(jar)
    old_jar = tmp_path / "old-jar"
    old_jar.write_text(open(jar).read())
    env = env_of(harness.curl(rp.base + "/onboarding/env.py", jar=jar, follow=True))
    assert env.get("ITSME_NIN") == NIN, env
    after = [c["value"] for c in harness.read_jar(jar) if c["name"] == "itsme_session"]
    assert len(after) == 1 and after != before, (before, after)
    r = harness.curl(rp.base + "/app/cgi/env.py", jar=str(old_jar))
    assert r.status == 302 and r.location.startswith(op.base + "/auth?"), r
    assert env_of(harness.curl(rp.base + "/onboarding/env.py", jar=jar)).get("ITSME_NIN") == NIN


def test_a_step_up_answer_from_another_browser_injects_nothing(rp, op, jar, tmp_path):
    """Browser A's step-up answer (code and state for the claims it lacked)
    opened in browser B: B has no state cookie for it, so nothing is merged
    into B's session."""
    light_login(rp, op, jar)
    r = harness.curl(rp.base + "/onboarding/env.py", jar=jar)
    assert r.status == 302 and r.location.startswith(op.base + "/auth?"), r
    at_op = harness.curl(r.location, jar=jar)
    assert at_op.status in (302, 303) and "/itsme/callback?" in at_op.location, at_op
    answer = at_op.location
    other = tmp_path / "browser-b"
    light_login(rp, op, other)
    r = harness.curl(answer, jar=other)
    assert r.status == 400, r
    r = harness.curl(rp.base + "/onboarding/env.py", jar=other)
    assert r.status == 302, r                       # B's session still lacks nin
    env = env_of(harness.curl(rp.base + "/app/cgi/env.py", jar=other))
    assert "ITSME_NIN" not in env, env


def test_another_person_at_step_up_replaces_the_session(rp, op, jar, expect_log):
    expect_log(r"ITSME07103: the step-up login is another person than the session's")
    start = rp.log_size()
    light_login(rp, op, jar)
    settings(op, account="other")
    drop_op_cookies(jar)            # someone else logs in at the OP
    env = env_of(harness.curl(rp.base + "/onboarding/env.py", jar=jar, follow=True))
    assert env["REMOTE_USER"] == OTHER["sub"] and env.get("ITSME_NIN") == OTHER_NIN, env
    # nothing of the first person is left: not their names either (the
    # step-up asked /onboarding's claims only; /app asks the new person's
    # names with a light login of its own)
    assert "ITSME_GIVEN_NAME" not in env, env
    env = env_of(harness.curl(rp.base + "/app/cgi/env.py", jar=jar, follow=True))
    assert env["REMOTE_USER"] == OTHER["sub"] and env.get("ITSME_FAMILY_NAME") == "Peeters", env
    assert "ITSME_NIN" not in env, env             # /app does not ask for it
    # the session holds the new person's names and number (/app-nin asks both)
    env = env_of(harness.curl(rp.base + "/app-nin/env.py", jar=jar))
    assert env.get("ITSME_FAMILY_NAME") == "Peeters" and env.get("ITSME_NIN") == OTHER_NIN, env
    logged = "\n".join(ln for ln in rp.log_since(start) if "ITSME" in ln)
    for personal in (SUB, OTHER["sub"], NIN, OTHER_NIN, "Maxence", "Peeters"):
        assert personal not in logged, personal


def test_op_that_never_gives_the_claim_ends_in_403_after_one_try(rp, op, jar, expect_log):
    expect_log(r"AH01631")
    expect_log(r"ITSME03006: Require itsme-claim nin: the session has no nin")
    light_login(rp, op, jar)
    settings(op, withhold=["nin"])
    clear_log(op)
    hops = harness.walk(rp.base + "/onboarding/env.py", jar)
    assert hops[-1].status == 403 and "Access denied" in hops[-1].body, hops[-1]
    assert len(auth_entries(op)) == 1, auth_entries(op)                 # one try
    assert hops[-1].url.startswith(rp.base + "/onboarding/env.py"), hops[-1]
    # no loop: the next visit answers 403 at once, and /app still works
    r = harness.curl(rp.base + "/onboarding/env.py", jar=jar)
    assert r.status == 403, r
    assert len(auth_entries(op)) == 1
    env = env_of(harness.curl(rp.base + "/app/cgi/env.py", jar=jar))
    assert env["REMOTE_USER"] == SUB, env


def test_a_claim_one_service_did_not_give_is_still_asked_of_another(rp, op, jar):
    """A light page lists nin, which its (Authentication) service does not
    give: not asked again there. /onboarding needs it with the
    Identification service, which was never asked: it steps up once (no 403
    dead end where a login would help), and then answers without a login."""
    light_login(rp, op, jar)
    settings(op, withhold=["nin"])          # the light service does not give it
    clear_log(op)
    hops = harness.walk(rp.base + "/app-nin/env.py", jar)
    env = hops[-1].json()["env"] if hops[-1].status == 200 else None
    assert env and env["REMOTE_USER"] == SUB and "ITSME_NIN" not in env, hops[-1]
    assert len(auth_entries(op)) == 1, auth_entries(op)
    r = harness.curl(rp.base + "/app-nin/env.py", jar=jar)      # not asked again there
    assert r.status == 200, r
    settings(op, withhold=[])
    r = harness.curl(rp.base + "/onboarding/env.py", jar=jar)
    assert r.status == 302 and r.location.startswith(op.base + "/auth?"), r
    scope, _ = scopes(r.location)
    assert service_scopes(scope) == [f"service:{IDENT_SVC}"], scope
    env = env_of(harness.curl(r.location, jar=jar, follow=True))
    assert env.get("ITSME_NIN") == NIN, env
    n = len(auth_entries(op))
    assert env_of(harness.curl(rp.base + "/onboarding/env.py", jar=jar)).get("ITSME_NIN") == NIN
    assert env_of(harness.curl(rp.base + "/app-nin/env.py", jar=jar)).get("ITSME_NIN") == NIN
    assert len(auth_entries(op)) == n


def test_a_service_that_never_gives_the_claim_is_asked_once(rp, op, jar, expect_log):
    """The same claim missed by two services: each is asked once, then 403."""
    expect_log(r"AH01631")
    expect_log(r"ITSME03006: Require itsme-claim nin: the session has no nin")
    light_login(rp, op, jar)
    settings(op, withhold=["nin"])
    clear_log(op)
    assert harness.walk(rp.base + "/app-nin/env.py", jar)[-1].status == 200
    hops = harness.walk(rp.base + "/onboarding/env.py", jar)
    assert hops[-1].status == 403, hops[-1]
    assert len(auth_entries(op)) == 2, auth_entries(op)
    for path in ("/onboarding/env.py", "/app-nin/env.py", "/onboarding/env.py"):
        r = harness.curl(rp.base + path, jar=jar)
        assert r.status in (200, 403) and r.location is None, (path, r)
    assert len(auth_entries(op)) == 2, auth_entries(op)


def test_xhr_and_api_callers_get_401_insufficient_claims(rp, op, jar):
    light_login(rp, op, jar)
    for headers in (["X-Requested-With: XMLHttpRequest"], ["Accept: application/json"]):
        r = harness.curl(rp.base + "/onboarding/env.py", jar=jar, headers=headers)
        assert r.status == 401 and r.location is None, (headers, r)
        assert 'error="insufficient_claims"' in r.header("WWW-Authenticate"), r.headers
    r = harness.curl(rp.base + "/onboarding-api/env.py", jar=jar)
    assert r.status == 401 and r.location is None, r
    assert r.header("WWW-Authenticate") == 'itsme realm="Onboarding API", error="insufficient_claims"', r.headers
    # still logged in: the light page answers
    assert env_of(harness.curl(rp.base + "/app/cgi/env.py", jar=jar))["REMOTE_USER"] == SUB


def test_acr_and_claim_step_up_are_one_login(rp, op, jar):
    light_login(rp, op, jar)
    clear_log(op)
    drop_op_cookies(jar)            # a stronger login at the OP is a new one
    r = harness.curl(rp.base + "/onboarding-strong/env.py", jar=jar)
    assert r.status == 302, r
    env = env_of(harness.curl(r.location, jar=jar, follow=True))
    assert env.get("ITSME_NIN") == NIN and env["REMOTE_USER"] == SUB, env
    entries = auth_entries(op)
    assert len(entries) == 1, entries
    resolved = entries[0]["resolved"]
    assert "acr_advanced" in (resolved.get("acr_values") or ""), resolved
    assert "eid" in resolved["scope"].split(), resolved


def test_acr_step_up_asks_only_what_the_page_needs(rp, op, jar):
    """A session that holds the national number (an identification) reaches
    a light page that wants a stronger login: the new login asks for that
    page's claims with its service, not again for the national number (a
    second identification, paid for and not needed); what the session held
    stays."""
    light_login(rp, op, jar)
    env = env_of(harness.curl(rp.base + "/onboarding/env.py", jar=jar, follow=True))
    assert env.get("ITSME_NIN") == NIN, env
    clear_log(op)
    drop_op_cookies(jar)
    r = harness.curl(rp.base + "/app-strong/env.py", jar=jar)
    resolved = light_step_up_without_nin(rp, op, jar, r)
    assert "acr_advanced" in (resolved.get("acr_values") or ""), resolved
    # the national number is still in the session: no new login for it
    n = len(auth_entries(op))
    env = env_of(harness.curl(rp.base + "/onboarding/env.py", jar=jar))
    assert env.get("ITSME_NIN") == NIN, env
    assert len(auth_entries(op)) == n


# --------------------------------------------------------------------------
# the session's lifetime does not grow with a step-up

def test_step_up_keeps_the_session_expiry(workdir, keys, op_port, op, jar):
    h = start_rp(workdir, keys, op_port, "stepup-expiry", "off", None, "ItsmeSessionMaxAge 10\n")
    try:
        h.request_object = False
        t0 = time.time()
        light_login(h, op, jar)
        time.sleep(3)
        env = env_of(harness.curl(h.base + "/onboarding/env.py", jar=jar, follow=True))
        assert env.get("ITSME_NIN") == NIN, env
        time.sleep(max(0.0, t0 + 11.5 - time.time()))
        # 10 s after the first login: over, although the step-up was 3 s later
        r = harness.curl(h.base + "/app/cgi/env.py", jar=jar)
        assert r.status == 302, r
    finally:
        stop_httpd(h)


# --------------------------------------------------------------------------
# configuration: httpd -t

def configtest(workdir, keys, name, service_code, locs):
    conf = server_conf("http://127.0.0.1:9/.well-known/openid-configuration", "rp", keys,
                       service_code=service_code)
    h = harness.Httpd(workdir, name, conf, locations=locs)
    t = h.configtest()
    return t.returncode, t.stdout + t.stderr, h


def test_two_services_in_one_vhost_pass_configtest(workdir, keys):
    rc, out, _ = configtest(workdir, keys, "svc-two", AUTH_SVC, locations(workdir / "x"))
    assert rc == 0, out


def test_services_by_location_only_pass_configtest(workdir, keys):
    """No server-wide code: every protected location names its own, or a
    <Location> around it does."""
    locs = (f"<Location />\n    ItsmeServiceCode {AUTH_SVC}\n</Location>\n"
            "<Location /app>\n    AuthType itsme\n    Require valid-user\n</Location>\n"
            f"<Location /onboarding>\n    AuthType itsme\n    ItsmeServiceCode {IDENT_SVC}\n"
            "    Require itsme-claim nin\n</Location>\n")
    rc, out, _ = configtest(workdir, keys, "svc-by-location", None, locs)
    assert rc == 0, out


def test_protected_location_without_a_service_code_is_refused(workdir, keys):
    locs = (f"<Location /onboarding>\n    AuthType itsme\n    ItsmeServiceCode {IDENT_SVC}\n"
            "    Require itsme-claim nin\n</Location>\n"
            "<Location /app>\n    AuthType itsme\n    Require valid-user\n</Location>\n")
    rc, out, h = configtest(workdir, keys, "svc-missing", None, locs)
    assert rc != 0, out
    lines = h.conf.read_text().splitlines()
    lineno = 1 + lines.index("<Location /app>")
    assert "ITSME07100" in out and f"httpd.conf:{lineno} " in out, out


def test_bad_service_code_is_refused(workdir, keys):
    rc, out, _ = configtest(workdir, keys, "svc-bad", AUTH_SVC,
                            "<Location /x>\n    AuthType itsme\n    ItsmeServiceCode bad/code\n</Location>\n")
    assert rc != 0 and "ItsmeServiceCode" in out, out


def test_location_root_code_covers_every_section(workdir, keys):
    locs = (f"<Location />\n    ItsmeServiceCode {AUTH_SVC}\n</Location>\n"
            f'<Directory "{workdir}/svc-root/htdocs/app">\n    AuthType itsme\n    Require valid-user\n</Directory>\n'
            "<LocationMatch ^/api/>\n    AuthType itsme\n    Require valid-user\n</LocationMatch>\n")
    rc, out, _ = configtest(workdir, keys, "svc-root", None, locs)
    assert rc == 0, out


def test_regex_section_without_a_code_is_refused(workdir, keys):
    locs = (f"<Location /app>\n    ItsmeServiceCode {AUTH_SVC}\n</Location>\n"
            "<LocationMatch ^/app/api/>\n    AuthType itsme\n    Require valid-user\n</LocationMatch>\n")
    rc, out, _ = configtest(workdir, keys, "svc-regex", None, locs)
    assert rc != 0 and "ITSME07100" in out, out
