//! The connection pool of the transports that carry one request per connection at a time
//! (HTTP/1.1 keep-alive and WebSocket): one implementation of everything they share.
//!
//! A request takes a permit (at most [`pool_size`](crate::ClientBuilder::pool_size)
//! connections are busy at once; more requests wait for one within their deadline), an idle
//! connection or a new one, runs one round trip on it and puts the connection back when it can
//! carry another request (at most [`max_idle_connections`](crate::ClientBuilder::max_idle_connections)
//! are kept). A pooled connection that turns out closed before the reply (the server closed it
//! while it was idle) is replaced by a new one and the request is sent once more, with the same
//! cookie: the daemon's cookie cache answers a repeat without running it twice.
//!
//! Every request is an entry of the in-flight table from start to end; its reply is handed
//! through the table like every transport's, so the entry ends answered (or, on an error,
//! timeout or cancellation, removed by its guard).
//!
//! What differs per protocol (how to dial, how one round trip goes) is a [`Protocol`].

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::Semaphore;
use tokio::time::Instant;
use tracing::debug;

use super::inflight::InFlight;
use super::{Exchange, TransportConfig};
use crate::bencode::Dict;
use crate::error::{Error, Result};

/// How one round trip failed.
pub(crate) enum Failure {
    /// The connection ended, broke or was closed by the server before any of the reply: on a
    /// pooled connection, the server closed it while it was idle, so the request may be sent
    /// again on a new one.
    ClosedBeforeReply(io::Error),
    /// Anything else: not retried, and the connection is dropped.
    Other(Error),
}

/// Whether an I/O error means the peer closed (or reset) the connection.
pub(crate) fn is_closed(e: &io::Error) -> bool {
    use io::ErrorKind::*;
    matches!(
        e.kind(),
        UnexpectedEof | ConnectionReset | ConnectionAborted | BrokenPipe | NotConnected
    )
}

/// One protocol the pool carries: how a connection is opened and how one request goes.
pub(crate) trait Protocol: Send + Sync + 'static {
    /// One connection, ready for a request.
    type Conn: Send;

    /// The protocol's name in errors ("HTTP", "WebSocket").
    const NAME: &'static str;

    /// Opens one connection: TCP, TLS and the protocol's handshake. The pool bounds the whole
    /// of it with the connect timeout.
    fn dial(&self) -> impl Future<Output = Result<Self::Conn>> + Send;

    /// Sends `ex`'s request on `conn` and reads its reply. `Err` is a failure of the
    /// connection; `Ok(Err(_))` is a reply that is an error (an HTTP status), after which the
    /// connection may still be reused.
    fn round_trip(
        &self,
        conn: &mut Self::Conn,
        ex: &Exchange<'_>,
    ) -> impl Future<Output = std::result::Result<Result<Dict>, Failure>> + Send;

    /// Whether `conn` can carry another request after a round trip.
    fn reusable(conn: &Self::Conn) -> bool;

    /// The local address of `conn`.
    fn local_addr(conn: &Self::Conn) -> Option<SocketAddr>;
}

/// A cheap, cloneable handle on the connections to one server.
pub(crate) struct Pool<P: Protocol> {
    shared: Arc<Shared<P>>,
}

impl<P: Protocol> Clone for Pool<P> {
    fn clone(&self) -> Self {
        Self {
            shared: Arc::clone(&self.shared),
        }
    }
}

struct Shared<P: Protocol> {
    protocol: P,
    server: SocketAddr,
    /// The URL as errors name it.
    label: String,
    connect_timeout: Duration,
    max_idle: usize,
    idle: Mutex<Vec<P::Conn>>,
    /// One per connection in use (or being opened).
    permits: Semaphore,
    inflight: InFlight,
    /// The local address of the connection used last.
    local: Mutex<Option<SocketAddr>>,
}

impl<P: Protocol> Pool<P> {
    /// Opens one connection (so a wrong address, certificate or handshake fails here, clearly)
    /// and keeps it for the first request. Sends no request.
    pub(crate) async fn open(
        protocol: P,
        server: SocketAddr,
        label: String,
        config: &TransportConfig,
    ) -> Result<Self> {
        let shared = Arc::new(Shared {
            protocol,
            server,
            label,
            connect_timeout: config.connect_timeout,
            max_idle: config.max_idle_connections,
            idle: Mutex::new(Vec::new()),
            permits: Semaphore::new(config.pool_size.max(1)),
            inflight: InFlight::new(config.max_in_flight),
            local: Mutex::new(None),
        });
        let first = shared.dial().await?;
        shared.idle().push(first);
        Ok(Self { shared })
    }

    pub(crate) fn server(&self) -> SocketAddr {
        self.shared.server
    }

    pub(crate) fn local_addr(&self) -> Result<SocketAddr> {
        self.shared.local().ok_or_else(|| {
            Error::io(
                format!("no connection to {}", self.shared.label),
                io::Error::from(io::ErrorKind::NotConnected),
            )
        })
    }

    pub(crate) fn in_flight(&self) -> usize {
        self.shared.inflight.len()
    }

    /// Runs the request on a connection of its own and waits for its reply, all within the
    /// request's deadline (waiting for a connection and connecting included).
    pub(crate) async fn exchange(&self, ex: Exchange<'_>) -> Result<Dict> {
        let start = Instant::now();
        let deadline = ex.deadline(start);
        let mut registration = self
            .shared
            .inflight
            .register(ex.cookie.clone(), Bytes::new())?;
        let mut attempts = 0;
        let outcome =
            tokio::time::timeout_at(deadline, self.shared.attempt(&ex, &mut attempts)).await;
        let reply = match outcome {
            Err(_) => {
                debug!(attempts, "deadline passed");
                return Err(ex.timeout(attempts.max(1)));
            }
            Ok(result) => result?,
        };
        debug!(elapsed = ?start.elapsed(), attempts, "reply received");
        self.shared.inflight.complete(&ex.cookie, reply);
        match registration.rx.try_recv() {
            Ok(reply) => reply,
            // Only a table emptied under us gets here; the reply was handed in just above.
            Err(_) => Err(Error::Closed {
                reason: format!("the {} request's table entry vanished", P::NAME),
            }),
        }
    }
}

impl<P: Protocol> Shared<P> {
    fn idle(&self) -> MutexGuard<'_, Vec<P::Conn>> {
        // A push or pop cannot leave the list inconsistent, so a poisoned lock is still usable.
        self.idle.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn local(&self) -> Option<SocketAddr> {
        *self.local.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn set_local(&self, local: Option<SocketAddr>) {
        *self.local.lock().unwrap_or_else(|e| e.into_inner()) = local;
    }

    /// A new connection within the connect timeout.
    async fn dial(&self) -> Result<P::Conn> {
        match tokio::time::timeout(self.connect_timeout, self.protocol.dial()).await {
            Ok(conn) => {
                let conn = conn?;
                self.set_local(P::local_addr(&conn));
                debug!(server = %self.label, local = ?P::local_addr(&conn), "{} connected", P::NAME);
                Ok(conn)
            }
            Err(_) => Err(Error::io(
                format!("connecting to {}", self.label),
                io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!(
                        "no {} connection within the connect timeout ({:?})",
                        P::NAME,
                        self.connect_timeout
                    ),
                ),
            )),
        }
    }

    /// One request on a pooled (or new) connection; once more on a new connection when the
    /// pooled one turns out closed.
    async fn attempt(&self, ex: &Exchange<'_>, attempts: &mut u32) -> Result<Dict> {
        let _permit = self.permits.acquire().await.map_err(|_| Error::Closed {
            reason: format!("the {} connection pool is closed", P::NAME),
        })?;
        let pooled = self.idle().pop();
        let reused = pooled.is_some();
        let mut conn = match pooled {
            Some(c) => c,
            None => self.dial().await?,
        };
        *attempts += 1;
        let mut outcome = self.protocol.round_trip(&mut conn, ex).await;
        if reused {
            if let Err(Failure::ClosedBeforeReply(e)) = &outcome {
                debug!(error = %e, "pooled {} connection was closed; sending again on a new one", P::NAME);
                conn = self.dial().await?;
                *attempts += 1;
                outcome = self.protocol.round_trip(&mut conn, ex).await;
            }
        }
        match outcome {
            Ok(reply) => {
                self.set_local(P::local_addr(&conn));
                if P::reusable(&conn) {
                    let mut idle = self.idle();
                    if idle.len() < self.max_idle {
                        idle.push(conn);
                    }
                }
                reply
            }
            Err(Failure::ClosedBeforeReply(e)) => Err(Error::io(
                format!("waiting for the reply from {}", self.label),
                e,
            )),
            Err(Failure::Other(e)) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

    use super::*;
    use crate::counters::CommandCells;
    use crate::transport::RetransmitPolicy;

    /// A scripted protocol: connections dialed before the current epoch were closed by the
    /// server while idle; `fail` makes every round trip fail for another reason.
    #[derive(Default)]
    struct Script {
        dials: AtomicUsize,
        epoch: AtomicU32,
        /// Every new connection is closed before the reply too.
        always_closed: bool,
        fail: bool,
        /// Round trips running right now, and the most at once.
        busy: AtomicUsize,
        peak: AtomicUsize,
    }

    struct Conn {
        epoch: u32,
    }

    impl Protocol for Arc<Script> {
        type Conn = Conn;
        const NAME: &'static str = "scripted";

        async fn dial(&self) -> Result<Conn> {
            self.dials.fetch_add(1, Ordering::SeqCst);
            Ok(Conn {
                epoch: self.epoch.load(Ordering::SeqCst),
            })
        }

        async fn round_trip(
            &self,
            conn: &mut Conn,
            _ex: &Exchange<'_>,
        ) -> std::result::Result<Result<Dict>, Failure> {
            let now = self.busy.fetch_add(1, Ordering::SeqCst) + 1;
            self.peak.fetch_max(now, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(5)).await;
            self.busy.fetch_sub(1, Ordering::SeqCst);
            if self.fail {
                return Err(Failure::Other(Error::malformed("scripted failure")));
            }
            if self.always_closed || conn.epoch != self.epoch.load(Ordering::SeqCst) {
                return Err(Failure::ClosedBeforeReply(io::Error::from(
                    io::ErrorKind::UnexpectedEof,
                )));
            }
            Ok(Ok(Dict::new()))
        }

        fn reusable(_: &Conn) -> bool {
            true
        }

        fn local_addr(_: &Conn) -> Option<SocketAddr> {
            None
        }
    }

    async fn pool(script: &Arc<Script>, pool_size: usize) -> Pool<Arc<Script>> {
        let config = TransportConfig {
            pool_size,
            ..TransportConfig::default()
        };
        let server = SocketAddr::from(([127, 0, 0, 1], 9));
        Pool::open(Arc::clone(script), server, "scripted://".into(), &config)
            .await
            .unwrap()
    }

    async fn ping(pool: &Pool<Arc<Script>>, cookie: &str) -> Result<Dict> {
        let (policy, cells) = (RetransmitPolicy::default(), CommandCells::default());
        pool.exchange(Exchange {
            command: "ping",
            cookie: Bytes::from(cookie.to_owned()),
            message: Bytes::from(format!("{cookie} d7:command4:pinge")),
            timeout: Duration::from_secs(5),
            retransmit: &policy,
            server_label: "scripted://",
            stats: &cells,
        })
        .await
    }

    #[tokio::test]
    async fn a_stale_pooled_connection_is_replaced_once() {
        let script = Arc::new(Script::default());
        let pool = pool(&script, 4).await;
        ping(&pool, "a").await.unwrap();
        assert_eq!(
            script.dials.load(Ordering::SeqCst),
            1,
            "the opened one, reused"
        );
        // The server closes the idle connection: the request goes again on a new one.
        script.epoch.fetch_add(1, Ordering::SeqCst);
        ping(&pool, "b").await.unwrap();
        assert_eq!(script.dials.load(Ordering::SeqCst), 2);
        assert_eq!(pool.in_flight(), 0);
    }

    #[tokio::test]
    async fn a_new_connection_closed_before_the_reply_is_not_retried_again() {
        let script = Arc::new(Script {
            always_closed: true,
            ..Script::default()
        });
        let pool = pool(&script, 4).await;
        let err = ping(&pool, "a").await.unwrap_err();
        assert!(
            err.to_string()
                .contains("waiting for the reply from scripted://"),
            "{err}"
        );
        // The opened connection, then one new one: two attempts, no more.
        assert_eq!(script.dials.load(Ordering::SeqCst), 2);
        assert_eq!(pool.in_flight(), 0);
    }

    #[tokio::test]
    async fn other_failures_are_not_retried() {
        let script = Arc::new(Script {
            fail: true,
            ..Script::default()
        });
        let pool = pool(&script, 4).await;
        let err = ping(&pool, "a").await.unwrap_err();
        assert!(matches!(err, Error::MalformedReply { .. }), "{err:?}");
        assert_eq!(script.dials.load(Ordering::SeqCst), 1);
        assert_eq!(pool.in_flight(), 0);
    }

    #[tokio::test]
    async fn the_pool_size_bounds_concurrent_round_trips() {
        for size in [1, 3] {
            let script = Arc::new(Script::default());
            let pool = pool(&script, size).await;
            let requests = (0..20).map(|i| {
                let pool = pool.clone();
                async move { ping(&pool, &format!("c{i}")).await }
            });
            for reply in futures_join(requests).await {
                reply.unwrap();
            }
            assert_eq!(script.peak.load(Ordering::SeqCst), size);
            assert_eq!(script.dials.load(Ordering::SeqCst), size);
            assert_eq!(pool.in_flight(), 0);
        }
    }

    /// Spawns the futures at once and collects their outputs in order.
    async fn futures_join<F>(futures: impl Iterator<Item = F>) -> Vec<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let tasks: Vec<_> = futures.map(tokio::spawn).collect();
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.expect("task"));
        }
        out
    }
}
