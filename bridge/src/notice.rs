//! What the bridge cut, refused or did not follow, counted per cause and said twice: in the log
//! (rate-limited, [`crate::ratelog`]) and to the page, as `statscope.notice` messages
//! ([`statscope_core::protocol::Notice`]).
//!
//! Two kinds of cause:
//! - a **condition** ([`Notices::hold`] … [`Notices::clear`]): true for a while, such as "1,100
//!   containers, following 1,000" or "the engine does not answer"; its `count` is what it affects now;
//! - a **cut** ([`Notices::cut`]): something was dropped or refused (a line over the limit, an answer
//!   too large, events over the budget); its `count` adds up since the bridge started, and it stays
//!   active until [`NoticeConfig::quiet`] passes without another.
//!
//! The hub ([`crate::hub`]) asks [`Notices::due_at`] on each tick and broadcasts what changed, at
//! most once per [`NoticeConfig::min_interval`] per cause (a flood of cuts is one message a
//! second, its count rising), and `active: false` once a cause is over; it keeps the active ones
//! for viewers arriving later.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use statscope_core::protocol::Notice;
use tokio::time::Instant;

use crate::ratelog;

/// Why something was cut, refused or not followed. [`Cause::key`] is its name on the wire and in
/// the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Cause {
    /// The engine cannot be reached, or does not answer in time (a condition: until it answers).
    EngineUnreachable,
    /// An answer of the engine over the body limit was refused (a condition while it keeps the
    /// bridge from listing containers; a cut for one container's inspect).
    EngineAnswerTooLarge,
    /// A line (of the engine's streams, or of a recording) over the line limit was cut.
    LineTooLong,
    /// More containers run than the bridge follows (a condition).
    ContainersOverLimit,
    /// The engine's events came faster than the bridge handles them: the rest were not relayed, and
    /// their containers were looked at again once each (coalesced).
    EventFlood,
    /// A stats stream sent nothing for too long and was closed.
    StreamIdle,
    /// A container's stats stream could not be opened (not because the container is gone).
    StreamFailed,
    /// Connections over the caps (total or per address) were refused.
    ConnectionsRefused,
    /// Stats objects (or lines of a recording) that cannot be read were dropped.
    MalformedStats,
    /// The history kept for viewers arriving later went over its bytes: its oldest samples went.
    HistoryTrimmed,
    /// An agent's buffer of what NATS has not taken yet was full: its oldest messages went.
    AgentBufferFull,
    /// NATS cannot be reached (a condition, on the hub: until it answers again).
    NatsUnreachable,
    /// A message on an agent's subjects that cannot be read (or too large, or not what its
    /// subject carries) was dropped.
    BadAgentMessage,
    /// More hosts publish than the hub follows (a condition): the others' messages are dropped.
    HostsOverLimit,
    /// Messages the stream no longer had when the hub read it (trimmed by its limits first).
    StreamLost,
}

impl Cause {
    /// The cause's name: `engine-unreachable`, `engine-answer-too-large`, `line-too-long`,
    /// `containers-over-limit`, `event-flood`, `stream-idle`, `stream-failed`,
    /// `connections-refused`, `malformed-stats`, `history-trimmed`, `agent-buffer-full`,
    /// `nats-unreachable`, `bad-agent-message`, `hosts-over-limit`, `stream-lost`.
    pub fn key(self) -> &'static str {
        match self {
            Cause::EngineUnreachable => "engine-unreachable",
            Cause::EngineAnswerTooLarge => "engine-answer-too-large",
            Cause::LineTooLong => "line-too-long",
            Cause::ContainersOverLimit => "containers-over-limit",
            Cause::EventFlood => "event-flood",
            Cause::StreamIdle => "stream-idle",
            Cause::StreamFailed => "stream-failed",
            Cause::ConnectionsRefused => "connections-refused",
            Cause::MalformedStats => "malformed-stats",
            Cause::HistoryTrimmed => "history-trimmed",
            Cause::AgentBufferFull => "agent-buffer-full",
            Cause::NatsUnreachable => "nats-unreachable",
            Cause::BadAgentMessage => "bad-agent-message",
            Cause::HostsOverLimit => "hosts-over-limit",
            Cause::StreamLost => "stream-lost",
        }
    }

    /// Every cause.
    pub const ALL: [Cause; 15] = [
        Cause::EngineUnreachable,
        Cause::EngineAnswerTooLarge,
        Cause::LineTooLong,
        Cause::ContainersOverLimit,
        Cause::EventFlood,
        Cause::StreamIdle,
        Cause::StreamFailed,
        Cause::ConnectionsRefused,
        Cause::MalformedStats,
        Cause::HistoryTrimmed,
        Cause::AgentBufferFull,
        Cause::NatsUnreachable,
        Cause::BadAgentMessage,
        Cause::HostsOverLimit,
        Cause::StreamLost,
    ];
}

/// How notices are paced.
#[derive(Clone, Debug)]
pub struct NoticeConfig {
    /// A cut stays active until this long passes without another.
    pub quiet: Duration,
    /// At most one message per cause per this interval (the last state always gets out).
    pub min_interval: Duration,
}

impl Default for NoticeConfig {
    fn default() -> Self {
        NoticeConfig {
            quiet: Duration::from_secs(60),
            min_interval: Duration::from_secs(1),
        }
    }
}

/// The notice board: shared by the sources, the server and the hub. Cheap to clone. Each handle
/// posts for one host ([`Notices::for_host`]; `""`: the bridge itself, such as refused
/// connections): a cause holds per host.
#[derive(Clone, Debug)]
pub struct Notices {
    inner: Arc<Mutex<Board>>,
    host: Arc<str>,
}

#[derive(Debug)]
struct Board {
    config: NoticeConfig,
    entries: BTreeMap<(Arc<str>, Cause), Entry>,
}

#[derive(Debug)]
struct Entry {
    notice: Notice,
    /// A condition (cleared by [`Notices::clear`]) rather than a cut (cleared by quiet).
    condition: bool,
    changed_at: Instant,
    sent_at: Option<Instant>,
    unsent: bool,
}

impl Notices {
    pub fn new(config: NoticeConfig) -> Notices {
        Notices {
            inner: Arc::new(Mutex::new(Board {
                config,
                entries: BTreeMap::new(),
            })),
            host: Arc::from(""),
        }
    }

    /// The same board, posting for host `host`.
    pub fn for_host(&self, host: &str) -> Notices {
        Notices {
            inner: self.inner.clone(),
            host: Arc::from(host),
        }
    }

    /// The host this handle posts for (`""`: the bridge itself).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// `n` more were cut or refused for `cause`; `text` says what, for people. Logged (as a
    /// warning, rate-limited per cause and host) and told to the page.
    pub fn cut(&self, cause: Cause, n: u64, limit: Option<u64>, text: impl Into<String>) {
        let text = text.into();
        let count = {
            let mut board = self.lock();
            let e = board.entry(&self.host, cause);
            e.notice.count += n;
            e.notice.limit = limit;
            e.notice.text.clone_from(&text);
            e.notice.active = true;
            e.condition = false;
            e.changed_at = Instant::now();
            e.unsent = true;
            e.notice.count
        };
        if let Some(suppressed) = ratelog::global().check_host(cause.key(), &self.host) {
            tracing::warn!(cause = cause.key(), host = %self.host, count, suppressed, "{text}");
        }
    }

    /// `cause` holds now, affecting `count`; `text` says it. Logged (as a warning, rate-limited
    /// per cause) when it starts or its text changes, and told to the page.
    pub fn hold(&self, cause: Cause, count: u64, limit: Option<u64>, text: impl Into<String>) {
        let text = text.into();
        let changed = {
            let mut board = self.lock();
            let e = board.entry(&self.host, cause);
            let changed = !e.notice.active || e.notice.text != text || e.notice.count != count;
            if changed {
                e.notice.count = count;
                e.notice.limit = limit;
                e.notice.text.clone_from(&text);
                e.notice.active = true;
                e.changed_at = Instant::now();
                e.unsent = true;
            }
            e.condition = true;
            changed
        };
        if changed {
            if let Some(suppressed) = ratelog::global().check_host(cause.key(), &self.host) {
                tracing::warn!(cause = cause.key(), host = %self.host, count, suppressed, "{text}");
            }
        }
    }

    /// `cause` is over (if it was active; a condition's count drops to 0): logged, and the page
    /// told.
    pub fn clear(&self, cause: Cause) {
        let was = {
            let mut board = self.lock();
            match board.entries.get_mut(&(self.host.clone(), cause)) {
                Some(e) if e.notice.active => {
                    e.notice.active = false;
                    // A condition's count is what it affects now: nothing, once it is over.
                    e.notice.count = 0;
                    e.changed_at = Instant::now();
                    e.unsent = true;
                    Some(e.notice.text.clone())
                }
                _ => None,
            }
        };
        if let Some(text) = was {
            tracing::info!(cause = cause.key(), "over: {text}");
        }
    }

    /// The count of `cause` so far (0 if it never happened).
    pub fn count(&self, cause: Cause) -> u64 {
        self.lock()
            .entries
            .get(&(self.host.clone(), cause))
            .map_or(0, |e| e.notice.count)
    }

    /// Whether `cause` is active now.
    pub fn is_active(&self, cause: Cause) -> bool {
        self.lock()
            .entries
            .get(&(self.host.clone(), cause))
            .is_some_and(|e| e.notice.active)
    }

    /// The notices to send now: each cause that changed and was not sent within
    /// [`NoticeConfig::min_interval`] (an ending always goes at once), and `active: false` for a cut
    /// quiet for [`NoticeConfig::quiet`].
    pub fn due_at(&self, now: Instant) -> Vec<Notice> {
        let mut board = self.lock();
        let Board { config, entries } = &mut *board;
        let mut due = Vec::new();
        for e in entries.values_mut() {
            if !e.condition
                && e.notice.active
                && now.saturating_duration_since(e.changed_at) >= config.quiet
            {
                e.notice.active = false;
                e.unsent = true;
            }
            let paced = e
                .sent_at
                .is_none_or(|t| now.saturating_duration_since(t) >= config.min_interval);
            if e.unsent && (paced || !e.notice.active) {
                e.unsent = false;
                e.sent_at = Some(now);
                due.push(e.notice.clone());
            }
        }
        due
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Board> {
        // Nothing panics while holding it; if something did, the counts are still usable.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Default for Notices {
    fn default() -> Self {
        Notices::new(NoticeConfig::default())
    }
}

impl Board {
    fn entry(&mut self, host: &Arc<str>, cause: Cause) -> &mut Entry {
        self.entries
            .entry((host.clone(), cause))
            .or_insert_with(|| Entry {
                notice: Notice {
                    host: host.to_string(),
                    cause: cause.key().to_string(),
                    ..Notice::default()
                },
                condition: false,
                changed_at: Instant::now(),
                sent_at: None,
                unsent: false,
            })
    }
}

/// `1100` → `1,100`: counts in notices' texts, for people.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A byte count for people: `1.5 GB`, `16 MiB` style is for limits ([`mib`]); this is for sizes
/// the engine announced (decimal, as `docker` prints them).
pub fn bytes(n: u64) -> String {
    const UNITS: [(&str, f64); 4] = [("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)];
    for (unit, size) in UNITS {
        if n as f64 >= size {
            let v = n as f64 / size;
            return if v >= 100.0 {
                format!("{v:.0} {unit}")
            } else {
                format!("{:.1} {unit}", (v * 10.0).floor() / 10.0)
            };
        }
    }
    format!("{n} B")
}

/// A limit in bytes for people, in binary units as the flags give them: `16 MiB`, `512 KiB`.
pub fn mib(n: u64) -> String {
    if n >= 1 << 20 && n.is_multiple_of(1 << 20) {
        format!("{} MiB", n >> 20)
    } else if n >= 1 << 10 && n.is_multiple_of(1 << 10) {
        format!("{} KiB", n >> 10)
    } else {
        format!("{n} B")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn board() -> Notices {
        Notices::new(NoticeConfig {
            quiet: Duration::from_secs(60),
            min_interval: Duration::from_secs(1),
        })
    }

    #[tokio::test(start_paused = true)]
    async fn a_flood_of_cuts_is_one_message_a_second_and_goes_quiet() {
        let n = board();
        let t0 = Instant::now();
        for _ in 0..1000 {
            n.cut(
                Cause::LineTooLong,
                1,
                Some(1 << 20),
                "a line over 1 MiB; cut",
            );
        }
        let first = n.due_at(t0);
        assert_eq!(first.len(), 1);
        assert_eq!(
            (
                first[0].cause.as_str(),
                first[0].count,
                first[0].limit,
                first[0].active
            ),
            ("line-too-long", 1000, Some(1 << 20), true)
        );
        n.cut(
            Cause::LineTooLong,
            1,
            Some(1 << 20),
            "a line over 1 MiB; cut",
        );
        assert!(
            n.due_at(t0 + Duration::from_millis(500)).is_empty(),
            "paced"
        );
        let second = n.due_at(t0 + Duration::from_secs(1));
        assert_eq!(second.len(), 1);
        assert_eq!(second[0].count, 1001);
        assert!(
            n.due_at(t0 + Duration::from_secs(2)).is_empty(),
            "nothing new"
        );
        tokio::time::advance(Duration::from_secs(61)).await;
        let over = n.due_at(Instant::now());
        assert_eq!(over.len(), 1);
        assert!(!over[0].active, "quiet for a minute: over");
        assert_eq!(over[0].count, 1001, "the count stays");
        assert!(!n.is_active(Cause::LineTooLong));
    }

    #[tokio::test(start_paused = true)]
    async fn a_condition_holds_until_cleared_and_its_end_goes_at_once() {
        let n = board();
        n.hold(
            Cause::ContainersOverLimit,
            100,
            Some(1000),
            "1,100 containers, following 1,000",
        );
        let t0 = Instant::now();
        assert_eq!(n.due_at(t0).len(), 1);
        // The same state again is not news.
        n.hold(
            Cause::ContainersOverLimit,
            100,
            Some(1000),
            "1,100 containers, following 1,000",
        );
        tokio::time::advance(Duration::from_secs(3600)).await;
        assert!(
            n.due_at(Instant::now()).is_empty(),
            "a condition does not go quiet"
        );
        assert!(n.is_active(Cause::ContainersOverLimit));
        n.hold(
            Cause::ContainersOverLimit,
            5,
            Some(1000),
            "1,005 containers, following 1,000",
        );
        n.clear(Cause::ContainersOverLimit);
        let end = n.due_at(Instant::now());
        assert_eq!(end.len(), 1);
        assert!(!end[0].active);
        assert_eq!(end[0].count, 0, "over: it affects nothing now");
        // Clearing what is not active says nothing.
        n.clear(Cause::ContainersOverLimit);
        n.clear(Cause::EngineUnreachable);
        assert!(n.due_at(Instant::now() + Duration::from_secs(5)).is_empty());
    }

    #[test]
    fn numbers_for_people() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1100), "1,100");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(bytes(1_500_000_000), "1.5 GB");
        assert_eq!(bytes(52_428_800), "52.4 MB");
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(150_000_000_000), "150 GB");
        assert_eq!(mib(16 << 20), "16 MiB");
        assert_eq!(mib(512 << 10), "512 KiB");
        assert_eq!(mib(1000), "1000 B");
    }
}
