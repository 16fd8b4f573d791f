//! The CSV rows of `statscope stats --format csv`, shared with the page's CSV export.
//!
//! One row per sample: the sample's `read` (RFC 3339, UTC), full ID, name, then the engine's
//! [`Point`] for it, one column per metric ([`crate::metrics::METRICS`]), then its flag. A value that does not exist is an empty cell: on `first`, `reset`, `stopped` and
//! `late` rows the rate cells (CPU and bytes/s) are empty, since no honest rate exists there, and a
//! stopped row has no memory either. Numbers print in Rust's shortest round-trip form, so a cell
//! parses back to the engine's exact `f64`. Text cells are quoted per RFC 4180 when they need it.

use crate::metrics::METRICS;
use crate::model::{Stats, Timestamp};
use crate::rates::Point;
use std::fmt::Write;

/// The header line (no newline): `time,id,name`, each metric's column ([`METRICS`]), `flag`.
pub fn csv_header() -> String {
    let mut out = String::from("time,id,name");
    for m in &METRICS {
        out.push(',');
        out.push_str(m.csv);
    }
    out.push_str(",flag");
    out
}

/// Appends one CSV row (with its trailing `\n`) for `sample` and the engine's `point` for it.
pub fn csv_row(out: &mut String, sample: &Stats, point: &Point) {
    csv_point_row(out, sample.read, &sample.id, sample.display_name(), point);
}

/// Appends one CSV row for a point kept by the engine: its sample's `read`, the container's full
/// ID and name (the page's export, which has the points but not the samples).
pub fn csv_point_row(out: &mut String, read: Timestamp, id: &str, name: &str, point: &Point) {
    csv_text(out, &read.to_rfc3339());
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

/// A CSV cell: quoted (with `"` doubled) when it holds a comma, quote or line break.
fn csv_text(out: &mut String, text: &str) {
    if text.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&text.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(text);
    }
}
