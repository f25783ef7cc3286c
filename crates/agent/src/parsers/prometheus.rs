//! `data_format = "prometheus"`: the Prometheus text exposition format.
//!
//! Metric version 1 (Telegraf's default): one measurement per family; counters get a
//! `counter` field, gauges `gauge`, untyped `value`; histograms `sum`/`count` plus one field
//! per `le` bound; summaries `sum`/`count` plus one field per quantile.
//! Metric version 2: measurement `prometheus`, one field per sample named after it.

use std::collections::BTreeMap;

use super::{ParseError, Parser};
use crate::metric::{Metric, MetricKind, Value};

/// One sample line.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Sample name (with `_bucket`/`_sum`/`_count` suffixes).
    pub name: String,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// Value.
    pub value: f64,
    /// Timestamp in ms, if given.
    pub ts_ms: Option<i64>,
}

/// Parses text format into `# TYPE` map and samples.
pub fn parse_text(text: &str) -> Result<(BTreeMap<String, String>, Vec<Sample>), ParseError> {
    let mut types = BTreeMap::new();
    let mut samples = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix('#') {
            let mut w = rest.split_whitespace();
            if w.next() == Some("TYPE") {
                if let (Some(n), Some(t)) = (w.next(), w.next()) {
                    types.insert(n.to_string(), t.to_string());
                }
            }
            continue;
        }
        samples.push(parse_sample(line)?);
    }
    Ok((types, samples))
}

fn parse_sample(line: &str) -> Result<Sample, ParseError> {
    let bad = || ParseError::new(format!("prometheus: invalid line {line:?}"));
    let name_end = line
        .find(|c: char| c == '{' || c.is_whitespace())
        .ok_or_else(bad)?;
    let name = line[..name_end].to_string();
    if name.is_empty() {
        return Err(bad());
    }
    let mut rest = &line[name_end..];
    let mut labels = BTreeMap::new();
    if let Some(r) = rest.strip_prefix('{') {
        let mut chars = r.char_indices();
        let mut key = String::new();
        let end;
        loop {
            let Some((i, c)) = chars.next() else {
                return Err(bad());
            };
            match c {
                '}' => {
                    end = Some(i + 1);
                    break;
                }
                ',' | ' ' => {}
                '=' => {
                    if chars.next().map(|(_, c)| c) != Some('"') {
                        return Err(bad());
                    }
                    let mut val = String::new();
                    loop {
                        let Some((_, c)) = chars.next() else {
                            return Err(bad());
                        };
                        match c {
                            '\\' => match chars.next() {
                                Some((_, 'n')) => val.push('\n'),
                                Some((_, o)) => val.push(o),
                                None => return Err(bad()),
                            },
                            '"' => break,
                            o => val.push(o),
                        }
                    }
                    labels.insert(std::mem::take(&mut key).trim().to_string(), val);
                }
                o => key.push(o),
            }
        }
        rest = &r[end.unwrap_or(r.len())..];
    }
    let mut w = rest.split_whitespace();
    let v = w.next().ok_or_else(bad)?;
    let value = match v {
        "+Inf" | "Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        "NaN" => f64::NAN,
        v => v.parse().map_err(|_| bad())?,
    };
    let ts_ms = match w.next() {
        Some(t) => Some(t.parse::<i64>().map_err(|_| bad())?),
        None => None,
    };
    Ok(Sample {
        name,
        labels,
        value,
        ts_ms,
    })
}

/// Prometheus text parser (metric version 1 or 2).
#[derive(Debug, Clone, Default)]
pub struct PrometheusParser {
    /// Use metric version 2.
    pub v2: bool,
}

fn base_name<'a>(name: &'a str, types: &BTreeMap<String, String>) -> (&'a str, &'a str) {
    for suf in ["_bucket", "_sum", "_count"] {
        if let Some(b) = name.strip_suffix(suf) {
            if matches!(
                types.get(b).map(String::as_str),
                Some("histogram" | "summary")
            ) {
                return (b, &suf[1..]);
            }
        }
    }
    (name, "")
}

impl Parser for PrometheusParser {
    fn parse(&self, data: &[u8], now: i64) -> Result<Vec<Metric>, ParseError> {
        let text = String::from_utf8_lossy(data);
        let (types, samples) = parse_text(&text)?;
        let time_of = |s: &Sample| {
            s.ts_ms
                .and_then(|t| t.checked_mul(1_000_000))
                .unwrap_or(now)
        };
        if self.v2 {
            return Ok(samples
                .into_iter()
                .filter(|s| s.value.is_finite() || s.labels.contains_key("le"))
                .map(|s| {
                    let mut m = Metric::new("prometheus", time_of(&s));
                    m.tags = s.labels.clone();
                    let v = if s.value.is_finite() {
                        s.value
                    } else {
                        f64::MAX
                    };
                    m.fields.insert(s.name.clone(), Value::Float(v));
                    m
                })
                .collect());
        }
        // v1: group by (family, labels minus le/quantile, time)
        let mut groups: Vec<(String, BTreeMap<String, String>, i64, Metric)> = Vec::new();
        for s in samples {
            let (base, suffix) = base_name(&s.name, &types);
            let ty = types.get(base).map(String::as_str).unwrap_or("untyped");
            let mut labels = s.labels.clone();
            let mut field = match (ty, suffix) {
                ("histogram", "bucket") => labels.remove("le").unwrap_or_else(|| "+Inf".into()),
                ("histogram" | "summary", "sum") => "sum".into(),
                ("histogram" | "summary", "count") => "count".into(),
                ("summary", _) => labels.remove("quantile").unwrap_or_else(|| "value".into()),
                ("counter", _) => "counter".into(),
                ("gauge", _) => "gauge".into(),
                _ => "value".into(),
            };
            if field.is_empty() {
                field = "value".into();
            }
            if !s.value.is_finite() && (ty != "histogram" || suffix != "bucket") {
                continue;
            }
            let t = time_of(&s);
            let idx = groups
                .iter()
                .position(|(n, l, tt, _)| n == base && *l == labels && *tt == t);
            let m = match idx {
                Some(i) => &mut groups[i].3,
                None => {
                    let mut m = Metric::new(base, t);
                    m.tags = labels.clone();
                    m.kind = match ty {
                        "counter" => MetricKind::Counter,
                        "gauge" => MetricKind::Gauge,
                        "histogram" => MetricKind::Histogram,
                        "summary" => MetricKind::Summary,
                        _ => MetricKind::Untyped,
                    };
                    groups.push((base.to_string(), labels, t, m));
                    &mut groups.last_mut().expect("just pushed").3
                }
            };
            m.fields.insert(field, Value::Float(s.value));
        }
        Ok(groups.into_iter().map(|g| g.3).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const TEXT: &str = r#"# HELP http_requests_total Total requests.
# TYPE http_requests_total counter
http_requests_total{method="post",code="200"} 1027 1395066363000
http_requests_total{method="post",code="400"} 3
# TYPE temp gauge
temp 21.5
# TYPE lat histogram
lat_bucket{le="0.1"} 5
lat_bucket{le="+Inf"} 9
lat_sum 1.5
lat_count 9
# TYPE rpc summary
rpc{quantile="0.5"} 0.2
rpc_sum 10
rpc_count 50
plain_metric 4
"#;

    #[test]
    fn v1() {
        let ms = PrometheusParser::default()
            .parse(TEXT.as_bytes(), 7)
            .unwrap();
        let req = ms.iter().find(|m| m.name == "http_requests_total").unwrap();
        assert_eq!(req.tag("code"), Some("200"));
        assert_eq!(req.field("counter"), Some(&Value::Float(1027.0)));
        assert_eq!(req.time, 1_395_066_363_000_000_000);
        let lat = ms.iter().find(|m| m.name == "lat").unwrap();
        assert_eq!(lat.field("0.1"), Some(&Value::Float(5.0)));
        assert_eq!(lat.field("+Inf"), Some(&Value::Float(9.0)));
        assert_eq!(lat.field("count"), Some(&Value::Float(9.0)));
        let rpc = ms.iter().find(|m| m.name == "rpc").unwrap();
        assert_eq!(rpc.field("0.5"), Some(&Value::Float(0.2)));
        assert_eq!(rpc.field("sum"), Some(&Value::Float(10.0)));
        let plain = ms.iter().find(|m| m.name == "plain_metric").unwrap();
        assert_eq!(plain.field("value"), Some(&Value::Float(4.0)));
        let temp = ms.iter().find(|m| m.name == "temp").unwrap();
        assert_eq!(temp.field("gauge"), Some(&Value::Float(21.5)));
    }

    #[test]
    fn v2_and_errors() {
        let ms = PrometheusParser { v2: true }
            .parse(TEXT.as_bytes(), 7)
            .unwrap();
        assert!(ms.iter().all(|m| m.name == "prometheus"));
        assert!(ms.iter().any(|m| m.field("lat_sum").is_some()));
        assert!(PrometheusParser::default()
            .parse(b"x{a=\"1\" 3", 0)
            .is_err());
    }

    proptest! {
        #[test]
        fn never_panics(s in ".{0,64}") {
            let _ = PrometheusParser::default().parse(s.as_bytes(), 0);
        }
    }
}
