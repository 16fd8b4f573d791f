//! The lean model (`src/model.rs`) against what it replaced, on generated input:
//!
//! - [`full`]: the full Docker stats model statscope had before (every field kept, `memory.stat` and
//!   `networks` as maps, the blkio lists as vectors), copied here. Both must accept and refuse the
//!   same texts, and agree on every value the lean model keeps.
//! - The `time` crate's RFC 3339 parser and the formatting built on it: the same timestamps accepted,
//!   the same instants, the same text back.
#![cfg(not(target_arch = "wasm32"))]

use proptest::prelude::*;
use statscope_core::{OsType, Stats, Timestamp};

/// The model as it was before it became lean (the types of `src/model.rs` at commit e524144; the
/// timestamps are the lean model's own, checked against `time` below).
mod full {
    use serde::de::{self, Deserializer};
    use serde::Deserialize;
    use statscope_core::Timestamp;
    use std::collections::BTreeMap;
    use std::fmt;

    fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
    where
        D: Deserializer<'de>,
        T: Deserialize<'de> + Default,
    {
        Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
    }

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

    fn object_or_null<'de, D, T>(d: D) -> Result<T, D::Error>
    where
        D: Deserializer<'de>,
        T: Deserialize<'de> + Default,
    {
        Ok(Option::<MapOnly<T>>::deserialize(d)?.map_or_else(T::default, |m| m.0))
    }

    fn objects_or_null<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
    where
        D: Deserializer<'de>,
        T: Deserialize<'de>,
    {
        let list = Option::<Vec<MapOnly<T>>>::deserialize(d)?.unwrap_or_default();
        Ok(list.into_iter().map(|m| m.0).collect())
    }

    fn object_map_or_null<'de, D, T>(d: D) -> Result<BTreeMap<String, T>, D::Error>
    where
        D: Deserializer<'de>,
        T: Deserialize<'de>,
    {
        let map = Option::<BTreeMap<String, MapOnly<T>>>::deserialize(d)?.unwrap_or_default();
        Ok(map.into_iter().map(|(k, m)| (k, m.0)).collect())
    }

    #[derive(Debug, Default, Deserialize)]
    #[serde(default)]
    pub struct Stats {
        pub id: String,
        pub name: String,
        pub os_type: String,
        pub read: Timestamp,
        pub preread: Timestamp,
        #[serde(deserialize_with = "object_or_null")]
        pub cpu_stats: CpuStats,
        #[serde(deserialize_with = "object_or_null")]
        pub precpu_stats: CpuStats,
        #[serde(deserialize_with = "object_or_null")]
        pub memory_stats: MemoryStats,
        #[serde(deserialize_with = "object_map_or_null")]
        pub networks: BTreeMap<String, NetworkStats>,
        #[serde(deserialize_with = "object_or_null")]
        pub pids_stats: PidsStats,
        #[serde(deserialize_with = "object_or_null")]
        pub blkio_stats: BlkioStats,
        #[serde(deserialize_with = "null_as_default")]
        pub num_procs: u32,
        #[serde(deserialize_with = "object_or_null")]
        pub storage_stats: StorageStats,
    }

    #[derive(Debug, Default, Deserialize)]
    #[serde(default)]
    pub struct CpuStats {
        #[serde(deserialize_with = "object_or_null")]
        pub cpu_usage: CpuUsage,
        #[serde(deserialize_with = "null_as_default")]
        pub system_cpu_usage: u64,
        #[serde(deserialize_with = "null_as_default")]
        pub online_cpus: u32,
        #[serde(deserialize_with = "object_or_null")]
        pub throttling_data: ThrottlingData,
    }

    #[derive(Debug, Default, Deserialize)]
    #[serde(default)]
    pub struct CpuUsage {
        #[serde(deserialize_with = "null_as_default")]
        pub total_usage: u64,
        #[serde(deserialize_with = "null_as_default")]
        pub percpu_usage: Vec<u64>,
        #[serde(deserialize_with = "null_as_default")]
        pub usage_in_kernelmode: u64,
        #[serde(deserialize_with = "null_as_default")]
        pub usage_in_usermode: u64,
    }

    #[derive(Debug, Default, Deserialize)]
    #[serde(default)]
    pub struct ThrottlingData {
        #[serde(deserialize_with = "null_as_default")]
        pub periods: u64,
        #[serde(deserialize_with = "null_as_default")]
        pub throttled_periods: u64,
        #[serde(deserialize_with = "null_as_default")]
        pub throttled_time: u64,
    }

    #[derive(Debug, Default, Deserialize)]
    #[serde(default)]
    pub struct MemoryStats {
        #[serde(deserialize_with = "null_as_default")]
        pub usage: u64,
        #[serde(deserialize_with = "null_as_default")]
        pub max_usage: u64,
        #[serde(deserialize_with = "null_as_default")]
        pub failcnt: u64,
        #[serde(deserialize_with = "null_as_default")]
        pub limit: u64,
        #[serde(deserialize_with = "null_as_default")]
        pub stats: BTreeMap<String, u64>,
        #[serde(deserialize_with = "null_as_default")]
        pub commitbytes: u64,
        #[serde(deserialize_with = "null_as_default")]
        pub commitpeakbytes: u64,
        #[serde(deserialize_with = "null_as_default")]
        pub privateworkingset: u64,
    }

    #[derive(Debug, Default, Deserialize)]
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

    #[derive(Debug, Default, Deserialize)]
    #[serde(default)]
    pub struct PidsStats {
        #[serde(deserialize_with = "null_as_default")]
        pub current: u64,
        #[serde(deserialize_with = "null_as_default")]
        pub limit: u64,
    }

    #[derive(Debug, Default, Deserialize)]
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

    #[derive(Debug, Default, Deserialize)]
    #[serde(default)]
    pub struct BlkioEntry {
        #[serde(deserialize_with = "null_as_default")]
        pub major: u64,
        #[serde(deserialize_with = "null_as_default")]
        pub minor: u64,
        #[serde(deserialize_with = "null_as_default")]
        pub op: String,
        #[serde(deserialize_with = "null_as_default")]
        pub value: u64,
    }

    #[derive(Debug, Default, Deserialize)]
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

    /// The model's own fields, the keys of a Docker stats object.
    const KEYS: [&str; 13] = [
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

    /// As before, plus the rule both models follow since issue 19: an object with none of the
    /// stats keys (`{}`, `{"foo":1}`) is not a stats object.
    pub fn from_json(text: &str) -> Result<Stats, serde_json::Error> {
        let stats = serde_json::from_str::<MapOnly<Stats>>(text).map(|m| m.0)?;
        let value: serde_json::Value = serde_json::from_str(text)?;
        let known = value
            .as_object()
            .is_some_and(|o| o.keys().any(|k| KEYS.contains(&k.as_str())));
        if known {
            Ok(stats)
        } else {
            Err(de::Error::custom("no stats key"))
        }
    }
}

/// Every value the lean model keeps, as the full model gives it.
fn assert_same(lean: &Stats, full: &full::Stats, text: &str) {
    assert_eq!(lean.id, full.id, "{text}");
    assert_eq!(lean.name, full.name, "{text}");
    let os = match full.os_type.as_str() {
        "linux" => Some(OsType::Linux),
        "windows" => Some(OsType::Windows),
        _ => None,
    };
    assert_eq!(lean.os_type, os, "{text}");
    assert_eq!(
        (lean.read, lean.preread),
        (full.read, full.preread),
        "{text}"
    );
    assert_eq!(lean.num_procs, full.num_procs, "{text}");
    for (l, f) in [
        (&lean.cpu_stats, &full.cpu_stats),
        (&lean.precpu_stats, &full.precpu_stats),
    ] {
        let (lu, fu) = (&l.cpu_usage, &f.cpu_usage);
        assert_eq!(lu.total_usage, fu.total_usage, "{text}");
        assert_eq!(
            lu.percpu_usage_len as usize,
            fu.percpu_usage.len(),
            "{text}"
        );
        assert_eq!(
            (lu.usage_in_kernelmode, lu.usage_in_usermode),
            (fu.usage_in_kernelmode, fu.usage_in_usermode),
            "{text}"
        );
        assert_eq!(
            (l.system_cpu_usage, l.online_cpus),
            (f.system_cpu_usage, f.online_cpus),
            "{text}"
        );
        let (lt, ft) = (&l.throttling_data, &f.throttling_data);
        assert_eq!(
            (lt.periods, lt.throttled_periods, lt.throttled_time),
            (ft.periods, ft.throttled_periods, ft.throttled_time),
            "{text}"
        );
    }
    let (lm, fm) = (&lean.memory_stats, &full.memory_stats);
    assert_eq!(
        (lm.usage, lm.max_usage, lm.failcnt, lm.limit),
        (fm.usage, fm.max_usage, fm.failcnt, fm.limit),
        "{text}"
    );
    assert_eq!(
        (lm.commitbytes, lm.commitpeakbytes, lm.privateworkingset),
        (fm.commitbytes, fm.commitpeakbytes, fm.privateworkingset),
        "{text}"
    );
    assert_eq!(
        lm.stats.inactive_file,
        fm.stats.get("inactive_file").copied(),
        "{text}"
    );
    assert_eq!(
        lm.stats.total_inactive_file,
        fm.stats.get("total_inactive_file").copied(),
        "{text}"
    );
    // The sums as the figures made them from the maps (BTreeMap order).
    let n = &lean.networks;
    assert_eq!(n.interfaces as usize, full.networks.len(), "{text}");
    let (rx, tx) = full.networks.values().fold((0u64, 0u64), |(rx, tx), n| {
        (rx.wrapping_add(n.rx_bytes), tx.wrapping_add(n.tx_bytes))
    });
    assert_eq!((n.rx_bytes, n.tx_bytes), (rx, tx), "{text}");
    let (rx, tx) = full.networks.values().fold((0.0, 0.0), |(rx, tx), n| {
        (rx + n.rx_bytes as f64, tx + n.tx_bytes as f64)
    });
    assert_eq!((n.rx_bytes_f64, n.tx_bytes_f64), (rx, tx), "{text}");
    let (mut read, mut write) = (0u64, 0u64);
    for e in &full.blkio_stats.io_service_bytes_recursive {
        match e.op.as_bytes().first() {
            Some(b'r' | b'R') => read = read.wrapping_add(e.value),
            Some(b'w' | b'W') => write = write.wrapping_add(e.value),
            _ => {}
        }
    }
    let b = &lean.blkio_stats;
    assert_eq!(
        (b.service_read_bytes, b.service_write_bytes),
        (read, write),
        "{text}"
    );
    assert_eq!(
        (lean.pids_stats.current, lean.pids_stats.limit),
        (full.pids_stats.current, full.pids_stats.limit),
        "{text}"
    );
    let (ls, fs) = (&lean.storage_stats, &full.storage_stats);
    assert_eq!(
        (
            ls.read_count_normalized,
            ls.read_size_bytes,
            ls.write_count_normalized,
            ls.write_size_bytes
        ),
        (
            fs.read_count_normalized,
            fs.read_size_bytes,
            fs.write_count_normalized,
            fs.write_size_bytes
        ),
        "{text}"
    );
}

// --- generated stats objects ------------------------------------------------------------------

// The generators put something wrong into roughly one object in two (an object holds ~100
// values): each kind of wrong is rare, so that the rest of an object is still compared.

/// A value where Docker sends an unsigned counter: mostly good, rarely each kind of wrong.
fn counter() -> BoxedStrategy<String> {
    let wrong = prop::sample::select(
        &[
            "-1",
            "1.5",
            "1e3",
            "18446744073709551616",
            "\"7\"",
            "[]",
            "{}",
            "true",
        ][..],
    )
    .prop_map(str::to_string);
    prop_oneof![
        150 => any::<u64>().prop_map(|v| v.to_string()),
        60 => (0u64..1 << 53).prop_map(|v| v.to_string()),
        30 => (0u64..100).prop_map(|v| v.to_string()),
        10 => Just("null".to_string()),
        1 => wrong,
    ]
    .boxed()
}

/// A value where Docker sends a `u32` count; sometimes beyond `u32`.
fn count() -> BoxedStrategy<String> {
    prop_oneof![
        30 => (0u32..300).prop_map(|v| v.to_string()),
        3 => any::<u32>().prop_map(|v| v.to_string()),
        1 => counter(),
    ]
    .boxed()
}

/// `{"key": value, …}` from optional (key, value) pairs; now and then a key twice or one unknown.
fn object(fields: Vec<(&'static str, BoxedStrategy<String>)>) -> BoxedStrategy<String> {
    let n = fields.len();
    let parts: Vec<BoxedStrategy<Option<String>>> = fields
        .into_iter()
        .map(|(k, v)| {
            prop::option::weighted(0.7, v.prop_map(move |v| format!("\"{k}\":{v}"))).boxed()
        })
        .collect();
    (
        parts,
        prop::option::weighted(0.01, 0..n.max(1)),
        prop::option::weighted(0.2, Just("\"unknown\":[1,{\"a\":null}]")),
    )
        .prop_map(|(parts, twice, unknown)| {
            let mut kv: Vec<String> = parts.into_iter().flatten().collect();
            if let Some(i) = twice.filter(|&i| i < kv.len()) {
                kv.push(kv[i].clone());
            }
            kv.extend(unknown.map(str::to_string));
            format!("{{{}}}", kv.join(","))
        })
        .boxed()
}

/// Where Docker sends an object: mostly one, sometimes `null` or the wrong shape.
fn shaped(obj: BoxedStrategy<String>) -> BoxedStrategy<String> {
    let wrong =
        prop::sample::select(&["[]", "[1]", "[[]]", "7", "\"x\""][..]).prop_map(str::to_string);
    prop_oneof![
        60 => obj,
        4 => Just("null".to_string()),
        1 => wrong,
    ]
    .boxed()
}

/// A list: mostly of good items, sometimes `null`, `{}` or a wrong item.
fn list(item: BoxedStrategy<String>) -> BoxedStrategy<String> {
    let wrong = prop::sample::select(&["{}", "[null]", "7"][..]).prop_map(str::to_string);
    prop_oneof![
        30 => prop::collection::vec(item, 0..5).prop_map(|v| format!("[{}]", v.join(","))),
        4 => Just("null".to_string()),
        1 => wrong,
    ]
    .boxed()
}

/// A map with keys from `keys` (repeats and escapes included).
fn map(keys: &'static [&'static str], value: BoxedStrategy<String>) -> BoxedStrategy<String> {
    let entry = (prop::sample::select(keys), value).prop_map(|(k, v)| format!("\"{k}\":{v}"));
    let wrong = prop::sample::select(&["[]", "[[\"eth0\",1]]", "1"][..]).prop_map(str::to_string);
    prop_oneof![
        30 => prop::collection::vec(entry, 0..6).prop_map(|v| format!("{{{}}}", v.join(","))),
        4 => Just("null".to_string()),
        1 => wrong,
    ]
    .boxed()
}

fn string_value(values: &'static [&'static str]) -> BoxedStrategy<String> {
    prop_oneof![
        40 => prop::sample::select(values).prop_map(|s| format!("\"{s}\"")),
        1 => prop::sample::select(&["null", "5", "[]"][..]).prop_map(str::to_string),
    ]
    .boxed()
}

fn timestamp_value() -> BoxedStrategy<String> {
    prop_oneof![
        20 => string_value(&[
            "2024-05-01T10:00:00.123456789Z",
            "2024-05-01T02:00:00-08:00",
            "0001-01-01T00:00:00Z",
            "2016-12-31T23:59:60Z",
        ]),
        2 => Just("null".to_string()),
        1 => prop::sample::select(&["\"2024-02-30T00:00:00Z\"", "\"yesterday\""][..])
            .prop_map(str::to_string),
    ]
    .boxed()
}

fn cpu_stats() -> BoxedStrategy<String> {
    let usage = object(vec![
        ("total_usage", counter()),
        ("percpu_usage", list(counter())),
        ("usage_in_kernelmode", counter()),
        ("usage_in_usermode", counter()),
    ]);
    let throttling = object(vec![
        ("periods", counter()),
        ("throttled_periods", counter()),
        ("throttled_time", counter()),
    ]);
    shaped(object(vec![
        ("cpu_usage", shaped(usage)),
        ("system_cpu_usage", counter()),
        ("online_cpus", count()),
        ("throttling_data", shaped(throttling)),
    ]))
}

fn stats_text() -> BoxedStrategy<String> {
    let no_stats_key = prop::sample::select(
        &[
            "{}",
            r#"{"unknown":[1,{"a":null}]}"#,
            r#"{"type":"x"}"#,
            r#"{"I\u0064":"a"}"#,
        ][..],
    )
    .prop_map(str::to_string);
    prop_oneof![100 => docker_object(), 1 => no_stats_key].boxed()
}

/// An object with Docker's keys, each there with probability 0.7.
fn docker_object() -> BoxedStrategy<String> {
    let memory = object(vec![
        ("usage", counter()),
        ("max_usage", counter()),
        ("failcnt", counter()),
        ("limit", counter()),
        (
            "stats",
            map(
                &[
                    "inactive_file",
                    "total_inactive_file",
                    "active_file",
                    "pgfault",
                    "in\\u0061ctive_file",
                ],
                counter(),
            ),
        ),
        ("commitbytes", counter()),
        ("commitpeakbytes", counter()),
        ("privateworkingset", counter()),
    ]);
    let network = object(vec![
        ("rx_bytes", counter()),
        ("rx_packets", counter()),
        ("rx_errors", counter()),
        ("rx_dropped", counter()),
        ("tx_bytes", counter()),
        ("tx_packets", counter()),
        ("tx_errors", counter()),
        ("tx_dropped", counter()),
    ]);
    let entry = shaped(object(vec![
        ("major", counter()),
        ("minor", counter()),
        (
            "op",
            string_value(&["Read", "Write", "read", "write", "Sync", "Total", "", "r"]),
        ),
        ("value", counter()),
    ]));
    let blkio = object(
        [
            "io_service_bytes_recursive",
            "io_serviced_recursive",
            "io_queue_recursive",
            "io_service_time_recursive",
            "io_wait_time_recursive",
            "io_merged_recursive",
            "io_time_recursive",
            "sectors_recursive",
        ]
        .into_iter()
        .map(|k| (k, list(entry.clone())))
        .collect(),
    );
    let pids = object(vec![("current", counter()), ("limit", counter())]);
    let storage = object(vec![
        ("read_count_normalized", counter()),
        ("read_size_bytes", counter()),
        ("write_count_normalized", counter()),
        ("write_size_bytes", counter()),
    ]);
    object(vec![
        ("id", string_value(&["0123abcd", "", "a\\u0062c"])),
        ("name", string_value(&["/web", "/", "", "/w\\u00e9b"])),
        (
            "os_type",
            string_value(&["linux", "windows", "Linux", "freebsd"]),
        ),
        ("read", timestamp_value()),
        ("preread", timestamp_value()),
        ("cpu_stats", cpu_stats()),
        ("precpu_stats", cpu_stats()),
        ("memory_stats", shaped(memory)),
        (
            "networks",
            map(&["eth0", "eth1", "lo", "eth\\u0030"], shaped(network)),
        ),
        ("pids_stats", shaped(pids)),
        ("blkio_stats", shaped(blkio)),
        ("num_procs", count()),
        ("storage_stats", shaped(storage)),
    ])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]

    /// The fast path (`fast` in `src/model.rs`) and the serde model agree on the same objects.
    #[test]
    fn the_fast_path_agrees_with_the_serde_model(text in stats_text()) {
        let (fast, serde) = statscope_core::model::parse_object_paths(&text);
        if let Some(fast) = fast {
            prop_assert_eq!(Ok(fast), serde, "{}", text);
        }
    }

    #[test]
    fn the_lean_model_accepts_and_keeps_what_the_full_one_did(text in stats_text()) {
        let lean = Stats::from_json(&text);
        let full = full::from_json(&text);
        match (&lean, &full) {
            (Ok(lean), Ok(full)) => assert_same(lean, full, &text),
            (Err(_), Err(_)) => {}
            _ => panic!(
                "lean {:?} but full {:?} for {text}",
                lean.as_ref().map(|_| "ok"),
                full.as_ref().map(|_| "ok")
            ),
        }
    }
}

#[test]
fn the_generator_makes_both_good_and_bad_objects() {
    // A differential test is only as good as its input: both outcomes must be common.
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let (mut ok, mut err) = (0, 0);
    for _ in 0..2000 {
        let text = stats_text()
            .new_tree(&mut runner)
            .expect("a value")
            .current();
        match Stats::from_json(&text) {
            Ok(_) => ok += 1,
            Err(_) => err += 1,
        }
    }
    assert!(ok > 500 && err > 500, "{ok} good, {err} bad");
}

// --- timestamps ---------------------------------------------------------------------------------

/// `time`'s reading of an RFC 3339 text: ns since the epoch, or `None` if it refuses it.
fn time_parse(text: &str) -> Option<i128> {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(|t| t.unix_timestamp_nanos())
}

/// What `Timestamp::to_rfc3339` printed when it was built on `time`.
fn time_format(unix_ns: i128) -> String {
    let secs = unix_ns.div_euclid(1_000_000_000);
    let nanos = unix_ns.rem_euclid(1_000_000_000) as u32;
    let Ok(secs) = i64::try_from(secs) else {
        return format!("<out of range: {unix_ns} ns>");
    };
    let Ok(t) = time::OffsetDateTime::from_unix_timestamp(secs) else {
        return format!("<out of range: {unix_ns} ns>");
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

/// Two digits, mostly in range, biased to the edges (month ends, 23:59:60, offsets near ±24 h).
fn two(lo: u32, hi: u32, edge: &'static [u32]) -> BoxedStrategy<String> {
    prop_oneof![
        16 => (lo..=hi).prop_map(|v| format!("{v:02}")),
        4 => prop::sample::select(edge).prop_map(|v| format!("{v:02}")),
        1 => (0u32..100).prop_map(|v| format!("{v:02}")),
        1 => prop::sample::select(&["0", "1a", " 1", "+1", "0x"][..]).prop_map(str::to_string),
    ]
    .boxed()
}

fn rfc3339_text() -> BoxedStrategy<String> {
    let year = prop_oneof![
        4 => prop::sample::select(&[0u32, 1, 1900, 1970, 2000, 2016, 2023, 2024, 2100, 9999][..]),
        2 => 0u32..10_000,
    ]
    .prop_map(|y| format!("{y:04}"));
    let sep = prop::sample::select(&["-", "-", "-", "-", "-", "-", "-", "/"][..]);
    let date_time_sep = prop::sample::select(&["T", "T", "t", " ", "x", "é"][..]);
    let frac = prop_oneof![
        6 => Just(String::new()),
        6 => "[0-9]{1,12}".prop_map(|d| format!(".{d}")),
        1 => Just(".".to_string()),
    ];
    let offset = prop_oneof![
        6 => prop::sample::select(&["Z", "z"][..]).prop_map(str::to_string),
        6 => (prop::sample::select(&["+", "-"][..]), two(0, 23, &[0, 1, 23, 24]), two(0, 59, &[0, 30, 59, 60]))
            .prop_map(|(s, h, m)| format!("{s}{h}:{m}")),
        1 => prop::sample::select(&["", "+0100", "+01", "Z ", "UTC", "−01:00"][..]).prop_map(str::to_string),
    ];
    (
        year,
        sep,
        two(1, 12, &[1, 2, 12, 0, 13]),
        two(1, 28, &[28, 29, 30, 31, 0, 32]),
        date_time_sep,
        two(0, 23, &[0, 23, 24]),
        two(0, 59, &[0, 59, 60]),
        two(0, 59, &[0, 59, 60, 61]),
        frac,
        offset,
    )
        .prop_map(|(y, sep, mo, d, t, h, mi, s, frac, off)| {
            format!("{y}{sep}{mo}-{d}{t}{h}:{mi}:{s}{frac}{off}")
        })
        .boxed()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 20_000, ..ProptestConfig::default() })]

    #[test]
    fn timestamps_parse_as_the_time_crate_parsed_them(text in rfc3339_text()) {
        let ours = Timestamp::parse_rfc3339(&text).ok().map(Timestamp::unix_ns);
        prop_assert_eq!(ours, time_parse(&text), "{}", text);
    }

    #[test]
    fn timestamps_format_as_they_did_with_the_time_crate(
        ns in prop_oneof![
            any::<i128>(),
            -400_000_000_000_000_000_000i128..400_000_000_000_000_000_000,
            -3_000_000_000_000_000_000i128..3_000_000_000_000_000_000,
        ]
    ) {
        prop_assert_eq!(Timestamp::from_unix_ns(ns).to_rfc3339(), time_format(ns));
    }
}

#[test]
fn the_timestamp_generator_makes_both_good_and_bad_texts() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let (mut ok, mut err) = (0, 0);
    for _ in 0..2000 {
        let text = rfc3339_text()
            .new_tree(&mut runner)
            .expect("a value")
            .current();
        match time_parse(&text) {
            Some(_) => ok += 1,
            None => err += 1,
        }
    }
    assert!(ok > 300 && err > 300, "{ok} good, {err} bad");
}

#[test]
fn leap_seconds_and_range_edges_match_the_time_crate() {
    for text in [
        "2016-12-31T23:59:60Z",
        "2016-12-31T23:59:60.5Z",
        "2016-12-31T23:59:60+00:00",
        "2017-01-01T00:59:60+01:00",
        "2016-12-31T22:59:60-01:00",
        "2016-06-30T23:59:60Z",
        "2016-06-29T23:59:60Z",
        "2016-12-31T23:58:60Z",
        "9999-12-31T23:59:60Z",
        "9999-12-31T23:59:60-00:01",
        "0000-01-01T00:00:60+00:01",
        "0000-01-01T00:00:00+23:59",
        "9999-12-31T23:59:59-23:59",
        "2024-05-01T10:00:00.0000000001Z",
    ] {
        let ours = Timestamp::parse_rfc3339(text).ok().map(Timestamp::unix_ns);
        assert_eq!(ours, time_parse(text), "{text}");
    }
    let accepted = ["2016-12-31T23:59:60Z", "2017-01-01T00:59:60+01:00"];
    for text in accepted {
        assert!(
            time_parse(text).is_some(),
            "{text}: the case is meant to be accepted"
        );
    }
    for ns in [
        -377_705_116_800 * 1_000_000_000i128 - 1,
        -377_705_116_800 * 1_000_000_000i128,
        253_402_300_799 * 1_000_000_000i128 + 999_999_999,
        253_402_300_800 * 1_000_000_000i128,
    ] {
        assert_eq!(
            Timestamp::from_unix_ns(ns).to_rfc3339(),
            time_format(ns),
            "{ns}"
        );
    }
}
