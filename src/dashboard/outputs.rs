//! What the dashboard shows, computed from the intake and the viewer's state: the containers listed
//! ([`Listing`]: filter, top-N and order, computed once per redraw and shared by the chart and the
//! legend, [`DashboardCore::redraw`]), the chart's view, the legend, the tooltip (from the curves
//! drawn), the screen-reader table, the snapshot and the CSV export.
//!
//! Every function here is a query: it changes nothing. Colours were given when each container
//! arrived; the y axis is the drawn view's ([`ChartView::y_max`], [`ChartView::y_scale`]), which the
//! page keeps and hands back when it asks which curve a click is nearest to.

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use super::DashboardCore;
use crate::chart::{clock_label, hex, nice_max, time_title, ChartView, Cursor, Dash, Mark, Series};
use crate::lifecycle;
use crate::metrics::METRICS;
use crate::model::{Sample, Timestamp};
use crate::rank;
use crate::rates::{Container, Flag, Point, Status};
use crate::report::{csv_header, csv_point_row};
use crate::select;
use crate::sorting::sort_by;
use crate::view::{self, CpuScale, Metric, Selection, SortBy, Unit};

/// One legend entry.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LegendEntry {
    pub id: String,
    pub name: String,
    /// `#rrggbb`.
    pub color: String,
    /// The curve's dash as a CSS border style (`solid`, `dashed`, `dotted`).
    pub dash: &'static str,
    /// The newest CPU % (docker CLI scale), if any.
    pub cpu: Option<f64>,
    /// The newest value of the metric shown, printed (`12.5%`, `48.0 MiB`, `–`).
    pub value: String,
    /// Drawn on the chart (not hidden by a click).
    pub shown: bool,
    pub stopped: bool,
    /// The container's CPU limit in cores, when the bridge said it has one.
    pub cpu_limit: Option<f64>,
    /// Its limit for the metric shown, printed (`limit 0.5 CPU`, `limit 512 MiB`), if it has one.
    pub limit: Option<String>,
    /// Its Compose project (`""`: none).
    pub project: String,
    /// The group it is listed under (its project, when the legend is grouped by project; its
    /// host's name, when grouped by host); `None`: not grouped.
    pub group: Option<String>,
    /// Its clock is off from the others' (ms; positive: ahead): its newest samples lie outside
    /// the window, and it does not move the window's end.
    pub skew_ms: Option<f64>,
}

/// The legend and how many containers it leaves out.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Legend {
    pub entries: Vec<LegendEntry>,
    /// Containers in the engine.
    pub total: usize,
    /// Containers matching the filter (the legend holds at most `topN` of them).
    pub matching: usize,
    /// How the legend was cut to the top N, in words ([`rank::RULE`]), when it was.
    pub rule: Option<String>,
}

/// `snapshot()`: the current window, per container in legend order.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Snapshot {
    pub containers: Vec<SnapshotContainer>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SnapshotContainer {
    /// The container's ID.
    pub id: String,
    /// Its host's key (`""`: a feed without hosts).
    pub host: String,
    /// What the page's API calls it by (`isolate`, `toggle`, the legend's `data-id`): the ID, with
    /// `@host` when it has one.
    pub key: String,
    pub name: String,
    /// `[t_ms, cpu_percent]` pairs.
    pub cpu: Vec<(f64, f64)>,
}

/// The tooltip at the cursor: every shown container's point nearest to it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Tooltip {
    /// The cursor's time, ms since the epoch.
    pub t_ms: f64,
    /// `HH:MM:SS` of the cursor (local time of the offset given).
    pub time: String,
    pub metric: Metric,
    /// Rows, highest value of the metric first, at most [`TOOLTIP_ROWS`].
    pub rows: Vec<TooltipRow>,
    /// Shown containers left out of `rows`.
    pub more: usize,
    /// Lifecycle marks near the cursor.
    pub marks: Vec<TooltipMark>,
    /// The curves are smoothed over this many samples (0: not smoothed); the values listed
    /// are the samples' own.
    pub smoothed: usize,
}

/// Rows a tooltip lists at most.
pub const TOOLTIP_ROWS: usize = 12;

/// One container in the tooltip: its snapped point's values, printed (every metric, keyed as
/// [`METRICS`] names them: `cpu`, `memory`, `netRx`…), and the number it is ranked by.
#[derive(Clone, Debug, PartialEq)]
pub struct TooltipRow {
    pub id: String,
    pub name: String,
    pub color: String,
    /// The snapped point's time.
    pub t_ms: f64,
    /// The metric shown, printed on the scale in use.
    pub value: String,
    /// Every metric's value, printed, in [`METRICS`] order (CPU on the scale in use).
    pub values: Vec<String>,
    /// The point's flag (`""`, `first`, `reset`, `gap`).
    pub flag: &'static str,
    /// How the CPU value was computed (see [`crate::view::explain_cpu`]).
    pub explain: Option<String>,
    /// This row has the keyboard focus (arrow up/down), whose explanation the page expands.
    pub focused: bool,
    raw: f64,
}

impl TooltipRow {
    /// The printed value of `metric`.
    pub fn value_of(&self, metric: Metric) -> &str {
        &self.values[metric as usize]
    }
}

// By hand: one field per metric, named by its key, beside the fixed ones.
impl Serialize for TooltipRow {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(7 + METRICS.len()))?;
        m.serialize_entry("id", &self.id)?;
        m.serialize_entry("name", &self.name)?;
        m.serialize_entry("color", &self.color)?;
        m.serialize_entry("tMs", &self.t_ms)?;
        m.serialize_entry("value", &self.value)?;
        for (spec, v) in METRICS.iter().zip(&self.values) {
            m.serialize_entry(spec.key, v)?;
        }
        m.serialize_entry("flag", self.flag)?;
        if let Some(e) = &self.explain {
            m.serialize_entry("explain", e)?;
        }
        m.serialize_entry("focused", &self.focused)?;
        m.end()
    }
}

/// A lifecycle mark near the cursor, explained.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TooltipMark {
    pub name: String,
    pub kind: &'static str,
    pub t_ms: f64,
    pub text: String,
}

/// The screen-reader table's row: container, current value, trend.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TableRow {
    pub name: String,
    pub value: String,
    /// `rising`, `falling` or `steady` over the last 30 seconds.
    pub trend: &'static str,
}

/// A listed container: its ID, state and newest value of the metric shown.
pub type Listed<'a> = (&'a str, &'a Container, Option<f64>);

/// The containers the legend lists, in order: those matching the filter, the `topN` busiest of
/// them if set, sorted by name or value.
#[derive(Debug)]
pub struct Listing<'a> {
    pub rows: Vec<Listed<'a>>,
    /// Containers matching the filter.
    pub matching: usize,
    /// Containers in the engine.
    pub total: usize,
}

impl<'a> Listing<'a> {
    /// The listed containers `selection` shows, in order.
    pub fn shown<'s>(&'s self, selection: &'s Selection) -> impl Iterator<Item = Listed<'a>> + 's {
        self.rows
            .iter()
            .copied()
            .filter(move |(id, _, _)| selection.shows(id))
    }
}

/// One host in the fleet overview ([`DashboardCore::overview`]).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OverviewHost {
    pub host: String,
    /// The name people know it by.
    pub name: String,
    /// `up`, `down`, `stale`, `connecting` (the bridge's word).
    pub state: String,
    pub containers: u64,
    pub running: u64,
    /// Its busiest container's name and CPU % (docker CLI's scale), when one runs.
    pub busiest: Option<(String, f64)>,
    /// The chart shows this host only.
    pub selected: bool,
    /// The button's words: `edge-1 · up · 12 containers · busiest web 45.1 %`.
    pub text: String,
}

/// What one redraw shows: the chart's view and the legend, from one [`Listing`].
#[derive(Clone, Debug)]
pub struct Redraw {
    pub view: ChartView,
    pub legend: Legend,
}

/// A container's share of a chart before its axis is known: its runs in the window (values in
/// the metric's unit), its marks and its limit.
#[derive(Debug)]
struct Raw {
    id: String,
    name: String,
    runs: Vec<Run>,
    marks: Vec<Mark>,
    limit: Option<f64>,
}

impl Raw {
    /// Its highest value (0 without one).
    fn top(&self) -> f64 {
        self.runs
            .iter()
            .flat_map(|r| &r.points)
            .fold(0.0, |top, &(_, v)| top.max(v))
    }
}

/// A redraw being taken ([`DashboardCore::redraw_begin`]).
#[derive(Debug)]
pub struct RedrawBuild {
    /// The containers shown, in the legend's order, and the next to take.
    rows: Vec<String>,
    next: usize,
    few: bool,
    raws: Vec<Raw>,
    top: f64,
    window: (f64, f64),
    tz_offset_min: i32,
    columns: usize,
    legend: Legend,
}

impl RedrawBuild {
    /// Containers still to take.
    pub fn remaining(&self) -> usize {
        self.rows.len() - self.next
    }
}

/// One unbroken run of a container's values, and the time since the sample before its first point
/// (the first point's rate interval).
#[derive(Debug)]
struct Run {
    points: Vec<(f64, f64)>,
    first_dt: f64,
}

impl DashboardCore {
    /// The CPU limit of `id` in cores, if the bridge said.
    fn limit(&self, id: &str) -> Option<f64> {
        self.lifecycle().info(id).and_then(|i| i.cpu_limit)
    }

    /// The value of point `p` for the metric and scale in use; `limit` is its container's CPU
    /// limit ([`Self::limit`], looked up once per container, not per point).
    fn value_of(&self, limit: Option<f64>, p: &Point) -> Option<f64> {
        self.value_in(self.viewer.metric, limit, p)
    }

    /// The value of point `p` for `metric` (CPU on the scale in use).
    fn value_in(&self, metric: Metric, limit: Option<f64>, p: &Point) -> Option<f64> {
        if p.flag == Flag::Stopped {
            return None;
        }
        view::value(metric, self.viewer.cpu_scale, limit, p)
    }

    /// The newest value of `id`, and its top-N score ([`rank::score`] up to `end_ms`, the
    /// window's end; none for a stopped container).
    fn current(&self, id: &str, c: &Container, end_ms: f64) -> (Option<f64>, Option<f64>) {
        let limit = self.limit(id);
        let newest = c
            .points()
            .iter()
            .rev()
            .find_map(|p| self.value_of(limit, p));
        if c.status() == Status::Stopped {
            return (newest, None);
        }
        let from = end_ms - rank::RANK_WINDOW_MS;
        let recent = c
            .points()
            .iter()
            .rev()
            .take_while(|p| p.t_ms() > from)
            .filter_map(|p| Some((p.t_ms(), self.value_of(limit, p)?)));
        (newest, rank::score(recent, end_ms))
    }

    /// The Compose project of `id` (`""`: none or not said).
    pub fn project(&self, id: &str) -> &str {
        self.lifecycle().info(id).map_or("", |i| i.project.as_str())
    }

    /// The fleet overview: every host the bridge follows, its state, containers and busiest (the
    /// bridge's `statscope.fleet`), and which one the chart narrows to. Empty unless the option
    /// `overview` is on and the bridge follows two hosts or more.
    pub fn overview(&self) -> Vec<OverviewHost> {
        let hosts = self.hosts();
        if !self.options.overview || hosts.len() < 2 {
            return Vec::new();
        }
        let fleet = self.intake.fleet();
        hosts
            .iter()
            .map(|h| {
                let f = fleet.iter().find(|f| f.host == h.host);
                let (containers, running) = f.map_or((0, 0), |f| (f.containers, f.running));
                let busiest = f
                    .and_then(|f| f.busiest.as_ref())
                    .map(|b| (b.name.clone(), b.cpu));
                let mut text = format!(
                    "{} · {} · {containers} container{}",
                    h.name,
                    h.state,
                    if containers == 1 { "" } else { "s" }
                );
                if let Some((name, cpu)) = &busiest {
                    text.push_str(&format!(" · busiest {name} {cpu:.1} %"));
                }
                OverviewHost {
                    host: h.host.clone(),
                    name: h.name.clone(),
                    state: h.state.clone(),
                    containers,
                    running,
                    busiest,
                    selected: self.viewer.host == h.host,
                    text,
                }
            })
            .collect()
    }

    /// The legend's containers (see [`Listing`]).
    pub fn listing(&self) -> Listing<'_> {
        let host_shown = self.viewer.host.as_str();
        let end_ms = self.window_ms().1;
        let mut all: Vec<(&str, &Container, Option<f64>, Option<f64>)> = self
            .engine()
            .containers()
            .filter(|(key, _)| host_shown.is_empty() || Sample::split_key(key).1 == host_shown)
            .filter(|(key, c)| {
                let host = Sample::split_key(key).1;
                select::matches(&self.viewer.filter, key, c.name(), self.host_name(host))
            })
            .map(|(key, c)| {
                let (now, score) = self.current(key, c, end_ms);
                (key.as_str(), c, now, score)
            })
            .collect();
        let matching = all.len();
        if let Some(n) = self.viewer.top_n {
            let scored: Vec<(&str, Option<f64>)> = all.iter().map(|r| (r.0, r.3)).collect();
            let mut keep = rank::top(&scored, n);
            // The containers chosen by hand stay, whatever their rank (the bridge sends them as
            // pinned).
            if let Selection::Only(ids) = &self.viewer.selection {
                keep.extend(all.iter().map(|r| r.0).filter(|k| ids.contains(k)));
            }
            sort_by(&mut keep, |a, b| a.cmp(b));
            all.retain(|r| keep.binary_search(&r.0).is_ok());
        }
        match self.viewer.sort {
            SortBy::Name => sort_by(&mut all, |a, b| {
                a.1.name().cmp(b.1.name()).then(a.0.cmp(b.0))
            }),
            SortBy::Value => sort_by(&mut all, |a, b| {
                let v = |x: Option<f64>| x.unwrap_or(f64::NEG_INFINITY);
                v(b.2).total_cmp(&v(a.2)).then(a.1.name().cmp(b.1.name()))
            }),
            SortBy::Host => sort_by(&mut all, |a, b| {
                Sample::split_key(a.0)
                    .1
                    .cmp(Sample::split_key(b.0).1)
                    .then(a.1.name().cmp(b.1.name()))
                    .then(a.0.cmp(b.0))
            }),
            SortBy::Project => sort_by(&mut all, |a, b| {
                let (pa, pb) = (self.project(a.0), self.project(b.0));
                // Containers of no project last.
                (pa.is_empty(), pa)
                    .cmp(&(pb.is_empty(), pb))
                    .then(a.1.name().cmp(b.1.name()))
                    .then(a.0.cmp(b.0))
            }),
        }
        Listing {
            rows: all
                .into_iter()
                .map(|(id, c, now, _)| (id, c, now))
                .collect(),
            matching,
            total: self.engine().len(),
        }
    }

    /// The name people know host `key` by (its key when the bridge did not say).
    pub fn host_name<'a>(&'a self, key: &'a str) -> &'a str {
        let hosts = self.hosts();
        hosts
            .binary_search_by(|h| h.host.as_str().cmp(key))
            .map_or(key, |i| hosts[i].name.as_str())
    }

    /// What a container is called on the page: its name; `#` and its short ID when another
    /// container of its host has the same name (a re-created container: same name, new ID); and
    /// `· host` when the page shows more than one host (two hosts may run containers of the same
    /// name, even of the same ID).
    pub fn label(&self, key: &str, c: &Container) -> String {
        let (id, host) = Sample::split_key(key);
        let mut label = c.name().to_string();
        if self.intake.name_clashes(key, c.name()) {
            label.push_str(" #");
            label.push_str(id.get(..7).unwrap_or(id));
        }
        if !host.is_empty() && self.hosts().len() >= 2 {
            label.push_str(" · ");
            label.push_str(self.host_name(host));
        }
        label
    }

    /// The IDs drawn on the chart, in legend order.
    fn shown_ids(&self) -> Vec<String> {
        self.listing()
            .shown(&self.viewer.selection)
            .map(|(id, _, _)| id.to_string())
            .collect()
    }

    /// The legend: the listed containers, in order, hidden ones marked.
    pub fn legend(&self) -> Legend {
        self.legend_of(&self.listing())
    }

    fn legend_of(&self, listing: &Listing<'_>) -> Legend {
        let unit = self.viewer.metric.unit();
        let metric = self.viewer.metric;
        let skewed = self.engine().skewed();
        let sort = self.viewer.sort;
        let entries = listing
            .rows
            .iter()
            .map(|&(id, c, now)| {
                let stopped = c.status() == Status::Stopped;
                let (color, dash) = self.intake.colors().look(id);
                LegendEntry {
                    id: id.to_string(),
                    name: self.label(id, c),
                    color: hex(color),
                    dash: dash.css(),
                    cpu: c.last_cpu().map(|(_, v)| v),
                    value: if stopped {
                        "stopped".into()
                    } else {
                        now.map_or_else(|| "–".into(), |v| unit.format(v))
                    },
                    shown: self.viewer.selection.shows(id),
                    stopped,
                    cpu_limit: self.limit(id),
                    limit: self.limit_text(id, metric),
                    project: self.project(id).to_string(),
                    group: match sort {
                        SortBy::Project => Some(match self.project(id) {
                            "" => "no project".to_string(),
                            p => p.to_string(),
                        }),
                        SortBy::Host => Some(self.host_name(Sample::split_key(id).1).to_string()),
                        _ => None,
                    },
                    skew_ms: skewed
                        .binary_search_by(|(k, _)| k.as_str().cmp(id))
                        .ok()
                        .map(|i| skewed[i].1 as f64 / 1e6),
                }
            })
            .collect();
        Legend {
            entries,
            total: listing.total,
            matching: listing.matching,
            rule: self
                .viewer
                .top_n
                .map(|n| format!("top {n}: {}", rank::RULE)),
        }
    }

    /// The limit of `id` for `metric`, printed, if the bridge said it has one.
    fn limit_text(&self, id: &str, metric: Metric) -> Option<String> {
        let info = self.lifecycle().info(id)?;
        match metric {
            Metric::Cpu => info.cpu_limit.map(|l| format!("limit {l} CPU")),
            Metric::Memory => info
                .memory_limit_bytes
                .map(|m| format!("limit {}", Unit::Bytes.format(m as f64))),
            _ => None,
        }
    }

    /// The limit of `c` (`id`) for `metric` as a value of the metric on the scale in use
    /// (unscaled), if it has one: CPU in cores × 100 %, ÷ what 100 % means; memory in bytes.
    fn limit_value(&self, id: &str, c: &Container, metric: Metric) -> Option<f64> {
        let info = self.lifecycle().info(id)?;
        match metric {
            Metric::Cpu => {
                let cores = info.cpu_limit?;
                let p = c.points().back()?;
                let per = match self.viewer.cpu_scale {
                    CpuScale::Core => 1.0,
                    scale => scale.divisor(p, Some(cores))?,
                };
                Some(cores * 100.0 / per)
            }
            Metric::Memory => info.memory_limit_bytes.map(|m| m as f64),
            _ => None,
        }
    }

    /// The y axis's title: the metric, and what 100 % means for CPU.
    fn y_title(&self, metric: Metric, log: bool) -> String {
        let mut title = match (metric, self.viewer.cpu_scale) {
            (Metric::Cpu, CpuScale::Core) => "CPU % (100 % = one core)".to_string(),
            (Metric::Cpu, CpuScale::Host) => "CPU % (100 % = all host CPUs)".to_string(),
            (Metric::Cpu, CpuScale::Limit) => "CPU % (100 % = its CPU limit)".to_string(),
            (m, _) => m.title().to_string(),
        };
        if log {
            title.push_str(" · log scale");
        }
        title
    }

    /// What to draw now, every point.
    pub fn view(&self, tz_offset_min: i32) -> ChartView {
        self.view_at_width(tz_offset_min, 0)
    }

    /// What to draw now on a plot `columns` pixels wide: curves with more than four points per
    /// column are decimated to four ([`view::m4`]), which draws the same pixels. 0: every
    /// point.
    pub fn view_at_width(&self, tz_offset_min: i32, columns: usize) -> ChartView {
        self.view_of(&self.listing(), tz_offset_min, columns)
    }

    /// One redraw's view and legend, from one listing.
    pub fn redraw(&self, tz_offset_min: i32, columns: usize) -> Redraw {
        let mut build = self.redraw_begin(tz_offset_min, columns);
        self.redraw_take(&mut build, usize::MAX);
        self.redraw_finish(build)
    }

    /// [`Self::redraw`] taken over several calls, for a page that spreads it over animation
    /// frames: the listing, the legend and the time window are fixed now; [`Self::redraw_take`]
    /// takes the containers' points a few at a time, [`Self::redraw_finish`] scales and
    /// assembles the view. Taken in any number of steps, it is the view `redraw` makes at once
    /// (data that arrives in between lies past the window's end; a container gone meanwhile is
    /// left out).
    pub fn redraw_begin(&self, tz_offset_min: i32, columns: usize) -> RedrawBuild {
        let listing = self.listing();
        let rows: Vec<String> = listing
            .shown(&self.viewer.selection)
            .map(|(id, _, _)| id.to_string())
            .collect();
        RedrawBuild {
            few: rows.len() <= 12,
            rows,
            next: 0,
            raws: Vec::new(),
            top: 0.0,
            window: self.window_ms(),
            tz_offset_min,
            columns,
            legend: self.legend_of(&listing),
        }
    }

    /// Takes the points of the next `n` containers of `build`; true when all are taken.
    pub fn redraw_take(&self, build: &mut RedrawBuild, n: usize) -> bool {
        let end = build.next.saturating_add(n).min(build.rows.len());
        for id in &build.rows[build.next..end] {
            if let Some(c) = self.engine().get(id) {
                let raw = self.raw_of(id, c, self.viewer.metric, build.window, build.few);
                build.top = build.top.max(raw.top());
                build.raws.push(raw);
            }
        }
        build.next = end;
        build.next == build.rows.len()
    }

    /// The redraw `build` makes (what is not taken yet is taken now).
    pub fn redraw_finish(&self, mut build: RedrawBuild) -> Redraw {
        self.redraw_take(&mut build, usize::MAX);
        let view = self.assemble(
            build.raws,
            build.top,
            self.viewer.metric,
            build.window,
            (build.tz_offset_min, build.columns),
            (true, false, build.few),
        );
        Redraw {
            view,
            legend: build.legend,
        }
    }

    fn view_of(&self, listing: &Listing<'_>, tz_offset_min: i32, columns: usize) -> ChartView {
        let rows: Vec<(&str, &Container)> = listing
            .shown(&self.viewer.selection)
            .map(|(id, c, _)| (id, c))
            .collect();
        self.chart_of(
            &rows,
            self.viewer.metric,
            tz_offset_min,
            columns,
            true,
            false,
        )
    }

    /// The chart of the containers `rows` for `metric` over the window: their curves (smoothed
    /// too, when smoothing is on), marks and limits, on a linear or log axis; `with_cursor`: the
    /// viewer's cursor over it. A limit is drawn where the scale allows (up to twice the highest
    /// value), or always with `every_limit` (one container's detail: its limit is the point).
    fn chart_of(
        &self,
        rows: &[(&str, &Container)],
        metric: Metric,
        tz_offset_min: i32,
        columns: usize,
        with_cursor: bool,
        every_limit: bool,
    ) -> ChartView {
        let window = self.window_ms();
        let few = rows.len() <= 12;
        let raws: Vec<Raw> = rows
            .iter()
            .map(|&(id, c)| self.raw_of(id, c, metric, window, few))
            .collect();
        let top = raws.iter().map(Raw::top).fold(0.0, f64::max);
        self.assemble(
            raws,
            top,
            metric,
            window,
            (tz_offset_min, columns),
            (with_cursor, every_limit, few),
        )
    }

    /// A container's share of a chart before its axis is known (see [`Raw`]).
    fn raw_of(
        &self,
        id: &str,
        c: &Container,
        metric: Metric,
        (x0, x1): (f64, f64),
        few: bool,
    ) -> Raw {
        let runs = self.runs(id, c, metric, x0, x1);
        let marks = self
            .lifecycle()
            .marks(id, c, (x0, x1), |t| nearest_value(&runs, t).unwrap_or(0.0));
        Raw {
            id: id.to_string(),
            name: self.label(id, c),
            runs,
            marks,
            limit: few.then(|| self.limit_value(id, c, metric)).flatten(),
        }
    }

    /// The chart of `raws` (their highest value `top`) over `(x0, x1)`: scaled, smoothed,
    /// decimated to `columns`, with the cursor when `with_cursor`, limits as [`Self::chart_of`]
    /// says, dashes and labels when the curves are `few`.
    fn assemble(
        &self,
        mut raws: Vec<Raw>,
        top: f64,
        metric: Metric,
        (x0, x1): (f64, f64),
        (tz_offset_min, columns): (i32, usize),
        (with_cursor, every_limit, few): (bool, bool, bool),
    ) -> ChartView {
        // A limit is drawn where the scale allows: up to twice the highest value (the axis
        // grows to show it); one far above the curves would flatten them.
        let mut top_with_limits = top;
        for r in &mut raws {
            match r.limit {
                Some(l) if every_limit || l <= 2.0 * top.max(f64::MIN_POSITIVE) => {
                    top_with_limits = top_with_limits.max(l);
                }
                _ => r.limit = None,
            }
        }
        let unit = metric.unit();
        let (div, suffix) = unit.scale_for(top_with_limits);
        let floor = if unit == Unit::Percent { 5.0 } else { 1.0 };
        let mut y_max = nice_max(top_with_limits / div, floor);
        let log = (self.viewer.log_scale && log_scalable(metric)).then(|| {
            let top = (top_with_limits / div).max(f64::MIN_POSITIVE);
            // Three decades below the top, on a power of ten.
            10f64.powf(top.log10().floor() - 3.0)
        });
        let k = self.viewer.smooth;
        // Dashes tell up to 12 curves apart (with their end labels); beyond that colours repeat
        // anyway, and plotters strokes every dash as its own path (many times the cost).
        let dashed = few;
        let to_axis = |v: f64| match log {
            Some(lo) => (v.max(lo) / lo).log10(),
            None => v,
        };
        let series: Vec<Series> = raws
            .into_iter()
            .map(|r| {
                let (color, dash) = self.intake.colors().look(&r.id);
                let dash = if dashed { dash } else { Dash::Solid };
                let smooth = if k >= 2 {
                    r.runs
                        .iter()
                        .map(|run| {
                            view::smooth(&run.points, run.first_dt, k, metric.is_rate())
                                .into_iter()
                                .filter(|s| s.t >= x0)
                                .map(|s| match log {
                                    // No band on a log axis: a spread is not symmetric there.
                                    Some(_) => (s.t, to_axis(s.value / div), 0.0),
                                    None => (s.t, s.value / div, s.spread / div),
                                })
                                .collect()
                        })
                        .collect()
                } else {
                    Vec::new()
                };
                // The runs' own vectors become the segments: no copy of the points.
                let segments = r
                    .runs
                    .into_iter()
                    .map(|run| {
                        let mut points = run.points;
                        let lead = points.partition_point(|p| p.0 < x0);
                        points.drain(..lead);
                        if div != 1.0 || log.is_some() {
                            for p in &mut points {
                                p.1 = to_axis(p.1 / div);
                            }
                        }
                        points
                    })
                    .filter(|s| !s.is_empty())
                    .collect();
                Series {
                    id: r.id,
                    name: r.name,
                    color,
                    dash,
                    segments,
                    smooth,
                    marks: r
                        .marks
                        .into_iter()
                        .map(|m| Mark {
                            y: to_axis(m.y / div),
                            ..m
                        })
                        .collect(),
                    limit: r.limit.map(|l| to_axis(l / div)),
                }
            })
            .collect();
        if let Some(lo) = log {
            y_max = (top_with_limits / div * 1.05 / lo).log10().ceil().max(1.0);
        }
        let cursor = if with_cursor {
            self.cursor_on(&series, (x0, x1))
        } else {
            None
        };
        let series = if columns > 0 {
            series
                .into_iter()
                .map(|mut s| {
                    s.segments = std::mem::take(&mut s.segments)
                        .into_iter()
                        .map(|seg| view::m4(seg, (x0, x1), columns))
                        .collect();
                    s
                })
                .collect()
        } else {
            series
        };
        ChartView {
            x_range: (x0, x1),
            y_max,
            y_scale: div,
            y_unit: suffix.to_string(),
            series,
            tz_offset_min,
            line_width: self.options.line_width.or(few.then_some(1.5)),
            labels: self.options.labels && few,
            cursor,
            y_title: self.y_title(metric, log.is_some()),
            x_title: time_title((x0, x1), tz_offset_min),
            y_log: log,
        }
    }

    /// What Export PNG draws: the chart as shown, without the cursor, and the legend's entries
    /// (name, colour, dash) of the curves on it.
    pub fn export_view(&self, tz_offset_min: i32, columns: usize) -> (ChartView, Legend) {
        let listing = self.listing();
        let rows: Vec<(&str, &Container)> = listing
            .shown(&self.viewer.selection)
            .map(|(id, c, _)| (id, c))
            .collect();
        let view = self.chart_of(
            &rows,
            self.viewer.metric,
            tz_offset_min,
            columns,
            false,
            false,
        );
        let mut legend = self.legend_of(&listing);
        legend.entries.retain(|e| e.shown);
        (view, legend)
    }

    /// The export's title: what is shown, over which time.
    pub fn export_title(&self, tz_offset_min: i32) -> (String, String) {
        let (x0, x1) = self.window_ms();
        let metric = self.viewer.metric;
        let mut title = format!(
            "statscope · {}",
            self.y_title(metric, self.viewer.log_scale)
        );
        if let Some(source) = &self.counts().describe {
            title.push_str(" · ");
            title.push_str(source);
        }
        let range = format!(
            "{} {} – {} {} ({})",
            crate::chart::date_label(x0, tz_offset_min),
            clock_label(x0, tz_offset_min),
            crate::chart::date_label(x1, tz_offset_min),
            clock_label(x1, tz_offset_min),
            crate::chart::zone_label(tz_offset_min)
        );
        (title, range)
    }

    /// The container the detail panel asks for ([`super::viewer::Viewer::detail`]): a key, else
    /// a name (a running one first), else an ID prefix of at least 3 characters.
    pub fn detail_key(&self) -> Option<&str> {
        let which = self.viewer.detail.as_str();
        if which.is_empty() {
            return None;
        }
        let engine = self.engine();
        if let Some((key, _)) = engine.containers().find(|(k, _)| k.as_str() == which) {
            return Some(key.as_str());
        }
        let by_name = engine
            .containers()
            .filter(|(_, c)| c.name() == which)
            .min_by_key(|(_, c)| c.status() == Status::Stopped);
        if let Some((key, _)) = by_name {
            return Some(key.as_str());
        }
        if which.len() >= 3 {
            return engine
                .containers()
                .find(|(k, _)| k.starts_with(which))
                .map(|(k, _)| k.as_str());
        }
        None
    }

    /// The detail panel of the container asked for, if it is here: every metric side by side
    /// (one small chart each, its limit drawn where it has one), its image, project, limits,
    /// restarts and lifecycle events.
    pub fn detail(&self, tz_offset_min: i32, columns: usize) -> Option<Detail> {
        let key = self.detail_key()?;
        let c = self.engine().get(key)?;
        let (id, host) = Sample::split_key(key);
        let info = self.lifecycle().info(key);
        let charts = Metric::all()
            .map(|m| {
                let mut view = self.chart_of(&[(key, c)], m, tz_offset_min, columns, true, true);
                // The panel's captions say what each chart is.
                view.labels = false;
                view.x_title = String::new();
                view.y_title = String::new();
                (m, view)
            })
            .collect();
        let limit = self.limit(key);
        let values = Metric::all()
            .map(|m| DetailValue {
                key: m.key(),
                title: m.title(),
                value: c
                    .points()
                    .iter()
                    .rev()
                    .find_map(|p| self.value_in(m, limit, p))
                    .map_or_else(|| "–".into(), |v| m.unit().format(v)),
            })
            .collect();
        let mut events: Vec<TooltipMark> = self
            .lifecycle()
            .events_of(key)
            .map(|e| TooltipMark {
                name: self.label(key, c),
                kind: lifecycle::mark_kind(e).map_or("event", |k| k.key()),
                t_ms: lifecycle::t_ms(e),
                text: lifecycle::describe(e),
            })
            .collect();
        events.reverse();
        events.truncate(DETAIL_EVENTS);
        Some(Detail {
            key: key.to_string(),
            id: id.to_string(),
            host: self.host_name(host).to_string(),
            name: c.name().to_string(),
            label: self.label(key, c),
            image: info.map(|i| i.image.clone()).unwrap_or_default(),
            project: self.project(key).to_string(),
            cpu_limit: info.and_then(|i| i.cpu_limit),
            memory_limit: info
                .and_then(|i| i.memory_limit_bytes)
                .map(|m| Unit::Bytes.format(m as f64)),
            limits_known: info.is_some(),
            stopped: c.status() == Status::Stopped,
            restarts: c.points().iter().filter(|p| p.flag == Flag::Reset).count(),
            events,
            values,
            charts,
        })
    }

    /// The cursor over curves `series` drawn for the window `x_range`: its time and the point of
    /// each curve nearest to it (within the snap tolerance), if there is a cursor.
    pub fn cursor_on(&self, series: &[Series], x_range: (f64, f64)) -> Option<Cursor> {
        let t = self.viewer.cursor_ms.filter(|_| self.options.tooltip)?;
        let tolerance = snap_tolerance(x_range);
        let dots = series
            .iter()
            .filter_map(|s| {
                let &(pt, v) = nearest(s.segments.iter().flatten(), t, tolerance)?;
                Some((pt, v, s.color))
            })
            .collect();
        Some(Cursor { t, dots })
    }

    /// The shown curve whose value at `t_ms` is nearest to `target` (unscaled).
    pub(super) fn nearest_curve(&self, t_ms: f64, target: f64) -> Option<String> {
        let tolerance = snap_tolerance(self.window_ms());
        self.listing()
            .shown(&self.viewer.selection)
            .filter_map(|(id, c, _)| {
                let limit = self.limit(id);
                let v = c
                    .points()
                    .iter()
                    .filter(|p| (p.t_ms() - t_ms).abs() <= tolerance)
                    .filter_map(|p| Some((p.t_ms(), self.value_of(limit, p)?)))
                    .min_by(|a, b| (a.0 - t_ms).abs().total_cmp(&(b.0 - t_ms).abs()))?
                    .1;
                Some(((v - target).abs(), id))
            })
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, id)| id.to_string())
    }

    /// Container `c`'s unbroken runs of values for the metric in use, from slightly before `x0`
    /// (so smoothing has history) to `x1`, unscaled.
    fn runs(&self, id: &str, c: &Container, metric: Metric, x0: f64, x1: f64) -> Vec<Run> {
        let lead = x0 - self.viewer.smooth as f64 * 2_000.0;
        let mut out: Vec<Run> = Vec::new();
        let mut current: Option<Run> = None;
        let limit = self.limit(id);
        // The points are in time order (the engine drops a sample not newer than the last): the
        // window's start is found by bisection, and the walk stops at its end. (A thousand
        // containers keep twice the window's points each; this is most of a redraw's time.)
        let points = c.points();
        let start = points.partition_point(|p| p.t_ms() < lead);
        let mut prev_t = start.checked_sub(1).map(|i| points[i].t_ms());
        for p in points.range(start..) {
            let t = p.t_ms();
            if t > x1 {
                break;
            }
            if p.flag.breaks_curve() {
                out.extend(current.take());
            }
            match self.value_in(metric, limit, p) {
                Some(v) => {
                    let run = current.get_or_insert_with(|| Run {
                        // At most the points left: no growing (and copying) on the way.
                        points: Vec::with_capacity(points.len() - start),
                        first_dt: prev_t.map_or(1000.0, |pt| t - pt),
                    });
                    run.points.push((t, v));
                }
                None => out.extend(current.take()),
            }
            prev_t = Some(t);
        }
        out.extend(current);
        out
    }

    /// The tooltip at the cursor, if there is a cursor and something near it, over the containers
    /// the chart shows.
    pub fn tooltip(&self, tz_offset_min: i32) -> Option<Tooltip> {
        let shown = self.shown_ids();
        self.tooltip_over(shown.iter().map(String::as_str), tz_offset_min)
    }

    /// The tooltip over the curves of the chart `drawn` (the one on the page).
    pub fn tooltip_on(&self, drawn: &ChartView) -> Option<Tooltip> {
        self.tooltip_over(
            drawn.series.iter().map(|s| s.id.as_str()),
            drawn.tz_offset_min,
        )
    }

    fn tooltip_over<'s>(
        &self,
        shown: impl Iterator<Item = &'s str>,
        tz_offset_min: i32,
    ) -> Option<Tooltip> {
        let t = self.viewer.cursor_ms.filter(|_| self.options.tooltip)?;
        let (x0, x1) = self.window_ms();
        let tolerance = snap_tolerance((x0, x1));
        let metric = self.viewer.metric;
        let scale = self.viewer.cpu_scale;
        let mut rows = Vec::new();
        let mut marks = Vec::new();
        for id in shown {
            let Some(c) = self.engine().get(id) else {
                continue;
            };
            let color = hex(self.intake.colors().color(id));
            let nearest_point = c
                .points()
                .iter()
                .filter(|p| p.flag != Flag::Stopped && (x0..=x1).contains(&p.t_ms()))
                .filter(|p| (p.t_ms() - t).abs() <= tolerance)
                .min_by(|a, b| (a.t_ms() - t).abs().total_cmp(&(b.t_ms() - t).abs()));
            if let Some(p) = nearest_point {
                let limit = self.limit(id);
                let value = self.value_of(limit, p);
                let print = |m: Metric| {
                    view::value(m, scale, limit, p)
                        .map_or_else(|| "–".into(), |v| m.unit().format(v))
                };
                rows.push(TooltipRow {
                    id: id.to_string(),
                    name: self.label(id, c),
                    color,
                    t_ms: p.t_ms(),
                    value: value.map_or_else(|| "–".into(), |v| metric.unit().format(v)),
                    values: Metric::all().map(print).collect(),
                    flag: p.flag.as_str(),
                    explain: view::explain_cpu(
                        p,
                        scale,
                        limit,
                        self.lifecycle().info(id).is_some(),
                    ),
                    focused: self.viewer.focus.as_deref() == Some(id),
                    raw: value.unwrap_or(f64::NEG_INFINITY),
                });
            }
            let near = |m: f64| (m - t).abs() <= tolerance;
            for e in self
                .lifecycle()
                .events_of(id)
                .filter(|e| near(lifecycle::t_ms(e)))
            {
                if let Some(kind) = lifecycle::mark_kind(e) {
                    marks.push(TooltipMark {
                        name: self.label(id, c),
                        kind: kind.key(),
                        t_ms: lifecycle::t_ms(e),
                        text: lifecycle::describe(e),
                    });
                }
            }
            for p in c.points().iter().filter(|p| near(p.t_ms())) {
                let text = match p.flag {
                    Flag::First => "first sample here: no rate until the next one",
                    Flag::Reset => "counters started again from zero (a restart): no rate here",
                    Flag::Gap => "after a gap in the samples: the rate is the average over the gap",
                    Flag::Stopped => "stopped: its stats went empty",
                    Flag::None | Flag::Late => continue,
                };
                marks.push(TooltipMark {
                    name: self.label(id, c),
                    kind: p.flag.as_str(),
                    t_ms: p.t_ms(),
                    text: text.into(),
                });
            }
        }
        sort_by(&mut rows, |a, b| {
            b.raw.total_cmp(&a.raw).then(a.name.cmp(&b.name))
        });
        // Keep the focused row even when it would fall off the end.
        if let Some(i) = rows.iter().position(|r| r.focused) {
            if i >= TOOLTIP_ROWS {
                let r = rows.remove(i);
                rows.insert(TOOLTIP_ROWS - 1, r);
            }
        }
        let more = rows.len().saturating_sub(TOOLTIP_ROWS);
        rows.truncate(TOOLTIP_ROWS);
        sort_by(&mut marks, |a, b| a.t_ms.total_cmp(&b.t_ms));
        if rows.is_empty() && marks.is_empty() {
            return None;
        }
        Some(Tooltip {
            t_ms: t,
            time: clock_label(t, tz_offset_min),
            metric,
            rows,
            more,
            marks,
            smoothed: self.viewer.smooth,
        })
    }

    /// The screen-reader table: each listed and shown container's current value and its trend.
    pub fn table(&self) -> Vec<TableRow> {
        let unit = self.viewer.metric.unit();
        let listing = self.listing();
        listing
            .shown(&self.viewer.selection)
            .map(|(id, c, now)| {
                let limit = self.limit(id);
                let end = c.points().back().map_or(0.0, |p| p.t_ms());
                let recent: Vec<(f64, f64)> = c
                    .points()
                    .iter()
                    .filter(|p| p.t_ms() >= end - 30_000.0)
                    .filter_map(|p| Some((p.t_ms(), self.value_of(limit, p)?)))
                    .collect();
                TableRow {
                    name: self.label(id, c),
                    value: if c.status() == Status::Stopped {
                        "stopped".into()
                    } else {
                        now.map_or_else(|| "no value yet".into(), |v| unit.format(v))
                    },
                    trend: trend(&recent, unit),
                }
            })
            .collect()
    }

    /// The CSV of the current window: the shown containers' samples in `[x0, x1]`, by time then
    /// ID, in the columns of `statscope stats --format csv` (with its header). Values are the
    /// engine's, on the docker CLI's scale, whatever the view's scale.
    pub fn export_csv(&self) -> String {
        let (x0, x1) = self.window_ms();
        let mut rows: Vec<(i64, &str, &str, &Point)> = Vec::new();
        for id in self.shown_ids() {
            let Some((id, c)) = self.engine().containers().find(|(k, _)| **k == id) else {
                continue;
            };
            for p in c.points() {
                if p.flag != Flag::Stopped && (x0..=x1).contains(&p.t_ms()) {
                    rows.push((p.t_unix_ns, id.as_str(), c.name(), p));
                }
            }
        }
        sort_by(&mut rows, |a, b| a.0.cmp(&b.0).then(a.1.cmp(b.1)));
        let mut out = String::with_capacity(rows.len() * 120 + 200);
        out.push_str(&csv_header());
        out.push('\n');
        for (t, key, name, p) in rows {
            let (id, host) = Sample::split_key(key);
            csv_point_row(
                &mut out,
                Timestamp::from_unix_ns(i128::from(t)),
                host,
                id,
                name,
                p,
            );
        }
        out
    }

    /// `{ containers: [ { id, name, cpu: [[t_ms, cpu_percent], …] }, … ] }` for the current window,
    /// every container (whatever is hidden), CPU on the docker CLI's scale.
    pub fn snapshot(&self) -> Snapshot {
        let (x0, x1) = self.window_ms();
        let mut all: Vec<_> = self.engine().containers().collect();
        sort_by(&mut all, |a, b| {
            a.1.name().cmp(b.1.name()).then(a.0.cmp(b.0))
        });
        Snapshot {
            containers: all
                .into_iter()
                .map(|(key, c)| SnapshotContainer {
                    id: Sample::split_key(key).0.to_string(),
                    host: Sample::split_key(key).1.to_string(),
                    key: key.clone(),
                    name: c.name().to_string(),
                    cpu: c
                        .points()
                        .iter()
                        .filter(|p| (x0..=x1).contains(&p.t_ms()))
                        .filter_map(|p| Some((p.t_ms(), p.cpu_percent()?)))
                        .collect(),
                })
                .collect(),
        }
    }
}

/// How far from the cursor a point may be and still be "at" it: a few seconds, or 2 % of the
/// span when zoomed out.
fn snap_tolerance((x0, x1): (f64, f64)) -> f64 {
    ((x1 - x0) * 0.02).max(3_000.0)
}

/// The value of the point nearest in time to `t` over all runs.
fn nearest_value(runs: &[Run], t: f64) -> Option<f64> {
    nearest(runs.iter().flat_map(|r| r.points.iter()), t, f64::INFINITY).map(|p| p.1)
}

/// The point nearest in time to `t`, within `tolerance`.
fn nearest<'a>(
    points: impl Iterator<Item = &'a (f64, f64)>,
    t: f64,
    tolerance: f64,
) -> Option<&'a (f64, f64)> {
    points
        .filter(|p| (p.0 - t).abs() <= tolerance)
        .min_by(|a, b| (a.0 - t).abs().total_cmp(&(b.0 - t).abs()))
}

/// `rising`, `falling` or `steady`: the mean of the newer half of `recent` against the older half.
fn trend(recent: &[(f64, f64)], unit: Unit) -> &'static str {
    if recent.len() < 4 {
        return "steady";
    }
    let half = recent.len() / 2;
    let mean = |s: &[(f64, f64)]| s.iter().map(|p| p.1).sum::<f64>() / s.len() as f64;
    let (old, new) = (mean(&recent[..half]), mean(&recent[half..]));
    let threshold = (old.abs() * 0.1).max(unit.noise());
    if new - old > threshold {
        "rising"
    } else if old - new > threshold {
        "falling"
    } else {
        "steady"
    }
}

/// Does the log scale apply to `metric`? CPU and the rates: values near 0 beside busy ones.
/// Gauges (memory, PIDs) stay linear.
pub fn log_scalable(metric: Metric) -> bool {
    metric == Metric::Cpu || metric.is_rate()
}

/// Lifecycle events the detail panel lists at most (newest first).
pub const DETAIL_EVENTS: usize = 20;

/// One metric's newest value in the detail panel.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DetailValue {
    pub key: &'static str,
    pub title: &'static str,
    pub value: String,
}

/// The detail panel of one container ([`DashboardCore::detail`]).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Detail {
    /// Its key (`ID@host`), the page's name for it.
    pub key: String,
    pub id: String,
    /// Its host's name (`""`: a feed without hosts).
    pub host: String,
    pub name: String,
    /// What the legend calls it.
    pub label: String,
    pub image: String,
    pub project: String,
    pub cpu_limit: Option<f64>,
    /// Its memory limit, printed.
    pub memory_limit: Option<String>,
    /// The source said what its limits are (a replay does not).
    pub limits_known: bool,
    pub stopped: bool,
    /// Restarts seen in its samples (counters starting again from zero).
    pub restarts: usize,
    /// Its lifecycle events, newest first, at most [`DETAIL_EVENTS`].
    pub events: Vec<TooltipMark>,
    /// Every metric's newest value, in [`METRICS`] order.
    pub values: Vec<DetailValue>,
    /// One chart per metric, in [`METRICS`] order.
    #[serde(skip)]
    pub charts: Vec<(Metric, ChartView)>,
}
