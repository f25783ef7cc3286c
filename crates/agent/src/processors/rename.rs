//! `processors.rename`: renames measurements, tags and fields.

use serde::Deserialize;

use crate::config::{ConfigError, PluginOptions};
use crate::metric::Metric;
use crate::plugin::{PluginSpec, Processor};

/// Registry entry.
pub const SPEC: PluginSpec<dyn Processor> = PluginSpec {
    name: "rename",
    description: "Rename measurements, tags, and fields that pass through this filter.",
    sample: SAMPLE_CONFIG,
    data_format: false,
    build,
};

/// Sample configuration.
pub const SAMPLE_CONFIG: &str = r#"[[processors.rename]]
  ## Specify one sub-table per rename operation.
  [[processors.rename.replace]]
    measurement = "network_interface_throughput"
    dest = "throughput"

  [[processors.rename.replace]]
    tag = "hostname"
    dest = "host"

  [[processors.rename.replace]]
    field = "lower"
    dest = "min"
"#;

/// One rename.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Replace {
    /// Measurement to rename.
    pub measurement: Option<String>,
    /// Tag key to rename.
    pub tag: Option<String>,
    /// Field key to rename.
    pub field: Option<String>,
    /// New name.
    pub dest: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RenameConfig {
    replace: Vec<Replace>,
}

fn build(o: &PluginOptions) -> Result<Box<dyn Processor>, ConfigError> {
    let c: RenameConfig = o.parse()?;
    for r in &c.replace {
        let n = [&r.measurement, &r.tag, &r.field]
            .iter()
            .filter(|x| x.is_some())
            .count();
        if n != 1 {
            return Err(o.invalid_option(
                "replace",
                "each replace needs exactly one of measurement, tag, field",
            ));
        }
    }
    Ok(Box::new(Rename { replace: c.replace }))
}

/// The rename processor.
pub struct Rename {
    replace: Vec<Replace>,
}

impl Processor for Rename {
    fn apply(&mut self, mut metrics: Vec<Metric>) -> Vec<Metric> {
        for m in metrics.iter_mut() {
            for r in &self.replace {
                if let Some(meas) = &r.measurement {
                    if &m.name == meas {
                        m.name = r.dest.clone();
                    }
                } else if let Some(t) = &r.tag {
                    if let Some(v) = m.tags.remove(t) {
                        m.tags.insert(r.dest.clone(), v);
                    }
                } else if let Some(f) = &r.field {
                    if let Some(v) = m.fields.remove(f) {
                        m.fields.insert(r.dest.clone(), v);
                    }
                }
            }
        }
        metrics
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renames() {
        let mut c = crate::config::Config::default();
        c.add_text("t", SAMPLE_CONFIG, &Default::default()).unwrap();
        let p = &mut c.processors[0].plugin;
        let m = Metric::new("network_interface_throughput", 1)
            .with_tag("hostname", "a")
            .with_field("lower", 1i64);
        let out = p.apply(vec![m]).pop().unwrap();
        assert_eq!(out.name, "throughput");
        assert_eq!(out.tag("host"), Some("a"));
        assert!(out.field("min").is_some() && out.field("lower").is_none());
        let bad = PluginOptions::from_toml(
            "processors",
            "rename",
            "[[processors.rename.replace]]\ndest=\"x\"",
        )
        .unwrap();
        assert!(build(&bad).is_err());
    }
}
