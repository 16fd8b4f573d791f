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

step "system packages for the real-Docker tests (Debian; as root)"
# docker.io + busybox-static: a private dockerd and FROM-scratch images; curl: polling its socket;
# iproute2: the private daemon's own bridge.
need=()
for pkg in docker.io busybox-static curl iproute2; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
  else
    echo "missing ${need[*]}: the real-Docker tests will say they were skipped (mandatory when CI=true)"
  fi
fi

step "cargo fmt --check"
cargo fmt --all -- --check

step "clippy, host (all targets)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "clippy, wasm32 (the library)"
cargo clippy --lib --target wasm32-unknown-unknown --locked -- -D warnings

step "build the engine for wasm32"
cargo build --lib --target wasm32-unknown-unknown --locked

step "the docker CLI goldens, re-checked against the real docker CLI"
# Each fixture's *.docker-cli.jsonl is what `docker stats --format '{{json .}}'` printed for it; this
# replays every sample to the installed CLI through a fake daemon and compares.
if command -v docker >/dev/null; then
  python3 scripts/docker-cli-golden.py --check tests/fixtures/*.ndjson
else
  echo "no docker CLI: goldens not re-checked (the committed ones are still compared below)"
fi

step "tests (native)"
cargo test --workspace --locked
