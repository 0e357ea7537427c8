"""pytest fixtures: the test OP, the hostile OP, an echo backend, httpd with
mod_auth_itsme, and the error-log guard that fails a test on unexpected
[error]-or-worse lines or crash markers."""

import os
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
    h.stop()
    if h in RUNNING:
        RUNNING.remove(h)
    # late crash reports (a child reaped at shutdown) are caught here
    crashes = [ln for ln in h.log_since(0) if harness.CRASH_RE.search(ln)]
    assert not crashes, f"{h.name}: httpd children crashed:\n" + "\n".join(crashes)


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


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    offsets = {id(h): h.log_size() for h in RUNNING}
    watched = list(RUNNING)
    outcome = yield
    if outcome.excinfo is not None:
        return
    expected = getattr(item, "_itsme_expect", [])
    allowed = [p for p, _ in expected]
    problems = []
    seen = []
    for h in watched:
        lines = h.log_since(offsets.get(id(h), 0))
        seen += lines
        for ln in harness.bad_log_lines(lines, allowed):
            problems.append(f"{h.name}: unexpected: {ln}")
        if h.proc is not None and h.proc.poll() is not None:
            problems.append(f"{h.name}: httpd exited (rc={h.proc.returncode})")
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
