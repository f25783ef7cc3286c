//! `data_format = "csv"`: `timestamp,measurement,<tag values>,<field values>`.

use super::Serializer;
use crate::metric::Metric;

/// CSV serializer.
#[derive(Debug, Clone)]
pub struct CsvSerializer {
    /// `unix`, `unix_ms`, `unix_us`, `unix_ns` or a Go layout.
    pub timestamp_format: String,
    /// Column separator.
    pub separator: String,
    /// Write a header before each batch.
    pub header: bool,
    /// Prefix columns with `tag_` / `field_`.
    pub prefix: bool,
}

fn quote(s: &str, sep: &str) -> String {
    if s.contains(sep) || s.contains('"') || s.contains('\n') {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

impl Serializer for CsvSerializer {
    fn serialize(&self, metrics: &[Metric], out: &mut Vec<u8>) {
        let sep = &self.separator;
        if self.header {
            if let Some(m) = metrics.first() {
                let mut cols = vec!["timestamp".to_string(), "measurement".to_string()];
                let (tp, fp) = if self.prefix {
                    ("tag_", "field_")
                } else {
                    ("", "")
                };
                cols.extend(m.tags.keys().map(|k| format!("{tp}{k}")));
                cols.extend(m.fields.keys().map(|k| format!("{fp}{k}")));
                out.extend_from_slice(cols.join(sep).as_bytes());
                out.push(b'\n');
            }
        }
        for m in metrics {
            let ts = match self.timestamp_format.as_str() {
                "unix" => (m.time.div_euclid(1_000_000_000)).to_string(),
                "unix_ms" => (m.time.div_euclid(1_000_000)).to_string(),
                "unix_us" => (m.time.div_euclid(1_000)).to_string(),
                "unix_ns" => m.time.to_string(),
                layout => crate::timefmt::format_layout(m.time, layout),
            };
            let mut cols = vec![quote(&ts, sep), quote(&m.name, sep)];
            cols.extend(m.tags.values().map(|v| quote(v, sep)));
            cols.extend(m.fields.values().map(|v| quote(&v.to_plain_string(), sep)));
            out.extend_from_slice(cols.join(sep).as_bytes());
            out.push(b'\n');
        }
    }
    fn content_type(&self) -> &'static str {
        "text/csv"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows() {
        let s = CsvSerializer {
            timestamp_format: "unix".into(),
            separator: ",".into(),
            header: true,
            prefix: false,
        };
        let m = [Metric::new("cpu", 3_000_000_000)
            .with_tag("host", "a,b")
            .with_field("v", 1i64)];
        let mut out = Vec::new();
        s.serialize(&m, &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "timestamp,measurement,host,v\n3,cpu,\"a,b\",1\n"
        );
    }
}
