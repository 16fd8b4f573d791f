#!/usr/bin/env bash
# Builds the browser package into pkg/ (gitignored), offline: the ES module statscope.js, its
# TypeScript types statscope.d.ts, and statscope_bg.wasm, which index.html loads from ../pkg/.
#
#   scripts/build-web.sh          release build (cargo profile wasm-release), wasm-opt, terser
#   scripts/build-web.sh --dev    debug build (fast, with debug info), neither
#
# The build is `cargo rustc --crate-type cdylib` for the root package, then wasm-bindgen (the
# version scripts/web-tools.sh installed from crates.io at the Cargo.lock version) writes pkg/.
# Not `wasm-pack build`, whose `cargo build` makes the cdylib and the rlib (the native tests' and
# benches') in one rustc run, for which Cargo silently drops the profile's LTO (cargo#9672).
#
# The release build (what each step gives: BENCHMARKS.md, "W6: the build's levers"):
#   - cargo profile `wasm-release` (Cargo.toml): the release profile (fat LTO, one codegen unit)
#     with `strip = true` and the dependencies at opt-level "z"; statscope's and statscope-core's
#     own code stays at 3 (the page's ingest is ~1.8x slower at "z").
#   - LLVM's inlining threshold lowered from opt-level 3's 250 to opt-level "s"'s 75
#     (INLINE_THRESHOLD below; -C llvm-args=-inline-threshold, for the wasm32 target only): fat
#     LTO applies it to all the module's code, the standard library's included. ~17 KB smaller
#     gzipped at the same W1/W2 speed.
#   - binaryen's wasm-opt from npm's `binaryen` package (tools/, installed by scripts/web-tools.sh):
#     -O3 without its inliner (inlining makes the module smaller raw but larger gzipped; -Oz's
#     passes make it 0.3 KB smaller and the ingest ~2 % slower).
#   - statscope.js minified by terser (tools/ too); statscope.d.ts keeps the docs.
#
# wasm-bindgen warns that the `target_features` section is missing: `strip = true` drops it, as
# meant. wasm-bindgen then detects reference types from the module's exports (the glue keeps JS
# objects in an exported externref table); the multi-value returns it can no longer detect make no
# measurable difference after wasm-opt.
#
# Nothing is downloaded here. Without tools/ (npm or the registry unreachable) the build still
# works: a NOTE says which step was left out. WASM_OPT=/path/to/wasm-opt picks another binaryen;
# WASM_OPT_FLAGS other flags than WASM_OPT_DEFAULT's below.
set -euo pipefail
cd "$(dirname "$0")/.."

profile=--release
case "${1:-}" in
  "") ;;
  --dev) profile=--dev ;;
  -h | --help) sed -n '2,33p' "$0"; exit 0 ;;
  *) echo "usage: $0 [--dev]" >&2; exit 2 ;;
esac

INLINE_THRESHOLD=75
WASM_OPT_DEFAULT="-O3 --skip-pass=inlining-optimizing --converge"
tools=tools/node_modules/.bin

gz_size() {
  gzip -9c "$1" | wc -c
}

# binaryen's wasm-opt on pkg/statscope_bg.wasm; without it the module stays as wasm-bindgen wrote it.
optimize() {
  local wasm=pkg/statscope_bg.wasm opt="${WASM_OPT:-$tools/wasm-opt}" before flags
  read -r -a flags <<< "${WASM_OPT_FLAGS:-$WASM_OPT_DEFAULT}"
  # The features Rust's wasm32-unknown-unknown target (1.95) turns on by default, in binaryen's
  # names: the target_features section that would say so is stripped.
  local features=(--enable-bulk-memory --enable-bulk-memory-opt --enable-call-indirect-overlong
                  --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals
                  --enable-reference-types --enable-multivalue)
  before=$(stat -c %s "$wasm")
  if ! command -v "$opt" >/dev/null; then
    echo "build-web: NOTE: no wasm-opt ($opt: scripts/web-tools.sh installs npm's binaryen into tools/):" \
      "$wasm left unoptimized ($before bytes)"
    return 0
  fi
  echo "==> $("$opt" --version): wasm-opt ${flags[*]} $wasm"
  if ! "$opt" "${flags[@]}" "${features[@]}" "$wasm" -o "$wasm.opt" 2> pkg/wasm-opt.log; then
    echo "build-web: NOTE: wasm-opt could not process this module; $wasm left unoptimized ($before bytes):"
    head -n 5 pkg/wasm-opt.log | sed 's/^/    /'
  else
    mv "$wasm.opt" "$wasm"
    echo "build-web: wasm-opt: $wasm $before -> $(stat -c %s "$wasm") bytes"
  fi
  rm -f "$wasm.opt" pkg/wasm-opt.log
}

# pkg/statscope.js minified (its exports keep their names; statscope.d.ts keeps the docs).
minify_js() {
  local js=pkg/statscope.js terser="$tools/terser" before
  before=$(stat -c %s "$js")
  if ! command -v "$terser" >/dev/null; then
    echo "build-web: NOTE: no terser ($terser: scripts/web-tools.sh installs it into tools/):" \
      "$js left as wasm-bindgen wrote it ($before bytes)"
    return 0
  fi
  if ! "$terser" "$js" --module --compress --mangle -o "$js.min" 2> pkg/terser.log; then
    echo "build-web: NOTE: terser could not process $js; left as wasm-bindgen wrote it:"
    head -n 5 pkg/terser.log | sed 's/^/    /'
  else
    mv "$js.min" "$js"
    echo "build-web: terser: $js $before -> $(stat -c %s "$js") bytes"
  fi
  rm -f "$js.min" pkg/terser.log
}

bash scripts/web-tools.sh
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

if [ "$profile" = --release ]; then
  # See the header: the size profile, and the inlining threshold for the wasm32 target only.
  cargo_profile=wasm-release
  profile_dir=wasm-release
  bindgen=()
  inline="-C llvm-args=-inline-threshold=$INLINE_THRESHOLD"
  export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="${CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS:+$CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS }$inline"
  if [ -n "${RUSTFLAGS:-}" ]; then
    # Cargo would ignore the target's flags in favour of RUSTFLAGS.
    export RUSTFLAGS="$RUSTFLAGS $inline"
  fi
else
  cargo_profile=dev
  profile_dir=debug
  bindgen=(--debug --keep-debug)
fi

# The cdylib alone, so that the profile's LTO applies (see the header).
build=(cargo rustc --lib --crate-type cdylib --target wasm32-unknown-unknown --profile "$cargo_profile" --locked)
echo "==> ${build[*]}"
"${build[@]}"
echo "==> wasm-bindgen --target web --split-linked-modules ${bindgen[*]}${bindgen[*]:+ }--out-dir pkg"
rm -rf pkg/snippets # a snippet's folder is named by a hash: no stale one may stay
# --split-linked-modules: the paint worker's script (src/web/paint-worker.js, `link_to!`) is a file
# in pkg/snippets/, on the glue's origin, not a blob: URL (which the page's CSP refuses, and from
# which the worker could not import the glue).
wasm-bindgen --target web --split-linked-modules "${bindgen[@]}" --out-dir pkg \
  "${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/$profile_dir/statscope.wasm"

wasm=pkg/statscope_bg.wasm
[ -f "$wasm" ] || { echo "build-web: $wasm was not produced" >&2; exit 1; }

if [ "$profile" = --release ]; then
  optimize
  minify_js
fi

echo "build-web: pkg/ ready:"
ls -l pkg/statscope.js pkg/statscope.d.ts "$wasm"
if command -v gzip >/dev/null; then
  echo "build-web: gzip -9: $wasm $(gz_size "$wasm") bytes, pkg/statscope.js $(gz_size pkg/statscope.js) bytes"
fi
