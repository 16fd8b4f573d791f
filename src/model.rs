//! The Docker Engine stats object (`GET /containers/{id}/stats`), as `serde` types.
//!
//! One [`Stats`] is one JSON object of the stats stream, Linux (cgroup v1 or v2) or Windows. The types
//! follow Go's encoding rules, so they are tolerant in the same places Docker is loose:
//! a missing key is zero or empty, `null` lists and maps are empty, `{}` objects are all-zero structs,
//! `u64` counters are parsed as integers (exact up to 2^64−1, never through `f64`), and timestamps are
//! RFC 3339 with 0–9 fraction digits and `Z` or a `±hh:mm` offset. Unknown keys are ignored.
//!
//! Bad input (not JSON, the wrong shape, a negative or fractional counter, a bad timestamp) is a
//! [`ParseError`] with a message that says where and what — never a panic.
//!
//! This module does no I/O and reads no clock: time comes only from the samples' `read` fields.
//! What the figures mean, and how the docker CLI computes its columns, lives in [`crate::figures`].

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer};
use serde::Deserialize;

/// A point in time, as Go's `time.Time` carries it in the stats JSON: nanoseconds since the Unix epoch,
/// in UTC. Go's zero time (`0001-01-01T00:00:00Z`) is [`Timestamp::ZERO`]; Docker sends it in the empty
/// samples of a stopped container and as the `preread` of the first object of a stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    unix_ns: i128,
}

/// Seconds from 0001-01-01T00:00:00Z to 1970-01-01T00:00:00Z.
const GO_ZERO_UNIX_S: i128 = -62_135_596_800;

impl Timestamp {
    /// Go's zero `time.Time`, `0001-01-01T00:00:00Z`.
    pub const ZERO: Timestamp = Timestamp {
        unix_ns: GO_ZERO_UNIX_S * 1_000_000_000,
    };

    /// A timestamp from nanoseconds since the Unix epoch.
    pub const fn from_unix_ns(unix_ns: i128) -> Self {
        Timestamp { unix_ns }
    }

    /// Nanoseconds since the Unix epoch (negative before 1970; Go's zero time is about −6.2e19).
    pub const fn unix_ns(self) -> i128 {
        self.unix_ns
    }

    /// Milliseconds since the Unix epoch, as a float (what a chart's time axis uses).
    pub fn unix_ms(self) -> f64 {
        self.unix_ns as f64 / 1e6
    }

    /// Is this Go's zero time, i.e. "no timestamp"?
    pub const fn is_zero(self) -> bool {
        self.unix_ns == Self::ZERO.unix_ns
    }

    /// `self − earlier` in nanoseconds, saturating at the `i64` range exactly as Go's `Time.Sub` does.
    pub fn go_sub_ns(self, earlier: Timestamp) -> i64 {
        let d = self.unix_ns - earlier.unix_ns;
        d.clamp(i64::MIN as i128, i64::MAX as i128) as i64
    }

    /// Parses RFC 3339 (`2024-05-01T10:00:00.123456789Z`, `…-08:00`; 0–9 fraction digits).
    pub fn parse_rfc3339(text: &str) -> Result<Self, String> {
        let t = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
            .map_err(|e| format!("invalid RFC 3339 timestamp {text:?}: {e}"))?;
        Ok(Timestamp {
            unix_ns: t.unix_timestamp_nanos(),
        })
    }

    /// Formats as Go's `time.RFC3339Nano` in UTC: the fraction's trailing zeros trimmed, none when zero.
    pub fn to_rfc3339(self) -> String {
        let secs = self.unix_ns.div_euclid(1_000_000_000);
        let nanos = self.unix_ns.rem_euclid(1_000_000_000) as u32;
        let Ok(secs) = i64::try_from(secs) else {
            return format!("<out of range: {} ns>", self.unix_ns);
        };
        let Ok(t) = time::OffsetDateTime::from_unix_timestamp(secs) else {
            return format!("<out of range: {} ns>", self.unix_ns);
        };
        let mut out = format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        );
        if nanos != 0 {
            let frac = format!("{nanos:09}");
            out.push('.');
            out.push_str(frac.trim_end_matches('0'));
        }
        out.push('Z');
        out
    }
}

impl Default for Timestamp {
    fn default() -> Self {
        Timestamp::ZERO
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text: Option<std::borrow::Cow<'de, str>> = Deserialize::deserialize(d)?;
        match text {
            None => Ok(Timestamp::ZERO),
            Some(text) => Timestamp::parse_rfc3339(&text).map_err(de::Error::custom),
        }
    }
}

/// `null` → `T::default()`; otherwise `T` as usual. Go encodes nil lists and maps as `null`.
fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A struct that must come as a JSON object. Serde's derived structs also accept an array (fields by
/// position); Docker never sends one, so here an array is the wrong shape and an error.
struct MapOnly<T>(T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for MapOnly<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> de::Visitor<'de> for Visit<T> {
            type Value = MapOnly<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map)).map(MapOnly)
            }
        }
        d.deserialize_map(Visit(std::marker::PhantomData))
    }
}

/// A struct field: a JSON object, or `null` for an empty one.
fn object_or_null<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<MapOnly<T>>::deserialize(d)?.map_or_else(T::default, |m| m.0))
}

/// A list of structs: each element a JSON object; `null` for an empty list.
fn objects_or_null<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    let list = Option::<Vec<MapOnly<T>>>::deserialize(d)?.unwrap_or_default();
    Ok(list.into_iter().map(|m| m.0).collect())
}

/// A map of structs: each value a JSON object; `null` for an empty map.
fn object_map_or_null<'de, D, T>(d: D) -> Result<BTreeMap<String, T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    let map = Option::<BTreeMap<String, MapOnly<T>>>::deserialize(d)?.unwrap_or_default();
    Ok(map.into_iter().map(|(k, m)| (k, m.0)).collect())
}

/// The operating system whose formulas apply to a sample (the docker CLI branches on the daemon's OS).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum OsType {
    /// Linux: CPU in ns with `system_cpu_usage`, memory from `memory_stats.usage`.
    #[default]
    Linux,
    /// Windows: CPU in 100 ns units over `read − preread` × `num_procs`, private working set.
    Windows,
}

impl std::str::FromStr for OsType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "linux" => Ok(OsType::Linux),
            "windows" => Ok(OsType::Windows),
            other => Err(format!(
                "unknown OS type {other:?} (expected linux or windows)"
            )),
        }
    }
}

/// One Docker Engine stats object. Field names are Docker's JSON keys.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Stats {
    /// Full container ID (64 hex).
    pub id: String,
    /// Container name with Docker's leading `/`.
    pub name: String,
    /// `"linux"` / `"windows"`: only from API 1.52 (Docker 29) on; empty otherwise.
    pub os_type: String,
    /// When this sample was collected; [`Timestamp::ZERO`] in a stopped container's empty samples.
    pub read: Timestamp,
    /// The `read` of the previous object on the same response stream; zero on a stream's first object.
    pub preread: Timestamp,
    #[serde(deserialize_with = "object_or_null")]
    pub cpu_stats: CpuStats,
    /// `cpu_stats` of the previous object on this stream; all zero on a stream's first object.
    #[serde(deserialize_with = "object_or_null")]
    pub precpu_stats: CpuStats,
    #[serde(deserialize_with = "object_or_null")]
    pub memory_stats: MemoryStats,
    /// Interface name → counters. Absent when the container has no interfaces or is not running.
    #[serde(deserialize_with = "object_map_or_null")]
    pub networks: BTreeMap<String, NetworkStats>,
    #[serde(deserialize_with = "object_or_null")]
    pub pids_stats: PidsStats,
    #[serde(deserialize_with = "object_or_null")]
    pub blkio_stats: BlkioStats,
    /// Windows only: the number of logical processors. 0 on Linux.
    #[serde(deserialize_with = "null_as_default")]
    pub num_procs: u32,
    #[serde(deserialize_with = "object_or_null")]
    pub storage_stats: StorageStats,
}

/// `cpu_stats` / `precpu_stats`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct CpuStats {
    #[serde(deserialize_with = "object_or_null")]
    pub cpu_usage: CpuUsage,
    /// Linux: host CPU time in ns (a multiple of 1e7). Absent (0) on Windows.
    #[serde(deserialize_with = "null_as_default")]
    pub system_cpu_usage: u64,
    /// Linux: online host CPUs (API ≥ 1.27). 0 when absent.
    #[serde(deserialize_with = "null_as_default")]
    pub online_cpus: u32,
    #[serde(deserialize_with = "object_or_null")]
    pub throttling_data: ThrottlingData,
}

/// `cpu_stats.cpu_usage`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct CpuUsage {
    /// Cumulative container CPU time: ns on Linux, 100 ns units on Windows.
    #[serde(deserialize_with = "null_as_default")]
    pub total_usage: u64,
    /// cgroup v1 only: ns per possible CPU.
    #[serde(deserialize_with = "null_as_default")]
    pub percpu_usage: Vec<u64>,
    #[serde(deserialize_with = "null_as_default")]
    pub usage_in_kernelmode: u64,
    #[serde(deserialize_with = "null_as_default")]
    pub usage_in_usermode: u64,
}

/// `cpu_stats.throttling_data` (Linux CFS).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ThrottlingData {
    #[serde(deserialize_with = "null_as_default")]
    pub periods: u64,
    #[serde(deserialize_with = "null_as_default")]
    pub throttled_periods: u64,
    #[serde(deserialize_with = "null_as_default")]
    pub throttled_time: u64,
}

/// `memory_stats`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct MemoryStats {
    #[serde(deserialize_with = "null_as_default")]
    pub usage: u64,
    #[serde(deserialize_with = "null_as_default")]
    pub max_usage: u64,
    #[serde(deserialize_with = "null_as_default")]
    pub failcnt: u64,
    /// The limit in bytes; host RAM when the container is unlimited; 0 when the daemon has no data.
    #[serde(deserialize_with = "null_as_default")]
    pub limit: u64,
    /// `memory.stat`: the keys differ between cgroup v1 and v2; the map is open.
    #[serde(deserialize_with = "null_as_default")]
    pub stats: BTreeMap<String, u64>,
    /// Windows only.
    #[serde(deserialize_with = "null_as_default")]
    pub commitbytes: u64,
    /// Windows only.
    #[serde(deserialize_with = "null_as_default")]
    pub commitpeakbytes: u64,
    /// Windows only: what the docker CLI shows as memory.
    #[serde(deserialize_with = "null_as_default")]
    pub privateworkingset: u64,
}

/// `networks.<interface>`: cumulative since the interface was created (per container start).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct NetworkStats {
    #[serde(deserialize_with = "null_as_default")]
    pub rx_bytes: u64,
    #[serde(deserialize_with = "null_as_default")]
    pub rx_packets: u64,
    #[serde(deserialize_with = "null_as_default")]
    pub rx_errors: u64,
    #[serde(deserialize_with = "null_as_default")]
    pub rx_dropped: u64,
    #[serde(deserialize_with = "null_as_default")]
    pub tx_bytes: u64,
    #[serde(deserialize_with = "null_as_default")]
    pub tx_packets: u64,
    #[serde(deserialize_with = "null_as_default")]
    pub tx_errors: u64,
    #[serde(deserialize_with = "null_as_default")]
    pub tx_dropped: u64,
}

/// `pids_stats`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct PidsStats {
    #[serde(deserialize_with = "null_as_default")]
    pub current: u64,
    /// 0 = unlimited on cgroup v1; 2^64−1 = unlimited on cgroup v2.
    #[serde(deserialize_with = "null_as_default")]
    pub limit: u64,
}

/// `blkio_stats`: eight lists; the docker CLI reads only `io_service_bytes_recursive`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct BlkioStats {
    #[serde(deserialize_with = "objects_or_null")]
    pub io_service_bytes_recursive: Vec<BlkioEntry>,
    #[serde(deserialize_with = "objects_or_null")]
    pub io_serviced_recursive: Vec<BlkioEntry>,
    #[serde(deserialize_with = "objects_or_null")]
    pub io_queue_recursive: Vec<BlkioEntry>,
    #[serde(deserialize_with = "objects_or_null")]
    pub io_service_time_recursive: Vec<BlkioEntry>,
    #[serde(deserialize_with = "objects_or_null")]
    pub io_wait_time_recursive: Vec<BlkioEntry>,
    #[serde(deserialize_with = "objects_or_null")]
    pub io_merged_recursive: Vec<BlkioEntry>,
    #[serde(deserialize_with = "objects_or_null")]
    pub io_time_recursive: Vec<BlkioEntry>,
    #[serde(deserialize_with = "objects_or_null")]
    pub sectors_recursive: Vec<BlkioEntry>,
}

/// One `{major, minor, op, value}` entry of a blkio list.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct BlkioEntry {
    #[serde(deserialize_with = "null_as_default")]
    pub major: u64,
    #[serde(deserialize_with = "null_as_default")]
    pub minor: u64,
    /// v1: `Read`, `Write`, `Sync`, …; v2: `read`, `write`; `""` for sector and time lines.
    #[serde(deserialize_with = "null_as_default")]
    pub op: String,
    #[serde(deserialize_with = "null_as_default")]
    pub value: u64,
}

/// `storage_stats`: Windows only (block I/O there).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct StorageStats {
    #[serde(deserialize_with = "null_as_default")]
    pub read_count_normalized: u64,
    #[serde(deserialize_with = "null_as_default")]
    pub read_size_bytes: u64,
    #[serde(deserialize_with = "null_as_default")]
    pub write_count_normalized: u64,
    #[serde(deserialize_with = "null_as_default")]
    pub write_size_bytes: u64,
}

/// Why a stats object (or a frame of them) could not be read.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// Not JSON, or JSON of the wrong shape; the message says where (line and column) and what.
    #[error("not a Docker stats object: {0}")]
    Json(String),
    /// A frame that is neither one object nor an array of objects.
    #[error("a frame must be a stats object or an array of them, found {0}")]
    FrameShape(&'static str),
}

impl From<serde_json::Error> for ParseError {
    fn from(e: serde_json::Error) -> Self {
        ParseError::Json(e.to_string())
    }
}

impl Stats {
    /// Parses one stats object (one line of the stats stream).
    pub fn from_json(text: &str) -> Result<Stats, ParseError> {
        let text = text.trim();
        match text.as_bytes().first() {
            Some(b'{') => Ok(serde_json::from_str::<MapOnly<Stats>>(text)?.0),
            Some(b'[') => Err(ParseError::FrameShape("an array (expected one object)")),
            None => Err(ParseError::FrameShape("an empty text")),
            Some(_) => Ok(serde_json::from_str::<MapOnly<Stats>>(text)?.0),
        }
    }

    /// The container name as the docker CLI prints it: Docker's leading `/` removed; `--` when empty.
    pub fn display_name(&self) -> &str {
        let mut chars = self.name.chars();
        match chars.next() {
            Some(_) if self.name.len() > 1 => chars.as_str(),
            _ => "--",
        }
    }

    /// Is this an "empty" sample (`read` is the zero time): the container is stopped or restarting.
    pub fn is_empty_sample(&self) -> bool {
        self.read.is_zero()
    }

    /// The OS whose formulas apply: `os_type` when the sample has it, else `fallback` (the daemon's).
    pub fn os(&self, fallback: OsType) -> OsType {
        match self.os_type.as_str() {
            "windows" => OsType::Windows,
            "linux" => OsType::Linux,
            _ => fallback,
        }
    }
}

/// A frame read object by object: the stats that parsed, and an error for each element that did not.
#[derive(Debug, Default)]
pub struct FrameParse {
    pub samples: Vec<Stats>,
    pub errors: Vec<ParseError>,
}

/// Parses a frame leniently: an array's elements are read one by one, so one bad object (wrong
/// shape, a counter out of range) costs only itself. A frame that is not JSON at all is one error.
pub fn parse_frame_lenient(text: &str) -> FrameParse {
    let trimmed = text.trim();
    if !trimmed.starts_with('[') {
        return match parse_frame(trimmed) {
            Ok(samples) => FrameParse {
                samples,
                errors: Vec::new(),
            },
            Err(e) => FrameParse {
                samples: Vec::new(),
                errors: vec![e],
            },
        };
    }
    let elements: Vec<&serde_json::value::RawValue> = match serde_json::from_str(trimmed) {
        Ok(elements) => elements,
        Err(e) => {
            return FrameParse {
                samples: Vec::new(),
                errors: vec![e.into()],
            }
        }
    };
    let mut out = FrameParse {
        samples: Vec::with_capacity(elements.len()),
        errors: Vec::new(),
    };
    for element in elements {
        let raw = element.get();
        let parsed = if raw.starts_with('{') {
            serde_json::from_str::<MapOnly<Stats>>(raw)
                .map(|m| m.0)
                .map_err(ParseError::from)
        } else {
            Err(ParseError::FrameShape(
                "an array element that is not an object",
            ))
        };
        match parsed {
            Ok(s) => out.samples.push(s),
            Err(e) => out.errors.push(e),
        }
    }
    out
}

/// Parses a WebSocket frame or any text holding stats objects: one object, or a JSON array of them.
/// Strict: any bad element fails the whole frame (see [`parse_frame_lenient`]).
pub fn parse_frame(text: &str) -> Result<Vec<Stats>, ParseError> {
    let text = text.trim();
    match text.as_bytes().first() {
        Some(b'[') => Ok(serde_json::from_str::<Vec<MapOnly<Stats>>>(text)?
            .into_iter()
            .map(|m| m.0)
            .collect()),
        Some(b'{') => Ok(vec![serde_json::from_str::<MapOnly<Stats>>(text)?.0]),
        None => Err(ParseError::FrameShape("an empty text")),
        Some(_) => match serde_json::from_str::<serde::de::IgnoredAny>(text) {
            Ok(_) => Err(ParseError::FrameShape("a JSON scalar")),
            Err(e) => Err(e.into()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_parse_every_fraction_length_and_offset() {
        let base = Timestamp::parse_rfc3339("2024-05-01T10:00:00Z").unwrap();
        for (text, extra_ns) in [
            ("2024-05-01T10:00:00.5Z", 500_000_000),
            ("2024-05-01T10:00:00.01020304Z", 10_203_040),
            ("2024-05-01T10:00:00.123456789Z", 123_456_789),
            ("2024-05-01T02:00:00.1234567-08:00", 123_456_700),
        ] {
            let t = Timestamp::parse_rfc3339(text).unwrap();
            assert_eq!(t.unix_ns() - base.unix_ns(), extra_ns, "{text}");
        }
        assert!(Timestamp::parse_rfc3339("0001-01-01T00:00:00Z")
            .unwrap()
            .is_zero());
        assert!(Timestamp::parse_rfc3339("yesterday").is_err());
    }

    #[test]
    fn timestamps_format_like_go_rfc3339nano() {
        for text in [
            "2024-05-01T10:00:00Z",
            "2024-05-01T10:00:00.5Z",
            "2024-05-01T10:00:00.01020304Z",
            "0001-01-01T00:00:00Z",
        ] {
            assert_eq!(Timestamp::parse_rfc3339(text).unwrap().to_rfc3339(), text);
        }
        let local = Timestamp::parse_rfc3339("2024-05-01T02:00:00.1234567-08:00").unwrap();
        assert_eq!(local.to_rfc3339(), "2024-05-01T10:00:00.1234567Z");
    }

    #[test]
    fn go_sub_saturates_like_time_sub() {
        let t = Timestamp::parse_rfc3339("2024-05-01T10:00:00Z").unwrap();
        assert_eq!(t.go_sub_ns(Timestamp::ZERO), i64::MAX);
        assert_eq!(Timestamp::ZERO.go_sub_ns(t), i64::MIN);
        assert_eq!(t.go_sub_ns(t), 0);
    }

    #[test]
    fn missing_null_and_empty_all_mean_zero() {
        let s = Stats::from_json(
            r#"{"read":"0001-01-01T00:00:00Z","cpu_stats":{},"precpu_stats":null,
               "memory_stats":{},"blkio_stats":{"io_service_bytes_recursive":null,"sectors_recursive":[]},
               "pids_stats":{},"networks":null,"num_procs":0,"storage_stats":{}}"#,
        )
        .unwrap();
        assert_eq!(s, Stats::default());
        assert!(s.is_empty_sample());
        assert_eq!(Stats::from_json("{}").unwrap(), Stats::default());
    }

    #[test]
    fn u64_counters_are_exact_near_2_pow_64() {
        let s = Stats::from_json(
            r#"{"pids_stats":{"current":3,"limit":18446744073709551615},
               "cpu_stats":{"system_cpu_usage":18446744073709551610,"cpu_usage":{"total_usage":9007199254740993}}}"#,
        )
        .unwrap();
        assert_eq!(s.pids_stats.limit, u64::MAX);
        assert_eq!(s.cpu_stats.system_cpu_usage, u64::MAX - 5);
        assert_eq!(s.cpu_stats.cpu_usage.total_usage, (1u64 << 53) + 1);
    }

    #[test]
    fn bad_input_is_a_clear_error() {
        for (text, needle) in [
            ("not json", "expected"),
            (
                r#"{"cpu_stats":{"system_cpu_usage":-5}}"#,
                "system_cpu_usage",
            ),
            (r#"{"cpu_stats":{"online_cpus":1.5}}"#, "online_cpus"),
            (r#"{"read":"yesterday"}"#, "RFC 3339"),
            (r#"{"cpu_stats": 7}"#, "cpu_stats"),
            ("[]", "array"),
            ("", "empty"),
        ] {
            let err = Stats::from_json(text).unwrap_err().to_string();
            assert!(
                err.contains(needle) || err.contains("invalid"),
                "{text:?} gave {err:?}"
            );
        }
    }

    #[test]
    fn frames_hold_one_object_or_an_array() {
        assert_eq!(parse_frame(r#"{"id":"a"}"#).unwrap().len(), 1);
        let two = parse_frame(r#"[{"id":"a"},{"id":"b"}]"#).unwrap();
        assert_eq!((two[0].id.as_str(), two[1].id.as_str()), ("a", "b"));
        assert_eq!(
            parse_frame("42").unwrap_err(),
            ParseError::FrameShape("a JSON scalar")
        );
        assert!(matches!(parse_frame("[1]"), Err(ParseError::Json(_))));
        assert!(matches!(parse_frame("{"), Err(ParseError::Json(_))));
    }

    #[test]
    fn a_lenient_frame_keeps_the_good_objects() {
        let f = parse_frame_lenient(r#"[{"id":"a"}, {"cpu_stats": 7}, 5, {"id":"b"}]"#);
        assert_eq!(
            f.samples.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
            ["a", "b"]
        );
        assert_eq!(f.errors.len(), 2);
        assert_eq!(parse_frame_lenient(r#"{"id":"a"}"#).samples.len(), 1);
        let broken = parse_frame_lenient(r#"[{"id":"a"}, {"#);
        assert_eq!((broken.samples.len(), broken.errors.len()), (0, 1));
        assert_eq!(parse_frame_lenient("7").errors.len(), 1);
    }

    #[test]
    fn arrays_are_never_read_as_structs() {
        // Serde's derive would read these positionally; Docker never sends them: wrong shape.
        for text in [
            r#"{"cpu_stats":[[7,[1,2]],9]}"#,
            r#"{"memory_stats":[4096]}"#,
            r#"{"blkio_stats":{"io_service_bytes_recursive":[[8,0,"Read",10]]}}"#,
            r#"{"networks":{"eth0":[1,2]}}"#,
            r#"{"cpu_stats":{"cpu_usage":[5]}}"#,
        ] {
            assert!(Stats::from_json(text).is_err(), "{text}");
        }
        assert!(parse_frame("[[]]").is_err());
        assert_eq!(parse_frame_lenient("[[], {}]").errors.len(), 1);
        // null still means empty.
        assert!(Stats::from_json(r#"{"cpu_stats":null,"networks":null}"#).is_ok());
    }

    #[test]
    fn names_lose_the_leading_slash() {
        let mut s = Stats {
            name: "/redis-cache".into(),
            ..Stats::default()
        };
        assert_eq!(s.display_name(), "redis-cache");
        s.name = "/".into();
        assert_eq!(s.display_name(), "--");
        s.name.clear();
        assert_eq!(s.display_name(), "--");
    }
}
