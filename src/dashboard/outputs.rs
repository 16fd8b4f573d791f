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
use crate::chart::{clock_label, hex, nice_max, ChartView, Cursor, Dash, Mark, Series};
use crate::lifecycle;
use crate::metrics::METRICS;
use crate::model::{Sample, Timestamp};
use crate::rates::{Container, Flag, Point, Status};
use crate::report::{csv_header, csv_point_row};
use crate::select;
use crate::sorting::sort_by;
use crate::view::{self, Metric, Selection, SortBy, Unit};

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

/// What one redraw shows: the chart's view and the legend, from one [`Listing`].
#[derive(Clone, Debug)]
pub struct Redraw {
    pub view: ChartView,
    pub legend: Legend,
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
        if p.flag == Flag::Stopped {
            return None;
        }
        view::value(self.viewer.metric, self.viewer.cpu_scale, limit, p)
    }

    /// The newest value and the top-N rank ([`select::newest_and_rank`]) of `id`, for the metric
    /// and scale shown.
    fn current(&self, id: &str, c: &Container) -> (Option<f64>, f64) {
        let limit = self.limit(id);
        select::newest_and_rank(c.points(), |p| self.value_of(limit, p))
    }

    /// The legend's containers (see [`Listing`]).
    pub fn listing(&self) -> Listing<'_> {
        let host_shown = self.viewer.host.as_str();
        let mut all: Vec<(&str, &Container, Option<f64>, f64)> = self
            .engine()
            .containers()
            .filter(|(key, _)| host_shown.is_empty() || Sample::split_key(key).1 == host_shown)
            .filter(|(key, c)| {
                let host = Sample::split_key(key).1;
                select::matches(&self.viewer.filter, key, c.name(), self.host_name(host))
            })
            .map(|(key, c)| {
                let (now, rank) = self.current(key, c);
                (key.as_str(), c, now, rank)
            })
            .collect();
        let matching = all.len();
        if let Some(n) = self.viewer.top_n {
            sort_by(&mut all, |a, b| select::by_rank(&(a.0, a.3), &(b.0, b.3)));
            // The containers chosen by hand stay, whatever their rank (the bridge sends them as
            // pinned).
            let chosen = |key: &str| matches!(&self.viewer.selection, Selection::Only(ids) if ids.contains(key));
            let mut ranked = 0;
            all.retain(|row| {
                ranked += 1;
                ranked <= n || chosen(row.0)
            });
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

    /// What a container is called on the page: its name, and `· host` when the page shows more
    /// than one host (two hosts may run containers of the same name, even of the same ID).
    pub fn label(&self, key: &str, c: &Container) -> String {
        let (_, host) = Sample::split_key(key);
        if host.is_empty() || self.hosts().len() < 2 {
            c.name().to_string()
        } else {
            format!("{} · {}", c.name(), self.host_name(host))
        }
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
        let skewed = self.engine().skewed();
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
        }
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
        let listing = self.listing();
        Redraw {
            view: self.view_of(&listing, tz_offset_min, columns),
            legend: self.legend_of(&listing),
        }
    }

    fn view_of(&self, listing: &Listing<'_>, tz_offset_min: i32, columns: usize) -> ChartView {
        let (x0, x1) = self.window_ms();
        let metric = self.viewer.metric;
        struct Raw<'a> {
            id: &'a str,
            name: String,
            runs: Vec<Run>,
            marks: Vec<Mark>,
        }
        let mut raws: Vec<Raw<'_>> = Vec::with_capacity(listing.rows.len());
        let mut top = 0.0f64;
        for (id, c, _) in listing.shown(&self.viewer.selection) {
            let runs = self.runs(id, c, x0, x1);
            for run in &runs {
                for &(_, v) in &run.points {
                    top = top.max(v);
                }
            }
            let marks = self
                .lifecycle()
                .marks(id, c, (x0, x1), |t| nearest_value(&runs, t).unwrap_or(0.0));
            raws.push(Raw {
                id,
                name: self.label(id, c),
                runs,
                marks,
            });
        }
        let unit = metric.unit();
        let (div, suffix) = unit.scale_for(top);
        let floor = if unit == Unit::Percent { 5.0 } else { 1.0 };
        let y_max = nice_max(top / div, floor);
        let k = self.viewer.smooth;
        // Dashes tell up to 12 curves apart (with their end labels); beyond that colours repeat
        // anyway, and plotters strokes every dash as its own path (many times the cost).
        let dashed = raws.len() <= 12;
        let series: Vec<Series> = raws
            .into_iter()
            .map(|r| {
                let (color, dash) = self.intake.colors().look(r.id);
                let dash = if dashed { dash } else { Dash::Solid };
                let smooth = if k >= 2 {
                    r.runs
                        .iter()
                        .map(|run| {
                            view::smooth(&run.points, run.first_dt, k, metric.is_rate())
                                .into_iter()
                                .filter(|s| s.t >= x0)
                                .map(|s| (s.t, s.value / div, s.spread / div))
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
                        if div != 1.0 {
                            for p in &mut points {
                                p.1 /= div;
                            }
                        }
                        points
                    })
                    .filter(|s| !s.is_empty())
                    .collect();
                Series {
                    id: r.id.to_string(),
                    name: r.name,
                    color,
                    dash,
                    segments,
                    smooth,
                    marks: r
                        .marks
                        .into_iter()
                        .map(|m| Mark { y: m.y / div, ..m })
                        .collect(),
                }
            })
            .collect();
        let few = series.len() <= 12;
        let cursor = self.cursor_on(&series, (x0, x1));
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
        }
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
    fn runs(&self, id: &str, c: &Container, x0: f64, x1: f64) -> Vec<Run> {
        let lead = x0 - self.viewer.smooth as f64 * 2_000.0;
        let mut out: Vec<Run> = Vec::new();
        let mut current: Option<Run> = None;
        let mut prev_t: Option<f64> = None;
        let limit = self.limit(id);
        for p in c.points() {
            let t = p.t_ms();
            if p.flag.breaks_curve() {
                out.extend(current.take());
            }
            if t >= lead && t <= x1 {
                match self.value_of(limit, p) {
                    Some(v) => {
                        let run = current.get_or_insert_with(|| Run {
                            points: Vec::new(),
                            first_dt: prev_t.map_or(1000.0, |pt| t - pt),
                        });
                        run.points.push((t, v));
                    }
                    None => out.extend(current.take()),
                }
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
                    explain: view::explain_cpu(p, scale, limit),
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
