//! Output plugins.

use std::collections::BTreeMap;
use std::io::Write;

use crate::plugin::{Output, PluginSpec};

pub mod discard;
pub mod file;
pub mod graphite;
pub mod http;
pub mod influxdb;
pub mod influxdb_v2;
pub mod prometheus_client;
pub mod socket_writer;

/// Every implemented output.
pub static SPECS: &[PluginSpec<dyn Output>] = &[
    discard::SPEC,
    file::SPEC,
    graphite::SPEC,
    http::SPEC,
    influxdb::SPEC,
    influxdb_v2::SPEC,
    prometheus_client::SPEC,
    socket_writer::SPEC,
];

/// Gzip-compresses a body.
pub fn gzip(body: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(body)?;
    e.finish()
}

/// Builds an HTTP client with a timeout, optional extra headers and TLS settings.
pub fn client(
    timeout: std::time::Duration,
    headers: &BTreeMap<String, String>,
    user_agent: &str,
    tls: &crate::tls::ClientTls,
) -> Result<reqwest::Client, String> {
    let mut h = reqwest::header::HeaderMap::new();
    for (k, v) in headers {
        let name = reqwest::header::HeaderName::from_bytes(k.as_bytes())
            .map_err(|e| format!("invalid header {k:?}: {e}"))?;
        let val = reqwest::header::HeaderValue::from_str(v)
            .map_err(|e| format!("invalid header value for {k:?}: {e}"))?;
        h.insert(name, val);
    }
    let b = reqwest::Client::builder();
    let b = tls.apply(b).map_err(|e| e.to_string())?;
    b.timeout(if timeout.is_zero() {
        std::time::Duration::from_secs(5)
    } else {
        timeout
    })
    .user_agent(user_agent.to_string())
    .default_headers(h)
    .build()
    .map_err(|e| e.to_string())
}

/// Rejects URLs the HTTP client cannot reach (anything but `http://` and `https://`).
pub fn check_url(u: &str) -> Result<(), String> {
    if u.starts_with("https://") {
        return Ok(());
    }
    if !(u.starts_with("http://") || u.starts_with("unix://") || u.starts_with("udp://")) {
        return Err(format!("invalid url {u:?}"));
    }
    if u.starts_with("unix://") || u.starts_with("udp://") {
        return Err(format!("not supported yet: url scheme of {u:?}"));
    }
    Ok(())
}

/// Default User-Agent.
pub const USER_AGENT: &str = concat!("Telegraf/almanac-agent ", env!("CARGO_PKG_VERSION"));
