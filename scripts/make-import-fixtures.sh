#!/usr/bin/env bash
# Rewrites the import fixtures in tests/fixtures/import/ with the real tools: inspect_ai from PyPI
# (a venv) and promptfoo from npm (scratch folders) — never by hand. Nothing it installs is committed.
#   scripts/make-import-fixtures.sh          # all fixtures
# The versions are pinned so a rerun writes the same shapes; bump them to capture a newer format.
set -euo pipefail

INSPECT_VERSION=0.3.285
PROMPTFOO_VERSION=0.121.20
# The last promptfoo in the registry whose exports are `results.version` 2 (a `table`, no promptIdx).
PROMPTFOO_V2_VERSION=0.55.0

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/tests/fixtures/import
SRC=$OUT/src
CACHE=${ASSAY_FIXTURE_CACHE:-$HOME/.cache/assay}
VENV=$CACHE/venv-fixtures

if ! "$VENV/bin/python" -c "import inspect_ai, sys; sys.exit(inspect_ai.__version__ != '$INSPECT_VERSION')" 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet "inspect_ai==$INSPECT_VERSION"
fi

npm_tool() { # folder version → path of its promptfoo binary
  local dir=$CACHE/$1
  if [ "$(node -p "require('$dir/node_modules/promptfoo/package.json').version" 2>/dev/null)" != "$2" ]; then
    mkdir -p "$dir"
    (cd "$dir" && { [ -f package.json ] || npm init -y >/dev/null; } && npm install --no-audit --no-fund --silent "promptfoo@$2" >/dev/null)
  fi
  echo "$dir/node_modules/.bin/promptfoo"
}
PROMPTFOO=$(npm_tool promptfoo-fixtures "$PROMPTFOO_VERSION")
PROMPTFOO_V2=$(npm_tool promptfoo-v2-fixtures "$PROMPTFOO_V2_VERSION")

echo "inspect_ai $INSPECT_VERSION: writing Inspect logs" >&2
"$VENV/bin/python" "$SRC/make_inspect.py" "$OUT"

# promptfoo writes its database and logs under PROMPTFOO_CONFIG_DIR: a scratch one, so nothing of the
# user's is touched. It exits non-zero when a test errors — the fixtures have one on purpose.
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cp "$SRC"/capitals.yaml "$SRC"/repeat.yaml "$SRC"/capitals-v2.yaml "$SRC"/priced.js "$WORK"/
mkdir -p "$WORK/.promptfoo"
export PROMPTFOO_CONFIG_DIR=$WORK/.promptfoo PROMPTFOO_DISABLE_TELEMETRY=1 PROMPTFOO_DISABLE_UPDATE=1
pf() { # binary config output [args…]
  local bin=$1 config=$2 out=$3; shift 3
  (cd "$WORK" && "$bin" eval -c "$config" -o "$out" --no-progress-bar --no-table --no-cache "$@" >/dev/null 2>&1) || true
  [ -s "$WORK/$out" ] || { echo "promptfoo wrote no $out" >&2; exit 1; }
  cp "$WORK/$out" "$OUT/$out"
}
echo "promptfoo $PROMPTFOO_VERSION and $PROMPTFOO_V2_VERSION: writing exports" >&2
pf "$PROMPTFOO" capitals.yaml capitals.json
pf "$PROMPTFOO" repeat.yaml repeat.jsonl --repeat 2
pf "$PROMPTFOO_V2" capitals-v2.yaml capitals-v2.json

du -ch "$OUT"/*.eval "$OUT"/*.json "$OUT"/*.jsonl | tail -1 >&2
