//! `processors.date`: adds the metric time, formatted, as a tag or field.

use serde::Deserialize;

use crate::config::{ConfigError, Dur, PluginOptions};
use crate::metric::{Metric, Value};
use crate::plugin::{PluginSpec, Processor};

/// Registry entry.
pub const SPEC: PluginSpec<dyn Processor> = PluginSpec {
    name: "date",
    description: "Dates measurements, tags, and fields that pass through this filter.",
    sample: SAMPLE_CONFIG,
    data_format: false,
    build,
};

/// Sample configuration.
pub const SAMPLE_CONFIG: &str = r#"[[processors.date]]
  ## New tag to create
  tag_key = "month"

  ## New field to create (cannot set both field_key and tag_key)
  # field_key = "month"

  ## Date format string, must be a representation of the Go "reference time"
  ## which is "Mon Jan 2 15:04:05 -0700 MST 2006".
  date_format = "Jan"

  ## If destination is a field, date format can also be one of
  ## "unix", "unix_ms", "unix_us", or "unix_ns", which will insert an integer field.
  # date_format = "unix"

  ## Offset duration added to the date string when writing the new tag.
  # date_offset = "0s"

  ## Timezone to use when creating the tag or field (only UTC supported).
  # timezone = "UTC"
"#;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct DateConfig {
    tag_key: Option<String>,
    field_key: Option<String>,
    date_format: String,
    date_offset: Dur,
    timezone: Option<String>,
}

fn build(o: &PluginOptions) -> Result<Box<dyn Processor>, ConfigError> {
    let c: DateConfig = o.parse()?;
    if c.tag_key.is_some() == c.field_key.is_some() {
        return Err(o.invalid_option("tag_key", "exactly one of tag_key or field_key must be set"));
    }
    if c.date_format.is_empty() {
        return Err(o.invalid_option("date_format", "date_format is required"));
    }
    if c.timezone
        .as_deref()
        .is_some_and(|t| !matches!(t, "UTC" | "" | "utc"))
    {
        return Err(o.not_supported("timezone other than UTC"));
    }
    if c.tag_key.is_some() && c.date_format.starts_with("unix") {
        return Err(o.invalid_option("date_format", "unix formats need field_key"));
    }
    Ok(Box::new(Date(c)))
}

/// The date processor.
pub struct Date(DateConfig);

impl Processor for Date {
    fn apply(&mut self, mut metrics: Vec<Metric>) -> Vec<Metric> {
        let off = self.0.date_offset.0.as_nanos() as i64;
        for m in metrics.iter_mut() {
            let t = m.time.saturating_add(off);
            let v = match self.0.date_format.as_str() {
                "unix" => Value::Int(t.div_euclid(1_000_000_000)),
                "unix_ms" => Value::Int(t.div_euclid(1_000_000)),
                "unix_us" => Value::Int(t.div_euclid(1_000)),
                "unix_ns" => Value::Int(t),
                f => Value::Str(crate::timefmt::format_layout(t, f)),
            };
            if let Some(k) = &self.0.tag_key {
                m.tags.insert(k.clone(), v.to_plain_string());
            } else if let Some(k) = &self.0.field_key {
                m.fields.insert(k.clone(), v);
            }
        }
        metrics
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_tag() {
        let mut c = crate::config::Config::default();
        c.add_text("t", SAMPLE_CONFIG, &Default::default()).unwrap();
        let p = &mut c.processors[0].plugin;
        // 2024-03-05T00:00:00Z
        let out = p
            .apply(vec![
                Metric::new("m", 1_709_596_800_000_000_000).with_field("v", 1i64)
            ])
            .pop()
            .unwrap();
        assert_eq!(out.tag("month"), Some("Mar"));
        let o = PluginOptions::from_toml(
            "processors",
            "date",
            "field_key = \"ts\"\ndate_format = \"unix\"",
        )
        .unwrap();
        let out = build(&o)
            .unwrap()
            .apply(vec![Metric::new("m", 5_000_000_000).with_field("v", 1i64)])
            .pop()
            .unwrap();
        assert_eq!(out.field("ts"), Some(&Value::Int(5)));
        assert!(build(
            &PluginOptions::from_toml("processors", "date", "date_format = \"Jan\"").unwrap()
        )
        .is_err());
    }
}
