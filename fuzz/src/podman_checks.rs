//! The check behind the `podman` fuzz target: the Podman stats adapter
//! (`statscope::model::podman`, `crates/core/src/model/podman.rs`) on arbitrary lines of a Podman
//! stats stream. Shared by the fuzz target (`fuzz/fuzz_targets/podman.rs`) and the standing tests
//! (`tests/fuzz_checks.rs` over [`seeds`] and inputs generated from them, `tests/fuzz_regressions.rs`
//! over every saved input), which include this file with `#[path]` next to `checks.rs`.
//!
//! Input: the lines of one container's stream (split at `\n`, read lossily); each is what
//! `/containers/{id}/stats` sent. For every line:
//!
//! - the adapter does not panic, and reads exactly what `Stats::from_json` reads (an error has a
//!   message);
//! - its sample is filed under the stream's ID (and host), named as the docker CLI names it (a
//!   Podman name has no leading `/`), and an empty object stays an empty sample;
//! - **the Docker path agrees**: the object made Docker-shaped — the ID in `id`, the name with its
//!   `/`, the system counter Docker's (wall time × online CPUs, what the CPU formula assumes), and
//!   no `precpu` when Podman's was read less than a second before `read` (its first streamed sample)
//!   or is no baseline at all — read by the Docker path (`Sample::from_stats`) is the very sample
//!   the adapter makes, so both give the same rates;
//! - fed to the engine, every rate is finite and never negative (`checks::check_point`), the rings
//!   stay bounded and ordered (`checks::check_engine_state`), and each Linux CPU value is the
//!   container's CPU time over wall time (Δ`total_usage` ÷ Δ`read` × 100, what `top` shows), against
//!   the baseline the engine says it used, when both samples counted the same CPUs less than
//!   2^64 ns ÷ CPUs apart (the adapter's documented limits) and the numbers are big enough for `f64`
//!   to say so;
//! - at the end, the stream's `ended` sample is the stopped container's empty sample, under the
//!   same key and name.

#![allow(dead_code)]

use std::path::Path;

use statscope::model::podman::{wall_system_ns, PodmanStream, MIN_PRECPU_SPAN_NS};
use statscope::model::Sample;
use statscope::rates::Basis;
use statscope::{EngineConfig, Flag, OsType, RateEngine, Stats, Timestamp};

use crate::checks::{check_engine_state, check_point};

/// The stream's container ID and host.
pub const ID: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
pub const HOST: &str = "pod";

/// The name the docker CLI prints for a Podman name (`burn`, or Docker's `/burn`).
fn cli_name(podman_name: &str) -> &str {
    let docker = podman_name.strip_prefix('/').unwrap_or(podman_name);
    if docker.is_empty() {
        "--"
    } else {
        docker
    }
}

/// The object as Docker would have sent it for the same counters (see the module docs).
pub fn docker_shaped(podman: &Stats) -> Stats {
    let mut s = podman.clone();
    s.id = ID.to_string();
    if !s.name.is_empty() && !s.name.starts_with('/') {
        s.name.insert(0, '/');
    }
    if s.read.is_zero() {
        return s;
    }
    let cpus = statscope::figures::online_cpus(&s.cpu_stats);
    s.cpu_stats.system_cpu_usage = wall_system_ns(s.read, cpus);
    let span_ns = s.read.unix_ns() - s.preread.unix_ns();
    // Docker's counter is read twice within seconds: the span × CPUs is what it grew by.
    let baseline = !s.preread.is_zero()
        && span_ns >= MIN_PRECPU_SPAN_NS
        && span_ns
            .checked_mul(i128::from(cpus))
            .is_some_and(|d| d < 1 << 64)
        && wall_system_ns(s.preread, cpus) <= s.cpu_stats.system_cpu_usage;
    if baseline {
        s.precpu_stats.system_cpu_usage = wall_system_ns(s.preread, cpus);
    } else {
        // Docker's first object on a stream: no preread, no precpu.
        s.preread = Timestamp::ZERO;
        s.precpu_stats = Default::default();
    }
    s
}

/// The engine's baseline for the next sample, as the harness tracks it: read time (ns), CPU total,
/// CPU count.
#[derive(Clone, Copy, Debug)]
struct Before {
    read_ns: i128,
    total: u64,
    cpus: u32,
}

/// Is `f64` precise enough for the CPU value to be compared with the truth: the rounding of each
/// counter is well under a thousandth of its difference?
fn precise(a: u64, b: u64, delta: f64) -> Option<f64> {
    let err = (a as f64 + b as f64) * f64::EPSILON;
    (delta > 0.0 && err < 1e-3 * delta).then_some(err / delta)
}

/// Target `podman` (see the module docs).
pub fn check_podman(data: &[u8]) {
    let mut stream = PodmanStream::new(ID, HOST);
    let mut engine = RateEngine::new(EngineConfig::default());
    let mut before: Option<Before> = None;
    let mut last_name: Option<String> = None;
    let key = Sample::key_of(ID, "", HOST);
    for line in data.split(|&b| b == b'\n') {
        let text = String::from_utf8_lossy(line);
        if text.trim().is_empty() {
            continue;
        }
        let read = Stats::from_json(&text);
        let adapted = stream.sample_from_json(&text);
        let (stats, sample) = match (read, adapted) {
            (Ok(stats), Ok(sample)) => (stats, sample),
            (Err(a), Err(b)) => {
                assert_eq!(a.to_string(), b.to_string(), "two readings, two errors");
                assert!(!b.to_string().is_empty(), "an empty error");
                continue;
            }
            (a, b) => panic!(
                "the adapter and Stats::from_json disagree: {:?} / {:?}",
                a.map(drop),
                b.map(drop)
            ),
        };
        assert_eq!(sample.key, key, "the sample's key");
        assert_eq!(sample.name, cli_name(&stats.name), "the sample's name");
        if !stats.name.is_empty() {
            last_name = Some(stats.name.clone());
        }
        assert_eq!(
            sample.is_empty_sample(),
            stats.read.is_zero(),
            "an empty object is an empty sample, and only it"
        );
        let docker = Sample::from_stats(docker_shaped(&stats), HOST);
        assert_eq!(
            sample, docker,
            "the adapter's sample differs from the Docker path's on the Docker-shaped object"
        );

        let point = engine.update([&sample], None)[0];
        check_point(&point);
        check_engine_state(&engine);
        let linux = sample.os(OsType::Linux) == OsType::Linux;
        if let (Some(cpu), true) = (point.cpu_percent(), linux) {
            let base = match point.explain.basis {
                Basis::PreCpu => Some(Before {
                    read_ns: sample.preread.unix_ns(),
                    total: sample.precpu_total,
                    cpus: sample.cpus,
                }),
                Basis::Previous => before,
                Basis::None => None,
            };
            // Beyond a real stream (the adapter's docs): a CPU count that changed, or a span of
            // more than 2^64 ns ÷ CPUs, where the wall counter may wrap more than once.
            let countable = |b: &Before| {
                (sample.read.unix_ns() - b.read_ns)
                    .checked_mul(i128::from(sample.cpus))
                    .is_some_and(|d| d < 1 << 64)
            };
            if let Some(base) =
                base.filter(|b| b.cpus == sample.cpus && sample.cpus > 0 && countable(b))
            {
                let dt = (sample.read.unix_ns() - base.read_ns) as f64;
                let d_total = sample.cpu_total as f64 - base.total as f64;
                let truth = if d_total > 0.0 {
                    d_total / dt * 100.0
                } else {
                    0.0
                };
                let wall = |ns: i128| wall_system_ns(Timestamp::from_unix_ns(ns), sample.cpus);
                let (sys, pre_sys) = (wall(sample.read.unix_ns()), wall(base.read_ns));
                let tolerance = precise(sys, pre_sys, sys as f64 - pre_sys as f64).and_then(|s| {
                    precise(sample.cpu_total, base.total, d_total).map(|c| 4.0 * (s + c) + 1e-12)
                });
                if let Some(tolerance) = tolerance {
                    assert!(
                        (cpu - truth).abs() <= tolerance * truth.max(cpu),
                        "CPU {cpu} %, but the container used {truth} % of a core \
                         (Δtotal {d_total} ns over {dt} ns, basis {:?})",
                        point.explain.basis
                    );
                }
            }
        }
        match point.flag {
            Flag::Late | Flag::Stopped => {}
            _ => {
                before = Some(Before {
                    read_ns: sample.read.unix_ns(),
                    total: sample.cpu_total,
                    cpus: sample.cpus,
                });
            }
        }
        if point.flag == Flag::Stopped {
            before = None;
        }
    }
    let ended = stream.ended();
    assert!(ended.is_empty_sample(), "ended is not an empty sample");
    assert_eq!(ended.key, key, "ended's key");
    assert_eq!(
        ended.name,
        cli_name(last_name.as_deref().unwrap_or("")),
        "ended's name is the latest name"
    );
    let point = engine.update([&ended], None)[0];
    assert_eq!(point.flag, Flag::Stopped, "ended does not stop the curve");
    check_engine_state(&engine);
}

/// A check of one input.
pub type Check = fn(&[u8]);

/// The checks of this file, for the regression test (every saved input goes through each).
pub const ALL: &[(&str, Check)] = &[("podman", check_podman)];

/// The seed corpus of the `podman` target, sorted: for each container of each Podman recording
/// (`tests/fixtures/podman/podman-4.3*.ndjson`), every line alone and runs of three consecutive
/// lines; then every general seed (Docker's objects read as Podman's must not break the adapter
/// either). At most `max_len` bytes each.
pub fn seeds(root: &Path, max_len: usize, general: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let mut seeds: std::collections::BTreeSet<Vec<u8>> = general.iter().cloned().collect();
    let mut by_container: std::collections::BTreeMap<(String, String), Vec<String>> =
        Default::default();
    for (file, line) in crate::protocol_checks::fixture_objects(root) {
        if !file.contains("podman") {
            continue;
        }
        let id = serde_json::from_str::<serde_json::Value>(&line)
            .ok()
            .and_then(|v| v.get("Id").and_then(|i| i.as_str()).map(str::to_string))
            .unwrap_or_default();
        seeds.insert(line.as_bytes().to_vec());
        by_container.entry((file, id)).or_default().push(line);
    }
    for run in by_container.values() {
        for three in run.windows(3) {
            seeds.insert(three.join("\n").into_bytes());
        }
    }
    seeds.into_iter().filter(|s| s.len() <= max_len).collect()
}
