//! The bridge against a real Docker Engine: a private `dockerd` (scripts/dockerd-up.sh), real
//! containers built `FROM scratch` with static busybox, and a real WebSocket client.
//!
//! Mandatory in CI (`CI=true`): it fails if dockerd cannot start. Elsewhere, without root or Docker,
//! it prints that it was skipped. It starts and stops only its own dockerd (when it started it) and
//! its own containers, by name.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use statscope::{Flag, RateEngine};
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
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let shutdown = CancellationToken::new();
    let source = DockerSource::new(Endpoint::parse(&daemon.host).expect("endpoint"));
    tokio::spawn(server::run(
        listener,
        Box::new(source),
        ServerConfig::default(),
        shutdown.clone(),
    ));
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws"))
        .await
        .expect("connects");

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
        let message = tokio::time::timeout(Duration::from_secs(5), ws.next()).await;
        let Ok(Some(Ok(Message::Text(frame)))) = message else {
            continue;
        };
        if frame.contains("\"statscope.") {
            continue;
        }
        let samples = statscope::parse_frame(&frame).expect("the bridge relays Docker stats JSON");
        let points = engine.update(&samples, None);
        for (s, p) in samples.iter().zip(points) {
            seen.entry(s.display_name().to_string())
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
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let shutdown = CancellationToken::new();
        let source = DockerSource::new(Endpoint::parse(&daemon.host).expect("endpoint"));
        tokio::spawn(server::run(
            listener,
            Box::new(source),
            ServerConfig::default(),
            shutdown.clone(),
        ));
        let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws"))
            .await
            .expect("connects");
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

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

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
        let Ok(Some(Ok(Message::Text(frame)))) =
            tokio::time::timeout(Duration::from_secs(2), ws.next()).await
        else {
            continue;
        };
        if frame.contains("\"statscope.") {
            continue;
        }
        let samples = statscope::parse_frame(&frame).expect("Docker stats");
        for (s, p) in samples.iter().zip(engine.update(&samples, None)) {
            if s.display_name() == name {
                if let Some(c) = p.cpu_percent() {
                    got.push(c);
                }
            }
        }
    }
    got
}
