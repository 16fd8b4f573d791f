//! [`Sample`]: what the engine needs of one stats object, and nothing else — the compact form the
//! bridge sends the page and keeps as history (~10× smaller than Docker's JSON).
//!
//! A [`Stats`] projects to a `Sample` without loss for the engine: the engine's rates, flags and
//! "explain this number" are the same from either (`tests/sample.rs` checks it on every fixture).
//! The docker CLI's own figures ([`crate::figures::Figures`]) still need the whole `Stats` (its
//! network sums in `f64`, for one), so `statscope stats` reads `Stats`.
//!
//! On the wire a sample is one JSON array, its fields in the order of [`Sample`]'s declaration
//! ([`FIELDS`] names them; `docs/protocol.md` lists them): strings for the ID and name, an integer
//! or `null` for everything else (`null`: a time that is Go's zero time, a memory key that is
//! absent, an OS the sample did not say).

use std::fmt;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::ser::SerializeSeq;
use serde::{Deserialize, Serialize, Serializer};

use super::stats::{OsType, Stats};
use super::time::Timestamp;

/// What the engine needs of one stats object (see the module docs). Times are ns since the epoch.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Sample {
    /// The key the engine files it under: the container's ID (or its name when it has none), and
    /// `@host` when it comes from a named host (`"3f…9a@web-1"`).
    pub key: String,
    /// The name as the docker CLI prints it (no leading `/`).
    pub name: String,
    /// The sample's own `os_type`, if it said.
    pub os: Option<OsType>,
    /// `read`; [`Timestamp::ZERO`] in a stopped container's empty samples.
    pub read: Timestamp,
    pub preread: Timestamp,
    /// `cpu_stats.cpu_usage.total_usage`.
    pub cpu_total: u64,
    /// `cpu_stats.system_cpu_usage`.
    pub cpu_system: u64,
    /// The CPU count the docker CLI uses: `online_cpus`, else the length of `percpu_usage`.
    pub cpus: u32,
    /// Windows: logical processors.
    pub num_procs: u32,
    /// `precpu_stats.cpu_usage.total_usage` and `precpu_stats.system_cpu_usage`.
    pub precpu_total: u64,
    pub precpu_system: u64,
    /// `memory_stats.usage`, `.limit`, and the two `inactive_file` keys of `memory_stats.stats`.
    pub mem_usage: u64,
    pub mem_limit: u64,
    pub mem_total_inactive_file: Option<u64>,
    pub mem_inactive_file: Option<u64>,
    /// Windows: `memory_stats.privateworkingset`.
    pub mem_private: u64,
    /// Network bytes over every interface, summed as integers.
    pub net_rx: u64,
    pub net_tx: u64,
    /// Linux: block I/O read/written (`io_service_bytes_recursive`); Windows: `storage_stats`'s.
    pub blk_read: u64,
    pub blk_write: u64,
    pub storage_read: u64,
    pub storage_write: u64,
    /// `pids_stats.current`.
    pub pids: u64,
}

/// The wire form's fields, in order (what `docs/protocol.md` lists).
pub const FIELDS: [&str; 23] = [
    "key",
    "name",
    "os",
    "read",
    "preread",
    "cpu_total",
    "cpu_system",
    "cpus",
    "num_procs",
    "precpu_total",
    "precpu_system",
    "mem_usage",
    "mem_limit",
    "mem_total_inactive_file",
    "mem_inactive_file",
    "mem_private",
    "net_rx",
    "net_tx",
    "blk_read",
    "blk_write",
    "storage_read",
    "storage_write",
    "pids",
];

impl Sample {
    /// The engine's key for a container of `host` (`""`: no named host): the ID, or the name
    /// when there is no ID, then `@host`.
    pub fn key_of(id: &str, name: &str, host: &str) -> String {
        let who = if id.is_empty() { name } else { id };
        if host.is_empty() {
            who.to_string()
        } else {
            format!("{who}@{host}")
        }
    }

    /// The container's ID (or name) and its host (`""` for none) from a key.
    pub fn split_key(key: &str) -> (&str, &str) {
        key.split_once('@').unwrap_or((key, ""))
    }

    /// The sample of `stats`, for `host` (`""`: no named host). The ID and name are copied; see
    /// [`Sample::from_stats`] to move them.
    pub fn of(stats: &Stats, host: &str) -> Sample {
        let mut s = Sample::numbers(stats);
        s.key = Sample::key_of(&stats.id, &stats.name, host);
        s.name = stats.display_name().to_string();
        s
    }

    /// The sample of `stats`, moving its ID and name (no copy when there is no host).
    pub fn from_stats(stats: Stats, host: &str) -> Sample {
        let mut s = Sample::numbers(&stats);
        s.name = stats.display_name().to_string();
        let Stats { id, name, .. } = stats;
        s.key = if host.is_empty() {
            if id.is_empty() {
                name
            } else {
                id
            }
        } else {
            Sample::key_of(&id, &name, host)
        };
        s
    }

    /// Everything but the key and the name.
    fn numbers(s: &Stats) -> Sample {
        Sample {
            key: String::new(),
            name: String::new(),
            os: s.os_type,
            read: s.read,
            preread: s.preread,
            cpu_total: s.cpu_stats.cpu_usage.total_usage,
            cpu_system: s.cpu_stats.system_cpu_usage,
            cpus: crate::figures::online_cpus(&s.cpu_stats),
            num_procs: s.num_procs,
            precpu_total: s.precpu_stats.cpu_usage.total_usage,
            precpu_system: s.precpu_stats.system_cpu_usage,
            mem_usage: s.memory_stats.usage,
            mem_limit: s.memory_stats.limit,
            mem_total_inactive_file: s.memory_stats.stats.total_inactive_file,
            mem_inactive_file: s.memory_stats.stats.inactive_file,
            mem_private: s.memory_stats.privateworkingset,
            net_rx: s.networks.rx_bytes,
            net_tx: s.networks.tx_bytes,
            blk_read: s.blkio_stats.service_read_bytes,
            blk_write: s.blkio_stats.service_write_bytes,
            storage_read: s.storage_stats.read_size_bytes,
            storage_write: s.storage_stats.write_size_bytes,
            pids: s.pids_stats.current,
        }
    }

    /// Is this an "empty" sample (`read` is the zero time): the container is stopped or restarting.
    pub fn is_empty_sample(&self) -> bool {
        self.read.is_zero()
    }

    /// The OS whose formulas apply: `os` when the sample said, else `fallback` (the daemon's).
    pub fn os(&self, fallback: OsType) -> OsType {
        self.os.unwrap_or(fallback)
    }

    /// The sample's wire form (one JSON array).
    pub fn to_json(&self) -> String {
        // Strings and integers: cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// A time on the wire: ns since the epoch, `null` for Go's zero time, clamped to what an `i64`
/// holds (years 1678 to 2262; a sample beyond is far off anyway).
fn time_ns(t: Timestamp) -> Option<i64> {
    (!t.is_zero()).then(|| {
        t.unix_ns()
            .clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
    })
}

fn os_key(os: Option<OsType>) -> Option<&'static str> {
    os.map(|o| match o {
        OsType::Linux => "linux",
        OsType::Windows => "windows",
    })
}

impl Serialize for Sample {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut q = s.serialize_seq(Some(FIELDS.len()))?;
        q.serialize_element(&self.key)?;
        q.serialize_element(&self.name)?;
        q.serialize_element(&os_key(self.os))?;
        q.serialize_element(&time_ns(self.read))?;
        q.serialize_element(&time_ns(self.preread))?;
        for v in [
            self.cpu_total,
            self.cpu_system,
            u64::from(self.cpus),
            u64::from(self.num_procs),
            self.precpu_total,
            self.precpu_system,
            self.mem_usage,
            self.mem_limit,
        ] {
            q.serialize_element(&v)?;
        }
        q.serialize_element(&self.mem_total_inactive_file)?;
        q.serialize_element(&self.mem_inactive_file)?;
        for v in [
            self.mem_private,
            self.net_rx,
            self.net_tx,
            self.blk_read,
            self.blk_write,
            self.storage_read,
            self.storage_write,
            self.pids,
        ] {
            q.serialize_element(&v)?;
        }
        q.end()
    }
}

impl<'de> Deserialize<'de> for Sample {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Sample, D::Error> {
        struct Visit;
        impl<'de> Visitor<'de> for Visit {
            type Value = Sample;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "a sample: an array of {} fields", FIELDS.len())
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut q: A) -> Result<Sample, A::Error> {
                let mut at = 0;
                let key: String = field(&mut q, &mut at)?;
                let name: String = field(&mut q, &mut at)?;
                let os: Option<String> = field(&mut q, &mut at)?;
                let os = match os.as_deref() {
                    None => None,
                    Some(o) => Some(o.parse().map_err(|_| {
                        de::Error::invalid_value(de::Unexpected::Str(o), &"linux or windows")
                    })?),
                };
                let time = |t: Option<i64>| {
                    t.map_or(Timestamp::ZERO, |ns| {
                        Timestamp::from_unix_ns(i128::from(ns))
                    })
                };
                let s = Sample {
                    key,
                    name,
                    os,
                    read: time(field(&mut q, &mut at)?),
                    preread: time(field(&mut q, &mut at)?),
                    cpu_total: field(&mut q, &mut at)?,
                    cpu_system: field(&mut q, &mut at)?,
                    cpus: field(&mut q, &mut at)?,
                    num_procs: field(&mut q, &mut at)?,
                    precpu_total: field(&mut q, &mut at)?,
                    precpu_system: field(&mut q, &mut at)?,
                    mem_usage: field(&mut q, &mut at)?,
                    mem_limit: field(&mut q, &mut at)?,
                    mem_total_inactive_file: field(&mut q, &mut at)?,
                    mem_inactive_file: field(&mut q, &mut at)?,
                    mem_private: field(&mut q, &mut at)?,
                    net_rx: field(&mut q, &mut at)?,
                    net_tx: field(&mut q, &mut at)?,
                    blk_read: field(&mut q, &mut at)?,
                    blk_write: field(&mut q, &mut at)?,
                    storage_read: field(&mut q, &mut at)?,
                    storage_write: field(&mut q, &mut at)?,
                    pids: field(&mut q, &mut at)?,
                };
                if q.next_element::<de::IgnoredAny>()?.is_some() {
                    return Err(de::Error::invalid_length(at + 1, &"a sample's 23 fields"));
                }
                Ok(s)
            }
        }
        /// The next field of the array (`at` counts them, for the error).
        fn field<'de, T: Deserialize<'de>, A: SeqAccess<'de>>(
            q: &mut A,
            at: &mut usize,
        ) -> Result<T, A::Error> {
            let i = *at;
            *at += 1;
            q.next_element()?
                .ok_or_else(|| de::Error::invalid_length(i, &"a sample's 23 fields"))
        }
        d.deserialize_seq(Visit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sample_round_trips_and_says_what_is_wrong() {
        let s = Sample {
            key: Sample::key_of(&"a".repeat(64), "/web", "host-1"),
            name: "web".into(),
            os: Some(OsType::Linux),
            read: Timestamp::from_unix_ns(1_700_000_000_123_456_789),
            preread: Timestamp::ZERO,
            cpu_total: u64::MAX,
            cpu_system: 10_000_000,
            cpus: 4,
            mem_total_inactive_file: Some(7),
            pids: 3,
            ..Sample::default()
        };
        let text = s.to_json();
        assert!(
            text.starts_with(&format!(
                "[\"{}@host-1\",\"web\",\"linux\",1700000000123456789,null,18446744073709551615,",
                "a".repeat(64)
            )),
            "{text}"
        );
        assert_eq!(serde_json::from_str::<Sample>(&text).expect("reads"), s);
        assert_eq!(
            Sample::split_key(&s.key),
            ("a".repeat(64).as_str(), "host-1")
        );
        assert_eq!(Sample::split_key("abc"), ("abc", ""));
        for bad in [
            "[]",
            "[\"k\",\"n\",null,1]",
            "{}",
            "[\"k\",\"n\",\"os2\",1,2,3,4,5,6,7,8,9,10,null,null,11,12,13,14,15,16,17,18]",
        ] {
            assert!(serde_json::from_str::<Sample>(bad).is_err(), "{bad}");
        }
        let long = text.replace("]", ",1]");
        assert!(serde_json::from_str::<Sample>(&long).is_err());
    }
}
