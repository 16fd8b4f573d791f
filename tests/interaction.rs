//! Issue 5's interactions, natively: metric and CPU-scale switches, the legend's isolate, toggle,
//! sort, top-N and filter, zoom and pan, the tooltip with "explain this number", the keyboard
//! cursor, lifecycle marks from the bridge's events and the engine's flags, the smoothed rate, the
//! screen-reader table, and the chart's variants drawn to SVG.

use plotters::prelude::*;
use statscope::chart::{draw, draw_part, ChartView, Dash, MarkKind, Part, Theme};
use statscope::dashboard::{DashboardCore, Options, OptionsError};
use statscope::view::{CpuScale, Metric, SortBy};
use statscope::Stats;

const RECORDING: &str = include_str!("fixtures/docker-20.10-cgroupv1.ndjson");
const BURN: &str = "ad14fe331ae9e7b4b1ba244e9af197cd81c64b1794700bab29de222168ef5b6e";
const SHORT: &str = "3347f0eb1fdc17f10fb5009c5c9e0a367c871d92736677635f02a45a77136363";

fn fed(options: Options) -> DashboardCore {
    let mut d = DashboardCore::new(options).expect("valid options");
    for line in RECORDING.lines() {
        d.ingest(line);
    }
    d.flush();
    d
}

fn series<'a>(view: &'a ChartView, name: &str) -> &'a statscope::chart::Series {
    view.series
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("{name} shown"))
}

fn svg(view: &ChartView, theme: &Theme, scale: f64) -> String {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (800, 300)).into_drawing_area();
        draw(&root, view, theme, scale).expect("draws");
    }
    out
}

/// The burner's drawn values, in the view's unit.
fn burn_values(d: &mut DashboardCore) -> Vec<f64> {
    series(&d.view(0), "ss-burn")
        .segments
        .iter()
        .flatten()
        .map(|p| p.1)
        .collect()
}

/// (t_ms, per-core CPU %, memory bytes, net rx B/s).
type BurnPoint = (f64, Option<f64>, Option<f64>, Option<f64>);

/// The burner's samples.
fn burn_points(d: &DashboardCore) -> Vec<BurnPoint> {
    d.engine()
        .get(BURN)
        .expect("burn")
        .points()
        .iter()
        .map(|p| {
            (
                p.t_ms(),
                p.cpu_percent(),
                p.mem_usage_bytes(),
                p.net_rx_bytes_per_s(),
            )
        })
        .collect()
}

#[test]
fn the_metric_switch_plots_rates_and_memory_in_readable_units() {
    let mut d = fed(Options::default());
    let points = burn_points(&d);
    d.set_metric(Metric::Memory);
    let view = d.view(0);
    assert!(
        view.y_unit.ends_with("iB"),
        "memory in binary units: {}",
        view.y_unit
    );
    let div = match view.y_unit.as_str() {
        " B" => 1.0,
        " KiB" => 1024.0,
        " MiB" => 1024.0 * 1024.0,
        other => panic!("unexpected unit {other}"),
    };
    let burn = series(&view, "ss-burn");
    let drawn: Vec<(f64, f64)> = burn.segments.iter().flatten().copied().collect();
    let expected: Vec<(f64, f64)> = points
        .iter()
        .filter_map(|&(t, _, m, _)| Some((t, m? / div)))
        .collect();
    assert_eq!(
        drawn, expected,
        "every memory value, scaled to the axis unit"
    );
    assert!(view.y_max * div >= expected.iter().map(|p| p.1 * div).fold(0.0, f64::max));

    d.set_metric(Metric::NetRx);
    let view = d.view(0);
    assert!(view.y_unit.ends_with("B/s"), "{}", view.y_unit);
    let n = series(&view, "ss-burn").segments.iter().flatten().count();
    assert_eq!(
        n,
        points.iter().filter(|p| p.3.is_some()).count(),
        "a rate on every point that has one (none on first or reset)"
    );
    assert_eq!(Metric::from_key("blockWrite"), Some(Metric::BlockWrite));
    assert_eq!(Metric::from_key("bogus"), None);
}

#[test]
fn cpu_scales_divide_by_host_cpus_or_the_containers_own_limit() {
    let mut d = fed(Options::default());
    let per_core: Vec<f64> = burn_points(&d).iter().filter_map(|p| p.1).collect();
    let mean = per_core.iter().sum::<f64>() / per_core.len() as f64;
    assert!(
        (40.0..60.0).contains(&mean),
        "the burner runs at ~50 % of a core: {mean}"
    );

    d.set_cpu_scale(CpuScale::Host);
    let host: Vec<f64> = burn_values(&mut d);
    for (h, c) in host.iter().zip(&per_core) {
        assert!((h - c / 2.0).abs() < 1e-9, "÷ 2 online CPUs: {h} vs {c}");
    }

    // Without a limit, "% of limit" is % of the host; with the bridge's 0.5-core limit, ~100 %.
    d.set_cpu_scale(CpuScale::Limit);
    let no_limit: Vec<f64> = burn_values(&mut d);
    assert_eq!(no_limit, host);
    d.ingest(&format!(
        r#"{{"type":"statscope.container","id":"{BURN}","name":"ss-burn","cpuLimit":0.5,"cpuLimitFrom":"NanoCpus","memoryLimitBytes":null}}"#
    ));
    let limited: Vec<f64> = burn_values(&mut d);
    for (l, c) in limited.iter().zip(&per_core) {
        assert!((l - c / 0.5).abs() < 1e-9, "÷ 0.5 cores: {l} vs {c}");
    }
    let legend = d.legend();
    let burn = legend.entries.iter().find(|e| e.id == BURN).expect("burn");
    assert_eq!(burn.cpu_limit, Some(0.5));
    assert_eq!(d.counts().malformed, 0);
    d.ingest(r#"{"type":"statscope.container","cpuLimit":1}"#);
    assert_eq!(
        d.counts().malformed,
        1,
        "a container message without id is reported"
    );
}

#[test]
fn legend_clicks_isolate_and_toggle_and_the_list_sorts_filters_and_ranks() {
    let mut d = fed(Options::default());
    let names = |d: &mut DashboardCore| -> Vec<String> {
        d.view(0).series.iter().map(|s| s.name.clone()).collect()
    };
    assert_eq!(names(&mut d).len(), 5);
    d.isolate(BURN);
    assert_eq!(names(&mut d), ["ss-burn"]);
    let legend = d.legend();
    assert_eq!(
        legend.entries.len(),
        5,
        "hidden ones stay listed, to click back"
    );
    assert_eq!(legend.entries.iter().filter(|e| e.shown).count(), 1);
    d.toggle(SHORT);
    assert_eq!(names(&mut d), ["ss-burn", "ss-short"]);
    d.isolate(BURN);
    d.isolate(BURN);
    assert_eq!(
        names(&mut d).len(),
        5,
        "clicking the isolated one again shows all"
    );
    d.toggle(BURN);
    assert!(!names(&mut d).contains(&"ss-burn".to_string()));
    d.show_all();

    d.set_sort(SortBy::Value);
    let legend = d.legend();
    assert_eq!(
        legend.entries[0].name, "ss-burn",
        "the burner is the busiest"
    );
    let values: Vec<f64> = legend
        .entries
        .iter()
        .filter(|e| !e.stopped)
        .map(|e| e.value.trim_end_matches('%').parse::<f64>().unwrap_or(-1.0))
        .collect();
    assert!(values.windows(2).all(|w| w[0] >= w[1]), "{values:?}");

    d.set_top_n(Some(2));
    let legend = d.legend();
    assert_eq!(legend.entries.len(), 2);
    assert_eq!((legend.total, legend.matching), (5, 5));
    assert_eq!(legend.entries[0].name, "ss-burn");
    d.set_top_n(None);
    d.set_filter("RESTART");
    let legend = d.legend();
    assert_eq!(
        legend
            .entries
            .iter()
            .map(|e| e.name.as_str())
            .collect::<Vec<_>>(),
        ["ss-restart"],
        "the filter matches names case-insensitively"
    );
    assert_eq!(legend.matching, 1);
    d.set_filter(&BURN[..6]);
    assert_eq!(names(&mut d), ["ss-burn"], "or an ID prefix");
}

#[test]
fn zoom_and_pan_move_the_window_and_live_returns() {
    let mut d = fed(Options::default());
    let (x0, x1) = d.window_ms();
    let mid = (x0 + x1) / 2.0;
    d.zoom(0.5, mid);
    let (z0, z1) = d.window_ms();
    assert!(((z1 - z0) - (x1 - x0) / 2.0).abs() < 1e-6, "half the span");
    assert!(((z0 + z1) / 2.0 - mid).abs() < 1e-6, "around the pointer");
    assert!(d.settings().zoomed);
    d.pan(-2_000.0);
    assert_eq!(d.window_ms(), (z0 - 2_000.0, z1 - 2_000.0));
    d.pan(1e9);
    assert_eq!(d.window_ms().1, x1, "no panning past the newest sample");
    d.zoom(1e-6, mid);
    let (a, b) = d.window_ms();
    assert_eq!(b - a, 5_000.0, "at most zoomed in to 5 s");
    let zoomed_points: usize = d
        .view(0)
        .series
        .iter()
        .flat_map(|s| &s.segments)
        .flatten()
        .count();
    d.resume();
    assert!(!d.settings().zoomed);
    assert_eq!(d.window_ms(), (x0, x1));
    let live_points: usize = d
        .view(0)
        .series
        .iter()
        .flat_map(|s| &s.segments)
        .flatten()
        .count();
    assert!(zoomed_points < live_points);
    // Space: pause and resume.
    d.toggle_pause();
    assert!(d.settings().paused);
    d.toggle_pause();
    assert!(!d.settings().paused);
}

#[test]
fn the_tooltip_snaps_to_the_nearest_points_and_explains_the_number() {
    let mut d = fed(Options::default());
    assert!(d.tooltip(0).is_none(), "no cursor, no tooltip");
    let burn = burn_points(&d);
    let (t, cpu) = burn
        .iter()
        .rev()
        .find_map(|p| Some((p.0, p.1?)))
        .expect("a burn value");
    d.set_cursor(Some(t + 300.0));
    let tip = d.tooltip(0).expect("a tooltip");
    assert_eq!(
        tip.rows.len(),
        4,
        "every shown running container has a point there"
    );
    let row = tip
        .rows
        .iter()
        .find(|r| r.name == "ss-burn")
        .expect("burn row");
    assert_eq!(row.t_ms, t, "snapped to the sample");
    assert_eq!(row.value_of(Metric::Cpu), format!("{cpu:.1}%"));
    assert_eq!(row.value, row.value_of(Metric::Cpu));
    assert!(
        row.value_of(Metric::Memory).ends_with("iB")
            && row.value_of(Metric::NetRx).ends_with("B/s"),
        "{row:?}"
    );
    assert_eq!(tip.rows[0].name, "ss-burn", "highest value first");
    let explain = row.explain.as_deref().expect("an explanation");
    assert!(
        explain.contains("Δ container CPU") && explain.contains("× 2 online CPUs"),
        "{explain}"
    );
    assert!(explain.contains("precpu_stats"), "{explain}");
    // The explanation's numbers give the value.
    let p = d
        .engine()
        .get(BURN)
        .expect("burn")
        .points()
        .iter()
        .find(|p| p.t_ms() == t)
        .copied()
        .expect("point");
    let e = p.explain;
    assert!((e.cpu_delta / e.system_delta * f64::from(e.cpus) * 100.0 - cpu).abs() < 1e-9);

    // The keyboard: focus moves through the rows; the cursor steps sample by sample.
    d.step_focus(1, 0);
    let tip = d.tooltip(0).expect("tooltip");
    assert!(tip.rows[0].focused && !tip.rows[1].focused);
    d.step_focus(-1, 0);
    assert!(
        d.tooltip(0)
            .expect("tooltip")
            .rows
            .last()
            .expect("row")
            .focused,
        "wraps"
    );
    d.step_cursor(-1);
    d.step_cursor(-1);
    let back = d.cursor().expect("cursor");
    assert!(back < t + 300.0);
    d.step_cursor(1);
    assert!(d.cursor().expect("cursor") > back);
    d.set_cursor(None);
    assert!(d.tooltip(0).is_none());
    // With the % of limit scale, the explanation says the division.
    d.ingest(&format!(
        r#"{{"type":"statscope.container","id":"{BURN}","cpuLimit":0.5,"cpuLimitFrom":"NanoCpus"}}"#
    ));
    d.set_cpu_scale(CpuScale::Limit);
    d.set_cursor(Some(t));
    let tip = d.tooltip(0).expect("tooltip");
    let row = tip.rows.iter().find(|r| r.name == "ss-burn").expect("burn");
    assert!(row
        .explain
        .as_deref()
        .expect("explain")
        .contains("÷ CPU limit 0.5 cores"));
    assert_eq!(row.value_of(Metric::Cpu), format!("{:.1}%", cpu / 0.5));
}

#[test]
fn lifecycle_events_and_flags_become_marks_once() {
    let mut d = fed(Options::default());
    let view = d.view(0);
    let kinds = |view: &ChartView, name: &str| -> Vec<MarkKind> {
        series(view, name).marks.iter().map(|m| m.kind).collect()
    };
    let restart = kinds(&view, "ss-restart");
    assert!(
        restart.iter().filter(|k| **k == MarkKind::Restart).count() >= 2,
        "the counter resets are restarts: {restart:?}"
    );
    assert!(
        kinds(&view, "ss-short").contains(&MarkKind::Die),
        "its stats went empty"
    );
    assert!(kinds(&view, "ss-burn").contains(&MarkKind::First));

    // The bridge says: ss-short was OOM-killed and died with 137 at its last sample.
    let short = d.engine().get(SHORT).expect("short");
    let last = short
        .points()
        .iter()
        .rev()
        .find(|p| p.flag != statscope::Flag::Stopped)
        .expect("a real sample")
        .t_unix_ns;
    let at = statscope::Timestamp::from_unix_ns(i128::from(last) + 200_000_000).to_rfc3339();
    d.ingest(&format!(
        r#"{{"type":"statscope.event","id":"{SHORT}","name":"ss-short","action":"oom","time":"{at}"}}"#
    ));
    d.ingest(&format!(
        r#"{{"type":"statscope.event","id":"{SHORT}","name":"ss-short","action":"die","time":"{at}","exitCode":137}}"#
    ));
    d.ingest(&format!(
        r#"{{"type":"statscope.event","id":"{SHORT}","name":"ss-short","action":"exec_start: sh","time":"{at}"}}"#
    ));
    assert_eq!(d.counts().malformed, 0);
    let view = d.view(0);
    let short_marks = kinds(&view, "ss-short");
    assert_eq!(
        short_marks.iter().filter(|k| **k == MarkKind::Die).count(),
        1,
        "the die event and the stopped flag are one mark: {short_marks:?}"
    );
    assert!(short_marks.contains(&MarkKind::Oom));
    let oom = series(&view, "ss-short")
        .marks
        .iter()
        .find(|m| m.kind == MarkKind::Oom)
        .expect("oom");
    let last_value = series(&view, "ss-short")
        .segments
        .iter()
        .flatten()
        .last()
        .expect("a value")
        .1;
    assert_eq!(oom.y, last_value, "on the curve, at its nearest point");
    d.set_cursor(Some(last as f64 / 1e6));
    let tip = d.tooltip(0).expect("tooltip");
    let texts: Vec<&str> = tip.marks.iter().map(|m| m.text.as_str()).collect();
    assert!(texts.iter().any(|t| t.contains("OOM")), "{texts:?}");
    assert!(
        texts.iter().any(|t| t.contains("exit code 137")),
        "{texts:?}"
    );

    // A late sample (a duplicate) is marked where it came.
    let dup = RECORDING
        .lines()
        .rev()
        .find(|l| l.contains(BURN))
        .expect("a burn line");
    d.ingest(dup);
    d.flush();
    let view = d.view(0);
    assert!(kinds(&view, "ss-burn").contains(&MarkKind::Late));
}

#[test]
fn the_smoothed_rate_follows_the_exact_one_with_a_band() {
    let mut d = fed(Options {
        smooth: 5,
        ..Options::default()
    });
    let view = d.view(0);
    let burn = series(&view, "ss-burn");
    let exact: Vec<f64> = burn.segments.iter().flatten().map(|p| p.1).collect();
    let smooth: Vec<(f64, f64, f64)> = burn.smooth.iter().flatten().copied().collect();
    assert_eq!(smooth.len(), exact.len(), "a smoothed value per point");
    let mean = exact.iter().sum::<f64>() / exact.len() as f64;
    let (lo, hi) = exact
        .iter()
        .fold((f64::INFINITY, 0.0f64), |(a, b), v| (a.min(*v), b.max(*v)));
    for (_, v, sd) in &smooth {
        assert!(
            *v >= lo - 1.0 && *v <= hi + 1.0,
            "inside the exact range: {v}"
        );
        assert!(*sd >= 0.0 && *sd <= hi - lo);
    }
    let last = smooth.last().expect("smoothed");
    assert!((last.1 - mean).abs() < (hi - lo), "{last:?} vs mean {mean}");
    d.set_smooth(0).expect("off");
    assert!(d.view(0).series.iter().all(|s| s.smooth.is_empty()));
    assert_eq!(d.set_smooth(1), Err(OptionsError::Smooth));
}

#[test]
fn the_screen_reader_table_lists_values_and_trends() {
    let d = fed(Options::default());
    let rows = d.table();
    assert_eq!(rows.len(), 5);
    let short = rows.iter().find(|r| r.name == "ss-short").expect("short");
    assert_eq!(short.value, "stopped");
    let burn = rows.iter().find(|r| r.name == "ss-burn").expect("burn");
    assert!(burn.value.ends_with('%'));
    assert!(["rising", "falling", "steady"].contains(&burn.trend));
    let idle = rows.iter().find(|r| r.name == "ss-idle").expect("idle");
    assert_eq!(idle.trend, "steady");
}

#[test]
fn new_options_are_checked() {
    let bad = |o: Options| DashboardCore::new(o).err();
    assert_eq!(
        bad(Options {
            smooth: 1,
            ..Options::default()
        }),
        Some(OptionsError::Smooth)
    );
    assert_eq!(
        bad(Options {
            line_width: Some(20.0),
            ..Options::default()
        }),
        Some(OptionsError::LineWidth)
    );
    assert_eq!(
        bad(Options {
            top_n: Some(0),
            ..Options::default()
        }),
        Some(OptionsError::TopN)
    );
    let from_js: Options = serde_json::from_str(
        r#"{"metric":"netTx","cpuScale":"limit","sort":"value","topN":10,"smooth":8,"filter":"web"}"#,
    )
    .expect("camelCase keys and values");
    assert_eq!(from_js.metric, Metric::NetTx);
    assert_eq!(from_js.cpu_scale, CpuScale::Limit);
    assert!(serde_json::from_str::<Options>(r#"{"metric":"load"}"#).is_err());
}

#[test]
fn the_chart_variants_draw_dashes_marks_bands_labels_and_the_cursor() {
    let mut d = fed(Options {
        smooth: 5,
        ..Options::default()
    });
    d.ingest(&format!(
        r#"{{"type":"statscope.event","id":"{BURN}","name":"ss-burn","action":"oom","time":"{}"}}"#,
        Stats::from_json(RECORDING.lines().nth(40).expect("line"))
            .expect("sample")
            .read
            .to_rfc3339()
    ));
    let t = d.window_ms().1 - 2_000.0;
    d.set_cursor(Some(t));
    let view = d.view(0);
    let dashes: Vec<Dash> = view.series.iter().map(|s| s.dash).collect();
    assert!(
        dashes.contains(&Dash::Solid)
            && dashes.contains(&Dash::Dashed)
            && dashes.contains(&Dash::Dotted),
        "neighbouring curves differ in dash too: {dashes:?}"
    );
    assert!(view.labels, "five curves are named at their ends");
    let light = svg(&view, &Theme::light(), 1.0);
    // Dashed curves are drawn as many short strokes: more polylines than segments.
    let segments: usize = view.series.iter().map(|s| s.segments.len()).sum();
    assert!(light.matches("<polyline").count() > segments * 2);
    assert!(light.contains("#D7261E"), "the OOM mark's red");
    assert!(
        light.contains("<polygon") && light.contains("opacity=\"0.1\""),
        "smoothing bands"
    );
    for name in ["ss-burn", "ss-idle", "ss-io"] {
        assert!(light.contains(name), "direct label {name}");
    }
    let cursor = view.cursor.as_ref().expect("cursor");
    assert_eq!(cursor.dots.len(), 4, "a dot on each running curve");
    let dark = svg(&view, &Theme::dark(), 1.0);
    assert!(dark.contains("#18181C") && !light.contains("#18181C"));

    // Many curves: no labels, hairlines (one device pixel).
    let mut big = DashboardCore::new(Options::default()).expect("options");
    for i in 0..20 {
        for line in RECORDING.lines().filter(|l| l.contains(BURN)) {
            big.ingest(&line.replace(BURN, &format!("{i:02}{}", &BURN[2..])));
        }
    }
    big.flush();
    let view = big.view(0);
    assert_eq!(view.series.len(), 20);
    assert!(!view.labels);
    assert_eq!(view.line_width, None);
    assert!(
        view.series.iter().all(|s| s.dash == Dash::Solid),
        "no dashes beyond 12 curves (each dash is a path)"
    );
    let hidpi = {
        let mut out = String::new();
        {
            let root = SVGBackend::with_string(&mut out, (1600, 600)).into_drawing_area();
            draw(&root, &view, &Theme::light(), 2.0).expect("draws");
        }
        out
    };
    assert!(
        hidpi.contains("stroke-width=\"1\""),
        "hairlines at DPR 2 too"
    );
}

/// The page draws a large chart part by part over several animation frames; the parts, in order
/// and in any chunking of the curves, make exactly the picture of one whole draw.
#[test]
fn a_chart_drawn_part_by_part_is_the_chart_drawn_at_once() {
    let mut d = fed(Options {
        smooth: 5,
        ..Options::default()
    });
    d.set_cursor(Some(d.window_ms().1 - 2_000.0));
    let view = d.view(0);
    let n = view.series.len();
    assert!(n >= 4, "several curves: {n}");
    let theme = Theme::dark();
    let whole = svg(&view, &theme, 2.0);
    for chunk in [1, 3, n] {
        let mut out = String::new();
        {
            let root = SVGBackend::with_string(&mut out, (800, 300)).into_drawing_area();
            draw_part(&root, &view, &theme, 2.0, Part::Frame).expect("frame");
            for start in (0..n).step_by(chunk) {
                let end = (start + chunk).min(n);
                draw_part(&root, &view, &theme, 2.0, Part::Curves { start, end }).expect("curves");
            }
            // Past the end: nothing, and no panic.
            draw_part(
                &root,
                &view,
                &theme,
                2.0,
                Part::Curves {
                    start: n + 5,
                    end: n + 9,
                },
            )
            .expect("nothing");
            draw_part(&root, &view, &theme, 2.0, Part::Overlay).expect("overlay");
            draw_part(&root, &view, &theme, 2.0, Part::Cursor).expect("cursor");
        }
        assert_eq!(out, whole, "chunks of {chunk}");
    }
    // Each part draws only its own: together as many lines as the whole; text only in the frame
    // (axis labels) and the overlay (curve labels).
    let part = |p: Part| {
        let mut out = String::new();
        {
            let root = SVGBackend::with_string(&mut out, (800, 300)).into_drawing_area();
            draw_part(&root, &view, &theme, 2.0, p).expect("part");
        }
        out
    };
    let lines = |svg: &str| svg.matches("<polyline").count();
    let (frame, curves, overlay, cursor) = (
        part(Part::Frame),
        part(Part::Curves { start: 0, end: n }),
        part(Part::Overlay),
        part(Part::Cursor),
    );
    assert_eq!(
        lines(&frame) + lines(&curves) + lines(&overlay) + lines(&cursor),
        lines(&whole)
    );
    assert_eq!(lines(&cursor), 1, "the cursor's line, alone in its part");
    assert!(lines(&curves) >= n, "a line per curve at least");
    assert!(frame.contains("<text") && !curves.contains("<text"));
}

/// A minimal stats object of container `k` at second `s` (CPU counters growing unevenly).
fn tiny_sample(k: usize, s: u64) -> String {
    let cpu = |s: u64| s * 10_000_000 * (1 + k as u64) + (s * s * 7_919) % 9_000_000;
    let sys = |s: u64| s * 2_000_000_000;
    let at = |s: u64| {
        format!(
            "2024-05-01T{:02}:{:02}:{:02}Z",
            10 + s / 3600,
            s / 60 % 60,
            s % 60
        )
    };
    format!(
        r#"{{"read":"{}","preread":"{}","id":"{k:064x}","name":"/c{k}","cpu_stats":{{"cpu_usage":{{"total_usage":{}}},"system_cpu_usage":{},"online_cpus":2}},"precpu_stats":{{"cpu_usage":{{"total_usage":{}}},"system_cpu_usage":{},"online_cpus":2}}}}"#,
        at(s),
        at(s - 1),
        cpu(s),
        sys(s),
        cpu(s - 1),
        sys(s - 1)
    )
}

/// An hour at 1 Hz on a plot 200 px wide: at most four points per pixel column reach the drawing
/// (the first, lowest, highest and last of each), so the curves cover the same pixels; the cursor
/// still snaps to every sample.
#[test]
fn a_long_window_is_decimated_to_four_points_per_pixel_column() {
    let mut d = DashboardCore::new(Options {
        window_seconds: 3600.0,
        ..Options::default()
    })
    .expect("options");
    for s in 1..=3000 {
        for k in 0..3 {
            d.ingest(&tiny_sample(k, s));
        }
    }
    d.flush();
    let full = d.view(0);
    let thin = d.view_at_width(0, 200);
    assert_eq!(full.series.len(), 3);
    assert_eq!((full.y_max, full.x_range), (thin.y_max, thin.x_range));
    for (a, b) in full.series.iter().zip(&thin.series) {
        let all: Vec<(f64, f64)> = a.segments.iter().flatten().copied().collect();
        let kept: Vec<(f64, f64)> = b.segments.iter().flatten().copied().collect();
        assert!(all.len() > 2900, "{}", all.len());
        assert!(kept.len() <= 4 * 200 + 4, "{} points kept", kept.len());
        assert_eq!(kept.first(), all.first());
        assert_eq!(kept.last(), all.last());
        let peak = |v: &[(f64, f64)]| v.iter().map(|p| p.1).fold(f64::MIN, f64::max);
        assert_eq!(peak(&kept), peak(&all), "the highest point survives");
        assert!(kept.iter().all(|p| all.contains(p)), "only real samples");
    }
    // Few points per column: nothing is dropped.
    let wide = d.view_at_width(0, 4000);
    assert_eq!(wide.series, full.series);
}

/// The PIDs metric (a gauge, `pids_stats.current`): drawn as whole numbers, in the legend and
/// tooltip, as the recording's samples say.
#[test]
fn the_pids_metric_is_a_gauge_of_whole_numbers() {
    let mut d = fed(Options {
        metric: Metric::Pids,
        ..Options::default()
    });
    let view = d.view(0);
    let burn = series(&view, "ss-burn");
    let values: Vec<f64> = burn.segments.iter().flatten().map(|p| p.1).collect();
    assert!(values.len() > 10);
    assert!(
        values.iter().all(|v| v.fract() == 0.0 && *v >= 1.0),
        "{values:?}"
    );
    assert_eq!(view.y_unit, "");
    let legend = d.legend();
    let entry = legend
        .entries
        .iter()
        .find(|e| e.name == "ss-burn")
        .expect("ss-burn");
    assert!(entry.value.parse::<u32>().is_ok(), "{:?}", entry.value);
    let (x0, x1) = d.window_ms();
    d.set_cursor(Some((x0 + x1) / 2.0));
    let tip = d.tooltip(0).expect("a tooltip");
    assert!(tip.rows.iter().all(|r| r.value == r.value_of(Metric::Pids)));
}
