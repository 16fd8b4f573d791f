//! The page's logic with several hosts, natively: the host is part of every container's key, so the
//! same container ID and name on two hosts are two curves, each exact; labels, the host filter, the
//! snapshot, the CSV, notices and resume all keep hosts apart; history the page already has is not
//! counted as late.

use std::collections::HashMap;

use statscope::dashboard::{DashboardCore, Options};
use statscope::model::Sample;
use statscope::protocol::{Hello, HostInfo, Message, Notice, Samples};
use statscope::Stats;

const RECORDING: &str = include_str!("fixtures/docker-20.10-cgroupv1.ndjson");
const GOLDEN: &str = include_str!("fixtures/docker-20.10-cgroupv1.docker-cli.jsonl");

fn host(key: &str, name: &str) -> HostInfo {
    HostInfo {
        host: key.into(),
        name: name.into(),
        engine: "docker".into(),
        describe: format!("tcp://{key}:2376 (TLS)"),
        state: "up".into(),
        error: None,
    }
}

fn hello(instance: &str) -> String {
    Message::Hello(Hello {
        source: "docker".into(),
        describe: "2 hosts".into(),
        version: "test".into(),
        protocol: statscope::protocol::PROTOCOL_VERSION,
        instance: instance.into(),
        history_seconds: 300.0,
        hosts: vec![host("a", "alpha"), host("b", "beta")],
    })
    .encode()
}

fn frame(host: &str, seq: u64, history: bool, samples: Vec<Sample>) -> String {
    Message::Samples(Samples {
        host: host.into(),
        seq,
        history,
        samples,
    })
    .encode()
}

/// The recording's samples of `name`, with the docker CLI's CPU % for each.
fn of(name: &str) -> Vec<(Stats, String)> {
    RECORDING
        .lines()
        .zip(GOLDEN.lines())
        .filter_map(|(line, golden)| {
            let s = Stats::from_json(line).expect("sample");
            let g: serde_json::Value = serde_json::from_str(golden).expect("golden");
            (s.display_name() == name)
                .then(|| (s, g["CPUPerc"].as_str().expect("CPUPerc").to_string()))
        })
        .collect()
}

/// Host `a` runs ss-idle; host `b` runs a container with ss-idle's ID and name whose samples are
/// ss-burn's. Returns the page and, per (host, read ms), the docker CLI's CPU %.
fn two_hosts_one_id() -> (DashboardCore, HashMap<(String, u64), String>, String) {
    let mut d = DashboardCore::new(Options {
        window_seconds: 3600.0,
        ttl_seconds: 3600.0,
        ..Options::default()
    })
    .expect("options");
    d.ingest(&hello("run-1"));
    let idle = of("ss-idle");
    let burn = of("ss-burn");
    let id = idle[0].0.id.clone();
    let mut expected = HashMap::new();
    let mut seq = 0;
    for (i, ((a, a_cli), (b, b_cli))) in idle.iter().zip(&burn).enumerate() {
        let on_a = Sample::of(a, "a");
        let mut on_b = Sample::of(b, "b");
        on_b.key = Sample::key_of(&id, "", "b");
        on_b.name = "ss-idle".into();
        expected.insert(("a".to_string(), a.read.unix_ms().to_bits()), a_cli.clone());
        expected.insert(("b".to_string(), b.read.unix_ms().to_bits()), b_cli.clone());
        seq += 1;
        d.ingest(&frame("a", seq, false, vec![on_a]));
        seq += 1;
        d.ingest(&frame("b", seq, false, vec![on_b]));
        if i % 3 == 0 {
            d.flush();
        }
    }
    d.flush();
    (d, expected, id)
}

#[test]
fn the_same_container_on_two_hosts_is_two_curves_each_exact() {
    let (d, expected, id) = two_hosts_one_id();
    let snapshot = d.snapshot();
    assert_eq!(snapshot.containers.len(), 2, "{snapshot:?}");
    let mut checked = 0;
    for c in &snapshot.containers {
        assert_eq!((c.id.as_str(), c.name.as_str()), (id.as_str(), "ss-idle"));
        assert_eq!(c.key, format!("{id}@{}", c.host));
        for &(t, cpu) in &c.cpu {
            let cli = &expected[&(c.host.clone(), t.to_bits())];
            assert_eq!(
                &format!("{cpu:.2}%"),
                cli,
                "{} on {} at {t}",
                c.name,
                c.host
            );
            checked += 1;
        }
    }
    assert!(checked > 40, "checked {checked} points");
    let hosts: Vec<&str> = snapshot
        .containers
        .iter()
        .map(|c| c.host.as_str())
        .collect();
    assert_eq!(hosts, ["a", "b"]);
    // One curve burns, the other idles: they were not mixed.
    let mean = |h: &str| {
        let c = snapshot
            .containers
            .iter()
            .find(|c| c.host == h)
            .expect("host");
        c.cpu.iter().map(|p| p.1).sum::<f64>() / c.cpu.len() as f64
    };
    assert!(
        mean("b") > 10.0 * mean("a").max(0.1),
        "{} vs {}",
        mean("b"),
        mean("a")
    );
}

#[test]
fn labels_name_the_host_and_the_host_filter_keeps_one() {
    let (mut d, _, id) = two_hosts_one_id();
    let names: Vec<String> = d.legend().entries.iter().map(|e| e.name.clone()).collect();
    assert_eq!(names, ["ss-idle · alpha", "ss-idle · beta"]);
    let ids: Vec<String> = d.legend().entries.iter().map(|e| e.id.clone()).collect();
    assert_eq!(ids, [format!("{id}@a"), format!("{id}@b")]);
    d.set_host("b");
    let shown: Vec<String> = d.legend().entries.iter().map(|e| e.id.clone()).collect();
    assert_eq!(shown, [format!("{id}@b")]);
    d.set_host("");
    assert_eq!(d.legend().entries.len(), 2);
}

#[test]
fn the_csv_says_each_rows_host() {
    let (d, _, id) = two_hosts_one_id();
    let csv = d.export_csv();
    let mut lines = csv.lines();
    assert!(lines
        .next()
        .expect("header")
        .starts_with("time,host,id,name,"));
    let mut per_host: HashMap<String, usize> = HashMap::new();
    for row in lines {
        let cells: Vec<&str> = row.split(',').collect();
        assert_eq!((cells[2], cells[3]), (id.as_str(), "ss-idle"), "{row}");
        *per_host.entry(cells[1].to_string()).or_default() += 1;
    }
    assert_eq!(per_host.len(), 2, "{per_host:?}");
    assert!(per_host.values().all(|&n| n > 20), "{per_host:?}");
}

#[test]
fn notices_are_kept_per_host_and_cause() {
    let (mut d, _, _) = two_hosts_one_id();
    let notice = |host: &str, active: bool| {
        Message::Notice(Notice {
            host: host.into(),
            cause: "engine-unreachable".into(),
            text: format!("lost {host}"),
            count: 1,
            limit: None,
            active,
        })
        .encode()
    };
    d.ingest(&notice("a", true));
    d.ingest(&notice("b", true));
    assert_eq!(d.notices().len(), 2);
    d.ingest(&notice("a", false));
    let left: Vec<&str> = d.notices().iter().map(|n| n.host.as_str()).collect();
    assert_eq!(left, ["b"]);
}

#[test]
fn resume_says_the_run_and_the_last_sequence_number() {
    let (d, _, _) = two_hosts_one_id();
    let samples = 2 * of("ss-idle").len().min(of("ss-burn").len());
    assert_eq!(d.resume_token(), Some(format!("run-1:{samples}")));
}

#[test]
fn history_the_page_already_has_is_known_not_late() {
    let (mut d, _, id) = two_hosts_one_id();
    let late = d.engine().counts().late;
    let points = d.snapshot().containers[0].cpu.len();
    // The bridge restarted (another run) and sends its history: the same samples again, then one
    // the page has not seen.
    d.ingest(&hello("run-2"));
    let fed = of("ss-idle").len().min(of("ss-burn").len());
    let mut again: Vec<Sample> = of("ss-idle")[..fed]
        .iter()
        .map(|(s, _)| Sample::of(s, "a"))
        .collect();
    let mut newer = again.last().expect("samples").clone();
    newer.read = statscope::Timestamp::from_unix_ns(newer.read.unix_ns() + 1_000_000_000);
    newer.preread = statscope::Timestamp::ZERO;
    newer.cpu_total += 1_000_000;
    newer.cpu_system += 2_000_000_000;
    again.push(newer);
    let n = again.len() as u64;
    d.ingest(&frame("a", 9, true, again));
    d.flush();
    assert_eq!(d.counts().known, n - 1, "every sample it had is known");
    assert_eq!(d.engine().counts().late, late, "none is late");
    let c = d
        .snapshot()
        .containers
        .into_iter()
        .find(|c| c.key == format!("{id}@a"))
        .expect("a's container");
    assert_eq!(c.cpu.len(), points + 1, "the new one is drawn");
    assert_eq!(d.resume_token(), Some("run-2:9".into()));
}

#[test]
fn the_status_line_says_which_host_is_down_and_why_once() {
    let (mut d, _, _) = two_hosts_one_id();
    let mut down = host("b", "beta");
    down.state = "down".into();
    down.error = Some("cannot connect: connection refused".into());
    d.ingest(&Message::Host(down).encode());
    d.ingest(
        &Message::Notice(Notice {
            host: "b".into(),
            cause: "engine-unreachable".into(),
            text: "no answer from the Docker Engine at tcp://b:2376: cannot connect: connection refused; retrying in 2.0 s".into(),
            count: 3,
            limit: None,
            active: true,
        })
        .encode(),
    );
    let line = statscope::dashboard::status::status_line(
        &d,
        statscope::reconnect::FeedState::Live,
        true,
        0.0,
    );
    assert!(line.contains("1 of 2 host(s) up"), "{line}");
    assert!(line.contains("beta down: cannot connect"), "{line}");
    assert_eq!(line.matches("connection refused").count(), 1, "{line}");
}

/// What the page tells the bridge it shows follows the viewer's choices (host, filter, top N,
/// metric, the containers chosen by hand), and what the bridge says it sends is in the status line.
#[test]
fn the_page_says_what_it_shows_and_says_what_it_is_sent() {
    let (mut d, _, id) = two_hosts_one_id();
    let everything = d.subscription();
    assert_eq!(
        (
            everything.hosts.len(),
            everything.filter.as_str(),
            everything.top
        ),
        (0, "", None),
        "{everything:?}"
    );
    assert!(everything.pinned.is_empty() && everything.fleet);
    let (on_a, on_b) = (Sample::key_of(&id, "", "a"), Sample::key_of(&id, "", "b"));
    d.set_filter("ss-");
    d.set_top_n(Some(1));
    let listed = |d: &DashboardCore| -> Vec<String> {
        d.listing().rows.iter().map(|r| r.0.to_string()).collect()
    };
    assert_eq!(
        listed(&d),
        std::slice::from_ref(&on_b),
        "the busier one (b burns)"
    );
    // Chosen by hand: pinned, and listed whatever the top N says.
    d.isolate(&on_a);
    let mut both = listed(&d);
    both.sort();
    assert_eq!(both, [on_a.clone(), on_b.clone()]);
    d.set_host("b");
    let s = d.subscription();
    assert_eq!(s.hosts, ["b"]);
    assert_eq!((s.filter.as_str(), s.top), ("ss-", Some(1)));
    assert_eq!(s.pinned, std::slice::from_ref(&on_a));

    let status = |d: &DashboardCore| {
        statscope::dashboard::status::status_line(
            d,
            statscope::reconnect::FeedState::Live,
            true,
            0.0,
        )
    };
    let said = |shown, total, capped| {
        Message::Subscribed(statscope::protocol::Subscribed {
            shown,
            matching: total,
            total,
            hosts: 2,
            cap: 500,
            capped,
        })
        .encode()
    };
    d.ingest(&said(5, 812, false));
    let line = status(&d);
    assert!(
        line.contains("showing 5 of 812 containers on 2 hosts"),
        "{line}"
    );
    assert!(!line.contains("at most"), "{line}");
    d.ingest(&said(500, 10_000, true));
    let line = status(&d);
    assert!(line.contains("showing 500 of 10000 containers"), "{line}");
    assert!(line.contains("a page is sent at most 500"), "{line}");
    // A new bridge run has not said yet.
    d.ingest(&hello("run-2"));
    assert!(d.subscribed().is_none());
    assert!(status(&d).contains(" · 2 containers"));
}

/// The fleet overview: a row per host with its state, containers and busiest, the one the chart
/// narrows to marked; nothing with one host or with the option off.
#[test]
fn the_fleet_overview_says_each_host_and_which_is_shown() {
    let (mut d, _, _) = two_hosts_one_id();
    assert_eq!(d.overview().len(), 2, "hosts known before any overview");
    d.ingest(
        &Message::Fleet(statscope::protocol::Fleet {
            hosts: vec![
                statscope::protocol::FleetHost {
                    host: "a".into(),
                    containers: 12,
                    running: 11,
                    busiest: Some(statscope::protocol::Busiest {
                        key: "x@a".into(),
                        name: "web".into(),
                        cpu: 45.06,
                    }),
                },
                statscope::protocol::FleetHost {
                    host: "b".into(),
                    containers: 1,
                    running: 0,
                    busiest: None,
                },
            ],
        })
        .encode(),
    );
    let mut stale = host("b", "beta");
    stale.state = "stale".into();
    d.ingest(&Message::Host(stale).encode());
    d.set_host("b");
    let rows: Vec<(String, bool)> = d
        .overview()
        .into_iter()
        .map(|h| (h.text, h.selected))
        .collect();
    assert_eq!(
        rows,
        [
            (
                "alpha · up · 12 containers · busiest web 45.1 %".to_string(),
                false
            ),
            ("beta · stale · 1 container".to_string(), true),
        ]
    );
    let mut off = DashboardCore::new(Options {
        overview: false,
        ..Options::default()
    })
    .expect("options");
    off.ingest(&hello("run-1"));
    assert!(off.overview().is_empty());
    assert!(!off.subscription().fleet);
}
