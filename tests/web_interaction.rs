//! Issue 5's interactions in headless Chrome (`wasm-pack test --headless --chrome -- --test
//! web_interaction`): real DOM events on the canvas and the legend (keyboard, pointer, wheel,
//! double-click, clicks with and without shift), the tooltip's DOM, the screen-reader table, the
//! exports, and the redraw budget.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use statscope::Dashboard;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

mod web_support;
use web_support::{document, frame, get, image, pixels_of, sleep, swatch_hex};
use web_sys::{Element, HtmlCanvasElement, HtmlElement};

wasm_bindgen_test_configure!(run_in_browser);

const RECORDING: &str = include_str!("fixtures/docker-20.10-cgroupv1.ndjson");
const BURN: &str = "ad14fe331ae9e7b4b1ba244e9af197cd81c64b1794700bab29de222168ef5b6e";

/// A fresh box with a 600×240 canvas and a legend list, and a dashboard fed the recording.
fn fixture(extra: &str) -> (Dashboard, HtmlCanvasElement, HtmlElement) {
    let doc = document();
    let root: HtmlElement = doc.create_element("div").unwrap().unchecked_into();
    doc.body().unwrap().append_child(&root).unwrap();
    let canvas: HtmlCanvasElement = doc.create_element("canvas").unwrap().unchecked_into();
    canvas
        .set_attribute("style", "display:block;width:600px;height:240px")
        .unwrap();
    let legend: HtmlElement = doc.create_element("ul").unwrap().unchecked_into();
    root.append_child(&canvas).unwrap();
    root.append_child(&legend).unwrap();
    let options =
        js_sys::JSON::parse(&format!(r#"{{"connect": false, "theme": "light"{extra}}}"#)).unwrap();
    js_sys::Reflect::set(&options, &"legend".into(), &legend).unwrap();
    let d = Dashboard::new(canvas.clone(), Some(options.unchecked_into())).unwrap();
    for line in RECORDING.lines() {
        d.ingest(&JsValue::from(line));
    }
    d.redraw().unwrap();
    (d, canvas, legend)
}

fn settings(d: &Dashboard) -> JsValue {
    d.settings().unwrap().into()
}

/// Runs `body` as a JS function of `el`.
fn js(el: &JsValue, body: &str) -> JsValue {
    js_sys::Function::new_with_args("el", body)
        .call1(&JsValue::NULL, el)
        .unwrap()
}

fn key(canvas: &HtmlCanvasElement, k: &str) {
    js(
        canvas,
        &format!("el.dispatchEvent(new KeyboardEvent('keydown', {{ key: {k:?}, bubbles: true, cancelable: true }}));"),
    );
}

/// Dispatches a pointer/mouse/wheel event at `fx`, `fy` (fractions of the canvas box).
fn at(canvas: &HtmlCanvasElement, class: &str, kind: &str, fx: f64, fy: f64, more: &str) {
    js(
        canvas,
        &format!(
            "const r = el.getBoundingClientRect();
             el.dispatchEvent(new {class}({kind:?}, {{ clientX: r.left + r.width * {fx}, clientY: r.top + r.height * {fy},
               bubbles: true, cancelable: true, pointerId: 1, button: 0 {more} }}));"
        ),
    );
}

fn tooltip_el(canvas: &HtmlCanvasElement) -> Option<HtmlElement> {
    canvas
        .parent_element()
        .unwrap()
        .query_selector(".statscope-tooltip")
        .unwrap()
        .map(|e| e.unchecked_into())
}

fn tooltip_visible(canvas: &HtmlCanvasElement) -> bool {
    tooltip_el(canvas).is_some_and(|t| t.style().get_property_value("display").unwrap() != "none")
}

#[wasm_bindgen_test]
async fn keys_pause_move_the_cursor_and_explain_the_number() {
    let (d, canvas, _) = fixture("");
    assert_eq!(
        canvas.get_attribute("tabindex").as_deref(),
        Some("0"),
        "focusable"
    );
    key(&canvas, " ");
    assert_eq!(
        get(&settings(&d), "paused").as_bool(),
        Some(true),
        "Space pauses"
    );
    key(&canvas, " ");
    assert_eq!(
        get(&settings(&d), "paused").as_bool(),
        Some(false),
        "and resumes"
    );

    key(&canvas, "ArrowLeft");
    frame().await;
    frame().await;
    let tip: JsValue = d.tooltip().unwrap().into();
    assert!(!tip.is_null(), "the arrow keys bring a cursor");
    let t0 = get(&tip, "tMs").as_f64().unwrap();
    assert!(tooltip_visible(&canvas));
    let text = tooltip_el(&canvas).unwrap().text_content().unwrap();
    assert!(text.contains("ss-burn") && text.contains('%'), "{text}");
    key(&canvas, "ArrowLeft");
    let t1 = get(&d.tooltip().unwrap().into(), "tMs").as_f64().unwrap();
    assert!(t1 < t0, "one sample back");

    key(&canvas, "ArrowDown");
    frame().await;
    frame().await;
    let explain = tooltip_el(&canvas)
        .unwrap()
        .query_selector(".explain")
        .unwrap()
        .expect("the focused row's explanation");
    let text = explain.text_content().unwrap();
    assert!(
        text.contains("Δ container CPU") && text.contains("online CPUs"),
        "{text}"
    );

    key(&canvas, "Escape");
    frame().await;
    frame().await;
    assert!(d.tooltip().unwrap().is_null());
    assert!(!tooltip_visible(&canvas), "Escape hides the tooltip");
    d.destroy();
    assert!(tooltip_el(&canvas).is_none(), "destroy removes the tooltip");
}

#[wasm_bindgen_test]
async fn the_pointer_hovers_wheels_drags_and_double_clicks() {
    let (d, canvas, _) = fixture("");
    at(&canvas, "PointerEvent", "pointermove", 0.6, 0.5, "");
    frame().await;
    frame().await;
    assert!(tooltip_visible(&canvas), "hovering shows the tooltip");
    let rows = get(&d.tooltip().unwrap().into(), "rows");
    assert_eq!(
        js_sys::Array::from(&rows).length(),
        4,
        "one row per running container"
    );

    let before = d.snapshot().unwrap();
    at(&canvas, "WheelEvent", "wheel", 0.6, 0.5, ", deltaY: -300");
    assert_eq!(
        get(&settings(&d), "zoomed").as_bool(),
        Some(true),
        "the wheel zooms"
    );
    let after = d.snapshot().unwrap();
    let count = |s: &JsValue| {
        js_sys::Array::from(&get(s, "containers"))
            .iter()
            .map(|c| js_sys::Array::from(&get(&c, "cpu")).length())
            .sum::<u32>()
    };
    assert!(
        count(&after) < count(&before),
        "zoomed in: fewer points in the window"
    );

    // Drag right: the window moves back in time.
    let end = |d: &Dashboard| {
        let s: JsValue = d.snapshot().unwrap().into();
        js_sys::Array::from(&get(&s, "containers"))
            .iter()
            .flat_map(|c| {
                js_sys::Array::from(&get(&c, "cpu"))
                    .iter()
                    .collect::<Vec<_>>()
            })
            .map(|p| js_sys::Array::from(&p).get(0).as_f64().unwrap())
            .fold(0.0f64, f64::max)
    };
    let end_before = end(&d);
    at(&canvas, "PointerEvent", "pointerdown", 0.3, 0.5, "");
    at(&canvas, "PointerEvent", "pointermove", 0.6, 0.5, "");
    at(&canvas, "PointerEvent", "pointerup", 0.6, 0.5, "");
    assert!(end(&d) < end_before, "dragging pans");

    at(&canvas, "MouseEvent", "dblclick", 0.5, 0.5, "");
    assert_eq!(
        get(&settings(&d), "zoomed").as_bool(),
        Some(false),
        "double-click: live"
    );
    assert_eq!(count(&d.snapshot().unwrap()), count(&before));

    at(&canvas, "PointerEvent", "pointerleave", 0.5, 0.5, "");
    frame().await;
    frame().await;
    assert!(!tooltip_visible(&canvas), "leaving hides it");
}

#[wasm_bindgen_test]
async fn legend_clicks_isolate_and_shift_clicks_toggle() {
    let (d, canvas, legend) = fixture("");
    let item = |id: &str| {
        legend
            .query_selector(&format!("li[data-id='{id}']"))
            .unwrap()
            .unwrap()
    };
    let hidden = || {
        legend
            .query_selector_all("li[data-hidden]")
            .unwrap()
            .length()
    };
    let items = legend.query_selector_all("li").unwrap();
    let others: Vec<Element> = (0..items.length())
        .map(|i| items.item(i).unwrap().unchecked_into::<Element>())
        .filter(|li| li.get_attribute("data-id").as_deref() != Some(BURN))
        .collect();
    let other_hex = swatch_hex(&others[0]);
    assert!(pixels_of(&canvas, &other_hex) > 20, "{other_hex} is drawn");

    js(
        &item(BURN).query_selector("button").unwrap().unwrap().into(),
        "el.click();",
    );
    d.redraw().unwrap();
    assert_eq!(hidden(), 4, "a click shows only that container");
    assert_eq!(
        item(BURN)
            .query_selector("button")
            .unwrap()
            .unwrap()
            .get_attribute("aria-pressed")
            .as_deref(),
        Some("true")
    );
    assert!(
        pixels_of(&canvas, &other_hex) < 5,
        "the others are no longer drawn"
    );

    let other_button = others[0].query_selector("button").unwrap().unwrap();
    js(
        &other_button.into(),
        "el.dispatchEvent(new MouseEvent('click', { shiftKey: true, bubbles: true }));",
    );
    d.redraw().unwrap();
    assert_eq!(hidden(), 3, "shift-click adds one");
    assert!(pixels_of(&canvas, &other_hex) > 20);
    d.show_all();
    d.redraw().unwrap();
    assert_eq!(hidden(), 0);

    // Top-N and the filter shorten the list and say so.
    d.set_top_n(2);
    d.redraw().unwrap();
    assert_eq!(
        legend.query_selector_all("li[data-id]").unwrap().length(),
        2
    );
    let more = legend
        .query_selector(".more")
        .unwrap()
        .expect("a 'more' line");
    assert!(more.text_content().unwrap().contains("3 more"));
    d.set_top_n(0);
    d.set_filter("ss-i");
    d.redraw().unwrap();
    let names: Vec<String> = (0..legend.query_selector_all(".name").unwrap().length())
        .map(|i| {
            legend
                .query_selector_all(".name")
                .unwrap()
                .item(i)
                .unwrap()
                .text_content()
                .unwrap()
        })
        .collect();
    assert_eq!(names, ["ss-idle", "ss-io"]);
}

#[wasm_bindgen_test]
async fn exports_are_a_png_of_the_canvas_and_the_windows_csv() {
    let (d, canvas, _) = fixture("");
    let url = d.export_png().unwrap();
    assert!(url.starts_with("data:image/png;base64,"));
    let bytes: Vec<u32> = js_sys::Array::from(&js(
        &JsValue::from_str(&url),
        "const b = atob(el.split(',')[1]); return Array.from(b.slice(0, 24), (c) => c.charCodeAt(0));",
    ))
    .iter()
    .map(|v| v.as_f64().unwrap() as u32)
    .collect();
    assert_eq!(
        &bytes[..8],
        &[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A],
        "PNG signature"
    );
    assert_eq!(
        &bytes[12..16],
        &[b'I' as u32, b'H' as u32, b'D' as u32, b'R' as u32]
    );
    let be = |b: &[u32]| b.iter().fold(0u32, |acc, x| acc << 8 | x);
    let (w, h) = (be(&bytes[16..20]), be(&bytes[20..24]));
    assert_eq!(w, canvas.width(), "the canvas's width in device pixels");
    assert!(
        h > canvas.height() + 40,
        "taller than the chart by its title and legend: {h} vs {}",
        canvas.height()
    );

    let csv = d.export_csv();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("time,host,id,name,cpu_percent,mem_usage_bytes,mem_percent,net_rx_bytes_per_s,net_tx_bytes_per_s,blk_read_bytes_per_s,blk_write_bytes_per_s,pids,flag")
    );
    assert!(lines.count() > 100);
    d.set_filter("ss-burn");
    let burn = d.export_csv();
    assert!(
        burn.lines().skip(1).all(|l| l.contains(BURN)),
        "only what is shown"
    );
    assert_eq!(
        burn.lines().count(),
        1 + 27,
        "every burn sample of the window"
    );
}

#[wasm_bindgen_test]
async fn the_metric_switch_renames_the_canvas_and_the_table_reads_values() {
    let (d, canvas, _) = fixture("");
    let label = canvas.get_attribute("aria-label").unwrap();
    assert!(
        label.contains("CPU") && label.contains("one core"),
        "{label}"
    );
    d.set_metric("memory").unwrap();
    d.redraw().unwrap();
    assert!(canvas
        .get_attribute("aria-label")
        .unwrap()
        .starts_with("Memory"));
    assert!(d.set_metric("load").is_err(), "unknown metrics are refused");
    d.set_metric("cpu").unwrap();
    d.set_cpu_scale("host").unwrap();
    d.redraw().unwrap();
    assert!(canvas
        .get_attribute("aria-label")
        .unwrap()
        .contains("all host CPUs"));

    // The hidden table is refreshed on the first tick, then every 10 s.
    sleep(1300).await;
    let table = canvas
        .parent_element()
        .unwrap()
        .query_selector("table.statscope-table")
        .unwrap()
        .expect("a screen-reader table");
    assert_eq!(table.get_attribute("aria-live").as_deref(), Some("polite"));
    let rows = table.query_selector_all("tr").unwrap().length();
    assert_eq!(rows, 1 + 5, "a header and a row per container");
    let text = table.text_content().unwrap();
    assert!(
        text.contains("ss-burn") && text.contains("stopped"),
        "{text}"
    );
    assert!(text.contains("steady") || text.contains("rising") || text.contains("falling"));
}

#[wasm_bindgen_test]
async fn new_data_redraws_at_most_four_times_a_second() {
    let (d, _canvas, _) = fixture("");
    let redraws = |d: &Dashboard| {
        get(&d.status().unwrap().into(), "redraws")
            .as_f64()
            .unwrap()
    };
    let lines: Vec<&str> = RECORDING.lines().collect();
    sleep(300).await;
    let start = redraws(&d);
    // 20 frames over ~1 s: one per 50 ms, each with new data.
    for l in lines.iter().cycle().skip(3).take(20) {
        d.ingest(&JsValue::from(*l));
        sleep(50).await;
    }
    let drawn = redraws(&d) - start;
    assert!(drawn >= 2.0, "new data is drawn: {drawn}");
    assert!(
        drawn <= 6.0,
        "but within the budget, not per frame: {drawn}"
    );
}

#[wasm_bindgen_test]
fn frames_arrive_as_strings_array_buffers_or_bytes() {
    let doc = document();
    let canvas: HtmlCanvasElement = doc.create_element("canvas").unwrap().unchecked_into();
    let options = js_sys::JSON::parse(r#"{"connect": false}"#).unwrap();
    let d = Dashboard::new(canvas, Some(options.unchecked_into())).unwrap();
    let lines: Vec<&str> = RECORDING.lines().collect();
    let bytes = |s: &str| js_sys::Uint8Array::from(s.as_bytes());
    d.ingest(&JsValue::from(lines[0]));
    d.ingest(&bytes(lines[1]).buffer().into());
    d.ingest(&bytes(lines[2]).into());
    let status: JsValue = d.status().unwrap().into();
    assert_eq!(
        get(&status, "samples").as_f64(),
        Some(3.0),
        "all three kinds are read"
    );
    assert_eq!(get(&status, "malformed").as_f64(), Some(0.0));
    d.ingest(&js_sys::Uint8Array::from(&[0xff_u8, 0xfe, b'{'][..]).into());
    d.ingest(&JsValue::from_f64(42.0));
    let status: JsValue = d.status().unwrap().into();
    assert_eq!(
        get(&status, "malformed").as_f64(),
        Some(2.0),
        "bad bytes and a number are counted"
    );
    let last = get(&status, "lastError").as_string().unwrap_or_default();
    assert!(last.contains("expected a string"), "{last}");
    assert!(get(&status, "lastError")
        .as_string()
        .unwrap()
        .contains("expected a string"));
    let big = js_sys::Uint8Array::new_with_length(2 << 20);
    d.ingest(&big.into());
    let status: JsValue = d.status().unwrap().into();
    assert_eq!(
        get(&status, "oversized").as_f64(),
        Some(1.0),
        "refused before copying"
    );
    assert_eq!(get(&status, "frames").as_f64(), Some(6.0));
}

/// When only the cursor moves, the chart is not redrawn: the picture under the cursor is copied
/// back from the offscreen canvas and the cursor drawn anew, so hovering stays cheap with
/// hundreds of curves. Without the cursor the page shows exactly what a whole redraw draws.
#[wasm_bindgen_test]
async fn moving_the_cursor_redraws_only_the_cursor() {
    let (d, canvas, _) = fixture("");
    let redraws = |d: &Dashboard| {
        get(&d.status().unwrap().into(), "redraws")
            .as_f64()
            .unwrap()
    };
    // The first hover after the fixture's synchronous redraw() draws the chart once more (it
    // keeps nothing to copy back); from then on the chart stays.
    at(&canvas, "PointerEvent", "pointermove", 0.6, 0.5, "");
    sleep(300).await; // and whatever else was due (the resize observer's first call)
    let drawn = redraws(&d);
    let first = image(&canvas);
    let t_first = get(&d.tooltip().unwrap().into(), "tMs").as_f64().unwrap();

    at(&canvas, "PointerEvent", "pointermove", 0.3, 0.5, "");
    frame().await;
    frame().await;
    assert_eq!(redraws(&d), drawn, "no redraw of the chart for the cursor");
    assert!(tooltip_visible(&canvas));
    let t_second = get(&d.tooltip().unwrap().into(), "tMs").as_f64().unwrap();
    assert!(t_second < t_first, "the tooltip follows the pointer left");
    let second = image(&canvas);
    assert!(second != first, "the cursor moved on the canvas");

    at(&canvas, "PointerEvent", "pointerleave", 0.3, 0.5, "");
    frame().await;
    frame().await;
    assert_eq!(redraws(&d), drawn);
    assert!(!tooltip_visible(&canvas));
    let bare = image(&canvas);
    assert!(bare != second, "the cursor is gone");
    d.redraw().unwrap();
    assert!(
        image(&canvas) == bare,
        "what stays under the cursor is the chart a whole redraw draws"
    );
    d.destroy();
}

/// Stats objects of `n` more containers (`extra-00`…), a few samples each, for a crowded legend.
fn crowd(d: &Dashboard, n: usize) {
    for k in 0..n {
        for t in 0..4u64 {
            let line = format!(
                r#"{{"id":"{:064x}","name":"/extra-{k:02}","read":"2026-11-24T02:23:{:02}.5Z","preread":"2026-11-24T02:23:{:02}.5Z","cpu_stats":{{"cpu_usage":{{"total_usage":{}}},"system_cpu_usage":{},"online_cpus":2}},"precpu_stats":{{"cpu_usage":{{"total_usage":0}},"system_cpu_usage":0,"online_cpus":2}}}}"#,
                k + 1,
                20 + t,
                19 + t,
                (t + 1) * (k as u64 + 1) * 1_000_000,
                (t + 1) * 2_000_000_000
            );
            d.ingest(&JsValue::from(line));
        }
    }
    d.redraw().unwrap();
}

#[wasm_bindgen_test]
async fn a_pinch_zooms_and_a_tap_shows_values() {
    let (d, canvas, _) = fixture("");
    let status = |d: &Dashboard| -> JsValue { d.status().unwrap().into() };
    assert_eq!(get(&status(&d), "zoomed").as_bool(), Some(false));
    let touch = |kind: &str, id: u32, fx: f64| {
        at(
            &canvas,
            "PointerEvent",
            kind,
            fx,
            0.5,
            &format!(
                ", pointerType: 'touch', pointerId: {id}, isPrimary: {}",
                id == 1
            ),
        )
    };
    touch("pointerdown", 1, 0.4);
    touch("pointerdown", 2, 0.6);
    touch("pointermove", 2, 0.9);
    assert_eq!(
        get(&status(&d), "zoomed").as_bool(),
        Some(true),
        "two fingers apart zoom in"
    );
    touch("pointerup", 2, 0.9);
    touch("pointerup", 1, 0.4);
    d.resume();
    // A tap is a click: the values at that time, in the tooltip.
    at(&canvas, "MouseEvent", "click", 0.5, 0.5, "");
    frame().await;
    frame().await;
    assert!(tooltip_visible(&canvas), "a tap shows the values");
    // The tapped curve's detail panel is one tap away, above the legend.
    let root = canvas.parent_element().unwrap();
    let button = root
        .query_selector(".statscope-legend-tools button[data-action=detail]")
        .unwrap()
        .expect("the focused curve's details button");
    assert!(
        !button.has_attribute("hidden"),
        "shown while a curve is focused"
    );
    assert!(button.text_content().unwrap().starts_with("details of ss-"));
    js(&button, "el.click();");
    d.redraw().unwrap();
    assert!(
        root.query_selector(".statscope-detail").unwrap().is_some(),
        "the detail panel, from a curve"
    );
}

#[wasm_bindgen_test]
async fn the_tooltip_stays_inside_the_canvas_and_is_compact_when_narrow() {
    let (_d, canvas, _) = fixture("");
    // Near the plot's corners (the tooltip is bigger than the room there).
    for (fx, fy) in [(0.84, 0.9), (0.82, 0.06), (0.16, 0.9)] {
        at(
            &canvas,
            "PointerEvent",
            "pointermove",
            fx,
            fy,
            ", pointerType: 'mouse'",
        );
        frame().await;
        frame().await;
        let tip = tooltip_el(&canvas).expect("a tooltip");
        let (t, c) = (
            tip.get_bounding_client_rect(),
            canvas.get_bounding_client_rect(),
        );
        assert!(
            t.left() >= c.left() - 0.5
                && t.right() <= c.right() + 0.5
                && t.top() >= c.top() - 0.5
                && t.bottom() <= c.bottom() + 0.5,
            "at ({fx}, {fy}): tooltip {:?} outside the canvas {:?}",
            (t.left(), t.top(), t.right(), t.bottom()),
            (c.left(), c.top(), c.right(), c.bottom())
        );
    }
    let wide_columns = tooltip_el(&canvas)
        .unwrap()
        .query_selector_all("tr:first-child th")
        .unwrap()
        .length();
    canvas
        .set_attribute("style", "display:block;width:360px;height:240px")
        .unwrap();
    sleep(50).await;
    at(
        &canvas,
        "PointerEvent",
        "pointermove",
        0.5,
        0.5,
        ", pointerType: 'mouse'",
    );
    frame().await;
    frame().await;
    let narrow_columns = tooltip_el(&canvas)
        .unwrap()
        .query_selector_all("tr:first-child th")
        .unwrap()
        .length();
    assert!(wide_columns > 4, "every metric: {wide_columns}");
    assert_eq!(narrow_columns, 2, "name and the metric shown");
}

#[wasm_bindgen_test]
async fn a_crowded_legend_has_search_count_top_ten_and_details() {
    let (d, canvas, legend) = fixture("");
    crowd(&d, 15);
    let root = canvas.parent_element().unwrap();
    let tools = root
        .query_selector(".statscope-legend-tools")
        .unwrap()
        .expect("the legend's tools");
    let count = tools.query_selector(".count").unwrap().unwrap();
    assert!(
        count.text_content().unwrap().starts_with("20 of 20 shown"),
        "{:?}",
        count.text_content()
    );
    let search: web_sys::HtmlInputElement = tools
        .query_selector("input")
        .unwrap()
        .unwrap()
        .unchecked_into();
    assert!(!search.has_attribute("hidden"), "searchable past 12");
    search.set_value("extra-0");
    js(
        &search,
        "el.dispatchEvent(new Event('input', { bubbles: true }));",
    );
    d.redraw().unwrap();
    assert_eq!(
        get(&settings(&d), "filter").as_string().as_deref(),
        Some("extra-0")
    );
    assert_eq!(
        legend.query_selector_all("li[data-id]").unwrap().length(),
        10,
        "extra-00 … extra-09"
    );
    search.set_value("");
    js(
        &search,
        "el.dispatchEvent(new Event('input', { bubbles: true }));",
    );
    let top = tools
        .query_selector("[data-action]")
        .unwrap()
        .expect("show top 10");
    let top = tools
        .query_selector("button[data-action]")
        .unwrap()
        .unwrap_or(top);
    js(&top, "el.click();");
    d.redraw().unwrap();
    assert_eq!(get(&settings(&d), "topN").as_f64(), Some(10.0));
    assert_eq!(
        legend.query_selector_all("li[data-id]").unwrap().length(),
        10
    );
    assert!(
        count
            .text_content()
            .unwrap()
            .contains("mean over the last 30 s"),
        "the rule is stated: {:?}",
        count.text_content()
    );
    // A details button opens the panel: a chart per metric; its close button closes it.
    let details = legend
        .query_selector("li[data-id] button.details")
        .unwrap()
        .expect("a details button");
    js(&details, "el.click();");
    d.redraw().unwrap();
    let panel = root
        .query_selector(".statscope-detail")
        .unwrap()
        .expect("the detail panel");
    assert_eq!(
        panel.query_selector_all("canvas").unwrap().length() as usize,
        statscope::metrics::METRICS.len()
    );
    assert!(!d.detail().unwrap().is_null());
    let close = panel
        .query_selector("[data-action=close-detail]")
        .unwrap()
        .unwrap();
    js(&close, "el.click();");
    d.redraw().unwrap();
    assert!(root.query_selector(".statscope-detail").unwrap().is_none());
}

#[wasm_bindgen_test]
async fn new_options_apply_in_place_and_keep_the_data() {
    let (d, _canvas, _) = fixture("");
    let before = js_sys::JSON::stringify(&d.snapshot().unwrap().into()).unwrap();
    let options = js_sys::JSON::parse(
        r#"{"connect": false, "theme": "light", "metric": "memory", "topN": 2, "logScale": true}"#,
    )
    .unwrap();
    assert!(d.apply_options(&options).unwrap(), "applied in place");
    let after = js_sys::JSON::stringify(&d.snapshot().unwrap().into()).unwrap();
    assert_eq!(before, after, "no point lost");
    let s = settings(&d);
    assert_eq!(get(&s, "metric").as_string().as_deref(), Some("memory"));
    assert_eq!(get(&s, "logScale").as_bool(), Some(true));
    let params = js_sys::JSON::stringify(&d.url_params().unwrap()).unwrap();
    assert!(
        String::from(params).contains(r#"["metric","memory"]"#),
        "the URL follows"
    );
    let restart = js_sys::JSON::parse(r#"{"connect": false, "windowSeconds": 60}"#).unwrap();
    assert!(
        !d.apply_options(&restart).unwrap(),
        "a new window needs a new dashboard"
    );
}
