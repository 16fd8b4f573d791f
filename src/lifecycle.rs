//! What the bridge says about containers besides their stats (see `docs/protocol.md`): their CPU
//! and memory limits (`statscope.container`) and their lifecycle events (`statscope.event`: start,
//! die, restart, OOM kill …), kept with bounded memory, and turned into marks on the curves
//! together with the engine's own flags (first sample, counter reset, gap, stopped, late).

use std::collections::VecDeque;

use crate::chart::{Mark, MarkKind};
use crate::idmap::IdMap;
use crate::model::Sample;
pub use crate::protocol::{ContainerInfo, LifecycleEvent};
use crate::rates::{Container, Flag};

/// Container infos kept at most (the oldest is forgotten first).
const MAX_INFOS: usize = 4096;
/// Lifecycle events kept at most, over all containers.
const MAX_EVENTS: usize = 2048;
/// Late samples remembered per container (for their marks).
const MAX_LATE: usize = 64;
/// A flag within this of an event that says the same is not marked twice.
const SAME_MOMENT_MS: f64 = 5_000.0;

/// The mark an event draws, if it draws one (kill and stop are followed by a die, which does).
pub fn mark_kind(e: &LifecycleEvent) -> Option<MarkKind> {
    match e.action.as_str() {
        "start" => Some(MarkKind::Start),
        "die" => Some(MarkKind::Die),
        "restart" => Some(MarkKind::Restart),
        "oom" => Some(MarkKind::Oom),
        _ => None,
    }
}

/// A sentence for the tooltip.
pub fn describe(e: &LifecycleEvent) -> String {
    match (e.action.as_str(), e.exit_code) {
        ("oom", _) => "killed by the kernel's OOM killer (out of memory)".into(),
        ("die", Some(137)) => "died, exit code 137 (SIGKILL: OOM kill or docker kill)".into(),
        ("die", Some(code)) => format!("died, exit code {code}"),
        ("die", None) => "died".into(),
        ("start", _) => "started".into(),
        ("restart", _) => "restarted".into(),
        (other, _) => other.to_string(),
    }
}

/// When it happened, ms since the epoch.
pub fn t_ms(e: &LifecycleEvent) -> f64 {
    e.time.unix_ms()
}

/// Do two keys name the same container: the same host, and IDs of which one may be the short
/// form of the other?
pub fn same_container(a: &str, b: &str) -> bool {
    let ((a, host_a), (b, host_b)) = (Sample::split_key(a), Sample::split_key(b));
    host_a == host_b
        && (a == b || (a.len().min(b.len()) >= 12 && (a.starts_with(b) || b.starts_with(a))))
}

/// The key a message about a container files it under (its ID, `@host` when it names one): the
/// engine's key for the same container.
fn key_of(id: &str, host: &str) -> String {
    Sample::key_of(id, "", host)
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
    /// Takes a `statscope.container` message (the protocol module checked its fields).
    pub fn on_container(&mut self, info: ContainerInfo) {
        let id = key_of(&info.id, &info.host);
        if self.infos.insert(id.clone(), info).is_none() {
            self.info_order.push_back(id);
            while self.info_order.len() > MAX_INFOS {
                if let Some(old) = self.info_order.pop_front() {
                    self.infos.remove(&old);
                }
            }
        }
    }

    /// Takes a `statscope.event` message.
    pub fn on_event(&mut self, event: LifecycleEvent) {
        let key = key_of(&event.id, &event.host);
        // A page that reconnects is sent the recent events again: each happening is one mark.
        if self
            .events
            .get(&key)
            .is_some_and(|list| list.contains(&event))
        {
            return;
        }
        if event.action == "destroy" {
            self.infos.remove(&key);
            self.info_order.retain(|i| i != &key);
        }
        self.event_order.push_back(key.clone());
        self.events.get_or_default(&key).push_back(event);
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
            .filter(|e| inside(t_ms(e)))
            .filter_map(|e| {
                Some(Mark {
                    t: t_ms(e),
                    y: y_at(t_ms(e)),
                    kind: mark_kind(e)?,
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
    use crate::model::Timestamp;
    use crate::protocol::Message;

    fn message(json: &str) -> Message {
        Message::decode(json)
            .expect("message")
            .expect("statscope's")
    }

    fn event(json: &str) -> LifecycleEvent {
        match message(json) {
            Message::Event(e) => e,
            m => panic!("{m:?}"),
        }
    }

    #[test]
    fn infos_and_events_are_kept_bounded_and_matched_by_short_ids() {
        let mut l = Lifecycle::default();
        let id = "a".repeat(64);
        let Message::Container(info) = message(&format!(
            r#"{{"type":"statscope.container","id":"{id}","cpuLimit":0.5,"cpuLimitFrom":"NanoCpus","memoryLimitBytes":null}}"#
        )) else {
            panic!("container info")
        };
        l.on_container(info);
        assert_eq!(l.info(&id).and_then(|i| i.cpu_limit), Some(0.5));
        assert_eq!(l.info(&id[..12]).and_then(|i| i.cpu_limit), Some(0.5));
        assert_eq!(l.info(&id).and_then(|i| i.memory_limit_bytes), None);
        for i in 0..(MAX_EVENTS + 10) {
            l.on_event(event(&format!(
                r#"{{"type":"statscope.event","id":"{id}","action":"oom","time":"2026-11-24T{:02}:{:02}:{:02}.5Z"}}"#,
                5 + i / 3600,
                i / 60 % 60,
                i % 60
            )));
        }
        assert_eq!(l.event_count(), MAX_EVENTS);
        // The same event again (a page that reconnects is sent the recent ones again): one mark.
        l.on_event(event(&format!(
            r#"{{"type":"statscope.event","id":"{id}","action":"oom","time":"2026-11-24T05:34:17.5Z"}}"#
        )));
        assert_eq!(l.event_count(), MAX_EVENTS);
        assert_eq!(
            l.events_of(&id)
                .filter(|e| e.time.to_rfc3339().starts_with("2026-11-24T05:34:17.5"))
                .count(),
            1
        );
        l.on_event(event(&format!(
            r#"{{"type":"statscope.event","id":"{id}","action":"destroy","time":"2026-11-24T05:01:00Z"}}"#
        )));
        assert_eq!(l.info(&id), None, "destroy forgets the limits");
    }

    #[test]
    fn events_describe_themselves() {
        let e = LifecycleEvent {
            host: String::new(),
            id: "x".into(),
            name: "web".into(),
            action: "die".into(),
            time: Timestamp::from_unix_ns(0),
            exit_code: Some(137),
            signal: None,
        };
        assert_eq!(mark_kind(&e), Some(MarkKind::Die));
        assert!(describe(&e).contains("137"));
        let kill = LifecycleEvent {
            action: "kill".into(),
            ..e
        };
        assert_eq!(
            mark_kind(&kill),
            None,
            "a kill is marked by the die that follows"
        );
    }
}
