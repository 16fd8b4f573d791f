#!/usr/bin/env bash
# Runs every statscope fuzz target for a bounded time, one target at a time (the machine is shared:
# one libFuzzer job, builds with one cargo job), and prints executions and findings per target.
#
#   fuzz/run.sh                      # every target, 60 s each
#   FUZZ_SECONDS=180 fuzz/run.sh     # longer
#   fuzz/run.sh dashboard stats_cmd  # some targets only
#
# Settings (environment):
#   FUZZ_SECONDS    seconds per target (default 60)
#   FUZZ_MAX_LEN    libFuzzer -max_len, bytes (default 8192: three stats objects of a real recording)
#   FUZZ_SANITIZER  cargo-fuzz --sanitizer (default none: statscope forbids unsafe code, so `address`
#                   would mostly cost executions; set `address` to check the dependencies too)
#   CARGO_BUILD_JOBS  cargo's jobs for the build (default 1)
#
# The corpus (fuzz/corpus/<target>/) is seeded by examples/fuzz_seeds.rs from fuzz/src/corpus.rs:
# every line of tests/fixtures/*.ndjson, runs of consecutive samples of one container, array frames
# and statscope's control messages; `protocol` also gets every message kind and the recordings as
# statscope.samples frames (fuzz/src/protocol_checks.rs), `podman` the Podman recordings
# (fuzz/src/podman_checks.rs), `endpoint` the inputs of the docker CLI goldens of
# tests/fixtures/docker-cli/ and the real contexts of tests/fixtures/docker-config/, and
# `nats_message` every message kind on each of a host's NATS subjects, the recordings as an agent
# publishes them, foreign subjects and bad payloads (fuzz/src/nats_seeds.rs). It is kept
# between runs (git ignores it). The same checks run over the same seeds (and inputs mutated from
# them) in the README's test command: tests/fuzz_checks.rs and bridge/tests/fuzz_checks.rs. A finding is saved by libFuzzer under
# fuzz/artifacts/<target>/; minimize it with `cargo +nightly fuzz tmin -s none <target> <file>` (no
# -max_len there: libFuzzer's crash minimizer asserts on it) and keep it in tests/fuzz-regressions/
# (replayed by `cargo test --test fuzz_regressions` and `-p statscope-bridge --test fuzz_checks`).
#   STATSCOPE_FUZZ_IGNORE=<finding>,...  lets a long run skip a known, not yet fixed finding (see
#                   fuzz/src/checks.rs: `ignored`); unset, every check is strict.
# Exit status: 0 when no target found anything, 1 otherwise.
set -euo pipefail
cd "$(dirname "$0")"

seconds="${FUZZ_SECONDS:-60}"
max_len="${FUZZ_MAX_LEN:-8192}"
sanitizer="${FUZZ_SANITIZER:-none}"
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-1}"
all_targets=(stats_from_json parse_frame dashboard rate_engine stats_cmd protocol podman endpoint nats_message)
if [ $# -gt 0 ]; then targets=("$@"); else targets=("${all_targets[@]}"); fi

if ! rustup toolchain list | grep -q '^nightly'; then
  echo "cargo-fuzz needs a nightly toolchain: rustup toolchain install nightly --profile minimal" >&2
  exit 2
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  echo "==> installing cargo-fuzz (crates.io)"
  cargo install cargo-fuzz --locked
fi

echo "==> seeding fuzz/corpus/<target>/ (fuzz/src/corpus.rs, the standing tests' seeds)"
for t in "${targets[@]}"; do mkdir -p "corpus/$t" "artifacts/$t" logs; done
# Stable Rust, the main workspace: the same code that makes the seeds of `cargo test`.
cargo run --quiet --locked --manifest-path ../Cargo.toml --example fuzz_seeds -- \
  "$max_len" "${targets[@]/#/corpus/}"

echo "==> building the fuzz targets (cargo +nightly fuzz build -s $sanitizer, $CARGO_BUILD_JOBS job)"
cargo +nightly fuzz build -s "$sanitizer"

found=0
summary=()
for t in "${targets[@]}"; do
  echo "==> $t: $seconds s, -max_len=$max_len"
  before=$(find "artifacts/$t" -type f | sort)
  start=$(date +%s)
  status=0
  cargo +nightly fuzz run -s "$sanitizer" "$t" "corpus/$t" -- \
    -max_total_time="$seconds" -max_len="$max_len" -dict=stats.dict \
    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 >"logs/$t.log" 2>&1 || status=$?
  elapsed=$(($(date +%s) - start))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "logs/$t.log" | tail -1 || true)
  if [ -z "$execs" ]; then # stopped by a finding: the last status line's count
    execs=$(grep -oE '^#[0-9]+' "logs/$t.log" | tail -1 | tr -d '#' || true)
  fi
  fuzzed=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "logs/$t.log" | tail -1 || true)
  corp=$(grep -oE 'corp: [0-9]+/[0-9]+[a-zA-Z]*' "logs/$t.log" | tail -1 | sed 's/corp: //' || true)
  corpus=$(find "corpus/$t" -type f | wc -l)
  new=$(comm -13 <(echo "$before") <(find "artifacts/$t" -type f | sort) | sed '/^$/d')
  findings=$(printf '%s' "$new" | grep -c . || true)
  if [ "$status" -ne 0 ] || [ "$findings" -gt 0 ]; then
    found=1
    echo "   FINDING (exit $status): see fuzz/logs/$t.log"
    grep -m3 -E "panicked at|^SUMMARY|ERROR: libFuzzer" "logs/$t.log" | sed 's/^/   /' || true
    printf '%s\n' "$new" | sed '/^$/d; s/^/   reproducer: fuzz\//'
  fi
  printf '   %s executions in %s s of fuzzing (%s s with start-up), corpus %s in use of %s files, %s finding(s)\n' \
    "${execs:-?}" "${fuzzed:-?}" "$elapsed" "${corp:-?}" "$corpus" "$findings"
  summary+=("$(printf '%-16s %12s %6ss %14s %8s %4s' "$t" "${execs:-?}" "${fuzzed:-?}" "${corp:-?}" "$corpus" "$findings")")
done

echo
printf '%-16s %12s %7s %14s %8s %4s\n' target executions fuzzed "corpus in use" files findings
printf '%s\n' "${summary[@]}"
exit "$found"
