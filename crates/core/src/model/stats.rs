//! One Docker stats object as lean `serde` types: [`Stats`] and its parts, [`OsType`], [`ParseError`].

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use super::time::Timestamp;

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
pub(super) struct MapOnly<T>(pub(super) T);

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

/// The keys of a Docker stats object (API 1.52's thirteen; older daemons send all but `os_type`). A
/// JSON object with none of them is not a stats object (`{}`, `{"foo":1}`, another protocol's
/// message): [`Stats::from_json`] and the frame readers refuse it.
pub const STATS_KEYS: [&str; 13] = [
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

/// Why an object with none of [`STATS_KEYS`] is refused.
const NO_STATS_KEY: &str = "none of its keys is a stats field (id, name, read, cpu_stats, …)";

/// A whole stats object: a JSON object ([`MapOnly`]) with at least one of [`STATS_KEYS`]. Its keys
/// are watched as the derived [`Stats`] reads them, in the same pass.
pub(super) struct StatsObject(pub(super) Stats);

impl<'de> Deserialize<'de> for StatsObject {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> Visitor<'de> for Visit {
            type Value = StatsObject;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<StatsObject, A::Error> {
                let mut known = false;
                let stats = Stats::deserialize(de::value::MapAccessDeserializer::new(KnownKeys {
                    map,
                    known: &mut known,
                }))?;
                if known {
                    Ok(StatsObject(stats))
                } else {
                    Err(de::Error::custom(NO_STATS_KEY))
                }
            }
        }
        d.deserialize_map(Visit)
    }
}

/// A map whose keys are looked at on their way to the reader: `known` turns true at the first
/// key that is one of [`STATS_KEYS`].
struct KnownKeys<'k, A> {
    map: A,
    known: &'k mut bool,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for KnownKeys<'_, A> {
    type Error = A::Error;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        self.map.next_key_seed(KeySeed {
            seed,
            known: &mut *self.known,
        })
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        self.map.next_value_seed(seed)
    }
    fn size_hint(&self) -> Option<usize> {
        self.map.size_hint()
    }
}

/// One key, read by `seed` through a [`KeyName`].
struct KeySeed<'k, K> {
    seed: K,
    known: &'k mut bool,
}

impl<'de, K: DeserializeSeed<'de>> DeserializeSeed<'de> for KeySeed<'_, K> {
    type Value = K::Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<K::Value, D::Error> {
        self.seed.deserialize(KeyName {
            de: d,
            known: self.known,
        })
    }
}

/// A key's deserializer that hands the key's text to a [`KeyWatch`] on its way to the visitor.
struct KeyName<'k, D> {
    de: D,
    known: &'k mut bool,
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for KeyName<'_, D> {
    type Error = D::Error;
    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, D::Error> {
        self.de.deserialize_any(KeyWatch {
            v,
            known: self.known,
        })
    }
    fn deserialize_identifier<V: Visitor<'de>>(self, v: V) -> Result<V::Value, D::Error> {
        self.de.deserialize_identifier(KeyWatch {
            v,
            known: self.known,
        })
    }
    fn deserialize_str<V: Visitor<'de>>(self, v: V) -> Result<V::Value, D::Error> {
        self.de.deserialize_str(KeyWatch {
            v,
            known: self.known,
        })
    }
    fn deserialize_string<V: Visitor<'de>>(self, v: V) -> Result<V::Value, D::Error> {
        self.de.deserialize_string(KeyWatch {
            v,
            known: self.known,
        })
    }
    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char bytes byte_buf option unit
        unit_struct newtype_struct seq tuple tuple_struct map struct enum ignored_any
    }
}

/// A key's visitor: notes whether the key is a stats field, then lets `v` read it.
struct KeyWatch<'k, V> {
    v: V,
    known: &'k mut bool,
}

impl<V> KeyWatch<'_, V> {
    fn note(&mut self, key: &str) {
        if !*self.known {
            *self.known = STATS_KEYS.contains(&key);
        }
    }
}

impl<'de, V: Visitor<'de>> Visitor<'de> for KeyWatch<'_, V> {
    type Value = V::Value;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.v.expecting(f)
    }
    fn visit_str<E: de::Error>(mut self, s: &str) -> Result<V::Value, E> {
        self.note(s);
        self.v.visit_str(s)
    }
    fn visit_borrowed_str<E: de::Error>(mut self, s: &'de str) -> Result<V::Value, E> {
        self.note(s);
        self.v.visit_borrowed_str(s)
    }
    fn visit_string<E: de::Error>(mut self, s: String) -> Result<V::Value, E> {
        self.note(&s);
        self.v.visit_string(s)
    }
    fn visit_bytes<E: de::Error>(mut self, b: &[u8]) -> Result<V::Value, E> {
        self.note(std::str::from_utf8(b).unwrap_or_default());
        self.v.visit_bytes(b)
    }
    fn visit_borrowed_bytes<E: de::Error>(mut self, b: &'de [u8]) -> Result<V::Value, E> {
        self.note(std::str::from_utf8(b).unwrap_or_default());
        self.v.visit_borrowed_bytes(b)
    }
    fn visit_u64<E: de::Error>(self, n: u64) -> Result<V::Value, E> {
        self.v.visit_u64(n)
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
    pub(super) fn sum<'a>(
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
pub(super) enum BlkioOp {
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
