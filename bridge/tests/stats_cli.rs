//! `statscope stats` as a user runs it: the real binary on recordings from a real Docker daemon.

use std::io::Write;
use std::process::{Command, Output, Stdio};

const RECORDING: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/fixtures/docker-20.10-cgroupv1.ndjson"
);

fn statscope(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_statscope"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("statscope runs");
    let input = stdin.unwrap_or_default().to_vec();
    let mut pipe = child.stdin.take().expect("stdin");
    std::thread::spawn(move || {
        let _ = pipe.write_all(&input);
    });
    child.wait_with_output().expect("statscope exits")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8 output")
}

/// `--format json` equals, line for line, what the docker CLI itself printed for each sample of a
/// recording (captured by `scripts/docker-cli-golden.py`, the real CLI against a fake daemon).
///
/// Where the CLI could not decode a sample (a counter beyond u64) it prints its invalid row
/// (`"CPUPerc":"--"`…); statscope reports that line on stderr and skips it instead, as bad input.
#[test]
fn json_reproduces_the_docker_cli_line_for_line() {
    for recording in [
        RECORDING.to_string(),
        RECORDING.replace("docker-20.10-cgroupv1", "edge-cases"),
    ] {
        let golden_path = recording.replace(".ndjson", ".docker-cli.jsonl");
        let golden = std::fs::read_to_string(&golden_path)
            .unwrap_or_else(|e| panic!("golden {golden_path}: {e}"));
        let out = statscope(&["stats", "--format", "json", &recording], None);
        let stderr = text(&out.stderr);
        let rejected: Vec<usize> = stderr
            .lines()
            .filter_map(|l| {
                l.strip_prefix("statscope: line ")?
                    .split(':')
                    .next()?
                    .parse()
                    .ok()
            })
            .collect();
        let invalid_in_cli: Vec<usize> = golden
            .lines()
            .enumerate()
            .filter(|(_, l)| l.contains(r#""CPUPerc":"--""#))
            .map(|(i, _)| i + 1)
            .collect();
        assert_eq!(
            rejected, invalid_in_cli,
            "{recording}: rejected lines\n{stderr}"
        );
        assert_eq!(out.status.success(), rejected.is_empty());
        let ours = text(&out.stdout);
        let ours: Vec<&str> = ours.lines().collect();
        let golden: Vec<&str> = golden
            .lines()
            .enumerate()
            .filter(|(i, _)| !invalid_in_cli.contains(&(i + 1)))
            .map(|(_, l)| l)
            .collect();
        assert!(golden.len() > 15, "{recording}: a real comparison");
        assert_eq!(ours.len(), golden.len(), "{recording}: one line per sample");
        for (i, (a, b)) in ours.iter().zip(&golden).enumerate() {
            assert_eq!(a, b, "{recording} output line {}", i + 1);
        }
    }
}

#[test]
fn windows_json_reproduces_the_docker_cli() {
    let recording = RECORDING.replace("docker-20.10-cgroupv1", "edge-cases-windows");
    let golden = std::fs::read_to_string(recording.replace(".ndjson", ".docker-cli.jsonl"))
        .expect("windows golden");
    let out = statscope(
        &["stats", "--format", "json", "--os", "windows", &recording],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), golden);
}

#[test]
fn csv_has_one_row_per_line_and_flags_the_stream_events() {
    let out = statscope(&["stats", "--format", "csv", RECORDING], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let csv = text(&out.stdout);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("time,host,id,name,cpu_percent,mem_usage_bytes,mem_percent,net_rx_bytes_per_s,net_tx_bytes_per_s,blk_read_bytes_per_s,blk_write_bytes_per_s,pids,flag")
    );
    // time, host, id, name, one column per metric (the last is PIDs), flag.
    const FLAG: usize = 12;
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    let input_lines = std::fs::read_to_string(RECORDING)
        .expect("recording")
        .lines()
        .count();
    assert_eq!(rows.len(), input_lines);
    let names: std::collections::BTreeSet<&str> = rows.iter().map(|r| r[3]).collect();
    assert_eq!(names.len(), 5, "{names:?}");
    for flag in ["first", "reset", "stopped", ""] {
        assert!(rows.iter().any(|r| r[FLAG] == flag), "no {flag:?} row");
    }
    for r in &rows {
        assert_eq!(r.len(), FLAG + 1, "{r:?}");
        let rates = [r[4], r[7], r[8], r[9], r[10]];
        if ["first", "reset", "stopped"].contains(&r[FLAG]) {
            assert!(
                rates.iter().all(|c| c.is_empty()),
                "rates on a {} row: {r:?}",
                r[FLAG]
            );
        } else {
            for c in rates {
                let v: f64 = c.parse().unwrap_or_else(|_| panic!("number in {r:?}"));
                assert!(v >= 0.0 && v.is_finite(), "{r:?}");
            }
        }
    }
    // The CPU burner runs under --cpus 0.5: its rates sit near 50 %, never a spike.
    let burn: Vec<f64> = rows
        .iter()
        .filter(|r| r[3] == "ss-burn" && r[FLAG].is_empty())
        .map(|r| r[4].parse().expect("cpu"))
        .collect();
    assert!(burn.len() > 10);
    assert!(burn.iter().all(|v| (35.0..=65.0).contains(v)), "{burn:?}");
}

#[test]
fn a_malformed_line_is_reported_skipped_and_fails_the_run() {
    let good = std::fs::read_to_string(RECORDING).expect("recording");
    let mut lines: Vec<&str> = good.lines().take(4).collect();
    lines.insert(2, "{\"read\": \"not a time\"}");
    lines.insert(4, "garbage");
    lines.insert(5, "");
    let input = lines.join("\n");
    let out = statscope(&["stats", "--format", "json", "-"], Some(input.as_bytes()));
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("line 3:") && err.contains("RFC 3339"), "{err}");
    assert!(err.contains("line 5:"), "{err}");
    assert!(err.contains("2 of 6 lines"), "{err}");
    assert_eq!(
        text(&out.stdout).lines().count(),
        4,
        "the good lines are all still processed"
    );
}

/// A recording of the bridge's feed may hold statscope's own messages: they are not stats, and not
/// errors either.
#[test]
fn control_messages_in_a_recording_are_skipped_silently() {
    let good = std::fs::read_to_string(RECORDING).expect("recording");
    let stats: Vec<&str> = good.lines().take(6).collect();
    let mut lines = stats.clone();
    lines.insert(
        0,
        r#"{"type":"statscope.hello","source":"docker","describe":"x","version":"0.1.0"}"#,
    );
    lines.insert(2, r#"{"type":"statscope.container","id":"8944e14ea95f","name":"web","image":"busybox","cpuLimit":0.5,"cpuLimitFrom":"NanoCpus","memoryLimitBytes":null}"#);
    lines.insert(4, r#"{"type":"statscope.event","id":"8944e14ea95f","name":"web","action":"die","time":"2024-05-01T10:00:00.123456789Z","exitCode":137}"#);
    let with_controls = statscope(
        &["stats", "--format", "json", "-"],
        Some(lines.join("\n").as_bytes()),
    );
    let without = statscope(
        &["stats", "--format", "json", "-"],
        Some(stats.join("\n").as_bytes()),
    );
    assert!(
        with_controls.status.success(),
        "{}",
        text(&with_controls.stderr)
    );
    assert_eq!(text(&with_controls.stderr), "");
    assert_eq!(text(&with_controls.stdout), text(&without.stdout));
    assert_eq!(text(&with_controls.stdout).lines().count(), 6);
}

/// One rule for what is a sample (issue 19): a statscope message is never one (skipped when it
/// can be read, else a bad line with the protocol's error), and a JSON object with none of the
/// stats fields is not one either (a bad line); an object with one stats field is.
#[test]
fn what_is_not_a_stats_object_is_a_bad_line_with_a_message() {
    let input = [
        r#"{"type":"statscope.dropped","frames":3}"#,
        "",
        r#"{"type":"statscope.other"}"#,
        "{}",
        r#"{"foo":1}"#,
        r#"{"type":"x"}"#,
        r#"{"type":"statscope.dropped","frames":-1,"id":"a"}"#,
        r#"{"type":"x","id":"a"}"#,
        r#"{"id":"a","name":"/a"}"#,
        r#"{"type":5,"name":"/b"}"#,
    ]
    .join("\n");
    let out = statscope(&["stats", "--format", "json", "-"], Some(input.as_bytes()));
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    for line in [4, 5, 6] {
        assert!(
            err.contains(&format!(
                "line {line}: not a Docker stats object: none of its keys is a stats field"
            )),
            "line {line}: {err}"
        );
    }
    assert!(
        err.contains("line 7: statscope.dropped: invalid value: integer `-1`"),
        "{err}"
    );
    assert!(err.contains("4 of 7 lines"), "{err}");
    let names: Vec<String> = text(&out.stdout)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("a json line");
            v["Name"].as_str().expect("a name").to_string()
        })
        .collect();
    assert_eq!(names, ["--", "a", "b"]);
}

#[test]
fn table_shows_one_row_per_container_like_docker_stats() {
    let out = statscope(&["stats", RECORDING], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("CONTAINER ID   NAME "), "{table}");
    assert!(lines[0].contains("MEM USAGE / LIMIT") && lines[0].ends_with("PIDS"));
    assert_eq!(lines.len(), 6, "{table}");
    // The stopped container shows the CLI's zeros.
    let short = lines
        .iter()
        .find(|l| l.contains("ss-short"))
        .expect("ss-short row");
    assert!(short.contains("0B / 0B"), "{short}");
    // Columns line up: every row has NAME at the same offset.
    let at = lines[0].find("NAME").expect("NAME");
    assert!(
        lines[1..].iter().all(|l| l[at..].starts_with("ss-")),
        "{table}"
    );
}

#[test]
fn a_missing_file_is_a_clear_error() {
    let out = statscope(&["stats", "/nonexistent/recording.ndjson"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("cannot open /nonexistent/recording.ndjson"));
}

/// The PIDs metric: every CSV row of a running sample has the PIDs the docker CLI printed for the
/// same line (`PIDs` of `docker stats --format '{{json .}}'`); a stopped row has none.
#[test]
fn csv_pids_are_the_docker_clis() {
    let out = statscope(&["stats", "--format", "csv", RECORDING], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let csv = text(&out.stdout);
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let pids = header
        .iter()
        .position(|c| *c == "pids")
        .expect("a pids column");
    let flag = header
        .iter()
        .position(|c| *c == "flag")
        .expect("a flag column");
    let golden =
        std::fs::read_to_string(RECORDING.replace(".ndjson", ".docker-cli.jsonl")).expect("golden");
    let mut checked = 0;
    for (row, cli) in lines.zip(golden.lines()) {
        let row: Vec<&str> = row.split(',').collect();
        let cli: serde_json::Value = serde_json::from_str(cli).expect("a CLI line");
        if row[flag] == "stopped" {
            assert_eq!(row[pids], "", "{row:?}");
            continue;
        }
        assert_eq!(row[pids], cli["PIDs"].as_str().expect("PIDs"), "{row:?}");
        checked += 1;
    }
    assert!(checked > 100, "{checked} rows checked");
}

/// A container named like a formula (`=HYPERLINK(…)`, `@SUM(…)`, `+1`, `-1`) is written with a
/// leading `'` in both CSVs — `statscope stats --format csv` and the page's export — so a
/// spreadsheet shows it as text (OWASP, CSV injection); the columns and numbers are unchanged.
#[test]
fn csv_cells_a_spreadsheet_would_evaluate_are_neutralized_in_both_exports() {
    use statscope::dashboard::{DashboardCore, Options};
    let names = [
        (
            "=HYPERLINK(\"http://evil.example\",\"x\")",
            "\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"x\"\")\"",
        ),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("web", "web"),
    ];
    let mut input = String::new();
    for (n, (name, _)) in names.iter().enumerate() {
        for s in 0..2u64 {
            let line = serde_json::json!({
                "read": format!("2026-11-24T05:00:0{s}.000000000Z"),
                "id": format!("{n:064x}"),
                "name": format!("/{name}"),
                "cpu_stats": {"cpu_usage": {"total_usage": s * 500_000_000}, "system_cpu_usage": s * 1_000_000_000, "online_cpus": 1},
                "memory_stats": {"usage": 1_048_576},
            });
            input.push_str(&format!("{line}\n"));
        }
    }
    let out = statscope(&["stats", "--format", "csv"], Some(input.as_bytes()));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let cli = text(&out.stdout);

    let mut page = DashboardCore::new(Options {
        connect: false,
        window_seconds: 3600.0,
        ttl_seconds: 3600.0,
        ..Options::default()
    })
    .expect("options");
    for line in input.lines() {
        page.ingest(line);
    }
    page.flush();
    let export = page.export_csv();

    for csv in [&cli, &export] {
        for (n, (name, written)) in names.iter().enumerate() {
            let id = format!("{n:064x}");
            let rows: Vec<&str> = csv.lines().filter(|l| l.contains(&id)).collect();
            assert_eq!(rows.len(), 2, "{name}: {csv}");
            for row in rows {
                assert!(row.contains(&format!("{id},{written},")), "{name} in {row}");
            }
        }
        // Every row keeps the documented columns (its flag last: `first`, or empty for a rate).
        for row in csv.lines().skip(1) {
            assert!(row.ends_with(",first") || row.ends_with(','), "{row}");
        }
    }
    assert!(cli.contains(",50,"), "a CPU % of 50 stays a number: {cli}");
}
