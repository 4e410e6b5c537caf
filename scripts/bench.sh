#!/usr/bin/env bash
# `make bench`: every figure of SPEC §7 / issue 12, measured from outside on the release build, on
# SQLite and on a throwaway PostgreSQL, printed as one markdown table (commit it as BENCH.md).
#
#   scripts/bench.sh                   full run (first run also writes the datasets: ~20 min more)
#   BENCH_QUICK=1 scripts/bench.sh     small datasets, short loads: a few minutes, for iterating
#   BENCH_PARTS="sqlite pageload" …    only some parts: wasm store sqlite postgres pageload import
#   BENCH_REGEN=1 …                    rewrite the cached datasets
#   BENCH_DATA_ONLY=1 …                write the datasets of the chosen parts, measure nothing
#   BENCH_FRESH=1 …                    also time a fresh clone's `make run` to its first page (20+ min)
#
# Datasets are written through the real API once and cached under ~/.cache/assay/bench-data/,
# keyed by benches/harness/dataset.py's VERSION, the mode and a hash of migrations/ (a schema
# change rewrites them). promptfoo (npm) and inspect_ai (PyPI) are installed under
# ~/.cache/assay/bench-tools/. Every server this script starts listens on 127.0.0.1 and is stopped
# on exit; every load is bounded in time (wrk -d) or count. Output: target/bench/.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
: "${CARGO_TARGET_DIR:=$HOME/.cache/assay/target}"
export CARGO_TARGET_DIR
export PATH="$ROOT/end2end/node_modules/.bin:$HOME/.cargo/bin:$PATH"
H=benches/harness
CACHE=$HOME/.cache/assay
TOOLS=$CACHE/bench-tools
OUT=$ROOT/target/bench
PG_PORT=${ASSAY_BENCH_PG_PORT:-26403}
PG_DIR=${ASSAY_BENCH_PG_DIR:-/tmp/assay-bench-pg}
PARTS=${BENCH_PARTS:-wasm store sqlite postgres pageload import}
PF_VERSION=0.121.20   # the last promptfoo that runs on Node 20 (0.122 needs Node ≥ 22.22)
INSPECT_VERSION=0.3.285
START=$(date +%s)

if [ "${BENCH_QUICK:-0}" = 1 ]; then
  MODE=quick RUNS=500 PER_RUN=200 BIG=5000 SMALL=1000 INGEST=20000 ROUNDS=1 DUR=2 LOAD=4 REPS=2
else
  MODE=full RUNS=10000 PER_RUN=200 BIG=50000 SMALL=1000 INGEST=50000 ROUNDS=3 DUR=5 LOAD=10 REPS=5
fi
has() { [[ " $PARTS " == *" $1 "* ]]; }
log() { echo "bench: $*" >&2; }
die() { echo "bench: $*" >&2; exit 1; }

mkdir -p "$OUT/logs"
RESULTS=$OUT/results.jsonl
: >"$RESULTS"
record() { grep -E '^(BENCH|PAGELOAD|META|IMPORT) ' | tee -a "$RESULTS" >&2 || true; }
meta() { echo "META $1" >>"$RESULTS"; }
# A measurement that fails is reported (in the table too) and the others still run; the script
# then exits non-zero.
FAILED=0
fail() {
  log "FAILED: $*"
  meta "$(python3 -c 'import json,sys; print(json.dumps({"failed": sys.argv[1]}))' "$*")"
  FAILED=$((FAILED + 1))
}


. $H/lib.sh
. $H/data.sh
. $H/suites.sh
. $H/import.sh
trap cleanup EXIT
trap 'exit 130' INT TERM

ensure_tools
if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
  log "release build (scripts/build.sh --release)"
  bash scripts/build.sh --release >&2
fi
BIN=$CARGO_TARGET_DIR/release/assay
[ -x "$BIN" ] || die "no release binary at $BIN"

DSV=$(sed -n 's/^VERSION = "\(.*\)"/\1/p' $H/dataset.py)
MIG=$(cat migrations/*/* | sha256sum | cut -c1-12)
KEY="v$DSV-$MODE-m$MIG"
DATA=$CACHE/bench-data/$KEY
mkdir -p "$DATA"
[ "${BENCH_REGEN:-0}" = 1 ] && rm -rf "${DATA:?}"/*
meta "$(printf '{"date": "%s", "commit": "%s", "mode": "%s", "cpus": %s, "load_before": "%s", "dataset": "%s", "list_runs": %s, "per_run": %s, "big": %s, "small": %s}' \
  "$(date -u '+%Y-%m-%d %H:%M UTC')" "$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src migrations || echo +dirty)" \
  "$MODE" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)" "$KEY" "$RUNS" "$PER_RUN" "$BIG" "$SMALL")"

# The viewers' copies do not depend on Assay's schema: keyed by the dataset and tool versions only.
VIEW=$CACHE/bench-data/viewers-v$DSV-$MODE
PFD=$VIEW/promptfoo-$PF_VERSION IND=$VIEW/inspect-$INSPECT_VERSION
PFENV=(PROMPTFOO_DISABLE_TELEMETRY=1 PROMPTFOO_DISABLE_UPDATE=1 PROMPTFOO_DISABLE_SHARING=1)
SCRATCH=$(mktemp -d "$OUT/scratch.XXXXXX")  # this run's database copies, removed on exit
# BENCH_DATA_ONLY=1: write the datasets of the chosen parts, measure nothing.
if [ "${BENCH_DATA_ONLY:-0}" = 1 ]; then
  has sqlite && ensure_sqlite_data
  has postgres && ensure_pg_data
  has pageload && ensure_viewer_data
  has import && ensure_import_data
  log "datasets ready under $CACHE/bench-data"
  exit 0
fi

# ---------------------------------------------------------------------------------------------
# Measurements
if has wasm; then
  W=$(ls -S target/site/pkg/*.wasm | head -n 1)
  raw=$(stat -c %s "$W")
  br=$(brotli -q 11 -c "$W" | wc -c)
  echo "BENCH {\"row\": \"wasm_br\", \"backend\": null, \"value\": $(echo "$br / 1000" | bc -l), \"unit\": \"KB\", \"cmp\": \"<=\", \"target\": 350, \"note\": \"$(basename "$W"): $((raw / 1000)) KB raw, brotli -q 11 $((br / 1000)) KB\"}" | record
fi


if has sqlite; then
  ensure_sqlite_data
  log "SQLite: ingest over HTTP"
  ingest_suite sqlite "sqlite://$SCRATCH/ingest.db" 100000
  log "SQLite: reads, compare, server-rendered pages, memory"
  cp --reflink=auto "$DATA/sqlite/assay.db" "$SCRATCH/read.db"
  read_suite sqlite "sqlite://$SCRATCH/read.db" "$DATA/sqlite/manifest.json"
fi
if has postgres; then
  ensure_pg_data
  pg_start "$DATA/pg/data.tar"
  log "PostgreSQL: ingest over HTTP"
  pg_createdb assay_ingest
  ingest_suite postgres "$(pg_url assay_ingest)" 30000
  log "PostgreSQL: reads, compare, server-rendered pages, memory"
  read_suite postgres "$(pg_url assay_bench)" "$DATA/pg/manifest.json"
fi

if has pageload; then
  pageload_suite
fi

if has import; then
  ensure_import_data
  import_references
  log "SQLite: assay import beside promptfoo import and inspect_ai"
  import_suite sqlite sqlite_import_url
  log "PostgreSQL: assay import"
  pg_start
  import_suite postgres pg_import_url
  pg_stop
fi

# Last: the first `cargo bench` compiles the crate in the bench profile (dev-dependencies change
# its features), which should not overlap the HTTP figures.
if has store; then
  log "store and live-event benchmarks (cargo bench: benches/ingest.rs, compare.rs, events.rs, search.rs)"
  pg_start
  ASSAY_BENCH_POSTGRES_URL=$(pg_url postgres) cargo bench --no-default-features --features ssr \
    --bench ingest --bench compare --bench events --bench search 2>"$OUT/logs/cargo-bench.log" | tee "$OUT/logs/store-bench.txt" | record \
    || fail "cargo bench (see $OUT/logs/cargo-bench.log)"
  pg_stop
fi

if [ "${BENCH_FRESH:-0}" = 1 ]; then
  log "fresh machine to first page (a clone, empty caches): 20+ minutes"
  bash $H/fresh_build.sh 3340 | record || fail "fresh build"
fi

meta "$(printf '{"load_after": "%s", "minutes": %s}' "$(cut -d' ' -f1-3 /proc/loadavg)" "$(( ($(date +%s) - START + 30) / 60 ))")"
python3 $H/table.py "$RESULTS" | tee "$OUT/BENCH.md"
log "table written to $OUT/BENCH.md"
[ "$FAILED" = 0 ] || die "$FAILED measurement(s) failed: see the table's end and $OUT/logs/"
