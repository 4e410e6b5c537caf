# Helpers of scripts/bench.sh (sourced): processes it starts and stops, the throwaway PostgreSQL,
# Assay servers and tokens, and the tools the measurements need.

# Processes: everything started is remembered by pid and stopped on exit.
PIDS=()
stop_pid() {
  local pid=$1 i
  kill -INT "$pid" 2>/dev/null || return 0
  for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.2; done
  kill -KILL "$pid" 2>/dev/null || true
}
pgbin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pg_stop() { [ -d "$PG_DIR/data" ] && as_pg "$(pgbin)/pg_ctl" -D "$PG_DIR/data" -m fast stop >/dev/null 2>&1 || true; }
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
  pg_stop
  rm -rf "$PG_DIR" ${SCRATCH:+"$SCRATCH"}
}

wait_http() { # url seconds
  local i
  for i in $(seq 1 $(($2 * 5))); do curl -sf -o /dev/null "$1" && return 0; sleep 0.2; done
  return 1
}

# start_assay NAME PORT DATABASE_URL → $SERVER_PID
start_assay() {
  # Another server on the port would answer our requests in its place.
  ! curl -s -o /dev/null "http://127.0.0.1:$2/" || die "port $2 is already in use: $1 not started"
  LEPTOS_SITE_ROOT=target/site DATABASE_URL="$3" "$BIN" serve --addr "127.0.0.1:$2" >"$OUT/logs/$1.log" 2>&1 &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  wait_http "http://127.0.0.1:$2/api/runs?limit=1" 120 || { cat "$OUT/logs/$1.log" >&2; die "$1 did not start"; }
}
token() { DATABASE_URL="$1" "$BIN" token create --name "bench-$RANDOM" --scope admin | tail -n 1; }

# PostgreSQL: a throwaway cluster as scripts/test-postgres.sh makes it (same settings), optionally
# started from a cached data directory.
pg_start() { # [tarball]
  local bin
  bin=$(pgbin)
  [ -n "$bin" ] || { log "installing PostgreSQL (Debian)"; apt-get install -y -qq postgresql >&2; bin=$(pgbin); }
  pg_stop
  rm -rf "$PG_DIR"
  mkdir -p "$PG_DIR"
  [ "$(id -u)" = 0 ] && chown postgres "$PG_DIR"
  if [ -n "${1:-}" ]; then
    tar -C "$PG_DIR" -xf "$1"
  else
    as_pg "$bin/initdb" -D "$PG_DIR/data" -U postgres --auth=trust --no-sync -E UTF8 >"$OUT/logs/initdb.log" 2>&1
  fi
  as_pg "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w \
    -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400" \
    start >/dev/null
}
pg_url() { echo "postgres://postgres@127.0.0.1:$PG_PORT/$1"; }
pg_createdb() { as_pg "$(pgbin)/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc "CREATE DATABASE $1" postgres; }

# Tools
ensure_tools() {
  local missing=()
  command -v wrk >/dev/null || missing+=(wrk)
  command -v brotli >/dev/null || missing+=(brotli)
  command -v curl >/dev/null || missing+=(curl)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]} (Debian)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 && apt-get install -y -qq "${missing[@]}" >&2
  fi
  [ -f end2end/node_modules/playwright-core/index.mjs ] || (cd end2end && npm ci --no-audit --no-fund >&2)
  PF_DIR=$TOOLS/promptfoo-$PF_VERSION
  if { has pageload || has import; } && [ ! -x "$PF_DIR/node_modules/.bin/promptfoo" ]; then
    log "installing promptfoo@$PF_VERSION (npm) into $PF_DIR"
    mkdir -p "$PF_DIR"
    echo '{"name": "assay-bench-promptfoo", "private": true}' >"$PF_DIR/package.json"
    (cd "$PF_DIR" && npm install --no-audit --no-fund "promptfoo@$PF_VERSION" >&2)
  fi
  VENV=$TOOLS/venv-inspect-$INSPECT_VERSION
  if { has pageload || has import; } && [ ! -x "$VENV/bin/inspect" ]; then
    log "installing inspect_ai==$INSPECT_VERSION (PyPI) into $VENV"
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q "inspect_ai==$INSPECT_VERSION" >&2
  fi
}
