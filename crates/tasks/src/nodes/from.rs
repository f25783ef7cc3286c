//! `from`: selects points of a measurement / database / RP, filters them,
//! groups and truncates their times.

use std::sync::Arc;

use super::{args, Node, NodeCtx, NodeError};
use crate::lambda::Lambda;
use crate::model::{Dimensions, Msg};
use crate::tick::pipeline::{NodeDef, Value};
use crate::tick::TickError;

/// The `from` node.
pub struct FromNode {
    measurement: Option<String>,
    database: Option<String>,
    retention_policy: Option<String>,
    wheres: Vec<Lambda>,
    dims: Option<Arc<Dimensions>>,
    truncate: i64,
}

impl FromNode {
    /// Builds from the node's properties.
    pub fn new(def: &NodeDef) -> Result<Self, TickError> {
        args::count(&def.args, 0, def.pos, "from")?;
        let mut n = FromNode {
            measurement: None,
            database: None,
            retention_policy: None,
            wheres: Vec::new(),
            dims: None,
            truncate: 0,
        };
        let mut by_name = false;
        for p in &def.props {
            match p.name.as_str() {
                "measurement" => {
                    n.measurement = Some(args::string(
                        args::get(&p.args, 0, p.pos, "measurement")?,
                        "measurement",
                    )?)
                }
                "database" => {
                    n.database = Some(args::string(
                        args::get(&p.args, 0, p.pos, "database")?,
                        "database",
                    )?)
                }
                "retentionPolicy" => {
                    n.retention_policy = Some(args::string(
                        args::get(&p.args, 0, p.pos, "retentionPolicy")?,
                        "retentionPolicy",
                    )?)
                }
                "where" => n.wheres.push(args::lambda(
                    args::get(&p.args, 0, p.pos, "where")?,
                    "where",
                )?),
                "groupBy" => n.dims = Some(Arc::new(dimensions(&p.args, by_name)?)),
                "groupByMeasurement" => {
                    args::flag(p)?;
                    by_name = true;
                    if let Some(d) = &mut n.dims {
                        Arc::make_mut(d).by_name = true;
                    }
                }
                "truncate" => {
                    n.truncate =
                        args::duration(args::get(&p.args, 0, p.pos, "truncate")?, "truncate")?
                }
                other => {
                    return Err(TickError::at(
                        p.pos,
                        format!("not supported yet: {} .{other}()", def.kind),
                    ))
                }
            }
        }
        if by_name && n.dims.is_none() {
            n.dims = Some(Arc::new(Dimensions {
                by_name: true,
                ..Default::default()
            }));
        }
        Ok(n)
    }
}

/// Dimensions from `groupBy` arguments (tag names or `*`).
pub fn dimensions(
    a: &[crate::tick::pipeline::Arg],
    by_name: bool,
) -> Result<Dimensions, TickError> {
    let mut d = Dimensions {
        by_name,
        ..Default::default()
    };
    for arg in a {
        match &arg.value {
            Value::Star => d.star = true,
            Value::Str(s) => d.tag_names.push(s.clone()),
            Value::List(items) => {
                for i in items {
                    match i {
                        Value::Str(s) => d.tag_names.push(s.clone()),
                        Value::Star => d.star = true,
                        v => {
                            return Err(TickError::at(
                                arg.pos,
                                format!("groupBy: expected string, got {}", v.type_name()),
                            ))
                        }
                    }
                }
            }
            v => {
                return Err(TickError::at(
                    arg.pos,
                    format!("groupBy: expected string or *, got {}", v.type_name()),
                ))
            }
        }
    }
    d.tag_names.sort();
    d.tag_names.dedup();
    Ok(d)
}

impl Node for FromNode {
    fn process(&mut self, _: &NodeCtx<'_>, msg: Msg, out: &mut Vec<Msg>) -> Result<(), NodeError> {
        let Msg::Point(mut p) = msg else {
            return Err(NodeError("from expects points".into()));
        };
        if self.measurement.as_deref().is_some_and(|m| m != &*p.name)
            || self.database.as_deref().is_some_and(|d| d != &*p.database)
            || self
                .retention_policy
                .as_deref()
                .is_some_and(|r| r != &*p.retention_policy)
        {
            return Ok(());
        }
        for w in &mut self.wheres {
            if !w.eval_bool(&p.fields, &p.tags, p.time)? {
                return Ok(());
            }
        }
        if let Some(d) = &self.dims {
            p.dims = d.clone();
        }
        if self.truncate > 0 {
            p.time -= p.time.rem_euclid(self.truncate);
        }
        out.push(Msg::Point(p));
        Ok(())
    }
}
