"""The one table of `make bench`: reads the machine-readable lines every measurement printed
(`BENCH {json}`, `PAGELOAD {json}`, `META {json}`) and prints markdown — every figure on SQLite
and PostgreSQL beside its SPEC §7 target, the page load side by side with promptfoo view and
inspect view, and the details (how each figure was taken). Commit its output as BENCH.md.

  table.py RESULTS.jsonl

A BENCH line: {"row": ID, "backend": "sqlite"|"postgres"|null, "value": N, "unit": U,
"cmp": "<="|">=", "target": N|null, "note": TEXT}. Rows this file does not know are printed
too, after the known ones, with their id as the label.
"""

import json
import sys

# (row id, label) in the order of the table; None starts a group heading.
ROWS = [
    (None, "Ingest"),
    ("ingest_http", "ingest over HTTP: one client, batches of 1,000 (2 scorers, 3 dimensions)"),
    ("ingest_store", "ingest through the store (`benches/ingest.rs`), same batches"),
    (None, "Reads (database of {list_runs} runs × {per_run} results, plus two {big}-result runs)"),
    ("list_runs", "`GET /api/runs?limit=50`: first page of 50"),
    ("list_runs_filtered", "`GET /api/runs?bench=…&status=completed&limit=50`"),
    ("results_page", "results page of 100, {big}-result run: default order"),
    ("results_filtered", "… filtered (`verdict=fail`)"),
    ("results_sorted", "… sorted (`sort=-score`)"),
    ("results_searched", "… searched (`q=…`)"),
    ("results_all", "… filtered, sorted and searched at once"),
    ("results_search_store", "… searched through the store (`benches/search.rs`; two finished 50,000-result runs indexed)"),
    ("stats", "`GET /api/runs/{{id}}/stats`, {big}-result run"),
    (None, "Compare two {big}-case runs (significance included)"),
    ("compare_http", "`GET /api/runs/{{a}}/compare/{{b}}`, one client"),
    ("compare_http_16", "… 16 concurrent clients (latency of each)"),
    ("compare_store", "through the store (`benches/compare.rs`)"),
    (None, "Live events: 100 subscribers on one run, 50,000 results in batches of 1,000 (`benches/events.rs`)"),
    ("events_p95", "commit → event at the subscriber, p95 (each batch's last event)"),
    ("events_rate", "events delivered per second, all subscribers"),
    ("events_rss", "server RSS above idle while streaming (peak; the note: the same ingest unwatched)"),
    (None, "Server-rendered run page"),
    ("ssr_small", "`/runs/{{id}}`, {small}-result run, 16 connections"),
    ("ssr_big", "`/runs/{{id}}`, {big}-result run, 16 connections"),
    ("ssr_big_br", "… the same with `Accept-Encoding: br, gzip`"),
    ("ssr_big_html", "HTML of that page (uncompressed)"),
    (None, "Server memory (RSS from /proc)"),
    ("rss_idle", "idle, after start"),
    ("rss_stream", "peak while streaming `/bench-runs/{{id}}/results` ({big} results)"),
    ("rss_after_stream", "after the stream"),
    ("rss_compare", "peak while comparing two, 16 clients"),
    ("rss_after", "after the load (memory returned?)"),
    (None, "Import (`assay import`; side by side below)"),
    ("import_promptfoo", "`assay import` of a {big}-case promptfoo export"),
    ("import_promptfoo_rss", "… its peak RSS"),
    ("import_jsonl", "… of a promptfoo `.jsonl`, 2 × {big} lines (`--repeat 2`)"),
    ("import_jsonl_rss", "… its peak RSS"),
    ("import_inspect", "… of a {big}-sample Inspect `.eval` log"),
    ("import_inspect_rss", "… its peak RSS"),
    ("import_server", "`assay import --server` of the promptfoo export (to `/api/import/stream`)"),
    ("import_server_client_rss", "… the client's peak RSS"),
    ("import_server_rss", "… the server's peak RSS"),
    (None, "Browser"),
    ("pageload_first_row", "{big}-result run page in headless Chromium: first results row"),
    ("pageload_bytes", "… bytes transferred (in all, network quiet)"),
    ("wasm_br", "WASM bundle, release, brotli (largest `.wasm` in `target/site/pkg`)"),
    ("fresh_build", "fresh machine, `make run` to the first page"),
]
BACKENDS = [("sqlite", "SQLite"), ("postgres", "PostgreSQL")]

METHOD = """\
- Everything runs on this machine over loopback against the release build (`scripts/build.sh --release`),
  one measurement at a time; the load generators share the 2 cores with the server, as a team's CI would.
- Datasets are written through Assay's own API by `benches/harness/gen_assay.py` (trigger, batches of
  results, complete) and cached under `~/.cache/assay/bench-data/`. PostgreSQL is a throwaway cluster with
  the settings of `scripts/test-postgres.sh` (fsync off, synchronous_commit off); SQLite is Assay's own (WAL,
  synchronous=NORMAL).
- Ingest over HTTP: `benches/harness/ingest_http.py`, one client, a fresh database, every batch body encoded
  before the clock starts, batches posted back to back on one kept-alive connection; rate = results / wall
  time of the posts (median of the rounds). The store figures come from `cargo bench` (`benches/ingest.rs`,
  `benches/compare.rs`, `benches/search.rs`), which print the same machine-readable lines.
- Live events: `benches/events.rs` starts the release `assay serve`, opens 100 `GET /api/runs/{id}/events`
  streams and posts 50 batches of 1,000 results back to back; commit → event is from the writer's answer
  (sent right after the commit) to the arrival of each event, over all 5,000,000 (subscribers on the same
  2 cores as the server); RSS is the server's `VmRSS` peak (sampled every 20 ms) minus its idle figure, and the
  same ingest on a fresh server with no subscriber says how much of it the ingest costs by itself.
- Latencies (list, results pages, stats, compare): `wrk` with one connection, requests back to back for a
  fixed time after one checked warm-up request — a tight loopback client, so the figure is the server's
  time plus well under a millisecond of loopback and parsing. The median is the figure; p95 and counts are
  in the details. Every answer was checked once (row counts, a result row in the HTML) and every timed
  request had to answer 2xx.
- Requests/s: `wrk -t2 -c16` for a fixed time; without `Accept-Encoding` (the server's own rendering cost)
  and once with `Accept-Encoding: br, gzip` as a browser over HTTPS would send it.
- RSS: `VmRSS` of the server process from `/proc`, sampled every 50 ms during a phase (peak) or read once
  after a pause (idle, after).
- Import: `benches/harness/import_bench.py` runs each import as a process of its own to its end (wall time,
  and peak RSS = the kernel's `ru_maxrss`; for `--server` also the server's `VmHWM`), each into a fresh
  database, and checks `assay import`'s summary counted every result. The promptfoo export and `.jsonl` are
  written by `gen_promptfoo.py` / `gen_promptfoo_jsonl.py` (layouts checked against real exports), the
  Inspect log is the page load's; `promptfoo import` of the same export and inspect_ai's `read_eval_log` of
  the same log are timed the same way in the same run. The rate target is 10× `promptfoo import`'s results/s.
- Page load: `benches/harness/pageload.mjs`, playwright-core driving Debian's Chromium headless (the flags
  of `end2end/playwright.config.mjs`), a fresh context (cold cache) per load, viewers in turn. First row =
  `performance.now()` on the first animation frame in which the selector matches an element with a
  rendered box; bytes = encoded bytes received (headers and bodies) by then and until the network was
  quiet for 1.5 s. promptfoo gets the run as an export (`gen_promptfoo.py`, layout checked against a real
  `promptfoo eval -o` export) loaded with `promptfoo import`; Inspect as a `.eval` log written by
  inspect_ai's own EvalRecorder in write_eval_log's order (`gen_inspect.py`; write_eval_log itself is
  quadratic in the samples); Assay over its API. Same cases, outputs, scores, errors.
"""


def fmt(v, unit):
    if v is None:
        return "—"
    if unit in ("results/s", "requests/s"):
        return f"{v:,.0f}/s" if v >= 100 else f"{v:,.1f}/s"
    if unit == "ms":
        return f"{v:,.1f} ms" if v < 100 else f"{v:,.0f} ms"
    if unit in ("MB", "KB"):
        return f"{v:,.0f} {unit}" if v >= 10 else f"{v:,.1f} {unit}"
    if unit == "min":
        return f"{v:,.1f} min"
    return f"{v:,.2f} {unit}"


def met(b):
    if b.get("target") is None or b.get("value") is None:
        return ""
    ok = b["value"] <= b["target"] if b.get("cmp", "<=") == "<=" else b["value"] >= b["target"]
    return " ✓" if ok else " ✗"


def target_text(bs):
    seen = []
    for b in bs:
        if b.get("target") is None:
            continue
        t = f"{'≤' if b.get('cmp', '<=') == '<=' else '≥'} {fmt(b['target'], b['unit'])}"
        label = dict(BACKENDS).get(b.get("backend"))
        seen.append((t, label))
    texts = sorted({t for t, _ in seen})
    if len(texts) <= 1:
        return texts[0] if texts else "—"
    return " · ".join(f"{t} ({l})" for t, l in seen if l)


def main():
    bench, pages, imports, meta, failed = [], [], [], {}, []
    for line in open(sys.argv[1]):
        tag, _, rest = line.strip().partition(" ")
        if tag == "BENCH":
            bench.append(json.loads(rest))
        elif tag == "PAGELOAD":
            pages.append(json.loads(rest))
        elif tag == "IMPORT":
            imports.append(json.loads(rest))
        elif tag == "META":
            m = json.loads(rest)
            if "failed" in m:
                failed.append(m.pop("failed"))
            meta.update(m)
    sizes = {"list_runs": "10,000", "per_run": "200", "big": "50,000", "small": "1,000"}
    sizes.update({k: f"{meta[k]:,}" for k in sizes if isinstance(meta.get(k), int)})
    by = {}
    for b in bench:
        by.setdefault(b["row"], {})[b.get("backend")] = b  # the last of a repeated figure wins

    out = ["# Assay benchmarks (`make bench`)", ""]
    out.append(f"{meta.get('date', '?')} · commit `{meta.get('commit', '?')}` · {meta.get('mode', 'full')} run · "
               f"{meta.get('cpus', '?')} cores · load average before {meta.get('load_before', '?')}, "
               f"after {meta.get('load_after', '?')} · took {meta.get('minutes', '?')} min")
    out.append("")
    out.append("| what | SQLite | PostgreSQL | SPEC §7 |")
    out.append("|---|---:|---:|---|")
    known = {r for r, _ in ROWS if r}
    rows = ROWS + [(r, r) for r in by if r not in known]
    details = []
    heading = None
    for row, label in rows:
        label = label.format(**sizes)
        if row is None:
            heading = label  # printed with the group's first figure: empty groups vanish
            continue
        if row not in by:
            continue
        if heading:
            out.append(f"| **{heading}** | | | |")
            heading = None
        cells = by[row]
        if None in cells:  # one figure for both backends (the bundle, a build)
            b = cells[None]
            out.append(f"| {label} | {fmt(b['value'], b['unit']) + met(b)} | (same) | {target_text([b])} |")
            if b.get("note"):
                details.append(f"- {label}: {b['note']}")
            continue
        vals = [cells.get(k) for k, _ in BACKENDS]
        shown = [fmt(b["value"], b["unit"]) + met(b) if b else "—" for b in vals]
        out.append(f"| {label} | {shown[0]} | {shown[1]} | {target_text([b for b in vals if b])} |")
        for (k, name), b in zip(BACKENDS, vals):
            if b and b.get("note"):
                details.append(f"- {label} — {name}: {b['note']}")
    out.append("")
    out.append("✓ meets the target, ✗ misses it.")
    if failed:
        out += ["", "**Measurements that failed** (their rows are missing; see `target/bench/logs/`):", ""]
        out += [f"- {f}" for f in failed]

    if pages:
        out += ["", f"## Page load side by side ({sizes['big']}-case run, headless Chromium, loopback, "
                    f"cold cache; median of {pages[0]['reps']})", ""]
        out.append("| viewer | first results row | min–max | transferred by then | transferred in all | × Assay (SQLite) |")
        out.append("|---|---:|---:|---:|---:|---:|")
        ref = next((p for p in pages if p["name"] == "assay-sqlite"), pages[0])
        for p in pages:
            ratio = p["first_row_ms"] / ref["first_row_ms"] if ref["first_row_ms"] else float("nan")
            out.append(f"| {p['name']} | {p['first_row_ms']:,.0f} ms | {p['first_row_min_ms']:,.0f}–"
                       f"{p['first_row_max_ms']:,.0f} | {p['bytes_at_row'] / 1e3:,.0f} KB | {p['bytes'] / 1e3:,.0f} KB | "
                       f"{ratio:.2f} |")
        out.append("")
        for p in pages:
            enc = ", ".join(f"{k} ×{v}" for k, v in sorted(p["encodings"].items()))
            out.append(f"- {p['name']}: `{p['url']}`, first row = `{p['selector']}`; responses: {enc}")

    if imports:
        out += ["", "## Import side by side (each a process of its own, into a fresh database)", ""]
        out.append("| tool | into | file | results | time | results/s | peak RSS |")
        out.append("|---|---|---|---:|---:|---:|---:|")
        for i in imports:
            into = dict(BACKENDS).get(i.get("backend"), "its own store")
            out.append(f"| {i['name']} | {into} | `{i['file']}` ({i['size_mb']:,.0f} MB) | {i['results']:,} | "
                       f"{i['seconds']:,.1f} s | {i['rate']:,.0f}/s | {i['rss_mb']:,.0f} MB |")

    out += ["", "## How each figure was taken", "", METHOD.rstrip()]
    if meta.get("promptfoo_import_s"):
        out.append(f"- `promptfoo import` of the {sizes['big']}-case export took {meta['promptfoo_import_s']:.0f} s "
                   "(when the cached copy was made).")
    out.append(f"- Dataset cache key `{meta.get('dataset', '?')}`.")
    out += ["", "## Details", ""] + details
    print("\n".join(out))


if __name__ == "__main__":
    main()
