//! Transports (tokio). Each one carries `cookie SP dict` messages to one rtpengine and matches
//! replies to requests by cookie through the shared in-flight table.

//!
//! Which stream transports exist is a matter of Cargo features (all on by default): `tcp`,
//! `ws`, `http` and `tls` (TLS for whichever of `ws` and `http` is on). UDP is always there. A URL
//! whose transport was left out fails at [`ClientBuilder::connect`](crate::ClientBuilder::connect)
//! with [`Error::BadUrl`] naming the missing feature.

#[cfg(feature = "http")]
pub(crate) mod http;
pub(crate) mod inflight;
#[cfg(any(feature = "ws", feature = "http"))]
pub(crate) mod pool;
pub(crate) mod retransmit;
#[cfg(any(feature = "ws", feature = "http"))]
pub(crate) mod stream;
#[cfg(feature = "tcp")]
pub(crate) mod tcp;
#[cfg(all(feature = "tls", any(feature = "ws", feature = "http")))]
pub(crate) mod tls;
pub(crate) mod udp;
pub(crate) mod url;
#[cfg(feature = "ws")]
pub(crate) mod ws;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::oneshot;
use tokio::task::AbortHandle;
use tokio::time::Instant;
use tracing::debug;

pub use retransmit::RetransmitPolicy;
pub use url::{Scheme, ServerUrl, DEFAULT_PORT};

use crate::bencode::Dict;
use crate::counters::{CommandCells, StatsCells};
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

/// The error for a reply of `size` bytes (or more) over the bound `limit` from `server`.
pub(crate) fn reply_too_large(server: &str, size: usize, limit: usize) -> Error {
    Error::ReplyTooLarge {
        server: server.to_owned(),
        size,
        limit,
    }
}

/// A transport saw `server` (as the client names it) refuse: nothing listens on its port.
/// Counted; when refusals fail fast, every request waiting in `inflight` fails with the
/// returned error (`source` is the socket's own, `ConnectionRefused`), else `None`.
pub(crate) fn on_refusal(
    server: &str,
    stats: &StatsCells,
    inflight: &inflight::InFlight,
    fail_fast: bool,
    source: std::io::Error,
) -> Option<Error> {
    stats.refused();
    if !fail_fast {
        debug!(server, "refused; requests wait for their deadline");
        return None;
    }
    let err = Error::io(
        format!("{server} refused: nothing listens there (is rtpengine down?)"),
        source,
    );
    debug!(error = %err, "refused; failing every request in flight");
    inflight.fail_all(&err);
    Some(err)
}

/// Whether a socket error says the server's port refused (ICMP port unreachable on a
/// connected UDP socket, RST on a TCP connect).
pub(crate) fn is_refusal(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::ConnectionRefused
}

/// Aborts a driver task when the last handle goes.
pub(crate) struct DriverGuard(pub(crate) AbortHandle);

impl Drop for DriverGuard {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Requests in flight per client before [`Error::TooManyInFlight`](crate::Error::TooManyInFlight)
/// unless set otherwise ([`ClientBuilder::max_in_flight`](crate::ClientBuilder::max_in_flight)).
pub const DEFAULT_MAX_IN_FLIGHT: usize = 16_384;

/// Connections of an `http(s)://` or `ws(s)://` transport in use at once unless set otherwise
/// ([`ClientBuilder::pool_size`](crate::ClientBuilder::pool_size)): that many requests run
/// concurrently, later ones wait for a connection within their deadline.
pub const DEFAULT_POOL_SIZE: usize = 32;

/// Idle `http(s)://` or `ws(s)://` connections kept for reuse unless set otherwise
/// ([`ClientBuilder::max_idle_connections`](crate::ClientBuilder::max_idle_connections)).
pub const DEFAULT_MAX_IDLE_CONNECTIONS: usize = 32;

/// The longest a stream transport waits for one connection (TCP connect, TLS and WebSocket
/// handshakes) unless set otherwise
/// ([`ClientBuilder::connect_timeout`](crate::ClientBuilder::connect_timeout)), or the request
/// timeout when that is shorter. A host that drops SYNs would otherwise hold a connect for the
/// kernel's two minutes.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// The longest reply a client accepts unless set otherwise
/// ([`ClientBuilder::max_reply_size`](crate::ClientBuilder::max_reply_size)), and the most it
/// can be set to: [`MAX_MESSAGE_LEN`](crate::message::MAX_MESSAGE_LEN), 64 MiB. A UDP reply
/// cannot be longer than a datagram (64 KiB) anyway.
pub const DEFAULT_MAX_REPLY_SIZE: usize = crate::message::MAX_MESSAGE_LEN;

/// The error for a URL whose transport a Cargo feature left out.
#[cfg_attr(
    all(feature = "tcp", feature = "ws", feature = "http", feature = "tls"),
    allow(dead_code)
)]
pub(crate) fn feature_off(url: &ServerUrl, feature: &str) -> Error {
    Error::BadUrl {
        url: url.to_string(),
        reason: format!(
            "the '{feature}' feature of rtpengine-client is off; {}:// URLs need it (enable it \
             in Cargo.toml)",
            url.scheme.as_str()
        ),
    }
}

/// PEM bytes, cheap to clone.
pub(crate) type Pem = Arc<[u8]>;

/// How TLS connections are set up (what the client builder collected).
#[derive(Clone, Default)]
pub(crate) struct TlsSettings {
    /// PEM root certificates to trust instead of the system's.
    pub(crate) roots_pem: Option<Pem>,
    /// PEM certificate chain and private key to present.
    pub(crate) client_cert_pem: Option<(Pem, Pem)>,
    /// Accept any server certificate (no verification at all).
    pub(crate) accept_invalid: bool,
}

impl std::fmt::Debug for TlsSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        f.debug_struct("TlsSettings")
            .field("custom_roots", &self.roots_pem.is_some())
            .field("client_certificate", &self.client_cert_pem.is_some())
            .field("accept_invalid", &self.accept_invalid)
            .finish()
    }
}

/// What every transport is opened with.
#[derive(Debug, Clone)]
// Which fields are read depends on the transports the features leave in.
#[cfg_attr(
    not(all(feature = "tcp", feature = "ws", feature = "http", feature = "tls")),
    allow(dead_code)
)]
pub(crate) struct TransportConfig {
    /// Local address to bind (UDP) or connect from (streams).
    pub(crate) bind: Option<SocketAddr>,
    /// In-flight table bound.
    pub(crate) max_in_flight: usize,
    /// The longest reply accepted (and, on a stream, the most bytes buffered for one).
    pub(crate) max_reply_size: usize,
    /// How long one connection attempt of a stream transport may take (TCP connect, TLS and
    /// WebSocket handshakes).
    pub(crate) connect_timeout: Duration,
    /// Connections of a pooled transport (HTTP, WebSocket) in use at once.
    pub(crate) pool_size: usize,
    /// Idle connections a pooled transport keeps.
    pub(crate) max_idle_connections: usize,
    /// TLS settings for `wss://` and `https://`.
    pub(crate) tls: TlsSettings,
    /// Requests are sent as JSON (refused on TCP, where rtpengine hangs the connection).
    pub(crate) json: bool,
    /// The client's counters (reconnects, refusals).
    pub(crate) stats: Arc<StatsCells>,
    /// A refusal (ICMP port unreachable, refused TCP connect) fails every waiting request at
    /// once instead of waiting for the server to come back within the deadline.
    pub(crate) fail_fast_when_refused: bool,
    /// A `tcp://` server that cannot be reached at open does not fail it: the driver keeps
    /// trying in the background.
    pub(crate) connect_lazily: bool,
}

impl Default for TransportConfig {
    fn default() -> Self {
        Self {
            bind: None,
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            max_reply_size: DEFAULT_MAX_REPLY_SIZE,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            pool_size: DEFAULT_POOL_SIZE,
            max_idle_connections: DEFAULT_MAX_IDLE_CONNECTIONS,
            tls: TlsSettings::default(),
            json: false,
            stats: Arc::default(),
            fail_fast_when_refused: false,
            connect_lazily: false,
        }
    }
}

/// Opens a TCP connection to `server` (from `bind`'s address when given), with no-delay and a
/// big send buffer so each request leaves in one write. `label` names the server in errors.
/// No timeout: callers bound it.
#[cfg(any(feature = "tcp", feature = "ws", feature = "http"))]
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
    #[cfg(feature = "tcp")]
    Tcp(tcp::TcpTransport),
    /// A pool of WebSocket connections (plain or TLS), one request on each at a time.
    #[cfg(feature = "ws")]
    Ws(ws::WsTransport),
    /// A pool of HTTP/1.1 keep-alive connections (plain or TLS).
    #[cfg(feature = "http")]
    Http(http::HttpTransport),
}

impl Transport {
    /// Opens the transport `url` names.
    pub(crate) async fn open(url: &ServerUrl, config: &TransportConfig) -> Result<Self> {
        match url.scheme {
            Scheme::Udp => {
                let server = resolve(url, config.bind).await?;
                Ok(Self::Udp(udp::UdpTransport::open(server, config).await?))
            }
            #[cfg(feature = "tcp")]
            Scheme::Tcp if config.json => Err(Error::BadUrl {
                url: url.to_string(),
                reason: "JSON requests cannot go over TCP: rtpengine's TCP NG listener only \
                         understands bencode and leaves the connection hanging (use udp, http or \
                         ws, or turn JSON off)"
                    .to_owned(),
            }),
            #[cfg(feature = "tcp")]
            Scheme::Tcp => Ok(Self::Tcp(tcp::TcpTransport::open(url, config).await?)),
            #[cfg(feature = "ws")]
            Scheme::Ws | Scheme::Wss => Ok(Self::Ws(ws::open(url, config).await?)),
            #[cfg(feature = "http")]
            Scheme::Http | Scheme::Https => Ok(Self::Http(http::open(url, config).await?)),
            #[cfg(not(feature = "tcp"))]
            Scheme::Tcp => Err(feature_off(url, "tcp")),
            #[cfg(not(feature = "ws"))]
            Scheme::Ws | Scheme::Wss => Err(feature_off(url, "ws")),
            #[cfg(not(feature = "http"))]
            Scheme::Http | Scheme::Https => Err(feature_off(url, "http")),
        }
    }

    /// Sends one request and waits for its reply within its deadline.
    pub(crate) async fn exchange(&self, ex: Exchange<'_>) -> Result<Dict> {
        match self {
            Self::Udp(t) => t.exchange(ex).await,
            // Boxed: the stream transports' futures are several KB, and an inline await would
            // make every UDP request future (the hot path) that large too.
            #[cfg(feature = "tcp")]
            Self::Tcp(t) => Box::pin(t.exchange(ex)).await,
            #[cfg(feature = "ws")]
            Self::Ws(t) => Box::pin(t.exchange(ex)).await,
            #[cfg(feature = "http")]
            Self::Http(t) => Box::pin(t.exchange(ex)).await,
        }
    }

    /// The server's address.
    pub(crate) fn server(&self) -> SocketAddr {
        match self {
            Self::Udp(t) => t.server(),
            #[cfg(feature = "tcp")]
            Self::Tcp(t) => t.server(),
            #[cfg(feature = "ws")]
            Self::Ws(t) => t.server(),
            #[cfg(feature = "http")]
            Self::Http(t) => t.server(),
        }
    }

    /// The local address (for a stream transport: of the current connection).
    pub(crate) fn local_addr(&self) -> Result<SocketAddr> {
        match self {
            Self::Udp(t) => t.local_addr(),
            #[cfg(feature = "tcp")]
            Self::Tcp(t) => t.local_addr(),
            #[cfg(feature = "ws")]
            Self::Ws(t) => t.local_addr(),
            #[cfg(feature = "http")]
            Self::Http(t) => t.local_addr(),
        }
    }

    /// Requests waiting for a reply.
    pub(crate) fn in_flight(&self) -> usize {
        match self {
            Self::Udp(t) => t.in_flight(),
            #[cfg(feature = "tcp")]
            Self::Tcp(t) => t.in_flight(),
            #[cfg(feature = "ws")]
            Self::Ws(t) => t.in_flight(),
            #[cfg(feature = "http")]
            Self::Http(t) => t.in_flight(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each scheme and the feature that must be on for it, given the features built in.
    fn missing_feature(scheme: Scheme) -> Option<&'static str> {
        let (transport, name) = match scheme {
            Scheme::Udp => return None,
            Scheme::Tcp => (cfg!(feature = "tcp"), "tcp"),
            Scheme::Ws | Scheme::Wss => (cfg!(feature = "ws"), "ws"),
            Scheme::Http | Scheme::Https => (cfg!(feature = "http"), "http"),
        };
        if !transport {
            Some(name)
        } else if scheme.is_tls() && !cfg!(feature = "tls") {
            Some("tls")
        } else {
            None
        }
    }

    #[tokio::test]
    async fn a_url_whose_transport_is_off_is_an_error_naming_the_feature() {
        for url in [
            "tcp://127.0.0.1:9",
            "ws://127.0.0.1:9",
            "wss://127.0.0.1:9",
            "http://127.0.0.1:9",
            "https://127.0.0.1:9",
        ] {
            let url = ServerUrl::parse(url).unwrap();
            let Some(feature) = missing_feature(url.scheme) else {
                continue;
            };
            let err = match Transport::open(&url, &TransportConfig::default()).await {
                Ok(_) => panic!("{url}: opened without the '{feature}' feature"),
                Err(e) => e,
            };
            assert!(matches!(err, Error::BadUrl { .. }), "{url}: {err:?}");
            let text = err.to_string();
            assert!(
                text.contains(&format!(
                    "the '{feature}' feature of rtpengine-client is off"
                )),
                "{url}: {text}"
            );
        }
    }

    #[test]
    fn the_feature_error_names_feature_and_scheme() {
        let url = ServerUrl::parse("wss://example.com").unwrap();
        let text = feature_off(&url, "tls").to_string();
        assert!(text.contains("'tls' feature"), "{text}");
        assert!(text.contains("wss://"), "{text}");
    }
}
