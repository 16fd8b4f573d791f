#![cfg(not(target_arch = "wasm32"))]
//! The fuzz targets' checks (`fuzz/src/checks.rs`) as a standing test, on stable Rust: every check
//! of the library targets (`stats_from_json`, `parse_frame`, `dashboard`, `rate_engine`, and the
//! `statscope stats` line handling through the library functions it is made of) over the seed
//! corpus that `fuzz/run.sh` seeds libFuzzer with, and over a bounded, deterministic set of inputs
//! a seeded mutator makes from the seeds and the saved regressions (`fuzz/src/corpus.rs`). The saved
//! regressions themselves are replayed by `tests/fuzz_regressions.rs`; the real `statscope stats`
//! command is checked the same way by `bridge/tests/fuzz_checks.rs`.
//!
//! A failure names the check and shows the input: save it into `tests/fuzz-regressions/` once it
//! is understood (RELIABILITY.md, "Fuzzing").

#[path = "../fuzz/src/checks.rs"]
mod checks;
#[path = "../fuzz/src/corpus.rs"]
mod corpus;
#[path = "../fuzz/src/podman_checks.rs"]
mod podman_checks;
#[path = "../fuzz/src/protocol_checks.rs"]
mod protocol_checks;

use std::path::Path;

/// How many inputs the mutator makes, and from which PRNG seed (the bridge's test makes the same).
const GENERATED: usize = 4000;
const PRNG_SEED: u64 = 19;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn assert_none_failed(what: &str, inputs: &[(String, Vec<u8>)]) {
    let failures = corpus::failures(inputs, checks::ALL, 20);
    assert!(
        failures.is_empty(),
        "{what}: {} failure(s) (the first 20 at most) over {} inputs:\n{}",
        failures.len(),
        inputs.len(),
        failures.join("\n")
    );
}

#[test]
fn every_seed_passes_every_fuzz_check() {
    let seeds = corpus::seeds(root(), corpus::MAX_LEN);
    // What run.sh seeds: every fixture line (147), the runs, the arrays, the interleaved lines and
    // the extras. Fewer would mean the fixtures were not found or not split.
    assert!(seeds.len() > 400, "only {} seeds", seeds.len());
    for extra in corpus::EXTRA_SEEDS {
        assert!(seeds.iter().any(|s| s == extra), "{extra:?} is not seeded");
    }
    let inputs: Vec<(String, Vec<u8>)> = seeds
        .into_iter()
        .enumerate()
        .map(|(i, s)| (format!("seed {i}"), s))
        .collect();
    assert_none_failed("the seed corpus", &inputs);
}

#[test]
fn generated_inputs_pass_every_fuzz_check() {
    let inputs = generated();
    assert_none_failed("the generated inputs", &inputs);
}

/// The mutator's inputs: the seeds and the saved regressions, mutated.
fn generated() -> Vec<(String, Vec<u8>)> {
    let mut bases = corpus::seeds(root(), corpus::MAX_LEN);
    bases.extend(corpus::regressions(root()).into_iter().map(|(_, b)| b));
    corpus::generated(&bases, GENERATED, PRNG_SEED, corpus::MAX_LEN)
        .into_iter()
        .enumerate()
        .map(|(i, s)| (format!("generated {i} (PRNG seed {PRNG_SEED})"), s))
        .collect()
}

/// A differential test is only as good as its inputs: the generated ones must reach every outcome
/// the checks tell apart (samples, bad lines, statscope messages good and bad, oversized frames).
#[test]
fn the_generated_inputs_reach_every_kind_of_line() {
    let inputs = generated();
    assert_eq!(inputs.len(), GENERATED);
    let (mut samples, mut bad, mut messages, mut bad_messages, mut oversized, mut not_utf8) =
        (0, 0, 0, 0, 0, 0);
    for (_, data) in &inputs {
        oversized += usize::from(data.split(|&b| b == b'\n').any(|l| l.first() == Some(&0)));
        for line in data.split(|&b| b == b'\n') {
            let Ok(text) = std::str::from_utf8(line) else {
                not_utf8 += 1;
                continue;
            };
            if text.trim().is_empty() {
                continue;
            }
            match checks::kind(text) {
                checks::Kind::Message => messages += 1,
                checks::Kind::BadMessage => bad_messages += 1,
                checks::Kind::Stats => match statscope::Stats::from_json(text) {
                    Ok(_) => samples += 1,
                    Err(_) => bad += 1,
                },
            }
        }
    }
    let counts = [samples, bad, messages, bad_messages, oversized, not_utf8];
    assert!(
        counts.iter().all(|&n| n >= 50),
        "(samples, bad lines, messages, bad messages, oversized, not UTF-8) = {counts:?}"
    );
    // Deterministic: the same inputs every run.
    assert_eq!(generated(), inputs);
}

// ---------------------------------------------------------------------------------------------
// The `protocol` and `podman` targets: their own seeds, and inputs the mutator makes from them.

/// How many inputs the mutator makes for each of `protocol` and `podman`.
const GENERATED_PER_TARGET: usize = 1500;

/// `seeds`, each named, then `GENERATED_PER_TARGET` inputs mutated from them and the saved
/// regressions.
fn target_inputs(target: &str, seeds: Vec<Vec<u8>>) -> Vec<(String, Vec<u8>)> {
    let mut bases = seeds.clone();
    bases.extend(corpus::regressions(root()).into_iter().map(|(_, b)| b));
    let generated = corpus::generated(&bases, GENERATED_PER_TARGET, PRNG_SEED, corpus::MAX_LEN);
    seeds
        .into_iter()
        .enumerate()
        .map(|(i, s)| (format!("{target} seed {i}"), s))
        .chain(
            generated
                .into_iter()
                .enumerate()
                .map(|(i, s)| (format!("{target} generated {i} (PRNG seed {PRNG_SEED})"), s)),
        )
        .collect()
}

fn protocol_inputs() -> Vec<(String, Vec<u8>)> {
    let general = corpus::seeds(root(), corpus::MAX_LEN);
    target_inputs(
        "protocol",
        protocol_checks::seeds(root(), corpus::MAX_LEN, &general),
    )
}

#[test]
fn the_protocol_target_passes_on_its_seeds_and_generated_inputs() {
    let inputs = protocol_inputs();
    let failures = corpus::failures(&inputs, protocol_checks::ALL, 20);
    assert!(
        failures.is_empty(),
        "{} failure(s) (the first 20 at most) over {} inputs:\n{}",
        failures.len(),
        inputs.len(),
        failures.join("\n")
    );
}

/// The protocol target's inputs reach every kind of message, good and bad, and samples.
#[test]
fn the_protocol_inputs_reach_every_message_kind() {
    use statscope::protocol::Message;
    let mut kinds = std::collections::BTreeMap::<String, usize>::new();
    let mut samples = 0;
    for (_, data) in protocol_inputs() {
        for line in data.split(|&b| b == b'\n') {
            let text = String::from_utf8_lossy(line);
            if !Message::is_framed(&text) {
                continue;
            }
            let kind = match Message::decode(&text) {
                Ok(Some(Message::Other(_))) => "statscope.other".to_string(),
                Ok(Some(m)) => {
                    if let Message::Samples(s) = &m {
                        samples += s.samples.len();
                    }
                    m.kind().to_string()
                }
                Ok(None) => "not statscope's".to_string(),
                Err(_) => "bad".to_string(),
            };
            *kinds.entry(kind).or_default() += 1;
        }
    }
    for kind in [
        "statscope.hello",
        "statscope.host",
        "statscope.samples",
        "statscope.container",
        "statscope.event",
        "statscope.dropped",
        "statscope.heartbeat",
        "statscope.notice",
        "statscope.other",
        "bad",
        "not statscope's",
    ] {
        assert!(
            kinds.get(kind).is_some_and(|&n| n >= 10),
            "{kind}: {:?} in {kinds:?}",
            kinds.get(kind)
        );
    }
    // The subscription's kinds have three or four seeds each, not dozens: fewer inputs reach them.
    for kind in [
        "statscope.subscribe",
        "statscope.subscribed",
        "statscope.fleet",
    ] {
        assert!(
            kinds.get(kind).is_some_and(|&n| n >= 5),
            "{kind}: {:?} in {kinds:?}",
            kinds.get(kind)
        );
    }
    assert!(samples > 300, "only {samples} compact samples");
}

#[test]
fn the_podman_target_passes_on_its_seeds_and_generated_inputs() {
    let general = corpus::seeds(root(), corpus::MAX_LEN);
    let seeds = podman_checks::seeds(root(), corpus::MAX_LEN, &general);
    assert!(
        seeds.len() > general.len() + 50,
        "only {} Podman seeds",
        seeds.len() - general.len()
    );
    let inputs = target_inputs("podman", seeds);
    let failures = corpus::failures(&inputs, podman_checks::ALL, 20);
    assert!(
        failures.is_empty(),
        "{} failure(s) (the first 20 at most) over {} inputs:\n{}",
        failures.len(),
        inputs.len(),
        failures.join("\n")
    );
}
