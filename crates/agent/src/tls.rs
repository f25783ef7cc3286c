//! Client-side TLS options shared by the HTTP-based and raw-socket plugins: Telegraf's
//! `tls_ca`, `tls_cert`, `tls_key` and `insecure_skip_verify` (rustls with the ring
//! provider, no system OpenSSL).

use std::path::Path;
use std::sync::Arc;

use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};

/// Errors turning TLS options into a client configuration.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A PEM file could not be read.
    #[error("reading {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A PEM file did not hold what it should.
    #[error("invalid {what} in {path}: {message}")]
    Invalid {
        /// `tls_ca`, `tls_cert` or `tls_key`.
        what: &'static str,
        /// The file.
        path: String,
        /// The parser's message.
        message: String,
    },
    /// Only one of `tls_cert` / `tls_key` was given.
    #[error("tls_cert and tls_key must be set together")]
    Pair,
    /// rustls refused the configuration.
    #[error("TLS configuration: {0}")]
    Config(String),
}

/// Client TLS settings of one plugin.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientTls {
    /// PEM file of the CA(s) to trust instead of the built-in web roots.
    pub ca: String,
    /// PEM client certificate (mutual TLS).
    pub cert: String,
    /// PEM private key of `cert`.
    pub key: String,
    /// Accept any server certificate and host name.
    pub insecure_skip_verify: bool,
}

fn read(path: &str) -> Result<Vec<u8>, TlsError> {
    std::fs::read(Path::new(path)).map_err(|source| TlsError::Read {
        path: path.to_string(),
        source,
    })
}

impl ClientTls {
    /// Settings from the four Telegraf options.
    pub fn new(ca: &str, cert: &str, key: &str, insecure_skip_verify: bool) -> ClientTls {
        ClientTls {
            ca: ca.to_string(),
            cert: cert.to_string(),
            key: key.to_string(),
            insecure_skip_verify,
        }
    }

    /// True when nothing differs from the defaults.
    pub fn is_default(&self) -> bool {
        *self == ClientTls::default()
    }

    /// Applies the settings to a reqwest client builder (files are read now, so a wrong
    /// path fails at load time like in Telegraf).
    pub fn apply(&self, mut b: reqwest::ClientBuilder) -> Result<reqwest::ClientBuilder, TlsError> {
        if !self.ca.is_empty() {
            let pem = read(&self.ca)?;
            let certs =
                reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| TlsError::Invalid {
                    what: "tls_ca",
                    path: self.ca.clone(),
                    message: e.to_string(),
                })?;
            if certs.is_empty() {
                return Err(TlsError::Invalid {
                    what: "tls_ca",
                    path: self.ca.clone(),
                    message: "no certificate found".into(),
                });
            }
            // Like Telegraf: the given CAs replace the default roots.
            b = b.tls_built_in_root_certs(false);
            for c in certs {
                b = b.add_root_certificate(c);
            }
        }
        match (self.cert.is_empty(), self.key.is_empty()) {
            (true, true) => {}
            (false, false) => {
                let mut pem = read(&self.cert)?;
                pem.push(b'\n');
                pem.extend(read(&self.key)?);
                let id = reqwest::Identity::from_pem(&pem).map_err(|e| TlsError::Invalid {
                    what: "tls_cert",
                    path: self.cert.clone(),
                    message: e.to_string(),
                })?;
                b = b.identity(id);
            }
            _ => return Err(TlsError::Pair),
        }
        if self.insecure_skip_verify {
            b = b.danger_accept_invalid_certs(true);
        }
        Ok(b)
    }
}

impl ClientTls {
    /// True when a raw-socket plugin should speak TLS (any option set, as in Telegraf).
    pub fn enabled(&self) -> bool {
        !self.is_default()
    }

    /// A rustls client configuration for raw sockets (graphite, socket_writer).
    pub fn rustls_config(&self) -> Result<Arc<rustls::ClientConfig>, TlsError> {
        let invalid = |what: &'static str, path: &str| {
            let path = path.to_string();
            move |e: rustls::pki_types::pem::Error| TlsError::Invalid {
                what,
                path,
                message: e.to_string(),
            }
        };
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::Config(e.to_string()))?;
        let builder = if self.insecure_skip_verify {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AcceptAny(provider)))
        } else {
            let mut roots = rustls::RootCertStore::empty();
            if self.ca.is_empty() {
                roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            } else {
                let pem = read(&self.ca)?;
                for c in CertificateDer::pem_slice_iter(&pem) {
                    let c = c.map_err(invalid("tls_ca", &self.ca))?;
                    roots.add(c).map_err(|e| TlsError::Invalid {
                        what: "tls_ca",
                        path: self.ca.clone(),
                        message: e.to_string(),
                    })?;
                }
                if roots.is_empty() {
                    return Err(TlsError::Invalid {
                        what: "tls_ca",
                        path: self.ca.clone(),
                        message: "no certificate found".into(),
                    });
                }
            }
            builder.with_root_certificates(roots)
        };
        let cfg = match (self.cert.is_empty(), self.key.is_empty()) {
            (true, true) => builder.with_no_client_auth(),
            (false, false) => {
                let certs = CertificateDer::pem_slice_iter(&read(&self.cert)?)
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(invalid("tls_cert", &self.cert))?;
                let key = PrivateKeyDer::from_pem_slice(&read(&self.key)?)
                    .map_err(invalid("tls_key", &self.key))?;
                builder
                    .with_client_auth_cert(certs, key)
                    .map_err(|e| TlsError::Config(e.to_string()))?
            }
            _ => return Err(TlsError::Pair),
        };
        Ok(Arc::new(cfg))
    }
}

/// The host part of `host:port` / `[v6]:port`, as a TLS server name.
pub fn server_name(addr: &str) -> std::io::Result<ServerName<'static>> {
    let host = addr.rsplit_once(':').map_or(addr, |(h, _)| h);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    ServerName::try_from(host.to_string()).map_err(|e| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("invalid TLS server name {host:?}: {e}"),
        )
    })
}

/// Runs the TLS handshake over a connected TCP stream to `addr` (`host:port`).
pub async fn connect(
    cfg: Arc<rustls::ClientConfig>,
    addr: &str,
    tcp: tokio::net::TcpStream,
) -> std::io::Result<tokio_rustls::client::TlsStream<tokio::net::TcpStream>> {
    tokio_rustls::TlsConnector::from(cfg)
        .connect(server_name(addr)?, tcp)
        .await
}

/// `insecure_skip_verify`: any certificate and name are accepted; handshake signatures
/// are still checked so the session keys belong to the presented certificate.
#[derive(Debug)]
struct AcceptAny(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for AcceptAny {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
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
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_names_and_errors() {
        assert!(server_name("localhost:2003").is_ok());
        assert!(server_name("127.0.0.1:2003").is_ok());
        assert!(server_name("[::1]:2003").is_ok());
        assert!(server_name("bad name:1").is_err());
        assert!(ClientTls::default().rustls_config().is_ok());
        assert!(!ClientTls::default().enabled());
        let pair = ClientTls::new("", "/c.pem", "", false);
        assert!(matches!(pair.rustls_config(), Err(TlsError::Pair)));
        let missing = ClientTls::new("/nonexistent/ca.pem", "", "", false);
        assert!(matches!(
            missing.rustls_config(),
            Err(TlsError::Read { .. })
        ));
        assert!(ClientTls::new("", "", "", true).rustls_config().is_ok());
    }
}
