#!/usr/bin/env bash
# Time to a full chart (issue 14): a page opened against a bridge that already holds 300 s of
# history for N containers; ms from navigation until the page has every history sample and has
# drawn after the last one (bench/fleet-page.mjs --full-chart). The bridge replays the bench's
# generated recording (bench/lib/gen.mjs) at 10× with --loop, started 32 s earlier (320 s of sample
# time: its 300 s history is full; a bare client watches from the start, since the bridge reads its source
# only while someone does), and goes on sending live at 10× while the page loads.
# Not a test. Prints one JSON line per page load (fresh browser each) and the load average.
#
#   bash bench/full-chart.sh [CONTAINERS=100] [LOADS=5] [THROTTLE=1]
set -euo pipefail
cd "$(dirname "$0")/.."
containers="${1:-100}" loads="${2:-5}" throttle="${3:-1}"
bin=target/release/statscope
[ -x "$bin" ] || { echo "build it first: cargo build --release -p statscope-bridge" >&2; exit 1; }
[ -f pkg/statscope_bg.wasm ] || { echo "build the page first: bash scripts/build-web.sh" >&2; exit 1; }
file="bench/data/loop-$containers.ndjson"
node --input-type=module -e "import { writeReplay } from './bench/lib/replay.mjs'; writeReplay('$file', 1, { containers: $containers, ticks: 600 });"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin" serve --replay "$file" --loop --speed 10 --listen "127.0.0.1:$port" --web-root "$PWD" \
  --max-per-page 100000 2>/dev/null &
bridge=$!
# The bridge reads its source only while someone watches: a bare client (no subscription, reads
# and drops) keeps it playing from the start.
sleep 1
node --experimental-websocket -e "const w = new WebSocket('ws://127.0.0.1:$port/ws'); w.onmessage = () => {}; w.onclose = () => process.exit(0);" &
watcher=$!
trap 'kill "$watcher" "$bridge" 2>/dev/null || true' EXIT
sleep 32
echo "load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
# Every container's 300 s (301 samples at 1 Hz), less a little for the crons' restarts.
want=$((containers * 295))
for _ in $(seq "$loads"); do
  node bench/fleet-page.mjs "http://127.0.0.1:$port/" --full-chart "$want" --throttle "$throttle" | tail -n 1
done
