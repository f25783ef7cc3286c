//! `aggregators.final`: emits the last value of each field per series (`<field>_final`).

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{out_metric, SeriesMap};
use crate::config::{ConfigError, Dur, PluginOptions};
use crate::metric::{Metric, Value};
use crate::plugin::{Aggregator, PluginSpec};

/// Registry entry.
pub const SPEC: PluginSpec<dyn Aggregator> = PluginSpec {
    name: "final",
    description: "Report the final metric of a series",
    sample: SAMPLE_CONFIG,
    data_format: false,
    build,
};

/// Sample configuration.
pub const SAMPLE_CONFIG: &str = r#"[[aggregators.final]]
  ## The period on which to flush & clear the aggregator.
  period = "30s"
  ## If true, the original metric will be dropped by the
  ## aggregator and will not get sent to the output plugins.
  drop_original = false

  ## If false, _final is added to every field name
  # keep_original_field_names = false

  ## Output strategy: "periodic" (emit every period) is supported; "timeout" is not.
  output_strategy = "periodic"
"#;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct FinalConfig {
    keep_original_field_names: bool,
    output_strategy: Option<String>,
    series_timeout: Option<Dur>,
}

fn build(o: &PluginOptions) -> Result<Box<dyn Aggregator>, ConfigError> {
    let c: FinalConfig = o.parse()?;
    if c.output_strategy.as_deref().unwrap_or("timeout") != "periodic" {
        return Err(
            o.not_supported("output_strategy = \"timeout\" (set output_strategy = \"periodic\")")
        );
    }
    let _ = c.series_timeout;
    Ok(Box::new(Final {
        keep: c.keep_original_field_names,
        series: SeriesMap::default(),
    }))
}

/// The final aggregator.
pub struct Final {
    keep: bool,
    series: SeriesMap<(BTreeMap<String, Value>, i64)>,
}

impl Aggregator for Final {
    fn add(&mut self, m: &Metric) {
        let e = self.series.entry(m);
        for (k, v) in &m.fields {
            e.0.insert(k.clone(), v.clone());
        }
        e.1 = e.1.max(m.time);
    }
    fn push(&mut self, _now: i64, out: &mut Vec<Metric>) {
        for (name, tags, (fields, t)) in self.series.iter() {
            let mut m = out_metric(name, tags, *t);
            for (k, v) in fields {
                let key = if self.keep {
                    k.clone()
                } else {
                    format!("{k}_final")
                };
                m.fields.insert(key, v.clone());
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

    #[test]
    fn last_values() {
        let mut a = build(
            &PluginOptions::from_toml("aggregators", "final", "output_strategy = \"periodic\"")
                .unwrap(),
        )
        .unwrap();
        a.add(&Metric::new("m", 1).with_field("v", 1i64));
        a.add(&Metric::new("m", 2).with_field("v", 2i64));
        let mut out = Vec::new();
        a.push(9, &mut out);
        assert_eq!(out[0].field("v_final"), Some(&Value::Int(2)));
        assert_eq!(out[0].time, 2);
        assert!(build(&PluginOptions::from_toml("aggregators", "final", "").unwrap()).is_err());
    }
}
