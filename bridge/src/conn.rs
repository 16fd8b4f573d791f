//! The server's connections, capped in total and per peer address, so that a crowd of idle or
//! half-open connections cannot use up the bridge's file descriptors and memory, and a fresh client
//! still gets in.
//!
//! [`Registry::admit`] is asked for every accepted connection. Within the caps it admits it. At a
//! cap it first makes room by closing the oldest **idle** connection (of that peer, at the
//! per-peer cap; of anyone, at the total cap): one that has no request in flight and is not a
//! WebSocket — a connection that never finished sending a request, or a keep-alive one between
//! requests (a browser opens a new one without a word). Only when every connection at the cap is
//! busy or a WebSocket is the new one refused ([`Refusal`]). So an attacker holding idle
//! connections cannot keep a viewer out, and at most [`ConnLimits::max_per_peer`] WebSockets come
//! from one address.
//!
//! A connection's [`Ticket`] travels with its socket ([`CountedIo`]) — through an upgrade to a
//! WebSocket too — and gives its slot back when the socket is dropped, however that happens.
//! Its [`ConnState`] is put into each request's extensions, so a handler can mark the connection
//! as a WebSocket (never closed to make room).

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_util::sync::CancellationToken;

/// The caps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnLimits {
    /// Connections open at once, HTTP and WebSocket.
    pub max_total: usize,
    /// Connections open at once from one peer address.
    pub max_per_peer: usize,
}

impl Default for ConnLimits {
    fn default() -> Self {
        ConnLimits {
            max_total: 512,
            max_per_peer: 128,
        }
    }
}

const IDLE: u8 = 0;
const BUSY: u8 = 1;
const WEBSOCKET: u8 = 2;

/// What one connection is doing: idle, serving a request, or a WebSocket. In each request's
/// extensions.
#[derive(Clone, Debug, Default)]
pub struct ConnState(Arc<AtomicU8>);

impl ConnState {
    /// A request arrived.
    pub fn begin_request(&self) {
        let _ = self
            .0
            .compare_exchange(IDLE, BUSY, Ordering::AcqRel, Ordering::Acquire);
    }

    /// Its response was made; a WebSocket stays one.
    pub fn end_request(&self) {
        let _ = self
            .0
            .compare_exchange(BUSY, IDLE, Ordering::AcqRel, Ordering::Acquire);
    }

    /// The connection became a WebSocket: never closed to make room.
    pub fn mark_websocket(&self) {
        self.0.store(WEBSOCKET, Ordering::Release);
    }

    fn is_idle(&self) -> bool {
        self.0.load(Ordering::Acquire) == IDLE
    }
}

/// Why a connection was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// [`ConnLimits::max_total`] connections are open, none idle.
    Total,
    /// [`ConnLimits::max_per_peer`] connections are open from this address, none idle.
    PerPeer,
}

/// The open connections (see the module docs).
#[derive(Debug)]
pub struct Registry {
    limits: ConnLimits,
    inner: Mutex<Inner>,
    evicted: AtomicU64,
}

#[derive(Debug, Default)]
struct Inner {
    next_id: u64,
    /// By admission order: the first idle one found is the oldest.
    open: BTreeMap<u64, Slot>,
    per_peer: HashMap<IpAddr, usize>,
}

#[derive(Debug)]
struct Slot {
    peer: IpAddr,
    state: ConnState,
    close: CancellationToken,
}

impl Inner {
    /// Removes a slot (once), giving its place back.
    fn remove(&mut self, id: u64) -> Option<Slot> {
        let slot = self.open.remove(&id)?;
        if let Some(n) = self.per_peer.get_mut(&slot.peer) {
            *n -= 1;
            if *n == 0 {
                self.per_peer.remove(&slot.peer);
            }
        }
        Some(slot)
    }

    /// Closes the oldest idle connection (of `peer`, if given) to make room.
    fn evict_oldest_idle(&mut self, peer: Option<IpAddr>) -> bool {
        let victim = self
            .open
            .iter()
            .find(|(_, s)| peer.is_none_or(|p| s.peer == p) && s.state.is_idle())
            .map(|(id, _)| *id);
        match victim.and_then(|id| self.remove(id)) {
            Some(slot) => {
                slot.close.cancel();
                true
            }
            None => false,
        }
    }
}

impl Registry {
    pub fn new(limits: ConnLimits) -> Arc<Registry> {
        Arc::new(Registry {
            limits,
            inner: Mutex::new(Inner::default()),
            evicted: AtomicU64::new(0),
        })
    }

    pub fn limits(&self) -> ConnLimits {
        self.limits
    }

    /// Admits a connection from `peer`, closing an idle one to make room at a cap; refuses it when
    /// none is idle.
    pub fn admit(self: &Arc<Self>, peer: IpAddr) -> Result<Ticket, Refusal> {
        let mut inner = self.lock();
        let from_peer = inner.per_peer.get(&peer).copied().unwrap_or(0);
        if from_peer >= self.limits.max_per_peer {
            if !inner.evict_oldest_idle(Some(peer)) {
                return Err(Refusal::PerPeer);
            }
            self.evicted.fetch_add(1, Ordering::Relaxed);
        }
        if inner.open.len() >= self.limits.max_total {
            if !inner.evict_oldest_idle(None) {
                return Err(Refusal::Total);
            }
            self.evicted.fetch_add(1, Ordering::Relaxed);
        }
        let id = inner.next_id;
        inner.next_id += 1;
        let state = ConnState::default();
        let close = CancellationToken::new();
        inner.open.insert(
            id,
            Slot {
                peer,
                state: state.clone(),
                close: close.clone(),
            },
        );
        *inner.per_peer.entry(peer).or_insert(0) += 1;
        Ok(Ticket {
            id,
            registry: self.clone(),
            state,
            close,
        })
    }

    /// Connections open now.
    pub fn open(&self) -> usize {
        self.lock().open.len()
    }

    /// Connections open now from `peer`.
    pub fn open_from(&self, peer: IpAddr) -> usize {
        self.lock().per_peer.get(&peer).copied().unwrap_or(0)
    }

    /// Idle connections closed to make room, so far.
    pub fn evicted(&self) -> u64 {
        self.evicted.load(Ordering::Relaxed)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // Nothing panics while holding it; if something did, the table is still consistent.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// One admitted connection's place; given back when dropped.
#[derive(Debug)]
pub struct Ticket {
    id: u64,
    registry: Arc<Registry>,
    state: ConnState,
    close: CancellationToken,
}

impl Ticket {
    /// What the connection is doing (put it into each request's extensions).
    pub fn state(&self) -> ConnState {
        self.state.clone()
    }

    /// Cancelled when the registry closes this connection to make room.
    pub fn closed(&self) -> CancellationToken {
        self.close.clone()
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.registry.lock().remove(self.id);
    }
}

/// A socket carrying its [`Ticket`]: the connection's place is held exactly as long as the socket.
#[derive(Debug)]
pub struct CountedIo<T> {
    io: T,
    _ticket: Ticket,
}

impl<T> CountedIo<T> {
    pub fn new(io: T, ticket: Ticket) -> CountedIo<T> {
        CountedIo {
            io,
            _ticket: ticket,
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for CountedIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for CountedIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn caps_hold_and_places_come_back() {
        let r = Registry::new(ConnLimits {
            max_total: 4,
            max_per_peer: 2,
        });
        let a = ip("127.0.0.1");
        let b = ip("127.0.0.2");
        let a1 = r.admit(a).expect("a1");
        let a2 = r.admit(a).expect("a2");
        a1.state().begin_request();
        a2.state().mark_websocket();
        assert_eq!(
            r.admit(a).err(),
            Some(Refusal::PerPeer),
            "a is at its cap, none idle"
        );
        let b1 = r.admit(b).expect("b1");
        let b2 = r.admit(b).expect("b2");
        b1.state().mark_websocket();
        b2.state().begin_request();
        assert_eq!(r.admit(ip("10.0.0.1")).err(), Some(Refusal::Total));
        assert_eq!((r.open(), r.open_from(a), r.open_from(b)), (4, 2, 2));
        drop(b2);
        assert_eq!((r.open(), r.open_from(b)), (3, 1));
        let c = r.admit(ip("10.0.0.1")).expect("room again");
        assert_eq!(r.open(), 4);
        drop((a1, a2, b1, c));
        assert_eq!(r.open(), 0);
        assert_eq!(r.open_from(a), 0);
        assert_eq!(r.evicted(), 0);
    }

    #[test]
    fn at_a_cap_the_oldest_idle_connection_makes_room() {
        let r = Registry::new(ConnLimits {
            max_total: 3,
            max_per_peer: 2,
        });
        let attacker = ip("127.0.0.1");
        let idle1 = r.admit(attacker).expect("1");
        let idle2 = r.admit(attacker).expect("2");
        // Per peer: the attacker's oldest idle one goes.
        let idle3 = r.admit(attacker).expect("3");
        assert!(idle1.closed().is_cancelled());
        assert!(!idle2.closed().is_cancelled());
        assert_eq!(r.open_from(attacker), 2);
        // Total: a viewer from elsewhere gets in; the oldest idle connection anywhere goes.
        let viewer = r.admit(ip("127.0.0.2")).expect("viewer");
        viewer.state().mark_websocket();
        let other = r.admit(ip("127.0.0.3")).expect("other");
        assert!(idle2.closed().is_cancelled());
        assert!(!idle3.closed().is_cancelled());
        assert_eq!(r.open(), 3);
        // A request in flight is not idle; a finished one is again.
        other.state().begin_request();
        idle3.state().begin_request();
        assert_eq!(r.admit(ip("127.0.0.4")).err(), Some(Refusal::Total));
        idle3.state().end_request();
        r.admit(ip("127.0.0.4")).expect("idle3 made room");
        assert!(idle3.closed().is_cancelled());
        assert!(
            !viewer.closed().is_cancelled(),
            "a WebSocket is never closed to make room"
        );
        assert_eq!(r.evicted(), 3);
        // Dropping an evicted ticket gives nothing back twice.
        drop((idle1, idle2, idle3));
        assert_eq!(
            r.open(),
            2,
            "the viewer and other (the fourth was dropped at once)"
        );
    }
}
