//! The browser layer: the `Dashboard` handle that JavaScript creates on a `<canvas>`.
//!
//! It owns a [`DashboardCore`] (all the logic), the WebSocket, the timers and the page listeners,
//! and does only what needs a browser: parse frames as they arrive (`onmessage` → `core.ingest`),
//! apply them as one micro-batch per animation frame (`requestAnimationFrame` → `core.flush`), draw
//! with `plotters-canvas` when something changed, and keep the status line and the legend (names set
//! as text, never HTML). Reconnecting follows [`Reconnect`], a pure state machine; this module only
//! turns socket and page events into its [`FeedEvent`]s.
//!
//! Rust owns the device pixel ratio and resizing: before each draw the canvas's backing store is set
//! to its CSS size × `devicePixelRatio`, and a `ResizeObserver` asks for a redraw on resize.
//!
//! Every closure holds a `Weak` reference and is owned by the handle (or by its socket), so
//! `destroy()` (or dropping the handle) removes every listener and frees everything.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{
    CloseEvent, Document, Event, EventTarget, HtmlCanvasElement, HtmlElement, MessageEvent,
    ResizeObserver, WebSocket, Window,
};

use crate::chart::{self, PlotRect, Theme};
use crate::dashboard::{DashboardCore, Options, MAX_FRAME_BYTES, OPTION_KEYS};
use crate::reconnect::{Action, FeedEvent, FeedState, Reconnect, ReconnectConfig};
use crate::view::{CpuScale, Metric, SortBy};
use crate::web_paint::{self, Painter};
use crate::web_ui::{self, Ui};

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r##"
/** Options for `new Dashboard(canvas, options)`. Every field is optional. */
export interface DashboardOptions {
  /** WebSocket URL of the feed (ws:// or wss://). Default: `/ws` on the page's own origin,
   *  with the page's `?token=` passed along. The page adds `frames=binary` unless the URL has
   *  a `frames` parameter (`frames=text` keeps text frames). */
  feed?: string;
  /** Connect to the feed at all; `false` feeds the chart only through `ingest()`. Default true. */
  connect?: boolean;
  /** Seconds of history shown (a sliding window ending at the newest sample). Default 300. */
  windowSeconds?: number;
  /** Seconds a stopped container's curve stays after its last sample. Default 60. */
  ttlSeconds?: number;
  /** "light", "dark", or "auto" to follow `prefers-color-scheme`. Default "auto". */
  theme?: "light" | "dark" | "auto";
  /** Curve colours as "#rrggbb", used in order. Default: a colour-blind-safe palette. */
  colors?: string[];
  /** Points kept per container. Default: enough for the window at 1 Hz. */
  historyPoints?: number;
  /** The element (or its id) where the feed status is written as text. */
  status?: HTMLElement | string;
  /** The element (or its id), usually a <ul>, that lists the containers. Click an entry to show
   *  only it (again: all); shift- or ctrl-click to show or hide it alone. */
  legend?: HTMLElement | string;
  /** The element (or its id) of a <table> kept as a screen-reader summary (container, current
   *  value, trend), refreshed every 10 s. Default: a visually hidden table after the canvas. */
  table?: HTMLElement | string;
  /** "cpu" | "memory" | "memoryPercent" | "netRx" | "netTx" | "blockRead" | "blockWrite".
   *  Rates are per second, all network interfaces summed. Default "cpu". */
  metric?: DashboardMetric;
  /** What 100 % CPU means: "core" (the docker CLI's), "host" (all online CPUs) or "limit" (the
   *  container's CPU limit, from the bridge; without a limit, the host). Default "core". */
  cpuScale?: "core" | "host" | "limit";
  /** Legend order: "name" or "value" (current value of the metric, highest first). */
  sort?: "name" | "value";
  /** Show only the N busiest containers (mean of their last 10 points). Default: all. */
  topN?: number;
  /** Show only containers whose name contains this, or whose ID starts with it. */
  filter?: string;
  /** A least-squares rate over the last k samples with a ±1 SD band; 0 = off. Default 0. */
  smooth?: number;
  /** Curve width, CSS px (0.5–8). Default 1.5 up to 12 curves, else one device pixel. */
  lineWidth?: number;
  /** Name curves at their right end (at most 12 curves). Default true. */
  labels?: boolean;
  /** Hover tooltip and keyboard cursor. Default true. */
  tooltip?: boolean;
}

export type DashboardMetric =
  "cpu" | "memory" | "memoryPercent" | "netRx" | "netTx" | "blockRead" | "blockWrite";

/** What `settings()` returns: the viewer's current choices. */
export interface DashboardSettings {
  metric: DashboardMetric;
  cpuScale: "core" | "host" | "limit";
  sort: "name" | "value";
  topN: number | null;
  filter: string;
  smooth: number;
  paused: boolean;
  zoomed: boolean;
}

/** What `tooltip()` returns (null without a cursor): values printed as the tooltip shows them. */
export interface DashboardTooltip {
  tMs: number;
  time: string;
  metric: DashboardMetric;
  rows: { id: string; name: string; color: string; tMs: number; value: string; cpu: string;
          memory: string; memoryPercent: string; netRx: string; netTx: string; blockRead: string;
          blockWrite: string; flag: string; explain?: string; focused: boolean }[];
  more: number;
  marks: { name: string; kind: string; tMs: number; text: string }[];
}

/** What `snapshot()` returns: the current window, per container in legend order. */
export interface DashboardSnapshot {
  containers: { id: string; name: string; cpu: [t_ms: number, cpu_percent: number][] }[];
}

/** What `status()` returns. */
export interface DashboardStatus {
  state: "idle" | "connecting" | "live" | "reconnecting" | "stopped";
  paused: boolean;
  /** Zoomed or panned away from the live window. */
  zoomed: boolean;
  /** Redraws so far (the chart redraws for new data at most 4 times a second, and less often
   *  when a redraw is costly: drawing for new data takes at most 10 % of the main thread). */
  redraws: number;
  /** Main-thread time of the last live redraw, ms, and the animation frames it was spread over
   *  (a large chart is drawn a few curves per frame, so no frame is held up). */
  redrawMs: number;
  redrawFrames: number;
  /** The longest of those frames' share of it, ms. */
  redrawLongestFrameMs: number;
  /** The curves' width at the last redraw, device px (1.5 CSS px up to 12 curves, else 1). */
  lineWidthDevicePx: number;
  /** Lifecycle events received from the bridge (kept: the last 2048). */
  events: number;
  /** The reconnect attempt about to be made (while reconnecting). */
  attempt: number;
  frames: number;
  samples: number;
  malformed: number;
  oversized: number;
  bridgeDropped: number;
  /** Samples not newer than their container's previous one (duplicates, time going back): ignored. */
  late: number;
  /** The size of this module's WebAssembly memory, bytes (it grows, never shrinks). */
  wasmMemoryBytes: number;
  lastError?: string;
  source?: string;
  describe?: string;
  containers: number;
  feed?: string;
}
"##;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(typescript_type = "DashboardOptions")]
    pub type DashboardOptions;
    #[wasm_bindgen(typescript_type = "DashboardSnapshot")]
    pub type DashboardSnapshot;
    #[wasm_bindgen(typescript_type = "DashboardStatus")]
    pub type DashboardStatus;
    #[wasm_bindgen(typescript_type = "DashboardSettings")]
    pub type DashboardSettings;
    #[wasm_bindgen(typescript_type = "DashboardTooltip | null")]
    pub type DashboardTooltip;
}

/// Live CPU curves of Docker containers on a canvas: the handle a page or a dashboard embeds.
#[wasm_bindgen]
pub struct Dashboard {
    inner: Rc<RefCell<Inner>>,
}

impl std::fmt::Debug for Dashboard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let i = self.inner.borrow();
        f.debug_struct("Dashboard")
            .field("feed", &i.feed_url)
            .field("state", &i.policy.state())
            .field("containers", &i.core.engine().len())
            .finish()
    }
}

/// An event listener that is removed when dropped.
pub(crate) struct Listener {
    target: EventTarget,
    kind: &'static str,
    closure: Closure<dyn FnMut(Event)>,
}

impl Listener {
    /// Adds `f` as the `kind` listener of `target`.
    pub(crate) fn new(
        target: EventTarget,
        kind: &'static str,
        f: Box<dyn FnMut(Event)>,
    ) -> Result<Listener, JsValue> {
        let closure = Closure::<dyn FnMut(Event)>::new(f);
        target.add_event_listener_with_callback(kind, closure.as_ref().unchecked_ref())?;
        Ok(Listener {
            target,
            kind,
            closure,
        })
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self
            .target
            .remove_event_listener_with_callback(self.kind, self.closure.as_ref().unchecked_ref());
    }
}

/// The WebSocket and its handlers; dropping it detaches them and closes the socket.
struct Socket {
    ws: WebSocket,
    _onopen: Closure<dyn FnMut(Event)>,
    _onmessage: Closure<dyn FnMut(MessageEvent)>,
    _onclose: Closure<dyn FnMut(CloseEvent)>,
}

impl Drop for Socket {
    fn drop(&mut self) {
        self.ws.set_onopen(None);
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        let _ = self.ws.close();
    }
}

pub(crate) struct Inner {
    pub(crate) core: DashboardCore,
    pub(crate) canvas: HtmlCanvasElement,
    status_el: Option<HtmlElement>,
    pub(crate) legend_el: Option<HtmlElement>,
    pub(crate) ui: Ui,
    feed_url: Option<String>,
    policy: Reconnect,
    socket: Option<Socket>,
    /// Sockets closed from their own handlers, dropped on the next tick (not while running).
    retired: Vec<Socket>,
    raf: Option<Closure<dyn FnMut(f64)>>,
    raf_pending: Option<i32>,
    tick: Option<(i32, Closure<dyn FnMut()>)>,
    listeners: Vec<Listener>,
    resize: Option<(ResizeObserver, Closure<dyn FnMut()>)>,
    last_status: String,
    /// A timer that brings the next data redraw due under the redraw budget.
    redraw_timer: Option<(i32, Closure<dyn FnMut()>)>,
    /// When the chart was last drawn (`performance.now()`), for the redraw budget.
    pub(crate) last_draw_ms: f64,
    /// The next draw answers the viewer (hover, keys, clicks): no budget.
    pub(crate) urgent: bool,
    pub(crate) redraws: u64,
    /// The curves' width in device px at the last draw.
    pub(crate) line_px: f64,
    /// Live redraws, drawn over several frames when large.
    pub(crate) painter: Painter,
    /// Device px per CSS px of the last draw, and where its plot area landed.
    pub(crate) scale: f64,
    pub(crate) plot: PlotRect,
    pub(crate) plot_range: (f64, f64),
    encoder: Utf8Encoder,
    /// The last frame's bytes; reused so a frame costs no allocation.
    frame_buf: Vec<u8>,
    /// This module's `WebAssembly.Memory`, which `encode_frame` writes into.
    memory: JsValue,
    /// This handle's own cell, for timers that call back into it.
    self_ref: Weak<RefCell<Inner>>,
    destroyed: bool,
}

pub(crate) fn window() -> Result<Window, JsValue> {
    web_sys::window()
        .ok_or_else(|| JsValue::from_str("no window: statscope runs in a browser page"))
}

pub(crate) fn document() -> Result<Document, JsValue> {
    window()?
        .document()
        .ok_or_else(|| JsValue::from_str("no document"))
}

pub(crate) fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or_else(js_sys::Date::now, |p| p.now())
}

/// An element given as itself or by id.
fn element_option(options: &JsValue, key: &str) -> Result<Option<HtmlElement>, JsValue> {
    if !options.is_object() {
        return Ok(None);
    }
    let value = js_sys::Reflect::get(options, &JsValue::from_str(key))?;
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    if let Some(id) = value.as_string() {
        return document()?
            .get_element_by_id(&id)
            .and_then(|e| e.dyn_into::<HtmlElement>().ok())
            .map(Some)
            .ok_or_else(|| JsValue::from_str(&format!("option {key}: no element with id {id:?}")));
    }
    value.dyn_into::<HtmlElement>().map(Some).map_err(|_| {
        JsValue::from_str(&format!("option {key} must be an element or an element id"))
    })
}

/// `/ws` on the page's own origin (ws: or wss:), with the page's `?token=` passed along.
fn default_feed_url() -> Result<String, JsValue> {
    let location = window()?.location();
    let scheme = if location.protocol()? == "https:" {
        "wss"
    } else {
        "ws"
    };
    let mut url = format!("{scheme}://{}/ws", location.host()?);
    let params = web_sys::UrlSearchParams::new_with_str(&location.search()?)?;
    if let Some(token) = params.get("token") {
        url.push_str("?token=");
        url.push_str(&String::from(js_sys::encode_uri_component(&token)));
    }
    Ok(url)
}

/// `url` asking for binary frames (`frames=binary`), unless it says which it wants: the page takes
/// a binary frame's UTF-8 bytes as they are, where a text frame is decoded by the browser and
/// encoded again for Wasm (~1 µs a sample). A server that does not know the parameter sends text,
/// which the page reads too.
fn with_binary_frames(url: &str) -> Result<String, JsValue> {
    let parsed = web_sys::Url::new(url)?;
    if parsed.search_params().get("frames").is_none() {
        parsed.search_params().append("frames", "binary");
    }
    Ok(parsed.href())
}

#[wasm_bindgen]
impl Dashboard {
    /// Starts a dashboard on `canvas`: connects to the feed (unless `connect: false`) and draws.
    #[wasm_bindgen(constructor)]
    pub fn new(
        canvas: HtmlCanvasElement,
        options: Option<DashboardOptions>,
    ) -> Result<Dashboard, JsValue> {
        let options: JsValue = options.map_or(JsValue::UNDEFINED, Into::into);
        let parsed: Options = if options.is_undefined() || options.is_null() {
            Options::default()
        } else {
            if let Some(object) = options.dyn_ref::<js_sys::Object>() {
                for key in js_sys::Object::keys(object)
                    .iter()
                    .filter_map(|k| k.as_string())
                {
                    if !OPTION_KEYS.contains(&key.as_str()) {
                        return Err(JsValue::from_str(&format!(
                            "statscope options: unknown field `{key}`, expected one of {}",
                            OPTION_KEYS.join(", ")
                        )));
                    }
                }
            }
            serde_wasm_bindgen::from_value(options.clone())
                .map_err(|e| JsValue::from_str(&format!("statscope options: {e}")))?
        };
        let status_el = element_option(&options, "status")?;
        let legend_el = element_option(&options, "legend")?;
        let table_el = element_option(&options, "table")?;
        let feed_url = match (&parsed.feed, parsed.connect) {
            (_, false) => None,
            (Some(url), true) => Some(with_binary_frames(url)?),
            (None, true) => Some(with_binary_frames(&default_feed_url()?)?),
        };
        let core = DashboardCore::new(parsed)
            .map_err(|e| JsValue::from_str(&format!("statscope options: {e}")))?;
        let ui = Ui::new(&canvas, table_el)?;
        let seed = (js_sys::Math::random() * 9.0e15) as u64;
        let inner = Rc::new(RefCell::new(Inner {
            core,
            canvas,
            status_el,
            legend_el,
            ui,
            feed_url,
            policy: Reconnect::new(ReconnectConfig::default(), seed),
            socket: None,
            retired: Vec::new(),
            raf: None,
            raf_pending: None,
            tick: None,
            listeners: Vec::new(),
            resize: None,
            last_status: String::new(),
            redraw_timer: None,
            last_draw_ms: f64::NEG_INFINITY,
            urgent: true,
            redraws: 0,
            line_px: 1.0,
            painter: Painter::default(),
            scale: 1.0,
            plot: PlotRect::default(),
            plot_range: (0.0, 0.0),
            encoder: Utf8Encoder::new(),
            frame_buf: Vec::new(),
            memory: wasm_bindgen::memory(),
            self_ref: Weak::new(),
            destroyed: false,
        }));
        inner.borrow_mut().self_ref = Rc::downgrade(&inner);
        install(&inner)?;
        web_ui::install(&inner)?;
        let weak = Rc::downgrade(&inner);
        {
            let mut i = inner.borrow_mut();
            if i.feed_url.is_some() {
                let action = i.policy.on_event(FeedEvent::Start, now_ms());
                act(&mut i, &weak, action);
            }
            schedule_frame(&mut i);
        }
        Ok(Dashboard { inner })
    }

    /// Pushes one frame (a Docker stats object or a JSON array of them, as a string or as UTF-8 in
    /// an `ArrayBuffer` or `Uint8Array`) as if the socket sent it.
    pub fn ingest(&self, frame: &JsValue) {
        let mut i = self.inner.borrow_mut();
        if i.destroyed {
            return;
        }
        take_frame(&mut i, frame);
        schedule_frame(&mut i);
    }

    /// The current window: `{ containers: [ { id, name, cpu: [[t_ms, cpu_percent], …] }, … ] }`.
    pub fn snapshot(&self) -> Result<DashboardSnapshot, JsValue> {
        let mut i = self.inner.borrow_mut();
        i.core.flush();
        let snapshot = i.core.snapshot();
        Ok(serde_wasm_bindgen::to_value(&snapshot)?.unchecked_into())
    }

    /// The feed's state and counters.
    pub fn status(&self) -> Result<DashboardStatus, JsValue> {
        let i = self.inner.borrow();
        let (state, attempt) = state_name(i.policy.state());
        let c = i.core.counts();
        let object = js_sys::Object::new();
        let set = |k: &str, v: JsValue| js_sys::Reflect::set(&object, &JsValue::from_str(k), &v);
        set("state", state.into())?;
        set("paused", i.core.is_paused().into())?;
        set("zoomed", i.core.is_zoomed().into())?;
        set("redraws", (i.redraws as f64).into())?;
        set("redrawMs", i.painter.last_cost_ms().into())?;
        set("redrawFrames", f64::from(i.painter.last_steps).into())?;
        set(
            "redrawLongestFrameMs",
            i.painter.last_longest_step_ms.into(),
        )?;
        set("lineWidthDevicePx", i.line_px.into())?;
        set("events", (i.core.lifecycle().event_count() as f64).into())?;
        set("attempt", attempt.into())?;
        set("frames", (c.frames as f64).into())?;
        set("samples", (c.samples as f64).into())?;
        set("malformed", (c.malformed as f64).into())?;
        set("oversized", (c.oversized as f64).into())?;
        set("bridgeDropped", (c.bridge_dropped as f64).into())?;
        set("containers", (i.core.engine().len() as f64).into())?;
        set("late", (i.core.engine().counts().late as f64).into())?;
        let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
        let bytes = js_sys::Reflect::get(&memory.buffer(), &JsValue::from_str("byteLength"))?;
        set("wasmMemoryBytes", bytes)?;
        for (key, value) in [
            ("lastError", &c.last_error),
            ("source", &c.source),
            ("describe", &c.describe),
            ("feed", &i.feed_url),
        ] {
            if let Some(v) = value {
                set(key, v.as_str().into())?;
            }
        }
        Ok(object.unchecked_into())
    }

    /// Freezes the view; data keeps being ingested.
    pub fn pause(&self) {
        self.interact(|core| core.pause());
    }

    /// Back to the live view (also out of a zoom), with everything that arrived meanwhile.
    pub fn resume(&self) {
        self.interact(|core| core.resume());
    }

    /// Shows `metric`: "cpu", "memory", "memoryPercent", "netRx", "netTx", "blockRead", "blockWrite".
    #[wasm_bindgen(js_name = setMetric)]
    pub fn set_metric(&self, metric: &str) -> Result<(), JsValue> {
        let m = Metric::from_key(metric).ok_or_else(|| {
            let all: Vec<&str> = Metric::ALL.iter().map(|m| m.key()).collect();
            JsValue::from_str(&format!(
                "statscope: unknown metric {metric:?}, expected one of {}",
                all.join(", ")
            ))
        })?;
        self.interact(|core| core.set_metric(m));
        Ok(())
    }

    /// What 100 % CPU means: "core", "host" or "limit".
    #[wasm_bindgen(js_name = setCpuScale)]
    pub fn set_cpu_scale(&self, scale: &str) -> Result<(), JsValue> {
        let s = CpuScale::from_key(scale).ok_or_else(|| {
            JsValue::from_str(&format!(
                "statscope: unknown CPU scale {scale:?}, expected core, host or limit"
            ))
        })?;
        self.interact(|core| core.set_cpu_scale(s));
        Ok(())
    }

    /// Legend order: "name" or "value".
    #[wasm_bindgen(js_name = setSort)]
    pub fn set_sort(&self, sort: &str) -> Result<(), JsValue> {
        let s = match sort {
            "name" => SortBy::Name,
            "value" => SortBy::Value,
            _ => {
                return Err(JsValue::from_str(&format!(
                    "statscope: unknown sort {sort:?}, expected name or value"
                )))
            }
        };
        self.interact(|core| core.set_sort(s));
        Ok(())
    }

    /// Shows only the `n` busiest containers; 0 shows all.
    #[wasm_bindgen(js_name = setTopN)]
    pub fn set_top_n(&self, n: u32) {
        self.interact(|core| core.set_top_n(Some(n as usize)));
    }

    /// Shows only containers whose name contains `text` or whose ID starts with it ("" = all).
    #[wasm_bindgen(js_name = setFilter)]
    pub fn set_filter(&self, text: &str) {
        self.interact(|core| core.set_filter(text));
    }

    /// A smoothed rate over the last `k` samples with its spread as a band; 0 turns it off.
    #[wasm_bindgen(js_name = setSmoothing)]
    pub fn set_smoothing(&self, k: u32) -> Result<(), JsValue> {
        let mut result = Ok(());
        self.interact(|core| result = core.set_smooth(k as usize));
        result.map_err(|e| JsValue::from_str(&format!("statscope: {e}")))
    }

    /// "light", "dark" or "auto" (follows `prefers-color-scheme`).
    #[wasm_bindgen(js_name = setTheme)]
    pub fn set_theme(&self, theme: &str) -> Result<(), JsValue> {
        let mut result = Ok(());
        self.interact(|core| result = core.set_theme(theme));
        result.map_err(|e| JsValue::from_str(&format!("statscope: {e}")))
    }

    /// Shows only container `id` (again: all), as a click on its legend entry does.
    pub fn isolate(&self, id: &str) {
        self.interact(|core| core.isolate(id));
    }

    /// Shows or hides container `id` alone, as a shift- or ctrl-click on its legend entry does.
    pub fn toggle(&self, id: &str) {
        self.interact(|core| core.toggle(id));
    }

    /// Shows every container again.
    #[wasm_bindgen(js_name = showAll)]
    pub fn show_all(&self) {
        self.interact(|core| core.show_all());
    }

    /// Zooms the time axis by `factor` (< 1 in, > 1 out) around its middle.
    pub fn zoom(&self, factor: f64) {
        self.interact(|core| {
            let (x0, x1) = core.window_ms();
            core.zoom(factor, (x0 + x1) / 2.0);
        });
    }

    /// Moves the cursor to `tMs` (ms since the epoch), or hides it (`null`), as hovering does.
    #[wasm_bindgen(js_name = setCursor)]
    pub fn set_cursor(&self, t_ms: Option<f64>) {
        self.interact(|core| core.set_cursor(t_ms));
    }

    /// The viewer's current choices.
    pub fn settings(&self) -> Result<DashboardSettings, JsValue> {
        let i = self.inner.borrow();
        Ok(serde_wasm_bindgen::to_value(&i.core.settings())?.unchecked_into())
    }

    /// What the tooltip shows now, or `null` without a cursor.
    pub fn tooltip(&self) -> Result<DashboardTooltip, JsValue> {
        let mut i = self.inner.borrow_mut();
        i.core.flush();
        let tip = i.core.tooltip(tz_offset());
        let serializer = serde_wasm_bindgen::Serializer::json_compatible();
        Ok(serde::Serialize::serialize(&tip, &serializer)?.unchecked_into())
    }

    /// The current window as CSV, in the columns of `statscope stats --format csv`: the shown
    /// containers' samples, by time then ID, CPU on the docker CLI's scale.
    #[wasm_bindgen(js_name = exportCsv)]
    pub fn export_csv(&self) -> String {
        let mut i = self.inner.borrow_mut();
        i.core.flush();
        i.core.export_csv()
    }

    /// The chart as a PNG `data:` URL, at the canvas's size in device pixels.
    #[wasm_bindgen(js_name = exportPng)]
    pub fn export_png(&self) -> Result<String, JsValue> {
        let mut i = self.inner.borrow_mut();
        i.core.flush();
        i.core.mark_changed();
        render(&mut i)?;
        i.canvas.to_data_url_with_type("image/png")
    }

    /// Applies the frames queued since the last animation frame as one micro-batch, without drawing.
    /// Returns how many containers the engine holds.
    pub fn flush(&self) -> usize {
        let mut i = self.inner.borrow_mut();
        i.core.flush();
        i.core.engine().len()
    }

    /// Applies what is queued and draws now (normally this happens on the next animation frame).
    pub fn redraw(&self) -> Result<(), JsValue> {
        let mut i = self.inner.borrow_mut();
        i.core.flush();
        i.core.mark_changed();
        render(&mut i)
    }

    /// Runs a viewer's action on the core and redraws on the next animation frame.
    fn interact(&self, f: impl FnOnce(&mut DashboardCore)) {
        let mut i = self.inner.borrow_mut();
        if i.destroyed {
            return;
        }
        f(&mut i.core);
        request_redraw(&mut i);
    }

    /// Stops everything: closes the socket, removes every listener and timer. Idempotent.
    pub fn destroy(&self) {
        let mut i = self.inner.borrow_mut();
        if i.destroyed {
            return;
        }
        i.destroyed = true;
        i.policy.on_event(FeedEvent::Stop, now_ms());
        i.socket = None;
        i.retired.clear();
        if let Ok(w) = window() {
            if let Some(id) = i.raf_pending.take() {
                let _ = w.cancel_animation_frame(id);
            }
            if let Some((id, _)) = i.tick.take() {
                w.clear_interval_with_handle(id);
            }
            if let Some((id, _)) = i.redraw_timer.take() {
                w.clear_timeout_with_handle(id);
            }
        }
        i.ui.destroy();
        i.painter = Painter::default();
        if let Some((observer, _)) = i.resize.take() {
            observer.disconnect();
        }
        i.listeners.clear();
        i.raf = None;
        update_status(&mut i);
    }
}

/// Sets up the animation-frame callback, the 1 s tick, page listeners and the resize observer.
fn install(inner: &Rc<RefCell<Inner>>) -> Result<(), JsValue> {
    let w = window()?;
    let weak = Rc::downgrade(inner);

    let raf = {
        let weak = weak.clone();
        Closure::<dyn FnMut(f64)>::new(move |_t: f64| {
            let Some(rc) = weak.upgrade() else { return };
            let mut i = rc.borrow_mut();
            i.raf_pending = None;
            if i.destroyed {
                return;
            }
            let changed = i.core.flush();
            let due = i.last_draw_ms + i.painter.data_interval_ms();
            let drawn = if i.painter.busy() {
                web_paint::step(&mut i)
            } else if changed && (i.urgent || now_ms() >= due) {
                web_paint::start(&mut i)
            } else if i.core.cursor_moved() {
                // Only the cursor answers at once; new data waits for its slot.
                web_paint::cursor(&mut i)
            } else {
                Ok(())
            };
            if let Err(e) = drawn {
                i.painter.cancel();
                web_sys::console::warn_1(&e);
            }
            // Data that came while a redraw was in progress, or the viewer's action.
            let more = i.core.flush();
            if i.painter.busy() || (more && i.urgent) || i.core.cursor_moved() {
                schedule_frame(&mut i);
            } else if more {
                let due = i.last_draw_ms + i.painter.data_interval_ms();
                redraw_at(&mut i, (due - now_ms()).max(0.0));
            }
            update_status(&mut i);
        })
    };

    let tick = {
        let weak = weak.clone();
        Closure::<dyn FnMut()>::new(move || {
            let Some(rc) = weak.upgrade() else { return };
            let mut i = rc.borrow_mut();
            i.retired.clear();
            let action = i.policy.on_event(FeedEvent::Tick, now_ms());
            act(&mut i, &weak, action);
            update_status(&mut i);
            web_ui::tick(&mut i);
        })
    };
    let tick_id = w.set_interval_with_callback_and_timeout_and_arguments_0(
        tick.as_ref().unchecked_ref(),
        1000,
    )?;

    let mut listeners = Vec::new();
    let mut listen = |target: EventTarget,
                      kind: &'static str,
                      f: Box<dyn FnMut(Event)>|
     -> Result<(), JsValue> {
        listeners.push(Listener::new(target, kind, f)?);
        Ok(())
    };
    let on_page_event = |event: FeedEvent| {
        let weak = weak.clone();
        Box::new(move |_e: Event| {
            let Some(rc) = weak.upgrade() else { return };
            let mut i = rc.borrow_mut();
            let visible =
                document().map(|d| d.visibility_state() == web_sys::VisibilityState::Visible);
            if event == FeedEvent::Visible && !visible.unwrap_or(true) {
                return;
            }
            let action = i.policy.on_event(event, now_ms());
            act(&mut i, &weak, action);
            request_redraw(&mut i);
        }) as Box<dyn FnMut(Event)>
    };
    listen(w.clone().into(), "online", on_page_event(FeedEvent::Online))?;
    listen(
        document()?.into(),
        "visibilitychange",
        on_page_event(FeedEvent::Visible),
    )?;
    if let Ok(Some(query)) = w.match_media("(prefers-color-scheme: dark)") {
        let weak = weak.clone();
        listen(
            query.into(),
            "change",
            Box::new(move |_e: Event| {
                let Some(rc) = weak.upgrade() else { return };
                let mut i = rc.borrow_mut();
                request_redraw(&mut i);
            }),
        )?;
    }

    let on_resize = {
        let weak = weak.clone();
        Closure::<dyn FnMut()>::new(move || {
            let Some(rc) = weak.upgrade() else { return };
            let mut i = rc.borrow_mut();
            request_redraw(&mut i);
        })
    };
    let observer = ResizeObserver::new(on_resize.as_ref().unchecked_ref())?;
    {
        let i = inner.borrow();
        observer.observe(&i.canvas);
    }

    let mut i = inner.borrow_mut();
    i.raf = Some(raf);
    i.tick = Some((tick_id, tick));
    i.listeners = listeners;
    i.resize = Some((observer, on_resize));
    Ok(())
}

/// Does what the reconnect policy decided.
fn act(i: &mut Inner, weak: &Weak<RefCell<Inner>>, action: Action) {
    match action {
        Action::Nothing => {}
        Action::Close => {
            if let Some(s) = &i.socket {
                let _ = s.ws.close();
            }
        }
        Action::Connect => {
            if let Some(old) = i.socket.take() {
                i.retired.push(old);
            }
            let Some(url) = i.feed_url.clone() else {
                return;
            };
            match open_socket(&url, weak) {
                Ok(socket) => i.socket = Some(socket),
                Err(e) => {
                    i.core.mark_changed();
                    let message = e.as_string().unwrap_or_else(|| format!("{e:?}"));
                    web_sys::console::warn_1(&JsValue::from_str(&format!(
                        "statscope: cannot open {url}: {message}"
                    )));
                    let next = i.policy.on_event(FeedEvent::Closed, now_ms());
                    debug_assert_eq!(next, Action::Nothing);
                }
            }
        }
    }
    update_status(i);
}

fn open_socket(url: &str, weak: &Weak<RefCell<Inner>>) -> Result<Socket, JsValue> {
    let ws = WebSocket::new(url)?;
    // A binary frame (UTF-8 JSON) arrives as an ArrayBuffer, read like a text frame.
    ws.set_binary_type(web_sys::BinaryType::Arraybuffer);
    let onopen = {
        let weak = weak.clone();
        Closure::<dyn FnMut(Event)>::new(move |_e: Event| {
            let Some(rc) = weak.upgrade() else { return };
            let mut i = rc.borrow_mut();
            let action = i.policy.on_event(FeedEvent::Opened, now_ms());
            act(&mut i, &weak, action);
        })
    };
    let onmessage = {
        let weak = weak.clone();
        Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            let Some(rc) = weak.upgrade() else { return };
            let mut i = rc.borrow_mut();
            take_frame(&mut i, &e.data());
            i.policy.on_event(FeedEvent::Message, now_ms());
            // A hidden tab gets no animation frames: keep the queue bounded by applying it here.
            if i.core.pending() > 20_000 {
                i.core.flush();
            }
            schedule_frame(&mut i);
        })
    };
    let onclose = {
        let weak = weak.clone();
        Closure::<dyn FnMut(CloseEvent)>::new(move |_e: CloseEvent| {
            let Some(rc) = weak.upgrade() else { return };
            let mut i = rc.borrow_mut();
            // This closure belongs to the socket: retire it rather than drop it while running.
            if let Some(old) = i.socket.take() {
                i.retired.push(old);
            }
            let action = i.policy.on_event(FeedEvent::Closed, now_ms());
            act(&mut i, &weak, action);
        })
    };
    ws.set_onopen(Some(onopen.as_ref().unchecked_ref()));
    ws.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
    ws.set_onclose(Some(onclose.as_ref().unchecked_ref()));
    Ok(Socket {
        ws,
        _onopen: onopen,
        _onmessage: onmessage,
        _onclose: onclose,
    })
}

pub(crate) fn schedule_frame(i: &mut Inner) {
    if i.raf_pending.is_some() || i.destroyed {
        return;
    }
    let (Ok(w), Some(raf)) = (window(), i.raf.as_ref()) else {
        return;
    };
    if let Ok(id) = w.request_animation_frame(raf.as_ref().unchecked_ref()) {
        i.raf_pending = Some(id);
    }
}

pub(crate) fn theme(i: &Inner) -> Theme {
    let dark = match i.core.options().theme.as_str() {
        "dark" => true,
        "light" => false,
        _ => window()
            .ok()
            .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten())
            .is_some_and(|q| q.matches()),
    };
    if dark {
        Theme::dark()
    } else {
        Theme::light()
    }
}

#[wasm_bindgen]
extern "C" {
    /// The browser's `TextEncoder`, bound to take a JS string as it is: wasm-bindgen's own `&str`
    /// passing copies a string into Wasm one `charCodeAt` at a time (about 3 µs for a 2 KB stats
    /// object); `encodeInto` writes it natively.
    #[wasm_bindgen(js_name = TextEncoder)]
    type Utf8Encoder;
    #[wasm_bindgen(constructor, js_class = "TextEncoder")]
    fn new() -> Utf8Encoder;
}

#[wasm_bindgen(inline_js = "let view = null;
export function encode_frame(encoder, text, memory, ptr, cap) {
  if (view === null || view.buffer !== memory.buffer || view.byteOffset !== ptr || view.length !== cap) {
    view = new Uint8Array(memory.buffer, ptr, cap);
  }
  const r = encoder.encodeInto(text, view);
  return r.read === text.length ? r.written : -1;
}")]
extern "C" {
    /// Encodes `text` as UTF-8 straight into Wasm memory at `ptr..ptr + cap` (one call, no copy
    /// through a JS array; the view on that memory is kept while the buffer stays where it is): the
    /// bytes written, or -1 if `cap` was too small for all of it.
    fn encode_frame(
        encoder: &Utf8Encoder,
        text: &JsValue,
        memory: &JsValue,
        ptr: u32,
        cap: u32,
    ) -> i32;
}

/// Hands one frame to the core: a JS string (encoded to UTF-8 by the browser straight into a buffer
/// in Wasm memory reused from frame to frame), an `ArrayBuffer` or a `Uint8Array` (UTF-8 JSON,
/// copied once into that buffer). Anything else is counted as malformed.
fn take_frame(i: &mut Inner, data: &JsValue) {
    if let Some(text) = data.dyn_ref::<js_sys::JsString>() {
        // UTF-8 needs at least one byte per UTF-16 unit and at most three.
        let units = text.length() as usize;
        if units > MAX_FRAME_BYTES {
            i.core.refuse_oversized(units);
            return;
        }
        let mut buf = frame_buf(i, 3 * units);
        // The pointer escapes to JS, which writes the bytes into the buffer's initialized length.
        let written = encode_frame(
            &i.encoder,
            data,
            &i.memory,
            buf.as_mut_ptr() as u32,
            buf.len() as u32,
        );
        match usize::try_from(written) {
            Ok(n) if n <= buf.len() => i.core.ingest_bytes(&buf[..n]),
            _ => i
                .core
                .refuse("a text frame the browser could not encode as UTF-8"),
        }
        i.frame_buf = buf;
        return;
    }
    let bytes: js_sys::Uint8Array = if data.is_instance_of::<js_sys::ArrayBuffer>() {
        js_sys::Uint8Array::new(data)
    } else if data.is_instance_of::<js_sys::Uint8Array>() {
        data.clone().unchecked_into()
    } else {
        i.core
            .refuse("not a frame: expected a string, ArrayBuffer or Uint8Array");
        return;
    };
    let len = bytes.length() as usize;
    if len > MAX_FRAME_BYTES {
        i.core.refuse_oversized(len);
        return;
    }
    let mut buf = frame_buf(i, len);
    bytes.copy_to(&mut buf[..len]);
    i.core.ingest_bytes(&buf[..len]);
    i.frame_buf = buf;
}

/// The buffer reused from frame to frame, taken out of `i` with at least `len` bytes (zeroed only
/// where it grows); the caller puts it back.
fn frame_buf(i: &mut Inner, len: usize) -> Vec<u8> {
    let mut buf = std::mem::take(&mut i.frame_buf);
    if buf.len() < len {
        buf.resize(len, 0);
    }
    buf
}

/// Asks for the cursor (and tooltip) to be drawn anew on the next animation frame: only the
/// cursor or the focus moved, the chart under it stays.
pub(crate) fn request_cursor_redraw(i: &mut Inner) {
    schedule_frame(i);
}

/// Asks for a redraw on the next animation frame, without the data budget (the viewer acted).
pub(crate) fn request_redraw(i: &mut Inner) {
    i.core.mark_changed();
    i.urgent = true;
    schedule_frame(i);
}

/// Brings the next animation frame in `delay_ms` (the redraw budget's next slot).
fn redraw_at(i: &mut Inner, delay_ms: f64) {
    if i.redraw_timer.is_some() {
        return;
    }
    let Some(rc) = i.self_ref.upgrade() else {
        return;
    };
    let weak = Rc::downgrade(&rc);
    let closure = Closure::<dyn FnMut()>::new(move || {
        let Some(rc) = weak.upgrade() else { return };
        let mut i = rc.borrow_mut();
        // Keep the closure alive until this call returns; it is replaced by the next timer.
        let _done = i.redraw_timer.take();
        schedule_frame(&mut i);
    });
    let Ok(w) = window() else { return };
    if let Ok(id) = w.set_timeout_with_callback_and_timeout_and_arguments_0(
        closure.as_ref().unchecked_ref(),
        delay_ms.ceil() as i32,
    ) {
        i.redraw_timer = Some((id, closure));
    }
}

/// Minutes east of UTC, for the time labels.
pub(crate) fn tz_offset() -> i32 {
    -(js_sys::Date::new_0().get_timezone_offset() as i32)
}

/// Sizes the canvas to its CSS box × devicePixelRatio, then draws the view, the legend and the
/// tooltip.
pub(crate) fn render(i: &mut Inner) -> Result<(), JsValue> {
    i.painter.cancel();
    let Some((dpr, w, h)) = web_paint::target_size(&i.canvas)? else {
        return Ok(()); // not displayed: nothing to draw
    };
    if i.canvas.width() != w || i.canvas.height() != h {
        i.canvas.set_width(w);
        i.canvas.set_height(h);
    }
    let view = i.core.view_at_width(tz_offset(), w as usize);
    let theme = theme(i);
    let backend = CanvasBackend::with_canvas_object(i.canvas.clone())
        .ok_or_else(|| JsValue::from_str("the canvas has no 2D context"))?;
    let root = backend.into_drawing_area();
    i.plot = chart::draw(&root, &view, &theme, dpr)
        .map_err(|e| JsValue::from_str(&format!("drawing: {e}")))?;
    i.plot_range = view.x_range;
    i.line_px = view.line_width.map_or(1.0, |w| (w * dpr).round().max(1.0));
    i.scale = dpr;
    i.core.mark_drawn();
    i.urgent = false;
    i.last_draw_ms = now_ms();
    i.redraws += 1;
    web_ui::after_draw(i, &theme)
}

fn state_name(state: FeedState) -> (&'static str, u32) {
    match state {
        FeedState::Idle => ("idle", 0),
        FeedState::Connecting => ("connecting", 0),
        FeedState::Live => ("live", 0),
        FeedState::Reconnecting { attempt, .. } => ("reconnecting", attempt + 1),
        FeedState::Stopped => ("stopped", 0),
    }
}

/// The status line, as text: state, source, counts, the last error.
fn update_status(i: &mut Inner) {
    let Some(el) = i.status_el.clone() else {
        return;
    };
    let c = i.core.counts();
    let mut text = match i.policy.state() {
        FeedState::Idle if i.feed_url.is_none() => String::from("not connected (fed by ingest)"),
        FeedState::Idle => String::from("idle"),
        FeedState::Connecting => String::from("connecting…"),
        FeedState::Live => String::from("live"),
        FeedState::Reconnecting { attempt, at_ms } => {
            let secs = ((at_ms - now_ms()) / 1000.0).max(0.0).ceil();
            format!("reconnecting (attempt {}) in {secs} s", attempt + 1)
        }
        FeedState::Stopped => String::from("stopped"),
    };
    if i.core.is_paused() {
        text.push_str(" · paused (Space resumes)");
    }
    if i.core.is_zoomed() {
        text.push_str(" · zoomed (double-click for live)");
    }
    match c.source.as_deref() {
        Some("demo") => text.push_str(" · DEMO feed (simulated containers)"),
        Some("replay") => text.push_str(" · replay"),
        Some("docker") => text.push_str(" · Docker"),
        _ => {}
    }
    let n = i.core.engine().len();
    text.push_str(&format!(
        " · {n} container{}",
        if n == 1 { "" } else { "s" }
    ));
    if c.malformed + c.oversized > 0 {
        text.push_str(&format!(
            " · {} malformed (dropped)",
            c.malformed + c.oversized
        ));
        if let Some(e) = &c.last_error {
            text.push_str(&format!(" (last: {e})"));
        }
    }
    let late = i.core.engine().counts().late;
    if late > 0 {
        text.push_str(&format!(" · {late} late or duplicate sample(s) ignored"));
    }
    if c.bridge_dropped > 0 {
        text.push_str(&format!(
            " · {} frame(s) dropped by the bridge (slow link)",
            c.bridge_dropped
        ));
    }
    let (state, _) = state_name(i.policy.state());
    let _ = el.set_attribute("data-state", state);
    if text != i.last_status {
        el.set_text_content(Some(&text));
        i.last_status = text;
    }
}
