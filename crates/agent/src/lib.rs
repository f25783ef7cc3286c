//! `almanac-agent`: a Telegraf-compatible metrics collector.
//!
//! It reads Telegraf's TOML configuration ([`config`]), builds the configured plugins from
//! the [`registry`], and runs them ([`runtime`]): inputs gather [`Metric`]s on their
//! interval (or push them, for service inputs), processors transform them, aggregators
//! summarise them per period, and every output gets its own bounded buffer that is flushed
//! in batches with retries. Measurement, tag and field names of the host inputs follow
//! Telegraf's so existing dashboards keep working.
//!
//! The crate depends on `almanac-lineproto` only among the workspace crates (no Arrow or
//! DataFusion) so the agent stays small.

pub mod aggregators;
pub mod buffer;
pub mod cli;
pub mod config;
pub mod filter;
pub mod inputs;
pub mod metric;
pub mod outputs;
pub mod parsers;
pub mod plugin;
pub mod processors;
pub mod registry;
pub mod runtime;
pub mod serializers;
pub mod stats;
pub mod timefmt;
pub mod tls;

pub use cli::{run_cli, AgentArgs};
pub use config::{Config, ConfigError, PluginFilters};
pub use metric::{Metric, Value};
pub use runtime::Agent;
