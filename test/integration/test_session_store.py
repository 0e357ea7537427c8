# SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE.
"""ItsmeSessionStore socache:<provider> (issue 7): the session lives in
httpd's shared object cache (Redis, memcached, shmcb) and the cookie only
carries a sealed id. Two servers sharing one Redis share sessions and their
logouts; a 12 KB picture makes the round trip; the store holds no claim in
clear; a store outage answers 503 and heals by itself; a replayed callback
is refused without a second token request; configuration errors fail
apache2 -t; ItsmeCookiePersistent."""

import re
import time
import urllib.parse

import pytest

import harness
import stores
from conftest import BASIC_CLIENT, PICTURE, start_httpd, stop_httpd

SUB = "tXOq9614vLHkXBkEu3Jm0Qa7ZGQO02Fc98IPaHq6iRwK-ytA="
NIN = "81042419835"
APP = "/app/cgi/env.py"
PIC = APP + "/pic"          # asks for the picture as well
HIGH = APP + "/high"        # asks for another acr: a new login over a valid session
PASS = harness.random_passphrase()
COOKIE = "itsme_session"
EXPIRY_RE = re.compile(r";\s*Max-Age=0\b", re.I)

LOCATIONS = harness.default_locations(f"""
<Location {PIC}>
    ItsmeClaims sub given_name family_name nin picture
</Location>
<Location {HIGH}>
    ItsmeACRValues urn:example:high
</Location>
""")

# besides our own ITSME0501x lines, mod_socache_redis logs its failures
REDIS_MODULE_LINES = r"scache_rd|socache_redis|AH0347[3-9]|AH0348[01]"


def store_conf(op, store, extra="", passphrase=PASS):
    return "\n".join([
        f"ItsmeProvider broker {op.discovery}",
        f"ItsmeClientID {BASIC_CLIENT['client_id']}",
        f"ItsmeClientSecret {BASIC_CLIENT['client_secret']}",
        "ItsmeRedirectURI /itsme/callback",
        f"ItsmeCryptoPassphrase {passphrase}",
        "ItsmeHTTPTimeout 5",
        f"ItsmeSessionStore {store}",
        "ItsmeLogoutURI /logout",
        "ItsmePostLogoutRedirect /open/",
        extra,
    ]) + "\n"


# --------------------------------------------------------------------------
# fixtures

@pytest.fixture(scope="module")
def redis(workdir):
    r = stores.Redis(workdir, "redis_shared").start()
    yield r
    r.stop()


@pytest.fixture(scope="module")
def rp_a(workdir, picture_op, redis):
    h = start_httpd(workdir, "store_a", store_conf(picture_op, redis.url), locations=LOCATIONS)
    yield h
    stop_httpd(h)


@pytest.fixture(scope="module")
def rp_b(workdir, picture_op, redis):
    """rp_a's twin: same client id, passphrase and Redis, another port"""
    h = start_httpd(workdir, "store_b", store_conf(picture_op, redis.url), locations=LOCATIONS)
    yield h
    stop_httpd(h)


@pytest.fixture(scope="module")
def rp_shmcb(workdir, picture_op):
    h = start_httpd(workdir, "store_shmcb", store_conf(picture_op, "socache:shmcb"), locations=LOCATIONS)
    yield h
    stop_httpd(h)


# --------------------------------------------------------------------------
# helpers

def login(h, jar, path=APP):
    r = harness.curl(h.base + path, jar=jar, follow=True)
    assert r.status == 200 and r.json()["env"]["REMOTE_USER"] == SUB, r
    return r


def session_set_cookies(r, name=COOKIE):
    """The Set-Cookie headers (all hops) that write the session cookie."""
    return [c for c in r.set_cookies() if c.startswith(name + "=") and not EXPIRY_RE.search(c)]


def expired(r):
    return {c.split("=", 1)[0] for c in r.set_cookies() if EXPIRY_RE.search(c)}


def jar_value(jar, name=COOKIE):
    vals = [c["value"] for c in harness.read_jar(jar) if c["name"] == name]
    return vals[-1] if vals else None


def module_cookie_names(jar):
    return [c["name"] for c in harness.read_jar(jar) if c["name"].startswith(COOKIE)]


def with_cookie(value, name=COOKIE):
    return [f"Cookie: {name}={value}"]


def token_requests(op):
    return sum(1 for e in harness.http_json("GET", op.base + "/_test/log") if e.get("event") == "token")


def clear_op_log(op):
    harness.http_json("POST", op.base + "/_test/log/clear")


def assert_sends_to_op(h, op, headers=(), jar=None):
    r = harness.curl(h.base + APP, jar=jar, headers=headers)
    assert r.status == 302 and r.location.startswith(op.base + "/auth?"), (h.name, r)


def assert_small_session_cookie(r, jar):
    """One session cookie, an opaque sealed id: under 400 bytes with its
    attributes, no chunks."""
    written = session_set_cookies(r)
    assert written, r.set_cookies()
    for c in written:
        assert len(c) < 400, (len(c), c[:120])
    value = jar_value(jar)
    assert value and len(value) < 400, value
    assert not [n for n in module_cookie_names(jar) if re.fullmatch(COOKIE + r"_\d+", n)], \
        module_cookie_names(jar)
    return value


def assert_picture_delivered(r):
    env = r.json()["env"]
    assert env.get("ITSME_PICTURE") == PICTURE, len(env.get("ITSME_PICTURE") or "")
    assert env.get("HTTP_X_ITSME_PICTURE") == PICTURE, len(env.get("HTTP_X_ITSME_PICTURE") or "")
    assert env.get("ITSME_GIVEN_NAME") == "Maxence", env.get("ITSME_GIVEN_NAME")


def stop_redis_quietly(r):
    try:
        r.stop()
    except Exception:   # noqa: BLE001 - teardown after a failure
        pass


# --------------------------------------------------------------------------
# two servers, one Redis

def test_session_shared_by_two_servers_and_logout_ends_it_on_both(rp_a, rp_b, picture_op, redis, jar):
    clear_op_log(picture_op)
    keys_before = set(redis.keys())
    r = login(rp_a, jar)
    value = assert_small_session_cookie(r, jar)
    assert token_requests(picture_op) == 1
    assert set(redis.keys()) - keys_before, "the login stored nothing in Redis"

    # the browser sends the same cookie to the other port: same session, no new login
    r = harness.curl(rp_b.base + APP, jar=jar)
    assert r.status == 200, r
    env = r.json()["env"]
    assert env["REMOTE_USER"] == SUB and env.get("ITSME_NIN") == NIN, env
    for h in (rp_a, rp_b):
        r = harness.curl(h.base + APP, headers=with_cookie(value))
        assert r.status == 200 and r.json()["env"]["REMOTE_USER"] == SUB, (h.name, r)
    assert token_requests(picture_op) == 1

    # logout at rp_a: the record is gone, a copy of the cookie no longer opens it anywhere
    out = harness.curl(rp_a.base + "/logout", jar=jar)
    assert out.status == 302, out
    assert COOKIE in expired(out), out.set_cookies()
    for h in (rp_a, rp_b):
        assert_sends_to_op(h, picture_op, headers=with_cookie(value))
        assert_sends_to_op(h, picture_op, jar=jar)


def test_logout_on_the_other_server_ends_it_too(rp_a, rp_b, picture_op, jar):
    login(rp_b, jar)
    value = jar_value(jar)
    assert harness.curl(rp_a.base + APP, headers=with_cookie(value)).status == 200
    out = harness.curl(rp_b.base + "/logout", jar=jar)
    assert out.status == 302 and COOKIE in expired(out), out
    assert_sends_to_op(rp_a, picture_op, headers=with_cookie(value))
    assert_sends_to_op(rp_b, picture_op, headers=with_cookie(value))


# --------------------------------------------------------------------------
# a 12 KB picture: in the store, never in a cookie

def test_picture_round_trip_through_redis(rp_a, rp_b, redis, jar):
    r = login(rp_a, jar, PIC)
    assert_picture_delivered(r)
    assert_small_session_cookie(r, jar)
    biggest = max((len(v or b"") for v in redis.dump().values()), default=0)
    assert biggest > len(PICTURE), f"no Redis record holds the picture (largest {biggest} bytes)"
    for h in (rp_a, rp_b):                  # read back from Redis, on both servers
        again = harness.curl(h.base + PIC, jar=jar)
        assert again.status == 200 and not session_set_cookies(again), (h.name, again)
        assert_picture_delivered(again)


def test_picture_round_trip_through_shmcb(rp_shmcb, jar):
    r = login(rp_shmcb, jar, PIC)
    assert_picture_delivered(r)
    assert_small_session_cookie(r, jar)
    again = harness.curl(rp_shmcb.base + PIC, jar=jar)
    assert again.status == 200, again
    assert_picture_delivered(again)
    # and the session serves the other locations
    plain = harness.curl(rp_shmcb.base + APP, jar=jar)
    assert plain.status == 200 and plain.json()["env"]["REMOTE_USER"] == SUB, plain


# --------------------------------------------------------------------------
# what the store holds

def test_redis_dump_holds_no_claim(rp_a, redis, jar):
    redis.flush()
    r = login(rp_a, jar)
    env = r.json()["env"]
    assert env.get("ITSME_NIN") == NIN and env.get("ITSME_FAMILY_NAME") == "Legrand", env
    dump = redis.dump()
    assert dump, "Redis is empty after a login"
    assert max(len(v or b"") for v in dump.values()) >= 100, {k: len(v or b"") for k, v in dump.items()}
    cookie = jar_value(jar)
    for secret in (NIN, "810424", "Maxence", "Legrand", "1981-04-24", SUB):
        for k, v in dump.items():
            assert secret.encode() not in k, (secret, k)
            assert secret.encode() not in (v or b""), (secret, k)
    for k in dump:
        assert cookie.encode() not in k, "the store key is the cookie value"
    # every entry expires (at the session's end at the latest: 8 h by default)
    for k in dump:
        ttl = redis.ttl(k)
        assert 0 < ttl <= 28800 + 60, (k, ttl)
    # the DUMP serialisation as well (redis-cli, as an operator would look)
    for k in redis.keys():
        raw = redis.cli("--no-raw", "DUMP", k)
        assert NIN.encode() not in raw and b"Maxence" not in raw, k


def test_new_login_replaces_the_record(rp_a, picture_op, redis, jar):
    """Each login makes a new id; the old record (the browser had one) is deleted."""
    login(rp_a, jar)
    old = jar_value(jar)
    keys_old = set(redis.keys())
    # a location asking for another acr: a fresh login while the session is valid
    hops = harness.walk(rp_a.base + HIGH, jar)
    assert hops[0].status == 302 and hops[0].location.startswith(picture_op.base + "/auth?"), hops[0]
    assert hops[-1].status == 200 and hops[-1].json()["env"]["REMOTE_USER"] == SUB, hops[-1]
    new = jar_value(jar)
    assert new and new != old
    assert_sends_to_op(rp_a, picture_op, headers=with_cookie(old))
    assert harness.curl(rp_a.base + APP, headers=with_cookie(new)).status == 200
    assert keys_old - set(redis.keys()), "the old session's record is still in Redis"


# --------------------------------------------------------------------------
# replay

def test_replayed_callback_is_refused_without_token_request(rp_a, picture_op, jar):
    def at_callback(r):
        return r.status in (302, 303) and r.location and "/itsme/callback" in r.location
    hops = harness.walk(rp_a.base + APP, jar, stop=at_callback)
    assert at_callback(hops[-1]), hops[-1]
    callback = urllib.parse.urljoin(hops[-1].url, hops[-1].location)
    assert callback.startswith(rp_a.base + "/itsme/callback?"), callback
    states = {c["name"]: c["value"] for c in harness.read_jar(jar) if "_st_" in c["name"]}
    assert states, harness.read_jar(jar)
    state_header = "Cookie: " + "; ".join(f"{n}={v}" for n, v in states.items())

    clear_op_log(picture_op)
    done = harness.curl(callback, jar=jar)
    assert done.status in (302, 303) and done.location.endswith(APP), done
    assert token_requests(picture_op) == 1
    r = harness.curl(rp_a.base + APP, jar=jar)
    assert r.status == 200 and r.json()["env"]["REMOTE_USER"] == SUB, r

    off = rp_a.log_size()
    replay = harness.curl(callback, headers=[state_header])
    assert replay.status == 400, replay
    assert not session_set_cookies(replay), replay.set_cookies()
    assert token_requests(picture_op) == 1, "the replayed code went to the token endpoint"
    # the same with the whole browser jar (session cookie included)
    replay = harness.curl(callback, jar=jar, headers=[state_header])
    assert replay.status == 400, replay
    assert token_requests(picture_op) == 1
    assert any("ITSME" in ln for ln in rp_a.log_since(off)), "the refusal left no log line"


# --------------------------------------------------------------------------
# the store goes away and comes back

def test_redis_outage_answers_503_and_heals(workdir, picture_op, expect_log, tmp_path):
    expect_log(r"ITSME05010.*(redis|socache)")
    expect_log(r"ITSME0501[01]", required=False)
    expect_log(REDIS_MODULE_LINES, required=False)
    red = stores.Redis(workdir, "redis_outage").start()
    h = start_httpd(workdir, "store_outage", store_conf(picture_op, red.url), locations=LOCATIONS)
    try:
        jar, jar2 = tmp_path / "a.txt", tmp_path / "b.txt"
        login(h, jar)
        red.save_and_stop()                     # the session survives in dump.rdb

        r = harness.curl(h.base + APP, jar=jar)
        assert r.status == 503, r
        assert re.fullmatch(r"\d+", r.header("Retry-After") or ""), r.headers
        assert "temporarily unavailable" in r.body.lower(), r.body[:500]
        assert "REMOTE_USER" not in r.body
        assert COOKIE not in expired(r), "a store outage logged the user out"
        # and so on while it lasts: apr_redis reports a server it marked dead
        # (for 5 s) as "not found", which must not read as "no session"
        value = jar_value(jar)
        statuses = [harness.curl(h.base + APP, headers=with_cookie(value)).status for _ in range(4)]
        assert statuses == [503] * 4, f"requests during the outage: {statuses} (302: session taken as gone)"

        # a login finishing meanwhile: its callback cannot record anything
        hops = harness.walk(h.base + APP, jar2)
        last = hops[-1]
        assert last.url.startswith(h.base + "/itsme/callback?") and last.status == 503, last
        assert re.fullmatch(r"\d+", last.header("Retry-After") or ""), last.headers

        red.restart()
        # back by itself: five answers in a row from the session (a pooled
        # connection of the old server may fail once), then a whole login
        t0 = time.monotonic()
        deadline, streak, after = t0 + 25, 0, []
        while streak < 5 and time.monotonic() < deadline:
            r = harness.curl(h.base + APP, jar=jar)
            after.append(r.status)
            if r.status == 200:
                assert r.json()["env"]["REMOTE_USER"] == SUB, r
                streak += 1
            else:
                assert r.status == 503, (f"after the restart {after}: the session was dropped", r)
                streak = 0
                time.sleep(0.5)
        assert streak == 5, f"not back after {time.monotonic() - t0:.1f} s: {after}"
        while True:
            r = harness.curl(h.base + APP, jar=jar2, follow=True)
            after.append(r.status)
            if r.status != 503 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert r.status == 200 and r.json()["env"]["REMOTE_USER"] == SUB, (after, r)
        assert harness.curl(h.base + APP, jar=jar2).status == 200
        assert time.monotonic() - t0 < 22, (time.monotonic() - t0, after)
    finally:
        stop_redis_quietly(red)
        stop_httpd(h)


# --------------------------------------------------------------------------
# memcached

def test_memcache_store(workdir, picture_op, tmp_path):
    mc = stores.Memcached(workdir, "memcached").start()
    h = None
    try:
        h = start_httpd(workdir, "store_memcache", store_conf(picture_op, mc.url), locations=LOCATIONS)
        jar = tmp_path / "mc.txt"
        before = int(mc.stats()["curr_items"])
        r = login(h, jar, PIC)
        assert_picture_delivered(r)
        assert_small_session_cookie(r, jar)
        assert int(mc.stats()["curr_items"]) > before, mc.stats()
        again = harness.curl(h.base + APP, jar=jar)
        assert again.status == 200 and again.json()["env"]["REMOTE_USER"] == SUB, again
    finally:
        if h is not None:
            stop_httpd(h)
        mc.stop()


# --------------------------------------------------------------------------
# configuration

def test_redis_store_without_its_module_fails_configtest(workdir, picture_op):
    conf = store_conf(picture_op, "socache:redis:127.0.0.1:6379")
    ok = harness.Httpd(workdir, "store_conf_ok", conf, locations=LOCATIONS)
    t = ok.configtest()
    assert t.returncode == 0, t.stdout + t.stderr            # with the LoadModule: fine

    h = harness.Httpd(workdir, "store_conf_noload", conf, locations=LOCATIONS)
    h.skip_modules = {"socache_redis_module"}
    t = h.configtest()
    out = t.stdout + t.stderr
    assert "socache_redis_module" not in h.conf.read_text()
    assert t.returncode != 0, out
    assert "LoadModule socache_redis_module" in out, out
    assert "ITSME05001" in out, out


@pytest.mark.parametrize("value,says", [
    ("redis", "ItsmeSessionStore"),
    ("socache", "ItsmeSessionStore"),
    ("socache:", "ItsmeSessionStore"),
    ("cookies", "ItsmeSessionStore"),
    ("socache:shmcb:/x(12)", "ITSME05002"),
    ("socache:dbm:/tmp/itsme-sessions.db", "ITSME05007"),
], ids=["bare-redis", "socache", "no-provider", "cookies", "shmcb-too-small", "dbm"])
def test_bad_store_value_fails_configtest(workdir, picture_op, value, says):
    h = harness.Httpd(workdir, "store_conf_bad", store_conf(picture_op, value), locations=LOCATIONS)
    t = h.configtest()
    out = t.stdout + t.stderr
    assert t.returncode != 0, out
    assert says in out, out


@pytest.mark.parametrize("store", ["cookie", "socache:shmcb"])
def test_cookie_persistent(workdir, picture_op, store, tmp_path):
    name = "cookie" if store == "cookie" else "shmcb"
    off = start_httpd(workdir, f"persist_off_{name}", store_conf(picture_op, store), locations=LOCATIONS)
    on = start_httpd(workdir, f"persist_on_{name}",
                     store_conf(picture_op, store, "ItsmeCookiePersistent on\nItsmeSessionMaxAge 3600"),
                     locations=LOCATIONS)
    try:
        r = login(off, tmp_path / "off.txt")
        written = session_set_cookies(r)
        assert written, r.set_cookies()
        for c in written:
            assert not re.search(r";\s*(Max-Age|Expires)=", c, re.I), c[:60] + "..." + c[-120:]

        r = login(on, tmp_path / "on.txt")
        written = session_set_cookies(r)
        assert written, r.set_cookies()
        for c in written:
            m = re.search(r";\s*Max-Age=(\d+)", c, re.I)
            assert m, c[-160:]
            assert 3600 - 120 <= int(m.group(1)) <= 3600, c[-160:]
        # the jar keeps it beyond the browser session (an expiry time, not 0)
        rows = [ln.split("\t") for ln in (tmp_path / "on.txt").read_text().splitlines()
                if ln.split("\t")[5:6] == [COOKIE]]
        assert rows and int(rows[-1][4]) > time.time() + 3000, rows
    finally:
        stop_httpd(on)
        stop_httpd(off)
