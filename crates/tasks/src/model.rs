//! The in-memory data model of tasks: points, batches and groups.

use std::collections::BTreeMap;
use std::sync::Arc;

/// A field value.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue {
    /// 64-bit float.
    Float(f64),
    /// Signed integer.
    Int(i64),
    /// Unsigned integer.
    UInt(u64),
    /// String.
    Str(String),
    /// Boolean.
    Bool(bool),
}

impl FieldValue {
    /// The value as a float when numeric.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            FieldValue::Float(f) => Some(*f),
            FieldValue::Int(i) => Some(*i as f64),
            FieldValue::UInt(u) => Some(*u as f64),
            _ => None,
        }
    }

    /// JSON form (as Kapacitor's API writes values).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            FieldValue::Float(f) => serde_json::Number::from_f64(*f)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
            FieldValue::Int(i) => (*i).into(),
            FieldValue::UInt(u) => (*u).into(),
            FieldValue::Str(s) => s.clone().into(),
            FieldValue::Bool(b) => (*b).into(),
        }
    }

    /// Converts a line-protocol value.
    pub fn from_line(v: &almanac_lineproto::FieldValue<'_>) -> FieldValue {
        use almanac_lineproto::FieldValue as L;
        match v {
            L::Float(f) => FieldValue::Float(*f),
            L::Integer(i) => FieldValue::Int(*i),
            L::UInteger(u) => FieldValue::UInt(*u),
            L::String(s) => FieldValue::Str(s.to_string()),
            L::Boolean(b) => FieldValue::Bool(*b),
        }
    }

    /// Converts to a line-protocol value.
    pub fn to_line(&self) -> almanac_lineproto::FieldValue<'_> {
        use almanac_lineproto::FieldValue as L;
        match self {
            FieldValue::Float(f) => L::Float(*f),
            FieldValue::Int(i) => L::Integer(*i),
            FieldValue::UInt(u) => L::UInteger(*u),
            FieldValue::Str(s) => L::String(s.as_str().into()),
            FieldValue::Bool(b) => L::Boolean(*b),
        }
    }
}

/// Tags of a point, sorted by key.
pub type Tags = BTreeMap<String, String>;
pub use crate::fields::{FieldKey, Fields};

/// How points are grouped: by these tag keys (and optionally by measurement).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Dimensions {
    /// Also group by measurement name.
    pub by_name: bool,
    /// Tag keys, sorted; `*` is resolved per point.
    pub tag_names: Vec<String>,
    /// Group by every tag.
    pub star: bool,
}

/// One point. Its name, tags and fields are shared (`Arc`): cloning a point
/// is cheap, so one parsed write reaches every task and every node without
/// copies; nodes that change tags or fields copy them on write
/// (`Arc::make_mut`).
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// Database it was written to.
    pub database: Arc<str>,
    /// Retention policy it was written to.
    pub retention_policy: Arc<str>,
    /// Measurement.
    pub name: Arc<str>,
    /// Tags.
    pub tags: Arc<Tags>,
    /// Fields.
    pub fields: Arc<Fields>,
    /// Time in ns since the epoch.
    pub time: i64,
    /// Grouping in effect.
    pub dims: Arc<Dimensions>,
}

impl Point {
    /// A point with no grouping.
    pub fn new(db: &str, rp: &str, name: &str, tags: Tags, fields: Fields, time: i64) -> Point {
        Point {
            database: db.into(),
            retention_policy: rp.into(),
            name: name.into(),
            tags: Arc::new(tags),
            fields: Arc::new(fields),
            time,
            dims: Arc::new(Dimensions::default()),
        }
    }

    /// Tag keys the point is grouped by.
    pub fn group_tag_names(&self) -> Vec<String> {
        if self.dims.star {
            self.tags.keys().cloned().collect()
        } else {
            self.dims.tag_names.clone()
        }
    }

    /// The group's tags (only the grouped keys).
    pub fn group_tags(&self) -> Tags {
        if self.dims.star {
            return (*self.tags).clone();
        }
        self.dims
            .tag_names
            .iter()
            .map(|k| (k.clone(), self.tags.get(k).cloned().unwrap_or_default()))
            .collect()
    }

    /// The group's tags, shared with the point when it is grouped by all of them.
    pub fn group_tags_shared(&self) -> Arc<Tags> {
        if self.dims.star {
            self.tags.clone()
        } else {
            Arc::new(self.group_tags())
        }
    }

    /// Kapacitor's group id: `name\n` when grouped by measurement, then `k=v` pairs joined by `,`; `nil` when ungrouped.
    pub fn group_id(&self) -> String {
        let mut s = String::new();
        self.write_group_id(&mut s);
        s
    }

    /// Appends the group id to `out` (nodes keep a buffer: no allocation per point).
    pub fn write_group_id(&self, out: &mut String) {
        let by_name = self.dims.by_name;
        if self.dims.star {
            write_group_id(out, &self.name, self.tags.iter(), by_name);
        } else {
            let empty = String::new();
            let pairs = self
                .dims
                .tag_names
                .iter()
                .map(|k| (k, self.tags.get(k).unwrap_or(&empty)));
            write_group_id(out, &self.name, pairs, by_name);
        }
    }
}

/// Kapacitor's group id of a name and group tags.
pub fn group_id(name: &str, group_tags: &Tags, by_name: bool) -> String {
    let mut s = String::new();
    write_group_id(&mut s, name, group_tags.iter(), by_name);
    s
}

fn write_group_id<'a>(
    out: &mut String,
    name: &str,
    mut pairs: impl ExactSizeIterator<Item = (&'a String, &'a String)>,
    by_name: bool,
) {
    if pairs.len() == 0 && !by_name {
        out.push_str("nil");
        return;
    }
    if by_name {
        out.push_str(name);
        out.push('\n');
    }
    if let Some((k, v)) = pairs.next() {
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    for (k, v) in pairs {
        out.push(',');
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
}

/// Points of one group over a window, emitted at once.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    /// Measurement.
    pub name: Arc<str>,
    /// The group's tags.
    pub tags: Arc<Tags>,
    /// The batch's time (end of its window).
    pub tmax: i64,
    /// Grouping.
    pub dims: Arc<Dimensions>,
    /// Points in time order.
    pub points: Vec<Point>,
}

impl Batch {
    /// The group id.
    pub fn group_id(&self) -> String {
        group_id(&self.name, &self.tags, self.dims.by_name)
    }
}

/// What flows along an edge.
#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    /// A single point.
    Point(Point),
    /// A batch of points of one group.
    Batch(Batch),
}

impl Msg {
    /// Time of the message.
    pub fn time(&self) -> i64 {
        match self {
            Msg::Point(p) => p.time,
            Msg::Batch(b) => b.tmax,
        }
    }

    /// Number of points (1 for a point).
    pub fn len(&self) -> usize {
        match self {
            Msg::Point(_) => 1,
            Msg::Batch(b) => b.points.len(),
        }
    }

    /// Whether the message holds no point.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The group id.
    pub fn group_id(&self) -> String {
        match self {
            Msg::Point(p) => p.group_id(),
            Msg::Batch(b) => b.group_id(),
        }
    }
}

/// Formats a duration as Go's `time.Duration.String` does (`1m0s`, `1.5s`, `100ms`).
pub fn format_duration(ns: i64) -> String {
    if ns == 0 {
        return "0s".into();
    }
    let neg = ns < 0;
    let u = ns.unsigned_abs();
    let mut out = String::new();
    if u < 1_000_000_000 {
        let (unit, div) = if u < 1_000 {
            ("ns", 1u64)
        } else if u < 1_000_000 {
            ("µs", 1_000)
        } else {
            ("ms", 1_000_000)
        };
        out.push_str(&frac(u, div));
        out.push_str(unit);
    } else {
        let h = u / 3_600_000_000_000;
        let m = (u / 60_000_000_000) % 60;
        let s_ns = u % 60_000_000_000;
        if h > 0 {
            out.push_str(&format!("{h}h"));
        }
        if h > 0 || m > 0 {
            out.push_str(&format!("{m}m"));
        }
        out.push_str(&frac(s_ns, 1_000_000_000));
        out.push('s');
    }
    if neg {
        format!("-{out}")
    } else {
        out
    }
}

fn frac(v: u64, div: u64) -> String {
    let whole = v / div;
    let rest = v % div;
    if rest == 0 {
        return whole.to_string();
    }
    let width = (div as f64).log10().round() as usize;
    let digits = format!("{rest:0width$}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

/// Formats ns since the epoch as RFC 3339 with nanoseconds trimmed (Kapacitor's JSON times).
pub fn format_time(ns: i64) -> String {
    let dt = chrono::DateTime::from_timestamp(
        ns.div_euclid(1_000_000_000),
        ns.rem_euclid(1_000_000_000) as u32,
    )
    .unwrap_or_default();
    let nanos = dt.timestamp_subsec_nanos();
    let base = dt.format("%Y-%m-%dT%H:%M:%S").to_string();
    if nanos == 0 {
        format!("{base}Z")
    } else {
        let f = format!("{nanos:09}");
        format!("{base}.{}Z", f.trim_end_matches('0'))
    }
}

/// Parses RFC 3339 into ns since the epoch.
pub fn parse_time(s: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .and_then(|d| d.timestamp_nanos_opt())
}

/// Formats ns since the epoch as Go's `time.Time.String` does in UTC.
pub fn format_go_time(ns: i64) -> String {
    let dt = chrono::DateTime::from_timestamp(
        ns.div_euclid(1_000_000_000),
        ns.rem_euclid(1_000_000_000) as u32,
    )
    .unwrap_or_default();
    let nanos = dt.timestamp_subsec_nanos();
    let base = dt.format("%Y-%m-%d %H:%M:%S").to_string();
    if nanos == 0 {
        format!("{base} +0000 UTC")
    } else {
        let f = format!("{nanos:09}");
        format!("{base}.{} +0000 UTC", f.trim_end_matches('0'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        assert_eq!(format_duration(10_000_000_000), "10s");
        assert_eq!(format_duration(60_000_000_000), "1m0s");
        assert_eq!(format_duration(3_600_000_000_000), "1h0m0s");
        assert_eq!(format_duration(1_500_000_000), "1.5s");
        assert_eq!(format_duration(100_000_000), "100ms");
        assert_eq!(format_duration(-2_000), "-2µs");
    }

    #[test]
    fn times() {
        assert_eq!(format_time(1_500_000_000), "1970-01-01T00:00:01.5Z");
        assert_eq!(format_go_time(0), "1970-01-01 00:00:00 +0000 UTC");
        assert_eq!(parse_time("1970-01-01T00:00:01.5Z"), Some(1_500_000_000));
    }

    #[test]
    fn group_ids() {
        let mut tags = Tags::new();
        assert_eq!(group_id("cpu", &tags, false), "nil");
        tags.insert("host".into(), "a".into());
        tags.insert("dc".into(), "x".into());
        assert_eq!(group_id("cpu", &tags, false), "dc=x,host=a");
        assert_eq!(group_id("cpu", &tags, true), "cpu\ndc=x,host=a");
    }

    #[test]
    fn point_group_ids_and_tags() {
        let mut tags = Tags::new();
        tags.insert("host".into(), "a".into());
        tags.insert("dc".into(), "x".into());
        let mut p = Point::new("db", "rp", "cpu", tags, Fields::new(), 0);
        assert_eq!(p.group_id(), "nil");
        p.dims = Arc::new(Dimensions {
            tag_names: vec!["host".into(), "rack".into()],
            ..Default::default()
        });
        assert_eq!(p.group_id(), "host=a,rack=");
        assert_eq!(p.group_tags().len(), 2);
        p.dims = Arc::new(Dimensions {
            by_name: true,
            star: true,
            ..Default::default()
        });
        assert_eq!(p.group_id(), "cpu\ndc=x,host=a");
        assert!(Arc::ptr_eq(&p.group_tags_shared(), &p.tags));
        let mut buf = "stale".to_string();
        buf.clear();
        p.write_group_id(&mut buf);
        assert_eq!(buf, p.group_id());
    }
}
