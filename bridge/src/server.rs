//! `statscope serve`'s HTTP side: the WebSocket feed at `/ws`, the page's static files, and the rules
//! that keep both to their owner.
//!
//! Routes (GET only; anything else is 404 or 405):
//! - `/ws`: a WebSocket of stats frames ([`crate::hub`]). Before the first frame the server sends one
//!   hello message, `{"type":"statscope.hello","source":…,"describe":…,"version":…}`, then what the
//!   hub retained for late viewers (the latest `statscope.container` per container, the recent
//!   `statscope.event` messages; [`statscope_core::protocol`]); when this client falls behind,
//!   `{"type":"statscope.dropped","frames":n,"total":n}`; and every [`ServerConfig::heartbeat`] a
//!   ping plus `{"type":"statscope.heartbeat"}` (browsers do not show pings to scripts). Each of
//!   these is a whole frame starting with `{"type"`; a page that does not know one can ignore it.
//!   `docs/protocol.md` describes them all. Messages from clients are read and discarded.
//! - `/`, `/index.html`: the page. `/www/…`, `/pkg/…`: its scripts and the Wasm build.
//!
//! Security rules, each tested:
//! - A WebSocket upgrade whose `Origin` is neither this server's own origin nor an allowed one is
//!   refused (403): a cross-site page must not read a user's container stats. No `Origin` (a
//!   non-browser client) is allowed. "Own" needs a `Host` that DNS cannot rebind (an IP literal
//!   or `localhost`); a page served under another name must be allowed with `--allow-origin`.
//! - With a token, `/ws` requires it as `?token=` or `Authorization: Bearer`, compared in constant time.
//! - Static files: no directory listing, no `..`, and the resolved path (symlinks followed) must stay
//!   inside its folder; anything else is 404. They are public code, served with
//!   `Access-Control-Allow-Origin: *` so another origin's dashboard can embed the chart; the stats
//!   themselves only flow over `/ws`, which keeps its Origin check.
//! - Nothing here talks to Docker: no request path or body ever reaches the Docker API.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use subtle::ConstantTimeEq;
use tokio::net::TcpListener;
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;

use statscope_core::protocol::{self, Dropped, Hello};

use crate::hub::{Hub, HubConfig};
use crate::source::Source;

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
            hub: HubConfig::default(),
        }
    }
}

struct AppState {
    config: ServerConfig,
    hub: Hub,
    hello: Utf8Bytes,
    heartbeat: Utf8Bytes,
    shutdown: CancellationToken,
}

/// Serves `source` on `listener` until `shutdown` is cancelled, then closes every WebSocket and returns.
pub async fn run(
    listener: TcpListener,
    source: Box<dyn Source>,
    config: ServerConfig,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let (hub, sink) = Hub::start(config.hub.clone(), shutdown.clone());
    let config_send_buffer = config.socket_send_buffer;
    let hello = protocol::Message::Hello(Hello {
        source: source.kind().to_string(),
        describe: source.describe(),
        version: env!("CARGO_PKG_VERSION").to_string(),
    })
    .encode();
    tracing::info!(source = source.kind(), "relaying {}", source.describe());
    tokio::spawn(source.run(sink, shutdown.clone()));
    let state = Arc::new(AppState {
        config,
        hub,
        hello: hello.into(),
        heartbeat: protocol::Message::Heartbeat.encode().into(),
        shutdown: shutdown.clone(),
    });
    let app = router(state);
    // Bound what the kernel holds for each client: a stalled client then costs at most this much,
    // and falls behind in the hub's ring (counted drops) instead of in megabytes of socket buffer.
    let send_buffer = config_send_buffer;
    let listener =
        axum::serve::ListenerExt::tap_io(listener, move |tcp: &mut tokio::net::TcpStream| {
            if let Err(e) = socket2::SockRef::from(&*tcp).set_send_buffer_size(send_buffer) {
                tracing::debug!(error = %e, "cannot bound a client's socket send buffer");
            }
            let _ = tcp.set_nodelay(true);
        });
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move { shutdown.cancelled().await })
    .await
}

fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/ws", get(ws_upgrade))
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
}

async fn ws_upgrade(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(query): Query<WsQuery>,
    ws: WebSocketUpgrade,
) -> Response {
    if let Err(why) = check_origin(&headers, &state.config.allowed_origins) {
        tracing::warn!(%why, "refused a WebSocket upgrade");
        return (StatusCode::FORBIDDEN, why).into_response();
    }
    if let Some(expected) = &state.config.token {
        if !token_matches(expected, &headers, query.token.as_deref()) {
            tracing::warn!("refused a WebSocket upgrade without the right token");
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
    // Both limits: a frame's declared length is checked before its payload is buffered, so a client
    // cannot make the server reserve the default 16 MiB per connection.
    ws.max_message_size(64 << 10)
        .max_frame_size(64 << 10)
        .on_upgrade(move |socket| client(socket, state, binary))
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
    let listed = allowed
        .iter()
        .any(|a| a.trim_end_matches('/').eq_ignore_ascii_case(&origin));
    if own || listed {
        Ok(())
    } else {
        Err(format!(
            "cross-origin WebSocket from {origin} refused (allow it with --allow-origin {origin})"
        ))
    }
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

/// The token from `?token=` or `Authorization: Bearer`, compared in constant time.
pub fn token_matches(expected: &str, headers: &HeaderMap, query: Option<&str>) -> bool {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let given = query.or(bearer).unwrap_or("");
    // An empty token (`--token ""`) must not let in every client that sends none.
    if expected.is_empty() || given.is_empty() {
        return false;
    }
    // `ct_eq` on slices of different lengths is false without comparing: only the length leaks.
    bool::from(expected.as_bytes().ct_eq(given.as_bytes()))
}

/// One WebSocket client: hello, what a late viewer must know, then frames as they come, pings, and
/// a note when frames were dropped.
async fn client(mut socket: WebSocket, state: Arc<AppState>, binary: bool) {
    // The same UTF-8 JSON either way; as a binary message it is passed on without a copy.
    let message = |frame: Utf8Bytes| {
        if binary {
            Message::Binary(frame.into())
        } else {
            Message::Text(frame)
        }
    };
    let (mut frames, retained) = state.hub.subscribe_with_state();
    let config = &state.config;
    let mut dropped: u64 = 0;
    let mut heartbeat = tokio::time::interval(config.heartbeat);
    heartbeat.tick().await; // the first tick is immediate
    if send(
        &mut socket,
        message(state.hello.clone()),
        config.send_timeout,
    )
    .await
    .is_err()
    {
        return;
    }
    // Container info and recent events from before this client subscribed; later ones come live.
    for frame in retained {
        if send(&mut socket, message(frame), config.send_timeout)
            .await
            .is_err()
        {
            return;
        }
    }
    loop {
        let next = tokio::select! {
            _ = state.shutdown.cancelled() => {
                let _ = send(&mut socket, Message::Close(None), config.send_timeout).await;
                return;
            }
            frame = frames.recv() => match frame {
                Ok(frame) => message(frame),
                Err(RecvError::Lagged(n)) => {
                    dropped += n;
                    state.hub.counts().client_drops.fetch_add(n, Ordering::Relaxed);
                    tracing::debug!(frames = n, total = dropped, "a slow client dropped its oldest frames");
                    let note = protocol::Message::Dropped(Dropped { frames: n, total: dropped });
                    message(note.encode().into())
                }
                Err(RecvError::Closed) => return,
            },
            _ = heartbeat.tick() => {
                // A ping for proxies, and a text heartbeat for pages (browsers hide pings from
                // scripts), so a page's watchdog can tell a quiet host from a dead connection.
                if send(&mut socket, Message::Ping(Default::default()), config.send_timeout).await.is_err() {
                    return;
                }
                message(state.heartbeat.clone())
            }
            incoming = socket.recv() => match incoming {
                // Clients have nothing to say; anything they send is discarded.
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => continue,
            },
        };
        if send(&mut socket, next, config.send_timeout).await.is_err() {
            return;
        }
    }
}

async fn send(socket: &mut WebSocket, message: Message, timeout: Duration) -> Result<(), ()> {
    match tokio::time::timeout(timeout, socket.send(message)).await {
        Ok(Ok(())) => Ok(()),
        _ => Err(()),
    }
}

async fn index(State(state): State<Arc<AppState>>) -> Response {
    serve_file(&state.config.web_root, "index.html").await
}

async fn www(State(state): State<Arc<AppState>>, uri: Uri) -> Response {
    let path = uri.path().trim_start_matches("/www/");
    serve_file(&state.config.web_root.join("www"), path).await
}

async fn pkg(State(state): State<Arc<AppState>>, uri: Uri) -> Response {
    let path = uri.path().trim_start_matches("/pkg/");
    serve_file(&state.config.web_root.join("pkg"), path).await
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
                // The page's code is public: a dashboard on another origin may import the custom
                // element and fetch the .wasm. (The data, /ws, keeps its Origin check.)
                headers.insert(
                    header::ACCESS_CONTROL_ALLOW_ORIGIN,
                    HeaderValue::from_static("*"),
                );
                headers.insert(
                    "cross-origin-resource-policy",
                    HeaderValue::from_static("cross-origin"),
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
