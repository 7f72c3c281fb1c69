//! A lossy, faulty UDP relay for packet-loss and chaos tests.
//!
//! [`LossyUdpProxy`] listens on `127.0.0.1:0`. Datagrams from the client are
//! forwarded to the upstream address (e.g. a real daemon's NG port) from a
//! single proxy-side socket; datagrams coming back from the upstream address
//! are sent to the most recent client address. A [`LossPattern`] decides which
//! datagrams are dropped in each direction; [`Chaos`] adds, per direction ([`Faults`]),
//! duplicated, reordered, delayed, corrupted and truncated datagrams. Every fault is counted in
//! [`ProxyStats`].
//!
//! # What the faults mean for NG requests
//!
//! Real UDP carries a checksum, so a datagram whose bytes changed on the way is normally thrown
//! away by the receiver's kernel; the relay's damaged datagrams model what gets past that (a
//! broken middlebox, a buggy NIC offload, a truncating receive buffer). Whether the damage is
//! the client's problem depends on the direction:
//!
//! * **Replies** (upstream → client): anything goes. A corrupted cookie makes a reply nobody
//!   waits for, a corrupted or truncated body one that does not decode, and a flip inside a
//!   string value (an SDP line) a reply that decodes with wrong content, which no client can
//!   detect (a test that checks reply content must tell "carries another request's data",
//!   a misrouted reply, from "carries damaged data").
//! * **Requests** (client → upstream): truncation is safe and useful. [`Faults::truncate`]
//!   always cuts *inside a byte string* of the bencode body (never at an element boundary,
//!   where rtpengine, which accepts a dictionary without its final `e`, could take the rest for
//!   a complete, smaller request), so the daemon cannot decode it; it answers that cookie with
//!   an error (`Could not decode bencode dictionary`), which its cookie cache then returns for
//!   every later copy: the request fails with a clear error and nothing was executed. Corrupting
//!   requests ([`Faults::corrupt`]) is *not* safe to combine with checks on what the daemon
//!   executed: a flipped byte in the cookie makes the daemon execute the request under another
//!   cookie (and again when the intact retransmission arrives), a flipped byte in a call-id
//!   creates another call. The relay does it when asked; the chaos tests leave it off.
//! * Duplication, reordering and delays are harmless for requests as long as the daemon's
//!   cookie cache remembers the cookie (30–60 s): a duplicate or late copy gets the cached
//!   reply. A copy delayed past the client's deadline can still execute after the client
//!   reported a timeout.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::net::UdpSocket;
use tokio::task::JoinHandle;
use tokio::time::Instant;

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

/// Faults a [`LossyUdpProxy`] injects into one direction, besides loss (see the
/// [module documentation](self) for what each means for NG requests and replies).
///
/// Each probability (0.0–1.0) applies independently to every datagram that was not dropped, in
/// this order: truncate, corrupt, duplicate (an extra copy sent at once), then at most one of
/// delay and reorder. A delayed datagram goes out `delay_min..=delay_max` later (the relay keeps
/// relaying meanwhile); a reordered one is held until the next datagram in the same direction
/// has gone out (or [`REORDER_HOLD`] passed).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Faults {
    /// Probability that a datagram is sent twice.
    pub duplicate: f64,
    /// Probability that a datagram is held back and sent after the next one.
    pub reorder: f64,
    /// Probability that a datagram is delayed by `delay_min..=delay_max`.
    pub delay: f64,
    /// Shortest delay of a delayed datagram.
    pub delay_min: Duration,
    /// Longest delay of a delayed datagram.
    pub delay_max: Duration,
    /// Probability that 1 to 3 random bytes of a datagram are changed (anywhere: cookie,
    /// framing or content).
    pub corrupt: f64,
    /// Probability that a datagram is cut short, inside one of its bencode byte strings (or,
    /// when it has none long enough, inside its cookie, so it has no cookie separator left).
    pub truncate: f64,
}

impl Faults {
    /// No fault (delays, when turned on, of 300 ms to 1.5 s: longer than a client's first
    /// retransmission interval).
    pub const NONE: Faults = Faults {
        duplicate: 0.0,
        reorder: 0.0,
        delay: 0.0,
        delay_min: Duration::from_millis(300),
        delay_max: Duration::from_millis(1500),
        corrupt: 0.0,
        truncate: 0.0,
    };
}

impl Default for Faults {
    /// [`Faults::NONE`].
    fn default() -> Self {
        Faults::NONE
    }
}

/// The faults of a [`LossyUdpProxy`] in both directions, with the seed of their deterministic
/// pseudo-random generators (one per direction; the relay's decisions depend only on the seed
/// and the order datagrams arrive in).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Chaos {
    /// Client → upstream datagrams.
    pub requests: Faults,
    /// Upstream → client datagrams.
    pub replies: Faults,
    /// Seed for the pseudo-random generators.
    pub seed: u64,
}

impl Chaos {
    /// No fault in either direction.
    pub fn none() -> Self {
        Chaos::default()
    }
}

/// The longest a reordered datagram is held when no other datagram follows it.
pub const REORDER_HOLD: Duration = Duration::from_millis(100);

/// Snapshot of a proxy's counters. A datagram can have several faults (e.g. truncated and
/// delayed); each is counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProxyStats {
    /// Client → upstream datagrams forwarded (not dropped; possibly damaged, delayed…).
    pub requests_forwarded: u64,
    /// Client → upstream datagrams dropped.
    pub requests_dropped: u64,
    /// Upstream → client datagrams forwarded (not dropped; possibly damaged, delayed…).
    pub replies_forwarded: u64,
    /// Upstream → client datagrams dropped.
    pub replies_dropped: u64,
    /// Client → upstream datagrams sent twice.
    pub requests_duplicated: u64,
    /// Client → upstream datagrams held back and sent after a later one.
    pub requests_reordered: u64,
    /// Client → upstream datagrams delayed.
    pub requests_delayed: u64,
    /// Client → upstream datagrams with changed bytes.
    pub requests_corrupted: u64,
    /// Client → upstream datagrams cut short.
    pub requests_truncated: u64,
    /// Upstream → client datagrams sent twice.
    pub replies_duplicated: u64,
    /// Upstream → client datagrams held back and sent after a later one.
    pub replies_reordered: u64,
    /// Upstream → client datagrams delayed.
    pub replies_delayed: u64,
    /// Upstream → client datagrams with changed bytes.
    pub replies_corrupted: u64,
    /// Upstream → client datagrams cut short.
    pub replies_truncated: u64,
}

/// One direction's fault counters.
#[derive(Default)]
struct FaultCounters {
    duplicated: AtomicU64,
    reordered: AtomicU64,
    delayed: AtomicU64,
    corrupted: AtomicU64,
    truncated: AtomicU64,
}

/// What the relay task and the handle share: counters and the settings that change at run time.
struct Shared {
    requests_forwarded: AtomicU64,
    requests_dropped: AtomicU64,
    replies_forwarded: AtomicU64,
    replies_dropped: AtomicU64,
    /// Fault counters for (requests, replies).
    faults: [FaultCounters; 2],
    /// Drop everything both ways (a network path that went black), counted as dropped.
    blackhole: AtomicBool,
    /// The drop decisions for (requests, replies); replaced by `set_pattern`.
    droppers: Mutex<(Dropper, Dropper)>,
    /// The fault decisions for (requests, replies); replaced by `set_chaos`.
    injectors: Mutex<[Injector; 2]>,
}

impl Shared {
    fn new(pattern: LossPattern, chaos: Chaos) -> Self {
        Shared {
            requests_forwarded: AtomicU64::new(0),
            requests_dropped: AtomicU64::new(0),
            replies_forwarded: AtomicU64::new(0),
            replies_dropped: AtomicU64::new(0),
            faults: Default::default(),
            blackhole: AtomicBool::new(false),
            droppers: Mutex::new(Dropper::for_pattern(pattern)),
            injectors: Mutex::new(Injector::for_chaos(chaos)),
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

    /// Damages `datagram` as the faults of `dir` say and decides how it goes out; counts.
    fn inject(&self, dir: Dir, datagram: &mut Vec<u8>) -> Plan {
        let plan = {
            let mut injectors = self
                .injectors
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            injectors[dir as usize].plan(datagram)
        };
        let c = &self.faults[dir as usize];
        let count = |hit: bool, counter: &AtomicU64| {
            if hit {
                counter.fetch_add(1, Ordering::Relaxed);
            }
        };
        count(plan.truncated, &c.truncated);
        count(plan.corrupted, &c.corrupted);
        count(plan.duplicate, &c.duplicated);
        count(plan.delay.is_some(), &c.delayed);
        count(plan.hold, &c.reordered);
        plan
    }
}

/// A direction through the relay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dir {
    Requests = 0,
    Replies = 1,
}

/// How one datagram goes out, and what was done to it.
#[derive(Debug, Default)]
struct Plan {
    truncated: bool,
    corrupted: bool,
    duplicate: bool,
    delay: Option<Duration>,
    hold: bool,
}

/// One direction's fault decisions.
struct Injector {
    faults: Faults,
    rng: fastrand::Rng,
}

impl Injector {
    fn for_chaos(chaos: Chaos) -> [Injector; 2] {
        [
            Injector {
                faults: chaos.requests,
                rng: fastrand::Rng::with_seed(chaos.seed ^ 0x243f_6a88_85a3_08d3),
            },
            Injector {
                faults: chaos.replies,
                rng: fastrand::Rng::with_seed(chaos.seed ^ 0x1319_8a2e_0370_7344),
            },
        ]
    }

    fn hit(&mut self, p: f64) -> bool {
        p > 0.0 && self.rng.f64() < p
    }

    fn plan(&mut self, datagram: &mut Vec<u8>) -> Plan {
        let f = self.faults;
        let mut plan = Plan::default();
        if self.hit(f.truncate) && !datagram.is_empty() {
            let keep = truncation_point(datagram, &mut self.rng);
            datagram.truncate(keep);
            plan.truncated = true;
        }
        if self.hit(f.corrupt) && !datagram.is_empty() {
            corrupt(datagram, &mut self.rng);
            plan.corrupted = true;
        }
        plan.duplicate = self.hit(f.duplicate);
        if self.hit(f.delay) {
            let (lo, hi) = (f.delay_min.min(f.delay_max), f.delay_max.max(f.delay_min));
            let span = (hi - lo).as_micros() as u64;
            let extra = if span == 0 { 0 } else { self.rng.u64(0..=span) };
            plan.delay = Some(lo + Duration::from_micros(extra));
        } else {
            plan.hold = self.hit(f.reorder);
        }
        plan
    }
}

/// Changes 1 to 3 random bytes (each to a different value).
fn corrupt(datagram: &mut [u8], rng: &mut fastrand::Rng) {
    for _ in 0..rng.usize(1..=3) {
        let at = rng.usize(..datagram.len());
        datagram[at] ^= rng.u8(1..=255);
    }
}

/// Where to cut `datagram` (the length to keep): strictly inside the payload of one of its
/// bencode byte strings, at a position chosen uniformly over all such positions, so the rest
/// cannot decode however lenient the parser; without a string of 2 bytes or more, inside the
/// cookie (before its space separator); without a separator, at half the length.
fn truncation_point(datagram: &[u8], rng: &mut fastrand::Rng) -> usize {
    let Some(space) = datagram.iter().position(|&b| b == b' ') else {
        return datagram.len() / 2;
    };
    // Byte-string payloads as (start, end) with end - start >= 2.
    let mut strings = Vec::new();
    let mut at = space + 1;
    while at < datagram.len() {
        match datagram[at] {
            b'd' | b'l' | b'e' => at += 1,
            b'i' => match datagram[at..].iter().position(|&b| b == b'e') {
                Some(end) => at += end + 1,
                None => break,
            },
            b'0'..=b'9' => {
                let Some(colon) = datagram[at..].iter().position(|&b| b == b':') else {
                    break;
                };
                let Some(len) = std::str::from_utf8(&datagram[at..at + colon])
                    .ok()
                    .and_then(|s| s.parse::<usize>().ok())
                else {
                    break;
                };
                let start = at + colon + 1;
                let Some(end) = start.checked_add(len).filter(|&e| e <= datagram.len()) else {
                    break;
                };
                if len >= 2 {
                    strings.push((start, end));
                }
                at = end;
            }
            _ => break,
        }
    }
    // Positions start+1 ..= end-1 of each string: the kept part ends inside its payload.
    let total: usize = strings.iter().map(|(s, e)| e - s - 1).sum();
    if total == 0 {
        return space.max(1).min(datagram.len());
    }
    let mut pick = rng.usize(..total);
    for (start, end) in strings {
        let n = end - start - 1;
        if pick < n {
            return start + 1 + pick;
        }
        pick -= n;
    }
    unreachable!("the pick is below the total")
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

/// A UDP relay that drops datagrams according to a [`LossPattern`] and injects the faults of a
/// [`Chaos`]; stops when dropped. Must be started inside a tokio runtime.
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
    /// Starts a proxy on `127.0.0.1:0` relaying to `upstream` (loss only, no other fault).
    pub async fn start(upstream: SocketAddr, pattern: LossPattern) -> std::io::Result<Self> {
        Self::start_with_chaos(upstream, pattern, Chaos::none()).await
    }

    /// Starts a proxy on `127.0.0.1:0` relaying to `upstream` that drops datagrams as `pattern`
    /// says and injects the faults of `chaos` into the others.
    pub async fn start_with_chaos(
        upstream: SocketAddr,
        pattern: LossPattern,
        chaos: Chaos,
    ) -> std::io::Result<Self> {
        let client_side = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let upstream_side = if upstream.is_ipv4() {
            UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0)).await?
        } else {
            UdpSocket::bind((Ipv6Addr::UNSPECIFIED, 0)).await?
        };
        let addr = client_side.local_addr()?;
        let shared = Arc::new(Shared::new(pattern, chaos));
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

    /// Replaces the faults from the next datagram on (the generators start over from the seed).
    /// Datagrams already delayed or held still go out when due.
    pub fn set_chaos(&self, chaos: Chaos) {
        *self
            .shared
            .injectors
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Injector::for_chaos(chaos);
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
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let [req, rep] = &c.faults;
        ProxyStats {
            requests_forwarded: load(&c.requests_forwarded),
            requests_dropped: load(&c.requests_dropped),
            replies_forwarded: load(&c.replies_forwarded),
            replies_dropped: load(&c.replies_dropped),
            requests_duplicated: load(&req.duplicated),
            requests_reordered: load(&req.reordered),
            requests_delayed: load(&req.delayed),
            requests_corrupted: load(&req.corrupted),
            requests_truncated: load(&req.truncated),
            replies_duplicated: load(&rep.duplicated),
            replies_reordered: load(&rep.reordered),
            replies_delayed: load(&rep.delayed),
            replies_corrupted: load(&rep.corrupted),
            replies_truncated: load(&rep.truncated),
        }
    }
}

impl Drop for LossyUdpProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A datagram on its way out.
#[derive(Debug)]
struct Out {
    dir: Dir,
    to: SocketAddr,
    bytes: Vec<u8>,
}

/// Something the relay does later: send a delayed datagram, or release a held one (by its
/// number) if it is still held.
#[derive(Debug)]
enum Later {
    Send(Out),
    Release(Dir, u64),
}

/// The relay's timer queue: a min-heap on (due, sequence number).
#[derive(Default)]
struct Timers {
    heap: BinaryHeap<Reverse<(Instant, u64)>>,
    items: HashMap<u64, Later>,
    next: u64,
}

impl Timers {
    fn push(&mut self, at: Instant, later: Later) -> u64 {
        let id = self.next;
        self.next += 1;
        self.heap.push(Reverse((at, id)));
        self.items.insert(id, later);
        id
    }

    fn next_due(&self) -> Option<Instant> {
        self.heap.peek().map(|Reverse((at, _))| *at)
    }

    /// The first item due by `now`, if any.
    fn pop_due(&mut self, now: Instant) -> Option<Later> {
        let Reverse((at, id)) = *self.heap.peek()?;
        if at > now {
            return None;
        }
        self.heap.pop();
        self.items.remove(&id)
    }
}

/// The relay's state besides its sockets.
struct Relay {
    client_side: UdpSocket,
    upstream_side: UdpSocket,
    timers: Timers,
    /// The reordered datagram held in each direction, with its number.
    held: [Option<(u64, Out)>; 2],
    next_held: u64,
}

impl Relay {
    async fn send(&self, out: &Out) {
        let socket = match out.dir {
            Dir::Requests => &self.upstream_side,
            Dir::Replies => &self.client_side,
        };
        if let Err(e) = socket.send_to(&out.bytes, out.to).await {
            tracing::debug!(error = %e, dir = ?out.dir, "lossy proxy: send failed");
        }
    }

    /// Sends a datagram that survived the drop decision, with the faults of its plan.
    async fn forward(&mut self, out: Out, plan: Plan) {
        if plan.duplicate {
            self.send(&out).await;
        }
        if let Some(delay) = plan.delay {
            self.timers.push(Instant::now() + delay, Later::Send(out));
            return;
        }
        let dir = out.dir;
        if plan.hold {
            // Hold this one; one held before it goes out now (it was followed).
            let id = self.next_held;
            self.next_held += 1;
            self.timers
                .push(Instant::now() + REORDER_HOLD, Later::Release(dir, id));
            if let Some((_, earlier)) = self.held[dir as usize].replace((id, out)) {
                self.send(&earlier).await;
            }
            return;
        }
        self.send(&out).await;
        if let Some((_, held)) = self.held[dir as usize].take() {
            self.send(&held).await;
        }
    }

    async fn run_timers(&mut self) {
        let now = Instant::now();
        while let Some(later) = self.timers.pop_due(now) {
            match later {
                Later::Send(out) => self.send(&out).await,
                Later::Release(dir, id) => {
                    if self.held[dir as usize]
                        .as_ref()
                        .is_some_and(|(held, _)| *held == id)
                    {
                        if let Some((_, out)) = self.held[dir as usize].take() {
                            self.send(&out).await;
                        }
                    }
                }
            }
        }
    }
}

async fn relay(
    client_side: UdpSocket,
    upstream_side: UdpSocket,
    upstream: SocketAddr,
    counters: Arc<Shared>,
) {
    let mut relay = Relay {
        client_side,
        upstream_side,
        timers: Timers::default(),
        held: [None, None],
        next_held: 0,
    };
    let mut last_client: Option<SocketAddr> = None;
    let mut cbuf = vec![0u8; 65_536];
    let mut ubuf = vec![0u8; 65_536];
    loop {
        // Far in the future when nothing is due (the branch is disabled then anyway).
        let due = relay
            .timers
            .next_due()
            .unwrap_or_else(|| Instant::now() + Duration::from_secs(3600));
        tokio::select! {
            r = relay.client_side.recv_from(&mut cbuf) => {
                let Ok((len, from)) = r else { continue };
                last_client = Some(from);
                if counters.drop_request() {
                    counters.requests_dropped.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                counters.requests_forwarded.fetch_add(1, Ordering::Relaxed);
                let mut bytes = cbuf[..len].to_vec();
                let plan = counters.inject(Dir::Requests, &mut bytes);
                relay.forward(Out { dir: Dir::Requests, to: upstream, bytes }, plan).await;
            }
            r = relay.upstream_side.recv_from(&mut ubuf) => {
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
                let mut bytes = ubuf[..len].to_vec();
                let plan = counters.inject(Dir::Replies, &mut bytes);
                relay.forward(Out { dir: Dir::Replies, to: client, bytes }, plan).await;
            }
            () = tokio::time::sleep_until(due), if relay.timers.next_due().is_some() => {
                relay.run_timers().await;
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

    #[test]
    fn truncation_cuts_inside_a_string() {
        let msg = b"ck1 d7:command5:offer3:sdp10:v=0 o=- 12e";
        let mut rng = fastrand::Rng::with_seed(1);
        for _ in 0..500 {
            let keep = truncation_point(msg, &mut rng);
            let kept = &msg[..keep];
            // Inside "command", "offer", "sdp" or the SDP: the last string is incomplete.
            let inside = [(7, 14), (16, 21), (23, 26), (29, 39)]
                .iter()
                .any(|&(s, e)| keep > s && keep < e);
            assert!(inside, "cut at {keep}: {:?}", String::from_utf8_lossy(kept));
        }
        // No string of two bytes: inside the cookie, before the separator.
        assert_eq!(truncation_point(b"abc d1:ai1ee", &mut rng), 3);
        assert_eq!(truncation_point(b"nospace", &mut rng), 3);
    }

    #[test]
    fn faults_are_deterministic_and_counted_by_kind() {
        let faults = Faults {
            duplicate: 0.2,
            reorder: 0.2,
            delay: 0.2,
            corrupt: 0.2,
            truncate: 0.2,
            ..Faults::NONE
        };
        let chaos = Chaos {
            requests: faults,
            replies: Faults::NONE,
            seed: 9,
        };
        let run = || {
            let [mut req, mut rep] = Injector::for_chaos(chaos);
            (0..200)
                .map(|_| {
                    let mut d = b"c d3:key5:valuee".to_vec();
                    let p = req.plan(&mut d);
                    let mut untouched = b"c d3:key5:valuee".to_vec();
                    let q = rep.plan(&mut untouched);
                    assert_eq!(untouched, b"c d3:key5:valuee");
                    assert!(!(q.truncated || q.corrupted || q.duplicate || q.hold));
                    assert!(q.delay.is_none());
                    if let Some(delay) = p.delay {
                        assert!(delay >= Faults::NONE.delay_min && delay <= Faults::NONE.delay_max);
                        assert!(!p.hold, "delayed or held, not both");
                    }
                    (d, p.truncated, p.corrupted, p.duplicate, p.delay, p.hold)
                })
                .collect::<Vec<_>>()
        };
        let first = run();
        assert_eq!(first, run());
        let truncated = first.iter().filter(|x| x.1).count();
        let duplicated = first.iter().filter(|x| x.3).count();
        assert!((20..70).contains(&truncated), "{truncated}");
        assert!((20..70).contains(&duplicated), "{duplicated}");
    }
}
