//! Issue 17 natively: a page an SRE keeps open. Each test feeds `DashboardCore` what the bridge
//! sends and checks one of the issue's points; the chart is drawn to SVG where it is about drawing.

use plotters::prelude::*;
use statscope::chart::{draw, draw_export, tick_layout, Dash, PlotRect, Theme, TIME_LABEL_PX};
use statscope::dashboard::{DashboardCore, Options};
use statscope::rank;
use statscope::view::SortBy;

const T0: i64 = 1_795_486_980_000_000_000;

/// A Docker stats object: `cpu_ns` of CPU so far at `t_s` seconds, 4 CPUs, `mem` bytes; `id`
/// 64 hex.
fn stats(id: &str, name: &str, t_s: i64, cpu_ns: u64, mem: u64) -> String {
    stats_ms(id, name, t_s * 1000, cpu_ns, mem)
}

/// [`stats`] at `t_ms` milliseconds (the previous sample a second before).
fn stats_ms(id: &str, name: &str, t_ms: i64, cpu_ns: u64, mem: u64) -> String {
    let read = statscope::Timestamp::from_unix_ns(i128::from(T0 + t_ms * 1_000_000));
    let pre = statscope::Timestamp::from_unix_ns(i128::from(T0 + (t_ms - 1000) * 1_000_000));
    format!(
        r#"{{"id":"{id}","name":"/{name}","read":"{read}","preread":"{pre}","cpu_stats":{{"cpu_usage":{{"total_usage":{cpu_ns}}},"system_cpu_usage":{sys},"online_cpus":4}},"precpu_stats":{{"cpu_usage":{{"total_usage":0}},"system_cpu_usage":0,"online_cpus":4}},"memory_stats":{{"usage":{mem},"limit":8589934592}}}}"#,
        read = read.to_rfc3339(),
        pre = pre.to_rfc3339(),
        sys = (t_ms as u64) * 4_000_000,
    )
}

fn id(c: char) -> String {
    std::iter::repeat_n(c, 64).collect()
}

fn core(options: Options) -> DashboardCore {
    DashboardCore::new(Options {
        connect: false,
        ..options
    })
    .expect("options")
}

/// `containers` (id char, name, CPU % of one core) for `seconds`, one sample a second.
fn feed(d: &mut DashboardCore, containers: &[(char, &str, f64)], from_s: i64, seconds: i64) {
    for t in from_s..from_s + seconds {
        for &(c, name, pct) in containers {
            let cpu = (pct / 100.0 * 1e9 * t as f64) as u64;
            d.ingest(&stats(&id(c), name, t, cpu, 50 << 20));
        }
        d.flush();
    }
}

fn info(c: char, name: &str, project: &str, cpu: &str, mem: &str) -> String {
    format!(
        r#"{{"type":"statscope.container","id":"{}","name":"{name}","image":"img:1","cpuLimit":{cpu},"cpuLimitFrom":null,"memoryLimitBytes":{mem},"project":"{project}"}}"#,
        id(c)
    )
}

#[test]
fn a_re_created_container_is_told_apart_by_its_short_id_and_keeps_its_colour() {
    let mut d = core(Options::default());
    feed(
        &mut d,
        &[('a', "demo-batch", 50.0), ('w', "web", 5.0)],
        1,
        10,
    );
    let first = d.legend();
    let old = first
        .entries
        .iter()
        .find(|e| e.name == "demo-batch")
        .expect("listed");
    let old_look = (old.color.clone(), old.dash);
    // The same name, a new ID, while the old one's points are still in the window.
    feed(&mut d, &[('b', "demo-batch", 90.0)], 11, 5);
    let names: Vec<String> = d.legend().entries.into_iter().map(|e| e.name).collect();
    assert!(
        names.contains(&"demo-batch #aaaaaaa".to_string())
            && names.contains(&"demo-batch #bbbbbbb".to_string()),
        "{names:?}"
    );
    // Alone (on a fresh load, the old one gone), the new one has the old one's colour.
    let mut fresh = core(Options::default());
    feed(
        &mut fresh,
        &[('b', "demo-batch", 90.0), ('w', "web", 5.0)],
        1,
        3,
    );
    let new = fresh
        .legend()
        .entries
        .into_iter()
        .find(|e| e.name == "demo-batch")
        .expect("listed");
    assert_eq!(
        (new.color, new.dash),
        old_look,
        "colour from name@host, not ID"
    );
}

#[test]
fn colours_are_the_same_whatever_order_containers_arrive_in() {
    let cast = [
        ('1', "shop-prod-cart-1", 10.0),
        ('2', "shop-prod-cart-2", 20.0),
        ('3', "shop-prod-web-1", 30.0),
        ('4', "db", 40.0),
        ('5', "cache", 1.0),
    ];
    let looks = |order: &[usize]| {
        let mut d = core(Options::default());
        let list: Vec<(char, &str, f64)> = order.iter().map(|&i| cast[i]).collect();
        feed(&mut d, &list, 1, 3);
        let mut entries: Vec<(String, String, &'static str)> = d
            .legend()
            .entries
            .into_iter()
            .map(|e| (e.name, e.color, e.dash))
            .collect();
        entries.sort();
        entries
    };
    let a = looks(&[0, 1, 2, 3, 4]);
    assert_eq!(a, looks(&[4, 3, 2, 1, 0]));
    assert_eq!(a, looks(&[2, 4, 0, 3, 1]));
    let colours: std::collections::BTreeSet<&String> = a.iter().map(|e| &e.1).collect();
    assert_eq!(colours.len(), 5, "five containers, five colours: {a:?}");
}

#[test]
fn compose_projects_group_the_legend() {
    let mut d = core(Options {
        sort: SortBy::Project,
        ..Options::default()
    });
    d.ingest(&info('1', "shop-prod-cart-1", "shop-prod", "null", "null"));
    d.ingest(&info('2', "jobs-nightly-1", "jobs", "null", "null"));
    feed(
        &mut d,
        &[
            ('1', "shop-prod-cart-1", 10.0),
            ('2', "jobs-nightly-1", 20.0),
            ('3', "loner", 1.0),
        ],
        1,
        3,
    );
    let legend = d.legend();
    let groups: Vec<(String, Option<String>)> = legend
        .entries
        .iter()
        .map(|e| (e.name.clone(), e.group.clone()))
        .collect();
    assert_eq!(
        groups,
        [
            ("jobs-nightly-1".to_string(), Some("jobs".to_string())),
            ("shop-prod-cart-1".into(), Some("shop-prod".into())),
            ("loner".into(), Some("no project".into())),
        ]
    );
    assert_eq!(legend.entries[1].project, "shop-prod");
}

#[test]
fn top_n_ranks_running_containers_by_the_stated_rule() {
    let mut d = core(Options {
        top_n: Some(2),
        ..Options::default()
    });
    // "idle" was busy long ago; "busy" is busy now; "gone" stopped.
    feed(
        &mut d,
        &[
            ('i', "idle", 90.0),
            ('b', "busy", 49.0),
            ('g', "gone", 99.0),
        ],
        1,
        5,
    );
    feed(&mut d, &[('i', "idle", 90.0)], 6, 0);
    for t in 6..60 {
        let cpu_idle = (90.0 / 100.0 * 1e9 * 5.0 + 0.066 * 1e9 * (t - 5) as f64) as u64;
        d.ingest(&stats(&id('i'), "idle", t, cpu_idle, 1));
        d.ingest(&stats(
            &id('b'),
            "busy",
            t,
            (0.49 * 1e9 * t as f64) as u64,
            1,
        ));
        // "gone" burns until shortly before it stops: recent values, but not running.
        if t < 56 {
            d.ingest(&stats(
                &id('g'),
                "gone",
                t,
                (0.99 * 1e9 * t as f64) as u64,
                1,
            ));
        }
        d.flush();
    }
    // "gone" sends empty stats: stopped.
    d.ingest(&format!(
        r#"{{"id":"{}","name":"/gone","read":"0001-01-01T00:00:00Z","preread":"0001-01-01T00:00:00Z","cpu_stats":{{"cpu_usage":{{"total_usage":0}}}},"precpu_stats":{{"cpu_usage":{{"total_usage":0}}}},"memory_stats":{{}}}}"#,
        id('g')
    ));
    d.flush();
    let legend = d.legend();
    let names: Vec<&str> = legend.entries.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["busy", "idle"], "the stopped one is not ranked");
    assert!(
        legend
            .rule
            .as_deref()
            .is_some_and(|r| r.contains(rank::RULE)),
        "the rule is stated: {:?}",
        legend.rule
    );
    d.set_top_n(Some(1));
    let names: Vec<String> = d.legend().entries.into_iter().map(|e| e.name).collect();
    assert_eq!(names, ["busy"], "49 % now beats 90 % long ago");
}

#[test]
fn arrow_keys_step_by_time_and_shift_by_ten() {
    let mut d = core(Options::default());
    // Two containers sampled 300 ms apart: stepping goes by the 1 s interval, not by sample.
    for t in 1..60 {
        d.ingest(&stats(&id('a'), "a", t, (0.1 * 1e9 * t as f64) as u64, 1));
        let b = t * 1000 + 300;
        d.ingest(&stats_ms(
            &id('b'),
            "b",
            b,
            (0.1 * 1e6 * b as f64) as u64,
            1,
        ));
        d.flush();
    }
    assert!((d.sample_interval_ms() - 1000.0).abs() < 1.0);
    d.step_cursor(0);
    let start = d.cursor().expect("a cursor at the newest sample");
    d.step_cursor(-1);
    assert!((start - d.cursor().expect("moved") - 1000.0).abs() < 1.0);
    d.step_cursor(-10);
    assert!((start - d.cursor().expect("moved") - 11_000.0).abs() < 1.0);
    d.step_cursor(100);
    assert_eq!(d.cursor(), Some(d.window_ms().1), "not past the window");
}

#[test]
fn paused_the_window_holds_while_old_points_leave() {
    // History shorter than the window: the live window starts at the oldest point kept, which
    // moves as the 40-point ring drops old points.
    let mut d = core(Options {
        window_seconds: 300.0,
        history_points: Some(40),
        ..Options::default()
    });
    feed(&mut d, &[('a', "a", 10.0)], 1, 35);
    d.pause();
    let frozen = d.window_ms();
    d.set_cursor(Some(frozen.1 - 2_000.0));
    let tip = d.tooltip(0).expect("a tooltip");
    // Points keep arriving and the oldest leave the 40-point ring.
    feed(&mut d, &[('a', "a", 10.0)], 36, 30);
    assert_eq!(
        d.window_ms(),
        frozen,
        "cursor, tooltip and curves keep their places"
    );
    assert_eq!(d.tooltip(0).map(|t| t.t_ms), Some(tip.t_ms));
}

#[test]
fn smoothing_bands_are_bounded_and_the_tooltip_says_smoothed() {
    let mut d = core(Options {
        smooth: 5,
        ..Options::default()
    });
    // One wild container (0 / 250 % alternating) beside a calm one.
    for t in 1..40 {
        let wild = if t % 2 == 0 { 2.5 } else { 0.0 };
        let acc: f64 = (1..=t).map(|i| if i % 2 == 0 { 2.5 } else { 0.0 }).sum();
        let _ = wild;
        d.ingest(&stats(&id('w'), "wild", t, (acc * 1e9) as u64, 1));
        d.ingest(&stats(
            &id('c'),
            "calm",
            t,
            (0.2 * 1e9 * t as f64) as u64,
            1,
        ));
        d.flush();
    }
    let view = d.view(0);
    let wild = view.series.iter().find(|s| s.name == "wild").expect("wild");
    let spread = wild
        .smooth
        .iter()
        .flatten()
        .map(|p| p.2)
        .fold(0.0f64, f64::max);
    assert!(
        spread > view.y_max * 0.2,
        "the raw spread is wide: {spread}"
    );
    // Drawn, a band reaches at most BAND_MAX_SHARE of the axis from its curve, translucent.
    let svg = svg_of(&view, 800, 300);
    assert!(svg.contains("opacity=\"0.1\""), "translucent bands");
    // A smoothed curve keeps its curve's dash: drawn alone (no raw segments), a dashed one is
    // many short strokes where a solid one is one.
    let alone = |dash: Dash| {
        let mut v = view.clone();
        v.series.retain(|s| s.name == "wild");
        v.series[0].segments.clear();
        v.series[0].dash = dash;
        svg_of(&v, 800, 300).matches("<polyline").count()
    };
    assert!(
        alone(Dash::Dashed) > alone(Dash::Solid) + 10,
        "smoothed curves keep their dashes"
    );
    d.set_cursor(Some(view.x_range.1 - 2_000.0));
    assert_eq!(d.tooltip(0).expect("a tooltip").smoothed, 5);
}

fn svg_of(view: &statscope::chart::ChartView, w: u32, h: u32) -> String {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (w, h)).into_drawing_area();
        draw(&root, view, &Theme::light(), 1.0).expect("draws");
    }
    out
}

#[test]
fn the_detail_panel_has_every_metric_limits_and_events_and_is_found_by_name() {
    let mut d = core(Options {
        detail: "web".into(),
        ..Options::default()
    });
    assert!(d.detail(0, 0).is_none(), "not here yet");
    d.ingest(&info('a', "web", "shop", "0.5", "536870912"));
    feed(&mut d, &[('a', "web", 40.0), ('b', "db", 10.0)], 1, 20);
    d.ingest(&format!(
        r#"{{"type":"statscope.event","id":"{}","name":"web","action":"oom","time":"{}"}}"#,
        id('a'),
        statscope::Timestamp::from_unix_ns(i128::from(T0 + 10_000_000_000)).to_rfc3339()
    ));
    let detail = d.detail(0, 0).expect("found by name");
    assert_eq!(detail.name, "web");
    assert_eq!(detail.image, "img:1");
    assert_eq!(detail.project, "shop");
    assert_eq!(detail.cpu_limit, Some(0.5));
    assert_eq!(detail.memory_limit.as_deref(), Some("512 MiB"));
    assert_eq!(detail.charts.len(), statscope::metrics::METRICS.len());
    assert_eq!(detail.values.len(), statscope::metrics::METRICS.len());
    assert_eq!(detail.events.len(), 1);
    assert!(detail.events[0].text.contains("OOM"));
    // The CPU and memory charts carry the limit lines (50 % of a core = 0.5 cores; 512 MiB).
    let (_, cpu) = &detail.charts[0];
    assert_eq!(cpu.series[0].limit, Some(50.0));
    assert!(svg_of(cpu, 400, 200).contains("limit web"));
    // By ID prefix too; "" closes.
    d.set_detail("bbb");
    assert_eq!(d.detail(0, 0).expect("by ID").name, "db");
    d.set_detail("");
    assert!(d.detail(0, 0).is_none());
}

#[test]
fn limits_are_drawn_where_the_scale_allows_and_the_memory_legend_says_its_own() {
    let mut d = core(Options::default());
    d.ingest(&info('a', "capped", "", "0.5", "104857600"));
    d.ingest(&info('b', "huge", "", "64", "null"));
    feed(&mut d, &[('a', "capped", 40.0), ('b', "huge", 10.0)], 1, 10);
    let view = d.view(0);
    let limit = |name: &str| {
        view.series
            .iter()
            .find(|s| s.name == name)
            .expect(name)
            .limit
    };
    assert_eq!(
        limit("capped"),
        Some(50.0),
        "0.5 cores on the one-core scale"
    );
    assert_eq!(limit("huge"), None, "64 cores would flatten the curves");
    assert!(view.y_max >= 50.0);
    let legend = d.legend();
    assert_eq!(legend.entries[0].limit.as_deref(), Some("limit 0.5 CPU"));
    d.set_metric(statscope::view::Metric::Memory);
    let legend = d.legend();
    assert_eq!(legend.entries[0].limit.as_deref(), Some("limit 100 MiB"));
    assert_eq!(
        legend.entries[1].limit, None,
        "no memory limit: no CPU limit shown either"
    );
}

#[test]
fn a_replay_says_the_limit_is_unknown_not_absent() {
    let mut d = core(Options {
        cpu_scale: statscope::view::CpuScale::Limit,
        ..Options::default()
    });
    feed(&mut d, &[('a', "a", 40.0)], 1, 5);
    d.set_cursor(Some(d.window_ms().1));
    d.set_focus(Some(&id('a')));
    let tip = d.tooltip(0).expect("tooltip");
    let explain = tip.rows[0].explain.as_deref().expect("explained");
    assert!(explain.contains("CPU limit unknown"), "{explain}");
    d.ingest(&info('a', "a", "", "null", "null"));
    let tip = d.tooltip(0).expect("tooltip");
    assert!(tip.rows[0]
        .explain
        .as_deref()
        .expect("explained")
        .contains("no CPU limit"));
}

#[test]
fn the_view_follows_into_url_params_and_options_apply_in_place() {
    let mut d = core(Options::default());
    feed(&mut d, &[('a', "web", 40.0)], 1, 20);
    let params = |d: &DashboardCore| -> Vec<(String, String)> {
        d.url_params()
            .into_iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| (k.to_string(), v))
            .collect()
    };
    assert_eq!(params(&d), []);
    d.set_metric(statscope::view::Metric::Memory);
    d.set_top_n(Some(5));
    d.set_filter("web");
    d.set_log_scale(true);
    d.set_detail("web");
    d.set_theme("dark").expect("theme");
    let (x0, x1) = d.window_ms();
    d.set_range(x0, x1 - 5_000.0);
    let p = params(&d);
    for (k, v) in [
        ("metric", "memory"),
        ("top", "5"),
        ("filter", "web"),
        ("log", "1"),
        ("detail", "web"),
        ("theme", "dark"),
    ] {
        assert!(
            p.contains(&(k.to_string(), v.to_string())),
            "{k}={v} in {p:?}"
        );
    }
    assert!(p.iter().any(|(k, _)| k == "from") && p.iter().any(|(k, _)| k == "to"));
    // Every parameter is an option's, by the schema.
    for (k, _) in &p {
        assert!(
            statscope::dashboard::options::OPTIONS
                .iter()
                .any(|o| o.param == Some(k.as_str())),
            "{k}"
        );
    }
    // The element's attributes changed: the viewer's choices apply, the data stays.
    let before = d.snapshot();
    let applied = d
        .apply(&Options {
            connect: false,
            metric: statscope::view::Metric::Cpu,
            top_n: Some(3),
            ..Options::default()
        })
        .expect("valid");
    assert!(applied);
    assert_eq!(d.snapshot(), before, "no point lost");
    assert_eq!(d.settings().top_n, Some(3));
    let restart = d
        .apply(&Options {
            connect: false,
            window_seconds: 60.0,
            ..Options::default()
        })
        .expect("valid");
    assert!(!restart, "a new window needs a new dashboard");
}

#[test]
fn axes_say_the_metric_the_date_and_the_zone_and_time_labels_do_not_overlap() {
    let mut d = core(Options::default());
    feed(&mut d, &[('a', "web", 40.0)], 1, 300);
    let view = d.view(60);
    assert_eq!(view.y_title, "CPU % (100 % = one core)");
    assert!(view.x_title.ends_with("· UTC+01:00"), "{}", view.x_title);
    let svg = svg_of(&view, 420, 300);
    assert!(svg.contains("CPU % (100 % = one core)") && svg.contains("UTC+01:00"));
    // A phone's chart: few labels, each TIME_LABEL_PX apart at least.
    for width in [420u32, 1_920] {
        let rect = PlotRect {
            left: 60.0,
            top: 20.0,
            right: f64::from(width) - 40.0,
            bottom: 260.0,
        };
        let ticks = tick_layout(&view, rect, 1.0);
        assert!(ticks.len() >= 2, "{width}: {ticks:?}");
        for w in ticks.windows(2) {
            assert!(w[1].0 - w[0].0 >= TIME_LABEL_PX, "{width}: {ticks:?}");
        }
        if width == 420 {
            assert!(ticks.len() <= 5, "{ticks:?}");
        }
    }
}

#[test]
fn a_log_scale_lifts_containers_near_zero() {
    let mut d = core(Options::default());
    feed(&mut d, &[('a', "busy", 200.0), ('b', "tiny", 0.5)], 1, 10);
    let tiny_linear = d.view(0);
    let frac = |v: &statscope::chart::ChartView| {
        let s = v.series.iter().find(|s| s.name == "tiny").expect("tiny");
        s.segments[0][1].1 / v.y_max
    };
    assert!(frac(&tiny_linear) < 0.01);
    d.set_log_scale(true);
    let log = d.view(0);
    assert!(log.y_log.is_some());
    assert!(frac(&log) > 0.1, "{}", frac(&log));
    assert!(log.y_title.contains("log"));
    // The axis labels print real values (powers of ten).
    let svg = svg_of(&log, 600, 300);
    assert!(
        svg.contains("\n1%\n") && svg.contains("\n10%\n"),
        "log labels"
    );
}

#[test]
fn export_png_has_a_title_the_range_and_the_legend_and_no_cursor() {
    let mut d = core(Options::default());
    feed(&mut d, &[('a', "web", 40.0), ('b', "db", 10.0)], 1, 30);
    d.set_cursor(Some(d.window_ms().1 - 3_000.0));
    assert!(d.view(0).cursor.is_some());
    let (view, legend) = d.export_view(0, 0);
    assert!(view.cursor.is_none(), "no cursor in the export");
    let (title, range) = d.export_title(0);
    assert!(title.contains("CPU %"), "{title}");
    assert!(range.contains("UTC"), "{range}");
    let entries: Vec<(String, RGBColor, Dash)> = legend
        .entries
        .iter()
        .map(|e| {
            (
                e.name.clone(),
                statscope::chart::parse_hex(&e.color).expect("colour"),
                Dash::Solid,
            )
        })
        .collect();
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (800, 400)).into_drawing_area();
        draw_export(
            &root,
            &view,
            &Theme::light(),
            1.0,
            (&title, &range),
            &entries,
        )
        .expect("draws");
    }
    assert!(out.contains("statscope · CPU %"));
    assert!(out.contains(&range));
    // Each name twice: at its curve's end and in the legend under the chart.
    assert!(out.matches("\nweb\n").count() >= 2, "the legend");
    assert!(out.matches("\ndb\n").count() >= 2, "the legend");
}
