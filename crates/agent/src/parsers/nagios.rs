//! `data_format = "nagios"`: plugin output `TEXT | label=value[UOM];warn;crit;min;max ...`.

use super::{ParseError, Parser};
use crate::metric::{Metric, Value};

/// Nagios performance-data parser (as used by `exec`): one `nagios` metric per perfdata
/// label with fields `value`, `warning`, `critical`, `min`, `max`, tag `perfdata` and `unit`.
#[derive(Debug, Clone)]
pub struct NagiosParser {
    name: String,
}

impl NagiosParser {
    /// New parser; `name` is unused by Telegraf's output (measurement is `nagios`).
    pub fn new(name: &str) -> NagiosParser {
        NagiosParser {
            name: name.to_string(),
        }
    }
}

fn split_perf(s: &str) -> Vec<String> {
    // labels may be quoted with single quotes and contain spaces
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in s.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                cur.push(c);
            }
            c if c.is_whitespace() && !quoted => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

impl Parser for NagiosParser {
    fn parse(&self, data: &[u8], now: i64) -> Result<Vec<Metric>, ParseError> {
        let _ = &self.name;
        let text = String::from_utf8_lossy(data);
        let mut out = Vec::new();
        let first = text.lines().next().unwrap_or("");
        let Some((_, perf)) = first.split_once('|') else {
            return Ok(out);
        };
        for item in split_perf(perf) {
            let Some((label, rest)) = item.rsplit_once('=') else {
                return Err(ParseError::new(format!(
                    "nagios: invalid perfdata {item:?}"
                )));
            };
            let label = label.trim_matches('\'');
            let parts: Vec<&str> = rest.split(';').collect();
            let v = parts[0];
            let num_end = v
                .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E')))
                .unwrap_or(v.len());
            let (num, unit) = v.split_at(num_end);
            let value: f64 = num
                .parse()
                .map_err(|_| ParseError::new(format!("nagios: invalid value {v:?}")))?;
            let mut m = Metric::new("nagios", now)
                .with_tag("perfdata", label)
                .with_field("value", Value::Float(value));
            if !unit.is_empty() {
                m.add_tag("unit", unit);
            }
            for (i, name) in [(1, "warning"), (2, "critical"), (3, "min"), (4, "max")] {
                if let Some(p) = parts.get(i) {
                    // ranges like 10:20 keep the upper bound, as Telegraf's `_le` variants are not modelled
                    let p = p.rsplit(':').next().unwrap_or("");
                    if let Ok(f) = p.parse::<f64>() {
                        m.add_field(name, f);
                    }
                }
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
    fn perfdata() {
        let p = NagiosParser::new("");
        let ms = p
            .parse(b"PING OK - Packet loss = 0%, RTA = 0.30 ms|rta=0.298ms;4000;6000;0 pl=0%;80;90;0;100\n", 1)
            .unwrap();
        assert_eq!(ms.len(), 2);
        assert_eq!(ms[0].tag("perfdata"), Some("rta"));
        assert_eq!(ms[0].tag("unit"), Some("ms"));
        assert_eq!(ms[0].field("value"), Some(&Value::Float(0.298)));
        assert_eq!(ms[0].field("critical"), Some(&Value::Float(6000.0)));
        assert_eq!(ms[1].field("max"), Some(&Value::Float(100.0)));
        assert!(p.parse(b"OK", 1).unwrap().is_empty());
    }

    proptest! {
        #[test]
        fn never_panics(s in ".{0,64}") {
            let _ = NagiosParser::new("").parse(s.as_bytes(), 0);
        }
    }
}
