#!/usr/bin/env bash
# Start (or reuse) a throwaway PostgreSQL cluster for the test suite, with trust auth on a
# loopback port, and print its URL. `scripts/test-postgres.sh stop` stops and removes it.
# Installs Debian's postgresql package when it is missing.
set -euo pipefail

# Below Linux's ephemeral range (32768–60999): an outgoing connection can never hold it.
PORT="${ASSAY_PG_PORT:-25432}"
DIR="${ASSAY_PG_DIR:-/tmp/assay-test-pg}"
URL="postgres://postgres@127.0.0.1:${PORT}/postgres"

pgbin() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$d" ] && echo "$d"
}

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

if [ "${1:-start}" = stop ]; then
  if [ -d "$DIR" ] && [ -n "$(pgbin)" ]; then
    as_pg "$(pgbin)/pg_ctl" -D "$DIR/data" -m fast stop >/dev/null 2>&1 || true
  fi
  rm -rf "$DIR"
  exit 0
fi

if [ -z "$(pgbin)" ]; then
  echo "installing PostgreSQL (Debian package postgresql)…" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
fi
BIN=$(pgbin)

if as_pg "$BIN/pg_isready" -h 127.0.0.1 -p "$PORT" -q 2>/dev/null; then
  echo "$URL"
  exit 0
fi

rm -rf "$DIR"
mkdir -p "$DIR"
if [ "$(id -u)" = 0 ]; then chown postgres "$DIR"; fi
as_pg "$BIN/initdb" -D "$DIR/data" -U postgres --auth=trust --no-sync -E UTF8 >"$DIR/initdb.log" 2>&1 \
  || { cat "$DIR/initdb.log" >&2; exit 1; }
# Tests create a database each: keep the server light and fast (durability does not matter here).
start_pg() {
  as_pg "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w \
    -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400" \
    start >&2
}
# One retry: a start can fail on a port another process held for a moment.
start_pg || { sleep 2; start_pg; } || { cat "$DIR/server.log" >&2; exit 1; }
echo "$URL"
