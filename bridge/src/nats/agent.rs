//! `statscope agent`: one host's stats, published to NATS for the fleet's hub.
//!
//! The agent runs the same sources as `serve` ([`crate::source::Source`]) into a hub of its own
//! ([`crate::hub::Hub`], without history and without pages), which reads each stats object into
//! the compact sample, batches each host's samples of [`AgentConfig::batch`] into one
//! `statscope.samples` message, keeps control messages alone and in order, and paces notices.
//! The agent subscribes to that hub before any source starts (so nothing is missed and a replay
//! starts at once) and turns every message into one NATS message on its host's subject
//! ([`super::Subjects`]). Every [`AgentConfig::beat`] it says each host's state again (the
//! liveness beat), and every [`AgentConfig::refresh`] its containers' info (so a hub that starts
//! learns them from the stream).
//!
//! **Riding out NATS.** Messages wait in an outbox bounded by [`AgentConfig::buffer_bytes`]; when
//! it is full the oldest go first — counted ([`AgentCounts`]), logged (rate-limited) and said (an
//! `agent-buffer-full` notice on the host's control subject, delivered once NATS takes messages
//! again). A publisher sends from the outbox with JetStream acknowledgements, at most
//! [`AgentConfig::acks_in_flight`] unacknowledged; a message whose acknowledgement fails (NATS
//! restarting, no stream yet) goes back to the front of the outbox, in order, and is retried after
//! a pause; its ID (`Nats-Msg-Id`) lets the stream store it once however often it is sent. So what
//! the agent read is either in the stream, in the outbox, or counted as dropped. The NATS client
//! holds at most [`AgentConfig::client_capacity`] commands more.
//!
//! The agent never creates the stream (the hub does, with its limits): until it exists the agent
//! keeps what it reads, bounded as above.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_nats::jetstream::message::PublishMessage;
use async_nats::jetstream::{self, context::PublishError};
use bytes::Bytes;
use futures_util::stream::{FuturesOrdered, StreamExt};
use futures_util::FutureExt;
use serde::de::IgnoredAny;
use serde::Deserialize;
use tokio::sync::{broadcast::error::RecvError, Notify};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use statscope_core::protocol::Message;

use super::{check_server, host_key, Kind, NatsConnection, NatsError, Subjects};
use crate::hub::{Frame, Hub, HubConfig, Out};
use crate::notice::{mib, thousands, Cause, Notices};
use crate::source::Source;

/// How the agent publishes.
#[derive(Clone, Debug)]
pub struct AgentConfig {
    pub connection: NatsConnection,
    /// A host's samples of this long travel as one message.
    pub batch: Duration,
    /// Each host's state is said at least this often.
    pub beat: Duration,
    /// Each container's info is said again this often (below the stream's shortest age,
    /// [`super::MIN_STREAM_AGE`]).
    pub refresh: Duration,
    /// What waits for NATS, at most (the oldest go first).
    pub buffer_bytes: usize,
    /// JetStream acknowledgements awaited at once.
    pub acks_in_flight: usize,
    /// The NATS client's own queue of commands.
    pub client_capacity: usize,
    /// A samples message is cut at about half this; a single sample over it is dropped.
    pub max_message_bytes: usize,
    /// A publish and its acknowledgement must complete within this.
    pub publish_timeout: Duration,
    /// After a failed publish, wait this long before retrying (doubling while failures go on, up
    /// to 5 s).
    pub retry_pause: Duration,
}

impl Default for AgentConfig {
    fn default() -> Self {
        AgentConfig {
            connection: NatsConnection::default(),
            batch: Duration::from_millis(500),
            beat: Duration::from_secs(5),
            refresh: Duration::from_secs(60),
            buffer_bytes: 64 << 20,
            acks_in_flight: 256,
            client_capacity: 256,
            max_message_bytes: 256 << 10,
            publish_timeout: Duration::from_secs(5),
            retry_pause: Duration::from_millis(500),
        }
    }
}

/// One host the agent publishes: its name for people, and its source.
pub struct AgentHost {
    pub name: String,
    pub source: Box<dyn Source>,
}

impl std::fmt::Debug for AgentHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentHost")
            .field("name", &self.name)
            .field("source", &self.source.kind())
            .finish()
    }
}

/// What the agent did, for logs, tests and benchmarks.
#[derive(Debug, Default)]
pub struct AgentCounts {
    /// Messages stored by the stream (acknowledged), their payload bytes, and the samples in them.
    pub published: AtomicU64,
    pub published_bytes: AtomicU64,
    pub published_samples: AtomicU64,
    /// Messages (and the samples in them) dropped because the outbox was full.
    pub dropped: AtomicU64,
    pub dropped_samples: AtomicU64,
    /// Publishes that failed and were retried.
    pub retried: AtomicU64,
    /// Messages the agent's own hub dropped before the agent read them (it fell behind).
    pub lagged: AtomicU64,
    /// Messages waiting in the outbox now, and their bytes.
    pub queued: AtomicU64,
    pub queued_bytes: AtomicU64,
}

/// Runs the agent until `shutdown`: `hosts` (at least one) published through `client`. Returns
/// the counts when it stops, or the error that stopped it (a server too old).
pub async fn run(
    client: async_nats::Client,
    events: tokio::sync::mpsc::Receiver<async_nats::Event>,
    hosts: Vec<AgentHost>,
    config: AgentConfig,
    shutdown: CancellationToken,
) -> Result<Arc<AgentCounts>, NatsError> {
    let counts = Arc::new(AgentCounts::default());
    let url = config.connection.describe();
    let stop = shutdown.child_token();
    let notices = Notices::default();
    let hub_config = HubConfig {
        tick: config.batch,
        client_queue_frames: 8192,
        max_frame_bytes: config.max_message_bytes,
        batch_bytes: config.max_message_bytes / 2,
        history: Duration::ZERO,
        history_bytes: 0,
        max_containers: 1 << 20,
        recent_events: 0,
        source: "agent".into(),
        describe: format!("statscope agent publishing to {url}"),
        // No page subscribes here: the hub of the fleet ranks.
        max_per_page: 0,
        rank_every: Duration::ZERO,
    };
    let (hub, root) = Hub::start_with(hub_config, notices.clone(), stop.clone());
    // Subscribed before any source runs: nothing is missed, and a replay starts at once.
    let subscription = hub.subscribe(None);
    let mut names = BTreeMap::new();
    let mut first_key = None;
    for AgentHost { name, source } in hosts {
        let key = host_key(&name);
        first_key.get_or_insert_with(|| key.clone());
        let mut info = source.host();
        info.host = key.clone();
        info.name = name.clone();
        tracing::info!(host = %key, source = source.kind(), "publishing {} to {url}", source.describe());
        names.insert(key.clone(), name);
        hub.add_host(info);
        tokio::spawn(source.run(root.for_host(&key), stop.clone()));
    }
    let first_key = first_key.unwrap_or_else(|| "host".into());
    let outbox = Arc::new(Outbox::new(config.buffer_bytes, counts.clone()));
    let fatal = Arc::new(Mutex::new(None));
    let watcher = tokio::spawn(watch(
        client.clone(),
        events,
        url.clone(),
        fatal.clone(),
        stop.clone(),
    ));
    let router = tokio::spawn(route(
        subscription.frames,
        Router {
            outbox: outbox.clone(),
            counts: counts.clone(),
            names,
            notices: notices.for_host(&first_key),
            first_key,
            config: config.clone(),
            hosts: BTreeMap::new(),
            infos: HashMap::new(),
        },
        stop.clone(),
    ));
    let js = jetstream::ContextBuilder::new()
        .timeout(config.publish_timeout)
        .max_ack_inflight(config.acks_in_flight.max(1))
        .backpressure_on_inflight(true)
        .build(client.clone());
    publish(js, outbox.clone(), counts.clone(), &config, stop.clone()).await;
    stop.cancel();
    let _ = router.await;
    let _ = watcher.await;
    let _ = client.flush().await;
    tracing::info!(
        published = counts.published.load(Ordering::Relaxed),
        samples = counts.published_samples.load(Ordering::Relaxed),
        dropped = counts.dropped.load(Ordering::Relaxed),
        unsent = counts.queued.load(Ordering::Relaxed),
        "the agent stopped"
    );
    let error = fatal.lock().unwrap_or_else(|e| e.into_inner()).take();
    match error {
        Some(e) => Err(e),
        None => Ok(counts),
    }
}

/// Logs what happens to the connection, and stops the agent on a server too old.
async fn watch(
    client: async_nats::Client,
    mut events: tokio::sync::mpsc::Receiver<async_nats::Event>,
    url: String,
    fatal: Arc<Mutex<Option<NatsError>>>,
    stop: CancellationToken,
) {
    let check = |client: &async_nats::Client| {
        if let Err(e) = check_server(client, &url) {
            tracing::error!("{e}");
            *fatal.lock().unwrap_or_else(|e| e.into_inner()) = Some(e);
            stop.cancel();
        }
    };
    if client.connection_state() == async_nats::connection::State::Connected {
        check(&client);
    }
    loop {
        let event = tokio::select! {
            _ = stop.cancelled() => return,
            event = events.recv() => match event { Some(e) => e, None => return },
        };
        match event {
            async_nats::Event::Connected => {
                tracing::info!(nats = %url, "connected to NATS");
                check(&client);
            }
            async_nats::Event::Disconnected => {
                tracing::warn!(nats = %url, "lost NATS; reconnecting (what is read meanwhile is kept, bounded by --buffer-kib)");
            }
            other => crate::info_limited!("nats-event", nats = %url, "NATS: {other}"),
        }
    }
}

/// A NATS message waiting to be published.
#[derive(Clone, Debug)]
struct Outgoing {
    subject: String,
    payload: Bytes,
    samples: u64,
    /// Its `Nats-Msg-Id`.
    id: String,
}

/// What waits for NATS, bounded in bytes (see the module docs).
#[derive(Debug)]
struct Outbox {
    queue: Mutex<VecDeque<Outgoing>>,
    bytes: AtomicU64,
    max_bytes: usize,
    ready: Notify,
    counts: Arc<AgentCounts>,
}

impl Outbox {
    fn new(max_bytes: usize, counts: Arc<AgentCounts>) -> Outbox {
        Outbox {
            queue: Mutex::new(VecDeque::new()),
            bytes: AtomicU64::new(0),
            max_bytes,
            ready: Notify::new(),
            counts,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Outgoing>> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds `out` at the back; returns the messages and samples dropped from the front to make
    /// room.
    fn push(&self, out: Outgoing) -> (u64, u64) {
        let (mut messages, mut samples) = (0, 0);
        {
            let mut queue = self.lock();
            let mut bytes = self.bytes.load(Ordering::Relaxed) as usize;
            if out.payload.len() > self.max_bytes {
                // Larger than the whole buffer: it alone is dropped.
                messages += 1;
                samples += out.samples;
            } else {
                while bytes + out.payload.len() > self.max_bytes {
                    let Some(old) = queue.pop_front() else { break };
                    bytes -= old.payload.len();
                    messages += 1;
                    samples += old.samples;
                }
                bytes += out.payload.len();
                queue.push_back(out);
            }
            self.bytes.store(bytes as u64, Ordering::Relaxed);
            self.counts
                .queued
                .store(queue.len() as u64, Ordering::Relaxed);
        }
        self.counts
            .queued_bytes
            .store(self.bytes.load(Ordering::Relaxed), Ordering::Relaxed);
        if messages > 0 {
            self.counts.dropped.fetch_add(messages, Ordering::Relaxed);
            self.counts
                .dropped_samples
                .fetch_add(samples, Ordering::Relaxed);
        }
        self.ready.notify_one();
        (messages, samples)
    }

    fn pop(&self) -> Option<Outgoing> {
        let mut queue = self.lock();
        let out = queue.pop_front()?;
        let bytes = self
            .bytes
            .fetch_sub(out.payload.len() as u64, Ordering::Relaxed)
            - out.payload.len() as u64;
        self.counts
            .queued
            .store(queue.len() as u64, Ordering::Relaxed);
        self.counts.queued_bytes.store(bytes, Ordering::Relaxed);
        Some(out)
    }

    /// Puts `failed` back at the front, in their order (they were sent first). They may push the
    /// buffer over its bound briefly; the next [`Outbox::push`] trims it.
    fn requeue(&self, failed: Vec<Outgoing>) {
        let mut queue = self.lock();
        for out in failed.into_iter().rev() {
            self.bytes
                .fetch_add(out.payload.len() as u64, Ordering::Relaxed);
            queue.push_front(out);
        }
        self.counts
            .queued
            .store(queue.len() as u64, Ordering::Relaxed);
        self.counts
            .queued_bytes
            .store(self.bytes.load(Ordering::Relaxed), Ordering::Relaxed);
    }

    fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }
}

/// The parts of a message the agent routes by.
#[derive(Deserialize)]
struct Head {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    host: Option<String>,
    #[serde(default)]
    samples: Option<Vec<IgnoredAny>>,
}

/// Turns the agent's hub's frames into outgoing NATS messages.
struct Router {
    outbox: Arc<Outbox>,
    counts: Arc<AgentCounts>,
    /// Host key → its name for people.
    names: BTreeMap<String, String>,
    /// Where the agent's own notices (host `""`) go.
    first_key: String,
    notices: Notices,
    config: AgentConfig,
    /// Host key → its latest `statscope.host`, said again on each beat.
    hosts: BTreeMap<String, Bytes>,
    /// (host, container ID) → its latest `statscope.container`, said again on each refresh.
    infos: HashMap<(String, String), Bytes>,
}

impl Router {
    fn frame(&mut self, frame: &Frame, next_id: &mut u64, instance: &str) {
        let text = frame.as_str();
        let Ok(head) = serde_json::from_str::<Head>(text) else {
            return;
        };
        let host = match head.host.as_deref() {
            Some(h) if !h.is_empty() => h.to_string(),
            _ => self.first_key.clone(),
        };
        let (kind, payload) = match head.kind.as_str() {
            "statscope.samples" => (Kind::Samples, Bytes::copy_from_slice(text.as_bytes())),
            "statscope.container" | "statscope.event" | "statscope.notice" => {
                let payload = Bytes::copy_from_slice(text.as_bytes());
                self.remember(&host, &payload);
                (Kind::Control, payload)
            }
            "statscope.host" => {
                // The name given to the agent, whatever the source calls its host.
                let Ok(Some(Message::Host(mut info))) = Message::decode(text) else {
                    return;
                };
                if let Some(name) = self.names.get(&info.host) {
                    info.name.clone_from(name);
                }
                let payload = Bytes::from(Message::Host(info).encode());
                self.hosts.insert(host.clone(), payload.clone());
                (Kind::Host, payload)
            }
            // hello, dropped, heartbeat: only for pages.
            _ => return,
        };
        let samples = head.samples.map_or(0, |s| s.len() as u64);
        self.send(&host, kind, payload, samples, next_id, instance);
    }

    /// Keeps a container's latest info (forgotten on `destroy`), bounded.
    fn remember(&mut self, host: &str, payload: &Bytes) {
        let Ok(Some(message)) = Message::decode(std::str::from_utf8(payload).unwrap_or_default())
        else {
            return;
        };
        match message {
            Message::Container(c) if self.infos.len() < (1 << 20) => {
                self.infos.insert((host.to_string(), c.id), payload.clone());
            }
            Message::Event(e) if e.action == "destroy" => {
                self.infos.remove(&(host.to_string(), e.id));
            }
            _ => {}
        }
    }

    fn send(
        &mut self,
        host: &str,
        kind: Kind,
        payload: Bytes,
        samples: u64,
        next_id: &mut u64,
        instance: &str,
    ) {
        *next_id += 1;
        let (dropped, _) = self.outbox.push(Outgoing {
            subject: Subjects::of(host, kind),
            payload,
            samples,
            id: format!("{instance}-{next_id}"),
        });
        if dropped > 0 {
            let total = self.counts.dropped.load(Ordering::Relaxed);
            let total_samples = self.counts.dropped_samples.load(Ordering::Relaxed);
            self.notices.cut(
                Cause::AgentBufferFull,
                dropped,
                Some(self.config.buffer_bytes as u64),
                format!(
                    "the agent's buffer ({}) was full while NATS did not take messages: its {} oldest \
                     messages ({} samples) dropped (--buffer-kib)",
                    mib(self.config.buffer_bytes as u64),
                    thousands(total),
                    thousands(total_samples)
                ),
            );
        }
    }

    /// Every host's state again (the liveness beat).
    fn beat(&mut self, next_id: &mut u64, instance: &str) {
        let hosts: Vec<(String, Bytes)> = self
            .hosts
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for (host, payload) in hosts {
            self.send(&host, Kind::Host, payload, 0, next_id, instance);
        }
    }

    /// Every container's info again.
    fn refresh(&mut self, next_id: &mut u64, instance: &str) {
        let mut infos: Vec<((String, String), Bytes)> = self
            .infos
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        infos.sort_by(|a, b| a.0.cmp(&b.0));
        for ((host, _), payload) in infos {
            self.send(&host, Kind::Control, payload, 0, next_id, instance);
        }
    }
}

async fn route(
    mut frames: tokio::sync::broadcast::Receiver<Out>,
    mut router: Router,
    stop: CancellationToken,
) {
    let instance = instance_id();
    let mut next_id = 0u64;
    let mut beat = tokio::time::interval(router.config.beat);
    beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut refresh = tokio::time::interval_at(
        Instant::now() + router.config.refresh,
        router.config.refresh,
    );
    refresh.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            frame = frames.recv() => match frame {
                Ok(out) => router.frame(out.frame(), &mut next_id, &instance),
                Err(RecvError::Lagged(n)) => {
                    router.counts.lagged.fetch_add(n, Ordering::Relaxed);
                    crate::warn_limited!("agent-lagged", messages = n, "the agent fell behind its sources: messages dropped");
                }
                Err(RecvError::Closed) => return,
            },
            _ = beat.tick() => router.beat(&mut next_id, &instance),
            _ = refresh.tick() => router.refresh(&mut next_id, &instance),
        }
    }
}

type Acked = (Outgoing, Result<(), PublishError>);

/// Publishes from the outbox with bounded acknowledgements in flight until `stop`, then for up to
/// a few seconds more what is left.
async fn publish(
    js: jetstream::Context,
    outbox: Arc<Outbox>,
    counts: Arc<AgentCounts>,
    config: &AgentConfig,
    stop: CancellationToken,
) {
    let mut in_flight: FuturesOrdered<futures_util::future::BoxFuture<'static, Acked>> =
        FuturesOrdered::new();
    let mut failed: Vec<Outgoing> = Vec::new();
    let mut paused_until: Option<Instant> = None;
    let mut failing = false;
    // Failures in a row: the pause before a retry doubles with them, up to 5 s (no stream yet, or
    // NATS refusing, should not make the agent resend its window twice a second).
    let mut failures: u32 = 0;
    let pause = |failures: u32| {
        (config.retry_pause * 2u32.saturating_pow(failures.min(8))).min(Duration::from_secs(5))
    };
    let mut deadline: Option<Instant> = None;
    loop {
        if stop.is_cancelled() && deadline.is_none() {
            deadline = Some(Instant::now() + Duration::from_secs(3));
        }
        if let Some(d) = deadline {
            if Instant::now() >= d || (outbox.is_empty() && in_flight.is_empty()) {
                return;
            }
        }
        // Nothing is handed to the client while it is disconnected: what waits, waits here, where
        // it is bounded and counted (the client's own queue holds only what was in flight).
        let connected = js.client().connection_state() == async_nats::connection::State::Connected;
        let may_send = connected
            && in_flight.len() < config.acks_in_flight.max(1)
            && failed.is_empty()
            && paused_until.is_none_or(|t| Instant::now() >= t);
        let next = if may_send { outbox.pop() } else { None };
        if let Some(out) = next {
            let publish = PublishMessage::build()
                .payload(out.payload.clone())
                .message_id(out.id.clone());
            match js.send_publish(out.subject.clone(), publish).await {
                Ok(ack) => in_flight.push_back(
                    async move {
                        let result = ack.await.map(|_| ());
                        (out, result)
                    }
                    .boxed(),
                ),
                Err(e) => {
                    note_failure(&e, &mut failing, &counts);
                    failed.push(out);
                    paused_until = Some(Instant::now() + pause(failures));
                    failures += 1;
                }
            }
            continue;
        }
        if in_flight.is_empty() && !failed.is_empty() {
            outbox.requeue(std::mem::take(&mut failed));
            continue;
        }
        let paused = async {
            match paused_until {
                Some(t) => tokio::time::sleep_until(t).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            Some((out, result)) = in_flight.next(), if !in_flight.is_empty() => match result {
                Ok(()) => {
                    failures = 0;
                    if failing {
                        failing = false;
                        tracing::info!("NATS takes messages again");
                    }
                    counts.published.fetch_add(1, Ordering::Relaxed);
                    counts.published_bytes.fetch_add(out.payload.len() as u64, Ordering::Relaxed);
                    counts.published_samples.fetch_add(out.samples, Ordering::Relaxed);
                }
                Err(e) => {
                    note_failure(&e, &mut failing, &counts);
                    // One pause for the whole window that fails together.
                    if failed.is_empty() {
                        paused_until = Some(Instant::now() + pause(failures));
                        failures += 1;
                    }
                    failed.push(out);
                }
            },
            _ = outbox.ready.notified(), if may_send => {}
            _ = paused, if paused_until.is_some() => { paused_until = None; }
            _ = stop.cancelled(), if deadline.is_none() => {}
            _ = tokio::time::sleep(Duration::from_millis(100)), if deadline.is_some() || !connected => {}
        }
    }
}

fn note_failure(e: &PublishError, failing: &mut bool, counts: &AgentCounts) {
    counts.retried.fetch_add(1, Ordering::Relaxed);
    use async_nats::jetstream::context::PublishErrorKind;
    let why = match e.kind() {
        PublishErrorKind::StreamNotFound => {
            "no JetStream stream takes statscope.v1.> yet (the hub, statscope serve --nats, creates it)"
        }
        PublishErrorKind::TimedOut => "NATS did not acknowledge in time",
        _ => "NATS refused or lost a message",
    };
    if !*failing {
        *failing = true;
        tracing::warn!(error = %e, "{why}; keeping messages and retrying");
    } else {
        crate::warn_limited!("agent-publish-failed", error = %e, "{why}; retrying");
    }
}

/// This run of the agent, for message IDs: 16 hex digits from the clock and the process.
fn instance_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let mixed = (nanos as u64) ^ (u64::from(std::process::id()) << 32) ^ 0x9e37_79b9_7f4a_7c15;
    format!("{:016x}", mixed.wrapping_mul(0xbf58_476d_1ce4_e5b9))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn out(n: usize, samples: u64) -> Outgoing {
        Outgoing {
            subject: "s".into(),
            payload: Bytes::from(vec![b'x'; n]),
            samples,
            id: String::new(),
        }
    }

    fn router(outbox: Arc<Outbox>, counts: Arc<AgentCounts>) -> Router {
        Router {
            outbox,
            counts,
            names: BTreeMap::from([("web-1".to_string(), "web 1".to_string())]),
            first_key: "web-1".into(),
            notices: Notices::default().for_host("web-1"),
            config: AgentConfig::default(),
            hosts: BTreeMap::new(),
            infos: HashMap::new(),
        }
    }

    fn drain(outbox: &Outbox) -> Vec<(String, String)> {
        std::iter::from_fn(|| outbox.pop())
            .map(|o| (o.subject, String::from_utf8_lossy(&o.payload).into_owned()))
            .collect()
    }

    #[test]
    fn frames_go_to_their_hosts_subjects_and_pages_own_ones_nowhere() {
        let counts = Arc::new(AgentCounts::default());
        let outbox = Arc::new(Outbox::new(1 << 20, counts.clone()));
        let mut r = router(outbox.clone(), counts);
        let (mut id, instance) = (0, "run");
        let frames = [
            r#"{"type":"statscope.hello","source":"agent","hosts":[]}"#,
            r#"{"type":"statscope.host","host":"web-1","name":"docker-box","engine":"docker","describe":"unix:///var/run/docker.sock","state":"up"}"#,
            r#"{"type":"statscope.samples","host":"web-1","seq":2,"samples":[["a@web-1","a",null,1,null,1,1,1,0,0,0,0,0,null,null,0,0,0,0,0,0,0,1],["b@web-1","b",null,1,null,1,1,1,0,0,0,0,0,null,null,0,0,0,0,0,0,0,1]]}"#,
            r#"{"type":"statscope.container","host":"web-1","id":"a","name":"a","image":"i","cpuLimit":null,"cpuLimitFrom":null,"memoryLimitBytes":null}"#,
            r#"{"type":"statscope.container","host":"web-1","id":"b","name":"b","image":"i","cpuLimit":null,"cpuLimitFrom":null,"memoryLimitBytes":null}"#,
            r#"{"type":"statscope.event","host":"web-1","id":"b","name":"b","action":"destroy","time":"2026-11-24T05:00:00.000000000Z"}"#,
            r#"{"type":"statscope.notice","cause":"agent-buffer-full","text":"x","count":1,"limit":null,"active":true}"#,
            r#"{"type":"statscope.dropped","frames":1,"total":1}"#,
            r#"{"type":"statscope.heartbeat"}"#,
        ];
        for f in frames {
            r.frame(&Frame::from(f.to_string()), &mut id, instance);
        }
        let sent = drain(&outbox);
        let subjects: Vec<&str> = sent.iter().map(|(s, _)| s.as_str()).collect();
        assert_eq!(
            subjects,
            [
                "statscope.v1.web-1.host",
                "statscope.v1.web-1.samples",
                "statscope.v1.web-1.control",
                "statscope.v1.web-1.control",
                "statscope.v1.web-1.control",
                // The agent's own notice (no host): said on its first host's subject.
                "statscope.v1.web-1.control",
            ]
        );
        assert!(
            sent[0].1.contains("\"name\":\"web 1\""),
            "the name given: {}",
            sent[0].1
        );
        assert_eq!(r.outbox.counts.queued.load(Ordering::Relaxed), 0);
        // The beat says the host again; the refresh, the containers still there (not b).
        r.beat(&mut id, instance);
        r.refresh(&mut id, instance);
        let again = drain(&outbox);
        assert_eq!(again.len(), 2, "{again:?}");
        assert_eq!(again[0].0, "statscope.v1.web-1.host");
        assert!(again[1].1.contains("\"id\":\"a\""), "{}", again[1].1);
        assert_eq!(id, 8, "every message has its own ID");
    }

    #[test]
    fn the_outbox_drops_its_oldest_when_full_and_counts_them() {
        let counts = Arc::new(AgentCounts::default());
        let outbox = Outbox::new(100, counts.clone());
        assert_eq!(outbox.push(out(40, 1)), (0, 0));
        assert_eq!(outbox.push(out(40, 2)), (0, 0));
        assert_eq!(outbox.push(out(40, 3)), (1, 1), "the oldest made room");
        assert_eq!(
            outbox.push(out(500, 9)),
            (1, 9),
            "larger than the buffer: it alone goes"
        );
        assert_eq!(counts.dropped.load(Ordering::Relaxed), 2);
        assert_eq!(counts.dropped_samples.load(Ordering::Relaxed), 10);
        assert_eq!(outbox.pop().map(|o| o.samples), Some(2));
        assert_eq!(outbox.pop().map(|o| o.samples), Some(3));
        assert!(outbox.pop().is_none());
        outbox.push(out(30, 1));
        outbox.push(out(30, 2));
        let a = outbox.pop().expect("a");
        let b = outbox.pop().expect("b");
        outbox.requeue(vec![a, b]);
        assert_eq!(outbox.pop().map(|o| o.samples), Some(1), "back in order");
        assert_eq!(counts.queued.load(Ordering::Relaxed), 1);
        assert_eq!(counts.queued_bytes.load(Ordering::Relaxed), 30);
    }
}
