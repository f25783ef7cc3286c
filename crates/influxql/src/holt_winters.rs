//! InfluxQL's `holt_winters` and `holt_winters_with_fit` forecasts as
//! InfluxDB computes them (damped Holt-Winters fitted with its Nelder-Mead
//! optimiser and Go's `math.Pow`), over plain `(time, value)` points. Shared
//! by the InfluxQL executor and Kapacitor's `holtWinters` nodes.

/// A forecast that cannot be computed (the message names the function).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct HoltWintersError(pub String);

impl HoltWintersError {
    fn too_many(name: &str) -> HoltWintersError {
        HoltWintersError(format!(
            "not supported yet: {name} over more than {HW_MAX_POINTS} intervals"
        ))
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
        // Like Go's two comparisons, `clamp` leaves NaN as it is.
        for p in x.iter_mut().take(4) {
            *p = p.clamp(0.0, 1.0);
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

/// Forecasts `n` points after `points` (time-ordered `(time, value)`, one
/// series) with the damped Holt-Winters method, as InfluxDB's
/// `holt_winters(agg, n, seasonal)`; `name` is the function's name for
/// errors.
///
/// `interval` is the spacing of the series in ns, `seasonal` the season
/// length in intervals (below 2: no season). Returns the predicted points;
/// with `with_fit`, first the fitted values from the first point on. Too few
/// values (under 2, or under one season) give nothing.
pub fn forecast(
    name: &str,
    points: &[(i64, f64)],
    interval: i64,
    n: usize,
    seasonal: usize,
    with_fit: bool,
) -> Result<Vec<(i64, f64)>, HoltWintersError> {
    if interval <= 0 {
        return Err(HoltWintersError(format!(
            "{name} aggregate requires a GROUP BY interval"
        )));
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
                return Err(HoltWintersError::too_many(name));
            }
        }
        y.push(p.1);
        t = rounded;
        if y.len() > HW_MAX_POINTS {
            return Err(HoltWintersError::too_many(name));
        }
    }
    if y.len().saturating_add(h) > HW_MAX_POINTS {
        return Err(HoltWintersError::too_many(name));
    }
    if is_seasonal && y.len() < m {
        // InfluxDB indexes past the end of its series here and panics.
        return Err(HoltWintersError(format!(
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
                    let (sse, params) = nelder_mead(|p| model.sse(p), &parameters, HW_EPSILON, 1.0);
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
                out.push((t, *v));
            }
        }
    } else {
        for (i, v) in forecasted[y.len()..].iter().enumerate() {
            if !v.is_nan() {
                let t = last.0.wrapping_add(interval.wrapping_mul(i as i64 + 1));
                out.push((t, *v));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_pow_matches_repeated_multiplication_for_normal_results() {
        assert_eq!(go_pow_int(0.5, 3), 0.125);
        assert_eq!(go_pow_int(0.0, 3), 0.0);
        assert_eq!(go_pow_int(1.0, 1000), 1.0);
        assert!(go_pow_int(f64::NAN, 2).is_nan());
        assert_eq!(go_pow_int(-2.0, 3), -8.0);
        assert_eq!(go_pow_int(3.0, 4), 81.0);
        assert_eq!(go_pow_int(0.7, 2000), 0.7f64.powi(2000));
        assert!(go_pow_int(0.3, 1_000_000) >= 0.0);
        // Go rounds once into the subnormals and flushes below half the
        // smallest one.
        assert_eq!(ldexp(0.75, -1074), f64::from_bits(1));
        assert_eq!(ldexp(0.5, -1074), 0.0);
        assert_eq!(ldexp(0.5, -1073), f64::from_bits(1));
        let (m, e) = frexp(f64::from_bits(1));
        assert_eq!((m, e), (0.5, -1073));
    }
}
