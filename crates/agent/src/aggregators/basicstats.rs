//! `aggregators.basicstats`: count, min, max, mean, stdev, s2, sum, diff, rate, ... per field.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{out_metric, SeriesMap};
use crate::config::{ConfigError, PluginOptions};
use crate::metric::Metric;
use crate::plugin::{Aggregator, PluginSpec};

/// Registry entry.
pub const SPEC: PluginSpec<dyn Aggregator> = PluginSpec {
    name: "basicstats",
    description: "Keep the aggregate basicstats of each metric passing through.",
    sample: SAMPLE_CONFIG,
    data_format: false,
    build,
};

/// Sample configuration.
pub const SAMPLE_CONFIG: &str = r#"[[aggregators.basicstats]]
  ## The period on which to flush & clear the aggregator.
  period = "30s"

  ## If true, the original metric will be dropped by the
  ## aggregator and will not get sent to the output plugins.
  drop_original = false

  ## Configures which basic stats to push as fields
  # stats = ["count","diff","rate","min","max","mean","non_negative_diff","non_negative_rate","percent_change","stdev","s2","sum","interval","last","first"]
"#;

const ALL: &[&str] = &[
    "count",
    "min",
    "max",
    "mean",
    "stdev",
    "s2",
    "sum",
    "diff",
    "non_negative_diff",
    "rate",
    "non_negative_rate",
    "percent_change",
    "interval",
    "last",
    "first",
];

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct BasicStatsConfig {
    stats: Option<Vec<String>>,
}

fn build(o: &PluginOptions) -> Result<Box<dyn Aggregator>, ConfigError> {
    let c: BasicStatsConfig = o.parse()?;
    let stats = c.stats.unwrap_or_else(|| {
        ["count", "min", "max", "mean", "stdev", "s2"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    });
    for s in &stats {
        if !ALL.contains(&s.as_str()) {
            return Err(o.invalid_option("stats", format!("unknown stat {s:?}")));
        }
    }
    Ok(Box::new(BasicStats {
        stats,
        series: SeriesMap::default(),
    }))
}

/// Running statistics of one field (Welford).
#[derive(Debug, Clone, Default)]
pub struct FieldStats {
    count: f64,
    min: f64,
    max: f64,
    mean: f64,
    m2: f64,
    sum: f64,
    first: f64,
    last: f64,
    first_t: i64,
    last_t: i64,
}

impl FieldStats {
    fn add(&mut self, v: f64, t: i64) {
        if self.count == 0.0 {
            *self = FieldStats {
                count: 1.0,
                min: v,
                max: v,
                mean: v,
                m2: 0.0,
                sum: v,
                first: v,
                last: v,
                first_t: t,
                last_t: t,
            };
            return;
        }
        self.count += 1.0;
        self.min = self.min.min(v);
        self.max = self.max.max(v);
        let d = v - self.mean;
        self.mean += d / self.count;
        self.m2 += d * (v - self.mean);
        self.sum += v;
        self.last = v;
        self.last_t = t;
    }
}

/// The basicstats aggregator.
pub struct BasicStats {
    stats: Vec<String>,
    series: SeriesMap<BTreeMap<String, FieldStats>>,
}

impl Aggregator for BasicStats {
    fn add(&mut self, m: &Metric) {
        let e = self.series.entry(m);
        for (k, v) in &m.fields {
            if let (Some(f), false) = (v.as_f64(), matches!(v, crate::metric::Value::Str(_))) {
                e.entry(k.clone()).or_default().add(f, m.time);
            }
        }
    }

    fn push(&mut self, now: i64, out: &mut Vec<Metric>) {
        for (name, tags, fields) in self.series.iter() {
            let mut m = out_metric(name, tags, now);
            for (k, s) in fields {
                let var = if s.count > 1.0 {
                    s.m2 / (s.count - 1.0)
                } else {
                    0.0
                };
                let interval = (s.last_t - s.first_t) as f64 / 1e9;
                let diff = s.last - s.first;
                for st in &self.stats {
                    let v = match st.as_str() {
                        "count" => Some(s.count),
                        "min" => Some(s.min),
                        "max" => Some(s.max),
                        "mean" => Some(s.mean),
                        "sum" => Some(s.sum),
                        "s2" => (s.count > 1.0).then_some(var),
                        "stdev" => (s.count > 1.0).then(|| var.sqrt()),
                        "diff" => (s.count > 1.0).then_some(diff),
                        "non_negative_diff" => (s.count > 1.0 && diff >= 0.0).then_some(diff),
                        "rate" => (s.count > 1.0 && interval > 0.0).then(|| diff / interval),
                        "non_negative_rate" => (s.count > 1.0 && interval > 0.0 && diff >= 0.0)
                            .then(|| diff / interval),
                        "percent_change" => {
                            (s.count > 1.0 && s.first != 0.0).then(|| diff / s.first * 100.0)
                        }
                        "interval" => (s.count > 1.0).then_some((s.last_t - s.first_t) as f64),
                        "last" => Some(s.last),
                        "first" => Some(s.first),
                        _ => None,
                    };
                    if let Some(v) = v {
                        if st == "interval" {
                            m.add_field(format!("{k}_{st}"), v as i64);
                        } else {
                            m.add_field(format!("{k}_{st}"), v);
                        }
                    }
                }
            }
            if !m.fields.is_empty() {
                out.push(m);
            }
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
    fn stats() {
        let o = PluginOptions::from_toml(
            "aggregators",
            "basicstats",
            "stats = [\"count\",\"min\",\"max\",\"mean\",\"stdev\",\"sum\",\"rate\",\"last\"]",
        )
        .unwrap();
        let mut a = build(&o).unwrap();
        for (i, v) in [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0].iter().enumerate() {
            a.add(
                &Metric::new("m", i as i64 * 1_000_000_000)
                    .with_tag("h", "a")
                    .with_field("v", *v)
                    .with_field("s", "x"),
            );
        }
        let mut out = Vec::new();
        a.push(99, &mut out);
        let m = &out[0];
        assert_eq!(m.tag("h"), Some("a"));
        assert_eq!(m.field("v_count"), Some(&Value::Float(8.0)));
        assert_eq!(m.field("v_min"), Some(&Value::Float(2.0)));
        assert_eq!(m.field("v_max"), Some(&Value::Float(9.0)));
        assert_eq!(m.field("v_mean"), Some(&Value::Float(5.0)));
        assert_eq!(m.field("v_sum"), Some(&Value::Float(40.0)));
        assert_eq!(m.field("v_last"), Some(&Value::Float(9.0)));
        assert_eq!(m.field("v_rate"), Some(&Value::Float(1.0)));
        let sd = m.field("v_stdev").and_then(Value::as_f64).unwrap();
        assert!((sd - 2.138089935).abs() < 1e-6);
        assert!(m.field("s_count").is_none());
        a.reset();
        let mut out = Vec::new();
        a.push(99, &mut out);
        assert!(out.is_empty());
        assert!(build(
            &PluginOptions::from_toml("aggregators", "basicstats", "stats = [\"median\"]").unwrap()
        )
        .is_err());
    }
}
