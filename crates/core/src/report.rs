//! The CSV rows of `statscope stats --format csv`, shared with the page's CSV export.
//!
//! One row per sample: the sample's `read` (RFC 3339, UTC), full ID, name, then the engine's
//! [`Point`] for it. A value that does not exist is an empty cell: on `first`, `reset`, `stopped` and
//! `late` rows the rate cells (CPU and bytes/s) are empty, since no honest rate exists there, and a
//! stopped row has no memory either. Numbers print in Rust's shortest round-trip form, so a cell
//! parses back to the engine's exact `f64`. Text cells are quoted per RFC 4180 when they need it.

use crate::model::{Stats, Timestamp};
use crate::rates::Point;
use std::fmt::Write;

/// The header line (no newline).
pub const CSV_HEADER: &str = "time,id,name,cpu_percent,mem_usage_bytes,mem_percent,net_rx_bytes_per_s,net_tx_bytes_per_s,blk_read_bytes_per_s,blk_write_bytes_per_s,flag";

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
    for value in [
        point.cpu_percent(),
        point.mem_usage_bytes(),
        point.mem_percent(),
        point.net_rx_bytes_per_s(),
        point.net_tx_bytes_per_s(),
        point.blk_read_bytes_per_s(),
        point.blk_write_bytes_per_s(),
    ] {
        out.push(',');
        if let Some(v) = value {
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
