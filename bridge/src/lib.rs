//! statscope's native side: the `statscope` program's commands, as a library so tests can drive them.
//!
//! - [`stats_cmd`]: `statscope stats`, the engine on the command line (offline, docker-CLI figures).
//! - [`server`]: `statscope serve`, the WebSocket relay and static files, fed by a [`source::Source`]:
//!   [`docker`] (a Docker Engine), [`demo`] (simulated containers) or [`replay`] (a recording).
//! - Reaching engines: [`endpoint`] (which engines and where, as the docker CLI resolves them) and
//!   [`tls`] (TLS to `tcp://` engines, always verified).
//! - [`sources`]: which sources the flags name, shared by `serve` and `agent`.
//! - [`nats`]: the fleet on NATS JetStream: `statscope agent` ([`nats::agent`]) publishes a host,
//!   `statscope serve --nats` ([`nats::fleet`]) follows every host as a source of many.
//! - [`hub`]: batching objects into frames and fanning them out without letting anyone wait.
//! - Bounds on outside input and on clients: [`lines`] (line length), [`conn`] (connection caps),
//!   and how what they cut is said: [`notice`] (to the page and the log), [`ratelog`] (the log,
//!   rate-limited per cause).

pub mod cli;
pub mod conn;
pub mod demo;
pub mod docker;
pub mod endpoint;
pub mod hub;
pub mod lines;
pub mod nats;
pub mod notice;
pub mod ratelog;
pub mod replay;
pub mod server;
pub mod source;
pub mod sources;
pub mod stats_cmd;
pub mod tls;
pub mod view;
