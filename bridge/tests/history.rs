//! History on open, end to end: the real bridge replaying a recording in a loop at 10×, a viewer
//! from the start, and the real page opened 60 s (600 s of sample time) later. The page's first
//! data is the bridge's history: the whole 300 s window, every CPU point the docker CLI's value for
//! its sample. Then its connection is cut mid-stream: it comes back to the same run, is sent only
//! what it missed, and has neither a gap nor a duplicate.
//!
//! Needs `pkg/` and Chromium (see e2e.rs); without them it says it was skipped (a failure under
//! `CI=true`).

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::{browser_or_skip, repo_root, wait_for, Bridge, CutProxy};
use futures_util::StreamExt;
use serde_json::Value;
use statscope::Stats;

const RECORDING: &str = "tests/fixtures/docker-20.10-cgroupv1.ndjson";
const GOLDEN: &str = "tests/fixtures/docker-20.10-cgroupv1.docker-cli.jsonl";
const STATUS: &str = "return window.statscope ? window.statscope.status() : null;";
const SNAPSHOT: &str = "return window.statscope.snapshot();";
/// The page's default window, s.
const WINDOW_S: f64 = 300.0;

/// One recorded sample: its time (ms), the docker CLI's CPU %, and whether the engine rightly
/// draws no point for it (the first sample of a container in a pass, or one after a restart).
struct Recorded {
    t_ms: f64,
    cli: String,
    no_rate: bool,
}

/// The recording's samples per container ID, and the replay's shift per pass (ms).
fn recorded() -> (BTreeMap<String, Vec<Recorded>>, f64) {
    let root = repo_root();
    let lines = std::fs::read_to_string(root.join(RECORDING)).expect("recording");
    let golden = std::fs::read_to_string(root.join(GOLDEN)).expect("golden");
    let mut by_id: BTreeMap<String, Vec<Recorded>> = BTreeMap::new();
    let (mut first_ns, mut last_ns) = (i128::MAX, i128::MIN);
    for (line, g) in lines.lines().zip(golden.lines()) {
        let s = Stats::from_json(line).expect("sample");
        if s.read.is_zero() {
            continue;
        }
        let t_ms = s.read.unix_ms();
        (first_ns, last_ns) = (
            first_ns.min(s.read.unix_ns()),
            last_ns.max(s.read.unix_ns()),
        );
        let seen = by_id.contains_key(&s.id);
        let restarted = s.cpu_stats.cpu_usage.total_usage < s.precpu_stats.cpu_usage.total_usage;
        let g: Value = serde_json::from_str(g).expect("golden line");
        by_id.entry(s.id.clone()).or_default().push(Recorded {
            t_ms,
            cli: g["CPUPerc"].as_str().expect("CPUPerc").to_string(),
            no_rate: !seen || s.preread.is_zero() || restarted,
        });
    }
    // Pass k is the recording shifted by k × (its span + 1 s) (bridge/src/replay.rs), in whole ns:
    // a difference of two f64 times in ms (~1.8e12) would be off by a few hundred ns.
    (by_id, (last_ns - first_ns + 1_000_000_000) as f64 / 1e6)
}

/// The recorded sample a point stands for, in whichever pass, if any (within a microsecond).
fn sample_of(samples: &[Recorded], shift_ms: f64, t: f64) -> Option<&Recorded> {
    let k = ((t - samples[0].t_ms) / shift_ms).floor() as i64;
    [k - 1, k, k + 1].into_iter().find_map(|k| {
        let t0 = t - k as f64 * shift_ms;
        samples.iter().find(|s| (s.t_ms - t0).abs() < 1e-3)
    })
}

/// Checks every point against the docker CLI and that no recorded sample inside each container's
/// drawn span is missing (a sample with no rate may be missing, and so may the first sample of a
/// pass: its counters went back, a reset). Returns the points checked and each container's span.
fn check_exact_and_whole(
    snapshot: &Value,
    by_id: &BTreeMap<String, Vec<Recorded>>,
    shift_ms: f64,
) -> (usize, Vec<f64>) {
    let mut checked = 0;
    let mut spans = Vec::new();
    for c in snapshot["containers"].as_array().expect("containers") {
        let samples = &by_id[c["id"].as_str().expect("id")];
        let points: Vec<(f64, f64)> = c["cpu"]
            .as_array()
            .expect("cpu")
            .iter()
            .map(|p| (p[0].as_f64().expect("t"), p[1].as_f64().expect("cpu")))
            .collect();
        let mut times: Vec<f64> = Vec::new();
        for &(t, cpu) in &points {
            let s = sample_of(samples, shift_ms, t)
                .unwrap_or_else(|| panic!("a point at no sample's time: {} at {t}", c["name"]));
            assert!(!s.no_rate, "a bogus point of {} at {t}", c["name"]);
            assert_eq!(format!("{cpu:.2}%"), s.cli, "{} at {t}", c["name"]);
            assert!(
                times.last().is_none_or(|&last| last < t),
                "{}: a duplicate or out-of-order point at {t}",
                c["name"]
            );
            times.push(t);
            checked += 1;
        }
        let (Some(&lo), Some(&hi)) = (times.first(), times.last()) else {
            continue;
        };
        spans.push(hi - lo);
        // No gap: every sample that has a rate, in every pass, between the first and last point.
        let k_lo = ((lo - samples[0].t_ms) / shift_ms).floor() as i64 - 1;
        let k_hi = ((hi - samples[0].t_ms) / shift_ms).ceil() as i64 + 1;
        for k in k_lo..=k_hi {
            for (i, s) in samples.iter().enumerate() {
                let t = s.t_ms + k as f64 * shift_ms;
                if s.no_rate || i == 0 || t < lo || t > hi {
                    continue;
                }
                assert!(
                    times.iter().any(|&p| (p - t).abs() < 1e-3),
                    "{}: no point for the sample at {t} (pass {k}): a gap",
                    c["name"]
                );
            }
        }
    }
    (checked, spans)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_page_opened_late_gets_the_whole_window_then_resumes_without_gap_or_duplicate() {
    let Some(b) = browser_or_skip("the history-on-open page test").await else {
        return;
    };
    let (by_id, shift_ms) = recorded();
    let port = common::engines::free_port();
    let origin = format!("http://127.0.0.1:{port}");
    let recording = repo_root().join(RECORDING);
    let bridge = Bridge::start(&[
        "--replay",
        recording.to_str().expect("path"),
        "--speed",
        "10",
        "--loop",
        "--listen",
        &format!("127.0.0.1:{port}"),
        "--allow-origin",
        &origin,
    ])
    .await;
    // A first viewer starts the replay (it waits for one) and stays.
    let (mut first, _) = tokio_tungstenite::connect_async(format!("ws://127.0.0.1:{port}/ws"))
        .await
        .expect("the first viewer connects");
    let watching = tokio::spawn(async move { while first.next().await.is_some() {} });
    tokio::time::sleep(Duration::from_secs(60)).await;

    let proxy = CutProxy::start(port).await;
    let opened = Instant::now();
    b.client
        .goto(&format!(
            "{}?feed=ws://127.0.0.1:{}/ws",
            bridge.url, proxy.port
        ))
        .await
        .expect("page loads");
    // The first data the page has is the history: poll until it has any, then the whole window.
    wait_for(&b, 30, STATUS, |s| {
        s["samples"].as_f64().unwrap_or(0.0) > 0.0
    })
    .await;
    let full = wait_for(&b, 30, SNAPSHOT, |s| {
        s["containers"].as_array().is_some_and(|cs| {
            cs.iter().any(|c| {
                c["cpu"].as_array().is_some_and(|p| {
                    p.len() > 2
                        && p[p.len() - 1][0].as_f64().unwrap_or(0.0)
                            - p[0][0].as_f64().unwrap_or(0.0)
                            >= (WINDOW_S - 10.0) * 1000.0
                })
            })
        })
    })
    .await;
    eprintln!(
        "history: a full window {:.2} s after the page was opened (including its load)",
        opened.elapsed().as_secs_f64()
    );
    let (checked, spans) = check_exact_and_whole(&full, &by_id, shift_ms);
    assert!(checked > 500, "compared {checked} points");
    assert!(
        spans
            .iter()
            .filter(|&&s| s >= (WINDOW_S - 10.0) * 1000.0)
            .count()
            >= 3,
        "the running containers fill the window: spans {spans:?} ms"
    );
    let status = b.js(STATUS).await;
    // The window came from the bridge's history, not from live samples arriving meanwhile (at 10×
    // these would fill it in 30 s): the history holds 300 s of each running container.
    let per_pass: usize = by_id.values().map(Vec::len).sum();
    let in_window = (per_pass as f64 * WINDOW_S * 1000.0 / shift_ms) as usize;
    let history = status["history"].as_f64().unwrap_or(0.0) as usize;
    assert!(
        history >= in_window * 9 / 10,
        "history samples: {history}, a window holds about {in_window}: {status}"
    );
    assert_eq!(status["late"], 0.0, "{status}");
    assert_eq!(status["known"], 0.0, "{status}");
    assert_eq!(status["malformed"], 0.0, "{status}");

    // Cut mid-stream: the page comes back to the same run and is sent only what it missed.
    let samples_before = status["samples"].as_f64().expect("samples");
    assert_eq!(proxy.cut(), 1, "the page's connection was cut");
    wait_for(&b, 20, STATUS, |s| s["state"] != "live").await;
    let back = wait_for(&b, 40, STATUS, |s| {
        s["state"] == "live" && s["samples"].as_f64().unwrap_or(0.0) > samples_before + 40.0
    })
    .await;
    // Had it not resumed, the bridge would have sent the whole history again: counted as known.
    assert_eq!(back["known"], 0.0, "nothing was sent twice: {back}");
    assert_eq!(back["late"], 0.0, "no duplicate reached the engine: {back}");
    let after = b.js(SNAPSHOT).await;
    let (checked, _) = check_exact_and_whole(&after, &by_id, shift_ms);
    assert!(
        checked > 500,
        "compared {checked} points after the reconnect"
    );
    let errors = b.js("return window.statscopeErrors;").await;
    assert_eq!(errors, serde_json::json!([]), "no errors on the page");
    watching.abort();
}
