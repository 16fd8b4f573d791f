//! What the chart shows, chosen by the viewer: the metric, the CPU scale, which containers, in what
//! order, and an optional smoothed rate. Pure functions over the engine's [`Point`]s.
//!
//! - [`Metric`]: CPU %, memory (bytes or % of the limit), network and block I/O *rates* (bytes/s,
//!   all interfaces summed), never the cumulative totals `docker stats` prints.
//! - [`CpuScale`]: the docker CLI's per-core scale (100 % = one core), % of the host (÷ online
//!   CPUs), or % of the container's own CPU limit (÷ its limit in cores; a container without a
//!   limit may use every host CPU, so it is shown as % of the host).
//! - [`Selection`]: click isolates a container, shift/ctrl-click toggles one.
//! - [`smooth`]: a least-squares rate over the last `k` samples with a band of ±1 standard deviation
//!   of the exact two-point rates it summarizes.

use serde::{Deserialize, Serialize};

pub use crate::metrics::{Metric, Unit};

use crate::idmap::IdSet;
use crate::rates::{Basis, Point};

/// What 100 % of CPU means.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CpuScale {
    /// The docker CLI's: 100 % = one core (a 4-core container can show 400 %).
    #[default]
    Core,
    /// 100 % = every online CPU of the host.
    Host,
    /// 100 % = the container's CPU limit (cores); without a limit, as [`CpuScale::Host`].
    Limit,
}

impl CpuScale {
    pub fn key(self) -> &'static str {
        match self {
            CpuScale::Core => "core",
            CpuScale::Host => "host",
            CpuScale::Limit => "limit",
        }
    }

    pub fn from_key(key: &str) -> Option<CpuScale> {
        [CpuScale::Core, CpuScale::Host, CpuScale::Limit]
            .into_iter()
            .find(|s| s.key() == key)
    }

    /// The divisor applied to the per-core CPU % (1 for [`CpuScale::Core`]): online CPUs, or the
    /// container's limit in cores. `None` when it cannot be known (no CPU count on the point).
    pub fn divisor(self, p: &Point, limit_cores: Option<f64>) -> Option<f64> {
        let cpus = f64::from(p.explain.cpus);
        match self {
            CpuScale::Core => Some(1.0),
            CpuScale::Host => (cpus > 0.0).then_some(cpus),
            CpuScale::Limit => match limit_cores {
                Some(l) if l > 0.0 => Some(if cpus > 0.0 { l.min(cpus) } else { l }),
                _ => (cpus > 0.0).then_some(cpus),
            },
        }
    }
}

/// The value a point shows for `metric` on `scale` (`limit_cores`: the container's CPU limit).
pub fn value(metric: Metric, scale: CpuScale, limit_cores: Option<f64>, p: &Point) -> Option<f64> {
    let raw = metric.raw(p)?;
    if metric != Metric::Cpu {
        return Some(raw);
    }
    Some(raw / scale.divisor(p, limit_cores)?)
}

/// Which containers are shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selection {
    /// All, except these IDs.
    All { hidden: IdSet },
    /// Only these IDs.
    Only(IdSet),
}

impl Default for Selection {
    fn default() -> Self {
        Selection::All {
            hidden: IdSet::new(),
        }
    }
}

impl Selection {
    pub fn shows(&self, id: &str) -> bool {
        match self {
            Selection::All { hidden } => !hidden.contains(id),
            Selection::Only(ids) => ids.contains(id),
        }
    }

    /// A plain click: show only `id`; clicking the only one shown again shows all.
    pub fn isolate(&mut self, id: &str) {
        *self = match self {
            Selection::Only(ids) if ids.len() == 1 && ids.contains(id) => Selection::default(),
            _ => Selection::Only(IdSet::of(id)),
        };
    }

    /// Shift/ctrl-click: flip `id` alone.
    pub fn toggle(&mut self, id: &str) {
        let set = match self {
            Selection::All { hidden } => hidden,
            Selection::Only(ids) => ids,
        };
        if !set.remove(id) {
            set.insert(id.to_string());
        }
        if matches!(self, Selection::Only(ids) if ids.is_empty()) {
            *self = Selection::default();
        }
    }

    /// Forgets IDs no longer present (so an isolated container that left does not blank the chart).
    pub fn retain(&mut self, mut present: impl FnMut(&str) -> bool) {
        match self {
            Selection::All { hidden } => hidden.retain(&mut present),
            Selection::Only(ids) => {
                ids.retain(&mut present);
                if ids.is_empty() {
                    *self = Selection::default();
                }
            }
        }
    }
}

/// Legend (and chart) order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SortBy {
    /// By name, then ID.
    #[default]
    Name,
    /// By the current value of the metric shown, highest first.
    Value,
    /// Grouped by host, then by name.
    Host,
    /// Grouped by Compose project (the `com.docker.compose.project` label; none last), then by name.
    Project,
}

impl SortBy {
    /// Every order, with its key (`name`, `value`, `host`, `project`).
    pub const ALL: [(SortBy, &'static str); 4] = [
        (SortBy::Name, "name"),
        (SortBy::Value, "value"),
        (SortBy::Host, "host"),
        (SortBy::Project, "project"),
    ];

    pub fn key(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(s, _)| *s == self)
            .map_or("name", |(_, k)| k)
    }

    pub fn from_key(key: &str) -> Option<SortBy> {
        Self::ALL.iter().find(|(_, k)| *k == key).map(|(s, _)| *s)
    }
}

/// A smoothed value at `t`, with the spread of what it summarizes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Smoothed {
    pub t: f64,
    pub value: f64,
    /// ±1 standard deviation (time-weighted) of the `k` exact values it summarizes.
    pub spread: f64,
}

/// Smooths one unbroken run of `(t, value)` points over the last `k` points.
///
/// For a rate (`is_rate`), point `i` is the average rate over `(t[i-1], t[i]]`; the run's counter is
/// rebuilt by integrating it, and the smoothed rate at `t[i]` is the least-squares slope of that
/// counter over the last `k` intervals (`k + 1` counter samples): what a straight line through the
/// counter says, less jumpy than any two points. The interval before the run's first point is
/// `first_dt` (the time since the sample that started the run), so its first point counts too. For a
/// gauge, it is the time-weighted mean of the last `k` points. The first `k − 1` points of a run get
/// the smoothing of what exists.
pub fn smooth(run: &[(f64, f64)], first_dt: f64, k: usize, is_rate: bool) -> Vec<Smoothed> {
    let k = k.max(2);
    let mut out = Vec::with_capacity(run.len());
    for i in 0..run.len() {
        let lo = (i + 1).saturating_sub(k);
        let window = &run[lo..=i];
        let dt = |j: usize| {
            if j == 0 {
                first_dt
            } else {
                run[j].0 - run[j - 1].0
            }
        };
        // Time-weighted mean and standard deviation of the window's exact values.
        let (mut sw, mut swx) = (0.0, 0.0);
        for (j, &(_, v)) in window.iter().enumerate() {
            let w = dt(lo + j).max(0.0);
            sw += w;
            swx += w * v;
        }
        if sw <= 0.0 {
            continue;
        }
        let mean = swx / sw;
        let var = window
            .iter()
            .enumerate()
            .map(|(j, &(_, v))| dt(lo + j).max(0.0) * (v - mean).powi(2))
            .sum::<f64>()
            / sw;
        let value = if is_rate {
            // The counter at the start of the window's first interval, then at each point.
            let t_start = run[lo].0 - dt(lo);
            let mut counter = vec![(t_start, 0.0)];
            let mut c = 0.0;
            for (j, &(t, v)) in window.iter().enumerate() {
                c += v * dt(lo + j);
                counter.push((t, c));
            }
            least_squares_slope(&counter).unwrap_or(mean)
        } else {
            mean
        };
        out.push(Smoothed {
            t: run[i].0,
            value,
            spread: var.sqrt(),
        });
    }
    out
}

/// The slope of the least-squares line through `points` (x, y); `None` if x does not vary.
pub fn least_squares_slope(points: &[(f64, f64)]) -> Option<f64> {
    let n = points.len() as f64;
    if n < 2.0 {
        return None;
    }
    let mx = points.iter().map(|p| p.0).sum::<f64>() / n;
    let my = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    (sxx > 0.0).then(|| sxy / sxx)
}

/// "How was this computed?" for one CPU value, as text a person can check by hand.
/// `limit_known`: the source said what the container's limits are (a replay does not), so that
/// "no CPU limit" is said only where there is none.
pub fn explain_cpu(
    p: &Point,
    scale: CpuScale,
    limit_cores: Option<f64>,
    limit_known: bool,
) -> Option<String> {
    let cpu = p.cpu_percent()?;
    let e = &p.explain;
    let basis = match e.basis {
        Basis::PreCpu => "previous counters: this sample's own precpu_stats (as the docker CLI)",
        Basis::Previous => {
            "previous counters: statscope's previous sample of this container (precpu_stats was empty)"
        }
        Basis::None => "previous counters: none",
    };
    let mut text = format!(
        "Δ container CPU {} ns ÷ Δ system CPU {} ns × {} online CPUs × 100 = {} (100 % = one core); {basis}",
        group(e.cpu_delta),
        group(e.system_delta),
        e.cpus,
        Unit::Percent.format(cpu),
    );
    match (scale, limit_cores) {
        (CpuScale::Core, _) => {}
        (CpuScale::Limit, Some(l)) if l > 0.0 => {
            let d = scale.divisor(p, limit_cores).unwrap_or(l);
            text.push_str(&format!(
                "; ÷ CPU limit {} cores = {} of its limit",
                trim(d),
                Unit::Percent.format(cpu / d)
            ));
        }
        (_, _) => {
            if let Some(d) = CpuScale::Host.divisor(p, None) {
                let why = match (scale, limit_known) {
                    (CpuScale::Limit, true) => "no CPU limit, so ",
                    (CpuScale::Limit, false) => "CPU limit unknown (the source did not say), so ",
                    _ => "",
                };
                text.push_str(&format!(
                    "; {why}÷ {} online CPUs = {} of the host",
                    trim(d),
                    Unit::Percent.format(cpu / d)
                ));
            }
        }
    }
    Some(text)
}

/// `1234567` → `1,234,567` (whole numbers; the deltas are integers).
fn group(v: f64) -> String {
    let digits = format!("{:.0}", v.abs());
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    if v < 0.0 {
        out.insert(0, '-');
    }
    out
}

fn trim(v: f64) -> String {
    let text = format!("{v:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// M4 decimation of one run of `(t, v)` points, sorted by `t`, for a plot `columns` pixels wide
/// over `[x0, x1]`: per pixel column it keeps the first, the lowest, the highest and the last point
/// (each once, in time order). Lines through what remains cover the same pixels as lines through
/// every point, so a long window draws at most ~4 points per column, however many it holds.
/// Runs with no more than `4 × columns` points (nothing to gain) come back as they are.
pub fn m4(points: Vec<(f64, f64)>, (x0, x1): (f64, f64), columns: usize) -> Vec<(f64, f64)> {
    let span = x1 - x0;
    if columns == 0
        || points.len() <= 4 * columns
        || span.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater)
    {
        return points;
    }
    // Truncation is the floor for points in range (and merges anything before x0 into column 0).
    let per_ms = columns as f64 / span;
    let column = |t: f64| ((t - x0) * per_ms) as i64;
    let mut out = Vec::with_capacity(4 * columns + 4);
    let mut start = 0;
    while start < points.len() {
        let c = column(points[start].0);
        let mut end = start + 1;
        let (mut lo, mut hi) = (start, start);
        while end < points.len() && column(points[end].0) == c {
            if points[end].1 < points[lo].1 {
                lo = end;
            }
            if points[end].1 > points[hi].1 {
                hi = end;
            }
            end += 1;
        }
        let keep = [start, lo.min(hi), lo.max(hi), end - 1];
        let mut last = None;
        for k in keep {
            if last != Some(k) {
                out.push(points[k]);
                last = Some(k);
            }
        }
        start = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_pick_readable_multiples() {
        assert_eq!(Unit::Bytes.format(512.0), "512 B");
        assert_eq!(Unit::Bytes.format(48.0 * 1024.0 * 1024.0), "48.0 MiB");
        assert_eq!(
            Unit::Bytes.format(1.5 * 1024.0 * 1024.0 * 1024.0),
            "1.50 GiB"
        );
        assert_eq!(Unit::BytesPerSecond.format(1_210_000.0), "1.21 MB/s");
        assert_eq!(Unit::BytesPerSecond.format(999.0), "999 B/s");
        assert_eq!(Unit::Percent.format(12.345), "12.3%");
        assert_eq!(
            Unit::Bytes.scale_for(3.0 * 1024.0 * 1024.0),
            (1048576.0, " MiB")
        );
    }

    #[test]
    fn selection_isolates_and_toggles() {
        let mut s = Selection::default();
        assert!(s.shows("a") && s.shows("b"));
        s.isolate("a");
        assert!(s.shows("a") && !s.shows("b"));
        s.toggle("b");
        assert!(s.shows("a") && s.shows("b") && !s.shows("c"));
        s.toggle("a");
        s.toggle("b");
        assert!(s.shows("c"), "emptying the 'only' set shows all again");
        s.toggle("c");
        assert!(!s.shows("c") && s.shows("a"));
        s.isolate("a");
        s.isolate("a");
        assert!(
            s.shows("b") && s.shows("c"),
            "isolating the isolated one shows all"
        );
        s.isolate("gone");
        s.retain(|id| id != "gone");
        assert!(
            s.shows("a"),
            "an isolated container that left does not blank the chart"
        );
    }

    #[test]
    fn least_squares_rate_of_a_steady_counter_is_its_rate() {
        // 50 %/s steady, 1 s apart: smoothed = exact, no spread.
        let run: Vec<(f64, f64)> = (1..=10).map(|i| (i as f64 * 1000.0, 50.0)).collect();
        let s = smooth(&run, 1000.0, 5, true);
        assert_eq!(s.len(), 10);
        for p in &s {
            assert!((p.value - 50.0).abs() < 1e-9, "{p:?}");
            assert!(p.spread.abs() < 1e-9);
        }
    }

    #[test]
    fn smoothing_tames_alternation_and_reports_its_spread() {
        // 0, 100, 0, 100 …: the exact rate jumps; the smoothed one stays near 50 with spread ~50.
        let run: Vec<(f64, f64)> = (1..=20)
            .map(|i| (i as f64 * 1000.0, if i % 2 == 0 { 100.0 } else { 0.0 }))
            .collect();
        let s = smooth(&run, 1000.0, 10, true);
        let last = s.last().unwrap();
        assert!((last.value - 50.0).abs() < 10.0, "{last:?}");
        assert!((last.spread - 50.0).abs() < 1e-9, "{last:?}");
        // A gauge is averaged.
        let g = smooth(&run, 1000.0, 10, false);
        assert!((g.last().unwrap().value - 50.0).abs() < 1e-9);
    }

    #[test]
    fn a_rising_rate_is_followed_by_the_slope() {
        // Rate doubles midway: the least-squares slope lands between the two levels.
        let run: Vec<(f64, f64)> = (1..=10)
            .map(|i| (i as f64 * 1000.0, if i > 5 { 40.0 } else { 20.0 }))
            .collect();
        let s = smooth(&run, 1000.0, 10, true);
        let v = s.last().unwrap().value;
        assert!(v > 20.0 && v < 40.0, "{v}");
        assert_eq!(least_squares_slope(&[(0.0, 1.0), (0.0, 2.0)]), None);
        assert_eq!(least_squares_slope(&[(0.0, 1.0), (2.0, 5.0)]), Some(2.0));
    }

    #[test]
    fn numbers_group_by_thousands() {
        assert_eq!(group(1234567.0), "1,234,567");
        assert_eq!(group(12.0), "12");
        assert_eq!(group(-1000.0), "-1,000");
    }

    #[test]
    fn m4_keeps_first_last_and_extremes_of_every_column() {
        // 10,000 points of a wavy signal over 100 columns.
        let points: Vec<(f64, f64)> = (0..10_000)
            .map(|i| {
                (
                    f64::from(i),
                    (f64::from(i) * 0.37).sin() * 50.0 + f64::from(i % 7),
                )
            })
            .collect();
        let range = (0.0, 10_000.0);
        let kept = m4(points.clone(), range, 100);
        assert!(kept.len() <= 400 && kept.len() >= 200, "{}", kept.len());
        assert!(
            kept.windows(2).all(|w| w[0].0 < w[1].0),
            "in time order, no repeats"
        );
        assert_eq!(kept.first(), points.first());
        assert_eq!(kept.last(), points.last());
        for c in 0..100 {
            let inside = |p: &&(f64, f64)| (p.0 / 100.0).floor() as i32 == c;
            let all: Vec<f64> = points.iter().filter(inside).map(|p| p.1).collect();
            let some: Vec<f64> = kept.iter().filter(inside).map(|p| p.1).collect();
            let max = |v: &[f64]| v.iter().copied().fold(f64::MIN, f64::max);
            let min = |v: &[f64]| v.iter().copied().fold(f64::MAX, f64::min);
            assert_eq!(max(&some), max(&all), "column {c}");
            assert_eq!(min(&some), min(&all), "column {c}");
        }
        // Four points per column or fewer: untouched.
        let few: Vec<(f64, f64)> = points.iter().step_by(25).copied().collect();
        assert_eq!(m4(few.clone(), range, 100), few);
        assert_eq!(m4(points.clone(), range, 0), points);
    }
}
