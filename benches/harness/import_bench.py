"""One import of the bench (issue 10), timed from outside: run a command — `assay import`,
`promptfoo import`, or inspect_ai reading its own log — to its end, take its wall time and its
peak RSS (the kernel's ru_maxrss of the process tree it waited for) and print an `IMPORT {json}`
line; for `assay import` also check that it imported the expected number of results and print
the `BENCH` rows of the table.

  import_bench.py --name NAME --file FILE --results N --log LOG [--backend B] [--row ROW]
                  [--rss-row ROW] [--ref IMPORT_JSON [--rate-factor 10]] [--rss-target 200]
                  [--server-pid PID] [--assay] -- CMD…

--ref is the IMPORT line of the tool the figure is set beside (promptfoo import of the same file),
named in the row's note with the ratio of the rates; with --rate-factor the row's target is that
many times its rate.
"""

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import time

# `assay import`'s summary: "1 file(s): 1 run(s) imported (50000 results), 0 run(s) already …"
SUMMARY = re.compile(r"(\d+) file\(s\): (\d+) run\(s\) imported \((\d+) results\), (\d+) run\(s\) already imported, "
                     r"(\d+) file\(s\) refused")


def vm_hwm_mb(pid):
    """A running process's peak RSS so far (VmHWM)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise SystemExit(f"import_bench: no VmHWM for pid {pid}")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--name", required=True)
    p.add_argument("--file", required=True)
    p.add_argument("--results", type=int, required=True)
    p.add_argument("--backend")
    p.add_argument("--row")
    p.add_argument("--rss-row")
    p.add_argument("--ref")
    p.add_argument("--rate-factor", type=float)
    p.add_argument("--rss-target", type=float, default=200.0)
    p.add_argument("--assay", action="store_true")
    p.add_argument("--server-pid", type=int, help="a server the command pushes to: its peak RSS is a row too")
    p.add_argument("--log", required=True)
    p.add_argument("cmd", nargs="+")
    a = p.parse_args()

    t0 = time.perf_counter()
    with open(a.log, "w") as log:
        proc = subprocess.Popen(a.cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        code = proc.wait()
    secs = time.perf_counter() - t0
    rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    text = open(a.log, errors="replace").read()
    if code != 0:
        sys.exit(f"import_bench: {a.name} exited {code}; its last lines:\n" + "\n".join(text.splitlines()[-15:]))
    if a.assay:
        m = SUMMARY.search(text)
        if not m:
            sys.exit(f"import_bench: {a.name} printed no summary:\n{text[-2000:]}")
        files, runs, results, already, refused = map(int, m.groups())
        if (results, already, refused) != (a.results, 0, 0):
            sys.exit(f"import_bench: {a.name} imported {results} results ({already} runs already there, {refused} "
                     f"files refused); expected {a.results} new: {m.group(0)}")
    rate = a.results / secs
    size_mb = os.path.getsize(a.file) / 1e6
    rec = {"name": a.name, "backend": a.backend, "file": os.path.basename(a.file), "size_mb": size_mb,
           "results": a.results, "seconds": secs, "rate": rate, "rss_mb": rss_mb}
    print("IMPORT " + json.dumps(rec))
    if not a.row:
        return
    # An empty reference: that tool's own measurement failed (and was reported); no comparison.
    ref = json.loads(open(a.ref).read().split(" ", 1)[1]) if a.ref and os.path.getsize(a.ref) else None
    note = f"{a.results:,} results from {rec['file']} ({size_mb:,.0f} MB) in {secs:,.1f} s, peak RSS {rss_mb:,.0f} MB"
    target = None
    if ref:
        target = a.rate_factor * ref["rate"] if a.rate_factor else None
        note += (f"; {ref['name']} of the same file: {ref['seconds']:,.0f} s ({ref['rate']:,.0f} results/s, peak RSS "
                 f"{ref['rss_mb']:,.0f} MB) → {rate / ref['rate']:,.1f}× its rate")
    print("BENCH " + json.dumps({"row": a.row, "backend": a.backend, "value": rate, "unit": "results/s", "cmp": ">=",
                                 "target": target, "note": note}))
    if a.rss_row:
        print("BENCH " + json.dumps({"row": a.rss_row, "backend": a.backend, "value": rss_mb, "unit": "MB",
                                     "cmp": "<=", "target": a.rss_target,
                                     "note": f"ru_maxrss of `{a.name}` ({rec['file']}, {size_mb:,.0f} MB)"}))
    if a.server_pid:
        print("BENCH " + json.dumps({"row": "import_server_rss", "backend": a.backend, "value": vm_hwm_mb(a.server_pid),
                                     "unit": "MB", "cmp": "<=", "target": a.rss_target,
                                     "note": f"VmHWM of the `assay serve` that `{a.name}` pushed {rec['file']} to "
                                             "(started just before)"}))


if __name__ == "__main__":
    main()
