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

proptest! {
    /// Shuffled batches and skewed clocks: whatever one container's clock does (jumps of any size
    /// either way, on any samples), the clock stays with the other containers, none of them is
    /// evicted or sees a late sample, and every ring stays in time order.
    #[test]
    fn one_skewed_container_never_moves_the_clock(
        containers in 3usize..8,
        seconds in 20i64..80,
        skews in prop::collection::vec((0i64..80, prop_oneof![
            -3_000_000_000i64..-40_000,
            40_000i64..3_000_000_000,
        ]), 0..12),
        batch_sizes in prop::collection::vec(1usize..12, 1..40),
        order in any::<u64>(),
    ) {
        let t0 = 1_700_000_000_000i64; // ms
        // (arrival second, the sample's true time in ms, the sample)
        let mut samples: Vec<(i64, i64, Stats)> = Vec::new();
        for t in 0..seconds {
            for c in 0..containers {
                let true_ms = t0 + t * 1000 + c as i64 * 7;
                let mut t_ms = true_ms;
                if c == 0 {
                    if let Some((_, by)) = skews.iter().find(|(at, _)| *at == t) {
                        t_ms += by;
                    }
                }
                let n = t as u64 + 1;
                let v = json!({"id": format!("c{c}"), "name": format!("/c{c}"),
                    "read": statscope_core::Timestamp::from_unix_ns(i128::from(t_ms) * 1_000_000).to_rfc3339(),
                    "cpu_stats": {"cpu_usage": {"total_usage": n * 100_000_000}, "system_cpu_usage": n * 2_000_000_000, "online_cpus": 2},
                    "memory_stats": {"usage": 1000, "limit": 2000}});
                samples.push((t, true_ms, Stats::from_json(&v.to_string()).unwrap()));
            }
        }
        // Shuffle the containers' order within each second (a stream per container keeps its own
        // order), then cut into batches of random sizes.
        let mut seed = order | 1;
        for second in samples.chunk_by_mut(|a, b| a.0 == b.0) {
            for i in (1..second.len()).rev() {
                seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17;
                second.swap(i, (seed % (i as u64 + 1)) as usize);
            }
        }
        let mut e = RateEngine::default();
        let mut newest_true_ms = i64::MIN;
        let mut rest = &samples[..];
        let mut sizes = batch_sizes.iter().cycle();
        while !rest.is_empty() {
            let n = (*sizes.next().unwrap()).min(rest.len());
            let (batch, tail) = rest.split_at(n);
            rest = tail;
            let arrived = batch.last().unwrap().0 * 1_000_000_000;
            let stats: Vec<Stats> = batch.iter().map(|(_, _, s)| s.clone()).collect();
            newest_true_ms = newest_true_ms.max(batch.iter().map(|b| b.1).max().unwrap());
            let points = e.update_arrived(&stats, None, Some(arrived));
            for (p, s) in points.iter().zip(&stats) {
                if s.id != "c0" {
                    prop_assert_ne!(p.flag, statscope_core::Flag::Late, "{} late", s.id);
                }
            }
            // Once three containers can outvote it, the clock is never past the newest true time
            // yet (the skewed samples' times are not true times).
            let voters = e.containers().filter(|(id, _)| *id != "c0").count();
            if let (Some(clock), true) = (e.clock_ns(), voters >= 2) {
                let newest = i128::from(newest_true_ms) * 1_000_000;
                prop_assert!(clock <= newest, "clock {clock} past the newest true time {newest}");
            }
        }
        prop_assert_eq!(e.len(), containers, "a container was evicted");
        for (id, c) in e.containers() {
            let times: Vec<i64> = c.points().iter().map(|p| p.t_unix_ns).collect();
            prop_assert!(times.windows(2).all(|w| w[0] <= w[1]), "{id}: ring out of order");
        }
        prop_assert!(e.skewed().iter().all(|(id, _)| id == "c0"));
    }
}
