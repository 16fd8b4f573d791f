//! The feed's intake: frames in, micro-batches through the engine, and what the feed said about
//! itself. [`Intake::ingest`] takes one WebSocket frame: Docker stats (an object or an array) are
//! parsed and queued; statscope's own messages ([`Message`], recognized by the protocol module)
//! update the feed's info and the containers' lifecycle. A bad frame, or a bad object inside an
//! array, is counted (`malformed`, per object) and its error kept for the status line; the other
//! objects of the frame are kept. Frames over [`MAX_FRAME_BYTES`] are refused unparsed.
//! [`Intake::flush`] applies everything queued as one micro-batch (`updateStateByKey`), and gives a
//! colour to each container that arrived with it.

use serde::Serialize;

use crate::chart::ColorSlots;
use crate::lifecycle::Lifecycle;
use crate::model::{parse_frame_lenient, Sample};
use crate::protocol::{FleetHost, HostInfo, Message, Notice, Subscribed};
use crate::rates::{EngineConfig, Flag, RateEngine};

/// The largest frame accepted; larger ones are counted and dropped (the bridge has the same limit).
pub const MAX_FRAME_BYTES: usize = 1 << 20;

/// What the feed has delivered, for the status line.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FeedCounts {
    /// Frames received.
    pub frames: u64,
    /// Stats objects received.
    pub samples: u64,
    /// Samples that came from the bridge's history (sent on connecting), of `samples`.
    pub history: u64,
    /// History samples skipped because the page already had them (a bridge that restarted sends
    /// its history again).
    pub known: u64,
    /// Malformed inputs, counted per object: a frame that is not JSON counts 1, and each bad
    /// element of an array frame counts 1 (the good ones are kept).
    pub malformed: u64,
    /// Frames over the size limit (counted, dropped unparsed).
    pub oversized: u64,
    /// Frames the bridge dropped because this page fell behind.
    pub bridge_dropped: u64,
    /// The last malformed frame's error.
    pub last_error: Option<String>,
    /// What the bridge said it relays (`docker`, `demo`, `replay`), if it said.
    pub source: Option<String>,
    /// The bridge's one-line description of the source.
    pub describe: Option<String>,
}

/// What a flush did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flushed {
    /// Samples were applied.
    pub applied: bool,
    /// Containers left the engine (evicted): whatever refers to them by ID may forget them.
    pub left: bool,
}

/// The intake (see the module docs).
#[derive(Debug)]
pub struct Intake {
    engine: RateEngine,
    pending: Vec<Sample>,
    counts: FeedCounts,
    lifecycle: Lifecycle,
    colors: ColorSlots,
    /// The hosts the bridge said it follows, by key.
    hosts: Vec<HostInfo>,
    /// The bridge's run (`hello`'s `instance`) and the highest sequence number received from it.
    resume: Option<(String, u64)>,
    /// What the bridge says it cut, refused or did not follow, one per cause, while it holds.
    notices: Vec<Notice>,
    /// Names held by more than one container of a host (`name@host`, sorted): their labels add
    /// a short ID. Recomputed when containers come or go.
    clashing: Vec<String>,
    /// What the bridge says it sends this page, of how many (`statscope.subscribed`).
    subscribed: Option<Subscribed>,
    /// The bridge's fleet overview (`statscope.fleet`), at most [`MAX_HOSTS`] hosts.
    fleet: Vec<FleetHost>,
}

/// A container's identity for its colour: its name and host (a re-created container, with a new
/// ID, keeps its colour; two hosts' containers of the same name differ).
pub fn identity(key: &str, name: &str) -> String {
    format!("{name}@{}", Sample::split_key(key).1)
}

/// Hosts kept at most (a bridge follows a few dozen; a hostile one cannot grow this).
const MAX_HOSTS: usize = 4096;

/// Notices kept at most (one per cause; the bridge has a dozen causes).
const MAX_NOTICES: usize = 64;

impl Intake {
    pub fn new(config: EngineConfig, colors: ColorSlots) -> Intake {
        Intake {
            engine: RateEngine::new(config),
            pending: Vec::new(),
            counts: FeedCounts::default(),
            lifecycle: Lifecycle::default(),
            colors,
            hosts: Vec::new(),
            resume: None,
            notices: Vec::new(),
            clashing: Vec::new(),
            subscribed: None,
            fleet: Vec::new(),
        }
    }

    /// Takes one text frame. Stats are queued for the next [`flush`](Self::flush). Returns whether
    /// a message changed what is shown (container info, an event) at once.
    pub fn ingest(&mut self, text: &str) -> bool {
        if text.len() > MAX_FRAME_BYTES {
            self.refuse_oversized(text.len());
            return false;
        }
        self.counts.frames += 1;
        if Message::is_framed(text) {
            match Message::decode(text) {
                Ok(Some(message)) => return self.on_message(message),
                Ok(None) => {}
                Err(e) => {
                    self.malformed(1, e.to_string());
                    return false;
                }
            }
        }
        let frame = parse_frame_lenient(text);
        self.counts.samples += frame.samples.len() as u64;
        self.pending
            .extend(frame.samples.into_iter().map(|s| Sample::from_stats(s, "")));
        if let Some(e) = frame.errors.last() {
            self.malformed(frame.errors.len() as u64, e.to_string());
        }
        false
    }

    /// Takes one frame as UTF-8 bytes (a binary WebSocket frame, or text the browser encoded).
    pub fn ingest_bytes(&mut self, bytes: &[u8]) -> bool {
        if bytes.len() > MAX_FRAME_BYTES {
            self.refuse_oversized(bytes.len());
            return false;
        }
        match std::str::from_utf8(bytes) {
            Ok(text) => self.ingest(text),
            Err(e) => {
                self.refuse(&format!("a frame that is not UTF-8: {e}"));
                false
            }
        }
    }

    /// Counts a frame that cannot be read at all (not text), with why.
    pub fn refuse(&mut self, why: &str) {
        self.counts.frames += 1;
        self.malformed(1, why.to_string());
    }

    /// Counts a frame of `len` bytes over [`MAX_FRAME_BYTES`], dropped unread.
    pub fn refuse_oversized(&mut self, len: usize) {
        self.counts.frames += 1;
        self.counts.oversized += 1;
        self.counts.last_error = Some(format!(
            "a frame of {len} bytes exceeds the {MAX_FRAME_BYTES} byte limit"
        ));
    }

    fn malformed(&mut self, n: u64, mut message: String) {
        self.counts.malformed += n;
        if message.len() > 200 {
            let cut = (0..=200)
                .rev()
                .find(|&i| message.is_char_boundary(i))
                .unwrap_or(0);
            message.truncate(cut);
            message.push('…');
        }
        self.counts.last_error = Some(message);
    }

    /// One of statscope's messages; whether it changed what is shown.
    fn on_message(&mut self, message: Message) -> bool {
        match message {
            Message::Hello(hello) => {
                self.counts.source = Some(hello.source);
                self.counts.describe = Some(hello.describe);
                if self
                    .resume
                    .as_ref()
                    .is_none_or(|(run, _)| *run != hello.instance)
                {
                    self.resume = if hello.instance.is_empty() {
                        None
                    } else {
                        Some((hello.instance, 0))
                    };
                }
                // A new connection: the bridge sends the notices that hold again, and says what
                // it sends this page once it has read its subscription.
                self.notices.clear();
                self.subscribed = None;
                self.hosts.clear();
                for host in hello.hosts {
                    self.on_host(host);
                }
                true
            }
            Message::Host(host) => {
                self.on_host(host);
                true
            }
            Message::Samples(m) => {
                if let Some((_, seq)) = self.resume.as_mut() {
                    *seq = (*seq).max(m.seq);
                }
                self.counts.samples += m.samples.len() as u64;
                if m.history {
                    self.counts.history += m.samples.len() as u64;
                    // History from a bridge this page did not resume (it restarted, or a hub
                    // rebuilt it): what the page already has is known, not late.
                    let engine = &self.engine;
                    let n = m.samples.len();
                    let before = self.pending.len();
                    self.pending.extend(m.samples.into_iter().filter(|s| {
                        engine
                            .get(&s.key)
                            .and_then(|c| c.last_read_ns())
                            .is_none_or(|last| s.read.unix_ns() > last)
                    }));
                    self.counts.known += (n - (self.pending.len() - before)) as u64;
                } else {
                    self.pending.extend(m.samples);
                }
                false
            }
            Message::Dropped(d) => {
                self.counts.bridge_dropped = self.counts.bridge_dropped.saturating_add(d.frames);
                false
            }
            Message::Container(info) => {
                self.lifecycle.on_container(info);
                true
            }
            Message::Event(event) => {
                self.lifecycle.on_event(event);
                true
            }
            Message::Notice(notice) => {
                let at = self
                    .notices
                    .iter()
                    .position(|n| n.cause == notice.cause && n.host == notice.host);
                match (at, notice.active) {
                    (Some(i), true) => self.notices[i] = notice,
                    (None, true) if self.notices.len() < MAX_NOTICES => self.notices.push(notice),
                    (Some(i), false) => {
                        self.notices.remove(i);
                    }
                    _ => {}
                }
                true
            }
            Message::Subscribed(m) => {
                self.subscribed = Some(m);
                true
            }
            Message::Fleet(mut m) => {
                m.hosts.truncate(MAX_HOSTS);
                self.fleet = m.hosts;
                true
            }
            // What a page sends, not what it is sent.
            Message::Subscribe(_) | Message::Heartbeat | Message::Other(_) => false,
        }
    }

    /// What the bridge says it sends this page, of how many, if it said.
    pub fn subscribed(&self) -> Option<&Subscribed> {
        self.subscribed.as_ref()
    }

    /// The bridge's latest fleet overview.
    pub fn fleet(&self) -> &[FleetHost] {
        &self.fleet
    }

    /// A host came, went or changed (kept by key, in key order).
    fn on_host(&mut self, host: HostInfo) {
        match self.hosts.binary_search_by(|h| h.host.cmp(&host.host)) {
            Ok(i) => self.hosts[i] = host,
            Err(i) if self.hosts.len() < MAX_HOSTS => self.hosts.insert(i, host),
            Err(_) => {}
        }
    }

    /// What the bridge says it cut, refused or did not follow now, one per cause, in arrival order.
    pub fn notices(&self) -> &[Notice] {
        &self.notices
    }

    /// The hosts the bridge follows, in key order.
    pub fn hosts(&self) -> &[HostInfo] {
        &self.hosts
    }

    /// What a reconnect asks the bridge for, so that it sends only what this page missed: the
    /// bridge's run and the highest sequence number received (`"run:seq"`), once it said its run.
    pub fn resume_token(&self) -> Option<String> {
        self.resume
            .as_ref()
            .map(|(run, seq)| format!("{run}:{seq}"))
    }

    /// Samples queued since the last flush.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Applies the queued samples as one micro-batch; containers new to the engine get a colour.
    /// `arrived_ms`: when, by the page's clock (`performance.now()`), so that containers that stop
    /// sending stop voting on the engine's clock (see [`crate::rates`]).
    pub fn flush(&mut self, arrived_ms: Option<f64>) -> Flushed {
        if self.pending.is_empty() {
            return Flushed::default();
        }
        let batch = std::mem::take(&mut self.pending);
        let evicted = self.engine.counts().evicted;
        let arrived_ns = arrived_ms.map(|ms| (ms * 1e6) as i64);
        let points = self.engine.update_arrived(&batch, None, arrived_ns);
        for (s, p) in batch.iter().zip(&points) {
            if p.flag == Flag::Late {
                self.lifecycle.on_late(&s.key, p.t_ms());
            }
        }
        let left = self.engine.counts().evicted > evicted;
        if left {
            let engine = &self.engine;
            self.colors.retain(|id| engine.get(id).is_some());
            self.lifecycle.retain_late(|id| engine.get(id).is_some());
        }
        if left || self.engine.len() != self.colors.len() {
            // Containers that arrive together get the same looks whatever order they came in.
            let colors = &self.colors;
            let new: Vec<(String, String)> = self
                .engine
                .containers()
                .filter(|(key, _)| !colors.has(key))
                .map(|(key, c)| (key.clone(), identity(key, c.name())))
                .collect();
            self.colors.assign_all(new);
            let mut names: Vec<String> = self
                .engine
                .containers()
                .map(|(key, c)| identity(key, c.name()))
                .collect();
            crate::sorting::sort_by(&mut names, |a, b| a.cmp(b));
            self.clashing = names
                .windows(2)
                .filter(|w| w[0] == w[1])
                .map(|w| w[0].clone())
                .collect();
            self.clashing.dedup();
        }
        // Reuse the allocation for the next batch.
        self.pending = batch;
        self.pending.clear();
        Flushed {
            applied: true,
            left,
        }
    }

    pub fn counts(&self) -> &FeedCounts {
        &self.counts
    }

    pub fn engine(&self) -> &RateEngine {
        &self.engine
    }

    pub fn lifecycle(&self) -> &Lifecycle {
        &self.lifecycle
    }

    /// Each container's colour and dash (given when it arrived).
    pub fn colors(&self) -> &ColorSlots {
        &self.colors
    }

    /// Does another container of the same host hold the name of container `key`?
    pub fn name_clashes(&self, key: &str, name: &str) -> bool {
        !self.clashing.is_empty() && self.clashing.binary_search(&identity(key, name)).is_ok()
    }
}
