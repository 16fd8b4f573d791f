//! What the bridge's history costs: heap bytes per container for `--history 300` at one sample a
//! second, measured with a counting allocator (exact, not RSS), and the bytes of a sample on the
//! wire against the Docker JSON it comes from (over every recorded fixture).
//!
//! `cargo run --release -p statscope-bridge --example history_memory [CONTAINERS]` prints the
//! figures BENCHMARKS.md quotes. A measurement, not a test: nothing is asserted.

use std::alloc::System;
use std::time::Duration;

use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};
use statscope_bridge::hub::{Hub, HubConfig};
use statscope_core::model::{Sample, Stats, Timestamp};
use tokio_util::sync::CancellationToken;

/// The system allocator, counting (`stats_alloc`).
#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const HISTORY_S: u64 = 300;

fn fixtures() -> Vec<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures");
    let mut lines = Vec::new();
    for entry in std::fs::read_dir(dir).expect("fixtures") {
        let path = entry.expect("entry").path();
        let name = path.display().to_string();
        if name.ends_with(".ndjson") {
            let text = std::fs::read_to_string(&path).expect("fixture");
            lines.extend(text.lines().map(str::to_string));
        }
    }
    lines
}

fn main() {
    let containers: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(100);

    // Bytes per sample: Docker's JSON line, and the same sample on the wire (with a host).
    let (mut raw, mut compact, mut n) = (0usize, 0usize, 0usize);
    for line in fixtures() {
        let Ok(stats) = Stats::from_json(&line) else {
            continue;
        };
        if stats.read.is_zero() || stats.id.len() != 64 {
            continue;
        }
        raw += line.len();
        compact += Sample::of(&stats, "edge-01").to_json().len();
        n += 1;
    }
    println!(
        "bytes per sample over {n} recorded samples (64-hex IDs): Docker JSON {:.0}, statscope.samples entry {:.0} ({:.1}× smaller)",
        raw as f64 / n as f64,
        compact as f64 / n as f64,
        raw as f64 / compact as f64
    );

    // History: `containers` containers × 300 s at 1 Hz, through a real hub.
    let template = fixtures()
        .into_iter()
        .filter_map(|l| Stats::from_json(&l).ok())
        .find(|s| !s.read.is_zero() && s.id.len() == 64)
        .expect("a recorded sample");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let shutdown = CancellationToken::new();
        let config = HubConfig {
            history: Duration::from_secs(HISTORY_S),
            history_bytes: 4 << 30,
            ..HubConfig::default()
        };
        let (hub, sink) = Hub::start(config, shutdown.clone());
        let sink = sink.for_host("edge-01");
        tokio::time::sleep(Duration::from_millis(50)).await;
        let region = Region::new(GLOBAL);
        let t0 = Timestamp::parse_rfc3339("2026-12-05T10:00:00Z")
            .expect("time")
            .unix_ns();
        for second in 0..=HISTORY_S {
            for c in 0..containers {
                let mut s = Sample::of(&template, "edge-01");
                let id = format!("{c:064x}");
                s.key = Sample::key_of(&id, "", "edge-01");
                s.name = format!("web-{c}");
                s.read = Timestamp::from_unix_ns(t0 + i128::from(second) * 1_000_000_000);
                s.cpu_total += second * 100_000_000 + c as u64;
                s.cpu_system += second * 2_000_000_000;
                assert!(sink.send_sample(s).await);
            }
        }
        let expected = containers * (HISTORY_S as usize + 1);
        while hub.history_size().0 < expected {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // Let the broadcast ring's frames (no viewer holds them) go.
        tokio::time::sleep(Duration::from_millis(300)).await;
        // A reallocation is counted in `bytes_allocated`/`bytes_deallocated` already.
        let change = region.change();
        let used = change.bytes_allocated as isize - change.bytes_deallocated as isize;
        let (samples, accounted) = hub.history_size();
        println!(
            "history: {containers} containers × {HISTORY_S} s at 1 Hz = {samples} samples; heap {:.1} KiB per container ({:.0} B per sample), counted against --history-mib {:.1} KiB per container",
            used as f64 / 1024.0 / containers as f64,
            used as f64 / samples as f64,
            accounted as f64 / 1024.0 / containers as f64
        );
        shutdown.cancel();
    });
}
