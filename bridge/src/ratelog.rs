//! Logging rate-limited per cause, with a count of what was suppressed.
//!
//! A hostile peer can make the bridge refuse things as fast as it can ask (a cross-site page
//! retrying its WebSocket, wrong tokens, connections over the cap): one log line per refusal would
//! fill the disk. [`LogLimiter::check`] lets the first occurrence of a cause through, then at most
//! one per [`LogLimiter::every`], each saying how many were suppressed since the last one logged;
//! [`LogLimiter::due`] gives the counts of causes that went quiet with some still unsaid, so
//! [`say_suppressed`] can log them (the server calls it periodically). A cause is a fixed name
//! (`ws-origin-refused`), never a peer's address or anything else a peer chooses, so the table stays
//! as small as the code's list of causes — times the hosts the bridge follows, for causes about a
//! host ([`LogLimiter::check_host`]: one engine's trouble does not hide another's).
//!
//! ```ignore
//! if let Some(suppressed) = ratelog::global().check("ws-origin-refused") {
//!     tracing::warn!(%why, suppressed, "refused a WebSocket upgrade");
//! }
//! ```

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::time::Instant;

/// How often one cause may be logged, at most (after its first occurrence).
pub const DEFAULT_EVERY: Duration = Duration::from_secs(30);

/// Per-cause log gate (see the module docs).
#[derive(Debug)]
pub struct LogLimiter {
    every: Duration,
    causes: Mutex<HashMap<Key, Entry>>,
}

/// A cause, and the host it is about (`""`: none).
type Key = (&'static str, Arc<str>);

#[derive(Debug)]
struct Entry {
    last_logged: Instant,
    suppressed: u64,
}

impl LogLimiter {
    pub fn new(every: Duration) -> LogLimiter {
        LogLimiter {
            every,
            causes: Mutex::new(HashMap::new()),
        }
    }

    /// At most one line per cause per this interval.
    pub fn every(&self) -> Duration {
        self.every
    }

    /// Whether to log this occurrence of `cause`: `Some(n)` (log it, saying `n` were suppressed
    /// since the last one logged) or `None` (suppressed, and counted).
    pub fn check(&self, cause: &'static str) -> Option<u64> {
        self.check_at(cause, Instant::now())
    }

    /// [`LogLimiter::check`] for `cause` about `host` (a host the bridge follows): each host has
    /// its own budget.
    pub fn check_host(&self, cause: &'static str, host: &str) -> Option<u64> {
        self.check_host_at(cause, host, Instant::now())
    }

    /// [`LogLimiter::check`] at `now`.
    pub fn check_at(&self, cause: &'static str, now: Instant) -> Option<u64> {
        self.check_host_at(cause, "", now)
    }

    /// [`LogLimiter::check_host`] at `now`.
    pub fn check_host_at(&self, cause: &'static str, host: &str, now: Instant) -> Option<u64> {
        let mut causes = self.lock();
        let key: Key = (cause, Arc::from(host));
        match causes.get_mut(&key) {
            Some(e) if now.saturating_duration_since(e.last_logged) < self.every => {
                e.suppressed += 1;
                None
            }
            Some(e) => {
                let suppressed = std::mem::take(&mut e.suppressed);
                e.last_logged = now;
                Some(suppressed)
            }
            None => {
                causes.insert(
                    key,
                    Entry {
                        last_logged: now,
                        suppressed: 0,
                    },
                );
                Some(0)
            }
        }
    }

    /// The causes (and their hosts) with suppressed occurrences whose interval has passed, and how
    /// many: each is then counted as said (one line per cause per interval still holds).
    pub fn due_at(&self, now: Instant) -> Vec<(&'static str, Arc<str>, u64)> {
        let mut causes = self.lock();
        let mut due = Vec::new();
        causes.retain(|(cause, host), e| {
            let quiet = now.saturating_duration_since(e.last_logged) >= self.every;
            if quiet && e.suppressed > 0 {
                due.push((*cause, host.clone(), std::mem::take(&mut e.suppressed)));
                e.last_logged = now;
            }
            // A cause quiet for two intervals with nothing unsaid is forgotten: its next
            // occurrence is logged at once, as a first one.
            !(e.suppressed == 0 && now.saturating_duration_since(e.last_logged) >= self.every * 2)
        });
        due.sort_unstable();
        due
    }

    /// [`LogLimiter::due_at`] now.
    pub fn due(&self) -> Vec<(&'static str, Arc<str>, u64)> {
        self.due_at(Instant::now())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Entry>> {
        // Nothing panics while holding it; if something did, the counts are still usable.
        self.causes.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The process's limiter: logs are the process's too.
pub fn global() -> &'static LogLimiter {
    static GLOBAL: OnceLock<LogLimiter> = OnceLock::new();
    GLOBAL.get_or_init(|| LogLimiter::new(DEFAULT_EVERY))
}

/// Logs, for each cause of `limiter` that went quiet with suppressed occurrences, how many.
pub fn say_suppressed(limiter: &LogLimiter) {
    for (cause, host, suppressed) in limiter.due() {
        tracing::warn!(
            cause,
            host = &*host,
            suppressed,
            "{suppressed} more like the last {cause:?} message were not logged (at most one per {:?})",
            limiter.every()
        );
    }
}

/// `warn!` through the global limiter: `warn_limited!("cause", field = …, "message")`; the line
/// carries `suppressed`, the occurrences not logged since the last one.
#[macro_export]
macro_rules! warn_limited {
    ($cause:literal, $($rest:tt)+) => {
        if let Some(suppressed) = $crate::ratelog::global().check($cause) {
            tracing::warn!(cause = $cause, suppressed, $($rest)+);
        }
    };
}

/// `info!` through the global limiter (see [`warn_limited!`]).
#[macro_export]
macro_rules! info_limited {
    ($cause:literal, $($rest:tt)+) => {
        if let Some(suppressed) = $crate::ratelog::global().check($cause) {
            tracing::info!(cause = $cause, suppressed, $($rest)+);
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_occurrence_is_logged_then_one_per_interval_with_the_count() {
        let log = LogLimiter::new(Duration::from_secs(30));
        let t0 = Instant::now();
        let at = |s: u64| t0 + Duration::from_secs(s);
        assert_eq!(log.check_at("origin", at(0)), Some(0));
        let logged: Vec<Option<u64>> = (1..=276)
            .map(|n| log.check_at("origin", t0 + Duration::from_millis(n * 36)))
            .collect();
        assert!(
            logged.iter().all(Option::is_none),
            "276 refusals in 10 s: one line"
        );
        // Another cause has its own budget.
        assert_eq!(log.check_at("token", at(5)), Some(0));
        assert_eq!(log.check_at("origin", at(29)), None);
        assert_eq!(
            log.check_at("origin", at(30)),
            Some(277),
            "the next line says how many were not logged"
        );
        assert_eq!(log.check_at("origin", at(31)), None);
        assert_eq!(log.check_at("origin", at(60)), Some(1));
        // The same cause about another host has its own budget too.
        assert_eq!(log.check_host_at("origin", "edge-1", at(61)), Some(0));
        assert_eq!(log.check_host_at("origin", "edge-1", at(62)), None);
        assert_eq!(log.check_host_at("origin", "edge-2", at(62)), Some(0));
    }

    #[test]
    fn suppressed_counts_are_said_once_the_cause_goes_quiet() {
        let log = LogLimiter::new(Duration::from_secs(30));
        let t0 = Instant::now();
        let at = |s: u64| t0 + Duration::from_secs(s);
        log.check_at("origin", at(0));
        for s in 1..=9 {
            log.check_at("origin", at(s));
        }
        log.check_at("token", at(0));
        assert!(log.due_at(at(29)).is_empty(), "not before the interval");
        assert_eq!(
            log.due_at(at(30)),
            [("origin", "".into(), 9)],
            "token had nothing unsaid"
        );
        assert!(log.due_at(at(31)).is_empty(), "said once");
        // Saying them counted as a line: the next occurrence waits for the interval again.
        assert_eq!(log.check_at("origin", at(40)), None);
        assert_eq!(log.due_at(at(60)), [("origin", "".into(), 1)]);
        // Quiet for long enough with nothing unsaid: forgotten, so logged at once next time.
        assert!(log.due_at(at(200)).is_empty());
        assert_eq!(log.check_at("origin", at(201)), Some(0));
        assert_eq!(log.check_at("token", at(201)), Some(0));
    }
}
