//! The checks behind statscope's fuzz targets, shared by the targets (`fuzz/fuzz_targets/*.rs`) and by
//! the standing tests of the README's test command, which include this file with `#[path]`: the root
//! package's `tests/fuzz_regressions.rs` (every saved input) and `tests/fuzz_checks.rs` (the seed
//! corpus and generated inputs, `corpus.rs`), and `bridge/tests/fuzz_checks.rs` (the real
//! `statscope stats`). Every input goes through exactly the same assertions as under libFuzzer.
//!
//! This file depends only on `statscope`, `serde` and `serde_json` (what the root package already
//! has). The check of the real `statscope_bridge::stats_cmd::run` lives in `bridge_checks.rs` of the
//! fuzz crate; here [`check_stats_lines`] replays the same line handling through the library
//! functions `stats_cmd` is made of, and returns the output `run` must print, so the fuzz target can
//! compare the real command against it byte for byte.
//!
//! Input convention, the same for every check so any saved input can be replayed through all of them:
//! the bytes are split at `\n` into lines, and a line that is not UTF-8 is read lossily (except by the
//! `stats` line check, which reads raw bytes like `statscope stats` does).
//!
//! Every check panics (`assert!`) when an invariant does not hold; a panic inside statscope is of
//! course a finding too.

#![allow(dead_code)]

use std::borrow::Cow;
use std::collections::BTreeSet;

use statscope::dashboard::{DashboardCore, Options, MAX_FRAME_BYTES};
use statscope::figures::{docker_json_line, short_id, Figures};
use statscope::model::parse_frame_lenient;
use statscope::protocol::Message;
use statscope::rates::Status;
use statscope::report::{csv_header, csv_row};
use statscope::{parse_frame, EngineConfig, Flag, OsType, Point, RateEngine, Stats};

/// The lines of an input: split at `\n` (a trailing `\n` leaves a last empty line, as
/// `BufRead::split` does not; callers skip empty lines anyway).
fn lines(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    data.split(|&b| b == b'\n')
}

fn text(bytes: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(bytes)
}

/// Every value a point has is finite and non-negative; first, reset, stopped and late points carry
/// no rate (ARCHITECTURE.md: "One point per sample, honest rates only").
pub fn check_point(p: &Point) {
    let values = [
        ("cpu_percent", p.cpu_percent()),
        ("mem_usage_bytes", p.mem_usage_bytes()),
        ("mem_percent", p.mem_percent()),
        ("net_rx_bytes_per_s", p.net_rx_bytes_per_s()),
        ("net_tx_bytes_per_s", p.net_tx_bytes_per_s()),
        ("blk_read_bytes_per_s", p.blk_read_bytes_per_s()),
        ("blk_write_bytes_per_s", p.blk_write_bytes_per_s()),
    ];
    for (name, value) in values {
        if let Some(v) = value {
            assert!(v.is_finite() && v >= 0.0, "{name} = {v} in {p:?}");
        }
    }
    if matches!(
        p.flag,
        Flag::First | Flag::Reset | Flag::Stopped | Flag::Late
    ) {
        let rates = [
            p.cpu_percent(),
            p.net_rx_bytes_per_s(),
            p.net_tx_bytes_per_s(),
            p.blk_read_bytes_per_s(),
            p.blk_write_bytes_per_s(),
        ];
        assert!(
            rates.iter().all(Option::is_none),
            "a {:?} point carries a rate: {p:?}",
            p.flag
        );
    }
    assert!(
        p.explain.cpu_delta.is_finite() && p.explain.system_delta.is_finite(),
        "explain is not finite: {p:?}"
    );
}

/// Known findings that a long fuzz run may skip, so it can look for others before the fix lands:
/// `STATSCOPE_FUZZ_IGNORE=stopped-marker-first` (comma-separated). Unset in `cargo test`, where every
/// check is strict.
pub fn ignored(issue: &str) -> bool {
    static IGNORE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    IGNORE
        .get_or_init(|| std::env::var("STATSCOPE_FUZZ_IGNORE").unwrap_or_default())
        .split(',')
        .any(|s| s.trim() == issue)
}

/// Every container the engine holds: at most `history_points` points, each valid, in time order; a
/// stopped marker sits at the time of the container's last real sample (ARCHITECTURE.md and
/// `rates.rs`: "The ring gets one stopped marker at the time of the last real sample"), so it is
/// never the first point of a ring that has not wrapped.
pub fn check_engine_state(engine: &RateEngine) {
    let cap = engine.config().history_points.max(1);
    for (id, c) in engine.containers() {
        let points = c.points();
        assert!(
            points.len() <= cap,
            "container {id:?} keeps {} points, more than {cap}",
            points.len()
        );
        for p in points {
            check_point(p);
            assert!(
                p.flag != Flag::Late,
                "a late point entered the ring of {id:?}"
            );
        }
        // Finding `stopped-marker-first`: an empty sample before a container's first real sample
        // in the same batch leaves a stopped marker at t = 0 (1970) at the front of its ring.
        let mut skip = 0;
        if points.len() < cap && points.front().is_some_and(|p| p.flag == Flag::Stopped) {
            assert!(
                ignored("stopped-marker-first"),
                "ring of {id:?} starts with a stopped marker (t = {} ns) before any real sample: {:?}",
                points[0].t_unix_ns,
                points.iter().map(|p| (p.t_unix_ns, p.flag)).collect::<Vec<_>>()
            );
            skip = 1;
        }
        for i in 1.max(skip + 1)..points.len() {
            if points[i].flag == Flag::Stopped {
                assert_eq!(
                    points[i].t_unix_ns,
                    points[i - 1].t_unix_ns,
                    "ring of {id:?}: a stopped marker not at the last real sample's time"
                );
            }
        }
        let times: Vec<i64> = points.iter().skip(skip).map(|p| p.t_unix_ns).collect();
        assert!(
            times.windows(2).all(|w| w[0] <= w[1]),
            "ring of {id:?} out of order: {times:?}"
        );
        if let Some((_, v)) = c.last_cpu() {
            assert!(v.is_finite() && v >= 0.0, "last_cpu {v} of {id:?}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The rule (issue 19), as the harness reads it, independently of the code under test.
//
// - A text with a statscope message's framing (after leading whitespace, it starts `{"type"`) whose
//   `type` is a string starting `statscope.` is a statscope message, never a sample. The protocol
//   module (`Message::decode`) says whether it can be read: the page and `statscope stats` skip or
//   count it (`statscope stats`: skipped, or a bad line).
// - Anything else is read as stats; a JSON object with none of the stats fields (`{}`,
//   `{"foo":1}`, `{"type":"x"}`) is not a stats object.

/// The keys of a Docker stats object (`/work/shared/docs/docker-stats.md`: API 1.52's thirteen).
const STATS_KEYS: [&str; 13] = [
    "id",
    "name",
    "os_type",
    "read",
    "preread",
    "cpu_stats",
    "precpu_stats",
    "memory_stats",
    "networks",
    "pids_stats",
    "blkio_stats",
    "num_procs",
    "storage_stats",
];

/// What the rule makes of one line or frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A statscope message that the protocol module reads.
    Message,
    /// Framed, of a `statscope.` type (or its type cannot even be read), but not a good message.
    BadMessage,
    /// Anything else: read as stats.
    Stats,
}

/// The harness's reading of the framing: the first key `"type"` (verbatim) and, when its value is
/// a JSON string, that string; `Err(())` when the text is framed but is not JSON up to that value.
fn framed_type(text: &str) -> Option<Result<Option<String>, ()>> {
    use serde::de::{DeserializeSeed, MapAccess, Visitor};
    let text = text.trim();
    if !text.starts_with("{\"type\"") {
        return None;
    }
    struct First<'a>(&'a mut Option<Option<String>>);
    impl<'de> DeserializeSeed<'de> for First<'_> {
        type Value = ();
        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_map(self)
        }
    }
    impl<'de> Visitor<'de> for First<'_> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            map.next_key::<serde::de::IgnoredAny>()?;
            // JSON text as an ignored key's value is checked (numbers not converted), then a
            // string if it is one.
            let value = map.next_value::<&serde_json::value::RawValue>()?;
            *self.0 = Some(serde_json::from_str::<String>(value.get()).ok());
            // The rest is not the framing's business; stop here (the caller ignores the error).
            Err(serde::de::Error::custom("stop"))
        }
    }
    let mut first = None;
    let _ = First(&mut first).deserialize(&mut serde_json::Deserializer::from_str(text));
    Some(first.ok_or(()))
}

/// What the rule makes of `text` (one line of `statscope stats`, or one frame of the page).
pub fn kind(text: &str) -> Kind {
    let ours = match framed_type(text) {
        None => return Kind::Stats,
        Some(Ok(None)) => false,
        Some(Ok(Some(kind))) => kind.starts_with("statscope."),
        // Framed, but not JSON before the end of the type's value: bad, whatever it was meant
        // to be (both readings refuse it).
        Some(Err(())) => {
            assert!(
                Message::decode(text).is_err(),
                "the protocol module read a framed text whose type is not JSON"
            );
            assert!(
                Stats::from_json(text).is_err(),
                "a stats object was read from a framed text whose type is not JSON"
            );
            return Kind::BadMessage;
        }
    };
    match (ours, Message::decode(text)) {
        (true, Ok(Some(m))) => {
            assert!(m.kind().starts_with("statscope."), "decoded {m:?}");
            Kind::Message
        }
        (true, Err(e)) => {
            assert!(!e.to_string().is_empty(), "an empty protocol error");
            Kind::BadMessage
        }
        (true, Ok(None)) => panic!("the protocol module says a statscope. type is not its own"),
        (false, Ok(Some(m))) => {
            panic!("the protocol module read {m:?} from a text of another type")
        }
        // Another type: stats (when the protocol module cannot read it, neither can the model).
        (false, _) => Kind::Stats,
    }
}

/// The stats-key rule on one text `Stats::from_json` accepted (`accepted`) or refused: a JSON
/// object with none of the stats keys is refused; an accepted one has one.
pub fn check_stats_key_rule(text: &str, accepted: bool) {
    let Ok(serde_json::Value::Object(object)) =
        serde_json::from_str::<serde_json::Value>(text.trim())
    else {
        return;
    };
    let known = object.keys().any(|k| STATS_KEYS.contains(&k.as_str()));
    if accepted {
        assert!(
            known,
            "a JSON object with no stats key was read as a sample"
        );
    } else if !known {
        let e = Stats::from_json(text)
            .map(drop)
            .expect_err("refused")
            .to_string();
        assert!(
            e.contains("none of its keys is a stats field"),
            "an object with no stats key refused with another error: {e}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Target `stats_from_json`: `Stats::from_json` on the whole input.

pub fn check_from_json(data: &[u8]) {
    let text = text(data);
    let parsed = Stats::from_json(&text);
    check_stats_key_rule(&text, parsed.is_ok());
    match parsed {
        Ok(stats) => {
            check_object_shapes(&text);
            // The two parsers agree: an object that parses alone is the frame's only object.
            match parse_frame(&text) {
                Ok(frame) => assert!(
                    frame.len() == 1 && frame[0] == stats,
                    "parse_frame disagrees with from_json: {} objects",
                    frame.len()
                ),
                Err(e) => panic!("from_json accepted what parse_frame refused: {e}"),
            }
            // Everything a parsed sample feeds must work on it.
            let _ = stats.display_name();
            let _ = stats.read.to_rfc3339();
            let _ = stats.preread.to_rfc3339();
            for os in [OsType::Linux, OsType::Windows] {
                check_figures(&stats, os);
            }
        }
        Err(e) => assert!(!e.to_string().is_empty(), "an empty error message"),
    }
}

/// The docker CLI figures of one sample: every string renders and the json line is one JSON object
/// of nine strings on one line.
pub fn check_figures(stats: &Stats, os: OsType) {
    let f = Figures::compute(stats, os);
    for s in [
        f.cpu_perc(),
        f.mem_usage(),
        f.mem_perc(),
        f.net_io(),
        f.block_io(),
        f.pids(),
    ] {
        assert!(!s.is_empty(), "an empty figure in {f:?}");
    }
    let _ = short_id(&stats.id);
    let line = docker_json_line(stats, os);
    assert!(
        !line.contains(['\n', '\r']),
        "docker_json_line holds a line break: {line:?}"
    );
    match serde_json::from_str::<serde_json::Value>(&line) {
        Ok(serde_json::Value::Object(map)) => assert!(
            map.len() == 9 && map.values().all(serde_json::Value::is_string),
            "docker_json_line is not nine strings: {line}"
        ),
        Ok(other) => panic!("docker_json_line is not an object: {other}"),
        Err(e) => panic!("docker_json_line is not JSON ({e}): {line}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Target `parse_frame`: one WebSocket frame (the whole input).

pub fn check_parse_frame(data: &[u8]) {
    let text = text(data);
    check_lenient(&text);
    match parse_frame(&text) {
        Ok(frame) => {
            let trimmed = text.trim();
            assert!(
                trimmed.starts_with('{') || trimmed.starts_with('['),
                "parse_frame accepted a frame that is neither object nor array"
            );
            if trimmed.starts_with('{') {
                assert_eq!(
                    frame.len(),
                    1,
                    "an object frame gave {} samples",
                    frame.len()
                );
            }
            let mut engine = RateEngine::default();
            let points = engine.update(&frame, None);
            assert_eq!(points.len(), frame.len(), "not one point per sample");
            points.iter().for_each(check_point);
            check_engine_state(&engine);
        }
        Err(e) => assert!(!e.to_string().is_empty(), "an empty error message"),
    }
}

/// `parse_frame_lenient` (what the page uses) against the strict parser: it keeps exactly what the
/// strict one accepts, and otherwise counts one error per bad element (or one for the frame).
pub fn check_lenient(text: &str) {
    let lenient = parse_frame_lenient(text);
    let (good, bad) = lenient_model(text);
    assert_eq!(
        (lenient.samples.len(), lenient.errors.len()),
        (good, bad),
        "parse_frame_lenient: (samples, errors) differ from the element-by-element reading"
    );
    match parse_frame(text) {
        // Finding `array-as-object`: serde's derived structs also read a JSON array positionally,
        // so strict `parse_frame("[[]]")` is one all-default sample where the lenient one errs.
        Ok(_) if ignored("array-as-object") && has_array_element(text) => {}
        Ok(strict) => assert!(
            lenient.errors.is_empty() && lenient.samples == strict,
            "parse_frame_lenient differs from parse_frame on a valid frame \
             (samples {} vs {}, errors {})",
            lenient.samples.len(),
            strict.len(),
            lenient.errors.len()
        ),
        Err(_) => assert!(
            !lenient.errors.is_empty(),
            "parse_frame_lenient found no error in a frame parse_frame refuses"
        ),
    }
    for e in &lenient.errors {
        assert!(!e.to_string().is_empty(), "an empty error message");
    }
}

/// Does a frame's top-level array hold an element that is itself an array?
fn has_array_element(text: &str) -> bool {
    serde_json::from_str::<Vec<&serde_json::value::RawValue>>(text.trim())
        .is_ok_and(|elements| elements.iter().any(|e| e.get().starts_with('[')))
}

/// A parsed stats object has an object (or `null`) wherever Docker's schema has one: the model says
/// "the wrong shape" is a `ParseError` (serde's derived structs would also take a JSON array,
/// positionally: finding `array-as-object`).
pub fn check_object_shapes(text: &str) {
    if ignored("array-as-object") {
        return;
    }
    let Ok(value) = serde_json::from_str::<serde_json::Value>(text.trim()) else {
        return;
    };
    fn object_or_null(v: Option<&serde_json::Value>, path: &str) {
        if let Some(v) = v {
            assert!(
                v.is_object() || v.is_null(),
                "a {} was accepted as the object {path}",
                if v.is_array() {
                    "JSON array"
                } else {
                    "non-object"
                }
            );
        }
    }
    object_or_null(Some(&value), "(the stats object)");
    for key in ["cpu_stats", "precpu_stats"] {
        let cpu = value.get(key);
        object_or_null(cpu, key);
        for inner in ["cpu_usage", "throttling_data"] {
            object_or_null(cpu.and_then(|c| c.get(inner)), &format!("{key}.{inner}"));
        }
    }
    for key in [
        "memory_stats",
        "pids_stats",
        "blkio_stats",
        "storage_stats",
        "networks",
    ] {
        object_or_null(value.get(key), key);
    }
    if let Some(networks) = value.get("networks").and_then(|n| n.as_object()) {
        for (name, n) in networks {
            object_or_null(Some(n), &format!("networks.{name}"));
        }
    }
    for list in [
        "io_service_bytes_recursive",
        "io_serviced_recursive",
        "io_queue_recursive",
        "io_service_time_recursive",
        "io_wait_time_recursive",
        "io_merged_recursive",
        "io_time_recursive",
        "sectors_recursive",
    ] {
        let entries = value.get("blkio_stats").and_then(|b| b.get(list));
        for e in entries.and_then(|e| e.as_array()).into_iter().flatten() {
            object_or_null(Some(e), &format!("blkio_stats.{list}[]"));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Target `dashboard`: `DashboardCore::ingest` per frame, then `flush`, `view`, `snapshot`, `legend`.
//
// Input: frames separated by `\n`. An empty line is an animation-frame tick (flush + view + snapshot
// + legend; also done at the end), so several frames can make one micro-batch. The first frame that
// starts with a NUL byte stands for a frame over the size limit: the rest of the line padded with
// spaces to `MAX_FRAME_BYTES + 1 + (second byte % 3)` bytes. (Frames just under the limit cost a
// megabyte of parsing each, too slow to fuzz: [`check_frame_size_limit`] tests the exact edge.)

/// Fields of a CSV record: time, host, id, name, one per metric, flag.
const CSV_FIELDS: usize = 4 + statscope::metrics::METRICS.len() + 1;

/// What a frame is, by the harness's own reading of the page's rules.
#[derive(Debug, PartialEq, Eq)]
enum FrameKind {
    Oversized,
    /// A statscope message (`Kind::Message` or `Kind::BadMessage`): malformed when bad; the
    /// compact samples it carries when it is a `statscope.samples` (none otherwise).
    Control {
        bad: bool,
        samples: usize,
    },
    /// Parsed: this many good objects and this many bad ones (`malformed` counts objects: a frame
    /// that is not JSON, not an object or array, or one bad element of an array, is one each).
    Parsed {
        good: usize,
        bad: usize,
    },
}

fn classify(frame: &str) -> FrameKind {
    if frame.len() > MAX_FRAME_BYTES {
        return FrameKind::Oversized;
    }
    match kind(frame) {
        Kind::Message => FrameKind::Control {
            bad: false,
            samples: match Message::decode(frame) {
                Ok(Some(Message::Samples(m))) => m.samples.len(),
                _ => 0,
            },
        },
        Kind::BadMessage => FrameKind::Control {
            bad: true,
            samples: 0,
        },
        Kind::Stats => {
            let (good, bad) = lenient_model(frame);
            FrameKind::Parsed { good, bad }
        }
    }
}

/// The lenient frame reading, modelled element by element with the strict one-object parser: an
/// array's elements count one by one; anything else is one object or one error.
fn lenient_model(frame: &str) -> (usize, usize) {
    let trimmed = frame.trim();
    if trimmed.starts_with('[') {
        match serde_json::from_str::<Vec<&serde_json::value::RawValue>>(trimmed) {
            Ok(elements) => {
                let good = elements
                    .iter()
                    .filter(|e| Stats::from_json(e.get()).is_ok())
                    .count();
                (good, elements.len() - good)
            }
            Err(_) => (0, 1),
        }
    } else {
        match parse_frame(trimmed) {
            Ok(samples) => (samples.len(), 0),
            Err(_) => (0, 1),
        }
    }
}

/// The frames of a dashboard input; `None` is a tick. Only the first NUL-led line becomes a frame
/// over the limit (a megabyte each); later ones are ordinary text.
fn dashboard_frames(data: &[u8]) -> Vec<Option<String>> {
    let mut near_limit_done = false;
    lines(data)
        .map(|line| match line {
            [] => None,
            [0, rest @ ..] if !near_limit_done => {
                near_limit_done = true;
                let (k, rest) = match rest {
                    [k, rest @ ..] => (usize::from(*k), rest),
                    [] => (0, rest),
                };
                let target = MAX_FRAME_BYTES + 1 + k % 3;
                let mut frame = text(rest).into_owned();
                frame.push_str(&" ".repeat(target.saturating_sub(frame.len())));
                Some(frame)
            }
            _ => Some(text(line).into_owned()),
        })
        .collect()
}

#[derive(Default)]
struct Expected {
    frames: u64,
    /// Frames that were parsed (not oversized, not a control message): with samples, errors or both.
    /// (`samples` also counts the compact samples of `statscope.samples` messages.)
    parsed_frames: u64,
    samples: u64,
    malformed: u64,
    oversized: u64,
    controls: u64,
}

pub fn check_dashboard(data: &[u8]) {
    let mut core = DashboardCore::new(Options {
        connect: false,
        ..Options::default()
    })
    .expect("the default options are valid");
    let mut want = Expected::default();
    for frame in dashboard_frames(data) {
        match frame {
            None => dashboard_tick(&mut core, &want),
            Some(frame) => {
                let before = core.counts().clone();
                let pending = core.pending();
                core.ingest(&frame);
                let after = core.counts().clone();
                let kind = classify(&frame);
                want.frames += 1;
                let d_samples = after.samples.wrapping_sub(before.samples);
                let d_malformed = after.malformed.wrapping_sub(before.malformed);
                let d_oversized = after.oversized.wrapping_sub(before.oversized);
                let d_pending = core.pending().wrapping_sub(pending);
                // History the page already has is counted as known, not queued (and only history).
                let d_known = after.known.wrapping_sub(before.known);
                if d_known > 0 {
                    assert!(
                        matches!(
                            statscope::protocol::Message::decode(&frame),
                            Ok(Some(statscope::protocol::Message::Samples(s))) if s.history
                        ),
                        "{d_known} sample(s) counted as known from a frame that is not history"
                    );
                }
                let got = (
                    d_samples,
                    d_malformed,
                    d_oversized,
                    (d_pending as u64).wrapping_add(d_known),
                );
                let expected = match kind {
                    FrameKind::Oversized => {
                        want.oversized += 1;
                        (0, 0, 1, 0)
                    }
                    FrameKind::Control { bad, samples } => {
                        want.controls += 1;
                        want.malformed += u64::from(bad);
                        want.samples += samples as u64;
                        (samples as u64, u64::from(bad), 0, samples as u64)
                    }
                    FrameKind::Parsed { good, bad } => {
                        want.parsed_frames += 1;
                        want.samples += good as u64;
                        want.malformed += bad as u64;
                        (good as u64, bad as u64, 0, good as u64)
                    }
                };
                assert_eq!(
                    got, expected,
                    "frame classified {kind:?} moved (samples, malformed, oversized, pending + known) by {got:?}"
                );
                if let Some(e) = &after.last_error {
                    // 200 bytes of message plus the ellipsis, or the oversized message.
                    assert!(e.len() <= 200 + '…'.len_utf8() || kind == FrameKind::Oversized);
                }
                check_counts(&core, &want);
            }
        }
    }
    dashboard_tick(&mut core, &want);
}

fn check_counts(core: &DashboardCore, want: &Expected) {
    let c = core.counts();
    assert_eq!(c.frames, want.frames, "frames");
    assert_eq!(c.samples, want.samples, "samples");
    assert_eq!(c.malformed, want.malformed, "malformed");
    assert_eq!(c.oversized, want.oversized, "oversized");
    // Every frame is exactly one of: oversized, a control message, or parsed (its good objects
    // counted in `samples`, its bad ones in `malformed`).
    assert_eq!(
        c.frames,
        want.parsed_frames + c.oversized + want.controls,
        "frames != parsed frames + oversized + control messages"
    );
}

fn in_window(t: f64, (x0, x1): (f64, f64)) -> bool {
    x0 <= t && t <= x1
}

fn dashboard_tick(core: &mut DashboardCore, want: &Expected) {
    core.flush();
    assert_eq!(core.pending(), 0, "samples left pending after flush");
    check_engine_state(core.engine());
    let n = core.engine().len();

    let view = core.view(0);
    let (x0, x1) = view.x_range;
    assert!(
        x0.is_finite() && x1.is_finite() && x0 <= x1,
        "x_range {:?}",
        view.x_range
    );
    assert!(
        view.y_max.is_finite() && view.y_max > 0.0,
        "y_max {}",
        view.y_max
    );
    assert_eq!(view.series.len(), n, "one series per container");
    for s in &view.series {
        for seg in &s.segments {
            assert!(!seg.is_empty(), "an empty segment in {:?}", s.id);
            for &(t, v) in seg {
                assert!(v.is_finite() && v >= 0.0, "series {:?} value {v}", s.id);
                assert!(
                    v <= view.y_max,
                    "series {:?} value {v} above y_max {}",
                    s.id,
                    view.y_max
                );
                assert!(
                    in_window(t, view.x_range),
                    "series {:?} point at {t} outside {:?}",
                    s.id,
                    view.x_range
                );
            }
        }
    }

    let snapshot = core.snapshot();
    assert_eq!(
        snapshot.containers.len(),
        n,
        "one snapshot entry per container"
    );
    for c in &snapshot.containers {
        assert_eq!(
            (c.id.as_str(), c.host.as_str()),
            statscope::model::Sample::split_key(&c.key),
            "a snapshot's id and host are not its key's"
        );
        for &(t, v) in &c.cpu {
            assert!(v.is_finite() && v >= 0.0, "snapshot {:?} value {v}", c.id);
            assert!(
                in_window(t, view.x_range),
                "snapshot {:?} point at {t} outside {:?}",
                c.id,
                view.x_range
            );
        }
    }
    assert!(
        serde_json::to_string(&snapshot).is_ok(),
        "snapshot does not serialize"
    );

    let legend = core.legend().entries;
    assert_eq!(legend.len(), n, "one legend entry per container");
    for e in &legend {
        assert!(
            e.color.len() == 7
                && e.color.starts_with('#')
                && e.color[1..].bytes().all(|b| b.is_ascii_hexdigit()),
            "legend colour {:?}",
            e.color
        );
        if let Some(v) = e.cpu {
            assert!(v.is_finite() && v >= 0.0, "legend {:?} cpu {v}", e.id);
        }
        let stopped = core
            .engine()
            .get(&e.id)
            .map(|c| c.status() == Status::Stopped);
        assert_eq!(stopped, Some(e.stopped), "legend {:?} status", e.id);
    }
    // The three descriptions of the window list the same containers in the same (legend) order.
    let legend_ids: Vec<&str> = legend.iter().map(|e| e.id.as_str()).collect();
    let series_ids: Vec<&str> = view.series.iter().map(|s| s.id.as_str()).collect();
    // The snapshot names a container by its key too (`id` and `host` are its parts).
    let snapshot_ids: Vec<&str> = snapshot.containers.iter().map(|c| c.key.as_str()).collect();
    assert_eq!(legend_ids, series_ids, "legend and view disagree");
    assert_eq!(legend_ids, snapshot_ids, "legend and snapshot disagree");
    let distinct: BTreeSet<&str> = legend_ids.iter().copied().collect();
    assert_eq!(distinct.len(), legend_ids.len(), "a container listed twice");

    check_counts(core, want);
}

// ---------------------------------------------------------------------------------------------
// Target `rate_engine`: `RateEngine::update` fed with whatever parses. Each line that `parse_frame`
// accepts is one micro-batch; the rest is skipped. Run twice: the default configuration, and a tight
// one (3 points, 1 s TTLs, gap factor 1.5, Windows daemon, a wall clock 30 s ahead of the batch).

pub fn check_rate_engine(data: &[u8]) {
    let tight = EngineConfig {
        history_points: 3,
        gap_factor: 1.5,
        stopped_ttl_ns: 1_000_000_000,
        silent_ttl_ns: 1_000_000_000,
        daemon_os: OsType::Windows,
        ..EngineConfig::default()
    };
    for (config, wall_clock) in [(EngineConfig::default(), false), (tight, true)] {
        let mut engine = RateEngine::new(config);
        let mut fed = 0u64;
        for line in lines(data) {
            let Ok(batch) = parse_frame(&text(line)) else {
                continue;
            };
            let now = wall_clock
                .then(|| batch.iter().map(|s| s.read.unix_ns()).max())
                .flatten()
                .map(|ns| ns.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64)
                .map(|ns| ns.saturating_add(30_000_000_000));
            let points = engine.update(&batch, now);
            assert_eq!(points.len(), batch.len(), "not one point per sample");
            for (p, s) in points.iter().zip(&batch) {
                check_point(p);
                if s.read.is_zero() {
                    assert_eq!(p.flag, Flag::Stopped, "an empty sample gave {p:?}");
                }
            }
            fed += batch.len() as u64;
            assert_eq!(
                engine.counts().samples,
                fed,
                "the engine lost count of samples"
            );
            check_engine_state(&engine);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// `statscope stats` line handling, through the library functions it is made of.

/// What `statscope stats` must do with an input: its good samples, how many lines are bad, and the
/// exact json and csv output.
#[derive(Debug, Default)]
pub struct StatsLines {
    pub good: usize,
    /// 1-based numbers of the bad lines.
    pub bad: Vec<usize>,
    pub json: String,
    pub csv: String,
}

/// The harness's reading of `statscope stats`: split at `\n`; skip blank lines; a line that is not
/// UTF-8 is bad; a statscope message (by the rule: [`kind`]) is skipped, or bad when the protocol
/// module cannot read it; any other line that is not a stats object is bad; every other line is
/// one json line and one csv row.
pub fn stats_lines(data: &[u8], os: OsType) -> StatsLines {
    let mut out = StatsLines {
        csv: format!("{}\n", csv_header()),
        ..StatsLines::default()
    };
    let mut engine = RateEngine::new(EngineConfig {
        daemon_os: os,
        ..EngineConfig::default()
    });
    // `BufRead::split`: no line at all in an empty input, and no empty last line after a final `\n`.
    if data.is_empty() {
        return out;
    }
    let data = data.strip_suffix(b"\n").unwrap_or(data);
    for (index, line) in lines(data).enumerate() {
        let Ok(text) = std::str::from_utf8(line) else {
            out.bad.push(index + 1);
            continue;
        };
        if text.trim().is_empty() {
            continue;
        }
        match kind(text) {
            Kind::Message => continue,
            Kind::BadMessage => {
                out.bad.push(index + 1);
                continue;
            }
            Kind::Stats => {}
        }
        let parsed = Stats::from_json(text);
        check_stats_key_rule(text, parsed.is_ok());
        let Ok(sample) = parsed else {
            out.bad.push(index + 1);
            continue;
        };
        out.good += 1;
        check_figures(&sample, os);
        out.json.push_str(&docker_json_line(&sample, os));
        out.json.push('\n');
        let points = engine.update([&sample], None);
        assert_eq!(points.len(), 1, "not one point per sample");
        check_point(&points[0]);
        let mut row = String::new();
        csv_row(&mut row, &sample, &points[0]);
        assert_eq!(
            csv_records(&row),
            vec![CSV_FIELDS],
            "a csv row that is not one record of {CSV_FIELDS} fields: {row:?}"
        );
        out.csv.push_str(&row);
    }
    check_engine_state(&engine);
    out
}

/// The number of fields of each record of an RFC 4180 text (quoted fields may hold line breaks).
pub fn csv_records(text: &str) -> Vec<usize> {
    let mut records = Vec::new();
    let (mut fields, mut quoted, mut in_record) = (1usize, false, false);
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => fields += 1,
            '\n' if !quoted => {
                records.push(fields);
                fields = 1;
                in_record = false;
                continue;
            }
            _ => {}
        }
        in_record = true;
    }
    if in_record {
        records.push(fields);
    }
    records
}

/// Target `stats_cmd`'s library half (the regression test runs this one; the fuzz target also runs
/// the real `stats_cmd::run` and compares): the json and csv outputs have one line/record per good
/// line.
pub fn check_stats_lines(data: &[u8]) {
    for os in [OsType::Linux, OsType::Windows] {
        let want = stats_lines(data, os);
        assert_eq!(
            want.json.lines().count(),
            want.good,
            "json lines != good lines"
        );
        let records = csv_records(&want.csv);
        assert_eq!(
            records.len(),
            want.good + 1,
            "csv records != good lines + header"
        );
        assert!(
            records.iter().all(|&n| n == CSV_FIELDS),
            "csv field counts {records:?}"
        );
    }
}

/// The page's frame size limit, exactly at its edge: a stats object padded to `MAX_FRAME_BYTES` is
/// taken, one byte more is refused unparsed, and the counters add up (run once by the regression
/// test; the `dashboard` target only makes frames over the limit).
pub fn check_frame_size_limit() {
    let object = r#"{"id":"a","name":"/a","read":"2026-11-24T02:23:00Z"}"#;
    for (extra, oversized) in [(0usize, false), (1, true)] {
        let mut frame = String::from("{");
        frame.push_str(&" ".repeat(MAX_FRAME_BYTES + extra - object.len()));
        frame.push_str(&object[1..]);
        assert_eq!(frame.len(), MAX_FRAME_BYTES + extra);
        let mut core = DashboardCore::new(Options {
            connect: false,
            ..Options::default()
        })
        .expect("the default options are valid");
        core.ingest(&frame);
        let c = core.counts();
        assert_eq!(
            (c.frames, c.samples, c.oversized, c.malformed),
            (1, u64::from(!oversized), u64::from(oversized), 0),
            "a frame of {} bytes",
            frame.len()
        );
        assert_eq!(classify(&frame) == FrameKind::Oversized, oversized);
        dashboard_tick(
            &mut core,
            &Expected {
                frames: 1,
                parsed_frames: u64::from(!oversized),
                samples: u64::from(!oversized),
                oversized: u64::from(oversized),
                ..Expected::default()
            },
        );
    }
}

/// A check of one input.
pub type Check = fn(&[u8]);

/// Every check, in the order of the fuzz targets (what the regression test runs on each file).
pub const ALL: &[(&str, Check)] = &[
    ("stats_from_json", check_from_json),
    ("parse_frame", check_parse_frame),
    ("dashboard", check_dashboard),
    ("rate_engine", check_rate_engine),
    ("stats_cmd (library)", check_stats_lines),
];
