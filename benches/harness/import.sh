# The import part of scripts/bench.sh (sourced; issue 10): `assay import` of the 50,000-case
# promptfoo export beside `promptfoo import` of the same file (target ≥ 10× its rate), and of a
# 100,000-line `.jsonl` and the 50,000-sample Inspect `.eval` beside inspect_ai reading that log
# itself; every import's peak RSS (target ≤ 200 MB); into SQLite and PostgreSQL, locally and
# with `--server`. The files are made once and cached with the viewers' copies ($VIEW), which do
# not depend on Assay's schema; the other tools are timed in each run, beside Assay under the
# same machine load.

IMP_PORT=${ASSAY_BENCH_IMPORT_PORT:-3310}

# The promptfoo export and .jsonl (gen_promptfoo*.py, layouts checked against real exports), made
# once; the Inspect log is the page load's.
ensure_import_data() {
  ensure_viewer_data # the Inspect log ($IND) and promptfoo's template export ($PFD)
  IMP=$VIEW/import-$PF_VERSION
  [ -f "$IMP/repeat.jsonl" ] && return 0
  local t=$IMP.tmp
  rm -rf "$t" && mkdir -p "$t"
  log "import: writing the $BIG-case promptfoo export and a $((2 * BIG))-line .jsonl"
  python3 $H/gen_promptfoo.py --cases "$BIG" --out "$t/export.json" --template "$PFD/template.json" >&2
  python3 $H/gen_promptfoo_jsonl.py --cases "$BIG" --repeat 2 --out "$t/repeat.jsonl" \
    --template tests/fixtures/import/repeat.jsonl >&2
  rm -rf "$IMP" && mv "$t" "$IMP"
}

# The other tools on the same files, in this run (same machine load as Assay's figures):
# promptfoo import of the export into a scratch promptfoo home, inspect_ai reading the log.
import_references() {
  local pf="$PF_DIR/node_modules/.bin/promptfoo" home=$SCRATCH/promptfoo-home
  mkdir -p "$home"
  log "import: promptfoo import $PF_VERSION of the export (minutes)"
  python3 $H/import_bench.py --name "promptfoo import $PF_VERSION" --file "$IMP/export.json" --results "$BIG" \
    --log "$OUT/logs/import-promptfoo.log" -- \
    env "${PFENV[@]}" PROMPTFOO_CONFIG_DIR="$home" HOME="$home" "$pf" import "$IMP/export.json" >"$SCRATCH/promptfoo-import.json" \
    || fail "promptfoo import"
  rm -rf "$home"
  log "import: inspect_ai $INSPECT_VERSION reading the $BIG-sample log"
  python3 $H/import_bench.py --name "inspect_ai $INSPECT_VERSION read_eval_log" --file "$IND/assay-bench.eval" \
    --results "$BIG" --log "$OUT/logs/import-inspect-read.log" -- \
    "$VENV/bin/python" -c 'import sys; from inspect_ai.log import read_eval_log; l = read_eval_log(sys.argv[1]); assert len(l.samples) == int(sys.argv[2])' \
    "$IND/assay-bench.eval" "$BIG" >"$SCRATCH/inspect-read.json" || fail "inspect_ai read_eval_log"
  cat "$SCRATCH/promptfoo-import.json" "$SCRATCH/inspect-read.json" | record
}

# import_one BACKEND DATABASE_URL NAME FILE RESULTS ROW RSS_ROW [REF [RATE_FACTOR]]: the rate
# target is RATE_FACTOR × REF's rate (SPEC §7: 10× promptfoo import's); without it, no target.
import_one() {
  local be=$1 url=$2 name=$3 file=$4 n=$5 row=$6 rss_row=$7 ref=${8:-} factor=${9:-}
  python3 $H/import_bench.py --assay --name "$name" --backend "$be" --file "$file" --results "$n" \
    --row "$row" --rss-row "$rss_row" ${ref:+--ref "$ref"} ${factor:+--rate-factor "$factor"} --log "$OUT/logs/import-$be-$row.log" -- \
    "$BIN" import --database-url "$url" "$file" | record || fail "$be: $name"
}

# import_suite BACKEND URL_OF(NAME): each import into a fresh database of its own.
import_suite() {
  local be=$1 mkurl=$2 pf=$IMP/export.json
  import_one "$be" "$($mkurl import_json)" "assay import" "$pf" "$BIG" import_promptfoo import_promptfoo_rss "$SCRATCH/promptfoo-import.json" 10
  import_one "$be" "$($mkurl import_jsonl)" "assay import" "$IMP/repeat.jsonl" "$((2 * BIG))" import_jsonl import_jsonl_rss
  import_one "$be" "$($mkurl import_eval)" "assay import" "$IND/assay-bench.eval" "$BIG" import_inspect import_inspect_rss "$SCRATCH/inspect-read.json"
  # --server: a real server on the backend, the client streaming the export to /api/import/stream.
  local url tok
  url=$($mkurl import_server)
  tok=$(token "$url")
  start_assay "import-$be" "$IMP_PORT" "$url"
  python3 $H/import_bench.py --assay --name "assay import --server" --backend "$be" --file "$pf" --results "$BIG" \
    --row import_server --rss-row import_server_client_rss --server-pid "$SERVER_PID" --ref "$SCRATCH/promptfoo-import.json" \
    --log "$OUT/logs/import-$be-server.log" -- \
    "$BIN" import --server "http://127.0.0.1:$IMP_PORT" --token "$tok" "$pf" | record || fail "$be: assay import --server"
  stop_pid "$SERVER_PID"
}
sqlite_import_url() { echo "sqlite://$SCRATCH/$1.db"; }
pg_import_url() { pg_createdb "$1" && pg_url "$1"; }
