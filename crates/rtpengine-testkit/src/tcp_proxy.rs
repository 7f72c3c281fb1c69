//! A TCP relay that cuts connections in the middle of a message, for reconnection tests.
//!
//! [`CuttingTcpProxy`] listens on `127.0.0.1:0`; for each accepted connection it opens one to
//! the upstream address (e.g. a real daemon's NG TCP port, [`crate::Rtpengine::ng_tcp_addr`])
//! and relays bytes both ways, chunk by chunk, as they are read. [`TcpFaults`] gives, per
//! direction, the probability that a chunk is the last one: only a random part of it (at least
//! one byte short of the whole, so the cut falls inside the chunk) is passed on (for a request
//! chunk, only with [`TcpFaults::partial_requests`]; otherwise none of it), and then the
//! client's connection is closed, the daemon's with it or, with a [`TcpFaults::upstream_grace`],
//! once it has been quiet that long. A cut request never reaches the daemon whole (rtpengine
//! 10.5 discards a partial message when its connection closes; 12.5 mishandles it, see
//! [`TcpFaults::partial_requests`]); a cut reply reaches the client in part, followed by the end
//! of the stream. Requests that were delivered whole before a cut may have been executed, their
//! replies lost: a client must reconnect and re-send what is still waiting (with the same
//! cookie, so the daemon's cookie cache answers without executing twice).
//! [`CuttingTcpProxy::cut_all`] cuts every open connection at once.
//!
//! TCP has no loss, duplication or corruption to inject: its checksums and retransmissions hide
//! them. Chunks going upstream are written whole, never split further (rtpengine closes a
//! connection holding more than 1,024 bytes of a partial message).

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

/// Where a [`CuttingTcpProxy`] cuts connections.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct TcpFaults {
    /// Probability (0.0–1.0) that a chunk read from the client is passed on only in part and
    /// the connection cut.
    pub cut_requests: f64,
    /// Probability (0.0–1.0) that a chunk read from upstream is passed on only in part and the
    /// connection cut.
    pub cut_replies: f64,
    /// Seed for the deterministic pseudo-random generator (shared by all connections, so the
    /// decisions depend on the order chunks arrive in).
    pub seed: u64,
    /// After a cut, how long the upstream connection stays open, its data read and thrown away,
    /// until it has been quiet this long (zero: closed with the client's, at once). The client
    /// sees the same cut either way; a grace lets the daemon finish what it is executing before
    /// its connection closes, which rtpengine 12.5 needs: it crashes when a TCP NG connection
    /// closes while a command received on it is being executed.
    pub upstream_grace: Duration,
    /// Whether the part of a cut request chunk before the cut reaches upstream (so the daemon
    /// holds a partial message when its connection closes) or is withheld (the daemon's stream
    /// ends at a chunk boundary, normally a message boundary, as clients write each message
    /// whole). rtpengine mishandles a partial message at the end of a connection: 10.5 and
    /// 12.5 sometimes answer it with a decode error (26.0 with an empty body) that the cookie
    /// cache then returns to the intact copy a client re-sends; 12.5 leaves such connections in
    /// CLOSE-WAIT and at times stops answering another connection; in one run 10.5 stopped
    /// answering altogether (UDP too).
    pub partial_requests: bool,
}

impl TcpFaults {
    /// Never cuts.
    pub fn none() -> Self {
        TcpFaults::default()
    }
}

/// Snapshot of a [`CuttingTcpProxy`]'s counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TcpProxyStats {
    /// Client connections accepted.
    pub connections: u64,
    /// Connections to upstream that failed (the client connection was closed at once).
    pub upstream_failures: u64,
    /// Client → upstream bytes passed on.
    pub request_bytes: u64,
    /// Upstream → client bytes passed on.
    pub reply_bytes: u64,
    /// Connections cut while passing on a chunk from the client.
    pub requests_cut: u64,
    /// Connections cut while passing on a chunk from upstream.
    pub replies_cut: u64,
    /// Connections cut by [`CuttingTcpProxy::cut_all`].
    pub forced_cuts: u64,
}

#[derive(Default)]
struct Counters {
    connections: AtomicU64,
    upstream_failures: AtomicU64,
    request_bytes: AtomicU64,
    reply_bytes: AtomicU64,
    requests_cut: AtomicU64,
    replies_cut: AtomicU64,
    forced_cuts: AtomicU64,
}

struct Shared {
    counters: Counters,
    faults: Mutex<(TcpFaults, fastrand::Rng)>,
    /// Bumped by `cut_all`; every connection task watches it.
    cut_all: watch::Sender<u64>,
}

impl Shared {
    fn partial_requests(&self) -> bool {
        self.faults
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .0
            .partial_requests
    }

    /// How many bytes of a chunk of `len` read from one side to pass on: `None` for all of it,
    /// `Some(n)` (n < len) for a cut after n bytes.
    fn decide(&self, from_client: bool, len: usize) -> Option<usize> {
        let mut guard = self.faults.lock().unwrap_or_else(PoisonError::into_inner);
        let (faults, rng) = &mut *guard;
        let p = if from_client {
            faults.cut_requests
        } else {
            faults.cut_replies
        };
        (p > 0.0 && rng.f64() < p).then(|| rng.usize(..len.max(1)))
    }
}

/// A TCP relay that cuts connections mid-message as its [`TcpFaults`] say; stops (closing every
/// connection) when dropped. Must be started inside a tokio runtime.
pub struct CuttingTcpProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl std::fmt::Debug for CuttingTcpProxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CuttingTcpProxy")
            .field("addr", &self.addr)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl CuttingTcpProxy {
    /// Starts a relay on `127.0.0.1:0` to `upstream`.
    pub async fn start(upstream: SocketAddr, faults: TcpFaults) -> std::io::Result<Self> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let (cut_all, _) = watch::channel(0);
        let shared = Arc::new(Shared {
            counters: Counters::default(),
            faults: Mutex::new((faults, fastrand::Rng::with_seed(faults.seed))),
            cut_all,
        });
        let task = tokio::spawn(accept(listener, upstream, Arc::clone(&shared)));
        Ok(CuttingTcpProxy { addr, shared, task })
    }

    /// Address clients should connect to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The address as a URL, `tcp://127.0.0.1:P`.
    pub fn url(&self) -> String {
        format!("tcp://{}", self.addr)
    }

    /// Replaces the faults from the next chunk on (the generator starts over from the seed).
    pub fn set_faults(&self, faults: TcpFaults) {
        *self
            .shared
            .faults
            .lock()
            .unwrap_or_else(PoisonError::into_inner) =
            (faults, fastrand::Rng::with_seed(faults.seed));
    }

    /// Cuts every open connection now (counted in [`TcpProxyStats::forced_cuts`]); new ones are
    /// accepted as before.
    pub fn cut_all(&self) {
        self.shared.cut_all.send_modify(|n| *n += 1);
    }

    /// Current counters.
    pub fn stats(&self) -> TcpProxyStats {
        let c = &self.shared.counters;
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        TcpProxyStats {
            connections: load(&c.connections),
            upstream_failures: load(&c.upstream_failures),
            request_bytes: load(&c.request_bytes),
            reply_bytes: load(&c.reply_bytes),
            requests_cut: load(&c.requests_cut),
            replies_cut: load(&c.replies_cut),
            forced_cuts: load(&c.forced_cuts),
        }
    }
}

impl Drop for CuttingTcpProxy {
    fn drop(&mut self) {
        // The connection tasks live in the accept task's JoinSet and end with it.
        self.task.abort();
    }
}

async fn accept(listener: TcpListener, upstream: SocketAddr, shared: Arc<Shared>) {
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    shared.counters.connections.fetch_add(1, Ordering::Relaxed);
                    conns.spawn(relay(stream, upstream, Arc::clone(&shared)));
                }
                Err(e) => tracing::debug!(error = %e, "cutting proxy: accept failed"),
            },
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
}

/// Relays one connection until either side closes it or a cut; both are closed on return.
async fn relay(client: TcpStream, upstream: SocketAddr, shared: Arc<Shared>) {
    let mut cut_all = shared.cut_all.subscribe();
    cut_all.mark_unchanged();
    let up = match TcpStream::connect(upstream).await {
        Ok(s) => s,
        Err(e) => {
            tracing::debug!(error = %e, "cutting proxy: upstream connect failed");
            shared
                .counters
                .upstream_failures
                .fetch_add(1, Ordering::Relaxed);
            return;
        }
    };
    let _ = client.set_nodelay(true);
    let _ = up.set_nodelay(true);
    if relay_until_cut(&client, &up, &shared, &mut cut_all).await {
        // Cut: the client's connection closes now; the daemon's after the grace.
        drop(client);
        let grace = shared
            .faults
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .0
            .upstream_grace;
        drain(&up, grace).await;
    }
}

/// Reads and throws away what `stream` sends until it has been quiet for `grace` (or closed).
async fn drain(stream: &TcpStream, grace: Duration) {
    let mut buf = vec![0u8; 65_536];
    while !grace.is_zero() {
        match tokio::time::timeout(grace, stream.readable()).await {
            Ok(Ok(())) => match stream.try_read(&mut buf) {
                Ok(0) => return,
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(_) => return,
            },
            Ok(Err(_)) | Err(_) => return,
        }
    }
}

/// Relays between the two streams until one closes (false) or a cut (true).
async fn relay_until_cut(
    client: &TcpStream,
    up: &TcpStream,
    shared: &Shared,
    cut_all: &mut watch::Receiver<u64>,
) -> bool {
    let c = &shared.counters;
    let mut cbuf = vec![0u8; 65_536];
    let mut ubuf = vec![0u8; 65_536];
    loop {
        // (No io-util here: readiness and non-blocking reads and writes.)
        let from_client = tokio::select! {
            ready = client.readable() => { if ready.is_err() { return false } true }
            ready = up.readable() => { if ready.is_err() { return false } false }
            changed = cut_all.changed() => {
                if changed.is_ok() {
                    c.forced_cuts.fetch_add(1, Ordering::Relaxed);
                }
                return changed.is_ok();
            }
        };
        let (src, dst, buf) = if from_client {
            (client, up, &mut cbuf)
        } else {
            (up, client, &mut ubuf)
        };
        let n = match src.try_read(buf) {
            Ok(0) => return false,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(_) => return false,
        };
        let keep = shared.decide(from_client, n);
        let pass = match keep {
            Some(_) if from_client && !shared.partial_requests() => 0,
            Some(cut) => cut,
            None => n,
        };
        if write_all(dst, &buf[..pass]).await.is_err() {
            return false;
        }
        let (bytes, cuts) = if from_client {
            (&c.request_bytes, &c.requests_cut)
        } else {
            (&c.reply_bytes, &c.replies_cut)
        };
        bytes.fetch_add(pass as u64, Ordering::Relaxed);
        if keep.is_some() {
            cuts.fetch_add(1, Ordering::Relaxed);
            return true;
        }
    }
}

/// Writes all of `bytes` to `stream`.
async fn write_all(stream: &TcpStream, mut bytes: &[u8]) -> std::io::Result<()> {
    while !bytes.is_empty() {
        stream.writable().await?;
        match stream.try_write(bytes) {
            Ok(n) => bytes = &bytes[n..],
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
