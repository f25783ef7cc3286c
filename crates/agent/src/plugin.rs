//! Plugin traits (inputs, processors, aggregators, outputs), the accumulator inputs write
//! to, and the registry entries each plugin module exports.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::mpsc;

use crate::config::{ConfigError, PluginOptions};
use crate::filter::Filter;
use crate::metric::{now_ns, Metric, Value};
use crate::stats::Counter;

/// Error a plugin returns at run time (gather/write failures).
pub type PluginError = anyhow::Error;

/// An input plugin: either polled (`gather`) or a service that pushes metrics (`start`).
#[async_trait]
pub trait Input: Send {
    /// Collects one round of metrics into `acc`.
    async fn gather(&mut self, acc: &Accumulator) -> Result<(), PluginError>;

    /// Service inputs start their listeners/readers here; `acc` stays valid until `stop`.
    /// `gather` is still called on the interval (e.g. statsd emits its aggregates there).
    async fn start(&mut self, _acc: Accumulator) -> Result<(), PluginError> {
        Ok(())
    }

    /// True for service inputs (no periodic gather).
    fn is_service(&self) -> bool {
        false
    }

    /// Stops background work.
    async fn stop(&mut self) {}
}

/// A processor transforms metrics one batch at a time, in order.
pub trait Processor: Send {
    /// Transforms the metrics; may drop or add metrics.
    fn apply(&mut self, metrics: Vec<Metric>) -> Vec<Metric>;
}

/// An aggregator sees every metric of a period and emits summary metrics at its end.
pub trait Aggregator: Send {
    /// Adds one metric to the current period.
    fn add(&mut self, m: &Metric);
    /// Emits the aggregates for the period (time = `now`).
    fn push(&mut self, now: i64, out: &mut Vec<Metric>);
    /// Clears the state at the start of a new period.
    fn reset(&mut self);
}

/// An output writes batches of metrics somewhere.
#[async_trait]
pub trait Output: Send {
    /// Opens connections / creates databases; failures are retried by the runtime.
    async fn connect(&mut self) -> Result<(), PluginError> {
        Ok(())
    }
    /// Writes a batch; an error means the whole batch is kept and retried.
    async fn write(&mut self, metrics: &[Metric]) -> Result<(), PluginError>;
    /// Releases resources.
    async fn close(&mut self) {}
}

/// Builds a plugin from its options.
pub type BuildFn<T> = fn(&PluginOptions) -> Result<Box<T>, ConfigError>;

/// One entry of a plugin registry.
pub struct PluginSpec<T: ?Sized> {
    /// Telegraf plugin name, e.g. `cpu`.
    pub name: &'static str,
    /// One-line description.
    pub description: &'static str,
    /// Sample TOML (the `[[kind.name]]` block with commented defaults).
    pub sample: &'static str,
    /// Whether the plugin takes `data_format` parser/serializer options.
    pub data_format: bool,
    /// Constructor.
    pub build: BuildFn<T>,
}

/// How an input's metrics are reshaped before they enter the pipeline.
#[derive(Debug, Default)]
pub struct Shaper {
    /// `name_override`.
    pub name_override: Option<String>,
    /// `name_prefix`.
    pub name_prefix: Option<String>,
    /// `name_suffix`.
    pub name_suffix: Option<String>,
    /// Plugin `tags` (override the metric's own).
    pub tags: BTreeMap<String, String>,
    /// `[global_tags]` plus `host` (added only when absent).
    pub global_tags: BTreeMap<String, String>,
    /// Filters.
    pub filter: Filter,
    /// Timestamps rounded to this many ns (0/1 = none).
    pub precision_ns: i64,
}

impl Shaper {
    /// Applies renaming, tags, filters and precision; None when filtered out.
    pub fn shape(&self, mut m: Metric) -> Option<Metric> {
        if let Some(n) = &self.name_override {
            m.name = n.clone();
        }
        if let Some(p) = &self.name_prefix {
            m.name.insert_str(0, p);
        }
        if let Some(s) = &self.name_suffix {
            m.name.push_str(s);
        }
        for (k, v) in &self.tags {
            m.tags.insert(k.clone(), v.clone());
        }
        let mut m = self.filter.apply(m)?;
        for (k, v) in &self.global_tags {
            m.tags.entry(k.clone()).or_insert_with(|| v.clone());
        }
        if self.precision_ns > 1 {
            let p = self.precision_ns;
            m.time = (m.time + p / 2).div_euclid(p) * p;
        }
        Some(m)
    }
}

/// Where inputs put metrics. Cheap to clone; sending never blocks.
#[derive(Clone)]
pub struct Accumulator {
    tx: mpsc::UnboundedSender<Metric>,
    shaper: Arc<Shaper>,
    gathered: Counter,
    errors: Counter,
    name: Arc<str>,
}

impl Accumulator {
    /// An accumulator feeding `tx` through `shaper`.
    pub fn new(
        name: &str,
        tx: mpsc::UnboundedSender<Metric>,
        shaper: Arc<Shaper>,
        gathered: Counter,
        errors: Counter,
    ) -> Accumulator {
        Accumulator {
            tx,
            shaper,
            gathered,
            errors,
            name: name.into(),
        }
    }

    /// A plain accumulator for tests: metrics arrive unchanged on the receiver.
    pub fn collecting() -> (Accumulator, mpsc::UnboundedReceiver<Metric>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (
            Accumulator::new(
                "test",
                tx,
                Arc::new(Shaper::default()),
                Counter::default(),
                Counter::default(),
            ),
            rx,
        )
    }

    /// Adds a metric (reshaped; dropped silently if filtered out or no fields).
    pub fn add(&self, m: Metric) {
        if m.fields.is_empty() {
            return;
        }
        if let Some(m) = self.shaper.shape(m) {
            self.gathered.inc(1);
            let _ = self.tx.send(m);
        }
    }

    /// Adds a metric built from parts; time defaults to now.
    pub fn add_fields(
        &self,
        name: &str,
        tags: &[(&str, &str)],
        fields: Vec<(&str, Value)>,
        time: Option<i64>,
    ) {
        let mut m = Metric::new(name, time.unwrap_or_else(now_ns));
        for (k, v) in tags {
            m.tags.insert((*k).to_string(), (*v).to_string());
        }
        for (k, v) in fields {
            m.fields.insert(k.to_string(), v);
        }
        self.add(m);
    }

    /// Records and logs a gather error without stopping the input.
    pub fn add_error(&self, err: impl std::fmt::Display) {
        self.errors.inc(1);
        tracing::error!("[inputs.{}] {}", self.name, err);
    }
}

/// Drains everything currently in `rx` (test helper).
pub fn drain(rx: &mut mpsc::UnboundedReceiver<Metric>) -> Vec<Metric> {
    let mut out = Vec::new();
    while let Ok(m) = rx.try_recv() {
        out.push(m);
    }
    out
}
