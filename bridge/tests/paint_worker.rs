//! The paint worker on the real page (index.html + pkg/, headless Chromium, the real bridge): it
//! draws, pixel for pixel, what the main thread draws; the cursor moves over its chart without a
//! redraw; and `paintWorker=false` keeps the main thread's painter, with the same results.
//! (The main thread's painter alone: `tests/web.rs`; a page on another origin falls back to it:
//! `e2e.rs`, the embedding test.)

mod common;

use std::time::Duration;

use common::{browser_or_skip, repo_root, wait_for, Bridge, Browser};
use fantoccini::actions::{InputSource, MouseActions, PointerAction};
use fantoccini::Locator;
use serde_json::Value;

const RECORDING: &str = "tests/fixtures/docker-20.10-cgroupv1.ndjson";
const STATUS: &str = "return window.statscope ? window.statscope.status() : null;";

/// CPU points on the page.
const POINTS: &str =
    "return window.statscope.snapshot().containers.reduce((n, c) => n + c.cpu.length, 0);";

/// The hover tooltip is on show.
const TOOLTIP_SHOWN: &str = "const t = document.querySelector('.statscope-tooltip');
     return !!t && t.style.display !== 'none';";

/// Keeps the canvas's pixels as `window[name]` and returns how many are not background.
fn keep_pixels(name: &str) -> String {
    format!(
        r#"const c = document.getElementById('statscope-canvas');
           const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
           window['{name}'] = d;
           let n = 0;
           for (let i = 0; i < d.length; i += 4) {{
             if (d[i] !== d[0] || d[i + 1] !== d[1] || d[i + 2] !== d[2]) n++;
           }}
           return n;"#
    )
}

/// Pixels that differ between two kept pictures (all of them if their sizes differ).
fn differing(a: &str, b: &str) -> String {
    format!(
        r#"const a = window['{a}'], b = window['{b}'];
           if (a.length !== b.length) return -1;
           let n = 0;
           for (let i = 0; i < a.length; i += 4) {{
             if (a[i] !== b[i] || a[i + 1] !== b[i + 1] || a[i + 2] !== b[i + 2] || a[i + 3] !== b[i + 3]) n++;
           }}
           return n;"#
    )
}

/// The page paused with its chart drawn by its own painter (`redraws` settled).
async fn paused_and_drawn(b: &Browser) -> Value {
    let before = b.js(STATUS).await["redraws"].as_f64().unwrap_or(0.0);
    b.js("window.statscope.pause(); return null;").await;
    // Pausing redraws (the status line says "paused"); wait for that redraw, then for quiet.
    wait_for(b, 10, STATUS, |s| {
        s["redraws"].as_f64().unwrap_or(0.0) > before && s["paused"] == true
    })
    .await;
    let mut last = b.js(STATUS).await;
    loop {
        tokio::time::sleep(Duration::from_millis(600)).await;
        let now = b.js(STATUS).await;
        if now["redraws"] == last["redraws"] {
            return now;
        }
        last = now;
    }
}

/// One page, `painter` the painter it must end up with: the checks both painters must pass.
async fn check_page(b: &Browser, params: &str, painter: &str) {
    // A recording played once, fast; then the bridge is stopped: nothing new arrives and nothing
    // redraws by itself.
    let recording = repo_root().join(RECORDING);
    let mut bridge = Bridge::start(&[
        "--replay",
        recording.to_str().expect("path"),
        "--speed",
        "8",
        "--listen",
        "127.0.0.1:0",
    ])
    .await;
    b.client
        .goto(&format!("{}?{params}", bridge.url))
        .await
        .expect("page loads");
    let status = wait_for(b, 30, STATUS, |s| {
        s["painter"] == painter && s["redraws"].as_f64().unwrap_or(0.0) >= 3.0
    })
    .await;
    assert!(
        status["containers"].as_f64().unwrap_or(0.0) >= 4.0,
        "{status}"
    );
    match painter {
        "worker" => {
            assert!(status.get("painterNote").is_none(), "{status}");
            // The worker's own time is measured and said (it drew the last chart).
            let drawn = wait_for(b, 10, STATUS, |s| {
                s["workerMs"].as_f64().unwrap_or(0.0) > 0.0
            })
            .await;
            assert_eq!(drawn["painter"], "worker");
        }
        _ => assert_eq!(status["workerMs"], 0.0, "{status}"),
    }

    // The whole recording, before the picture is taken.
    let total = std::fs::read_to_string(repo_root().join(RECORDING))
        .expect("recording")
        .lines()
        .count() as f64;
    wait_for(b, 30, STATUS, |s| s["samples"].as_f64() == Some(total)).await;
    assert!(b.js(POINTS).await.as_f64().unwrap_or(0.0) > 50.0);
    bridge.kill().await;
    wait_for(b, 10, STATUS, |s| s["state"] != "live").await;
    let status = paused_and_drawn(b).await;
    assert_eq!(status["painter"], painter, "{status}");
    let inked = b.js(&keep_pixels("live")).await;
    assert!(
        inked.as_f64().unwrap_or(0.0) > 2_000.0,
        "a chart with curves: {inked} inked pixels"
    );

    // The cursor moves over the chart shown without redrawing it, and away again leaves exactly
    // that chart (leaving also ends the hovered curve's emphasis, which may redraw it: the same).
    let redraws = status["redraws"].clone();
    let canvas = b
        .client
        .find(Locator::Id("statscope-canvas"))
        .await
        .expect("canvas");
    let right = b
        .js("const l = window.statscope.layout(); const c = document.getElementById('statscope-canvas');
             return (l.plot[2] / (c.width / c.clientWidth)) - c.clientWidth / 2 - 30;")
        .await
        .as_f64()
        .expect("layout");
    let hover = MouseActions::new("mouse".into()).then(PointerAction::MoveToElement {
        element: canvas,
        duration: Some(Duration::from_millis(50)),
        // Near the plot's right end, on the newest points.
        x: right,
        y: 0.0,
    });
    b.client.perform_actions(hover).await.expect("hover");
    wait_for(b, 5, TOOLTIP_SHOWN, |v| v == true).await;
    assert_eq!(
        b.js(STATUS).await["redraws"],
        redraws,
        "the cursor is drawn over the chart shown, not by a redraw"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    b.js(&keep_pixels("cursor")).await;
    let moved = b.js(&differing("live", "cursor")).await;
    assert!(
        moved.as_f64().unwrap_or(0.0) > 50.0,
        "the cursor is drawn over the chart: {moved} pixels changed"
    );
    let away = b
        .client
        .find(Locator::Id("statscope-status"))
        .await
        .expect("status line");
    let leave = MouseActions::new("mouse".into()).then(PointerAction::MoveToElement {
        element: away,
        duration: Some(Duration::from_millis(50)),
        x: 0.0,
        y: 0.0,
    });
    b.client.perform_actions(leave).await.expect("leave");
    wait_for(b, 5, TOOLTIP_SHOWN, |v| v == false).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    b.js(&keep_pixels("after")).await;
    assert_eq!(
        b.js(&differing("live", "after")).await,
        0.0,
        "the chart as it was"
    );

    // `redraw()` draws the same view at once, on the main thread, through plotters-canvas: the
    // painter's chart (the worker's, on an OffscreenCanvas) is the same, pixel for pixel.
    b.js("window.statscope.redraw(); return null;").await;
    b.js(&keep_pixels("main")).await;
    assert_eq!(
        b.js(&differing("live", "main")).await,
        0.0,
        "{painter}'s chart equals the main thread's redraw()"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_worker_draws_what_the_main_thread_draws_and_the_cursor_moves_over_it() {
    let Some(b) = browser_or_skip("the paint worker test").await else {
        return;
    };
    check_page(&b, "theme=light", "worker").await;
    b.screenshot("paint-worker.png").await;
    // The same checks with the worker turned off: the main thread's painter (over frames).
    check_page(&b, "theme=dark&paintWorker=false", "main").await;
    let status = b.js(STATUS).await;
    assert!(
        status.get("painterNote").is_none(),
        "not asked for: {status}"
    );
}
