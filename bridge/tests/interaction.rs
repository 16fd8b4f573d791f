//! Issue 5 end to end: the page's CSV export against `statscope stats --format csv`, and the real
//! page driven through WebDriver (keyboard and pointer actions on the canvas, the toolbar) against
//! the real bridge, with light and dark screenshots saved to `test-artifacts/`.

mod common;

use std::time::Duration;

use common::{browser_or_skip, repo_root, wait_for, Bridge};
use fantoccini::actions::{InputSource, MouseActions, PointerAction};
use fantoccini::key::Key;
use fantoccini::Locator;
use statscope::dashboard::{DashboardCore, Options};
use statscope::Timestamp;

const RECORDING: &str = "tests/fixtures/docker-20.10-cgroupv1.ndjson";

/// `(time, host, id)` of a CSV row, for ordering: the export lists rows by time then key, `stats`
/// in input order.
fn row_key(line: &str) -> (i128, String, String) {
    let mut cells = line.split(',');
    let t = Timestamp::parse_rfc3339(cells.next().expect("time"))
        .expect("RFC 3339")
        .unix_ns();
    let host = cells.next().expect("host").to_string();
    (t, host, cells.next().expect("id").to_string())
}

#[test]
fn the_pages_csv_export_equals_statscope_stats_csv() {
    let root = repo_root();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_statscope"))
        .args(["stats", "--format", "csv"])
        .arg(root.join(RECORDING))
        .output()
        .expect("statscope stats runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cli = String::from_utf8(out.stdout).expect("utf-8");
    let (cli_header, cli_rows) = cli.split_once('\n').expect("a header");

    // The page, fed the same recording, with a window holding all of it.
    let mut page = DashboardCore::new(Options {
        connect: false,
        window_seconds: 3600.0,
        ttl_seconds: 3600.0,
        ..Options::default()
    })
    .expect("options");
    for line in std::fs::read_to_string(root.join(RECORDING))
        .expect("recording")
        .lines()
    {
        page.ingest(line);
    }
    page.flush();
    let export = page.export_csv();
    let (header, rows) = export.split_once('\n').expect("a header");
    assert_eq!(header, cli_header, "the same columns");

    // A window holds samples that have a time: `stats` also prints a row for each empty sample
    // of a stopped container (time 0001-01-01) and for each late one; the export has neither.
    let mut expected: Vec<&str> = cli_rows
        .lines()
        .filter(|l| !l.ends_with(",stopped") && !l.ends_with(",late"))
        .collect();
    let dropped = cli_rows.lines().count() - expected.len();
    assert!(dropped > 0, "the recording has a stopped container");
    expected.sort_by_key(|l| row_key(l));
    let got: Vec<&str> = rows.lines().collect();
    assert_eq!(got.len(), expected.len());
    for (g, e) in got.iter().zip(&expected) {
        assert_eq!(g, e, "row for row, byte for byte");
    }
}

const STATUS: &str = "return window.statscope ? window.statscope.status() : null;";

/// Pixels of the chart canvas that differ from its top-left (background) pixel, and that pixel.
const BACKGROUND: &str = r#"
  const c = document.getElementById('statscope-canvas');
  const d = c.getContext('2d').getImageData(0, 0, 1, 1).data;
  return [d[0], d[1], d[2]];"#;

#[tokio::test(flavor = "multi_thread")]
async fn the_page_answers_keys_pointer_and_toolbar_and_looks_right_in_both_themes() {
    let Some(b) = browser_or_skip("the interaction end-to-end test").await else {
        return;
    };
    let root = repo_root();
    let recording = root.join(RECORDING);
    let bridge = Bridge::start(&[
        "--replay",
        recording.to_str().expect("path"),
        "--speed",
        "10",
        "--listen",
        "127.0.0.1:0",
    ])
    .await;
    b.client
        .goto(&format!("{}?theme=light", bridge.url))
        .await
        .expect("page loads");
    let total = std::fs::read_to_string(&recording)
        .expect("recording")
        .lines()
        .count() as f64;
    wait_for(&b, 60, STATUS, |s| s["samples"].as_f64() == Some(total)).await;

    // Keyboard, through WebDriver: focus the canvas, Space pauses, arrows bring the tooltip.
    let canvas = b
        .client
        .find(Locator::Id("statscope-canvas"))
        .await
        .expect("canvas");
    canvas.click().await.expect("click focuses the canvas");
    canvas.send_keys(" ").await.expect("space");
    let status = b.js(STATUS).await;
    assert_eq!(status["paused"], true, "Space pauses: {status}");
    wait_for(
        &b,
        5,
        "return document.getElementById('statscope-status').textContent;",
        |v| v.as_str().is_some_and(|t| t.contains("paused")),
    )
    .await;
    canvas.send_keys(" ").await.expect("space");
    assert_eq!(b.js(STATUS).await["paused"], false, "and resumes");
    canvas
        .send_keys(&format!("{}{}", Key::Left, Key::Down))
        .await
        .expect("arrows");
    let tip = wait_for(
        &b,
        5,
        "const t = document.querySelector('.statscope-tooltip');
         return t && t.style.display !== 'none' ? t.textContent : null;",
        |v| v.as_str().is_some_and(|t| t.contains("Δ container CPU")),
    )
    .await;
    assert!(tip.as_str().expect("text").contains("ss-burn"), "{tip}");
    canvas
        .send_keys(&Key::Escape.to_string())
        .await
        .expect("escape");

    // The pointer: hovering over the chart's middle shows the tooltip at the pointer.
    let hover = MouseActions::new("mouse".into()).then(PointerAction::MoveToElement {
        element: canvas.clone(),
        duration: Some(Duration::from_millis(50)),
        x: 60.0,
        y: 0.0,
    });
    b.client.perform_actions(hover).await.expect("hover");
    wait_for(
        &b,
        5,
        "const t = document.querySelector('.statscope-tooltip');
         return t ? t.style.display : null;",
        |v| v.as_str().is_some_and(|d| d != "none"),
    )
    .await;
    let shot = b.screenshot("interaction-light.png").await;
    assert!(std::fs::metadata(&shot).expect("screenshot").len() > 10_000);
    assert_eq!(b.js(BACKGROUND).await, serde_json::json!([255, 255, 255]));

    // The toolbar: the dark theme, the memory metric, top 2 and an export.
    let select = |id: &'static str, value: &'static str| {
        let b = &b;
        async move {
            b.client
                .find(Locator::Id(id))
                .await
                .expect("control")
                .select_by_value(value)
                .await
                .expect("select");
        }
    };
    select("ctl-theme", "dark").await;
    select("ctl-top", "3").await;
    wait_for(
        &b,
        5,
        "return document.querySelectorAll('#statscope-legend li[data-id]').length;",
        |v| v == 3.0,
    )
    .await;
    wait_for(&b, 5, BACKGROUND, |v| v == &serde_json::json!([24, 24, 28])).await;
    select("ctl-top", "0").await;
    b.client
        .perform_actions(
            MouseActions::new("mouse".into()).then(PointerAction::MoveToElement {
                element: canvas.clone(),
                duration: Some(Duration::from_millis(50)),
                x: 100.0,
                y: -40.0,
            }),
        )
        .await
        .expect("hover");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let shot = b.screenshot("interaction-dark.png").await;
    assert!(std::fs::metadata(&shot).expect("screenshot").len() > 10_000);
    select("ctl-metric", "memory").await;
    let label = wait_for(
        &b,
        5,
        "return document.getElementById('statscope-canvas').getAttribute('aria-label');",
        |v| v.as_str().is_some_and(|l| l.starts_with("Memory")),
    )
    .await;
    assert!(label.as_str().expect("label").contains("Memory"));
    let csv = b.js("return window.statscope.exportCsv();").await;
    assert!(csv
        .as_str()
        .expect("csv")
        .starts_with("time,host,id,name,cpu_percent,"));
    let errors = b.js("return window.statscopeErrors;").await;
    assert_eq!(errors, serde_json::json!([]), "no errors on the page");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_demo_feeds_limits_and_an_oom_kill_that_the_page_marks_and_explains() {
    let Some(b) = browser_or_skip("the demo interaction test").await else {
        return;
    };
    let bridge = Bridge::start(&["--demo", "--listen", "127.0.0.1:0"]).await;
    b.client
        .goto(&format!("{}?theme=light&scale=limit", bridge.url))
        .await
        .expect("page loads");
    // The demo's cache is OOM-killed ten rounds in: the page hears oom and die from the bridge.
    wait_for(&b, 40, STATUS, |s| s["events"].as_f64() >= Some(2.0)).await;
    let oom = b
        .js("const d = window.statscope;
             const t = d.snapshot().containers.find((c) => c.name === 'demo-cache');
             return t ? t.cpu.map((p) => p[0]) : null;")
        .await;
    let times = oom.as_array().expect("demo-cache has points");
    assert!(!times.is_empty());
    // Walk the cursor over the window until the tooltip names the OOM kill.
    let found = b
        .js("const d = window.statscope;
             const s = d.snapshot().containers.flatMap((c) => c.cpu.map((p) => p[0]));
             const lo = Math.min(...s), hi = Math.max(...s);
             for (let t = lo; t <= hi + 5000; t += 500) {
               d.setCursor(t);
               const tip = d.tooltip();
               const m = tip && tip.marks.find((m) => m.kind === 'oom');
               if (m) return { text: m.text, name: m.name };
             }
             return null;")
        .await;
    assert_eq!(found["name"], "demo-cache", "{found}");
    assert!(
        found["text"].as_str().expect("text").contains("OOM"),
        "{found}"
    );

    // % of its own limit: demo-cron runs at ~48 % of a core under --cpus 0.5, so ~96 % of it.
    let cron = b
        .js("const d = window.statscope;
             const c = d.snapshot().containers.find((c) => c.name === 'demo-cron');
             const t = c.cpu[c.cpu.length - 1][0];
             d.setCursor(t);
             const row = d.tooltip().rows.find((r) => r.name === 'demo-cron');
             return { pct: parseFloat(row.cpu), core: c.cpu[c.cpu.length - 1][1],
                      explain: row.explain };")
        .await;
    let (pct, core) = (
        cron["pct"].as_f64().expect("pct"),
        cron["core"].as_f64().expect("core"),
    );
    assert!((pct - core / 0.5).abs() < 0.1, "{cron}");
    assert!(
        cron["explain"]
            .as_str()
            .expect("explain")
            .contains("÷ CPU limit 0.5 cores"),
        "{cron}"
    );
    b.js("window.statscope.setCursor(null);").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    b.screenshot("interaction-demo-limit.png").await;
    let errors = b.js("return window.statscopeErrors;").await;
    assert_eq!(errors, serde_json::json!([]), "no errors on the page");
}
