//! `statscope`'s command line (clap): the program's arguments as a library, so tests can parse them
//! exactly as the binary does (`Cli::try_parse_from([...])`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::builder::TypedValueParser;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::conn::ConnLimits;
use crate::docker::EngineLimits;
use crate::server::ServerConfig;

/// The defaults of the limits, from the one place each is set.
fn engine() -> EngineLimits {
    EngineLimits::default()
}
fn server() -> ServerConfig {
    ServerConfig::default()
}
fn conns() -> ConnLimits {
    ConnLimits::default()
}

/// Live per-container CPU curves from Docker Engine stats.
#[derive(Parser, Debug)]
#[command(name = "statscope", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Relay Docker Engine stats over a WebSocket and serve the page that draws them.
    ///
    /// The source is a Docker Engine (the default when one answers), the built-in demo feed (the
    /// default when none does), a recording, or, with --nats, a fleet of `statscope agent`s (this is
    /// then the fleet's hub). Open the printed URL in a browser.
    Serve(Box<ServeArgs>),
    /// Publish one host's stats to NATS for the fleet's hub (`statscope serve --nats`).
    ///
    /// Runs beside one engine (the same sources as `serve`) and publishes its samples, its
    /// containers' info and events, and its state under `statscope.v1.<host>.…`, from the start
    /// (no viewer needed). While NATS is unreachable it keeps what it reads in a bounded buffer
    /// (--buffer-kib), dropping the oldest when full: counted, logged and said.
    Agent(Box<AgentArgs>),
    /// Compute `docker stats` figures offline from recorded Docker stats objects.
    ///
    /// Input: newline-delimited Docker Engine stats objects, as
    /// `GET /containers/{id}/stats?stream=true` emits them (containers may be interleaved).
    /// A malformed line is reported on stderr with its line number and skipped; the exit status is
    /// then 1.
    Stats {
        /// The recording to read; `-` or nothing reads standard input.
        file: Option<PathBuf>,
        /// `json`: per line, exactly what `docker stats --format '{{json .}}'` prints.
        /// `csv`: per line, the engine's rates (first/reset/gap/stopped/late flagged).
        /// `table`: one row per container for its last sample, like `docker stats`.
        #[arg(long, value_enum, default_value_t = FormatArg::Table)]
        format: FormatArg,
        /// The daemon's OS, for samples without `os_type` (Docker < 29): selects the CLI's formulas.
        #[arg(long, value_enum, default_value_t = OsArg::Linux)]
        os: OsArg,
    },
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on. Only loopback by default: binding elsewhere exposes your containers'
    /// stats to the network (pair it with --token), and is logged as a warning.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    #[command(flatten)]
    pub source: SourceArgs,
    /// Be the fleet's hub: follow every agent (`statscope agent`) publishing to this NATS server
    /// (nats://host:4222, tls://host:4222; several, comma-separated, for a cluster) instead of
    /// engines. Needs nats-server 2.10 or newer with JetStream (-js).
    #[arg(long, value_name = "URL", conflicts_with_all = ["docker", "context", "tls_certs", "demo", "replay"],
          help_heading = "Fleet (NATS)")]
    pub nats: Option<String>,
    /// Keep each container's samples of this many seconds, so a page that opens shows them at once
    /// (0: none). The page's default window is 300 s.
    #[arg(long, value_name = "SECONDS", default_value_t = server().hub.history.as_secs(),
          value_parser = clap::value_parser!(u64).range(0..=86400))]
    pub history: u64,
    /// Keep at most this much history over all containers (the oldest samples go first; said to
    /// the page and the log). A sample kept takes about 345 bytes of memory, counted here: the
    /// default holds 300 s of about 1,300 containers at one sample a second.
    #[arg(long, value_name = "MiB", default_value_t = (server().hub.history_bytes >> 20) as u32,
          value_parser = clap::value_parser!(u32).range(1..=65536))]
    pub history_mib: u32,
    /// Also accept WebSocket connections from pages of this origin (e.g. https://dash.example.com);
    /// repeatable. The page's own origin is accepted when it is an IP address or localhost (names
    /// could be DNS-rebound: list them here); any other cross-site page is refused.
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    pub allow_origin: Vec<String>,
    /// Require this token on /ws (?token=… or Authorization: Bearer …). Prefer the environment
    /// variable, so the token does not show in the process list.
    #[arg(long, env = "STATSCOPE_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// The folder holding index.html, www/ and pkg/ (default: the current folder if it has
    /// index.html, else the statscope source tree this binary was built from).
    #[arg(long, env = "STATSCOPE_WEB_ROOT", value_name = "DIR")]
    pub web_root: Option<PathBuf>,

    // Limits (SECURITY.md): what the bridge accepts from clients. What is refused is logged and
    // told to the page.
    /// Connections at once (HTTP and WebSocket); at the cap an idle one makes room, else the new
    /// one is refused.
    #[arg(long, value_name = "N", default_value_t = conns().max_total,
          value_parser = clap::value_parser!(u32).range(1..).map(|n| n as usize), help_heading = "Limits")]
    pub max_connections: usize,
    /// Connections at once from one address.
    #[arg(long, value_name = "N", default_value_t = conns().max_per_peer,
          value_parser = clap::value_parser!(u32).range(1..).map(|n| n as usize), help_heading = "Limits")]
    pub max_connections_per_address: usize,
    /// A request's head (or the next one on a kept-alive connection) must arrive within this.
    #[arg(long, value_name = "SECONDS", default_value_t = server().header_timeout.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..=3600), help_heading = "Limits")]
    pub header_timeout_s: u64,
    /// Containers one page is sent at most. A page that subscribes to more (all of a large fleet,
    /// or a top N above this) gets the busiest this many and is told so (`statscope.subscribed`).
    #[arg(long, value_name = "N", default_value_t = server().hub.max_per_page,
          value_parser = clap::value_parser!(u32).range(1..=100_000).map(|n| n as usize), help_heading = "Limits")]
    pub max_per_page: usize,
    // Last: a flattened group's heading applies to the flags after it.
    #[command(flatten)]
    pub fleet: FleetArgs,
    #[command(flatten)]
    pub nats_auth: NatsArgs,
}

impl ServeArgs {
    /// The hub's settings the flags give (history, the per-page cap).
    pub fn hub_config(&self) -> crate::hub::HubConfig {
        crate::hub::HubConfig {
            history: Duration::from_secs(self.history),
            history_bytes: (self.history_mib as usize) << 20,
            max_per_page: self.max_per_page,
            ..server().hub
        }
    }

    /// The connection caps the flags give.
    pub fn conn_limits(&self) -> ConnLimits {
        ConnLimits {
            max_total: self.max_connections,
            max_per_peer: self.max_connections_per_address,
        }
    }

    /// The token, trimmed (a token from a file often ends with a newline); `Err` when one is set
    /// but empty or only whitespace, which would otherwise protect nothing.
    pub fn token(&self) -> Result<Option<String>, String> {
        match self.token.as_deref().map(str::trim) {
            None => Ok(None),
            Some("") => Err(
                "--token (or STATSCOPE_TOKEN) is set but empty or only whitespace: give a token, or unset it"
                    .into(),
            ),
            Some(token) => Ok(Some(token.to_string())),
        }
    }
}

/// Where stats come from: shared by `serve` and `agent` ([`crate::sources::select`]).
#[derive(Args, Debug, Clone)]
pub struct SourceArgs {
    /// Follow this Docker Engine (or Podman's Docker-compatible service), as the docker CLI's -H
    /// takes it: unix:///path/docker.sock, tcp://host:port (TLS as the docker CLI: DOCKER_TLS_VERIFY
    /// and DOCKER_CERT_PATH, or --tls-certs), or http://host:port (plain). NAME= names its host
    /// (default: the engine's name from /info, made unique). Repeatable: each engine is reached,
    /// lost and retried on its own. Without --docker or --context: DOCKER_HOST, DOCKER_CONTEXT
    /// or the docker CLI's current context, as the docker CLI reads them; with none of them,
    /// /var/run/docker.sock if it answers, else the demo feed.
    #[arg(long, value_name = "[NAME=]URL")]
    pub docker: Vec<String>,
    /// Follow the engine of this docker CLI context (~/.docker/contexts, or $DOCKER_CONFIG's): its
    /// endpoint and TLS files. Its host is named after the context. Repeatable.
    #[arg(long, value_name = "NAME")]
    pub context: Vec<String>,
    /// The TLS folder (ca.pem, and cert.pem + key.pem for a client certificate) of the --docker
    /// engine NAME, or, without NAME=, of every tcp:// --docker engine without its own. The
    /// engine's certificate is always verified against ca.pem. Repeatable.
    #[arg(long = "tls-certs", value_name = "[NAME=]DIR")]
    pub tls_certs: Vec<String>,
    /// Serve the built-in demo feed: simulated containers with real Docker-shaped stats.
    #[arg(long, conflicts_with_all = ["docker", "context", "tls_certs", "replay"])]
    pub demo: bool,
    /// Play back a recording: newline-delimited Docker stats objects (containers may be interleaved),
    /// paced by their `read` timestamps.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["docker", "context", "tls_certs"])]
    pub replay: Option<PathBuf>,
    /// Replay speed: 2 plays twice as fast as recorded.
    #[arg(long, default_value_t = 1.0, requires = "replay")]
    pub speed: f64,
    /// Start the replay over when it ends (timestamps keep moving forward).
    #[arg(long = "loop", requires = "replay")]
    pub looped: bool,
    // Limits (SECURITY.md): what is read from an engine or a recording. What is cut is logged
    // and told to the page.
    /// Follow at most this many containers (one stats stream each); more running ones wait for a
    /// place.
    #[arg(long, value_name = "N", default_value_t = engine().max_containers,
          value_parser = clap::value_parser!(u32).range(1..).map(|n| n as usize), help_heading = "Limits")]
    pub max_containers: usize,
    /// Refuse an engine's answer to /containers/json or an inspect larger than this.
    #[arg(long, value_name = "MiB", default_value_t = (engine().max_body_bytes >> 20) as u32,
          value_parser = clap::value_parser!(u32).range(1..=4096), help_heading = "Limits")]
    pub max_engine_answer_mib: u32,
    /// Skip a line longer than this from the engine (/events, stats) or a recording.
    #[arg(long, value_name = "KiB", default_value_t = (engine().max_line_bytes >> 10) as u32,
          value_parser = clap::value_parser!(u32).range(1..=65536), help_heading = "Limits")]
    pub max_line_kib: u32,
    /// Handle at most this many engine events a second; beyond it they are not relayed, and each
    /// container concerned is looked at once.
    #[arg(long, value_name = "N", default_value_t = engine().max_events_per_s,
          value_parser = clap::value_parser!(u32).range(1..), help_heading = "Limits")]
    pub max_events_per_s: u32,
    /// Give up on connecting to the engine, on its answer's head, or on a whole finite answer,
    /// after this long (then retry with backoff).
    #[arg(long, value_name = "SECONDS", default_value_t = engine().timeout.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..=3600), help_heading = "Limits")]
    pub engine_timeout_s: u64,
    /// A stream silent this long: /events is checked with /_ping, a stats stream closed.
    #[arg(long, value_name = "SECONDS", default_value_t = engine().idle.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..=86400), help_heading = "Limits")]
    pub engine_idle_s: u64,
}

impl SourceArgs {
    /// The engine limits the flags give.
    pub fn engine_limits(&self) -> EngineLimits {
        EngineLimits {
            max_containers: self.max_containers,
            max_body_bytes: (self.max_engine_answer_mib as usize) << 20,
            max_line_bytes: self.max_line_bytes(),
            max_events_per_s: self.max_events_per_s,
            timeout: Duration::from_secs(self.engine_timeout_s),
            idle: Duration::from_secs(self.engine_idle_s),
            ..EngineLimits::default()
        }
    }

    /// The longest line read from an engine or a recording.
    pub fn max_line_bytes(&self) -> usize {
        (self.max_line_kib as usize) << 10
    }
}

/// How to reach NATS, in NATS's own conventions: a credentials file, a token or a user and
/// password (from the environment, so they stay out of the process list; a URL's `user:pass@` works
/// too), and TLS for `tls://` URLs (the server's certificate verified against the system's roots
/// or --nats-ca; a client certificate with --nats-cert and --nats-key).
#[derive(Args, Debug, Clone, Default)]
#[command(next_help_heading = "NATS authentication and TLS")]
pub struct NatsArgs {
    /// A NATS credentials file (a user JWT and its nkey seed, as `nsc` writes it).
    #[arg(long, env = "NATS_CREDS", value_name = "FILE")]
    pub nats_creds: Option<PathBuf>,
    /// A token the server requires (NATS_TOKEN).
    #[arg(long, env = "NATS_TOKEN", hide_env_values = true, value_name = "TOKEN")]
    pub nats_token: Option<String>,
    /// A user name (NATS_USER), with NATS_PASSWORD.
    #[arg(
        long,
        env = "NATS_USER",
        value_name = "USER",
        requires = "nats_password"
    )]
    pub nats_user: Option<String>,
    /// The user's password: set NATS_PASSWORD rather than the flag.
    #[arg(
        long,
        env = "NATS_PASSWORD",
        hide_env_values = true,
        value_name = "PASSWORD",
        requires = "nats_user"
    )]
    pub nats_password: Option<String>,
    /// Verify the server's TLS certificate against this CA (PEM) instead of the system's roots.
    #[arg(long, env = "NATS_CA", value_name = "FILE")]
    pub nats_ca: Option<PathBuf>,
    /// A client certificate (PEM) for servers that require one, with --nats-key.
    #[arg(long, env = "NATS_CERT", value_name = "FILE", requires = "nats_key")]
    pub nats_cert: Option<PathBuf>,
    /// The client certificate's key (PEM).
    #[arg(long, env = "NATS_KEY", value_name = "FILE", requires = "nats_cert")]
    pub nats_key: Option<PathBuf>,
}

impl NatsArgs {
    /// The connection settings for `urls`.
    pub fn connection(&self, urls: &str) -> crate::nats::NatsConnection {
        crate::nats::NatsConnection {
            urls: urls.to_string(),
            creds: self.nats_creds.clone(),
            token: self.nats_token.clone(),
            user: self.nats_user.clone().zip(self.nats_password.clone()),
            ca: self.nats_ca.clone(),
            client_cert: self.nats_cert.clone().zip(self.nats_key.clone()),
        }
    }
}

fn fleet() -> crate::nats::fleet::FleetConfig {
    crate::nats::fleet::FleetConfig::default()
}
fn agent() -> crate::nats::agent::AgentConfig {
    crate::nats::agent::AgentConfig::default()
}

/// The hub's fleet settings (`serve --nats`).
#[derive(Args, Debug, Clone)]
#[command(next_help_heading = "Fleet (NATS)")]
pub struct FleetArgs {
    /// The JetStream stream that keeps the agents' recent messages (the hub creates or updates
    /// it): at most --history seconds (at least 120) and this many MiB; the oldest go first.
    #[arg(long, value_name = "MiB", default_value_t = (fleet().stream_max_bytes >> 20) as u32,
          value_parser = clap::value_parser!(u32).range(1..), requires = "nats")]
    pub nats_stream_mib: u32,
    /// A host whose agent says nothing for this long turns `stale`.
    #[arg(long, value_name = "SECONDS", default_value_t = fleet().stale_after.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..=86400), requires = "nats")]
    pub stale_after_s: u64,
    /// A stale host's containers end (their curves stop) this long after it turned stale.
    #[arg(long, value_name = "SECONDS", default_value_t = fleet().host_ttl.as_secs(),
          value_parser = clap::value_parser!(u64).range(0..=86400), requires = "nats")]
    pub host_ttl_s: u64,
    /// Follow at most this many hosts; messages of more are dropped (counted and said).
    #[arg(long, value_name = "N", default_value_t = fleet().max_hosts,
          value_parser = clap::value_parser!(u32).range(1..).map(|n| n as usize), requires = "nats")]
    pub max_hosts: usize,
    /// Read at most this many containers of one host; samples of more are dropped (counted and
    /// said).
    #[arg(long, value_name = "N", default_value_t = fleet().max_containers_per_host,
          value_parser = clap::value_parser!(u32).range(1..).map(|n| n as usize), requires = "nats")]
    pub max_containers_per_host: usize,
    /// Refuse an agent's message larger than this (counted and said).
    #[arg(long, value_name = "KiB", default_value_t = (fleet().max_message_bytes >> 10) as u32,
          value_parser = clap::value_parser!(u32).range(1..=65536), requires = "nats")]
    pub max_agent_message_kib: u32,
}

impl ServeArgs {
    /// The fleet's settings the flags give, or `None` without `--nats`.
    pub fn fleet_config(&self) -> Option<crate::nats::fleet::FleetConfig> {
        let urls = self.nats.as_deref()?;
        Some(crate::nats::fleet::FleetConfig {
            connection: self.nats_auth.connection(urls),
            history: Duration::from_secs(self.history),
            stream_max_bytes: u64::from(self.fleet.nats_stream_mib) << 20,
            stale_after: Duration::from_secs(self.fleet.stale_after_s),
            host_ttl: Duration::from_secs(self.fleet.host_ttl_s),
            max_hosts: self.fleet.max_hosts,
            max_containers_per_host: self.fleet.max_containers_per_host,
            max_message_bytes: (self.fleet.max_agent_message_kib as usize) << 10,
            ..fleet()
        })
    }
}

/// `statscope agent`.
#[derive(Args, Debug)]
pub struct AgentArgs {
    /// The NATS server (nats://host:4222, tls://host:4222; several, comma-separated, for a
    /// cluster). It needs JetStream (-js) and version 2.10 or newer; the hub creates the stream.
    #[arg(long, value_name = "URL")]
    pub nats: String,
    /// This host's name, as people know it. Its key in subjects and on the page is made of it
    /// (`[A-Za-z0-9_-]`, other characters become `-`): give every agent a different one.
    #[arg(long, value_name = "NAME")]
    pub host: String,
    /// With --demo: play this many simulated hosts in one process (NAME-1 … NAME-N), for
    /// benchmarks.
    #[arg(long, value_name = "N", default_value_t = 1, requires = "demo",
          value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub hosts: u32,
    /// With --demo: simulated containers per host (the demo's cast of seven, repeated).
    #[arg(long, value_name = "N", requires = "demo",
          value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub containers: Option<u32>,
    #[command(flatten)]
    pub source: SourceArgs,
    /// Send each host's samples of this long as one message.
    #[arg(long, value_name = "MS", default_value_t = agent().batch.as_millis() as u64,
          value_parser = clap::value_parser!(u64).range(10..=10_000), help_heading = "Agent")]
    pub batch_ms: u64,
    /// Say the host's state at least this often (the hub's --stale-after-s should be a few of
    /// these).
    #[arg(long, value_name = "SECONDS", default_value_t = agent().beat.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..=3600), help_heading = "Agent")]
    pub beat_s: u64,
    /// Keep at most this much unsent while NATS is unreachable (the oldest go first: counted,
    /// logged and said). The default, 64 MiB, holds about 40 minutes of 100 containers.
    #[arg(long, value_name = "KiB", default_value_t = (agent().buffer_bytes >> 10) as u32,
          value_parser = clap::value_parser!(u32).range(1..=(16 << 20)), help_heading = "Agent")]
    pub buffer_kib: u32,
    // Last: a flattened group's heading applies to the flags after it.
    #[command(flatten)]
    pub nats_auth: NatsArgs,
}

impl AgentArgs {
    /// The agent's settings the flags give.
    pub fn agent_config(&self) -> crate::nats::agent::AgentConfig {
        crate::nats::agent::AgentConfig {
            connection: self.nats_auth.connection(&self.nats),
            batch: Duration::from_millis(self.batch_ms),
            beat: Duration::from_secs(self.beat_s),
            buffer_bytes: (self.buffer_kib as usize) << 10,
            ..agent()
        }
    }
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum FormatArg {
    Json,
    Csv,
    Table,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum OsArg {
    Linux,
    Windows,
}
