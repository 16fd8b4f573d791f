//! The engine: samples/s on one core through `RateEngine::update` (parsed samples). The page's
//! `DashboardCore` (text in, and the chart's view) is measured by the root package's
//! `benches/dashboard.rs`.
//!
//! `cargo bench -p statscope-core --bench engine`.

#[cfg(not(target_arch = "wasm32"))]
mod common;

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use super::common::Fleet;
    use criterion::{criterion_group, BatchSize, BenchmarkId, Criterion, Throughput};
    use statscope_core::{EngineConfig, RateEngine, Stats};
    use std::hint::black_box;

    const CONTAINERS: usize = 100;
    const TICKS: usize = 60;

    fn texts(containers: usize, ticks: usize) -> Vec<Vec<String>> {
        let mut fleet = Fleet::new(containers, 7);
        (0..ticks).map(|_| fleet.tick()).collect()
    }

    fn engine(c: &mut Criterion) {
        let data = texts(CONTAINERS, TICKS);
        let parsed: Vec<Vec<Stats>> = data
            .iter()
            .map(|tick| {
                tick.iter()
                    .map(|t| Stats::from_json(t).expect("parses"))
                    .collect()
            })
            .collect();
        let samples = (CONTAINERS * TICKS) as u64;
        let mut g = c.benchmark_group("engine");
        g.throughput(Throughput::Elements(samples));

        // One micro-batch per tick of 100 containers, into an engine that already holds them.
        g.bench_function(
            BenchmarkId::new("RateEngine::update", format!("{CONTAINERS}x{TICKS}")),
            |b| {
                b.iter_batched_ref(
                    || {
                        let mut e = RateEngine::new(EngineConfig::default());
                        e.update(&parsed[0], None);
                        e
                    },
                    |e| {
                        for batch in &parsed[1..] {
                            black_box(e.update(batch, None));
                        }
                    },
                    BatchSize::LargeInput,
                )
            },
        );

        g.finish();
    }

    criterion_group!(benches, engine);
}

#[cfg(not(target_arch = "wasm32"))]
criterion::criterion_main!(native::benches);

/// The benches are native only (criterion does not build for wasm32).
#[cfg(target_arch = "wasm32")]
fn main() {}
