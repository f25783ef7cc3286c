//! `holtWinters(field, h, m, interval)` and `holtWintersWithFit(…)`:
//! forecasts `h` values after each batch with InfluxQL's damped
//! Holt-Winters method (the same computation as the InfluxQL function,
//! [`almanac_influxql::holt_winters::forecast`]), `m` being the season
//! length in intervals (below 2: no season) and `interval` the spacing of
//! the series. The with-fit form also emits the fitted values from the
//! batch's first point on.
//!
//! As in Kapacitor: the result is a batch of the group (its tags, its time)
//! whose points hold one field named `holtWinters` unless `.as()` says
//! otherwise. Non-numeric values are an error for the batch; a batch without
//! the field, or too short to fit, gives nothing.

use super::{args, Node, NodeCtx, NodeError};
use crate::model::{Batch, FieldValue, Fields, Msg, Point};
use crate::tick::pipeline::NodeDef;
use crate::tick::TickError;
use std::sync::Arc;

/// The `holtWinters` / `holtWintersWithFit` node.
pub struct HoltWintersNode {
    field: String,
    h: usize,
    m: usize,
    interval: i64,
    with_fit: bool,
    as_name: String,
}

impl HoltWintersNode {
    /// Builds from `holtWinters('field', h, m, interval)` and `.as()`.
    pub fn new(def: &NodeDef) -> Result<Self, TickError> {
        args::count(&def.args, 4, def.pos, &def.kind)?;
        let field = args::string(&def.args[0], "field")?;
        let h = args::int(&def.args[1], "h")?;
        let m = args::int(&def.args[2], "m")?;
        if h < 0 || m < 0 {
            return Err(TickError::at(
                def.pos,
                format!("{}: h and m must not be negative", def.kind),
            ));
        }
        let interval = args::duration(&def.args[3], "interval")?;
        if interval <= 0 {
            return Err(TickError::at(
                def.args[3].pos,
                format!("{}: interval must be greater than zero", def.kind),
            ));
        }
        let mut n = HoltWintersNode {
            field,
            h: h as usize,
            m: m as usize,
            interval,
            with_fit: def.kind == "holtWintersWithFit",
            as_name: "holtWinters".into(),
        };
        for p in &def.props {
            match p.name.as_str() {
                "as" => n.as_name = args::string(args::get(&p.args, 0, p.pos, "as")?, "as")?,
                other => {
                    return Err(TickError::at(
                        p.pos,
                        format!("no method or property \"{other}\" on InfluxQLNode"),
                    ))
                }
            }
        }
        Ok(n)
    }

    fn forecast(&self, b: &Batch) -> Result<Vec<Point>, NodeError> {
        let mut series = Vec::with_capacity(b.points.len());
        for p in &b.points {
            let Some(v) = p.fields.get(&self.field) else {
                continue;
            };
            let f = v.as_f64().ok_or_else(|| {
                NodeError(format!(
                    "unsupported holt winters iterator type: field {:?} is not numeric",
                    self.field
                ))
            })?;
            series.push((p.time, f));
        }
        if series.is_empty() {
            return Ok(Vec::new());
        }
        let name = if self.with_fit {
            "holtWintersWithFit"
        } else {
            "holtWinters"
        };
        let out = almanac_influxql::holt_winters::forecast(
            name,
            &series,
            self.interval,
            self.h,
            self.m,
            self.with_fit,
        )
        .map_err(|e| NodeError(e.0))?;
        let (db, rp) = b
            .points
            .first()
            .map(|p| (p.database.clone(), p.retention_policy.clone()))
            .unwrap_or_else(|| ("".into(), "".into()));
        Ok(out
            .into_iter()
            .map(|(t, v)| {
                let mut fields = Fields::new();
                fields.insert(self.as_name.as_str().into(), FieldValue::Float(v));
                Point {
                    database: db.clone(),
                    retention_policy: rp.clone(),
                    name: b.name.clone(),
                    tags: b.tags.clone(),
                    fields: Arc::new(fields),
                    time: t,
                    dims: b.dims.clone(),
                }
            })
            .collect())
    }
}

impl Node for HoltWintersNode {
    fn process(&mut self, _: &NodeCtx<'_>, msg: Msg, out: &mut Vec<Msg>) -> Result<(), NodeError> {
        let Msg::Batch(b) = msg else {
            return Err(NodeError(
                "holtWinters expects batches (a window or a batch query)".into(),
            ));
        };
        let points = self.forecast(&b)?;
        if !points.is_empty() {
            out.push(Msg::Batch(Batch { points, ..b }));
        }
        Ok(())
    }
}
