//! `data_format = "influx"`: line protocol via `almanac-lineproto`.

use super::{ParseError, Parser};
use crate::metric::{Metric, Value};

/// Line-protocol parser.
#[derive(Debug, Clone)]
pub struct InfluxParser {
    precision_ns: i64,
}

impl InfluxParser {
    /// Timestamps without unit are multiplied by `precision_ns` (1 = ns).
    pub fn new(precision_ns: i64) -> InfluxParser {
        InfluxParser {
            precision_ns: precision_ns.max(1),
        }
    }
}

impl Parser for InfluxParser {
    fn multi_line(&self) -> bool {
        true
    }

    fn parse(&self, data: &[u8], now: i64) -> Result<Vec<Metric>, ParseError> {
        let mut out = Vec::new();
        for line in almanac_lineproto::parse_lines(data) {
            let line = line.map_err(|e| ParseError::new(e.to_string()))?;
            let time = match line.timestamp {
                Some(ts) => ts
                    .checked_mul(self.precision_ns)
                    .ok_or_else(|| ParseError::new("timestamp out of range"))?,
                None => now,
            };
            let mut m = Metric::new(line.measurement.as_ref(), time);
            for (k, v) in &line.tags {
                m.tags.insert(k.to_string(), v.to_string());
            }
            for (k, v) in &line.fields {
                m.fields.insert(k.to_string(), Value::from_lp(v));
            }
            out.push(m);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_lines() {
        let p = InfluxParser::new(1);
        let ms = p
            .parse(b"cpu,host=a usage=1.5,n=2i 10\nmem free=3u\n", 99)
            .unwrap();
        assert_eq!(ms.len(), 2);
        assert_eq!(ms[0].tag("host"), Some("a"));
        assert_eq!(ms[0].field("n"), Some(&Value::Int(2)));
        assert_eq!(ms[0].time, 10);
        assert_eq!(ms[1].time, 99);
        assert!(p.parse(b"bad line", 0).is_err());
        let s = InfluxParser::new(1_000_000_000);
        assert_eq!(s.parse(b"m v=1 3", 0).unwrap()[0].time, 3_000_000_000);
    }

    proptest! {
        #[test]
        fn never_panics(s in any::<Vec<u8>>()) {
            let _ = InfluxParser::new(1000).parse(&s, 0);
        }
    }
}
