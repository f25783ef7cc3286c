//! The `universe` package: table functions, aggregates, selectors, conversions
//! and the builtins every script sees without an import.

use super::{call_row, stream, PackageDef};
use crate::error::{Error, Result};
use crate::interp::Interp;
use crate::read_plan;
use crate::table::{ColMeta, ColType, GroupKey, Table, TableBuilder};
use crate::value::{format_float, Args, Duration, PendingRead, Record, Stream, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// Flux-level definitions layered on the natives.
const PRELUDE: &str = r#"
import "date"
today = () => date.truncate(t: now(), unit: 1d)
truncateTimeColumn = (unit, timeColumn="_time", tables=<-) =>
    if timeColumn != "_time" then
        die(msg: "not supported yet: truncateTimeColumn with a timeColumn other than _time")
    else
        tables |> map(fn: (r) => ({r with _time: date.truncate(t: r._time, unit: unit)}))
hourSelection = (start, stop, timeColumn="_time", location=location, tables=<-) =>
    tables
        |> filter(
            fn: (r) => {
                h = date.hour(t: r[timeColumn], location: location)
                return if start <= stop then h >= start and h <= stop else h >= start or h <= stop
            },
        )
increase = (columns=["_value"], tables=<-) =>
    tables |> difference(nonNegative: true, columns: columns, initialZero: true) |> cumulativeSum(columns: columns)
highestAverage = (n, column="_value", groupColumns=[], tables=<-) =>
    tables |> group(columns: groupColumns) |> mean(column: column) |> group() |> sort(columns: [column], desc: true) |> limit(n: n)
lowestAverage = (n, column="_value", groupColumns=[], tables=<-) =>
    tables |> group(columns: groupColumns) |> mean(column: column) |> group() |> sort(columns: [column]) |> limit(n: n)
highestCurrent = (n, column="_value", groupColumns=[], tables=<-) =>
    tables |> group(columns: groupColumns) |> last(column: column) |> group() |> sort(columns: [column], desc: true) |> limit(n: n)
lowestCurrent = (n, column="_value", groupColumns=[], tables=<-) =>
    tables |> group(columns: groupColumns) |> last(column: column) |> group() |> sort(columns: [column]) |> limit(n: n)
toString = (tables=<-) => tables |> map(fn: (r) => ({r with _value: string(v: r._value)}))
toInt = (tables=<-) => tables |> map(fn: (r) => ({r with _value: int(v: r._value)}))
toUInt = (tables=<-) => tables |> map(fn: (r) => ({r with _value: uint(v: r._value)}))
toFloat = (tables=<-) => tables |> map(fn: (r) => ({r with _value: float(v: r._value)}))
toBool = (tables=<-) => tables |> map(fn: (r) => ({r with _value: bool(v: r._value)}))
toTime = (tables=<-) => tables |> map(fn: (r) => ({r with _value: time(v: r._value)}))
timedMovingAverage = (every, period, column="_value", tables=<-) =>
    tables
        |> window(every: every, period: period)
        |> mean(column: column)
        |> duplicate(column: "_stop", as: "_time")
        |> window(every: inf)
doubleEMA = (n, tables=<-) =>
    tables
        |> exponentialMovingAverage(n: n)
        |> duplicate(column: "_value", as: "__ema1")
        |> exponentialMovingAverage(n: n)
        |> map(fn: (r) => ({r with _value: 2.0 * r.__ema1 - r._value}))
        |> drop(columns: ["__ema1"])
tripleEMA = (n, tables=<-) =>
    tables
        |> exponentialMovingAverage(n: n)
        |> duplicate(column: "_value", as: "__ema1")
        |> exponentialMovingAverage(n: n)
        |> duplicate(column: "_value", as: "__ema2")
        |> exponentialMovingAverage(n: n)
        |> map(fn: (r) => ({r with _value: 3.0 * r.__ema1 - 3.0 * r.__ema2 + r._value}))
        |> drop(columns: ["__ema1", "__ema2"])
top = (n, columns=["_value"], tables=<-) => tables |> sort(columns: columns, desc: true) |> limit(n: n)
bottom = (n, columns=["_value"], tables=<-) => tables |> sort(columns: columns, desc: false) |> limit(n: n)
highestMax = (n, column="_value", groupColumns=[], tables=<-) =>
    tables |> group(columns: groupColumns) |> max(column: column) |> group() |> sort(columns: [column], desc: true) |> limit(n: n)
lowestMin = (n, column="_value", groupColumns=[], tables=<-) =>
    tables |> group(columns: groupColumns) |> min(column: column) |> group() |> sort(columns: [column]) |> limit(n: n)
"#;

/// Build the package definition.
pub fn package() -> PackageDef {
    let mut p = PackageDef {
        flux: Some(PRELUDE),
        ..Default::default()
    };
    p.consts.push(("true", Value::Bool(true)));
    p.consts
        .push(("inf", Value::Duration(Duration::from_nanos(i64::MAX))));
    p.t("reduce", &["fn", "identity"], &[], reduce);
    p.t("movingAverage", &["n"], &[], moving_average);
    p.t("stateCount", &["fn"], &["column"], |it, a| {
        state(it, a, false)
    });
    p.t(
        "stateDuration",
        &["fn"],
        &["column", "timeColumn", "unit"],
        |it, a| state(it, a, true),
    );
    p.consts.push(("false", Value::Bool(false)));
    p.consts.push((
        "location",
        Value::record(vec![
            ("zone".into(), Value::str("UTC")),
            ("offset".into(), Value::Duration(Duration::default())),
        ]),
    ));
    // `option now` replaces `now` in the query's universe; prelude closures
    // that call `now()` reach this builtin through the shared template.
    p.f("now", &[], &[], None, |it, _| Ok(Value::Time(it.now()?)));
    super::influxdb::register(&mut p);
    super::numeric::register(&mut p);
    p.f(
        "from",
        &["bucket"],
        &["bucketID", "host", "org", "orgID", "token"],
        None,
        from,
    );
    p.t(
        "range",
        &["start"],
        &["stop", "timeColumn", "startColumn", "stopColumn"],
        range,
    );
    p.t("filter", &["fn"], &["onEmpty"], filter);
    p.t("map", &["fn"], &["mergeKey"], map);
    p.t("yield", &[], &["name"], yield_);
    p.t("keep", &[], &["columns", "fn"], keep);
    p.t("drop", &[], &["columns", "fn"], drop);
    p.t("rename", &[], &["columns", "fn"], rename);
    p.t("group", &[], &["columns", "mode"], group);
    p.t("sort", &[], &["columns", "desc"], sort);
    p.t("limit", &["n"], &["offset"], |it, a| limit(it, a, false));
    p.t("tail", &["n"], &["offset"], |it, a| limit(it, a, true));
    p.t("first", &[], &["column"], |it, a| {
        selector(it, a, Sel::First)
    });
    p.t("last", &[], &["column"], |it, a| selector(it, a, Sel::Last));
    p.t("min", &[], &["column"], |it, a| selector(it, a, Sel::Min));
    p.t("max", &[], &["column"], |it, a| selector(it, a, Sel::Max));
    p.t("count", &[], &["column"], |it, a| {
        aggregate(it, a, agg_count)
    });
    p.t("sum", &[], &["column"], |it, a| aggregate(it, a, agg_sum));
    p.t("mean", &[], &["column"], |it, a| aggregate(it, a, agg_mean));
    p.t("spread", &[], &["column"], |it, a| {
        aggregate(it, a, agg_spread)
    });
    p.t("stddev", &[], &["column", "mode"], stddev);
    p.t("median", &[], &["column", "method", "compression"], median);
    p.t(
        "quantile",
        &["q"],
        &["column", "method", "compression"],
        quantile,
    );
    p.t("distinct", &[], &["column"], distinct);
    p.t("unique", &[], &["column"], unique);
    p.t(
        "window",
        &[],
        &[
            "every",
            "period",
            "offset",
            "location",
            "timeColumn",
            "startColumn",
            "stopColumn",
            "createEmpty",
        ],
        window,
    );
    p.t(
        "aggregateWindow",
        &["every", "fn"],
        &[
            "period",
            "offset",
            "location",
            "column",
            "timeSrc",
            "timeDst",
            "createEmpty",
        ],
        aggregate_window,
    );
    p.t("fill", &[], &["column", "value", "usePrevious"], fill);
    p.t("duplicate", &["column", "as"], &[], duplicate);
    p.t("set", &["key", "value"], &[], set);
    p.t("pivot", &["rowKey", "columnKey", "valueColumn"], &[], pivot);
    p.f("union", &["tables"], &[], None, union);
    p.f("join", &["tables"], &["on", "method"], None, join);
    p.t(
        "derivative",
        &[],
        &[
            "unit",
            "nonNegative",
            "columns",
            "timeColumn",
            "initialZero",
        ],
        derivative,
    );
    p.t(
        "difference",
        &[],
        &["nonNegative", "columns", "keepFirst", "initialZero"],
        difference,
    );
    p.t("cumulativeSum", &[], &["columns"], cumulative_sum);
    p.t(
        "elapsed",
        &[],
        &["unit", "timeColumn", "columnName"],
        elapsed,
    );
    p.t("timeShift", &["duration"], &["columns"], time_shift);
    p.t("columns", &[], &["column"], columns);
    p.t("keys", &[], &["column"], keys);
    p.t("tableFind", &["fn"], &[], table_find);
    p.f("getColumn", &["column"], &[], Some("table"), get_column);
    p.f("getRecord", &["idx"], &[], Some("table"), get_record);
    p.t("findColumn", &["fn", "column"], &[], find_column);
    p.t("findRecord", &["fn", "idx"], &[], find_record);
    p.f("string", &["v"], &[], None, |_, a| {
        conv_string(&a.opt("v").unwrap_or(Value::Null))
    });
    p.f("int", &["v"], &[], None, |_, a| {
        conv_int(&a.opt("v").unwrap_or(Value::Null))
    });
    p.f("uint", &["v"], &[], None, |_, a| {
        conv_uint(&a.opt("v").unwrap_or(Value::Null))
    });
    p.f("float", &["v"], &[], None, |_, a| {
        conv_float(&a.opt("v").unwrap_or(Value::Null))
    });
    p.f("bool", &["v"], &[], None, |_, a| {
        conv_bool(&a.opt("v").unwrap_or(Value::Null))
    });
    p.f("time", &["v"], &[], None, |_, a| {
        conv_time(&a.opt("v").unwrap_or(Value::Null))
    });
    p.f("duration", &["v"], &[], None, |_, a| {
        conv_duration(&a.opt("v").unwrap_or(Value::Null))
    });
    p.f("bytes", &["v"], &[], None, |_, a| match a.req("v")? {
        Value::String(s) => Ok(Value::Bytes(Arc::new(s.as_bytes().to_vec()))),
        Value::Bytes(b) => Ok(Value::Bytes(b)),
        v => Err(Error::rt(format!(
            "cannot convert {} to bytes",
            v.type_name()
        ))),
    });
    p.f("length", &["arr"], &[], None, |_, a| {
        match a.req("arr")? {
            Value::Array(v) => Ok(Value::Int(v.len() as i64)),
            v => Err(Error::rt(format!(
                "length: expected array but found {}",
                v.type_name()
            ))),
        }
    });
    p.f("contains", &["value", "set"], &[], None, |_, a| {
        let v = a.req("value")?;
        match a.req("set")? {
            Value::Array(s) => Ok(Value::Bool(s.contains(&v))),
            v => Err(Error::rt(format!(
                "contains: expected array but found {}",
                v.type_name()
            ))),
        }
    });
    p.f("display", &["v"], &[], None, |_, a| {
        Ok(Value::str(a.opt("v").unwrap_or(Value::Null).to_string()))
    });
    p.f("die", &["msg"], &[], None, |_, a| {
        Err(Error::rt(a.string("msg")?))
    });
    p
}

// ---------- helpers ----------

fn col(t: &Table, label: &str) -> Result<usize> {
    t.index(label)
        .ok_or_else(|| Error::rt(format!("column \"{label}\" does not exist")))
}

fn meta(label: &str, typ: ColType) -> ColMeta {
    ColMeta {
        label: label.to_string(),
        typ,
    }
}

/// Regroup records by key, keeping first-seen order of groups and declared column types.
struct Regrouper {
    index: HashMap<String, usize>,
    groups: Vec<TableBuilder>,
    types: Vec<(String, ColType)>,
}

impl Regrouper {
    fn new(types: Vec<(String, ColType)>) -> Self {
        Regrouper {
            index: HashMap::new(),
            groups: Vec::new(),
            types,
        }
    }

    fn builder(&mut self, key: GroupKey) -> &mut TableBuilder {
        let k = format!("{:?}", key.cols);
        let i = match self.index.get(&k) {
            Some(i) => *i,
            None => {
                self.groups.push(TableBuilder::new(key));
                self.index.insert(k, self.groups.len() - 1);
                self.groups.len() - 1
            }
        };
        &mut self.groups[i]
    }

    fn push(&mut self, key: GroupKey, rec: &Record) -> Result<()> {
        let types = self.types.clone();
        let b = self.builder(key);
        for (l, t) in &types {
            if let Some(v) = rec.get(l) {
                // a value's own type wins: tables of one group may differ
                // from other groups' tables (e.g. int and float `_value`s)
                b.add_column(l, Some(ColType::of(v).unwrap_or(*t)));
            }
        }
        b.push_record(rec)
    }

    fn finish(self) -> Result<Vec<Table>> {
        self.groups.into_iter().map(|b| b.build()).collect()
    }
}

fn key_from_record(labels: &[String], rec: &Record, types: &HashMap<String, ColType>) -> GroupKey {
    GroupKey::new(
        labels
            .iter()
            .filter_map(|l| {
                let v = rec.get(l)?.clone();
                let typ = ColType::of(&v)
                    .or_else(|| types.get(l).copied())
                    .unwrap_or(ColType::String);
                Some((meta(l, typ), v))
            })
            .collect(),
    )
}

fn schema_types(tables: &[Table]) -> Vec<(String, ColType)> {
    let mut out: Vec<(String, ColType)> = Vec::new();
    for t in tables {
        for c in &t.cols {
            if !out.iter().any(|(l, _)| *l == c.label) {
                out.push((c.label.clone(), c.typ));
            }
        }
    }
    out
}

fn time_arg(it: &mut Interp, v: Value, what: &str) -> Result<i64> {
    match v {
        Value::Time(t) => Ok(t),
        Value::Duration(d) => d.add_to(it.now()?),
        Value::Int(s) => Ok(s.saturating_mul(1_000_000_000)),
        v => Err(Error::rt(format!(
            "range: {what}: expected time but found {}",
            v.type_name()
        ))),
    }
}

fn now_value(it: &mut Interp) -> Result<i64> {
    it.now()
}

/// Replace or insert constant time columns `_start`/`_stop` and add them to the key.
fn set_bounds(
    t: &Table,
    start_col: &str,
    stop_col: &str,
    start: i64,
    stop: i64,
    rows: &[usize],
) -> Result<Table> {
    let n = rows.len();
    let mut cols: Vec<(ColMeta, Vec<Value>)> = Vec::new();
    let has_start = t.index(start_col).is_some();
    let has_stop = t.index(stop_col).is_some();
    if !has_start {
        cols.push((meta(start_col, ColType::Time), vec![Value::Time(start); n]));
    }
    if !has_stop {
        cols.push((meta(stop_col, ColType::Time), vec![Value::Time(stop); n]));
    }
    for (i, c) in t.cols.iter().enumerate() {
        if c.label == start_col {
            cols.push((meta(start_col, ColType::Time), vec![Value::Time(start); n]));
        } else if c.label == stop_col {
            cols.push((meta(stop_col, ColType::Time), vec![Value::Time(stop); n]));
        } else {
            cols.push((c.clone(), rows.iter().map(|&r| t.value(i, r)).collect()));
        }
    }
    let mut key: Vec<(ColMeta, Value)> = t
        .key
        .cols
        .iter()
        .filter(|(c, _)| c.label != start_col && c.label != stop_col)
        .cloned()
        .collect();
    key.push((meta(start_col, ColType::Time), Value::Time(start)));
    key.push((meta(stop_col, ColType::Time), Value::Time(stop)));
    Table::from_columns(GroupKey::new(key), cols)
}

// ---------- sources and filters ----------

/// `from(bucket:)`: an unbounded read waiting for `range()`.
pub(crate) fn from(_: &mut Interp, a: &mut Args) -> Result<Value> {
    let bucket = a.string("bucket")?;
    Ok(Value::Stream(Arc::new(Stream::From { bucket })))
}

fn range(it: &mut Interp, a: &mut Args) -> Result<Value> {
    let input = match a.req("tables")? {
        Value::Stream(s) => s,
        v => return Err(super::type_error("range", "stream", &v)),
    };
    let start = a.req("start")?;
    let start = time_arg(it, start, "start")?;
    let stop = match a.opt("stop") {
        Some(v) => time_arg(it, v, "stop")?,
        None => now_value(it)?,
    };
    let time_col = a
        .opt_string("timeColumn")?
        .unwrap_or_else(|| "_time".into());
    let start_col = a
        .opt_string("startColumn")?
        .unwrap_or_else(|| "_start".into());
    let stop_col = a
        .opt_string("stopColumn")?
        .unwrap_or_else(|| "_stop".into());
    let default_cols = time_col == "_time" && start_col == "_start" && stop_col == "_stop";
    let tables = match input.as_ref() {
        // the read waits for filters to push into it
        Stream::From { bucket } if default_cols => {
            return Ok(Value::Stream(Arc::new(Stream::Read(Box::new(
                PendingRead {
                    bucket: bucket.clone(),
                    start,
                    stop: stop.max(start),
                    pred: Default::default(),
                    residual: Vec::new(),
                    ops: Vec::new(),
                },
            )))));
        }
        Stream::Read(r) if default_cols && r.ops.is_empty() => {
            // a second range narrows the first
            let mut r = r.as_ref().clone();
            r.start = r.start.max(start);
            r.stop = r.stop.min(stop).max(r.start);
            return Ok(Value::Stream(Arc::new(Stream::Read(Box::new(r)))));
        }
        Stream::From { bucket } => it.source.read(bucket, start, stop, None)?,
        Stream::Read(r) => it.execute_read(r)?,
        Stream::Tables(t) => t.clone(),
    };
    let mut out = Vec::new();
    for t in &tables {
        let tc = col(t, &time_col)?;
        // a second range narrows the bounds of the first
        let (mut start, mut stop) = (start, stop);
        if let (Some(Value::Time(a)), Some(Value::Time(b))) =
            (t.key.get(&start_col), t.key.get(&stop_col))
        {
            start = start.max(*a);
            stop = stop.min(*b).max(start);
        }
        let rows: Vec<usize> = (0..t.len())
            .filter(|&r| matches!(t.value(tc, r), Value::Time(x) if x >= start && x < stop))
            .collect();
        out.push(set_bounds(t, &start_col, &stop_col, start, stop, &rows)?);
    }
    stream(out)
}

fn filter(it: &mut Interp, a: &mut Args) -> Result<Value> {
    let input = match a.req("tables")? {
        Value::Stream(s) => s,
        v => return Err(super::type_error("filter", "stream", &v)),
    };
    let f = a.function("fn")?;
    let keep_empty = a.opt_string("onEmpty")?.as_deref() == Some("keep");
    let tables = match input.as_ref() {
        Stream::Read(r) if !keep_empty && !r.ops.is_empty() => {
            match crate::read_plan::push_filter(it, r, &f) {
                Some(v) => return Ok(v),
                None => it.execute_read(r)?,
            }
        }
        Stream::Read(r) if !keep_empty => {
            let mut r = r.as_ref().clone();
            match crate::pushdown::analyse(&f) {
                Some(an) => {
                    an.apply_to(&mut r.pred);
                    if !an.complete {
                        r.residual.push(f);
                    }
                }
                None => r.residual.push(f),
            }
            return Ok(Value::Stream(Arc::new(Stream::Read(Box::new(r)))));
        }
        Stream::Read(r) => it.execute_read(r)?,
        s => s.tables()?,
    };
    stream(filter_tables(it, &tables, &f, keep_empty)?)
}

/// Keep the rows of each table for which `f(r)` is true; tables left empty
/// are dropped unless `keep_empty`.
pub fn filter_tables(
    it: &mut Interp,
    tables: &[Table],
    f: &Value,
    keep_empty: bool,
) -> Result<Vec<Table>> {
    let mut out = Vec::new();
    for t in tables {
        let mut rows = Vec::new();
        for r in 0..t.len() {
            match call_row(it, f, Value::Record(Arc::new(t.row(r))))? {
                Value::Bool(true) => rows.push(r),
                Value::Bool(false) | Value::Null => {}
                v => {
                    return Err(Error::rt(format!(
                        "filter: expected bool but found {}",
                        v.type_name()
                    )))
                }
            }
        }
        if !rows.is_empty() || keep_empty {
            out.push(t.take_rows(&rows)?);
        }
    }
    Ok(out)
}

fn map(it: &mut Interp, a: &mut Args) -> Result<Value> {
    let tables = a.tables()?;
    let f = a.function("fn")?;
    let _merge = a.opt_bool("mergeKey")?;
    let mut out = Vec::new();
    for t in &tables {
        let key_labels: Vec<String> = t.key.cols.iter().map(|(c, _)| c.label.clone()).collect();
        let key_types: HashMap<String, ColType> = t
            .key
            .cols
            .iter()
            .map(|(c, _)| (c.label.clone(), c.typ))
            .collect();
        let mut rg = Regrouper::new(t.cols.iter().map(|c| (c.label.clone(), c.typ)).collect());
        for r in 0..t.len() {
            let v = call_row(it, &f, Value::Record(Arc::new(t.row(r))))?;
            let Value::Record(rec) = v else {
                return Err(Error::rt(format!(
                    "map: expected record but found {}",
                    v.type_name()
                )));
            };
            let key = key_from_record(&key_labels, &rec, &key_types);
            // column types follow the produced values, not the input schema
            let b = rg.builder(key);
            b.push_record(&rec)?;
        }
        if t.is_empty() {
            continue;
        }
        out.extend(rg.finish()?);
    }
    stream(out)
}

fn yield_(it: &mut Interp, a: &mut Args) -> Result<Value> {
    let tables = a.tables()?;
    let name = a.opt_string("name")?.unwrap_or_else(|| "_result".into());
    it.add_result(name, tables.clone())?;
    stream(tables)
}

// ---------- column shaping ----------

enum ColumnSel {
    List(Vec<String>),
    Fn(Value),
}

fn column_sel(a: &mut Args) -> Result<ColumnSel> {
    if let Some(f) = a.opt("fn") {
        return Ok(ColumnSel::Fn(f));
    }
    Ok(ColumnSel::List(
        a.opt_strings("columns")?.unwrap_or_default(),
    ))
}

fn selected(it: &mut Interp, sel: &ColumnSel, label: &str) -> Result<bool> {
    match sel {
        ColumnSel::List(l) => Ok(l.iter().any(|x| x == label)),
        ColumnSel::Fn(f) => Ok(matches!(
            it.call(f, vec![("column".into(), Value::str(label))])?,
            Value::Bool(true)
        )),
    }
}

fn project(t: &Table, keep: &[usize], renames: &HashMap<String, String>) -> Result<Table> {
    let name = |l: &str| renames.get(l).cloned().unwrap_or_else(|| l.to_string());
    let cols: Vec<(ColMeta, Vec<Value>)> = keep
        .iter()
        .map(|&i| {
            (
                meta(&name(&t.cols[i].label), t.cols[i].typ),
                t.column_values(i),
            )
        })
        .collect();
    let kept: Vec<&str> = keep.iter().map(|&i| t.cols[i].label.as_str()).collect();
    let key = GroupKey::new(
        t.key
            .cols
            .iter()
            .filter(|(c, _)| kept.contains(&c.label.as_str()))
            .map(|(c, v)| (meta(&name(&c.label), c.typ), v.clone()))
            .collect(),
    );
    Table::from_columns(key, cols)
}

fn keep(it: &mut Interp, a: &mut Args) -> Result<Value> {
    let tables = a.tables()?;
    let sel = column_sel(a)?;
    let mut out = Vec::new();
    for t in &tables {
        let mut idx = Vec::new();
        for (i, c) in t.cols.iter().enumerate() {
            if selected(it, &sel, &c.label)? {
                idx.push(i);
            }
        }
        out.push(project(t, &idx, &HashMap::new())?);
    }
    stream(merge_same_keys(out)?)
}

fn drop(it: &mut Interp, a: &mut Args) -> Result<Value> {
    let tables = a.tables()?;
    let sel = column_sel(a)?;
    let mut out = Vec::new();
    for t in &tables {
        let mut idx = Vec::new();
        for (i, c) in t.cols.iter().enumerate() {
            if !selected(it, &sel, &c.label)? {
                idx.push(i);
            }
        }
        out.push(project(t, &idx, &HashMap::new())?);
    }
    stream(merge_same_keys(out)?)
}

fn rename(it: &mut Interp, a: &mut Args) -> Result<Value> {
    let tables = a.tables()?;
    let cols = a.opt("columns");
    let f = a.opt("fn");
    let mut out = Vec::new();
    for t in &tables {
        let mut renames = HashMap::new();
        for c in &t.cols {
            let new = match (&cols, &f) {
                (Some(Value::Record(r)), _) => match r.get(&c.label) {
                    Some(Value::String(s)) => Some(s.to_string()),
                    Some(v) => {
                        return Err(Error::rt(format!(
                            "rename: expected string but found {}",
                            v.type_name()
                        )))
                    }
                    None => None,
                },
                (_, Some(f)) => match it.call(f, vec![("column".into(), Value::str(&c.label))])? {
                    Value::String(s) => Some(s.to_string()),
                    v => {
                        return Err(Error::rt(format!(
                            "rename: expected string but found {}",
                            v.type_name()
                        )))
                    }
                },
                _ => return Err(Error::rt("rename: requires columns or fn")),
            };
            if let Some(n) = new {
                renames.insert(c.label.clone(), n);
            }
        }
        let idx: Vec<usize> = (0..t.cols.len()).collect();
        out.push(project(t, &idx, &renames)?);
    }
    stream(out)
}

/// Tables whose keys became equal (after dropping key columns) are merged.
fn merge_same_keys(tables: Vec<Table>) -> Result<Vec<Table>> {
    let mut order: Vec<GroupKey> = Vec::new();
    let mut by: HashMap<String, Vec<Table>> = HashMap::new();
    for t in tables {
        let k = format!("{:?}", t.key.cols);
        if !by.contains_key(&k) {
            order.push(t.key.clone());
        }
        by.entry(k).or_default().push(t);
    }
    let mut out = Vec::new();
    for key in order {
        let Some(mut ts) = by.remove(&format!("{:?}", key.cols)) else {
            continue;
        };
        if ts.len() == 1 {
            out.extend(ts.pop());
            continue;
        }
        out.push(concat(key, &ts)?);
    }
    Ok(out)
}

fn concat(key: GroupKey, ts: &[Table]) -> Result<Table> {
    let types = schema_types(ts);
    let mut b = TableBuilder::new(key);
    for (l, t) in &types {
        b.add_column(l, Some(*t));
    }
    for t in ts {
        for r in 0..t.len() {
            b.push_record(&t.row(r))?;
        }
    }
    b.build()
}

fn group(it: &mut Interp, a: &mut Args) -> Result<Value> {
    if let Some(v) = read_plan::try_push(it, a, read_plan::Kind::Group)? {
        return Ok(v);
    }
    read_plan::materialize_input(it, a)?;
    let tables = a.tables()?;
    let columns = a.opt_strings("columns")?.unwrap_or_default();
    let mode = a.opt_string("mode")?.unwrap_or_else(|| "by".into());
    if mode == "by" {
        if let Some(out) = group_whole_tables(&tables, &columns)? {
            return stream(out);
        }
    }
    let types = schema_types(&tables);
    let type_map: HashMap<String, ColType> = types.iter().cloned().collect();
    let mut rg = Regrouper::new(types.clone());
    for t in &tables {
        // a null keeps the type of its own table's column
        rg.types = t.cols.iter().map(|c| (c.label.clone(), c.typ)).collect();
        let labels: Vec<String> = match mode.as_str() {
            "by" => columns
                .iter()
                .filter(|c| t.index(c).is_some())
                .cloned()
                .collect(),
            "except" => t
                .cols
                .iter()
                .map(|c| c.label.clone())
                .filter(|l| !columns.contains(l))
                .collect(),
            m => return Err(Error::rt(format!("group: unknown mode {m:?}"))),
        };
        if t.is_empty() {
            let key = GroupKey::new(
                labels
                    .iter()
                    .filter_map(|l| t.key.get(l).map(|v| (meta(l, type_map[l]), v.clone())))
                    .collect(),
            );
            let b = rg.builder(key);
            for c in &t.cols {
                b.add_column(&c.label, Some(c.typ));
            }
            continue;
        }
        for r in 0..t.len() {
            let rec = t.row(r);
            let key = key_from_record(&labels, &rec, &type_map);
            rg.push(key, &rec)?;
        }
    }
    stream(rg.finish()?)
}

/// `group(columns:)` when every listed column a table has is in its key and
/// all tables have the same columns: whole tables move to their new group
/// (rows keep their order), with no per-row work. None: take the general path.
fn group_whole_tables(tables: &[Table], columns: &[String]) -> Result<Option<Vec<Table>>> {
    let Some(first) = tables.first() else {
        return Ok(None);
    };
    let fits = tables.iter().all(|t| {
        t.cols == first.cols && columns.iter().all(|c| t.index(c).is_none() || t.key.has(c))
    });
    if !fits {
        return Ok(None);
    }
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut groups: Vec<(GroupKey, Vec<&Table>)> = Vec::new();
    for t in tables {
        let key = GroupKey::new(
            t.key
                .cols
                .iter()
                .filter(|(m, _)| columns.contains(&m.label))
                .cloned()
                .collect(),
        );
        let id = format!("{:?}", key.cols);
        match index.get(&id) {
            Some(&g) => groups[g].1.push(t),
            None => {
                index.insert(id, groups.len());
                groups.push((key, vec![t]));
            }
        }
    }
    let mut out = Vec::with_capacity(groups.len());
    for (key, ts) in groups {
        // the same columns: the Arrow batches concatenate as they are
        let schema = ts[0].batch.schema();
        let batches: Vec<_> = ts.iter().map(|t| t.batch.clone()).collect();
        let table = match arrow::compute::concat_batches(&schema, &batches) {
            Ok(batch) => Table::from_batch(key, batch)?,
            Err(_) => {
                let mut cols = ts[0].to_columns();
                for t in &ts[1..] {
                    for (dst, (_, src)) in cols.iter_mut().zip(t.to_columns()) {
                        dst.1.extend(src);
                    }
                }
                Table::from_columns(key, cols)?
            }
        };
        out.push(table);
    }
    Ok(Some(out))
}

fn sort(_: &mut Interp, a: &mut Args) -> Result<Value> {
    let tables = a.tables()?;
    let columns = a
        .opt_strings("columns")?
        .unwrap_or_else(|| vec!["_value".into()]);
    let desc = a.opt_bool("desc")?.unwrap_or(false);
    let mut out = Vec::new();
    for t in &tables {
        let idx: Vec<usize> = columns.iter().filter_map(|c| t.index(c)).collect();
        let vals: Vec<Vec<Value>> = idx.iter().map(|&i| t.column_values(i)).collect();
        let mut rows: Vec<usize> = (0..t.len()).collect();
        rows.sort_by(|&x, &y| {
            for v in &vals {
                let o = v[x].sort_cmp(&v[y]);
                if o != std::cmp::Ordering::Equal {
                    return if desc { o.reverse() } else { o };
                }
            }
            std::cmp::Ordering::Equal
        });
        out.push(t.take_rows(&rows)?);
    }
    stream(out)
}

fn limit(it: &mut Interp, a: &mut Args, tail: bool) -> Result<Value> {
    if !tail {
        if let Some(v) = read_plan::try_push(it, a, read_plan::Kind::Limit)? {
            return Ok(v);
        }
    }
    read_plan::materialize_input(it, a)?;
    let tables = a.tables()?;
    let n = a.opt_int("n")?.unwrap_or(0).max(0) as usize;
    let offset = a.opt_int("offset")?.unwrap_or(0).max(0) as usize;
    let mut out = Vec::new();
    for t in &tables {
        let len = t.len();
        let rows: Vec<usize> = if tail {
            let end = len.saturating_sub(offset);
            (end.saturating_sub(n)..end).collect()
        } else {
            (offset.min(len)..(offset + n).min(len)).collect()
        };
        out.push(t.take_rows(&rows)?);
    }
    stream(out)
}

// ---------- selectors and aggregates ----------

enum Sel {
    First,
    Last,
    Min,
    Max,
}

fn selector(it: &mut Interp, a: &mut Args, s: Sel) -> Result<Value> {
    let kind = match s {
        Sel::First => Some(read_plan::Kind::First),
        Sel::Last => Some(read_plan::Kind::Last),
        _ => None,
    };
    if let Some(kind) = kind {
        if let Some(v) = read_plan::try_push(it, a, kind)? {
            return Ok(v);
        }
        read_plan::materialize_input(it, a)?;
    }
    let tables = a.tables()?;
    let column = a.opt_string("column")?.unwrap_or_else(|| "_value".into());
    let mut out = Vec::new();
    for t in &tables {
        let c = col(t, &column)?;
        let vals = t.column_values(c);
        let mut pick: Option<usize> = None;
        for (r, v) in vals.iter().enumerate() {
            if v.is_null() {
                continue;
            }
            pick = match (&s, pick) {
                (_, None) => Some(r),
                (Sel::First, p) => p,
                (Sel::Last, _) => Some(r),
                (Sel::Min, Some(p)) => Some(if v.sort_cmp(&vals[p]) == std::cmp::Ordering::Less {
                    r
                } else {
                    p
                }),
                (Sel::Max, Some(p)) => {
                    Some(if v.sort_cmp(&vals[p]) == std::cmp::Ordering::Greater {
                        r
                    } else {
                        p
                    })
                }
            };
        }
        out.push(t.take_rows(&pick.into_iter().collect::<Vec<_>>())?);
    }
    stream(out)
}

type AggFn = fn(&[Value], ColType) -> Result<(Value, ColType)>;

fn agg_table(
    t: &Table,
    column: &str,
    f: impl Fn(&[Value], ColType) -> Result<(Value, ColType)>,
) -> Result<Table> {
    let c = col(t, column)?;
    let (v, typ) = f(&t.column_values(c), t.cols[c].typ)?;
    let mut cols: Vec<(ColMeta, Vec<Value>)> = t
        .cols
        .iter()
        .filter(|m| t.key.has(&m.label) && m.label != column)
        .map(|m| {
            (
                m.clone(),
                vec![t.key.get(&m.label).cloned().unwrap_or(Value::Null)],
            )
        })
        .collect();
    cols.push((meta(column, typ), vec![v]));
    Table::from_columns(t.key.clone(), cols)
}

fn aggregate(_: &mut Interp, a: &mut Args, f: AggFn) -> Result<Value> {
    let tables = a.tables()?;
    let column = a.opt_string("column")?.unwrap_or_else(|| "_value".into());
    let out = tables
        .iter()
        .map(|t| agg_table(t, &column, f))
        .collect::<Result<Vec<_>>>()?;
    stream(out)
}

fn nonnull(v: &[Value]) -> impl Iterator<Item = &Value> {
    v.iter().filter(|x| !x.is_null())
}

fn agg_count(v: &[Value], _: ColType) -> Result<(Value, ColType)> {
    Ok((Value::Int(v.len() as i64), ColType::Int))
}

pub(crate) fn agg_sum(v: &[Value], t: ColType) -> Result<(Value, ColType)> {
    let mut acc: Option<Value> = None;
    for x in nonnull(v) {
        acc = Some(match acc {
            None => x.clone(),
            Some(a) => crate::interp::binary(crate::ast::Operator::Add, a, x.clone())?,
        });
    }
    match t {
        ColType::Int | ColType::UInt | ColType::Float => Ok((acc.unwrap_or(Value::Null), t)),
        t => Err(Error::rt(format!(
            "sum: unsupported column type {}",
            t.name()
        ))),
    }
}

fn as_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Int(i) => Some(*i as f64),
        Value::UInt(u) => Some(*u as f64),
        Value::Float(f) => Some(*f),
        _ => None,
    }
}

fn floats(v: &[Value], t: ColType, func: &str) -> Result<Vec<f64>> {
    if !matches!(t, ColType::Int | ColType::UInt | ColType::Float) {
        return Err(Error::rt(format!(
            "{func}: unsupported column type {}",
            t.name()
        )));
    }
    Ok(nonnull(v).filter_map(as_f64).collect())
}

fn agg_mean(v: &[Value], t: ColType) -> Result<(Value, ColType)> {
    let f = floats(v, t, "mean")?;
    if f.is_empty() {
        return Ok((Value::Null, ColType::Float));
    }
    Ok((
        Value::Float(f.iter().sum::<f64>() / f.len() as f64),
        ColType::Float,
    ))
}

pub(crate) fn agg_spread(v: &[Value], t: ColType) -> Result<(Value, ColType)> {
    let vals: Vec<&Value> = nonnull(v).collect();
    let (Some(mn), Some(mx)) = (
        vals.iter().min_by(|a, b| a.sort_cmp(b)).cloned(),
        vals.iter().max_by(|a, b| a.sort_cmp(b)).cloned(),
    ) else {
        return Ok((
            Value::Null,
            if t == ColType::UInt { ColType::UInt } else { t },
        ));
    };
    let d = match (mn, mx) {
        (Value::UInt(a), Value::UInt(b)) => Value::UInt(b - a),
        (a, b) => crate::interp::binary(crate::ast::Operator::Sub, b.clone(), a.clone())?,
    };
    Ok((d, t))
}

fn stddev(_: &mut Interp, a: &mut Args) -> Result<Value> {
    let tables = a.tables()?;
    let column = a.opt_string("column")?.unwrap_or_else(|| "_value".into());
    let population = a.opt_string("mode")?.as_deref() == Some("population");
    let out = tables
        .iter()
        .map(|t| {
            agg_table(t, &column, |v, ty| {
                let f = floats(v, ty, "stddev")?;
                let n = f.len() as f64;
                let d = if population { n } else { n - 1.0 };
                if f.is_empty() || d <= 0.0 {
                    return Ok((Value::Null, ColType::Float));
                }
                let m = f.iter().sum::<f64>() / n;
                let var = f.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / d;
                Ok((Value::Float(var.sqrt()), ColType::Float))
            })
        })
        .collect::<Result<Vec<_>>>()?;
    stream(out)
}

fn quantile_of(mut f: Vec<f64>, q: f64, method: &str) -> Option<f64> {
    if f.is_empty() {
        return None;
    }
    f.sort_by(|a, b| a.total_cmp(b));
    let n = f.len();
    match method {
        "exact_selector" => {
            let i = ((q * n as f64).ceil() as usize)
                .saturating_sub(1)
                .min(n - 1);
            Some(f[i])
        }
        "exact_mean" => {
            let x = q * (n - 1) as f64;
            let lo = x.floor() as usize;
            let hi = x.ceil() as usize;
            if lo == hi {
                Some(f[lo])
            } else {
                Some((f[lo] + f[hi.min(n - 1)]) / 2.0)
            }
        }
        _ => {
            let x = q * (n - 1) as f64;
            let lo = x.floor() as usize;
            let hi = (lo + 1).min(n - 1);
            Some(f[lo] + (x - lo as f64) * (f[hi] - f[lo]))
        }
    }
}

fn quantile_impl(a: &mut Args, q: f64) -> Result<Value> {
    let tables = a.tables()?;
    let column = a.opt_string("column")?.unwrap_or_else(|| "_value".into());
    let method = a
        .opt_string("method")?
        .unwrap_or_else(|| "estimate_tdigest".into());
    let _ = a.opt_float("compression")?;
    if !(0.0..=1.0).contains(&q) {
        return Err(Error::rt("quantile: q must be between 0 and 1"));
    }
    let mut out = Vec::new();
    for t in &tables {
        if method == "exact_selector" {
            let c = col(t, &column)?;
            let vals = t.column_values(c);
            let mut rows: Vec<usize> = (0..t.len()).filter(|&r| !vals[r].is_null()).collect();
            rows.sort_by(|&x, &y| vals[x].sort_cmp(&vals[y]));
            let pick = if rows.is_empty() {
                vec![]
            } else {
                let i = ((q * rows.len() as f64).ceil() as usize)
                    .saturating_sub(1)
                    .min(rows.len() - 1);
                vec![rows[i]]
            };
            out.push(t.take_rows(&pick)?);
            continue;
        }
        out.push(agg_table(t, &column, |v, ty| {
            let f = floats(v, ty, "quantile")?;
            Ok((
                quantile_of(f, q, &method)
                    .map(Value::Float)
                    .unwrap_or(Value::Null),
                ColType::Float,
            ))
        })?);
    }
    stream(out)
}

fn quantile(_: &mut Interp, a: &mut Args) -> Result<Value> {
    let q = a.opt_float("q")?.unwrap_or(0.5);
    quantile_impl(a, q)
}

fn median(_: &mut Interp, a: &mut Args) -> Result<Value> {
    quantile_impl(a, 0.5)
}

fn distinct(_: &mut Interp, a: &mut Args) -> Result<Value> {
    let tables = a.tables()?;
    let column = a.opt_string("column")?.unwrap_or_else(|| "_value".into());
    let mut out = Vec::new();
    for t in &tables {
        let c = col(t, &column)?;
        let mut seen: Vec<Value> = Vec::new();
        for v in t.column_values(c) {
            if !seen.contains(&v) {
                seen.push(v);
            }
        }
        let n = seen.len();
        let mut cols: Vec<(ColMeta, Vec<Value>)> = t
            .cols
            .iter()
            .filter(|m| t.key.has(&m.label) && m.label != "_value")
            .map(|m| {
                (
                    m.clone(),
                    vec![t.key.get(&m.label).cloned().unwrap_or(Value::Null); n],
                )
            })
            .collect();
        cols.push((meta("_value", t.cols[c].typ), seen));
        out.push(Table::from_columns(t.key.clone(), cols)?);
    }
    stream(out)
}

fn unique(_: &mut Interp, a: &mut Args) -> Result<Value> {
    let tables = a.tables()?;
    let column = a.opt_string("column")?.unwrap_or_else(|| "_value".into());
    let mut out = Vec::new();
    for t in &tables {
        let c = col(t, &column)?;
        let mut seen: Vec<Value> = Vec::new();
        let mut rows = Vec::new();
        for (r, v) in t.column_values(c).into_iter().enumerate() {
            if !seen.contains(&v) {
                seen.push(v);
                rows.push(r);
            }
        }
        out.push(t.take_rows(&rows)?);
    }
    stream(out)
}

// ---------- windows ----------

/// The arguments of `window`/`aggregateWindow`.
pub(crate) struct WindowSpec {
    pub(crate) every: i64,
    pub(crate) period: i64,
    pub(crate) offset: i64,
    pub(crate) time_col: String,
    pub(crate) start_col: String,
    pub(crate) stop_col: String,
    pub(crate) create_empty: bool,
    /// Windows align to the wall clock of this location.
    pub(crate) location: super::timezone::Location,
    /// Calendar months per window (`every: 1mo`); `every`/`period` are 0 then.
    pub(crate) every_months: i64,
}

fn fixed(d: Duration, what: &str) -> Result<i64> {
    if d.months != 0 {
        return Err(Error::unsupported(format!(
            "calendar-month durations for window {what}"
        )));
    }
    Ok(d.nanos)
}

/// Read the window arguments of a call.
pub(crate) fn window_spec(it: &Interp, a: &mut Args, default_empty: bool) -> Result<WindowSpec> {
    let every = a.opt_duration("every")?;
    let period = a.opt_duration("period")?;
    let every = match (every, period) {
        (Some(e), _) => e,
        (None, Some(p)) => p,
        (None, None) => return Err(Error::rt("window: one of every or period must be provided")),
    };
    let period = period.unwrap_or(every);
    let offset = a.opt_duration("offset")?.unwrap_or_default();
    let every_months = every.months;
    let (e, p, offset) = if every_months != 0 {
        // calendar windows: whole months, aligned to the location's wall clock
        if every.nanos != 0 || every_months < 0 {
            return Err(Error::unsupported(
                "window durations that mix calendar months with smaller units",
            ));
        }
        if period != every || offset != Duration::default() {
            return Err(Error::unsupported(
                "window period or offset with a calendar-month every",
            ));
        }
        (0, 0, 0)
    } else {
        let e = fixed(every, "every")?;
        let p = fixed(period, "period")?;
        if e <= 0 || p <= 0 {
            return Err(Error::rt("window: duration must be positive"));
        }
        (e, p, fixed(offset, "offset")?)
    };
    let location = match a.opt("location").or_else(|| it.universe.lookup("location")) {
        Some(v) => super::timezone::Location::from_value(&v)?,
        None => super::timezone::Location::UTC,
    };
    Ok(WindowSpec {
        location,
        every_months,
        every: e,
        period: p,
        offset,
        time_col: a
            .opt_string("timeColumn")?
            .unwrap_or_else(|| "_time".into()),
        start_col: a
            .opt_string("startColumn")?
            .unwrap_or_else(|| "_start".into()),
        stop_col: a
            .opt_string("stopColumn")?
            .unwrap_or_else(|| "_stop".into()),
        create_empty: a.opt_bool("createEmpty")?.unwrap_or(default_empty),
    })
}

/// Start of the window holding `t`.
pub(crate) fn window_start(t: i64, every: i64, offset: i64) -> i64 {
    let o = offset.rem_euclid(every);
    (t - o).div_euclid(every) * every + o
}

/// The windows of a table: (start, stop, rows) in start order, bounded by
/// the table's `_start`/`_stop` when it has them.
fn window_rows(t: &Table, s: &WindowSpec) -> Result<Vec<(i64, i64, Vec<usize>)>> {
    let tc = col(t, &s.time_col)?;
    let times = t.column_values(tc);
    let bounds = match (t.key.get(&s.start_col), t.key.get(&s.stop_col)) {
        (Some(Value::Time(a)), Some(Value::Time(b))) => Some((*a, *b)),
        _ => None,
    };
    if s.every_months > 0 {
        return month_window_rows(&times, bounds, s);
    }
    // windows align to the location's wall clock: shift the offset by its
    // UTC offset, which must not change (daylight saving) inside the data
    let (first, last) = match bounds {
        Some((lo, hi)) => (Some(lo), Some(hi.saturating_sub(1))),
        None => {
            let mut ts = times.iter().filter_map(|v| match v {
                Value::Time(x) => Some(*x),
                _ => None,
            });
            let first = ts.next();
            (first, ts.next_back().or(first))
        }
    };
    let zone_offset = first.map(|f| s.location.offset_at(f)).unwrap_or(0);
    if last.is_some_and(|l| s.location.offset_at(l) != zone_offset) {
        return Err(Error::unsupported(
            "window: a location whose UTC offset changes (daylight saving) inside the windowed range",
        ));
    }
    let s = &WindowSpec {
        offset: s.offset - zone_offset,
        time_col: s.time_col.clone(),
        start_col: s.start_col.clone(),
        stop_col: s.stop_col.clone(),
        ..*s
    };
    // window start -> rows
    let mut windows: std::collections::BTreeMap<i64, Vec<usize>> =
        std::collections::BTreeMap::new();
    for (r, v) in times.iter().enumerate() {
        let Value::Time(x) = v else { continue };
        let mut ws = window_start(*x, s.every, s.offset);
        // walk back over overlapping windows (period > every)
        while ws + s.period > *x {
            if ws <= *x {
                windows.entry(ws).or_default().push(r);
            }
            ws -= s.every;
        }
    }
    if s.create_empty {
        if let Some((lo, hi)) = bounds {
            let mut ws = window_start(lo, s.every, s.offset);
            while ws + s.period <= lo {
                ws += s.every;
            }
            while ws + s.period - s.period > ws - s.period && ws < hi {
                windows.entry(ws).or_default();
                ws += s.every;
                if windows.len() > 1_000_000 {
                    return Err(Error::rt("window: too many windows"));
                }
            }
            let mut back = window_start(lo, s.every, s.offset) - s.every;
            while back + s.period > lo {
                windows.entry(back).or_default();
                back -= s.every;
            }
        }
    }
    let mut out = Vec::new();
    for (ws, rows) in windows {
        let (mut start, mut stop) = (ws, ws + s.period);
        if let Some((lo, hi)) = bounds {
            start = start.max(lo);
            stop = stop.min(hi);
            if start >= stop {
                continue;
            }
        }
        out.push((start, stop, rows));
    }
    Ok(out)
}

/// [`window_rows`] for calendar-month windows.
fn month_window_rows(
    times: &[Value],
    bounds: Option<(i64, i64)>,
    s: &WindowSpec,
) -> Result<Vec<(i64, i64, Vec<usize>)>> {
    let window_of = |t: i64| super::months::window_of(t, s.every_months, &s.location);
    let mut windows: std::collections::BTreeMap<i64, (i64, Vec<usize>)> =
        std::collections::BTreeMap::new();
    for (r, v) in times.iter().enumerate() {
        let Value::Time(x) = v else { continue };
        let (ws, we) = window_of(*x)?;
        windows.entry(ws).or_insert((we, Vec::new())).1.push(r);
    }
    if let (true, Some((lo, hi))) = (s.create_empty, bounds) {
        let (mut ws, mut we) = window_of(lo)?;
        while ws < hi {
            windows.entry(ws).or_insert((we, Vec::new()));
            (ws, we) = window_of(we)?;
            if windows.len() > 1_000_000 {
                return Err(Error::rt("window: too many windows"));
            }
        }
    }
    let mut out = Vec::new();
    for (ws, (we, rows)) in windows {
        let (mut start, mut stop) = (ws, we);
        if let Some((lo, hi)) = bounds {
            start = start.max(lo);
            stop = stop.min(hi);
            if start >= stop {
                continue;
            }
        }
        out.push((start, stop, rows));
    }
    Ok(out)
}

fn window_table(t: &Table, s: &WindowSpec) -> Result<Vec<Table>> {
    if s.every == i64::MAX {
        // `every: inf`: one window over the whole table
        col(t, &s.time_col)?;
        let (lo, hi) = match (t.key.get(&s.start_col), t.key.get(&s.stop_col)) {
            (Some(Value::Time(a)), Some(Value::Time(b))) => (*a, *b),
            _ => (i64::MIN, i64::MAX),
        };
        let rows: Vec<usize> = (0..t.len()).collect();
        return Ok(vec![set_bounds(
            t,
            &s.start_col,
            &s.stop_col,
            lo,
            hi,
            &rows,
        )?]);
    }
    window_rows(t, s)?
        .into_iter()
        .map(|(start, stop, rows)| set_bounds(t, &s.start_col, &s.stop_col, start, stop, &rows))
        .collect()
}

/// `aggregateWindow(fn: first|last|min|max)` over a table in storage layout,
/// without building a table per window: the selected row of each window,
/// stamped with the window stop (what the general path computes). `None`
/// when the shape is not the simple one.
fn selector_windows(
    t: &Table,
    s: &WindowSpec,
    f: &Value,
    column: &str,
    time_src: &str,
    time_dst: &str,
) -> Result<Option<Table>> {
    let Value::Function(func) = f else {
        return Ok(None);
    };
    let crate::value::Function::Native { name, .. } = func.as_ref() else {
        return Ok(None);
    };
    let sel = match name.as_str() {
        "first" => Sel::First,
        "last" => Sel::Last,
        "min" => Sel::Min,
        "max" => Sel::Max,
        _ => return Ok(None),
    };
    let simple = s.every != i64::MAX
        && s.period == s.every
        && time_src == s.stop_col
        && time_dst == s.time_col
        && !t.is_empty();
    let (Some(vc), Some(tc)) = (t.index(column), t.index(&s.time_col)) else {
        return Ok(None);
    };
    let Some(bounds) = window_bounds_shape(t, s) else {
        return Ok(None);
    };
    if !simple {
        return Ok(None);
    }
    let vals = t.column_values(vc);
    let mut picks: Vec<(Option<usize>, i64, i64)> = Vec::new();
    for (start, stop, rows) in window_rows(t, s)? {
        let mut pick: Option<usize> = None;
        for &r in &rows {
            let v = &vals[r];
            if v.is_null() {
                continue;
            }
            pick = match (&sel, pick) {
                (_, None) => Some(r),
                (Sel::First, p) => p,
                (Sel::Last, _) => Some(r),
                (Sel::Min, Some(p)) => Some(if v.sort_cmp(&vals[p]) == std::cmp::Ordering::Less {
                    r
                } else {
                    p
                }),
                (Sel::Max, Some(p)) => {
                    Some(if v.sort_cmp(&vals[p]) == std::cmp::Ordering::Greater {
                        r
                    } else {
                        p
                    })
                }
            };
        }
        if pick.is_some() || s.create_empty {
            picks.push((pick, start, stop));
        }
    }
    // a table without bounds gets each window's bounds in _start/_stop
    let mut cols: Vec<(ColMeta, Vec<Value>)> = Vec::new();
    if bounds == Bounds::Absent {
        cols.push((
            meta(&s.start_col, ColType::Time),
            picks.iter().map(|p| Value::Time(p.1)).collect(),
        ));
        cols.push((
            meta(&s.stop_col, ColType::Time),
            picks.iter().map(|p| Value::Time(p.2)).collect(),
        ));
    }
    cols.extend(t.cols.iter().enumerate().map(|(i, c)| {
        let values = picks
            .iter()
            .map(|(pick, start, stop)| {
                if i == tc {
                    return Value::Time(*stop);
                }
                if let Some(v) = bound_value(&c.label, s, bounds, *start, *stop) {
                    return v;
                }
                match pick {
                    Some(r) => t.value(i, *r),
                    None => t.key.get(&c.label).cloned().unwrap_or(Value::Null),
                }
            })
            .collect();
        (c.clone(), values)
    }));
    Ok(Some(Table::from_columns(t.key.clone(), cols)?))
}

/// Where a table keeps window bounds, as `window()` would leave them.
#[derive(Clone, Copy, PartialEq)]
enum Bounds {
    /// `_start`/`_stop` in the key: every window keeps the table's bounds.
    InKey,
    /// No such columns: each window's bounds come first.
    Absent,
    /// Plain columns: they take each window's bounds, in place.
    Columns,
}

/// The [`Bounds`] of `t`; None (one bound column only, or one in the key
/// and not the other) is left to the general path.
fn window_bounds_shape(t: &Table, s: &WindowSpec) -> Option<Bounds> {
    let cols = (
        t.index(&s.start_col).is_some(),
        t.index(&s.stop_col).is_some(),
    );
    let keys = (t.key.has(&s.start_col), t.key.has(&s.stop_col));
    match (cols, keys) {
        ((true, true), (true, true)) => Some(Bounds::InKey),
        ((false, false), _) => Some(Bounds::Absent),
        ((true, true), (false, false)) => Some(Bounds::Columns),
        _ => None,
    }
}

/// The value of column `label` in the window `(start, stop)` when it is a
/// window bound that the window sets; None for every other column.
fn bound_value(label: &str, s: &WindowSpec, b: Bounds, start: i64, stop: i64) -> Option<Value> {
    if b == Bounds::InKey {
        return None;
    }
    if label == s.start_col {
        Some(Value::Time(start))
    } else if label == s.stop_col {
        Some(Value::Time(stop))
    } else {
        None
    }
}

/// `aggregateWindow` with a native aggregate (`sum`, `mean`, `count`,
/// `spread`): computed per window without building window tables, with the
/// same columns and values as the general path.
fn aggregate_windows_native(
    t: &Table,
    s: &WindowSpec,
    f: &Value,
    column: &str,
    time_src: &str,
    time_dst: &str,
) -> Result<Option<Table>> {
    let Value::Function(func) = f else {
        return Ok(None);
    };
    let crate::value::Function::Native { name, .. } = func.as_ref() else {
        return Ok(None);
    };
    let agg: AggFn = match name.as_str() {
        "sum" => agg_sum,
        "mean" => agg_mean,
        "count" => agg_count,
        "spread" => agg_spread,
        _ => return Ok(None),
    };
    let use_start = if time_src == s.start_col {
        true
    } else if time_src == s.stop_col {
        false
    } else {
        return Ok(None);
    };
    if s.every == i64::MAX || t.key.has(column) || time_dst == column {
        return Ok(None);
    }
    let Some(vc) = t.index(column) else {
        return Ok(None);
    };
    let Some(bounds) = window_bounds_shape(t, s) else {
        return Ok(None);
    };
    if t.index(time_dst).is_some_and(|_| t.key.has(time_dst)) {
        return Ok(None);
    }
    let vals = t.column_values(vc);
    let in_type = t.cols[vc].typ;
    let mut results: Vec<(i64, i64, Value)> = Vec::new();
    let mut out_type: Option<ColType> = None;
    let mut buf: Vec<Value> = Vec::new();
    for (start, stop, rows) in window_rows(t, s)? {
        buf.clear();
        buf.extend(rows.iter().map(|&r| vals[r].clone()));
        let (v, typ) = agg(&buf, in_type)?;
        if out_type.is_none() || !v.is_null() {
            out_type = Some(typ);
        }
        results.push((start, stop, v));
    }
    let out_type = out_type.unwrap_or(in_type);
    // the general path's columns: window bounds, key columns (table order),
    // the aggregate, then the time column
    let mut cols: Vec<(ColMeta, Vec<Value>)> = Vec::new();
    if bounds == Bounds::Absent {
        cols.push((
            meta(&s.start_col, ColType::Time),
            results.iter().map(|r| Value::Time(r.0)).collect(),
        ));
        cols.push((
            meta(&s.stop_col, ColType::Time),
            results.iter().map(|r| Value::Time(r.1)).collect(),
        ));
    }
    for c in &t.cols {
        if bound_value(&c.label, s, bounds, 0, 0).is_some() {
            // a bound column outside the key: each window's bounds
            let values = results
                .iter()
                .map(|r| bound_value(&c.label, s, bounds, r.0, r.1).unwrap_or(Value::Null))
                .collect();
            cols.push((meta(&c.label, ColType::Time), values));
        } else if t.key.has(&c.label) && c.label != column {
            let v = t.key.get(&c.label).cloned().unwrap_or(Value::Null);
            cols.push((c.clone(), vec![v; results.len()]));
        }
    }
    cols.push((
        meta(column, out_type),
        results.iter().map(|r| r.2.clone()).collect(),
    ));
    cols.push((
        meta(time_dst, ColType::Time),
        results
            .iter()
            .map(|r| Value::Time(if use_start { r.0 } else { r.1 }))
            .collect(),
    ));
    Ok(Some(Table::from_columns(t.key.clone(), cols)?))
}

fn window(it: &mut Interp, a: &mut Args) -> Result<Value> {
    let tables = a.tables()?;
    let spec = window_spec(it, a, false)?;
    if spec.every == i64::MAX {
        return stream(window_inf(&tables, &spec)?);
    }
    let mut out = Vec::new();
    for t in &tables {
        out.extend(window_table(t, &spec)?);
    }
    stream(out)
}

/// `window(every: inf)`: one window over everything, so the tables that
/// differ only by their window bounds merge back into one, bounded by the
/// union of their bounds (the range the windows were cut from).
fn window_inf(tables: &[Table], s: &WindowSpec) -> Result<Vec<Table>> {
    let is_bound = |m: &ColMeta| m.label == s.start_col || m.label == s.stop_col;
    // (key without the bounds, tables)
    type Group<'a> = (Vec<(ColMeta, Value)>, Vec<&'a Table>);
    let mut groups: Vec<Group> = Vec::new();
    for t in tables {
        col(t, &s.time_col)?;
        let key: Vec<(ColMeta, Value)> = t
            .key
            .cols
            .iter()
            .filter(|(m, _)| !is_bound(m))
            .cloned()
            .collect();
        match groups
            .iter_mut()
            .find(|(k, ts)| *k == key && ts[0].cols == t.cols)
        {
            Some((_, ts)) => ts.push(t),
            None => groups.push((key, vec![t])),
        }
    }
    let mut out = Vec::new();
    for (_, ts) in groups {
        let bound = |label: &str| -> Vec<i64> {
            ts.iter()
                .filter_map(|t| match t.key.get(label) {
                    Some(Value::Time(x)) => Some(*x),
                    _ => None,
                })
                .collect()
        };
        let lo = bound(&s.start_col).into_iter().min().unwrap_or(i64::MIN);
        let hi = bound(&s.stop_col).into_iter().max().unwrap_or(i64::MAX);
        let mut cols = ts[0].to_columns();
        for t in &ts[1..] {
            for (dst, (_, src)) in cols.iter_mut().zip(t.to_columns()) {
                dst.1.extend(src);
            }
        }
        let merged = Table::from_columns(ts[0].key.clone(), cols)?;
        let rows: Vec<usize> = (0..merged.len()).collect();
        out.push(set_bounds(
            &merged,
            &s.start_col,
            &s.stop_col,
            lo,
            hi,
            &rows,
        )?);
    }
    Ok(out)
}

/// A table whose group key lacks the window bounds (e.g. after `group()`)
/// gets them back, as the `window(every: inf)` that ends `aggregateWindow`
/// does in Flux: `_start`/`_stop` become the read's bounds (the values the
/// rows carry from `range`) and join the group key. None: nothing to change.
fn bounds_in_key(t: &Table, spec: &WindowSpec) -> Result<Option<Table>> {
    let (start, stop) = (spec.start_col.as_str(), spec.stop_col.as_str());
    if t.key.has(start) || t.key.has(stop) || t.is_empty() {
        return Ok(None);
    }
    let (Some(si), Some(pi)) = (t.index(start), t.index(stop)) else {
        return Ok(None);
    };
    let (sv, pv) = (t.value(si, 0), t.value(pi, 0));
    if sv.is_null() || pv.is_null() {
        return Ok(None);
    }
    let mut cols = t.key.cols.clone();
    cols.push((meta(start, t.cols[si].typ), sv));
    cols.push((meta(stop, t.cols[pi].typ), pv));
    Table::from_batch(GroupKey::new(cols), t.batch.clone()).map(Some)
}

fn aggregate_window(it: &mut Interp, a: &mut Args) -> Result<Value> {
    if let Some(v) = read_plan::try_push(it, a, read_plan::Kind::AggregateWindow)? {
        return Ok(v);
    }
    read_plan::materialize_input(it, a)?;
    let tables = a.tables()?;
    let f = a.function("fn")?;
    let column = a.opt_string("column")?.unwrap_or_else(|| "_value".into());
    let time_src = a.opt_string("timeSrc")?.unwrap_or_else(|| "_stop".into());
    let time_dst = a.opt_string("timeDst")?.unwrap_or_else(|| "_time".into());
    let spec = window_spec(it, a, true)?;
    let mut out = Vec::new();
    for t in &tables {
        let bounded = bounds_in_key(t, &spec)?;
        let t = bounded.as_ref().unwrap_or(t);
        if let Some(fast) = selector_windows(t, &spec, &f, &column, &time_src, &time_dst)? {
            out.push(fast);
            continue;
        }
        if let Some(fast) = aggregate_windows_native(t, &spec, &f, &column, &time_src, &time_dst)? {
            out.push(fast);
            continue;
        }
        let windows = window_table(t, &spec)?;
        let res = it.call_piped(
            &f,
            vec![("column".into(), Value::str(&column))],
            Value::stream(windows),
        )?;
        let Value::Stream(res) = res else {
            return Err(Error::rt("aggregateWindow: fn must return a stream"));
        };
        let mut merged: Vec<Record> = Vec::new();
        let mut types: Vec<(String, ColType)> = Vec::new();
        for w in res.tables()? {
            for c in &w.cols {
                if !types.iter().any(|(l, _)| *l == c.label) {
                    types.push((c.label.clone(), c.typ));
                }
            }
            let mut rows: Vec<Record> = (0..w.len()).map(|r| w.row(r)).collect();
            if rows.is_empty() && spec.create_empty {
                let mut rec = Record::default();
                for c in &w.cols {
                    rec.set(
                        &c.label,
                        w.key.get(&c.label).cloned().unwrap_or(Value::Null),
                    );
                }
                rows.push(rec);
            }
            for mut rec in rows {
                let src = rec.get(&time_src).cloned().unwrap_or(Value::Null);
                rec.set(&time_dst, src);
                merged.push(rec);
            }
        }
        if !types.iter().any(|(l, _)| *l == time_dst) {
            types.push((time_dst.clone(), ColType::Time));
        }
        let key = t.key.clone();
        let mut b = TableBuilder::new(key.clone());
        for (l, ty) in &types {
            b.add_column(l, Some(*ty));
        }
        for mut rec in merged {
            for (c, v) in &key.cols {
                if c.label == spec.start_col || c.label == spec.stop_col {
                    rec.set(&c.label, v.clone());
                }
            }
            b.push_record(&rec)?;
        }
        out.push(b.build()?);
    }
    stream(out)
}

// ---------- row transformations ----------

fn fill(_: &mut Interp, a: &mut Args) -> Result<Value> {
    let tables = a.tables()?;
    let column = a.opt_string("column")?.unwrap_or_else(|| "_value".into());
    let value = a.opt("value");
    let prev = a.opt_bool("usePrevious")?.unwrap_or(false);
    if value.is_none() && !prev {
        return Err(Error::rt("fill: must provide a value or usePrevious"));
    }
    let mut out = Vec::new();
    for t in &tables {
        let c = col(t, &column)?;
        let mut cols = t.to_columns();
        let mut last = Value::Null;
        for v in cols[c].1.iter_mut() {
            if v.is_null() {
                if prev {
                    *v = last.clone();
                } else if let Some(x) = &value {
                    if ColType::of(x) != Some(cols_typ(t, c)) {
                        return Err(Error::rt(format!(
                            "fill: value type {} does not match column type {}",
                            x.type_name(),
                            cols_typ(t, c).name()
                        )));
                    }
                    *v = x.clone();
                }
            } else {
                last = v.clone();
            }
        }
        out.push(Table::from_columns(t.key.clone(), cols)?);
    }
    stream(out)
}

fn cols_typ(t: &Table, c: usize) -> ColType {
    t.cols[c].typ
}

fn duplicate(_: &mut Interp, a: &mut Args) -> Result<Value> {
    let tables = a.tables()?;
    let column = a.string("column")?;
    let to = a.string("as")?;
    let mut out = Vec::new();
    for t in &tables {
        let c = col(t, &column)?;
        let vals = t.column_values(c);
        let mut cols = t.to_columns();
        let m = meta(&to, t.cols[c].typ);
        match cols.iter().position(|(x, _)| x.label == to) {
            Some(i) => cols[i] = (m.clone(), vals.clone()),
            None => cols.push((m.clone(), vals.clone())),
        }
        let mut key = t.key.clone();
        if let Some(slot) = key.cols.iter_mut().find(|(k, _)| k.label == to) {
            *slot = (m, vals.first().cloned().unwrap_or(Value::Null));
        }
        out.push(Table::from_columns(key, cols)?);
    }
    stream(out)
}

fn set(_: &mut Interp, a: &mut Args) -> Result<Value> {
    let tables = a.tables()?;
    let key_col = a.string("key")?;
    let value = a.req("value")?;
    let Some(typ) = ColType::of(&value) else {
        return Err(Error::rt(format!(
            "set: unsupported value type {}",
            value.type_name()
        )));
    };
    let mut out = Vec::new();
    for t in &tables {
        let mut cols = t.to_columns();
        let n = t.len();
        let m = meta(&key_col, typ);
        match cols.iter().position(|(x, _)| x.label == key_col) {
            Some(i) => cols[i] = (m.clone(), vec![value.clone(); n]),
            None => cols.push((m.clone(), vec![value.clone(); n])),
        }
        let mut key = t.key.clone();
        if let Some(slot) = key.cols.iter_mut().find(|(k, _)| k.label == key_col) {
            *slot = (m, value.clone());
        }
        out.push(Table::from_columns(key, cols)?);
    }
    stream(merge_same_keys(out)?)
}

fn pivot(it: &mut Interp, a: &mut Args) -> Result<Value> {
    if let Some(v) = read_plan::try_push(it, a, read_plan::Kind::Pivot)? {
        return Ok(v);
    }
    read_plan::materialize_input(it, a)?;
    let tables = a.tables()?;
    let row_key = a.strings("rowKey")?;
    let col_key = a.strings("columnKey")?;
    let value_col = a.string("valueColumn")?;
    // group tables by output key
    let mut groups: Vec<(GroupKey, Vec<&Table>)> = Vec::new();
    for t in &tables {
        let key = GroupKey::new(
            t.key
                .cols
                .iter()
                .filter(|(c, _)| !col_key.contains(&c.label) && c.label != value_col)
                .cloned()
                .collect(),
        );
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some(g) => g.1.push(t),
            None => groups.push((key, vec![t])),
        }
    }
    let mut out = Vec::new();
    for (key, ts) in groups {
        let table = match super::pivot_by_time::pivot(&key, &ts, &row_key, &col_key, &value_col)? {
            Some(table) => table,
            None => pivot_group(key, &ts, &row_key, &col_key, &value_col)?,
        };
        out.push(table);
    }
    stream(out)
}

/// `pivot` of the tables `ts` that share the output group key `key`, row by
/// row through records (any row and column key).
pub(super) fn pivot_group(
    key: GroupKey,
    ts: &[&Table],
    row_key: &[String],
    col_key: &[String],
    value_col: &str,
) -> Result<Table> {
    let mut rows: Vec<(Vec<Value>, Record)> = Vec::new();
    // row key -> index in `rows` (the key's Debug text: Value has no Hash)
    let mut row_index: HashMap<String, usize> = HashMap::new();
    // new columns with the value type of the table they come from
    let mut new_cols: Vec<(String, ColType)> = Vec::new();
    let mut types: Vec<(String, ColType)> = Vec::new();
    for t in ts {
        let vc = col(t, value_col)?;
        let vtype = t.cols[vc].typ;
        let rk: Vec<usize> = row_key.iter().map(|c| col(t, c)).collect::<Result<_>>()?;
        let ck: Vec<usize> = col_key.iter().map(|c| col(t, c)).collect::<Result<_>>()?;
        for c in &t.cols {
            if (key.has(&c.label) || row_key.contains(&c.label))
                && !types.iter().any(|(l, _)| *l == c.label)
            {
                types.push((c.label.clone(), c.typ));
            }
        }
        for r in 0..t.len() {
            let rkv: Vec<Value> = rk.iter().map(|&i| t.value(i, r)).collect();
            let name = ck
                .iter()
                .map(|&i| t.value(i, r).to_string())
                .collect::<Vec<_>>()
                .join("_");
            if !new_cols.iter().any(|(n, _)| *n == name) {
                new_cols.push((name.clone(), vtype));
            }
            let id = format!("{rkv:?}");
            let idx = match row_index.get(&id) {
                Some(&i) => i,
                None => {
                    row_index.insert(id, rows.len());
                    let mut rec = Record::default();
                    for (c, v) in &key.cols {
                        rec.set(&c.label, v.clone());
                    }
                    for (l, v) in row_key.iter().zip(rkv.iter()) {
                        rec.set(l, v.clone());
                    }
                    rows.push((rkv, rec));
                    rows.len() - 1
                }
            };
            rows[idx].1.set(&name, t.value(vc, r));
        }
    }
    rows.sort_by(|a, b| {
        a.0.iter()
            .zip(b.0.iter())
            .map(|(x, y)| x.sort_cmp(y))
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let mut b = TableBuilder::new(key);
    for (l, t) in &types {
        b.add_column(l, Some(*t));
    }
    for (n, typ) in &new_cols {
        b.add_column(n, Some(*typ));
    }
    for (_, rec) in rows {
        b.push_record(&rec)?;
    }
    b.build()
}

fn union(_: &mut Interp, a: &mut Args) -> Result<Value> {
    let v = a.req("tables")?;
    let Value::Array(streams) = v else {
        return Err(super::type_error("union", "array of streams", &v));
    };
    if streams.len() < 2 {
        return Err(Error::rt("union: tables must contain at least 2 streams"));
    }
    let mut out = Vec::new();
    for s in streams.iter() {
        match s {
            Value::Stream(s) => out.extend(s.tables()?),
            v => return Err(super::type_error("union", "stream", v)),
        }
    }
    stream(out)
}

fn join(_: &mut Interp, a: &mut Args) -> Result<Value> {
    let v = a.req("tables")?;
    let Value::Record(r) = v else {
        return Err(super::type_error("join", "record of streams", &v));
    };
    if r.fields.len() != 2 {
        return Err(Error::rt("join: tables must have exactly two streams"));
    }
    let method = a.opt_string("method")?.unwrap_or_else(|| "inner".into());
    if method != "inner" {
        return Err(Error::unsupported(format!("join method {method:?}")));
    }
    let (ln, lv) = &r.fields[0];
    let (rn, rv) = &r.fields[1];
    let (Value::Stream(ls), Value::Stream(rs)) = (lv, rv) else {
        return Err(Error::rt("join: tables must be streams"));
    };
    let (lt, rt) = (ls.tables()?, rs.tables()?);
    let on = match a.opt_strings("on")? {
        Some(o) => o,
        None => {
            // default: the columns common to both sides' group keys
            let lk: Vec<String> = lt
                .first()
                .map(|t| t.key.labels().iter().map(|s| s.to_string()).collect())
                .unwrap_or_default();
            rt.first()
                .map(|t| lk.iter().filter(|l| t.key.has(l)).cloned().collect())
                .unwrap_or_default()
        }
    };
    let ltypes = schema_types(&lt);
    let rtypes = schema_types(&rt);
    let out_name = |l: &str, side: &str, other: &[(String, ColType)]| {
        if on.iter().any(|o| o == l) || !other.iter().any(|(x, _)| x == l) {
            l.to_string()
        } else {
            format!("{l}_{side}")
        }
    };
    let mut types: Vec<(String, ColType)> = Vec::new();
    for (l, t) in &ltypes {
        types.push((out_name(l, ln, &rtypes), *t));
    }
    for (l, t) in &rtypes {
        let n = out_name(l, rn, &ltypes);
        if !types.iter().any(|(x, _)| *x == n) {
            types.push((n, *t));
        }
    }
    let type_map: HashMap<String, ColType> = types.iter().cloned().collect();
    let mut rg = Regrouper::new(types.clone());
    for l in &lt {
        let lon: Vec<Option<usize>> = on.iter().map(|c| l.index(c)).collect();
        for r in &rt {
            let ron: Vec<Option<usize>> = on.iter().map(|c| r.index(c)).collect();
            let mut key_labels: Vec<String> = Vec::new();
            for (c, _) in &l.key.cols {
                key_labels.push(out_name(&c.label, ln, &rtypes));
            }
            for (c, _) in &r.key.cols {
                let n = out_name(&c.label, rn, &ltypes);
                if !key_labels.contains(&n) {
                    key_labels.push(n);
                }
            }
            for i in 0..l.len() {
                for j in 0..r.len() {
                    let matched = lon.iter().zip(ron.iter()).all(|(a, b)| match (a, b) {
                        (Some(a), Some(b)) => {
                            let (x, y) = (l.value(*a, i), r.value(*b, j));
                            !x.is_null() && x == y
                        }
                        _ => false,
                    });
                    if !matched {
                        continue;
                    }
                    let mut rec = Record::default();
                    for (c, m) in l.cols.iter().enumerate() {
                        rec.set(&out_name(&m.label, ln, &rtypes), l.value(c, i));
                    }
                    for (c, m) in r.cols.iter().enumerate() {
                        let n = out_name(&m.label, rn, &ltypes);
                        if rec.get(&n).is_none() {
                            rec.set(&n, r.value(c, j));
                        }
                    }
                    let key = key_from_record(&key_labels, &rec, &type_map);
                    rg.push(key, &rec)?;
                }
            }
        }
    }
    stream(rg.finish()?)
}

fn num_columns(a: &mut Args) -> Result<Vec<String>> {
    Ok(a.opt_strings("columns")?
        .unwrap_or_else(|| vec!["_value".into()]))
}

fn derivative(_: &mut Interp, a: &mut Args) -> Result<Value> {
    let tables = a.tables()?;
    let unit = a
        .opt_duration("unit")?
        .map(|d| fixed(d, "unit"))
        .transpose()?
        .unwrap_or(1_000_000_000);
    let non_neg = a.opt_bool("nonNegative")?.unwrap_or(false);
    let columns = num_columns(a)?;
    let time_col = a
        .opt_string("timeColumn")?
        .unwrap_or_else(|| "_time".into());
    // with nonNegative, a decrease is measured from zero instead of giving null
    let initial_zero = a.opt_bool("initialZero")?.unwrap_or(false);
    let mut out = Vec::new();
    for t in &tables {
        let tc = col(t, &time_col)?;
        let times = t.column_values(tc);
        let mut cols = t.to_columns();
        let targets: Vec<usize> = columns.iter().map(|c| col(t, c)).collect::<Result<_>>()?;
        let mut keep = Vec::new();
        let mut new_vals: Vec<Vec<Value>> = vec![vec![Value::Null; t.len()]; targets.len()];
        let mut prev: Vec<Option<(i64, f64)>> = vec![None; targets.len()];
        let mut last_time: Option<i64> = None;
        for r in 0..t.len() {
            let Value::Time(tm) = times[r] else { continue };
            if last_time == Some(tm) {
                continue;
            }
            let first = last_time.is_none();
            last_time = Some(tm);
            for (k, &c) in targets.iter().enumerate() {
                let v = as_f64(&cols[c].1[r]);
                if let (Some(x), Some((pt, pv))) = (v, prev[k]) {
                    let d = (x - pv) / ((tm - pt) as f64) * unit as f64;
                    new_vals[k][r] = if non_neg && d < 0.0 && initial_zero {
                        Value::Float(x / ((tm - pt) as f64) * unit as f64)
                    } else if non_neg && d < 0.0 {
                        Value::Null
                    } else {
                        Value::Float(d)
                    };
                }
                if let Some(x) = v {
                    prev[k] = Some((tm, x));
                }
            }
            if !first {
                keep.push(r);
            }
        }
        for (k, &c) in targets.iter().enumerate() {
            cols[c] = (
                meta(&t.cols[c].label, ColType::Float),
                std::mem::take(&mut new_vals[k]),
            );
        }
        let full = Table::from_columns(t.key.clone(), cols)?;
        out.push(full.take_rows(&keep)?);
    }
    stream(out)
}

fn difference(_: &mut Interp, a: &mut Args) -> Result<Value> {
    let tables = a.tables()?;
    let non_neg = a.opt_bool("nonNegative")?.unwrap_or(false);
    let columns = num_columns(a)?;
    let keep_first = a.opt_bool("keepFirst")?.unwrap_or(false);
    let initial_zero = a.opt_bool("initialZero")?.unwrap_or(false);
    let mut out = Vec::new();
    for t in &tables {
        let mut cols = t.to_columns();
        for c in &columns {
            let ci = col(t, c)?;
            let typ = t.cols[ci].typ;
            let out_typ = match typ {
                ColType::Int | ColType::UInt => ColType::Int,
                ColType::Float => ColType::Float,
                t => {
                    return Err(Error::rt(format!(
                        "difference: unsupported column type {}",
                        t.name()
                    )))
                }
            };
            let vals = std::mem::take(&mut cols[ci].1);
            let mut prev: Option<Value> = None;
            let mut res = Vec::with_capacity(vals.len());
            for v in vals {
                let d = match (&prev, &v) {
                    (Some(p), x) if !x.is_null() => {
                        let d = match (p, x) {
                            (Value::UInt(a), Value::UInt(b)) => Value::Int(*b as i64 - *a as i64),
                            (p, x) => crate::interp::binary(
                                crate::ast::Operator::Sub,
                                x.clone(),
                                p.clone(),
                            )?,
                        };
                        let neg = matches!(d, Value::Int(i) if i < 0)
                            || matches!(d, Value::Float(f) if f < 0.0);
                        if non_neg && neg {
                            if initial_zero {
                                x.clone()
                            } else {
                                Value::Null
                            }
                        } else {
                            d
                        }
                    }
                    _ => Value::Null,
                };
                if !v.is_null() {
                    prev = Some(v);
                }
                res.push(d);
            }
            cols[ci] = (meta(c, out_typ), res);
        }
        let full = Table::from_columns(t.key.clone(), cols)?;
        let rows: Vec<usize> = if keep_first {
            (0..t.len()).collect()
        } else {
            (1..t.len()).collect()
        };
        out.push(full.take_rows(&rows)?);
    }
    stream(out)
}

fn cumulative_sum(_: &mut Interp, a: &mut Args) -> Result<Value> {
    let tables = a.tables()?;
    let columns = num_columns(a)?;
    let mut out = Vec::new();
    for t in &tables {
        let mut cols = t.to_columns();
        for c in &columns {
            let Some(ci) = t.index(c) else { continue };
            let mut acc: Option<Value> = None;
            for v in cols[ci].1.iter_mut() {
                if v.is_null() {
                    continue;
                }
                let next = match acc.take() {
                    None => v.clone(),
                    Some(p) => crate::interp::binary(crate::ast::Operator::Add, p, v.clone())?,
                };
                *v = next.clone();
                acc = Some(next);
            }
        }
        out.push(Table::from_columns(t.key.clone(), cols)?);
    }
    stream(out)
}

fn elapsed(_: &mut Interp, a: &mut Args) -> Result<Value> {
    let tables = a.tables()?;
    let unit = a
        .opt_duration("unit")?
        .map(|d| fixed(d, "unit"))
        .transpose()?
        .unwrap_or(1_000_000_000);
    let time_col = a
        .opt_string("timeColumn")?
        .unwrap_or_else(|| "_time".into());
    let name = a
        .opt_string("columnName")?
        .unwrap_or_else(|| "elapsed".into());
    let mut out = Vec::new();
    for t in &tables {
        let tc = col(t, &time_col)?;
        let times = t.column_values(tc);
        let mut cols = t.to_columns();
        let mut e = vec![Value::Null];
        for w in times.windows(2) {
            e.push(match (&w[0], &w[1]) {
                (Value::Time(a), Value::Time(b)) => Value::Int((b - a) / unit),
                _ => Value::Null,
            });
        }
        e.truncate(t.len());
        cols.push((meta(&name, ColType::Int), e));
        let full = Table::from_columns(t.key.clone(), cols)?;
        out.push(full.take_rows(&(1..t.len()).collect::<Vec<_>>())?);
    }
    stream(out)
}

fn time_shift(_: &mut Interp, a: &mut Args) -> Result<Value> {
    let tables = a.tables()?;
    let d = a
        .opt_duration("duration")?
        .ok_or_else(|| Error::rt("timeShift: missing required argument duration"))?;
    let columns = a
        .opt_strings("columns")?
        .unwrap_or_else(|| vec!["_start".into(), "_stop".into(), "_time".into()]);
    let mut out = Vec::new();
    for t in &tables {
        let mut cols = t.to_columns();
        for (m, vals) in cols.iter_mut() {
            if columns.contains(&m.label) {
                for v in vals.iter_mut() {
                    if let Value::Time(x) = v {
                        *v = Value::Time(d.add_to(*x)?);
                    }
                }
            }
        }
        let mut key = t.key.clone();
        for (m, v) in key.cols.iter_mut() {
            if columns.contains(&m.label) {
                if let Value::Time(x) = v {
                    *v = Value::Time(d.add_to(*x)?);
                }
            }
        }
        out.push(Table::from_columns(key, cols)?);
    }
    stream(out)
}

fn labels_table(t: &Table, column: &str, labels: Vec<String>) -> Result<Table> {
    let n = labels.len();
    let mut cols: Vec<(ColMeta, Vec<Value>)> = t
        .cols
        .iter()
        .filter(|m| t.key.has(&m.label) && m.label != column)
        .map(|m| {
            (
                m.clone(),
                vec![t.key.get(&m.label).cloned().unwrap_or(Value::Null); n],
            )
        })
        .collect();
    cols.push((
        meta(column, ColType::String),
        labels.into_iter().map(Value::str).collect(),
    ));
    Table::from_columns(t.key.clone(), cols)
}

fn columns(_: &mut Interp, a: &mut Args) -> Result<Value> {
    let tables = a.tables()?;
    let column = a.opt_string("column")?.unwrap_or_else(|| "_value".into());
    let out = tables
        .iter()
        .map(|t| labels_table(t, &column, t.cols.iter().map(|c| c.label.clone()).collect()))
        .collect::<Result<Vec<_>>>()?;
    stream(out)
}

fn keys(_: &mut Interp, a: &mut Args) -> Result<Value> {
    let tables = a.tables()?;
    let column = a.opt_string("column")?.unwrap_or_else(|| "_value".into());
    let out = tables
        .iter()
        .map(|t| {
            labels_table(
                t,
                &column,
                t.key.labels().iter().map(|s| s.to_string()).collect(),
            )
        })
        .collect::<Result<Vec<_>>>()?;
    stream(out)
}

fn key_record(t: &Table) -> Value {
    Value::record(
        t.key
            .cols
            .iter()
            .map(|(c, v)| (c.label.clone(), v.clone()))
            .collect(),
    )
}

fn find_table(it: &mut Interp, a: &mut Args) -> Result<Option<Table>> {
    let tables = a.tables()?;
    let f = a.function("fn")?;
    for t in tables {
        if matches!(
            it.call(&f, vec![("key".into(), key_record(&t))])?,
            Value::Bool(true)
        ) {
            return Ok(Some(t));
        }
    }
    Ok(None)
}

fn table_find(it: &mut Interp, a: &mut Args) -> Result<Value> {
    match find_table(it, a)? {
        Some(t) => Ok(Value::stream(vec![t])),
        None => Err(Error::rt("no table found")),
    }
}

fn one_table(a: &mut Args) -> Result<Table> {
    match a.req("table")? {
        Value::Stream(s) => s
            .tables()?
            .into_iter()
            .next()
            .ok_or_else(|| Error::rt("no table found")),
        v => Err(super::type_error(&a.func, "table", &v)),
    }
}

fn get_column(_: &mut Interp, a: &mut Args) -> Result<Value> {
    let t = one_table(a)?;
    let c = a.string("column")?;
    let i = col(&t, &c)?;
    Ok(Value::Array(Arc::new(t.column_values(i))))
}

fn get_record(_: &mut Interp, a: &mut Args) -> Result<Value> {
    let t = one_table(a)?;
    let idx = a.opt_int("idx")?.unwrap_or(0);
    if idx < 0 || idx as usize >= t.len() {
        return Err(Error::rt(format!("index out of bounds: {idx}")));
    }
    Ok(Value::Record(Arc::new(t.row(idx as usize))))
}

fn find_column(it: &mut Interp, a: &mut Args) -> Result<Value> {
    let column = a.string("column")?;
    Ok(match find_table(it, a)? {
        Some(t) => match t.index(&column) {
            Some(i) => Value::Array(Arc::new(t.column_values(i))),
            None => Value::Array(Arc::new(vec![])),
        },
        None => Value::Array(Arc::new(vec![])),
    })
}

fn find_record(it: &mut Interp, a: &mut Args) -> Result<Value> {
    let idx = a.opt_int("idx")?.unwrap_or(0);
    Ok(match find_table(it, a)? {
        Some(t) if idx >= 0 && (idx as usize) < t.len() => {
            Value::Record(Arc::new(t.row(idx as usize)))
        }
        _ => Value::record(vec![]),
    })
}

// ---------- scalar conversions ----------

fn conv_err(v: &Value, to: &str) -> Error {
    Error::rt(format!("cannot convert {} to {to}", v.type_name()))
}

/// `string(v:)`.
pub fn conv_string(v: &Value) -> Result<Value> {
    Ok(match v {
        Value::Null => Value::Null,
        Value::String(_) => v.clone(),
        Value::Float(f) => Value::str(format_float(*f)),
        // Flux always writes all nine fraction digits here (unlike its CSV)
        Value::Time(t) => Value::str(
            chrono::DateTime::from_timestamp_nanos(*t)
                .format("%Y-%m-%dT%H:%M:%S%.9fZ")
                .to_string(),
        ),
        Value::Bytes(b) => Value::str(String::from_utf8_lossy(b)),
        Value::Int(_) | Value::UInt(_) | Value::Bool(_) | Value::Duration(_) => {
            Value::str(v.to_string())
        }
        v => return Err(conv_err(v, "string")),
    })
}

/// `int(v:)`.
pub fn conv_int(v: &Value) -> Result<Value> {
    Ok(match v {
        Value::Null => Value::Null,
        Value::Int(_) => v.clone(),
        Value::UInt(u) => Value::Int(*u as i64),
        Value::Float(f) => Value::Int(*f as i64),
        Value::Bool(b) => Value::Int(*b as i64),
        Value::Time(t) => Value::Int(*t),
        Value::Duration(d) => {
            if d.months != 0 {
                return Err(Error::rt("cannot convert a duration with months to int"));
            }
            Value::Int(d.nanos)
        }
        Value::String(s) => Value::Int(s.parse().map_err(|_| {
            Error::rt(format!(
                "failed to evaluate map function: cannot convert string {s:?} to int"
            ))
        })?),
        v => return Err(conv_err(v, "int")),
    })
}

/// `uint(v:)`.
pub fn conv_uint(v: &Value) -> Result<Value> {
    Ok(match v {
        Value::Null => Value::Null,
        Value::UInt(_) => v.clone(),
        Value::Int(i) => Value::UInt(*i as u64),
        Value::Float(f) => Value::UInt(*f as u64),
        Value::Bool(b) => Value::UInt(*b as u64),
        Value::Time(t) => Value::UInt(*t as u64),
        Value::Duration(d) => Value::UInt(d.nanos as u64),
        Value::String(s) => Value::UInt(
            s.parse()
                .map_err(|_| Error::rt(format!("cannot convert string {s:?} to uint")))?,
        ),
        v => return Err(conv_err(v, "uint")),
    })
}

/// `float(v:)`.
pub fn conv_float(v: &Value) -> Result<Value> {
    Ok(match v {
        Value::Null => Value::Null,
        Value::Float(_) => v.clone(),
        Value::Int(i) => Value::Float(*i as f64),
        Value::UInt(u) => Value::Float(*u as f64),
        Value::Bool(b) => Value::Float(if *b { 1.0 } else { 0.0 }),
        Value::String(s) => Value::Float(match s.as_ref() {
            "+Inf" | "Inf" | "inf" | "+inf" => f64::INFINITY,
            "-Inf" | "-inf" => f64::NEG_INFINITY,
            "NaN" | "nan" => f64::NAN,
            s => s
                .parse()
                .map_err(|_| Error::rt(format!("cannot convert string {s:?} to float")))?,
        }),
        v => return Err(conv_err(v, "float")),
    })
}

/// `bool(v:)`.
pub fn conv_bool(v: &Value) -> Result<Value> {
    Ok(match v {
        Value::Null => Value::Null,
        Value::Bool(_) => v.clone(),
        Value::Int(0) | Value::UInt(0) => Value::Bool(false),
        Value::Int(1) | Value::UInt(1) => Value::Bool(true),
        Value::Float(f) if *f == 0.0 => Value::Bool(false),
        Value::Float(f) if *f == 1.0 => Value::Bool(true),
        Value::String(s) if s.as_ref() == "true" => Value::Bool(true),
        Value::String(s) if s.as_ref() == "false" => Value::Bool(false),
        v => {
            return Err(Error::rt(format!(
                "cannot convert {} {v} to bool",
                v.type_name()
            )))
        }
    })
}

/// `time(v:)`.
pub fn conv_time(v: &Value) -> Result<Value> {
    Ok(match v {
        Value::Null => Value::Null,
        Value::Time(_) => v.clone(),
        Value::Int(i) => Value::Time(*i),
        Value::UInt(u) => Value::Time(*u as i64),
        Value::String(s) => Value::Time(
            crate::lexer::parse_time(s)
                .ok_or_else(|| Error::rt(format!("cannot convert string {s:?} to time")))?,
        ),
        v => return Err(conv_err(v, "time")),
    })
}

/// `duration(v:)`.
pub fn conv_duration(v: &Value) -> Result<Value> {
    Ok(match v {
        Value::Null => Value::Null,
        Value::Duration(_) => v.clone(),
        Value::Int(i) => Value::Duration(Duration::from_nanos(*i)),
        Value::UInt(u) => Value::Duration(Duration::from_nanos(*u as i64)),
        Value::String(s) => Value::Duration(Duration::parse(s)?),
        v => return Err(conv_err(v, "duration")),
    })
}

fn reduce(it: &mut Interp, a: &mut Args) -> Result<Value> {
    let tables = a.tables()?;
    let f = a.function("fn")?;
    let identity = a.req("identity")?;
    let Value::Record(_) = identity else {
        return Err(super::type_error("reduce", "record", &identity));
    };
    let mut out = Vec::new();
    for t in &tables {
        let mut acc = identity.clone();
        for r in 0..t.len() {
            acc = it.call(
                &f,
                vec![
                    ("r".into(), Value::Record(Arc::new(t.row(r)))),
                    ("accumulator".into(), acc),
                ],
            )?;
            if !matches!(acc, Value::Record(_)) {
                return Err(super::type_error("reduce", "record", &acc));
            }
        }
        let Value::Record(acc) = acc else { continue };
        let mut rec = Record::default();
        for (c, v) in &t.key.cols {
            rec.set(&c.label, v.clone());
        }
        for (k, v) in &acc.fields {
            if t.key.has(k) {
                return Err(Error::rt(format!(
                    "reduce: cannot overwrite group key column {k:?}"
                )));
            }
            rec.set(k, v.clone());
        }
        let mut b = TableBuilder::new(t.key.clone());
        for (c, _) in &t.key.cols {
            b.add_column(&c.label, Some(c.typ));
        }
        b.push_record(&rec)?;
        out.push(b.build()?);
    }
    stream(out)
}

fn moving_average(_: &mut Interp, a: &mut Args) -> Result<Value> {
    let tables = a.tables()?;
    let n = a.opt_int("n")?.unwrap_or(0);
    if n <= 0 {
        return Err(Error::rt("movingAverage: n must be greater than 0"));
    }
    let n = n as usize;
    let mut out = Vec::new();
    for t in &tables {
        let c = col(t, "_value")?;
        let vals = t.column_values(c);
        let mut cols = t.to_columns();
        let mut avg = Vec::with_capacity(vals.len());
        for i in 0..vals.len() {
            let lo = (i + 1).saturating_sub(n);
            let w: Vec<f64> = vals[lo..=i].iter().filter_map(as_f64).collect();
            avg.push(if w.is_empty() {
                Value::Null
            } else {
                Value::Float(w.iter().sum::<f64>() / w.len() as f64)
            });
        }
        cols[c] = (meta("_value", ColType::Float), avg);
        let full = Table::from_columns(t.key.clone(), cols)?;
        let rows: Vec<usize> = (n.saturating_sub(1)..t.len()).collect();
        out.push(full.take_rows(&rows)?);
    }
    stream(out)
}

fn state(it: &mut Interp, a: &mut Args, duration: bool) -> Result<Value> {
    let tables = a.tables()?;
    let f = a.function("fn")?;
    let default = if duration {
        "stateDuration"
    } else {
        "stateCount"
    };
    let column = a.opt_string("column")?.unwrap_or_else(|| default.into());
    let time_col = a
        .opt_string("timeColumn")?
        .unwrap_or_else(|| "_time".into());
    let unit = a
        .opt_duration("unit")?
        .map(|d| fixed(d, "unit"))
        .transpose()?
        .unwrap_or(1_000_000_000);
    let mut out = Vec::new();
    for t in &tables {
        let tc = if duration {
            Some(col(t, &time_col)?)
        } else {
            None
        };
        let mut vals = Vec::with_capacity(t.len());
        let mut count = 0i64;
        let mut since: Option<i64> = None;
        for r in 0..t.len() {
            let hit = matches!(
                call_row(it, &f, Value::Record(Arc::new(t.row(r))))?,
                Value::Bool(true)
            );
            if !hit {
                count = 0;
                since = None;
                vals.push(Value::Int(-1));
                continue;
            }
            match tc {
                Some(c) => {
                    let Value::Time(now) = t.value(c, r) else {
                        vals.push(Value::Null);
                        continue;
                    };
                    let start = *since.get_or_insert(now);
                    vals.push(Value::Int((now - start) / unit));
                }
                None => {
                    count += 1;
                    vals.push(Value::Int(count));
                }
            }
        }
        let mut cols = t.to_columns();
        match cols.iter().position(|(m, _)| m.label == column) {
            Some(i) => cols[i] = (meta(&column, ColType::Int), vals),
            None => cols.push((meta(&column, ColType::Int), vals)),
        }
        out.push(Table::from_columns(t.key.clone(), cols)?);
    }
    stream(out)
}
