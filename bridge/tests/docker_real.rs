//! The bridge against a real Docker Engine: a private `dockerd` (scripts/dockerd-up.sh), real
//! containers built `FROM scratch` with static busybox, and a real WebSocket client.
//!
//! Mandatory in CI (`CI=true`): it fails if dockerd cannot start. Elsewhere, without root or Docker,
//! it prints that it was skipped. It starts and stops only its own dockerd (when it started it) and
//! its own containers, by name.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use statscope::{Flag, RateEngine};
use statscope_bridge::docker::{DockerSource, Endpoint};
use statscope_bridge::server::{self, ServerConfig};
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

const SCRIPTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts");
const PREFIX: &str = "statscope-it-";

/// The private daemon: its socket, and whether this test started it (then it stops it).
struct Daemon {
    host: String,
    started_here: bool,
}

impl Daemon {
    fn up() -> Result<Daemon, String> {
        let sock = std::env::var("STATSCOPE_DOCKER_SOCK")
            .unwrap_or_else(|_| "/run/statscope-docker.sock".into());
        let already = Command::new("curl")
            .args(["-sf", "--unix-socket", &sock, "http://localhost/_ping"])
            .output()
            .is_ok_and(|o| o.status.success());
        let out = Command::new("bash")
            .arg(format!("{SCRIPTS}/dockerd-up.sh"))
            .output()
            .map_err(|e| format!("cannot run dockerd-up.sh: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "dockerd-up.sh failed:\n{}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(Daemon {
            host: format!("unix://{sock}"),
            started_here: !already,
        })
    }

    fn docker(&self, args: &[&str]) -> String {
        let out = Command::new("docker")
            .env("DOCKER_HOST", &self.host)
            .args(args)
            .output()
            .expect("docker CLI runs");
        assert!(
            out.status.success(),
            "docker {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    fn run(&self, name: &str, extra: &[&str], cmd: &str) {
        let name = format!("{PREFIX}{name}");
        let mut args = vec!["run", "-d", "--name", name.as_str()];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["statscope-busybox:latest", "sh", "-c", cmd]);
        self.docker(&args);
    }

    fn remove_ours(&self) {
        let names = self.docker(&["ps", "-aq", "--filter", &format!("name={PREFIX}")]);
        for id in names.split_whitespace() {
            let _ = Command::new("docker")
                .env("DOCKER_HOST", &self.host)
                .args(["rm", "-f", id])
                .output();
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.remove_ours();
        if self.started_here {
            let _ = Command::new("bash")
                .arg(format!("{SCRIPTS}/dockerd-down.sh"))
                .output();
        }
    }
}

fn can_run_docker() -> Result<(), String> {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout == b"0\n")
        .unwrap_or(false);
    if !root {
        return Err("not root".into());
    }
    for tool in ["dockerd", "docker", "curl"] {
        let found = Command::new("sh")
            .args([
                "-c",
                &format!("command -v {tool} || test -x /usr/sbin/{tool}"),
            ])
            .output()
            .is_ok_and(|o| o.status.success());
        if !found {
            return Err(format!("{tool} is not installed"));
        }
    }
    if !std::path::Path::new("/bin/busybox").exists() {
        return Err("busybox-static is not installed".into());
    }
    Ok(())
}

#[test]
fn the_bridge_relays_a_real_docker_engine() {
    let in_ci = std::env::var("CI").is_ok_and(|v| v == "true");
    if let Err(why) = can_run_docker() {
        assert!(
            !in_ci,
            "CI=true: the real-Docker test is mandatory, but {why}"
        );
        eprintln!("SKIPPED the real-Docker test: {why} (it runs as root with docker.io and busybox-static)");
        return;
    }
    let daemon = match Daemon::up() {
        Ok(d) => d,
        Err(why) => {
            assert!(
                !in_ci,
                "CI=true: the real-Docker test is mandatory, but {why}"
            );
            eprintln!("SKIPPED the real-Docker test: {why}");
            return;
        }
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
    let reset_at = restart
        .iter()
        .position(|f| *f == Flag::Reset || *f == Flag::Stopped);
    let reset_at = reset_at.unwrap_or_else(|| panic!("the restart shows as a reset: {restart:?}"));
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
