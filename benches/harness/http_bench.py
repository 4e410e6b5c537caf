"""One HTTP measurement with wrk against a loopback server: latency (one connection, requests
back to back on a kept-alive connection — a tight loopback client, so the figure is the server's
time plus well under a millisecond of loopback) or throughput (N connections). The answer is
checked once before timing (status 200, optionally a Python expression over the JSON body such
as `len(j["results"]) == 100`), and every timed request must answer 2xx. Optionally samples the
server's RSS from /proc during the load. Prints BENCH lines.

  http_bench.py --row ROW --backend B --url URL [--connections 16] [--duration 10]
                [--stat p50|rps] --target N --cmp '<='|'>=' [--check EXPR] [--contains TEXT]
                [--header 'K: V']
                [--rss-pid PID --rss-row ROW]
"""

import argparse
import json
import os
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    raise RuntimeError(f"no VmRSS for {pid}")


class RssPeak:
    """Samples a process's RSS every 50 ms while the `with` block runs."""

    def __init__(self, pid):
        self.pid, self.peak, self._stop = pid, 0.0, threading.Event()

    def __enter__(self):
        self.peak = rss_mb(self.pid)
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()
        return self

    def _run(self):
        while not self._stop.wait(0.05):
            try:
                self.peak = max(self.peak, rss_mb(self.pid))
            except (OSError, RuntimeError):
                return

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()


def loopback(url):
    host = urllib.parse.urlsplit(url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        sys.exit(f"http_bench: only loopback targets, not {host}")


def check(url, headers, expr, contains):
    req = urllib.request.Request(url, headers=dict(h.split(": ", 1) for h in headers))
    with urllib.request.urlopen(req, timeout=120) as r:
        body = r.read()
        if r.status != 200:
            sys.exit(f"http_bench: {url} answered {r.status}")
    if contains and contains.encode() not in body:
        sys.exit(f"http_bench: {url}: the answer lacks {contains!r}")
    if expr:
        j = json.loads(body)
        if not eval(expr, {"j": j, "len": len}):  # noqa: S307 — our own expression, from bench.sh
            sys.exit(f"http_bench: {url}: check failed: {expr}")
    return len(body)


def wrk(url, connections, duration, headers, timeout):
    threads = min(2, connections)
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", f"--timeout={timeout}s",
           "-s", os.path.join(HERE, "wrk.lua"), url]
    env = dict(os.environ, WRK_HEADERS="|".join(headers))
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=duration + timeout + 30)
    line = next((l for l in out.stdout.splitlines() if l.startswith("WRK ")), None)
    if line is None:
        sys.exit(f"http_bench: wrk printed no result:\n{out.stdout}\n{out.stderr}")
    r = json.loads(line[4:])
    errors = sum(r["errors"].values())
    if r["requests"] == 0 or errors:
        sys.exit(f"http_bench: {url}: {r['requests']} requests, errors {r['errors']}")
    return r


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--row", required=True)
    p.add_argument("--backend")
    p.add_argument("--url", required=True)
    p.add_argument("--connections", type=int, default=1)
    p.add_argument("--duration", type=int, default=5)
    p.add_argument("--timeout", type=int, default=30)
    p.add_argument("--stat", choices=["p50", "rps"], default="p50")
    p.add_argument("--target", type=float)
    p.add_argument("--cmp", default="<=")
    p.add_argument("--check")
    p.add_argument("--contains", help="a string the (uncompressed) answer must hold")
    p.add_argument("--header", action="append", default=[])
    p.add_argument("--rss-pid", type=int)
    p.add_argument("--rss-row")
    p.add_argument("--note", default="")
    a = p.parse_args()
    loopback(a.url)

    size = check(a.url, a.header, a.check, a.contains)  # also the warm-up (cold caches)
    t0 = time.perf_counter()
    check(a.url, a.header, None, None)
    # A request slower than the planned time would leave wrk with nothing to count (a busy machine,
    # a slow build): allow each connection a few of them (on 2 cores, c connections make each
    # request about c/2 times slower), within two minutes, and a timeout none should reach.
    share = (time.perf_counter() - t0) * max(1, a.connections / 2)
    a.duration = max(a.duration, min(120, int(share * 4) + 1))
    a.timeout = max(a.timeout, min(300, int(share * 4) + 1))
    if a.rss_pid:
        with RssPeak(a.rss_pid) as rss:
            r = wrk(a.url, a.connections, a.duration, a.header, a.timeout)
    else:
        r = wrk(a.url, a.connections, a.duration, a.header, a.timeout)
    rps = r["requests"] / (r["duration_us"] / 1e6)
    ms = lambda us: us / 1000.0
    lat = f"p50 {ms(r['p50_us']):.1f} ms, p95 {ms(r['p95_us']):.1f} ms, max {ms(r['max_us']):.1f} ms"
    note = f"{a.note}; " if a.note else ""
    if a.stat == "rps":
        value, unit = rps, "requests/s"
        note += f"{a.connections} connections, {r['requests']:,} requests in {a.duration} s; {lat}"
    else:
        value, unit = ms(r["p50_us"]), "ms"
        note += f"{lat}; {r['requests']:,} requests on {a.connections} connection(s)"
        if a.connections > 1:
            note += f", {rps:.1f} requests/s"
    note += f"; {size / 1e3:,.1f} KB an answer"
    print("BENCH " + json.dumps({"row": a.row, "backend": a.backend, "value": value, "unit": unit,
                                 "cmp": a.cmp, "target": a.target, "note": note}))
    if a.rss_pid and a.rss_row:
        print("BENCH " + json.dumps({"row": a.rss_row, "backend": a.backend, "value": rss.peak, "unit": "MB",
                                     "cmp": "<=", "target": 150, "note": f"peak RSS during: {a.row}"}))


if __name__ == "__main__":
    main()
