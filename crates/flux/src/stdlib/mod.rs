//! The standard library: a registry of packages (path → members). Each package
//! is a set of native functions, constants, and optionally Flux source that
//! defines more members on top of them.

mod array;
mod csvpkg;
mod date;
mod debug;
mod experimental;
mod influxdb;
mod join;
mod json;
mod math;
mod misc;
mod months;
mod numeric;
mod pivot_by_time;
mod schema;
mod strings;
mod testing;
pub mod timezone;
pub mod universe;

use crate::error::{Error, Result};
use crate::interp::Interp;
use crate::table::Table;
use crate::value::{Args, Function, NativeFn, Signature, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// One package of the registry.
#[derive(Default)]
pub struct PackageDef {
    /// Native functions.
    pub natives: Vec<(&'static str, Signature, NativeFn)>,
    /// Constant members.
    pub consts: Vec<(&'static str, Value)>,
    /// Flux source evaluated in the package scope after natives and constants.
    pub flux: Option<&'static str>,
    /// `flux` parsed, the first time a query needs it.
    parsed: std::sync::OnceLock<std::result::Result<Arc<crate::ast::File>, String>>,
}

impl PackageDef {
    /// Add a native function.
    pub fn f(
        &mut self,
        name: &'static str,
        req: &[&'static str],
        opt: &[&'static str],
        pipe: Option<&'static str>,
        f: NativeFn,
    ) {
        let sig = Signature {
            required: req.to_vec(),
            optional: opt.to_vec(),
            pipe,
        };
        self.natives.push((name, sig, f));
    }

    /// Add a native table function piped `tables=<-`.
    pub fn t(
        &mut self,
        name: &'static str,
        req: &[&'static str],
        opt: &[&'static str],
        f: NativeFn,
    ) {
        self.f(name, req, opt, Some("tables"), f)
    }

    /// Member values (functions and constants).
    pub fn members(&self, path: &str) -> Vec<(String, Value)> {
        let mut out: Vec<(String, Value)> = self
            .natives
            .iter()
            .map(|(n, sig, f)| {
                let name = if path == "universe" {
                    n.to_string()
                } else {
                    format!("{path}.{n}")
                };
                (
                    n.to_string(),
                    Value::Function(Arc::new(Function::Native {
                        name,
                        sig: sig.clone(),
                        f: *f,
                    })),
                )
            })
            .collect();
        out.extend(self.consts.iter().map(|(n, v)| (n.to_string(), v.clone())));
        out
    }

    /// Signature of a native member (for semantic checks).
    pub fn signature(&self, name: &str) -> Option<&Signature> {
        self.natives
            .iter()
            .find(|(n, _, _)| *n == name)
            .map(|(_, s, _)| s)
    }
}

/// All packages by import path.
pub struct Registry {
    packages: HashMap<&'static str, PackageDef>,
}

impl Registry {
    /// The standard library, built once per process and shared by every
    /// query (building it is part of each query's fixed cost otherwise).
    pub fn shared() -> Arc<Registry> {
        static SHARED: std::sync::OnceLock<Arc<Registry>> = std::sync::OnceLock::new();
        SHARED
            .get_or_init(|| Arc::new(Registry::standard()))
            .clone()
    }

    /// The Flux source of package `path`, parsed once (per registry: once
    /// per process for [`Registry::shared`]). `Err` says why it does not parse.
    pub fn parsed_flux(
        &self,
        path: &str,
    ) -> Option<std::result::Result<Arc<crate::ast::File>, String>> {
        let pkg = self.get(path)?;
        let src = pkg.flux?;
        Some(
            pkg.parsed
                .get_or_init(|| {
                    crate::parser::parse_file(src)
                        .map(Arc::new)
                        .map_err(|e| e.to_string())
                })
                .clone(),
        )
    }

    /// The standard library of this implementation.
    pub fn standard() -> Self {
        let mut packages = HashMap::new();
        packages.insert("universe", universe::package());
        packages.insert("array", array::package());
        packages.insert("experimental/array", array::package());
        packages.insert("csv", csvpkg::package());
        packages.insert("testing", testing::package());
        packages.insert("strings", strings::package());
        packages.insert("math", math::package());
        packages.insert("internal/debug", debug::package());
        packages.insert("date", date::package());
        packages.insert("timezone", timezone::package());
        packages.insert("experimental/date/boundaries", date::boundaries());
        packages.insert("dict", misc::dict());
        packages.insert("influxdata/influxdb/schema", schema::package());
        packages.insert("influxdata/influxdb/v1", schema::package());
        packages.insert("influxdata/influxdb", influxdb::package());
        packages.insert("experimental", experimental::package());
        packages.insert("join", join::package());
        packages.insert("json", json::package());
        packages.insert("bitwise", misc::bitwise());
        packages.insert("experimental/bitwise", misc::bitwise());
        packages.insert("regexp", misc::regexp());
        packages.insert("types", misc::types());
        packages.insert("planner", misc::planner());
        packages.insert("testing/expect", misc::expect());
        Registry { packages }
    }

    /// A package by path.
    pub fn get(&self, path: &str) -> Option<&PackageDef> {
        self.packages.get(path)
    }

    /// Whether a package exists.
    pub fn has(&self, path: &str) -> bool {
        self.packages.contains_key(path)
    }
}

/// Wrap tables as a stream value.
pub fn stream(t: Vec<Table>) -> Result<Value> {
    Ok(Value::stream(t))
}

/// Call a row function `fn(r)` and return its result.
pub fn call_row(it: &mut Interp, f: &Value, r: Value) -> Result<Value> {
    it.call(f, vec![("r".into(), r)])
}

/// Take the piped tables.
pub fn tables(a: &mut Args) -> Result<Vec<Table>> {
    a.tables()
}

/// Error for a value of the wrong type.
pub fn type_error(func: &str, want: &str, got: &Value) -> Error {
    Error::rt(format!(
        "{func}: expected {want} but found {}",
        got.type_name()
    ))
}
