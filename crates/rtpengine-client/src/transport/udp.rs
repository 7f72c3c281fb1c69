//! NG over UDP: one socket per client, one driver task reading replies, an in-flight table keyed
//! by cookie.
//!
//! Callers register their cookie, send (and re-send) the datagram themselves and wait on a
//! oneshot. The driver task only receives: it drops datagrams from foreign addresses,
//! undecodable ones and unknown cookies (late or duplicate replies) with a debug log, and hands
//! every other reply to its waiter. The table lock is never held across an await.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use bytes::Bytes;
use tokio::net::UdpSocket;
use tokio::sync::oneshot;
use tokio::task::AbortHandle;
use tracing::{debug, warn};

use crate::bencode::Dict;
use crate::error::{Error, Result};
use crate::message::parse_message;

/// The largest datagram the daemon (and we) read.
const RECV_BUFFER: usize = 65_536;

type Waiter = oneshot::Sender<Result<Dict>>;

struct Shared {
    socket: UdpSocket,
    server: SocketAddr,
    max_in_flight: usize,
    pending: Mutex<HashMap<Bytes, Waiter>>,
    /// Set once when the socket fails for good; every later request gets it.
    dead: OnceLock<Error>,
}

impl Shared {
    fn pending(&self) -> MutexGuard<'_, HashMap<Bytes, Waiter>> {
        // A panic while holding this lock cannot leave the map inconsistent (single inserts and
        // removes), so a poisoned lock is still usable.
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Aborts the driver when the last handle goes.
struct DriverGuard(AbortHandle);

impl Drop for DriverGuard {
    fn drop(&mut self) {
        self.0.abort();
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
    pub(crate) async fn open(
        server: SocketAddr,
        bind: Option<SocketAddr>,
        max_in_flight: usize,
    ) -> Result<Self> {
        let bind = bind.unwrap_or_else(|| match server {
            SocketAddr::V4(_) => SocketAddr::from(([0, 0, 0, 0], 0)),
            SocketAddr::V6(_) => SocketAddr::from(([0u16; 8], 0)),
        });
        let socket = UdpSocket::bind(bind)
            .await
            .map_err(|e| Error::io(format!("binding UDP socket to {bind}"), e))?;
        let shared = Arc::new(Shared {
            socket,
            server,
            max_in_flight: max_in_flight.max(1),
            pending: Mutex::new(HashMap::new()),
            dead: OnceLock::new(),
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
        self.shared.pending().len()
    }

    /// Registers `cookie`; the returned guard unregisters it when dropped.
    pub(crate) fn register(&self, cookie: Bytes) -> Result<Registration> {
        if let Some(err) = self.shared.dead.get() {
            return Err(err.clone());
        }
        let (tx, rx) = oneshot::channel();
        {
            let mut pending = self.shared.pending();
            if pending.len() >= self.shared.max_in_flight {
                return Err(Error::TooManyInFlight {
                    limit: self.shared.max_in_flight,
                });
            }
            if pending.contains_key(&cookie) {
                return Err(Error::InvalidRequest {
                    reason: "cookie already in flight".to_owned(),
                });
            }
            pending.insert(cookie.clone(), tx);
        }
        Ok(Registration {
            shared: Arc::clone(&self.shared),
            cookie,
            rx,
        })
    }

    /// Sends one datagram to the server.
    pub(crate) async fn send(&self, datagram: &[u8]) -> Result<()> {
        let sent = self
            .shared
            .socket
            .send_to(datagram, self.shared.server)
            .await
            .map_err(|e| Error::io(format!("sending to {}", self.shared.server), e))?;
        if sent != datagram.len() {
            return Err(Error::io(
                "sending",
                std::io::Error::other(format!("short UDP send: {sent} of {}", datagram.len())),
            ));
        }
        Ok(())
    }
}

/// An entry in the in-flight table, removed when this is dropped (reply, timeout or the caller
/// giving up).
pub(crate) struct Registration {
    shared: Arc<Shared>,
    cookie: Bytes,
    pub(crate) rx: oneshot::Receiver<Result<Dict>>,
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.shared.pending().remove(&self.cookie);
    }
}

async fn drive(shared: Arc<Shared>) {
    let mut buf = vec![0u8; RECV_BUFFER];
    loop {
        let (len, from) = match shared.socket.recv_from(&mut buf).await {
            Ok(v) => v,
            Err(e) if is_transient(&e) => {
                debug!(error = %e, "transient UDP receive error");
                continue;
            }
            Err(e) => {
                let err = Error::io("receiving from the NG socket", e);
                warn!(error = %err, "UDP socket failed; failing every request in flight");
                let _ = shared.dead.set(err.clone());
                let waiters: Vec<Waiter> = shared.pending().drain().map(|(_, w)| w).collect();
                for w in waiters {
                    let _ = w.send(Err(err.clone()));
                }
                return;
            }
        };
        if from != shared.server {
            debug!(%from, len, "dropping datagram from a foreign address");
            continue;
        }
        // Copy out exactly this datagram, so a held reply never pins a 64 KiB buffer.
        let datagram = Bytes::copy_from_slice(&buf[..len]);
        let (cookie, dict) = match parse_message(&datagram) {
            Ok(v) => v,
            Err(e) => {
                debug!(len, error = %e, "dropping undecodable datagram");
                continue;
            }
        };
        let waiter = shared.pending().remove(&cookie);
        match waiter {
            Some(w) => {
                // The caller may have given up in the meantime; nothing to do then.
                let _ = w.send(Ok(dict));
            }
            None => debug!(
                cookie = %cookie.escape_ascii(),
                "dropping reply with unknown cookie (late, duplicate or foreign)"
            ),
        }
    }
}

fn is_transient(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        e.kind(),
        ConnectionRefused | ConnectionReset | Interrupted | WouldBlock | TimedOut
    ) || e.raw_os_error().is_some_and(|c| {
        // EHOSTUNREACH / ENETUNREACH from ICMP errors, and EMSGSIZE for an oversized datagram.
        [113, 101, 90].contains(&c)
    })
}
