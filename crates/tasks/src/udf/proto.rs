//! The messages of Kapacitor's UDF protocol (`udf.proto`, package `agent`),
//! as `prost` types. Kapacitor sends [`Request`]s; the UDF answers with
//! [`Response`]s; data messages (begin/point/end) flow both ways.

#![allow(missing_docs)]
// Messages are moved once from the wire into the node; boxing would not pay.
#![allow(clippy::large_enum_variant)]

use std::collections::HashMap;

/// Edge type a UDF wants or provides.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum EdgeType {
    Stream = 0,
    Batch = 1,
}

impl EdgeType {
    /// Lower-case name, as TICKscript errors write it.
    pub fn name(self) -> &'static str {
        match self {
            EdgeType::Stream => "stream",
            EdgeType::Batch => "batch",
        }
    }
}

/// Type of one option argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum ValueType {
    Bool = 0,
    Int = 1,
    Double = 2,
    String = 3,
    Duration = 4,
}

impl ValueType {
    /// Kapacitor's spelling (`DOUBLE`), as its type errors print it.
    pub fn name(self) -> &'static str {
        match self {
            ValueType::Bool => "BOOL",
            ValueType::Int => "INT",
            ValueType::Double => "DOUBLE",
            ValueType::String => "STRING",
            ValueType::Duration => "DURATION",
        }
    }
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct InfoRequest {}

#[derive(Clone, PartialEq, prost::Message)]
pub struct InfoResponse {
    #[prost(enumeration = "EdgeType", tag = "1")]
    pub wants: i32,
    #[prost(enumeration = "EdgeType", tag = "2")]
    pub provides: i32,
    #[prost(map = "string, message", tag = "3")]
    pub options: HashMap<String, OptionInfo>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct OptionInfo {
    #[prost(enumeration = "ValueType", repeated, tag = "1")]
    pub value_types: Vec<i32>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct InitRequest {
    #[prost(message, repeated, tag = "1")]
    pub options: Vec<Option>,
}

/// One option set on a UDF node (`.name(values…)`).
#[derive(Clone, PartialEq, prost::Message)]
pub struct Option {
    #[prost(string, tag = "1")]
    pub name: String,
    #[prost(message, repeated, tag = "2")]
    pub values: Vec<OptionValue>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct OptionValue {
    #[prost(enumeration = "ValueType", tag = "1")]
    pub r#type: i32,
    #[prost(oneof = "option_value::Value", tags = "2, 3, 4, 5, 6")]
    pub value: std::option::Option<option_value::Value>,
}

pub mod option_value {
    /// The value of an option argument.
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum Value {
        #[prost(bool, tag = "2")]
        BoolValue(bool),
        #[prost(int64, tag = "3")]
        IntValue(i64),
        #[prost(double, tag = "4")]
        DoubleValue(f64),
        #[prost(string, tag = "5")]
        StringValue(String),
        #[prost(int64, tag = "6")]
        DurationValue(i64),
    }
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct InitResponse {
    #[prost(bool, tag = "1")]
    pub success: bool,
    #[prost(string, tag = "2")]
    pub error: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct SnapshotRequest {}

#[derive(Clone, PartialEq, prost::Message)]
pub struct SnapshotResponse {
    #[prost(bytes = "vec", tag = "1")]
    pub snapshot: Vec<u8>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct RestoreRequest {
    #[prost(bytes = "vec", tag = "1")]
    pub snapshot: Vec<u8>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct RestoreResponse {
    #[prost(bool, tag = "1")]
    pub success: bool,
    #[prost(string, tag = "2")]
    pub error: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct KeepaliveRequest {
    #[prost(int64, tag = "1")]
    pub time: i64,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct KeepaliveResponse {
    #[prost(int64, tag = "1")]
    pub time: i64,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ErrorResponse {
    #[prost(string, tag = "1")]
    pub error: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct BeginBatch {
    #[prost(string, tag = "1")]
    pub name: String,
    #[prost(string, tag = "2")]
    pub group: String,
    #[prost(map = "string, string", tag = "3")]
    pub tags: HashMap<String, String>,
    #[prost(int64, tag = "4")]
    pub size: i64,
    #[prost(bool, tag = "5")]
    pub by_name: bool,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Point {
    #[prost(int64, tag = "1")]
    pub time: i64,
    #[prost(string, tag = "2")]
    pub name: String,
    #[prost(string, tag = "3")]
    pub database: String,
    #[prost(string, tag = "4")]
    pub retention_policy: String,
    #[prost(string, tag = "5")]
    pub group: String,
    #[prost(string, repeated, tag = "6")]
    pub dimensions: Vec<String>,
    #[prost(map = "string, string", tag = "7")]
    pub tags: HashMap<String, String>,
    #[prost(map = "string, double", tag = "8")]
    pub fields_double: HashMap<String, f64>,
    #[prost(map = "string, int64", tag = "9")]
    pub fields_int: HashMap<String, i64>,
    #[prost(map = "string, string", tag = "10")]
    pub fields_string: HashMap<String, String>,
    #[prost(map = "string, bool", tag = "12")]
    pub fields_bool: HashMap<String, bool>,
    #[prost(bool, tag = "11")]
    pub by_name: bool,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct EndBatch {
    #[prost(string, tag = "1")]
    pub name: String,
    #[prost(string, tag = "2")]
    pub group: String,
    #[prost(int64, tag = "3")]
    pub tmax: i64,
    #[prost(map = "string, string", tag = "4")]
    pub tags: HashMap<String, String>,
    #[prost(bool, tag = "5")]
    pub by_name: bool,
}

/// Sent from Kapacitor (here: Almanac) to the UDF.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Request {
    #[prost(oneof = "request::Message", tags = "1, 2, 3, 4, 5, 16, 17, 18")]
    pub message: std::option::Option<request::Message>,
}

pub mod request {
    /// The request kinds.
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum Message {
        #[prost(message, tag = "1")]
        Info(super::InfoRequest),
        #[prost(message, tag = "2")]
        Init(super::InitRequest),
        #[prost(message, tag = "3")]
        Keepalive(super::KeepaliveRequest),
        #[prost(message, tag = "4")]
        Snapshot(super::SnapshotRequest),
        #[prost(message, tag = "5")]
        Restore(super::RestoreRequest),
        #[prost(message, tag = "16")]
        Begin(super::BeginBatch),
        #[prost(message, tag = "17")]
        Point(super::Point),
        #[prost(message, tag = "18")]
        End(super::EndBatch),
    }
}

/// Sent from the UDF to Kapacitor.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Response {
    #[prost(oneof = "response::Message", tags = "1, 2, 3, 4, 5, 6, 16, 17, 18")]
    pub message: std::option::Option<response::Message>,
}

pub mod response {
    /// The response kinds.
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum Message {
        #[prost(message, tag = "1")]
        Info(super::InfoResponse),
        #[prost(message, tag = "2")]
        Init(super::InitResponse),
        #[prost(message, tag = "3")]
        Keepalive(super::KeepaliveResponse),
        #[prost(message, tag = "4")]
        Snapshot(super::SnapshotResponse),
        #[prost(message, tag = "5")]
        Restore(super::RestoreResponse),
        #[prost(message, tag = "6")]
        Error(super::ErrorResponse),
        #[prost(message, tag = "16")]
        Begin(super::BeginBatch),
        #[prost(message, tag = "17")]
        Point(super::Point),
        #[prost(message, tag = "18")]
        End(super::EndBatch),
    }
}

/// Wraps a request message.
pub fn request(m: request::Message) -> Request {
    Request { message: Some(m) }
}

/// Wraps a response message.
pub fn response(m: response::Message) -> Response {
    Response { message: Some(m) }
}
