//! The browser layer: the `Dashboard` handle that JavaScript creates on a `<canvas>`.
//!
//! The handle owns everything — a [`DashboardCore`] (all the logic), the feed's socket, the
//! timers, the page's listeners, the canvas, the painter and the DOM state — and calls down into
//! modules that take what they need as arguments and say what happened; none of them reaches back
//! up into this module:
//! - [`socket`]: the WebSocket, with the handlers this module gives it;
//! - [`frames`]: a frame's text or bytes into the core without needless copies;
//! - [`paint`]: live redraws spread over animation frames ([`paint::Progress`] says what was done),
//!   or drawn by the paint worker ([`worker`], on an `OffscreenCanvas`: [`offscreen`]);
//! - [`ui`]: pointer and key input ([`ui::Reaction`] says what to redraw), the legend, the tooltip,
//!   the screen-reader table;
//! - [`dom`] and [`error`]: the page's window and clock, listeners, and the one error type,
//!   converted to a `JsValue` once, at this module's `#[wasm_bindgen]` boundary.
//!
//! What it does itself: frames as they arrive (`onmessage` → `core.ingest`), one micro-batch per
//! animation frame (`requestAnimationFrame` → `core.flush`), a redraw when something changed (new
//! data under the redraw budget, the viewer's actions at once), the status line (its text is the
//! core's), and reconnecting as [`Reconnect`], a pure state machine, decides.
//!
//! Rust owns the device pixel ratio and resizing: before each draw the canvas's backing store is set
//! to its CSS size × `devicePixelRatio`, and a `ResizeObserver` asks for a redraw on resize.
//!
//! Every closure holds a `Weak` reference and is owned by the handle (or by its socket), so
//! `destroy()` (or dropping the handle) removes every listener and frees everything.

mod dom;
mod error;
mod frames;
mod offscreen;
mod paint;
mod socket;
mod ui;
mod worker;

pub use offscreen::OffscreenBackend;
pub use worker::paint as paint_offscreen;

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Event, EventTarget, HtmlCanvasElement, HtmlElement, ResizeObserver};

use crate::chart::{Placed, Theme};
use crate::dashboard::options::{self, TextValue, OPTIONS};
use crate::dashboard::status::{canvas_label, state_name, status_line};
use crate::dashboard::{DashboardCore, Legend, Options, RedrawBuild};
use crate::metrics::METRICS;
use crate::protocol::Message;
use crate::reconnect::{Action, FeedEvent, Reconnect, ReconnectConfig};
use crate::view::{CpuScale, Metric, SortBy};
use dom::{document, element_option, now_ms, prefers_dark, tz_offset, window, Listener};
use error::WebError;
use frames::FrameInput;
use paint::{Painter, Progress, Taken};
use socket::{Handlers, Socket};
use ui::{Input, Reaction, Ui};

// `DashboardOptions` and `DashboardMetric` are generated from the options schema and the metrics
// table (`tests/typescript.rs` keeps the file in step); the rest describes what the methods return.
#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = include_str!("dashboard.d.ts");

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
    #[wasm_bindgen(typescript_type = "DashboardOptionSpec[]")]
    pub type DashboardOptionSpecs;
    #[wasm_bindgen(typescript_type = "DashboardMetricInfo[]")]
    pub type DashboardMetricInfos;
}

/// Every option, and where else it can be given: the bundled page's URL parameters and the
/// `<statscope-chart>` element's attributes are read from this.
#[wasm_bindgen(js_name = optionSchema)]
pub fn option_schema() -> Result<DashboardOptionSpecs, JsValue> {
    #[derive(Serialize)]
    struct Spec {
        key: &'static str,
        #[serde(skip_serializing_if = "Option::is_none")]
        param: Option<&'static str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        attribute: Option<&'static str>,
        text: &'static str,
    }
    let specs: Vec<Spec> = OPTIONS
        .iter()
        .map(|o| Spec {
            key: o.key,
            param: o.param,
            attribute: o.attribute,
            text: o.text.key(),
        })
        .collect();
    Ok(to_js(&specs)?.unchecked_into())
}

/// The options a page's URL gives (`location.search`: `?window=60&scale=limit…`), by each option's
/// URL parameter in the schema.
#[wasm_bindgen(js_name = optionsFromUrl)]
pub fn options_from_url(search: &str) -> Result<DashboardOptions, JsValue> {
    let params = web_sys::UrlSearchParams::new_with_str(search).map_err(WebError::from)?;
    Ok(
        options_object(options::options_from_text(false, |name| params.get(name)))?
            .unchecked_into(),
    )
}

/// The options an element's attributes give (`<statscope-chart window="60" cpu-scale="limit">`), by
/// each option's attribute in the schema.
#[wasm_bindgen(js_name = optionsFromAttributes)]
pub fn options_from_attributes(element: &web_sys::Element) -> Result<DashboardOptions, JsValue> {
    Ok(options_object(options::options_from_text(true, |name| {
        element.get_attribute(name)
    }))?
    .unchecked_into())
}

/// An options object of `(key, value)` pairs.
fn options_object(pairs: Vec<(&'static str, TextValue)>) -> Result<js_sys::Object, WebError> {
    let object = js_sys::Object::new();
    for (key, value) in pairs {
        let value: JsValue = match value {
            TextValue::Text(t) => t.into(),
            TextValue::Number(n) => n.into(),
            TextValue::Boolean(b) => b.into(),
            TextValue::List(l) => l
                .into_iter()
                .map(JsValue::from)
                .collect::<js_sys::Array>()
                .into(),
        };
        js_sys::Reflect::set(&object, &JsValue::from_str(key), &value)?;
    }
    Ok(object)
}

/// The hint under the chart: for a touch screen (`touch`), or a mouse and keyboard.
#[wasm_bindgen]
pub fn hint(touch: bool) -> String {
    crate::dashboard::status::hint(touch).to_string()
}

/// Every metric, in display order (a toolbar's choices).
#[wasm_bindgen]
pub fn metrics() -> Result<DashboardMetricInfos, JsValue> {
    #[derive(Serialize)]
    struct Info {
        key: &'static str,
        label: &'static str,
        title: &'static str,
        /// The log scale applies to it.
        log: bool,
    }
    let all: Vec<Info> = METRICS
        .iter()
        .map(|m| Info {
            key: m.key,
            label: m.label,
            title: m.title,
            log: crate::dashboard::log_scalable(m.metric),
        })
        .collect();
    Ok(to_js(&all)?.unchecked_into())
}

/// `value` as a plain JS value (objects, not `Map`s).
fn to_js(value: &impl Serialize) -> Result<JsValue, WebError> {
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    Ok(value.serialize(&serializer)?)
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
            .field("feed", &i.feed.url)
            .field("state", &i.feed.policy.state())
            .field("containers", &i.core.engine().len())
            .finish()
    }
}

/// The feed: where it is, when to (re)connect, and the socket.
struct Feed {
    url: Option<String>,
    policy: Reconnect,
    socket: Option<Socket>,
    /// The current socket opened (a socket closed before opening was refused, or found nothing).
    opened: bool,
    /// A `/ws/check` is on its way (one at a time).
    checking: bool,
    /// The last check's callbacks, kept alive until it answers (replaced by the next).
    check: Option<CheckCallbacks>,
    /// Sockets closed from their own handlers, dropped on the next tick (not while running).
    retired: Vec<Socket>,
    /// The `statscope.subscribe` this socket's bridge has from this page (in the URL it connected
    /// with, or sent since): the page says it again only when what it shows changes.
    subscribed: Option<String>,
}

/// Longest subscription put in the feed's URL; a longer one (many pinned containers) goes in the
/// URL without its pins, and whole as a message once the socket opens.
const MAX_URL_SUBSCRIPTION: usize = 4096;

/// A `/ws/check`'s callbacks: the response, its JSON, a failure.
type CheckCallbacks = (
    Closure<dyn FnMut(JsValue) -> js_sys::Promise>,
    Closure<dyn FnMut(JsValue)>,
    Closure<dyn FnMut(JsValue)>,
);

/// The callbacks the page calls and what they are waiting for.
#[derive(Default)]
struct Timers {
    raf: Option<Closure<dyn FnMut(f64)>>,
    raf_pending: Option<i32>,
    tick: Option<(i32, Closure<dyn FnMut()>)>,
    /// A timer that brings the next data redraw due under the redraw budget.
    redraw: Option<(i32, Closure<dyn FnMut()>)>,
    resize: Option<(ResizeObserver, Closure<dyn FnMut()>)>,
    /// The legend rows' `IntersectionObserver` callback (the observer is the UI's).
    legend_seen: Option<Closure<dyn FnMut(js_sys::Array, JsValue)>>,
    listeners: Vec<Listener>,
}

struct Inner {
    core: DashboardCore,
    canvas: HtmlCanvasElement,
    status_el: Option<HtmlElement>,
    legend_el: Option<HtmlElement>,
    ui: Ui,
    painter: Painter,
    feed: Feed,
    timers: Timers,
    frames: FrameInput,
    /// Where the chart on the page landed (for the pointer, the cursor, a click's curve).
    placed: Placed,
    last_status: String,
    /// When a live redraw last started (`performance.now()`), for the redraw budget.
    last_draw_ms: f64,
    /// The next draw answers the viewer (hover, keys, clicks): no budget.
    urgent: bool,
    redraws: u64,
    /// A redraw whose view is being taken, over animation frames ([`take_redraw`]).
    taking: Option<Taking>,
    /// This handle's own cell, for timers that call back into it.
    self_ref: Weak<RefCell<Inner>>,
    destroyed: bool,
}

/// A redraw being taken: what it shows, where, and what taking it cost so far.
struct Taking {
    build: RedrawBuild,
    target: paint::Target,
    taken: Taken,
}

/// `/ws` on the page's own origin (ws: or wss:), with the page's `?token=` passed along.
fn default_feed_url() -> Result<String, WebError> {
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
fn with_binary_frames(url: &str) -> Result<String, WebError> {
    let parsed = web_sys::Url::new(url)?;
    if parsed.search_params().get("frames").is_none() {
        parsed.search_params().append("frames", "binary");
    }
    Ok(parsed.href())
}

/// `url` with its `name` parameter set to `value`.
fn with_param(url: &str, name: &str, value: &str) -> Result<String, WebError> {
    let parsed = web_sys::Url::new(url)?;
    parsed.search_params().set(name, value);
    Ok(parsed.href())
}

/// The core's options from the page's options object: unknown keys refused by name.
fn parse_options(options: &JsValue) -> Result<Options, WebError> {
    if options.is_undefined() || options.is_null() {
        return Ok(Options::default());
    }
    if let Some(object) = options.dyn_ref::<js_sys::Object>() {
        let keys: Vec<String> = js_sys::Object::keys(object)
            .iter()
            .filter_map(|k| k.as_string())
            .collect();
        options::check_keys(keys.iter().map(String::as_str))
            .map_err(|e| WebError::Options(e.to_string()))?;
    }
    serde_wasm_bindgen::from_value(options.clone()).map_err(|e| WebError::Options(e.to_string()))
}

#[wasm_bindgen]
impl Dashboard {
    /// Starts a dashboard on `canvas`: connects to the feed (unless `connect: false`) and draws.
    #[wasm_bindgen(constructor)]
    pub fn new(
        canvas: HtmlCanvasElement,
        options: Option<DashboardOptions>,
    ) -> Result<Dashboard, JsValue> {
        Ok(Dashboard::start(canvas, options)?)
    }

    /// Pushes one frame (a Docker stats object or a JSON array of them, as a string or as UTF-8 in
    /// an `ArrayBuffer` or `Uint8Array`) as if the socket sent it.
    pub fn ingest(&self, frame: &JsValue) {
        let mut i = self.inner.borrow_mut();
        if i.destroyed {
            return;
        }
        let Inner { frames, core, .. } = &mut *i;
        frames.take(core, frame);
        schedule_frame(&mut i);
    }

    /// The current window: `{ containers: [ { id, name, cpu: [[t_ms, cpu_percent], …] }, … ] }`.
    pub fn snapshot(&self) -> Result<DashboardSnapshot, JsValue> {
        let mut i = self.inner.borrow_mut();
        i.core.flush_at(Some(now_ms()));
        let snapshot = i.core.snapshot();
        Ok(serde_wasm_bindgen::to_value(&snapshot)
            .map_err(WebError::from)?
            .unchecked_into())
    }

    /// The feed's state and counters.
    pub fn status(&self) -> Result<DashboardStatus, JsValue> {
        Ok(self.status_object()?.unchecked_into())
    }

    /// Freezes the view; data keeps being ingested.
    pub fn pause(&self) {
        self.interact(|core| core.pause());
    }

    /// Back to the live view (also out of a zoom), with everything that arrived meanwhile.
    pub fn resume(&self) {
        self.interact(|core| core.resume());
    }

    /// Shows `metric`: one of `DashboardMetric` ("cpu", "memory", …).
    #[wasm_bindgen(js_name = setMetric)]
    pub fn set_metric(&self, metric: &str) -> Result<(), JsValue> {
        let m = Metric::from_key(metric).ok_or_else(|| {
            WebError::Choice(format!(
                "unknown metric {metric:?}, expected one of {}",
                Metric::keys_listed()
            ))
        })?;
        self.interact(|core| core.set_metric(m));
        Ok(())
    }

    /// What 100 % CPU means: "core", "host" or "limit".
    #[wasm_bindgen(js_name = setCpuScale)]
    pub fn set_cpu_scale(&self, scale: &str) -> Result<(), JsValue> {
        let s = CpuScale::from_key(scale).ok_or_else(|| {
            WebError::Choice(format!(
                "unknown CPU scale {scale:?}, expected core, host or limit"
            ))
        })?;
        self.interact(|core| core.set_cpu_scale(s));
        Ok(())
    }

    /// Legend order: "name", "value", "host" or "project".
    #[wasm_bindgen(js_name = setSort)]
    pub fn set_sort(&self, sort: &str) -> Result<(), JsValue> {
        let Some(s) = SortBy::from_key(sort) else {
            return Err(WebError::Choice(format!(
                "unknown sort {sort:?}, expected name, value, host or project"
            ))
            .into());
        };
        self.interact(|core| core.set_sort(s));
        Ok(())
    }

    /// Shows only the `n` busiest containers; 0 shows all.
    #[wasm_bindgen(js_name = setTopN)]
    pub fn set_top_n(&self, n: u32) {
        self.interact(|core| core.set_top_n(Some(n as usize)));
    }

    /// Shows only the containers of host `key` ("" = every host).
    #[wasm_bindgen(js_name = setHost)]
    pub fn set_host(&self, key: &str) {
        self.interact(|core| core.set_host(key));
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
        Ok(result.map_err(|e| WebError::Choice(e.to_string()))?)
    }

    /// "light", "dark" or "auto" (follows `prefers-color-scheme`).
    #[wasm_bindgen(js_name = setTheme)]
    pub fn set_theme(&self, theme: &str) -> Result<(), JsValue> {
        let mut result = Ok(());
        self.interact(|core| result = core.set_theme(theme));
        Ok(result.map_err(|e| WebError::Choice(e.to_string()))?)
    }

    /// Shows only container `id` (again: all), as a click on its legend entry does.
    pub fn isolate(&self, id: &str) {
        self.interact(|core| core.isolate(id));
    }

    /// Shows or hides container `id` alone, as a shift- or ctrl-click on its legend entry does.
    pub fn toggle(&self, id: &str) {
        self.interact(|core| core.toggle(id));
    }

    /// A logarithmic y axis for CPU and the rates (true), or linear.
    #[wasm_bindgen(js_name = setLogScale)]
    pub fn set_log_scale(&self, on: bool) {
        self.interact(|core| core.set_log_scale(on));
    }

    /// Opens the detail panel of a container: its key (`ID@host`), name or ID prefix; "" closes it.
    #[wasm_bindgen(js_name = setDetail)]
    pub fn set_detail(&self, which: &str) {
        self.interact(|core| core.set_detail(which));
    }

    /// The detail panel's data (every metric's newest value, image, project, limits, restarts,
    /// events), or `null` when it is closed or its container is not here.
    pub fn detail(&self) -> Result<JsValue, JsValue> {
        let mut i = self.inner.borrow_mut();
        i.core.flush_at(Some(now_ms()));
        Ok(to_js(&i.core.detail(tz_offset(), 0))?)
    }

    /// Shows the time range `[from, to]` (ms since the epoch), as a zoom does.
    #[wasm_bindgen(js_name = setRange)]
    pub fn set_range(&self, from: f64, to: f64) {
        self.interact(|core| core.set_range(from, to));
    }

    /// The viewer's choices as the page's URL parameters, `[[name, value], …]` (value "" = the
    /// default: remove the parameter), so that the address shares the view.
    #[wasm_bindgen(js_name = urlParams)]
    pub fn url_params(&self) -> Result<JsValue, JsValue> {
        let i = self.inner.borrow();
        Ok(to_js(&i.core.url_params())?)
    }

    /// Takes new options (an element's attributes changed): what the viewer can change changes in
    /// place and the data stays. Returns false, changing nothing, when an option only a new
    /// dashboard can take differs (feed, window, TTL, colours…).
    #[wasm_bindgen(js_name = applyOptions)]
    pub fn apply_options(&self, options: &JsValue) -> Result<bool, JsValue> {
        let parsed = parse_options(options)?;
        let mut result = Ok(false);
        self.interact(|core| result = core.apply(&parsed));
        Ok(result.map_err(|e| WebError::Options(e.to_string()))?)
    }

    /// Where the chart on the page was drawn, CSS px from the canvas's top-left: the plot area,
    /// and each time label's centre and text (`{ plot, ticks: [{ x, label }], font }`), for
    /// checks of the layout (labels that must not overlap) and for overlays.
    pub fn layout(&self) -> Result<JsValue, JsValue> {
        #[derive(Serialize)]
        struct Tick {
            x: f64,
            label: String,
        }
        #[derive(Serialize)]
        struct Layout {
            plot: [f64; 4],
            /// The time range drawn, ms since the epoch.
            range: [f64; 2],
            ticks: Vec<Tick>,
            font: &'static str,
        }
        let i = self.inner.borrow();
        let dpr = i.placed.dpr.max(0.1);
        let r = i.placed.rect;
        let ticks = i.painter.shown().map_or_else(Vec::new, |shown| {
            crate::chart::tick_layout(&shown.view, r, dpr)
                .into_iter()
                .map(|(x, label)| Tick { x: x / dpr, label })
                .collect()
        });
        Ok(to_js(&Layout {
            plot: [r.left / dpr, r.top / dpr, r.right / dpr, r.bottom / dpr],
            range: [i.placed.x_range.0, i.placed.x_range.1],
            ticks,
            font: "12px sans-serif",
        })?)
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
        Ok(serde_wasm_bindgen::to_value(&i.core.settings())
            .map_err(WebError::from)?
            .unchecked_into())
    }

    /// What the tooltip shows now, or `null` without a cursor.
    pub fn tooltip(&self) -> Result<DashboardTooltip, JsValue> {
        let mut i = self.inner.borrow_mut();
        i.core.flush_at(Some(now_ms()));
        let tip = i.core.tooltip(tz_offset());
        Ok(to_js(&tip)?.unchecked_into())
    }

    /// The current window as CSV, in the columns of `statscope stats --format csv`: the shown
    /// containers' samples, by time then ID, CPU on the docker CLI's scale.
    #[wasm_bindgen(js_name = exportCsv)]
    pub fn export_csv(&self) -> String {
        let mut i = self.inner.borrow_mut();
        i.core.flush_at(Some(now_ms()));
        i.core.export_csv()
    }

    /// The chart as a PNG `data:` URL: a title (the metric, the source), the time range and zone,
    /// the chart at the canvas's size in device pixels without the cursor, and the legend.
    #[wasm_bindgen(js_name = exportPng)]
    pub fn export_png(&self) -> Result<String, JsValue> {
        let mut i = self.inner.borrow_mut();
        i.core.flush_at(Some(now_ms()));
        Ok(export_png(&mut i)?)
    }

    /// Applies the frames queued since the last animation frame as one micro-batch, without drawing.
    /// Returns how many containers the engine holds.
    pub fn flush(&self) -> usize {
        let mut i = self.inner.borrow_mut();
        i.core.flush_at(Some(now_ms()));
        i.core.engine().len()
    }

    /// Applies what is queued and draws now (normally this happens on the next animation frame).
    pub fn redraw(&self) -> Result<(), JsValue> {
        let mut i = self.inner.borrow_mut();
        i.core.flush_at(Some(now_ms()));
        Ok(render(&mut i)?)
    }

    /// Stops everything: closes the socket, removes every listener and timer. Idempotent.
    pub fn destroy(&self) {
        let mut i = self.inner.borrow_mut();
        if i.destroyed {
            return;
        }
        i.destroyed = true;
        i.feed.policy.on_event(FeedEvent::Stop, now_ms());
        i.feed.socket = None;
        i.feed.retired.clear();
        if let Ok(w) = window() {
            if let Some(id) = i.timers.raf_pending.take() {
                let _ = w.cancel_animation_frame(id);
            }
            if let Some((id, _)) = i.timers.tick.take() {
                w.clear_interval_with_handle(id);
            }
            if let Some((id, _)) = i.timers.redraw.take() {
                w.clear_timeout_with_handle(id);
            }
        }
        i.ui.destroy();
        i.painter = Painter::default();
        i.taking = None;
        if let Some((observer, _)) = i.timers.resize.take() {
            observer.disconnect();
        }
        i.timers.listeners.clear();
        i.timers.legend_seen = None;
        i.timers.raf = None;
        update_status(&mut i);
    }
}

impl Dashboard {
    fn start(
        canvas: HtmlCanvasElement,
        options: Option<DashboardOptions>,
    ) -> Result<Dashboard, WebError> {
        let options: JsValue = options.map_or(JsValue::UNDEFINED, Into::into);
        let parsed = parse_options(&options)?;
        let paint_worker = parsed.paint_worker;
        let status_el = element_option(&options, "status")?;
        let legend_el = element_option(&options, "legend")?;
        let table_el = element_option(&options, "table")?;
        let url = match (&parsed.feed, parsed.connect) {
            (_, false) => None,
            (Some(url), true) => Some(with_binary_frames(url)?),
            (None, true) => Some(with_binary_frames(&default_feed_url()?)?),
        };
        let core = DashboardCore::new(parsed).map_err(|e| WebError::Options(e.to_string()))?;
        let ui = Ui::new(&canvas, table_el)?;
        let seed = (js_sys::Math::random() * 9.0e15) as u64;
        let inner = Rc::new(RefCell::new(Inner {
            core,
            canvas,
            status_el,
            legend_el,
            ui,
            painter: Painter::default(),
            feed: Feed {
                url,
                policy: Reconnect::new(ReconnectConfig::default(), seed),
                socket: None,
                opened: false,
                checking: false,
                check: None,
                retired: Vec::new(),
                subscribed: None,
            },
            timers: Timers::default(),
            frames: FrameInput::new(),
            placed: Placed::default(),
            last_status: String::new(),
            last_draw_ms: f64::NEG_INFINITY,
            urgent: true,
            redraws: 0,
            taking: None,
            self_ref: Weak::new(),
            destroyed: false,
        }));
        inner.borrow_mut().self_ref = Rc::downgrade(&inner);
        if paint_worker {
            let weak = Rc::downgrade(&inner);
            let wake: Rc<dyn Fn()> = Rc::new(move || with_inner(&weak, schedule_frame));
            let mut i = inner.borrow_mut();
            let live = i.feed.url.is_some();
            i.painter.use_worker(wake, live);
        }
        install(&inner)?;
        {
            let mut i = inner.borrow_mut();
            if i.feed.url.is_some() {
                let action = i.feed.policy.on_event(FeedEvent::Start, now_ms());
                act(&mut i, action);
            }
            schedule_frame(&mut i);
        }
        Ok(Dashboard { inner })
    }

    fn status_object(&self) -> Result<js_sys::Object, WebError> {
        let i = self.inner.borrow();
        let (state, attempt) = state_name(i.feed.policy.state());
        let c = i.core.counts();
        let (redraw_ms, redraw_frames, longest_ms) = i.painter.last_cost();
        let object = js_sys::Object::new();
        let set = |k: &str, v: JsValue| js_sys::Reflect::set(&object, &JsValue::from_str(k), &v);
        set("state", state.into())?;
        set("paused", i.core.is_paused().into())?;
        set("zoomed", i.core.is_zoomed().into())?;
        set("redraws", (i.redraws as f64).into())?;
        set("redrawMs", redraw_ms.into())?;
        set("redrawFrames", f64::from(redraw_frames).into())?;
        set("redrawLongestFrameMs", longest_ms.into())?;
        let (painter, why) = i.painter.painter();
        set("painter", painter.into())?;
        if let Some(why) = why {
            set("painterNote", why.into())?;
        }
        set("workerMs", i.painter.last_worker_ms().into())?;
        set("lineWidthDevicePx", i.placed.line_px.into())?;
        set("events", (i.core.lifecycle().event_count() as f64).into())?;
        set("attempt", attempt.into())?;
        set("frames", (c.frames as f64).into())?;
        set("samples", (c.samples as f64).into())?;
        set("history", (c.history as f64).into())?;
        set("known", (c.known as f64).into())?;
        set("malformed", (c.malformed as f64).into())?;
        set("oversized", (c.oversized as f64).into())?;
        set("bridgeDropped", (c.bridge_dropped as f64).into())?;
        set("containers", (i.core.engine().len() as f64).into())?;
        set("late", (i.core.engine().counts().late as f64).into())?;
        set("hosts", to_js(&i.core.hosts())?)?;
        set("notices", to_js(&i.core.notices())?)?;
        if let Some(s) = i.core.subscribed() {
            set("subscribed", to_js(s)?)?;
        }
        set("fleet", to_js(&i.core.overview())?)?;
        let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
        let bytes = js_sys::Reflect::get(&memory.buffer(), &JsValue::from_str("byteLength"))?;
        set("wasmMemoryBytes", bytes)?;
        for (key, value) in [
            ("lastError", &c.last_error),
            ("source", &c.source),
            ("describe", &c.describe),
            ("feed", &i.feed.url),
        ] {
            if let Some(v) = value {
                set(key, v.as_str().into())?;
            }
        }
        Ok(object)
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
}

/// A listener that runs `f` on the handle behind `weak`, if it is still there.
fn on_inner(
    weak: &Weak<RefCell<Inner>>,
    mut f: impl FnMut(&mut Inner, Event) + 'static,
) -> Box<dyn FnMut(Event)> {
    let weak = weak.clone();
    Box::new(move |e: Event| {
        let Some(rc) = weak.upgrade() else { return };
        let mut i = rc.borrow_mut();
        f(&mut i, e);
    })
}

/// Runs `f` on the handle behind `weak`, if it is still there and not in use (a callback the
/// browser makes from the event loop: the paint worker's news, the legend rows' observer).
fn with_inner(weak: &Weak<RefCell<Inner>>, f: impl FnOnce(&mut Inner)) {
    if let Some(rc) = weak.upgrade() {
        if let Ok(mut i) = rc.try_borrow_mut() {
            f(&mut i);
        }
    }
}

/// Sets up the animation-frame callback, the 1 s tick, the page's and the canvas's listeners and
/// the resize observer.
fn install(inner: &Rc<RefCell<Inner>>) -> Result<(), WebError> {
    let w = window()?;
    let weak = Rc::downgrade(inner);

    let raf = {
        let weak = weak.clone();
        Closure::<dyn FnMut(f64)>::new(move |_t: f64| {
            let Some(rc) = weak.upgrade() else { return };
            let mut i = rc.borrow_mut();
            i.timers.raf_pending = None;
            if !i.destroyed {
                on_animation_frame(&mut i);
            }
        })
    };

    let tick = {
        let weak = weak.clone();
        Closure::<dyn FnMut()>::new(move || {
            let Some(rc) = weak.upgrade() else { return };
            let mut i = rc.borrow_mut();
            i.feed.retired.clear();
            let action = i.feed.policy.on_event(FeedEvent::Tick, now_ms());
            act(&mut i, action);
            update_status(&mut i);
            if i.ui.tick() {
                let Inner { ui, core, .. } = &mut *i;
                if let Err(e) = ui.show_table(core.table(), core.settings().metric) {
                    web_sys::console::warn_1(&e.into());
                }
            }
        })
    };
    let tick_id = w.set_interval_with_callback_and_timeout_and_arguments_0(
        tick.as_ref().unchecked_ref(),
        1000,
    )?;

    let mut listeners = Vec::new();
    let on_page_event = |event: FeedEvent| {
        on_inner(&weak, move |i, _e| {
            let visible =
                document().map(|d| d.visibility_state() == web_sys::VisibilityState::Visible);
            if event == FeedEvent::Visible && !visible.unwrap_or(true) {
                return;
            }
            let action = i.feed.policy.on_event(event, now_ms());
            act(i, action);
            request_redraw(i);
        })
    };
    listeners.push(Listener::new(
        w.clone().into(),
        "online",
        on_page_event(FeedEvent::Online),
    )?);
    listeners.push(Listener::new(
        document()?.into(),
        "visibilitychange",
        on_page_event(FeedEvent::Visible),
    )?);
    if let Ok(Some(query)) = w.match_media("(prefers-color-scheme: dark)") {
        listeners.push(Listener::new(
            query.into(),
            "change",
            on_inner(&weak, |i, _e| request_redraw(i)),
        )?);
    }
    let (canvas, legend) = {
        let i = inner.borrow();
        (i.canvas.clone(), i.legend_el.clone())
    };
    let on_input = |input: Input| on_inner(&weak, move |i, e| on_user_input(i, input, &e));
    for (input, kind) in Input::CANVAS {
        listeners.push(Listener::new(canvas.clone().into(), kind, on_input(input))?);
    }
    // The page's own controls (the legend's tools, the detail panel), delegated from the canvas's
    // container: they come and go with what they show.
    if let Some(container) = canvas.parent_node() {
        let target: EventTarget = container.into();
        listeners.push(Listener::new(
            target.clone(),
            "click",
            on_input(Input::ActionClick),
        )?);
        listeners.push(Listener::new(
            target,
            "input",
            on_input(Input::SearchTyped),
        )?);
    }
    if let Some(list) = legend {
        let target: EventTarget = list.into();
        listeners.push(Listener::new(
            target.clone(),
            "click",
            on_input(Input::LegendClick),
        )?);
        // Which rows are in the legend's box: only those get their values on each redraw.
        let weak = weak.clone();
        let seen = Closure::<dyn FnMut(js_sys::Array, JsValue)>::new(
            move |entries: js_sys::Array, _: JsValue| {
                with_inner(&weak, |i| i.ui.legend_rows_seen(&entries));
            },
        );
        let init = web_sys::IntersectionObserverInit::new();
        init.set_root(Some(&target.unchecked_into::<web_sys::Element>()));
        let watch =
            web_sys::IntersectionObserver::new_with_options(seen.as_ref().unchecked_ref(), &init)?;
        let mut i = inner.borrow_mut();
        i.ui.watch_legend(watch);
        i.timers.legend_seen = Some(seen);
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
    observer.observe(&canvas);

    let mut i = inner.borrow_mut();
    i.timers.raf = Some(raf);
    i.timers.tick = Some((tick_id, tick));
    i.timers.listeners = listeners;
    i.timers.resize = Some((observer, on_resize));
    Ok(())
}

/// An input on the canvas or the legend: the UI says what it did, the page redraws accordingly.
fn on_user_input(i: &mut Inner, input: Input, e: &Event) {
    let Inner {
        ui,
        core,
        canvas,
        placed,
        ..
    } = i;
    match ui.react(input, e, core, canvas, placed) {
        Reaction::Nothing => {}
        Reaction::Cursor => schedule_frame(i),
        Reaction::Redraw => request_redraw(i),
    }
}

/// One animation frame: apply what arrived, then draw what is due.
fn on_animation_frame(i: &mut Inner) {
    let changed = i.core.flush_at(Some(now_ms()));
    let due = i.last_draw_ms + i.painter.data_interval_ms();
    let drawn = if i.taking.is_some() {
        take_redraw(i, now_ms())
    } else if i.painter.waiting() && i.core.cursor_moved() {
        // The worker is drawing the next chart: the cursor moves over the one shown meanwhile.
        redraw_cursor(i).and_then(|()| step_redraw(i))
    } else if i.painter.busy() {
        step_redraw(i)
    } else if changed && (i.urgent || now_ms() >= due) {
        start_redraw(i)
    } else if i.core.cursor_moved() {
        // Only the cursor answers at once; new data waits for its slot.
        redraw_cursor(i)
    } else {
        Ok(())
    };
    if let Err(e) = drawn {
        i.taking = None;
        i.painter.cancel();
        web_sys::console::warn_1(&e.into());
    }
    sync_subscription(i);
    // Data that came while a redraw was in progress, or the viewer's action.
    let more = i.core.flush_at(Some(now_ms()));
    // While the worker draws, it wakes the page when it is done.
    if drawing_here(i) || (more && i.urgent) || i.core.cursor_moved() {
        schedule_frame(i);
    } else if more {
        let due = i.last_draw_ms + i.painter.data_interval_ms();
        redraw_at(i, (due - now_ms()).max(0.0));
    }
    update_status(i);
}

/// The chart's colours: the theme chosen, or the system's for "auto".
fn theme(core: &DashboardCore) -> Theme {
    let dark = match core.viewer().theme() {
        "dark" => true,
        "light" => false,
        _ => prefers_dark(),
    };
    if dark {
        Theme::dark()
    } else {
        Theme::light()
    }
}

/// A redraw is under way on the main thread: its view being taken, or drawn here (not waiting
/// for the paint worker, which wakes the page when it is done).
fn drawing_here(i: &Inner) -> bool {
    i.taking.is_some() || (i.painter.busy() && !i.painter.waiting())
}

/// Begins a redraw: fixes what it shows (the listing, the legend, the time window) and takes its
/// containers' points for the rest of this frame's budget; the painter gets it once all are taken.
fn start_redraw(i: &mut Inner) -> Result<(), WebError> {
    let Some(target) = paint::target_size(&i.canvas)? else {
        i.core.mark_drawn();
        return Ok(()); // not displayed: nothing to draw
    };
    let started = now_ms();
    let build = i.core.redraw_begin(tz_offset(), target.1 .0 as usize);
    i.core.mark_drawn();
    i.urgent = false;
    i.last_draw_ms = started;
    i.taking = Some(Taking {
        build,
        target,
        taken: Taken::default(),
    });
    take_redraw(i, started)
}

/// Takes more of the redraw being taken, until [`paint::TAKE_BUDGET_MS`] of this frame (whose
/// work began at `t0`) is spent; when every container is taken, assembles the view and lets the
/// painter start. A thousand containers take a few frames, more on a slower machine.
fn take_redraw(i: &mut Inner, t0: f64) -> Result<(), WebError> {
    let Some(mut taking) = i.taking.take() else {
        return Ok(());
    };
    let all = loop {
        if i.core.redraw_take(&mut taking.build, paint::TAKE_ROWS) {
            break true;
        }
        if now_ms() - t0 >= paint::TAKE_BUDGET_MS {
            break false;
        }
    };
    if !all {
        taking.taken.add(now_ms() - t0);
        i.taking = Some(taking);
        return Ok(());
    }
    let redraw = i.core.redraw_finish(taking.build);
    let theme = theme(&i.core);
    let Inner {
        painter,
        core,
        canvas,
        ..
    } = &mut *i;
    let progress = painter.start(
        canvas,
        redraw,
        theme,
        taking.target,
        t0,
        taking.taken,
        &|v| core.cursor_on(&v.series, v.x_range),
    )?;
    on_progress(i, progress)
}

/// The next step of the redraw in progress.
fn step_redraw(i: &mut Inner) -> Result<(), WebError> {
    let Inner {
        painter,
        core,
        canvas,
        ..
    } = &mut *i;
    let progress = painter.step(canvas, &|v| core.cursor_on(&v.series, v.x_range))?;
    on_progress(i, progress)
}

/// What the painter did: a finished chart's geometry, its legend and tooltip.
fn on_progress(i: &mut Inner, progress: Progress) -> Result<(), WebError> {
    match progress {
        Progress::Idle | Progress::Drawing => Ok(()),
        Progress::Shown(legend) => {
            i.core.mark_cursor_drawn();
            if let Some(shown) = i.painter.shown() {
                i.placed = shown.placed;
            }
            i.redraws += 1;
            match legend {
                Some(legend) => show_ui(i, &legend, Some(true)),
                None => Ok(()),
            }
        }
        Progress::Ui(legend) => show_ui(i, &legend, Some(false)),
    }
}

/// After a draw: the legend, the tooltip and the canvas's accessible name. `counted`: time it as
/// part of a live redraw (in the frame that showed the chart, or in one of its own).
fn show_ui(i: &mut Inner, legend: &Legend, counted: Option<bool>) -> Result<(), WebError> {
    let t0 = now_ms();
    let top_n = i.core.settings().top_n;
    if let Some(list) = &i.legend_el {
        i.ui.show_legend(list, legend, top_n)?;
        i.ui.sync_search(&i.core.settings().filter);
    }
    show_tooltip(i)?;
    show_detail(i)?;
    let overview = i.core.overview();
    i.ui.show_overview(&overview, &i.canvas)?;
    let settings = i.core.settings();
    i.ui.label_canvas(
        &i.canvas,
        &canvas_label(settings.metric, settings.cpu_scale),
    )?;
    if let Some(same_frame) = counted {
        i.painter.add_ui_cost(now_ms() - t0, same_frame);
    }
    Ok(())
}

/// The detail panel, when one is open: after the legend (or the canvas).
fn show_detail(i: &mut Inner) -> Result<(), WebError> {
    let dpr = i.placed.dpr.max(1.0);
    let detail = i.core.detail(tz_offset(), 0);
    let theme = theme(&i.core);
    let anchor: web_sys::Element = match &i.legend_el {
        Some(list) => list.clone().into(),
        None => i.canvas.clone().into(),
    };
    i.ui.show_detail(detail.as_ref(), &anchor, &theme, dpr)
}

/// Export PNG: [`crate::chart::draw_export`] onto a canvas outside the document, as wide as the
/// page's and taller by the header and the legend, as a `data:` URL.
fn export_png(i: &mut Inner) -> Result<String, WebError> {
    let Some((dpr, size)) = paint::target_size(&i.canvas)? else {
        return Err(WebError::Detached);
    };
    let (view, legend) = i.core.export_view(tz_offset(), size.0 as usize);
    let (title, range) = i.core.export_title(tz_offset());
    let entries: Vec<(String, plotters::style::RGBColor, crate::chart::Dash)> = legend
        .entries
        .iter()
        .filter_map(|e| {
            let color = crate::chart::parse_hex(&e.color)?;
            let dash = match e.dash {
                "dashed" => crate::chart::Dash::Dashed,
                "dotted" => crate::chart::Dash::Dotted,
                _ => crate::chart::Dash::Solid,
            };
            Some((e.name.clone(), color, dash))
        })
        .collect();
    let width_css = f64::from(size.0) / dpr;
    let rows = crate::chart::export_legend_rows(entries.len(), width_css) as f64;
    let extra_css = crate::chart::EXPORT_HEADER_PX
        + rows * crate::chart::EXPORT_LEGEND_ROW_PX
        + if rows > 0.0 { 8.0 } else { 0.0 };
    let canvas: HtmlCanvasElement = document()?.create_element("canvas")?.unchecked_into();
    canvas.set_width(size.0);
    canvas.set_height(size.1 + (extra_css * dpr).round() as u32);
    let backend =
        plotters_canvas::CanvasBackend::with_canvas_object(canvas.clone()).ok_or(WebError::No2d)?;
    let root = plotters::prelude::IntoDrawingArea::into_drawing_area(backend);
    crate::chart::draw_export(
        &root,
        &view,
        &theme(&i.core),
        dpr,
        (&title, &range),
        &entries,
    )
    .map_err(|e| WebError::Drawing(e.to_string()))?;
    Ok(canvas.to_data_url_with_type("image/png")?)
}

/// The tooltip over the chart on the page, and the legend's button to the focused curve's details.
fn show_tooltip(i: &mut Inner) -> Result<(), WebError> {
    let focus = i.core.viewer().focus().and_then(|key| {
        let c = i.core.engine().get(key)?;
        Some((key.to_string(), i.core.label(key, c)))
    });
    i.ui.show_focused(focus.as_ref().map(|(k, l)| (k.as_str(), l.as_str())))?;
    let tip = match i.painter.shown() {
        Some(shown) => i.core.tooltip_on(&shown.view),
        None => i.core.tooltip(tz_offset()),
    };
    let theme = theme(&i.core);
    i.ui.show_tooltip(tip.as_ref(), &i.canvas, &i.placed, &theme)
}

/// Only the cursor or the focus moved: the cursor and the tooltip anew over the chart as it is
/// (a redraw when the painter has no chart to draw it over).
fn redraw_cursor(i: &mut Inner) -> Result<(), WebError> {
    if drawing_here(i) {
        return Ok(()); // the redraw in progress draws the cursor where it is when it is done
    }
    let Inner {
        painter,
        core,
        canvas,
        ..
    } = &mut *i;
    if !painter.cursor(canvas, &|v| core.cursor_on(&v.series, v.x_range))? {
        if i.painter.waiting() {
            return Ok(()); // the worker's chart comes with the cursor where it is then
        }
        return start_redraw(i);
    }
    i.core.mark_cursor_drawn();
    show_tooltip(i)
}

/// Sizes the canvas to its CSS box × devicePixelRatio, then draws the view, the legend and the
/// tooltip at once (`redraw()`, the PNG export).
fn render(i: &mut Inner) -> Result<(), WebError> {
    let Some((dpr, size)) = paint::target_size(&i.canvas)? else {
        return Ok(()); // not displayed: nothing to draw
    };
    let redraw = i.core.redraw(tz_offset(), size.0 as usize);
    let theme = theme(&i.core);
    i.taking = None;
    i.placed = i
        .painter
        .draw_now(&i.canvas, redraw.view, theme, (dpr, size))?;
    i.core.mark_drawn();
    i.urgent = false;
    i.last_draw_ms = now_ms();
    i.redraws += 1;
    show_ui(i, &redraw.legend, None)
}

/// Does what the reconnect policy decided.
fn act(i: &mut Inner, action: Action) {
    match action {
        Action::Nothing => {}
        Action::Close => {
            if let Some(s) = &i.feed.socket {
                s.close();
            }
        }
        Action::Connect => {
            if let Some(old) = i.feed.socket.take() {
                i.feed.retired.push(old);
            }
            let Some(mut url) = i.feed.url.clone() else {
                return;
            };
            // Back to the same bridge run: ask only for what this page missed.
            if let Some(token) = i.core.resume_token() {
                if let Ok(resumed) = with_param(&url, "resume", &token) {
                    url = resumed;
                }
            }
            // What this page shows, so the bridge sends only that (its history too).
            let mut subscription = i.core.subscription();
            let mut text = Message::Subscribe(subscription.clone()).encode();
            if text.len() > MAX_URL_SUBSCRIPTION {
                subscription.pinned.clear();
                text = Message::Subscribe(subscription).encode();
            }
            if let Ok(subscribed) = with_param(&url, "subscribe", &text) {
                url = subscribed;
                i.feed.subscribed = Some(text);
            } else {
                i.feed.subscribed = None;
            }
            i.feed.opened = false;
            match Socket::open(&url, socket_handlers(&i.self_ref)) {
                Ok(socket) => i.feed.socket = Some(socket),
                Err(e) => {
                    i.core.mark_changed();
                    web_sys::console::warn_1(&JsValue::from_str(&format!(
                        "statscope: cannot open {url}: {e}"
                    )));
                    let next = i.feed.policy.on_event(FeedEvent::Closed, now_ms());
                    debug_assert_eq!(next, Action::Nothing);
                }
            }
        }
    }
    update_status(i);
}

/// What the handle does on its socket's events.
fn socket_handlers(weak: &Weak<RefCell<Inner>>) -> Handlers {
    let with = |f: fn(&mut Inner)| {
        let weak = weak.clone();
        Box::new(move || {
            let Some(rc) = weak.upgrade() else { return };
            let mut i = rc.borrow_mut();
            f(&mut i);
        }) as Box<dyn FnMut()>
    };
    let on_message = {
        let weak = weak.clone();
        Box::new(move |data: JsValue| {
            let Some(rc) = weak.upgrade() else { return };
            let mut i = rc.borrow_mut();
            let Inner { frames, core, .. } = &mut *i;
            frames.take(core, &data);
            i.feed.policy.on_event(FeedEvent::Message, now_ms());
            // A hidden tab gets no animation frames: keep the queue bounded by applying it here.
            if i.core.pending() > 20_000 {
                i.core.flush_at(Some(now_ms()));
            }
            schedule_frame(&mut i);
        }) as Box<dyn FnMut(JsValue)>
    };
    Handlers {
        on_open: with(|i| {
            i.feed.opened = true;
            i.core.set_refusal(None);
            sync_subscription(i);
            let action = i.feed.policy.on_event(FeedEvent::Opened, now_ms());
            act(i, action);
        }),
        on_message,
        on_close: with(|i| {
            // This closure belongs to the socket: retire it rather than drop it while running.
            if let Some(old) = i.feed.socket.take() {
                i.feed.retired.push(old);
            }
            if !i.feed.opened {
                check_refusal(i);
            }
            let action = i.feed.policy.on_event(FeedEvent::Closed, now_ms());
            act(i, action);
        }),
    }
}

/// `/ws/check` beside the feed's `/ws` (http: or https:, with its `token` only).
fn check_url(feed: &str) -> Result<String, WebError> {
    let url = web_sys::Url::new(feed)?;
    let scheme = if url.protocol() == "wss:" {
        "https:"
    } else {
        "http:"
    };
    url.set_protocol(scheme);
    let path = url.pathname();
    url.set_pathname(&format!("{}/check", path.trim_end_matches('/')));
    let token = url.search_params().get("token");
    url.set_search("");
    if let Some(token) = token {
        url.search_params().set("token", &token);
    }
    Ok(url.href())
}

/// The socket closed before it opened: ask the bridge's `/ws/check` why (a browser hides a
/// refused upgrade's status from scripts) and say it in the status line until the feed opens.
/// Nothing is said when the bridge does not answer (it is down: "reconnecting" says that).
fn check_refusal(i: &mut Inner) {
    if i.feed.checking {
        return;
    }
    let (Some(feed), Ok(w)) = (i.feed.url.clone(), window()) else {
        return;
    };
    let Ok(url) = check_url(&feed) else {
        return;
    };
    let origin = w.location().origin().unwrap_or_default();
    i.feed.checking = true;
    let weak = i.self_ref.clone();
    let done = weak.clone();
    let on_json = Closure::<dyn FnMut(JsValue)>::once(move |json: JsValue| {
        let verdict = js_sys::Reflect::get(&json, &JsValue::from_str("ws"))
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_default();
        let Some(rc) = weak.upgrade() else { return };
        let mut i = rc.borrow_mut();
        i.feed.checking = false;
        if !i.feed.opened {
            i.core
                .set_refusal(crate::dashboard::status::refusal_text(&verdict, &origin));
            update_status(&mut i);
        }
    });
    let on_fail = Closure::<dyn FnMut(JsValue)>::once(move |_e: JsValue| {
        if let Some(rc) = done.upgrade() {
            rc.borrow_mut().feed.checking = false;
        }
    });
    let on_response =
        Closure::<dyn FnMut(JsValue) -> js_sys::Promise>::once(move |response: JsValue| {
            response
                .dyn_into::<web_sys::Response>()
                .and_then(|r| r.json())
                .unwrap_or_else(|e| js_sys::Promise::reject(&e))
        });
    // `then` through its JS method: the response's callback returns a promise (its JSON).
    let then = |p: &JsValue, f: &JsValue| -> Result<JsValue, JsValue> {
        js_sys::Reflect::get(p, &JsValue::from_str("then"))?
            .dyn_into::<js_sys::Function>()?
            .call1(p, f)
    };
    let json = then(&w.fetch_with_str(&url).into(), on_response.as_ref());
    if let Ok(json) = json {
        let _ = json
            .unchecked_into::<js_sys::Promise>()
            .then2(&on_json, &on_fail);
    }
    // Kept until the next check (or the handle's end): one check at a time.
    i.feed.check = Some((on_response, on_json, on_fail));
}

fn schedule_frame(i: &mut Inner) {
    if i.timers.raf_pending.is_some() || i.destroyed {
        return;
    }
    let (Ok(w), Some(raf)) = (window(), i.timers.raf.as_ref()) else {
        return;
    };
    if let Ok(id) = w.request_animation_frame(raf.as_ref().unchecked_ref()) {
        i.timers.raf_pending = Some(id);
    }
}

/// Asks for a redraw on the next animation frame, without the data budget (the viewer acted).
fn request_redraw(i: &mut Inner) {
    i.core.mark_changed();
    i.urgent = true;
    schedule_frame(i);
}

/// Brings the next animation frame in `delay_ms` (the redraw budget's next slot).
fn redraw_at(i: &mut Inner, delay_ms: f64) {
    if i.timers.redraw.is_some() {
        return;
    }
    let weak = i.self_ref.clone();
    let closure = Closure::<dyn FnMut()>::new(move || {
        let Some(rc) = weak.upgrade() else { return };
        let mut i = rc.borrow_mut();
        // Keep the closure alive until this call returns; it is replaced by the next timer.
        let _done = i.timers.redraw.take();
        schedule_frame(&mut i);
    });
    let Ok(w) = window() else { return };
    if let Ok(id) = w.set_timeout_with_callback_and_timeout_and_arguments_0(
        closure.as_ref().unchecked_ref(),
        delay_ms.ceil() as i32,
    ) {
        i.timers.redraw = Some((id, closure));
    }
}

/// Tells the bridge what this page shows when that changed (a host, filter, top N, metric or
/// pinned container chosen since it last heard): at most once an animation frame.
fn sync_subscription(i: &mut Inner) {
    let Some(socket) = &i.feed.socket else {
        return;
    };
    if !i.feed.opened {
        return;
    }
    let text = Message::Subscribe(i.core.subscription()).encode();
    if i.feed.subscribed.as_deref() != Some(text.as_str()) && socket.send(&text) {
        i.feed.subscribed = Some(text);
    }
}

/// The status line, as text (the core's words), and its state as `data-state`.
fn update_status(i: &mut Inner) {
    let Some(el) = i.status_el.clone() else {
        return;
    };
    let state = i.feed.policy.state();
    let text = status_line(&i.core, state, i.feed.url.is_some(), now_ms());
    let _ = el.set_attribute("data-state", state_name(state).0);
    if text != i.last_status {
        el.set_text_content(Some(&text));
        i.last_status = text;
    }
}
