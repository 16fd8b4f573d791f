//! The words the page shows about itself: the status line ([`status_line`]) and the canvas's
//! accessible name ([`canvas_label`]), decided here and tested natively; the browser layer only
//! writes them into the page.

use super::DashboardCore;
use crate::reconnect::FeedState;
use crate::view::{CpuScale, Metric};

/// The feed's state as the status line and `status()` name it, and the reconnect attempt about to
/// be made (0 unless reconnecting).
pub fn state_name(state: FeedState) -> (&'static str, u32) {
    match state {
        FeedState::Idle => ("idle", 0),
        FeedState::Connecting => ("connecting", 0),
        FeedState::Live => ("live", 0),
        FeedState::Reconnecting { attempt, .. } => ("reconnecting", attempt + 1),
        FeedState::Stopped => ("stopped", 0),
    }
}

/// The status line: the feed's state, the view's, the source, the containers, and what went
/// wrong (malformed frames, late samples, frames the bridge dropped). `has_feed`: the page has a
/// socket at all (else it is fed by `ingest()`); `now_ms` the clock the reconnect policy runs on.
pub fn status_line(core: &DashboardCore, state: FeedState, has_feed: bool, now_ms: f64) -> String {
    let c = core.counts();
    let mut text = match state {
        FeedState::Idle if !has_feed => String::from("not connected (fed by ingest)"),
        FeedState::Idle => String::from("idle"),
        FeedState::Connecting => String::from("connecting…"),
        FeedState::Live => String::from("live"),
        FeedState::Reconnecting { attempt, at_ms } => {
            let secs = ((at_ms - now_ms) / 1000.0).max(0.0).ceil();
            format!("reconnecting (attempt {}) in {secs} s", attempt + 1)
        }
        FeedState::Stopped => String::from("stopped"),
    };
    if let (Some(why), false) = (core.refusal(), state == FeedState::Live) {
        text.push_str(" · ");
        text.push_str(why);
    }
    if core.is_paused() {
        text.push_str(" · paused (Space resumes)");
    }
    if core.is_zoomed() {
        text.push_str(" · zoomed (double-click for live)");
    }
    match c.source.as_deref() {
        Some("demo") => text.push_str(" · DEMO feed (simulated containers)"),
        Some("replay") => text.push_str(" · replay"),
        Some("docker") => text.push_str(" · Docker"),
        _ => {}
    }
    let hosts = core.hosts();
    if hosts.len() > 1 || hosts.iter().any(|h| h.state != "up") {
        let up = hosts.iter().filter(|h| h.state == "up").count();
        text.push_str(&format!(" · {up} of {} host(s) up", hosts.len()));
        for h in hosts.iter().filter(|h| h.state != "up") {
            text.push_str(&format!(" · {} {}", h.name, h.state));
            if let Some(e) = &h.error {
                text.push_str(&format!(": {e}"));
            }
        }
    }
    let n = core.engine().len();
    match core.subscribed() {
        // The bridge sends this page only what it shows: of how many.
        Some(s) if s.total > s.shown => {
            text.push_str(&format!(
                " · showing {} of {} container{}",
                s.shown,
                s.total,
                if s.total == 1 { "" } else { "s" }
            ));
            if s.hosts > 1 {
                text.push_str(&format!(" on {} hosts", s.hosts));
            }
            if s.capped {
                text.push_str(&format!(
                    " (the busiest {}: a page is sent at most {} — narrow by host, filter or top N)",
                    s.shown, s.cap
                ));
            }
        }
        _ => text.push_str(&format!(
            " · {n} container{}",
            if n == 1 { "" } else { "s" }
        )),
    }
    if c.malformed + c.oversized > 0 {
        text.push_str(&format!(
            " · {} malformed (dropped)",
            c.malformed + c.oversized
        ));
        if let Some(e) = &c.last_error {
            text.push_str(&format!(" (last: {e})"));
        }
    }
    let late = core.engine().counts().late;
    if late > 0 {
        text.push_str(&format!(" · {late} late or duplicate sample(s) ignored"));
    }
    let skewed = core.engine().skewed();
    if !skewed.is_empty() {
        let named: Vec<String> = skewed
            .iter()
            .take(3)
            .map(|(id, by)| {
                let name = core.engine().get(id).map_or(id.as_str(), |c| c.name());
                format!("{name} {}", skew_text(*by))
            })
            .collect();
        let more = skewed.len().saturating_sub(named.len());
        text.push_str(&format!(
            " · clock off from the others: {}{}",
            named.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        ));
    }
    for notice in core.notices() {
        // A host said down above already says why (the same error, as the host's state).
        let said = notice.cause == "engine-unreachable"
            && hosts
                .iter()
                .any(|h| h.host == notice.host && h.state != "up" && h.error.is_some());
        if !said {
            text.push_str(" · ");
            text.push_str(&notice.text);
        }
    }
    if c.bridge_dropped > 0 {
        text.push_str(&format!(
            " · {} frame(s) dropped by the bridge (slow link)",
            c.bridge_dropped
        ));
    }
    text
}

/// The hint under the chart: what the hands can do, for a touch screen (`touch`) or a mouse and
/// keyboard.
pub fn hint(touch: bool) -> &'static str {
    if touch {
        "Tap a curve: its values and how they were computed · drag to pan · pinch to zoom · \
         Live returns · details in the legend: every metric of a container"
    } else {
        "Hover for values · click a curve: how was this computed? (Enter: details) · drag to pan · \
         wheel to zoom · double-click for live · keys: ←/→ cursor (Shift: ×10), ↑/↓ container, \
         +/− zoom, PageUp/PageDown pan, Space pause"
    }
}

/// Why the bridge refuses this page, for the people who can fix it, from `/ws/check`'s verdict
/// (`origin`, `token`; anything else says nothing) and the page's own origin.
pub fn refusal_text(verdict: &str, page_origin: &str) -> Option<String> {
    match verdict {
        "origin" => Some(format!(
            "this dashboard's origin ({page_origin}) is not allowed: start statscope with \
             --allow-origin {page_origin}"
        )),
        "token" => Some(
            "the bridge wants a token: add ?token=… to this page's address (or to the feed URL)"
                .to_string(),
        ),
        _ => None,
    }
}

/// How far a container's clock is off, for people: `59 min ahead`, `2 h behind`.
pub fn skew_text(by_ns: i128) -> String {
    let s = by_ns.unsigned_abs() as f64 / 1e9;
    let amount = match s {
        s if s < 119.5 => format!("{s:.0} s"),
        s if s < 7_170.0 => format!("{:.0} min", s / 60.0),
        s if s < 172_800.0 => format!("{:.0} h", s / 3600.0),
        s => format!("{:.0} days", (s / 86_400.0).floor()),
    };
    format!("{amount} {}", if by_ns > 0 { "ahead" } else { "behind" })
}

/// The canvas's accessible name: what the chart shows, and how to use it.
pub fn canvas_label(metric: Metric, scale: CpuScale) -> String {
    let what = match (metric, scale) {
        (Metric::Cpu, CpuScale::Core) => "CPU % per container over time (100 % = one core)",
        (Metric::Cpu, CpuScale::Host) => "CPU % per container over time (100 % = all host CPUs)",
        (Metric::Cpu, CpuScale::Limit) => "CPU % per container over time (100 % = its CPU limit)",
        (m, _) => m.spec().describe,
    };
    format!("{what}. Arrow keys move a cursor; Space pauses.")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dashboard::Options;

    const SAMPLE: &str = r#"{"id":"ab","name":"/web","read":"2024-05-01T10:00:00Z","cpu_stats":{"cpu_usage":{"total_usage":100},"system_cpu_usage":1000,"online_cpus":2}}"#;

    #[test]
    fn the_status_line_says_state_source_containers_and_trouble() {
        let mut d = DashboardCore::new(Options::default()).expect("options");
        assert_eq!(
            status_line(&d, FeedState::Idle, false, 0.0),
            "not connected (fed by ingest) · 0 containers"
        );
        d.ingest(r#"{"type":"statscope.hello","source":"demo","describe":"x","version":"1"}"#);
        d.ingest(SAMPLE);
        d.ingest("not json");
        d.ingest(r#"{"type":"statscope.dropped","frames":3,"total":3}"#);
        d.flush();
        d.pause();
        let line = status_line(&d, FeedState::Live, true, 0.0);
        assert!(line.starts_with("live · paused (Space resumes) · DEMO feed (simulated containers) · 1 container · 1 malformed (dropped) (last: "), "{line}");
        assert!(
            line.ends_with(" · 3 frame(s) dropped by the bridge (slow link)"),
            "{line}"
        );
        let again = FeedState::Reconnecting {
            attempt: 5,
            at_ms: 2500.0,
        };
        assert!(status_line(&d, again, true, 0.0).starts_with("reconnecting (attempt 6) in 3 s"));
        assert_eq!(state_name(again), ("reconnecting", 6));
    }

    #[test]
    fn the_status_line_says_which_hosts_are_down_and_why() {
        let mut d = DashboardCore::new(Options::default()).expect("options");
        d.ingest(r#"{"type":"statscope.hello","source":"docker","describe":"3 engines","version":"1","protocol":2,"instance":"r1","hosts":[{"host":"a","state":"up"},{"host":"b","state":"up"},{"host":"c","name":"db box","state":"connecting"}]}"#);
        d.ingest(
            r#"{"type":"statscope.host","host":"b","state":"down","error":"connection refused"}"#,
        );
        let line = status_line(&d, FeedState::Live, true, 0.0);
        assert!(
            line.contains(" · 1 of 3 host(s) up · b down: connection refused · db box connecting · 0 containers"),
            "{line}"
        );
        assert_eq!(d.resume_token().as_deref(), Some("r1:0"));
    }

    #[test]
    fn the_bridges_notices_are_said_while_they_hold() {
        let mut d = DashboardCore::new(Options::default()).expect("options");
        d.ingest(r#"{"type":"statscope.notice","cause":"containers-over-limit","text":"1,100 containers, following 1,000","count":100,"limit":1000,"active":true}"#);
        d.ingest(r#"{"type":"statscope.notice","cause":"engine-unreachable","text":"the engine does not answer","count":3,"active":true}"#);
        let line = status_line(&d, FeedState::Live, true, 0.0);
        assert!(
            line.ends_with(" · 1,100 containers, following 1,000 · the engine does not answer"),
            "{line}"
        );
        d.ingest(
            r#"{"type":"statscope.notice","cause":"engine-unreachable","text":"","active":false}"#,
        );
        let line = status_line(&d, FeedState::Live, true, 0.0);
        assert!(!line.contains("does not answer"), "{line}");
        assert_eq!(d.notices().len(), 1);
        d.ingest(r#"{"type":"statscope.hello","source":"docker","describe":"d","version":"1"}"#);
        assert!(
            d.notices().is_empty(),
            "a new connection: the bridge says again what holds"
        );
    }

    #[test]
    fn the_touch_hint_speaks_of_touch() {
        let touch = hint(true);
        assert!(touch.contains("Tap") && touch.contains("pinch"), "{touch}");
        assert!(
            !touch.contains("wheel") && !touch.contains("keys"),
            "{touch}"
        );
        assert!(hint(false).contains("wheel"));
    }

    #[test]
    fn a_refusal_is_said_until_the_feed_is_live() {
        let mut d = DashboardCore::new(Options::default()).expect("options");
        let why = refusal_text("origin", "http://dash.example:3000").expect("said");
        assert!(
            why.contains("--allow-origin http://dash.example:3000"),
            "{why}"
        );
        assert!(refusal_text("ok", "x").is_none());
        d.set_refusal(Some(why.clone()));
        let state = FeedState::Reconnecting {
            attempt: 5,
            at_ms: 0.0,
        };
        assert!(status_line(&d, state, true, 0.0).contains(&why));
        assert!(!status_line(&d, FeedState::Live, true, 0.0).contains(&why));
        assert!(refusal_text("token", "x").expect("said").contains("token"));
    }

    #[test]
    fn skews_read_for_people() {
        assert_eq!(skew_text(45_000_000_000), "45 s ahead");
        assert_eq!(skew_text(3_540_000_000_000), "59 min ahead");
        assert_eq!(skew_text(3_599_990_000_000), "60 min ahead");
        assert_eq!(skew_text(-7_200_000_000_000), "2 h behind");
        assert_eq!(skew_text(252_000_000_000_000_000), "2916 days ahead");
    }

    #[test]
    fn every_metric_names_the_canvas() {
        for m in Metric::all() {
            let label = canvas_label(m, CpuScale::Core);
            assert!(label.ends_with("Arrow keys move a cursor; Space pauses."));
            assert!(label.len() > 40, "{label}");
        }
        assert!(canvas_label(Metric::Cpu, CpuScale::Limit).contains("its CPU limit"));
    }
}
