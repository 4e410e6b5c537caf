#!/usr/bin/env bash
# Build the server binary and the site (WASM bundle, CSS, public assets) with plain cargo,
# wasm-bindgen-cli and binaryen's wasm-opt — what cargo-leptos does for this crate, without
# having to build cargo-leptos from source on a fresh machine (that alone took 10–30 minutes).
#
#   scripts/build.sh            debug:   $CARGO_TARGET_DIR/debug/assay   + target/site
#   scripts/build.sh --release  release: $CARGO_TARGET_DIR/release/assay + target/site (wasm-opt -Oz, .br/.gz)
#
# The server and the bundle must agree on `--cfg erase_components` and LEPTOS_OUTPUT_NAME:
# both come from .cargo/config.toml, so `cargo test` reuses the same build.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${CARGO_TARGET_DIR:=$HOME/.cache/assay/target}"
export CARGO_TARGET_DIR
export PATH="$PWD/end2end/node_modules/.bin:$HOME/.cargo/bin:$PATH"

PROFILE=debug
if [ "${1:-}" = "--release" ]; then PROFILE=release; fi
SITE="$PWD/target/site"
PKG="$SITE/pkg"

if [ "$PROFILE" = release ]; then
  cargo build --release --no-default-features --features ssr --bin assay
  cargo build --lib --target wasm32-unknown-unknown --profile wasm-release --no-default-features --features hydrate
  WASM="$CARGO_TARGET_DIR/wasm32-unknown-unknown/wasm-release/assay.wasm"
else
  cargo build --no-default-features --features ssr --bin assay
  cargo build --lib --target wasm32-unknown-unknown --no-default-features --features hydrate
  WASM="$CARGO_TARGET_DIR/wasm32-unknown-unknown/debug/assay.wasm"
fi

rm -rf "$PKG.tmp"
mkdir -p "$PKG.tmp"
wasm-bindgen --target web --no-typescript --out-dir "$PKG.tmp" --out-name assay "$WASM"
# leptos looks for `{output_name}.wasm` when LEPTOS_OUTPUT_NAME was set at compile time.
mv "$PKG.tmp/assay_bg.wasm" "$PKG.tmp/assay.wasm"
if [ "$PROFILE" = release ]; then
  # The target_features section of rustc's output tells wasm-opt which features are in use.
  wasm-opt -Oz "$PKG.tmp/assay.wasm" -o "$PKG.tmp/assay.opt.wasm"
  mv "$PKG.tmp/assay.opt.wasm" "$PKG.tmp/assay.wasm"
fi
cp style/main.css "$PKG.tmp/assay.css"
if [ "$PROFILE" = release ]; then
  # Precompressed copies, served by ServeDir when the browser accepts them.
  for f in "$PKG.tmp"/assay.wasm "$PKG.tmp"/assay.js "$PKG.tmp"/assay.css; do
    gzip -9 -k -f "$f"
    if command -v brotli >/dev/null; then brotli -q 11 -k -f "$f"; fi
  done
fi
mkdir -p "$SITE"
cp -r public/. "$SITE/"
rm -rf "$PKG"
mv "$PKG.tmp" "$PKG"
echo "built $CARGO_TARGET_DIR/$PROFILE/assay and $SITE ($(du -h "$PKG/assay.wasm" | cut -f1) wasm)"
