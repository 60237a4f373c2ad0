#!/usr/bin/env python3
"""Wicket benchmark, one row per proxy: Apache, Caddy, Traefik, Envoy and HAProxy guarding a
trivial application with wicketd, each against its own ceiling in the same run.

Run as root on Debian 12 from anywhere in the repository, after `scripts/test.sh` has
installed the proxies (or with them installed as it does):

    python3 scripts/bench_proxies.py                  # 5 s per wrk run, about 5 minutes
    python3 scripts/bench_proxies.py --only caddy     # one proxy
    python3 scripts/bench_proxies.py --help

Each proxy runs from its example in docs/examples/ with only ports and paths changed (as the
tests do), in three forms started side by side:
- **ceiling**: the same configuration with the gate taken out (the forward-auth step, the
  Lua action, the FastCGI authorizer), straight to the application;
- **trivial auth** (forward-auth proxies): the example unchanged but asking a do-nothing
  nginx that answers 200 to everything instead of wicketd;
- **wicketd**: the example as documented, with a Bearer token and with cached Basic.
Runs are interleaved in rounds so that a busy machine hits every column alike; the report
gives the median requests per second and each wicketd column as a share of the ceiling and
of the trivial auth service. The application is one nginx answering 200 "ok".

Exit status: 0 when every measurement was valid; 1 on a setup failure or when a request
that should have been accepted was not; 130 on Ctrl-C.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import (  # noqa: E402  (the shared helpers of scripts/bench.py)
    ROOT,
    TEMPLATES,
    BenchError,
    Processes,
    basic,
    fill,
    free_port,
    get,
    log,
    parse_wrk,
    rand,
    release_binaries,
    run_bench,
    run,
    wait_until,
    warn,
)

EXAMPLES = ROOT / "docs" / "examples"
APACHE_MODULES = "/usr/lib/apache2/modules"
HOST = "app.example.org"


def swap(text: str, old: str, new: str, what: str) -> str:
    """Replaces `old` (which must be there: the example changed shape otherwise)."""
    if old not in text:
        raise BenchError(f"{what}: {old!r} not found: the example changed shape")
    return text.replace(old, new)


def cut(text: str, pattern: str, what: str) -> str:
    """Removes what `pattern` (multi-line, dot matches newline) matches, at least once."""
    out, n = re.subn(pattern, "", text, flags=re.S | re.M)
    if n == 0:
        raise BenchError(f"{what}: the gate to take out was not found: the example changed shape")
    return out


class Proxy:
    """One proxy: how its example is filled in, how its gate is taken out, how it starts."""

    name = ""
    binary = ""
    forward_auth = True  # asks an HTTP auth service (a trivial one can stand in)

    def __init__(self, tmp: Path, procs: Processes, taken: set[int]) -> None:
        self.tmp, self.procs, self.taken = tmp, procs, taken

    def version(self) -> str:
        return ""

    def config(self, auth_port: int | None, app: int, port: int) -> str:
        raise NotImplementedError

    def start(self, label: str, text: str, port: int, d: Path) -> subprocess.Popen:
        raise NotImplementedError

    def launch(self, label: str, auth_port: int | None, app: int) -> int:
        """Starts one form (auth_port None: the ceiling); returns its port once it routes the site
        (Traefik answers 404 until its file provider has loaded the routers)."""
        port = free_port(self.taken)
        d = self.tmp / f"{self.name}-{label}"
        d.mkdir()
        d.chmod(0o755)
        p = self.start(label, self.config(auth_port, app, port), port, d)
        wait_until(f"{self.name} ({label})", p, lambda: get(port, "/app/", headers={"Host": HOST}, timeout=1).status in (200, 401))
        return port


class Apache(Proxy):
    name, binary, forward_auth = "apache", "apache2", False

    def version(self) -> str:
        out = run([self.binary, "-v"]).stdout
        m = re.search(r"Apache/(\S+)", out)
        return m.group(1) if m else "?"

    def config(self, auth_port, app, port):
        text = (EXAMPLES / "apache.conf").read_text()
        text = swap(text, "127.0.0.1:8080", f"127.0.0.1:{app}", "apache.conf")
        text = swap(text, "<VirtualHost *:80>", f"<VirtualHost *:{port}>", "apache.conf")
        if auth_port is None:
            for pattern in (r"^\s*Auth(Type|Name) .*?\n", r"^\s*AuthnzFcgiCheckAuthnProvider .*?[^\\]\n",
                            r"^\s*CGIPassAuth .*?\n"):
                text = cut(text, pattern, "apache.conf")
            return swap(text, "Require valid-user", "Require all granted", "apache.conf")
        return swap(text, "127.0.0.1:8090", f"127.0.0.1:{auth_port}", "apache.conf")

    def start(self, label, text, port, d):
        modules = ["mpm_event", "authn_core", "authz_core", "authz_user", "authnz_fcgi", "setenvif", "headers",
                   "proxy", "proxy_http"]
        loads = "".join(f"LoadModule {m}_module {APACHE_MODULES}/mod_{m}.so\n" for m in modules)
        (d / "site.conf").write_text(text.replace("/var/www/html", str(d)))
        (d / "httpd.conf").write_text(
            f"ServerRoot {d}\nDefaultRuntimeDir {d}\nPidFile {d}/httpd.pid\nErrorLog {d}/error.log\n"
            f"LogLevel warn\nListen 127.0.0.1:{port}\nServerName localhost\nUser www-data\nGroup www-data\n"
            f"KeepAliveTimeout 30\nMaxKeepAliveRequests 0\n{loads}Include {d}/site.conf\n"
        )
        return self.procs.start(f"apache-{label}", [self.binary, "-f", str(d / "httpd.conf"), "-DFOREGROUND"],
                                d / "stdout.log")


class Caddy(Proxy):
    name, binary = "caddy", "caddy"

    def version(self) -> str:
        return run([self.binary, "version"]).stdout.split()[0]

    def config(self, auth_port, app, port):
        text = (EXAMPLES / "Caddyfile").read_text()
        text = swap(text, "127.0.0.1:8080", f"127.0.0.1:{app}", "Caddyfile")
        for site in (HOST, "admin.example.org"):
            text = swap(text, f"\n{site} {{", f"\nhttp://{site}:{port} {{", "Caddyfile")
        if auth_port is None:
            text = cut(text, r"^\t\tforward_auth [^\n]*\{\n.*?^\t\t\}\n", "Caddyfile")
        else:
            text = swap(text, "127.0.0.1:8089", f"127.0.0.1:{auth_port}", "Caddyfile")
        return "{\n\tadmin off\n\tauto_https off\n}\n" + text

    def start(self, label, text, port, d):
        (d / "Caddyfile").write_text(text)
        env = dict(os.environ, HOME=str(d), XDG_DATA_HOME=str(d), XDG_CONFIG_HOME=str(d))
        return self.procs.start(f"caddy-{label}", [self.binary, "run", "--adapter", "caddyfile", "--config",
                                                   str(d / "Caddyfile")], d / "caddy.log", env=env)


class Traefik(Proxy):
    name, binary = "traefik", "traefik"

    def version(self) -> str:
        m = re.search(r"Version:\s+(\S+)", run([self.binary, "version"]).stdout)
        return m.group(1) if m else "?"

    def config(self, auth_port, app, port):
        text = (EXAMPLES / "traefik.yml").read_text()
        text = swap(text, "127.0.0.1:8080", f"127.0.0.1:{app}", "traefik.yml")
        if auth_port is None:
            return swap(text, "middlewares: [wicket, no-credentials]", "middlewares: [no-credentials]", "traefik.yml")
        return swap(text, "127.0.0.1:8089", f"127.0.0.1:{auth_port}", "traefik.yml")

    def start(self, label, text, port, d):
        (d / "dynamic.yml").write_text(text)
        argv = [self.binary, f"--entryPoints.web.address=127.0.0.1:{port}",
                f"--providers.file.filename={d / 'dynamic.yml'}", "--global.checkNewVersion=false",
                "--global.sendAnonymousUsage=false", "--log.level=ERROR"]
        return self.procs.start(f"traefik-{label}", argv, d / "traefik.log")


class Envoy(Proxy):
    name, binary = "envoy", "envoy"

    def version(self) -> str:
        m = re.search(r"version: \S+/(\d+\.\d+\.\d+)", run([self.binary, "--version"]).stdout)
        return m.group(1) if m else "?"

    def config(self, auth_port, app, port):
        text = (EXAMPLES / "envoy.yaml").read_text()
        text = swap(text, "address: 0.0.0.0\n        port_value: 80\n",
                    f"address: 127.0.0.1\n        port_value: {port}\n", "envoy.yaml")
        text = swap(text, "port_value: 8080", f"port_value: {app}", "envoy.yaml")
        if auth_port is None:
            return cut(text, r"^(\s*)- name: envoy\.filters\.http\.ext_authz\n.*?(?=^\1- name: envoy\.filters\.http\.router)",
                       "envoy.yaml")
        text = swap(text, "uri: http://127.0.0.1:8089", f"uri: http://127.0.0.1:{auth_port}", "envoy.yaml")
        return swap(text, "port_value: 8089", f"port_value: {auth_port}", "envoy.yaml")

    def start(self, label, text, port, d):
        (d / "envoy.yaml").write_text(text)
        argv = [self.binary, "-c", str(d / "envoy.yaml"), "--disable-hot-restart", "--log-level", "error",
                "--base-id", str(port)]
        return self.procs.start(f"envoy-{label}", argv, d / "envoy.log")


class Haproxy(Proxy):
    name, binary = "haproxy", "haproxy"

    def version(self) -> str:
        m = re.search(r"version (\S+)", run([self.binary, "-v"]).stdout)
        return m.group(1) if m else "?"

    def config(self, auth_port, app, port):
        text = (EXAMPLES / "haproxy.cfg").read_text()
        text = swap(text, "127.0.0.1:8080", f"127.0.0.1:{app}", "haproxy.cfg")
        text = swap(text, "bind :80\n", f"bind 127.0.0.1:{port}\n", "haproxy.cfg")
        if auth_port is None:
            return cut(text, r"^\s*http-request lua\.wicket [^\n]*\n", "haproxy.cfg")
        return swap(text, "127.0.0.1:8089", f"127.0.0.1:{auth_port}", "haproxy.cfg")

    def start(self, label, text, port, d):
        script = d / "wicket.lua"
        shutil.copy(EXAMPLES / "wicket.lua", script)
        (d / "haproxy.cfg").write_text(swap(text, "/etc/haproxy/wicket.lua", str(script), "haproxy.cfg"))
        return self.procs.start(f"haproxy-{label}", [self.binary, "-db", "-f", str(d / "haproxy.cfg")],
                                d / "haproxy.log")


PROXIES = {p.name: p for p in (Apache, Caddy, Traefik, Envoy, Haproxy)}


class Bench:
    def __init__(self, opts: argparse.Namespace, tmp: Path, procs: Processes) -> None:
        self.opts, self.tmp, self.procs = opts, tmp, procs
        self.taken: set[int] = set()
        self.invalid = False
        self.rows: list[dict] = []

    def nginx(self, name: str) -> int:
        port = free_port(self.taken)
        d = self.tmp / name
        (d / "tmp").mkdir(parents=True)
        fill(TEMPLATES / "nginx-trivial.conf.in", d / "nginx.conf", TMP=d, PORT=port)
        args = ["nginx", "-p", f"{d}/", "-c", str(d / "nginx.conf"), "-e", str(d / "error.log")]
        p = self.procs.start(name, args + ["-g", "daemon off;"], d / "stdout.log")
        wait_until(name, p, lambda: get(port, "/", timeout=1).status == 200)
        return port

    def setup(self) -> None:
        bins = release_binaries(self.opts.no_build)
        self.tmp.chmod(0o755)
        (self.tmp / "private").mkdir(mode=0o700)
        db = self.tmp / "private" / "wicket.db"
        self.http_port, self.fcgi_port = free_port(self.taken), free_port(self.taken)
        cfg = self.tmp / "wicketd.toml"
        fill(TEMPLATES / "wicketd.toml.in", cfg, PORT=self.http_port, TMP=self.tmp, NAME="wicketd", DB=db,
             DELAYS='["1s", "1s", "5s"]', MAX_FAILURES=5)
        with open(cfg, "a") as f:
            f.write(f'\n[fastcgi]\nlisten = "127.0.0.1:{self.fcgi_port}"\n\n[[backend]]\nkind = "local"\n')
        cli = [str(bins / "wicket"), "--config", str(cfg), "--db", str(db)]
        password = rand(20)
        run(cli + ["user", "add", "bench", "--password-stdin"], input=password + "\n")
        token = run(cli + ["token", "create", "bench", "--name", "bench"]).stdout.strip()
        self.basic, self.bearer = basic("bench", password), f"Bearer {token}"
        env = dict(os.environ, WICKET_LOG="warn,wicketd=info")
        p = self.procs.start("wicketd", [str(bins / "wicketd"), "--config", str(cfg)], self.tmp / "wicketd.log", env=env)
        wait_until("wicketd", p, lambda: get(self.http_port, "/healthz", timeout=1).status == 200)
        self.app = self.nginx("nginx-app")
        self.trivial = self.nginx("nginx-trivial-auth")

    def expect(self, status: int, port: int, auth: str | None, what: str) -> None:
        got = get(port, "/app/", auth, {"Host": HOST}).status
        if got != status:
            raise BenchError(f"{what}: GET /app/ answered {got}, expected {status}")

    def wrk(self, label: str, port: int, auth: str | None) -> float:
        o = self.opts
        argv = ["wrk", f"-t{o.threads}", f"-c{o.connections}", f"-d{o.duration}s", "--latency", "--timeout", "10s",
                "-H", f"Host: {HOST}"]
        if auth:
            argv += ["-H", f"Authorization: {auth}"]
        log(f"wrk {label}")
        p = subprocess.run(argv + [f"http://127.0.0.1:{port}/app/"], capture_output=True, text=True)
        if p.returncode:
            raise BenchError(f"wrk {label}: {p.stderr or p.stdout}")
        r = parse_wrk(label, "", p.stdout)
        if not r.valid:
            warn(f"{label}: {r.non2xx} non-2xx and {r.sock_errors} socket errors of {r.requests}: INVALID")
            self.invalid = True
        return r.rps

    def measure(self, proxy: Proxy) -> None:
        n = proxy.name
        auth = self.fcgi_port if not proxy.forward_auth else self.http_port
        ports = {"ceiling": proxy.launch("ceiling", None, self.app), "wicketd": proxy.launch("wicketd", auth, self.app)}
        if proxy.forward_auth:
            ports["trivial"] = proxy.launch("trivial", self.trivial, self.app)
            self.expect(200, ports["trivial"], None, f"{n} with the trivial auth service")
        self.expect(200, ports["ceiling"], None, f"{n} ceiling")
        self.expect(401, ports["wicketd"], None, f"{n} with wicketd, no credentials")
        self.expect(200, ports["wicketd"], self.bearer, f"{n} with wicketd, Bearer")
        self.expect(200, ports["wicketd"], self.basic, f"{n} with wicketd, Basic")  # fills the cache
        runs = {k: [] for k in ("ceiling", "trivial", "bearer", "basic")}
        for i in range(self.opts.rounds):
            runs["ceiling"].append(self.wrk(f"{n} round {i + 1}: ceiling", ports["ceiling"], None))
            if "trivial" in ports:
                runs["trivial"].append(self.wrk(f"{n} round {i + 1}: trivial auth", ports["trivial"], None))
            runs["bearer"].append(self.wrk(f"{n} round {i + 1}: wicketd Bearer", ports["wicketd"], self.bearer))
            runs["basic"].append(self.wrk(f"{n} round {i + 1}: wicketd cached Basic", ports["wicketd"], self.basic))
        self.rows.append({"proxy": n, "version": proxy.version(),
                          **{k: statistics.median(v) if v else None for k, v in runs.items()}})

    def report(self) -> str:
        o = self.opts
        out = [f"## Proxies ({datetime.date.today()}, {platform.node()}, {os.cpu_count()} cores; wrk -t{o.threads} "
               f"-c{o.connections} -d{o.duration}s, median of {o.rounds} interleaved rounds)", "",
               "| proxy | version | ceiling req/s | trivial auth req/s | wicketd Bearer req/s | cached Basic req/s "
               "| Bearer / ceiling | Bearer / trivial auth | Basic / trivial auth |",
               "|---|---|---|---|---|---|---|---|---|"]

        def ratio(a, b):
            return f"{a / b:.2f}" if a and b else "—"

        for r in self.rows:
            trivial = f"{r['trivial']:.0f}" if r["trivial"] else "—"
            out.append(f"| {r['proxy']} | {r['version']} | {r['ceiling']:.0f} | {trivial} | {r['bearer']:.0f} | "
                       f"{r['basic']:.0f} | {ratio(r['bearer'], r['ceiling'])} | {ratio(r['bearer'], r['trivial'])} | "
                       f"{ratio(r['basic'], r['trivial'])} |")
        out += ["", "Ceiling: the proxy's example with the gate taken out. Trivial auth: the example asking an nginx "
                "that answers 200 to everything instead of wicketd (Apache's FastCGI authorizer has no such "
                "stand-in). Everything on one 2-core machine: the proxy, wicketd, nginx and wrk share the cores."]
        return "\n".join(out) + "\n"


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--duration", type=int, default=5, help="seconds per wrk run [5]")
    p.add_argument("--threads", type=int, default=2, help="wrk threads [2]")
    p.add_argument("--connections", type=int, default=32, help="wrk connections [32]")
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds per proxy [3]")
    p.add_argument("--only", action="append", choices=sorted(PROXIES), help="measure only this proxy (repeatable)")
    p.add_argument("--no-build", action="store_true", help="use the existing target/release binaries")
    p.add_argument("--keep-tmp", action="store_true", help="keep the temporary directory (logs, configs)")
    o = p.parse_args()
    for k in ("duration", "threads", "connections", "rounds"):
        if getattr(o, k) < 1:
            p.error(f"--{k} must be at least 1")
    return o


def main() -> int:
    opts = parse_args()
    names = opts.only or list(PROXIES)
    missing = [n for n in ["wrk", "nginx"] + [PROXIES[n].binary for n in names] if not shutil.which(n)]
    if missing:
        print(f"bench: missing {' '.join(missing)} (scripts/test.sh installs the proxies; apt-get install wrk "
              "nginx-light)", file=sys.stderr)
        return 1

    def body(bench: Bench) -> str:
        bench.setup()
        for n in names:
            bench.measure(PROXIES[n](bench.tmp, bench.procs, bench.taken))
        return bench.report()

    return run_bench("wicket-bench-proxies.", opts.keep_tmp, lambda tmp, procs: Bench(opts, tmp, procs), body)


if __name__ == "__main__":
    sys.exit(main())
