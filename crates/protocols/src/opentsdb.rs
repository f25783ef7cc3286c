//! `[[opentsdb]]`: OpenTSDB's telnet `put` protocol and HTTP `/api/put`, on
//! one TCP port as InfluxDB serves them.
//!
//! The first bytes of a connection decide: an HTTP method followed by a space
//! (`POST /api/put HTTP/1.1`) is served as HTTP, anything else (`put …`,
//! `version`) as telnet lines.
//!
//! * Telnet: `put <metric> <timestamp> <value> [tagk=tagv …]`; the timestamp
//!   has 10 digits (seconds) or 13 (milliseconds). Malformed tags are skipped
//!   alone; malformed lines are counted (and logged with `log-point-errors`).
//!   `version` answers `InfluxDB TSDB proxy`. Telnet points are batched.
//! * HTTP: `POST /api/put` with one JSON object or an array of them
//!   (`{"metric", "timestamp", "value", "tags"}`, gzip allowed); timestamps
//!   below 10^10 are seconds, others milliseconds. Written at once; `204`.
//!   `/api/metadata/put` answers `204` and stores nothing.
//!
//! Every point has the measurement `<metric>` and one float field `value`.
//!
//! Deviation: InfluxDB 1.x turns the sub-second part of a millisecond
//! timestamp into microseconds (`(ts % 1000) * 1000` ns); Almanac keeps
//! milliseconds (`ts * 1_000_000` ns).

use std::collections::BTreeMap;
use std::future::Future;
use std::io::Read;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

use crate::batch::{BatchSender, BatchTarget, Batcher};
use crate::config::{rp_option, OpenTsdbConfig};
use crate::point::Point;
use crate::stats::ListenerStats;
use crate::{bind_addr, ListenerError, SharedSink};

/// Largest HTTP body accepted (after gzip decoding too).
pub const MAX_BODY: usize = 32 << 20;

/// A telnet command.
#[derive(Debug, Clone, PartialEq)]
pub enum TelnetCommand {
    /// `version`.
    Version,
    /// `put …`: the point, and the tags that were skipped as malformed.
    Put(Point, Vec<String>),
}

/// Why a telnet line was rejected (the InfluxDB statistic it counts in).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TelnetError {
    /// Not `put` with at least metric, timestamp and value (`tlBadLine`).
    #[error("malformed line '{0}'")]
    BadLine(String),
    /// Timestamp not 10 or 13 digits (`tlBadTime`).
    #[error("bad time '{0}' must be 10 or 13 chars")]
    BadTime(String),
    /// Value not a float, or the point cannot be stored (`tlBadFloat`).
    #[error("bad float '{0}'")]
    BadFloat(String),
}

/// Parses one telnet line.
pub fn parse_telnet_line(line: &str) -> Result<TelnetCommand, TelnetError> {
    let parts: Vec<&str> = line.split_whitespace().collect();
    if parts.len() == 1 && parts[0] == "version" {
        return Ok(TelnetCommand::Version);
    }
    if parts.len() < 4 || parts[0] != "put" {
        return Err(TelnetError::BadLine(line.to_string()));
    }
    let (metric, ts, value) = (parts[1], parts[2], parts[3]);
    let digits = ts.strip_prefix('-').unwrap_or(ts);
    let time_ns = match (ts.len(), ts.parse::<i64>()) {
        (10, Ok(s)) if !digits.is_empty() => s.checked_mul(1_000_000_000),
        (13, Ok(ms)) if !digits.is_empty() => ms.checked_mul(1_000_000),
        _ => None,
    }
    .ok_or_else(|| TelnetError::BadTime(ts.to_string()))?;
    let mut tags = Vec::new();
    let mut skipped = Vec::new();
    for t in &parts[4..] {
        match t.split_once('=') {
            Some((k, v)) if !k.is_empty() && !v.is_empty() => {
                tags.push((k.to_string(), v.to_string()))
            }
            _ => skipped.push(t.to_string()),
        }
    }
    let v: f64 = value
        .parse()
        .map_err(|_| TelnetError::BadFloat(value.to_string()))?;
    let point = Point::float(metric, tags, "value", v, time_ns);
    point
        .to_line()
        .map_err(|_| TelnetError::BadFloat(value.to_string()))?;
    Ok(TelnetCommand::Put(point, skipped))
}

/// One JSON data point of `/api/put`.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
struct JsonPoint {
    metric: String,
    timestamp: i64,
    value: f64,
    tags: BTreeMap<String, String>,
}

/// Error of `/api/put` (status and InfluxDB's text).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct PutError {
    /// HTTP status.
    pub status: u16,
    /// Body text (without the trailing newline).
    pub message: String,
}

impl PutError {
    fn bad(message: impl Into<String>) -> Self {
        PutError {
            status: 400,
            message: message.into(),
        }
    }
}

/// Points decoded from an `/api/put` body.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PutDecoded {
    /// Line protocol with nanosecond timestamps.
    pub lines: Vec<u8>,
    /// Points in `lines`.
    pub points: usize,
    /// Points dropped as invalid, with the reason.
    pub dropped: Vec<String>,
}

/// Decodes an `/api/put` body (`gzip`: the `Content-Encoding` was gzip).
pub fn decode_put_body(body: &[u8], gzip: bool) -> Result<PutDecoded, PutError> {
    let inflated;
    let body = if gzip {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(body)
            .take(MAX_BODY as u64 + 1)
            .read_to_end(&mut out)
            .map_err(|e| PutError::bad(format!("could not read gzip, {e}")))?;
        if out.len() > MAX_BODY {
            return Err(PutError {
                status: 413,
                message: "Request Entity Too Large".into(),
            });
        }
        inflated = out;
        &inflated[..]
    } else {
        body
    };
    let points: Vec<JsonPoint> =
        match body.first() {
            None => return Err(PutError::bad("peek error: EOF")),
            Some(b'{') => vec![serde_json::from_slice(body)
                .map_err(|_| PutError::bad("json object decode error"))?],
            Some(b'[') => serde_json::from_slice(body)
                .map_err(|_| PutError::bad("json array decode error"))?,
            Some(_) => return Err(PutError::bad("expected JSON array or hash")),
        };
    let mut out = PutDecoded::default();
    let mut text = String::new();
    for p in points {
        let time_ns = if p.timestamp < 10_000_000_000 {
            p.timestamp.checked_mul(1_000_000_000)
        } else {
            p.timestamp.checked_mul(1_000_000)
        };
        let Some(time_ns) = time_ns else {
            out.dropped
                .push(format!("Dropping point {}: time out of range", p.metric));
            continue;
        };
        let point = Point::float(
            p.metric,
            p.tags.into_iter().collect(),
            "value",
            p.value,
            time_ns,
        );
        match point.to_line() {
            Ok(l) => {
                text.push_str(&l);
                out.points += 1;
            }
            Err(e) => out
                .dropped
                .push(format!("Dropping point {}: {e}", point.measurement)),
        }
    }
    out.lines = text.into_bytes();
    Ok(out)
}

/// An HTTP answer: status and plain-text body (empty for 204).
#[derive(Debug, Clone, PartialEq)]
pub struct HttpReply {
    /// Status code.
    pub status: u16,
    /// Body (`text/plain`).
    pub body: String,
}

impl HttpReply {
    fn text(status: u16, message: &str) -> Self {
        HttpReply {
            status,
            body: format!("{message}\n"),
        }
    }
}

/// Serves one OpenTSDB HTTP request (the server can mount this on its own router).
pub async fn handle_http(
    method: &str,
    path: &str,
    gzip: bool,
    body: &[u8],
    sink: &SharedSink,
    database: &str,
    retention_policy: Option<&str>,
) -> HttpReply {
    match path {
        "/api/metadata/put" => HttpReply {
            status: 204,
            body: String::new(),
        },
        "/api/put" => {
            if method != "POST" {
                return HttpReply::text(405, "Method Not Allowed");
            }
            let decoded = match decode_put_body(body, gzip) {
                Ok(d) => d,
                Err(e) => return HttpReply::text(e.status, &e.message),
            };
            for d in &decoded.dropped {
                tracing::info!(error = %d, "opentsdb: dropping point");
            }
            match sink.write(database, retention_policy, decoded.lines).await {
                Ok(()) => HttpReply {
                    status: 204,
                    body: String::new(),
                },
                Err(e @ crate::SinkError::Partial { .. })
                | Err(e @ crate::SinkError::DatabaseNotFound(_)) => {
                    HttpReply::text(400, &format!("write series error: {e}"))
                }
                Err(e) => HttpReply::text(500, &format!("write series error: {e}")),
            }
        }
        _ => HttpReply::text(404, "404 page not found"),
    }
}

/// A stream that first yields already-read bytes, then the socket.
struct Rewind {
    prefix: Vec<u8>,
    pos: usize,
    inner: TcpStream,
}

impl AsyncRead for Rewind {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        if self.pos < self.prefix.len() {
            let n = (self.prefix.len() - self.pos).min(buf.remaining());
            let start = self.pos;
            buf.put_slice(&self.prefix[start..start + n]);
            self.pos += n;
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for Rewind {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

const HTTP_METHODS: [&str; 9] = [
    "GET", "POST", "PUT", "HEAD", "DELETE", "OPTIONS", "PATCH", "CONNECT", "TRACE",
];

/// True when `prefix` starts like an HTTP request line (`METHOD `).
pub fn looks_like_http(prefix: &[u8]) -> bool {
    HTTP_METHODS.iter().any(|m| {
        prefix.len() > m.len() && prefix.starts_with(m.as_bytes()) && prefix[m.len()] == b' '
    })
}

/// A bound OpenTSDB listener.
pub struct OpenTsdbListener {
    listener: TcpListener,
    config: OpenTsdbConfig,
    stats: Arc<ListenerStats>,
}

impl OpenTsdbListener {
    /// Binds the TCP socket (TLS is not supported yet).
    pub async fn bind(config: OpenTsdbConfig) -> Result<Self, ListenerError> {
        if config.tls_enabled {
            return Err(ListenerError::Config(
                "not supported yet: opentsdb tls-enabled".into(),
            ));
        }
        if config.database.is_empty() {
            return Err(ListenerError::Config("database name is blank".into()));
        }
        let listener = TcpListener::bind(bind_addr(&config.bind_address))
            .await
            .map_err(|e| {
                ListenerError::io(
                    format!("unable to listen on TCP {}", config.bind_address),
                    e,
                )
            })?;
        Ok(OpenTsdbListener {
            listener,
            config,
            stats: Arc::new(ListenerStats::default()),
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> Result<SocketAddr, ListenerError> {
        self.listener
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
        let rp = rp_option(&self.config.retention_policy);
        let batcher = Batcher::start(
            BatchTarget {
                sink: sink.clone(),
                database: self.config.database.clone(),
                retention_policy: rp.clone(),
                batch_size: self.config.batch_size,
                batch_pending: self.config.batch_pending,
                batch_timeout: self.config.batch_timeout,
            },
            self.stats.clone(),
        );
        let sender = batcher.sender();
        let ctx = Arc::new(ConnCtx {
            sink,
            database: self.config.database.clone(),
            rp,
            log_point_errors: self.config.log_point_errors,
            stats: self.stats.clone(),
        });
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let mut conns = tokio::task::JoinSet::new();
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                r = self.listener.accept() => match r {
                    Ok((stream, remote)) => {
                        ListenerStats::add(&self.stats.connections_handled, 1);
                        ListenerStats::add(&self.stats.connections_active, 1);
                        let ctx = ctx.clone();
                        let sender = sender.clone();
                        let mut stop = stop_rx.clone();
                        conns.spawn(async move {
                            tokio::select! {
                                _ = handle_conn(stream, remote, &ctx, &sender) => {}
                                _ = stop.changed() => {}
                            }
                            ListenerStats::dec(&ctx.stats.connections_active);
                        });
                    }
                    Err(e) => tracing::info!(error = %e, "error accepting openTSDB"),
                },
                Some(_) = conns.join_next(), if !conns.is_empty() => {}
            }
        }
        let _ = stop_tx.send(true);
        while conns.join_next().await.is_some() {}
        drop(sender);
        batcher.close().await;
        Ok(())
    }
}

struct ConnCtx {
    sink: SharedSink,
    database: String,
    rp: Option<String>,
    log_point_errors: bool,
    stats: Arc<ListenerStats>,
}

async fn handle_conn(
    mut stream: TcpStream,
    remote: SocketAddr,
    ctx: &Arc<ConnCtx>,
    sender: &BatchSender,
) {
    // Read until the first space or newline (at most 16 bytes) to sniff HTTP.
    let mut prefix = Vec::with_capacity(16);
    let mut byte = [0u8; 1];
    while prefix.len() < 16 {
        match stream.read(&mut byte).await {
            Ok(0) | Err(_) => break,
            Ok(_) => {
                prefix.push(byte[0]);
                if byte[0] == b' ' || byte[0] == b'\n' {
                    break;
                }
            }
        }
    }
    let rewind = Rewind {
        prefix: prefix.clone(),
        pos: 0,
        inner: stream,
    };
    if looks_like_http(&prefix) {
        ListenerStats::add(&ctx.stats.http_requests, 1);
        serve_http(rewind, ctx.clone()).await;
    } else {
        serve_telnet(rewind, remote, ctx, sender).await;
    }
}

async fn serve_http(io: Rewind, ctx: Arc<ConnCtx>) {
    let service = hyper::service::service_fn(move |req: Request<Incoming>| {
        let ctx = ctx.clone();
        async move {
            let method = req.method().as_str().to_string();
            let path = req.uri().path().to_string();
            let gzip = req
                .headers()
                .get(hyper::header::CONTENT_ENCODING)
                .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"gzip"));
            let reply = match Limited::new(req.into_body(), MAX_BODY).collect().await {
                Ok(body) => {
                    let body = body.to_bytes();
                    handle_http(
                        &method,
                        &path,
                        gzip,
                        &body,
                        &ctx.sink,
                        &ctx.database,
                        ctx.rp.as_deref(),
                    )
                    .await
                }
                Err(e) => HttpReply::text(400, &e.to_string()),
            };
            let mut resp = Response::new(Full::new(Bytes::from(reply.body)));
            *resp.status_mut() =
                StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            if reply.status != 204 {
                resp.headers_mut().insert(
                    hyper::header::CONTENT_TYPE,
                    hyper::header::HeaderValue::from_static("text/plain; charset=utf-8"),
                );
            }
            Ok::<_, std::convert::Infallible>(resp)
        }
    });
    if let Err(e) = hyper::server::conn::http1::Builder::new()
        .serve_connection(hyper_util::rt::TokioIo::new(io), service)
        .await
    {
        tracing::debug!(error = %e, "opentsdb: HTTP connection error");
    }
}

async fn serve_telnet(io: Rewind, remote: SocketAddr, ctx: &ConnCtx, sender: &BatchSender) {
    let stats = &ctx.stats;
    let (rd, mut wr) = tokio::io::split(io);
    let mut reader = BufReader::new(rd);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let n = match crate::graphite::read_line_limited(&mut reader, &mut buf).await {
            Ok(0) => return,
            Ok(n) => n,
            Err(e) => {
                ListenerStats::add(&stats.read_errors, 1);
                tracing::info!(error = %e, "error reading from openTSDB connection");
                return;
            }
        };
        ListenerStats::add(&stats.bytes_received, n as u64);
        let text = String::from_utf8_lossy(&buf);
        let line = text.trim_end_matches(['\n', '\r']);
        match parse_telnet_line(line) {
            Ok(TelnetCommand::Version) => {
                if wr.write_all(b"InfluxDB TSDB proxy").await.is_err() {
                    return;
                }
            }
            Ok(TelnetCommand::Put(point, skipped)) => {
                if !skipped.is_empty() && ctx.log_point_errors {
                    for t in &skipped {
                        tracing::info!("malformed tag data '{t}' from {remote}");
                    }
                }
                match point.to_line() {
                    Ok(l) => {
                        sender.send(l.into_bytes(), 1).await;
                    }
                    Err(e) => {
                        ListenerStats::add(&stats.points_parse_fail, 1);
                        if ctx.log_point_errors {
                            tracing::info!("bad point from {remote}: {e}");
                        }
                    }
                }
            }
            Err(e) => {
                ListenerStats::add(&stats.points_parse_fail, 1);
                if ctx.log_point_errors {
                    tracing::info!("{e} from {remote}");
                }
            }
        }
    }
}

/// Binds and serves an `[[opentsdb]]` listener until `shutdown`.
pub async fn run_opentsdb(
    config: OpenTsdbConfig,
    sink: SharedSink,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ListenerError> {
    OpenTsdbListener::bind(config)
        .await?
        .run(sink, shutdown)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(line: &str) -> String {
        match parse_telnet_line(line).unwrap() {
            TelnetCommand::Put(p, _) => p.to_line().unwrap(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn telnet_put_lines() {
        assert_eq!(
            put("put sys.cpu.user 1356998400 42.5 host=webserver01 cpu=0"),
            "sys.cpu.user,cpu=0,host=webserver01 value=42.5 1356998400000000000\n"
        );
        assert_eq!(
            put("put m 1356998400123 1"),
            "m value=1.0 1356998400123000000\n"
        );
        match parse_telnet_line("put m 1356998400 1 good=1 bad =x").unwrap() {
            TelnetCommand::Put(p, skipped) => {
                assert_eq!(p.tags, vec![("good".to_string(), "1".to_string())]);
                assert_eq!(skipped, vec!["bad", "=x"]);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            parse_telnet_line("version").unwrap(),
            TelnetCommand::Version
        );
    }

    #[test]
    fn telnet_errors() {
        assert_eq!(
            parse_telnet_line("put m 1356998400")
                .unwrap_err()
                .to_string(),
            "malformed line 'put m 1356998400'"
        );
        assert!(matches!(
            parse_telnet_line("get m 1356998400 1"),
            Err(TelnetError::BadLine(_))
        ));
        assert_eq!(
            parse_telnet_line("put m 13569984 1")
                .unwrap_err()
                .to_string(),
            "bad time '13569984' must be 10 or 13 chars"
        );
        assert!(matches!(
            parse_telnet_line("put m abcdefghij 1"),
            Err(TelnetError::BadTime(_))
        ));
        assert_eq!(
            parse_telnet_line("put m 1356998400 x")
                .unwrap_err()
                .to_string(),
            "bad float 'x'"
        );
        assert!(matches!(
            parse_telnet_line("put m 1356998400 NaN"),
            Err(TelnetError::BadFloat(_))
        ));
    }

    #[test]
    fn http_put_bodies() {
        let d = decode_put_body(
            br#"[{"metric":"sys.cpu.nice","timestamp":1346846400,"value":18,"tags":{"host":"web01","dc":"lga"}},
                 {"metric":"sys.cpu.nice","timestamp":1346846400123,"value":9.5,"tags":{"host":"web02"}}]"#,
            false,
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(d.lines).unwrap(),
            "sys.cpu.nice,dc=lga,host=web01 value=18.0 1346846400000000000\n\
             sys.cpu.nice,host=web02 value=9.5 1346846400123000000\n"
        );
        let single = decode_put_body(br#"{"metric":"m","timestamp":1,"value":1}"#, false).unwrap();
        assert_eq!(single.points, 1);
        let empty_metric = decode_put_body(br#"{"timestamp":1,"value":1}"#, false).unwrap();
        assert_eq!(empty_metric.points, 0);
        assert_eq!(empty_metric.dropped.len(), 1);
    }

    #[test]
    fn http_put_errors() {
        let e = |b: &[u8]| decode_put_body(b, false).unwrap_err().message;
        assert_eq!(e(b""), "peek error: EOF");
        assert_eq!(e(b"x"), "expected JSON array or hash");
        assert_eq!(e(b"{bad"), "json object decode error");
        assert_eq!(e(b"[{\"value\":\"1\"}]"), "json array decode error");
        assert!(decode_put_body(b"not gzip", true)
            .unwrap_err()
            .message
            .starts_with("could not read gzip"));
    }

    #[test]
    fn gzip_bodies() {
        use flate2::write::GzEncoder;
        use std::io::Write;
        let mut enc = GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(br#"{"metric":"m","timestamp":1,"value":2}"#)
            .unwrap();
        let d = decode_put_body(&enc.finish().unwrap(), true).unwrap();
        assert_eq!(
            String::from_utf8(d.lines).unwrap(),
            "m value=2.0 1000000000\n"
        );
    }

    #[test]
    fn sniffing() {
        assert!(looks_like_http(b"POST "));
        assert!(looks_like_http(b"GET "));
        assert!(!looks_like_http(b"put "));
        assert!(!looks_like_http(b"POST"));
        assert!(!looks_like_http(b"version\n"));
    }
}
