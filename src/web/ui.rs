//! The browser layer's interaction and DOM: the canvas's pointer and keyboard input, the tooltip,
//! the clickable legend (updated in place) and the screen-reader table. Every decision is the
//! core's ([`DashboardCore`]); this module turns DOM events into its calls, says what the page must
//! do about them ([`Reaction`]), and turns its answers into DOM, with names always set as text,
//! never parsed as HTML.
//!
//! On the canvas (focusable, `tabindex=0`):
//! - hover: the cursor and the tooltip; click (a tap): expands "how was this computed" for the
//!   nearest curve (click again: collapses); drag: pans; wheel or a two-finger pinch: zooms;
//!   double-click: live.
//! - keys: ←/→ move the cursor by one sample interval (with Shift: ten), PageUp/PageDown pan,
//!   ↑/↓ pick the container whose number is explained, Enter opens its detail panel, +/− zoom,
//!   Space pauses/resumes, Home or L returns to live, Esc hides the cursor.
//!
//! The tooltip stays inside the canvas (and so inside an embedding element), next to the cursor's
//! line; on a narrow canvas it lists only the metric shown.
//!
//! The legend scales: past [`LEGEND_SEARCH_FROM`] containers a search box (the filter) and a
//! "show top 10" button appear above it with the count shown, and entries are grouped under
//! headings when the order groups them (by project, by host); each entry has a details button, and
//! a focused curve (clicked, tapped, or picked with ↑/↓) one above the legend.

use wasm_bindgen::JsCast;
use web_sys::{
    Document, Element, Event, HtmlCanvasElement, HtmlElement, KeyboardEvent, MouseEvent,
};

use super::dom::{document, text_el, tz_offset};
use super::error::WebError;
use crate::chart::{clock_label, hex, Placed, Theme};
use crate::dashboard::status::skew_text;
use crate::dashboard::{
    DashboardCore, Detail, Legend, LegendEntry, OverviewHost, TableRow, Tooltip,
};
use crate::metrics::METRICS;
use crate::view::Metric;

/// The screen-reader table is refreshed every this many 1 s ticks.
const TABLE_EVERY_TICKS: u32 = 10;

/// The screen-reader table lists at most this many containers.
const TABLE_MAX_ROWS: usize = 50;

/// From this many containers on, the legend has a search box and a "show top 10" button.
pub(crate) const LEGEND_SEARCH_FROM: usize = 12;

/// A canvas narrower than this (CSS px) gets the compact tooltip: the metric shown only, at most
/// [`COMPACT_TOOLTIP_ROWS`] rows and two marks, at most 60 % of the chart's height.
const COMPACT_TOOLTIP_BELOW_PX: f64 = 560.0;

/// Rows the compact tooltip lists (the focused one always among them).
const COMPACT_TOOLTIP_ROWS: usize = 5;

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
    PointerCancel,
    /// A click in the legend list.
    LegendClick,
    /// A click on one of the page's own controls (`data-action`: the legend's tools, the detail
    /// panel's close button), delegated from the canvas's container.
    ActionClick,
    /// Text typed into the legend's search box.
    SearchTyped,
}

impl Input {
    /// The canvas's inputs, with the DOM event each listens to.
    pub(crate) const CANVAS: [(Input, &'static str); 10] = [
        (Input::PointerMove, "pointermove"),
        (Input::PointerLeave, "pointerleave"),
        (Input::PointerDown, "pointerdown"),
        (Input::PointerUp, "pointerup"),
        (Input::Click, "click"),
        (Input::DoubleClick, "dblclick"),
        (Input::Wheel, "wheel"),
        (Input::Key, "keydown"),
        (Input::Blur, "blur"),
        (Input::PointerCancel, "pointercancel"),
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
    /// The heading it is listed under, if grouped.
    group: Option<String>,
    li: Element,
    button: Element,
    swatch: HtmlElement,
    value: Element,
    /// What the entry shows besides its value: colour, dash, shown, stopped, name.
    look: (String, &'static str, bool, bool, String),
    /// The value the row should show.
    value_text: String,
    /// The value its element shows: behind `value_text` while the browser skips the row.
    shown_text: String,
    /// The row is scrolled out of the legend's box (its `IntersectionObserver` says): its value is
    /// written when it comes into view, not on every redraw. At 1,000 containers writing every
    /// row's value was most of a redraw's layout and paint.
    skipped: bool,
}

impl LegendItem {
    /// Writes the row's value into its element, unless the browser skips the row.
    fn show_value(&mut self) {
        if !self.skipped && self.shown_text != self.value_text {
            self.value.set_text_content(Some(&self.value_text));
            self.shown_text.clone_from(&self.value_text);
        }
    }
}

/// The legend's tools (see [`Ui::show_legend`]).
struct LegendTools {
    root: HtmlElement,
    count: Element,
    search: web_sys::HtmlInputElement,
    top: Element,
    /// "details of <the focused curve>", while a curve is focused.
    focused: Element,
    focused_key: Option<String>,
    /// What they show: the count, whether the search and the button are shown, the button's text.
    last: (String, bool, String),
}

/// The open detail panel's elements.
struct DetailPanel {
    key: String,
    root: HtmlElement,
    facts: Element,
    /// Per metric: its caption and canvas.
    charts: Vec<(Element, HtmlCanvasElement)>,
    events: Element,
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
    /// Touches on the canvas (pointer ID, client x), for a two-finger pinch.
    touches: Vec<(i32, f64)>,
    /// The legend's tools (count, search box, "show top 10"), created with the first legend.
    legend_tools: Option<LegendTools>,
    /// The detail panel, while open.
    detail: Option<DetailPanel>,
    /// The fleet overview (a button per host), while the bridge follows two hosts or more, and
    /// the words it shows.
    overview: Option<(HtmlElement, Vec<String>)>,
    /// Watches which legend rows are in the legend's box ([`Ui::legend_rows_seen`]).
    legend_watch: Option<web_sys::IntersectionObserver>,
    /// Each legend row's place in `legend`, by container ID.
    legend_index: std::collections::HashMap<String, usize>,
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
            touches: Vec::new(),
            legend_tools: None,
            detail: None,
            overview: None,
            legend_watch: None,
            legend_index: std::collections::HashMap::new(),
            ticks: TABLE_EVERY_TICKS - 1,
            last_table: Vec::new(),
        })
    }

    /// Removes the elements this module created.
    pub(crate) fn destroy(&mut self) {
        if let Some(watch) = self.legend_watch.take() {
            watch.disconnect();
        }
        if let Some(t) = self.tooltip.take() {
            t.remove();
        }
        if let Some(t) = self.legend_tools.take() {
            t.root.remove();
        }
        if let Some(d) = self.detail.take() {
            d.root.remove();
        }
        if let Some((o, _)) = self.overview.take() {
            o.remove();
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
                if e.pointer_type() == "touch" {
                    self.touches.retain(|t| t.0 != e.pointer_id());
                    self.touches.push((e.pointer_id(), f64::from(e.client_x())));
                    if self.touches.len() >= 2 {
                        // A pinch, not a drag.
                        self.drag = None;
                        let _ = canvas.set_pointer_capture(e.pointer_id());
                        return Reaction::Nothing;
                    }
                }
                self.drag = Some((f64::from(e.client_x()), false));
                self.dragged = false;
                let _ = canvas.set_pointer_capture(e.pointer_id());
                Reaction::Nothing
            }
            Input::PointerUp | Input::PointerCancel => {
                if let Some(p) = e.dyn_ref::<web_sys::PointerEvent>() {
                    self.touches.retain(|t| t.0 != p.pointer_id());
                }
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
            Input::ActionClick => action_click(e, core),
            Input::SearchTyped => {
                let Some(input) = e
                    .target()
                    .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
                else {
                    return Reaction::Nothing;
                };
                if input.get_attribute("data-action").as_deref() != Some("legend-search") {
                    return Reaction::Nothing;
                }
                core.set_filter(&input.value());
                Reaction::Redraw
            }
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
        if let Some(p) = e.dyn_ref::<web_sys::PointerEvent>() {
            if let Some(reaction) = self.pinch(p, core, canvas, placed) {
                return reaction;
            }
        }
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

    /// A second finger's move: zoom by how much the two fingers' distance changed, around their
    /// middle. `None` when this is not a pinch.
    fn pinch(
        &mut self,
        e: &web_sys::PointerEvent,
        core: &mut DashboardCore,
        canvas: &HtmlCanvasElement,
        placed: &Placed,
    ) -> Option<Reaction> {
        if e.pointer_type() != "touch" || self.touches.len() < 2 {
            return None;
        }
        let at = self.touches.iter().position(|t| t.0 == e.pointer_id())?;
        let x = f64::from(e.client_x());
        let other = self.touches[1 - at.min(1)].1;
        let before = (self.touches[at].1 - other).abs();
        let after = (x - other).abs();
        self.touches[at].1 = x;
        if before < 8.0 || after < 8.0 {
            return Some(Reaction::Nothing);
        }
        let rect = canvas.get_bounding_client_rect();
        let middle_css = (x + other) / 2.0 - rect.left();
        let middle = middle_css * f64::from(canvas.width()) / rect.width().max(1.0);
        core.zoom(before / after, placed.time_at(middle));
        Some(Reaction::Redraw)
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
            "PageUp" => {
                core.pan(-(x1 - x0) * 0.1);
                Reaction::Redraw
            }
            "PageDown" => {
                core.pan((x1 - x0) * 0.1);
                Reaction::Redraw
            }
            "ArrowLeft" | "ArrowRight" => {
                let steps = if k.shift_key() { 10 } else { 1 };
                core.step_cursor(if k.key() == "ArrowLeft" {
                    -steps
                } else {
                    steps
                });
                Reaction::Cursor
            }
            "Enter" => {
                let Some(focus) = core.viewer().focus().map(str::to_string) else {
                    return Reaction::Nothing;
                };
                core.set_detail(&focus);
                Reaction::Redraw
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
        top_n: Option<usize>,
    ) -> Result<(), WebError> {
        let entries = &legend.entries;
        let same_list = entries.len() == self.legend.len()
            && entries
                .iter()
                .zip(&self.legend)
                .all(|(e, it)| e.id == it.id && e.group == it.group);
        let doc = document()?;
        self.show_legend_tools(&doc, list, legend, top_n)?;
        if !same_list {
            let grouped = entries.iter().any(|e| e.group.is_some())
                || self.legend.iter().any(|it| it.group.is_some());
            if grouped {
                self.rebuild_legend(&doc, list, entries)?;
            } else {
                self.reconcile_legend(&doc, list, entries)?;
            }
            self.legend_index = self
                .legend
                .iter()
                .enumerate()
                .map(|(i, it)| (it.id.clone(), i))
                .collect();
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
            if let Some(limit) = &e.limit {
                value.push_str(" · ");
                value.push_str(limit);
            }
            if let Some(skew) = e.skew_ms {
                value.push_str(&format!(" · clock {}", skew_text((skew * 1e6) as i128)));
            }
            item.value_text = value;
            item.show_value();
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

    /// The legend's rows anew, under their groups' headings.
    fn rebuild_legend(
        &mut self,
        doc: &Document,
        list: &HtmlElement,
        entries: &[LegendEntry],
    ) -> Result<(), WebError> {
        if let Some(watch) = &self.legend_watch {
            watch.disconnect();
        }
        list.set_text_content(None);
        self.legend.clear();
        self.legend_more = None;
        let mut group: Option<&str> = None;
        for e in entries {
            if let Some(g) = e.group.as_deref().filter(|g| Some(*g) != group) {
                let heading = text_el(doc, "li", g)?;
                heading.set_class_name("group");
                heading.set_attribute("role", "presentation")?;
                list.append_child(&heading)?;
                group = Some(g);
            }
            let item = self.legend_item(doc, e)?;
            list.append_child(&item.li)?;
            self.legend.push(item);
        }
        Ok(())
    }

    /// The legend's rows in the order of `entries` (ungrouped), keeping the rows of containers
    /// still listed: a container that comes or goes adds or removes its row, not all of them (at
    /// 1,000 containers a rebuild was a long task of its own).
    fn reconcile_legend(
        &mut self,
        doc: &Document,
        list: &HtmlElement,
        entries: &[LegendEntry],
    ) -> Result<(), WebError> {
        let mut kept: std::collections::HashMap<String, LegendItem> = self
            .legend
            .drain(..)
            .map(|it| (it.id.clone(), it))
            .collect();
        let mut items = Vec::with_capacity(entries.len());
        for e in entries {
            let item = match kept.remove(&e.id) {
                Some(item) => item,
                None => self.legend_item(doc, e)?,
            };
            items.push(item);
        }
        for (_, gone) in kept {
            if let Some(watch) = &self.legend_watch {
                watch.unobserve(&gone.li);
            }
            gone.li.remove();
        }
        // Each row where it belongs: moved (or inserted) only when it is not there already.
        let mut next = list.first_child();
        for item in &items {
            let li: &web_sys::Node = item.li.as_ref();
            if next.as_ref() == Some(li) {
                next = li.next_sibling();
            } else {
                list.insert_before(li, next.as_ref())?;
            }
        }
        self.legend = items;
        Ok(())
    }

    /// A new legend row for `e` (its look and value come with the update that follows).
    fn legend_item(&self, doc: &Document, e: &LegendEntry) -> Result<LegendItem, WebError> {
        let li = doc.create_element("li")?;
        li.set_attribute("data-id", &e.id)?;
        if let Some(watch) = &self.legend_watch {
            watch.observe(&li);
        }
        let button = doc.create_element("button")?;
        button.set_attribute("type", "button")?;
        button.set_attribute(
            "title",
            "Click: show only this container (again: all). Shift- or ctrl-click: show or hide it.",
        )?;
        let swatch: HtmlElement = doc.create_element("span")?.unchecked_into();
        swatch.set_class_name("swatch");
        let name = text_el(doc, "span", &e.name)?;
        name.set_class_name("name");
        let value = doc.create_element("span")?;
        value.set_class_name("value");
        button.append_child(&swatch)?;
        button.append_child(&name)?;
        button.append_child(&value)?;
        li.append_child(&button)?;
        let details = text_el(doc, "button", "details")?;
        details.set_attribute("type", "button")?;
        details.set_class_name("details");
        details.set_attribute("data-detail", &e.id)?;
        details.set_attribute("aria-label", &format!("details of {}", e.name))?;
        details.set_attribute(
            "title",
            "every metric of this container, its limits and events",
        )?;
        li.append_child(&details)?;
        Ok(LegendItem {
            id: e.id.clone(),
            group: e.group.clone(),
            li,
            button,
            swatch,
            value,
            look: (String::new(), "", false, false, String::new()),
            value_text: String::new(),
            shown_text: String::new(),
            skipped: false,
        })
    }

    /// Watches the legend's rows with `watch` (an `IntersectionObserver` on the legend list, whose
    /// callback calls [`Ui::legend_rows_seen`]): from now on rows out of view are not written.
    pub(crate) fn watch_legend(&mut self, watch: web_sys::IntersectionObserver) {
        for item in &self.legend {
            watch.observe(&item.li);
        }
        self.legend_watch = Some(watch);
    }

    /// Rows came into the legend's box or left it: one that comes into view gets its value now.
    pub(crate) fn legend_rows_seen(&mut self, entries: &js_sys::Array) {
        for entry in entries.iter() {
            let Ok(entry) = entry.dyn_into::<web_sys::IntersectionObserverEntry>() else {
                continue;
            };
            let row = entry
                .target()
                .get_attribute("data-id")
                .and_then(|id| self.legend_index.get(&id).copied());
            let Some(item) = row.and_then(|r| self.legend.get_mut(r)) else {
                continue;
            };
            if item.li == entry.target() {
                item.skipped = !entry.is_intersecting();
                item.show_value();
            }
        }
    }

    /// The legend's tools above the list: how many are shown (and by which rule), and past
    /// [`LEGEND_SEARCH_FROM`] containers a search box (the filter) and "show top 10" / "show all".
    fn show_legend_tools(
        &mut self,
        doc: &Document,
        list: &HtmlElement,
        legend: &Legend,
        top_n: Option<usize>,
    ) -> Result<(), WebError> {
        if self.legend_tools.is_none() {
            let Some(parent) = list.parent_node() else {
                return Ok(());
            };
            let root: HtmlElement = doc.create_element("div")?.unchecked_into();
            root.set_class_name("statscope-legend-tools");
            let count = text_el(doc, "span", "")?;
            count.set_class_name("count");
            let search: web_sys::HtmlInputElement = doc.create_element("input")?.unchecked_into();
            search.set_type("search");
            search.set_placeholder("search containers");
            search.set_attribute("aria-label", "search containers (name, ID, host)")?;
            search.set_attribute("data-action", "legend-search")?;
            let top = text_el(doc, "button", "show top 10")?;
            top.set_attribute("type", "button")?;
            top.set_attribute("data-action", "top10")?;
            // The curve a click or a tap focused: its detail panel, one tap away.
            let focused = doc.create_element("button")?;
            focused.set_attribute("type", "button")?;
            focused.set_attribute("data-action", "detail")?;
            focused.set_attribute("hidden", "")?;
            root.append_child(&count)?;
            root.append_child(&search)?;
            root.append_child(&top)?;
            root.append_child(&focused)?;
            parent.insert_before(&root, Some(list))?;
            self.legend_tools = Some(LegendTools {
                root,
                count,
                search,
                top,
                focused,
                focused_key: None,
                last: (String::new(), false, String::new()),
            });
        }
        let Some(tools) = self.legend_tools.as_mut() else {
            return Ok(());
        };
        let shown = legend.entries.iter().filter(|e| e.shown).count();
        let mut count = format!("{shown} of {} shown", legend.total);
        if let Some(rule) = &legend.rule {
            count.push_str(" · ");
            count.push_str(rule);
        }
        let many = legend.total >= LEGEND_SEARCH_FROM || legend.matching < legend.total;
        let (label, action) = match top_n {
            Some(_) => ("show all", "all"),
            None => ("show top 10", "top10"),
        };
        let look = (count, many, label.to_string());
        if tools.last != look {
            tools.count.set_text_content(Some(&look.0));
            for el in [tools.search.unchecked_ref::<Element>(), &tools.top] {
                if many {
                    el.remove_attribute("hidden")?;
                } else {
                    el.set_attribute("hidden", "")?;
                }
            }
            tools.top.set_text_content(Some(label));
            tools.top.set_attribute("data-action", action)?;
            tools.last = look;
        }
        Ok(())
    }

    /// The legend tools' "details of …" button for the focused curve (`(key, label)`), or hidden.
    pub(crate) fn show_focused(&mut self, focus: Option<(&str, &str)>) -> Result<(), WebError> {
        let Some(tools) = self.legend_tools.as_mut() else {
            return Ok(());
        };
        if tools.focused_key.as_deref() == focus.map(|f| f.0) {
            return Ok(());
        }
        match focus {
            Some((key, label)) => {
                tools
                    .focused
                    .set_text_content(Some(&format!("details of {label}")));
                tools.focused.set_attribute("data-detail", key)?;
                tools.focused.remove_attribute("hidden")?;
            }
            None => tools.focused.set_attribute("hidden", "")?,
        }
        tools.focused_key = focus.map(|f| f.0.to_string());
        Ok(())
    }

    /// Keeps the search box showing the filter (set elsewhere: the toolbar, the URL).
    pub(crate) fn sync_search(&self, filter: &str) {
        if let Some(tools) = &self.legend_tools {
            if tools.search.value() != filter {
                tools.search.set_value(filter);
            }
        }
    }

    /// The detail panel of `detail` (`None`: closed), after `anchor` (the legend, or the canvas):
    /// a header (name, image, project, host, limits, restarts), every metric's chart side by side
    /// with its newest value, and its lifecycle events. Names are text.
    pub(crate) fn show_detail(
        &mut self,
        detail: Option<&Detail>,
        anchor: &Element,
        theme: &Theme,
        dpr: f64,
    ) -> Result<(), WebError> {
        let Some(detail) = detail else {
            if let Some(d) = self.detail.take() {
                d.root.remove();
            }
            return Ok(());
        };
        let doc = document()?;
        if self.detail.as_ref().is_some_and(|d| d.key != detail.key) {
            if let Some(d) = self.detail.take() {
                d.root.remove();
            }
        }
        if self.detail.is_none() {
            let root: HtmlElement = doc.create_element("section")?.unchecked_into();
            root.set_class_name("statscope-detail");
            root.set_attribute("aria-label", &format!("details of {}", detail.label))?;
            let head = doc.create_element("div")?;
            head.set_class_name("detail-head");
            let title = text_el(&doc, "h2", &detail.label)?;
            let close = text_el(&doc, "button", "close ✕")?;
            close.set_attribute("type", "button")?;
            close.set_attribute("data-action", "close-detail")?;
            head.append_child(&title)?;
            head.append_child(&close)?;
            let facts = doc.create_element("p")?;
            facts.set_class_name("detail-facts");
            let grid = doc.create_element("div")?;
            grid.set_class_name("detail-grid");
            let mut charts = Vec::new();
            for (m, _) in &detail.charts {
                let cell = doc.create_element("figure")?;
                let caption = text_el(&doc, "figcaption", m.title())?;
                let canvas: HtmlCanvasElement = doc.create_element("canvas")?.unchecked_into();
                canvas.set_attribute("data-metric", m.key())?;
                canvas.set_attribute("role", "img")?;
                canvas
                    .set_attribute("aria-label", &format!("{} of {}", m.title(), detail.label))?;
                cell.append_child(&caption)?;
                cell.append_child(&canvas)?;
                grid.append_child(&cell)?;
                charts.push((caption, canvas));
            }
            let events = doc.create_element("ul")?;
            events.set_class_name("detail-events");
            root.append_child(&head)?;
            root.append_child(&facts)?;
            root.append_child(&grid)?;
            root.append_child(&events)?;
            if let Some(parent) = anchor.parent_node() {
                parent.insert_before(&root, anchor.next_sibling().as_ref())?;
            }
            self.detail = Some(DetailPanel {
                key: detail.key.clone(),
                root,
                facts,
                charts,
                events,
            });
        }
        let Some(panel) = self.detail.as_ref() else {
            return Ok(());
        };
        let mut facts = vec![if detail.stopped { "stopped" } else { "running" }.to_string()];
        if !detail.image.is_empty() {
            facts.push(format!("image {}", detail.image));
        }
        if !detail.project.is_empty() {
            facts.push(format!("project {}", detail.project));
        }
        if !detail.host.is_empty() {
            facts.push(format!("host {}", detail.host));
        }
        facts.push(format!("ID {}", detail.id.get(..12).unwrap_or(&detail.id)));
        facts.push(match (detail.cpu_limit, detail.limits_known) {
            (Some(l), _) => format!("CPU limit {l} core{}", if l == 1.0 { "" } else { "s" }),
            (None, true) => "no CPU limit".into(),
            (None, false) => "limits unknown".into(),
        });
        match (&detail.memory_limit, detail.limits_known) {
            (Some(m), _) => facts.push(format!("memory limit {m}")),
            (None, true) => facts.push("no memory limit".into()),
            (None, false) => {}
        }
        facts.push(format!("{} restart(s) seen", detail.restarts));
        let facts = facts.join(" · ");
        if panel.facts.text_content().as_deref() != Some(facts.as_str()) {
            panel.facts.set_text_content(Some(&facts));
        }
        for (((_, view), (caption, canvas)), value) in
            detail.charts.iter().zip(&panel.charts).zip(&detail.values)
        {
            caption.set_text_content(Some(&format!("{} · {}", value.title, value.value)));
            let rect = canvas.get_bounding_client_rect();
            let (w, h) = (
                (rect.width() * dpr).round() as u32,
                (rect.height() * dpr).round() as u32,
            );
            if w == 0 || h == 0 {
                continue;
            }
            if canvas.width() != w || canvas.height() != h {
                canvas.set_width(w);
                canvas.set_height(h);
            }
            let Some(backend) = plotters_canvas::CanvasBackend::with_canvas_object(canvas.clone())
            else {
                continue;
            };
            let root = plotters::prelude::IntoDrawingArea::into_drawing_area(backend);
            crate::chart::draw(&root, view, theme, dpr)
                .map_err(|e| WebError::Drawing(e.to_string()))?;
        }
        panel.events.set_text_content(None);
        if detail.events.is_empty() {
            let li = text_el(&doc, "li", "no lifecycle events seen")?;
            panel.events.append_child(&li)?;
        }
        for e in &detail.events {
            let li = text_el(
                &doc,
                "li",
                &format!(
                    "{} {} {}",
                    mark_glyph(e.kind),
                    clock_label(e.t_ms, tz_offset()),
                    e.text
                ),
            )?;
            panel.events.append_child(&li)?;
        }
        Ok(())
    }

    /// The fleet overview above the chart: a button per host (its state, containers, busiest); a
    /// click narrows the chart to that host, a click on the host shown widens it to all again.
    /// Removed when there is nothing to show.
    pub(crate) fn show_overview(
        &mut self,
        hosts: &[OverviewHost],
        canvas: &HtmlCanvasElement,
    ) -> Result<(), WebError> {
        if hosts.is_empty() {
            if let Some((o, _)) = self.overview.take() {
                o.remove();
            }
            return Ok(());
        }
        let look: Vec<String> = hosts
            .iter()
            .map(|h| format!("{}{}", if h.selected { "▶ " } else { "" }, h.text))
            .collect();
        if self
            .overview
            .as_ref()
            .is_some_and(|(_, last)| *last == look)
        {
            return Ok(());
        }
        let doc = document()?;
        let root = match self.overview.take() {
            Some((root, _)) => root,
            None => {
                let root: HtmlElement = doc.create_element("nav")?.unchecked_into();
                root.set_class_name("statscope-fleet");
                root.set_attribute("aria-label", "fleet: click a host to show it alone")?;
                if let Some(parent) = canvas.parent_node() {
                    parent.insert_before(&root, Some(canvas))?;
                }
                root
            }
        };
        root.set_text_content(None);
        for (h, words) in hosts.iter().zip(&look) {
            let button = text_el(&doc, "button", words)?;
            button.set_attribute("type", "button")?;
            button.set_attribute("data-action", "host")?;
            // The host shown: a click goes back to every host.
            button.set_attribute("data-host", if h.selected { "" } else { &h.host })?;
            button.set_attribute("data-state", &h.state)?;
            button.set_attribute("aria-pressed", if h.selected { "true" } else { "false" })?;
            root.append_child(&button)?;
        }
        self.overview = Some((root, look));
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

    /// The tooltip at the cursor (`None`: hidden): a small table beside the cursor's line (at the
    /// pointer's height, or the top for the keyboard's cursor), kept inside the canvas's box (so
    /// inside an embedding element too): on the line's right, or its left where there is no room;
    /// never wider or taller than the canvas. On a narrow canvas it lists the metric shown only.
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
        let rect = canvas.get_bounding_client_rect();
        let compact = rect.width() < COMPACT_TOOLTIP_BELOW_PX;
        el.set_attribute(
            "style",
            &format!(
                "position:fixed;z-index:2147483000;pointer-events:none;box-sizing:border-box;\
                 max-width:{:.0}px;max-height:{:.0}px;overflow:hidden;\
                 background:{};color:{};border:1px solid {};border-radius:6px;padding:6px 8px;\
                 font:12px/1.35 system-ui,sans-serif;box-shadow:0 2px 10px rgba(0,0,0,.18);\
                 font-variant-numeric:tabular-nums",
                (rect.width() - 8.0).max(40.0),
                // On a narrow (phone) chart the tooltip leaves most of the chart in view.
                (rect.height() * if compact { 0.6 } else { 1.0 } - 8.0).max(40.0),
                hex(theme.background),
                hex(theme.text),
                hex(theme.axis)
            ),
        )?;
        fill_tooltip(&doc, &el, tip, compact)?;
        // Beside the cursor's line (where the chart drew it), inside the canvas's box.
        let line_x = rect.left() + placed.rect.x_of(tip.t_ms, placed.x_range) / placed.dpr.max(0.1);
        let py = self.pointer.map_or(rect.top() + 12.0, |p| p.1);
        let (tw, th) = (f64::from(el.offset_width()), f64::from(el.offset_height()));
        let (left, right) = (rect.left() + 4.0, rect.right() - 4.0);
        let (top, bottom) = (rect.top() + 4.0, rect.bottom() - 4.0);
        let mut x = line_x + 12.0;
        if x + tw > right {
            x = line_x - 12.0 - tw;
        }
        let x = x.min(right - tw).max(left);
        let y = (py + 12.0).min(bottom - th).max(top);
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
    if let Ok(Some(details)) = target.closest("[data-detail]") {
        if let Some(key) = details.get_attribute("data-detail") {
            core.set_detail(&key);
            return Reaction::Redraw;
        }
    }
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

/// A click on one of the page's own controls (`data-action`).
fn action_click(e: &Event, core: &mut DashboardCore) -> Reaction {
    let Some(target) = e.target().and_then(|t| t.dyn_into::<Element>().ok()) else {
        return Reaction::Nothing;
    };
    let Ok(Some(el)) = target.closest("[data-action]") else {
        return Reaction::Nothing;
    };
    match el.get_attribute("data-action").as_deref() {
        Some("close-detail") => core.set_detail(""),
        Some("detail") => match el.get_attribute("data-detail") {
            Some(key) => core.set_detail(&key),
            None => return Reaction::Nothing,
        },
        Some("top10") => core.set_top_n(Some(10)),
        Some("host") => match el.get_attribute("data-host") {
            Some(key) => core.set_host(&key),
            None => return Reaction::Nothing,
        },
        Some("all") => core.set_top_n(None),
        _ => return Reaction::Nothing,
    }
    Reaction::Redraw
}

fn fill_tooltip(
    doc: &Document,
    el: &HtmlElement,
    tip: &Tooltip,
    compact: bool,
) -> Result<(), WebError> {
    el.set_text_content(None);
    let mut title = format!("{} · {}", tip.time, tip.metric.title());
    if tip.smoothed >= 2 {
        title.push_str(&format!(
            " · curves smoothed over {} samples (values here are the samples')",
            tip.smoothed
        ));
    }
    let head = text_el(doc, "div", &title)?;
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
        let shown = |m: &crate::metrics::MetricSpec| !compact || m.metric == tip.metric;
        for m in METRICS.iter().filter(|m| shown(m)) {
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
        let rows = if compact {
            COMPACT_TOOLTIP_ROWS
        } else {
            tip.rows.len()
        };
        let mut listed: Vec<&crate::dashboard::TooltipRow> = tip.rows.iter().take(rows).collect();
        if let Some(focused) = tip.rows.iter().skip(rows).find(|r| r.focused) {
            listed.pop();
            listed.push(focused);
        }
        for r in listed {
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
            for (m, v) in METRICS.iter().zip(&r.values).filter(|(m, _)| shown(m)) {
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
    let more = tip.more
        + tip.rows.len().saturating_sub(if compact {
            COMPACT_TOOLTIP_ROWS
        } else {
            tip.rows.len()
        });
    if more > 0 {
        let child = text_el(doc, "div", &format!("+{more} more"))?;
        el.append_child(&child)?;
    }
    for m in tip.marks.iter().take(if compact { 2 } else { usize::MAX }) {
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
            "tap or click a curve, or press ↑/↓: how was this computed? Enter: details",
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
