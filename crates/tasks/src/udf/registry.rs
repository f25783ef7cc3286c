//! The UDFs the server knows: configured functions (with the signature their
//! agent reported in its Info response at startup) and the built-in
//! anomaly detectors. Process-wide, because TICKscripts are type-checked
//! against it while they are evaluated, before any task services exist.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use parking_lot::RwLock;

use super::agent::Agent;
use super::config::{Transport, UdfConfig};
use super::proto::{EdgeType, ValueType};

/// What a UDF wants and provides, and its options with their argument types.
#[derive(Debug, Clone, PartialEq)]
pub struct Signature {
    /// Edge type it consumes; `None` accepts either.
    pub wants: Option<EdgeType>,
    /// Edge type it emits; `None` emits what it consumes.
    pub provides: Option<EdgeType>,
    /// Option name → types of its arguments, in order.
    pub options: BTreeMap<String, Vec<ValueType>>,
}

/// A configured external UDF.
#[derive(Debug, Clone, PartialEq)]
pub struct Function {
    /// Name (`@name()`).
    pub name: String,
    /// From its Info response.
    pub signature: Signature,
    /// How to reach it.
    pub transport: Transport,
    /// Request and keepalive timeout (zero disables keepalives).
    pub timeout: Duration,
}

/// What `@name()` refers to.
#[derive(Debug, Clone)]
pub enum Resolved {
    /// A configured UDF.
    External(Arc<Function>),
    /// A built-in node that looks like a UDF.
    Builtin(Signature),
}

impl Resolved {
    /// The signature either way.
    pub fn signature(&self) -> &Signature {
        match self {
            Resolved::External(f) => &f.signature,
            Resolved::Builtin(s) => s,
        }
    }
}

/// Configured UDFs (or why one is unavailable).
#[derive(Default)]
pub struct Registry {
    functions: RwLock<BTreeMap<String, Result<Arc<Function>, String>>>,
}

/// The process-wide registry.
pub fn registry() -> &'static Registry {
    static R: OnceLock<Registry> = OnceLock::new();
    R.get_or_init(Registry::default)
}

impl Registry {
    /// Starts every configured UDF once to read its Info (as Kapacitor does
    /// at startup) and registers it; a UDF that fails is registered with its
    /// error, which tasks using it report. Returns the errors.
    pub fn load(&self, config: &UdfConfig) -> Vec<String> {
        let mut errors = Vec::new();
        for (name, fc) in &config.functions {
            let r = fc
                .resolve(name)
                .map_err(|e| e.to_string())
                .and_then(|(transport, timeout)| fetch_info(name, transport, timeout));
            match &r {
                Ok(f) => {
                    tracing::info!(udf = %name, wants = ?f.signature.wants, provides = ?f.signature.provides, "UDF loaded")
                }
                Err(e) => {
                    tracing::error!(udf = %name, error = %e, "UDF failed to load");
                    errors.push(e.clone());
                }
            }
            self.functions.write().insert(name.clone(), r.map(Arc::new));
        }
        errors
    }

    /// Registers (or replaces) one function.
    pub fn install(&self, f: Function) {
        self.functions
            .write()
            .insert(f.name.clone(), Ok(Arc::new(f)));
    }

    /// Resolves `@name()`: configured functions first, then built-ins.
    pub fn resolve(&self, name: &str) -> Result<Resolved, String> {
        match self.functions.read().get(name) {
            Some(Ok(f)) => return Ok(Resolved::External(f.clone())),
            Some(Err(e)) => return Err(format!("UDF {name:?} is unavailable: {e}")),
            None => {}
        }
        crate::nodes::anomaly::signature(name)
            .map(Resolved::Builtin)
            .ok_or_else(|| {
                format!("no UDF named {name:?} (configure it in [udf.functions.{name}])")
            })
    }
}

/// Starts UDF `name`, asks for its Info and stops it again.
pub fn fetch_info(name: &str, transport: Transport, timeout: Duration) -> Result<Function, String> {
    let mut agent = Agent::start(name, &transport).map_err(|e| e.to_string())?;
    let wait = if timeout.is_zero() {
        super::config::DEFAULT_TIMEOUT
    } else {
        timeout
    };
    let info = match agent.info(wait) {
        Ok(i) => i,
        Err(e) => {
            let msg = agent.explain(&e);
            return Err(format!("[udf.functions.{name}]: reading its info: {msg}"));
        }
    };
    agent.stop();
    let edge = |v: i32, what: &str| {
        EdgeType::try_from(v).map_err(|_| {
            format!("[udf.functions.{name}]: info has an unknown {what} edge type {v}")
        })
    };
    let mut options = BTreeMap::new();
    for (opt, oi) in info.options {
        let types = oi
            .value_types
            .iter()
            .map(|t| {
                ValueType::try_from(*t).map_err(|_| {
                    format!("[udf.functions.{name}]: option {opt} has an unknown value type {t}")
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        options.insert(opt, types);
    }
    Ok(Function {
        name: name.to_string(),
        signature: Signature {
            wants: Some(edge(info.wants, "wants")?),
            provides: Some(edge(info.provides, "provides")?),
            options,
        },
        transport,
        timeout,
    })
}
