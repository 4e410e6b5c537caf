# Datasets of scripts/bench.sh (sourced): written once through the real tools and APIs, cached
# under ~/.cache/assay/bench-data/.

# Datasets: the read database per backend, written through the API by gen_assay.py.
GEN_PORT=${ASSAY_BENCH_GEN_PORT:-3300}
GEN_ARGS=(--runs "$RUNS" --per-run "$PER_RUN" --big "$BIG" --small "$SMALL")
ensure_sqlite_data() {
  [ -f "$DATA/sqlite/manifest.json" ] && return 0
  log "writing the SQLite dataset ($RUNS runs × $PER_RUN + 2 × $BIG + $SMALL results) through the API"
  rm -rf "$DATA/sqlite.tmp" && mkdir -p "$DATA/sqlite.tmp"
  local url="sqlite://$DATA/sqlite.tmp/assay.db" tok
  tok=$(token "$url")
  start_assay gen-sqlite "$GEN_PORT" "$url"
  python3 $H/gen_assay.py --base "http://127.0.0.1:$GEN_PORT" --token "$tok" "${GEN_ARGS[@]}" >"$DATA/sqlite.tmp/manifest.json"
  stop_pid "$SERVER_PID"
  rm -rf "$DATA/sqlite" && mv "$DATA/sqlite.tmp" "$DATA/sqlite"
}
ensure_pg_data() {
  [ -f "$DATA/pg/manifest.json" ] && return 0
  log "writing the PostgreSQL dataset through the API"
  rm -rf "$DATA/pg.tmp" && mkdir -p "$DATA/pg.tmp"
  pg_start
  pg_createdb assay_bench
  local url tok
  url=$(pg_url assay_bench)
  tok=$(token "$url")
  start_assay gen-pg "$GEN_PORT" "$url"
  python3 $H/gen_assay.py --base "http://127.0.0.1:$GEN_PORT" --token "$tok" "${GEN_ARGS[@]}" >"$DATA/pg.tmp/manifest.json"
  stop_pid "$SERVER_PID"
  as_pg "$(pgbin)/vacuumdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres -q --analyze assay_bench
  pg_stop
  tar -C "$PG_DIR" -cf "$DATA/pg.tmp/data.tar" data
  rm -rf "$DATA/pg" && mv "$DATA/pg.tmp" "$DATA/pg"
}
mf() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$1" "$2"; }

# The viewers' copies of the big run: a promptfoo export imported with `promptfoo import`, and an
# Inspect log written with inspect_ai's write_eval_log.
ensure_viewer_data() {
  local pfd=$PFD ind=$IND pf="$PF_DIR/node_modules/.bin/promptfoo" pfenv=("${PFENV[@]}")
  if [ ! -f "$pfd/import-seconds" ]; then
    log "promptfoo: a real export of its echo provider (the layout check), then the $BIG-case export and promptfoo import"
    rm -rf "$pfd.tmp" && mkdir -p "$pfd.tmp/home"
    (cd "$pfd.tmp" && env "${pfenv[@]}" PROMPTFOO_CONFIG_DIR="$pfd.tmp/template-home" HOME="$pfd.tmp/template-home" \
      "$pf" eval -c "$ROOT/$H/promptfoo-template.yaml" -o template.json --no-cache --no-progress-bar >"$OUT/logs/promptfoo-eval.log" 2>&1) \
      || [ -s "$pfd.tmp/template.json" ] # exit code 100: the template's failing test, on purpose
    python3 $H/gen_promptfoo.py --cases "$BIG" --out "$pfd.tmp/export.json" --template "$pfd.tmp/template.json" >&2
    local t0 t1
    t0=$(date +%s.%N)
    env "${pfenv[@]}" PROMPTFOO_CONFIG_DIR="$pfd.tmp/home" HOME="$pfd.tmp/home" "$pf" import "$pfd.tmp/export.json" \
      >"$OUT/logs/promptfoo-import.log" 2>&1 || { cat "$OUT/logs/promptfoo-import.log" >&2; die "promptfoo import failed"; }
    t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc -l >"$pfd.tmp/import-seconds"
    rm -f "$pfd.tmp/export.json"
    rm -rf "$pfd" && mv "$pfd.tmp" "$pfd"
  fi
  meta "{\"promptfoo_import_s\": $(cat "$pfd/import-seconds")}"
  if [ ! -f "$ind/assay-bench.eval" ]; then
    log "inspect_ai: writing the $BIG-case log with inspect_ai's EvalRecorder"
    rm -rf "$ind.tmp" && mkdir -p "$ind.tmp"
    "$VENV/bin/python" $H/gen_inspect.py --cases "$BIG" --out "$ind.tmp/assay-bench.eval" >&2
    rm -rf "$ind" && mv "$ind.tmp" "$ind"
  fi
}
