//! `default`: sets fields and tags that are missing.

use super::{args, Node, NodeCtx, NodeError};
use crate::model::{FieldValue, Msg, Point};
use crate::tick::pipeline::{NodeDef, Value};
use crate::tick::TickError;
use std::sync::Arc;

/// The `default` node.
pub struct DefaultNode {
    fields: Vec<(String, FieldValue)>,
    tags: Vec<(String, String)>,
}

impl DefaultNode {
    /// Builds from `.field(name, value)` and `.tag(name, value)`.
    pub fn new(def: &NodeDef) -> Result<Self, TickError> {
        let mut n = DefaultNode {
            fields: Vec::new(),
            tags: Vec::new(),
        };
        for p in &def.props {
            args::count(&p.args, 2, p.pos, &p.name)?;
            let name = args::string(&p.args[0], &p.name)?;
            if p.name == "tag" {
                n.tags.push((name, args::string(&p.args[1], "tag value")?));
            } else {
                let v = match &p.args[1].value {
                    Value::Float(f) => FieldValue::Float(*f),
                    Value::Int(i) => FieldValue::Int(*i),
                    Value::Str(s) => FieldValue::Str(s.clone()),
                    Value::Bool(b) => FieldValue::Bool(*b),
                    v => {
                        return Err(TickError::at(
                            p.args[1].pos,
                            format!("unsupported default field type {}", v.type_name()),
                        ))
                    }
                };
                n.fields.push((name, v));
            }
        }
        Ok(n)
    }

    fn apply(&self, p: &mut Point) {
        for (k, v) in &self.fields {
            if !p.fields.contains_key(k) {
                Arc::make_mut(&mut p.fields).insert(k.as_str().into(), v.clone());
            }
        }
        for (k, v) in &self.tags {
            if !p.tags.contains_key(k) {
                Arc::make_mut(&mut p.tags).insert(k.clone(), v.clone());
            }
        }
    }
}

impl Node for DefaultNode {
    fn process(
        &mut self,
        _: &NodeCtx<'_>,
        mut msg: Msg,
        out: &mut Vec<Msg>,
    ) -> Result<(), NodeError> {
        match &mut msg {
            Msg::Point(p) => self.apply(p),
            Msg::Batch(b) => {
                for (k, v) in &self.tags {
                    if !b.tags.contains_key(k) {
                        Arc::make_mut(&mut b.tags).insert(k.clone(), v.clone());
                    }
                }
                b.points.iter_mut().for_each(|p| self.apply(p))
            }
        }
        out.push(msg);
        Ok(())
    }
}
