//! The demo source: simulated containers streaming real-shaped Docker stats, with their limits and
//! lifecycle events, so the page is alive on any machine.
//!
//! The objects have the shape a Docker 29 daemon on cgroup v2 streams (same keys, same order, same
//! units: `total_usage` in whole µs × 1000, `system_cpu_usage` in multiples of 1e7, `pids_stats.limit`
//! 2^64−1, blkio `read`/`write` or `null`), one per container per second, each with `preread` and
//! `precpu_stats` from the previous object of its stream. The cast:
//!
//! | name | limits (`docker run`) | behaviour |
//! |---|---|---|
//! | `demo-web` | `--cpu-quota 100000` (period unset: 1 core), `--memory 512m` | steady ~25 % of a core, steady network traffic |
//! | `demo-worker` | `--cpuset-cpus 0-1` (2 cores) | mostly quiet, with bursts to ~1.8 cores |
//! | `demo-db` | `--cpu-quota 150000 --cpu-period 100000` (1.5), `--memory 2g` | a slow wave around 40 %, block writes |
//! | `demo-cron` | `--cpus 0.5` | ~48 %, just under its limit; `docker restart`ed every 45 s: two empty samples, then its counters start again from zero |
//! | `demo-batch` | `--cpus 1 --cpuset-cpus 2-3` (1 core: the smallest wins) | runs 90 s at ~95 %, exits (empty samples for 10 s, then it is removed); a new one starts 20 s later |
//! | `demo-idle` | none | ~0.1 % |
//! | `demo-cache` | `--memory 256m`, restart policy | its memory grows until the OOM killer ends it, 10 s after the demo starts and then every 90 s: four empty samples, then it starts again from zero |
//!
//! `demo-web`, `-worker`, `-db` and `-cache` belong to the Compose project `shop`, `demo-cron` and
//! `demo-batch` to `jobs` (as their `com.docker.compose.project` label would say); `demo-idle` to none.
//!
//! statscope's messages ([`statscope_core::protocol`]) come with them as the Docker source would send them: a
//! `statscope.container` for each container in the first round and whenever one starts, and a
//! `statscope.event` for each lifecycle step (`kill`/`die`/`stop`/`start`/`restart` for the cron's
//! restart, `oom`/`die` 137/`start` for the cache, `die`/`destroy`/`create`/`start` for the batch
//! jobs). An event is sent just before the first sample after it, and its `time` lies between that
//! sample's `read` and the previous one's: one clock for both.
//!
//! Timestamps are the bridge's wall clock at start plus Tokio's elapsed time, so tests can pause time.
//! A round is one simulated second whatever [`Demo::interval`] is, so a test with a short interval
//! sees the first OOM kill after ten rounds.

use serde_json::{json, Value};
use tokio::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

use statscope_core::docker_api::{container_info, lifecycle_event, HostConfig};
use statscope_core::protocol::{ContainerInfo, Message};

use crate::hub::Sink;
use crate::source::{BoxFuture, Source};

/// The cast, in order.
const CAST: [Role; 7] = [
    Role::Web,
    Role::Worker,
    Role::Db,
    Role::Cron,
    Role::Batch,
    Role::Idle,
    Role::Cache,
];

/// Simulated host: 4 online CPUs, 8 GiB of RAM.
const HOST_CPUS: u64 = 4;
const HOST_RAM: u64 = 8 << 30;
const SEC_NS: u64 = 1_000_000_000;
const MIB: u64 = 1 << 20;

/// The cache is OOM-killed when its process is this old (seconds)...
const CACHE_LIFETIME_S: u64 = 86;
/// ...and the first one has been running this long when the demo starts (first kill after 10 s).
const CACHE_AGE_AT_START_S: u64 = 76;
/// Empty samples while the cache is down (the restart policy's delay).
const CACHE_DOWN_S: u32 = 4;

/// The built-in demo feed.
#[derive(Debug, Clone)]
pub struct Demo {
    /// Seconds between rounds (Docker's collector: 1 s).
    pub interval: Duration,
    /// Seed of the simulation's random numbers.
    pub seed: u64,
    /// Simulated containers: the cast above, repeated (`demo-web`, …, `demo-cache`, `demo-web-2`,
    /// …) to this many; 7 is the cast once.
    pub containers: usize,
    /// Wait this long before the first round (hosts played by one process do not all sample at
    /// the same instant, as real ones do not).
    pub phase: Duration,
}

impl Default for Demo {
    fn default() -> Self {
        Demo {
            interval: Duration::from_secs(1),
            seed: 0x5eed_57a7_5c09_e5e5,
            containers: CAST.len(),
            phase: Duration::ZERO,
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
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(self.phase) => {}
            }
            let start_unix_ns = wall_clock_unix_ns();
            let start = Instant::now();
            let mut sim = Simulation::with_containers(self.seed, self.containers);
            let mut ticker = tokio::time::interval(self.interval);
            loop {
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = ticker.tick() => {}
                }
                let now_ns = start_unix_ns + start.elapsed().as_nanos() as i128;
                for out in sim.round(now_ns) {
                    let sent = match out {
                        Out::Stats(text) => sink.send_stats(&text).await,
                        Out::Message(message) => sink.send_message(message).await,
                    };
                    if !sent {
                        return;
                    }
                }
            }
        })
    }
}

/// What one round of the simulation says: a stats object as an engine writes it, or a message.
#[derive(Clone, Debug, PartialEq)]
enum Out {
    Stats(String),
    Message(Message),
}

impl Out {
    #[cfg(test)]
    fn text(&self) -> String {
        match self {
            Out::Stats(text) => text.clone(),
            Out::Message(message) => message.encode(),
        }
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
    Cache,
}

impl Role {
    fn name(self) -> &'static str {
        match self {
            Role::Web => "demo-web",
            Role::Worker => "demo-worker",
            Role::Db => "demo-db",
            Role::Cron => "demo-cron",
            Role::Batch => "demo-batch",
            Role::Idle => "demo-idle",
            Role::Cache => "demo-cache",
        }
    }

    fn image(self) -> &'static str {
        match self {
            Role::Web => "nginx:1.27-alpine",
            Role::Worker => "python:3.12-slim",
            Role::Db => "postgres:16",
            Role::Cron => "alpine:3.20",
            Role::Batch | Role::Idle => "busybox:latest",
            Role::Cache => "redis:7-alpine",
        }
    }

    /// Its Compose project (the `com.docker.compose.project` label; see the module docs).
    fn project(self) -> &'static str {
        match self {
            Role::Web | Role::Worker | Role::Db | Role::Cache => "shop",
            Role::Cron | Role::Batch => "jobs",
            Role::Idle => "",
        }
    }

    /// The limits it was run with (see the table in the module docs).
    fn host_config(self) -> HostConfig {
        let (nano_cpus, cpu_quota, cpu_period, cpuset_cpus, memory) = match self {
            Role::Web => (0, 100_000, 0, "", 512 * MIB),
            Role::Worker => (0, 0, 0, "0-1", 0),
            Role::Db => (0, 150_000, 100_000, "", 2 << 30),
            Role::Cron => (500_000_000, 0, 0, "", 0),
            Role::Batch => (1_000_000_000, 0, 0, "2-3", 0),
            Role::Idle => (0, 0, 0, "", 0),
            Role::Cache => (0, 0, 0, "", 256 * MIB),
        };
        HostConfig {
            nano_cpus,
            cpu_quota,
            cpu_period,
            cpuset_cpus: cpuset_cpus.to_string(),
            memory: memory as i64,
        }
    }
}

/// Something a container's owner would see besides its stats.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Said {
    /// A Docker container event: action, exit code (`die`), signal (`kill`).
    Event(&'static str, Option<i64>, Option<&'static str>),
    /// Its `statscope.container` message.
    Info,
}

const fn event(action: &'static str) -> Said {
    Said::Event(action, None, None)
}

/// How a container (re)appears on its next running round.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Appear {
    /// Already running when the demo starts: info only, as the Docker source's first list.
    Discovered,
    /// `docker run`: create, start.
    Created,
    /// `docker restart`: start, restart.
    Restarted,
    /// The restart policy after a crash: start.
    Recovered,
}

/// One simulated container's counters and stream state.
#[derive(Debug, Clone)]
struct Sim {
    role: Role,
    /// Which copy of its role (1: the first, named without a number).
    copy: usize,
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
    /// What happened since the last round, to tell before the next sample.
    pending: Vec<Said>,
    /// Set while it is down (or not yet announced): what its next running round says first.
    appear: Option<Appear>,
}

impl Sim {
    fn new(role: Role, copy: usize, generation: u64, appear: Appear, rng: &mut Rng) -> Sim {
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
            copy,
            id,
            name: if copy <= 1 {
                format!("/{}", role.name())
            } else {
                format!("/{}-{copy}", role.name())
            },
            // The cache has been filling its memory for a while when the demo starts.
            age_s: if role == Role::Cache && appear == Appear::Discovered {
                CACHE_AGE_AT_START_S
            } else {
                0
            },
            cpu_total_ns: 0,
            rx: 0,
            tx: 0,
            blk_read: 0,
            blk_write: 0,
            down_for: 0,
            finished: false,
            burst_left: 0,
            prev: None,
            pending: Vec::new(),
            appear: Some(appear),
        }
    }

    fn info(&self) -> ContainerInfo {
        ContainerInfo {
            project: self.role.project().to_string(),
            ..container_info(
                &self.id,
                &self.name,
                self.role.image(),
                &self.role.host_config(),
            )
        }
    }

    /// `memory_stats.limit`: the container's limit, else the host's RAM.
    fn memory_limit(&self) -> u64 {
        u64::try_from(self.role.host_config().memory)
            .ok()
            .filter(|&m| m > 0)
            .unwrap_or(HOST_RAM)
    }
}

/// The whole simulated host.
#[derive(Debug, Clone)]
struct Simulation {
    rng: Rng,
    system_ns: u64,
    containers: Vec<Sim>,
    /// For each batch job that finished: its copy number, and seconds until the next one starts.
    next_batch_in: Vec<(usize, u32)>,
    generation: u64,
    /// The previous round's time, so events fall between two rounds.
    prev_now_ns: Option<i128>,
}

impl Simulation {
    #[cfg(test)]
    fn new(seed: u64) -> Simulation {
        Simulation::with_containers(seed, CAST.len())
    }

    /// `containers` containers: the cast, repeated.
    fn with_containers(seed: u64, containers: usize) -> Simulation {
        let mut rng = Rng(seed | 1);
        let containers = (0..containers.max(1))
            .map(|i| {
                let role = CAST[i % CAST.len()];
                Sim::new(role, i / CAST.len() + 1, 0, Appear::Discovered, &mut rng)
            })
            .collect();
        Simulation {
            rng,
            // A host up for ~3 days.
            system_ns: 3 * 86_400 * HOST_CPUS * SEC_NS,
            containers,
            next_batch_in: Vec::new(),
            generation: 0,
            prev_now_ns: None,
        }
    }

    /// One collector round: the control messages of what happened since the last round, and one
    /// stats object per container, in a few ms of each other.
    fn round(&mut self, now_ns: i128) -> Vec<Out> {
        let mut starting = Vec::new();
        self.next_batch_in.retain_mut(|(copy, left)| {
            if *left == 0 {
                starting.push(*copy);
                false
            } else {
                *left -= 1;
                true
            }
        });
        for copy in starting {
            self.generation += 1;
            let batch = Sim::new(
                Role::Batch,
                copy,
                self.generation,
                Appear::Created,
                &mut self.rng,
            );
            self.containers.push(batch);
        }
        // Events since the last round happened halfway between it and this one.
        let events_ns = self.prev_now_ns.map_or(now_ns, |prev| (prev + now_ns) / 2);
        self.prev_now_ns = Some(now_ns);
        // The host's /proc/stat: ~4 CPUs × 1 s, in whole 10 ms ticks.
        let jitter = (self.rng.jitter() * 2.0).round() as i64;
        self.system_ns += (HOST_CPUS * SEC_NS).saturating_add_signed(jitter * 10_000_000);
        let mut out = Vec::with_capacity(self.containers.len() + 4);
        let mut removed = Vec::new();
        for (i, c) in self.containers.iter_mut().enumerate() {
            let offset_ns = i as i128 * 1_700_000;
            let mut said = Vec::new();
            let step = step(c, &mut self.rng, &mut said);
            for (j, what) in said.into_iter().enumerate() {
                let message = match what {
                    Said::Info => Some(Message::Container(c.info())),
                    Said::Event(action, exit_code, signal) => lifecycle_event(
                        &c.id,
                        &c.name,
                        action,
                        events_ns + offset_ns + j as i128 * 20_000,
                        exit_code,
                        signal,
                    )
                    .map(Message::Event),
                };
                out.extend(message.map(Out::Message));
            }
            match step {
                Step::Running => out.push(Out::Stats(
                    running_object(c, now_ns + offset_ns, self.system_ns).to_string(),
                )),
                Step::Down => out.push(Out::Stats(empty_object(c).to_string())),
                Step::Removed => removed.push(i),
            }
        }
        for i in removed.into_iter().rev() {
            let done = self.containers.remove(i);
            self.next_batch_in.push((done.copy, 20));
        }
        out
    }
}

enum Step {
    Running,
    Down,
    Removed,
}

/// Advances one container by one second; `said` gets what to tell before its sample.
fn step(c: &mut Sim, rng: &mut Rng, said: &mut Vec<Said>) -> Step {
    said.append(&mut c.pending);
    if c.down_for > 0 {
        c.down_for -= 1;
        if c.down_for == 0 && c.finished {
            said.push(event("destroy"));
            return Step::Removed;
        }
        if c.down_for == 0 {
            // Restarted: a new cgroup and veth, counters from zero, a new stream position.
            (c.cpu_total_ns, c.rx, c.tx, c.blk_read, c.blk_write, c.age_s) = (0, 0, 0, 0, 0, 0);
        }
        c.prev = None;
        return Step::Down;
    }
    match c.appear.take() {
        None => {}
        Some(Appear::Discovered) => said.push(Said::Info),
        Some(Appear::Created) => said.extend([event("create"), event("start"), Said::Info]),
        Some(Appear::Restarted) => said.extend([event("start"), event("restart"), Said::Info]),
        Some(Appear::Recovered) => said.extend([event("start"), Said::Info]),
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
        // Wants more than its --cpus 0.5; the CFS quota holds it just under.
        Role::Cron => 0.485 + 0.012 * rng.jitter(),
        Role::Batch => 0.95 + 0.04 * rng.jitter(),
        Role::Idle => 0.001 + 0.0005 * rng.jitter(),
        Role::Cache => 0.12 + 0.03 * rng.jitter(),
    };
    // cgroup v2 reports whole microseconds.
    c.cpu_total_ns += ((cores.max(0.0) * 1e6) as u64) * 1000;
    let net = match c.role {
        Role::Web => 180_000.0,
        Role::Db => 40_000.0,
        Role::Worker => 8_000.0,
        Role::Cache => 20_000.0,
        _ => 200.0,
    };
    c.rx += (net * (1.0 + 0.2 * rng.jitter())) as u64;
    c.tx += (net * 2.5 * (1.0 + 0.2 * rng.jitter())) as u64;
    if c.role == Role::Db {
        c.blk_write += 4096 * (20 + (rng.next_f64() * 30.0) as u64);
        c.blk_read += 4096 * (rng.next_f64() * 5.0) as u64;
    }
    // What happens after this sample is told before the next one.
    if c.role == Role::Cron && c.age_s >= 45 {
        // `docker restart`: SIGTERM, the process exits 128 + 15, then it starts again.
        c.down_for = 2;
        c.pending = vec![
            Said::Event("kill", None, Some("15")),
            Said::Event("die", Some(143), None),
            event("stop"),
        ];
        c.appear = Some(Appear::Restarted);
    }
    if c.role == Role::Batch && c.age_s >= 90 {
        c.down_for = 10;
        c.finished = true;
        c.pending = vec![Said::Event("die", Some(0), None)];
    }
    if c.role == Role::Cache && c.age_s >= CACHE_LIFETIME_S {
        // The kernel's OOM killer (SIGKILL: 128 + 9); the restart policy brings it back.
        c.down_for = CACHE_DOWN_S;
        c.pending = vec![event("oom"), Said::Event("die", Some(137), None)];
        c.appear = Some(Appear::Recovered);
    }
    Step::Running
}

fn rfc3339(unix_ns: i128) -> String {
    statscope_core::Timestamp::from_unix_ns(unix_ns).to_rfc3339()
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
    let limit = c.memory_limit();
    let base_mem: u64 = match c.role {
        Role::Db => 900 * MIB,
        Role::Web => 120 * MIB,
        Role::Batch => 300 * MIB,
        Role::Cache => 32 * MIB,
        _ => 12 * MIB,
    };
    let file = base_mem / 3;
    let usage = if c.role == Role::Cache {
        // A leak: from its base to ~97 % of the limit over its lifetime, then the OOM killer.
        let grown = (limit - 8 * MIB - base_mem) * c.age_s.min(CACHE_LIFETIME_S) / CACHE_LIFETIME_S;
        base_mem + grown / 4096 * 4096
    } else {
        base_mem + (c.age_s % 60) * (256 << 10)
    };
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
    use statscope_core::{Flag, RateEngine, Stats};

    const T0: i128 = 1_700_000_000 * SEC_NS as i128;

    /// Runs the simulation for `secs` rounds, returning every message's text.
    fn simulate_all(secs: u64) -> Vec<String> {
        let mut sim = Simulation::new(7);
        (0..secs)
            .flat_map(|s| sim.round(T0 + s as i128 * SEC_NS as i128))
            .map(|item| item.text())
            .collect()
    }

    /// The stats objects only.
    fn simulate(secs: u64) -> Vec<String> {
        let mut sim = Simulation::new(7);
        (0..secs)
            .flat_map(|s| sim.round(T0 + s as i128 * SEC_NS as i128))
            .filter_map(|item| match item {
                Out::Stats(text) => Some(text),
                Out::Message(_) => None,
            })
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
        // The cron stays just under its --cpus 0.5; the cache is killed and restarts from zero.
        assert!(
            cpu("demo-cron").iter().all(|&c| (45.0..50.0).contains(&c)),
            "cron {:?}",
            cpu("demo-cron")
        );
        let cache_flags: Vec<Flag> = by_name["demo-cache"].iter().map(|(f, _)| *f).collect();
        assert!(
            cache_flags.contains(&Flag::Stopped) && cache_flags.contains(&Flag::Reset),
            "cache OOM-killed and restarted: {cache_flags:?}"
        );
    }

    /// `(read of the sample or time of the event in s since T0, message)` for one container name.
    /// The time is `None` for an empty sample or container info.
    fn timeline(messages: &[String], name: &str) -> Vec<(Option<f64>, Value)> {
        messages
            .iter()
            .map(|t| serde_json::from_str::<Value>(t).expect("JSON"))
            .filter(|v| v["name"] == name || v["name"] == format!("/{name}"))
            .map(|v| {
                // Container info has no time; an empty sample has Go's zero time.
                let time = v["time"].as_str().or(v["read"].as_str());
                let t =
                    time.map(|t| statscope_core::Timestamp::parse_rfc3339(t).expect("RFC 3339"));
                let s = t
                    .filter(|t| !t.is_zero())
                    .map(|t| (t.unix_ns() - T0) as f64 / 1e9);
                (s, v)
            })
            .collect()
    }

    #[test]
    fn every_container_is_announced_with_its_limits() {
        let first_round: Vec<Value> = simulate_all(1)
            .iter()
            .filter(|t| t.starts_with(r#"{"type":"statscope.container""#))
            .map(|t| serde_json::from_str(t).expect("JSON"))
            .collect();
        let limits: Vec<(&str, Value, Value, Value)> = first_round
            .iter()
            .map(|v| {
                (
                    v["name"].as_str().expect("name"),
                    v["cpuLimit"].clone(),
                    v["cpuLimitFrom"].clone(),
                    v["memoryLimitBytes"].clone(),
                )
            })
            .collect();
        assert_eq!(
            limits,
            [
                ("demo-web", json!(1.0), json!("CpuQuota"), json!(512 << 20)),
                ("demo-worker", json!(2.0), json!("CpusetCpus"), Value::Null),
                ("demo-db", json!(1.5), json!("CpuQuota"), json!(2u64 << 30)),
                ("demo-cron", json!(0.5), json!("NanoCpus"), Value::Null),
                ("demo-batch", json!(1.0), json!("NanoCpus"), Value::Null),
                ("demo-idle", Value::Null, Value::Null, Value::Null),
                ("demo-cache", Value::Null, Value::Null, json!(256 << 20)),
            ]
        );
        let projects: Vec<(&str, &str)> = first_round
            .iter()
            .map(|v| {
                (
                    v["name"].as_str().expect("name"),
                    v["project"].as_str().unwrap_or(""),
                )
            })
            .collect();
        assert_eq!(
            projects,
            [
                ("demo-web", "shop"),
                ("demo-worker", "shop"),
                ("demo-db", "shop"),
                ("demo-cron", "jobs"),
                ("demo-batch", "jobs"),
                ("demo-idle", ""),
                ("demo-cache", "shop"),
            ],
            "Compose projects, as their labels would say"
        );
        // Each announcement comes before the container's first sample, and its ID matches.
        let all = simulate_all(1);
        for info in &first_round {
            let at = all
                .iter()
                .position(|t| t.contains(info["id"].as_str().expect("id")));
            let at = at.expect("mentioned");
            assert!(all[at].starts_with(r#"{"type":"statscope.container""#));
        }
        // The memory limit is the one the stats report.
        for t in simulate(1) {
            let s = statscope_core::Stats::from_json(&t).expect("stats");
            let info = &first_round[first_round
                .iter()
                .position(|v| v["id"] == s.id)
                .expect("announced")];
            let limit = info["memoryLimitBytes"].as_u64().unwrap_or(HOST_RAM);
            assert_eq!(s.memory_stats.limit, limit, "{}", s.name);
        }
    }

    #[test]
    fn the_cache_is_oom_killed_after_10_s_then_every_90_s_on_the_stats_clock() {
        let messages = simulate_all(200);
        let line = timeline(&messages, "demo-cache");
        let events: Vec<(f64, String, Option<i64>)> = line
            .iter()
            .filter(|(_, v)| v["type"] == "statscope.event")
            .map(|(t, v)| {
                (
                    t.expect("events have a time"),
                    v["action"].as_str().expect("action").to_string(),
                    v["exitCode"].as_i64(),
                )
            })
            .collect();
        let ooms: Vec<f64> = events
            .iter()
            .filter(|(_, a, _)| a == "oom")
            .map(|(t, _, _)| *t)
            .collect();
        assert!(ooms.len() >= 2, "{events:?}");
        assert!((9.0..11.0).contains(&ooms[0]), "first OOM at {}", ooms[0]);
        assert!((ooms[1] - ooms[0] - 90.0).abs() < 1.0, "{ooms:?}");
        // oom, die 137, start: in order, each a few seconds apart at most.
        let actions: Vec<(&str, Option<i64>)> = events
            .iter()
            .take(3)
            .map(|(_, a, c)| (a.as_str(), *c))
            .collect();
        assert_eq!(
            actions,
            [("oom", None), ("die", Some(137)), ("start", None)]
        );
        assert!(events[0].0 < events[1].0 && events[2].0 - events[1].0 > 2.0);
        // The events sit between the samples around them: the last one before the kill (memory
        // near the limit), empty samples while down, then counters from zero.
        let oom_at = line
            .iter()
            .position(|(_, v)| v["action"] == "oom")
            .expect("oom");
        let (before, killed) = (&line[oom_at - 1], line[oom_at].0.expect("time"));
        assert!(before.0.expect("a real sample") < killed);
        let usage = before.1["memory_stats"]["usage"].as_u64().expect("usage");
        assert!(usage > 240 << 20 && usage < 256 << 20, "{usage}");
        let start_at = line
            .iter()
            .position(|(_, v)| v["action"] == "start")
            .expect("start");
        let down: Vec<&(Option<f64>, Value)> = line[oom_at + 2..start_at]
            .iter()
            .filter(|(_, v)| v["type"] != "statscope.container")
            .collect();
        assert_eq!(
            down.len(),
            CACHE_DOWN_S as usize,
            "empty samples while down"
        );
        assert!(down.iter().all(|(t, _)| t.is_none()));
        let after = line[start_at + 1..]
            .iter()
            .find(|(_, v)| v["read"].is_string())
            .expect("a sample after the restart");
        assert!(after.0.expect("real") > line[start_at].0.expect("time"));
        let total = after.1["cpu_stats"]["cpu_usage"]["total_usage"].as_u64();
        assert!(total.expect("total") < SEC_NS, "counters from zero");
        assert_eq!(after.1["preread"], ZERO_TIME);
    }

    #[test]
    fn restarts_and_batch_jobs_tell_their_events() {
        let messages = simulate_all(200);
        let actions = |name: &str| -> Vec<String> {
            timeline(&messages, name)
                .iter()
                .filter(|(_, v)| v["type"] == "statscope.event")
                .map(
                    |(_, v)| match (v["exitCode"].as_i64(), v["signal"].as_str()) {
                        (Some(code), _) => format!("{} {code}", v["action"].as_str().expect("a")),
                        (_, Some(signal)) => {
                            format!("{} {signal}", v["action"].as_str().expect("a"))
                        }
                        _ => v["action"].as_str().expect("a").to_string(),
                    },
                )
                .collect()
        };
        assert_eq!(
            actions("demo-cron")[..5],
            ["kill 15", "die 143", "stop", "start", "restart"]
        );
        assert_eq!(
            actions("demo-batch"),
            ["die 0", "destroy", "create", "start"]
        );
        assert!(actions("demo-web").is_empty());
        // Every event time is RFC 3339 with nanoseconds, and events of one container are in order.
        for name in ["demo-cron", "demo-batch", "demo-cache"] {
            let times: Vec<f64> = timeline(&messages, name)
                .iter()
                .filter(|(_, v)| v["type"] == "statscope.event")
                .map(|(t, v)| {
                    let text = v["time"].as_str().expect("time");
                    assert_eq!(text.len(), "2023-11-14T22:13:20.123456789Z".len(), "{text}");
                    t.expect("a time")
                })
                .collect();
            assert!(times.windows(2).all(|w| w[0] < w[1]), "{name}: {times:?}");
        }
        // A new batch job is announced with its own ID.
        let infos: Vec<Value> = messages
            .iter()
            .filter(|t| t.contains(r#""statscope.container""#) && t.contains("demo-batch"))
            .map(|t| serde_json::from_str(t).expect("JSON"))
            .collect();
        assert_eq!(infos.len(), 2);
        assert_ne!(infos[0]["id"], infos[1]["id"]);
    }
}
