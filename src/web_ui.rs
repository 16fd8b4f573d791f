//! The browser layer's interaction: the canvas's pointer and keyboard handling, the tooltip, the
//! clickable legend (updated in place) and the screen-reader table. Every decision is the core's
//! ([`DashboardCore`](crate::dashboard::DashboardCore)); this module turns DOM events into its calls
//! and its answers into DOM, with names always set as text, never parsed as HTML.
//!
//! On the canvas (focusable, `tabindex=0`):
//! - hover: the cursor and the tooltip; click: expands "how was this computed" for the nearest
//!   curve (click again: collapses); drag: pans; wheel: zooms around the pointer; double-click: live.
//! - keys: ←/→ move the cursor sample by sample (with Shift: pan), ↑/↓ pick the container whose
//!   number is explained, +/− zoom, Space pauses/resumes, Home or L returns to live, Esc hides the
//!   cursor.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, Event, HtmlCanvasElement, HtmlElement, KeyboardEvent, MouseEvent};

use crate::chart::Theme;
use crate::dashboard::{Legend, Tooltip};
use crate::view::{CpuScale, Metric};
use crate::web::{document, request_cursor_redraw, request_redraw, tz_offset, Inner, Listener};

/// The screen-reader table is refreshed every this many 1 s ticks.
const TABLE_EVERY_TICKS: u32 = 10;

/// The screen-reader table lists at most this many containers.
const TABLE_MAX_ROWS: usize = 50;

/// Visually hidden, still read by screen readers.
const SR_ONLY: &str = "position:absolute;width:1px;height:1px;margin:-1px;padding:0;border:0;\
    overflow:hidden;clip:rect(0 0 0 0);clip-path:inset(50%);white-space:nowrap";

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
    /// The canvas had no accessible name of its own: this module names it after the metric.
    own_label: bool,
    legend: Vec<LegendItem>,
    legend_more: Option<Element>,
    listeners: Vec<Listener>,
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
    ) -> Result<Ui, JsValue> {
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
            listeners: Vec::new(),
            drag: None,
            dragged: false,
            pointer: None,
            ticks: TABLE_EVERY_TICKS - 1,
            last_table: Vec::new(),
        })
    }

    /// Removes listeners and the elements this module created.
    pub(crate) fn destroy(&mut self) {
        self.listeners.clear();
        if let Some(t) = self.tooltip.take() {
            t.remove();
        }
        if self.own_table {
            self.table.remove();
        }
    }
}

/// Device px of a pointer event's x on the canvas.
fn device_x(i: &Inner, e: &MouseEvent) -> f64 {
    let rect = i.canvas.get_bounding_client_rect();
    let css = f64::from(e.client_x()) - rect.left();
    css * f64::from(i.canvas.width()) / rect.width().max(1.0)
}

fn device_y(i: &Inner, e: &MouseEvent) -> f64 {
    let rect = i.canvas.get_bounding_client_rect();
    let css = f64::from(e.client_y()) - rect.top();
    css * f64::from(i.canvas.height()) / rect.height().max(1.0)
}

/// Is device x inside the plot area (not on the axis labels)?
fn in_plot(i: &Inner, x: f64) -> bool {
    i.plot.right > i.plot.left && x >= i.plot.left && x <= i.plot.right
}

/// Listens on the canvas and the legend.
pub(crate) fn install(inner: &Rc<RefCell<Inner>>) -> Result<(), JsValue> {
    let weak = Rc::downgrade(inner);
    let (canvas, legend) = {
        let i = inner.borrow();
        (i.canvas.clone(), i.legend_el.clone())
    };
    let on = |weak: &Weak<RefCell<Inner>>, f: fn(&mut Inner, Event)| {
        let weak = weak.clone();
        Box::new(move |e: Event| {
            let Some(rc) = weak.upgrade() else { return };
            let mut i = rc.borrow_mut();
            f(&mut i, e);
        }) as Box<dyn FnMut(Event)>
    };
    let mut listeners = vec![
        Listener::new(
            canvas.clone().into(),
            "pointermove",
            on(&weak, pointer_move),
        )?,
        Listener::new(
            canvas.clone().into(),
            "pointerleave",
            on(&weak, pointer_leave),
        )?,
        Listener::new(
            canvas.clone().into(),
            "pointerdown",
            on(&weak, pointer_down),
        )?,
        Listener::new(canvas.clone().into(), "pointerup", on(&weak, pointer_up))?,
        Listener::new(canvas.clone().into(), "click", on(&weak, click))?,
        Listener::new(canvas.clone().into(), "dblclick", on(&weak, double_click))?,
        Listener::new(canvas.clone().into(), "wheel", on(&weak, wheel))?,
        Listener::new(canvas.clone().into(), "keydown", on(&weak, key))?,
        Listener::new(canvas.into(), "blur", on(&weak, blur))?,
    ];
    if let Some(list) = legend {
        listeners.push(Listener::new(
            list.into(),
            "click",
            on(&weak, legend_click),
        )?);
    }
    inner.borrow_mut().ui.listeners = listeners;
    Ok(())
}

fn pointer_move(i: &mut Inner, e: Event) {
    let Some(e) = e.dyn_ref::<MouseEvent>() else {
        return;
    };
    let x = device_x(i, e);
    i.ui.pointer = Some((f64::from(e.client_x()), f64::from(e.client_y())));
    if let Some((last, moved)) = i.ui.drag {
        let dx = f64::from(e.client_x()) - last;
        if moved || dx.abs() >= 3.0 {
            let (x0, x1) = i.plot_range;
            let width_css = (i.plot.right - i.plot.left) / i.scale.max(0.1);
            if width_css > 0.0 && x1 > x0 {
                i.core.pan(-dx / width_css * (x1 - x0));
            }
            i.ui.drag = Some((f64::from(e.client_x()), true));
        }
    }
    if in_plot(i, x) {
        let t = i.plot.time_at(x, i.plot_range);
        i.core.set_cursor(Some(t));
    } else {
        i.core.set_cursor(None);
    }
    if i.ui.drag.is_some_and(|(_, moved)| moved) {
        request_redraw(i); // panned
    } else {
        request_cursor_redraw(i);
    }
}

fn pointer_leave(i: &mut Inner, _e: Event) {
    i.ui.pointer = None;
    i.ui.drag = None;
    i.core.set_cursor(None);
    request_cursor_redraw(i);
}

fn pointer_down(i: &mut Inner, e: Event) {
    let Some(e) = e.dyn_ref::<web_sys::PointerEvent>() else {
        return;
    };
    if e.button() != 0 {
        return;
    }
    i.ui.drag = Some((f64::from(e.client_x()), false));
    i.ui.dragged = false;
    let _ = i.canvas.set_pointer_capture(e.pointer_id());
}

fn pointer_up(i: &mut Inner, e: Event) {
    if let Some((_, moved)) = i.ui.drag.take() {
        i.ui.dragged = moved;
    }
    if let Some(e) = e.dyn_ref::<web_sys::PointerEvent>() {
        let _ = i.canvas.release_pointer_capture(e.pointer_id());
    }
}

/// A click on the chart expands (or collapses) the explanation of the nearest curve's number.
fn click(i: &mut Inner, e: Event) {
    if std::mem::take(&mut i.ui.dragged) {
        return;
    }
    let Some(e) = e.dyn_ref::<MouseEvent>() else {
        return;
    };
    let (x, y) = (device_x(i, e), device_y(i, e));
    if !in_plot(i, x) {
        return;
    }
    let t = i.plot.time_at(x, i.plot_range);
    let frac = ((i.plot.bottom - y) / (i.plot.bottom - i.plot.top).max(1.0)).clamp(0.0, 1.0);
    i.core.focus_at(t, frac);
    request_cursor_redraw(i);
}

fn double_click(i: &mut Inner, e: Event) {
    e.prevent_default();
    i.core.resume();
    request_redraw(i);
}

fn wheel(i: &mut Inner, e: Event) {
    let Some(w) = e.dyn_ref::<web_sys::WheelEvent>() else {
        return;
    };
    let x = device_x(i, w);
    if !in_plot(i, x) {
        return;
    }
    e.prevent_default();
    // A notch (100 px of delta) zooms by 1.25×; trackpads send smaller deltas, zooming smoothly.
    let delta = match w.delta_mode() {
        1 => w.delta_y() * 33.0,
        2 => w.delta_y() * 400.0,
        _ => w.delta_y(),
    };
    let factor = 1.25f64.powf((delta / 100.0).clamp(-4.0, 4.0));
    let t = i.plot.time_at(x, i.plot_range);
    i.core.zoom(factor, t);
    request_redraw(i);
}

fn key(i: &mut Inner, e: Event) {
    let Some(k) = e.dyn_ref::<KeyboardEvent>() else {
        return;
    };
    if k.alt_key() || k.ctrl_key() || k.meta_key() {
        return;
    }
    let (x0, x1) = i.core.window_ms();
    let middle = i.core.cursor().unwrap_or((x0 + x1) / 2.0);
    // Whether only the cursor or the focus moves (the chart under them stays).
    let cursor_only = match k.key().as_str() {
        " " | "Spacebar" => {
            i.core.toggle_pause();
            false
        }
        "ArrowLeft" if k.shift_key() => {
            i.core.pan(-(x1 - x0) * 0.1);
            false
        }
        "ArrowRight" if k.shift_key() => {
            i.core.pan((x1 - x0) * 0.1);
            false
        }
        "ArrowLeft" => {
            i.core.step_cursor(-1);
            true
        }
        "ArrowRight" => {
            i.core.step_cursor(1);
            true
        }
        "ArrowUp" => {
            ensure_cursor(i);
            i.core.step_focus(-1, tz_offset());
            true
        }
        "ArrowDown" => {
            ensure_cursor(i);
            i.core.step_focus(1, tz_offset());
            true
        }
        "+" | "=" => {
            i.core.zoom(0.5, middle);
            false
        }
        "-" | "_" => {
            i.core.zoom(2.0, middle);
            false
        }
        "Home" | "l" | "L" => {
            i.core.resume();
            false
        }
        "Escape" => {
            i.core.set_cursor(None);
            i.core.set_focus(None);
            true
        }
        _ => return,
    };
    e.prevent_default();
    // The keyboard's tooltip sits at the cursor, not at a pointer.
    i.ui.pointer = None;
    if cursor_only {
        request_cursor_redraw(i);
    } else {
        request_redraw(i);
    }
}

fn ensure_cursor(i: &mut Inner) {
    if i.core.cursor().is_none() {
        i.core.step_cursor(0);
    }
}

fn blur(i: &mut Inner, _e: Event) {
    if i.ui.pointer.is_none() {
        i.core.set_cursor(None);
        request_cursor_redraw(i);
    }
}

/// A click on a legend entry isolates its container; shift/ctrl/meta-click toggles it.
fn legend_click(i: &mut Inner, e: Event) {
    let Some(m) = e.dyn_ref::<MouseEvent>() else {
        return;
    };
    let Some(target) = e.target().and_then(|t| t.dyn_into::<Element>().ok()) else {
        return;
    };
    let Ok(Some(item)) = target.closest("[data-id]") else {
        return;
    };
    let Some(id) = item.get_attribute("data-id") else {
        return;
    };
    if m.shift_key() || m.ctrl_key() || m.meta_key() {
        i.core.toggle(&id);
    } else {
        i.core.isolate(&id);
    }
    request_redraw(i);
}

/// After only the cursor (or the focus) moved: the tooltip; the legend and the labels stay.
pub(crate) fn after_cursor(i: &mut Inner, theme: &Theme) -> Result<(), JsValue> {
    update_tooltip(i, theme)
}

/// After each draw: the legend, the tooltip and the canvas's accessible name.
pub(crate) fn after_draw(i: &mut Inner, theme: &Theme) -> Result<(), JsValue> {
    update_legend(i)?;
    update_tooltip(i, theme)?;
    if i.ui.own_label {
        let settings = i.core.settings();
        let what = match settings.metric {
            Metric::Cpu => match settings.cpu_scale {
                CpuScale::Core => "CPU % per container over time (100 % = one core)",
                CpuScale::Host => "CPU % per container over time (100 % = all host CPUs)",
                CpuScale::Limit => "CPU % per container over time (100 % = its CPU limit)",
            },
            Metric::Memory => "Memory in use per container over time",
            Metric::MemoryPercent => "Memory % of limit per container over time",
            Metric::NetRx => "Network received per container, bytes per second",
            Metric::NetTx => "Network sent per container, bytes per second",
            Metric::BlockRead => "Block reads per container, bytes per second",
            Metric::BlockWrite => "Block writes per container, bytes per second",
        };
        let label = format!("{what}. Arrow keys move a cursor; Space pauses.");
        if i.canvas.get_attribute("aria-label").as_deref() != Some(label.as_str()) {
            i.canvas.set_attribute("aria-label", &label)?;
        }
    }
    Ok(())
}

/// Every second: the screen-reader table, every [`TABLE_EVERY_TICKS`] ticks.
pub(crate) fn tick(i: &mut Inner) {
    i.ui.ticks += 1;
    if i.ui.ticks >= TABLE_EVERY_TICKS {
        i.ui.ticks = 0;
        if let Err(e) = update_table(i) {
            web_sys::console::warn_1(&e);
        }
    }
}

fn text_el(doc: &web_sys::Document, tag: &str, text: &str) -> Result<Element, JsValue> {
    let el = doc.create_element(tag)?;
    el.set_text_content(Some(text));
    Ok(el)
}

/// The legend list, updated in place: entries are rebuilt only when the list of containers changes;
/// otherwise only what changed (a value, a colour, shown/hidden) is touched.
fn update_legend(i: &mut Inner) -> Result<(), JsValue> {
    let Some(list) = i.legend_el.clone() else {
        return Ok(());
    };
    let Legend {
        entries,
        total,
        matching,
    } = i.core.legend();
    let same_list = entries.len() == i.ui.legend.len()
        && entries
            .iter()
            .zip(&i.ui.legend)
            .all(|(e, it)| e.id == it.id);
    let doc = document()?;
    if !same_list {
        list.set_text_content(None);
        i.ui.legend.clear();
        i.ui.legend_more = None;
        for e in &entries {
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
            i.ui.legend.push(LegendItem {
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
    for (e, item) in entries.iter().zip(i.ui.legend.iter_mut()) {
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
        if item.value_text != value {
            item.value.set_text_content(Some(&value));
            item.value_text = value;
        }
    }
    let left_out = total - entries.len();
    let more = if left_out > 0 {
        Some(if matching < total {
            format!("{left_out} more not shown ({matching} of {total} match the filter)")
        } else {
            format!(
                "{left_out} more not shown (top {} of {total})",
                entries.len()
            )
        })
    } else {
        None
    };
    match (more, &i.ui.legend_more) {
        (Some(text), Some(el)) => {
            if el.text_content().as_deref() != Some(text.as_str()) {
                el.set_text_content(Some(&text));
            }
        }
        (Some(text), None) => {
            let el = text_el(&doc, "li", &text)?;
            el.set_class_name("more");
            list.append_child(&el)?;
            i.ui.legend_more = Some(el);
        }
        (None, Some(el)) => {
            el.remove();
            i.ui.legend_more = None;
        }
        (None, None) => {}
    }
    Ok(())
}

/// The tooltip at the cursor: a small table, next to the pointer (or at the keyboard's cursor).
fn update_tooltip(i: &mut Inner, theme: &Theme) -> Result<(), JsValue> {
    let tip = i.core.tooltip(tz_offset());
    let Some(tip) = tip else {
        if let Some(el) = &i.ui.tooltip {
            el.style().set_property("display", "none")?;
        }
        return Ok(());
    };
    let doc = document()?;
    let el = match &i.ui.tooltip {
        Some(el) => el.clone(),
        None => {
            let el: HtmlElement = doc.create_element("div")?.unchecked_into();
            el.set_class_name("statscope-tooltip");
            el.set_attribute("role", "tooltip")?;
            let parent = i
                .canvas
                .parent_node()
                .ok_or_else(|| JsValue::from_str("the canvas is not in a document"))?;
            parent.append_child(&el)?;
            i.ui.tooltip = Some(el.clone());
            el
        }
    };
    let hex = |c: plotters::style::RGBColor| crate::chart::hex(c);
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
    fill_tooltip(&doc, &el, &tip, i.core.settings().metric)?;
    // Place it: right of and below the pointer, flipped to stay in the viewport.
    let rect = i.canvas.get_bounding_client_rect();
    let (px, py) = i.ui.pointer.unwrap_or_else(|| {
        let x = i.plot.x_of(tip.t_ms, i.plot_range) / i.scale.max(0.1);
        (rect.left() + x, rect.top() + 12.0)
    });
    let w = crate::web::window()?;
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

fn fill_tooltip(
    doc: &web_sys::Document,
    el: &HtmlElement,
    tip: &Tooltip,
    metric: Metric,
) -> Result<(), JsValue> {
    el.set_text_content(None);
    let head = text_el(doc, "div", &format!("{} · {}", tip.time, metric.title()))?;
    head.set_attribute("style", "font-weight:600;margin-bottom:3px")?;
    el.append_child(&head)?;
    if !tip.rows.is_empty() {
        let table = doc.create_element("table")?;
        table.set_attribute("style", "border-collapse:collapse")?;
        // The metric shown comes first; CPU is its own column (not twice when CPU is shown).
        let first = (metric != Metric::Cpu).then(|| metric.title());
        let header = doc.create_element("tr")?;
        for h in std::iter::once("").chain(first).chain([
            "CPU",
            "memory",
            "net ↓/s",
            "net ↑/s",
            "disk r/s",
            "disk w/s",
        ]) {
            let th = text_el(doc, "th", h)?;
            th.set_attribute(
                "style",
                "text-align:right;font-weight:500;opacity:.7;padding:0 0 0 10px",
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
            let label = text_el(doc, "span", &r.name)?;
            name.append_child(&label)?;
            if !r.flag.is_empty() {
                let flag = text_el(doc, "span", &format!(" ({})", r.flag))?;
                name.append_child(&flag)?;
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
            let value = first.map(|_| &r.value);
            for v in value.into_iter().chain([
                &r.cpu,
                &r.memory,
                &r.net_rx,
                &r.net_tx,
                &r.block_read,
                &r.block_write,
            ]) {
                let td = text_el(doc, "td", v)?;
                td.set_attribute("style", "text-align:right;padding:0 0 0 10px")?;
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
                td.set_attribute("colspan", "8")?;
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
        let more = text_el(doc, "div", &format!("+{} more", tip.more))?;
        el.append_child(&more)?;
    }
    for m in &tip.marks {
        let line = text_el(
            doc,
            "div",
            &format!(
                "{} {} {}: {}",
                mark_glyph(m.kind),
                crate::chart::clock_label(m.t_ms, tz_offset()),
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

/// The screen-reader table: container, current value, trend; rewritten only when it changed. It
/// holds the first [`TABLE_MAX_ROWS`] containers in the legend's order: a live region of a thousand
/// rows would be read to no one's benefit (and costs the page hundreds of ms to rebuild).
fn update_table(i: &mut Inner) -> Result<(), JsValue> {
    let mut rows = i.core.table();
    let total = rows.len();
    rows.truncate(TABLE_MAX_ROWS);
    let mut key: Vec<(String, String, &'static str)> = rows
        .iter()
        .map(|r| (r.name.clone(), r.value.clone(), r.trend))
        .collect();
    key.push((String::new(), total.to_string(), ""));
    if key == i.ui.last_table {
        return Ok(());
    }
    let doc = document()?;
    let table = &i.ui.table;
    table.set_text_content(None);
    let metric = i.core.settings().metric;
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
        let value = text_el(&doc, "td", &r.value)?;
        let trend = text_el(&doc, "td", r.trend)?;
        tr.append_child(&value)?;
        tr.append_child(&trend)?;
        table.append_child(&tr)?;
    }
    i.ui.last_table = key;
    Ok(())
}
