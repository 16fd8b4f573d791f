//! The replay source's pacing, order and looping, in Tokio's paused time (no real waiting).

use std::time::Duration;

use statscope::model::Sample;
use statscope::protocol::{Message, Notice};
use statscope_bridge::hub::{Hub, HubConfig};
use statscope_bridge::replay::Replay;
use statscope_bridge::source::Source;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

fn object(id: &str, read: &str) -> String {
    format!(
        r#"{{"read":"{read}","preread":"0001-01-01T00:00:00Z","id":"{id}","cpu_stats":{{"cpu_usage":{{"total_usage":1}}}}}}"#
    )
}

fn recording() -> (tempfile_path::Path, Vec<String>) {
    let lines = vec![
        object("a", "2024-05-01T10:00:00Z"),
        object("b", "2024-05-01T10:00:00.004Z"),
        object("a", "2024-05-01T10:00:01Z"),
        object("c", "0001-01-01T00:00:00Z"), // a stopped container: keeps its place
        object("b", "2024-05-01T10:00:01.004Z"),
        "this line is not JSON".to_string(),
        object("a", "2024-05-01T10:00:04Z"),
        object("b", "2024-05-01T10:00:03Z"), // backwards: goes out at once
    ];
    let path = tempfile_path::Path::new(&lines.join("\n"));
    (path, lines)
}

/// A file in the temp folder, removed on drop.
mod tempfile_path {
    pub struct Path(pub std::path::PathBuf);
    impl Path {
        pub fn new(text: &str) -> Path {
            use std::sync::atomic::{AtomicU64, Ordering};
            static N: AtomicU64 = AtomicU64::new(0);
            let p = std::env::temp_dir().join(format!(
                "statscope-replay-{}-{}.ndjson",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ));
            std::fs::write(&p, text).expect("write recording");
            Path(p)
        }
    }
    impl Drop for Path {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }
}

/// What a frame holds: samples, or one of statscope's messages.
#[derive(Clone, Debug, PartialEq)]
enum Got {
    Sample(Sample),
    Message(Message),
}

/// A frame's items, in order.
fn items(frame: &str) -> Vec<Got> {
    match Message::decode(frame) {
        Ok(Some(Message::Samples(batch))) => batch.samples.into_iter().map(Got::Sample).collect(),
        // The fleet overview goes only to pages that ask: not what a recording says.
        Ok(Some(Message::Fleet(_))) => Vec::new(),
        Ok(Some(message)) => vec![Got::Message(message)],
        other => panic!("not a statscope frame ({other:?}): {frame}"),
    }
}

/// What the bridge makes of a recording's line for host `local`: its sample, or nothing (a line
/// that is not a stats object is counted and dropped).
fn expected_sample(line: &str) -> Option<Got> {
    let stats = statscope::Stats::from_json(line).ok()?;
    Some(Got::Sample(Sample::from_stats(stats, "local")))
}

/// Runs the replay into a hub and returns `(ms since start, item)` for each sample received, and
/// the notices.
async fn play(replay: Replay, until_samples: usize) -> (Vec<(u128, Got)>, Vec<Notice>) {
    let shutdown = CancellationToken::new();
    let config = HubConfig {
        tick: Duration::from_millis(1),
        ..HubConfig::default()
    };
    let (hub, sink) = Hub::start(config, shutdown.clone());
    let mut rx = hub.subscribe(None).frames;
    let start = Instant::now();
    tokio::spawn(Box::new(replay).run(sink, shutdown.clone()));
    let (mut got, mut notices) = (Vec::new(), Vec::new());
    while got.len() < until_samples {
        let frame = tokio::time::timeout(Duration::from_secs(60), rx.recv())
            .await
            .expect("a frame in time")
            .expect("open");
        let at = start.elapsed().as_millis();
        for item in items(&frame) {
            match item {
                Got::Message(Message::Notice(n)) => notices.push(n),
                item => got.push((at, item)),
            }
        }
    }
    shutdown.cancel();
    (got, notices)
}

#[tokio::test(start_paused = true)]
async fn replay_keeps_the_recorded_pace_and_order_at_any_speed() {
    let (file, expected) = recording();
    // The line that is not JSON is dropped (and counted), never relayed.
    let expected: Vec<Got> = expected.iter().filter_map(|l| expected_sample(l)).collect();
    assert_eq!(expected.len(), 7);
    for speed in [1.0, 2.0, 10.0] {
        let replay = Replay::open(file.0.clone(), speed, false).expect("opens");
        let (got, notices) = play(replay, expected.len()).await;
        assert!(
            notices
                .iter()
                .any(|n| n.cause == "malformed-stats" && n.count == 1 && n.host == "local"),
            "the line that is not JSON is said: {notices:?}"
        );
        let samples: Vec<&Got> = got.iter().map(|(_, t)| t).collect();
        assert_eq!(
            samples,
            expected.iter().collect::<Vec<_>>(),
            "every sample, in file order"
        );
        let at: Vec<f64> = got
            .iter()
            .map(|(ms, _)| *ms as f64 * speed / 1000.0)
            .collect();
        // Recorded offsets 0, 0.004, 1, (stopped: with the one before), 1.004, 4, (backwards: at
        // once).
        let recorded = [0.0, 0.004, 1.0, 1.0, 1.004, 4.0, 4.0];
        for (i, (got, want)) in at.iter().zip(recorded).enumerate() {
            assert!(
                (got - want).abs() <= 0.002 * speed + 0.0011,
                "speed {speed}, object {i}: at {got} s, recorded {want} s"
            );
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_looped_replay_moves_time_forward_on_each_pass() {
    let (file, expected) = recording();
    let replay = Replay::open(file.0.clone(), 1.0, true).expect("opens");
    let n = expected
        .iter()
        .filter(|l| expected_sample(l).is_some())
        .count();
    let (got, _) = play(replay, n * 3).await;
    let reads: Vec<statscope::Timestamp> = got
        .iter()
        .map(|(_, item)| match item {
            Got::Sample(sample) => sample.read,
            Got::Message(m) => panic!("only samples in this recording: {m:?}"),
        })
        .collect();
    // Pass 2 is pass 1 shifted by the recording's length (4 s) plus one second, pass 3 by twice that.
    for i in 0..n {
        if reads[i].is_zero() {
            assert!(
                reads[i + n].is_zero() && reads[i + 2 * n].is_zero(),
                "zero time stays zero"
            );
            continue;
        }
        assert_eq!(reads[i + n].unix_ns() - reads[i].unix_ns(), 5_000_000_000);
        assert_eq!(
            reads[i + 2 * n].unix_ns() - reads[i].unix_ns(),
            10_000_000_000
        );
    }
    // And the second pass plays after the first, at the recorded pace.
    assert!(got[n].0 >= 5000, "pass 2 starts 5 s in: {}", got[n].0);
}

#[test]
fn a_bad_speed_or_a_missing_file_is_refused_up_front() {
    assert!(Replay::open("/nonexistent.ndjson".into(), 1.0, false).is_err());
    let (file, _) = recording();
    for speed in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        assert!(
            Replay::open(file.0.clone(), speed, false).is_err(),
            "{speed}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn playback_waits_for_the_first_viewer() {
    let (file, expected) = recording();
    let shutdown = CancellationToken::new();
    let (hub, sink) = Hub::start(HubConfig::default(), shutdown.clone());
    let replay = Replay::open(file.0.clone(), 1.0, false).expect("opens");
    tokio::spawn(Box::new(replay).run(sink, shutdown.clone()));
    tokio::time::sleep(Duration::from_secs(30)).await;
    let objects = || {
        hub.counts()
            .objects
            .load(std::sync::atomic::Ordering::Relaxed)
    };
    assert_eq!(objects(), 0, "nothing played to nobody");
    let mut rx = hub.subscribe(None).frames;
    let first = tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .expect("plays")
        .expect("frame");
    assert_eq!(
        items(&first)[0],
        expected_sample(&expected[0]).expect("a sample"),
        "{}",
        first.frame().as_str()
    );
    assert!(objects() >= 1 && objects() <= expected.len() as u64);
    shutdown.cancel();
}

/// Runs the replay into a hub and returns the frames' items, a frame's items as one entry.
async fn frames(replay: Replay, until: usize) -> Vec<Vec<Got>> {
    let shutdown = CancellationToken::new();
    let (hub, sink) = Hub::start(HubConfig::default(), shutdown.clone());
    let mut rx = hub.subscribe(None).frames;
    tokio::spawn(Box::new(replay).run(sink, shutdown.clone()));
    let mut got = Vec::new();
    while got.len() < until {
        let frame = tokio::time::timeout(Duration::from_secs(60), rx.recv())
            .await
            .expect("a frame in time")
            .expect("open");
        let items = items(&frame);
        if !items.is_empty() {
            got.push(items);
        }
    }
    shutdown.cancel();
    got
}

#[tokio::test(start_paused = true)]
async fn control_messages_in_a_recording_go_out_alone_and_move_with_the_loop() {
    let info = r#"{"type":"statscope.container","id":"a","name":"web","image":"busybox","cpuLimit":0.5,"cpuLimitFrom":"NanoCpus","memoryLimitBytes":null}"#;
    let die = r#"{"type":"statscope.event","id":"a","name":"web","action":"die","time":"2024-05-01T10:00:00.500000000Z","exitCode":137}"#;
    // Everything here is due at the same instant: one tick would make it one array.
    let lines = [
        object("a", "2024-05-01T10:00:00Z"),
        info.to_string(),
        object("b", "2024-05-01T10:00:00Z"),
        die.to_string(),
        object("c", "2024-05-01T10:00:00Z"),
        object("d", "2024-05-01T10:00:01Z"),
    ];
    let file = tempfile_path::Path::new(&lines.join("\n"));
    // Messages keep their content and are said to be about the replay's host.
    let message = |text: &str| {
        let mut message = Message::decode(text).expect("valid").expect("statscope's");
        match &mut message {
            Message::Container(c) => c.host = "local".into(),
            Message::Event(e) => e.host = "local".into(),
            _ => unreachable!(),
        }
        vec![Got::Message(message)]
    };
    let sample = |line: &str| vec![expected_sample(line).expect("a sample")];
    let once = frames(Replay::open(file.0.clone(), 1.0, false).expect("opens"), 5).await;
    assert_eq!(
        once,
        [
            sample(&lines[0]),
            message(info),
            sample(&lines[2]),
            message(die),
            sample(&lines[4])
        ],
        "each message its own frame, in order"
    );

    // Looped: the second pass shifts the event's time like the samples' (1 s span + 1 s).
    let looped = frames(Replay::open(file.0.clone(), 1.0, true).expect("opens"), 10).await;
    // Pass 1 is frames 0–5 (a, info, b, die, c, d); pass 2 starts at 6.
    assert_eq!(looped[7], message(info), "container info has no time");
    assert_eq!(
        looped[9],
        message(&die.replace("10:00:00.500000000Z", "10:00:02.500000000Z"))
    );
}
