//! The derivative engine's rules, one test each, on samples written as Docker JSON.

use serde_json::{json, Value};
use statscope_core::figures::cpu_percent_unix;
use statscope_core::rates::{Basis, Status};
use statscope_core::{EngineConfig, Flag, Point, RateEngine, Stats};

const T0: i64 = 1_714_557_600; // 2024-05-01T10:00:00Z
const ZERO_TIME: &str = "0001-01-01T00:00:00Z";

fn rfc3339(t_ms: i64) -> String {
    statscope_core::Timestamp::from_unix_ns(i128::from(T0 * 1000 + t_ms) * 1_000_000).to_rfc3339()
}

/// A cgroup-v2-shaped Linux sample at `t_ms` after T0 with the given counters.
#[derive(Clone)]
struct S {
    id: &'static str,
    t_ms: i64,
    total: u64,
    system: u64,
    online: u32,
    /// `(total, system, t_ms)` of `precpu_stats`/`preread`; None = a stream's first object.
    pre: Option<(u64, u64, i64)>,
    rx: u64,
    tx: u64,
    blk_read: u64,
    mem: u64,
}

fn s(id: &'static str, t_ms: i64, total: u64, system: u64) -> S {
    S {
        id,
        t_ms,
        total,
        system,
        online: 2,
        pre: None,
        rx: 0,
        tx: 0,
        blk_read: 0,
        mem: 10 << 20,
    }
}

impl S {
    fn pre(mut self, total: u64, system: u64, t_ms: i64) -> S {
        self.pre = Some((total, system, t_ms));
        self
    }
    fn json(&self) -> Value {
        let (pt, ps, pread) = match self.pre {
            Some((t, s, ms)) => (t, s, rfc3339(ms)),
            None => (0, 0, ZERO_TIME.to_string()),
        };
        json!({
            "id": self.id, "name": format!("/{}", self.id), "read": rfc3339(self.t_ms), "preread": pread,
            "cpu_stats": {"cpu_usage": {"total_usage": self.total}, "system_cpu_usage": self.system,
                          "online_cpus": self.online},
            "precpu_stats": {"cpu_usage": {"total_usage": pt}, "system_cpu_usage": ps, "online_cpus": 2},
            "memory_stats": {"usage": self.mem + 1000, "limit": 100u64 << 20,
                             "stats": {"inactive_file": 1000}},
            "networks": {"eth0": {"rx_bytes": self.rx, "tx_bytes": self.tx},
                         "eth1": {"rx_bytes": self.rx, "tx_bytes": 0}},
            "blkio_stats": {"io_service_bytes_recursive": [
                {"major": 8, "minor": 0, "op": "read", "value": self.blk_read}]},
            "pids_stats": {"current": 3}, "num_procs": 0
        })
    }
    fn stats(&self) -> Stats {
        parse(&self.json())
    }
}

fn parse(v: &Value) -> Stats {
    Stats::from_json(&v.to_string()).expect("test sample parses")
}

/// The empty sample a stopped container streams.
fn empty(id: &str) -> Stats {
    parse(
        &json!({"id": id, "name": format!("/{id}"), "read": ZERO_TIME, "preread": ZERO_TIME,
                  "cpu_stats": {"cpu_usage": {"total_usage": 0}}, "memory_stats": {}, "num_procs": 0}),
    )
}

/// Feeds one sample per batch (a stream), returning each sample's point.
fn run(engine: &mut RateEngine, samples: &[Stats]) -> Vec<Point> {
    samples
        .iter()
        .map(|x| engine.update([x], None)[0])
        .collect()
}

const SEC: u64 = 1_000_000_000;

#[test]
fn cpu_uses_precpu_when_real_with_the_cli_formula() {
    let mut e = RateEngine::default();
    let a = s("a", 0, SEC, 100 * SEC);
    let b = s("a", 1000, SEC + 300_000_000, 102 * SEC).pre(SEC, 100 * SEC, 0);
    let p = run(&mut e, &[a.stats(), b.stats()]);
    assert_eq!(p[1].flag, Flag::None);
    assert_eq!(p[1].explain.basis, Basis::PreCpu);
    let cli = cpu_percent_unix(SEC, 100 * SEC, &b.stats().cpu_stats);
    assert_eq!(p[1].cpu_percent(), Some(cli));
    assert_eq!(cli, 30.0); // 0.3 s over 2 s of host time × 2 CPUs
}

#[test]
fn cpu_falls_back_to_the_engines_previous_sample_when_precpu_is_empty() {
    let mut e = RateEngine::default();
    // Two "first objects" (zero precpu), e.g. a compact feed or one-shot samples.
    let p = run(
        &mut e,
        &[
            s("a", 0, SEC, 100 * SEC).stats(),
            s("a", 1000, SEC + 500_000_000, 102 * SEC).stats(),
        ],
    );
    assert_eq!(p[1].explain.basis, Basis::Previous);
    assert_eq!(p[1].cpu_percent(), Some(50.0));
    assert_eq!(p[1].explain.cpu_delta, 500_000_000.0);
    assert_eq!(p[1].explain.system_delta, 2e9);
}

#[test]
fn the_first_sample_has_no_rate_even_where_the_cli_prints_a_lifetime_ratio() {
    let mut e = RateEngine::default();
    let first = s("a", 0, 40 * SEC, 100 * SEC); // the CLI would print 80 %
    let p = run(&mut e, &[first.stats()]);
    assert_eq!(p[0].flag, Flag::First);
    assert_eq!(p[0].cpu_percent(), None);
    assert_eq!(p[0].net_rx_bytes_per_s(), None);
    assert!(p[0].mem_usage_bytes().is_some(), "memory is not a rate");
    let points = e.get("a").expect("state").points();
    assert_eq!(points.len(), 1);
}

#[test]
fn cpu_count_comes_from_the_current_sample() {
    let mut e = RateEngine::default();
    let mut b = s("a", 1000, SEC + 100_000_000, 101 * SEC).pre(SEC, 100 * SEC, 0);
    b.online = 4;
    let p = run(&mut e, &[s("a", 0, SEC, 100 * SEC).stats(), b.stats()]);
    assert_eq!(p[1].explain.cpus, 4);
    assert_eq!(p[1].cpu_percent(), Some(40.0));
}

#[test]
fn a_fast_restart_resets_without_negative_or_spike() {
    let mut e = RateEngine::default();
    let a = s("a", 0, 50 * SEC, 100 * SEC);
    let b = s("a", 1000, 51 * SEC, 102 * SEC).pre(50 * SEC, 100 * SEC, 0);
    // The restarted process: counters from zero, precpu still the old process's.
    let mut c = s("a", 2000, 100_000_000, 104 * SEC).pre(51 * SEC, 102 * SEC, 1000);
    c.rx = 0;
    let d = s("a", 3000, 600_000_000, 106 * SEC).pre(100_000_000, 104 * SEC, 2000);
    let p = run(&mut e, &[a.stats(), b.stats(), c.stats(), d.stats()]);
    assert_eq!(
        p.iter().map(|p| p.flag).collect::<Vec<_>>(),
        [Flag::First, Flag::None, Flag::Reset, Flag::None]
    );
    assert_eq!(p[2].cpu_percent(), None);
    assert_eq!(p[3].cpu_percent(), Some(50.0));
    assert_eq!(e.counts().resets, 1);
}

#[test]
fn any_counter_going_down_is_a_reset() {
    let mut e = RateEngine::default();
    let mut a = s("a", 0, SEC, 100 * SEC);
    a.rx = 5000;
    let mut b = s("a", 1000, 2 * SEC, 102 * SEC);
    b.rx = 10; // a new veth after a restart between ticks
    let p = run(&mut e, &[a.stats(), b.stats()]);
    assert_eq!(p[1].flag, Flag::Reset);
    assert_eq!(p[1].net_rx_bytes_per_s(), None);
}

#[test]
fn a_stopped_container_ends_its_curve_without_dropping_to_zero() {
    let mut e = RateEngine::default();
    let p = run(
        &mut e,
        &[
            s("a", 0, SEC, 100 * SEC).stats(),
            s("a", 1000, 2 * SEC, 102 * SEC).stats(),
            empty("a"),
            empty("a"),
            empty("a"),
        ],
    );
    assert_eq!(
        &p[2..].iter().map(|p| p.flag).collect::<Vec<_>>(),
        &[Flag::Stopped; 3]
    );
    assert!(p[2..]
        .iter()
        .all(|p| p.cpu_percent().is_none() && p.mem_usage_bytes().is_none()));
    let c = e.get("a").expect("still held until its TTL");
    assert_eq!(c.status(), Status::Stopped);
    let flags: Vec<Flag> = c.points().iter().map(|p| p.flag).collect();
    assert_eq!(
        flags,
        [Flag::First, Flag::None, Flag::Stopped],
        "one marker, not one per empty sample"
    );
    let marker = c.points()[2];
    assert_eq!(
        marker.t_unix_ns,
        c.points()[1].t_unix_ns,
        "the curve ends at the last real sample"
    );
}

#[test]
fn a_restart_spanning_a_tick_is_stopped_then_reset() {
    let mut e = RateEngine::default();
    let p = run(
        &mut e,
        &[
            s("a", 0, 50 * SEC, 100 * SEC).stats(),
            s("a", 1000, 51 * SEC, 102 * SEC).stats(),
            empty("a"),
            // The new process's first object: zero precpu, counters restarted... but not lower than
            // a small old baseline would be: the stop alone makes it a reset.
            s("a", 3500, 52 * SEC, 107 * SEC).stats(),
            s("a", 4500, 52 * SEC + 200_000_000, 109 * SEC)
                .pre(52 * SEC, 107 * SEC, 3500)
                .stats(),
        ],
    );
    assert_eq!(
        p.iter().map(|p| p.flag).collect::<Vec<_>>(),
        [
            Flag::First,
            Flag::None,
            Flag::Stopped,
            Flag::Reset,
            Flag::None
        ]
    );
    assert_eq!(p[4].cpu_percent(), Some(20.0));
    assert_eq!(e.get("a").map(|c| c.status()), Some(Status::Running));
}

#[test]
fn a_long_silence_is_a_gap_with_the_average_rate() {
    let mut e = RateEngine::default();
    let mut samples = Vec::new();
    for i in 0..5u64 {
        samples.push(
            s(
                "a",
                i as i64 * 1000,
                SEC + i * 100_000_000,
                100 * SEC + i * 2 * SEC,
            )
            .stats(),
        );
    }
    // 10 s later: 1 s of CPU over 20 s of host time on 2 CPUs = 10 %.
    samples.push(s("a", 14_000, SEC + 400_000_000 + SEC, 108 * SEC + 20 * SEC).stats());
    let p = run(&mut e, &samples);
    assert_eq!(p[4].flag, Flag::None);
    assert_eq!(p[5].flag, Flag::Gap);
    assert_eq!(p[5].cpu_percent(), Some(10.0));
}

#[test]
fn late_and_duplicate_samples_do_not_move_the_baseline() {
    let mut e = RateEngine::default();
    let a = s("a", 1000, SEC, 100 * SEC);
    let dup = a.clone();
    let back = s("a", 500, 3 * SEC, 101 * SEC);
    let next = s("a", 2000, SEC + 200_000_000, 102 * SEC);
    let p = run(
        &mut e,
        &[a.stats(), dup.stats(), back.stats(), next.stats()],
    );
    assert_eq!(
        p.iter().map(|p| p.flag).collect::<Vec<_>>(),
        [Flag::First, Flag::Late, Flag::Late, Flag::None]
    );
    assert_eq!(p[3].cpu_percent(), Some(20.0));
    assert_eq!(e.counts().late, 2);
    assert_eq!(e.get("a").map(|c| c.points().len()), Some(2));
}

#[test]
fn byte_counters_become_rates_over_read_timestamps() {
    let mut e = RateEngine::default();
    let mut a = s("a", 0, SEC, 100 * SEC);
    (a.rx, a.tx, a.blk_read) = (1000, 500, 4096);
    let mut b = s("a", 2000, SEC, 104 * SEC);
    (b.rx, b.tx, b.blk_read) = (3000, 1500, 4096 + 8192);
    let p = run(&mut e, &[a.stats(), b.stats()]);
    // rx is counted on two interfaces: (3000 − 1000) × 2 over 2 s.
    assert_eq!(p[1].net_rx_bytes_per_s(), Some(2000.0));
    assert_eq!(p[1].net_tx_bytes_per_s(), Some(500.0));
    assert_eq!(p[1].blk_read_bytes_per_s(), Some(4096.0));
    assert_eq!(p[1].blk_write_bytes_per_s(), Some(0.0));
    assert_eq!(
        p[1].cpu_percent(),
        Some(0.0),
        "idle is 0 %, as the CLI says"
    );
}

#[test]
fn memory_follows_the_cli() {
    let mut e = RateEngine::default();
    let p = run(&mut e, &[s("a", 0, SEC, 100 * SEC).stats()]);
    assert_eq!(p[0].mem_usage_bytes(), Some((10u64 << 20) as f64));
    assert_eq!(p[0].mem_percent(), Some(10.0));
}

#[test]
fn windows_samples_use_the_windows_formula_without_the_wrap() {
    let win = |t: &str, pre: &str, total: u64, pre_total: u64| {
        parse(
            &json!({"id": "w", "name": "/w", "os_type": "windows", "read": t, "preread": pre,
            "num_procs": 4, "cpu_stats": {"cpu_usage": {"total_usage": total}},
            "precpu_stats": {"cpu_usage": {"total_usage": pre_total}},
            "memory_stats": {"privateworkingset": 47_644_672u64},
            "storage_stats": {"read_size_bytes": 0u64, "write_size_bytes": 0u64}}),
        )
    };
    let mut e = RateEngine::default();
    let p = run(
        &mut e,
        &[
            win(
                "2024-05-01T02:00:00.1234567-08:00",
                ZERO_TIME,
                10_000_000,
                0,
            ),
            // 1 s later, 2 s of CPU (100 ns units) over 4 processors: 50 %.
            win(
                "2024-05-01T02:00:01.1234567-08:00",
                "2024-05-01T02:00:00.1234567-08:00",
                30_000_000,
                10_000_000,
            ),
            // Restart inside the stream: the CLI prints ~9.2e13 %, the engine resets.
            win(
                "2024-05-01T02:00:02.1234567-08:00",
                "2024-05-01T02:00:01.1234567-08:00",
                5_000_000,
                30_000_000,
            ),
        ],
    );
    assert_eq!(p[1].cpu_percent(), Some(50.0));
    assert_eq!(p[1].mem_usage_bytes(), Some(47_644_672.0));
    assert_eq!(p[1].mem_percent(), None);
    assert_eq!(p[2].flag, Flag::Reset);
    assert_eq!(p[2].cpu_percent(), None);
}

#[test]
fn memory_is_bounded_by_the_ring() {
    let mut e = RateEngine::new(EngineConfig {
        history_points: 5,
        ..EngineConfig::default()
    });
    let samples: Vec<Stats> = (0..50u64)
        .map(|i| s("a", i as i64 * 1000, SEC + i, 100 * SEC + i * SEC).stats())
        .collect();
    run(&mut e, &samples);
    let pts = e.get("a").expect("state").points();
    assert_eq!(pts.len(), 5);
    assert_eq!(
        pts.back().map(|p| p.t_ms()),
        Some(((T0 * 1000) + 49_000) as f64)
    );
}

#[test]
fn stopped_and_silent_containers_are_evicted_after_their_ttl_in_sample_time() {
    let mut e = RateEngine::new(EngineConfig {
        stopped_ttl_ns: 10_000_000_000,
        silent_ttl_ns: 30_000_000_000,
        ..EngineConfig::default()
    });
    run(
        &mut e,
        &[
            s("stop", 0, SEC, 100 * SEC).stats(),
            s("quiet", 0, SEC, 100 * SEC).stats(),
            empty("stop"),
        ],
    );
    // Time moves only with other containers' samples.
    for t in [5_000, 10_000] {
        run(&mut e, &[s("live", t, SEC, 100 * SEC + t as u64).stats()]);
    }
    assert!(
        e.get("stop").is_some(),
        "10 s after its last sample: not yet"
    );
    run(&mut e, &[s("live", 10_001, SEC, 200 * SEC).stats()]);
    assert!(e.get("stop").is_none(), "stopped: dropped after 10 s");
    assert!(e.get("quiet").is_some());
    run(&mut e, &[s("live", 30_001, SEC, 300 * SEC).stats()]);
    assert!(e.get("quiet").is_none(), "silent: dropped after 30 s");
    assert_eq!(e.counts().evicted, 2);
    // A caller's clock also moves time on.
    e.update(
        std::iter::empty::<&Stats>(),
        Some((T0 + 100) * 1_000_000_000),
    );
    assert!(e.is_empty());
}

#[test]
fn an_empty_sample_for_an_unknown_container_leaves_no_trace() {
    let mut e = RateEngine::default();
    let p = run(&mut e, &[empty("ghost"), empty("ghost")]);
    assert!(p.iter().all(|p| p.flag == Flag::Stopped));
    assert!(e.is_empty());
}

#[test]
fn a_batch_of_interleaved_containers_returns_points_in_input_order() {
    let mut e = RateEngine::default();
    let batch = [
        s("b", 0, SEC, 100 * SEC).stats(),
        s("a", 0, SEC, 100 * SEC).stats(),
        s("b", 1000, SEC + 100_000_000, 102 * SEC).stats(),
        s("a", 1000, SEC + 300_000_000, 102 * SEC).stats(),
    ];
    let p = e.update(&batch, None);
    assert_eq!(
        p.iter()
            .map(|p| (p.flag, p.cpu_percent()))
            .collect::<Vec<_>>(),
        [
            (Flag::First, None),
            (Flag::First, None),
            (Flag::None, Some(10.0)),
            (Flag::None, Some(30.0))
        ]
    );
    assert_eq!(
        e.containers().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
        ["a", "b"]
    );
}

#[test]
fn an_empty_sample_before_the_first_real_one_leaves_no_marker() {
    // Found by fuzzing: both in one batch, the empty one first.
    let mut e = RateEngine::default();
    let p = e.update([&empty("a"), &s("a", 0, SEC, 100 * SEC).stats()], None);
    assert_eq!((p[0].flag, p[1].flag), (Flag::Stopped, Flag::First));
    let flags: Vec<Flag> = e
        .get("a")
        .expect("state")
        .points()
        .iter()
        .map(|p| p.flag)
        .collect();
    assert_eq!(
        flags,
        [Flag::First],
        "no stopped marker at 1970 before the curve"
    );
}

/// Five containers at 1 Hz, one of them (`c2`) with its `t`-th sample moved by `skew_ms`.
fn fleet_second(t: i64, skew: Option<(i64, i64)>) -> Vec<Stats> {
    ["c0", "c1", "c2", "c3", "c4"]
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let jitter = i as i64 * 3;
            let mut t_ms = t * 1000 + jitter;
            if let Some((at, by)) = skew {
                if *id == "c2" && at == t {
                    t_ms += by;
                }
            }
            let n = t as u64 + 1;
            s(id, t_ms, n * 300_000_000, n * 2_000_000_000).stats()
        })
        .collect()
}

#[test]
fn one_sample_an_hour_ahead_never_moves_the_clock_and_costs_its_container_one_rate() {
    let mut e = RateEngine::default();
    let hour = 3_600_000;
    for t in 0..100 {
        let batch = fleet_second(t, Some((50, hour)));
        let points = e.update_arrived(&batch, None, Some(t * 1_000_000_000));
        let clock_ms = e.clock_ns().map(|ns| (ns / 1_000_000) as i64);
        // The clock stays with the four that agree: the others keep drawing, none is evicted.
        assert!(
            clock_ms <= Some(T0 * 1000 + t * 1000 + 20),
            "t={t}: clock {clock_ms:?}"
        );
        assert_eq!(e.len(), 5, "t={t}: nobody is evicted");
        if t == 50 {
            assert_eq!(points[2].flag, Flag::Gap, "a jump forward is a gap");
            assert_eq!(e.skewed().len(), 1);
            assert_eq!(e.skewed()[0].0, "c2");
            assert!((e.skewed()[0].1 - i128::from(hour) * 1_000_000).abs() < 1_000_000_000);
        }
        if t == 51 {
            // Back from the future: a clock step, not "late": no rate, the future point gone.
            assert_eq!(points[2].flag, Flag::Gap);
            assert_eq!(points[2].cpu_percent(), None);
            assert!(e.skewed().is_empty());
            let c2 = e.get("c2").expect("c2");
            assert!(c2
                .points()
                .iter()
                .all(|p| p.t_unix_ns <= (T0 * 1000 + 51 * 1000 + 6) * 1_000_000));
        }
        if t > 51 {
            assert_eq!(points[2].flag, Flag::None, "t={t}: rates again, not late");
            assert!((points[2].cpu_percent().expect("cpu") - 30.0).abs() < 1e-6);
        }
    }
    assert_eq!(e.counts().late, 0);
    assert_eq!(e.counts().clock_steps, 1);
}

#[test]
fn a_year_9999_sample_is_skewed_for_good_but_blanks_nothing() {
    let mut e = RateEngine::default();
    for t in 0..20 {
        let mut batch = fleet_second(t, None);
        if t >= 10 {
            // c2's host now says year 9999, every sample.
            let v = Value::String(format!("9999-12-31T23:59:{t:02}Z"));
            let mut j = s(
                "c2",
                0,
                (t as u64 + 1) * 300_000_000,
                (t as u64 + 1) * 2_000_000_000,
            )
            .json();
            j["read"] = v;
            batch[2] = parse(&j);
        }
        e.update_arrived(&batch, None, Some(t * 1_000_000_000));
        assert_eq!(e.len(), 5);
        assert!(e.clock_ns() <= Some(i128::from(T0 * 1000 + t * 1000 + 20) * 1_000_000));
    }
    assert_eq!(
        e.skewed().iter().map(|s| s.0.as_str()).collect::<Vec<_>>(),
        ["c2"]
    );
}

#[test]
fn a_whole_feed_whose_clock_steps_is_followed() {
    let mut e = RateEngine::default();
    let hour = 3_600_000;
    for t in 0..30 {
        // Every container's host clock jumps an hour ahead at t = 15.
        let shift = if t >= 15 { hour } else { 0 };
        let batch: Vec<Stats> = fleet_second(t, None)
            .into_iter()
            .enumerate()
            .map(|(i, _)| {
                let n = t as u64 + 1;
                s(
                    ["c0", "c1", "c2", "c3", "c4"][i],
                    t * 1000 + shift + i as i64 * 3,
                    n * 300_000_000,
                    n * 2_000_000_000,
                )
                .stats()
            })
            .collect();
        let points = e.update_arrived(&batch, None, Some(t * 1_000_000_000));
        if t == 15 {
            assert!(points.iter().all(|p| p.flag == Flag::Gap), "{points:?}");
        }
    }
    assert_eq!(e.len(), 5);
    assert!(e.skewed().is_empty());
    let clock_ms = e.clock_ns().map(|ns| (ns / 1_000_000) as i64);
    assert!(clock_ms >= Some(T0 * 1000 + hour + 29_000), "{clock_ms:?}");
}

#[test]
fn a_container_behind_the_others_keeps_its_curve_while_it_sends() {
    // Its host's clock is an hour behind: it is skewed, and (by arrival) never taken for silent.
    let mut e = RateEngine::default();
    let hour = 3_600_000;
    for t in 0..120 {
        let mut batch = fleet_second(t, None);
        let n = t as u64 + 1;
        batch[4] = s("c4", t * 1000 - hour, n * 300_000_000, n * 2_000_000_000).stats();
        e.update_arrived(&batch, None, Some(t * 1_000_000_000));
    }
    assert_eq!(e.len(), 5);
    let c4 = e.get("c4").expect("c4 stays");
    assert!(c4.points().len() > 100, "{}", c4.points().len());
    assert_eq!(
        e.skewed().iter().map(|s| s.0.as_str()).collect::<Vec<_>>(),
        ["c4"]
    );
    assert!(e.skewed()[0].1 < 0);
}
