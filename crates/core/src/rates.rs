//! The derivative engine: Docker's cumulative counters become per-container rates, with bounded memory.
//!
//! [`RateEngine`] is one [`KeyedState`] updater keyed by container ([`Sample::key`]: its ID, and its
//! host when it has one); it takes [`Sample`]s, or whole [`Stats`] ([`EngineInput`]). Every sample produces exactly one
//! [`Point`] (so `statscope stats --format csv` prints one row per input line); real samples are also
//! kept in a ring of the last [`EngineConfig::history_points`] points per container. The rules, stated
//! once:
//!
//! - **CPU %** is the docker CLI formula ([`crate::figures::cpu_percent`]):
//!   Δ`total_usage` / Δ`system_cpu_usage` × online CPUs × 100, CPU count from the current sample.
//!   The previous counters are the sample's own `precpu_stats` when they are real (`preread` set and,
//!   on Linux, `precpu_stats.system_cpu_usage` > 0); otherwise the engine's own previous sample of
//!   that container ([`Basis`] records which). Windows samples use the docker CLI Windows formula
//!   (100 ns units over `Δread × num_procs`), without its `u64` wrap on a reset.
//! - **First**: a container's first real sample has no baseline in the engine: flag
//!   [`Flag::First`], no rates. The docker CLI's first value (a lifetime ratio) is never emitted.
//! - **Reset**: a counter that went down (a restart: CPU, network, block I/O start again at zero), or
//!   the first real sample after a container was stopped: flag [`Flag::Reset`], no rates, re-baseline.
//!   Nothing is ever negative and no spike comes out.
//! - **Stopped**: an empty sample (`read` = Go's zero time, what a stopped or restarting container
//!   streams) marks the container stopped: flag [`Flag::Stopped`], no values. The ring gets one
//!   stopped marker at the time of the last real sample, so the curve ends there (no drop to zero).
//! - **Gap**: a real sample more than [`EngineConfig::gap_factor`] × the container's usual interval
//!   after the previous one: flag [`Flag::Gap`]; rates are the honest average over the gap.
//! - **Late**: a sample not newer than the previous one (a duplicate, or time going a little
//!   backwards, at most [`EngineConfig::max_skew_ns`]): flag [`Flag::Late`], no rates; it neither
//!   moves the baseline nor enters the ring.
//! - **Clock step**: a sample more than [`EngineConfig::max_skew_ns`] older than the previous one is
//!   not late but a clock that stepped back (the host's, or a lone sample that had jumped ahead): it
//!   is a gap ([`Flag::Gap`]) with no rates, the container re-baselines on it, and the points after
//!   it (the abandoned timeline) leave the ring. A clock that steps forward is an ordinary gap. So a
//!   clock jump costs one rate, never "late" forever.
//! - **Byte rates** (network rx/tx summed over interfaces, block read/write) are Δbytes / Δ`read`
//!   against the engine's own previous sample (`precpu_stats` carries no byte counters).
//! - **Memory** follows the docker CLI per sample (no `inactive_file`; Windows: private working set).
//! - **The clock** is sample time, robust to outliers. The voters are the running containers that are
//!   live (when the caller says when each batch arrived, [`RateEngine::update_arrived`]: those that
//!   got a sample within [`EngineConfig::live_ns`] of the newest arrival; without arrival times,
//!   every running container). The clock is the newest `read` among the voters' latest samples
//!   that lie at most [`EngineConfig::max_skew_ns`] after their median (the upper median: of two
//!   voters, the newer one; of three or more, a majority decides). A
//!   container whose latest `read` is further from the median than that, ahead or behind, is
//!   **skewed** ([`RateEngine::skewed`]): its samples are kept, but they do not move the clock — one
//!   container's sample an hour ahead never moves the others out of a window that ends at the clock,
//!   while a whole feed whose clock jumps (a majority) moves it. With no voter the clock stays. A
//!   caller's `now` later than that advances it (a caller with a wall clock can pass it so silent
//!   containers expire).
//! - **Eviction**, in sample time by that clock: a stopped container is dropped
//!   [`EngineConfig::stopped_ttl_ns`] after its last real sample, a silent one (stream ended,
//!   container removed) [`EngineConfig::silent_ttl_ns`] after it. An empty sample for a container
//!   the engine does not know leaves no trace.
//!
//! No I/O, no clock, no browser: the same code runs natively and in WebAssembly.

use std::collections::VecDeque;

use std::borrow::Cow;

use crate::figures;
use crate::keyed::KeyedState;
use crate::model::{OsType, Sample, Stats};
use crate::sorting::sort_by;

/// What is special about a point. `None` is an ordinary rate point.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Flag {
    /// An ordinary point.
    #[default]
    None,
    /// The container's first sample in the engine: no baseline, no rates.
    First,
    /// A counter went down, or the container came back after being stopped: no rates, re-baselined.
    Reset,
    /// The sample came after a gap of several intervals: rates are the average over the gap.
    Gap,
    /// An empty sample: the container is stopped or restarting. The curve ends.
    Stopped,
    /// Not newer than the previous sample (duplicate or backwards): ignored for rates.
    Late,
}

impl Flag {
    /// The CSV spelling: empty for an ordinary point, else `first`, `reset`, `gap`, `stopped`, `late`.
    pub fn as_str(self) -> &'static str {
        match self {
            Flag::None => "",
            Flag::First => "first",
            Flag::Reset => "reset",
            Flag::Gap => "gap",
            Flag::Stopped => "stopped",
            Flag::Late => "late",
        }
    }

    /// Does a curve break before this point (nothing drawn from the previous point to it)?
    pub fn breaks_curve(self) -> bool {
        !matches!(self, Flag::None)
    }
}

/// Where a CPU value's previous counters came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Basis {
    /// No CPU value.
    #[default]
    None,
    /// The sample's own `precpu_stats` (what the docker CLI uses).
    PreCpu,
    /// The engine's previous sample of this container (`precpu_stats` was empty).
    Previous,
}

/// How a CPU value was computed: the numbers behind "explain this number".
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct CpuExplain {
    /// Δ container CPU (ns on Linux, 100 ns units on Windows).
    pub cpu_delta: f64,
    /// Δ host CPU ns (Linux), or possible 100 ns intervals (Windows).
    pub system_delta: f64,
    /// Online CPUs (Linux) or `num_procs` (Windows) of the current sample.
    pub cpus: u32,
    pub basis: Basis,
}

/// One point of a container's series: one sample, with the rates since the previous one.
///
/// A value that does not exist (no rate on a first/reset/stopped/late point; no memory % on Windows)
/// is `None` from its accessor.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    /// The sample's `read`, ns since the Unix epoch; for a stopped marker, the last real `read`.
    pub t_unix_ns: i64,
    pub flag: Flag,
    pub explain: CpuExplain,
    // NaN = no value: keeps a point at 80 bytes, since rings hold many.
    cpu_percent: f64,
    mem_usage_bytes: f64,
    mem_percent: f64,
    net_rx_bytes_per_s: f64,
    net_tx_bytes_per_s: f64,
    blk_read_bytes_per_s: f64,
    blk_write_bytes_per_s: f64,
    pids: f64,
}

fn some(v: f64) -> Option<f64> {
    (!v.is_nan()).then_some(v)
}

impl Point {
    pub(crate) fn empty(t_unix_ns: i64, flag: Flag) -> Point {
        Point {
            t_unix_ns,
            flag,
            explain: CpuExplain::default(),
            cpu_percent: f64::NAN,
            mem_usage_bytes: f64::NAN,
            mem_percent: f64::NAN,
            net_rx_bytes_per_s: f64::NAN,
            net_tx_bytes_per_s: f64::NAN,
            blk_read_bytes_per_s: f64::NAN,
            blk_write_bytes_per_s: f64::NAN,
            pids: f64::NAN,
        }
    }
    /// Time in ms since the Unix epoch.
    pub fn t_ms(&self) -> f64 {
        self.t_unix_ns as f64 / 1e6
    }
    /// CPU %, docker CLI scale (100 % = one core).
    pub fn cpu_percent(&self) -> Option<f64> {
        some(self.cpu_percent)
    }
    /// Memory in use, bytes (docker CLI: without inactive file pages).
    pub fn mem_usage_bytes(&self) -> Option<f64> {
        some(self.mem_usage_bytes)
    }
    /// Memory % of the limit (Linux only).
    pub fn mem_percent(&self) -> Option<f64> {
        some(self.mem_percent)
    }
    /// Network received, bytes/s, all interfaces.
    pub fn net_rx_bytes_per_s(&self) -> Option<f64> {
        some(self.net_rx_bytes_per_s)
    }
    /// Network transmitted, bytes/s, all interfaces.
    pub fn net_tx_bytes_per_s(&self) -> Option<f64> {
        some(self.net_tx_bytes_per_s)
    }
    /// Block device reads, bytes/s.
    pub fn blk_read_bytes_per_s(&self) -> Option<f64> {
        some(self.blk_read_bytes_per_s)
    }
    /// Block device writes, bytes/s.
    pub fn blk_write_bytes_per_s(&self) -> Option<f64> {
        some(self.blk_write_bytes_per_s)
    }
    /// Processes and threads (`pids_stats.current`; Linux only).
    pub fn pids(&self) -> Option<f64> {
        some(self.pids)
    }
}

/// The engine's settings.
#[derive(Clone, Debug, PartialEq)]
pub struct EngineConfig {
    /// Points kept per container (the ring's size). Default 600: 10 minutes at Docker's 1 Hz.
    pub history_points: usize,
    /// A sample this many usual intervals after the previous one is a [`Flag::Gap`]. Default 3.
    pub gap_factor: f64,
    /// Drop a stopped container this long after its last real sample (sample time). Default 60 s.
    pub stopped_ttl_ns: i64,
    /// Drop a container that sends nothing this long (sample time). Default 60 s.
    pub silent_ttl_ns: i64,
    /// The daemon's OS, for samples without `os_type`. Default Linux.
    pub daemon_os: OsType,
    /// How far a container's clock may be from the others' (and a sample go back) before it is
    /// skewed (or a clock step). Default 30 s.
    pub max_skew_ns: i64,
    /// A container that got no sample for this long (by the caller's arrival clock) does not vote
    /// on the clock. Default 15 s.
    pub live_ns: i64,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            history_points: 600,
            gap_factor: 3.0,
            stopped_ttl_ns: 60_000_000_000,
            silent_ttl_ns: 60_000_000_000,
            daemon_os: OsType::Linux,
            max_skew_ns: 30_000_000_000,
            live_ns: 15_000_000_000,
        }
    }
}

/// Whether a container is sending real samples.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Running,
    /// Stopped or restarting: empty samples since the last real one.
    Stopped,
}

/// The counters of the previous real sample, the engine's own baseline.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Baseline {
    read_ns: i128,
    cpu_total: u64,
    system: u64,
    net_rx: u64,
    net_tx: u64,
    blk_read: u64,
    blk_write: u64,
}

impl Baseline {
    fn of(s: &Sample, os: OsType) -> Baseline {
        let (blk_read, blk_write) = match os {
            OsType::Linux => (s.blk_read, s.blk_write),
            OsType::Windows => (s.storage_read, s.storage_write),
        };
        Baseline {
            read_ns: s.read.unix_ns(),
            cpu_total: s.cpu_total,
            system: s.cpu_system,
            net_rx: s.net_rx,
            net_tx: s.net_tx,
            blk_read,
            blk_write,
        }
    }

    /// Did any counter go down since `self`?
    fn went_down_to(&self, cur: &Baseline) -> bool {
        cur.cpu_total < self.cpu_total
            || cur.system < self.system
            || cur.net_rx < self.net_rx
            || cur.net_tx < self.net_tx
            || cur.blk_read < self.blk_read
            || cur.blk_write < self.blk_write
    }
}

/// One container's state in the engine.
#[derive(Clone, Debug)]
pub struct Container {
    name: String,
    os: OsType,
    status: Status,
    baseline: Option<Baseline>,
    /// The usual interval between samples, ns (an average that ignores gaps); 0 until known.
    interval_ns: f64,
    points: VecDeque<Point>,
    capacity: usize,
    /// When its last real sample arrived, by the caller's clock (if it said).
    arrived_ns: Option<i64>,
    /// Clock steps back seen.
    clock_steps: u64,
}

impl Container {
    fn new(capacity: usize, os: OsType) -> Container {
        Container {
            name: String::new(),
            os,
            status: Status::Running,
            baseline: None,
            interval_ns: 0.0,
            points: VecDeque::with_capacity(capacity.min(1024)),
            capacity: capacity.max(1),
            arrived_ns: None,
            clock_steps: 0,
        }
    }

    /// The name as the docker CLI prints it (no leading `/`).
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The OS whose formulas apply.
    pub fn os(&self) -> OsType {
        self.os
    }
    /// Running or stopped.
    pub fn status(&self) -> Status {
        self.status
    }
    /// The kept points, oldest first (at most `history_points`).
    pub fn points(&self) -> &VecDeque<Point> {
        &self.points
    }
    /// The newest point with a CPU value, if any.
    pub fn last_cpu(&self) -> Option<(i64, f64)> {
        self.points
            .iter()
            .rev()
            .find_map(|p| Some((p.t_unix_ns, p.cpu_percent()?)))
    }
    /// ns since the epoch of the last real sample, if any.
    pub fn last_read_ns(&self) -> Option<i128> {
        self.baseline.map(|b| b.read_ns)
    }

    fn push(&mut self, p: Point) {
        if self.points.len() == self.capacity {
            self.points.pop_front();
        }
        self.points.push_back(p);
    }

    /// Applies one sample and returns its point.
    fn apply(&mut self, s: &Sample, cfg: &EngineConfig) -> Point {
        if s.read.is_zero() {
            return self.apply_stopped();
        }
        if self.name != s.name {
            self.name.clear();
            self.name.push_str(&s.name);
        }
        self.os = s.os(cfg.daemon_os);
        let t_ns = clamp_i64(s.read.unix_ns());
        let cur = Baseline::of(s, self.os);
        let mut point = Point::empty(t_ns, Flag::None);
        (point.mem_usage_bytes, point.mem_percent) = match self.os {
            OsType::Linux => {
                let used =
                    figures::mem_used(s.mem_usage, s.mem_total_inactive_file, s.mem_inactive_file);
                let pct = figures::mem_percent(s.mem_limit as f64, used);
                (used, pct)
            }
            OsType::Windows => (s.mem_private as f64, f64::NAN),
        };
        if self.os == OsType::Linux {
            point.pids = s.pids as f64;
        }

        let Some(prev) = self.baseline else {
            point.flag = Flag::First;
            self.baseline = Some(cur);
            self.status = Status::Running;
            self.push(point);
            return point;
        };
        if cur.read_ns <= prev.read_ns {
            if prev.read_ns - cur.read_ns <= i128::from(cfg.max_skew_ns) {
                point.flag = Flag::Late;
                return point;
            }
            // The clock stepped back: what came after this sample is an abandoned timeline.
            while self
                .points
                .back()
                .is_some_and(|p| i128::from(p.t_unix_ns) >= cur.read_ns)
            {
                self.points.pop_back();
            }
            self.clock_steps += 1;
            point.flag = Flag::Gap;
            self.baseline = Some(cur);
            self.status = Status::Running;
            self.push(point);
            return point;
        }
        let precpu_real =
            !s.preread.is_zero() && (self.os == OsType::Windows || s.precpu_system > 0);
        let precpu_down = precpu_real && s.cpu_total < s.precpu_total;
        if self.status == Status::Stopped || prev.went_down_to(&cur) || precpu_down {
            point.flag = Flag::Reset;
            self.baseline = Some(cur);
            self.status = Status::Running;
            self.push(point);
            return point;
        }

        let dt_ns = (cur.read_ns - prev.read_ns) as f64;
        if self.interval_ns > 0.0 && dt_ns > cfg.gap_factor * self.interval_ns {
            point.flag = Flag::Gap;
        }
        // An average of the usual interval; a gap moves it at most to the gap threshold.
        let sample_dt = if self.interval_ns > 0.0 {
            dt_ns.min(cfg.gap_factor * self.interval_ns)
        } else {
            dt_ns
        };
        self.interval_ns = if self.interval_ns > 0.0 {
            0.8 * self.interval_ns + 0.2 * sample_dt
        } else {
            sample_dt
        };

        point.explain = self.cpu(s, &prev, precpu_real);
        point.cpu_percent = cpu_from(&point.explain, self.os);
        let per_s = |now: u64, before: u64| (now - before) as f64 / (dt_ns / 1e9);
        point.net_rx_bytes_per_s = per_s(cur.net_rx, prev.net_rx);
        point.net_tx_bytes_per_s = per_s(cur.net_tx, prev.net_tx);
        point.blk_read_bytes_per_s = per_s(cur.blk_read, prev.blk_read);
        point.blk_write_bytes_per_s = per_s(cur.blk_write, prev.blk_write);

        self.baseline = Some(cur);
        self.status = Status::Running;
        self.push(point);
        point
    }

    /// The CPU deltas for a sample whose counters did not go down.
    fn cpu(&self, s: &Sample, prev: &Baseline, precpu_real: bool) -> CpuExplain {
        let (pre_total, pre_system, pre_read, basis) = if precpu_real {
            (
                s.precpu_total,
                s.precpu_system,
                s.preread.unix_ns(),
                Basis::PreCpu,
            )
        } else {
            (prev.cpu_total, prev.system, prev.read_ns, Basis::Previous)
        };
        match self.os {
            OsType::Linux => CpuExplain {
                cpu_delta: s.cpu_total as f64 - pre_total as f64,
                system_delta: s.cpu_system as f64 - pre_system as f64,
                cpus: s.cpus,
                basis,
            },
            OsType::Windows => {
                let intervals = ((s.read.unix_ns() - pre_read).max(0) / 100) as f64;
                CpuExplain {
                    cpu_delta: s.cpu_total.saturating_sub(pre_total) as f64,
                    system_delta: intervals * f64::from(s.num_procs),
                    cpus: s.num_procs,
                    basis,
                }
            }
        }
    }

    fn apply_stopped(&mut self) -> Point {
        let Some(baseline) = self.baseline else {
            // Stopped before any real sample (an empty sample, then a real one, in one batch):
            // there is no curve to end, so no marker.
            return Point::empty(0, Flag::Stopped);
        };
        let point = Point::empty(clamp_i64(baseline.read_ns), Flag::Stopped);
        if self.status == Status::Running {
            self.status = Status::Stopped;
            self.push(point);
        }
        point
    }
}

/// CPU % from the deltas: the docker CLI's formula ([`figures::cpu_percent`]). On Windows Δsystem
/// already counts every processor's possible intervals, so the CPU count is 1.
fn cpu_from(e: &CpuExplain, os: OsType) -> f64 {
    let cpus = match os {
        OsType::Linux => f64::from(e.cpus),
        OsType::Windows => 1.0,
    };
    figures::cpu_percent(e.cpu_delta, e.system_delta, cpus)
}

fn clamp_i64(v: i128) -> i64 {
    v.clamp(i64::MIN as i128, i64::MAX as i128) as i64
}

/// Running totals of what the engine has seen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EngineCounts {
    pub samples: u64,
    pub late: u64,
    pub resets: u64,
    pub evicted: u64,
    /// Samples older than their container's previous one by more than the skew allowed.
    pub clock_steps: u64,
}

/// Per-container counters → rates, on [`KeyedState`] (see the module docs for the rules).
#[derive(Clone, Debug)]
pub struct RateEngine {
    config: EngineConfig,
    state: KeyedState<String, Container>,
    /// The engine's notion of "now" (see the module docs), ns since the epoch.
    clock_ns: Option<i128>,
    /// Containers whose clock is off from the others', by how much (ns; positive: ahead).
    skewed: Vec<(String, i128)>,
    counts: EngineCounts,
}

impl Default for RateEngine {
    fn default() -> Self {
        Self::new(EngineConfig::default())
    }
}

impl RateEngine {
    /// An engine with no containers.
    pub fn new(config: EngineConfig) -> Self {
        RateEngine {
            config,
            state: KeyedState::new(),
            clock_ns: None,
            skewed: Vec::new(),
            counts: EngineCounts::default(),
        }
    }

    /// The settings in use.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// One micro-batch of samples (any containers, arrival order). Returns one point per sample,
    /// in input order. `now_ns`, if given and later than the clock, advances the eviction clock (a
    /// caller with a wall clock can pass it so silent containers expire).
    pub fn update<'a, T, I>(&mut self, batch: I, now_ns: Option<i64>) -> Vec<Point>
    where
        T: EngineInput + 'a,
        I: IntoIterator<Item = &'a T>,
    {
        self.update_arrived(batch, now_ns, None)
    }

    /// [`update`](Self::update), saying when the batch arrived by the caller's own clock (any
    /// origin, ns; a page's `performance.now()`): containers that stop sending then stop voting on
    /// the clock after [`EngineConfig::live_ns`] (see the module docs).
    pub fn update_arrived<'a, T, I>(
        &mut self,
        batch: I,
        now_ns: Option<i64>,
        arrived_ns: Option<i64>,
    ) -> Vec<Point>
    where
        T: EngineInput + 'a,
        I: IntoIterator<Item = &'a T>,
    {
        let keyed: Vec<(String, (usize, Cow<'a, Sample>))> = batch
            .into_iter()
            .enumerate()
            .map(|(i, input)| {
                let s = input.sample();
                (s.key.clone(), (i, s))
            })
            .collect();
        let mut out = vec![Point::empty(0, Flag::None); keyed.len()];
        let (cfg, counts) = (&self.config, &mut self.counts);
        // The batch: one updater call per container with samples or state.
        self.state
            .update(keyed, |values: &[(usize, Cow<'a, Sample>)], old| {
                let real = values.iter().any(|(_, s)| !s.read.is_zero());
                let mut c = match old {
                    Some(c) => c,
                    None if real => Container::new(cfg.history_points, cfg.daemon_os),
                    None => {
                        // An empty sample for an unknown container: a row, no state.
                        for (i, _) in values {
                            out[*i] = Point::empty(0, Flag::Stopped);
                        }
                        counts.samples += values.len() as u64;
                        return None;
                    }
                };
                let steps = c.clock_steps;
                for (i, s) in values {
                    let (i, p) = (*i, c.apply(s, cfg));
                    counts.samples += 1;
                    counts.late += u64::from(p.flag == Flag::Late);
                    counts.resets += u64::from(p.flag == Flag::Reset);
                    out[i] = p;
                }
                counts.clock_steps += c.clock_steps - steps;
                if real && arrived_ns.is_some() {
                    c.arrived_ns = arrived_ns;
                }
                Some(c)
            });
        self.tick_clock(now_ns);
        // Ageing: the same updater contract, with no new values, evicts by the clock.
        let (cfg, clock, counts) = (&self.config, self.clock_ns, &mut self.counts);
        let newest_arrival = self.state.iter().filter_map(|(_, c)| c.arrived_ns).max();
        self.state
            .update(std::iter::empty::<(String, ())>(), |_, old| {
                let c = old?;
                if expired(&c, cfg, clock, newest_arrival) {
                    counts.evicted += 1;
                    return None;
                }
                Some(c)
            });
        out
    }

    /// Moves the clock as the module docs say, and finds the skewed containers.
    fn tick_clock(&mut self, now_ns: Option<i64>) {
        let newest_arrival = self.state.iter().filter_map(|(_, c)| c.arrived_ns).max();
        let live = |c: &Container| match (c.arrived_ns, newest_arrival) {
            (Some(at), Some(newest)) => newest - at <= self.config.live_ns,
            _ => true,
        };
        let voters: Vec<(&String, i128)> = self
            .state
            .iter()
            .filter(|(_, c)| c.status == Status::Running && live(c))
            .filter_map(|(id, c)| Some((id, c.last_read_ns()?)))
            .collect();
        self.skewed.clear();
        if !voters.is_empty() {
            let mut reads: Vec<i128> = voters.iter().map(|v| v.1).collect();
            sort_by(&mut reads, i128::cmp);
            let median = reads[reads.len() / 2];
            let skew = i128::from(self.config.max_skew_ns);
            let clock = reads
                .iter()
                .rev()
                .copied()
                .find(|&t| t - median <= skew)
                .unwrap_or(median);
            self.clock_ns = Some(clock);
            self.skewed = voters
                .into_iter()
                .filter(|(_, t)| (t - median).abs() > skew)
                .map(|(id, t)| (id.clone(), t - median))
                .collect();
        }
        if let Some(now) = now_ns {
            let now = i128::from(now);
            self.clock_ns = Some(self.clock_ns.map_or(now, |c| c.max(now)));
        }
    }

    /// The container with this ID.
    pub fn get(&self, id: &str) -> Option<&Container> {
        self.state.get_by(id)
    }
    /// `(id, container)` in ascending ID order.
    pub fn containers(&self) -> impl Iterator<Item = (&String, &Container)> {
        self.state.iter()
    }
    /// How many containers the engine holds.
    pub fn len(&self) -> usize {
        self.state.len()
    }
    /// No containers.
    pub fn is_empty(&self) -> bool {
        self.state.is_empty()
    }
    /// What the engine has seen so far.
    pub fn counts(&self) -> EngineCounts {
        self.counts
    }
    /// The clock (see the module docs), ns since the epoch.
    pub fn clock_ns(&self) -> Option<i128> {
        self.clock_ns
    }
    /// The containers whose clock is off from the others' by more than
    /// [`EngineConfig::max_skew_ns`], by how much (ns; positive: ahead), in ascending ID order.
    pub fn skewed(&self) -> &[(String, i128)] {
        &self.skewed
    }
}

/// What the engine takes: a [`Sample`], or a whole [`Stats`] (projected to a sample as it goes,
/// filed under its ID, or its name when it has none).
pub trait EngineInput {
    fn sample(&self) -> Cow<'_, Sample>;
}

impl EngineInput for Sample {
    fn sample(&self) -> Cow<'_, Sample> {
        Cow::Borrowed(self)
    }
}

impl EngineInput for Stats {
    fn sample(&self) -> Cow<'_, Sample> {
        Cow::Owned(Sample::of(self, ""))
    }
}

/// Is `c` past its TTL by the clock? A running container that is still sending (by the caller's
/// arrival clock) is not silent, however far behind the others its own clock is.
fn expired(
    c: &Container,
    cfg: &EngineConfig,
    clock: Option<i128>,
    newest_arrival: Option<i64>,
) -> bool {
    let (Some(now), Some(last)) = (clock, c.last_read_ns()) else {
        return false;
    };
    if let (Status::Running, Some(at), Some(newest)) = (c.status, c.arrived_ns, newest_arrival) {
        if newest - at <= cfg.live_ns {
            return false;
        }
    }
    let ttl = match c.status {
        Status::Stopped => cfg.stopped_ttl_ns,
        Status::Running => cfg.silent_ttl_ns,
    };
    now - last > i128::from(ttl)
}
