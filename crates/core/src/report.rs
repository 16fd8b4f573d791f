//! The CSV rows of `statscope stats --format csv`, shared with the page's CSV export.
//!
//! One row per sample: the sample's `read` (RFC 3339, UTC), full ID, name, then the engine's
//! [`Point`] for it, one column per metric ([`crate::metrics::METRICS`]), then its flag. A value that does not exist is an empty cell: on `first`, `reset`, `stopped` and
//! `late` rows the rate cells (CPU and bytes/s) are empty, since no honest rate exists there, and a
//! stopped row has no memory either. Numbers print in Rust's shortest round-trip form, so a cell
//! parses back to the engine's exact `f64`. Text cells are quoted per RFC 4180 when they need it.
//!
//! A text cell a spreadsheet would evaluate as a formula (one starting with `=`, `+`, `-`, `@`, a
//! tab or a carriage return: a container named `=HYPERLINK(…)`) is written with a leading `'`, the
//! OWASP rule against CSV injection, which spreadsheets show as text. Numbers are never text cells:
//! they stay numbers.

use crate::metrics::METRICS;
use crate::model::{Stats, Timestamp};
use crate::rates::Point;
use std::fmt::Write;

/// The header line (no newline): `time,host,id,name`, each metric's column ([`METRICS`]), `flag`.
/// `host` is the host's key (empty for a recording or a relay without hosts).
pub fn csv_header() -> String {
    let mut out = String::from("time,host,id,name");
    for m in &METRICS {
        out.push(',');
        out.push_str(m.csv);
    }
    out.push_str(",flag");
    out
}

/// Appends one CSV row (with its trailing `\n`) for `sample` and the engine's `point` for it.
pub fn csv_row(out: &mut String, sample: &Stats, point: &Point) {
    csv_point_row(
        out,
        sample.read,
        "",
        &sample.id,
        sample.display_name(),
        point,
    );
}

/// Appends one CSV row for a point kept by the engine: its sample's `read`, the container's host
/// key, full ID and name (the page's export, which has the points but not the samples).
pub fn csv_point_row(
    out: &mut String,
    read: Timestamp,
    host: &str,
    id: &str,
    name: &str,
    point: &Point,
) {
    csv_text(out, &read.to_rfc3339());
    out.push(',');
    csv_text(out, host);
    out.push(',');
    csv_text(out, id);
    out.push(',');
    csv_text(out, name);
    for m in &METRICS {
        out.push(',');
        if let Some(v) = (m.read)(point) {
            let _ = write!(out, "{v}");
        }
    }
    out.push(',');
    out.push_str(point.flag.as_str());
    out.push('\n');
}

/// The first characters that make a spreadsheet read a cell as a formula (OWASP, CSV injection).
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A text CSV cell: with a leading `'` when a spreadsheet would evaluate it, then quoted (with `"`
/// doubled) when it holds a comma, quote or line break.
fn csv_text(out: &mut String, text: &str) {
    let neutral = if text.starts_with(FORMULA_STARTS) {
        "'"
    } else {
        ""
    };
    if text.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(neutral);
        out.push_str(&text.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(neutral);
        out.push_str(text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(text: &str) -> String {
        let mut out = String::new();
        csv_text(&mut out, text);
        out
    }

    #[test]
    fn cells_a_spreadsheet_would_evaluate_are_neutralized() {
        for (name, written) in [
            (
                "=HYPERLINK(\"http://x\")",
                "\"'=HYPERLINK(\"\"http://x\"\")\"",
            ),
            ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
            ("+1+1", "'+1+1"),
            ("-2+3", "'-2+3"),
            ("\t=1", "'\t=1"),
            ("\r=1", "\"'\r=1\""),
            ("=1,2", "\"'=1,2\""),
        ] {
            assert_eq!(cell(name), written, "{name:?}");
        }
        for (name, written) in [
            ("web", "web"),
            ("a=b", "a=b"),
            (" =1", " =1"),
            ("a,b", "\"a,b\""),
            ("say \"hi\"", "\"say \"\"hi\"\"\""),
            ("", ""),
        ] {
            assert_eq!(cell(name), written, "{name:?}");
        }
    }

    #[test]
    fn names_are_neutralized_in_rows_and_numbers_stay_numbers() {
        use crate::rates::{EngineConfig, RateEngine};
        let sample = Stats::from_json(
            r#"{"read":"2026-11-24T05:00:00Z","id":"abc","name":"/=cmd|' /C calc'!A0","memory_stats":{"usage":1048576}}"#,
        )
        .expect("a sample");
        let mut engine = RateEngine::new(EngineConfig::default());
        let points = engine.update([&sample], None);
        let mut row = String::new();
        csv_row(&mut row, &sample, &points[0]);
        let cells: Vec<&str> = row.trim_end().split(',').collect();
        assert_eq!(cells.len(), csv_header().split(',').count(), "{row}");
        assert_eq!(cells[3], "'=cmd|' /C calc'!A0", "{row}");
        assert_eq!(cells[5], "1048576", "a number is not a text cell: {row}");
    }
}
