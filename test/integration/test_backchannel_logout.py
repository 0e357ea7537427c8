# SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE.
"""OP-initiated logout (issue 12): OpenID Connect Back-Channel Logout 1.0
(ItsmeBackChannelLogoutURI) and Front-Channel Logout 1.0
(ItsmeFrontChannelLogoutURI), with node-oidc-provider's backchannelLogout
feature and the test OP's own front-channel logout page.

- A logout at the OP ends the session at the module within one request, on
  both httpd sharing one Redis, and in cookie mode (revocation list in this
  host's shared memory); another browser of the same person (another OP
  session, another sid) stays signed in.
- Front-channel: the OP's logout page loads /itsme/frontchannel?iss=..&sid=..
  and the session ends (server side: a copy of the cookie no longer opens).
- Hostile logout tokens, each signed with the OP's own key (the test OP's
  /_test/sign hook) unless the flaw is the signature, and aimed at a live
  session: 400 with a JSON error and no-store (405 for other methods), an
  info log line that does not hold the token, and the session still works.
  The same token without its flaw does end the session (the control case), so
  each refusal is for the flaw alone.
- A replayed jti is refused (on the other node too: the jti is in the store).
- Configuration: cookie mode needs socache_shmcb (ITSME06001 in the spec; the
  store's ITSME05001 is taken too), apache2 -t says
  which mode (ITSME06002), an OP that does not announce the feature gets a
  warning (ITSME06003 / ITSME06004).
"""

import base64
import concurrent.futures
import html
import json
import re
import secrets
import subprocess
import tempfile
import time
import urllib.parse
import uuid
from pathlib import Path

import pytest

import harness
import stores
from conftest import BASIC_CLIENT, start_httpd, stop_httpd

SUB = "tXOq9614vLHkXBkEu3Jm0Qa7ZGQO02Fc98IPaHq6iRwK-ytA="
ENV = "/app/cgi/env.py"
APP = "/app/"
BCL = "/itsme/backchannel"
FCL = "/itsme/frontchannel"
COOKIE = "itsme_session"
EVENT = "http://schemas.openid.net/event/backchannel-logout"
PASS = harness.random_passphrase()
PATTERN = r"^http://127\.0\.0\.1:\d+/(itsme/callback|open/.*)$"
EXPIRY_RE = re.compile(r";\s*Max-Age=0\b", re.I)
REFUSAL_LOG = r"ITSME060\d\d"


def _client(cid):
    return {"client_id": cid, "client_secret": harness.random_passphrase(),
            "token_endpoint_auth_method": "client_secret_basic",
            "redirect_uris": ["http://127.0.0.1:8080/itsme/callback"]}


C_STORE = _client("bcl-store")     # two nodes sharing Redis; back-channel to node A
C_COOKIE = _client("bcl-cookie")   # one host, cookie mode; back-channel
C_FRONT = _client("fcl-cookie")    # one host, cookie mode; front-channel only


# --------------------------------------------------------------------------
# helpers

def op_log(op):
    return harness.http_json("GET", op.base + "/_test/log")


def clear_op_log(op):
    harness.http_json("POST", op.base + "/_test/log/clear")


def set_client(op, **metadata):
    return harness.http_json("POST", op.base + "/_test/client", metadata)


def sign(op, payload=None, header=None, **options):
    """A JWS over payload signed by the OP's own key (see op.js /_test/sign)."""
    body = dict(options, header=header or {})
    if payload is not None:
        body["payload"] = payload
    return harness.http_json("POST", op.base + "/_test/sign", body)["jwt"]


def rp_conf(op, client, store=None, bcl=True, fcl=True, extra=""):
    lines = [
        f"ItsmeProvider broker {op.discovery}",
        f"ItsmeClientID {client['client_id']}",
        f"ItsmeClientSecret {client['client_secret']}",
        "ItsmeRedirectURI /itsme/callback",
        f"ItsmeCryptoPassphrase {PASS}",
        "ItsmeHTTPTimeout 5",
    ]
    if store:
        lines.append(f"ItsmeSessionStore {store}")
    if bcl:
        lines.append(f"ItsmeBackChannelLogoutURI {BCL}")
    if fcl:
        lines.append(f"ItsmeFrontChannelLogoutURI {FCL}")
    lines.append(extra)
    return "\n".join(lines) + "\n"


def login(h, jar, op, client):
    """Log in through the test OP; the sid of the OP session (from the ID
    token the OP issued, as its log shows)."""
    def tokens():
        return [e for e in op_log(op) if e.get("event") == "token" and e.get("client_id") == client["client_id"]]
    before = len(tokens())
    r = harness.curl(h.base + ENV, jar=jar, follow=True)
    assert r.status == 200 and r.json()["env"]["REMOTE_USER"] == SUB, r
    tokens = tokens()
    assert len(tokens) > before, "no login happened (a session was still open?) for " + client["client_id"]
    idt = tokens[-1].get("id_token") or {}
    assert idt.get("sid") and idt.get("sub") == SUB, tokens[-1]
    return idt["sid"]


def jar_value(jar, name=COOKIE):
    vals = [c["value"] for c in harness.read_jar(jar) if c["name"] == name]
    return vals[-1] if vals else None


def expired(r):
    return {c.split("=", 1)[0] for c in r.set_cookies() if EXPIRY_RE.search(c)}


def assert_signed_in(h, jar=None, headers=(), what=""):
    r = harness.curl(h.base + ENV, jar=jar, headers=headers)
    assert r.status == 200 and r.json()["env"]["REMOTE_USER"] == SUB, (h.name, what, r)


def assert_fresh_login(h, op, jar=None, headers=(), what=""):
    """The next request gets a fresh login (302 to the OP), /app/ and the CGI alike."""
    for path in (APP, ENV):
        r = harness.curl(h.base + path, jar=jar, headers=headers)
        assert r.status == 302 and (r.location or "").startswith(op.base + "/auth?"), (h.name, what, path, r)


def end_op_session(op, jar):
    """RP-initiated logout at the OP with no id_token_hint: the OP shows its
    confirmation form (op.js submits it with JS); post it like the browser,
    with logout=yes (end the whole OP session). The OP's answer."""
    page = harness.curl(op.base + "/session/end", jar=jar)
    assert page.status == 200 and "op.logoutForm" in page.body, page
    action = html.unescape(re.search(r'action="([^"]+)"', page.body).group(1))
    xsrf = re.search(r'name="xsrf" value="([^"]+)"', page.body).group(1)
    return harness.curl(urllib.parse.urljoin(op.base + "/session/end", action), jar=jar, method="POST",
                        data=urllib.parse.urlencode({"xsrf": xsrf, "logout": "yes"}),
                        headers=["Content-Type: application/x-www-form-urlencoded"])


def post_raw(h, body, content_type="application/x-www-form-urlencoded", method=None, headers=(), path=BCL):
    """POST body (bytes or str) as is; content_type None sends no Content-Type."""
    if isinstance(body, str):
        body = body.encode()
    with tempfile.NamedTemporaryFile(prefix="itsme-bcl-", suffix=".body") as f:
        f.write(body)
        f.flush()
        hdrs = [f"Content-Type: {content_type}" if content_type is not None else "Content-Type:"] + list(headers)
        return harness.curl(h.base + path, method=method, headers=hdrs, extra=["--data-binary", "@" + f.name])


def post_token(h, token, **kw):
    return post_raw(h, "logout_token=" + urllib.parse.quote(token, safe=""), **kw)


DROP = object()   # a claim to leave out


def logout_claims(op, client, sid=None, sub=SUB, **changes):
    """A logout token's claims as the OP sends them; changes set claims (a
    value of DROP removes one)."""
    now = int(time.time())
    c = {"iss": op.base, "aud": client["client_id"], "iat": now, "exp": now + 120,
         "jti": uuid.uuid4().hex, "events": {EVENT: {}}}
    for k, v in (("sub", sub), ("sid", sid)):
        if v is not None and v is not DROP:
            c[k] = v
    for k, v in changes.items():
        if v is DROP:
            c.pop(k, None)
        else:
            c[k] = v
    return c



def assert_refused(r, status=400, token=None):
    assert r.status == status, r
    assert "no-store" in (r.header("Cache-Control") or ""), r.headers
    assert (r.header("Content-Type") or "").startswith("application/json"), r.headers
    try:
        body = json.loads(r.body)
    except ValueError:
        raise AssertionError(f"not a JSON body: {r.body[:300]!r}") from None
    assert isinstance(body, dict) and body.get("error") == "invalid_request", body
    assert COOKIE not in " ".join(r.set_cookies()), r.set_cookies()
    if token:
        for part in token.split("."):
            if len(part) > 20:
                assert part not in r.body, "the answer echoes the token"
    if status == 405:
        assert "POST" in (r.header("Allow") or ""), r.headers


def assert_accepted(r):
    assert r.status == 200, r
    assert "no-store" in (r.header("Cache-Control") or ""), r.headers
    assert r.body == "", r.body[:300]
    assert COOKIE not in " ".join(r.set_cookies()), r.set_cookies()


def assert_log_hides(h, offset, token):
    """An ITSME060xx line was logged since offset, and no line holds the token."""
    lines = h.log_since(offset)
    assert any(re.search(REFUSAL_LOG, ln) for ln in lines), f"{h.name}: no ITSME060xx line:\n" + "\n".join(lines[-10:])
    for part in (token or "").split("."):
        if len(part) > 20:
            bad = [ln for ln in lines if part in ln]
            assert not bad, f"{h.name}: the log holds the token:\n" + "\n".join(bad)


# --------------------------------------------------------------------------
# fixtures: one OP, two nodes on Redis, one cookie-mode host, one front-channel host

@pytest.fixture(scope="module")
def op(workdir):
    o = harness.start_test_op(workdir, {
        "profile": "broker",
        "clients": [C_STORE, C_COOKIE, C_FRONT],
        "redirectUriPattern": PATTERN,
        "features": {"backchannelLogout": {"enabled": True}, "frontchannelLogout": {"enabled": True}},
    }, name="op_bcl")
    meta = harness.http_json("GET", o.discovery)
    assert meta.get("backchannel_logout_supported") is True, meta
    assert meta.get("frontchannel_logout_supported") is True, meta
    yield o
    o.stop()


@pytest.fixture(scope="module")
def redis(workdir):
    r = stores.Redis(workdir, "redis_bcl").start()
    yield r
    r.stop()


@pytest.fixture(scope="module")
def node_a(workdir, op, redis):
    h = start_httpd(workdir, "bcl_a", rp_conf(op, C_STORE, store=redis.url))
    # the OP posts its logout tokens to node A only; Redis tells node B
    set_client(op, client_id=C_STORE["client_id"], backchannel_logout_uri=h.base + BCL,
               backchannel_logout_session_required=True)
    yield h
    stop_httpd(h)


@pytest.fixture(scope="module")
def node_b(workdir, op, redis):
    """node A's twin: same client id, passphrase and Redis, another port"""
    h = start_httpd(workdir, "bcl_b", rp_conf(op, C_STORE, store=redis.url))
    yield h
    stop_httpd(h)


@pytest.fixture(scope="module")
def cookie_host(workdir, op):
    """no ItsmeSessionStore: ended sessions are listed in shared memory (shmcb)"""
    h = start_httpd(workdir, "bcl_cookie", rp_conf(op, C_COOKIE))
    set_client(op, client_id=C_COOKIE["client_id"], backchannel_logout_uri=h.base + BCL,
               backchannel_logout_session_required=True)
    yield h
    stop_httpd(h)


@pytest.fixture(scope="module")
def front_host(workdir, op):
    """cookie mode; the OP knows only its front-channel URI"""
    h = start_httpd(workdir, "fcl_cookie", rp_conf(op, C_FRONT, bcl=False))
    set_client(op, client_id=C_FRONT["client_id"], frontchannel_logout_uri=h.base + FCL,
               frontchannel_logout_session_required=True)
    yield h
    stop_httpd(h)


class Victim:
    """A signed-in browser the hostile logout tokens are aimed at."""

    def __init__(self, mode, rp, others, op, client, jar):
        self.mode, self.rp, self.others, self.op, self.client, self.jar = mode, rp, others, op, client, jar
        self.sid = None

    def ensure(self):
        """Signed in (again, when a previous test ended the session: in a new
        browser, so a new OP session and sid, as after a real OP logout)."""
        if self.sid is None or harness.curl(self.rp.base + ENV, jar=self.jar).status != 200:
            Path(self.jar).unlink(missing_ok=True)
            self.sid = login(self.rp, self.jar, self.op, self.client)
        return self

    def assert_alive(self, what=""):
        for h in [self.rp] + self.others:
            assert_signed_in(h, jar=self.jar, what=what)

    def claims(self, **changes):
        changes.setdefault("sid", self.sid)
        return logout_claims(self.op, self.client, **changes)


@pytest.fixture(scope="module")
def victims(workdir, op, node_a, node_b, cookie_host):
    d = Path(workdir) / "bcl_victims"
    d.mkdir(exist_ok=True)
    return {"store": Victim("store", node_a, [node_b], op, C_STORE, d / "store.txt"),
            "cookie": Victim("cookie", cookie_host, [], op, C_COOKIE, d / "cookie.txt")}


@pytest.fixture(params=["store", "cookie"])
def victim(request, victims):
    return victims[request.param].ensure()


# --------------------------------------------------------------------------
# (a) back-channel logout, two nodes sharing Redis

def test_op_logout_ends_the_session_on_both_nodes(node_a, node_b, op, jar, tmp_path):
    sid = login(node_a, jar, op, C_STORE)
    value = jar_value(jar)
    assert value, harness.read_jar(jar)
    assert_signed_in(node_b, jar=jar, what="the session is shared")
    # another browser of the same person: another OP session, another sid
    other = tmp_path / "other.txt"
    other_sid = login(node_b, other, op, C_STORE)
    assert other_sid != sid

    clear_op_log(op)
    out = end_op_session(op, jar)
    assert out.status == 303, out
    new = op_log(op)
    deliveries = [e for e in new if e.get("event") == "backchannel" and e.get("client_id") == C_STORE["client_id"]]
    assert deliveries and all(e["ok"] for e in deliveries), deliveries
    assert deliveries[-1]["uri"] == node_a.base + BCL and deliveries[-1]["sid"] == sid, deliveries
    tokens = [e for e in new if e.get("event") == "logout_token" and e.get("client_id") == C_STORE["client_id"]]
    assert len(tokens) == 1, tokens
    lt = tokens[0]["claims"]
    assert lt["sid"] == sid and lt["sub"] == SUB and EVENT in lt["events"] and "nonce" not in lt, lt

    # the next request gets a fresh login, on both nodes, with the jar and with a copy of the cookie
    for h in (node_a, node_b):
        assert_fresh_login(h, op, jar=jar, what="after the OP logout")
        assert_fresh_login(h, op, headers=[f"Cookie: {COOKIE}={value}"], what="copy of the cookie")
    # the other browser (another sid) is still signed in, on both nodes
    for h in (node_a, node_b):
        assert_signed_in(h, jar=other, what="another OP session of the same person")

    # the OP's token again (a replay), to either node: refused, the jti is in the shared store
    for h in (node_b, node_a):
        off = h.log_size()
        r = post_token(h, tokens[0]["token"])
        assert_refused(r, token=tokens[0]["token"])
        assert_log_hides(h, off, tokens[0]["token"])

    # and a new login works at once
    login(node_b, jar, op, C_STORE)
    assert_signed_in(node_a, jar=jar)


def test_no_discovery_warning_when_the_op_supports_it(node_a, node_b, cookie_host, front_host, op, jar):
    for h in (node_a, node_b, cookie_host, front_host):
        harness.curl(h.base + APP)       # the login start reads the discovery
        bad = [ln for ln in h.log_since(0) if re.search(r"ITSME0600[34]", ln)]
        assert not bad, bad


# --------------------------------------------------------------------------
# (b) back-channel logout, cookie mode (one host)

def test_op_logout_ends_the_session_in_cookie_mode(cookie_host, op, jar, tmp_path):
    sid = login(cookie_host, jar, op, C_COOKIE)
    value = jar_value(jar)
    other = tmp_path / "other.txt"
    other_sid = login(cookie_host, other, op, C_COOKIE)
    assert other_sid != sid

    clear_op_log(op)
    out = end_op_session(op, jar)
    assert out.status == 303, out
    deliveries = [e for e in op_log(op)
                  if e.get("event") == "backchannel" and e.get("client_id") == C_COOKIE["client_id"]]
    assert len(deliveries) == 1 and deliveries[0]["ok"], deliveries
    assert deliveries[0]["uri"] == cookie_host.base + BCL and deliveries[0]["sid"] == sid, deliveries

    assert_fresh_login(cookie_host, op, jar=jar, what="after the OP logout")
    assert_fresh_login(cookie_host, op, headers=[f"Cookie: {COOKIE}={value}"], what="copy of the cookie")
    assert_signed_in(cookie_host, jar=other, what="another OP session of the same person")
    # a new login (a new OP session, a new sid) opens
    login(cookie_host, jar, op, C_COOKIE)
    assert_signed_in(cookie_host, jar=jar)


# --------------------------------------------------------------------------
# (c) front-channel logout

def test_op_front_channel_logout_page_ends_the_session(front_host, op, jar):
    sid = login(front_host, jar, op, C_FRONT)
    value = jar_value(jar)
    out = end_op_session(op, jar)
    # the OP's logout page: one iframe per relying party, then on to the OP's success page
    assert out.status == 200, out
    frames = [html.unescape(u) for u in re.findall(r'<iframe class="frontchannel" src="([^"]+)"', out.body)]
    want = front_host.base + FCL + "?" + urllib.parse.urlencode({"iss": op.base, "sid": sid})
    assert frames == [want], (frames, want)

    # the browser loads the iframe (the session cookie goes along)
    r = harness.curl(frames[0], jar=jar)
    assert r.status == 200, r
    assert "no-store" in (r.header("Cache-Control") or ""), r.headers
    assert (r.header("Content-Type") or "").startswith("text/html"), r.headers
    assert COOKIE in expired(r), r.set_cookies()
    assert len(r.body) < 2048, len(r.body)
    assert_fresh_login(front_host, op, jar=jar, what="after the front-channel logout")
    # server side: a copy of the cookie taken before no longer opens
    assert_fresh_login(front_host, op, headers=[f"Cookie: {COOKIE}={value}"], what="copy of the cookie")
    login(front_host, jar, op, C_FRONT)


def test_front_channel_without_cookie_ends_the_session_server_side(front_host, op, jar, tmp_path):
    sid = login(front_host, jar, op, C_FRONT)
    other = tmp_path / "other.txt"
    login(front_host, other, op, C_FRONT)
    r = harness.curl(front_host.base + FCL + "?" + urllib.parse.urlencode({"iss": op.base, "sid": sid}))
    assert r.status == 200 and "no-store" in (r.header("Cache-Control") or ""), r
    assert_fresh_login(front_host, op, jar=jar, what="the session of that sid")
    assert_signed_in(front_host, jar=other, what="another sid")


def test_front_channel_on_one_node_ends_the_session_on_both(node_a, node_b, op, jar):
    sid = login(node_a, jar, op, C_STORE)
    assert_signed_in(node_b, jar=jar)
    r = harness.curl(node_b.base + FCL + "?" + urllib.parse.urlencode({"iss": op.base, "sid": sid}))
    assert r.status == 200 and "no-store" in (r.header("Cache-Control") or ""), r
    for h in (node_a, node_b):
        assert_fresh_login(h, op, jar=jar, what="front-channel logout at node B")


@pytest.mark.parametrize("query", [
    "", "sid={sid}", "iss={iss}", "iss={iss}&sid=", "iss={iss}/&sid={sid}", "iss=https://evil.example&sid={sid}",
    "iss=&sid={sid}",
], ids=["none", "no-iss", "no-sid", "empty-sid", "iss-slash", "other-iss", "empty-iss"])
def test_front_channel_bad_requests_change_nothing(front_host, op, jar, query):
    sid = login(front_host, jar, op, C_FRONT)
    q = query.format(sid=urllib.parse.quote(sid), iss=urllib.parse.quote(op.base, safe=""))
    r = harness.curl(front_host.base + FCL + ("?" + q if q else ""))
    assert r.status == 400, r
    assert "no-store" in (r.header("Cache-Control") or ""), r.headers
    assert len(r.body) < 2048, len(r.body)
    assert_signed_in(front_host, jar=jar, what=f"after {query!r}")


def test_front_channel_flood_does_not_bring_an_ended_session_back(front_host, op, jar):
    """Cookie mode: requests naming made-up sids write nothing to the shared
    memory list, so they cannot push an ended session's entry out of it (with
    keys of one shape in one shmcb partition, 250 of them did)."""
    sid = login(front_host, jar, op, C_FRONT)
    value = jar_value(jar)
    r = harness.curl(front_host.base + FCL + "?" + urllib.parse.urlencode({"iss": op.base, "sid": sid}))
    assert r.status == 200, r
    assert_fresh_login(front_host, op, headers=[f"Cookie: {COOKIE}={value}"], what="ended")

    def flood(i):
        q = urllib.parse.urlencode({"iss": op.base, "sid": f"made-up-{i}-{secrets.token_hex(8)}"})
        return harness.curl(front_host.base + FCL + "?" + q).status

    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        statuses = list(ex.map(flood, range(400)))
    assert set(statuses) == {200}, set(statuses)
    assert_fresh_login(front_host, op, headers=[f"Cookie: {COOKIE}={value}"], what="after 400 made-up sids")


def test_front_channel_unknown_sid_ends_nothing(front_host, op, jar):
    login(front_host, jar, op, C_FRONT)
    r = harness.curl(front_host.base + FCL + "?" + urllib.parse.urlencode({"iss": op.base, "sid": "no-such-sid"}))
    assert r.status == 200, r
    assert_signed_in(front_host, jar=jar)


# --------------------------------------------------------------------------
# (d) hostile logout tokens, aimed at a live session

def test_control_the_untouched_token_ends_the_session(victim):
    """The token the hostile cases start from, untouched, is accepted and ends
    the session: each refusal below is for its one flaw."""
    token = sign(victim.op, victim.claims())
    r = post_token(victim.rp, token)
    assert_accepted(r)
    for h in [victim.rp] + victim.others:
        assert_fresh_login(h, victim.op, jar=victim.jar, what="the control token")


def _case(payload=None, **sign_options):
    return {"payload": payload or {}, "sign": sign_options}


HOSTILE = {
    # signature
    "bad-signature": _case(tamper=True),
    "foreign-key-same-kid": _case(key="foreign"),
    "foreign-key-other-kid": _case(key="foreign", header={"kid": "attacker-1"}),
    "foreign-key-no-kid": _case(key="foreign", header={"kid": None}),
    "alg-none": _case(header={"alg": "none"}),
    "alg-none-no-kid": _case(header={"alg": "none", "kid": None}),
    "hs256-client-secret": _case(header={"alg": "HS256"}, secret="@client_secret"),
    "hs256-op-public-key": _case(header={"alg": "HS256"}),
    "es256-foreign": _case(header={"alg": "ES256"}, key="foreign"),
    "embedded-jwk": _case(key="foreign", embed_jwk=True),
    "embedded-jwk-no-kid": _case(key="foreign", embed_jwk=True, header={"kid": None}),
    "jku-elsewhere": _case(key="foreign", header={"kid": "attacker-1", "jku": "http://127.0.0.1:1/jwks"}),
    # claims
    "wrong-iss": _case({"iss": "@op/other"}),
    "iss-trailing-slash": _case({"iss": "@op/"}),
    "no-iss": _case({"iss": DROP}),
    "wrong-aud": _case({"aud": "someone-else"}),
    "aud-list-without-client": _case({"aud": ["someone-else"]}),
    "aud-list-without-azp": _case({"aud": ["@client", "someone-else"]}),
    "azp-of-another-client": _case({"aud": ["@client", "someone-else"], "azp": "someone-else"}),
    "no-aud": _case({"aud": DROP}),
    "nonce": _case({"nonce": "n-0S6_WzA2Mj"}),
    "no-events": _case({"events": DROP}),
    "events-string": _case({"events": EVENT}),
    "events-array": _case({"events": [EVENT]}),
    "events-other-member": _case({"events": {"http://schemas.openid.net/event/other": {}}}),
    "event-value-not-object": _case({"events": {EVENT: True}}),
    "neither-sub-nor-sid": _case({"sub": DROP, "sid": DROP}),
    "empty-sid-no-sub": _case({"sub": DROP, "sid": ""}),
    "sub-not-string": _case({"sub": 12345, "sid": DROP}),
    "no-jti": _case({"jti": DROP}),
    "no-iat": _case({"iat": DROP}),
    "stale-iat": _case({"iat": ("now", -700), "exp": ("now", 120)}),
    "stale-iat-no-exp": _case({"iat": ("now", -700), "exp": DROP}),
    "iat-in-the-future": _case({"iat": ("now", 300), "exp": ("now", 420)}),
    "expired": _case({"iat": ("now", -300), "exp": ("now", -180)}),   # past beyond any clock skew
    "iat-string": _case({"iat": "@now-string"}),
    "payload-not-json": _case(payload_raw="not json at all"),
    "payload-array": _case(payload_raw="[1,2,3]"),
}


def _materialise(victim, case):
    """(claims, sign options) of a case for this victim."""
    now = int(time.time())
    changes = {}
    for k, v in case["payload"].items():
        if isinstance(v, tuple) and v[0] == "now":
            v = now + v[1]
        elif v == "@op/other":
            v = victim.op.base + "/other"
        elif v == "@op/":
            v = victim.op.base + "/"
        elif v == "@now-string":
            v = str(now)
        elif isinstance(v, list):
            v = [victim.client["client_id"] if x == "@client" else x for x in v]
        changes[k] = v
    opts = dict(case["sign"])
    if opts.get("secret") == "@client_secret":
        opts["secret"] = victim.client["client_secret"]
    return victim.claims(**changes), opts


@pytest.mark.parametrize("case", list(HOSTILE), ids=list(HOSTILE))
def test_hostile_logout_token_changes_nothing(victim, case):
    claims, opts = _materialise(victim, HOSTILE[case])
    token = sign(victim.op, claims, **opts)
    off = victim.rp.log_size()
    r = post_token(victim.rp, token)
    assert_refused(r, token=token)
    assert_log_hides(victim.rp, off, token)
    victim.assert_alive(case)


def _jwe_looking():
    h = base64.urlsafe_b64encode(json.dumps({"alg": "RSA-OAEP-256", "enc": "A256GCM", "kid": "op-sig-1",
                                             "cty": "JWT"}).encode()).rstrip(b"=").decode()
    return f"{h}.{'A' * 342}.{'B' * 16}.{'C' * 200}.{'D' * 22}"


@pytest.mark.parametrize("kind", ["jwe", "garbage", "two-parts", "empty-token", "no-token", "empty-body",
                                  "two-tokens"])
def test_malformed_logout_request_refused(victim, kind):
    valid = sign(victim.op, victim.claims())
    body = {
        "jwe": "logout_token=" + _jwe_looking(),
        "garbage": "logout_token=%00%ff%fe not a jwt",
        "two-parts": "logout_token=" + ".".join(valid.split(".")[:2]),
        "empty-token": "logout_token=",
        "no-token": "id_token_hint=" + valid,
        "empty-body": "",
        # the second one would end the session: which one counts is ambiguous, refuse both
        "two-tokens": "logout_token=" + _jwe_looking() + "&logout_token=" + valid,
    }[kind]
    off = victim.rp.log_size()
    r = post_raw(victim.rp, body)
    assert_refused(r, token=valid)
    assert_log_hides(victim.rp, off, valid)
    victim.assert_alive(kind)


@pytest.mark.parametrize("kind", ["100k-form", "100k-chunked", "17k-token"])
def test_oversized_body_refused(victim, kind):
    """A body over 16 KB is refused although the token in it is valid and aimed at the session."""
    pad = {"100k-form": 100_000, "100k-chunked": 100_000, "17k-token": 17_000}[kind]
    token = sign(victim.op, victim.claims(padding="x" * pad))
    body = "logout_token=" + token
    assert len(body) > 16384
    headers = ["Transfer-Encoding: chunked"] if kind == "100k-chunked" else []
    r = post_raw(victim.rp, body, headers=headers)
    assert_refused(r, token=token)
    victim.assert_alive(kind)


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "OPTIONS"])
def test_other_methods_405(victim, method):
    token = sign(victim.op, victim.claims())
    url = victim.rp.base + BCL + "?logout_token=" + urllib.parse.quote(token, safe="")
    r = harness.curl(url, method=None if method == "GET" else method)
    assert_refused(r, status=405, token=token)
    victim.assert_alive(method)


@pytest.mark.parametrize("ctype", [
    "application/json", "text/plain", "multipart/form-data", None,
    "application/x-www-form-urlencodedx",
])
def test_wrong_content_type_refused(victim, ctype):
    token = sign(victim.op, victim.claims())
    if ctype == "application/json":
        r = post_raw(victim.rp, json.dumps({"logout_token": token}), content_type=ctype)
    elif ctype == "multipart/form-data":
        r = harness.curl(victim.rp.base + BCL, extra=["-F", f"logout_token={token}"])
    else:
        r = post_raw(victim.rp, "logout_token=" + token, content_type=ctype)
    assert_refused(r, token=token)
    victim.assert_alive(str(ctype))


def test_replayed_jti_refused(victim, tmp_path):
    """A valid token is accepted once; the same token again is refused (on
    every node sharing the store)."""
    # another browser (another OP session) is the one the token ends
    other = tmp_path / "other.txt"
    other_sid = login(victim.rp, other, victim.op, victim.client)
    assert other_sid != victim.sid
    token = sign(victim.op, logout_claims(victim.op, victim.client, sid=other_sid))
    assert_accepted(post_token(victim.rp, token))
    assert_fresh_login(victim.rp, victim.op, jar=other, what="the accepted token")
    victim.assert_alive("the token named another sid")

    for h in [victim.rp] + victim.others:
        off = h.log_size()
        assert_refused(post_token(h, token), token=token)
        assert_log_hides(h, off, token)
    # a new jti with the same claims is a new token: accepted
    again = sign(victim.op, logout_claims(victim.op, victim.client, sid=other_sid))
    assert_accepted(post_token(victim.rp, again))
    victim.assert_alive("after the replays")


def test_unknown_sid_ends_nothing(victim):
    token = sign(victim.op, victim.claims(sid="no-such-sid-" + uuid.uuid4().hex))
    assert_accepted(post_token(victim.rp, token))
    victim.assert_alive("a token for another sid")


def test_form_with_charset_accepted(victim):
    token = sign(victim.op, victim.claims(sid="no-such-sid-" + uuid.uuid4().hex))
    r = post_token(victim.rp, token, content_type="application/x-www-form-urlencoded; charset=UTF-8")
    assert_accepted(r)
    victim.assert_alive("charset")


def test_logout_by_sub_ends_every_session_of_the_person(victim, tmp_path):
    """No sid in the token: every session of that sub (for this issuer) ends,
    on every node, in every browser; a login afterwards opens."""
    other = tmp_path / "other.txt"
    login(victim.rp, other, victim.op, victim.client)
    # another person's token (by sub) ends nothing
    assert_accepted(post_token(victim.rp, sign(victim.op, victim.claims(sid=DROP, sub="someone-else"))))
    victim.assert_alive("another sub")

    token = sign(victim.op, victim.claims(sid=DROP))
    assert_accepted(post_token(victim.rp, token))
    for h in [victim.rp] + victim.others:
        assert_fresh_login(h, victim.op, jar=victim.jar, what="logout by sub")
        assert_fresh_login(h, victim.op, jar=other, what="logout by sub, other browser")
    # sessions made after the logout open (a second later: the list in
    # cookie mode may keep whole seconds)
    time.sleep(1.1)
    victim.sid = login(victim.rp, victim.jar, victim.op, victim.client)
    victim.assert_alive("a login after the logout by sub")


def test_endpoints_inside_a_protected_location_are_still_the_module_s(workdir, op):
    """Paths under a protected <Location>: answered by the module (400 / 405 /
    200), never a 302 to the OP or a 401."""
    h = start_httpd(workdir, "bcl_inside", rp_conf(op, C_COOKIE, bcl=False, fcl=False,
                                                   extra="ItsmeBackChannelLogoutURI /app/bc\n"
                                                         "ItsmeFrontChannelLogoutURI /app/fc"))
    try:
        assert_refused(post_raw(h, "logout_token=x.y.z", path="/app/bc"))
        assert_refused(harness.curl(h.base + "/app/bc"), status=405)
        r = harness.curl(h.base + "/app/fc?" + urllib.parse.urlencode({"iss": op.base, "sid": "no-such-sid"}))
        assert r.status == 200 and "no-store" in (r.header("Cache-Control") or ""), r
        r = harness.curl(h.base + "/app/fc")
        assert r.status == 400, r
    finally:
        stop_httpd(h)


def test_login_right_after_a_logout_by_sub_opens(victims):
    """Cookie mode: a login in the same second as a logout by sub is a
    session made after it; it opens (no redirect loop)."""
    victim = victims["cookie"].ensure()
    time.sleep(1.02 - time.time() % 1)      # just after a second begins
    assert_accepted(post_token(victim.rp, sign(victim.op, victim.claims(sid=DROP))))
    Path(victim.jar).unlink(missing_ok=True)
    hops = harness.walk(victim.rp.base + ENV, victim.jar, max_hops=30)
    answers = [h.status for h in hops if h.url.endswith(ENV)]
    assert answers == [302, 200], f"the protected page answered {answers} (a login loop until the second changed)"
    victim.sid = None


# --------------------------------------------------------------------------
# configuration

@pytest.mark.parametrize("directive", ["ItsmeBackChannelLogoutURI", "ItsmeFrontChannelLogoutURI"])
def test_cookie_mode_without_shmcb_fails_configtest(workdir, op, directive):
    h = harness.Httpd(workdir, "bcl_noshm", rp_conf(op, C_COOKIE, bcl=False, fcl=False,
                                                     extra=f"{directive} /itsme/oplogout"))
    h.skip_modules = {"socache_shmcb_module"}
    t = h.configtest()
    out = t.stdout + t.stderr
    assert t.returncode != 0, out
    # the store's tag for a provider that is not loaded, naming the OP logout
    assert "ITSME05001" in out and "socache_shmcb" in out, out
    assert directive in out, out


@pytest.mark.parametrize("mode", ["cookie", "store"])
def test_configtest_says_which_mode(workdir, op, redis, mode):
    store = redis.url if mode == "store" else None
    h = harness.Httpd(workdir, f"bcl_mode_{mode}", rp_conf(op, C_STORE, store=store))
    t = h.configtest()
    out = t.stdout + t.stderr + "\n".join(h.log_since(0))
    assert t.returncode == 0, out
    lines = [ln for ln in out.splitlines() if "ITSME06002" in ln]
    assert lines, out
    if mode == "store":
        assert any("redis" in ln for ln in lines), lines
    else:
        assert any(re.search(r"shared memory|shmcb", ln) for ln in lines), lines


@pytest.mark.parametrize("directive,value", [
    ("ItsmeBackChannelLogoutURI", "backchannel"), ("ItsmeBackChannelLogoutURI", "https://rp.example/bc"),
    ("ItsmeBackChannelLogoutURI", "/bc?x=1"), ("ItsmeFrontChannelLogoutURI", "frontchannel"),
    ("ItsmeFrontChannelLogoutURI", "//evil.example/fc"),
])
def test_bad_uri_values_fail_configtest(workdir, op, directive, value):
    h = harness.Httpd(workdir, "bcl_bad", rp_conf(op, C_COOKIE, bcl=False, fcl=False, extra=f"{directive} {value}"))
    t = h.configtest()
    out = t.stdout + t.stderr
    assert t.returncode != 0 and directive in out, out


@pytest.mark.parametrize("directive", ["ItsmeBackChannelLogoutURI", "ItsmeFrontChannelLogoutURI"])
def test_logout_uri_equal_to_redirect_uri_fails_startup(workdir, op, directive):
    h = harness.Httpd(workdir, "bcl_clash", rp_conf(op, C_COOKIE, bcl=False, fcl=False,
                                                     extra=f"{directive} /itsme/callback"))
    h.write_conf()
    p = subprocess.run([harness.httpd_binary(), "-f", str(h.conf), "-DFOREGROUND"], capture_output=True,
                       text=True, timeout=20, stdin=subprocess.DEVNULL)
    out = p.stdout + p.stderr + harness.tail(h.errlog, 50)
    assert p.returncode != 0, out
    assert "ItsmeRedirectURI" in out, out


def test_op_without_the_feature_gets_a_warning(workdir, test_op):
    """The session-wide test OP announces neither back- nor front-channel logout."""
    meta = harness.http_json("GET", test_op.discovery)
    assert not meta.get("backchannel_logout_supported") and not meta.get("frontchannel_logout_supported"), meta
    h = start_httpd(workdir, "bcl_unsupported", rp_conf(test_op, BASIC_CLIENT))
    try:
        for _ in range(3):
            r = harness.curl(h.base + APP)
            assert r.status == 302, r
        lines = h.log_since(0)
        for tag in ("ITSME06003", "ITSME06004"):
            hits = [ln for ln in lines if tag in ln]
            assert hits and all(":warn]" in ln for ln in hits), (tag, lines[-20:])
    finally:
        stop_httpd(h)
