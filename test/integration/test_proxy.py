# SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE.
"""httpd behind a TLS-terminating reverse proxy (ItsmeTrustForwardedHeaders)
and in front of a mod_proxy backend; the login's return URL never turns
into an off-site redirect.

The test client connects from 127.0.0.1, so a server trusting 127.0.0.1 sees
it as the proxy; a server trusting only 127.0.0.2/32 and 192.0.2.0/24 must
ignore the same headers."""

import json
import urllib.parse

import pytest

import harness
from conftest import start_httpd, stop_httpd

SUB = "tXOq9614vLHkXBkEu3Jm0Qa7ZGQO02Fc98IPaHq6iRwK-ytA="
PUBLIC = "https://public.example"
CLIENT = {"client_id": "proxy-client", "client_secret": harness.random_passphrase(),
          "token_endpoint_auth_method": "client_secret_basic",
          "redirect_uris": [PUBLIC + "/itsme/callback"]}
XF = ["X-Forwarded-Proto: https", "X-Forwarded-Host: public.example"]


@pytest.fixture(scope="module")
def op(workdir):
    o = harness.start_test_op(workdir, {
        "profile": "broker", "clients": [CLIENT],
        "redirectUriPattern": r"^(http://127\.0\.0\.1:\d+|https://public\.example(:8443)?)/itsme/callback$",
    }, name="op_proxy")
    yield o
    o.stop()


def server_conf(op, trust):
    return "\n".join([
        f"ItsmeProvider broker {op.discovery}",
        f"ItsmeClientID {CLIENT['client_id']}",
        f"ItsmeClientSecret {CLIENT['client_secret']}",
        "ItsmeRedirectURI /itsme/callback",
        f"ItsmeCryptoPassphrase {harness.random_passphrase()}",
        f"ItsmeTrustForwardedHeaders {trust}",
        "<LocationMatch \"evil\\.example\">\n    AuthType itsme\n    Require valid-user\n</LocationMatch>",
    ]) + "\n"


@pytest.fixture(scope="module")
def trusted(workdir, op, echo_backend):
    h = start_httpd(workdir, "proxy_trusted", server_conf(op, "10.0.0.0/8 127.0.0.1 ::1"), backend=echo_backend)
    yield h
    stop_httpd(h)


@pytest.fixture(scope="module")
def untrusted(workdir, op, echo_backend):
    h = start_httpd(workdir, "proxy_untrusted", server_conf(op, "127.0.0.2/32 192.0.2.0/24"),
                    backend=echo_backend)
    yield h
    stop_httpd(h)


def redirect_uri_of(r):
    assert r.status == 302, r
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(r.location).query)
    return q["redirect_uri"][0]


def state_cookie(r):
    st = [c for c in r.set_cookies() if c.startswith("itsme_session_st_")]
    assert len(st) == 1, r.set_cookies()
    return [a.strip().lower() for a in st[0].split(";")]


# --------------------------------------------------------------------------
# which forwarded values count

@pytest.mark.parametrize("headers,public", [
    (XF, PUBLIC),
    (["X-Forwarded-Proto: https", "X-Forwarded-Host: Public.Example:443"], PUBLIC),
    (["X-Forwarded-Proto: https", "X-Forwarded-Host: public.example", "X-Forwarded-Port: 8443"],
     PUBLIC + ":8443"),
    (["X-Forwarded-Proto: https", "X-Forwarded-Host: evil.example, public.example"], PUBLIC),
    (["X-Forwarded-Proto: http, https", "X-Forwarded-Host: public.example"], PUBLIC),
    (['Forwarded: for=192.0.2.7;proto=https;host="public.example:8443"'], PUBLIC + ":8443"),
    (["Forwarded: proto=http;host=evil.example, for=10.1.2.3;proto=https;host=public.example"], PUBLIC),
    (["Forwarded: proto=https;host=public.example", "X-Forwarded-Host: other.example"], PUBLIC),
    (["Forwarded: host=public.example", "X-Forwarded-Proto: https"], PUBLIC),
], ids=["xf", "xf-default-port", "xf-port", "xf-last-host", "xf-last-proto", "forwarded", "forwarded-last",
        "forwarded-wins", "mixed"])
def test_trusted_proxy_sets_public_origin(trusted, headers, public):
    r = harness.curl(trusted.base + "/app/cgi/env.py", headers=headers)
    assert redirect_uri_of(r) == public + "/itsme/callback", r.location
    assert "secure" in state_cookie(r)


def test_trusted_proxy_proto_only_keeps_host(trusted):
    r = harness.curl(trusted.base + "/app/cgi/env.py", headers=["X-Forwarded-Proto: https"])
    assert redirect_uri_of(r) == f"https://127.0.0.1:{trusted.port}/itsme/callback"
    assert "secure" in state_cookie(r)


@pytest.mark.parametrize("headers", [
    ["X-Forwarded-Proto: ftp", "X-Forwarded-Host: evil.example/path"],
    ["X-Forwarded-Proto: javascript", "X-Forwarded-Host: evil example"],
    ["X-Forwarded-Host: evil.example@other", "X-Forwarded-Port: 99999"],
    ["X-Forwarded-Host: " + "a" * 300],
    ["X-Forwarded-Host: -evil.example"],
    ['Forwarded: proto=https;host="unterminated'],
    ["Forwarded: proto=https;garbage"],
], ids=["path", "space", "userinfo", "long", "hyphen", "quote", "no-equals"])
def test_trusted_proxy_invalid_values_are_ignored_and_logged(trusted, headers):
    start = trusted.log_size()
    r = harness.curl(trusted.base + "/app/cgi/env.py", headers=headers)
    assert redirect_uri_of(r) == trusted.base + "/itsme/callback", r.location
    assert "secure" not in state_cookie(r)
    assert any("ITSME03100: ignored" in ln for ln in trusted.log_since(start)), trusted.log_since(start)


@pytest.mark.parametrize("headers", [XF, ['Forwarded: proto=https;host="public.example"'],
                                     ["X-Forwarded-Proto: https"]], ids=["xf", "forwarded", "proto"])
def test_untrusted_peer_headers_are_ignored(untrusted, headers):
    r = harness.curl(untrusted.base + "/app/cgi/env.py", headers=headers)
    assert redirect_uri_of(r) == untrusted.base + "/itsme/callback", r.location
    assert "secure" not in state_cookie(r)


def test_trust_directive_is_validated(workdir, op):
    for bad in ("10.0.0.0/33", "10.1", "not-an-ip", "0.0.0.0/0", "10.0.0.0/"):
        h = harness.Httpd(workdir, "proxy_bad", server_conf(op, bad))
        t = h.configtest()
        out = t.stdout + t.stderr
        assert t.returncode != 0 and "ItsmeTrustForwardedHeaders" in out, (bad, out)


# --------------------------------------------------------------------------
# a whole login through a TLS-terminating proxy

class ProxiedBrowser:
    """A browser that reaches httpd only through a proxy at PUBLIC (https
    outside, http inside, X-Forwarded-* added). Its cookies are kept here:
    curl would not send Secure cookies over the inner plain-http hop."""

    def __init__(self, httpd, op_jar):
        self.httpd, self.op_jar = httpd, op_jar
        self.cookies, self.attrs = {}, {}

    def get(self, url):
        if not url.startswith(PUBLIC + "/"):
            return harness.curl(url, jar=self.op_jar)
        headers = list(XF)
        if self.cookies:
            headers.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        r = harness.curl(self.httpd.base + url[len(PUBLIC):], headers=headers)
        for sc in r.set_cookies():
            name, _, rest = sc.partition("=")
            value, *attrs = [p.strip() for p in rest.split(";")]
            attrs = [a.lower() for a in attrs]
            if "max-age=0" in attrs:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
                self.attrs[name] = attrs
        return r

    def walk(self, url, hops=15):
        seen = []
        for _ in range(hops):
            r = self.get(url)
            seen.append((url, r))
            if r.status not in (302, 303) or not r.location:
                break
            url = urllib.parse.urljoin(url, r.location)
        return seen


def test_login_through_tls_proxy(trusted, tmp_path):
    b = ProxiedBrowser(trusted, tmp_path / "op-cookies.txt")
    seen = b.walk(PUBLIC + "/app/cgi/env.py?from=proxy")
    urls = [u for u, _ in seen]
    assert any(u.startswith(PUBLIC + "/itsme/callback?") for u in urls), urls
    callback = next(r for u, r in seen if u.startswith(PUBLIC + "/itsme/callback?"))
    assert callback.location == PUBLIC + "/app/cgi/env.py?from=proxy", callback
    final = seen[-1][1]
    assert final.status == 200, final
    env = final.json()["env"]
    assert env["HTTP_X_ITSME_SUB"] == SUB and env["QUERY_STRING"] == "from=proxy"
    session = [n for n in b.cookies if n == "itsme_session" or n.startswith("itsme_session_")]
    assert session and all("secure" in b.attrs[n] for n in session), b.attrs


# --------------------------------------------------------------------------
# in front of a mod_proxy backend

def test_proxied_backend_sees_claims_not_module_cookies(untrusted, jar):
    r = harness.curl(untrusted.base + "/app/cgi/env.py", jar=jar, follow=True)
    assert r.status == 200, r
    r = harness.curl(untrusted.base + "/app/proxied/orders?id=7", jar=jar,
                     headers=["Cookie: app_pref=dark; itsme_session_st_AAAAAAAAAAAAAAAA=x; lang=nl"])
    assert r.status == 200, r
    seen = r.json()
    assert seen["path"] == "/orders?id=7"
    hdrs = {}
    for k, v in seen["headers"]:
        hdrs.setdefault(k.lower(), []).append(v)
    assert hdrs.get("x-itsme-sub") == [SUB], hdrs
    assert hdrs.get("x-itsme-birthdate") == ["1981-04-24"], hdrs
    cookie = "; ".join(hdrs.get("cookie", []))
    assert "itsme_session" not in cookie, cookie
    assert "app_pref=dark" in cookie and "lang=nl" in cookie, cookie


def test_proxied_backend_unauthenticated_never_reached(untrusted):
    r = harness.curl(untrusted.base + "/app/proxied/orders", headers=["X-Itsme-Sub: " + SUB])
    assert r.status == 302 and "/auth?" in r.location, r


# --------------------------------------------------------------------------
# the login's return URL stays on this site

@pytest.mark.parametrize("path", ["//evil.example/app", "/\\evil.example/app"], ids=["double-slash", "backslash"])
def test_login_return_url_never_leaves_the_site(untrusted, jar, path):
    first = harness.curl(untrusted.base + path, jar=jar, extra=["--path-as-is"])
    assert first.status == 302 and "/auth?" in first.location, first
    url, last = first.location, first
    for _ in range(10):
        last = harness.curl(url, jar=jar)
        if url.startswith(untrusted.base + "/itsme/callback"):
            break
        url = urllib.parse.urljoin(url, last.location)
    assert url.startswith(untrusted.base + "/itsme/callback"), url
    assert last.status == 302 and last.location == untrusted.base + "/", last
    assert "evil" not in json.dumps(last.headers), last.headers


def test_example_reverse_proxy_conf_is_valid(workdir, tmp_path):
    """conf/example-reverse-proxy.conf, with its secret files pointed at
    test files, passes httpd's configuration test as it stands."""
    text = (harness.REPO / "conf" / "example-reverse-proxy.conf").read_text()
    for name in ("signicat-secret", "session.key"):
        f = tmp_path / name
        f.write_text(harness.random_passphrase() + "\n")
        text = text.replace(f"/etc/apache2/itsme/{name}", str(f))
    h = harness.Httpd(workdir, "proxy_example", text, locations="")
    t = h.configtest()
    assert t.returncode == 0, t.stdout + t.stderr
