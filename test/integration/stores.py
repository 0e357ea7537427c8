# SPDX-License-Identifier: Apache-2.0. Copyright 2026 the mod_auth_itsme authors; see LICENSE.
"""Redis and memcached for the session-store tests (ItsmeSessionStore
socache:redis / socache:memcache): Debian's redis-server and memcached,
started as daemons on loopback ports chosen at run time, checked to answer,
stopped by pid, and restarted on the same port (a store outage). Plain
Python (no pytest), like harness.py.

Redis is read with a small RESP client (binary safe) and redis-cli
(redis-tools, a dependency of redis-server) for --scan and DUMP."""

import atexit
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import harness

# every server started here; stopped at exit whatever the tests did
STARTED = []


def _binary(name, package):
    path = shutil.which(name) or (f"/usr/bin/{name}" if os.access(f"/usr/bin/{name}", os.X_OK) else None)
    if not path:
        raise RuntimeError(f"{name} not found (apt-get install {package})")
    return path


def pid_alive(pid):
    """True while pid is a live process (a zombie left to a PID 1 that does
    not reap counts as gone)."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _read_pid(pidfile):
    try:
        text = Path(pidfile).read_text().strip()
        return int(text) if text else None
    except (OSError, ValueError):
        return None


class _Daemon:
    """Common start/stop logic: subclasses give the command line, the
    readiness probe (which also proves the process on the port is ours) and
    the log to show on failure."""

    what = "daemon"

    def __init__(self, workdir, name):
        self.dir = Path(workdir) / name
        self.dir.mkdir(parents=True, exist_ok=True)
        self.dir.chmod(0o755)
        self.name = name
        self.port = None
        self.pid = None
        self.pidfile = self.dir / f"{name}.pid"
        self.logfile = self.dir / f"{name}.log"

    def command(self, port):
        raise NotImplementedError

    def probe(self, port):
        """The pid of the server answering on port, or None."""
        raise NotImplementedError

    def start(self, timeout=15.0, attempts=3):
        """Start the daemon; on the port it had when restarting, else on a
        free port (another one when a parallel run took it meanwhile).
        Returns once the server we started answers on its port."""
        same_port = self.port is not None
        for attempt in range(attempts):
            port = self.port if same_port else harness.free_port()
            try:
                self.pidfile.unlink()
            except FileNotFoundError:
                pass
            p = subprocess.run(self.command(port), capture_output=True, text=True, timeout=20,
                               stdin=subprocess.DEVNULL)
            if p.returncode == 0 and self._wait_ready(port, timeout):
                self.port = port
                if self not in STARTED:
                    STARTED.append(self)
                return self
            self._kill(_read_pid(self.pidfile))
            # a port taken between free_port() and the bind (a parallel run):
            # redis says so in its log; memcached, daemonized, says nothing
            if same_port or attempt + 1 == attempts:
                raise RuntimeError(f"{self.what} did not start on port {port} (rc={p.returncode})\n"
                                   f"{p.stdout}{p.stderr}\nlog:\n{harness.tail(self.logfile)}")
        raise RuntimeError(f"{self.what} did not start")

    def _wait_ready(self, port, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pid = _read_pid(self.pidfile)
            if pid and pid_alive(pid):
                try:
                    answering = self.probe(port)
                except OSError:
                    answering = None
                if answering == pid:
                    self.pid = pid
                    return True
            time.sleep(0.05)
        return False

    def _kill(self, pid, timeout=10.0):
        if not pid:
            return
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + timeout
        while pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if pid_alive(pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            deadline = time.monotonic() + 5
            while pid_alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)

    def stop(self):
        """Stop the server by its pid; returns once it is gone and its port
        no longer accepts connections. The port is kept for restart()."""
        self._kill(self.pid or _read_pid(self.pidfile))
        self.pid = None
        if self.port:
            deadline = time.monotonic() + 5
            while port_open(self.port) and time.monotonic() < deadline:
                time.sleep(0.05)

    def restart(self, timeout=15.0):
        """Start again on the same port (after stop())."""
        assert self.port, "restart() before start()"
        return self.start(timeout=timeout, attempts=1)

    @property
    def running(self):
        return pid_alive(self.pid)


# --------------------------------------------------------------------------
# Redis

class RedisError(Exception):
    pass


def _resp_read(f):
    line = f.readline()
    if not line.endswith(b"\r\n"):
        raise ConnectionError("redis: connection closed")
    kind, rest = line[:1], line[1:-2]
    if kind == b"+":
        return rest.decode()
    if kind == b"-":
        raise RedisError(rest.decode(errors="replace"))
    if kind == b":":
        return int(rest)
    if kind == b"$":
        n = int(rest)
        if n < 0:
            return None
        data = f.read(n + 2)
        if len(data) != n + 2:
            raise ConnectionError("redis: short read")
        return data[:-2]
    if kind == b"*":
        n = int(rest)
        return None if n < 0 else [_resp_read(f) for _ in range(n)]
    raise RedisError(f"redis: unexpected reply {line[:40]!r}")


def redis_call(port, *args, timeout=3.0):
    """One command to the Redis server on port; its reply (bytes for bulk strings)."""
    parts = [a if isinstance(a, bytes) else str(a).encode() for a in args]
    req = b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts)
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(req)
        with s.makefile("rb") as f:
            return _resp_read(f)


class Redis(_Daemon):
    what = "redis-server"

    def __init__(self, workdir, name="redis"):
        super().__init__(workdir, name)
        self.binary = _binary("redis-server", "redis-server")

    def command(self, port):
        return [self.binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--daemonize", "yes", "--pidfile", str(self.pidfile), "--logfile", str(self.logfile),
                "--dir", str(self.dir)]

    def probe(self, port):
        if redis_call(port, "PING", timeout=1.0) != "PONG":
            return None
        info = redis_call(port, "INFO", "server", timeout=1.0).decode()
        for line in info.splitlines():
            if line.startswith("process_id:"):
                return int(line.split(":", 1)[1])
        return None

    @property
    def url(self):
        """The ItsmeSessionStore value for this server."""
        return f"socache:redis:127.0.0.1:{self.port}"

    def call(self, *args):
        return redis_call(self.port, *args)

    def cli(self, *args, timeout=10):
        """redis-cli against this server; its stdout (raw output: not a tty)."""
        cli = _binary("redis-cli", "redis-tools")
        p = subprocess.run([cli, "-h", "127.0.0.1", "-p", str(self.port), *args], capture_output=True,
                           timeout=timeout, stdin=subprocess.DEVNULL)
        if p.returncode != 0:
            raise RedisError(f"redis-cli {' '.join(args)}: rc={p.returncode} {p.stderr!r}")
        return p.stdout

    def keys(self):
        """Every key, as redis-cli --scan lists them."""
        return [k for k in self.cli("--scan").decode(errors="replace").splitlines() if k]

    def dump(self):
        """key -> value (bytes) of every string key; other types -> their
        DUMP serialisation (which holds the data too)."""
        out = {}
        cursor = b"0"
        while True:
            cursor, batch = self.call("SCAN", cursor, "COUNT", 1000)
            for key in batch:
                kind = self.call("TYPE", key)
                out[key] = self.call("GET", key) if kind == "string" else (self.call("DUMP", key) or b"")
            if cursor in (b"0", 0):
                return out

    def ttl(self, key):
        return self.call("TTL", key)

    def flush(self):
        self.call("FLUSHALL")

    def save_and_stop(self):
        """Snapshot to dump.rdb in its dir (loaded again by restart()), then stop:
        an outage that loses no session."""
        self.call("SAVE")
        self.stop()


# --------------------------------------------------------------------------
# memcached

def memcache_call(port, line, timeout=3.0):
    """Send one text-protocol command; the reply up to END / the first line."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(line.encode() + b"\r\n")
        buf = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
            if buf.endswith(b"END\r\n") or (not line.startswith(("stats", "get")) and buf.endswith(b"\r\n")):
                break
    return buf.decode(errors="replace")


class Memcached(_Daemon):
    what = "memcached"

    def __init__(self, workdir, name="memcached"):
        super().__init__(workdir, name)
        self.binary = _binary("memcached", "memcached")
        self.user = None
        ru = harness.run_user()
        if ru:
            # memcached drops root before it writes its pid file
            import pwd
            self.user = ru[0]
            pw = pwd.getpwnam(self.user)
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)

    def command(self, port):
        cmd = [self.binary, "-l", "127.0.0.1", "-p", str(port), "-U", "0", "-d", "-P", str(self.pidfile),
               "-m", "64"]
        if self.user:
            cmd += ["-u", self.user]
        return cmd

    def probe(self, port):
        stats = self._stats(port)
        return int(stats["pid"]) if "pid" in stats else None

    @staticmethod
    def _stats(port):
        out = {}
        for line in memcache_call(port, "stats", timeout=1.0).splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[0] == "STAT":
                out[parts[1]] = parts[2]
        return out

    def stats(self):
        return self._stats(self.port)

    @property
    def url(self):
        return f"socache:memcache:127.0.0.1:{self.port}"


def stop_all():
    for srv in list(STARTED):
        try:
            srv.stop()
        except Exception:   # noqa: BLE001 - best effort at exit
            pass


atexit.register(stop_all)
