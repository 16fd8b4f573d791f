//! The hub between sources and WebSocket clients: samples and messages in, frames out, nobody waits.
//!
//! Sources hand over typed items through a [`Sink`], each sink belonging to one host (an engine the
//! bridge follows): a stats object's text, read where it is handed over into the engine's compact
//! [`Sample`] (what cannot be read is counted and said, never relayed), or one of statscope's
//! [`Message`]s, or the host's state. A batcher task groups each host's samples of one tick
//! ([`HubConfig::tick`]) into one `statscope.samples` frame, numbered (each sample gets the next
//! sequence number of this run of the bridge). Frames are broadcast; every client reads from its
//! own bounded window of the broadcast ring ([`HubConfig::client_queue_frames`]). A client that
//! falls behind loses its oldest frames (the client's task counts them); the sources and the other
//! clients never wait for it. A frame never exceeds [`HubConfig::max_frame_bytes`] (a sample alone
//! over it is dropped and counted).
//!
//! statscope's own messages are never batched: the samples batched so far go first, then the
//! message as its own frame, so order is kept. Stats text is always stats: nothing in it can make
//! it a message.
//!
//! What a viewer arriving later must know is kept:
//! - the hosts and their state (in `hello`);
//! - the latest `statscope.container` per container (forgotten on its `destroy`, at most
//!   [`HubConfig::max_containers`]), the last [`HubConfig::recent_events`] events and the active
//!   notices;
//! - **history**: every container's samples of the last [`HubConfig::history`] (by its own sample
//!   time), within [`HubConfig::history_bytes`] over all containers (the oldest are dropped first,
//!   counted and said); a container that sends nothing for that long (by the bridge's clock) is
//!   forgotten.
//!
//! [`Hub::subscribe`] hands a new viewer exactly what was published before its subscription —
//! history included, or only the samples after the sequence number it already has when it comes
//! back to the same run ([`Resume`]) — and everything after reaches it live: no gap and no duplicate
//! at the seam (both happen under one lock).
//!
//! Notices ([`crate::notice`]) are posted on the hub's board by the sources and the server, and sent
//! by the batcher on its tick, paced per cause and host.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::ws::Utf8Bytes;
use tokio::sync::{broadcast, mpsc, watch};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use statscope_core::model::{parse_frame_lenient, Sample};
pub use statscope_core::protocol::host_key;
use statscope_core::protocol::{self, Hello, HostInfo, Message, PROTOCOL_VERSION};

use crate::notice::{thousands, Cause, Notices};
use crate::view::{Ranker, Ranking};

/// The longest control message relayed (a real one is ~300 bytes); longer ones are dropped.
pub const MAX_CONTROL_BYTES: usize = 8 << 10;

/// One WebSocket text frame. Cloning it for each client is a reference count, not a copy.
pub type Frame = Utf8Bytes;

/// What the hub broadcasts (a client that shows everything sends each as it is; a page that
/// subscribed to some containers gets only theirs, see [`crate::view`]).
#[derive(Clone, Debug)]
pub enum Out {
    /// For every client: a host's state, a notice.
    All(Frame),
    /// About one container (`ID@HOST`): its `statscope.container` or a `statscope.event`.
    About(Arc<str>, Frame),
    /// One host's samples of a tick.
    Batch(Arc<Batch>),
    /// The fleet overview (`statscope.fleet`), for pages that asked.
    Fleet(Frame),
}

impl Out {
    /// The frame as a client that shows everything gets it.
    pub fn frame(&self) -> &Frame {
        match self {
            Out::All(frame) | Out::About(_, frame) | Out::Fleet(frame) => frame,
            Out::Batch(batch) => &batch.frame,
        }
    }
}

impl std::ops::Deref for Out {
    type Target = str;
    fn deref(&self) -> &str {
        self.frame().as_str()
    }
}

/// One host's samples of a tick: the frame of all of them, and where each sample is in it, so a
/// page that shows some gets a frame of only those without encoding anything again.
#[derive(Debug)]
pub struct Batch {
    pub host: Arc<str>,
    /// The sequence number of its last sample.
    pub seq: u64,
    pub frame: Frame,
    /// Every sample's key, one after the other (`entries` index into it).
    keys: String,
    entries: Vec<BatchEntry>,
}

#[derive(Debug)]
struct BatchEntry {
    seq: u64,
    key: std::ops::Range<usize>,
    text: std::ops::Range<usize>,
}

impl Batch {
    /// Makes the batch of `samples` (`(seq, key, encoded text)`, in order).
    fn new(host: Arc<str>, samples: &[Encoded]) -> Batch {
        let seq = samples.last().map_or(0, |e| e.seq);
        // The protocol module writes the frame; its text ends with `]}` after the samples.
        let empty = protocol::samples_frame(&host, seq, false, std::iter::empty());
        let prefix = &empty[..empty.len() - 2];
        let mut text = String::with_capacity(
            empty.len() + samples.iter().map(|e| e.text.len() + 1).sum::<usize>(),
        );
        text.push_str(prefix);
        let mut keys = String::with_capacity(samples.iter().map(|e| e.key.len()).sum());
        let mut entries = Vec::with_capacity(samples.len());
        for (i, e) in samples.iter().enumerate() {
            if i > 0 {
                text.push(',');
            }
            let start = text.len();
            text.push_str(&e.text);
            let k = keys.len();
            keys.push_str(&e.key);
            entries.push(BatchEntry {
                seq: e.seq,
                key: k..keys.len(),
                text: start..text.len(),
            });
        }
        text.push_str("]}");
        Batch {
            host,
            seq,
            frame: Frame::from(text),
            keys,
            entries,
        }
    }

    /// Each sample's sequence number and key.
    pub fn samples(&self) -> impl Iterator<Item = (u64, &str)> + '_ {
        self.entries
            .iter()
            .map(|e| (e.seq, &self.keys[e.key.clone()]))
    }

    /// The frame of the samples `keep(seq, key)` keeps: the whole frame when it keeps them all,
    /// `None` when none (its `seq` stays the batch's: the page has everything it shows up to it).
    pub fn only(&self, mut keep: impl FnMut(u64, &str) -> bool) -> Option<Frame> {
        let kept: Vec<&BatchEntry> = self
            .entries
            .iter()
            .filter(|e| keep(e.seq, &self.keys[e.key.clone()]))
            .collect();
        if kept.len() == self.entries.len() {
            return Some(self.frame.clone());
        }
        if kept.is_empty() {
            return None;
        }
        let text = self.frame.as_str();
        Some(Frame::from(protocol::samples_frame(
            &self.host,
            self.seq,
            false,
            kept.iter().map(|e| &text[e.text.clone()]),
        )))
    }
}

/// How frames are made, queued and kept.
#[derive(Clone, Debug)]
pub struct HubConfig {
    /// Samples arriving within one tick form one frame per host.
    pub tick: Duration,
    /// Frames a client may be behind before its oldest are dropped.
    pub client_queue_frames: usize,
    /// The largest frame sent; a larger sample is dropped and counted.
    pub max_frame_bytes: usize,
    /// A host's batch is sent early once it reaches this size (and history is sent in frames of
    /// about this size), so the ring holds at most about `client_queue_frames × batch_bytes`.
    pub batch_bytes: usize,
    /// `statscope.event` messages kept for viewers arriving later.
    pub recent_events: usize,
    /// Containers whose latest `statscope.container` is kept for viewers arriving later; past it,
    /// the least recently updated is forgotten.
    pub max_containers: usize,
    /// Each container's samples kept for viewers arriving later: this long back from its newest.
    pub history: Duration,
    /// All history together, encoded, at most this many bytes (the oldest samples go first).
    pub history_bytes: usize,
    /// What `hello` says about the source (the first host's).
    pub source: String,
    pub describe: String,
    /// The most containers one subscribed page is sent (`--max-per-page`).
    pub max_per_page: usize,
    /// How often the fleet is ranked (and its overview sent); zero: never (an agent's hub, which
    /// no page subscribes to, keeps no ranker).
    pub rank_every: Duration,
}

impl Default for HubConfig {
    fn default() -> Self {
        HubConfig {
            tick: Duration::from_millis(100),
            client_queue_frames: 256,
            max_frame_bytes: 1 << 20,
            batch_bytes: 64 << 10,
            recent_events: 256,
            max_containers: 2048,
            history: Duration::from_secs(300),
            history_bytes: 128 << 20,
            source: String::new(),
            describe: String::new(),
            max_per_page: 500,
            rank_every: Duration::from_secs(1),
        }
    }
}

/// Counters shared by the hub's tasks, for logs and tests.
#[derive(Debug, Default)]
pub struct HubCounts {
    /// Items received from the sources.
    pub objects: AtomicU64,
    /// Samples relayed.
    pub samples: AtomicU64,
    /// Frames broadcast.
    pub frames: AtomicU64,
    /// Samples dropped because they alone exceed the frame limit (or, for a control message,
    /// [`MAX_CONTROL_BYTES`]).
    pub oversized: AtomicU64,
    /// Control messages sent, each as its own frame (also counted in `frames`).
    pub controls: AtomicU64,
    /// Frames dropped for slow clients, over all clients.
    pub client_drops: AtomicU64,
    /// Stats objects (or lines) that could not be read, dropped.
    pub malformed: AtomicU64,
    /// Samples dropped from the history to keep it within its bytes.
    pub history_trimmed: AtomicU64,
}

/// What a source hands the hub.
#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    Sample(Sample),
    Message(Message),
    /// The state of the sink's host.
    Host(HostInfo),
}

/// Where a source sends what it reads, for one host. Cheap to clone; sending never blocks for long.
#[derive(Clone, Debug)]
pub struct Sink {
    items: mpsc::Sender<Item>,
    hub: Hub,
    host: Arc<str>,
    notices: Notices,
}

impl Sink {
    /// The key of this sink's host.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// A sink for host `key` (made subject-safe: `[A-Za-z0-9_-]`, see [`host_key`]).
    pub fn for_host(&self, key: &str) -> Sink {
        let host: Arc<str> = host_key(key).into();
        Sink {
            items: self.items.clone(),
            hub: self.hub.clone(),
            notices: self.hub.notices.for_host(&host),
            host,
        }
    }

    /// Resolves once at least one client is subscribed (a replay waits for its first viewer, so
    /// nobody misses its beginning).
    pub async fn wait_for_viewer(&self) {
        loop {
            let arrived = self.hub.viewer_arrived.notified();
            tokio::pin!(arrived);
            arrived.as_mut().enable();
            if self.hub.frames.receiver_count() > 0 {
                return;
            }
            arrived.await;
        }
    }

    /// Hands one item to the hub. Returns `false` once the hub has shut down.
    pub async fn send(&self, item: Item) -> bool {
        self.items.send(item).await.is_ok()
    }

    /// Hands one sample to the hub.
    pub async fn send_sample(&self, sample: Sample) -> bool {
        self.send(Item::Sample(sample)).await
    }

    /// Reads stats text (one Docker stats object as the engine wrote it, or a JSON array of them)
    /// for this sink's host, and hands over its samples. Whatever the text says, it is read as
    /// stats; what cannot be read is counted and said (a `malformed-stats` notice), never relayed.
    /// Returns `false` once the hub has shut down.
    pub async fn send_stats(&self, text: &str) -> bool {
        let frame = parse_frame_lenient(text);
        if let Some(e) = frame.errors.last() {
            self.unreadable(frame.errors.len() as u64, &e.to_string());
        }
        for stats in frame.samples {
            if !self
                .send_sample(Sample::from_stats(stats, &self.host))
                .await
            {
                return false;
            }
        }
        true
    }

    /// Counts and says `n` stats objects of this host that could not be read (`last`: the last
    /// one's error): dropped, never relayed.
    pub fn unreadable(&self, n: u64, last: &str) {
        self.hub.counts.malformed.fetch_add(n, Ordering::Relaxed);
        let total = self.notices.count(Cause::MalformedStats) + n;
        self.notices.cut(
            Cause::MalformedStats,
            n,
            None,
            format!(
                "{} stats object{} that cannot be read, dropped (last: {})",
                thousands(total),
                if total == 1 { "" } else { "s" },
                cut_text(last, 160)
            ),
        );
    }

    /// Hands one of statscope's messages (container info, a lifecycle event) to the hub, to send
    /// as its own frame, said to be about this sink's host.
    pub async fn send_message(&self, mut message: Message) -> bool {
        match &mut message {
            Message::Container(c) => c.host = self.host.to_string(),
            Message::Event(e) => e.host = self.host.to_string(),
            _ => {}
        }
        self.send(Item::Message(message)).await
    }

    /// Says the state of this sink's host (`info.host` is set to it).
    pub async fn set_host(&self, mut info: HostInfo) -> bool {
        info.host = self.host.to_string();
        self.send(Item::Host(info)).await
    }

    /// The notice board, for this sink's host: what the source cut, refused or did not follow.
    pub fn notices(&self) -> &Notices {
        &self.notices
    }
}

/// `text` cut to about `max` bytes (at a character), with `…` when cut.
fn cut_text(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let cut = (0..=max)
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0);
    format!("{}…", &text[..cut])
}

/// A viewer coming back to the same run of the bridge: the run it saw and the highest sequence
/// number it has (`?resume=run:seq`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resume {
    pub instance: String,
    pub seq: u64,
}

impl Resume {
    /// Reads `run:seq`.
    pub fn parse(text: &str) -> Option<Resume> {
        let (instance, seq) = text.rsplit_once(':')?;
        Some(Resume {
            instance: instance.to_string(),
            seq: seq.parse().ok()?,
        })
    }
}

/// What a new viewer gets: its receiver for live frames, and what to send it first.
#[derive(Debug)]
pub struct Subscription {
    pub frames: broadcast::Receiver<Out>,
    /// `statscope.hello`, with the hosts as they are now.
    pub hello: Frame,
    /// Container infos, recent events, active notices, then the history (or what it missed of it).
    pub first: Vec<Frame>,
    /// Samples in `first` (history), for logs and tests.
    pub history_samples: usize,
}

/// The broadcast side: clients subscribe here.
#[derive(Clone, Debug)]
pub struct Hub {
    frames: broadcast::Sender<Out>,
    /// The latest ranking of every container (see [`crate::view`]).
    ranking: watch::Receiver<Arc<Ranking>>,
    counts: Arc<HubCounts>,
    viewer_arrived: Arc<tokio::sync::Notify>,
    /// What a late viewer must learn. Locked while a frame is recorded and broadcast, and while a
    /// viewer subscribes, so each frame reaches a viewer exactly once.
    state: Arc<Mutex<State>>,
    notices: Notices,
    instance: Arc<str>,
    config: Arc<HubConfig>,
}

impl Hub {
    /// Starts the batcher; returns the hub (for clients) and a sink for host `host`.
    pub fn start(config: HubConfig, shutdown: CancellationToken) -> (Hub, Sink) {
        Hub::start_with(config, Notices::default(), shutdown)
    }

    /// [`Hub::start`] with a given notice board; the sink's host is `local`.
    pub fn start_with(
        config: HubConfig,
        notices: Notices,
        shutdown: CancellationToken,
    ) -> (Hub, Sink) {
        let (frames, _) = broadcast::channel(config.client_queue_frames.max(1));
        let (items_tx, items_rx) = mpsc::channel(4096);
        let (ranked, ranking) = watch::channel(Arc::new(Ranking::default()));
        let hub = Hub {
            frames,
            ranking,
            counts: Arc::default(),
            viewer_arrived: Arc::default(),
            state: Arc::new(Mutex::new(State::new(&config))),
            notices,
            instance: instance_id().into(),
            config: Arc::new(config.clone()),
        };
        tokio::spawn(batcher(config, items_rx, hub.clone(), ranked, shutdown));
        let sink = Sink {
            items: items_tx,
            hub: hub.clone(),
            host: Arc::from("local"),
            notices: hub.notices.for_host("local"),
        };
        (hub, sink)
    }

    /// A new client's receiver: it sees frames from now on.
    pub fn receiver(&self) -> broadcast::Receiver<Out> {
        self.subscribe(None).frames
    }

    /// The latest ranking of every container, and its changes.
    pub fn ranking(&self) -> watch::Receiver<Arc<Ranking>> {
        self.ranking.clone()
    }

    /// The most containers one subscribed page is sent.
    pub fn max_per_page(&self) -> usize {
        self.config.max_per_page
    }

    /// What a page that starts showing `keys` must be sent first: their latest container infos,
    /// recent events and history, and the sequence number up to which those hold everything of
    /// theirs (later samples of theirs are live). Under the lock every frame is published under.
    pub fn catch_up(&self, keys: &HashSet<Arc<str>>) -> (Vec<Frame>, u64) {
        let state = self.lock_state();
        let shown = |key: &str| keys.contains(key);
        let mut first = state.retained.snapshot_for(&shown, false);
        first.extend(
            state
                .history
                .frames(None, &shown, self.config.batch_bytes)
                .0,
        );
        (first, state.seq)
    }

    /// A new client's subscription (see the module docs): `hello`, then what was published before
    /// it (container infos, recent events, active notices, then history — all of it, or, for a
    /// viewer resuming this run, the samples after the ones it has), then live frames.
    pub fn subscribe(&self, resume: Option<&Resume>) -> Subscription {
        self.subscribe_to(resume, None)
    }

    /// [`Hub::subscribe`] for a page that shows only `shown` (`None`: everything): container
    /// infos, events and history of those only.
    pub fn subscribe_to(
        &self,
        resume: Option<&Resume>,
        shown: Option<&HashSet<Arc<str>>>,
    ) -> Subscription {
        let shows = |key: &str| shown.is_none_or(|s| s.contains(key));
        let since = resume
            .filter(|r| *r.instance == *self.instance)
            .map(|r| r.seq);
        let subscription = {
            let state = self.lock_state();
            let hello = Message::Hello(Hello {
                source: self.config.source.clone(),
                describe: self.config.describe.clone(),
                version: env!("CARGO_PKG_VERSION").to_string(),
                protocol: PROTOCOL_VERSION,
                instance: self.instance.to_string(),
                history_seconds: self.config.history.as_secs_f64(),
                hosts: state.hosts.values().cloned().collect(),
            })
            .encode();
            let mut first = state.retained.snapshot_for(&shows, true);
            let (history, history_samples) =
                state.history.frames(since, &shows, self.config.batch_bytes);
            first.extend(history);
            Subscription {
                frames: self.frames.subscribe(),
                hello: hello.into(),
                first,
                history_samples,
            }
        };
        self.viewer_arrived.notify_waiters();
        subscription
    }

    /// This run of the bridge (`hello`'s `instance`).
    pub fn instance(&self) -> &str {
        &self.instance
    }

    /// The shared counters.
    pub fn counts(&self) -> &HubCounts {
        &self.counts
    }

    /// The notice board (see [`crate::notice`]).
    pub fn notices(&self) -> &Notices {
        &self.notices
    }

    /// Samples kept as history now, and their bytes.
    pub fn history_size(&self) -> (usize, usize) {
        let state = self.lock_state();
        (state.history.samples, state.history.bytes)
    }

    /// Broadcasts a message as its own frame, remembering what later viewers must know.
    fn publish_message(&self, message: &Message, text: String) {
        let frame = Frame::from(text);
        let about = match message {
            Message::Container(c) => Some(Sample::key_of(&c.id, "", &c.host)),
            Message::Event(e) => Some(Sample::key_of(&e.id, "", &e.host)),
            _ => None,
        };
        let mut state = self.lock_state();
        state.retained.record(message, &frame);
        self.counts.frames.fetch_add(1, Ordering::Relaxed);
        self.counts.controls.fetch_add(1, Ordering::Relaxed);
        let _ = self.frames.send(match about {
            Some(key) => Out::About(key.into(), frame),
            None => Out::All(frame),
        });
    }

    /// Broadcasts the fleet overview (only pages that asked send it on).
    fn publish_fleet(&self, frame: Frame) {
        let _state = self.lock_state();
        self.counts.frames.fetch_add(1, Ordering::Relaxed);
        let _ = self.frames.send(Out::Fleet(frame));
    }

    /// Adds a host before its source runs (or says its new state at once, not after what its sink
    /// queued): a viewer's `hello` lists it from now on.
    pub fn add_host(&self, mut info: HostInfo) {
        info.host = host_key(&info.host);
        self.publish_host(info);
    }

    /// Broadcasts a host's state, keeping it for `hello`.
    fn publish_host(&self, info: HostInfo) {
        let frame = Frame::from(Message::Host(info.clone()).encode());
        let mut state = self.lock_state();
        state.hosts.insert(info.host.clone(), info);
        self.counts.frames.fetch_add(1, Ordering::Relaxed);
        self.counts.controls.fetch_add(1, Ordering::Relaxed);
        let _ = self.frames.send(Out::All(frame));
    }

    /// Broadcasts one host's batch as one frame, keeping its samples as history.
    fn publish_samples(&self, host: &str, batch: Vec<Encoded>) {
        if batch.is_empty() {
            return;
        }
        let out = Arc::new(Batch::new(Arc::from(host), &batch));
        let n = batch.len() as u64;
        let mut state = self.lock_state();
        state.seq = state.seq.max(out.seq);
        let trimmed = state.history.record(batch, Instant::now());
        self.counts.samples.fetch_add(n, Ordering::Relaxed);
        self.counts.frames.fetch_add(1, Ordering::Relaxed);
        let _ = self.frames.send(Out::Batch(out));
        drop(state);
        if trimmed > 0 {
            self.counts
                .history_trimmed
                .fetch_add(trimmed, Ordering::Relaxed);
            let total = self.counts.history_trimmed.load(Ordering::Relaxed);
            self.notices.cut(
                Cause::HistoryTrimmed,
                trimmed,
                Some(self.config.history_bytes as u64),
                format!(
                    "history over {} MiB: its {} oldest samples dropped (--history-mib)",
                    self.config.history_bytes >> 20,
                    thousands(total)
                ),
            );
        }
    }

    fn lock_state(&self) -> std::sync::MutexGuard<'_, State> {
        // Nothing panics while holding it; if something did, the data is still consistent enough.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A run's identifier: 16 hex digits from the clock and the process (not a secret; it only tells
/// runs apart).
fn instance_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let mixed = (nanos as u64) ^ (u64::from(std::process::id()) << 32) ^ 0x9e37_79b9_7f4a_7c15;
    format!("{:016x}", mixed.wrapping_mul(0xbf58_476d_1ce4_e5b9))
}

/// What the hub keeps for later viewers.
#[derive(Debug)]
struct State {
    retained: Retained,
    hosts: BTreeMap<String, HostInfo>,
    history: History,
    /// The sequence number of the last sample published.
    seq: u64,
}

impl State {
    fn new(config: &HubConfig) -> State {
        State {
            retained: Retained::new(config.max_containers, config.recent_events),
            hosts: BTreeMap::new(),
            history: History::new(config.history, config.history_bytes),
            seq: 0,
        }
    }
}

/// One sample, encoded, numbered.
#[derive(Clone, Debug)]
struct Encoded {
    seq: u64,
    /// The container's key, as the source made it (moved, not copied).
    key: String,
    read_ns: i128,
    text: Box<str>,
}

/// One kept sample: its number, time and text (its container is its ring's).
#[derive(Clone, Debug)]
struct Kept {
    seq: u64,
    read_ns: i128,
    text: Box<str>,
}

/// What a kept sample costs besides its text: its entry in its ring and in the order queue, and
/// the allocator's header for the text (counted against `--history-mib`, so the bound is on
/// memory, not only on text).
const KEPT_OVERHEAD_BYTES: usize =
    std::mem::size_of::<Kept>() + std::mem::size_of::<(u64, Arc<str>)>() + 16;

impl Kept {
    fn bytes(&self) -> usize {
        self.text.len() + KEPT_OVERHEAD_BYTES
    }
}

/// Every container's recent samples, encoded (see the module docs).
#[derive(Debug)]
struct History {
    max_age_ns: i128,
    max_bytes: usize,
    bytes: usize,
    samples: usize,
    containers: HashMap<Arc<str>, Ring>,
    /// Every kept sample's (sequence number, container), oldest first: what goes when the bytes are
    /// over (an entry whose sample already went by age is skipped).
    order: VecDeque<(u64, Arc<str>)>,
}

#[derive(Debug)]
struct Ring {
    /// The container's key, shared with the order queue's entries.
    key: Arc<str>,
    entries: VecDeque<Kept>,
    /// When it last got a sample, by the bridge's clock.
    arrived: Instant,
}

impl History {
    fn new(max_age: Duration, max_bytes: usize) -> History {
        History {
            max_age_ns: max_age.as_nanos() as i128,
            max_bytes,
            bytes: 0,
            samples: 0,
            containers: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    /// Keeps `batch`; returns how many samples went to keep the bytes within the limit.
    fn record(&mut self, batch: Vec<Encoded>, now: Instant) -> u64 {
        if self.max_age_ns == 0 || self.max_bytes == 0 {
            return 0;
        }
        for e in batch {
            if e.read_ns == statscope_core::Timestamp::ZERO.unix_ns() {
                // An empty sample (a stopped container): it says so live; history keeps rates.
                continue;
            }
            let ring = match self.containers.get_mut(e.key.as_str()) {
                Some(ring) => ring,
                None => {
                    let key: Arc<str> = e.key.into();
                    self.containers.entry(key.clone()).or_insert(Ring {
                        key,
                        entries: VecDeque::new(),
                        arrived: now,
                    })
                }
            };
            ring.arrived = now;
            // By its own sample time: this long back from its newest.
            let newest = ring
                .entries
                .back()
                .map_or(e.read_ns, |b| b.read_ns.max(e.read_ns));
            while ring
                .entries
                .front()
                .is_some_and(|f| f.read_ns < newest - self.max_age_ns)
            {
                if let Some(old) = ring.entries.pop_front() {
                    self.bytes -= old.bytes();
                    self.samples -= 1;
                }
            }
            let kept = Kept {
                seq: e.seq,
                read_ns: e.read_ns,
                text: e.text,
            };
            self.bytes += kept.bytes();
            self.samples += 1;
            self.order.push_back((kept.seq, ring.key.clone()));
            ring.entries.push_back(kept);
        }
        let mut trimmed = 0;
        while self.bytes > self.max_bytes {
            let Some((seq, key)) = self.order.pop_front() else {
                break;
            };
            if let Some(ring) = self.containers.get_mut(&key) {
                if ring.entries.front().is_some_and(|f| f.seq == seq) {
                    if let Some(old) = ring.entries.pop_front() {
                        self.bytes -= old.bytes();
                        self.samples -= 1;
                        trimmed += 1;
                    }
                }
            }
        }
        // Containers that sent nothing for the history's length are gone.
        let max_age = Duration::from_nanos(self.max_age_ns as u64);
        let before = self.containers.len();
        let (mut bytes, mut samples) = (0, 0);
        self.containers.retain(|_, ring| {
            let keep = now.saturating_duration_since(ring.arrived) <= max_age;
            if !keep {
                bytes += ring.entries.iter().map(Kept::bytes).sum::<usize>();
                samples += ring.entries.len();
            }
            keep
        });
        if self.containers.len() != before {
            self.bytes -= bytes;
            self.samples -= samples;
        }
        // The order queue only ever points at kept samples or at ones already gone: keep it from
        // growing beyond what is kept.
        if self.order.len() > 2 * self.samples + 1024 {
            let containers = &self.containers;
            self.order.retain(|(seq, key)| {
                containers
                    .get(key)
                    .is_some_and(|r| r.entries.front().is_some_and(|f| f.seq <= *seq))
            });
        }
        trimmed
    }

    /// The history after sequence number `since` (all of it for `None`), as `statscope.samples`
    /// frames of about `frame_bytes` each, one host at a time, each host's samples in the order
    /// they came; and how many samples.
    fn frames(
        &self,
        since: Option<u64>,
        shown: &dyn Fn(&str) -> bool,
        frame_bytes: usize,
    ) -> (Vec<Frame>, usize) {
        let after = since.unwrap_or(0);
        let mut by_host: BTreeMap<&str, Vec<&Kept>> = BTreeMap::new();
        for (key, ring) in &self.containers {
            if !shown(key) {
                continue;
            }
            let host = Sample::split_key(key).1;
            by_host
                .entry(host)
                .or_default()
                .extend(ring.entries.iter().filter(|e| e.seq > after));
        }
        let mut frames = Vec::new();
        let mut count = 0;
        for (host, mut entries) in by_host {
            entries.sort_unstable_by_key(|e| e.seq);
            count += entries.len();
            let mut start = 0;
            while start < entries.len() {
                let mut end = start;
                let mut bytes = 0;
                while end < entries.len()
                    && (end == start || bytes + entries[end].text.len() < frame_bytes)
                {
                    bytes += entries[end].text.len() + 1;
                    end += 1;
                }
                let chunk = &entries[start..end];
                let seq = chunk.last().map_or(0, |e| e.seq);
                frames.push(Frame::from(protocol::samples_frame(
                    host,
                    seq,
                    true,
                    chunk.iter().map(|e| &*e.text),
                )));
                start = end;
            }
        }
        (frames, count)
    }
}

/// The control messages a late viewer is sent, bounded in count (and, by [`MAX_CONTROL_BYTES`],
/// in size).
#[derive(Debug)]
struct Retained {
    /// Container key (`id@host`) → (update number, latest `statscope.container`).
    containers: BTreeMap<String, (u64, Frame)>,
    /// Each with its container's key.
    events: VecDeque<(String, Frame)>,
    /// (host, cause) → its active `statscope.notice` (one per cause and host).
    notices: BTreeMap<(String, String), Frame>,
    updates: u64,
    max_containers: usize,
    max_events: usize,
}

impl Retained {
    fn new(max_containers: usize, max_events: usize) -> Retained {
        Retained {
            containers: BTreeMap::new(),
            events: VecDeque::new(),
            notices: BTreeMap::new(),
            updates: 0,
            max_containers,
            max_events,
        }
    }

    fn record(&mut self, message: &Message, frame: &Frame) {
        match message {
            Message::Container(info) if !info.id.is_empty() => {
                let key = Sample::key_of(&info.id, "", &info.host);
                self.updates += 1;
                if self.max_containers == 0 {
                    return;
                }
                if !self.containers.contains_key(&key)
                    && self.containers.len() >= self.max_containers
                {
                    let stalest = self
                        .containers
                        .iter()
                        .min_by_key(|(_, (update, _))| *update)
                        .map(|(key, _)| key.clone());
                    if let Some(stalest) = stalest {
                        self.containers.remove(&stalest);
                    }
                }
                self.containers.insert(key, (self.updates, frame.clone()));
            }
            Message::Event(event) => {
                if event.action == "destroy" {
                    self.containers
                        .remove(&Sample::key_of(&event.id, "", &event.host));
                }
                if self.max_events == 0 {
                    return;
                }
                while self.events.len() >= self.max_events {
                    self.events.pop_front();
                }
                let key = Sample::key_of(&event.id, "", &event.host);
                self.events.push_back((key, frame.clone()));
            }
            Message::Notice(notice) => {
                let key = (notice.host.clone(), notice.cause.clone());
                if notice.active {
                    self.notices.insert(key, frame.clone());
                } else {
                    self.notices.remove(&key);
                }
            }
            _ => {}
        }
    }

    /// What a viewer arriving now is sent, of the containers `shown` shows: their latest infos and
    /// recent events, and, with `notices`, the active notices.
    fn snapshot_for(&self, shown: &dyn Fn(&str) -> bool, notices: bool) -> Vec<Frame> {
        let notices = notices.then_some(&self.notices);
        self.containers
            .iter()
            .filter(|(key, _)| shown(key))
            .map(|(_, (_, frame))| frame.clone())
            .chain(
                self.events
                    .iter()
                    .filter(|(key, _)| shown(key))
                    .map(|(_, frame)| frame.clone()),
            )
            .chain(notices.into_iter().flat_map(|n| n.values().cloned()))
            .collect()
    }
}

/// The samples of the current tick, each numbered as it arrives, then, on a flush, fed to the
/// ranker and encoded into each host's batches.
#[derive(Default)]
struct Batches {
    pending: Vec<Sample>,
    /// About what `pending` will take encoded.
    pending_bytes: usize,
    seq: u64,
}

impl Batches {
    /// Adds `sample`; whether the tick's samples should go now (about `target_bytes` of them).
    fn push(&mut self, sample: Sample, target_bytes: usize) -> bool {
        self.pending_bytes += sample.key.len() + sample.name.len() + 160;
        self.pending.push(sample);
        self.pending_bytes >= target_bytes
    }

    /// The tick's samples, ranked by `ranker` and encoded: each host's, in frames of about
    /// `target_bytes`, in the order they came.
    /// Whether `ranker` met a container it did not know is written to `new`.
    fn take(
        &mut self,
        ranker: Option<&mut Ranker>,
        new: &mut bool,
        target_bytes: usize,
    ) -> Vec<(Arc<str>, Vec<Encoded>)> {
        if self.pending.is_empty() {
            return Vec::new();
        }
        if let Some(ranker) = ranker {
            *new |= ranker.update(&self.pending);
        }
        self.pending_bytes = 0;
        let mut hosts: BTreeMap<Arc<str>, Vec<(Vec<Encoded>, usize)>> = BTreeMap::new();
        for sample in self.pending.drain(..) {
            let text: Box<str> = sample.to_json().into();
            let read_ns = sample.read.unix_ns();
            self.seq += 1;
            let host = Sample::split_key(&sample.key).1;
            let frames = match hosts.get_mut(host) {
                Some(frames) => frames,
                None => hosts.entry(Arc::from(host)).or_default(),
            };
            if frames
                .last()
                .is_none_or(|(_, bytes)| *bytes >= target_bytes)
            {
                frames.push((Vec::new(), 0));
            }
            if let Some((batch, bytes)) = frames.last_mut() {
                *bytes += text.len() + 1;
                batch.push(Encoded {
                    seq: self.seq,
                    key: sample.key,
                    read_ns,
                    text,
                });
            }
        }
        hosts
            .into_iter()
            .flat_map(|(host, frames)| {
                frames
                    .into_iter()
                    .map(move |(batch, _)| (host.clone(), batch))
            })
            .collect()
    }
}

/// Groups each host's samples of one tick into frames; sends messages alone and notices when due;
/// ranks the fleet every [`HubConfig::rank_every`] and sends its overview every other time.
async fn batcher(
    config: HubConfig,
    mut items: mpsc::Receiver<Item>,
    hub: Hub,
    ranked: watch::Sender<Arc<Ranking>>,
    shutdown: CancellationToken,
) {
    let mut batches = Batches::default();
    let ranking = !config.rank_every.is_zero();
    let mut ranker = ranking.then(Ranker::default);
    let mut tick = tokio::time::interval(config.tick);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut rank = tokio::time::interval(config.rank_every.max(Duration::from_millis(1)));
    rank.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut ranks: u64 = 0;
    // A sample alone may take a whole frame, less the frame's own text.
    let max_sample_bytes = config.max_frame_bytes.saturating_sub(160);
    // The fleet ranked now: every page's view follows it (see `crate::view`).
    let rank_now = |ranker: &mut Ranker| {
        let names = hub
            .lock_state()
            .hosts
            .values()
            .map(|h| (h.host.clone(), h.name.clone()))
            .collect();
        let now = Arc::new(ranker.rank(names));
        ranked.send_replace(now.clone());
        now
    };
    // A container the ranker did not know came: ranked at the next tick (at most one ranking a
    // tick), so a page showing it gets it from about its first samples on rather than a second
    // later.
    let mut rank_soon = false;
    let flush = |batches: &mut Batches, ranker: &mut Option<Ranker>, rank_soon: &mut bool| {
        let mut new = false;
        for (host, batch) in batches.take(ranker.as_mut(), &mut new, config.batch_bytes) {
            hub.publish_samples(&host, batch);
        }
        *rank_soon |= new;
    };
    // After the sources end (a replay without --loop), the hub still sends what it is told to
    // (notices) until shutdown.
    let mut sources_done = false;
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            item = items.recv(), if !sources_done => {
                let Some(item) = item else {
                    sources_done = true;
                    flush(&mut batches, &mut ranker, &mut rank_soon);
                    continue;
                };
                hub.counts.objects.fetch_add(1, Ordering::Relaxed);
                match item {
                    Item::Sample(sample) => {
                        if sample.key.len() + sample.name.len() > max_sample_bytes {
                            hub.counts.oversized.fetch_add(1, Ordering::Relaxed);
                            crate::warn_limited!("hub-oversized-stats", limit = config.max_frame_bytes, "dropped a sample larger than the frame limit");
                            continue;
                        }
                        if batches.push(sample, config.batch_bytes) {
                            flush(&mut batches, &mut ranker, &mut rank_soon);
                        }
                    }
                    Item::Message(message) => {
                        let text = message.encode();
                        if text.len() > MAX_CONTROL_BYTES.min(config.max_frame_bytes) {
                            hub.counts.oversized.fetch_add(1, Ordering::Relaxed);
                            crate::warn_limited!("hub-oversized-control", bytes = text.len(), limit = MAX_CONTROL_BYTES, "dropped a control message over the size limit");
                            continue;
                        }
                        if !matches!(message, Message::Container(_) | Message::Event(_) | Message::Notice(_)) {
                            // The bridge's own messages, or a page's: a source (a recording)
                            // cannot send them.
                            crate::warn_limited!("hub-own-message", kind = message.kind(), "dropped a message only the bridge or a page sends");
                            continue;
                        }
                        // Never inside a batch: what was batched goes first, then this alone.
                        flush(&mut batches, &mut ranker, &mut rank_soon);
                        hub.publish_message(&message, text);
                    }
                    Item::Host(info) => {
                        flush(&mut batches, &mut ranker, &mut rank_soon);
                        hub.publish_host(info);
                    }
                }
            }
            _ = tick.tick() => {
                flush(&mut batches, &mut ranker, &mut rank_soon);
                if std::mem::take(&mut rank_soon) {
                    if let Some(ranker) = ranker.as_mut() {
                        rank_now(ranker);
                    }
                }
                for notice in hub.notices.due_at(Instant::now()) {
                    let message = Message::Notice(notice);
                    let text = message.encode();
                    hub.publish_message(&message, text);
                }
            }
            _ = rank.tick(), if ranking => {
                rank_soon = false;
                let Some(ranker) = ranker.as_mut() else { continue };
                let now = rank_now(ranker);
                ranks += 1;
                if ranks.is_multiple_of(2) {
                    hub.publish_fleet(Message::Fleet(now.fleet.clone()).encode().into());
                }
            }
        }
    }
    flush(&mut batches, &mut ranker, &mut rank_soon);
}

#[cfg(test)]
mod tests {
    use super::*;
    use statscope_core::protocol::{ContainerInfo, CpuLimitFrom, LifecycleEvent, Samples};
    use statscope_core::Timestamp;

    fn stats(id: &str, t_s: i64, total: u64) -> String {
        format!(
            r#"{{"id":"{id}","name":"/{id}","read":"{}","cpu_stats":{{"cpu_usage":{{"total_usage":{total}}},"system_cpu_usage":{},"online_cpus":2}}}}"#,
            Timestamp::from_unix_ns(i128::from(1_795_496_400 + t_s) * 1_000_000_000).to_rfc3339(),
            t_s as u64 * 2_000_000_000
        )
    }

    fn info(id: &str, cpus: f64) -> Message {
        Message::Container(ContainerInfo {
            host: String::new(),
            id: id.into(),
            name: id.into(),
            image: "busybox".into(),
            cpu_limit: Some(cpus),
            cpu_limit_from: Some(CpuLimitFrom::NanoCpus),
            memory_limit_bytes: None,
            project: String::new(),
        })
    }

    fn event(id: &str, action: &str, n: usize) -> Message {
        Message::Event(LifecycleEvent {
            host: String::new(),
            id: id.into(),
            name: id.into(),
            action: action.into(),
            time: Timestamp::from_unix_ns(1_795_496_400_000_000_000 + n as i128),
            exit_code: None,
            signal: None,
        })
    }

    /// Receives frames until one satisfies `last`; returns them all, decoded.
    async fn messages_until(
        rx: &mut broadcast::Receiver<Out>,
        mut last: impl FnMut(&Message) -> bool,
    ) -> Vec<Message> {
        let mut got = Vec::new();
        loop {
            let frame = tokio::time::timeout(Duration::from_secs(10), rx.recv())
                .await
                .expect("a frame in time")
                .expect("open");
            let m = Message::decode(&frame)
                .expect("a message")
                .expect("statscope's");
            let done = last(&m);
            got.push(m);
            if done {
                return got;
            }
        }
    }

    fn samples_of(m: &Message) -> Vec<&Sample> {
        match m {
            Message::Samples(s) => s.samples.iter().collect(),
            _ => Vec::new(),
        }
    }

    #[test]
    fn host_keys_are_subject_safe() {
        assert_eq!(host_key("web-1_prod"), "web-1_prod");
        assert_eq!(host_key("web-1.prod"), "web-1-prod");
        assert_eq!(host_key("my box@home *>"), "my-box-home---");
        assert_eq!(host_key(""), "host");
        assert_eq!(host_key(&"x".repeat(100)).len(), 64);
        assert_eq!(
            Resume::parse("9f2c:41"),
            Some(Resume {
                instance: "9f2c".into(),
                seq: 41
            })
        );
        assert_eq!(Resume::parse("9f2c"), None);
        assert_eq!(Resume::parse("9f2c:x"), None);
    }

    #[tokio::test(start_paused = true)]
    async fn samples_go_per_host_and_messages_alone_in_order() {
        let shutdown = CancellationToken::new();
        let (hub, sink) = Hub::start(HubConfig::default(), shutdown.clone());
        let mut rx = hub.receiver();
        tokio::time::sleep(Duration::from_millis(1)).await;
        let (a, b) = (sink.for_host("a"), sink.for_host("b"));
        assert!(a.send_stats(&stats("c1", 1, 100)).await);
        assert!(b.send_stats(&stats("c1", 1, 200)).await);
        assert!(a.send_message(info("c1", 0.5)).await);
        assert!(a.send_stats(&stats("c2", 1, 300)).await);
        // A stats line shaped like a message is read as stats: here, a stats object of nothing.
        assert!(
            a.send_stats(r#"{"type":"statscope.container","id":"evil","cpuLimit":64}"#)
                .await
        );
        let got = messages_until(&mut rx, |m| samples_of(m).iter().any(|s| s.key == "c2@a")).await;
        let keys: Vec<Vec<&str>> = got
            .iter()
            .map(|m| match m {
                Message::Samples(s) => s.samples.iter().map(|s| s.key.as_str()).collect(),
                Message::Container(c) => vec![c.host.as_str()],
                _ => vec!["?"],
            })
            .collect();
        assert_eq!(
            keys,
            [
                vec!["c1@a"],
                vec!["c1@b"],
                vec!["a"],
                vec!["c2@a", "evil@a"]
            ]
        );
        let Message::Samples(last) = &got[3] else {
            panic!("samples")
        };
        assert_eq!(
            (last.host.as_str(), last.seq, last.history),
            ("a", 4, false)
        );
        assert_eq!(hub.counts().controls.load(Ordering::Relaxed), 1);
        shutdown.cancel();
    }

    #[tokio::test(start_paused = true)]
    async fn what_cannot_be_read_is_counted_and_said_never_relayed() {
        let shutdown = CancellationToken::new();
        let (hub, sink) = Hub::start(HubConfig::default(), shutdown.clone());
        let mut rx = hub.receiver();
        tokio::time::sleep(Duration::from_millis(1)).await;
        let h = sink.for_host("h");
        for bad in ["{\"read\": ", "[1, 2]", "\"text\""] {
            assert!(h.send_stats(bad).await);
        }
        assert!(h.send_stats(&stats("ok", 1, 5)).await);
        let got = messages_until(&mut rx, |m| matches!(m, Message::Notice(_))).await;
        assert_eq!(hub.counts().malformed.load(Ordering::Relaxed), 4);
        let Some(Message::Notice(n)) = got.last() else {
            panic!("a notice")
        };
        assert_eq!(
            (n.cause.as_str(), n.host.as_str(), n.count),
            ("malformed-stats", "h", 4)
        );
        assert!(
            n.text
                .starts_with("4 stats objects that cannot be read, dropped"),
            "{}",
            n.text
        );
        assert_eq!(
            got.iter()
                .flat_map(samples_of)
                .map(|s| s.key.as_str())
                .collect::<Vec<_>>(),
            ["ok@h"]
        );
        shutdown.cancel();
    }

    #[tokio::test(start_paused = true)]
    async fn a_late_viewer_gets_hosts_state_and_history_then_live_without_gap_or_duplicate() {
        let shutdown = CancellationToken::new();
        let config = HubConfig {
            recent_events: 5,
            max_containers: 3,
            batch_bytes: 600,
            ..HubConfig::default()
        };
        let (hub, sink) = Hub::start(config, shutdown.clone());
        let mut early = hub.receiver();
        let h = sink.for_host("h");
        assert!(
            h.set_host(HostInfo {
                state: "up".into(),
                ..HostInfo::default()
            })
            .await
        );
        for m in [
            info("b", 1.0),
            info("a", 0.5),
            info("a", 0.25),
            info("c", 2.0),
            event("c", "destroy", 0),
        ] {
            assert!(h.send_message(m).await);
        }
        for n in 1..=7 {
            assert!(h.send_message(event("a", "start", n)).await);
        }
        for t in 0..10 {
            assert!(h.send_stats(&stats("a", t, t as u64 * 1000)).await);
            assert!(h.send_stats(&stats("b", t, t as u64 * 2000)).await);
        }
        messages_until(&mut early, |m| {
            samples_of(m)
                .iter()
                .any(|s| s.key == "b@h" && s.cpu_total == 18_000)
        })
        .await;
        let late = hub.subscribe(None);
        let Ok(Some(Message::Hello(hello))) = Message::decode(&late.hello) else {
            panic!("hello")
        };
        assert_eq!(hello.protocol, PROTOCOL_VERSION);
        assert_eq!(hello.instance, hub.instance());
        assert_eq!(hello.hosts.len(), 1);
        assert_eq!(
            (hello.hosts[0].host.as_str(), hello.hosts[0].state.as_str()),
            ("h", "up")
        );
        let first: Vec<Message> = late
            .first
            .iter()
            .map(|f| Message::decode(f).expect("message").expect("ours"))
            .collect();
        let infos: Vec<(String, Option<f64>)> = first
            .iter()
            .filter_map(|m| match m {
                Message::Container(c) => Some((c.id.clone(), c.cpu_limit)),
                _ => None,
            })
            .collect();
        assert_eq!(
            infos,
            [("a".to_string(), Some(0.25)), ("b".to_string(), Some(1.0))]
        );
        let events = first
            .iter()
            .filter(|m| matches!(m, Message::Event(_)))
            .count();
        assert_eq!(events, 5, "the last five events");
        let history: Vec<&Samples> = first
            .iter()
            .filter_map(|m| match m {
                Message::Samples(s) => Some(s),
                _ => None,
            })
            .collect();
        assert!(history.len() > 1, "cut into frames of about batch_bytes");
        assert!(history.iter().all(|s| s.history && s.host == "h"));
        let seqs: Vec<u64> = history
            .iter()
            .flat_map(|s| s.samples.iter())
            .map(|s| s.cpu_total)
            .collect();
        assert_eq!(seqs.len(), 20, "every sample of both containers");
        assert_eq!(late.history_samples, 20);
        // Live after: the next sample once, no sample of the history again.
        let mut live = late.frames;
        assert!(h.send_stats(&stats("a", 10, 10_000)).await);
        let got = messages_until(&mut live, |m| !samples_of(m).is_empty()).await;
        assert_eq!(
            got.iter()
                .flat_map(samples_of)
                .map(|s| s.cpu_total)
                .collect::<Vec<_>>(),
            [10_000]
        );
        // Back to the same run with the highest number it had: only what came after.
        let last_seq = history.iter().map(|s| s.seq).max().unwrap_or(0);
        let resumed = hub.subscribe(Some(&Resume {
            instance: hub.instance().to_string(),
            seq: last_seq,
        }));
        assert_eq!(resumed.history_samples, 1, "only the one sample it missed");
        let other_run = hub.subscribe(Some(&Resume {
            instance: "another".into(),
            seq: last_seq,
        }));
        assert_eq!(other_run.history_samples, 21, "another run: everything");
        shutdown.cancel();
    }

    #[tokio::test(start_paused = true)]
    async fn history_is_bounded_by_age_and_by_bytes() {
        let shutdown = CancellationToken::new();
        let config = HubConfig {
            history: Duration::from_secs(60),
            history_bytes: 20_000,
            ..HubConfig::default()
        };
        let (hub, sink) = Hub::start(config, shutdown.clone());
        let mut rx = hub.receiver();
        let h = sink.for_host("h");
        for t in 0..100 {
            assert!(h.send_stats(&stats("a", t, 1)).await);
        }
        messages_until(&mut rx, |m| {
            !samples_of(m).is_empty()
                && samples_of(m)
                    .iter()
                    .any(|s| s.read.unix_ns() == i128::from(1_795_496_400 + 99) * 1_000_000_000)
        })
        .await;
        let (samples, bytes) = hub.history_size();
        assert_eq!(samples, 61, "60 s back from the newest sample, both ends");
        assert!(bytes < 20_000, "{bytes}");
        for t in 0..200 {
            for c in ["b", "c", "d", "e"] {
                assert!(h.send_stats(&stats(c, t, 1)).await);
            }
        }
        messages_until(
            &mut rx,
            |m| matches!(m, Message::Notice(n) if n.cause == "history-trimmed"),
        )
        .await;
        let (samples, bytes) = hub.history_size();
        assert!(bytes <= 20_000, "{bytes}");
        assert!(
            samples > 61,
            "the newest of every container kept: {samples}"
        );
        assert!(hub.counts().history_trimmed.load(Ordering::Relaxed) > 0);
        shutdown.cancel();
    }

    #[tokio::test(start_paused = true)]
    async fn an_oversized_message_is_dropped() {
        let shutdown = CancellationToken::new();
        let (hub, sink) = Hub::start(HubConfig::default(), shutdown.clone());
        let mut rx = hub.receiver();
        let huge = Message::Container(ContainerInfo {
            id: "x".into(),
            name: "n".repeat(MAX_CONTROL_BYTES),
            ..ContainerInfo::default()
        });
        assert!(sink.send_message(huge).await);
        assert!(sink.send_message(info("y", 1.0)).await);
        let got = messages_until(&mut rx, |m| matches!(m, Message::Container(_))).await;
        assert!(matches!(&got[0], Message::Container(c) if c.id == "y"));
        assert_eq!(hub.counts().oversized.load(Ordering::Relaxed), 1);
        shutdown.cancel();
    }
}
