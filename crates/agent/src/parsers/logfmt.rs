//! `data_format = "logfmt"`: `key=value key2="quoted value"` lines.

use super::{ParseError, Parser};
use crate::metric::{Metric, Value};

/// logfmt parser: numbers become floats/ints, `true`/`false` booleans, the rest strings.
#[derive(Debug, Clone)]
pub struct LogfmtParser {
    name: String,
    tag_keys: Vec<String>,
}

impl LogfmtParser {
    /// Metric name `name` (default `logfmt`); `tag_keys` become tags.
    pub fn new(name: &str, tag_keys: &[String]) -> LogfmtParser {
        LogfmtParser {
            name: if name.is_empty() {
                "logfmt".into()
            } else {
                name.into()
            },
            tag_keys: tag_keys.to_vec(),
        }
    }
}

/// Splits one logfmt line into key/value pairs.
pub(crate) fn pairs(line: &str) -> Result<Vec<(String, String)>, ParseError> {
    let mut out = Vec::new();
    let mut chars = line.char_indices().peekable();
    loop {
        while chars.peek().is_some_and(|(_, c)| c.is_whitespace()) {
            chars.next();
        }
        let Some(&(start, _)) = chars.peek() else {
            break;
        };
        let mut key_end = line.len();
        let mut has_eq = false;
        while let Some(&(i, c)) = chars.peek() {
            if c == '=' || c.is_whitespace() {
                key_end = i;
                has_eq = c == '=';
                chars.next();
                break;
            }
            chars.next();
        }
        let key = line[start..key_end].to_string();
        if key.is_empty() {
            return Err(ParseError::new("logfmt: empty key"));
        }
        if !has_eq {
            out.push((key, String::new()));
            continue;
        }
        let mut val = String::new();
        if chars.peek().is_some_and(|(_, c)| *c == '"') {
            chars.next();
            let mut closed = false;
            while let Some((_, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, n)) = chars.next() {
                            val.push(match n {
                                'n' => '\n',
                                't' => '\t',
                                o => o,
                            });
                        }
                    }
                    '"' => {
                        closed = true;
                        break;
                    }
                    o => val.push(o),
                }
            }
            if !closed {
                return Err(ParseError::new("logfmt: unterminated quote"));
            }
        } else {
            while let Some(&(_, c)) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                val.push(c);
                chars.next();
            }
        }
        out.push((key, val));
    }
    Ok(out)
}

/// Guesses a field type the way Telegraf's logfmt parser does.
pub(crate) fn guess(v: &str) -> Value {
    if let Ok(i) = v.parse::<i64>() {
        Value::Int(i)
    } else if let Ok(f) = v.parse::<f64>() {
        Value::Float(f)
    } else if let Ok(b) = v.parse::<bool>() {
        Value::Bool(b)
    } else {
        Value::Str(v.to_string())
    }
}

impl Parser for LogfmtParser {
    fn parse(&self, data: &[u8], now: i64) -> Result<Vec<Metric>, ParseError> {
        let text = String::from_utf8_lossy(data);
        let mut out = Vec::new();
        for line in text.lines() {
            let mut m = Metric::new(&self.name, now);
            for (k, v) in pairs(line)? {
                if self.tag_keys.contains(&k) {
                    m.tags.insert(k, v);
                } else {
                    m.fields.insert(k, guess(&v));
                }
            }
            if !m.fields.is_empty() {
                out.push(m);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses() {
        let p = LogfmtParser::new("", &["level".into()]);
        let ms = p
            .parse(b"level=info msg=\"hello there\" took=1.5 n=3 ok=true\n", 7)
            .unwrap();
        let m = &ms[0];
        assert_eq!(m.name, "logfmt");
        assert_eq!(m.tag("level"), Some("info"));
        assert_eq!(m.field("msg"), Some(&Value::Str("hello there".into())));
        assert_eq!(m.field("took"), Some(&Value::Float(1.5)));
        assert_eq!(m.field("n"), Some(&Value::Int(3)));
        assert_eq!(m.field("ok"), Some(&Value::Bool(true)));
        assert!(p.parse(b"a=\"open", 0).is_err());
    }

    proptest! {
        #[test]
        fn never_panics(s in ".{0,64}") {
            let _ = LogfmtParser::new("x", &[]).parse(s.as_bytes(), 0);
        }
    }
}
