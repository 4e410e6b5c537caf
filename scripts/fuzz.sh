#!/usr/bin/env bash
# Fuzz the JSON API with schemathesis over /api/openapi.json: the real binary under --auth
# required on a database filled with the demo workspace, an admin token, `--checks all` (no 5xx,
# no schema-valid request refused, no undocumented status, every answer true to its schema, …),
# event streams excluded (they never end on a running run), a fixed seed and example count so a
# run is repeatable and takes a minute or two. schemathesis.toml names the few rules JSON Schema
# cannot state.
#
#   scripts/fuzz.sh ASSAY_BIN [POSTGRES_URL]    SQLite, then PostgreSQL when a URL is given
#
# schemathesis is installed into a venv (ASSAY_ST_VENV, default ~/.cache/assay/venv-st) when
# missing. ASSAY_FUZZ_SEED and ASSAY_FUZZ_EXAMPLES override the seed and the examples per operation.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$(realpath "${1:?usage: scripts/fuzz.sh ASSAY_BIN [POSTGRES_URL]}")
PG_URL="${2:-}"
VENV="${ASSAY_ST_VENV:-$HOME/.cache/assay/venv-st}"
ST_VERSION=4.32.5
SEED="${ASSAY_FUZZ_SEED:-7}"
EXAMPLES="${ASSAY_FUZZ_EXAMPLES:-20}"

if ! "$VENV/bin/schemathesis" --version 2>/dev/null | grep -q "$ST_VERSION"; then
  echo "installing schemathesis $ST_VERSION into $VENV…" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "schemathesis==$ST_VERSION"
fi

WORK=$(mktemp -d)
SERVER=""
cleanup() {
  if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# fuzz NAME DATABASE_URL
fuzz() {
  local name=$1 db=$2 log="$WORK/$1.log" addr="" token status
  DATABASE_URL="$db" RUST_LOG=warn "$BIN" demo >/dev/null
  token=$(DATABASE_URL="$db" RUST_LOG=warn "$BIN" token create --name fuzz --scope admin | tail -n 1)
  # --auth required: every fuzzed request goes through the gate (the admin token opens it), and
  # schemathesis checks that an operation needing a token refuses a request without one.
  DATABASE_URL="$db" RUST_LOG=info,sqlx=warn "$BIN" serve --addr 127.0.0.1:0 --auth required 2>"$log" &
  SERVER=$!
  for _ in $(seq 600); do
    addr=$(grep -o 'listening on http://[0-9.:]*' "$log" | head -n 1 | sed 's|.*http://||' || true)
    [ -n "$addr" ] && break
    kill -0 "$SERVER" 2>/dev/null || { cat "$log" >&2; return 1; }
    sleep 0.1
  done
  [ -n "$addr" ] || { echo "assay did not start" >&2; cat "$log" >&2; return 1; }
  echo "fuzzing the API on $name (http://$addr, seed $SEED, $EXAMPLES examples per operation)"
  set +e
  SCHEMATHESIS_HOOKS=scripts/fuzz_hooks.py "$VENV/bin/schemathesis" --config-file schemathesis.toml run "http://$addr/api/openapi.json" \
    --header "Authorization: Bearer $token" --checks all --seed "$SEED" --max-examples "$EXAMPLES" \
    --exclude-path-regex '/events$' --no-color --output-truncate false
  status=$?
  set -e
  # The server shuts down cleanly after all of it.
  kill -TERM "$SERVER"
  if ! wait "$SERVER"; then
    echo "assay did not exit 0 on SIGTERM after fuzzing $name" >&2
    status=1
  fi
  SERVER=""
  if grep -q "panicked" "$log"; then
    echo "the server panicked while fuzzing $name:" >&2
    grep -A3 "panicked" "$log" >&2
    status=1
  fi
  return "$status"
}

fuzz sqlite "sqlite://$WORK/fuzz.db"
if [ -n "$PG_URL" ]; then
  PSQL="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)/psql"
  name="assay_fuzz_$$"
  "$PSQL" "$PG_URL" -q -c "CREATE DATABASE $name" >/dev/null
  fuzz postgres "${PG_URL%/*}/$name"
  "$PSQL" "$PG_URL" -q -c "DROP DATABASE $name WITH (FORCE)" >/dev/null
fi
