//! The metric model shared by every plugin: a name, sorted tags, typed fields and a time.

use std::collections::BTreeMap;
use std::fmt;

use almanac_lineproto::FieldValue;

/// A field value, owned.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// 64-bit float.
    Float(f64),
    /// Signed 64-bit integer.
    Int(i64),
    /// Unsigned 64-bit integer.
    UInt(u64),
    /// UTF-8 string.
    Str(String),
    /// Boolean.
    Bool(bool),
}

impl Value {
    /// The value as a float when it is numeric (booleans count as 0/1).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Float(v) => Some(*v),
            Value::Int(v) => Some(*v as f64),
            Value::UInt(v) => Some(*v as f64),
            Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
            Value::Str(_) => None,
        }
    }

    /// Borrowed line-protocol view of the value.
    pub fn to_lp(&self) -> FieldValue<'_> {
        match self {
            Value::Float(v) => FieldValue::Float(*v),
            Value::Int(v) => FieldValue::Integer(*v),
            Value::UInt(v) => FieldValue::UInteger(*v),
            Value::Str(s) => FieldValue::String(s.as_str().into()),
            Value::Bool(b) => FieldValue::Boolean(*b),
        }
    }

    /// Converts a parsed line-protocol value.
    pub fn from_lp(v: &FieldValue<'_>) -> Value {
        match v {
            FieldValue::Float(v) => Value::Float(*v),
            FieldValue::Integer(v) => Value::Int(*v),
            FieldValue::UInteger(v) => Value::UInt(*v),
            FieldValue::String(s) => Value::Str(s.to_string()),
            FieldValue::Boolean(b) => Value::Bool(*b),
        }
    }

    /// Plain text of the value (strings unquoted, numbers as written by Rust).
    pub fn to_plain_string(&self) -> String {
        match self {
            Value::Float(v) => v.to_string(),
            Value::Int(v) => v.to_string(),
            Value::UInt(v) => v.to_string(),
            Value::Str(s) => s.clone(),
            Value::Bool(b) => b.to_string(),
        }
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Float(v)
    }
}
impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}
impl From<u64> for Value {
    fn from(v: u64) -> Self {
        Value::UInt(v)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Str(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Str(v.to_string())
    }
}

/// Kind of metric, as Telegraf tracks it (used by the prometheus serializers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MetricKind {
    /// Unknown / untyped.
    #[default]
    Untyped,
    /// Monotonic counter.
    Counter,
    /// Gauge.
    Gauge,
    /// Summary (quantiles).
    Summary,
    /// Histogram (buckets).
    Histogram,
}

/// One metric: measurement name, tags (sorted by key), fields (sorted by key) and time in ns.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    /// Measurement name.
    pub name: String,
    /// Tags, sorted by key.
    pub tags: BTreeMap<String, String>,
    /// Fields, sorted by key.
    pub fields: BTreeMap<String, Value>,
    /// Timestamp, nanoseconds since the Unix epoch.
    pub time: i64,
    /// Value type hint.
    pub kind: MetricKind,
}

impl Metric {
    /// A metric without tags or fields.
    pub fn new(name: impl Into<String>, time: i64) -> Metric {
        Metric {
            name: name.into(),
            tags: BTreeMap::new(),
            fields: BTreeMap::new(),
            time,
            kind: MetricKind::Untyped,
        }
    }

    /// Builder: adds a tag.
    pub fn with_tag(mut self, k: impl Into<String>, v: impl Into<String>) -> Metric {
        self.tags.insert(k.into(), v.into());
        self
    }

    /// Builder: adds a field.
    pub fn with_field(mut self, k: impl Into<String>, v: impl Into<Value>) -> Metric {
        self.fields.insert(k.into(), v.into());
        self
    }

    /// Sets a tag.
    pub fn add_tag(&mut self, k: impl Into<String>, v: impl Into<String>) {
        self.tags.insert(k.into(), v.into());
    }

    /// Sets a field.
    pub fn add_field(&mut self, k: impl Into<String>, v: impl Into<Value>) {
        self.fields.insert(k.into(), v.into());
    }

    /// Value of a tag.
    pub fn tag(&self, k: &str) -> Option<&str> {
        self.tags.get(k).map(String::as_str)
    }

    /// Value of a field.
    pub fn field(&self, k: &str) -> Option<&Value> {
        self.fields.get(k)
    }

    /// Series identity: name and tags (used by aggregators and dedup).
    pub fn series_key(&self) -> String {
        let mut s = self.name.clone();
        for (k, v) in &self.tags {
            s.push('\u{0}');
            s.push_str(k);
            s.push('=');
            s.push_str(v);
        }
        s
    }

    /// Serializes as one line of line protocol, with the trailing newline, time in ns.
    pub fn to_line_protocol(&self) -> String {
        let mut out = String::new();
        self.write_line_protocol(&mut out, 1);
        out
    }

    /// Appends the line protocol form (with `\n`) to `out`, time divided by `precision_ns`.
    pub fn write_line_protocol(&self, out: &mut String, precision_ns: i64) {
        if self.fields.is_empty() {
            return;
        }
        let tags: Vec<(&str, &str)> = self
            .tags
            .iter()
            .filter(|(k, v)| !k.is_empty() && !v.is_empty())
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let fields: Vec<(&str, FieldValue<'_>)> = self
            .fields
            .iter()
            .filter(|(_, v)| !matches!(v, Value::Float(f) if !f.is_finite()))
            .map(|(k, v)| (k.as_str(), v.to_lp()))
            .collect();
        if fields.is_empty() {
            return;
        }
        almanac_lineproto::write_line(
            out,
            &self.name,
            &tags,
            &fields,
            Some(self.time / precision_ns.max(1)),
        );
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.to_line_protocol();
        f.write_str(s.trim_end_matches('\n'))
    }
}

/// Current time in nanoseconds since the epoch.
pub fn now_ns() -> i64 {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(d.as_nanos()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_protocol_sorted_and_escaped() {
        let m = Metric::new("cpu load", 5)
            .with_tag("z", "1")
            .with_tag("a", "x y")
            .with_field("v", 1.5)
            .with_field("n", 3i64)
            .with_field("s", "hi \"there\"");
        assert_eq!(
            m.to_line_protocol(),
            "cpu\\ load,a=x\\ y,z=1 n=3i,s=\"hi \\\"there\\\"\",v=1.5 5\n"
        );
    }

    #[test]
    fn no_fields_no_line_and_nan_dropped() {
        let m = Metric::new("m", 1);
        assert_eq!(m.to_line_protocol(), "");
        let m = Metric::new("m", 1).with_field("x", f64::NAN);
        assert_eq!(m.to_line_protocol(), "");
        let m = Metric::new("m", 2_000_000_000).with_field("x", true);
        let mut s = String::new();
        m.write_line_protocol(&mut s, 1_000_000_000);
        assert_eq!(s, "m x=true 2\n");
    }
}
