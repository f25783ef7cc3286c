//! `aggregators.derivative`: per series, `(last - first) / Δ` of every numeric field over
//! the period, where Δ is the time difference in seconds or the difference of the
//! `variable` field. The last measurement is rolled over as the first of the next period
//! up to `max_roll_over` times, so quiet periods still yield a derivative.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;

use super::{out_metric, Tags};
use crate::config::{ConfigError, PluginOptions};
use crate::metric::{Metric, Value};
use crate::plugin::{Aggregator, PluginSpec};

/// Registry entry.
pub const SPEC: PluginSpec<dyn Aggregator> = PluginSpec {
    name: "derivative",
    description: "Calculates a derivative for every field.",
    sample: SAMPLE_CONFIG,
    data_format: false,
    build,
};

/// Sample configuration.
pub const SAMPLE_CONFIG: &str = r#"[[aggregators.derivative]]
  ## The period in which to flush the aggregator.
  period = "30s"

  ## Suffix to append for the resulting derivative field.
  # suffix = "_rate"

  ## Field to use as the denominator instead of the time difference in seconds;
  ## it is assumed to increase monotonically. Change `suffix` accordingly,
  ## e.g. "_by_packets_recv".
  # variable = ""

  ## Maximum number of roll-overs in case only one measurement is found during a period.
  # max_roll_over = 10
"#;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct DerivativeConfig {
    variable: String,
    suffix: String,
    max_roll_over: u32,
}

impl Default for DerivativeConfig {
    fn default() -> Self {
        DerivativeConfig {
            variable: String::new(),
            suffix: "_rate".into(),
            max_roll_over: 10,
        }
    }
}

fn build(o: &PluginOptions) -> Result<Box<dyn Aggregator>, ConfigError> {
    let c: DerivativeConfig = o.parse()?;
    Ok(Box::new(Derivative {
        variable: c.variable.trim().to_string(),
        suffix: c.suffix.trim().to_string(),
        max_roll_over: c.max_roll_over,
        series: HashMap::new(),
    }))
}

/// Numeric fields of one measurement and its time.
#[derive(Debug, Clone)]
struct Event {
    time: i64,
    fields: BTreeMap<String, f64>,
}

impl Event {
    fn from_metric(m: &Metric) -> Event {
        let mut e = Event {
            time: m.time,
            fields: BTreeMap::new(),
        };
        e.upsert(m);
        e
    }

    fn upsert(&mut self, m: &Metric) {
        for (k, v) in &m.fields {
            let f = match v {
                Value::Float(f) => *f,
                Value::Int(i) => *i as f64,
                Value::UInt(u) => *u as f64,
                Value::Bool(_) | Value::Str(_) => continue,
            };
            self.fields.insert(k.clone(), f);
        }
    }
}

/// State of one series: `last` is None while first and last are the same measurement.
#[derive(Debug)]
struct Series {
    name: String,
    tags: Tags,
    first: Event,
    last: Option<Event>,
    roll_over: u32,
}

/// The derivative aggregator.
pub struct Derivative {
    variable: String,
    suffix: String,
    max_roll_over: u32,
    series: HashMap<String, Series>,
}

impl Aggregator for Derivative {
    fn add(&mut self, m: &Metric) {
        let key = m.series_key();
        let Some(s) = self.series.get_mut(&key) else {
            self.series.insert(
                key,
                Series {
                    name: m.name.clone(),
                    tags: m.tags.clone(),
                    first: Event::from_metric(m),
                    last: None,
                    roll_over: 0,
                },
            );
            return;
        };
        let last_time = s.last.as_ref().map_or(s.first.time, |l| l.time);
        // earlier than the first: becomes the first (replacing a rolled-over one)
        if m.time < s.first.time {
            let old_first = std::mem::replace(&mut s.first, Event::from_metric(m));
            if s.last.is_none() {
                s.last = Some(old_first);
            }
            s.roll_over = 0;
        } else if m.time == s.first.time {
            s.first.upsert(m);
            s.roll_over = 0;
        }
        if m.time > last_time {
            s.last = Some(Event::from_metric(m));
            s.roll_over = 0;
        } else if m.time == last_time {
            if let Some(l) = s.last.as_mut() {
                l.upsert(m);
            }
            s.roll_over = 0;
        }
    }

    fn push(&mut self, now: i64, out: &mut Vec<Metric>) {
        let mut keys: Vec<&String> = self.series.keys().collect();
        keys.sort();
        for k in keys {
            let s = &self.series[k];
            let Some(last) = &s.last else {
                tracing::debug!(
                    "[aggregators.derivative] same first and last event for {:?}, skipping",
                    s.name
                );
                continue;
            };
            let denominator = if self.variable.is_empty() {
                (last.time - s.first.time) as f64 / 1e9
            } else {
                match (
                    s.first.fields.get(&self.variable),
                    last.fields.get(&self.variable),
                ) {
                    (Some(a), Some(b)) => b - a,
                    _ => {
                        tracing::warn!(
                            "[aggregators.derivative] did not find {:?} in the events of {:?}",
                            self.variable,
                            s.name
                        );
                        continue;
                    }
                }
            };
            if denominator == 0.0 || !denominator.is_finite() {
                continue;
            }
            let mut m = out_metric(&s.name, &s.tags, now);
            for (f, start) in &s.first.fields {
                if *f == self.variable {
                    continue;
                }
                if let Some(end) = last.fields.get(f) {
                    m.add_field(format!("{f}{}", self.suffix), (end - start) / denominator);
                }
            }
            if !m.fields.is_empty() {
                out.push(m);
            }
        }
    }

    fn reset(&mut self) {
        let max = self.max_roll_over;
        self.series.retain(|_, s| {
            if s.roll_over < max {
                if let Some(l) = s.last.take() {
                    s.first = l;
                }
                s.roll_over += 1;
                true
            } else {
                false
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agg(body: &str) -> Box<dyn Aggregator> {
        build(&PluginOptions::from_toml("aggregators", "derivative", body).unwrap()).unwrap()
    }

    fn test_metric(t: i64, v: f64) -> Metric {
        Metric::new("test", t * 1_000_000_000)
            .with_tag("h", "a")
            .with_field("value", v)
    }

    /// The 0..10..0 ramp sampled every 2 s, pushed every `period` samples.
    fn ramp(body: &str, period_samples: usize) -> Vec<f64> {
        let mut a = agg(body);
        let values = [0.0, 2.0, 4.0, 6.0, 8.0, 10.0, 8.0, 6.0, 4.0, 2.0, 0.0];
        let mut got = Vec::new();
        for chunk in values
            .iter()
            .enumerate()
            .collect::<Vec<_>>()
            .chunks(period_samples)
        {
            for (i, v) in chunk {
                a.add(&test_metric(2 * *i as i64, **v));
            }
            let mut out = Vec::new();
            a.push(0, &mut out);
            a.reset();
            got.extend(
                out.iter()
                    .filter_map(|m| m.field("value_rate").and_then(|v| v.as_f64())),
            );
        }
        got
    }

    #[test]
    fn time_derivative_without_and_with_roll_over() {
        // periods of 5 samples, no roll-over: (8-0)/8 and (2-10)/8, then the lone 0 is skipped
        assert_eq!(ramp("max_roll_over = 0", 5), vec![1.0, -1.0]);
        // one sample per period: nothing without roll-over ...
        assert!(ramp("max_roll_over = 0", 1).is_empty());
        // ... a derivative per step with it
        assert_eq!(
            ramp("max_roll_over = 1", 1),
            vec![1.0, 1.0, 1.0, 1.0, 1.0, -1.0, -1.0, -1.0, -1.0, -1.0]
        );
    }

    #[test]
    fn variable_and_suffix() {
        let mut a = agg("variable = \"packets_recv\"\nsuffix = \"_by_packets_recv\"");
        a.add(
            &Metric::new("net", 0)
                .with_field("bytes_recv", 15409i64)
                .with_field("packets_recv", 164i64)
                .with_field("up", true),
        );
        a.add(
            &Metric::new("net", 20_000_000_000)
                .with_field("bytes_recv", 73987i64)
                .with_field("packets_recv", 364i64),
        );
        let mut out = Vec::new();
        a.push(7, &mut out);
        assert_eq!(out.len(), 1);
        let m = &out[0];
        assert_eq!(m.time, 7);
        assert_eq!(m.fields.len(), 1, "{m:?}");
        let v = m
            .field("bytes_recv_by_packets_recv")
            .unwrap()
            .as_f64()
            .unwrap();
        assert!((v - 292.89).abs() < 0.01, "{v}");
    }

    #[test]
    fn roll_over_expires_and_earlier_metric_replaces_first() {
        let mut a = agg("max_roll_over = 2");
        a.add(&test_metric(10, 5.0));
        for _ in 0..3 {
            a.reset();
        }
        // rolled over twice, then dropped: a new metric starts fresh
        a.add(&test_metric(20, 9.0));
        let mut out = Vec::new();
        a.push(0, &mut out);
        assert!(out.is_empty());
        // an earlier timestamp becomes the first
        a.add(&test_metric(16, 1.0));
        a.push(0, &mut out);
        let v = out[0].field("value_rate").unwrap().as_f64().unwrap();
        assert_eq!(v, 2.0); // (9-1)/(20-16)
        assert!(
            build(&PluginOptions::from_toml("aggregators", "derivative", "x=1").unwrap()).is_err()
        );
    }
}
