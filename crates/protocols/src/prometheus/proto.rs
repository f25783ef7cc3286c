//! Prometheus remote read/write protobuf messages (`prompb`), written by hand
//! for `prost` (field numbers as in Prometheus' `remote.proto`/`types.proto`).

/// One sample.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Sample {
    /// Value.
    #[prost(double, tag = "1")]
    pub value: f64,
    /// Milliseconds since the epoch.
    #[prost(int64, tag = "2")]
    pub timestamp: i64,
}

/// One label.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Label {
    /// Name (`__name__` holds the metric name).
    #[prost(string, tag = "1")]
    pub name: String,
    /// Value.
    #[prost(string, tag = "2")]
    pub value: String,
}

/// Labels and samples of one series.
#[derive(Clone, PartialEq, prost::Message)]
pub struct TimeSeries {
    /// Labels.
    #[prost(message, repeated, tag = "1")]
    pub labels: Vec<Label>,
    /// Samples, oldest first.
    #[prost(message, repeated, tag = "2")]
    pub samples: Vec<Sample>,
}

/// Body of a remote write (metadata, field 3, is ignored as 1.8 does).
#[derive(Clone, PartialEq, prost::Message)]
pub struct WriteRequest {
    /// Series.
    #[prost(message, repeated, tag = "1")]
    pub timeseries: Vec<TimeSeries>,
}

/// Label matcher kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum MatchType {
    /// `=`.
    Equal = 0,
    /// `!=`.
    NotEqual = 1,
    /// `=~`.
    RegexMatch = 2,
    /// `!~`.
    RegexNoMatch = 3,
}

/// One label matcher.
#[derive(Clone, PartialEq, prost::Message)]
pub struct LabelMatcher {
    /// [`MatchType`].
    #[prost(enumeration = "MatchType", tag = "1")]
    pub r#type: i32,
    /// Label name.
    #[prost(string, tag = "2")]
    pub name: String,
    /// Value or regular expression.
    #[prost(string, tag = "3")]
    pub value: String,
}

/// Query hints (ignored).
#[derive(Clone, PartialEq, prost::Message)]
pub struct ReadHints {
    /// Step in ms.
    #[prost(int64, tag = "1")]
    pub step_ms: i64,
    /// Function name.
    #[prost(string, tag = "2")]
    pub func: String,
    /// Start in ms.
    #[prost(int64, tag = "3")]
    pub start_ms: i64,
    /// End in ms.
    #[prost(int64, tag = "4")]
    pub end_ms: i64,
}

/// One query of a remote read.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Query {
    /// Start, ms.
    #[prost(int64, tag = "1")]
    pub start_timestamp_ms: i64,
    /// End, ms.
    #[prost(int64, tag = "2")]
    pub end_timestamp_ms: i64,
    /// Matchers (ANDed).
    #[prost(message, repeated, tag = "3")]
    pub matchers: Vec<LabelMatcher>,
    /// Hints.
    #[prost(message, optional, tag = "4")]
    pub hints: Option<ReadHints>,
}

/// Body of a remote read.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ReadRequest {
    /// Queries.
    #[prost(message, repeated, tag = "1")]
    pub queries: Vec<Query>,
    /// Accepted response types (0 = SAMPLES, 1 = STREAMED_XOR_CHUNKS); only samples are sent.
    #[prost(int32, repeated, tag = "2")]
    pub accepted_response_types: Vec<i32>,
}

/// Result of one query.
#[derive(Clone, PartialEq, prost::Message)]
pub struct QueryResult {
    /// Series.
    #[prost(message, repeated, tag = "1")]
    pub timeseries: Vec<TimeSeries>,
}

/// Answer of a remote read.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ReadResponse {
    /// One result per query.
    #[prost(message, repeated, tag = "1")]
    pub results: Vec<QueryResult>,
}
