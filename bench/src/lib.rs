//! Almanac's benchmark harness.
//!
//! * [`gen`]: a deterministic generator of the TSBS devops `cpu-only` data set;
//! * [`load`]: splits line protocol into batches and writes them to a server
//!   with parallel workers, measuring throughput and per-batch latency;
//! * [`stats`]: a running server's peak memory, CPU time and metrics.

pub mod gen;
pub mod load;
pub mod stats;
pub mod util;
