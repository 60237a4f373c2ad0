#!/usr/bin/env python3
"""Wicket benchmark: wicketd behind nginx `auth_request`, compared with nginx alone.

Run as root on Debian 12 from anywhere in the repository (Python 3.11, standard library only):

    python3 scripts/bench.py                 # 10 s per wrk run, about 6 minutes in all
    python3 scripts/bench.py --duration 5    # shorter runs
    python3 scripts/bench.py --help          # every knob

Self-contained: installs nginx-light, apache2-utils, wrk, curl, slapd and ldap-utils with
apt-get if missing, builds the release binaries (`cargo build --release --locked`), creates
everything in a temporary directory, starts its own nginx (the front and a separate
do-nothing auth backend), its own slapd and four wicketd instances on loopback ports
(wicketd binds port 0 and the port is read from its `listening on http://ADDR` log line),
measures, prints a Markdown report on stdout (progress on stderr) and stops every process it
started, each in its own process group, on exit, failure, Ctrl-C or SIGTERM.
It never listens on anything but 127.0.0.1 and never touches the system's nginx or slapd.

Scenarios: throughput through nginx (ceilings, nginx `auth_basic`, wicketd Bearer and cached
Basic, LDAP), the Bearer/cached-Basic ratio to the proxied ceiling in interleaved rounds,
CPU per request of each process during each run, a burst of concurrent first requests with
one credential (slow verifications counted on /metrics), idle connections held open while
/auth and the PAM/NSS socket are timed, Bearer latency during a wrong-password flood, KDF and
LDAP login timings, and wicketd's peak resident memory over the whole run.

Exit status: 0 when every measurement was valid (targets missed are results, not errors);
1 when setup failed or a request that should have been accepted was not; 130 on Ctrl-C.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import dataclasses
import datetime
import http.client
import json
import os
import re
import resource
import secrets
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "bench"
UNIT_NOFILE = 65536  # LimitNOFILE in systemd/wicketd.service
RSS_TARGET_MB = 64
CLK_TCK = os.sysconf("SC_CLK_TCK")
os.environ["PATH"] += ":/usr/local/sbin:/usr/sbin:/sbin"


class BenchError(Exception):
    """Setup failed or a request that had to succeed did not."""


def log(msg: str) -> None:
    print(f"== {msg}", file=sys.stderr, flush=True)


def warn(msg: str) -> None:
    print(f"bench: WARNING: {msg}", file=sys.stderr, flush=True)


def rand(n: int) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(secrets.choice(alphabet) for _ in range(n))


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def run(argv: list[str], **kw) -> subprocess.CompletedProcess:
    """Runs a short command, raising BenchError with its output when it fails."""
    p = subprocess.run(argv, capture_output=True, text=True, **kw)
    if p.returncode != 0:
        raise BenchError(f"{' '.join(map(str, argv[:3]))} … failed ({p.returncode}): {p.stderr.strip()[-500:]}")
    return p


def fill(template: Path, out: Path, **values: str) -> None:
    text = template.read_text()
    for k, v in values.items():
        text = text.replace(f"@{k}@", str(v))
    left = re.search(r"@[A-Z_]+@", text)
    if left:
        raise BenchError(f"unfilled placeholder {left.group(0)} in {out}")
    out.write_text(text)


def release_binaries(no_build: bool) -> Path:
    """The release build's directory (`cargo build --release --locked` first, unless told not to)."""
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    target = target if target.is_absolute() else ROOT / target
    if not no_build:
        cargo = shutil.which("cargo") or str(Path.home() / ".cargo/bin/cargo")
        log("cargo build --release --locked -p wicketd -p wicket")
        if subprocess.run([cargo, "build", "--release", "--locked", "-p", "wicketd", "-p", "wicket"], cwd=ROOT).returncode:
            raise BenchError("cargo build failed")
    for b in ("wicketd", "wicket"):
        if not os.access(target / "release" / b, os.X_OK):
            raise BenchError(f"{target / 'release' / b} not found")
    return target / "release"


def reported_port(log_path: Path) -> int | None:
    """The port in wicketd's `listening on http://127.0.0.1:PORT` log line, once it is there."""
    m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", log_path.read_text(errors="replace"))
    return int(m.group(1)) if m else None


# --- processes -----------------------------------------------------------------------------


class Processes:
    """Every long-running process the bench starts, each leading its own process group."""

    def __init__(self) -> None:
        self.started: list[tuple[str, subprocess.Popen, float]] = []

    def start(self, name: str, argv: list[str], log_path: Path, grace: float = 5.0, env=None) -> subprocess.Popen:
        with open(log_path, "wb") as out:
            p = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, env=env
            )
        self.started.append((name, p, grace))
        return p

    @staticmethod
    def _signal_group(p: subprocess.Popen, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(p.pid, sig)

    def stop(self, p: subprocess.Popen, grace: float) -> None:
        self._signal_group(p, signal.SIGTERM)
        try:
            p.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            warn(f"pid {p.pid} ignored SIGTERM for {grace} s, sending SIGKILL")
            self._signal_group(p, signal.SIGKILL)
            p.wait(timeout=5)
        # Whatever is left in the group (nginx workers) goes too.
        self._signal_group(p, signal.SIGKILL)

    def stop_all(self) -> None:
        for name, p, grace in reversed(self.started):
            try:
                self.stop(p, grace)
            except Exception as e:  # keep stopping the others
                warn(f"stopping {name} (pid {p.pid}): {e}")
        self.started.clear()


def process_group_cpu(pgid: int) -> float:
    """CPU seconds (user + system) used so far by the live processes of a process group."""
    total = 0
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            fields = Path(f"/proc/{d}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # After the command: state(0) ppid(1) pgrp(2) ... utime(11) stime(12)
        if int(fields[2]) == pgid:
            total += int(fields[11]) + int(fields[12])
    return total / CLK_TCK


def proc_status_kb(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise BenchError(f"{key} not in /proc/{pid}/status")


class RssSampler(threading.Thread):
    """Polls VmRSS of the wicketd processes; the kernel's VmHWM is read at the end as well."""

    def __init__(self, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.pids: dict[str, int] = {}
        self.peak_kb: dict[str, int] = {}
        self.interval = interval
        self.done = threading.Event()

    def watch(self, name: str, pid: int) -> None:
        self.pids[name] = pid
        self.peak_kb[name] = 0

    def run(self) -> None:
        while not self.done.wait(self.interval):
            for name, pid in list(self.pids.items()):
                with contextlib.suppress(OSError, BenchError):
                    self.peak_kb[name] = max(self.peak_kb[name], proc_status_kb(pid, "VmRSS"))


# --- HTTP ------------------------------------------------------------------------------------


@dataclasses.dataclass
class Answer:
    status: int
    body: bytes
    ms: float


def get(port: int, path: str, auth: str | None = None, headers: dict | None = None, timeout: float = 30) -> Answer:
    """One GET on a new connection to 127.0.0.1:port; the time covers connect to last byte."""
    h = dict(headers or {})
    if auth:
        h["Authorization"] = auth
    t0 = time.perf_counter()
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request("GET", path, headers=h)
        r = c.getresponse()
        body = r.read()
    finally:
        c.close()
    return Answer(r.status, body, (time.perf_counter() - t0) * 1000)


AUTH_HEADERS = {"X-Original-URI": "/app/", "X-Original-Method": "GET", "X-Forwarded-Host": "bench.test"}

# The sign-in portal on the default instance (plain HTTP on loopback, so no Secure cookies).
SESSION = '\n[session]\nsecure = false\n'


def sign_in(port: int, user: str, password: str) -> tuple[str, float, int]:
    """Signs in through the portal as a browser would (GET /login for the CSRF cookie and
    field, then POST /login): the `name=value` of the session cookie, the POST's time in ms
    (connect to last byte) and its status."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        c.request("GET", "/login")
        r = c.getresponse()
        page = r.read().decode("utf-8", "replace")
        cookies = [h.split(";", 1)[0] for k, h in r.getheaders() if k.lower() == "set-cookie"]
    finally:
        c.close()
    m = re.search(r'name="csrf" value="([^"]+)"', page)
    if not m:
        raise BenchError("sign-in: no CSRF field on /login")
    body = urllib.parse.urlencode({"username": user, "password": password, "csrf": m.group(1)})
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": "; ".join(cookies)}
    t0 = time.perf_counter()
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        c.request("POST", "/login", body=body, headers=headers)
        r = c.getresponse()
        r.read()
        ms = (time.perf_counter() - t0) * 1000
        got = [h.split(";", 1)[0] for k, h in r.getheaders() if k.lower() == "set-cookie"]
    finally:
        c.close()
    session = next((g for g in got if g.startswith("wicket_session=") and len(g) > len("wicket_session=")), "")
    return session, ms, r.status


def free_port(taken: set[int]) -> int:
    """A loopback port the OS considers free now (for servers that cannot bind port 0)."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in taken:
            taken.add(port)
            return port
    raise BenchError("no free loopback port")


def wait_until(what: str, proc: subprocess.Popen, ready, deadline_s: float = 15.0):
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise BenchError(f"{what} exited during startup (status {proc.returncode})")
        with contextlib.suppress(OSError, http.client.HTTPException):
            got = ready()
            if got:
                return got
        time.sleep(0.05)
    raise BenchError(f"{what} not ready within {deadline_s:.0f} s")


def metric(port: int, name: str) -> float:
    """A /metrics value by its exact series name (with labels); 0 when absent."""
    body = get(port, "/metrics", timeout=5).body.decode()
    for line in body.splitlines():
        if line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


# --- the local socket (PAM/NSS) ---------------------------------------------------------------


def socket_request(path: Path, request: dict, timeout: float = 5.0) -> tuple[dict, float]:
    """One request on wicketd's local socket: 4-byte big-endian length + JSON, each way."""
    body = json.dumps({"version": 1, **request}).encode()
    t0 = time.perf_counter()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(str(path))
        s.sendall(struct.pack(">I", len(body)) + body)
        head = _recv_exact(s, 4)
        answer = json.loads(_recv_exact(s, struct.unpack(">I", head)[0]))
    return answer, (time.perf_counter() - t0) * 1000


def _recv_exact(s: socket.socket, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise BenchError("wicketd closed the local socket mid-answer")
        buf += chunk
    return buf


# --- wrk -------------------------------------------------------------------------------------


@dataclasses.dataclass
class WrkResult:
    label: str
    shape: str
    rps: float
    p50: float
    p99: float
    requests: int
    non2xx: int
    sock_errors: int
    cpu_us: dict[str, float] = dataclasses.field(default_factory=dict)  # per request, by process

    @property
    def valid(self) -> bool:
        return self.non2xx == 0 and self.sock_errors == 0


def to_ms(v: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", v)
    if not m:
        raise BenchError(f"unexpected wrk latency {v!r}")
    return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[m.group(2)]


def parse_wrk(label: str, shape: str, text: str) -> WrkResult:
    def find(pattern: str, default: str | None = None) -> str:
        m = re.search(pattern, text, re.M)
        if m:
            return m.group(1)
        if default is None:
            raise BenchError(f"could not parse wrk output ({pattern}):\n{text}")
        return default

    sock = find(r"Socket errors: (.*)$", "")
    return WrkResult(
        label=label,
        shape=shape,
        rps=float(find(r"^Requests/sec:\s+([\d.]+)")),
        p50=to_ms(find(r"^\s+50%\s+(\S+)")),
        p99=to_ms(find(r"^\s+99%\s+(\S+)")),
        requests=int(find(r"^\s*(\d+) requests in")),
        non2xx=int(find(r"Non-2xx or 3xx responses: (\d+)", "0")),
        sock_errors=sum(int(n) for n in re.findall(r"\d+", sock)),
    )


class Wrk:
    """Runs wrk and measures the CPU each watched process group spent during the run."""

    def __init__(self, bench: Bench) -> None:
        self.b = bench

    def command(self, threads: int, conns: int, seconds: int, url: str, headers: dict) -> list[str]:
        argv = ["wrk", f"-t{threads}", f"-c{conns}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
        for k, v in headers.items():
            argv += ["-H", f"{k}: {v}"]
        return argv + [url]

    def run(self, label: str, url: str, auth: str | None, threads=None, conns=None, headers=None, strict=True):
        o = self.b.opts
        threads, conns = threads or o.threads, conns or o.connections
        h = dict(headers or {})
        if auth:
            h["Authorization"] = auth
        log(f"wrk -t{threads} -c{conns} -d{o.duration}s {url}  [{label}]")
        groups = dict(self.b.cpu_groups)
        cpu0 = {k: process_group_cpu(pid) for k, pid in groups.items()}
        kids0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        p = subprocess.run(self.command(threads, conns, o.duration, url, h), capture_output=True, text=True)
        kids1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu1 = {k: process_group_cpu(pid) for k, pid in groups.items()}
        if p.returncode != 0:
            raise BenchError(f"wrk {label} failed: {p.stderr or p.stdout}")
        r = parse_wrk(label, f"-t{threads} -c{conns}", p.stdout)
        n = max(r.requests, 1)
        r.cpu_us = {k: (cpu1[k] - cpu0[k]) * 1e6 / n for k in groups}
        wrk_cpu = (kids1.ru_utime + kids1.ru_stime) - (kids0.ru_utime + kids0.ru_stime)
        r.cpu_us["wrk"] = wrk_cpu * 1e6 / n
        if strict and not r.valid:
            warn(f"{label}: {r.non2xx} non-2xx and {r.sock_errors} socket errors of {r.requests}: INVALID")
            self.b.invalid = True
        return r


# --- the bench -------------------------------------------------------------------------------


@dataclasses.dataclass
class Wicketd:
    name: str
    config: Path
    proc: subprocess.Popen | None = None
    port: int = 0

    @property
    def socket_path(self) -> Path:
        return self.config.parent / f"{self.name}.sock"


class Bench:
    def __init__(self, opts: argparse.Namespace, tmp: Path, procs: Processes) -> None:
        self.opts = opts
        self.tmp = tmp
        self.procs = procs
        self.invalid = False
        self.taken: set[int] = set()
        self.cpu_groups: dict[str, int] = {}
        self.rss = RssSampler()
        self.wrk = Wrk(self)
        self.results: dict[str, WrkResult] = {}
        self.user, self.password = "bench", rand(20)
        self.ldap_user, self.ldap_password = "lbench", rand(20)
        self.nofile = 0
        self.report: dict = {}

    # -- setup ----------------------------------------------------------------------------------

    def wicketd_configs(self) -> list[Wicketd]:
        t = self.tmp
        ldap = (t / "ldap-backend.toml").read_text()
        local = '\n[[backend]]\nkind = "local"\n'
        bypass = '\n[[rule]]\npath = "^/wicket-bypass/"\npolicy = "bypass"\n'
        specs = [
            # name, throttle delays, max failures, what follows the template
            ("wicketd-default", '["1s", "1s", "5s"]', 5, bypass + local + SESSION),
            ("wicketd-nothrottle", '["0s"]', 1000000, local),
            ("wicketd-ldap", '["0s"]', 1000000, local + ldap),
            ("wicketd-ldapfirst", '["0s"]', 1000000, ldap + local),
        ]
        out = []
        for name, delays, max_failures, tail in specs:
            cfg = t / f"{name}.toml"
            fill(TEMPLATES / "wicketd.toml.in", cfg, PORT=0, TMP=t, NAME=name, DB=self.db, DELAYS=delays,
                 MAX_FAILURES=max_failures)
            with open(cfg, "a") as f:
                f.write(tail)
            out.append(Wicketd(name, cfg))
        return out

    def store(self, bin_dir: Path, cfg: Path) -> None:
        log(f"creating the store, user {self.user}, a token, burst and {self.opts.argon_samples} fresh users")
        cli = [str(bin_dir / "wicket"), "--config", str(cfg), "--db", str(self.db)]
        pw = self.password + "\n"
        for name in [self.user, "burst"] + [f"fresh{i:02}" for i in range(1, self.opts.argon_samples + 1)]:
            run(cli + ["user", "add", name, "--password-stdin"], input=pw)
        self.token = run(cli + ["token", "create", self.user, "--name", "bench"]).stdout.strip()
        if not self.token.startswith("wkt_"):
            raise BenchError("unexpected output from wicket token create")

    def htpasswd(self) -> None:
        log("htpasswd -m (apr1) and htpasswd -B (bcrypt, default cost)")
        for kind, flag in (("apr1", "-m"), ("bcrypt", "-B")):
            f = self.tmp / f"htpasswd-{kind}"
            run(["htpasswd", "-c", "-i", flag, str(f), self.user], input=self.password)
            f.chmod(0o644)
        self.bcrypt_cost = int((self.tmp / "htpasswd-bcrypt").read_text().split("$")[2])

    def ssha(self, password: str) -> str:
        f = self.tmp / "private" / "pw.tmp"
        f.write_text(password)
        try:
            h = run(["slappasswd", "-h", "{SSHA}", "-T", str(f)]).stdout.strip()
        finally:
            f.unlink()
        if not h.startswith("{SSHA}"):
            raise BenchError("unexpected slappasswd output")
        return h

    def directory(self) -> None:
        """An mdb directory with the service account, lbench, lfreshNN and a group; then slapd."""
        t, d = self.tmp, self.tmp / "ldap"
        self.ldap_port = free_port(self.taken)
        secret = t / "private" / "ldap-reader.secret"
        reader_password = rand(20)
        secret.write_text(reader_password)  # one line, no newline: read by wicketd and ldapwhoami -y
        fill(TEMPLATES / "ldap-backend.toml.in", t / "ldap-backend.toml", PORT_LDAP=self.ldap_port, SECRET=secret)
        fill(TEMPLATES / "slapd.conf.in", d / "slapd.conf", DIR=d)
        fill(TEMPLATES / "ldap.ldif.in", d / "bench.ldif", READER_HASH=self.ssha(reader_password))
        user_hash = self.ssha(self.ldap_password)
        names = [self.ldap_user] + [f"lfresh{i:02}" for i in range(1, self.opts.argon_samples + 1)]
        self.ldap_names = names
        dn = "uid={},ou=people,dc=example,dc=org".format
        with open(d / "bench.ldif", "a") as f:
            for i, n in enumerate(names):
                f.write(
                    f"\ndn: {dn(n)}\nobjectClass: inetOrgPerson\nobjectClass: posixAccount\nuid: {n}\n"
                    f"cn: Bench {n}\nsn: {n}\nmail: {n}@example.org\nuidNumber: {30000 + i}\n"
                    f"gidNumber: {30000 + i}\nhomeDirectory: /home/{n}\nloginShell: /bin/bash\n"
                    f"userPassword: {user_hash}\n"
                )
            f.write("\ndn: cn=benchers,ou=groups,dc=example,dc=org\nobjectClass: groupOfNames\ncn: benchers\n")
            f.writelines(f"member: {dn(n)}\n" for n in names)
        run(["slapadd", "-q", "-f", str(d / "slapd.conf"), "-l", str(d / "bench.ldif")])
        url = f"ldap://127.0.0.1:{self.ldap_port}"
        log(f"starting slapd on {url}")
        p = self.procs.start("slapd", ["slapd", "-f", str(d / "slapd.conf"), "-h", url + "/", "-d", "0"], t / "slapd.log")
        wait_until("slapd", p, lambda: socket.create_connection(("127.0.0.1", self.ldap_port), timeout=1).close() or True)
        run(["ldapwhoami", "-x", "-H", url, "-D", "cn=reader,dc=example,dc=org", "-y", str(secret)])
        upw = t / "private" / "ldap-user.pw"
        upw.write_text(self.ldap_password)
        run(["ldapwhoami", "-x", "-H", url, "-D", dn(self.ldap_user), "-y", str(upw)])

    def start_wicketd(self, bin_dir: Path, w: Wicketd) -> None:
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        self.nofile = UNIT_NOFILE if hard == resource.RLIM_INFINITY else min(UNIT_NOFILE, hard)
        env = dict(os.environ)
        # The port is read from the `listening on` line, which the filter must keep.
        env["WICKET_LOG"] = f"{self.opts.log_filter},wicketd=info"
        argv = ["prlimit", f"--nofile={self.nofile}:{self.nofile}", "--", str(bin_dir / "wicketd"), "--config", str(w.config)]
        log_path = self.tmp / f"{w.name}.log"
        w.proc = self.procs.start(w.name, argv, log_path, grace=12, env=env)

        w.port = wait_until(w.name, w.proc, lambda: reported_port(log_path))
        wait_until(w.name, w.proc, lambda: get(w.port, "/healthz", timeout=1).status == 200)
        self.taken.add(w.port)
        self.cpu_groups[w.name] = w.proc.pid
        self.rss.watch(w.name, w.proc.pid)

    def start_nginx(self, name: str, template: Path, **values) -> subprocess.Popen:
        d = self.tmp / name
        (d / "tmp").mkdir(parents=True)
        d.chmod(0o755)
        fill(template, d / "nginx.conf", TMP=d, **values)
        args = ["nginx", "-p", f"{d}/", "-c", str(d / "nginx.conf"), "-e", str(d / "error.log")]
        run(args + ["-t"])
        p = self.procs.start(name, args + ["-g", "daemon off;"], d / "stdout.log")
        self.cpu_groups[name] = p.pid
        return p

    def setup(self) -> None:
        t = self.tmp
        t.chmod(0o755)  # nginx workers (unprivileged) read the htpasswd files
        for sub in ("private", "ldap", "ldap/db"):
            (t / sub).mkdir(mode=0o700)
        self.db = t / "private" / "wicket.db"
        bin_dir = release_binaries(self.opts.no_build)
        self.directory()
        self.wicketds = {w.name: w for w in self.wicketd_configs()}
        self.store(bin_dir, self.wicketds["wicketd-default"].config)
        self.htpasswd()
        for w in self.wicketds.values():
            log(f"starting {w.name}")
            self.start_wicketd(bin_dir, w)
        self.rss.start()
        self.backend_port, self.app_port, self.front_port = (free_port(self.taken) for _ in range(3))
        log(f"starting the do-nothing auth backend nginx on 127.0.0.1:{self.backend_port}")
        p = self.start_nginx("nginx-backend", TEMPLATES / "nginx-backend.conf.in", PORT=self.backend_port)
        wait_until("nginx-backend", p, lambda: get(self.backend_port, "/_204", timeout=1).status == 204)
        w = self.wicketds
        log(f"starting nginx on 127.0.0.1:{self.front_port} (app upstream on 127.0.0.1:{self.app_port})")
        p = self.start_nginx(
            "nginx-front", TEMPLATES / "nginx.conf.in", PORT_FRONT=self.front_port, PORT_APP=self.app_port,
            PORT_BACKEND=self.backend_port, FILES=self.tmp, PORT_WICKETD=w["wicketd-default"].port,
            PORT_WICKETD_NT=w["wicketd-nothrottle"].port, PORT_WICKETD_LDAP=w["wicketd-ldap"].port,
        )
        wait_until("nginx", p, lambda: get(self.front_port, "/ceiling/", timeout=1).status == 200)
        self.bearer = f"Bearer {self.token}"
        self.basic = basic(self.user, self.password)
        self.ldap_basic = basic(self.ldap_user, self.ldap_password)

    # -- checks ----------------------------------------------------------------------------------

    def expect(self, status: int, port: int, path: str, auth: str | None = None, headers=None) -> Answer:
        a = get(port, path, auth, headers)
        if a.status != status:
            what = f" with {auth.split()[0]} credentials" if auth else ""
            raise BenchError(f"GET 127.0.0.1:{port}{path}{what} answered {a.status}, expected {status}")
        return a

    def check_protected(self, path: str, auth: str) -> None:
        self.expect(401, self.front_port, path)
        self.expect(200, self.front_port, path, auth)

    def expect_identity(self, w: Wicketd, auth: str, backend: str, group: str | None = None) -> None:
        ident = json.loads(self.expect(200, w.port, "/whoami", auth).body)
        if ident.get("backend") != backend or (group and group not in json.dumps(ident)):
            raise BenchError(f"{w.name}/whoami answered {ident}, expected backend {backend} {group or ''}")

    # -- scenarios -------------------------------------------------------------------------------

    def burst(self) -> None:
        """N concurrent first requests with one Basic credential, straight to wicketd /auth."""
        w, n = self.wicketds["wicketd-default"], self.opts.burst
        auth = basic("burst", self.password)
        log(f"burst: {n} concurrent first requests with one credential -> {w.name}/auth")
        slow0 = metric(w.port, "wicket_slow_verifications_total")
        rss0 = proc_status_kb(w.proc.pid, "VmRSS")
        barrier, answers, errors = threading.Barrier(n), [], []

        def one():
            try:
                barrier.wait(timeout=30)
                answers.append(get(w.port, "/auth", auth, AUTH_HEADERS, timeout=60))
            except Exception as e:
                errors.append(e)

        threads = [threading.Thread(target=one) for _ in range(n)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(timeout=90)
        if errors or len(answers) != n:
            raise BenchError(f"burst: {len(errors)} requests failed: {errors[:1]}")
        statuses = sorted({a.status for a in answers})
        if statuses != [200]:
            warn(f"burst: statuses {statuses}, expected only 200")
            self.invalid = True
        self.report["burst"] = dict(
            n=n, statuses=statuses, slow=metric(w.port, "wicket_slow_verifications_total") - slow0,
            rss_before=rss0, rss_after=proc_status_kb(w.proc.pid, "VmRSS"), hwm_after=proc_status_kb(w.proc.pid, "VmHWM"),
            max_ms=max(a.ms for a in answers), median_ms=statistics.median(a.ms for a in answers),
        )

    def throughput(self) -> None:
        f, r, wrk = self.front_port, self.results, self.wrk
        url = f"http://127.0.0.1:{f}"
        # Not protected (the auth subrequest always says 204): the header is sent only to match.
        for key, path in (("ceiling", "/ceiling/"), ("ceiling_same", "/ceiling-proxied/"), ("ceiling_proxied", "/ceiling-separate/")):
            self.expect(200, f, path)
            r[key] = wrk.run(key, url + path, self.basic)
        for key in ("apr1", "bcrypt"):
            self.check_protected(f"/{key}/", self.basic)
            r[key] = wrk.run(key, f"{url}/{key}/", self.basic)
        self.check_protected("/wicket/", self.bearer)
        r["bearer"] = wrk.run("bearer", url + "/wicket/", self.bearer)
        self.check_protected("/wicket-nokeepalive/", self.bearer)
        r["bearer_noka"] = wrk.run("bearer_noka", url + "/wicket-nokeepalive/", self.bearer)
        self.check_protected("/wicket/", self.basic)  # fills the credential cache (60 s)
        r["basic_cached"] = wrk.run("basic_cached", url + "/wicket/", self.basic)
        self.expect(200, f, "/wicket-bypass/")
        r["bypass"] = wrk.run("bypass", url + "/wicket-bypass/", None)

    def ratio_rounds(self) -> None:
        """Ceiling, Bearer and cached Basic interleaved, so that a busy machine hits all alike."""
        url = f"http://127.0.0.1:{self.front_port}"
        rounds = []
        for i in range(self.opts.rounds):
            self.expect(200, self.front_port, "/wicket/", self.basic)  # keep the cache warm
            rounds.append({
                "ceiling_proxied": self.wrk.run(f"round {i + 1}: ceiling", url + "/ceiling-separate/", self.basic),
                "bearer": self.wrk.run(f"round {i + 1}: bearer", url + "/wicket/", self.bearer),
                "basic_cached": self.wrk.run(f"round {i + 1}: cached basic", url + "/wicket/", self.basic),
            })
        self.report["rounds"] = rounds

    def direct(self) -> None:
        """Without nginx in front: wrk straight at the backends, to see where time goes."""
        w = self.wicketds["wicketd-default"]
        r, hdr = self.results, AUTH_HEADERS
        r["direct_backend"] = self.wrk.run("direct_backend", f"http://127.0.0.1:{self.backend_port}/_204", None)
        r["direct_bearer"] = self.wrk.run("direct_bearer", f"http://127.0.0.1:{w.port}/auth", self.bearer, headers=hdr)
        self.expect(200, w.port, "/auth", self.basic, hdr)
        r["direct_basic"] = self.wrk.run("direct_basic", f"http://127.0.0.1:{w.port}/auth", self.basic, headers=hdr)
        bypass = dict(hdr, **{"X-Original-URI": "/wicket-bypass/"})
        r["direct_bypass"] = self.wrk.run("direct_bypass", f"http://127.0.0.1:{w.port}/auth", None, headers=bypass)

    def sessions(self) -> None:
        """Issue 11: a signed-in browser's cookie through nginx, and what a sign-in POST costs
        beyond the password hash (sign-ins of distinct users vs their uncached Basic checks)."""
        w = self.wicketds["wicketd-default"]
        cookie, _, status = sign_in(w.port, self.user, self.password)
        if not cookie:
            raise BenchError(f"sign-in as {self.user}: status {status}, no session cookie")
        hdr = {"Cookie": cookie}
        self.expect(200, self.front_port, "/wicket/", None, hdr)
        url = f"http://127.0.0.1:{self.front_port}"
        rounds = []
        for i in range(self.opts.rounds):
            rounds.append({
                "ceiling_proxied": self.wrk.run(f"session round {i + 1}: ceiling", url + "/ceiling-separate/", None),
                "session": self.wrk.run(f"session round {i + 1}: session cookie", url + "/wicket/", None, headers=hdr),
            })
        # Distinct users for each side: a sign-in fills the credential cache like a Basic
        # check does, so each user is measured once, uncached, by one of the two.
        posts, checks = [], []
        for i in range(1, self.opts.argon_samples + 1):
            name = f"fresh{i:02}"
            if i % 2:
                checks.append(get(w.port, "/whoami", basic(name, self.password)).ms)
                continue
            _, ms, status = sign_in(w.port, name, self.password)
            if status != 303:
                raise BenchError(f"sign-in as {name}: status {status}")
            posts.append(ms)
        self.report["sessions"] = dict(rounds=rounds, post_ms=posts, basic_ms=checks)

    def run_counted(self, key: str, auth: str) -> None:
        w = self.wicketds["wicketd-ldap"]
        h0, m0 = metric(w.port, "wicket_cache_hits_total"), metric(w.port, "wicket_cache_misses_total")
        self.results[key] = self.wrk.run(key, f"http://127.0.0.1:{self.front_port}/wicket-ldap/", auth)
        self.report[key + "_cache"] = (
            metric(w.port, "wicket_cache_hits_total") - h0, metric(w.port, "wicket_cache_misses_total") - m0)

    def ldap_throughput(self) -> None:
        w = self.wicketds["wicketd-ldap"]
        self.expect_identity(w, self.ldap_basic, "ldap", "benchers")
        self.expect_identity(w, self.basic, "local")
        self.check_protected("/wicket-ldap/", self.basic)
        self.run_counted("ldap_local_cached", self.basic)
        self.check_protected("/wicket-ldap/", self.ldap_basic)
        self.run_counted("ldap_cached", self.ldap_basic)

    def idle_connections(self) -> None:
        """N idle TCP connections held open to wicketd while /auth and the local socket are timed.

        wicketd closes idle connections (the longest idle at its cap, any that sends nothing
        within first_byte_timeout), so a holder thread reopens them: the daemon faces N idle
        connections for the whole window, and each probe round notes how many were open.
        """
        w, n, o = self.wicketds["wicketd-default"], self.opts.idle, self.opts
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft != resource.RLIM_INFINITY and soft < n + 256:
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n + 1024), hard))
        probes = {
            "/auth straight to wicketd (Bearer)": lambda: get(w.port, "/auth", self.bearer, AUTH_HEADERS, 5),
            "/wicket/ through nginx (Bearer)": lambda: get(self.front_port, "/wicket/", self.bearer, timeout=5),
            "socket: authenticate (PAM login)": lambda: socket_request(w.socket_path, {
                "op": "authenticate", "user": self.user, "password": self.password, "service": "bench", "rhost": None}),
            "socket: getpwnam (NSS)": lambda: socket_request(w.socket_path, {"op": "get_pw_nam", "name": self.user}),
        }
        log(f"idle: holding {n} connections to {w.name} that send nothing, {o.idle_rounds} probe rounds")
        holder = IdleHolder(w.port, n, deadline_s=15 + 2 * o.idle_rounds)
        holder.start()
        rows: dict[str, list[tuple[str, float]]] = {k: [] for k in probes}
        open_at: list[int] = []
        try:
            if not holder.full.wait(timeout=15):
                warn(f"idle: only {holder.open_count} of {n} connections open after 15 s")
            for _ in range(o.idle_rounds):
                open_at.append((holder.open_count, len(os.listdir(f"/proc/{w.proc.pid}/fd"))))
                for label, probe in probes.items():
                    t = time.perf_counter()
                    try:
                        a = probe()
                        answer = str(a.status) if isinstance(a, Answer) else a[0].get("status")
                    except Exception as e:  # a probe that fails is the result
                        answer = f"error: {e}"
                    rows[label].append((answer, (time.perf_counter() - t) * 1000))
                time.sleep(1)
        finally:
            holder.stop.set()
            holder.join()
        for label, got in rows.items():
            for answer, _ in got:
                if answer not in IDLE_OK:
                    warn(f"idle: {label} answered {answer}")
                    self.invalid = True
        self.report["idle"] = dict(n=n, rows=rows, open_at=open_at, opened=holder.opened, fill_s=holder.fill_s,
                                   limit=_proc_limit(w.proc.pid, "Max open files"))

    def flood(self) -> None:
        """Bearer p99 through nginx while another client floods wrong Basic passwords at wicketd."""
        o, w = self.opts, self.wicketds["wicketd-nothrottle"]
        url = f"http://127.0.0.1:{self.front_port}/wicket-nothrottle/"
        self.check_protected("/wicket-nothrottle/", self.bearer)
        self.results["probe_idle"] = self.wrk.run("probe_idle", url, self.bearer, threads=1, conns=o.probe_connections)
        bad = 'wicket_auth_decisions_total{scheme="basic",outcome="bad_credentials"}'
        bad0, thr0 = metric(w.port, bad), metric(w.port, "wicket_throttled_total")
        slow0 = metric(w.port, "wicket_slow_verifications_total")
        secs = o.duration + 3
        wrong = basic(self.user, "wrong-" + rand(12))
        argv = ["wrk", "-t1", f"-c{o.flood_connections}", f"-d{secs}s", "--timeout", "60s", "--latency",
                "-H", f"Authorization: {wrong}", f"http://127.0.0.1:{w.port}/auth"]
        log(f"flood: {' '.join(argv[:5])} wrong Basic password -> {w.name}/auth")
        flood = self.procs.start("wrk-flood", argv, self.tmp / "wrk-flood.txt")
        time.sleep(1.5)  # let the flood reach its steady state before the probe
        if flood.poll() is not None:
            raise BenchError("the flood wrk exited early: " + (self.tmp / "wrk-flood.txt").read_text())
        self.expect(200, self.front_port, "/wicket-nothrottle/", self.bearer)
        self.results["probe_flood"] = self.wrk.run("probe_flood", url, self.bearer, threads=1, conns=o.probe_connections)
        if flood.wait(timeout=secs + 30) != 0:
            raise BenchError("the flood wrk failed: " + (self.tmp / "wrk-flood.txt").read_text())
        fr = parse_wrk("flood", f"-t1 -c{o.flood_connections}", (self.tmp / "wrk-flood.txt").read_text())
        argon, throttled = metric(w.port, bad) - bad0, metric(w.port, "wicket_throttled_total") - thr0
        slow = metric(w.port, "wicket_slow_verifications_total") - slow0
        if fr.non2xx != fr.requests:
            warn(f"flood: {fr.requests - fr.non2xx} of {fr.requests} answers were not errors (expected 401)")
            self.invalid = True
        if argon <= 0 or throttled:
            warn(f"flood: {argon} argon2id runs, {throttled} throttled (expected > 0 and 0)")
            self.invalid = True
        self.report["flood"] = dict(result=fr, secs=secs, argon=argon, throttled=throttled, slow=slow)

    def time_many(self, port: int, requests: list[tuple[str, str, int]]) -> dict[str, list[float]]:
        """Times (key, auth, expected status) requests to /whoami, in the order given."""
        out: dict[str, list[float]] = {}
        for key, auth, status in requests:
            out.setdefault(key, []).append(self.expect(status, port, "/whoami", auth).ms)
        return out

    def timings(self) -> None:
        o, w = self.opts, self.wicketds["wicketd-nothrottle"]
        log(f"timing: {o.samples} wrong-password vs {o.samples} unknown-user requests (interleaved) to /whoami")
        wrong, unknown = basic(self.user, "wrong-" + rand(12)), basic("nosuch", "wrong-" + rand(12))
        thr0 = metric(w.port, "wicket_throttled_total")
        seq = []
        for i in range(o.samples):
            pair = [("wrong", wrong, 401), ("unknown", unknown, 401)]
            seq += pair if i % 2 == 0 else pair[::-1]
        t = self.time_many(w.port, seq)
        log(f"timing: {o.argon_samples} uncached correct, fresh wrong and cached correct Basic requests to /whoami")
        seq = []
        for i in range(1, o.argon_samples + 1):
            seq += [("fresh_ok", basic(f"fresh{i:02}", self.password), 200),
                    ("fresh_wrong", basic(self.user, f"wrong-{i}-{rand(8)}"), 401)]
        t |= self.time_many(w.port, seq)
        self.expect(200, w.port, "/whoami", self.basic)
        t |= self.time_many(w.port, [("cached", self.basic, 200)] * o.argon_samples)
        if metric(w.port, "wicket_throttled_total") != thr0:
            raise BenchError("the no-throttle wicketd throttled timing requests")
        self.report["timings"] = t

    def ldap_timings(self) -> None:
        o, wl, wf = self.opts, self.wicketds["wicketd-ldap"], self.wicketds["wicketd-ldapfirst"]
        log(f"timing: {o.argon_samples} uncached local and LDAP logins on each LDAP wicketd, then cached ones")
        self.expect_identity(wf, self.ldap_basic, "ldap", "benchers")
        self.expect_identity(wf, self.basic, "local")
        # Warm-up: a fresh wicketd's first argon2id runs are slower, LDAP pools open on first use.
        for i in range(o.warmup):
            for w in (wl, wf):
                for u in (self.user, self.ldap_user):
                    self.expect(401, w.port, "/whoami", basic(u, f"warm-{i}-{rand(8)}"))
        t: dict[str, list[float]] = {}
        for i in range(1, o.argon_samples + 1):
            a_local, a_ldap = basic(f"fresh{i:02}", self.password), basic(f"lfresh{i:02}", self.ldap_password)
            order = [(wl, "wl-local", a_local), (wl, "wl-ldap", a_ldap), (wf, "wf-ldap", a_ldap), (wf, "wf-local", a_local)]
            for w, key, auth in order if i % 2 else order[::-1]:
                t.setdefault(key, []).append(self.expect(200, w.port, "/whoami", auth).ms)
        self.expect(200, wl.port, "/whoami", self.basic)
        self.expect(200, wl.port, "/whoami", self.ldap_basic)
        misses0 = metric(wl.port, "wicket_cache_misses_total")
        for i in range(o.argon_samples):
            pair = [("wl-local-cached", self.basic), ("wl-ldap-cached", self.ldap_basic)]
            for key, auth in pair if i % 2 == 0 else pair[::-1]:
                t.setdefault(key, []).append(self.expect(200, wl.port, "/whoami", auth).ms)
        missed = metric(wl.port, "wicket_cache_misses_total") - misses0
        if missed:
            warn(f"{missed:.0f} of the cached LDAP/local timing requests missed the cache")
            self.invalid = True
        self.report["ldap_timings"] = t

    def snapshot(self, phase: str) -> None:
        """Each wicketd's VmRSS (kB) and thread count after a phase."""
        self.phases.append((phase, {
            name: (proc_status_kb(w.proc.pid, "VmRSS"), proc_status_kb(w.proc.pid, "Threads"))
            for name, w in self.wicketds.items()
        }))

    def memory(self) -> None:
        self.rss.done.set()
        self.rss.join()
        self.report["memory"] = {
            name: (self.rss.peak_kb[name], proc_status_kb(w.proc.pid, "VmHWM"), proc_status_kb(w.proc.pid, "VmRSS"))
            for name, w in self.wicketds.items()
        }

    def measure(self) -> None:
        self.load_start = Path("/proc/loadavg").read_text().split()[:3]
        t0 = time.monotonic()
        self.phases: list[tuple[str, dict[str, tuple[int, int]]]] = []
        self.snapshot("start")
        for phase in (self.burst, self.throughput, self.ratio_rounds, self.sessions, self.direct, self.ldap_throughput,
                      self.idle_connections, self.flood, self.timings, self.ldap_timings):
            phase()
            self.snapshot(phase.__name__)
        self.memory()
        self.elapsed = time.monotonic() - t0
        self.load_end = Path("/proc/loadavg").read_text().split()[:3]


IDLE_OK = ("200", "ok", "passwd")


class IdleHolder(threading.Thread):
    """Keeps n connections that send nothing open to a port, reopening those the server closes."""

    def __init__(self, port: int, n: int, deadline_s: float) -> None:
        super().__init__(daemon=True)
        self.port, self.n, self.deadline_s = port, n, deadline_s
        self.stop, self.full = threading.Event(), threading.Event()
        self.open_count = self.opened = 0
        self.fill_s = float("nan")

    def run(self) -> None:
        held: list[socket.socket] = []
        t0 = time.monotonic()
        end = t0 + self.deadline_s
        try:
            while not self.stop.is_set() and time.monotonic() < end:
                alive = []
                for s in held:
                    (alive.append(s) if _still_open(s) else s.close())
                held = alive
                while len(held) < self.n and not self.stop.is_set() and time.monotonic() < end:
                    try:
                        c = socket.create_connection(("127.0.0.1", self.port), timeout=2)
                        c.setblocking(False)  # _still_open peeks without waiting
                        held.append(c)
                        self.opened += 1
                    except OSError:
                        break
                    self.open_count = len(held)
                self.open_count = len(held)
                if len(held) >= self.n and not self.full.is_set():
                    self.fill_s = time.monotonic() - t0
                    self.full.set()
                self.stop.wait(0.05)
        finally:
            for s in held:
                s.close()
            self.open_count = 0


def _still_open(s: socket.socket) -> bool:
    try:
        return s.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) != b""
    except BlockingIOError:
        return True
    except OSError:
        return False


def _proc_limit(pid: int, name: str) -> str:
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
        if line.startswith(name):
            return line[len(name):].split()[0]
    return "?"


# --- report ----------------------------------------------------------------------------------


def f2(x: float) -> str:
    return f"{x:.2f}"


def med(xs: list[float]) -> float:
    return statistics.median(xs)


def verdict(ok: bool) -> str:
    return "✅ met" if ok else "❌ missed"


def tool_version(argv: list[str], pattern: str) -> str:
    p = subprocess.run(argv, capture_output=True, text=True)
    m = re.search(pattern, p.stdout + p.stderr)
    return m.group(1) if m else "?"


def machine() -> str:
    model = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} cores ({model})"


def render(b: Bench) -> str:
    o, r, rep = b.opts, b.results, b.report
    ceil = r["ceiling_proxied"].rps
    rev = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    out: list[str] = []
    w = out.append
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    nginx_v, wrk_v = tool_version(["nginx", "-v"], r"nginx/(\S+)"), tool_version(["wrk", "-v"], r"wrk (\S+)")
    w("## Wicket benchmark\n")
    w(f"{now} · commit {rev.stdout.strip() or 'unknown'}{' (+ uncommitted changes)' if dirty else ''} · "
      f"{machine()} · load average {' '.join(b.load_start)} at start, {' '.join(b.load_end)} at end · "
      f"nginx {nginx_v} · wrk {wrk_v} · "
      f"{o.duration} s per wrk run · measuring took {b.elapsed:.0f} s\n")

    cpu_cols = ["nginx-front", "nginx-backend", "wicketd-default", "wrk"]

    def row(key: str, label: str) -> str:
        x = r[key]
        cpu = " | ".join(f"{x.cpu_us.get(c, 0):.0f}" for c in cpu_cols)
        flag = "" if x.valid else " ⚠️ INVALID"
        return (f"| {label} | {x.shape} | {x.rps:,.0f} | {x.p50:.2f} | {x.p99:.2f} | {x.non2xx} / {x.sock_errors}{flag} "
                f"| {x.rps / ceil:.2f}× | {cpu} |")

    w("### Throughput through nginx (wrk, loopback; every protected request must answer 200)\n")
    w("CPU columns: CPU time (user + system) each process group spent during the run, in µs per request.\n")
    w("| Scenario | wrk | req/s | p50 ms | p99 ms | non-2xx / socket errors | vs proxied ceiling "
      "| CPU nginx front | CPU auth backend nginx | CPU wicketd | CPU wrk |")
    w("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for key, label in [
        ("ceiling", "1a. `auth_request` → internal `return 204`"),
        ("ceiling_same", "1b. `auth_request` → `proxy_pass` to a `return 204` server in the same nginx"),
        ("ceiling_proxied", "1c. **proxied ceiling**: `auth_request` → `proxy_pass` to a separate do-nothing nginx (keepalive)"),
        ("apr1", "2a. nginx `auth_basic`, `htpasswd -m` (apr1)"),
        ("bcrypt", f"2b. nginx `auth_basic`, `htpasswd -B` (bcrypt cost {b.bcrypt_cost})"),
        ("bearer", "3. **wicketd Bearer** via `auth_request` (upstream keepalive)"),
        ("basic_cached", "4. **wicketd cached Basic** via `auth_request` (upstream keepalive)"),
        ("bearer_noka", "3b. wicketd Bearer, no upstream keepalive (`--demo` snippet)"),
        ("bypass", "3c. wicketd `bypass` rule, no credential (HTTP + rule match only)"),
    ]:
        w(row(key, label))

    w("\n### Ratio to the proxied ceiling, interleaved rounds (same run, same wrk settings)\n")
    w("| Round | ceiling req/s | Bearer req/s | cached Basic req/s | Bearer / ceiling | cached Basic / ceiling |")
    w("|---|---:|---:|---:|---:|---:|")
    rb, rc = [], []
    for i, rd in enumerate(rep["rounds"], 1):
        c = rd["ceiling_proxied"].rps
        rb.append(rd["bearer"].rps / c)
        rc.append(rd["basic_cached"].rps / c)
        w(f"| {i} | {c:,.0f} | {rd['bearer'].rps:,.0f} | {rd['basic_cached'].rps:,.0f} | {rb[-1]:.2f}× | {rc[-1]:.2f}× |")
    w(f"| median | | | | **{med(rb):.2f}×** | **{med(rc):.2f}×** |")
    w(f"\nTarget ≥ 0.9× the proxied ceiling (issue 9): Bearer {verdict(med(rb) >= 0.9)}, "
      f"cached Basic {verdict(med(rc) >= 0.9)}.\n")

    se = rep["sessions"]
    w("### Browser sessions (issue 11): the session cookie through nginx `auth_request`\n")
    w("| Round | ceiling req/s | session cookie req/s | session / ceiling |")
    w("|---|---:|---:|---:|")
    rs = []
    for i, rd in enumerate(se["rounds"], 1):
        c = rd["ceiling_proxied"].rps
        rs.append(rd["session"].rps / c)
        w(f"| {i} | {c:,.0f} | {rd['session'].rps:,.0f} | {rs[-1]:.2f}× |")
    w(f"| median | | | **{med(rs):.2f}×** |")
    extra = med(se["post_ms"]) - med(se["basic_ms"])
    w(f"\nTarget ≥ 0.9× the proxied ceiling: {verdict(med(rs) >= 0.9)}. A sign-in POST (distinct users, "
      f"n={len(se['post_ms'])}): median {med(se['post_ms']):.2f} ms, against {med(se['basic_ms']):.2f} ms for a "
      f"first Basic check of other fresh users (argon2id both, n={len(se['basic_ms'])}): **{extra:+.2f} ms** beyond the password hash "
      f"(target < 5 ms: {verdict(extra < 5)}).\n")

    w("### Without nginx in front (wrk straight at the auth backend; where the time goes)\n")
    w("| Scenario | wrk | req/s | p50 ms | p99 ms | non-2xx / socket errors | CPU backend µs/req | CPU wrk µs/req |")
    w("|---|---|---:|---:|---:|---:|---:|---:|")
    for key, label, comp in [
        ("direct_backend", "do-nothing nginx `return 204`", "nginx-backend"),
        ("direct_bypass", "wicketd `/auth`, `bypass` rule, no credential", "wicketd-default"),
        ("direct_bearer", "wicketd `/auth`, Bearer", "wicketd-default"),
        ("direct_basic", "wicketd `/auth`, cached Basic", "wicketd-default"),
    ]:
        x = r[key]
        w(f"| {label} | {x.shape} | {x.rps:,.0f} | {x.p50:.2f} | {x.p99:.2f} | {x.non2xx} / {x.sock_errors} "
          f"| {x.cpu_us[comp]:.1f} | {x.cpu_us['wrk']:.1f} |")

    bu = rep["burst"]
    w(f"\n### Burst: {bu['n']} concurrent first requests with one Basic credential (straight to wicketd `/auth`)\n")
    w("| Measurement | Value | Target | Result |")
    w("|---|---:|---|---|")
    w(f"| `wicket_slow_verifications_total` added by the burst | {bu['slow']:.0f} | 1 | {verdict(bu['slow'] == 1)} |")
    w(f"| answers | {', '.join(map(str, bu['statuses']))} | all 200 | {verdict(bu['statuses'] == [200])} |")
    w(f"| slowest / median answer | {bu['max_ms']:.1f} / {bu['median_ms']:.1f} ms | | |")
    w(f"| wicketd VmRSS before → after the burst | {bu['rss_before'] / 1024:.1f} → {bu['rss_after'] / 1024:.1f} MB | | |")

    mem = rep["memory"]
    w("\n### wicketd resident memory over the whole run\n")
    w("Peak of VmRSS sampled every 0.1 s, and the kernel's high-water mark VmHWM at the end.\n")
    w("| Instance | peak VmRSS MB | VmHWM MB | VmRSS at end MB | Target | Result |")
    w("|---|---:|---:|---:|---|---|")
    for name, (peak, hwm, now_kb) in mem.items():
        w(f"| {name} | {peak / 1024:.1f} | {hwm / 1024:.1f} | {now_kb / 1024:.1f} | < {RSS_TARGET_MB} MB "
          f"| {verdict(hwm < RSS_TARGET_MB * 1024)} |")

    names = list(mem)
    w("\nVmRSS MB (threads) of each instance after each phase of the run:\n")
    w("| After | " + " | ".join(names) + " |")
    w("|---|" + "---:|" * len(names))
    for phase, snap in b.phases:
        w(f"| {phase} | " + " | ".join(f"{snap[n][0] / 1024:.1f} ({snap[n][1]})" for n in names) + " |")

    idle = rep["idle"]
    w(f"\n### {idle['n']:,} idle connections held open to wicketd-default\n")
    w(f"wicketd runs under `prlimit --nofile={b.nofile}:{b.nofile}` (its `Max open files`: {idle['limit']}; the unit sets "
      f"{UNIT_NOFILE}), `[server] max_connections` at its default (1024). A client thread keeps {idle['n']:,} "
      f"connections that send nothing open, reopening those wicketd closes (the longest idle one at its cap, any "
      f"silent for `first_byte_timeout`, 5 s): it first held all {idle['n']:,} after {idle['fill_s']:.2f} s and "
      f"opened {idle['opened']:,} in all. At each probe round, connections open on the client side / descriptors "
      f"open in wicketd: {', '.join(f'{c:,} / {d:,}' for c, d in idle['open_at'])} (a connection wicketd has not "
      f"accepted yet waits in the kernel's accept queue and looks open to the client).\n")
    w("| Probe (a new connection each, while the idle ones are held) | Answers | worst ms | Target | Result |")
    w("|---|---|---:|---|---|")
    for label, got in idle["rows"].items():
        worst = max(ms for _, ms in got)
        answers = ", ".join(sorted({a for a, _ in got}))
        ok = worst < 1000 and all(a in IDLE_OK for a, _ in got)
        w(f"| {label} | {answers} ({len(got)}×) | {worst:.1f} | each answered within 1 s | {verdict(ok)} |")

    fl = rep["flood"]
    fr = fl["result"]
    w("\n### Bearer latency while another client floods wrong passwords (no-throttle wicketd)\n")
    w("| Scenario | wrk | req/s | p50 ms | p99 ms | non-2xx / socket errors | Target | Result |")
    w("|---|---|---:|---:|---:|---:|---|---|")
    for key, label, target in (("probe_idle", "5a. Bearer via `auth_request`, no flood", None),
                               ("probe_flood", "5b. Bearer via `auth_request`, during the flood", 10.0)):
        x = r[key]
        res = verdict(x.p99 < target) if target else "-"
        w(f"| {label} | {x.shape} | {x.rps:,.0f} | {x.p50:.2f} | {x.p99:.2f} | {x.non2xx} / {x.sock_errors} "
          f"| {f'p99 < {target:.0f} ms' if target else '-'} | {res} |")
    w(f"| 5c. the flood: wrong Basic password straight to wicketd `/auth` | {fr.shape}, {fl['secs']} s | {fr.rps:,.0f} "
      f"| {fr.p50:.2f} | - | {fr.non2xx} / {fr.sock_errors} (all should be 401) | - | - |")
    w(f"\nDuring the flood: {fl['argon']:.0f} `bad_credentials` decisions, {fl['slow']:.0f} slow verifications "
      f"(argon2id runs, {fl['slow'] / fl['secs']:.0f}/s; concurrent attempts with the same wrong password share one), "
      f"{fl['throttled']:.0f} throttled.\n")

    t = rep["timings"]
    w("### Timings straight to wicketd `/whoami` (new connection each, idle no-throttle wicketd)\n")
    w("| Measurement | n | Median ms | Min ms | Target (on medians) | Result |")
    w("|---|---:|---:|---:|---|---|")
    ratio = med(t["unknown"]) / med(t["wrong"])
    for key, label in (("wrong", "6a. wrong password, existing user"), ("unknown", "6b. unknown user (same password)")):
        w(f"| {label} | {len(t[key])} | {f2(med(t[key]))} | {f2(min(t[key]))} | | |")
    w(f"| 6. ratio unknown / wrong | | {ratio:.2f} | {min(t['unknown']) / min(t['wrong']):.2f} | within 10% "
      f"| {verdict(0.9 <= ratio <= 1.1)} |")
    for key, label in (("fresh_ok", "7a. correct password, uncached (first request of distinct users)"),
                       ("fresh_wrong", "7b. wrong password, fresh each time"), ("cached", "7c. correct password, cached")):
        w(f"| {label} | {len(t[key])} | {f2(med(t[key]))} | {f2(min(t[key]))} | | |")
    w(f"| 7. ≈ argon2id verify = 7b − 7c | | {f2(med(t['fresh_wrong']) - med(t['cached']))} "
      f"| {f2(min(t['fresh_wrong']) - min(t['cached']))} | | |")

    lt = rep["ldap_timings"]
    w("\n### LDAP (local slapd)\n")
    w("| Measurement | Chain | n | Median ms | Min ms |")
    w("|---|---|---:|---:|---:|")
    for key, label, chain in (
        ("wl-local", "8a. local user, uncached (argon2id)", "local → ldap"),
        ("wl-ldap", "8b. LDAP user, uncached (local's dummy argon2id, then search + bind + group search)", "local → ldap"),
        ("wf-ldap", "8c. LDAP user, uncached (search + bind + group search only)", "ldap → local"),
        ("wf-local", "8d. local user, uncached (LDAP finds nothing + timing bind, then argon2id)", "ldap → local"),
        ("wl-local-cached", "8e. local user, cached", "local → ldap"),
        ("wl-ldap-cached", "8f. LDAP user, cached", "local → ldap"),
    ):
        w(f"| {label} | {chain} | {len(lt[key])} | {f2(med(lt[key]))} | {f2(min(lt[key]))} |")
    w(f"| 8. ≈ LDAP search + bind + group search = 8c − 8e | | | {f2(med(lt['wf-ldap']) - med(lt['wl-local-cached']))} "
      f"| {f2(min(lt['wf-ldap']) - min(lt['wl-local-cached']))} |")
    w("\n| Cached Basic through nginx | wrk | req/s | p99 ms | non-2xx / socket errors | vs row 4 | cache hits / misses |")
    w("|---|---|---:|---:|---:|---:|---:|")
    for key, label in (("ldap_local_cached", "9b. local user, wicketd local → ldap"),
                       ("ldap_cached", "9c. LDAP user, wicketd local → ldap")):
        x, (hits, misses) = r[key], rep[key + "_cache"]
        w(f"| {label} | {x.shape} | {x.rps:,.0f} | {x.p99:.2f} | {x.non2xx} / {x.sock_errors} "
          f"| {x.rps / r['basic_cached'].rps:.2f}× | {hits:.0f} / {misses:.0f} |")

    w("\nNotes:")
    w("- Four wicketd instances share one store (argon2id m=19 MiB t=2 p=1): `wicketd-default` (default throttle, "
      "one `bypass` rule for `/wicket-bypass/`) serves rows 3–4, the burst and the idle connections; "
      "`wicketd-nothrottle` (`delays = [\"0s\"]`, `max_failures = 1000000`) rows 5–7, so that wrong passwords "
      "really run argon2id; `wicketd-ldap` (local → ldap) and `wicketd-ldapfirst` (ldap → local) rows 8–9.")
    w(f"- wicketd log filter `{o.log_filter}` (info: audit lines; cached successes once per account per minute), "
      "written to a file; nginx has `access_log off`. Every protected location was checked before its run "
      "(401 without credentials, 200 with). Timings are whole HTTP round trips on a new connection (Python "
      "`http.client`); on a busy machine the minimum is the better estimate of the intrinsic cost.")
    return "\n".join(out) + "\n"


# --- main ------------------------------------------------------------------------------------

TOOLS = {"nginx": "nginx-light", "htpasswd": "apache2-utils", "wrk": "wrk", "curl": "curl", "slapd": "slapd",
         "slapadd": "slapd", "slappasswd": "slapd", "ldapwhoami": "ldap-utils", "prlimit": "util-linux"}


def ensure_tools() -> None:
    missing = sorted({pkg for cmd, pkg in TOOLS.items() if not shutil.which(cmd)})
    if missing:
        if os.geteuid() != 0:
            raise BenchError(f"missing packages {' '.join(missing)}: run as root to install them")
        log(f"installing {' '.join(missing)}")
        # Preseeded: installing slapd creates no directory of its own (the system instance,
        # if any, is never configured, started or stopped here).
        subprocess.run(["debconf-set-selections"], input="slapd slapd/no_configuration boolean true\n", text=True)
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        run(["apt-get", "update"], env=env)
        run(["apt-get", "install", "-y", *missing], env=env)
        still = [c for c in TOOLS if not shutil.which(c)]
        if still:
            raise BenchError(f"{' '.join(still)} still missing after apt-get install")
    for f in ("core", "cosine", "inetorgperson", "nis"):
        if not Path(f"/etc/ldap/schema/{f}.schema").exists():
            raise BenchError(f"/etc/ldap/schema/{f}.schema not found (slapd package incomplete?)")
    if "--with-http_auth_request_module" not in subprocess.run(["nginx", "-V"], capture_output=True, text=True).stderr:
        raise BenchError("this nginx has no auth_request module")


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--duration", type=int, default=10, help="seconds per wrk run [10]")
    p.add_argument("--threads", type=int, default=2, help="wrk threads for the throughput runs [2]")
    p.add_argument("--connections", type=int, default=32, help="wrk connections for the throughput runs [32]")
    p.add_argument("--rounds", type=int, default=3, help="interleaved ceiling/Bearer/Basic rounds for the ratio [3]")
    p.add_argument("--probe-connections", type=int, default=4, help="Bearer client connections during the flood [4]")
    p.add_argument("--flood-connections", type=int, default=32, help="connections of the wrong-password flood [32]")
    p.add_argument("--samples", type=int, default=40, help="requests per kind for the wrong/unknown timing [40]")
    p.add_argument("--argon-samples", type=int, default=20, help="uncached logins per kind [20]")
    p.add_argument("--warmup", type=int, default=10, help="wrong passwords per kind before the LDAP timings [10]")
    p.add_argument("--burst", type=int, default=32, help="concurrent first requests with one credential [32]")
    p.add_argument("--idle", type=int, default=2000, help="idle connections held open [2000]")
    p.add_argument("--idle-rounds", type=int, default=3, help="probe rounds while they are held (1 s apart) [3]")
    p.add_argument("--log-filter", default=os.environ.get("WICKET_LOG", "info"), help="wicketd's WICKET_LOG [info]")
    p.add_argument("--no-build", action="store_true", help="use the existing target/release binaries")
    p.add_argument("--keep-tmp", action="store_true", help="keep the temporary directory (logs, configs)")
    o = p.parse_args()
    for k in ("duration", "threads", "connections", "rounds", "samples", "argon_samples", "burst", "idle", "idle_rounds"):
        if getattr(o, k) < 1:
            p.error(f"--{k.replace('_', '-')} must be at least 1")
    return o


def run_bench(prefix: str, keep_tmp: bool, make, body, close=None) -> int:
    """The frame every bench runs in: SIGTERM and Ctrl-C unwind, a temporary directory,
    `make(tmp, procs)` builds the bench and `body(bench)` returns its report (printed on
    stdout); every process started is stopped at the end, then `close(bench)` runs; on a
    failure the servers' last log lines go to stderr. Exit status: 0, 1 on a failure or an
    INVALID measurement (`bench.invalid`), 130 on Ctrl-C."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started with SIGINT ignored
    procs = Processes()
    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    bench = make(tmp, procs)
    failed = False  # a failure (not an interruption): show what the servers said
    try:
        print(body(bench))
    except BenchError as e:
        failed = True
        print(f"bench: FAILED: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bench: interrupted", file=sys.stderr)
        return 130
    except Exception:
        failed = True
        raise
    finally:
        procs.stop_all()
        if close:
            close(bench)
        if failed:
            for f in sorted(tmp.glob("**/*.log")):
                if f.stat().st_size:
                    print(f"--- last lines of {f}", file=sys.stderr)
                    print("\n".join(f.read_text(errors="replace").splitlines()[-15:]), file=sys.stderr)
        if keep_tmp:
            print(f"bench: kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    if bench.invalid:
        print("\nbench: some measurements are INVALID (see the warnings above)", file=sys.stderr)
        return 1
    return 0


def main() -> int:
    opts = parse_args()

    def body(bench: Bench) -> str:
        ensure_tools()
        bench.setup()
        bench.measure()
        return render(bench)

    return run_bench("wicket-bench.", opts.keep_tmp, lambda tmp, procs: Bench(opts, tmp, procs), body,
                     close=lambda bench: bench.rss.done.set())


if __name__ == "__main__":
    sys.exit(main())
