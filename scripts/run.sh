#!/usr/bin/env bash
# statscope's run command: builds the page (Rust → Wasm) and the bridge, then starts
# `statscope serve`, which prints the URL to open. It relays your Docker Engine when one answers
# (/var/run/docker.sock or $DOCKER_HOST), else the built-in demo feed. Extra arguments go to
# `statscope serve` (e.g. --replay FILE, --listen 127.0.0.1:9090; see `statscope serve --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/web-tools.sh
bash scripts/build-web.sh
cargo build --release --locked -p statscope-bridge
exec target/release/statscope serve --web-root . "$@"
