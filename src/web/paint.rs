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
//! How often: new data may start a redraw at most every [`DATA_REDRAW_MS`], and no more often than
//! keeps redrawing under [`REDRAW_SHARE`] of the main thread, by the last redraw's measured cost
//! ([`Painter::data_interval_ms`]; the caller decides). When only the cursor moves,
//! [`Painter::cursor`] copies the chart back from the offscreen canvas (which holds it without the
//! cursor) and draws the cursor over it: no redraw.
//!
//! Where the page has its paint worker ([`super::worker`]), a redraw is drawn there instead: the
//! view is taken and sent in one frame, and the frame after the worker's answer puts its bitmap on
//! the page and the cursor over it. The main thread only takes the view, encodes it and copies the
//! finished picture; drawing and rasterizing, the bulk of a large chart's cost, are the worker's.
//! Until the worker answers "ready", and for good when it fails (or the page has none), the main
//! thread draws as above.
//!
//! The painter takes what it draws and where as arguments and says what happened ([`Progress`]);
//! what the page does about it (the legend, the tooltip) is its owner's.

use std::rc::Rc;

use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageBitmap};

use super::dom::{document, now_ms, window};
use super::error::WebError;
use super::worker::{PaintWorker, WorkerState};
use crate::chart::{self, ChartView, Cursor, Part, Placed, PlotRect, Theme};
use crate::dashboard::{Legend, Redraw};

/// New data redraws the chart at most this often (ms). Docker samples each container once a second:
/// four redraws a second keep the curves moving smoothly without drawing the same pixels again and
/// again.
pub(crate) const DATA_REDRAW_MS: f64 = 250.0;

/// Drawing for new data may take at most this share of the main thread (by the last redraw's cost).
const REDRAW_SHARE: f64 = 0.1;

/// New data is drawn at least this often (ms), however costly the last redraw was (a slow one may
/// have been a hiccup of the machine).
const DATA_REDRAW_MAX_MS: f64 = 2000.0;

/// Drawing for new data may take at most this share of a core in the paint worker (by its last
/// chart's cost).
const WORKER_SHARE: f64 = 0.5;

/// Drawing calls per animation frame, ms; the rasterization they cause comes on top.
const STEP_BUDGET_MS: f64 = 4.0;

/// Curves drawn between two looks at the clock.
const CURVES_PER_CHECK: usize = 24;

/// A redraw expected to take less than this (ms, drawing and rasterizing) is drawn in one frame.
const WHOLE_FRAME_MS: f64 = 8.0;

/// What a point of a curve costs to draw and rasterize before any redraw was measured, ms: ~60 ms
/// for 1,000 curves of 300 points on a 1248×496 canvas here (no GPU).
const FIRST_GUESS_MS_PER_POINT: f64 = 0.0002;

/// Taking a large redraw's view (its containers' points) may take at most this much of a frame,
/// ms, measured: the rest waits for the next frame (`web::take_redraw`). A slower machine gets
/// more, smaller steps.
pub(crate) const TAKE_BUDGET_MS: f64 = 6.0;

/// Containers taken between two looks at the clock.
pub(crate) const TAKE_ROWS: usize = 25;

/// Main-thread work a redraw cost before the painter got it: taking its view over earlier frames.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Taken {
    pub(crate) ms: f64,
    pub(crate) frames: u32,
    pub(crate) longest_ms: f64,
}

impl Taken {
    /// One more frame of `ms`.
    pub(crate) fn add(&mut self, ms: f64) {
        self.ms += ms;
        self.frames += 1;
        self.longest_ms = self.longest_ms.max(ms);
    }

    /// `ms` more in the last frame counted.
    fn extend(&mut self, ms: f64) {
        self.ms += ms;
        self.longest_ms += ms;
    }
}

/// The cursor for a chart: its owner's answer for the view drawn (`DashboardCore::cursor_on`).
pub(crate) type CursorFor<'a> = &'a dyn Fn(&ChartView) -> Option<Cursor>;

/// What a call did.
#[derive(Debug)]
pub(crate) enum Progress {
    /// Nothing to draw.
    Idle,
    /// A step of a redraw was drawn; more follow on the next frames.
    Drawing,
    /// The chart went onto the page in this frame. Its legend comes with it when this frame has
    /// time left for the legend and the tooltip; else it comes as [`Progress::Ui`] on the next.
    Shown(Option<Legend>),
    /// The frame after a [`Progress::Shown`] without its legend: show the legend and tooltip now.
    Ui(Legend),
}

/// The chart on the page.
pub(crate) struct Shown {
    pub(crate) view: ChartView,
    pub(crate) placed: Placed,
    theme: Theme,
    size: (u32, u32),
    /// What holds this chart without its cursor, to copy it back when only the cursor moves
    /// (`None` after a synchronous draw straight onto the page).
    copy: Option<Kept>,
}

/// Where a shown chart's copy is.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kept {
    /// The offscreen canvas (drawn on the main thread).
    Back,
    /// The paint worker's bitmap.
    Bitmap,
}

/// The offscreen canvas, the redraw in progress and what the last ones cost.
#[derive(Default)]
pub(crate) struct Painter {
    back: Option<(HtmlCanvasElement, CanvasRenderingContext2d)>,
    job: Option<Job>,
    /// The legend of a redraw shown on the last frame, still to be shown (next frame).
    after: Option<Legend>,
    /// Main-thread ms the last finished redraw took, all its steps together.
    last_cost_ms: f64,
    /// Animation frames the last finished redraw took.
    last_steps: u32,
    /// The longest of them, main-thread ms.
    last_longest_step_ms: f64,
    /// The frame that showed the chart, ms (its legend may have been shown in it too).
    last_step_ms: f64,
    /// What a curve's point cost in the last redraw drawn over several frames, ms.
    ms_per_point: Option<f64>,
    shown: Option<Shown>,
    /// Start a paint worker at the first live redraw, and wake the page with this.
    wanted: Option<Rc<dyn Fn()>>,
    /// The paint worker, while the page has one that has not failed.
    worker: Option<PaintWorker>,
    /// Why the main thread draws although the page asked for the worker.
    fallback: Option<String>,
    /// The redraw the worker is drawing.
    sent: Option<Sent>,
    /// The worker's last chart, which the cursor is drawn over.
    bitmap: Option<ImageBitmap>,
    /// The paint worker's ms for its last chart (0 when the main thread drew it).
    last_worker_ms: f64,
}

/// A redraw for the paint worker: what the page needs when the picture comes back.
struct Sent {
    /// The job's id once posted (the frame that took the view posts it when it has time left,
    /// else the next frame does).
    id: Option<u32>,
    view: ChartView,
    legend: Legend,
    theme: Theme,
    dpr: f64,
    size: (u32, u32),
    /// What it cost the main thread so far: taking the view, encoding and posting it.
    taken: Taken,
}

struct Job {
    view: ChartView,
    legend: Legend,
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
    /// Draws in a paint worker once it is ready; `wake` brings the page's next animation frame
    /// (the worker calls it when it has news). `now`: start it now (a dashboard with a feed: it is
    /// ready before the data is); else at the first live redraw (a dashboard that is only fed and
    /// exported, or drawn by `redraw()`, never starts one). Until it is ready the main thread
    /// draws; where the page cannot have one it keeps drawing, and [`Self::painter`] says why.
    pub(crate) fn use_worker(&mut self, wake: Rc<dyn Fn()>, now: bool) {
        self.wanted = Some(wake);
        if now {
            self.spawn_worker();
        }
    }

    /// Starts the worker asked for, once.
    fn spawn_worker(&mut self) {
        if let Some(wake) = self.wanted.take() {
            match PaintWorker::spawn(wake) {
                Ok(worker) => self.worker = Some(worker),
                Err(why) => self.fallback = Some(format!("no paint worker: {why}")),
            }
        }
    }

    /// Who draws: `"worker"` or `"main"`, and why the main thread does when a worker was asked
    /// for (still starting, or what failed).
    pub(crate) fn painter(&self) -> (&'static str, Option<String>) {
        match self.worker.as_ref().map(PaintWorker::state) {
            Some(WorkerState::Ready) => ("worker", None),
            Some(WorkerState::Starting) => ("main", Some("paint worker starting".into())),
            Some(WorkerState::Failed(why)) => ("main", Some(why)),
            None if self.wanted.is_some() => ("main", Some("paint worker not started yet".into())),
            None => ("main", self.fallback.clone()),
        }
    }

    /// A redraw is in progress (or its legend is still to come).
    pub(crate) fn busy(&self) -> bool {
        self.job.is_some() || self.after.is_some() || self.sent.is_some()
    }

    /// The redraw in progress is the paint worker's: nothing to do until it answers (it wakes the
    /// page), but the cursor may move over the chart shown meanwhile.
    pub(crate) fn waiting(&self) -> bool {
        self.sent.as_ref().is_some_and(|s| s.id.is_some())
            && self.job.is_none()
            && self.after.is_none()
    }

    /// Drops the redraw in progress and forgets the chart shown (a synchronous draw replaces it).
    pub(crate) fn cancel(&mut self) {
        self.job = None;
        self.after = None;
        self.shown = None;
        // The worker's answer to it, when it comes, is dropped for its id.
        self.sent = None;
    }

    /// How long new data waits after the last redraw started.
    pub(crate) fn data_interval_ms(&self) -> f64 {
        let main = self.last_cost_ms / REDRAW_SHARE;
        let worker = self.last_worker_ms / WORKER_SHARE;
        main.max(worker).clamp(DATA_REDRAW_MS, DATA_REDRAW_MAX_MS)
    }

    /// The paint worker's ms for its last chart (0 when the main thread drew the last one).
    pub(crate) fn last_worker_ms(&self) -> f64 {
        self.last_worker_ms
    }

    /// Main-thread ms of the last live redraw, the animation frames it took and the longest.
    pub(crate) fn last_cost(&self) -> (f64, u32, f64) {
        (
            self.last_cost_ms,
            self.last_steps,
            self.last_longest_step_ms,
        )
    }

    /// The chart on the page, if the painter knows it.
    pub(crate) fn shown(&self) -> Option<&Shown> {
        self.shown.as_ref()
    }

    /// Main-thread time its owner spent on a redraw's legend and tooltip, counted in its cost: in
    /// the frame that showed the chart ([`Progress::Shown`]), or in a frame of its own
    /// ([`Progress::Ui`]).
    pub(crate) fn add_ui_cost(&mut self, ms: f64, same_frame: bool) {
        self.last_cost_ms += ms;
        let frame = if same_frame {
            self.last_step_ms += ms;
            self.last_step_ms
        } else {
            ms
        };
        self.last_longest_step_ms = self.last_longest_step_ms.max(frame);
    }

    /// Starts a live redraw of `redraw` onto `target` (`size` device px at `dpr`), and draws its
    /// first step now when this frame has time for it; `started_ms` is when the frame's work
    /// began (the view was finished then), `before` what taking it cost in earlier frames.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn start(
        &mut self,
        target: &HtmlCanvasElement,
        redraw: Redraw,
        theme: Theme,
        (dpr, size): Target,
        started_ms: f64,
        before: Taken,
        cursor: CursorFor<'_>,
    ) -> Result<Progress, WebError> {
        self.spawn_worker();
        if let Some(worker) = self.worker.as_mut() {
            match worker.state() {
                WorkerState::Ready => {
                    let spent = now_ms() - started_ms;
                    let mut taken = before;
                    taken.add(spent);
                    self.sent = Some(Sent {
                        id: None,
                        view: redraw.view,
                        legend: redraw.legend,
                        theme,
                        dpr,
                        size,
                        taken,
                    });
                    if spent < STEP_BUDGET_MS {
                        // Time left in this frame for encoding and posting it.
                        return self.post(target, started_ms, true, cursor);
                    }
                    return Ok(Progress::Drawing);
                }
                WorkerState::Failed(why) => self.retire_worker(why),
                WorkerState::Starting => {}
            }
        }
        self.start_here(
            target,
            redraw,
            theme,
            (dpr, size),
            started_ms,
            before,
            cursor,
        )
    }

    /// Encodes the redraw taken and posts it to the worker, in a frame whose work began at `t0`:
    /// the one that took the view (`same_frame`), or the next. When the worker cannot take it, the
    /// main thread draws it.
    fn post(
        &mut self,
        target: &HtmlCanvasElement,
        t0: f64,
        same_frame: bool,
        cursor: CursorFor<'_>,
    ) -> Result<Progress, WebError> {
        let (Some(worker), Some(sent)) = (self.worker.as_mut(), self.sent.as_mut()) else {
            return Ok(Progress::Idle);
        };
        let posted_from = now_ms();
        match worker.post(&sent.view, &sent.theme, sent.dpr, sent.size) {
            Ok(id) => {
                sent.id = Some(id);
                if same_frame {
                    sent.taken.extend(now_ms() - posted_from);
                } else {
                    sent.taken.add(now_ms() - t0);
                }
                Ok(Progress::Drawing)
            }
            Err(why) => self.draw_sent_here(format!("paint worker: {why}"), target, t0, cursor),
        }
    }

    /// The worker cannot draw the redraw sent (`why`): it is retired, and the main thread draws
    /// that redraw from this frame (whose work began at `t0`) on.
    fn draw_sent_here(
        &mut self,
        why: String,
        target: &HtmlCanvasElement,
        t0: f64,
        cursor: CursorFor<'_>,
    ) -> Result<Progress, WebError> {
        let Some(sent) = self.sent.take() else {
            return Ok(Progress::Idle);
        };
        self.retire_worker(why);
        let redraw = Redraw {
            view: sent.view,
            legend: sent.legend,
        };
        let target_size = (sent.dpr, sent.size);
        self.start_here(
            target,
            redraw,
            sent.theme,
            target_size,
            t0,
            sent.taken,
            cursor,
        )
    }

    /// The worker failed: the main thread draws from now on, and says why.
    fn retire_worker(&mut self, why: String) {
        web_sys::console::warn_1(&format!("statscope: drawing on the main thread ({why})").into());
        self.worker = None;
        self.fallback = Some(why);
        self.sent = None;
    }

    /// [`Self::start`] on the main thread.
    #[allow(clippy::too_many_arguments)]
    fn start_here(
        &mut self,
        target: &HtmlCanvasElement,
        redraw: Redraw,
        theme: Theme,
        (dpr, size): Target,
        started_ms: f64,
        before: Taken,
        cursor: CursorFor<'_>,
    ) -> Result<Progress, WebError> {
        if self.back.is_none() {
            let canvas: HtmlCanvasElement = document()?.create_element("canvas")?.unchecked_into();
            let ctx = context(&canvas)?;
            self.back = Some((canvas, ctx));
        }
        if let Some((back, _)) = &self.back {
            if back.width() != size.0 || back.height() != size.1 {
                back.set_width(size.0);
                back.set_height(size.1);
            }
        }
        let points: usize = redraw
            .view
            .series
            .iter()
            .flat_map(|s| &s.segments)
            .map(Vec::len)
            .sum();
        let per_point = self.ms_per_point.unwrap_or(FIRST_GUESS_MS_PER_POINT);
        let budget_ms = if points as f64 * per_point < WHOLE_FRAME_MS {
            f64::INFINITY
        } else {
            STEP_BUDGET_MS
        };
        let spent = now_ms() - started_ms;
        self.job = Some(Job {
            view: redraw.view,
            legend: redraw.legend,
            theme,
            dpr,
            size,
            next: Some(Part::Frame),
            rect: PlotRect::default(),
            spent_ms: before.ms + spent,
            steps: before.frames + 1,
            longest_step_ms: before.longest_ms.max(spent),
            points,
            budget_ms,
        });
        if spent < budget_ms {
            // Time left in this frame: the first step counts from the view's start.
            if let Some(job) = self.job.as_mut() {
                job.spent_ms = before.ms;
                job.longest_step_ms = before.longest_ms;
                job.steps = before.frames;
            }
            return self.step_from(target, started_ms, cursor);
        }
        Ok(Progress::Drawing)
    }

    /// Draws the redraw in progress for about [`STEP_BUDGET_MS`]; when it is complete, shows it
    /// on `target`.
    pub(crate) fn step(
        &mut self,
        target: &HtmlCanvasElement,
        cursor: CursorFor<'_>,
    ) -> Result<Progress, WebError> {
        match &self.sent {
            Some(sent) if sent.id.is_none() => return self.post(target, now_ms(), false, cursor),
            Some(_) => return self.receive(target, cursor),
            None => {}
        }
        if self.job.is_none() {
            return Ok(match self.after.take() {
                Some(legend) => {
                    self.last_steps += 1;
                    Progress::Ui(legend)
                }
                None => Progress::Idle,
            });
        }
        self.step_from(target, now_ms(), cursor)
    }

    /// The paint worker's chart, when it has come: onto the page, with the cursor over it. When
    /// the worker failed meanwhile, the main thread starts drawing the same view.
    fn receive(
        &mut self,
        target: &HtmlCanvasElement,
        cursor: CursorFor<'_>,
    ) -> Result<Progress, WebError> {
        let t0 = now_ms();
        let state = self.worker.as_ref().map(PaintWorker::state);
        let answer = match (state, &self.sent) {
            (Some(WorkerState::Ready), Some(Sent { id: Some(id), .. })) => {
                match self.worker.as_ref().and_then(|w| w.take(*id)) {
                    Some(answer) => answer,
                    None => return Ok(Progress::Drawing),
                }
            }
            (state, _) => {
                let why = match state {
                    Some(WorkerState::Failed(why)) => why,
                    _ => "paint worker gone".into(),
                };
                return self.draw_sent_here(why, target, t0, cursor);
            }
        };
        let Some(mut sent) = self.sent.take() else {
            answer.bitmap.close();
            return Ok(Progress::Idle);
        };
        let (w, h) = sent.size;
        if target.width() != w || target.height() != h {
            target.set_width(w);
            target.set_height(h);
        }
        context(target)?.draw_image_with_image_bitmap(&answer.bitmap, 0.0, 0.0)?;
        sent.view.cursor = cursor(&sent.view);
        draw_cursor(target, &sent.view, &sent.theme, sent.dpr)?;
        if let Some(old) = self.bitmap.replace(answer.bitmap) {
            old.close();
        }
        let last = now_ms() - t0;
        // The main thread's frames: the one or two that took and sent the view, and this one.
        self.last_steps = sent.taken.frames + 1;
        self.last_step_ms = last;
        self.last_longest_step_ms = sent.taken.longest_ms.max(last);
        self.last_cost_ms = sent.taken.ms + last;
        self.last_worker_ms = answer.done.worker_ms;
        let placed = Placed::of(&sent.view, answer.done.rect, sent.dpr);
        self.shown = Some(Shown {
            view: sent.view,
            placed,
            theme: sent.theme,
            size: sent.size,
            copy: Some(Kept::Bitmap),
        });
        Ok(Progress::Shown(Some(sent.legend)))
    }

    /// [`Self::step`], in a frame whose work began at `t0`.
    fn step_from(
        &mut self,
        target: &HtmlCanvasElement,
        t0: f64,
        cursor: CursorFor<'_>,
    ) -> Result<Progress, WebError> {
        let (Some(job), Some((back, back_ctx))) = (self.job.as_mut(), self.back.as_ref()) else {
            return Ok(Progress::Idle);
        };
        let backend = CanvasBackend::with_canvas_object(back.clone()).ok_or(WebError::No2d)?;
        let root = backend.into_drawing_area();
        let n = job.view.series.len();
        let drawn = |e: DrawingAreaErrorKind<_>| WebError::Drawing(e.to_string());
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
            let rect =
                chart::draw_part(&root, &job.view, &job.theme, job.dpr, part).map_err(drawn)?;
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
            return Ok(Progress::Drawing);
        }
        let Some(mut job) = self.job.take() else {
            return Ok(Progress::Idle);
        };
        let (w, h) = job.size;
        if target.width() != w || target.height() != h {
            target.set_width(w);
            target.set_height(h);
        }
        context(target)?.draw_image_with_html_canvas_element(back, 0.0, 0.0)?;
        // The cursor where it is now (it may have moved while this was drawn), on the page only.
        job.view.cursor = cursor(&job.view);
        draw_cursor(target, &job.view, &job.theme, job.dpr)?;
        self.last_steps = job.steps;
        let last = now_ms() - t0;
        self.last_step_ms = last;
        self.last_longest_step_ms = job.longest_step_ms.max(last);
        self.last_cost_ms = job.spent_ms + last;
        self.last_worker_ms = 0.0;
        if job.steps > 1 && job.points > 0 {
            // Drawn over several frames, so each step's rasterization was measured with it.
            self.ms_per_point = Some(self.last_cost_ms / job.points as f64);
        } else if job.points >= 5_000 {
            // In one frame the browser rasterizes after this task: count it as much again.
            self.ms_per_point = Some(2.0 * self.last_cost_ms / job.points as f64);
        }
        let legend_now = last < job.budget_ms / 2.0;
        let placed = Placed::of(&job.view, job.rect, job.dpr);
        self.shown = Some(Shown {
            view: job.view,
            placed,
            theme: job.theme,
            size: job.size,
            copy: Some(Kept::Back),
        });
        if legend_now {
            Ok(Progress::Shown(Some(job.legend)))
        } else {
            self.after = Some(job.legend);
            Ok(Progress::Shown(None))
        }
    }

    /// Draws `view` onto `target` at once (`Dashboard.redraw()`, the PNG export), replacing any
    /// redraw in progress; returns where it landed.
    pub(crate) fn draw_now(
        &mut self,
        target: &HtmlCanvasElement,
        view: ChartView,
        theme: Theme,
        (dpr, size): Target,
    ) -> Result<Placed, WebError> {
        self.cancel();
        if target.width() != size.0 || target.height() != size.1 {
            target.set_width(size.0);
            target.set_height(size.1);
        }
        let backend = CanvasBackend::with_canvas_object(target.clone()).ok_or(WebError::No2d)?;
        let root = backend.into_drawing_area();
        let rect =
            chart::draw(&root, &view, &theme, dpr).map_err(|e| WebError::Drawing(e.to_string()))?;
        let placed = Placed::of(&view, rect, dpr);
        self.shown = Some(Shown {
            view,
            placed,
            theme,
            size,
            copy: None,
        });
        Ok(placed)
    }

    /// Only the cursor (or the focus) moved: the chart on the page is copied back from the
    /// offscreen canvas and `cursor` (the answer for the shown view) drawn over it, in a fraction
    /// of a redraw. `false` when there is no chart to copy (none drawn, a synchronous draw, a
    /// resized canvas): a redraw must start instead.
    pub(crate) fn cursor(
        &mut self,
        target: &HtmlCanvasElement,
        cursor: CursorFor<'_>,
    ) -> Result<bool, WebError> {
        let size = (target.width(), target.height());
        let Some(shown) = self.shown.as_mut() else {
            return Ok(false);
        };
        if shown.size != size {
            return Ok(false);
        }
        match (shown.copy, &self.back, &self.bitmap) {
            (Some(Kept::Back), Some((back, _)), _) => {
                context(target)?.draw_image_with_html_canvas_element(back, 0.0, 0.0)?;
            }
            (Some(Kept::Bitmap), _, Some(bitmap)) => {
                context(target)?.draw_image_with_image_bitmap(bitmap, 0.0, 0.0)?;
            }
            _ => return Ok(false),
        }
        shown.view.cursor = cursor(&shown.view);
        draw_cursor(target, &shown.view, &shown.theme, shown.placed.dpr)?;
        Ok(true)
    }
}

/// Device px per CSS px, and a canvas's backing store in device px.
pub(crate) type Target = (f64, (u32, u32));

/// The canvas's backing store for its CSS box × `devicePixelRatio`: `(dpr, (width, height))`, or
/// `None` while it is not displayed.
pub(crate) fn target_size(canvas: &HtmlCanvasElement) -> Result<Option<Target>, WebError> {
    let dpr = window()?.device_pixel_ratio().max(0.5);
    let rect = canvas.get_bounding_client_rect();
    let (css_w, css_h) = (rect.width(), rect.height());
    if css_w < 1.0 || css_h < 1.0 {
        return Ok(None);
    }
    Ok(Some((
        dpr,
        ((css_w * dpr).round() as u32, (css_h * dpr).round() as u32),
    )))
}

fn context(canvas: &HtmlCanvasElement) -> Result<CanvasRenderingContext2d, WebError> {
    canvas
        .get_context("2d")?
        .ok_or(WebError::No2d)?
        .dyn_into()
        .map_err(|_| WebError::No2d)
}

/// Draws `view`'s cursor onto `target`.
fn draw_cursor(
    target: &HtmlCanvasElement,
    view: &ChartView,
    theme: &Theme,
    dpr: f64,
) -> Result<(), WebError> {
    if view.cursor.is_none() {
        return Ok(());
    }
    let backend = CanvasBackend::with_canvas_object(target.clone()).ok_or(WebError::No2d)?;
    let root = backend.into_drawing_area();
    chart::draw_part(&root, view, theme, dpr, Part::Cursor)
        .map_err(|e| WebError::Drawing(e.to_string()))?;
    Ok(())
}
