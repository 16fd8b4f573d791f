//! statscope's native side: the `statscope` program's commands, as a library so tests can drive them.
//!
//! - [`stats_cmd`]: `statscope stats`, the engine on the command line (offline, docker-CLI figures).
//! - [`server`]: `statscope serve`, the WebSocket relay and static files, fed by a [`source::Source`]:
//!   [`docker`] (a Docker Engine), [`demo`] (simulated containers) or [`replay`] (a recording).
//! - [`hub`]: batching objects into frames and fanning them out without letting anyone wait.

pub mod cli;
pub mod demo;
pub mod docker;
pub mod hub;
pub mod replay;
pub mod server;
pub mod source;
pub mod stats_cmd;
