//! Universe functions over numeric columns that need more than one row at a
//! time: `integral`, `histogram`, `histogramQuantile`, `linearBins`,
//! `logarithmicBins`, `exponentialMovingAverage`, `kaufmansER`, `covariance`,
//! `sample`, `mode`, `keyValues` and `chandeMomentumOscillator`.

use super::{stream, PackageDef};
use crate::error::{Error, Result};
use crate::interp::Interp;
use crate::table::{ColMeta, ColType, Table};
use crate::value::{Args, Value};
use std::sync::Arc;

/// Register the functions in the universe package.
pub fn register(p: &mut PackageDef) {
    p.t(
        "integral",
        &[],
        &["unit", "column", "timeColumn", "interpolate"],
        integral,
    );
    p.t(
        "histogram",
        &["bins"],
        &["column", "upperBoundColumn", "countColumn", "normalize"],
        histogram,
    );
    p.t(
        "histogramQuantile",
        &["quantile"],
        &[
            "countColumn",
            "upperBoundColumn",
            "valueColumn",
            "minValue",
            "onNonmonotonic",
        ],
        histogram_quantile,
    );
    p.f(
        "linearBins",
        &["start", "width", "count"],
        &["infinity"],
        None,
        |_, a| {
            let (start, width) = (float(a, "start")?, float(a, "width")?);
            let count = a.opt_int("count")?.unwrap_or(0);
            let inf = a.opt_bool("infinity")?.unwrap_or(true);
            Ok(bins((0..count).map(|i| start + i as f64 * width), inf))
        },
    );
    p.f(
        "logarithmicBins",
        &["start", "factor", "count"],
        &["infinity"],
        None,
        |_, a| {
            let (start, factor) = (float(a, "start")?, float(a, "factor")?);
            let count = a.opt_int("count")?.unwrap_or(0);
            let inf = a.opt_bool("infinity")?.unwrap_or(true);
            let clamp = |i: i64| i.clamp(i32::MIN as i64, i32::MAX as i64) as i32;
            Ok(bins((0..count).map(|i| start * factor.powi(clamp(i))), inf))
        },
    );
    p.t("exponentialMovingAverage", &["n"], &[], ema);
    p.t("kaufmansER", &["n"], &[], kaufmans_er);
    p.t("chandeMomentumOscillator", &["n"], &["columns"], cmo);
    p.t(
        "covariance",
        &["columns"],
        &["pearsonr", "valueDst"],
        covariance,
    );
    p.t("sample", &["n"], &["pos", "column"], sample);
    p.t("mode", &[], &["column"], mode);
    p.t("keyValues", &["keyColumns"], &[], key_values);
}

/// `mode()`: the most frequent non-null values, sorted; null when every
/// value occurs once.
fn mode(_: &mut Interp, a: &mut Args) -> Result<Value> {
    let tables = a.tables()?;
    let column = a.opt_string("column")?.unwrap_or_else(|| "_value".into());
    let mut out = Vec::new();
    for t in &tables {
        if t.is_empty() {
            continue;
        }
        let c = col(t, &column)?;
        let mut counts: Vec<(Value, usize)> = Vec::new();
        for v in t.column_values(c).into_iter().filter(|v| !v.is_null()) {
            match counts.iter_mut().find(|(x, _)| *x == v) {
                Some(e) => e.1 += 1,
                None => counts.push((v, 1)),
            }
        }
        let max = counts.iter().map(|e| e.1).max().unwrap_or(0);
        let mut modes: Vec<Value> = if max <= 1 {
            vec![Value::Null]
        } else {
            counts
                .into_iter()
                .filter(|e| e.1 == max)
                .map(|e| e.0)
                .collect()
        };
        modes.sort_by(|x, y| x.sort_cmp(y));
        let n = modes.len();
        out.push(key_table(
            t,
            n,
            vec![(meta(&column, t.cols[c].typ), modes)],
        )?);
    }
    stream(out)
}

/// `keyValues(keyColumns)`: per table, one row per distinct (column, value)
/// of the listed columns, in `_key` and `_value`.
fn key_values(_: &mut Interp, a: &mut Args) -> Result<Value> {
    let tables = a.tables()?;
    let columns = a.strings("keyColumns")?;
    if columns.is_empty() {
        return Err(Error::rt(
            "keyValues: keyColumns must name at least one column",
        ));
    }
    let mut out = Vec::new();
    for t in &tables {
        let idx: Vec<usize> = columns.iter().map(|c| col(t, c)).collect::<Result<_>>()?;
        let typ = t.cols[idx[0]].typ;
        if let Some(&other) = idx.iter().find(|&&i| t.cols[i].typ != typ) {
            return Err(Error::rt(format!(
                "keyValues: keyColumns must all have the same type, {} is {} but {} is {}",
                t.cols[idx[0]].label,
                typ.name(),
                t.cols[other].label,
                t.cols[other].typ.name()
            )));
        }
        let (mut keys, mut vals) = (Vec::new(), Vec::new());
        for (label, &i) in columns.iter().zip(&idx) {
            let mut seen: Vec<Value> = Vec::new();
            for v in t.column_values(i) {
                if !seen.contains(&v) {
                    seen.push(v.clone());
                    keys.push(Value::str(label));
                    vals.push(v);
                }
            }
        }
        let n = keys.len();
        out.push(key_table(
            t,
            n,
            vec![
                (meta("_key", ColType::String), keys),
                (meta("_value", typ), vals),
            ],
        )?);
    }
    stream(out)
}

/// The change over the last `n` rows divided by the path (sum of the
/// row-to-row changes' sizes) at each row from the n-th on; None while any
/// value in the span is null or before the n-th row.
fn momentum(vals: &[Option<f64>], n: usize, i: usize) -> Option<f64> {
    if i < n {
        return None;
    }
    let window = &vals[i - n..=i];
    let (first, last) = (window[0]?, window[n]?);
    let mut path = 0.0;
    for w in window.windows(2) {
        path += (w[1]? - w[0]?).abs();
    }
    Some(if path == 0.0 {
        0.0
    } else {
        (last - first) / path
    })
}

/// `chandeMomentumOscillator(n)`: 100 × (ups − downs) / (ups + downs) over
/// the last n changes, from the n-th row on, for each listed column.
fn cmo(_: &mut Interp, a: &mut Args) -> Result<Value> {
    let tables = a.tables()?;
    let n = a.opt_int("n")?.unwrap_or(0);
    if n <= 0 {
        return Err(Error::rt(
            "chandeMomentumOscillator: n must be greater than 0",
        ));
    }
    let n = n as usize;
    let columns = a
        .opt_strings("columns")?
        .unwrap_or_else(|| vec!["_value".into()]);
    let mut out = Vec::new();
    for t in &tables {
        let mut cols = t.to_columns();
        for c in &columns {
            let i = col(t, c)?;
            let vals: Vec<Option<f64>> = cols[i].1.iter().map(num).collect();
            let res = (0..vals.len())
                .map(|r| {
                    momentum(&vals, n, r)
                        .map(|m| Value::Float(100.0 * m))
                        .unwrap_or(Value::Null)
                })
                .collect();
            cols[i] = (meta(c, ColType::Float), res);
        }
        let full = Table::from_columns(t.key.clone(), cols)?;
        let keep: Vec<usize> = (n..t.len()).collect();
        out.push(full.take_rows(&keep)?);
    }
    stream(out)
}

/// `kaufmansER(n)`: |change over n rows| / sum of the |row-to-row changes|
/// over those rows, from the n-th row on.
fn kaufmans_er(_: &mut Interp, a: &mut Args) -> Result<Value> {
    let tables = a.tables()?;
    let n = a.opt_int("n")?.unwrap_or(0);
    if n <= 0 {
        return Err(Error::rt("kaufmansER: n must be greater than 0"));
    }
    let n = n as usize;
    let mut out = Vec::new();
    for t in &tables {
        let c = col(t, "_value")?;
        let mut cols = t.to_columns();
        let vals: Vec<Option<f64>> = cols[c].1.iter().map(num).collect();
        let er: Vec<Value> = (0..vals.len())
            .map(|i| {
                momentum(&vals, n, i)
                    .map(|m| Value::Float(m.abs()))
                    .unwrap_or(Value::Null)
            })
            .collect();
        cols[c] = (meta("_value", ColType::Float), er);
        let full = Table::from_columns(t.key.clone(), cols)?;
        let keep: Vec<usize> = (n..t.len()).collect();
        out.push(full.take_rows(&keep)?);
    }
    stream(out)
}

/// `covariance(columns: [x, y])`: the sample covariance (or Pearson's r).
fn covariance(_: &mut Interp, a: &mut Args) -> Result<Value> {
    let tables = a.tables()?;
    let columns = a.strings("columns")?;
    let [x, y] = columns.as_slice() else {
        return Err(Error::rt(format!(
            "covariance: columns must name exactly two columns, got {}",
            columns.len()
        )));
    };
    let pearson = a.opt_bool("pearsonr")?.unwrap_or(false);
    let dst = a.opt_string("valueDst")?.unwrap_or_else(|| "_value".into());
    let mut out = Vec::new();
    for t in &tables {
        let (cx, cy) = (col(t, x)?, col(t, y)?);
        let pairs: Vec<(f64, f64)> = (0..t.len())
            .filter_map(|r| Some((num(&t.value(cx, r))?, num(&t.value(cy, r))?)))
            .collect();
        let n = pairs.len() as f64;
        let v = if pairs.len() < 2 {
            Value::Null
        } else {
            let mx = pairs.iter().map(|p| p.0).sum::<f64>() / n;
            let my = pairs.iter().map(|p| p.1).sum::<f64>() / n;
            let sxy: f64 = pairs.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
            if pearson {
                let sxx: f64 = pairs.iter().map(|p| (p.0 - mx).powi(2)).sum();
                let syy: f64 = pairs.iter().map(|p| (p.1 - my).powi(2)).sum();
                Value::Float(sxy / (sxx * syy).sqrt())
            } else {
                Value::Float(sxy / (n - 1.0))
            }
        };
        out.push(key_table(
            t,
            1,
            vec![(meta(&dst, ColType::Float), vec![v])],
        )?);
    }
    stream(out)
}

/// `sample(n, pos)`: every n-th row from `pos` (a random start below n
/// when `pos` is negative, as Flux does).
fn sample(_: &mut Interp, a: &mut Args) -> Result<Value> {
    let tables = a.tables()?;
    let n = a.opt_int("n")?.unwrap_or(0);
    if n <= 0 {
        return Err(Error::rt("sample: n must be greater than 0"));
    }
    let pos = a.opt_int("pos")?.unwrap_or(-1);
    if pos >= n {
        return Err(Error::rt(format!(
            "sample: pos must be less than n, got pos {pos} and n {n}"
        )));
    }
    // the selector's column must exist, even though every column is kept
    let column = a.opt_string("column")?.unwrap_or_else(|| "_value".into());
    let mut out = Vec::new();
    for t in &tables {
        col(t, &column)?;
        let start = if pos < 0 {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos() as i64)
                .unwrap_or(0);
            nanos % n
        } else {
            pos
        };
        let rows: Vec<usize> = (start as usize..t.len()).step_by(n as usize).collect();
        if !rows.is_empty() {
            out.push(t.take_rows(&rows)?);
        }
    }
    stream(out)
}

fn float(a: &mut Args, name: &str) -> Result<f64> {
    a.opt_float(name)?
        .ok_or_else(|| Error::rt(format!("{}: missing required argument {name}", a.func)))
}

fn bins(it: impl Iterator<Item = f64>, infinity: bool) -> Value {
    let mut v: Vec<Value> = it.map(Value::Float).collect();
    if infinity {
        v.push(Value::Float(f64::INFINITY));
    }
    Value::Array(Arc::new(v))
}

fn col(t: &Table, label: &str) -> Result<usize> {
    t.index(label)
        .ok_or_else(|| Error::rt(format!("column \"{label}\" does not exist")))
}

fn num(v: &Value) -> Option<f64> {
    match v {
        Value::Int(i) => Some(*i as f64),
        Value::UInt(u) => Some(*u as f64),
        Value::Float(f) => Some(*f),
        _ => None,
    }
}

fn meta(label: &str, typ: ColType) -> ColMeta {
    ColMeta {
        label: label.into(),
        typ,
    }
}

/// The group key columns of `t` (one row each) followed by `extra` columns.
fn key_table(t: &Table, rows: usize, extra: Vec<(ColMeta, Vec<Value>)>) -> Result<Table> {
    let mut cols: Vec<(ColMeta, Vec<Value>)> = t
        .key
        .cols
        .iter()
        .map(|(m, v)| (m.clone(), vec![v.clone(); rows]))
        .collect();
    cols.extend(extra);
    Table::from_columns(t.key.clone(), cols)
}

fn integral(_: &mut Interp, a: &mut Args) -> Result<Value> {
    let tables = a.tables()?;
    let unit = match a.opt_duration("unit")? {
        Some(d) if d.months != 0 => {
            return Err(Error::unsupported("integral with a calendar-month unit"))
        }
        Some(d) if d.nanos <= 0 => return Err(Error::rt("integral: unit must be positive")),
        Some(d) => d.nanos as f64,
        None => 1e9,
    };
    let column = a.opt_string("column")?.unwrap_or_else(|| "_value".into());
    let time_col = a
        .opt_string("timeColumn")?
        .unwrap_or_else(|| "_time".into());
    if let Some(i) = a.opt_string("interpolate")?.filter(|s| !s.is_empty()) {
        return Err(Error::unsupported(format!("integral(interpolate: {i:?})")));
    }
    let mut out = Vec::new();
    for t in &tables {
        let (vc, tc) = (col(t, &column)?, col(t, &time_col)?);
        let mut prev: Option<(i64, f64)> = None;
        let mut area = 0.0;
        for r in 0..t.len() {
            let (Value::Time(tm), Some(v)) = (t.value(tc, r), num(&t.value(vc, r))) else {
                continue;
            };
            if let Some((pt, pv)) = prev {
                area += (pv + v) / 2.0 * (tm - pt) as f64 / unit;
            }
            prev = Some((tm, v));
        }
        out.push(key_table(
            t,
            1,
            vec![(meta(&column, ColType::Float), vec![Value::Float(area)])],
        )?);
    }
    stream(out)
}

fn histogram(_: &mut Interp, a: &mut Args) -> Result<Value> {
    let tables = a.tables()?;
    let column = a.opt_string("column")?.unwrap_or_else(|| "_value".into());
    let le = a
        .opt_string("upperBoundColumn")?
        .unwrap_or_else(|| "le".into());
    let count_col = a
        .opt_string("countColumn")?
        .unwrap_or_else(|| "_value".into());
    let normalize = a.opt_bool("normalize")?.unwrap_or(false);
    let Value::Array(b) = a.req("bins")? else {
        return Err(Error::rt("histogram: bins must be an array of floats"));
    };
    let mut bounds: Vec<f64> = b
        .iter()
        .map(|v| num(v).ok_or_else(|| Error::rt("histogram: bins must be an array of floats")))
        .collect::<Result<_>>()?;
    bounds.sort_by(f64::total_cmp);
    let mut out = Vec::new();
    for t in &tables {
        let c = col(t, &column)?;
        let mut vals: Vec<f64> = t.column_values(c).iter().filter_map(num).collect();
        vals.sort_by(f64::total_cmp);
        let n = vals.len() as f64;
        let counts: Vec<Value> = bounds
            .iter()
            .map(|b| {
                let k = vals.partition_point(|v| v <= b) as f64;
                Value::Float(if normalize && n > 0.0 { k / n } else { k })
            })
            .collect();
        out.push(key_table(
            t,
            bounds.len(),
            vec![
                (
                    meta(&le, ColType::Float),
                    bounds.iter().map(|b| Value::Float(*b)).collect(),
                ),
                (meta(&count_col, ColType::Float), counts),
            ],
        )?);
    }
    stream(out)
}

fn histogram_quantile(_: &mut Interp, a: &mut Args) -> Result<Value> {
    let tables = a.tables()?;
    let q = float(a, "quantile")?;
    if !(0.0..=1.0).contains(&q) {
        return Err(Error::rt(format!(
            "histogramQuantile: quantile must be between 0 and 1, got {q}"
        )));
    }
    let count_col = a
        .opt_string("countColumn")?
        .unwrap_or_else(|| "_value".into());
    let le = a
        .opt_string("upperBoundColumn")?
        .unwrap_or_else(|| "le".into());
    let value_col = a
        .opt_string("valueColumn")?
        .unwrap_or_else(|| "_value".into());
    let min_value = a.opt_float("minValue")?.unwrap_or(0.0);
    let on_nonmono = a
        .opt_string("onNonmonotonic")?
        .unwrap_or_else(|| "error".into());
    let mut out = Vec::new();
    for t in &tables {
        let (cc, lc) = (col(t, &count_col)?, col(t, &le)?);
        let mut buckets: Vec<(f64, f64)> = (0..t.len())
            .filter_map(|r| Some((num(&t.value(lc, r))?, num(&t.value(cc, r))?)))
            .collect();
        buckets.sort_by(|x, y| x.0.total_cmp(&y.0));
        let monotonic = buckets.windows(2).all(|w| w[1].1 >= w[0].1);
        if !monotonic {
            match on_nonmono.as_str() {
                "error" => {
                    return Err(Error::rt(
                        "histogramQuantile: histogram records counts are not monotonic",
                    ))
                }
                "drop" => continue,
                "force" => {
                    for i in 1..buckets.len() {
                        buckets[i].1 = buckets[i].1.max(buckets[i - 1].1);
                    }
                }
                other => {
                    return Err(Error::rt(format!(
                        "histogramQuantile: unknown onNonmonotonic mode {other:?}"
                    )))
                }
            }
        }
        let value = quantile_of(&buckets, q, min_value);
        out.push(key_table(
            t,
            1,
            vec![(
                meta(&value_col, ColType::Float),
                vec![value.map(Value::Float).unwrap_or(Value::Null)],
            )],
        )?);
    }
    stream(out)
}

/// Linear interpolation inside the bucket that holds rank `q * total`.
fn quantile_of(buckets: &[(f64, f64)], q: f64, min_value: f64) -> Option<f64> {
    let total = buckets.last()?.1;
    let rank = q * total;
    let i = buckets.iter().position(|b| b.1 >= rank)?;
    let (lo_bound, lo_count) = if i == 0 {
        (min_value, 0.0)
    } else {
        buckets[i - 1]
    };
    let (hi_bound, hi_count) = buckets[i];
    if hi_bound.is_infinite() {
        return Some(lo_bound);
    }
    if hi_count == lo_count {
        return Some(lo_bound);
    }
    Some(lo_bound + (hi_bound - lo_bound) * (rank - lo_count) / (hi_count - lo_count))
}

fn ema(_: &mut Interp, a: &mut Args) -> Result<Value> {
    let tables = a.tables()?;
    let n = a.opt_int("n")?.unwrap_or(0);
    if n <= 0 {
        return Err(Error::rt(
            "exponentialMovingAverage: n must be greater than 0",
        ));
    }
    let n = n as usize;
    let alpha = 2.0 / (n as f64 + 1.0);
    let mut out = Vec::new();
    for t in &tables {
        let c = col(t, "_value")?;
        let mut cols = t.to_columns();
        let vals = std::mem::take(&mut cols[c].1);
        let mut res = Vec::with_capacity(vals.len());
        let mut seen = Vec::with_capacity(n);
        let mut cur: Option<f64> = None;
        let mut first_row = None;
        for (r, v) in vals.iter().enumerate() {
            let Some(x) = num(v) else {
                res.push(cur.map(Value::Float).unwrap_or(Value::Null));
                continue;
            };
            match cur {
                None => {
                    seen.push(x);
                    if seen.len() == n {
                        cur = Some(seen.iter().sum::<f64>() / n as f64);
                        first_row = Some(r);
                    }
                }
                Some(e) => cur = Some(alpha * x + (1.0 - alpha) * e),
            }
            res.push(cur.map(Value::Float).unwrap_or(Value::Null));
        }
        cols[c] = (meta("_value", ColType::Float), res);
        let full = Table::from_columns(t.key.clone(), cols)?;
        let keep: Vec<usize> = match first_row {
            Some(f) => (f..t.len()).collect(),
            None => Vec::new(),
        };
        out.push(full.take_rows(&keep)?);
    }
    stream(out)
}

#[cfg(test)]
mod tests {
    use super::quantile_of;

    #[test]
    fn quantile_interpolates_within_bucket() {
        let b = [(2.0, 2.0), (5.0, 4.0), (10.0, 5.0)];
        assert_eq!(quantile_of(&b, 0.5, 0.0), Some(2.75));
        assert_eq!(quantile_of(&b, 0.2, 0.0), Some(1.0));
        let inf = [(1.0, 1.0), (f64::INFINITY, 2.0)];
        assert_eq!(quantile_of(&inf, 0.9, 0.0), Some(1.0));
    }
}
