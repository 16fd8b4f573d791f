//! The browser layer's interaction and DOM: the canvas's pointer and keyboard input, the tooltip,
//! the clickable legend (updated in place) and the screen-reader table. Every decision is the
//! core's ([`DashboardCore`]); this module turns DOM events into its calls, says what the page must
//! do about them ([`Reaction`]), and turns its answers into DOM, with names always set as text,
//! never parsed as HTML.
//!
//! On the canvas (focusable, `tabindex=0`):
//! - hover: the cursor and the tooltip; click: expands "how was this computed" for the nearest
//!   curve (click again: collapses); drag: pans; wheel: zooms around the pointer; double-click: live.
//! - keys: ←/→ move the cursor sample by sample (with Shift: pan), ↑/↓ pick the container whose
//!   number is explained, +/− zoom, Space pauses/resumes, Home or L returns to live, Esc hides the
//!   cursor.

use wasm_bindgen::JsCast;
use web_sys::{
    Document, Element, Event, HtmlCanvasElement, HtmlElement, KeyboardEvent, MouseEvent,
};

use super::dom::{document, text_el, tz_offset, window};
use super::error::WebError;
use crate::chart::{clock_label, hex, Placed, Theme};
use crate::dashboard::status::skew_text;
use crate::dashboard::{DashboardCore, Legend, TableRow, Tooltip};
use crate::metrics::METRICS;
use crate::view::Metric;

/// The screen-reader table is refreshed every this many 1 s ticks.
const TABLE_EVERY_TICKS: u32 = 10;

/// The screen-reader table lists at most this many containers.
const TABLE_MAX_ROWS: usize = 50;

/// Visually hidden, still read by screen readers.
const SR_ONLY: &str = "position:absolute;width:1px;height:1px;margin:-1px;padding:0;border:0;\
    overflow:hidden;clip:rect(0 0 0 0);clip-path:inset(50%);white-space:nowrap";

/// An input the page listens for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Input {
    PointerMove,
    PointerLeave,
    PointerDown,
    PointerUp,
    Click,
    DoubleClick,
    Wheel,
    Key,
    Blur,
    /// A click in the legend list.
    LegendClick,
}

impl Input {
    /// The canvas's inputs, with the DOM event each listens to.
    pub(crate) const CANVAS: [(Input, &'static str); 9] = [
        (Input::PointerMove, "pointermove"),
        (Input::PointerLeave, "pointerleave"),
        (Input::PointerDown, "pointerdown"),
        (Input::PointerUp, "pointerup"),
        (Input::Click, "click"),
        (Input::DoubleClick, "dblclick"),
        (Input::Wheel, "wheel"),
        (Input::Key, "keydown"),
        (Input::Blur, "blur"),
    ];
}

/// What the page must do after an input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reaction {
    Nothing,
    /// Only the cursor or the focus moved: draw the cursor and the tooltip anew.
    Cursor,
    /// Redraw the chart (the viewer acted: zoom, pan, pause, selection…).
    Redraw,
}

/// One legend entry's elements, to update in place.
struct LegendItem {
    id: String,
    li: Element,
    button: Element,
    swatch: HtmlElement,
    value: Element,
    /// What the entry shows besides its value: colour, dash, shown, stopped, name.
    look: (String, &'static str, bool, bool, String),
    value_text: String,
}

/// The interaction state that lives in the browser.
pub(crate) struct Ui {
    tooltip: Option<HtmlElement>,
    table: HtmlElement,
    /// The table was created here (and is removed on `destroy`).
    own_table: bool,
    /// The canvas had no accessible name of its own: the page names it after the metric.
    own_label: bool,
    legend: Vec<LegendItem>,
    legend_more: Option<Element>,
    /// A drag in progress: the last pointer x (CSS px) and whether it moved enough to be a drag.
    drag: Option<(f64, bool)>,
    /// The last drag ended just now: the click that follows is not a click.
    dragged: bool,
    /// The pointer, in client (viewport) coordinates, while it is over the canvas.
    pointer: Option<(f64, f64)>,
    ticks: u32,
    last_table: Vec<(String, String, &'static str)>,
}

impl Ui {
    pub(crate) fn new(
        canvas: &HtmlCanvasElement,
        table: Option<HtmlElement>,
    ) -> Result<Ui, WebError> {
        let own_label = canvas.get_attribute("aria-label").is_none();
        if own_label {
            canvas.set_attribute("role", "img")?;
        }
        if canvas.get_attribute("tabindex").is_none() {
            canvas.set_attribute("tabindex", "0")?;
        }
        let doc = document()?;
        let (table, own_table) = match table {
            Some(t) => (t, false),
            None => {
                let t: HtmlElement = doc.create_element("table")?.unchecked_into();
                t.set_attribute("style", SR_ONLY)?;
                t.set_class_name("statscope-table");
                if let Some(parent) = canvas.parent_node() {
                    parent.insert_before(&t, canvas.next_sibling().as_ref())?;
                }
                (t, true)
            }
        };
        table.set_attribute("aria-live", "polite")?;
        Ok(Ui {
            tooltip: None,
            table,
            own_table,
            own_label,
            legend: Vec::new(),
            legend_more: None,
            drag: None,
            dragged: false,
            pointer: None,
            ticks: TABLE_EVERY_TICKS - 1,
            last_table: Vec::new(),
        })
    }

    /// Removes the elements this module created.
    pub(crate) fn destroy(&mut self) {
        if let Some(t) = self.tooltip.take() {
            t.remove();
        }
        if self.own_table {
            self.table.remove();
        }
    }

    /// What `input` (the DOM event `e`) does to the dashboard, on the chart that `placed` says
    /// where it is on `canvas`.
    pub(crate) fn react(
        &mut self,
        input: Input,
        e: &Event,
        core: &mut DashboardCore,
        canvas: &HtmlCanvasElement,
        placed: &Placed,
    ) -> Reaction {
        match input {
            Input::PointerMove => self.pointer_move(e, core, canvas, placed),
            Input::PointerLeave => {
                self.pointer = None;
                self.drag = None;
                core.set_cursor(None);
                Reaction::Cursor
            }
            Input::PointerDown => {
                let Some(e) = e.dyn_ref::<web_sys::PointerEvent>() else {
                    return Reaction::Nothing;
                };
                if e.button() != 0 {
                    return Reaction::Nothing;
                }
                self.drag = Some((f64::from(e.client_x()), false));
                self.dragged = false;
                let _ = canvas.set_pointer_capture(e.pointer_id());
                Reaction::Nothing
            }
            Input::PointerUp => {
                if let Some((_, moved)) = self.drag.take() {
                    self.dragged = moved;
                }
                if let Some(e) = e.dyn_ref::<web_sys::PointerEvent>() {
                    let _ = canvas.release_pointer_capture(e.pointer_id());
                }
                Reaction::Nothing
            }
            Input::Click => self.click(e, core, canvas, placed),
            Input::DoubleClick => {
                e.prevent_default();
                core.resume();
                Reaction::Redraw
            }
            Input::Wheel => wheel(e, core, canvas, placed),
            Input::Key => self.key(e, core),
            Input::Blur => {
                if self.pointer.is_some() {
                    return Reaction::Nothing;
                }
                core.set_cursor(None);
                Reaction::Cursor
            }
            Input::LegendClick => legend_click(e, core),
        }
    }

    fn pointer_move(
        &mut self,
        e: &Event,
        core: &mut DashboardCore,
        canvas: &HtmlCanvasElement,
        placed: &Placed,
    ) -> Reaction {
        let Some(e) = e.dyn_ref::<MouseEvent>() else {
            return Reaction::Nothing;
        };
        let x = device_x(canvas, e);
        self.pointer = Some((f64::from(e.client_x()), f64::from(e.client_y())));
        if let Some((last, moved)) = self.drag {
            let dx = f64::from(e.client_x()) - last;
            if moved || dx.abs() >= 3.0 {
                let (x0, x1) = placed.x_range;
                let width_css = (placed.rect.right - placed.rect.left) / placed.dpr.max(0.1);
                if width_css > 0.0 && x1 > x0 {
                    core.pan(-dx / width_css * (x1 - x0));
                }
                self.drag = Some((f64::from(e.client_x()), true));
            }
        }
        core.set_cursor(placed.in_plot(x).then(|| placed.time_at(x)));
        if self.drag.is_some_and(|(_, moved)| moved) {
            Reaction::Redraw // panned
        } else {
            Reaction::Cursor
        }
    }

    /// A click on the chart expands (or collapses) the explanation of the nearest curve's number.
    fn click(
        &mut self,
        e: &Event,
        core: &mut DashboardCore,
        canvas: &HtmlCanvasElement,
        placed: &Placed,
    ) -> Reaction {
        if std::mem::take(&mut self.dragged) {
            return Reaction::Nothing;
        }
        let Some(e) = e.dyn_ref::<MouseEvent>() else {
            return Reaction::Nothing;
        };
        let (x, y) = (device_x(canvas, e), device_y(canvas, e));
        if !placed.in_plot(x) {
            return Reaction::Nothing;
        }
        core.focus_at(placed.time_at(x), placed.fraction_up(y), placed);
        Reaction::Cursor
    }

    fn key(&mut self, e: &Event, core: &mut DashboardCore) -> Reaction {
        let Some(k) = e.dyn_ref::<KeyboardEvent>() else {
            return Reaction::Nothing;
        };
        if k.alt_key() || k.ctrl_key() || k.meta_key() {
            return Reaction::Nothing;
        }
        let (x0, x1) = core.window_ms();
        let middle = core.cursor().unwrap_or((x0 + x1) / 2.0);
        let reaction = match k.key().as_str() {
            " " | "Spacebar" => {
                core.toggle_pause();
                Reaction::Redraw
            }
            "ArrowLeft" if k.shift_key() => {
                core.pan(-(x1 - x0) * 0.1);
                Reaction::Redraw
            }
            "ArrowRight" if k.shift_key() => {
                core.pan((x1 - x0) * 0.1);
                Reaction::Redraw
            }
            "ArrowLeft" => {
                core.step_cursor(-1);
                Reaction::Cursor
            }
            "ArrowRight" => {
                core.step_cursor(1);
                Reaction::Cursor
            }
            "ArrowUp" | "ArrowDown" => {
                if core.cursor().is_none() {
                    core.step_cursor(0);
                }
                core.step_focus(if k.key() == "ArrowUp" { -1 } else { 1 }, tz_offset());
                Reaction::Cursor
            }
            "+" | "=" => {
                core.zoom(0.5, middle);
                Reaction::Redraw
            }
            "-" | "_" => {
                core.zoom(2.0, middle);
                Reaction::Redraw
            }
            "Home" | "l" | "L" => {
                core.resume();
                Reaction::Redraw
            }
            "Escape" => {
                core.set_cursor(None);
                core.set_focus(None);
                Reaction::Cursor
            }
            _ => return Reaction::Nothing,
        };
        e.prevent_default();
        // The keyboard's tooltip sits at the cursor, not at a pointer.
        self.pointer = None;
        reaction
    }

    /// Shows `legend` in the list, updated in place: entries are rebuilt only when the list of
    /// containers changes; otherwise only what changed (a value, a colour, shown/hidden) is touched.
    pub(crate) fn show_legend(
        &mut self,
        list: &HtmlElement,
        legend: &Legend,
    ) -> Result<(), WebError> {
        let entries = &legend.entries;
        let same_list = entries.len() == self.legend.len()
            && entries
                .iter()
                .zip(&self.legend)
                .all(|(e, it)| e.id == it.id);
        let doc = document()?;
        if !same_list {
            list.set_text_content(None);
            self.legend.clear();
            self.legend_more = None;
            for e in entries {
                let li = doc.create_element("li")?;
                li.set_attribute("data-id", &e.id)?;
                let button = doc.create_element("button")?;
                button.set_attribute("type", "button")?;
                button.set_attribute(
                    "title",
                    "Click: show only this container (again: all). Shift- or ctrl-click: show or hide it.",
                )?;
                let swatch: HtmlElement = doc.create_element("span")?.unchecked_into();
                swatch.set_class_name("swatch");
                let name = text_el(&doc, "span", &e.name)?;
                name.set_class_name("name");
                let value = doc.create_element("span")?;
                value.set_class_name("value");
                button.append_child(&swatch)?;
                button.append_child(&name)?;
                button.append_child(&value)?;
                li.append_child(&button)?;
                list.append_child(&li)?;
                self.legend.push(LegendItem {
                    id: e.id.clone(),
                    li,
                    button,
                    swatch,
                    value,
                    look: (String::new(), "", false, false, String::new()),
                    value_text: String::new(),
                });
            }
        }
        for (e, item) in entries.iter().zip(self.legend.iter_mut()) {
            let look = (e.color.clone(), e.dash, e.shown, e.stopped, e.name.clone());
            if item.look != look {
                item.swatch
                    .style()
                    .set_property("background-color", &e.color)?;
                item.swatch.set_attribute("data-dash", e.dash)?;
                item.button
                    .set_attribute("aria-pressed", if e.shown { "true" } else { "false" })?;
                for (flag, on) in [("data-hidden", !e.shown), ("data-stopped", e.stopped)] {
                    if on {
                        item.li.set_attribute(flag, "")?;
                    } else {
                        item.li.remove_attribute(flag)?;
                    }
                }
                if let Some(name) = item.button.query_selector(".name")? {
                    name.set_text_content(Some(&e.name));
                }
                item.look = look;
            }
            let mut value = e.value.clone();
            if let Some(limit) = e.cpu_limit {
                value.push_str(&format!(" · limit {limit} CPU"));
            }
            if let Some(skew) = e.skew_ms {
                value.push_str(&format!(" · clock {}", skew_text((skew * 1e6) as i128)));
            }
            if item.value_text != value {
                item.value.set_text_content(Some(&value));
                item.value_text = value;
            }
        }
        let left_out = legend.total - entries.len();
        let more = (left_out > 0).then(|| {
            if legend.matching < legend.total {
                format!(
                    "{left_out} more not shown ({} of {} match the filter)",
                    legend.matching, legend.total
                )
            } else {
                format!(
                    "{left_out} more not shown (top {} of {})",
                    entries.len(),
                    legend.total
                )
            }
        });
        match (more, &self.legend_more) {
            (Some(text), Some(el)) => {
                if el.text_content().as_deref() != Some(text.as_str()) {
                    el.set_text_content(Some(&text));
                }
            }
            (Some(text), None) => {
                let el = text_el(&doc, "li", &text)?;
                el.set_class_name("more");
                list.append_child(&el)?;
                self.legend_more = Some(el);
            }
            (None, Some(el)) => {
                el.remove();
                self.legend_more = None;
            }
            (None, None) => {}
        }
        Ok(())
    }

    /// Names the canvas `label`, unless the page named it itself.
    pub(crate) fn label_canvas(
        &self,
        canvas: &HtmlCanvasElement,
        label: &str,
    ) -> Result<(), WebError> {
        if self.own_label && canvas.get_attribute("aria-label").as_deref() != Some(label) {
            canvas.set_attribute("aria-label", label)?;
        }
        Ok(())
    }

    /// The tooltip at the cursor (`None`: hidden): a small table, next to the pointer (or at the
    /// keyboard's cursor) and inside the viewport.
    pub(crate) fn show_tooltip(
        &mut self,
        tip: Option<&Tooltip>,
        canvas: &HtmlCanvasElement,
        placed: &Placed,
        theme: &Theme,
    ) -> Result<(), WebError> {
        let Some(tip) = tip else {
            if let Some(el) = &self.tooltip {
                el.style().set_property("display", "none")?;
            }
            return Ok(());
        };
        let doc = document()?;
        let el = match &self.tooltip {
            Some(el) => el.clone(),
            None => {
                let el: HtmlElement = doc.create_element("div")?.unchecked_into();
                el.set_class_name("statscope-tooltip");
                el.set_attribute("role", "tooltip")?;
                let parent = canvas.parent_node().ok_or(WebError::Detached)?;
                parent.append_child(&el)?;
                self.tooltip = Some(el.clone());
                el
            }
        };
        el.set_attribute(
            "style",
            &format!(
                "position:fixed;z-index:2147483000;pointer-events:none;max-width:min(92vw,760px);\
                 background:{};color:{};border:1px solid {};border-radius:6px;padding:6px 8px;\
                 font:12px/1.35 system-ui,sans-serif;box-shadow:0 2px 10px rgba(0,0,0,.18);\
                 font-variant-numeric:tabular-nums",
                hex(theme.background),
                hex(theme.text),
                hex(theme.axis)
            ),
        )?;
        fill_tooltip(&doc, &el, tip)?;
        // Place it: right of and below the pointer, flipped to stay in the viewport.
        let rect = canvas.get_bounding_client_rect();
        let (px, py) = self.pointer.unwrap_or_else(|| {
            let x = placed.rect.x_of(tip.t_ms, placed.x_range) / placed.dpr.max(0.1);
            (rect.left() + x, rect.top() + 12.0)
        });
        let w = window()?;
        let vw = w.inner_width()?.as_f64().unwrap_or(1024.0);
        let vh = w.inner_height()?.as_f64().unwrap_or(768.0);
        let (tw, th) = (f64::from(el.offset_width()), f64::from(el.offset_height()));
        let mut x = px + 14.0;
        if x + tw > vw - 4.0 {
            x = (px - 14.0 - tw).max(4.0);
        }
        let mut y = py + 14.0;
        if y + th > vh - 4.0 {
            y = (py - 14.0 - th).max(4.0);
        }
        let style = el.style();
        style.set_property("left", &format!("{x:.0}px"))?;
        style.set_property("top", &format!("{y:.0}px"))?;
        Ok(())
    }

    /// Counts a 1 s tick; whether the screen-reader table is due ([`TABLE_EVERY_TICKS`]).
    pub(crate) fn tick(&mut self) -> bool {
        self.ticks += 1;
        if self.ticks >= TABLE_EVERY_TICKS {
            self.ticks = 0;
            true
        } else {
            false
        }
    }

    /// The screen-reader table: container, current value, trend; rewritten only when it changed.
    /// It holds the first [`TABLE_MAX_ROWS`] containers in the legend's order: a live region of a
    /// thousand rows would be read to no one's benefit (and costs the page hundreds of ms to
    /// rebuild).
    pub(crate) fn show_table(
        &mut self,
        mut rows: Vec<TableRow>,
        metric: Metric,
    ) -> Result<(), WebError> {
        let total = rows.len();
        rows.truncate(TABLE_MAX_ROWS);
        let mut key: Vec<(String, String, &'static str)> = rows
            .iter()
            .map(|r| (r.name.clone(), r.value.clone(), r.trend))
            .collect();
        key.push((String::new(), total.to_string(), ""));
        if key == self.last_table {
            return Ok(());
        }
        let doc = document()?;
        let table = &self.table;
        table.set_text_content(None);
        let caption = text_el(
            &doc,
            "caption",
            &if total > rows.len() {
                format!(
                    "{} per container, refreshed every {TABLE_EVERY_TICKS} seconds: the first {} of {total}, in the legend's order",
                    metric.title(),
                    rows.len()
                )
            } else {
                format!(
                    "{} per container, refreshed every {TABLE_EVERY_TICKS} seconds",
                    metric.title()
                )
            },
        )?;
        table.append_child(&caption)?;
        let head = doc.create_element("tr")?;
        for h in ["Container", metric.title(), "Trend (30 s)"] {
            let th = text_el(&doc, "th", h)?;
            th.set_attribute("scope", "col")?;
            head.append_child(&th)?;
        }
        table.append_child(&head)?;
        for r in &rows {
            let tr = doc.create_element("tr")?;
            let th = text_el(&doc, "th", &r.name)?;
            th.set_attribute("scope", "row")?;
            tr.append_child(&th)?;
            let child = text_el(&doc, "td", &r.value)?;
            tr.append_child(&child)?;
            let child = text_el(&doc, "td", r.trend)?;
            tr.append_child(&child)?;
            table.append_child(&tr)?;
        }
        self.last_table = key;
        Ok(())
    }
}

/// Device px of a pointer event's x on the canvas.
fn device_x(canvas: &HtmlCanvasElement, e: &MouseEvent) -> f64 {
    let rect = canvas.get_bounding_client_rect();
    let css = f64::from(e.client_x()) - rect.left();
    css * f64::from(canvas.width()) / rect.width().max(1.0)
}

fn device_y(canvas: &HtmlCanvasElement, e: &MouseEvent) -> f64 {
    let rect = canvas.get_bounding_client_rect();
    let css = f64::from(e.client_y()) - rect.top();
    css * f64::from(canvas.height()) / rect.height().max(1.0)
}

fn wheel(
    e: &Event,
    core: &mut DashboardCore,
    canvas: &HtmlCanvasElement,
    placed: &Placed,
) -> Reaction {
    let Some(w) = e.dyn_ref::<web_sys::WheelEvent>() else {
        return Reaction::Nothing;
    };
    let x = device_x(canvas, w);
    if !placed.in_plot(x) {
        return Reaction::Nothing;
    }
    e.prevent_default();
    // A notch (100 px of delta) zooms by 1.25×; trackpads send smaller deltas, zooming smoothly.
    let delta = match w.delta_mode() {
        1 => w.delta_y() * 33.0,
        2 => w.delta_y() * 400.0,
        _ => w.delta_y(),
    };
    let factor = 1.25f64.powf((delta / 100.0).clamp(-4.0, 4.0));
    core.zoom(factor, placed.time_at(x));
    Reaction::Redraw
}

/// A click on a legend entry isolates its container; shift/ctrl/meta-click toggles it.
fn legend_click(e: &Event, core: &mut DashboardCore) -> Reaction {
    let Some(m) = e.dyn_ref::<MouseEvent>() else {
        return Reaction::Nothing;
    };
    let Some(target) = e.target().and_then(|t| t.dyn_into::<Element>().ok()) else {
        return Reaction::Nothing;
    };
    let Ok(Some(item)) = target.closest("[data-id]") else {
        return Reaction::Nothing;
    };
    let Some(id) = item.get_attribute("data-id") else {
        return Reaction::Nothing;
    };
    if m.shift_key() || m.ctrl_key() || m.meta_key() {
        core.toggle(&id);
    } else {
        core.isolate(&id);
    }
    Reaction::Redraw
}

fn fill_tooltip(doc: &Document, el: &HtmlElement, tip: &Tooltip) -> Result<(), WebError> {
    el.set_text_content(None);
    let head = text_el(
        doc,
        "div",
        &format!("{} · {}", tip.time, tip.metric.title()),
    )?;
    head.set_attribute("style", "font-weight:600;margin-bottom:3px")?;
    el.append_child(&head)?;
    if !tip.rows.is_empty() {
        let table = doc.create_element("table")?;
        table.set_attribute("style", "border-collapse:collapse")?;
        // One column per metric, the one shown in bold.
        let cell = |shown: bool| {
            if shown {
                "text-align:right;padding:0 0 0 10px;font-weight:700"
            } else {
                "text-align:right;padding:0 0 0 10px"
            }
        };
        let header = doc.create_element("tr")?;
        let child = text_el(doc, "th", "")?;
        header.append_child(&child)?;
        for m in &METRICS {
            let th = text_el(doc, "th", m.column)?;
            th.set_attribute(
                "style",
                if m.metric == tip.metric {
                    "text-align:right;font-weight:700;padding:0 0 0 10px"
                } else {
                    "text-align:right;font-weight:500;opacity:.7;padding:0 0 0 10px"
                },
            )?;
            header.append_child(&th)?;
        }
        table.append_child(&header)?;
        for r in &tip.rows {
            let tr = doc.create_element("tr")?;
            tr.set_attribute("data-id", &r.id)?;
            let name = doc.create_element("td")?;
            let swatch = doc.create_element("span")?;
            swatch.set_attribute(
                "style",
                &format!(
                    "display:inline-block;width:10px;height:3px;margin-right:5px;vertical-align:middle;background:{}",
                    r.color
                ),
            )?;
            name.append_child(&swatch)?;
            let child = text_el(doc, "span", &r.name)?;
            name.append_child(&child)?;
            if !r.flag.is_empty() {
                let child = text_el(doc, "span", &format!(" ({})", r.flag))?;
                name.append_child(&child)?;
            }
            name.set_attribute(
                "style",
                if r.focused {
                    "font-weight:700;text-decoration:underline"
                } else {
                    ""
                },
            )?;
            tr.append_child(&name)?;
            for (m, v) in METRICS.iter().zip(&r.values) {
                let td = text_el(doc, "td", v)?;
                td.set_attribute("style", cell(m.metric == tip.metric))?;
                tr.append_child(&td)?;
            }
            table.append_child(&tr)?;
            if r.focused {
                let tr = doc.create_element("tr")?;
                let td = text_el(
                    doc,
                    "td",
                    r.explain
                        .as_deref()
                        .unwrap_or("No CPU value here: the first sample, or after a restart."),
                )?;
                td.set_class_name("explain");
                td.set_attribute("colspan", &(METRICS.len() + 1).to_string())?;
                td.set_attribute(
                    "style",
                    "white-space:normal;max-width:700px;padding:2px 0 4px 15px;opacity:.85",
                )?;
                tr.append_child(&td)?;
                table.append_child(&tr)?;
            }
        }
        el.append_child(&table)?;
    }
    if tip.more > 0 {
        let child = text_el(doc, "div", &format!("+{} more", tip.more))?;
        el.append_child(&child)?;
    }
    for m in &tip.marks {
        let line = text_el(
            doc,
            "div",
            &format!(
                "{} {} {}: {}",
                mark_glyph(m.kind),
                clock_label(m.t_ms, tz_offset()),
                m.name,
                m.text
            ),
        )?;
        line.set_class_name("mark");
        el.append_child(&line)?;
    }
    if !tip.rows.iter().any(|r| r.focused) && !tip.rows.is_empty() {
        let hint = text_el(
            doc,
            "div",
            "click a curve or press ↑/↓: how was this computed?",
        )?;
        hint.set_attribute("style", "opacity:.6;margin-top:3px")?;
        el.append_child(&hint)?;
    }
    Ok(())
}

fn mark_glyph(kind: &str) -> &'static str {
    match kind {
        "start" => "▲",
        "die" | "stopped" => "■",
        "restart" | "reset" => "◯",
        "oom" => "✕",
        _ => "·",
    }
}
