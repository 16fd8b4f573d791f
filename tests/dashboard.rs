//! The page's logic natively: a real recording through `DashboardCore`, and the chart drawn to SVG.

use std::collections::HashMap;

use plotters::prelude::*;
use statscope::chart::{draw, Theme};
use statscope::dashboard::{DashboardCore, Options, MAX_FRAME_BYTES};
use statscope::Stats;

const RECORDING: &str = include_str!("fixtures/docker-20.10-cgroupv1.ndjson");
const GOLDEN: &str = include_str!("fixtures/docker-20.10-cgroupv1.docker-cli.jsonl");

fn dashboard(options: Options) -> DashboardCore {
    DashboardCore::new(options).expect("valid options")
}

/// Feeds the recording as the bridge would: a frame per ~tick (here: 3 lines per frame as an array).
fn feed_recording(d: &mut DashboardCore) {
    let lines: Vec<&str> = RECORDING.lines().collect();
    for chunk in lines.chunks(3) {
        d.ingest(&format!("[{}]", chunk.join(",")));
        d.flush();
    }
}

#[test]
fn every_cpu_point_is_the_docker_cli_value_for_its_sample() {
    let mut d = dashboard(Options::default());
    feed_recording(&mut d);
    // (id, read ms) → the CLI's CPUPerc for that sample.
    let mut cli: HashMap<(String, u64), String> = HashMap::new();
    for (line, golden) in RECORDING.lines().zip(GOLDEN.lines()) {
        let s = Stats::from_json(line).expect("sample");
        let g: serde_json::Value = serde_json::from_str(golden).expect("golden");
        cli.insert(
            (s.id.clone(), s.read.unix_ms().to_bits()),
            g["CPUPerc"].as_str().unwrap().to_string(),
        );
    }
    let snapshot = d.snapshot();
    assert_eq!(snapshot.containers.len(), 5);
    let mut checked = 0;
    for c in &snapshot.containers {
        for &(t, cpu) in &c.cpu {
            let expected = &cli[&(c.id.clone(), t.to_bits())];
            assert_eq!(&format!("{cpu:.2}%"), expected, "{} at {t}", c.name);
            checked += 1;
        }
    }
    assert!(checked > 80, "checked {checked} points");
    // The first sample of each stream and the restarts give no point: the CLI's 0.06 %… lifetime
    // ratios and its 0.00 % at a reset are not in the curve.
    let restart = snapshot
        .containers
        .iter()
        .find(|c| c.name == "ss-restart")
        .expect("ss-restart");
    let samples = RECORDING
        .lines()
        .filter(|l| l.contains("\"/ss-restart\""))
        .count();
    assert!(
        restart.cpu.len() < samples - 4,
        "first + 3 restarts + stop samples are not points"
    );
    assert!(snapshot
        .containers
        .iter()
        .all(|c| c.cpu.iter().all(|&(_, v)| v >= 0.0)));
}

#[test]
fn the_legend_is_in_name_order_with_stable_colours() {
    let mut d = dashboard(Options::default());
    feed_recording(&mut d);
    let legend = d.legend().entries;
    let names: Vec<&str> = legend.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names,
        ["ss-burn", "ss-idle", "ss-io", "ss-restart", "ss-short"]
    );
    let colours: std::collections::BTreeSet<&str> =
        legend.iter().map(|e| e.color.as_str()).collect();
    assert_eq!(colours.len(), 5, "distinct colours");
    assert!(
        legend
            .iter()
            .find(|e| e.name == "ss-short")
            .expect("short")
            .stopped
    );
    let again = d.legend().entries;
    assert_eq!(legend, again, "stable");
    let burn = legend.iter().find(|e| e.name == "ss-burn").expect("burn");
    assert!((35.0..65.0).contains(&burn.cpu.expect("a value")));
}

#[test]
fn malformed_and_oversized_frames_are_counted_and_nothing_else_is_lost() {
    let mut d = dashboard(Options::default());
    let lines: Vec<&str> = RECORDING.lines().collect();
    d.ingest(lines[0]);
    d.ingest("{\"id\": \"x\", \"read\": \"not a time\"}");
    d.ingest("garbage");
    d.ingest(&format!("[{}]", "1,".repeat(MAX_FRAME_BYTES / 2)));
    d.ingest("[{\"id\": 5}]");
    d.ingest(lines[1]);
    // One bad object in an array costs only itself.
    d.ingest(&format!(
        "[{}, {{\"cpu_stats\": 7}}, {}]",
        lines[2], lines[3]
    ));
    d.flush();
    let counts = d.counts().clone();
    assert_eq!(counts.frames, 7);
    assert_eq!(counts.malformed, 4);
    assert_eq!(counts.oversized, 1);
    assert_eq!(counts.samples, 4);
    assert!(
        counts
            .last_error
            .as_deref()
            .unwrap_or("")
            .contains("expected"),
        "{counts:?}"
    );
    assert_eq!(
        d.snapshot().containers.len(),
        4,
        "lines 0..4 are four containers, all kept"
    );
}

#[test]
fn statscope_messages_are_not_stats() {
    let mut d = dashboard(Options::default());
    d.ingest(r#"{"type":"statscope.hello","source":"demo","describe":"the built-in demo feed","version":"0.1.0"}"#);
    d.ingest(r#"{"type":"statscope.dropped","frames":7,"total":7}"#);
    d.ingest(r#"{"type":"statscope.heartbeat"}"#);
    d.flush();
    let c = d.counts();
    assert_eq!(
        (
            c.source.as_deref(),
            c.bridge_dropped,
            c.malformed,
            c.samples
        ),
        (Some("demo"), 7, 0, 0)
    );
    assert!(d.engine().is_empty());
}

#[test]
fn pause_freezes_the_window_and_resume_jumps_to_live_with_every_point() {
    let mut d = dashboard(Options::default());
    let lines: Vec<&str> = RECORDING.lines().collect();
    let (first, rest) = lines.split_at(60);
    for l in first {
        d.ingest(l);
    }
    d.flush();
    d.pause();
    let frozen = d.window_ms();
    let points_before = d
        .snapshot()
        .containers
        .iter()
        .map(|c| c.cpu.len())
        .sum::<usize>();
    for l in rest {
        d.ingest(l);
    }
    d.flush();
    assert_eq!(d.window_ms(), frozen, "paused: the view does not move");
    assert_eq!(
        d.snapshot()
            .containers
            .iter()
            .map(|c| c.cpu.len())
            .sum::<usize>(),
        points_before
    );
    d.resume();
    assert!(d.window_ms().1 > frozen.1);
    let mut all = dashboard(Options::default());
    feed_recording(&mut all);
    assert_eq!(d.snapshot(), all.snapshot(), "no point lost while paused");
}

#[test]
fn a_stopped_container_stays_while_in_the_window_then_leaves_after_its_ttl() {
    // The recording is ~28 s long; ss-short stops partway through.
    let names = |d: &DashboardCore| -> Vec<String> {
        d.snapshot()
            .containers
            .into_iter()
            .map(|c| c.name)
            .collect()
    };
    // Evidence: with a 5 s TTL, its points stay while they are in the 300 s window, marked ended.
    let mut d = dashboard(Options {
        ttl_seconds: 5.0,
        ..Options::default()
    });
    feed_recording(&mut d);
    assert!(
        names(&d).contains(&"ss-short".to_string()),
        "{:?}",
        names(&d)
    );
    let legend = d.legend();
    let short = legend
        .entries
        .iter()
        .find(|e| e.name == "ss-short")
        .expect("listed");
    assert!(short.stopped && short.value == "stopped", "{short:?}");
    let view = d.view(0);
    let series = view
        .series
        .iter()
        .find(|s| s.name == "ss-short")
        .expect("its curve is drawn");
    assert!(!series.segments.is_empty());
    assert!(
        series
            .marks
            .iter()
            .any(|m| m.kind == statscope::chart::MarkKind::Die),
        "marked as ended: {:?}",
        series.marks
    );
    // Once it scrolled out of a shorter window, the TTL applies.
    let mut short_window = dashboard(Options {
        ttl_seconds: 5.0,
        window_seconds: 5.0,
        ..Options::default()
    });
    feed_recording(&mut short_window);
    assert!(
        !names(&short_window).contains(&"ss-short".to_string()),
        "{:?}",
        names(&short_window)
    );
    assert_eq!(names(&short_window).len(), 4);
}

#[test]
fn options_are_checked() {
    for bad in [
        Options {
            window_seconds: 0.0,
            ..Options::default()
        },
        Options {
            ttl_seconds: -1.0,
            ..Options::default()
        },
        Options {
            theme: "pink".into(),
            ..Options::default()
        },
        Options {
            colors: vec!["red".into()],
            ..Options::default()
        },
        Options {
            feed: Some("http://x/ws".into()),
            ..Options::default()
        },
    ] {
        assert!(DashboardCore::new(bad).is_err());
    }
    let json = r##"{"feed":"ws://h/ws","windowSeconds":60,"ttlSeconds":10,"theme":"dark","colors":["#112233"],"connect":false}"##;
    let o: Options = serde_json::from_str(json).expect("camelCase options");
    assert_eq!(
        (o.window_seconds, o.ttl_seconds, o.connect),
        (60.0, 10.0, false)
    );
    assert!(
        serde_json::from_str::<Options>(r#"{"window":60}"#).is_err(),
        "typos are errors"
    );
}

#[test]
fn the_chart_draws_one_path_per_segment_with_breaks_at_resets() {
    let mut d = dashboard(Options::default());
    feed_recording(&mut d);
    let mut view = d.view(0);
    // Solid curves and no marks here, so each segment is one <polyline> (dashes and marks are
    // tested in tests/interaction.rs).
    for s in &mut view.series {
        s.dash = statscope::chart::Dash::Solid;
        s.marks.clear();
    }
    view.labels = false;
    let restart = view
        .series
        .iter()
        .find(|s| s.name == "ss-restart")
        .expect("series");
    assert!(
        restart.segments.len() >= 3,
        "the restarts break the curve: {}",
        restart.segments.len()
    );
    assert!(
        view.y_max >= 50.0 && view.y_max <= 100.0,
        "y axis fits the 50 % burner: {}",
        view.y_max
    );

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (800, 300)).into_drawing_area();
        draw(&root, &view, &Theme::light(), 1.0).expect("draws");
    }
    let segments: usize = view
        .series
        .iter()
        .map(|s| s.segments.iter().filter(|g| g.len() > 1).count())
        .sum();
    let dots: usize = view
        .series
        .iter()
        .map(|s| s.segments.iter().filter(|g| g.len() == 1).count())
        .sum();
    let colours: Vec<String> = view
        .series
        .iter()
        .map(|s| format!("#{:02X}{:02X}{:02X}", s.color.0, s.color.1, s.color.2))
        .collect();
    let curves = |svg: &str| {
        svg.lines()
            .filter(|l| {
                l.contains("<polyline")
                    && colours
                        .iter()
                        .any(|c| l.contains(&format!("stroke=\"{c}\"")))
            })
            .count()
    };
    assert_eq!(curves(&svg), segments, "one path per segment");
    assert_eq!(svg.matches("<circle").count(), dots);
    for (s, colour) in view.series.iter().zip(&colours) {
        assert!(
            svg.contains(colour.as_str()),
            "{} drawn in {colour}",
            s.name
        );
    }
    assert!(
        svg.contains("50%") || svg.contains("60%") || svg.contains("40%"),
        "y labels in %"
    );
    assert!(svg.matches(':').count() > 6, "time labels HH:MM:SS");

    // Dark theme and HiDPI: the same curves, another background, wider lines.
    let mut dark = String::new();
    {
        let root = SVGBackend::with_string(&mut dark, (1600, 600)).into_drawing_area();
        draw(&root, &view, &Theme::dark(), 2.0).expect("draws");
    }
    assert!(dark.contains("#18181C"), "dark background");
    assert!(
        dark.contains("stroke-width=\"3\""),
        "lines scale with the pixel ratio"
    );
    assert_eq!(curves(&dark), segments);
}

#[test]
fn before_any_sample_the_chart_says_it_is_waiting() {
    let d = dashboard(Options::default());
    let view = d.view(0);
    assert_eq!(view.x_range, (0.0, 0.0));
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (400, 200)).into_drawing_area();
        draw(&root, &view, &Theme::light(), 1.0).expect("draws");
    }
    assert!(svg.contains("waiting for container stats"), "{svg}");
    assert!(!svg.contains("1970") && !svg.contains("00:00:00"));
}

#[test]
fn short_history_fills_the_chart_and_a_full_window_slides() {
    // 28 s of recording in a 300 s window: the chart spans the 30 s minimum, not 300 s.
    let mut wide = dashboard(Options::default());
    feed_recording(&mut wide);
    let (start, end) = wide.window_ms();
    assert_eq!(end - start, 30_000.0);
    let first = Stats::from_json(RECORDING.lines().next().expect("a line"))
        .expect("first")
        .read
        .unix_ms();
    assert!(start <= first, "the first sample is in view");
    // A 10 s window is full: it slides at its length.
    let mut narrow = dashboard(Options {
        window_seconds: 10.0,
        ..Options::default()
    });
    feed_recording(&mut narrow);
    let (start, end) = narrow.window_ms();
    assert_eq!(end - start, 10_000.0);
    assert_eq!(end, wide.window_ms().1, "both end at the newest sample");
}

/// The page takes a large redraw a few containers per animation frame (`redraw_begin`,
/// `redraw_take`, `redraw_finish`): taken in steps of any size, it is the view and legend
/// `redraw()` makes at once, for every metric, scale, smoothing and selection; and samples that
/// arrive between two steps lie past the window it took, so they change nothing in it.
#[test]
fn a_redraw_taken_in_steps_is_the_redraw_taken_at_once() {
    use statscope::view::Metric;
    let recordings = [
        RECORDING,
        include_str!("fixtures/edge-cases.ndjson"),
        include_str!("fixtures/edge-cases-windows.ndjson"),
    ];
    let mut curves = 0;
    for (r, recording) in recordings.iter().enumerate() {
        let options = [
            Options::default(),
            Options {
                smooth: 3,
                ..Options::default()
            },
            Options {
                log_scale: true,
                top_n: Some(2),
                ..Options::default()
            },
            Options {
                metric: Metric::Memory,
                ..Options::default()
            },
        ];
        for (o, options) in options.into_iter().enumerate() {
            let mut d = dashboard(options);
            let lines: Vec<&str> = recording.lines().collect();
            let (before, after) = lines.split_at(lines.len() * 3 / 4);
            for chunk in before.chunks(3) {
                d.ingest(&format!("[{}]", chunk.join(",")));
                d.flush();
            }
            let whole = d.redraw(60, 800);
            curves += whole.view.series.len();
            for step in [1, 2, 3, 7] {
                let mut build = d.redraw_begin(60, 800);
                let mut steps = 0;
                while !d.redraw_take(&mut build, step) {
                    steps += 1;
                }
                assert_eq!(build.remaining(), 0);
                assert!(steps + 1 >= whole.view.series.len().div_ceil(step));
                let taken = d.redraw_finish(build);
                assert_eq!(
                    taken.view, whole.view,
                    "recording {r}, options {o}, step {step}"
                );
                assert_eq!(taken.legend, whole.legend);
            }
            // Newer samples arrive between two steps: the redraw shows the window it began with.
            let mut build = d.redraw_begin(60, 800);
            d.redraw_take(&mut build, 1);
            for chunk in after.chunks(3) {
                d.ingest(&format!("[{}]", chunk.join(",")));
                d.flush();
            }
            let taken = d.redraw_finish(build);
            assert_eq!(taken.view.x_range, whole.view.x_range);
            let ids = |v: &statscope::chart::ChartView| -> Vec<String> {
                v.series.iter().map(|s| s.id.clone()).collect()
            };
            assert_eq!(
                ids(&taken.view),
                ids(&whole.view),
                "recording {r}, options {o}"
            );
            for (a, b) in taken.view.series.iter().zip(&whole.view.series) {
                assert_eq!(
                    a.segments, b.segments,
                    "{}: recording {r}, options {o}",
                    a.name
                );
            }
        }
    }
    assert!(curves > 40, "the cases draw curves: {curves}");
}
