//! What the page sends its paint worker and what comes back (`web::worker`): one chart to draw, as
//! bytes that cross `postMessage` as a transferred `ArrayBuffer` (no copy, no structured clone of
//! 300,000 points), and the plot area it landed in.
//!
//! The encoding is `postcard` over the chart's own serde derives ([`ChartView`], [`Theme`]): one
//! schema, the chart's. A point costs 16 bytes (two `f64`, as they are: the worker must draw the
//! pixels the main thread would).

use serde::{Deserialize, Serialize};

use crate::chart::{ChartView, PlotRect, Theme};

/// One chart for the paint worker to draw.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PaintJob {
    /// Which redraw this is: the answer carries it back, and a cancelled job's answer is dropped.
    pub id: u32,
    /// What to draw, without its cursor (the page draws the cursor over the worker's chart).
    pub view: ChartView,
    pub theme: Theme,
    /// Device px per CSS px.
    pub dpr: f64,
    /// The canvas's backing store, device px.
    pub size: (u32, u32),
}

/// A job's bytes could not be read (a bug, or a worker of another build: both say so).
#[derive(Debug, thiserror::Error)]
#[error("paint job unreadable: {0}")]
pub struct JobError(#[from] postcard::Error);

/// [`PaintJob`] by reference: what the page encodes without copying its view (serde writes a
/// reference as what it refers to, so the bytes are a [`PaintJob`]'s; a test checks).
#[derive(Serialize)]
struct JobRef<'a> {
    id: u32,
    view: &'a ChartView,
    theme: &'a Theme,
    dpr: f64,
    size: (u32, u32),
}

/// The bytes of a [`PaintJob`] of these parts.
pub fn encode_job(id: u32, view: &ChartView, theme: &Theme, dpr: f64, size: (u32, u32)) -> Vec<u8> {
    let job = JobRef {
        id,
        view,
        theme,
        dpr,
        size,
    };
    // Serializing plain data into a growable Vec cannot fail.
    postcard::to_allocvec(&job).unwrap_or_default()
}

impl PaintJob {
    /// The job as bytes.
    pub fn encode(&self) -> Vec<u8> {
        encode_job(self.id, &self.view, &self.theme, self.dpr, self.size)
    }

    /// A job from [`PaintJob::encode`]'s bytes.
    pub fn decode(bytes: &[u8]) -> Result<PaintJob, JobError> {
        Ok(postcard::from_bytes(bytes)?)
    }
}

/// What the worker says back for a job (besides the picture, which travels as an `ImageBitmap`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct PaintDone {
    pub id: u32,
    /// Where the plot area landed ([`crate::chart::Placed::of`] needs it).
    pub rect: PlotRect,
    /// The worker's ms for the job: decoding, drawing and rasterizing.
    pub worker_ms: f64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::{Cursor, Dash, Mark, MarkKind, Series};
    use plotters::style::RGBColor;

    fn job(curves: usize, points: usize) -> PaintJob {
        let series = (0..curves)
            .map(|i| Series {
                id: format!("{i:012x}"),
                name: format!("web-{i} ünïcode"),
                color: RGBColor(i as u8, 2, 250),
                dash: Dash::of_slot(i),
                segments: vec![
                    (0..points)
                        .map(|p| (1.7e12 + p as f64 * 1000.0, (p as f64).sin() * 37.25))
                        .collect(),
                    vec![(1.8e12, f64::MAX)],
                ],
                smooth: vec![vec![(1.7e12, 1.5, 0.25)]],
                marks: vec![Mark {
                    t: 1.7e12,
                    y: -0.0,
                    kind: MarkKind::Restart,
                }],
                limit: (i % 2 == 0).then_some(200.0),
            })
            .collect();
        PaintJob {
            id: 7,
            view: ChartView {
                x_range: (1.7e12, 1.7e12 + 300_000.0),
                y_max: 412.5,
                y_scale: 1.0,
                y_unit: "%".into(),
                series,
                tz_offset_min: -330,
                line_width: Some(1.5),
                labels: true,
                cursor: None,
                y_title: "CPU".into(),
                x_title: "5 Dec 2026 (UTC)".into(),
                y_log: Some(0.01),
            },
            theme: Theme::dark(),
            dpr: 2.0,
            size: (2496, 992),
        }
    }

    #[test]
    fn a_job_comes_back_from_its_bytes_exactly() {
        let j = job(30, 300);
        let bytes = j.encode();
        assert_eq!(PaintJob::decode(&bytes).expect("decodes"), j);
        // Points dominate: 16 bytes each, plus little per curve.
        let points = 30 * 301;
        assert!(
            bytes.len() < points * 16 + 30 * 100,
            "{} bytes",
            bytes.len()
        );
    }

    #[test]
    fn the_bytes_are_a_paint_jobs_serialization() {
        // `encode` goes through `JobRef`: its bytes must be what serde makes of `PaintJob` itself.
        let j = job(4, 20);
        assert_eq!(j.encode(), postcard::to_allocvec(&j).expect("encodes"));
    }

    #[test]
    fn the_cursor_is_not_sent() {
        let mut j = job(2, 3);
        j.view.cursor = Some(Cursor {
            t: 1.0,
            dots: vec![(1.0, 2.0, RGBColor(1, 2, 3))],
        });
        let back = PaintJob::decode(&j.encode()).expect("decodes");
        assert_eq!(back.view.cursor, None);
        j.view.cursor = None;
        assert_eq!(back, j);
    }

    #[test]
    fn cut_or_garbled_bytes_are_an_error_not_a_panic() {
        let bytes = job(3, 10).encode();
        for cut in [0, 1, bytes.len() / 2, bytes.len() - 1] {
            assert!(PaintJob::decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let garbled: Vec<u8> = bytes.iter().map(|b| b ^ 0xA5).collect();
        // Either an error or some other job: never a panic (postcard reads lengths before
        // allocating only what the bytes hold).
        let _ = PaintJob::decode(&garbled);
        assert!(PaintJob::decode(&[0xFF; 64]).is_err());
    }

    #[test]
    fn the_answer_round_trips() {
        let done = PaintDone {
            id: 3,
            rect: PlotRect {
                left: 60.0,
                top: 10.5,
                right: 1200.0,
                bottom: 470.0,
            },
            worker_ms: 12.25,
        };
        let bytes = postcard::to_allocvec(&done).expect("encodes");
        assert_eq!(
            postcard::from_bytes::<PaintDone>(&bytes).expect("decodes"),
            done
        );
    }
}
