//! NG over HTTP (`http://`, `https://`): `POST <path>` (`/ng` by default) with
//! `Content-Type: application/x-rtpengine-ng` and the body `cookie SP dict`; the reply body has
//! the same form.
//!
//! A minimal HTTP/1.1 client: one request per connection at a time (no pipelining), a small
//! pool of idle keep-alive connections, `Content-Length` bodies (rtpengine always sends one;
//! a chunked reply is refused with a clear error, and a reply with neither is read to the end
//! of the connection). A pooled connection the server closed while idle shows as a connection
//! that ends before the first byte of the reply: the request is then sent once more on a fresh
//! connection, with the same cookie (safe: the daemon's cookie cache answers a repeat without
//! running it twice). Any status but 200 is [`Error::MalformedReply`] naming the status
//! (rtpengine answers 404 for a wrong path or content type and 600 for a message without a
//! cookie); transport failures are [`Error::Io`]; the deadline covers everything, connecting
//! and waiting for a pooled connection included.

use std::io;
use std::net::SocketAddr;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::pool::{is_closed, Failure, Pool, Protocol};
use super::stream::{Connector, MaybeTls};
use super::{reply_too_large, resolve, Exchange, ServerUrl, TransportConfig};
use crate::bencode::Dict;
use crate::error::{Error, Result};
use crate::message::parse_message;

/// The content type rtpengine requires, exactly (no parameters).
pub(crate) const CONTENT_TYPE: &str = "application/x-rtpengine-ng";
/// The longest response head accepted.
const MAX_HEAD: usize = 64 * 1024;

/// A cheap, cloneable handle on the connection pool of one HTTP(S) server.
pub(crate) type HttpTransport = Pool<HttpProtocol>;

/// Resolves the server and opens one connection (so a wrong address or certificate fails
/// here, clearly), kept for the first request. Sends no request.
pub(crate) async fn open(url: &ServerUrl, config: &TransportConfig) -> Result<HttpTransport> {
    let server = resolve(url, config.bind).await?;
    let protocol = HttpProtocol {
        connector: Connector::new(url, server, config)?,
        label: url.to_string(),
        max_reply_size: config.max_reply_size,
        host: url.host_port(),
        path: url.path.clone(),
    };
    Pool::open(protocol, server, url.to_string(), config).await
}

/// How HTTP connections are opened and used.
pub(crate) struct HttpProtocol {
    connector: Connector,
    label: String,
    /// The longest body read (a longer one is refused by its `Content-Length`, unread).
    max_reply_size: usize,
    host: String,
    path: String,
}

/// One connection and the bytes read past the last response (none, without pipelining).
pub(crate) struct HttpConn {
    stream: MaybeTls,
    buf: BytesMut,
    local: Option<SocketAddr>,
    /// The last response let the connection stay open.
    keep_alive: bool,
}

/// A response as read from the wire.
struct Response {
    status: u16,
    reason: String,
    body: Bytes,
    keep_alive: bool,
}

impl Protocol for HttpProtocol {
    type Conn = HttpConn;
    const NAME: &'static str = "HTTP";

    async fn dial(&self) -> Result<HttpConn> {
        let stream = self.connector.connect().await?;
        let local = stream.local_addr().ok();
        Ok(HttpConn {
            stream,
            buf: BytesMut::with_capacity(8 * 1024),
            local,
            keep_alive: true,
        })
    }

    /// POSTs the request and reads its response.
    async fn round_trip(
        &self,
        conn: &mut HttpConn,
        ex: &Exchange<'_>,
    ) -> std::result::Result<Result<Dict>, Failure> {
        let request = self.request_bytes(&ex.message);
        let limit = BodyLimit {
            bytes: self.max_reply_size,
            server: ex.server_label,
        };
        let response = conn.round_trip(&request, &self.label, limit).await?;
        conn.keep_alive = response.keep_alive;
        tracing::debug!(status = response.status, "HTTP response");
        Ok(self.reply(ex, response))
    }

    fn reusable(conn: &HttpConn) -> bool {
        // Without pipelining nothing may follow the response; anything that did is garbage.
        conn.keep_alive && conn.buf.is_empty()
    }

    fn local_addr(conn: &HttpConn) -> Option<SocketAddr> {
        conn.local
    }
}

impl HttpProtocol {
    /// The whole request, head and body, for one write.
    fn request_bytes(&self, body: &[u8]) -> Vec<u8> {
        let head = format!(
            "POST {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: rtpengine-client/{}\r\n\
             Content-Type: {CONTENT_TYPE}\r\nContent-Length: {}\r\n\r\n",
            self.path,
            self.host,
            env!("CARGO_PKG_VERSION"),
            body.len()
        );
        let mut out = Vec::with_capacity(head.len() + body.len());
        out.extend_from_slice(head.as_bytes());
        out.extend_from_slice(body);
        out
    }

    /// The reply dictionary of a response, or the error its status means.
    fn reply(&self, ex: &Exchange<'_>, response: Response) -> Result<Dict> {
        if response.status != 200 {
            let hint = match response.status {
                404 => " (wrong path, or a Content-Type rtpengine does not accept)",
                600 => " (rtpengine found no cookie in the message)",
                _ => "",
            };
            let body = String::from_utf8_lossy(&response.body[..response.body.len().min(200)])
                .trim()
                .to_owned();
            return Err(Error::malformed(format!(
                "HTTP status {} {} from {} to '{}'{hint}{}",
                response.status,
                response.reason,
                self.label,
                ex.command,
                if body.is_empty() {
                    String::new()
                } else {
                    format!(": {body:?}")
                }
            )));
        }
        let (cookie, dict) = parse_message(&response.body).map_err(|e| {
            Error::malformed(format!(
                "HTTP reply from {} is not an NG message: {e}",
                self.label
            ))
        })?;
        if cookie != ex.cookie {
            return Err(Error::malformed(format!(
                "HTTP reply from {} carries cookie '{}' instead of '{}'",
                self.label,
                cookie.escape_ascii(),
                ex.cookie.escape_ascii()
            )));
        }
        Ok(dict)
    }
}

fn invalid(label: &str, what: impl Into<String>) -> Failure {
    Failure::Other(Error::io(
        format!("reading the HTTP reply from {label}"),
        io::Error::new(io::ErrorKind::InvalidData, what.into()),
    ))
}

impl HttpConn {
    async fn round_trip(
        &mut self,
        request: &[u8],
        label: &str,
        limit: BodyLimit<'_>,
    ) -> std::result::Result<Response, Failure> {
        if let Err(e) = self.stream.write_all(request).await {
            return Err(if is_closed(&e) {
                Failure::ClosedBeforeReply(e)
            } else {
                Failure::Other(Error::io(format!("sending to {label}"), e))
            });
        }
        if let Err(e) = self.stream.flush().await {
            return Err(Failure::Other(Error::io(format!("sending to {label}"), e)));
        }
        self.read_response(label, limit).await
    }

    /// Reads more bytes; `Ok(false)` at the end of the connection.
    async fn fill(&mut self) -> io::Result<bool> {
        Ok(self.stream.read_buf(&mut self.buf).await? > 0)
    }

    async fn read_response(
        &mut self,
        label: &str,
        limit: BodyLimit<'_>,
    ) -> std::result::Result<Response, Failure> {
        let mut first_byte_seen = false;
        loop {
            // The head.
            let head_len = loop {
                if let Some(end) = find_head_end(&self.buf) {
                    break end;
                }
                if self.buf.len() > MAX_HEAD {
                    return Err(invalid(
                        label,
                        format!("response head longer than {MAX_HEAD} bytes"),
                    ));
                }
                match self.fill().await {
                    Ok(true) => first_byte_seen = true,
                    Ok(false) if !first_byte_seen && self.buf.is_empty() => {
                        return Err(Failure::ClosedBeforeReply(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "the server closed the connection without replying",
                        )))
                    }
                    Ok(false) => {
                        return Err(invalid(
                            label,
                            "the connection ended inside the response head",
                        ))
                    }
                    Err(e) if !first_byte_seen && self.buf.is_empty() && is_closed(&e) => {
                        return Err(Failure::ClosedBeforeReply(e))
                    }
                    Err(e) => {
                        return Err(Failure::Other(Error::io(
                            format!("reading the HTTP reply from {label}"),
                            e,
                        )))
                    }
                }
            };
            let head = self.buf.split_to(head_len).freeze();
            let head = parse_head(&head).map_err(|e| invalid(label, e))?;
            if (100..200).contains(&head.status) {
                // 100 Continue and friends: the real response follows.
                continue;
            }
            if head.chunked {
                return Err(invalid(
                    label,
                    "the server sent a chunked reply, which this client does not read \
                     (rtpengine sends Content-Length)",
                ));
            }
            let (body, keep_alive) = match head.content_length {
                Some(len) if len > limit.bytes => return Err(limit.exceeded(len)),
                Some(len) => {
                    while self.buf.len() < len {
                        match self.fill().await {
                            Ok(true) => {}
                            Ok(false) => {
                                return Err(invalid(
                                    label,
                                    format!(
                                        "the connection ended after {} of {len} body bytes",
                                        self.buf.len()
                                    ),
                                ))
                            }
                            Err(e) => {
                                return Err(Failure::Other(Error::io(
                                    format!("reading the HTTP reply from {label}"),
                                    e,
                                )))
                            }
                        }
                    }
                    (self.buf.split_to(len).freeze(), head.keep_alive)
                }
                None if head.status == 204 || head.status == 304 => (Bytes::new(), head.keep_alive),
                None => {
                    // Delimited by the end of the connection.
                    loop {
                        if self.buf.len() > limit.bytes {
                            return Err(limit.exceeded(self.buf.len()));
                        }
                        match self.fill().await {
                            Ok(true) => {}
                            Ok(false) => break,
                            // A TLS peer that closes without close_notify still ended the body.
                            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => break,
                            Err(e) => {
                                return Err(Failure::Other(Error::io(
                                    format!("reading the HTTP reply from {label}"),
                                    e,
                                )))
                            }
                        }
                    }
                    (self.buf.split().freeze(), false)
                }
            };
            return Ok(Response {
                status: head.status,
                reason: head.reason,
                body,
                keep_alive,
            });
        }
    }
}

/// The longest body a response may have, and the server as the error names it.
#[derive(Clone, Copy)]
struct BodyLimit<'a> {
    bytes: usize,
    server: &'a str,
}

impl BodyLimit<'_> {
    /// The failure for a body of `size` bytes (or more): the request fails, the connection
    /// goes.
    fn exceeded(self, size: usize) -> Failure {
        Failure::Other(reply_too_large(self.server, size, self.bytes))
    }
}

/// The length of the head (through the blank line), once it is complete.
fn find_head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 4)
}

/// A parsed response head.
#[derive(Debug)]
struct Head {
    status: u16,
    reason: String,
    content_length: Option<usize>,
    chunked: bool,
    keep_alive: bool,
}

/// Parses a response head (status line and headers, ending with the blank line).
fn parse_head(head: &[u8]) -> std::result::Result<Head, String> {
    let text = std::str::from_utf8(head).map_err(|_| "response head is not text".to_owned())?;
    let mut lines = text.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    let http11 = match version {
        "HTTP/1.1" => true,
        "HTTP/1.0" => false,
        _ => return Err(format!("not an HTTP/1.x status line: {status_line:?}")),
    };
    let status = parts
        .next()
        .filter(|s| s.len() == 3)
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| format!("bad status code in {status_line:?}"))?;
    let reason = parts.next().unwrap_or_default().to_owned();
    let mut content_length = None;
    let mut chunked = false;
    let mut close = false;
    let mut keep_alive_token = false;
    for line in lines.filter(|l| !l.is_empty()) {
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| format!("bad header line {line:?}"))?;
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            let len = value
                .parse::<usize>()
                .map_err(|_| format!("bad Content-Length {value:?}"))?;
            if content_length.is_some_and(|l| l != len) {
                return Err("conflicting Content-Length headers".to_owned());
            }
            content_length = Some(len);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            if value
                .split(',')
                .any(|t| !t.trim().eq_ignore_ascii_case("identity"))
            {
                chunked = true;
            }
        } else if name.eq_ignore_ascii_case("connection") {
            for token in value.split(',').map(str::trim) {
                close |= token.eq_ignore_ascii_case("close");
                keep_alive_token |= token.eq_ignore_ascii_case("keep-alive");
            }
        }
    }
    Ok(Head {
        status,
        reason,
        content_length,
        chunked,
        keep_alive: !close && (http11 || keep_alive_token),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads() {
        let h = parse_head(b"HTTP/1.1 200 OK\r\nContent-Type: application/x-rtpengine-ng\r\ncontent-length: 12\r\n\r\n").unwrap();
        assert_eq!(
            (h.status, h.content_length, h.chunked, h.keep_alive),
            (200, Some(12), false, true)
        );
        let h = parse_head(b"HTTP/1.1 600 Error\r\nConnection: close\r\nContent-Length: 6\r\n\r\n")
            .unwrap();
        assert_eq!(
            (h.status, h.reason.as_str(), h.keep_alive),
            (600, "Error", false)
        );
        let h = parse_head(b"HTTP/1.0 404 Not Found\r\n\r\n").unwrap();
        assert_eq!(
            (h.status, h.content_length, h.keep_alive),
            (404, None, false)
        );
        let h = parse_head(b"HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\n\r\n").unwrap();
        assert!(h.keep_alive);
        let h = parse_head(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n").unwrap();
        assert!(h.chunked);
        assert!(parse_head(b"HTTP/2 200\r\n\r\n").is_err());
        assert!(parse_head(b"HTTP/1.1 2000 OK\r\n\r\n").is_err());
        assert!(parse_head(b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n").is_err());
        assert!(
            parse_head(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n")
                .is_err()
        );
        assert!(parse_head(b"HTTP/1.1 200 OK\r\nnocolon\r\n\r\n").is_err());
        assert!(parse_head(b"\xff\xfe").is_err());
    }

    #[test]
    fn head_end() {
        assert_eq!(find_head_end(b"HTTP/1.1 200 OK\r\n\r\nbody"), Some(19));
        assert_eq!(find_head_end(b"HTTP/1.1 200 OK\r\n"), None);
    }
}
