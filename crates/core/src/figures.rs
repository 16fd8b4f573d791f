//! The docker CLI's per-sample figures and the strings `docker stats` prints for them.
//!
//! Ported from docker/cli `stats_helpers.go` and `formatter_stats.go` (see
//! `shared/docs/docker-stats.md` §2): CPU % from the sample and its own `precpu_stats`, memory without
//! inactive file pages, cumulative network and block I/O, PIDs, and the exact column strings.
//! Stateless, like the CLI: each sample stands alone. Rates over the engine's own history live in
//! [`crate::rates`], which computes CPU % with the same [`cpu_percent`].
//!
//! Deliberate fidelity: the Windows CPU formula keeps the CLI's unguarded `uint64` subtraction, so a
//! restart inside an open stream prints the same absurd value the CLI prints (the engine does not).

use crate::model::{BlkioStats, CpuStats, MemoryStats, NetworkTotals, OsType, Stats};
use crate::units::{bytes_size, format_fixed, human_size_with_precision};

/// The docker CLI's CPU formula, once: Δcontainer / Δsystem × CPUs × 100, and 0 when either Δ is
/// not positive (idle, a counter reset, the same `/proc/stat` reading), never a negative and never a
/// division by zero. [`cpu_percent_unix`] (the CLI's figure) and the engine ([`crate::rates`]) both
/// compute CPU % with it; on Windows the engine passes possible 100 ns intervals as Δsystem and 1 CPU.
pub fn cpu_percent(cpu_delta: f64, system_delta: f64, cpus: f64) -> f64 {
    if system_delta > 0.0 && cpu_delta > 0.0 {
        cpu_delta / system_delta * cpus * 100.0
    } else {
        0.0
    }
}

/// The docker CLI formula for CPU % on Linux ([`cpu_percent`]) for a sample against `pre`'s counters.
///
/// Each counter is converted to `f64` before subtracting, as Go does. The CPU count comes from the
/// *current* sample only: `online_cpus`, else `len(percpu_usage)`; with neither, the result is 0.
pub fn cpu_percent_unix(pre_total_ns: u64, pre_system_ns: u64, cur: &CpuStats) -> f64 {
    cpu_percent(
        cur.cpu_usage.total_usage as f64 - pre_total_ns as f64,
        cur.system_cpu_usage as f64 - pre_system_ns as f64,
        f64::from(online_cpus(cur)),
    )
}

/// The CPU count the docker CLI uses: `online_cpus`, else the length of `percpu_usage` (cgroup v1).
pub fn online_cpus(cpu: &CpuStats) -> u32 {
    if cpu.online_cpus != 0 {
        cpu.online_cpus
    } else {
        cpu.cpu_usage.percpu_usage_len
    }
}

/// The docker CLI formula for CPU % on Windows, quirks included: 100 ns intervals used over
/// `(read − preread) / 100 × num_procs` intervals possible. `Time.Sub` saturates (a zero `preread`
/// gives ~0 %), and the `u64` subtraction wraps when the counter went down.
pub fn cpu_percent_windows(s: &Stats) -> f64 {
    // Go: uint64(Duration) of a negative duration wraps; `as u64` of an i64 does the same.
    let mut possible = s.read.go_sub_ns(s.preread) as u64;
    possible /= 100;
    possible = possible.wrapping_mul(u64::from(s.num_procs));
    if possible > 0 {
        let used = s
            .cpu_stats
            .cpu_usage
            .total_usage
            .wrapping_sub(s.precpu_stats.cpu_usage.total_usage);
        used as f64 / possible as f64 * 100.0
    } else {
        0.0
    }
}

/// Memory in use without inactive file pages (docker CLI `calculateMemUsageUnixNoCache`).
///
/// cgroup v1 (`total_inactive_file` present) subtracts it when smaller than usage; otherwise falls
/// through to the local `inactive_file` (cgroup v2's key; missing = 0) under the same guard.
pub fn mem_usage_unix_no_cache(mem: &MemoryStats) -> f64 {
    mem_used(
        mem.usage,
        mem.stats.total_inactive_file,
        mem.stats.inactive_file,
    )
}

/// [`mem_usage_unix_no_cache`] from its three numbers (the formula, once).
pub fn mem_used(usage: u64, total_inactive_file: Option<u64>, inactive_file: Option<u64>) -> f64 {
    if let Some(v) = total_inactive_file {
        if v < usage {
            return (usage - v) as f64;
        }
    }
    let v = inactive_file.unwrap_or(0);
    if v < usage {
        return (usage - v) as f64;
    }
    usage as f64
}

/// MEM %: `used / limit × 100`, 0 when there is no limit.
pub fn mem_percent(limit: f64, used: f64) -> f64 {
    if limit != 0.0 {
        used / limit * 100.0
    } else {
        0.0
    }
}

/// Received and transmitted bytes summed over every interface, as `f64` like the CLI (each counter
/// converted, then added; summed by the model while it read `networks`).
pub fn network_bytes(networks: &NetworkTotals) -> (f64, f64) {
    (networks.rx_bytes_f64, networks.tx_bytes_f64)
}

/// Network byte counters summed as integers (the engine differentiates these exactly).
pub fn network_bytes_u64(networks: &NetworkTotals) -> (u64, u64) {
    (networks.rx_bytes, networks.tx_bytes)
}

/// Block read and write bytes: `io_service_bytes_recursive` entries whose `op` starts with `r`/`R`
/// or `w`/`W`, over all devices; everything else is ignored (summed by the model while it read them).
pub fn block_io_bytes(blkio: &BlkioStats) -> (u64, u64) {
    (blkio.service_read_bytes, blkio.service_write_bytes)
}

/// What the docker CLI computes for one sample (its `StatsEntry`).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Figures {
    /// The formulas' OS (the daemon's, or the sample's `os_type`).
    pub os: OsType,
    pub cpu_percent: f64,
    /// Linux: usage without inactive file; Windows: private working set. Bytes.
    pub memory_bytes: f64,
    pub memory_percent: f64,
    pub memory_limit_bytes: f64,
    pub net_rx_bytes: f64,
    pub net_tx_bytes: f64,
    pub block_read_bytes: f64,
    pub block_write_bytes: f64,
    pub pids_current: u64,
}

impl Figures {
    /// The docker CLI's figures for `s`, with `daemon_os` used when the sample carries no `os_type`.
    pub fn compute(s: &Stats, daemon_os: OsType) -> Figures {
        let (net_rx_bytes, net_tx_bytes) = network_bytes(&s.networks);
        match s.os(daemon_os) {
            OsType::Windows => Figures {
                os: OsType::Windows,
                cpu_percent: cpu_percent_windows(s),
                memory_bytes: s.memory_stats.privateworkingset as f64,
                net_rx_bytes,
                net_tx_bytes,
                block_read_bytes: s.storage_stats.read_size_bytes as f64,
                block_write_bytes: s.storage_stats.write_size_bytes as f64,
                ..Figures::default()
            },
            OsType::Linux => {
                let used = mem_usage_unix_no_cache(&s.memory_stats);
                let limit = s.memory_stats.limit as f64;
                let (read, write) = block_io_bytes(&s.blkio_stats);
                Figures {
                    os: OsType::Linux,
                    cpu_percent: cpu_percent_unix(
                        s.precpu_stats.cpu_usage.total_usage,
                        s.precpu_stats.system_cpu_usage,
                        &s.cpu_stats,
                    ),
                    memory_bytes: used,
                    memory_percent: mem_percent(limit, used),
                    memory_limit_bytes: limit,
                    net_rx_bytes,
                    net_tx_bytes,
                    block_read_bytes: read as f64,
                    block_write_bytes: write as f64,
                    pids_current: s.pids_stats.current,
                }
            }
        }
    }

    /// `CPUPerc`: `"151.86%"`.
    pub fn cpu_perc(&self) -> String {
        format!("{}%", format_fixed(self.cpu_percent, 2))
    }

    /// `MemUsage`: `"823.8MiB / 2GiB"` on Linux, the private working set alone on Windows.
    pub fn mem_usage(&self) -> String {
        match self.os {
            OsType::Windows => bytes_size(self.memory_bytes),
            OsType::Linux => format!(
                "{} / {}",
                bytes_size(self.memory_bytes),
                bytes_size(self.memory_limit_bytes)
            ),
        }
    }

    /// `MemPerc`: `"41.19%"`; `"--"` on Windows.
    pub fn mem_perc(&self) -> String {
        match self.os {
            OsType::Windows => "--".to_string(),
            OsType::Linux => format!("{}%", format_fixed(self.memory_percent, 2)),
        }
    }

    /// `NetIO`: `"1.33GB / 469MB"`.
    pub fn net_io(&self) -> String {
        format!(
            "{} / {}",
            human_size_with_precision(self.net_rx_bytes, 3),
            human_size_with_precision(self.net_tx_bytes, 3)
        )
    }

    /// `BlockIO`: `"0B / 4.1kB"`.
    pub fn block_io(&self) -> String {
        format!(
            "{} / {}",
            human_size_with_precision(self.block_read_bytes, 3),
            human_size_with_precision(self.block_write_bytes, 3)
        )
    }

    /// `PIDs`: `"3"`; `"--"` on Windows.
    pub fn pids(&self) -> String {
        match self.os {
            OsType::Windows => "--".to_string(),
            OsType::Linux => self.pids_current.to_string(),
        }
    }
}

/// The docker CLI's short ID (`stringid.TruncateID`): after any `algo:` prefix, at most 12 characters.
pub fn short_id(id: &str) -> &str {
    let id = id.split_once(':').map_or(id, |(_, rest)| rest);
    match id.char_indices().nth(12) {
        Some((i, _)) => &id[..i],
        None => id,
    }
}

/// The line `docker stats --format '{{json .}}'` prints for this sample (no trailing newline).
///
/// Keys sorted as Go's `json.Marshal` of a map sorts them; every value a string; strings escaped as
/// Go escapes them (`<`, `>`, `&`, U+2028, U+2029 as `\u00XX`). `Container` is the 12-character ID,
/// what docker CLI ≤ 28 shows when run with no container arguments (CLI 29 shows the full ID).
pub fn docker_json_line(s: &Stats, daemon_os: OsType) -> String {
    let f = Figures::compute(s, daemon_os);
    let id = short_id(&s.id);
    let fields: [(&str, &str); 9] = [
        ("BlockIO", &f.block_io()),
        ("CPUPerc", &f.cpu_perc()),
        ("Container", id),
        ("ID", id),
        ("MemPerc", &f.mem_perc()),
        ("MemUsage", &f.mem_usage()),
        ("Name", s.display_name()),
        ("NetIO", &f.net_io()),
        ("PIDs", &f.pids()),
    ];
    let mut out = String::with_capacity(256);
    out.push('{');
    for (i, (key, value)) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        go_json_string(&mut out, key);
        out.push(':');
        go_json_string(&mut out, value);
    }
    out.push('}');
    out
}

/// Appends `text` as a JSON string the way Go's `encoding/json` writes it with HTML escaping on.
pub fn go_json_string(out: &mut String, text: &str) {
    use std::fmt::Write;
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cpu(total: u64, system: u64, online: u32, percpu: u32) -> CpuStats {
        let mut c = CpuStats::default();
        c.cpu_usage.total_usage = total;
        c.cpu_usage.percpu_usage_len = percpu;
        c.system_cpu_usage = system;
        c.online_cpus = online;
        c
    }

    #[test]
    fn cpu_unix_follows_the_cli_and_its_guards() {
        // 0.3 s of CPU over 2 s of host time on 2 CPUs = 30 %.
        assert_eq!(
            cpu_percent_unix(0, 0, &cpu(300_000_000, 2_000_000_000, 2, 4)),
            30.0
        );
        // online_cpus wins over len(percpu_usage); without either, 0 CPUs → 0 %.
        assert_eq!(
            cpu_percent_unix(0, 0, &cpu(300_000_000, 2_000_000_000, 0, 4)),
            60.0
        );
        assert_eq!(
            cpu_percent_unix(0, 0, &cpu(300_000_000, 2_000_000_000, 0, 0)),
            0.0
        );
        // Counter went down, or the system did not move: 0, never negative.
        assert_eq!(cpu_percent_unix(500, 0, &cpu(100, 10, 2, 0)), 0.0);
        assert_eq!(cpu_percent_unix(0, 10, &cpu(100, 10, 2, 0)), 0.0);
    }

    #[test]
    fn memory_follows_the_cli_branches() {
        let mut m = MemoryStats {
            usage: 1000,
            ..MemoryStats::default()
        };
        assert_eq!(mem_usage_unix_no_cache(&m), 1000.0);
        m.stats.inactive_file = Some(300);
        assert_eq!(mem_usage_unix_no_cache(&m), 700.0);
        m.stats.total_inactive_file = Some(100);
        assert_eq!(mem_usage_unix_no_cache(&m), 900.0);
        // v1 guard fails: falls through to the local inactive_file.
        m.stats.total_inactive_file = Some(5000);
        assert_eq!(mem_usage_unix_no_cache(&m), 700.0);
        m.stats.inactive_file = Some(1000);
        assert_eq!(mem_usage_unix_no_cache(&m), 1000.0);
        assert_eq!(mem_percent(0.0, 5.0), 0.0);
        assert_eq!(mem_percent(200.0, 50.0), 25.0);
    }

    #[test]
    fn block_io_reads_only_service_bytes_by_first_letter() {
        let b: BlkioStats = serde_json::from_str(
            r#"{"io_service_bytes_recursive":[
                {"major":8,"minor":0,"op":"Read","value":10},{"major":8,"minor":0,"op":"Write","value":20},
                {"major":8,"minor":0,"op":"Sync","value":99},{"major":8,"minor":0,"op":"Total","value":30},
                {"major":253,"minor":0,"op":"read","value":1},{"major":253,"minor":0,"op":"write","value":2},
                {"major":8,"minor":0,"op":"","value":7}],
               "io_serviced_recursive":[{"major":8,"minor":0,"op":"Read","value":1000}]}"#,
        )
        .unwrap();
        assert_eq!(block_io_bytes(&b), (11, 22));
    }

    #[test]
    fn windows_cpu_keeps_the_cli_quirks() {
        let mut s = Stats {
            num_procs: 4,
            read: crate::Timestamp::parse_rfc3339("2024-01-01T00:00:01Z").unwrap(),
            preread: crate::Timestamp::parse_rfc3339("2024-01-01T00:00:00Z").unwrap(),
            ..Stats::default()
        };
        s.cpu_stats.cpu_usage.total_usage = 20_000_000; // 2 s of CPU in 100 ns units
        assert_eq!(cpu_percent_windows(&s), 50.0);
        s.precpu_stats.cpu_usage.total_usage = 30_000_000; // went down: the uint64 wraps
        assert!(cpu_percent_windows(&s) > 1e10);
        s.preread = crate::Timestamp::ZERO; // saturated interval: ~0
        s.precpu_stats.cpu_usage.total_usage = 0;
        assert!(cpu_percent_windows(&s) < 1e-3);
        s.num_procs = 0;
        assert_eq!(cpu_percent_windows(&s), 0.0);
    }

    #[test]
    fn short_ids_and_go_escaping() {
        assert_eq!(short_id("sha256:0123456789abcdef"), "0123456789ab");
        assert_eq!(short_id("abc"), "abc");
        let mut out = String::new();
        go_json_string(&mut out, "<b>&\"\\\n\u{1}\u{2028}é");
        assert_eq!(
            out,
            r#""\u003cb\u003e\u0026\"\\\n\u0001\u2028é""#.to_string()
        );
    }
}
