//! `eval`: computes new fields (or tags) from lambdas.

use super::{args, Node, NodeCtx, NodeError};
use crate::lambda::{LValue, Lambda};
use crate::model::{Msg, Point};
use crate::tick::pipeline::NodeDef;
use crate::tick::TickError;
use std::sync::Arc;

/// The `eval` node.
pub struct EvalNode {
    exprs: Vec<Lambda>,
    names: Vec<String>,
    /// `None`: drop the original fields; `Some([])`: keep all; else keep these.
    keep: Option<Vec<String>>,
    tags: Vec<String>,
    quiet: bool,
}

impl EvalNode {
    /// Builds from `eval(lambdas...)` and `.as()`, `.keep()`, `.tags()`, `.quiet()`.
    pub fn new(def: &NodeDef) -> Result<Self, TickError> {
        if def.args.is_empty() {
            return Err(TickError::at(def.pos, "eval expects at least one lambda"));
        }
        let exprs = def
            .args
            .iter()
            .map(|a| args::lambda(a, "eval"))
            .collect::<Result<Vec<_>, _>>()?;
        let mut n = EvalNode {
            exprs,
            names: Vec::new(),
            keep: None,
            tags: Vec::new(),
            quiet: false,
        };
        for p in &def.props {
            match p.name.as_str() {
                "as" => n.names = args::strings(&p.args, "as")?,
                "keep" => n.keep = Some(args::strings(&p.args, "keep")?),
                "tags" => n.tags = args::strings(&p.args, "tags")?,
                "quiet" => n.quiet = args::flag(p)?,
                other => {
                    return Err(TickError::at(
                        p.pos,
                        format!("not supported yet: {} .{other}()", def.kind),
                    ))
                }
            }
        }
        if n.names.len() != n.exprs.len() {
            return Err(TickError::at(
                def.pos,
                format!("must provide one name per expression via the 'As' property, got {} names for {} expressions", n.names.len(), n.exprs.len()),
            ));
        }
        for t in &n.tags {
            if !n.names.contains(t) {
                return Err(TickError::at(
                    def.pos,
                    format!("tag {t:?} is not one of the 'As' names"),
                ));
            }
        }
        Ok(n)
    }

    fn apply(&mut self, p: &mut Point) -> Result<(), NodeError> {
        for (expr, name) in self.exprs.iter_mut().zip(&self.names) {
            let v = expr.eval(&p.fields, &p.tags, p.time)?;
            if self.tags.contains(name) {
                let LValue::Str(s) = v else {
                    return Err(NodeError(format!(
                        "cannot use non-string value as tag {name:?}"
                    )));
                };
                Arc::make_mut(&mut p.tags).insert(name.clone(), s);
            } else {
                Arc::make_mut(&mut p.fields).insert(name.as_str().into(), v.to_field());
            }
        }
        match &self.keep {
            None => Arc::make_mut(&mut p.fields).retain(|k, _| {
                self.names.iter().any(|n| **n == **k) && !self.tags.iter().any(|t| **t == **k)
            }),
            Some(list) if list.is_empty() => {}
            Some(list) => {
                Arc::make_mut(&mut p.fields).retain(|k, _| list.iter().any(|n| **n == **k))
            }
        }
        Ok(())
    }
}

impl Node for EvalNode {
    fn process(&mut self, _: &NodeCtx<'_>, msg: Msg, out: &mut Vec<Msg>) -> Result<(), NodeError> {
        match msg {
            Msg::Point(mut p) => match self.apply(&mut p) {
                Ok(()) => out.push(Msg::Point(p)),
                Err(_) if self.quiet => {}
                Err(e) => return Err(e),
            },
            Msg::Batch(mut b) => {
                let mut kept = Vec::with_capacity(b.points.len());
                for mut p in std::mem::take(&mut b.points) {
                    match self.apply(&mut p) {
                        Ok(()) => kept.push(p),
                        Err(_) if self.quiet => {}
                        Err(e) => return Err(e),
                    }
                }
                b.points = kept;
                out.push(Msg::Batch(b));
            }
        }
        Ok(())
    }
}
