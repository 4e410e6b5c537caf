# Measurement suites of scripts/bench.sh (sourced): each starts the server it measures and stops it.

# read_suite BACKEND DATABASE_URL MANIFEST: every HTTP read figure and the RSS phases on one server.
read_suite() {
  local be=$1 url=$2 m=$3 port=3302
  local big small bigb s=http://127.0.0.1:3302
  big=$(mf "$m" run_big) bigb=$(mf "$m" run_big_b) small=$(mf "$m" run_small)
  start_assay "read-$be" $port "$url"
  local pid=$SERVER_PID
  sleep 2
  rss() { python3 $H/rss.py "$@" --pid "$pid" --backend "$be" | record || fail "$be: rss.py $*"; }
  hb() { python3 $H/http_bench.py --backend "$be" --rss-pid "$pid" "$@" | record || fail "$be: http_bench.py $*"; }
  rss now --row rss_idle --note "2 s after start, before any request"
  hb --row list_runs --url "$s/api/runs?limit=50" --duration $DUR --target 5 --check 'len(j["runs"]) == 50'
  hb --row list_runs_filtered --url "$s/api/runs?bench=list-03&status=completed&limit=50" --duration $DUR --target 5 \
    --check 'len(j["runs"]) > 0 and all(r["status"] == "completed" for r in j["runs"])'
  local r="$s/api/runs/$big/results"
  hb --row results_page --url "$r?limit=100" --duration $DUR --target 20 --check 'len(j["results"]) == 100'
  hb --row results_filtered --url "$r?verdict=fail&limit=100" --duration $DUR --target 20 --check 'len(j["results"]) == 100'
  hb --row results_sorted --url "$r?sort=-score&limit=100" --duration $DUR --target 20 --check 'len(j["results"]) == 100'
  hb --row results_searched --url "$r?q=refund&limit=100" --duration $DUR --target 20 --check 'len(j["results"]) == 100'
  hb --row results_all --url "$r?verdict=fail&sort=-score&q=refund&limit=100" --duration $DUR --target 20 \
    --check 'len(j["results"]) == 100'
  hb --row stats --url "$s/api/runs/$big/stats" --duration $DUR --check "j['total_cases'] == $BIG"
  hb --row compare_http --url "$s/api/runs/$big/compare/$bigb" --duration $LOAD --target 150 \
    --check "len(j['per_case']) == $BIG"
  rss stream --row rss_stream --url "$s/bench-runs/$big/results" --expect "$BIG"
  rss now --row rss_after_stream --settle 3
  hb --row compare_http_16 --url "$s/api/runs/$big/compare/$bigb" --connections 16 --duration $((LOAD * 2)) \
    --target 150 --rss-row rss_compare
  hb --row ssr_small --url "$s/runs/$small" --connections 16 --duration $LOAD --stat rps --cmp '>=' --target 1000 \
    --contains 'data-testid="result-row"'
  hb --row ssr_big --url "$s/runs/$big" --connections 16 --duration $LOAD --stat rps --cmp '>=' --target 1000 \
    --contains 'data-testid="result-row"'
  hb --row ssr_big_br --url "$s/runs/$big" --connections 16 --duration $LOAD --stat rps --cmp '>=' --target 1000 \
    --header 'Accept-Encoding: br, gzip'
  local html
  html=$(curl -s -o /dev/null -w '%{size_download}' "$s/runs/$big")
  echo "BENCH {\"row\": \"ssr_big_html\", \"backend\": \"$be\", \"value\": $(echo "$html / 1000" | bc -l), \"unit\": \"KB\", \"cmp\": \"<=\", \"target\": null, \"note\": \"GET /runs/$big without compression\"}" | record
  rss now --row rss_after --settle 5
  stop_pid "$pid"
}

# ingest_suite BACKEND DATABASE_URL TARGET: a fresh database, one client posting batches.
ingest_suite() {
  local tok
  tok=$(token "$2")
  start_assay "ingest-$1" 3301 "$2"
  python3 $H/ingest_http.py --base http://127.0.0.1:3301 --token "$tok" --backend "$1" --results "$INGEST" \
    --rounds "$ROUNDS" --target "$3" | record || fail "$1: ingest over HTTP"
  stop_pid "$SERVER_PID"
}


# pageload_suite: the same 50,000-case run in promptfoo view, inspect view and Assay (both
# backends), side by side in one Chromium session.
pageload_suite() {
  local pfd=$PFD ind=$IND pf="$PF_DIR/node_modules/.bin/promptfoo" pfenv=("${PFENV[@]}")
  ensure_viewer_data
  rm -rf "$SCRATCH/pf-home" && cp -a "$pfd/home" "$SCRATCH/pf-home"
  (cd "$SCRATCH" && exec env "${pfenv[@]}" PROMPTFOO_CONFIG_DIR="$SCRATCH/pf-home" HOME="$SCRATCH/pf-home" \
    NODE_OPTIONS="--require $ROOT/$H/loopback-only.cjs" "$pf" view -p 3330 -n) >"$OUT/logs/promptfoo-view.log" 2>&1 &
  PIDS+=("$!")
  "$VENV/bin/inspect" view --log-dir "$ind" --host 127.0.0.1 --port 3320 >"$OUT/logs/inspect-view.log" 2>&1 &
  PIDS+=("$!")

  local targets=() big
  if [ -f "$DATA/sqlite/manifest.json" ]; then
    [ -f "$SCRATCH/read.db" ] || cp --reflink=auto "$DATA/sqlite/assay.db" "$SCRATCH/read.db"
    start_assay pageload-sqlite 3311 "sqlite://$SCRATCH/read.db"
    big=$(mf "$DATA/sqlite/manifest.json" run_big)
    targets+=("{\"name\": \"assay-sqlite\", \"backend\": \"sqlite\", \"url\": \"http://127.0.0.1:3311/runs/$big\", \"selector\": \"[data-testid=result-row]\"}")
  fi
  if [ -f "$DATA/pg/manifest.json" ]; then
    as_pg "$(pgbin)/pg_isready" -h 127.0.0.1 -p "$PG_PORT" -q 2>/dev/null || pg_start "$DATA/pg/data.tar"
    start_assay pageload-pg 3312 "$(pg_url assay_bench)"
    big=$(mf "$DATA/pg/manifest.json" run_big)
    targets+=("{\"name\": \"assay-postgres\", \"backend\": \"postgres\", \"url\": \"http://127.0.0.1:3312/runs/$big\", \"selector\": \"[data-testid=result-row]\"}")
  fi
  wait_http http://127.0.0.1:3330/ 180 || { cat "$OUT/logs/promptfoo-view.log" >&2; die "promptfoo view did not start"; }
  wait_http http://127.0.0.1:3320/ 180 || { cat "$OUT/logs/inspect-view.log" >&2; die "inspect view did not start"; }
  targets+=("{\"name\": \"promptfoo view\", \"url\": \"http://127.0.0.1:3330/eval/eval-assay-bench-$DSV\", \"selector\": \"table.results-table tbody tr[id^=row-]\"}")
  targets+=("{\"name\": \"inspect view\", \"url\": \"http://127.0.0.1:3320/#/tasks/assay-bench.eval\", \"selector\": \"[role=rowgroup] a[role=row][href*='/samples/sample/']\"}")
  local json
  json="[$(IFS=,; echo "${targets[*]}")]"
  log "page load: $REPS cold loads of each viewer, in turn"
  node $H/pageload.mjs "$REPS" "$json" | record || fail "page load (pageload.mjs)"
}
