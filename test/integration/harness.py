# SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE.
"""Process and HTTP helpers for the mod_auth_itsme integration tests.

Everything here is plain Python (no pytest) so that it can be used by hand:
start the OPs, write an httpd config, run curl with a cookie jar.
"""

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
OP_DIR = HERE / "op"
BACKENDS = HERE / "backends"

CRASH_RE = re.compile(r"exit signal|Segmentation fault|AH00052|AddressSanitizer|runtime error:")
SEVERE_RE = re.compile(r"^\[[^\]]*\] \[[^\]]*:(error|crit|alert|emerg)\]")

HTTPD_MODULES = [
    ("mpm_event_module", "mod_mpm_event.so"),
    ("authn_core_module", "mod_authn_core.so"),
    ("authz_core_module", "mod_authz_core.so"),
    ("authz_user_module", "mod_authz_user.so"),
    ("mime_module", "mod_mime.so"),
    ("log_config_module", "mod_log_config.so"),
    ("unixd_module", "mod_unixd.so"),
    ("headers_module", "mod_headers.so"),
    ("alias_module", "mod_alias.so"),
    ("cgid_module", "mod_cgid.so"),
    ("env_module", "mod_env.so"),
    ("proxy_module", "mod_proxy.so"),
    ("proxy_http_module", "mod_proxy_http.so"),
    ("dir_module", "mod_dir.so"),
    # httpd's shared object caches, for ItsmeSessionStore socache:<provider>
    # (Debian's apache2-bin ships them; loaded only where the .so exists)
    ("socache_shmcb_module", "mod_socache_shmcb.so"),
    ("socache_redis_module", "mod_socache_redis.so"),
    ("socache_memcache_module", "mod_socache_memcache.so"),
]
# modules above that are loaded only when present in httpd's modules directory
OPTIONAL_MODULES = {"socache_shmcb_module", "socache_redis_module", "socache_memcache_module"}


def module_path():
    return Path(os.environ.get("ITSME_MODULE") or REPO / "build" / ".libs" / "mod_auth_itsme.so").resolve()


def httpd_binary():
    for cand in (os.environ.get("ITSME_HTTPD"), "/usr/sbin/apache2", "/usr/sbin/httpd", shutil.which("apache2"),
                 shutil.which("httpd")):
        if cand and os.access(cand, os.X_OK):
            return cand
    raise RuntimeError("no apache2/httpd binary found (apt-get install apache2)")


def httpd_modules_dir():
    for cand in (os.environ.get("ITSME_HTTPD_MODULES"), "/usr/lib/apache2/modules", "/usr/lib64/httpd/modules"):
        if cand and Path(cand, "mod_mpm_event.so").exists():
            return cand
    raise RuntimeError("httpd modules directory not found")


_BUILTIN = None


def builtin_modules():
    """Modules compiled into httpd (httpd -l), which LoadModule must skip."""
    global _BUILTIN
    if _BUILTIN is None:
        out = subprocess.run([httpd_binary(), "-l"], capture_output=True, text=True, timeout=10).stdout
        _BUILTIN = {ln.strip()[:-2] for ln in out.splitlines() if ln.strip().endswith(".c")}
    return _BUILTIN


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=15.0, proc=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def wait_started(port, pidfile, proc, timeout=15.0):
    """True once the httpd we started (proc) is really serving port: it wrote
    its own pid to pidfile (the parent does that after it bound its
    listeners), it answers on the port, and it is still alive. A port that
    merely accepts connections is not enough: free_port() releases the port
    before httpd binds it, so another process (a parallel test run) may hold
    it, and then httpd exits with "could not bind" while the port connects."""
    deadline = time.monotonic() + timeout
    want = str(proc.pid)
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            mine = Path(pidfile).read_text().strip() == want
        except OSError:
            mine = False
        if mine and wait_port(port, 0.5, proc):
            return proc.poll() is None
        time.sleep(0.05)
    return False


# Every Httpd that started, in order; the log guard in conftest.py checks the
# error log of each one started during a test, whoever started it.
STARTED = []


def make_workdir(prefix="itsme-it-"):
    """A world-traversable temp dir: httpd children run as www-data."""
    base = os.environ.get("ITSME_IT_TMPDIR") or None
    d = Path(tempfile.mkdtemp(prefix=prefix, dir=base))
    d.chmod(0o755)
    return d


def run_user():
    """User/Group for httpd children when we are root (root is refused)."""
    if os.geteuid() != 0:
        return None
    import grp
    import pwd
    for user, group in (("www-data", "www-data"), ("daemon", "daemon"), ("nobody", "nogroup")):
        try:
            pwd.getpwnam(user)
            grp.getgrnam(group)
            return user, group
        except KeyError:
            continue
    return None


# --------------------------------------------------------------------------
# Node processes (test OP, hostile OP)

def node_binary():
    node = os.environ.get("ITSME_NODE") or shutil.which("node") or shutil.which("nodejs")
    if not node:
        raise RuntimeError("node not found (apt-get install nodejs npm)")
    return node


class NodeServer:
    """A node script that prints '<TAG> READY {json}' once it listens."""

    def __init__(self, script, args, tag, logfile, env=None):
        self.script, self.args, self.tag, self.logfile = script, list(args), tag, Path(logfile)
        self.env = env
        self.proc = None
        self.info = None

    def start(self, timeout=30.0):
        if not (OP_DIR / "node_modules" / "oidc-provider").exists():
            raise RuntimeError(f"{OP_DIR}/node_modules missing: run 'npm ci' in {OP_DIR}")
        log_from = self.logfile.stat().st_size if self.logfile.exists() else 0
        self.addr_in_use = False
        self._log = open(self.logfile, "ab")
        env = dict(os.environ, **(self.env or {}))
        self.proc = subprocess.Popen([node_binary(), str(self.script), *self.args], stdout=subprocess.PIPE,
                                     stderr=self._log, stdin=subprocess.DEVNULL, env=env, cwd=str(self.script.parent))
        ready = {}

        def reader():
            for raw in self.proc.stdout:
                line = raw.decode("utf-8", "replace")
                self._log.write(raw)
                self._log.flush()
                if line.startswith(f"{self.tag} READY ") and "info" not in ready:
                    ready["info"] = json.loads(line.split(" ", 2)[2])
                    ready["ev"].set()
            ready["ev"].set()   # stdout closed: the process is gone, stop waiting

        ready["ev"] = threading.Event()
        threading.Thread(target=reader, daemon=True).start()
        if not ready["ev"].wait(timeout) or "info" not in ready:
            self.stop()
            self.addr_in_use = b"EADDRINUSE" in read_from(self.logfile, log_from)
            raise RuntimeError(f"{self.script.name} did not start; log:\n{tail(self.logfile)}")
        self.info = ready["info"]
        return self

    @property
    def port(self):
        return self.info["port"]

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    @property
    def discovery(self):
        return f"{self.base}/.well-known/openid-configuration"

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if getattr(self, "_log", None):
            self._log.close()


def _start_node(make, attempts=3):
    """make(port) -> NodeServer; a port taken between free_port() and the
    node's listen() (a parallel run) means another port."""
    for attempt in range(attempts):
        srv = make(free_port())
        try:
            return srv.start()
        except RuntimeError:
            if not srv.addr_in_use or attempt + 1 == attempts:
                raise


def start_test_op(workdir, config=None, name="op"):
    """Start test/integration/op/op.js with a JSON config; returns NodeServer."""
    workdir = Path(workdir)
    cfgfile = workdir / f"{name}.json"
    cfgfile.write_text(json.dumps(config or {}, indent=2))
    return _start_node(lambda port: NodeServer(OP_DIR / "op.js", ["--port", str(port), "--config", str(cfgfile)],
                                               "OP", workdir / f"{name}.log"))


def start_hostile_op(workdir, name="hostile"):
    return _start_node(lambda port: NodeServer(HERE / "hostile_op.js", ["--port", str(port)], "HOSTILE",
                                               Path(workdir) / f"{name}.log"))


def http_json(method, url, body=None, timeout=10):
    import urllib.request
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return json.loads(resp.read() or b"null")


# --------------------------------------------------------------------------
# Echo backend for ProxyPass

class _EchoHandler(BaseHTTPRequestHandler):
    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        body = json.dumps({"method": self.command, "path": self.path,
                           "headers": [[k, v] for k, v in self.headers.items()]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = _answer

    def log_message(self, fmt, *args):
        pass


class EchoBackend:
    def __init__(self):
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _EchoHandler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


# --------------------------------------------------------------------------
# httpd

def default_locations(extra=""):
    return f"""
<Location /app>
    AuthType itsme
    ItsmeClaims sub given_name family_name birthdate nin
    ItsmePassClaimsAs both
    Require valid-user
</Location>
{extra}
"""


class Httpd:
    """httpd with mod_auth_itsme, in the foreground, in its own run dir."""

    def __init__(self, workdir, name, server_directives, locations=None, backend_port=None, port=None):
        self.dir = Path(workdir) / name
        self.dir.mkdir(parents=True, exist_ok=True)
        self.dir.chmod(0o755)
        self.name = name
        self._auto_port = port is None
        self.port = port or free_port()
        self.server_directives = server_directives
        self.locations = default_locations() if locations is None else locations
        self.backend_port = backend_port
        self.proc = None
        self.errlog = self.dir / "error.log"
        self.conf = self.dir / "httpd.conf"
        self.stderr = self.dir / "stderr.log"
        self.pidfile = self.dir / "run" / "httpd.pid"
        self.guard_offset = 0   # error-log bytes the log guard has checked
        self.skip_modules = set()   # HTTPD_MODULES names not to load (e.g. "socache_redis_module")

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    def write_conf(self):
        d = self.dir
        for sub in ("htdocs/app", "htdocs/open", "cgi-bin", "run"):
            (d / sub).mkdir(parents=True, exist_ok=True)
            (d / sub).chmod(0o755)
        (d / "htdocs/app/index.html").write_text("<html><body>app index</body></html>\n")
        (d / "htdocs/open/index.html").write_text("<html><body>open index</body></html>\n")
        cgi = d / "cgi-bin/env.py"
        shutil.copyfile(BACKENDS / "env_cgi.py", cgi)
        cgi.chmod(0o755)
        mods = httpd_modules_dir()
        loads = "\n".join(f"LoadModule {n} {mods}/{f}" for n, f in HTTPD_MODULES
                           if f[:-3] not in builtin_modules() and n not in self.skip_modules
                           and (n not in OPTIONAL_MODULES or Path(mods, f).exists()))
        user = run_user()
        userconf = f"User {user[0]}\nGroup {user[1]}" if user else "# not root: children keep our uid"
        proxy = ""
        if self.backend_port:
            proxy = (f"ProxyPass /app/proxied http://127.0.0.1:{self.backend_port}/\n"
                     f"ProxyPass /open/proxied http://127.0.0.1:{self.backend_port}/\n")
        self.conf.write_text(f"""# generated by test/integration/harness.py
ServerRoot "{d}"
ServerName 127.0.0.1
Listen 127.0.0.1:{self.port}
PidFile "{d}/run/httpd.pid"
DefaultRuntimeDir "{d}/run"
Mutex file:{d}/run default
{loads}
{self._module_line()}
{userconf}
ScriptSock "{d}/run/cgid.sock"
StartServers 2
ServerLimit 2
ThreadsPerChild 10
MaxRequestWorkers 20
MinSpareThreads 5
MaxSpareThreads 20
Timeout 20
{"CoreDumpDirectory " + os.environ["ITSME_CORE_DIR"] if os.environ.get("ITSME_CORE_DIR") else ""}
ErrorLog "{d}/error.log"
LogLevel {"warn" if os.environ.get("ITSME_MODULE") == "none" else "warn auth_itsme:debug"}
LogFormat "%h %u %t \\"%r\\" %>s %b %D" itsme
CustomLog "{d}/access.log" itsme
TypesConfig /etc/mime.types
DocumentRoot "{d}/htdocs"
DirectoryIndex index.html
<Directory />
    AllowOverride None
    Require all denied
</Directory>
<Directory "{d}/htdocs">
    Require all granted
</Directory>
ScriptAlias /app/cgi/ "{d}/cgi-bin/"
ScriptAlias /open/cgi/ "{d}/cgi-bin/"
<Directory "{d}/cgi-bin">
    Options +ExecCGI
    Require all granted
</Directory>
{proxy}
<Location /open>
    Require all granted
</Location>

{self.server_directives}

{self.locations}
""")
        return self.conf

    def _module_line(self):
        # ITSME_MODULE=none: harness self-check without the module
        if os.environ.get("ITSME_MODULE") == "none":
            return "# mod_auth_itsme not loaded (ITSME_MODULE=none)"
        return f"LoadModule auth_itsme_module {module_path()}"

    def configtest(self, timeout=20):
        self.write_conf()
        return subprocess.run([httpd_binary(), "-t", "-f", str(self.conf)], capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)

    def start(self, timeout=20, attempts=3):
        """Start httpd; return once it serves its port (see wait_started).
        A port taken by someone else between free_port() and httpd's bind
        (only when the port was picked here) means another port, up to
        `attempts` times; any other failure raises RuntimeError with the logs."""
        if os.environ.get("ITSME_MODULE") != "none" and not module_path().exists():
            raise RuntimeError(f"module not built: {module_path()} (set ITSME_MODULE)")
        for attempt in range(attempts):
            self.write_conf()
            try:
                self.pidfile.unlink()
            except FileNotFoundError:
                pass
            marks = {f: f.stat().st_size if f.exists() else 0 for f in (self.stderr, self.errlog)}
            self._stderr = open(self.stderr, "ab")
            self.proc = subprocess.Popen([httpd_binary(), "-f", str(self.conf), "-DFOREGROUND"],
                                         stdout=self._stderr, stderr=self._stderr, stdin=subprocess.DEVNULL)
            if wait_started(self.port, self.pidfile, self.proc, timeout):
                STARTED.append(self)
                return self
            rc = self.proc.poll()
            self.stop()
            taken = any(b"Address already in use" in read_from(f, at) for f, at in marks.items())
            if not (taken and self._auto_port and attempt + 1 < attempts):
                break
            self.port = free_port()
        raise RuntimeError(f"httpd did not start (rc={rc}).\nstderr:\n{tail(self.stderr)}\n"
                           f"error.log:\n{tail(self.errlog)}")

    def stop(self, timeout=10):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if getattr(self, "_stderr", None):
            self._stderr.close()
            self._stderr = None

    def log_size(self):
        try:
            return self.errlog.stat().st_size
        except FileNotFoundError:
            return 0

    def read_log(self, offset):
        """(lines from byte offset on, the offset of the end read)."""
        try:
            with open(self.errlog, "rb") as f:
                f.seek(offset)
                data = f.read()
        except FileNotFoundError:
            return [], offset
        return data.decode("utf-8", "replace").splitlines(), offset + len(data)

    def log_since(self, offset):
        try:
            with open(self.errlog, "rb") as f:
                f.seek(offset)
                return f.read().decode("utf-8", "replace").splitlines()
        except FileNotFoundError:
            return []


def read_from(path, offset):
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            return f.read()
    except FileNotFoundError:
        return b""


def tail(path, n=40):
    try:
        lines = Path(path).read_text(errors="replace").splitlines()
    except FileNotFoundError:
        return f"({path} missing)"
    return "\n".join(lines[-n:])


# httpd's own, not the module's: races of the event MPM when a child stops
# (shutdown, graceful restart) with a connection in flight. A worker closing
# its connection while close_worker_sockets() closes it too (AH00468), or
# re-adding a keep-alive connection to the pollset the stopping listener has
# just closed (AH03093), gets EBADF. Both seen in the suite's restarts.
BENIGN = [r"\[mpm_event:error\] .*\(9\)Bad file descriptor: AH0(0468|3093): "]


def bad_log_lines(lines, allowed=()):
    """Lines at error level or worse, or crash markers, that no allowed pattern
    (nor a BENIGN one) matches."""
    bad = []
    for line in lines:
        if SEVERE_RE.search(line) or CRASH_RE.search(line):
            if not any(re.search(p, line) for p in list(allowed) + BENIGN):
                bad.append(line)
    return bad


# --------------------------------------------------------------------------
# curl

class Response:
    def __init__(self, status, url, header_blocks, body):
        self.status = status
        self.url = url
        self.header_blocks = header_blocks   # one list of (name, value) per response
        self.body = body

    @property
    def headers(self):
        return self.header_blocks[-1] if self.header_blocks else []

    def header(self, name, block=-1):
        hs = self.header_blocks[block] if self.header_blocks else []
        for k, v in hs:
            if k.lower() == name.lower():
                return v
        return None

    def all_headers(self, name):
        return [v for block in self.header_blocks for k, v in block if k.lower() == name.lower()]

    def set_cookies(self):
        return self.all_headers("Set-Cookie")

    @property
    def location(self):
        return self.header("Location")

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return f"<Response {self.status} {self.url} body={self.body[:300]!r}>"


def _parse_header_file(text):
    blocks, cur = [], None
    for line in text.splitlines():
        line = line.rstrip("\r")
        if line.startswith("HTTP/"):
            cur = []
            blocks.append(cur)
        elif line and cur is not None and ":" in line:
            k, v = line.split(":", 1)
            cur.append((k.strip(), v.strip()))
    return blocks


def curl(url, jar=None, follow=False, headers=(), method=None, data=None, timeout=20, extra=()):
    """Run curl once. follow=True uses -L over the whole redirect chain."""
    with tempfile.TemporaryDirectory(prefix="itsme-curl-") as t:
        body, hdr = Path(t) / "body", Path(t) / "headers"
        cmd = ["curl", "-sS", "--max-time", str(timeout), "-o", str(body), "-D", str(hdr),
               "-w", "%{http_code} %{url_effective}"]
        if jar is not None:
            cmd += ["-b", str(jar), "-c", str(jar)]
        if follow:
            cmd += ["-L", "--max-redirs", "15"]
        for h in headers:
            cmd += ["-H", h]
        if method:
            cmd += ["-X", method]
        if data is not None:
            cmd += ["--data-binary", data]
        cmd += list(extra)
        cmd.append(url)
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout + 5, stdin=subprocess.DEVNULL)
        if p.returncode not in (0,):
            raise RuntimeError(f"curl failed rc={p.returncode}: {' '.join(cmd)}\n{p.stderr}")
        status, _, eff = p.stdout.partition(" ")
        text = body.read_text(errors="replace") if body.exists() else ""
        blocks = _parse_header_file(hdr.read_text(errors="replace")) if hdr.exists() else []
        resp = Response(int(status), eff, blocks, text)
        if jar is not None:
            _apply_deletions(jar, resp)
        return resp


_EXPIRED_RE = re.compile(r";\s*(max-age=0*\s*(;|$)|max-age=-|expires=[^;]*19[0-9][0-9] )", re.I)


def _apply_deletions(jar, resp):
    """curl 7.88 can leave a cookie in the jar file although the server expired
    it (Max-Age=0) in the same response that sets another one. A browser drops
    it: do the same, for cookies whose last Set-Cookie was a deletion."""
    last = {}
    for value in resp.set_cookies():
        name = value.split("=", 1)[0].strip()
        last[name] = bool(_EXPIRED_RE.search(value))
    doomed = {n for n, deleted in last.items() if deleted}
    if doomed and Path(jar).exists():
        rewrite_jar(jar, lambda n, v: None if n in doomed else v)


def walk(url, jar, headers=(), max_hops=15, stop=None, timeout=20):
    """Follow redirects one hop at a time (curl without -L), returning every response.
    stop(resp) -> True ends the walk early (e.g. just before the callback)."""
    hops = []
    for _ in range(max_hops):
        r = curl(url, jar=jar, headers=headers, timeout=timeout)
        hops.append(r)
        if stop and stop(r):
            break
        if r.status in (301, 302, 303, 307, 308) and r.location:
            url = urllib.parse.urljoin(url, r.location)
            r.next_url = url
            continue
        break
    return hops


# --------------------------------------------------------------------------
# Netscape cookie jar written by curl

def read_jar(jar):
    out = []
    try:
        lines = Path(jar).read_text().splitlines()
    except FileNotFoundError:
        return out
    for line in lines:
        httponly = line.startswith("#HttpOnly_")
        if httponly:
            line = line[len("#HttpOnly_"):]
        elif not line.strip() or line.startswith("#"):
            continue
        f = line.split("\t")
        if len(f) == 7:
            out.append({"domain": f[0], "path": f[2], "secure": f[3] == "TRUE", "name": f[5], "value": f[6],
                        "httponly": httponly})
    return out


def rewrite_jar(jar, fn):
    """fn(name, value) -> new value (or None to drop the cookie)."""
    lines = Path(jar).read_text().splitlines()
    out = []
    for line in lines:
        f = line.split("\t")
        if len(f) == 7 and (not line.startswith("#") or line.startswith("#HttpOnly_")):
            nv = fn(f[5], f[6])
            if nv is None:
                continue
            f[6] = nv
            line = "\t".join(f)
        out.append(line)
    Path(jar).write_text("\n".join(out) + "\n")


def random_passphrase():
    return secrets.token_urlsafe(36)
