//! TLS for `wss://` and `https://` (rustls with the *ring* provider; the `tls` feature).
//!
//! Server certificates are verified by default, against the system's roots
//! ([`rustls_native_certs`]) or against the root certificates the application gives
//! ([`ClientBuilder::tls_root_certificates_pem`](crate::ClientBuilder::tls_root_certificates_pem)).
//! A client certificate can be presented. Turning verification off is explicit
//! ([`ClientBuilder::danger_accept_invalid_certificates`](crate::ClientBuilder::danger_accept_invalid_certificates))
//! and logged as a warning on every connection.

use std::sync::{Arc, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;
use tracing::{debug, warn};

use super::{ServerUrl, TlsSettings};
use crate::error::{Error, Result};

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

    pub(crate) async fn handshake(
        &self,
        tcp: TcpStream,
        label: &str,
    ) -> Result<TlsStream<TcpStream>> {
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
