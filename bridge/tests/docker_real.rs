//! The bridge against a real Docker Engine: a private `dockerd` (scripts/dockerd-up.sh), real
//! containers built `FROM scratch` with static busybox, and a real WebSocket client.
//!
//! Mandatory in CI (`CI=true`): it fails if dockerd cannot start. Elsewhere, without root or Docker,
//! it prints that it was skipped. It starts and stops only its own dockerd (when it started it) and
//! its own containers, by name.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use statscope::{Flag, Point, RateEngine};
use statscope_bridge::docker::{DockerSource, Endpoint};
use statscope_bridge::server::{self, ServerConfig};
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

mod common;

use common::{Daemon, PREFIX, SCRIPTS};

/// The real-Docker tests share one private daemon; one at a time.
static DOCKER: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn the_bridge_relays_a_real_docker_engine() {
    let _one_at_a_time = DOCKER.lock().unwrap_or_else(|e| e.into_inner());
    let Some(daemon) = Daemon::up_or_skip("the real-Docker bridge test") else {
        return;
    };
    daemon.remove_ours();
    daemon.run("burn", &["--cpus", "0.5"], "while :; do :; done");
    daemon.run("idle", &[], "sleep 3600");
    daemon.run("exit", &[], "sleep 4");
    daemon.run("restart", &[], "sleep 3600");

    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let seen = runtime.block_on(watch(&daemon));

    let name = |n: &str| format!("{PREFIX}{n}");
    let names: BTreeSet<&String> = seen.keys().collect();
    for n in ["burn", "idle", "exit", "restart", "late"] {
        assert!(names.contains(&name(n)), "no stats for {n}: saw {names:?}");
    }
    let cpu = |n: &str| -> Vec<f64> { seen[&name(n)].iter().filter_map(|(_, c)| *c).collect() };
    let burn = cpu("burn");
    let burn_mean = burn.iter().sum::<f64>() / burn.len() as f64;
    // --cpus 0.5 on a shared machine: loose bounds.
    assert!(
        (20.0..=70.0).contains(&burn_mean),
        "burn averaged {burn_mean:.1}% ({burn:?})"
    );
    assert!(
        cpu("idle").iter().all(|&c| c < 5.0),
        "idle: {:?}",
        cpu("idle")
    );
    let flags = |n: &str| -> Vec<Flag> { seen[&name(n)].iter().map(|(f, _)| *f).collect() };
    assert!(
        flags("exit").contains(&Flag::Stopped),
        "the exited container ends: {:?}",
        flags("exit")
    );
    let restart = flags("restart");
    let resets = restart.iter().filter(|f| **f == Flag::Reset).count();
    assert_eq!(resets, 1, "one restart, one reset mark: {restart:?}");
    assert!(
        cpu("restart").iter().all(|&c| c < 5.0),
        "no spike at the restart: {:?}",
        cpu("restart")
    );
    let reset_at = restart.iter().position(|f| *f == Flag::Reset).unwrap_or(0);
    assert!(
        restart[reset_at..]
            .iter()
            .filter(|f| **f == Flag::None)
            .count()
            >= 2,
        "the stream keeps going after the restart: {restart:?}"
    );
    assert!(
        cpu("late").len() >= 2,
        "a container started after the bridge streams rates"
    );
}

/// Runs the bridge on the private daemon and watches its feed; returns `(flag, cpu)` per container name.
async fn watch(daemon: &Daemon) -> BTreeMap<String, Vec<(Flag, Option<f64>)>> {
    let (mut ws, shutdown) = bridge_on(daemon).await;

    let mut engine = RateEngine::default();
    let mut seen: BTreeMap<String, Vec<(Flag, Option<f64>)>> = BTreeMap::new();
    let start = Instant::now();
    let (mut late_started, mut restarted) = (false, false);
    while start.elapsed() < Duration::from_secs(30) {
        if !late_started && start.elapsed() > Duration::from_secs(3) {
            daemon.run("late", &[], "while :; do :; done");
            late_started = true;
        }
        if !restarted && start.elapsed() > Duration::from_secs(6) {
            daemon.docker(&["restart", "-t", "0", &format!("{PREFIX}restart")]);
            restarted = true;
        }
        for (name, p) in next_points(&mut ws, &mut engine, Duration::from_secs(5)).await {
            seen.entry(name)
                .or_default()
                .push((p.flag, p.cpu_percent()));
        }
        let done = seen
            .get(&format!("{PREFIX}late"))
            .is_some_and(|v| v.len() >= 5)
            && seen
                .get(&format!("{PREFIX}exit"))
                .is_some_and(|v| v.iter().any(|(f, _)| *f == Flag::Stopped))
            && restarted
            && seen.get(&format!("{PREFIX}restart")).is_some_and(|v| {
                v.iter()
                    .skip_while(|(f, _)| *f != Flag::Reset && *f != Flag::Stopped)
                    .filter(|(f, _)| *f == Flag::None)
                    .count()
                    >= 3
            });
        if done {
            break;
        }
    }
    shutdown.cancel();
    seen
}

#[test]
fn the_bridge_reconnects_when_dockerd_restarts() {
    let _one_at_a_time = DOCKER.lock().unwrap_or_else(|e| e.into_inner());
    let Some(daemon) = Daemon::up_or_skip("the dockerd-restart test") else {
        return;
    };
    daemon.remove_ours();
    daemon.run(
        "always",
        &["--restart", "always", "--cpus", "0.3"],
        "while :; do :; done",
    );
    let name = format!("{PREFIX}always");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let (mut ws, shutdown) = bridge_on(&daemon).await;
        let mut engine = RateEngine::default();
        let before = rates_of(&mut ws, &mut engine, &name, Duration::from_secs(30), 3).await;
        assert!(
            before.iter().all(|c| (5.0..=60.0).contains(c)),
            "{before:?}"
        );
        // The daemon goes away and comes back; the container restarts with it (--restart always).
        let down = std::process::Command::new("bash")
            .arg(format!("{SCRIPTS}/dockerd-down.sh"))
            .output()
            .expect("down");
        assert!(
            down.status.success(),
            "{}",
            String::from_utf8_lossy(&down.stderr)
        );
        tokio::time::sleep(Duration::from_secs(2)).await;
        let up = std::process::Command::new("bash")
            .arg(format!("{SCRIPTS}/dockerd-up.sh"))
            .output()
            .expect("up");
        assert!(
            up.status.success(),
            "{}",
            String::from_utf8_lossy(&up.stderr)
        );
        let after = rates_of(&mut ws, &mut engine, &name, Duration::from_secs(90), 3).await;
        assert!(
            after.iter().all(|c| (5.0..=60.0).contains(c)),
            "the container reappears, no spike: {after:?}"
        );
        shutdown.cancel();
    });
}

/// Container info and lifecycle events from a real daemon: `--cpus 0.5` and `--cpuset-cpus 0` as
/// CPU limits, and a container that fills its 16 MiB until the kernel's OOM killer ends it.
#[test]
fn the_bridge_reports_real_limits_and_an_oom_kill() {
    let _one_at_a_time = DOCKER.lock().unwrap_or_else(|e| e.into_inner());
    let Some(daemon) = Daemon::up_or_skip("the real-Docker limits and events test") else {
        return;
    };
    daemon.remove_ours();
    daemon.run("half", &["--cpus", "0.5"], "sleep 3600");
    daemon.run("pinned", &["--cpuset-cpus", "0"], "sleep 3600");
    let name = |n: &str| format!("{PREFIX}{n}");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let (mut ws, shutdown) = bridge_on(&daemon).await;
        let mut infos: BTreeMap<String, serde_json::Value> = BTreeMap::new();
        let mut events: Vec<serde_json::Value> = Vec::new();
        let start = Instant::now();
        let mut oom_started = false;
        let done = |infos: &BTreeMap<String, serde_json::Value>, events: &[serde_json::Value]| {
            infos.contains_key(&name("oom"))
                && events
                    .iter()
                    .any(|e| e["name"] == name("oom").as_str() && e["action"] == "die")
        };
        while !done(&infos, &events) {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "in 30 s: infos {infos:#?}, events {events:#?}"
            );
            // The two running containers are announced first (the bridge's initial list); then
            // the one that is OOM-killed is started.
            if !oom_started
                && infos.contains_key(&name("half"))
                && infos.contains_key(&name("pinned"))
            {
                daemon.run(
                    "oom",
                    &["--memory", "16m", "--memory-swap", "16m"],
                    "s=0123456789; while :; do s=$s$s; done",
                );
                oom_started = true;
            }
            let Ok(Some(Ok(Message::Text(frame)))) =
                tokio::time::timeout(Duration::from_secs(2), ws.next()).await
            else {
                continue;
            };
            if !frame.starts_with(r#"{"type""#) {
                assert!(
                    !frame.contains("\"statscope."),
                    "a control message inside a stats frame: {frame}"
                );
                continue;
            }
            let v: serde_json::Value = serde_json::from_str(&frame).expect("a control message");
            let who = v["name"].as_str().unwrap_or("").to_string();
            match v["type"].as_str() {
                Some("statscope.container") => {
                    infos.insert(who, v);
                }
                Some("statscope.event") => events.push(v),
                _ => {}
            }
        }
        shutdown.cancel();

        let half = &infos[&name("half")];
        assert_eq!(half["cpuLimit"], 0.5, "{half}");
        assert_eq!(half["cpuLimitFrom"], "NanoCpus", "{half}");
        assert!(half["memoryLimitBytes"].is_null(), "{half}");
        assert_eq!(half["image"], "statscope-busybox:latest", "{half}");
        let id = half["id"].as_str().expect("id");
        assert!(statscope_bridge::docker::is_container_id(id), "{half}");
        let pinned = &infos[&name("pinned")];
        assert_eq!(pinned["cpuLimit"], 1.0, "{pinned}");
        assert_eq!(pinned["cpuLimitFrom"], "CpusetCpus", "{pinned}");
        let oom = &infos[&name("oom")];
        assert!(oom["cpuLimit"].is_null(), "{oom}");
        assert_eq!(oom["memoryLimitBytes"], 16u64 << 20, "{oom}");

        let of_oom: Vec<&serde_json::Value> = events
            .iter()
            .filter(|e| e["name"] == name("oom").as_str())
            .collect();
        let actions: Vec<&str> = of_oom
            .iter()
            .map(|e| e["action"].as_str().expect("action"))
            .collect();
        assert!(
            actions.starts_with(&["create", "start"]) && actions.contains(&"oom"),
            "{of_oom:#?}"
        );
        let die = of_oom.last().expect("die");
        assert_eq!(die["action"], "die");
        assert_eq!(die["exitCode"], 137, "{die}");
        assert_eq!(die["id"], oom["id"]);
        // The time is the daemon's, in nanoseconds: a few seconds ago at most.
        let time = die["time"].as_str().expect("time");
        assert_eq!(time.len(), "2026-11-24T05:00:00.123456789Z".len(), "{time}");
        let at = statscope::Timestamp::parse_rfc3339(time).expect("RFC 3339");
        let now_ns = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_nanos() as i128;
        assert!(
            (now_ns - at.unix_ns()).abs() < 60_000_000_000,
            "{time} is not now"
        );
    });
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Runs the bridge on the private daemon (port 0) and connects a WebSocket client to it.
async fn bridge_on(daemon: &Daemon) -> (Ws, CancellationToken) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let shutdown = CancellationToken::new();
    let source = DockerSource::new(Endpoint::parse(&daemon.host).expect("endpoint"));
    tokio::spawn(server::run(
        listener,
        vec![Box::new(source)],
        ServerConfig::default(),
        shutdown.clone(),
    ));
    let (ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws"))
        .await
        .expect("connects");
    (ws, shutdown)
}

/// The next stats frame (within `wait`) through `engine`: `(container name, point)` per sample.
/// statscope's own messages are skipped; nothing within `wait` gives nothing.
async fn next_points(ws: &mut Ws, engine: &mut RateEngine, wait: Duration) -> Vec<(String, Point)> {
    let Ok(Some(Ok(Message::Text(frame)))) = tokio::time::timeout(wait, ws.next()).await else {
        return Vec::new();
    };
    let Ok(Some(statscope::protocol::Message::Samples(batch))) =
        statscope::protocol::Message::decode(&frame)
    else {
        return Vec::new();
    };
    let points = engine.update(&batch.samples, None);
    batch
        .samples
        .iter()
        .map(|s| s.name.clone())
        .zip(points)
        .collect()
}

/// The next `n` CPU rates of the container `name` on the feed, within `deadline`.
async fn rates_of(
    ws: &mut Ws,
    engine: &mut RateEngine,
    name: &str,
    deadline: Duration,
    n: usize,
) -> Vec<f64> {
    let start = Instant::now();
    let mut got = Vec::new();
    while got.len() < n {
        assert!(
            start.elapsed() < deadline,
            "only {} rates in {deadline:?}: {got:?}",
            got.len()
        );
        for (n, p) in next_points(ws, engine, Duration::from_secs(2)).await {
            if n == name {
                got.extend(p.cpu_percent());
            }
        }
    }
    got
}
