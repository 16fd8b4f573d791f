//! The replay source: a recording of Docker stats objects played back at the pace it was recorded.
//!
//! Playback starts when the first client connects, so the viewer sees the recording from its start
//! (under `statscope agent`, at once: the agent is its viewer).
//! The file is newline-delimited Docker stats objects (what `GET /containers/{id}/stats?stream=true`
//! emits; containers may be interleaved). It is read as a stream, so a long recording costs no
//! memory. Each object is sent when its `read` timestamp comes due: the first real timestamp plays at
//! once, later ones at `(read − first) / speed` after it. An object whose `read` is Go's zero time (a
//! stopped container's empty sample) keeps its place in the order and goes out with the object before
//! it; one whose time runs backwards goes out at once. Lines are sent byte for byte as recorded —
//! including a line that is not a stats object (it goes out at once, and the page counts and shows
//! it): the bridge relays, the page validates. One of statscope's own messages in the recording (a
//! line with a message's framing and a `statscope.` type, such as container info or a lifecycle
//! event; [`statscope_core::protocol`]) keeps its place in the order like an empty sample, and the
//! hub sends it as its own frame; one that cannot be read is logged with its line number and skipped.
//!
//! With `--loop`, the recording starts over when it ends. So that a viewer's time keeps moving
//! forward, each later pass shifts `read` and `preread` (only those two values in the text), and a
//! control message's `time`, by the recording's time span plus one second; counters start over,
//! which a viewer sees as one reset.
//! A line that is not a stats object is logged with its number (and relayed as it is); such lines
//! are logged at most once per 30 s ([`crate::ratelog`]), with the count of those not logged.
//!
//! A recording is outside input: a line longer than [`Replay::max_line_bytes`] (`--max-line-kib`)
//! is skipped (read past in linear time, [`crate::lines`]), logged with its number, counted and told
//! to the page (`statscope.notice`, cause `line-too-long`); so is a line that is not UTF-8 (logged).
//! The lines after it play as usual.

use std::path::PathBuf;

use serde::Deserialize;
use statscope_core::protocol::Message;
use statscope_core::Timestamp;
use tokio::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

use crate::docker::EngineLimits;
use crate::hub::Sink;
use crate::lines::{BoundedLines, Line};
use crate::notice::{mib, Cause};
use crate::source::{BoxFuture, Source};
use crate::warn_limited;

/// Plays back a recording file.
#[derive(Debug, Clone)]
pub struct Replay {
    pub path: PathBuf,
    /// Playback speed: 2.0 plays twice as fast as recorded.
    pub speed: f64,
    /// Start over at the end.
    pub looped: bool,
    /// A longer line is skipped (and counted, logged and told).
    pub max_line_bytes: usize,
}

/// Only the field pacing needs; the rest of the object is skipped unparsed.
#[derive(Deserialize)]
struct ReadOnly {
    #[serde(default)]
    read: Timestamp,
}

impl Replay {
    /// Checks that the file can be read before the server starts.
    pub fn open(path: PathBuf, speed: f64, looped: bool) -> std::io::Result<Replay> {
        if !(speed.is_finite() && speed > 0.0) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("--speed must be a positive number, not {speed}"),
            ));
        }
        std::fs::File::open(&path)?;
        Ok(Replay {
            path,
            speed,
            looped,
            max_line_bytes: EngineLimits::default().max_line_bytes,
        })
    }

    /// One pass over the file, its timestamps shifted by `shift_ns`. `None` when stopped.
    async fn play_once(
        &self,
        sink: &Sink,
        shutdown: &CancellationToken,
        clock: &mut Pacer,
        shift_ns: i128,
    ) -> Option<Pass> {
        let file = match tokio::fs::File::open(&self.path).await {
            Ok(f) => f,
            Err(e) => {
                tracing::error!(path = %self.path.display(), error = %e, "cannot read the replay file");
                return None;
            }
        };
        let mut lines = BoundedLines::new(file, self.max_line_bytes);
        let mut pass = Pass::default();
        let mut number = 0usize;
        loop {
            let line = tokio::select! {
                _ = shutdown.cancelled() => return None,
                line = lines.next() => line,
            };
            number += 1;
            let line = match line {
                Ok(Some(Line::Text(line))) => line,
                Ok(Some(Line::TooLong)) => {
                    sink.notices().cut(
                        Cause::LineTooLong,
                        1,
                        Some(self.max_line_bytes as u64),
                        format!(
                            "a line over {} in the recording (about line {number}); skipped",
                            mib(self.max_line_bytes as u64)
                        ),
                    );
                    continue;
                }
                Ok(Some(Line::NotUtf8)) => {
                    warn_limited!(
                        "replay-not-utf8",
                        line = number,
                        "skipping a recording line that is not UTF-8"
                    );
                    continue;
                }
                Ok(None) => break,
                Err(e) => {
                    tracing::error!(line = number, error = %e, "replay file unreadable; ending this pass");
                    break;
                }
            };
            if Message::is_framed(&line) {
                match Message::decode(&line) {
                    Ok(Some(mut message)) => {
                        if let Message::Event(e) = &mut message {
                            e.time = Timestamp::from_unix_ns(e.time.unix_ns() + shift_ns);
                        }
                        if !sink.send_message(message).await {
                            return None;
                        }
                        pass.sent += 1;
                        continue;
                    }
                    Ok(None) => {}
                    Err(e) => {
                        warn_limited!("replay-bad-message", line = number, error = %e, "skipping a statscope message that cannot be read");
                        continue;
                    }
                }
            }
            let read = match serde_json::from_str::<ReadOnly>(&line) {
                Ok(r) => r.read,
                // Not a stats object: the sink counts it and says so; it has no time to wait for.
                Err(_) => Timestamp::ZERO,
            };
            if !read.is_zero() {
                let due = clock.due(read.unix_ns() + shift_ns);
                tokio::select! {
                    _ = shutdown.cancelled() => return None,
                    _ = tokio::time::sleep_until(due) => {}
                }
                let t = read.unix_ns();
                pass.span_ns = Some(
                    pass.span_ns
                        .map_or((t, t), |(lo, hi)| (lo.min(t), hi.max(t))),
                );
            }
            let text = if shift_ns == 0 {
                line
            } else {
                shift_times(&line, shift_ns)
            };
            if !sink.send_stats(&text).await {
                return None;
            }
            pass.sent += 1;
        }
        Some(pass)
    }
}

/// What one pass played: the earliest and latest real `read` recorded, and how many objects.
#[derive(Default)]
struct Pass {
    span_ns: Option<(i128, i128)>,
    sent: usize,
}

/// Maps recording time to Tokio time: the first real timestamp plays now, the rest `/ speed` later.
///
/// A `read` more than [`MAX_JUMP_NS`] after the newest one so far is a jump: it goes out at once
/// and does not move the pace (a skewed sample an hour ahead must not stall the replay for an
/// hour), unless the next sample continues from it (a gap in the recording), which then re-anchors
/// the pace there.
struct Pacer {
    speed: f64,
    origin: Option<(i128, Instant)>,
    /// The newest `read` paced so far.
    newest_ns: i128,
    /// A jump sent at once, not yet known to be a gap or a skewed sample.
    jump_ns: Option<i128>,
}

/// Recording time after the newest sample beyond which a `read` is a jump, not a pace.
const MAX_JUMP_NS: i128 = 30_000_000_000;

impl Pacer {
    fn new(speed: f64) -> Pacer {
        Pacer {
            speed,
            origin: None,
            newest_ns: i128::MIN,
            jump_ns: None,
        }
    }

    fn due(&mut self, read_ns: i128) -> Instant {
        let now = Instant::now();
        let (t0, start) = *self.origin.get_or_insert((read_ns, now));
        if self.newest_ns != i128::MIN && read_ns - self.newest_ns > MAX_JUMP_NS {
            match self.jump_ns {
                // Continuing from the last jump: a gap in the recording; pace from here on.
                Some(jump) if (read_ns - jump).abs() <= MAX_JUMP_NS => {
                    self.origin = Some((jump, now));
                    self.newest_ns = read_ns;
                    self.jump_ns = None;
                    return now;
                }
                _ => {
                    self.jump_ns = Some(read_ns);
                    return now;
                }
            }
        }
        self.jump_ns = None;
        self.newest_ns = self.newest_ns.max(read_ns);
        let offset_ns = ((read_ns - t0) as f64 / self.speed).max(0.0);
        start + Duration::from_nanos(offset_ns.min(u64::MAX as f64) as u64)
    }
}

impl Source for Replay {
    fn kind(&self) -> &'static str {
        "replay"
    }
    fn describe(&self) -> String {
        format!(
            "a replay of {} at {}× speed{}",
            self.path.display(),
            self.speed,
            if self.looped { ", looped" } else { "" }
        )
    }
    fn run(self: Box<Self>, sink: Sink, shutdown: CancellationToken) -> BoxFuture {
        Box::pin(async move {
            let viewer = sink.wait_for_viewer();
            tokio::pin!(viewer);
            // An agent's hub has its viewer from the start: the replay starts at once.
            if futures_util::FutureExt::now_or_never(viewer.as_mut()).is_none() {
                tracing::info!("the replay starts when the first viewer connects");
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = viewer => {}
                }
            }
            let mut clock = Pacer::new(self.speed);
            let mut shift_ns = 0i128;
            for pass_number in 1i128.. {
                let Some(pass) = self.play_once(&sink, &shutdown, &mut clock, shift_ns).await
                else {
                    return;
                };
                tracing::info!(objects = pass.sent, "replay pass finished");
                let (true, Some((earliest, latest))) = (self.looped, pass.span_ns) else {
                    return;
                };
                // Pass k plays the recording shifted by k × (its time span + one second).
                shift_ns = pass_number * (latest - earliest + 1_000_000_000);
            }
        })
    }
}

/// Rewrites the `read` and `preread` values of a stats object's text by `shift_ns`; Go's zero time
/// stays zero, and everything else is left byte for byte. Docker writes compact JSON
/// (`"read":"…"`), which is the form recognised.
pub fn shift_times(text: &str, shift_ns: i128) -> String {
    const KEY_TAIL: &str = "read\":\"";
    let mut out = String::with_capacity(text.len() + 8);
    let mut rest = text;
    while let Some(i) = rest.find(KEY_TAIL) {
        let is_time_key = rest[..i].ends_with('"') || rest[..i].ends_with("\"pre");
        let value_start = i + KEY_TAIL.len();
        out.push_str(&rest[..value_start]);
        rest = &rest[value_start..];
        if !is_time_key {
            continue;
        }
        let Some(end) = rest.find('"') else { break };
        let value = &rest[..end];
        match Timestamp::parse_rfc3339(value) {
            Ok(t) if !t.is_zero() => {
                out.push_str(&Timestamp::from_unix_ns(t.unix_ns() + shift_ns).to_rfc3339());
            }
            _ => out.push_str(value),
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_sample_far_ahead_goes_at_once_and_a_real_gap_re_anchors_the_pace() {
        const S: i128 = 1_000_000_000;
        let mut p = Pacer::new(2.0);
        let start = Instant::now();
        assert_eq!(p.due(100 * S), start);
        assert_eq!(
            p.due(102 * S),
            start + Duration::from_secs(1),
            "paced at 2×"
        );
        // An hour ahead: at once, and the pace is not moved by it.
        assert_eq!(p.due(3_700 * S), start);
        assert_eq!(p.due(104 * S), start + Duration::from_secs(2));
        // A gap in the recording (10 minutes): the first sample after it goes at once, the next
        // continues from it and re-anchors the pace.
        tokio::time::advance(Duration::from_secs(2)).await;
        let now = Instant::now();
        assert_eq!(p.due(704 * S), now);
        assert_eq!(
            p.due(704 * S + S / 100),
            now,
            "continues the gap's timeline: re-anchored"
        );
        assert_eq!(p.due(706 * S), now + Duration::from_secs(1));
    }

    #[test]
    fn shifting_moves_only_read_and_preread() {
        let text = r#"{"read":"2024-05-01T10:00:00.5Z","name":"/already_read","preread":"2024-05-01T09:59:59.5Z","x":{"read":"0001-01-01T00:00:00Z"}}"#;
        assert_eq!(
            shift_times(text, 60_000_000_000),
            r#"{"read":"2024-05-01T10:01:00.5Z","name":"/already_read","preread":"2024-05-01T10:00:59.5Z","x":{"read":"0001-01-01T00:00:00Z"}}"#
        );
        assert_eq!(shift_times("no times here", 5), "no times here");
    }
}
