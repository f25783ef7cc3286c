//! Flux runtime values: scalars, composites, functions and streams of tables.

use crate::ast::{FunctionExpression, Location};
use crate::error::{Error, Result};
use crate::interp::{Env, Interp};
use crate::table::Table;
use std::cmp::Ordering;
use std::fmt;
use std::sync::Arc;

/// A Flux duration: calendar months plus nanoseconds (both carry the sign).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, PartialOrd, Ord)]
pub struct Duration {
    /// Months (a year is 12 months).
    pub months: i64,
    /// Nanoseconds (a week is 7 days, a day is 24 hours).
    pub nanos: i64,
}

impl Duration {
    /// A duration of plain nanoseconds.
    pub fn from_nanos(nanos: i64) -> Self {
        Duration { months: 0, nanos }
    }

    /// True when negative.
    pub fn is_negative(&self) -> bool {
        self.months < 0 || self.nanos < 0
    }

    /// The negated duration.
    pub fn negated(self) -> Self {
        Duration {
            months: -self.months,
            nanos: -self.nanos,
        }
    }

    /// Build from literal `(magnitude, unit)` pairs.
    pub fn from_parts(parts: &[(i64, &str)]) -> Result<Self> {
        let mut d = Duration::default();
        for (m, unit) in parts {
            let ns: i64 = match *unit {
                "y" => {
                    d.months = d.months.saturating_add(m.saturating_mul(12));
                    continue;
                }
                "mo" => {
                    d.months = d.months.saturating_add(*m);
                    continue;
                }
                "w" => 7 * 86_400_000_000_000,
                "d" => 86_400_000_000_000,
                "h" => 3_600_000_000_000,
                "m" => 60_000_000_000,
                "s" => 1_000_000_000,
                "ms" => 1_000_000,
                "us" => 1_000,
                "ns" => 1,
                other => return Err(Error::rt(format!("invalid duration unit {other}"))),
            };
            d.nanos = m
                .checked_mul(ns)
                .and_then(|v| d.nanos.checked_add(v))
                .ok_or_else(|| Error::rt("duration out of range"))?;
        }
        Ok(d)
    }

    /// Parse a duration string such as `1h30m` or `-5s`.
    pub fn parse(s: &str) -> Result<Self> {
        let (neg, body) = match s.strip_prefix('-') {
            Some(b) => (true, b),
            None => (false, s),
        };
        let toks =
            crate::lexer::lex(body).map_err(|_| Error::rt(format!("invalid duration {s}")))?;
        match toks.as_slice() {
            [t, eof] if eof.tok == crate::lexer::Tok::Eof => match &t.tok {
                crate::lexer::Tok::Duration(parts) => {
                    let p: Vec<(i64, &str)> = parts.iter().map(|(m, u)| (*m, u.as_str())).collect();
                    let d = Duration::from_parts(&p)?;
                    Ok(if neg { d.negated() } else { d })
                }
                _ => Err(Error::rt(format!("invalid duration {s}"))),
            },
            _ => Err(Error::rt(format!("invalid duration {s}"))),
        }
    }

    /// Add this duration to a time (months by the calendar, then nanoseconds).
    pub fn add_to(self, t: i64) -> Result<i64> {
        let mut t = t;
        if self.months != 0 {
            t = add_months(t, self.months)?;
        }
        t.checked_add(self.nanos)
            .ok_or_else(|| Error::rt("time out of range"))
    }
}

/// Add calendar months to a nanosecond timestamp (UTC), clamping the day.
pub fn add_months(t: i64, months: i64) -> Result<i64> {
    use chrono::{DateTime, Datelike, NaiveDate};
    let dt = DateTime::from_timestamp_nanos(t).naive_utc();
    let total = dt.year() as i64 * 12 + dt.month0() as i64 + months;
    let (y, m0) = (total.div_euclid(12), total.rem_euclid(12));
    let y = i32::try_from(y).map_err(|_| Error::rt("time out of range"))?;
    let mut day = dt.day();
    let date = loop {
        if let Some(d) = NaiveDate::from_ymd_opt(y, m0 as u32 + 1, day) {
            break d;
        }
        if day <= 28 {
            return Err(Error::rt("time out of range"));
        }
        day -= 1;
    };
    date.and_time(dt.time())
        .and_utc()
        .timestamp_nanos_opt()
        .ok_or_else(|| Error::rt("time out of range"))
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.months == 0 && self.nanos == 0 {
            return write!(f, "0ns");
        }
        if self.is_negative() {
            write!(f, "-")?;
        }
        let mut months = self.months.unsigned_abs();
        let mut n = self.nanos.unsigned_abs();
        if months >= 12 {
            write!(f, "{}y", months / 12)?;
            months %= 12;
        }
        if months > 0 {
            write!(f, "{months}mo")?;
        }
        for (unit, size) in [
            ("w", 7 * 86_400_000_000_000u64),
            ("d", 86_400_000_000_000),
            ("h", 3_600_000_000_000),
            ("m", 60_000_000_000),
            ("s", 1_000_000_000),
            ("ms", 1_000_000),
            ("us", 1_000),
            ("ns", 1),
        ] {
            if n >= size {
                write!(f, "{}{unit}", n / size)?;
                n %= size;
            }
        }
        Ok(())
    }
}

/// A record: ordered labels and values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Record {
    /// Fields in order.
    pub fields: Vec<(String, Value)>,
}

impl Record {
    /// Value of a label.
    pub fn get(&self, k: &str) -> Option<&Value> {
        self.fields.iter().find(|(n, _)| n == k).map(|(_, v)| v)
    }

    /// Set (replace or append) a label.
    pub fn set(&mut self, k: &str, v: Value) {
        match self.fields.iter_mut().find(|(n, _)| n == k) {
            Some(slot) => slot.1 = v,
            None => self.fields.push((k.to_string(), v)),
        }
    }
}

/// A native (Rust) builtin function.
pub type NativeFn = fn(&mut Interp, &mut Args) -> Result<Value>;

/// Parameters of a native function, for calls and semantic checks.
#[derive(Debug, Clone)]
pub struct Signature {
    /// Required parameters.
    pub required: Vec<&'static str>,
    /// Optional parameters.
    pub optional: Vec<&'static str>,
    /// Pipe parameter name (`tables` usually).
    pub pipe: Option<&'static str>,
}

/// A function value.
#[derive(Clone)]
pub enum Function {
    /// A Flux function literal with its defining scope.
    Closure {
        /// The literal.
        expr: FunctionExpression,
        /// Scope captured at creation.
        env: Env,
    },
    /// A builtin implemented in Rust.
    Native {
        /// Qualified name (`universe.map`).
        name: String,
        /// Parameters.
        sig: Signature,
        /// Implementation.
        f: NativeFn,
    },
}

impl fmt::Debug for Function {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Function::Closure { .. } => write!(f, "<closure>"),
            Function::Native { name, .. } => write!(f, "<builtin {name}>"),
        }
    }
}

/// Named arguments of a call, consumed by native functions.
#[derive(Debug, Default)]
pub struct Args {
    /// Function name (for messages).
    pub func: String,
    /// Remaining arguments.
    pub values: Vec<(String, Value)>,
    /// Where the call is.
    pub loc: Location,
}

impl Args {
    /// Take an argument if present (null counts as absent).
    pub fn opt(&mut self, name: &str) -> Option<Value> {
        let i = self.values.iter().position(|(n, _)| n == name)?;
        let v = self.values.remove(i).1;
        if v.is_null() {
            None
        } else {
            Some(v)
        }
    }

    /// Take a required argument.
    pub fn req(&mut self, name: &str) -> Result<Value> {
        self.opt(name)
            .ok_or_else(|| Error::rt(format!("{}: missing required argument {name}", self.func)))
    }

    fn wrong(&self, name: &str, want: &str, got: &Value) -> Error {
        Error::rt(format!(
            "{}: argument {name}: expected {want} but found {}",
            self.func,
            got.type_name()
        ))
    }

    /// Required string argument.
    pub fn string(&mut self, name: &str) -> Result<String> {
        match self.req(name)? {
            Value::String(s) => Ok(s.to_string()),
            v => Err(self.wrong(name, "string", &v)),
        }
    }

    /// Optional string argument.
    pub fn opt_string(&mut self, name: &str) -> Result<Option<String>> {
        match self.opt(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.to_string())),
            Some(v) => Err(self.wrong(name, "string", &v)),
        }
    }

    /// Optional int argument.
    pub fn opt_int(&mut self, name: &str) -> Result<Option<i64>> {
        match self.opt(name) {
            None => Ok(None),
            Some(Value::Int(i)) => Ok(Some(i)),
            Some(v) => Err(self.wrong(name, "int", &v)),
        }
    }

    /// Optional bool argument.
    pub fn opt_bool(&mut self, name: &str) -> Result<Option<bool>> {
        match self.opt(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(b)),
            Some(v) => Err(self.wrong(name, "bool", &v)),
        }
    }

    /// Optional float argument (ints are accepted).
    pub fn opt_float(&mut self, name: &str) -> Result<Option<f64>> {
        match self.opt(name) {
            None => Ok(None),
            Some(Value::Float(f)) => Ok(Some(f)),
            Some(Value::Int(i)) => Ok(Some(i as f64)),
            Some(v) => Err(self.wrong(name, "float", &v)),
        }
    }

    /// Optional array of strings.
    pub fn opt_strings(&mut self, name: &str) -> Result<Option<Vec<String>>> {
        match self.opt(name) {
            None => Ok(None),
            Some(Value::Array(a)) => a
                .iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s.to_string()),
                    v => Err(self.wrong(name, "[string]", v)),
                })
                .collect::<Result<Vec<_>>>()
                .map(Some),
            Some(v) => Err(self.wrong(name, "[string]", &v)),
        }
    }

    /// Required array of strings.
    pub fn strings(&mut self, name: &str) -> Result<Vec<String>> {
        let f = self.func.clone();
        self.opt_strings(name)?
            .ok_or_else(|| Error::rt(format!("{f}: missing required argument {name}")))
    }

    /// Optional duration argument.
    pub fn opt_duration(&mut self, name: &str) -> Result<Option<Duration>> {
        match self.opt(name) {
            None => Ok(None),
            Some(Value::Duration(d)) => Ok(Some(d)),
            Some(v) => Err(self.wrong(name, "duration", &v)),
        }
    }

    /// Required function argument.
    pub fn function(&mut self, name: &str) -> Result<Value> {
        match self.req(name)? {
            v @ Value::Function(_) => Ok(v),
            v => Err(self.wrong(name, "function", &v)),
        }
    }

    /// The piped-in stream (`tables` by default).
    pub fn tables(&mut self) -> Result<Vec<Table>> {
        match self.req("tables")? {
            Value::Stream(s) => s.into_tables(),
            v => Err(self.wrong("tables", "stream", &v)),
        }
    }
}

/// A stream of tables, or a pending unbounded `from()`.
#[derive(Debug, Clone)]
pub enum Stream {
    /// Materialized tables.
    Tables(Vec<Table>),
    /// `from(bucket)` waiting for a `range()`.
    From {
        /// Bucket name.
        bucket: String,
    },
    /// `from |> range |> filter…` not read yet: predicates collect here so
    /// the source reads only what they select (see [`PendingRead`]).
    Read(Box<PendingRead>),
}

/// A bounded read of a bucket that has not run yet.
#[derive(Debug, Clone)]
pub struct PendingRead {
    /// Bucket name.
    pub bucket: String,
    /// Range start (inclusive), ns.
    pub start: i64,
    /// Range stop (exclusive), ns.
    pub stop: i64,
    /// Predicates pushed into the source.
    pub pred: crate::source::PushdownPredicate,
    /// `filter` functions still applied to the rows read, in order.
    pub residual: Vec<Value>,
    /// Table operations after the read that run with it (see
    /// [`crate::read_plan`]), in order.
    pub ops: Vec<crate::read_plan::PushedOp>,
}

impl Stream {
    /// Like [`Stream::tables`], moving the tables out when `self` is the
    /// stream's only holder (a pipeline hands its stream on: copying
    /// thousands of small tables cost as much as building them).
    pub fn into_tables(self: Arc<Self>) -> Result<Vec<Table>> {
        match Arc::try_unwrap(self) {
            Ok(Stream::Tables(t)) => Ok(t),
            Ok(other) => other.tables(),
            Err(shared) => shared.tables(),
        }
    }

    /// The tables; errors on an unbounded `from()`.
    pub fn tables(&self) -> Result<Vec<Table>> {
        match self {
            Stream::Tables(t) => Ok(t.clone()),
            Stream::From { bucket } => Err(Error::rt(format!(
                "cannot submit unbounded read to {bucket:?}; try bounding 'from' with a call to 'range'"
            ))),
            Stream::Read(r) => Err(Error::rt(format!(
                "internal error: read of {:?} was not executed",
                r.bucket
            ))),
        }
    }
}

/// A Flux value.
#[derive(Debug, Clone)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    String(Arc<str>),
    Duration(Duration),
    Time(i64),
    Regex(Arc<regex::Regex>),
    Bytes(Arc<Vec<u8>>),
    Array(Arc<Vec<Value>>),
    Record(Arc<Record>),
    Dict(Arc<Vec<(Value, Value)>>),
    Function(Arc<Function>),
    Stream(Arc<Stream>),
}

impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        use Value::*;
        match (self, other) {
            (Null, Null) => true,
            (Bool(a), Bool(b)) => a == b,
            (Int(a), Int(b)) => a == b,
            (UInt(a), UInt(b)) => a == b,
            (Float(a), Float(b)) => a == b || (a.is_nan() && b.is_nan()),
            (String(a), String(b)) => a == b,
            (Duration(a), Duration(b)) => a == b,
            (Time(a), Time(b)) => a == b,
            (Regex(a), Regex(b)) => a.as_str() == b.as_str(),
            (Bytes(a), Bytes(b)) => a == b,
            (Array(a), Array(b)) => a == b,
            (Record(a), Record(b)) => {
                a.fields.len() == b.fields.len()
                    && a.fields.iter().all(|(k, v)| b.get(k) == Some(v))
            }
            (Dict(a), Dict(b)) => a == b,
            (Function(a), Function(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

impl Value {
    /// A string value.
    pub fn str(s: impl AsRef<str>) -> Value {
        Value::String(Arc::from(s.as_ref()))
    }

    /// True for null.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// A record value from fields.
    pub fn record(fields: Vec<(String, Value)>) -> Value {
        Value::Record(Arc::new(Record { fields }))
    }

    /// A stream value from tables.
    pub fn stream(t: Vec<Table>) -> Value {
        Value::Stream(Arc::new(Stream::Tables(t)))
    }

    /// Flux's name of the value's type.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::UInt(_) => "uint",
            Value::Float(_) => "float",
            Value::String(_) => "string",
            Value::Duration(_) => "duration",
            Value::Time(_) => "time",
            Value::Regex(_) => "regexp",
            Value::Bytes(_) => "bytes",
            Value::Array(_) => "array",
            Value::Record(_) => "record",
            Value::Dict(_) => "dict",
            Value::Function(_) => "function",
            Value::Stream(_) => "stream",
        }
    }

    /// Ordering between two values of comparable types (numbers compare across kinds).
    pub fn compare(&self, other: &Value) -> Option<Ordering> {
        use Value::*;
        match (self, other) {
            (Bool(a), Bool(b)) => Some(a.cmp(b)),
            (Int(a), Int(b)) => Some(a.cmp(b)),
            (UInt(a), UInt(b)) => Some(a.cmp(b)),
            (Float(a), Float(b)) => a.partial_cmp(b),
            (Int(a), Float(b)) => (*a as f64).partial_cmp(b),
            (Float(a), Int(b)) => a.partial_cmp(&(*b as f64)),
            (UInt(a), Float(b)) => (*a as f64).partial_cmp(b),
            (Float(a), UInt(b)) => a.partial_cmp(&(*b as f64)),
            (Int(a), UInt(b)) => Some(if *a < 0 {
                Ordering::Less
            } else {
                (*a as u64).cmp(b)
            }),
            (UInt(a), Int(b)) => Some(if *b < 0 {
                Ordering::Greater
            } else {
                a.cmp(&(*b as u64))
            }),
            (String(a), String(b)) => Some(a.cmp(b)),
            (Time(a), Time(b)) => Some(a.cmp(b)),
            (Duration(a), Duration(b)) => Some(a.cmp(b)),
            (Bytes(a), Bytes(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }

    /// Total order used for sorting (nulls first unless told otherwise by callers).
    pub fn sort_cmp(&self, other: &Value) -> Ordering {
        match (self.is_null(), other.is_null()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            _ => self.compare(other).unwrap_or(Ordering::Equal),
        }
    }
}

/// Format a timestamp as Flux prints it (RFC3339 with trimmed nanoseconds).
pub fn format_time(t: i64) -> String {
    let mut buf = [0u8; TIME_TEXT_MAX];
    let n = TimeText::new().render(t, &mut buf);
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

/// The longest text [`TimeText`] renders (`YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ`).
pub const TIME_TEXT_MAX: usize = 30;

/// Renders times as [`format_time`] does (RFC 3339, UTC, `Z`, the fraction
/// in 0, 3, 6 or 9 digits, as chrono's `AutoSi`) without allocating;
/// remembers the date part of the last day rendered, since a column of
/// times mostly stays within one day.
#[derive(Debug, Clone)]
pub struct TimeText {
    day: i64,
    /// `YYYY-MM-DDT` of `day`.
    date: [u8; 11],
}

impl Default for TimeText {
    fn default() -> Self {
        Self::new()
    }
}

impl TimeText {
    /// A renderer with nothing cached.
    pub fn new() -> Self {
        TimeText {
            day: i64::MIN,
            date: [0; 11],
        }
    }

    /// Writes `t` (ns since the epoch) into `buf`; returns the length.
    pub fn render(&mut self, t: i64, buf: &mut [u8; TIME_TEXT_MAX]) -> usize {
        let secs = t.div_euclid(1_000_000_000);
        let nanos = t.rem_euclid(1_000_000_000) as u32;
        let day = secs.div_euclid(86_400);
        let sod = secs.rem_euclid(86_400) as u32;
        if day != self.day {
            // every i64 of ns falls in the years 1677–2262: four digits
            let (y, m, d) = civil_from_days(day);
            let y = y as u32;
            self.date = [
                b'0' + (y / 1000 % 10) as u8,
                b'0' + (y / 100 % 10) as u8,
                b'0' + (y / 10 % 10) as u8,
                b'0' + (y % 10) as u8,
                b'-',
                b'0' + (m / 10) as u8,
                b'0' + (m % 10) as u8,
                b'-',
                b'0' + (d / 10) as u8,
                b'0' + (d % 10) as u8,
                b'T',
            ];
            self.day = day;
        }
        buf[..11].copy_from_slice(&self.date);
        let (h, mi, s) = (sod / 3600, sod / 60 % 60, sod % 60);
        buf[11..19].copy_from_slice(&[
            b'0' + (h / 10) as u8,
            b'0' + (h % 10) as u8,
            b':',
            b'0' + (mi / 10) as u8,
            b'0' + (mi % 10) as u8,
            b':',
            b'0' + (s / 10) as u8,
            b'0' + (s % 10) as u8,
        ]);
        let mut n = 19;
        if nanos != 0 {
            let (mut frac, digits) = if nanos % 1_000_000 == 0 {
                (nanos / 1_000_000, 3)
            } else if nanos % 1_000 == 0 {
                (nanos / 1_000, 6)
            } else {
                (nanos, 9)
            };
            buf[n] = b'.';
            for i in (0..digits).rev() {
                buf[n + 1 + i] = b'0' + (frac % 10) as u8;
                frac /= 10;
            }
            n += 1 + digits;
        }
        buf[n] = b'Z';
        n + 1
    }

    /// Appends `t` to `out`.
    pub fn write(&mut self, out: &mut String, t: i64) {
        let mut buf = [0u8; TIME_TEXT_MAX];
        let n = self.render(t, &mut buf);
        // only ASCII digits and separators were written
        out.push_str(std::str::from_utf8(&buf[..n]).unwrap_or_default());
    }
}

/// (year, month, day) of a day number (days since 1970-01-01) in the
/// proleptic Gregorian calendar (H. Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Format a timestamp as Go's RFC3339Nano does (the fraction's trailing
/// zeros trimmed, e.g. `2021-01-01T00:00:10.12Z`), as `json.encode` writes times.
pub fn format_time_go(t: i64) -> String {
    let dt = chrono::DateTime::from_timestamp_nanos(t);
    let base = dt.format("%Y-%m-%dT%H:%M:%S").to_string();
    let nanos = dt.timestamp_subsec_nanos();
    if nanos == 0 {
        return format!("{base}Z");
    }
    let frac = format!("{nanos:09}");
    format!("{base}.{}Z", frac.trim_end_matches('0'))
}

/// Format a float as Flux's string conversion does (shortest round-trip
/// digits, never an exponent; `NaN`, `+Inf`, `-Inf`).
pub fn format_float(f: f64) -> String {
    if f.is_nan() {
        "NaN".into()
    } else if f.is_infinite() {
        if f > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        }
    } else {
        format!("{f}")
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => write!(f, "<null>"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::UInt(u) => write!(f, "{u}"),
            Value::Float(x) => write!(f, "{}", format_float(*x)),
            Value::String(s) => write!(f, "{s}"),
            Value::Duration(d) => write!(f, "{d}"),
            Value::Time(t) => write!(f, "{}", format_time(*t)),
            Value::Regex(r) => write!(f, "{}", r.as_str()),
            Value::Bytes(b) => {
                write!(f, "0x")?;
                b.iter().try_for_each(|x| write!(f, "{x:02x}"))
            }
            Value::Array(a) => {
                write!(f, "[")?;
                for (i, v) in a.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    v.fmt_display(f)?;
                }
                write!(f, "]")
            }
            Value::Record(r) => {
                if r.fields.is_empty() {
                    return write!(f, "{{}}");
                }
                write!(f, "{{")?;
                for (i, (k, v)) in r.fields.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{k}: ")?;
                    v.fmt_display(f)?;
                }
                write!(f, "}}")
            }
            Value::Dict(d) => {
                if d.is_empty() {
                    return write!(f, "[:]");
                }
                write!(f, "[")?;
                for (i, (k, v)) in d.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    k.fmt_display(f)?;
                    write!(f, ": ")?;
                    v.fmt_display(f)?;
                }
                write!(f, "]")
            }
            Value::Function(_) => write!(f, "<function>"),
            Value::Stream(_) => write!(f, "<stream>"),
        }
    }
}

impl Value {
    /// `display()` formatting of a nested value.
    fn fmt_display(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

#[cfg(test)]
mod time_text_tests {
    use super::{format_time, TimeText};

    fn chrono_text(t: i64) -> String {
        chrono::DateTime::from_timestamp_nanos(t)
            .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
    }

    #[test]
    fn renders_as_chrono_autosi() {
        let mut fixed = vec![
            i64::MIN,
            i64::MIN + 1,
            i64::MAX,
            -1,
            0,
            1,
            999_999_999,
            1_000_000_000,
            -1_000_000_000,
            -86_400_000_000_000,
            951_782_400_000_000_000,   // 2000-02-29
            4_107_542_400_000_000_000, // 2100-03-01
            1_451_606_400_120_000_000,
            1_451_606_400_000_120_000,
            1_451_606_400_000_000_120,
        ];
        // a deterministic spread over the whole range, with every fraction shape
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for i in 0..20_000 {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let t = x as i64;
            fixed.push(match i % 4 {
                0 => t,
                1 => t - t.rem_euclid(1_000),
                2 => t - t.rem_euclid(1_000_000),
                _ => t - t.rem_euclid(1_000_000_000),
            });
        }
        // one writer across all values: the cached date must follow the day
        let mut w = TimeText::new();
        let mut out = String::new();
        for t in fixed {
            out.clear();
            w.write(&mut out, t);
            assert_eq!(out, chrono_text(t), "{t}");
            assert_eq!(format_time(t), chrono_text(t), "{t}");
        }
    }

    #[test]
    fn consecutive_seconds_across_days() {
        let mut w = TimeText::new();
        let start = 1_703_980_800_000_000_000i64; // 2023-12-31
        for s in (0..3 * 86_400).step_by(7) {
            let t = start + s * 1_000_000_000 + 500_000_000;
            let mut out = String::new();
            w.write(&mut out, t);
            assert_eq!(out, chrono_text(t));
        }
    }
}
