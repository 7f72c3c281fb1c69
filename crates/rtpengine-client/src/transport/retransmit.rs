//! When to send a request again (sans-IO).

use std::time::Duration;

/// The retransmission schedule of one request: the same bytes with the same cookie, so the
/// daemon's cookie cache answers a retransmission without executing the command twice.
///
/// Intervals start at `initial` and double up to `max`. No retransmission is sent later than
/// `window` after the first send: rtpengine forgets cached replies after 30–60 s, and a copy that
/// arrives after that would run the command again.
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
    /// 500 ms doubling to 4 s, within 25 s: sends at 0, 0.5, 1.5, 3.5 and 7.5 s for the
    /// default 10 s deadline.
    fn default() -> Self {
        Self {
            initial: Duration::from_millis(500),
            max: Duration::from_secs(4),
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

    /// Offsets from the first send at which copies go out, within `deadline` (the first is 0).
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

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v)
    }

    #[test]
    fn default_schedule_for_10s() {
        let s = RetransmitPolicy::default().schedule(Duration::from_secs(10));
        assert_eq!(s, [ms(0), ms(500), ms(1500), ms(3500), ms(7500)]);
    }

    #[test]
    fn window_caps_long_deadlines() {
        let s = RetransmitPolicy::default().schedule(Duration::from_secs(120));
        assert_eq!(*s.last().unwrap(), ms(23_500));
        assert!(s.iter().all(|d| *d <= ms(25_000)));
    }

    #[test]
    fn never_sends_once() {
        assert_eq!(
            RetransmitPolicy::never().schedule(Duration::from_secs(10)),
            [ms(0)]
        );
    }
}
