//! The fleet end to end: a real `nats-server -js` (started here on a free port with its own
//! store), `statscope agent`s, the hub (`statscope serve --nats`) and the real page in headless
//! Chromium.
//!
//! - three agents replaying the real recording under three host names: every CPU point of every
//!   (host, container) on the page equals the docker CLI's value;
//! - faults: nats-server restarted (agents and hub reconnect by themselves; the page keeps its
//!   curves; an agent whose buffer overflowed says what it dropped and the page marks the gap); an
//!   agent killed (its host turns stale, its containers end after the TTL, the others go on); the
//!   hub restarted (the page reconnects and gets what it missed, history rebuilt from the stream);
//!   a page that reads nothing never slows the hub or another page (its drops counted).
//!
//! Needs nats-server 2.10+ (scripts/check.sh installs it), `pkg/` and Chromium; without them each
//! test says it was skipped (a failure under `CI=true`).

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

use common::nats::{Agent, NatsServer};
use common::{browser_or_skip, repo_root, wait_for, Bridge, Browser};
use serde_json::Value;
use statscope::Stats;

const RECORDING: &str = "tests/fixtures/docker-20.10-cgroupv1.ndjson";
const GOLDEN: &str = "tests/fixtures/docker-20.10-cgroupv1.docker-cli.jsonl";
const STATUS: &str = "return window.statscope ? window.statscope.status() : null;";
const SNAPSHOT: &str =
    "return window.statscope ? window.statscope.snapshot() : { containers: [] };";
const CSV: &str = "return window.statscope.exportCsv();";

/// The docker CLI's CPU % for every sample of the recording, by container ID: (read ms, value,
/// whether the page has no rate there: a stream's first sample or a restart).
fn golden() -> HashMap<String, Vec<(f64, String, bool)>> {
    let root = repo_root();
    let lines = std::fs::read_to_string(root.join(RECORDING)).expect("recording");
    let golden = std::fs::read_to_string(root.join(GOLDEN)).expect("golden");
    let mut cli: HashMap<String, Vec<(f64, String, bool)>> = HashMap::new();
    for (line, g) in lines.lines().zip(golden.lines()) {
        let s = Stats::from_json(line).expect("sample");
        if s.read.is_zero() {
            continue;
        }
        let first_of_stream = s.preread.is_zero();
        let restarted = s.cpu_stats.cpu_usage.total_usage < s.precpu_stats.cpu_usage.total_usage;
        let g: Value = serde_json::from_str(g).expect("golden line");
        cli.entry(s.id.clone()).or_default().push((
            s.read.unix_ms(),
            g["CPUPerc"].as_str().expect("CPUPerc").to_string(),
            first_of_stream || restarted,
        ));
    }
    cli
}

/// The page's hosts by key: (state, name).
async fn hosts(b: &Browser) -> BTreeMap<String, (String, String)> {
    let status = b.js(STATUS).await;
    status["hosts"]
        .as_array()
        .map(|hs| {
            hs.iter()
                .map(|h| {
                    (
                        h["host"].as_str().unwrap_or_default().to_string(),
                        (
                            h["state"].as_str().unwrap_or_default().to_string(),
                            h["name"].as_str().unwrap_or_default().to_string(),
                        ),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Points per (host, container name) in the page's snapshot.
fn points(snapshot: &Value) -> BTreeMap<(String, String), Vec<(f64, f64)>> {
    let mut out = BTreeMap::new();
    for c in snapshot["containers"].as_array().expect("containers") {
        let cpu = c["cpu"]
            .as_array()
            .expect("cpu")
            .iter()
            .map(|p| (p[0].as_f64().expect("t"), p[1].as_f64().expect("v")))
            .collect();
        out.insert(
            (
                c["host"].as_str().expect("host").to_string(),
                c["name"].as_str().expect("name").to_string(),
            ),
            cpu,
        );
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn three_agents_one_page_every_cpu_point_is_the_docker_clis() {
    let test = "the fleet's three-agent page test";
    let Some(nats) = NatsServer::start_or_skip(test) else {
        return;
    };
    let Some(b) = browser_or_skip(test).await else {
        return;
    };
    let hub = Bridge::start(&["--nats", &nats.url, "--listen", "127.0.0.1:0"]).await;
    b.client.goto(&hub.url).await.expect("page loads");
    let recording = repo_root().join(RECORDING);
    let recording = recording.to_str().expect("path");
    // Names people know them by; their keys are made subject-safe.
    let names = [
        ("alpha", "alpha"),
        ("beta.eu", "beta-eu"),
        ("gamma 3", "gamma-3"),
    ];
    let mut agents = Vec::new();
    for (name, _) in names {
        agents.push(Agent::start(
            &nats.url,
            name,
            &["--replay", recording, "--speed", "4"],
        ));
        tokio::time::sleep(Duration::from_millis(700)).await;
    }
    let cli = golden();
    let expected_points: usize = cli.values().flatten().filter(|(_, _, none)| !none).count();
    // Every host's every sample arrives: each (host, container) has all its points.
    let start = Instant::now();
    let snapshot = loop {
        let snapshot = b.js(SNAPSHOT).await;
        let by_host = points(&snapshot);
        let per_host: BTreeMap<&str, usize> =
            by_host.iter().fold(BTreeMap::new(), |mut m, ((h, _), p)| {
                *m.entry(h.as_str()).or_default() += p.len();
                m
            });
        if names
            .iter()
            .all(|(_, key)| per_host.get(key).copied().unwrap_or(0) >= expected_points - 3)
        {
            // A moment more for the last points, then the final picture.
            tokio::time::sleep(Duration::from_secs(2)).await;
            break b.js(SNAPSHOT).await;
        }
        assert!(
            start.elapsed() < Duration::from_secs(90),
            "not every host arrived: {per_host:?} of {expected_points} each; agents' logs: {}",
            agents
                .iter()
                .map(Agent::log)
                .collect::<Vec<_>>()
                .join("\n---\n")
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    let hosts = hosts(&b).await;
    assert_eq!(
        hosts.keys().map(String::as_str).collect::<Vec<_>>(),
        ["alpha", "beta-eu", "gamma-3"]
    );
    for (name, key) in names {
        assert_eq!(hosts[key], ("up".to_string(), name.to_string()), "{key}");
    }
    // Every CPU point of every (host, container) is the docker CLI's value at that sample, and
    // every host has the same number of them (same recording; one host's samples filed under
    // another would show as late duplicates and uneven counts).
    let mut per_host: BTreeMap<String, usize> = BTreeMap::new();
    for c in snapshot["containers"].as_array().expect("containers") {
        let host = c["host"].as_str().expect("host").to_string();
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
                "a point at a first or reset sample of {}",
                c["key"]
            );
            assert_eq!(&format!("{cpu:.2}%"), expected, "{} at {t}", c["key"]);
            *per_host.entry(host.clone()).or_default() += 1;
        }
    }
    assert_eq!(per_host.len(), 3, "{per_host:?}");
    assert!(
        per_host.values().all(|&n| n == expected_points),
        "every host has all {expected_points} points: {per_host:?}"
    );
    let status = b.js(STATUS).await;
    assert_eq!(status["source"], "nats");
    assert_eq!(
        (status["malformed"].as_f64(), status["late"].as_f64()),
        (Some(0.0), Some(0.0)),
        "{status}"
    );
    b.screenshot("fleet-three-agents.png").await;
    assert_eq!(
        b.js("return window.statscopeErrors;").await,
        serde_json::json!([])
    );
    // The fleet overview: the three hosts, each with its containers.
    let fleet = status["fleet"].as_array().expect("fleet").clone();
    assert_eq!(fleet.len(), 3, "{fleet:?}");
    let total = snapshot["containers"].as_array().expect("containers").len();

    // A page showing the top 2 receives only those two: its engine holds two containers, the
    // bridge says 2 of them all, and each point it has is still the docker CLI's.
    b.client
        .goto(&format!("{}?top=2", hub.url))
        .await
        .expect("page loads");
    let status = wait_for(&b, 30, STATUS, |status| {
        status["subscribed"]["shown"].as_f64() == Some(2.0)
            && status["history"].as_f64().unwrap_or(0.0) > 0.0
    })
    .await;
    assert_eq!(
        status["subscribed"]["total"].as_f64(),
        Some(total as f64),
        "{status}"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    let top = b.js(SNAPSHOT).await;
    let held = top["containers"].as_array().expect("containers");
    assert_eq!(held.len(), 2, "only the top 2 are received: {top}");
    for c in held {
        let samples = &cli[c["id"].as_str().expect("id")];
        for point in c["cpu"].as_array().expect("cpu") {
            let (t, cpu) = (
                point[0].as_f64().expect("t"),
                point[1].as_f64().expect("cpu"),
            );
            if let Some((_, expected, _)) = samples.iter().find(|(st, _, _)| (st - t).abs() < 1e-3)
            {
                assert_eq!(&format!("{cpu:.2}%"), expected, "{} at {t}", c["key"]);
            }
        }
    }
    let line = b
        .js("return document.getElementById('statscope-status').textContent;")
        .await;
    assert!(
        line.as_str()
            .is_some_and(|l| l.contains(&format!("showing 2 of {total} containers on 3 hosts"))),
        "{line}"
    );
    b.screenshot("fleet-top-2.png").await;
    drop(hub);
}

/// CSV rows (`time,id,…,flag`) of the page's export whose key is on `host`: their flags.
fn flags_of(csv: &str, host: &str) -> Vec<String> {
    // time,host,id,name,…,flag
    csv.lines()
        .skip(1)
        .filter(|l| l.split(',').nth(1) == Some(host))
        .map(|l| l.rsplit(',').next().unwrap_or_default().to_string())
        .collect()
}

/// The first point's time of each container of `host` (by name).
fn first_points(snapshot: &Value, host: &str) -> BTreeMap<String, f64> {
    points(snapshot)
        .into_iter()
        .filter(|((h, _), p)| h == host && !p.is_empty())
        .map(|((_, name), p)| (name, p[0].0))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn nats_restarts_then_an_agent_dies_and_the_others_go_on() {
    let test = "the fleet's NATS-restart and dead-agent test";
    let Some(mut nats) = NatsServer::start_or_skip(test) else {
        return;
    };
    let Some(b) = browser_or_skip(test).await else {
        return;
    };
    let hub = Bridge::start(&[
        "--nats",
        &nats.url,
        "--listen",
        "127.0.0.1:0",
        "--stale-after-s",
        "3",
        "--host-ttl-s",
        "3",
    ])
    .await;
    let viewer =
        common::engine::Viewer::connect(format!("127.0.0.1:{}", hub.port).parse().expect("addr"))
            .await;
    b.client.goto(&hub.url).await.expect("page loads");
    // `steady` keeps everything through the outage; `tiny` has room for about three messages.
    let _steady = Agent::start(&nats.url, "steady", &["--demo"]);
    let mut tiny = Agent::start(
        &nats.url,
        "tiny",
        &["--demo", "--containers", "1", "--buffer-kib", "1"],
    );
    let mut doomed = Agent::start(&nats.url, "doomed", &["--demo"]);
    let counted = |s: &Value, host: &str, n: usize| {
        points(s)
            .iter()
            .filter(|((h, _), p)| h == host && p.len() >= n)
            .count()
    };
    wait_for(&b, 40, SNAPSHOT, |s| {
        ["steady", "tiny", "doomed"]
            .iter()
            .all(|h| counted(s, h, 3) >= 1)
    })
    .await;
    let before = b.js(SNAPSHOT).await;
    let steady_first = first_points(&before, "steady");
    assert!(steady_first.len() >= 5, "{steady_first:?}");

    // nats-server dies and comes back 10 s later, same port, same store.
    nats.stop();
    let down_at_ms = now_ms();
    tokio::time::sleep(Duration::from_secs(10)).await;
    nats.start();
    // Everyone reconnects by itself: new points for every host, after the outage.
    wait_for(&b, 60, SNAPSHOT, |s| {
        ["steady", "tiny", "doomed"].iter().all(|h| {
            points(s).iter().any(|((host, _), p)| {
                host == h && p.last().is_some_and(|l| l.0 > down_at_ms + 12_000.0)
            })
        })
    })
    .await;
    let after = b.js(SNAPSHOT).await;
    // The page kept its curves: every container of `steady` still starts where it started.
    let steady_after = first_points(&after, "steady");
    for (name, t) in &steady_first {
        assert_eq!(steady_after.get(name), Some(t), "{name} kept its curve");
    }
    // `steady` lost nothing (its agent kept what it read, and the hub read every stored message):
    // no gap in its curves. `tiny` dropped what did not fit, said so, and the page marks the gap.
    let csv = b.js(CSV).await;
    let csv = csv.as_str().expect("CSV");
    let steady_flags = flags_of(csv, "steady");
    assert!(!steady_flags.is_empty());
    assert!(
        !steady_flags.iter().any(|f| f == "gap"),
        "no gap for the host whose agent kept everything: {steady_flags:?}"
    );
    assert!(
        flags_of(csv, "tiny").iter().any(|f| f == "gap"),
        "the page marks the gap of the host that dropped: {:?}; its points: {:?} (down at {down_at_ms}); agent: {}",
        flags_of(csv, "tiny"),
        points(&after).iter().filter(|((h, _), _)| h == "tiny").map(|(_, p)| p.iter().map(|x| x.0 - down_at_ms).collect::<Vec<_>>()).collect::<Vec<_>>(),
        tiny.log()
    );
    let notice = wait_for(&b, 20, STATUS, |s| {
        s["notices"].as_array().is_some_and(|ns| {
            ns.iter()
                .any(|n| n["cause"] == "agent-buffer-full" && n["host"] == "tiny")
        })
    })
    .await;
    let notice = notice["notices"]
        .as_array()
        .and_then(|ns| {
            ns.iter()
                .find(|n| n["cause"] == "agent-buffer-full")
                .cloned()
        })
        .expect("the notice");
    assert!(notice["count"].as_f64().unwrap_or(0.0) >= 1.0, "{notice}");
    assert!(
        notice["text"].as_str().unwrap_or("").contains("dropped"),
        "{notice}"
    );
    assert!(tiny.log().contains("NATS"), "the agent logged the outage");
    tiny.kill().await;

    // An agent dies: its host turns stale, its containers end after the TTL; the others go on.
    doomed.kill().await;
    wait_for(&b, 20, STATUS, |s| {
        s["hosts"].as_array().is_some_and(|hs| {
            hs.iter()
                .any(|h| h["host"] == "doomed" && h["state"] == "stale")
        })
    })
    .await;
    // The hub ends each of its containers with an empty sample (Docker's "stopped").
    let doomed_ids: BTreeSet<String> = points(&after)
        .keys()
        .filter(|(h, _)| h == "doomed")
        .map(|(_, name)| name.clone())
        .collect();
    let seen = viewer
        .until(30, |seen| {
            let ended: BTreeSet<String> = seen
                .frames
                .iter()
                .filter_map(|f| match statscope::protocol::Message::decode(f) {
                    Ok(Some(statscope::protocol::Message::Samples(s))) if s.host == "doomed" => {
                        Some(s.samples)
                    }
                    _ => None,
                })
                .flatten()
                .filter(|s| s.read.is_zero())
                .map(|s| s.name)
                .collect();
            doomed_ids.iter().all(|n| ended.contains(n))
        })
        .await;
    let stale_at = seen
        .controls
        .iter()
        .position(|c| c.contains("\"host\":\"doomed\"") && c.contains("\"state\":\"stale\""));
    assert!(stale_at.is_some(), "the hub said doomed is stale");
    let status = b.js(STATUS).await;
    let states: BTreeMap<String, String> = status["hosts"]
        .as_array()
        .expect("hosts")
        .iter()
        .map(|h| {
            (
                h["host"].as_str().unwrap_or("").to_string(),
                h["state"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(states.get("steady").map(String::as_str), Some("up"));
    assert_eq!(states.get("doomed").map(String::as_str), Some("stale"));
    // `steady` goes on.
    let last = |s: &Value| {
        points(s)
            .iter()
            .filter(|((h, _), _)| h == "steady")
            .filter_map(|(_, p)| p.last().map(|l| l.0))
            .fold(0.0, f64::max)
    };
    let then = last(&b.js(SNAPSHOT).await);
    wait_for(&b, 20, SNAPSHOT, |s| last(s) > then + 2_000.0).await;
    assert_eq!(
        b.js("return window.statscopeErrors;").await,
        serde_json::json!([])
    );
    b.screenshot("fleet-faults.png").await;
    drop(hub);
}

fn now_ms() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_hub_restarts_and_the_page_gets_what_it_missed() {
    let test = "the fleet's hub-restart test";
    let Some(nats) = NatsServer::start_or_skip(test) else {
        return;
    };
    let Some(b) = browser_or_skip(test).await else {
        return;
    };
    let mut hub = Bridge::start(&["--nats", &nats.url, "--listen", "127.0.0.1:0"]).await;
    let port = hub.port;
    let _agent = Agent::start(&nats.url, "solo", &["--demo"]);
    b.client.goto(&hub.url).await.expect("page loads");
    wait_for(&b, 40, SNAPSHOT, |s| {
        points(s).values().filter(|p| p.len() >= 3).count() >= 5
    })
    .await;
    let before = b.js(SNAPSHOT).await;
    let first = first_points(&before, "solo");
    hub.kill().await;
    let down_at_ms = now_ms();
    wait_for(&b, 20, STATUS, |s| s["state"] == "reconnecting").await;
    // The agent publishes on while the hub is away.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let _hub = Bridge::start(&[
        "--nats",
        &nats.url,
        "--listen",
        &format!("127.0.0.1:{port}"),
    ])
    .await;
    wait_for(&b, 40, STATUS, |s| s["state"] == "live").await;
    wait_for(&b, 30, SNAPSHOT, |s| {
        points(s)
            .values()
            .any(|p| p.last().is_some_and(|l| l.0 > down_at_ms + 8_000.0))
    })
    .await;
    let after = b.js(SNAPSHOT).await;
    // The curves are whole: the same beginnings, and the seconds the hub was away filled in from
    // the stream (no gap in any curve).
    let again = first_points(&after, "solo");
    for (name, t) in &first {
        assert_eq!(again.get(name), Some(t), "{name} kept its beginning");
    }
    let csv = b.js(CSV).await;
    let flags = flags_of(csv.as_str().expect("CSV"), "solo");
    assert!(!flags.iter().any(|f| f == "gap"), "{flags:?}");
    let web = points(&after)
        .into_iter()
        .find(|((h, n), _)| h == "solo" && n == "demo-web")
        .map(|(_, p)| p)
        .expect("demo-web");
    let during: Vec<f64> = web
        .iter()
        .map(|p| p.0)
        .filter(|t| (down_at_ms + 1_000.0..down_at_ms + 5_000.0).contains(t))
        .collect();
    assert!(
        during.len() >= 3,
        "points from while the hub was away: {during:?}"
    );
    // A page opening now gets the same history, rebuilt from the stream.
    let fresh =
        common::engine::Viewer::connect(format!("127.0.0.1:{port}").parse().expect("addr")).await;
    let seen = fresh
        .until(20, |s| s.per_container.values().any(|&n| n >= 12))
        .await;
    assert!(
        seen.per_container.values().any(|&n| n >= 12),
        "history on opening: {:?}",
        seen.per_container
    );
    assert_eq!(
        b.js("return window.statscopeErrors;").await,
        serde_json::json!([])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_page_that_reads_nothing_never_slows_the_hub_or_another_page() {
    let test = "the fleet's slow-page test";
    let Some(nats) = NatsServer::start_or_skip(test) else {
        return;
    };
    let hub = common::engine::Served::start(&["--nats", &nats.url], None).await;
    // 4 hosts × 100 containers, a sample each a second.
    let _agents = Agent::start(
        &nats.url,
        "load",
        &["--demo", "--hosts", "4", "--containers", "100"],
    );
    // The stalled page: its WebSocket is open and it reads nothing (TCP backs up to the hub).
    let stalled = tokio::net::TcpStream::connect(hub.addr())
        .await
        .expect("connect");
    let (mut rd, mut wr) = stalled.into_split();
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    wr.write_all(
        format!(
            "GET /ws HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
            hub.addr()
        )
        .as_bytes(),
    )
    .await
    .expect("upgrade request");
    let mut head = [0u8; 12];
    rd.read_exact(&mut head).await.expect("an answer");
    assert_eq!(&head, b"HTTP/1.1 101");
    let viewer = common::engine::Viewer::connect(hub.addr()).await;
    // The reading page gets every host's samples, live, while the other reads nothing.
    let start = Instant::now();
    let seen = viewer
        .until(90, |s| {
            s.containers.len() >= 400 && s.per_container.values().min().copied().unwrap_or(0) >= 20
        })
        .await;
    assert!(
        seen.containers.len() >= 400,
        "{} containers",
        seen.containers.len()
    );
    let rate_start = viewer.seen().per_container.values().sum::<usize>();
    tokio::time::sleep(Duration::from_secs(5)).await;
    let rate = (viewer.seen().per_container.values().sum::<usize>() - rate_start) as f64 / 5.0;
    assert!(
        rate > 300.0,
        "the reading page keeps getting about 400 samples a second: {rate}/s (after {:?})",
        start.elapsed()
    );
    // The stalled page's frames were dropped for it (counted by the hub), not queued without end:
    // when it reads again it is told how many it lost.
    let mut buf = vec![0u8; 1 << 20];
    let mut text = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        let n = tokio::time::timeout(Duration::from_secs(5), rd.read(&mut buf))
            .await
            .expect("it reads")
            .expect("open");
        text.extend_from_slice(&buf[..n]);
        if text.windows(17).any(|w| w == b"statscope.dropped") {
            break;
        }
    }
    assert!(
        text.windows(17).any(|w| w == b"statscope.dropped"),
        "the stalled page is told what it lost"
    );
    drop(hub);
}

#[tokio::test(flavor = "multi_thread")]
async fn whatever_an_agent_publishes_is_read_defensively_counted_and_said() {
    let test = "the fleet's hostile-agent test";
    let Some(nats) = NatsServer::start_or_skip(test) else {
        return;
    };
    let hub = common::engine::Served::start(&["--nats", &nats.url], None).await;
    let viewer = common::engine::Viewer::connect(hub.addr()).await;
    assert!(
        hub.wait_log("the fleet's stream", 20).await,
        "{}",
        hub.log()
    );
    let client = async_nats::connect(&nats.url).await.expect("connect");
    let js = async_nats::jetstream::new(client);
    let good = statscope::protocol::Message::Samples(statscope::protocol::Samples {
        host: "mallory".into(),
        seq: 1,
        history: false,
        samples: vec![statscope::model::Sample {
            key: "c1@mallory".into(),
            name: "ok".into(),
            read: statscope::Timestamp::from_unix_ns(1_800_000_000_000_000_000),
            cpu_total: 5,
            ..Default::default()
        }],
    })
    .encode();
    let stolen = good.replace("c1@mallory", "c2@victim");
    let hostile: Vec<(&str, Vec<u8>)> = vec![
        ("statscope.v1.mallory.samples", b"{\"type\":\"statscope.samples\",\"samples\":[[1]]}".to_vec()),
        ("statscope.v1.mallory.samples", b"not json".to_vec()),
        ("statscope.v1.mallory.samples", vec![0xff, 0xfe, 0x00]),
        ("statscope.v1.mallory.samples", b"{\"type\":\"statscope.hello\"}".to_vec()),
        ("statscope.v1.mallory.control", good.clone().into_bytes()),
        ("statscope.v1.mallory.host", b"{\"type\":\"statscope.event\",\"id\":\"x\",\"action\":\"die\",\"time\":\"2026-11-24T05:00:00Z\"}".to_vec()),
        ("statscope.v1.mallory.samples", stolen.into_bytes()),
        ("statscope.v1.mallory.samples", vec![b' '; 2 << 20 >> 1]),
        ("statscope.v1.mallory.control", b"{\"type\":\"statscope.future\",\"x\":1}".to_vec()),
        ("statscope.v1.mallory.samples", good.into_bytes()),
    ];
    for (subject, payload) in hostile {
        js.publish(subject, payload.into())
            .await
            .expect("published")
            .await
            .expect("stored");
    }
    // Eight bad ones (the unknown type is ignored, as a page ignores it), said per host; the one
    // good sample passes, under its own host only.
    let notice = viewer
        .notice("bad-agent-message", 20, |n| {
            n["count"] == 8 && n["host"] == "mallory"
        })
        .await;
    assert!(
        notice["text"]
            .as_str()
            .unwrap_or("")
            .contains("unreadable or misplaced"),
        "{notice}"
    );
    let seen = viewer.until(10, |s| s.containers.contains("c1")).await;
    assert_eq!(
        seen.containers.iter().collect::<Vec<_>>(),
        ["c1"],
        "only the good sample"
    );
    assert!(!seen.frames.iter().any(|f| f.contains("victim")));
    assert!(hub.child.id().is_some(), "the hub is still running");
}

/// A NATS server that says it is `version` in its INFO and answers PINGs, enough for a client to
/// connect and read the version.
async fn fake_nats(version: &'static str) -> u16 {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            tokio::spawn(async move {
                let (rd, mut wr) = tcp.into_split();
                let info = format!(
                    "INFO {{\"server_id\":\"fake\",\"server_name\":\"fake\",\"version\":\"{version}\",\
                     \"proto\":1,\"host\":\"127.0.0.1\",\"port\":4222,\"headers\":true,\
                     \"max_payload\":1048576,\"jetstream\":true}}\r\n"
                );
                if wr.write_all(info.as_bytes()).await.is_err() {
                    return;
                }
                let mut lines = BufReader::new(rd).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    if line.starts_with("PING") && wr.write_all(b"PONG\r\n").await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    port
}

#[tokio::test(flavor = "multi_thread")]
async fn a_nats_server_too_old_is_refused_with_a_clear_message() {
    let port = fake_nats("2.9.10").await;
    let url = format!("nats://127.0.0.1:{port}");
    for args in [
        vec!["agent", "--nats", &url, "--host", "h", "--demo"],
        vec!["serve", "--nats", &url, "--listen", "127.0.0.1:0"],
    ] {
        let out = tokio::time::timeout(
            Duration::from_secs(30),
            tokio::process::Command::new(env!("CARGO_BIN_EXE_statscope"))
                .args(&args)
                .env("RUST_LOG", "error")
                .output(),
        )
        .await
        .expect("it stops by itself")
        .expect("it runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains("is version 2.9.10") && stderr.contains("needs 2.10.0 or newer"),
            "{args:?}: {stderr}"
        );
    }
    // A server new enough passes the check (and the agent goes on to publish).
    let port = fake_nats("2.15.1").await;
    let url = format!("nats://127.0.0.1:{port}");
    let mut agent = tokio::process::Command::new(env!("CARGO_BIN_EXE_statscope"))
        .args(["agent", "--nats", &url, "--host", "h", "--demo"])
        .env("RUST_LOG", "error")
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("it runs");
    use tokio::io::AsyncBufReadExt;
    let mut lines = tokio::io::BufReader::new(agent.stdout.take().expect("stdout")).lines();
    let line = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
        .await
        .expect("in time")
        .expect("readable")
        .expect("a line");
    assert!(
        line.starts_with("statscope: agent publishing h to"),
        "{line}"
    );
    let _ = agent.kill().await;
}
