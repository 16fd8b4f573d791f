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

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::extract::ws::Utf8Bytes;
use std::time::Duration;

use tokio::sync::{broadcast, mpsc};
use tokio_util::sync::CancellationToken;

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
}

impl Default for HubConfig {
    fn default() -> Self {
        HubConfig {
            tick: Duration::from_millis(100),
            client_queue_frames: 256,
            max_frame_bytes: 1 << 20,
            batch_bytes: 64 << 10,
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
    /// Objects dropped because they alone exceed the frame limit.
    pub oversized: AtomicU64,
    /// Frames dropped for slow clients, over all clients.
    pub client_drops: AtomicU64,
}

/// Where a source sends the stats objects it reads. Cheap to clone; sending never blocks for long.
#[derive(Clone, Debug)]
pub struct Sink {
    lines: mpsc::Sender<String>,
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

    /// Hands one stats object (its exact JSON text, without the trailing newline) to the hub.
    /// Returns `false` once the hub has shut down.
    pub async fn send(&self, object: String) -> bool {
        self.lines.send(object).await.is_ok()
    }
}

/// The broadcast side: clients subscribe here.
#[derive(Clone, Debug)]
pub struct Hub {
    frames: broadcast::Sender<Frame>,
    counts: Arc<HubCounts>,
    viewer_arrived: Arc<tokio::sync::Notify>,
}

impl Hub {
    /// Starts the batcher; returns the hub (for clients) and the sink (for the source).
    pub fn start(config: HubConfig, shutdown: CancellationToken) -> (Hub, Sink) {
        let (frames, _) = broadcast::channel(config.client_queue_frames.max(1));
        let (lines_tx, lines_rx) = mpsc::channel(4096);
        let hub = Hub {
            frames,
            counts: Arc::default(),
            viewer_arrived: Arc::default(),
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
        let receiver = self.frames.subscribe();
        self.viewer_arrived.notify_waiters();
        receiver
    }

    /// The shared counters.
    pub fn counts(&self) -> &HubCounts {
        &self.counts
    }

    fn publish(&self, frame: String) {
        self.counts.frames.fetch_add(1, Ordering::Relaxed);
        // No receivers is fine: nobody is watching right now.
        let _ = self.frames.send(Frame::from(frame));
    }
}

/// Groups the objects of one tick into one frame.
async fn batcher(
    config: HubConfig,
    mut lines: mpsc::Receiver<String>,
    hub: Hub,
    shutdown: CancellationToken,
) {
    let mut batch = Batch::new(config.max_frame_bytes, config.batch_bytes);
    let mut tick = tokio::time::interval(config.tick);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            line = lines.recv() => {
                let Some(line) = line else { break };
                hub.counts.objects.fetch_add(1, Ordering::Relaxed);
                match batch.push(line) {
                    Push::Added => {}
                    Push::Ready(frames) => frames.into_iter().for_each(|f| hub.publish(f)),
                    Push::Oversized(bytes) => {
                        hub.counts.oversized.fetch_add(1, Ordering::Relaxed);
                        tracing::warn!(bytes, limit = config.max_frame_bytes, "dropped a stats object larger than the frame limit");
                    }
                }
            }
            _ = tick.tick() => {
                if let Some(frame) = batch.take() {
                    hub.publish(frame);
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
        if object.len() > self.max_bytes {
            return Push::Oversized(object.len());
        }
        if !is_json_object(object) {
            let mut frames: Vec<String> = self.take().into_iter().collect();
            frames.push(object.to_string());
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
            1 => self.text[1..1 + self.first_len].to_string(),
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
}
