//! `aggregators.quantile`: quantiles per field (`<field>_025`, `<field>_050`, ...).
//! All algorithms are computed exactly (R7 interpolation; `exact_R8` uses R8).

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{out_metric, SeriesMap};
use crate::config::{ConfigError, PluginOptions};
use crate::metric::{Metric, Value};
use crate::plugin::{Aggregator, PluginSpec};

/// Registry entry.
pub const SPEC: PluginSpec<dyn Aggregator> = PluginSpec {
    name: "quantile",
    description: "Keep the aggregate quantiles of each metric passing through.",
    sample: SAMPLE_CONFIG,
    data_format: false,
    build,
};

/// Sample configuration.
pub const SAMPLE_CONFIG: &str = r#"[[aggregators.quantile]]
  ## General Aggregator Arguments:
  ## The period on which to flush & clear the aggregator.
  period = "30s"

  ## If true, the original metric will be dropped by the
  ## aggregator and will not get sent to the output plugins.
  drop_original = false

  ## Quantiles to output in the range [0,1]
  # quantiles = [0.25, 0.5, 0.75]

  ## Type of aggregation algorithm: "t-digest", "exact_R7", "exact_R8"
  # algorithm = "t-digest"

  ## Compression for approximation (t-digest).
  # compression = 100.0
"#;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct QuantileConfig {
    quantiles: Vec<f64>,
    algorithm: String,
    compression: f64,
}

impl Default for QuantileConfig {
    fn default() -> Self {
        QuantileConfig {
            quantiles: vec![0.25, 0.5, 0.75],
            algorithm: "t-digest".into(),
            compression: 100.0,
        }
    }
}

fn build(o: &PluginOptions) -> Result<Box<dyn Aggregator>, ConfigError> {
    let c: QuantileConfig = o.parse()?;
    if c.quantiles.iter().any(|q| !(0.0..=1.0).contains(q)) {
        return Err(o.invalid_option("quantiles", "quantiles must be in [0,1]"));
    }
    let r8 = match c.algorithm.as_str() {
        "t-digest" | "exact_R7" => false,
        "exact_R8" => true,
        other => return Err(o.invalid_option("algorithm", format!("unknown algorithm {other:?}"))),
    };
    Ok(Box::new(Quantile {
        qs: c.quantiles,
        r8,
        series: SeriesMap::default(),
    }))
}

/// The quantile aggregator.
pub struct Quantile {
    qs: Vec<f64>,
    r8: bool,
    series: SeriesMap<BTreeMap<String, Vec<f64>>>,
}

/// Quantile of sorted data (R7 or R8 definition).
pub fn quantile(sorted: &[f64], q: f64, r8: bool) -> f64 {
    let n = sorted.len() as f64;
    if sorted.is_empty() {
        return f64::NAN;
    }
    let h = if r8 {
        (n + 1.0 / 3.0) * q + 1.0 / 3.0 - 1.0
    } else {
        (n - 1.0) * q
    };
    let h = h.clamp(0.0, n - 1.0);
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

impl Aggregator for Quantile {
    fn add(&mut self, m: &Metric) {
        let e = self.series.entry(m);
        for (k, v) in &m.fields {
            if matches!(v, Value::Str(_) | Value::Bool(_)) {
                continue;
            }
            if let Some(f) = v.as_f64() {
                e.entry(k.clone()).or_default().push(f);
            }
        }
    }
    fn push(&mut self, now: i64, out: &mut Vec<Metric>) {
        for (name, tags, fields) in self.series.iter() {
            let mut m = out_metric(name, tags, now);
            for (k, vals) in fields {
                let mut s = vals.clone();
                s.sort_by(|a, b| a.total_cmp(b));
                for q in &self.qs {
                    m.add_field(
                        format!("{k}_{:03}", (q * 100.0).round() as i64),
                        quantile(&s, *q, self.r8),
                    );
                }
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
    fn quantiles() {
        let mut a =
            build(&PluginOptions::from_toml("aggregators", "quantile", "").unwrap()).unwrap();
        for v in 1..=5 {
            a.add(&Metric::new("m", 0).with_field("v", v as f64));
        }
        let mut out = Vec::new();
        a.push(1, &mut out);
        assert_eq!(out[0].field("v_025"), Some(&Value::Float(2.0)));
        assert_eq!(out[0].field("v_050"), Some(&Value::Float(3.0)));
        assert_eq!(out[0].field("v_075"), Some(&Value::Float(4.0)));
        assert!(build(
            &PluginOptions::from_toml("aggregators", "quantile", "quantiles = [1.5]").unwrap()
        )
        .is_err());
    }
}
