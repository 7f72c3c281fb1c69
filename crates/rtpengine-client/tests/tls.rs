//! `https://` and `wss://` against the real daemon listening with `--listen-https` and a test
//! certificate from the test kit: verification on by default (system roots, which do not know
//! the test certificate), given root certificates, a certificate for another name, the explicit
//! "accept anything" switch; and a client certificate, checked by a small rustls server that
//! requires one (rtpengine 10.5 never asks for client certificates).

use rtpengine_client::NgCommands;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rtpengine_client::{Client, DeleteOptions, Error, OfferOptions};
use rtpengine_testkit::rtp::{sdp_audio, sdp_connection_addr};
use rtpengine_testkit::tls::{self_signed, write_pem_files};
use rtpengine_testkit::Rtpengine;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A daemon with an HTTPS/WSS listener whose certificate names `hosts`.
struct HttpsDaemon {
    rtpe: Rtpengine,
    addr: SocketAddr,
    cert_pem: String,
}

fn free_tcp_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

fn start_https(hosts: &[&str]) -> HttpsDaemon {
    let (cert_pem, key_pem) = self_signed(hosts);
    let (cert_file, key_file) = write_pem_files(&cert_pem, &key_pem).unwrap();
    let port = free_tcp_port();
    let rtpe = Rtpengine::builder()
        .arg(format!("--listen-https=127.0.0.1:{port}"))
        .arg(format!("--https-cert={}", cert_file.display()))
        .arg(format!("--https-key={}", key_file.display()))
        .arg("--log-level-http=7")
        .start()
        .expect("start rtpengine with an HTTPS listener (these tests need the real daemon)");
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    // The NG port answers before every listener is surely up: wait for the HTTPS one.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while std::net::TcpStream::connect(addr).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "no HTTPS listener on {addr}:\n{}",
            rtpe.log_tail(20)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    HttpsDaemon {
        rtpe,
        addr,
        cert_pem,
    }
}

/// ping, offer (checking the rewrite) and delete.
async fn works(client: &Client, call_id: &str) {
    client.ping().await.expect("ping");
    let offer = client
        .offer(
            sdp_audio("192.0.2.10", 40_000, 1),
            call_id,
            "tagA",
            &OfferOptions::new(),
        )
        .await
        .expect("offer");
    assert_eq!(
        sdp_connection_addr(&offer.sdp_str()).as_deref(),
        Some("127.0.0.1")
    );
    let deleted = client
        .delete(call_id, "tagA", &DeleteOptions::new())
        .await
        .expect("delete");
    assert_eq!(deleted.warning, None);
}

#[tokio::test]
async fn https_and_wss_with_the_certificate_as_root() {
    let d = start_https(&["127.0.0.1", "localhost"]);
    for scheme in ["https", "wss"] {
        let client = Client::builder(format!("{scheme}://{}", d.addr))
            .tls_root_certificates_pem(&d.cert_pem)
            .connect()
            .await
            .unwrap_or_else(|e| panic!("{scheme}: {e}"));
        works(&client, &format!("{scheme}-call")).await;
    }
    assert!(d
        .rtpe
        .wait_for_log("Received command 'offer'", 2, Duration::from_secs(2)));
    assert!(
        d.rtpe.log_count("HTTP POST from") >= 3,
        "{}",
        d.rtpe.log_tail(30)
    );
    assert_eq!(
        d.rtpe
            .log_count("Websocket protocol 'rtpengine-ng' established"),
        1
    );
}

#[tokio::test]
async fn an_unknown_certificate_is_refused_by_default() {
    let d = start_https(&["127.0.0.1"]);
    for scheme in ["https", "wss"] {
        let err = Client::connect(&format!("{scheme}://{}", d.addr))
            .await
            .expect_err("the system roots do not know the test certificate");
        assert!(matches!(err, Error::Io { .. }), "{scheme}: {err:?}");
        let text = err.to_string();
        assert!(text.contains("TLS handshake"), "{scheme}: {text}");
        assert!(text.contains("certificate"), "{scheme}: {text}");
        assert!(text.contains("UnknownIssuer"), "{scheme}: {text}");
    }
    assert!(d.rtpe.sync_log());
    assert_eq!(d.rtpe.log_count("HTTP POST from"), 0);
}

#[tokio::test]
async fn a_certificate_for_another_name_is_refused() {
    // The certificate names only `localhost`; the client connects to 127.0.0.1.
    let d = start_https(&["localhost"]);
    let err = Client::builder(format!("https://{}", d.addr))
        .tls_root_certificates_pem(&d.cert_pem)
        .connect()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err:?}");
    assert!(
        err.to_string().contains("not valid for name \"127.0.0.1\""),
        "{err}"
    );
}

/// Collects what the library logs (on this thread: the test's current-thread runtime runs the
/// client's tasks too).
#[derive(Clone, Default)]
struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn danger_accept_invalid_certificates_works_without_roots() {
    let logs = LogBuffer::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::WARN)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    // The certificate names another host and no root knows it.
    let d = start_https(&["localhost"]);
    for scheme in ["https", "wss"] {
        let client = Client::builder(format!("{scheme}://{}", d.addr))
            .danger_accept_invalid_certificates()
            .connect()
            .await
            .unwrap_or_else(|e| panic!("{scheme}: {e}"));
        works(&client, &format!("{scheme}-danger")).await;
    }
    // One connection each, and each one logged a warning.
    let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    let warnings: Vec<_> = logs
        .lines()
        .filter(|l| l.contains("WARN") && l.contains("verification is OFF"))
        .collect();
    assert_eq!(warnings.len(), 2, "{logs}");
    assert!(
        warnings[0].contains("https://") && warnings[1].contains("wss://"),
        "{logs}"
    );
}

#[tokio::test]
async fn unusable_pem_is_a_configuration_error() {
    let d = start_https(&["127.0.0.1"]);
    let err = Client::builder(format!("https://{}", d.addr))
        .tls_root_certificates_pem("not a certificate")
        .connect()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::BadUrl { .. }), "{err:?}");
    assert!(err.to_string().contains("root certificates"), "{err}");
    let (cert, _) = self_signed(&["client.test"]);
    let err = Client::builder(format!("wss://{}", d.addr))
        .tls_root_certificates_pem(&d.cert_pem)
        .tls_client_certificate_pem(&cert, "no key here")
        .connect()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::BadUrl { .. }), "{err:?}");
    assert!(err.to_string().contains("client private key"), "{err}");
    // TLS settings do not matter to plain schemes.
    let client = Client::builder(format!("http://{}", d.rtpe.http_addr()))
        .tls_root_certificates_pem("not a certificate")
        .connect()
        .await
        .unwrap();
    client.ping().await.unwrap();
}

/// A one-connection HTTPS NG server that requires a client certificate signed by (here: equal
/// to) `client_root`; records the certificate the client presented.
async fn https_server_requiring_client_certs(
    client_root: &str,
) -> (SocketAddr, String, Arc<Mutex<Option<Vec<u8>>>>) {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let (server_cert, server_key) = self_signed(&["127.0.0.1"]);
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(client_root.as_bytes()).unwrap())
        .unwrap();
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        Arc::clone(&provider),
    )
    .build()
    .unwrap();
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_single_cert(
            vec![CertificateDer::from_pem_slice(server_cert.as_bytes()).unwrap()],
            PrivateKeyDer::from_pem_slice(server_key.as_bytes()).unwrap(),
        )
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let presented = Arc::new(Mutex::new(None));
    let seen = Arc::clone(&presented);
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, seen) = (acceptor.clone(), Arc::clone(&seen));
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                *seen.lock().unwrap() = tls
                    .get_ref()
                    .1
                    .peer_certificates()
                    .and_then(|c| c.first())
                    .map(|c| c.to_vec());
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                while !buf.ends_with(b"e") {
                    match tls.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let head_end = buf.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
                let cookie = buf[head_end..]
                    .split(|&c| c == b' ')
                    .next()
                    .unwrap()
                    .to_vec();
                let mut body = cookie;
                body.extend_from_slice(b" d6:result4:ponge");
                let mut response =
                    format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len())
                        .into_bytes();
                response.extend_from_slice(&body);
                let _ = tls.write_all(&response).await;
                let _ = tls.flush().await;
            });
        }
    });
    (addr, server_cert, presented)
}

#[tokio::test]
async fn a_client_certificate_is_presented_when_configured() {
    let (client_cert, client_key) = self_signed(&["client.test"]);
    let (addr, server_cert, presented) = https_server_requiring_client_certs(&client_cert).await;

    let client = Client::builder(format!("https://{addr}"))
        .tls_root_certificates_pem(&server_cert)
        .tls_client_certificate_pem(&client_cert, &client_key)
        .connect()
        .await
        .unwrap();
    client.ping().await.expect("ping with a client certificate");
    let expected = CertificateDer::from_pem_slice(client_cert.as_bytes())
        .unwrap()
        .to_vec();
    assert_eq!(presented.lock().unwrap().as_deref(), Some(&expected[..]));

    // Without one the server refuses the connection.
    *presented.lock().unwrap() = None;
    let refused = async {
        Client::builder(format!("https://{addr}"))
            .tls_root_certificates_pem(&server_cert)
            .timeout(Duration::from_secs(2))
            .connect()
            .await?
            .ping()
            .await
    }
    .await
    .unwrap_err();
    assert!(matches!(refused, Error::Io { .. }), "{refused:?}");
    assert!(presented.lock().unwrap().is_none());
}
