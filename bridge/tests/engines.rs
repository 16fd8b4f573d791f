//! Real engines for several-engine bridges, proven: two private `dockerd`s side by side (one also
//! over TLS with certificates made by the test), reached by [`Client`] — with the right CA, and
//! refused with a wrong one, saying the certificate is not trusted — and Podman's
//! Docker-compatible service, reached and recognized, its stats turned into samples by the core's
//! Podman adapter. The helpers are in `common/engines.rs`, for the end-to-end tests too.
//!
//! Root with docker.io, busybox-static and podman; otherwise each test says it was skipped (a
//! failure under `CI=true`).

mod common;

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use common::engines::{cgroup_cpu_ns, podman_or_skip, two_dockerds_or_skip, Pki};
use statscope_bridge::docker::{Client, DockerError, EngineLimits};
use statscope_bridge::endpoint::{resolve, Engines, TlsFiles};
use statscope_bridge::lines::Line;
use statscope_bridge::tls::TlsError;
use statscope_core::model::podman::{Engine, PodmanStream};
use statscope_core::{EngineConfig, RateEngine};

fn limits() -> EngineLimits {
    EngineLimits {
        timeout: Duration::from_secs(10),
        ..EngineLimits::default()
    }
}

fn env_of(vars: &[(&str, String)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    move |k| map.get(k).cloned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_dockerds_side_by_side_one_over_tls() {
    let test = "two_dockerds_side_by_side_one_over_tls";
    let pki = Pki::new("engines");
    let Some((a, b)) = two_dockerds_or_skip(test, &pki) else {
        return;
    };
    a.remove("on-a");
    let on_a = a.run("on-a", &["--network", "none"], "sleep 600");
    b.remove("on-b");
    let on_b = b.run("on-b", &["--network", "none"], "sleep 600");

    // A over its socket, B over TLS with the right CA and a client certificate.
    let client_a = Client::with_limits(a.unix_endpoint(), limits());
    let client_b =
        Client::for_engine(&b.tls_spec(pki.client_files()), limits()).expect("TLS loads");
    client_a.ping().await.expect("A answers");
    client_b.ping().await.expect("B answers over TLS");
    let running_a = client_a.running_containers().await.expect("A lists");
    let running_b = client_b
        .running_containers()
        .await
        .expect("B lists over TLS");
    assert!(
        running_a.contains(&on_a) && !running_a.contains(&on_b),
        "{running_a:?}"
    );
    assert!(
        running_b.contains(&on_b) && !running_b.contains(&on_a),
        "{running_b:?}"
    );
    let info = client_b.info().await.expect("B's /info over TLS");
    assert!(!info.name.is_empty() && info.cpus > 0, "{info:?}");
    let version = client_b.version().await.expect("B's /version over TLS");
    assert_eq!(version.engine, Engine::Docker, "{version:?}");
    assert!(!version.api_version.is_empty(), "{version:?}");

    // A wrong CA: refused, and the error says the certificate is not trusted.
    let other = Pki::new("engines-other");
    let wrong = Client::for_engine(&b.tls_spec(other.client_files()), limits()).expect("loads");
    let e = wrong.ping().await.expect_err("a wrong CA is refused");
    assert!(
        matches!(e, DockerError::Tls(TlsError::Untrusted { .. })),
        "{e:?}"
    );
    let text = e.to_string();
    assert!(
        text.contains("certificate is not trusted") && text.contains("not signed by the CA in"),
        "{text}"
    );
    // No client certificate: dockerd --tlsverify refuses the connection.
    let anonymous = TlsFiles {
        ca: pki.client_dir().join("ca.pem"),
        client: None,
    };
    let anonymous = Client::for_engine(&b.tls_spec(anonymous), limits()).expect("loads");
    let e = anonymous.ping().await.expect_err("no client certificate");
    assert!(
        matches!(
            e,
            DockerError::Tls(TlsError::Refused {
                had_client_cert: false,
                ..
            })
        ),
        "{e:?}"
    );
    assert!(
        e.to_string().contains("may want a client certificate"),
        "{e}"
    );
    // Plain HTTP to the TLS port is no way around it.
    let plain = Client::with_limits(b.tls_spec(pki.client_files()).endpoint, limits());
    assert!(plain.ping().await.is_err());

    // The same engine through the resolver: --docker NAME=URL with --tls-certs NAME=DIR, and
    // DOCKER_HOST with DOCKER_TLS_VERIFY and DOCKER_CERT_PATH.
    let addr = b.tcp.expect("B listens on TCP");
    let home = PathBuf::from("/nonexistent-home-for-statscope-tests");
    let r = resolve(
        &[format!("b=tcp://{addr}")],
        &[],
        &[format!("b={}", pki.client_dir().display())],
        &env_of(&[]),
        &home,
    )
    .expect("resolves");
    let Engines::Named(specs) = r.engines else {
        panic!("named")
    };
    let via_flags = Client::for_engine(&specs[0], limits()).expect("loads");
    via_flags
        .ping()
        .await
        .expect("B through --docker and --tls-certs");
    let vars = [
        ("DOCKER_HOST", format!("tcp://{addr}")),
        ("DOCKER_TLS_VERIFY", "1".to_string()),
        ("DOCKER_CERT_PATH", pki.client_dir().display().to_string()),
    ];
    let r = resolve(&[], &[], &[], &env_of(&vars), &home).expect("resolves");
    let Engines::Named(specs) = r.engines else {
        panic!("named")
    };
    let via_env = Client::for_engine(&specs[0], limits()).expect("loads");
    via_env
        .ping()
        .await
        .expect("B through DOCKER_HOST and DOCKER_TLS_VERIFY");
    // And the docker CLI takes the same certificates the same way.
    let cli = std::process::Command::new("docker")
        .envs(vars.iter().map(|(k, v)| (*k, v.as_str())))
        .env_remove("DOCKER_CONTEXT")
        .args(["version", "--format", "{{.Server.Version}}"])
        .output()
        .expect("docker runs");
    assert!(
        cli.status.success(),
        "the docker CLI over TLS: {}",
        String::from_utf8_lossy(&cli.stderr)
    );

    // One stopped (by its PID), the other keeps answering.
    let pid_a = a.pid().expect("A's pid");
    a.stop();
    assert!(
        !common::engines::running(pid_a, "dockerd"),
        "A's dockerd is gone"
    );
    assert!(client_a.ping().await.is_err(), "A no longer answers");
    client_b.ping().await.expect("B still answers");
    b.remove("on-b");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn podman_is_reached_recognized_and_its_cpu_is_wall_time_based() {
    let test = "podman_is_reached_recognized_and_its_cpu_is_wall_time_based";
    let Some(podman) = podman_or_skip(test, "engines") else {
        return;
    };
    let client = Client::with_limits(
        statscope_bridge::endpoint::Endpoint::Unix(podman.socket.clone()),
        limits(),
    );
    client.ping().await.expect("Podman answers /_ping");
    let version = client.version().await.expect("/version");
    assert_eq!(version.engine, Engine::Podman, "{version:?}");
    assert!(
        version
            .server
            .as_deref()
            .is_some_and(|s| s.starts_with("Libpod/")),
        "{version:?}"
    );
    let info = client.info().await.expect("/info");
    assert!(info.cpus > 0, "{info:?}");

    let busy = podman
        .run("busy", "while :; do :; done")
        .expect("a busy container");
    let idle = podman.run("idle", "sleep 600").expect("an idle container");
    let running = client.running_containers().await.expect("/containers/json");
    assert!(
        running.contains(&busy) && running.contains(&idle),
        "{running:?}"
    );

    // Three samples of each (Podman writes one every ~5 s), through the adapter and the engine,
    // each value checked against the container's cgroup CPU time read from the kernel when the
    // sample arrived, over this test's own clock.
    let mut engine = RateEngine::new(EngineConfig::default());
    let mut cpu: HashMap<String, Vec<f64>> = HashMap::new();
    for id in [&busy, &idle] {
        let pid = podman.pid_of(id).expect("a PID");
        let mut lines = client.stats(id).await.expect("a stats stream");
        let mut stream = PodmanStream::new(id, "pod");
        let mut truth_before: Option<(std::time::Instant, u64)> = None;
        for _ in 0..3 {
            let line = tokio::time::timeout(Duration::from_secs(20), lines.next())
                .await
                .expect("a sample within 20 s")
                .expect("reads")
                .expect("a line");
            let truth_now = (
                std::time::Instant::now(),
                cgroup_cpu_ns(pid).expect("the cgroup's CPU time"),
            );
            let Line::Text(text) = line else {
                panic!("a stats line: {line:?}")
            };
            let sample = stream.sample_from_json(&text).expect("parses");
            assert_eq!(sample.key, format!("{id}@pod"));
            let point = engine.update([&sample], None)[0];
            match truth_before.replace(truth_now) {
                None => assert!(
                    point.cpu_percent().is_none(),
                    "no value from the noisy first sample"
                ),
                Some((t0, used0)) => {
                    let value = point.cpu_percent().expect("a CPU value");
                    let real = (truth_now.1 - used0) as f64
                        / truth_now.0.duration_since(t0).as_nanos() as f64
                        * 100.0;
                    assert!(
                        (value - real).abs() <= 3.0,
                        "{value:.1} %, the cgroup says {real:.1} %"
                    );
                    cpu.entry(id.clone()).or_default().push(value);
                }
            }
        }
    }
    eprintln!("busy: {:?}, idle: {:?}", cpu[&busy], cpu[&idle]);
    // A busy loop uses CPU (a core when the shared machine allows); a sleeping one none.
    assert!(cpu[&busy].iter().all(|v| *v > 10.0), "{:?}", cpu[&busy]);
    assert!(cpu[&idle].iter().all(|v| *v < 1.0), "{:?}", cpu[&idle]);
}
