//! `data_format = "graphite"`: `prefix.host.tags.measurement.field value seconds`.

use super::Serializer;
use crate::metric::{Metric, Value};

/// Graphite serializer; default template `host.tags.measurement.field`.
#[derive(Debug, Clone)]
pub struct GraphiteSerializer {
    prefix: String,
    template: String,
    tag_support: bool,
    separator: String,
}

impl GraphiteSerializer {
    /// New serializer.
    pub fn new(
        prefix: String,
        template: Option<String>,
        tag_support: bool,
        separator: String,
    ) -> Self {
        GraphiteSerializer {
            prefix,
            template: template
                .filter(|t| !t.is_empty())
                .unwrap_or_else(|| "host.tags.measurement.field".into()),
            tag_support,
            separator,
        }
    }
}

fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            ' ' | '/' | '@' | '*' | '(' | ')' | '%' | ',' | '"' | '=' | '\\' => '_',
            '.' => '_',
            c => c,
        })
        .collect()
}

fn num(v: &Value) -> Option<String> {
    match v {
        Value::Float(f) if f.is_finite() => Some(f.to_string()),
        Value::Int(i) => Some(i.to_string()),
        Value::UInt(u) => Some(u.to_string()),
        Value::Bool(b) => Some(if *b { "1".into() } else { "0".into() }),
        _ => None,
    }
}

impl Serializer for GraphiteSerializer {
    fn serialize(&self, metrics: &[Metric], out: &mut Vec<u8>) {
        for m in metrics {
            let secs = m.time.div_euclid(1_000_000_000);
            for (f, v) in &m.fields {
                let Some(val) = num(v) else { continue };
                let line = if self.tag_support {
                    let mut path = vec![sanitize(&m.name)];
                    if f != "value" {
                        path.push(sanitize(f));
                    }
                    let mut s = String::new();
                    if !self.prefix.is_empty() {
                        s.push_str(&self.prefix);
                        s.push_str(&self.separator);
                    }
                    s.push_str(&path.join(&self.separator));
                    for (k, tv) in &m.tags {
                        s.push_str(&format!(";{}={}", sanitize(k), sanitize(tv)));
                    }
                    s
                } else {
                    let mut parts: Vec<String> = Vec::new();
                    if !self.prefix.is_empty() {
                        parts.push(self.prefix.clone());
                    }
                    for t in self.template.split('.') {
                        match t {
                            "host" => {
                                if let Some(h) = m.tag("host") {
                                    parts.push(sanitize(h));
                                }
                            }
                            "tags" => parts.extend(
                                m.tags
                                    .iter()
                                    .filter(|(k, _)| *k != "host")
                                    .map(|(_, v)| sanitize(v)),
                            ),
                            "measurement" => parts.push(sanitize(&m.name)),
                            "field" => {
                                if f != "value" {
                                    parts.push(sanitize(f));
                                }
                            }
                            tag => {
                                if let Some(v) = m.tag(tag) {
                                    parts.push(sanitize(v));
                                }
                            }
                        }
                    }
                    parts.join(&self.separator)
                };
                out.extend_from_slice(format!("{line} {val} {secs}\n").as_bytes());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_template() {
        let s = GraphiteSerializer::new(String::new(), None, false, ".".into());
        let m = [Metric::new("cpu", 2_000_000_000)
            .with_tag("host", "h.1")
            .with_tag("cpu", "cpu0")
            .with_field("usage_idle", 98.0)
            .with_field("s", "str")];
        let mut out = Vec::new();
        s.serialize(&m, &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "h_1.cpu0.cpu.usage_idle 98 2\n"
        );
        let t = GraphiteSerializer::new("p".into(), None, true, ".".into());
        let mut out = Vec::new();
        t.serialize(&m, &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "p.cpu.usage_idle;cpu=cpu0;host=h_1 98 2\n"
        );
    }
}
