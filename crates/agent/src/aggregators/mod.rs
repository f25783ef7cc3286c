//! Aggregator plugins.

use crate::plugin::{Aggregator, PluginSpec};

/// Every implemented aggregator.
pub static SPECS: &[PluginSpec<dyn Aggregator>] = &[];
