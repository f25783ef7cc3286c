//! InfluxDB 1.x's other ways in: the UDP line protocol listener, Graphite,
//! collectd, OpenTSDB and Prometheus remote write/read.
//!
//! Every protocol is turned into **line protocol text** (one line per point,
//! nanosecond timestamps, produced with `almanac-lineproto`'s serializer and
//! checked by its parser) and handed to a [`PointSink`] together with the
//! target database and retention policy. The server implements [`PointSink`]
//! with its normal write path, so these protocols behave exactly like a
//! `/write` request with `precision=ns`.
//!
//! * [`udp`]: `[[udp]]` — line protocol in UDP datagrams.
//! * [`graphite`]: `[[graphite]]` — plaintext `path value [timestamp]` over
//!   TCP or UDP, mapped through InfluxDB's templates.
//! * [`collectd`]: `[[collectd]]` — collectd's binary network protocol with
//!   `types.db` and the `none`/`sign`/`encrypt` security levels.
//! * [`opentsdb`]: `[[opentsdb]]` — telnet `put` lines and HTTP `/api/put`
//!   on the same TCP port (the first bytes of a connection decide).
//! * [`prometheus`]: `/api/v1/prom/write` and `/api/v1/prom/read` codecs
//!   (snappy + protobuf), mapped as InfluxDB 1.8 does.
//!
//! Listeners follow one pattern: `XxxListener::bind(config)` opens the
//! socket (so the caller learns the address, useful with port 0), exposes
//! its [`ListenerStats`], and `run(sink, shutdown)` serves until `shutdown`
//! completes, then flushes what is batched. `run_xxx(config, sink, shutdown)`
//! does both. Points are batched by `batch-size` and `batch-timeout` as the
//! InfluxDB services do.

#![warn(missing_docs)]

use std::sync::Arc;

use async_trait::async_trait;

pub mod batch;
pub mod collectd;
pub mod config;
pub mod graphite;
pub mod opentsdb;
pub mod point;
pub mod prometheus;
pub mod stats;
pub mod udp;

pub use batch::Batcher;
pub use config::{
    CollectdConfig, GraphiteConfig, OpenTsdbConfig, ParseMultiValuePlugin, SecurityLevel, UdpConfig,
};
pub use point::{Point, PointError};
pub use stats::{ListenerStats, StatsSnapshot};

/// Error returned by a [`PointSink`] when a batch cannot be stored.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    /// The database (or retention policy) does not exist and cannot be created.
    #[error("database not found: {0:?}")]
    DatabaseNotFound(String),
    /// Some lines were rejected (type conflicts, …); the rest were stored.
    #[error("partial write: {message} dropped={dropped}")]
    Partial {
        /// The server's error text.
        message: String,
        /// Number of points rejected.
        dropped: usize,
    },
    /// Anything else (I/O, shutting down, …).
    #[error("{0}")]
    Other(String),
}

/// Where decoded points go: the server implements this with its write path.
///
/// `lines` is line protocol, one point per line, every line with a timestamp
/// in nanoseconds.
#[async_trait]
pub trait PointSink: Send + Sync {
    /// Writes a batch of line protocol to `database` / `rp` (`None`: the default RP).
    async fn write(
        &self,
        database: &str,
        rp: Option<&str>,
        lines: Vec<u8>,
    ) -> Result<(), SinkError>;
}

/// A sink shared between tasks.
pub type SharedSink = Arc<dyn PointSink>;

/// Error starting or running a listener.
#[derive(Debug, thiserror::Error)]
pub enum ListenerError {
    /// The configuration is invalid (message as InfluxDB words it).
    #[error("{0}")]
    Config(String),
    /// Binding or reading the socket failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

impl ListenerError {
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        ListenerError::Io {
            context: context.into(),
            source,
        }
    }
}

/// Current time in nanoseconds since the epoch.
pub(crate) fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos().min(i64::MAX as u128) as i64)
        .unwrap_or(0)
}

/// Turns an InfluxDB `bind-address` (`":8089"` means every interface) into
/// something `tokio` can bind.
pub(crate) fn bind_addr(addr: &str) -> String {
    if addr.starts_with(':') {
        format!("0.0.0.0{addr}")
    } else {
        addr.to_string()
    }
}
