//! `[[udp]]`: line protocol in UDP datagrams, as InfluxDB's UDP service.
//!
//! Each datagram is parsed with the configured `precision`; points without a
//! timestamp get the time the datagram arrived. Bad lines are counted and
//! dropped alone.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use almanac_lineproto::{parse_lines, write_line, FieldValue, Precision};
use tokio::net::UdpSocket;

use crate::batch::{BatchTarget, Batcher};
use crate::config::{rp_option, UdpConfig};
use crate::stats::ListenerStats;
use crate::{bind_addr, now_ns, ListenerError, SharedSink};

/// Result of decoding one datagram.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Decoded {
    /// Line protocol with nanosecond timestamps.
    pub lines: Vec<u8>,
    /// Points in `lines`.
    pub points: usize,
    /// Lines that failed to parse, with InfluxDB's message.
    pub errors: Vec<String>,
}

/// Re-encodes a line protocol payload with nanosecond timestamps
/// (`precision` for the given ones, `now_ns` for missing ones).
pub fn decode_payload(payload: &[u8], precision: Precision, now_ns: i64) -> Decoded {
    let mut out = Decoded::default();
    let mut text = String::with_capacity(payload.len() + 32);
    for line in parse_lines(payload) {
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                out.errors.push(e.to_string());
                continue;
            }
        };
        let ts = match line.timestamp_ns(precision, now_ns) {
            Ok(ts) => ts,
            Err(e) => {
                out.errors.push(e.to_string());
                continue;
            }
        };
        let tags: Vec<(&str, &str)> = line
            .tags
            .iter()
            .map(|(k, v)| (k.as_ref(), v.as_ref()))
            .collect();
        let fields: Vec<(&str, FieldValue<'_>)> = line
            .fields
            .iter()
            .map(|(k, v)| (k.as_ref(), v.clone()))
            .collect();
        write_line(&mut text, &line.measurement, &tags, &fields, Some(ts));
        out.points += 1;
    }
    out.lines = text.into_bytes();
    out
}

/// A bound UDP line protocol listener.
#[derive(Debug)]
pub struct UdpListener {
    socket: UdpSocket,
    config: UdpConfig,
    precision: Precision,
    stats: Arc<ListenerStats>,
}

impl UdpListener {
    /// Validates the config and binds the socket.
    pub async fn bind(config: UdpConfig) -> Result<Self, ListenerError> {
        let precision = Precision::parse(&config.precision).ok_or_else(|| {
            ListenerError::Config(format!("invalid precision {:?}", config.precision))
        })?;
        if config.database.is_empty() {
            return Err(ListenerError::Config("database name is blank".into()));
        }
        let socket = bind_udp(&config.bind_address, config.read_buffer).await?;
        Ok(UdpListener {
            socket,
            config,
            precision,
            stats: Arc::new(ListenerStats::default()),
        })
    }

    /// The address the socket is bound to.
    pub fn local_addr(&self) -> Result<SocketAddr, ListenerError> {
        self.socket
            .local_addr()
            .map_err(|e| ListenerError::io("local address", e))
    }

    /// The listener's counters.
    pub fn stats(&self) -> Arc<ListenerStats> {
        self.stats.clone()
    }

    /// Serves until `shutdown` completes, then writes what is batched.
    pub async fn run(
        self,
        sink: SharedSink,
        shutdown: impl Future<Output = ()> + Send,
    ) -> Result<(), ListenerError> {
        let batcher = Batcher::start(
            BatchTarget {
                sink,
                database: self.config.database.clone(),
                retention_policy: rp_option(&self.config.retention_policy),
                batch_size: self.config.batch_size,
                batch_pending: self.config.batch_pending,
                batch_timeout: self.config.batch_timeout,
            },
            self.stats.clone(),
        );
        let sender = batcher.sender();
        let mut buf = vec![0u8; self.config.udp_payload_size.clamp(1, 65536)];
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                r = self.socket.recv_from(&mut buf) => match r {
                    Ok((n, _)) => {
                        ListenerStats::add(&self.stats.bytes_received, n as u64);
                        let decoded = decode_payload(&buf[..n], self.precision, now_ns());
                        if !decoded.errors.is_empty() {
                            ListenerStats::add(&self.stats.points_parse_fail, decoded.errors.len() as u64);
                            for e in &decoded.errors {
                                tracing::debug!(error = %e, "udp: failed to parse line");
                            }
                        }
                        if !sender.send(decoded.lines, decoded.points).await {
                            break;
                        }
                    }
                    Err(e) => {
                        ListenerStats::add(&self.stats.read_errors, 1);
                        tracing::info!(error = %e, "udp: read error");
                    }
                },
            }
        }
        drop(sender);
        batcher.close().await;
        Ok(())
    }
}

/// Binds and serves a `[[udp]]` listener until `shutdown`.
pub async fn run_udp(
    config: UdpConfig,
    sink: SharedSink,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ListenerError> {
    UdpListener::bind(config).await?.run(sink, shutdown).await
}

/// Binds a UDP socket, setting the OS receive buffer when `read_buffer > 0`.
pub(crate) async fn bind_udp(
    address: &str,
    read_buffer: usize,
) -> Result<UdpSocket, ListenerError> {
    let addr = bind_addr(address);
    let resolved = tokio::net::lookup_host(&addr)
        .await
        .map_err(|e| ListenerError::io(format!("unable to resolve UDP address {address}"), e))?
        .next()
        .ok_or_else(|| ListenerError::Config(format!("unable to resolve UDP address {address}")))?;
    let domain = socket2::Domain::for_address(resolved);
    let socket = socket2::Socket::new(domain, socket2::Type::DGRAM, Some(socket2::Protocol::UDP))
        .map_err(|e| ListenerError::io("unable to create UDP socket", e))?;
    if read_buffer > 0 {
        socket.set_recv_buffer_size(read_buffer).map_err(|e| {
            ListenerError::io(format!("unable to set UDP read buffer to {read_buffer}"), e)
        })?;
    }
    socket
        .bind(&resolved.into())
        .map_err(|e| ListenerError::io(format!("unable to listen on UDP {address}"), e))?;
    socket
        .set_nonblocking(true)
        .map_err(|e| ListenerError::io("unable to set UDP socket non-blocking", e))?;
    UdpSocket::from_std(socket.into())
        .map_err(|e| ListenerError::io("unable to register UDP socket", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn applies_precision_and_default_time() {
        let d = decode_payload(
            b"cpu,host=a value=1 1700000000\nmem free=2i\nbad line\n",
            Precision::Second,
            42,
        );
        assert_eq!(
            std::str::from_utf8(&d.lines).unwrap(),
            "cpu,host=a value=1.0 1700000000000000000\nmem free=2i 42\n"
        );
        assert_eq!(d.points, 2);
        assert_eq!(d.errors.len(), 1);
        assert_eq!(
            d.errors[0],
            "unable to parse 'bad line': invalid field format"
        );
    }

    #[test]
    fn out_of_range_timestamps_are_errors() {
        let d = decode_payload(b"m v=1 9223372036854775\n", Precision::Second, 0);
        assert_eq!(d.points, 0);
        assert_eq!(d.errors.len(), 1);
    }
}
