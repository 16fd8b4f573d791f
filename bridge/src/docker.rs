//! The Docker source: a Docker Engine's stats, relayed as the daemon writes them.
//!
//! A small client over `hyper` (HTTP/1.1 on the daemon's Unix socket, or TCP) that makes only fixed,
//! read-only `GET` requests: `/_ping`, `/events` (container events), `/containers/json` (running
//! containers), `/containers/{id}/json` (one container's configuration) and
//! `/containers/{id}/stats?stream=true`, where `{id}` is a 64-hex ID the daemon itself reported.
//! Nothing a browser sends ever reaches it.
//!
//! A session subscribes to `/events` *before* listing containers, so no start is missed, then keeps
//! one stats stream per running container: a `start` opens one (or keeps the open one), a `die`
//! keeps the stream [`DockerSource::linger`] longer so its last (empty) samples reach the page, then
//! closes it; the daemon ends the stream itself on `destroy`. When the daemon goes away the session
//! ends; the source says so in the log and reconnects with exponential backoff (0.5 s … 30 s).
//!
//! Besides the stats it sends statscope's messages ([`statscope_core::protocol`]): a `statscope.event` for each lifecycle
//! event (start, die, oom…), in the order Docker reports them, and a `statscope.container` (limits
//! from an inspect) for each running container when the session starts, on `start` and on `update`.
//! An inspect that fails (the container is already gone) is logged and skipped.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use bytes::{Buf, BytesMut};
use http_body_util::{BodyExt, Empty};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde::Deserialize;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use statscope_core::docker_api::{container_info_from_inspect, DockerEvent};
use statscope_core::protocol::{ContainerInfo, Message};

use crate::hub::Sink;
use crate::source::{BoxFuture, Source};

/// Where the Docker Engine API listens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// `unix:///var/run/docker.sock`
    Unix(PathBuf),
    /// `tcp://host:port` or `http://host:port` (plain HTTP).
    Tcp(String),
}

impl Endpoint {
    /// Parses `unix:///path`, `tcp://host:port` or `http://host:port`.
    pub fn parse(url: &str) -> Result<Endpoint, String> {
        if let Some(path) = url.strip_prefix("unix://") {
            if path.starts_with('/') {
                return Ok(Endpoint::Unix(PathBuf::from(path)));
            }
        } else if let Some(addr) = url
            .strip_prefix("tcp://")
            .or_else(|| url.strip_prefix("http://"))
        {
            let addr = addr.trim_end_matches('/');
            if !addr.is_empty() && !addr.contains('/') {
                return Ok(Endpoint::Tcp(addr.to_string()));
            }
        }
        Err(format!(
            "{url:?} is not a Docker address (expected unix:///path/docker.sock or tcp://host:port)"
        ))
    }

    /// The address Docker clients use by default: `$DOCKER_HOST`, else the standard socket.
    pub fn default_from_env() -> Endpoint {
        std::env::var("DOCKER_HOST")
            .ok()
            .and_then(|url| Endpoint::parse(&url).ok())
            .unwrap_or_else(|| Endpoint::Unix(PathBuf::from("/var/run/docker.sock")))
    }
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Endpoint::Unix(path) => write!(f, "unix://{}", path.display()),
            Endpoint::Tcp(addr) => write!(f, "tcp://{addr}"),
        }
    }
}

/// Why a request to Docker failed.
#[derive(Debug, thiserror::Error)]
pub enum DockerError {
    #[error("cannot connect: {0}")]
    Connect(std::io::Error),
    #[error("timed out connecting")]
    Timeout,
    #[error("HTTP: {0}")]
    Http(#[from] hyper::Error),
    #[error("{path} answered {status}")]
    Status { path: String, status: StatusCode },
    #[error("unexpected answer to {path}: {message}")]
    Body { path: String, message: String },
    #[error("a line longer than {0} bytes")]
    LineTooLong(usize),
}

/// A minimal, read-only Docker Engine API client.
#[derive(Clone, Debug)]
pub struct Client {
    endpoint: Endpoint,
}

/// The longest line accepted from Docker (a stats object is ~2–5 KB).
const MAX_LINE: usize = 4 << 20;

impl Client {
    pub fn new(endpoint: Endpoint) -> Client {
        Client { endpoint }
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// One `GET` on a fresh connection (the stats and events responses are long-lived anyway).
    async fn get(&self, path: &str) -> Result<Response<Incoming>, DockerError> {
        let connect = async {
            match &self.endpoint {
                Endpoint::Unix(socket) => {
                    let stream = tokio::net::UnixStream::connect(socket)
                        .await
                        .map_err(DockerError::Connect)?;
                    handshake(TokioIo::new(stream)).await
                }
                Endpoint::Tcp(addr) => {
                    let stream = tokio::net::TcpStream::connect(addr)
                        .await
                        .map_err(DockerError::Connect)?;
                    handshake(TokioIo::new(stream)).await
                }
            }
        };
        let mut sender = tokio::time::timeout(Duration::from_secs(5), connect)
            .await
            .map_err(|_| DockerError::Timeout)??;
        let host = match &self.endpoint {
            Endpoint::Unix(_) => "docker",
            Endpoint::Tcp(addr) => addr.as_str(),
        };
        let request = Request::get(path)
            .header(hyper::header::HOST, host)
            .header(
                hyper::header::USER_AGENT,
                concat!("statscope/", env!("CARGO_PKG_VERSION")),
            )
            .body(Empty::<Bytes>::new())
            .map_err(|e| DockerError::Body {
                path: path.to_string(),
                message: e.to_string(),
            })?;
        let response = sender.send_request(request).await?;
        if !response.status().is_success() {
            return Err(DockerError::Status {
                path: path.to_string(),
                status: response.status(),
            });
        }
        Ok(response)
    }

    /// `GET /_ping`: does a Docker Engine answer here?
    pub async fn ping(&self) -> Result<(), DockerError> {
        let body = self
            .get("/_ping")
            .await?
            .into_body()
            .collect()
            .await?
            .to_bytes();
        if body.as_ref() == b"OK" {
            Ok(())
        } else {
            Err(DockerError::Body {
                path: "/_ping".into(),
                message: String::from_utf8_lossy(&body).into_owned(),
            })
        }
    }

    /// `GET /containers/json`: the IDs of the running containers.
    pub async fn running_containers(&self) -> Result<Vec<String>, DockerError> {
        #[derive(Deserialize)]
        struct Summary {
            #[serde(rename = "Id")]
            id: String,
        }
        let path = "/containers/json";
        let body = self
            .get(path)
            .await?
            .into_body()
            .collect()
            .await?
            .to_bytes();
        let list: Vec<Summary> = serde_json::from_slice(&body).map_err(|e| DockerError::Body {
            path: path.into(),
            message: e.to_string(),
        })?;
        Ok(list
            .into_iter()
            .map(|s| s.id)
            .filter(|id| is_container_id(id))
            .collect())
    }

    /// `GET /events` for containers: one JSON event per line, until the daemon goes away.
    pub async fn container_events(&self) -> Result<Lines, DockerError> {
        // filters={"type":["container"]}
        let path = "/events?filters=%7B%22type%22%3A%5B%22container%22%5D%7D";
        Ok(Lines::new(self.get(path).await?.into_body()))
    }

    /// `GET /containers/{id}/json` (inspect): the container's name, image and limits.
    pub async fn inspect(&self, id: &str) -> Result<ContainerInfo, DockerError> {
        if !is_container_id(id) {
            return Err(DockerError::Body {
                path: "/containers/{id}/json".into(),
                message: format!("{id:?} is not a container ID"),
            });
        }
        let path = format!("/containers/{id}/json");
        let body = self
            .get(&path)
            .await?
            .into_body()
            .collect()
            .await?
            .to_bytes();
        let info = container_info_from_inspect(&body).map_err(|e| DockerError::Body {
            path: path.clone(),
            message: e.to_string(),
        })?;
        if info.id != id {
            return Err(DockerError::Body {
                path,
                message: format!("the answer is about another container ({:?})", info.id),
            });
        }
        Ok(info)
    }

    /// `GET /containers/{id}/stats?stream=true`: the stats objects, one per line.
    pub async fn stats(&self, id: &str) -> Result<Lines, DockerError> {
        if !is_container_id(id) {
            return Err(DockerError::Body {
                path: "/containers/{id}/stats".into(),
                message: format!("{id:?} is not a container ID"),
            });
        }
        let path = format!("/containers/{id}/stats?stream=true");
        Ok(Lines::new(self.get(&path).await?.into_body()))
    }
}

async fn handshake<T>(
    io: TokioIo<T>,
) -> Result<hyper::client::conn::http1::SendRequest<Empty<Bytes>>, DockerError>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static,
{
    let (sender, connection) = hyper::client::conn::http1::handshake(io).await?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!(error = %e, "Docker connection closed");
        }
    });
    Ok(sender)
}

/// A full Docker container ID: 64 lowercase hex digits.
pub fn is_container_id(id: &str) -> bool {
    id.len() == 64 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The lines of a streaming response body (Docker ends every JSON object with `\n`).
#[derive(Debug)]
pub struct Lines {
    body: Incoming,
    buffer: BytesMut,
}

impl Lines {
    fn new(body: Incoming) -> Lines {
        Lines {
            body,
            buffer: BytesMut::new(),
        }
    }

    /// The next non-empty line, or `None` at the end of the response.
    pub async fn next_line(&mut self) -> Result<Option<String>, DockerError> {
        loop {
            if let Some(i) = self.buffer.iter().position(|&b| b == b'\n') {
                let line = self.buffer.split_to(i + 1);
                let text = String::from_utf8_lossy(&line[..i]).trim_end().to_string();
                if text.is_empty() {
                    continue;
                }
                return Ok(Some(text));
            }
            if self.buffer.len() > MAX_LINE {
                return Err(DockerError::LineTooLong(MAX_LINE));
            }
            match self.body.frame().await {
                Some(frame) => {
                    if let Ok(mut data) = frame?.into_data() {
                        while data.has_remaining() {
                            let chunk = data.chunk();
                            self.buffer.extend_from_slice(chunk);
                            let n = chunk.len();
                            data.advance(n);
                        }
                    }
                }
                None => {
                    if self.buffer.is_empty() {
                        return Ok(None);
                    }
                    let rest = std::mem::take(&mut self.buffer);
                    let text = String::from_utf8_lossy(&rest).trim_end().to_string();
                    return Ok((!text.is_empty()).then_some(text));
                }
            }
        }
    }
}

/// The Docker source (see the module docs).
#[derive(Clone, Debug)]
pub struct DockerSource {
    client: Client,
    /// How long a stream is kept after the container's `die`, so its last samples get through.
    pub linger: Duration,
    /// Reconnect backoff: first and longest wait.
    pub backoff: (Duration, Duration),
}

impl DockerSource {
    pub fn new(endpoint: Endpoint) -> DockerSource {
        DockerSource {
            client: Client::new(endpoint),
            linger: Duration::from_secs(3),
            backoff: (Duration::from_millis(500), Duration::from_secs(30)),
        }
    }

    /// One connected session: until shutdown (`Ok`) or the daemon goes away (`Err`).
    /// `connected` is set once the daemon answered.
    async fn session(
        &self,
        sink: &Sink,
        shutdown: &CancellationToken,
        connected: &mut bool,
    ) -> Result<(), DockerError> {
        let mut events = self.client.container_events().await?;
        let running = self.client.running_containers().await?;
        *connected = true;
        tracing::info!(
            docker = %self.client.endpoint(),
            containers = running.len(),
            "connected to Docker"
        );
        let mut streams: HashMap<String, StatsStream> = HashMap::new();
        for id in &running {
            streams.insert(
                id.clone(),
                StatsStream::open(&self.client, id.clone(), sink, shutdown),
            );
        }
        for id in &running {
            self.send_info(id, sink, shutdown).await;
        }
        let mut housekeeping = tokio::time::interval(Duration::from_millis(500));
        let result = loop {
            tokio::select! {
                _ = shutdown.cancelled() => break Ok(()),
                event = events.next_line() => match event {
                    Ok(Some(line)) => self.on_event(&line, &mut streams, sink, shutdown).await,
                    Ok(None) => break Err(DockerError::Body {
                        path: "/events".into(),
                        message: "the event stream ended (the daemon went away?)".into(),
                    }),
                    Err(e) => break Err(e),
                },
                _ = housekeeping.tick() => {
                    let now = Instant::now();
                    streams.retain(|id, s| {
                        let keep = !s.task.is_finished() && s.close_at.is_none_or(|t| t > now);
                        if !keep {
                            tracing::debug!(container = %short(id), "stats stream closed");
                            s.task.abort();
                        }
                        keep
                    });
                }
            }
        };
        for (_, s) in streams.drain() {
            s.task.abort();
        }
        result
    }

    /// One line of `/events`: relays it as a lifecycle event, and follows the container.
    async fn on_event(
        &self,
        line: &str,
        streams: &mut HashMap<String, StatsStream>,
        sink: &Sink,
        shutdown: &CancellationToken,
    ) {
        let Ok(event) = serde_json::from_str::<DockerEvent>(line) else {
            tracing::debug!(line, "ignoring an event that does not parse");
            return;
        };
        let id = event.actor.id.clone();
        if !is_container_id(&id) {
            return;
        }
        if let Some(lifecycle) = event.lifecycle() {
            sink.send_message(Message::Event(lifecycle)).await;
        }
        match event.action.as_str() {
            "start" => {
                match streams.get_mut(&id) {
                    Some(s) if !s.task.is_finished() => s.close_at = None,
                    _ => {
                        tracing::info!(container = %short(&id), "container started; streaming its stats");
                        streams.insert(
                            id.clone(),
                            StatsStream::open(&self.client, id.clone(), sink, shutdown),
                        );
                    }
                }
                self.send_info(&id, sink, shutdown).await;
            }
            // `docker update` may have changed the limits.
            "update" => self.send_info(&id, sink, shutdown).await,
            "die" => {
                if let Some(s) = streams.get_mut(&id) {
                    tracing::info!(container = %short(&id), "container died; closing its stream soon");
                    s.close_at = Some(Instant::now() + self.linger);
                }
            }
            _ => {}
        }
    }

    /// Inspects a container and sends its `statscope.container`; a failure is logged and skipped.
    /// Done in line, so the info keeps its place among the events (it cannot arrive after the
    /// container's `destroy`).
    async fn send_info(&self, id: &str, sink: &Sink, shutdown: &CancellationToken) {
        let inspect = tokio::time::timeout(Duration::from_secs(5), self.client.inspect(id));
        let result = tokio::select! {
            _ = shutdown.cancelled() => return,
            result = inspect => result,
        };
        match result {
            Ok(Ok(info)) => {
                sink.send_message(Message::Container(info)).await;
            }
            Ok(Err(DockerError::Status { status, .. })) if status == StatusCode::NOT_FOUND => {
                tracing::info!(container = %short(id), "the container is gone; no info for it");
            }
            Ok(Err(e)) => {
                tracing::warn!(container = %short(id), error = %e, "cannot inspect the container; no info for it");
            }
            Err(_) => {
                tracing::warn!(container = %short(id), "inspecting the container timed out; no info for it");
            }
        }
    }
}

fn short(id: &str) -> &str {
    &id[..id.len().min(12)]
}

/// One container's stats stream, relayed line by line.
struct StatsStream {
    task: JoinHandle<()>,
    close_at: Option<Instant>,
}

impl StatsStream {
    fn open(client: &Client, id: String, sink: &Sink, shutdown: &CancellationToken) -> StatsStream {
        let (client, sink, shutdown) = (client.clone(), sink.clone(), shutdown.clone());
        let task = tokio::spawn(async move {
            let mut lines = match client.stats(&id).await {
                Ok(lines) => lines,
                Err(e) => {
                    tracing::debug!(container = %short(&id), error = %e, "cannot open the stats stream");
                    return;
                }
            };
            loop {
                let line = tokio::select! {
                    _ = shutdown.cancelled() => return,
                    line = lines.next_line() => line,
                };
                match line {
                    Ok(Some(object)) => {
                        if !sink.send_stats(object).await {
                            return;
                        }
                    }
                    Ok(None) => return,
                    Err(e) => {
                        tracing::debug!(container = %short(&id), error = %e, "stats stream ended");
                        return;
                    }
                }
            }
        });
        StatsStream {
            task,
            close_at: None,
        }
    }
}

impl Source for DockerSource {
    fn kind(&self) -> &'static str {
        "docker"
    }
    fn describe(&self) -> String {
        format!("the Docker Engine at {}", self.client.endpoint())
    }
    fn run(self: Box<Self>, sink: Sink, shutdown: CancellationToken) -> BoxFuture {
        Box::pin(async move {
            let (first, longest) = self.backoff;
            let mut wait = first;
            let mut was_connected = false;
            loop {
                let mut connected = false;
                let result = self.session(&sink, &shutdown, &mut connected).await;
                if shutdown.is_cancelled() {
                    return;
                }
                if connected {
                    wait = first;
                }
                let error = match result {
                    Ok(()) => return,
                    Err(e) => e,
                };
                if connected || was_connected {
                    tracing::warn!(docker = %self.client.endpoint(), error = %error,
                        "lost Docker; reconnecting with backoff");
                } else {
                    tracing::warn!(docker = %self.client.endpoint(), error = %error, retry_in = ?wait,
                        "Docker does not answer; retrying");
                }
                was_connected |= connected;
                // Jitter in [0.75, 1.25) × wait, from the clock's low bits (no RNG needed here).
                let nanos = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.subsec_nanos());
                let jitter = 0.75 + f64::from(nanos % 1000) / 2000.0;
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = tokio::time::sleep(wait.mul_f64(jitter)) => {}
                }
                wait = (wait * 2).min(longest);
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_parse() {
        assert_eq!(
            Endpoint::parse("unix:///var/run/docker.sock"),
            Ok(Endpoint::Unix("/var/run/docker.sock".into()))
        );
        assert_eq!(
            Endpoint::parse("tcp://127.0.0.1:2375"),
            Ok(Endpoint::Tcp("127.0.0.1:2375".into()))
        );
        for bad in [
            "/var/run/docker.sock",
            "unix://relative",
            "tcp://",
            "ssh://host",
            "http://h/path",
        ] {
            assert!(Endpoint::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn only_real_container_ids_reach_a_path() {
        assert!(is_container_id(&"ab12".repeat(16)));
        for bad in [
            "../../_ping",
            &"AB12".repeat(16),
            &"ab12".repeat(15),
            &format!("{}/x", "a".repeat(62)),
        ] {
            assert!(!is_container_id(bad), "{bad}");
        }
    }
}
