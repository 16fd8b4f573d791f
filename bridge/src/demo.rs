//! The demo source: simulated containers streaming real-shaped Docker stats, so the page is alive on
//! any machine.
//!
//! The objects have the shape a Docker 29 daemon on cgroup v2 streams (same keys, same order, same
//! units: `total_usage` in whole µs × 1000, `system_cpu_usage` in multiples of 1e7, `pids_stats.limit`
//! 2^64−1, blkio `read`/`write` or `null`), one per container per second, each with `preread` and
//! `precpu_stats` from the previous object of its stream. The cast:
//!
//! | name | behaviour |
//! |---|---|
//! | `demo-web` | steady ~25 % of a core, steady network traffic |
//! | `demo-worker` | mostly quiet, with bursts to ~1.8 cores |
//! | `demo-db` | a slow wave around 40 %, block writes |
//! | `demo-cron` | restarts every 45 s: two empty samples, then its counters start again from zero |
//! | `demo-batch` | runs 90 s at ~95 %, stops (empty samples for 10 s, then it is removed); a new one starts 20 s later |
//! | `demo-idle` | ~0.1 % |
//!
//! Timestamps are the bridge's wall clock at start plus Tokio's elapsed time, so tests can pause time.

use serde_json::{json, Value};
use tokio::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

use crate::hub::Sink;
use crate::source::{BoxFuture, Source};

/// Simulated host: 4 online CPUs, 8 GiB of RAM.
const HOST_CPUS: u64 = 4;
const HOST_RAM: u64 = 8 << 30;
const SEC_NS: u64 = 1_000_000_000;

/// The built-in demo feed.
#[derive(Debug, Clone)]
pub struct Demo {
    /// Seconds between rounds (Docker's collector: 1 s).
    pub interval: Duration,
    /// Seed of the simulation's random numbers.
    pub seed: u64,
}

impl Default for Demo {
    fn default() -> Self {
        Demo {
            interval: Duration::from_secs(1),
            seed: 0x5eed_57a7_5c09_e5e5,
        }
    }
}

impl Source for Demo {
    fn kind(&self) -> &'static str {
        "demo"
    }
    fn describe(&self) -> String {
        "the built-in demo feed (simulated containers, not your Docker)".to_string()
    }
    fn run(self: Box<Self>, sink: Sink, shutdown: CancellationToken) -> BoxFuture {
        Box::pin(async move {
            let start_unix_ns = wall_clock_unix_ns();
            let start = Instant::now();
            let mut sim = Simulation::new(self.seed);
            let mut ticker = tokio::time::interval(self.interval);
            loop {
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = ticker.tick() => {}
                }
                let now_ns = start_unix_ns + start.elapsed().as_nanos() as i128;
                for object in sim.round(now_ns) {
                    if !sink.send(object.to_string()).await {
                        return;
                    }
                }
            }
        })
    }
}

/// The host's wall clock, only to anchor the demo's timestamps.
fn wall_clock_unix_ns() -> i128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i128)
}

/// A small deterministic PRNG (xorshift64*), enough for a simulation.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn next_f64(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Uniform in `[-1, 1)`.
    fn jitter(&mut self) -> f64 {
        self.next_f64() * 2.0 - 1.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Role {
    Web,
    Worker,
    Db,
    Cron,
    Batch,
    Idle,
}

/// One simulated container's counters and stream state.
#[derive(Debug, Clone)]
struct Sim {
    role: Role,
    id: String,
    name: String,
    /// Seconds since this container (process) started.
    age_s: u64,
    cpu_total_ns: u64,
    rx: u64,
    tx: u64,
    blk_read: u64,
    blk_write: u64,
    /// Empty samples still to send (stopped / restarting).
    down_for: u32,
    /// `true` once a batch job has finished: it streams empty samples, then is removed.
    finished: bool,
    burst_left: u32,
    /// The previous object's `read` and `cpu_stats`, for `preread`/`precpu_stats`.
    prev: Option<(String, Value)>,
}

impl Sim {
    fn new(role: Role, name: &str, generation: u64, rng: &mut Rng) -> Sim {
        let mut id = String::with_capacity(64);
        while id.len() < 64 {
            id.push_str(&format!(
                "{:016x}",
                (rng.next_f64() * (1u64 << 53) as f64) as u64 ^ generation
            ));
        }
        id.truncate(64);
        Sim {
            role,
            id,
            name: format!("/{name}"),
            age_s: 0,
            cpu_total_ns: 0,
            rx: 0,
            tx: 0,
            blk_read: 0,
            blk_write: 0,
            down_for: 0,
            finished: false,
            burst_left: 0,
            prev: None,
        }
    }
}

/// The whole simulated host.
#[derive(Debug, Clone)]
struct Simulation {
    rng: Rng,
    system_ns: u64,
    containers: Vec<Sim>,
    /// Seconds until the next batch job starts, when none runs.
    next_batch_in: Option<u32>,
    generation: u64,
}

impl Simulation {
    fn new(seed: u64) -> Simulation {
        let mut rng = Rng(seed | 1);
        let containers = [
            (Role::Web, "demo-web"),
            (Role::Worker, "demo-worker"),
            (Role::Db, "demo-db"),
            (Role::Cron, "demo-cron"),
            (Role::Batch, "demo-batch"),
            (Role::Idle, "demo-idle"),
        ]
        .into_iter()
        .map(|(role, name)| Sim::new(role, name, 0, &mut rng))
        .collect();
        Simulation {
            rng,
            // A host up for ~3 days.
            system_ns: 3 * 86_400 * HOST_CPUS * SEC_NS,
            containers,
            next_batch_in: None,
            generation: 0,
        }
    }

    /// One collector round: one object per container, in a few ms of each other.
    fn round(&mut self, now_ns: i128) -> Vec<Value> {
        // The host's /proc/stat: ~4 CPUs × 1 s, in whole 10 ms ticks.
        let jitter = (self.rng.jitter() * 2.0).round() as i64;
        self.system_ns += (HOST_CPUS * SEC_NS).saturating_add_signed(jitter * 10_000_000);
        let mut out = Vec::with_capacity(self.containers.len());
        let mut removed = Vec::new();
        for (i, c) in self.containers.iter_mut().enumerate() {
            let read_ns = now_ns + i as i128 * 1_700_000;
            match step(c, &mut self.rng) {
                Step::Running => out.push(running_object(c, read_ns, self.system_ns)),
                Step::Down => out.push(empty_object(c)),
                Step::Removed => removed.push(i),
            }
        }
        for i in removed.into_iter().rev() {
            self.containers.remove(i);
            self.next_batch_in = Some(20);
        }
        if let Some(left) = self.next_batch_in.as_mut() {
            if *left == 0 {
                self.generation += 1;
                let batch = Sim::new(Role::Batch, "demo-batch", self.generation, &mut self.rng);
                self.containers.push(batch);
                self.next_batch_in = None;
            } else {
                *left -= 1;
            }
        }
        out
    }
}

enum Step {
    Running,
    Down,
    Removed,
}

/// Advances one container by one second.
fn step(c: &mut Sim, rng: &mut Rng) -> Step {
    if c.down_for > 0 {
        c.down_for -= 1;
        if c.down_for == 0 && c.finished {
            return Step::Removed;
        }
        if c.down_for == 0 && c.role == Role::Cron {
            // Restarted: a new cgroup and veth, counters from zero, a new stream position.
            (c.cpu_total_ns, c.rx, c.tx, c.blk_read, c.blk_write, c.age_s) = (0, 0, 0, 0, 0, 0);
        }
        c.prev = None;
        return Step::Down;
    }
    c.age_s += 1;
    let cores = match c.role {
        Role::Web => 0.25 + 0.03 * rng.jitter(),
        Role::Worker => {
            if c.burst_left == 0 && rng.next_f64() < 0.06 {
                c.burst_left = 4 + (rng.next_f64() * 8.0) as u32;
            }
            if c.burst_left > 0 {
                c.burst_left -= 1;
                1.8 + 0.15 * rng.jitter()
            } else {
                0.05 + 0.02 * rng.jitter()
            }
        }
        Role::Db => 0.4 + 0.2 * (c.age_s as f64 / 30.0).sin() + 0.04 * rng.jitter(),
        Role::Cron => 0.6 + 0.1 * rng.jitter(),
        Role::Batch => 0.95 + 0.04 * rng.jitter(),
        Role::Idle => 0.001 + 0.0005 * rng.jitter(),
    };
    // cgroup v2 reports whole microseconds.
    c.cpu_total_ns += ((cores.max(0.0) * 1e6) as u64) * 1000;
    let net = match c.role {
        Role::Web => 180_000.0,
        Role::Db => 40_000.0,
        Role::Worker => 8_000.0,
        _ => 200.0,
    };
    c.rx += (net * (1.0 + 0.2 * rng.jitter())) as u64;
    c.tx += (net * 2.5 * (1.0 + 0.2 * rng.jitter())) as u64;
    if c.role == Role::Db {
        c.blk_write += 4096 * (20 + (rng.next_f64() * 30.0) as u64);
        c.blk_read += 4096 * (rng.next_f64() * 5.0) as u64;
    }
    if c.role == Role::Cron && c.age_s >= 45 {
        c.down_for = 2;
    }
    if c.role == Role::Batch && c.age_s >= 90 {
        c.down_for = 10;
        c.finished = true;
    }
    Step::Running
}

fn rfc3339(unix_ns: i128) -> String {
    statscope::Timestamp::from_unix_ns(unix_ns).to_rfc3339()
}

const ZERO_TIME: &str = "0001-01-01T00:00:00Z";

fn running_object(c: &mut Sim, read_ns: i128, system_ns: u64) -> Value {
    let read = rfc3339(read_ns);
    let user = c.cpu_total_ns / 10 * 7 / 1000 * 1000;
    let cpu_stats = json!({
        "cpu_usage": {"total_usage": c.cpu_total_ns, "usage_in_kernelmode": c.cpu_total_ns - user,
                      "usage_in_usermode": user},
        "system_cpu_usage": system_ns,
        "online_cpus": HOST_CPUS,
        "throttling_data": {"periods": 0, "throttled_periods": 0, "throttled_time": 0}
    });
    let (limit, base_mem) = match c.role {
        Role::Db => (2u64 << 30, 900u64 << 20),
        Role::Web => (512 << 20, 120 << 20),
        Role::Batch => (HOST_RAM, 300 << 20),
        _ => (HOST_RAM, 12 << 20),
    };
    let file = base_mem / 3;
    let usage = base_mem + (c.age_s % 60) * (256 << 10);
    let blkio = if c.blk_read + c.blk_write == 0 {
        Value::Null
    } else {
        json!([
            {"major": 259, "minor": 0, "op": "read", "value": c.blk_read},
            {"major": 259, "minor": 0, "op": "write", "value": c.blk_write}
        ])
    };
    let (preread, precpu) = match c.prev.take() {
        Some((r, cpu)) => (r, cpu),
        None => (
            ZERO_TIME.to_string(),
            json!({"cpu_usage": {"total_usage": 0, "usage_in_kernelmode": 0, "usage_in_usermode": 0},
                                               "throttling_data": {"periods": 0, "throttled_periods": 0, "throttled_time": 0}}),
        ),
    };
    let object = json!({
        "id": c.id, "name": c.name, "os_type": "linux", "read": read,
        "cpu_stats": cpu_stats,
        "memory_stats": {
            "usage": usage,
            "stats": {"active_anon": 0, "active_file": file / 2, "anon": usage - file, "anon_thp": 0,
                      "file": file, "file_dirty": 0, "file_mapped": file / 8, "file_writeback": 0,
                      "inactive_anon": usage - file, "inactive_file": file / 2, "kernel_stack": 16384,
                      "pgactivate": 0, "pgdeactivate": 0, "pgfault": c.age_s * 120, "pglazyfree": 0,
                      "pglazyfreed": 0, "pgmajfault": 0, "pgrefill": 0, "pgscan": 0, "pgsteal": 0,
                      "shmem": 0, "slab": 65536, "slab_reclaimable": 32768, "slab_unreclaimable": 32768,
                      "sock": 0, "thp_collapse_alloc": 0, "thp_fault_alloc": 0, "unevictable": 0,
                      "workingset_activate": 0, "workingset_nodereclaim": 0, "workingset_refault": 0},
            "limit": limit
        },
        "networks": {"eth0": {"rx_bytes": c.rx, "rx_packets": c.rx / 900, "rx_errors": 0, "rx_dropped": 0,
                              "tx_bytes": c.tx, "tx_packets": c.tx / 1200, "tx_errors": 0, "tx_dropped": 0}},
        "pids_stats": {"current": if c.role == Role::Web { 9 } else { 1 }, "limit": u64::MAX},
        "blkio_stats": {"io_service_bytes_recursive": blkio, "io_serviced_recursive": null,
                        "io_queue_recursive": null, "io_service_time_recursive": null,
                        "io_wait_time_recursive": null, "io_merged_recursive": null,
                        "io_time_recursive": null, "sectors_recursive": null},
        "num_procs": 0,
        "storage_stats": {},
        "preread": preread,
        "precpu_stats": precpu
    });
    c.prev = Some((read, object["cpu_stats"].clone()));
    object
}

/// What a stopped or restarting container streams: zero time, zero counters, no networks.
fn empty_object(c: &Sim) -> Value {
    json!({
        "id": c.id, "name": c.name, "os_type": "linux", "read": ZERO_TIME,
        "cpu_stats": {"cpu_usage": {"total_usage": 0, "usage_in_kernelmode": 0, "usage_in_usermode": 0},
                      "throttling_data": {"periods": 0, "throttled_periods": 0, "throttled_time": 0}},
        "memory_stats": {}, "pids_stats": {},
        "blkio_stats": {"io_service_bytes_recursive": null, "io_serviced_recursive": null,
                        "io_queue_recursive": null, "io_service_time_recursive": null,
                        "io_wait_time_recursive": null, "io_merged_recursive": null,
                        "io_time_recursive": null, "sectors_recursive": null},
        "num_procs": 0, "storage_stats": {}, "preread": ZERO_TIME,
        "precpu_stats": {"cpu_usage": {"total_usage": 0, "usage_in_kernelmode": 0, "usage_in_usermode": 0},
                         "throttling_data": {"periods": 0, "throttled_periods": 0, "throttled_time": 0}}
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use statscope::{Flag, RateEngine, Stats};

    /// Runs the simulation for `secs` rounds, returning every object's text.
    fn simulate(secs: u64) -> Vec<String> {
        let mut sim = Simulation::new(7);
        let t0 = 1_700_000_000 * SEC_NS as i128;
        (0..secs)
            .flat_map(|s| sim.round(t0 + s as i128 * SEC_NS as i128))
            .map(|v| v.to_string())
            .collect()
    }

    #[test]
    fn every_demo_object_parses_with_the_docker_model() {
        for text in simulate(200) {
            let s = Stats::from_json(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
            assert!(s.name.starts_with("/demo-"));
            assert_eq!(s.id.len(), 64);
            if !s.read.is_zero() {
                assert_eq!(s.cpu_stats.online_cpus, 4);
                assert_eq!(s.cpu_stats.system_cpu_usage % 10_000_000, 0);
                assert_eq!(s.cpu_stats.cpu_usage.total_usage % 1000, 0);
                assert_eq!(s.pids_stats.limit, u64::MAX);
            }
        }
    }

    #[test]
    fn objects_use_docker_29_key_order() {
        let first = &simulate(1)[0];
        let keys: Vec<&str> = [
            "\"id\"",
            "\"name\"",
            "\"os_type\"",
            "\"read\"",
            "\"cpu_stats\"",
            "\"memory_stats\"",
            "\"networks\"",
            "\"pids_stats\"",
            "\"blkio_stats\"",
            "\"num_procs\"",
            "\"storage_stats\"",
            "\"preread\"",
            "\"precpu_stats\"",
        ]
        .into_iter()
        .collect();
        let positions: Vec<usize> = keys.iter().map(|k| first.find(k).expect(k)).collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{first}");
    }

    #[test]
    fn the_cast_behaves_as_documented() {
        let mut engine = RateEngine::default();
        let mut by_name: std::collections::BTreeMap<String, Vec<(Flag, Option<f64>)>> =
            Default::default();
        for text in simulate(200) {
            let s = Stats::from_json(&text).expect("parses");
            let p = engine.update([&s], None)[0];
            by_name
                .entry(s.display_name().to_string())
                .or_default()
                .push((p.flag, p.cpu_percent()));
        }
        let cpu =
            |name: &str| -> Vec<f64> { by_name[name].iter().filter_map(|(_, c)| *c).collect() };
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        assert!(
            (mean(&cpu("demo-web")) - 25.0).abs() < 3.0,
            "web {:?}",
            mean(&cpu("demo-web"))
        );
        assert!(
            cpu("demo-worker").iter().any(|&c| c > 150.0),
            "worker bursts"
        );
        assert!(cpu("demo-idle").iter().all(|&c| c < 1.0));
        let cron_flags: Vec<Flag> = by_name["demo-cron"].iter().map(|(f, _)| *f).collect();
        assert!(
            cron_flags.contains(&Flag::Stopped) && cron_flags.contains(&Flag::Reset),
            "cron restarts"
        );
        assert!(
            by_name["demo-batch"]
                .iter()
                .any(|(f, _)| *f == Flag::Stopped),
            "batch stops"
        );
        // A new batch job (new ID) comes after the first is removed.
        let batch_ids: std::collections::BTreeSet<String> = simulate(200)
            .iter()
            .filter_map(|t| Stats::from_json(t).ok())
            .filter(|s| s.name == "/demo-batch")
            .map(|s| s.id)
            .collect();
        assert_eq!(batch_ids.len(), 2);
        // No rate is ever negative or a spike above what the host has.
        assert!(by_name
            .values()
            .flatten()
            .filter_map(|(_, c)| *c)
            .all(|c| (0.0..=400.0).contains(&c)));
    }
}
