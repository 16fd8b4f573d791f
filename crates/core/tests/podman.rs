//! The Podman adapter (`model::podman`) on real Podman 4.3.1 captures (`tests/fixtures/podman/`,
//! made by `scripts/record-podman.py`): the engine fed the adapter's samples shows each
//! container's real CPU use — the kernel's cgroup count over wall time, recorded beside the
//! streams — with no value from the noisy first sample, while the docker CLI's formula on Podman's
//! own counters overstates it; names, memory and network come through; a stopped container's
//! curve ends; the engine is recognized; and the events read as Docker's.

use std::collections::HashMap;

use statscope_core::docker_api::DockerEvent;
use statscope_core::model::podman::{docker_event, recognize, Engine, PodmanStream};
use statscope_core::model::Sample;
use statscope_core::{figures, EngineConfig, Flag, RateEngine, Stats};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/podman");

fn read(name: &str) -> String {
    std::fs::read_to_string(format!("{DIR}/{name}")).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Each line, with the container ID its stream was opened for (Podman writes it as `Id`).
fn lines_of(name: &str) -> Vec<(String, String)> {
    read(name)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("JSON");
            (
                v["Id"].as_str().expect("Podman's Id").to_string(),
                l.to_string(),
            )
        })
        .collect()
}

/// The recorder's own measurement when each line arrived: (file, line) → (name, ID, wall clock
/// ns, the container's cgroup CPU ns read from the kernel).
struct Truth(HashMap<(String, usize), (String, String, i128, i128)>);

impl Truth {
    fn read() -> Truth {
        Truth(
            read("podman-4.3-truth.tsv")
                .lines()
                .skip(1)
                .map(|l| {
                    let f: Vec<&str> = l.split('\t').collect();
                    let n = |i: usize| f[i].parse::<i128>().expect("a number");
                    (
                        (f[0].to_string(), n(1) as usize),
                        (f[2].to_string(), f[3].to_string(), n(4), n(5)),
                    )
                })
                .collect(),
        )
    }

    /// CPU % of a core between two lines: Δcgroup ÷ Δwall × 100.
    fn cpu(&self, from: (&str, usize), to: (&str, usize)) -> f64 {
        let get = |(file, line): (&str, usize)| {
            let (_, _, wall, cpu) = &self.0[&(file.to_string(), line)];
            (*wall, *cpu)
        };
        let ((w0, c0), (w1, c1)) = (get(from), get(to));
        (c1 - c0) as f64 / (w1 - w0) as f64 * 100.0
    }

    /// The ID of a container by name.
    fn id(&self, name: &str) -> String {
        self.0
            .values()
            .find(|(n, _, _, _)| n == name)
            .map(|(_, id, _, _)| id.clone())
            .expect("a recorded container")
    }
}

/// The adapter's samples of the recording, in arrival order.
fn samples(name: &str) -> Vec<Sample> {
    let mut streams: HashMap<String, PodmanStream> = HashMap::new();
    lines_of(name)
        .into_iter()
        .map(|(id, line)| {
            streams
                .entry(id.clone())
                .or_insert_with(|| PodmanStream::new(&id, ""))
                .sample_from_json(&line)
                .expect("the adapter reads Podman's stats")
        })
        .collect()
}

const MAIN: &str = "podman-4.3.ndjson";
const REOPEN: &str = "podman-4.3-reopen.ndjson";

#[test]
fn cpu_is_the_containers_real_use_and_the_first_sample_gives_none() {
    let truth = Truth::read();
    let samples = samples(MAIN);
    let mut engine = RateEngine::new(EngineConfig::default());
    let mut last_line: HashMap<String, usize> = HashMap::new();
    let mut cpu: HashMap<String, Vec<f64>> = HashMap::new();
    for (i, s) in samples.iter().enumerate() {
        let point = engine.update([s], None)[0];
        match last_line.insert(s.key.clone(), i) {
            None => {
                assert_eq!(point.flag, Flag::First, "{}", s.name);
                assert!(
                    point.cpu_percent().is_none(),
                    "no value from the noisy first sample"
                );
            }
            Some(before) => {
                let value = point.cpu_percent().expect("a value");
                let real = truth.cpu((MAIN, before), (MAIN, i));
                assert!(
                    (value - real).abs() <= 2.0,
                    "{} line {i}: {value:.1} %, the cgroup says {real:.1} %",
                    s.name
                );
                cpu.entry(s.name.clone()).or_default().push(value);
            }
        }
    }
    // The busy loop had a core to itself at times (the machine is shared), the limited one
    // stayed under half a core, the sleeping one used nothing.
    assert!(
        cpu["pm-burn"].iter().any(|v| *v > 90.0),
        "{:?}",
        cpu["pm-burn"]
    );
    assert!(
        cpu["pm-half"].iter().all(|v| *v < 52.0),
        "{:?}",
        cpu["pm-half"]
    );
    assert!(
        cpu["pm-idle"].iter().all(|v| *v < 0.5),
        "{:?}",
        cpu["pm-idle"]
    );
    assert!(cpu["pm-burn"].len() >= 5 && cpu["pm-idle"].len() >= 5);
}

#[test]
fn a_reopened_streams_noisy_first_sample_gives_the_real_value() {
    // A bridge that reconnects opens a new stream for a container the engine already follows:
    // its first sample's precpu is milliseconds old. The engine then measures against its own
    // previous sample instead.
    let truth = Truth::read();
    let burn = truth.id("pm-burn");
    let mut lines: Vec<(Stats, &str, usize, String)> = Vec::new();
    for file in [MAIN, REOPEN] {
        for (i, (id, line)) in lines_of(file).into_iter().enumerate() {
            if id == burn {
                lines.push((Stats::from_json(&line).expect("parses"), file, i, line));
            }
        }
    }
    lines.sort_by_key(|(s, _, _, _)| s.read.unix_ns());
    let (mut main, mut reopened) = (PodmanStream::new(&burn, ""), PodmanStream::new(&burn, ""));
    let mut engine = RateEngine::new(EngineConfig::default());
    let mut previous: Option<(&str, usize)> = None;
    let mut own_previous: HashMap<&str, usize> = HashMap::new();
    let mut checked_reopen_first = false;
    for (stats, file, i, line) in &lines {
        let stream = if *file == MAIN {
            &mut main
        } else {
            &mut reopened
        };
        let sample = stream.sample_from_json(line).expect("parses");
        let point = engine.update([&sample], None)[0];
        if let Some(before) = previous {
            let value = point.cpu_percent().expect("a value");
            let baseline = match own_previous.get(file) {
                Some(&j) if !sample.preread.is_zero() => (*file, j),
                _ => before,
            };
            let real = truth.cpu(baseline, (*file, *i));
            assert!(
                (value - real).abs() <= 2.0,
                "{file} line {i}: {value:.1} %, the cgroup says {real:.1} %"
            );
            if *file == REOPEN && *i == 0 {
                checked_reopen_first = true;
                // Podman's own precpu, as the docker CLI would use it, over milliseconds.
                let span_ns = stats.read.unix_ns() - stats.preread.unix_ns();
                assert!(span_ns < 10_000_000, "{span_ns} ns");
                let noisy = (stats.cpu_stats.cpu_usage.total_usage as f64
                    - stats.precpu_stats.cpu_usage.total_usage as f64)
                    / span_ns as f64
                    * 100.0;
                assert!(
                    (noisy - real).abs() > 20.0,
                    "noisy {noisy:.1} %, real {real:.1} %"
                );
            }
        }
        previous = Some((file, *i));
        own_previous.insert(file, *i);
    }
    assert!(checked_reopen_first);
}

#[test]
fn the_docker_cli_formula_on_podmans_counters_overstates() {
    // What the adapter is for: Docker's formula with Podman's busy-only system counter says more
    // than the container used whenever the host had idle time (never less).
    let truth = Truth::read();
    let burn = truth.id("pm-burn");
    let mut before = None;
    let mut worst: f64 = 0.0;
    for (i, (id, line)) in lines_of(MAIN).into_iter().enumerate() {
        if id != burn {
            continue;
        }
        let s = Stats::from_json(&line).expect("parses");
        if let Some(j) = before.replace(i) {
            let real = truth.cpu((MAIN, j), (MAIN, i));
            let cli = figures::cpu_percent_unix(
                s.precpu_stats.cpu_usage.total_usage,
                s.precpu_stats.system_cpu_usage,
                &s.cpu_stats,
            );
            assert!(
                cli >= real - 1.0,
                "the CLI formula says {cli:.1} %, the cgroup {real:.1} %"
            );
            worst = worst.max(cli - real);
        }
    }
    assert!(worst > 20.0, "overstated by up to {worst:.1} points");
}

#[test]
fn names_memory_and_network_come_through() {
    let truth = Truth::read();
    let samples = samples(MAIN);
    let names: std::collections::BTreeSet<&str> = samples.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names.into_iter().collect::<Vec<_>>(),
        ["pm-burn", "pm-half", "pm-idle", "pm-short"]
    );
    for s in &samples {
        assert_eq!(
            s.key,
            truth.id(&s.name),
            "the key is the stream's container ID"
        );
        assert!(s.mem_usage > 0 && s.mem_limit >= s.mem_usage, "{s:?}");
        assert_eq!(s.mem_inactive_file, None);
        assert!(s.net_rx > 0, "the aggregated `network` entry: {s:?}");
        assert_eq!(s.pids, 1);
        assert_eq!(s.cpus, 2);
    }
}

#[test]
fn a_stopped_containers_stream_just_ends_and_ended_closes_its_curve() {
    let truth = Truth::read();
    let recorded = lines_of(MAIN);
    let short_id = truth.id("pm-short");
    let short: Vec<_> = recorded.iter().filter(|(id, _)| *id == short_id).collect();
    // Stopped half way: its stream has about half the others' samples, then nothing.
    let burn_id = truth.id("pm-burn");
    let burn = recorded.iter().filter(|(id, _)| *id == burn_id).count();
    assert!(
        short.len() >= 2 && short.len() < burn,
        "{} of {burn}",
        short.len()
    );
    let mut stream = PodmanStream::new(&short[0].0, "");
    let mut engine = RateEngine::new(EngineConfig::default());
    for (_, line) in &short {
        let s = stream.sample_from_json(line).expect("parses");
        assert!(!s.is_empty_sample(), "Podman sends no empty samples");
        engine.update([&s], None);
    }
    let end = stream.ended();
    assert!(end.is_empty_sample());
    assert_eq!(end.name, "pm-short");
    assert_eq!(engine.update([&end], None)[0].flag, Flag::Stopped);
}

#[test]
fn one_shot_stats_have_no_baseline() {
    for (id, line) in lines_of("podman-4.3-oneshot.ndjson") {
        let s = PodmanStream::new(&id, "")
            .sample_from_json(&line)
            .expect("parses");
        assert!(
            s.preread.is_zero() && s.precpu_total == 0 && s.precpu_system == 0,
            "{s:?}"
        );
        let mut engine = RateEngine::new(EngineConfig::default());
        assert_eq!(engine.update([&s], None)[0].flag, Flag::First);
    }
}

#[test]
fn the_recorded_version_is_podman() {
    let body = read("podman-4.3-version.json");
    let headers = read("podman-4.3-version.headers");
    let server = headers
        .lines()
        .find_map(|l| l.strip_prefix("Server: "))
        .expect("a Server header");
    assert_eq!(recognize(body.as_bytes(), None), Engine::Podman);
    assert_eq!(recognize(b"{}", Some(server)), Engine::Podman);
}

#[test]
fn podmans_events_read_as_dockers() {
    let mut actions: HashMap<String, Vec<String>> = HashMap::new();
    let mut raw_remove = 0;
    for line in read("podman-4.3-events.ndjson").lines() {
        let event: DockerEvent = serde_json::from_str(line).expect("an event");
        raw_remove += usize::from(event.action == "remove");
        if let Some(e) = docker_event(event).lifecycle() {
            if e.action == "die" {
                assert!(e.exit_code.is_some(), "die carries its exit code");
            }
            actions.entry(e.name.clone()).or_default().push(e.action);
        }
    }
    assert!(raw_remove >= 4);
    for name in ["pm-burn", "pm-half", "pm-idle", "pm-short"] {
        let a = &actions[name];
        assert_eq!(
            a.first().map(String::as_str),
            Some("create"),
            "{name}: {a:?}"
        );
        assert!(a.contains(&"start".to_string()), "{name}: {a:?}");
        assert!(a.contains(&"die".to_string()), "{name}: {a:?}");
        assert_eq!(
            a.last().map(String::as_str),
            Some("destroy"),
            "{name}: {a:?}"
        );
    }
}
