//! Predictors (`holt_winters`, `holt_winters_with_fit`) and the technical
//! analysis functions of InfluxQL.
//!
//! The arithmetic follows InfluxDB 1.8 step for step (its `gota` indicators,
//! its Holt-Winters reducer and its Nelder–Mead optimiser), including the
//! order of floating-point operations and the quirks that change results:
//!
//! - the indicators start from a zero state: `relative_strength_index` and the
//!   smoothed `chande_momentum_oscillator` treat the first value as a rise from
//!   0, `kaufmans_efficiency_ratio` compares the first `period` values with 0;
//! - a hold period that does not fit 32 bits is truncated, as InfluxDB does;
//! - Holt-Winters fits its level/trend/season recurrences on its own
//!   forecasts, and the optimiser's objective clamps (and, for seasonal
//!   models, overwrites) the simplex vertex it is given.
//!
//! Every number in the tests comes from a real `influxd` (Debian's 1.6.7). The
//! indicator code and the compile checks were not changed between 1.6 and 1.8,
//! so the 1.8 documentation applies, with these differences in what 1.6.7
//! does and the documentation does not say: a NaN result (e.g. the RSI of a
//! flat zero series) is a row whose value is `null`; `triple_exponential_derivative`,
//! `kaufmans_efficiency_ratio` and `kaufmans_adaptive_moving_average` drop
//! infinite results; `chande_momentum_oscillator(x, 1)` without warm-up panics
//! in 1.6.7 (here it is an error); the documentation's default warm-up
//! `'exponential'` holds for every function but `chande_momentum_oscillator`,
//! whose default is `'none'` (hold period `period - 1`).

use std::collections::VecDeque;

use almanac_influxql::Expr;

use crate::result::Value;
use crate::value_ops::as_f64;
use crate::ExecError;

/// How an indicator's moving averages behave before `period` values arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Warmup {
    /// `'exponential'`: an EMA whose weight is scaled while warming up.
    Exponential,
    /// `'simple'`: a simple average until `period` values arrived.
    Simple,
    /// `'none'` (only `chande_momentum_oscillator`): the unsmoothed oscillator.
    None,
}

/// Arguments of a technical-analysis call beyond the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaArgs {
    /// Number of values the indicator looks back over (at least 1).
    pub period: usize,
    /// Values consumed before the first output; `None` means the indicator's
    /// own warm-up count (InfluxDB's `-1`).
    pub hold_period: Option<usize>,
    /// Warm-up type; `'exponential'` by default, `'none'` by default for
    /// `chande_momentum_oscillator`.
    pub warmup: Warmup,
}

/// Whether `name` is one of InfluxQL's technical-analysis functions.
pub fn is_technical_analysis(name: &str) -> bool {
    almanac_influxql::TECHNICAL_ANALYSIS_FUNCTIONS.contains(&name)
}

/// Whether `name` is `holt_winters` or `holt_winters_with_fit`.
pub fn is_predictor(name: &str) -> bool {
    almanac_influxql::PREDICTOR_FUNCTIONS.contains(&name)
}

fn query_err(msg: impl Into<String>) -> ExecError {
    ExecError::Query(msg.into())
}

/// Parses the literal arguments of a technical-analysis call, with
/// InfluxDB's error messages for wrong arity, types and values.
///
/// `args` is the call's whole argument list, field first (as in
/// `exponential_moving_average(x, 10, 5, 'simple')`), because InfluxDB's
/// arity errors count it; only `args[1..]` are inspected here.
pub fn parse_ta_args(name: &str, args: &[Expr]) -> Result<TaArgs, ExecError> {
    let (max_args, warmups): (usize, &[&str]) = match name {
        "exponential_moving_average"
        | "double_exponential_moving_average"
        | "triple_exponential_moving_average"
        | "relative_strength_index"
        | "triple_exponential_derivative" => (4, &["exponential", "simple"]),
        "kaufmans_efficiency_ratio" | "kaufmans_adaptive_moving_average" => (3, &[]),
        "chande_momentum_oscillator" => (4, &["none", "exponential", "simple"]),
        other => return Err(query_err(format!("undefined function {other}()"))),
    };
    let got = args.len();
    if !(2..=max_args).contains(&got) {
        return Err(query_err(format!(
            "invalid number of arguments for {name}, expected at least 2 but no more than {max_args}, got {got}"
        )));
    }
    let period = match &args[1] {
        Expr::Integer(p) if *p < 1 => {
            return Err(query_err(format!(
                "{name} period must be greater than or equal to 1"
            )))
        }
        Expr::Integer(p) => usize::try_from(*p).unwrap_or(usize::MAX),
        _ => return Err(query_err(format!("{name} period must be an integer"))),
    };
    let mut hold_period = None;
    if let Some(arg) = args.get(2) {
        match arg {
            Expr::Integer(h) => {
                if name == "triple_exponential_derivative" && *h < 1 && *h != -1 {
                    return Err(query_err(format!(
                        "{name} hold period must be greater than or equal to 1"
                    )));
                }
                if *h < 0 && *h != -1 {
                    return Err(query_err(format!(
                        "{name} hold period must be greater than or equal to 0"
                    )));
                }
                if *h >= 0 {
                    hold_period = Some(usize::try_from(*h).unwrap_or(usize::MAX));
                }
            }
            _ => return Err(query_err(format!("{name} hold period must be an integer"))),
        }
    }
    let mut warmup = if name == "chande_momentum_oscillator" {
        Warmup::None
    } else {
        Warmup::Exponential
    };
    if let Some(arg) = args.get(3) {
        match arg {
            Expr::String(s) if warmups.contains(&s.as_str()) => {
                warmup = match s.as_str() {
                    "simple" => Warmup::Simple,
                    "none" => Warmup::None,
                    _ => Warmup::Exponential,
                };
            }
            Expr::String(_) => {
                let allowed: Vec<String> = warmups.iter().map(|w| format!("'{w}'")).collect();
                return Err(query_err(format!(
                    "{name} warmup type must be one of: {}",
                    allowed.join(" ")
                )));
            }
            _ => return Err(query_err(format!("{name} warmup type must be a string"))),
        }
    }
    Ok(TaArgs {
        period,
        hold_period,
        warmup,
    })
}

/// Parses the literal arguments of `holt_winters(agg, n, seasonal)` (whole
/// argument list, aggregate first) into `(n, seasonal)`, with InfluxDB's
/// error messages.
pub fn parse_holt_winters_args(name: &str, args: &[Expr]) -> Result<(usize, usize), ExecError> {
    if args.len() != 3 {
        return Err(query_err(format!(
            "invalid number of arguments for {name}, expected 3, got {}",
            args.len()
        )));
    }
    let n = match &args[1] {
        Expr::Integer(n) if *n <= 0 => {
            return Err(query_err(format!(
                "second arg to {name} must be greater than 0, got {n}"
            )))
        }
        Expr::Integer(n) => usize::try_from(*n).unwrap_or(usize::MAX),
        _ => {
            return Err(query_err(format!(
                "expected integer argument as second arg in {name}"
            )))
        }
    };
    let seasonal = match &args[2] {
        Expr::Integer(s) if *s < 0 => {
            return Err(query_err(format!(
                "third arg to {name} cannot be negative, got {s}"
            )))
        }
        Expr::Integer(s) => usize::try_from(*s).unwrap_or(usize::MAX),
        _ => {
            return Err(query_err(format!(
                "expected integer argument as third arg in {name}"
            )))
        }
    };
    Ok((n, seasonal))
}

// ---------------------------------------------------------------------------
// Indicators
// ---------------------------------------------------------------------------

/// An exponential moving average with InfluxDB's warm-up behaviour.
#[derive(Debug, Clone)]
struct Ema {
    period: usize,
    last: f64,
    count: usize,
    alpha: f64,
    warmup: Warmup,
}

impl Ema {
    fn new(period: usize, warmup: Warmup) -> Ema {
        Ema {
            period,
            last: 0.0,
            count: 0,
            alpha: 2.0 / period.saturating_add(1) as f64,
            warmup,
        }
    }

    fn warm_count(&self) -> usize {
        self.period.saturating_sub(1)
    }

    fn warmed(&self) -> bool {
        self.count == self.period
    }

    /// Whether a chained average is fed while this one still warms up.
    fn feeds_while_warming(&self) -> bool {
        self.warmed() || self.warmup == Warmup::Exponential
    }

    fn add(&mut self, v: f64) -> f64 {
        let avg = if self.count == 0 {
            v
        } else {
            let last = self.last;
            if self.warmed() {
                (v - last) * self.alpha + last
            } else if self.warmup == Warmup::Simple {
                (last * self.count as f64 + v) / (self.count + 1) as f64
            } else {
                // Scale the weight so the first values do not dominate.
                let alpha = 2.0 / (self.count + 2) as f64;
                (v - last) * alpha + last
            }
        };
        self.last = avg;
        if self.count < self.period {
            self.count += 1;
        }
        avg
    }
}

/// Exponential averages of the rises and falls (RSI and smoothed CMO).
#[derive(Debug, Clone)]
struct UpDown {
    up: Ema,
    down: Ema,
    last_v: f64,
}

impl UpDown {
    fn new(period: usize, warmup: Warmup) -> UpDown {
        let mut ema = Ema::new(period.saturating_add(1), warmup);
        ema.alpha = 1.0 / period as f64;
        UpDown {
            up: ema.clone(),
            down: ema,
            last_v: 0.0,
        }
    }

    fn add(&mut self, v: f64) -> (f64, f64) {
        let (mut up, mut down) = (0.0, 0.0);
        if v > self.last_v {
            up = v - self.last_v;
        } else if v < self.last_v {
            down = self.last_v - v;
        }
        self.up.add(up);
        self.down.add(down);
        self.last_v = v;
        (self.up.last, self.down.last)
    }
}

/// The unsmoothed Chande momentum oscillator over `period` differences.
#[derive(Debug, Clone)]
struct Cmo {
    /// Differences kept (`period - 1`), oldest first.
    size: usize,
    diffs: VecDeque<f64>,
    last_price: f64,
    sum_up: f64,
    sum_down: f64,
    started: bool,
}

impl Cmo {
    fn add(&mut self, v: f64) -> f64 {
        let mut diff = 0.0;
        if self.started {
            diff = v - self.last_price;
            if diff > 0.0 {
                self.sum_up += diff;
            } else if diff < 0.0 {
                self.sum_down -= diff;
            }
        }
        let mut out = 0.0;
        if self.sum_up != 0.0 || self.sum_down != 0.0 {
            out = 100.0 * ((self.sum_up - self.sum_down) / (self.sum_up + self.sum_down));
        }
        if self.diffs.len() == self.size {
            if let Some(oldest) = self.diffs.pop_front() {
                if oldest > 0.0 {
                    self.sum_up -= oldest;
                } else if oldest < 0.0 {
                    self.sum_down += oldest;
                }
            }
        }
        self.diffs.push_back(diff);
        self.last_price = v;
        self.started = true;
        out
    }
}

/// Kaufman's efficiency ratio over `period` values (missing history is 0).
#[derive(Debug, Clone)]
struct Ker {
    size: usize,
    /// (price, |price - previous price|), oldest first.
    points: VecDeque<(f64, f64)>,
    noise: f64,
    count: usize,
}

impl Ker {
    fn new(period: usize) -> Ker {
        Ker {
            size: period,
            points: VecDeque::new(),
            noise: 0.0,
            count: 0,
        }
    }

    fn warmed(&self) -> bool {
        self.count == self.size.saturating_add(1)
    }

    fn last_price(&self) -> f64 {
        self.points.back().map_or(0.0, |p| p.0)
    }

    fn add(&mut self, v: f64) -> f64 {
        let oldest = if self.points.len() == self.size {
            self.points.front().copied().unwrap_or((0.0, 0.0))
        } else {
            (0.0, 0.0)
        };
        let signal = (v - oldest.0).abs();
        let diff = (v - self.last_price()).abs();
        self.noise -= oldest.1;
        self.noise += diff;
        let noise = self.noise;
        if self.points.len() == self.size {
            self.points.pop_front();
        }
        self.points.push_back((v, diff));
        if !self.warmed() {
            self.count += 1;
        }
        if signal == 0.0 || noise == 0.0 {
            0.0
        } else {
            signal / noise
        }
    }
}

/// One indicator's running state.
#[derive(Debug, Clone)]
enum Indicator {
    Ema(Ema),
    Dema(Ema, Ema),
    Tema(Ema, Ema, Ema),
    Trix {
        emas: [Ema; 3],
        last: f64,
        count: u8,
    },
    Rsi(UpDown),
    Cmos(UpDown),
    Cmo(Cmo),
    Ker(Ker),
    Kama {
        ker: Ker,
        last: f64,
    },
}

impl Indicator {
    fn new(name: &str, period: usize, warmup: Warmup) -> Result<Indicator, ExecError> {
        let ema = || Ema::new(period, warmup);
        Ok(match name {
            "exponential_moving_average" => Indicator::Ema(ema()),
            "double_exponential_moving_average" => Indicator::Dema(ema(), ema()),
            "triple_exponential_moving_average" => Indicator::Tema(ema(), ema(), ema()),
            "triple_exponential_derivative" => Indicator::Trix {
                emas: [ema(), ema(), ema()],
                last: 0.0,
                count: 0,
            },
            "relative_strength_index" => Indicator::Rsi(UpDown::new(period, warmup)),
            "chande_momentum_oscillator" if warmup == Warmup::None => {
                if period < 2 {
                    // InfluxDB sizes a ring of `period - 1` entries and
                    // indexes into it: the query dies with a panic.
                    return Err(query_err(
                        "chande_momentum_oscillator period must be greater than 1 when the warmup type is 'none'",
                    ));
                }
                Indicator::Cmo(Cmo {
                    size: period - 1,
                    diffs: VecDeque::new(),
                    last_price: 0.0,
                    sum_up: 0.0,
                    sum_down: 0.0,
                    started: false,
                })
            }
            "chande_momentum_oscillator" => Indicator::Cmos(UpDown::new(period, warmup)),
            "kaufmans_efficiency_ratio" => Indicator::Ker(Ker::new(period)),
            "kaufmans_adaptive_moving_average" => Indicator::Kama {
                ker: Ker::new(period),
                last: 0.0,
            },
            other => return Err(query_err(format!("undefined function {other}()"))),
        })
    }

    /// Values consumed before the indicator is warm (the default hold period).
    fn warm_count(&self) -> usize {
        match self {
            Indicator::Ema(e) => e.warm_count(),
            Indicator::Dema(e, _) => {
                if e.warmup == Warmup::Exponential {
                    e.warm_count()
                } else {
                    e.warm_count().saturating_mul(2)
                }
            }
            Indicator::Tema(e, _, _) => {
                if e.warmup == Warmup::Exponential {
                    e.warm_count()
                } else {
                    e.warm_count().saturating_mul(3)
                }
            }
            Indicator::Trix { emas, .. } => {
                if emas[0].warmup == Warmup::Exponential {
                    emas[0].warm_count().saturating_add(1)
                } else {
                    emas[0].warm_count().saturating_mul(3).saturating_add(1)
                }
            }
            Indicator::Rsi(ud) | Indicator::Cmos(ud) => ud.up.warm_count(),
            Indicator::Cmo(c) => c.size,
            Indicator::Ker(k) | Indicator::Kama { ker: k, .. } => k.size,
        }
    }

    /// Whether InfluxDB drops infinite results of this indicator.
    fn drops_infinite(&self) -> bool {
        matches!(
            self,
            Indicator::Trix { .. } | Indicator::Ker(_) | Indicator::Kama { .. }
        )
    }

    fn add(&mut self, v: f64) -> f64 {
        match self {
            Indicator::Ema(e) => e.add(v),
            Indicator::Dema(e1, e2) => {
                let avg1 = e1.add(v);
                let avg2 = if e1.feeds_while_warming() {
                    e2.add(avg1)
                } else {
                    avg1
                };
                2.0 * avg1 - avg2
            }
            Indicator::Tema(e1, e2, e3) => {
                let avg1 = e1.add(v);
                let avg2 = if e1.feeds_while_warming() {
                    e2.add(avg1)
                } else {
                    avg1
                };
                let avg3 = if e2.feeds_while_warming() {
                    e3.add(avg2)
                } else {
                    avg2
                };
                3.0 * avg1 - 3.0 * avg2 + avg3
            }
            Indicator::Trix { emas, last, count } => {
                let mut cur = emas[0].add(v);
                if emas[0].feeds_while_warming() {
                    cur = emas[1].add(cur);
                    if emas[1].feeds_while_warming() {
                        cur = emas[2].add(cur);
                    }
                }
                let rate = ((cur / *last) - 1.0) * 100.0;
                *last = cur;
                if *count != 2 && emas[2].warmed() {
                    *count += 1;
                }
                rate
            }
            Indicator::Rsi(ud) => {
                let (up, down) = ud.add(v);
                100.0 - (100.0 / (1.0 + up / down))
            }
            Indicator::Cmos(ud) => {
                let (up, down) = ud.add(v);
                100.0 * ((up - down) / (up + down))
            }
            Indicator::Cmo(c) => c.add(v),
            Indicator::Ker(k) => k.add(v),
            Indicator::Kama { ker, last } => {
                if !ker.warmed() {
                    // Restart from the previous value until warm.
                    *last = ker.last_price();
                }
                let er = ker.add(v);
                // Go folds 2/3 - 2/31 exactly at compile time: 56/93.
                let x = er * (56.0 / 93.0) + 2.0 / 31.0;
                let sc = x * x;
                *last += sc * (v - *last);
                *last
            }
        }
    }
}

/// Applies a technical-analysis function along a series. The output is
/// aligned with `values`: `Value::Null` where the function emits no row
/// (null inputs, the hold period, dropped infinities), `Value::Float`
/// otherwise — possibly NaN, which InfluxDB emits as a row with a `null` value.
pub fn technical_analysis(
    name: &str,
    times: &[i64],
    values: &[Value],
    args: &TaArgs,
) -> Result<Vec<Value>, ExecError> {
    if times.len() != values.len() {
        return Err(query_err(format!(
            "{name}: {} times for {} values",
            times.len(),
            values.len()
        )));
    }
    if args.period < 1 {
        return Err(query_err(format!(
            "{name} period must be greater than or equal to 1"
        )));
    }
    let mut ind = Indicator::new(name, args.period, args.warmup)?;
    // InfluxDB keeps the hold period and the count in 32 bits.
    let hold = args.hold_period.unwrap_or_else(|| ind.warm_count()) as u64 as u32;
    let mut count: u32 = 0;
    let mut out = Vec::with_capacity(values.len());
    for v in values {
        let x = match v {
            Value::Null => {
                out.push(Value::Null);
                continue;
            }
            Value::Float(_) | Value::Integer(_) | Value::Unsigned(_) => as_f64(v).unwrap_or(0.0),
            Value::String(_) | Value::Boolean(_) | Value::Time(_) | Value::Strings(_) => {
                return Err(query_err(format!(
                    "unsupported {} iterator type: {}",
                    name.replace('_', " "),
                    type_name(v)
                )));
            }
        };
        let r = ind.add(x);
        count = count.wrapping_add(1);
        if count <= hold || (r.is_infinite() && ind.drops_infinite()) {
            out.push(Value::Null);
        } else {
            out.push(Value::Float(r));
        }
    }
    Ok(out)
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Float(_) => "float",
        Value::Integer(_) => "integer",
        Value::Unsigned(_) => "unsigned",
        Value::String(_) => "string",
        Value::Boolean(_) => "boolean",
        Value::Time(_) => "time",
        Value::Strings(_) => "strings",
    }
}

/// Forecasts `n` points after a series of window results with the damped
/// Holt-Winters method, as InfluxDB's `holt_winters(agg, n, seasonal)` (see
/// [`almanac_influxql::holt_winters::forecast`]; nulls are skipped).
///
/// `times`/`values` are the windows of one series in time order,
/// `interval` the `GROUP BY time` interval in ns, `seasonal` the season
/// length in windows. With `with_fit`, the fitted values come first.
pub fn holt_winters(
    times: &[i64],
    values: &[Value],
    interval: i64,
    n: usize,
    seasonal: usize,
    with_fit: bool,
) -> Result<Vec<(i64, Value)>, ExecError> {
    let name = if with_fit {
        "holt_winters_with_fit"
    } else {
        "holt_winters"
    };
    if times.len() != values.len() {
        return Err(query_err(format!(
            "{name}: {} times for {} values",
            times.len(),
            values.len()
        )));
    }
    let mut points = Vec::with_capacity(values.len());
    for (t, v) in times.iter().zip(values) {
        match v {
            Value::Null => {}
            Value::Float(_) | Value::Integer(_) | Value::Unsigned(_) => {
                points.push((*t, as_f64(v).unwrap_or(0.0)))
            }
            Value::String(_) | Value::Boolean(_) | Value::Time(_) | Value::Strings(_) => {
                return Err(query_err(format!(
                    "unsupported holt winters iterator type: {}",
                    type_name(v)
                )))
            }
        }
    }
    almanac_influxql::holt_winters::forecast(name, &points, interval, n, seasonal, with_fit)
        .map(|out| out.into_iter().map(|(t, v)| (t, Value::Float(v))).collect())
        .map_err(|e| query_err(e.0))
}

#[cfg(test)]
mod tests {
    //! Expected values are the answers of a real `influxd` 1.6.7 to the
    //! queries quoted above each constant (times in seconds), over the data
    //! sets below.
    use super::*;

    const NS: i64 = 1_000_000_000;

    /// Field `v` of measurement `m`: one point a minute from 0.
    const M_V: [f64; 30] = [
        10.0, 14.771, 18.027, 15.216, 14.125, 12.246, 7.442, 8.438, 11.744, 12.784, 17.535, 20.741,
        17.873, 16.745, 14.868, 10.102, 11.154, 14.509, 15.568, 20.298, 23.453, 20.529, 19.366,
        17.49, 12.762, 13.872, 17.276, 18.352, 23.06, 26.164,
    ];

    /// Field `i` of `m`: `(k * 7) % 11 + k`.
    fn m_i() -> Vec<i64> {
        (0..30).map(|k| (k * 7) % 11 + k).collect()
    }

    /// Measurement `s` (season of 4): `(20 + k/2) * [1, 1.5, 0.8, 1.2][k % 4] + (k % 5) / 10`.
    fn s_v() -> Vec<f64> {
        (0..24)
            .map(|k| {
                let f = [1.0, 1.5, 0.8, 1.2][k % 4];
                let v = (20.0 + k as f64 * 0.5) * f + (k % 5) as f64 * 0.1;
                (v * 1000.0).round() / 1000.0
            })
            .collect()
    }

    /// Minutes of measurement `g` (with gaps); its value is `k * k % 17 + 3`.
    const G_MINUTES: [i64; 12] = [0, 1, 2, 4, 5, 8, 9, 10, 11, 13, 14, 15];

    fn minutes(n: usize) -> Vec<i64> {
        (0..n as i64).map(|k| k * 60 * NS).collect()
    }

    fn floats(v: &[f64]) -> Vec<Value> {
        v.iter().map(|x| Value::Float(*x)).collect()
    }

    /// `g` as `GROUP BY time(1m)` windows over [0, 30m): null where empty.
    fn g_windows() -> Vec<Value> {
        (0..30)
            .map(|k| {
                if G_MINUTES.contains(&k) {
                    Value::Float((k * k % 17 + 3) as f64)
                } else {
                    Value::Null
                }
            })
            .collect()
    }

    fn close(a: f64, b: f64) -> bool {
        (a.is_nan() && b.is_nan()) || a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
    }

    fn assert_rows(got: &[(i64, f64)], want: &[(i64, f64)]) {
        assert_eq!(got.len(), want.len(), "rows: got {got:?}\nwant {want:?}");
        for (g, w) in got.iter().zip(want) {
            assert_eq!(g.0, w.0 * NS, "time: got {got:?}\nwant {want:?}");
            assert!(
                close(g.1, w.1),
                "value at {}: got {} want {}",
                w.0,
                g.1,
                w.1
            );
        }
    }

    fn ta(name: &str, times: &[i64], values: &[Value], args: TaArgs) -> Vec<(i64, f64)> {
        let out = technical_analysis(name, times, values, &args).unwrap();
        assert_eq!(out.len(), values.len());
        out.iter()
            .zip(times)
            .filter_map(|(v, t)| match v {
                Value::Float(f) => Some((*t, *f)),
                Value::Null => None,
                other => panic!("unexpected {other:?}"),
            })
            .collect()
    }

    fn args(period: usize, hold: Option<usize>, warmup: Warmup) -> TaArgs {
        TaArgs {
            period,
            hold_period: hold,
            warmup,
        }
    }

    fn check_m(name: &str, a: TaArgs, want: &[(i64, f64)]) {
        assert_rows(&ta(name, &minutes(30), &floats(&M_V), a), want);
    }

    fn hw(times: &[i64], values: &[Value], n: usize, s: usize, fit: bool) -> Vec<(i64, f64)> {
        holt_winters(times, values, 60 * NS, n, s, fit)
            .unwrap()
            .into_iter()
            .map(|(t, v)| match v {
                Value::Float(f) => (t, f),
                other => panic!("unexpected {other:?}"),
            })
            .collect()
    }

    use Warmup::{Exponential as Exp, Simple};

    #[test]
    fn moving_averages_match_influxd() {
        check_m("exponential_moving_average", args(5, None, Exp), EMA_5);
        check_m(
            "exponential_moving_average",
            args(5, Some(2), Simple),
            EMA_5_2_SIMPLE,
        );
        check_m("exponential_moving_average", args(1, None, Exp), EMA_1);
        check_m(
            "double_exponential_moving_average",
            args(4, None, Exp),
            DEMA_4,
        );
        check_m(
            "double_exponential_moving_average",
            args(4, None, Simple),
            DEMA_4_SIMPLE,
        );
        check_m(
            "triple_exponential_moving_average",
            args(3, None, Exp),
            TEMA_3,
        );
        check_m(
            "triple_exponential_moving_average",
            args(3, None, Simple),
            TEMA_3_SIMPLE,
        );
        let ints: Vec<Value> = m_i().into_iter().map(Value::Integer).collect();
        let got = ta(
            "exponential_moving_average",
            &minutes(30),
            &ints,
            args(3, None, Exp),
        );
        assert_rows(&got, EMA_I_3);
    }

    #[test]
    fn huge_period_and_hold_truncated_like_influxd() {
        let a = args(5_000_000_000, Some(4_294_967_297), Exp);
        check_m("exponential_moving_average", a, EMA_HUGE);
    }

    #[test]
    fn oscillators_match_influxd() {
        check_m("triple_exponential_derivative", args(3, None, Exp), TRIX_3);
        check_m(
            "triple_exponential_derivative",
            args(3, Some(1), Simple),
            TRIX_3_1_SIMPLE,
        );
        check_m("relative_strength_index", args(5, None, Exp), RSI_5);
        check_m(
            "relative_strength_index",
            args(4, Some(0), Simple),
            RSI_4_0_SIMPLE,
        );
        check_m(
            "chande_momentum_oscillator",
            args(5, None, Warmup::None),
            CMO_5,
        );
        check_m(
            "chande_momentum_oscillator",
            args(5, Some(0), Exp),
            CMO_5_0_EXP,
        );
        check_m(
            "chande_momentum_oscillator",
            args(3, None, Simple),
            CMO_3_SIMPLE,
        );
        check_m(
            "chande_momentum_oscillator",
            args(2, Some(0), Warmup::None),
            CMO_2_NONE,
        );
    }

    #[test]
    fn kaufmans_match_influxd() {
        check_m("kaufmans_efficiency_ratio", args(5, None, Exp), KER_5);
        check_m("kaufmans_efficiency_ratio", args(3, Some(0), Exp), KER_3_0);
        check_m("kaufmans_efficiency_ratio", args(1, Some(0), Exp), KER_1_0);
        check_m(
            "kaufmans_adaptive_moving_average",
            args(5, None, Exp),
            KAMA_5,
        );
        check_m(
            "kaufmans_adaptive_moving_average",
            args(2, Some(0), Exp),
            KAMA_2_0,
        );
    }

    #[test]
    fn nan_results_are_rows_and_nulls_are_skipped() {
        let zeros = floats(&[0.0; 4]);
        let got = ta(
            "relative_strength_index",
            &minutes(4),
            &zeros,
            args(2, None, Exp),
        );
        assert_rows(&got, RSI_ZERO);
        let got = ta(
            "exponential_moving_average",
            &minutes(30),
            &g_windows(),
            args(3, None, Exp),
        );
        assert_rows(&got, EMA_G);
    }

    #[test]
    fn holt_winters_matches_influxd() {
        let m = floats(&M_V);
        assert_rows(&hw(&minutes(30), &m, 5, 0, false), HW_M_5_0);
        assert_rows(&hw(&minutes(30), &m, 5, 0, true), HWF_M_5_0);
        assert_rows(&hw(&minutes(30), &m, 6, 4, false), HW_M_6_4);
        let s = floats(&s_v());
        assert_rows(&hw(&minutes(24), &s, 8, 4, false), HW_S_8_4);
        assert_rows(&hw(&minutes(24), &s, 3, 4, true), HWF_S_3_4);
    }

    #[test]
    fn holt_winters_with_gaps_and_other_windows_matches_influxd() {
        assert_rows(&hw(&minutes(30), &g_windows(), 4, 0, false), HW_G_4_0);
        assert_rows(&hw(&minutes(30), &g_windows(), 2, 3, true), HWF_G_2_3);
        // first(v) over 2m windows.
        let firsts: Vec<Value> = M_V.iter().step_by(2).map(|v| Value::Float(*v)).collect();
        let times: Vec<i64> = (0..15).map(|k| k * 120 * NS).collect();
        let got: Vec<(i64, f64)> = holt_winters(&times, &firsts, 120 * NS, 3, 0, false)
            .unwrap()
            .into_iter()
            .map(|(t, v)| (t, if let Value::Float(f) = v { f } else { f64::NAN }))
            .collect();
        assert_rows(&got, HW_M2_3_0);
        // max(i) over [0, 12m): integers.
        let ints: Vec<Value> = m_i().into_iter().take(12).map(Value::Integer).collect();
        assert_rows(&hw(&minutes(12), &ints, 2, 2, true), HWF_I_2_2);
        assert_rows(&hw(&minutes(2), &m_two(), 2, 0, false), HW_TWO);
        assert_rows(&hw(&minutes(1), &m_two()[..1], 2, 0, false), HW_ONE);
    }

    fn m_two() -> Vec<Value> {
        floats(&M_V[..2])
    }
    // SELECT exponential_moving_average(v, 5) FROM m
    const EMA_5: &[(i64, f64)] = &[
        (240, 15.007466666666668),
        (300, 14.08697777777778),
        (360, 11.871985185185187),
        (420, 10.727323456790124),
        (480, 11.066215637860083),
        (540, 11.638810425240056),
        (600, 13.604206950160037),
        (660, 15.983137966773358),
        (720, 16.613091977848907),
        (780, 16.657061318565937),
        (840, 16.060707545710624),
        (900, 14.074471697140416),
        (960, 13.100981131426943),
        (1020, 13.570320754284628),
        (1080, 14.236213836189751),
        (1140, 16.2568092241265),
        (1200, 18.655539482751),
        (1260, 19.280026321834),
        (1320, 19.308684214556),
        (1380, 18.70245614303733),
        (1440, 16.722304095358222),
        (1500, 15.772202730238815),
        (1560, 16.273468486825877),
        (1620, 16.966312324550586),
        (1680, 18.99754154970039),
        (1740, 21.386361033133593),
    ];
    // SELECT exponential_moving_average(v, 5, 2, 'simple') FROM m
    const EMA_5_2_SIMPLE: &[(i64, f64)] = &[
        (120, 14.266),
        (180, 14.5035),
        (240, 14.427800000000001),
        (300, 13.700533333333334),
        (360, 11.614355555555557),
        (420, 10.555570370370372),
        (480, 10.951713580246915),
        (540, 11.56247572016461),
        (600, 13.553317146776406),
        (660, 15.94921143118427),
        (720, 16.590474287456182),
        (780, 16.64198285830412),
        (840, 16.050655238869414),
        (900, 14.067770159246276),
        (960, 13.096513439497517),
        (1020, 13.567342292998346),
        (1080, 14.23422819533223),
        (1140, 16.25548546355482),
        (1200, 18.65465697570321),
        (1260, 19.27943798380214),
        (1320, 19.308291989201425),
        (1380, 18.702194659467615),
        (1440, 16.72212977297841),
        (1500, 15.77208651531894),
        (1560, 16.273391010212627),
        (1620, 16.966260673475084),
        (1680, 18.997507115650055),
        (1740, 21.38633807710004),
    ];
    // SELECT exponential_moving_average(i, 3) FROM m
    const EMA_I_3: &[(i64, f64)] = &[
        (120, 5.166666666666666),
        (180, 9.083333333333332),
        (240, 9.541666666666666),
        (300, 8.270833333333332),
        (360, 11.635416666666666),
        (420, 11.817708333333332),
        (480, 10.408854166666666),
        (540, 13.704427083333332),
        (600, 13.852213541666666),
        (660, 12.426106770833332),
        (720, 15.713053385416666),
        (780, 15.856526692708332),
        (840, 19.928263346354164),
        (900, 20.464131673177082),
        (960, 19.23206583658854),
        (1020, 22.61603291829427),
        (1080, 22.808016459147133),
        (1140, 21.404008229573567),
        (1200, 24.70200411478678),
        (1260, 24.85100205739339),
        (1320, 23.425501028696694),
        (1380, 26.712750514348347),
        (1440, 26.85637525717417),
        (1500, 30.928187628587086),
        (1560, 31.46409381429354),
        (1620, 30.23204690714677),
        (1680, 33.61602345357338),
        (1740, 33.80801172678669),
    ];
    // SELECT double_exponential_moving_average(v, 4) FROM m
    const DEMA_4: &[(i64, f64)] = &[
        (180, 16.400636666666667),
        (240, 15.172694000000002),
        (300, 13.360443600000002),
        (360, 9.455162480000002),
        (420, 8.36459528),
        (480, 10.0995758432),
        (540, 11.652876711040001),
        (600, 15.433684749696),
        (660, 19.1828260836608),
        (720, 18.946304790502396),
        (780, 17.96750835848499),
        (840, 16.218260305601127),
        (900, 12.322249357666754),
        (960, 11.2377255191837),
        (1020, 12.98110085426041),
        (1080, 14.53093983820636),
        (1140, 18.282011498313885),
        (1200, 21.97415545622237),
        (1260, 21.66858240807385),
        (1320, 20.63192292544856),
        (1380, 18.855537843631687),
        (1440, 14.971633159196546),
        (1500, 13.930286167328447),
        (1560, 15.72463546348338),
        (1620, 17.307459535941817),
        (1680, 21.05752267627616),
        (1740, 24.714501778592343),
    ];
    // SELECT double_exponential_moving_average(v, 4, -1, 'simple') FROM m
    const DEMA_4_SIMPLE: &[(i64, f64)] = &[
        (360, 8.803227999999999),
        (420, 8.02243376),
        (480, 9.923678432),
        (540, 11.564977964799999),
        (600, 15.39152932224),
        (660, 19.163883119359998),
        (720, 18.938749187225596),
        (780, 17.965261101701124),
        (840, 16.218283614640132),
        (900, 12.323086340955753),
        (960, 11.238721507876457),
        (1020, 12.981994726707677),
        (1080, 14.531653929213686),
        (1140, 18.28254661344166),
        (1200, 21.974540521613065),
        (1260, 21.66885184509668),
        (1320, 20.632107626335312),
        (1380, 18.855662487367567),
        (1440, 14.971716239360369),
        (1500, 13.93034099178012),
        (1560, 15.724671343966413),
        (1620, 17.307482855718852),
        (1680, 21.057537743034715),
        (1740, 24.71451146358287),
    ];
    // SELECT triple_exponential_moving_average(v, 3) FROM m
    const TEMA_3: &[(i64, f64)] = &[
        (120, 17.862967592592597),
        (180, 15.958622685185183),
        (240, 14.36649537037036),
        (300, 12.34427199074074),
        (360, 7.768239293981479),
        (420, 7.793216869212962),
        (480, 10.980679832175927),
        (540, 12.735387008101851),
        (600, 17.206847746672455),
        (660, 20.84681634295428),
        (720, 18.837887080439813),
        (780, 17.09519933177807),
        (840, 14.993985730206525),
        (900, 10.416439981531209),
        (960, 10.48657059111419),
        (1020, 13.727149116798685),
        (1080, 15.509975729553783),
        (1140, 19.96804808062094),
        (1200, 23.5596089633659),
        (1260, 21.49212435077738),
        (1320, 19.709485813719247),
        (1380, 17.605461577916586),
        (1440, 13.065343550432608),
        (1500, 13.197104868926381),
        (1560, 16.493582337804686),
        (1620, 18.300212798816318),
        (1680, 22.73977055348676),
        (1740, 26.279194023343504),
    ];
    // SELECT triple_exponential_moving_average(v, 3, -1, 'simple') FROM m
    const TEMA_3_SIMPLE: &[(i64, f64)] = &[
        (360, 8.234833333333336),
        (420, 8.04401041666667),
        (480, 11.109598958333336),
        (540, 12.798994791666669),
        (600, 17.236919270833333),
        (660, 20.86033268229167),
        (720, 18.843558919270837),
        (780, 17.097328776041664),
        (840, 14.994615559895834),
        (900, 10.41649662272135),
        (960, 10.48644936116536),
        (1020, 13.727003519694009),
        (1080, 15.509855336507158),
        (1140, 19.9679615351359),
        (1200, 23.55955124028523),
        (1260, 21.49208762613933),
        (1320, 19.709463200887047),
        (1380, 17.605447986761728),
        (1440, 13.065335532744733),
        (1500, 13.197100209156673),
        (1560, 16.49357966252169),
        (1620, 18.300211278508108),
        (1680, 22.739769697015483),
        (1740, 26.279193544457357),
    ];
    // SELECT triple_exponential_derivative(v, 3) FROM m
    const TRIX_3: &[(i64, f64)] = &[
        (180, 7.905371965463925),
        (240, 3.9040495385887164),
        (300, -0.22976857814018814),
        (360, -6.534340921038639),
        (420, -8.856039562994178),
        (480, -5.4242681412600575),
        (540, -0.7701031698883698),
        (600, 7.131224459648289),
        (660, 13.163540274624076),
        (720, 10.34033081561494),
        (780, 5.8840415787462685),
        (840, 1.4765750065814043),
        (900, -4.50169313464942),
        (960, -6.649151184663582),
        (1020, -3.7969697860557483),
        (1080, -0.0732963373462292),
        (1140, 6.17308868476103),
        (1200, 10.976179671397945),
        (1260, 8.670545913844773),
        (1320, 4.9291479221872825),
        (1380, 1.1739592043725322),
        (1440, -3.9253759219178286),
        (1500, -5.667191020990591),
        (1560, -3.1220931993952705),
        (1620, 0.06753145927507198),
        (1680, 5.281524132510351),
        (1740, 9.31096762708361),
    ];
    // SELECT triple_exponential_derivative(v, 3, 1, 'simple') FROM m
    const TRIX_3_1_SIMPLE: &[(i64, f64)] = &[
        (60, 23.855000000000004),
        (120, 15.183076985184286),
        (180, 1.6647974204401894),
        (240, -0.162029854862622),
        (300, -1.9690953038673964),
        (360, -4.801322073400904),
        (420, -10.10491181549088),
        (480, -6.038419092584313),
        (540, -1.0211526764475898),
        (600, 7.067815066080763),
        (660, 13.179557468073423),
        (720, 10.367788571622306),
        (780, 5.905002745840027),
        (840, 1.4901895896092698),
        (900, -4.493755907503704),
        (960, -6.643993647518531),
        (1020, -3.793166444231433),
        (1080, -0.07063067555683755),
        (1140, 6.174921749790219),
        (1200, 10.977291988937111),
        (1260, 8.67110074010835),
        (1320, 4.929419064991936),
        (1380, 1.1740944600314274),
        (1440, -3.925309121945064),
        (1500, -5.6671538200884335),
        (1560, -3.12206988373932),
        (1620, 0.06754574802843027),
        (1680, 5.281532867730565),
        (1740, 9.310972517686578),
    ];
    // SELECT relative_strength_index(v, 5) FROM m
    const RSI_5: &[(i64, f64)] = &[
        (300, 51.16701290086064),
        (360, 35.525550276350245),
        (420, 40.258478609392945),
        (480, 54.20618097970118),
        (540, 58.056782993537055),
        (600, 71.66299896718155),
        (660, 77.75099892247223),
        (720, 62.690254757910616),
        (780, 57.23927529217399),
        (840, 48.47258134174949),
        (900, 32.61691792475018),
        (960, 38.19498463085573),
        (1020, 53.53021469176196),
        (1080, 57.673913154603284),
        (1140, 71.74197949833125),
        (1200, 77.8737107336866),
        (1260, 62.23030463786495),
        (1320, 56.579480815659736),
        (1380, 47.82333762181655),
        (1440, 32.14931988261064),
        (1500, 38.102750870326936),
        (1560, 53.68181156335622),
        (1620, 57.8714729914322),
        (1680, 71.81514941408582),
        (1740, 77.85550027855402),
    ];
    // SELECT relative_strength_index(v, 4, 0, 'simple') FROM m
    const RSI_4_0_SIMPLE: &[(i64, f64)] = &[
        (0, 100.0),
        (60, 100.0),
        (120, 100.0),
        (180, 86.51022171033688),
        (240, 82.20621095353185),
        (300, 71.93344151525632),
        (360, 50.44461579598665),
        (420, 54.22475343638171),
        (480, 65.77800712569012),
        (540, 69.05403012890423),
        (600, 80.45211438245462),
        (660, 85.31773335108798),
        (720, 65.78650745438813),
        (780, 58.735378532072204),
        (840, 47.45134724360358),
        (900, 28.751096651780614),
        (960, 36.15600018146556),
        (1020, 55.72333398003955),
        (1080, 60.782032734056),
        (1140, 76.66160520619817),
        (1200, 82.8407564347986),
        (1260, 62.419060304850056),
        (1320, 55.20224520116485),
        (1380, 44.208898946682176),
        (1440, 26.485067291760657),
        (1500, 34.682229308557154),
        (1560, 55.13657818442819),
        (1620, 60.367382972400456),
        (1680, 76.41201761038735),
        (1740, 82.60316686681882),
    ];
    // SELECT chande_momentum_oscillator(v, 5) FROM m
    const CMO_5: &[(i64, f64)] = &[
        (240, 34.57959594266073),
        (300, 16.26593279258401),
        (360, -52.951376345639765),
        (420, -82.7994128313617),
        (480, -28.751242133156673),
        (540, -11.151767151767146),
        (600, 35.50379270994159),
        (660, 100.0),
        (720, 62.191022345264),
        (780, 38.48995613022398),
        (840, 15.068691250903832),
        (900, -53.687251715420736),
        (960, -82.0032503635275),
        (1020, -27.623583511249798),
        (1080, -9.720042943265351),
        (1140, 36.29193958027001),
        (1200, 100.0),
        (1260, 61.58444459042239),
        (1320, 37.27265750901696),
        (1380, 13.879260543038697),
        (1440, -54.42727141412681),
        (1500, -81.18803491229556),
        (1560, -26.488071003989905),
        (1620, -8.315565031982938),
        (1680, 37.06908026088115),
        (1740, 100.0),
    ];
    // SELECT chande_momentum_oscillator(v, 5, 0, 'exponential') FROM m
    const CMO_5_0_EXP: &[(i64, f64)] = &[
        (0, 100.0),
        (60, 100.0),
        (120, 100.0),
        (180, 44.548010060659834),
        (240, 27.409854593666456),
        (300, 2.334025801721282),
        (360, -28.94889944729952),
        (420, -19.48304278121411),
        (480, 8.41236195940236),
        (540, 16.113565987074097),
        (600, 43.325997934363095),
        (660, 55.5019978449445),
        (720, 25.38050951582122),
        (780, 14.478550584347976),
        (840, -3.0548373165010254),
        (900, -34.76616415049963),
        (960, -23.610030738288533),
        (1020, 7.060429383523907),
        (1080, 15.34782630920657),
        (1140, 43.483958996662494),
        (1200, 55.747421467373194),
        (1260, 24.46060927572989),
        (1320, 13.158961631319471),
        (1380, -4.3533247563669),
        (1440, -35.70136023477871),
        (1500, -23.79449825934612),
        (1560, 7.363623126712454),
        (1620, 15.742945982864395),
        (1680, 43.63029882817165),
        (1740, 55.711000557108036),
    ];
    // SELECT chande_momentum_oscillator(v, 3, -1, 'simple') FROM m
    const CMO_3_SIMPLE: &[(i64, f64)] = &[
        (180, 73.02044342067376),
        (240, 56.62033014769765),
        (300, 25.812192483511886),
        (360, -28.28642466434609),
        (420, -13.15484753851011),
        (480, 28.711054616798148),
        (540, 39.307164786562055),
        (600, 69.93193035138844),
        (660, 80.09720572125102),
        (720, 23.89313862806263),
        (780, 4.629582112463799),
        (840, -24.623499307646217),
        (900, -63.49583222017606),
        (960, -39.6506541977147),
        (1020, 17.74073609316762),
        (1080, 31.139600796417966),
        (1140, 67.07274220213031),
        (1200, 78.36724238006153),
        (1260, 20.775559022121186),
        (1320, 1.2677143790543448),
        (1380, -27.18838054639754),
        (1440, -64.69368006564001),
        (1500, -39.40594108743205),
        (1560, 18.299410226479836),
        (1620, 31.70375557679955),
        (1680, 67.11470617196997),
        (1740, 78.26144715460457),
    ];
    // SELECT chande_momentum_oscillator(v, 2, 0, 'none') FROM m
    const CMO_2_NONE: &[(i64, f64)] = &[
        (0, 0.0),
        (60, 100.0),
        (120, 100.0),
        (180, 7.334761826273255),
        (240, -100.0),
        (300, -100.0),
        (360, -100.0),
        (420, -65.6551724137931),
        (480, 100.0),
        (540, 100.0),
        (600, 100.0),
        (660, 100.0),
        (720, 5.564702008561097),
        (780, -100.0),
        (840, -100.0),
        (900, -100.0),
        (960, -63.83636988655896),
        (1020, 100.0),
        (1080, 100.0),
        (1140, 100.0),
        (1200, 100.0),
        (1260, 3.799967099851976),
        (1320, -100.0),
        (1380, -100.0),
        (1440, -100.0),
        (1500, -61.973278520041106),
        (1560, 100.0),
        (1620, 100.0),
        (1680, 100.0),
        (1740, 100.0),
    ];
    // SELECT kaufmans_efficiency_ratio(v, 5) FROM m
    const KER_5: &[(i64, f64)] = &[
        (300, 0.16265932792584012),
        (360, 0.5295137634563977),
        (420, 0.8279941283136171),
        (480, 0.28751242133156674),
        (540, 0.11151767151767146),
        (600, 0.35503792709941595),
        (660, 1.0),
        (720, 0.62191022345264),
        (780, 0.3848995613022398),
        (840, 0.15068691250903832),
        (900, 0.5368725171542074),
        (960, 0.820032503635275),
        (1020, 0.276235835112498),
        (1080, 0.09720042943265352),
        (1140, 0.3629193958027001),
        (1200, 1.0),
        (1260, 0.6158444459042239),
        (1320, 0.3727265750901696),
        (1380, 0.13879260543038696),
        (1440, 0.5442727141412681),
        (1500, 0.8118803491229557),
        (1560, 0.26488071003989905),
        (1620, 0.08315565031982938),
        (1680, 0.3706908026088115),
        (1740, 1.0),
    ];
    // SELECT kaufmans_efficiency_ratio(v, 3, 0) FROM m
    const KER_3_0: &[(i64, f64)] = &[
        (0, 1.0),
        (60, 1.0),
        (120, 1.0),
        (180, 0.48126960693854937),
        (240, 0.09024867281363519),
        (300, 1.0),
        (360, 1.0),
        (420, 0.7405912228154706),
        (480, 0.055128486712058056),
        (540, 1.0),
        (600, 1.0),
        (660, 1.0),
        (720, 0.4701154734411087),
        (780, 0.10969175229103018),
        (840, 1.0),
        (900, 1.0),
        (960, 0.7265756985055232),
        (1020, 0.03913659653330426),
        (1080, 1.0),
        (1140, 1.0),
        (1200, 1.0),
        (1260, 0.45896937737070964),
        (1320, 0.12869373101353196),
        (1380, 1.0),
        (1440, 1.0),
        (1500, 0.7122115633912368),
        (1560, 0.0231551612205149),
        (1620, 1.0),
        (1680, 1.0),
        (1740, 1.0),
    ];
    // SELECT kaufmans_efficiency_ratio(v, 1, 0) FROM m
    const KER_1_0: &[(i64, f64)] = &[
        (0, 1.0),
        (60, 1.0),
        (120, 1.0),
        (180, 1.0),
        (240, 1.0),
        (300, 1.0),
        (360, 1.0),
        (420, 1.0),
        (480, 1.0),
        (540, 1.0),
        (600, 1.0),
        (660, 1.0),
        (720, 1.0),
        (780, 1.0),
        (840, 1.0),
        (900, 1.0),
        (960, 1.0),
        (1020, 1.0),
        (1080, 1.0),
        (1140, 1.0),
        (1200, 1.0),
        (1260, 1.0),
        (1320, 1.0),
        (1380, 1.0),
        (1440, 1.0),
        (1500, 1.0),
        (1560, 1.0),
        (1620, 1.0),
        (1680, 1.0),
        (1740, 1.0),
    ];
    // SELECT kaufmans_adaptive_moving_average(v, 5) FROM m
    const KAMA_5: &[(i64, f64)] = &[
        (300, 14.075406145651646),
        (360, 13.10051244304746),
        (420, 11.622150994567756),
        (480, 11.629032254723137),
        (540, 11.649054869889815),
        (600, 12.104934446700868),
        (660, 15.943185803722706),
        (720, 16.3151010246614),
        (780, 16.35283926584954),
        (840, 16.317049758369553),
        (900, 15.382403574041788),
        (960, 14.064418924652509),
        (1020, 14.088111761953533),
        (1080, 14.110517529378663),
        (1140, 14.606235763558821),
        (1200, 18.5381309797549),
        (1260, 18.91545476823469),
        (1320, 18.95307268377745),
        (1380, 18.920986477499707),
        (1440, 17.973363290566173),
        (1500, 16.717358335810527),
        (1560, 16.745392291665706),
        (1620, 16.76648783751982),
        (1680, 17.287510616802464),
        (1740, 21.232617009334703),
    ];
    // SELECT kaufmans_adaptive_moving_average(v, 2, 0) FROM m
    const KAMA_2_0: &[(i64, f64)] = &[
        (0, 4.4444444444444455),
        (60, 12.120444444444445),
        (120, 16.218111111111114),
        (180, 16.20627430286723),
        (240, 15.281263501592905),
        (300, 13.932257500884948),
        (360, 11.047698611602748),
        (420, 10.495824617092767),
        (480, 11.050569231718203),
        (540, 11.820982906510114),
        (600, 14.360546059172286),
        (660, 17.196303366206827),
        (720, 17.202805545853046),
        (780, 16.999336414362805),
        (840, 16.052075785757115),
        (900, 13.407597658753952),
        (960, 12.953457953549217),
        (1020, 13.64480997419401),
        (1080, 14.49956109677445),
        (1140, 17.076645053763585),
        (1200, 19.910580585424213),
        (1260, 19.915304289026945),
        (1320, 19.671169049459415),
        (1380, 18.701760583033007),
        (1440, 16.061866990573893),
        (1500, 15.642351380136303),
        (1560, 16.368417433409057),
        (1620, 17.250009685227255),
        (1680, 19.83222760290403),
        (1740, 22.64634866828002),
    ];
    // SELECT exponential_moving_average(v, 1) FROM m
    const EMA_1: &[(i64, f64)] = &[
        (0, 10.0),
        (60, 14.771),
        (120, 18.027),
        (180, 15.216),
        (240, 14.125),
        (300, 12.246),
        (360, 7.442),
        (420, 8.438),
        (480, 11.744),
        (540, 12.784),
        (600, 17.535),
        (660, 20.741),
        (720, 17.873),
        (780, 16.745),
        (840, 14.868),
        (900, 10.102),
        (960, 11.154),
        (1020, 14.509),
        (1080, 15.568),
        (1140, 20.298),
        (1200, 23.453),
        (1260, 20.529),
        (1320, 19.366),
        (1380, 17.49),
        (1440, 12.762),
        (1500, 13.872),
        (1560, 17.276),
        (1620, 18.352),
        (1680, 23.06),
        (1740, 26.164),
    ];
    // SELECT relative_strength_index(v, 2) FROM z
    const RSI_ZERO: &[(i64, f64)] = &[(120, f64::NAN), (180, f64::NAN)];
    // SELECT holt_winters(mean(v), 5, 0) FROM m WHERE time >= 0 AND time < 30m GROUP BY time(1m)
    const HW_M_5_0: &[(i64, f64)] = &[
        (1800, 25.591052627932065),
        (1860, 28.164132989578935),
        (1920, 31.40104005768247),
        (1980, 35.49245660675584),
        (2040, 40.68850480877745),
    ];
    // SELECT holt_winters_with_fit(mean(v), 5, 0) FROM m WHERE time >= 0 AND time < 30m GROUP BY time(1m)
    const HWF_M_5_0: &[(i64, f64)] = &[
        (0, 10.0),
        (60, 14.02510017053275),
        (120, 14.066862108211039),
        (180, 14.109580118157652),
        (240, 14.153855901508601),
        (300, 14.200325307700629),
        (360, 14.24967833461563),
        (420, 14.302681120007735),
        (480, 14.36020094197205),
        (540, 14.423235400586021),
        (600, 14.492947177955315),
        (660, 14.570706084476571),
        (720, 14.658140516267537),
        (780, 14.757201001493018),
        (840, 14.870239241194447),
        (900, 15.000107006351197),
        (960, 15.15028050861461),
        (1020, 15.325017513238006),
        (1080, 15.529556637883644),
        (1140, 15.770371153516466),
        (1200, 16.055493407386038),
        (1260, 16.394931039677267),
        (1320, 16.801202894346),
        (1380, 17.29003151564426),
        (1440, 17.881241173122422),
        (1500, 18.599926562555115),
        (1560, 19.477979189715224),
        (1620, 20.556088026940095),
        (1680, 21.88637119822387),
        (1740, 23.53585016127594),
        (1800, 25.591052627932065),
        (1860, 28.164132989578935),
        (1920, 31.40104005768247),
        (1980, 35.49245660675584),
        (2040, 40.68850480877745),
    ];
    // SELECT holt_winters(mean(v), 6, 4) FROM m WHERE time >= 0 AND time < 30m GROUP BY time(1m)
    const HW_M_6_4: &[(i64, f64)] = &[
        (1800, 20.85023151590133),
        (1860, 22.166935979348253),
        (1920, 22.407742800633923),
        (1980, 23.987574943855666),
        (2040, 22.911739593743963),
        (2100, 24.358634929243337),
    ];
    // SELECT holt_winters(mean(v), 8, 4) FROM s WHERE time >= 0 AND time < 30m GROUP BY time(1m)
    const HW_S_8_4: &[(i64, f64)] = &[
        (1440, 38.473844298114514),
        (1500, 48.590469612669395),
        (1560, 27.039515585575124),
        (1620, 40.04080526051926),
        (1680, 41.79995037456295),
        (1740, 52.78625232946932),
        (1800, 29.38090728152626),
        (1860, 43.49799891484604),
    ];
    // SELECT holt_winters_with_fit(mean(v), 3, 4) FROM s WHERE time >= 0 AND time < 30m GROUP BY time(1m)
    const HWF_S_3_4: &[(i64, f64)] = &[
        (0, 20.0),
        (60, 28.561192136119267),
        (120, 16.287474927024686),
        (180, 24.32098053657383),
        (240, 25.415198465443876),
        (300, 32.0833195431884),
        (360, 17.83771622990461),
        (420, 26.447905304705298),
        (480, 27.60253191723329),
        (540, 34.87107161411402),
        (600, 19.387850198573485),
        (660, 28.736599860828793),
        (720, 29.992630742867348),
        (780, 37.88957174112285),
        (840, 21.07063841794965),
        (900, 31.223489418212594),
        (960, 32.5899880297387),
        (1020, 41.167130190159746),
        (1080, 22.898400693254167),
        (1140, 33.9241391308604),
        (1200, 35.41074255127201),
        (1260, 44.72609915343047),
        (1320, 24.883543533019438),
        (1380, 36.856661215007506),
        (1440, 38.473844298114514),
        (1500, 48.590469612669395),
        (1560, 27.039515585575124),
    ];
    // SELECT holt_winters(mean(v), 4, 0) FROM g WHERE time >= 0 AND time < 30m GROUP BY time(1m)
    const HW_G_4_0: &[(i64, f64)] = &[
        (960, 13.396904655288292),
        (1020, 13.391611533664868),
        (1080, 13.387941543560732),
        (1140, 13.3854020910975),
    ];
    // SELECT holt_winters_with_fit(mean(v), 2, 3) FROM g WHERE time >= 0 AND time < 30m GROUP BY time(1m)
    const HWF_G_2_3: &[(i64, f64)] = &[
        (0, 3.0),
        (60, 5.405802934682888),
        (120, 3.8557360490739256),
        (180, 3.4918993802675544),
        (240, 16.168157391549478),
        (300, 14.29140627383989),
        (360, 14.365537568243491),
        (420, 15.111190266448048),
        (480, 13.587697696337623),
        (540, 13.518600899350151),
        (600, 13.536985790511208),
        (660, 13.10231425905479),
        (720, 13.080568250627778),
        (780, 12.951420685278),
        (840, 12.830902856469377),
        (900, 12.823082366456898),
        (960, 12.76070086733551),
        (1020, 12.737752644317446),
    ];
    // SELECT holt_winters(first(v), 3, 0) FROM m WHERE time >= 0 AND time < 30m GROUP BY time(2m)
    const HW_M2_3_0: &[(i64, f64)] = &[
        (1800, 22.72926339993142),
        (1920, 25.092195917952477),
        (2040, 28.069687137707035),
    ];
    // SELECT holt_winters_with_fit(max(i), 2, 2) FROM m WHERE time >= 0 AND time < 12m GROUP BY time(1m)
    const HWF_I_2_2: &[(i64, f64)] = &[
        (0, 0.0),
        (60, 0.30797374727380655),
        (120, -0.4161653064299717),
        (180, -1.3895449986566526),
        (240, -2.2556828050131013),
        (300, -1.4618527711841005),
        (360, -1.2252026559835008),
        (420, -0.5960742161672314),
        (480, -0.25966920323414555),
        (540, -0.03141171355112334),
        (600, 0.12105411475982666),
        (660, 0.29841502338893844),
        (720, 0.32114376097294645),
        (780, 0.07104767924785958),
    ];
    // SELECT exponential_moving_average(mean(v), 3) FROM g WHERE time >= 0 AND time < 30m GROUP BY time(1m)
    const EMA_G: &[(i64, f64)] = &[
        (120, 5.333333333333333),
        (240, 12.166666666666668),
        (300, 11.583333333333334),
        (480, 13.791666666666668),
        (540, 14.895833333333334),
        (600, 16.447916666666668),
        (660, 10.723958333333334),
        (780, 14.861979166666668),
        (840, 13.430989583333334),
        (900, 10.215494791666668),
    ];
    // SELECT holt_winters(mean(v), 2, 0) FROM m WHERE time >= 0 AND time < 2m GROUP BY time(1m)
    const HW_TWO: &[(i64, f64)] = &[(120, 24.110743816875413), (180, 50.27563361914035)];
    // SELECT holt_winters(mean(v), 2, 0) FROM m WHERE time >= 0 AND time < 1m GROUP BY time(1m)
    const HW_ONE: &[(i64, f64)] = &[];
    // SELECT exponential_moving_average(v, 5000000000, 4294967297) FROM m
    const EMA_HUGE: &[(i64, f64)] = &[
        (60, 13.180666666666667),
        (120, 15.603833333333334),
        (180, 15.4487),
        (240, 15.007466666666668),
        (300, 14.218476190476192),
        (360, 12.524357142857145),
        (420, 11.61627777777778),
        (480, 11.641822222222224),
        (540, 11.84949090909091),
        (600, 12.797075757575758),
        (660, 14.01921794871795),
        (720, 14.569758241758242),
        (780, 14.859790476190476),
        (840, 14.860816666666667),
        (900, 14.300955882352941),
        (960, 13.951294117647059),
        (1020, 14.01),
        (1080, 14.165799999999999),
        (1140, 14.749819047619047),
        (1200, 15.541017316017316),
        (1260, 15.974754940711462),
        (1320, 16.257358695652172),
        (1380, 16.35597),
        (1440, 16.07951076923077),
        (1500, 15.915991452991452),
        (1560, 16.01313492063492),
        (1620, 16.174435960591133),
        (1680, 16.63347356321839),
        (1740, 17.24834623655914),
    ];

    /// Measurement `big`: 120 minutes with a season of 12.
    const BIG_V: [f64; 120] = [
        50.0, 56.2, 61.06, 63.6, 59.96, 57.5, 53.7, 46.4, 43.94, 43.8, 46.34, 47.7, 53.9, 60.1,
        61.46, 64.0, 63.86, 61.4, 54.1, 50.3, 47.84, 44.2, 46.74, 51.6, 57.8, 60.5, 65.36, 67.9,
        64.26, 61.8, 58.0, 54.2, 48.24, 48.1, 50.64, 52.0, 58.2, 64.4, 69.26, 68.3, 68.16, 65.7,
        58.4, 54.6, 52.14, 52.0, 51.04, 55.9, 62.1, 64.8, 69.66, 72.2, 72.06, 66.1, 62.3, 58.5,
        52.54, 52.4, 54.94, 59.8, 62.5, 68.7, 73.56, 72.6, 72.46, 70.0, 66.2, 58.9, 56.44, 56.3,
        55.34, 60.2, 66.4, 72.6, 73.96, 76.5, 76.36, 70.4, 66.6, 62.8, 60.34, 56.7, 59.24, 64.1,
        66.8, 73.0, 77.86, 80.4, 76.76, 74.3, 70.5, 63.2, 60.74, 60.6, 63.14, 64.5, 70.7, 76.9,
        78.26, 80.8, 80.66, 78.2, 70.9, 67.1, 64.64, 61.0, 63.54, 68.4, 74.6, 77.3, 82.16, 84.7,
        81.06, 78.6, 74.8, 71.0, 65.04, 64.9, 67.44, 68.8,
    ];
    // SELECT holt_winters_with_fit(mean(v), 12, 12) FROM big WHERE time >= 0 AND time < 120m GROUP BY time(1m)
    const HW_BIG_12_12: &[(i64, f64)] = &[
        (0, 50.0),
        (60, 56.91230931648688),
        (120, 57.23186699910208),
        (180, 48.13324317810174),
        (240, 49.432535132978394),
        (300, 49.83152844905768),
        (360, 45.526337130595245),
        (420, 47.47115110024897),
        (480, 48.81159358032153),
        (540, 51.87964972736075),
        (600, 58.06703173390082),
        (660, 51.890877866431666),
        (720, 55.35223594903428),
        (780, 60.91489318919856),
        (840, 66.77314620191082),
        (900, 59.06140628199055),
        (960, 53.66114538858449),
        (1020, 57.2073421520534),
        (1080, 63.0910490573154),
        (1140, 53.410169893322816),
        (1200, 54.4989543627244),
        (1260, 54.750945393377435),
        (1320, 57.78206928088459),
        (1380, 55.25126512496692),
        (1440, 58.99459943015383),
        (1500, 60.00040277786981),
        (1560, 65.27076098959547),
        (1620, 57.55457544169657),
        (1680, 52.63314584403496),
        (1740, 57.07999840776413),
        (1800, 62.04263162283318),
        (1860, 52.56030264443665),
        (1920, 54.26689108080859),
        (1980, 55.20387837924423),
        (2040, 58.89950781880698),
        (2100, 56.71175127801606),
        (2160, 60.75496368442314),
        (2220, 62.65079411814613),
        (2280, 68.63787696967766),
        (2340, 60.624332057210445),
        (2400, 55.692309977545186),
        (2460, 60.18183578446144),
        (2520, 65.66708978130004),
        (2580, 55.38251580340693),
        (2640, 57.099737686531775),
        (2700, 57.76668402491338),
        (2760, 61.53478145596405),
        (2820, 58.83504550465812),
        (2880, 62.98867852599834),
        (2940, 64.48202052673574),
        (3000, 70.63379530470083),
        (3060, 62.18270252452105),
        (3120, 56.98983977013083),
        (3180, 61.5327102271155),
        (3240, 67.18423071259487),
        (3300, 56.62326059642538),
        (3360, 58.36161345775986),
        (3420, 59.05669798038184),
        (3480, 62.85565752592278),
        (3540, 60.27017086733314),
        (3600, 64.50143059940251),
        (3660, 66.11800468891047),
        (3720, 72.34308561967683),
        (3780, 63.81569325694791),
        (3840, 58.52602544689269),
        (3900, 63.29122204150054),
        (3960, 69.01310834251302),
        (4020, 58.25746503575314),
        (4080, 60.090810839499476),
        (4140, 60.8815823612844),
        (4200, 64.87143324709513),
        (4260, 62.184202396924036),
        (4320, 66.58166934755278),
        (4380, 68.30728086392936),
        (4440, 74.81046981792919),
        (4500, 65.94394543519745),
        (4560, 60.484943143241495),
        (4620, 65.34065517591057),
        (4680, 71.30975626762225),
        (4740, 60.13043075326716),
        (4800, 61.990955115976135),
        (4860, 62.74058127766886),
        (4920, 66.80707597218827),
        (4980, 64.00449527541157),
        (5040, 68.5111134872167),
        (5100, 70.21449039597847),
        (5160, 76.86383853012168),
        (5220, 67.7566671749808),
        (5280, 62.130171833174806),
        (5340, 67.14597507190322),
        (5400, 73.25528690580506),
        (5460, 61.798459693694625),
        (5520, 63.72387868372662),
        (5580, 64.52742223039733),
        (5640, 68.72584789843872),
        (5700, 65.87740629404742),
        (5760, 70.52291455481026),
        (5820, 72.31968098644971),
        (5880, 79.17692414769107),
        (5940, 69.80738808362989),
        (6000, 64.02302717578267),
        (6060, 69.18832162803005),
        (6120, 75.48603190029122),
        (6180, 63.67650744120997),
        (6240, 65.65860017074789),
        (6300, 66.47831770570316),
        (6360, 70.80337946086313),
        (6420, 67.85026828908906),
        (6480, 72.63474785072077),
        (6540, 74.47026273743914),
        (6600, 81.5346096060682),
        (6660, 71.875588272096),
        (6720, 65.91460469463931),
        (6780, 71.22714503253573),
        (6840, 77.7154664234295),
        (6900, 65.55234770912723),
        (6960, 67.59050817729735),
        (7020, 68.43160543254034),
        (7080, 72.8793271960957),
        (7140, 69.84497919911945),
        (7200, 74.76821109013575),
        (7260, 76.65755131716413),
        (7320, 83.92427880645674),
        (7380, 73.98746185865993),
        (7440, 67.85208386592505),
        (7500, 73.32618282388914),
        (7560, 80.00080194244485),
        (7620, 67.48509363179087),
        (7680, 69.58580382431123),
        (7740, 70.45637651502699),
        (7800, 75.03944702079164),
        (7860, 71.91609922209578),
    ];

    #[test]
    fn seasonal_holt_winters_on_a_longer_series_matches_influxd() {
        let got = hw(&minutes(120), &floats(&BIG_V), 12, 12, true);
        assert_rows(&got, HW_BIG_12_12);
    }

    fn call_args(s: &str) -> Vec<Expr> {
        match almanac_influxql::parse_expr(s).unwrap() {
            Expr::Call { args, .. } => args,
            other => panic!("not a call: {other:?}"),
        }
    }

    fn ta_err(s: &str) -> String {
        let Ok(Expr::Call { name, args }) = almanac_influxql::parse_expr(s) else {
            panic!("not a call: {s}");
        };
        parse_ta_args(&name, &args).unwrap_err().to_string()
    }

    #[test]
    fn parse_ta_args_defaults_and_values() {
        let a = parse_ta_args("exponential_moving_average", &call_args("f(v, 10)")).unwrap();
        assert_eq!(a, args(10, None, Exp));
        let a = parse_ta_args(
            "exponential_moving_average",
            &call_args("f(v, 10, 5, 'simple')"),
        )
        .unwrap();
        assert_eq!(a, args(10, Some(5), Simple));
        let a = parse_ta_args("chande_momentum_oscillator", &call_args("f(v, 3, -1)")).unwrap();
        assert_eq!(a, args(3, None, Warmup::None));
        let a = parse_ta_args(
            "chande_momentum_oscillator",
            &call_args("f(v, 3, 0, 'exponential')"),
        )
        .unwrap();
        assert_eq!(a, args(3, Some(0), Exp));
        let a = parse_ta_args("kaufmans_efficiency_ratio", &call_args("f(v, 3, 2)")).unwrap();
        assert_eq!(a, args(3, Some(2), Exp));
    }

    /// Messages as influxd 1.6.7 answers them.
    #[test]
    fn parse_ta_args_errors_match_influxd() {
        let cases = [
            ("exponential_moving_average(v)", "invalid number of arguments for exponential_moving_average, expected at least 2 but no more than 4, got 1"),
            ("exponential_moving_average(v, 1, 2, 'simple', 5)", "invalid number of arguments for exponential_moving_average, expected at least 2 but no more than 4, got 5"),
            ("exponential_moving_average(v, 0)", "exponential_moving_average period must be greater than or equal to 1"),
            ("exponential_moving_average(v, 2.5)", "exponential_moving_average period must be an integer"),
            ("exponential_moving_average(v, 2, -2)", "exponential_moving_average hold period must be greater than or equal to 0"),
            ("triple_exponential_derivative(v, 2, 0)", "triple_exponential_derivative hold period must be greater than or equal to 1"),
            ("exponential_moving_average(v, 2, 'x')", "exponential_moving_average hold period must be an integer"),
            ("exponential_moving_average(v, 2, 1, 'none')", "exponential_moving_average warmup type must be one of: 'exponential' 'simple'"),
            ("exponential_moving_average(v, 2, 1, 3)", "exponential_moving_average warmup type must be a string"),
            ("kaufmans_efficiency_ratio(v, 2, 1, 'simple')", "invalid number of arguments for kaufmans_efficiency_ratio, expected at least 2 but no more than 3, got 4"),
            ("chande_momentum_oscillator(v, 2, 1, 'bogus')", "chande_momentum_oscillator warmup type must be one of: 'none' 'exponential' 'simple'"),
        ];
        for (q, want) in cases {
            assert_eq!(ta_err(q), want, "{q}");
        }
    }

    #[test]
    fn parse_holt_winters_args_errors_match_influxd() {
        let hw_err = |s: &str| {
            parse_holt_winters_args("holt_winters", &call_args(s))
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            parse_holt_winters_args("holt_winters", &call_args("f(mean(v), 10, 4)")).unwrap(),
            (10, 4)
        );
        assert_eq!(
            hw_err("f(mean(v), 0, 1)"),
            "second arg to holt_winters must be greater than 0, got 0"
        );
        assert_eq!(
            hw_err("f(mean(v), 1, -1)"),
            "third arg to holt_winters cannot be negative, got -1"
        );
        assert_eq!(
            hw_err("f(mean(v), 1)"),
            "invalid number of arguments for holt_winters, expected 3, got 2"
        );
        assert_eq!(
            hw_err("f(mean(v), 'a', 1)"),
            "expected integer argument as second arg in holt_winters"
        );
        assert_eq!(
            hw_err("f(mean(v), 1, 1.5)"),
            "expected integer argument as third arg in holt_winters"
        );
    }

    #[test]
    fn cmo_period_one_without_warmup_is_an_error() {
        // influxd 1.6.7 panics (index out of range) on this query.
        let err = technical_analysis(
            "chande_momentum_oscillator",
            &minutes(3),
            &floats(&M_V[..3]),
            &args(1, None, Warmup::None),
        )
        .unwrap_err();
        assert!(err.to_string().contains("period"), "{err}");
    }

    #[test]
    fn wrong_types_and_shapes_are_errors() {
        let strings = vec![Value::from("a"), Value::from("b")];
        let err = technical_analysis(
            "exponential_moving_average",
            &minutes(2),
            &strings,
            &args(2, None, Exp),
        )
        .unwrap_err();
        assert!(err
            .to_string()
            .starts_with("unsupported exponential moving average iterator type"));
        assert!(technical_analysis("nope", &[], &[], &args(2, None, Exp)).is_err());
        assert!(
            technical_analysis("exponential_moving_average", &[1], &[], &args(2, None, Exp))
                .is_err()
        );
        assert!(holt_winters(&minutes(2), &strings, 60 * NS, 1, 0, false).is_err());
        assert!(holt_winters(&minutes(2), &floats(&M_V[..2]), 0, 1, 0, false).is_err());
    }

    #[test]
    fn holt_winters_too_few_points_or_huge_horizon() {
        let m = floats(&M_V);
        assert!(hw(&[], &[], 3, 0, true).is_empty());
        // Fewer points than a season.
        assert!(hw(&minutes(3), &m[..3], 3, 4, false).is_empty());
        // All points in one interval.
        let same = [0, 1, 2];
        assert!(holt_winters(&same, &m[..3], 60 * NS, 2, 0, false)
            .unwrap()
            .is_empty());
        // A horizon too large to hold is an error, not an abort.
        assert!(holt_winters(&minutes(3), &m[..3], 60 * NS, usize::MAX, 0, false).is_err());
        // Points far apart would need too many intervals.
        let far = [0, i64::MAX / 2];
        assert!(holt_winters(&far, &m[..2], 1, 1, 0, false).is_err());
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        fn value() -> impl Strategy<Value = Value> {
            prop_oneof![
                Just(Value::Null),
                any::<f64>().prop_map(Value::Float),
                (-1000.0f64..1000.0).prop_map(Value::Float),
                any::<i64>().prop_map(Value::Integer),
                any::<u64>().prop_map(Value::Unsigned),
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(64))]

            #[test]
            fn technical_analysis_never_panics(
                values in proptest::collection::vec(value(), 0..40),
                f in 0usize..8,
                period in prop_oneof![0usize..6, Just(usize::MAX)],
                hold in proptest::option::of(prop_oneof![0usize..6, Just(usize::MAX)]),
                w in 0usize..3,
            ) {
                let name = almanac_influxql::TECHNICAL_ANALYSIS_FUNCTIONS[f];
                let warmup = [Warmup::Exponential, Warmup::Simple, Warmup::None][w];
                let times: Vec<i64> = (0..values.len() as i64).collect();
                let a = TaArgs { period, hold_period: hold, warmup };
                if let Ok(out) = technical_analysis(name, &times, &values, &a) {
                    prop_assert_eq!(out.len(), values.len());
                }
            }

            #[test]
            fn holt_winters_never_panics(
                points in proptest::collection::vec((-1_000i64..1_000, value()), 0..12),
                interval in prop_oneof![Just(i64::MIN), -5i64..50, Just(i64::MAX)],
                n in prop_oneof![0usize..4, Just(usize::MAX)],
                s in prop_oneof![0usize..5, Just(usize::MAX)],
                fit in any::<bool>(),
            ) {
                let (mut times, values): (Vec<i64>, Vec<Value>) = points.into_iter().unzip();
                times.sort_unstable();
                let _ = holt_winters(&times, &values, interval, n, s, fit);
            }
        }
    }
}
