//! `statscope serve`'s HTTP side: the WebSocket feed at `/ws`, the page's static files, and the rules
//! that keep both to their owner.
//!
//! Routes (GET only; anything else is 404 or 405):
//! - `/ws`: a WebSocket of stats frames ([`crate::hub`]). Before the first frame the server sends one
//!   hello message, `{"type":"statscope.hello","source":…,"describe":…,"version":…}`, then what the
//!   hub retained for late viewers (the latest `statscope.container` per container, the recent
//!   `statscope.event` messages, the active `statscope.notice` of each cause;
//!   [`statscope_core::protocol`]); when this client falls behind,
//!   `{"type":"statscope.dropped","frames":n,"total":n}`; and every [`ServerConfig::heartbeat`] a
//!   ping plus `{"type":"statscope.heartbeat"}` (browsers do not show pings to scripts). Each of
//!   these is a whole frame starting with `{"type"`; a page that does not know one can ignore it.
//!   `docs/protocol.md` describes them all. A page may say what it shows (`?subscribe=` with a
//!   `statscope.subscribe` message's text, or that message sent later, any number of times): it is
//!   then sent only those containers' samples and messages, each newly shown one after its history,
//!   at most `--max-per-page` containers, and told what it gets of how many (`statscope.subscribed`;
//!   [`crate::view`]). A page that never subscribes gets everything. Anything else a client sends
//!   is discarded.
//! - `/ws/check`: why `/ws` would refuse this request, for a page to say (a browser hides a
//!   refused upgrade's status from scripts): `{"ws":"ok"}`, `{"ws":"origin"}` or `{"ws":"token"}`
//!   ([`ws_check`]; the same rules as `/ws`, the origin first, so a foreign page learns nothing of
//!   the token).
//! - `/`, `/index.html`: the page. `/www/…`, `/pkg/…`: its scripts and the Wasm build.
//!
//! Security rules, each tested:
//! - A WebSocket upgrade whose `Origin` is neither this server's own origin nor an allowed one is
//!   refused (403): a cross-site page must not read a user's container stats. No `Origin` (a
//!   non-browser client) is allowed. "Own" needs a `Host` that DNS cannot rebind (an IP literal
//!   or `localhost`); a page served under another name must be allowed with `--allow-origin`.
//! - With a token, `/ws` requires it as `?token=` or `Authorization: Bearer`, compared in constant time.
//! - Static files: no directory listing, no `..`, and the resolved path (symlinks followed) must stay
//!   inside its folder; anything else is 404. The page (`index.html`) is sent with a
//!   Content-Security-Policy ([`page_csp`]: its own scripts and Wasm only; framed only by itself and
//!   the `--allow-origin` origins); every other file with one that allows nothing. CORS headers go
//!   only on what a dashboard of an `--allow-origin` origin imports to embed the chart
//!   (`www/statscope-chart.js` and `pkg/…`), and only to that origin ([`is_embeddable`]).
//! - Nothing here talks to Docker: no request path or body ever reaches the Docker API.
//!
//! Bounds, each a flag ([`crate::cli`]) and tested: connections are capped in total and per peer
//! address, an idle one making room for a new one ([`crate::conn`]); a request's head must arrive
//! within [`ServerConfig::header_timeout`] (so must the next one on a kept-alive connection); a
//! WebSocket's buffers start small ([`WS_READ_BUFFER_BYTES`]). HTTP/1.1 only (what browsers speak to
//! a plain-HTTP server), served with hyper's connection builder rather than `axum::serve`, which
//! has no header timeout and no caps. Refusals are counted, logged rate-limited per cause
//! ([`crate::ratelog`]) and, for connections over a cap, told to the page ([`crate::notice`]).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde::Deserialize;
use subtle::ConstantTimeEq;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

use statscope_core::protocol::{self, Dropped, Subscribe, Subscribed};

use crate::conn::{ConnLimits, ConnState, CountedIo, Refusal, Registry};
use crate::hub::{host_key, Hub, HubConfig, Out, Resume};
use crate::notice::{thousands, Cause, Notices};
use crate::source::Source;
use crate::view::{Ranking, View};
use crate::{ratelog, warn_limited};

/// A WebSocket's read buffer to start with (tungstenite's default is 128 KiB, allocated at once for
/// each connection: 5,000 idle viewers held 640 MiB). Clients send nothing; it grows if they do,
/// up to the 64 KiB message limit.
pub const WS_READ_BUFFER_BYTES: usize = 4 << 10;

/// The largest request head read (a browser's GET with its cookies is a few KiB).
pub const MAX_REQUEST_HEAD_BYTES: usize = 64 << 10;

/// The largest message or frame a client may send (it has nothing to say).
pub const WS_MAX_MESSAGE_BYTES: usize = 64 << 10;

/// How the server behaves.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// The folder holding `index.html`, `www/` and `pkg/`.
    pub web_root: PathBuf,
    /// Origins allowed to open `/ws` besides the server's own (`http://host:port`, exact).
    pub allowed_origins: Vec<String>,
    /// A token `/ws` requires, if any.
    pub token: Option<String>,
    /// Ping interval on each WebSocket.
    pub heartbeat: Duration,
    /// A client whose socket accepts nothing for this long is disconnected.
    pub send_timeout: Duration,
    /// Kernel send buffer per connection, bytes (the kernel may round it).
    pub socket_send_buffer: usize,
    /// Connections at once, in total and per peer address.
    pub conn: ConnLimits,
    /// A request's head (or the next one, on a kept-alive connection) must arrive within this.
    pub header_timeout: Duration,
    pub hub: HubConfig,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            web_root: PathBuf::from("."),
            allowed_origins: Vec::new(),
            token: None,
            heartbeat: Duration::from_secs(20),
            send_timeout: Duration::from_secs(30),
            socket_send_buffer: 256 << 10,
            conn: ConnLimits::default(),
            header_timeout: Duration::from_secs(10),
            hub: HubConfig::default(),
        }
    }
}

struct AppState {
    config: ServerConfig,
    hub: Hub,
    heartbeat: Utf8Bytes,
    shutdown: CancellationToken,
}

/// Serves `sources` (one per host) on `listener` until `shutdown` is cancelled, then closes every
/// WebSocket and returns.
pub async fn run(
    listener: TcpListener,
    sources: Vec<Box<dyn Source>>,
    config: ServerConfig,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    run_with(listener, sources, config, Notices::default(), shutdown).await
}

/// [`run`] with a given notice board (a source may have posted on it already).
pub async fn run_with(
    listener: TcpListener,
    sources: Vec<Box<dyn Source>>,
    mut config: ServerConfig,
    notices: Notices,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let hosts: Vec<_> = sources.iter().map(|s| s.host()).collect();
    let keys = unique_keys(hosts.iter().map(|h| h.host.as_str()));
    if config.hub.source.is_empty() {
        config.hub.source = match sources.first() {
            Some(first) => first.kind().to_string(),
            None => "none".to_string(),
        };
    }
    if config.hub.describe.is_empty() {
        config.hub.describe = match sources.as_slice() {
            [one] => one.describe(),
            many => format!(
                "{} hosts: {}",
                many.len(),
                hosts
                    .iter()
                    .map(|h| h.describe.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
    }
    let (hub, sink) = Hub::start_with(config.hub.clone(), notices.clone(), shutdown.clone());
    let send_buffer = config.socket_send_buffer;
    let header_timeout = config.header_timeout;
    let registry = Registry::new(config.conn);
    for ((source, mut host), key) in sources.into_iter().zip(hosts).zip(keys) {
        if source.many_hosts() {
            tracing::info!(source = source.kind(), "following {}", source.describe());
            tokio::spawn(source.run(sink.clone(), shutdown.clone()));
            continue;
        }
        let sink = sink.for_host(&key);
        tracing::info!(source = source.kind(), host = %key, "relaying {}", source.describe());
        host.host = key;
        hub.add_host(host);
        tokio::spawn(source.run(sink, shutdown.clone()));
    }
    let state = Arc::new(AppState {
        config,
        hub,
        heartbeat: protocol::Message::Heartbeat.encode().into(),
        shutdown: shutdown.clone(),
    });
    let app = router(state);
    tokio::spawn(say_suppressed_logs(shutdown.clone()));
    loop {
        let (tcp, peer) = tokio::select! {
            _ = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors, most likely: wait a little rather than spin.
                    warn_limited!("accept-failed", error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let ticket = match registry.admit(peer.ip()) {
            Ok(ticket) => ticket,
            Err(why) => {
                refuse(&tcp, why, peer.ip(), &registry, &notices);
                continue;
            }
        };
        // Bound what the kernel holds for each client: a stalled client then costs at most this
        // much, and falls behind in the hub's ring (counted drops) instead of in megabytes of
        // socket buffer.
        if let Err(e) = socket2::SockRef::from(&tcp).set_send_buffer_size(send_buffer) {
            tracing::debug!(error = %e, "cannot bound a client's socket send buffer");
        }
        let _ = tcp.set_nodelay(true);
        tokio::spawn(connection(
            tcp,
            ticket,
            app.clone(),
            header_timeout,
            shutdown.clone(),
        ));
    }
    // Each connection task closes on `shutdown` (WebSockets with a Close frame); give them a moment.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while registry.open() > 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

/// Host keys made unique in order: the first of a key keeps it, the next ones get `-2`, `-3`…
/// (each made subject-safe first, [`host_key`]).
pub fn unique_keys<'a>(keys: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut taken = std::collections::HashSet::new();
    keys.into_iter()
        .map(|key| {
            let key = host_key(key);
            let mut unique = key.clone();
            let mut n = 1;
            while !taken.insert(unique.clone()) {
                n += 1;
                unique = format!("{key}-{n}");
            }
            unique
        })
        .collect()
}

/// Refuses a connection over a cap: a plain 503 if the socket takes it at once, then closed;
/// counted, logged (rate-limited) and told to the page.
fn refuse(
    tcp: &TcpStream,
    why: Refusal,
    peer: std::net::IpAddr,
    registry: &Registry,
    notices: &Notices,
) {
    let _ = tcp.try_write(
        b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\nRetry-After: 5\r\n\r\n",
    );
    let limits = registry.limits();
    let (limit, text) = match why {
        Refusal::Total => (
            limits.max_total,
            format!(
                "refused connections: {} open, the limit (--max-connections), none idle",
                thousands(limits.max_total as u64)
            ),
        ),
        Refusal::PerPeer => (
            limits.max_per_peer,
            format!(
                "refused connections from {peer}: {} open from it, the limit (--max-connections-per-address), none idle",
                thousands(limits.max_per_peer as u64)
            ),
        ),
    };
    notices.cut(Cause::ConnectionsRefused, 1, Some(limit as u64), text);
}

/// Serves one connection (HTTP/1.1, upgrades to WebSocket allowed) until it ends, the registry
/// closes it to make room, or the server shuts down.
async fn connection(
    tcp: TcpStream,
    ticket: crate::conn::Ticket,
    app: Router,
    header_timeout: Duration,
    shutdown: CancellationToken,
) {
    let state = ticket.state();
    let evicted = ticket.closed();
    let io = TokioIo::new(CountedIo::new(tcp, ticket));
    let service =
        hyper::service::service_fn(move |mut request: hyper::Request<hyper::body::Incoming>| {
            let app = app.clone();
            let state = state.clone();
            state.begin_request();
            request.extensions_mut().insert(state.clone());
            async move {
                let response = app.oneshot(request).await;
                state.end_request();
                response
            }
        });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        // A request head larger than this is refused (431): hyper's default, ~400 KiB, would let
        // each of 512 slow connections hold that much.
        .max_buf_size(MAX_REQUEST_HEAD_BYTES)
        .max_header_size(MAX_REQUEST_HEAD_BYTES)
        .serve_connection(io, service)
        .with_upgrades();
    tokio::pin!(conn);
    tokio::select! {
        result = conn.as_mut() => {
            if let Err(e) = result {
                tracing::debug!(error = %e, "a connection ended with an error");
            }
        }
        _ = evicted.cancelled() => {
            tracing::debug!("closed an idle connection to make room");
        }
        _ = shutdown.cancelled() => {
            conn.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(Duration::from_secs(2), conn).await;
        }
    }
}

/// Says, every so often, how many log lines of each cause were suppressed.
async fn say_suppressed_logs(shutdown: CancellationToken) {
    let limiter = ratelog::global();
    let mut tick = tokio::time::interval(limiter.every());
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tick.tick() => ratelog::say_suppressed(limiter),
        }
    }
}

fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/ws", get(ws_upgrade))
        .route("/ws/check", get(ws_check))
        .route("/", get(index))
        .route("/index.html", get(index))
        .route("/www/{*path}", get(www))
        .route("/pkg/{*path}", get(pkg))
        .fallback(|| async { StatusCode::NOT_FOUND })
        .with_state(state)
}

#[derive(Deserialize)]
struct WsQuery {
    token: Option<String>,
    /// `binary`: every frame as a binary WebSocket message holding the same UTF-8 JSON (a page
    /// then skips decoding it into a JS string); `text` (the default): text messages.
    frames: Option<String>,
    /// `run:seq`: a page coming back to the same run of the bridge, with every sample up to `seq`;
    /// it is sent only what came after (see [`crate::hub::Hub::subscribe`]).
    resume: Option<String>,
    /// A `statscope.subscribe` message's text: the page gets only what it shows (see
    /// [`crate::view`]).
    subscribe: Option<String>,
}

async fn ws_upgrade(
    State(state): State<Arc<AppState>>,
    conn: Option<Extension<ConnState>>,
    headers: HeaderMap,
    Query(query): Query<WsQuery>,
    ws: WebSocketUpgrade,
) -> Response {
    if let Err(why) = check_origin(&headers, &state.config.allowed_origins) {
        // A cross-site page may retry for ever: one line per 30 s, with the count.
        warn_limited!("ws-origin-refused", %why, "refused a WebSocket upgrade");
        return (StatusCode::FORBIDDEN, why).into_response();
    }
    if let Some(expected) = &state.config.token {
        if !token_matches(expected, &headers, query.token.as_deref()) {
            warn_limited!(
                "ws-token-refused",
                "refused a WebSocket upgrade without the right token"
            );
            return (StatusCode::UNAUTHORIZED, "a valid token is required").into_response();
        }
    }
    let binary = match query.frames.as_deref() {
        None | Some("text") => false,
        Some("binary") => true,
        Some(other) => {
            let why = format!("frames={other:?}: expected frames=text or frames=binary");
            return (StatusCode::BAD_REQUEST, why).into_response();
        }
    };
    // A resume token that cannot be read is a fresh start, not an error: the page gets everything.
    let resume = query.resume.as_deref().and_then(Resume::parse);
    let subscribe = match query.subscribe.as_deref().map(protocol::Message::decode) {
        None => None,
        Some(Ok(Some(protocol::Message::Subscribe(s)))) => Some(s),
        Some(other) => {
            let why = match other {
                Err(e) => e.to_string(),
                _ => "not a statscope.subscribe message".to_string(),
            };
            return (StatusCode::BAD_REQUEST, format!("subscribe: {why}")).into_response();
        }
    };
    if let Some(Extension(conn)) = conn {
        conn.mark_websocket();
    }
    // Both limits: a frame's declared length is checked before its payload is buffered, so a client
    // cannot make the server reserve the default 16 MiB per connection. Small buffers to start with
    // (see WS_READ_BUFFER_BYTES); frames are written at once (the hub already batches them).
    ws.max_message_size(WS_MAX_MESSAGE_BYTES)
        .max_frame_size(WS_MAX_MESSAGE_BYTES)
        .read_buffer_size(WS_READ_BUFFER_BYTES)
        .write_buffer_size(0)
        .on_upgrade(move |socket| client(socket, state, binary, resume, subscribe))
}

#[derive(Deserialize)]
struct CheckQuery {
    token: Option<String>,
}

/// Why `/ws` would refuse a request with these headers and this `?token=`: `"origin"` (checked
/// first: a page of a foreign origin learns only that), `"token"`, or `"ok"`, as
/// `{"ws":"…"}`. Readable by any page (`Access-Control-Allow-Origin: *`, no credentials), so that
/// a dashboard whose origin is not allowed can say so; what that tells a foreign page is that a
/// statscope bridge answers here and does not allow it (SECURITY.md). Never cached.
async fn ws_check(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(query): Query<CheckQuery>,
) -> Response {
    let verdict = if check_origin(&headers, &state.config.allowed_origins).is_err() {
        "origin"
    } else if state
        .config
        .token
        .as_deref()
        .is_some_and(|expected| !token_matches(expected, &headers, query.token.as_deref()))
    {
        "token"
    } else {
        "ok"
    };
    let mut response = format!("{{\"ws\":\"{verdict}\"}}").into_response();
    let h = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_TYPE, "application/json"),
        (header::CACHE_CONTROL, "no-store"),
        (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    ] {
        h.insert(name, HeaderValue::from_static(value));
    }
    h.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("cross-origin"),
    );
    response
}

/// `Ok` for no `Origin`, the server's own origin (same host and port as `Host`), or an allowed one.
pub fn check_origin(headers: &HeaderMap, allowed: &[String]) -> Result<(), String> {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Ok(());
    };
    let origin = origin
        .to_str()
        .map_err(|_| "an Origin that is not text".to_string())?
        .trim_end_matches('/')
        .to_ascii_lowercase();
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    // The page's own origin is trusted only where DNS cannot rebind it: a page of
    // `http://evil.example:8080` whose name the attacker re-pointed at 127.0.0.1 sends a matching
    // `Host: evil.example:8080`. A named host must be listed with --allow-origin.
    let own = host_cannot_be_rebound(&host)
        && (origin == format!("http://{host}") || origin == format!("https://{host}"));
    let listed = is_listed(&origin, allowed);
    if own || listed {
        Ok(())
    } else {
        Err(format!(
            "cross-origin WebSocket from {origin} refused (allow it with --allow-origin {origin})"
        ))
    }
}

/// Whether `origin` is one of the `--allow-origin` origins (a trailing `/` and case aside).
fn is_listed(origin: &str, allowed: &[String]) -> bool {
    let origin = origin.trim_end_matches('/');
    allowed
        .iter()
        .any(|a| a.trim_end_matches('/').eq_ignore_ascii_case(origin))
}

/// Whether a `Host` header (`name[:port]`) names this machine in a way no DNS answer can change: an
/// IP literal, or `localhost` (browsers resolve it themselves).
fn host_cannot_be_rebound(host: &str) -> bool {
    let port_ok = |port: &str| port.is_empty() || port.parse::<u16>().is_ok();
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split_once(']').is_some_and(|(ip, port)| {
            ip.parse::<std::net::Ipv6Addr>().is_ok()
                && (port.is_empty() || port.strip_prefix(':').is_some_and(port_ok))
        });
    }
    let (name, port) = host.split_once(':').unwrap_or((host, ""));
    port_ok(port) && (name.parse::<std::net::Ipv4Addr>().is_ok() || name == "localhost")
}

/// The token from `?token=` or `Authorization: Bearer` (the scheme in any case, as HTTP says),
/// compared in constant time.
pub fn token_matches(expected: &str, headers: &HeaderMap, query: Option<&str>) -> bool {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .and_then(|(scheme, token)| scheme.eq_ignore_ascii_case("bearer").then_some(token));
    let given = query.or(bearer).unwrap_or("");
    // An empty token (`--token ""`) must not let in every client that sends none.
    if expected.is_empty() || given.is_empty() {
        return false;
    }
    // `ct_eq` on slices of different lengths is false without comparing: only the length leaks.
    bool::from(expected.as_bytes().ct_eq(given.as_bytes()))
}

/// What a subscribed page is sent (see [`crate::view`]): the containers it shows now, and from which
/// sequence number on each newly shown one's samples are live (its history went before).
struct PageView {
    view: View,
    shown: HashSet<Arc<str>>,
    seams: HashMap<Arc<str>, u64>,
    said: Option<Subscribed>,
}

impl PageView {
    fn new(subscribe: Subscribe, cap: usize) -> PageView {
        PageView {
            view: View { subscribe, cap },
            shown: HashSet::new(),
            seams: HashMap::new(),
            said: None,
        }
    }

    fn shows(&self, key: &str) -> bool {
        self.shown.contains(key)
    }

    /// Whether a live sample goes to this page.
    fn forwards(&self, seq: u64, key: &str) -> bool {
        self.shown.contains(key) && self.seams.get(key).is_none_or(|&seam| seq > seam)
    }
}

/// One WebSocket client: hello, what a late viewer must know, then frames as they come, pings, and
/// a note when frames were dropped. A page that subscribes (`?subscribe=` or a
/// `statscope.subscribe` message) gets only what it shows.
async fn client(
    mut socket: WebSocket,
    state: Arc<AppState>,
    binary: bool,
    resume: Option<Resume>,
    subscribe: Option<Subscribe>,
) {
    // The same UTF-8 JSON either way; as a binary message it is passed on without a copy.
    let message = |frame: Utf8Bytes| {
        if binary {
            Message::Binary(frame.into())
        } else {
            Message::Text(frame)
        }
    };
    let hub = &state.hub;
    let config = &state.config;
    let mut ranking = hub.ranking();
    let mut page = subscribe.map(|s| PageView::new(s, hub.max_per_page()));
    if let Some(p) = page.as_mut() {
        let selected = p.view.select(&ranking.borrow_and_update());
        p.shown = selected.shown;
        p.said = Some(selected.said);
    }
    let subscription = hub.subscribe_to(resume.as_ref(), page.as_ref().map(|p| &p.shown));
    let mut frames = subscription.frames;
    let mut dropped: u64 = 0;
    let mut heartbeat = tokio::time::interval(config.heartbeat);
    heartbeat.tick().await; // the first tick is immediate
    let said = page
        .as_ref()
        .and_then(|p| p.said.clone())
        .map(|s| Utf8Bytes::from(protocol::Message::Subscribed(s).encode()));
    // Hello, what it shows of how many, and container infos, recent events, notices and history
    // from before this client subscribed; the rest comes live.
    for frame in std::iter::once(subscription.hello)
        .chain(said)
        .chain(subscription.first)
    {
        if send(&mut socket, message(frame), config.send_timeout)
            .await
            .is_err()
        {
            return;
        }
    }
    loop {
        let mut next: Vec<Message> = Vec::new();
        tokio::select! {
            _ = state.shutdown.cancelled() => {
                let _ = send(&mut socket, Message::Close(None), config.send_timeout).await;
                return;
            }
            frame = frames.recv() => match frame {
                Ok(out) => {
                    let frame = match (&out, page.as_ref()) {
                        // The fleet overview is for pages that asked.
                        (Out::Fleet(_), None) => None,
                        (_, None) => Some(out.frame().clone()),
                        (Out::All(frame), Some(_)) => Some(frame.clone()),
                        (Out::About(key, frame), Some(p)) => p.shows(key).then(|| frame.clone()),
                        (Out::Batch(batch), Some(p)) => batch.only(|seq, key| p.forwards(seq, key)),
                        (Out::Fleet(frame), Some(p)) => p.view.subscribe.fleet.then(|| frame.clone()),
                    };
                    next.extend(frame.map(message));
                }
                Err(RecvError::Lagged(n)) => {
                    dropped += n;
                    hub.counts().client_drops.fetch_add(n, Ordering::Relaxed);
                    tracing::debug!(frames = n, total = dropped, "a slow client dropped its oldest frames");
                    let note = protocol::Message::Dropped(Dropped { frames: n, total: dropped });
                    next.push(message(note.encode().into()));
                }
                Err(RecvError::Closed) => return,
            },
            Ok(()) = ranking.changed(), if page.is_some() => {
                if let Some(p) = page.as_mut() {
                    let ranked = ranking.borrow_and_update().clone();
                    next.extend(reselect(hub, p, &ranked).into_iter().map(message));
                }
            }
            _ = heartbeat.tick() => {
                // A ping for proxies, and a text heartbeat for pages (browsers hide pings from
                // scripts), so a page's watchdog can tell a quiet host from a dead connection.
                if send(&mut socket, Message::Ping(Default::default()), config.send_timeout).await.is_err() {
                    return;
                }
                next.push(message(state.heartbeat.clone()));
            }
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                // A page says what it shows; anything else a client sends is discarded.
                Some(Ok(Message::Text(text))) => match protocol::Message::decode(&text) {
                    Ok(Some(protocol::Message::Subscribe(subscribe))) => {
                        let ranked = ranking.borrow_and_update().clone();
                        match page.as_mut() {
                            Some(p) => {
                                p.view.subscribe = subscribe;
                                next.extend(reselect(hub, p, &ranked).into_iter().map(message));
                            }
                            None => {
                                // It had everything: what it shows now needs no history.
                                let mut p = PageView::new(subscribe, hub.max_per_page());
                                let selected = p.view.select(&ranked);
                                p.shown = selected.shown;
                                p.said = Some(selected.said.clone());
                                next.push(message(protocol::Message::Subscribed(selected.said).encode().into()));
                                page = Some(p);
                            }
                        }
                    }
                    Ok(_) => {}
                    Err(e) => {
                        warn_limited!("ws-bad-subscription", error = %e, "ignored a page's message that cannot be read");
                    }
                },
                Some(Ok(_)) => {}
            },
        }
        for m in next {
            if send(&mut socket, m, config.send_timeout).await.is_err() {
                return;
            }
        }
    }
}

/// Applies a page's view to the latest ranking: what it shows from now on; the frames a newly shown
/// container needs first (its history, infos and events; its live samples after those only); and,
/// when it changed, what the page is told it is sent.
fn reselect(hub: &Hub, page: &mut PageView, ranking: &Ranking) -> Vec<Utf8Bytes> {
    let selected = page.view.select_from(ranking, &page.shown);
    let newly: HashSet<Arc<str>> = selected.shown.difference(&page.shown).cloned().collect();
    let mut out = Vec::new();
    if !newly.is_empty() {
        let (frames, seam) = hub.catch_up(&newly);
        out.extend(frames);
        for key in newly {
            page.seams.insert(key, seam);
        }
    }
    page.shown = selected.shown;
    page.seams.retain(|key, _| page.shown.contains(key));
    if page.said.as_ref() != Some(&selected.said) {
        out.push(
            protocol::Message::Subscribed(selected.said.clone())
                .encode()
                .into(),
        );
        page.said = Some(selected.said);
    }
    out
}

async fn send(socket: &mut WebSocket, message: Message, timeout: Duration) -> Result<(), ()> {
    match tokio::time::timeout(timeout, socket.send(message)).await {
        Ok(Ok(())) => Ok(()),
        _ => Err(()),
    }
}

async fn index(State(state): State<Arc<AppState>>) -> Response {
    let mut response = serve_file(&state.config.web_root, "index.html").await;
    if response.status().is_success() {
        if let Ok(csp) = HeaderValue::from_str(&page_csp(&state.config.allowed_origins)) {
            response
                .headers_mut()
                .insert(header::CONTENT_SECURITY_POLICY, csp);
        }
        response.headers_mut().insert(
            "cross-origin-resource-policy",
            HeaderValue::from_static("same-origin"),
        );
    }
    response
}

async fn www(State(state): State<Arc<AppState>>, headers: HeaderMap, uri: Uri) -> Response {
    let path = uri.path().trim_start_matches("/www/");
    let response = serve_file(&state.config.web_root.join("www"), path).await;
    resource_headers(
        response,
        uri.path(),
        &headers,
        &state.config.allowed_origins,
    )
}

async fn pkg(State(state): State<Arc<AppState>>, headers: HeaderMap, uri: Uri) -> Response {
    let path = uri.path().trim_start_matches("/pkg/");
    let response = serve_file(&state.config.web_root.join("pkg"), path).await;
    resource_headers(
        response,
        uri.path(),
        &headers,
        &state.config.allowed_origins,
    )
}

/// The page's Content-Security-Policy: its own scripts and WebAssembly only (`wasm-unsafe-eval`
/// lets it compile its `.wasm`; nothing else is evaluated), styles from itself and inline (the
/// chart's tooltip and legend set `style` attributes), images from itself and `data:`/`blob:` (the
/// PNG export), WebSockets to any host (`?feed=` may name another bridge; the data is only ever
/// shown as text), no plugins, no `<base>`, no form submission, and framing only by itself and
/// the `--allow-origin` origins.
pub fn page_csp(allowed_origins: &[String]) -> String {
    let mut ancestors = String::from("'self'");
    for origin in allowed_origins {
        let origin = origin.trim_end_matches('/');
        // An origin is a scheme, a host and maybe a port: nothing that could end the directive.
        if !origin.is_empty()
            && origin
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".:/-[]".contains(&b))
        {
            ancestors.push(' ');
            ancestors.push_str(origin);
        }
    }
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data: blob:; connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; \
         form-action 'none'; frame-ancestors {ancestors}"
    )
}

/// What a dashboard of another origin imports to embed the chart: `www/statscope-chart.js` and the
/// wasm-pack output under `pkg/`. Only these get CORS headers.
pub fn is_embeddable(path: &str) -> bool {
    path == "/www/statscope-chart.js" || path.starts_with("/pkg/")
}

/// The headers of a file other than the page: a policy that allows nothing (they are not pages),
/// and, for what a dashboard embeds ([`is_embeddable`]) and only when the request comes from an
/// `--allow-origin` origin, CORS for that origin.
fn resource_headers(
    mut response: Response,
    path: &str,
    request: &HeaderMap,
    allowed_origins: &[String],
) -> Response {
    if !response.status().is_success() {
        return response;
    }
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
    );
    if !is_embeddable(path) {
        headers.insert(
            "cross-origin-resource-policy",
            HeaderValue::from_static("same-origin"),
        );
        return response;
    }
    headers.insert(header::VARY, HeaderValue::from_static("Origin"));
    headers.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("cross-origin"),
    );
    let origin = request.get(header::ORIGIN).and_then(|o| o.to_str().ok());
    if let Some(origin) = origin.filter(|o| is_listed(o, allowed_origins)) {
        if let Ok(value) = HeaderValue::from_str(origin) {
            headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        }
    }
    response
}

/// A file below `folder`, or 404. `relative` is the raw (still percent-encoded) request path.
async fn serve_file(folder: &Path, relative: &str) -> Response {
    match resolve(folder, relative) {
        Some(path) => match tokio::fs::read(&path).await {
            Ok(body) => {
                let mut response = body.into_response();
                let headers = response.headers_mut();
                headers.insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(content_type(&path)),
                );
                headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
                headers.insert(
                    header::X_CONTENT_TYPE_OPTIONS,
                    HeaderValue::from_static("nosniff"),
                );
                // The page's URL may hold `?token=`: never send it along.
                headers.insert(
                    header::REFERRER_POLICY,
                    HeaderValue::from_static("no-referrer"),
                );
                response
            }
            Err(_) => StatusCode::NOT_FOUND.into_response(),
        },
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The file `relative` names inside `folder`, if it is a regular file that really lies inside it.
///
/// Percent-escapes are decoded first, so `%2e%2e` is `..`; any empty, `.` or `..` segment, a
/// backslash or a NUL refuses the request; then the path is canonicalized (following symlinks) and
/// must still start with the canonical folder.
pub fn resolve(folder: &Path, relative: &str) -> Option<PathBuf> {
    let decoded = percent_decode(relative)?;
    if decoded.is_empty() || decoded.contains(['\\', '\0']) {
        return None;
    }
    if decoded
        .split('/')
        .any(|seg| seg.is_empty() || seg == "." || seg == "..")
    {
        return None;
    }
    let root = folder.canonicalize().ok()?;
    let path = root.join(&decoded).canonicalize().ok()?;
    (path.starts_with(&root) && path.is_file()).then_some(path)
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("json" | "map") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ts") => "text/plain; charset=utf-8",
        Some("txt" | "md") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn origin_rules() {
        let allowed = vec!["https://dash.example.com".to_string()];
        assert!(check_origin(&headers(&[("host", "127.0.0.1:8080")]), &allowed).is_ok());
        assert!(check_origin(
            &headers(&[
                ("host", "127.0.0.1:8080"),
                ("origin", "http://127.0.0.1:8080")
            ]),
            &allowed
        )
        .is_ok());
        assert!(check_origin(
            &headers(&[
                ("host", "127.0.0.1:8080"),
                ("origin", "https://dash.example.com/")
            ]),
            &allowed
        )
        .is_ok());
        for foreign in [
            "http://evil.example",
            "http://127.0.0.1:9999",
            "null",
            "http://127.0.0.1:8080.evil",
        ] {
            assert!(
                check_origin(
                    &headers(&[("host", "127.0.0.1:8080"), ("origin", foreign)]),
                    &allowed
                )
                .is_err(),
                "{foreign}"
            );
        }
    }

    #[test]
    fn tokens_come_from_the_query_or_a_bearer_header() {
        assert!(token_matches("s3cret", &HeaderMap::new(), Some("s3cret")));
        assert!(token_matches(
            "s3cret",
            &headers(&[("authorization", "Bearer s3cret")]),
            None
        ));
        assert!(!token_matches("s3cret", &HeaderMap::new(), None));
        assert!(!token_matches("s3cret", &HeaderMap::new(), Some("s3cre")));
        assert!(!token_matches(
            "s3cret",
            &headers(&[("authorization", "Basic s3cret")]),
            None
        ));
        // The scheme is case-insensitive (RFC 9110); the token is not.
        for scheme in ["bearer", "BEARER", "bEaReR"] {
            assert!(
                token_matches(
                    "s3cret",
                    &headers(&[("authorization", &format!("{scheme} s3cret"))]),
                    None
                ),
                "{scheme}"
            );
        }
        assert!(!token_matches(
            "s3cret",
            &headers(&[("authorization", "Bearer S3CRET")]),
            None
        ));
        assert!(!token_matches(
            "s3cret",
            &headers(&[("authorization", "Bearers3cret")]),
            None
        ));
    }

    #[test]
    fn the_page_policy_frames_only_where_allowed() {
        let csp = page_csp(&["https://dash.example.com/".into(), "x; script-src *".into()]);
        assert!(
            csp.ends_with("frame-ancestors 'self' https://dash.example.com"),
            "{csp}"
        );
        assert!(
            csp.contains("script-src 'self' 'wasm-unsafe-eval';"),
            "{csp}"
        );
        assert!(!csp.contains("unsafe-eval'") || csp.contains("'wasm-unsafe-eval'"));
        assert!(page_csp(&[]).ends_with("frame-ancestors 'self'"));
        assert!(is_embeddable("/www/statscope-chart.js"));
        assert!(is_embeddable("/pkg/statscope_bg.wasm"));
        assert!(!is_embeddable("/www/main.js"));
        assert!(!is_embeddable("/index.html"));
    }

    #[test]
    fn static_paths_cannot_leave_their_folder() {
        let dir = std::env::temp_dir().join(format!("statscope-static-{}", std::process::id()));
        let www = dir.join("www");
        std::fs::create_dir_all(www.join("sub")).unwrap();
        std::fs::write(www.join("app.js"), "ok").unwrap();
        std::fs::write(www.join("sub/x.css"), "ok").unwrap();
        std::fs::write(dir.join("secret.txt"), "no").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(dir.join("secret.txt"), www.join("link.txt")).unwrap();
        assert!(resolve(&www, "app.js").is_some());
        assert!(resolve(&www, "sub/x.css").is_some());
        assert!(resolve(&www, "sub%2Fx.css").is_some());
        for bad in [
            "../secret.txt",
            "%2e%2e/secret.txt",
            "sub/../../secret.txt",
            "sub/",
            "",
            "sub",
            "./app.js",
            "..%5csecret.txt",
            "app.js%00",
            "%zz",
            "link.txt",
            "/etc/passwd",
        ] {
            assert!(resolve(&www, bad).is_none(), "{bad:?} must be refused");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
