//! What the bridge says about containers besides their stats (see `docs/protocol.md`): their CPU
//! and memory limits (`statscope.container`) and their lifecycle events (`statscope.event`: start,
//! die, restart, OOM kill …), kept with bounded memory, and turned into marks on the curves
//! together with the engine's own flags (first sample, counter reset, gap, stopped, late).

use std::collections::VecDeque;
use std::fmt;

use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;

use crate::chart::{Mark, MarkKind};
use crate::idmap::IdMap;
use crate::model::Timestamp;
use crate::rates::{Container, Flag};

/// Container infos kept at most (the oldest is forgotten first).
const MAX_INFOS: usize = 4096;
/// Lifecycle events kept at most, over all containers.
const MAX_EVENTS: usize = 2048;
/// Late samples remembered per container (for their marks).
const MAX_LATE: usize = 64;
/// A flag within this of an event that says the same is not marked twice.
const SAME_MOMENT_MS: f64 = 5_000.0;

/// A container's limits, from `statscope.container`.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ContainerInfo {
    pub image: Option<String>,
    /// CPU limit in cores, if it has one.
    pub cpu_limit: Option<f64>,
    /// What set it: `NanoCpus`, `CpuQuota` or `CpusetCpus`.
    pub cpu_limit_from: Option<String>,
    pub memory_limit_bytes: Option<f64>,
}

/// One lifecycle event, from `statscope.event`.
#[derive(Clone, Debug, PartialEq)]
pub struct LifecycleEvent {
    pub id: String,
    pub name: String,
    /// Docker's action: `start`, `die`, `oom`, `restart`, `kill`, `stop`, …
    pub action: String,
    pub t_ms: f64,
    pub exit_code: Option<i64>,
}

impl LifecycleEvent {
    /// The mark it draws, if it draws one (kill and stop are followed by a die, which does).
    pub fn mark_kind(&self) -> Option<MarkKind> {
        match self.action.as_str() {
            "start" => Some(MarkKind::Start),
            "die" => Some(MarkKind::Die),
            "restart" => Some(MarkKind::Restart),
            "oom" => Some(MarkKind::Oom),
            _ => None,
        }
    }

    /// A sentence for the tooltip.
    pub fn describe(&self) -> String {
        match (self.action.as_str(), self.exit_code) {
            ("oom", _) => "killed by the kernel's OOM killer (out of memory)".into(),
            ("die", Some(137)) => "died, exit code 137 (SIGKILL: OOM kill or docker kill)".into(),
            ("die", Some(code)) => format!("died, exit code {code}"),
            ("die", None) => "died".into(),
            ("start", _) => "started".into(),
            ("restart", _) => "restarted".into(),
            (other, _) => other.to_string(),
        }
    }
}

/// The wire form of both messages (unknown fields are ignored: the protocol may grow). Read from
/// the whole control object (its `type`, `source`… are unknown fields here); a key given twice
/// keeps its last value.
#[derive(Default)]
pub(crate) struct Message {
    pub id: Option<String>,
    pub name: Option<String>,
    pub image: Option<String>,
    pub cpu_limit: Option<f64>,
    pub cpu_limit_from: Option<String>,
    pub memory_limit_bytes: Option<f64>,
    pub action: Option<String>,
    pub time: Option<String>,
    pub exit_code: Option<i64>,
}

// By hand rather than derived: a derive refuses a key given twice, and the page used to read these
// fields out of a `serde_json::Map`, where the last one wins. (It used to, via `#[serde(flatten)]`
// into a `serde_json::Value`: ~20 KB of WebAssembly for one message.)
impl<'de> Deserialize<'de> for Message {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> Visitor<'de> for Visit {
            type Value = Message;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("struct Message")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Message, A::Error> {
                let mut m = Message::default();
                while let Some(key) = map.next_key::<String>()? {
                    match &*key {
                        "id" => m.id = map.next_value()?,
                        "name" => m.name = map.next_value()?,
                        "image" => m.image = map.next_value()?,
                        "cpuLimit" => m.cpu_limit = map.next_value()?,
                        "cpuLimitFrom" => m.cpu_limit_from = map.next_value()?,
                        "memoryLimitBytes" => m.memory_limit_bytes = map.next_value()?,
                        "action" => m.action = map.next_value()?,
                        "time" => m.time = map.next_value()?,
                        "exitCode" => m.exit_code = map.next_value()?,
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(m)
            }
        }
        d.deserialize_map(Visit)
    }
}

/// Do two IDs name the same container (one may be the short form of the other)?
pub fn same_container(a: &str, b: &str) -> bool {
    a == b || (a.len().min(b.len()) >= 12 && (a.starts_with(b) || b.starts_with(a)))
}

/// Infos, events and late samples, bounded.
#[derive(Clone, Debug, Default)]
pub struct Lifecycle {
    infos: IdMap<ContainerInfo>,
    info_order: VecDeque<String>,
    /// Events by container ID (a redraw asks per container), and the IDs in arrival order, to
    /// forget the oldest event first.
    events: IdMap<VecDeque<LifecycleEvent>>,
    event_order: VecDeque<String>,
    late: IdMap<VecDeque<f64>>,
}

impl Lifecycle {
    /// Takes a `statscope.container` message. Errors say what is wrong.
    pub(crate) fn on_container(&mut self, m: Message) -> Result<(), String> {
        let id =
            m.id.filter(|id| !id.is_empty())
                .ok_or("statscope.container without id")?;
        let positive = |v: Option<f64>| v.filter(|v| v.is_finite() && *v > 0.0);
        let info = ContainerInfo {
            image: m.image,
            cpu_limit: positive(m.cpu_limit),
            cpu_limit_from: m.cpu_limit_from,
            memory_limit_bytes: positive(m.memory_limit_bytes),
        };
        if self.infos.insert(id.clone(), info).is_none() {
            self.info_order.push_back(id);
            while self.info_order.len() > MAX_INFOS {
                if let Some(old) = self.info_order.pop_front() {
                    self.infos.remove(&old);
                }
            }
        }
        Ok(())
    }

    /// Takes a `statscope.event` message.
    pub(crate) fn on_event(&mut self, m: Message) -> Result<(), String> {
        let id =
            m.id.filter(|id| !id.is_empty())
                .ok_or("statscope.event without id")?;
        let action = m.action.ok_or("statscope.event without action")?;
        let time = m.time.ok_or("statscope.event without time")?;
        let t = Timestamp::parse_rfc3339(&time)?;
        if action == "destroy" {
            self.infos.remove(&id);
            self.info_order.retain(|i| i != &id);
        }
        self.event_order.push_back(id.clone());
        self.events.get_or_default(&id).push_back(LifecycleEvent {
            id,
            name: m.name.unwrap_or_default(),
            action,
            t_ms: t.unix_ms(),
            exit_code: m.exit_code,
        });
        while self.event_order.len() > MAX_EVENTS {
            let Some(oldest) = self.event_order.pop_front() else {
                break;
            };
            if let Some(list) = self.events.get_mut(&oldest) {
                list.pop_front();
                if list.is_empty() {
                    self.events.remove(&oldest);
                }
            }
        }
        Ok(())
    }

    /// Remembers a late sample of `id` at `t_ms`.
    pub fn on_late(&mut self, id: &str, t_ms: f64) {
        let list = self.late.get_or_default(id);
        list.push_back(t_ms);
        while list.len() > MAX_LATE {
            list.pop_front();
        }
    }

    /// Forgets late samples of containers that left.
    pub fn retain_late(&mut self, mut present: impl FnMut(&str) -> bool) {
        self.late.retain(|id, _| present(id));
    }

    /// The info of container `id`.
    pub fn info(&self, id: &str) -> Option<&ContainerInfo> {
        self.infos.get(id).or_else(|| {
            self.infos
                .iter()
                .find(|(k, _)| same_container(k, id))
                .map(|(_, v)| v)
        })
    }

    /// Events of container `id` (or its short or long form), oldest first.
    pub fn events_of<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a LifecycleEvent> + 'a {
        let list = self.events.get(id).or_else(|| {
            self.events
                .iter()
                .find(|(k, _)| same_container(k, id))
                .map(|(_, v)| v)
        });
        list.into_iter().flatten()
    }

    /// Events kept, over all containers.
    pub fn event_count(&self) -> usize {
        self.event_order.len()
    }

    /// The marks of container `c` (ID `id`) in `[x0, x1]`; `y_at(t)` places a mark on the curve.
    pub fn marks(
        &self,
        id: &str,
        c: &Container,
        (x0, x1): (f64, f64),
        y_at: impl Fn(f64) -> f64,
    ) -> Vec<Mark> {
        let inside = |t: f64| (x0..=x1).contains(&t);
        let mut marks: Vec<Mark> = self
            .events_of(id)
            .filter(|e| inside(e.t_ms))
            .filter_map(|e| {
                Some(Mark {
                    t: e.t_ms,
                    y: y_at(e.t_ms),
                    kind: e.mark_kind()?,
                })
            })
            .collect();
        let said = |kinds: &[MarkKind], t: f64, marks: &[Mark]| {
            marks
                .iter()
                .any(|m| kinds.contains(&m.kind) && (m.t - t).abs() <= SAME_MOMENT_MS)
        };
        let events = marks.len();
        for p in c.points() {
            let t = p.t_ms();
            if !inside(t) {
                continue;
            }
            let (kind, same) = match p.flag {
                Flag::None | Flag::Late => continue,
                Flag::First => (MarkKind::First, &[MarkKind::Start][..]),
                Flag::Reset => (MarkKind::Restart, &[MarkKind::Restart, MarkKind::Start][..]),
                Flag::Gap => (MarkKind::Gap, &[][..]),
                Flag::Stopped => (MarkKind::Die, &[MarkKind::Die, MarkKind::Oom][..]),
            };
            if !said(same, t, &marks[..events]) {
                marks.push(Mark {
                    t,
                    y: y_at(t),
                    kind,
                });
            }
        }
        if let Some(late) = self.late.get(id) {
            marks.extend(late.iter().filter(|t| inside(**t)).map(|&t| Mark {
                t,
                y: y_at(t),
                kind: MarkKind::Late,
            }));
        }
        crate::sorting::sort_by(&mut marks, |a, b| a.t.total_cmp(&b.t));
        marks
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(json: &str) -> Message {
        serde_json::from_str(json).expect("message")
    }

    #[test]
    fn infos_and_events_are_kept_bounded_and_matched_by_short_ids() {
        let mut l = Lifecycle::default();
        let id = "a".repeat(64);
        l.on_container(message(&format!(
            r#"{{"type":"statscope.container","id":"{id}","cpuLimit":0.5,"cpuLimitFrom":"NanoCpus","memoryLimitBytes":null}}"#
        )))
        .expect("ok");
        assert_eq!(l.info(&id).and_then(|i| i.cpu_limit), Some(0.5));
        assert_eq!(l.info(&id[..12]).and_then(|i| i.cpu_limit), Some(0.5));
        assert_eq!(l.info(&id).and_then(|i| i.memory_limit_bytes), None);
        for i in 0..(MAX_EVENTS + 10) {
            l.on_event(message(&format!(
                r#"{{"id":"{id}","action":"oom","time":"2026-11-24T05:00:{:02}.5Z"}}"#,
                i % 60
            )))
            .expect("ok");
        }
        assert_eq!(l.event_count(), MAX_EVENTS);
        assert!(l.on_event(message(r#"{"id":"x","action":"die"}"#)).is_err());
        assert!(l
            .on_event(message(r#"{"id":"x","action":"die","time":"yesterday"}"#))
            .is_err());
        l.on_event(message(&format!(
            r#"{{"id":"{id}","action":"destroy","time":"2026-11-24T05:01:00Z"}}"#
        )))
        .expect("ok");
        assert_eq!(l.info(&id), None, "destroy forgets the limits");
    }

    #[test]
    fn events_describe_themselves() {
        let e = LifecycleEvent {
            id: "x".into(),
            name: "web".into(),
            action: "die".into(),
            t_ms: 0.0,
            exit_code: Some(137),
        };
        assert_eq!(e.mark_kind(), Some(MarkKind::Die));
        assert!(e.describe().contains("137"));
        let kill = LifecycleEvent {
            action: "kill".into(),
            ..e
        };
        assert_eq!(
            kill.mark_kind(),
            None,
            "a kill is marked by the die that follows"
        );
    }
}
