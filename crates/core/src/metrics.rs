//! The metrics statscope shows, as one table: [`METRICS`]. Each row says what a metric is called
//! (its key in JS, URLs and the protocol; its label, title and column; its description for screen
//! readers), how its values print ([`Unit`]), whether it is a rate or a gauge, its CSV column, and
//! how to read it from the engine's [`Point`].
//!
//! Everything that lists metrics takes them from here: the CSV header and rows
//! ([`crate::report`]), the page's toolbar, legend, tooltip columns and accessible names, its
//! TypeScript union (`DashboardMetric`, checked by a test) and the URL parameter. Adding a metric is a
//! variant of [`Metric`], a row here, and what is truly new about it (reading it from a sample in
//! [`crate::rates`]).

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::rates::Point;

/// A quantity the chart can show. `Metric as usize` is its row in [`METRICS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Metric {
    /// CPU %, 100 % = one core (the docker CLI's scale; the page may rescale it).
    #[default]
    Cpu,
    /// Memory in use, bytes (docker CLI: without inactive file pages).
    Memory,
    /// Memory in use, % of the container's memory limit.
    MemoryPercent,
    /// Network received, bytes/s, all interfaces summed.
    NetRx,
    /// Network transmitted, bytes/s, all interfaces summed.
    NetTx,
    /// Block device reads, bytes/s.
    BlockRead,
    /// Block device writes, bytes/s.
    BlockWrite,
    /// Processes and threads in the container (`pids_stats.current`, the `PIDS` column of
    /// `docker stats`).
    Pids,
}

/// What a metric is, in one row.
#[derive(Debug)]
pub struct MetricSpec {
    pub metric: Metric,
    /// Its name in JS, in URLs (`?metric=`) and in attributes: `"cpu"`, `"netRx"`…
    pub key: &'static str,
    /// The toolbar's choice: `"CPU %"`, `"Network received /s"`.
    pub label: &'static str,
    /// A heading for the axis, the tooltip and the screen-reader table: `"CPU"`.
    pub title: &'static str,
    /// The tooltip's column header (short): `"CPU"`, `"net ↓/s"`.
    pub column: &'static str,
    /// What the chart shows, for screen readers: `"Memory in use per container over time"`.
    pub describe: &'static str,
    pub unit: Unit,
    /// A rate (the derivative of a counter), as opposed to a gauge (a level such as memory).
    pub rate: bool,
    /// Its column in `statscope stats --format csv` and the page's CSV export.
    pub csv: &'static str,
    /// Its value in a point of the engine (CPU on the docker CLI's per-core scale).
    pub read: fn(&Point) -> Option<f64>,
}

/// Every metric, in display order (toolbar, tooltip columns, CSV columns).
pub const METRICS: [MetricSpec; 8] = [
    MetricSpec {
        metric: Metric::Cpu,
        key: "cpu",
        label: "CPU %",
        title: "CPU",
        column: "CPU",
        describe: "CPU % per container over time",
        unit: Unit::Percent,
        rate: true,
        csv: "cpu_percent",
        read: Point::cpu_percent,
    },
    MetricSpec {
        metric: Metric::Memory,
        key: "memory",
        label: "Memory",
        title: "Memory",
        column: "memory",
        describe: "Memory in use per container over time",
        unit: Unit::Bytes,
        rate: false,
        csv: "mem_usage_bytes",
        read: Point::mem_usage_bytes,
    },
    MetricSpec {
        metric: Metric::MemoryPercent,
        key: "memoryPercent",
        label: "Memory % of limit",
        title: "Memory % of limit",
        column: "mem %",
        describe: "Memory % of limit per container over time",
        unit: Unit::Percent,
        rate: false,
        csv: "mem_percent",
        read: Point::mem_percent,
    },
    MetricSpec {
        metric: Metric::NetRx,
        key: "netRx",
        label: "Network received /s",
        title: "Network received",
        column: "net ↓/s",
        describe: "Network received per container, bytes per second",
        unit: Unit::BytesPerSecond,
        rate: true,
        csv: "net_rx_bytes_per_s",
        read: Point::net_rx_bytes_per_s,
    },
    MetricSpec {
        metric: Metric::NetTx,
        key: "netTx",
        label: "Network sent /s",
        title: "Network sent",
        column: "net ↑/s",
        describe: "Network sent per container, bytes per second",
        unit: Unit::BytesPerSecond,
        rate: true,
        csv: "net_tx_bytes_per_s",
        read: Point::net_tx_bytes_per_s,
    },
    MetricSpec {
        metric: Metric::BlockRead,
        key: "blockRead",
        label: "Block read /s",
        title: "Block read",
        column: "disk r/s",
        describe: "Block reads per container, bytes per second",
        unit: Unit::BytesPerSecond,
        rate: true,
        csv: "blk_read_bytes_per_s",
        read: Point::blk_read_bytes_per_s,
    },
    MetricSpec {
        metric: Metric::BlockWrite,
        key: "blockWrite",
        label: "Block write /s",
        title: "Block write",
        column: "disk w/s",
        describe: "Block writes per container, bytes per second",
        unit: Unit::BytesPerSecond,
        rate: true,
        csv: "blk_write_bytes_per_s",
        read: Point::blk_write_bytes_per_s,
    },
    MetricSpec {
        metric: Metric::Pids,
        key: "pids",
        label: "PIDs",
        title: "PIDs",
        column: "PIDs",
        describe: "Processes and threads per container over time",
        unit: Unit::Count,
        rate: false,
        csv: "pids",
        read: Point::pids,
    },
];

impl Metric {
    /// Every metric, in display order.
    pub fn all() -> impl Iterator<Item = Metric> {
        METRICS.iter().map(|m| m.metric)
    }

    /// Its row of [`METRICS`].
    pub fn spec(self) -> &'static MetricSpec {
        &METRICS[self as usize]
    }

    /// The name JS uses (`"cpu"`, `"memory"`, `"memoryPercent"`, `"netRx"`, …).
    pub fn key(self) -> &'static str {
        self.spec().key
    }

    pub fn from_key(key: &str) -> Option<Metric> {
        METRICS.iter().find(|m| m.key == key).map(|m| m.metric)
    }

    /// A human title for the axis and the canvas's accessible name.
    pub fn title(self) -> &'static str {
        self.spec().title
    }

    /// How its values print.
    pub fn unit(self) -> Unit {
        self.spec().unit
    }

    /// A rate (a derivative of a counter), as opposed to a gauge.
    pub fn is_rate(self) -> bool {
        self.spec().rate
    }

    /// The raw value of a point (CPU on the docker CLI's per-core scale).
    pub fn raw(self, p: &Point) -> Option<f64> {
        (self.spec().read)(p)
    }

    /// The keys, joined for an error message: `"cpu", "memory", …`.
    pub fn keys_listed() -> String {
        let keys: Vec<String> = METRICS.iter().map(|m| format!("{:?}", m.key)).collect();
        keys.join(", ")
    }
}

impl Serialize for Metric {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.key())
    }
}

impl<'de> Deserialize<'de> for Metric {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Metric, D::Error> {
        struct Key;
        impl Visitor<'_> for Key {
            type Value = Metric;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "one of {}", Metric::keys_listed())
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Metric, E> {
                Metric::from_key(v).ok_or_else(|| {
                    E::custom(format!(
                        "unknown metric {v:?}, expected one of {}",
                        Metric::keys_listed()
                    ))
                })
            }
        }
        d.deserialize_str(Key)
    }
}

/// Units of printed values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    Percent,
    /// Memory: binary multiples, as the docker CLI prints memory (KiB, MiB, GiB).
    Bytes,
    /// I/O rates: decimal multiples, as the docker CLI prints network and block I/O (kB, MB).
    BytesPerSecond,
    /// A whole number of things (processes).
    Count,
}

impl Unit {
    /// The divisor and suffix that make `max` print as a number below 1000 (1024 for bytes).
    pub fn scale_for(self, max: f64) -> (f64, &'static str) {
        match self {
            Unit::Percent => (1.0, "%"),
            Unit::Count => (1.0, ""),
            Unit::Bytes => {
                const UNITS: [&str; 5] = [" B", " KiB", " MiB", " GiB", " TiB"];
                let mut div = 1.0;
                let mut i = 0;
                while i + 1 < UNITS.len() && max >= div * 1024.0 {
                    div *= 1024.0;
                    i += 1;
                }
                (div, UNITS[i])
            }
            Unit::BytesPerSecond => {
                const UNITS: [&str; 5] = [" B/s", " kB/s", " MB/s", " GB/s", " TB/s"];
                let mut div = 1.0;
                let mut i = 0;
                while i + 1 < UNITS.len() && max >= div * 1000.0 {
                    div *= 1000.0;
                    i += 1;
                }
                (div, UNITS[i])
            }
        }
    }

    /// A change smaller than this is noise, not a trend (rising or falling over 30 s).
    pub fn noise(self) -> f64 {
        match self {
            Unit::Percent => 2.0,
            Unit::Bytes => 1024.0 * 1024.0,
            Unit::BytesPerSecond => 10_000.0,
            Unit::Count => 1.0,
        }
    }

    /// One value for people: `12.5%`, `48.3 MiB`, `1.21 MB/s`, `7`.
    pub fn format(self, v: f64) -> String {
        if !v.is_finite() {
            return "–".into();
        }
        let (div, suffix) = self.scale_for(v.abs());
        let x = v / div;
        match self {
            Unit::Percent => format!("{x:.1}%"),
            Unit::Count => format!("{x:.0}"),
            _ if div == 1.0 => format!("{x:.0}{suffix}"),
            _ if x.abs() < 10.0 => format!("{x:.2}{suffix}"),
            _ if x.abs() < 100.0 => format!("{x:.1}{suffix}"),
            _ => format!("{x:.0}{suffix}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_indexed_by_the_enum_and_keys_are_unique() {
        for (i, m) in METRICS.iter().enumerate() {
            assert_eq!(m.metric as usize, i, "{}", m.key);
            assert_eq!(Metric::from_key(m.key), Some(m.metric));
        }
        let mut keys: Vec<&str> = METRICS.iter().map(|m| m.key).collect();
        let mut csv: Vec<&str> = METRICS.iter().map(|m| m.csv).collect();
        keys.sort_unstable();
        csv.sort_unstable();
        keys.dedup();
        csv.dedup();
        assert_eq!((keys.len(), csv.len()), (METRICS.len(), METRICS.len()));
        assert_eq!(Metric::from_key("CPU"), None);
    }

    #[test]
    fn metrics_read_and_write_as_their_keys() {
        for m in Metric::all() {
            let json = serde_json::to_string(&m).expect("serializes");
            assert_eq!(json, format!("\"{}\"", m.key()));
            assert_eq!(serde_json::from_str::<Metric>(&json).expect("reads"), m);
        }
        let e = serde_json::from_str::<Metric>("\"disk\"").expect_err("unknown");
        assert!(e.to_string().contains("unknown metric \"disk\""), "{e}");
    }

    #[test]
    fn units_print_for_people() {
        assert_eq!(Unit::Percent.format(12.345), "12.3%");
        assert_eq!(Unit::Bytes.format(48.0 * 1024.0 * 1024.0), "48.0 MiB");
        assert_eq!(Unit::BytesPerSecond.format(1_210_000.0), "1.21 MB/s");
        assert_eq!(Unit::BytesPerSecond.format(999.0), "999 B/s");
        assert_eq!(Unit::Count.format(7.0), "7");
        assert_eq!(Unit::Count.format(f64::NAN), "–");
    }
}
