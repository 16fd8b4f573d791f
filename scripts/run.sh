#!/usr/bin/env bash
# statscope's run command. Until the bridge and the page land, it computes `docker stats` figures and
# the engine's rates offline from the bundled recording of a real Docker daemon (or a file you name).
set -euo pipefail
cd "$(dirname "$0")/.."
recording="${1:-tests/fixtures/docker-20.10-cgroupv1.ndjson}"
cargo build --release --locked -p statscope-bridge
echo "== statscope stats $recording (like docker stats, the last sample of each container)"
target/release/statscope stats "$recording"
echo
echo "== the engine's rates (--format csv), first rows"
target/release/statscope stats --format csv "$recording" | head -12
