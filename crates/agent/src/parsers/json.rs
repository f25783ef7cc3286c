//! `data_format = "json"`: objects (or arrays of objects) flattened into fields with `_`.

use serde_json::Value as J;

use super::{ParseError, Parser, ParserConfig};
use crate::filter::GlobSet;
use crate::metric::{Metric, Value};
use crate::timefmt;

/// Telegraf's JSON parser: numbers → float fields, booleans → bool fields, strings only when
/// listed in `json_string_fields` (or used as tags / name / time).
#[derive(Debug, Clone)]
pub struct JsonParser {
    name: String,
    query: Option<String>,
    tag_keys: GlobSet,
    string_fields: GlobSet,
    name_key: Option<String>,
    time_key: Option<String>,
    time_format: Option<String>,
    strict: bool,
}

impl JsonParser {
    /// Builds from the parser options.
    pub fn from_config(c: &ParserConfig, name: &str) -> Result<JsonParser, String> {
        if c.json_time_key.is_some() && c.json_time_format.is_none() {
            return Err("json_time_key requires json_time_format".into());
        }
        if let Some(tz) = &c.json_timezone {
            if !matches!(tz.as_str(), "" | "UTC" | "utc") {
                return Err(format!("not supported yet: json_timezone {tz:?}"));
            }
        }
        Ok(JsonParser {
            name: name.to_string(),
            query: c.json_query.clone().filter(|q| !q.is_empty()),
            tag_keys: GlobSet::new(&c.tag_keys),
            string_fields: GlobSet::new(&c.json_string_fields),
            name_key: c.json_name_key.clone().filter(|s| !s.is_empty()),
            time_key: c.json_time_key.clone().filter(|s| !s.is_empty()),
            time_format: c.json_time_format.clone(),
            strict: c.json_strict.unwrap_or(true),
        })
    }

    fn object(&self, obj: &serde_json::Map<String, J>, now: i64) -> Result<Metric, ParseError> {
        let mut m = Metric::new(&self.name, now);
        let mut flat = Vec::new();
        for (k, v) in obj {
            flatten(k, v, &mut flat);
        }
        for (k, v) in flat {
            if Some(&k) == self.name_key.as_ref() {
                if let J::String(s) = &v {
                    m.name = s.clone();
                }
                continue;
            }
            if Some(&k) == self.time_key.as_ref() {
                let tv = match &v {
                    J::String(s) => Value::Str(s.clone()),
                    J::Number(n) => n
                        .as_i64()
                        .map(Value::Int)
                        .unwrap_or_else(|| Value::Float(n.as_f64().unwrap_or(0.0))),
                    _ => return Err(ParseError::new(format!("invalid time in {k:?}"))),
                };
                let fmt = self.time_format.as_deref().unwrap_or("unix");
                m.time = timefmt::parse_time(&tv, fmt).map_err(ParseError::new)?;
                continue;
            }
            if self.tag_keys.matches(&k) {
                let s = match &v {
                    J::String(s) => s.clone(),
                    J::Null => continue,
                    other => other.to_string(),
                };
                m.tags.insert(k, s);
                continue;
            }
            match v {
                J::Number(n) => {
                    if let Some(f) = n.as_f64() {
                        m.fields.insert(k, Value::Float(f));
                    }
                }
                J::Bool(b) => {
                    m.fields.insert(k, Value::Bool(b));
                }
                J::String(s) if self.string_fields.matches(&k) => {
                    m.fields.insert(k, Value::Str(s));
                }
                _ => {}
            }
        }
        Ok(m)
    }
}

fn flatten(prefix: &str, v: &J, out: &mut Vec<(String, J)>) {
    match v {
        J::Object(o) => {
            for (k, v) in o {
                flatten(&format!("{prefix}_{k}"), v, out);
            }
        }
        J::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                flatten(&format!("{prefix}_{i}"), v, out);
            }
        }
        other => out.push((prefix.to_string(), other.clone())),
    }
}

/// Evaluates a simple GJSON path: `a.b.0.c`, `a.#` (array length); `\.` escapes a dot.
pub(crate) fn query<'a>(root: &'a J, path: &str) -> Option<std::borrow::Cow<'a, J>> {
    let mut cur = root;
    let mut parts = Vec::new();
    let mut buf = String::new();
    let mut chars = path.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(n) = chars.next() {
                    buf.push(n);
                }
            }
            '.' => parts.push(std::mem::take(&mut buf)),
            o => buf.push(o),
        }
    }
    parts.push(buf);
    for p in parts {
        if p == "#" {
            return match cur {
                J::Array(a) => Some(std::borrow::Cow::Owned(J::from(a.len()))),
                _ => None,
            };
        }
        cur = match cur {
            J::Object(o) => o.get(&p)?,
            J::Array(a) => a.get(p.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(std::borrow::Cow::Borrowed(cur))
}

impl Parser for JsonParser {
    fn parse(&self, data: &[u8], now: i64) -> Result<Vec<Metric>, ParseError> {
        let text = std::str::from_utf8(data).map_err(|e| ParseError::new(e.to_string()))?;
        if text.trim().is_empty() {
            return Ok(Vec::new());
        }
        let root: J = serde_json::from_str(text).map_err(|e| ParseError::new(e.to_string()))?;
        let sel = match &self.query {
            Some(q) => query(&root, q)
                .ok_or_else(|| ParseError::new(format!("json_query {q:?} matched nothing")))?,
            None => std::borrow::Cow::Borrowed(&root),
        };
        let mut out = Vec::new();
        match sel.as_ref() {
            J::Object(o) => out.push(self.object(o, now)?),
            J::Array(a) => {
                for e in a {
                    match e {
                        J::Object(o) => out.push(self.object(o, now)?),
                        _ if self.strict => {
                            return Err(ParseError::new("array element is not an object"))
                        }
                        _ => {}
                    }
                }
            }
            _ => return Err(ParseError::new("JSON value is not an object or array")),
        }
        Ok(out.into_iter().filter(|m| !m.fields.is_empty()).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parser(extra: impl FnOnce(&mut ParserConfig)) -> JsonParser {
        let mut c = ParserConfig::default();
        extra(&mut c);
        JsonParser::from_config(&c, "json").unwrap()
    }

    #[test]
    fn flattens_and_tags() {
        let p = parser(|c| {
            c.tag_keys = vec!["host".into()];
            c.json_string_fields = vec!["status".into()];
        });
        let ms = p
            .parse(
                br#"{"host":"a","a":{"b":1,"c":[2,3]},"status":"ok","skip":"x","up":true}"#,
                5,
            )
            .unwrap();
        let m = &ms[0];
        assert_eq!(m.name, "json");
        assert_eq!(m.tag("host"), Some("a"));
        assert_eq!(m.field("a_b"), Some(&Value::Float(1.0)));
        assert_eq!(m.field("a_c_1"), Some(&Value::Float(3.0)));
        assert_eq!(m.field("status"), Some(&Value::Str("ok".into())));
        assert_eq!(m.field("up"), Some(&Value::Bool(true)));
        assert!(m.field("skip").is_none());
    }

    #[test]
    fn query_name_and_time() {
        let p = parser(|c| {
            c.json_query = Some("data.items".into());
            c.json_name_key = Some("kind".into());
            c.json_time_key = Some("ts".into());
            c.json_time_format = Some("unix_ms".into());
        });
        let ms = p
            .parse(br#"{"data":{"items":[{"kind":"k1","ts":1000,"v":1},{"kind":"k2","ts":2000,"v":2}]}}"#, 0)
            .unwrap();
        assert_eq!(ms.len(), 2);
        assert_eq!(ms[1].name, "k2");
        assert_eq!(ms[1].time, 2_000_000_000);
        assert!(p.parse(br#"{"nope":1}"#, 0).is_err());
    }

    #[test]
    fn time_key_needs_format() {
        let c = ParserConfig {
            json_time_key: Some("t".into()),
            ..Default::default()
        };
        assert!(JsonParser::from_config(&c, "x").is_err());
    }

    proptest! {
        #[test]
        fn never_panics(s in ".{0,64}") {
            let p = parser(|c| c.json_query = Some("a.0.#".into()));
            let _ = p.parse(s.as_bytes(), 0);
            let _ = parser(|_| {}).parse(s.as_bytes(), 0);
        }
    }
}
