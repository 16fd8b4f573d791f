//! Live redraws that never hold the main thread for more than a frame: the chart is drawn part by
//! part ([`chart::Part`]) into a canvas outside the document over as many animation frames as it
//! takes, then copied onto the page's canvas in one `drawImage`. Until then the page shows the
//! previous chart, whole.
//!
//! Why: without a GPU, Chromium rasterizes a canvas's recorded commands on the main thread. A
//! thousand curves of 300 points cost ~20 ms of drawing calls and ~30 ms of rasterization; drawn
//! in one go that is a ~50 ms task, which drops frames and is what a "long task" is. Here each
//! animation frame draws curves until [`STEP_BUDGET_MS`] is spent, then has the browser rasterize
//! them at once (a one-pixel `getImageData`), so a step costs about twice its budget. Small charts
//! finish in their first step, in the same frame; a large one shows its legend and tooltip on the
//! frame after the one that shows the chart.
//!
//! How often: new data starts a redraw at most every [`DATA_REDRAW_MS`], and no more often than
//! keeps redrawing under [`REDRAW_SHARE`] of the main thread, by the last redraw's measured cost.
//! The viewer's actions start one on the next frame (or when the one in progress is done). When
//! only the cursor moves, [`cursor`] copies the chart back from the offscreen canvas (which holds it
//! without the cursor) and draws the cursor over it: no redraw.
//!
//! `Dashboard.redraw()` and the PNG export still draw at once, straight onto the page's canvas.

use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

use crate::chart::{self, ChartView, Part, PlotRect, Theme};
use crate::web::{document, now_ms, theme, tz_offset, window, Inner};
use crate::web_ui;

/// New data redraws the chart at most this often (ms). Docker samples each container once a second:
/// four redraws a second keep the curves moving smoothly without drawing the same pixels again and
/// again.
pub(crate) const DATA_REDRAW_MS: f64 = 250.0;

/// Drawing for new data may take at most this share of the main thread (by the last redraw's cost).
const REDRAW_SHARE: f64 = 0.1;

/// New data is drawn at least this often (ms), however costly the last redraw was (a slow one may
/// have been a hiccup of the machine).
const DATA_REDRAW_MAX_MS: f64 = 2000.0;

/// Drawing calls per animation frame, ms; the rasterization they cause comes on top.
const STEP_BUDGET_MS: f64 = 4.0;

/// Curves drawn between two looks at the clock.
const CURVES_PER_CHECK: usize = 24;

/// A redraw expected to take less than this (ms, drawing and rasterizing) is drawn in one frame.
const WHOLE_FRAME_MS: f64 = 8.0;

/// What a point of a curve costs to draw and rasterize before any redraw was measured, ms: ~60 ms
/// for 1,000 curves of 300 points on a 1248×496 canvas here (no GPU).
const FIRST_GUESS_MS_PER_POINT: f64 = 0.0002;

/// The offscreen canvas and the redraw in progress.
#[derive(Default)]
pub(crate) struct Painter {
    back: Option<(HtmlCanvasElement, CanvasRenderingContext2d)>,
    job: Option<Job>,
    /// A redraw shown on the last frame whose legend and tooltip are still to update (next frame).
    after: Option<Theme>,
    /// Main-thread ms the last finished redraw took, all its steps together.
    last_cost_ms: f64,
    /// Animation frames the last finished redraw took.
    pub(crate) last_steps: u32,
    /// The longest of them, main-thread ms.
    pub(crate) last_longest_step_ms: f64,
    /// What a curve's point cost in the last redraw drawn over several frames, ms.
    ms_per_point: Option<f64>,
    /// The chart on the page, as the offscreen canvas holds it without the cursor: when only the
    /// cursor moves, it is copied back and the cursor drawn anew over it.
    shown: Option<Shown>,
}

struct Shown {
    view: ChartView,
    theme: Theme,
    dpr: f64,
    size: (u32, u32),
}

struct Job {
    view: ChartView,
    theme: Theme,
    dpr: f64,
    size: (u32, u32),
    /// The part to draw next; `None` once the overlay is drawn.
    next: Option<Part>,
    rect: PlotRect,
    spent_ms: f64,
    steps: u32,
    longest_step_ms: f64,
    /// Points on the curves, for the cost per point.
    points: usize,
    /// Drawing time per frame, ms (infinite: all in one frame).
    budget_ms: f64,
}

impl Painter {
    pub(crate) fn busy(&self) -> bool {
        self.job.is_some() || self.after.is_some()
    }

    /// Drops the redraw in progress (a synchronous draw replaces it).
    pub(crate) fn cancel(&mut self) {
        self.job = None;
        self.after = None;
        self.shown = None;
    }

    /// How long new data waits after the last redraw started.
    pub(crate) fn data_interval_ms(&self) -> f64 {
        (self.last_cost_ms / REDRAW_SHARE).clamp(DATA_REDRAW_MS, DATA_REDRAW_MAX_MS)
    }

    pub(crate) fn last_cost_ms(&self) -> f64 {
        self.last_cost_ms
    }
}

/// The canvas's backing store for its CSS box × `devicePixelRatio`: `(dpr, width, height)`, or
/// `None` while it is not displayed.
pub(crate) fn target_size(canvas: &HtmlCanvasElement) -> Result<Option<(f64, u32, u32)>, JsValue> {
    let dpr = window()?.device_pixel_ratio().max(0.5);
    let rect = canvas.get_bounding_client_rect();
    let (css_w, css_h) = (rect.width(), rect.height());
    if css_w < 1.0 || css_h < 1.0 {
        return Ok(None);
    }
    Ok(Some((
        dpr,
        (css_w * dpr).round() as u32,
        (css_h * dpr).round() as u32,
    )))
}

fn context(canvas: &HtmlCanvasElement) -> Result<CanvasRenderingContext2d, JsValue> {
    canvas
        .get_context("2d")?
        .ok_or_else(|| JsValue::from_str("the canvas has no 2D context"))?
        .dyn_into()
        .map_err(|_| JsValue::from_str("not a 2D context"))
}

/// Takes the view now (what the redraw will show) and draws its first step.
pub(crate) fn start(i: &mut Inner) -> Result<(), JsValue> {
    let Some((dpr, w, h)) = target_size(&i.canvas)? else {
        i.core.mark_drawn();
        return Ok(());
    };
    if i.painter.back.is_none() {
        let canvas: HtmlCanvasElement = document()?.create_element("canvas")?.unchecked_into();
        let ctx = context(&canvas)?;
        i.painter.back = Some((canvas, ctx));
    }
    if let Some((back, _)) = &i.painter.back {
        if back.width() != w || back.height() != h {
            back.set_width(w);
            back.set_height(h);
        }
    }
    let started = now_ms();
    let view = i.core.view_at_width(tz_offset(), w as usize);
    i.core.mark_drawn();
    i.urgent = false;
    i.last_draw_ms = started;
    let points: usize = view
        .series
        .iter()
        .flat_map(|s| &s.segments)
        .map(Vec::len)
        .sum();
    let per_point = i.painter.ms_per_point.unwrap_or(FIRST_GUESS_MS_PER_POINT);
    let budget_ms = if points as f64 * per_point < WHOLE_FRAME_MS {
        f64::INFINITY
    } else {
        STEP_BUDGET_MS
    };
    i.painter.job = Some(Job {
        view,
        theme: theme(i),
        dpr,
        size: (w, h),
        next: Some(Part::Frame),
        rect: PlotRect::default(),
        spent_ms: now_ms() - started,
        steps: 1,
        longest_step_ms: now_ms() - started,
        points,
        budget_ms,
    });
    if now_ms() - started < budget_ms {
        // Time left in this frame: the first step counts from the view's start.
        if let Some(job) = i.painter.job.as_mut() {
            job.spent_ms = 0.0;
            job.longest_step_ms = 0.0;
            job.steps = 0;
        }
        return step_from(i, started);
    }
    Ok(())
}

/// Draws the redraw in progress for about [`STEP_BUDGET_MS`]; when it is complete, shows it.
pub(crate) fn step(i: &mut Inner) -> Result<(), JsValue> {
    if i.painter.job.is_none() {
        // The frame after a redraw was shown: its legend, tooltip and table.
        let Some(theme) = i.painter.after.take() else {
            return Ok(());
        };
        let t0 = now_ms();
        let result = web_ui::after_draw(i, &theme);
        let spent = now_ms() - t0;
        i.painter.last_cost_ms += spent;
        i.painter.last_longest_step_ms = i.painter.last_longest_step_ms.max(spent);
        i.painter.last_steps += 1;
        return result;
    }
    step_from(i, now_ms())
}

/// [`step`], in a frame whose work began at `t0`.
fn step_from(i: &mut Inner, t0: f64) -> Result<(), JsValue> {
    let (Some(job), Some((back, back_ctx))) = (i.painter.job.as_mut(), i.painter.back.as_ref())
    else {
        return Ok(());
    };
    let backend = CanvasBackend::with_canvas_object(back.clone())
        .ok_or_else(|| JsValue::from_str("the canvas has no 2D context"))?;
    let root = backend.into_drawing_area();
    let n = job.view.series.len();
    let drawn = |e| JsValue::from_str(&format!("drawing: {e}"));
    let mut drew = false;
    while let Some(part) = job.next {
        if part == Part::Overlay && drew && now_ms() - t0 >= job.budget_ms / 2.0 {
            break; // the overlay and the copy onto the page take the next frame
        }
        let (part, next) = match part {
            Part::Frame => (part, Some(Part::Curves { start: 0, end: 0 })),
            Part::Curves { start, .. } => {
                let end = (start + CURVES_PER_CHECK).min(n);
                let next = if end >= n {
                    Part::Overlay
                } else {
                    Part::Curves { start: end, end }
                };
                (Part::Curves { start, end }, Some(next))
            }
            // The cursor is never a step: it goes onto the page's canvas (see `draw_cursor`).
            Part::Overlay | Part::Cursor => (Part::Overlay, None),
        };
        let rect = chart::draw_part(&root, &job.view, &job.theme, job.dpr, part).map_err(drawn)?;
        if part == Part::Frame {
            job.rect = rect;
        }
        job.next = next;
        drew = true;
        if now_ms() - t0 >= job.budget_ms {
            break;
        }
    }
    job.steps += 1;
    if job.next.is_some() {
        // Rasterize this step's commands now, inside this frame's budget, not all at the end.
        back_ctx.get_image_data(0.0, 0.0, 1.0, 1.0)?;
        job.spent_ms += now_ms() - t0;
        job.longest_step_ms = job.longest_step_ms.max(now_ms() - t0);
        return Ok(());
    }
    let Some(mut job) = i.painter.job.take() else {
        return Ok(());
    };
    let (w, h) = job.size;
    if i.canvas.width() != w || i.canvas.height() != h {
        i.canvas.set_width(w);
        i.canvas.set_height(h);
    }
    context(&i.canvas)?.draw_image_with_html_canvas_element(back, 0.0, 0.0)?;
    // The cursor where it is now (it may have moved while this was drawn), on the page only.
    job.view.cursor = i.core.cursor_on(&job.view.series, job.view.x_range);
    i.core.mark_cursor_drawn();
    draw_cursor(i, &job.view, &job.theme, job.dpr)?;
    i.plot = job.rect;
    i.plot_range = job.view.x_range;
    i.line_px = job
        .view
        .line_width
        .map_or(1.0, |w| (w * job.dpr).round().max(1.0));
    i.scale = job.dpr;
    i.redraws += 1;
    i.painter.last_steps = job.steps;
    let mut result = Ok(());
    if now_ms() - t0 < job.budget_ms / 2.0 {
        result = web_ui::after_draw(i, &job.theme);
    } else {
        i.painter.after = Some(job.theme.clone());
    }
    let last = now_ms() - t0;
    i.painter.last_longest_step_ms = job.longest_step_ms.max(last);
    i.painter.last_cost_ms = job.spent_ms + last;
    if job.steps > 1 && job.points > 0 {
        // Drawn over several frames, so each step's rasterization was measured with it.
        i.painter.ms_per_point = Some(i.painter.last_cost_ms / job.points as f64);
    } else if job.points >= 5_000 {
        // In one frame the browser rasterizes after this task: count it as much again.
        i.painter.ms_per_point = Some(2.0 * i.painter.last_cost_ms / job.points as f64);
    }
    i.painter.shown = Some(Shown {
        view: job.view,
        theme: job.theme,
        dpr: job.dpr,
        size: job.size,
    });
    result
}

/// Draws `view`'s cursor onto the page's canvas.
fn draw_cursor(i: &Inner, view: &ChartView, theme: &Theme, dpr: f64) -> Result<(), JsValue> {
    if view.cursor.is_none() {
        return Ok(());
    }
    let backend = CanvasBackend::with_canvas_object(i.canvas.clone())
        .ok_or_else(|| JsValue::from_str("the canvas has no 2D context"))?;
    let root = backend.into_drawing_area();
    chart::draw_part(&root, view, theme, dpr, Part::Cursor)
        .map_err(|e| JsValue::from_str(&format!("drawing: {e}")))?;
    Ok(())
}

/// Only the cursor (or the focus) moved: the chart on the page is copied back from the offscreen
/// canvas, the cursor drawn over it and the tooltip updated, in a fraction of a redraw. Without a
/// chart to copy (none drawn yet, or a redraw in progress), a redraw starts instead.
pub(crate) fn cursor(i: &mut Inner) -> Result<(), JsValue> {
    if i.painter.busy() {
        return Ok(()); // the redraw in progress draws the cursor where it is when it is done
    }
    let size = (i.canvas.width(), i.canvas.height());
    let Some(mut shown) = i.painter.shown.take().filter(|s| s.size == size) else {
        return start(i);
    };
    let Some((back, _)) = i.painter.back.as_ref() else {
        return start(i);
    };
    context(&i.canvas)?.draw_image_with_html_canvas_element(back, 0.0, 0.0)?;
    shown.view.cursor = i.core.cursor_on(&shown.view.series, shown.view.x_range);
    i.core.mark_cursor_drawn();
    let drawn = draw_cursor(i, &shown.view, &shown.theme, shown.dpr);
    let after = web_ui::after_cursor(i, &shown.theme);
    i.painter.shown = Some(shown);
    drawn.and(after)
}
