//! `tcp` handler: writes the alert data JSON (one line) to a TCP address.

use tokio::io::AsyncWriteExt;

use super::opt_str;
use crate::alert::{AlertEvent, HandlerSpec};

/// Options: `address` (`host:port`, required).
#[derive(Debug, Clone)]
pub struct TcpOptions {
    /// Where to connect.
    pub address: String,
}

impl TcpOptions {
    /// Reads the options of a spec.
    pub fn from_spec(spec: &HandlerSpec) -> Result<TcpOptions, String> {
        let address = opt_str(spec, "address")?;
        if !address.contains(':') {
            return Err(format!(
                "tcp handler: address must be host:port, got {address:?}"
            ));
        }
        Ok(TcpOptions { address })
    }
}

/// Sends the event.
pub async fn deliver(opts: &TcpOptions, event: &AlertEvent) -> Result<(), String> {
    let mut s = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        tokio::net::TcpStream::connect(&opts.address),
    )
    .await
    .map_err(|_| format!("tcp handler {}: connect timed out", opts.address))?
    .map_err(|e| format!("tcp handler {}: {e}", opts.address))?;
    let mut line = event.alert_data().to_string();
    line.push('\n');
    s.write_all(line.as_bytes())
        .await
        .map_err(|e| format!("tcp handler {}: {e}", opts.address))?;
    s.shutdown()
        .await
        .map_err(|e| format!("tcp handler {}: {e}", opts.address))
}
