//! Lambda expressions: compiled from the AST and evaluated against a point,
//! with Kapacitor's function library (stateless and stateful functions).

use std::sync::Arc;

use regex::Regex;

use crate::model::{format_duration, FieldValue, Fields, Tags};
use crate::tick::ast::Expr;

/// A lambda evaluation error.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct LambdaError(pub String);

fn err<T>(msg: impl Into<String>) -> Result<T, LambdaError> {
    Err(LambdaError(msg.into()))
}

/// A value inside a lambda.
#[derive(Debug, Clone)]
pub enum LValue {
    /// Float.
    Float(f64),
    /// Integer.
    Int(i64),
    /// String.
    Str(String),
    /// Boolean.
    Bool(bool),
    /// Duration (ns).
    Duration(i64),
    /// A time (ns since the epoch).
    Time(i64),
    /// A regex.
    Regex(Arc<Regex>),
}

impl LValue {
    fn type_name(&self) -> &'static str {
        match self {
            LValue::Float(_) => "float",
            LValue::Int(_) => "int",
            LValue::Str(_) => "string",
            LValue::Bool(_) => "bool",
            LValue::Duration(_) => "duration",
            LValue::Time(_) => "time",
            LValue::Regex(_) => "regex",
        }
    }

    /// Converts to a field value (for eval results); times become ints, regexes strings.
    pub fn to_field(&self) -> FieldValue {
        match self {
            LValue::Float(f) => FieldValue::Float(*f),
            LValue::Int(i) | LValue::Duration(i) | LValue::Time(i) => FieldValue::Int(*i),
            LValue::Str(s) => FieldValue::Str(s.clone()),
            LValue::Bool(b) => FieldValue::Bool(*b),
            LValue::Regex(r) => FieldValue::Str(r.as_str().to_string()),
        }
    }

    fn from_field(v: &FieldValue) -> LValue {
        match v {
            FieldValue::Float(f) => LValue::Float(*f),
            FieldValue::Int(i) => LValue::Int(*i),
            FieldValue::UInt(u) => LValue::Int(*u as i64),
            FieldValue::Str(s) => LValue::Str(s.clone()),
            FieldValue::Bool(b) => LValue::Bool(*b),
        }
    }
}

#[derive(Debug, Clone)]
enum Node {
    Lit(LValue),
    Ref(String),
    Unary(&'static str, Box<Node>),
    Binary(&'static str, Box<Node>, Box<Node>),
    Call(String, Vec<Node>, usize),
}

/// State of a stateful function call site.
#[derive(Debug, Clone, Default)]
struct FnState {
    count: i64,
    mean: f64,
    m2: f64,
    min: f64,
    max: f64,
}

/// A compiled lambda; stateful functions (`sigma`, `count`, `spread`) keep
/// their state in it, so each node owns its lambdas.
#[derive(Debug, Clone)]
pub struct Lambda {
    root: Node,
    states: Vec<FnState>,
    text: String,
}

/// Functions known to lambdas (used for the define-time check).
const FUNCTIONS: &[&str] = &[
    "bool",
    "int",
    "float",
    "string",
    "duration",
    "isPresent",
    "if",
    "abs",
    "acos",
    "asin",
    "atan",
    "atan2",
    "ceil",
    "cos",
    "cosh",
    "exp",
    "exp2",
    "expm1",
    "floor",
    "hypot",
    "log",
    "log10",
    "log2",
    "log1p",
    "max",
    "min",
    "mod",
    "pow",
    "pow10",
    "round",
    "sin",
    "sinh",
    "sqrt",
    "tan",
    "tanh",
    "trunc",
    "strContains",
    "strContainsAny",
    "strCount",
    "strHasPrefix",
    "strHasSuffix",
    "strIndex",
    "strIndexAny",
    "strLastIndex",
    "strLastIndexAny",
    "strLength",
    "strReplace",
    "strSubstring",
    "strToLower",
    "strToUpper",
    "strTrim",
    "strTrimLeft",
    "strTrimPrefix",
    "strTrimRight",
    "strTrimSpace",
    "strTrimSuffix",
    "regexReplace",
    "minute",
    "hour",
    "weekday",
    "day",
    "month",
    "year",
    "unixNano",
    "humanBytes",
    "sigma",
    "count",
    "spread",
];

impl Lambda {
    /// Compiles a lambda body; unknown functions and bad regexes are errors.
    pub fn compile(expr: &Expr) -> Result<Lambda, crate::tick::TickError> {
        let mut n = 0usize;
        let root = compile(expr, &mut n)?;
        Ok(Lambda {
            root,
            states: vec![FnState::default(); n],
            text: expr.to_string(),
        })
    }

    /// The lambda's source text (canonical form).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Evaluates against a point's fields, tags and time.
    pub fn eval(&mut self, fields: &Fields, tags: &Tags, time: i64) -> Result<LValue, LambdaError> {
        let scope = Scope { fields, tags, time };
        eval(&self.root, &scope, &mut self.states)
    }

    /// Evaluates and requires a boolean.
    pub fn eval_bool(
        &mut self,
        fields: &Fields,
        tags: &Tags,
        time: i64,
    ) -> Result<bool, LambdaError> {
        match self.eval(fields, tags, time)? {
            LValue::Bool(b) => Ok(b),
            v => err(format!(
                "expression returned unexpected type {}",
                v.type_name()
            )),
        }
    }
}

fn compile(e: &Expr, n: &mut usize) -> Result<Node, crate::tick::TickError> {
    use crate::tick::TickError;
    Ok(match e {
        Expr::Reference(r, _) => Node::Ref(r.clone()),
        Expr::Str(s, _) => Node::Lit(LValue::Str(s.clone())),
        Expr::Int(i, _) => Node::Lit(LValue::Int(*i)),
        Expr::Float(f, _) => Node::Lit(LValue::Float(*f)),
        Expr::Bool(b, _) => Node::Lit(LValue::Bool(*b)),
        Expr::Duration(d, _) => Node::Lit(LValue::Duration(*d)),
        Expr::Regex(r, pos) => {
            Node::Lit(LValue::Regex(Arc::new(Regex::new(r).map_err(|e| {
                TickError::at(*pos, format!("invalid regex: {e}"))
            })?)))
        }
        Expr::Lambda(b, _) => compile(b, n)?,
        Expr::Unary { op, expr, .. } => Node::Unary(op, Box::new(compile(expr, n)?)),
        Expr::Binary { op, lhs, rhs, .. } => {
            Node::Binary(op, Box::new(compile(lhs, n)?), Box::new(compile(rhs, n)?))
        }
        Expr::Call { name, args, pos } => {
            if !FUNCTIONS.contains(&name.as_str()) {
                return Err(TickError::at(
                    *pos,
                    format!("undefined function: \"{name}\""),
                ));
            }
            let args = args
                .iter()
                .map(|a| compile(a, n))
                .collect::<Result<Vec<_>, _>>()?;
            let idx = *n;
            *n += 1;
            Node::Call(name.clone(), args, idx)
        }
        other => {
            return Err(TickError::at(
                other.pos(),
                format!("{other} is not allowed in a lambda"),
            ))
        }
    })
}

struct Scope<'a> {
    fields: &'a Fields,
    tags: &'a Tags,
    time: i64,
}

impl Scope<'_> {
    fn lookup(&self, name: &str) -> Option<LValue> {
        if let Some(v) = self.fields.get(name) {
            return Some(LValue::from_field(v));
        }
        if let Some(t) = self.tags.get(name) {
            return Some(LValue::Str(t.clone()));
        }
        (name == "time").then_some(LValue::Time(self.time))
    }
}

fn eval(node: &Node, scope: &Scope<'_>, states: &mut [FnState]) -> Result<LValue, LambdaError> {
    match node {
        Node::Lit(v) => Ok(v.clone()),
        Node::Ref(name) => scope
            .lookup(name)
            .ok_or_else(|| LambdaError(format!("no field or tag exists for {name}"))),
        Node::Unary(op, e) => match (*op, eval(e, scope, states)?) {
            ("-", LValue::Float(f)) => Ok(LValue::Float(-f)),
            ("-", LValue::Int(i)) => Ok(LValue::Int(i.wrapping_neg())),
            ("-", LValue::Duration(d)) => Ok(LValue::Duration(d.wrapping_neg())),
            ("!", LValue::Bool(b)) => Ok(LValue::Bool(!b)),
            (op, v) => err(format!("invalid unary operator {op} on {}", v.type_name())),
        },
        Node::Binary(op, l, r) => {
            if *op == "AND" || *op == "OR" {
                let lv = match eval(l, scope, states)? {
                    LValue::Bool(b) => b,
                    v => return err(format!("invalid {op} operand of type {}", v.type_name())),
                };
                if (*op == "AND" && !lv) || (*op == "OR" && lv) {
                    return Ok(LValue::Bool(lv));
                }
                return match eval(r, scope, states)? {
                    LValue::Bool(b) => Ok(LValue::Bool(b)),
                    v => err(format!("invalid {op} operand of type {}", v.type_name())),
                };
            }
            let lv = eval(l, scope, states)?;
            let rv = eval(r, scope, states)?;
            binary(op, lv, rv)
        }
        Node::Call(name, args, idx) => {
            if name == "isPresent" {
                return match args.as_slice() {
                    [Node::Ref(r)] => Ok(LValue::Bool(scope.lookup(r).is_some())),
                    _ => err("isPresent expects exactly one field or tag reference"),
                };
            }
            if name == "if" {
                if args.len() != 3 {
                    return err("if expects 3 arguments");
                }
                let c = match eval(&args[0], scope, states)? {
                    LValue::Bool(b) => b,
                    v => {
                        return err(format!(
                            "first argument to if must be a bool, got {}",
                            v.type_name()
                        ))
                    }
                };
                let a = eval(&args[1], scope, states)?;
                let b = eval(&args[2], scope, states)?;
                if a.type_name() != b.type_name() {
                    return err(format!(
                        "Different return types are not supported - consequent {} and alternative {}",
                        a.type_name(),
                        b.type_name()
                    ));
                }
                return Ok(if c { a } else { b });
            }
            let vals = args
                .iter()
                .map(|a| eval(a, scope, states))
                .collect::<Result<Vec<_>, _>>()?;
            call(name, &vals, &mut states[*idx])
        }
    }
}

fn mismatched(op: &str, l: &LValue, r: &LValue) -> LambdaError {
    LambdaError(format!(
        "mismatched type to binary operator. got {} {op} {}. see bool(), int(), float(), string(), duration()",
        l.type_name(),
        r.type_name()
    ))
}

fn cmp_result(op: &str, ord: Option<std::cmp::Ordering>) -> Result<LValue, LambdaError> {
    use std::cmp::Ordering::*;
    let Some(o) = ord else {
        return Ok(LValue::Bool(op == "!="));
    };
    Ok(LValue::Bool(match op {
        "==" => o == Equal,
        "!=" => o != Equal,
        "<" => o == Less,
        "<=" => o != Greater,
        ">" => o == Greater,
        ">=" => o != Less,
        _ => return err(format!("invalid comparison operator {op}")),
    }))
}

fn binary(op: &str, l: LValue, r: LValue) -> Result<LValue, LambdaError> {
    use LValue::*;
    match op {
        "=~" | "!~" => {
            return match (&l, &r) {
                (Str(s), Regex(re)) => Ok(Bool(re.is_match(s) == (op == "=~"))),
                _ => Err(mismatched(op, &l, &r)),
            }
        }
        "==" | "!=" | "<" | "<=" | ">" | ">=" => {
            let ord = match (&l, &r) {
                (Float(a), Float(b)) => a.partial_cmp(b),
                (Int(a), Int(b)) => Some(a.cmp(b)),
                (Float(a), Int(b)) => a.partial_cmp(&(*b as f64)),
                (Int(a), Float(b)) => (*a as f64).partial_cmp(b),
                (Str(a), Str(b)) => Some(a.cmp(b)),
                (Duration(a), Duration(b)) | (Time(a), Time(b)) => Some(a.cmp(b)),
                (Bool(a), Bool(b)) if op == "==" || op == "!=" => Some(a.cmp(b)),
                _ => return Err(mismatched(op, &l, &r)),
            };
            return cmp_result(op, ord);
        }
        _ => {}
    }
    Ok(match (op, &l, &r) {
        ("+", Float(a), Float(b)) => Float(a + b),
        ("-", Float(a), Float(b)) => Float(a - b),
        ("*", Float(a), Float(b)) => Float(a * b),
        ("/", Float(a), Float(b)) => Float(a / b),
        ("%", Float(_), Float(_)) => return err("invalid math operator % for type float"),
        ("+", Int(a), Int(b)) => Int(a.wrapping_add(*b)),
        ("-", Int(a), Int(b)) => Int(a.wrapping_sub(*b)),
        ("*", Int(a), Int(b)) => Int(a.wrapping_mul(*b)),
        ("/", Int(_), Int(0)) | ("%", Int(_), Int(0)) => return err("integer divide by zero"),
        ("/", Int(a), Int(b)) => Int(a.wrapping_div(*b)),
        ("%", Int(a), Int(b)) => Int(a.wrapping_rem(*b)),
        ("+", Str(a), Str(b)) => Str(format!("{a}{b}")),
        ("+", Duration(a), Duration(b)) => Duration(a.wrapping_add(*b)),
        ("-", Duration(a), Duration(b)) => Duration(a.wrapping_sub(*b)),
        ("*", Duration(a), Int(b)) | ("*", Int(b), Duration(a)) => Duration(a.wrapping_mul(*b)),
        ("*", Duration(a), Float(b)) | ("*", Float(b), Duration(a)) => {
            Duration((*a as f64 * b) as i64)
        }
        ("/", Duration(_), Int(0)) => return err("integer divide by zero"),
        ("/", Duration(a), Int(b)) => Duration(a.wrapping_div(*b)),
        ("/", Duration(a), Duration(b)) if *b != 0 => Int(a / b),
        ("+", Time(a), Duration(b)) => Time(a.wrapping_add(*b)),
        ("-", Time(a), Duration(b)) => Time(a.wrapping_sub(*b)),
        ("-", Time(a), Time(b)) => Duration(a.wrapping_sub(*b)),
        _ => return Err(mismatched(op, &l, &r)),
    })
}

fn num(v: &LValue, f: &str) -> Result<f64, LambdaError> {
    match v {
        LValue::Float(x) => Ok(*x),
        LValue::Int(i) => Ok(*i as f64),
        other => err(format!(
            "cannot use type {} in function {f}",
            other.type_name()
        )),
    }
}

fn s<'a>(v: &'a LValue, f: &str) -> Result<&'a str, LambdaError> {
    match v {
        LValue::Str(x) => Ok(x),
        other => err(format!(
            "cannot use type {} in function {f}, expected string",
            other.type_name()
        )),
    }
}

fn int(v: &LValue, f: &str) -> Result<i64, LambdaError> {
    match v {
        LValue::Int(x) => Ok(*x),
        other => err(format!(
            "cannot use type {} in function {f}, expected int",
            other.type_name()
        )),
    }
}

fn time_arg(v: &LValue, f: &str) -> Result<chrono::DateTime<chrono::Utc>, LambdaError> {
    match v {
        LValue::Time(t) => Ok(chrono::DateTime::from_timestamp(
            t.div_euclid(1_000_000_000),
            t.rem_euclid(1_000_000_000) as u32,
        )
        .unwrap_or_default()),
        other => err(format!(
            "cannot use type {} in function {f}, expected time",
            other.type_name()
        )),
    }
}

fn arity(name: &str, args: &[LValue], n: usize) -> Result<(), LambdaError> {
    if args.len() != n {
        return err(format!(
            "{name} expects exactly {n} argument(s), got {}",
            args.len()
        ));
    }
    Ok(())
}

/// humanize.Bytes-style formatting (SI units).
pub fn human_bytes(b: f64) -> String {
    if b < 10.0 {
        return format!("{} B", b as i64);
    }
    const UNITS: [&str; 7] = ["B", "kB", "MB", "GB", "TB", "PB", "EB"];
    let e = (b.ln() / 1000f64.ln()).floor().min(6.0);
    let val = (b / 1000f64.powf(e) * 10.0 + 0.5).floor() / 10.0;
    let unit = UNITS[e as usize];
    if val < 10.0 {
        format!("{val:.1} {unit}")
    } else {
        format!("{val:.0} {unit}")
    }
}

fn go_float_string(f: f64) -> String {
    // strconv.FormatFloat(f, 'f', -1, 64)
    let s = format!("{f}");
    if s.contains('e') {
        format!("{f:.}")
    } else {
        s
    }
}

fn call(name: &str, a: &[LValue], st: &mut FnState) -> Result<LValue, LambdaError> {
    use LValue::*;
    let math1 = |g: fn(f64) -> f64| -> Result<LValue, LambdaError> {
        arity(name, a, 1)?;
        Ok(Float(g(num(&a[0], name)?)))
    };
    match name {
        "bool" => {
            arity(name, a, 1)?;
            Ok(Bool(match &a[0] {
                Bool(b) => *b,
                Int(i) => match i {
                    0 => false,
                    1 => true,
                    _ => return err(format!("cannot convert {i} to bool")),
                },
                Float(f) => {
                    if *f == 0.0 {
                        false
                    } else if *f == 1.0 {
                        true
                    } else {
                        return err(format!("cannot convert {f} to bool"));
                    }
                }
                Str(x) => match x.as_str() {
                    "true" | "True" | "TRUE" | "t" | "T" | "1" => true,
                    "false" | "False" | "FALSE" | "f" | "F" | "0" => false,
                    _ => return err(format!("cannot convert string {x:?} to bool")),
                },
                other => return err(format!("cannot convert {} to bool", other.type_name())),
            }))
        }
        "int" => {
            arity(name, a, 1)?;
            Ok(Int(match &a[0] {
                Int(i) | Duration(i) | Time(i) => *i,
                Float(f) => *f as i64,
                Bool(b) => *b as i64,
                Str(x) => x
                    .parse()
                    .map_err(|_| LambdaError(format!("cannot convert string {x:?} to int")))?,
                other => return err(format!("cannot convert {} to int", other.type_name())),
            }))
        }
        "float" => {
            arity(name, a, 1)?;
            Ok(Float(match &a[0] {
                Int(i) => *i as f64,
                Float(f) => *f,
                Bool(b) => *b as i64 as f64,
                Str(x) => x
                    .parse()
                    .map_err(|_| LambdaError(format!("cannot convert string {x:?} to float")))?,
                other => return err(format!("cannot convert {} to float", other.type_name())),
            }))
        }
        "string" => {
            arity(name, a, 1)?;
            Ok(Str(match &a[0] {
                Int(i) => i.to_string(),
                Float(f) => go_float_string(*f),
                Bool(b) => b.to_string(),
                Str(x) => x.clone(),
                Duration(d) => format_duration(*d),
                Time(t) => crate::model::format_time(*t),
                Regex(r) => r.as_str().to_string(),
            }))
        }
        "duration" => {
            if a.is_empty() || a.len() > 2 {
                return err("duration expects 1 or 2 arguments");
            }
            let unit = match a.get(1) {
                Some(Duration(u)) => *u,
                Some(o) => {
                    return err(format!(
                        "second argument to duration must be a duration, got {}",
                        o.type_name()
                    ))
                }
                None => 1,
            };
            Ok(Duration(match &a[0] {
                Duration(d) => *d,
                Int(i) => i.wrapping_mul(unit),
                Float(f) => (f * unit as f64) as i64,
                Str(x) => parse_duration_text(x)
                    .ok_or_else(|| LambdaError(format!("invalid duration string {x:?}")))?,
                other => return err(format!("cannot convert {} to duration", other.type_name())),
            }))
        }
        "abs" => math1(f64::abs),
        "acos" => math1(f64::acos),
        "asin" => math1(f64::asin),
        "atan" => math1(f64::atan),
        "ceil" => math1(f64::ceil),
        "cos" => math1(f64::cos),
        "cosh" => math1(f64::cosh),
        "exp" => math1(f64::exp),
        "exp2" => math1(f64::exp2),
        "expm1" => math1(f64::exp_m1),
        "floor" => math1(f64::floor),
        "log" => math1(f64::ln),
        "log10" => math1(f64::log10),
        "log2" => math1(f64::log2),
        "log1p" => math1(f64::ln_1p),
        "round" => math1(|x| x.round_ties_even()),
        "sin" => math1(f64::sin),
        "sinh" => math1(f64::sinh),
        "sqrt" => math1(f64::sqrt),
        "tan" => math1(f64::tan),
        "tanh" => math1(f64::tanh),
        "trunc" => math1(f64::trunc),
        "pow10" => {
            arity(name, a, 1)?;
            Ok(Float(10f64.powi(int(&a[0], name)? as i32)))
        }
        "atan2" | "hypot" | "max" | "min" | "mod" | "pow" => {
            arity(name, a, 2)?;
            let (x, y) = (num(&a[0], name)?, num(&a[1], name)?);
            Ok(Float(match name {
                "atan2" => x.atan2(y),
                "hypot" => x.hypot(y),
                "max" => x.max(y),
                "min" => x.min(y),
                "mod" => x % y,
                _ => x.powf(y),
            }))
        }
        "strContains" | "strContainsAny" | "strHasPrefix" | "strHasSuffix" => {
            arity(name, a, 2)?;
            let (x, y) = (s(&a[0], name)?, s(&a[1], name)?);
            Ok(Bool(match name {
                "strContains" => x.contains(y),
                "strContainsAny" => x.chars().any(|c| y.contains(c)),
                "strHasPrefix" => x.starts_with(y),
                _ => x.ends_with(y),
            }))
        }
        "strCount" | "strIndex" | "strIndexAny" | "strLastIndex" | "strLastIndexAny" => {
            arity(name, a, 2)?;
            let (x, y) = (s(&a[0], name)?, s(&a[1], name)?);
            Ok(Int(match name {
                "strCount" => {
                    if y.is_empty() {
                        x.chars().count() as i64 + 1
                    } else {
                        x.matches(y).count() as i64
                    }
                }
                "strIndex" => x.find(y).map(|i| i as i64).unwrap_or(-1),
                "strIndexAny" => x.find(|c| y.contains(c)).map(|i| i as i64).unwrap_or(-1),
                "strLastIndex" => x.rfind(y).map(|i| i as i64).unwrap_or(-1),
                _ => x.rfind(|c| y.contains(c)).map(|i| i as i64).unwrap_or(-1),
            }))
        }
        "strLength" => {
            arity(name, a, 1)?;
            Ok(Int(s(&a[0], name)?.chars().count() as i64))
        }
        "strReplace" => {
            arity(name, a, 4)?;
            let (x, old, new, n) = (
                s(&a[0], name)?,
                s(&a[1], name)?,
                s(&a[2], name)?,
                int(&a[3], name)?,
            );
            Ok(Str(if n < 0 {
                x.replace(old, new)
            } else {
                x.replacen(old, new, n as usize)
            }))
        }
        "strSubstring" => {
            arity(name, a, 3)?;
            let x = s(&a[0], name)?;
            let (start, stop) = (int(&a[1], name)?, int(&a[2], name)?);
            if start < 0
                || stop < start
                || stop as usize > x.len()
                || !x.is_char_boundary(start as usize)
                || !x.is_char_boundary(stop as usize)
            {
                return err(format!(
                    "invalid substring range [{start}:{stop}] of a string of length {}",
                    x.len()
                ));
            }
            Ok(Str(x[start as usize..stop as usize].to_string()))
        }
        "strToLower" => {
            arity(name, a, 1)?;
            Ok(Str(s(&a[0], name)?.to_lowercase()))
        }
        "strToUpper" => {
            arity(name, a, 1)?;
            Ok(Str(s(&a[0], name)?.to_uppercase()))
        }
        "strTrimSpace" => {
            arity(name, a, 1)?;
            Ok(Str(s(&a[0], name)?.trim().to_string()))
        }
        "strTrim" | "strTrimLeft" | "strTrimRight" | "strTrimPrefix" | "strTrimSuffix" => {
            arity(name, a, 2)?;
            let (x, y) = (s(&a[0], name)?, s(&a[1], name)?);
            let in_set = |c: char| y.contains(c);
            Ok(Str(match name {
                "strTrim" => x.trim_matches(in_set).to_string(),
                "strTrimLeft" => x.trim_start_matches(in_set).to_string(),
                "strTrimRight" => x.trim_end_matches(in_set).to_string(),
                "strTrimPrefix" => x.strip_prefix(y).unwrap_or(x).to_string(),
                _ => x.strip_suffix(y).unwrap_or(x).to_string(),
            }))
        }
        "regexReplace" => {
            arity(name, a, 3)?;
            let Regex(re) = &a[0] else {
                return err("first argument to regexReplace must be a regex");
            };
            let (x, repl) = (s(&a[1], name)?, s(&a[2], name)?);
            Ok(Str(re.replace_all(x, repl).into_owned()))
        }
        "minute" | "hour" | "weekday" | "day" | "month" | "year" => {
            use chrono::{Datelike, Timelike};
            arity(name, a, 1)?;
            let t = time_arg(&a[0], name)?;
            Ok(Int(match name {
                "minute" => t.minute() as i64,
                "hour" => t.hour() as i64,
                "weekday" => t.weekday().num_days_from_sunday() as i64,
                "day" => t.day() as i64,
                "month" => t.month() as i64,
                _ => t.year() as i64,
            }))
        }
        "unixNano" => {
            arity(name, a, 1)?;
            match &a[0] {
                Time(t) => Ok(Int(*t)),
                o => err(format!(
                    "cannot use type {} in function unixNano, expected time",
                    o.type_name()
                )),
            }
        }
        "humanBytes" => {
            arity(name, a, 1)?;
            Ok(Str(human_bytes(num(&a[0], name)?)))
        }
        "count" => {
            arity(name, a, 0)?;
            st.count += 1;
            Ok(Int(st.count))
        }
        "sigma" => {
            arity(name, a, 1)?;
            let x = num(&a[0], name)?;
            st.count += 1;
            let delta = x - st.mean;
            st.mean += delta / st.count as f64;
            st.m2 += delta * (x - st.mean);
            if st.count < 2 {
                return Ok(Float(0.0));
            }
            let sd = (st.m2 / (st.count - 1) as f64).sqrt();
            Ok(Float(if sd == 0.0 {
                0.0
            } else {
                (x - st.mean).abs() / sd
            }))
        }
        "spread" => {
            arity(name, a, 1)?;
            let x = num(&a[0], name)?;
            if st.count == 0 {
                st.min = x;
                st.max = x;
            }
            st.count += 1;
            st.min = st.min.min(x);
            st.max = st.max.max(x);
            Ok(Float(st.max - st.min))
        }
        _ => err(format!("undefined function: \"{name}\"")),
    }
}

/// Parses a duration written as in TICKscript (`10s`, `1.5m`).
pub fn parse_duration_text(s: &str) -> Option<i64> {
    let toks = crate::tick::lexer::lex(s).ok()?;
    match toks.as_slice() {
        [t, e] if e.tok == crate::tick::lexer::Tok::Eof => match t.tok {
            crate::tick::lexer::Tok::Duration(d) => Some(d),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tick::parser::parse_lambda_body;

    fn run(
        src: &str,
        fields: &[(&str, FieldValue)],
        tags: &[(&str, &str)],
    ) -> Result<LValue, LambdaError> {
        let f: Fields = fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        let t: Tags = tags
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Lambda::compile(&parse_lambda_body(src).unwrap())
            .unwrap()
            .eval(&f, &t, 90_061_000_000_000)
    }

    fn show(v: LValue) -> String {
        match v {
            LValue::Float(f) => format!("f{f}"),
            LValue::Int(i) => format!("i{i}"),
            LValue::Str(s) => format!("s{s}"),
            LValue::Bool(b) => format!("b{b}"),
            LValue::Duration(d) => format!("d{d}"),
            LValue::Time(t) => format!("t{t}"),
            LValue::Regex(r) => format!("r{}", r.as_str()),
        }
    }

    #[test]
    fn operators_and_types() {
        let f = [("v", FieldValue::Float(81.5)), ("n", FieldValue::Int(3))];
        let t = [("host", "serverA")];
        assert_eq!(
            show(run("\"v\" > 80 AND \"host\" =~ /^server/", &f, &t).unwrap()),
            "btrue"
        );
        assert_eq!(show(run("\"n\" * 2 + 1", &f, &t).unwrap()), "i7");
        assert_eq!(
            run("\"n\" * 2.0", &f, &t).unwrap_err().to_string(),
            "mismatched type to binary operator. got int * float. see bool(), int(), float(), string(), duration()"
        );
        assert_eq!(
            run("\"nope\" > 1", &f, &t).unwrap_err().to_string(),
            "no field or tag exists for nope"
        );
        assert_eq!(
            show(run("isPresent(\"nope\") OR \"nope\" > 1", &f, &t).unwrap_or(LValue::Bool(true))),
            "btrue"
        );
        assert_eq!(show(run("!isPresent(\"nope\")", &f, &t).unwrap()), "btrue");
        assert_eq!(
            show(run("if(\"v\" > 90, 'high', 'low')", &f, &t).unwrap()),
            "slow"
        );
        assert_eq!(show(run("float(\"n\") / 2.0", &f, &t).unwrap()), "f1.5");
    }

    #[test]
    fn functions() {
        let f = [("s", FieldValue::Str("  Hello World ".into()))];
        assert_eq!(
            show(run("strToUpper(strTrimSpace(\"s\"))", &f, &[]).unwrap()),
            "sHELLO WORLD"
        );
        assert_eq!(
            show(run("strReplace('aaa', 'a', 'b', 2)", &f, &[]).unwrap()),
            "sbba"
        );
        assert_eq!(
            show(run("strSubstring('abcdef', 1, 3)", &f, &[]).unwrap()),
            "sbc"
        );
        // As Go: `$1W` names group "1W" (empty), `${1}W` is group 1 then W.
        assert_eq!(
            show(run("regexReplace(/a(x*)b/, '-ab-axxb-', '$1W')", &f, &[]).unwrap()),
            "s---"
        );
        assert_eq!(
            show(run("regexReplace(/a(x*)b/, '-ab-axxb-', '${1}W')", &f, &[]).unwrap()),
            "s-W-xxW-"
        );
        assert_eq!(show(run("hour(\"time\")", &f, &[]).unwrap()), "i1");
        assert_eq!(show(run("day(\"time\")", &f, &[]).unwrap()), "i2");
        assert_eq!(show(run("weekday(\"time\")", &f, &[]).unwrap()), "i5");
        assert_eq!(
            show(run("humanBytes(82854982)", &f, &[]).unwrap()),
            "s83 MB"
        );
        assert_eq!(show(run("humanBytes(1500)", &f, &[]).unwrap()), "s1.5 kB");
        assert_eq!(
            show(run("duration(5, 1m)", &f, &[]).unwrap()),
            "d300000000000"
        );
        assert_eq!(
            show(run("pow(2.0, 10.0) + abs(-1.0)", &f, &[]).unwrap()),
            "f1025"
        );
        assert!(Lambda::compile(&parse_lambda_body("nope(1)").unwrap()).is_err());
    }

    #[test]
    fn stateful_functions_keep_state() {
        let mut l = Lambda::compile(&parse_lambda_body("count()").unwrap()).unwrap();
        let (f, t) = (Fields::new(), Tags::new());
        l.eval(&f, &t, 0).unwrap();
        assert!(matches!(l.eval(&f, &t, 0).unwrap(), LValue::Int(2)));
        let mut l = Lambda::compile(&parse_lambda_body("spread(\"v\")").unwrap()).unwrap();
        for v in [3.0, 1.0, 7.0] {
            let mut f = Fields::new();
            f.insert("v".into(), FieldValue::Float(v));
            l.eval(&f, &t, 0).unwrap();
        }
        let mut f = Fields::new();
        f.insert("v".into(), FieldValue::Float(5.0));
        assert!(matches!(l.eval(&f, &t, 0).unwrap(), LValue::Float(x) if x == 6.0));
    }
}
