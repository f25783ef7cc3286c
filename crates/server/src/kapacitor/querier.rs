//! Batch tasks' queries through the InfluxQL executor: the script's
//! `SELECT` gets the run's time range ANDed to its `WHERE`, the task's
//! `groupBy` dimensions and `fill`, and each result series becomes a batch.

use std::sync::Arc;

use almanac_influxql::ast::{BinaryOp, Dimension, Expr, Fill, Statement};
use almanac_influxql_exec::{ExecContext, Executor};
use almanac_tasks::engine::BatchQuerier;
use almanac_tasks::model::{Batch, Dimensions, FieldValue, Fields, Point};
use almanac_tasks::nodes::query::{self, BatchQuery};

/// Runs batch queries with Almanac's InfluxQL engine.
pub struct InfluxQlQuerier {
    /// The executor.
    pub executor: Executor,
}

/// The statement a batch run executes.
pub fn statement(q: &BatchQuery) -> Result<Statement, String> {
    let parsed = almanac_influxql::parse_query(&q.query)
        .map_err(|e| format!("batch query {:?}: {e}", q.query))?;
    let mut sel = match parsed.statements.as_slice() {
        [Statement::Select(s)] => s.clone(),
        _ => {
            return Err(format!(
                "batch query must be a single SELECT statement: {:?}",
                q.query
            ))
        }
    };
    let range = Expr::Binary {
        op: BinaryOp::And,
        lhs: Box::new(Expr::Binary {
            op: BinaryOp::GtEq,
            lhs: Box::new(Expr::VarRef {
                name: "time".into(),
                data_type: None,
            }),
            rhs: Box::new(Expr::Integer(q.start)),
        }),
        rhs: Box::new(Expr::Binary {
            op: BinaryOp::Lt,
            lhs: Box::new(Expr::VarRef {
                name: "time".into(),
                data_type: None,
            }),
            rhs: Box::new(Expr::Integer(q.stop)),
        }),
    };
    sel.condition = Some(match sel.condition.take() {
        Some(c) => Expr::Binary {
            op: BinaryOp::And,
            lhs: Box::new(Expr::Paren(Box::new(c))),
            rhs: Box::new(range),
        },
        None => range,
    });
    if let Some(interval) = q.group_by_time {
        sel.dimensions
            .retain(|d| !matches!(d, Dimension::Time { .. }));
        sel.dimensions.push(Dimension::Time {
            interval,
            offset: None,
        });
    }
    for t in &q.group_by_tags {
        sel.dimensions.push(Dimension::Tag(t.clone()));
    }
    if q.group_by_star {
        sel.dimensions.push(Dimension::Wildcard);
    }
    if let Some(f) = &q.fill {
        sel.fill = match f {
            query::Fill::Null => Fill::Null,
            query::Fill::None => Fill::None,
            query::Fill::Previous => Fill::Previous,
            query::Fill::Linear => Fill::Linear,
            query::Fill::Number(n) => Fill::Number(*n),
            query::Fill::Integer(i) => Fill::Integer(*i),
        };
    }
    Ok(Statement::Select(sel))
}

fn field(v: &almanac_influxql_exec::result::Value) -> Option<FieldValue> {
    use almanac_influxql_exec::result::Value as V;
    Some(match v {
        V::Null => return None,
        V::Float(f) => FieldValue::Float(*f),
        V::Integer(i) => FieldValue::Int(*i),
        V::Unsigned(u) => FieldValue::UInt(*u),
        V::String(s) => FieldValue::Str(s.clone()),
        V::Boolean(b) => FieldValue::Bool(*b),
        V::Time(t) => FieldValue::Int(*t),
        V::Strings(items) => FieldValue::Str(items.join(",")),
    })
}

impl BatchQuerier for InfluxQlQuerier {
    async fn query(&self, q: &BatchQuery) -> Result<Vec<Batch>, String> {
        use almanac_influxql_exec::result::Value as V;
        let stmt = statement(q)?;
        let ctx = ExecContext {
            database: None,
            retention_policy: None,
            now: q.stop,
            read_only: true,
            user: None,
        };
        let result = self.executor.execute(&stmt, &ctx).await;
        if let Some(e) = result.error {
            return Err(e);
        }
        let mut out = Vec::new();
        for s in result.series {
            let dims = Arc::new(Dimensions {
                tag_names: s.tags.keys().cloned().collect(),
                ..Default::default()
            });
            let time_col = s.columns.iter().position(|c| c == "time");
            let tags = Arc::new(s.tags.clone());
            let mut points = Vec::with_capacity(s.values.len());
            for row in &s.values {
                let time = match time_col.and_then(|i| row.get(i)) {
                    Some(V::Time(t)) | Some(V::Integer(t)) => *t,
                    _ => q.stop,
                };
                let fields: Fields = s
                    .columns
                    .iter()
                    .zip(row)
                    .enumerate()
                    .filter(|(i, _)| Some(*i) != time_col)
                    .filter_map(|(_, (c, v))| field(v).map(|f| (c.clone(), f)))
                    .collect();
                if fields.is_empty() {
                    continue;
                }
                let mut p = Point::new("", "", &s.name, Default::default(), fields, time);
                p.tags = tags.clone();
                p.dims = dims.clone();
                points.push(p);
            }
            out.push(Batch {
                name: s.name.as_str().into(),
                tags,
                tmax: q.stop,
                dims,
                points,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_range_dimensions_and_fill_are_added() {
        let q = BatchQuery {
            task: "t".into(),
            node: 1,
            query: "SELECT mean(v) FROM \"db\".\"autogen\".\"m\" WHERE host = 'a' OR host = 'b'"
                .into(),
            start: 10,
            stop: 20,
            group_by_time: Some(5),
            group_by_tags: vec!["host".into()],
            group_by_star: false,
            fill: Some(query::Fill::Integer(0)),
        };
        let s = statement(&q).unwrap().to_string();
        assert!(
            s.contains("WHERE (host = 'a' OR host = 'b') AND time >= 10 AND time < 20"),
            "{s}"
        );
        assert!(s.contains("GROUP BY time(5ns), host fill(0)"), "{s}");
        let bad = BatchQuery {
            query: "SHOW DATABASES".into(),
            ..q
        };
        assert!(statement(&bad).is_err());
    }
}
