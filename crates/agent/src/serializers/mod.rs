//! Serializers selected with `data_format` on outputs.

mod carbon2;
mod csv;
mod graphite;
mod json;
mod prometheus;

use serde::Deserialize;

use crate::metric::Metric;

pub use self::carbon2::Carbon2Serializer;
pub use self::csv::CsvSerializer;
pub use self::graphite::GraphiteSerializer;
pub use self::json::JsonSerializer;
pub use self::prometheus::{render as prometheus_render, PrometheusSerializer};

/// Turns metrics into bytes.
pub trait Serializer: Send + Sync {
    /// Appends the metrics (a whole batch) to `out`.
    fn serialize(&self, metrics: &[Metric], out: &mut Vec<u8>);
    /// HTTP content type of the output.
    fn content_type(&self) -> &'static str {
        "text/plain; charset=utf-8"
    }
}

/// `data_format = "influx"`: line protocol.
#[derive(Debug, Clone, Default)]
pub struct InfluxSerializer {
    /// Write unsigned integers with the `u` suffix (otherwise as signed, clamped).
    pub uint_support: bool,
}

impl Serializer for InfluxSerializer {
    fn serialize(&self, metrics: &[Metric], out: &mut Vec<u8>) {
        let mut s = String::new();
        for m in metrics {
            if self.uint_support {
                m.write_line_protocol(&mut s, 1);
            } else {
                let mut m2 = m.clone();
                for v in m2.fields.values_mut() {
                    if let crate::metric::Value::UInt(u) = v {
                        *v = crate::metric::Value::Int(i64::try_from(*u).unwrap_or(i64::MAX));
                    }
                }
                m2.write_line_protocol(&mut s, 1);
            }
        }
        out.extend_from_slice(s.as_bytes());
    }
}

/// Options of every serializer.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SerializerConfig {
    /// `influx`, `json`, `graphite`, `csv`, `prometheus`, `carbon2`.
    pub data_format: Option<String>,
    /// `influx`: sort fields (always sorted here).
    pub influx_sort_fields: Option<bool>,
    /// `influx`: write unsigned integers with `u`.
    pub influx_uint_support: Option<bool>,
    /// `influx`: max line length (accepted).
    pub influx_max_line_bytes: Option<u64>,
    /// `influx`: omit timestamps (accepted when false).
    pub influx_omit_timestamp: Option<bool>,
    /// `json`: timestamp unit (`1s`, `1ms`, `1us`, `1ns`).
    pub json_timestamp_units: Option<crate::config::Dur>,
    /// `json`: Go layout for the timestamp instead of a number.
    pub json_timestamp_format: Option<String>,
    /// `json`: transformation (not supported).
    pub json_transformation: Option<String>,
    /// `json`: fields to decode as nested JSON (accepted).
    pub json_nested_fields_include: Vec<String>,
    /// `json`: fields excluded from nested decoding (accepted).
    pub json_nested_fields_exclude: Vec<String>,
    /// `graphite`: prefix.
    pub prefix: Option<String>,
    /// `graphite`: template.
    pub template: Option<String>,
    /// `graphite`: templates per filter (first matching filter wins).
    pub templates: Vec<String>,
    /// `graphite`: use tags (`a.b;tag=v`).
    pub graphite_tag_support: Option<bool>,
    /// `graphite`: sanitize mode (accepted).
    pub graphite_tag_sanitize_mode: Option<String>,
    /// `graphite`: separator.
    pub graphite_separator: Option<String>,
    /// `graphite`: strict regex (accepted).
    pub graphite_strict_sanitize_regex: Option<String>,
    /// `carbon2`: `field_separate` or `metric_includes_field`.
    pub carbon2_format: Option<String>,
    /// `carbon2`: replacement for invalid characters.
    pub carbon2_sanitize_replace_char: Option<String>,
    /// `csv`: timestamp format.
    pub csv_timestamp_format: Option<String>,
    /// `csv`: separator.
    pub csv_separator: Option<String>,
    /// `csv`: write a header row.
    pub csv_header: Option<bool>,
    /// `csv`: prefix tag/field column names.
    pub csv_column_prefix: Option<bool>,
    /// `prometheus`: export timestamps.
    pub prometheus_export_timestamp: Option<bool>,
    /// `prometheus`: sort output.
    pub prometheus_sort_metrics: Option<bool>,
    /// `prometheus`: string fields as labels.
    pub prometheus_string_as_label: Option<bool>,
    /// `prometheus`: omit HELP lines.
    pub prometheus_compact_encoding: Option<bool>,
    /// Serialize a batch as one document (json: `{"metrics":[...]}`).
    pub use_batch_format: Option<bool>,
}

/// Keys of [`SerializerConfig`].
pub const SERIALIZER_KEYS: &[&str] = &[
    "data_format",
    "influx_sort_fields",
    "influx_uint_support",
    "influx_max_line_bytes",
    "influx_omit_timestamp",
    "json_timestamp_units",
    "json_timestamp_format",
    "json_transformation",
    "json_nested_fields_include",
    "json_nested_fields_exclude",
    "prefix",
    "template",
    "templates",
    "graphite_tag_support",
    "graphite_tag_sanitize_mode",
    "graphite_separator",
    "graphite_strict_sanitize_regex",
    "carbon2_format",
    "carbon2_sanitize_replace_char",
    "csv_timestamp_format",
    "csv_separator",
    "csv_header",
    "csv_column_prefix",
    "prometheus_export_timestamp",
    "prometheus_sort_metrics",
    "prometheus_string_as_label",
    "prometheus_compact_encoding",
    "use_batch_format",
];

/// Builds the serializer a config selects.
pub fn build(c: &SerializerConfig) -> Result<Box<dyn Serializer>, String> {
    let fmt = c.data_format.as_deref().unwrap_or("influx");
    Ok(match fmt {
        "influx" => {
            if c.influx_omit_timestamp == Some(true) {
                return Err("not supported yet: influx_omit_timestamp".into());
            }
            Box::new(InfluxSerializer {
                uint_support: c.influx_uint_support.unwrap_or(false),
            })
        }
        "json" => {
            if c.json_transformation
                .as_deref()
                .is_some_and(|t| !t.is_empty())
            {
                return Err("not supported yet: json_transformation".into());
            }
            Box::new(JsonSerializer {
                units_ns: c
                    .json_timestamp_units
                    .map(|d| d.0.as_nanos() as i64)
                    .filter(|n| *n > 0)
                    .unwrap_or(1_000_000_000),
                time_format: c.json_timestamp_format.clone().filter(|s| !s.is_empty()),
                batch: c.use_batch_format.unwrap_or(false),
            })
        }
        "graphite" => Box::new(GraphiteSerializer::new(
            c.prefix.clone().unwrap_or_default(),
            c.template.clone(),
            c.graphite_tag_support.unwrap_or(false),
            c.graphite_separator.clone().unwrap_or_else(|| ".".into()),
        )),
        "carbon2" => Box::new(Carbon2Serializer::new(
            c.carbon2_format.as_deref().unwrap_or("field_separate"),
            c.carbon2_sanitize_replace_char.as_deref().unwrap_or(":"),
        )?),
        "csv" => Box::new(CsvSerializer {
            timestamp_format: c
                .csv_timestamp_format
                .clone()
                .unwrap_or_else(|| "unix".into()),
            separator: c.csv_separator.clone().unwrap_or_else(|| ",".into()),
            header: c.csv_header.unwrap_or(false),
            prefix: c.csv_column_prefix.unwrap_or(false),
        }),
        "prometheus" => Box::new(PrometheusSerializer {
            export_timestamp: c.prometheus_export_timestamp.unwrap_or(false),
            string_as_label: c.prometheus_string_as_label.unwrap_or(false),
        }),
        "msgpack"
        | "splunkmetric"
        | "wavefront"
        | "nowmetric"
        | "cloudevents"
        | "template"
        | "binary"
        | "prometheusremotewrite" => return Err(format!("not supported yet: data_format {fmt:?}")),
        other => return Err(format!("unknown data_format {other:?}")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metric::Metric;

    #[test]
    fn influx_uint() {
        let m = [Metric::new("m", 5).with_field("u", 3u64)];
        let mut out = Vec::new();
        InfluxSerializer {
            uint_support: false,
        }
        .serialize(&m, &mut out);
        assert_eq!(out, b"m u=3i 5\n");
        out.clear();
        InfluxSerializer { uint_support: true }.serialize(&m, &mut out);
        assert_eq!(out, b"m u=3u 5\n");
        assert!(build(&SerializerConfig {
            data_format: Some("nope".into()),
            ..Default::default()
        })
        .is_err());
    }
}
