//! The check of the real `statscope stats` line handling, `statscope_bridge::stats_cmd::run`, on
//! arbitrary bytes: no panic; the lines skipped and the bad lines reported are exactly the harness's
//! reading of the rule ([`crate::checks::stats_lines`]: a statscope message is skipped, or bad when
//! it cannot be read; any other non-blank line that is not a UTF-8 stats object is bad); json prints
//! one line and csv one record per good line, and both are byte for byte what the library functions
//! give for those lines; the table has its header. Run by the `stats_cmd` fuzz target and by the
//! bridge's standing test `bridge/tests/fuzz_checks.rs`.

use statscope::OsType;
use statscope_bridge::stats_cmd::{run, Format};

use crate::checks::{csv_records, stats_lines};

pub fn check_stats_cmd(data: &[u8]) {
    for os in [OsType::Linux, OsType::Windows] {
        let want = stats_lines(data, os);
        for format in [Format::Json, Format::Csv, Format::Table] {
            let mut out = Vec::new();
            let mut reported = Vec::new();
            let summary = run(data, &mut out, format, os, |bad| reported.push(bad.line))
                .expect("reading a slice and writing a Vec cannot fail");
            let bad: Vec<usize> = summary.bad.iter().map(|b| b.line).collect();
            assert_eq!(bad, reported, "{format:?}: the summary and on_bad disagree");
            assert_eq!(bad, want.bad, "{format:?}: bad lines");
            assert_eq!(summary.samples, want.good, "{format:?}: good lines");
            assert!(
                summary.bad.iter().all(|b| !b.message.is_empty()),
                "{format:?}: a bad line without a message"
            );
            let out = String::from_utf8(out).expect("the output is UTF-8");
            match format {
                Format::Json => {
                    assert_eq!(out.lines().count(), want.good, "json lines != good lines");
                    assert_eq!(out, want.json, "json output differs from docker_json_line");
                }
                Format::Csv => {
                    assert_eq!(
                        csv_records(&out).len(),
                        want.good + 1,
                        "csv records != good lines + header"
                    );
                    assert_eq!(out, want.csv, "csv output differs from the engine's rows");
                }
                Format::Table => assert!(
                    out.starts_with("CONTAINER ID") && out.ends_with('\n'),
                    "table without its header: {out:?}"
                ),
            }
        }
    }
}
