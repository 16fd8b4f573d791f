//! Property tests for the derivative engine: whatever the counters do, no rate is negative, NaN or
//! infinite, the ring stays bounded, and there is exactly one point per sample.
#![cfg(not(target_arch = "wasm32"))]

use proptest::prelude::*;
use serde_json::json;
use statscope_core::{EngineConfig, RateEngine, Stats};

/// `(container, Δt ms, cpu step, sys step, reset?, empty?, precpu real?)`
type Step = (u8, i64, u64, u64, bool, bool, bool);

proptest! {
    #[test]
    fn rates_are_finite_and_non_negative_and_memory_bounded(
        steps in prop::collection::vec((0u8..4, -500i64..5000, 0u64..4_000_000_000, 0u64..4_000_000_000,
                                        any::<bool>(), any::<bool>(), any::<bool>()), 1..120),
        cap in 1usize..16,
    ) {
        let mut e = RateEngine::new(EngineConfig { history_points: cap, ..EngineConfig::default() });
        let mut clock = [0i64; 4];
        let mut total = [0u64; 4];
        let mut system = [0u64; 4];
        let mut samples = Vec::new();
        for (c, dt, cpu, sys, reset, is_empty, pre) in steps as Vec<Step> {
            let i = c as usize;
            let (pt, ps, pr) = (total[i], system[i], clock[i]);
            clock[i] += dt;
            total[i] = if reset { cpu / 8 } else { total[i] + cpu };
            system[i] += sys;
            let read = if is_empty { "0001-01-01T00:00:00Z".to_string() } else {
                statscope_core::Timestamp::from_unix_ns(1_700_000_000_000_000_000 + i128::from(clock[i]) * 1_000_000).to_rfc3339()
            };
            let preread = if pre { statscope_core::Timestamp::from_unix_ns(1_700_000_000_000_000_000 + i128::from(pr) * 1_000_000).to_rfc3339() }
                          else { "0001-01-01T00:00:00Z".to_string() };
            let v = json!({"id": format!("c{c}"), "read": read, "preread": preread,
                "cpu_stats": {"cpu_usage": {"total_usage": total[i]}, "system_cpu_usage": system[i], "online_cpus": 2},
                "precpu_stats": {"cpu_usage": {"total_usage": pt}, "system_cpu_usage": ps},
                "networks": {"eth0": {"rx_bytes": total[i] / 7, "tx_bytes": system[i] / 9}},
                "memory_stats": {"usage": 1000, "limit": 2000}});
            samples.push(Stats::from_json(&v.to_string()).unwrap());
        }
        for chunk in samples.chunks(3) {
            let points = e.update(chunk, None);
            prop_assert_eq!(points.len(), chunk.len());
            for p in points {
                for v in [p.cpu_percent(), p.net_rx_bytes_per_s(), p.net_tx_bytes_per_s(),
                          p.blk_read_bytes_per_s(), p.blk_write_bytes_per_s(), p.mem_percent()].into_iter().flatten() {
                    prop_assert!(v.is_finite() && v >= 0.0, "bad value {v} in {p:?}");
                }
            }
        }
        for (_, c) in e.containers() {
            prop_assert!(c.points().len() <= cap);
            let times: Vec<i64> = c.points().iter().map(|p| p.t_unix_ns).collect();
            prop_assert!(times.windows(2).all(|w| w[0] <= w[1]), "ring out of order: {times:?}");
        }
    }
}
