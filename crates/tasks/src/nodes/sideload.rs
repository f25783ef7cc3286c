//! `sideload`: adds fields and tags to points from files, as Kapacitor's
//! sideload node does.
//!
//! ```text
//! |sideload()
//!     .source('file:///etc/kapacitor/sideload')
//!     .order('host/{{.host}}.yml', 'service/{{.service}}.yml')
//!     .field('cpu_threshold', 90.0)
//!     .tag('team', 'unknown')
//! ```
//!
//! Every `.yml`/`.yaml`/`.json` file under the source directory is read
//! when the task starts (so a task reload — disable/enable, or an update —
//! reloads them): each holds a flat map of keys to values and is known by
//! its path relative to the directory. For each point the `.order()`
//! templates (Go templates over the point's tags) give the files to look in,
//! first match wins; a key found nowhere takes its default. Values are
//! converted to the default's type (int, float, bool or string; tags are
//! strings); a value that does not convert keeps the default.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{args, Node, NodeCtx, NodeError};
use crate::alert::template::{TValue, Template};
use crate::model::{FieldValue, Msg, Point};
use crate::tick::pipeline::{NodeDef, Value};
use crate::tick::TickError;

/// A value read from a sideload file.
#[derive(Debug, Clone, PartialEq)]
enum Loaded {
    Int(i64),
    Float(f64),
    Bool(bool),
    Str(String),
}

/// Files of a source directory: relative path → key → value.
type Cache = HashMap<String, HashMap<String, Loaded>>;

/// The `sideload` node.
pub struct SideloadNode {
    order: Vec<Template>,
    fields: Vec<(String, FieldValue)>,
    tags: Vec<(String, String)>,
    cache: Cache,
    /// Points whose order template failed.
    errors: u64,
}

impl SideloadNode {
    /// Builds from `sideload()` and its properties, reading the source.
    pub fn new(def: &NodeDef) -> Result<Self, TickError> {
        args::count(&def.args, 0, def.pos, "sideload")?;
        let mut source = None;
        let mut n = SideloadNode {
            order: Vec::new(),
            fields: Vec::new(),
            tags: Vec::new(),
            cache: Cache::new(),
            errors: 0,
        };
        for p in &def.props {
            match p.name.as_str() {
                "source" => {
                    let a = args::get(&p.args, 0, p.pos, "source")?;
                    source = Some((args::string(a, "source")?, a.pos));
                }
                "order" => {
                    for a in &p.args {
                        let text = args::string(a, "order")?;
                        n.order.push(
                            Template::parse(&text)
                                .map_err(|e| TickError::at(a.pos, format!("order: {e}")))?,
                        );
                    }
                }
                "field" => {
                    args::count(&p.args, 2, p.pos, "field")?;
                    let key = args::string(&p.args[0], "field")?;
                    let dflt = match &p.args[1].value {
                        Value::Int(i) => FieldValue::Int(*i),
                        Value::Float(f) => FieldValue::Float(*f),
                        Value::Bool(b) => FieldValue::Bool(*b),
                        Value::Str(s) => FieldValue::Str(s.clone()),
                        v => {
                            return Err(TickError::at(
                                p.args[1].pos,
                                format!(
                                    "field {key}: default must be an int, float, bool or string, got {}",
                                    v.type_name()
                                ),
                            ))
                        }
                    };
                    n.fields.push((key, dflt));
                }
                "tag" => {
                    args::count(&p.args, 2, p.pos, "tag")?;
                    let key = args::string(&p.args[0], "tag")?;
                    let dflt = args::string(&p.args[1], "tag default")?;
                    n.tags.push((key, dflt));
                }
                other => {
                    return Err(TickError::at(
                        p.pos,
                        format!("no method or property \"{other}\" on SideloadNode"),
                    ))
                }
            }
        }
        let Some((source, pos)) = source else {
            return Err(TickError::at(def.pos, "sideload: a .source() is required"));
        };
        let dir = match source.split_once("://") {
            Some(("file", path)) => PathBuf::from(path),
            Some((scheme, _)) => {
                return Err(TickError::at(
                    pos,
                    format!("not supported yet: sideload source scheme {scheme}"),
                ))
            }
            None => {
                return Err(TickError::at(
                    pos,
                    format!("sideload: source {source:?} must be a file:// URL"),
                ))
            }
        };
        if !dir.is_absolute() {
            return Err(TickError::at(
                pos,
                format!("sideload: source path {:?} must be absolute", dir),
            ));
        }
        n.cache = load_dir(&dir).map_err(|e| TickError::at(pos, e))?;
        Ok(n)
    }

    /// Looks `key` up in the files `order` names, first match wins.
    fn lookup<'a>(&'a self, order: &[String], key: &str) -> Option<&'a Loaded> {
        order
            .iter()
            .find_map(|o| self.cache.get(o).and_then(|values| values.get(key)))
    }

    fn apply(&mut self, p: &mut Point) {
        let data = TValue::Map(
            p.tags
                .iter()
                .map(|(k, v)| (k.clone(), TValue::Str(v.clone())))
                .collect(),
        );
        let mut order = Vec::with_capacity(self.order.len());
        for t in &self.order {
            match t.execute(&data) {
                Ok(path) => order.push(path),
                Err(e) => {
                    self.errors += 1;
                    tracing::debug!(error = %e, order = t.source(), "sideload order template failed");
                    return;
                }
            }
        }
        for (key, dflt) in &self.fields {
            let v = self
                .lookup(&order, key)
                .and_then(|v| convert_field(v, dflt))
                .unwrap_or_else(|| dflt.clone());
            Arc::make_mut(&mut p.fields).insert(key.as_str().into(), v);
        }
        for (key, dflt) in &self.tags {
            let v = self
                .lookup(&order, key)
                .and_then(|v| convert_field(v, &FieldValue::Str(String::new())))
                .map(|v| match v {
                    FieldValue::Str(s) => s,
                    _ => dflt.clone(),
                })
                .unwrap_or_else(|| dflt.clone());
            Arc::make_mut(&mut p.tags).insert(key.as_str().into(), v);
        }
    }
}

/// `v` as the type of `dflt`, as Kapacitor converts sideloaded values.
fn convert_field(v: &Loaded, dflt: &FieldValue) -> Option<FieldValue> {
    Some(match (dflt, v) {
        (FieldValue::Int(_), Loaded::Int(i)) => FieldValue::Int(*i),
        (FieldValue::Int(_), Loaded::Float(f)) if f.fract() == 0.0 && f.abs() < 9.2e18 => {
            FieldValue::Int(*f as i64)
        }
        (FieldValue::Int(_), Loaded::Str(s)) => FieldValue::Int(s.trim().parse().ok()?),
        (FieldValue::Float(_), Loaded::Int(i)) => FieldValue::Float(*i as f64),
        (FieldValue::Float(_), Loaded::Float(f)) => FieldValue::Float(*f),
        (FieldValue::Float(_), Loaded::Str(s)) => FieldValue::Float(s.trim().parse().ok()?),
        (FieldValue::Bool(_), Loaded::Bool(b)) => FieldValue::Bool(*b),
        (FieldValue::Bool(_), Loaded::Str(s)) => FieldValue::Bool(parse_go_bool(s)?),
        (FieldValue::Str(_), Loaded::Int(i)) => FieldValue::Str(i.to_string()),
        (FieldValue::Str(_), Loaded::Float(f)) => {
            FieldValue::Str(crate::alert::template::go_float(*f))
        }
        (FieldValue::Str(_), Loaded::Bool(b)) => FieldValue::Str(b.to_string()),
        (FieldValue::Str(_), Loaded::Str(s)) => FieldValue::Str(s.clone()),
        _ => return None,
    })
}

/// Go's `strconv.ParseBool`.
fn parse_go_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// Reads every values file under `dir`, keyed by its relative path.
fn load_dir(dir: &Path) -> Result<Cache, String> {
    let mut cache = Cache::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).map_err(|e| {
            format!(
                "failed to update sideload cache for source file {dir:?}: {}: {e}",
                d.display()
            )
        })?;
        for entry in entries {
            let path = entry.map_err(|e| e.to_string())?.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let Ok(rel) = path.strip_prefix(dir) else {
                continue;
            };
            let rel = rel.to_string_lossy().into_owned();
            cache.insert(rel, read_values(&path)?);
        }
    }
    Ok(cache)
}

/// The values of one file (`.yml`, `.yaml` or `.json`; others are empty).
fn read_values(path: &Path) -> Result<HashMap<String, Loaded>, String> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    if !matches!(ext, "yml" | "yaml" | "json") {
        return Ok(HashMap::new());
    }
    let data = std::fs::read_to_string(path)
        .map_err(|e| format!("failed to read values file {:?}: {e}", path.display()))?;
    let json: serde_json::Value = if ext == "json" {
        serde_json::from_str(&data)
            .map_err(|e| format!("failed to unmarshal json values {:?}: {e}", path.display()))?
    } else {
        let y: serde_yaml_ng::Value = serde_yaml_ng::from_str(&data)
            .map_err(|e| format!("failed to unmarshal yaml values {:?}: {e}", path.display()))?;
        serde_json::to_value(y)
            .map_err(|e| format!("failed to unmarshal yaml values {:?}: {e}", path.display()))?
    };
    let map = match json {
        serde_json::Value::Object(m) => m,
        serde_json::Value::Null => return Ok(HashMap::new()),
        _ => {
            return Err(format!(
                "values file {:?} must hold a map of keys to values",
                path.display()
            ))
        }
    };
    Ok(map
        .into_iter()
        .filter_map(|(k, v)| {
            let v = match v {
                serde_json::Value::Bool(b) => Loaded::Bool(b),
                serde_json::Value::Number(n) => match n.as_i64() {
                    // JSON numbers are floats in Go's encoding/json.
                    Some(i) if ext != "json" => Loaded::Int(i),
                    _ => Loaded::Float(n.as_f64()?),
                },
                serde_json::Value::String(s) => Loaded::Str(s),
                _ => return None,
            };
            Some((k, v))
        })
        .collect())
}

impl Node for SideloadNode {
    fn process(&mut self, _: &NodeCtx<'_>, msg: Msg, out: &mut Vec<Msg>) -> Result<(), NodeError> {
        match msg {
            Msg::Point(mut p) => {
                self.apply(&mut p);
                out.push(Msg::Point(p));
            }
            Msg::Batch(mut b) => {
                for p in &mut b.points {
                    self.apply(p);
                }
                out.push(Msg::Batch(b));
            }
        }
        Ok(())
    }

    fn counters(&self) -> Vec<(&'static str, u64)> {
        vec![("order_errors", self.errors)]
    }
}
