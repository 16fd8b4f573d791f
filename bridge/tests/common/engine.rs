//! A fake Docker Engine for the tests, hostile on demand: raw HTTP/1.1 on a Unix socket (one
//! request per connection, as the bridge makes them), serving `/_ping`, `/events`,
//! `/containers/json`, inspects and stats streams as a [`Spec`] says, and counting what it was asked.
//! Also the real `statscope serve` with its log kept ([`Served`]) and a WebSocket viewer that keeps
//! what it was sent ([`Viewer`]).

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, BufWriter};
use tokio::net::unix::OwnedWriteHalf;
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::broadcast;

/// Container `n`'s ID: 64 hex digits.
pub fn cid(n: usize) -> String {
    format!("{:064x}", 0x5ec0_de00_0000_u64 + n as u64)
}

/// How `/containers/json` answers.
#[derive(Clone, Debug)]
pub enum List {
    /// The running containers, as JSON.
    Normal,
    /// For the first `times` requests: a body of `bytes` bytes, its length announced or not (then
    /// chunked); afterwards normal.
    Huge {
        bytes: u64,
        announced: bool,
        times: usize,
    },
}

/// What a container's stats stream sends before its ordinary lines.
#[derive(Clone, Debug)]
pub enum Stats {
    /// Ordinary stats lines.
    Normal,
    /// After one ordinary line: one line of `bytes` bytes sent in `piece`-byte chunks, then ordinary.
    LongLine { bytes: usize, piece: usize },
    /// After one ordinary line: this text as a line, alone (a pause around it), then ordinary.
    Line(String),
}

/// What the fake engine does.
#[derive(Clone, Debug)]
pub struct Spec {
    /// Listed by `/containers/json` (newest first, as Docker lists).
    pub running: Vec<String>,
    pub list: List,
    /// Accept every connection, read the request, never answer.
    pub silent: bool,
    /// `/_ping` alone is never answered (the rest is).
    pub silent_ping: bool,
    /// Containers whose inspect answer is huge (chunked, its length not announced).
    pub huge_inspect: HashSet<String>,
    /// Special stats streams.
    pub stats: HashMap<String, Stats>,
    /// Between two ordinary stats lines of one stream.
    pub stats_every: Duration,
    /// Containers whose stats stream sends one line and then nothing, staying open.
    pub stats_once: bool,
}

impl Default for Spec {
    fn default() -> Self {
        Spec {
            running: Vec::new(),
            list: List::Normal,
            silent: false,
            silent_ping: false,
            huge_inspect: HashSet::new(),
            stats: HashMap::new(),
            stats_every: Duration::from_millis(200),
            stats_once: false,
        }
    }
}

/// What the fake engine was asked.
#[derive(Debug, Default)]
pub struct Counts {
    pub connections: AtomicUsize,
    pub pings: AtomicUsize,
    pub lists: AtomicUsize,
    pub inspects: AtomicUsize,
    pub inspects_now: AtomicUsize,
    pub inspects_max: AtomicUsize,
    pub streams_opened: AtomicUsize,
    pub streams_now: AtomicUsize,
    pub streams_max: AtomicUsize,
    /// The containers whose stats stream was asked for.
    pub streamed: Mutex<HashSet<String>>,
}

impl Counts {
    pub fn get(&self, c: &AtomicUsize) -> usize {
        c.load(Ordering::SeqCst)
    }
}

/// Counts one in, keeps the maximum, counts it out when dropped.
struct InFlight<'a>(&'a AtomicUsize);

impl<'a> InFlight<'a> {
    fn new(now: &'a AtomicUsize, max: &AtomicUsize) -> InFlight<'a> {
        let n = now.fetch_add(1, Ordering::SeqCst) + 1;
        max.fetch_max(n, Ordering::SeqCst);
        InFlight(now)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

pub struct FakeEngine {
    dir: PathBuf,
    pub socket: PathBuf,
    pub counts: Arc<Counts>,
    events: broadcast::Sender<String>,
}

impl Drop for FakeEngine {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl FakeEngine {
    pub fn start(spec: Spec) -> FakeEngine {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "statscope-engine-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("engine dir");
        let socket = dir.join("docker.sock");
        let listener = UnixListener::bind(&socket).expect("the fake engine's socket");
        let counts = Arc::new(Counts::default());
        let (events, _) = broadcast::channel(1 << 16);
        let shared = Arc::new((spec, counts.clone(), events.clone()));
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(connection(stream, shared.clone()));
            }
        });
        FakeEngine {
            dir,
            socket,
            counts,
            events,
        }
    }

    /// `unix:///…`, for `--docker`.
    pub fn url(&self) -> String {
        format!("unix://{}", self.socket.display())
    }

    /// Sends one line on every open `/events` stream.
    pub fn event(&self, line: String) {
        let _ = self.events.send(line);
    }

    /// A container event as Docker writes it.
    pub fn event_line(id: &str, action: &str) -> String {
        serde_json::json!({
            "Type": "container", "Action": action, "status": action,
            "Actor": {"ID": id, "Attributes": {"name": format!("c-{}", &id[58..])}},
            "time": 1_795_496_400u64, "timeNano": 1_795_496_400_000_000_000u64
        })
        .to_string()
    }
}

type Shared = Arc<(Spec, Arc<Counts>, broadcast::Sender<String>)>;

const STREAMING: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";

async fn connection(stream: UnixStream, shared: Shared) {
    let (spec, counts, events) = &*shared;
    counts.connections.fetch_add(1, Ordering::SeqCst);
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    let mut line = String::new();
    if read.read_line(&mut line).await.unwrap_or(0) == 0 {
        return;
    }
    loop {
        let mut header = String::new();
        match read.read_line(&mut header).await {
            Ok(0) | Err(_) => return,
            Ok(_) if header.trim().is_empty() => break,
            Ok(_) => {}
        }
    }
    if spec.silent {
        // Keep the connection, say nothing.
        let mut rest = String::new();
        let _ = read.read_line(&mut rest).await;
        std::future::pending::<()>().await;
    }
    let target = line.split(' ').nth(1).unwrap_or("").to_string();
    if target == "/_ping" {
        counts.pings.fetch_add(1, Ordering::SeqCst);
        if spec.silent_ping {
            std::future::pending::<()>().await;
        }
        let _ = json(&mut write, "OK").await;
    } else if target == "/version" {
        let body = r#"{"Components":[{"Name":"Engine","Version":"28.2.2"}],"Version":"28.2.2","ApiVersion":"1.50","Os":"linux"}"#;
        let _ = json(&mut write, body).await;
    } else if target == "/info" {
        let _ = json(&mut write, r#"{"Name":"fake-engine","ID":"fake","NCPU":2}"#).await;
    } else if target == "/containers/json" {
        let n = counts.lists.fetch_add(1, Ordering::SeqCst);
        match &spec.list {
            List::Huge {
                bytes,
                announced,
                times,
            } if n < *times => huge(&mut write, *bytes, *announced).await,
            _ => {
                let list: Vec<_> = spec
                    .running
                    .iter()
                    .map(|id| serde_json::json!({"Id": id, "Names": ["/c"], "State": "running"}))
                    .collect();
                let _ = json(&mut write, &serde_json::Value::from(list).to_string()).await;
            }
        }
    } else if target.starts_with("/events") {
        let mut rx = events.subscribe();
        if write.write_all(STREAMING).await.is_err() {
            return;
        }
        let mut out = BufWriter::new(write);
        while let Ok(event) = rx.recv().await {
            if chunk(&mut out, format!("{event}\n").as_bytes())
                .await
                .is_err()
            {
                return;
            }
            if rx.is_empty() && out.flush().await.is_err() {
                return;
            }
        }
    } else if let Some(id) = target
        .strip_prefix("/containers/")
        .and_then(|rest| rest.strip_suffix("/json"))
    {
        counts.inspects.fetch_add(1, Ordering::SeqCst);
        let _busy = InFlight::new(&counts.inspects_now, &counts.inspects_max);
        tokio::time::sleep(Duration::from_millis(20)).await;
        if spec.huge_inspect.contains(id) {
            huge(&mut write, 64 << 20, false).await;
        } else {
            let body = serde_json::json!({
                "Id": id, "Name": format!("/c-{}", &id[58..]), "Config": {"Image": "busybox"},
                "State": {"Running": true}, "HostConfig": {"NanoCpus": 500_000_000}
            });
            let _ = json(&mut write, &body.to_string()).await;
        }
    } else if let Some(id) = target
        .strip_prefix("/containers/")
        .and_then(|rest| rest.strip_suffix("/stats?stream=true"))
    {
        counts.streams_opened.fetch_add(1, Ordering::SeqCst);
        counts
            .streamed
            .lock()
            .expect("streamed")
            .insert(id.to_string());
        let _open = InFlight::new(&counts.streams_now, &counts.streams_max);
        let _ = stats_stream(write, id, spec).await;
    } else {
        let _ = write
            .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
            .await;
    }
}

async fn json(w: &mut OwnedWriteHalf, body: &str) -> std::io::Result<()> {
    w.write_all(
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    )
    .await
}

async fn chunk<W: tokio::io::AsyncWrite + Unpin>(w: &mut W, data: &[u8]) -> std::io::Result<()> {
    w.write_all(format!("{:x}\r\n", data.len()).as_bytes())
        .await?;
    w.write_all(data).await?;
    w.write_all(b"\r\n").await
}

/// A JSON array of `bytes` bytes, announced (Content-Length) or chunked; sent as long as it is read.
async fn huge(w: &mut OwnedWriteHalf, bytes: u64, announced: bool) {
    let head = if announced {
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {bytes}\r\n\r\n"
        )
    } else {
        String::from_utf8_lossy(STREAMING).into_owned()
    };
    if w.write_all(head.as_bytes()).await.is_err() {
        return;
    }
    let item = format!(
        "{{\"Id\":\"{}\",\"Labels\":{{\"k\":\"{}\"}}}},",
        cid(0),
        "v".repeat(400)
    );
    let block = item.repeat((64 << 10) / item.len());
    let mut sent = 0u64;
    let mut out = BufWriter::new(w);
    while sent < bytes {
        let piece = &block.as_bytes()[..block.len().min((bytes - sent) as usize)];
        let written = if announced {
            out.write_all(piece).await
        } else {
            chunk(&mut out, piece).await
        };
        if written.is_err() {
            return;
        }
        sent += piece.len() as u64;
    }
    let _ = out.flush().await;
}

/// A stats line of container `id`, the `n`th.
pub fn stats_line(id: &str, n: u64) -> String {
    format!(
        r#"{{"read":"2026-11-24T05:{:02}:{:02}.{:09}Z","id":"{id}","name":"/c-{}","cpu_stats":{{"cpu_usage":{{"total_usage":{}}},"system_cpu_usage":{},"online_cpus":1}},"memory_stats":{{"usage":1048576}}}}"#,
        n / 600 % 60,
        n / 10 % 60,
        n % 10 * 100_000_000,
        &id[58..],
        n * 10_000_000,
        n * 100_000_000
    )
}

async fn stats_stream(write: OwnedWriteHalf, id: &str, spec: &Spec) -> std::io::Result<()> {
    let mut w = BufWriter::new(write);
    w.write_all(STREAMING).await?;
    for n in 0u64.. {
        chunk(&mut w, format!("{}\n", stats_line(id, n)).as_bytes()).await?;
        w.flush().await?;
        if n == 0 {
            match spec.stats.get(id) {
                Some(Stats::LongLine { bytes, piece }) => {
                    let data = vec![b'x'; *piece];
                    for _ in 0..bytes / piece {
                        chunk(&mut w, &data).await?;
                    }
                    chunk(&mut w, b"\n").await?;
                    w.flush().await?;
                }
                Some(Stats::Line(text)) => {
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    chunk(&mut w, format!("{text}\n").as_bytes()).await?;
                    w.flush().await?;
                    tokio::time::sleep(Duration::from_millis(300)).await;
                }
                Some(Stats::Normal) | None => {}
            }
        }
        if spec.stats_once {
            std::future::pending::<()>().await;
        }
        tokio::time::sleep(spec.stats_every).await;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The real bridge, its log kept.

/// `statscope serve ARGS` (the real binary, `RUST_LOG=info`), its stderr kept; killed on drop.
/// With `max_files`, it runs under `ulimit -n max_files` (soft and hard).
pub struct Served {
    pub child: tokio::process::Child,
    pub port: u16,
    log: Arc<Mutex<String>>,
    web_root: PathBuf,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
        let _ = std::fs::remove_dir_all(&self.web_root);
    }
}

impl Served {
    pub async fn start(args: &[&str], max_files: Option<u32>) -> Served {
        static N: AtomicUsize = AtomicUsize::new(0);
        let web_root = std::env::temp_dir().join(format!(
            "statscope-served-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&web_root).expect("web root");
        std::fs::write(
            web_root.join("index.html"),
            "<!doctype html><title>statscope</title>",
        )
        .expect("index");
        let bin = env!("CARGO_BIN_EXE_statscope");
        let mut command = match max_files {
            Some(n) => {
                let mut c = tokio::process::Command::new("sh");
                c.arg("-c")
                    .arg(format!("ulimit -n {n} && exec \"$0\" \"$@\""))
                    .arg(bin);
                c
            }
            None => tokio::process::Command::new(bin),
        };
        let mut child = command
            .args(["serve", "--listen", "127.0.0.1:0", "--web-root"])
            .arg(&web_root)
            .args(args)
            .env("RUST_LOG", "info")
            .env_remove("STATSCOPE_TOKEN")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("statscope serve starts");
        let log = Arc::new(Mutex::new(String::new()));
        let stderr = child.stderr.take().expect("stderr");
        let kept = log.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let mut log = kept.lock().expect("log");
                // Bounded: a test's bridge logs little, and a flood of lines is itself a failure.
                if log.len() < 4 << 20 {
                    log.push_str(&line);
                    log.push('\n');
                }
            }
        });
        let stdout = child.stdout.take().expect("stdout");
        let mut out = BufReader::new(stdout).lines();
        let first = tokio::time::timeout(Duration::from_secs(30), out.next_line())
            .await
            .expect("statscope prints its URL in time")
            .expect("stdout readable")
            .unwrap_or_else(|| panic!("no URL; log:\n{}", log.lock().expect("log")));
        let port = first
            .split_whitespace()
            .find_map(|w| w.strip_prefix("http://127.0.0.1:"))
            .and_then(|w| w.trim_end_matches('/').parse().ok())
            .expect("a port in the first line");
        Served {
            child,
            port,
            log,
            web_root,
        }
    }

    pub fn addr(&self) -> std::net::SocketAddr {
        std::net::SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// Everything logged so far.
    pub fn log(&self) -> String {
        self.log.lock().expect("log").clone()
    }

    /// The log's lines at WARN (or above) that contain `needle`.
    pub fn warnings(&self, needle: &str) -> usize {
        self.log()
            .lines()
            .filter(|l| (l.contains(" WARN ") || l.contains(" ERROR ")) && l.contains(needle))
            .count()
    }

    /// Waits up to `secs` for `needle` in the log.
    pub async fn wait_log(&self, needle: &str, secs: u64) -> bool {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        while tokio::time::Instant::now() < deadline {
            if self.log().contains(needle) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    }

    /// The bridge's resident memory now, KiB (`VmRSS` of /proc/PID/status).
    pub fn rss_kib(&self) -> u64 {
        self.status("VmRSS")
    }

    /// The bridge's peak resident memory, KiB (`VmHWM`).
    pub fn peak_kib(&self) -> u64 {
        self.status("VmHWM")
    }

    fn status(&self, key: &str) -> u64 {
        let pid = self.child.id().expect("running");
        std::fs::read_to_string(format!("/proc/{pid}/status"))
            .expect("/proc/PID/status")
            .lines()
            .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .expect("a figure")
    }
}

// ---------------------------------------------------------------------------------------------
// A viewer.

/// A WebSocket client reading `/ws` in the background, keeping what it was sent.
pub struct Viewer {
    pub seen: Arc<Mutex<Seen>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Viewer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// What a viewer was sent.
#[derive(Debug, Default, Clone)]
pub struct Seen {
    /// `statscope.samples` frames.
    pub stats_frames: usize,
    /// The containers whose stats arrived.
    pub containers: HashSet<String>,
    /// Per container ID, samples received.
    pub per_container: HashMap<String, usize>,
    /// The latest `statscope.notice` of each cause.
    pub notices: HashMap<String, serde_json::Value>,
    /// Every control message (bounded), in order.
    pub controls: Vec<String>,
    /// Every frame (bounded), in order.
    pub frames: Vec<String>,
}

impl Viewer {
    pub async fn connect(addr: std::net::SocketAddr) -> Viewer {
        let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws"))
            .await
            .expect("the WebSocket opens");
        let seen = Arc::new(Mutex::new(Seen::default()));
        let kept = seen.clone();
        let task = tokio::spawn(async move {
            while let Some(Ok(message)) = ws.next().await {
                let tokio_tungstenite::tungstenite::Message::Text(text) = message else {
                    continue;
                };
                let text = text.to_string();
                let mut seen = kept.lock().expect("seen");
                if seen.frames.len() < 20_000 {
                    seen.frames.push(text.clone());
                }
                match statscope::protocol::Message::decode(&text) {
                    Ok(Some(statscope::protocol::Message::Samples(batch))) => {
                        seen.stats_frames += 1;
                        for sample in batch.samples {
                            let id = statscope::model::Sample::split_key(&sample.key).0;
                            *seen.per_container.entry(id.to_string()).or_insert(0) += 1;
                            seen.containers.insert(id.to_string());
                        }
                    }
                    Ok(Some(_)) => {
                        let value: serde_json::Value =
                            serde_json::from_str(&text).expect("a control message is JSON");
                        if value["type"] == "statscope.notice" {
                            let cause = value["cause"].as_str().unwrap_or("").to_string();
                            seen.notices.insert(cause, value);
                        }
                        if seen.controls.len() < 20_000 {
                            seen.controls.push(text);
                        }
                    }
                    other => panic!(
                        "the bridge sent a frame that is not statscope's ({other:?}): {text}"
                    ),
                }
            }
        });
        Viewer { seen, task }
    }

    pub fn seen(&self) -> Seen {
        self.seen.lock().expect("seen").clone()
    }

    /// Waits up to `secs` until `done` holds of what was seen; returns it either way.
    pub async fn until(&self, secs: u64, mut done: impl FnMut(&Seen) -> bool) -> Seen {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            let seen = self.seen();
            if done(&seen) || tokio::time::Instant::now() >= deadline {
                return seen;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits up to `secs` for a notice of `cause` that satisfies `done`; panics otherwise.
    pub async fn notice(
        &self,
        cause: &str,
        secs: u64,
        mut done: impl FnMut(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let seen = self
            .until(secs, |s| s.notices.get(cause).is_some_and(&mut done))
            .await;
        match seen.notices.get(cause) {
            Some(n) if done(n) => n.clone(),
            other => panic!(
                "no such {cause} notice in {secs} s; last: {other:?}; all: {:?}",
                seen.notices
            ),
        }
    }
}
