//! The dashboard's logic, without a browser: frames in, micro-batches through the engine, a view,
//! a legend, a tooltip and a snapshot out. The browser layer owns a [`DashboardCore`] and adds only
//! the socket, the timers, the canvas and the DOM.
//!
//! Split by concern:
//! - [`feed`]: the intake ([`Intake`]): frames → parsed samples and statscope's messages → one
//!   micro-batch per [`DashboardCore::flush`] (`updateStateByKey`); colours are given there, when a
//!   container arrives.
//! - [`viewer`]: what the viewer chose and where they look ([`Viewer`], [`Settings`]).
//! - [`outputs`]: what is shown — the containers listed ([`Listing`], computed once per redraw),
//!   the chart's view, the legend, the tooltip, the screen-reader table, the snapshot, the CSV.
//!   Queries: none of them changes anything.
//! - [`options`]: the options' one schema ([`options::OPTIONS`]) and the values the core takes.
//! - [`status`]: the status line's text and the canvas's accessible name.
//!
//! The window ([`DashboardCore::window_ms`]) ends at the newest sample (sample time, so a replay of
//! an old recording shows too), `window_seconds` long, frozen while paused.

pub mod feed;
pub mod options;
pub mod outputs;
pub mod status;
pub mod viewer;

pub use feed::{FeedCounts, Flushed, Intake, MAX_FRAME_BYTES};
pub use options::{Options, OptionsError};
pub use outputs::{
    log_scalable, Detail, DetailValue, Legend, LegendEntry, Listing, OverviewHost, Redraw,
    RedrawBuild, Snapshot, SnapshotContainer, TableRow, Tooltip, TooltipMark, TooltipRow,
    TOOLTIP_ROWS,
};
pub use viewer::{Settings, Viewer};

use plotters::style::RGBColor;

use crate::chart::{parse_hex, ColorSlots, Placed};
use crate::lifecycle::Lifecycle;
use crate::rates::{EngineConfig, RateEngine};
use crate::sorting::sort_by;
use crate::view::{CpuScale, Metric, Selection, SortBy};

/// The shortest time range shown while history is still short.
const MIN_SPAN_MS: f64 = 30_000.0;

/// Zoom limits: the shortest span shown.
const MIN_ZOOM_SPAN_MS: f64 = 5_000.0;

/// What changed since the chart was last drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Dirty {
    /// The chart must be drawn anew.
    chart: bool,
    /// Only the cursor or the focus moved (the chart under them did not).
    cursor: bool,
}

/// The dashboard without the browser (see the module docs).
#[derive(Debug)]
pub struct DashboardCore {
    options: Options,
    intake: Intake,
    viewer: Viewer,
    dirty: Dirty,
    /// Why the bridge refuses this page, in words ([`status::refusal_text`]), until it opens.
    refusal: Option<String>,
}

impl DashboardCore {
    /// A dashboard with validated `options`.
    pub fn new(options: Options) -> Result<DashboardCore, OptionsError> {
        options.validate()?;
        let history_points = options
            .history_points
            .unwrap_or(((options.window_seconds * 1.2) as usize).max(600));
        let ttl_ns = (options.ttl_seconds * 1e9) as i64;
        let window_ns = (options.window_seconds * 1e9) as i64;
        // A stopped container's points are evidence: they stay while they are in the window
        // (bounded by it), and the TTL applies once they scroll out.
        let config = EngineConfig {
            history_points,
            stopped_ttl_ns: ttl_ns.max(window_ns),
            silent_ttl_ns: ttl_ns.max(window_ns),
            ..EngineConfig::default()
        };
        let palette: Vec<RGBColor> = options.colors.iter().filter_map(|c| parse_hex(c)).collect();
        Ok(DashboardCore {
            intake: Intake::new(config, ColorSlots::new(palette)),
            viewer: Viewer::new(&options),
            options,
            dirty: Dirty {
                chart: true,
                cursor: false,
            },
            refusal: None,
        })
    }

    pub fn options(&self) -> &Options {
        &self.options
    }

    // The feed.

    /// Takes one text frame. Stats are queued for the next [`flush`](Self::flush).
    pub fn ingest(&mut self, text: &str) {
        if self.intake.ingest(text) {
            self.dirty.chart = true;
        }
    }

    /// Takes one frame as UTF-8 bytes (a binary WebSocket frame, or text the browser encoded).
    pub fn ingest_bytes(&mut self, bytes: &[u8]) {
        if self.intake.ingest_bytes(bytes) {
            self.dirty.chart = true;
        }
    }

    /// Counts a frame that cannot be read at all (not text), with why.
    pub fn refuse(&mut self, why: &str) {
        self.intake.refuse(why);
    }

    /// Counts a frame of `len` bytes over [`MAX_FRAME_BYTES`], dropped unread.
    pub fn refuse_oversized(&mut self, len: usize) {
        self.intake.refuse_oversized(len);
    }

    /// Samples queued since the last flush.
    pub fn pending(&self) -> usize {
        self.intake.pending()
    }

    /// Applies the queued samples as one micro-batch. Returns whether anything changed since the
    /// chart was last drawn.
    pub fn flush(&mut self) -> bool {
        self.flush_at(None)
    }

    /// [`flush`](Self::flush), saying when, by the page's clock (ms, any origin): containers that
    /// stop sending then stop deciding where the window ends (see [`crate::rates`]'s clock).
    pub fn flush_at(&mut self, now_ms: Option<f64>) -> bool {
        let flushed = self.intake.flush(now_ms);
        if flushed.left {
            let engine = self.intake.engine();
            self.viewer.selection.retain(|id| engine.get(id).is_some());
        }
        self.dirty.chart |= flushed.applied;
        self.dirty.chart
    }

    pub fn counts(&self) -> &FeedCounts {
        self.intake.counts()
    }

    pub fn engine(&self) -> &RateEngine {
        self.intake.engine()
    }

    pub fn lifecycle(&self) -> &Lifecycle {
        self.intake.lifecycle()
    }

    /// Says (or, `None`, stops saying) why the bridge refuses this page.
    pub fn set_refusal(&mut self, why: Option<String>) {
        self.refusal = why;
    }

    /// Why the bridge refuses this page, if it does.
    pub fn refusal(&self) -> Option<&str> {
        self.refusal.as_deref()
    }

    // Drawing bookkeeping.

    /// Marks the chart as drawn (the cursor with it).
    pub fn mark_drawn(&mut self) {
        self.dirty = Dirty {
            chart: false,
            cursor: false,
        };
    }

    /// Whether only the cursor or the focus moved since the last draw: the chart can stay, with
    /// the cursor drawn anew over it ([`Self::cursor_on`]) and the tooltip updated.
    pub fn cursor_moved(&self) -> bool {
        self.dirty.cursor && !self.dirty.chart
    }

    /// Marks the cursor as drawn.
    pub fn mark_cursor_drawn(&mut self) {
        self.dirty.cursor = false;
    }

    /// Forces a redraw (resize, theme change).
    pub fn mark_changed(&mut self) {
        self.dirty.chart = true;
    }

    fn changed(&mut self) {
        self.dirty.chart = true;
    }

    fn cursor_changed(&mut self) {
        self.dirty.cursor = true;
    }

    // Time.

    fn live_end_ms(&self) -> f64 {
        self.engine().clock_ns().map_or(0.0, |ns| ns as f64 / 1e6)
    }

    /// The window shown, ms since the epoch: a zoomed/panned window if there is one, else
    /// `window_seconds` back from the newest sample (or the pause), starting later while less
    /// history than that exists, so the curves fill the chart. `(0, 0)` before any sample.
    pub fn window_ms(&self) -> (f64, f64) {
        let Some(_) = self.engine().clock_ns() else {
            return (0.0, 0.0);
        };
        if let Some(zoom) = self.viewer.zoom_ms {
            return zoom;
        }
        if let (Some(frozen), true) = (self.viewer.frozen_ms, self.is_paused()) {
            return frozen;
        }
        let end = self
            .viewer
            .paused_at_ms
            .unwrap_or_else(|| self.live_end_ms());
        let full = end - self.options.window_seconds * 1000.0;
        let earliest = self
            .engine()
            .containers()
            .filter_map(|(_, c)| c.points().front().map(|p| p.t_ms()))
            .fold(f64::INFINITY, f64::min);
        let start = full.max(earliest.min(end - MIN_SPAN_MS));
        (start, end)
    }

    /// Freezes the view's time window; data keeps being ingested.
    pub fn pause(&mut self) {
        if self.viewer.paused_at_ms.is_none() {
            let window = self.window_ms();
            self.viewer.paused_at_ms = Some(self.live_end_ms());
            self.viewer.frozen_ms = (window.1 > window.0).then_some(window);
            self.changed();
        }
    }

    /// Back to the live window (also out of a zoom), with every point ingested meanwhile.
    pub fn resume(&mut self) {
        let paused = self.viewer.paused_at_ms.take().is_some();
        self.viewer.frozen_ms = None;
        let zoomed = self.viewer.zoom_ms.take().is_some();
        if paused || zoomed {
            self.changed();
        }
    }

    /// Pauses or resumes (the Space key).
    pub fn toggle_pause(&mut self) {
        if self.is_paused() {
            self.resume();
        } else {
            self.pause();
        }
    }

    pub fn is_paused(&self) -> bool {
        self.viewer.paused_at_ms.is_some()
    }

    pub fn is_zoomed(&self) -> bool {
        self.viewer.zoom_ms.is_some()
    }

    /// Zooms the time axis by `factor` (< 1 in, > 1 out) around time `at_ms` (kept in place).
    pub fn zoom(&mut self, factor: f64, at_ms: f64) {
        let (x0, x1) = self.window_ms();
        if x1 <= x0 || !factor.is_finite() || factor <= 0.0 {
            return;
        }
        let span = ((x1 - x0) * factor).clamp(MIN_ZOOM_SPAN_MS, self.max_span_ms());
        let at = at_ms.clamp(x0, x1);
        let f = (at - x0) / (x1 - x0);
        let start = at - f * span;
        self.viewer.zoom_ms = Some((start, start + span));
        self.changed();
    }

    /// Moves the time axis by `dt_ms` (positive: later), not past the newest sample.
    pub fn pan(&mut self, dt_ms: f64) {
        let (x0, x1) = self.window_ms();
        if x1 <= x0 || !dt_ms.is_finite() {
            return;
        }
        let live = self.live_end_ms();
        let dt = dt_ms.min(live - x1).max(-(x1 - x0) * 50.0);
        self.viewer.zoom_ms = Some((x0 + dt, x1 + dt));
        self.changed();
    }

    /// The longest span a zoom out shows: the history kept at 1 Hz, at least the window.
    fn max_span_ms(&self) -> f64 {
        let history = self.engine().config().history_points as f64 * 1000.0;
        history.max(self.options.window_seconds * 1000.0)
    }

    // The cursor and the focus.

    /// Sets the cursor (hover or keyboard); `None` hides it and the tooltip.
    pub fn set_cursor(&mut self, t_ms: Option<f64>) {
        if self.viewer.cursor_ms != t_ms {
            self.viewer.cursor_ms = t_ms;
            self.cursor_changed();
        }
    }

    pub fn cursor(&self) -> Option<f64> {
        self.viewer.cursor()
    }

    /// The time between two samples of the shown curves, ms: the median interval of the newest
    /// points of the first few shown containers (Docker samples once a second: ~1,000).
    pub fn sample_interval_ms(&self) -> f64 {
        let listing = self.listing();
        let mut gaps: Vec<f64> = Vec::new();
        for (_, c, _) in listing.shown(&self.viewer.selection).take(8) {
            let points = c.points();
            let from = points.len().saturating_sub(12);
            let times: Vec<f64> = points.iter().skip(from).map(|p| p.t_ms()).collect();
            gaps.extend(times.windows(2).map(|w| w[1] - w[0]).filter(|d| *d > 0.0));
        }
        if gaps.is_empty() {
            return 1000.0;
        }
        sort_by(&mut gaps, f64::total_cmp);
        gaps[gaps.len() / 2]
    }

    /// Moves the cursor by `steps` sample intervals ([`Self::sample_interval_ms`]; negative:
    /// earlier), within the window; without a cursor, it appears at the newest sample shown.
    /// The arrow keys step by one, with Shift by ten: time moves the same whatever the number
    /// of containers.
    pub fn step_cursor(&mut self, steps: i32) {
        let (x0, x1) = self.window_ms();
        if x1 <= x0 {
            return;
        }
        let next = match self.viewer.cursor_ms {
            None => {
                let listing = self.listing();
                let newest = listing
                    .shown(&self.viewer.selection)
                    .filter_map(|(_, c, _)| {
                        c.points()
                            .iter()
                            .rev()
                            .map(|p| p.t_ms())
                            .find(|t| (x0..=x1).contains(t))
                    })
                    .fold(f64::NEG_INFINITY, f64::max);
                if newest.is_finite() {
                    newest
                } else {
                    x1
                }
            }
            Some(c) => (c + f64::from(steps) * self.sample_interval_ms()).clamp(x0, x1),
        };
        self.set_cursor(Some(next));
    }

    /// Moves the keyboard focus among the tooltip's rows (for "explain this number").
    pub fn step_focus(&mut self, dir: i32, tz_offset_min: i32) {
        let Some(tip) = self.tooltip(tz_offset_min) else {
            return;
        };
        if tip.rows.is_empty() {
            return;
        }
        let n = tip.rows.len() as i32;
        let at = tip
            .rows
            .iter()
            .position(|r| r.focused)
            .map_or(if dir > 0 { -1 } else { 0 }, |i| i as i32);
        let next = (at + dir.signum()).rem_euclid(n) as usize;
        self.viewer.focus = Some(tip.rows[next].id.clone());
        self.cursor_changed();
    }

    /// A click at time `t_ms`, `y_frac` of the way up the y axis of the chart the page shows
    /// (`drawn`: where it landed, which knows its axis): focuses the shown curve nearest to it (its
    /// explanation expands in the tooltip); a click on the focused curve again clears the focus.
    /// The cursor moves there.
    pub fn focus_at(&mut self, t_ms: f64, y_frac: f64, drawn: &Placed) {
        let best = self.nearest_curve(t_ms, drawn.value_at(y_frac));
        self.viewer.focus = if best.is_some() && best == self.viewer.focus {
            None
        } else {
            best
        };
        self.viewer.cursor_ms = Some(t_ms);
        self.cursor_changed();
    }

    /// Focuses container `id` (its explanation expands in the tooltip); `None` clears.
    pub fn set_focus(&mut self, id: Option<&str>) {
        self.viewer.focus = id.map(str::to_string);
        self.cursor_changed();
    }

    // The viewer's choices.

    pub fn settings(&self) -> Settings {
        self.viewer.settings()
    }

    pub fn viewer(&self) -> &Viewer {
        &self.viewer
    }

    pub fn set_metric(&mut self, metric: Metric) {
        self.viewer.metric = metric;
        self.changed();
    }

    pub fn set_cpu_scale(&mut self, scale: CpuScale) {
        self.viewer.cpu_scale = scale;
        self.changed();
    }

    pub fn set_sort(&mut self, sort: SortBy) {
        self.viewer.sort = sort;
        self.changed();
    }

    /// Shows only the `n` busiest containers; `None` (or 0) shows all.
    pub fn set_top_n(&mut self, n: Option<usize>) {
        self.viewer.top_n = n.filter(|&n| n > 0);
        self.changed();
    }

    /// Shows only the containers of host `key` (`""`: every host).
    pub fn set_host(&mut self, key: &str) {
        self.viewer.host = key.trim().to_string();
        self.changed();
    }

    /// The hosts the bridge follows (key, name, state…), in key order.
    pub fn hosts(&self) -> &[crate::protocol::HostInfo] {
        self.intake.hosts()
    }

    /// What the bridge says it cut, refused or did not follow now ([`Intake::notices`]).
    pub fn notices(&self) -> &[crate::protocol::Notice] {
        self.intake.notices()
    }

    /// What this page shows, for the bridge to send only that (`statscope.subscribe`): its host
    /// choice, filter, top N by the metric shown, the containers the viewer chose by hand (pinned:
    /// shown whatever the top N says), and whether it wants the fleet overview.
    pub fn subscription(&self) -> crate::protocol::Subscribe {
        let v = &self.viewer;
        crate::protocol::Subscribe {
            hosts: if v.host.is_empty() {
                Vec::new()
            } else {
                vec![v.host.clone()]
            },
            filter: v.filter.clone(),
            top: v.top_n.map(|n| n.min(u32::MAX as usize) as u32),
            metric: v.metric,
            pinned: match &v.selection {
                Selection::Only(ids) => ids
                    .iter()
                    .take(crate::protocol::MAX_SUBSCRIBE_PINNED)
                    .cloned()
                    .collect(),
                Selection::All { .. } => Vec::new(),
            },
            fleet: self.options.overview,
        }
    }

    /// What the bridge says it sends this page, of how many (`statscope.subscribed`).
    pub fn subscribed(&self) -> Option<&crate::protocol::Subscribed> {
        self.intake.subscribed()
    }

    /// The bridge's fleet overview (`statscope.fleet`).
    pub fn fleet(&self) -> &[crate::protocol::FleetHost] {
        self.intake.fleet()
    }

    /// What a reconnect asks the bridge for (see [`Intake::resume_token`]).
    pub fn resume_token(&self) -> Option<String> {
        self.intake.resume_token()
    }

    pub fn set_filter(&mut self, text: &str) {
        self.viewer.filter = text.trim().to_string();
        self.changed();
    }

    /// Smoothed rate over `k` samples; 0 turns it off. Errors for 1 or more than 600.
    pub fn set_smooth(&mut self, k: usize) -> Result<(), OptionsError> {
        self.viewer.set_smooth(k)?;
        self.changed();
        Ok(())
    }

    pub fn set_theme(&mut self, theme: &str) -> Result<(), OptionsError> {
        self.viewer.set_theme(theme)?;
        self.changed();
        Ok(())
    }

    /// A legend click: show only `id` (again: show all).
    pub fn isolate(&mut self, id: &str) {
        self.viewer.selection.isolate(id);
        self.changed();
    }

    /// A shift/ctrl-click: show or hide `id` alone.
    pub fn toggle(&mut self, id: &str) {
        self.viewer.selection.toggle(id);
        self.changed();
    }

    /// A logarithmic y axis for CPU and the rates.
    pub fn set_log_scale(&mut self, on: bool) {
        self.viewer.log_scale = on;
        self.changed();
    }

    /// Opens the detail panel of a container (its key, name or ID prefix); `""` closes it.
    pub fn set_detail(&mut self, which: &str) {
        self.viewer.detail = which.trim().to_string();
        self.changed();
    }

    /// Shows the time range `[from, to]` (ms since the epoch), as a zoom does.
    pub fn set_range(&mut self, from: f64, to: f64) {
        if from.is_finite() && to.is_finite() && from < to {
            self.viewer.zoom_ms = Some((from, to));
            self.changed();
        }
    }

    /// Takes `options` as the viewer's choices now (a `<statscope-chart>`'s attributes changed):
    /// what the viewer can change (metric, scale, order, top-N, host, filter, smoothing, theme,
    /// log scale, range, detail) changes in place, keeping every point. Returns `false` when an
    /// option that only a new dashboard can take differs (feed, window, TTL, colours…): then
    /// nothing was changed.
    pub fn apply(&mut self, options: &Options) -> Result<bool, OptionsError> {
        options.validate()?;
        let o = &self.options;
        let same_start = o.feed == options.feed
            && o.connect == options.connect
            && o.window_seconds == options.window_seconds
            && o.ttl_seconds == options.ttl_seconds
            && o.colors == options.colors
            && o.history_points == options.history_points
            && o.line_width == options.line_width
            && o.labels == options.labels
            && o.tooltip == options.tooltip;
        if !same_start {
            return Ok(false);
        }
        let v = &mut self.viewer;
        v.metric = options.metric;
        v.cpu_scale = options.cpu_scale;
        v.sort = options.sort;
        v.top_n = options.top_n;
        v.host = options.host.trim().to_string();
        v.filter = options.filter.trim().to_string();
        v.smooth = options.smooth;
        v.theme = options.theme.clone();
        v.log_scale = options.log_scale;
        v.detail = options.detail.trim().to_string();
        if let (Some(a), Some(b)) = (options.from, options.to) {
            v.zoom_ms = Some((a, b));
        } else if self.options.from.is_some() {
            v.zoom_ms = None;
        }
        self.options = options.clone();
        self.changed();
        Ok(true)
    }

    /// The viewer's choices as the bundled page's URL parameters (each option's `param` in
    /// [`options::OPTIONS`]), so that a view can be shared: `(param, value)` for every choice the
    /// viewer can change, `""` where it is the default (the page removes that parameter).
    pub fn url_params(&self) -> Vec<(&'static str, String)> {
        let v = &self.viewer;
        let d = Options::default();
        let text = |on: bool, value: &str| if on { value.to_string() } else { String::new() };
        let (from, to) = v.zoom_ms.map_or((String::new(), String::new()), |(a, b)| {
            (format!("{a:.0}"), format!("{b:.0}"))
        });
        let values: [(&str, String); 12] = [
            ("metric", text(v.metric != d.metric, v.metric.key())),
            (
                "cpuScale",
                text(v.cpu_scale != d.cpu_scale, v.cpu_scale.key()),
            ),
            ("sort", text(v.sort != d.sort, v.sort.key())),
            ("topN", v.top_n.map_or_else(String::new, |n| n.to_string())),
            ("host", v.host.clone()),
            ("filter", v.filter.clone()),
            ("smooth", text(v.smooth != 0, &v.smooth.to_string())),
            ("theme", text(v.theme != d.theme, &v.theme)),
            ("logScale", text(v.log_scale, "1")),
            ("from", from),
            ("to", to),
            ("detail", v.detail.clone()),
        ];
        values
            .into_iter()
            .filter_map(|(key, value)| {
                let spec = options::OPTIONS.iter().find(|o| o.key == key)?;
                Some((spec.param?, value))
            })
            .collect()
    }

    /// Shows every container again.
    pub fn show_all(&mut self) {
        self.viewer.selection = Selection::default();
        self.changed();
    }
}
