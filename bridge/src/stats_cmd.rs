//! `statscope stats`: Docker stats objects in, the docker CLI's figures or the engine's rates out.
//!
//! Input is newline-delimited Docker stats objects, what `GET /containers/{id}/stats?stream=true`
//! emits (several containers may be interleaved). Each line is one of:
//!
//! - blank: skipped;
//! - one of statscope's own messages (container info or lifecycle events in a recording of the
//!   bridge's feed): a line with a message's framing and a `statscope.` type
//!   ([`Message::is_framed`], [`Message::decode`]). Skipped when it can be read; otherwise a bad
//!   line with the protocol module's error. Never a sample;
//! - anything else is read as a stats object ([`Stats::from_json`]; a framed object of another
//!   `type` too): a sample, or a bad line with the model's error. A JSON object with none of the
//!   stats fields (`{}`, `{"foo":1}`) is not a stats object: a bad line.
//!
//! A bad line (also one that is not UTF-8) is reported with its line number and skipped; the rest
//! is still processed, and the run reports how many lines were bad so the program can exit
//! non-zero.
//!
//! - `json`: per line, the exact line `docker stats --format '{{json .}}'` prints (stateless).
//! - `csv`: per line, the derivative engine's row (stateful per container; see `statscope_core::rates`).
//! - `table`: one row per container for its last sample, laid out like `docker stats`.

use std::io::{self, BufRead, Write};

use statscope_core::figures::{docker_json_line, short_id, Figures};
use statscope_core::protocol::Message;
use statscope_core::report::{csv_header, csv_row};
use statscope_core::{OsType, RateEngine, Stats};

/// The output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
    Table,
}

/// A line that could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLine {
    /// 1-based line number in the input.
    pub line: usize,
    pub message: String,
}

/// What a run did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Lines turned into output.
    pub samples: usize,
    /// Lines reported and skipped.
    pub bad: Vec<BadLine>,
}

/// Reads every line of `input`, writes `format` to `out`, and reports each bad line to `on_bad`
/// as soon as it is found (so errors appear beside the output position they concern).
pub fn run(
    input: impl BufRead,
    out: &mut impl Write,
    format: Format,
    daemon_os: OsType,
    mut on_bad: impl FnMut(&BadLine),
) -> io::Result<Summary> {
    let mut summary = Summary::default();
    let mut engine = RateEngine::new(statscope_core::EngineConfig {
        daemon_os,
        ..statscope_core::EngineConfig::default()
    });
    let mut table = TableRows {
        daemon_os,
        rows: Vec::new(),
    };
    let mut row = String::new();
    if format == Format::Csv {
        writeln!(out, "{}", csv_header())?;
    }
    for (index, line) in input.split(b'\n').enumerate() {
        let line = line?;
        let parsed = std::str::from_utf8(&line)
            .map_err(|e| format!("not UTF-8: {e}"))
            .and_then(|text| {
                if text.trim().is_empty() {
                    return Ok(None);
                }
                if Message::is_framed(text) {
                    match Message::decode(text) {
                        Ok(Some(_)) => return Ok(None),
                        Ok(None) => {}
                        Err(e) => return Err(e.to_string()),
                    }
                }
                Stats::from_json(text).map(Some).map_err(|e| e.to_string())
            });
        let sample = match parsed {
            Ok(Some(sample)) => sample,
            Ok(None) => continue,
            Err(message) => {
                let bad = BadLine {
                    line: index + 1,
                    message,
                };
                on_bad(&bad);
                summary.bad.push(bad);
                continue;
            }
        };
        summary.samples += 1;
        match format {
            Format::Json => writeln!(out, "{}", docker_json_line(&sample, daemon_os))?,
            Format::Csv => {
                let point = engine.update([&sample], None)[0];
                row.clear();
                csv_row(&mut row, &sample, &point);
                out.write_all(row.as_bytes())?;
            }
            Format::Table => table.record(sample),
        }
    }
    if format == Format::Table {
        table.write(out)?;
    }
    out.flush()?;
    Ok(summary)
}

/// The last sample of each container, in order of first appearance.
struct TableRows {
    daemon_os: OsType,
    rows: Vec<(String, Stats)>,
}

impl TableRows {
    fn record(&mut self, sample: Stats) {
        match self.rows.iter_mut().find(|(id, _)| *id == sample.id) {
            Some((_, last)) => *last = sample,
            None => self.rows.push((sample.id.clone(), sample)),
        }
    }

    fn write(&self, out: &mut impl Write) -> io::Result<()> {
        // The docker CLI's default table formats (Windows has no MEM % and PIDS columns).
        let mut lines: Vec<Vec<String>> = Vec::new();
        let any_linux = self.rows.is_empty()
            || self
                .rows
                .iter()
                .any(|(_, s)| s.os(self.daemon_os) == OsType::Linux);
        lines.push(if any_linux {
            [
                "CONTAINER ID",
                "NAME",
                "CPU %",
                "MEM USAGE / LIMIT",
                "MEM %",
                "NET I/O",
                "BLOCK I/O",
                "PIDS",
            ]
            .map(String::from)
            .to_vec()
        } else {
            [
                "CONTAINER ID",
                "NAME",
                "CPU %",
                "PRIV WORKING SET",
                "NET I/O",
                "BLOCK I/O",
            ]
            .map(String::from)
            .to_vec()
        });
        for (id, s) in &self.rows {
            let f = Figures::compute(s, self.daemon_os);
            let mut cells = vec![
                short_id(id).to_string(),
                s.display_name().to_string(),
                f.cpu_perc(),
                f.mem_usage(),
            ];
            if any_linux {
                cells.push(f.mem_perc());
            }
            cells.extend([f.net_io(), f.block_io()]);
            if any_linux {
                cells.push(f.pids());
            }
            lines.push(cells);
        }
        out.write_all(tabwrite(&lines).as_bytes())
    }
}

/// Aligns cells like Go's `tabwriter.NewWriter(w, 10, 1, 3, ' ', 0)`, what the docker CLI uses:
/// every cell but a line's last is padded to max(widest + 3, 10) characters.
pub fn tabwrite(lines: &[Vec<String>]) -> String {
    let columns = lines.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0usize; columns];
    for line in lines {
        for (i, cell) in line.iter().enumerate().take(line.len().saturating_sub(1)) {
            widths[i] = widths[i].max((cell.chars().count() + 3).max(10));
        }
    }
    let mut out = String::new();
    for line in lines {
        for (i, cell) in line.iter().enumerate() {
            out.push_str(cell);
            if i + 1 < line.len() {
                let pad = widths[i] - cell.chars().count();
                out.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push('\n');
    }
    out
}
