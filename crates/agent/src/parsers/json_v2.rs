//! `data_format = "json_v2"`: explicit `field`/`tag`/`object` selections by GJSON-style path.
//!
//! Supported path syntax: `a.b`, array indices `a.0.b`, `a.#` (length), `a.#.b` (collect `b`
//! from every element), and `\.` escapes. Modifiers (`@reverse`, ...) and queries (`#(...)`)
//! are rejected with "not supported yet".

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value as J;

use super::{ParseError, Parser};
use crate::metric::{Metric, Value};
use crate::timefmt;

/// One `[[...json_v2.field]]` / `[[...json_v2.tag]]` entry.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PathEntry {
    /// GJSON path.
    pub path: String,
    /// New key name.
    pub rename: Option<String>,
    /// `int`, `uint`, `float`, `string`, `bool`.
    #[serde(rename = "type")]
    pub ty: Option<String>,
    /// Missing path is not an error.
    pub optional: bool,
}

/// One `[[...json_v2.object]]` entry.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ObjectEntry {
    /// Path of the object or array of objects.
    pub path: String,
    /// Missing path is not an error.
    pub optional: bool,
    /// Key holding the time.
    pub timestamp_key: Option<String>,
    /// Its format.
    pub timestamp_format: Option<String>,
    /// Its zone (UTC only).
    pub timestamp_timezone: Option<String>,
    /// Do not prefix nested keys with their parent's name.
    pub disable_prepend_keys: bool,
    /// Only these keys.
    pub included_keys: Vec<String>,
    /// Not these keys.
    pub excluded_keys: Vec<String>,
    /// Keys that become tags.
    pub tags: Vec<String>,
    /// Key renames.
    pub renames: BTreeMap<String, String>,
    /// Key → type.
    pub fields: BTreeMap<String, String>,
    /// Nested objects (not supported).
    pub field: Vec<serde::de::IgnoredAny>,
    /// Nested tags (not supported).
    pub tag: Vec<serde::de::IgnoredAny>,
}

/// One `[[...json_v2]]` block.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct JsonV2Config {
    /// Measurement name.
    pub measurement_name: Option<String>,
    /// Path of the measurement name.
    pub measurement_name_path: Option<String>,
    /// Path of the timestamp.
    pub timestamp_path: Option<String>,
    /// Its format.
    pub timestamp_format: Option<String>,
    /// Its zone (UTC only).
    pub timestamp_timezone: Option<String>,
    /// Fields.
    pub field: Vec<PathEntry>,
    /// Tags.
    pub tag: Vec<PathEntry>,
    /// Objects.
    pub object: Vec<ObjectEntry>,
}

/// The json_v2 parser.
#[derive(Debug, Clone)]
pub struct JsonV2Parser {
    name: String,
    cfgs: Vec<JsonV2Config>,
}

fn check_path(p: &str) -> Result<(), String> {
    if p.contains('@') || p.contains("#(") || p.contains('|') || p.contains('*') || p.contains('?')
    {
        return Err(format!("not supported yet: json_v2 path syntax {p:?}"));
    }
    Ok(())
}

impl JsonV2Parser {
    /// Validates the blocks.
    pub fn new(name: &str, cfgs: Vec<JsonV2Config>) -> Result<JsonV2Parser, String> {
        for c in &cfgs {
            for p in c.field.iter().chain(c.tag.iter()) {
                check_path(&p.path)?;
            }
            for o in &c.object {
                check_path(&o.path)?;
                if !o.field.is_empty() || !o.tag.is_empty() {
                    return Err("not supported yet: json_v2 object.field / object.tag".into());
                }
            }
            for tz in [&c.timestamp_timezone].into_iter().flatten() {
                if !matches!(tz.as_str(), "" | "UTC") {
                    return Err(format!("not supported yet: timestamp_timezone {tz:?}"));
                }
            }
        }
        Ok(JsonV2Parser {
            name: name.to_string(),
            cfgs,
        })
    }
}

fn split_path(path: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut chars = path.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            '.' => parts.push(std::mem::take(&mut cur)),
            o => cur.push(o),
        }
    }
    parts.push(cur);
    parts
}

/// Evaluates a path; `#.x` maps over arrays.
pub fn get(root: &J, path: &str) -> Option<J> {
    fn walk(v: &J, parts: &[String]) -> Option<J> {
        let Some((first, rest)) = parts.split_first() else {
            return Some(v.clone());
        };
        if first == "#" {
            let arr = v.as_array()?;
            if rest.is_empty() {
                return Some(J::from(arr.len()));
            }
            return Some(J::Array(arr.iter().filter_map(|e| walk(e, rest)).collect()));
        }
        match v {
            J::Object(o) => walk(o.get(first)?, rest),
            J::Array(a) => walk(a.get(first.parse::<usize>().ok()?)?, rest),
            _ => None,
        }
    }
    if path.is_empty() {
        return Some(root.clone());
    }
    walk(root, &split_path(path))
}

fn last_key(path: &str) -> String {
    split_path(path)
        .into_iter()
        .rfind(|p| p != "#" && p.parse::<usize>().is_err())
        .unwrap_or_else(|| path.to_string())
}

fn convert(v: &J, ty: Option<&str>) -> Option<Value> {
    let plain = match v {
        J::String(s) => Value::Str(s.clone()),
        J::Bool(b) => Value::Bool(*b),
        J::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => Value::Int(i),
            (None, Some(u)) => Value::UInt(u),
            _ => Value::Float(n.as_f64()?),
        },
        J::Null => return None,
        other => Value::Str(other.to_string()),
    };
    Some(match ty {
        // without a type, JSON integers stay integers and other numbers floats
        None => plain,
        Some("float") => Value::Float(match &plain {
            Value::Str(s) => s.parse().ok()?,
            v => v.as_f64()?,
        }),
        Some("int") => Value::Int(match &plain {
            Value::Str(s) => s.parse().ok()?,
            Value::Float(f) => *f as i64,
            v => v.as_f64()? as i64,
        }),
        Some("uint") => Value::UInt(match &plain {
            Value::Str(s) => s.parse().ok()?,
            v => v.as_f64().filter(|f| *f >= 0.0)? as u64,
        }),
        Some("string") => Value::Str(plain.to_plain_string()),
        Some("bool") => Value::Bool(match &plain {
            Value::Str(s) => s.parse().ok()?,
            v => v.as_f64()? != 0.0,
        }),
        Some(_) => return None,
    })
}

fn flatten(prefix: &str, v: &J, prepend: bool, out: &mut Vec<(String, J)>) {
    match v {
        J::Object(o) => {
            for (k, x) in o {
                let key = if prefix.is_empty() || !prepend {
                    k.clone()
                } else {
                    format!("{prefix}_{k}")
                };
                flatten(&key, x, prepend, out);
            }
        }
        J::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                let key = if prefix.is_empty() {
                    i.to_string()
                } else if prepend {
                    format!("{prefix}_{i}")
                } else {
                    prefix.to_string()
                };
                flatten(&key, x, prepend, out);
            }
        }
        other => out.push((prefix.to_string(), other.clone())),
    }
}

impl JsonV2Parser {
    fn object_metrics(
        &self,
        root: &J,
        base: &Metric,
        o: &ObjectEntry,
    ) -> Result<Vec<Metric>, ParseError> {
        let Some(sel) = get(root, &o.path) else {
            if o.optional {
                return Ok(vec![]);
            }
            return Err(ParseError::new(format!(
                "json_v2: object path {:?} not found",
                o.path
            )));
        };
        let items: Vec<J> = match sel {
            J::Array(a) => a,
            other => vec![other],
        };
        let mut out = Vec::new();
        for item in items {
            let mut m = base.clone();
            let mut flat = Vec::new();
            flatten("", &item, !o.disable_prepend_keys, &mut flat);
            for (k, v) in flat {
                if !o.included_keys.is_empty() && !o.included_keys.contains(&k) {
                    continue;
                }
                if o.excluded_keys.contains(&k) {
                    continue;
                }
                if Some(&k) == o.timestamp_key.as_ref() {
                    let tv = convert(&v, None)
                        .ok_or_else(|| ParseError::new("json_v2: null timestamp"))?;
                    m.time =
                        timefmt::parse_time(&tv, o.timestamp_format.as_deref().unwrap_or("unix"))
                            .map_err(ParseError::new)?;
                    continue;
                }
                let name = o.renames.get(&k).cloned().unwrap_or_else(|| k.clone());
                if o.tags.contains(&k) {
                    if let Some(v) = convert(&v, Some("string")) {
                        m.tags.insert(name, v.to_plain_string());
                    }
                    continue;
                }
                if let Some(val) = convert(&v, o.fields.get(&k).map(String::as_str)) {
                    m.fields.insert(name, val);
                }
            }
            out.push(m);
        }
        Ok(out)
    }
}

impl Parser for JsonV2Parser {
    fn parse(&self, data: &[u8], now: i64) -> Result<Vec<Metric>, ParseError> {
        let root: J = serde_json::from_slice(data).map_err(|e| ParseError::new(e.to_string()))?;
        let mut out = Vec::new();
        for c in &self.cfgs {
            let mut base = Metric::new(
                c.measurement_name
                    .clone()
                    .unwrap_or_else(|| self.name.clone()),
                now,
            );
            if let Some(p) = &c.measurement_name_path {
                if let Some(J::String(s)) = get(&root, p) {
                    base.name = s;
                }
            }
            if let Some(p) = &c.timestamp_path {
                let v = get(&root, p).ok_or_else(|| {
                    ParseError::new(format!("json_v2: timestamp path {p:?} not found"))
                })?;
                let tv =
                    convert(&v, None).ok_or_else(|| ParseError::new("json_v2: null timestamp"))?;
                base.time =
                    timefmt::parse_time(&tv, c.timestamp_format.as_deref().unwrap_or("unix"))
                        .map_err(ParseError::new)?;
            }
            for t in &c.tag {
                match get(&root, &t.path) {
                    Some(v) => {
                        if let Some(v) = convert(&v, Some("string")) {
                            base.tags.insert(
                                t.rename.clone().unwrap_or_else(|| last_key(&t.path)),
                                v.to_plain_string(),
                            );
                        }
                    }
                    None if t.optional => {}
                    None => {
                        return Err(ParseError::new(format!(
                            "json_v2: tag path {:?} not found",
                            t.path
                        )))
                    }
                }
            }
            let mut fields_metric = base.clone();
            for f in &c.field {
                match get(&root, &f.path) {
                    Some(J::Array(a)) if f.path.contains('#') => {
                        // one metric per element
                        for v in a {
                            if let Some(val) = convert(&v, f.ty.as_deref()) {
                                let mut m = base.clone();
                                m.fields.insert(
                                    f.rename.clone().unwrap_or_else(|| last_key(&f.path)),
                                    val,
                                );
                                out.push(m);
                            }
                        }
                    }
                    Some(v) => {
                        if let Some(val) = convert(&v, f.ty.as_deref()) {
                            fields_metric
                                .fields
                                .insert(f.rename.clone().unwrap_or_else(|| last_key(&f.path)), val);
                        }
                    }
                    None if f.optional => {}
                    None => {
                        return Err(ParseError::new(format!(
                            "json_v2: field path {:?} not found",
                            f.path
                        )))
                    }
                }
            }
            if !fields_metric.fields.is_empty() {
                out.push(fields_metric);
            }
            for o in &c.object {
                out.extend(self.object_metrics(&root, &base, o)?);
            }
        }
        Ok(out.into_iter().filter(|m| !m.fields.is_empty()).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const DOC: &[u8] = br#"{"station":"s1","ts":1700000000,"sensors":[{"id":"a","temp":21.5,"ok":true},{"id":"b","temp":19,"ok":false}],"summary":{"count":2,"avg":"20.25"}}"#;

    #[test]
    fn fields_tags_objects() {
        let cfg: JsonV2Config = serde_json::from_value(serde_json::json!({
            "measurement_name": "weather",
            "timestamp_path": "ts",
            "timestamp_format": "unix",
            "tag": [{"path": "station"}],
            "field": [{"path": "summary.count", "rename": "n"}, {"path": "summary.avg", "type": "float"}, {"path": "missing", "optional": true}],
            "object": [{"path": "sensors", "tags": ["id"], "excluded_keys": ["ok"]}]
        }))
        .unwrap();
        let p = JsonV2Parser::new("file", vec![cfg]).unwrap();
        let ms = p.parse(DOC, 0).unwrap();
        assert_eq!(ms.len(), 3, "{ms:?}");
        assert_eq!(ms[0].name, "weather");
        assert_eq!(ms[0].tag("station"), Some("s1"));
        assert_eq!(ms[0].field("n"), Some(&Value::Int(2)));
        assert_eq!(ms[0].field("avg"), Some(&Value::Float(20.25)));
        assert_eq!(ms[0].time, 1_700_000_000_000_000_000);
        assert_eq!(ms[1].tag("id"), Some("a"));
        assert_eq!(ms[1].tag("station"), Some("s1"));
        assert_eq!(ms[1].field("temp"), Some(&Value::Float(21.5)));
        assert!(ms[1].field("ok").is_none());
        assert_eq!(ms[2].field("temp"), Some(&Value::Int(19)));
    }

    #[test]
    fn paths_and_errors() {
        let root: J = serde_json::from_slice(DOC).unwrap();
        assert_eq!(get(&root, "sensors.#"), Some(J::from(2)));
        assert_eq!(
            get(&root, "sensors.#.id"),
            Some(serde_json::json!(["a", "b"]))
        );
        assert_eq!(get(&root, "sensors.1.temp"), Some(J::from(19)));
        assert!(JsonV2Parser::new(
            "x",
            vec![JsonV2Config {
                field: vec![PathEntry {
                    path: "a|@reverse".into(),
                    ..Default::default()
                }],
                ..Default::default()
            }]
        )
        .is_err());
        let p = JsonV2Parser::new(
            "x",
            vec![JsonV2Config {
                field: vec![PathEntry {
                    path: "nope".into(),
                    ..Default::default()
                }],
                ..Default::default()
            }],
        )
        .unwrap();
        assert!(p.parse(DOC, 0).is_err());
    }

    proptest! {
        #[test]
        fn never_panics(s in ".{0,64}", path in "[a-z0-9#.]{0,12}") {
            let p = JsonV2Parser::new("x", vec![JsonV2Config { field: vec![PathEntry { path: path.clone(), optional: true, ..Default::default() }], object: vec![ObjectEntry { path, optional: true, ..Default::default() }], ..Default::default() }]).unwrap();
            let _ = p.parse(s.as_bytes(), 0);
        }
    }
}
