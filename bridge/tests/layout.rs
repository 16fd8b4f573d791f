//! Issue 17 end to end: the real page against the real bridge (the demo) in headless Chromium at a
//! phone's 420×800 and a wide screen's 1,920×1,080, checked by assertion (the chart's on-screen
//! height, the legend's, the toolbar folded on the phone, the time labels' boxes measured with the
//! canvas's own font and never overlapping, the tooltip inside the chart); the detail panel opened
//! from the address; the view following into the address; and a refused embedding said in the
//! panel. Screenshots go to `test-artifacts/` (the README's come from here).

mod common;

use std::time::Duration;

use common::{browser_or_skip, repo_root, wait_for, Bridge, Browser};
use serde_json::Value;

/// A Chrome DevTools command through chromedriver (`goog/cdp/execute`).
#[derive(Debug)]
struct Cdp(&'static str, Value);

impl fantoccini::wd::WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or("")
        ))
    }
    fn method_and_body(&self, _url: &url::Url) -> (http::Method, Option<String>) {
        let body = serde_json::json!({ "cmd": self.0, "params": self.1 });
        (http::Method::POST, Some(body.to_string()))
    }
}

/// Sets the viewport to `w`×`h` CSS px (a window cannot be narrower than 500 px: Chrome's device
/// emulation, as its DevTools' device mode does), and a touch screen when `touch`.
async fn viewport(b: &Browser, w: u32, h: u32, touch: bool) {
    b.client
        .issue_cmd(Cdp(
            "Emulation.setDeviceMetricsOverride",
            serde_json::json!({ "width": w, "height": h, "deviceScaleFactor": 1, "mobile": touch }),
        ))
        .await
        .expect("device metrics");
    b.client
        .issue_cmd(Cdp(
            "Emulation.setTouchEmulationEnabled",
            serde_json::json!({ "enabled": touch, "maxTouchPoints": if touch { 5 } else { 1 } }),
        ))
        .await
        .expect("touch emulation");
}

async fn assert_viewport(b: &Browser, w: u32, h: u32) {
    let got = b
        .js("return [window.innerWidth, window.innerHeight];")
        .await;
    assert_eq!(got, serde_json::json!([w, h]), "the viewport");
}

/// The page's geometry: boxes of the canvas, the menu, the legend, and the time labels' boxes
/// (their centres from `layout()`, their widths measured with the canvas's font).
const GEOMETRY: &str = r#"
  const box = (el) => { if (!el) return null; const r = el.getBoundingClientRect();
    return { top: r.top, bottom: r.bottom, left: r.left, right: r.right, height: r.height }; };
  const d = window.statscope;
  const canvas = document.getElementById('statscope-canvas');
  const layout = d.layout();
  const ctx = document.createElement('canvas').getContext('2d');
  ctx.font = layout.font;
  const ticks = layout.ticks.map((t) => {
    const w = ctx.measureText(t.label).width;
    return { label: t.label, left: t.x - w / 2, right: t.x + w / 2 };
  });
  return {
    canvas: box(canvas), menu: box(document.getElementById('statscope-menu')),
    menuOpen: document.getElementById('statscope-menu').open,
    legend: box(document.getElementById('statscope-legend')),
    legendItems: document.querySelectorAll('#statscope-legend li[data-id]').length,
    plot: layout.plot, ticks, innerHeight: window.innerHeight, innerWidth: window.innerWidth,
  };"#;

fn f(v: &Value, path: &[&str]) -> f64 {
    let mut v = v;
    for p in path {
        v = &v[*p];
    }
    v.as_f64().unwrap_or_else(|| panic!("{path:?} in {v}"))
}

/// No two time labels overlap, and every one lies inside the canvas.
fn assert_ticks_apart(g: &Value, what: &str) {
    let ticks = g["ticks"].as_array().expect("ticks");
    assert!(ticks.len() >= 2, "{what}: {g}");
    let width = f(g, &["canvas", "right"]) - f(g, &["canvas", "left"]);
    for t in ticks {
        assert!(
            f(t, &["left"]) >= 0.0 && f(t, &["right"]) <= width,
            "{what}: a time label outside the canvas: {t}"
        );
    }
    for w in ticks.windows(2) {
        assert!(
            f(&w[0], &["right"]) + 4.0 <= f(&w[1], &["left"]),
            "{what}: time labels overlap: {} and {}",
            w[0],
            w[1]
        );
    }
}

async fn wait_for_demo(b: &Browser) {
    wait_for(
        b,
        40,
        "return window.statscope ? window.statscope.snapshot().containers.filter((c) => c.cpu.length >= 3).length : 0;",
        |v| v.as_f64().unwrap_or(0.0) >= 6.0,
    )
    .await;
    // The legend is drawn on the next redraw.
    wait_for(
        b,
        5,
        "return document.querySelectorAll('#statscope-legend li[data-id]').length;",
        |v| v.as_f64().unwrap_or(0.0) >= 6.0,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_phone_and_a_wide_screen_show_the_chart_first_and_readable() {
    let Some(b) = browser_or_skip("the layout end-to-end test").await else {
        return;
    };
    let bridge = Bridge::start(&["--demo", "--listen", "127.0.0.1:0"]).await;

    // A phone, 420×800, a touch screen.
    viewport(&b, 420, 800, true).await;
    b.client
        .goto(&format!("{}?theme=light", bridge.url))
        .await
        .expect("page loads");
    assert_viewport(&b, 420, 800).await;
    wait_for_demo(&b).await;
    let hint = b
        .js("return document.getElementById('statscope-hint').textContent;")
        .await;
    let hint = hint.as_str().expect("hint");
    assert!(
        hint.contains("Tap") && hint.contains("pinch") && !hint.contains("wheel"),
        "the hint speaks of touch: {hint}"
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    let g = b.js(GEOMETRY).await;
    assert_eq!(
        g["menuOpen"], false,
        "the toolbar is folded into a menu: {g}"
    );
    assert!(
        f(&g, &["canvas", "top"]) < 120.0,
        "the chart comes first, under the status line: {g}"
    );
    let chart = f(&g, &["canvas", "height"]);
    assert!(
        (300.0..=450.0).contains(&chart),
        "the chart's height on a phone: {chart}"
    );
    assert!(
        f(&g, &["menu", "height"]) < 40.0,
        "the folded toolbar takes one line: {g}"
    );
    assert!(
        f(&g, &["legend", "top"]) < 800.0 && f(&g, &["legend", "height"]) > 20.0,
        "the legend starts above the fold: {g}"
    );
    assert_ticks_apart(&g, "phone");
    assert!(
        g["ticks"].as_array().expect("ticks").len() <= 5,
        "few labels on a phone: {g}"
    );
    b.screenshot("phone.png").await;
    // A tap near the newest samples: the tooltip fits inside the chart.
    b.js("const c = document.getElementById('statscope-canvas'); const r = c.getBoundingClientRect();
          const plot = window.statscope.layout().plot;
          c.dispatchEvent(new MouseEvent('click', { clientX: r.left + plot[2] - 6, clientY: r.top + r.height * 0.4, bubbles: true }));")
        .await;
    let tip = wait_for(
        &b,
        5,
        "const t = document.querySelector('.statscope-tooltip');
         if (!t || t.style.display === 'none') return null;
         const r = t.getBoundingClientRect(), c = document.getElementById('statscope-canvas').getBoundingClientRect();
         return { inside: r.left >= c.left - 0.5 && r.right <= c.right + 0.5 && r.top >= c.top - 0.5 && r.bottom <= c.bottom + 0.5,
                  width: r.width, height: r.height };",
        |v| !v.is_null(),
    )
    .await;
    assert_eq!(tip["inside"], true, "the tooltip fits the chart: {tip}");
    let chart_height = f(&g, &["canvas", "height"]);
    assert!(
        f(&tip, &["height"]) <= chart_height * 0.6 + 1.0,
        "a tap's tooltip leaves the chart in view: {tip} of {chart_height}"
    );
    b.screenshot("phone-tap.png").await;

    // A wide screen, 1,920×1,080: the chart uses the height it has.
    viewport(&b, 1920, 1080, false).await;
    b.client
        .goto(&format!("{}?theme=light", bridge.url))
        .await
        .expect("page loads");
    assert_viewport(&b, 1920, 1080).await;
    wait_for_demo(&b).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let g = b.js(GEOMETRY).await;
    assert_eq!(g["menuOpen"], true, "the toolbar is open on a wide screen");
    let chart = f(&g, &["canvas", "height"]);
    assert!(
        chart >= 760.0,
        "the chart uses the screen's height: {chart} ({g})"
    );
    assert!(
        f(&g, &["legend", "height"]) < 200.0 && f(&g, &["legend", "bottom"]) <= 1080.0 + 60.0,
        "the legend stays short: {g}"
    );
    assert_ticks_apart(&g, "wide");
    assert!(g["ticks"].as_array().expect("ticks").len() >= 8, "{g}");
    b.screenshot("wide.png").await;
    let errors = b.js("return window.statscopeErrors;").await;
    assert_eq!(errors, serde_json::json!([]), "no errors on the page");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_detail_panel_opens_from_the_address_and_the_view_follows_into_it() {
    let Some(b) = browser_or_skip("the detail panel end-to-end test").await else {
        return;
    };
    let bridge = Bridge::start(&["--demo", "--listen", "127.0.0.1:0"]).await;
    viewport(&b, 1280, 1000, false).await;
    b.client
        .goto(&format!(
            "{}?theme=light&detail=demo-web&sort=project",
            bridge.url
        ))
        .await
        .expect("page loads");
    wait_for_demo(&b).await;
    let panel = wait_for(
        &b,
        10,
        "const p = document.querySelector('.statscope-detail');
         return p ? { title: p.querySelector('h2').textContent, facts: p.querySelector('.detail-facts').textContent,
                      charts: p.querySelectorAll('canvas').length,
                      inked: [...p.querySelectorAll('canvas')].every((c) => c.width > 0) } : null;",
        |v| !v.is_null(),
    )
    .await;
    assert_eq!(panel["title"], "demo-web", "{panel}");
    let facts = panel["facts"].as_str().expect("facts");
    for needle in [
        "image nginx:1.27-alpine",
        "project shop",
        "CPU limit 1 core ",
        "memory limit 512 MiB",
    ] {
        assert!(facts.contains(needle), "{needle} in {facts}");
    }
    assert_eq!(panel["charts"].as_f64(), Some(8.0), "every metric: {panel}");
    // The legend is grouped by Compose project.
    let groups = b
        .js("return [...document.querySelectorAll('#statscope-legend li.group')].map((g) => g.textContent);")
        .await;
    assert_eq!(groups, serde_json::json!(["jobs", "shop", "no project"]));
    const LOOKS: &str = "return Object.fromEntries([...document.querySelectorAll('#statscope-legend li[data-id]')].map((li) =>
        [li.querySelector('.name').textContent, li.querySelector('.swatch').style.backgroundColor + ' ' + li.querySelector('.swatch').dataset.dash]));";
    let looks = b.js(LOOKS).await;
    assert_eq!(looks.as_object().map(|o| o.len()), Some(7), "{looks}");
    b.js("document.querySelector('.statscope-detail').scrollIntoView();")
        .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    b.screenshot("detail.png").await;

    // The toolbar's choices follow into the address.
    b.js("const s = document.getElementById('ctl-metric'); s.value = 'memory'; s.dispatchEvent(new Event('change'));
          const t = document.getElementById('ctl-top'); t.value = '3'; t.dispatchEvent(new Event('change'));")
        .await;
    let search = wait_for(&b, 5, "return location.search;", |v| {
        v.as_str()
            .is_some_and(|s| s.contains("metric=memory") && s.contains("top=3"))
    })
    .await;
    assert!(
        search.as_str().expect("search").contains("detail=demo-web"),
        "{search}"
    );
    // The same address, loaded anew, shows the same view, each container in the same colour.
    let url = b.js("return location.href;").await;
    b.client
        .goto(url.as_str().expect("href"))
        .await
        .expect("reload");
    let settings = wait_for(
        &b,
        10,
        "return window.statscope ? window.statscope.settings() : null;",
        |v| !v.is_null(),
    )
    .await;
    assert_eq!(settings["metric"], "memory");
    assert_eq!(settings["topN"], 3.0);
    b.js("window.statscope.setTopN(0);").await;
    let again = wait_for(&b, 10, LOOKS, |v| {
        v.as_object()
            .is_some_and(|o| o.len() == looks.as_object().map_or(0, |l| l.len()))
    })
    .await;
    assert_eq!(
        again, looks,
        "colours from identity, the same on every load"
    );
}

/// Serves `www/` and `pkg/` of the repository (a dashboard that hosts its own copy of the element),
/// and `/` with `page`.
async fn dashboard_server(page: String) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    serve_with(listener, page)
}

/// [`dashboard_server`] on `listener`.
fn serve_with(listener: tokio::net::TcpListener, page: String) -> String {
    use axum::http::header;
    use axum::response::IntoResponse;
    let origin = format!("http://{}", listener.local_addr().expect("addr"));
    let file = |dir: &'static str| {
        move |axum::extract::Path(path): axum::extract::Path<String>| async move {
            let full = repo_root().join(dir).join(&path);
            let kind = if path.ends_with(".wasm") {
                "application/wasm"
            } else {
                "text/javascript"
            };
            match std::fs::read(full) {
                Ok(bytes) => ([(header::CONTENT_TYPE, kind)], bytes).into_response(),
                Err(_) => axum::http::StatusCode::NOT_FOUND.into_response(),
            }
        }
    };
    let app = axum::Router::new()
        .route(
            "/",
            axum::routing::get(move || async move { axum::response::Html(page) }),
        )
        .route("/www/{*path}", axum::routing::get(file("www")))
        .route("/pkg/{*path}", axum::routing::get(file("pkg")));
    tokio::spawn(async move { axum::serve(listener, app).await });
    origin
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_embedding_says_why_in_the_panel() {
    let Some(b) = browser_or_skip("the refused embedding test").await else {
        return;
    };
    // A bridge that allows no other origin, and a dashboard on another origin with its own copy
    // of the element.
    let bridge = Bridge::start(&["--demo", "--listen", "127.0.0.1:0"]).await;
    let ws = bridge.url.trim_end_matches('/').replace("http://", "ws://");
    let page = format!(
        r#"<!doctype html><title>dashboard</title>
<script type="module" src="/www/statscope-chart.js"></script>
<statscope-chart feed="{ws}/ws" window="120"></statscope-chart>"#
    );
    let origin = dashboard_server(page).await;
    b.client
        .goto(&format!("{origin}/"))
        .await
        .expect("dashboard loads");
    let status = wait_for(
        &b,
        20,
        "const el = document.querySelector('statscope-chart');
         const s = el && el.shadowRoot && el.shadowRoot.querySelector('.status');
         return s ? s.textContent : null;",
        |v| v.as_str().is_some_and(|t| t.contains("--allow-origin")),
    )
    .await;
    let text = status.as_str().expect("text");
    assert!(
        text.contains(&format!(
            "this dashboard's origin ({origin}) is not allowed"
        )) && text.contains(&format!("--allow-origin {origin}")),
        "{text}"
    );
    b.screenshot("embedded-refused.png").await;

    // A bridge with a token, the page without it: the page says so.
    let guarded = Bridge::start(&[
        "--demo",
        "--listen",
        "127.0.0.1:0",
        "--token",
        "s3cret-t0ken",
    ])
    .await;
    b.client.goto(&guarded.url).await.expect("page loads");
    let status = wait_for(
        &b,
        20,
        "return document.getElementById('statscope-status').textContent;",
        |v| v.as_str().is_some_and(|t| t.contains("token")),
    )
    .await;
    assert!(
        status
            .as_str()
            .expect("text")
            .contains("the bridge wants a token"),
        "{status}"
    );
}

/// Changing an attribute the viewer could change keeps the element's data.
#[tokio::test(flavor = "multi_thread")]
async fn an_attribute_change_keeps_the_elements_data() {
    let Some(b) = browser_or_skip("the element attribute test").await else {
        return;
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let dashboard = format!("http://{}", listener.local_addr().expect("addr"));
    let bridge = Bridge::start(&[
        "--demo",
        "--listen",
        "127.0.0.1:0",
        "--allow-origin",
        &dashboard,
    ])
    .await;
    let ws = bridge.url.trim_end_matches('/').replace("http://", "ws://");
    let page = format!(
        r#"<!doctype html><title>dashboard</title>
<script type="module" src="/www/statscope-chart.js"></script>
<statscope-chart feed="{ws}/ws" window="120"></statscope-chart>"#
    );
    let origin = serve_with(listener, page);
    assert_eq!(origin, dashboard);
    b.client.goto(&format!("{origin}/")).await.expect("loads");
    wait_for(
        &b,
        30,
        "const d = document.querySelector('statscope-chart')?.dashboard;
         return d ? d.status().samples : 0;",
        |v| v.as_f64().unwrap_or(0.0) >= 20.0,
    )
    .await;
    let got = b
        .js(
            "const el = document.querySelector('statscope-chart'); const d = el.dashboard;
             const before = d.status().samples;
             el.setAttribute('metric', 'memory'); el.setAttribute('top-n', '3');
             return { same: el.dashboard === d, before, after: el.dashboard.status().samples,
                      metric: el.dashboard.settings().metric, top: el.dashboard.settings().topN };",
        )
        .await;
    assert_eq!(got["same"], true, "the same dashboard: {got}");
    assert!(
        f(&got, &["after"]) >= f(&got, &["before"]),
        "the data stays: {got}"
    );
    assert_eq!(got["metric"], "memory");
    assert_eq!(got["top"], 3.0);
}
