//! `data_format = "json"`: `{"fields":{},"name":"","tags":{},"timestamp":0}`.

use serde_json::{json, Map, Value as J};

use super::Serializer;
use crate::metric::{Metric, Value};

/// Telegraf's JSON serializer.
#[derive(Debug, Clone)]
pub struct JsonSerializer {
    /// Timestamp unit in ns (1s default).
    pub units_ns: i64,
    /// Go layout: timestamp as a string.
    pub time_format: Option<String>,
    /// One `{"metrics":[...]}` document per batch.
    pub batch: bool,
}

impl JsonSerializer {
    /// The JSON object of one metric.
    pub fn to_json(&self, m: &Metric) -> J {
        let mut fields = Map::new();
        for (k, v) in &m.fields {
            let jv = match v {
                Value::Float(f) if f.is_finite() => json!(f),
                Value::Float(_) => continue,
                Value::Int(i) => json!(i),
                Value::UInt(u) => json!(u),
                Value::Str(s) => json!(s),
                Value::Bool(b) => json!(b),
            };
            fields.insert(k.clone(), jv);
        }
        let ts = match &self.time_format {
            Some(f) => J::String(crate::timefmt::format_layout(m.time, f)),
            None => json!(m.time / self.units_ns.max(1)),
        };
        json!({"fields": fields, "name": m.name, "tags": m.tags, "timestamp": ts})
    }
}

impl Serializer for JsonSerializer {
    fn serialize(&self, metrics: &[Metric], out: &mut Vec<u8>) {
        if self.batch {
            let all: Vec<J> = metrics.iter().map(|m| self.to_json(m)).collect();
            out.extend_from_slice(json!({"metrics": all}).to_string().as_bytes());
            out.push(b'\n');
        } else {
            for m in metrics {
                out.extend_from_slice(self.to_json(m).to_string().as_bytes());
                out.push(b'\n');
            }
        }
    }
    fn content_type(&self) -> &'static str {
        "application/json"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape() {
        let s = JsonSerializer {
            units_ns: 1_000_000_000,
            time_format: None,
            batch: false,
        };
        let m = [Metric::new("cpu", 3_000_000_000)
            .with_tag("host", "a")
            .with_field("v", 1.5)];
        let mut out = Vec::new();
        s.serialize(&m, &mut out);
        let v: J = serde_json::from_slice(&out).unwrap();
        assert_eq!(
            v,
            json!({"fields":{"v":1.5},"name":"cpu","tags":{"host":"a"},"timestamp":3})
        );
        let b = JsonSerializer { batch: true, ..s };
        out.clear();
        b.serialize(&m, &mut out);
        let v: J = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["metrics"][0]["name"], "cpu");
    }
}
