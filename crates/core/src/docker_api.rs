//! What statscope reads from the Docker Engine API besides stats: a container's inspect
//! (`GET /containers/{id}/json`: its name, image and limits) and the `/events` stream, turned into
//! the [`protocol`](crate::protocol) messages the page reads.
//!
//! Pure: the bridge fetches the bytes; this module only reads them. `docs/protocol.md` says how the
//! CPU limit is derived.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::model::Timestamp;
use crate::protocol::{ContainerInfo, CpuLimitFrom, LifecycleEvent, LIFECYCLE_ACTIONS};

/// The CPU limits of a container, as `GET /containers/{id}/json` reports them in `HostConfig`.
/// Missing or `null` values are 0 / empty, which Docker uses for "not set".
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct HostConfig {
    /// `--cpus` × 1e9.
    #[serde(default, deserialize_with = "null_is_default")]
    pub nano_cpus: i64,
    /// `--cpu-quota`, µs of CPU time per period.
    #[serde(default, deserialize_with = "null_is_default")]
    pub cpu_quota: i64,
    /// `--cpu-period`, µs; 0 means the kernel's default, 100 000.
    #[serde(default, deserialize_with = "null_is_default")]
    pub cpu_period: i64,
    /// `--cpuset-cpus`, a Linux CPU list such as `0-1,3`.
    #[serde(default, deserialize_with = "null_is_default")]
    pub cpuset_cpus: String,
    /// `--memory`, bytes.
    #[serde(default, deserialize_with = "null_is_default")]
    pub memory: i64,
}

fn null_is_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// The CFS period the kernel uses when `CpuPeriod` is 0, µs.
pub const DEFAULT_CPU_PERIOD_US: i64 = 100_000;

/// The container's CPU limit in cores, and where it comes from; `None` when it has none.
///
/// Candidates: `NanoCpus / 1e9` when > 0; `CpuQuota / CpuPeriod` when the quota is > 0 (a period of
/// 0 is the default 100 000 µs); the number of CPUs in `CpusetCpus` when it is set and readable. The
/// smallest wins; on a tie the first in that order.
pub fn cpu_limit(host: &HostConfig) -> Option<(f64, CpuLimitFrom)> {
    let mut candidates = Vec::with_capacity(3);
    if host.nano_cpus > 0 {
        candidates.push((host.nano_cpus as f64 / 1e9, CpuLimitFrom::NanoCpus));
    }
    if host.cpu_quota > 0 {
        let period = if host.cpu_period > 0 {
            host.cpu_period
        } else {
            DEFAULT_CPU_PERIOD_US
        };
        candidates.push((
            host.cpu_quota as f64 / period as f64,
            CpuLimitFrom::CpuQuota,
        ));
    }
    if let Some(n) = cpuset_count(&host.cpuset_cpus) {
        candidates.push((f64::from(n), CpuLimitFrom::CpusetCpus));
    }
    candidates
        .into_iter()
        .reduce(|best, c| if c.0 < best.0 { c } else { best })
}

/// The number of CPUs in a Linux CPU list (`0-1,3` → 3; overlaps count once). `None` when the list
/// is empty or not a CPU list.
pub fn cpuset_count(list: &str) -> Option<u32> {
    let list = list.trim();
    if list.is_empty() {
        return None;
    }
    let mut ranges = Vec::new();
    for part in list.split(',') {
        let part = part.trim();
        let (lo, hi) = match part.split_once('-') {
            Some((lo, hi)) => (
                lo.trim().parse::<u32>().ok()?,
                hi.trim().parse::<u32>().ok()?,
            ),
            None => {
                let cpu = part.parse::<u32>().ok()?;
                (cpu, cpu)
            }
        };
        if lo > hi {
            return None;
        }
        ranges.push((lo, hi));
    }
    ranges.sort_unstable();
    let mut count: u64 = 0;
    let mut covered_to: Option<u32> = None; // the highest CPU counted so far
    for (lo, hi) in ranges {
        let from = match covered_to {
            Some(c) if c >= hi => continue,
            Some(c) if c >= lo => c + 1,
            _ => lo,
        };
        count += u64::from(hi - from) + 1;
        covered_to = Some(hi);
    }
    u32::try_from(count).ok()
}

/// A container's `statscope.container` message (`name` with or without its leading `/`).
pub fn container_info(id: &str, name: &str, image: &str, host: &HostConfig) -> ContainerInfo {
    let limit = cpu_limit(host);
    ContainerInfo {
        host: String::new(),
        id: id.to_string(),
        name: name.strip_prefix('/').unwrap_or(name).to_string(),
        image: image.to_string(),
        cpu_limit: limit.map(|(cores, _)| cores),
        cpu_limit_from: limit.map(|(_, from)| from),
        memory_limit_bytes: u64::try_from(host.memory).ok().filter(|&m| m > 0),
        project: String::new(),
    }
}

/// The label Docker Compose puts on the containers of a project: its name.
pub const COMPOSE_PROJECT_LABEL: &str = "com.docker.compose.project";

/// A container's `statscope.container` message from the body of `GET /containers/{id}/json`.
pub fn container_info_from_inspect(body: &[u8]) -> Result<ContainerInfo, serde_json::Error> {
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Inspect {
        id: String,
        #[serde(default, deserialize_with = "null_is_default")]
        name: String,
        #[serde(default, deserialize_with = "null_is_default")]
        config: Config,
        #[serde(default, deserialize_with = "null_is_default")]
        host_config: HostConfig,
    }
    #[derive(Deserialize, Default)]
    #[serde(rename_all = "PascalCase")]
    struct Config {
        #[serde(default, deserialize_with = "null_is_default")]
        image: String,
        /// Only the Compose project's label is read; the other labels are skipped unread.
        #[serde(default, deserialize_with = "null_is_default")]
        labels: ComposeLabels,
    }
    #[derive(Deserialize, Default)]
    struct ComposeLabels {
        #[serde(rename = "com.docker.compose.project", default)]
        project: Option<String>,
    }
    let inspect: Inspect = serde_json::from_slice(body)?;
    let mut info = container_info(
        &inspect.id,
        &inspect.name,
        &inspect.config.image,
        &inspect.host_config,
    );
    info.project = inspect.config.labels.project.unwrap_or_default();
    Ok(info)
}

/// A lifecycle event at `unix_ns`; `None` when `action` is not one of [`LIFECYCLE_ACTIONS`].
/// `exit_code` is kept only on `die`, `signal` only on `kill`.
pub fn lifecycle_event(
    id: &str,
    name: &str,
    action: &str,
    unix_ns: i128,
    exit_code: Option<i64>,
    signal: Option<&str>,
) -> Option<LifecycleEvent> {
    let action = LIFECYCLE_ACTIONS.into_iter().find(|a| *a == action)?;
    Some(LifecycleEvent {
        host: String::new(),
        id: id.to_string(),
        name: name.strip_prefix('/').unwrap_or(name).to_string(),
        action: action.to_string(),
        time: Timestamp::from_unix_ns(unix_ns),
        exit_code: exit_code.filter(|_| action == "die"),
        signal: signal
            .filter(|_| action == "kill")
            .filter(|s| !s.is_empty())
            .map(str::to_string),
    })
}

/// One line of Docker's `/events` stream, the fields statscope reads.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DockerEvent {
    /// `container`, `image`, `network`… (the bridge asks for containers only).
    #[serde(rename = "Type", default, deserialize_with = "null_is_default")]
    pub kind: String,
    #[serde(rename = "Action", default, deserialize_with = "null_is_default")]
    pub action: String,
    #[serde(rename = "Actor", default, deserialize_with = "null_is_default")]
    pub actor: Actor,
    /// Seconds since the epoch.
    #[serde(default)]
    pub time: Option<i64>,
    /// Nanoseconds since the epoch.
    #[serde(rename = "timeNano", default)]
    pub time_nano: Option<i64>,
}

/// The object of an event: a container's ID and its attributes (`name`, `image`, `exitCode`…).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Actor {
    #[serde(rename = "ID", default, deserialize_with = "null_is_default")]
    pub id: String,
    #[serde(rename = "Attributes", default, deserialize_with = "null_is_default")]
    pub attributes: BTreeMap<String, String>,
}

impl DockerEvent {
    /// The `statscope.event` for this line of `/events`; `None` for anything that is not a
    /// container lifecycle event with a time (`exec_start: …`, `health_status: …`, an image event…).
    pub fn lifecycle(&self) -> Option<LifecycleEvent> {
        if !self.kind.is_empty() && self.kind != "container" {
            return None;
        }
        let unix_ns = match (self.time_nano, self.time) {
            (Some(ns), _) if ns > 0 => i128::from(ns),
            (_, Some(s)) if s > 0 => i128::from(s) * 1_000_000_000,
            _ => return None,
        };
        let attributes = &self.actor.attributes;
        let exit_code = attributes
            .get("exitCode")
            .and_then(|c| c.trim().parse().ok());
        lifecycle_event(
            &self.actor.id,
            attributes.get("name").map_or("", String::as_str),
            &self.action,
            unix_ns,
            exit_code,
            attributes.get("signal").map(String::as_str),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Message;

    fn host(nano: i64, quota: i64, period: i64, cpuset: &str) -> HostConfig {
        HostConfig {
            nano_cpus: nano,
            cpu_quota: quota,
            cpu_period: period,
            cpuset_cpus: cpuset.into(),
            memory: 0,
        }
    }

    #[test]
    fn cpu_limit_from_each_setting() {
        use CpuLimitFrom::*;
        assert_eq!(
            cpu_limit(&host(500_000_000, 0, 0, "")),
            Some((0.5, NanoCpus))
        );
        assert_eq!(
            cpu_limit(&host(0, 150_000, 100_000, "")),
            Some((1.5, CpuQuota))
        );
        assert_eq!(
            cpu_limit(&host(0, 25_000, 50_000, "")),
            Some((0.5, CpuQuota))
        );
        // A period of 0 is the default 100 000 µs.
        assert_eq!(cpu_limit(&host(0, 50_000, 0, "")), Some((0.5, CpuQuota)));
        assert_eq!(cpu_limit(&host(0, 0, 0, "0-1,3")), Some((3.0, CpusetCpus)));
        assert_eq!(cpu_limit(&host(0, 0, 0, "2")), Some((1.0, CpusetCpus)));
    }

    #[test]
    fn no_limit_is_null_and_unset_values_do_not_count() {
        assert_eq!(cpu_limit(&host(0, 0, 0, "")), None);
        // A period alone, a quota of -1 (Docker's "unlimited"), a blank cpuset: no limit.
        assert_eq!(cpu_limit(&host(0, -1, 100_000, "  ")), None);
        let info = container_info(&"a".repeat(64), "/web", "busybox", &HostConfig::default());
        let v: serde_json::Value =
            serde_json::from_str(&Message::Container(info).encode()).expect("json");
        assert!(v["cpuLimit"].is_null() && v["cpuLimitFrom"].is_null());
        assert!(v["memoryLimitBytes"].is_null());
    }

    #[test]
    fn the_smallest_limit_wins() {
        use CpuLimitFrom::*;
        assert_eq!(
            cpu_limit(&host(1_000_000_000, 0, 0, "0-3")),
            Some((1.0, NanoCpus))
        );
        assert_eq!(
            cpu_limit(&host(3_000_000_000, 0, 0, "0-1")),
            Some((2.0, CpusetCpus))
        );
        assert_eq!(
            cpu_limit(&host(0, 300_000, 0, "0-3,5")),
            Some((3.0, CpuQuota)),
            "3 cores of quota beat 5 CPUs of cpuset"
        );
        assert_eq!(cpu_limit(&host(0, 50_000, 0, "0")), Some((0.5, CpuQuota)));
        assert_eq!(
            cpu_limit(&host(1_000_000_000, 0, 0, "3")),
            Some((1.0, NanoCpus)),
            "a tie goes to the first in order"
        );
    }

    #[test]
    fn cpuset_lists_count_cpus() {
        for (list, n) in [
            ("0-1,3", Some(3)),
            ("0", Some(1)),
            ("0-3", Some(4)),
            (" 1 , 4-5 ", Some(3)),
            ("0-2,1-3", Some(4)),
            ("5,0-7", Some(8)),
            ("2,2", Some(1)),
            ("", None),
            ("a", None),
            ("3-1", None),
            ("0-", None),
            ("0,,1", None),
        ] {
            assert_eq!(cpuset_count(list), n, "{list:?}");
        }
    }

    #[test]
    fn container_info_has_the_agreed_shape() {
        let inspect = format!(
            r#"{{"Id":"{id}","Name":"/web","Config":{{"Image":"busybox:latest","Cmd":["sh"]}},
               "HostConfig":{{"NanoCpus":500000000,"CpuQuota":0,"CpuPeriod":0,"CpusetCpus":"",
               "Memory":67108864,"CpuShares":0}},"State":{{"Running":true}}}}"#,
            id = "ab".repeat(32)
        );
        let info = container_info_from_inspect(inspect.as_bytes()).expect("parses");
        let text = Message::Container(info).encode();
        assert_eq!(
            text,
            format!(
                r#"{{"type":"statscope.container","id":"{}","name":"web","image":"busybox:latest","cpuLimit":0.5,"cpuLimitFrom":"NanoCpus","memoryLimitBytes":67108864}}"#,
                "ab".repeat(32)
            )
        );
        assert_eq!(
            Message::decode(&text).map(|m| m.map(|m| m.kind().to_string())),
            Ok(Some("statscope.container".to_string()))
        );
        // Docker may send null for unset values.
        let sparse = format!(
            r#"{{"Id":"{}","Name":null,"HostConfig":{{"CpusetCpus":null}}}}"#,
            "c".repeat(64)
        );
        let info = container_info_from_inspect(sparse.as_bytes()).expect("parses");
        assert_eq!((info.cpu_limit, info.name.as_str()), (None, ""));
        assert_eq!(info.project, "", "no labels: no project");
    }

    #[test]
    fn the_compose_project_comes_from_its_label() {
        let inspect = format!(
            r#"{{"Id":"{}","Name":"/shop-prod-cart-1","Config":{{"Image":"cart:2",
               "Labels":{{"com.docker.compose.service":"cart","com.docker.compose.project":"shop-prod"}}}}}}"#,
            "d".repeat(64)
        );
        let info = container_info_from_inspect(inspect.as_bytes()).expect("parses");
        assert_eq!(info.project, "shop-prod");
        let text = Message::Container(info).encode();
        assert!(text.ends_with(r#","project":"shop-prod"}"#), "{text}");
        match Message::decode(&text) {
            Ok(Some(Message::Container(back))) => assert_eq!(back.project, "shop-prod"),
            other => panic!("{other:?}"),
        }
        let null_labels = format!(
            r#"{{"Id":"{}","Config":{{"Labels":null}}}}"#,
            "e".repeat(64)
        );
        let info = container_info_from_inspect(null_labels.as_bytes()).expect("parses");
        assert_eq!(info.project, "");
    }

    fn docker_event(action: &str, attributes: &str) -> DockerEvent {
        let line = format!(
            r#"{{"status":"{action}","id":"{id}","from":"busybox","Type":"container","Action":"{action}",
               "Actor":{{"ID":"{id}","Attributes":{{"image":"busybox","name":"web"{attributes}}}}},
               "scope":"local","time":1795496400,"timeNano":1795496400123456789}}"#,
            id = "ab".repeat(32)
        );
        serde_json::from_str(&line).expect("a Docker event")
    }

    #[test]
    fn die_events_carry_the_time_in_nanoseconds_and_the_exit_code() {
        let event = docker_event("die", r#","exitCode":"137""#)
            .lifecycle()
            .expect("die is a lifecycle event");
        let text = Message::Event(event).encode();
        assert_eq!(
            text,
            format!(
                r#"{{"type":"statscope.event","id":"{}","name":"web","action":"die","time":"2026-11-24T05:00:00.123456789Z","exitCode":137}}"#,
                "ab".repeat(32)
            )
        );
        let Ok(Some(Message::Event(read))) = Message::decode(&text) else {
            panic!("a lifecycle message: {text}")
        };
        assert_eq!(read.action, "die");
    }

    #[test]
    fn only_lifecycle_actions_are_relayed_with_their_own_extras() {
        for action in LIFECYCLE_ACTIONS {
            let e = docker_event(action, r#","exitCode":"1","signal":"15""#)
                .lifecycle()
                .unwrap_or_else(|| panic!("{action}"));
            assert_eq!(e.exit_code.is_some(), action == "die", "{action}");
            assert_eq!(
                e.signal.as_deref(),
                (action == "kill").then_some("15"),
                "{action}"
            );
        }
        for action in [
            "exec_create: sh -c true",
            "exec_start: sh -c true",
            "exec_die",
            "health_status: healthy",
            "attach",
            "update",
            "rename",
            "top",
            "",
        ] {
            assert!(docker_event(action, "").lifecycle().is_none(), "{action}");
        }
        let kill = docker_event("kill", "").lifecycle().expect("kill");
        assert!(
            !Message::Event(kill).encode().contains("signal"),
            "no signal key when Docker gives none"
        );
        let mut image = docker_event("delete", "");
        image.kind = "image".into();
        assert!(image.lifecycle().is_none());
    }

    #[test]
    fn times_fall_back_to_seconds() {
        let mut e = docker_event("start", "");
        e.time_nano = None;
        let start = e.lifecycle().expect("start");
        assert_eq!(
            start.time,
            Timestamp::parse_rfc3339("2026-11-24T05:00:00Z").expect("time")
        );
        e.time = None;
        assert!(e.lifecycle().is_none(), "an event without a time");
    }
}
