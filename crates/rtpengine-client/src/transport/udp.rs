//! NG over UDP: one socket per client, one driver task reading replies, the in-flight table keyed
//! by cookie, retransmission of the same bytes with the same cookie.
//!
//! Callers register their cookie, send (and re-send) the datagram themselves and wait on a
//! oneshot. The driver task only receives: it drops undecodable datagrams and unknown cookies
//! (late or duplicate replies) with a debug log, and hands every other reply to its waiter.
//! Datagrams from other sources never reach it (the connected socket filters them; the driver
//! checks the source again where a platform would not).
//!
//! The socket is connected to the server, so the kernel reports an ICMP port unreachable (the
//! daemon is down) as `ECONNREFUSED` on the next receive or send. It is counted, and either
//! ignored (the default: the request keeps its retransmission schedule and rides through a
//! restart) or fails every waiting request at once (`fail_fast_when_refused`, which a cluster
//! sets so a dead node costs a new call about a round trip rather than half its deadline). Which
//! datagram drew the ICMP error is unknown, so it is all of them or none.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use tokio::net::UdpSocket;
use tokio::time::Instant;
use tracing::{debug, warn};

use super::inflight::InFlight;
use super::retransmit::{Backoff, RttEstimator};
use super::{is_refusal, on_refusal, reply_too_large, DriverGuard, Exchange, TransportConfig};
use crate::bencode::Dict;
use crate::counters::StatsCells;
use crate::error::{Error, Result};
use crate::message::{cookie_of, parse_message, MAX_UDP_PAYLOAD};

/// The largest datagram the daemon (and we) read.
const RECV_BUFFER: usize = 65_536;

struct Shared {
    socket: UdpSocket,
    server: SocketAddr,
    inflight: InFlight,
    /// Longer replies fail their request with [`Error::ReplyTooLarge`] undecoded.
    max_reply_size: usize,
    /// The server's round-trip estimate (sets the first retransmission interval).
    rtt: Mutex<RttEstimator>,
    /// When the server was last heard from (any datagram from it), in microseconds since
    /// `epoch` plus one (0: never): a request whose copy got no answer while the server answered
    /// others was lost, not ignored, and retransmits at the timeout rather than backing off.
    last_heard: AtomicU64,
    epoch: Instant,
    /// The client's counters (refusals).
    stats: Arc<StatsCells>,
    /// A refusal fails every waiting request (else it is only counted).
    fail_fast_when_refused: bool,
}

impl Shared {
    fn heard_now(&self) {
        let micros = u64::try_from(self.epoch.elapsed().as_micros()).unwrap_or(u64::MAX - 1);
        self.last_heard.store(micros + 1, Ordering::Relaxed);
    }

    /// Whether the server was heard from after `since`.
    fn heard_since(&self, since: Instant) -> bool {
        let last = self.last_heard.load(Ordering::Relaxed);
        let since = u64::try_from(since.duration_since(self.epoch).as_micros()).unwrap_or(u64::MAX);
        last > since.saturating_add(1)
    }

    fn rtt(&self) -> std::sync::MutexGuard<'_, RttEstimator> {
        self.rtt.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The socket reported that the server's port refused (an ICMP port unreachable drawn by
    /// some earlier datagram). Returns the error the waiting requests got, if they were failed.
    fn on_refusal(&self, source: std::io::Error) -> Option<Error> {
        on_refusal(
            &format!("udp://{}", self.server),
            &self.stats,
            &self.inflight,
            self.fail_fast_when_refused,
            source,
        )
    }
}

/// A cheap, cloneable handle on one UDP socket and its driver task.
#[derive(Clone)]
pub(crate) struct UdpTransport {
    shared: Arc<Shared>,
    _driver: Arc<DriverGuard>,
}

impl UdpTransport {
    /// Binds a socket (to `bind`, or the unspecified address of the server's family) and starts
    /// the driver task.
    pub(crate) async fn open(server: SocketAddr, config: &TransportConfig) -> Result<Self> {
        let bind = config.bind.unwrap_or_else(|| match server {
            SocketAddr::V4(_) => SocketAddr::from(([0, 0, 0, 0], 0)),
            SocketAddr::V6(_) => SocketAddr::from(([0u16; 8], 0)),
        });
        let socket = bind_socket(bind)?;
        // Connected: only the server's datagrams are delivered, and ICMP errors are reported.
        socket
            .connect(server)
            .await
            .map_err(|e| Error::io(format!("connecting the UDP socket to {server}"), e))?;
        let shared = Arc::new(Shared {
            socket,
            server,
            inflight: InFlight::new(config.max_in_flight),
            max_reply_size: config.max_reply_size,
            rtt: Mutex::new(RttEstimator::default()),
            last_heard: AtomicU64::new(0),
            epoch: Instant::now(),
            stats: Arc::clone(&config.stats),
            fail_fast_when_refused: config.fail_fast_when_refused,
        });
        let task = tokio::spawn(drive(Arc::clone(&shared)));
        Ok(Self {
            shared,
            _driver: Arc::new(DriverGuard(task.abort_handle())),
        })
    }

    pub(crate) fn server(&self) -> SocketAddr {
        self.shared.server
    }

    pub(crate) fn local_addr(&self) -> Result<SocketAddr> {
        self.shared
            .socket
            .local_addr()
            .map_err(|e| Error::io("reading local address", e))
    }

    /// Number of requests waiting for a reply.
    pub(crate) fn in_flight(&self) -> usize {
        self.shared.inflight.len()
    }

    /// Sends one datagram to the server.
    async fn send(&self, datagram: &[u8]) -> Result<()> {
        let mut result = self.shared.socket.send(datagram).await;
        if let Err(e) = result {
            if !is_refusal(&e) {
                return Err(Error::io(format!("sending to {}", self.shared.server), e));
            }
            // The error of an earlier datagram, reported here rather than to the driver's
            // receive: this one was not sent.
            if let Some(err) = self.shared.on_refusal(e) {
                return Err(err);
            }
            // Sent once more; a second refusal in between leaves the copy to the
            // retransmission schedule.
            result = match self.shared.socket.send(datagram).await {
                Err(e) if is_refusal(&e) => {
                    self.shared.on_refusal(e);
                    Ok(datagram.len())
                }
                other => other,
            };
        }
        let sent =
            result.map_err(|e| Error::io(format!("sending to {}", self.shared.server), e))?;
        if sent != datagram.len() {
            return Err(Error::io(
                "sending",
                std::io::Error::other(format!("short UDP send: {sent} of {}", datagram.len())),
            ));
        }
        Ok(())
    }

    /// Sends the request and its retransmissions until a reply arrives or the deadline passes.
    pub(crate) async fn exchange(&self, ex: Exchange<'_>) -> Result<Dict> {
        if ex.message.len() > MAX_UDP_PAYLOAD {
            return Err(Error::RequestTooLarge {
                reason: format!(
                    "'{}' request is {} bytes; a UDP datagram holds at most {MAX_UDP_PAYLOAD}",
                    ex.command,
                    ex.message.len()
                ),
            });
        }
        let policy = ex.retransmit;
        let start = Instant::now();
        let deadline = ex.deadline(start);
        let mut registration = self
            .shared
            .inflight
            .register(ex.cookie.clone(), Bytes::new())?;
        let mut attempts: u32 = 0;
        let mut backoff = Backoff::new(self.shared.rtt().rto(policy), policy);
        let mut previous_send = start;
        loop {
            let sent_at = Instant::now();
            self.send(&ex.message).await?;
            attempts += 1;
            if attempts > 1 {
                ex.stats.retransmitted();
                debug!(attempts, "retransmitted");
            }
            // Heard from the server since the previous copy: that copy was lost, not ignored.
            let heard = attempts > 1 && self.shared.heard_since(previous_send);
            previous_send = sent_at;
            let since_start = start.elapsed();
            // A zero interval means no retransmission (as in `RetransmitPolicy::schedule`), not
            // a send loop.
            let interval = backoff.after_send(heard);
            let next = (since_start < policy.window && !interval.is_zero())
                .then(|| Instant::now().checked_add(interval))
                .flatten()
                .filter(|at| *at < deadline && at.duration_since(start) <= policy.window)
                .unwrap_or(deadline);
            tokio::select! {
                reply = &mut registration.rx => {
                    let took = start.elapsed();
                    debug!(attempts, elapsed = ?took, "reply received");
                    if attempts == 1 {
                        // Karn: only a request answered on its first copy measures the path.
                        self.shared.rtt().sample(took);
                    }
                    return ex.received(reply);
                }
                () = tokio::time::sleep_until(next) => {
                    if next >= deadline {
                        debug!(attempts, "deadline passed");
                        return Err(ex.timeout(attempts));
                    }
                }
            }
        }
    }
}

/// The socket buffer size asked for (the kernel caps it at `net.core.rmem_max` /
/// `wmem_max`): with the default ~208 KB a burst of replies to thousands of requests in flight
/// overflows the receive buffer, and every lost reply costs a retransmission interval.
const SOCKET_BUFFER: usize = 4 * 1024 * 1024;

/// A non-blocking UDP socket bound to `bind`, with large buffers (best effort).
fn bind_socket(bind: SocketAddr) -> Result<UdpSocket> {
    let fail = |e| Error::io(format!("binding UDP socket to {bind}"), e);
    let socket = socket2::Socket::new(
        socket2::Domain::for_address(bind),
        socket2::Type::DGRAM,
        Some(socket2::Protocol::UDP),
    )
    .map_err(fail)?;
    if let Err(e) = socket.set_recv_buffer_size(SOCKET_BUFFER) {
        debug!(error = %e, "could not enlarge the UDP receive buffer");
    }
    if let Err(e) = socket.set_send_buffer_size(SOCKET_BUFFER) {
        debug!(error = %e, "could not enlarge the UDP send buffer");
    }
    socket.set_nonblocking(true).map_err(fail)?;
    socket.bind(&bind.into()).map_err(fail)?;
    UdpSocket::from_std(socket.into()).map_err(fail)
}

async fn drive(shared: Arc<Shared>) {
    let mut buf = vec![0u8; RECV_BUFFER];
    loop {
        let (len, from) = match shared.socket.recv_from(&mut buf).await {
            Ok(v) => v,
            Err(e) if is_refusal(&e) => {
                shared.on_refusal(e);
                continue;
            }
            Err(e) if is_transient(&e) => {
                debug!(error = %e, "transient UDP receive error");
                continue;
            }
            Err(e) => {
                let err = Error::io("receiving from the NG socket", e);
                warn!(error = %err, "UDP socket failed; failing every request in flight");
                shared.inflight.kill(err);
                return;
            }
        };
        // The connected socket already filters other sources; kept for platforms that do not.
        if from != shared.server {
            debug!(%from, len, "dropping datagram from a foreign address");
            continue;
        }
        shared.heard_now();
        if len > shared.max_reply_size {
            // Not decoded: its request fails at once rather than waiting for a reply that
            // would be as large.
            let err = reply_too_large(&shared.server.to_string(), len, shared.max_reply_size);
            debug!(
                len,
                limit = shared.max_reply_size,
                "reply over the size bound"
            );
            if let Some(cookie) = cookie_of(&buf[..len]) {
                shared.inflight.fail(cookie, err);
            }
            continue;
        }
        // Copy out exactly this datagram, so a held reply never pins a 64 KiB buffer.
        let datagram = Bytes::copy_from_slice(&buf[..len]);
        match parse_message(&datagram) {
            Ok((cookie, dict)) => {
                shared.inflight.complete(&cookie, dict);
            }
            Err(e) => match empty_reply_cookie(&datagram) {
                // rtpengine 26 answers a request it cannot decode with its cookie and nothing
                // else, and caches that: every copy would get the same, so fail now.
                Some(cookie) => {
                    debug!(len, "empty reply: the daemon could not decode the request");
                    shared.inflight.fail(
                        cookie,
                        Error::malformed(
                            "rtpengine answered with an empty body (it does so for a request \
                             it cannot decode)",
                        ),
                    );
                }
                // Anything else may be damage on the way: a copy may fetch the intact reply.
                None => debug!(len, error = %e, "dropping undecodable datagram"),
            },
        }
    }
}

/// The cookie of a reply that is a cookie and nothing else but white space.
fn empty_reply_cookie(datagram: &[u8]) -> Option<&[u8]> {
    let cookie = cookie_of(datagram)?;
    datagram[cookie.len()..]
        .iter()
        .all(u8::is_ascii_whitespace)
        .then_some(cookie)
}

/// `EMSGSIZE` (a datagram over the size limit), which has no [`std::io::ErrorKind`] of its own
/// (std files it as uncategorized). Named here per platform rather than taken from `libc`, which
/// is no dependency of this crate.
#[cfg(any(target_os = "linux", target_os = "android"))]
const EMSGSIZE: Option<i32> = Some(90);
#[cfg(any(
    target_os = "macos",
    target_os = "ios",
    target_os = "freebsd",
    target_os = "netbsd",
    target_os = "openbsd",
    target_os = "dragonfly"
))]
const EMSGSIZE: Option<i32> = Some(40);
/// `WSAEMSGSIZE`.
#[cfg(windows)]
const EMSGSIZE: Option<i32> = Some(10040);
#[cfg(not(any(
    target_os = "linux",
    target_os = "android",
    target_os = "macos",
    target_os = "ios",
    target_os = "freebsd",
    target_os = "netbsd",
    target_os = "openbsd",
    target_os = "dragonfly",
    windows
)))]
const EMSGSIZE: Option<i32> = None;

/// Errors a UDP socket reports for one datagram (mostly ICMP errors of an earlier send), after
/// which the socket still works.
fn is_transient(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        e.kind(),
        ConnectionReset
            | Interrupted
            | WouldBlock
            | TimedOut
            // EHOSTUNREACH / ENETUNREACH from ICMP errors.
            | HostUnreachable
            | NetworkUnreachable
    ) || (EMSGSIZE.is_some() && e.raw_os_error() == EMSGSIZE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_reply_is_a_cookie_and_white_space() {
        assert_eq!(empty_reply_cookie(b"abc "), Some(&b"abc"[..]));
        assert_eq!(empty_reply_cookie(b"abc \n"), Some(&b"abc"[..]));
        assert_eq!(empty_reply_cookie(b"abc d"), None);
        assert_eq!(empty_reply_cookie(b"abc"), None);
        assert_eq!(empty_reply_cookie(b" "), None);
    }

    #[test]
    fn transient_errors_by_kind_and_by_code() {
        use std::io::{Error, ErrorKind};
        // A refusal is handled before (counted, maybe failing the requests in flight).
        assert!(is_refusal(&Error::from(ErrorKind::ConnectionRefused)));
        #[cfg(target_os = "linux")]
        assert!(is_refusal(&Error::from_raw_os_error(111)));
        for kind in [ErrorKind::HostUnreachable, ErrorKind::NetworkUnreachable] {
            assert!(is_transient(&Error::from(kind)), "{kind:?}");
        }
        assert!(!is_transient(&Error::from(ErrorKind::PermissionDenied)));
        if let Some(code) = EMSGSIZE {
            assert!(is_transient(&Error::from_raw_os_error(code)));
        }
        #[cfg(target_os = "linux")]
        {
            // The codes the old table named, through std's own decoding.
            assert!(is_transient(&Error::from_raw_os_error(113)));
            assert!(is_transient(&Error::from_raw_os_error(101)));
        }
    }
}
