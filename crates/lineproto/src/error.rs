//! Parse errors, worded like InfluxDB's own (`models/points.go`) messages.

use crate::MAX_KEY_LENGTH;

/// Longest line excerpt (in bytes) kept verbatim in [`ParseError::line_text`].
pub const MAX_ERROR_LINE_TEXT: usize = 1024;

/// A line that could not be parsed, with its 1-based line number and text.
///
/// Displays as InfluxDB 1.x/2.x does: `unable to parse '<line>': <reason>`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("unable to parse '{line_text}': {kind}")]
pub struct ParseError {
    /// 1-based physical line number of the line's first byte in the input.
    pub line_number: usize,
    /// The line without leading whitespace or terminator, lossily decoded as
    /// UTF-8 and cut to [`MAX_ERROR_LINE_TEXT`] bytes (plus `...`) if longer.
    pub line_text: String,
    /// What is wrong with the line.
    pub kind: ParseErrorKind,
}

impl ParseError {
    /// Builds an error for `line` (raw bytes; leading whitespace is dropped).
    pub fn new(line_number: usize, line: &[u8], kind: ParseErrorKind) -> Self {
        let start = line
            .iter()
            .position(|&c| !crate::parse::is_ws(c))
            .unwrap_or(line.len());
        let line = &line[start..];
        let line_text = if line.len() <= MAX_ERROR_LINE_TEXT {
            String::from_utf8_lossy(line).into_owned()
        } else {
            let mut text = String::from_utf8_lossy(&line[..MAX_ERROR_LINE_TEXT]).into_owned();
            text.push_str("...");
            text
        };
        ParseError {
            line_number,
            line_text,
            kind,
        }
    }
}

/// The reason a line was rejected; `Display` gives InfluxDB's wording.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// The line starts with a comma (no measurement name).
    #[error("missing measurement")]
    MissingMeasurement,
    /// The key section is not followed by a space and a field set.
    #[error("missing fields")]
    MissingFields,
    /// A field has no key before its `=`.
    #[error("missing field key")]
    MissingFieldKey,
    /// A field has no value after its `=`.
    #[error("missing field value")]
    MissingFieldValue,
    /// The field set is malformed (no `=`, empty entries, trailing comma, ...).
    #[error("invalid field format")]
    InvalidFieldFormat,
    /// A tag has an empty key.
    #[error("missing tag key")]
    MissingTagKey,
    /// A tag has no `=` or an empty value.
    #[error("missing tag value")]
    MissingTagValue,
    /// A tag value contains an unescaped `=`.
    #[error("invalid tag format")]
    InvalidTagFormat,
    /// The same tag key appears more than once.
    #[error("duplicate tags")]
    DuplicateTags,
    /// A tag key is one of the reserved names `_measurement`, `_field`, `time`.
    #[error("cannot use reserved tag key {0:?}")]
    ReservedTagKey(String),
    /// An unquoted, non-numeric field value is not a valid boolean.
    #[error("invalid boolean")]
    InvalidBoolean,
    /// A numeric field value is malformed (also NaN and -Inf).
    #[error("invalid number")]
    InvalidNumber,
    /// A float field value is malformed or out of the `f64` range.
    #[error("invalid float")]
    InvalidFloat,
    /// An integer (`i` suffix) field value does not fit in `i64`.
    #[error("unable to parse integer {0}: strconv.ParseInt: parsing \"{0}\": value out of range")]
    InvalidInteger(String),
    /// An unsigned (`u` suffix) field value does not fit in `u64`.
    #[error(
        "unable to parse unsigned {0}: strconv.ParseUint: parsing \"{0}\": value out of range"
    )]
    InvalidUnsigned(String),
    /// A string field value has no closing double quote.
    #[error("unbalanced quotes")]
    UnbalancedQuotes,
    /// The timestamp contains something other than an optional `-` and digits.
    #[error("bad timestamp")]
    BadTimestamp,
    /// The timestamp is a lone `-`.
    #[error("strconv.ParseInt: parsing \"{0}\": invalid syntax")]
    TimestampSyntax(String),
    /// The timestamp does not fit in `i64`.
    #[error("strconv.ParseInt: parsing \"{0}\": value out of range")]
    TimestampOverflow(String),
    /// The timestamp, scaled to nanoseconds, is outside the supported range.
    #[error("time outside range -9223372036854775806 - 9223372036854775806")]
    TimeOutOfRange,
    /// Something other than spaces follows the timestamp.
    #[error("point is invalid")]
    InvalidPoint,
    /// The series key (measurement, tags and field key) is too long.
    #[error("max key length exceeded: {size} > {}", MAX_KEY_LENGTH)]
    MaxKeyLengthExceeded {
        /// The offending key length in bytes.
        size: usize,
    },
    /// The line is not valid UTF-8.
    #[error("invalid UTF-8")]
    InvalidUtf8,
}
