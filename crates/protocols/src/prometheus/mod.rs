//! Prometheus remote write and read, as InfluxDB 1.8 maps them
//! (`/api/v1/prom/write?db=…&rp=…`, `/api/v1/prom/read?db=…&rp=…`).
//!
//! Bodies are raw (block) snappy around protobuf.
//!
//! Write: every sample of a series becomes one point. The measurement is the
//! `__name__` label (`prom_metric_not_specified` when missing), the sample is
//! the float field `value`, the time is the sample's milliseconds, and every
//! label — `__name__` included — becomes a tag (labels with an empty value
//! are left out). NaN, +Inf and -Inf samples are dropped and counted; the
//! request still succeeds (1.8 logs "dropped unsupported Prometheus values:
//! [NaN = n, +Inf = n, -Inf = n]" and answers 204).
//!
//! Read: exactly one query per request; its matchers become a neutral
//! [`ReadQuery`] (`__name__` matches the measurement; the field is `value`;
//! the time range is inclusive, in ns). The server runs it and encodes the
//! answer with [`encode_read_response`]: one series per tag set with the
//! tags as labels (empty values left out) and the samples in ms.

pub mod proto;

use async_trait::async_trait;
use prost::Message;
use regex::Regex;

use crate::point::Point;
use crate::{SharedSink, SinkError};

/// Measurement used when a series has no `__name__` label.
pub const DEFAULT_MEASUREMENT: &str = "prom_metric_not_specified";
/// The field every sample is written to.
pub const FIELD_NAME: &str = "value";
/// The label that holds the metric name.
pub const NAME_LABEL: &str = "__name__";
/// Largest decompressed body accepted.
pub const MAX_DECODED: usize = 64 << 20;

/// Error decoding a remote write or read request (the server answers 400).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PromError {
    /// The body is not valid snappy.
    #[error("snappy: {0}")]
    Snappy(String),
    /// The body is not a valid protobuf message.
    #[error("proto: {0}")]
    Protobuf(String),
    /// A point that cannot be stored.
    #[error("{0}")]
    Point(String),
    /// A read request without exactly one query.
    #[error("Prometheus read endpoint currently only supports one query at a time")]
    OneQuery,
    /// A query without matchers.
    #[error("expected matcher")]
    NoMatcher,
    /// A matcher type outside EQ/NEQ/RE/NRE.
    #[error("unknown match type {0}")]
    MatchType(i32),
    /// A regular expression that does not compile.
    #[error("{0}")]
    Regex(String),
}

/// Counts of dropped samples.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DroppedValues {
    /// NaN samples.
    pub nan: u64,
    /// +Inf samples.
    pub inf: u64,
    /// -Inf samples.
    pub ninf: u64,
}

impl DroppedValues {
    /// Total dropped.
    pub fn total(&self) -> u64 {
        self.nan + self.inf + self.ninf
    }
}

impl std::fmt::Display for DroppedValues {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "dropped unsupported Prometheus values: [NaN = {}, +Inf = {}, -Inf = {}]",
            self.nan, self.inf, self.ninf
        )
    }
}

/// A decoded remote write.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DecodedWrite {
    /// Line protocol with nanosecond timestamps.
    pub lines: Vec<u8>,
    /// Points in `lines`.
    pub points: usize,
    /// Samples that were dropped.
    pub dropped: DroppedValues,
}

/// Decompresses a raw snappy body (bounded by [`MAX_DECODED`]).
pub fn snappy_decode(body: &[u8]) -> Result<Vec<u8>, PromError> {
    let len = snap::raw::decompress_len(body).map_err(|e| PromError::Snappy(e.to_string()))?;
    if len > MAX_DECODED {
        return Err(PromError::Snappy(format!(
            "decoded length {len} exceeds {MAX_DECODED}"
        )));
    }
    snap::raw::Decoder::new()
        .decompress_vec(body)
        .map_err(|e| PromError::Snappy(e.to_string()))
}

/// Compresses with raw snappy.
pub fn snappy_encode(data: &[u8]) -> Vec<u8> {
    // Compression of an in-memory buffer only fails for inputs over ~4 GiB.
    snap::raw::Encoder::new()
        .compress_vec(data)
        .unwrap_or_default()
}

/// Converts a decoded write request to line protocol (1.8 mapping).
pub fn write_request_to_lines(req: &proto::WriteRequest) -> Result<DecodedWrite, PromError> {
    let mut out = DecodedWrite::default();
    let mut text = String::new();
    for ts in &req.timeseries {
        let mut measurement = DEFAULT_MEASUREMENT;
        // Later duplicates win, as with 1.8's map.
        let mut tags: std::collections::BTreeMap<&str, &str> = std::collections::BTreeMap::new();
        for l in &ts.labels {
            tags.insert(&l.name, &l.value);
            if l.name == NAME_LABEL {
                measurement = &l.value;
            }
        }
        let tags: Vec<(String, String)> = tags
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        for s in &ts.samples {
            if s.value.is_nan() {
                out.dropped.nan += 1;
                continue;
            } else if s.value == f64::INFINITY {
                out.dropped.inf += 1;
                continue;
            } else if s.value == f64::NEG_INFINITY {
                out.dropped.ninf += 1;
                continue;
            }
            let time_ns = s.timestamp.checked_mul(1_000_000).ok_or_else(|| {
                PromError::Point(format!("timestamp {} ms out of range", s.timestamp))
            })?;
            let p = Point::float(measurement, tags.clone(), FIELD_NAME, s.value, time_ns);
            let line = p.to_line().map_err(|e| PromError::Point(e.to_string()))?;
            text.push_str(&line);
            out.points += 1;
        }
    }
    out.lines = text.into_bytes();
    Ok(out)
}

/// Decodes a `/api/v1/prom/write` body (snappy + protobuf) into line protocol.
pub fn decode_write_request(body: &[u8]) -> Result<DecodedWrite, PromError> {
    let raw = snappy_decode(body)?;
    let req = proto::WriteRequest::decode(raw.as_slice())
        .map_err(|e| PromError::Protobuf(e.to_string()))?;
    write_request_to_lines(&req)
}

/// Matcher operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchOp {
    /// `=`.
    Equal,
    /// `!=`.
    NotEqual,
    /// `=~` (anchored regex).
    RegexMatch,
    /// `!~` (anchored regex).
    RegexNoMatch,
}

/// One label matcher of a remote read, ready for a storage query.
#[derive(Debug, Clone)]
pub struct Matcher {
    /// Label (tag key) name; `__name__` means the measurement.
    pub name: String,
    /// Operator.
    pub op: MatchOp,
    /// Value, or the regular expression as Prometheus sent it.
    pub value: String,
    /// The regex, anchored (`^(?:value)$`) as Prometheus defines it.
    pub regex: Option<Regex>,
}

impl PartialEq for Matcher {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.op == other.op && self.value == other.value
    }
}

impl Matcher {
    /// True when this matcher is on the metric name (the measurement).
    pub fn is_measurement(&self) -> bool {
        self.name == NAME_LABEL
    }

    /// Whether a label value matches (`None`: the label is absent, which
    /// Prometheus treats as the empty string).
    pub fn matches(&self, value: Option<&str>) -> bool {
        let v = value.unwrap_or("");
        match self.op {
            MatchOp::Equal => v == self.value,
            MatchOp::NotEqual => v != self.value,
            MatchOp::RegexMatch => self.regex.as_ref().is_some_and(|r| r.is_match(v)),
            MatchOp::RegexNoMatch => !self.regex.as_ref().is_some_and(|r| r.is_match(v)),
        }
    }
}

/// The one query of a remote read, in storage terms.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadQuery {
    /// Start, ns (inclusive).
    pub start_ns: i64,
    /// End, ns (inclusive).
    pub end_ns: i64,
    /// Matchers, all of which must hold.
    pub matchers: Vec<Matcher>,
    /// The field to read (always `value`).
    pub field: &'static str,
}

impl ReadQuery {
    /// The measurement when a matcher pins it with `__name__ = "…"`.
    pub fn measurement(&self) -> Option<&str> {
        self.matchers
            .iter()
            .find(|m| m.is_measurement() && m.op == MatchOp::Equal)
            .map(|m| m.value.as_str())
    }

    /// Whether a series (measurement + tags) is selected.
    pub fn matches_series<'a>(
        &self,
        measurement: &str,
        tags: impl Fn(&str) -> Option<&'a str>,
    ) -> bool {
        self.matchers.iter().all(|m| {
            if m.is_measurement() {
                m.matches(Some(measurement))
            } else {
                m.matches(tags(&m.name))
            }
        })
    }
}

fn ms_to_ns(ms: i64) -> i64 {
    ms.saturating_mul(1_000_000)
}

/// Decodes a `/api/v1/prom/read` body (snappy + protobuf) into a [`ReadQuery`].
pub fn decode_read_request(body: &[u8]) -> Result<ReadQuery, PromError> {
    let raw = snappy_decode(body)?;
    let req = proto::ReadRequest::decode(raw.as_slice())
        .map_err(|e| PromError::Protobuf(e.to_string()))?;
    read_request_to_query(&req)
}

/// Converts a decoded read request (1.8: exactly one query, at least one matcher).
pub fn read_request_to_query(req: &proto::ReadRequest) -> Result<ReadQuery, PromError> {
    if req.queries.len() != 1 {
        return Err(PromError::OneQuery);
    }
    let q = &req.queries[0];
    if q.matchers.is_empty() {
        return Err(PromError::NoMatcher);
    }
    let mut matchers = Vec::with_capacity(q.matchers.len());
    for m in &q.matchers {
        let op = match proto::MatchType::try_from(m.r#type) {
            Ok(proto::MatchType::Equal) => MatchOp::Equal,
            Ok(proto::MatchType::NotEqual) => MatchOp::NotEqual,
            Ok(proto::MatchType::RegexMatch) => MatchOp::RegexMatch,
            Ok(proto::MatchType::RegexNoMatch) => MatchOp::RegexNoMatch,
            Err(_) => return Err(PromError::MatchType(m.r#type)),
        };
        let regex = match op {
            MatchOp::RegexMatch | MatchOp::RegexNoMatch => Some(
                regex::RegexBuilder::new(&format!("^(?:{})$", m.value))
                    .size_limit(1 << 20)
                    .build()
                    .map_err(|e| PromError::Regex(e.to_string()))?,
            ),
            _ => None,
        };
        matchers.push(Matcher {
            name: m.name.clone(),
            op,
            value: m.value.clone(),
            regex,
        });
    }
    Ok(ReadQuery {
        start_ns: ms_to_ns(q.start_timestamp_ms),
        end_ns: ms_to_ns(q.end_timestamp_ms),
        matchers,
        field: FIELD_NAME,
    })
}

/// One series of a read answer.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PromSeries {
    /// Labels (tag key → value); empty values are left out when encoding.
    pub labels: Vec<(String, String)>,
    /// `(time in ns, value)` pairs, oldest first.
    pub samples: Vec<(i64, f64)>,
}

/// Encodes a remote read answer (one query result) as snappy + protobuf,
/// with `Content-Type: application/x-protobuf` and `Content-Encoding: snappy`.
pub fn encode_read_response(series: &[PromSeries]) -> Vec<u8> {
    let result = proto::QueryResult {
        timeseries: series
            .iter()
            .filter(|s| !s.samples.is_empty())
            .map(|s| proto::TimeSeries {
                labels: s
                    .labels
                    .iter()
                    .filter(|(_, v)| !v.is_empty())
                    .map(|(k, v)| proto::Label {
                        name: k.clone(),
                        value: v.clone(),
                    })
                    .collect(),
                samples: s
                    .samples
                    .iter()
                    .map(|(t, v)| proto::Sample {
                        value: *v,
                        timestamp: t / 1_000_000,
                    })
                    .collect(),
            })
            .collect(),
    };
    let resp = proto::ReadResponse {
        results: vec![result],
    };
    snappy_encode(&resp.encode_to_vec())
}

/// An HTTP error answer of the prom endpoints (status and InfluxDB's message).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct PromHttpError {
    /// HTTP status.
    pub status: u16,
    /// Error text (the server wraps it as `{"error": …}`).
    pub message: String,
}

impl PromHttpError {
    fn new(status: u16, message: impl Into<String>) -> Self {
        PromHttpError {
            status,
            message: message.into(),
        }
    }

    fn from_sink(e: SinkError) -> Self {
        match e {
            SinkError::DatabaseNotFound(_) => PromHttpError::new(404, e.to_string()),
            SinkError::Partial { .. } => PromHttpError::new(400, e.to_string()),
            SinkError::Other(m) => PromHttpError::new(500, m),
        }
    }
}

/// What a successful remote write stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteSummary {
    /// Points written.
    pub points: usize,
    /// Samples dropped (NaN, ±Inf).
    pub dropped: DroppedValues,
}

/// Serves `/api/v1/prom/write`: decodes the body and writes it through `sink`
/// (`Ok` → 204). Dropped NaN/±Inf samples are logged, not an error, as in 1.8.
pub async fn handle_write(
    body: &[u8],
    sink: &SharedSink,
    database: &str,
    rp: Option<&str>,
) -> Result<WriteSummary, PromHttpError> {
    if database.is_empty() {
        return Err(PromHttpError::new(400, "database is required"));
    }
    let decoded = decode_write_request(body).map_err(|e| PromHttpError::new(400, e.to_string()))?;
    if decoded.dropped.total() > 0 {
        tracing::info!(database, "Prom write handler: {}", decoded.dropped);
    }
    if decoded.points > 0 {
        sink.write(database, rp, decoded.lines)
            .await
            .map_err(PromHttpError::from_sink)?;
    }
    Ok(WriteSummary {
        points: decoded.points,
        dropped: decoded.dropped,
    })
}

/// The server's side of a remote read: the series a [`ReadQuery`] selects.
#[async_trait]
pub trait SeriesSource: Send + Sync {
    /// Series of `database`/`rp` matching `query` (its float field `value`
    /// within `start_ns..=end_ns`), labels = tags, samples oldest first.
    async fn select(
        &self,
        database: &str,
        rp: Option<&str>,
        query: &ReadQuery,
    ) -> Result<Vec<PromSeries>, SinkError>;
}

/// Serves `/api/v1/prom/read`: returns the snappy + protobuf body to send with
/// `Content-Type: application/x-protobuf` and `Content-Encoding: snappy`.
pub async fn handle_read(
    body: &[u8],
    source: &dyn SeriesSource,
    database: &str,
    rp: Option<&str>,
) -> Result<Vec<u8>, PromHttpError> {
    let query = decode_read_request(body).map_err(|e| PromHttpError::new(400, e.to_string()))?;
    let series = source
        .select(database, rp, &query)
        .await
        .map_err(|e| PromHttpError::new(400, e.to_string()))?;
    Ok(encode_read_response(&series))
}

#[cfg(test)]
mod tests {
    use super::proto::*;
    use super::*;

    fn label(n: &str, v: &str) -> Label {
        Label {
            name: n.into(),
            value: v.into(),
        }
    }

    fn sample(v: f64, t: i64) -> Sample {
        Sample {
            value: v,
            timestamp: t,
        }
    }

    #[test]
    fn write_maps_as_influxdb_18() {
        let req = WriteRequest {
            timeseries: vec![
                TimeSeries {
                    labels: vec![
                        label("__name__", "http_requests_total"),
                        label("job", "api"),
                        label("empty", ""),
                    ],
                    samples: vec![
                        sample(3.0, 1_600_000_000_000),
                        sample(f64::NAN, 1),
                        sample(4.5, 1_600_000_001_000),
                    ],
                },
                TimeSeries {
                    labels: vec![label("host", "a b")],
                    samples: vec![
                        sample(f64::INFINITY, 1),
                        sample(f64::NEG_INFINITY, 1),
                        sample(1.0, 5),
                    ],
                },
            ],
        };
        let body = snappy_encode(&req.encode_to_vec());
        let d = decode_write_request(&body).unwrap();
        assert_eq!(
            String::from_utf8(d.lines).unwrap(),
            "http_requests_total,__name__=http_requests_total,job=api value=3.0 1600000000000000000\n\
             http_requests_total,__name__=http_requests_total,job=api value=4.5 1600000001000000000\n\
             prom_metric_not_specified,host=a\\ b value=1.0 5000000\n"
        );
        assert_eq!(d.points, 3);
        assert_eq!(
            d.dropped,
            DroppedValues {
                nan: 1,
                inf: 1,
                ninf: 1
            }
        );
        assert_eq!(
            d.dropped.to_string(),
            "dropped unsupported Prometheus values: [NaN = 1, +Inf = 1, -Inf = 1]"
        );
    }

    #[test]
    fn write_errors() {
        assert!(matches!(
            decode_write_request(b"\xff\xff\xff"),
            Err(PromError::Snappy(_))
        ));
        let garbage = snappy_encode(b"\x0a\xff\xff\xff\xff\x0f");
        assert!(matches!(
            decode_write_request(&garbage),
            Err(PromError::Protobuf(_))
        ));
    }

    fn read_body(queries: Vec<Query>) -> Vec<u8> {
        snappy_encode(
            &ReadRequest {
                queries,
                accepted_response_types: vec![0],
            }
            .encode_to_vec(),
        )
    }

    fn matcher(t: MatchType, n: &str, v: &str) -> LabelMatcher {
        LabelMatcher {
            r#type: t as i32,
            name: n.into(),
            value: v.into(),
        }
    }

    #[test]
    fn read_request_to_neutral_query() {
        let body = read_body(vec![Query {
            start_timestamp_ms: 1,
            end_timestamp_ms: 100,
            matchers: vec![
                matcher(MatchType::Equal, "__name__", "up"),
                matcher(MatchType::NotEqual, "host", "serverA"),
                matcher(MatchType::RegexMatch, "region", "c.*"),
                matcher(MatchType::RegexNoMatch, "dc", "\\d"),
            ],
            hints: None,
        }]);
        let q = decode_read_request(&body).unwrap();
        assert_eq!(q.start_ns, 1_000_000);
        assert_eq!(q.end_ns, 100_000_000);
        assert_eq!(q.measurement(), Some("up"));
        assert_eq!(q.field, "value");
        let tags = |region: &'static str, host: &'static str| {
            move |k: &str| match k {
                "region" => Some(region),
                "host" => Some(host),
                _ => None,
            }
        };
        assert!(q.matches_series("up", tags("central", "b")));
        assert!(!q.matches_series("up", tags("central", "serverA")));
        // Anchored: "xc" does not match c.*
        assert!(!q.matches_series("up", tags("xc", "b")));
        assert!(!q.matches_series("down", tags("central", "b")));
    }

    #[test]
    fn read_request_errors() {
        assert_eq!(
            decode_read_request(&read_body(vec![])).unwrap_err(),
            PromError::OneQuery
        );
        assert_eq!(
            decode_read_request(&read_body(vec![Query::default(), Query::default()])).unwrap_err(),
            PromError::OneQuery
        );
        assert_eq!(
            decode_read_request(&read_body(vec![Query::default()])).unwrap_err(),
            PromError::NoMatcher
        );
        let bad_re = read_body(vec![Query {
            matchers: vec![matcher(MatchType::RegexMatch, "a", "(")],
            ..Query::default()
        }]);
        assert!(matches!(
            decode_read_request(&bad_re),
            Err(PromError::Regex(_))
        ));
        let bad_type = read_body(vec![Query {
            matchers: vec![LabelMatcher {
                r#type: 9,
                name: "a".into(),
                value: "b".into(),
            }],
            ..Query::default()
        }]);
        assert_eq!(
            decode_read_request(&bad_type).unwrap_err(),
            PromError::MatchType(9)
        );
    }

    #[test]
    fn read_response_round_trips() {
        let body = encode_read_response(&[
            PromSeries {
                labels: vec![
                    ("__name__".into(), "up".into()),
                    ("job".into(), "x".into()),
                    ("e".into(), "".into()),
                ],
                samples: vec![(1_000_000, 1.0), (2_500_000, 0.0)],
            },
            PromSeries {
                labels: vec![("__name__".into(), "empty".into())],
                samples: vec![],
            },
        ]);
        let raw = snappy_decode(&body).unwrap();
        let resp = ReadResponse::decode(raw.as_slice()).unwrap();
        assert_eq!(resp.results.len(), 1);
        let ts = &resp.results[0].timeseries;
        assert_eq!(ts.len(), 1);
        assert_eq!(
            ts[0].labels,
            vec![label("__name__", "up"), label("job", "x")]
        );
        assert_eq!(ts[0].samples, vec![sample(1.0, 1), sample(0.0, 2)]);
    }
}
