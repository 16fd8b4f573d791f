#!/usr/bin/env bash
# statscope's performance benchmark (issue 6), side by side in one headless-Chromium run:
# statscope (Rust → Wasm) vs a plain-JS port of its engine (W1) and vs uPlot (W2), plus the live
# workloads through `statscope serve --replay` (W3 live, W4 burst, W5 memory) and the size (W6).
# Not part of the test command. About 15 minutes on 2 cores with warm build caches.
#
#   bash bench/run.sh                 build (release Wasm + bridge), install peers, measure, report
#   BENCH_QUICK=1 bash bench/run.sh   a 2-minute check of the harness (numbers not comparable)
#
# It writes bench/results/<date>.json, bench/results/<date>.md, bench/results/<date>-frames.png and
# the results section of BENCHMARKS.md. Nothing else should run while it measures (it prints the load
# average and records it in the results; BENCH_WAIT_IDLE=SECONDS waits up to that long for the
# 1-minute load to fall below BENCH_MAX_LOAD, default 0.3).
#
# Settings (environment): BENCH_ONLY=w1,w2,w3,w4,w5,w6  BENCH_ROUNDS=3  BENCH_W3_SECONDS=60
#   BENCH_W3_SIZES=10,100,1000  BENCH_W4_SECONDS=30  BENCH_SOAK_SECONDS=120 (600 = the issue's full
#   10-minute soak)  BENCH_W5_CONTROL=1 (also soak the bare-socket page, to tell the browser's own
#   memory drift from statscope's)  BENCH_TAG=name (write bench/results/<date>-name.* and leave
#   BENCHMARKS.md alone)  BENCH_SKIP_BUILD=1 (measure the pkg/ and target/release/statscope already
#   built)  BENCH_PKG=dir (measure the Wasm package in dir, e.g. a build of another checkout, instead
#   of building pkg/)  BENCH_CPU_THROTTLE=4 (the page's CPU 4x slower)  BENCH_TRACE=file.json (a Chrome
#   trace of the first 10 s of each W3 run: file-<containers>.json)  CHROMIUM=/usr/lib/chromium/chromium
# Only the workloads that need it build and use the bridge (W3, W4, W5): `BENCH_ONLY=w1,w6` needs
# no target/release/statscope.
set -euo pipefail
self="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
cd "$(dirname "$self")/.."

case "${1:-}" in
  "") ;;
  -h | --help) sed -n '2,24p' "$self"; exit 0 ;;
  *) echo "usage: $0   (settings are environment variables; see --help)" >&2; exit 2 ;;
esac

say() { echo "==> bench: $*"; }

# --- tools -----------------------------------------------------------------------------------
for tool in node npm python3 gzip; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is required" >&2; exit 1; }
done
CHROMIUM="${CHROMIUM:-/usr/lib/chromium/chromium}"
if [ ! -x "$CHROMIUM" ]; then
  say "installing Debian's chromium (via scripts/web-tools.sh)"
  bash scripts/web-tools.sh
fi
export CHROMIUM

# --- build -----------------------------------------------------------------------------------
# What is measured is snapshotted into bench/.build/ (a tagged run's into bench/.build/<tag>/, so
# that runs with different tags do not share a snapshot).
build_dir="bench/.build${BENCH_TAG:+/$BENCH_TAG}"
export BENCH_BUILD_DIR="$build_dir"
mkdir -p "$build_dir"
only=",${BENCH_ONLY:-w1,w2,w3,w4,w5,w6},"
need_bridge=false
case "$only" in *,w3,* | *,w4,* | *,w5,*) need_bridge=true ;; esac
pkg_dir=pkg
if [ -n "${BENCH_PKG:-}" ]; then
  pkg_dir="$BENCH_PKG"
  say "BENCH_PKG: measuring the Wasm package in $pkg_dir (not building pkg/)"
  : > "$build_dir"/build-web.log
elif [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
  say "release Wasm: scripts/build-web.sh"
  bash scripts/build-web.sh 2>&1 | tee "$build_dir"/build-web.log
else
  say "BENCH_SKIP_BUILD=1: measuring the pkg/ already built"
  : > "$build_dir"/build-web.log
fi
if $need_bridge; then
  if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
    say "release bridge: cargo build --release -p statscope-bridge"
    cargo build --release -p statscope-bridge --locked
  fi
  [ -x target/release/statscope ] || { echo "bench: target/release/statscope missing" >&2; exit 1; }
fi
[ -f "$pkg_dir/statscope_bg.wasm" ] || { echo "bench: $pkg_dir/statscope_bg.wasm missing (run scripts/build-web.sh)" >&2; exit 1; }

# A snapshot of what is measured, so a rebuild of pkg/ by anyone else cannot change it mid-run.
rm -rf "$build_dir"/pkg
mkdir -p "$build_dir"/pkg
cp "$pkg_dir"/statscope.js "$pkg_dir"/statscope_bg.wasm "$pkg_dir"/statscope.d.ts "$build_dir"/pkg/
# inline_js snippets (src/web_canvas.rs) that statscope.js imports.
if [ -d "$pkg_dir"/snippets ]; then cp -r "$pkg_dir"/snippets "$build_dir"/pkg/; fi
wasm_opt=true
note=""
if grep -q "left unoptimized" "$build_dir"/build-web.log; then
  wasm_opt=false
  note="$(grep -m1 -o 'NOTE: .*' "$build_dir"/build-web.log | sed 's/(.*//; s/"//g' | cut -c1-160)"
elif [ -n "${BENCH_PKG:-}" ]; then
  wasm_opt=false
  note="unknown: the package in $pkg_dir was not built by this run"
elif [ "${BENCH_SKIP_BUILD:-0}" = 1 ]; then
  wasm_opt=false
  note="unknown: pkg/ was not built by this run"
fi
# How the package was built, as build-web.sh said it (e.g. "cargo rustc … --profile wasm-release"),
# if it was here.
profile="$(sed -n 's/^==> \(cargo rustc .*\)/\1/p' "$build_dir"/build-web.log | head -n 1)"
[ -n "$profile" ] || profile="unknown (not built by this run)"
dirty=$(git status --porcelain -- src bridge www index.html Cargo.toml 2>/dev/null | wc -l)
cat > "$build_dir"/build.json <<EOF
{"git": "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)", "dirty": $dirty,
 "pkg": "$pkg_dir", "profile": "$profile", "wasmOpt": $wasm_opt, "wasmOptNote": "$note", "rustc": "$(rustc --version)"}
EOF

# --- peers (into bench/ only) ----------------------------------------------------------------
if [ ! -d bench/node_modules/uplot ] || [ ! -d bench/node_modules/puppeteer-core ] ||
   [ bench/package-lock.json -nt bench/node_modules/.package-lock.json ]; then
  say "npm ci (bench/: uplot, puppeteer-core)"
  (cd bench && npm ci --no-audit --no-fund)
fi

# --- a quiet machine -------------------------------------------------------------------------
max_load="${BENCH_MAX_LOAD:-0.3}"
wait_idle="${BENCH_WAIT_IDLE:-0}"
load() { cut -d' ' -f1 /proc/loadavg; }
waited=0
while python3 -c "import sys; sys.exit(0 if float('$(load)') > float('$max_load') else 1)" &&
      [ "$waited" -lt "$wait_idle" ]; do
  [ $((waited % 30)) = 0 ] && say "load $(load) > $max_load; waiting (up to ${wait_idle} s)"
  sleep 5
  waited=$((waited + 5))
done
say "uptime: $(uptime)"
if python3 -c "import sys; sys.exit(0 if float('$(load)') > float('$max_load') else 1)"; then
  say "WARNING: the machine is busy (1-minute load $(load)); results will be noisy. Top processes:"
  ps -eo pcpu,comm --sort=-pcpu | head -6 | sed 's/^/    /'
fi

# --- measure ---------------------------------------------------------------------------------
say "measuring (see bench/driver.mjs for the settings)"
STATSCOPE_BIN="$PWD/target/release/statscope" node bench/driver.mjs
