//! `statscope serve --nats`: the hub follows the whole fleet on NATS and feeds each host into its
//! [`crate::hub::Hub`] through a [`Sink`] of its own ([`Sink::for_host`]), so pages get `hello`
//! with the hosts, history on opening and resume exactly as with local engines.
//!
//! [`Fleet`] is a [`Source`] of many hosts. It creates or updates the stream
//! ([`super::stream_config`]: `--history`, `--nats-stream-mib`) and reads it with one ordered
//! consumer from its oldest message: on start that **rebuilds the hub's history** (the stream's last
//! `--history` seconds), then it follows live. The hub serves pages from its own memory; the stream
//! is read once, in order, whatever the pages do. After a NATS restart the client reconnects and
//! the ordered consumer resumes after the last message it delivered, so nothing stored is missed;
//! what the stream trimmed before the hub read it is counted (`stream-lost`).
//!
//! **Everything an agent publishes is outside input**, read defensively ([`super::read`], pure:
//! [`read_agent_message`]): only the fleet's subjects ([`super::Subjects::parse`]); a message over [`FleetConfig::max_message_bytes`], not UTF-8, not
//! a statscope message, or not what its subject carries (samples on `.samples`; container, event,
//! notice on `.control`; host on `.host`), or a sample whose key names another host, is dropped,
//! counted and said (`bad-agent-message`, per host); at most [`FleetConfig::max_hosts`] hosts
//! (`hosts-over-limit`) and [`FleetConfig::max_containers_per_host`] containers per host
//! (`containers-over-limit`). A message's `host` fields are set from its subject: an agent speaks
//! only for its own host. A `statscope.` type the hub does not know is ignored, as a page does.
//!
//! **Liveness.** Every message from a host (its state is said at least every few seconds, the
//! agent's beat) counts as a sign of life, dated by when the stream received it. A host silent for
//! [`FleetConfig::stale_after`] turns `stale` (a host state: `statscope.host` with `state:
//! "stale"`); [`FleetConfig::host_ttl`] later its containers **end**: the hub sends each an empty
//! sample (Docker's "stopped"), so a page ends its curve there and drops it after its own TTL, and
//! the hub's history forgets them after `--history`. A stale host that speaks again is up again.
//! An agent's container info is said again every minute; the hub passes on only what changed.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::consumer::pull::OrderedConfig;
use async_nats::jetstream::consumer::DeliverPolicy;
use async_nats::jetstream::{self, Context};
use futures_util::StreamExt;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use statscope_core::model::Sample;
use statscope_core::protocol::{HostInfo, Message};
use statscope_core::Timestamp;

use super::{
    check_server, read_agent_message, stream_config, wait_connected, AgentMessage, NatsConnection,
    NatsError,
};
use crate::hub::Sink;
use crate::notice::{thousands, Cause, Notices};
use crate::source::{BoxFuture, Source};

/// How the hub follows the fleet.
#[derive(Clone, Debug)]
pub struct FleetConfig {
    pub connection: NatsConnection,
    /// The stream keeps this long (at least [`super::MIN_STREAM_AGE`]): the hub's `--history`.
    pub history: Duration,
    /// The stream's bytes, at most.
    pub stream_max_bytes: u64,
    /// A host silent this long is stale.
    pub stale_after: Duration,
    /// A stale host's containers end this long after it turned stale.
    pub host_ttl: Duration,
    pub max_hosts: usize,
    pub max_containers_per_host: usize,
    /// An agent's message larger than this is dropped.
    pub max_message_bytes: usize,
    /// How often the hub logs what it follows (hosts, samples per second, their age on arrival).
    pub report_every: Duration,
}

impl Default for FleetConfig {
    fn default() -> Self {
        FleetConfig {
            connection: NatsConnection::default(),
            history: Duration::from_secs(300),
            stream_max_bytes: 1 << 30,
            stale_after: Duration::from_secs(15),
            host_ttl: Duration::from_secs(60),
            max_hosts: 2000,
            max_containers_per_host: 2000,
            max_message_bytes: 1 << 20,
            report_every: Duration::from_secs(10),
        }
    }
}

/// What the hub read from the fleet, for logs, tests and benchmarks.
#[derive(Debug, Default)]
pub struct FleetCounts {
    /// Messages read from the stream, and their bytes.
    pub messages: AtomicU64,
    pub bytes: AtomicU64,
    /// Samples handed to the hub.
    pub samples: AtomicU64,
    /// Messages (or samples) dropped as unreadable, too large or misplaced.
    pub bad: AtomicU64,
    /// Messages of hosts over `max_hosts`, and samples of containers over the per-host cap.
    pub over_limit: AtomicU64,
    /// Messages the stream trimmed before the hub read them.
    pub lost: AtomicU64,
}

/// The fleet on NATS, as one source of many hosts.
pub struct Fleet {
    config: FleetConfig,
    client: async_nats::Client,
    events: tokio::sync::mpsc::Receiver<async_nats::Event>,
    counts: Arc<FleetCounts>,
}

impl std::fmt::Debug for Fleet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fleet")
            .field("nats", &self.config.connection.describe())
            .finish()
    }
}

impl Fleet {
    /// Connects to NATS (in the background if it does not answer yet) and, if it answers within
    /// `wait`, checks its version: a server too old is refused at once.
    pub async fn connect(config: FleetConfig, wait: Duration) -> Result<Fleet, NatsError> {
        let (client, mut events) =
            super::connect(&config.connection, "statscope hub", 4096).await?;
        let url = config.connection.describe();
        let never = CancellationToken::new();
        match tokio::time::timeout(wait, wait_connected(&client, &mut events, &url, &never)).await {
            Ok(result) => {
                result?;
            }
            Err(_) => {
                tracing::warn!(nats = %url, "NATS does not answer yet; serving the page and retrying");
            }
        }
        Ok(Fleet {
            config,
            client,
            events,
            counts: Arc::default(),
        })
    }

    /// The counters (shared with the running follower).
    pub fn counts(&self) -> Arc<FleetCounts> {
        self.counts.clone()
    }
}

impl Source for Fleet {
    fn kind(&self) -> &'static str {
        "nats"
    }
    fn describe(&self) -> String {
        format!("the fleet on NATS at {}", self.config.connection.describe())
    }
    fn many_hosts(&self) -> bool {
        true
    }
    fn run(self: Box<Self>, sink: Sink, shutdown: CancellationToken) -> BoxFuture {
        Box::pin(async move {
            let Fleet {
                config,
                client,
                mut events,
                counts,
            } = *self;
            let notices = sink.notices().for_host("");
            let mut follower = Follower::new(config, sink, notices, counts);
            follower.run(client, &mut events, shutdown).await;
        })
    }
}

/// One host as the hub follows it.
#[derive(Debug)]
struct Host {
    sink: Sink,
    /// Its state as its agent last said it.
    info: HostInfo,
    /// When it last said anything (by the hub's clock, dated back by the message's age).
    seen: Instant,
    /// Said to pages (`statscope.host`) since it was admitted.
    announced: bool,
    stale: bool,
    ended: bool,
    /// Container key → name, of the containers it sent samples of.
    containers: HashMap<String, String>,
    /// Container ID → its last `statscope.container` text, to pass on only changes.
    infos: HashMap<String, String>,
    notices: Notices,
}

struct Follower {
    config: FleetConfig,
    root: Sink,
    notices: Notices,
    counts: Arc<FleetCounts>,
    hosts: BTreeMap<String, Host>,
    /// Hosts refused for `max_hosts`, as a count of their messages.
    refused_hosts: u64,
    last_stream_seq: u64,
    /// Messages still pending in the stream after the last one read: the hub is catching up.
    pending: u64,
    /// Since when the hub hears the fleet (`None` while NATS is lost): silence before it is NATS's,
    /// not the agents'.
    hearing_since: Option<Instant>,
    /// Sample age on arrival (ms) since the last report.
    ages_ms: Vec<u32>,
    samples_since_report: u64,
}

impl Follower {
    fn new(config: FleetConfig, root: Sink, notices: Notices, counts: Arc<FleetCounts>) -> Self {
        // (`hearing_since` is set when following starts.)
        Follower {
            config,
            root,
            notices,
            counts,
            hosts: BTreeMap::new(),
            refused_hosts: 0,
            last_stream_seq: 0,
            pending: 0,
            hearing_since: None,
            ages_ms: Vec::new(),
            samples_since_report: 0,
        }
    }

    async fn run(
        &mut self,
        client: async_nats::Client,
        events: &mut tokio::sync::mpsc::Receiver<async_nats::Event>,
        shutdown: CancellationToken,
    ) {
        let url = self.config.connection.describe();
        let js = jetstream::ContextBuilder::new()
            .timeout(Duration::from_secs(10))
            .build(client.clone());
        let mut backoff = Duration::from_millis(250);
        loop {
            // Connected, a server new enough, the stream, the consumer: each retried until it
            // works (a server too old is said and retried too: it may be upgraded).
            let ready = tokio::select! {
                _ = shutdown.cancelled() => return,
                ready = self.prepare(&client, events, &js, &url, &shutdown) => ready,
            };
            let messages = match ready {
                Ok(Some(messages)) => messages,
                Ok(None) => return,
                Err(e) => {
                    self.notices
                        .hold(Cause::NatsUnreachable, 1, None, e.to_string());
                    tokio::select! {
                        _ = shutdown.cancelled() => return,
                        _ = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                    continue;
                }
            };
            backoff = Duration::from_millis(250);
            self.notices.clear(Cause::NatsUnreachable);
            if !self.follow(messages, &client, events, &shutdown).await {
                return;
            }
        }
    }

    /// Waits for the connection, checks the server, makes the stream and an ordered consumer
    /// from the stream's start. `Ok(None)` on shutdown.
    async fn prepare(
        &mut self,
        client: &async_nats::Client,
        events: &mut tokio::sync::mpsc::Receiver<async_nats::Event>,
        js: &Context,
        url: &str,
        shutdown: &CancellationToken,
    ) -> Result<Option<jetstream::consumer::pull::Ordered>, NatsError> {
        if client.connection_state() != async_nats::connection::State::Connected {
            self.notices.hold(
                Cause::NatsUnreachable,
                1,
                None,
                format!("NATS at {url} does not answer; retrying"),
            );
        }
        if !wait_connected(client, events, url, shutdown).await? {
            return Ok(None);
        }
        let config = stream_config(self.config.history, self.config.stream_max_bytes);
        let stream = match js.create_or_update_stream(config).await {
            Ok(info) => {
                tracing::info!(
                    nats = url,
                    stream = %info.config.name,
                    messages = info.state.messages,
                    bytes = info.state.bytes,
                    max_age_s = info.config.max_age.as_secs(),
                    max_mib = info.config.max_bytes >> 20,
                    "the fleet's stream"
                );
                js.get_stream(super::STREAM)
                    .await
                    .map_err(|e| js_error(url, "opening the stream", e))?
            }
            Err(e) => return Err(js_error(url, "creating or updating the stream", e)),
        };
        // After a restart of the consumer (not of NATS: the ordered consumer resumes by itself),
        // go on after the last message read.
        let deliver_policy = if self.last_stream_seq == 0 {
            DeliverPolicy::All
        } else {
            DeliverPolicy::ByStartSequence {
                start_sequence: self.last_stream_seq + 1,
            }
        };
        let consumer = stream
            .create_consumer(OrderedConfig {
                deliver_policy,
                description: Some("statscope hub".into()),
                ..OrderedConfig::default()
            })
            .await
            .map_err(|e| js_error(url, "creating the hub's consumer", e))?;
        let messages = consumer
            .messages()
            .await
            .map_err(|e| js_error(url, "reading the stream", e))?;
        Ok(Some(messages))
    }

    /// Reads messages until the consumer fails (`true`: prepare again) or shutdown (`false`).
    async fn follow(
        &mut self,
        mut messages: jetstream::consumer::pull::Ordered,
        client: &async_nats::Client,
        events: &mut tokio::sync::mpsc::Receiver<async_nats::Event>,
        shutdown: &CancellationToken,
    ) -> bool {
        let url = self.config.connection.describe();
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut report = tokio::time::interval_at(
            Instant::now() + self.config.report_every,
            self.config.report_every,
        );
        report.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let started = Instant::now();
        self.hearing_since = Some(started);
        let mut caught_up = false;
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return false,
                message = messages.next() => match message {
                    Some(Ok(message)) => {
                        self.message(&message).await;
                        if !caught_up && self.pending == 0 {
                            caught_up = true;
                            tracing::info!(
                                messages = self.counts.messages.load(Ordering::Relaxed),
                                hosts = self.hosts.len(),
                                seconds = started.elapsed().as_secs_f64(),
                                "read the stream up to now: history rebuilt, following live"
                            );
                        }
                    }
                    Some(Err(e)) => {
                        crate::warn_limited!("fleet-consumer", nats = %url, error = %e, "reading the fleet's stream failed; starting over from the last message read");
                        return true;
                    }
                    None => return true,
                },
                event = events.recv() => match event {
                    Some(async_nats::Event::Disconnected) => {
                        self.hearing_since = None;
                        self.notices.hold(Cause::NatsUnreachable, 1, None, format!("lost NATS at {url}; reconnecting"));
                    }
                    Some(async_nats::Event::Connected) => {
                        if let Err(e) = check_server(client, &url) {
                            tracing::error!("{e}");
                            self.notices.hold(Cause::NatsUnreachable, 1, None, e.to_string());
                            return true;
                        }
                        tracing::info!(nats = %url, "connected to NATS again");
                        self.notices.clear(Cause::NatsUnreachable);
                        // A restarted server has lost the consumer (it lives in memory): make a
                        // new one from the last message read now, rather than wait for the old
                        // one's missed heartbeats.
                        return true;
                    }
                    Some(other) => crate::info_limited!("nats-event", nats = %url, "NATS: {other}"),
                    None => {}
                },
                _ = tick.tick() => self.check_hosts().await,
                _ = report.tick() => self.report(),
            }
        }
    }

    /// One message from the stream (see the module docs).
    async fn message(&mut self, message: &jetstream::Message) {
        self.counts.messages.fetch_add(1, Ordering::Relaxed);
        self.counts
            .bytes
            .fetch_add(message.payload.len() as u64, Ordering::Relaxed);
        let now = Instant::now();
        let mut seen = now;
        if let Ok(info) = message.info() {
            if self.last_stream_seq != 0 && info.stream_sequence > self.last_stream_seq + 1 {
                self.lost(info.stream_sequence - self.last_stream_seq - 1);
            }
            self.last_stream_seq = self.last_stream_seq.max(info.stream_sequence);
            self.pending = info.pending;
            let published_ns = info.published.unix_timestamp_nanos();
            let age_ns = (wall_ns() - published_ns).max(0);
            seen = now
                .checked_sub(Duration::from_nanos(age_ns.min(i128::from(u64::MAX)) as u64))
                .unwrap_or(now);
        }
        let read = read_agent_message(
            message.subject.as_str(),
            &message.payload,
            self.config.max_message_bytes,
        );
        // A message within the size limit on one of a host's subjects admits its host, read or
        // not; anything else is said without.
        let key = match &read {
            Ok(m) => m.host().to_string(),
            Err(e) => match e.host() {
                Some(key) if e.admits_host() => key.to_string(),
                host => {
                    self.bad(host, e.to_string());
                    return;
                }
            },
        };
        if !self.hosts.contains_key(&key) && !self.admit(&key, seen) {
            return;
        }
        let said = match read {
            Ok(said) => said,
            Err(e) => {
                if e.is_sign_of_life() {
                    self.alive(&key, seen).await;
                }
                self.bad(Some(&key), e.to_string());
                return;
            }
        };
        self.alive(&key, seen).await;
        match said {
            AgentMessage::Host(info) => {
                let Some(host) = self.hosts.get_mut(&key) else {
                    return;
                };
                if host.info != info {
                    host.info = info.clone();
                    if !host.stale {
                        host.sink.set_host(info).await;
                    }
                }
            }
            AgentMessage::Samples {
                samples, foreign, ..
            } => self.samples(&key, samples, foreign).await,
            AgentMessage::Container(c) => {
                let max = self.config.max_containers_per_host;
                let Some(host) = self.hosts.get_mut(&key) else {
                    return;
                };
                let text = Message::Container(c.clone()).encode();
                match host.infos.get(&c.id) {
                    // Said again (the agent's refresh): nothing new for pages.
                    Some(known) if *known == text => {}
                    None if host.infos.len() >= max => {
                        self.counts.over_limit.fetch_add(1, Ordering::Relaxed);
                    }
                    _ => {
                        host.infos.insert(c.id.clone(), text);
                        host.sink.send_message(Message::Container(c)).await;
                    }
                }
            }
            AgentMessage::Event(e) => {
                let Some(host) = self.hosts.get_mut(&key) else {
                    return;
                };
                if e.action == "destroy" {
                    host.infos.remove(&e.id);
                }
                host.sink.send_message(Message::Event(e)).await;
            }
            AgentMessage::Notice(n) => {
                let Some(host) = self.hosts.get(&key) else {
                    return;
                };
                host.sink.send_message(Message::Notice(n)).await;
            }
            // A newer agent's message: ignored, as a page ignores it.
            AgentMessage::Newer { .. } => {}
        }
    }

    /// A new host, if there is room for it.
    fn admit(&mut self, key: &str, seen: Instant) -> bool {
        if self.hosts.len() >= self.config.max_hosts {
            self.refused_hosts += 1;
            self.counts.over_limit.fetch_add(1, Ordering::Relaxed);
            self.notices.hold(
                Cause::HostsOverLimit,
                self.refused_hosts,
                Some(self.config.max_hosts as u64),
                format!(
                    "more than {} hosts publish: {} messages of the others dropped (--max-hosts)",
                    thousands(self.config.max_hosts as u64),
                    thousands(self.refused_hosts)
                ),
            );
            return false;
        }
        let sink = self.root.for_host(key);
        let notices = sink.notices().clone();
        let info = HostInfo {
            host: key.to_string(),
            name: key.to_string(),
            engine: String::new(),
            describe: "a statscope agent".into(),
            state: "up".into(),
            error: None,
        };
        self.hosts.insert(
            key.to_string(),
            Host {
                sink,
                info,
                // Older than anything: `alive` sets it.
                seen,
                announced: false,
                stale: false,
                ended: false,
                containers: HashMap::new(),
                infos: HashMap::new(),
                notices,
            },
        );
        true
    }

    /// A sign of life from `key`, dated `seen`: a stale host that speaks now is up again, or new.
    async fn alive(&mut self, key: &str, seen: Instant) {
        let stale_after = self.config.stale_after;
        let Some(host) = self.hosts.get_mut(key) else {
            return;
        };
        host.seen = host.seen.max(seen);
        let recent = Instant::now().saturating_duration_since(seen) < stale_after;
        if host.stale && recent {
            tracing::info!(host = %key, "its agent speaks again: up");
            host.stale = false;
            host.ended = false;
            host.sink.set_host(host.info.clone()).await;
        } else if !host.announced {
            host.announced = true;
            host.sink.set_host(host.info.clone()).await;
        }
    }

    /// A host's samples (`foreign`: those of its message that named another host, left out).
    async fn samples(&mut self, key: &str, samples: Vec<Sample>, foreign: u64) {
        let max_containers = self.config.max_containers_per_host;
        let wall = wall_ns();
        let Some(host) = self.hosts.get_mut(key) else {
            return;
        };
        let mut over = 0u64;
        for sample in samples {
            if !host.containers.contains_key(&sample.key) {
                if host.containers.len() >= max_containers {
                    over += 1;
                    continue;
                }
                host.containers
                    .insert(sample.key.clone(), sample.name.clone());
            }
            if !sample.read.is_zero() {
                let age_ms =
                    ((wall - sample.read.unix_ns()) / 1_000_000).clamp(0, u32::MAX as i128);
                if self.ages_ms.len() < 1 << 20 {
                    self.ages_ms.push(age_ms as u32);
                }
            }
            self.samples_since_report += 1;
            self.counts.samples.fetch_add(1, Ordering::Relaxed);
            if !host.sink.send_sample(sample).await {
                return;
            }
        }
        if over > 0 {
            self.counts.over_limit.fetch_add(over, Ordering::Relaxed);
            let n = host.containers.len() as u64;
            host.notices.hold(
                Cause::ContainersOverLimit,
                over,
                Some(max_containers as u64),
                format!(
                    "its agent sends more than {} containers: the others' samples dropped \
                     (--max-containers-per-host)",
                    thousands(n)
                ),
            );
        }
        if foreign > 0 {
            self.bad(
                Some(key),
                format!("{foreign} samples whose key names another host (dropped)"),
            );
        }
    }

    /// Turns silent hosts stale, and ends a stale host's containers after the TTL.
    async fn check_hosts(&mut self) {
        // While the hub reads old messages (after a restart), silence is not known yet; while it
        // does not hear NATS, nor is it: a host is silent only for what the hub could have heard.
        let Some(hearing_since) = self.hearing_since else {
            return;
        };
        if self.pending > 0 {
            return;
        }
        let now = Instant::now();
        let (stale_after, ttl) = (self.config.stale_after, self.config.host_ttl);
        for (key, host) in &mut self.hosts {
            let silent = now.saturating_duration_since(host.seen.max(hearing_since));
            if !host.stale && silent >= stale_after {
                host.stale = true;
                tracing::warn!(host = %key, silent_s = silent.as_secs(), "its agent is silent: stale");
                let mut info = host.info.clone();
                info.state = "stale".into();
                info.error = Some(format!(
                    "its agent has said nothing for {} s (--stale-after-s); its containers end {} s later",
                    silent.as_secs(),
                    ttl.as_secs()
                ));
                host.sink.set_host(info).await;
            }
            if host.stale && !host.ended && silent >= stale_after + ttl {
                host.ended = true;
                let mut ended: Vec<(String, String)> = host.containers.drain().collect();
                ended.sort();
                tracing::info!(host = %key, containers = ended.len(), "a stale host's containers end");
                for (container, name) in ended {
                    let empty = Sample {
                        key: container,
                        name,
                        read: Timestamp::ZERO,
                        ..Sample::default()
                    };
                    if !host.sink.send_sample(empty).await {
                        return;
                    }
                }
                host.infos.clear();
            }
        }
    }

    fn bad(&mut self, host: Option<&str>, text: String) {
        self.counts.bad.fetch_add(1, Ordering::Relaxed);
        let notices = match host.and_then(|h| self.hosts.get(h)) {
            Some(h) => h.notices.clone(),
            None => self.notices.clone(),
        };
        let total = notices.count(Cause::BadAgentMessage) + 1;
        notices.cut(
            Cause::BadAgentMessage,
            1,
            None,
            format!(
                "{} unreadable or misplaced, dropped (last: {text})",
                plural(total, "message")
            ),
        );
    }

    fn lost(&mut self, n: u64) {
        self.counts.lost.fetch_add(n, Ordering::Relaxed);
        let total = self.counts.lost.load(Ordering::Relaxed);
        self.notices.cut(
            Cause::StreamLost,
            n,
            Some(self.config.stream_max_bytes),
            format!(
                "{} trimmed from the stream before the hub read them (--nats-stream-mib, --history)",
                plural(total, "message")
            ),
        );
    }

    /// One log line: hosts, samples per second, and how old samples were when they arrived.
    fn report(&mut self) {
        let secs = self.config.report_every.as_secs_f64().max(1e-3);
        let up = self.hosts.values().filter(|h| !h.stale).count();
        let containers: usize = self.hosts.values().map(|h| h.containers.len()).sum();
        let (p50, p99) = percentiles(&mut self.ages_ms);
        tracing::info!(
            hosts = self.hosts.len(),
            up,
            containers,
            samples_per_s = (self.samples_since_report as f64 / secs).round(),
            age_p50_ms = p50,
            age_p99_ms = p99,
            bad = self.counts.bad.load(Ordering::Relaxed),
            lost = self.counts.lost.load(Ordering::Relaxed),
            "fleet"
        );
        self.ages_ms.clear();
        self.samples_since_report = 0;
    }
}

fn js_error(url: &str, what: &'static str, e: impl std::fmt::Display) -> NatsError {
    let mut error = e.to_string();
    if error.contains("insufficient storage") {
        error.push_str(
            " (lower --nats-stream-mib, or give nats-server more JetStream storage: -sd on a \
             larger disk, or jetstream { max_file_store } in its configuration)",
        );
    }
    if error.contains("jetstream not enabled")
        || error.contains("JetStream not enabled")
        || error.contains("no responders")
    {
        NatsError::NoJetStream {
            url: url.to_string(),
            error,
        }
    } else {
        NatsError::JetStream {
            url: url.to_string(),
            what,
            error,
        }
    }
}

/// `1 message`, `2 messages`.
fn plural(n: u64, what: &str) -> String {
    format!("{} {what}{}", thousands(n), if n == 1 { "" } else { "s" })
}

/// The median and 99th percentile of `values` (0 when empty).
fn percentiles(values: &mut [u32]) -> (u32, u32) {
    if values.is_empty() {
        return (0, 0);
    }
    values.sort_unstable();
    let at = |q: f64| values[((values.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.99))
}

/// The wall clock in ns since the epoch: only to date messages (the stream's receive time) and
/// samples (their `read`) against now.
fn wall_ns() -> i128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i128)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_ages() {
        assert_eq!(percentiles(&mut []), (0, 0));
        let mut v: Vec<u32> = (1..=100).rev().collect();
        assert_eq!(percentiles(&mut v), (51, 99));
    }
}
