//! The byte stream the pooled transports (HTTP, WebSocket) run on: plain TCP or TLS over TCP,
//! and how it is opened.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
#[cfg(feature = "tls")]
use tokio_rustls::client::TlsStream;

#[cfg(feature = "tls")]
use super::tls::Tls;
use crate::error::Result;

/// A connection to the server: plain TCP, or TLS over TCP.
pub(crate) enum MaybeTls {
    /// `ws://`, `http://`.
    Plain(TcpStream),
    /// `wss://`, `https://`.
    #[cfg(feature = "tls")]
    Tls(Box<TlsStream<TcpStream>>),
}

impl MaybeTls {
    /// The local address of the TCP connection.
    pub(crate) fn local_addr(&self) -> io::Result<SocketAddr> {
        match self {
            Self::Plain(s) => s.local_addr(),
            #[cfg(feature = "tls")]
            Self::Tls(s) => s.get_ref().0.local_addr(),
        }
    }
}

impl AsyncRead for MaybeTls {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_read(cx, buf),
            #[cfg(feature = "tls")]
            Self::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for MaybeTls {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_write(cx, buf),
            #[cfg(feature = "tls")]
            Self::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_flush(cx),
            #[cfg(feature = "tls")]
            Self::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_shutdown(cx),
            #[cfg(feature = "tls")]
            Self::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            #[cfg(feature = "tls")]
            Self::Tls(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Self::Plain(s) => s.is_write_vectored(),
            #[cfg(feature = "tls")]
            Self::Tls(s) => s.is_write_vectored(),
        }
    }
}

/// Where and how a pooled transport connects (the pool bounds each attempt with the connect
/// timeout).
#[derive(Clone)]
pub(crate) struct Connector {
    /// The resolved server.
    server: SocketAddr,
    /// The local address to connect from.
    bind: Option<SocketAddr>,
    /// TLS, for `wss://` and `https://`.
    #[cfg(feature = "tls")]
    tls: Option<Tls>,
    /// The URL as errors name it.
    pub(crate) label: String,
}

impl Connector {
    /// The connector for `url` (already resolved to `server`), with TLS when the scheme needs
    /// it (an error naming the feature when the `tls` feature is off).
    pub(crate) fn new(
        url: &super::ServerUrl,
        server: SocketAddr,
        config: &super::TransportConfig,
    ) -> Result<Self> {
        #[cfg(feature = "tls")]
        let tls = if url.scheme.is_tls() {
            Some(Tls::new(url, &config.tls)?)
        } else {
            None
        };
        #[cfg(not(feature = "tls"))]
        if url.scheme.is_tls() {
            return Err(super::feature_off(url, "tls"));
        }
        Ok(Self {
            server,
            bind: config.bind,
            #[cfg(feature = "tls")]
            tls,
            label: url.to_string(),
        })
    }

    /// Opens one connection: TCP, then the TLS handshake when the scheme needs one.
    pub(crate) async fn connect(&self) -> Result<MaybeTls> {
        let tcp = super::tcp_connect(self.server, self.bind, &self.label).await?;
        #[cfg(feature = "tls")]
        if let Some(tls) = &self.tls {
            return Ok(MaybeTls::Tls(Box::new(
                tls.handshake(tcp, &self.label).await?,
            )));
        }
        Ok(MaybeTls::Plain(tcp))
    }
}
