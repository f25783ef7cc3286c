//! Processor plugins.

use crate::plugin::{PluginSpec, Processor};

/// Every implemented processor.
pub static SPECS: &[PluginSpec<dyn Processor>] = &[];
