//! `processors.tag_limit`: caps the number of tags, keeping the listed ones.

use serde::Deserialize;

use crate::config::{ConfigError, PluginOptions};
use crate::metric::Metric;
use crate::plugin::{PluginSpec, Processor};

/// Registry entry.
pub const SPEC: PluginSpec<dyn Processor> = PluginSpec {
    name: "tag_limit",
    description: "Restricts the number of tags that can pass through this filter and chooses which tags to preserve when over the limit.",
    sample: SAMPLE_CONFIG,
    data_format: false,
    build,
};

/// Sample configuration.
pub const SAMPLE_CONFIG: &str = r#"[[processors.tag_limit]]
  ## Maximum number of tags to preserve
  limit = 3

  ## List of tags to preferentially preserve
  keep = ["environment", "region"]
"#;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct TagLimitConfig {
    limit: usize,
    keep: Vec<String>,
}

fn build(o: &PluginOptions) -> Result<Box<dyn Processor>, ConfigError> {
    let c: TagLimitConfig = o.parse()?;
    if c.keep.len() > c.limit {
        return Err(o.invalid_option(
            "keep",
            format!("{} keep tags exceed limit {}", c.keep.len(), c.limit),
        ));
    }
    Ok(Box::new(TagLimit(c)))
}

/// The tag_limit processor.
pub struct TagLimit(TagLimitConfig);

impl Processor for TagLimit {
    fn apply(&mut self, mut metrics: Vec<Metric>) -> Vec<Metric> {
        for m in metrics.iter_mut() {
            if m.tags.len() <= self.0.limit {
                continue;
            }
            let mut budget = self.0.limit.saturating_sub(
                self.0
                    .keep
                    .iter()
                    .filter(|k| m.tags.contains_key(*k))
                    .count(),
            );
            let keep = &self.0.keep;
            m.tags.retain(|k, _| {
                if keep.contains(k) {
                    true
                } else if budget > 0 {
                    budget -= 1;
                    true
                } else {
                    false
                }
            });
        }
        metrics
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits() {
        let o = PluginOptions::from_toml("processors", "tag_limit", "limit = 2\nkeep = [\"z\"]")
            .unwrap();
        let mut p = build(&o).unwrap();
        let m = Metric::new("m", 1)
            .with_tag("a", "1")
            .with_tag("b", "2")
            .with_tag("z", "3")
            .with_field("v", 1i64);
        let out = p.apply(vec![m]).pop().unwrap();
        assert_eq!(out.tags.len(), 2);
        assert_eq!(out.tag("z"), Some("3"));
        assert_eq!(out.tag("a"), Some("1"));
        assert!(build(
            &PluginOptions::from_toml("processors", "tag_limit", "limit = 0\nkeep = [\"a\"]")
                .unwrap()
        )
        .is_err());
    }
}
