//! The Flux side of the query driver: the request to `/api/v2/query`, the
//! annotated CSV answer, and the numbers of a Flux and an InfluxQL answer to
//! the same TSBS question, so that the two can be cross-checked.
//!
//! A Flux answer becomes an [`Answer`] with one series per table: no name,
//! the table's string group-key columns (but `_start`/`_stop`) as tags, and
//! every column with its typed values (`long`/`unsignedLong`/`double` as
//! numbers, `dateTime` as ns since the epoch, `boolean`, `string`, empty
//! cells as null). An in-band error table (`error,reference`) is a query error.
//!
//! The cross-check does not compare the two answers' shapes (they differ by
//! design: InfluxQL puts fields in columns, Flux in rows) but their numbers,
//! each keyed by what it measures: for the grouped types the start of the
//! time bucket, the field and (double-groupby) the host; for `high-cpu-*` the
//! time, host and field of each point; for `lastpoint` the host and field.
//! Nulls (InfluxQL's empty buckets) are left out.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::answer::{floats_agree, Answer, AnswerError, Series};
use crate::gen::FIELD_KEYS;
use crate::tsbs::{Query, QueryType};

/// The whole Flux script of `q` against bucket `bucket` (`<db>/autogen`).
pub fn script(q: &Query, bucket: &str) -> String {
    format!("from(bucket: {})\n{}", flux_string(bucket), q.flux)
}

/// A Flux string literal.
pub fn flux_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '$' => out.push_str("\\$"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The JSON body of a `/api/v2/query` request for `script`, asking for the
/// `#datatype` and `#group` annotations.
pub fn request_body(script: &str) -> Value {
    serde_json::json!({
        "query": script,
        "type": "flux",
        "dialect": {"header": true, "annotations": ["datatype", "group"]},
    })
}

/// Splits CSV text into records (RFC 4180 quoting; `\r\n` or `\n`).
fn records(text: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut rec = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    cell.push('"');
                }
                '"' => quoted = false,
                c => cell.push(c),
            }
            continue;
        }
        match c {
            '"' => quoted = true,
            ',' => rec.push(std::mem::take(&mut cell)),
            '\r' => {}
            '\n' => {
                rec.push(std::mem::take(&mut cell));
                out.push(std::mem::take(&mut rec));
            }
            c => cell.push(c),
        }
    }
    if !cell.is_empty() || !rec.is_empty() {
        rec.push(cell);
        out.push(rec);
    }
    out
}

fn typed(cell: &str, datatype: &str) -> Result<Value, AnswerError> {
    if cell.is_empty() {
        return Ok(Value::Null);
    }
    let bad = || AnswerError::Malformed(format!("{cell:?} is not a valid {datatype}"));
    Ok(match datatype {
        "long" => Value::from(cell.parse::<i64>().map_err(|_| bad())?),
        "unsignedLong" => Value::from(cell.parse::<u64>().map_err(|_| bad())?),
        "double" => match cell {
            "+Inf" | "-Inf" | "NaN" => Value::String(cell.into()),
            _ => serde_json::Number::from_f64(cell.parse::<f64>().map_err(|_| bad())?)
                .map(Value::Number)
                .ok_or_else(bad)?,
        },
        "boolean" => Value::Bool(cell == "true"),
        t if t.starts_with("dateTime") => {
            let ns = chrono::DateTime::parse_from_rfc3339(cell)
                .ok()
                .and_then(|t| t.timestamp_nanos_opt())
                .ok_or_else(bad)?;
            Value::from(ns)
        }
        _ => Value::String(cell.into()),
    })
}

/// Parses an annotated CSV answer of `/api/v2/query` (see the module docs).
pub fn parse_csv(body: &str) -> Result<Answer, AnswerError> {
    let mut answer = Answer::default();
    let mut datatypes: Vec<String> = Vec::new();
    let mut groups: Vec<String> = Vec::new();
    let mut header: Option<Vec<String>> = None;
    // table id of the series being filled
    let mut current: Option<String> = None;
    for rec in records(body) {
        if rec.iter().all(|c| c.is_empty()) {
            // a blank line ends a block: the next one brings its own annotations
            header = None;
            continue;
        }
        match rec[0].as_str() {
            "#datatype" => {
                datatypes = rec[1..].to_vec();
                header = None;
                continue;
            }
            "#group" => {
                groups = rec[1..].to_vec();
                continue;
            }
            s if s.starts_with('#') => continue,
            _ => {}
        }
        let cells = &rec[1.min(rec.len())..];
        let Some(cols) = &header else {
            header = Some(cells.to_vec());
            current = None;
            continue;
        };
        if cols.len() != cells.len() {
            return Err(AnswerError::Malformed(format!(
                "a row of {} cells under a header of {}",
                cells.len(),
                cols.len()
            )));
        }
        if let Some(i) = cols.iter().position(|c| c == "error") {
            return Err(AnswerError::Query(cells[i].clone()));
        }
        let table = cols
            .iter()
            .position(|c| c == "table")
            .map(|i| cells[i].clone())
            .unwrap_or_default();
        let keep: Vec<usize> = (0..cols.len())
            .filter(|&i| cols[i] != "result" && cols[i] != "table")
            .collect();
        if current.as_ref() != Some(&table) {
            let mut tags = BTreeMap::new();
            for &i in &keep {
                let key = groups.get(i).is_some_and(|g| g == "true");
                let string = datatypes.get(i).is_none_or(|t| t == "string");
                if key && string && cols[i] != "_start" && cols[i] != "_stop" {
                    tags.insert(cols[i].clone(), cells[i].clone());
                }
            }
            answer.series.push(Series {
                name: String::new(),
                tags,
                columns: keep.iter().map(|&i| cols[i].clone()).collect(),
                rows: Vec::new(),
            });
            current = Some(table);
        }
        let row = keep
            .iter()
            .map(|&i| typed(&cells[i], datatypes.get(i).map_or("string", String::as_str)))
            .collect::<Result<Vec<_>, _>>()?;
        if let Some(s) = answer.series.last_mut() {
            s.rows.push(row);
        }
    }
    Ok(answer)
}

/// The numbers of an answer, keyed by what they measure (see the module docs).
pub type Numbers = BTreeMap<String, f64>;

fn num(v: &Value) -> Option<f64> {
    v.as_f64()
}

fn int(v: &Value) -> Option<i64> {
    v.as_i64()
}

/// The bucket width of a grouped type, ns.
fn bucket_ns(t: QueryType) -> Option<i64> {
    const MINUTE: i64 = 60_000_000_000;
    match t {
        QueryType::SingleGroupby { .. }
        | QueryType::CpuMaxAll { .. }
        | QueryType::GroupbyOrderbyLimit => Some(MINUTE),
        QueryType::DoubleGroupby { .. } => Some(60 * MINUTE),
        _ => None,
    }
}

/// The fields an InfluxQL answer of `t` holds, in column order.
fn influxql_fields(t: QueryType) -> &'static [&'static str] {
    match t {
        QueryType::SingleGroupby { metrics, .. } | QueryType::DoubleGroupby { metrics } => {
            &FIELD_KEYS[..metrics as usize]
        }
        QueryType::GroupbyOrderbyLimit => &FIELD_KEYS[..1],
        _ => &FIELD_KEYS,
    }
}

fn col(s: &Series, name: &str) -> Option<usize> {
    s.columns.iter().position(|c| c == name)
}

/// The numbers of an InfluxQL answer to the question of type `t`.
pub fn influxql_numbers(t: QueryType, a: &Answer) -> Numbers {
    let mut out = Numbers::new();
    for s in &a.series {
        let host = s.tags.get("hostname").cloned().unwrap_or_default();
        let time = col(s, "time");
        for row in &s.rows {
            let tm = time.and_then(|i| row.get(i)).and_then(int);
            match t {
                QueryType::HighCpu { .. } | QueryType::Lastpoint => {
                    let host = col(s, "hostname")
                        .and_then(|i| row.get(i))
                        .and_then(Value::as_str)
                        .map_or(host.clone(), str::to_string);
                    for f in FIELD_KEYS {
                        let Some(v) = col(s, f).and_then(|i| row.get(i)).and_then(num) else {
                            continue;
                        };
                        let key = match t {
                            QueryType::Lastpoint => format!("{host}|{f}"),
                            _ => format!("{}|{host}|{f}", tm.unwrap_or(0)),
                        };
                        out.insert(key, v);
                    }
                }
                _ => {
                    // aggregates are in the columns after `time`, in field order
                    for (k, f) in influxql_fields(t).iter().enumerate() {
                        let Some(v) = row.get(k + 1).and_then(num) else {
                            continue;
                        };
                        out.insert(grouped_key(t, tm.unwrap_or(0), &host, f), v);
                    }
                }
            }
        }
    }
    out
}

fn grouped_key(t: QueryType, bucket_start: i64, host: &str, field: &str) -> String {
    match t {
        QueryType::DoubleGroupby { .. } => format!("{bucket_start}|{host}|{field}"),
        _ => format!("{bucket_start}|{field}"),
    }
}

/// The numbers of a Flux answer to the question of type `t`.
pub fn flux_numbers(t: QueryType, a: &Answer) -> Numbers {
    let mut out = Numbers::new();
    for s in &a.series {
        let (time, field, value, host) = (
            col(s, "_time"),
            col(s, "_field"),
            col(s, "_value"),
            col(s, "hostname"),
        );
        for row in &s.rows {
            let get = |i: Option<usize>| i.and_then(|i| row.get(i));
            let host = get(host).and_then(Value::as_str).unwrap_or("").to_string();
            let tm = get(time).and_then(int).unwrap_or(0);
            let key = |f: &str| match (t, bucket_ns(t)) {
                (QueryType::Lastpoint, _) => format!("{host}|{f}"),
                // `_time` is the window's stop (the range's stop for the
                // last, clipped window): the bucket is the one that ends there
                (_, Some(w)) => grouped_key(t, (tm - 1).div_euclid(w) * w, &host, f),
                (_, None) => format!("{tm}|{host}|{f}"),
            };
            if field.is_none() {
                // pivoted: one column per field
                for f in FIELD_KEYS {
                    if let Some(v) = get(col(s, f)).and_then(num) {
                        out.insert(key(f), v);
                    }
                }
                continue;
            }
            let (Some(f), Some(v)) = (get(field).and_then(Value::as_str), get(value).and_then(num))
            else {
                continue;
            };
            out.insert(key(f), v);
        }
    }
    out
}

/// The first disagreement between the numbers of two answers, if any.
pub fn numbers_differ(flux: &Numbers, influxql: &Numbers) -> Option<String> {
    if flux.len() != influxql.len() {
        let only_flux = flux.keys().find(|k| !influxql.contains_key(*k));
        let only_ql = influxql.keys().find(|k| !flux.contains_key(*k));
        return Some(format!(
            "{} numbers in Flux vs {} in InfluxQL (only in Flux: {:?}, only in InfluxQL: {:?})",
            flux.len(),
            influxql.len(),
            only_flux,
            only_ql
        ));
    }
    for (k, v) in flux {
        match influxql.get(k) {
            None => return Some(format!("{k} only in the Flux answer")),
            Some(w) if !floats_agree(*v, *w) => {
                return Some(format!("{k}: Flux {v} vs InfluxQL {w}"))
            }
            Some(_) => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSV: &str = "#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,double,string,string\n\
#group,false,false,true,true,false,false,true,true\n\
,result,table,_start,_stop,_time,_value,_field,hostname\n\
,_result,0,2016-01-01T00:00:00Z,2016-01-01T00:02:30Z,2016-01-01T00:01:00Z,1.5,usage_user,host_1\n\
,_result,0,2016-01-01T00:00:00Z,2016-01-01T00:02:30Z,2016-01-01T00:02:00Z,2.5,usage_user,host_1\n\
,_result,0,2016-01-01T00:00:00Z,2016-01-01T00:02:30Z,2016-01-01T00:02:30Z,,usage_user,host_1\n\
,_result,1,2016-01-01T00:00:00Z,2016-01-01T00:02:30Z,2016-01-01T00:01:00Z,7,usage_system,host_1\n\
\n";

    #[test]
    fn parses_tables_and_types() {
        let a = parse_csv(CSV).unwrap();
        assert_eq!(a.series.len(), 2);
        assert_eq!(a.rows(), 4);
        let s = &a.series[0];
        assert_eq!(s.tags.get("_field").map(String::as_str), Some("usage_user"));
        assert!(!s.tags.contains_key("_start"));
        assert_eq!(s.rows[0][2], Value::from(1_451_606_460_000_000_000i64));
        assert_eq!(s.rows[0][3].as_f64(), Some(1.5));
        assert_eq!(s.rows[2][3], Value::Null);
    }

    #[test]
    fn in_band_errors_are_query_errors() {
        let body =
            "#datatype,string,string\n#group,true,true\n,error,reference\n,\"boom, at 1:2\",\n";
        assert_eq!(
            parse_csv(body),
            Err(AnswerError::Query("boom, at 1:2".into()))
        );
        assert!(matches!(
            parse_csv("#datatype,string,long,double\n,result,table,_value\n,,0,x\n"),
            Err(AnswerError::Malformed(_))
        ));
        assert_eq!(parse_csv("").unwrap().rows(), 0);
    }

    #[test]
    fn grouped_numbers_key_by_bucket_start() {
        let t = QueryType::SingleGroupby {
            metrics: 2,
            hosts: 1,
            hours: 1,
        };
        let f = flux_numbers(t, &parse_csv(CSV).unwrap());
        let start = 1_451_606_400_000_000_000i64;
        assert_eq!(f.get(&format!("{start}|usage_user")), Some(&1.5));
        assert_eq!(
            f.get(&format!("{}|usage_user", start + 60_000_000_000)),
            Some(&2.5)
        );
        assert_eq!(f.get(&format!("{start}|usage_system")), Some(&7.0));
        let ql = crate::answer::parse_influxql(&format!(
            r#"{{"results":[{{"statement_id":0,"series":[{{"name":"cpu","columns":["time","max","max_1"],"values":[[{start},1.5,7],[{},2.5,null],[{},null,null]]}}]}}]}}"#,
            start + 60_000_000_000,
            start + 120_000_000_000
        ))
        .unwrap();
        let q = influxql_numbers(t, &ql);
        assert_eq!(numbers_differ(&f, &q), None);
        let mut off = q.clone();
        off.insert(format!("{start}|usage_user"), 1.6);
        assert!(numbers_differ(&f, &off)
            .unwrap()
            .contains("Flux 1.5 vs InfluxQL 1.6"));
    }

    #[test]
    fn strings_are_escaped() {
        assert_eq!(flux_string("a\"b$c"), "\"a\\\"b\\$c\"");
    }
}
