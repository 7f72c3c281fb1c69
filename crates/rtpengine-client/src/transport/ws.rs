//! NG over WebSocket (`ws://`, `wss://`) with the subprotocol `ng.rtpengine.com`: each request
//! is one binary message `cookie SP dict`, each reply one binary message of the same form,
//! matched by cookie.
//!
//! # One request per connection at a time
//!
//! rtpengine hands every WebSocket message to a thread pool and writes each reply as three
//! separately locked pieces (cookie, space, body) into the connection's output buffer. When two
//! replies on one connection are produced at the same time, the pieces interleave: frames like
//! `cookieAcookieB d…` arrive, and with three or more requests in flight a frame can even pair
//! one request's cookie with another request's body. This was observed with 10.5 (a few replies
//! garbled in every burst of 100 concurrent requests on one connection) and the code is the same
//! in later releases. So this transport never has two requests in flight on one connection: it
//! keeps a small pool of connections (like HTTP keep-alive) and gives each request a connection
//! of its own for the time of its exchange. Concurrency comes from several connections.
//!
//! A pooled connection that turns out closed (the server closed it, sent a close frame, or it
//! broke while idle) before the reply arrives is replaced by a new one and the request is sent
//! again with the same cookie (safe: the daemon's cookie cache answers a repeat without running
//! it twice). Pings are answered while a request waits for its reply. The deadline covers
//! everything, connecting and waiting for a connection included; when it passes the request
//! fails with [`Error::Timeout`].

use std::io;
use std::net::SocketAddr;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::WebSocketStream;
use tracing::debug;

use super::pool::{is_closed, Failure, Pool, Protocol};
use super::stream::{Connector, MaybeTls};
use super::{reply_too_large, resolve, Exchange, ServerUrl, TransportConfig};
use crate::bencode::Dict;
use crate::error::{Error, Result};
use crate::message::parse_message;

/// The WebSocket subprotocol of NG with cookies.
pub(crate) const SUBPROTOCOL: &str = "ng.rtpengine.com";

/// A cheap, cloneable handle on the WebSocket connections to one server.
pub(crate) type WsTransport = Pool<WsProtocol>;

/// Resolves the server and opens one connection, WebSocket handshake included (so a wrong
/// address, certificate or a server that refuses the subprotocol fails here, clearly); it is
/// kept for the first request. Sends no request.
pub(crate) async fn open(url: &ServerUrl, config: &TransportConfig) -> Result<WsTransport> {
    let server = resolve(url, config.bind).await?;
    let protocol = WsProtocol {
        connector: Connector::new(url, server, config)?,
        url: url.clone(),
        max_reply_size: config.max_reply_size,
    };
    Pool::open(protocol, server, url.to_string(), config).await
}

/// How WebSocket connections are opened and used.
pub(crate) struct WsProtocol {
    connector: Connector,
    url: ServerUrl,
    /// The longest message (and frame) read: the library refuses longer ones as their header
    /// arrives, so no more is buffered.
    max_reply_size: usize,
}

/// One WebSocket connection.
pub(crate) struct WsConn {
    ws: WebSocketStream<MaybeTls>,
    local: Option<SocketAddr>,
}

impl Protocol for WsProtocol {
    type Conn = WsConn;
    const NAME: &'static str = "WebSocket";

    /// TCP, TLS when `wss`, then the WebSocket handshake asking for `ng.rtpengine.com`, which
    /// the server must accept.
    async fn dial(&self) -> Result<WsConn> {
        let stream = self.connector.connect().await?;
        let local = stream.local_addr().ok();
        let label = &self.connector.label;
        let handshake_error =
            |e: io::Error| Error::io(format!("WebSocket handshake with {label}"), e);
        let mut request =
            self.url
                .to_string()
                .into_client_request()
                .map_err(|e| Error::BadUrl {
                    url: self.url.to_string(),
                    reason: format!("not a WebSocket URL: {e}"),
                })?;
        request.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            HeaderValue::from_static(SUBPROTOCOL),
        );
        let config = WebSocketConfig::default()
            .max_message_size(Some(self.max_reply_size))
            .max_frame_size(Some(self.max_reply_size));
        // Bounded by the pool's connect timeout, like the TCP connect before it.
        let (ws, response) =
            tokio_tungstenite::client_async_with_config(request, stream, Some(config))
                .await
                .map_err(|e| handshake_error(describe(e)))?;
        let accepted = response
            .headers()
            .get("Sec-WebSocket-Protocol")
            .and_then(|v| v.to_str().ok());
        if accepted != Some(SUBPROTOCOL) {
            return Err(handshake_error(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "the server did not accept the subprotocol {SUBPROTOCOL} (it answered \
                     {accepted:?})"
                ),
            )));
        }
        Ok(WsConn { ws, local })
    }

    async fn round_trip(
        &self,
        conn: &mut WsConn,
        ex: &Exchange<'_>,
    ) -> std::result::Result<Result<Dict>, Failure> {
        conn.round_trip(ex).await.map(Ok)
    }

    fn reusable(_: &WsConn) -> bool {
        // A connection that saw its reply is in step: the next request can use it.
        true
    }

    fn local_addr(conn: &WsConn) -> Option<SocketAddr> {
        conn.local
    }
}

/// A WebSocket error as a failure of one attempt to `server`.
fn failure(e: tungstenite::Error, server: &str) -> Failure {
    let closed = matches!(
        e,
        tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed
    ) || matches!(&e, tungstenite::Error::Io(io) if is_closed(io))
        || matches!(
            &e,
            tungstenite::Error::Protocol(
                tungstenite::error::ProtocolError::ResetWithoutClosingHandshake
                    | tungstenite::error::ProtocolError::SendAfterClosing
            )
        );
    if let tungstenite::Error::Capacity(tungstenite::error::CapacityError::MessageTooLong {
        size,
        max_size,
    }) = e
    {
        // The reply itself is the problem: this request fails (and the connection goes).
        return Failure::Other(reply_too_large(server, size, max_size));
    }
    let e = describe(e);
    if closed {
        Failure::ClosedBeforeReply(e)
    } else {
        Failure::Other(Error::io("on the WebSocket connection", e))
    }
}

impl WsConn {
    /// Sends one request and reads until its reply (answering pings meanwhile).
    async fn round_trip(&mut self, ex: &Exchange<'_>) -> std::result::Result<Dict, Failure> {
        let failure = |e| failure(e, ex.server_label);
        self.ws
            .send(Message::Binary(ex.message.clone()))
            .await
            .map_err(failure)?;
        loop {
            let frame = match self.ws.next().await {
                None => {
                    return Err(Failure::ClosedBeforeReply(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the server closed the connection without replying",
                    )))
                }
                Some(Err(e)) => return Err(failure(e)),
                Some(Ok(frame)) => frame,
            };
            let data = match frame {
                Message::Binary(data) => data,
                // rtpengine answers in binary frames; a text frame is read the same way.
                Message::Text(text) => Bytes::from(text),
                // The library has queued the pong: send it now.
                Message::Ping(_) => {
                    self.ws.flush().await.map_err(failure)?;
                    continue;
                }
                Message::Pong(_) | Message::Frame(_) => continue,
                Message::Close(frame) => {
                    return Err(Failure::ClosedBeforeReply(io::Error::new(
                        io::ErrorKind::ConnectionAborted,
                        match frame {
                            Some(f) => {
                                format!("the server closed the WebSocket ({} {})", f.code, f.reason)
                            }
                            None => "the server closed the WebSocket".to_owned(),
                        },
                    )))
                }
            };
            match parse_message(&data) {
                Ok((reply_cookie, dict)) if reply_cookie == ex.cookie => return Ok(dict),
                Ok((other, _)) => debug!(
                    cookie = %other.escape_ascii(),
                    "dropping a WebSocket reply for another request (late or duplicate)"
                ),
                Err(e) => {
                    debug!(len = data.len(), error = %e, "dropping an undecodable WebSocket message")
                }
            }
        }
    }
}

/// A WebSocket error as an I/O error with a useful message.
fn describe(e: tungstenite::Error) -> io::Error {
    match e {
        tungstenite::Error::Io(e) => e,
        tungstenite::Error::Http(response) => io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "HTTP status {} instead of 101 Switching Protocols (wrong path, or not a WebSocket \
                 listener?)",
                response.status()
            ),
        ),
        tungstenite::Error::Protocol(
            tungstenite::error::ProtocolError::SecWebSocketSubProtocolError(p),
        ) => io::Error::new(
            io::ErrorKind::InvalidData,
            format!("the server did not accept the subprotocol {SUBPROTOCOL}: {p}"),
        ),
        tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed => {
            io::Error::new(io::ErrorKind::UnexpectedEof, "the connection was closed")
        }
        other => io::Error::new(io::ErrorKind::InvalidData, other.to_string()),
    }
}
