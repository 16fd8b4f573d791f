//! statscope's page: live per-container curves in the browser, computed by
//! [`statscope_core`]'s keyed-state engine and drawn with `plotters`.
//!
//! This is the package `wasm-pack` builds from the repository root. It re-exports the core's public
//! API (`statscope::KeyedState`, `statscope::RateEngine`, `statscope::model`, …), and adds what the
//! page needs on top of it, still pure (tested natively):
//! - [`chart`]: what the chart shows and how it is drawn, generic over plotters' `DrawingBackend`.
//! - [`view`]: what the viewer chose to see: metric, CPU scale, selection, order, smoothing.
//! - [`lifecycle`]: container limits and lifecycle events from the bridge, and the curves' marks.
//! - [`dashboard`]: the page's logic without a browser: frames → micro-batches → view, legend,
//!   tooltip, export.
//! - [`reconnect`]: when to (re)connect the feed, as a pure state machine.
//! - [`paint_job`]: a chart as the bytes the page sends its paint worker.
//!
//! The browser layer (`web`: the `Dashboard` handle, WebSocket, canvas, timers) is compiled only for
//! `wasm32` and is the only code that touches `web-sys`.

pub use statscope_core::{
    docker_api, figures, idmap, keyed, metrics, model, protocol, rank, rates, report, seed, select,
    units,
};
pub use statscope_core::{
    parse_frame, parse_frame_lenient, EngineConfig, Flag, KeyedState, OsType, ParseError, Point,
    RateEngine, Stats, Timestamp,
};

use statscope_core::sorting;

pub mod chart;
pub mod dashboard;
pub mod lifecycle;
pub mod paint_job;
pub mod reconnect;
pub mod view;

#[cfg(target_arch = "wasm32")]
mod web;

#[cfg(target_arch = "wasm32")]
pub use web::{
    metrics, option_schema, Dashboard, DashboardOptions, DashboardSnapshot, DashboardStatus,
};

/// The paint worker's drawing, reachable for the browser tests (`tests/web.rs`), which check it
/// against the main thread's.
#[cfg(target_arch = "wasm32")]
#[doc(hidden)]
pub use web::{paint_offscreen, OffscreenBackend};
