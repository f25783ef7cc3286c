//! Almanac's benchmark harness.
//!
//! * [`gen`]: a deterministic generator of the TSBS devops `cpu-only` data set;
//! * [`load`]: splits line protocol into batches and writes them to a server
//!   with parallel workers, measuring throughput and per-batch latency;
//! * [`tsbs`]: the TSBS devops query types with seeded parameters;
//! * [`query`]: runs them against a server (InfluxQL, Flux or PromQL), with latency percentiles and
//!   answer checks; [`answer`] parses and compares answers, [`flux`] the
//!   Flux requests, answers and the Flux/InfluxQL cross-check;
//! * [`stats`]: a running server's peak memory, CPU time and metrics;
//! * [`servers`]: starts Almanac, influxd and VictoriaMetrics in temporary
//!   directories and watches their resource use;
//! * [`compare`] and [`cardinality`]: the comparison and high-cardinality runs;
//! * [`report`]: regenerates `docs/benchmarks.md`'s result sections and charts.

pub mod answer;
pub mod cardinality;
pub mod compare;
pub mod flux;
pub mod gen;
pub mod load;
pub mod query;
pub mod report;
pub mod servers;
pub mod stats;
pub mod tsbs;
pub mod util;
