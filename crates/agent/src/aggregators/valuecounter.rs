//! `aggregators.valuecounter`: counts occurrences of each value (`<field>_<value>`).

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{out_metric, SeriesMap};
use crate::config::{ConfigError, PluginOptions};
use crate::metric::Metric;
use crate::plugin::{Aggregator, PluginSpec};

/// Registry entry.
pub const SPEC: PluginSpec<dyn Aggregator> = PluginSpec {
    name: "valuecounter",
    description: "Count the occurrence of values in fields.",
    sample: SAMPLE_CONFIG,
    data_format: false,
    build,
};

/// Sample configuration.
pub const SAMPLE_CONFIG: &str = r#"[[aggregators.valuecounter]]
  ## General Aggregator Arguments:
  ## The period on which to flush & clear the aggregator.
  period = "30s"
  ## If true, the original metric will be dropped by the
  ## aggregator and will not get sent to the output plugins.
  drop_original = false
  ## The fields for which the values will be counted
  fields = ["status"]
"#;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct ValueCounterConfig {
    fields: Vec<String>,
}

fn build(o: &PluginOptions) -> Result<Box<dyn Aggregator>, ConfigError> {
    let c: ValueCounterConfig = o.parse()?;
    Ok(Box::new(ValueCounter {
        fields: c.fields,
        series: SeriesMap::default(),
    }))
}

/// The valuecounter aggregator.
pub struct ValueCounter {
    fields: Vec<String>,
    series: SeriesMap<BTreeMap<String, i64>>,
}

impl Aggregator for ValueCounter {
    fn add(&mut self, m: &Metric) {
        let fields = &self.fields;
        let e = self.series.entry(m);
        for f in fields {
            if let Some(v) = m.fields.get(f) {
                *e.entry(format!("{f}_{}", v.to_plain_string())).or_default() += 1;
            }
        }
    }
    fn push(&mut self, now: i64, out: &mut Vec<Metric>) {
        for (name, tags, counts) in self.series.iter() {
            if counts.is_empty() {
                continue;
            }
            let mut m = out_metric(name, tags, now);
            for (k, n) in counts {
                m.add_field(k.clone(), *n);
            }
            out.push(m);
        }
    }
    fn reset(&mut self) {
        self.series.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metric::Value;

    #[test]
    fn counts() {
        let mut a = build(
            &PluginOptions::from_toml("aggregators", "valuecounter", "fields = [\"status\"]")
                .unwrap(),
        )
        .unwrap();
        for s in [200i64, 200, 404] {
            a.add(&Metric::new("http", 0).with_field("status", s));
        }
        let mut out = Vec::new();
        a.push(1, &mut out);
        assert_eq!(out[0].field("status_200"), Some(&Value::Int(2)));
        assert_eq!(out[0].field("status_404"), Some(&Value::Int(1)));
    }
}
