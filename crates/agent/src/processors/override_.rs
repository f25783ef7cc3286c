//! `processors.override`: sets the name and adds/overrides tags.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::config::{ConfigError, PluginOptions};
use crate::metric::Metric;
use crate::plugin::{PluginSpec, Processor};

/// Registry entry.
pub const SPEC: PluginSpec<dyn Processor> = PluginSpec {
    name: "override",
    description: "Apply metric modifications using override semantics.",
    sample: SAMPLE_CONFIG,
    data_format: false,
    build,
};

/// Sample configuration.
pub const SAMPLE_CONFIG: &str = r#"[[processors.override]]
  ## All modifications on inputs and aggregators can be overridden:
  # name_override = "new_name"
  # name_prefix = "new_name_prefix"
  # name_suffix = "new_name_suffix"

  ## Tags to be added (all values must be strings)
  [processors.override.tags]
    additional_tag = "tag_value"
"#;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct OverrideConfig {
    name_override: Option<String>,
    name_prefix: Option<String>,
    name_suffix: Option<String>,
    tags: BTreeMap<String, String>,
}

fn build(o: &PluginOptions) -> Result<Box<dyn Processor>, ConfigError> {
    Ok(Box::new(Override(o.parse()?)))
}

/// The override processor.
pub struct Override(OverrideConfig);

impl Processor for Override {
    fn apply(&mut self, mut metrics: Vec<Metric>) -> Vec<Metric> {
        for m in metrics.iter_mut() {
            if let Some(n) = &self.0.name_override {
                m.name = n.clone();
            }
            if let Some(p) = &self.0.name_prefix {
                m.name.insert_str(0, p);
            }
            if let Some(s) = &self.0.name_suffix {
                m.name.push_str(s);
            }
            for (k, v) in &self.0.tags {
                m.tags.insert(k.clone(), v.clone());
            }
        }
        metrics
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides() {
        let o = PluginOptions::from_toml("processors", "override", "name_override = \"x\"\nname_suffix = \"_s\"\n[processors.override.tags]\nenv = \"prod\"").unwrap();
        let mut p = build(&o).unwrap();
        let out = p
            .apply(vec![Metric::new("m", 1)
                .with_tag("env", "dev")
                .with_field("v", 1i64)])
            .pop()
            .unwrap();
        assert_eq!(out.name, "x_s");
        assert_eq!(out.tag("env"), Some("prod"));
    }
}
