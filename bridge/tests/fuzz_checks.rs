//! The `stats_cmd` fuzz target's check as a standing test, on stable Rust: the real
//! `statscope_bridge::stats_cmd::run` (json, csv and table × linux and windows) against the
//! harness's reading of the same lines (`fuzz/src/bridge_checks.rs` and `fuzz/src/checks.rs`), over
//! the saved regressions, the seed corpus that `fuzz/run.sh` seeds libFuzzer with, and the same
//! bounded, deterministic set of generated inputs as the root package's `tests/fuzz_checks.rs`
//! (`fuzz/src/corpus.rs`); the `endpoint` target's check over its own seeds; and the
//! `nats_message` target's check of the fleet hub's reading of an agent's message
//! (`fuzz/src/nats_checks.rs`) over its seeds (`fuzz/src/nats_seeds.rs`), 4,000 inputs generated
//! from them and every saved input.
//!
//! A failure names the input and shows it: save it into `tests/fuzz-regressions/` once it is
//! understood (RELIABILITY.md, "Fuzzing").

#[path = "../../fuzz/src/bridge_checks.rs"]
mod bridge_checks;
#[path = "../../fuzz/src/checks.rs"]
mod checks;
#[path = "../../fuzz/src/corpus.rs"]
mod corpus;
#[path = "../../fuzz/src/endpoint_checks.rs"]
mod endpoint_checks;
#[path = "../../fuzz/src/nats_checks.rs"]
mod nats_checks;
#[path = "../../fuzz/src/nats_seeds.rs"]
mod nats_seeds;
#[path = "../../fuzz/src/protocol_checks.rs"]
mod protocol_checks;

use std::path::{Path, PathBuf};

/// The same as `tests/fuzz_checks.rs`: the same generated inputs.
const GENERATED: usize = 4000;
const PRNG_SEED: u64 = 19;

/// The real command against the harness's reading. (The target's library half,
/// `checks::check_stats_lines`, runs on the same inputs in the root package's tests.)
const CHECKS: &[(&str, checks::Check)] = &[("stats_cmd", bridge_checks::check_stats_cmd)];

/// Every saved input goes through the bridge's checks: the real `statscope stats`, the
/// `endpoint` target's check (the saved findings of `endpoint.rs` are in its input format) and the
/// `nats_message` target's (the hub's reading of an agent's message: any bytes are an input).
const SAVED_CHECKS: &[(&str, checks::Check)] = &[
    ("stats_cmd", bridge_checks::check_stats_cmd),
    ("endpoint", endpoint_checks::check_endpoint),
    ("nats_message", nats_checks::check_nats_message),
];

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
fn the_bridge_checks_pass_on_every_saved_input() {
    let inputs = corpus::regressions(&root());
    assert!(!inputs.is_empty(), "no saved inputs");
    let failures = corpus::failures(&inputs, SAVED_CHECKS, 20);
    let _ = std::fs::remove_dir_all(endpoint_checks::scratch_dir());
    assert!(
        failures.is_empty(),
        "tests/fuzz-regressions/: {} failure(s) (the first 20 at most) over {} inputs:\n{}",
        failures.len(),
        inputs.len(),
        failures.join("\n")
    );
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

// ---------------------------------------------------------------------------------------------
// The `endpoint` target: DOCKER_HOST URLs, context files and config.json against the docker CLI.

/// How many inputs the mutator makes from the endpoint seeds (each costs a few file writes).
const ENDPOINT_GENERATED: usize = 600;

#[test]
fn the_harness_reads_context_files_and_config_json_as_the_docker_cli_does() {
    let goldens = endpoint_checks::meta_goldens(&root());
    assert!(
        goldens.len() > 300,
        "only {} context goldens",
        goldens.len()
    );
    let mut wrong = Vec::new();
    for (name, meta, cli) in &goldens {
        if name == "default" {
            // The CLI does not read a stored `default`: it is the built-in one (and statscope's).
            let default = endpoint_checks::GoMeta {
                name: "default".into(),
                docker: Some(Some(("unix:///var/run/docker.sock".into(), false))),
            };
            assert_eq!(
                cli,
                &endpoint_checks::CliMeta::Read(default),
                "a stored default"
            );
            continue;
        }
        let model = endpoint_checks::go_meta(meta);
        let same = match (cli, &model) {
            (endpoint_checks::CliMeta::Read(c), Ok(m)) => c == m,
            (endpoint_checks::CliMeta::Error(_), Err(_)) => true,
            _ => false,
        };
        if !same {
            wrong.push(format!(
                "{name:?} {}: CLI {cli:?}, model {model:?}",
                corpus::show(meta)
            ));
        }
    }
    let mut others = 0;
    for (config, cli) in endpoint_checks::config_goldens(&root()) {
        let model = endpoint_checks::go_config(&config);
        let same = match (&cli, &model) {
            // The CLI also refuses a file for another field's type; only currentContext is modelled.
            (c, _)
                if c.warning.as_deref().is_some_and(|w| {
                    w.contains("Go struct field ConfigFile.")
                        && !w.contains("ConfigFile.currentContext")
                }) =>
            {
                others += 1;
                true
            }
            (c, Err(_)) => c.warning.is_some() && c.context.as_deref() == Some("default"),
            (c, Ok(None)) => c.warning.is_none() && c.context.as_deref() == Some("default"),
            (c, Ok(Some(n))) if n == "ctx" || n == "other" || n == "default" => {
                c.warning.is_none() && c.context.as_deref() == Some(n.as_str())
            }
            (c, Ok(Some(_))) => c
                .error
                .as_deref()
                .is_some_and(|e| e.contains("context not found")),
        };
        if !same {
            wrong.push(format!(
                "config {}: CLI {cli:?}, model {model:?}",
                corpus::show(&config)
            ));
        }
    }
    assert!(
        others <= 2,
        "{others} config goldens refused for fields the model does not read"
    );
    assert!(
        wrong.is_empty(),
        "the model differs from the docker CLI on {} goldens:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

/// Runs `check` on each item, and lists the failures (the first 30).
fn failures_of<T>(items: &[T], check: impl Fn(&T) -> Result<(), String>) -> Vec<String> {
    let mut out = Vec::new();
    for item in items {
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(item)));
        let message = match r {
            Ok(Ok(())) => continue,
            Ok(Err(e)) => e,
            Err(panic) => panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_string()))
                .unwrap_or_default(),
        };
        out.push(message);
    }
    out
}

fn assert_no_failures(what: &str, total: usize, failures: Vec<String>) {
    assert!(
        failures.is_empty(),
        "{what}: {} of {total} disagree:\n{}",
        failures.len(),
        failures
            .iter()
            .take(200)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn statscope_reads_every_recorded_docker_host_as_the_docker_cli() {
    let goldens = endpoint_checks::url_goldens(&root());
    assert!(goldens.len() > 1000, "only {} URL goldens", goldens.len());
    let failures = failures_of(&goldens, |(url, cli)| {
        endpoint_checks::check_url_against_cli(url, cli)
    });
    assert_no_failures("DOCKER_HOST goldens", goldens.len(), failures);
}

#[test]
fn statscope_resolves_every_recorded_context_file_as_the_docker_cli() {
    let goldens = endpoint_checks::meta_goldens(&root());
    let failures = failures_of(&goldens, |(name, meta, cli)| {
        let reference = match cli {
            endpoint_checks::CliMeta::Read(m) => Ok(m.clone()),
            endpoint_checks::CliMeta::Error(e) => Err(e.clone()),
        };
        for flags in [0, 1, 7] {
            endpoint_checks::check_context(name, meta, flags, &reference);
        }
        Ok(())
    });

    let _ = std::fs::remove_dir_all(endpoint_checks::scratch_dir());
    assert_no_failures("context goldens", goldens.len(), failures);
}

#[test]
fn statscope_follows_every_recorded_config_json_as_the_docker_cli() {
    let goldens = endpoint_checks::config_goldens(&root());
    let failures = failures_of(&goldens, |(config, cli)| {
        if cli.warning.as_deref().is_some_and(|w| {
            w.contains("Go struct field ConfigFile.") && !w.contains("ConfigFile.currentContext")
        }) {
            return Ok(());
        }
        let reference = match (&cli.context, &cli.warning, &cli.error) {
            (_, Some(w), _) => Err(w.clone()),
            (Some(c), None, _) if c == "default" => Ok(None),
            (Some(c), None, _) => Ok(Some(c.clone())),
            (None, _, Some(e)) => {
                // "context "NAME": context not found": the name the file gives.
                let name = e.split('"').nth(1).unwrap_or_default().to_string();
                Ok(Some(name))
            }
            _ => Err("no outcome".into()),
        };
        endpoint_checks::check_config(config, &reference);
        Ok(())
    });

    let _ = std::fs::remove_dir_all(endpoint_checks::scratch_dir());
    assert_no_failures("config.json goldens", goldens.len(), failures);
}

fn endpoint_inputs() -> Vec<(String, Vec<u8>)> {
    let seeds = corpus::endpoint_seeds(&root(), corpus::MAX_LEN);
    let generated = corpus::generated(&seeds, ENDPOINT_GENERATED, PRNG_SEED, corpus::MAX_LEN);
    seeds
        .into_iter()
        .enumerate()
        .map(|(i, s)| (format!("endpoint seed {i}"), s))
        .chain(
            generated
                .into_iter()
                .enumerate()
                .map(|(i, s)| (format!("endpoint generated {i} (PRNG seed {PRNG_SEED})"), s)),
        )
        .collect()
}

#[test]
fn the_endpoint_target_passes_on_its_seeds_and_generated_inputs() {
    let inputs = endpoint_inputs();
    assert!(inputs.len() > 3000, "only {} endpoint inputs", inputs.len());
    let failures = corpus::failures(&inputs, endpoint_checks::ALL, 20);
    let _ = std::fs::remove_dir_all(endpoint_checks::scratch_dir());
    assert!(
        failures.is_empty(),
        "{} failure(s) (the first 20 at most) over {} inputs:\n{}",
        failures.len(),
        inputs.len(),
        failures.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// The `nats_message` target: the fleet hub's reading of whatever an agent publishes.

fn nats_inputs() -> Vec<(String, Vec<u8>)> {
    let seeds = nats_seeds::seeds(&root(), corpus::MAX_LEN);
    let generated = corpus::generated(&seeds, GENERATED, PRNG_SEED, corpus::MAX_LEN);
    seeds
        .into_iter()
        .enumerate()
        .map(|(i, s)| (format!("nats_message seed {i}"), s))
        .chain(generated.into_iter().enumerate().map(|(i, s)| {
            (
                format!("nats_message generated {i} (PRNG seed {PRNG_SEED})"),
                s,
            )
        }))
        .collect()
}

#[test]
fn the_nats_message_seeds_reach_every_outcome_on_every_subject() {
    nats_checks::check_kinds_are_the_bridges();
    let seeds = nats_seeds::seeds(&root(), corpus::MAX_LEN);
    assert!(seeds.len() > 200, "only {} nats_message seeds", seeds.len());
    let mut reached = std::collections::BTreeSet::new();
    for seed in &seeds {
        let (subject, _) = nats_seeds::split(seed);
        let kind = nats_checks::subject_model(&subject).map(|(_, k)| k.to_string());
        for outcome in nats_checks::outcomes(seed) {
            reached.insert((format!("{outcome:?}"), kind.clone()));
        }
    }
    for outcome in nats_checks::OUTCOMES {
        let on: Vec<Option<String>> = if outcome == nats_checks::Outcome::Foreign {
            vec![None]
        } else {
            nats_seeds::KINDS
                .iter()
                .map(|k| Some(k.to_string()))
                .collect()
        };
        for kind in on {
            assert!(
                reached.contains(&(format!("{outcome:?}"), kind.clone())),
                "no seed is {outcome:?} on {kind:?}; reached: {reached:?}"
            );
        }
    }
}

#[test]
fn the_hub_reads_every_agent_message_defensively_on_the_seeds_and_generated_inputs() {
    let inputs = nats_inputs();
    assert!(
        inputs.len() > GENERATED,
        "only {} nats_message inputs",
        inputs.len()
    );
    // The mutated inputs still reach every outcome, a message read among them.
    let mut reached = std::collections::BTreeMap::new();
    for (_, data) in inputs.iter().filter(|(n, _)| n.contains("generated")) {
        for outcome in nats_checks::outcomes(data) {
            *reached.entry(format!("{outcome:?}")).or_insert(0usize) += 1;
        }
    }
    for outcome in nats_checks::OUTCOMES {
        assert!(
            reached.get(&format!("{outcome:?}")).copied().unwrap_or(0) >= 10,
            "fewer than 10 generated inputs are {outcome:?}: {reached:?}"
        );
    }
    let failures = corpus::failures(&inputs, nats_checks::ALL, 20);
    assert!(
        failures.is_empty(),
        "{} failure(s) (the first 20 at most) over {} inputs:\n{}",
        failures.len(),
        inputs.len(),
        failures.join("\n")
    );
}
