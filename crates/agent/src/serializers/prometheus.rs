//! `data_format = "prometheus"`: text exposition; one sample per numeric field named
//! `<measurement>_<field>` (just `<measurement>` for fields named `value`, `counter`, `gauge`).

use std::collections::BTreeMap;

use super::Serializer;
use crate::metric::{Metric, MetricKind, Value};

/// Prometheus text serializer.
#[derive(Debug, Clone, Default)]
pub struct PrometheusSerializer {
    /// Append the timestamp (ms) to samples.
    pub export_timestamp: bool,
    /// String fields become labels.
    pub string_as_label: bool,
}

/// Makes a valid Prometheus metric/label name.
pub fn sanitize_name(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == ':' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.chars().next().is_some_and(|c| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

fn escape_label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Renders metrics as exposition text (families sorted by name).
pub fn render(metrics: &[Metric], export_timestamp: bool, string_as_label: bool) -> String {
    // family name → (type, lines)
    let mut fams: BTreeMap<String, (&'static str, Vec<String>)> = BTreeMap::new();
    for m in metrics {
        let mut labels = m.tags.clone();
        if string_as_label {
            for (k, v) in &m.fields {
                if let Value::Str(s) = v {
                    labels.insert(k.clone(), s.clone());
                }
            }
        }
        let label_str = if labels.is_empty() {
            String::new()
        } else {
            let parts: Vec<String> = labels
                .iter()
                .map(|(k, v)| format!("{}=\"{}\"", sanitize_name(k), escape_label(v)))
                .collect();
            format!("{{{}}}", parts.join(","))
        };
        for (f, v) in &m.fields {
            let Some(x) = (match v {
                Value::Str(_) => None,
                v => v.as_f64(),
            }) else {
                continue;
            };
            let name = if matches!(f.as_str(), "value" | "counter" | "gauge") {
                sanitize_name(&m.name)
            } else {
                sanitize_name(&format!("{}_{}", m.name, f))
            };
            let ty = match (m.kind, f.as_str()) {
                (MetricKind::Counter, _) | (_, "counter") => "counter",
                (MetricKind::Gauge, _) | (_, "gauge") => "gauge",
                _ => "untyped",
            };
            let mut line = format!("{name}{label_str} {x}");
            if export_timestamp {
                line.push_str(&format!(" {}", m.time / 1_000_000));
            }
            let e = fams.entry(name).or_insert((ty, Vec::new()));
            e.1.push(line);
        }
    }
    let mut out = String::new();
    for (name, (ty, lines)) in fams {
        out.push_str(&format!(
            "# HELP {name} Telegraf collected metric\n# TYPE {name} {ty}\n"
        ));
        for l in lines {
            out.push_str(&l);
            out.push('\n');
        }
    }
    out
}

impl Serializer for PrometheusSerializer {
    fn serialize(&self, metrics: &[Metric], out: &mut Vec<u8>) {
        out.extend_from_slice(
            render(metrics, self.export_timestamp, self.string_as_label).as_bytes(),
        );
    }
    fn content_type(&self) -> &'static str {
        "text/plain; version=0.0.4; charset=utf-8"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders() {
        let m = [Metric::new("cpu", 1_000_000)
            .with_tag("host", "a\"b")
            .with_field("usage_idle", 90.5)
            .with_field("s", "x")];
        let t = render(&m, true, false);
        assert!(t.contains("# TYPE cpu_usage_idle untyped\n"), "{t}");
        assert!(
            t.contains("cpu_usage_idle{host=\"a\\\"b\"} 90.5 1\n"),
            "{t}"
        );
        assert!(!t.contains("cpu_s"));
        assert_eq!(sanitize_name("a.b-c"), "a_b_c");
        assert_eq!(sanitize_name("1x"), "_1x");
    }
}
