//! `statscope serve` against real sockets: a server on port 0, a real WebSocket client.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use statscope::model::Sample;
use statscope::protocol;
use statscope_bridge::hub::{HubConfig, Sink};
use statscope_bridge::server::{self, ServerConfig};
use statscope_bridge::source::{BoxFuture, Source};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_util::sync::CancellationToken;

/// A source the test drives: every string sent on the channel becomes one object.
struct Scripted(Mutex<Option<mpsc::Receiver<String>>>);

impl Source for Scripted {
    fn kind(&self) -> &'static str {
        "scripted"
    }
    fn describe(&self) -> String {
        "a test script".into()
    }
    fn run(self: Box<Self>, sink: Sink, shutdown: CancellationToken) -> BoxFuture {
        let rx = self.0.lock().expect("lock").take();
        Box::pin(async move {
            let Some(mut rx) = rx else { return };
            loop {
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    line = rx.recv() => match line {
                        Some(line) => {
                            // statscope's messages go typed, as a source sends them; the rest is stats.
                            let sent = match statscope::protocol::Message::decode(&line) {
                                Ok(Some(message)) => sink.send_message(message).await,
                                _ => sink.send_stats(&line).await,
                            };
                            if !sent { return }
                        }
                        None => return,
                    },
                }
            }
        })
    }
}

struct Server {
    addr: std::net::SocketAddr,
    feed: mpsc::Sender<String>,
    shutdown: CancellationToken,
    done: tokio::task::JoinHandle<std::io::Result<()>>,
    web_root: PathBuf,
}

async fn start(mut config: ServerConfig) -> Server {
    let web_root = std::env::temp_dir().join(format!(
        "statscope-serve-{}-{}",
        std::process::id(),
        rand_suffix()
    ));
    std::fs::create_dir_all(web_root.join("www")).expect("web root");
    std::fs::create_dir_all(web_root.join("pkg")).expect("pkg");
    std::fs::write(
        web_root.join("index.html"),
        "<!doctype html><title>statscope</title>",
    )
    .expect("index");
    std::fs::write(web_root.join("www/app.js"), "export {}").expect("js");
    std::fs::write(web_root.join("pkg/statscope_bg.wasm"), b"\0asm").expect("wasm");
    std::fs::write(web_root.join("secret.txt"), "do not serve").expect("secret");
    config.web_root = web_root.clone();
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (feed, rx) = mpsc::channel(1024);
    let shutdown = CancellationToken::new();
    let source = Box::new(Scripted(Mutex::new(Some(rx))));
    let done = tokio::spawn(server::run(
        listener,
        vec![source],
        config,
        shutdown.clone(),
    ));
    Server {
        addr,
        feed,
        shutdown,
        done,
        web_root,
    }
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(
    addr: std::net::SocketAddr,
    query: &str,
    headers: &[(&'static str, &str)],
) -> Result<Ws, WsError> {
    let mut request = format!("ws://{addr}/ws{query}").into_client_request()?;
    for (k, v) in headers {
        request
            .headers_mut()
            .insert(*k, HeaderValue::from_str(v).expect("header"));
    }
    tokio_tungstenite::connect_async(request)
        .await
        .map(|(ws, _)| ws)
}

/// The next message that is not a ping or a pong; panics after 5 s.
async fn next_message(ws: &mut Ws) -> Message {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("a message within 5 s")
            .expect("the socket is open")
            .expect("a valid message");
        if !matches!(message, Message::Ping(_) | Message::Pong(_)) {
            return message;
        }
    }
}

/// The next text message, skipping pings; panics after 5 s or on any other kind.
async fn next_text(ws: &mut Ws) -> String {
    match next_message(ws).await {
        Message::Text(text) => text.to_string(),
        other => panic!("unexpected {other:?}"),
    }
}

/// The next binary message as text, skipping pings; panics after 5 s or on any other kind.
async fn next_binary(ws: &mut Ws) -> String {
    match next_message(ws).await {
        Message::Binary(bytes) => String::from_utf8(bytes.to_vec()).expect("UTF-8 JSON"),
        other => panic!("expected a binary frame, got {other:?}"),
    }
}

/// A frame, decoded (every frame the bridge sends is one of its messages).
fn decoded(frame: &str) -> protocol::Message {
    protocol::Message::decode(frame)
        .unwrap_or_else(|e| panic!("{e}: {frame}"))
        .unwrap_or_else(|| panic!("not statscope's: {frame}"))
}

/// The next frame that is not a host's state (the scripted host comes up as the test starts),
/// decoded, with its text.
async fn next_frame(ws: &mut Ws) -> (protocol::Message, String) {
    loop {
        let text = next_text(ws).await;
        match decoded(&text) {
            protocol::Message::Host(_) => continue,
            message => return (message, text),
        }
    }
}

/// The samples of a `statscope.samples` frame; panics on any other.
fn samples_of(message: protocol::Message) -> protocol::Samples {
    match message {
        protocol::Message::Samples(samples) => samples,
        other => panic!("expected samples, got {other:?}"),
    }
}

/// What the bridge makes of stats text for the scripted host.
fn sample(text: &str) -> Sample {
    Sample::from_stats(
        statscope::Stats::from_json(text).expect("stats"),
        "scripted",
    )
}

fn stats(id: &str, n: usize) -> String {
    format!(
        r#"{{"id":"{id}","name":"/{id}","read":"2024-05-01T10:00:{:02}Z","cpu_stats":{{"cpu_usage":{{"total_usage":{n}}}}}}}"#,
        n % 60
    )
}

#[tokio::test]
async fn frames_carry_compact_samples_after_a_hello() {
    let s = start(ServerConfig::default()).await;
    let mut ws = connect(s.addr, "", &[]).await.expect("connects");
    let protocol::Message::Hello(hello) = decoded(&next_text(&mut ws).await) else {
        panic!("hello first");
    };
    assert_eq!(hello.source, "scripted");
    assert_eq!(hello.protocol, protocol::PROTOCOL_VERSION);
    assert_eq!(hello.history_seconds, 300.0);
    assert_eq!(hello.hosts.len(), 1, "{hello:?}");
    assert_eq!(
        (hello.hosts[0].host.as_str(), hello.hosts[0].state.as_str()),
        ("scripted", "up")
    );

    // One object in a tick goes out alone, as its sample, numbered.
    let one = stats("a", 1);
    s.feed.send(format!("{one}\n")).await.expect("feed");
    let batch = samples_of(next_frame(&mut ws).await.0);
    assert_eq!(
        (batch.host.as_str(), batch.seq, batch.history),
        ("scripted", 1, false)
    );
    assert_eq!(batch.samples, [sample(&one)]);

    // Several in one tick go out together, in order, the frame numbered by its last sample.
    let sent: Vec<String> = (0..5).map(|i| stats(&format!("c{i}"), i)).collect();
    for o in &sent {
        s.feed.send(o.clone()).await.expect("feed");
    }
    let mut got = Vec::new();
    let mut last_seq = 1;
    while got.len() < sent.len() {
        let batch = samples_of(next_frame(&mut ws).await.0);
        assert_eq!(batch.seq, last_seq + batch.samples.len() as u64);
        last_seq = batch.seq;
        got.extend(batch.samples);
    }
    assert_eq!(got, sent.iter().map(|t| sample(t)).collect::<Vec<_>>());
    s.shutdown.cancel();
}

/// `?frames=binary`: the same frames, byte for byte, as binary messages; a text client on the same
/// feed still gets text; an unknown `frames` value is refused.
#[tokio::test]
async fn binary_frames_carry_the_same_bytes_when_asked() {
    let s = start(ServerConfig::default()).await;
    let mut text = connect(s.addr, "", &[]).await.expect("connects");
    let mut binary = connect(s.addr, "?frames=binary", &[])
        .await
        .expect("connects");
    let hello = next_binary(&mut binary).await;
    assert!(hello.starts_with(r#"{"type":"statscope.hello""#), "{hello}");
    assert_eq!(next_text(&mut text).await, hello, "the same hello as text");
    let one = stats("a", 1);
    s.feed.send(format!("{one}\n")).await.expect("feed");
    let as_text = next_frame(&mut text).await.1;
    assert!(as_text.starts_with(r#"{"type":"statscope.samples""#));
    let as_binary = loop {
        let frame = next_binary(&mut binary).await;
        if !matches!(decoded(&frame), protocol::Message::Host(_)) {
            break frame;
        }
    };
    assert_eq!(as_binary, as_text);

    let refused = connect(s.addr, "?frames=json", &[]).await;
    match refused {
        Err(WsError::Http(response)) => assert_eq!(response.status(), 400),
        other => panic!("frames=json must be refused, got {other:?}"),
    }
    s.shutdown.cancel();
}

#[tokio::test]
async fn a_cross_site_page_cannot_open_the_feed() {
    let s = start(ServerConfig {
        allowed_origins: vec!["https://dash.example.com".into()],
        ..ServerConfig::default()
    })
    .await;
    let own = format!("http://{}", s.addr);
    for origin in ["http://evil.example", "http://localhost:1", "null"] {
        match connect(s.addr, "", &[("origin", origin)]).await {
            Err(WsError::Http(response)) => assert_eq!(response.status(), 403, "{origin}"),
            other => panic!(
                "{origin} must be refused, got {:?}",
                other.map(|_| "a socket")
            ),
        }
    }
    for origin in [own.as_str(), "https://dash.example.com"] {
        assert!(
            connect(s.addr, "", &[("origin", origin)]).await.is_ok(),
            "{origin}"
        );
    }
    assert!(
        connect(s.addr, "", &[]).await.is_ok(),
        "no Origin: a non-browser client"
    );
    s.shutdown.cancel();
}

#[tokio::test]
async fn a_token_is_required_when_set() {
    let s = start(ServerConfig {
        token: Some("s3cret-token".into()),
        ..ServerConfig::default()
    })
    .await;
    for (query, headers) in [
        ("", vec![]),
        ("?token=wrong", vec![]),
        ("", vec![("authorization", "Bearer nope")]),
    ] {
        match connect(s.addr, query, &headers).await {
            Err(WsError::Http(response)) => assert_eq!(response.status(), 401),
            other => panic!("must be refused, got {:?}", other.map(|_| "a socket")),
        }
    }
    assert!(connect(s.addr, "?token=s3cret-token", &[]).await.is_ok());
    assert!(
        connect(s.addr, "", &[("authorization", "Bearer s3cret-token")])
            .await
            .is_ok()
    );
    s.shutdown.cancel();
}

/// A raw HTTP/1.1 request, so the path reaches the server unnormalized.
async fn raw_get(addr: std::net::SocketAddr, method: &str, path: &str) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let request = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.expect("read");
    let text = String::from_utf8_lossy(&response).to_string();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, text)
}

#[tokio::test]
async fn static_files_are_served_and_nothing_else() {
    let s = start(ServerConfig::default()).await;
    let (status, body) = raw_get(s.addr, "GET", "/").await;
    assert_eq!(status, 200);
    assert!(body.contains("<title>statscope</title>"));
    let (status, body) = raw_get(s.addr, "GET", "/www/app.js").await;
    assert_eq!(status, 200);
    assert!(body
        .to_ascii_lowercase()
        .contains("content-type: text/javascript"));
    let (status, body) = raw_get(s.addr, "GET", "/pkg/statscope_bg.wasm").await;
    assert_eq!(status, 200);
    assert!(body
        .to_ascii_lowercase()
        .contains("content-type: application/wasm"));
    #[cfg(unix)]
    std::os::unix::fs::symlink(
        s.web_root.join("secret.txt"),
        s.web_root.join("www/escape.txt"),
    )
    .expect("symlink");
    for path in [
        "/www/../secret.txt",
        "/www/%2e%2e/secret.txt",
        "/www/..%2fsecret.txt",
        "/www/",
        "/www",
        "/pkg/../index.html",
        "/www/escape.txt",
        "/secret.txt",
        "/www//etc/passwd",
    ] {
        let (status, body) = raw_get(s.addr, "GET", path).await;
        assert!(status == 404 || status == 400, "{path} gave {status}");
        assert!(!body.contains("do not serve"), "{path} leaked the secret");
    }
    // Nothing proxies to Docker, whatever the path or method.
    for (method, path) in [
        ("GET", "/_ping"),
        ("GET", "/containers/json"),
        ("GET", "/v1.41/containers/json"),
        ("POST", "/containers/create"),
        ("DELETE", "/containers/abc"),
        ("POST", "/ws"),
        ("PUT", "/www/app.js"),
    ] {
        let (status, _) = raw_get(s.addr, method, path).await;
        assert!(matches!(status, 404 | 405), "{method} {path} gave {status}");
    }
    s.shutdown.cancel();
}

#[tokio::test]
async fn a_slow_client_drops_its_oldest_frames_and_stalls_nobody() {
    let s = start(ServerConfig {
        hub: HubConfig {
            tick: Duration::from_millis(5),
            client_queue_frames: 4,
            ..HubConfig::default()
        },
        ..ServerConfig::default()
    })
    .await;
    let mut slow = connect(s.addr, "", &[]).await.expect("slow connects");
    let mut fast = connect(s.addr, "", &[]).await.expect("fast connects");
    next_text(&mut slow).await; // hello
    next_text(&mut fast).await;
    // ~40 MB through loopback: far more than the slow client's socket buffers hold.
    let padding = "x".repeat(100_000);
    let total = 400usize;
    let feeder = {
        let feed = s.feed.clone();
        tokio::spawn(async move {
            for i in 0..total {
                let object = format!(r#"{{"id":"n{i:04}","name":"/{padding}"}}"#);
                feed.send(object).await.expect("feed");
                // One object per tick, so each is its own frame.
                tokio::time::sleep(Duration::from_millis(6)).await;
            }
        })
    };
    // The fast client reads everything, in order, while the slow one reads nothing.
    let mut ids = Vec::new();
    while ids.len() < total {
        let batch = samples_of(next_frame(&mut fast).await.0);
        ids.extend(
            batch
                .samples
                .iter()
                .map(|s| Sample::split_key(&s.key).0.to_string()),
        );
    }
    feeder.await.expect("feeder");
    let expected: Vec<String> = (0..total).map(|i| format!("n{i:04}")).collect();
    assert_eq!(ids, expected, "the fast client lost nothing");
    // Now the slow client reads: it finds a drop notice, and fewer frames than were sent.
    let mut dropped = 0u64;
    let mut received = 0usize;
    while let Ok(Some(Ok(message))) =
        tokio::time::timeout(Duration::from_millis(500), slow.next()).await
    {
        if let Message::Text(text) = message {
            match decoded(&text) {
                protocol::Message::Dropped(d) => dropped = d.total,
                protocol::Message::Samples(batch) => received += batch.samples.len(),
                _ => {}
            }
        }
    }
    assert!(dropped > 0, "the slow client was told about its drops");
    assert!(
        received < total,
        "the slow client did not get everything ({received})"
    );
    s.shutdown.cancel();
}

#[tokio::test]
async fn heartbeats_and_a_clean_shutdown() {
    let s = start(ServerConfig {
        heartbeat: Duration::from_millis(50),
        ..ServerConfig::default()
    })
    .await;
    let mut ws = connect(s.addr, "", &[]).await.expect("connects");
    let (mut pings, mut beats) = (0, 0);
    while pings < 2 || beats < 2 {
        match tokio::time::timeout(Duration::from_secs(2), ws.next()).await {
            Ok(Some(Ok(Message::Ping(_)))) => pings += 1,
            Ok(Some(Ok(Message::Text(t)))) if t.as_str() == r#"{"type":"statscope.heartbeat"}"# => {
                beats += 1
            }
            Ok(Some(Ok(_))) => {}
            other => panic!("expected pings and heartbeats, got {other:?}"),
        }
    }
    // Messages from the client are ignored, and do not close anything.
    ws.send(Message::Text("{\"please\":\"run docker rm -f\"}".into()))
        .await
        .expect("send");
    s.shutdown.cancel();
    let closed = async {
        while let Some(Ok(message)) = ws.next().await {
            if let Message::Close(_) = message {
                return true;
            }
        }
        false
    };
    assert!(tokio::time::timeout(Duration::from_secs(5), closed)
        .await
        .expect("closes in time"));
    let result = tokio::time::timeout(Duration::from_secs(5), s.done)
        .await
        .expect("server stops");
    assert!(result.expect("joins").is_ok());
}

#[tokio::test]
async fn the_demo_feed_serves_real_shaped_stats() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let shutdown = CancellationToken::new();
    let demo = statscope_bridge::demo::Demo {
        interval: Duration::from_millis(100),
        ..Default::default()
    };
    tokio::spawn(server::run(
        listener,
        vec![Box::new(demo)],
        ServerConfig::default(),
        shutdown.clone(),
    ));
    let mut ws = connect(addr, "", &[]).await.expect("connects");
    let protocol::Message::Hello(hello) = decoded(&next_text(&mut ws).await) else {
        panic!("hello first");
    };
    assert_eq!(hello.source, "demo");
    assert!(hello.describe.contains("demo"));
    assert_eq!(hello.hosts[0].host, "demo");
    let mut engine = statscope::RateEngine::default();
    let mut rates = 0;
    while rates < 5 {
        let protocol::Message::Samples(batch) = next_frame(&mut ws).await.0 else {
            continue;
        };
        assert!(batch.samples.iter().all(|s| s.key.ends_with("@demo")));
        rates += engine
            .update(&batch.samples, None)
            .iter()
            .filter(|p| p.cpu_percent().is_some())
            .count();
    }
    assert!(engine.len() >= 5, "the demo's containers: {}", engine.len());
    shutdown.cancel();
}

fn container_info(id: &str, cpus: &str) -> String {
    format!(
        r#"{{"type":"statscope.container","id":"{id}","name":"{id}","image":"busybox:latest","cpuLimit":{cpus},"cpuLimitFrom":"NanoCpus","memoryLimitBytes":null}}"#
    )
}

fn lifecycle(id: &str, action: &str) -> String {
    format!(
        r#"{{"type":"statscope.event","id":"{id}","name":"{id}","action":"{action}","time":"2024-05-01T10:00:00.123456789Z"}}"#
    )
}

/// What the bridge sends for a line of the script: its sample (alone in a frame here), or the
/// message said to be about the scripted host.
fn expected_frame(line: &str) -> protocol::Message {
    match protocol::Message::decode(line) {
        Ok(Some(mut message)) => {
            match &mut message {
                protocol::Message::Container(c) => c.host = "scripted".into(),
                protocol::Message::Event(e) => e.host = "scripted".into(),
                _ => {}
            }
            message
        }
        _ => protocol::Message::Samples(protocol::Samples {
            host: "scripted".into(),
            seq: 0,
            history: false,
            samples: vec![sample(line)],
        }),
    }
}

/// A frame with its sequence number set aside (it depends on what came before).
fn without_seq(mut message: protocol::Message) -> protocol::Message {
    if let protocol::Message::Samples(batch) = &mut message {
        batch.seq = 0;
    }
    message
}

#[tokio::test]
async fn control_messages_go_alone_and_a_late_viewer_learns_the_state_first() {
    let s = start(ServerConfig::default()).await;
    let mut early = connect(s.addr, "", &[]).await.expect("connects");
    next_text(&mut early).await; // hello
    let sent = [
        stats("a", 1),
        container_info("a", "0.5"),
        container_info("b", "null"),
        lifecycle("a", "die"),
        stats("b", 2),
        container_info("a", "1.0"),
        lifecycle("b", "destroy"),
    ];
    // All at once: one tick would put them in one frame, but for the messages.
    for line in &sent {
        s.feed.send(line.clone()).await.expect("feed");
    }
    let expected: Vec<protocol::Message> = sent.iter().map(|l| expected_frame(l)).collect();
    let mut frames = Vec::new();
    while frames.last() != expected.last() {
        frames.push(without_seq(next_frame(&mut early).await.0));
    }
    assert_eq!(frames, expected, "each its own frame, in order");

    // A viewer arriving now gets, right after the hello, a's latest info (b was destroyed), the
    // events, then the history (a's and b's samples), then live frames only.
    let mut late = connect(s.addr, "", &[]).await.expect("connects");
    let hello = next_text(&mut late).await;
    assert!(hello.starts_with(r#"{"type":"statscope.hello""#), "{hello}");
    let mut first = Vec::new();
    for _ in 0..4 {
        first.push(next_frame(&mut late).await.0);
    }
    assert_eq!(
        first[..3],
        [
            expected_frame(&container_info("a", "1.0")),
            expected_frame(&lifecycle("a", "die")),
            expected_frame(&lifecycle("b", "destroy"))
        ]
    );
    let history = samples_of(first.pop().expect("history"));
    assert!(history.history, "history is marked");
    assert_eq!(
        history.samples,
        [sample(&stats("a", 1)), sample(&stats("b", 2))]
    );
    let live = stats("c", 3);
    s.feed.send(live.clone()).await.expect("feed");
    let batch = samples_of(next_frame(&mut late).await.0);
    assert!(!batch.history);
    assert_eq!(batch.samples, [sample(&live)]);
    s.shutdown.cancel();
}

#[tokio::test]
async fn the_demo_feed_tells_limits_and_an_oom_kill() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let shutdown = CancellationToken::new();
    // Rounds of 100 ms: the demo's first OOM kill (10 rounds in) comes after about a second.
    let demo = statscope_bridge::demo::Demo {
        interval: Duration::from_millis(100),
        ..Default::default()
    };
    tokio::spawn(server::run(
        listener,
        vec![Box::new(demo)],
        ServerConfig::default(),
        shutdown.clone(),
    ));
    let mut ws = connect(addr, "", &[]).await.expect("connects");
    next_text(&mut ws).await; // hello
    let mut infos: Vec<serde_json::Value> = Vec::new();
    let mut actions: Vec<(String, String, Option<i64>)> = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !actions
        .iter()
        .any(|(n, a, _)| n == "demo-cache" && a == "start")
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no OOM kill and restart in 20 s: {actions:?}"
        );
        let (message, frame) = next_frame(&mut ws).await;
        if matches!(message, protocol::Message::Samples(_)) {
            continue;
        }
        let v: serde_json::Value = serde_json::from_str(&frame).expect("a control message");
        match v["type"].as_str() {
            Some("statscope.container") => infos.push(v),
            Some("statscope.event") => actions.push((
                v["name"].as_str().expect("name").to_string(),
                v["action"].as_str().expect("action").to_string(),
                v["exitCode"].as_i64(),
            )),
            _ => {}
        }
    }
    let cache: Vec<(&str, Option<i64>)> = actions
        .iter()
        .filter(|(n, _, _)| n == "demo-cache")
        .map(|(_, a, c)| (a.as_str(), *c))
        .collect();
    assert_eq!(cache, [("oom", None), ("die", Some(137)), ("start", None)]);
    let cron = infos
        .iter()
        .find(|v| v["name"] == "demo-cron")
        .expect("demo-cron announced");
    assert_eq!(cron["cpuLimit"], 0.5);
    assert_eq!(cron["cpuLimitFrom"], "NanoCpus");
    assert!(infos.iter().any(|v| v["cpuLimit"].is_null()), "one without");
    assert!(infos.len() >= 7, "every container: {infos:?}");

    // A viewer arriving now learns it all before the first stats frame.
    let mut late = connect(addr, "", &[]).await.expect("connects");
    next_text(&mut late).await; // hello
    let mut learned = Vec::new();
    loop {
        let (message, frame) = next_frame(&mut late).await;
        if matches!(message, protocol::Message::Samples(_)) {
            break;
        }
        learned.push(serde_json::from_str::<serde_json::Value>(&frame).expect("control"));
    }
    assert!(
        learned
            .iter()
            .any(|v| v["name"] == "demo-cron" && v["cpuLimit"] == 0.5),
        "{learned:?}"
    );
    assert!(learned
        .iter()
        .any(|v| v["name"] == "demo-cache" && v["action"] == "oom"));
    shutdown.cancel();
}

/// `?resume=RUN:SEQ` of this run: only the samples after SEQ; of another run (or unreadable): the
/// whole history.
#[tokio::test]
async fn a_viewer_resuming_gets_only_what_it_missed() {
    let s = start(ServerConfig::default()).await;
    let mut first = connect(s.addr, "", &[]).await.expect("connects");
    let protocol::Message::Hello(hello) = decoded(&next_text(&mut first).await) else {
        panic!("hello first");
    };
    let sent: Vec<String> = (0..6).map(|i| stats(&format!("r{i}"), i)).collect();
    for line in &sent[..3] {
        s.feed.send(line.clone()).await.expect("feed");
    }
    let mut seen = 0;
    let mut seq = 0;
    while seen < 3 {
        let batch = samples_of(next_frame(&mut first).await.0);
        seen += batch.samples.len();
        seq = batch.seq;
    }
    drop(first);
    for line in &sent[3..] {
        s.feed.send(line.clone()).await.expect("feed");
    }
    // Let the batcher publish them before the viewer comes back.
    tokio::time::sleep(Duration::from_millis(300)).await;

    let history = |query: String| async move {
        let mut ws = connect(s.addr, &query, &[]).await.expect("connects");
        next_text(&mut ws).await; // hello
        let mut got = Vec::new();
        while got.len() < 6 {
            match tokio::time::timeout(Duration::from_millis(500), next_frame(&mut ws)).await {
                Ok((protocol::Message::Samples(batch), _)) => {
                    assert!(batch.history);
                    got.extend(batch.samples);
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
        got
    };
    let all: Vec<Sample> = sent.iter().map(|l| sample(l)).collect();
    assert_eq!(
        history(format!("?resume={}:{seq}", hello.instance)).await,
        all[3..],
        "only what it missed"
    );
    assert_eq!(history("?resume=another-run:2".into()).await, all);
    assert_eq!(history("?resume=garbage".into()).await, all);
    s.shutdown.cancel();
}

/// Stats of container `id` at second `t`, busy `per_mille` ‰ of one core since second 0 (the
/// docker CLI's CPU %: Δtotal / Δsystem × CPUs).
fn busy(id: &str, t: u64, per_mille: u64) -> String {
    let s = 1_000_000_000u64;
    format!(
        r#"{{"id":"{id}","name":"/{id}","read":"2024-05-01T10:00:{t:02}Z","cpu_stats":{{"cpu_usage":{{"total_usage":{}}},"system_cpu_usage":{},"online_cpus":2}}}}"#,
        t * per_mille * s / 1000,
        t * 2 * s
    )
}

/// `text` for a URL's query (everything but unreserved characters percent-encoded).
fn url_encoded(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// What a subscribed page receives within `quiet` of silence: samples as `(key, read ns, history)`,
/// and the last `statscope.subscribed`.
async fn receive(
    ws: &mut Ws,
    quiet: Duration,
) -> (Vec<(String, i128, bool)>, Option<protocol::Subscribed>) {
    let mut samples = Vec::new();
    let mut said = None;
    while let Ok((message, _)) = tokio::time::timeout(quiet, next_frame(ws)).await {
        match message {
            protocol::Message::Samples(batch) => samples.extend(
                batch
                    .samples
                    .into_iter()
                    .map(|s| (s.key, s.read.unix_ns(), batch.history)),
            ),
            protocol::Message::Subscribed(s) => said = Some(s),
            _ => {}
        }
    }
    (samples, said)
}

/// A page that says what it shows gets only that: its top N ranked over everything the bridge
/// follows, then, as it pins one more, that one's history and its samples live, never one sample
/// twice; past the per-page cap, the busiest and a word that it was capped. A page that does not
/// subscribe still gets everything.
#[tokio::test]
async fn a_subscribed_page_gets_only_what_it_shows() {
    let mut config = ServerConfig::default();
    config.hub.rank_every = Duration::from_millis(100);
    config.hub.max_per_page = 3;
    let s = start(config).await;
    let ids: Vec<String> = (0..5).map(|i| format!("c{i}")).collect();
    let key = |id: &str| Sample::key_of(id, "", "scripted");
    // c4 is the busiest (50 % of a core), c0 the quietest (10 %).
    for t in 0..6 {
        for (i, id) in ids.iter().enumerate() {
            s.feed
                .send(busy(id, t, (i as u64 + 1) * 100))
                .await
                .expect("feed");
        }
    }
    // Ranked after the samples are in.
    tokio::time::sleep(Duration::from_millis(400)).await;

    let mut everything = connect(s.addr, "", &[]).await.expect("connects");
    let subscribe = protocol::Message::Subscribe(protocol::Subscribe {
        top: Some(2),
        ..protocol::Subscribe::default()
    })
    .encode();
    let query = format!("?subscribe={}", url_encoded(&subscribe));
    let mut page = connect(s.addr, &query, &[]).await.expect("connects");
    assert!(matches!(
        decoded(&next_text(&mut page).await),
        protocol::Message::Hello(_)
    ));
    let (got, said) = receive(&mut page, Duration::from_millis(600)).await;
    let said = said.expect("told what it is sent");
    assert_eq!(
        (said.shown, said.matching, said.total, said.capped),
        (2, 5, 5, false),
        "{said:?}"
    );
    let mut keys: Vec<&str> = got.iter().map(|(k, _, _)| k.as_str()).collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys, [key("c3"), key("c4")], "only its top 2");
    assert_eq!(got.len(), 12, "their whole history: {got:?}");
    assert!(got.iter().all(|(_, _, history)| *history));

    // The page pins the quietest: its history comes, then everything live for the three.
    let pinned = protocol::Message::Subscribe(protocol::Subscribe {
        top: Some(2),
        pinned: vec![key("c0")],
        ..protocol::Subscribe::default()
    })
    .encode();
    page.send(Message::Text(pinned.into()))
        .await
        .expect("sends");
    let (caught_up, said) = receive(&mut page, Duration::from_millis(600)).await;
    assert_eq!(said.map(|s| s.shown), Some(3));
    assert_eq!(caught_up.len(), 6, "c0's history: {caught_up:?}");
    assert!(caught_up.iter().all(|(k, _, h)| *k == key("c0") && *h));
    for t in 6..9 {
        for (i, id) in ids.iter().enumerate() {
            s.feed
                .send(busy(id, t, (i as u64 + 1) * 100))
                .await
                .expect("feed");
        }
    }
    let (live, _) = receive(&mut page, Duration::from_millis(600)).await;
    let mut all: Vec<(String, i128)> = got
        .iter()
        .chain(&caught_up)
        .chain(&live)
        .map(|(k, t, _)| (k.clone(), *t))
        .collect();
    assert_eq!(live.len(), 9, "3 containers × 3 seconds, live: {live:?}");
    assert!(live
        .iter()
        .all(|(k, _, _)| [key("c0"), key("c3"), key("c4")].contains(k)));
    let n = all.len();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), n, "no sample twice");

    // All of it, past the cap of 3: the busiest 3, and the page is told.
    let all_of_it = protocol::Message::Subscribe(protocol::Subscribe::default()).encode();
    page.send(Message::Text(all_of_it.into()))
        .await
        .expect("sends");
    let (_, said) = receive(&mut page, Duration::from_millis(600)).await;
    let said = said.expect("told");
    assert_eq!(
        (said.shown, said.cap, said.capped),
        (3, 3, true),
        "{said:?}"
    );

    // The page that never subscribed had every container.
    let (seen, said) = receive(&mut everything, Duration::from_millis(300)).await;
    assert!(said.is_none());
    let mut keys: Vec<&str> = seen.iter().map(|(k, _, _)| k.as_str()).collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), 5, "{keys:?}");
    s.shutdown.cancel();
}

/// A subscription in the URL that cannot be read is refused with the reason; a message that cannot
/// be read is ignored and the page keeps what it had.
#[tokio::test]
async fn an_unreadable_subscription_is_refused_or_ignored() {
    let s = start(ServerConfig::default()).await;
    let err = connect(s.addr, "?subscribe=%7Bnot%20json", &[])
        .await
        .expect_err("refused");
    match err {
        WsError::Http(response) => assert_eq!(response.status(), 400),
        other => panic!("expected HTTP 400, got {other:?}"),
    }
    let mut page = connect(s.addr, "", &[]).await.expect("connects");
    next_text(&mut page).await; // hello
    page.send(Message::Text(
        "{\"type\":\"statscope.subscribe\",\"top\":\"x\"}".into(),
    ))
    .await
    .expect("sends");
    s.feed.send(stats("k0", 1)).await.expect("feed");
    let (got, said) = receive(&mut page, Duration::from_millis(500)).await;
    assert!(said.is_none(), "nothing was subscribed");
    assert_eq!(got.len(), 1, "still gets everything");
    s.shutdown.cancel();
}
