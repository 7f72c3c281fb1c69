//! Test certificates for TLS transports (`https://`, `wss://`).
//!
//! ```
//! let (cert_pem, key_pem) = rtpengine_testkit::tls::self_signed(&["127.0.0.1", "localhost"]);
//! assert!(cert_pem.starts_with("-----BEGIN CERTIFICATE-----"));
//! assert!(key_pem.contains("PRIVATE KEY"));
//! ```

use std::path::{Path, PathBuf};

/// A fresh self-signed certificate (ECDSA P-256) valid for `hosts` (names become DNS names,
/// address literals IP addresses), and its private key, both PEM. A client that trusts the
/// certificate itself as a root accepts it for those hosts.
///
/// Panics if the certificate cannot be generated (a test-kit bug, not a test outcome).
pub fn self_signed(hosts: &[&str]) -> (String, String) {
    let names: Vec<String> = hosts.iter().map(|h| (*h).to_owned()).collect();
    let certified = rcgen::generate_simple_self_signed(names).expect("generate a test certificate");
    (certified.cert.pem(), certified.signing_key.serialize_pem())
}

/// Writes a certificate and a key (PEM) to two new files in a fresh directory under the system's
/// temporary directory and returns their paths (for the daemon's `--https-cert`/`--https-key`).
/// The files are left for the OS to clean up.
pub fn write_pem_files(cert_pem: &str, key_pem: &str) -> std::io::Result<(PathBuf, PathBuf)> {
    let dir = std::env::temp_dir().join(format!(
        "rtpengine-testkit-tls-{}-{:016x}",
        std::process::id(),
        fastrand::u64(..)
    ));
    std::fs::create_dir_all(&dir)?;
    let write = |name: &str, contents: &str| -> std::io::Result<PathBuf> {
        let path = Path::new(&dir).join(name);
        std::fs::write(&path, contents)?;
        Ok(path)
    };
    Ok((write("cert.pem", cert_pem)?, write("key.pem", key_pem)?))
}
