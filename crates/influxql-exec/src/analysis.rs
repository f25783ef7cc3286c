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
//! in 1.6.7 (here it is an error).

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
            Value::String(_) | Value::Boolean(_) | Value::Time(_) => {
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
    }
}

// ---------------------------------------------------------------------------
// Go's math.Pow for integral exponents
// ---------------------------------------------------------------------------

/// Splits `x` into a mantissa in [0.5, 1) and a power of two (Go's `Frexp`).
fn frexp(x: f64) -> (f64, i64) {
    if x == 0.0 || !x.is_finite() {
        return (x, 0);
    }
    let (x, e) = if x.abs() < f64::MIN_POSITIVE {
        (x * (1u64 << 52) as f64, -52)
    } else {
        (x, 0)
    };
    let bits = x.to_bits();
    let exp = e + ((bits >> 52) & 0x7ff) as i64 - 1022;
    let bits = (bits & !(0x7ffu64 << 52)) | (1022u64 << 52);
    (f64::from_bits(bits), exp)
}

/// `frac * 2^exp` rounded once, as Go's `Ldexp`.
fn ldexp(frac: f64, exp: i64) -> f64 {
    if frac == 0.0 || !frac.is_finite() {
        return frac;
    }
    let (frac, e) = frexp(frac);
    let exp = exp.saturating_add(e);
    // frac is in [0.5, 1): frac * 2^exp has the biased exponent exp + 1022.
    if exp < -1074 {
        return 0.0f64.copysign(frac);
    }
    if exp > 1024 {
        return f64::INFINITY.copysign(frac);
    }
    let (exp, m) = if exp < -1021 {
        (exp + 53, 1.0 / (1u64 << 53) as f64)
    } else {
        (exp, 1.0)
    };
    let bits = (frac.to_bits() & !(0x7ffu64 << 52)) | (((exp + 1022) as u64) << 52);
    m * f64::from_bits(bits)
}

/// Go's `math.Pow(x, float64(n))` for `n >= 1`, bit for bit.
fn go_pow_int(x: f64, n: u64) -> f64 {
    if n == 0 || x == 1.0 {
        return 1.0;
    }
    if n == 1 {
        return x;
    }
    if x.is_nan() {
        return f64::NAN;
    }
    let odd = n % 2 == 1;
    if x == 0.0 {
        return if odd { x } else { 0.0 };
    }
    if x.is_infinite() {
        return if x < 0.0 && odd {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        };
    }
    let (mut x1, mut xe) = frexp(x);
    let (mut a1, mut ae) = (1.0f64, 0i64);
    let mut i = n;
    while i != 0 {
        if !(-(1 << 12)..=(1 << 12)).contains(&xe) {
            ae += xe;
            break;
        }
        if i & 1 == 1 {
            a1 *= x1;
            ae += xe;
        }
        x1 *= x1;
        xe <<= 1;
        if x1 < 0.5 {
            x1 += x1;
            xe -= 1;
        }
        i >>= 1;
    }
    ldexp(a1, ae)
}

// ---------------------------------------------------------------------------
// Nelder–Mead (InfluxDB's query/neldermead)
// ---------------------------------------------------------------------------

const NM_MAX_ITERATIONS: usize = 1000;
const NM_REFLECTION: f64 = 1.0;
const NM_CONTRACTION: f64 = 0.5;
const NM_EXPANSION: f64 = 2.0;

/// Minimises `objective` from `start` with InfluxDB's simplex method and
/// settings; returns (objective at the result, result). The objective may
/// modify the point it is given, and those changes stay in the simplex.
fn nelder_mead<F>(mut objective: F, start: &[f64], epsilon: f64, scale: f64) -> (f64, Vec<f64>)
where
    F: FnMut(&mut [f64]) -> f64,
{
    let n = start.len();
    if n == 0 {
        let mut empty = Vec::new();
        return (objective(&mut empty), empty);
    }
    let nf = n as f64;
    let mut v = vec![start.to_vec(); n + 1];
    let mut f = vec![0.0; n + 1];
    let mut vr = vec![0.0; n];
    let mut ve = vec![0.0; n];
    let mut vc = vec![0.0; n];
    let mut vm = vec![0.0; n];

    let pn = scale * ((nf + 1.0).sqrt() - 1.0 + nf) / (nf * 2f64.sqrt());
    let qn = scale * ((nf + 1.0).sqrt() - 1.0) / (nf * 2f64.sqrt());
    for (i, row) in v.iter_mut().enumerate().skip(1) {
        for (j, x) in row.iter_mut().enumerate() {
            *x = if i - 1 == j {
                pn + start[j]
            } else {
                qn + start[j]
            };
        }
    }
    for j in 0..=n {
        f[j] = objective(&mut v[j]);
    }

    for _ in 0..NM_MAX_ITERATIONS {
        // Largest (vg), smallest (vs) and second largest (vh) values.
        let (mut vg, mut vs) = (0, 0);
        for i in 0..=n {
            if f[i] > f[vg] {
                vg = i;
            }
            if f[i] < f[vs] {
                vs = i;
            }
        }
        let mut vh = vs;
        for i in 0..=n {
            if f[i] > f[vh] && f[i] < f[vg] {
                vh = i;
            }
        }

        for i in 0..n {
            let mut cent = 0.0;
            for (m, row) in v.iter().enumerate() {
                if m != vg {
                    cent += row[i];
                }
            }
            vm[i] = cent / nf;
        }

        for i in 0..n {
            vr[i] = vm[i] + NM_REFLECTION * (vm[i] - v[vg][i]);
        }
        let fr = objective(&mut vr);

        if fr < f[vh] && fr >= f[vs] {
            v[vg].copy_from_slice(&vr);
            f[vg] = fr;
        }

        if fr < f[vs] {
            for i in 0..n {
                ve[i] = vm[i] + NM_EXPANSION * (vr[i] - vm[i]);
            }
            let fe = objective(&mut ve);
            // Comparing with fr rather than f[vs], as InfluxDB does.
            if fe < fr {
                v[vg].copy_from_slice(&ve);
                f[vg] = fe;
            } else {
                v[vg].copy_from_slice(&vr);
                f[vg] = fr;
            }
        }

        if fr >= f[vh] {
            if fr < f[vg] && fr >= f[vh] {
                // Outside contraction.
                for i in 0..n {
                    vc[i] = vm[i] + NM_CONTRACTION * (vr[i] - vm[i]);
                }
            } else {
                // Inside contraction.
                for i in 0..n {
                    vc[i] = vm[i] - NM_CONTRACTION * (vm[i] - v[vg][i]);
                }
            }
            let fc = objective(&mut vc);
            if fc < f[vg] {
                v[vg].copy_from_slice(&vc);
                f[vg] = fc;
            } else {
                // Shrink towards the best vertex; InfluxDB re-evaluates
                // only the worst and second-worst vertices.
                let best = v[vs].clone();
                for (row, vertex) in v.iter_mut().enumerate() {
                    if row != vs {
                        for i in 0..n {
                            vertex[i] = best[i] + (vertex[i] - best[i]) / 2.0;
                        }
                    }
                }
                f[vg] = objective(&mut v[vg]);
                f[vh] = objective(&mut v[vh]);
            }
        }

        // Converged when the values' standard deviation is below epsilon.
        let mut fsum = 0.0;
        for x in &f {
            fsum += *x;
        }
        let favg = fsum / (n + 1) as f64;
        let mut s = 0.0;
        for x in &f {
            let d = *x - favg;
            s += d * d / nf;
        }
        if s.sqrt() < epsilon {
            break;
        }
    }

    let mut vs = 0;
    for i in 0..=n {
        if f[i] < f[vs] {
            vs = i;
        }
    }
    let parameters = v[vs].clone();
    let min = objective(&mut v[vs]);
    (min, parameters)
}

// ---------------------------------------------------------------------------
// Holt-Winters
// ---------------------------------------------------------------------------

/// Weight of the initial level and trend guesses (non-seasonal).
const HW_WEIGHT: f64 = 0.5;
/// Convergence bound of the optimiser.
const HW_EPSILON: f64 = 1.0e-4;
/// Grid of starting alpha, beta, gamma and phi: 0.3, 0.7.
const HW_GUESS_LOWER: f64 = 0.3;
const HW_GUESS_UPPER: f64 = 1.0;
const HW_GUESS_STEP: f64 = 0.4;
/// Largest series (fitted plus forecast points) computed, to bound memory.
const HW_MAX_POINTS: usize = 10_000_000;

/// The fitted series and model shape of one Holt-Winters run.
struct HoltWintersModel<'a> {
    y: &'a [f64],
    seasonal: bool,
}

impl HoltWintersModel<'_> {
    /// Clamps alpha, beta, gamma and phi into [0, 1] in place.
    fn constrain(x: &mut [f64]) {
        for p in x.iter_mut().take(4) {
            if *p > 1.0 {
                *p = 1.0;
            }
            if *p < 0.0 {
                *p = 0.0;
            }
        }
    }

    /// Runs the damped recurrences over the series and `h` points beyond.
    /// Like InfluxDB, it clamps `params` and uses its seasonal part as the
    /// ring buffer of seasonal factors, leaving it modified.
    fn forecast(&self, h: usize, params: &mut [f64]) -> Vec<f64> {
        Self::constrain(params);
        let (alpha, beta, gamma, phi) = (params[0], params[1], params[2], params[3]);
        let mut y_t = self.y[0];
        let mut phi_h = phi;
        let mut l_t = params[4];
        let mut b_t = params[5];
        let seasonals = &mut params[6..];
        let m = seasonals.len();
        let mut so = 0;
        if self.seasonal {
            if m == 1 {
                seasonals[0] = 1.0;
            }
            so = m - 1;
        }
        let l = self.y.len();
        let mut forecasted = vec![0.0; l + h];
        forecasted[0] = y_t;
        let (mut stm, mut stmh) = (1.0, 1.0);
        for t in 1..l + h {
            if self.seasonal {
                let hm = t % m;
                stm = seasonals[(t + so - m) % m];
                stmh = seasonals[(t + so + hm - m) % m];
            }
            let l_prev = l_t;
            l_t = alpha * (y_t / stm) + (1.0 - alpha) * (l_prev + phi * b_t);
            let b_next = beta * (l_t - l_prev) + (1.0 - beta) * phi * b_t;
            let s_t = gamma * (y_t / (l_prev + phi * b_t)) + (1.0 - gamma) * stm;
            b_t = b_next;
            y_t = (l_t + phi_h * b_t) * stmh;
            phi_h += go_pow_int(phi, t as u64);
            if self.seasonal {
                seasonals[(t + so) % m] = s_t;
                so += 1;
            }
            forecasted[t] = y_t;
        }
        forecasted
    }

    /// Sum of squared errors of the fit (infinite if it produced a NaN).
    fn sse(&self, params: &mut [f64]) -> f64 {
        let forecasted = self.forecast(0, params);
        let mut sse = 0.0;
        for (f, y) in forecasted.iter().zip(self.y) {
            if !y.is_nan() {
                if f.is_nan() {
                    return f64::INFINITY;
                }
                let diff = f - y;
                sse += diff * diff;
            }
        }
        sse
    }
}

/// Forecasts `n` points after a series of window results with the damped
/// Holt-Winters method, as InfluxDB's `holt_winters(agg, n, seasonal)`.
///
/// `times`/`values` are the windows of one series in time order (nulls are
/// skipped), `interval` the `GROUP BY time` interval in ns, `seasonal` the
/// season length in windows (below 2: no season). Returns the predicted
/// points; with `with_fit`, first the fitted values for the windows from the
/// first one on. Too few values (under 2, or under one season) give nothing.
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
    if interval <= 0 {
        return Err(query_err(format!(
            "{name} aggregate requires a GROUP BY interval"
        )));
    }
    let mut points = Vec::with_capacity(values.len());
    for (t, v) in times.iter().zip(values) {
        match v {
            Value::Null => {}
            Value::Float(_) | Value::Integer(_) | Value::Unsigned(_) => {
                points.push((*t, as_f64(v).unwrap_or(0.0)))
            }
            Value::String(_) | Value::Boolean(_) | Value::Time(_) => {
                return Err(query_err(format!(
                    "unsupported holt winters iterator type: {}",
                    type_name(v)
                )))
            }
        }
    }
    let m = seasonal;
    let is_seasonal = m >= 2;
    let h = n;
    if points.len() < 2 || (is_seasonal && points.len() < m) || h == 0 {
        return Ok(Vec::new());
    }
    let half = interval / 2;
    let round = |t: i64| -> i64 {
        if t % interval > half {
            (t / interval).wrapping_add(1).wrapping_mul(interval)
        } else {
            (t / interval).wrapping_mul(interval)
        }
    };
    let first = points[0];
    let last = points[points.len() - 1];
    let (start, stop) = (round(first.0), round(last.0));
    if stop.wrapping_sub(start) / interval <= 0 {
        return Ok(Vec::new());
    }

    // One value per interval from the first point on; NaN where missing.
    let mut y = vec![first.1];
    let mut t = start;
    for p in &points[1..] {
        let rounded = round(p.0);
        if rounded <= t {
            // Values in an interval already filled are dropped.
            continue;
        }
        t = t.wrapping_add(interval);
        while rounded > t {
            y.push(f64::NAN);
            t = t.wrapping_add(interval);
            if y.len() > HW_MAX_POINTS {
                return Err(too_many(name));
            }
        }
        y.push(p.1);
        t = rounded;
        if y.len() > HW_MAX_POINTS {
            return Err(too_many(name));
        }
    }
    if y.len().saturating_add(h) > HW_MAX_POINTS {
        return Err(too_many(name));
    }
    if is_seasonal && y.len() < m {
        // InfluxDB indexes past the end of its series here and panics.
        return Err(query_err(format!(
            "{name}: fewer intervals ({}) than the season ({m})",
            y.len()
        )));
    }

    // Initial guesses (missing values are skipped).
    let mut l0 = 0.0;
    let mut b0 = 0.0;
    let mut s = Vec::new();
    if is_seasonal {
        for yi in &y[..m] {
            if !yi.is_nan() {
                l0 += (1.0 / m as f64) * yi;
            }
        }
        let mut i = 0;
        while i < m && m + i < y.len() {
            if !y[i].is_nan() && !y[m + i].is_nan() {
                b0 += 1.0 / m.saturating_mul(m) as f64 * (y[m + i] - y[i]);
            }
            i += 1;
        }
        s = y[..m]
            .iter()
            .map(|yi| if yi.is_nan() { 0.0 } else { yi / l0 })
            .collect();
    } else {
        l0 += HW_WEIGHT * y[0];
        if !y[1].is_nan() {
            b0 = HW_WEIGHT * (y[1] - y[0]);
        }
    }
    let mut parameters = vec![0.0; 6 + s.len()];
    parameters[4] = l0;
    parameters[5] = b0;
    parameters[6..].copy_from_slice(&s);

    let model = HoltWintersModel {
        y: &y,
        seasonal: is_seasonal,
    };
    let mut min_sse = f64::INFINITY;
    let mut best: Option<Vec<f64>> = None;
    let mut alpha = HW_GUESS_LOWER;
    while alpha < HW_GUESS_UPPER {
        let mut beta = HW_GUESS_LOWER;
        while beta < HW_GUESS_UPPER {
            let mut gamma = HW_GUESS_LOWER;
            while gamma < HW_GUESS_UPPER {
                let mut phi = HW_GUESS_LOWER;
                while phi < HW_GUESS_UPPER {
                    parameters[0] = alpha;
                    parameters[1] = beta;
                    parameters[2] = gamma;
                    parameters[3] = phi;
                    let (sse, params) =
                        nelder_mead(|p| model.sse(p), &parameters, HW_EPSILON, 1.0);
                    if sse < min_sse || best.is_none() {
                        min_sse = sse;
                        best = Some(params);
                    }
                    phi += HW_GUESS_STEP;
                }
                gamma += HW_GUESS_STEP;
            }
            beta += HW_GUESS_STEP;
        }
        alpha += HW_GUESS_STEP;
    }
    let mut best = best.unwrap_or(parameters);

    let forecasted = model.forecast(h, &mut best);
    let mut out = Vec::with_capacity(if with_fit { forecasted.len() } else { h });
    if with_fit {
        for (i, v) in forecasted.iter().enumerate() {
            if !v.is_nan() {
                let t = first.0.wrapping_add(interval.wrapping_mul(i as i64));
                out.push((t, Value::Float(*v)));
            }
        }
    } else {
        for (i, v) in forecasted[y.len()..].iter().enumerate() {
            if !v.is_nan() {
                let t = last
                    .0
                    .wrapping_add(interval.wrapping_mul(i as i64 + 1));
                out.push((t, Value::Float(*v)));
            }
        }
    }
    Ok(out)
}

fn too_many(name: &str) -> ExecError {
    query_err(format!(
        "not supported yet: {name} over more than {HW_MAX_POINTS} intervals"
    ))
}
