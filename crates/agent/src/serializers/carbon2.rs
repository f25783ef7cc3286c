//! `data_format = "carbon2"`: `metric=name field=f tag=v  value seconds`.

use super::Serializer;
use crate::metric::{Metric, Value};

/// Carbon2 serializer.
#[derive(Debug, Clone)]
pub struct Carbon2Serializer {
    includes_field: bool,
    replace: String,
}

impl Carbon2Serializer {
    /// `format`: `field_separate` or `metric_includes_field`.
    pub fn new(format: &str, replace: &str) -> Result<Self, String> {
        let includes_field = match format {
            "" | "field_separate" => false,
            "metric_includes_field" => true,
            o => return Err(format!("unknown carbon2_format {o:?}")),
        };
        Ok(Carbon2Serializer {
            includes_field,
            replace: replace.to_string(),
        })
    }

    fn clean(&self, s: &str) -> String {
        s.chars()
            .map(|c| {
                if c == ' ' || c == '=' {
                    self.replace.clone()
                } else {
                    c.to_string()
                }
            })
            .collect()
    }
}

impl Serializer for Carbon2Serializer {
    fn serialize(&self, metrics: &[Metric], out: &mut Vec<u8>) {
        for m in metrics {
            let secs = m.time.div_euclid(1_000_000_000);
            for (f, v) in &m.fields {
                let val = match v {
                    Value::Float(x) if x.is_finite() => x.to_string(),
                    Value::Int(i) => i.to_string(),
                    Value::UInt(u) => u.to_string(),
                    Value::Bool(b) => (*b as u8).to_string(),
                    _ => continue,
                };
                let mut s = if self.includes_field {
                    format!("metric={}_{}", self.clean(&m.name), self.clean(f))
                } else {
                    format!("metric={} field={}", self.clean(&m.name), self.clean(f))
                };
                for (k, tv) in &m.tags {
                    s.push_str(&format!(" {}={}", self.clean(k), self.clean(tv)));
                }
                out.extend_from_slice(format!("{s}  {val} {secs}\n").as_bytes());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        let m = [Metric::new("cpu", 1_000_000_000)
            .with_tag("host", "a b")
            .with_field("idle", 5i64)];
        let mut out = Vec::new();
        Carbon2Serializer::new("field_separate", ":")
            .unwrap()
            .serialize(&m, &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "metric=cpu field=idle host=a:b  5 1\n"
        );
        let mut out = Vec::new();
        Carbon2Serializer::new("metric_includes_field", "_")
            .unwrap()
            .serialize(&m, &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "metric=cpu_idle host=a_b  5 1\n"
        );
        assert!(Carbon2Serializer::new("x", ":").is_err());
    }
}
