//! Kapacitor-compatible processing for Almanac.
//!
//! - [`tick`]: the TICKscript language (lexer, parser, AST, evaluation into
//!   a checked pipeline graph).
//! - [`model`]: points, batches and groups flowing through tasks.
//! - [`lambda`]: lambda expressions and their function library.
//! - [`nodes`]: one module per node kind.
//! - [`alert`]: the alert node, topics, templates and handlers.
//! - [`engine`]: one running task (dispatch, statistics, dot graph).
//! - [`manager`]: task definitions, persistence, feeding the write stream.
//! - [`rows`]: the rows of a write as the storage engine parsed them.
//! - [`projection`]: which fields a task can observe (the feed skips the rest).
//! - [`store`]: the persistence boundary the server implements.
//! - [`udf`]: user-defined functions over Kapacitor's UDF protocol.
//! - [`cron`]: cron expressions (batch queries and the server's task scheduler).

#![warn(missing_docs)]

pub mod alert;
pub mod cron;
pub mod engine;
pub mod fields;
pub mod lambda;
pub mod manager;
pub mod model;
pub mod nodes;
pub mod projection;
pub mod rows;
pub mod store;
pub mod tick;
pub mod udf;

pub use engine::{PointWriter, Services, Task};
pub use manager::{TaskDef, TaskError, TaskManager, TaskRequest};
pub use store::{MemoryStore, Store};
