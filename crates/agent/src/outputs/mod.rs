//! Output plugins.

use crate::plugin::{Output, PluginSpec};

pub mod discard;

/// Every implemented output.
pub static SPECS: &[PluginSpec<dyn Output>] = &[discard::SPEC];
