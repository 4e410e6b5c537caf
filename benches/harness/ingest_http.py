"""Ingest over HTTP: one client posting batches of 1,000 results (2 scorers, 3 dimensions each,
the shape of benches/ingest.rs) to `POST /api/runs/{id}/results` of a running release server,
one batch after another on a kept-alive connection.

Every batch body is encoded before the clock starts, so the figure is the server's: HTTP, JSON
parsing, validation and the store, not Python's JSON encoder. Each round goes into a fresh run
of a bench with the cases already stored; the rate is results / wall time of the round's posts
(the `complete` that follows is timed apart). Prints one BENCH line per figure.
"""

import argparse
import json
import statistics
import sys
import time

import dataset as ds
from assay_client import Api, put_bench, setup_scripts

BATCH = 1_000


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--base", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--backend", required=True)
    p.add_argument("--results", type=int, default=50_000, help="per round")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--target", type=float, required=True, help="results/s")
    a = p.parse_args()

    api = Api(a.base, a.token)
    setup_scripts(api)
    put_bench(api, "ingest", [{"id": f"case-{i:06d}", "inputs": {"q": i}} for i in range(a.results)], chunk=10_000)
    bodies = [json.dumps({"results": [ds.ingest_result(i) for i in range(s, s + BATCH)]}).encode()
              for s in range(0, a.results, BATCH)]
    mb = sum(map(len, bodies)) / 1e6

    rates, completes = [], []
    for _ in range(a.rounds):
        run = api.call("POST", "/api/runs", {"bench": "ingest", "channel": "production", "triggered_by": "bench"})
        path = f"/api/runs/{run['id']}/results"
        t0 = time.perf_counter()
        for body in bodies:
            status, data = api.raw("POST", path, body)
            if status != 200:
                sys.exit(f"ingest: POST {path} answered {status}: {data[:300]!r}")
        t = time.perf_counter() - t0
        t1 = time.perf_counter()
        done = api.call("POST", f"/api/runs/{run['id']}/complete", {})
        completes.append((time.perf_counter() - t1) * 1000)
        if done["results_count"] != a.results:
            sys.exit(f"ingest: run {run['id']} holds {done['results_count']} results, not {a.results}")
        rates.append(a.results / t)
        print(f"  ingest {a.backend}: {a.results} results in {t:.2f} s = {a.results / t:,.0f}/s", file=sys.stderr)

    print("BENCH " + json.dumps({
        "row": "ingest_http", "backend": a.backend, "value": statistics.median(rates), "unit": "results/s",
        "cmp": ">=", "target": a.target,
        "note": f"median of {a.rounds} rounds of {a.results:,} ({min(rates):,.0f}–{max(rates):,.0f}); "
                f"{mb / len(bodies):.2f} MB a batch; complete {statistics.median(completes):.0f} ms",
    }))


if __name__ == "__main__":
    main()
