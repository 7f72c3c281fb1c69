//! The health of one node, sans-IO: a circuit breaker fed by what requests and pings saw, and
//! the node's smoothed latency. Time is passed in, so the state machine is tested without a
//! clock.
//!
//! * **Closed** (usable): failures are counted; `failure_threshold` consecutive ones open it.
//! * **Open** (down): nothing new is sent until `until`; then the next [`Health::poll`] moves
//!   it to half-open.
//! * **Half-open**: still down (no request is sent there); the health task's ping probes it:
//!   success closes it, failure opens it again for twice as long (capped).
//!
//! Only what the node did counts: a success is any answer (an rtpengine error about a call is
//! an answer), a failure a timeout, a transport error or an overload answer. Local errors
//! (encoding, guard rails, the version gate) are never reported here.

use std::time::{Duration, Instant};

/// The breaker's settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct HealthConfig {
    /// Consecutive failures that open the breaker.
    pub(crate) failure_threshold: u32,
    /// How long the breaker first stays open.
    pub(crate) open_for: Duration,
    /// The longest it stays open after repeated failed probes.
    pub(crate) max_open_for: Duration,
    /// Weight of the newest sample in the latency average (0..=1).
    pub(crate) ewma_alpha: f64,
}

impl Default for HealthConfig {
    fn default() -> Self {
        Self {
            failure_threshold: 2,
            open_for: Duration::from_secs(1),
            max_open_for: Duration::from_secs(30),
            ewma_alpha: 0.2,
        }
    }
}

/// Where a node's breaker is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    /// Usable: the node answers.
    Closed,
    /// Down: not used until it answers a probe again.
    Open,
    /// Down, with one probe allowed to decide.
    HalfOpen,
}

impl BreakerState {
    /// The state's name for logs and metrics: `closed`, `open`, `half-open`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Closed => "closed",
            Self::Open => "open",
            Self::HalfOpen => "half-open",
        }
    }
}

impl std::fmt::Display for BreakerState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a node did, as the breaker counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    /// No answer within the request's (or ping's) deadline.
    Timeout,
    /// The socket or connection failed (refused, reset, closed).
    Transport,
    /// The node answered that it is overloaded.
    Overload,
}

/// A change of breaker state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Transition {
    pub(crate) from: BreakerState,
    pub(crate) to: BreakerState,
}

#[derive(Debug, Clone)]
pub(crate) struct Health {
    config: HealthConfig,
    state: BreakerState,
    consecutive_failures: u32,
    /// When an open breaker turns half-open.
    open_until: Option<Instant>,
    /// How long the breaker opens next time (doubles after a failed probe).
    next_open_for: Duration,
    latency: Option<Duration>,
    last_failure: Option<Failure>,
}

impl Health {
    pub(crate) fn new(config: HealthConfig) -> Self {
        Self {
            config,
            state: BreakerState::Closed,
            consecutive_failures: 0,
            open_until: None,
            next_open_for: config.open_for,
            latency: None,
            last_failure: None,
        }
    }

    pub(crate) fn state(&self) -> BreakerState {
        self.state
    }

    /// The smoothed round-trip time of successful requests and pings.
    pub(crate) fn latency(&self) -> Option<Duration> {
        self.latency
    }

    /// What the last failure was, for events and `rtpe nodes`.
    pub(crate) fn last_failure(&self) -> Option<Failure> {
        self.last_failure
    }

    /// Moves an open breaker whose time is up to half-open.
    pub(crate) fn poll(&mut self, now: Instant) -> Option<Transition> {
        match (self.state, self.open_until) {
            (BreakerState::Open, Some(until)) if now >= until => {
                Some(self.go(BreakerState::HalfOpen))
            }
            _ => None,
        }
    }

    /// When an open breaker turns half-open.
    #[cfg(test)]
    pub(crate) fn open_until(&self) -> Option<Instant> {
        self.open_until
    }

    /// The node answered, `latency` after the request was sent.
    pub(crate) fn success(&mut self, latency: Duration) -> Option<Transition> {
        let alpha = self.config.ewma_alpha.clamp(0.0, 1.0);
        self.latency = Some(match self.latency {
            None => latency,
            Some(old) => old.mul_f64(1.0 - alpha) + latency.mul_f64(alpha),
        });
        self.consecutive_failures = 0;
        match self.state {
            BreakerState::Closed => None,
            BreakerState::Open | BreakerState::HalfOpen => {
                self.next_open_for = self.config.open_for;
                self.open_until = None;
                Some(self.go(BreakerState::Closed))
            }
        }
    }

    /// The node failed a request or a ping.
    pub(crate) fn failure(&mut self, failure: Failure, now: Instant) -> Option<Transition> {
        self.last_failure = Some(failure);
        self.consecutive_failures = self.consecutive_failures.saturating_add(1);
        match self.state {
            BreakerState::Closed
                if self.consecutive_failures >= self.config.failure_threshold.max(1) =>
            {
                Some(self.open(now))
            }
            BreakerState::Closed | BreakerState::Open => None,
            BreakerState::HalfOpen => {
                // The probe failed: back off before the next one.
                self.next_open_for = (self.next_open_for * 2).min(self.config.max_open_for);
                Some(self.open(now))
            }
        }
    }

    fn open(&mut self, now: Instant) -> Transition {
        self.open_until = Some(now + self.next_open_for);
        self.go(BreakerState::Open)
    }

    fn go(&mut self, to: BreakerState) -> Transition {
        let from = self.state;
        self.state = to;
        Transition { from, to }
    }
}

/// The interval to the next active ping: `base` moved by up to ±20 % at random, so proxies
/// started together do not ping in step.
pub(crate) fn jittered(base: Duration) -> Duration {
    let factor = 0.8 + 0.4 * fastrand::f64();
    base.mul_f64(factor)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    fn health() -> Health {
        Health::new(HealthConfig {
            failure_threshold: 2,
            open_for: Duration::from_secs(1),
            max_open_for: Duration::from_secs(4),
            ewma_alpha: 0.5,
        })
    }

    #[test]
    fn opens_after_consecutive_failures_only() {
        let t0 = Instant::now();
        let mut h = health();
        assert_eq!(h.failure(Failure::Timeout, t0), None);
        // A success in between resets the count.
        assert_eq!(h.success(10 * MS), None);
        assert_eq!(h.failure(Failure::Timeout, t0), None);
        let t = h.failure(Failure::Transport, t0).expect("opens");
        assert_eq!((t.from, t.to), (BreakerState::Closed, BreakerState::Open));
        assert_ne!(h.state(), BreakerState::Closed);
        assert_eq!(h.last_failure(), Some(Failure::Transport));
        // More failures while open change nothing.
        assert_eq!(h.failure(Failure::Timeout, t0), None);
    }

    #[test]
    fn half_open_after_the_pause_then_a_probe_decides() {
        let t0 = Instant::now();
        let mut h = health();
        h.failure(Failure::Timeout, t0);
        h.failure(Failure::Timeout, t0);
        assert_eq!(h.poll(t0 + 999 * MS), None);
        let t = h.poll(t0 + 1000 * MS).expect("half-open");
        assert_eq!(t.to, BreakerState::HalfOpen);
        assert_ne!(h.state(), BreakerState::Closed);
        // A failed probe opens it again, for twice as long.
        let t1 = t0 + 1000 * MS;
        assert_eq!(
            h.failure(Failure::Timeout, t1).unwrap().to,
            BreakerState::Open
        );
        assert_eq!(h.open_until(), Some(t1 + 2000 * MS));
        assert_eq!(h.poll(t1 + 1999 * MS), None);
        assert_eq!(h.poll(t1 + 2000 * MS).unwrap().to, BreakerState::HalfOpen);
        // A successful probe closes it and resets the pause.
        let t = h.success(5 * MS).unwrap();
        assert_eq!(
            (t.from, t.to),
            (BreakerState::HalfOpen, BreakerState::Closed)
        );
        h.failure(Failure::Overload, t1);
        h.failure(Failure::Overload, t1);
        assert_eq!(h.open_until(), Some(t1 + 1000 * MS));
    }

    #[test]
    fn the_pause_is_capped() {
        let mut now = Instant::now();
        let mut h = health();
        h.failure(Failure::Timeout, now);
        h.failure(Failure::Timeout, now);
        for _ in 0..10 {
            now = h.open_until().unwrap();
            h.poll(now).unwrap();
            h.failure(Failure::Timeout, now).unwrap();
        }
        assert_eq!(h.open_until(), Some(now + 4000 * MS));
    }

    #[test]
    fn latency_is_an_exponential_average() {
        let mut h = health();
        assert_eq!(h.latency(), None);
        h.success(100 * MS);
        assert_eq!(h.latency(), Some(100 * MS));
        h.success(200 * MS);
        assert_eq!(h.latency(), Some(150 * MS));
    }

    #[test]
    fn jitter_stays_within_a_fifth() {
        let base = Duration::from_secs(1);
        for _ in 0..1000 {
            let d = jittered(base);
            assert!(d >= 800 * MS && d <= 1200 * MS, "{d:?}");
        }
    }
}
