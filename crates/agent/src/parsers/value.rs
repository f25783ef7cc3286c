//! `data_format = "value"`: the whole payload is one value of a configured type.

use super::{ParseError, Parser};
use crate::metric::{Metric, Value};

/// Single-value parser.
#[derive(Debug, Clone)]
pub struct ValueParser {
    name: String,
    data_type: String,
    field: String,
}

impl ValueParser {
    /// `data_type`: integer, float, long, string, boolean, auto_integer, auto_float.
    pub fn new(name: &str, data_type: &str, field: &str) -> Result<ValueParser, String> {
        match data_type {
            "integer" | "int" | "long" | "float" | "string" | "boolean" | "bool"
            | "auto_integer" | "auto_float" => {}
            other => return Err(format!("unknown data_type {other:?}")),
        }
        Ok(ValueParser {
            name: name.to_string(),
            data_type: data_type.to_string(),
            field: field.to_string(),
        })
    }

    fn value(&self, s: &str) -> Result<Value, ParseError> {
        let bad = || ParseError::new(format!("invalid {} value {s:?}", self.data_type));
        Ok(match self.data_type.as_str() {
            "integer" | "int" | "long" => Value::Int(s.parse().map_err(|_| bad())?),
            "float" => Value::Float(s.parse().map_err(|_| bad())?),
            "string" => Value::Str(s.to_string()),
            "boolean" | "bool" => Value::Bool(s.parse().map_err(|_| bad())?),
            "auto_integer" => s
                .parse::<i64>()
                .map(Value::Int)
                .or_else(|_| s.parse::<f64>().map(|f| Value::Int(f as i64)))
                .or_else(|_| s.parse::<bool>().map(Value::Bool))
                .unwrap_or_else(|_| Value::Str(s.to_string())),
            _ => s
                .parse::<f64>()
                .map(Value::Float)
                .or_else(|_| s.parse::<bool>().map(Value::Bool))
                .unwrap_or_else(|_| Value::Str(s.to_string())),
        })
    }
}

impl Parser for ValueParser {
    fn parse(&self, data: &[u8], now: i64) -> Result<Vec<Metric>, ParseError> {
        let text = String::from_utf8_lossy(data);
        let text = text.trim_matches(|c: char| c.is_whitespace() || c == '\0');
        // Telegraf takes the last whitespace-separated word for non-string types.
        let word = if self.data_type == "string" {
            text
        } else {
            match text.split_whitespace().last() {
                Some(w) => w,
                None => return Ok(Vec::new()),
            }
        };
        let v = self.value(word)?;
        Ok(vec![Metric::new(&self.name, now).with_field(&self.field, v)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn typed_values() {
        let p = ValueParser::new("temp", "float", "value").unwrap();
        let m = &p.parse(b"23.5\n", 1).unwrap()[0];
        assert_eq!(m.name, "temp");
        assert_eq!(m.field("value"), Some(&Value::Float(23.5)));
        let p = ValueParser::new("c", "integer", "count").unwrap();
        assert_eq!(
            p.parse(b"a b 42", 1).unwrap()[0].field("count"),
            Some(&Value::Int(42))
        );
        assert!(p.parse(b"x", 1).is_err());
        assert!(ValueParser::new("c", "weird", "v").is_err());
        let p = ValueParser::new("s", "string", "value").unwrap();
        assert_eq!(
            p.parse(b"hello world", 1).unwrap()[0].field("value"),
            Some(&Value::Str("hello world".into()))
        );
    }

    proptest! {
        #[test]
        fn never_panics(s in any::<Vec<u8>>()) {
            for t in ["integer", "float", "string", "boolean", "auto_integer", "auto_float"] {
                let _ = ValueParser::new("m", t, "value").unwrap().parse(&s, 0);
            }
        }
    }
}
