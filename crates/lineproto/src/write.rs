//! Line protocol serialization and escaping.

use std::borrow::Cow;
use std::fmt::Write as _;

use crate::FieldValue;

/// Bytes escaped in a measurement.
const MEASUREMENT_SPECIAL: &[u8] = b", ";
/// Bytes escaped in tag keys, tag values and field keys.
const TAG_SPECIAL: &[u8] = b",= ";
/// Bytes escaped inside a double-quoted string field value.
const STRING_SPECIAL: &[u8] = b"\"\\";

#[inline]
fn needs_escape(s: &str, special: &[u8]) -> bool {
    s.bytes().any(|c| special.contains(&c))
}

/// Appends `s` to `out` with a backslash before each byte of `special`.
#[inline]
fn push_escaped(out: &mut String, s: &str, special: &[u8]) {
    let mut last = 0;
    for (i, c) in s.bytes().enumerate() {
        if special.contains(&c) {
            // `i` is at an ASCII byte, so both slices fall on char boundaries.
            out.push_str(&s[last..i]);
            out.push('\\');
            last = i;
        }
    }
    out.push_str(&s[last..]);
}

fn escape<'a>(s: &'a str, special: &[u8]) -> Cow<'a, str> {
    if needs_escape(s, special) {
        let mut out = String::with_capacity(s.len() + 8);
        push_escaped(&mut out, s, special);
        Cow::Owned(out)
    } else {
        Cow::Borrowed(s)
    }
}

/// Escapes a measurement name: `,` and space get a backslash.
///
/// A measurement cannot start with `#` (the line would be a comment), and a
/// trailing backslash or a newline cannot be represented; these are not checked.
pub fn escape_measurement(s: &str) -> Cow<'_, str> {
    escape(s, MEASUREMENT_SPECIAL)
}

/// Escapes a tag key, tag value or field key: `,`, `=` and space get a backslash.
///
/// A trailing backslash or a newline cannot be represented; these are not checked.
pub fn escape_tag(s: &str) -> Cow<'_, str> {
    escape(s, TAG_SPECIAL)
}

/// Escapes the contents of a string field value (without the surrounding
/// quotes): `"` and `\` get a backslash.
pub fn escape_string_field(s: &str) -> Cow<'_, str> {
    escape(s, STRING_SPECIAL)
}

/// Appends a field value in line protocol form.
///
/// Floats use Rust's shortest round-trip formatting (`{:?}`), so integral
/// floats keep a `.0` and large/small ones use an exponent; both re-parse to
/// the identical `f64`. NaN and infinities cannot be represented in line
/// protocol; they are written as `NaN` / `inf` / `-inf`, which parsers reject.
pub(crate) fn push_field_value(out: &mut String, value: &FieldValue<'_>) {
    match value {
        FieldValue::Float(v) => {
            let _ = write!(out, "{v:?}");
        }
        FieldValue::Integer(v) => {
            let _ = write!(out, "{v}i");
        }
        FieldValue::UInteger(v) => {
            let _ = write!(out, "{v}u");
        }
        FieldValue::String(s) => {
            out.push('"');
            push_escaped(out, s, STRING_SPECIAL);
            out.push('"');
        }
        FieldValue::Boolean(true) => out.push_str("true"),
        FieldValue::Boolean(false) => out.push_str("false"),
    }
}

/// Appends `measurement,tagk=tagv,...` escaped, tags in the given order.
pub(crate) fn push_series_key<'t>(
    out: &mut String,
    measurement: &str,
    tags: impl IntoIterator<Item = (&'t str, &'t str)>,
) {
    push_escaped(out, measurement, MEASUREMENT_SPECIAL);
    for (k, v) in tags {
        out.push(',');
        push_escaped(out, k, TAG_SPECIAL);
        out.push('=');
        push_escaped(out, v, TAG_SPECIAL);
    }
}

pub(crate) fn write_line_iter<'t, 'f, 'v: 'f>(
    out: &mut String,
    measurement: &str,
    tags: impl IntoIterator<Item = (&'t str, &'t str)>,
    fields: impl IntoIterator<Item = (&'f str, &'f FieldValue<'v>)>,
    timestamp: Option<i64>,
) {
    push_series_key(out, measurement, tags);
    let mut sep = ' ';
    for (k, v) in fields {
        out.push(sep);
        sep = ',';
        push_escaped(out, k, TAG_SPECIAL);
        out.push('=');
        push_field_value(out, v);
    }
    if let Some(ts) = timestamp {
        let _ = write!(out, " {ts}");
    }
    out.push('\n');
}

/// Serializer: appends one line (escaping everything correctly) to `out`; timestamp in ns written as-is when Some.
///
/// The line is terminated with `\n`, so successive calls build a request body.
/// Tags are written in the order given (InfluxDB sorts them on ingest anyway).
/// Nothing is validated: an empty measurement, an empty tag key or value or
/// field key, or an empty `fields` slice produce a line that will not parse.
pub fn write_line(
    out: &mut String,
    measurement: &str,
    tags: &[(&str, &str)],
    fields: &[(&str, FieldValue<'_>)],
    timestamp: Option<i64>,
) {
    write_line_iter(
        out,
        measurement,
        tags.iter().copied(),
        fields.iter().map(|(k, v)| (*k, v)),
        timestamp,
    );
}
