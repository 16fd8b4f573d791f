//! The browser glue in headless Chrome (`wasm-pack test --headless --chrome -- --test web`):
//! drawing, `ingest`/`snapshot`, malformed frames, reconnecting, the legend's escaping, `destroy`.
#![cfg(target_arch = "wasm32")]
// Clippy does not know `#[wasm_bindgen_test]` functions are tests, so `allow-unwrap-in-tests`
// (clippy.toml) does not reach them: a test that unwraps is asserting.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use statscope::Dashboard;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

mod web_support;
use web_support::{document, frame, get, image, pixels_of, sleep, swatch_hex};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, HtmlElement};

wasm_bindgen_test_configure!(run_in_browser);

const RECORDING: &str = include_str!("fixtures/docker-20.10-cgroupv1.ndjson");

fn element<T: JsCast>(tag: &str) -> T {
    let el = document().create_element(tag).unwrap();
    document().body().unwrap().append_child(&el).unwrap();
    el.dyn_into::<T>().unwrap()
}

fn canvas() -> HtmlCanvasElement {
    let c: HtmlCanvasElement = element("canvas");
    c.style().set_property("width", "600px").unwrap();
    c.style().set_property("height", "240px").unwrap();
    c.style().set_property("display", "block").unwrap();
    c
}

/// Options as a page writes them: a plain JS object.
fn options(json: &str, extra: &[(&str, &JsValue)]) -> statscope::DashboardOptions {
    let o = js_sys::JSON::parse(json).unwrap();
    for (k, v) in extra {
        js_sys::Reflect::set(&o, &JsValue::from_str(k), v).unwrap();
    }
    o.unchecked_into()
}

fn number(v: &JsValue, key: &str) -> f64 {
    get(v, key)
        .as_f64()
        .unwrap_or_else(|| panic!("{key} is not a number"))
}

/// Pixels of the canvas that are not the background (the light theme's white).
fn inked_pixels(c: &HtmlCanvasElement) -> usize {
    let ctx: CanvasRenderingContext2d = c.get_context("2d").unwrap().unwrap().unchecked_into();
    let data = ctx
        .get_image_data(0.0, 0.0, c.width() as f64, c.height() as f64)
        .unwrap()
        .data();
    data.chunks(4)
        .filter(|p| p[3] > 0 && !(p[0] > 250 && p[1] > 250 && p[2] > 250))
        .count()
}

#[wasm_bindgen_test]
fn ingest_and_snapshot_round_trip() {
    let d = Dashboard::new(canvas(), Some(options(r#"{"connect": false}"#, &[]))).unwrap();
    for line in RECORDING.lines() {
        d.ingest(&JsValue::from(line));
    }
    let snapshot: JsValue = d.snapshot().unwrap().into();
    let containers: js_sys::Array = get(&snapshot, "containers").unchecked_into();
    assert_eq!(containers.length(), 5);
    let burn = containers
        .iter()
        .find(|c| get(c, "name").as_string().as_deref() == Some("ss-burn"))
        .expect("ss-burn");
    let cpu: js_sys::Array = get(&burn, "cpu").unchecked_into();
    assert!(cpu.length() > 20);
    for point in cpu.iter() {
        let pair: js_sys::Array = point.unchecked_into();
        assert_eq!(pair.length(), 2);
        let (t, v) = (pair.get(0).as_f64().unwrap(), pair.get(1).as_f64().unwrap());
        assert!(t > 1.7e12, "t is ms since the epoch: {t}");
        assert!((35.0..65.0).contains(&v), "ss-burn runs at --cpus 0.5: {v}");
    }
    assert_eq!(get(&burn, "id").as_string().map(|s| s.len()), Some(64));
}

#[wasm_bindgen_test]
fn drawing_puts_curves_on_the_canvas_at_the_device_pixel_ratio() {
    let c = canvas();
    let legend: HtmlElement = element("ul");
    let d = Dashboard::new(
        c.clone(),
        Some(options(
            r#"{"connect": false, "theme": "light"}"#,
            &[("legend", &legend.clone().into())],
        )),
    )
    .unwrap();
    d.redraw().unwrap();
    let dpr = web_sys::window().unwrap().device_pixel_ratio();
    assert_eq!(
        c.width(),
        (600.0 * dpr).round() as u32,
        "backing store = CSS size × DPR"
    );
    let empty = inked_pixels(&c);
    for line in RECORDING.lines() {
        d.ingest(&JsValue::from(line));
    }
    d.redraw().unwrap();
    assert!(inked_pixels(&c) > empty + 500, "curves drew pixels");
    // The burner's colour, as the legend shows it, is on the canvas.
    let item = legend
        .query_selector("li[data-id] .name")
        .unwrap()
        .expect("a legend entry");
    assert!(!item.text_content().unwrap_or_default().is_empty());
    let swatches = legend.query_selector_all(".swatch").unwrap();
    assert_eq!(swatches.length(), 5);
    for i in 0..swatches.length() {
        let hex = swatch_hex(&swatches.item(i).unwrap().unchecked_into());
        assert!(pixels_of(&c, &hex) > 20, "curve in {hex} is drawn");
    }
}

#[wasm_bindgen_test]
fn malformed_frames_are_counted_and_the_rest_is_kept() {
    let d = Dashboard::new(canvas(), Some(options(r#"{"connect": false}"#, &[]))).unwrap();
    let lines: Vec<&str> = RECORDING.lines().collect();
    d.ingest(&JsValue::from(lines[0]));
    d.ingest(&JsValue::from("not json at all"));
    d.ingest(&JsValue::from(r#"{"read": "yesterday"}"#));
    d.ingest(&JsValue::from(lines[1]));
    d.redraw().unwrap();
    let s: JsValue = d.status().unwrap().into();
    assert_eq!(number(&s, "malformed"), 2.0);
    assert_eq!(number(&s, "samples"), 2.0);
    assert_eq!(number(&s, "containers"), 2.0);
    assert!(get(&s, "lastError")
        .as_string()
        .unwrap()
        .contains("RFC 3339"));
    let snapshot: JsValue = d.snapshot().unwrap().into();
    let containers: js_sys::Array = get(&snapshot, "containers").unchecked_into();
    assert_eq!(containers.length(), 2);
}

#[wasm_bindgen_test]
async fn the_status_line_reports_bad_frames_as_text() {
    let status: HtmlElement = element("p");
    let d = Dashboard::new(
        canvas(),
        Some(options(
            r#"{"connect": false}"#,
            &[("status", &status.clone().into())],
        )),
    )
    .unwrap();
    d.ingest(&JsValue::from("{{{"));
    sleep(100).await; // one animation frame updates the status line
    let text = status.text_content().unwrap_or_default();
    assert!(text.contains("1 malformed (dropped)"), "{text}");
}

#[wasm_bindgen_test]
async fn it_reconnects_with_backoff_when_the_socket_closes() {
    let status: HtmlElement = element("p");
    // Nothing listens on port 9: every connection opens and closes at once.
    let d = Dashboard::new(
        canvas(),
        Some(options(
            r#"{"feed": "ws://127.0.0.1:9/ws"}"#,
            &[("status", &status.clone().into())],
        )),
    )
    .unwrap();
    let mut max_attempt = 0.0f64;
    let mut saw_text = false;
    for _ in 0..60 {
        sleep(100).await;
        let s: JsValue = d.status().unwrap().into();
        if get(&s, "state").as_string().as_deref() == Some("reconnecting") {
            max_attempt = max_attempt.max(number(&s, "attempt"));
        }
        saw_text |= status
            .text_content()
            .unwrap_or_default()
            .contains("reconnecting (attempt");
        if max_attempt >= 3.0 && saw_text {
            break;
        }
    }
    assert!(max_attempt >= 3.0, "kept retrying: attempt {max_attempt}");
    assert!(saw_text, "the status line shows the attempt");
    d.destroy();
    let s: JsValue = d.status().unwrap().into();
    assert_eq!(get(&s, "state").as_string().as_deref(), Some("stopped"));
}

#[wasm_bindgen_test]
fn the_legend_shows_names_as_text_never_html() {
    let legend: HtmlElement = element("ul");
    let d = Dashboard::new(
        canvas(),
        Some(options(
            r#"{"connect": false}"#,
            &[("legend", &legend.clone().into())],
        )),
    )
    .unwrap();
    let evil = r#"<img src=x onerror="window.__statscope_pwned=1">"#;
    let line = RECORDING.lines().next().unwrap();
    let v: serde_json::Value = serde_json::from_str(line).unwrap();
    let mut v = v;
    v["name"] = serde_json::Value::String(format!("/{evil}"));
    d.ingest(&JsValue::from(&v.to_string()));
    d.redraw().unwrap();
    assert!(
        legend.query_selector("img").unwrap().is_none(),
        "no element was made from the name"
    );
    assert!(legend.text_content().unwrap_or_default().contains(evil));
    assert!(legend.inner_html().contains("&lt;img"));
    let pwned = js_sys::Reflect::get(
        &web_sys::window().unwrap(),
        &JsValue::from_str("__statscope_pwned"),
    )
    .unwrap();
    assert!(pwned.is_undefined());
}

#[wasm_bindgen_test]
fn bad_options_are_a_clear_error() {
    let err = Dashboard::new(canvas(), Some(options(r#"{"window": 60}"#, &[]))).unwrap_err();
    assert!(
        err.as_string().unwrap().contains("unknown field `window`"),
        "{err:?}"
    );
    let err = Dashboard::new(canvas(), Some(options(r#"{"theme": "pink"}"#, &[]))).unwrap_err();
    assert!(err.as_string().unwrap().contains("theme"));
    assert!(
        Dashboard::new(canvas(), None).is_ok(),
        "no options at all is fine"
    );
}

#[wasm_bindgen_test]
fn pause_and_destroy() {
    let d = Dashboard::new(canvas(), Some(options(r#"{"connect": false}"#, &[]))).unwrap();
    let lines: Vec<&str> = RECORDING.lines().collect();
    for l in &lines[..60] {
        d.ingest(&JsValue::from(*l));
    }
    d.pause();
    let before: JsValue = d.snapshot().unwrap().into();
    for l in &lines[60..] {
        d.ingest(&JsValue::from(*l));
    }
    let paused: JsValue = d.snapshot().unwrap().into();
    assert_eq!(
        js_sys::JSON::stringify(&before).unwrap(),
        js_sys::JSON::stringify(&paused).unwrap()
    );
    assert_eq!(
        get(&d.status().unwrap().into(), "paused").as_bool(),
        Some(true)
    );
    d.resume();
    let live: JsValue = d.snapshot().unwrap().into();
    assert_ne!(
        js_sys::JSON::stringify(&before).unwrap(),
        js_sys::JSON::stringify(&live).unwrap()
    );
    d.destroy();
    d.destroy(); // idempotent
    d.ingest(&JsValue::from(lines[0]));
    assert_eq!(
        get(&d.status().unwrap().into(), "state")
            .as_string()
            .as_deref(),
        Some("stopped")
    );
}

/// One second of `n` containers as two JSON arrays (frames stay under the 1 MiB limit): minimal
/// Docker stats objects whose CPU counters grow at a rate of their own.
fn fleet_second(n: usize, second: u64) -> [String; 2] {
    let objects: Vec<String> = (0..n)
        .map(|k| {
            let cpu = |s: u64| s * 10_000_000 * (1 + k as u64 % 50);
            let sys = |s: u64| s * 2_000_000_000;
            format!(
                r#"{{"read":"2024-05-01T10:{:02}:{:02}Z","preread":"2024-05-01T10:{:02}:{:02}Z","id":"{k:064x}","name":"/c{k}","cpu_stats":{{"cpu_usage":{{"total_usage":{}}},"system_cpu_usage":{},"online_cpus":2}},"precpu_stats":{{"cpu_usage":{{"total_usage":{}}},"system_cpu_usage":{},"online_cpus":2}},"memory_stats":{{}}}}"#,
                second / 60,
                second % 60,
                (second - 1) / 60,
                (second - 1) % 60,
                cpu(second),
                sys(second),
                cpu(second - 1),
                sys(second - 1),
            )
        })
        .collect();
    let (a, b) = objects.split_at(n / 2);
    [format!("[{}]", a.join(",")), format!("[{}]", b.join(","))]
}

/// A chart too large for one frame (2,000 curves) is drawn off screen over several animation
/// frames and then shown whole: until then the page's canvas keeps the previous chart, never a
/// partly drawn one, and the result is the picture a synchronous `redraw()` makes.
#[wasm_bindgen_test]
async fn a_large_chart_is_drawn_over_several_frames_then_shown_whole() {
    let c = canvas();
    let d = Dashboard::new(
        c.clone(),
        Some(options(
            r#"{"connect": false, "theme": "light", "windowSeconds": 60, "paintWorker": false}"#,
            &[],
        )),
    )
    .unwrap();
    let ingest = |second: u64| {
        for half in fleet_second(2000, second) {
            d.ingest(&JsValue::from(half));
        }
    };
    for second in 1..=30 {
        ingest(second);
    }
    d.redraw().unwrap();
    let before = image(&c);
    let status = |d: &Dashboard| -> JsValue { d.status().unwrap().into() };
    let drawn = number(&status(&d), "redraws");
    assert_eq!(number(&status(&d), "containers"), 2000.0);

    ingest(31);
    let mut frames_waited = 0;
    while number(&status(&d), "redraws") == drawn {
        assert!(frames_waited < 600, "the new second is drawn within 10 s");
        assert!(
            image(&c) == before,
            "frame {frames_waited}: the canvas shows the previous chart until the new one is whole"
        );
        frame().await;
        frames_waited += 1;
    }
    let live = image(&c);
    assert!(live != before, "the new second is on the canvas");
    let s = status(&d);
    assert!(
        number(&s, "redrawFrames") >= 2.0,
        "2,000 curves take more than one frame: {}",
        number(&s, "redrawFrames")
    );
    assert!(number(&s, "redrawMs") > 0.0);
    d.redraw().unwrap();
    assert!(
        image(&c) == live,
        "drawn over several frames, the chart is the one redraw() draws at once"
    );
    d.destroy();
}

/// The page asks its feed for binary frames (the bridge then sends the same UTF-8 JSON as binary
/// messages, which Wasm takes without a decode and an encode), keeping the URL's other parameters;
/// a URL that says `frames=` keeps what it says.
#[wasm_bindgen_test]
fn the_page_asks_for_binary_frames_unless_the_url_says_otherwise() {
    let feed_of = |url: &str| {
        let d = Dashboard::new(
            canvas(),
            Some(options(&format!(r#"{{"feed": "{url}"}}"#), &[])),
        )
        .unwrap();
        let feed = get(&d.status().unwrap().into(), "feed")
            .as_string()
            .unwrap();
        d.destroy();
        feed
    };
    let feed = feed_of("ws://127.0.0.1:9/ws?token=a%20b");
    assert!(
        feed.contains("token=a") && feed.contains("frames=binary"),
        "{feed}"
    );
    let feed = feed_of("ws://127.0.0.1:9/ws?frames=text");
    assert!(
        feed.contains("frames=text") && !feed.contains("binary"),
        "{feed}"
    );
}

/// A chart with everything the chart draws: curves of each dash, a gap, a lone point, marks, a
/// smoothed band, limits, curve labels, axis titles; `log` for the logarithmic axis.
fn everything_view(log: bool) -> statscope::chart::ChartView {
    use statscope::chart::{ChartView, Dash, Mark, MarkKind, Series, PALETTE};
    let t0 = 1.764e12;
    let series = (0..6)
        .map(|i| {
            let f = i as f64;
            let run = |from: usize, to: usize| -> Vec<(f64, f64)> {
                (from..to)
                    .map(|p| {
                        let y = 20.0 + 15.0 * f + 10.0 * ((p as f64) / 7.0 + f).sin();
                        (
                            t0 + p as f64 * 1000.0,
                            if log { (y / 0.5).log10() } else { y },
                        )
                    })
                    .collect()
            };
            Series {
                id: format!("{i:012}"),
                name: format!("web-{i}"),
                color: PALETTE[i],
                dash: Dash::of_slot(i),
                segments: vec![run(0, 25), run(30, 31), run(33, 60)],
                smooth: if i == 1 {
                    vec![(0..25)
                        .map(|p| (t0 + p as f64 * 1000.0, 30.0, 4.0))
                        .collect()]
                } else {
                    Vec::new()
                },
                marks: vec![Mark {
                    t: t0 + 30_000.0,
                    y: 25.0,
                    kind: [MarkKind::Restart, MarkKind::Oom, MarkKind::Gap][i % 3],
                }],
                limit: (i == 2).then_some(if log { 2.0 } else { 150.0 }),
            }
        })
        .collect();
    ChartView {
        x_range: (t0, t0 + 60_000.0),
        y_max: if log { 3.0 } else { 160.0 },
        y_scale: 1.0,
        y_unit: "%".into(),
        series,
        tz_offset_min: 60,
        line_width: Some(1.5),
        labels: true,
        cursor: None,
        y_title: "CPU % (100 % = one core)".into(),
        x_title: "5 Dec 2026, UTC+01:00".into(),
        y_log: log.then_some(0.5),
    }
}

/// The paint worker's drawing (its job's bytes decoded, drawn by `OffscreenBackend` on an
/// `OffscreenCanvas`, taken off as an `ImageBitmap`) is what plotters-canvas draws on the page's
/// canvas, pixel for pixel, and lands its plot area in the same place: the page shows either.
#[wasm_bindgen_test]
fn the_paint_workers_drawing_is_the_main_threads_pixel_for_pixel() {
    use plotters::prelude::IntoDrawingArea;
    use statscope::chart::{self, Theme};
    let mut offscreen = None;
    for (case, (log, theme, dpr, size)) in [
        (false, Theme::light(), 1.0, (600, 240)),
        (true, Theme::dark(), 2.0, (1200, 480)),
        (false, Theme::dark(), 1.5, (900, 360)),
    ]
    .into_iter()
    .enumerate()
    {
        let view = everything_view(log);
        let page: HtmlCanvasElement = element("canvas");
        page.set_width(size.0);
        page.set_height(size.1);
        let root = plotters_canvas::CanvasBackend::with_canvas_object(page.clone())
            .unwrap()
            .into_drawing_area();
        let rect = chart::draw(&root, &view, &theme, dpr).unwrap();
        drop(root);

        let bytes = statscope::paint_job::encode_job(case as u32, &view, &theme, dpr, size);
        let (done, bitmap) =
            statscope::paint_offscreen(&bytes, &mut offscreen, js_sys::Date::now).unwrap();
        assert_eq!(done.id, case as u32);
        assert_eq!(
            done.rect, rect,
            "case {case}: the plot area lands in the same place"
        );
        assert!(done.worker_ms >= 0.0);
        assert_eq!((bitmap.width(), bitmap.height()), size);
        let shown: HtmlCanvasElement = element("canvas");
        shown.set_width(size.0);
        shown.set_height(size.1);
        let ctx: CanvasRenderingContext2d =
            shown.get_context("2d").unwrap().unwrap().unchecked_into();
        ctx.draw_image_with_image_bitmap(&bitmap, 0.0, 0.0).unwrap();

        let (a, b) = (image(&page), image(&shown));
        let differ = a.chunks(4).zip(b.chunks(4)).filter(|(p, q)| p != q).count();
        assert_eq!(differ, 0, "case {case}: {differ} pixels differ");
        assert!(
            inked_pixels(&page) > 3_000 || theme == Theme::dark(),
            "case {case}: the chart has curves"
        );
        page.remove();
        shown.remove();
    }
    // A job the worker cannot read is a clear error, not a panic or a blank chart.
    let err = statscope::paint_offscreen(&[1, 2, 3], &mut offscreen, js_sys::Date::now)
        .expect_err("refused");
    assert!(err.to_string().contains("paint job unreadable"), "{err}");
}

/// One second of `n` containers whose CPU rates change every second (unlike [`fleet_second`]'s).
fn changing_second(n: usize, second: u64) -> String {
    let objects: Vec<String> = (0..n)
        .map(|k| {
            let cpu = |s: u64| s * s * 3_000_000 * (1 + k as u64 % 7);
            let sys = |s: u64| s * 2_000_000_000;
            format!(
                r#"{{"read":"2024-05-01T10:00:{:02}Z","preread":"2024-05-01T10:00:{:02}Z","id":"{k:064x}","name":"/c{k:03}","cpu_stats":{{"cpu_usage":{{"total_usage":{}}},"system_cpu_usage":{},"online_cpus":2}},"precpu_stats":{{"cpu_usage":{{"total_usage":{}}},"system_cpu_usage":{},"online_cpus":2}},"memory_stats":{{}}}}"#,
                second,
                second - 1,
                cpu(second),
                sys(second),
                cpu(second - 1),
                sys(second - 1),
            )
        })
        .collect();
    format!("[{}]", objects.join(","))
}

/// The legend's rows' value texts by container ID.
fn legend_values(list: &HtmlElement) -> Vec<(String, String)> {
    legend_rows(list)
        .iter()
        .map(|li| {
            let value = li.query_selector(".value").unwrap().unwrap();
            (
                li.get_attribute("data-id").unwrap(),
                value.text_content().unwrap_or_default(),
            )
        })
        .collect()
}

/// The legend's rows (one per container; not the groups' headings), in order.
fn legend_rows(list: &HtmlElement) -> Vec<web_sys::Element> {
    let all = list.query_selector_all("li[data-id]").unwrap();
    (0..all.length())
        .map(|i| all.item(i).unwrap().unchecked_into())
        .collect()
}

/// At a thousand containers a redraw rewrites only the legend rows in the legend's box: a row
/// scrolled out keeps the value it had until it scrolls in, and then shows the current one (the
/// one a legend with every row in view shows).
#[wasm_bindgen_test]
async fn legend_rows_out_of_view_get_their_value_when_they_scroll_in() {
    let n = 120;
    let make = |height: &str| {
        let list: HtmlElement = element("ul");
        for (k, v) in [
            ("display", "block"),
            ("overflow-y", "auto"),
            ("max-height", height),
        ] {
            list.style().set_property(k, v).unwrap();
        }
        let d = Dashboard::new(
            canvas(),
            Some(options(
                r#"{"connect": false, "theme": "light", "paintWorker": false}"#,
                &[("legend", &list)],
            )),
        )
        .unwrap();
        (d, list)
    };
    let (small, small_list) = make("60px");
    let (tall, tall_list) = make("none");
    let feed = |second: u64| {
        let frame = JsValue::from(changing_second(n, second));
        small.ingest(&frame);
        tall.ingest(&frame);
        small.redraw().unwrap();
        tall.redraw().unwrap();
    };
    for second in 1..=3 {
        feed(second);
    }
    for _ in 0..3 {
        frame().await; // the rows' IntersectionObserver reports
    }
    let before = legend_values(&small_list);
    assert_eq!(before.len(), n);
    assert_eq!(
        before,
        legend_values(&tall_list),
        "all rows written at first"
    );
    feed(4);
    for _ in 0..3 {
        frame().await;
    }
    let (now_small, now_tall) = (legend_values(&small_list), legend_values(&tall_list));
    assert_ne!(now_tall[0].1, before[0].1, "the values changed");
    assert_eq!(now_small[0], now_tall[0], "a row in view is rewritten");
    let last = n - 1;
    assert_eq!(now_small[last], before[last], "a row out of view is not");
    // Scrolled into view, it shows the current value.
    legend_rows(&small_list)[last].scroll_into_view();
    for _ in 0..4 {
        frame().await;
    }
    assert_eq!(legend_values(&small_list)[last], now_tall[last]);
    small.destroy();
    tall.destroy();
}

/// A container that comes or goes adds or removes its own legend row: the other rows stay the same
/// elements, in the legend's order (at 1,000 containers rebuilding every row was a long task).
#[wasm_bindgen_test]
fn a_container_that_comes_or_goes_adds_or_removes_only_its_legend_row() {
    let list: HtmlElement = element("ul");
    let d = Dashboard::new(
        canvas(),
        Some(options(
            r#"{"connect": false, "theme": "light", "paintWorker": false}"#,
            &[("legend", &list)],
        )),
    )
    .unwrap();
    for second in 1..=2 {
        d.ingest(&JsValue::from(changing_second(12, second)));
    }
    d.redraw().unwrap();
    let before = legend_rows(&list);
    assert_eq!(before.len(), 12);

    // Two leave the listing (the filter), a new one arrives.
    d.set_filter("c00");
    d.redraw().unwrap();
    let filtered = legend_rows(&list);
    assert_eq!(filtered.len(), 10);
    for (a, b) in filtered.iter().zip(&before) {
        assert!(js_sys::Object::is(a, b), "a listed container keeps its row");
    }
    assert!(!list.contains(Some(&before[10])) && !list.contains(Some(&before[11])));
    d.ingest(&JsValue::from(changing_second(13, 3)));
    d.set_filter("");
    d.redraw().unwrap();
    let after = legend_rows(&list);
    let names: Vec<String> = after
        .iter()
        .map(|li| {
            li.query_selector(".name")
                .unwrap()
                .unwrap()
                .text_content()
                .unwrap()
        })
        .collect();
    let expected: Vec<String> = (0..13).map(|k| format!("c{k:03}")).collect();
    assert_eq!(names, expected, "in the legend's order");
    for (a, b) in after.iter().zip(&before).take(10) {
        assert!(js_sys::Object::is(a, b), "kept through both changes");
    }
    d.destroy();
}
