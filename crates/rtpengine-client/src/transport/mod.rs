//! Transports (tokio). Each one carries `cookie SP dict` messages to one rtpengine and matches
//! replies to requests by cookie through the shared in-flight table.

pub(crate) mod http;
pub(crate) mod inflight;
pub mod retransmit;
pub(crate) mod tcp;
pub(crate) mod tls;
pub(crate) mod udp;
pub mod url;
pub(crate) mod ws;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::oneshot;
use tokio::task::AbortHandle;
use tokio::time::Instant;

pub use retransmit::RetransmitPolicy;
pub use url::{Scheme, ServerUrl, DEFAULT_PORT};

use crate::bencode::Dict;
use crate::client::{CommandCells, StatsCells};
use crate::error::{Error, Result};

/// One request as a transport sees it.
pub(crate) struct Exchange<'a> {
    /// The NG command (for errors and logs).
    pub(crate) command: &'a str,
    /// The request's cookie.
    pub(crate) cookie: Bytes,
    /// The whole message, `cookie SP dict`.
    pub(crate) message: Bytes,
    /// The whole deadline.
    pub(crate) timeout: Duration,
    /// When to send again (datagram transports only).
    pub(crate) retransmit: &'a RetransmitPolicy,
    /// The server, as errors name it.
    pub(crate) server_label: &'a str,
    /// The counters of the request's command (retransmissions).
    pub(crate) stats: &'a CommandCells,
}

impl Exchange<'_> {
    /// The deadline for a request started at `start` (a deadline too far to represent is as
    /// good as none).
    pub(crate) fn deadline(&self, start: Instant) -> Instant {
        start
            .checked_add(self.timeout)
            .unwrap_or_else(|| start + Duration::from_secs(100 * 365 * 86_400))
    }

    /// The timeout error of this request.
    pub(crate) fn timeout(&self, attempts: u32) -> Error {
        Error::Timeout {
            server: self.server_label.to_owned(),
            command: self.command.to_owned(),
            attempts,
            deadline: self.timeout,
        }
    }

    /// What the waiter received.
    pub(crate) fn received(
        &self,
        reply: std::result::Result<Result<Dict>, oneshot::error::RecvError>,
    ) -> Result<Dict> {
        match reply {
            Ok(result) => result,
            // The table entry was dropped without an answer: only the driver's shutdown does
            // that.
            Err(_) => Err(Error::Closed {
                reason: "the client's background task ended".to_owned(),
            }),
        }
    }
}

/// Aborts a driver task when the last handle goes.
pub(crate) struct DriverGuard(pub(crate) AbortHandle);

impl Drop for DriverGuard {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// What every transport is opened with.
#[derive(Debug, Clone)]
pub(crate) struct TransportConfig {
    /// Local address to bind (UDP) or connect from (streams).
    pub(crate) bind: Option<SocketAddr>,
    /// In-flight table bound.
    pub(crate) max_in_flight: usize,
    /// How long one connection attempt of a stream transport may take (TCP connect, TLS and
    /// WebSocket handshakes).
    pub(crate) connect_timeout: Duration,
    /// TLS settings for `wss://` and `https://`.
    pub(crate) tls: tls::TlsSettings,
    /// Requests are sent as JSON (refused on TCP, where rtpengine hangs the connection).
    pub(crate) json: bool,
    /// The client's counters (reconnects).
    pub(crate) stats: Arc<StatsCells>,
}

impl Default for TransportConfig {
    fn default() -> Self {
        Self {
            bind: None,
            max_in_flight: crate::DEFAULT_MAX_IN_FLIGHT,
            connect_timeout: crate::DEFAULT_TIMEOUT,
            tls: tls::TlsSettings::default(),
            json: false,
            stats: Arc::default(),
        }
    }
}

/// Opens a TCP connection to `server` (from `bind`'s address when given), with no-delay and a
/// big send buffer so each request leaves in one write. `label` names the server in errors.
/// No timeout: callers bound it.
pub(crate) async fn tcp_connect(
    server: SocketAddr,
    bind: Option<SocketAddr>,
    label: &str,
) -> Result<tokio::net::TcpStream> {
    let socket = if server.is_ipv4() {
        tokio::net::TcpSocket::new_v4()
    } else {
        tokio::net::TcpSocket::new_v6()
    }
    .map_err(|e| Error::io("creating a TCP socket", e))?;
    let _ = socket.set_send_buffer_size(4 * 1024 * 1024);
    if let Some(bind) = bind {
        socket
            .bind(SocketAddr::new(bind.ip(), 0))
            .map_err(|e| Error::io(format!("binding to {}", bind.ip()), e))?;
    }
    let stream = socket
        .connect(server)
        .await
        .map_err(|e| Error::io(format!("connecting to {label}"), e))?;
    let _ = stream.set_nodelay(true);
    Ok(stream)
}

/// Resolves `url`'s host to one address (of `bind`'s family when one is given).
pub(crate) async fn resolve(url: &ServerUrl, bind: Option<SocketAddr>) -> Result<SocketAddr> {
    let mut addrs = tokio::net::lookup_host(url.host_port())
        .await
        .map_err(|e| Error::BadUrl {
            url: url.to_string(),
            reason: format!("cannot resolve '{}': {e}", url.host),
        })?;
    match bind {
        Some(bind) => addrs.find(|a| a.is_ipv4() == bind.is_ipv4()),
        None => addrs.next(),
    }
    .ok_or_else(|| Error::BadUrl {
        url: url.to_string(),
        reason: format!("'{}' resolves to no usable address", url.host),
    })
}

/// The transport of one client: a cheap, cloneable handle on its background task(s).
#[derive(Clone)]
pub(crate) enum Transport {
    /// Datagrams with retransmission.
    Udp(udp::UdpTransport),
    /// One persistent TCP connection, reconnected when it breaks.
    Tcp(tcp::TcpTransport),
    /// A pool of WebSocket connections (plain or TLS), one request on each at a time.
    Ws(ws::WsTransport),
    /// A pool of HTTP/1.1 keep-alive connections (plain or TLS).
    Http(http::HttpTransport),
}

impl Transport {
    /// Opens the transport `url` names.
    pub(crate) async fn open(url: &ServerUrl, config: &TransportConfig) -> Result<Self> {
        match url.scheme {
            Scheme::Udp => {
                let server = resolve(url, config.bind).await?;
                Ok(Self::Udp(
                    udp::UdpTransport::open(server, config.bind, config.max_in_flight).await?,
                ))
            }
            Scheme::Tcp if config.json => Err(Error::BadUrl {
                url: url.to_string(),
                reason: "JSON requests cannot go over TCP: rtpengine's TCP NG listener only \
                         understands bencode and leaves the connection hanging (use udp, http or \
                         ws, or turn JSON off)"
                    .to_owned(),
            }),
            Scheme::Tcp => Ok(Self::Tcp(tcp::TcpTransport::open(url, config).await?)),
            Scheme::Ws | Scheme::Wss => Ok(Self::Ws(ws::WsTransport::open(url, config).await?)),
            Scheme::Http | Scheme::Https => {
                Ok(Self::Http(http::HttpTransport::open(url, config).await?))
            }
        }
    }

    /// Sends one request and waits for its reply within its deadline.
    pub(crate) async fn exchange(&self, ex: Exchange<'_>) -> Result<Dict> {
        match self {
            Self::Udp(t) => t.exchange(ex).await,
            // Boxed: the stream transports' futures are several KB, and an inline await would
            // make every UDP request future (the hot path) that large too.
            Self::Tcp(t) => Box::pin(t.exchange(ex)).await,
            Self::Ws(t) => Box::pin(t.exchange(ex)).await,
            Self::Http(t) => Box::pin(t.exchange(ex)).await,
        }
    }

    /// The server's address.
    pub(crate) fn server(&self) -> SocketAddr {
        match self {
            Self::Udp(t) => t.server(),
            Self::Tcp(t) => t.server(),
            Self::Ws(t) => t.server(),
            Self::Http(t) => t.server(),
        }
    }

    /// The local address (for a stream transport: of the current connection).
    pub(crate) fn local_addr(&self) -> Result<SocketAddr> {
        match self {
            Self::Udp(t) => t.local_addr(),
            Self::Tcp(t) => t.local_addr(),
            Self::Ws(t) => t.local_addr(),
            Self::Http(t) => t.local_addr(),
        }
    }

    /// Requests waiting for a reply.
    pub(crate) fn in_flight(&self) -> usize {
        match self {
            Self::Udp(t) => t.in_flight(),
            Self::Tcp(t) => t.in_flight(),
            Self::Ws(t) => t.in_flight(),
            Self::Http(t) => t.in_flight(),
        }
    }
}
