//! `aggregators.histogram`: bucket counts per field, tag `le` (cumulative) or `gt`/`le`.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{out_metric, SeriesMap};
use crate::config::{ConfigError, PluginOptions};
use crate::metric::{Metric, Value};
use crate::plugin::{Aggregator, PluginSpec};

/// Registry entry.
pub const SPEC: PluginSpec<dyn Aggregator> = PluginSpec {
    name: "histogram",
    description: "Create aggregate histograms.",
    sample: SAMPLE_CONFIG,
    data_format: false,
    build,
};

/// Sample configuration.
pub const SAMPLE_CONFIG: &str = r#"[[aggregators.histogram]]
  ## The period in which to flush the aggregator.
  period = "30s"

  ## If true, the original metric will be dropped by the
  ## aggregator and will not get sent to the output plugins.
  drop_original = false

  ## If true, the histogram will be reset on flush instead
  ## of accumulating the results.
  reset = false

  ## Whether bucket values should be accumulated.
  cumulative = true

  ## Example config that aggregates all fields of the metric.
  [[aggregators.histogram.config]]
    ## Right borders of buckets (with +Inf implicitly added).
    buckets = [0.0, 15.6, 34.5, 49.1, 71.5, 80.5, 94.5, 100.0]
    ## The name of metric.
    measurement_name = "cpu"
"#;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct BucketConfig {
    buckets: Vec<f64>,
    measurement_name: String,
    #[serde(default)]
    fields: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct HistogramConfig {
    reset: bool,
    cumulative: bool,
    expiration_interval: Option<crate::config::Dur>,
    push_only_on_update: bool,
    config: Vec<BucketConfig>,
}

impl Default for HistogramConfig {
    fn default() -> Self {
        HistogramConfig {
            reset: false,
            cumulative: true,
            expiration_interval: None,
            push_only_on_update: false,
            config: vec![],
        }
    }
}

fn build(o: &PluginOptions) -> Result<Box<dyn Aggregator>, ConfigError> {
    let c: HistogramConfig = o.parse()?;
    let mut cfgs = c.config;
    for b in cfgs.iter_mut() {
        b.buckets.sort_by(|a, b| a.total_cmp(b));
        b.buckets.dedup();
    }
    Ok(Box::new(Histogram {
        reset: c.reset,
        cumulative: c.cumulative,
        cfgs,
        series: SeriesMap::default(),
    }))
}

/// The histogram aggregator.
pub struct Histogram {
    reset: bool,
    cumulative: bool,
    cfgs: Vec<BucketConfig>,
    series: SeriesMap<BTreeMap<String, Buckets>>,
}

/// Bucket bounds and counts of one field.
type Buckets = (Vec<f64>, Vec<i64>);

fn fmt_bound(f: f64) -> String {
    if f.is_infinite() {
        "+Inf".into()
    } else {
        f.to_string()
    }
}

impl Aggregator for Histogram {
    fn add(&mut self, m: &Metric) {
        let Some(cfg) = self.cfgs.iter().find(|c| c.measurement_name == m.name) else {
            return;
        };
        let buckets = cfg.buckets.clone();
        let fields = cfg.fields.clone();
        let e = self.series.entry(m);
        for (k, v) in &m.fields {
            if !fields.is_empty() && !fields.contains(k) {
                continue;
            }
            if matches!(v, Value::Str(_)) {
                continue;
            }
            let Some(f) = v.as_f64() else { continue };
            let st = e
                .entry(k.clone())
                .or_insert_with(|| (buckets.clone(), vec![0; buckets.len() + 1]));
            let idx = st.0.iter().position(|b| f <= *b).unwrap_or(st.0.len());
            st.1[idx] += 1;
        }
    }
    fn push(&mut self, now: i64, out: &mut Vec<Metric>) {
        for (name, tags, fields) in self.series.iter() {
            for (k, (bounds, counts)) in fields {
                let mut acc = 0;
                for (i, c) in counts.iter().enumerate() {
                    let upper = bounds.get(i).copied().unwrap_or(f64::INFINITY);
                    let mut m = out_metric(name, tags, now);
                    if self.cumulative {
                        acc += c;
                        m.add_tag("le", fmt_bound(upper));
                        m.add_field(format!("{k}_bucket"), acc);
                    } else {
                        let lower = if i == 0 {
                            f64::NEG_INFINITY
                        } else {
                            bounds[i - 1]
                        };
                        m.add_tag(
                            "gt",
                            if lower.is_infinite() {
                                "-Inf".into()
                            } else {
                                lower.to_string()
                            },
                        );
                        m.add_tag("le", fmt_bound(upper));
                        m.add_field(format!("{k}_bucket"), *c);
                    }
                    out.push(m);
                }
            }
        }
    }
    fn reset(&mut self) {
        if self.reset {
            self.series.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cumulative_buckets() {
        let o = PluginOptions::from_toml("aggregators", "histogram", "[[aggregators.histogram.config]]\nbuckets = [10.0, 50.0]\nmeasurement_name = \"cpu\"\nfields = [\"v\"]").unwrap();
        let mut a = build(&o).unwrap();
        for v in [5.0, 20.0, 30.0, 99.0] {
            a.add(
                &Metric::new("cpu", 0)
                    .with_field("v", v)
                    .with_field("w", 1.0),
            );
        }
        a.add(&Metric::new("mem", 0).with_field("v", 1.0));
        let mut out = Vec::new();
        a.push(1, &mut out);
        assert_eq!(out.len(), 3);
        assert_eq!(out[0].tag("le"), Some("10"));
        assert_eq!(out[0].field("v_bucket"), Some(&Value::Int(1)));
        assert_eq!(out[1].field("v_bucket"), Some(&Value::Int(3)));
        assert_eq!(out[2].tag("le"), Some("+Inf"));
        assert_eq!(out[2].field("v_bucket"), Some(&Value::Int(4)));
        a.reset();
        let mut again = Vec::new();
        a.push(2, &mut again);
        assert_eq!(again.len(), 3, "reset = false keeps counting");
    }
}
