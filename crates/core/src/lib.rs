//! statscope's core: the engine and the Docker model, free of the outside world.
//!
//! It does no I/O, reads no clock and knows no browser or plotting library (its `Cargo.toml` has no
//! such dependency): time comes from the samples' `read` fields. The page (the root package,
//! compiled to WebAssembly) and the native program (`bridge/`) both build on it.
//!
//! - [`keyed`]: [`KeyedState`], Spark Streaming's `updateStateByKey`, typed.
//! - [`model`]: the Docker Engine stats object ([`Stats`]): time, the stats types, frames and a fast
//!   reader for the common object.
//! - [`figures`]: the docker CLI's per-sample formulas (CPU % once, for both the CLI figures and the
//!   engine) and its printed strings (`docker stats`).
//! - [`metrics`]: every metric shown, as one table (keys, labels, units, CSV columns, readers).
//! - [`rank`]: the top-N rule (which containers are "the N busiest"), once.
//! - [`rates`]: the derivative engine: counters → rates per container with bounded memory.
//! - [`report`]: the CSV rows of `statscope stats --format csv` (and of the page's export).
//! - [`protocol`]: every message statscope sends besides Docker's stats, typed, with its encoding.
//! - [`docker_api`]: what the bridge reads from the Docker Engine API besides stats (inspect, events).
//! - [`idmap`]: [`idmap::IdMap`] and [`idmap::IdSet`], sorted `Vec`s keyed by container ID.
//! - [`units`]: Go's `%g` and go-units' byte sizes, so strings match the docker CLI to the letter.
//! - [`seed`]: the blog post's two updaters that started the project, with their meaning kept.
//! - [`sorting`]: one small stable sort shared by every call site (a smaller WebAssembly binary).

pub mod docker_api;
pub mod figures;
pub mod idmap;
pub mod keyed;
pub mod metrics;
pub mod model;
pub mod protocol;
pub mod rank;
pub mod rates;
pub mod report;
pub mod seed;
pub mod select;
pub mod sorting;
pub mod units;

pub use keyed::KeyedState;
pub use model::{parse_frame, parse_frame_lenient, OsType, ParseError, Stats, Timestamp};
pub use rates::{EngineConfig, Flag, Point, RateEngine};
