//! Table operations pushed into a pending read, run over compact series.
//!
//! `from |> range |> filter` is a [`PendingRead`]; the common shapes that
//! follow it join the read instead of running over full-width tables:
//!
//! - `last()` / `first()` (the source may keep one point per series),
//! - `aggregateWindow(fn: first|last|min|max|mean|count|sum|spread)`, alone
//!   or after `group(columns: …)`, and a `limit(n:, offset:)` after it (the
//!   read then stops where every table's first `offset + n` windows end),
//! - `pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")`
//!   and the `filter`s after it (comparisons of columns with constants are
//!   evaluated before the pivoted table is built).
//!
//! The read then asks the source for [`SeriesData`] (times and one typed
//! value array per series and field, no per-row tag strings) and computes the
//! operations' output tables directly. The answers are the ones the general
//! path gives — same tables, columns, types, row order and float arithmetic
//! order — and whenever the data or the arguments leave that exact shape
//! (differing column sets, nulls, a window with a location, a user function,
//! …) the operations are replayed one by one on ordinary tables instead.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, BooleanArray, TimestampNanosecondArray, UInt32Array};
use arrow::compute::{filter as filter_array, interleave, take};
use arrow::datatypes::{Field, Float64Type, Int64Type, Schema, SchemaRef};
use arrow::record_batch::{RecordBatch, RecordBatchOptions};

use crate::ast::{Expression, FunctionBody, LogicalOperator, Operator, Statement};
use crate::error::{Error, Result};
use crate::interp::{binary, Env, Interp};
use crate::source::{
    const_str, const_time, point_table_with, series_table_with, table_of, ConstColumns, Edge,
    SeriesData, SeriesRead,
};
use crate::stdlib::universe::{agg_spread, agg_sum, filter_tables, window_spec, window_start};
use crate::table::{array_value, build_array, ColMeta, ColType, GroupKey, Table};
use crate::value::{Args, Function, PendingRead, Stream, Value};

/// One operation joined to a pending read, with what replays it on tables.
#[derive(Debug, Clone)]
pub struct PushedOp {
    /// What the operation is.
    pub op: Op,
    replay: Replay,
}

/// The operations a read can take.
#[derive(Debug, Clone)]
pub enum Op {
    /// `group(columns:)` (mode `by`).
    Group(Vec<String>),
    /// `aggregateWindow` with a native aggregate or selector.
    Window(WindowAgg),
    /// `first()` / `last()` of `_value`.
    Edge(Edge),
    /// `pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")`.
    Pivot,
    /// A `filter` after a pivot; the comparisons when the function is only that.
    Filter(Option<RowPredicate>),
    /// `limit(n:, offset:)` after `aggregateWindow`.
    Limit {
        /// Rows kept per table.
        n: usize,
        /// Rows skipped first.
        offset: usize,
    },
}

/// How to run an operation on ordinary tables.
#[derive(Debug, Clone)]
enum Replay {
    /// Call the native again with its arguments.
    Call {
        func: Value,
        args: Vec<(String, Value)>,
    },
    /// `filter(fn:)`.
    Filter(Value),
}

/// `aggregateWindow(every:, offset:, fn:)` over `_value` into `_time`, UTC,
/// `period == every`, without empty windows.
#[derive(Debug, Clone)]
pub struct WindowAgg {
    every: i64,
    offset: i64,
    agg: WinFn,
    /// `timeSrc: "_start"` (else `_stop`).
    time_from_start: bool,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum WinFn {
    First,
    Last,
    Min,
    Max,
    Mean,
    Count,
    Sum,
    Spread,
}

impl WinFn {
    fn is_selector(self) -> bool {
        matches!(self, WinFn::First | WinFn::Last | WinFn::Min | WinFn::Max)
    }
}

/// `r.col OP constant` comparisons that must all be true.
#[derive(Debug, Clone)]
pub struct RowPredicate {
    conjuncts: Vec<Comparison>,
}

#[derive(Debug, Clone)]
struct Comparison {
    column: String,
    op: Operator,
    constant: Value,
    /// The column is the left operand.
    column_left: bool,
}

/// The natives that can join a read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Kind {
    Group,
    AggregateWindow,
    First,
    Last,
    Pivot,
    Limit,
}

fn pending(a: &Args) -> Option<&PendingRead> {
    a.values.iter().find_map(|(k, v)| match v {
        Value::Stream(s) if k == "tables" => match s.as_ref() {
            Stream::Read(r) => Some(r.as_ref()),
            _ => None,
        },
        _ => None,
    })
}

fn string_arg(a: &Args, name: &str) -> Option<Option<String>> {
    match a.values.iter().find(|(k, _)| k == name).map(|(_, v)| v) {
        None | Some(Value::Null) => Some(None),
        Some(Value::String(s)) => Some(Some(s.to_string())),
        Some(_) => None,
    }
}

fn strings_arg(a: &Args, name: &str) -> Option<Option<Vec<String>>> {
    match a.values.iter().find(|(k, _)| k == name).map(|(_, v)| v) {
        None | Some(Value::Null) => Some(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| match v {
                Value::String(s) => Some(s.to_string()),
                _ => None,
            })
            .collect::<Option<Vec<_>>>()
            .map(Some),
        Some(_) => None,
    }
}

/// The pending read `a` pipes in with this native joined to it, when the
/// native and its arguments have a shape [`execute`] runs; `None` otherwise
/// (the caller then materializes its input and runs as usual).
pub(crate) fn try_push(it: &mut Interp, a: &Args, kind: Kind) -> Result<Option<Value>> {
    let Some(r) = pending(a) else {
        return Ok(None);
    };
    if !r.residual.is_empty() {
        return Ok(None);
    }
    let op = match kind {
        Kind::Group => {
            let mode = string_arg(a, "mode");
            let by = mode == Some(None) || mode == Some(Some("by".into()));
            if !r.ops.is_empty() || !by {
                return Ok(None);
            }
            match strings_arg(a, "columns") {
                Some(c) => Op::Group(c.unwrap_or_default()),
                None => return Ok(None),
            }
        }
        Kind::First | Kind::Last => {
            let column = string_arg(a, "column");
            let value = column == Some(None) || column == Some(Some("_value".into()));
            if !r.ops.is_empty() || !value {
                return Ok(None);
            }
            Op::Edge(if kind == Kind::First {
                Edge::First
            } else {
                Edge::Last
            })
        }
        Kind::Pivot => {
            let shape = strings_arg(a, "rowKey") == Some(Some(vec!["_time".into()]))
                && strings_arg(a, "columnKey") == Some(Some(vec!["_field".into()]))
                && string_arg(a, "valueColumn") == Some(Some("_value".into()));
            let after_edge = matches!(
                r.ops.as_slice(),
                [PushedOp {
                    op: Op::Edge(_),
                    ..
                }]
            );
            if !(r.ops.is_empty() || after_edge) || !shape {
                return Ok(None);
            }
            Op::Pivot
        }
        Kind::AggregateWindow => {
            let after_group = matches!(
                r.ops.as_slice(),
                [PushedOp {
                    op: Op::Group(_),
                    ..
                }]
            );
            if !r.ops.is_empty() && !after_group {
                return Ok(None);
            }
            match window_agg(it, a)? {
                Some(w) => Op::Window(w),
                None => return Ok(None),
            }
        }
        Kind::Limit => {
            let after_window = matches!(
                r.ops.last(),
                Some(PushedOp {
                    op: Op::Window(_),
                    ..
                })
            );
            let count =
                |name: &str, default: Option<usize>| match a.values.iter().find(|(k, _)| k == name)
                {
                    None => default,
                    Some((_, Value::Int(v))) => usize::try_from(*v).ok(),
                    Some(_) => None,
                };
            match (after_window, count("n", None), count("offset", Some(0))) {
                (true, Some(n), Some(offset)) => Op::Limit { n, offset },
                _ => return Ok(None),
            }
        }
    };
    let func = it
        .universe
        .lookup(&a.func)
        .ok_or_else(|| Error::rt(format!("{}: not in the universe", a.func)))?;
    let args = a
        .values
        .iter()
        .filter(|(k, _)| k != "tables")
        .cloned()
        .collect();
    let mut read = r.clone();
    read.ops.push(PushedOp {
        op,
        replay: Replay::Call { func, args },
    });
    Ok(Some(Value::Stream(Arc::new(Stream::Read(Box::new(read))))))
}

/// The [`WindowAgg`] of an `aggregateWindow` call, when it has that shape.
fn window_agg(it: &mut Interp, a: &Args) -> Result<Option<WindowAgg>> {
    let mut copy = Args {
        func: a.func.clone(),
        values: a.values.clone(),
        loc: a.loc,
    };
    // a bad argument is reported by the general path
    let Ok(spec) = window_spec(it, &mut copy, true) else {
        return Ok(None);
    };
    let defaults =
        spec.time_col == "_time" && spec.start_col == "_start" && spec.stop_col == "_stop";
    if !defaults
        || spec.every_months != 0
        || spec.every == i64::MAX
        || spec.period != spec.every
        || spec.create_empty
        || !spec.location.is_utc()
    {
        return Ok(None);
    }
    if string_arg(a, "column") != Some(None)
        && string_arg(a, "column") != Some(Some("_value".into()))
    {
        return Ok(None);
    }
    if string_arg(a, "timeDst") != Some(None)
        && string_arg(a, "timeDst") != Some(Some("_time".into()))
    {
        return Ok(None);
    }
    let time_from_start = match string_arg(a, "timeSrc") {
        Some(None) => false,
        Some(Some(s)) if s == "_stop" => false,
        Some(Some(s)) if s == "_start" => true,
        _ => return Ok(None),
    };
    let Some(Value::Function(f)) = a.values.iter().find(|(k, _)| k == "fn").map(|(_, v)| v) else {
        return Ok(None);
    };
    let Function::Native { name, .. } = f.as_ref() else {
        return Ok(None);
    };
    let agg = match name.as_str() {
        "first" => WinFn::First,
        "last" => WinFn::Last,
        "min" => WinFn::Min,
        "max" => WinFn::Max,
        "mean" => WinFn::Mean,
        "count" => WinFn::Count,
        "sum" => WinFn::Sum,
        "spread" => WinFn::Spread,
        _ => return Ok(None),
    };
    // selectors take the window stop (the general path's simple case)
    if agg.is_selector() && time_from_start {
        return Ok(None);
    }
    Ok(Some(WindowAgg {
        every: spec.every,
        offset: spec.offset,
        agg,
        time_from_start,
    }))
}

/// A `filter` after a pushed pivot (or filter): joins the read.
pub(crate) fn push_filter(it: &mut Interp, r: &PendingRead, f: &Value) -> Option<Value> {
    let last = r.ops.last()?;
    if !matches!(last.op, Op::Pivot | Op::Filter(_)) || !r.residual.is_empty() {
        return None;
    }
    let mut read = r.clone();
    read.ops.push(PushedOp {
        op: Op::Filter(row_predicate(it, f)),
        replay: Replay::Filter(f.clone()),
    });
    Some(Value::Stream(Arc::new(Stream::Read(Box::new(read)))))
}

/// Replace a pending `tables` argument by the tables it reads.
pub(crate) fn materialize_input(it: &mut Interp, a: &mut Args) -> Result<()> {
    for i in 0..a.values.len() {
        if a.values[i].0 == "tables" {
            let v = std::mem::replace(&mut a.values[i].1, Value::Null);
            a.values[i].1 = it.materialize(v)?;
        }
    }
    Ok(())
}

// ---------- the row predicate ----------

fn row_predicate(it: &mut Interp, f: &Value) -> Option<RowPredicate> {
    let Value::Function(func) = f else {
        return None;
    };
    let Function::Closure { expr, env } = func.as_ref() else {
        return None;
    };
    if expr.params.len() != 1 {
        return None;
    }
    let param = expr.params[0].key.name();
    let body = match expr.body.as_ref() {
        FunctionBody::Expression(e) => e.as_ref(),
        FunctionBody::Block(b) => match b.body.as_slice() {
            [Statement::ReturnStatement(r)] => &r.argument,
            _ => return None,
        },
    };
    let mut parts = Vec::new();
    split_and(body, &mut parts);
    let conjuncts = parts
        .into_iter()
        .map(|e| comparison(it, e, param, env))
        .collect::<Option<Vec<_>>>()?;
    Some(RowPredicate { conjuncts })
}

fn unparen(e: &Expression) -> &Expression {
    match e {
        Expression::ParenExpression(p) => unparen(&p.expression),
        e => e,
    }
}

fn split_and<'a>(e: &'a Expression, out: &mut Vec<&'a Expression>) {
    match unparen(e) {
        Expression::LogicalExpression(l) if l.operator == LogicalOperator::And => {
            split_and(&l.left, out);
            split_and(&l.right, out);
        }
        e => out.push(e),
    }
}

fn comparison(it: &mut Interp, e: &Expression, param: &str, env: &Env) -> Option<Comparison> {
    let Expression::BinaryExpression(b) = unparen(e) else {
        return None;
    };
    use Operator::*;
    if !matches!(b.operator, Lt | Lte | Gt | Gte | Eq | Neq) {
        return None;
    }
    let (column, other, column_left) =
        match (row_column(&b.left, param), row_column(&b.right, param)) {
            (Some(c), None) => (c, &b.right, true),
            (None, Some(c)) => (c, &b.left, false),
            _ => return None,
        };
    let constant = constant(it, other, param, env)?;
    Some(Comparison {
        column,
        op: b.operator,
        constant,
        column_left,
    })
}

/// `r.col` or `r["col"]`.
fn row_column(e: &Expression, param: &str) -> Option<String> {
    match unparen(e) {
        Expression::MemberExpression(m) => match m.object.as_ref() {
            Expression::Identifier(id) if id.name == param => Some(m.property.name().to_string()),
            _ => None,
        },
        Expression::IndexExpression(ix) => match (ix.array.as_ref(), ix.index.as_ref()) {
            (Expression::Identifier(id), Expression::StringLiteral(s)) if id.name == param => {
                Some(s.value.clone())
            }
            _ => None,
        },
        _ => None,
    }
}

/// A scalar that does not depend on the row: a literal, a (negated)
/// literal, or a name (or member of one) of the closure's scope.
fn constant(it: &mut Interp, e: &Expression, param: &str, env: &Env) -> Option<Value> {
    let simple = match unparen(e) {
        Expression::FloatLiteral(_)
        | Expression::IntegerLiteral(_)
        | Expression::UnsignedIntegerLiteral(_)
        | Expression::StringLiteral(_) => true,
        Expression::UnaryExpression(u) => matches!(
            unparen(&u.argument),
            Expression::FloatLiteral(_) | Expression::IntegerLiteral(_)
        ),
        Expression::Identifier(id) => id.name != param,
        Expression::MemberExpression(m) => {
            matches!(m.object.as_ref(), Expression::Identifier(id) if id.name != param)
        }
        _ => false,
    };
    if !simple {
        return None;
    }
    match it.eval(e, env).ok()? {
        v @ (Value::Float(_)
        | Value::Int(_)
        | Value::UInt(_)
        | Value::String(_)
        | Value::Time(_)
        | Value::Bool(_)) => Some(v),
        _ => None,
    }
}

// ---------- running a read ----------

/// Run a pending read: source read, remaining filters, pushed operations.
pub(crate) fn execute(it: &mut Interp, r: &PendingRead) -> Result<Vec<Table>> {
    if let Some(tables) = leading_windows(it, r)? {
        return Ok(tables);
    }
    if !r.ops.is_empty() && r.residual.is_empty() {
        let edge = match r.ops.first() {
            Some(PushedOp {
                op: Op::Edge(e), ..
            }) => Some(*e),
            _ => None,
        };
        let req = SeriesRead {
            bucket: &r.bucket,
            start: r.start,
            stop: r.stop,
            pred: &r.pred,
            edge,
        };
        if let Some(series) = it.source.read_series(&req)? {
            if series.iter().all(is_clean) {
                if let Some(out) = run(it, r, &series)? {
                    return Ok(out);
                }
            }
            let mut consts = ConstColumns::default();
            let tables = series
                .iter()
                .map(|s| series_table_with(r.start, r.stop, s, &mut consts))
                .collect::<Result<Vec<_>>>()?;
            return replay(it, &r.ops, tables);
        }
    }
    let mut tables = it.source.read(&r.bucket, r.start, r.stop, Some(&r.pred))?;
    for f in &r.residual {
        tables = filter_tables(it, &tables, f, false)?;
    }
    replay(it, &r.ops, tables)
}

/// `aggregateWindow |> limit(n:, offset:)` reading only the leading
/// windows: each series' first point (one per series) says where its first
/// `offset + n` windows end at the latest; the read stops at the last such
/// window boundary, so every window before it is whole and every series
/// (hence every table) is in it. `None` (read everything) when that saves
/// nothing or some table has fewer than `offset + n` windows there (gaps).
fn leading_windows(it: &mut Interp, r: &PendingRead) -> Result<Option<Vec<Table>>> {
    let [windowing @ .., limit @ PushedOp {
        op: Op::Limit { n, offset },
        ..
    }] = r.ops.as_slice()
    else {
        return Ok(None);
    };
    let Some(PushedOp {
        op: Op::Window(w), ..
    }) = windowing.last()
    else {
        return Ok(None);
    };
    let wanted = n.saturating_add(*offset);
    if !r.residual.is_empty() || wanted == 0 {
        return Ok(None);
    }
    let mut req = SeriesRead {
        bucket: &r.bucket,
        start: r.start,
        stop: r.stop,
        pred: &r.pred,
        edge: Some(Edge::First),
    };
    let Some(firsts) = it.source.read_series(&req)? else {
        return Ok(None);
    };
    let span = w
        .every
        .saturating_mul(i64::try_from(wanted).unwrap_or(i64::MAX));
    let mut stop = i64::MIN;
    for s in &firsts {
        let Some(first) = s.times.first() else {
            return Ok(None);
        };
        stop = stop.max(window_start(*first, w.every, w.offset).saturating_add(span));
    }
    if firsts.is_empty() || stop >= r.stop {
        return Ok(None);
    }
    req.stop = stop;
    req.edge = None;
    let Some(series) = it.source.read_series(&req)? else {
        return Ok(None);
    };
    if !series.iter().all(is_clean) {
        return Ok(None);
    }
    let mut windowed = r.clone();
    windowed.ops = windowing.to_vec();
    let Some(tables) = run(it, &windowed, &series)? else {
        return Ok(None);
    };
    if tables.iter().any(|t| t.len() < wanted) {
        return Ok(None);
    }
    replay(it, std::slice::from_ref(limit), tables).map(Some)
}

/// Series the direct computations take: points, no nulls, values aligned.
fn is_clean(s: &SeriesData) -> bool {
    !s.is_empty() && s.values.null_count() == 0 && s.values.len() == s.len()
}

/// Run operations one by one on tables (the general path).
fn replay(it: &mut Interp, ops: &[PushedOp], mut tables: Vec<Table>) -> Result<Vec<Table>> {
    for op in ops {
        tables = match &op.replay {
            Replay::Call { func, args } => {
                match it.call_piped(func, args.clone(), Value::stream(tables))? {
                    Value::Stream(s) => s.into_tables()?,
                    v => {
                        return Err(Error::rt(format!(
                            "expected a stream but found {}",
                            v.type_name()
                        )))
                    }
                }
            }
            Replay::Filter(f) => filter_tables(it, &tables, f, false)?,
        };
    }
    Ok(tables)
}

/// The operations over series; `None` when the data leave the shape the
/// direct computation covers.
fn run(it: &mut Interp, r: &PendingRead, series: &[SeriesData]) -> Result<Option<Vec<Table>>> {
    if let [rest @ .., limit @ PushedOp {
        op: Op::Limit { .. },
        ..
    }] = r.ops.as_slice()
    {
        let mut inner = r.clone();
        inner.ops = rest.to_vec();
        return match run(it, &inner, series)? {
            Some(tables) => replay(it, std::slice::from_ref(limit), tables).map(Some),
            None => Ok(None),
        };
    }
    match r.ops.as_slice() {
        [PushedOp {
            op: Op::Edge(e), ..
        }] => edges(r, series, *e).map(Some),
        [PushedOp {
            op: Op::Window(w), ..
        }] => windows(r, series, None, w),
        [PushedOp {
            op: Op::Group(c), ..
        }, PushedOp {
            op: Op::Window(w), ..
        }] => windows(r, series, Some(c), w),
        [PushedOp { op: Op::Pivot, .. }, rest @ ..] => {
            if rest.iter().all(|o| matches!(o.op, Op::Filter(_))) {
                pivot(it, r, series, None, rest)
            } else {
                Ok(None)
            }
        }
        [PushedOp {
            op: Op::Edge(e), ..
        }, PushedOp { op: Op::Pivot, .. }, rest @ ..] => {
            if rest.iter().all(|o| matches!(o.op, Op::Filter(_))) {
                pivot(it, r, series, Some(*e), rest)
            } else {
                Ok(None)
            }
        }
        _ => Ok(None),
    }
}

/// `first()`/`last()`: one row per series.
fn edges(r: &PendingRead, series: &[SeriesData], edge: Edge) -> Result<Vec<Table>> {
    let mut consts = ConstColumns::default();
    series
        .iter()
        .map(|s| {
            let i = match edge {
                Edge::First => 0,
                Edge::Last => s.len() - 1,
            };
            point_table_with(r.start, r.stop, s, i, &mut consts)
        })
        .collect()
}

/// Total order of two values of one column type, as `Value::sort_cmp`
/// orders non-null values.
fn cmp_at(a: &dyn Array, i: usize, b: &dyn Array, j: usize, typ: ColType) -> std::cmp::Ordering {
    use arrow::array::AsArray;
    use arrow::datatypes::UInt64Type;
    use std::cmp::Ordering;
    match typ {
        ColType::Float => {
            let (x, y) = (
                a.as_primitive::<Float64Type>().value(i),
                b.as_primitive::<Float64Type>().value(j),
            );
            x.partial_cmp(&y).unwrap_or(Ordering::Equal)
        }
        ColType::Int => a
            .as_primitive::<Int64Type>()
            .value(i)
            .cmp(&b.as_primitive::<Int64Type>().value(j)),
        ColType::UInt => a
            .as_primitive::<UInt64Type>()
            .value(i)
            .cmp(&b.as_primitive::<UInt64Type>().value(j)),
        t => array_value(a, t, i).sort_cmp(&array_value(b, t, j)),
    }
}

/// Per-window state of an aggregate.
enum Acc {
    /// The selected (series, row).
    Pick(usize, usize),
    /// Values as floats, in table order (mean).
    Floats(Vec<f64>),
    /// Row count.
    Count(i64),
    /// Values in table order (sum, spread).
    Values(Vec<Value>),
}

/// `[group |>] aggregateWindow(…)`.
fn windows(
    r: &PendingRead,
    series: &[SeriesData],
    group: Option<&Vec<String>>,
    w: &WindowAgg,
) -> Result<Option<Vec<Table>>> {
    let Some(first) = series.first() else {
        return Ok(Some(Vec::new()));
    };
    // the general group moves whole tables only when they share columns
    let cols = first.columns();
    if series[1..].iter().any(|s| s.columns() != cols) {
        return Ok(None);
    }
    let typ = first.typ;
    if !w.agg.is_selector() && !matches!(typ, ColType::Float | ColType::Int | ColType::UInt) {
        return Ok(None);
    }
    // groups in order of first appearance
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut groups: Vec<(GroupKey, Vec<usize>)> = Vec::new();
    for (i, s) in series.iter().enumerate() {
        let full = s.key(r.start, r.stop);
        let key = match group {
            Some(columns) => {
                if columns.iter().any(|c| c == "_time" || c == "_value") {
                    return Ok(None);
                }
                GroupKey::new(
                    full.cols
                        .into_iter()
                        .filter(|(m, _)| columns.contains(&m.label))
                        .collect(),
                )
            }
            None => full,
        };
        let id = format!("{:?}", key.cols);
        match index.get(&id) {
            Some(&g) => groups[g].1.push(i),
            None => {
                index.insert(id, groups.len());
                groups.push((key, vec![i]));
            }
        }
    }
    let mut out = Vec::with_capacity(groups.len());
    for (key, members) in groups {
        let key = match (key.has("_start"), key.has("_stop")) {
            (true, true) => key,
            // the window(every: inf) ending aggregateWindow puts the read's
            // bounds back into the key
            (false, false) => {
                let time = |l: &str, t| {
                    let m = ColMeta {
                        label: l.to_string(),
                        typ: ColType::Time,
                    };
                    (m, Value::Time(t))
                };
                let mut cols = key.cols;
                cols.push(time("_start", r.start));
                cols.push(time("_stop", r.stop));
                GroupKey::new(cols)
            }
            _ => return Ok(None),
        };
        out.push(window_group(r, series, &cols, key, &members, w)?);
    }
    Ok(Some(out))
}

/// The values of `a` as a slice, when it is a primitive array of `T`.
fn values_of<T: arrow::datatypes::ArrowPrimitiveType>(a: &dyn Array) -> Option<&[T::Native]> {
    a.as_any()
        .downcast_ref::<arrow::array::PrimitiveArray<T>>()
        .map(|a| &a.values()[..])
}

/// Goes on from `pick` (whose value is `best`) over `values[rows]` of
/// series `si`: a value strictly greater (`max`) or smaller wins, as the
/// general selector compares in table order (NaN never wins).
fn extend_pick<T: PartialOrd + Copy>(
    values: &[T],
    mut best: T,
    si: usize,
    rows: std::ops::Range<usize>,
    max: bool,
    mut pick: (usize, usize),
) -> (usize, usize) {
    for k in rows {
        let v = values[k];
        if (max && v > best) || (!max && v < best) {
            best = v;
            pick = (si, k);
        }
    }
    pick
}

/// The index of window `ws` in `wins` (sorted by start), added when new.
fn window_slot(wins: &mut Vec<(i64, Option<Acc>)>, ws: i64) -> usize {
    match wins.last() {
        Some((last, _)) if *last == ws => return wins.len() - 1,
        Some((last, _)) if *last > ws => {
            return match wins.binary_search_by_key(&ws, |(w, _)| *w) {
                Ok(i) => i,
                Err(i) => {
                    wins.insert(i, (ws, None));
                    i
                }
            }
        }
        _ => {}
    }
    wins.push((ws, None));
    wins.len() - 1
}

/// One group's windows, computed over its series in table order.
fn window_group(
    r: &PendingRead,
    series: &[SeriesData],
    cols: &[ColMeta],
    key: GroupKey,
    members: &[usize],
    w: &WindowAgg,
) -> Result<Table> {
    let typ = series[members[0]].typ;
    // windows by start, ascending; each series adds its windows in
    // ascending order, so a window is nearly always the last one
    let mut wins: Vec<(i64, Option<Acc>)> = Vec::new();
    for &si in members {
        let s = &series[si];
        let vals = s.values.as_ref();
        // float and integer values as slices: min/max compare them directly
        let floats = values_of::<Float64Type>(vals);
        let ints = values_of::<Int64Type>(vals);
        let mut i = 0;
        while i < s.len() {
            let ws = window_start(s.times[i], w.every, w.offset);
            let we = ws.saturating_add(w.every);
            let mut j = i + 1;
            while j < s.len() && s.times[j] < we {
                j += 1;
            }
            let at = window_slot(&mut wins, ws);
            let slot = &mut wins[at].1;
            match w.agg {
                WinFn::First => {
                    slot.get_or_insert(Acc::Pick(si, i));
                }
                WinFn::Last => {
                    *slot = Some(Acc::Pick(si, j - 1));
                }
                WinFn::Min | WinFn::Max => {
                    let max = w.agg == WinFn::Max;
                    let better = if max {
                        std::cmp::Ordering::Greater
                    } else {
                        std::cmp::Ordering::Less
                    };
                    // One pass in table order, as the general selector: a
                    // window an earlier series started goes on from its pick
                    // (a NaN here must not restart the comparison).
                    let (mut pick, from) = match slot {
                        Some(Acc::Pick(ps, pr)) => ((*ps, *pr), i),
                        _ => ((si, i), i + 1),
                    };
                    let picked = series[pick.0].values.as_ref();
                    let float_pick = values_of::<Float64Type>(picked).map(|v| v[pick.1]);
                    let int_pick = values_of::<Int64Type>(picked).map(|v| v[pick.1]);
                    if let (Some(f), Some(best)) = (floats, float_pick) {
                        // as `cmp_at`: NaN compares equal, so never wins
                        pick = extend_pick(f, best, si, from..j, max, pick);
                    } else if let (Some(v), Some(best)) = (ints, int_pick) {
                        pick = extend_pick(v, best, si, from..j, max, pick);
                    } else {
                        for k in from..j {
                            let (ps, pr) = pick;
                            if cmp_at(vals, k, series[ps].values.as_ref(), pr, typ) == better {
                                pick = (si, k);
                            }
                        }
                    }
                    *slot = Some(Acc::Pick(pick.0, pick.1));
                }
                WinFn::Mean => {
                    if let Acc::Floats(f) = slot.get_or_insert_with(|| Acc::Floats(Vec::new())) {
                        f.extend((i..j).filter_map(|k| as_f64(vals, k, typ)));
                    }
                }
                WinFn::Count => {
                    if let Acc::Count(c) = slot.get_or_insert(Acc::Count(0)) {
                        *c += (j - i) as i64;
                    }
                }
                WinFn::Sum | WinFn::Spread => {
                    if let Acc::Values(v) = slot.get_or_insert_with(|| Acc::Values(Vec::new())) {
                        v.extend((i..j).map(|k| array_value(vals, typ, k)));
                    }
                }
            }
            i = j;
        }
    }
    // window bounds, clipped to the range
    let mut spans: Vec<(i64, i64, Acc)> = Vec::with_capacity(wins.len());
    for (ws, acc) in wins {
        let Some(acc) = acc else { continue };
        let start = ws.max(r.start);
        let stop = ws.saturating_add(w.every).min(r.stop);
        if start < stop {
            spans.push((start, stop, acc));
        }
    }
    let n = spans.len();
    let times = |f: &dyn Fn(&(i64, i64, Acc)) -> i64| -> ArrayRef {
        Arc::new(TimestampNanosecondArray::from(
            spans.iter().map(f).collect::<Vec<_>>(),
        ))
    };
    let mut out: Vec<(ColMeta, ArrayRef)> = Vec::with_capacity(cols.len() + 1);
    if w.agg.is_selector() {
        let picks: Vec<(usize, usize)> = spans
            .iter()
            .map(|(_, _, acc)| match acc {
                Acc::Pick(s, r) => (*s, *r),
                _ => (0, 0),
            })
            .collect();
        // every row picked from one series: its strings repeat
        let one_series = picks
            .first()
            .map(|p| p.0)
            .filter(|s0| picks.iter().all(|p| p.0 == *s0));
        for c in cols {
            let a: ArrayRef = match c.label.as_str() {
                "_start" => const_time(r.start, n),
                "_stop" => const_time(r.stop, n),
                "_time" => times(&|s| s.1),
                "_value" => {
                    let arrays: Vec<&dyn Array> =
                        series.iter().map(|s| s.values.as_ref()).collect();
                    interleave(&arrays, &picks)?
                }
                "_field" => match one_series {
                    Some(s) => const_str(&series[s].field, n),
                    None => strings(picks.iter().map(|(s, _)| &*series[*s].field)),
                },
                "_measurement" => strings(picks.iter().map(|(s, _)| &*series[*s].measurement)),
                tag => {
                    // each series' value of the tag, looked up once
                    let values: Vec<&str> = series
                        .iter()
                        .map(|s| {
                            s.tags
                                .iter()
                                .find(|(k, _)| **k == *tag)
                                .map_or("", |(_, v)| &**v)
                        })
                        .collect();
                    match one_series {
                        Some(s) => const_str(values[s], n),
                        None => strings(picks.iter().map(|(s, _)| values[*s])),
                    }
                }
            };
            out.push((c.clone(), a));
        }
        return table_of(key, out, n);
    }
    // aggregates: window bounds, key columns (table order), value, time
    for c in cols {
        if key.has(&c.label) && c.label != "_value" {
            let v = key.get(&c.label).cloned().unwrap_or(Value::Null);
            out.push((c.clone(), build_array(c.typ, &vec![v; n], &c.label)?));
        }
    }
    let (values, out_type) = match w.agg {
        WinFn::Mean => (
            spans
                .iter()
                .map(|s| match &s.2 {
                    Acc::Floats(f) if !f.is_empty() => {
                        Value::Float(f.iter().sum::<f64>() / f.len() as f64)
                    }
                    _ => Value::Null,
                })
                .collect::<Vec<_>>(),
            ColType::Float,
        ),
        WinFn::Count => (
            spans
                .iter()
                .map(|s| match &s.2 {
                    Acc::Count(c) => Value::Int(*c),
                    _ => Value::Null,
                })
                .collect(),
            ColType::Int,
        ),
        _ => {
            let f = if w.agg == WinFn::Sum {
                agg_sum
            } else {
                agg_spread
            };
            let mut vals = Vec::with_capacity(n);
            let mut out_type = typ;
            for s in &spans {
                let Acc::Values(v) = &s.2 else {
                    return Err(Error::rt("aggregateWindow: internal window state"));
                };
                let (x, t) = f(v, typ)?;
                out_type = t;
                vals.push(x);
            }
            (vals, out_type)
        }
    };
    out.push((
        ColMeta {
            label: "_value".into(),
            typ: out_type,
        },
        build_array(out_type, &values, "_value")?,
    ));
    out.push((
        ColMeta {
            label: "_time".into(),
            typ: ColType::Time,
        },
        if w.time_from_start {
            times(&|s| s.0)
        } else {
            times(&|s| s.1)
        },
    ));
    table_of(key, out, n)
}

fn strings<'a>(it: impl Iterator<Item = &'a str>) -> ArrayRef {
    Arc::new(arrow::array::StringArray::from_iter_values(it))
}

/// A numeric value as the `mean` aggregate reads it.
fn as_f64(a: &dyn Array, i: usize, typ: ColType) -> Option<f64> {
    use arrow::array::AsArray;
    use arrow::datatypes::UInt64Type;
    if a.is_null(i) {
        return None;
    }
    match typ {
        ColType::Float => Some(a.as_primitive::<Float64Type>().value(i)),
        ColType::Int => Some(a.as_primitive::<Int64Type>().value(i) as f64),
        ColType::UInt => Some(a.as_primitive::<UInt64Type>().value(i) as f64),
        _ => None,
    }
}

/// The rows of `s` an operation before the pivot leaves: all of them, or
/// its first or last point (`first()`/`last()`; `s` is not empty).
fn edge_rows(s: &SeriesData, edge: Option<Edge>) -> std::ops::Range<usize> {
    match edge {
        None => 0..s.len(),
        Some(Edge::First) => 0..1,
        Some(Edge::Last) => s.len() - 1..s.len(),
    }
}

/// The layout of the pivoted tables of groups with one value type, one set
/// of tag keys and one list of fields: schema, columns, and the key's
/// columns sorted by label, each with its place in `[_start, _stop,
/// _measurement, tags…]`.
struct PivotShape {
    typ: ColType,
    tag_keys: Vec<Arc<str>>,
    fields: Vec<String>,
    schema: SchemaRef,
    cols: Vec<ColMeta>,
    key: Vec<(ColMeta, usize)>,
}

impl PivotShape {
    fn of(s: &SeriesData, fields: &[&str]) -> PivotShape {
        let meta = |label: &str, typ| ColMeta {
            label: label.to_string(),
            typ,
        };
        let mut cols = vec![
            meta("_start", ColType::Time),
            meta("_stop", ColType::Time),
            meta("_time", ColType::Time),
            meta("_measurement", ColType::String),
        ];
        cols.extend(s.tags.iter().map(|(k, _)| meta(k, ColType::String)));
        cols.extend(fields.iter().map(|f| meta(f, s.typ)));
        let schema = Arc::new(Schema::new(
            cols.iter()
                .map(|m| Field::new(&m.label, m.typ.arrow(), true))
                .collect::<Vec<_>>(),
        ));
        // key: _start, _stop, _measurement and the tags
        let mut key: Vec<(ColMeta, usize)> = cols[..4 + s.tags.len()]
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != 2)
            .map(|(i, m)| (m.clone(), if i < 2 { i } else { i - 1 }))
            .collect();
        key.sort_by(|a, b| a.0.label.cmp(&b.0.label));
        PivotShape {
            typ: s.typ,
            tag_keys: s.tags.iter().map(|(k, _)| k.clone()).collect(),
            fields: fields.iter().map(|f| f.to_string()).collect(),
            schema,
            cols,
            key,
        }
    }

    fn fits(&self, s: &SeriesData, fields: &[&str]) -> bool {
        self.typ == s.typ
            && self.fields.len() == fields.len()
            && self.fields.iter().zip(fields).all(|(a, b)| a == b)
            && self.tag_keys.len() == s.tags.len()
            && self
                .tag_keys
                .iter()
                .zip(s.tags.iter())
                .all(|(a, (b, _))| a == b)
    }
}

/// `[first() |> | last() |>] pivot(rowKey: ["_time"], columnKey:
/// ["_field"], valueColumn: "_value")` and the filters after it.
fn pivot(
    it: &mut Interp,
    r: &PendingRead,
    series: &[SeriesData],
    edge: Option<Edge>,
    filters: &[PushedOp],
) -> Result<Option<Vec<Table>>> {
    // A tag named like a fixed column changes the key's shape: general path.
    const FIXED: [&str; 6] = [
        "_start",
        "_stop",
        "_time",
        "_value",
        "_field",
        "_measurement",
    ];
    if series
        .iter()
        .any(|s| s.tags.iter().any(|(k, _)| FIXED.contains(&&**k)))
    {
        return Ok(None);
    }
    // output groups: the series key without _field (measurement and tags),
    // in order of appearance
    type Identity<'a> = (&'a str, &'a [(Arc<str>, Arc<str>)]);
    let mut index: HashMap<Identity<'_>, usize> = HashMap::new();
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (i, s) in series.iter().enumerate() {
        // a source sends the fields of one series together: try the last
        // group before hashing
        if let Some(last) = groups.last_mut() {
            let s0 = &series[last[0]];
            if s0.measurement == s.measurement
                && (Arc::ptr_eq(&s0.tags, &s.tags) || s0.tags == s.tags)
            {
                last.push(i);
                continue;
            }
        }
        match index.entry((&*s.measurement, &s.tags[..])) {
            std::collections::hash_map::Entry::Occupied(g) => groups[*g.get()].push(i),
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(groups.len());
                groups.push(vec![i]);
            }
        }
    }
    let mut out = Vec::new();
    let mut consts = ConstColumns::default();
    let mut shapes: Vec<PivotShape> = Vec::new();
    for members in groups {
        let s0 = &series[members[0]];
        let vtype = s0.typ;
        let rows0 = edge_rows(s0, edge);
        let mut names: Vec<&str> = Vec::new();
        for &m in &members {
            let s = &series[m];
            // the group's members share measurement and tags, so their
            // columns differ only in the value type
            let clash = ["_start", "_stop", "_time", "_measurement"].contains(&&*s.field)
                || s0.tags.iter().any(|(k, _)| *k == s.field)
                || names.contains(&&*s.field);
            if s.typ != vtype || clash {
                return Ok(None);
            }
            names.push(&s.field);
        }
        let shape = match shapes.iter().position(|x| x.fits(s0, &names)) {
            Some(i) => &shapes[i],
            None => {
                shapes.push(PivotShape::of(s0, &names));
                &shapes[shapes.len() - 1]
            }
        };
        // rows: the union of the series' times
        let times_of = |m: usize| {
            let s = &series[m];
            &s.times[edge_rows(s, edge)]
        };
        let same = members
            .iter()
            .all(|&m| times_of(m) == &s0.times[rows0.clone()]);
        let times: Vec<i64> = if same {
            s0.times[rows0.clone()].to_vec()
        } else {
            let mut all: Vec<i64> = members
                .iter()
                .flat_map(|&m| times_of(m).iter().copied())
                .collect();
            all.sort_unstable();
            all.dedup();
            all
        };
        // key values in [_start, _stop, _measurement, tags…] order, and the
        // constant columns of the strings for as many rows as the times
        let rows_before = times.len();
        let mut key_values = vec![Value::Time(r.start), Value::Time(r.stop)];
        let mut strings: Vec<ArrayRef> = Vec::with_capacity(1 + s0.tags.len());
        for text in std::iter::once(&s0.measurement).chain(s0.tags.iter().map(|(_, v)| v)) {
            let (value, array) = consts.string(text, rows_before);
            key_values.push(value);
            strings.push(array);
        }
        let key = GroupKey {
            cols: shape
                .key
                .iter()
                .map(|(meta, place)| (meta.clone(), key_values[*place].clone()))
                .collect(),
        };
        let mut fields: Vec<ArrayRef> = Vec::with_capacity(members.len());
        for &m in &members {
            let s = &series[m];
            let rows = edge_rows(s, edge);
            let values = if rows.len() == s.len() {
                s.values.clone()
            } else {
                s.values.slice(rows.start, rows.len())
            };
            if same {
                fields.push(values);
            } else {
                let own = &s.times[rows];
                let idx: UInt32Array = times
                    .iter()
                    .map(|t| own.binary_search(t).ok().map(|i| i as u32))
                    .collect();
                fields.push(take(values.as_ref(), &idx, None)?);
            }
        }
        // pushed filters, while they are comparisons
        let mut keep: Option<Vec<bool>> = None;
        let mut generic_from = filters.len();
        for (fi, f) in filters.iter().enumerate() {
            let Op::Filter(Some(pred)) = &f.op else {
                generic_from = fi;
                break;
            };
            let lookup = |label: &str| -> Column<'_> {
                match label {
                    "_time" => Column::Time(&times),
                    _ => {
                        if let Some(p) = names.iter().position(|n| *n == label) {
                            return Column::Array(fields[p].as_ref(), vtype);
                        }
                        Column::Const(key.get(label).cloned().unwrap_or(Value::Null))
                    }
                }
            };
            let columns: Vec<Column<'_>> =
                pred.conjuncts.iter().map(|c| lookup(&c.column)).collect();
            let mut mask = keep.clone().unwrap_or_else(|| vec![true; times.len()]);
            let mut failed = false;
            // conjunct by conjunct: a row meets each conjunct only while the
            // ones before it held, as `and` evaluates a row
            'conjuncts: for (c, col) in pred.conjuncts.iter().zip(&columns) {
                if compare_typed(c, col, &mut mask) {
                    continue;
                }
                for (row, k) in mask.iter_mut().enumerate() {
                    if !*k {
                        continue;
                    }
                    let v = col.value(row);
                    let res = if c.column_left {
                        binary(c.op, v, c.constant.clone())
                    } else {
                        binary(c.op, c.constant.clone(), v)
                    };
                    match res {
                        Ok(Value::Bool(true)) => {}
                        Ok(Value::Bool(false)) | Ok(Value::Null) => *k = false,
                        _ => {
                            failed = true;
                            break 'conjuncts;
                        }
                    }
                }
            }
            if failed {
                generic_from = fi;
                break;
            }
            keep = Some(mask);
        }
        let (times, fields) = match &keep {
            Some(mask) => {
                let mask = BooleanArray::from(mask.clone());
                if mask.true_count() == 0 {
                    continue;
                }
                let kept: Vec<i64> = times
                    .iter()
                    .zip(mask.values().iter())
                    .filter_map(|(t, k)| k.then_some(*t))
                    .collect();
                let fields = fields
                    .iter()
                    .map(|a| filter_array(a.as_ref(), &mask))
                    .collect::<std::result::Result<Vec<_>, _>>()?;
                (kept, fields)
            }
            None => (times, fields),
        };
        let n = times.len();
        // columns in the shape's order: _start, _stop, _time, _measurement,
        // tags, fields
        let mut arrays: Vec<ArrayRef> = Vec::with_capacity(shape.cols.len());
        arrays.push(consts.time(r.start, n));
        arrays.push(consts.time(r.stop, n));
        arrays.push(Arc::new(TimestampNanosecondArray::from(times)));
        if n == rows_before {
            arrays.extend(strings);
        } else {
            for text in std::iter::once(&s0.measurement).chain(s0.tags.iter().map(|(_, v)| v)) {
                arrays.push(consts.string(text, n).1);
            }
        }
        arrays.extend(fields);
        let batch = RecordBatch::try_new_with_options(
            shape.schema.clone(),
            arrays,
            &RecordBatchOptions::new().with_row_count(Some(n)),
        )?;
        let mut tables = vec![Table {
            key,
            cols: shape.cols.clone(),
            batch,
        }];
        for f in &filters[generic_from..] {
            if tables.is_empty() {
                break;
            }
            if let Replay::Filter(func) = &f.replay {
                tables = filter_tables(it, &tables, func, false)?;
            }
        }
        out.extend(tables);
    }
    Ok(Some(out))
}

/// `c` over the rows of `mask` still true, on an integer or float column
/// compared with a number, as [`binary`] compares them (a null or a NaN
/// fails the comparison); false, with `mask` untouched, for any other case
/// (which then goes through [`binary`] row by row).
fn compare_typed(c: &Comparison, col: &Column<'_>, mask: &mut [bool]) -> bool {
    use arrow::array::AsArray;
    use Operator::*;
    let Column::Array(a, typ) = col else {
        return false;
    };
    // `constant OP column` is `column OP' constant`
    let op = match (c.column_left, c.op) {
        (true, op) => op,
        (false, Lt) => Gt,
        (false, Lte) => Gte,
        (false, Gt) => Lt,
        (false, Gte) => Lte,
        (false, op) => op,
    };
    let holds = |o: std::cmp::Ordering| match op {
        Lt => o.is_lt(),
        Lte => o.is_le(),
        Gt => o.is_gt(),
        Gte => o.is_ge(),
        Eq => o.is_eq(),
        _ => o.is_ne(),
    };
    if !matches!(op, Lt | Lte | Gt | Gte | Eq | Neq) || a.len() != mask.len() {
        return false;
    }
    match (typ, &c.constant) {
        (ColType::Int, Value::Int(k)) => {
            let a = a.as_primitive::<Int64Type>();
            for (row, m) in mask.iter_mut().enumerate() {
                *m = *m && a.is_valid(row) && holds(a.value(row).cmp(k));
            }
        }
        (ColType::Int, Value::Float(k)) if !k.is_nan() => {
            let a = a.as_primitive::<Int64Type>();
            for (row, m) in mask.iter_mut().enumerate() {
                *m = *m
                    && a.is_valid(row)
                    && (a.value(row) as f64)
                        .partial_cmp(k)
                        .is_some_and(|o| holds(o));
            }
        }
        // NaN compares false with `<`…`>=` (`==` on NaN is an error)
        (ColType::Float, Value::Float(k)) if !k.is_nan() && !matches!(op, Eq | Neq) => {
            let a = a.as_primitive::<Float64Type>();
            for (row, m) in mask.iter_mut().enumerate() {
                *m = *m && a.is_valid(row) && a.value(row).partial_cmp(k).is_some_and(|o| holds(o));
            }
        }
        _ => return false,
    }
    true
}

/// A column a row predicate reads.
enum Column<'a> {
    Time(&'a [i64]),
    Array(&'a dyn Array, ColType),
    Const(Value),
}

impl Column<'_> {
    fn value(&self, row: usize) -> Value {
        match self {
            Column::Time(t) => Value::Time(t[row]),
            Column::Array(a, typ) => array_value(*a, *typ, row),
            Column::Const(v) => v.clone(),
        }
    }
}
