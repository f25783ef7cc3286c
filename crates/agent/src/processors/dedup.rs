//! `processors.dedup`: drops fields whose value did not change within `dedup_interval`.

use std::collections::HashMap;

use serde::Deserialize;

use crate::config::{ConfigError, Dur, PluginOptions};
use crate::metric::{Metric, Value};
use crate::plugin::{PluginSpec, Processor};

/// Registry entry.
pub const SPEC: PluginSpec<dyn Processor> = PluginSpec {
    name: "dedup",
    description: "Filter metrics with repeating field values",
    sample: SAMPLE_CONFIG,
    data_format: false,
    build,
};

/// Sample configuration.
pub const SAMPLE_CONFIG: &str = r#"[[processors.dedup]]
  ## Maximum time to suppress output
  dedup_interval = "600s"
"#;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct DedupConfig {
    dedup_interval: Dur,
}

impl Default for DedupConfig {
    fn default() -> Self {
        DedupConfig {
            dedup_interval: Dur(std::time::Duration::from_secs(600)),
        }
    }
}

fn build(o: &PluginOptions) -> Result<Box<dyn Processor>, ConfigError> {
    let c: DedupConfig = o.parse()?;
    Ok(Box::new(Dedup {
        interval_ns: c.dedup_interval.0.as_nanos() as i64,
        cache: HashMap::new(),
    }))
}

/// The dedup processor; state is keyed by series and field, times are metric times.
pub struct Dedup {
    interval_ns: i64,
    cache: HashMap<String, (Value, i64)>,
}

impl Processor for Dedup {
    fn apply(&mut self, metrics: Vec<Metric>) -> Vec<Metric> {
        let mut out = Vec::with_capacity(metrics.len());
        for mut m in metrics {
            let sk = m.series_key();
            let interval = self.interval_ns;
            let cache = &mut self.cache;
            m.fields.retain(|k, v| {
                let key = format!("{sk}\u{1}{k}");
                match cache.get(&key) {
                    Some((last, t)) if last == v && m.time - *t < interval => false,
                    _ => {
                        cache.insert(key, (v.clone(), m.time));
                        true
                    }
                }
            });
            if !m.fields.is_empty() {
                out.push(m);
            }
        }
        // bound memory: forget entries far older than the interval
        if self.cache.len() > 100_000 {
            let newest = self.cache.values().map(|(_, t)| *t).max().unwrap_or(0);
            let interval = self.interval_ns;
            self.cache.retain(|_, (_, t)| newest - *t < interval);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dedups() {
        let o =
            PluginOptions::from_toml("processors", "dedup", "dedup_interval = \"10s\"").unwrap();
        let mut p = build(&o).unwrap();
        let s = 1_000_000_000i64;
        let m = |t: i64, a: i64, b: i64| {
            Metric::new("m", t * s)
                .with_field("a", a)
                .with_field("b", b)
        };
        assert_eq!(p.apply(vec![m(0, 1, 1)]).len(), 1);
        let out = p.apply(vec![m(1, 1, 2)]);
        assert_eq!(out[0].fields.len(), 1, "only b changed");
        assert!(p.apply(vec![m(2, 1, 2)]).is_empty());
        assert_eq!(
            p.apply(vec![m(20, 1, 2)])[0].fields.len(),
            2,
            "interval elapsed"
        );
    }
}
