//! Faults and hostile input, end to end: the real page in headless Chromium, the real bridge.
//!
//! - the bridge restarts → the page reconnects and keeps its history;
//! - the connection is cut in the middle of a frame → nothing corrupted, the page carries on;
//! - the tab is frozen for a while (as a browser freezes a hidden tab) → it catches up;
//! - hostile frames through the whole path (bridge replay → WebSocket → page) → each counted and
//!   shown, nothing else lost, nothing run.

mod common;

use std::time::Duration;

use common::{browser_or_skip, wait_for, Bridge, Browser};
use serde_json::{json, Value};

/// A synthetic recording: container `k` of `ids` burns exactly `rates[k]` % (docker CLI scale) on a
/// 4-CPU host, one sample a second from `from_s` to `to_s` (exclusive) after `t0_s`; the first
/// object of the part has no `preread` (a new stream, as after a bridge restart).
fn synth(ids: &[&str], rates: &[f64], t0_s: i64, from_s: i64, to_s: i64) -> Vec<String> {
    let mut lines = Vec::new();
    for s in from_s..to_s {
        for (k, id) in ids.iter().enumerate() {
            let total = |s: i64| (s as f64 * rates[k] * 1e7) as u64; // % of 1e9 ns per second
            let system = |s: i64| s as u64 * 4_000_000_000;
            let at = |s: i64| {
                statscope::Timestamp::from_unix_ns(
                    i128::from(t0_s + s) * 1_000_000_000 + k as i128 * 1_000_000,
                )
                .to_rfc3339()
            };
            let first = s == from_s;
            lines.push(
                json!({
                    "id": format!("{id:0>64}"), "name": format!("/{id}"), "read": at(s),
                    "preread": if first { "0001-01-01T00:00:00Z".to_string() } else { at(s - 1) },
                    "cpu_stats": {"cpu_usage": {"total_usage": total(s)}, "system_cpu_usage": system(s), "online_cpus": 4},
                    "precpu_stats": if first { json!({"cpu_usage": {"total_usage": 0}}) } else {
                        json!({"cpu_usage": {"total_usage": total(s - 1)}, "system_cpu_usage": system(s - 1), "online_cpus": 4}) },
                    "memory_stats": {"usage": 50_000_000u64, "limit": 1_000_000_000u64}
                })
                .to_string(),
            );
        }
    }
    lines
}

fn write(name: &str, lines: &[String]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("statscope-faults-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, lines.join("\n") + "\n").expect("write recording");
    path
}

fn now_s() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

const STATUS: &str = "return window.statscope ? window.statscope.status() : null;";
const SNAPSHOT: &str = "return window.statscope.snapshot();";

/// A free loopback port (bound, then released for a server to take).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Every point of every container equals its exact synthetic rate.
fn assert_exact_rates(snapshot: &Value, rates: &[(&str, f64)]) -> usize {
    let mut n = 0;
    for c in snapshot["containers"].as_array().expect("containers") {
        let name = c["name"].as_str().expect("name");
        let rate = rates
            .iter()
            .find(|(r, _)| *r == name)
            .map(|(_, v)| *v)
            .expect("a known container");
        for p in c["cpu"].as_array().expect("cpu") {
            let v = p[1].as_f64().expect("v");
            assert!((v - rate).abs() < 1e-6, "{name}: {v} instead of {rate}");
            n += 1;
        }
    }
    n
}

#[tokio::test(flavor = "multi_thread")]
async fn the_page_keeps_its_history_when_the_bridge_restarts() {
    let Some(b) = browser_or_skip("the bridge-restart fault test").await else {
        return;
    };
    let ids = ["web", "db", "worker"];
    let rates = [10.0, 30.0, 75.0];
    let t0 = now_s() - 120;
    let first = write("history-a.ndjson", &synth(&ids, &rates, t0, 0, 30));
    let second = write("history-b.ndjson", &synth(&ids, &rates, t0, 30, 60));
    let mut bridge = Bridge::start(&[
        "--replay",
        first.to_str().expect("path"),
        "--speed",
        "20",
        "--listen",
        "127.0.0.1:0",
    ])
    .await;
    b.client.goto(&bridge.url).await.expect("page loads");
    wait_for(&b, 30, STATUS, |s| s["samples"] == 90.0).await;
    let port = bridge.port;
    bridge.kill().await;
    wait_for(&b, 20, STATUS, |s| s["state"] == "reconnecting").await;
    let _bridge = Bridge::start(&[
        "--replay",
        second.to_str().expect("path"),
        "--speed",
        "20",
        "--listen",
        &format!("127.0.0.1:{port}"),
    ])
    .await;
    wait_for(&b, 40, STATUS, |s| {
        s["samples"] == 180.0 && s["state"] == "live"
    })
    .await;
    let snapshot = b.js(SNAPSHOT).await;
    // One unbroken history: 59 rates per container (every sample but the very first), all exact.
    for c in snapshot["containers"].as_array().expect("containers") {
        assert_eq!(c["cpu"].as_array().map(Vec::len), Some(59), "{}", c["name"]);
    }
    let pairs: Vec<(&str, f64)> = ids.iter().copied().zip(rates).collect();
    assert_eq!(assert_exact_rates(&snapshot, &pairs), 3 * 59);
    let status = b.js(STATUS).await;
    assert_eq!(
        (status["malformed"].as_f64(), status["late"].as_f64()),
        (Some(0.0), Some(0.0))
    );
}

/// A TCP proxy that cuts its first connection after `cut_after` bytes towards the page (in the
/// middle of a frame) and relays later connections whole. Returns its port and how many it cut.
async fn cutting_proxy(
    upstream: u16,
    cut_after: usize,
) -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let cuts = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = cuts.clone();
    tokio::spawn(async move {
        let mut first = true;
        while let Ok((client, _)) = listener.accept().await {
            let Ok(server) = tokio::net::TcpStream::connect(("127.0.0.1", upstream)).await else {
                continue;
            };
            let cut = first.then_some(cut_after);
            first = false;
            let counter = counter.clone();
            tokio::spawn(async move {
                let (mut cr, mut cw) = client.into_split();
                let (mut sr, mut sw) = server.into_split();
                let up = tokio::spawn(async move { tokio::io::copy(&mut cr, &mut sw).await });
                let mut sent = 0usize;
                let mut buf = vec![0u8; 4096];
                loop {
                    let n = match sr.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    if let Some(limit) = cut {
                        if sent + n > limit {
                            // Half a frame goes through, then the connection dies.
                            let _ = cw.write_all(&buf[..limit - sent]).await;
                            counter.fetch_add(1, Ordering::Relaxed);
                            break;
                        }
                    }
                    if cw.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                    sent += n;
                }
                up.abort();
            });
        }
    });
    (port, cuts)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_connection_cut_mid_frame_corrupts_nothing() {
    let Some(b) = browser_or_skip("the cut-connection fault test").await else {
        return;
    };
    let ids = ["api", "cache"];
    let rates = [20.0, 40.0];
    let recording = write("cut.ndjson", &synth(&ids, &rates, now_s() - 100, 0, 90));
    let port = free_port();
    let origin = format!("http://127.0.0.1:{port}");
    let bridge = Bridge::start(&[
        "--replay",
        recording.to_str().expect("path"),
        "--speed",
        "6",
        "--listen",
        &format!("127.0.0.1:{port}"),
        "--allow-origin",
        &origin,
    ])
    .await;
    let (proxy, cuts) = cutting_proxy(port, 3000).await;
    b.client
        .goto(&format!("{}?feed=ws://127.0.0.1:{proxy}/ws", bridge.url))
        .await
        .expect("page loads");
    let status = wait_for(&b, 40, STATUS, |s| {
        s["samples"].as_f64().unwrap_or(0.0) >= 60.0 && s["state"] == "live"
    })
    .await;
    assert_eq!(
        cuts.load(std::sync::atomic::Ordering::Relaxed),
        1,
        "the first connection was cut mid-frame"
    );
    assert_eq!(
        status["malformed"], 0.0,
        "a half frame is never parsed: {status}"
    );
    let snapshot = b.js(SNAPSHOT).await;
    let pairs: Vec<(&str, f64)> = ids.iter().copied().zip(rates).collect();
    assert!(
        assert_exact_rates(&snapshot, &pairs) > 20,
        "rates after the cut are exact"
    );
    assert_eq!(b.js("return window.statscopeErrors;").await, json!([]));
}

/// 100 containers × 120 s, replayed at 12×, and the page it feeds.
async fn busy_page(b: &Browser, name: &str) -> (Bridge, Vec<(String, f64)>) {
    let ids: Vec<String> = (0..100).map(|i| format!("svc{i:03}")).collect();
    let id_refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let rates: Vec<f64> = (0..100).map(|i| 1.0 + i as f64).collect();
    let recording = write(name, &synth(&id_refs, &rates, now_s() - 200, 0, 120));
    let bridge = Bridge::start(&[
        "--replay",
        recording.to_str().expect("path"),
        "--speed",
        "12",
        "--listen",
        "127.0.0.1:0",
    ])
    .await;
    b.client.goto(&bridge.url).await.expect("page loads");
    wait_for(b, 30, STATUS, |s| {
        s["samples"].as_f64().unwrap_or(0.0) > 500.0
    })
    .await;
    (bridge, ids.into_iter().zip(rates).collect())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hidden_tab_catches_up() {
    let Some(b) = browser_or_skip("the hidden-tab fault test").await else {
        return;
    };
    let (_bridge, rates) = busy_page(&b, "hidden.ndjson").await;
    // Hide the tab as a browser does: no animation frames (the socket keeps delivering).
    b.js(
        "window.__raf = window.requestAnimationFrame; window.__held = [];
          window.requestAnimationFrame = (f) => { window.__held.push(f); return 0; }; return true;",
    )
    .await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let hidden = b.js(STATUS).await;
    let held = b.js("return window.__held.length;").await;
    assert!(
        held.as_f64().unwrap_or(0.0) >= 1.0,
        "the page asked for a frame while hidden"
    );
    // Visible again: frames resume.
    b.js("window.requestAnimationFrame = window.__raf; for (const f of window.__held) window.__raf(f);
          window.__held = []; return true;").await;
    let status = wait_for(&b, 60, STATUS, |s| s["samples"] == 12_000.0).await;
    assert!(
        hidden["samples"].as_f64() < status["samples"].as_f64(),
        "frames kept arriving while hidden"
    );
    assert_eq!(
        (status["malformed"].as_f64(), status["state"].as_str()),
        (Some(0.0), Some("live"))
    );
    let snapshot = b.js(SNAPSHOT).await;
    let pairs: Vec<(&str, f64)> = rates.iter().map(|(n, r)| (n.as_str(), *r)).collect();
    assert_eq!(
        assert_exact_rates(&snapshot, &pairs),
        100 * 119,
        "every sample applied, every rate exact"
    );
    let legend = wait_for(
        &b,
        10,
        "return document.getElementById('statscope-legend').children.length;",
        |v| v == 100.0,
    )
    .await;
    assert_eq!(legend, 100.0, "it drew again");
}

/// Chrome DevTools Protocol through chromedriver's `goog/cdp/execute` endpoint.
#[derive(Debug)]
struct Cdp(&'static str, Value);

impl fantoccini::wd::WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!(
            "session/{}/goog/cdp/execute",
            session.unwrap_or_default()
        ))
    }
    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({"cmd": self.0, "params": self.1}).to_string()),
        )
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_frozen_tab_comes_back_live_with_its_history() {
    let Some(b) = browser_or_skip("the frozen-tab fault test").await else {
        return;
    };
    let (_bridge, _) = busy_page(&b, "frozen.ndjson").await;
    // Chrome's own freeze (what it does to background tabs under memory pressure): no script runs.
    b.client
        .issue_cmd(Cdp("Page.setWebLifecycleState", json!({"state": "frozen"})))
        .await
        .expect("frozen");
    tokio::time::sleep(Duration::from_secs(3)).await;
    b.client
        .issue_cmd(Cdp("Page.setWebLifecycleState", json!({"state": "active"})))
        .await
        .expect("active");
    let before = b.js(STATUS).await["samples"].as_f64().unwrap_or(0.0);
    let status = wait_for(&b, 40, STATUS, |s| {
        s["state"] == "live" && s["samples"].as_f64().unwrap_or(0.0) > before
    })
    .await;
    assert_eq!(status["malformed"], 0.0);
    assert_eq!(status["containers"], 100.0, "the history is kept");
    assert_eq!(b.js("return window.statscopeErrors;").await, json!([]));
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_frames_are_counted_shown_and_contained() {
    let Some(b) = browser_or_skip("the hostile-frames test").await else {
        return;
    };
    let t0 = now_s() - 60;
    let good = synth(&["alpha", "beta"], &[25.0, 50.0], t0, 0, 12);
    let evil_name = r#"<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">"#;
    let mut evil = synth(&["evil"], &[5.0], t0, 0, 3);
    for line in &mut evil {
        let mut v: Value = serde_json::from_str(line).expect("json");
        v["name"] = Value::String(format!("/{evil_name}"));
        *line = v.to_string();
    }
    let huge = json!({"id": "h".repeat(64), "name": "x".repeat(1_200_000), "read": "2024-01-01T00:00:00Z"}).to_string();
    let alpha = |i: usize| good[2 * i].clone();
    let with = |line: &str, path: &str, value: &str| line.replacen(path, value, 1);
    // (what, the line, expected effect)
    let table: Vec<(&str, String)> = vec![
        ("invalid JSON", r#"{"id": "x", "read": "#.to_string()),
        ("an array of non-objects", "[1, 2, 3]".to_string()),
        ("a JSON string", r#""just a string""#.to_string()),
        ("the wrong shape", r#"{"cpu_stats": 7}"#.to_string()),
        (
            "NaN",
            with(&alpha(5), r#""online_cpus":4"#, r#""online_cpus":NaN"#),
        ),
        (
            "a negative counter",
            with(
                &alpha(5),
                r#""system_cpu_usage":"#,
                r#""system_cpu_usage":-"#,
            ),
        ),
        (
            "a counter beyond u64",
            with(
                &alpha(5),
                r#""online_cpus":4"#,
                r#""online_cpus":18446744073709551616"#,
            ),
        ),
        ("a frame over 1 MiB", huge),
        ("time going backwards", alpha(2)),
        ("a duplicate sample", alpha(6)),
    ];
    let mut lines = Vec::new();
    for (i, g) in good.iter().enumerate() {
        lines.push(g.clone());
        if i == 13 {
            lines.extend(table.iter().map(|(_, l)| l.clone()));
            lines.extend(evil.iter().cloned());
        }
    }
    let recording = write("hostile.ndjson", &lines);
    let bridge = Bridge::start(&[
        "--replay",
        recording.to_str().expect("path"),
        "--speed",
        "10",
        "--listen",
        "127.0.0.1:0",
    ])
    .await;
    b.client.goto(&bridge.url).await.expect("page loads");
    let good_and_evil = (good.len() + evil.len()) as f64;
    let status = wait_for(&b, 40, STATUS, |s| {
        s["samples"].as_f64() == Some(good_and_evil + 2.0)
    })
    .await;
    // The bridge reads each object where it gets it: six bad lines and the array's three bad
    // elements are counted there, per object, and said to the page (the 1 MiB line is skipped and
    // said too); nothing malformed reaches the page. Two late samples, counted by the page.
    assert_eq!(status["malformed"], 0.0, "{status}");
    let notice = |cause: &str| {
        status["notices"]
            .as_array()
            .and_then(|all| all.iter().find(|n| n["cause"] == cause).cloned())
            .unwrap_or_else(|| panic!("no {cause} notice: {status}"))
    };
    let malformed = notice("malformed-stats");
    assert_eq!(
        (malformed["count"].as_f64(), malformed["host"].as_str()),
        (Some(9.0), Some("replay")),
        "{malformed}"
    );
    assert_eq!(notice("line-too-long")["count"], 1.0);
    assert_eq!(status["late"], 2.0, "{status}");
    assert_eq!(status["containers"], 3.0);
    let text = b
        .js("return document.getElementById('statscope-status').textContent;")
        .await;
    let text = text.as_str().unwrap_or_default();
    assert!(
        text.contains("9 stats objects that cannot be read")
            && text.contains("2 late or duplicate"),
        "shown: {text}"
    );
    // Nothing else lost: the good containers have every rate, exact.
    let snapshot = b.js(SNAPSHOT).await;
    for c in snapshot["containers"].as_array().expect("containers") {
        let expected = if c["name"] == evil_name { 2 } else { 11 };
        assert_eq!(
            c["cpu"].as_array().map(Vec::len),
            Some(expected),
            "{}",
            c["name"]
        );
    }
    assert_exact_rates(
        &snapshot,
        &[("alpha", 25.0), ("beta", 50.0), (evil_name, 5.0)],
    );
    // The hostile name is text: no script ran, no element was made from it.
    let dom = b.js("return { pwned: window.__pwned === undefined ? null : window.__pwned, imgs: document.querySelectorAll('#statscope-legend img, #statscope-legend script').length, text: document.getElementById('statscope-legend').textContent };").await;
    assert_eq!(dom["pwned"], Value::Null);
    assert_eq!(dom["imgs"], 0.0);
    assert!(dom["text"]
        .as_str()
        .unwrap_or_default()
        .contains("<script>"));
    assert_eq!(b.js("return window.statscopeErrors;").await, json!([]));
    b.screenshot("faults-hostile.png").await;
}

/// One container's sample an hour ahead (a skewed host, or a hostile engine) through the whole path:
/// the other containers keep drawing their whole window, none leaves, and the page says whose clock
/// is off. (Before: the window followed the future sample and the chart went blank.)
#[tokio::test(flavor = "multi_thread")]
async fn a_sample_an_hour_ahead_blanks_nothing_and_is_said() {
    let Some(b) = browser_or_skip("the skewed-clock test").await else {
        return;
    };
    let ids = ["c0", "c1", "c2", "c3", "c4"];
    let rates = [10.0, 20.0, 30.0, 40.0, 50.0];
    let t0 = now_s() - 120;
    let mut lines = synth(&ids, &rates, t0, 0, 40);
    // c2's last sample is an hour ahead.
    let last_c2 = lines.len() - 3;
    let mut v: Value = serde_json::from_str(&lines[last_c2]).expect("json");
    let at =
        statscope::Timestamp::from_unix_ns(i128::from(t0 + 39 + 3600) * 1_000_000_000).to_rfc3339();
    v["read"] = Value::String(at);
    lines[last_c2] = v.to_string();
    let recording = write("skewed.ndjson", &lines);
    let bridge = Bridge::start(&[
        "--replay",
        recording.to_str().expect("path"),
        "--speed",
        "10",
        "--listen",
        "127.0.0.1:0",
    ])
    .await;
    b.client.goto(&bridge.url).await.expect("page loads");
    let status = wait_for(&b, 40, STATUS, |s| s["samples"] == 200.0).await;
    assert_eq!(status["containers"], 5.0, "{status}");
    let snapshot = b.js(SNAPSHOT).await;
    for c in snapshot["containers"].as_array().expect("containers") {
        let n = c["cpu"].as_array().map_or(0, Vec::len);
        assert!(n >= 37, "{}: {n} points in the window", c["name"]);
    }
    assert_exact_rates(
        &snapshot,
        &ids.iter().copied().zip(rates).collect::<Vec<_>>(),
    );
    let text = b
        .js("return document.getElementById('statscope-status').textContent;")
        .await;
    let text = text.as_str().unwrap_or_default();
    assert!(
        text.contains("clock off from the others: c2 60 min ahead"),
        "shown: {text}"
    );
    // The legend, at its next redraw, marks it too.
    wait_for(
        &b,
        10,
        "return document.getElementById('statscope-legend').textContent;",
        |legend| {
            legend
                .as_str()
                .unwrap_or_default()
                .contains("30.0% · clock 60 min ahead")
        },
    )
    .await;
    assert_eq!(b.js("return window.statscopeErrors;").await, json!([]));
    b.screenshot("faults-skewed-clock.png").await;
}
