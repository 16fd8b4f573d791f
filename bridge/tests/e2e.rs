//! End to end: the real page (index.html + the Wasm build in pkg/) in headless Chromium,
//! driven through chromedriver, against the real `statscope serve` binary.
//!
//! Needs `pkg/` (scripts/build-web.sh; the test command builds it first) and Debian's chromium and
//! chromium-driver. Without them it says it was skipped; with `CI=true` it fails instead.

mod common;

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use common::{browser_or_skip, repo_root, wait_for, Bridge, Daemon, PREFIX};
use serde_json::Value;
use statscope::Stats;

const RECORDING: &str = "tests/fixtures/docker-20.10-cgroupv1.ndjson";
const GOLDEN: &str = "tests/fixtures/docker-20.10-cgroupv1.docker-cli.jsonl";

const STATUS: &str = "return window.statscope ? window.statscope.status() : null;";
const SNAPSHOT: &str = "return window.statscope.snapshot();";
/// Pixels of the chart canvas that differ from its top-left (background) pixel.
const INKED: &str = r#"
  const c = document.getElementById('statscope-canvas');
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 0; i < d.length; i += 4) {
    if (d[i] !== d[0] || d[i + 1] !== d[1] || d[i + 2] !== d[2]) n++;
  }
  return n;"#;

#[tokio::test(flavor = "multi_thread")]
async fn the_page_draws_a_replay_with_the_docker_cli_values_and_reconnects() {
    let Some(b) = browser_or_skip("the end-to-end page test").await else {
        return;
    };
    let root = repo_root();
    let recording = root.join(RECORDING);
    let mut bridge = Bridge::start(&[
        "--replay",
        recording.to_str().expect("path"),
        "--speed",
        "4",
        "--listen",
        "127.0.0.1:0",
    ])
    .await;
    b.client
        .goto(&format!("{}?ttl=5", bridge.url))
        .await
        .expect("page loads");

    // (a) The whole replay arrives; meanwhile the short-lived container is seen.
    let lines = std::fs::read_to_string(&recording).expect("recording");
    let total = lines.lines().count() as f64;
    let mut names_seen = BTreeSet::new();
    let start = Instant::now();
    loop {
        let status = b.js(STATUS).await;
        if !status.is_null() {
            for c in b.js(SNAPSHOT).await["containers"]
                .as_array()
                .expect("containers")
            {
                names_seen.insert(c["name"].as_str().expect("name").to_string());
            }
        }
        if status["samples"].as_f64() == Some(total) {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "replay did not arrive: {status}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(
        names_seen.contains("ss-short"),
        "ss-short was drawn while it ran: {names_seen:?}"
    );
    let status = b.js(STATUS).await;
    assert_eq!(status["state"], "live");
    assert_eq!(status["source"], "replay");
    assert_eq!(status["malformed"], 0.0);

    // Every CPU point equals the docker CLI's value for that sample; no point at a stream's first
    // sample (the CLI's lifetime ratio) or at a reset (restart) sample. Times crossed JS and JSON, so
    // a point is matched to its sample within a microsecond.
    let mut cli: HashMap<String, Vec<(f64, String, bool)>> = HashMap::new();
    let golden = std::fs::read_to_string(root.join(GOLDEN)).expect("golden");
    for (line, g) in lines.lines().zip(golden.lines()) {
        let s = Stats::from_json(line).expect("sample");
        if s.read.is_zero() {
            continue;
        }
        let first_of_stream = s.preread.is_zero();
        let restarted = s.cpu_stats.cpu_usage.total_usage < s.precpu_stats.cpu_usage.total_usage;
        let g: Value = serde_json::from_str(g).expect("golden line");
        let perc = g["CPUPerc"].as_str().expect("CPUPerc").to_string();
        cli.entry(s.id.clone()).or_default().push((
            s.read.unix_ms(),
            perc,
            first_of_stream || restarted,
        ));
    }
    let snapshot = b.js(SNAPSHOT).await;
    let containers = snapshot["containers"].as_array().expect("containers");
    let names: BTreeSet<&str> = containers
        .iter()
        .map(|c| c["name"].as_str().expect("name"))
        .collect();
    // Evidence stays: with a 5 s TTL, the stopped container's points are kept while they are in
    // the window, and the legend marks it as ended.
    assert!(
        names.contains("ss-short"),
        "the stopped container stays while in the window: {names:?}"
    );
    assert_eq!(names.len(), 5, "{names:?}");
    let stopped = wait_for(
        &b,
        5,
        "return [...document.querySelectorAll('#statscope-legend li[data-stopped]')].map((li) => li.querySelector('.name').textContent);",
        |v| v.as_array().is_some_and(|a| !a.is_empty()),
    )
    .await;
    assert_eq!(stopped, serde_json::json!(["ss-short"]), "marked as ended");
    let mut checked = 0;
    for c in containers {
        let samples = &cli[c["id"].as_str().expect("id")];
        for point in c["cpu"].as_array().expect("cpu") {
            let (t, cpu) = (
                point[0].as_f64().expect("t"),
                point[1].as_f64().expect("cpu"),
            );
            let (_, expected, no_rate) = samples
                .iter()
                .find(|(st, _, _)| (st - t).abs() < 1e-3)
                .unwrap_or_else(|| panic!("a point at no sample's time: {t}"));
            assert!(
                !no_rate,
                "a bogus point at a first or reset sample of {} at {t}",
                c["name"]
            );
            assert_eq!(&format!("{cpu:.2}%"), expected, "{} at {t}", c["name"]);
            checked += 1;
        }
    }
    assert!(checked > 60, "compared {checked} points");

    // (c) The canvas is not blank, and a screenshot is kept.
    let inked = b.js(INKED).await.as_f64().expect("a count");
    assert!(
        inked > 2000.0,
        "the canvas has curves and axes: {inked} pixels"
    );
    b.screenshot("e2e-replay.png").await;

    // (b) The bridge dies and comes back: the page reconnects by itself and keeps going.
    let port = bridge.port;
    bridge.kill().await;
    wait_for(&b, 20, STATUS, |s| s["state"] == "reconnecting").await;
    let status_text = b
        .js("return document.getElementById('statscope-status').textContent;")
        .await;
    assert!(
        status_text
            .as_str()
            .unwrap_or("")
            .contains("reconnecting (attempt"),
        "{status_text}"
    );
    let _bridge = Bridge::start(&["--demo", "--listen", &format!("127.0.0.1:{port}")]).await;
    wait_for(&b, 40, STATUS, |s| {
        s["state"] == "live" && s["source"] == "demo"
    })
    .await;
    wait_for(&b, 20, SNAPSHOT, |s| {
        s["containers"].as_array().is_some_and(|cs| {
            cs.iter().any(|c| {
                c["name"] == "demo-web" && c["cpu"].as_array().is_some_and(|p| p.len() >= 2)
            })
        })
    })
    .await;
    b.screenshot("e2e-demo.png").await;
    let errors = b.js("return window.statscopeErrors;").await;
    assert_eq!(errors, serde_json::json!([]), "no errors on the page");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_page_shows_a_real_containers_cpu() {
    let Some(daemon) = Daemon::up_or_skip("the end-to-end real-Docker page test") else {
        return;
    };
    let Some(b) = browser_or_skip("the end-to-end real-Docker page test").await else {
        return;
    };
    daemon.remove_ours();
    daemon.run("page-burn", &["--cpus", "0.5"], "while :; do :; done");
    let _bridge = Bridge::start(&["--docker", &daemon.host, "--listen", "127.0.0.1:0"]).await;
    b.client.goto(&_bridge.url).await.expect("page loads");
    let name = format!("{PREFIX}page-burn");
    let snapshot = wait_for(
        &b,
        60,
        "return window.statscope ? window.statscope.snapshot() : null;",
        |s| {
            s["containers"].as_array().is_some_and(|cs| {
                cs.iter().any(|c| {
                    c["name"] == name.as_str() && c["cpu"].as_array().is_some_and(|p| p.len() >= 4)
                })
            })
        },
    )
    .await;
    let burn = snapshot["containers"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["name"] == name.as_str()))
        .expect("the burner");
    let cpu: Vec<f64> = burn["cpu"]
        .as_array()
        .expect("cpu")
        .iter()
        .map(|p| p[1].as_f64().expect("v"))
        .collect();
    let mean = cpu.iter().sum::<f64>() / cpu.len() as f64;
    assert!(
        (20.0..=75.0).contains(&mean),
        "--cpus 0.5 burner averaged {mean:.1}% ({cpu:?})"
    );
    let status = b.js(STATUS).await;
    assert_eq!(status["source"], "docker");
    b.screenshot("e2e-docker.png").await;
}

/// The README's embedding: a dashboard page on another origin loads `<statscope-chart>` from the
/// bridge (CORS) and the bridge allows that origin's WebSocket (`--allow-origin`).
#[tokio::test(flavor = "multi_thread")]
async fn a_dashboard_on_another_origin_embeds_the_chart_with_one_tag() {
    let Some(b) = browser_or_skip("the end-to-end embedding test").await else {
        return;
    };
    // The dashboard's own server, on another port (= another origin).
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
    let origin = bridge.url.trim_end_matches('/').to_string();
    let page = format!(
        r#"<!doctype html><title>dashboard</title>
<script type="module" src="{origin}/www/statscope-chart.js"></script>
<statscope-chart feed="{ws}/ws" window="120" theme="dark"></statscope-chart>"#,
        ws = origin.replace("http://", "ws://")
    );
    let app = axum::Router::new().route(
        "/",
        axum::routing::get(move || async move { axum::response::Html(page) }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    b.client
        .goto(&format!("{dashboard}/"))
        .await
        .expect("dashboard loads");
    let got = wait_for(
        &b,
        30,
        r#"const el = document.querySelector('statscope-chart');
           const d = el && el.dashboard;
           return d ? { status: d.status(), snapshot: d.snapshot() } : null;"#,
        |v| {
            v["snapshot"]["containers"]
                .as_array()
                .is_some_and(|cs| cs.len() >= 5)
        },
    )
    .await;
    assert_eq!(got["status"]["source"], "demo");
    // A worker's script must be on the page's own origin: the element draws on the main thread,
    // and says why.
    assert_eq!(got["status"]["painter"], "main", "{}", got["status"]);
    let note = got["status"]["painterNote"].as_str().unwrap_or_default();
    assert!(note.contains("paint worker"), "painterNote: {note:?}");
    // The legend is drawn on the next redraw (at most 250 ms after new data): wait for it.
    let legend = wait_for(
        &b,
        5,
        "return document.querySelector('statscope-chart').shadowRoot.querySelectorAll('li').length;",
        |v| v.as_f64().unwrap_or(0.0) >= 5.0,
    )
    .await;
    assert!(
        legend.as_f64().unwrap_or(0.0) >= 5.0,
        "the element's legend lists the containers"
    );
    b.screenshot("e2e-embedded.png").await;

    // A page of an origin that was not allowed gets no data.
    let _strict = Bridge::start(&["--demo", "--listen", "127.0.0.1:0"]).await;
    let strict_ws = _strict
        .url
        .trim_end_matches('/')
        .replace("http://", "ws://");
    let refused = b
        .js(&format!(
            r#"return await new Promise((done) => {{
                 const ws = new WebSocket("{strict_ws}/ws");
                 ws.onmessage = () => done("data");
                 ws.onclose = () => done("refused");
               }});"#
        ))
        .await;
    assert_eq!(refused, "refused", "a foreign origin is refused");
}
