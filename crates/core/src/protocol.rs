//! statscope's own messages on the feed, besides Docker's stats: one typed enum, [`Message`], with
//! its encoding ([`Message::encode`]) and its decoding ([`Message::decode`]). The bridge writes
//! with it, the page reads with it; `docs/protocol.md` describes the same types, field by field:
//! hello, container, event, dropped, heartbeat, and notice (what the bridge cut, refused or did not
//! follow).
//!
//! Every message is one JSON object whose **first key is `"type"`**, a string starting with
//! `statscope.`; it always travels as a whole frame of its own, never inside an array of stats.
//! Fields are camelCase; times are RFC 3339 strings (nanoseconds since the epoch do not fit a JS
//! number); limits are `null`, not `0`, when there are none. A reader ignores fields it does not
//! know (the protocol may grow) and, for a field given twice, keeps the last value; a `statscope.`
//! type it does not know decodes to [`Message::Other`], which a reader ignores.
//!
//! No I/O and no clock: a message's times are what the caller put in it.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Serialize;

use crate::model::{Sample, Timestamp};

/// The prefix of every message type.
pub const TYPE_PREFIX: &str = "statscope.";

/// The start of every message's text: its first key is `"type"`.
const MESSAGE_START: &str = "{\"type\"";

/// One message (see the module docs and `docs/protocol.md`).
#[derive(Clone, Debug, PartialEq)]
pub enum Message {
    /// `statscope.hello`: the first frame on every connection.
    Hello(Hello),
    /// `statscope.container`: a container's name, image and limits.
    Container(ContainerInfo),
    /// `statscope.event`: one container lifecycle event.
    Event(LifecycleEvent),
    /// `statscope.dropped`: this client fell behind; its oldest frames were dropped.
    Dropped(Dropped),
    /// `statscope.heartbeat`: the connection is alive, the host merely quiet.
    Heartbeat,
    /// `statscope.host`: a host (an engine the bridge follows) came, went, or changed.
    Host(HostInfo),
    /// `statscope.samples`: stats of one host, compact ([`Sample`]).
    Samples(Samples),
    /// `statscope.notice`: the bridge cut or refused something, or a limit applies now.
    Notice(Notice),
    /// `statscope.subscribe` (a page to the bridge): what the page shows, so the bridge sends only
    /// that.
    Subscribe(Subscribe),
    /// `statscope.subscribed`: what the bridge sends this page now, of how many.
    Subscribed(Subscribed),
    /// `statscope.fleet`: each host's containers and its busiest, for a page's overview.
    Fleet(Fleet),
    /// A `statscope.` message of a type this reader does not know (a newer bridge): ignored.
    Other(String),
}

/// The version of this protocol: `hello` says it. 2: hosts, compact samples, history.
pub const PROTOCOL_VERSION: u32 = 2;

/// `statscope.hello`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Hello {
    /// `"docker"`, `"demo"` or `"replay"` (of the first host; each host says its own).
    pub source: String,
    /// Where the stats come from, for people.
    pub describe: String,
    /// The bridge's version.
    pub version: String,
    /// [`PROTOCOL_VERSION`] (absent, 0: a bridge before hosts).
    pub protocol: u32,
    /// This run of the bridge: a page that reconnects to the same run asks only for what it missed.
    pub instance: String,
    /// Seconds of history a page gets when it connects.
    pub history_seconds: f64,
    /// The hosts the bridge follows, as they are now.
    pub hosts: Vec<HostInfo>,
}

/// `statscope.host`, and an entry of `hello`'s `hosts`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HostInfo {
    /// Its key (`[A-Za-z0-9_-]`, unique in the bridge), what samples and messages name it by.
    pub host: String,
    /// Its name for people (the engine's own name, or the one given).
    pub name: String,
    /// `"docker"`, `"podman"`, `"demo"` or `"replay"`.
    pub engine: String,
    /// Where it is reached, for people (`unix:///var/run/docker.sock`, `tcp://h:2376 (TLS)`).
    pub describe: String,
    /// `"connecting"`, `"up"`, `"down"`, or `"stale"` (a fleet's host whose agent went quiet: its
    /// containers end after a TTL; `statscope serve --nats`).
    pub state: String,
    /// Why it is down, when it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// `statscope.samples`: one host's samples, in the order they arrived.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Samples {
    /// The host they come from (their keys carry it too).
    pub host: String,
    /// The bridge's sequence number of the last sample here: a page that reconnects to the same
    /// run says the highest it has, and gets only what came after.
    pub seq: u64,
    /// Samples from the bridge's history (sent on connecting), not live.
    pub history: bool,
    pub samples: Vec<Sample>,
}

/// `statscope.subscribe`: what a page shows (its host choice, name filter, top N and pins), so the
/// bridge sends it only those containers' samples and messages ([`crate::select`] says which), each
/// newly shown one with its history. Sent by the page in `/ws?subscribe=` (its text, URL-encoded)
/// when it connects and as a message when it changes. A page that never sends one gets everything.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Subscribe {
    /// The host keys shown; empty: every host.
    pub hosts: Vec<String>,
    /// The name filter ([`crate::select::matches`]); empty: none.
    pub filter: String,
    /// Only the N busiest by `metric` ([`crate::rank`], over every host the bridge
    /// follows); `None`: all that match.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top: Option<u32>,
    /// What `top` ranks by.
    pub metric: crate::metrics::Metric,
    /// Containers (`ID@HOST`) shown whatever the rest says.
    pub pinned: Vec<String>,
    /// Whether the page wants `statscope.fleet`.
    pub fleet: bool,
}

/// The most a [`Subscribe`] may name, and be: what a bridge refuses beyond (a page never needs more).
pub const MAX_SUBSCRIBE_HOSTS: usize = 1024;
pub const MAX_SUBSCRIBE_PINNED: usize = 1024;
pub const MAX_SUBSCRIBE_FILTER_BYTES: usize = 256;

/// `statscope.subscribed`: what the bridge sends a subscribed page now. Sent when it changes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Subscribed {
    /// Containers whose samples this page receives.
    pub shown: u64,
    /// Containers matching its hosts and filter (before its top N and the cap).
    pub matching: u64,
    /// Containers the bridge follows, over every host.
    pub total: u64,
    /// Hosts the bridge follows.
    pub hosts: u64,
    /// The most containers one page is sent (`--max-per-page`).
    pub cap: u64,
    /// The page asked for more than `cap`: it gets the `cap` busiest.
    pub capped: bool,
}

/// `statscope.fleet`: every host's containers and busiest, for a page's overview (about every two
/// seconds, to pages that asked).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Fleet {
    pub hosts: Vec<FleetHost>,
}

/// One host in `statscope.fleet`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FleetHost {
    pub host: String,
    /// Containers the bridge knows on it, and of those, running.
    pub containers: u64,
    pub running: u64,
    /// Its busiest container by CPU ([`crate::rank`]), when it has a running one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub busiest: Option<Busiest>,
}

/// A host's busiest container.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Busiest {
    /// `ID@HOST`.
    pub key: String,
    pub name: String,
    /// CPU % (the docker CLI's scale), its rank.
    pub cpu: f64,
}

/// Which `HostConfig` setting gave a container's CPU limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum CpuLimitFrom {
    NanoCpus,
    CpuQuota,
    CpusetCpus,
}

impl CpuLimitFrom {
    /// The wire spelling (`"NanoCpus"`, …).
    pub fn key(self) -> &'static str {
        match self {
            CpuLimitFrom::NanoCpus => "NanoCpus",
            CpuLimitFrom::CpuQuota => "CpuQuota",
            CpuLimitFrom::CpusetCpus => "CpusetCpus",
        }
    }

    fn from_key(key: &str) -> Option<CpuLimitFrom> {
        [
            CpuLimitFrom::NanoCpus,
            CpuLimitFrom::CpuQuota,
            CpuLimitFrom::CpusetCpus,
        ]
        .into_iter()
        .find(|c| c.key() == key)
    }
}

/// `statscope.container`: what the page needs to know about a container besides its stats.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerInfo {
    /// The host it runs on (`""`: not said).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub host: String,
    /// The full 64-hex ID (as in the stats' `id`).
    pub id: String,
    /// Without Docker's leading `/`.
    pub name: String,
    /// The image as the container was created from it (`Config.Image`).
    pub image: String,
    /// Cores; `None` (`null`) when the container may use every host CPU.
    pub cpu_limit: Option<f64>,
    pub cpu_limit_from: Option<CpuLimitFrom>,
    /// `HostConfig.Memory` when set; else `null`.
    pub memory_limit_bytes: Option<u64>,
    /// Its Compose project (the `com.docker.compose.project` label); `""`: none (not sent).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub project: String,
}

/// The Docker container actions sent as `statscope.event`; any other (`exec_*`, `health_status`,
/// `attach`, `update`…) is not.
pub const LIFECYCLE_ACTIONS: [&str; 10] = [
    "create", "start", "restart", "die", "oom", "kill", "stop", "pause", "unpause", "destroy",
];

/// `statscope.event`: one container lifecycle event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LifecycleEvent {
    /// The host it happened on (`""`: not said).
    pub host: String,
    /// The full 64-hex ID.
    pub id: String,
    pub name: String,
    /// Docker's action (one of [`LIFECYCLE_ACTIONS`] when the bridge sends it).
    pub action: String,
    /// When it happened, on the clock of the stats' `read` times.
    pub time: Timestamp,
    /// `die` only: the process's exit status.
    pub exit_code: Option<i64>,
    /// `kill` only, when Docker says: the signal sent (`"9"`, `"15"`, `"SIGTERM"`…).
    pub signal: Option<String>,
}

/// `statscope.dropped`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Dropped {
    /// Frames dropped this time.
    pub frames: u64,
    /// Frames dropped for this client since it connected.
    pub total: u64,
}

/// `statscope.notice`: what the bridge cut, refused or did not follow, said to the page (the log says
/// it too). The bridge sends the latest notice of a cause when it changes (at most about once a
/// second), and one with `active: false` when the cause is over; a viewer arriving later is sent the
/// active ones.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Notice {
    /// The host it is about (`""`: the bridge itself, such as its connections).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub host: String,
    /// What happened, for programs: a stable kebab-case word (`containers-over-limit`,
    /// `engine-unreachable`…; `docs/protocol.md` lists them). One notice per cause holds at a time.
    pub cause: String,
    /// What happened, for people: `1,100 containers, following 1,000`.
    pub text: String,
    /// How many were cut or refused since the bridge started, or, for a condition (such as
    /// `containers-over-limit`), how many it affects now.
    pub count: u64,
    /// The limit that applied, when there is one.
    pub limit: Option<u64>,
    /// `true` while it holds; `false` says it is over (a page then stops showing it).
    pub active: bool,
}

/// A message that could not be read, said plainly: `statscope.event without time`,
/// `statscope.container: invalid type: string "x", expected f64`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ProtocolError(pub String);

impl Message {
    /// The message's `type`.
    pub fn kind(&self) -> &str {
        match self {
            Message::Hello(_) => "statscope.hello",
            Message::Container(_) => "statscope.container",
            Message::Event(_) => "statscope.event",
            Message::Dropped(_) => "statscope.dropped",
            Message::Heartbeat => "statscope.heartbeat",
            Message::Host(_) => "statscope.host",
            Message::Samples(_) => "statscope.samples",
            Message::Notice(_) => "statscope.notice",
            Message::Subscribe(_) => "statscope.subscribe",
            Message::Subscribed(_) => "statscope.subscribed",
            Message::Fleet(_) => "statscope.fleet",
            Message::Other(kind) => kind,
        }
    }

    /// Does `text` have a message's framing: a JSON object whose first key is `"type"`? (Whether
    /// it is a good message is [`Message::decode`]'s to say.)
    pub fn is_framed(text: &str) -> bool {
        text.trim_start().starts_with(MESSAGE_START)
    }

    /// Reads one message ([`Message::is_framed`] text). `Ok(None)`: the text has a message's
    /// framing but its `type` is not a `statscope.` string (`{"type":"x"}`, `{"type":5}`): not
    /// statscope's, and a reader treats it as something else (a stats object). An `Err`: a
    /// `statscope.` type with a field that cannot be read, or text that is not one JSON object
    /// whose first key is `"type"`; a reader counts it as bad, never as stats. Whitespace around
    /// the text is ignored, as `Stats::from_json` ignores it.
    pub fn decode(text: &str) -> Result<Option<Message>, ProtocolError> {
        let text = text.trim();
        let mut kind = None;
        let mut de = serde_json::Deserializer::from_str(text);
        let result = MessageSeed { kind: &mut kind }
            .deserialize(&mut de)
            .and_then(|m| de.end().map(|()| m));
        match result {
            Ok(m) => Ok(m),
            Err(e) => {
                let what = strip_position(&e.to_string()).to_string();
                Err(ProtocolError(match kind {
                    Some(kind) => format!("{kind}: {what}"),
                    None => what,
                }))
            }
        }
        .and_then(|m| m.map(Message::checked).transpose())
    }

    /// The message's text: one line, `{"type":"statscope.…",…}`.
    pub fn encode(&self) -> String {
        #[derive(Serialize)]
        struct Tagged<'a, T: Serialize> {
            #[serde(rename = "type")]
            kind: &'a str,
            #[serde(flatten)]
            body: &'a T,
        }
        fn tagged<T: Serialize>(kind: &str, body: &T) -> String {
            // Plain structs of strings and numbers: serializing cannot fail.
            serde_json::to_string(&Tagged { kind, body }).unwrap_or_default()
        }
        #[derive(Serialize)]
        struct Nothing {}
        match self {
            Message::Hello(h) => tagged(self.kind(), h),
            Message::Container(c) => tagged(self.kind(), c),
            Message::Event(e) => tagged(self.kind(), &EventWire::of(e)),
            Message::Dropped(d) => tagged(self.kind(), d),
            Message::Host(h) => tagged(self.kind(), h),
            Message::Samples(m) => {
                let encoded: Vec<String> = m.samples.iter().map(Sample::to_json).collect();
                samples_frame(
                    &m.host,
                    m.seq,
                    m.history,
                    encoded.iter().map(String::as_str),
                )
            }
            Message::Notice(n) => tagged(self.kind(), n),
            Message::Subscribe(m) => tagged(self.kind(), m),
            Message::Subscribed(m) => tagged(self.kind(), m),
            Message::Fleet(m) => tagged(self.kind(), m),
            Message::Heartbeat | Message::Other(_) => tagged(self.kind(), &Nothing {}),
        }
    }

    /// The fields every reader needs, checked once.
    fn checked(self) -> Result<Message, ProtocolError> {
        let kind = self.kind().to_string();
        let missing = |what: &str| ProtocolError(format!("{kind} without {what}"));
        match &self {
            Message::Container(c) if c.id.is_empty() => Err(missing("id")),
            Message::Event(e) if e.id.is_empty() => Err(missing("id")),
            Message::Host(h) if h.host.is_empty() => Err(missing("host")),
            Message::Notice(n) if n.cause.is_empty() => Err(missing("cause")),
            Message::Subscribe(m) if m.hosts.len() > MAX_SUBSCRIBE_HOSTS => Err(ProtocolError(
                format!("{kind}: more than {MAX_SUBSCRIBE_HOSTS} hosts"),
            )),
            Message::Subscribe(m) if m.pinned.len() > MAX_SUBSCRIBE_PINNED => Err(ProtocolError(
                format!("{kind}: more than {MAX_SUBSCRIBE_PINNED} pinned containers"),
            )),
            Message::Subscribe(m) if m.filter.len() > MAX_SUBSCRIBE_FILTER_BYTES => {
                Err(ProtocolError(format!(
                    "{kind}: a filter over {MAX_SUBSCRIBE_FILTER_BYTES} bytes"
                )))
            }
            _ => Ok(self),
        }
    }
}

/// The text of a `statscope.samples` message whose samples are already encoded
/// ([`Sample::to_json`]): what [`Message::encode`] writes for it, without decoding them (the bridge
/// keeps samples encoded).
pub fn samples_frame<'a>(
    host: &str,
    seq: u64,
    history: bool,
    encoded: impl IntoIterator<Item = &'a str>,
) -> String {
    let mut out = String::with_capacity(96);
    out.push_str("{\"type\":\"statscope.samples\",\"host\":");
    out.push_str(&serde_json::to_string(host).unwrap_or_default());
    out.push_str(",\"seq\":");
    out.push_str(&seq.to_string());
    if history {
        out.push_str(",\"history\":true");
    }
    out.push_str(",\"samples\":[");
    for (i, s) in encoded.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(s);
    }
    out.push_str("]}");
    out
}

/// A host's key: `name` with every character outside `[A-Za-z0-9_-]` replaced by `-` (so it can be
/// part of a container's key, `id@host`, a URL parameter and a NATS subject), at most 64 bytes, and
/// `host` when nothing is left.
pub fn host_key(name: &str) -> String {
    let key: String = name
        .chars()
        .map(|c| {
            // Not `.`: it separates a NATS subject's tokens.
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .take(64)
        .collect();
    if key.is_empty() {
        "host".to_string()
    } else {
        key
    }
}

/// `statscope.event` as it is written: the time in RFC 3339 with nine fraction digits.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EventWire<'a> {
    #[serde(skip_serializing_if = "str::is_empty")]
    host: &'a str,
    id: &'a str,
    name: &'a str,
    action: &'a str,
    time: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    exit_code: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    signal: Option<&'a str>,
}

impl<'a> EventWire<'a> {
    fn of(e: &'a LifecycleEvent) -> Self {
        EventWire {
            host: &e.host,
            id: &e.id,
            name: &e.name,
            action: &e.action,
            time: rfc3339_nanos(e.time.unix_ns()),
            exit_code: e.exit_code,
            signal: e.signal.as_deref(),
        }
    }
}

/// RFC 3339 in UTC with exactly nine fraction digits: `2026-11-24T05:00:00.123456789Z`.
pub fn rfc3339_nanos(unix_ns: i128) -> String {
    let secs = unix_ns.div_euclid(1_000_000_000);
    let nanos = unix_ns.rem_euclid(1_000_000_000);
    // Whole seconds have no fraction, so this is `YYYY-MM-DDTHH:MM:SSZ`.
    let whole = Timestamp::from_unix_ns(secs * 1_000_000_000).to_rfc3339();
    match whole.strip_suffix('Z') {
        Some(date_time) => format!("{date_time}.{nanos:09}Z"),
        None => whole,
    }
}

/// `text` without serde_json's trailing ` at line L column C`.
fn strip_position(mut text: &str) -> &str {
    while let Some(i) = text.rfind(" at line ") {
        let tail = &text[i + " at line ".len()..];
        let Some((line, column)) = tail.split_once(" column ") else {
            break;
        };
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !(digits(line) && digits(column)) {
            break;
        }
        text = &text[..i];
    }
    text
}

/// A host as `hello` lists it and `statscope.host` says it (every field optional on the wire).
#[derive(serde::Deserialize)]
struct HostWire {
    host: Option<String>,
    name: Option<String>,
    engine: Option<String>,
    describe: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

impl HostWire {
    fn into_info(self) -> HostInfo {
        let host = self.host.unwrap_or_default();
        HostInfo {
            name: self.name.unwrap_or_else(|| host.clone()),
            host,
            engine: self.engine.unwrap_or_default(),
            describe: self.describe.unwrap_or_default(),
            state: self.state.unwrap_or_default(),
            error: self.error,
        }
    }
}

/// Reads a message, leaving its `type` in `kind` as soon as it is known (for the error's prefix).
struct MessageSeed<'k> {
    kind: &'k mut Option<String>,
}

impl<'de> DeserializeSeed<'de> for MessageSeed<'_> {
    type Value = Option<Message>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

/// Every field any message has (by hand rather than derived: a derive refuses a key given twice,
/// and an internally tagged enum buffers the whole object; this reads each value once, in place).
#[derive(Default)]
struct Fields {
    source: Option<String>,
    describe: Option<String>,
    version: Option<String>,
    protocol: Option<u32>,
    instance: Option<String>,
    history_seconds: Option<f64>,
    hosts: Option<Vec<HostWire>>,
    host: Option<String>,
    engine: Option<String>,
    state: Option<String>,
    error: Option<String>,
    seq: Option<u64>,
    history: Option<bool>,
    samples: Option<Vec<Sample>>,
    id: Option<String>,
    name: Option<String>,
    image: Option<String>,
    cpu_limit: Option<f64>,
    cpu_limit_from: Option<String>,
    memory_limit_bytes: Option<u64>,
    project: Option<String>,
    action: Option<String>,
    time: Option<String>,
    exit_code: Option<i64>,
    signal: Option<String>,
    frames: Option<u64>,
    total: Option<u64>,
    cause: Option<String>,
    text: Option<String>,
    count: Option<u64>,
    limit: Option<u64>,
    active: Option<bool>,
    host_keys: Option<Vec<String>>,
    host_count: Option<u64>,
    fleet_hosts: Option<Vec<FleetHostWire>>,
    filter: Option<String>,
    top: Option<u32>,
    metric: Option<crate::metrics::Metric>,
    pinned: Option<Vec<String>>,
    fleet: Option<bool>,
    shown: Option<u64>,
    matching: Option<u64>,
    cap: Option<u64>,
    capped: Option<bool>,
}

/// An entry of `statscope.fleet`'s `hosts`, as read.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct FleetHostWire {
    host: String,
    #[serde(default)]
    containers: u64,
    #[serde(default)]
    running: u64,
    #[serde(default)]
    busiest: Option<BusiestWire>,
}

#[derive(serde::Deserialize)]
struct BusiestWire {
    key: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    cpu: f64,
}

impl<'de> Visitor<'de> for MessageSeed<'_> {
    type Value = Option<Message>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a statscope message: an object whose first key is \"type\"")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        match map.next_key::<String>()?.as_deref() {
            Some("type") => {}
            _ => return Err(de::Error::custom("the first key is not \"type\"")),
        }
        // The value as JSON text, checked as the stats reader checks a key it ignores (numbers
        // are not converted: `1e999` is JSON too), then read as a string if it is one.
        let raw = map.next_value::<&'de serde_json::value::RawValue>()?;
        let kind = serde_json::from_str::<String>(raw.get()).unwrap_or_default();
        if !kind.starts_with(TYPE_PREFIX) {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            return Ok(None);
        }
        *self.kind = Some(kind.clone());
        let mut f = Fields::default();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "source" => f.source = map.next_value()?,
                "describe" => f.describe = map.next_value()?,
                "version" => f.version = map.next_value()?,
                "protocol" => f.protocol = map.next_value()?,
                "instance" => f.instance = map.next_value()?,
                "historySeconds" => f.history_seconds = map.next_value()?,
                // The same key, a different list in each message that has one.
                "hosts" => match kind.as_str() {
                    "statscope.hello" => f.hosts = map.next_value()?,
                    "statscope.subscribe" => f.host_keys = map.next_value()?,
                    "statscope.fleet" => f.fleet_hosts = map.next_value()?,
                    "statscope.subscribed" => f.host_count = map.next_value()?,
                    _ => {
                        map.next_value::<IgnoredAny>()?;
                    }
                },
                "filter" => f.filter = map.next_value()?,
                "top" => f.top = map.next_value()?,
                "metric" => f.metric = map.next_value()?,
                "pinned" => f.pinned = map.next_value()?,
                "fleet" => f.fleet = map.next_value()?,
                "shown" => f.shown = map.next_value()?,
                "matching" => f.matching = map.next_value()?,
                "cap" => f.cap = map.next_value()?,
                "capped" => f.capped = map.next_value()?,
                "host" => f.host = map.next_value()?,
                "engine" => f.engine = map.next_value()?,
                "state" => f.state = map.next_value()?,
                "error" => f.error = map.next_value()?,
                "seq" => f.seq = map.next_value()?,
                "history" => f.history = map.next_value()?,
                "samples" => f.samples = map.next_value()?,
                "id" => f.id = map.next_value()?,
                "name" => f.name = map.next_value()?,
                "image" => f.image = map.next_value()?,
                "cpuLimit" => f.cpu_limit = map.next_value()?,
                "cpuLimitFrom" => f.cpu_limit_from = map.next_value()?,
                "memoryLimitBytes" => f.memory_limit_bytes = map.next_value()?,
                "project" => f.project = map.next_value()?,
                "action" => f.action = map.next_value()?,
                "time" => f.time = map.next_value()?,
                "exitCode" => f.exit_code = map.next_value()?,
                "signal" => f.signal = map.next_value()?,
                "frames" => f.frames = map.next_value()?,
                "total" => f.total = map.next_value()?,
                "cause" => f.cause = map.next_value()?,
                "text" => f.text = map.next_value()?,
                "count" => f.count = map.next_value()?,
                "limit" => f.limit = map.next_value()?,
                "active" => f.active = map.next_value()?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let without = |what: &str| de::Error::custom(format!("without {what}"));
        Ok(Some(match kind.as_str() {
            "statscope.hello" => Message::Hello(Hello {
                source: f.source.unwrap_or_default(),
                describe: f.describe.unwrap_or_default(),
                version: f.version.unwrap_or_default(),
                protocol: f.protocol.unwrap_or(0),
                instance: f.instance.unwrap_or_default(),
                history_seconds: f.history_seconds.unwrap_or(0.0),
                hosts: f
                    .hosts
                    .unwrap_or_default()
                    .into_iter()
                    .map(HostWire::into_info)
                    .collect(),
            }),
            "statscope.host" => Message::Host(
                HostWire {
                    host: f.host,
                    name: f.name,
                    engine: f.engine,
                    describe: f.describe,
                    state: f.state,
                    error: f.error,
                }
                .into_info(),
            ),
            "statscope.samples" => Message::Samples(Samples {
                host: f.host.unwrap_or_default(),
                seq: f.seq.unwrap_or(0),
                history: f.history.unwrap_or(false),
                samples: f.samples.unwrap_or_default(),
            }),
            "statscope.container" => Message::Container(ContainerInfo {
                host: f.host.unwrap_or_default(),
                id: f.id.unwrap_or_default(),
                name: f.name.unwrap_or_default(),
                image: f.image.unwrap_or_default(),
                cpu_limit: f.cpu_limit.filter(|v| v.is_finite() && *v > 0.0),
                cpu_limit_from: f.cpu_limit_from.as_deref().and_then(CpuLimitFrom::from_key),
                memory_limit_bytes: f.memory_limit_bytes.filter(|&m| m > 0),
                project: f.project.unwrap_or_default(),
            }),
            "statscope.event" => {
                let time = f.time.ok_or_else(|| without("time"))?;
                let time = Timestamp::parse_rfc3339(&time).map_err(de::Error::custom)?;
                // An offset can move a time out of the years RFC 3339 spells in UTC (0000 to
                // 9999), where it could not be written again.
                if Timestamp::parse_rfc3339(&rfc3339_nanos(time.unix_ns())).is_err() {
                    return Err(de::Error::custom(
                        "time out of range (in UTC, years 0000 to 9999)",
                    ));
                }
                Message::Event(LifecycleEvent {
                    host: f.host.unwrap_or_default(),
                    id: f.id.unwrap_or_default(),
                    name: f.name.unwrap_or_default(),
                    action: f.action.ok_or_else(|| without("action"))?,
                    time,
                    exit_code: f.exit_code,
                    signal: f.signal,
                })
            }
            "statscope.dropped" => Message::Dropped(Dropped {
                frames: f.frames.unwrap_or(0),
                total: f.total.unwrap_or(0),
            }),
            "statscope.heartbeat" => Message::Heartbeat,
            "statscope.notice" => Message::Notice(Notice {
                host: f.host.clone().unwrap_or_default(),
                cause: f.cause.unwrap_or_default(),
                text: f.text.unwrap_or_default(),
                count: f.count.unwrap_or(0),
                limit: f.limit,
                // A notice holds unless it says it is over.
                active: f.active.unwrap_or(true),
            }),
            "statscope.subscribe" => Message::Subscribe(Subscribe {
                hosts: f.host_keys.unwrap_or_default(),
                filter: f.filter.unwrap_or_default(),
                top: f.top.filter(|&n| n > 0),
                metric: f.metric.unwrap_or_default(),
                pinned: f.pinned.unwrap_or_default(),
                fleet: f.fleet.unwrap_or(false),
            }),
            "statscope.subscribed" => Message::Subscribed(Subscribed {
                shown: f.shown.unwrap_or(0),
                matching: f.matching.unwrap_or(0),
                total: f.total.unwrap_or(0),
                hosts: f.host_count.unwrap_or(0),
                cap: f.cap.unwrap_or(0),
                capped: f.capped.unwrap_or(false),
            }),
            "statscope.fleet" => Message::Fleet(Fleet {
                hosts: f
                    .fleet_hosts
                    .unwrap_or_default()
                    .into_iter()
                    .map(|h| FleetHost {
                        host: h.host,
                        containers: h.containers,
                        running: h.running,
                        busiest: h.busiest.map(|b| Busiest {
                            key: b.key,
                            name: b.name,
                            cpu: b.cpu,
                        }),
                    })
                    .collect(),
            }),
            _ => Message::Other(kind),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "696c0f26ec72ced6d0b5ccb099e8e345c796b64bfff9a4b19aae57353eeabd00";

    fn decoded(text: &str) -> Message {
        Message::decode(text)
            .unwrap_or_else(|e| panic!("{text}: {e}"))
            .unwrap_or_else(|| panic!("{text}: not statscope's"))
    }

    #[test]
    fn a_subscription_past_its_bounds_is_refused() {
        let many = |n: usize| {
            (0..n)
                .map(|i| format!("\"h{i}\""))
                .collect::<Vec<_>>()
                .join(",")
        };
        for (text, why) in [
            (
                format!(
                    r#"{{"type":"statscope.subscribe","hosts":[{}]}}"#,
                    many(1025)
                ),
                "more than 1024 hosts",
            ),
            (
                format!(
                    r#"{{"type":"statscope.subscribe","pinned":[{}]}}"#,
                    many(1025)
                ),
                "more than 1024 pinned",
            ),
            (
                format!(
                    r#"{{"type":"statscope.subscribe","filter":"{}"}}"#,
                    "x".repeat(257)
                ),
                "a filter over 256 bytes",
            ),
            (
                r#"{"type":"statscope.subscribe","metric":"heat"}"#.to_string(),
                "heat",
            ),
        ] {
            let e = Message::decode(&text).expect_err(why).to_string();
            assert!(e.contains(why), "{e}");
        }
        // A top of 0 is no top.
        let Message::Subscribe(s) = decoded(r#"{"type":"statscope.subscribe","top":0}"#) else {
            panic!("a subscription");
        };
        assert_eq!(s.top, None);
    }

    #[test]
    fn every_message_round_trips() {
        let time = Timestamp::parse_rfc3339("2026-11-24T05:00:00.123456789Z").expect("time");
        for m in [
            Message::Subscribe(Subscribe {
                hosts: vec!["edge-1".into(), "edge-2".into()],
                filter: "web".into(),
                top: Some(50),
                metric: crate::metrics::Metric::Cpu,
                pinned: vec![format!("{ID}@edge-1")],
                fleet: true,
            }),
            Message::Subscribe(Subscribe::default()),
            Message::Subscribed(Subscribed {
                shown: 50,
                matching: 812,
                total: 10_000,
                hosts: 100,
                cap: 500,
                capped: false,
            }),
            Message::Fleet(Fleet {
                hosts: vec![
                    FleetHost {
                        host: "edge-1".into(),
                        containers: 100,
                        running: 98,
                        busiest: Some(Busiest {
                            key: format!("{ID}@edge-1"),
                            name: "web".into(),
                            cpu: 181.5,
                        }),
                    },
                    FleetHost {
                        host: "edge-2".into(),
                        ..FleetHost::default()
                    },
                ],
            }),
            Message::Hello(Hello {
                source: "docker".into(),
                describe: "the Docker Engine at unix:///var/run/docker.sock".into(),
                version: "0.1.0".into(),
                protocol: PROTOCOL_VERSION,
                instance: "4f2a".into(),
                history_seconds: 300.0,
                hosts: vec![HostInfo {
                    host: "web-1".into(),
                    name: "web 1".into(),
                    engine: "docker".into(),
                    describe: "unix:///var/run/docker.sock".into(),
                    state: "up".into(),
                    error: None,
                }],
            }),
            Message::Host(HostInfo {
                host: "db".into(),
                name: "db".into(),
                engine: "podman".into(),
                describe: "tcp://10.0.0.2:2376 (TLS)".into(),
                state: "down".into(),
                error: Some("connection refused".into()),
            }),
            Message::Samples(Samples {
                host: "db".into(),
                seq: 42,
                history: true,
                samples: vec![
                    Sample {
                        key: format!("{ID}@db"),
                        name: "web".into(),
                        read: Timestamp::from_unix_ns(1_700_000_000_000_000_000),
                        cpu_total: 12,
                        ..Sample::default()
                    },
                    Sample::default(),
                ],
            }),
            Message::Samples(Samples::default()),
            Message::Container(ContainerInfo {
                host: "db".into(),
                id: ID.into(),
                name: "web".into(),
                image: "busybox:latest".into(),
                cpu_limit: Some(0.5),
                cpu_limit_from: Some(CpuLimitFrom::NanoCpus),
                memory_limit_bytes: Some(67_108_864),
                project: "shop".into(),
            }),
            Message::Container(ContainerInfo {
                id: ID.into(),
                ..ContainerInfo::default()
            }),
            Message::Event(LifecycleEvent {
                host: String::new(),
                id: ID.into(),
                name: "web".into(),
                action: "die".into(),
                time,
                exit_code: Some(137),
                signal: None,
            }),
            Message::Event(LifecycleEvent {
                host: "db".into(),
                id: ID.into(),
                name: "web".into(),
                action: "kill".into(),
                time,
                exit_code: None,
                signal: Some("15".into()),
            }),
            Message::Dropped(Dropped {
                frames: 12,
                total: 40,
            }),
            Message::Heartbeat,
            Message::Notice(Notice {
                cause: "containers-over-limit".into(),
                text: "1,100 containers, following 1,000".into(),
                count: 100,
                limit: Some(1000),
                active: true,
                host: "edge-1".into(),
            }),
            Message::Notice(Notice {
                cause: "engine-unreachable".into(),
                active: false,
                ..Notice::default()
            }),
        ] {
            let text = m.encode();
            assert!(Message::is_framed(&text), "{text}");
            assert!(!text.contains('\n'), "{text}");
            assert_eq!(decoded(&text), m, "{text}");
        }
    }

    #[test]
    fn the_documented_examples_are_what_is_written() {
        let time = Timestamp::parse_rfc3339("2026-11-24T05:00:00.123456789Z").expect("time");
        let die = Message::Event(LifecycleEvent {
            host: String::new(),
            id: ID.into(),
            name: "web".into(),
            action: "die".into(),
            time,
            exit_code: Some(137),
            signal: None,
        });
        assert_eq!(
            die.encode(),
            format!(
                r#"{{"type":"statscope.event","id":"{ID}","name":"web","action":"die","time":"2026-11-24T05:00:00.123456789Z","exitCode":137}}"#
            )
        );
        assert_eq!(
            Message::Heartbeat.encode(),
            r#"{"type":"statscope.heartbeat"}"#
        );
        assert_eq!(
            Message::Dropped(Dropped {
                frames: 12,
                total: 40
            })
            .encode(),
            r#"{"type":"statscope.dropped","frames":12,"total":40}"#
        );
    }

    #[test]
    fn what_is_not_statscope_s_and_what_is_bad() {
        for not_ours in [
            r#"{"type":"something.else"}"#,
            r#"{"type":"x","id":5}"#,
            r#"{"type":5}"#,
            r#"{"type":null,"id":"a"}"#,
            r#"{"type":["statscope.hello"],"id":"a"}"#,
            r#"{"type":{"a":[1,{}]}}"#,
            r#"{"type":1e999,"id":"a"}"#,
            r#"{"type":"\ud800"}"#,
            r#"{"type":"Statscope.hello"}"#,
        ] {
            assert_eq!(Message::decode(not_ours), Ok(None), "{not_ours}");
        }
        assert!(Message::is_framed(r#"  {"type":5}"#));
        assert!(!Message::is_framed(
            r#"{"id":"x","type":"statscope.event"}"#
        ));
        for (bad, why) in [
            (r#"{"type":5"#, "EOF while parsing"),
            (r#"{"type":"x","id":}"#, "expected value"),
            (
                r#"{"id":"x","type":"statscope.event"}"#,
                "the first key is not \"type\"",
            ),
            (
                r#"{"type":"statscope.event","id":"x","action":"die"}"#,
                "statscope.event: without time",
            ),
            (
                r#"{"type":"statscope.event","id":"x","time":"2026-11-24T05:00:00Z"}"#,
                "statscope.event: without action",
            ),
            (
                r#"{"type":"statscope.event","action":"die","time":"2026-11-24T05:00:00Z"}"#,
                "statscope.event without id",
            ),
            (
                r#"{"type":"statscope.container","cpuLimit":1}"#,
                "statscope.container without id",
            ),
            (
                r#"{"type":"statscope.container","id":"x","cpuLimit":"x"}"#,
                r#"statscope.container: invalid type: string "x", expected f64"#,
            ),
            (
                r#"{"type":"statscope.event","id":"x","action":"die","time":"yesterday"}"#,
                "statscope.event: ",
            ),
            (
                r#"{"type":"statscope.notice","text":"x"}"#,
                "statscope.notice without cause",
            ),
            (
                r#"{"type":"statscope.notice","cause":"x","active":"yes"}"#,
                "statscope.notice: invalid type: string \"yes\", expected a boolean",
            ),
            (
                r#"{"type":"statscope.hello"} x"#,
                "statscope.hello: trailing characters",
            ),
            // Fuzzing (issue 19): an offset moved these out of what can be written back.
            (
                r#"{"type":"statscope.event","id":"a","action":"die","time":"0000-01-01T00:00:00+00:01"}"#,
                "statscope.event: time out of range",
            ),
            (
                r#"{"type":"statscope.event","id":"a","action":"die","time":"9999-12-31T23:59:59-00:01"}"#,
                "statscope.event: time out of range",
            ),
        ] {
            let e = Message::decode(bad).expect_err(bad);
            assert!(e.0.starts_with(why), "{bad}: {e}");
            assert!(!e.0.contains(" at line "), "{bad}: {e}");
        }
        assert_eq!(
            decoded(r#"{"type":"statscope.future","anything":[1]}"#),
            Message::Other("statscope.future".into())
        );
        // Whitespace around a message is ignored, as `Stats::from_json` ignores it around stats.
        let spaced = "\u{a0} {\"type\":\"statscope.heartbeat\"}\r\n";
        assert!(Message::is_framed(spaced));
        assert_eq!(decoded(spaced), Message::Heartbeat);
    }

    #[test]
    fn unknown_fields_are_ignored_and_a_repeated_field_keeps_its_last_value() {
        let m = decoded(&format!(
            r#"{{"type":"statscope.container","id":"x","cpuLimit":2,"future":[null],"id":"{ID}","cpuLimit":0.5,"cpuLimitFrom":"Quota?"}}"#
        ));
        let Message::Container(c) = m else {
            panic!("{m:?}")
        };
        assert_eq!(
            (c.id.as_str(), c.cpu_limit, c.cpu_limit_from),
            (ID, Some(0.5), None)
        );
    }

    #[test]
    fn a_samples_frame_of_encoded_samples_is_what_encode_writes() {
        let m = Samples {
            host: "h\"1".into(),
            seq: 7,
            history: false,
            samples: vec![Sample {
                key: "a@h".into(),
                pids: 3,
                ..Sample::default()
            }],
        };
        let encoded: Vec<String> = m.samples.iter().map(Sample::to_json).collect();
        assert_eq!(
            samples_frame(
                &m.host,
                m.seq,
                m.history,
                encoded.iter().map(String::as_str)
            ),
            Message::Samples(m.clone()).encode()
        );
        assert_eq!(
            decoded(&Message::Samples(m.clone()).encode()),
            Message::Samples(m)
        );
        assert!(Message::decode(r#"{"type":"statscope.samples","samples":[[1]]}"#).is_err());
        assert!(Message::decode(r#"{"type":"statscope.host","state":"up"}"#).is_err());
    }

    #[test]
    fn a_notice_holds_unless_it_says_it_is_over() {
        let Message::Notice(n) = decoded(r#"{"type":"statscope.notice","cause":"x"}"#) else {
            panic!("a notice")
        };
        assert_eq!(
            (n.active, n.count, n.limit, n.text.as_str()),
            (true, 0, None, "")
        );
        assert_eq!(
            Message::Notice(Notice {
                cause: "x".into(),
                ..Notice::default()
            })
            .encode(),
            r#"{"type":"statscope.notice","cause":"x","text":"","count":0,"limit":null,"active":false}"#
        );
    }

    #[test]
    fn times_are_rfc3339_with_nine_digits() {
        assert_eq!(rfc3339_nanos(0), "1970-01-01T00:00:00.000000000Z");
        assert_eq!(
            rfc3339_nanos(1_700_000_000_000_000_001),
            "2023-11-14T22:13:20.000000001Z"
        );
        assert_eq!(rfc3339_nanos(-1), "1969-12-31T23:59:59.999999999Z");
    }
}
