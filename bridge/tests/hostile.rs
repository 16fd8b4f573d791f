//! The bridge against a hostile engine and a hostile crowd (issue 13, RELIABILITY.md's "Hostile
//! engines and crowds"): the real `statscope serve` (its memory read from /proc), a fake Docker
//! Engine on a Unix socket that answers too much, too long, too fast or not at all
//! ([`common::engine`]), and a good WebSocket viewer that must keep getting frames and be told, by
//! `statscope.notice`, what was cut or refused. Small limits via flags where the default would make
//! a test slow; `the_defaults_are_what_security_md_says` proves the defaults.

mod common;

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::time::Duration;

use common::engine::{cid, FakeEngine, List, Served, Spec, Stats, Viewer};
use futures_util::StreamExt;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

const MIB: u64 = 1024;

/// Every `statscope.notice` of `cause` a viewer was sent, in order.
fn notices(v: &Viewer, cause: &str) -> Vec<Value> {
    v.seen()
        .controls
        .iter()
        .filter_map(|c| serde_json::from_str::<Value>(c).ok())
        .filter(|m| m["type"] == "statscope.notice" && m["cause"] == cause)
        .collect()
}

/// Waits up to `secs` until some notice of `cause` satisfies `done`.
async fn told(v: &Viewer, cause: &str, secs: u64, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(n) = notices(v, cause).into_iter().find(&done) {
            return n;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not told ({cause}) in {secs} s; notices: {:?}",
            v.seen().notices
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the viewer has `n` more stats objects of `id` than now: the feed goes on.
async fn keeps_flowing(v: &Viewer, id: &str, n: usize, secs: u64) {
    let before = v.seen().per_container.get(id).copied().unwrap_or(0);
    let seen = v
        .until(secs, |s| {
            s.per_container.get(id).copied().unwrap_or(0) >= before + n
        })
        .await;
    let now = seen.per_container.get(id).copied().unwrap_or(0);
    assert!(
        now >= before + n,
        "{}'s stats stopped: {before} then {now} in {secs} s",
        &id[58..]
    );
}

fn text(n: &Value) -> &str {
    n["text"].as_str().unwrap_or("")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_engine_answering_too_much_is_refused_and_said() {
    let (good, big) = (cid(0), cid(1));
    let engine = FakeEngine::start(Spec {
        running: vec![good.clone(), big.clone()],
        // The first listing announces 1.5 GB; the retry is ordinary.
        list: List::Huge {
            bytes: 1_500_000_000,
            announced: true,
            times: 1,
        },
        // This container's inspect streams 64 MiB, its length unannounced.
        huge_inspect: HashSet::from([big.clone()]),
        ..Spec::default()
    });
    let bridge = Served::start(&["--docker", &engine.url()], None).await;
    let v = Viewer::connect(bridge.addr()).await;

    let refused = told(&v, "engine-answer-too-large", 15, |n| {
        text(n).contains("/containers/json: the engine answered 1.5 GB, over the 32 MiB limit")
    })
    .await;
    assert_eq!(refused["limit"], 32 << 20);
    let inspect = told(&v, "engine-answer-too-large", 15, |n| {
        text(n).contains("answered more than the 32 MiB limit")
            && text(n).contains("no info for container")
    })
    .await;
    assert_eq!(inspect["active"], true);
    // It retried, connected, and both containers' stats flow (the one without info too).
    keeps_flowing(&v, &good, 3, 15).await;
    keeps_flowing(&v, &big, 3, 15).await;
    assert!(engine.counts.get(&engine.counts.lists) >= 2, "retried");
    assert!(bridge.warnings("answered 1.5 GB") >= 1, "{}", bridge.log());
    let peak = bridge.peak_kib();
    eprintln!("peak RSS {peak} KiB");
    assert!(peak < 200 * MIB, "peak RSS {peak} KiB");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_50_mb_line_in_small_pieces_is_skipped_and_the_stream_goes_on() {
    let (long, other) = (cid(0), cid(1));
    let engine = FakeEngine::start(Spec {
        running: vec![long.clone(), other.clone()],
        stats: HashMap::from([(
            long.clone(),
            Stats::LongLine {
                bytes: 50_000_000,
                piece: 256,
            },
        )]),
        ..Spec::default()
    });
    let bridge = Served::start(&["--docker", &engine.url()], None).await;
    let v = Viewer::connect(bridge.addr()).await;
    let cut = told(&v, "line-too-long", 60, |_| true).await;
    assert_eq!(cut["limit"], 1 << 20);
    assert!(text(&cut).contains("a stats line over 1 MiB"), "{cut}");
    // The lines after it are read as usual, and the other container never stopped.
    keeps_flowing(&v, &long, 5, 20).await;
    keeps_flowing(&v, &other, 5, 20).await;
    assert!(bridge.warnings("a stats line over 1 MiB") >= 1);
    let peak = bridge.peak_kib();
    eprintln!("peak RSS {peak} KiB");
    assert!(peak < 200 * MIB, "peak RSS {peak} KiB");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_engine_that_never_answers_is_retried_and_said() {
    let engine = FakeEngine::start(Spec {
        silent: true,
        ..Spec::default()
    });
    let bridge = Served::start(
        &["--docker", &engine.url(), "--engine-timeout-s", "1"],
        None,
    )
    .await;
    let v = Viewer::connect(bridge.addr()).await;
    let first = told(&v, "engine-unreachable", 10, |n| n["active"] == true).await;
    assert!(
        text(&first).contains("no answer from the Docker Engine")
            && text(&first).contains("took longer than 1s")
            && text(&first).contains("retrying in"),
        "{first}"
    );
    // Retried with backoff, and still said.
    let again = told(&v, "engine-unreachable", 15, |n| {
        n["count"].as_u64() >= Some(3)
    })
    .await;
    assert_eq!(again["active"], true);
    assert!(engine.counts.get(&engine.counts.connections) >= 3);
    // Logged once per cause (30 s), not once per attempt.
    assert_eq!(
        bridge.warnings("no answer from the Docker Engine"),
        1,
        "{}",
        bridge.log()
    );
    let seen = v.seen();
    assert!(
        seen.controls.iter().any(|c| c.contains("statscope.hello")),
        "the viewer is served meanwhile"
    );
    eprintln!("peak RSS {} KiB", bridge.peak_kib());
    assert!(bridge.peak_kib() < 100 * MIB);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_streams_are_checked_or_closed() {
    // A quiet host: /events says nothing, /_ping answers. The session stays; the silent stats
    // stream is closed and said.
    let quiet = FakeEngine::start(Spec {
        running: vec![cid(0)],
        stats_once: true,
        ..Spec::default()
    });
    let bridge = Served::start(
        &[
            "--docker",
            &quiet.url(),
            "--engine-idle-s",
            "1",
            "--engine-timeout-s",
            "1",
        ],
        None,
    )
    .await;
    let v = Viewer::connect(bridge.addr()).await;
    let idle = told(&v, "stream-idle", 10, |_| true).await;
    assert!(text(&idle).contains("was silent for 1s; closed"), "{idle}");
    let c = &quiet.counts;
    v.until(10, |_| c.get(&c.pings) >= 2).await;
    assert!(
        c.get(&c.pings) >= 2,
        "a silent /events is checked with /_ping"
    );
    assert_eq!(c.get(&c.lists), 1, "and, answered, the session goes on");
    assert!(notices(&v, "engine-unreachable").is_empty());

    // An engine whose /events goes silent and which then does not answer /_ping: reconnect, said.
    let gone = FakeEngine::start(Spec {
        running: vec![cid(0)],
        silent_ping: true,
        ..Spec::default()
    });
    let bridge = Served::start(
        &[
            "--docker",
            &gone.url(),
            "--engine-idle-s",
            "1",
            "--engine-timeout-s",
            "1",
        ],
        None,
    )
    .await;
    let v = Viewer::connect(bridge.addr()).await;
    let lost = told(&v, "engine-unreachable", 15, |n| n["active"] == true).await;
    assert!(
        text(&lost).contains("lost the Docker Engine")
            && text(&lost).contains("/events was silent for 1s, and /_ping failed"),
        "{lost}"
    );
    let c = &gone.counts;
    v.until(10, |_| c.get(&c.lists) >= 2).await;
    assert!(c.get(&c.lists) >= 2, "it reconnected");
    let peak = bridge.peak_kib();
    assert!(peak < 100 * MIB, "peak RSS {peak} KiB");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_flood_is_coalesced_per_container_and_bounded() {
    let good = cid(0);
    let engine = FakeEngine::start(Spec {
        running: vec![good.clone()],
        ..Spec::default()
    });
    let bridge = Served::start(
        &[
            "--docker",
            &engine.url(),
            "--max-events-per-s",
            "50",
            "--max-containers",
            "20",
        ],
        None,
    )
    .await;
    let v = Viewer::connect(bridge.addr()).await;
    keeps_flowing(&v, &good, 2, 10).await;
    let inspects_before = engine.counts.get(&engine.counts.inspects);

    // 3 s of `start` (and `die`) events for 2,000 containers, as fast as the bridge reads them.
    let started = tokio::time::Instant::now();
    let mut sent = 0usize;
    while started.elapsed() < Duration::from_secs(3) {
        for k in 0..500 {
            let id = cid(1000 + (sent + k) % 2000);
            let action = if k % 5 == 4 { "die" } else { "start" };
            engine.event(FakeEngine::event_line(&id, action));
        }
        sent += 500;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // Meanwhile the good container's stats kept coming.
    keeps_flowing(&v, &good, 3, 10).await;
    let flood = told(&v, "event-flood", 10, |n| n["count"].as_u64() > Some(0)).await;
    assert_eq!(flood["limit"], 50);
    told(&v, "containers-over-limit", 10, |n| n["active"] == true).await;
    // Counted in containers, not events: at most the 2,000 of the flood wait.
    for over in notices(&v, "containers-over-limit") {
        assert!(over["count"].as_u64() <= Some(2000), "{over}");
    }
    let secs = started.elapsed().as_secs_f64();
    let handled_at_most = 50.0 + 50.0 * secs;

    let c = &engine.counts;
    assert!(
        sent > 10 * handled_at_most as usize,
        "a flood: {sent} events"
    );
    assert!(
        c.get(&c.streams_max) <= 20,
        "at most --max-containers streams at once: {}",
        c.get(&c.streams_max)
    );
    assert!(
        c.get(&c.inspects_max) <= 8,
        "at most 8 inspects at once: {}",
        c.get(&c.inspects_max)
    );
    let inspects = c.get(&c.inspects) - inspects_before;
    assert!(
        (inspects as f64) <= handled_at_most + 40.0,
        "{inspects} inspects for {sent} events in {secs:.1} s"
    );
    let relayed = v
        .seen()
        .controls
        .iter()
        .filter(|m| m.contains("statscope.event"))
        .count();
    assert!(
        (relayed as f64) <= handled_at_most,
        "{relayed} events relayed in {secs:.1} s"
    );
    assert!(bridge.warnings("faster than 50/s") >= 1);
    let peak = bridge.peak_kib();
    eprintln!("peak RSS {peak} KiB");
    assert!(peak < 200 * MIB, "peak RSS {peak} KiB");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_1000_containers_the_rest_wait_their_turn_and_it_is_said() {
    let running: Vec<String> = (0..1100).map(cid).collect();
    let engine = FakeEngine::start(Spec {
        running: running.clone(),
        stats_once: true,
        ..Spec::default()
    });
    // The default --max-containers (1000).
    let bridge = Served::start(&["--docker", &engine.url()], None).await;
    let v = Viewer::connect(bridge.addr()).await;
    let over = told(&v, "containers-over-limit", 20, |n| n["active"] == true).await;
    assert_eq!(
        text(&over),
        "1,100 containers, following 1,000 (--max-containers)"
    );
    assert_eq!(
        (over["count"].as_u64(), over["limit"].as_u64()),
        (Some(100), Some(1000))
    );
    let seen = v.until(30, |s| s.containers.len() >= 1000).await;
    assert_eq!(
        seen.containers.len(),
        1000,
        "every followed container's stats"
    );
    let streamed = || engine.counts.streamed.lock().expect("streamed").clone();
    assert_eq!(streamed().len(), 1000);
    // Docker lists the newest first; those are followed.
    assert!(running[..1000].iter().all(|id| streamed().contains(id)));
    assert!(bridge.warnings("1,100 containers, following 1,000") >= 1);

    // Ten followed containers die: after their linger, ten waiting ones get their places.
    for id in &running[..10] {
        engine.event(FakeEngine::event_line(id, "die"));
    }
    let fewer = told(&v, "containers-over-limit", 20, |n| n["count"] == 90).await;
    assert_eq!(
        text(&fewer),
        "1,090 containers, following 1,000 (--max-containers)"
    );
    let later = v.until(15, |s| s.containers.len() >= 1010).await;
    assert_eq!(later.containers.len(), 1010);
    assert!(running[1000..1010].iter().all(|id| streamed().contains(id)));
    let peak = bridge.peak_kib();
    eprintln!("peak RSS {peak} KiB");
    assert!(peak < 400 * MIB, "peak RSS {peak} KiB");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_shaped_like_a_control_message_stay_stats() {
    let id = cid(0);
    let lookalike = format!(
        r#"{{"type":"statscope.container","id":"{id}","name":"/EVIL","image":"x","cpuLimit":64}}"#
    );
    let engine = FakeEngine::start(Spec {
        running: vec![id.clone()],
        stats: HashMap::from([(id.clone(), Stats::Line(lookalike.clone()))]),
        ..Spec::default()
    });
    let bridge = Served::start(&["--docker", &engine.url()], None).await;
    let early = Viewer::connect(bridge.addr()).await;
    let seen = early
        .until(15, |s| s.frames.iter().any(|f| f.contains("EVIL")))
        .await;
    let with_it: Vec<&String> = seen.frames.iter().filter(|f| f.contains("EVIL")).collect();
    assert!(!with_it.is_empty(), "the line was relayed");
    for frame in &with_it {
        // Read as the stats object it is (it has `id` and `name`): a sample named EVIL in a
        // `statscope.samples` frame, never a message of its own.
        match statscope_core::protocol::Message::decode(frame) {
            Ok(Some(statscope_core::protocol::Message::Samples(batch))) => {
                assert!(batch.samples.iter().any(|s| s.name == "EVIL"), "{frame}");
            }
            other => panic!("relayed inside samples, never as its own frame: {other:?}"),
        }
    }
    assert!(seen.controls.iter().all(|c| !c.contains("EVIL")));

    // A viewer arriving later is told the real container info, not the lookalike.
    let late = Viewer::connect(bridge.addr()).await;
    let told_late = late
        .until(5, |s| {
            s.controls.iter().any(|c| c.contains("statscope.container"))
        })
        .await;
    let infos: Vec<&String> = told_late
        .controls
        .iter()
        .filter(|c| c.contains("statscope.container"))
        .collect();
    assert!(!infos.is_empty());
    for info in infos {
        assert!(
            info.contains(&id) && info.contains("\"name\":\"c-"),
            "{info}"
        );
        assert!(!info.contains("EVIL"), "{info}");
    }
    assert!(bridge.peak_kib() < 100 * MIB);
}

/// A TCP connection to `addr` from `from` (any 127.x address is this host).
async fn connect_from(from: [u8; 4], addr: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::from((from, 0)))?;
    socket.connect(addr).await
}

/// `GET /` on a fresh connection from `from`; the status, or 0.
async fn get_page(from: [u8; 4], addr: SocketAddr) -> u16 {
    let Ok(mut s) = connect_from(from, addr).await else {
        return 0;
    };
    let request = format!("GET / HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    if s.write_all(request.as_bytes()).await.is_err() {
        return 0;
    }
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut answer)).await;
    String::from_utf8_lossy(&answer)
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// Whether the server closed `s` (EOF or reset) within `secs`.
async fn closed_by_server(s: &mut TcpStream, secs: u64) -> bool {
    let mut buf = [0u8; 512];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        match tokio::time::timeout_at(deadline, s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue, // a 503 or a 408, then the close
            Err(_) => return false,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_and_half_open_connections_cannot_keep_a_viewer_out() {
    // 256 file descriptors, as a tight `ulimit -n` would give; 1,100 connections come.
    let bridge = Served::start(
        &[
            "--demo",
            "--max-connections",
            "64",
            "--max-connections-per-address",
            "48",
            "--header-timeout-s",
            "2",
        ],
        Some(256),
    )
    .await;
    let addr = bridge.addr();
    let watching = Viewer::connect(addr).await;
    watching.until(10, |s| s.stats_frames >= 3).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let start_kib = bridge.rss_kib();

    let mut crowd = Vec::new();
    for n in 0..1100 {
        let Ok(mut s) = TcpStream::connect(addr).await else {
            continue;
        };
        if n % 2 == 0 {
            // Half a request, never finished.
            let _ = s
                .write_all(b"GET /index.html HTTP/1.1\r\nHost: x\r\n")
                .await;
        }
        crowd.push(s);
    }
    assert!(crowd.len() > 1000, "the crowd got in at the TCP level");

    // A fresh viewer from the crowd's own address still gets in (an idle connection makes room),
    // and so does a page load from another address.
    let fresh = Viewer::connect(addr).await;
    let got = fresh.until(10, |s| s.stats_frames >= 3).await;
    assert!(got.stats_frames >= 3, "the fresh viewer gets frames");
    assert_eq!(get_page([127, 0, 0, 2], addr).await, 200);
    // The viewer from before was never closed to make room.
    let before = watching.seen().stats_frames;
    watching.until(10, |s| s.stats_frames > before + 3).await;
    assert!(watching.seen().stats_frames > before + 3);

    // None of the crowd is held past the header timeout (2 s): each was closed to make room,
    // refused, or timed out.
    let mut held = 0;
    for s in &mut crowd {
        if !closed_by_server(s, 4).await {
            held += 1;
        }
    }
    assert_eq!(held, 0, "idle or half-open connections still held");
    drop(crowd);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let end_kib = bridge.rss_kib();
    eprintln!(
        "RSS {start_kib} KiB, after the crowd {end_kib} KiB (peak {} KiB)",
        bridge.peak_kib()
    );
    assert!(
        end_kib < start_kib + 20 * MIB,
        "memory back near its start: {start_kib} KiB then {end_kib} KiB"
    );
    assert!(
        !bridge.log().contains("Too many open files"),
        "{}",
        bridge.log()
    );
}

/// A WebSocket from `from`; `None` if refused.
async fn ws_from(
    from: [u8; 4],
    addr: SocketAddr,
) -> Option<tokio_tungstenite::WebSocketStream<TcpStream>> {
    let stream = connect_from(from, addr).await.ok()?;
    tokio_tungstenite::client_async(format!("ws://{addr}/ws"), stream)
        .await
        .ok()
        .map(|(ws, _)| ws)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websockets_past_the_cap_are_refused_and_their_memory_comes_back() {
    let bridge = Served::start(
        &[
            "--demo",
            "--max-connections",
            "400",
            "--max-connections-per-address",
            "300",
        ],
        None,
    )
    .await;
    let addr = bridge.addr();
    let viewer = Viewer::connect(addr).await; // from 127.0.0.1
    viewer.until(10, |s| s.stats_frames >= 3).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let start_kib = bridge.rss_kib();

    // 299 more from 127.0.0.1 fill its share; they read nothing (idle viewers).
    let mut idle = Vec::new();
    for _ in 0..299 {
        idle.push(ws_from([127, 0, 0, 1], addr).await.expect("within the cap"));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let open_kib = bridge.rss_kib();
    // tungstenite's default buffers cost 128 KiB per socket up front; these start at 4 KiB.
    let per_socket = (open_kib.saturating_sub(start_kib)) / 299;
    assert!(
        per_socket < 64,
        "{per_socket} KiB per idle WebSocket ({start_kib} → {open_kib} KiB)"
    );
    // The next ones from that address are refused: every one of its connections is a WebSocket.
    for _ in 0..20 {
        assert!(
            ws_from([127, 0, 0, 1], addr).await.is_none(),
            "over the per-address cap"
        );
    }
    let refused = told(&viewer, "connections-refused", 10, |n| {
        n["count"].as_u64() >= Some(20)
    })
    .await;
    assert_eq!(refused["limit"], 300);
    assert!(text(&refused).contains("from 127.0.0.1"), "{refused}");
    // Another address still gets in.
    let mut other = ws_from([127, 0, 0, 3], addr)
        .await
        .expect("another address");
    let first = tokio::time::timeout(Duration::from_secs(5), other.next())
        .await
        .expect("a frame")
        .expect("open")
        .expect("valid");
    assert!(first.to_text().is_ok_and(|t| t.contains("statscope.hello")));
    // One warning line for the twenty refusals.
    assert_eq!(
        bridge.warnings("refused connections from 127.0.0.1"),
        1,
        "{}",
        bridge.log()
    );

    // They go: memory comes back near its start.
    drop(idle);
    drop(other);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let end_kib = bridge.rss_kib();
    eprintln!("RSS {start_kib} KiB, 300 WebSockets {open_kib} KiB, closed {end_kib} KiB");
    assert!(
        end_kib < start_kib + 10 * MIB,
        "memory back near its start: {start_kib} → {open_kib} → {end_kib} KiB"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cross_site_page_retrying_writes_one_warning() {
    let bridge = Served::start(&["--demo", "--token", "s3cret"], None).await;
    let addr = bridge.addr();
    for n in 0..300 {
        let request = if n % 2 == 0 {
            "GET /ws?token=s3cret HTTP/1.1\r\nOrigin: http://evil.example\r\n"
        } else {
            "GET /ws?token=wrong HTTP/1.1\r\n"
        };
        let mut s = TcpStream::connect(addr).await.expect("connect");
        let full = format!(
            "{request}Host: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        );
        s.write_all(full.as_bytes()).await.expect("write");
        let mut answer = [0u8; 12];
        s.read_exact(&mut answer).await.expect("an answer");
        assert!(
            matches!(&answer[9..12], b"403" | b"401"),
            "{}",
            String::from_utf8_lossy(&answer)
        );
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    // 150 cross-site upgrades and 150 wrong tokens: one line each.
    assert_eq!(
        bridge.warnings("cross-origin WebSocket from http://evil.example refused"),
        1,
        "{}",
        bridge.log()
    );
    assert_eq!(
        bridge.warnings("refused a WebSocket upgrade without the right token"),
        1,
        "{}",
        bridge.log()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recording_with_a_50_mb_line_plays_the_rest() {
    let dir = std::env::temp_dir().join(format!("statscope-hostile-replay-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("rec.ndjson");
    let id = cid(7);
    {
        use std::io::Write;
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).expect("file"));
        for n in 0..3 {
            writeln!(f, "{}", common::engine::stats_line(&id, n)).expect("write");
        }
        f.write_all(&vec![b'x'; 50_000_000]).expect("write");
        writeln!(f).expect("write");
        for n in 3..6 {
            writeln!(f, "{}", common::engine::stats_line(&id, n)).expect("write");
        }
    }
    let bridge = Served::start(
        &["--replay", path.to_str().expect("path"), "--speed", "100"],
        None,
    )
    .await;
    let v = Viewer::connect(bridge.addr()).await;
    let cut = told(&v, "line-too-long", 20, |_| true).await;
    assert!(
        text(&cut).contains("in the recording (about line 4)"),
        "{cut}"
    );
    let seen = v.until(20, |s| s.per_container.get(&id) >= Some(&6)).await;
    assert_eq!(
        seen.per_container.get(&id),
        Some(&6),
        "every other line played"
    );
    let peak = bridge.peak_kib();
    eprintln!("peak RSS {peak} KiB");
    assert!(peak < 200 * MIB, "peak RSS {peak} KiB");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_defaults_are_what_security_md_says() {
    use clap::CommandFactory;
    let security = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../SECURITY.md"))
        .expect("SECURITY.md");
    // Its limits table: | `--flag` | default | … |
    let documented: HashMap<String, String> = security
        .lines()
        .filter_map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            let flag = cells.get(1)?.strip_prefix("`--")?.strip_suffix('`')?;
            let default = cells.get(2)?.replace(',', "");
            Some((flag.to_string(), default))
        })
        .collect();
    let cli = statscope_bridge::cli::Cli::command();
    let serve = cli.find_subcommand("serve").expect("serve");
    let agent = cli.find_subcommand("agent").expect("agent");
    let limits: Vec<_> = serve
        .get_arguments()
        .filter(|a| matches!(a.get_help_heading(), Some("Limits" | "Fleet (NATS)")))
        .filter(|a| a.get_long() != Some("nats"))
        .chain(
            agent
                .get_arguments()
                .filter(|a| a.get_help_heading() == Some("Agent")),
        )
        .collect();
    assert!(limits.len() >= 18, "the limit flags: {}", limits.len());
    for arg in limits {
        let flag = arg.get_long().expect("a long flag");
        let default = arg
            .get_default_values()
            .first()
            .and_then(|v| v.to_str())
            .expect("a default");
        assert_eq!(
            documented.get(flag).map(String::as_str),
            Some(default),
            "--{flag}: SECURITY.md's limits table says the default"
        );
    }
}
