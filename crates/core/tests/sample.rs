//! The compact sample is lossless for the engine: on every fixture, the engine fed the samples
//! (projected from the stats objects, then through their wire form) gives exactly the points it
//! gives fed the stats objects — every rate, flag and "explain this number" — and the wire form is
//! several times smaller than Docker's JSON.

use statscope_core::model::Sample;
use statscope_core::{EngineConfig, OsType, RateEngine, Stats};

fn fixtures() -> Vec<(String, Vec<String>)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("fixtures") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "ndjson") {
            let text = std::fs::read_to_string(&path).expect("read");
            let lines = text
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(String::from)
                .collect();
            out.push((path.display().to_string(), lines));
        }
    }
    assert!(out.len() >= 3);
    out
}

#[test]
fn the_engine_computes_the_same_from_samples_as_from_stats() {
    for (name, lines) in fixtures() {
        let os = if name.contains("windows") {
            OsType::Windows
        } else {
            OsType::Linux
        };
        let config = EngineConfig {
            daemon_os: os,
            ..EngineConfig::default()
        };
        let (mut from_stats, mut from_samples) =
            (RateEngine::new(config.clone()), RateEngine::new(config));
        let (mut json_bytes, mut sample_bytes) = (0, 0);
        for line in &lines {
            let Ok(stats) = Stats::from_json(line) else {
                continue;
            };
            let wire = Sample::of(&stats, "").to_json();
            json_bytes += line.len();
            sample_bytes += wire.len();
            let sample: Sample = serde_json::from_str(&wire).expect("the wire form reads back");
            assert_eq!(sample, Sample::from_stats(stats.clone(), ""), "{name}");
            let a = from_stats.update([&stats], None);
            let b = from_samples.update([&sample], None);
            // (Debug output: a missing value is NaN, which `==` never equals.)
            assert_eq!(format!("{a:?}"), format!("{b:?}"), "{name}: {line}");
        }
        assert_eq!(from_stats.counts(), from_samples.counts(), "{name}");
        if !name.contains("edge-cases") {
            assert!(
                json_bytes > 4 * sample_bytes,
                "{name}: {json_bytes} bytes of Docker JSON, {sample_bytes} as samples"
            );
        }
    }
}

#[test]
fn a_host_is_part_of_the_key() {
    let line = r#"{"id":"ab","name":"/web","read":"2024-05-01T10:00:00Z"}"#;
    let stats = Stats::from_json(line).expect("stats");
    let a = Sample::of(&stats, "host-a");
    let b = Sample::of(&stats, "host-b");
    assert_eq!((a.key.as_str(), b.key.as_str()), ("ab@host-a", "ab@host-b"));
    let mut e = RateEngine::default();
    e.update([&a, &b], None);
    assert_eq!(e.len(), 2, "the same ID on two hosts: two containers");
    assert_eq!(Sample::of(&stats, "").key, "ab");
}
