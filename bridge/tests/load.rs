//! The bridge under load: 100 WebSocket clients on loopback, one of them deliberately slow.
//!
//! Asserted: every fast client receives every object, in order, while the slow client reads nothing;
//! the slow client falls behind, loses frames and is told how many. What the bridge
//! holds for a stalled client is bounded (its window of the broadcast ring, and a socket send buffer
//! capped at 256 KiB). Latency (send → receive) is printed for RELIABILITY.md,
//! not asserted: speed goals live in benchmarks, not in tests.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use statscope_bridge::hub::{HubConfig, Sink};
use statscope_bridge::server::{self, ServerConfig};
use statscope_bridge::source::{BoxFuture, Source};
use tokio::sync::Notify;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

const CLIENTS: usize = 100;
const OBJECTS: usize = 3000;

/// Emits `OBJECTS` stats objects, one per 2 ms, each numbered by its ID (`n000042`), stamped with
/// its send time (in `pids_stats.current`, which the bridge relays as it is) and padded to ~3 KB
/// (in its name), once `go` is notified (when every client is connected).
struct Paced {
    start: Instant,
    go: Arc<Notify>,
}

impl Source for Paced {
    fn kind(&self) -> &'static str {
        "paced"
    }
    fn describe(&self) -> String {
        "a paced load generator".into()
    }
    fn run(self: Box<Self>, sink: Sink, shutdown: CancellationToken) -> BoxFuture {
        Box::pin(async move {
            self.go.notified().await;
            let padding = "x".repeat(3000);
            let mut tick = tokio::time::interval(Duration::from_millis(2));
            for n in 0..OBJECTS {
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = tick.tick() => {}
                }
                let sent_us = self.start.elapsed().as_micros();
                let object = format!(
                    r#"{{"id":"n{n:06}","name":"/{padding}","pids_stats":{{"current":{sent_us}}}}}"#
                );
                if !sink.send_stats(&object).await {
                    return;
                }
            }
        })
    }
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The samples in a frame (none in one that is not `statscope.samples`).
fn samples(frame: &str) -> usize {
    match statscope_core::protocol::Message::decode(frame) {
        Ok(Some(statscope_core::protocol::Message::Samples(batch))) => batch.samples.len(),
        _ => 0,
    }
}

/// A fast client: reads every sample; returns the latencies (µs) after checking order. It does as
/// little as it can (no JSON parse: a sample is an array starting with its key, `["n000042@…`, and
/// ending with `pids`, the stamp), so the numbers are the bridge's, not this test's.
async fn fast(mut ws: Ws, start: Instant) -> Vec<u128> {
    let mut next = 0usize;
    let mut latencies = Vec::with_capacity(OBJECTS);
    while next < OBJECTS {
        let message = tokio::time::timeout(Duration::from_secs(60), ws.next())
            .await
            .expect("frames keep coming")
            .expect("open")
            .expect("valid");
        let Message::Text(frame) = message else {
            continue;
        };
        assert!(
            !frame.contains("\"statscope.dropped\""),
            "a fast client lost frames"
        );
        if !frame.starts_with("{\"type\":\"statscope.samples\"") {
            continue;
        }
        let now = start.elapsed().as_micros();
        for sample in frame.split("[\"n").skip(1) {
            assert_eq!(&sample[..6], format!("{next:06}"), "in order, none missing");
            let fields = &sample[..sample.find(']').expect("a whole sample")];
            let stamp = fields.rsplit(',').next().expect("a stamp");
            latencies.push(now - stamp.parse::<u128>().expect("a number"));
            next += 1;
        }
    }
    latencies
}

fn percentile(sorted: &[u128], p: f64) -> u128 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_clients_and_a_slow_one() {
    let start = Instant::now();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let shutdown = CancellationToken::new();
    let go = Arc::new(Notify::new());
    let config = ServerConfig {
        // One object per frame (1 ms ticks), 256 frames of queue per client.
        hub: HubConfig {
            tick: Duration::from_millis(1),
            client_queue_frames: 256,
            ..HubConfig::default()
        },
        ..ServerConfig::default()
    };
    let source = Paced {
        start,
        go: go.clone(),
    };
    tokio::spawn(server::run(
        listener,
        vec![Box::new(source)],
        config,
        shutdown.clone(),
    ));

    // The slow client: it reads nothing until the end (9 MB will be sent to it).
    let (mut slow, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws"))
        .await
        .expect("slow client connects");

    let mut clients = Vec::new();
    for _ in 0..CLIENTS - 1 {
        let (ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws"))
            .await
            .expect("connects");
        clients.push(tokio::spawn(fast(ws, start)));
    }
    tokio::time::sleep(Duration::from_millis(200)).await; // every hello is out
    go.notify_one();

    let mut all = Vec::new();
    for c in clients {
        all.push(c.await.expect("a fast client finished"));
    }
    // Now the slow client reads what is left: a drop notice, and fewer objects than were sent.
    let (mut dropped, mut received) = (0u64, 0usize);
    while let Ok(Some(Ok(message))) =
        tokio::time::timeout(Duration::from_secs(2), slow.next()).await
    {
        if let Message::Text(frame) = message {
            if frame.contains("\"statscope.dropped\"") {
                let v: serde_json::Value = serde_json::from_str(&frame).expect("note");
                dropped = v["total"].as_u64().expect("total");
            } else {
                received += samples(&frame);
            }
        }
    }
    // The slow client fell behind (9 MB went its way; the bridge holds about 1 MB for it), lost
    // frames, and was told: no silent loss.
    assert!(
        dropped > 0,
        "the slow client was told about its drops ({received} received)"
    );
    assert!(received < OBJECTS, "the slow client lost frames");

    let mut flat: Vec<u128> = all.iter().flatten().copied().collect();
    flat.sort_unstable();
    let halves: Vec<Vec<u128>> = all
        .iter()
        .map(|l| l.split_at(l.len() / 2))
        .fold(vec![Vec::new(), Vec::new()], |mut acc, (a, b)| {
            acc[0].extend_from_slice(a);
            acc[1].extend_from_slice(b);
            acc
        })
        .into_iter()
        .map(|mut v| {
            v.sort_unstable();
            v
        })
        .collect();
    eprintln!(
        "load: {} fast clients × {OBJECTS} objects (~3 KB, 500/s); latency p50 {} µs, p99 {} µs, max {} µs; \
         first half p99 {} µs, second half p99 {} µs; slow client: received {received}, told of {dropped} dropped frames",
        CLIENTS - 1,
        percentile(&flat, 0.5),
        percentile(&flat, 0.99),
        flat.last().copied().unwrap_or(0),
        percentile(&halves[0], 0.99),
        percentile(&halves[1], 0.99),
    );
    shutdown.cancel();
}
