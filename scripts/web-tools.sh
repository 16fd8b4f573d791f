#!/usr/bin/env bash
# Installs what the WebAssembly build and the browser tests need, offline-safe: only crates.io, the
# npm registry and Debian's packages are used, never a binary or a browser downloaded from elsewhere.
#
#   - rustup target wasm32-unknown-unknown
#   - wasm-bindgen-cli (wasm-bindgen, wasm-bindgen-test-runner) by `cargo install`, at exactly the
#     `wasm-bindgen` version in Cargo.lock: build-web.sh runs it, and wasm-pack (the browser tests)
#     finds it on PATH and downloads nothing
#   - wasm-pack by `cargo install` when missing
#   - Debian's chromium and chromium-driver (/usr/bin/chromedriver) when missing
#   - the release build's npm tools, tools/package.json (binaryen's wasm-opt, terser), by `npm ci`
#     into tools/node_modules (gitignored) at tools/package-lock.json's versions, when missing or
#     older than the lock file
#
# Idempotent and fast when everything is present. Run it (`bash scripts/web-tools.sh`) or source it;
# either way it exits (or returns) non-zero only on a failed install of what the tests need. A Debian
# package it cannot install (not root, or no apt-get) and the npm tools it cannot install (no npm, or
# no registry) are reported and left to the step that needs them (build-web.sh then builds without
# wasm-opt and terser, and says so).

web_tools_main() {
  local root
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  local cargo_bin="${CARGO_HOME:-$HOME/.cargo}/bin"
  case ":$PATH:" in *":$cargo_bin:"*) ;; *) export PATH="$cargo_bin:$PATH" ;; esac

  # --- rustup target --------------------------------------------------------------------------
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    echo "web-tools: rustup target add wasm32-unknown-unknown"
    rustup target add wasm32-unknown-unknown || return 1
  fi

  # --- wasm-bindgen-cli at the Cargo.lock version ---------------------------------------------
  local want
  want="$(awk '/^\[\[package\]\]/ { name = "" }
               /^name = / { name = $3 }
               /^version = / && name == "\"wasm-bindgen\"" { gsub(/"/, "", $3); print $3 }' \
            "$root/Cargo.lock" | sort -u)"
  if [ -z "$want" ]; then
    echo "web-tools: no wasm-bindgen in $root/Cargo.lock (run a wasm32 build once to lock it)" >&2
    return 1
  fi
  if [ "$(printf '%s\n' "$want" | wc -l)" -ne 1 ]; then
    echo "web-tools: Cargo.lock holds several wasm-bindgen versions: $(echo $want); keep one" >&2
    return 1
  fi
  local have_bg have_runner
  have_bg="$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)"
  have_runner="$(wasm-bindgen-test-runner --version 2>/dev/null | awk '{print $2}' || true)"
  if [ "$have_bg" != "$want" ] || [ "$have_runner" != "$want" ]; then
    echo "web-tools: wasm-bindgen-cli $want (have: ${have_bg:-none}); cargo install, a few minutes on 2 cores"
    _web_tools_cargo_install wasm-bindgen-cli "=$want" || return 1
    have_bg="$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)"
    if [ "$have_bg" != "$want" ]; then
      echo "web-tools: wasm-bindgen --version says '${have_bg:-nothing}' after the install, want $want" >&2
      return 1
    fi
  fi

  # --- wasm-pack --------------------------------------------------------------------------------
  if ! command -v wasm-pack >/dev/null; then
    echo "web-tools: wasm-pack; cargo install, a few minutes on 2 cores"
    _web_tools_cargo_install wasm-pack "" || return 1
  fi

  # --- Debian: chromium, chromedriver -------------------------------------------------------------
  local need=() pkg
  for pkg in chromium chromium-driver; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
  done
  if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      echo "web-tools: apt-get install ${need[*]}"
      local t0=$SECONDS
      # One `apt-get update` per machine and hour: check.sh's own package step may just have run it.
      if ! find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' -mmin -60 2>/dev/null | grep -q .; then
        apt-get update -qq || return 1
      fi
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null || return 1
      echo "web-tools: installed ${need[*]} in $((SECONDS - t0)) s"
    else
      echo "web-tools: missing Debian packages ${need[*]} and cannot install them (needs root and apt-get):" >&2
      echo "web-tools:   the browser tests need chromium + chromium-driver" >&2
    fi
  fi

  # --- npm: the release build's tools (tools/) -------------------------------------------------
  local tools="$root/tools"
  if [ ! -x "$tools/node_modules/.bin/wasm-opt" ] || [ ! -x "$tools/node_modules/.bin/terser" ] ||
     [ "$tools/package-lock.json" -nt "$tools/node_modules/.package-lock.json" ]; then
    if ! command -v npm >/dev/null; then
      echo "web-tools: no npm: cannot install tools/ (wasm-opt, terser); build-web.sh builds without them" >&2
    else
      echo "web-tools: npm ci in tools/ (binaryen's wasm-opt, terser)"
      local t0=$SECONDS npm_log
      npm_log="$(mktemp)"
      # From npm's cache when it has the locked versions; bounded when the registry is unreachable:
      # one retry, 30 s per request.
      if (cd "$tools" && npm ci --no-audit --no-fund --prefer-offline --fetch-retries=1 \
            --fetch-timeout=30000 >"$npm_log" 2>&1); then
        echo "web-tools: installed tools/ in $((SECONDS - t0)) s"
      else
        grep -m 3 'npm error' "$npm_log" | sed 's/^/web-tools:   /' >&2
        echo "web-tools: npm ci in tools/ failed (no registry?); build-web.sh builds without wasm-opt and terser" >&2
      fi
      rm -f "$npm_log"
    fi
  fi

  echo "web-tools: $(wasm-bindgen --version), $(wasm-pack --version)," \
    "$(chromedriver --version 2>/dev/null | awk '{print $1, $2}' || echo 'no chromedriver')," \
    "$("$tools/node_modules/.bin/wasm-opt" --version 2>/dev/null || echo 'no wasm-opt')," \
    "$("$tools/node_modules/.bin/terser" --version 2>/dev/null || echo 'no terser')"
}

# `cargo install --locked CRATE [--version VER]`, printing a line per 25 crates compiled rather than
# every one. If the crate's own lock file names a version this registry does not have (yanked, or
# not yet in the index), it falls back to an unlocked install of the same crate version.
_web_tools_cargo_install() {
  local - # pipefail below stays inside this function, also when the script is sourced
  set -o pipefail
  local crate="$1" version="$2" log t0=$SECONDS status=1 locked
  local args=(install "$crate" --force)
  [ -n "$version" ] && args+=(--version "$version")
  log="$(mktemp)"
  for locked in --locked ""; do
    # shellcheck disable=SC2086 # $locked is one flag or nothing
    if cargo "${args[@]}" $locked 2>&1 | tee "$log" | awk -v crate="$crate" '
      /^ *Compiling / { n++; if (n % 25 == 0) { printf "web-tools:   %s: %d crates compiled\n", crate, n; fflush() } next }
      /^ *(Installed|Replaced|Finished) |^(error|warning: package)/ { print "web-tools:   " $0; fflush() }'
    then
      status=0
      break
    fi
    if [ -n "$locked" ] && grep -qE 'failed to select a version|lock file .* needs to be updated' "$log"; then
      echo "web-tools:   $crate's Cargo.lock pins a version this registry lacks; retrying without --locked"
      continue
    fi
    tail -n 30 "$log" >&2
    break
  done
  rm -f "$log"
  [ "$status" = 0 ] || { echo "web-tools: cargo install $crate failed" >&2; return 1; }
  echo "web-tools: installed $crate in $((SECONDS - t0)) s"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
fi
web_tools_main "$@"
