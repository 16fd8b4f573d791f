//! statscope's native side: the `statscope` program's commands, as a library so tests can drive them.
//!
//! - [`stats_cmd`]: `statscope stats`, the engine on the command line (offline, docker-CLI figures).

pub mod stats_cmd;
