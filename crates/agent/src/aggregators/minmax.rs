//! `aggregators.minmax`: `<field>_min` and `<field>_max` per series.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{out_metric, SeriesMap};
use crate::config::{ConfigError, PluginOptions};
use crate::metric::{Metric, Value};
use crate::plugin::{Aggregator, PluginSpec};

/// Registry entry.
pub const SPEC: PluginSpec<dyn Aggregator> = PluginSpec {
    name: "minmax",
    description: "Keep the aggregate min/max of each metric passing through.",
    sample: SAMPLE_CONFIG,
    data_format: false,
    build,
};

/// Sample configuration.
pub const SAMPLE_CONFIG: &str = r#"[[aggregators.minmax]]
  ## General Aggregator Arguments:
  ## The period on which to flush & clear the aggregator.
  period = "30s"
  ## If true, the original metric will be dropped by the
  ## aggregator and will not get sent to the output plugins.
  drop_original = false
"#;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MinMaxConfig {}

fn build(o: &PluginOptions) -> Result<Box<dyn Aggregator>, ConfigError> {
    let _: MinMaxConfig = o.parse()?;
    Ok(Box::new(MinMax {
        series: SeriesMap::default(),
    }))
}

/// The minmax aggregator.
pub struct MinMax {
    series: SeriesMap<BTreeMap<String, (f64, f64)>>,
}

impl Aggregator for MinMax {
    fn add(&mut self, m: &Metric) {
        let e = self.series.entry(m);
        for (k, v) in &m.fields {
            if matches!(v, Value::Str(_)) {
                continue;
            }
            if let Some(f) = v.as_f64() {
                let s = e.entry(k.clone()).or_insert((f, f));
                s.0 = s.0.min(f);
                s.1 = s.1.max(f);
            }
        }
    }
    fn push(&mut self, now: i64, out: &mut Vec<Metric>) {
        for (name, tags, fields) in self.series.iter() {
            let mut m = out_metric(name, tags, now);
            for (k, (lo, hi)) in fields {
                m.add_field(format!("{k}_min"), *lo);
                m.add_field(format!("{k}_max"), *hi);
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
    fn minmax() {
        let mut a = build(&PluginOptions::from_toml("aggregators", "minmax", "").unwrap()).unwrap();
        for v in [3i64, -1, 7] {
            a.add(&Metric::new("m", 0).with_field("v", v));
        }
        let mut out = Vec::new();
        a.push(1, &mut out);
        assert_eq!(out[0].field("v_min"), Some(&Value::Float(-1.0)));
        assert_eq!(out[0].field("v_max"), Some(&Value::Float(7.0)));
    }
}
