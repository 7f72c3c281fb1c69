//! TLS for `wss://` and `https://` (rustls with the *ring* provider), and the byte stream the
//! stream transports run on: plain TCP or TLS over TCP.
//!
//! Server certificates are verified by default, against the system's roots
//! ([`rustls_native_certs`]) or against the root certificates the application gives
//! ([`ClientBuilder::tls_root_certificates_pem`](crate::ClientBuilder::tls_root_certificates_pem)).
//! A client certificate can be presented. Turning verification off is explicit
//! ([`ClientBuilder::danger_accept_invalid_certificates`](crate::ClientBuilder::danger_accept_invalid_certificates))
//! and logged as a warning on every connection.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;
use tracing::{debug, warn};

use super::ServerUrl;
use crate::error::{Error, Result};

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

/// What a TLS transport keeps: the connector and the name the certificate must carry.
#[derive(Clone)]
pub(crate) struct Tls {
    connector: TlsConnector,
    name: ServerName<'static>,
    accept_invalid: bool,
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn config_error(url: &ServerUrl, reason: impl Into<String>) -> Error {
    Error::BadUrl {
        url: url.to_string(),
        reason: format!("TLS configuration: {}", reason.into()),
    }
}

/// The system's root certificates, loaded once per process.
fn system_roots() -> Arc<RootCertStore> {
    static ROOTS: OnceLock<Arc<RootCertStore>> = OnceLock::new();
    Arc::clone(ROOTS.get_or_init(|| {
        let loaded = rustls_native_certs::load_native_certs();
        for e in &loaded.errors {
            debug!(error = %e, "while loading the system's root certificates");
        }
        let mut store = RootCertStore::empty();
        let (added, ignored) = store.add_parsable_certificates(loaded.certs);
        debug!(added, ignored, "system root certificates loaded");
        Arc::new(store)
    }))
}

fn pem_certificates(
    url: &ServerUrl,
    what: &str,
    pem: &[u8],
) -> Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| config_error(url, format!("{what}: unreadable PEM: {e}")))?;
    if certs.is_empty() {
        return Err(config_error(
            url,
            format!("{what}: no CERTIFICATE block in the PEM data"),
        ));
    }
    Ok(certs)
}

impl Tls {
    /// Builds the TLS setup for `url` (whose scheme must be a TLS one).
    pub(crate) fn new(url: &ServerUrl, settings: &TlsSettings) -> Result<Self> {
        let name = ServerName::try_from(url.host.clone()).map_err(|e| {
            config_error(
                url,
                format!("'{}' is not a valid server name: {e}", url.host),
            )
        })?;
        let provider = provider();
        let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()
            .map_err(|e| config_error(url, e.to_string()))?;
        let builder = if settings.accept_invalid {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(provider)))
        } else {
            let roots = match &settings.roots_pem {
                Some(pem) => {
                    let mut store = RootCertStore::empty();
                    for cert in pem_certificates(url, "root certificates", pem)? {
                        store
                            .add(cert)
                            .map_err(|e| config_error(url, format!("root certificate: {e}")))?;
                    }
                    Arc::new(store)
                }
                None => {
                    let roots = system_roots();
                    if roots.is_empty() {
                        warn!("no system root certificates found; every server certificate will be refused");
                    }
                    roots
                }
            };
            builder.with_root_certificates(roots)
        };
        let config = match &settings.client_cert_pem {
            Some((cert, key)) => {
                let chain = pem_certificates(url, "client certificate", cert)?;
                let key = PrivateKeyDer::from_pem_slice(key)
                    .map_err(|e| config_error(url, format!("client private key: {e}")))?;
                builder
                    .with_client_auth_cert(chain, key)
                    .map_err(|e| config_error(url, format!("client certificate: {e}")))?
            }
            None => builder.with_no_client_auth(),
        };
        Ok(Self {
            connector: TlsConnector::from(Arc::new(config)),
            name,
            accept_invalid: settings.accept_invalid,
        })
    }

    async fn handshake(&self, tcp: TcpStream, label: &str) -> Result<TlsStream<TcpStream>> {
        if self.accept_invalid {
            warn!(
                server = label,
                "TLS certificate verification is OFF (danger_accept_invalid_certificates): \
                 the connection is encrypted but the server is not authenticated"
            );
        }
        self.connector
            .connect(self.name.clone(), tcp)
            .await
            .map_err(|e| Error::io(format!("TLS handshake with {label}"), e))
    }
}

/// Accepts every certificate; still checks that the handshake signatures are made with the key
/// of the certificate presented.
#[derive(Debug)]
struct AcceptAnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// A connection to the server: plain TCP, or TLS over TCP.
pub(crate) enum MaybeTls {
    /// `ws://`, `http://`.
    Plain(TcpStream),
    /// `wss://`, `https://`.
    Tls(Box<TlsStream<TcpStream>>),
}

impl MaybeTls {
    /// The local address of the TCP connection.
    pub(crate) fn local_addr(&self) -> io::Result<SocketAddr> {
        match self {
            Self::Plain(s) => s.local_addr(),
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
            Self::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_flush(cx),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_shutdown(cx),
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
            Self::Tls(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Self::Plain(s) => s.is_write_vectored(),
            Self::Tls(s) => s.is_write_vectored(),
        }
    }
}

/// Where and how a stream transport connects.
#[derive(Clone)]
pub(crate) struct Connector {
    /// The resolved server.
    pub(crate) server: SocketAddr,
    /// The local address to connect from.
    pub(crate) bind: Option<SocketAddr>,
    /// TLS, for `wss://` and `https://`.
    pub(crate) tls: Option<Tls>,
    /// How long one connection attempt (TCP and TLS handshake) may take.
    pub(crate) timeout: Duration,
    /// The URL as errors name it.
    pub(crate) label: String,
}

impl Connector {
    /// The connector for `url` (already resolved to `server`), with TLS when the scheme needs
    /// it.
    pub(crate) fn new(
        url: &super::ServerUrl,
        server: SocketAddr,
        config: &super::TransportConfig,
    ) -> Result<Self> {
        let tls = if url.scheme.is_tls() {
            Some(Tls::new(url, &config.tls)?)
        } else {
            None
        };
        Ok(Self {
            server,
            bind: config.bind,
            tls,
            timeout: config.connect_timeout,
            label: url.to_string(),
        })
    }

    /// Opens one connection: TCP, then the TLS handshake when the scheme needs one.
    pub(crate) async fn connect(&self) -> Result<MaybeTls> {
        match tokio::time::timeout(self.timeout, self.connect_inner()).await {
            Ok(result) => result,
            Err(_) => Err(Error::io(
                format!("connecting to {}", self.label),
                io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("no connection within {:?}", self.timeout),
                ),
            )),
        }
    }

    async fn connect_inner(&self) -> Result<MaybeTls> {
        let tcp = super::tcp_connect(self.server, self.bind, &self.label).await?;
        match &self.tls {
            None => Ok(MaybeTls::Plain(tcp)),
            Some(tls) => Ok(MaybeTls::Tls(Box::new(
                tls.handshake(tcp, &self.label).await?,
            ))),
        }
    }
}
