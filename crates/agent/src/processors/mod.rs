//! Processor plugins. Starlark is out of scope (rejected with "not supported yet").

use crate::plugin::{PluginSpec, Processor};

pub mod converter;
pub mod date;
pub mod dedup;
pub mod enum_;
pub mod override_;
pub mod printer;
pub mod regex;
pub mod rename;
pub mod strings;
pub mod tag_limit;

/// Every implemented processor.
pub static SPECS: &[PluginSpec<dyn Processor>] = &[
    converter::SPEC,
    date::SPEC,
    dedup::SPEC,
    enum_::SPEC,
    override_::SPEC,
    printer::SPEC,
    regex::SPEC,
    rename::SPEC,
    strings::SPEC,
    tag_limit::SPEC,
];
