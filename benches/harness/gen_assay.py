"""Write the read benchmarks' database through Assay's real API (a running `assay serve`):

- `--runs` finished runs × `--per-run` results on 10 benches (the list-runs database; the SPEC's
  10,000 × 200 = 2M results), spread over three channels, two branches and a few triggerers;
- bench `pageload` with `--big` cases and two finished runs of them (baseline and candidate, the
  compare pair; the baseline is the run page and page-load subject), from dataset.py — the same
  cases promptfoo and Inspect are given;
- bench `small` with `--small` cases and one finished run (the small run page).

Prints a manifest (JSON) of the ids the measurements use.
"""

import argparse
import concurrent.futures as cf
import json
import sys
import threading
import time

import dataset as ds
from assay_client import Api, put_bench, setup_scripts

CHANNELS = ["production", "staging", "canary"]
PEOPLE = ["ci", "ci", "ci", "alice", "bob"]


def run_with_results(api, bench, channel, results, *, finish="complete", triggered_by="ci", metadata=None,
                     batch=1_000):
    run = api.call("POST", "/api/runs", {"bench": bench, "channel": channel, "triggered_by": triggered_by,
                                         "metadata": metadata or {}})
    for s in range(0, len(results), batch):
        counts = api.call("POST", f"/api/runs/{run['id']}/results", {"results": results[s:s + batch]})
        assert counts["inserted"] + counts["replaced"] == len(results[s:s + batch]), counts
    api.call("POST", f"/api/runs/{run['id']}/{finish}", {} if finish == "complete" else {"error": "stopped"})
    return run["id"]


def list_run(api, r, per_run, n_benches):
    results = [ds.assay_result(i, variant=r) for i in range(per_run)]
    h = ds.mix(r, 99)
    finish = "fail" if h % 100 < 2 else "cancel" if h % 100 < 3 else "complete"
    return run_with_results(api, f"list-{r % n_benches:02d}", CHANNELS[h % 3], results, finish=finish,
                            triggered_by=PEOPLE[h % len(PEOPLE)],
                            metadata={"branch": "main" if h % 4 else "feature-x", "commit": f"{h:08x}"})


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--base", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--runs", type=int, default=10_000)
    p.add_argument("--per-run", type=int, default=200)
    p.add_argument("--big", type=int, default=50_000)
    p.add_argument("--small", type=int, default=1_000)
    p.add_argument("--workers", type=int, default=3)
    a = p.parse_args()
    t0 = time.time()
    api = Api(a.base, a.token)
    setup_scripts(api)

    n_benches = 10
    for b in range(n_benches):
        put_bench(api, f"list-{b:02d}", [ds.assay_case(i) for i in range(a.per_run)])

    # A few threads, each with its own connection: the server is the bottleneck, and while one
    # thread encodes a batch another's is being written.
    local = threading.local()

    def one(r):
        if not hasattr(local, "api"):
            local.api = Api(a.base, a.token)
        return list_run(local.api, r, a.per_run, n_benches)

    done = 0
    with cf.ThreadPoolExecutor(a.workers) as pool:
        for _ in pool.map(one, range(a.runs), chunksize=16):
            done += 1
            if done % 1000 == 0:
                print(f"  gen: {done}/{a.runs} runs ({time.time() - t0:.0f} s)", file=sys.stderr, flush=True)

    put_bench(api, "small", [ds.assay_case(i) for i in range(a.small)])
    small = run_with_results(api, "small", "production", [ds.assay_result(i) for i in range(a.small)])

    put_bench(api, "pageload", [ds.assay_case(i) for i in range(a.big)])
    base = run_with_results(api, "pageload", "production", [ds.assay_result(i, 0) for i in range(a.big)])
    cand = run_with_results(api, "pageload", "canary", [ds.assay_result(i, 1) for i in range(a.big)])

    manifest = {
        "dataset_version": ds.VERSION,
        "runs": a.runs + 3, "list_runs": a.runs, "per_run": a.per_run, "big": a.big, "small": a.small,
        "results": a.runs * a.per_run + a.small + 2 * a.big,
        "run_big": base, "run_big_b": cand, "run_small": small,
        # A filter, a search and a sort that select real rows of the big run (checked before timing).
        "search": "refund", "tag": "billing",
        "seconds": round(time.time() - t0, 1),
    }
    print(json.dumps(manifest))


if __name__ == "__main__":
    main()
