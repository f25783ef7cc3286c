//! `aggregators.merge`: merges metrics of the same series and timestamp into one.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::config::{ConfigError, PluginOptions};
use crate::metric::Metric;
use crate::plugin::{Aggregator, PluginSpec};

/// Registry entry.
pub const SPEC: PluginSpec<dyn Aggregator> = PluginSpec {
    name: "merge",
    description: "Merge metrics into multifield metrics by series key",
    sample: SAMPLE_CONFIG,
    data_format: false,
    build,
};

/// Sample configuration.
pub const SAMPLE_CONFIG: &str = r#"[[aggregators.merge]]
  ## If true, the original metric will be dropped by the
  ## aggregator and will not get sent to the output plugins.
  drop_original = true
"#;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct MergeConfig {
    round_timestamp_to: Option<crate::config::Dur>,
}

fn build(o: &PluginOptions) -> Result<Box<dyn Aggregator>, ConfigError> {
    let c: MergeConfig = o.parse()?;
    Ok(Box::new(Merge {
        round: c
            .round_timestamp_to
            .map(|d| d.0.as_nanos() as i64)
            .unwrap_or(0),
        merged: BTreeMap::new(),
    }))
}

/// The merge aggregator.
pub struct Merge {
    round: i64,
    merged: BTreeMap<(String, i64), Metric>,
}

impl Aggregator for Merge {
    fn add(&mut self, m: &Metric) {
        let t = if self.round > 0 {
            m.time.div_euclid(self.round) * self.round
        } else {
            m.time
        };
        let e = self.merged.entry((m.series_key(), t)).or_insert_with(|| {
            let mut x = m.clone();
            x.fields.clear();
            x.time = t;
            x
        });
        for (k, v) in &m.fields {
            e.fields.insert(k.clone(), v.clone());
        }
    }
    fn push(&mut self, _now: i64, out: &mut Vec<Metric>) {
        out.extend(self.merged.values().cloned());
    }
    fn reset(&mut self) {
        self.merged.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges() {
        let mut a = build(&PluginOptions::from_toml("aggregators", "merge", "").unwrap()).unwrap();
        a.add(&Metric::new("m", 5).with_tag("h", "a").with_field("x", 1i64));
        a.add(&Metric::new("m", 5).with_tag("h", "a").with_field("y", 2i64));
        a.add(&Metric::new("m", 6).with_tag("h", "a").with_field("y", 3i64));
        let mut out = Vec::new();
        a.push(0, &mut out);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].fields.len(), 2);
        assert_eq!(out[0].time, 5);
    }
}
