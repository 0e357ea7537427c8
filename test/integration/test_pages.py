# SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE.
"""The module's pages in the person's language (nl, fr, de, en from
Accept-Language, ItsmeDefaultLanguage otherwise), their links back, the
ui_locales the OP is asked for, and ErrorDocument taking their place
(REDIRECT_ITSME_ERROR / REDIRECT_ITSME_LANG for the site's page)."""

import html
import re
import urllib.parse

import pytest

import harness
from conftest import BASIC_CLIENT, itsme_server_conf, start_httpd, stop_httpd

ITSME_LINE = r"ITSME\d+"
BOGUS_STATE = "bogus-" + "x" * 37

# language -> (Accept-Language, title of the expired-login page)
EXPIRED = {
    "nl": ("nl-BE,nl;q=0.9,en;q=0.5", "Aanmelding verlopen"),
    "fr": ("fr-BE,fr;q=0.9", "Connexion expirée"),
    "de": ("de-DE", "Anmeldung abgelaufen"),
    "en": ("en-GB,en;q=0.9", "Login expired"),
}


def locations(index_file):
    return "\n".join([
        harness.default_locations(),
        f'AliasMatch "^/r/[^/]+/?$" "{index_file}"',
        f'AliasMatch "^/api/?$" "{index_file}"',
        "<Location /api>\n    AuthType itsme\n    ItsmeUnauthAction 401\n    Require valid-user\n</Location>",
        "<Location /r/senior>\n    AuthType itsme\n    Require itsme-claim age>=65\n</Location>",
        "<Location /r/nobody>\n    AuthType itsme\n    Require user nobody\n</Location>",
        "<Location /r/cgi-denied>\n    AuthType itsme\n    Require itsme-claim age>=65\n"
        "    ErrorDocument 403 /open/cgi/env.py\n</Location>",
    ])


@pytest.fixture(scope="module")
def httpd(workdir, test_op):
    conf = itsme_server_conf(test_op.discovery, BASIC_CLIENT["client_id"], BASIC_CLIENT["client_secret"],
                             "ItsmeLogoutURI /logout\nItsmePostLogoutRedirect /open/\n")
    h = start_httpd(workdir, "pages", conf, locations=locations(workdir / "pages/htdocs/app/index.html"))
    yield h
    stop_httpd(h)


@pytest.fixture(scope="module")
def httpd_ed(workdir, test_op):
    """The same site with ErrorDocuments: 400 a CGI echoing its environment,
    403 a static file; German by default; fixed ui_locales."""
    conf = itsme_server_conf(test_op.discovery, BASIC_CLIENT["client_id"], BASIC_CLIENT["client_secret"],
                             "ItsmeDefaultLanguage de\nItsmeUILocales nl-BE fr-BE\n"
                             "ErrorDocument 400 /open/cgi/env.py\nErrorDocument 403 /open/403.html\n"
                             "ErrorDocument 401 /open/cgi/env.py\n")
    h = start_httpd(workdir, "pages_ed", conf, locations=locations(workdir / "pages_ed/htdocs/app/index.html"))
    (h.dir / "htdocs/open/403.html").write_text("<html><body>site's own 403 page</body></html>\n")
    yield h
    stop_httpd(h)


def session(h, jar):
    r = harness.curl(h.base + "/app/cgi/env.py", jar=jar, follow=True)
    assert r.status == 200 and r.json()["env"].get("REMOTE_USER"), r
    return jar


def to_callback(h, jar, path="/app/cgi/env.py", headers=()):
    hops = harness.walk(h.base + path, jar, headers=headers,
                        stop=lambda r: (r.location or "").startswith(h.base + "/itsme/callback"))
    assert (hops[-1].location or "").startswith(h.base + "/itsme/callback"), hops
    return hops


def link(r):
    m = re.search(r'<a class="go" href="([^"]*)">([^<]*)</a>', r.body)
    assert m, r.body
    return html.unescape(m.group(1)), html.unescape(m.group(2))


def assert_page(r, lang, title):
    assert f'<html lang="{lang}">' in r.body, r.body[:300]
    assert f"<h1>{html.escape(title, quote=True)}</h1>" in r.body, r.body
    assert r.header("Content-Type") == "text/html; charset=utf-8", r.headers
    assert r.header("Content-Language") == lang, r.headers
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in r.body
    assert r.header("Cache-Control") == "no-store", r.headers
    # nothing from elsewhere: no src=, no stylesheet link, a CSP that forbids it
    assert "src=" not in r.body and "<link" not in r.body and "url(" not in r.body, r.body
    assert "default-src 'none'" in (r.header("Content-Security-Policy") or ""), r.headers


@pytest.mark.parametrize("lang", sorted(EXPIRED))
def test_bogus_state_page_in_each_language(httpd, jar, expect_log, lang):
    expect_log(ITSME_LINE, required=False)
    accept, title = EXPIRED[lang]
    r = harness.curl(httpd.base + f"/itsme/callback?code=abc&state={BOGUS_STATE}", jar=jar,
                     headers=[f"Accept-Language: {accept}"])
    assert r.status == 400, r
    assert_page(r, lang, title)
    assert link(r)[0] == "/", r.body


@pytest.mark.parametrize("accept,lang", [
    (None, "en"), ("ja, zh-CN;q=0.8", "en"), ("en;q=0.2, de;q=0.8", "de"),
    ("nl;q=0, fr;q=0.1", "fr"), ("NL-be", "nl"), ("*", "en"),
])
def test_accept_language_negotiation(httpd, jar, expect_log, accept, lang):
    expect_log(ITSME_LINE, required=False)
    r = harness.curl(httpd.base + f"/itsme/callback?code=abc&state={BOGUS_STATE}", jar=jar,
                     headers=[f"Accept-Language: {accept}"] if accept else [])
    assert r.status == 400 and f'<html lang="{lang}">' in r.body, r


def test_login_asks_the_op_for_the_same_language(httpd, jar):
    hops = to_callback(httpd, jar, headers=["Accept-Language: fr-BE,fr;q=0.9,nl;q=0.8"])
    to_op = urllib.parse.urlsplit(hops[0].location)
    q = dict(urllib.parse.parse_qsl(to_op.query))
    assert q.get("ui_locales") == "fr", q
    hops = to_callback(httpd, jar, headers=["Accept-Language: ja"])
    q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(hops[0].location).query))
    assert q.get("ui_locales") == "en", q


def test_cancelled_page_links_back_to_the_page_asked_for(httpd, jar, expect_log):
    expect_log(ITSME_LINE, required=False)
    hops = to_callback(httpd, jar, path="/app/cgi/env.py?x=1", headers=["Accept-Language: nl"])
    state = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(hops[-1].location).query))["state"]
    r = harness.curl(httpd.base + "/itsme/callback?" + urllib.parse.urlencode(
        {"error": "access_denied", "state": state}), jar=jar, headers=["Accept-Language: nl-BE"])
    assert r.status == 403, r
    assert_page(r, "nl", "Aanmelden geannuleerd")
    assert link(r) == ("/app/cgi/env.py?x=1", "Opnieuw proberen"), r.body


def test_op_error_code_is_shown_escaped(httpd, jar, expect_log):
    expect_log(ITSME_LINE, required=False)
    hops = to_callback(httpd, jar)
    state = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(hops[-1].location).query))["state"]
    r = harness.curl(httpd.base + "/itsme/callback?" + urllib.parse.urlencode(
        {"error": "temporarily_unavailable<b>", "state": state}), jar=jar, headers=["Accept-Language: de"])
    assert r.status == 502, r
    assert_page(r, "de", "Anmeldung fehlgeschlagen")
    assert "Fehlercode: <code>temporarily_unavailable&lt;b&gt;</code>" in r.body, r.body
    assert link(r)[0] == "/app/cgi/env.py", r.body


def test_denied_pages_are_localized_with_charset(httpd, tmp_path, expect_log):
    expect_log(r"AH01631")
    jar = session(httpd, tmp_path / "jar")
    r = harness.curl(httpd.base + "/r/senior", jar=jar, headers=["Accept-Language: fr-BE"])
    assert r.status == 403, r
    assert_page(r, "fr", "Accès refusé")
    assert "conditions" in r.body, r.body     # claim_denied: the rule's conditions
    r = harness.curl(httpd.base + "/r/nobody", jar=jar, headers=["Accept-Language: de"])
    assert r.status == 403, r
    assert_page(r, "de", "Zugriff verweigert")
    assert "Bedingungen" not in r.body, r.body  # access_denied, not claim_denied


def test_api_401_page_is_localized(httpd):
    r = harness.curl(httpd.base + "/api", headers=["Accept-Language: de-BE, fr;q=0.5"])
    assert r.status == 401 and (r.header("WWW-Authenticate") or "").startswith("itsme "), r
    assert_page(r, "de", "Anmeldung erforderlich")


def test_error_document_401(httpd_ed):
    r = harness.curl(httpd_ed.base + "/api", headers=["Accept-Language: fr-BE"])
    assert r.status == 401 and (r.header("WWW-Authenticate") or "").startswith("itsme "), r
    env = r.json()["env"]
    assert env.get("REDIRECT_ITSME_ERROR") == "login_required", env
    assert env.get("REDIRECT_ITSME_LANG") == "fr", env


def test_signed_out_page_links_to_the_post_logout_target(httpd, jar, expect_log):
    expect_log(ITSME_LINE, required=False)
    r = harness.curl(httpd.base + "/logout?return=https%3A%2F%2Fevil.example%2F", jar=jar,
                     headers=["Accept-Language: nl"])
    assert r.status == 400, r
    assert_page(r, "nl", "Afgemeld")
    assert link(r) == ("/open/", "Verder"), r.body
    assert "evil.example" not in r.body


def test_error_document_400_gets_the_error_and_language(httpd_ed, jar, expect_log):
    expect_log(ITSME_LINE, required=False)
    r = harness.curl(httpd_ed.base + f"/itsme/callback?code=abc&state={BOGUS_STATE}", jar=jar)
    assert r.status == 400, r
    env = r.json()["env"]
    assert env.get("REDIRECT_ITSME_ERROR") == "state_expired", env
    assert env.get("REDIRECT_ITSME_LANG") == "de", env       # ItsmeDefaultLanguage
    r = harness.curl(httpd_ed.base + f"/itsme/callback?code=abc&state={BOGUS_STATE}", jar=jar,
                     headers=["Accept-Language: nl-BE"])
    assert r.status == 400 and r.json()["env"].get("REDIRECT_ITSME_LANG") == "nl", r


def test_error_document_403_replaces_the_denial_page(httpd_ed, tmp_path, expect_log):
    expect_log(r"AH01631")
    jar = session(httpd_ed, tmp_path / "jar")
    r = harness.curl(httpd_ed.base + "/r/senior", jar=jar)
    assert r.status == 403, r
    assert "site's own 403 page" in r.body and "Zugriff" not in r.body, r
    r = harness.curl(httpd_ed.base + "/r/cgi-denied", jar=jar, headers=["Accept-Language: fr"])
    assert r.status == 403, r
    env = r.json()["env"]
    assert env.get("REDIRECT_ITSME_ERROR") == "claim_denied", env
    assert env.get("REDIRECT_ITSME_LANG") == "fr" and env.get("REDIRECT_STATUS") == "403", env


def test_fixed_ui_locales(httpd_ed, jar):
    hops = to_callback(httpd_ed, jar, headers=["Accept-Language: de"])
    q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(hops[0].location).query))
    assert q.get("ui_locales") == "nl-BE fr-BE", q
