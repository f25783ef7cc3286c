//! `outputs.discard`: accepts and drops every metric (for testing).

use async_trait::async_trait;
use serde::Deserialize;

use crate::config::{ConfigError, PluginOptions};
use crate::metric::Metric;
use crate::plugin::{Output, PluginError, PluginSpec};

/// Registry entry.
pub const SPEC: PluginSpec<dyn Output> = PluginSpec {
    name: "discard",
    description: "Send metrics to nowhere at all",
    sample: SAMPLE_CONFIG,
    data_format: false,
    build,
};

/// Sample configuration.
pub const SAMPLE_CONFIG: &str = "[[outputs.discard]]\n  # no configuration\n";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DiscardConfig {}

fn build(o: &PluginOptions) -> Result<Box<dyn Output>, ConfigError> {
    let _: DiscardConfig = o.parse()?;
    Ok(Box::new(Discard::default()))
}

/// The discard output; counts what it dropped.
#[derive(Debug, Default)]
pub struct Discard {
    /// Metrics discarded so far.
    pub count: usize,
}

#[async_trait]
impl Output for Discard {
    async fn write(&mut self, metrics: &[Metric]) -> Result<(), PluginError> {
        self.count += metrics.len();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn discards_and_rejects_options() {
        let mut d = Discard::default();
        d.write(&[Metric::new("m", 0).with_field("v", 1i64)])
            .await
            .unwrap();
        assert_eq!(d.count, 1);
        assert!(PluginOptions::from_toml("outputs", "discard", "x = 1")
            .unwrap()
            .parse::<DiscardConfig>()
            .is_err());
    }
}
