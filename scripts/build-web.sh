#!/usr/bin/env bash
# Builds the browser package into pkg/ (gitignored), offline: the ES module statscope.js, its
# TypeScript types statscope.d.ts, and statscope_bg.wasm, which index.html loads from ../pkg/.
#
#   scripts/build-web.sh          release build (cargo profile wasm-release), then wasm-opt
#   scripts/build-web.sh --dev    debug build (fast, with debug info), no wasm-opt
#
# The release build is made small where it is built, not afterwards:
#   - cargo profile `wasm-release` (Cargo.toml): the release profile (LTO, one codegen unit) with
#     `strip = true`, which drops the name section, and the dependencies at opt-level "z"
#     (statscope's own code stays at 3: the page's ingest is ~1.7× slower at "z"). Native builds and
#     `cargo bench` keep the release profile; only this script selects wasm-release.
#   - statscope.js without comments and indentation (see slim_js).
#   - reference types off for this build (-C target-feature=-reference-types, wasm32 only): then
#     wasm-bindgen keeps JS objects in a JS-side table instead of exporting an externref table, the
#     one export Debian 12's binaryen 108 rewrites wrongly (see same_exports). `strip = true` also
#     drops the target_features section, which would otherwise tell wasm-bindgen (from the standard
#     library's objects) that reference types are on.
#
# wasm-pack runs in --mode no-install: it uses the wasm-bindgen that scripts/web-tools.sh installed
# from crates.io at the Cargo.lock version and never downloads one. Its own wasm-opt download is
# off (--no-opt, and wasm-opt = false in Cargo.toml); this script runs binaryen's wasm-opt itself
# (Debian's, or $WASM_OPT; -O1, or $WASM_OPT_FLAGS) and keeps its output only if the module's
# exports survive and the module is not larger gzipped. Without wasm-opt the build still works.
set -euo pipefail
cd "$(dirname "$0")/.."

profile=--release
case "${1:-}" in
  "") ;;
  --dev) profile=--dev ;;
  -h | --help) sed -n '2,24p' "$0"; exit 0 ;;
  *) echo "usage: $0 [--dev]" >&2; exit 2 ;;
esac

# Same exports before and after wasm-opt, each table export still naming a table of the same type?
# binaryen 108 (Debian 12's) writes every table export with table index 0: wasm-bindgen's exported
# externref table `__wbindgen_externrefs` then points at the funcref table, and the page fails at
# init with "WebAssembly.Table.set(): Argument 1 is invalid for table". Exit 1 on any difference.
same_exports() {
  python3 - "$1" "$2" <<'PY'
import sys

def leb(d, i):
    r = s = 0
    while True:
        b = d[i]; i += 1; r |= (b & 0x7F) << s; s += 7
        if b < 0x80:
            return r, i

def reftype(d, i):
    t = d[i]; i += 1
    if t in (0x63, 0x64):           # (ref null? heaptype)
        h, i = leb(d, i); t = (t, h)
    return t, i

def limits(d, i):
    flag = d[i]; i += 1
    _, i = leb(d, i)
    if flag & 1:
        _, i = leb(d, i)
    return i

def exports(path):
    d = open(path, "rb").read()
    assert d[:4] == b"\0asm", path
    tables, out, i = [], [], 8
    while i < len(d):
        sid = d[i]; n, i = leb(d, i + 1); end = i + n
        if sid == 2:                    # imports: imported tables come first in the index space
            cnt, j = leb(d, i)
            for _ in range(cnt):
                for _ in range(2):
                    ln, j = leb(d, j); j += ln
                kind = d[j]; j += 1
                if kind == 0: _, j = leb(d, j)
                elif kind == 1: t, j = reftype(d, j); j = limits(d, j); tables.append(t)
                elif kind == 2: j = limits(d, j)
                elif kind == 3: j += 2
                elif kind == 4: j += 1; _, j = leb(d, j)
                else: raise SystemExit(f"{path}: unknown import kind {kind}")
        elif sid == 4:                  # tables
            cnt, j = leb(d, i)
            for _ in range(cnt):
                if d[j] == 0x40:
                    raise SystemExit(f"{path}: table with an initializer: not checked")
                t, j = reftype(d, j); j = limits(d, j); tables.append(t)
        elif sid == 7:                  # exports
            cnt, j = leb(d, i)
            for _ in range(cnt):
                ln, j = leb(d, j); name = d[j:j + ln].decode(); j += ln
                kind = d[j]; idx, j = leb(d, j + 1)
                out.append((name, kind, tables[idx] if kind == 1 else None))
        i = end
    return sorted(out)

a, b = exports(sys.argv[1]), exports(sys.argv[2])
if a != b:
    for x in sorted(set(a) ^ set(b)):
        print(("before: " if x in a else "after:  ") + repr(x))
    sys.exit(1)
PY
}

gz_size() {
  gzip -9c "$1" | wc -c
}

# wasm-opt on pkg/statscope_bg.wasm, kept only if its exports survive intact (see above) and it is
# not larger gzipped than before (on an opt-level "z" build, binaryen's -O2 and above inline and
# reorder into a module that is smaller raw but ~8 % larger gzipped; -O1 gains a little);
# otherwise, or without wasm-opt or python3, the unoptimized module stays and a note says why.
# WASM_OPT=/path/to/wasm-opt picks another binaryen, e.g. npm's `binaryen` package
# (`npm install binaryen` then WASM_OPT=$PWD/node_modules/.bin/wasm-opt); WASM_OPT_FLAGS=-Oz
# another optimization level.
optimize() {
  local wasm=pkg/statscope_bg.wasm opt="${WASM_OPT:-wasm-opt}" before before_gz after_gz
  local flags
  read -r -a flags <<< "${WASM_OPT_FLAGS:--O1}"
  # The features Rust's wasm32-unknown-unknown target (1.95) turns on by default, in binaryen's
  # names (the build's target_features section is stripped, so wasm-opt cannot read them there).
  # Reference types stay enabled for binaryen: the standard library was compiled with them. (The
  # target's bulk-memory-opt and call-indirect-overlong have no flag in binaryen 108 and need none.)
  local features=(--enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext
                  --enable-mutable-globals --enable-reference-types --enable-multivalue)
  if ! command -v "$opt" >/dev/null; then
    echo "build-web: NOTE: no $opt (Debian package binaryen): $wasm left unoptimized"
    return 0
  fi
  if ! command -v python3 >/dev/null; then
    echo "build-web: NOTE: no python3 to check wasm-opt's output: $wasm left unoptimized"
    return 0
  fi
  before=$(stat -c %s "$wasm")
  echo "==> $("$opt" --version): wasm-opt ${flags[*]} ${features[*]} $wasm"
  if ! "$opt" "${flags[@]}" "${features[@]}" "$wasm" -o "$wasm.opt" 2> pkg/wasm-opt.log; then
    echo "build-web: NOTE: wasm-opt could not process this module; $wasm left unoptimized ($before bytes):"
    head -n 5 pkg/wasm-opt.log | sed 's/^/    /'
  elif ! same_exports "$wasm" "$wasm.opt" > pkg/wasm-opt.log; then
    echo "build-web: NOTE: $("$opt" --version) changed the module's exports (binaryen 108 writes" \
      "every table export as table 0); $wasm left unoptimized ($before bytes):"
    sed 's/^/    /' pkg/wasm-opt.log
  elif command -v gzip >/dev/null &&
       before_gz=$(gz_size "$wasm") && after_gz=$(gz_size "$wasm.opt") &&
       [ "$after_gz" -gt "$before_gz" ]; then
    echo "build-web: NOTE: wasm-opt ${flags[*]} made $wasm larger gzipped ($before_gz -> $after_gz" \
      "bytes); $wasm left unoptimized ($before bytes)"
  else
    mv "$wasm.opt" "$wasm"
    echo "build-web: wasm-opt ${flags[*]}: $wasm $before -> $(stat -c %s "$wasm") bytes"
  fi
  rm -f "$wasm.opt" pkg/wasm-opt.log
}

# The release build's pkg/statscope.js without its comments and indentation (~2.3 KB smaller
# gzipped; the same docs are in statscope.d.ts). Only whole-line comments and leading whitespace go,
# which never changes what the module means; a line with an odd number of backticks or ending in a
# backslash (a string or template spanning lines) leaves the file as it is, and so does a module
# that node (when installed) cannot parse afterwards.
slim_js() {
  local js=pkg/statscope.js
  if ! command -v python3 >/dev/null; then
    echo "build-web: NOTE: no python3: $js left as wasm-bindgen wrote it"
    return 0
  fi
  if ! python3 - "$js" "$js.slim" <<'PY'; then
import re, sys
src = open(sys.argv[1], encoding="utf-8").read()
if any(l.count("`") % 2 or l.endswith("\\") for l in src.splitlines()):
    sys.exit("a string or template literal spans lines")
out = re.sub(r"^[ \t]*/\*\*(?:(?!\*/).)*?\*/[ \t]*\n", "", src, flags=re.M | re.S)  # /** docs */
out = re.sub(r"^[ \t]*//[^\n]*\n", "", out, flags=re.M)                          # // lines
out = re.sub(r"^[ \t]+", "", out, flags=re.M)                                    # indentation
open(sys.argv[2], "w", encoding="utf-8").write(out)
PY
    echo "build-web: NOTE: $js left as wasm-bindgen wrote it"
    rm -f "$js.slim"
    return 0
  fi
  if command -v node >/dev/null; then
    cp "$js.slim" pkg/slim-check.mjs
    if ! node --check pkg/slim-check.mjs 2>/dev/null; then
      echo "build-web: NOTE: $js without comments does not parse; left as wasm-bindgen wrote it"
      rm -f "$js.slim" pkg/slim-check.mjs
      return 0
    fi
    rm -f pkg/slim-check.mjs
  fi
  echo "build-web: $js without comments and indentation: $(stat -c %s "$js") -> $(stat -c %s "$js.slim") bytes"
  mv "$js.slim" "$js"
}

bash scripts/web-tools.sh
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

if [ "$profile" = --release ]; then
  # See the header: the size profile, and no reference types for the wasm32 target only.
  build=(--profile wasm-release)
  export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="${CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS:+$CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS }-C target-feature=-reference-types"
  if [ -n "${RUSTFLAGS:-}" ]; then
    # Cargo would ignore the target's flags in favour of RUSTFLAGS.
    export RUSTFLAGS="$RUSTFLAGS -C target-feature=-reference-types"
  fi
else
  build=(--dev)
fi

echo "==> wasm-pack build --target web ${build[*]} --out-dir pkg"
wasm-pack build --target web "${build[@]}" --out-dir pkg --mode no-install --no-opt -- --locked

wasm=pkg/statscope_bg.wasm
[ -f "$wasm" ] || { echo "build-web: $wasm was not produced" >&2; exit 1; }

if [ "$profile" = --release ]; then
  optimize
  slim_js
fi

echo "build-web: pkg/ ready:"
ls -l pkg/statscope.js pkg/statscope.d.ts "$wasm"
if command -v gzip >/dev/null; then
  echo "build-web: gzip -9: $wasm $(gz_size "$wasm") bytes, pkg/statscope.js $(gz_size pkg/statscope.js) bytes"
fi
