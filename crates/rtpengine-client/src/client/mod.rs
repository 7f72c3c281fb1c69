//! The client handle.

mod discover;
pub use discover::{Discovery, VersionSource};
mod events;
pub use events::EventStream;
pub use routing::{DEFAULT_STREAM_COMMANDS, DEFAULT_STREAM_THRESHOLD};
mod routing;

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use tracing::{debug, debug_span, Instrument};

use crate::api::NgCommands;
use crate::bencode::Dict;
use crate::counters::{ClientStats, CommandCells, StatsCells};
use crate::error::{Error, Result};
use crate::message::request::Request;
use crate::message::{check_result, check_version, encode_request, new_cookie};
use crate::transport::{
    Exchange, RetransmitPolicy, Scheme, ServerUrl, TlsSettings, Transport, TransportConfig,
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_IDLE_CONNECTIONS, DEFAULT_MAX_IN_FLIGHT,
    DEFAULT_MAX_REPLY_SIZE, DEFAULT_POOL_SIZE,
};
use crate::version::Version;

/// The deadline of a request unless set otherwise: 10 s, as in the seed client.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// A handle on one rtpengine, over the transport its URL names (`udp://`, `tcp://`, `ws(s)://`,
/// `http(s)://`).
///
/// Cheap to clone; clones share one socket or connection and its background task, which ends
/// when the last clone is dropped. Many requests may be in flight at once; replies are matched
/// by cookie.
///
/// # Retransmission, deadlines and cancellation
///
/// Each request gets a fresh, globally unique cookie. Over UDP, until a reply arrives the same
/// bytes are sent again with the same cookie on the [`RetransmitPolicy`] schedule; rtpengine's
/// cookie cache answers a retransmission from cache, so an `offer` is executed once however many
/// copies arrive. Over TCP a request is sent once, and again with the same cookie on the new
/// connection if the old one broke; over HTTP and WebSocket (one request per pooled connection)
/// a request whose pooled connection turned out closed is retried once on a fresh one, same
/// cookie. When the deadline ([`Client::timeout`], 10 s
/// by default) passes, the request fails with [`Error::Timeout`]. Dropping a request future
/// stops its retransmissions and frees its table entry, but a copy already sent may still be
/// executed by rtpengine.
///
/// ```no_run
/// # async fn demo() -> Result<(), rtpengine_client::Error> {
/// use rtpengine_client::{Client, Ice, NgCommands, OfferOptions};
///
/// let client = Client::connect("udp://127.0.0.1:2223").await?;
/// client.ping().await?;
/// let sdp = "v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n\
///            m=audio 40000 RTP/AVP 0\r\n";
/// let reply = client
///     .offer(sdp, "call-1", "tag-a", &OfferOptions::new().ice(Ice::Remove))
///     .await?;
/// println!("{}", reply.sdp_str());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    transport: Transport,
    /// The stream transport large requests and replies take (see [`ClientBuilder::stream`]).
    stream: Option<Transport>,
    settings: Arc<Settings>,
    timeout: Duration,
}

struct Settings {
    routing: routing::Routing,
    stream_label: String,
    url: ServerUrl,
    server_label: String,
    retransmit: RetransmitPolicy,
    /// The rtpengine version requests are checked against, once known.
    version: OnceLock<Version>,
    version_check: bool,
    /// Requests are sent as JSON.
    json: bool,
    /// The counters of [`Client::stats`] (the transports hold them too).
    stats: Arc<StatsCells>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("url", &self.settings.url.to_string())
            .field("server", &self.transport.server())
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// Configures a [`Client`].
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    url: String,
    timeout: Duration,
    retransmit: RetransmitPolicy,
    max_in_flight: usize,
    max_reply_size: usize,
    bind: Option<SocketAddr>,
    version: Option<Version>,
    version_check: bool,
    routing: routing::Routing,
    tls: TlsSettings,
    json: bool,
    connect_timeout: Option<Duration>,
    pool_size: usize,
    max_idle_connections: usize,
    fail_fast_when_refused: bool,
    connect_lazily: bool,
}

impl ClientBuilder {
    /// A builder for `url`: `udp://`, `tcp://`, `ws://`, `wss://`, `http://` or `https://`
    /// followed by `host[:port][/path]` (see [`ServerUrl::parse`]).
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            timeout: DEFAULT_TIMEOUT,
            retransmit: RetransmitPolicy::default(),
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            max_reply_size: DEFAULT_MAX_REPLY_SIZE,
            bind: None,
            version: None,
            version_check: true,
            routing: routing::Routing::default(),
            tls: TlsSettings::default(),
            json: false,
            connect_timeout: None,
            pool_size: DEFAULT_POOL_SIZE,
            max_idle_connections: DEFAULT_MAX_IDLE_CONNECTIONS,
            fail_fast_when_refused: false,
            connect_lazily: false,
        }
    }

    /// The rtpengine version the client talks to. Requests using a command or option newer
    /// than that fail with [`Error::Unsupported`] before anything is sent (see
    /// [`ClientBuilder::version_check`]). Without it, nothing is checked until
    /// `Client::discover_version` learns the version.
    pub fn rtpengine_version(mut self, version: Version) -> Self {
        self.version = Some(version);
        self
    }

    /// Whether requests are checked against the rtpengine version (default: on).
    pub fn version_check(mut self, on: bool) -> Self {
        self.version_check = on;
        self
    }

    /// The whole deadline of a request, retransmissions included (default 10 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The retransmission policy over UDP (default: adaptive, 200 ms floor, 1 s cap, within
    /// 25 s; see [`RetransmitPolicy`]).
    pub fn retransmit(mut self, policy: RetransmitPolicy) -> Self {
        self.retransmit = policy;
        self
    }

    /// The most requests in flight at once (default 16,384).
    pub fn max_in_flight(mut self, limit: usize) -> Self {
        self.max_in_flight = limit;
        self
    }

    /// The longest reply accepted, in bytes (default and most
    /// [`DEFAULT_MAX_REPLY_SIZE`](crate::DEFAULT_MAX_REPLY_SIZE), 64 MiB; larger values are
    /// taken as that). A longer reply is dropped undecoded and its request fails at once with
    /// [`Error::ReplyTooLarge`]; on `tcp`, `ws(s)` and `http(s)` the connection it came on is
    /// closed too (other requests waiting on TCP are re-sent on a new one). It also bounds what
    /// a stream transport buffers: a message is refused as soon as it is certain to be longer
    /// (a WebSocket or HTTP reply by its announced length, a TCP one as it is scanned), so a
    /// connection holds at most this plus one read. Over UDP a reply is at most one datagram
    /// (64 KiB), so only a smaller bound changes anything there.
    pub fn max_reply_size(mut self, bytes: usize) -> Self {
        self.max_reply_size = bytes.min(DEFAULT_MAX_REPLY_SIZE);
        self
    }

    /// How long a stream transport (`tcp`, `ws(s)`, `http(s)`) waits for one connection: TCP
    /// connect, TLS and WebSocket handshakes (default
    /// [`DEFAULT_CONNECT_TIMEOUT`](crate::DEFAULT_CONNECT_TIMEOUT), 3 s, or the
    /// request [`timeout`](ClientBuilder::timeout) when that is shorter). Applies to the first
    /// connection at [`ClientBuilder::connect`], to TCP reconnections and to every new pooled
    /// HTTP or WebSocket connection; a request still ends at its own deadline.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// The most `http(s)://` or `ws(s)://` connections in use at once (default
    /// [`DEFAULT_POOL_SIZE`](crate::DEFAULT_POOL_SIZE), 32; at least 1). Those
    /// transports carry one request per connection at a time, so this is how many requests run
    /// concurrently; later ones wait for a connection within their deadline.
    pub fn pool_size(mut self, connections: usize) -> Self {
        self.pool_size = connections;
        self
    }

    /// The most idle `http(s)://` or `ws(s)://` connections kept open for later requests
    /// (default [`DEFAULT_MAX_IDLE_CONNECTIONS`](crate::DEFAULT_MAX_IDLE_CONNECTIONS),
    /// 32). With 0 every request opens a connection of its own.
    pub fn max_idle_connections(mut self, connections: usize) -> Self {
        self.max_idle_connections = connections;
        self
    }

    /// The local address to bind (default: any address of the server's family, any port).
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.bind = Some(addr);
        self
    }

    /// Trusts these root certificates (PEM: one or more `CERTIFICATE` blocks) for `wss://` and
    /// `https://` instead of the system's. Calling it again adds more.
    pub fn tls_root_certificates_pem(mut self, pem: impl AsRef<[u8]>) -> Self {
        let mut all = self.tls.roots_pem.as_deref().unwrap_or_default().to_vec();
        if !all.is_empty() && !all.ends_with(b"\n") {
            all.push(b'\n');
        }
        all.extend_from_slice(pem.as_ref());
        self.tls.roots_pem = Some(all.into());
        self
    }

    /// Presents this client certificate on `wss://` and `https://`: `cert_chain` is PEM (the
    /// certificate first, then any intermediates), `key` its private key in PEM (PKCS#8, PKCS#1
    /// or SEC1).
    pub fn tls_client_certificate_pem(
        mut self,
        cert_chain: impl AsRef<[u8]>,
        key: impl AsRef<[u8]>,
    ) -> Self {
        self.tls.client_cert_pem = Some((cert_chain.as_ref().into(), key.as_ref().into()));
        self
    }

    /// **Turns server certificate verification off** for `wss://` and `https://`: any
    /// certificate is accepted, whoever presents it, so the connection is encrypted but the
    /// server is not authenticated. For tests and lab setups only; every connection logs a
    /// warning.
    pub fn danger_accept_invalid_certificates(mut self) -> Self {
        self.tls.accept_invalid = true;
        self
    }

    /// Whether the server refusing fails the waiting requests at once (default: off).
    ///
    /// The client sees a refusal when nothing listens on the server's port (the daemon is down
    /// or restarting): over UDP an ICMP port unreachable, reported on the client's connected
    /// socket; over `tcp://` a refused reconnection. It is always counted
    /// ([`ClientStats::refusals`]). Off, requests keep retransmitting (or waiting for the
    /// reconnection) until their deadline, so a daemon that restarts within it answers them.
    /// On, every request waiting then fails with [`Error::Io`] (kind `ConnectionRefused`,
    /// [`Error::is_retryable_elsewhere`]), as does every TCP request made before a connection
    /// succeeds again: right when something else can take the request.
    /// A [`Cluster`](crate::Cluster) turns it on for its nodes, so a dead node costs a new call
    /// a round trip instead of half its deadline, and its breaker opens at once. A host that
    /// is down, or a blackholed path, sends no ICMP error: that is still a timeout. Which
    /// datagram drew an ICMP error is unknown, so a refusal fails every UDP request in flight.
    pub fn fail_fast_when_refused(mut self, on: bool) -> Self {
        self.fail_fast_when_refused = on;
        self
    }

    /// Whether [`ClientBuilder::connect`] succeeds when a `tcp://` server cannot be reached yet
    /// (default: off, it fails with the connection's error).
    ///
    /// On, the background task keeps connecting (pauses up to 1 s between attempts), and
    /// requests made meanwhile wait for the connection within their deadline (or fail at once
    /// if [`fail_fast_when_refused`](ClientBuilder::fail_fast_when_refused) is on and the
    /// server refuses): a program can start before its rtpengine. A name that does not
    /// resolve still fails `connect`. The other transports never connect in `connect` (UDP has
    /// no connection, HTTP and WebSocket dial per request).
    /// A [`Cluster`](crate::Cluster) turns it on for its nodes, so a node that is down
    /// when the cluster is built (or added) does not stop it: it starts as a down node.
    pub fn connect_lazily(mut self, on: bool) -> Self {
        self.connect_lazily = on;
        self
    }

    /// Sends requests as JSON (`cookie SP {json}`) instead of bencode (default: off). Works on
    /// UDP, HTTP and WebSocket; [`ClientBuilder::connect`] refuses it on TCP (also as the
    /// [`stream`](ClientBuilder::stream) transport), where rtpengine leaves the connection
    /// hanging. A request holding bytes that are not UTF-8 (JSON cannot carry them) fails with
    /// [`Error::InvalidRequest`]. Replies are read whatever their encoding (see [JSON
    /// bodies](crate::message#json-bodies)).
    pub fn json(mut self, on: bool) -> Self {
        self.json = on;
        self
    }

    /// Resolves the host, binds a socket and starts the background task. Sends nothing: use
    /// [`Client::ping`] to check the server answers.
    pub async fn connect(self) -> Result<Client> {
        let url = ServerUrl::parse(&self.url)?;
        let stats = Arc::new(StatsCells::default());
        let config = TransportConfig {
            bind: self.bind,
            max_in_flight: self.max_in_flight,
            max_reply_size: self.max_reply_size,
            connect_timeout: self
                .connect_timeout
                .unwrap_or_else(|| DEFAULT_CONNECT_TIMEOUT.min(self.timeout)),
            pool_size: self.pool_size,
            max_idle_connections: self.max_idle_connections,
            tls: self.tls,
            json: self.json,
            stats: Arc::clone(&stats),
            fail_fast_when_refused: self.fail_fast_when_refused,
            connect_lazily: self.connect_lazily,
        };
        let transport = Transport::open(&url, &config).await?;
        let server = transport.server();
        let stream = match &self.routing.stream_url {
            None => None,
            Some(stream_url) => {
                let stream_url = ServerUrl::parse(stream_url)?;
                if stream_url.scheme == Scheme::Udp {
                    return Err(Error::BadUrl {
                        url: stream_url.to_string(),
                        reason: "the stream transport must be tcp, ws(s) or http(s)".to_owned(),
                    });
                }
                Some(Transport::open(&stream_url, &config).await?)
            }
        };
        debug!(%url, %server, stream = stream.is_some(), "rtpengine client ready");
        Ok(Client {
            transport,
            stream,
            settings: Arc::new(Settings {
                stream_label: self.routing.stream_url.clone().unwrap_or_default(),
                routing: self.routing,
                server_label: server.to_string(),
                url,
                retransmit: self.retransmit,
                version: self.version.map(OnceLock::from).unwrap_or_default(),
                version_check: self.version_check,
                json: self.json,
                stats,
            }),
            timeout: self.timeout,
        })
    }
}

impl Client {
    /// Connects with default settings (see [`ClientBuilder::connect`]).
    pub async fn connect(url: &str) -> Result<Self> {
        ClientBuilder::new(url).connect().await
    }

    /// A builder for more settings.
    pub fn builder(url: impl Into<String>) -> ClientBuilder {
        ClientBuilder::new(url)
    }

    /// A handle on the same connection whose requests use another deadline (per-request
    /// deadlines: `client.with_timeout(d).offer(…)`).
    pub fn with_timeout(&self, timeout: Duration) -> Self {
        Self {
            timeout,
            ..self.clone()
        }
    }

    /// The deadline of this handle's requests.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The server's resolved address.
    pub fn server_addr(&self) -> SocketAddr {
        self.transport.server()
    }

    /// The URL the client was built from.
    pub fn url(&self) -> &ServerUrl {
        &self.settings.url
    }

    /// The local socket address.
    pub fn local_addr(&self) -> Result<SocketAddr> {
        self.transport.local_addr()
    }

    /// The rtpengine version requests are checked against, if known.
    pub fn rtpengine_version(&self) -> Option<Version> {
        self.settings.version.get().copied()
    }

    /// Records the rtpengine version (first one wins; shared by every clone). Returns the
    /// version in force.
    pub fn set_rtpengine_version(&self, version: Version) -> Version {
        *self.settings.version.get_or_init(|| version)
    }

    /// Requests waiting for a reply right now.
    pub fn in_flight(&self) -> usize {
        self.transport.in_flight()
    }

    /// A snapshot of this client's counters (shared by its clones): requests, replies,
    /// retransmissions, timeouts, errors by kind, reconnects and requests in flight, in total
    /// and per command. Reading them costs a few hundred relaxed atomic loads; counting them
    /// costs each request a few relaxed atomic additions and no lock.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), rtpengine_client::Error> {
    /// use rtpengine_client::NgCommands;
    ///
    /// let client = rtpengine_client::Client::connect("udp://127.0.0.1:2223").await?;
    /// client.ping().await?;
    /// let stats = client.stats();
    /// assert_eq!(stats.requests, 1);
    /// println!("{} retransmissions", stats.retransmissions);
    /// println!("{} pings answered", stats.command("ping").map_or(0, |c| c.replies));
    /// # Ok(()) }
    /// ```
    pub fn stats(&self) -> ClientStats {
        self.settings.stats.snapshot()
    }

    /// Checks, encodes and sends `request`; retransmissions are counted in `stats`.
    async fn exchange<R: Request + ?Sized>(
        &self,
        request: &R,
        stats: &CommandCells,
    ) -> Result<Dict> {
        let cookie = new_cookie();
        let span = debug_span!(
            "ng_request",
            command = request.command(),
            call_id = request.call_id().unwrap_or(""),
            cookie = cookie.as_str(),
            server = self.settings.server_label.as_str(),
        );
        let target = self.rtpengine_version();
        if let (Some(v), true) = (target, self.settings.version_check) {
            check_version(request, v)?;
        }
        request.validate()?;
        let message = encode_request(&cookie, request, target)?;
        let message = if self.settings.json {
            crate::message::json::message_to_json(&message)?
        } else {
            message
        };
        let (transport, server_label) = match &self.stream {
            Some(stream)
                if self
                    .settings
                    .routing
                    .use_stream(request.command(), message.len()) =>
            {
                (stream, &self.settings.stream_label)
            }
            _ => (&self.transport, &self.settings.server_label),
        };
        let exchange = Exchange {
            command: request.command(),
            cookie: Bytes::from(cookie),
            message,
            timeout: self.timeout,
            retransmit: &self.settings.retransmit,
            server_label,
            stats,
        };
        transport.exchange(exchange).instrument(span).await
    }
}

impl NgCommands for Client {
    async fn send<R: Request + Sync + ?Sized>(&self, request: &R) -> Result<Dict> {
        let mut counted = self.settings.stats.start(request.command());
        let reply = self.exchange(request, counted.cells()).await;
        counted.exchanged(&reply);
        let checked = check_result(reply?);
        if let Err(e) = &checked {
            counted.reply_refused(e);
        }
        checked
    }

    async fn send_unchecked<R: Request + Sync + ?Sized>(&self, request: &R) -> Result<Dict> {
        let mut counted = self.settings.stats.start(request.command());
        let reply = self.exchange(request, counted.cells()).await;
        counted.exchanged(&reply);
        reply
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reply_bound_is_capped_at_the_framing_bound() {
        let builder = ClientBuilder::new("udp://127.0.0.1");
        assert_eq!(builder.max_reply_size, DEFAULT_MAX_REPLY_SIZE);
        assert_eq!(
            builder.clone().max_reply_size(usize::MAX).max_reply_size,
            crate::message::MAX_MESSAGE_LEN
        );
        assert_eq!(builder.max_reply_size(1000).max_reply_size, 1000);
    }
}
