//! User-defined functions over Kapacitor's UDF protocol, so existing UDF
//! agents work unchanged.
//!
//! - [`proto`]: the protocol messages (`udf.proto`) as `prost` types.
//! - [`codec`]: varint-length framing of those messages.
//! - [`config`]: `[udf.functions.NAME]` (`prog`/`args`/`timeout`/`env`, or `socket`).
//! - [`agent`]: one connection to a UDF process or socket.
//! - [`registry`]: the UDFs the server knows, with the signature from their Info.
//! - [`tick`]: type checking of `@name().option(args)` in TICKscripts.
//! - [`convert`]: points and batches to and from protocol messages.
//! - [`node`]: the runtime node of a configured UDF.
//!
//! Built-in anomaly detectors (`@zScore()`, `@mad()`) resolve through the
//! same registry; they run in-process (see `nodes::anomaly`).

pub mod agent;
pub mod codec;
pub mod config;
pub mod convert;
pub mod node;
pub mod proto;
pub mod registry;
pub mod snapshots;
pub mod tick;

pub use config::{FunctionConfig, Transport, UdfConfig};
pub use registry::{registry, Function, Registry, Signature};

/// Errors configuring or starting a UDF.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum UdfError {
    /// A `[udf.functions.NAME]` section is wrong.
    #[error("[udf.functions.{name}]: {message}")]
    Config {
        /// Function name.
        name: String,
        /// What is wrong.
        message: String,
    },
    /// The process could not be started or the socket not reached.
    #[error("UDF {name}: {message}")]
    Start {
        /// Function name.
        name: String,
        /// Why.
        message: String,
    },
}
