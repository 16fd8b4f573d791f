//! statscope: live per-container CPU curves from Docker Engine stats, computed by a keyed-state
//! streaming engine that runs natively and in WebAssembly.
//!
//! The platform-free core, which does no I/O, reads no clock and knows no browser:
//! - [`keyed`]: [`KeyedState`], Spark Streaming's `updateStateByKey`, typed.
//! - [`model`]: the Docker Engine stats object ([`Stats`]) as `serde` types.
//! - [`figures`]: the docker CLI's per-sample formulas and its printed strings (`docker stats`).
//! - [`rates`]: the derivative engine: counters → rates per container with bounded memory.
//! - [`report`]: the CSV rows of `statscope stats --format csv` (and of the page's export).
//! - [`idmap`]: [`idmap::IdMap`] and [`idmap::IdSet`], sorted `Vec`s keyed by container ID.
//! - [`units`]: Go's `%g` and go-units' byte sizes, so strings match the docker CLI to the letter.
//! - [`seed`]: the blog post's two updaters that started the project, with their meaning kept.
//! - [`chart`]: what the chart shows and how it is drawn, generic over plotters' `DrawingBackend`.
//! - [`view`]: what the viewer chose to see: metric, CPU scale, selection, order, smoothing.
//! - [`lifecycle`]: container limits and lifecycle events from the bridge, and the curves' marks.
//! - [`dashboard`]: the page's logic without a browser: frames → micro-batches → view, legend,
//!   tooltip, export.
//! - [`reconnect`]: when to (re)connect the feed, as a pure state machine.
//! - `sorting`: one small stable sort shared by every call site (a smaller WebAssembly binary).
//!
//! The browser layer (`web`: the `Dashboard` handle, WebSocket, canvas, timers) is compiled only for
//! `wasm32` and is the only module that touches `web-sys`.

pub mod chart;
pub mod dashboard;
pub mod figures;
pub mod idmap;
pub mod keyed;
pub mod lifecycle;
pub mod model;
pub mod rates;
pub mod reconnect;
pub mod report;
pub mod seed;
mod sorting;
pub mod units;
pub mod view;

#[cfg(target_arch = "wasm32")]
mod web;
#[cfg(target_arch = "wasm32")]
mod web_paint;
#[cfg(target_arch = "wasm32")]
mod web_ui;

pub use keyed::KeyedState;
pub use model::{parse_frame, parse_frame_lenient, OsType, ParseError, Stats, Timestamp};
pub use rates::{EngineConfig, Flag, Point, RateEngine};
#[cfg(target_arch = "wasm32")]
pub use web::{Dashboard, DashboardOptions, DashboardSnapshot, DashboardStatus};
