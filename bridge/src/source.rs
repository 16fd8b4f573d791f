//! Where stats come from: one trait, four sources (Docker, demo, replay, and the fleet on NATS,
//! [`crate::nats::fleet`]).
//!
//! A source reads stats for one host and hands them to its [`Sink`] until it ends or `shutdown` is
//! cancelled, saying the host's state as it changes ([`Sink::set_host`]). Sources handle their own
//! errors (log, back off, retry); the server does not know which one it relays, and runs one per
//! host side by side.

use std::future::Future;
use std::pin::Pin;

use tokio_util::sync::CancellationToken;

use statscope_core::protocol::HostInfo;

use crate::hub::Sink;

/// A boxed, sendable future, what [`Source::run`] returns.
pub type BoxFuture = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// A feed of Docker stats objects.
pub trait Source: Send + 'static {
    /// `"docker"`, `"demo"` or `"replay"`: told to the log and to each client.
    fn kind(&self) -> &'static str;
    /// A line for the log and the page: where the stats come from.
    fn describe(&self) -> String;
    /// The host this source reads, as it is before [`Source::run`]: its key (which the server
    /// makes unique among its hosts), its name for people, engine and state. By default: up, named
    /// after the kind.
    fn host(&self) -> HostInfo {
        HostInfo {
            host: self.kind().to_string(),
            name: self.kind().to_string(),
            engine: self.kind().to_string(),
            describe: self.describe(),
            state: "up".to_string(),
            error: None,
        }
    }
    /// Does this source follow many hosts (the fleet on NATS), naming each itself through
    /// [`Sink::for_host`]? Then the server adds no host for it, and hands it the hub's root sink.
    fn many_hosts(&self) -> bool {
        false
    }
    /// Sends stats objects to `sink` until the source ends or `shutdown` is cancelled.
    fn run(self: Box<Self>, sink: Sink, shutdown: CancellationToken) -> BoxFuture;
}
