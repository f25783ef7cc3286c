//! Built-in anomaly detection, called like UDFs: `@zScore()` and `@mad()`.
//!
//! Each point's `.field()` value is scored against a rolling window of the
//! previous `.size()` values of its group (with `.season(n)`, only values a
//! whole number of seasons back, i.e. every n-th earlier point):
//!
//! - `zScore`: (x − mean) / sample standard deviation;
//! - `mad`: (x − median) / (1.4826 · median absolute deviation), the
//!   robust "modified z-score" (falls back to 1.2533 · mean absolute
//!   deviation when the MAD is 0).
//!
//! The point goes on with two more fields: the signed score (`.as()`,
//! default `anomaly_score`) and whether |score| > `.threshold()` (`.flag()`,
//! default `is_anomaly`). Until `.warmup()` earlier values exist (default:
//! the window size) the score is 0 and the flag false. A constant window
//! and a different value score ±f64::MAX. Batches are scored point by point
//! with the same per-group history; points without a numeric field are
//! dropped (a lone point without it is an error).

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use super::influxql::GroupMap;
use super::{args, Node, NodeCtx, NodeError};
use crate::model::{FieldValue, Msg, Point};
use crate::tick::pipeline::NodeDef;
use crate::tick::TickError;
use crate::udf::proto::ValueType;
use crate::udf::Signature;

/// Scoring method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Mean and standard deviation.
    ZScore,
    /// Median and median absolute deviation.
    Mad,
}

impl Method {
    fn from_name(name: &str) -> Option<Method> {
        match name {
            "zScore" => Some(Method::ZScore),
            "mad" => Some(Method::Mad),
            _ => None,
        }
    }

    fn default_threshold(self) -> f64 {
        match self {
            Method::ZScore => 3.0,
            Method::Mad => 3.5,
        }
    }
}

/// The signature of built-in `name`, if it is one (it takes any edge type and keeps it).
pub fn signature(name: &str) -> Option<Signature> {
    Method::from_name(name)?;
    let opts: BTreeMap<String, Vec<ValueType>> = [
        ("field", ValueType::String),
        ("size", ValueType::Int),
        ("warmup", ValueType::Int),
        ("threshold", ValueType::Double),
        ("season", ValueType::Int),
        ("as", ValueType::String),
        ("flag", ValueType::String),
    ]
    .into_iter()
    .map(|(k, t)| (k.to_string(), vec![t]))
    .collect();
    Some(Signature {
        wants: None,
        provides: None,
        options: opts,
    })
}

/// An anomaly detector node.
pub struct AnomalyNode {
    method: Method,
    field: String,
    size: usize,
    warmup: usize,
    threshold: f64,
    season: usize,
    score_field: String,
    flag_field: String,
    history: GroupMap<VecDeque<f64>>,
    anomalies: u64,
}

impl AnomalyNode {
    /// Builds from `@zScore()` / `@mad()` and their options.
    pub fn new(def: &NodeDef) -> Result<AnomalyNode, TickError> {
        let name = def.kind.trim_start_matches('@');
        let method = Method::from_name(name).ok_or_else(|| {
            TickError::at(def.pos, format!("no built-in anomaly detector {name}"))
        })?;
        let mut field = None;
        let mut size = 30i64;
        let mut warmup = None;
        let mut threshold = method.default_threshold();
        let mut season = 1i64;
        let mut score_field = "anomaly_score".to_string();
        let mut flag_field = "is_anomaly".to_string();
        for p in &def.props {
            let a = args::get(&p.args, 0, p.pos, &p.name)?;
            match p.name.as_str() {
                "field" => field = Some(args::string(a, "field")?),
                "size" => size = args::int(a, "size")?,
                "warmup" => warmup = Some((args::int(a, "warmup")?, a.pos)),
                "threshold" => threshold = args::float(a, "threshold")?,
                "season" => season = args::int(a, "season")?,
                "as" => score_field = args::string(a, "as")?,
                "flag" => flag_field = args::string(a, "flag")?,
                other => {
                    return Err(TickError::at(
                        p.pos,
                        format!("no option \"{other}\" on @{name}"),
                    ))
                }
            }
            let required = match p.name.as_str() {
                "threshold" if threshold <= 0.0 || threshold.is_nan() => Some("> 0"),
                "size" if size < 2 => Some(">= 2"),
                "season" if season < 1 => Some(">= 1"),
                _ => None,
            };
            if let Some(required) = required {
                return Err(TickError::at(
                    a.pos,
                    format!("@{name}().{} must be {required}", p.name),
                ));
            }
        }
        let field = field.ok_or_else(|| {
            TickError::at(def.pos, format!("@{name}() needs .field('name') to score"))
        })?;
        let warmup = match warmup {
            None => size,
            Some((w, pos)) => {
                if w < 2 || w > size {
                    return Err(TickError::at(
                        pos,
                        format!("@{name}().warmup must be between 2 and the size ({size})"),
                    ));
                }
                w
            }
        };
        if score_field == flag_field {
            return Err(TickError::at(
                def.pos,
                format!("@{name}(): .as() and .flag() name the same field"),
            ));
        }
        Ok(AnomalyNode {
            method,
            field,
            size: size as usize,
            warmup: warmup as usize,
            threshold,
            season: season as usize,
            score_field,
            flag_field,
            history: GroupMap::new(),
            anomalies: 0,
        })
    }

    /// Scores `p` against its group's history and adds it to the history.
    fn score(&mut self, group: &str, mut p: Point) -> Option<Point> {
        let x = p.fields.get(&self.field).and_then(FieldValue::as_f64)?;
        let cap = self.size * self.season;
        let hist = self.history.entry(group.to_string()).or_default();
        // Values k seasons back, k = 1..=size (newest last in `hist`).
        let reference: Vec<f64> = (1..=self.size)
            .map_while(|k| hist.len().checked_sub(k * self.season).map(|i| hist[i]))
            .collect();
        let score = if reference.len() < self.warmup {
            0.0
        } else {
            match self.method {
                Method::ZScore => z_score(x, &reference),
                Method::Mad => mad_score(x, &reference),
            }
        };
        if hist.len() == cap {
            hist.pop_front();
        }
        hist.push_back(x);
        let anomalous = score.abs() > self.threshold;
        if anomalous {
            self.anomalies += 1;
        }
        let fields = Arc::make_mut(&mut p.fields);
        fields.insert(self.score_field.as_str().into(), FieldValue::Float(score));
        fields.insert(self.flag_field.as_str().into(), FieldValue::Bool(anomalous));
        Some(p)
    }
}

/// `dev / scale`, or ±f64::MAX when the scale is 0 and the value differs.
fn ratio(dev: f64, scale: f64) -> f64 {
    if scale > 0.0 {
        dev / scale
    } else if dev == 0.0 {
        0.0
    } else {
        dev.signum() * f64::MAX
    }
}

fn z_score(x: f64, r: &[f64]) -> f64 {
    let n = r.len() as f64;
    let mean = r.iter().sum::<f64>() / n;
    let var = r.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    ratio(x - mean, var.sqrt())
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn mad_score(x: f64, r: &[f64]) -> f64 {
    let mut v = r.to_vec();
    let med = median(&mut v);
    let mut dev: Vec<f64> = r.iter().map(|y| (y - med).abs()).collect();
    let mad = median(&mut dev);
    let scale = if mad > 0.0 {
        1.4826 * mad
    } else {
        1.2533 * dev.iter().sum::<f64>() / dev.len() as f64
    };
    ratio(x - med, scale)
}

impl Node for AnomalyNode {
    fn process(&mut self, _: &NodeCtx<'_>, msg: Msg, out: &mut Vec<Msg>) -> Result<(), NodeError> {
        match msg {
            Msg::Point(p) => {
                let g = p.group_id();
                match self.score(&g, p) {
                    Some(p) => out.push(Msg::Point(p)),
                    None => {
                        return Err(NodeError(format!(
                            "field {:?} is missing or not numeric",
                            self.field
                        )))
                    }
                }
            }
            Msg::Batch(mut b) => {
                let g = b.group_id();
                let points = std::mem::take(&mut b.points);
                b.points = points
                    .into_iter()
                    .filter_map(|p| self.score(&g, p))
                    .collect();
                out.push(Msg::Batch(b));
            }
        }
        Ok(())
    }

    fn counters(&self) -> Vec<(&'static str, u64)> {
        vec![("anomalies", self.anomalies)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Fields, Tags};

    fn node(script: &str) -> AnomalyNode {
        let p = crate::tick::pipeline::evaluate(
            &crate::tick::parse(script).unwrap(),
            &Default::default(),
        )
        .unwrap();
        AnomalyNode::new(p.nodes.last().unwrap()).unwrap()
    }

    fn run(n: &mut AnomalyNode, values: &[f64]) -> Vec<(f64, bool)> {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let mut f = Fields::new();
                f.insert("v".into(), FieldValue::Float(*v));
                let p = n
                    .score("nil", Point::new("db", "rp", "m", Tags::new(), f, i as i64))
                    .unwrap();
                let FieldValue::Float(s) = p.fields["anomaly_score"] else {
                    panic!()
                };
                let FieldValue::Bool(a) = p.fields["is_anomaly"] else {
                    panic!()
                };
                (s, a)
            })
            .collect()
    }

    #[test]
    fn z_score_golden() {
        // Window of 4 previous values: [10, 12, 10, 12] → mean 11, sample sd 1.1547.
        let mut n = node("stream|from()@zScore().field('v').size(4).threshold(3.0)");
        let got = run(&mut n, &[10.0, 12.0, 10.0, 12.0, 11.0, 30.0, 11.0]);
        assert_eq!(got[..4], [(0.0, false); 4]);
        assert_eq!(got[4], (0.0, false));
        // [12, 10, 12, 11]: mean 11.25, sd 0.9574 → (30 − 11.25) / 0.9574 = 19.58.
        assert!((got[5].0 - 19.5836).abs() < 1e-3, "{:?}", got[5]);
        assert!(got[5].1);
        // [10, 12, 11, 30]: mean 15.75, sd 9.5350 → −0.4982.
        assert!((got[6].0 + 0.4982).abs() < 1e-3, "{:?}", got[6]);
        assert!(!got[6].1);
        assert_eq!(n.anomalies, 1);
    }

    #[test]
    fn mad_golden_is_robust_to_earlier_outliers() {
        let mut n = node("stream|from()@mad().field('v').size(5)");
        let got = run(&mut n, &[10.0, 11.0, 100.0, 9.0, 10.0, 12.0, 10.5]);
        // Window [10, 11, 100, 9, 10]: median 10, MAD 1 → (12 − 10) / 1.4826 = 1.349.
        assert!((got[5].0 - 1.3490).abs() < 1e-3, "{:?}", got[5]);
        assert!(!got[5].1);
        // A spike against [100, 9, 10, 12, 10.5]: median 10.5, MAD 1.5 → (40 − 10.5) / 2.2239.
        let got = run(&mut n, &[40.0]);
        assert!((got[0].0 - 13.2650).abs() < 1e-3, "{:?}", got[0]);
        assert!(got[0].1);
    }

    #[test]
    fn seasonal_window_and_constant_history() {
        // Season 2: odd and even positions alternate between two levels.
        let mut n = node("stream|from()@zScore().field('v').size(3).season(2).warmup(2)");
        let got = run(&mut n, &[1.0, 100.0, 2.0, 101.0, 1.0, 100.0, 2.0, 160.0]);
        // Last point: compared with [100, 101, 100] only (sd 0.577) → ~103.
        assert!(got[7].0 > 50.0 && got[7].1, "{:?}", got[7]);
        // Index 6 (2.0) against [1, 2, 1]: (2 − 1.333)/0.577 = 1.155.
        assert!((got[6].0 - 1.1547).abs() < 1e-3, "{:?}", got[6]);
        let mut n = node("stream|from()@mad().field('v').size(3)");
        let got = run(&mut n, &[5.0, 5.0, 5.0, 5.0, 6.0]);
        assert_eq!(got[3], (0.0, false));
        assert_eq!(got[4], (f64::MAX, true));
    }

    #[test]
    fn option_errors_name_their_place() {
        let p = crate::tick::pipeline::evaluate(
            &crate::tick::parse("stream|from()@zScore().field('v').size(1)").unwrap(),
            &Default::default(),
        )
        .unwrap();
        let e = AnomalyNode::new(p.nodes.last().unwrap()).err().unwrap();
        assert_eq!(e.to_string(), "line 1 char 40: @zScore().size must be >= 2");
        let e = crate::tick::pipeline::evaluate(
            &crate::tick::parse("stream|from()@zScore().field('v').threshold(3)").unwrap(),
            &Default::default(),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 1 char 45: unexpected arg to threshold, got INT expected DOUBLE"
        );
        let p = crate::tick::pipeline::evaluate(
            &crate::tick::parse("stream|from()@mad().size(5)").unwrap(),
            &Default::default(),
        )
        .unwrap();
        let e = AnomalyNode::new(p.nodes.last().unwrap()).err().unwrap();
        assert!(e.to_string().contains("needs .field('name')"), "{e}");
    }
}
