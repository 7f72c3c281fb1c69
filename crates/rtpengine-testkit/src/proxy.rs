//! A lossy UDP relay for packet-loss tests.
//!
//! [`LossyUdpProxy`] listens on `127.0.0.1:0`. Datagrams from the client are
//! forwarded to the upstream address (e.g. a real daemon's NG port) from a
//! single proxy-side socket; datagrams coming back from the upstream address
//! are sent to the most recent client address. A [`LossPattern`] decides which
//! datagrams are dropped in each direction.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::net::UdpSocket;
use tokio::task::JoinHandle;

/// Which datagrams a [`LossyUdpProxy`] drops.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LossPattern {
    /// Drop every n-th datagram in each direction (counting from 1, so with
    /// `requests: 2` the 2nd, 4th, 6th… requests are dropped). 0 = never drop.
    EveryNth {
        /// Period for client → upstream datagrams.
        requests: usize,
        /// Period for upstream → client datagrams.
        replies: usize,
    },
    /// Drop each datagram independently with the given probability (0.0–1.0),
    /// using a deterministic generator seeded with `seed`.
    Random {
        /// Loss probability for client → upstream datagrams.
        request_loss: f64,
        /// Loss probability for upstream → client datagrams.
        reply_loss: f64,
        /// Seed for the pseudo-random generator.
        seed: u64,
    },
}

impl LossPattern {
    /// A pattern that never drops anything.
    pub fn none() -> Self {
        LossPattern::EveryNth {
            requests: 0,
            replies: 0,
        }
    }
}

/// Snapshot of a proxy's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProxyStats {
    /// Client → upstream datagrams forwarded.
    pub requests_forwarded: u64,
    /// Client → upstream datagrams dropped.
    pub requests_dropped: u64,
    /// Upstream → client datagrams forwarded.
    pub replies_forwarded: u64,
    /// Upstream → client datagrams dropped.
    pub replies_dropped: u64,
}

/// What the relay task and the handle share: counters and the settings that change at run time.
struct Shared {
    requests_forwarded: AtomicU64,
    requests_dropped: AtomicU64,
    replies_forwarded: AtomicU64,
    replies_dropped: AtomicU64,
    /// Drop everything both ways (a network path that went black), counted as dropped.
    blackhole: AtomicBool,
    /// The drop decisions for (requests, replies); replaced by `set_pattern`.
    droppers: Mutex<(Dropper, Dropper)>,
}

impl Shared {
    fn new(pattern: LossPattern) -> Self {
        Shared {
            requests_forwarded: AtomicU64::new(0),
            requests_dropped: AtomicU64::new(0),
            replies_forwarded: AtomicU64::new(0),
            replies_dropped: AtomicU64::new(0),
            blackhole: AtomicBool::new(false),
            droppers: Mutex::new(Dropper::for_pattern(pattern)),
        }
    }

    /// Whether the next datagram in this direction is dropped.
    fn drop_request(&self) -> bool {
        let mut d = self.droppers.lock().unwrap_or_else(PoisonError::into_inner);
        // The pattern advances even in a blackhole so a deterministic pattern stays in step.
        d.0.should_drop() | self.blackhole.load(Ordering::Relaxed)
    }

    fn drop_reply(&self) -> bool {
        let mut d = self.droppers.lock().unwrap_or_else(PoisonError::into_inner);
        d.1.should_drop() | self.blackhole.load(Ordering::Relaxed)
    }
}

/// Per-direction drop decision.
enum Dropper {
    EveryNth { n: usize, count: usize },
    Random { p: f64, rng: fastrand::Rng },
}

impl Dropper {
    fn should_drop(&mut self) -> bool {
        match self {
            Dropper::EveryNth { n, count } => {
                *count = count.wrapping_add(1);
                *n != 0 && *count % *n == 0
            }
            Dropper::Random { p, rng } => rng.f64() < *p,
        }
    }

    fn for_pattern(pattern: LossPattern) -> (Dropper, Dropper) {
        match pattern {
            LossPattern::EveryNth { requests, replies } => (
                Dropper::EveryNth {
                    n: requests,
                    count: 0,
                },
                Dropper::EveryNth {
                    n: replies,
                    count: 0,
                },
            ),
            LossPattern::Random {
                request_loss,
                reply_loss,
                seed,
            } => (
                Dropper::Random {
                    p: request_loss,
                    rng: fastrand::Rng::with_seed(seed),
                },
                Dropper::Random {
                    p: reply_loss,
                    rng: fastrand::Rng::with_seed(seed ^ 0x9e37_79b9_7f4a_7c15),
                },
            ),
        }
    }
}

/// A UDP relay that drops datagrams according to a [`LossPattern`]; stops
/// when dropped. Must be started inside a tokio runtime.
pub struct LossyUdpProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl std::fmt::Debug for LossyUdpProxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LossyUdpProxy")
            .field("addr", &self.addr)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl LossyUdpProxy {
    /// Starts a proxy on `127.0.0.1:0` relaying to `upstream`.
    pub async fn start(upstream: SocketAddr, pattern: LossPattern) -> std::io::Result<Self> {
        let client_side = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let upstream_side = if upstream.is_ipv4() {
            UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0)).await?
        } else {
            UdpSocket::bind((Ipv6Addr::UNSPECIFIED, 0)).await?
        };
        let addr = client_side.local_addr()?;
        let shared = Arc::new(Shared::new(pattern));
        let task = tokio::spawn(relay(
            client_side,
            upstream_side,
            upstream,
            Arc::clone(&shared),
        ));
        Ok(LossyUdpProxy { addr, shared, task })
    }

    /// Address clients should send to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The address as a URL, `udp://127.0.0.1:P`.
    pub fn url(&self) -> String {
        format!("udp://{}", self.addr)
    }

    /// Replaces the loss pattern from the next datagram on (a random pattern starts over from
    /// its seed).
    pub fn set_pattern(&self, pattern: LossPattern) {
        *self
            .shared
            .droppers
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Dropper::for_pattern(pattern);
    }

    /// Turns the blackhole on or off: while on, every datagram in either direction is dropped
    /// (and counted as dropped), like a network path that went black; the relay's sockets stay
    /// open, so the client sees silence, not an ICMP error.
    pub fn set_blackhole(&self, on: bool) {
        self.shared.blackhole.store(on, Ordering::Relaxed);
    }

    /// Current counters.
    pub fn stats(&self) -> ProxyStats {
        let c = &self.shared;
        ProxyStats {
            requests_forwarded: c.requests_forwarded.load(Ordering::Relaxed),
            requests_dropped: c.requests_dropped.load(Ordering::Relaxed),
            replies_forwarded: c.replies_forwarded.load(Ordering::Relaxed),
            replies_dropped: c.replies_dropped.load(Ordering::Relaxed),
        }
    }
}

impl Drop for LossyUdpProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn relay(
    client_side: UdpSocket,
    upstream_side: UdpSocket,
    upstream: SocketAddr,
    counters: Arc<Shared>,
) {
    let mut last_client: Option<SocketAddr> = None;
    let mut cbuf = vec![0u8; 65_536];
    let mut ubuf = vec![0u8; 65_536];
    loop {
        tokio::select! {
            r = client_side.recv_from(&mut cbuf) => {
                let Ok((len, from)) = r else { continue };
                last_client = Some(from);
                if counters.drop_request() {
                    counters.requests_dropped.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                counters.requests_forwarded.fetch_add(1, Ordering::Relaxed);
                if let Err(e) = upstream_side.send_to(&cbuf[..len], upstream).await {
                    tracing::debug!(error = %e, "lossy proxy: send upstream failed");
                }
            }
            r = upstream_side.recv_from(&mut ubuf) => {
                let Ok((len, from)) = r else { continue };
                if from != upstream {
                    // Only the upstream address may answer through the proxy.
                    continue;
                }
                let Some(client) = last_client else { continue };
                if counters.drop_reply() {
                    counters.replies_dropped.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                counters.replies_forwarded.fetch_add(1, Ordering::Relaxed);
                if let Err(e) = client_side.send_to(&ubuf[..len], client).await {
                    tracing::debug!(error = %e, "lossy proxy: send to client failed");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_nth_drops_periodically() {
        let (mut d, mut never) = Dropper::for_pattern(LossPattern::EveryNth {
            requests: 3,
            replies: 0,
        });
        let got: Vec<bool> = (0..6).map(|_| d.should_drop()).collect();
        assert_eq!(got, [false, false, true, false, false, true]);
        assert!((0..10).all(|_| !never.should_drop()));
    }

    #[test]
    fn random_is_deterministic() {
        let pattern = LossPattern::Random {
            request_loss: 0.3,
            reply_loss: 0.5,
            seed: 42,
        };
        let run = || {
            let (mut a, mut b) = Dropper::for_pattern(pattern);
            (0..100)
                .map(|_| (a.should_drop(), b.should_drop()))
                .collect::<Vec<_>>()
        };
        let first = run();
        assert_eq!(first, run());
        let drops = first.iter().filter(|(a, _)| *a).count();
        assert!((10..60).contains(&drops), "{drops}");
    }
}
