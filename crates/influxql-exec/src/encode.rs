//! Encoders for `/query` responses: JSON (plain, pretty, chunked) and CSV,
//! byte-compatible with InfluxDB 1.x where clients could tell the difference
//! (float formatting, RFC3339 times with trailing zeros trimmed, epochs).

use std::fmt::Write as _;

use chrono::{DateTime, Datelike, TimeZone, Timelike, Utc};

use crate::result::{Series, StatementResult, Value};

/// How times are rendered: RFC3339 strings, or integers in a unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Epoch {
    /// RFC3339 with nanoseconds, trailing zeros trimmed (the default).
    #[default]
    Rfc3339,
    /// Integer count of this many nanoseconds per unit.
    Unit(i64),
}

impl Epoch {
    /// Parses the `epoch` query parameter (`ns`, `n`, `u`, `µ`, `ms`, `s`, `m`, `h`).
    pub fn parse(s: &str) -> Option<Epoch> {
        let nanos = match s {
            "" => return Some(Epoch::Rfc3339),
            "n" | "ns" => 1,
            "u" | "µ" | "us" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => return None,
        };
        Some(Epoch::Unit(nanos))
    }
}

/// Options of one response.
#[derive(Debug, Clone, Copy, Default)]
pub struct EncodeOptions {
    /// Time rendering.
    pub epoch: Epoch,
    /// Indent the JSON (`pretty=true`).
    pub pretty: bool,
}

/// Appends `f` as Go's `encoding/json` does (shortest repr; exponent form
/// outside `[1e-6, 1e21)`).
pub fn write_go_float(out: &mut String, f: f64) {
    almanac_lineproto::go_json::write_float(out, f)
}

/// Formats nanoseconds since the epoch as RFC3339Nano with trailing zeros
/// trimmed, in UTC or in `tz`.
pub fn format_time(ns: i64, tz: Option<chrono_tz::Tz>) -> String {
    let utc: DateTime<Utc> = DateTime::from_timestamp_nanos(ns);
    if tz.is_none() {
        let mut out = String::with_capacity(30);
        write_utc(&mut out, &utc, ns.rem_euclid(1_000_000_000));
        return out;
    }
    let (base, offset) = match tz {
        None => (utc.format("%Y-%m-%dT%H:%M:%S").to_string(), "Z".to_string()),
        Some(tz) => {
            let local = tz.from_utc_datetime(&utc.naive_utc());
            let offset = local.format("%:z").to_string();
            let offset = if offset == "+00:00" {
                "Z".into()
            } else {
                offset
            };
            (local.format("%Y-%m-%dT%H:%M:%S").to_string(), offset)
        }
    };
    let frac = ns.rem_euclid(1_000_000_000);
    if frac == 0 {
        format!("{base}{offset}")
    } else {
        let digits = format!("{frac:09}");
        format!("{base}.{}{offset}", digits.trim_end_matches('0'))
    }
}

/// [`format_time`] in UTC, appended digit by digit (strftime parses its
/// pattern on every call: 5 % of a small query's CPU).
fn write_utc(out: &mut String, t: &DateTime<Utc>, frac: i64) {
    fn push_digits(out: &mut String, value: u32, width: usize) {
        let mut digits = [b'0'; 10];
        let mut v = value;
        for d in digits[..width].iter_mut().rev() {
            *d = b'0' + (v % 10) as u8;
            v /= 10;
        }
        out.push_str(std::str::from_utf8(&digits[..width]).expect("ascii digits"));
    }
    push_digits(out, t.year().max(0) as u32, 4);
    out.push('-');
    push_digits(out, t.month(), 2);
    out.push('-');
    push_digits(out, t.day(), 2);
    out.push('T');
    push_digits(out, t.hour(), 2);
    out.push(':');
    push_digits(out, t.minute(), 2);
    out.push(':');
    push_digits(out, t.second(), 2);
    if frac != 0 {
        out.push('.');
        let mut width = 9;
        let mut f = frac;
        while f % 10 == 0 {
            f /= 10;
            width -= 1;
        }
        push_digits(out, f as u32, width);
    }
    out.push('Z');
}

fn write_value(out: &mut String, v: &Value, opts: &EncodeOptions, tz: Option<chrono_tz::Tz>) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Float(f) if f.is_finite() => write_go_float(out, *f),
        Value::Float(_) => out.push_str("null"),
        Value::Integer(i) => out.push_str(itoa::Buffer::new().format(*i)),
        Value::Unsigned(u) => out.push_str(itoa::Buffer::new().format(*u)),
        Value::String(s) => almanac_lineproto::go_json::write_string(out, s),
        Value::Boolean(b) => out.push_str(if *b { "true" } else { "false" }),
        // A UTC time needs no escapes: written in place.
        Value::Time(ns) => match (opts.epoch, tz) {
            (Epoch::Rfc3339, None) => {
                out.push('"');
                let utc: DateTime<Utc> = DateTime::from_timestamp_nanos(*ns);
                write_utc(out, &utc, ns.rem_euclid(1_000_000_000));
                out.push('"');
            }
            (Epoch::Rfc3339, Some(_)) => {
                almanac_lineproto::go_json::write_string(out, &format_time(*ns, tz))
            }
            (Epoch::Unit(unit), _) => out.push_str(itoa::Buffer::new().format(ns.div_euclid(unit))),
        },
        Value::Strings(items) => {
            out.push('[');
            for (i, s) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                almanac_lineproto::go_json::write_string(out, s);
            }
            out.push(']');
        }
    }
}

/// Appends one series as a JSON object (`partial` set when it continues in
/// the next chunk).
fn write_series(
    out: &mut String,
    s: &Series,
    rows: &[Vec<Value>],
    partial: bool,
    opts: &EncodeOptions,
    tz: Option<chrono_tz::Tz>,
) {
    out.push('{');
    if !s.name.is_empty() {
        out.push_str("\"name\":");
        almanac_lineproto::go_json::write_string(out, &s.name);
        out.push(',');
    }
    if !s.tags.is_empty() {
        out.push_str("\"tags\":{");
        for (i, (k, v)) in s.tags.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            almanac_lineproto::go_json::write_string(out, k);
            out.push(':');
            almanac_lineproto::go_json::write_string(out, v);
        }
        out.push_str("},");
    }
    out.push_str("\"columns\":[");
    for (i, c) in s.columns.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        almanac_lineproto::go_json::write_string(out, c);
    }
    out.push(']');
    if !rows.is_empty() {
        out.push_str(",\"values\":[");
        for (i, row) in rows.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push('[');
            for (j, v) in row.iter().enumerate() {
                if j > 0 {
                    out.push(',');
                }
                write_value(out, v, opts, tz);
            }
            out.push(']');
        }
        out.push(']');
    }
    if partial {
        out.push_str(",\"partial\":true");
    }
    out.push('}');
}

/// Appends one statement result; `series` are `(series, rows, partial)`.
fn write_result(
    out: &mut String,
    r: &StatementResult,
    series: &[(&Series, &[Vec<Value>], bool)],
    partial: bool,
    opts: &EncodeOptions,
) {
    let _ = write!(out, "{{\"statement_id\":{}", r.statement_id);
    if !series.is_empty() {
        out.push_str(",\"series\":[");
        for (i, (s, rows, p)) in series.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_series(out, s, rows, *p, opts, r.timezone);
        }
        out.push(']');
    }
    if !r.messages.is_empty() {
        out.push_str(",\"messages\":[");
        for (i, m) in r.messages.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str("{\"level\":");
            almanac_lineproto::go_json::write_string(out, &m.level);
            out.push_str(",\"text\":");
            almanac_lineproto::go_json::write_string(out, &m.text);
            out.push('}');
        }
        out.push(']');
    }
    if partial {
        out.push_str(",\"partial\":true");
    }
    if let Some(e) = &r.error {
        out.push_str(",\"error\":");
        almanac_lineproto::go_json::write_string(out, e);
    }
    out.push('}');
}

/// The whole response `{"results":[...]}` followed by a newline.
pub fn encode_json(results: &[StatementResult], opts: &EncodeOptions) -> String {
    let mut out = String::with_capacity(256);
    out.push_str("{\"results\":[");
    for (i, r) in results.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let series: Vec<_> = r
            .series
            .iter()
            .map(|s| (s, s.values.as_slice(), false))
            .collect();
        write_result(&mut out, r, &series, false, opts);
    }
    out.push_str("]}");
    if opts.pretty {
        out = prettify(&out);
    }
    out.push('\n');
    out
}

/// One statement result as chunks of at most `chunk_size` rows per series,
/// each a complete `{"results":[...]}` line, as `chunked=true` streams them.
pub fn encode_json_chunks(
    r: &StatementResult,
    chunk_size: usize,
    opts: &EncodeOptions,
) -> Vec<String> {
    let chunk_size = chunk_size.max(1);
    let mut pieces: Vec<(&Series, &[Vec<Value>], bool)> = Vec::new();
    for s in &r.series {
        if s.values.is_empty() {
            pieces.push((s, &[], false));
            continue;
        }
        let n = s.values.len().div_ceil(chunk_size);
        for (i, rows) in s.values.chunks(chunk_size).enumerate() {
            pieces.push((s, rows, i + 1 < n));
        }
    }
    let mut chunks = Vec::new();
    if pieces.is_empty() {
        let mut out = String::from("{\"results\":[");
        write_result(&mut out, r, &[], false, opts);
        out.push_str("]}\n");
        chunks.push(out);
        return chunks;
    }
    let total = pieces.len();
    for (i, piece) in pieces.into_iter().enumerate() {
        let last = i + 1 == total;
        let mut out = String::from("{\"results\":[");
        let mut result = StatementResult {
            statement_id: r.statement_id,
            timezone: r.timezone,
            ..Default::default()
        };
        if last {
            result.messages = r.messages.clone();
            result.error = r.error.clone();
        }
        write_result(&mut out, &result, &[piece], !last, opts);
        out.push_str("]}");
        if opts.pretty {
            out = prettify(&out);
        }
        out.push('\n');
        chunks.push(out);
    }
    chunks
}

/// How influxd 1.6.7 streams a statement's result with `chunked=true`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkMode {
    /// Statements its query engine runs (`SELECT`, and the `SHOW`s it
    /// rewrites into selects): rows split by `chunk_size`, `partial` flags.
    Rows,
    /// `SHOW TAG KEYS`/`SHOW TAG VALUES`: one complete result per series.
    PerSeries,
    /// Every other statement: its whole result in one line.
    Whole,
}

impl ChunkMode {
    /// The mode of `stmt`.
    pub fn of(stmt: &almanac_influxql::Statement) -> ChunkMode {
        use almanac_influxql::{CardinalityKind, Statement as S};
        match stmt {
            S::Select(_) | S::ShowSeries { .. } | S::ShowFieldKeys { .. } => ChunkMode::Rows,
            S::ShowCardinality { exact, kind, .. } => {
                let rewritten = *exact
                    || matches!(
                        kind,
                        CardinalityKind::TagValues { .. }
                            | CardinalityKind::TagKey
                            | CardinalityKind::FieldKey
                    );
                if rewritten {
                    ChunkMode::Rows
                } else {
                    ChunkMode::Whole
                }
            }
            S::ShowTagKeys { .. } | S::ShowTagValues { .. } => ChunkMode::PerSeries,
            _ => ChunkMode::Whole,
        }
    }
}

/// One statement result as the lines `chunked=true` streams for `mode`.
pub fn encode_json_chunks_for(
    r: &StatementResult,
    mode: ChunkMode,
    chunk_size: usize,
    opts: &EncodeOptions,
) -> Vec<String> {
    let line = |result: &StatementResult| {
        let mut out = encode_json(std::slice::from_ref(result), opts);
        if opts.pretty {
            // `encode_json` already ends with a newline.
            return out;
        }
        if !out.ends_with('\n') {
            out.push('\n');
        }
        out
    };
    match mode {
        ChunkMode::Rows => encode_json_chunks(r, chunk_size, opts),
        ChunkMode::Whole => vec![line(r)],
        ChunkMode::PerSeries if r.series.len() <= 1 => vec![line(r)],
        ChunkMode::PerSeries => {
            let last = r.series.len() - 1;
            r.series
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let mut one = StatementResult {
                        statement_id: r.statement_id,
                        series: vec![s.clone()],
                        timezone: r.timezone,
                        ..Default::default()
                    };
                    if i == last {
                        one.messages = r.messages.clone();
                        one.error = r.error.clone();
                    }
                    line(&one)
                })
                .collect()
        }
    }
}

/// Re-indents compact JSON with four spaces, as `pretty=true` does.
fn prettify(compact: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(compact) {
        Ok(v) => serde_json::to_string_pretty(&v).unwrap_or_else(|_| compact.to_string()),
        Err(_) => compact.to_string(),
    }
}

fn csv_field(out: &mut String, s: &str) {
    if s.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&s.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(s);
    }
}

/// A tag key or value as influxd's CSV writer prints it: escaped as in a
/// series key (`,`, `=` and space get a backslash).
fn escape_tag(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains([',', '=', ' ']) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 2);
    for c in s.chars() {
        if matches!(c, ',' | '=' | ' ') {
            out.push('\\');
        }
        out.push(c);
    }
    std::borrow::Cow::Owned(out)
}

/// The response as CSV (`Accept: application/csv`): `name,tags,<columns>`
/// headers whenever the columns change, times as integers.
pub fn encode_csv(results: &[StatementResult], opts: &EncodeOptions) -> String {
    let mut out = String::new();
    let mut last_columns: Option<&[String]> = None;
    for r in results {
        // influxd 1.6.7's CSV writer leaves failed statements out entirely.
        if r.error.is_some() {
            continue;
        }
        for s in &r.series {
            if last_columns != Some(s.columns.as_slice()) {
                if last_columns.is_some() {
                    out.push('\n');
                }
                out.push_str("name,tags");
                for c in &s.columns {
                    out.push(',');
                    csv_field(&mut out, c);
                }
                out.push('\n');
                last_columns = Some(s.columns.as_slice());
            }
            let tags: Vec<String> = s
                .tags
                .iter()
                .filter(|(_, v)| !v.is_empty())
                .map(|(k, v)| format!("{}={}", escape_tag(k), escape_tag(v)))
                .collect();
            let tags = tags.join(",");
            for row in &s.values {
                csv_field(&mut out, &s.name);
                out.push(',');
                csv_field(&mut out, &tags);
                for (i, v) in row.iter().enumerate() {
                    out.push(',');
                    if s.csv_name_columns.contains(&i) {
                        csv_field(&mut out, &s.columns[i]);
                        continue;
                    }
                    match v {
                        Value::Null => {}
                        Value::Float(f) => write_go_float(&mut out, *f),
                        Value::Integer(i) => {
                            let _ = write!(out, "{i}");
                        }
                        Value::Unsigned(u) => {
                            let _ = write!(out, "{u}");
                        }
                        Value::String(s) => csv_field(&mut out, s),
                        // One field, the items comma-separated (influxd 1.6.7
                        // prints the column name instead).
                        Value::Strings(items) => csv_field(&mut out, &items.join(",")),
                        Value::Boolean(b) => out.push_str(if *b { "true" } else { "false" }),
                        Value::Time(ns) => {
                            let unit = match opts.epoch {
                                Epoch::Unit(u) => u,
                                Epoch::Rfc3339 => 1,
                            };
                            let _ = write!(out, "{}", ns.div_euclid(unit));
                        }
                    }
                }
                out.push('\n');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn float(f: f64) -> String {
        let mut s = String::new();
        write_go_float(&mut s, f);
        s
    }

    #[test]
    fn floats_render_like_go() {
        assert_eq!(float(1.0), "1");
        assert_eq!(float(0.5), "0.5");
        assert_eq!(float(-2.25), "-2.25");
        assert_eq!(float(1e21), "1e+21");
        assert_eq!(float(1.5e22), "1.5e+22");
        assert_eq!(float(1e-7), "1e-7");
        assert_eq!(float(0.000001), "0.000001");
        assert_eq!(float(123456789.0), "123456789");
        assert_eq!(float(0.1 + 0.2), "0.30000000000000004");
    }

    #[test]
    fn times_trim_trailing_zeros() {
        assert_eq!(format_time(0, None), "1970-01-01T00:00:00Z");
        // The digit writer agrees with strftime across InfluxDB's time range.
        let mut ns = i64::MIN + 1;
        for step in 0..20_000i64 {
            ns = ns.wrapping_add(922_337_203_685_477 + step * 7_919);
            let t: DateTime<Utc> = DateTime::from_timestamp_nanos(ns);
            let frac = ns.rem_euclid(1_000_000_000);
            let mut want = t.format("%Y-%m-%dT%H:%M:%S").to_string();
            if frac != 0 {
                want.push('.');
                want.push_str(format!("{frac:09}").trim_end_matches('0'));
            }
            want.push('Z');
            assert_eq!(format_time(ns, None), want, "{ns}");
        }
        assert_eq!(format_time(1_500_000_000, None), "1970-01-01T00:00:01.5Z");
        assert_eq!(format_time(1, None), "1970-01-01T00:00:00.000000001Z");
        let chicago: chrono_tz::Tz = "America/Chicago".parse().unwrap();
        assert_eq!(format_time(0, Some(chicago)), "1969-12-31T18:00:00-06:00");
    }

    #[test]
    fn json_shape_matches_influxdb() {
        let mut s = Series::new("cpu", &["time", "value"]);
        s.tags.insert("host".into(), "a".into());
        s.values.push(vec![Value::Time(0), Value::Float(1.0)]);
        let r = StatementResult::with_series(vec![s]);
        let text = encode_json(
            &[
                r,
                StatementResult {
                    statement_id: 1,
                    ..Default::default()
                },
            ],
            &EncodeOptions::default(),
        );
        assert_eq!(
            text,
            "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"cpu\",\"tags\":{\"host\":\"a\"},\"columns\":[\"time\",\"value\"],\"values\":[[\"1970-01-01T00:00:00Z\",1]]}]},{\"statement_id\":1}]}\n"
        );
        let epoch = EncodeOptions {
            epoch: Epoch::parse("s").unwrap(),
            pretty: false,
        };
        let mut s = Series::new("m", &["time"]);
        s.values.push(vec![Value::Time(5_000_000_000)]);
        let text = encode_json(&[StatementResult::with_series(vec![s])], &epoch);
        assert!(text.contains("[[5]]"), "{text}");
    }

    #[test]
    fn chunks_split_series_and_mark_partial() {
        let mut s = Series::new("m", &["time", "v"]);
        for i in 0..5 {
            s.values.push(vec![Value::Time(i), Value::Integer(i)]);
        }
        let r = StatementResult::with_series(vec![s]);
        let chunks = encode_json_chunks(&r, 2, &EncodeOptions::default());
        assert_eq!(chunks.len(), 3);
        assert!(
            chunks[0].contains("\"partial\":true}],\"partial\":true}"),
            "{}",
            chunks[0]
        );
        assert!(!chunks[2].contains("partial"), "{}", chunks[2]);
    }

    #[test]
    fn chunk_modes_follow_influxd() {
        let mode = |q: &str| ChunkMode::of(&almanac_influxql::parse_statement(q).unwrap());
        assert_eq!(mode("SELECT v FROM m"), ChunkMode::Rows);
        assert_eq!(mode("SHOW FIELD KEYS"), ChunkMode::Rows);
        assert_eq!(
            mode("SHOW TAG VALUES CARDINALITY WITH KEY = host"),
            ChunkMode::Rows
        );
        assert_eq!(mode("SHOW SERIES CARDINALITY"), ChunkMode::Whole);
        assert_eq!(
            mode("SHOW TAG VALUES WITH KEY = host"),
            ChunkMode::PerSeries
        );
        assert_eq!(mode("SHOW SHARDS"), ChunkMode::Whole);

        let mut a = Series::new("cpu", &["key", "value"]);
        for h in ["a", "b", "c"] {
            a.values.push(vec![Value::from("host"), Value::from(h)]);
        }
        let mut b = a.clone();
        b.name = "mem".into();
        let r = StatementResult::with_series(vec![a, b]);
        let opts = EncodeOptions::default();
        // influxd 1.6.7, SHOW TAG VALUES with chunk_size=2: one line per
        // measurement, rows not split, no partial flags.
        let lines = encode_json_chunks_for(&r, ChunkMode::PerSeries, 2, &opts);
        assert_eq!(lines.len(), 2);
        assert!(lines.iter().all(|l| !l.contains("partial")), "{lines:?}");
        assert!(
            lines[1].starts_with("{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"mem\"")
        );
        assert_eq!(
            encode_json_chunks_for(&r, ChunkMode::Whole, 2, &opts).len(),
            1
        );
        assert_eq!(
            encode_json_chunks_for(&r, ChunkMode::Rows, 2, &opts).len(),
            4
        );
    }

    #[test]
    fn csv_has_name_and_tags_columns() {
        let mut s = Series::new("cpu", &["time", "value"]);
        s.tags.insert("host".into(), "a".into());
        s.values.push(vec![Value::Time(10), Value::Float(2.5)]);
        let text = encode_csv(
            &[StatementResult::with_series(vec![s])],
            &EncodeOptions::default(),
        );
        assert_eq!(text, "name,tags,time,value\ncpu,host=a,10,2.5\n");
    }

    #[test]
    fn csv_escapes_tags_as_series_keys() {
        // influxd 1.6.7: `disk,"path=C:\,data",...` and `disk,path=/var/log\ dir,...`.
        let mut a = Series::new("disk", &["time", "free"]);
        a.tags.insert("path".into(), "C:,data".into());
        a.values.push(vec![Value::Time(1), Value::Integer(2)]);
        let mut b = a.clone();
        b.tags.insert("path".into(), "/var/log dir".into());
        let mut c = a.clone();
        c.tags.insert("path".into(), "a=b".into());
        let text = encode_csv(
            &[StatementResult::with_series(vec![a, b, c])],
            &EncodeOptions::default(),
        );
        assert_eq!(
            text,
            "name,tags,time,free\ndisk,\"path=C:\\,data\",1,2\ndisk,path=/var/log\\ dir,1,2\ndisk,path=a\\=b,1,2\n"
        );
    }

    #[test]
    fn csv_prints_go_int_columns_as_their_name() {
        // influxd 1.6.7, SHOW RETENTION POLICIES as CSV.
        let mut s = Series::new("", &["name", "replicaN", "default"]);
        s.values.push(vec![
            Value::from("autogen"),
            Value::Integer(1),
            Value::Boolean(true),
        ]);
        s.csv_name_columns.push(1);
        let text = encode_csv(
            &[StatementResult::with_series(vec![s])],
            &EncodeOptions::default(),
        );
        assert_eq!(
            text,
            "name,tags,name,replicaN,default\n,,autogen,replicaN,true\n"
        );
    }

    #[test]
    fn csv_leaves_failed_statements_out() {
        let mut s = Series::new("cpu", &["time", "count"]);
        s.values.push(vec![Value::Time(0), Value::Integer(3)]);
        let mut failed = StatementResult::error("not executed");
        failed.statement_id = 1;
        let text = encode_csv(
            &[StatementResult::with_series(vec![s]), failed.clone()],
            &EncodeOptions::default(),
        );
        assert_eq!(text, "name,tags,time,count\ncpu,,0,3\n");
        assert_eq!(encode_csv(&[failed], &EncodeOptions::default()), "");
    }
}

/// Writes MessagePack with `rmp`; writing into a `Vec` cannot fail.
mod msgpack {
    use rmp::encode;

    use super::{EncodeOptions, Epoch};
    use crate::result::{Series, StatementResult, Value};

    fn str(out: &mut Vec<u8>, s: &str) {
        let _ = encode::write_str(out, s);
    }

    /// Integers as tinylib/msgp writes them: fixints, else the smallest
    /// *signed* width (positive values too).
    fn int(out: &mut Vec<u8>, i: i64) {
        let _ = if (-32..=127).contains(&i) {
            encode::write_sint(out, i).map(|_| ())
        } else if i8::try_from(i).is_ok() {
            encode::write_i8(out, i as i8)
        } else if i16::try_from(i).is_ok() {
            encode::write_i16(out, i as i16)
        } else if i32::try_from(i).is_ok() {
            encode::write_i32(out, i as i32)
        } else {
            encode::write_i64(out, i)
        };
    }

    fn value(out: &mut Vec<u8>, v: &Value, opts: &EncodeOptions) {
        match v {
            Value::Null => {
                let _ = encode::write_nil(out);
            }
            Value::Float(f) => {
                let _ = encode::write_f64(out, *f);
            }
            Value::Integer(i) => int(out, *i),
            Value::Unsigned(u) => {
                let _ = encode::write_uint(out, *u);
            }
            Value::String(s) => str(out, s),
            Value::Strings(items) => {
                let _ = encode::write_array_len(out, items.len() as u32);
                for s in items {
                    str(out, s);
                }
            }
            Value::Boolean(b) => {
                let _ = encode::write_bool(out, *b);
            }
            Value::Time(ns) => match opts.epoch {
                Epoch::Unit(unit) => int(out, ns.div_euclid(unit)),
                // InfluxDB (tinylib/msgp) writes times as extension 5:
                // big-endian i64 seconds and u32 nanoseconds.
                Epoch::Rfc3339 => {
                    let _ = encode::write_ext_meta(out, 12, 5);
                    out.extend_from_slice(&ns.div_euclid(1_000_000_000).to_be_bytes());
                    out.extend_from_slice(&(ns.rem_euclid(1_000_000_000) as u32).to_be_bytes());
                }
            },
        }
    }

    fn series(out: &mut Vec<u8>, s: &Series, opts: &EncodeOptions) {
        let len = 2 + u32::from(!s.name.is_empty()) + u32::from(!s.tags.is_empty());
        let _ = encode::write_map_len(out, len);
        if !s.name.is_empty() {
            str(out, "name");
            str(out, &s.name);
        }
        if !s.tags.is_empty() {
            str(out, "tags");
            let _ = encode::write_map_len(out, s.tags.len() as u32);
            for (k, v) in &s.tags {
                str(out, k);
                str(out, v);
            }
        }
        str(out, "columns");
        let _ = encode::write_array_len(out, s.columns.len() as u32);
        for c in &s.columns {
            str(out, c);
        }
        str(out, "values");
        let _ = encode::write_array_len(out, s.values.len() as u32);
        for row in &s.values {
            let _ = encode::write_array_len(out, row.len() as u32);
            for v in row {
                value(out, v, opts);
            }
        }
    }

    fn result(out: &mut Vec<u8>, r: &StatementResult, opts: &EncodeOptions) {
        // influxd 1.6.7 encodes a failed statement as `{"error": ...}` alone.
        if let Some(e) = &r.error {
            let _ = encode::write_map_len(out, 1);
            str(out, "error");
            str(out, e);
            return;
        }
        let len = 2 + u32::from(!r.messages.is_empty()) + u32::from(r.error.is_some());
        let _ = encode::write_map_len(out, len);
        str(out, "statement_id");
        int(out, r.statement_id as i64);
        str(out, "series");
        let _ = encode::write_array_len(out, r.series.len() as u32);
        for s in &r.series {
            series(out, s, opts);
        }
        if !r.messages.is_empty() {
            str(out, "messages");
            let _ = encode::write_array_len(out, r.messages.len() as u32);
            for m in &r.messages {
                let _ = encode::write_map_len(out, 2);
                str(out, "level");
                str(out, &m.level);
                str(out, "text");
                str(out, &m.text);
            }
        }
        if let Some(e) = &r.error {
            str(out, "error");
            str(out, e);
        }
    }

    /// `{"results": [...]}` as MessagePack.
    pub fn encode(results: &[StatementResult], opts: &EncodeOptions) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        let _ = encode::write_map_len(&mut out, 1);
        str(&mut out, "results");
        let _ = encode::write_array_len(&mut out, results.len() as u32);
        for r in results {
            result(&mut out, r, opts);
        }
        out
    }

    /// `{"error": message}` as MessagePack (for request-level errors).
    pub fn encode_error(message: &str) -> Vec<u8> {
        let mut out = Vec::new();
        let _ = encode::write_map_len(&mut out, 1);
        str(&mut out, "error");
        str(&mut out, message);
        out
    }
}

pub use msgpack::{encode as encode_msgpack, encode_error as encode_msgpack_error};

#[cfg(test)]
mod msgpack_tests {
    use super::*;
    use crate::result::{Series, StatementResult, Value};

    #[test]
    fn matches_influxd_bytes() {
        // Bytes influxd 1.6.7 answered for `select w from cpu limit 1` with epoch=s.
        let mut s = Series::new("cpu", &["time", "w"]);
        s.values
            .push(vec![Value::Time(10_000_000_000), Value::Integer(10)]);
        let opts = EncodeOptions {
            epoch: Epoch::parse("s").unwrap(),
            pretty: false,
        };
        let bytes = encode_msgpack(&[StatementResult::with_series(vec![s])], &opts);
        let expected: &[u8] = b"\x81\xa7results\x91\x82\xacstatement_id\x00\xa6series\x91\x83\xa4name\xa3cpu\xa7columns\x92\xa4time\xa1w\xa6values\x91\x92\x0a\x0a";
        assert_eq!(bytes, expected);
    }

    #[test]
    fn failed_statement_is_only_its_error() {
        // influxd 1.6.7: `{"results": [{"error": "not executed"}]}`, no statement_id.
        let mut r = StatementResult::error("not executed");
        r.statement_id = 1;
        let bytes = encode_msgpack(&[r], &EncodeOptions::default());
        let expected: &[u8] = b"\x81\xa7results\x91\x81\xa5error\xacnot executed";
        assert_eq!(bytes, expected);
    }

    #[test]
    fn times_are_extension_5() {
        let mut s = Series::new("cpu", &["time"]);
        s.values.push(vec![Value::Time(10_000_000_000)]);
        let bytes = encode_msgpack(
            &[StatementResult::with_series(vec![s])],
            &EncodeOptions::default(),
        );
        let ext: &[u8] = b"\xc7\x0c\x05\x00\x00\x00\x00\x00\x00\x00\x0a\x00\x00\x00\x00";
        assert!(bytes.windows(ext.len()).any(|w| w == ext), "{bytes:x?}");
    }
}
