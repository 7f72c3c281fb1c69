//! When to send a request again (sans-IO): the policy, the server's round-trip estimate and
//! one request's backoff.

use std::time::Duration;

/// The retransmission schedule of one request over UDP: the same bytes with the same cookie, so
/// the daemon's cookie cache answers a retransmission without executing the command twice.
///
/// **Adaptive.** The first interval is the server's retransmission timeout: its measured
/// round-trip time plus four deviations (RFC 6298, from requests answered on their first send),
/// never below `initial` (a floor well above LAN round trips) nor above `max`. While the server
/// answers nothing, each interval doubles up to `max`, so a dead server gets few datagrams
/// (with the defaults at most 12 in 10 s: 0, 0.2, 0.6, 1.4, 2.4, … 9.4 s — see
/// [`RetransmitPolicy::schedule`]). When the server answered *other* requests since this one's
/// last copy, the server is alive and the copy or its reply was lost: the next interval falls
/// back to the timeout, so a lossy path gets many tries within the deadline (at 30 % loss each
/// way, 1,000 requests in flight together all succeed; see BENCHMARKS.md).
///
/// No retransmission is sent later than `window` after the first send: rtpengine forgets cached
/// replies after 30–60 s, and a copy that arrives after that would run the command again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetransmitPolicy {
    /// First interval.
    pub initial: Duration,
    /// Longest interval.
    pub max: Duration,
    /// No retransmission later than this after the first send.
    pub window: Duration,
}

impl Default for RetransmitPolicy {
    /// A 200 ms floor doubling to 1 s, within 25 s: to a silent server, sends at 0, 0.2, 0.6,
    /// 1.4, 2.4, 3.4, … 9.4 s for the default 10 s deadline (12 datagrams).
    fn default() -> Self {
        Self {
            initial: Duration::from_millis(200),
            max: Duration::from_secs(1),
            window: Duration::from_secs(25),
        }
    }
}

impl RetransmitPolicy {
    /// No retransmission at all (only the first send).
    pub fn never() -> Self {
        Self {
            initial: Duration::MAX,
            max: Duration::MAX,
            window: Duration::ZERO,
        }
    }

    /// The interval after send number `sent` (1 = after the first send).
    pub fn interval(&self, sent: u32) -> Duration {
        let factor = 1u32.checked_shl(sent.saturating_sub(1)).unwrap_or(u32::MAX);
        self.initial.saturating_mul(factor).min(self.max)
    }

    /// Offsets from the first send at which copies go out to a server that answers nothing and
    /// whose round trip is not known yet, within `deadline` (the first is 0): the most
    /// datagrams one request sends to a dead server.
    pub fn schedule(&self, deadline: Duration) -> Vec<Duration> {
        let mut at = Duration::ZERO;
        let mut out = vec![at];
        let mut sent = 1;
        loop {
            let interval = self.interval(sent);
            at = at.saturating_add(interval);
            if interval.is_zero() || at >= deadline || at > self.window {
                return out;
            }
            out.push(at);
            sent += 1;
        }
    }
}

/// A server's round-trip time, smoothed (RFC 6298): samples only from requests answered on their
/// first send (Karn), so a retransmission's reply never counts against the wrong copy.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RttEstimator {
    srtt: Option<Duration>,
    rttvar: Duration,
}

impl RttEstimator {
    pub(crate) fn sample(&mut self, rtt: Duration) {
        match self.srtt {
            None => {
                self.srtt = Some(rtt);
                self.rttvar = rtt / 2;
            }
            Some(srtt) => {
                self.rttvar = self.rttvar.mul_f64(0.75) + srtt.abs_diff(rtt).mul_f64(0.25);
                self.srtt = Some(srtt.mul_f64(0.875) + rtt.mul_f64(0.125));
            }
        }
    }

    /// The retransmission timeout: SRTT + 4·RTTVAR within the policy's floor and cap (the floor
    /// until a round trip was measured).
    pub(crate) fn rto(&self, policy: &RetransmitPolicy) -> Duration {
        let floor = policy.initial;
        match self.srtt {
            None => floor,
            Some(srtt) => (srtt + self.rttvar * 4)
                .max(floor)
                .min(policy.max.max(floor)),
        }
    }
}

/// One request's waits between copies: the timeout while the server is heard from, doubling
/// (up to the policy's `max`) while it is silent.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Backoff {
    rto: Duration,
    max: Duration,
    /// Copies sent since the server was last heard from.
    silent: u32,
}

impl Backoff {
    pub(crate) fn new(rto: Duration, policy: &RetransmitPolicy) -> Self {
        Self {
            rto,
            max: policy.max.max(rto),
            silent: 0,
        }
    }

    /// The wait after a copy; `heard`: the server answered something since the previous copy.
    pub(crate) fn after_send(&mut self, heard: bool) -> Duration {
        self.silent = if heard { 1 } else { self.silent + 1 };
        let factor = 1u32.checked_shl(self.silent - 1).unwrap_or(u32::MAX);
        self.rto.saturating_mul(factor).min(self.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v)
    }

    #[test]
    fn default_schedule_for_10s_sends_12_datagrams_to_a_dead_server() {
        let s = RetransmitPolicy::default().schedule(Duration::from_secs(10));
        let expected: Vec<Duration> = [0, 200, 600, 1400]
            .into_iter()
            .chain((2400..10_000).step_by(1000))
            .map(ms)
            .collect();
        assert_eq!(s, expected);
        assert_eq!(s.len(), 12);
    }

    #[test]
    fn window_caps_long_deadlines() {
        let s = RetransmitPolicy::default().schedule(Duration::from_secs(120));
        assert_eq!(*s.last().unwrap(), ms(24_400));
        assert!(s.iter().all(|d| *d <= ms(25_000)));
    }

    #[test]
    fn the_timeout_follows_the_round_trip_within_floor_and_cap() {
        let policy = RetransmitPolicy::default();
        let mut rtt = RttEstimator::default();
        assert_eq!(rtt.rto(&policy), ms(200), "the floor until measured");
        for _ in 0..20 {
            rtt.sample(ms(1));
        }
        assert_eq!(
            rtt.rto(&policy),
            ms(200),
            "a LAN round trip stays at the floor"
        );
        let mut slow = RttEstimator::default();
        slow.sample(ms(100));
        assert_eq!(slow.rto(&policy), ms(300), "100 ms + 4 × 50 ms");
        for _ in 0..50 {
            slow.sample(ms(400));
        }
        let rto = slow.rto(&policy);
        assert!(rto > ms(400) && rto <= ms(1000), "{rto:?}");
        let mut very = RttEstimator::default();
        very.sample(Duration::from_secs(3));
        assert_eq!(very.rto(&policy), ms(1000), "the cap");
    }

    #[test]
    fn backoff_doubles_while_silent_and_resets_when_the_server_is_heard() {
        let policy = RetransmitPolicy::default();
        let mut b = Backoff::new(ms(200), &policy);
        let silent: Vec<Duration> = (0..6).map(|_| b.after_send(false)).collect();
        assert_eq!(
            silent,
            [ms(200), ms(400), ms(800), ms(1000), ms(1000), ms(1000)]
        );
        assert_eq!(b.after_send(true), ms(200), "heard: back to the timeout");
        assert_eq!(b.after_send(true), ms(200));
        assert_eq!(b.after_send(false), ms(400));
    }

    #[test]
    fn never_sends_once() {
        assert_eq!(
            RetransmitPolicy::never().schedule(Duration::from_secs(10)),
            [ms(0)]
        );
    }
}
