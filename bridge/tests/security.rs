//! The bridge's security properties (SECURITY.md): it holds the Docker socket, a root-equivalent
//! credential, and lets no one in.
//!
//! - The default listen address is loopback; binding beyond it is logged as a warning.
//! - Nothing a client sends reaches Docker: a FAKE daemon on a Unix socket records every byte-level
//!   request it gets while hostile HTTP requests and WebSocket frames hit the bridge; it must see only
//!   the bridge's own fixed `GET`s.
//! - Client frames are ignored; an oversized one closes that client only, before it is buffered.
//! - The token: right one accepted (query, Bearer), anything else refused, an empty one never matches.
//! - Cross-site upgrades (look-alike origins, DNS rebinding, `null`) are refused.
//! - Static files stay inside their folder (symlinked directories, NUL, double-encoded and overlong
//!   dot segments, `HEAD`).
//! - Headers: the page's Content-Security-Policy and `frame-ancestors`; CORS only on what a dashboard
//!   embeds, only for an allowed origin; no referrer.
//! - The token is trimmed at startup and an all-whitespace one refused; `Bearer` in any case.
//! - A request head over 64 KiB is refused.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use statscope_bridge::cli::{Cli, Command};
use statscope_bridge::docker::{self, Client, DockerSource, Endpoint};
use statscope_bridge::server::{self, ServerConfig};
use statscope_bridge::source::Source;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
use tokio::net::unix::OwnedWriteHalf;
use tokio::net::{TcpListener, TcpStream, UnixListener, UnixStream};
use tokio_tungstenite::tungstenite::http::HeaderMap;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

/// The one container the fake daemon runs.
const ID: &str = "5ec0de5ec0de5ec0de5ec0de5ec0de5ec0de5ec0de5ec0de5ec0de5ec0de5ec0";

/// The only requests the bridge may ever make (request lines as they reach the daemon):
/// [`docker::FIXED_GETS`], with the fake daemon's one container ID.
fn allowed_requests() -> Vec<String> {
    docker::FIXED_GETS
        .iter()
        .map(|path| format!("GET {} HTTP/1.1", path.replace("{id}", ID)))
        .collect()
}

/// The `/events` subscription, which every bridge session makes first.
fn events_request() -> String {
    allowed_requests()
        .into_iter()
        .find(|l| l.starts_with("GET /events?"))
        .expect("/events is a fixed GET")
}

fn temp_dir(what: &str) -> PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "statscope-sec-{what}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

// ---------------------------------------------------------------------------------------------
// A fake Docker daemon: raw HTTP/1.1 on a Unix socket, so it records every request that arrives,
// even one a real HTTP server would reject.

/// One request the fake daemon received: its request line and its header lines (lower-cased).
#[derive(Clone, Debug)]
struct Seen {
    line: String,
    headers: Vec<String>,
}

struct FakeDocker {
    dir: PathBuf,
    socket: PathBuf,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl FakeDocker {
    fn start() -> FakeDocker {
        let dir = temp_dir("docker");
        let socket = dir.join("docker.sock");
        let listener = UnixListener::bind(&socket).expect("the fake daemon's socket");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(fake_connection(stream, log.clone()));
            }
        });
        FakeDocker { dir, socket, seen }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("log").clone()
    }

    /// Fails unless every request was one of the bridge's own fixed GETs, without a body.
    fn assert_only_fixed_gets(&self) {
        let allowed = allowed_requests();
        let seen = self.seen();
        assert!(
            seen.iter().any(|s| s.line == events_request()),
            "the bridge subscribed to events (the recorder works): {seen:#?}"
        );
        for s in &seen {
            assert!(
                allowed.contains(&s.line),
                "the daemon got a request the bridge must never make: {s:#?}"
            );
            for h in &s.headers {
                let body_or_upgrade = h.starts_with("transfer-encoding")
                    || h.starts_with("upgrade")
                    || (h.starts_with("content-length") && h != "content-length: 0");
                assert!(
                    !body_or_upgrade,
                    "a request with a body or an upgrade reached the daemon: {s:#?}"
                );
            }
        }
    }
}

impl Drop for FakeDocker {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn fake_connection(stream: UnixStream, log: Arc<Mutex<Vec<Seen>>>) {
    let (read, write) = stream.into_split();
    let mut read = tokio::io::BufReader::new(read);
    let mut write = Some(write);
    loop {
        let mut line = Vec::new();
        match read.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let line = String::from_utf8_lossy(&line).trim_end().to_string();
        let mut headers = Vec::new();
        loop {
            let mut header = Vec::new();
            match read.read_until(b'\n', &mut header).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            let header = String::from_utf8_lossy(&header).trim_end().to_string();
            if header.is_empty() {
                break;
            }
            headers.push(header.to_ascii_lowercase());
        }
        log.lock().expect("log").push(Seen {
            line: line.clone(),
            headers,
        });
        // A request after a streaming response is recorded, never answered.
        let Some(mut w) = write.take() else { continue };
        let target = line.split(' ').nth(1).unwrap_or("").to_string();
        if target == "/_ping" {
            let _ = w
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK")
                .await;
            write = Some(w);
        } else if target == "/version" || target == "/info" {
            let body = if target == "/version" {
                r#"{"Components":[{"Name":"Engine","Version":"28.2.2"}],"Version":"28.2.2","ApiVersion":"1.50","Os":"linux"}"#
            } else {
                r#"{"Name":"fake-host","ID":"fake","NCPU":2,"MemTotal":1073741824}"#
            };
            let _ = w
                .write_all(
                    format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                        body.len()
                    )
                    .as_bytes(),
                )
                .await;
            write = Some(w);
        } else if target == "/containers/json" {
            let _ = w
                .write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n[]",
                )
                .await;
            write = Some(w);
        } else if target.starts_with("/events?") {
            tokio::spawn(stream_events(w));
        } else if target == format!("/containers/{ID}/stats?stream=true") {
            tokio::spawn(stream_stats(w));
        } else {
            let _ = w
                .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                .await;
            write = Some(w);
        }
    }
}

async fn chunk(w: &mut OwnedWriteHalf, line: &str) -> std::io::Result<()> {
    let data = format!("{line}\n");
    w.write_all(format!("{:x}\r\n{data}\r\n", data.len()).as_bytes())
        .await
}

const STREAMING: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";

/// `/events`: hostile events (IDs that are paths, not IDs), then the start of [`ID`]; then open.
async fn stream_events(mut w: OwnedWriteHalf) {
    if w.write_all(STREAMING).await.is_err() {
        return;
    }
    let hostile = [
        "../../containers/create",
        "../_ping?x=",
        &ID.to_ascii_uppercase(),
        &format!("{ID}/../../../images/create"),
        &format!("{}/exec", &ID[..59]),
    ];
    for id in hostile
        .iter()
        .map(|s| s.to_string())
        .chain([ID.to_string()])
    {
        let event =
            serde_json::json!({"Type": "container", "Action": "start", "Actor": {"ID": id}});
        if chunk(&mut w, &event.to_string()).await.is_err() {
            return;
        }
    }
    std::future::pending::<()>().await;
}

/// `/containers/{ID}/stats?stream=true`: one stats object every 100 ms.
async fn stream_stats(mut w: OwnedWriteHalf) {
    if w.write_all(STREAMING).await.is_err() {
        return;
    }
    for n in 0u64.. {
        let stats = format!(
            r#"{{"read":"2024-05-01T10:{:02}:{:02}.000000000Z","id":"{ID}","name":"/web","cpu_stats":{{"cpu_usage":{{"total_usage":{}}},"system_cpu_usage":{},"online_cpus":1}}}}"#,
            (n / 10 / 60) % 60,
            (n / 10) % 60,
            n * 10_000_000,
            n * 100_000_000
        );
        if chunk(&mut w, &stats).await.is_err() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

// ---------------------------------------------------------------------------------------------
// The bridge in this process.

struct Bridge {
    addr: SocketAddr,
    shutdown: CancellationToken,
    web_root: PathBuf,
}

impl Drop for Bridge {
    fn drop(&mut self) {
        self.shutdown.cancel();
        let _ = std::fs::remove_dir_all(&self.web_root);
    }
}

fn web_root() -> PathBuf {
    let root = temp_dir("web");
    std::fs::create_dir_all(root.join("www/real")).expect("www");
    std::fs::create_dir_all(root.join("pkg")).expect("pkg");
    std::fs::write(
        root.join("index.html"),
        "<!doctype html><title>statscope</title>",
    )
    .expect("index");
    std::fs::write(root.join("www/app.js"), "export {}").expect("js");
    std::fs::write(root.join("www/statscope-chart.js"), "export {}").expect("element");
    std::fs::write(root.join("pkg/statscope_bg.wasm"), "\0asm").expect("wasm");
    std::fs::write(root.join("www/real/x.css"), "p{}").expect("css");
    std::fs::write(root.join("secret.txt"), "do not serve").expect("secret");
    root
}

async fn start_bridge(source: Box<dyn Source>, mut config: ServerConfig) -> Bridge {
    let web_root = web_root();
    config.web_root = web_root.clone();
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let shutdown = CancellationToken::new();
    tokio::spawn(server::run(
        listener,
        vec![source],
        config,
        shutdown.clone(),
    ));
    Bridge {
        addr,
        shutdown,
        web_root,
    }
}

async fn bridge_on(docker: &FakeDocker, config: ServerConfig) -> Bridge {
    let mut source = DockerSource::new(Endpoint::Unix(docker.socket.clone()));
    source.backoff = (Duration::from_millis(50), Duration::from_millis(200));
    start_bridge(Box::new(source), config).await
}

async fn demo_bridge(config: ServerConfig) -> Bridge {
    let demo = statscope_bridge::demo::Demo {
        interval: Duration::from_millis(100),
        ..Default::default()
    };
    start_bridge(Box::new(demo), config).await
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn ws(addr: SocketAddr) -> Ws {
    tokio_tungstenite::connect_async(format!("ws://{addr}/ws"))
        .await
        .expect("the WebSocket opens")
        .0
}

/// Reads until a frame carrying [`ID`]'s stats arrives; panics after 10 s.
async fn next_stats(ws: &mut Ws) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let message = tokio::time::timeout_at(deadline, ws.next())
            .await
            .expect("a stats frame within 10 s")
            .expect("the socket is open")
            .expect("a valid message");
        if let Message::Text(text) = message {
            if text.starts_with("{\"type\":\"statscope.samples\"") && text.contains(ID) {
                return;
            }
        }
    }
}

/// Sends `request` as is on a fresh connection; returns all the bridge answered within 3 s.
async fn exchange(addr: SocketAddr, request: &[u8]) -> String {
    let Ok(mut stream) = TcpStream::connect(addr).await else {
        return String::new();
    };
    let _ = stream.write_all(request).await;
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(3), async {
        let mut buf = [0u8; 8192];
        while let Ok(n) = stream.read(&mut buf).await {
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
    })
    .await;
    String::from_utf8_lossy(&out).into_owned()
}

/// The status of every response in `text` (pipelined requests get several).
fn statuses(text: &str) -> Vec<u16> {
    text.split("\r\n")
        .filter_map(|line| {
            line.strip_prefix("HTTP/1.1 ")
                .or_else(|| line.strip_prefix("HTTP/1.0 "))
        })
        .filter_map(|rest| rest.get(..3)?.parse().ok())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Default bind.

#[test]
fn the_default_listen_address_is_loopback() {
    let cli = Cli::try_parse_from(["statscope", "serve", "--demo"]).expect("parses");
    let Command::Serve(args) = cli.command else {
        panic!("serve parses as Serve");
    };
    assert_eq!(
        args.listen,
        "127.0.0.1:8080".parse::<SocketAddr>().expect("addr")
    );
    assert!(args.listen.ip().is_loopback());
    // An empty --token is still a token (Some("")), which must then match nothing.
    let cli = Cli::try_parse_from(["statscope", "serve", "--token", ""]).expect("parses");
    let Command::Serve(args) = cli.command else {
        panic!("serve parses as Serve");
    };
    assert_eq!(args.token.as_deref(), Some(""));
    assert!(!server::token_matches("", &HeaderMap::new(), None));
    assert!(!server::token_matches("", &HeaderMap::new(), Some("")));
}

/// The real binary: `statscope serve --demo --listen ADDR`; returns the printed address and
/// everything it logged on stderr (RUST_LOG=warn) by the time it printed it.
async fn serve_binary(listen: &str) -> (SocketAddr, String) {
    let root = web_root();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_statscope"))
        .args(["serve", "--demo", "--listen", listen, "--web-root"])
        .arg(&root)
        .env("RUST_LOG", "warn")
        .env_remove("STATSCOPE_TOKEN")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("statscope serve starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("statscope prints its URL in time")
        .expect("stdout readable")
        .expect("a line");
    let addr: SocketAddr = line
        .split_whitespace()
        .find_map(|w| w.strip_prefix("http://"))
        .map(|w| w.trim_end_matches('/'))
        .expect("a URL in the first line")
        .parse()
        .expect("the URL's host is an address");
    // The warning is logged before the URL is printed: stop the program, then read all of stderr.
    child.start_kill().expect("kill");
    let mut stderr = String::new();
    let mut pipe = child.stderr.take().expect("stderr");
    tokio::time::timeout(Duration::from_secs(10), pipe.read_to_string(&mut stderr))
        .await
        .expect("stderr closes")
        .expect("stderr readable");
    let _ = child.wait().await;
    let _ = std::fs::remove_dir_all(&root);
    (addr, stderr)
}

#[tokio::test]
async fn the_real_binary_listens_on_loopback_and_warns_beyond_it() {
    const WARNING: &str = "listening beyond loopback";
    let (addr, stderr) = serve_binary("127.0.0.1:0").await;
    assert!(addr.ip().is_loopback(), "{addr}");
    assert!(
        !stderr.contains(WARNING),
        "no warning on loopback: {stderr}"
    );

    let (addr, stderr) = serve_binary("0.0.0.0:0").await;
    assert!(!addr.ip().is_loopback(), "{addr}");
    assert!(
        stderr.contains("WARN") && stderr.contains(WARNING),
        "binding beyond loopback is a warning: {stderr:?}"
    );
}

#[tokio::test]
async fn a_loopback_bridge_cannot_be_reached_from_another_address() {
    // This host's address on the way out (no packet is sent); none without a network.
    let outward = std::net::UdpSocket::bind("0.0.0.0:0")
        .and_then(|s| s.connect("192.0.2.1:9").map(|()| s))
        .and_then(|s| s.local_addr())
        .map(|a| a.ip())
        .ok()
        .filter(|ip| !ip.is_loopback() && !ip.is_unspecified());
    let b = demo_bridge(ServerConfig::default()).await;
    assert!(TcpStream::connect(b.addr).await.is_ok(), "up on loopback");
    match outward {
        Some(ip) => assert!(
            TcpStream::connect((ip, b.addr.port())).await.is_err(),
            "a loopback bridge must not answer on {ip}"
        ),
        None => eprintln!("no non-loopback address here; only the loopback side was checked"),
    }
}

// ---------------------------------------------------------------------------------------------
// Nothing reaches Docker.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_request_reaches_docker_through_the_bridge() {
    let docker = FakeDocker::start();
    let b = bridge_on(&docker, ServerConfig::default()).await;
    let mut observer = ws(b.addr).await;
    next_stats(&mut observer).await;
    let host = b.addr.to_string();

    let methods = [
        "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE",
    ];
    let paths = [
        "/_ping".to_string(),
        "/v1.41/_ping".to_string(),
        "/v1.41/containers/create".to_string(),
        "/containers/create?name=x".to_string(),
        "/containers/json".to_string(),
        "/containers/json?all=1".to_string(),
        "/containers/x/exec".to_string(),
        format!("/containers/{ID}/exec"),
        format!("/containers/{ID}/stats?stream=true"),
        "/exec/x/start".to_string(),
        "/images/create?fromImage=alpine".to_string(),
        "/events".to_string(),
        "//_ping".to_string(),
        "/%2e%2e/_ping".to_string(),
        "/ws/../containers/json".to_string(),
        "/ws/_ping".to_string(),
        "/ws?path=/containers/create".to_string(),
        "/www/../_ping".to_string(),
        "/pkg/%2e%2e/%2e%2e/containers/json".to_string(),
        "/www/%2e%2e/%2e%2e/var/run/docker.sock".to_string(),
        "/var/run/docker.sock".to_string(),
        "*".to_string(),
    ];
    let body = r#"{"Image":"alpine","Cmd":["sh","-c","id"],"HostConfig":{"Privileged":true}}"#;
    let mut requests: Vec<(String, Vec<u8>)> = Vec::new();
    for method in methods {
        for path in &paths {
            let request = format!(
                "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            requests.push((format!("{method} {path}"), request.into_bytes()));
        }
    }
    let specials: Vec<(&str, String)> = vec![
        (
            "absolute-form unix",
            format!("GET unix:///var/run/docker.sock HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"),
        ),
        (
            "absolute-form http to the daemon",
            format!("POST http://docker/v1.41/containers/create HTTP/1.1\r\nHost: docker\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()),
        ),
        (
            "CONNECT to the socket",
            "CONNECT /var/run/docker.sock HTTP/1.1\r\nHost: docker\r\n\r\n".to_string(),
        ),
        (
            "CONNECT authority-form",
            "CONNECT docker:2375 HTTP/1.1\r\nHost: docker:2375\r\n\r\n".to_string(),
        ),
        (
            "CL.TE smuggling",
            format!("POST /ws HTTP/1.1\r\nHost: {host}\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nPOST /containers/create HTTP/1.1\r\nHost: docker\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()),
        ),
        (
            "TE.CL smuggling",
            format!("POST /www/app.js HTTP/1.1\r\nHost: {host}\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n5c\r\nGET /_ping HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\nx=\r\n0\r\n\r\n"),
        ),
        (
            "obfuscated Transfer-Encoding",
            format!("POST /containers/create HTTP/1.1\r\nHost: {host}\r\nTransfer-Encoding : chunked\r\nTransfer-Encoding: identity\r\nContent-Length: 3\r\n\r\n0\r\n\r\nGET /_ping HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n"),
        ),
        (
            "two Content-Lengths",
            format!("POST /ws HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nContent-Length: 44\r\n\r\nGET /containers/json HTTP/1.1\r\nHost: docker\r\n\r\n"),
        ),
        (
            "pipelined",
            format!("GET /nothing HTTP/1.1\r\nHost: {host}\r\n\r\nDELETE /containers/{ID}?force=1 HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n"),
        ),
        (
            "upgrade to a raw stream",
            format!("POST /containers/{ID}/attach?stream=1&stdin=1 HTTP/1.1\r\nHost: {host}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nConnection: close\r\n\r\n"),
        ),
        (
            "WebSocket upgrade on a Docker path",
            format!("GET /containers/{ID}/attach/ws HTTP/1.1\r\nHost: {host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"),
        ),
        (
            "h2c upgrade",
            format!("GET /_ping HTTP/1.1\r\nHost: {host}\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n"),
        ),
        (
            "HTTP/2 prior knowledge",
            "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_string(),
        ),
        (
            "HTTP/1.0 and garbage",
            "GET /_ping HTTP/1.0\r\n\r\n\x00\x01\x02 /containers/create\r\n\r\n".to_string(),
        ),
    ];
    for (name, request) in specials {
        requests.push((name.to_string(), request.into_bytes()));
    }
    let answers = futures_util::future::join_all(requests.iter().map(|(name, request)| {
        let name = name.clone();
        async move { (name, exchange(b.addr, request).await) }
    }))
    .await;
    for (name, answer) in &answers {
        for status in statuses(answer) {
            assert!(
                status >= 400,
                "{name}: the bridge answered {status}:\n{answer}"
            );
        }
        assert!(
            !answer.contains("\r\n\r\nOK") && !answer.contains("[]"),
            "{name}: a Docker answer came back:\n{answer}"
        );
    }

    // A client that opened the feed and then asks for Docker operations in its messages.
    let mut attacker = ws(b.addr).await;
    for message in [
        Message::Text(r#"{"method":"POST","path":"/containers/create","body":{"Image":"alpine"}}"#.into()),
        Message::Text(r#"{"method":"DELETE","path":"/containers/json?force=1"}"#.into()),
        Message::Text("GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n".into()),
        Message::Binary(
            format!("POST /containers/create HTTP/1.1\r\nHost: docker\r\nContent-Length: {}\r\n\r\n{body}", body.len())
                .into_bytes()
                .into(),
        ),
        Message::Binary(vec![0u8; 1000].into()),
        Message::Ping(b"/_ping".to_vec().into()),
        Message::Pong(b"/containers/create".to_vec().into()),
    ] {
        attacker.send(message).await.expect("the bridge reads it");
    }
    // Its feed goes on, and so does everybody else's.
    next_stats(&mut attacker).await;
    next_stats(&mut observer).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    docker.assert_only_fixed_gets();
    drop(b);
}

#[tokio::test]
async fn the_client_makes_exactly_the_fixed_gets() {
    let docker = FakeDocker::start();
    let client = Client::new(Endpoint::Unix(docker.socket.clone()));
    client.ping().await.expect("/_ping");
    let version = client.version().await.expect("/version");
    assert_eq!(version.api_version, "1.50");
    let info = client.info().await.expect("/info");
    assert_eq!((info.name.as_str(), info.cpus), ("fake-host", 2));
    client.running_containers().await.expect("/containers/json");
    let _events = client.container_events().await.expect("/events");
    let _ = client.inspect(ID).await; // the fake daemon answers 404; the request was made
    let _stats = client.stats(ID).await.expect("a stats stream");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut seen: Vec<String> = docker.seen().into_iter().map(|s| s.line).collect();
    let mut allowed = allowed_requests();
    seen.sort();
    allowed.sort();
    assert_eq!(seen, allowed, "each fixed GET once, and nothing else");
    docker.assert_only_fixed_gets();
    // Anything else is refused before a connection is made.
    for path in [
        "/containers/create",
        "/v1.41/_ping",
        "/containers/json?all=1",
        &format!("/containers/{ID}/stats?stream=true&x=1"),
        &format!("/containers/{}/json", &ID[..63]),
        "/containers/../_ping/json",
        "/events",
    ] {
        assert!(!docker::is_fixed_get(path), "{path}");
    }
    assert_eq!(docker.seen().len(), allowed.len());
}

#[test]
fn security_md_lists_every_fixed_get() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../SECURITY.md"))
        .expect("SECURITY.md");
    let section = text
        .split("**Read-only, fixed requests to Docker.**")
        .nth(1)
        .and_then(|rest| rest.split("\n- **").next())
        .expect("the fixed requests paragraph");
    for path in docker::FIXED_GETS {
        let shown = if path.starts_with("/events?") {
            "/events?filters=…".to_string()
        } else {
            path.replace("{id}", "{64-hex id}")
        };
        assert!(
            section.contains(&format!("`{shown}`")),
            "SECURITY.md lists {shown}"
        );
    }
    let words = [
        "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
    ];
    let count = format!("makes {} `GET`s", words[docker::FIXED_GETS.len() - 1]);
    assert!(section.contains(&count), "SECURITY.md says {count:?}");
}

#[tokio::test]
async fn the_fake_daemon_catches_a_request_the_bridge_must_not_make() {
    let docker = FakeDocker::start();
    let b = bridge_on(&docker, ServerConfig::default()).await;
    next_stats(&mut ws(b.addr).await).await;
    docker.assert_only_fixed_gets();
    // What a proxying bridge would send: the recorder sees it, and the check fails.
    let mut direct = UnixStream::connect(&docker.socket).await.expect("connect");
    direct
        .write_all(b"POST /v1.41/containers/create HTTP/1.1\r\nHost: docker\r\nContent-Length: 2\r\n\r\n{}")
        .await
        .expect("write");
    let mut answer = [0u8; 64];
    let _ = tokio::time::timeout(Duration::from_secs(5), direct.read(&mut answer)).await;
    let check = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        docker.assert_only_fixed_gets()
    }));
    assert!(
        check.is_err(),
        "the recorder must catch a forbidden request"
    );
}

// ---------------------------------------------------------------------------------------------
// Client frames.

/// A raw WebSocket client, for frames tungstenite would not send.
async fn raw_ws(addr: SocketAddr) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let request = format!(
        "GET /ws HTTP/1.1\r\nHost: {addr}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8; 1];
        stream.read_exact(&mut byte).await.expect("the handshake");
        head.push(byte[0]);
    }
    assert!(
        head.starts_with(b"HTTP/1.1 101"),
        "{}",
        String::from_utf8_lossy(&head)
    );
    stream
}

/// A masked client frame header declaring `len` bytes, and that much of its payload, `sent`.
fn frame(opcode: u8, fin: bool, len: u64, sent: &[u8]) -> Vec<u8> {
    let mask = [0x37, 0xfa, 0x21, 0x3d];
    let mut out = vec![(if fin { 0x80 } else { 0 }) | opcode];
    if len < 126 {
        out.push(0x80 | len as u8);
    } else if len <= u64::from(u16::MAX) {
        out.push(0x80 | 126);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(0x80 | 127);
        out.extend_from_slice(&len.to_be_bytes());
    }
    out.extend_from_slice(&mask);
    out.extend(sent.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    out
}

/// Whether the server closes `stream` within `secs` (whatever it sends before is drained).
async fn closed_within(stream: &mut TcpStream, secs: u64) -> bool {
    tokio::time::timeout(Duration::from_secs(secs), async {
        let mut buf = [0u8; 16384];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_frames_are_ignored_and_bounded() {
    let docker = FakeDocker::start();
    let b = bridge_on(&docker, ServerConfig::default()).await;
    let mut observer = ws(b.addr).await;
    next_stats(&mut observer).await;

    // Text, binary and ping frames change nothing: the feed goes on, the ping is answered.
    let mut chatty = ws(b.addr).await;
    chatty
        .send(Message::Text(
            r#"{"method":"POST","path":"/containers/create"}"#.into(),
        ))
        .await
        .expect("text");
    chatty
        .send(Message::Binary(vec![0xff; 60 << 10].into()))
        .await
        .expect("binary just under the limit");
    chatty
        .send(Message::Ping(b"are you there".to_vec().into()))
        .await
        .expect("ping");
    let pong = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(Ok(message)) = chatty.next().await {
            if let Message::Pong(payload) = message {
                return payload.to_vec();
            }
        }
        Vec::new()
    })
    .await
    .expect("a pong within 5 s");
    assert_eq!(pong, b"are you there");
    next_stats(&mut chatty).await;

    // A 10 MB message closes that client's connection.
    let mut big = ws(b.addr).await;
    let _ = big.send(Message::Binary(vec![b'x'; 10 << 20].into())).await;
    let closed = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match big.next().await {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                Some(Ok(_)) => {}
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "a 10 MB message closes its connection");

    // A frame declaring 10 MB is refused from its header: the server neither waits for nor buffers
    // the payload.
    let mut declared = raw_ws(b.addr).await;
    declared
        .write_all(&frame(0x2, true, 10 << 20, &[b'x'; 4096]))
        .await
        .expect("write");
    assert!(
        closed_within(&mut declared, 5).await,
        "a frame declaring 10 MB must close the connection at once, not wait for its payload"
    );

    // A message of many small fragments, over 64 KiB in all, is refused too.
    let mut fragments = raw_ws(b.addr).await;
    let piece = [b'y'; 4096];
    for i in 0..24 {
        let opcode = if i == 0 { 0x1 } else { 0x0 };
        let written = fragments
            .write_all(&frame(opcode, false, piece.len() as u64, &piece))
            .await;
        if written.is_err() {
            break; // already closed
        }
    }
    assert!(
        closed_within(&mut fragments, 5).await,
        "a fragmented message over 64 KiB closes the connection"
    );

    // Everybody else keeps receiving, and nothing reached Docker.
    next_stats(&mut observer).await;
    next_stats(&mut chatty).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    docker.assert_only_fixed_gets();
    drop(b);
}

// ---------------------------------------------------------------------------------------------
// The token.

fn bearer(value: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(
        "authorization",
        format!("Bearer {value}").parse().expect("header"),
    );
    h
}

#[test]
fn the_token_is_checked_exactly() {
    // The comparison is subtle::ConstantTimeEq (see SECURITY.md); this checks what it accepts.
    let token = "k7Qd2-f9Zr0x_Lm4T8vYc1";
    let none = HeaderMap::new();
    assert!(server::token_matches(token, &none, Some(token)));
    assert!(server::token_matches(token, &bearer(token), None));

    let mut wrong: Vec<String> = Vec::new();
    // Same length, one byte off, at the start, the middle and the end.
    for i in [0, token.len() / 2, token.len() - 1] {
        let mut bytes = token.as_bytes().to_vec();
        bytes[i] ^= 0x01;
        wrong.push(String::from_utf8(bytes).expect("ascii"));
    }
    // Every proper prefix (including the empty one), longer ones, different case, padding.
    wrong.extend((0..token.len()).map(|n| token[..n].to_string()));
    wrong.push(format!("{token}x"));
    wrong.push(format!("{token}{token}"));
    wrong.push(token.to_ascii_uppercase());
    wrong.push(format!(" {token}"));
    wrong.push(format!("{token}\0"));
    for w in &wrong {
        assert!(!server::token_matches(token, &none, Some(w)), "query {w:?}");
        if !w.is_empty() && !w.contains('\0') {
            assert!(
                !server::token_matches(token, &bearer(w), None),
                "bearer {w:?}"
            );
        }
    }
    // Nothing given, another scheme, or the token under another header name.
    assert!(!server::token_matches(token, &none, None));
    let mut basic = HeaderMap::new();
    basic.insert(
        "authorization",
        format!("Basic {token}").parse().expect("header"),
    );
    assert!(!server::token_matches(token, &basic, None));
    let mut other = HeaderMap::new();
    other.insert("x-token", token.parse().expect("header"));
    assert!(!server::token_matches(token, &other, None));
    // One candidate is checked: a wrong query is not rescued by a right header.
    assert!(!server::token_matches(token, &bearer(token), Some("nope")));
    // An empty configured token matches nothing, not even nothing.
    assert!(!server::token_matches("", &none, None));
    assert!(!server::token_matches("", &none, Some("")));
    assert!(!server::token_matches("", &bearer(""), None));
}

/// The status line of a WebSocket upgrade with these extra header lines.
async fn upgrade(addr: SocketAddr, target: &str, host: &str, extra: &[String]) -> u16 {
    let mut request = format!(
        "GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    );
    for line in extra {
        request.push_str(line);
        request.push_str("\r\n");
    }
    request.push_str("\r\n");
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut head = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), async {
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n") {
            match stream.read(&mut byte).await {
                Ok(1) => head.push(byte[0]),
                _ => return,
            }
        }
    })
    .await;
    statuses(&String::from_utf8_lossy(&head))
        .first()
        .copied()
        .unwrap_or(0)
}

#[tokio::test]
async fn an_empty_or_wrong_token_lets_nobody_in() {
    let b = demo_bridge(ServerConfig {
        token: Some(String::new()),
        ..ServerConfig::default()
    })
    .await;
    let host = b.addr.to_string();
    for extra in [
        vec![],
        vec!["Authorization: Bearer ".to_string()],
        vec!["Authorization: Bearer".to_string()],
    ] {
        assert_eq!(
            upgrade(b.addr, "/ws", &host, &extra).await,
            401,
            "{extra:?}"
        );
    }
    assert_eq!(upgrade(b.addr, "/ws?token=", &host, &[]).await, 401);

    let b = demo_bridge(ServerConfig {
        token: Some("s3cret".into()),
        ..ServerConfig::default()
    })
    .await;
    let host = b.addr.to_string();
    assert_eq!(upgrade(b.addr, "/ws?token=s3cret", &host, &[]).await, 101);
    for target in [
        "/ws?token=s3cre",
        "/ws?token=s3cret%00",
        "/ws?token=S3CRET",
        "/ws?token=s3cret&token=x",
        "/ws?tok=s3cret",
    ] {
        assert_ne!(upgrade(b.addr, target, &host, &[]).await, 101, "{target}");
    }
    // The right token does not make a foreign origin acceptable.
    assert_eq!(
        upgrade(
            b.addr,
            "/ws?token=s3cret",
            &host,
            &["Origin: http://evil.example".to_string()]
        )
        .await,
        403
    );
}

// ---------------------------------------------------------------------------------------------
// Cross-site upgrades.

#[tokio::test]
async fn cross_site_upgrades_are_refused() {
    let b = demo_bridge(ServerConfig {
        allowed_origins: vec!["https://dash.example.com".into()],
        ..ServerConfig::default()
    })
    .await;
    let port = b.addr.port();
    let ip = format!("127.0.0.1:{port}");
    let localhost = format!("localhost:{port}");
    let origin = |o: &str| vec![format!("Origin: {o}")];

    let refused: Vec<(String, Vec<String>)> = vec![
        (
            ip.clone(),
            origin(&format!("http://127.0.0.1:{port}.evil.example")),
        ),
        (
            ip.clone(),
            origin(&format!("http://127.0.0.1:{port}@evil.example")),
        ),
        (ip.clone(), origin(&format!("http://localhost:{port}"))),
        (
            localhost.clone(),
            origin(&format!("http://127.0.0.1:{port}")),
        ),
        (
            ip.clone(),
            origin(&format!("http://127.0.0.1:{}", port ^ 1)),
        ),
        (ip.clone(), origin(&format!("http://127.0.0.1:{port}/.."))),
        (ip.clone(), origin("HTTP://EVIL.EXAMPLE")),
        (
            ip.clone(),
            origin(&format!("HTTP://127.0.0.1:{port}.EVIL.EXAMPLE")),
        ),
        (ip.clone(), origin("null")),
        (ip.clone(), origin("NULL")),
        (ip.clone(), origin("")),
        (ip.clone(), origin("file://")),
        (ip.clone(), origin("https://dash.example.com.evil.example")),
        (ip.clone(), origin("http://dash.example.com")),
        // DNS rebinding: the attacker's name now points at 127.0.0.1, so Host and Origin agree.
        (
            format!("rebind.evil.example:{port}"),
            origin(&format!("http://rebind.evil.example:{port}")),
        ),
        (
            format!("REBIND.EVIL.EXAMPLE:{port}"),
            origin(&format!("http://rebind.evil.example:{port}")),
        ),
        (
            format!("localhost.evil.example:{port}"),
            origin(&format!("http://localhost.evil.example:{port}")),
        ),
        (
            format!("127.0.0.1.nip.io:{port}"),
            origin(&format!("http://127.0.0.1.nip.io:{port}")),
        ),
        // The first Origin counts; a foreign one first is refused.
        (
            ip.clone(),
            vec![
                "Origin: http://evil.example".into(),
                format!("Origin: http://127.0.0.1:{port}"),
            ],
        ),
    ];
    for (host, extra) in &refused {
        assert_eq!(
            upgrade(b.addr, "/ws", host, extra).await,
            403,
            "Host: {host} {extra:?} must be refused"
        );
    }

    let accepted: Vec<(String, Vec<String>)> = vec![
        (ip.clone(), vec![]),
        (ip.clone(), origin(&format!("http://127.0.0.1:{port}"))),
        (ip.clone(), origin(&format!("http://127.0.0.1:{port}/"))),
        // Scheme and host are case-insensitive: this is the same origin (browsers send lower case).
        (ip.clone(), origin(&format!("HTTP://127.0.0.1:{port}"))),
        (
            localhost.clone(),
            origin(&format!("http://localhost:{port}")),
        ),
        (
            format!("LOCALHOST:{port}"),
            origin(&format!("http://localhost:{port}")),
        ),
        (
            format!("[::1]:{port}"),
            origin(&format!("http://[::1]:{port}")),
        ),
        (ip.clone(), origin("https://dash.example.com")),
        (ip.clone(), origin("https://DASH.example.com/")),
    ];
    for (host, extra) in &accepted {
        assert_eq!(
            upgrade(b.addr, "/ws", host, extra).await,
            101,
            "Host: {host} {extra:?} must be accepted"
        );
    }

    // The same rules, directly.
    let mut headers = HeaderMap::new();
    headers.insert("host", "rebind.evil.example:8080".parse().expect("h"));
    headers.insert(
        "origin",
        "http://rebind.evil.example:8080".parse().expect("h"),
    );
    assert!(server::check_origin(&headers, &[]).is_err());
    assert!(server::check_origin(&headers, &["http://rebind.evil.example:8080".into()]).is_ok());
}

// ---------------------------------------------------------------------------------------------
// Static files.

#[tokio::test]
async fn static_files_stay_in_their_folder() {
    let b = demo_bridge(ServerConfig::default()).await;
    let root = b.web_root.clone();
    #[cfg(unix)]
    {
        use std::os::unix::fs::symlink;
        symlink("/etc", root.join("www/sub")).expect("www/sub -> /etc");
        symlink(&root, root.join("www/up")).expect("www/up -> web root");
        symlink("/etc", root.join("pkg/etc")).expect("pkg/etc -> /etc");
        symlink("/etc/passwd", root.join("www/passwd.js")).expect("www/passwd.js -> /etc/passwd");
    }
    let host = b.addr.to_string();
    let request = |method: &str, path: &str| {
        format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n")
    };

    // What is there is served, HEAD included (headers, no body).
    let answer = exchange(b.addr, request("GET", "/www/real/x.css").as_bytes()).await;
    assert_eq!(statuses(&answer), [200], "{answer}");
    let answer = exchange(b.addr, request("HEAD", "/www/app.js").as_bytes()).await;
    assert_eq!(statuses(&answer), [200], "{answer}");
    assert!(answer.ends_with("\r\n\r\n"), "HEAD has no body: {answer:?}");

    let paths = [
        // Symlinked directories and files leading out.
        "/www/sub/passwd",
        "/www/sub/hostname",
        "/www/sub/",
        "/www/sub",
        "/www/up/secret.txt",
        "/www/up/index.html",
        "/www/up/www/../secret.txt",
        "/pkg/etc/passwd",
        "/www/passwd.js",
        // NUL.
        "/www/app.js%00",
        "/www/app.js%00.css",
        "/www/%00",
        "/www/sub%00/passwd",
        "/www/real%00/../../secret.txt",
        // Double-encoded, overlong UTF-8, mixed-case and backslash dot segments.
        "/www/%252e%252e/secret.txt",
        "/www/%252e%252e%252fsecret.txt",
        "/www/..%252fsecret.txt",
        "/www/%c0%ae%c0%ae/secret.txt",
        "/www/%c0%ae%c0%ae%c0%afsecret.txt",
        "/www/%e0%80%ae%e0%80%ae/secret.txt",
        "/www/%2E%2E/secret.txt",
        "/www/.%2e/secret.txt",
        "/www/%2e./secret.txt",
        "/www/..%5csecret.txt",
        "/www/..%255csecret.txt",
        "/www/%u002e%u002e/secret.txt",
        "/www/real/../../secret.txt",
        "/www/real/%2e%2e/%2e%2e/secret.txt",
        "/pkg/..%2f..%2fsecret.txt",
        "/www/%2fetc%2fpasswd",
        "/www/%2F%2Fetc%2Fpasswd",
        "/www/..",
        "/www/.",
        "/secret.txt",
    ];
    for method in ["GET", "HEAD"] {
        for path in paths {
            let answer = exchange(b.addr, request(method, path).as_bytes()).await;
            let status = statuses(&answer);
            assert!(
                matches!(status.as_slice(), [400] | [404] | [405]),
                "{method} {path} gave {status:?}:\n{answer}"
            );
            assert!(
                !answer.contains("do not serve") && !answer.contains("root:"),
                "{method} {path} leaked a file:\n{answer}"
            );
        }
    }
    // HEAD /ws is not an upgrade.
    let answer = exchange(b.addr, request("HEAD", "/ws").as_bytes()).await;
    assert!(
        statuses(&answer).iter().all(|&s| s >= 400),
        "HEAD /ws: {answer}"
    );
}

#[test]
fn an_empty_token_is_refused_at_startup() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_statscope"))
        .args(["serve", "--demo", "--listen", "127.0.0.1:0"])
        .env("STATSCOPE_TOKEN", "")
        .output()
        .expect("statscope runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("set but empty"));
}

// ---------------------------------------------------------------------------------------------
// Headers.

/// The headers (lower-cased names) of `GET path` with `extra` header lines.
async fn headers_of(addr: SocketAddr, path: &str, extra: &str) -> (u16, Vec<(String, String)>) {
    let answer = exchange(
        addr,
        format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n{extra}Connection: close\r\n\r\n")
            .as_bytes(),
    )
    .await;
    let status = statuses(&answer).first().copied().unwrap_or(0);
    let head = answer.split("\r\n\r\n").next().unwrap_or("");
    let headers = head
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    (status, headers)
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

#[tokio::test]
async fn the_page_has_a_csp_and_cors_goes_only_where_embedding_needs_it() {
    let dash = "https://dash.example.com";
    let b = demo_bridge(ServerConfig {
        allowed_origins: vec![dash.into()],
        ..ServerConfig::default()
    })
    .await;
    let from = |origin: &str| format!("Origin: {origin}\r\n");

    for page in ["/", "/index.html"] {
        let (status, h) = headers_of(b.addr, page, &from(dash)).await;
        assert_eq!(status, 200);
        let csp = header(&h, "content-security-policy").expect("a CSP on the page");
        for directive in [
            "default-src 'self'",
            "script-src 'self' 'wasm-unsafe-eval'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'self' https://dash.example.com",
        ] {
            assert!(csp.contains(directive), "{page}: {directive} in {csp}");
        }
        assert!(
            !csp.contains("'unsafe-eval'") && !csp.contains("script-src 'self' 'unsafe-inline'")
        );
        assert_eq!(
            header(&h, "access-control-allow-origin"),
            None,
            "{page}: no CORS"
        );
        assert_eq!(header(&h, "referrer-policy"), Some("no-referrer"));
    }
    // What a dashboard imports: CORS for an allowed origin, and only for it.
    for embedded in ["/www/statscope-chart.js", "/pkg/statscope_bg.wasm"] {
        let (status, h) = headers_of(b.addr, embedded, &from(dash)).await;
        assert_eq!(status, 200);
        assert_eq!(
            header(&h, "access-control-allow-origin"),
            Some(dash),
            "{embedded}"
        );
        assert_eq!(header(&h, "vary"), Some("Origin"));
        assert_eq!(
            header(&h, "cross-origin-resource-policy"),
            Some("cross-origin")
        );
        for other in ["http://evil.example", "null"] {
            let (_, h) = headers_of(b.addr, embedded, &from(other)).await;
            assert_eq!(
                header(&h, "access-control-allow-origin"),
                None,
                "{embedded} for {other}"
            );
        }
        let (_, h) = headers_of(b.addr, embedded, "").await;
        assert_eq!(header(&h, "access-control-allow-origin"), None);
    }
    // Anything else: no CORS at all, and a policy that allows nothing.
    for other in ["/www/app.js", "/www/real/x.css"] {
        let (status, h) = headers_of(b.addr, other, &from(dash)).await;
        assert_eq!(status, 200);
        assert_eq!(header(&h, "access-control-allow-origin"), None, "{other}");
        assert_eq!(
            header(&h, "cross-origin-resource-policy"),
            Some("same-origin")
        );
        assert_eq!(
            header(&h, "content-security-policy"),
            Some("default-src 'none'; frame-ancestors 'none'")
        );
    }
    // Without --allow-origin the page may be framed by itself only.
    let strict = demo_bridge(ServerConfig::default()).await;
    let (_, h) = headers_of(strict.addr, "/", "").await;
    assert!(header(&h, "content-security-policy")
        .is_some_and(|c| c.ends_with("frame-ancestors 'self'")));
}

#[tokio::test]
async fn a_request_head_over_64_kib_is_refused() {
    let b = demo_bridge(ServerConfig::default()).await;
    let big = format!(
        "GET / HTTP/1.1\r\nHost: {}\r\nCookie: {}\r\n\r\n",
        b.addr,
        "x".repeat(100 << 10)
    );
    let answer = exchange(b.addr, big.as_bytes()).await;
    let status = statuses(&answer);
    assert_eq!(status, [431], "{answer}");
    // An ordinary one with a few KiB of cookies is fine.
    let ok = format!(
        "GET / HTTP/1.1\r\nHost: {}\r\nCookie: {}\r\nConnection: close\r\n\r\n",
        b.addr,
        "x".repeat(8 << 10)
    );
    assert_eq!(statuses(&exchange(b.addr, ok.as_bytes()).await), [200]);
}

#[test]
fn a_token_is_trimmed_and_an_all_whitespace_one_refused_at_startup() {
    for blank in [" ", "\n", " \t\r\n "] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_statscope"))
            .args(["serve", "--demo", "--listen", "127.0.0.1:0"])
            .env("STATSCOPE_TOKEN", blank)
            .output()
            .expect("statscope runs");
        assert_eq!(out.status.code(), Some(2), "{blank:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("empty or only whitespace"),
            "{blank:?}"
        );
    }
    let cli = Cli::try_parse_from(["statscope", "serve", "--token", " s3cret\n"]).expect("parses");
    let Command::Serve(args) = cli.command else {
        panic!("serve parses as Serve");
    };
    assert_eq!(args.token(), Ok(Some("s3cret".to_string())));
}

#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive() {
    let b = demo_bridge(ServerConfig {
        token: Some("s3cret".into()),
        ..ServerConfig::default()
    })
    .await;
    let host = b.addr.to_string();
    for scheme in ["Bearer", "bearer", "BEARER"] {
        let auth = format!("Authorization: {scheme} s3cret");
        assert_eq!(
            upgrade(b.addr, "/ws", &host, &[auth]).await,
            101,
            "{scheme}"
        );
    }
    for wrong in [
        "Bearer S3CRET",
        "Basic s3cret",
        "Bearers3cret",
        "Bearer  s3cret",
    ] {
        let auth = format!("Authorization: {wrong}");
        assert_eq!(upgrade(b.addr, "/ws", &host, &[auth]).await, 401, "{wrong}");
    }
}

/// The body of `GET /ws/check` (what a page asks when its WebSocket was refused).
async fn check(addr: SocketAddr, path: &str, extra: &str) -> (u16, String, Vec<(String, String)>) {
    let answer = exchange(
        addr,
        format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n{extra}Connection: close\r\n\r\n")
            .as_bytes(),
    )
    .await;
    let (status, headers) = headers_of(addr, path, extra).await;
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body, headers)
}

/// A refused upgrade's status is hidden from scripts; `/ws/check` tells a page why, by the same
/// rules: the origin first (a foreign page learns nothing of the token), then the token. It
/// carries no data, and is readable by any page (SECURITY.md says what that tells one).
#[tokio::test]
async fn ws_check_says_why_without_leaking_the_token() {
    let b = demo_bridge(ServerConfig {
        token: Some("s3cret".into()),
        allowed_origins: vec!["http://dash.example:3000".into()],
        ..ServerConfig::default()
    })
    .await;
    let foreign = "Origin: http://evil.example\r\n";
    for path in [
        "/ws/check",
        "/ws/check?token=s3cret",
        "/ws/check?token=wrong",
    ] {
        let (status, body, headers) = check(b.addr, path, foreign).await;
        assert_eq!(status, 200, "{path}");
        assert_eq!(
            body, r#"{"ws":"origin"}"#,
            "{path}: the same answer, right token or not"
        );
        assert_eq!(header(&headers, "access-control-allow-origin"), Some("*"));
        assert_eq!(header(&headers, "cache-control"), Some("no-store"));
        assert_eq!(header(&headers, "access-control-allow-credentials"), None);
    }
    let allowed = "Origin: http://dash.example:3000\r\n";
    assert_eq!(
        check(b.addr, "/ws/check?token=wrong", allowed).await.1,
        r#"{"ws":"token"}"#
    );
    assert_eq!(check(b.addr, "/ws/check", "").await.1, r#"{"ws":"token"}"#);
    assert_eq!(
        check(b.addr, "/ws/check?token=s3cret", allowed).await.1,
        r#"{"ws":"ok"}"#
    );
    // What it says is what /ws does.
    let host = b.addr.to_string();
    assert_eq!(
        upgrade(
            b.addr,
            "/ws?token=s3cret",
            &host,
            &["Origin: http://evil.example".into()]
        )
        .await,
        403
    );
    assert_eq!(upgrade(b.addr, "/ws?token=wrong", &host, &[]).await, 401);
    assert_eq!(upgrade(b.addr, "/ws?token=s3cret", &host, &[]).await, 101);
    // Without a token configured, an allowed page is told "ok".
    let open = demo_bridge(ServerConfig::default()).await;
    assert_eq!(check(open.addr, "/ws/check", "").await.1, r#"{"ws":"ok"}"#);
}
