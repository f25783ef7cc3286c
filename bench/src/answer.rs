//! Answers of `/query` (InfluxDB 1.x JSON) and `/api/v1/query_range`
//! (Prometheus JSON): validity, row counts, and a comparison between two
//! servers' answers to the same query.
//!
//! Two answers agree when they hold the same series (name and tags, in the
//! same order) with the same columns and the same number of rows, and every
//! value agrees: numbers within a relative difference of 1e-9 (an integer
//! and a float of the same value agree), strings and booleans exactly, nulls
//! with nulls. Times given as RFC 3339 strings are compared as instants, so
//! an answer in `epoch=ns` and one in RFC 3339 still agree.

use std::collections::BTreeMap;

use serde_json::Value;

/// Largest relative difference between two numbers that still agree.
pub const REL_TOLERANCE: f64 = 1e-9;

/// Why an answer is not a valid, successful answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswerError {
    /// The body is not JSON of the expected shape.
    #[error("malformed answer: {0}")]
    Malformed(String),
    /// The server reported an error for the query.
    #[error("query error: {0}")]
    Query(String),
}

/// One series of an InfluxQL answer, with times normalized to ns.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Measurement.
    pub name: String,
    /// Group-by tags.
    pub tags: BTreeMap<String, String>,
    /// Column names.
    pub columns: Vec<String>,
    /// Rows.
    pub rows: Vec<Vec<Value>>,
}

/// A parsed answer: the series of the first statement, in order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Answer {
    /// Series.
    pub series: Vec<Series>,
}

impl Answer {
    /// Rows over every series.
    pub fn rows(&self) -> usize {
        self.series.iter().map(|s| s.rows.len()).sum()
    }

    /// True when no series holds a row.
    pub fn is_empty(&self) -> bool {
        self.rows() == 0
    }
}

fn as_string_map(v: Option<&Value>) -> Result<BTreeMap<String, String>, AnswerError> {
    let mut out = BTreeMap::new();
    match v {
        None | Some(Value::Null) => {}
        Some(Value::Object(m)) => {
            for (k, v) in m {
                let s = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                out.insert(k.clone(), s);
            }
        }
        Some(other) => return Err(AnswerError::Malformed(format!("tags are {other}"))),
    }
    Ok(out)
}

fn normalize_time(v: Value) -> Value {
    if let Value::String(s) = &v {
        if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
            if let Some(ns) = t.timestamp_nanos_opt() {
                return Value::from(ns);
            }
        }
    }
    v
}

/// Parses an InfluxDB 1.x `/query` JSON body (one statement).
pub fn parse_influxql(body: &str) -> Result<Answer, AnswerError> {
    let v: Value = serde_json::from_str(body)
        .map_err(|e| AnswerError::Malformed(format!("not JSON ({e}): {}", excerpt(body))))?;
    if let Some(err) = v.get("error") {
        return Err(AnswerError::Query(text_of(err)));
    }
    let result = v
        .get("results")
        .and_then(Value::as_array)
        .and_then(|r| r.first())
        .ok_or_else(|| AnswerError::Malformed(format!("no results: {}", excerpt(body))))?;
    if let Some(err) = result.get("error") {
        return Err(AnswerError::Query(text_of(err)));
    }
    let mut answer = Answer::default();
    let Some(series) = result.get("series") else {
        return Ok(answer);
    };
    let series = series
        .as_array()
        .ok_or_else(|| AnswerError::Malformed("series is not an array".into()))?;
    for s in series {
        let name = s
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let tags = as_string_map(s.get("tags"))?;
        let columns: Vec<String> = s
            .get("columns")
            .and_then(Value::as_array)
            .ok_or_else(|| AnswerError::Malformed("series without columns".into()))?
            .iter()
            .map(text_of)
            .collect();
        let time_col = columns.iter().position(|c| c == "time");
        let mut rows = Vec::new();
        if let Some(values) = s.get("values") {
            let values = values
                .as_array()
                .ok_or_else(|| AnswerError::Malformed("values is not an array".into()))?;
            for row in values {
                let mut row = row
                    .as_array()
                    .ok_or_else(|| AnswerError::Malformed("row is not an array".into()))?
                    .clone();
                if let Some(i) = time_col {
                    if let Some(cell) = row.get_mut(i) {
                        *cell = normalize_time(cell.take());
                    }
                }
                rows.push(row);
            }
        }
        answer.series.push(Series {
            name,
            tags,
            columns,
            rows,
        });
    }
    Ok(answer)
}

/// Rows of an InfluxQL answer, checked as [`parse_influxql`] checks it but
/// without building its values: timed queries whose answers are not kept
/// need only this, and the client shares the machine's CPU with the server
/// it measures. Any answer the fast form does not accept (errors, odd
/// shapes) is parsed in full, so both give the same verdict.
pub fn influxql_rows(body: &str) -> Result<usize, AnswerError> {
    match serde_json::from_str::<shape::Body>(body) {
        Ok(b) if b.error.is_none() => match b.results.first() {
            Some(r) if r.error.is_none() => Ok(r
                .series
                .iter()
                .flatten()
                .map(|s| s.values.as_ref().map_or(0, Vec::len))
                .sum()),
            _ => parse_influxql(body).map(|a| a.rows()),
        },
        _ => parse_influxql(body).map(|a| a.rows()),
    }
}

/// The shape of an InfluxQL answer, values skipped. Every member is at least
/// as strict as [`parse_influxql`] (a member given as `null` where it wants
/// an array is refused), so what passes here passes there.
mod shape {
    use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
    use serde::Deserialize;
    use serde_json::Value;

    #[derive(Deserialize)]
    pub(super) struct Body {
        #[serde(default, deserialize_with = "present")]
        pub error: Option<Value>,
        pub results: Vec<StatementResult>,
    }

    #[derive(Deserialize)]
    pub(super) struct StatementResult {
        #[serde(default, deserialize_with = "present")]
        pub error: Option<Value>,
        #[serde(default, deserialize_with = "present")]
        pub series: Option<Vec<Series>>,
    }

    #[derive(Deserialize)]
    pub(super) struct Series {
        #[allow(dead_code)]
        columns: Vec<IgnoredAny>,
        #[serde(default, deserialize_with = "present")]
        #[allow(dead_code)]
        tags: Option<AnyMap>,
        #[serde(default, deserialize_with = "present")]
        pub values: Option<Vec<Vec<IgnoredAny>>>,
    }

    /// A member that is there, even as `null` (plain `Option` reads a
    /// `null` as absent).
    fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
        d: D,
    ) -> Result<Option<T>, D::Error> {
        T::deserialize(d).map(Some)
    }

    /// A JSON object whose members are skipped.
    pub(super) struct AnyMap;

    impl<'de> Deserialize<'de> for AnyMap {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct Skip;
            impl<'de> Visitor<'de> for Skip {
                type Value = AnyMap;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("an object")
                }
                fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<AnyMap, A::Error> {
                    while m.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                    Ok(AnyMap)
                }
            }
            d.deserialize_map(Skip)
        }
    }
}

/// Parses a Prometheus `/api/v1/query_range` body into series named by
/// `__name__`, tagged with the other labels, with columns `time` and `value`.
pub fn parse_promql(body: &str) -> Result<Answer, AnswerError> {
    let v: Value = serde_json::from_str(body)
        .map_err(|e| AnswerError::Malformed(format!("not JSON ({e}): {}", excerpt(body))))?;
    if v.get("status").and_then(Value::as_str) != Some("success") {
        let msg = v.get("error").map(text_of).unwrap_or_else(|| excerpt(body));
        return Err(AnswerError::Query(msg));
    }
    let result = v
        .pointer("/data/result")
        .and_then(Value::as_array)
        .ok_or_else(|| AnswerError::Malformed(format!("no data.result: {}", excerpt(body))))?;
    let mut answer = Answer::default();
    for s in result {
        let mut tags = as_string_map(s.get("metric"))?;
        let name = tags.remove("__name__").unwrap_or_default();
        let mut rows = Vec::new();
        for point in s
            .get("values")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let p = point
                .as_array()
                .ok_or_else(|| AnswerError::Malformed("point is not an array".into()))?;
            let t = p.first().and_then(Value::as_f64).unwrap_or(f64::NAN);
            let value = p
                .get(1)
                .and_then(Value::as_str)
                .and_then(|s| s.parse::<f64>().ok())
                .map_or(Value::Null, Value::from);
            rows.push(vec![Value::from((t * 1e9).round() as i64), value]);
        }
        answer.series.push(Series {
            name,
            tags,
            columns: vec!["time".into(), "value".into()],
            rows,
        });
    }
    Ok(answer)
}

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn excerpt(s: &str) -> String {
    let s = s.trim();
    let mut end = s.len().min(200);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

/// Whether two JSON values agree (see the module documentation).
pub fn values_agree(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            if let (Some(x), Some(y)) = (x.as_i64(), y.as_i64()) {
                return x == y;
            }
            match (x.as_f64(), y.as_f64()) {
                (Some(x), Some(y)) => floats_agree(x, y),
                _ => false,
            }
        }
        _ => a == b,
    }
}

/// Whether two floats are within [`REL_TOLERANCE`] of each other.
pub fn floats_agree(x: f64, y: f64) -> bool {
    if x == y || (x.is_nan() && y.is_nan()) {
        return true;
    }
    let scale = x.abs().max(y.abs());
    (x - y).abs() <= REL_TOLERANCE * scale
}

fn series_label(s: &Series) -> String {
    if s.tags.is_empty() {
        s.name.clone()
    } else {
        let tags: Vec<String> = s.tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!("{}{{{}}}", s.name, tags.join(","))
    }
}

/// The first difference between two answers, or None when they agree.
pub fn first_difference(a: &Answer, b: &Answer) -> Option<String> {
    if a.series.len() != b.series.len() {
        return Some(format!(
            "{} series vs {} series",
            a.series.len(),
            b.series.len()
        ));
    }
    for (sa, sb) in a.series.iter().zip(&b.series) {
        let label = series_label(sa);
        if sa.name != sb.name || sa.tags != sb.tags {
            return Some(format!("series {label} vs {}", series_label(sb)));
        }
        if sa.columns != sb.columns {
            return Some(format!(
                "{label}: columns {:?} vs {:?}",
                sa.columns, sb.columns
            ));
        }
        if sa.rows.len() != sb.rows.len() {
            return Some(format!(
                "{label}: {} rows vs {} rows",
                sa.rows.len(),
                sb.rows.len()
            ));
        }
        for (i, (ra, rb)) in sa.rows.iter().zip(&sb.rows).enumerate() {
            if ra.len() != rb.len() {
                return Some(format!(
                    "{label} row {i}: {} vs {} values",
                    ra.len(),
                    rb.len()
                ));
            }
            for (j, (va, vb)) in ra.iter().zip(rb).enumerate() {
                if !values_agree(va, vb) {
                    let col = sa.columns.get(j).map_or("?", String::as_str);
                    return Some(format!("{label} row {i} column {col}: {va} vs {vb}"));
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ONE: &str = r#"{"results":[{"statement_id":0,"series":[{"name":"cpu","tags":{"hostname":"host_1"},"columns":["time","max"],"values":[["2016-01-01T00:00:00Z",83],["2016-01-01T00:01:00Z",85.5]]}]}]}"#;

    #[test]
    fn parses_series_rows_and_times() {
        let a = parse_influxql(ONE).unwrap();
        assert_eq!(a.series.len(), 1);
        assert_eq!(a.rows(), 2);
        assert_eq!(a.series[0].tags["hostname"], "host_1");
        assert_eq!(
            a.series[0].rows[0][0],
            Value::from(1_451_606_400_000_000_000i64)
        );
        let empty = parse_influxql(r#"{"results":[{"statement_id":0}]}"#).unwrap();
        assert!(empty.is_empty());
    }

    #[test]
    fn errors_are_reported() {
        assert_eq!(
            parse_influxql(r#"{"results":[{"statement_id":0,"error":"database not found: x"}]}"#),
            Err(AnswerError::Query("database not found: x".into()))
        );
        assert_eq!(
            parse_influxql(r#"{"error":"error parsing query: bad"}"#),
            Err(AnswerError::Query("error parsing query: bad".into()))
        );
        assert!(matches!(
            parse_influxql("oops"),
            Err(AnswerError::Malformed(_))
        ));
        assert!(matches!(
            parse_influxql("{}"),
            Err(AnswerError::Malformed(_))
        ));
        assert!(matches!(
            parse_promql(r#"{"status":"error","error":"bad query"}"#),
            Err(AnswerError::Query(_))
        ));
    }

    #[test]
    fn epoch_and_rfc3339_agree_and_tolerance_is_relative() {
        let a = parse_influxql(ONE).unwrap();
        let b = parse_influxql(
            r#"{"results":[{"statement_id":0,"series":[{"name":"cpu","tags":{"hostname":"host_1"},"columns":["time","max"],"values":[[1451606400000000000,83.0],[1451606460000000000,85.50000000001]]}]}]}"#,
        )
        .unwrap();
        assert_eq!(first_difference(&a, &b), None);
        let c = parse_influxql(&ONE.replace("85.5", "85.51")).unwrap();
        let d = first_difference(&a, &c).unwrap();
        assert!(d.contains("row 1 column max"), "{d}");
        let e = parse_influxql(&ONE.replace("host_1", "host_2")).unwrap();
        assert!(first_difference(&a, &e).unwrap().contains("host_2"));
        let f = parse_influxql(&ONE.replace(",[\"2016-01-01T00:01:00Z\",85.5]", "")).unwrap();
        assert_eq!(
            first_difference(&a, &f).unwrap(),
            "cpu{hostname=host_1}: 2 rows vs 1 rows"
        );
        assert!(first_difference(&a, &Answer::default()).is_some());
    }

    #[test]
    fn promql_matrix() {
        let body = r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"cpu_usage_user","hostname":"host_0"},"values":[[1451606400,"18"],[1451610000,"10.5"]]}]}}"#;
        let a = parse_promql(body).unwrap();
        assert_eq!(a.series[0].name, "cpu_usage_user");
        assert_eq!(a.series[0].tags["hostname"], "host_0");
        assert_eq!(a.rows(), 2);
        assert_eq!(a.series[0].rows[1][1], Value::from(10.5));
        let empty =
            parse_promql(r#"{"status":"success","data":{"resultType":"matrix","result":[]}}"#)
                .unwrap();
        assert!(empty.is_empty());
    }

    #[test]
    fn row_counts_of_common_answers() {
        assert_eq!(influxql_rows(ONE), Ok(2));
        assert_eq!(influxql_rows(r#"{"results":[{"statement_id":0}]}"#), Ok(0));
        let two = r#"{"results":[{"series":[{"name":"a","columns":["time"],"values":[[1],[2],[3]]},{"name":"b","columns":["time"],"values":[[1]]}]}]}"#;
        assert_eq!(influxql_rows(two), Ok(4));
        for body in [
            r#"{"results":[{"statement_id":0,"error":"database not found: x"}]}"#,
            r#"{"error":"error parsing query: bad"}"#,
            r#"{"results":[{"series":null}]}"#,
            r#"{"results":[{"series":[{"name":"a","values":[[1]]}]}]}"#,
            r#"{"results":[]}"#,
            "{}",
            "oops",
        ] {
            assert!(influxql_rows(body).is_err(), "{body}");
            assert_eq!(
                influxql_rows(body),
                parse_influxql(body).map(|a| a.rows()),
                "{body}"
            );
        }
    }

    #[test]
    fn float_agreement() {
        assert!(floats_agree(0.0, 0.0));
        assert!(floats_agree(1e12, 1e12 + 1.0));
        assert!(!floats_agree(1.0, 1.0 + 1e-8));
        assert!(!floats_agree(0.0, 1e-300));
        assert!(values_agree(&Value::from(3), &Value::from(3.0)));
        assert!(!values_agree(&Value::from("3"), &Value::from(3)));
        assert!(values_agree(&Value::Null, &Value::Null));
    }

    proptest! {
        #[test]
        fn arbitrary_bodies_never_panic(body in ".{0,300}") {
            let _ = parse_influxql(&body);
            let _ = parse_promql(&body);
        }

        #[test]
        fn row_counts_agree_with_the_full_parse(v in arb_answer()) {
            let body = v.to_string();
            prop_assert_eq!(influxql_rows(&body), parse_influxql(&body).map(|a| a.rows()));
        }

        #[test]
        fn arbitrary_json_never_panics(v in arb_json()) {
            let body = v.to_string();
            if let Ok(a) = parse_influxql(&body) {
                prop_assert_eq!(first_difference(&a, &a), None);
            }
            let _ = parse_promql(&body);
        }
    }

    /// One member of an answer-shaped object: mostly `valid`, sometimes
    /// `null`, `wrong` or absent.
    fn member(valid: BoxedStrategy<Value>, wrong: Value) -> BoxedStrategy<Option<Value>> {
        prop_oneof![
            6 => valid.prop_map(Some),
            1 => Just(Some(Value::Null)),
            1 => Just(Some(wrong)),
            2 => Just(None),
        ]
        .boxed()
    }

    /// An `error` member: mostly absent.
    fn error() -> BoxedStrategy<Option<Value>> {
        prop_oneof![
            8 => Just(None),
            1 => Just(Some(Value::from("boom"))),
            1 => Just(Some(Value::Null)),
        ]
        .boxed()
    }

    fn object(members: Vec<(&'static str, Option<Value>)>) -> Value {
        Value::Object(
            members
                .into_iter()
                .filter_map(|(k, v)| Some((k.to_string(), v?)))
                .collect(),
        )
    }

    /// InfluxQL answers whose members are each mostly right, else `null`,
    /// of another type or absent.
    fn arb_answer() -> impl Strategy<Value = Value> {
        let row = prop::collection::vec(arb_json(), 0..3).prop_map(Value::from);
        let series = (
            member(Just(Value::from("cpu")).boxed(), Value::from(3)),
            member(
                Just(Value::from(vec!["time", "max"])).boxed(),
                Value::from(1),
            ),
            member(
                Just(serde_json::json!({"hostname": "h1", "n": 2})).boxed(),
                Value::from(vec![1]),
            ),
            member(
                prop::collection::vec(row, 0..5)
                    .prop_map(Value::from)
                    .boxed(),
                serde_json::json!([[1], 2]),
            ),
        )
            .prop_map(|(name, columns, tags, values)| {
                object(vec![
                    ("name", name),
                    ("columns", columns),
                    ("tags", tags),
                    ("values", values),
                ])
            });
        let result = (
            error(),
            member(
                prop::collection::vec(series, 0..4)
                    .prop_map(Value::from)
                    .boxed(),
                Value::from("x"),
            ),
        )
            .prop_map(|(error, series)| {
                object(vec![
                    ("statement_id", Some(Value::from(0))),
                    ("error", error),
                    ("series", series),
                ])
            });
        (
            error(),
            member(
                prop::collection::vec(result, 0..3)
                    .prop_map(Value::from)
                    .boxed(),
                serde_json::json!({}),
            ),
        )
            .prop_map(|(error, results)| object(vec![("error", error), ("results", results)]))
    }

    fn arb_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            (-1e6f64..1e6).prop_map(Value::from),
            "[a-z0-9:T-]{0,20}".prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 64, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
                prop::collection::btree_map(
                    prop_oneof![
                        Just("results".to_string()),
                        Just("series".to_string()),
                        Just("columns".to_string()),
                        Just("values".to_string()),
                        Just("tags".to_string()),
                        Just("name".to_string()),
                        Just("status".to_string()),
                        Just("data".to_string()),
                        Just("result".to_string()),
                        Just("metric".to_string()),
                        "[a-z]{1,5}",
                    ],
                    inner,
                    0..5
                )
                .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }
}
