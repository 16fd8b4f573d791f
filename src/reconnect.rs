//! When to (re)connect the feed: a pure state machine, so the policy is tested natively.
//!
//! The browser layer turns socket and page events into [`FeedEvent`]s and does what the returned
//! [`Action`] says; this module decides. Rules:
//! - A close or error while connecting or live schedules a retry after a jittered exponential backoff:
//!   attempt *n* waits `base × 2^(n−1)` capped at `max` (0.5 s … 30 s by default), with "equal
//!   jitter" (between half and all of it) so many pages do not reconnect in lockstep.
//! - The page coming back `online`, or the tab becoming visible, retries at once when waiting.
//! - A watchdog: live but no message for `watchdog_ms` → close the socket and reconnect (a proxy may
//!   have silently dropped the connection; the bridge sends a heartbeat message every 20 s).
//! - A successful open resets the attempt count.
//!
//! Time is passed in (`now_ms`); the jitter comes from a small seeded generator.

/// What happened to the feed or the page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FeedEvent {
    /// Start (or restart after a stop).
    Start,
    /// The socket opened.
    Opened,
    /// A message arrived.
    Message,
    /// The socket closed or failed.
    Closed,
    /// The browser says the network is back (`online`).
    Online,
    /// The tab became visible.
    Visible,
    /// A periodic timer tick (drives retries and the watchdog).
    Tick,
    /// Stop for good (`destroy`).
    Stop,
}

/// What the browser layer should do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Nothing,
    /// Open a new socket (closing any old one first).
    Connect,
    /// Close the current socket; a `Closed` event will follow.
    Close,
}

/// The feed's state, as the status indicator shows it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FeedState {
    Idle,
    Connecting,
    Live,
    /// Waiting to retry: the attempt number about to be made and when.
    Reconnecting {
        attempt: u32,
        at_ms: f64,
    },
    Stopped,
}

/// Backoff and watchdog settings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ReconnectConfig {
    pub base_ms: f64,
    pub max_ms: f64,
    /// Reconnect when live and silent this long; 0 disables the watchdog.
    pub watchdog_ms: f64,
}

impl Default for ReconnectConfig {
    fn default() -> Self {
        ReconnectConfig {
            base_ms: 500.0,
            max_ms: 30_000.0,
            watchdog_ms: 45_000.0,
        }
    }
}

/// The reconnect policy (see the module docs).
#[derive(Clone, Debug)]
pub struct Reconnect {
    config: ReconnectConfig,
    state: FeedState,
    /// Failed attempts since the last successful open.
    failures: u32,
    last_message_ms: f64,
    rng: u64,
}

impl Reconnect {
    pub fn new(config: ReconnectConfig, seed: u64) -> Reconnect {
        Reconnect {
            config,
            state: FeedState::Idle,
            failures: 0,
            last_message_ms: 0.0,
            rng: seed | 1,
        }
    }

    pub fn state(&self) -> FeedState {
        self.state
    }

    /// The delay before attempt `attempt` (1-based), before jitter.
    pub fn backoff_ms(&self, attempt: u32) -> f64 {
        let exp = attempt.saturating_sub(1).min(30);
        (self.config.base_ms * f64::from(1u32 << exp.min(20))).min(self.config.max_ms)
    }

    fn jitter(&mut self) -> f64 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        (self.rng >> 11) as f64 / (1u64 << 53) as f64
    }

    fn schedule_retry(&mut self, now_ms: f64) {
        self.failures += 1;
        let delay = self.backoff_ms(self.failures);
        let at_ms = now_ms + delay / 2.0 + self.jitter() * delay / 2.0;
        self.state = FeedState::Reconnecting {
            attempt: self.failures,
            at_ms,
        };
    }

    /// Feeds one event; returns what to do now.
    pub fn on_event(&mut self, event: FeedEvent, now_ms: f64) -> Action {
        use FeedState::*;
        match (event, self.state) {
            (FeedEvent::Stop, _) => {
                let was_open = matches!(self.state, Connecting | Live);
                self.state = Stopped;
                if was_open {
                    Action::Close
                } else {
                    Action::Nothing
                }
            }
            (_, Stopped) => Action::Nothing,
            (FeedEvent::Start, Idle | Reconnecting { .. }) => {
                self.state = Connecting;
                Action::Connect
            }
            (FeedEvent::Start, _) => Action::Nothing,
            (FeedEvent::Opened, Connecting) => {
                self.state = Live;
                self.failures = 0;
                self.last_message_ms = now_ms;
                Action::Nothing
            }
            (FeedEvent::Message, Live) => {
                self.last_message_ms = now_ms;
                Action::Nothing
            }
            (FeedEvent::Closed, Connecting | Live) => {
                self.schedule_retry(now_ms);
                Action::Nothing
            }
            (FeedEvent::Online | FeedEvent::Visible, Reconnecting { .. }) => {
                self.state = Connecting;
                Action::Connect
            }
            (FeedEvent::Tick, Reconnecting { at_ms, .. }) if now_ms >= at_ms => {
                self.state = Connecting;
                Action::Connect
            }
            (FeedEvent::Tick, Live)
                if self.config.watchdog_ms > 0.0
                    && now_ms - self.last_message_ms > self.config.watchdog_ms =>
            {
                // Silent too long: close; the close event schedules the retry.
                self.last_message_ms = now_ms;
                Action::Close
            }
            _ => Action::Nothing,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> Reconnect {
        Reconnect::new(ReconnectConfig::default(), 42)
    }

    #[test]
    fn connects_goes_live_and_resets_attempts_on_open() {
        let mut r = policy();
        assert_eq!(r.on_event(FeedEvent::Start, 0.0), Action::Connect);
        assert_eq!(r.state(), FeedState::Connecting);
        assert_eq!(r.on_event(FeedEvent::Closed, 10.0), Action::Nothing);
        assert!(matches!(
            r.state(),
            FeedState::Reconnecting { attempt: 1, .. }
        ));
        // Not yet due; then due.
        assert_eq!(r.on_event(FeedEvent::Tick, 11.0), Action::Nothing);
        assert_eq!(r.on_event(FeedEvent::Tick, 10_000.0), Action::Connect);
        assert_eq!(r.on_event(FeedEvent::Opened, 10_001.0), Action::Nothing);
        assert_eq!(r.state(), FeedState::Live);
        r.on_event(FeedEvent::Closed, 20_000.0);
        assert!(
            matches!(r.state(), FeedState::Reconnecting { attempt: 1, .. }),
            "reset after open"
        );
    }

    #[test]
    fn backoff_grows_exponentially_with_jitter_and_caps() {
        let mut r = policy();
        r.on_event(FeedEvent::Start, 0.0);
        let mut now = 0.0;
        let mut delays = Vec::new();
        for attempt in 1..=10u32 {
            r.on_event(FeedEvent::Closed, now);
            let FeedState::Reconnecting { attempt: a, at_ms } = r.state() else {
                panic!()
            };
            assert_eq!(a, attempt);
            let delay = at_ms - now;
            let nominal = r.backoff_ms(attempt);
            assert!(
                delay >= nominal / 2.0 && delay <= nominal,
                "{delay} vs {nominal}"
            );
            delays.push(delay);
            now = at_ms;
            assert_eq!(r.on_event(FeedEvent::Tick, now), Action::Connect);
        }
        assert_eq!(r.backoff_ms(1), 500.0);
        assert_eq!(r.backoff_ms(2), 1000.0);
        assert_eq!(r.backoff_ms(7), 30_000.0);
        assert!(delays[9] <= 30_000.0 && delays[9] >= 15_000.0);
        // Two pages with different seeds do not retry in lockstep.
        let mut other = Reconnect::new(ReconnectConfig::default(), 7);
        other.on_event(FeedEvent::Start, 0.0);
        other.on_event(FeedEvent::Closed, 0.0);
        let mut same = policy();
        same.on_event(FeedEvent::Start, 0.0);
        same.on_event(FeedEvent::Closed, 0.0);
        assert_ne!(other.state(), same.state());
    }

    #[test]
    fn online_and_visible_retry_at_once() {
        for event in [FeedEvent::Online, FeedEvent::Visible] {
            let mut r = policy();
            r.on_event(FeedEvent::Start, 0.0);
            r.on_event(FeedEvent::Closed, 0.0);
            assert_eq!(r.on_event(event, 1.0), Action::Connect);
            // While live, they change nothing.
            r.on_event(FeedEvent::Opened, 2.0);
            assert_eq!(r.on_event(event, 3.0), Action::Nothing);
        }
    }

    #[test]
    fn the_watchdog_closes_a_silent_live_socket() {
        let mut r = policy();
        r.on_event(FeedEvent::Start, 0.0);
        r.on_event(FeedEvent::Opened, 0.0);
        r.on_event(FeedEvent::Message, 40_000.0);
        assert_eq!(r.on_event(FeedEvent::Tick, 80_000.0), Action::Nothing);
        assert_eq!(r.on_event(FeedEvent::Tick, 85_001.0), Action::Close);
        r.on_event(FeedEvent::Closed, 85_002.0);
        assert!(matches!(
            r.state(),
            FeedState::Reconnecting { attempt: 1, .. }
        ));
    }

    #[test]
    fn stop_is_final() {
        let mut r = policy();
        r.on_event(FeedEvent::Start, 0.0);
        r.on_event(FeedEvent::Opened, 0.0);
        assert_eq!(r.on_event(FeedEvent::Stop, 1.0), Action::Close);
        for e in [
            FeedEvent::Closed,
            FeedEvent::Tick,
            FeedEvent::Online,
            FeedEvent::Start,
        ] {
            assert_eq!(r.on_event(e, 1e9), Action::Nothing);
        }
        assert_eq!(r.state(), FeedState::Stopped);
    }
}
