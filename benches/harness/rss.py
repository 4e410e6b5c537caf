"""Server memory from /proc: `now` (RSS at this moment, after an optional settle) and `stream`
(peak RSS while one client reads a whole streamed JSON array, which is then checked for its
length). Prints BENCH lines.

  rss.py now    --pid PID --row ROW --backend B [--settle 5] [--note TEXT]
  rss.py stream --pid PID --row ROW --backend B --url URL --expect N
"""

import argparse
import json
import sys
import time
import urllib.request

from http_bench import RssPeak, loopback, rss_mb


def emit(row, backend, value, note):
    print("BENCH " + json.dumps({"row": row, "backend": backend, "value": value, "unit": "MB", "cmp": "<=",
                                 "target": 150, "note": note}))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["now", "stream"])
    p.add_argument("--pid", type=int, required=True)
    p.add_argument("--row", required=True)
    p.add_argument("--backend")
    p.add_argument("--settle", type=float, default=0)
    p.add_argument("--url")
    p.add_argument("--expect", type=int)
    p.add_argument("--note", default="")
    a = p.parse_args()
    if a.mode == "now":
        time.sleep(a.settle)
        emit(a.row, a.backend, rss_mb(a.pid), a.note or (f"{a.settle:.0f} s after the load" if a.settle else ""))
        return
    loopback(a.url)
    chunks, t0 = [], time.perf_counter()
    with RssPeak(a.pid) as rss:
        with urllib.request.urlopen(a.url, timeout=600) as r:
            if r.status != 200:
                sys.exit(f"rss: {a.url} answered {r.status}")
            while True:
                c = r.read(1 << 16)
                if not c:
                    break
                chunks.append(c)
    secs = time.perf_counter() - t0
    body = b"".join(chunks)
    n = len(json.loads(body))
    if a.expect is not None and n != a.expect:
        sys.exit(f"rss: {a.url} streamed {n} results, not {a.expect}")
    emit(a.row, a.backend, rss.peak,
         f"peak while streaming {n:,} results ({len(body) / 1e6:.1f} MB in {secs:.1f} s)")


if __name__ == "__main__":
    main()
