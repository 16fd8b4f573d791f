//! The Docker Engine stats object (`GET /containers/{id}/stats`), as `serde` types that keep only what
//! statscope reads.
//!
//! One [`Stats`] is one JSON object of the stats stream, Linux (cgroup v1 or v2) or Windows. The types
//! follow Go's encoding rules, so they are tolerant in the same places Docker is loose:
//! a missing key is zero or empty, `null` lists and maps are empty, `{}` objects are all-zero structs,
//! `u64` counters are parsed as integers (exact up to 2^64−1, never through `f64`), and timestamps are
//! RFC 3339 with 0–9 fraction digits and `Z` or a `±hh:mm` offset. Unknown keys are ignored.
//!
//! Lean, not loose: every known key is still checked as strictly as a full model would check it (a
//! counter must be an unsigned integer, a nested struct a JSON object or `null`, never an array), but
//! what no figure needs is not kept. A sample allocates only its ID and name: `memory_stats.stats`
//! (~30 keys) keeps its two `inactive_file` keys, `networks` and the blkio lists are summed while
//! they are read (only `io_service_bytes_recursive` counts), `percpu_usage` keeps its length, and
//! `os_type` and the timestamps are read without copying.
//!
//! Two readers, one meaning: the serde model above is the reference, and every error comes from it.
//! A common, well-formed object (no escapes, plain unsigned counters) is first read by a small
//! hand-written scanner (`fast`, ~2× faster in WebAssembly) that builds the same [`Stats`] and gives
//! up on anything else; the serde model then reads the text. `tests/model_fast.rs` checks that the
//! two agree.
//!
//! Bad input (not JSON, the wrong shape, a negative or fractional counter, a bad timestamp) is a
//! [`ParseError`] with a message that says where and what — never a panic.
//!
//! This module does no I/O and reads no clock: time comes only from the samples' `read` fields.
//! What the figures mean, and how the docker CLI computes its columns, lives in [`crate::figures`].

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
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

const NS_PER_S: i128 = 1_000_000_000;
const S_PER_DAY: i64 = 86_400;

/// The range [`Timestamp::to_rfc3339`] spells: years −9999 to 9999, as the `time` crate did.
const MIN_FORMATTED_S: i64 = days_from_civil(-9999, 1, 1) * S_PER_DAY;
const MAX_FORMATTED_S: i64 = days_from_civil(9999, 12, 31) * S_PER_DAY + S_PER_DAY - 1;

impl Timestamp {
    /// Go's zero `time.Time`, `0001-01-01T00:00:00Z`.
    pub const ZERO: Timestamp = Timestamp {
        unix_ns: GO_ZERO_UNIX_S * NS_PER_S,
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
    ///
    /// The grammar of the `time` crate's `Rfc3339` parser, which statscope used before (a test
    /// compares the two): `YYYY-MM-DD`, any one byte, `hh:mm:ss`, an optional `.` and one or more
    /// digits (those after the ninth ignored), then `Z`, `z` or `±hh:mm` (hours ≤ 23, minutes ≤ 59).
    /// Calendar dates only; second 60 is a leap second, read as `:59.999999999`, and only where one
    /// can be (23:59:60 UTC on a month's last day).
    pub fn parse_rfc3339(text: &str) -> Result<Self, String> {
        rfc3339_unix_ns(text.as_bytes())
            .map(Timestamp::from_unix_ns)
            .map_err(|what| format!("invalid RFC 3339 timestamp {text:?}: {what}"))
    }

    /// Formats as Go's `time.RFC3339Nano` in UTC: the fraction's trailing zeros trimmed, none when zero.
    pub fn to_rfc3339(self) -> String {
        let secs = self.unix_ns.div_euclid(NS_PER_S);
        let nanos = self.unix_ns.rem_euclid(NS_PER_S) as u32;
        let secs = match i64::try_from(secs) {
            Ok(s) if (MIN_FORMATTED_S..=MAX_FORMATTED_S).contains(&s) => s,
            _ => return format!("<out of range: {} ns>", self.unix_ns),
        };
        let (year, month, day) = civil_from_days(secs.div_euclid(S_PER_DAY));
        let in_day = secs.rem_euclid(S_PER_DAY);
        let mut out = format!(
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
            in_day / 3600,
            in_day / 60 % 60,
            in_day % 60
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
    /// A string, or `null` for Go's zero time; the text is read in place, not copied.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> Visitor<'de> for Visit {
            type Value = Timestamp;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an RFC 3339 timestamp")
            }
            fn visit_none<E: de::Error>(self) -> Result<Timestamp, E> {
                Ok(Timestamp::ZERO)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Timestamp, D::Error> {
                d.deserialize_str(self)
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Timestamp, E> {
                Timestamp::parse_rfc3339(text).map_err(E::custom)
            }
        }
        d.deserialize_option(Visit)
    }
}

/// Days from 1970-01-01 to a date of the proleptic Gregorian calendar (H. Hinnant's `days_from_civil`).
const fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date `days` after 1970-01-01 (the inverse of [`days_from_civil`]).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

const fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// RFC 3339 text → ns since the Unix epoch (see [`Timestamp::parse_rfc3339`]); the error says what.
fn rfc3339_unix_ns(b: &[u8]) -> Result<i128, &'static str> {
    fn number(b: &[u8], at: usize, len: usize, what: &'static str) -> Result<u32, &'static str> {
        let digits = b.get(at..at + len).ok_or(what)?;
        digits.iter().try_fold(0, |n, &c| {
            if c.is_ascii_digit() {
                Ok(n * 10 + u32::from(c - b'0'))
            } else {
                Err(what)
            }
        })
    }
    fn literal(b: &[u8], at: usize, c: u8) -> Result<(), &'static str> {
        match b.get(at) {
            Some(&x) if x == c => Ok(()),
            _ => Err("a separator is missing or wrong"),
        }
    }
    let year = i64::from(number(b, 0, 4, "no 4-digit year")?);
    literal(b, 4, b'-')?;
    let month = number(b, 5, 2, "no 2-digit month")?;
    literal(b, 7, b'-')?;
    let day = number(b, 8, 2, "no 2-digit day")?;
    // Byte 10 separates date and time: `T` by the RFC, but any byte is accepted (as `time` did).
    let hour = number(b, 11, 2, "no 2-digit hour")?;
    literal(b, 13, b':')?;
    let minute = number(b, 14, 2, "no 2-digit minute")?;
    literal(b, 16, b':')?;
    let second = number(b, 17, 2, "no 2-digit second")?;
    let mut at = 19;
    let mut nanos = 0;
    if b.get(at) == Some(&b'.') {
        at += 1;
        let first = at;
        let mut scale = 100_000_000;
        while let Some(&c) = b.get(at).filter(|c| c.is_ascii_digit()) {
            nanos += u32::from(c - b'0') * scale;
            scale /= 10;
            at += 1;
        }
        if at == first {
            return Err("no digit after the decimal point");
        }
    }
    let offset_s = match b.get(at) {
        Some(b'Z' | b'z') => {
            at += 1;
            0
        }
        Some(&sign @ (b'+' | b'-')) => {
            let h = number(b, at + 1, 2, "no 2-digit offset hour")?;
            literal(b, at + 3, b':')?;
            let m = number(b, at + 4, 2, "no 2-digit offset minute")?;
            if h > 23 || m > 59 {
                return Err("offset out of range");
            }
            at += 6;
            let s = i64::from(h * 3600 + m * 60);
            if sign == b'-' {
                -s
            } else {
                s
            }
        }
        _ => return Err("no offset (Z or ±hh:mm)"),
    };
    if at != b.len() {
        return Err("unexpected characters after the offset");
    }
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return Err("no such date");
    }
    if hour > 23 || minute > 59 || second > 60 {
        return Err("time of day out of range");
    }
    let leap = second == 60;
    let (second, nanos) = if leap {
        (59, 999_999_999)
    } else {
        (second, nanos)
    };
    let unix_s = days_from_civil(year, month, day) * S_PER_DAY
        + i64::from(hour * 3600 + minute * 60 + second)
        - offset_s;
    if leap {
        // A leap second ends a month in UTC.
        let (y, m, d) = civil_from_days(unix_s.div_euclid(S_PER_DAY));
        let last_of_month = d == days_in_month(y, m) && (-9999..=9999).contains(&y);
        if unix_s.rem_euclid(S_PER_DAY) != S_PER_DAY - 1 || !last_of_month {
            return Err("a leap second not at the end of a UTC month");
        }
    }
    Ok(i128::from(unix_s) * NS_PER_S + i128::from(nanos))
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
        impl<'de, T: Deserialize<'de>> Visitor<'de> for Visit<T> {
            type Value = MapOnly<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
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

/// A JSON string read without copying it when it has no escapes (serde's own `Cow<str>` always copies).
struct Text<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> Visitor<'de> for Visit {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Borrowed(s)))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(s.to_owned())))
            }
        }
        d.deserialize_str(Visit)
    }
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

/// `os_type`: a string (not `null`); `linux` and `windows` are known, any other value is `None`.
fn os_type<'de, D: Deserializer<'de>>(d: D) -> Result<Option<OsType>, D::Error> {
    struct Visit;
    impl Visitor<'_> for Visit {
        type Value = Option<OsType>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string")
        }
        fn visit_str<E: de::Error>(self, s: &str) -> Result<Option<OsType>, E> {
            Ok(s.parse().ok())
        }
    }
    d.deserialize_str(Visit)
}

/// One Docker Engine stats object. Field names are Docker's JSON keys.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Stats {
    /// Full container ID (64 hex).
    pub id: String,
    /// Container name with Docker's leading `/`.
    pub name: String,
    /// `"linux"` / `"windows"`: only from API 1.52 (Docker 29) on. `None` when absent (or another OS).
    #[serde(deserialize_with = "os_type")]
    pub os_type: Option<OsType>,
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
    /// Every interface's counters, summed. Absent when the container has no interfaces or is not running.
    #[serde(deserialize_with = "null_as_default")]
    pub networks: NetworkTotals,
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
    /// cgroup v1 only: how many counters `percpu_usage` (ns per possible CPU) holds, the docker CLI's
    /// CPU count when `online_cpus` is absent. Each value is checked; none is kept.
    #[serde(rename = "percpu_usage", deserialize_with = "counter_list_len")]
    pub percpu_usage_len: u32,
    #[serde(deserialize_with = "null_as_default")]
    pub usage_in_kernelmode: u64,
    #[serde(deserialize_with = "null_as_default")]
    pub usage_in_usermode: u64,
}

/// A list of `u64` counters (`null` = empty) → its length (saturating at `u32::MAX`).
fn counter_list_len<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    struct Visit;
    impl<'de> Visitor<'de> for Visit {
        type Value = u32;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a list of unsigned integers")
        }
        fn visit_none<E: de::Error>(self) -> Result<u32, E> {
            Ok(0)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<u32, D::Error> {
            d.deserialize_seq(self)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<u32, A::Error> {
            let mut len = 0u32;
            while seq.next_element::<u64>()?.is_some() {
                len = len.saturating_add(1);
            }
            Ok(len)
        }
    }
    d.deserialize_option(Visit)
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
    /// `memory.stat`: the keys the docker CLI reads.
    #[serde(deserialize_with = "null_as_default")]
    pub stats: MemoryStat,
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

/// `memory_stats.stats` (`memory.stat`), an open map whose keys differ between cgroup v1 and v2: the
/// two the docker CLI reads. Every value must be a `u64` (as in a `map[string]uint64`); a key given
/// twice keeps its last value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MemoryStat {
    /// `inactive_file` (cgroup v2; also v1's own-cgroup figure), if present.
    pub inactive_file: Option<u64>,
    /// `total_inactive_file` (cgroup v1, hierarchical), if present.
    pub total_inactive_file: Option<u64>,
}

impl<'de> Deserialize<'de> for MemoryStat {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> Visitor<'de> for Visit {
            type Value = MemoryStat;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of unsigned integers")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<MemoryStat, A::Error> {
                let mut out = MemoryStat::default();
                while let Some(key) = map.next_key::<Text<'de>>()? {
                    let value = map.next_value::<u64>()?;
                    match &*key.0 {
                        "inactive_file" => out.inactive_file = Some(value),
                        "total_inactive_file" => out.total_inactive_file = Some(value),
                        _ => {}
                    }
                }
                Ok(out)
            }
        }
        d.deserialize_map(Visit)
    }
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

/// `networks` (interface name → [`NetworkStats`], each a JSON object), summed over the interfaces.
///
/// As for a Go map, an interface named twice counts once, with its last counters; the float sums
/// add the interfaces in name order.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct NetworkTotals {
    /// How many interfaces there are.
    pub interfaces: u32,
    /// `rx_bytes` summed as integers (wrapping like Go's `uint64`): what the engine differentiates.
    pub rx_bytes: u64,
    /// `tx_bytes` summed as integers.
    pub tx_bytes: u64,
    /// `rx_bytes` summed as the docker CLI sums it: each converted to `f64`, then added.
    pub rx_bytes_f64: f64,
    /// `tx_bytes` summed as the docker CLI sums it.
    pub tx_bytes_f64: f64,
}

impl NetworkTotals {
    /// The totals of the interfaces read in arrival order: the first, then the others.
    fn sum<'a>(
        first: Option<(Cow<'a, str>, u64, u64)>,
        mut more: Vec<(Cow<'a, str>, u64, u64)>,
    ) -> Self {
        let mut out = NetworkTotals::default();
        match first {
            None => {}
            Some((_, rx, tx)) if more.is_empty() => out.add(rx, tx),
            Some(first) => {
                more.insert(0, first);
                // Name order; of the entries of one name, the last one counts.
                let name = |i: usize| &*more[i].0;
                // (Stable: entries of one name stay in arrival order.)
                let order = crate::sorting::order(more.len(), &mut |a, b| name(a).cmp(name(b)));
                for (k, &i) in order.iter().enumerate() {
                    if order.get(k + 1).is_none_or(|&next| name(next) != name(i)) {
                        out.add(more[i].1, more[i].2);
                    }
                }
            }
        }
        out
    }

    fn add(&mut self, rx: u64, tx: u64) {
        self.interfaces = self.interfaces.saturating_add(1);
        self.rx_bytes = self.rx_bytes.wrapping_add(rx);
        self.tx_bytes = self.tx_bytes.wrapping_add(tx);
        self.rx_bytes_f64 += rx as f64;
        self.tx_bytes_f64 += tx as f64;
    }
}

impl<'de> Deserialize<'de> for NetworkTotals {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> Visitor<'de> for Visit {
            type Value = NetworkTotals;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of network interfaces")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<NetworkTotals, A::Error> {
                // One interface (the usual case) is summed without allocating; with more, they are
                // kept until the end to drop repeated names and to add in name order.
                let mut first: Option<(Cow<'de, str>, u64, u64)> = None;
                let mut more: Vec<(Cow<'de, str>, u64, u64)> = Vec::new();
                while let Some(name) = map.next_key::<Text<'de>>()? {
                    let n = map.next_value::<MapOnly<NetworkStats>>()?.0;
                    let entry = (name.0, n.rx_bytes, n.tx_bytes);
                    if first.is_none() {
                        first = Some(entry);
                    } else {
                        more.push(entry);
                    }
                }
                Ok(NetworkTotals::sum(first, more))
            }
        }
        d.deserialize_map(Visit)
    }
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

/// `blkio_stats`: eight lists of `{major, minor, op, value}` objects (each checked); the docker CLI
/// reads only `io_service_bytes_recursive`, whose values are summed by direction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(from = "BlkioWire")]
pub struct BlkioStats {
    /// `io_service_bytes_recursive` entries whose `op` starts with `r`/`R` (v1 `Read`, v2 `read`),
    /// over all devices, wrapping like Go's `uint64`.
    pub service_read_bytes: u64,
    /// The entries whose `op` starts with `w`/`W`. (`Sync`, `Total`, `""`… count in neither.)
    pub service_write_bytes: u64,
}

/// `blkio_stats` as sent: the seven lists nobody reads are checked, not kept.
#[derive(Default, Deserialize)]
#[serde(default)]
#[allow(dead_code)] // The unit fields exist to check their lists' shape; nothing reads them.
struct BlkioWire {
    #[serde(deserialize_with = "blkio_sums")]
    io_service_bytes_recursive: (u64, u64),
    #[serde(deserialize_with = "blkio_checked")]
    io_serviced_recursive: (),
    #[serde(deserialize_with = "blkio_checked")]
    io_queue_recursive: (),
    #[serde(deserialize_with = "blkio_checked")]
    io_service_time_recursive: (),
    #[serde(deserialize_with = "blkio_checked")]
    io_wait_time_recursive: (),
    #[serde(deserialize_with = "blkio_checked")]
    io_merged_recursive: (),
    #[serde(deserialize_with = "blkio_checked")]
    io_time_recursive: (),
    #[serde(deserialize_with = "blkio_checked")]
    sectors_recursive: (),
}

impl From<BlkioWire> for BlkioStats {
    fn from(w: BlkioWire) -> Self {
        let (service_read_bytes, service_write_bytes) = w.io_service_bytes_recursive;
        BlkioStats {
            service_read_bytes,
            service_write_bytes,
        }
    }
}

/// One blkio entry as sent: every field checked (counters `u64` or `null`, `op` a string or `null`),
/// only the direction and the value kept.
#[derive(Default, Deserialize)]
#[serde(default)]
#[allow(dead_code)] // `major` and `minor` are checked, not read.
struct BlkioEntry {
    #[serde(deserialize_with = "null_as_default")]
    major: u64,
    #[serde(deserialize_with = "null_as_default")]
    minor: u64,
    #[serde(deserialize_with = "blkio_op")]
    op: BlkioOp,
    #[serde(deserialize_with = "null_as_default")]
    value: u64,
}

/// What a blkio entry's `op` counts as: v1 `Read`/`Write`, v2 `read`/`write`, by the first letter.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
enum BlkioOp {
    Read,
    Write,
    #[default]
    Other,
}

fn blkio_op<'de, D: Deserializer<'de>>(d: D) -> Result<BlkioOp, D::Error> {
    struct Visit;
    impl<'de> Visitor<'de> for Visit {
        type Value = BlkioOp;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string")
        }
        fn visit_none<E: de::Error>(self) -> Result<BlkioOp, E> {
            Ok(BlkioOp::Other)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<BlkioOp, D::Error> {
            d.deserialize_str(self)
        }
        fn visit_str<E: de::Error>(self, s: &str) -> Result<BlkioOp, E> {
            Ok(match s.as_bytes().first() {
                Some(b'r' | b'R') => BlkioOp::Read,
                Some(b'w' | b'W') => BlkioOp::Write,
                _ => BlkioOp::Other,
            })
        }
    }
    d.deserialize_option(Visit)
}

/// A blkio list (`null` = empty, else an array of objects) folded into `(read, write)` byte sums.
fn blkio_fold<'de, D: Deserializer<'de>>(d: D) -> Result<(u64, u64), D::Error> {
    struct Visit;
    impl<'de> Visitor<'de> for Visit {
        type Value = (u64, u64);
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a list of blkio entries")
        }
        fn visit_none<E: de::Error>(self) -> Result<(u64, u64), E> {
            Ok((0, 0))
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(u64, u64), D::Error> {
            d.deserialize_seq(self)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(u64, u64), A::Error> {
            let (mut read, mut write) = (0u64, 0u64);
            while let Some(MapOnly(e)) = seq.next_element::<MapOnly<BlkioEntry>>()? {
                match e.op {
                    BlkioOp::Read => read = read.wrapping_add(e.value),
                    BlkioOp::Write => write = write.wrapping_add(e.value),
                    BlkioOp::Other => {}
                }
            }
            Ok((read, write))
        }
    }
    d.deserialize_option(Visit)
}

fn blkio_sums<'de, D: Deserializer<'de>>(d: D) -> Result<(u64, u64), D::Error> {
    blkio_fold(d)
}

fn blkio_checked<'de, D: Deserializer<'de>>(d: D) -> Result<(), D::Error> {
    blkio_fold(d).map(drop)
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
            Some(b'{') => match fast::object(text) {
                Some(one) => Ok(one),
                None => Ok(serde_json::from_str::<MapOnly<Stats>>(text)?.0),
            },
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
        self.os_type.unwrap_or(fallback)
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
///
/// A good frame is read in one pass (as [`parse_frame`] reads it); only a frame with an error is
/// read again element by element, which gives the same samples whenever the strict reading succeeds.
pub fn parse_frame_lenient(text: &str) -> FrameParse {
    let trimmed = text.trim();
    let strict = parse_frame(trimmed);
    if !trimmed.starts_with('[') {
        return match strict {
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
    if let Ok(samples) = strict {
        return FrameParse {
            samples,
            errors: Vec::new(),
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
            match fast::object(raw) {
                Some(one) => Ok(one),
                None => serde_json::from_str::<MapOnly<Stats>>(raw)
                    .map(|m| m.0)
                    .map_err(ParseError::from),
            }
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
        Some(b'[') => match fast::array(text) {
            Some(all) => Ok(all),
            None => Ok(serde_json::from_str::<Vec<MapOnly<Stats>>>(text)?
                .into_iter()
                .map(|m| m.0)
                .collect()),
        },
        Some(b'{') => match fast::object(text) {
            Some(one) => Ok(vec![one]),
            None => Ok(vec![serde_json::from_str::<MapOnly<Stats>>(text)?.0]),
        },
        None => Err(ParseError::FrameShape("an empty text")),
        Some(_) => match serde_json::from_str::<serde::de::IgnoredAny>(text) {
            Ok(_) => Err(ParseError::FrameShape("a JSON scalar")),
            Err(e) => Err(e.into()),
        },
    }
}

/// A fast path for the well-formed common object: a hand-written scanner over the JSON subset Docker
/// sends (no escapes in strings, no unknown keys, plain unsigned integers), giving exactly what the
/// serde model gives. On anything else it gives up (`None`) and the caller reads the text with the
/// serde model, which stays the reference and produces the errors; `tests/model_fast.rs` checks
/// that the two agree. In WebAssembly it reads an object ~2× faster than serde_json.
mod fast {
    use super::*;

    pub(super) struct Scan<'a> {
        text: &'a str,
        at: usize,
    }

    /// A struct's keys seen so far: a key given twice is serde's "duplicate field" error.
    #[derive(Default)]
    struct Seen(u32);

    impl Seen {
        fn first(&mut self, bit: u32) -> Option<()> {
            let mask = 1 << bit;
            if self.0 & mask != 0 {
                return None;
            }
            self.0 |= mask;
            Some(())
        }
    }

    impl<'a> Scan<'a> {
        pub(super) fn new(text: &'a str) -> Self {
            Scan { text, at: 0 }
        }

        fn bytes(&self) -> &'a [u8] {
            self.text.as_bytes()
        }

        /// The next byte after JSON whitespace, not consumed.
        fn peek(&mut self) -> Option<u8> {
            let b = self.bytes();
            while let Some(&c) = b.get(self.at) {
                // Compact JSON: the usual next byte is above the space, no whitespace to skip.
                if c > b' ' || !matches!(c, b' ' | b'\n' | b'\r' | b'\t') {
                    return Some(c);
                }
                self.at += 1;
            }
            None
        }

        fn eat(&mut self, c: u8) -> Option<()> {
            (self.peek()? == c).then(|| self.at += 1)
        }

        /// Is the next value `null` (consumed if so)?
        fn null(&mut self) -> bool {
            if self.peek() == Some(b'n') && self.bytes()[self.at..].starts_with(b"null") {
                self.at += 4;
                true
            } else {
                false
            }
        }

        /// The end of the text (after whitespace)?
        pub(super) fn at_end(&mut self) -> bool {
            self.peek().is_none()
        }

        /// A string without escapes or control characters, borrowed.
        /// An object's key: [`Self::str`] inlined into each object reader (~6 % faster in
        /// WebAssembly), the scan itself shared.
        #[inline(always)]
        fn key(&mut self) -> Option<&'a str> {
            self.eat(b'"')?;
            let start = self.at;
            let len = plain_len(&self.bytes()[start..]);
            if self.bytes().get(start + len) != Some(&b'"') {
                return None;
            }
            self.at = start + len + 1;
            self.text.get(start..start + len)
        }

        fn str(&mut self) -> Option<&'a str> {
            self.eat(b'"')?;
            let start = self.at;
            let len = plain_len(&self.bytes()[start..]);
            if self.bytes().get(start + len) != Some(&b'"') {
                return None;
            }
            self.at = start + len + 1;
            self.text.get(start..start + len)
        }

        /// An unsigned integer as serde_json reads one into a `u64`: no sign, fraction, exponent
        /// or leading zero (what follows is checked by the caller's grammar), no overflow.
        fn u64(&mut self) -> Option<u64> {
            let b = self.bytes();
            let first = *b.get(self.at).filter(|c| c.is_ascii_digit())?;
            self.at += 1;
            let mut n = u64::from(first - b'0');
            if n == 0 {
                return Some(0);
            }
            while let Some(&c) = b.get(self.at) {
                let d = u64::from(c.wrapping_sub(b'0'));
                if d > 9 {
                    break;
                }
                // Compared, not `checked_mul`: on wasm32 that is a 128-bit multiplication call.
                if n > u64::MAX / 10 || (n == u64::MAX / 10 && d > u64::MAX % 10) {
                    return None;
                }
                n = n * 10 + d;
                self.at += 1;
            }
            Some(n)
        }

        fn num(&mut self) -> Option<u64> {
            self.peek()?;
            self.u64()
        }

        /// A `null_as_default` counter.
        fn counter(&mut self) -> Option<u64> {
            if self.null() {
                Some(0)
            } else {
                self.num()
            }
        }

        fn count32(&mut self) -> Option<u32> {
            u32::try_from(self.counter()?).ok()
        }

        /// `{ "key": value, … }`, each value read by `field`.
        fn object(
            &mut self,
            mut field: impl FnMut(&mut Self, &'a str) -> Option<()>,
        ) -> Option<()> {
            self.eat(b'{')?;
            if self.eat(b'}').is_some() {
                return Some(());
            }
            loop {
                let key = self.key()?;
                self.eat(b':')?;
                field(self, key)?;
                match self.peek()? {
                    b',' => self.at += 1,
                    b'}' => {
                        self.at += 1;
                        return Some(());
                    }
                    _ => return None,
                }
            }
        }

        /// `[ value, … ]`, each value read by `item`.
        fn array(&mut self, mut item: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
            self.eat(b'[')?;
            if self.eat(b']').is_some() {
                return Some(());
            }
            loop {
                item(self)?;
                match self.peek()? {
                    b',' => self.at += 1,
                    b']' => {
                        self.at += 1;
                        return Some(());
                    }
                    _ => return None,
                }
            }
        }

        /// An `object_or_null` struct.
        fn or_null<T: Default>(&mut self, read: impl FnOnce(&mut Self) -> Option<T>) -> Option<T> {
            if self.null() {
                Some(T::default())
            } else {
                read(self)
            }
        }

        /// A value no figure reads (an unknown key's): checked as serde_json checks what it ignores
        /// (strings without escapes here, and at most a few levels deep), not kept.
        fn skip(&mut self) -> Option<()> {
            self.skip_nested(8)
        }

        fn skip_nested(&mut self, depth: u32) -> Option<()> {
            match self.peek()? {
                b'"' => self.str().map(drop),
                b'{' => self.object(|p, _| p.skip_nested(depth.checked_sub(1)?)),
                b'[' => self.array(|p| p.skip_nested(depth.checked_sub(1)?)),
                b'n' => self.literal(b"null"),
                b't' => self.literal(b"true"),
                b'f' => self.literal(b"false"),
                _ => self.number(),
            }
        }

        fn literal(&mut self, word: &[u8]) -> Option<()> {
            self.bytes()[self.at..]
                .starts_with(word)
                .then(|| self.at += word.len())
        }

        /// Any JSON number: `-`, an integer part without leading zeros, a fraction, an exponent.
        fn number(&mut self) -> Option<()> {
            let digits = |p: &mut Self| {
                let start = p.at;
                while p.bytes().get(p.at).is_some_and(u8::is_ascii_digit) {
                    p.at += 1;
                }
                (p.at > start).then_some(())
            };
            if self.bytes().get(self.at) == Some(&b'-') {
                self.at += 1;
            }
            match self.bytes().get(self.at)? {
                b'0' => self.at += 1,
                b'1'..=b'9' => digits(self)?,
                _ => return None,
            }
            if self.bytes().get(self.at) == Some(&b'.') {
                self.at += 1;
                digits(self)?;
            }
            if matches!(self.bytes().get(self.at), Some(b'e' | b'E')) {
                self.at += 1;
                if matches!(self.bytes().get(self.at), Some(b'+' | b'-')) {
                    self.at += 1;
                }
                digits(self)?;
            }
            Some(())
        }

        fn timestamp(&mut self) -> Option<Timestamp> {
            if self.null() {
                return Some(Timestamp::ZERO);
            }
            rfc3339_unix_ns(self.str()?.as_bytes())
                .ok()
                .map(Timestamp::from_unix_ns)
        }

        pub(super) fn stats(&mut self) -> Option<Stats> {
            let mut s = Stats::default();
            let mut seen = Seen::default();
            self.object(|p, key| match key {
                "id" => {
                    seen.first(0)?;
                    s.id = p.str()?.to_owned();
                    Some(())
                }
                "name" => {
                    seen.first(1)?;
                    s.name = p.str()?.to_owned();
                    Some(())
                }
                "os_type" => {
                    seen.first(2)?;
                    s.os_type = p.str()?.parse().ok();
                    Some(())
                }
                "read" => {
                    seen.first(3)?;
                    s.read = p.timestamp()?;
                    Some(())
                }
                "preread" => {
                    seen.first(4)?;
                    s.preread = p.timestamp()?;
                    Some(())
                }
                "cpu_stats" => {
                    seen.first(5)?;
                    s.cpu_stats = p.or_null(Self::cpu_stats)?;
                    Some(())
                }
                "precpu_stats" => {
                    seen.first(6)?;
                    s.precpu_stats = p.or_null(Self::cpu_stats)?;
                    Some(())
                }
                "memory_stats" => {
                    seen.first(7)?;
                    s.memory_stats = p.or_null(Self::memory_stats)?;
                    Some(())
                }
                "networks" => {
                    seen.first(8)?;
                    s.networks = p.or_null(Self::networks)?;
                    Some(())
                }
                "pids_stats" => {
                    seen.first(9)?;
                    s.pids_stats = p.or_null(|p| {
                        let mut o = PidsStats::default();
                        let mut seen = Seen::default();
                        p.object(|p, key| {
                            let (bit, slot) = match key {
                                "current" => (0, &mut o.current),
                                "limit" => (1, &mut o.limit),
                                _ => return p.skip(),
                            };
                            seen.first(bit)?;
                            *slot = p.counter()?;
                            Some(())
                        })?;
                        Some(o)
                    })?;
                    Some(())
                }
                "blkio_stats" => {
                    seen.first(10)?;
                    s.blkio_stats = p.or_null(Self::blkio_stats)?;
                    Some(())
                }
                "num_procs" => {
                    seen.first(11)?;
                    s.num_procs = p.count32()?;
                    Some(())
                }
                "storage_stats" => {
                    seen.first(12)?;
                    s.storage_stats = p.or_null(|p| {
                        let mut o = StorageStats::default();
                        let mut seen = Seen::default();
                        p.object(|p, key| {
                            let (bit, slot) = match key {
                                "read_count_normalized" => (0, &mut o.read_count_normalized),
                                "read_size_bytes" => (1, &mut o.read_size_bytes),
                                "write_count_normalized" => (2, &mut o.write_count_normalized),
                                "write_size_bytes" => (3, &mut o.write_size_bytes),
                                _ => return p.skip(),
                            };
                            seen.first(bit)?;
                            *slot = p.counter()?;
                            Some(())
                        })?;
                        Some(o)
                    })?;
                    Some(())
                }
                _ => p.skip(),
            })?;
            Some(s)
        }

        fn cpu_stats(&mut self) -> Option<CpuStats> {
            let mut c = CpuStats::default();
            let mut seen = Seen::default();
            self.object(|p, key| match key {
                "cpu_usage" => {
                    seen.first(0)?;
                    c.cpu_usage = p.or_null(Self::cpu_usage)?;
                    Some(())
                }
                "system_cpu_usage" => {
                    seen.first(1)?;
                    c.system_cpu_usage = p.counter()?;
                    Some(())
                }
                "online_cpus" => {
                    seen.first(2)?;
                    c.online_cpus = p.count32()?;
                    Some(())
                }
                "throttling_data" => {
                    seen.first(3)?;
                    c.throttling_data = p.or_null(|p| {
                        let mut t = ThrottlingData::default();
                        let mut seen = Seen::default();
                        p.object(|p, key| {
                            let (bit, slot) = match key {
                                "periods" => (0, &mut t.periods),
                                "throttled_periods" => (1, &mut t.throttled_periods),
                                "throttled_time" => (2, &mut t.throttled_time),
                                _ => return p.skip(),
                            };
                            seen.first(bit)?;
                            *slot = p.counter()?;
                            Some(())
                        })?;
                        Some(t)
                    })?;
                    Some(())
                }
                _ => p.skip(),
            })?;
            Some(c)
        }

        fn cpu_usage(&mut self) -> Option<CpuUsage> {
            let mut u = CpuUsage::default();
            let mut seen = Seen::default();
            self.object(|p, key| {
                if key == "percpu_usage" {
                    seen.first(3)?;
                    let mut len = 0u32;
                    if !p.null() {
                        p.array(|p| {
                            p.num()?;
                            len = len.saturating_add(1);
                            Some(())
                        })?;
                    }
                    u.percpu_usage_len = len;
                    return Some(());
                }
                let (bit, slot) = match key {
                    "total_usage" => (0, &mut u.total_usage),
                    "usage_in_kernelmode" => (1, &mut u.usage_in_kernelmode),
                    "usage_in_usermode" => (2, &mut u.usage_in_usermode),
                    _ => return p.skip(),
                };
                seen.first(bit)?;
                *slot = p.counter()?;
                Some(())
            })?;
            Some(u)
        }

        fn memory_stats(&mut self) -> Option<MemoryStats> {
            let mut m = MemoryStats::default();
            let mut seen = Seen::default();
            self.object(|p, key| {
                if key == "stats" {
                    seen.first(7)?;
                    let mut out = MemoryStat::default();
                    if !p.null() {
                        p.object(|p, key| {
                            let value = p.num()?;
                            match key {
                                "inactive_file" => out.inactive_file = Some(value),
                                "total_inactive_file" => out.total_inactive_file = Some(value),
                                _ => {}
                            }
                            Some(())
                        })?;
                    }
                    m.stats = out;
                    return Some(());
                }
                let (bit, slot) = match key {
                    "usage" => (0, &mut m.usage),
                    "max_usage" => (1, &mut m.max_usage),
                    "failcnt" => (2, &mut m.failcnt),
                    "limit" => (3, &mut m.limit),
                    "commitbytes" => (4, &mut m.commitbytes),
                    "commitpeakbytes" => (5, &mut m.commitpeakbytes),
                    "privateworkingset" => (6, &mut m.privateworkingset),
                    _ => return p.skip(),
                };
                seen.first(bit)?;
                *slot = p.counter()?;
                Some(())
            })?;
            Some(m)
        }

        fn networks(&mut self) -> Option<NetworkTotals> {
            let mut first: Option<(Cow<'a, str>, u64, u64)> = None;
            let mut more = Vec::new();
            self.object(|p, name| {
                let (mut rx, mut tx) = (0, 0);
                let mut seen = Seen::default();
                p.object(|p, key| {
                    let bit = match key {
                        "rx_bytes" => 0,
                        "rx_packets" => 1,
                        "rx_errors" => 2,
                        "rx_dropped" => 3,
                        "tx_bytes" => 4,
                        "tx_packets" => 5,
                        "tx_errors" => 6,
                        "tx_dropped" => 7,
                        _ => return p.skip(),
                    };
                    seen.first(bit)?;
                    let v = p.counter()?;
                    match bit {
                        0 => rx = v,
                        4 => tx = v,
                        _ => {}
                    }
                    Some(())
                })?;
                let entry = (Cow::Borrowed(name), rx, tx);
                if first.is_none() {
                    first = Some(entry);
                } else {
                    more.push(entry);
                }
                Some(())
            })?;
            Some(NetworkTotals::sum(first, more))
        }

        fn blkio_stats(&mut self) -> Option<BlkioStats> {
            let mut out = BlkioStats::default();
            let mut seen = Seen::default();
            self.object(|p, key| {
                let bit = match key {
                    "io_service_bytes_recursive" => 0,
                    "io_serviced_recursive" => 1,
                    "io_queue_recursive" => 2,
                    "io_service_time_recursive" => 3,
                    "io_wait_time_recursive" => 4,
                    "io_merged_recursive" => 5,
                    "io_time_recursive" => 6,
                    "sectors_recursive" => 7,
                    _ => return p.skip(),
                };
                seen.first(bit)?;
                let (mut read, mut write) = (0u64, 0u64);
                if !p.null() {
                    p.array(|p| {
                        let (op, value) = p.blkio_entry()?;
                        match op {
                            BlkioOp::Read => read = read.wrapping_add(value),
                            BlkioOp::Write => write = write.wrapping_add(value),
                            BlkioOp::Other => {}
                        }
                        Some(())
                    })?;
                }
                if bit == 0 {
                    out.service_read_bytes = read;
                    out.service_write_bytes = write;
                }
                Some(())
            })?;
            Some(out)
        }

        fn blkio_entry(&mut self) -> Option<(BlkioOp, u64)> {
            let (mut op, mut value) = (BlkioOp::Other, 0);
            let mut seen = Seen::default();
            self.object(|p, key| match key {
                "major" | "minor" => {
                    seen.first(u32::from(key == "minor"))?;
                    p.counter().map(drop)
                }
                "op" => {
                    seen.first(2)?;
                    if !p.null() {
                        op = match p.str()?.as_bytes().first() {
                            Some(b'r' | b'R') => BlkioOp::Read,
                            Some(b'w' | b'W') => BlkioOp::Write,
                            _ => BlkioOp::Other,
                        };
                    }
                    Some(())
                }
                "value" => {
                    seen.first(3)?;
                    value = p.counter()?;
                    Some(())
                }
                _ => p.skip(),
            })?;
            Some((op, value))
        }
    }

    /// How many bytes of `b` come before the first `"`, `\\` or control character (all of `b` if
    /// none): eight bytes at a time, as `u64` words (native in WebAssembly too).
    #[inline(never)]
    pub(super) fn plain_len(b: &[u8]) -> usize {
        const ONES: u64 = 0x0101_0101_0101_0101;
        const HIGH: u64 = 0x8080_8080_8080_8080;
        let mut at = 0;
        for chunk in b.chunks_exact(8) {
            let mut word = [0; 8];
            word.copy_from_slice(chunk);
            let x = u64::from_le_bytes(word);
            // A byte of `x` is flagged if it is `"` or `\\` (zero after the xor) or below 0x20.
            let quote = x ^ (ONES * u64::from(b'"'));
            let slash = x ^ (ONES * u64::from(b'\\'));
            let flagged = (quote.wrapping_sub(ONES) & !quote)
                | (slash.wrapping_sub(ONES) & !slash)
                | (x.wrapping_sub(ONES * 0x20) & !x);
            let flagged = flagged & HIGH;
            if flagged != 0 {
                return at + (flagged.trailing_zeros() / 8) as usize;
            }
            at += 8;
        }
        at + b[at..]
            .iter()
            .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
            .unwrap_or(b.len() - at)
    }

    /// One object, the whole (trimmed) text.
    pub(super) fn object(text: &str) -> Option<Stats> {
        let mut p = Scan::new(text);
        let s = p.stats()?;
        p.at_end().then_some(s)
    }

    /// An array of objects, the whole (trimmed) text.
    pub(super) fn array(text: &str) -> Option<Vec<Stats>> {
        let mut p = Scan::new(text);
        let mut out = Vec::new();
        p.array(|p| {
            out.push(p.stats()?);
            Some(())
        })?;
        p.at_end().then_some(out)
    }
}

/// For tests (`tests/model_fast.rs`): the fast path alone (`None` where it gives up) and the serde
/// model alone, on one object's text. Not part of the API.
#[doc(hidden)]
pub fn parse_object_paths(text: &str) -> (Option<Stats>, Result<Stats, ParseError>) {
    let text = text.trim();
    (
        fast::object(text),
        serde_json::from_str::<MapOnly<Stats>>(text)
            .map(|m| m.0)
            .map_err(ParseError::from),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_parse_every_fraction_length_and_offset() {
        let base = Timestamp::parse_rfc3339("2024-05-01T10:00:00Z").unwrap();
        assert_eq!(base.unix_ns(), 1_714_557_600 * NS_PER_S);
        for (text, extra_ns) in [
            ("2024-05-01T10:00:00.5Z", 500_000_000),
            ("2024-05-01T10:00:00.01020304Z", 10_203_040),
            ("2024-05-01T10:00:00.123456789Z", 123_456_789),
            ("2024-05-01T10:00:00.1234567891234z", 123_456_789),
            ("2024-05-01T02:00:00.1234567-08:00", 123_456_700),
            ("2024-05-01 10:00:00+00:00", 0),
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
    fn timestamps_refuse_what_is_not_a_date() {
        for text in [
            "2024-02-30T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2024-13-01T00:00:00Z",
            "2024-00-01T00:00:00Z",
            "2024-05-00T00:00:00Z",
            "2024-05-01T24:00:00Z",
            "2024-05-01T10:60:00Z",
            "2024-05-01T10:00:61Z",
            "2024-05-01T10:00:00",
            "2024-05-01T10:00:00.Z",
            "2024-05-01T10:00:00+24:00",
            "2024-05-01T10:00:00+01:60",
            "2024-05-01T10:00:00+0100",
            "2024-05-01T10:00:00Z ",
            "2024-5-01T10:00:00Z",
            "+2024-05-01T10:00:00Z",
            // A leap second only ends a UTC month.
            "2024-05-01T10:00:60Z",
            "2016-12-31T23:59:60+01:00",
        ] {
            let err = Timestamp::parse_rfc3339(text).unwrap_err();
            assert!(err.contains("RFC 3339"), "{text}: {err}");
        }
        let leap = Timestamp::parse_rfc3339("2016-12-31T23:59:60Z").unwrap();
        assert_eq!(leap.to_rfc3339(), "2016-12-31T23:59:59.999999999Z");
        let leap = Timestamp::parse_rfc3339("2017-01-01T00:59:60.5+01:00").unwrap();
        assert_eq!(leap.to_rfc3339(), "2016-12-31T23:59:59.999999999Z");
        assert!(Timestamp::parse_rfc3339("2024-02-29T00:00:00Z").is_ok());
        assert!(Timestamp::parse_rfc3339("2000-02-29T00:00:00Z").is_ok());
        assert!(Timestamp::parse_rfc3339("1900-02-29T00:00:00Z").is_err());
    }

    #[test]
    fn timestamps_format_like_go_rfc3339nano() {
        for text in [
            "2024-05-01T10:00:00Z",
            "2024-05-01T10:00:00.5Z",
            "2024-05-01T10:00:00.01020304Z",
            "0001-01-01T00:00:00Z",
            "1969-12-31T23:59:59.999999999Z",
            "9999-12-31T23:59:59Z",
            "0000-03-01T00:00:00Z",
        ] {
            assert_eq!(Timestamp::parse_rfc3339(text).unwrap().to_rfc3339(), text);
        }
        let local = Timestamp::parse_rfc3339("2024-05-01T02:00:00.1234567-08:00").unwrap();
        assert_eq!(local.to_rfc3339(), "2024-05-01T10:00:00.1234567Z");
        // Year 0 at +01:00 is year −1 in UTC; beyond ±9999 is out of range.
        let early = Timestamp::parse_rfc3339("0000-01-01T00:00:00+01:00").unwrap();
        assert_eq!(early.to_rfc3339(), "-001-12-31T23:00:00Z");
        let late = Timestamp::parse_rfc3339("9999-12-31T23:59:59-01:00").unwrap();
        assert!(late.to_rfc3339().starts_with("<out of range"));
        assert!(Timestamp::from_unix_ns(i128::MAX)
            .to_rfc3339()
            .starts_with("<out of range"));
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
               "memory_stats":{"stats":null},"blkio_stats":{"io_service_bytes_recursive":null,"sectors_recursive":[]},
               "pids_stats":{},"networks":null,"num_procs":0,"storage_stats":{},
               "preread":null}"#,
        )
        .unwrap();
        assert_eq!(s, Stats::default());
        assert!(s.is_empty_sample());
        assert_eq!(Stats::from_json("{}").unwrap(), Stats::default());
        assert_eq!(
            Stats::from_json(r#"{"networks":{},"memory_stats":{"stats":{}}}"#).unwrap(),
            Stats::default()
        );
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
            (r#"{"read":5}"#, "RFC 3339"),
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
    fn what_is_not_kept_is_still_checked() {
        // Each of these is a counter or list a full model would refuse; the lean one must too.
        for text in [
            r#"{"memory_stats":{"stats":{"pgfault":-1}}}"#,
            r#"{"memory_stats":{"stats":{"pgfault":null}}}"#,
            r#"{"memory_stats":{"stats":{"inactive_file":1.5}}}"#,
            r#"{"memory_stats":{"stats":[1]}}"#,
            r#"{"networks":{"eth0":{"rx_packets":-1}}}"#,
            r#"{"networks":{"eth0":null}}"#,
            r#"{"networks":[]}"#,
            r#"{"cpu_stats":{"cpu_usage":{"percpu_usage":[1,-2]}}}"#,
            r#"{"cpu_stats":{"cpu_usage":{"percpu_usage":[null]}}}"#,
            r#"{"cpu_stats":{"cpu_usage":{"percpu_usage":{}}}}"#,
            r#"{"cpu_stats":{"throttling_data":{"periods":"1"}}}"#,
            r#"{"blkio_stats":{"sectors_recursive":[{"major":-8}]}}"#,
            r#"{"blkio_stats":{"io_serviced_recursive":[{"op":7}]}}"#,
            r#"{"blkio_stats":{"io_serviced_recursive":[null]}}"#,
            r#"{"blkio_stats":{"io_time_recursive":{}}}"#,
            r#"{"blkio_stats":{"io_queue_recursive":[[8,0,"Read",1]]}}"#,
            r#"{"blkio_stats":{"io_service_bytes_recursive":[{"op":"Read","op":"Write"}]}}"#,
            r#"{"os_type":null}"#,
            r#"{"os_type":1}"#,
            r#"{"id":"a","id":"b"}"#,
            r#"{"storage_stats":{"read_count_normalized":-1}}"#,
        ] {
            assert!(Stats::from_json(text).is_err(), "{text}");
        }
    }

    #[test]
    fn memory_stat_keeps_the_two_inactive_file_keys() {
        let s = Stats::from_json(
            r#"{"memory_stats":{"usage":100,"stats":{"active_file":5,"inactive_file":7,
                "total_inactive_file":9,"inactive_file":8,"pgfault":18446744073709551615}}}"#,
        )
        .unwrap();
        let want = MemoryStat {
            inactive_file: Some(8),
            total_inactive_file: Some(9),
        };
        assert_eq!(s.memory_stats.stats, want);
        let s = Stats::from_json(r#"{"memory_stats":{"stats":{"in\u0061ctive_file":3}}}"#).unwrap();
        assert_eq!(s.memory_stats.stats.inactive_file, Some(3));
        assert_eq!(s.memory_stats.stats.total_inactive_file, None);
    }

    #[test]
    fn networks_are_summed_once_per_interface() {
        let s = Stats::from_json(
            r#"{"networks":{"eth1":{"rx_bytes":10,"tx_bytes":1},"eth0":{"rx_bytes":5,"tx_bytes":2},
                "eth1":{"rx_bytes":20,"tx_bytes":3},"lo":null}}"#,
        );
        assert!(s.is_err(), "a null interface is the wrong shape");
        let s = Stats::from_json(
            r#"{"networks":{"eth1":{"rx_bytes":10,"tx_bytes":1},"eth0":{"rx_bytes":5,"tx_bytes":2},
                "eth1":{"rx_bytes":20,"tx_bytes":3},"e\u0074h2":{"rx_bytes":18446744073709551615}}}"#,
        )
        .unwrap();
        let n = s.networks;
        assert_eq!(n.interfaces, 3);
        assert_eq!((n.rx_bytes, n.tx_bytes), (24, 5)); // 5 + 20 + (2^64 − 1), wrapped
        assert_eq!(n.tx_bytes_f64, 5.0);
        // Name order: 5 + 20 first, then 2^64 − 1 (as a BTreeMap of interfaces summed them).
        assert_eq!(n.rx_bytes_f64, 25.0 + u64::MAX as f64);
        // Where the order of float additions matters: (2^53 + 1) + 1 rounds twice, 1 + 1 + 2^53 not.
        let order = Stats::from_json(
            r#"{"networks":{"c":{"rx_bytes":1},"b":{"rx_bytes":1},"a":{"rx_bytes":9007199254740992}}}"#,
        )
        .unwrap()
        .networks;
        assert_eq!(order.rx_bytes_f64, 9007199254740992.0);
        assert_eq!(order.rx_bytes, 9007199254740994);
        let one = Stats::from_json(r#"{"networks":{"eth0":{"rx_bytes":7,"tx_bytes":9}}}"#)
            .unwrap()
            .networks;
        assert_eq!(
            one,
            NetworkTotals {
                interfaces: 1,
                rx_bytes: 7,
                tx_bytes: 9,
                rx_bytes_f64: 7.0,
                tx_bytes_f64: 9.0
            }
        );
    }

    #[test]
    fn blkio_sums_service_bytes_by_direction_only() {
        let s = Stats::from_json(
            r#"{"blkio_stats":{"io_service_bytes_recursive":[
                {"major":8,"minor":0,"op":"Read","value":10},{"major":8,"minor":0,"op":"write","value":20},
                {"major":8,"minor":0,"op":"Total","value":30},{"op":null,"value":4},{"value":5},
                {"major":254,"op":"r","value":18446744073709551615}],
               "io_serviced_recursive":[{"major":8,"minor":0,"op":"Read","value":1000}],
               "sectors_recursive":[{"major":8,"minor":0,"op":"","value":7}]}}"#,
        )
        .unwrap();
        assert_eq!(
            s.blkio_stats,
            BlkioStats {
                service_read_bytes: 9, // 10 + (2^64 − 1), wrapped
                service_write_bytes: 20,
            }
        );
    }

    #[test]
    fn percpu_usage_and_os_type_keep_what_the_figures_need() {
        let s = Stats::from_json(
            r#"{"os_type":"windows","cpu_stats":{"cpu_usage":{"percpu_usage":[1,2,3]}},
                "precpu_stats":{"cpu_usage":{"percpu_usage":null}}}"#,
        )
        .unwrap();
        assert_eq!(s.cpu_stats.cpu_usage.percpu_usage_len, 3);
        assert_eq!(s.precpu_stats.cpu_usage.percpu_usage_len, 0);
        assert_eq!(s.os(OsType::Linux), OsType::Windows);
        let s = Stats::from_json(r#"{"os_type":"freebsd"}"#).unwrap();
        assert_eq!(s.os_type, None);
        assert_eq!(s.os(OsType::Windows), OsType::Windows);
        let s = Stats::from_json(r#"{"os_type":"linux"}"#).unwrap();
        assert_eq!(s.os(OsType::Windows), OsType::Linux);
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
        let good = parse_frame_lenient(r#" [{"id":"a"},{"id":"b"}] "#);
        assert_eq!((good.samples.len(), good.errors.len()), (2, 0));
    }

    #[test]
    fn arrays_are_never_read_as_structs() {
        // Serde's derive would read these positionally; Docker never sends them: wrong shape.
        for text in [
            r#"{"cpu_stats":[[7,[1,2]],9]}"#,
            r#"{"memory_stats":[4096]}"#,
            r#"{"blkio_stats":[[]]}"#,
            r#"{"blkio_stats":{"io_service_bytes_recursive":[[8,0,"Read",10]]}}"#,
            r#"{"networks":{"eth0":[1,2]}}"#,
            r#"{"cpu_stats":{"cpu_usage":[5]}}"#,
            r#"{"cpu_stats":{"throttling_data":[5]}}"#,
            r#"{"pids_stats":[5]}"#,
            r#"{"storage_stats":[5]}"#,
        ] {
            assert!(Stats::from_json(text).is_err(), "{text}");
        }
        assert!(parse_frame("[[]]").is_err());
        assert_eq!(parse_frame_lenient("[[], {}]").errors.len(), 1);
        // null still means empty.
        assert!(Stats::from_json(r#"{"cpu_stats":null,"networks":null}"#).is_ok());
    }

    #[test]
    fn plain_len_finds_the_first_quote_backslash_or_control_byte() {
        for len in 0..20 {
            for at in 0..=len {
                for c in 0..=255u8 {
                    let mut b = vec![b'a'; len];
                    if at < len {
                        b[at] = c;
                    }
                    // Bytes after the first stop byte must not matter either.
                    b.extend_from_slice(b"\"\\\x01");
                    let want = b.iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20);
                    assert_eq!(Some(fast::plain_len(&b)), want, "{b:?}");
                    let mut high = vec![0xc3; len];
                    if at < len {
                        high[at] = c;
                    }
                    let want = high
                        .iter()
                        .position(|&c| c == b'"' || c == b'\\' || c < 0x20);
                    assert_eq!(fast::plain_len(&high), want.unwrap_or(len), "{high:?}");
                }
            }
        }
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
