//! The parser: Docker stats JSON text → `Stats`, samples/s on one core.
//!
//! `cargo bench --bench parse`. The objects are ~1.8 KB, cgroup v2 shape (see `common`): one object
//! per frame (`parse_frame` of an object), and the bridge's 100 ms frames (a JSON array of ~14).

#[cfg(not(target_arch = "wasm32"))]
mod common;

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use super::common::Fleet;
    use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
    use std::hint::black_box;

    fn parse(c: &mut Criterion) {
        let mut fleet = Fleet::new(100, 7);
        fleet.tick();
        let texts = fleet.tick();
        let bytes: usize = texts.iter().map(String::len).sum();
        let array = format!("[{}]", texts[..14].join(","));

        let mut g = c.benchmark_group("parse");
        g.throughput(Throughput::Elements(texts.len() as u64));
        g.bench_function(BenchmarkId::new("parse_frame/object", texts.len()), |b| {
            b.iter(|| {
                for t in &texts {
                    black_box(statscope_core::parse_frame(black_box(t)).expect("parses"));
                }
            })
        });
        g.throughput(Throughput::Bytes(bytes as u64));
        g.bench_function(BenchmarkId::new("parse_frame/object-bytes", bytes), |b| {
            b.iter(|| {
                for t in &texts {
                    black_box(statscope_core::parse_frame(black_box(t)).expect("parses"));
                }
            })
        });
        g.throughput(Throughput::Elements(14));
        g.bench_function("parse_frame/array-of-14", |b| {
            b.iter(|| black_box(statscope_core::parse_frame(black_box(&array)).expect("parses")))
        });
        // The floor: serde_json skipping the same text without building anything.
        g.throughput(Throughput::Elements(texts.len() as u64));
        g.bench_function("serde_json/ignored-any", |b| {
            b.iter(|| {
                for t in &texts {
                    black_box(
                        serde_json::from_str::<serde::de::IgnoredAny>(black_box(t))
                            .expect("parses"),
                    );
                }
            })
        });
        g.finish();
    }

    criterion_group!(benches, parse);
}

#[cfg(not(target_arch = "wasm32"))]
criterion::criterion_main!(native::benches);

/// The benches are native only (criterion does not build for wasm32).
#[cfg(target_arch = "wasm32")]
fn main() {}
