# SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE.
"""pytest fixtures: the test OP, the hostile OP, an echo backend, httpd with
mod_auth_itsme, and the error-log guard that fails a test on unexpected
[error]-or-worse lines or crash markers."""

import base64
import os
import random
import re
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402

REDIRECT_PATTERN = r"^http://127\.0\.0\.1:\d+/itsme/callback$"

BASIC_CLIENT = {
    "client_id": "itsme-test-basic",
    "client_secret": harness.random_passphrase(),
    "token_endpoint_auth_method": "client_secret_basic",
    "redirect_uris": ["http://127.0.0.1:8080/itsme/callback"],
}
POST_CLIENT = {
    "client_id": "itsme-test-post",
    "client_secret": harness.random_passphrase(),
    "token_endpoint_auth_method": "client_secret_post",
    "redirect_uris": ["http://127.0.0.1:8080/itsme/callback"],
}

# httpd instances currently running (the log guard watches all of them)
RUNNING = []
# the test whose body is running (None during setup and teardown)
CURRENT = {"item": None}


# --------------------------------------------------------------------------
# session-wide processes

@pytest.fixture(scope="session")
def workdir():
    d = harness.make_workdir()
    yield d
    logdir = os.environ.get("ITSME_IT_LOGDIR")
    if logdir:
        dest = Path(logdir)
        dest.mkdir(parents=True, exist_ok=True)
        for f in d.rglob("*"):
            if f.is_file() and f.suffix in (".log", ".conf", ".json"):
                target = dest / f.relative_to(d)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(f, target)
    if not os.environ.get("ITSME_KEEP"):
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="session")
def test_op(workdir):
    op = harness.start_test_op(workdir, {
        "profile": "broker",
        "clients": [BASIC_CLIENT, POST_CLIENT],
        "redirectUriPattern": REDIRECT_PATTERN,
    }, name="op")
    yield op
    op.stop()




def png_data_uri(size, seed):
    """A data: URI of `size` bytes of PNG signature + random (incompressible, like a photo)."""
    raw = b"\x89PNG\r\n\x1a\n" + random.Random(seed).randbytes(size - 8)
    return "data:image/png;base64," + base64.b64encode(raw).decode()


# The test OP's account 'maxence' (op.js DEFAULT_ACCOUNTS) with a 12 KB
# picture, released with the broker's `picture` scope (ItsmeClaims ...
# picture): too large for any cookie. SMALL_PICTURE (about 1.5 KB) fits the
# session cookie, but not together with an ID token that carries it too.
PICTURE = png_data_uri(9000, 12)
SMALL_PICTURE = png_data_uri(1150, 2)
MAXENCE_WITH_PICTURE = {
    "sub": "tXOq9614vLHkXBkEu3Jm0Qa7ZGQO02Fc98IPaHq6iRwK-ytA=",
    "name": "Maxence Legrand", "given_name": "Maxence", "family_name": "Legrand",
    "gender": "female", "birthdate": "1981-04-24", "locale": "fr",
    "email": "test@itsme.be", "email_verified": False,
    "phone_number": "+32 453519681", "phone_number_verified": True,
    "address": {"formatted": "Rue Royale 82 1000 Bruxelles", "street_address": "Rue Royale 82",
                "postal_code": "1000", "locality": "Bruxelles", "country": "BE"},
    "nationality": "Belg", "place_of_birth": "Bruxelles", "country_of_birth": "BE",
    "nin": "81042419835", "nin_type": "PERSON", "nin_issuing_country": "BE",
    "itsme_eid": "591-2345678-29", "itsme_issuance_locality": "Bruxelles",
    "itsme_validity_from": "2021-03-15T00:00:00.000Z", "itsme_validity_to": "2031-03-15T00:00:00.000Z",
    "itsme_read_date": "2024-04-04T13:38:47.000Z", "itsme_national_number": "810424 198 35",
    "idp": "itsme", "idp_id": "rpx5rrbsn4ktvh0b7q4uh2iepsdat34i9vf",
    "idp_issuer": "https://idp.e2e.itsme.services/v2", "sandbox": True,
    "picture": PICTURE,
}
# callbacks and post-logout targets of any test httpd
CALLBACK_OR_OPEN_PATTERN = r"^http://127\.0\.0\.1:\d+/(itsme/callback|open/.*)$"


@pytest.fixture(scope="session")
def picture_op(workdir):
    """A broker OP: BASIC_CLIENT logs in maxence with a 12 KB picture,
    POST_CLIENT maxence with SMALL_PICTURE; /open/ accepted as post-logout
    target."""
    op = harness.start_test_op(workdir, {
        "profile": "broker",
        "clients": [BASIC_CLIENT, POST_CLIENT],
        "redirectUriPattern": CALLBACK_OR_OPEN_PATTERN,
        "accounts": {"maxence": MAXENCE_WITH_PICTURE,
                     "maxence_small": dict(MAXENCE_WITH_PICTURE, picture=SMALL_PICTURE)},
        "clientAccounts": {POST_CLIENT["client_id"]: "maxence_small"},
    }, name="op_picture")
    yield op
    op.stop()


@pytest.fixture(scope="session")
def hostile_op(workdir):
    op = harness.start_hostile_op(workdir)
    yield op
    op.stop()


@pytest.fixture(scope="session")
def echo_backend():
    b = harness.EchoBackend().start()
    yield b
    b.stop()


# --------------------------------------------------------------------------
# httpd

def itsme_server_conf(discovery, client_id, client_secret, extra=""):
    lines = [f"ItsmeProvider broker {discovery}"]
    if client_id is not None:
        lines.append(f"ItsmeClientID {client_id}")
    if client_secret is not None:
        lines.append(f"ItsmeClientSecret {client_secret}")
    lines += [
        "ItsmeRedirectURI /itsme/callback",
        f"ItsmeCryptoPassphrase {harness.random_passphrase()}",
        "ItsmeHTTPTimeout 5",
    ]
    return "\n".join(lines) + "\n" + extra


def start_httpd(workdir, name, server_conf, locations=None, backend=None):
    h = harness.Httpd(workdir, name, server_conf, locations=locations,
                      backend_port=backend.port if backend else None)
    try:
        h.start()
    except RuntimeError as e:
        pytest.fail(str(e), pytrace=False)
    RUNNING.append(h)
    return h


def stop_httpd(h):
    """Stop h, then check what its error log gained since the guard last
    looked: crash markers anywhere in it, and error-or-worse lines, which the
    running test's expect_log patterns may tolerate (stopped in a test body;
    in a fixture's teardown nothing is tolerated)."""
    h.stop()
    if h in RUNNING:
        RUNNING.remove(h)
    # late crash reports (a child reaped at shutdown) are caught here
    crashes = [ln for ln in h.log_since(0) if harness.CRASH_RE.search(ln)]
    assert not crashes, f"{h.name}: httpd children crashed:\n" + "\n".join(crashes)
    lines, h.guard_offset = h.read_log(h.guard_offset)
    bad = harness.bad_log_lines(lines, _allowed(CURRENT["item"]))
    assert not bad, f"{h.name}: unexpected error-log lines:\n" + "\n".join(bad)


@pytest.fixture
def jar(tmp_path):
    return tmp_path / "cookies.txt"


# --------------------------------------------------------------------------
# error-log guard

@pytest.fixture
def expect_log(request):
    """expect_log(pattern): a line matching pattern MUST appear in the error log
    during this test, and error-level lines matching it are tolerated.
    expect_log(pattern, required=False): only tolerate."""
    wanted = []
    request.node._itsme_expect = wanted

    def add(pattern, required=True):
        wanted.append((pattern, required))
    return add


def pytest_sessionfinish(session):
    """No httpd outlives the run, even one a failed test never stopped."""
    for h in harness.STARTED:
        h.stop()


def _allowed(item):
    return [p for p, _ in getattr(item, "_itsme_expect", [])] if item is not None else []


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    """After the test body: every httpd that was running when it began, and
    every httpd started during it (by start_httpd, harness.Httpd.start or a
    helper; from the first line of its log), must have logged no
    error-or-worse line and no crash marker that the test did not declare
    with expect_log; required expect_log patterns must have appeared."""
    offsets = {id(h): h.log_size() for h in RUNNING}
    watched = list(RUNNING)
    first_new = len(harness.STARTED)
    CURRENT["item"] = item
    try:
        outcome = yield
    finally:
        CURRENT["item"] = None
    new = [h for h in harness.STARTED[first_new:] if h not in watched]
    failed = outcome.excinfo is not None
    expected = getattr(item, "_itsme_expect", [])
    allowed = [p for p, _ in expected]
    problems = []
    seen = []
    for h in watched + new:
        seen += h.log_since(offsets.get(id(h), 0) if h in watched else 0)
        # lines no check has looked at yet (a fixture's startup lines too);
        # the mark moves on even when the test failed, so that a later stop
        # does not report them a second time
        unchecked, h.guard_offset = h.read_log(h.guard_offset)
        for ln in harness.bad_log_lines(unchecked, allowed):
            problems.append(f"{h.name}: unexpected: {ln}")
        if h in RUNNING and h.proc is not None and h.proc.poll() is not None:
            problems.append(f"{h.name}: httpd exited (rc={h.proc.returncode})")
    if failed:
        return
    for pattern, required in expected:
        if required and not any(re.search(pattern, ln) for ln in seen):
            problems.append(f"expected error-log line matching {pattern!r} is missing")
    if problems:
        tail = "\n".join(seen[-25:])
        err = AssertionError("error log check failed:\n  " + "\n  ".join(problems)
                             + f"\n--- log lines during the test ---\n{tail}")
        if hasattr(outcome, "force_exception"):   # pluggy >= 1.1
            outcome.force_exception(err)
        else:                                     # pluggy 1.0 (Debian 12): propagates
            raise err
