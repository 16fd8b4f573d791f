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

use crate::chart::{nice_max, parse_hex, ChartView, ColorSlots, Series};
use crate::model::{parse_frame_lenient, Stats};
use crate::rates::{Container, EngineConfig, Flag, RateEngine, Status};

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
    "historyPoints",
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
    /// Points kept per container. Default: enough for the window at 1 Hz, at least 600.
    pub history_points: Option<usize>,
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
            history_points: None,
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
        if !["light", "dark", "auto"].contains(&self.theme.as_str()) {
            return Err(OptionsError::Theme(self.theme.clone()));
        }
        if let Some(bad) = self.colors.iter().find(|c| parse_hex(c).is_none()) {
            return Err(OptionsError::Color(bad.clone()));
        }
        if let Some(feed) = &self.feed {
            if !(feed.starts_with("ws://") || feed.starts_with("wss://")) {
                return Err(OptionsError::Feed(feed.clone()));
            }
        }
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

/// statscope's own messages on the feed.
#[derive(Deserialize)]
struct Control {
    #[serde(rename = "type")]
    kind: String,
    source: Option<String>,
    describe: Option<String>,
    frames: Option<u64>,
}

/// One legend entry.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LegendEntry {
    pub id: String,
    pub name: String,
    /// `#rrggbb`.
    pub color: String,
    /// The newest CPU %, if any.
    pub cpu: Option<f64>,
    pub stopped: bool,
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

/// The dashboard without the browser (see the module docs).
#[derive(Debug)]
pub struct DashboardCore {
    options: Options,
    engine: RateEngine,
    pending: Vec<Stats>,
    counts: FeedCounts,
    colors: ColorSlots,
    paused_at_ms: Option<f64>,
    changed: bool,
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
            paused_at_ms: None,
            changed: true,
        })
    }

    pub fn options(&self) -> &Options {
        &self.options
    }

    /// Takes one text frame. Stats are queued for the next [`flush`](Self::flush).
    pub fn ingest(&mut self, text: &str) {
        self.counts.frames += 1;
        if text.len() > MAX_FRAME_BYTES {
            self.counts.oversized += 1;
            self.counts.last_error = Some(format!(
                "a frame of {} bytes exceeds the {} byte limit",
                text.len(),
                MAX_FRAME_BYTES
            ));
            return;
        }
        if text.trim_start().starts_with("{\"type\"") {
            if let Ok(control) = serde_json::from_str::<Control>(text) {
                self.on_control(control);
                return;
            }
        }
        let frame = parse_frame_lenient(text);
        self.counts.samples += frame.samples.len() as u64;
        self.pending.extend(frame.samples);
        if let Some(e) = frame.errors.last() {
            self.counts.malformed += frame.errors.len() as u64;
            let mut message = e.to_string();
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
    }

    fn on_control(&mut self, c: Control) {
        match c.kind.as_str() {
            "statscope.hello" => {
                self.counts.source = c.source;
                self.counts.describe = c.describe;
            }
            "statscope.dropped" => self.counts.bridge_dropped += c.frames.unwrap_or(0),
            _ => {}
        }
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
            self.engine.update(&batch, None);
            self.changed = true;
            if self.engine.len() < before + batch.len() {
                let engine = &self.engine;
                self.colors.retain(|id| engine.get(id).is_some());
            }
            // Reuse the allocation for the next batch.
            self.pending = batch;
            self.pending.clear();
        }
        self.changed
    }

    /// Marks the view as drawn.
    pub fn mark_drawn(&mut self) {
        self.changed = false;
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

    /// Freezes the view's time window; data keeps being ingested.
    pub fn pause(&mut self) {
        if self.paused_at_ms.is_none() {
            self.paused_at_ms = Some(self.live_end_ms());
            self.changed = true;
        }
    }

    /// Back to the live window, with every point ingested meanwhile.
    pub fn resume(&mut self) {
        if self.paused_at_ms.take().is_some() {
            self.changed = true;
        }
    }

    pub fn is_paused(&self) -> bool {
        self.paused_at_ms.is_some()
    }

    fn live_end_ms(&self) -> f64 {
        self.engine.clock_ns().map_or(0.0, |ns| ns as f64 / 1e6)
    }

    /// The window shown, ms since the epoch: `window_seconds` back from the newest sample (or the
    /// pause), starting later while less history than that exists, so the curves fill the chart.
    /// `(0, 0)` before any sample.
    pub fn window_ms(&self) -> (f64, f64) {
        let Some(_) = self.engine.clock_ns() else {
            return (0.0, 0.0);
        };
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

    /// The legend: one entry per container, in legend order.
    pub fn legend(&mut self) -> Vec<LegendEntry> {
        let (engine, colors) = (&self.engine, &mut self.colors);
        ordered(engine)
            .map(|(id, c)| LegendEntry {
                id: id.clone(),
                name: c.name().to_string(),
                color: crate::chart::hex(colors.color(id)),
                cpu: c.last_cpu().map(|(_, v)| v),
                stopped: c.status() == Status::Stopped,
            })
            .collect()
    }

    /// What to draw now.
    pub fn view(&mut self, tz_offset_min: i32) -> ChartView {
        let (x0, x1) = self.window_ms();
        let (engine, colors) = (&self.engine, &mut self.colors);
        let series: Vec<Series> = ordered(engine)
            .map(|(id, c)| Series {
                id: id.clone(),
                name: c.name().to_string(),
                color: colors.color(id),
                segments: segments(c, x0, x1),
            })
            .collect();
        let y_top = series
            .iter()
            .flat_map(|s| s.segments.iter().flatten())
            .fold(0.0f64, |top, &(_, v)| top.max(v));
        ChartView {
            x_range: (x0, x1),
            y_max: nice_max(y_top, 5.0),
            y_unit: "%",
            series,
            tz_offset_min,
        }
    }

    /// `{ containers: [ { id, name, cpu: [[t_ms, cpu_percent], …] }, … ] }` for the current window.
    pub fn snapshot(&self) -> Snapshot {
        let (x0, x1) = self.window_ms();
        Snapshot {
            containers: ordered(&self.engine)
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

/// Containers in legend order: by name, then ID.
fn ordered(engine: &RateEngine) -> impl Iterator<Item = (&String, &Container)> {
    let mut all: Vec<_> = engine.containers().collect();
    all.sort_by(|a, b| a.1.name().cmp(b.1.name()).then(a.0.cmp(b.0)));
    all.into_iter()
}

/// A container's CPU curve inside `[x0, x1]`, split at every break.
fn segments(c: &Container, x0: f64, x1: f64) -> Vec<Vec<(f64, f64)>> {
    let mut out: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut current: Vec<(f64, f64)> = Vec::new();
    for p in c.points() {
        let t = p.t_ms();
        if p.flag.breaks_curve() && !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
        if t < x0 || t > x1 {
            continue;
        }
        match p.cpu_percent() {
            Some(v) if p.flag != Flag::Stopped => current.push((t, v)),
            _ => {
                if !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                }
            }
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}
