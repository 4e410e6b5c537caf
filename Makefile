# Assay — build, run and test. Every target installs what it is missing, so a fresh machine
# needs only `make run` and `make test`.

SHELL := /bin/bash
CARGO_TARGET_DIR ?= $(HOME)/.cache/assay/target
export CARGO_TARGET_DIR
export PATH := $(CURDIR)/end2end/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)

WASM_BINDGEN_VERSION := 0.2.130
DATABASE_URL ?= sqlite://assay.db
ADDR ?= 127.0.0.1:3000

.PHONY: build run demo test tools bench

## Release build: target/release/assay and the site in target/site.
build: tools
	bash scripts/build.sh --release
	mkdir -p target/release
	cp "$(CARGO_TARGET_DIR)/release/assay" target/release/assay
	@echo "built target/release/assay and target/site"

## Build, fill a fresh database with the demo workspace, then serve Assay at http://$(ADDR).
run: build
	DATABASE_URL="$(DATABASE_URL)" ./target/release/assay demo
	LEPTOS_SITE_ROOT=target/site DATABASE_URL="$(DATABASE_URL)" ./target/release/assay serve --addr "$(ADDR)"

## Add the demo workspace to $(DATABASE_URL) (left alone when it already has benches).
demo: build
	DATABASE_URL="$(DATABASE_URL)" ./target/release/assay demo

## Every test: unit, API and store on SQLite and PostgreSQL, then Playwright in Chromium.
test: tools
	bash scripts/test.sh

## Every figure of SPEC §7 on SQLite and a throwaway PostgreSQL, measured from outside on the
## release build, beside promptfoo view and inspect view: one markdown table (target/bench/BENCH.md).
## BENCH_QUICK=1 for small datasets and short loads; BENCH_PARTS="wasm store sqlite postgres pageload".
bench: tools
	bash scripts/bench.sh

## Install the toolchain pieces the build needs: the wasm target, wasm-bindgen-cli (its version must
## equal the wasm-bindgen crate's) and npm packages (binaryen's wasm-opt, Playwright). No cargo-leptos:
## scripts/build.sh does its job (`cargo leptos watch` still works if you install it yourself).
tools:
	@rustup target list --installed 2>/dev/null | grep -q wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
	@wasm-bindgen --version 2>/dev/null | grep -q "$(WASM_BINDGEN_VERSION)" || cargo install --force wasm-bindgen-cli@$(WASM_BINDGEN_VERSION)
	@test -x end2end/node_modules/.bin/wasm-opt -a -x end2end/node_modules/.bin/playwright || (cd end2end && npm ci --no-audit --no-fund)
