//! The agent's own counters, read by the `internal` input.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// A shared monotonically increasing counter.
#[derive(Debug, Clone, Default)]
pub struct Counter(Arc<AtomicU64>);

impl Counter {
    /// Adds `n`.
    pub fn inc(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }
    /// Current value.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A shared gauge.
#[derive(Debug, Clone, Default)]
pub struct Gauge(Arc<AtomicI64>);

impl Gauge {
    /// Sets the value.
    pub fn set(&self, v: i64) {
        self.0.store(v, Ordering::Relaxed);
    }
    /// Current value.
    pub fn get(&self) -> i64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Counters of one input.
#[derive(Debug, Clone, Default)]
pub struct InputStats {
    /// Metrics gathered.
    pub metrics_gathered: Counter,
    /// Gather errors.
    pub errors: Counter,
    /// Duration of the last gather, ns.
    pub gather_time_ns: Gauge,
}

/// Counters of one output.
#[derive(Debug, Clone, Default)]
pub struct OutputStats {
    /// Metrics accepted into the buffer.
    pub metrics_added: Counter,
    /// Metrics written.
    pub metrics_written: Counter,
    /// Metrics dropped (buffer overflow or rejected by the server).
    pub metrics_dropped: Counter,
    /// Metrics rejected by a partial write.
    pub metrics_rejected: Counter,
    /// Current buffer length.
    pub buffer_size: Gauge,
    /// Buffer capacity.
    pub buffer_limit: Gauge,
    /// Duration of the last write, ns.
    pub write_time_ns: Gauge,
    /// Write errors.
    pub errors: Counter,
}

/// All counters of a running agent.
#[derive(Debug, Default)]
pub struct Registry {
    /// Per input, keyed by (plugin name, alias).
    pub inputs: Mutex<BTreeMap<(String, String), InputStats>>,
    /// Per output, keyed by (plugin name, alias).
    pub outputs: Mutex<BTreeMap<(String, String), OutputStats>>,
}

impl Registry {
    /// Stats handle of an input (created on first use).
    pub fn input(&self, name: &str, alias: &str) -> InputStats {
        let mut g = self.inputs.lock().unwrap_or_else(|e| e.into_inner());
        g.entry((name.to_string(), alias.to_string()))
            .or_default()
            .clone()
    }
    /// Stats handle of an output (created on first use).
    pub fn output(&self, name: &str, alias: &str) -> OutputStats {
        let mut g = self.outputs.lock().unwrap_or_else(|e| e.into_inner());
        g.entry((name.to_string(), alias.to_string()))
            .or_default()
            .clone()
    }
}

/// The process-wide registry.
pub fn global() -> &'static Registry {
    static R: OnceLock<Registry> = OnceLock::new();
    R.get_or_init(Registry::default)
}
