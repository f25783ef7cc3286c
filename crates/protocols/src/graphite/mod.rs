//! `[[graphite]]`: Graphite plaintext protocol over TCP or UDP.
//!
//! Each line is `path value [timestamp]`; see [`parser`] for the templates.
//! NaN values are dropped silently (as Graphite does); other bad lines are
//! logged and counted in `pointsParseFail`.

pub mod parser;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::{TcpListener, UdpSocket};

pub use parser::{Applied, GraphiteError, GraphiteParser};

use crate::batch::{BatchSender, BatchTarget, Batcher};
use crate::config::{rp_option, GraphiteConfig};
use crate::stats::ListenerStats;
use crate::{bind_addr, now_ns, ListenerError, SharedSink};

/// Longest line accepted on a TCP connection; a longer one closes it.
const MAX_LINE: usize = 1 << 20;

/// Decodes the lines of a chunk of Graphite plaintext into line protocol.
/// Returns `(lines, points, errors)`; NaN values are neither points nor errors.
pub fn decode_lines(
    parser: &GraphiteParser,
    text: &str,
    now_ns: i64,
) -> (Vec<u8>, usize, Vec<String>) {
    let mut out = String::new();
    let mut points = 0;
    let mut errors = Vec::new();
    for line in text.split('\n') {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        match parser.parse(line, now_ns) {
            Ok(p) => match p.to_line() {
                Ok(l) => {
                    out.push_str(&l);
                    points += 1;
                }
                Err(e) => errors.push(format!("unable to parse line {line:?}: {e}")),
            },
            Err(GraphiteError::UnsupportedValue { nan: true, .. }) => {}
            Err(e) => errors.push(e.to_string()),
        }
    }
    (out.into_bytes(), points, errors)
}

enum Socket {
    Tcp(TcpListener),
    Udp(UdpSocket),
}

/// A bound Graphite listener.
pub struct GraphiteListener {
    socket: Socket,
    config: GraphiteConfig,
    parser: Arc<GraphiteParser>,
    stats: Arc<ListenerStats>,
}

impl GraphiteListener {
    /// Validates the config (templates, tags, protocol) and binds the socket.
    pub async fn bind(config: GraphiteConfig) -> Result<Self, ListenerError> {
        let parser = GraphiteParser::from_config(&config)
            .map_err(|e| ListenerError::Config(e.to_string()))?;
        if config.database.is_empty() {
            return Err(ListenerError::Config("database name is blank".into()));
        }
        let socket = match config.protocol.to_ascii_lowercase().as_str() {
            "tcp" | "" => Socket::Tcp(
                TcpListener::bind(bind_addr(&config.bind_address))
                    .await
                    .map_err(|e| {
                        ListenerError::io(
                            format!("unable to listen on TCP {}", config.bind_address),
                            e,
                        )
                    })?,
            ),
            "udp" => Socket::Udp(
                crate::udp::bind_udp(&config.bind_address, config.udp_read_buffer).await?,
            ),
            other => {
                return Err(ListenerError::Config(format!(
                    "unrecognized Graphite input protocol {other}"
                )))
            }
        };
        Ok(GraphiteListener {
            socket,
            config,
            parser: Arc::new(parser),
            stats: Arc::new(ListenerStats::default()),
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> Result<SocketAddr, ListenerError> {
        match &self.socket {
            Socket::Tcp(l) => l.local_addr(),
            Socket::Udp(s) => s.local_addr(),
        }
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
        tokio::pin!(shutdown);
        match &self.socket {
            Socket::Udp(socket) => {
                let mut buf = vec![0u8; 65536];
                loop {
                    tokio::select! {
                        _ = &mut shutdown => break,
                        r = socket.recv_from(&mut buf) => match r {
                            Ok((n, _)) => {
                                ListenerStats::add(&self.stats.bytes_received, n as u64);
                                let text = String::from_utf8_lossy(&buf[..n]);
                                handle_text(&self.parser, &self.stats, &sender, &text).await;
                            }
                            Err(e) => {
                                ListenerStats::add(&self.stats.read_errors, 1);
                                tracing::info!(error = %e, "graphite: UDP read error");
                            }
                        },
                    }
                }
            }
            Socket::Tcp(listener) => {
                let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
                let mut conns = tokio::task::JoinSet::new();
                loop {
                    tokio::select! {
                        _ = &mut shutdown => break,
                        r = listener.accept() => match r {
                            Ok((stream, _)) => {
                                ListenerStats::add(&self.stats.connections_handled, 1);
                                ListenerStats::add(&self.stats.connections_active, 1);
                                let parser = self.parser.clone();
                                let stats = self.stats.clone();
                                let sender = sender.clone();
                                let mut stop = stop_rx.clone();
                                conns.spawn(async move {
                                    tokio::select! {
                                        _ = serve_tcp(stream, &parser, &stats, &sender) => {}
                                        _ = stop.changed() => {}
                                    }
                                    ListenerStats::dec(&stats.connections_active);
                                });
                            }
                            Err(e) => {
                                tracing::info!(error = %e, "graphite: accept error");
                            }
                        },
                        Some(_) = conns.join_next(), if !conns.is_empty() => {}
                    }
                }
                let _ = stop_tx.send(true);
                while conns.join_next().await.is_some() {}
            }
        }
        drop(sender);
        batcher.close().await;
        Ok(())
    }
}

async fn serve_tcp(
    stream: tokio::net::TcpStream,
    parser: &GraphiteParser,
    stats: &ListenerStats,
    sender: &BatchSender,
) {
    let mut reader = BufReader::new(stream);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match read_line_limited(&mut reader, &mut buf).await {
            Ok(0) => return,
            Ok(n) => {
                ListenerStats::add(&stats.bytes_received, n as u64);
                let text = String::from_utf8_lossy(&buf);
                handle_text(parser, stats, sender, &text).await;
            }
            Err(e) => {
                ListenerStats::add(&stats.read_errors, 1);
                tracing::info!(error = %e, "graphite: TCP read error");
                return;
            }
        }
    }
}

/// Reads up to and including `\n` (at most [`MAX_LINE`] bytes).
pub(crate) async fn read_line_limited<R: tokio::io::AsyncBufRead + Unpin>(
    reader: &mut R,
    buf: &mut Vec<u8>,
) -> std::io::Result<usize> {
    let mut total = 0;
    loop {
        let available = reader.fill_buf().await?;
        if available.is_empty() {
            return Ok(total);
        }
        let (used, done) = match memchr_newline(available) {
            Some(i) => (i + 1, true),
            None => (available.len(), false),
        };
        buf.extend_from_slice(&available[..used]);
        reader.consume(used);
        total += used;
        if done {
            return Ok(total);
        }
        if total > MAX_LINE {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "line too long",
            ));
        }
    }
}

fn memchr_newline(b: &[u8]) -> Option<usize> {
    b.iter().position(|&c| c == b'\n')
}

async fn handle_text(
    parser: &GraphiteParser,
    stats: &ListenerStats,
    sender: &BatchSender,
    text: &str,
) {
    let (lines, points, errors) = decode_lines(parser, text, now_ns());
    if !errors.is_empty() {
        ListenerStats::add(&stats.points_parse_fail, errors.len() as u64);
        for e in &errors {
            tracing::info!(error = %e, "graphite: unable to parse line");
        }
    }
    sender.send(lines, points).await;
}

/// Binds and serves a `[[graphite]]` listener until `shutdown`.
pub async fn run_graphite(
    config: GraphiteConfig,
    sink: SharedSink,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ListenerError> {
    GraphiteListener::bind(config)
        .await?
        .run(sink, shutdown)
        .await
}
