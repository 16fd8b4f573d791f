//! The paint worker: a dedicated module worker that draws the page's charts on an `OffscreenCanvas`.
//!
//! Without a GPU, Chromium rasterizes a canvas's drawing calls on the thread that made them; for
//! 1,000 curves that is most of a redraw's cost, and on a slow CPU more than a frame however the
//! calls are split (BENCHMARKS.md, "Smooth on any machine"). In the worker the calls and their
//! rasterization happen off the page's main thread; the page gets an `ImageBitmap` and puts it on
//! its canvas with one `drawImage`, then draws the cursor over it.
//!
//! Both sides are here:
//! - in the worker, [`paint_worker`] (exported as `paintWorker`; `paint-worker.js` calls it once the
//!   module is instantiated there) answers each job: [`paint`].
//! - on the page, [`PaintWorker`] starts the worker, posts jobs ([`PaintJob`]'s bytes, transferred)
//!   and keeps what comes back for the page's next animation frame, waking it.
//!
//! The worker is the same Wasm module, compiled once: the page posts its `WebAssembly.Module`. It is
//! created from `paint-worker.js` next to the module's glue, which the browser allows only on the
//! glue's own origin: a page that embeds statscope from another origin (or a browser without
//! `OffscreenCanvas` or module workers) draws on its main thread, and `status()` says why.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Object, Reflect, Uint8Array};
use plotters::prelude::IntoDrawingArea;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{
    DedicatedWorkerGlobalScope, ErrorEvent, ImageBitmap, MessageEvent, OffscreenCanvas, Worker,
    WorkerOptions, WorkerType,
};

use super::error::WebError;
use super::offscreen::OffscreenBackend;
use crate::chart::{self, ChartView, Theme};
use crate::paint_job::{encode_job, PaintDone, PaintJob};

// ---------------------------------------------------------------------------------------------
// In the worker.

/// Answers the page's jobs, in the paint worker (`paint-worker.js` calls it once the module is
/// instantiated there). Not for pages: `new Dashboard` starts the worker itself.
#[doc(hidden)]
#[wasm_bindgen(js_name = paintWorker)]
pub fn paint_worker() -> Result<(), JsValue> {
    let scope: DedicatedWorkerGlobalScope = js_sys::global()
        .dyn_into()
        .map_err(|_| JsValue::from_str("paintWorker runs in a dedicated worker"))?;
    let canvas: RefCell<Option<OffscreenCanvas>> = RefCell::new(None);
    let reply = scope.clone();
    let on_job = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
        let bytes = Uint8Array::new(&e.data()).to_vec();
        let message = Object::new();
        let transfer = Array::new();
        let answer =
            paint_job(&bytes, &mut canvas.borrow_mut(), worker_clock).and_then(|(d, b)| {
                let done = Uint8Array::from(&postcard::to_allocvec(&d).unwrap_or_default()[..]);
                set(&message, "done", &done)?;
                set(&message, "bitmap", &b)?;
                transfer.push(&b);
                transfer.push(&done.buffer());
                Ok(())
            });
        if let Err(e) = answer {
            let _ = set(&message, "error", &JsValue::from_str(&e.to_string()));
        }
        // Posting plain objects and a bitmap cannot fail; if it did, the page's wait for this job
        // would end at its next one.
        let _ = reply.post_message_with_transfer(&message, &transfer);
    });
    scope.set_onmessage(Some(on_job.as_ref().unchecked_ref()));
    // The handler lives as long as the worker.
    on_job.forget();
    Ok(())
}

/// `performance.now()` of a worker (which has no `window`).
fn worker_clock() -> f64 {
    Reflect::get(&js_sys::global(), &JsValue::from_str("performance"))
        .ok()
        .and_then(|p| p.dyn_into::<web_sys::Performance>().ok())
        .map_or_else(js_sys::Date::now, |p| p.now())
}

/// Draws the job in `bytes` on `canvas` (created, or resized, to the job's size) and takes the
/// picture off it, rasterized: the chart without its cursor, where its plot area landed, and the
/// ms it all took by `clock`. Runs in the worker; `tests/web.rs` runs it on the page too. An
/// error says what went wrong, in words.
pub fn paint(
    bytes: &[u8],
    canvas: &mut Option<OffscreenCanvas>,
    clock: fn() -> f64,
) -> Result<(PaintDone, ImageBitmap), String> {
    paint_job(bytes, canvas, clock).map_err(|e| e.to_string())
}

fn paint_job(
    bytes: &[u8],
    canvas: &mut Option<OffscreenCanvas>,
    clock: fn() -> f64,
) -> Result<(PaintDone, ImageBitmap), WebError> {
    let t0 = clock();
    let job = PaintJob::decode(bytes).map_err(|e| WebError::Drawing(e.to_string()))?;
    let (w, h) = job.size;
    let c = match canvas {
        Some(c) => c,
        None => canvas.insert(OffscreenCanvas::new(w, h)?),
    };
    if c.width() != w || c.height() != h {
        c.set_width(w);
        c.set_height(h);
    }
    let root = OffscreenBackend::new(c)
        .ok_or(WebError::No2d)?
        .into_drawing_area();
    let rect = chart::draw(&root, &job.view, &job.theme, job.dpr)
        .map_err(|e| WebError::Drawing(e.to_string()))?;
    drop(root);
    let bitmap = c.transfer_to_image_bitmap()?;
    let done = PaintDone {
        id: job.id,
        rect,
        worker_ms: clock() - t0,
    };
    Ok((done, bitmap))
}

fn set(target: &Object, key: &str, value: &JsValue) -> Result<(), WebError> {
    Reflect::set(target, &JsValue::from_str(key), value)?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// On the page.

/// Where the worker is.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) enum WorkerState {
    /// Started; not answering yet (the page draws on its main thread meanwhile).
    #[default]
    Starting,
    Ready,
    /// It cannot draw: why, in the browser's words. The page draws on its main thread.
    Failed(String),
}

/// A chart the worker drew.
pub(crate) struct Answer {
    pub(crate) done: PaintDone,
    pub(crate) bitmap: ImageBitmap,
}

#[derive(Default)]
struct Inbox {
    state: WorkerState,
    answer: Option<Answer>,
}

/// The page's side of the paint worker.
pub(crate) struct PaintWorker {
    worker: Worker,
    inbox: Rc<RefCell<Inbox>>,
    next_id: u32,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(ErrorEvent)>,
}

impl PaintWorker {
    /// Starts the worker; `wake` is called (from the event loop) whenever it has news: ready,
    /// failed, or a chart drawn. An error when this browser or page cannot have one.
    pub(crate) fn spawn(wake: Rc<dyn Fn()>) -> Result<PaintWorker, WebError> {
        let global = js_sys::global();
        for api in ["OffscreenCanvas", "Worker", "createImageBitmap"] {
            if !Reflect::has(&global, &JsValue::from_str(api)).unwrap_or(false) {
                return Err(WebError::Js(format!("this browser has no {api}")));
            }
        }
        let url = wasm_bindgen::link_to!(module = "/src/web/paint-worker.js");
        let options = WorkerOptions::new();
        options.set_type(WorkerType::Module);
        options.set_name("statscope-paint");
        let worker = Worker::new_with_options(&url, &options)?;
        let inbox = Rc::new(RefCell::new(Inbox::default()));
        let on_message = {
            let (inbox, wake) = (inbox.clone(), wake.clone());
            Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
                receive(&mut inbox.borrow_mut(), &e.data());
                wake();
            })
        };
        let on_error = {
            let (inbox, wake) = (inbox.clone(), wake);
            Closure::<dyn FnMut(ErrorEvent)>::new(move |e: ErrorEvent| {
                let why = e.message();
                let why = if why.is_empty() {
                    "its script did not load".to_string()
                } else {
                    why
                };
                inbox.borrow_mut().state = WorkerState::Failed(format!("paint worker: {why}"));
                wake();
            })
        };
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        let first = Object::new();
        set(&first, "module", &wasm_bindgen::module())?;
        worker.post_message(&first)?;
        Ok(PaintWorker {
            worker,
            inbox,
            next_id: 0,
            _on_message: on_message,
            _on_error: on_error,
        })
    }

    pub(crate) fn state(&self) -> WorkerState {
        self.inbox.borrow().state.clone()
    }

    /// Sends a chart to draw (its cursor stays here); returns the job's id.
    pub(crate) fn post(
        &mut self,
        view: &ChartView,
        theme: &Theme,
        dpr: f64,
        size: (u32, u32),
    ) -> Result<u32, WebError> {
        self.next_id = self.next_id.wrapping_add(1);
        let bytes = Uint8Array::from(&encode_job(self.next_id, view, theme, dpr, size)[..]);
        self.worker
            .post_message_with_transfer(&bytes, &Array::of1(&bytes.buffer()))?;
        Ok(self.next_id)
    }

    /// The chart drawn for job `id`, once it is here. An answer to an earlier job (one cancelled
    /// since) is dropped, its bitmap closed.
    pub(crate) fn take(&self, id: u32) -> Option<Answer> {
        let answer = self.inbox.borrow_mut().answer.take()?;
        if answer.done.id == id {
            Some(answer)
        } else {
            answer.bitmap.close();
            None
        }
    }
}

/// What the worker said, into the inbox.
fn receive(inbox: &mut Inbox, data: &JsValue) {
    let get = |key: &str| Reflect::get(data, &JsValue::from_str(key)).unwrap_or_default();
    if get("ready").is_truthy() {
        inbox.state = WorkerState::Ready;
    } else if let Some(why) = get("failed").as_string() {
        inbox.state = WorkerState::Failed(format!("paint worker: {why}"));
    } else if let Some(why) = get("error").as_string() {
        // A chart it could not draw is a bug, not a busy worker: the main thread takes over.
        inbox.state = WorkerState::Failed(format!("paint worker: {why}"));
    } else if let (Some(done), Ok(bitmap)) = (
        get("done").dyn_ref::<Uint8Array>().map(Uint8Array::to_vec),
        get("bitmap").dyn_into::<ImageBitmap>(),
    ) {
        match postcard::from_bytes::<PaintDone>(&done) {
            Ok(done) => {
                if let Some(old) = inbox.answer.replace(Answer { done, bitmap }) {
                    old.bitmap.close();
                }
            }
            Err(e) => {
                bitmap.close();
                inbox.state = WorkerState::Failed(format!("paint worker: answer unreadable: {e}"));
            }
        }
    }
}

impl Drop for PaintWorker {
    fn drop(&mut self) {
        self.worker.set_onmessage(None);
        self.worker.set_onerror(None);
        self.worker.terminate();
        if let Some(answer) = self.inbox.borrow_mut().answer.take() {
            answer.bitmap.close();
        }
    }
}
