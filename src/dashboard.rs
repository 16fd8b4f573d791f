//! The dashboard's logic, without a browser: frames in, micro-batches through the engine, a view,
//! a legend and a snapshot out. The browser layer owns a [`DashboardCore`] and adds only the socket,
//! the timers and the canvas.
//!
//! - [`DashboardCore::ingest`] takes one WebSocket text frame: Docker stats (an object or an array)
//!   are parsed and queued; statscope's own messages (`{"type":"statscope.…"}`) update the feed info.
//!   A bad frame, or a bad object inside an array, is counted (`malformed`, per object) and its error
//!   kept for the status line; the other objects of the frame are kept. Frames over
//!   [`MAX_FRAME_BYTES`] are refused unparsed.
//! - [`DashboardCore::flush`] applies everything queued as one micro-batch (`updateStateByKey`):
//!   the browser calls it once per animation frame.
//! - [`DashboardCore::view`], [`legend`](DashboardCore::legend) and
//!   [`snapshot`](DashboardCore::snapshot) describe the current window: the newest sample time back
//!   `window_seconds` (sample time, so a replay of an old recording shows too), frozen while paused.

use plotters::style::RGBColor;
use serde::{Deserialize, Serialize};

use crate::chart::{
    clock_label, nice_max, parse_hex, ChartView, ColorSlots, Cursor, Dash, Mark, Series,
};
use crate::lifecycle::{self, Lifecycle};
use crate::model::{parse_frame_lenient, Stats, Timestamp};
use crate::protocol::Message;
use crate::rates::{Container, EngineConfig, Flag, Point, RateEngine, Status};
use crate::report::{csv_point_row, CSV_HEADER};
use crate::sorting::sort_by;
use crate::view::{self, CpuScale, Metric, Selection, SortBy, Unit};

/// The largest frame accepted; larger ones are counted and dropped (the bridge has the same limit).
pub const MAX_FRAME_BYTES: usize = 1 << 20;

/// The shortest time range shown while history is still short.
const MIN_SPAN_MS: f64 = 30_000.0;

/// Every key [`Options`] accepts, as JS writes it. (serde-wasm-bindgen reads only known fields of a
/// JS object, so the browser layer checks keys against this list to refuse typos.)
pub const OPTION_KEYS: &[&str] = &[
    "feed",
    "connect",
    "windowSeconds",
    "ttlSeconds",
    "theme",
    "colors",
    "status",
    "legend",
    "table",
    "historyPoints",
    "metric",
    "cpuScale",
    "sort",
    "topN",
    "filter",
    "smooth",
    "lineWidth",
    "labels",
    "tooltip",
];

/// Options, as a plain JS object gives them (all optional).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct Options {
    /// WebSocket URL of the feed; default: `/ws` on the page's own origin.
    pub feed: Option<String>,
    /// Connect to the feed at all (`false`: only [`DashboardCore::ingest`] feeds it).
    pub connect: bool,
    /// Length of the time window shown, seconds. Default 300.
    pub window_seconds: f64,
    /// How long a stopped (or silent) container stays after its last sample, seconds. Default 60.
    pub ttl_seconds: f64,
    /// `"light"`, `"dark"` or `"auto"` (follows `prefers-color-scheme`). Default auto.
    pub theme: String,
    /// Curve colours, `#rrggbb`, used in order; default a colour-blind-safe palette.
    pub colors: Vec<String>,
    /// Element (or its id) for the status line; read by the browser layer, ignored here.
    pub status: Option<serde::de::IgnoredAny>,
    /// Element (or its id) for the legend list; read by the browser layer, ignored here.
    pub legend: Option<serde::de::IgnoredAny>,
    /// Element (or its id) for the screen-reader table; read by the browser layer, ignored here.
    pub table: Option<serde::de::IgnoredAny>,
    /// Points kept per container. Default: enough for the window at 1 Hz, at least 600.
    pub history_points: Option<usize>,
    /// The metric plotted. Default CPU.
    pub metric: Metric,
    /// What 100 % CPU means. Default `core` (the docker CLI's).
    pub cpu_scale: CpuScale,
    /// Legend order. Default by name.
    pub sort: SortBy,
    /// Show only the N busiest containers (by the mean of their last points). Default: all.
    pub top_n: Option<usize>,
    /// Show only containers whose name contains this, or whose ID starts with it (case-insensitive).
    pub filter: String,
    /// Smoothed rate over the last `k` samples, with its spread as a band; 0 = off. Default 0.
    pub smooth: usize,
    /// Curve width in CSS px. Default 1.5 for up to 12 curves, else one device pixel.
    pub line_width: Option<f64>,
    /// Name the curves at their right end when at most 12 are shown. Default true.
    pub labels: bool,
    /// Show the hover tooltip. Default true.
    pub tooltip: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            feed: None,
            connect: true,
            window_seconds: 300.0,
            ttl_seconds: 60.0,
            theme: "auto".into(),
            colors: Vec::new(),
            status: None,
            legend: None,
            table: None,
            history_points: None,
            metric: Metric::Cpu,
            cpu_scale: CpuScale::Core,
            sort: SortBy::Name,
            top_n: None,
            filter: String::new(),
            smooth: 0,
            line_width: None,
            labels: true,
            tooltip: true,
        }
    }
}

/// A problem with options, said plainly.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum OptionsError {
    #[error("windowSeconds must be a positive number of seconds")]
    Window,
    #[error("ttlSeconds must be zero or a positive number of seconds")]
    Ttl,
    #[error("theme must be \"light\", \"dark\" or \"auto\", not {0:?}")]
    Theme(String),
    #[error("colors must be \"#rrggbb\" strings; {0:?} is not")]
    Color(String),
    #[error("feed must be a ws:// or wss:// URL, not {0:?}")]
    Feed(String),
    #[error("smooth must be 0 (off) or a number of samples from 2 to 600")]
    Smooth,
    #[error("lineWidth must be a number of CSS pixels from 0.5 to 8")]
    LineWidth,
    #[error("topN must be a positive number of containers")]
    TopN,
}

impl Options {
    /// Checks the values (the browser layer reports the error to the page's script).
    pub fn validate(&self) -> Result<(), OptionsError> {
        if !(self.window_seconds.is_finite() && self.window_seconds > 0.0) {
            return Err(OptionsError::Window);
        }
        if !(self.ttl_seconds.is_finite() && self.ttl_seconds >= 0.0) {
            return Err(OptionsError::Ttl);
        }
        check_theme(&self.theme)?;
        if let Some(bad) = self.colors.iter().find(|c| parse_hex(c).is_none()) {
            return Err(OptionsError::Color(bad.clone()));
        }
        if let Some(feed) = &self.feed {
            if !(feed.starts_with("ws://") || feed.starts_with("wss://")) {
                return Err(OptionsError::Feed(feed.clone()));
            }
        }
        check_smooth(self.smooth)?;
        if let Some(w) = self.line_width {
            if !(0.5..=8.0).contains(&w) {
                return Err(OptionsError::LineWidth);
            }
        }
        if self.top_n == Some(0) {
            return Err(OptionsError::TopN);
        }
        Ok(())
    }
}

fn check_theme(theme: &str) -> Result<(), OptionsError> {
    if ["light", "dark", "auto"].contains(&theme) {
        Ok(())
    } else {
        Err(OptionsError::Theme(theme.to_string()))
    }
}

fn check_smooth(k: usize) -> Result<(), OptionsError> {
    if k == 1 || k > 600 {
        Err(OptionsError::Smooth)
    } else {
        Ok(())
    }
}

/// What the feed has delivered, for the status line.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FeedCounts {
    /// Text frames received.
    pub frames: u64,
    /// Stats objects received.
    pub samples: u64,
    /// Malformed inputs, counted per object: a frame that is not JSON counts 1, and each bad
    /// element of an array frame counts 1 (the good ones are kept).
    pub malformed: u64,
    /// Frames over the size limit (counted, dropped unparsed).
    pub oversized: u64,
    /// Frames the bridge dropped because this page fell behind.
    pub bridge_dropped: u64,
    /// The last malformed frame's error.
    pub last_error: Option<String>,
    /// What the bridge said it relays (`docker`, `demo`, `replay`), if it said.
    pub source: Option<String>,
    /// The bridge's one-line description of the source.
    pub describe: Option<String>,
}

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
    pub id: String,
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
    pub metric: &'static str,
    /// Rows, highest value of the metric first, at most [`TOOLTIP_ROWS`].
    pub rows: Vec<TooltipRow>,
    /// Shown containers left out of `rows`.
    pub more: usize,
    /// Lifecycle marks near the cursor.
    pub marks: Vec<TooltipMark>,
}

/// Rows a tooltip lists at most.
pub const TOOLTIP_ROWS: usize = 12;

/// One container in the tooltip: its snapped point's values, printed, and the numbers raw.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TooltipRow {
    pub id: String,
    pub name: String,
    pub color: String,
    /// The snapped point's time.
    pub t_ms: f64,
    /// The metric shown, printed on the scale in use.
    pub value: String,
    pub cpu: String,
    pub memory: String,
    pub memory_percent: String,
    pub net_rx: String,
    pub net_tx: String,
    pub block_read: String,
    pub block_write: String,
    /// The point's flag (`""`, `first`, `reset`, `gap`).
    pub flag: &'static str,
    /// How the CPU value was computed (see [`crate::view::explain_cpu`]).
    pub explain: Option<String>,
    /// This row has the keyboard focus (arrow up/down), whose explanation the page expands.
    pub focused: bool,
    #[serde(skip)]
    raw: f64,
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

/// The screen-reader table's row: container, current CPU, trend.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TableRow {
    pub name: String,
    pub value: String,
    /// `rising`, `falling` or `steady` over the last 30 seconds.
    pub trend: &'static str,
}

/// The viewer's current choices, for a toolbar to show.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    pub metric: Metric,
    pub cpu_scale: CpuScale,
    pub sort: SortBy,
    pub top_n: Option<usize>,
    pub filter: String,
    pub smooth: usize,
    pub paused: bool,
    /// Zoomed or panned away from the live window (double-click or `live()` returns).
    pub zoomed: bool,
}

/// Zoom limits: the shortest span shown.
const MIN_ZOOM_SPAN_MS: f64 = 5_000.0;

/// The dashboard without the browser (see the module docs).
#[derive(Debug)]
pub struct DashboardCore {
    options: Options,
    engine: RateEngine,
    pending: Vec<Stats>,
    counts: FeedCounts,
    colors: ColorSlots,
    lifecycle: Lifecycle,
    selection: Selection,
    paused_at_ms: Option<f64>,
    /// A zoomed or panned window; `None` follows live (or the pause).
    zoom_ms: Option<(f64, f64)>,
    cursor_ms: Option<f64>,
    /// The container whose explanation the tooltip expands.
    focus: Option<String>,
    /// The last view's y axis: its top (scaled) and the unit's divisor.
    last_axis: (f64, f64),
    changed: bool,
    /// Only the cursor or the focus moved since the last draw (the chart under them did not).
    cursor_moved: bool,
}

impl DashboardCore {
    /// A dashboard with validated `options`.
    pub fn new(options: Options) -> Result<DashboardCore, OptionsError> {
        options.validate()?;
        let history_points = options
            .history_points
            .unwrap_or(((options.window_seconds * 1.2) as usize).max(600));
        let ttl_ns = (options.ttl_seconds * 1e9) as i64;
        let engine = RateEngine::new(EngineConfig {
            history_points,
            stopped_ttl_ns: ttl_ns,
            silent_ttl_ns: ttl_ns.max((options.window_seconds * 1e9) as i64),
            ..EngineConfig::default()
        });
        let palette: Vec<RGBColor> = options.colors.iter().filter_map(|c| parse_hex(c)).collect();
        Ok(DashboardCore {
            options,
            engine,
            pending: Vec::new(),
            counts: FeedCounts::default(),
            colors: ColorSlots::new(palette),
            lifecycle: Lifecycle::default(),
            selection: Selection::default(),
            paused_at_ms: None,
            zoom_ms: None,
            cursor_ms: None,
            focus: None,
            last_axis: (1.0, 1.0),
            changed: true,
            cursor_moved: false,
        })
    }

    pub fn options(&self) -> &Options {
        &self.options
    }

    /// Takes one text frame. Stats are queued for the next [`flush`](Self::flush).
    pub fn ingest(&mut self, text: &str) {
        if text.len() > MAX_FRAME_BYTES {
            self.refuse_oversized(text.len());
            return;
        }
        self.counts.frames += 1;
        // statscope's own messages (a framed text of a `statscope.` type; the protocol module
        // says which, and whether it can be read) are never stats: read, or counted as malformed.
        // A framed text of another type is read as stats.
        if Message::is_framed(text) {
            match Message::decode(text) {
                Ok(None) => {}
                Ok(Some(message)) => {
                    if let Err(e) = self.on_control(&message, text.trim()) {
                        self.malformed(1, e);
                    }
                    return;
                }
                Err(e) => {
                    self.malformed(1, e.to_string());
                    return;
                }
            }
        }
        let frame = parse_frame_lenient(text);
        self.counts.samples += frame.samples.len() as u64;
        self.pending.extend(frame.samples);
        if let Some(e) = frame.errors.last() {
            self.malformed(frame.errors.len() as u64, e.to_string());
        }
    }

    /// Takes one frame as UTF-8 bytes (a binary WebSocket frame, or text the browser encoded).
    pub fn ingest_bytes(&mut self, bytes: &[u8]) {
        if bytes.len() > MAX_FRAME_BYTES {
            self.refuse_oversized(bytes.len());
            return;
        }
        match std::str::from_utf8(bytes) {
            Ok(text) => self.ingest(text),
            Err(e) => self.refuse(&format!("a frame that is not UTF-8: {e}")),
        }
    }

    /// Counts a frame that cannot be read at all (not text), with why.
    pub fn refuse(&mut self, why: &str) {
        self.counts.frames += 1;
        self.malformed(1, why.to_string());
    }

    /// Counts a frame of `len` bytes over [`MAX_FRAME_BYTES`], dropped unread.
    pub fn refuse_oversized(&mut self, len: usize) {
        self.counts.frames += 1;
        self.counts.oversized += 1;
        self.counts.last_error = Some(format!(
            "a frame of {len} bytes exceeds the {MAX_FRAME_BYTES} byte limit"
        ));
    }

    fn malformed(&mut self, n: u64, mut message: String) {
        self.counts.malformed += n;
        if message.len() > 200 {
            let cut = (0..=200)
                .rev()
                .find(|&i| message.is_char_boundary(i))
                .unwrap_or(0);
            message.truncate(cut);
            message.push('…');
        }
        self.counts.last_error = Some(message);
    }

    /// A control message `c`, read from `json`; a lifecycle message is read from `json` again.
    fn on_control(&mut self, c: &Message, json: &str) -> Result<(), String> {
        let message = || {
            serde_json::from_str::<lifecycle::Message>(json).map_err(|e| {
                // `json` is known to be well-formed: only a field can be wrong. Its error without
                // " at line … column …", as when the fields were read from a `serde_json::Value`.
                let text = e.to_string();
                let at = format!(" at line {} column {}", e.line(), e.column());
                let what = text.strip_suffix(&at).unwrap_or(&text);
                format!("{}: {what}", c.kind())
            })
        };
        match c {
            Message::Hello(hello) => {
                let said = |s: &String| (!s.is_empty()).then(|| s.clone());
                self.counts.source = said(&hello.source);
                self.counts.describe = said(&hello.describe);
            }
            Message::Dropped(d) => {
                self.counts.bridge_dropped = self.counts.bridge_dropped.saturating_add(d.frames)
            }
            Message::Container(_) => {
                self.lifecycle.on_container(message()?)?;
                self.changed = true;
            }
            Message::Event(_) => {
                self.lifecycle.on_event(message()?)?;
                self.changed = true;
            }
            Message::Heartbeat | Message::Other(_) => {}
        }
        Ok(())
    }

    /// Samples queued since the last flush.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Applies the queued samples as one micro-batch. Returns whether anything changed since the
    /// last time the view was taken.
    pub fn flush(&mut self) -> bool {
        if !self.pending.is_empty() {
            let batch = std::mem::take(&mut self.pending);
            let before = self.engine.len();
            let points = self.engine.update(&batch, None);
            for (s, p) in batch.iter().zip(&points) {
                if p.flag == Flag::Late {
                    let id = if s.id.is_empty() { &s.name } else { &s.id };
                    self.lifecycle.on_late(id, p.t_ms());
                }
            }
            self.changed = true;
            if self.engine.len() < before + batch.len() {
                let engine = &self.engine;
                self.colors.retain(|id| engine.get(id).is_some());
                self.selection.retain(|id| engine.get(id).is_some());
                self.lifecycle.retain_late(|id| engine.get(id).is_some());
            }
            // Reuse the allocation for the next batch.
            self.pending = batch;
            self.pending.clear();
        }
        self.changed
    }

    /// Marks the view as drawn (the cursor with it).
    pub fn mark_drawn(&mut self) {
        self.changed = false;
        self.cursor_moved = false;
    }

    /// Whether only the cursor or the focus moved since the last draw: the chart can stay, with
    /// the cursor drawn anew over it ([`Self::cursor_on`]) and the tooltip updated.
    pub fn cursor_moved(&self) -> bool {
        self.cursor_moved && !self.changed
    }

    /// Marks the cursor as drawn.
    pub fn mark_cursor_drawn(&mut self) {
        self.cursor_moved = false;
    }

    /// Forces a redraw (resize, theme change).
    pub fn mark_changed(&mut self) {
        self.changed = true;
    }

    pub fn counts(&self) -> &FeedCounts {
        &self.counts
    }

    pub fn engine(&self) -> &RateEngine {
        &self.engine
    }

    pub fn lifecycle(&self) -> &Lifecycle {
        &self.lifecycle
    }

    /// Freezes the view's time window; data keeps being ingested.
    pub fn pause(&mut self) {
        if self.paused_at_ms.is_none() {
            self.paused_at_ms = Some(self.live_end_ms());
            self.changed = true;
        }
    }

    /// Back to the live window (also out of a zoom), with every point ingested meanwhile.
    pub fn resume(&mut self) {
        if self.paused_at_ms.take().is_some() || self.zoom_ms.take().is_some() {
            self.changed = true;
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
        self.paused_at_ms.is_some()
    }

    pub fn is_zoomed(&self) -> bool {
        self.zoom_ms.is_some()
    }

    fn live_end_ms(&self) -> f64 {
        self.engine.clock_ns().map_or(0.0, |ns| ns as f64 / 1e6)
    }

    /// The window shown, ms since the epoch: a zoomed/panned window if there is one, else
    /// `window_seconds` back from the newest sample (or the pause), starting later while less
    /// history than that exists, so the curves fill the chart. `(0, 0)` before any sample.
    pub fn window_ms(&self) -> (f64, f64) {
        let Some(_) = self.engine.clock_ns() else {
            return (0.0, 0.0);
        };
        if let Some(zoom) = self.zoom_ms {
            return zoom;
        }
        let end = self.paused_at_ms.unwrap_or_else(|| self.live_end_ms());
        let full = end - self.options.window_seconds * 1000.0;
        let earliest = self
            .engine
            .containers()
            .filter_map(|(_, c)| c.points().front().map(|p| p.t_ms()))
            .fold(f64::INFINITY, f64::min);
        let start = full.max(earliest.min(end - MIN_SPAN_MS));
        (start, end)
    }

    /// Zooms the time axis by `factor` (< 1 in, > 1 out) around time `at_ms` (kept in place).
    pub fn zoom(&mut self, factor: f64, at_ms: f64) {
        let (x0, x1) = self.window_ms();
        if x1 <= x0 || !factor.is_finite() || factor <= 0.0 {
            return;
        }
        let max_span = self.max_span_ms();
        let span = ((x1 - x0) * factor).clamp(MIN_ZOOM_SPAN_MS, max_span);
        let at = at_ms.clamp(x0, x1);
        let f = (at - x0) / (x1 - x0);
        let start = at - f * span;
        self.zoom_ms = Some((start, start + span));
        self.changed = true;
    }

    /// Moves the time axis by `dt_ms` (positive: later), not past the newest sample.
    pub fn pan(&mut self, dt_ms: f64) {
        let (x0, x1) = self.window_ms();
        if x1 <= x0 || !dt_ms.is_finite() {
            return;
        }
        let live = self.live_end_ms();
        let dt = dt_ms.min(live - x1).max(-(x1 - x0) * 50.0);
        self.zoom_ms = Some((x0 + dt, x1 + dt));
        self.changed = true;
    }

    /// The longest span a zoom out shows: the history kept at 1 Hz, at least the window.
    fn max_span_ms(&self) -> f64 {
        let history = self.engine.config().history_points as f64 * 1000.0;
        history.max(self.options.window_seconds * 1000.0)
    }

    /// Sets the cursor (hover or keyboard); `None` hides it and the tooltip.
    pub fn set_cursor(&mut self, t_ms: Option<f64>) {
        if self.cursor_ms != t_ms {
            self.cursor_ms = t_ms;
            self.cursor_moved = true;
        }
    }

    pub fn cursor(&self) -> Option<f64> {
        self.cursor_ms
    }

    /// Moves the cursor to the next (`+1`) or previous (`-1`) sample time of the shown curves,
    /// starting from the newest when there is no cursor.
    pub fn step_cursor(&mut self, dir: i32) {
        let (x0, x1) = self.window_ms();
        let shown = self.shown_ids();
        let mut times: Vec<f64> = shown
            .iter()
            .filter_map(|id| self.engine.get(id))
            .flat_map(|c| c.points().iter().map(|p| p.t_ms()))
            .filter(|t| (x0..=x1).contains(t))
            .collect();
        sort_by(&mut times, f64::total_cmp);
        times.dedup_by(|a, b| (*a - *b).abs() < 1.0);
        let next = match (self.cursor_ms, dir.signum()) {
            (None, _) => times.last().copied(),
            (Some(c), 1) => times.iter().copied().find(|&t| t > c + 0.5).or(Some(c)),
            (Some(c), _) => times
                .iter()
                .rev()
                .copied()
                .find(|&t| t < c - 0.5)
                .or(Some(c)),
        };
        self.set_cursor(next);
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
        self.focus = Some(tip.rows[next].id.clone());
        self.cursor_moved = true;
    }

    /// A click on the chart at time `t_ms`, `y_frac` of the way up the y axis: focuses the shown
    /// curve nearest to it (its explanation expands in the tooltip); a click on the focused curve
    /// again clears the focus. The cursor moves there.
    pub fn focus_at(&mut self, t_ms: f64, y_frac: f64) {
        let (y_max, div) = self.last_axis;
        let target = y_frac * y_max * div;
        let tolerance = self.snap_tolerance(self.window_ms());
        let best = self
            .shown_ids()
            .into_iter()
            .filter_map(|id| {
                let c = self.engine.get(&id)?;
                let limit = self.limit(&id);
                let p = c
                    .points()
                    .iter()
                    .filter(|p| (p.t_ms() - t_ms).abs() <= tolerance)
                    .filter(|p| self.value_of(limit, p).is_some())
                    .min_by(|a, b| (a.t_ms() - t_ms).abs().total_cmp(&(b.t_ms() - t_ms).abs()))?;
                let v = self.value_of(limit, p)?;
                Some(((v - target).abs(), id))
            })
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, id)| id);
        self.focus = if best.is_some() && best == self.focus {
            None
        } else {
            best
        };
        self.cursor_ms = Some(t_ms);
        self.cursor_moved = true;
    }

    /// Focuses container `id` (its explanation expands in the tooltip); `None` clears.
    pub fn set_focus(&mut self, id: Option<&str>) {
        self.focus = id.map(str::to_string);
        self.cursor_moved = true;
    }

    // The viewer's choices.

    pub fn settings(&self) -> Settings {
        Settings {
            metric: self.options.metric,
            cpu_scale: self.options.cpu_scale,
            sort: self.options.sort,
            top_n: self.options.top_n,
            filter: self.options.filter.clone(),
            smooth: self.options.smooth,
            paused: self.is_paused(),
            zoomed: self.is_zoomed(),
        }
    }

    pub fn set_metric(&mut self, metric: Metric) {
        self.options.metric = metric;
        self.changed = true;
    }

    pub fn set_cpu_scale(&mut self, scale: CpuScale) {
        self.options.cpu_scale = scale;
        self.changed = true;
    }

    pub fn set_sort(&mut self, sort: SortBy) {
        self.options.sort = sort;
        self.changed = true;
    }

    /// Shows only the `n` busiest containers; `None` (or 0) shows all.
    pub fn set_top_n(&mut self, n: Option<usize>) {
        self.options.top_n = n.filter(|&n| n > 0);
        self.changed = true;
    }

    pub fn set_filter(&mut self, text: &str) {
        self.options.filter = text.trim().to_string();
        self.changed = true;
    }

    /// Smoothed rate over `k` samples; 0 turns it off. Errors for 1 or more than 600.
    pub fn set_smooth(&mut self, k: usize) -> Result<(), OptionsError> {
        check_smooth(k)?;
        self.options.smooth = k;
        self.changed = true;
        Ok(())
    }

    pub fn set_theme(&mut self, theme: &str) -> Result<(), OptionsError> {
        check_theme(theme)?;
        self.options.theme = theme.to_string();
        self.changed = true;
        Ok(())
    }

    /// A legend click: show only `id` (again: show all).
    pub fn isolate(&mut self, id: &str) {
        self.selection.isolate(id);
        self.changed = true;
    }

    /// A shift/ctrl-click: show or hide `id` alone.
    pub fn toggle(&mut self, id: &str) {
        self.selection.toggle(id);
        self.changed = true;
    }

    /// Shows every container again.
    pub fn show_all(&mut self) {
        self.selection = Selection::default();
        self.changed = true;
    }

    // What is shown.

    /// The CPU limit of `id` in cores, if the bridge said.
    fn limit(&self, id: &str) -> Option<f64> {
        self.lifecycle.info(id).and_then(|i| i.cpu_limit)
    }

    /// The value of point `p` for the metric and scale in use; `limit` is its container's CPU
    /// limit ([`Self::limit`], looked up once per container, not per point).
    fn value_of(&self, limit: Option<f64>, p: &Point) -> Option<f64> {
        if p.flag == Flag::Stopped {
            return None;
        }
        view::value(self.options.metric, self.options.cpu_scale, limit, p)
    }

    /// The newest value, and the mean of the last 10 values (the top-N rank), of `id`.
    fn current(&self, id: &str, c: &Container) -> (Option<f64>, f64) {
        let mut newest = None;
        let (mut sum, mut n) = (0.0, 0);
        let limit = self.limit(id);
        for p in c.points().iter().rev() {
            if let Some(v) = self.value_of(limit, p) {
                newest.get_or_insert(v);
                sum += v;
                n += 1;
                if n == 10 {
                    break;
                }
            }
        }
        (newest, if n > 0 { sum / n as f64 } else { -1.0 })
    }

    /// The legend's containers, in order: those matching the filter, the `topN` busiest of them if
    /// set, sorted by name or value. Returns them and how many matched the filter.
    fn listed(&self) -> (Vec<Listed<'_>>, usize) {
        // Docker names and IDs are ASCII ([a-zA-Z0-9][a-zA-Z0-9_.-]*, hex), so ASCII case folding
        // is the whole of it (and keeps Unicode's case tables out of the WebAssembly build).
        let filter = self.options.filter.as_bytes();
        let mut all: Vec<(&String, &Container, Option<f64>, f64)> = self
            .engine
            .containers()
            .filter(|(id, c)| {
                filter.is_empty()
                    || c.name()
                        .as_bytes()
                        .windows(filter.len())
                        .any(|w| w.eq_ignore_ascii_case(filter))
                    || id
                        .as_bytes()
                        .get(..filter.len())
                        .is_some_and(|p| p.eq_ignore_ascii_case(filter))
            })
            .map(|(id, c)| {
                let (now, rank) = self.current(id, c);
                (id, c, now, rank)
            })
            .collect();
        let matching = all.len();
        if let Some(n) = self.options.top_n {
            sort_by(&mut all, |a, b| b.3.total_cmp(&a.3).then(a.0.cmp(b.0)));
            all.truncate(n);
        }
        match self.options.sort {
            SortBy::Name => sort_by(&mut all, |a, b| {
                a.1.name().cmp(b.1.name()).then(a.0.cmp(b.0))
            }),
            SortBy::Value => sort_by(&mut all, |a, b| {
                let v = |x: Option<f64>| x.unwrap_or(f64::NEG_INFINITY);
                v(b.2).total_cmp(&v(a.2)).then(a.1.name().cmp(b.1.name()))
            }),
        }
        (
            all.into_iter()
                .map(|(id, c, now, _)| (id, c, now))
                .collect(),
            matching,
        )
    }

    /// IDs drawn on the chart, in legend order.
    fn shown_ids(&self) -> Vec<String> {
        self.listed()
            .0
            .into_iter()
            .filter(|(id, _, _)| self.selection.shows(id))
            .map(|(id, _, _)| id.clone())
            .collect()
    }

    /// The legend: the listed containers, in order, hidden ones marked.
    pub fn legend(&mut self) -> Legend {
        let unit = self.options.metric.unit();
        let (listed, matching) = self.listed();
        let rows: Vec<LegendEntry> = listed
            .iter()
            .map(|(id, c, now)| {
                let stopped = c.status() == Status::Stopped;
                LegendEntry {
                    id: (*id).clone(),
                    name: c.name().to_string(),
                    color: String::new(),
                    dash: "solid",
                    cpu: c.last_cpu().map(|(_, v)| v),
                    value: if stopped {
                        "stopped".into()
                    } else {
                        now.map_or_else(|| "–".into(), |v| unit.format(v))
                    },
                    shown: self.selection.shows(id),
                    stopped,
                    cpu_limit: self.limit(id),
                }
            })
            .collect();
        let total = self.engine.len();
        let entries = rows
            .into_iter()
            .map(|mut e| {
                let (color, dash) = self.colors.look(&e.id);
                e.color = crate::chart::hex(color);
                e.dash = dash.css();
                e
            })
            .collect();
        Legend {
            entries,
            total,
            matching,
        }
    }

    /// What to draw now, every point.
    pub fn view(&mut self, tz_offset_min: i32) -> ChartView {
        self.view_at_width(tz_offset_min, 0)
    }

    /// What to draw now on a plot `columns` pixels wide: curves with more than four points per
    /// column are decimated to four ([`view::m4`]), which draws the same pixels. 0: every
    /// point.
    pub fn view_at_width(&mut self, tz_offset_min: i32, columns: usize) -> ChartView {
        let (x0, x1) = self.window_ms();
        let metric = self.options.metric;
        let shown = self.shown_ids();
        struct Raw {
            id: String,
            name: String,
            runs: Vec<Run>,
            marks: Vec<Mark>,
        }
        let mut raws: Vec<Raw> = Vec::with_capacity(shown.len());
        let mut top = 0.0f64;
        for id in &shown {
            let Some(c) = self.engine.get(id) else {
                continue;
            };
            let runs = self.runs(id, c, x0, x1);
            for run in &runs {
                for &(_, v) in &run.points {
                    top = top.max(v);
                }
            }
            let marks = self
                .lifecycle
                .marks(id, c, (x0, x1), |t| nearest_value(&runs, t).unwrap_or(0.0));
            raws.push(Raw {
                id: id.clone(),
                name: c.name().to_string(),
                runs,
                marks,
            });
        }
        let unit = metric.unit();
        let (div, suffix) = unit.scale_for(top);
        let floor = if unit == Unit::Percent { 5.0 } else { 1.0 };
        let y_max = nice_max(top / div, floor);
        self.last_axis = (y_max, div);
        let k = self.options.smooth;
        // Dashes tell up to 12 curves apart (with their end labels); beyond that colours repeat
        // anyway, and plotters strokes every dash as its own path (many times the cost).
        let dashed = raws.len() <= 12;
        let series: Vec<Series> = raws
            .into_iter()
            .map(|r| {
                let (color, dash) = self.colors.look(&r.id);
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
                    id: r.id,
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
        let t = self.cursor_ms.filter(|_| self.options.tooltip)?;
        let tolerance = self.snap_tolerance(x_range);
        let dots = series
            .iter()
            .filter_map(|s| {
                let &(pt, v) = nearest(s.segments.iter().flatten(), t, tolerance)?;
                Some((pt, v, s.color))
            })
            .collect();
        Some(Cursor { t, dots })
    }

    /// How far from the cursor a point may be and still be "at" it: a few seconds, or 2 % of the
    /// span when zoomed out.
    fn snap_tolerance(&self, (x0, x1): (f64, f64)) -> f64 {
        ((x1 - x0) * 0.02).max(3_000.0)
    }

    /// Container `c`'s unbroken runs of values for the metric in use, from slightly before `x0`
    /// (so smoothing has history) to `x1`, unscaled.
    fn runs(&self, id: &str, c: &Container, x0: f64, x1: f64) -> Vec<Run> {
        let lead = x0 - self.options.smooth as f64 * 2_000.0;
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

    /// The tooltip at the cursor, if there is a cursor and something near it.
    pub fn tooltip(&self, tz_offset_min: i32) -> Option<Tooltip> {
        let t = self.cursor_ms.filter(|_| self.options.tooltip)?;
        let (x0, x1) = self.window_ms();
        let tolerance = self.snap_tolerance((x0, x1));
        let metric = self.options.metric;
        let scale = self.options.cpu_scale;
        let shown = self.shown_ids();
        let bytes = |v: Option<f64>| v.map_or_else(|| "–".into(), |v| Unit::Bytes.format(v));
        let rate =
            |v: Option<f64>| v.map_or_else(|| "–".into(), |v| Unit::BytesPerSecond.format(v));
        let mut rows = Vec::new();
        let mut marks = Vec::new();
        for id in &shown {
            let Some(c) = self.engine.get(id) else {
                continue;
            };
            let color = crate::chart::hex(self.colors.peek(id));
            let nearest_point = c
                .points()
                .iter()
                .filter(|p| p.flag != Flag::Stopped && (x0..=x1).contains(&p.t_ms()))
                .filter(|p| (p.t_ms() - t).abs() <= tolerance)
                .min_by(|a, b| (a.t_ms() - t).abs().total_cmp(&(b.t_ms() - t).abs()));
            if let Some(p) = nearest_point {
                let limit = self.limit(id);
                let value = self.value_of(limit, p);
                let cpu = view::value(Metric::Cpu, scale, limit, p);
                rows.push(TooltipRow {
                    id: id.clone(),
                    name: c.name().to_string(),
                    color,
                    t_ms: p.t_ms(),
                    value: value.map_or_else(|| "–".into(), |v| metric.unit().format(v)),
                    cpu: cpu.map_or_else(|| "–".into(), |v| Unit::Percent.format(v)),
                    memory: bytes(p.mem_usage_bytes()),
                    memory_percent: p
                        .mem_percent()
                        .map_or_else(|| "–".into(), |v| Unit::Percent.format(v)),
                    net_rx: rate(p.net_rx_bytes_per_s()),
                    net_tx: rate(p.net_tx_bytes_per_s()),
                    block_read: rate(p.blk_read_bytes_per_s()),
                    block_write: rate(p.blk_write_bytes_per_s()),
                    flag: p.flag.as_str(),
                    explain: view::explain_cpu(p, scale, limit),
                    focused: self.focus.as_deref() == Some(id.as_str()),
                    raw: value.unwrap_or(f64::NEG_INFINITY),
                });
            }
            let near = |m: f64| (m - t).abs() <= tolerance;
            for e in self.lifecycle.events_of(id).filter(|e| near(e.t_ms)) {
                if let Some(kind) = e.mark_kind() {
                    marks.push(TooltipMark {
                        name: c.name().to_string(),
                        kind: kind.key(),
                        t_ms: e.t_ms,
                        text: e.describe(),
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
                    name: c.name().to_string(),
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
            metric: metric.key(),
            rows,
            more,
            marks,
        })
    }

    /// The screen-reader table: each listed and shown container's current value and its trend.
    pub fn table(&self) -> Vec<TableRow> {
        let unit = self.options.metric.unit();
        let (listed, _) = self.listed();
        listed
            .into_iter()
            .filter(|(id, _, _)| self.selection.shows(id))
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
                    name: c.name().to_string(),
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
            let Some((id, c)) = self.engine.containers().find(|(k, _)| **k == id) else {
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
        out.push_str(CSV_HEADER);
        out.push('\n');
        for (t, id, name, p) in rows {
            csv_point_row(
                &mut out,
                Timestamp::from_unix_ns(i128::from(t)),
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
        let mut all: Vec<_> = self.engine.containers().collect();
        sort_by(&mut all, |a, b| {
            a.1.name().cmp(b.1.name()).then(a.0.cmp(b.0))
        });
        Snapshot {
            containers: all
                .into_iter()
                .map(|(id, c)| SnapshotContainer {
                    id: id.clone(),
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

/// A listed container: its ID, state and newest value.
type Listed<'a> = (&'a String, &'a Container, Option<f64>);

/// One unbroken run of a container's values, and the time since the sample before its first point
/// (the first point's rate interval).
#[derive(Debug)]
struct Run {
    points: Vec<(f64, f64)>,
    first_dt: f64,
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
    let noise = match unit {
        Unit::Percent => 2.0,
        Unit::Bytes => 1024.0 * 1024.0,
        Unit::BytesPerSecond => 10_000.0,
    };
    let threshold = (old.abs() * 0.1).max(noise);
    if new - old > threshold {
        "rising"
    } else if old - new > threshold {
        "falling"
    } else {
        "steady"
    }
}
