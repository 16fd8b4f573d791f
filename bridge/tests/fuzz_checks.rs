//! The `stats_cmd` fuzz target's check as a standing test, on stable Rust: the real
//! `statscope_bridge::stats_cmd::run` (json, csv and table × linux and windows) against the
//! harness's reading of the same lines (`fuzz/src/bridge_checks.rs` and `fuzz/src/checks.rs`), over
//! the saved regressions, the seed corpus that `fuzz/run.sh` seeds libFuzzer with, and the same
//! bounded, deterministic set of generated inputs as the root package's `tests/fuzz_checks.rs`
//! (`fuzz/src/corpus.rs`).
//!
//! A failure names the input and shows it: save it into `tests/fuzz-regressions/` once it is
//! understood (RELIABILITY.md, "Fuzzing").

#[path = "../../fuzz/src/bridge_checks.rs"]
mod bridge_checks;
#[path = "../../fuzz/src/checks.rs"]
mod checks;
#[path = "../../fuzz/src/corpus.rs"]
mod corpus;

use std::path::{Path, PathBuf};

/// The same as `tests/fuzz_checks.rs`: the same generated inputs.
const GENERATED: usize = 4000;
const PRNG_SEED: u64 = 19;

/// The real command against the harness's reading. (The target's library half,
/// `checks::check_stats_lines`, runs on the same inputs in the root package's tests.)
const CHECKS: &[(&str, checks::Check)] = &[("stats_cmd", bridge_checks::check_stats_cmd)];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the bridge is in the repository")
        .to_path_buf()
}

fn assert_none_failed(what: &str, inputs: &[(String, Vec<u8>)]) {
    assert!(!inputs.is_empty(), "{what}: no inputs");
    let failures = corpus::failures(inputs, CHECKS, 20);
    assert!(
        failures.is_empty(),
        "{what}: {} failure(s) (the first 20 at most) over {} inputs:\n{}",
        failures.len(),
        inputs.len(),
        failures.join("\n")
    );
}

#[test]
fn statscope_stats_passes_its_check_on_every_saved_input() {
    assert_none_failed("tests/fuzz-regressions/", &corpus::regressions(&root()));
}

#[test]
fn statscope_stats_passes_its_check_on_every_seed() {
    let inputs: Vec<(String, Vec<u8>)> = corpus::seeds(&root(), corpus::MAX_LEN)
        .into_iter()
        .enumerate()
        .map(|(i, s)| (format!("seed {i}"), s))
        .collect();
    assert_none_failed("the seed corpus", &inputs);
}

#[test]
fn statscope_stats_passes_its_check_on_the_generated_inputs() {
    let mut bases = corpus::seeds(&root(), corpus::MAX_LEN);
    bases.extend(corpus::regressions(&root()).into_iter().map(|(_, b)| b));
    let inputs: Vec<(String, Vec<u8>)> =
        corpus::generated(&bases, GENERATED, PRNG_SEED, corpus::MAX_LEN)
            .into_iter()
            .enumerate()
            .map(|(i, s)| (format!("generated {i} (PRNG seed {PRNG_SEED})"), s))
            .collect();
    assert_none_failed("the generated inputs", &inputs);
}
