//! The check behind the `protocol` fuzz target: statscope's one wire protocol
//! (`statscope::protocol`, `crates/core/src/protocol.rs`) decoding every message kind that travels
//! from the bridge to a page, the compact [`Sample`] arrays of `statscope.samples`
//! (`crates/core/src/model/sample.rs`), and the page's intake of the same frames
//! (`src/dashboard/feed.rs`, through [`DashboardCore`]). Shared by the fuzz target
//! (`fuzz/fuzz_targets/protocol.rs`) and the standing tests (`tests/fuzz_checks.rs` over
//! [`seeds`] and inputs generated from them, `tests/fuzz_regressions.rs` over every saved input),
//! which include this file with `#[path]` next to `checks.rs`.
//!
//! Input: frames separated by `\n` (read lossily when not UTF-8); an empty line is an animation
//! frame's tick (the page flushes its queue into the engine). For every frame:
//!
//! - `Message::decode` does not panic; an error has a message, without serde's position, and no
//!   longer than the frame plus a little (it may quote the frame, never grow it);
//! - framing: `Message::is_framed` is the harness's own reading of the framing (`checks::kind`),
//!   and a text that is not framed never decodes to a message the page would act on;
//! - every decoded message holds what the module promises (its `type`, the fields it requires,
//!   limits that are `None` rather than 0), **round-trips** (`decode(encode(m)) == m`, the text one
//!   line and framed, and encoding what was decoded from it gives the same text), a
//!   `statscope.samples` is exactly `samples_frame` of its encoded samples, and each [`Sample`]
//!   round-trips through its own array form;
//! - **memory**: what a message holds in memory is linear in the frame's length (at most
//!   [`MAX_BYTES_PER_INPUT_BYTE`] bytes per byte, plus [`SLACK_BYTES`]);
//! - **the page's intake agrees**: the frame moves the counters and state exactly as the module's
//!   decision says (a message acts as its kind says and is never read as stats; a bad message is
//!   one malformed frame; anything else is read as stats), the hosts, notices, container infos and
//!   events the page keeps stay within their bounds, and the resume token follows `hello` and the
//!   highest `seq`;
//! - at each tick the engine, fed the decoded samples as they are (any counters, any times), passes
//!   the engine checks (`checks::check_engine_state`: finite, non-negative rates; bounded, ordered
//!   rings).
//!
//! Page → bridge messages (a page saying what it shows) do not exist on this branch: when the
//! protocol module has them, their decoding is to be checked here too, the same way (see
//! RELIABILITY.md, "Fuzzing": what is not fuzzed yet).

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::Path;

use statscope::dashboard::{DashboardCore, Options, MAX_FRAME_BYTES};
use statscope::model::Sample;
use statscope::protocol::{
    samples_frame, Busiest, ContainerInfo, Dropped, Fleet, FleetHost, Hello, HostInfo,
    LifecycleEvent, Message, Notice, Samples, Subscribe, Subscribed, MAX_SUBSCRIBE_FILTER_BYTES,
    MAX_SUBSCRIBE_HOSTS, MAX_SUBSCRIBE_PINNED, PROTOCOL_VERSION,
};
use statscope::{Stats, Timestamp};

use crate::checks::{check_engine_state, check_point, kind, Kind};

/// What a decoded message may hold in memory per byte of its frame. The most a byte buys is in
/// `hello`'s `hosts`: `{},` (3 bytes) is a whole host of six strings, ~150 bytes, in a vector that
/// may have twice the room it uses.
pub const MAX_BYTES_PER_INPUT_BYTE: usize = 128;
/// ... plus this much for the message itself.
pub const SLACK_BYTES: usize = 4096;

/// The hosts, notices, infos and events the page keeps at most (`src/dashboard/feed.rs`,
/// `src/lifecycle.rs`).
const MAX_HOSTS: usize = 4096;
const MAX_NOTICES: usize = 64;
const MAX_EVENTS: usize = 2048;

fn text(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(bytes)
}

/// The bytes a message holds on the heap (strings and vectors by their capacity).
pub fn heap_bytes(m: &Message) -> usize {
    fn host(h: &HostInfo) -> usize {
        h.host.capacity()
            + h.name.capacity()
            + h.engine.capacity()
            + h.describe.capacity()
            + h.state.capacity()
            + h.error.as_ref().map_or(0, String::capacity)
    }
    match m {
        Message::Hello(h) => {
            h.source.capacity()
                + h.describe.capacity()
                + h.version.capacity()
                + h.instance.capacity()
                + h.hosts.capacity() * std::mem::size_of::<HostInfo>()
                + h.hosts.iter().map(host).sum::<usize>()
        }
        Message::Host(h) => host(h),
        Message::Samples(s) => {
            s.host.capacity()
                + s.samples.capacity() * std::mem::size_of::<Sample>()
                + s.samples
                    .iter()
                    .map(|s| s.key.capacity() + s.name.capacity())
                    .sum::<usize>()
        }
        Message::Container(c) => {
            c.host.capacity() + c.id.capacity() + c.name.capacity() + c.image.capacity()
        }
        Message::Event(e) => {
            e.host.capacity()
                + e.id.capacity()
                + e.name.capacity()
                + e.action.capacity()
                + e.signal.as_ref().map_or(0, String::capacity)
        }
        Message::Notice(n) => n.host.capacity() + n.cause.capacity() + n.text.capacity(),
        Message::Subscribe(s) => {
            s.hosts.capacity() * std::mem::size_of::<String>()
                + s.hosts.iter().map(String::capacity).sum::<usize>()
                + s.filter.capacity()
                + s.pinned.capacity() * std::mem::size_of::<String>()
                + s.pinned.iter().map(String::capacity).sum::<usize>()
        }
        Message::Fleet(f) => {
            f.hosts.capacity() * std::mem::size_of::<FleetHost>()
                + f.hosts
                    .iter()
                    .map(|h| {
                        h.host.capacity()
                            + h.busiest
                                .as_ref()
                                .map_or(0, |b| b.key.capacity() + b.name.capacity())
                    })
                    .sum::<usize>()
        }
        Message::Other(kind) => kind.capacity(),
        Message::Dropped(_) | Message::Heartbeat | Message::Subscribed(_) => 0,
    }
}

/// What the module promises of a message it decoded.
pub fn check_message_fields(m: &Message) {
    assert!(m.kind().starts_with("statscope."), "decoded {m:?}");
    match m {
        Message::Container(c) => {
            assert!(!c.id.is_empty(), "a container message without id");
            if let Some(cpu) = c.cpu_limit {
                assert!(cpu.is_finite() && cpu > 0.0, "cpuLimit {cpu}");
            }
            assert!(c.memory_limit_bytes != Some(0), "a memory limit of 0");
        }
        Message::Event(e) => assert!(!e.id.is_empty(), "an event without id"),
        Message::Host(h) => assert!(!h.host.is_empty(), "a host message without host"),
        Message::Notice(n) => assert!(!n.cause.is_empty(), "a notice without cause"),
        Message::Hello(h) => assert!(!h.history_seconds.is_nan(), "historySeconds NaN"),
        Message::Other(kind) => assert!(
            ![
                "statscope.hello",
                "statscope.host",
                "statscope.samples",
                "statscope.container",
                "statscope.event",
                "statscope.dropped",
                "statscope.heartbeat",
                "statscope.notice",
                "statscope.subscribe",
                "statscope.subscribed",
                "statscope.fleet",
            ]
            .contains(&kind.as_str()),
            "a known type read as another: {kind}"
        ),
        Message::Subscribe(s) => {
            assert!(
                s.hosts.len() <= MAX_SUBSCRIBE_HOSTS,
                "{} hosts",
                s.hosts.len()
            );
            assert!(
                s.pinned.len() <= MAX_SUBSCRIBE_PINNED,
                "{} pinned",
                s.pinned.len()
            );
            assert!(
                s.filter.len() <= MAX_SUBSCRIBE_FILTER_BYTES,
                "a filter of {} bytes",
                s.filter.len()
            );
        }
        Message::Fleet(f) => {
            for b in f.hosts.iter().filter_map(|h| h.busiest.as_ref()) {
                assert!(b.cpu.is_finite(), "busiest cpu {}", b.cpu);
            }
        }
        Message::Samples(_) | Message::Dropped(_) | Message::Heartbeat | Message::Subscribed(_) => {
        }
    }
}

/// `decode(encode(m)) == m`, the text is one framed line, and it is what encoding gives again.
pub fn check_round_trip(m: &Message) {
    let text = m.encode();
    assert!(
        Message::is_framed(&text),
        "an encoded message is not framed: {text}"
    );
    assert!(
        !text.contains(['\n', '\r']),
        "an encoded message is not one line: {text:?}"
    );
    match Message::decode(&text) {
        Ok(Some(again)) => {
            assert_eq!(&again, m, "decode(encode(m)) != m; the text: {text}");
            assert_eq!(again.encode(), text, "encoding is not stable");
        }
        Ok(None) => panic!("an encoded message is not statscope's: {text}"),
        Err(e) => panic!("an encoded message does not decode ({e}): {text}"),
    }
    if let Message::Samples(s) = m {
        let encoded: Vec<String> = s.samples.iter().map(Sample::to_json).collect();
        assert_eq!(
            samples_frame(
                &s.host,
                s.seq,
                s.history,
                encoded.iter().map(String::as_str)
            ),
            text,
            "samples_frame differs from encode"
        );
        for (sample, json) in s.samples.iter().zip(&encoded) {
            check_sample_round_trip(sample, json);
        }
    }
}

/// A compact sample reads back from its array form as itself, and says its fields in order.
pub fn check_sample_round_trip(sample: &Sample, json: &str) {
    match serde_json::from_str::<Sample>(json) {
        Ok(again) => assert_eq!(&again, sample, "a sample does not round-trip: {json}"),
        Err(e) => panic!("a sample's array form does not read back ({e}): {json}"),
    }
    match serde_json::from_str::<serde_json::Value>(json) {
        Ok(serde_json::Value::Array(fields)) => assert_eq!(
            fields.len(),
            statscope::model::SAMPLE_FIELDS.len(),
            "a sample of {} fields: {json}",
            fields.len()
        ),
        other => panic!("a sample is not a JSON array: {other:?}"),
    }
}

/// The page's state that a message may change, as the harness tracks it.
#[derive(Default)]
struct PageModel {
    frames: u64,
    samples: u64,
    malformed: u64,
    bridge_dropped: u64,
    pending: usize,
    source: Option<String>,
    describe: Option<String>,
    hosts: BTreeMap<String, HostInfo>,
    notices: Vec<Notice>,
    resume: Option<(String, u64)>,
    /// The page's count of history samples it already had (`known`) at the last tick: those since
    /// are not queued (the model does not keep the engine's times, so it counts them together).
    known_at_tick: u64,
}

impl PageModel {
    fn on_host(&mut self, h: &HostInfo) {
        if self.hosts.contains_key(&h.host) || self.hosts.len() < MAX_HOSTS {
            self.hosts.insert(h.host.clone(), h.clone());
        }
    }

    /// A decoded message's effect, as docs/protocol.md says a page takes it.
    fn on_message(&mut self, m: &Message) {
        match m {
            Message::Hello(h) => {
                self.source = Some(h.source.clone());
                self.describe = Some(h.describe.clone());
                if self.resume.as_ref().map(|(run, _)| run) != Some(&h.instance) {
                    self.resume = (!h.instance.is_empty()).then(|| (h.instance.clone(), 0));
                }
                self.notices.clear();
                self.hosts.clear();
                h.hosts.iter().for_each(|host| self.on_host(host));
            }
            Message::Host(h) => self.on_host(h),
            Message::Samples(s) => {
                if let Some((_, seq)) = &mut self.resume {
                    *seq = (*seq).max(s.seq);
                }
                self.samples += s.samples.len() as u64;
                self.pending += s.samples.len();
            }
            Message::Dropped(d) => {
                self.bridge_dropped = self.bridge_dropped.saturating_add(d.frames);
            }
            Message::Notice(n) => {
                // One per host and cause (docs/protocol.md).
                let at = self
                    .notices
                    .iter()
                    .position(|k| k.cause == n.cause && k.host == n.host);
                match (at, n.active) {
                    (Some(i), true) => self.notices[i] = n.clone(),
                    (None, true) if self.notices.len() < MAX_NOTICES => {
                        self.notices.push(n.clone());
                    }
                    (Some(i), false) => {
                        self.notices.remove(i);
                    }
                    _ => {}
                }
            }
            // Not modelled: what the page keeps of them is checked in tests/hosts.rs.
            Message::Container(_)
            | Message::Event(_)
            | Message::Heartbeat
            | Message::Other(_)
            | Message::Subscribe(_)
            | Message::Subscribed(_)
            | Message::Fleet(_) => {}
        }
    }

    fn check(&self, core: &DashboardCore, after: &str) {
        let c = core.counts();
        assert_eq!(
            (c.frames, c.samples, c.malformed, c.bridge_dropped),
            (
                self.frames,
                self.samples,
                self.malformed,
                self.bridge_dropped
            ),
            "(frames, samples, malformed, bridge dropped) after {after}"
        );
        assert_eq!(
            core.pending() as u64 + (c.known - self.known_at_tick),
            self.pending as u64,
            "pending (and history already had) after {after}"
        );
        assert_eq!(
            (&c.source, &c.describe),
            (&self.source, &self.describe),
            "source and describe after {after}"
        );
        let hosts: Vec<&HostInfo> = self.hosts.values().collect();
        assert_eq!(
            core.hosts().iter().collect::<Vec<_>>(),
            hosts,
            "hosts after {after}"
        );
        assert_eq!(core.notices(), &self.notices[..], "notices after {after}");
        assert_eq!(
            core.resume_token(),
            self.resume
                .as_ref()
                .map(|(run, seq)| format!("{run}:{seq}")),
            "the resume token after {after}"
        );
        assert!(
            core.lifecycle().event_count() <= MAX_EVENTS,
            "{} events kept",
            core.lifecycle().event_count()
        );
    }
}

/// One frame: the module's decision, its messages' promises and round trips, and the page's
/// intake of the frame against that decision.
fn frame(core: &mut DashboardCore, model: &mut PageModel, frame: &str) {
    assert!(
        frame.len() <= MAX_FRAME_BYTES,
        "the target's frames are small"
    );
    let framed = Message::is_framed(frame);
    let decoded = Message::decode(frame);
    // The harness's own reading of the framing and of the rule (checks.rs) agrees.
    let rule = kind(frame);
    match (&decoded, framed) {
        (Ok(Some(m)), true) => {
            assert_eq!(rule, Kind::Message, "decoded {m:?}");
            check_message_fields(m);
            check_round_trip(m);
            let held = heap_bytes(m);
            assert!(
                held <= MAX_BYTES_PER_INPUT_BYTE * frame.len() + SLACK_BYTES,
                "a {}-byte frame holds {held} bytes as {}",
                frame.len(),
                m.kind()
            );
        }
        (Err(e), true) => {
            // A framed text that is not JSON is bad whatever its type says: the page counts it
            // once, as the stats reader would.
            if rule == Kind::Stats {
                let lenient = statscope::parse_frame_lenient(frame);
                assert_eq!(
                    (lenient.samples.len(), lenient.errors.len()),
                    (0, 1),
                    "refused as a message ({e}), but read as stats"
                );
            } else {
                assert_eq!(rule, Kind::BadMessage, "refused: {e}");
            }
            let e = e.to_string();
            assert!(!e.is_empty(), "an empty protocol error");
            assert!(!serde_position(&e), "serde's position in the error: {e}");
            assert!(
                e.len() <= frame.len() + 256,
                "a {}-byte error for a {}-byte frame",
                e.len(),
                frame.len()
            );
        }
        (Ok(None), true) => assert_eq!(rule, Kind::Stats, "not statscope's"),
        // Not framed: stats for the page, whatever `decode` would say of it.
        (_, false) => assert_eq!(rule, Kind::Stats, "not framed"),
    }
    model.frames += 1;
    match decoded {
        Ok(Some(m)) if framed => {
            model.on_message(&m);
            core.ingest(frame);
            match &m {
                Message::Container(info) => check_container_kept(core, info),
                Message::Event(event) => check_event_kept(core, event),
                _ => {}
            }
        }
        Err(_) if framed => {
            model.malformed += 1;
            core.ingest(frame);
        }
        _ => {
            let lenient = statscope::parse_frame_lenient(frame);
            model.samples += lenient.samples.len() as u64;
            model.pending += lenient.samples.len();
            model.malformed += lenient.errors.len() as u64;
            core.ingest(frame);
        }
    }
    model.check(core, "a frame");
}

/// Does `e` end as serde_json's errors do, ` at line L column C`? (The protocol module takes that
/// off; a `type` may itself say " at line ".)
fn serde_position(e: &str) -> bool {
    let Some((_, tail)) = e.rsplit_once(" at line ") else {
        return false;
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    tail.split_once(" column ")
        .is_some_and(|(line, column)| digits(line) && digits(column))
}

fn check_container_kept(core: &DashboardCore, info: &ContainerInfo) {
    let key = Sample::key_of(&info.id, "", &info.host);
    assert_eq!(
        core.lifecycle().info(&key),
        Some(info),
        "the page does not keep the container's info under {key:?}"
    );
}

fn check_event_kept(core: &DashboardCore, event: &LifecycleEvent) {
    let key = Sample::key_of(&event.id, "", &event.host);
    assert!(
        core.lifecycle().events_of(&key).any(|e| e == event),
        "the page does not keep the event under {key:?}"
    );
}

/// A tick: everything queued goes into the engine, which passes the engine checks.
fn tick(core: &mut DashboardCore, model: &mut PageModel) {
    core.flush();
    model.pending = 0;
    model.known_at_tick = core.counts().known;
    assert_eq!(core.pending(), 0, "samples left pending after flush");
    check_engine_state(core.engine());
    for (_, c) in core.engine().containers() {
        c.points().iter().for_each(check_point);
    }
    model.check(core, "a tick");
}

/// Target `protocol` (see the module docs).
pub fn check_protocol(data: &[u8]) {
    let mut core = DashboardCore::new(Options {
        connect: false,
        ..Options::default()
    })
    .expect("the default options are valid");
    let mut model = PageModel::default();
    for line in data.split(|&b| b == b'\n') {
        if line.is_empty() {
            tick(&mut core, &mut model);
        } else {
            frame(&mut core, &mut model, &text(line));
        }
    }
    tick(&mut core, &mut model);
}

/// A check of one input.
pub type Check = fn(&[u8]);

/// The checks of this file, for the regression test (every saved input goes through each).
pub const ALL: &[(&str, Check)] = &[("protocol", check_protocol)];

// ---------------------------------------------------------------------------------------------
// Seeds: every kind of message, and samples of the real recordings.

/// One message of each kind and shape (the module's own examples), encoded.
pub fn message_examples() -> Vec<Message> {
    let id = "696c0f26ec72ced6d0b5ccb099e8e345c796b64bfff9a4b19aae57353eeabd00";
    let time = Timestamp::parse_rfc3339("2026-11-24T05:00:00.123456789Z").expect("a time");
    let host = |key: &str, state: &str, error: Option<&str>| HostInfo {
        host: key.into(),
        name: format!("{key} (name)"),
        engine: "docker".into(),
        describe: "unix:///var/run/docker.sock".into(),
        state: state.into(),
        error: error.map(str::to_string),
    };
    vec![
        Message::Hello(Hello {
            source: "docker".into(),
            describe: "the Docker Engine at unix:///var/run/docker.sock".into(),
            version: "0.1.0".into(),
            protocol: PROTOCOL_VERSION,
            instance: "4f2a".into(),
            history_seconds: 300.0,
            hosts: vec![
                host("web-1", "up", None),
                host("db", "down", Some("connection refused")),
            ],
        }),
        Message::Hello(Hello::default()),
        Message::Host(host("db", "connecting", None)),
        Message::Host(host(
            "web-1",
            "down",
            Some("the answer to /events took longer than 10s"),
        )),
        Message::Samples(Samples {
            host: "db".into(),
            seq: 42,
            history: true,
            samples: vec![
                Sample {
                    key: format!("{id}@db"),
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
            id: id.into(),
            name: "web".into(),
            image: "busybox:latest".into(),
            cpu_limit: Some(0.5),
            cpu_limit_from: Some(statscope::protocol::CpuLimitFrom::NanoCpus),
            memory_limit_bytes: Some(67_108_864),
            project: "shop".into(),
        }),
        Message::Container(ContainerInfo {
            id: id.into(),
            ..ContainerInfo::default()
        }),
        Message::Event(LifecycleEvent {
            host: String::new(),
            id: id.into(),
            name: "web".into(),
            action: "die".into(),
            time,
            exit_code: Some(137),
            signal: None,
        }),
        Message::Event(LifecycleEvent {
            host: "db".into(),
            id: id.into(),
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
            host: "edge-1".into(),
            cause: "containers-over-limit".into(),
            text: "1,100 containers, following 1,000".into(),
            count: 100,
            limit: Some(1000),
            active: true,
        }),
        Message::Notice(Notice {
            cause: "containers-over-limit".into(),
            active: false,
            ..Notice::default()
        }),
        Message::Notice(Notice {
            host: "edge-2".into(),
            cause: "engine-unreachable".into(),
            text: "no answer from the Docker Engine at tcp://edge-2:2376".into(),
            count: 3,
            limit: None,
            active: true,
        }),
        Message::Subscribe(Subscribe {
            hosts: vec!["edge-1".into(), "edge-2".into()],
            filter: "web".into(),
            top: Some(50),
            pinned: vec![format!("{id}@edge-1")],
            fleet: true,
            ..Subscribe::default()
        }),
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
                        key: format!("{id}@edge-1"),
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
        Message::Other("statscope.future".into()),
    ]
}

/// Texts the module must refuse or leave to the stats reader, and edge shapes of good ones.
pub const EDGE_FRAMES: [&str; 17] = [
    r#"{"type":"statscope.samples","host":"h","seq":18446744073709551615,"samples":[["k@h","n","windows",-9223372036854775808,9223372036854775807,18446744073709551615,0,4294967295,4294967295,0,0,0,0,null,18446744073709551615,0,0,0,0,0,0,0,0]]}"#,
    r#"{"type":"statscope.samples","samples":[["k","n",null,1,null,0,0,0,0,0,0,0,0,null,null,0,0,0,0,0,0,0,0,9]]}"#,
    r#"{"type":"statscope.samples","samples":[["k","n","os2",1,null,0,0,0,0,0,0,0,0,null,null,0,0,0,0,0,0,0,0]]}"#,
    r#"{"type":"statscope.samples","samples":{}}"#,
    r#"{"type":"statscope.event","id":"a","action":"die","time":"0000-01-01T00:00:00+00:01"}"#,
    r#"{"type":"statscope.event","id":"a","action":"die","time":"9999-12-31T23:59:59.999999999-00:01"}"#,
    r#"{"type":"statscope.event","id":"a","action":"die","time":"2016-12-31T23:59:60Z"}"#,
    r#"{"type":"statscope.hello","hosts":[{},{"host":"a"},{"host":"a","name":"b"}],"historySeconds":-0}"#,
    r#"{"type":"statscope.container","id":"a","cpuLimit":1e-320,"memoryLimitBytes":0,"cpuLimitFrom":"Other"}"#,
    r#"{"type":"statscope.notice","cause":"c","active":false,"limit":null,"host":"h"}"#,
    r#"{"type":"statscope.host","host":"h","host":"h2","name":null,"error":null,"state":"up"}"#,
    r#"{"type":"statscope.dropped","frames":18446744073709551615,"total":18446744073709551615}"#,
    r#"{"type":"statscope.subscribe","hosts":[],"filter":"","metric":"pids","pinned":[],"fleet":false}"#,
    r#"{"type":"statscope.subscribe","top":4294967295,"filter":"ABCdef-_.0","hosts":["h","h"]}"#,
    r#"{"type":"statscope.subscribed","shown":0,"matching":0,"total":18446744073709551615,"hosts":0,"cap":1,"capped":true}"#,
    r#"{"type":"statscope.fleet","hosts":[{"host":"h","containers":0,"running":0,"busiest":null},{"host":"h"}]}"#,
    "{ \"type\":\"statscope.heartbeat\"}\n{\"type\":\"statscope.heartbeat\"} \n\u{feff}{\"type\":\"statscope.heartbeat\"}",
];

/// The seed corpus of the `protocol` target, sorted: every message example, alone and all in one
/// input (with ticks); the edge frames; for each container of each recording (the Docker and the
/// Podman fixtures), runs of consecutive samples as `statscope.samples` frames of a named host,
/// after a `hello` naming it; and every general seed (`corpus::seeds`: stats and the old control
/// messages, which the page's intake must still read as before). At most `max_len` bytes each.
pub fn seeds(root: &Path, max_len: usize, general: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let mut seeds: std::collections::BTreeSet<Vec<u8>> = general.iter().cloned().collect();
    let examples: Vec<String> = message_examples().iter().map(Message::encode).collect();
    seeds.extend(examples.iter().map(|e| e.as_bytes().to_vec()));
    seeds.insert(examples.join("\n\n").into_bytes());
    seeds.extend(EDGE_FRAMES.iter().map(|f| f.as_bytes().to_vec()));
    let mut by_container: BTreeMap<(String, String), Vec<Sample>> = BTreeMap::new();
    for (file, line) in fixture_objects(root) {
        let Ok(stats) = Stats::from_json(&line) else {
            continue;
        };
        let id = if stats.id.is_empty() {
            serde_json::from_str::<serde_json::Value>(&line)
                .ok()
                .and_then(|v| v.get("Id").and_then(|i| i.as_str()).map(str::to_string))
                .unwrap_or_default()
        } else {
            stats.id.clone()
        };
        let mut sample = Sample::of(&stats, "fixture-host");
        if stats.id.is_empty() && !id.is_empty() {
            sample.key = Sample::key_of(&id, &stats.name, "fixture-host");
        }
        by_container.entry((file, id)).or_default().push(sample);
    }
    let hello = Message::Hello(Hello {
        source: "docker".into(),
        protocol: PROTOCOL_VERSION,
        instance: "run-1".into(),
        history_seconds: 300.0,
        hosts: vec![HostInfo {
            host: "fixture-host".into(),
            name: "fixture-host".into(),
            engine: "docker".into(),
            state: "up".into(),
            ..HostInfo::default()
        }],
        ..Hello::default()
    })
    .encode();
    let mut seq = 0u64;
    for run in by_container.values() {
        for (i, chunk) in run.chunks(3).enumerate() {
            seq += chunk.len() as u64;
            let frame = Message::Samples(Samples {
                host: "fixture-host".into(),
                seq,
                history: i == 0,
                samples: chunk.to_vec(),
            })
            .encode();
            seeds.insert(format!("{hello}\n{frame}\n").into_bytes());
        }
    }
    seeds.into_iter().filter(|s| s.len() <= max_len).collect()
}

/// Every non-blank line of the Docker fixtures (`tests/fixtures/*.ndjson`) and of the Podman ones
/// (`tests/fixtures/podman/podman-4.3*.ndjson` but the events), with its file's name.
pub fn fixture_objects(root: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for dir in ["tests/fixtures", "tests/fixtures/podman"] {
        let mut paths: Vec<_> = std::fs::read_dir(root.join(dir))
            .unwrap_or_else(|e| panic!("read {dir}: {e}"))
            .map(|e| e.expect("a directory entry").path())
            .filter(|p| {
                let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
                name.is_some_and(|n| n.ends_with(".ndjson") && !n.contains("events"))
            })
            .collect();
        paths.sort();
        for p in paths {
            let name = p.display().to_string();
            let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{name}: {e}"));
            out.extend(
                text.lines()
                    .filter(|l| !l.trim().is_empty())
                    .map(|l| (name.clone(), l.to_string())),
            );
        }
    }
    out
}
