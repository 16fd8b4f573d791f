//! The Docker source: a Docker Engine's stats, relayed as the daemon writes them.
//!
//! A small client over `hyper` (HTTP/1.1 on the daemon's Unix socket, on TCP, or on TCP with TLS
//! verified against the engine's CA: [`crate::tls`]; where an engine is and how to reach it:
//! [`crate::endpoint`]) that makes only fixed, read-only `GET` requests ([`FIXED_GETS`], checked
//! in `Client::get`): `/_ping`, `/version` (Docker or Podman), `/info` (the engine's name),
//! `/events` (container events), `/containers/json` (running containers),
//! `/containers/{id}/json` (one container's configuration) and
//! `/containers/{id}/stats?stream=true`, where `{id}` is a 64-hex ID the daemon itself reported.
//! Nothing a browser sends ever reaches it.
//!
//! A session subscribes to `/events` *before* listing containers, so no start is missed, then keeps
//! one stats stream per running container: a `start` opens one (or keeps the open one), a `die`
//! keeps the stream [`DockerSource::linger`] longer so its last (empty) samples reach the page, then
//! closes it; the daemon ends the stream itself on `destroy`. When the daemon goes away the session
//! ends; the source says so and reconnects with exponential backoff (0.5 s … 30 s).
//!
//! Besides the stats it sends statscope's messages ([`statscope_core::protocol`]): a
//! `statscope.event` for each lifecycle event (start, die, oom…), in the order Docker reports them,
//! and a `statscope.container` (limits from an inspect) for each followed container when the session
//! starts, on `start` and on `update`. An inspect that fails (the container is already gone) is
//! logged and skipped; one whose container was destroyed meanwhile is dropped.
//!
//! The engine is outside input, so everything read from it is bounded ([`EngineLimits`], each a
//! flag):
//! - **size**: `/containers/json` and inspect answers are read up to
//!   [`EngineLimits::max_body_bytes`] (an announced length over it is refused before reading);
//!   lines of `/events` and of stats streams up to [`EngineLimits::max_line_bytes`], read by
//!   [`crate::lines`] in linear time, a longer one skipped and the next one read;
//! - **count**: at most [`EngineLimits::max_containers`] containers are followed (one stream each);
//!   more running ones wait, remembered, for a place (the oldest first);
//! - **rate**: at most [`EngineLimits::max_events_per_s`] events a second are handled (relayed, and
//!   acted on); beyond that an event is not relayed and its container is only marked, to be
//!   inspected once, whatever the number of its events (coalesced per container); inspects run
//!   [`EngineLimits::concurrency`] at a time, and so do stream openings;
//! - **time**: connecting, the answer's head, and a whole finite answer each within
//!   [`EngineLimits::timeout`]; a stream silent for [`EngineLimits::idle`]: `/events` (a quiet host
//!   is silent) is then checked with `/_ping`, and a stats stream (Docker writes one a second) is
//!   closed.
//!
//! What is cut, refused, not followed or not answered is counted, logged (rate-limited per cause)
//! and told to the page ([`crate::notice`]).

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use http_body_util::combinators::MapErr;
use http_body_util::{BodyDataStream, BodyExt, Empty, LengthLimitError, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde::Deserialize;
use tokio::sync::Semaphore;
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;
use tokio_util::io::StreamReader;
use tokio_util::sync::CancellationToken;

use statscope_core::docker_api::{container_info_from_inspect, DockerEvent};
use statscope_core::protocol::{ContainerInfo, HostInfo, Message};

use statscope_core::model::podman::{self, Engine, PodmanStream};

pub use crate::endpoint::Endpoint;
use crate::endpoint::EngineSpec;
use crate::hub::Sink;
use crate::lines::{BoundedLines, Line};
use crate::notice::{bytes as size, mib, thousands, Cause, Notices};
use crate::source::{BoxFuture, Source};
use crate::tls::{TlsClient, TlsError};
use crate::{info_limited, warn_limited};

/// Why a request to Docker failed.
#[derive(Debug, thiserror::Error)]
pub enum DockerError {
    #[error("cannot connect: {0}")]
    Connect(std::io::Error),
    #[error("TLS: {0}")]
    Tls(#[from] crate::tls::TlsError),
    #[error("{0:?} is not one of the fixed requests statscope makes")]
    NotFixed(String),
    #[error("{what} took longer than {after:?}")]
    Timeout { what: String, after: Duration },
    #[error("HTTP: {0}")]
    Http(#[from] hyper::Error),
    #[error("reading: {0}")]
    Io(#[from] std::io::Error),
    #[error("{path} answered {status}")]
    Status { path: String, status: StatusCode },
    #[error("unexpected answer to {path}: {message}")]
    Body { path: String, message: String },
    #[error("{}", too_large(path, *.bytes, *.limit))]
    TooLarge {
        path: String,
        /// The announced length, if the engine announced one.
        bytes: Option<u64>,
        limit: usize,
    },
}

/// `/containers/json: the engine answered 1.5 GB, over the 32 MiB limit …; refused`.
fn too_large(path: &str, bytes: Option<u64>, limit: usize) -> String {
    let answered = match bytes {
        Some(n) => format!("answered {}, over", size(n)),
        None => "answered more than".to_string(),
    };
    format!(
        "{path}: the engine {answered} the {} limit (--max-engine-answer-mib); refused",
        mib(limit as u64)
    )
}

/// What the bridge reads from an engine, at most, and how long it waits (see the module docs).
#[derive(Clone, Debug, PartialEq)]
pub struct EngineLimits {
    /// Containers followed (one stats stream each).
    pub max_containers: usize,
    /// The largest `/containers/json` or inspect answer read.
    pub max_body_bytes: usize,
    /// The longest line read from `/events` or a stats stream.
    pub max_line_bytes: usize,
    /// Events handled per second (one second's worth may come at once).
    pub max_events_per_s: u32,
    /// Inspects at once, and stream openings at once.
    pub concurrency: usize,
    /// Connecting, an answer's head, a whole finite answer.
    pub timeout: Duration,
    /// A stream silent this long is checked (`/events`) or closed (stats).
    pub idle: Duration,
}

impl Default for EngineLimits {
    fn default() -> Self {
        EngineLimits {
            max_containers: 1000,
            max_body_bytes: 32 << 20,
            max_line_bytes: 1 << 20,
            max_events_per_s: 100,
            concurrency: 8,
            timeout: Duration::from_secs(10),
            idle: Duration::from_secs(60),
        }
    }
}

/// A minimal, read-only Docker Engine API client: plain HTTP on a Unix socket or TCP, or HTTPS
/// on TCP ([`crate::tls`]).
#[derive(Clone, Debug)]
pub struct Client {
    endpoint: Endpoint,
    limits: EngineLimits,
    /// `Some`: TLS on a TCP endpoint, the engine verified against its CA.
    tls: Option<TlsClient>,
}

/// Every request the client makes, and none other: `GET`s of these paths (`{id}`: a 64-hex
/// container ID the engine reported), without a body. `Client::get` refuses any other path;
/// SECURITY.md lists them; `bridge/tests/security.rs` checks that a fake engine sees only these.
pub const FIXED_GETS: [&str; 7] = [
    "/_ping",
    "/version",
    "/info",
    EVENTS_PATH,
    "/containers/json",
    "/containers/{id}/json",
    "/containers/{id}/stats?stream=true",
];

/// `/events` for containers only: `filters={"type":["container"]}`.
const EVENTS_PATH: &str = "/events?filters=%7B%22type%22%3A%5B%22container%22%5D%7D";

/// Whether `path` is one of [`FIXED_GETS`].
pub fn is_fixed_get(path: &str) -> bool {
    FIXED_GETS
        .iter()
        .any(|pattern| match pattern.split_once("{id}") {
            None => path == *pattern,
            Some((before, after)) => path
                .strip_prefix(before)
                .and_then(|rest| rest.strip_suffix(after))
                .is_some_and(is_container_id),
        })
}

/// What a response body is read through: its data as an `AsyncRead`.
type BodyReader =
    StreamReader<BodyDataStream<MapErr<Incoming, fn(hyper::Error) -> std::io::Error>>, Bytes>;

impl Client {
    pub fn new(endpoint: Endpoint) -> Client {
        Client::with_limits(endpoint, EngineLimits::default())
    }

    pub fn with_limits(endpoint: Endpoint, limits: EngineLimits) -> Client {
        Client::with_tls(endpoint, limits, None)
    }

    /// A client that speaks TLS to a TCP endpoint when `tls` is given (on a Unix socket, `tls`
    /// is not used: [`crate::endpoint::resolve`] never gives one there).
    pub fn with_tls(endpoint: Endpoint, limits: EngineLimits, tls: Option<TlsClient>) -> Client {
        Client {
            endpoint,
            limits,
            tls,
        }
    }

    /// The client for a resolved engine: its TLS files read and checked now.
    pub fn for_engine(spec: &EngineSpec, limits: EngineLimits) -> Result<Client, TlsError> {
        let tls = spec.tls.as_ref().map(TlsClient::load).transpose()?;
        Ok(Client::with_tls(spec.endpoint.clone(), limits, tls))
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// The TLS configuration, if the engine is reached over TLS.
    pub fn tls(&self) -> Option<&TlsClient> {
        self.tls.as_ref()
    }

    pub fn limits(&self) -> &EngineLimits {
        &self.limits
    }

    /// One `GET` on a fresh connection (the stats and events responses are long-lived anyway):
    /// connected, and the answer's head read, each within the timeout.
    /// Only [`FIXED_GETS`]; the TLS handshake, when there is one, is part of connecting.
    async fn get(&self, path: &str) -> Result<Response<Incoming>, DockerError> {
        if !is_fixed_get(path) {
            return Err(DockerError::NotFixed(path.to_string()));
        }
        let timeout = self.limits.timeout;
        let connect = async {
            match (&self.endpoint, &self.tls) {
                (Endpoint::Unix(socket), _) => {
                    let stream = tokio::net::UnixStream::connect(socket)
                        .await
                        .map_err(DockerError::Connect)?;
                    handshake(TokioIo::new(stream)).await
                }
                (Endpoint::Tcp(addr), None) => {
                    let stream = tokio::net::TcpStream::connect(addr)
                        .await
                        .map_err(DockerError::Connect)?;
                    handshake(TokioIo::new(stream)).await
                }
                (endpoint @ Endpoint::Tcp(addr), Some(tls)) => {
                    let stream = tokio::net::TcpStream::connect(addr)
                        .await
                        .map_err(DockerError::Connect)?;
                    let host = endpoint.tcp_host().unwrap_or_default();
                    let stream = tls.connect(stream, host).await?;
                    handshake(TokioIo::new(stream)).await
                }
            }
        };
        let (mut sender, connection_error) = tokio::time::timeout(timeout, connect)
            .await
            .map_err(|_| DockerError::Timeout {
                what: "connecting".into(),
                after: timeout,
            })??;
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
        let response = tokio::time::timeout(timeout, sender.send_request(request))
            .await
            .map_err(|_| DockerError::Timeout {
                what: format!("the answer to {}", path_only(path)),
                after: timeout,
            })?;
        let response = match response {
            Ok(response) => response,
            // The connection ended before the request went out: its own error says why (a TLS
            // engine refusing the client certificate after a TLS 1.3 handshake).
            Err(e) => {
                let why = tokio::time::timeout(Duration::from_secs(1), connection_error)
                    .await
                    .ok()
                    .and_then(Result::ok);
                return Err(self.http_error(why.unwrap_or(e)));
            }
        };
        if !response.status().is_success() {
            return Err(DockerError::Status {
                path: path.to_string(),
                status: response.status(),
            });
        }
        Ok(response)
    }

    /// An HTTP error, or the TLS refusal behind it (TLS 1.3: the engine refuses a client
    /// certificate after the handshake, when the request is sent).
    fn http_error(&self, e: hyper::Error) -> DockerError {
        let host = self.endpoint.tcp_host().unwrap_or_default();
        match self
            .tls
            .as_ref()
            .and_then(|tls| tls.explain_later(&e, host))
        {
            Some(tls) => DockerError::Tls(tls),
            None => DockerError::Http(e),
        }
    }

    /// A finite answer's whole body: at most [`EngineLimits::max_body_bytes`] (an announced
    /// length over it is refused unread), within the timeout.
    async fn body(&self, path: &str) -> Result<Bytes, DockerError> {
        Ok(self.answer(path).await?.1)
    }

    /// [`Client::body`], and the answer's headers.
    async fn answer(&self, path: &str) -> Result<(hyper::HeaderMap, Bytes), DockerError> {
        let response = self.get(path).await?;
        let limit = self.limits.max_body_bytes;
        let announced = response
            .headers()
            .get(hyper::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if let Some(bytes) = announced.filter(|&n| n > limit as u64) {
            return Err(DockerError::TooLarge {
                path: path_only(path).to_string(),
                bytes: Some(bytes),
                limit,
            });
        }
        let timeout = self.limits.timeout;
        let (head, body) = response.into_parts();
        let collected = tokio::time::timeout(timeout, Limited::new(body, limit).collect())
            .await
            .map_err(|_| DockerError::Timeout {
                what: format!("reading the answer to {}", path_only(path)),
                after: timeout,
            })?;
        match collected {
            Ok(body) => Ok((head.headers, body.to_bytes())),
            Err(e) if e.is::<LengthLimitError>() => Err(DockerError::TooLarge {
                path: path_only(path).to_string(),
                bytes: None,
                limit,
            }),
            Err(e) => match e.downcast::<hyper::Error>() {
                Ok(e) => Err(DockerError::Http(*e)),
                Err(e) => Err(DockerError::Body {
                    path: path.to_string(),
                    message: e.to_string(),
                }),
            },
        }
    }

    /// A streaming answer's lines, bounded in length.
    async fn lines(&self, path: &str) -> Result<Lines, DockerError> {
        let body = self.get(path).await?.into_body();
        let to_io: fn(hyper::Error) -> std::io::Error = std::io::Error::other;
        let reader = StreamReader::new(body.map_err(to_io).into_data_stream());
        Ok(Lines {
            inner: BoundedLines::new(reader, self.limits.max_line_bytes),
        })
    }

    /// `GET /_ping`: does a Docker Engine answer here?
    pub async fn ping(&self) -> Result<(), DockerError> {
        let body = self.body("/_ping").await?;
        if body.as_ref() == b"OK" {
            Ok(())
        } else {
            Err(DockerError::Body {
                path: "/_ping".into(),
                message: String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned(),
            })
        }
    }

    /// `GET /version`: which engine answers (Docker, or Podman through its Docker-compatible
    /// API: [`statscope_core::model::podman::recognize`]), its version and API version.
    pub async fn version(&self) -> Result<EngineVersion, DockerError> {
        let path = "/version";
        let (headers, body) = self.answer(path).await?;
        let server = headers
            .get(hyper::header::SERVER)
            .and_then(|v| v.to_str().ok());
        EngineVersion::parse(&body, server).map_err(|e| DockerError::Body {
            path: path.into(),
            message: e.to_string(),
        })
    }

    /// `GET /info`: the engine's name (the host's name), ID, CPUs and memory. Two engines on one
    /// machine answer the same `Name` and `ID` (and Podman a new random `ID` on every call): an
    /// engine is told apart by its endpoint, not by these.
    pub async fn info(&self) -> Result<EngineInfo, DockerError> {
        let path = "/info";
        let body = self.body(path).await?;
        serde_json::from_slice(&body).map_err(|e| DockerError::Body {
            path: path.into(),
            message: e.to_string(),
        })
    }

    /// `GET /containers/json`: the IDs of the running containers, newest first (Docker's order).
    pub async fn running_containers(&self) -> Result<Vec<String>, DockerError> {
        #[derive(Deserialize)]
        struct Summary {
            #[serde(rename = "Id")]
            id: String,
        }
        let path = "/containers/json";
        let body = self.body(path).await?;
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
        self.lines(EVENTS_PATH).await
    }

    /// `GET /containers/{id}/json` (inspect): the container's name, image and limits.
    pub async fn inspect(&self, id: &str) -> Result<ContainerInfo, DockerError> {
        Ok(self.inspect_state(id).await?.0)
    }

    /// Inspect, and whether the container is running.
    async fn inspect_state(&self, id: &str) -> Result<(ContainerInfo, bool), DockerError> {
        #[derive(Deserialize, Default)]
        struct State {
            #[serde(rename = "Running", default)]
            running: bool,
        }
        #[derive(Deserialize)]
        struct WithState {
            #[serde(rename = "State", default)]
            state: Option<State>,
        }
        if !is_container_id(id) {
            return Err(DockerError::Body {
                path: "/containers/{id}/json".into(),
                message: format!("{id:?} is not a container ID"),
            });
        }
        let path = format!("/containers/{id}/json");
        let body = self.body(&path).await?;
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
        let running = serde_json::from_slice::<WithState>(&body)
            .ok()
            .and_then(|w| w.state)
            .is_some_and(|s| s.running);
        Ok((info, running))
    }

    /// `GET /containers/{id}/stats?stream=true`: the stats objects, one per line.
    pub async fn stats(&self, id: &str) -> Result<Lines, DockerError> {
        if !is_container_id(id) {
            return Err(DockerError::Body {
                path: "/containers/{id}/stats".into(),
                message: format!("{id:?} is not a container ID"),
            });
        }
        self.lines(&format!("/containers/{id}/stats?stream=true"))
            .await
    }
}

/// What `GET /version` says (the keys Docker and Podman share).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EngineVersion {
    pub engine: Engine,
    /// `Version`: the engine's release (`28.2.2`, `4.3.1`).
    pub version: String,
    /// `ApiVersion`: the Docker API version it serves (`1.41`).
    pub api_version: String,
    /// `Os` (`linux`, `windows`).
    pub os: String,
    /// The HTTP `Server` header, if any (`Libpod/4.3.1 (linux)`).
    pub server: Option<String>,
}

impl EngineVersion {
    /// From `/version`'s body and the answer's `Server` header.
    pub fn parse(body: &[u8], server: Option<&str>) -> Result<EngineVersion, serde_json::Error> {
        #[derive(Deserialize)]
        struct Raw {
            #[serde(rename = "Version", default)]
            version: String,
            #[serde(rename = "ApiVersion", default)]
            api_version: String,
            #[serde(rename = "Os", default)]
            os: String,
        }
        let raw: Raw = serde_json::from_slice(body)?;
        let engine = podman::recognize(body, server);
        Ok(EngineVersion {
            engine,
            version: raw.version,
            api_version: raw.api_version,
            os: raw.os,
            server: server.map(str::to_string),
        })
    }
}

/// What `GET /info` says that statscope uses. Missing keys are empty or zero.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct EngineInfo {
    /// The host's name (as the engine reports it; not unique: see [`Client::info`]).
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "ID")]
    pub id: String,
    #[serde(rename = "ServerVersion")]
    pub server_version: String,
    /// `linux`, `windows`.
    #[serde(rename = "OSType")]
    pub os_type: String,
    #[serde(rename = "OperatingSystem")]
    pub operating_system: String,
    #[serde(rename = "NCPU")]
    pub cpus: u32,
    #[serde(rename = "MemTotal")]
    pub mem_total_bytes: u64,
    #[serde(rename = "ContainersRunning")]
    pub containers_running: u64,
}

/// `path` without its query, for messages (`/events`, not its filters).
fn path_only(path: &str) -> &str {
    path.split('?').next().unwrap_or(path)
}

/// What [`handshake`] gives: the request side, and the connection's error when it ends with one.
type Connected = (
    hyper::client::conn::http1::SendRequest<Empty<Bytes>>,
    tokio::sync::oneshot::Receiver<hyper::Error>,
);

async fn handshake<T>(io: TokioIo<T>) -> Result<Connected, DockerError>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static,
{
    let (sender, connection) = hyper::client::conn::http1::handshake(io).await?;
    let (error_tx, error_rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!(error = %e, "Docker connection closed");
            let _ = error_tx.send(e);
        }
    });
    Ok((sender, error_rx))
}

/// A full Docker container ID: 64 lowercase hex digits.
pub fn is_container_id(id: &str) -> bool {
    id.len() == 64 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The lines of a streaming response body (Docker ends every JSON object with `\n`), each at most
/// [`EngineLimits::max_line_bytes`] long ([`crate::lines`]).
#[derive(Debug)]
pub struct Lines {
    inner: BoundedLines<BodyReader>,
}

impl Lines {
    /// The next line (or a line skipped: too long, not UTF-8), or `None` at the end of the
    /// response. Cancel-safe.
    pub async fn next(&mut self) -> Result<Option<Line>, DockerError> {
        Ok(self.inner.next().await?)
    }

    /// The longest line read.
    pub fn max_bytes(&self) -> usize {
        self.inner.max_bytes()
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
    /// The host's key and name ([`Source::host`]); by default `docker`.
    pub name: String,
}

impl DockerSource {
    pub fn new(endpoint: Endpoint) -> DockerSource {
        DockerSource::with_limits(endpoint, EngineLimits::default())
    }

    pub fn with_limits(endpoint: Endpoint, limits: EngineLimits) -> DockerSource {
        DockerSource::with_client(Client::with_limits(endpoint, limits))
    }

    /// The source of an engine reached by `client` (see [`Client::for_engine`]).
    pub fn with_client(client: Client) -> DockerSource {
        DockerSource {
            client,
            linger: Duration::from_secs(3),
            backoff: (Duration::from_millis(500), Duration::from_secs(30)),
            name: "docker".to_string(),
        }
    }

    /// This source, its host named `name`.
    pub fn named(mut self, name: impl Into<String>) -> DockerSource {
        self.name = name.into();
        self
    }

    pub fn limits(&self) -> &EngineLimits {
        self.client.limits()
    }

    /// One connected session: until shutdown (`Ok`) or the daemon goes away (`Err`).
    /// `connected` is set once the daemon answered.
    async fn session(
        &self,
        sink: &Sink,
        shutdown: &CancellationToken,
        connected: &mut bool,
        engine: &mut Engine,
    ) -> Result<(), DockerError> {
        let mut events = self.client.container_events().await?;
        let running = self.client.running_containers().await?;
        // Podman's stats and events differ from Docker's; the adapter makes them Docker's.
        *engine = self.client.version().await?.engine;
        let engine = *engine;
        *connected = true;
        sink.set_host(self.host_in(engine, "up", None)).await;
        let notices = sink.notices();
        notices.clear(Cause::EngineUnreachable);
        notices.clear(Cause::EngineAnswerTooLarge);
        tracing::info!(
            docker = %self.client.endpoint(),
            containers = running.len(),
            "connected to Docker"
        );
        let mut s = Session::new(self, sink, shutdown, engine);
        for id in running {
            s.follow(id, true);
        }
        s.say_over_limit();
        let limits = self.client.limits();
        let mut housekeeping = tokio::time::interval(Duration::from_millis(500));
        housekeeping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut quiet_until = Instant::now() + limits.idle;
        let result = loop {
            s.start_inspects();
            tokio::select! {
                _ = shutdown.cancelled() => break Ok(()),
                line = events.next() => {
                    quiet_until = Instant::now() + limits.idle;
                    match line {
                        Ok(Some(Line::Text(line))) => s.on_event(&line).await,
                        Ok(Some(Line::TooLong)) => notices.cut(
                            Cause::LineTooLong,
                            1,
                            Some(events.max_bytes() as u64),
                            format!("an event line over {} from the engine; skipped", mib(events.max_bytes() as u64)),
                        ),
                        Ok(Some(Line::NotUtf8)) => {
                            warn_limited!("engine-event-not-utf8", "skipping an event line that is not UTF-8");
                        }
                        Ok(None) => break Err(DockerError::Body {
                            path: "/events".into(),
                            message: "the event stream ended (the daemon went away?)".into(),
                        }),
                        Err(e) => break Err(e),
                    }
                }
                Some(done) = s.inspects.join_next(), if !s.inspects.is_empty() => {
                    if let Ok(done) = done {
                        s.on_inspected(done).await;
                    }
                }
                _ = tokio::time::sleep_until(quiet_until) => {
                    // A quiet host sends no events for hours: is the daemon still there?
                    match self.client.ping().await {
                        Ok(()) => quiet_until = Instant::now() + limits.idle,
                        Err(e) => break Err(DockerError::Timeout {
                            what: format!("/events was silent for {:?}, and /_ping failed ({e}); the wait", limits.idle),
                            after: limits.idle,
                        }),
                    }
                }
                _ = housekeeping.tick() => s.housekeeping(),
            }
        };
        s.end();
        result
    }
}

/// One inspect's outcome: the container, the generation it was asked at, and the answer.
type Inspected = (String, u64, Result<(ContainerInfo, bool), DockerError>);

/// A connected session's state: which containers are followed, which wait, what is to be inspected.
struct Session<'a> {
    /// Docker, or Podman (whose stats and events go through [`podman`]).
    engine: Engine,
    source: &'a DockerSource,
    sink: &'a Sink,
    shutdown: &'a CancellationToken,
    limits: EngineLimits,
    /// One stats stream each, at most `max_containers`.
    followed: HashMap<String, StatsStream>,
    /// Running containers with no place yet, oldest first.
    waiting: OrderedSet,
    /// Whether some running containers were not even remembered (past the waiting list's bound):
    /// then the count of those not followed is a lower bound.
    overflowed: bool,
    /// To inspect (already paid for by the event budget), in order.
    to_inspect: OrderedSet,
    /// To look at again (their events were over the budget): inspected when the budget allows.
    to_recheck: OrderedSet,
    inspects: JoinSet<Inspected>,
    /// The generation of each container's inspect in flight; a `destroy` drops it, so its answer
    /// is not sent after the container's end.
    in_flight: HashMap<String, u64>,
    generation: u64,
    budget: Budget,
    /// Events over the budget since the last housekeeping.
    coalesced: u64,
    opening: Arc<Semaphore>,
}

impl<'a> Session<'a> {
    fn new(
        source: &'a DockerSource,
        sink: &'a Sink,
        shutdown: &'a CancellationToken,
        engine: Engine,
    ) -> Self {
        let limits = source.client.limits().clone();
        Session {
            engine,
            source,
            sink,
            shutdown,
            followed: HashMap::new(),
            waiting: OrderedSet::default(),
            overflowed: false,
            to_inspect: OrderedSet::default(),
            to_recheck: OrderedSet::default(),
            inspects: JoinSet::new(),
            in_flight: HashMap::new(),
            generation: 0,
            budget: Budget::new(limits.max_events_per_s),
            coalesced: 0,
            opening: Arc::new(Semaphore::new(limits.concurrency.max(1))),
            limits,
        }
    }

    /// The most running containers remembered while waiting for a place.
    fn max_waiting(&self) -> usize {
        self.limits.max_containers.saturating_mul(10).max(1000)
    }

    /// Follows a running container if there is room (then inspects it, if `inspect`); else it
    /// waits for a place.
    fn follow(&mut self, id: String, inspect: bool) {
        if let Some(s) = self.followed.get_mut(&id) {
            if !s.task.is_finished() {
                return;
            }
            self.followed.remove(&id);
        }
        if self.followed.len() >= self.limits.max_containers {
            if !self.waiting.contains(&id) {
                if self.waiting.len() < self.max_waiting() {
                    self.waiting.push(id);
                } else {
                    self.overflowed = true;
                }
            }
            return;
        }
        self.waiting.remove(&id);
        tracing::debug!(container = %short(&id), "streaming its stats");
        let stream = StatsStream::open(
            &self.source.client,
            id.clone(),
            self.sink,
            self.shutdown,
            self.opening.clone(),
            self.engine,
        );
        self.followed.insert(id.clone(), stream);
        if inspect {
            self.to_inspect.push(id);
        }
    }

    /// Tells the page (and the log) how many running containers are not followed, or that all are.
    fn say_over_limit(&self) {
        let notices = self.sink.notices();
        let unfollowed = self.waiting.len() as u64;
        if unfollowed == 0 {
            notices.clear(Cause::ContainersOverLimit);
            return;
        }
        let max = self.limits.max_containers as u64;
        let total = self.followed.len() as u64 + unfollowed;
        let more = if self.overflowed { "more than " } else { "" };
        notices.hold(
            Cause::ContainersOverLimit,
            unfollowed,
            Some(max),
            format!(
                "{more}{} containers, following {} (--max-containers)",
                thousands(total),
                thousands(self.followed.len() as u64)
            ),
        );
    }

    /// One line of `/events`: relays it as a lifecycle event, and follows the container — within
    /// the event budget; past it, the container is only marked to be looked at again.
    async fn on_event(&mut self, line: &str) {
        let Ok(mut event) = serde_json::from_str::<DockerEvent>(line) else {
            tracing::debug!(line, "ignoring an event that does not parse");
            return;
        };
        if self.engine == Engine::Podman {
            event = podman::docker_event(event);
        }
        let id = event.actor.id.clone();
        if !is_container_id(&id) {
            return;
        }
        let destroyed = event.action == "destroy";
        if destroyed {
            // Whatever comes of an inspect in flight, it must not follow the container's end.
            self.in_flight.remove(&id);
            self.to_inspect.remove(&id);
            self.to_recheck.remove(&id);
            self.waiting.remove(&id);
        }
        if !self.budget.take(Instant::now()) {
            self.coalesced += 1;
            // Past its bound the mark is lost (the event was counted as coalesced all the same).
            if !destroyed && self.to_recheck.len() < self.max_waiting() {
                self.to_recheck.push(id);
            }
            return;
        }
        if let Some(lifecycle) = event.lifecycle() {
            self.sink.send_message(Message::Event(lifecycle)).await;
        }
        match event.action.as_str() {
            "start" => {
                match self.followed.get_mut(&id) {
                    Some(s) if !s.task.is_finished() => {
                        s.close_at = None;
                        self.to_inspect.push(id);
                    }
                    _ => {
                        info_limited!("container-started", container = %short(&id), "container started; streaming its stats");
                        self.follow(id, true);
                    }
                }
                self.say_over_limit();
            }
            // `docker update` may have changed the limits.
            "update" if self.followed.contains_key(&id) => self.to_inspect.push(id),
            "die" => {
                if let Some(s) = self.followed.get_mut(&id) {
                    info_limited!("container-died", container = %short(&id), "container died; closing its stream soon");
                    s.close_at = Some(Instant::now() + self.source.linger);
                }
                if self.waiting.remove(&id) {
                    self.say_over_limit();
                }
            }
            "destroy" => self.say_over_limit(),
            _ => {}
        }
    }

    /// Starts inspects, at most `concurrency` at once: first those paid for, then rechecks as the
    /// event budget allows.
    fn start_inspects(&mut self) {
        while self.inspects.len() < self.limits.concurrency.max(1) {
            let id = match self.to_inspect.pop() {
                Some(id) => id,
                None if !self.to_recheck.is_empty() && self.budget.take(Instant::now()) => {
                    match self.to_recheck.pop() {
                        Some(id) => id,
                        None => break,
                    }
                }
                None => break,
            };
            self.generation += 1;
            let generation = self.generation;
            self.in_flight.insert(id.clone(), generation);
            let client = self.source.client.clone();
            self.inspects.spawn(async move {
                let result = client.inspect_state(&id).await;
                (id, generation, result)
            });
        }
    }

    /// An inspect's answer: container info for a followed container; a recheck's verdict (running:
    /// follow it; not running: let its stream go).
    async fn on_inspected(&mut self, (id, generation, result): Inspected) {
        if self.in_flight.get(&id) != Some(&generation) {
            return; // destroyed meanwhile, or asked again since
        }
        self.in_flight.remove(&id);
        match result {
            Ok((info, running)) => {
                if running && !self.followed.contains_key(&id) {
                    self.follow(id.clone(), false);
                    self.say_over_limit();
                } else if !running {
                    if let Some(s) = self.followed.get_mut(&id) {
                        s.close_at
                            .get_or_insert(Instant::now() + self.source.linger);
                    }
                    if self.waiting.remove(&id) {
                        self.say_over_limit();
                    }
                }
                if self.followed.contains_key(&id) {
                    self.sink.send_message(Message::Container(info)).await;
                }
            }
            Err(DockerError::Status { status, .. }) if status == StatusCode::NOT_FOUND => {
                info_limited!("container-gone", container = %short(&id), "the container is gone; no info for it");
                if self.waiting.remove(&id) {
                    self.say_over_limit();
                }
            }
            Err(e @ DockerError::TooLarge { .. }) => {
                self.sink.notices().cut(
                    Cause::EngineAnswerTooLarge,
                    1,
                    Some(self.limits.max_body_bytes as u64),
                    format!("{e}; no info for container {}", short(&id)),
                );
            }
            Err(e) => {
                warn_limited!("engine-inspect-failed", container = %short(&id), error = %e,
                    "cannot inspect the container; no info for it");
            }
        }
    }

    /// Every half second: closes the streams of containers that died (after the linger) or
    /// ended, gives their places to waiting containers, and says what was coalesced.
    fn housekeeping(&mut self) {
        let now = Instant::now();
        let before = self.followed.len();
        self.followed.retain(|id, s| {
            let keep = !s.task.is_finished() && s.close_at.is_none_or(|t| t > now);
            if !keep {
                tracing::debug!(container = %short(id), "stats stream closed");
                s.task.abort();
            }
            keep
        });
        let mut changed = self.followed.len() != before;
        while self.followed.len() < self.limits.max_containers {
            let Some(id) = self.waiting.pop() else { break };
            self.follow(id, true);
            changed = true;
        }
        if changed {
            self.say_over_limit();
        }
        if self.coalesced > 0 {
            let n = std::mem::take(&mut self.coalesced);
            let per_s = self.limits.max_events_per_s;
            self.sink.notices().cut(
                Cause::EventFlood,
                n,
                Some(u64::from(per_s)),
                format!(
                    "the engine sent events faster than {per_s}/s (--max-events-per-s): the rest were not relayed, and their containers are looked at once each"
                ),
            );
        }
    }

    fn end(&mut self) {
        for (_, s) in self.followed.drain() {
            s.task.abort();
        }
        self.inspects.abort_all();
    }
}

/// Container IDs in arrival order, each once.
#[derive(Debug, Default)]
struct OrderedSet {
    order: VecDeque<String>,
    members: HashSet<String>,
}

impl OrderedSet {
    fn push(&mut self, id: String) {
        if self.members.insert(id.clone()) {
            self.order.push_back(id);
        }
    }

    fn pop(&mut self) -> Option<String> {
        while let Some(id) = self.order.pop_front() {
            if self.members.remove(&id) {
                return Some(id);
            }
        }
        None
    }

    /// Removes `id` (its place in the order is skipped later); whether it was there.
    fn remove(&mut self, id: &str) -> bool {
        let was = self.members.remove(id);
        // Keep the order's leftovers bounded: compact once they outnumber the members.
        if was && self.order.len() > 2 * self.members.len() + 64 {
            let members = &self.members;
            self.order.retain(|id| members.contains(id));
        }
        was
    }

    fn contains(&self, id: &str) -> bool {
        self.members.contains(id)
    }

    fn len(&self) -> usize {
        self.members.len()
    }

    fn is_empty(&self) -> bool {
        self.members.is_empty()
    }
}

/// A token bucket: `per_s` a second, up to one second's worth at once.
#[derive(Debug)]
struct Budget {
    per_s: f64,
    tokens: f64,
    at: Instant,
}

impl Budget {
    fn new(per_s: u32) -> Budget {
        let per_s = f64::from(per_s.max(1));
        Budget {
            per_s,
            tokens: per_s,
            at: Instant::now(),
        }
    }

    fn take(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.per_s).min(self.per_s);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
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
    fn open(
        client: &Client,
        id: String,
        sink: &Sink,
        shutdown: &CancellationToken,
        opening: Arc<Semaphore>,
        engine: Engine,
    ) -> StatsStream {
        let (client, sink, shutdown) = (client.clone(), sink.clone(), shutdown.clone());
        let mut podman = (engine == Engine::Podman).then(|| PodmanStream::new(&id, sink.host()));
        let task = tokio::spawn(async move {
            let opened = async {
                let _permit = opening.acquire_owned().await;
                client.stats(&id).await
            };
            let mut lines = tokio::select! {
                _ = shutdown.cancelled() => return,
                opened = opened => match opened {
                    Ok(lines) => lines,
                    Err(DockerError::Status { status, .. }) if status == StatusCode::NOT_FOUND => {
                        tracing::debug!(container = %short(&id), "no stats stream: the container is gone");
                        return;
                    }
                    Err(e) => {
                        sink.notices().cut(
                            Cause::StreamFailed,
                            1,
                            None,
                            format!("cannot open the stats stream of container {}: {e}", short(&id)),
                        );
                        return;
                    }
                },
            };
            let idle = client.limits().idle;
            loop {
                let line = tokio::select! {
                    _ = shutdown.cancelled() => return,
                    line = tokio::time::timeout(idle, lines.next()) => line,
                };
                match line {
                    Ok(Ok(Some(Line::Text(object)))) => {
                        let sent = match podman.as_mut() {
                            None => sink.send_stats(&object).await,
                            Some(stream) => match stream.sample_from_json(&object) {
                                Ok(sample) => sink.send_sample(sample).await,
                                Err(e) => {
                                    sink.unreadable(1, &e.to_string());
                                    true
                                }
                            },
                        };
                        if !sent {
                            return;
                        }
                    }
                    Ok(Ok(Some(Line::TooLong))) => sink.notices().cut(
                        Cause::LineTooLong,
                        1,
                        Some(lines.max_bytes() as u64),
                        format!(
                            "a stats line over {} from the engine (container {}); skipped",
                            mib(lines.max_bytes() as u64),
                            short(&id)
                        ),
                    ),
                    Ok(Ok(Some(Line::NotUtf8))) => {
                        warn_limited!("engine-stats-not-utf8", container = %short(&id),
                            "skipping a stats line that is not UTF-8");
                    }
                    Ok(Ok(None)) => {
                        // Podman ends a stopped container's stream instead of sending Docker's
                        // empty samples: say it stopped as Docker would.
                        if let Some(stream) = podman.as_ref() {
                            sink.send_sample(stream.ended()).await;
                        }
                        return;
                    }
                    Ok(Err(e)) => {
                        tracing::debug!(container = %short(&id), error = %e, "stats stream ended");
                        return;
                    }
                    Err(_) => {
                        sink.notices().cut(
                            Cause::StreamIdle,
                            1,
                            None,
                            format!(
                                "the stats stream of container {} was silent for {idle:?}; closed",
                                short(&id)
                            ),
                        );
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

impl DockerSource {
    /// This host as it is now (`engine`: what answered last; Docker until one has).
    fn host_in(&self, engine: Engine, state: &str, error: Option<String>) -> HostInfo {
        let tls = if self.client.tls().is_some() {
            " (TLS)"
        } else {
            ""
        };
        HostInfo {
            host: self.name.clone(),
            name: self.name.clone(),
            engine: match engine {
                Engine::Docker => "docker",
                Engine::Podman => "podman",
            }
            .to_string(),
            describe: format!("{}{tls}", self.client.endpoint()),
            state: state.to_string(),
            error,
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
    fn host(&self) -> HostInfo {
        self.host_in(Engine::Docker, "connecting", None)
    }
    fn run(self: Box<Self>, sink: Sink, shutdown: CancellationToken) -> BoxFuture {
        Box::pin(async move {
            let (first, longest) = self.backoff;
            let mut wait = first;
            let mut failures: u64 = 0;
            let mut engine = Engine::Docker;
            loop {
                let mut connected = false;
                let result = self
                    .session(&sink, &shutdown, &mut connected, &mut engine)
                    .await;
                if shutdown.is_cancelled() {
                    return;
                }
                if connected {
                    wait = first;
                    failures = 0;
                }
                let error = match result {
                    Ok(()) => return,
                    Err(e) => e,
                };
                failures += 1;
                // Jitter in [0.75, 1.25) × wait, from the clock's low bits (no RNG needed here).
                let nanos = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.subsec_nanos());
                let jitter = 0.75 + f64::from(nanos % 1000) / 2000.0;
                let pause = wait.mul_f64(jitter);
                sink.set_host(self.host_in(engine, "down", Some(error.to_string())))
                    .await;
                say_session_failed(
                    sink.notices(),
                    &self.client,
                    &error,
                    connected,
                    failures,
                    pause,
                );
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = tokio::time::sleep(pause) => {}
                }
                wait = (wait * 2).min(longest);
            }
        })
    }
}

/// Tells the page and the log why the session ended and when the next attempt is.
fn say_session_failed(
    notices: &Notices,
    client: &Client,
    error: &DockerError,
    was_connected: bool,
    failures: u64,
    retry_in: Duration,
) {
    let retry = format!("retrying in {:.1} s", retry_in.as_secs_f64());
    match error {
        DockerError::TooLarge { limit, .. } => notices.hold(
            Cause::EngineAnswerTooLarge,
            failures,
            Some(*limit as u64),
            format!("{error}; {retry}"),
        ),
        _ => {
            let what = if was_connected {
                "lost the Docker Engine"
            } else {
                "no answer from the Docker Engine"
            };
            notices.hold(
                Cause::EngineUnreachable,
                failures,
                None,
                format!("{what} at {}: {error}; {retry}", client.endpoint()),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
