//! InfluxDB line protocol: a zero-copy parser and a serializer.
//!
//! ```text
//! measurement[,tag_key=tag_value...] field_key=field_value[,field_key=field_value...] [timestamp]
//! ```
//!
//! [`parse_lines`] walks a request body and yields one [`Line`] (or one
//! [`ParseError`]) per point. Names and values borrow from the input
//! (`Cow::Borrowed`) unless an escape sequence had to be undone. A bad line
//! only fails itself: the iterator goes on with the next one.
//!
//! [`write_line`] (and [`Line::to_line_protocol`]) produce line protocol with
//! every special character escaped, so that parsing gives back the same values.
//!
//! ```
//! use almanac_lineproto::{parse_lines, write_line, FieldValue, Precision};
//!
//! let body = b"cpu,host=a,region=eu usage=0.5,count=3i 1700000000\n# comment\nbad line\n";
//! let mut lines = parse_lines(body);
//!
//! let line = lines.next().unwrap().unwrap();
//! assert_eq!(line.measurement, "cpu");
//! assert_eq!(line.tag("region"), Some("eu"));
//! assert_eq!(line.fields[1].1, FieldValue::Integer(3));
//! assert_eq!(line.timestamp_ns(Precision::Second, 0).unwrap(), 1_700_000_000_000_000_000);
//! assert_eq!(line.series_key(), "cpu,host=a,region=eu");
//!
//! let err = lines.next().unwrap().unwrap_err();
//! assert_eq!(err.line_number, 3);
//! assert_eq!(err.to_string(), "unable to parse 'bad line': invalid field format");
//! assert!(lines.next().is_none());
//!
//! let mut out = String::new();
//! write_line(&mut out, "my cpu", &[("host", "a,b")], &[("msg", FieldValue::String("say \"hi\"".into()))], Some(5));
//! assert_eq!(out, "my\\ cpu,host=a\\,b msg=\"say \\\"hi\\\"\" 5\n");
//! ```
//!
//! # Syntax and behaviour (InfluxDB 1.x / 2.x compatible)
//!
//! * Lines end at `\n` (a `\r` before it is dropped), except inside a
//!   double-quoted string field value, which may span lines. Blank lines and
//!   lines whose first non-whitespace byte is `#` (comments, ending at the
//!   next `\n` whatever they contain) are skipped. Leading spaces, tabs and
//!   NUL bytes of a line are ignored.
//! * Escapes: in a measurement `\,` and `\ `; in tag keys, tag values and
//!   field keys `\,`, `\=` and `\ `; inside a string field value `\"` and
//!   `\\`. A backslash before any other byte is kept literally. A byte is
//!   escaped exactly when a backslash precedes it, so a name or value cannot
//!   end with a backslash that is followed by a delimiter (a known ambiguity of
//!   the format, shared with InfluxDB).
//! * An unescaped `=` is allowed in a measurement. Double quotes are ordinary
//!   bytes everywhere except at the start of a field value.
//! * Field values: floats (`1`, `-1.5`, `.5`, `5.`, `1e10`), integers (`1i`),
//!   unsigned integers (`1u`), strings (`"..."`) and booleans (`t`, `T`,
//!   `true`, `True`, `TRUE`, `f`, `F`, `false`, `False`, `FALSE`). NaN and
//!   infinities, a leading `+`, and numbers that do not fit their type are
//!   rejected, with InfluxDB's messages (`+1` and `inf` are reported as
//!   "invalid boolean", as InfluxDB does).
//! * Tags are sorted by key (byte order of the unescaped key). A repeated tag
//!   key is an error ("duplicate tags"), as in InfluxDB; so are the reserved
//!   tag keys `_measurement`, `_field` and `time` (InfluxDB 2.x). A repeated
//!   field key is allowed: the last value wins, at the position of the first
//!   occurrence.
//! * The timestamp is an optional signed integer in the request's precision,
//!   kept raw in [`Line::timestamp`]; [`Line::timestamp_ns`] scales it and
//!   checks InfluxDB's range `-9223372036854775806 ..= 9223372036854775806` ns.
//!   Only spaces may follow it.
//! * A series key (measurement, tags and one field key) longer than
//!   [`MAX_KEY_LENGTH`] bytes is rejected, as in InfluxDB.
//! * Invalid UTF-8 fails only the line that contains it.

#![warn(missing_docs)]

use std::borrow::Cow;
use std::fmt;

mod error;
pub mod go_json;
mod parse;
mod write;

#[cfg(test)]
mod tests;

pub use error::{ParseError, ParseErrorKind, MAX_ERROR_LINE_TEXT};
pub use parse::{parse_lines, parse_lines_selecting, Lines, SelectingLines};
pub use write::{escape_measurement, escape_string_field, escape_tag, write_line};

/// Smallest timestamp, in nanoseconds, that InfluxDB accepts.
pub const MIN_NANOS: i64 = i64::MIN + 2;
/// Largest timestamp, in nanoseconds, that InfluxDB accepts.
pub const MAX_NANOS: i64 = i64::MAX - 1;
/// Longest series key (measurement + tags, or that plus a field key) in bytes.
pub const MAX_KEY_LENGTH: usize = 65535;

/// Unit of the timestamps in a write request (`precision` query parameter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Precision {
    /// Nanoseconds (`n`, `ns`, or no precision given).
    #[default]
    Nanosecond,
    /// Microseconds (`u`, `us`, `µ`, `µs`).
    Microsecond,
    /// Milliseconds (`ms`).
    Millisecond,
    /// Seconds (`s`).
    Second,
    /// Minutes (`m`).
    Minute,
    /// Hours (`h`).
    Hour,
}

impl Precision {
    /// Parses the `precision` query parameter: "n"/"ns", "u"/"us"/"µ"/"µs", "ms", "s", "m", "h"; empty string → Nanosecond.
    pub fn parse(s: &str) -> Option<Precision> {
        Some(match s {
            "" | "n" | "ns" => Precision::Nanosecond,
            // U+00B5 MICRO SIGN and U+03BC GREEK SMALL LETTER MU.
            "u" | "us" | "µ" | "µs" | "μ" | "μs" => Precision::Microsecond,
            "ms" => Precision::Millisecond,
            "s" => Precision::Second,
            "m" => Precision::Minute,
            "h" => Precision::Hour,
            _ => return None,
        })
    }

    /// Nanoseconds per unit.
    pub fn nanos(self) -> i64 {
        match self {
            Precision::Nanosecond => 1,
            Precision::Microsecond => 1_000,
            Precision::Millisecond => 1_000_000,
            Precision::Second => 1_000_000_000,
            Precision::Minute => 60_000_000_000,
            Precision::Hour => 3_600_000_000_000,
        }
    }

    /// Canonical short name ("ns", "us", "ms", "s", "m", "h").
    pub fn as_str(self) -> &'static str {
        match self {
            Precision::Nanosecond => "ns",
            Precision::Microsecond => "us",
            Precision::Millisecond => "ms",
            Precision::Second => "s",
            Precision::Minute => "m",
            Precision::Hour => "h",
        }
    }
}

/// A field value as written in line protocol.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue<'a> {
    /// 64-bit float (no suffix).
    Float(f64),
    /// Signed 64-bit integer (`i` suffix).
    Integer(i64),
    /// Unsigned 64-bit integer (`u` suffix).
    UInteger(u64),
    /// String (double-quoted), unescaped.
    String(Cow<'a, str>),
    /// Boolean.
    Boolean(bool),
}

impl FieldValue<'_> {
    /// The type of this value.
    pub fn field_type(&self) -> FieldType {
        match self {
            FieldValue::Float(_) => FieldType::Float,
            FieldValue::Integer(_) => FieldType::Integer,
            FieldValue::UInteger(_) => FieldType::UInteger,
            FieldValue::String(_) => FieldType::String,
            FieldValue::Boolean(_) => FieldType::Boolean,
        }
    }

    /// Copies any borrowed string so the value no longer borrows the input.
    pub fn into_owned(self) -> FieldValue<'static> {
        match self {
            FieldValue::Float(v) => FieldValue::Float(v),
            FieldValue::Integer(v) => FieldValue::Integer(v),
            FieldValue::UInteger(v) => FieldValue::UInteger(v),
            FieldValue::String(s) => FieldValue::String(Cow::Owned(s.into_owned())),
            FieldValue::Boolean(v) => FieldValue::Boolean(v),
        }
    }
}

/// Formats the value as line protocol (`1.5`, `3i`, `4u`, `"a\"b"`, `true`).
impl fmt::Display for FieldValue<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::new();
        write::push_field_value(&mut s, self);
        f.write_str(&s)
    }
}

/// The type of a field value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldType {
    /// 64-bit float.
    Float,
    /// Signed 64-bit integer.
    Integer,
    /// Unsigned 64-bit integer.
    UInteger,
    /// String.
    String,
    /// Boolean.
    Boolean,
}

impl FieldType {
    /// InfluxDB's name for the type: "float", "integer", "unsigned", "string" or "boolean".
    pub fn name(&self) -> &'static str {
        match self {
            FieldType::Float => "float",
            FieldType::Integer => "integer",
            FieldType::UInteger => "unsigned",
            FieldType::String => "string",
            FieldType::Boolean => "boolean",
        }
    }
}

impl fmt::Display for FieldType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One parsed point.
#[derive(Debug, Clone, PartialEq)]
pub struct Line<'a> {
    /// Measurement name, unescaped.
    pub measurement: Cow<'a, str>,
    /// Tags, unescaped, sorted by key in byte order; keys are unique
    /// (a repeated tag key makes the line fail with "duplicate tags").
    pub tags: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    /// Fields, unescaped, at least one; for a repeated key the last value wins,
    /// kept at the position of the key's first occurrence.
    pub fields: Vec<(Cow<'a, str>, FieldValue<'a>)>,
    /// Raw timestamp as written, in the request's precision.
    pub timestamp: Option<i64>,
    /// The exact bytes of this line (without the trailing `\n` / `\r\n`).
    pub raw: &'a [u8],
    /// The series key as written: the measurement and tags at the start of
    /// the line, escaped and in the order written (a cache key for the
    /// series; equal series may be written in different orders).
    pub series_key_raw: &'a [u8],
    /// 1-based line number in the input.
    pub line_number: usize,
}

impl Line<'_> {
    /// Timestamp in ns: raw × precision (checked; overflow/out-of-range → error), or `default_ns` when absent.
    pub fn timestamp_ns(&self, precision: Precision, default_ns: i64) -> Result<i64, ParseError> {
        let Some(ts) = self.timestamp else {
            return Ok(default_ns);
        };
        match ts.checked_mul(precision.nanos()) {
            Some(ns) if (MIN_NANOS..=MAX_NANOS).contains(&ns) => Ok(ns),
            _ => Err(ParseError::new(
                self.line_number,
                self.raw,
                ParseErrorKind::TimeOutOfRange,
            )),
        }
    }

    /// Series key "measurement,tagk=tagv,..." in escaped canonical form (tags sorted).
    pub fn series_key(&self) -> String {
        let mut out = String::with_capacity(self.raw.len());
        write::push_series_key(
            &mut out,
            &self.measurement,
            self.tags.iter().map(|(k, v)| (k.as_ref(), v.as_ref())),
        );
        out
    }

    /// [`Line::series_key`], borrowed from the line when the line wrote its
    /// series in canonical form already (tags sorted, nothing escaped), as
    /// Telegraf and most clients do: no string is built then.
    pub fn series_key_cow(&self) -> Cow<'_, str> {
        match self.canonical_raw_key() {
            Some(key) => Cow::Borrowed(key),
            None => Cow::Owned(self.series_key()),
        }
    }

    /// The series as written, when it is the canonical series key.
    fn canonical_raw_key(&self) -> Option<&str> {
        let raw = self.series_key_raw;
        // Without escapes, every `,` and `=` is a separator: one of each per
        // tag, so no name or value holds one (which the key would escape).
        let (mut commas, mut equals) = (0usize, 0usize);
        for b in raw {
            match b {
                b'\\' | b' ' => return None,
                b',' => commas += 1,
                b'=' => equals += 1,
                _ => {}
            }
        }
        if commas != self.tags.len() || equals != self.tags.len() {
            return None;
        }
        // The written order must be the sorted one.
        let mut rest = raw.strip_prefix(self.measurement.as_bytes())?;
        for (k, v) in &self.tags {
            rest = rest.strip_prefix(b",")?;
            rest = rest.strip_prefix(k.as_bytes())?;
            rest = rest.strip_prefix(b"=")?;
            rest = rest.strip_prefix(v.as_bytes())?;
        }
        if !rest.is_empty() {
            return None;
        }
        std::str::from_utf8(raw).ok()
    }

    /// Serializes the line back to line protocol (no trailing newline).
    pub fn to_line_protocol(&self) -> String {
        let mut out = String::with_capacity(self.raw.len() + 1);
        write::write_line_iter(
            &mut out,
            &self.measurement,
            self.tags.iter().map(|(k, v)| (k.as_ref(), v.as_ref())),
            self.fields.iter().map(|(k, v)| (k.as_ref(), v)),
            self.timestamp,
        );
        out.pop(); // the '\n' write_line_iter appends
        out
    }

    /// The value of tag `key`, if present (binary search over the sorted tags).
    pub fn tag(&self, key: &str) -> Option<&str> {
        self.tags
            .binary_search_by(|(k, _)| k.as_ref().cmp(key))
            .ok()
            .map(|i| self.tags[i].1.as_ref())
    }

    /// The value of field `key`, if present.
    pub fn field(&self, key: &str) -> Option<&FieldValue<'_>> {
        self.fields
            .iter()
            .find(|(k, _)| k.as_ref() == key)
            .map(|(_, v)| v)
    }
}
