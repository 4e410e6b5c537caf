#!/usr/bin/env bash
# "Fresh machine to first page": a clone of HEAD with an empty target dir, an empty CARGO_HOME
# (so wasm-bindgen-cli and every crate come from crates.io again), an empty npm cache and no
# ~/.cargo/bin on PATH, then what `make run` does — build, demo data, serve — until the first page
# answers. Only the Rust toolchain itself (rustup's, with the wasm target) and Debian's packages
# are reused. Opt-in (`BENCH_FRESH=1 make bench`): it takes 20+ minutes of both cores.
# Prints one BENCH line. Usage: fresh_build.sh PORT
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PORT=${1:-3340}
DIR=$(mktemp -d /tmp/assay-fresh.XXXXXX)
SERVER=
cleanup() {
  if [ -n "$SERVER" ]; then
    kill -INT "$SERVER" 2>/dev/null || true
    wait "$SERVER" 2>/dev/null || true
  fi
  rm -rf "$DIR"
}
trap cleanup EXIT

git clone -q "$ROOT" "$DIR/assay"
mkdir -p "$DIR/cargo-home/bin"
for tool in cargo rustc rustup rustdoc; do ln -s "$(command -v rustup)" "$DIR/cargo-home/bin/$tool"; done
export RUSTUP_HOME=${RUSTUP_HOME:-$HOME/.rustup}
# A scratch HOME too: the Makefile and scripts/build.sh put ~/.cargo/bin on PATH.
export HOME=$DIR/home CARGO_HOME=$DIR/cargo-home CARGO_TARGET_DIR=$DIR/target npm_config_cache=$DIR/npm-cache
mkdir -p "$HOME"
export PATH=$DIR/cargo-home/bin:/usr/local/bin:/usr/bin:/bin

cd "$DIR/assay"
t0=$(date +%s)
make build >"$DIR/build.log" 2>&1 || { tail -n 40 "$DIR/build.log" >&2; exit 1; }
t1=$(date +%s)
DATABASE_URL="sqlite://$DIR/assay.db" ./target/release/assay demo >"$DIR/demo.log" 2>&1
LEPTOS_SITE_ROOT=target/site DATABASE_URL="sqlite://$DIR/assay.db" ./target/release/assay serve --addr "127.0.0.1:$PORT" \
  >"$DIR/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 600); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/" && break; sleep 0.2; done
curl -sf -o /dev/null "http://127.0.0.1:$PORT/" || { cat "$DIR/serve.log" >&2; exit 1; }
t2=$(date +%s)
printf 'BENCH {"row": "fresh_build", "backend": null, "value": %s, "unit": "min", "cmp": "<=", "target": 20, "note": "make build %.1f min (empty target dir, CARGO_HOME and npm cache), then demo data and the first page %.1f min"}\n' \
  "$(echo "($t2 - $t0) / 60" | bc -l)" "$(echo "($t1 - $t0) / 60" | bc -l)" "$(echo "($t2 - $t1) / 60" | bc -l)"
