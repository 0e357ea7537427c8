# SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE.
"""A real browser: Debian's Chromium (headless, no sandbox), driven by npm
playwright-core (test/integration/browser/drive.mjs), on a phone-sized
screen. A full login against the local OP, the claims page, logout through
the OP back to the post-logout page, and one error page per language
(the browser's locale sets Accept-Language), asserting on what the page
shows. Screenshots go to ITSME_IT_LOGDIR/browser-shots (build/test-logs/
integration/browser-shots under scripts/test.sh), else to the work dir.

Skipped, saying why, only where Chromium or playwright-core is missing or
Chromium cannot start; scripts/test.sh installs both."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

import harness
from conftest import CALLBACK_OR_OPEN_PATTERN, itsme_server_conf, start_httpd, stop_httpd

HERE = Path(__file__).resolve().parent
BROWSER_DIR = HERE / "browser"
CHROMIUM = os.environ.get("ITSME_CHROMIUM", "/usr/bin/chromium")
SUB_NIN = "81042419835"
CLIENT = {
    "client_id": "itsme-browser",
    "client_secret": harness.random_passphrase(),
    "token_endpoint_auth_method": "client_secret_basic",
    "redirect_uris": ["http://127.0.0.1:8080/itsme/callback"],
}
BOGUS = "/itsme/callback?code=abc&state=bogus-" + "x" * 37

# locale -> (html lang, heading of the expired-login page, text of its link)
EXPIRED = {
    "nl-BE": ("nl", "Aanmelding verlopen", "Naar de startpagina"),
    "fr-BE": ("fr", "Connexion expirée", "Aller à la page d'accueil"),
    "de-BE": ("de", "Anmeldung abgelaufen", "Zur Startseite"),
    "en-GB": ("en", "Login expired", "Go to the start page"),
}


def _node(*args, timeout):
    return subprocess.run([harness.node_binary(), str(BROWSER_DIR / "drive.mjs"), *args],
                          capture_output=True, text=True, timeout=timeout, cwd=BROWSER_DIR,
                          stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def chromium():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} not found: apt-get install chromium (scripts/test.sh does)")
    if not (BROWSER_DIR / "node_modules" / "playwright-core").exists():
        pytest.skip(f"playwright-core missing: run 'npm ci' in {BROWSER_DIR} (scripts/test.sh does)")
    try:
        p = _node("probe", CHROMIUM, timeout=90)
    except (subprocess.TimeoutExpired, RuntimeError) as e:
        pytest.skip(f"Chromium cannot run here: {e}")
    if p.returncode != 0:
        pytest.skip("Chromium cannot run here: " + (p.stderr.strip().splitlines() or ["?"])[-1])
    return CHROMIUM


@pytest.fixture(scope="module")
def op(workdir):
    o = harness.start_test_op(workdir, {
        "profile": "broker", "clients": [CLIENT], "redirectUriPattern": CALLBACK_OR_OPEN_PATTERN,
    }, name="op_browser")
    yield o
    o.stop()


@pytest.fixture(scope="module")
def httpd(workdir, op):
    conf = itsme_server_conf(op.discovery, CLIENT["client_id"], CLIENT["client_secret"],
                             "ItsmeLogoutURI /logout\nItsmePostLogoutRedirect /open/\n")
    index = workdir / "browser" / "htdocs" / "app" / "index.html"
    locs = harness.default_locations(
        f'AliasMatch "^/r/senior/?$" "{index}"\n'
        "<Location /r/senior>\n    AuthType itsme\n    Require itsme-claim age>=65\n</Location>")
    h = start_httpd(workdir, "browser", conf, locations=locs)
    claims = h.dir / "cgi-bin" / "claims.py"
    shutil.copyfile(HERE / "backends" / "claims_page.py", claims)
    claims.chmod(0o755)
    yield h
    stop_httpd(h)


@pytest.fixture(scope="module")
def shots(workdir):
    base = os.environ.get("ITSME_IT_LOGDIR")
    d = Path(base) / "browser-shots" if base else workdir / "browser-shots"
    d.mkdir(parents=True, exist_ok=True)
    return d


def drive(chromium, httpd, shots, scenarios):
    plan = {"base": httpd.base, "shots": str(shots), "scenarios": scenarios}
    f = shots / "plan.json"
    f.write_text(json.dumps(plan))
    p = _node("run", chromium, str(f), timeout=300)
    assert p.returncode == 0, f"drive.mjs failed (rc={p.returncode}):\n{p.stderr[-3000:]}"
    out = json.loads(p.stdout)
    (shots / f"{scenarios[0]['name']}.json").write_text(json.dumps(out, indent=1, ensure_ascii=False))
    return out


def test_login_claims_page_and_logout(chromium, httpd, shots, expect_log):
    expect_log(r"AH01631", required=False)      # the denial below
    steps = drive(chromium, httpd, shots, [{
        "name": "login", "locale": "fr-BE",
        "steps": [{"goto": "/app/cgi/claims.py"}, {"goto": "/r/senior"},
                  {"goto": "/app/cgi/claims.py"}, {"click": "Log out"}],
    }])
    claims, denied, again, out = steps
    # the login went through the OP and back to the page asked for
    assert claims["status"] == 200 and claims["url"] == httpd.base + "/app/cgi/claims.py", claims
    assert claims["h1"] == "Logged in with itsme", claims
    assert SUB_NIN in claims["text"] and "Legrand" in claims["text"], claims["text"]
    assert "itsme_session" in claims["cookies"], claims
    # signed in, a rule this person does not meet: the French denial page
    assert denied["status"] == 403 and denied["lang"] == "fr", denied
    assert denied["h1"] == "Accès refusé" and "conditions" in denied["text"], denied
    assert again["status"] == 200 and again["h1"] == "Logged in with itsme", again
    # logout: the OP's end_session_endpoint, then the post-logout page
    assert out["url"] == httpd.base + "/open/", out
    assert "open index" in out["text"], out
    assert "itsme_session" not in out["cookies"], out


def test_error_page_in_each_language(chromium, httpd, shots, expect_log):
    expect_log(r"ITSME\d+", required=False)
    steps = drive(chromium, httpd, shots, [
        {"name": f"expired-{loc}", "locale": loc, "steps": [{"goto": BOGUS}, {"click": EXPIRED[loc][2]}]}
        for loc in sorted(EXPIRED)])
    for loc in sorted(EXPIRED):
        lang, title, link = EXPIRED[loc]
        page, after = [s for s in steps if s["scenario"] == f"expired-{loc}"]
        assert page["status"] == 400 and page["lang"] == lang, page
        assert page["h1"] == title, page
        assert link in page["text"], page
        assert os.path.getsize(page["screenshot"]) > 1000, page
        # its link leads on (to the start page, which the test site leaves to
        # httpd: the browser got there, whatever the site serves)
        assert after["url"] == httpd.base + "/", after
