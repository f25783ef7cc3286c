//! Client-side TLS options shared by the HTTP-based plugins: Telegraf's `tls_ca`,
//! `tls_cert`, `tls_key` and `insecure_skip_verify` (rustls, no system OpenSSL).

use std::path::Path;

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
