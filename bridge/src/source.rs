//! Where stats come from: one trait, three sources (Docker, demo, replay).
//!
//! A source sends each Docker stats object, as its exact JSON text, to a [`Sink`] until it ends or
//! `shutdown` is cancelled. Sources handle their own errors (log, back off, retry); the server does
//! not know which one it relays.

use std::future::Future;
use std::pin::Pin;

use tokio_util::sync::CancellationToken;

use crate::hub::Sink;

/// A boxed, sendable future, what [`Source::run`] returns.
pub type BoxFuture = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// A feed of Docker stats objects.
pub trait Source: Send + 'static {
    /// `"docker"`, `"demo"` or `"replay"`: told to the log and to each client.
    fn kind(&self) -> &'static str;
    /// A line for the log and the page: where the stats come from.
    fn describe(&self) -> String;
    /// Sends stats objects to `sink` until the source ends or `shutdown` is cancelled.
    fn run(self: Box<Self>, sink: Sink, shutdown: CancellationToken) -> BoxFuture;
}
