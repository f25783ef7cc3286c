//! `data_format = "graphite"`: `path value [timestamp]` lines mapped with templates.

use std::collections::BTreeMap;

use super::{ParseError, Parser};
use crate::metric::{Metric, Value};

/// One graphite template: optional filter, the part names, default tags.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    filter: Option<Vec<String>>,
    parts: Vec<String>,
    tags: BTreeMap<String, String>,
}

impl Template {
    /// Parses `[filter] template [k=v,k2=v2]`.
    pub fn parse(s: &str) -> Result<Template, String> {
        let words: Vec<&str> = s.split_whitespace().collect();
        let (filter, tmpl, tags) = match words.as_slice() {
            [t] => (None, *t, None),
            [a, b] if b.contains('=') => (None, *a, Some(*b)),
            [f, t] => (Some(*f), *t, None),
            [f, t, g] => (Some(*f), *t, Some(*g)),
            _ => return Err(format!("invalid template {s:?}")),
        };
        let mut tagmap = BTreeMap::new();
        if let Some(g) = tags {
            for kv in g.split(',') {
                let (k, v) = kv
                    .split_once('=')
                    .ok_or_else(|| format!("invalid template tags {g:?}"))?;
                tagmap.insert(k.to_string(), v.to_string());
            }
        }
        let parts: Vec<String> = tmpl.split('.').map(str::to_string).collect();
        if parts.iter().filter(|p| p.ends_with('*')).count() > 1 {
            return Err(format!("template {tmpl:?}: only one wildcard part allowed"));
        }
        Ok(Template {
            filter: filter.map(|f| f.split('.').map(str::to_string).collect()),
            parts,
            tags: tagmap,
        })
    }

    fn matches(&self, path: &[&str]) -> Option<usize> {
        match &self.filter {
            None => Some(0),
            Some(f) => {
                if f.len() > path.len() && f.last().is_none_or(|l| l != "*") {
                    return None;
                }
                for (i, fp) in f.iter().enumerate() {
                    let p = path.get(i)?;
                    if !crate::filter::Glob::new(fp).matches(p) {
                        return None;
                    }
                }
                Some(f.len() * 2 + f.iter().filter(|p| *p != "*").count())
            }
        }
    }

    /// Applies the template: (measurement, tags, field).
    fn apply(&self, path: &[&str], sep: &str) -> (String, BTreeMap<String, String>, String) {
        let mut meas: Vec<&str> = Vec::new();
        let mut field: Vec<&str> = Vec::new();
        let mut tags: BTreeMap<String, Vec<&str>> = BTreeMap::new();
        for (i, part) in self.parts.iter().enumerate() {
            let Some(seg) = path.get(i) else { break };
            match part.as_str() {
                "measurement" => meas.push(seg),
                "measurement*" => {
                    meas.extend(path[i..].iter().copied());
                    break;
                }
                "field" => field.push(seg),
                "field*" => {
                    field.extend(path[i..].iter().copied());
                    break;
                }
                "" => {}
                tag => tags.entry(tag.to_string()).or_default().push(seg),
            }
        }
        let mut t = self.tags.clone();
        for (k, v) in tags {
            t.insert(k, v.join(sep));
        }
        let name = if meas.is_empty() {
            path.join(sep)
        } else {
            meas.join(sep)
        };
        let field = if field.is_empty() {
            "value".to_string()
        } else {
            field.join(sep)
        };
        (name, t, field)
    }
}

/// Graphite plaintext parser.
#[derive(Debug, Clone)]
pub struct GraphiteParser {
    separator: String,
    templates: Vec<Template>,
}

impl GraphiteParser {
    /// Separator joins multi-part names; no templates = `measurement*`.
    pub fn new(separator: &str, templates: &[String]) -> Result<GraphiteParser, String> {
        let mut ts = templates
            .iter()
            .map(|t| Template::parse(t))
            .collect::<Result<Vec<_>, _>>()?;
        if ts.is_empty() {
            ts.push(Template::parse("measurement*")?);
        }
        Ok(GraphiteParser {
            separator: separator.to_string(),
            templates: ts,
        })
    }

    /// Maps a dotted path to (measurement, tags, field).
    pub fn apply_template(&self, path: &str) -> (String, BTreeMap<String, String>, String) {
        let parts: Vec<&str> = path.split('.').collect();
        let best = self
            .templates
            .iter()
            .filter_map(|t| t.matches(&parts).map(|s| (s, t)))
            .max_by_key(|(s, _)| *s)
            .map(|(_, t)| t);
        match best {
            Some(t) => t.apply(&parts, &self.separator),
            None => (path.to_string(), BTreeMap::new(), "value".into()),
        }
    }
}

impl Parser for GraphiteParser {
    fn parse(&self, data: &[u8], now: i64) -> Result<Vec<Metric>, ParseError> {
        let text = String::from_utf8_lossy(data);
        let mut out = Vec::new();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            out.extend(self.parse_line(line, now)?);
        }
        Ok(out)
    }

    fn parse_line(&self, line: &str, now: i64) -> Result<Vec<Metric>, ParseError> {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 2 {
            return Err(ParseError::new(format!("graphite: invalid line {line:?}")));
        }
        // Graphite 1.1 tags: path;tag=v;tag2=v2
        let mut segs = f[0].split(';');
        let path = segs.next().unwrap_or_default();
        let value: f64 = f[1]
            .parse()
            .map_err(|_| ParseError::new(format!("graphite: invalid value {:?}", f[1])))?;
        let time = match f.get(2) {
            Some(t) if *t != "-1" => {
                let s: f64 = t
                    .parse()
                    .map_err(|_| ParseError::new(format!("graphite: invalid time {t:?}")))?;
                if !s.is_finite() || s.abs() > 9.2e9 {
                    return Err(ParseError::new("graphite: time out of range"));
                }
                (s * 1e9) as i64
            }
            _ => now,
        };
        let (name, tags, field) = self.apply_template(path);
        let mut m = Metric::new(name, time);
        m.tags = tags;
        for kv in segs {
            if let Some((k, v)) = kv.split_once('=') {
                m.tags.insert(k.to_string(), v.to_string());
            }
        }
        m.fields.insert(field, Value::Float(value));
        Ok(vec![m])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn templates() {
        let p = GraphiteParser::new(
            "_",
            &[
                "servers.* .host.measurement.field".into(),
                "stats.* .host.measurement* region=us".into(),
            ],
        )
        .unwrap();
        let ms = p
            .parse(b"servers.web01.cpu.idle 98.5 1700000000\n", 0)
            .unwrap();
        assert_eq!(ms[0].name, "cpu");
        assert_eq!(ms[0].tag("host"), Some("web01"));
        assert_eq!(ms[0].field("idle"), Some(&Value::Float(98.5)));
        assert_eq!(ms[0].time, 1_700_000_000_000_000_000);
        let ms = p.parse(b"stats.h1.req.count 3\n", 9).unwrap();
        assert_eq!(ms[0].name, "req_count");
        assert_eq!(ms[0].tag("region"), Some("us"));
        assert_eq!(ms[0].time, 9);
        let d = GraphiteParser::new(".", &[]).unwrap();
        assert_eq!(d.parse(b"a.b.c 1", 0).unwrap()[0].name, "a.b.c");
        assert!(d.parse(b"a.b.c x", 0).is_err());
    }

    proptest! {
        #[test]
        fn never_panics(s in ".{0,64}") {
            let _ = GraphiteParser::new(".", &["a.* host.measurement*".into()]).unwrap().parse(s.as_bytes(), 0);
        }
    }
}
