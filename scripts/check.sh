#!/usr/bin/env bash
# statscope's one check command: what CI runs (.ci/run calls exactly this), and what you run locally.
# Installs what it needs when missing, then: fmt, clippy (host and wasm32), the wasm32 build of the
# engine, and every test. Safe to re-run; later runs reuse what is installed.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "toolchain: wasm32-unknown-unknown, rustfmt, clippy"
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  rustup target add wasm32-unknown-unknown
fi
for component in rustfmt clippy; do
  rustup component list --installed | grep -q "^$component" || rustup component add "$component"
done

step "cargo fmt --check"
cargo fmt --all -- --check

step "clippy, host (all targets)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "clippy, wasm32 (the library)"
cargo clippy --lib --target wasm32-unknown-unknown --locked -- -D warnings

step "build the engine for wasm32"
cargo build --lib --target wasm32-unknown-unknown --locked

step "tests (native)"
cargo test --workspace --locked
