//! Several real engines, one bridge, one page: two private `dockerd`s (one reached over its Unix
//! socket, one over TCP with TLS and certificates made by the test), Podman's Docker-compatible
//! service, and an engine whose certificate is signed by a CA the bridge was not given — all from
//! one `statscope serve` command, in the real page in headless Chromium.
//!
//! Asserted: every host's containers arrive with the right host and plausible CPU (a busy loop
//! limited to half a core reads about 50 %, a sleeping one about 0); two containers of the same name
//! on two hosts are two curves the legend tells apart; Podman is recognized; the wrong CA is refused
//! and the page says so for that host only; one engine stopped and started again is said down then
//! up while the other keeps drawing; a host's name reaches the page as text.
//!
//! Root with docker.io, busybox-static and podman, and the page built; otherwise each part says it
//! was skipped (a failure under `CI=true`).

mod common;

use common::engines::{podman_or_skip, two_dockerds_or_skip, Pki};
use common::{browser_or_skip, wait_for, Bridge, PREFIX};
use serde_json::Value;

const STATUS: &str = "return window.statscope ? window.statscope.status() : null;";
const SNAPSHOT: &str = "return window.statscope ? window.statscope.snapshot() : null;";
const LEGEND: &str = "return Array.from(document.querySelectorAll('#statscope-legend [data-id]')).map(e => ({ id: e.dataset.id, text: e.textContent }));";
/// A host name that would be markup if the page ever used it as HTML (no `=` or `/`: `NAME=URL`).
const EVIL: &str = "<img src onerror><b>evil";

fn host<'a>(status: &'a Value, key: &str) -> &'a Value {
    status["hosts"]
        .as_array()
        .and_then(|hosts| hosts.iter().find(|h| h["host"] == key))
        .unwrap_or_else(|| panic!("no host {key}: {status}"))
}

/// The mean CPU % of the container named `name` on host `host` in the snapshot, with its points.
fn cpu_of(snapshot: &Value, host: &str, name: &str) -> Option<(f64, usize)> {
    let c = snapshot["containers"]
        .as_array()?
        .iter()
        .find(|c| c["host"] == host && c["name"] == name)?;
    let cpu: Vec<f64> = c["cpu"]
        .as_array()?
        .iter()
        .filter_map(|p| p[1].as_f64())
        .collect();
    (!cpu.is_empty()).then(|| (cpu.iter().sum::<f64>() / cpu.len() as f64, cpu.len()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_dockerds_one_over_tls_and_podman_in_one_page() {
    let test = "several real engines in one page";
    let pki = Pki::new("page");
    let Some((a, b)) = two_dockerds_or_skip(test, &pki) else {
        return;
    };
    let Some(podman) = podman_or_skip(test, "page") else {
        return;
    };
    let Some(browser) = browser_or_skip(test).await else {
        return;
    };
    for d in [&a, &b] {
        d.remove("web");
    }
    // The same name on both Docker hosts: a busy one on A, an idle one on B (which restarts with
    // its daemon).
    a.run(
        "web",
        &["--network", "none", "--cpus", "0.5"],
        "while :; do :; done",
    );
    b.run(
        "web",
        &["--network", "none", "--restart", "always"],
        "sleep 3600",
    );
    let _ = podman.podman(&["rm", "-f", &format!("{PREFIX}pod-burn")]);
    podman
        .run("pod-burn", "while :; do :; done")
        .expect("a Podman container runs");
    let other_ca = Pki::new("page-other");
    let b_addr = b.tcp.expect("B listens on TLS TCP");
    let web = format!("{PREFIX}web");

    let bridge = Bridge::start(&[
        "--docker",
        &format!("a=unix://{}", a.socket.display()),
        "--docker",
        &format!("b=tcp://{b_addr}"),
        "--tls-certs",
        &format!("b={}", pki.client_dir().display()),
        "--docker",
        &format!("pm=unix://{}", podman.socket.display()),
        // B again, by name, with certificates from a CA B's certificate does not chain to.
        "--docker",
        &format!("{EVIL}=tcp://localhost:{}", b_addr.port()),
        "--tls-certs",
        &format!("{EVIL}={}", other_ca.client_dir().display()),
        "--listen",
        "127.0.0.1:0",
    ])
    .await;
    browser.client.goto(&bridge.url).await.expect("page loads");

    // Every host's containers, with the right host.
    let snapshot = wait_for(&browser, 90, SNAPSHOT, |s| {
        [
            ("a", web.as_str()),
            ("b", web.as_str()),
            ("pm", "statscope-it-pod-burn"),
        ]
        .iter()
        .all(|(h, n)| cpu_of(s, h, n).is_some_and(|(_, points)| points >= 3))
    })
    .await;
    let (busy, _) = cpu_of(&snapshot, "a", &web).expect("A's web");
    let (idle, _) = cpu_of(&snapshot, "b", &web).expect("B's web");
    let (pod, _) = cpu_of(&snapshot, "pm", "statscope-it-pod-burn").expect("Podman's");
    // Half a core on a shared 2-core machine: loose bounds; idle is idle.
    assert!(
        (15.0..=70.0).contains(&busy),
        "A's web (--cpus 0.5): {busy:.1} %"
    );
    assert!(idle < 5.0, "B's web sleeps: {idle:.1} %");
    assert!(pod > 15.0 && pod < 210.0, "Podman's busy loop: {pod:.1} %");

    let status = browser.js(STATUS).await;
    for key in ["a", "b", "pm"] {
        assert_eq!(host(&status, key)["state"], "up", "{key}: {status}");
    }
    assert_eq!(host(&status, "pm")["engine"], "podman");
    assert_eq!(host(&status, "a")["engine"], "docker");
    assert!(host(&status, "b")["describe"]
        .as_str()
        .unwrap_or("")
        .ends_with("(TLS)"));
    // The wrong CA: refused, said for that host, which keeps its name as given.
    let bad = status["hosts"]
        .as_array()
        .and_then(|hosts| hosts.iter().find(|h| h["name"] == EVIL))
        .unwrap_or_else(|| panic!("the host with the wrong CA: {status}"));
    assert_eq!(bad["state"], "down", "{bad}");
    assert!(
        bad["error"].as_str().unwrap_or("").contains("not trusted"),
        "{bad}"
    );

    // The legend tells the two webs apart by host; the hosts' names are text, never markup.
    let legend = browser.js(LEGEND).await;
    let texts: Vec<&str> = legend
        .as_array()
        .expect("legend")
        .iter()
        .filter_map(|e| e["text"].as_str())
        .collect();
    assert!(
        texts.iter().any(|t| t.contains(&format!("{web} · a")))
            && texts.iter().any(|t| t.contains(&format!("{web} · b"))),
        "{texts:?}"
    );
    let status_text = browser
        .js("return document.getElementById('statscope-status').textContent;")
        .await;
    assert!(
        status_text.as_str().unwrap_or("").contains(EVIL),
        "the status names the host that is down: {status_text}"
    );
    let made = browser
        .js("return document.querySelectorAll('img, b').length;")
        .await;
    assert_eq!(made, 0.0, "no element was made from a host's name");

    // B goes away: said down; A keeps drawing. B comes back: up again, its curve goes on.
    b.down();
    let down = wait_for(&browser, 60, STATUS, |s| host(s, "b")["state"] == "down").await;
    assert!(host(&down, "b")["error"].is_string(), "{down}");
    let before = cpu_of(&browser.js(SNAPSHOT).await, "a", &web).map_or(0, |c| c.1);
    wait_for(&browser, 30, SNAPSHOT, |s| {
        cpu_of(s, "a", &web).is_some_and(|(_, n)| n >= before + 3)
    })
    .await;
    assert_eq!(host(&browser.js(STATUS).await, "a")["state"], "up");
    b.up().expect("B starts again");
    let b_points = cpu_of(&browser.js(SNAPSHOT).await, "b", &web).map_or(0, |c| c.1);
    wait_for(&browser, 90, STATUS, |s| host(s, "b")["state"] == "up").await;
    wait_for(&browser, 60, SNAPSHOT, |s| {
        cpu_of(s, "b", &web).is_some_and(|(_, n)| n >= b_points + 2)
    })
    .await;
    browser.screenshot("engines-page.png").await;
    let errors = browser.js("return window.statscopeErrors;").await;
    assert_eq!(errors, serde_json::json!([]), "no errors on the page");
}
