//! The hub between sources and WebSocket clients: raw Docker lines in, frames out, nobody waits.
//!
//! A source hands each stats object over as the exact text Docker produced ([`Sink::send`]). A batcher
//! task groups what arrives within one tick ([`HubConfig::tick`]) into one frame: the object itself
//! when alone, else a JSON array of the objects, still byte for byte as Docker wrote them. Frames
//! are broadcast; every client reads from its own bounded window of the broadcast ring
//! ([`HubConfig::client_queue_frames`]). A client that falls behind loses its oldest frames (the
//! client's task counts them); the source and the other clients never wait for it.
//!
//! A frame never exceeds [`HubConfig::max_frame_bytes`]: a batch is flushed early when the next object
//! would overflow it, and a single object larger than the limit is dropped and counted (the page
//! enforces the same limit). Only well-formed JSON objects are batched: anything else a source hands
//! over (a garbled line of a recording) goes out alone, as it is, so the page counts that one frame
//! as bad and loses nothing else.
//!
//! statscope's own messages ([`Message`], handed over typed by [`Sink::send_message`], never
//! recognized in a stats line's text) are never batched: the batch so far is sent, then the message
//! as its own frame, so order is kept. A frame that *starts* like a message (`{"type"`) is therefore
//! always one: stats text shaped like one (a hostile engine's line `{"type":"statscope.container",…}`)
//! goes out inside an array, `[…]`, never alone, so no reader can take it for a message, and the hub
//! never retains it.
//!
//! The hub also remembers what a viewer arriving later must know: the latest `statscope.container`
//! per container ID (forgotten on that container's `destroy` event, at most
//! [`HubConfig::max_containers`]), the last [`HubConfig::recent_events`] `statscope.event` messages,
//! and the active `statscope.notice` of each cause. [`Hub::subscribe_with_state`] hands a new viewer
//! exactly those sent before its subscription; everything after reaches it live. A message longer
//! than [`MAX_CONTROL_BYTES`] once encoded is dropped and counted, which bounds that memory.
//!
//! Notices ([`crate::notice`]) are posted on the hub's board by the source and the server, and sent
//! by the batcher on its tick, paced per cause.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::ws::Utf8Bytes;
use std::time::Duration;

use tokio::sync::{broadcast, mpsc};
use tokio_util::sync::CancellationToken;

use statscope_core::protocol::Message;

use crate::notice::Notices;

/// The longest control message relayed (a real one is ~300 bytes); longer ones are dropped.
pub const MAX_CONTROL_BYTES: usize = 8 << 10;

/// One WebSocket text frame: a stats object or a JSON array of them, as Docker produced them.
/// Cloning it for each client is a reference count, not a copy.
pub type Frame = Utf8Bytes;

/// How frames are made and queued.
#[derive(Clone, Debug)]
pub struct HubConfig {
    /// Objects arriving within one tick form one frame.
    pub tick: Duration,
    /// Frames a client may be behind before its oldest are dropped.
    pub client_queue_frames: usize,
    /// The largest frame sent; larger objects are dropped and counted.
    pub max_frame_bytes: usize,
    /// A batch is sent early once it reaches this size, so the ring (`client_queue_frames` frames)
    /// holds at most about `client_queue_frames × batch_bytes` however fast a source runs.
    pub batch_bytes: usize,
    /// `statscope.event` messages kept for viewers arriving later.
    pub recent_events: usize,
    /// Containers whose latest `statscope.container` is kept for viewers arriving later; past it,
    /// the least recently updated is forgotten.
    pub max_containers: usize,
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
        }
    }
}

/// Counters shared by the hub's tasks, for logs and tests.
#[derive(Debug, Default)]
pub struct HubCounts {
    /// Objects received from the source.
    pub objects: AtomicU64,
    /// Frames broadcast.
    pub frames: AtomicU64,
    /// Objects dropped because they alone exceed the frame limit (or, for a control message,
    /// [`MAX_CONTROL_BYTES`]).
    pub oversized: AtomicU64,
    /// Control messages sent, each as its own frame (also counted in `frames`).
    pub controls: AtomicU64,
    /// Frames dropped for slow clients, over all clients.
    pub client_drops: AtomicU64,
}

/// What a source hands the hub: a stats object's exact text, or one of statscope's messages.
#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    Stats(String),
    Message(Message),
}

impl Item {
    /// The text it goes out as (a message encoded).
    pub fn text(&self) -> String {
        match self {
            Item::Stats(text) => text.clone(),
            Item::Message(m) => m.encode(),
        }
    }
}

/// Where a source sends the stats objects it reads and the messages it makes. Cheap to clone;
/// sending never blocks for long.
#[derive(Clone, Debug)]
pub struct Sink {
    lines: mpsc::Sender<Item>,
    hub: Hub,
}

impl Sink {
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

    /// Hands one item to the hub (see [`Sink::send_stats`] and [`Sink::send_message`]).
    pub async fn send(&self, item: Item) -> bool {
        self.lines.send(item).await.is_ok()
    }

    /// Hands one stats object (its exact JSON text, without the trailing newline) to the hub.
    /// Whatever the text says, it is relayed as stats. Returns `false` once the hub has shut down.
    pub async fn send_stats(&self, object: String) -> bool {
        self.lines.send(Item::Stats(object)).await.is_ok()
    }

    /// Hands one of statscope's messages (container info, a lifecycle event) to the hub, to send
    /// as its own frame. Returns `false` once the hub has shut down.
    pub async fn send_message(&self, message: Message) -> bool {
        self.lines.send(Item::Message(message)).await.is_ok()
    }

    /// The notice board: what the source cut, refused or did not follow.
    pub fn notices(&self) -> &Notices {
        &self.hub.notices
    }
}

/// The broadcast side: clients subscribe here.
#[derive(Clone, Debug)]
pub struct Hub {
    frames: broadcast::Sender<Frame>,
    counts: Arc<HubCounts>,
    viewer_arrived: Arc<tokio::sync::Notify>,
    /// What a late viewer must learn. Locked while a control frame is recorded and broadcast, and
    /// while a viewer subscribes, so each control frame reaches a viewer exactly once.
    retained: Arc<Mutex<Retained>>,
    notices: Notices,
}

impl Hub {
    /// Starts the batcher; returns the hub (for clients) and the sink (for the source).
    pub fn start(config: HubConfig, shutdown: CancellationToken) -> (Hub, Sink) {
        Hub::start_with(config, Notices::default(), shutdown)
    }

    /// [`Hub::start`] with a given notice board.
    pub fn start_with(
        config: HubConfig,
        notices: Notices,
        shutdown: CancellationToken,
    ) -> (Hub, Sink) {
        let (frames, _) = broadcast::channel(config.client_queue_frames.max(1));
        let (lines_tx, lines_rx) = mpsc::channel(4096);
        let hub = Hub {
            frames,
            counts: Arc::default(),
            viewer_arrived: Arc::default(),
            retained: Arc::new(Mutex::new(Retained::new(
                config.max_containers,
                config.recent_events,
            ))),
            notices,
        };
        tokio::spawn(batcher(config, lines_rx, hub.clone(), shutdown));
        let sink = Sink {
            lines: lines_tx,
            hub: hub.clone(),
        };
        (hub, sink)
    }

    /// A new client's receiver: it sees frames from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Frame> {
        self.subscribe_with_state().0
    }

    /// A new client's receiver, and the control frames to send it first: the latest
    /// `statscope.container` of each known container (ascending ID), then the recent
    /// `statscope.event` messages (oldest first). Those are exactly the ones broadcast before the
    /// receiver existed; later ones arrive through it.
    pub fn subscribe_with_state(&self) -> (broadcast::Receiver<Frame>, Vec<Frame>) {
        let (receiver, state) = {
            let retained = self.lock_retained();
            (self.frames.subscribe(), retained.snapshot())
        };
        self.viewer_arrived.notify_waiters();
        (receiver, state)
    }

    /// The shared counters.
    pub fn counts(&self) -> &HubCounts {
        &self.counts
    }

    /// The notice board (see [`crate::notice`]).
    pub fn notices(&self) -> &Notices {
        &self.notices
    }

    fn publish(&self, frame: String) {
        self.counts.frames.fetch_add(1, Ordering::Relaxed);
        // No receivers is fine: nobody is watching right now.
        let _ = self.frames.send(Frame::from(frame));
    }

    /// Broadcasts a message as its own frame, remembering it for later viewers if it is container
    /// info or a lifecycle event.
    fn publish_message(&self, message: &Message, text: String) {
        let frame = Frame::from(text);
        let mut retained = self.lock_retained();
        retained.record(message, &frame);
        self.counts.frames.fetch_add(1, Ordering::Relaxed);
        self.counts.controls.fetch_add(1, Ordering::Relaxed);
        let _ = self.frames.send(frame);
    }

    fn lock_retained(&self) -> std::sync::MutexGuard<'_, Retained> {
        // Nothing panics while holding it; if something did, the data is still consistent enough.
        self.retained.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The control messages a late viewer is sent, bounded in count (and, by [`MAX_CONTROL_BYTES`],
/// in size).
#[derive(Debug)]
struct Retained {
    /// Container ID → (update number, latest `statscope.container`).
    containers: BTreeMap<String, (u64, Frame)>,
    events: VecDeque<Frame>,
    /// Cause → its active `statscope.notice` (one per cause: bounded by the list of causes).
    notices: BTreeMap<String, Frame>,
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
                let id = info.id.as_str();
                self.updates += 1;
                if self.max_containers == 0 {
                    return;
                }
                if !self.containers.contains_key(id) && self.containers.len() >= self.max_containers
                {
                    let stalest = self
                        .containers
                        .iter()
                        .min_by_key(|(_, (update, _))| *update)
                        .map(|(id, _)| id.clone());
                    if let Some(stalest) = stalest {
                        self.containers.remove(&stalest);
                    }
                }
                self.containers
                    .insert(id.to_string(), (self.updates, frame.clone()));
            }
            Message::Event(event) => {
                if event.action == "destroy" {
                    self.containers.remove(&event.id);
                }
                if self.max_events == 0 {
                    return;
                }
                while self.events.len() >= self.max_events {
                    self.events.pop_front();
                }
                self.events.push_back(frame.clone());
            }
            Message::Notice(notice) => {
                if notice.active {
                    self.notices.insert(notice.cause.clone(), frame.clone());
                } else {
                    self.notices.remove(&notice.cause);
                }
            }
            _ => {}
        }
    }

    fn snapshot(&self) -> Vec<Frame> {
        self.containers
            .values()
            .map(|(_, frame)| frame.clone())
            .chain(self.events.iter().cloned())
            .chain(self.notices.values().cloned())
            .collect()
    }
}

/// Groups the objects of one tick into one frame.
async fn batcher(
    config: HubConfig,
    mut lines: mpsc::Receiver<Item>,
    hub: Hub,
    shutdown: CancellationToken,
) {
    let mut batch = Batch::new(config.max_frame_bytes, config.batch_bytes);
    let mut tick = tokio::time::interval(config.tick);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // After the source ends (a replay without --loop), the hub still sends what it is told to
    // (notices) until shutdown.
    let mut source_done = false;
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            line = lines.recv(), if !source_done => {
                let Some(item) = line else {
                    source_done = true;
                    if let Some(frame) = batch.take() {
                        hub.publish(frame);
                    }
                    continue;
                };
                hub.counts.objects.fetch_add(1, Ordering::Relaxed);
                let line = match item {
                    Item::Stats(line) => line,
                    Item::Message(message) => {
                        let text = message.encode();
                        if text.len() > MAX_CONTROL_BYTES.min(config.max_frame_bytes) {
                            hub.counts.oversized.fetch_add(1, Ordering::Relaxed);
                            crate::warn_limited!("hub-oversized-control", bytes = text.len(), limit = MAX_CONTROL_BYTES, "dropped a control message over the size limit");
                            continue;
                        }
                        // Never inside an array: what was batched goes first, then this alone.
                        if let Some(frame) = batch.take() {
                            hub.publish(frame);
                        }
                        hub.publish_message(&message, text);
                        continue;
                    }
                };
                match batch.push(line) {
                    Push::Added => {}
                    Push::Ready(frames) => frames.into_iter().for_each(|f| hub.publish(f)),
                    Push::Oversized(bytes) => {
                        hub.counts.oversized.fetch_add(1, Ordering::Relaxed);
                        crate::warn_limited!("hub-oversized-stats", bytes, limit = config.max_frame_bytes, "dropped a stats object larger than the frame limit");
                    }
                }
            }
            _ = tick.tick() => {
                if let Some(frame) = batch.take() {
                    hub.publish(frame);
                }
                for notice in hub.notices.due_at(tokio::time::Instant::now()) {
                    let message = Message::Notice(notice);
                    let text = message.encode();
                    hub.publish_message(&message, text);
                }
            }
        }
    }
    if let Some(frame) = batch.take() {
        hub.publish(frame);
    }
}

/// The objects of the current tick, kept as one growing JSON array text.
struct Batch {
    text: String,
    objects: usize,
    /// Byte length of the first object, so a lone object can be sent without the brackets.
    first_len: usize,
    /// No object larger than this is sent.
    max_bytes: usize,
    /// A batch is closed before it would grow past this (or past `max_bytes`).
    target_bytes: usize,
}

enum Push {
    Added,
    /// Frames to send now, in order: the batch when the new object did not fit (the object then
    /// starts the next batch), or the batch so far and then a line that is not a JSON object, alone.
    Ready(Vec<String>),
    /// The object alone exceeds the limit; it was dropped.
    Oversized(usize),
}

/// Is `text` one well-formed JSON object (safe to put inside an array frame)?
fn is_json_object(text: &str) -> bool {
    text.starts_with('{') && serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok()
}

impl Batch {
    fn new(max_bytes: usize, target_bytes: usize) -> Batch {
        Batch {
            text: String::new(),
            objects: 0,
            first_len: 0,
            max_bytes,
            target_bytes: target_bytes.min(max_bytes),
        }
    }

    fn push(&mut self, object: String) -> Push {
        let object = object.trim();
        // Text shaped like a control message may need the two bytes of `[…]`.
        let wrapping = if Message::is_framed(object) { 2 } else { 0 };
        if object.len() + wrapping > self.max_bytes {
            return Push::Oversized(object.len());
        }
        if !is_json_object(object) {
            let mut frames: Vec<String> = self.take().into_iter().collect();
            frames.push(if Message::is_framed(object) {
                // Never alone: alone, it would read as a (bad) control message.
                format!("[{object}]")
            } else {
                object.to_string()
            });
            return Push::Ready(frames);
        }
        // "[" + objects joined by "," + "]"
        let mut full = None;
        if self.objects > 0 && self.text.len() + 1 + object.len() + 1 > self.target_bytes {
            full = self.take();
        }
        if self.objects == 0 {
            self.text.push('[');
            self.first_len = object.len();
        } else {
            self.text.push(',');
        }
        self.text.push_str(object);
        self.objects += 1;
        match full {
            Some(frame) => Push::Ready(vec![frame]),
            None => Push::Added,
        }
    }

    fn take(&mut self) -> Option<String> {
        let frame = match self.objects {
            0 => return None,
            // A lone stats object goes as it is, unless it starts like a control message.
            1 if !Message::is_framed(&self.text[1..]) => {
                self.text[1..1 + self.first_len].to_string()
            }
            1 => {
                self.text.push(']');
                std::mem::take(&mut self.text)
            }
            _ => {
                self.text.push(']');
                std::mem::take(&mut self.text)
            }
        };
        self.text.clear();
        self.objects = 0;
        Some(frame)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use statscope_core::protocol::{ContainerInfo, CpuLimitFrom, LifecycleEvent};
    use statscope_core::Timestamp;

    #[test]
    fn a_lone_object_is_sent_as_is_and_several_as_an_array() {
        let mut b = Batch::new(1000, 1000);
        assert!(b.take().is_none());
        assert!(matches!(b.push("{\"id\":\"a\"}\n".into()), Push::Added));
        assert_eq!(b.take().as_deref(), Some("{\"id\":\"a\"}"));
        b.push("{\"id\":\"a\"}".into());
        b.push("{\"id\":\"b\"}".into());
        assert_eq!(b.take().as_deref(), Some("[{\"id\":\"a\"},{\"id\":\"b\"}]"));
        assert!(b.take().is_none());
    }

    #[test]
    fn frames_stay_under_the_limit() {
        let mut b = Batch::new(25, 25);
        let obj = "{\"id\":\"abcdef\"}".to_string(); // 15 bytes
        assert!(matches!(b.push(obj.clone()), Push::Added));
        match b.push(obj.clone()) {
            Push::Ready(frames) => assert_eq!(frames, std::slice::from_ref(&obj)),
            _ => panic!("expected the first object flushed"),
        }
        assert_eq!(b.take(), Some(obj));
        assert!(matches!(b.push("x".repeat(26)), Push::Oversized(26)));
        assert!(b.take().is_none());
    }

    #[test]
    fn batches_are_cut_at_the_target_size_while_single_objects_may_be_larger() {
        let mut b = Batch::new(1000, 40);
        let obj = "{\"id\":\"abcdef\"}".to_string(); // 15 bytes: two fit in 40, three do not
        assert!(matches!(b.push(obj.clone()), Push::Added));
        assert!(matches!(b.push(obj.clone()), Push::Added));
        assert!(matches!(b.push(obj.clone()), Push::Ready(f) if f == [format!("[{obj},{obj}]")]));
        let big = format!("{{\"name\":\"{}\"}}", "x".repeat(200));
        assert!(matches!(b.push(big.clone()), Push::Ready(f) if f == [obj.clone()]));
        assert_eq!(
            b.take(),
            Some(big),
            "an object over the target but under the limit still goes"
        );
    }

    #[test]
    fn a_line_that_is_not_a_json_object_goes_out_alone() {
        let mut b = Batch::new(1000, 1000);
        b.push("{\"id\":\"a\"}".into());
        b.push("{\"id\":\"b\"}".into());
        match b.push("{\"id\": garbage".into()) {
            Push::Ready(frames) => assert_eq!(
                frames,
                ["[{\"id\":\"a\"},{\"id\":\"b\"}]", "{\"id\": garbage"]
            ),
            _ => panic!("expected the batch, then the bad line alone"),
        }
        for not_an_object in ["[1,2]", "42", "\"text\""] {
            assert!(matches!(b.push(not_an_object.into()), Push::Ready(f) if f == [not_an_object]));
        }
        assert!(b.take().is_none());
    }

    #[test]
    fn stats_text_shaped_like_a_message_never_goes_alone() {
        let mut b = Batch::new(1000, 1000);
        let lookalike = r#"{"type":"statscope.container","id":"x","cpuLimit":64}"#;
        b.push(lookalike.into());
        assert_eq!(b.take(), Some(format!("[{lookalike}]")));
        let garbled = r#"{"type":"statscope.container","id":"#;
        assert!(matches!(b.push(garbled.into()), Push::Ready(f) if f == [format!("[{garbled}]")]));
        // Right at the limit, the brackets would not fit.
        let mut b = Batch::new(lookalike.len() + 1, 1000);
        assert!(matches!(b.push(lookalike.into()), Push::Oversized(_)));
        // Ordinary stats are untouched.
        assert!(matches!(b.push("{\"id\":\"a\"}".into()), Push::Added));
        assert_eq!(b.take().as_deref(), Some("{\"id\":\"a\"}"));
    }

    fn info_message(id: &str, cpus: f64) -> Message {
        Message::Container(ContainerInfo {
            host: String::new(),
            id: id.into(),
            name: id.into(),
            image: "busybox".into(),
            cpu_limit: Some(cpus),
            cpu_limit_from: Some(CpuLimitFrom::NanoCpus),
            memory_limit_bytes: None,
        })
    }

    fn info(id: &str, cpus: f64) -> String {
        info_message(id, cpus).encode()
    }

    fn event(id: &str, action: &str, n: usize) -> String {
        Message::Event(LifecycleEvent {
            host: String::new(),
            id: id.into(),
            name: id.into(),
            action: action.into(),
            time: Timestamp::from_unix_ns(1_795_496_400_000_000_000 + n as i128),
            exit_code: None,
            signal: None,
        })
        .encode()
    }

    /// Sends a line as a source would: one of statscope's messages typed, anything else as stats.
    async fn send(sink: &Sink, line: &str) -> bool {
        match Message::decode(line) {
            Ok(Some(message)) => sink.send_message(message).await,
            _ => sink.send_stats(line.to_string()).await,
        }
    }

    /// Receives frames until `last` went by; returns them all.
    async fn frames_until(rx: &mut broadcast::Receiver<Frame>, last: &str) -> Vec<String> {
        let mut got = Vec::new();
        while got.last().map(String::as_str) != Some(last) {
            let frame = tokio::time::timeout(Duration::from_secs(10), rx.recv())
                .await
                .expect("a frame in time")
                .expect("open");
            got.push(frame.to_string());
        }
        got
    }

    #[tokio::test(start_paused = true)]
    async fn messages_are_never_batched_and_keep_their_place() {
        let shutdown = CancellationToken::new();
        let (hub, sink) = Hub::start(HubConfig::default(), shutdown.clone());
        let mut rx = hub.subscribe();
        // Past the batcher's first (immediate) tick; the next is 100 ms away, and paused time
        // only moves once everything sent below has been handled.
        tokio::time::sleep(Duration::from_millis(1)).await;
        let (a, b, c, d) = (
            r#"{"id":"a"}"#,
            r#"{"id":"b"}"#,
            r#"{"id":"c"}"#,
            r#"{"id":"d"}"#,
        );
        let (container, die) = (info("x", 0.5), event("x", "die", 1));
        for line in [a, b, &container, &die] {
            assert!(send(&sink, line).await);
        }
        // A stats line shaped like a message is stats: batched, relayed as it is, never retained.
        let lookalike = info("y", 64.0);
        for line in [c, lookalike.as_str(), d] {
            assert!(sink.send_stats(line.to_string()).await);
        }
        let last = format!("[{c},{lookalike},{d}]");
        assert_eq!(
            frames_until(&mut rx, &last).await,
            [format!("[{a},{b}]"), container.clone(), die, last.clone()]
        );
        // Alone in its tick, it still goes inside an array.
        assert!(sink.send_stats(lookalike.clone()).await);
        let alone = format!("[{lookalike}]");
        assert_eq!(frames_until(&mut rx, &alone).await, [alone]);
        assert_eq!(hub.counts().controls.load(Ordering::Relaxed), 2);
        let (_, state) = hub.subscribe_with_state();
        assert_eq!(
            state.len(),
            2,
            "the container info and the event, not the lookalike"
        );
        assert_eq!(state[0].to_string(), container);
        shutdown.cancel();
    }

    #[tokio::test(start_paused = true)]
    async fn a_late_viewer_learns_the_containers_and_recent_events() {
        let shutdown = CancellationToken::new();
        let config = HubConfig {
            recent_events: 5,
            max_containers: 3,
            ..HubConfig::default()
        };
        let (hub, sink) = Hub::start(config, shutdown.clone());
        let (mut early, nothing) = hub.subscribe_with_state();
        assert!(nothing.is_empty());
        let mut sent = vec![
            info("b", 1.0),
            info("a", 0.5),
            r#"{"id":"a","read":"2024-05-01T10:00:00Z"}"#.to_string(),
            info("a", 0.25), // an update replaces a's info
            info("c", 2.0),
            event("c", "destroy", 0), // c is gone
        ];
        sent.extend((1..=7).map(|n| event("a", "start", n)));
        for line in &sent {
            assert!(send(&sink, line).await);
        }
        frames_until(&mut early, sent.last().expect("sent")).await;
        let (mut late, state) = hub.subscribe_with_state();
        let state: Vec<String> = state.iter().map(|f| f.to_string()).collect();
        let mut expected = vec![info("a", 0.25), info("b", 1.0)];
        expected.extend((3..=7).map(|n| event("a", "start", n)));
        assert_eq!(
            state, expected,
            "ascending IDs, then the last 5 events in order"
        );

        // What comes later reaches the late viewer live, once.
        let newer = info("d", 4.0);
        assert!(send(&sink, &newer).await);
        assert_eq!(
            frames_until(&mut late, &newer).await,
            std::slice::from_ref(&newer)
        );
        frames_until(&mut early, &newer).await;

        // Bounded: with 3 containers kept, a fourth and fifth push out the least recently updated.
        for id in ["e", "f"] {
            assert!(send(&sink, &info(id, 1.0)).await);
        }
        frames_until(&mut early, &info("f", 1.0)).await;
        let (_, state) = hub.subscribe_with_state();
        let ids: Vec<String> = state
            .iter()
            .filter_map(|f| match Message::decode(f) {
                Ok(Some(Message::Container(c))) => Some(c.id),
                _ => None,
            })
            .collect();
        assert_eq!(ids, ["d", "e", "f"]);
        assert_eq!(state.len(), 3 + 5);
        shutdown.cancel();
    }

    #[tokio::test(start_paused = true)]
    async fn notices_are_sent_paced_and_retained_while_active() {
        use crate::notice::Cause;
        let shutdown = CancellationToken::new();
        let (hub, sink) = Hub::start(HubConfig::default(), shutdown.clone());
        let mut rx = hub.subscribe();
        for _ in 0..50 {
            sink.notices()
                .cut(Cause::LineTooLong, 1, Some(1024), "a line over 1 KiB; cut");
        }
        sink.notices().hold(
            Cause::ContainersOverLimit,
            100,
            Some(1000),
            "1,100 containers, following 1,000",
        );
        let notice = |frame: &Frame| match Message::decode(frame) {
            Ok(Some(Message::Notice(n))) => Some(n),
            _ => None,
        };
        let mut got = Vec::new();
        while got.len() < 2 {
            let frame = rx.recv().await.expect("a frame");
            got.extend(notice(&frame));
        }
        got.sort_by(|a, b| a.cause.cmp(&b.cause));
        assert_eq!(
            got.iter()
                .map(|n| (n.cause.as_str(), n.count, n.active))
                .collect::<Vec<_>>(),
            [
                ("containers-over-limit", 100, true),
                ("line-too-long", 50, true)
            ],
            "fifty cuts, one message"
        );
        let (_, state) = hub.subscribe_with_state();
        assert_eq!(
            state.iter().filter_map(notice).count(),
            2,
            "a late viewer is told"
        );
        sink.notices().clear(Cause::ContainersOverLimit);
        let over = loop {
            let frame = rx.recv().await.expect("a frame");
            if let Some(n) = notice(&frame) {
                break n;
            }
        };
        assert_eq!(
            (over.cause.as_str(), over.active),
            ("containers-over-limit", false)
        );
        let (_, state) = hub.subscribe_with_state();
        let kept: Vec<String> = state.iter().filter_map(notice).map(|n| n.cause).collect();
        assert_eq!(kept, ["line-too-long"], "an ended notice is not retained");
        shutdown.cancel();
    }

    #[tokio::test(start_paused = true)]
    async fn an_oversized_message_is_dropped() {
        let shutdown = CancellationToken::new();
        let (hub, sink) = Hub::start(HubConfig::default(), shutdown.clone());
        let mut rx = hub.subscribe();
        let huge = Message::Container(ContainerInfo {
            id: "x".into(),
            name: "n".repeat(MAX_CONTROL_BYTES),
            ..ContainerInfo::default()
        });
        assert!(sink.send_message(huge).await);
        let ok = info("y", 1.0);
        assert!(send(&sink, &ok).await);
        assert_eq!(frames_until(&mut rx, &ok).await, [ok]);
        assert_eq!(hub.counts().oversized.load(Ordering::Relaxed), 1);
        assert_eq!(hub.subscribe_with_state().1.len(), 1);
        shutdown.cancel();
    }
}
