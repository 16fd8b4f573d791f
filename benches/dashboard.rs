//! The page's logic natively: samples/s on one core through `DashboardCore::ingest` + `flush` (text
//! in, as the page does per WebSocket frame and animation frame: the native twin of the browser
//! benchmark's W1), and the cost of building the chart's view (`DashboardCore::view`, once per
//! redraw) for 100 × 600 and 1,000 × 300 points. The engine alone: `statscope-core`'s benches.
//!
//! `cargo bench -p statscope --bench dashboard`.

#[cfg(not(target_arch = "wasm32"))]
#[path = "../crates/core/benches/common/mod.rs"]
mod common;

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use super::common::Fleet;
    use criterion::{criterion_group, BatchSize, BenchmarkId, Criterion, Throughput};
    use statscope::dashboard::{DashboardCore, Options};
    use std::hint::black_box;

    const CONTAINERS: usize = 100;
    const TICKS: usize = 60;

    fn texts(containers: usize, ticks: usize) -> Vec<Vec<String>> {
        let mut fleet = Fleet::new(containers, 7);
        (0..ticks).map(|_| fleet.tick()).collect()
    }

    fn engine(c: &mut Criterion) {
        let data = texts(CONTAINERS, TICKS);
        let samples = (CONTAINERS * TICKS) as u64;
        let mut g = c.benchmark_group("dashboard");
        g.throughput(Throughput::Elements(samples));

        // Text in: ingest every object's text, flush once per tick (what the page does).
        g.bench_function(
            BenchmarkId::new(
                "DashboardCore::ingest+flush",
                format!("{CONTAINERS}x{TICKS}"),
            ),
            |b| {
                b.iter_batched_ref(
                    || DashboardCore::new(Options::default()).expect("valid options"),
                    |d| {
                        for tick in &data {
                            for t in tick {
                                d.ingest(t);
                            }
                            black_box(d.flush());
                        }
                    },
                    BatchSize::LargeInput,
                )
            },
        );
        g.finish();
    }

    fn view(c: &mut Criterion) {
        let mut g = c.benchmark_group("view");
        g.sample_size(20);
        for (containers, points) in [(100usize, 600usize), (1000, 300), (100, 14_400)] {
            let mut d = DashboardCore::new(Options {
                window_seconds: points as f64,
                history_points: Some(points + 10),
                ..Options::default()
            })
            .expect("valid options");
            let mut fleet = Fleet::new(containers, 7);
            for _ in 0..points {
                for t in fleet.tick() {
                    d.ingest(&t);
                }
                d.flush();
            }
            g.throughput(Throughput::Elements((containers * points) as u64));
            g.bench_function(
                BenchmarkId::new("DashboardCore::view", format!("{containers}x{points}")),
                |b| b.iter(|| black_box(d.view(0))),
            );
            // The page's call: decimated to its canvas (the bench page's 1248 px), M4.
            g.bench_function(
                BenchmarkId::new(
                    "DashboardCore::view_at_width/1248",
                    format!("{containers}x{points}"),
                ),
                |b| b.iter(|| black_box(d.view_at_width(0, 1248))),
            );
        }
        g.finish();
    }

    criterion_group!(benches, engine, view);
}

#[cfg(not(target_arch = "wasm32"))]
criterion::criterion_main!(native::benches);

/// The benches are native only (criterion does not build for wasm32).
#[cfg(target_arch = "wasm32")]
fn main() {}
