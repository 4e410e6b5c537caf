#!/usr/bin/env bash
# The whole test suite, as `make test` and CI run it:
#   1. a debug build (server + WASM, scripts/build.sh) for the browser tests,
#   2. cargo test with the same flags (so nothing is compiled twice) against a real SQLite file
#      and a real PostgreSQL server started here,
#   3. schemathesis over the OpenAPI document against the built server, on both backends
#      (scripts/fuzz.sh: fixed seed and example count),
#   4. Playwright specs in Debian's Chromium against the built server.
# It fails when the PostgreSQL tests did not run.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
: "${CARGO_TARGET_DIR:=$HOME/.cache/assay/target}"
export CARGO_TARGET_DIR
export PATH="$PWD/end2end/node_modules/.bin:$HOME/.cargo/bin:$PATH"

if [ ! -x /usr/bin/chromium ]; then
  echo "installing Chromium (Debian packages chromium, chromium-driver)…"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null
fi

bash scripts/build.sh

PG_URL="${ASSAY_TEST_POSTGRES_URL:-}"
STARTED_PG=0
if [ -z "$PG_URL" ]; then
  PG_URL=$(scripts/test-postgres.sh)
  STARTED_PG=1
fi
cleanup() { if [ "$STARTED_PG" = 1 ]; then "$ROOT/scripts/test-postgres.sh" stop; fi; }
trap cleanup EXIT

LOG=$(mktemp)
set +e
ASSAY_TEST_POSTGRES_URL="$PG_URL" cargo test --no-default-features --features ssr 2>&1 | tee "$LOG"
status=${PIPESTATUS[0]}
set -e
if [ "$status" != 0 ]; then
  echo "cargo test failed"
  exit "$status"
fi
pg_ran=$(grep -c '^test postgres::.* ok$' "$LOG" || true)
if [ "$pg_ran" -lt 1 ]; then
  echo "the PostgreSQL tests did not run"
  exit 1
fi
echo "PostgreSQL tests passed: $pg_ran"

bash scripts/fuzz.sh "$CARGO_TARGET_DIR/debug/assay" "$PG_URL"

cd end2end
ASSAY_BIN="$CARGO_TARGET_DIR/debug/assay" LEPTOS_SITE_ROOT="$ROOT/target/site" npx playwright test
