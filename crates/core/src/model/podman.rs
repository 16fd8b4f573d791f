//! Podman through its Docker-compatible API (`podman system service`): how to recognize it, and
//! its stats object as the engine's [`Sample`]. Every way Podman's answers differ from Docker's
//! that matters to statscope is handled here, and only here (the fixtures in
//! `tests/fixtures/podman/` are real Podman 4.3.1 captures; `tests/podman.rs` checks this module on
//! them).
//!
//! **Recognizing it** ([`recognize`]): `GET /version`'s `Components[0].Name` is `"Podman Engine"`
//! (Docker's is `"Engine"`), and its answers carry `Server: Libpod/…`. `/info`'s `ID` is a new
//! random UUID on every call, so it identifies nothing (neither does Docker's: every engine on a
//! machine shares it).
//!
//! **Its stats** (`/containers/{id}/stats`), and what [`PodmanStream::sample`] does about each:
//!
//! | Podman | here |
//! |---|---|
//! | `Id` instead of `id` | the ID is the one the stream was opened for ([`PodmanStream::new`]) |
//! | `name` without the leading `/` (`/containers/json` keeps it) | a `/` is put back, so the name reads as Docker's does |
//! | `system_cpu_usage` counts the host's *busy* CPU time, not wall time × CPUs: the docker CLI's formula then overstates (a busy loop read 117–197 % on a 2-CPU host, where `top` and the cgroup said 92–100 %) | `cpu_system` (and `precpu_system`) become wall time × CPUs: `read` (`preread`) in ns × online CPUs, so the engine's Δcpu_total ÷ Δcpu_system × CPUs × 100 is CPU time ÷ wall time × 100, what `top` shows (and what Podman's own `cpu_stats.cpu` says) |
//! | the first streamed sample's `precpu_stats` was read 1–6 ms before `read` (its CPU % came out anywhere from 0 to 531 %) | a `preread` less than [`MIN_PRECPU_SPAN_NS`] before `read` is no baseline: the sample keeps no `precpu`, so the engine treats it as a first sample (or uses its own previous one) |
//! | `precpu_stats` lacks `online_cpus` in the first sample | the CPU count comes from `cpu_stats` alone, as for Docker |
//! | one sample every ~5 s (Docker: ~1 s) | nothing: the engine's intervals are measured, not assumed |
//! | `memory_stats` is only `usage` and `limit` (the limit is the host's memory when none is set) | nothing: without `inactive_file` the engine's memory is `usage`, as the docker CLI's |
//! | `networks` is one aggregated entry, `network` (bytes only) | nothing: the engine sums interfaces |
//! | `blkio_stats` lists are `[]` or `null`; `pids_stats` has only `current` | nothing: absent is zero |
//! | no empty ("stopped") samples: the stream just ends at the next tick after the container stops | [`PodmanStream::ended`] is the empty sample Docker would have sent, for the caller to pass on when the stream ends cleanly |
//!
//! **Its events** (`/events`), through [`docker_event`]: `remove` where Docker says `destroy` (the
//! only action renamed; `init` and `cleanup` are Podman's own and not lifecycle events); `stop` is
//! unreliable (missing in most API stops, before `die` when present); `kill` has no `signal`;
//! `die` carries `exitCode`; names come without `/`.
//!
//! Why wall time, and why not Podman's `system_cpu_usage`: the engine's formula assumes the
//! system counter grows by wall time × CPUs (Docker reads it from `/proc/stat`'s total, idle
//! included). Podman's grows by the host's busy time only, so on a host that is half idle the
//! ratio doubles. `read` and `preread` are the times the counters were read, in the same clock
//! the ns of `total_usage` are counted against.
//!
//! `cpu_system` as ns since [`WALL_EPOCH_NS`] × CPUs fits a `u64` for 584 years ÷ CPUs (9 years
//! from 2020 at 64 CPUs); past that it wraps. A wrap between two samples is a counter going down:
//! the engine re-baselines there (one point without a rate), and never shows a false value; a wrap
//! between `preread` and `read`, or a span too long to count (2^64 ns ÷ CPUs, 584 years ÷ CPUs),
//! drops the sample's `precpu`, with the same effect. Two limits remain, both beyond a real
//! stream: two consecutive samples more than 2^64 ns ÷ CPUs apart may wrap more than once, and a
//! CPU count that changes between two samples moves the counter by the difference; either way that
//! one value is not CPU time over wall time (it is finite and never negative; the fuzz target
//! `podman` checks CPU time over wall time everywhere else).
//!
//! Pure: no I/O, no clock.

use serde::Deserialize;

use super::sample::Sample;
use super::stats::Stats;
use super::time::Timestamp;
use super::ParseError;
use crate::docker_api::DockerEvent;

/// Which engine answers the Docker API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Engine {
    #[default]
    Docker,
    /// Podman's Docker-compatible API: stats go through [`PodmanStream`].
    Podman,
}

/// Recognizes Podman from `GET /version`'s body (`Components[0].Name == "Podman Engine"`) or the
/// answer's `Server` header (`Libpod/4.3.1 (linux)`); anything else is Docker.
pub fn recognize(version_body: &[u8], server_header: Option<&str>) -> Engine {
    #[derive(Deserialize)]
    struct Version {
        #[serde(rename = "Components", default)]
        components: Option<Vec<Component>>,
    }
    #[derive(Deserialize)]
    struct Component {
        #[serde(rename = "Name", default)]
        name: String,
    }
    let by_header = server_header.is_some_and(|s| s.starts_with("Libpod/"));
    let by_version = serde_json::from_slice::<Version>(version_body)
        .ok()
        .and_then(|v| v.components)
        .and_then(|c| c.into_iter().next())
        .is_some_and(|c| c.name == "Podman Engine");
    if by_header || by_version {
        Engine::Podman
    } else {
        Engine::Docker
    }
}

/// A Podman event as Docker would have said it: `remove` is Docker's `destroy`.
pub fn docker_event(mut event: DockerEvent) -> DockerEvent {
    if event.action == "remove" {
        event.action = "destroy".to_string();
    }
    event
}

/// A `preread` closer than this to `read` is no baseline (Podman's first streamed sample: 1–6 ms).
/// Its samples are ~5 s apart, Docker's ~1 s.
pub const MIN_PRECPU_SPAN_NS: i128 = 1_000_000_000;

/// The origin of the wall-time counter: 2020-01-01T00:00:00Z, in ns since the Unix epoch.
pub const WALL_EPOCH_NS: i128 = 1_577_836_800_000_000_000;

/// The wall-time "system" counter at `t`: ns since [`WALL_EPOCH_NS`] × `cpus`, modulo 2^64.
pub fn wall_system_ns(t: Timestamp, cpus: u32) -> u64 {
    // Truncating an i128 to u64 keeps it modulo 2^64 (two's complement), times before the epoch too.
    (t.unix_ns() - WALL_EPOCH_NS).wrapping_mul(i128::from(cpus)) as u64
}

/// One container's Podman stats stream: each object becomes a [`Sample`] (see the module docs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodmanStream {
    id: String,
    host: String,
    /// The name as Docker writes it (`/web`), from the latest sample.
    name: String,
}

impl PodmanStream {
    /// The stream opened for `container_id` on `host` (`""`: no named host).
    pub fn new(container_id: &str, host: &str) -> PodmanStream {
        PodmanStream {
            id: container_id.to_string(),
            host: host.to_string(),
            name: String::new(),
        }
    }

    /// One line of the stream.
    pub fn sample_from_json(&mut self, text: &str) -> Result<Sample, ParseError> {
        Ok(self.sample(Stats::from_json(text)?))
    }

    /// One stats object as the engine's sample.
    pub fn sample(&mut self, mut stats: Stats) -> Sample {
        stats.id.clone_from(&self.id);
        if !stats.name.is_empty() && !stats.name.starts_with('/') {
            stats.name.insert(0, '/');
        }
        if !stats.name.is_empty() {
            self.name.clone_from(&stats.name);
        }
        let mut s = Sample::from_stats(stats, &self.host);
        if s.is_empty_sample() {
            return s;
        }
        s.cpu_system = wall_system_ns(s.read, s.cpus);
        let span_ns = s.read.unix_ns() - s.preread.unix_ns();
        let precpu_system = wall_system_ns(s.preread, s.cpus);
        // The counter's Δ is the span × CPUs only when that fits a u64 and did not wrap.
        let exact = span_ns
            .checked_mul(i128::from(s.cpus))
            .is_some_and(|d| d < 1 << 64)
            && precpu_system <= s.cpu_system;
        if s.preread.is_zero() || span_ns < MIN_PRECPU_SPAN_NS || !exact {
            s.preread = Timestamp::ZERO;
            s.precpu_total = 0;
            s.precpu_system = 0;
        } else {
            s.precpu_system = precpu_system;
        }
        s
    }

    /// The empty sample Docker streams for a stopped container (`read` the zero time), which
    /// Podman never sends: pass it on when the stream ends cleanly, so the container's curve ends.
    pub fn ended(&self) -> Sample {
        let stats = Stats {
            id: self.id.clone(),
            name: self.name.clone(),
            ..Stats::default()
        };
        Sample::from_stats(stats, &self.host)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    /// A Podman 4.3.1 stats object, shaped as recorded (keys and their order).
    fn podman(read: &str, preread: &str, total: u64, pretotal: u64, busy_system: u64) -> String {
        format!(
            r#"{{"read":"{read}","preread":"{preread}","pids_stats":{{"current":1}},"blkio_stats":{{"io_service_bytes_recursive":[],"io_serviced_recursive":null,"io_queue_recursive":null,"io_service_time_recursive":null,"io_wait_time_recursive":null,"io_merged_recursive":null,"io_time_recursive":null,"sectors_recursive":null}},"num_procs":0,"storage_stats":{{}},"cpu_stats":{{"cpu_usage":{{"total_usage":{total},"usage_in_kernelmode":0,"usage_in_usermode":{total}}},"system_cpu_usage":{busy_system},"online_cpus":2,"cpu":99.5,"throttling_data":{{"periods":0,"throttled_periods":0,"throttled_time":0}}}},"precpu_stats":{{"cpu_usage":{{"total_usage":{pretotal},"usage_in_kernelmode":0,"usage_in_usermode":{pretotal}}},"system_cpu_usage":1,"cpu":0,"throttling_data":{{"periods":0,"throttled_periods":0,"throttled_time":0}}}},"memory_stats":{{"usage":1048576,"limit":4294967296}},"name":"burn","Id":"{ID}","networks":{{"network":{{"rx_bytes":100,"rx_packets":0,"rx_errors":0,"rx_dropped":0,"tx_bytes":50,"tx_packets":0,"tx_errors":0,"tx_dropped":0}}}}}}"#
        )
    }

    #[test]
    fn podman_is_recognized_by_its_version_or_its_server_header() {
        let podman_version = br#"{"Platform":{"Name":"linux/amd64/debian-12"},"Components":[{"Name":"Podman Engine","Version":"4.3.1"},{"Name":"Conmon"}],"Version":"4.3.1","ApiVersion":"1.41"}"#;
        let docker_version = br#"{"Platform":{"Name":"Docker Engine - Community"},"Components":[{"Name":"Engine","Version":"28.2.2"},{"Name":"containerd"}],"Version":"28.2.2","ApiVersion":"1.50"}"#;
        assert_eq!(recognize(podman_version, None), Engine::Podman);
        assert_eq!(
            recognize(b"{}", Some("Libpod/4.3.1 (linux)")),
            Engine::Podman
        );
        assert_eq!(recognize(docker_version, None), Engine::Docker);
        assert_eq!(
            recognize(docker_version, Some("Docker/28.2.2 (linux)")),
            Engine::Docker
        );
        assert_eq!(recognize(b"not json", None), Engine::Docker);
        assert_eq!(
            recognize(
                br#"{"Components":[{"Name":"Engine"},{"Name":"Podman Engine"}]}"#,
                None
            ),
            Engine::Docker,
            "only the first component names the engine"
        );
    }

    #[test]
    fn the_id_is_the_streams_and_the_name_reads_as_dockers() {
        let mut stream = PodmanStream::new(ID, "pod-host");
        let s = stream
            .sample_from_json(&podman(
                "2026-12-05T10:00:05.000000000Z",
                "2026-12-05T10:00:00.000000000Z",
                5_000_000_000,
                0,
                7,
            ))
            .expect("parses");
        assert_eq!(s.key, format!("{ID}@pod-host"));
        assert_eq!(s.name, "burn", "not \"urn\": the name had no leading /");
        // Podman's aggregated network entry, its memory keys.
        assert_eq!((s.net_rx, s.net_tx), (100, 50));
        assert_eq!((s.mem_usage, s.mem_limit), (1_048_576, 4_294_967_296));
        assert_eq!(s.mem_inactive_file, None);
        assert_eq!(s.pids, 1);
        let ended = stream.ended();
        assert!(ended.is_empty_sample());
        assert_eq!(
            (ended.key.as_str(), ended.name.as_str()),
            (s.key.as_str(), "burn")
        );
        // Without a host, the key is the ID alone.
        let s = PodmanStream::new(ID, "")
            .sample_from_json(&podman(
                "2026-12-05T10:00:05Z",
                "2026-12-05T10:00:00Z",
                1,
                0,
                7,
            ))
            .expect("parses");
        assert_eq!(s.key, ID);
    }

    #[test]
    fn cpu_is_measured_against_wall_time_not_busy_time() {
        // 5 s of wall time on 2 CPUs, 4.9 s of CPU: 98 % of a core. Podman's busy-only system
        // counter rose 6.5 s meanwhile (the docker CLI's formula would say 150.8 %).
        let mut stream = PodmanStream::new(ID, "");
        let s = stream
            .sample_from_json(&podman(
                "2026-12-05T10:00:05Z",
                "2026-12-05T10:00:00Z",
                14_900_000_000,
                10_000_000_000,
                106_500_000_000,
            ))
            .expect("parses");
        assert_eq!(s.cpus, 2);
        assert_eq!(
            s.cpu_system - s.precpu_system,
            10_000_000_000,
            "5 s × 2 CPUs"
        );
        let cpu = crate::figures::cpu_percent(
            s.cpu_total as f64 - s.precpu_total as f64,
            s.cpu_system as f64 - s.precpu_system as f64,
            f64::from(s.cpus),
        );
        assert!((cpu - 98.0).abs() < 1e-9, "{cpu}");
        // The system counter follows wall time alone, so consecutive samples agree with each
        // other too (the engine's own previous sample as a baseline).
        let next = stream
            .sample_from_json(&podman(
                "2026-12-05T10:00:10Z",
                "2026-12-05T10:00:05Z",
                19_800_000_000,
                14_900_000_000,
                1,
            ))
            .expect("parses");
        assert_eq!(next.precpu_system, s.cpu_system);
    }

    #[test]
    fn a_precpu_read_moments_before_is_no_baseline() {
        let mut stream = PodmanStream::new(ID, "");
        // Podman's first streamed sample: precpu 3 ms old.
        let s = stream
            .sample_from_json(&podman(
                "2026-12-05T10:00:00.003Z",
                "2026-12-05T10:00:00Z",
                10_000_900_000,
                10_000_000_000,
                5,
            ))
            .expect("parses");
        assert!(s.preread.is_zero());
        assert_eq!((s.precpu_total, s.precpu_system), (0, 0));
        assert!(s.cpu_system > 0);
        // stream=false: no preread at all.
        let s = stream
            .sample_from_json(&podman(
                "2026-12-05T10:00:00Z",
                "0001-01-01T00:00:00Z",
                10_000_000_000,
                0,
                5,
            ))
            .expect("parses");
        assert!(s.preread.is_zero());
        assert_eq!(s.precpu_system, 0);
    }

    #[test]
    fn the_wall_counter_wraps_into_a_reset_never_a_false_value() {
        let t = |ns: i128| Timestamp::from_unix_ns(WALL_EPOCH_NS + ns);
        assert_eq!(wall_system_ns(t(5), 2), 10);
        // 2^64 ÷ 256 CPUs ns after the epoch (~2.3 years) the counter wraps to 0.
        let wrap = (1i128 << 64) / 256;
        assert_eq!(wall_system_ns(t(wrap), 256), 0);
        assert!(wall_system_ns(t(wrap - 1), 256) > wall_system_ns(t(wrap), 256));
        // Across the wrap, the sample keeps no precpu (so no false 0 % from a negative Δ).
        let mut stream = PodmanStream::new(ID, "");
        let mut stats = Stats::from_json(&podman(
            "2026-12-05T10:00:05Z",
            "2026-12-05T10:00:00Z",
            2,
            1,
            1,
        ))
        .expect("parses");
        stats.cpu_stats.online_cpus = 256;
        stats.read = t(wrap + 1_000_000_000);
        stats.preread = t(wrap - 4_000_000_000);
        let s = stream.sample(stats);
        assert!(s.preread.is_zero());
        assert_eq!(s.precpu_system, 0);
    }

    #[test]
    fn remove_is_dockers_destroy() {
        let e: DockerEvent = serde_json::from_str(&format!(
            r#"{{"status":"remove","Type":"container","Action":"remove","Actor":{{"ID":"{ID}","Attributes":{{"name":"web"}}}},"time":1796465341,"timeNano":1796465341485595228}}"#
        ))
        .expect("parses");
        assert!(e.lifecycle().is_none(), "Docker has no remove");
        let e = docker_event(e).lifecycle().expect("a lifecycle event");
        assert_eq!((e.action.as_str(), e.name.as_str()), ("destroy", "web"));
    }

    #[test]
    fn an_empty_sample_stays_empty() {
        let mut stream = PodmanStream::new(ID, "");
        let s = stream.sample(Stats::default());
        assert!(s.is_empty_sample());
        assert_eq!(s.cpu_system, 0);
    }
}
