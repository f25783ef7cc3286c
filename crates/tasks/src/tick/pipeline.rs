//! Evaluates a parsed script into a [`Pipeline`]: a graph of node
//! definitions with their arguments and properties, checked against the node
//! kinds and properties this engine implements.

use std::collections::{BTreeMap, HashMap};

use super::ast::{ChainOp, Expr, Program, Statement, VarType};
use super::{Pos, TickError};

/// A value of the script (a variable, an argument).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Integer.
    Int(i64),
    /// Float.
    Float(f64),
    /// String.
    Str(String),
    /// Boolean.
    Bool(bool),
    /// Duration in nanoseconds.
    Duration(i64),
    /// Regex pattern.
    Regex(String),
    /// `*`.
    Star,
    /// A list.
    List(Vec<Value>),
    /// A lambda (variables already substituted).
    Lambda(Expr),
    /// A node of the pipeline (its index).
    Node(usize),
    /// A field reference outside a lambda.
    Reference(String),
    /// `time(d)` in a batch query's `groupBy`.
    GroupByTime(i64),
}

impl Value {
    /// The type name used in error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::Str(_) => "string",
            Value::Bool(_) => "bool",
            Value::Duration(_) => "duration",
            Value::Regex(_) => "regex",
            Value::Star => "star",
            Value::List(_) => "list",
            Value::Lambda(_) => "lambda",
            Value::Node(_) => "node",
            Value::Reference(_) => "reference",
            Value::GroupByTime(_) => "time dimension",
        }
    }

    fn to_expr(&self, pos: Pos) -> Option<Expr> {
        Some(match self {
            Value::Int(i) => Expr::Int(*i, pos),
            Value::Float(f) => Expr::Float(*f, pos),
            Value::Str(s) => Expr::Str(s.clone(), pos),
            Value::Bool(b) => Expr::Bool(*b, pos),
            Value::Duration(d) => Expr::Duration(*d, pos),
            Value::Regex(r) => Expr::Regex(r.clone(), pos),
            Value::Lambda(e) => e.clone(),
            Value::Reference(r) => Expr::Reference(r.clone(), pos),
            _ => return None,
        })
    }
}

/// An argument with its position.
#[derive(Debug, Clone, PartialEq)]
pub struct Arg {
    /// The value.
    pub value: Value,
    /// Where it was written.
    pub pos: Pos,
}

/// A property call (`.name(args)`).
#[derive(Debug, Clone, PartialEq)]
pub struct Property {
    /// Property name.
    pub name: String,
    /// Its arguments.
    pub args: Vec<Arg>,
    /// Where it was written.
    pub pos: Pos,
}

/// One node of the graph.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeDef {
    /// Index in [`Pipeline::nodes`] (also the number in its name).
    pub id: usize,
    /// Node kind (`from`, `window`, …).
    pub kind: String,
    /// Arguments of the chaining call.
    pub args: Vec<Arg>,
    /// Properties in the order written.
    pub props: Vec<Property>,
    /// The parent node, if any.
    pub parent: Option<usize>,
    /// Further parents (`join` and `union` take the other nodes as arguments).
    pub others: Vec<usize>,
    /// Where the node was created.
    pub pos: Pos,
}

impl NodeDef {
    /// Kapacitor's node name: kind followed by its index (`from1`).
    pub fn name(&self) -> String {
        // UDF nodes (kind `@name`) are named after the function.
        format!("{}{}", self.kind.trim_start_matches('@'), self.id)
    }
}

/// Stream or batch task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskType {
    /// Consumes the write stream.
    Stream,
    /// Runs queries on a schedule.
    Batch,
}

/// The evaluated script.
#[derive(Debug, Clone, PartialEq)]
pub struct Pipeline {
    /// Nodes, index = id; node 0 is `stream` or `batch`.
    pub nodes: Vec<NodeDef>,
    /// `dbrp` statements.
    pub dbrps: Vec<(String, String)>,
    /// Stream or batch.
    pub task_type: TaskType,
    /// Variables declared or defined at top level, with their types and values (for templates).
    pub vars: BTreeMap<String, (VarType, Option<Value>)>,
}

impl Pipeline {
    /// Children of node `id` in creation order.
    pub fn children(&self, id: usize) -> Vec<usize> {
        self.nodes
            .iter()
            .filter(|n| n.parent == Some(id) || n.others.contains(&id))
            .map(|n| n.id)
            .collect()
    }
}

/// Node kinds Kapacitor has that this engine does not implement yet.
const UNSUPPORTED_NODES: &[&str] = &["k8sAutoscale", "swarmAutoscale", "ec2Autoscale", "noOp"];

/// Handler properties of `alert` Kapacitor has that this engine does not implement yet.
const UNSUPPORTED_HANDLERS: &[&str] = &[
    "pagerDuty",
    "opsGenie",
    "hipChat",
    "snmpTrap",
    "talk",
    "zenoss",
    "bigPanda",
    "serviceNow",
    "servicenow",
    "sNMPTrap",
    "pagerduty",
];

/// Properties of the alert node (also of deadman, which returns an alert node).
const ALERT_PROPS: &[&str] = &[
    "id",
    "message",
    "details",
    "info",
    "warn",
    "crit",
    "infoReset",
    "warnReset",
    "critReset",
    "stateChangesOnly",
    "flapping",
    "history",
    "levelTag",
    "levelField",
    "idTag",
    "idField",
    "messageField",
    "durationField",
    "noRecoveries",
    "inhibit",
    "category",
    "topic",
    "all",
    "quiet",
    "log",
    "post",
    "tcp",
    "exec",
    "header",
    "captureResponse",
    "timeout",
    "endpoint",
    "mode",
];

const INFLUXQL_PROPS: &[&str] = &["as", "usePointTimes"];

/// Properties each implemented node kind accepts; `None` for unknown kinds.
pub fn node_properties(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "stream" | "batch" => &[],
        "query" => &[
            "period",
            "every",
            "cron",
            "offset",
            "align",
            "groupBy",
            "fill",
            "groupByMeasurement",
            "alignGroup",
            "cluster",
        ],
        "join" => &["as", "on", "tolerance", "fill", "delimiter", "streamName"],
        "union" => &["rename"],
        "combine" => &["as", "delimiter", "tolerance", "max"],
        "barrier" => &["idle", "period", "delete"],
        "holtWinters" | "holtWintersWithFit" => &["as"],
        "sideload" => &["source", "order", "field", "tag"],
        "trickle" => &[],
        "sample" => &[],
        "kapacitorLoopback" => &["database", "retentionPolicy", "measurement", "tag"],
        "httpPost" => &[
            "header",
            "timeout",
            "captureResponse",
            "endpoint",
            "codeField",
        ],
        "flatten" => &["on", "delimiter", "tolerance", "dropOriginalFieldName"],
        "from" => &[
            "measurement",
            "database",
            "retentionPolicy",
            "where",
            "groupBy",
            "groupByMeasurement",
            "truncate",
            "round",
        ],
        "where" => &[],
        "window" => &[
            "period",
            "every",
            "align",
            "fillPeriod",
            "periodCount",
            "everyCount",
        ],
        "groupBy" => &["byMeasurement"],
        "eval" => &["as", "keep", "tags", "quiet"],
        "default" => &["field", "tag"],
        "delete" => &["field", "tag"],
        "shift" => &[],
        "log" => &["level", "prefix"],
        "count" | "distinct" | "mean" | "median" | "mode" | "spread" | "sum" | "first" | "last"
        | "min" | "max" | "percentile" | "stddev" | "top" | "bottom" | "elapsed"
        | "cumulativeSum" | "movingAverage" => INFLUXQL_PROPS,
        "difference" => &["as", "usePointTimes", "nonNegative"],
        "derivative" => &["as", "unit", "nonNegative"],
        "stateDuration" => &["as", "unit"],
        "stateCount" => &["as"],
        "changeDetect" => &[],
        "httpOut" => &[],
        "influxDBOut" => &[
            "database",
            "retentionPolicy",
            "measurement",
            "tag",
            "precision",
            "create",
            "buffer",
            "flushInterval",
            "writeConsistency",
            "cluster",
        ],
        "alert" | "deadman" => ALERT_PROPS,
        "stats" => &["align"],
        _ => return None,
    })
}

/// Evaluates `program` with template `vars` (overriding defaults).
pub fn evaluate(program: &Program, vars: &HashMap<String, Value>) -> Result<Pipeline, TickError> {
    let mut ev = Evaluator {
        scope: HashMap::new(),
        pipeline: Pipeline {
            nodes: Vec::new(),
            dbrps: Vec::new(),
            task_type: TaskType::Stream,
            vars: BTreeMap::new(),
        },
    };
    for st in &program.statements {
        match st {
            Statement::Var { name, value, pos } => {
                if ev.scope.contains_key(name) {
                    return Err(TickError::at(
                        *pos,
                        format!("attempted to redefine {name}, vars are immutable"),
                    ));
                }
                let v = match vars.get(name) {
                    Some(v) => v.clone(),
                    None => ev.eval(value)?,
                };
                if let Some(ty) = var_type(&v) {
                    ev.pipeline.vars.insert(name.clone(), (ty, Some(v.clone())));
                }
                ev.scope.insert(name.clone(), v);
            }
            Statement::Declare { name, ty, pos } => match vars.get(name) {
                Some(v) => {
                    if var_type(v) != Some(*ty) {
                        return Err(TickError::at(
                            *pos,
                            format!(
                                "invalid type supplied for {name}, got {} exp {}",
                                v.type_name(),
                                ty.name()
                            ),
                        ));
                    }
                    ev.scope.insert(name.clone(), v.clone());
                }
                None => {
                    ev.pipeline.vars.insert(name.clone(), (*ty, None));
                }
            },
            Statement::Dbrp { db, rp, .. } => ev.pipeline.dbrps.push((db.clone(), rp.clone())),
            Statement::Expr(e) => {
                ev.eval(e)?;
            }
        }
    }
    if ev.pipeline.nodes.is_empty() {
        return Err(TickError::at(
            Pos { line: 1, col: 1 },
            "script has no stream or batch node",
        ));
    }
    Ok(ev.pipeline)
}

fn var_type(v: &Value) -> Option<VarType> {
    Some(match v {
        Value::Int(_) => VarType::Int,
        Value::Float(_) => VarType::Float,
        Value::Str(_) => VarType::String,
        Value::Bool(_) => VarType::Bool,
        Value::Duration(_) => VarType::Duration,
        Value::Regex(_) => VarType::Regex,
        Value::Star => VarType::Star,
        Value::List(_) => VarType::List,
        Value::Lambda(_) => VarType::Lambda,
        _ => return None,
    })
}

struct Evaluator {
    scope: HashMap<String, Value>,
    pipeline: Pipeline,
}

impl Evaluator {
    fn add_node(&mut self, kind: &str, args: Vec<Arg>, parent: Option<usize>, pos: Pos) -> usize {
        let id = self.pipeline.nodes.len();
        self.pipeline.nodes.push(NodeDef {
            id,
            kind: kind.to_string(),
            args,
            props: Vec::new(),
            parent,
            others: Vec::new(),
            pos,
        });
        id
    }

    fn root(&mut self, kind: &str, pos: Pos) -> Result<Value, TickError> {
        let task_type = if kind == "stream" {
            TaskType::Stream
        } else {
            TaskType::Batch
        };
        if let Some(root) = self.pipeline.nodes.first() {
            if root.kind != kind {
                return Err(TickError::at(
                    pos,
                    "a task cannot mix stream and batch nodes",
                ));
            }
            return Ok(Value::Node(0));
        }
        self.pipeline.task_type = task_type;
        Ok(Value::Node(self.add_node(kind, Vec::new(), None, pos)))
    }

    fn eval(&mut self, e: &Expr) -> Result<Value, TickError> {
        Ok(match e {
            Expr::Ident(name, pos) => match name.as_str() {
                "stream" | "batch" => self.root(name, *pos)?,
                _ => self
                    .scope
                    .get(name)
                    .cloned()
                    .ok_or_else(|| TickError::at(*pos, format!("undefined variable: {name}")))?,
            },
            Expr::Reference(s, _) => Value::Reference(s.clone()),
            Expr::Str(s, _) => Value::Str(s.clone()),
            Expr::Int(i, _) => Value::Int(*i),
            Expr::Float(f, _) => Value::Float(*f),
            Expr::Bool(b, _) => Value::Bool(*b),
            Expr::Duration(d, _) => Value::Duration(*d),
            Expr::Regex(r, _) => Value::Regex(r.clone()),
            Expr::Star(_) => Value::Star,
            Expr::List(items, _) => {
                Value::List(items.iter().map(|i| self.eval(i)).collect::<Result<_, _>>()?)
            }
            Expr::Lambda(body, _) => Value::Lambda(self.substitute(body)?),
            Expr::Unary { op, expr, pos } => {
                let v = self.eval(expr)?;
                match (*op, v) {
                    ("-", Value::Int(i)) => Value::Int(-i),
                    ("-", Value::Float(f)) => Value::Float(-f),
                    ("-", Value::Duration(d)) => Value::Duration(-d),
                    ("!", Value::Bool(b)) => Value::Bool(!b),
                    (op, v) => {
                        return Err(TickError::at(*pos, format!("invalid unary operator {op} on {}", v.type_name())))
                    }
                }
            }
            Expr::Binary { op, lhs, rhs, pos } => {
                let (l, r) = (self.eval(lhs)?, self.eval(rhs)?);
                const_binary(op, l, r).map_err(|m| TickError::at(*pos, m))?
            }
            Expr::Call { name, args, pos } if name == "time" => match args.as_slice() {
                [Expr::Duration(d, _)] => Value::GroupByTime(*d),
                _ => return Err(TickError::at(*pos, "time() takes one duration")),
            },
            Expr::Call { name, pos, .. } => {
                return Err(TickError::at(
                    *pos,
                    format!("function call {name}() is only allowed inside a lambda; use |{name}() to create a node"),
                ))
            }
            Expr::Chain { lhs, op, name, args, pos } => {
                let target = self.eval(lhs)?;
                let Value::Node(parent) = target else {
                    return Err(TickError::at(*pos, format!("cannot call {name}() on a {}", target.type_name())));
                };
                let args: Vec<Arg> = args
                    .iter()
                    .map(|a| Ok(Arg { value: self.eval(a)?, pos: a.pos() }))
                    .collect::<Result<_, TickError>>()?;
                match op {
                    ChainOp::At => {
                        crate::udf::tick::check_node(&self.pipeline, parent, name, &args, *pos)?;
                        Value::Node(self.add_node(&format!("@{name}"), Vec::new(), Some(parent), *pos))
                    }
                    ChainOp::Pipe => Value::Node(self.chain(parent, name, args, *pos)?),
                    ChainOp::Dot => {
                        let kind = self.pipeline.nodes[parent].kind.clone();
                        if let Some(udf) = kind.strip_prefix('@') {
                            crate::udf::tick::check_option(udf, name, &args, *pos)?;
                            self.pipeline.nodes[parent].props.push(Property { name: name.clone(), args, pos: *pos });
                            return Ok(Value::Node(parent));
                        }
                        let allowed = node_properties(&kind).unwrap_or(&[]);
                        // Handler methods and their properties (`.email()`, `.routingKey()`).
                        let handler_prop = (kind == "alert" || kind == "deadman")
                            && crate::alert::handlers::tick::is_property(name);
                        // Every node has `.quiet()` (its errors are not logged).
                        let quiet = name == "quiet" && node_properties(&kind).is_some();
                        if !allowed.contains(&name.as_str()) && !handler_prop && !quiet {
                            if kind == "alert" && UNSUPPORTED_HANDLERS.contains(&name.as_str()) {
                                return Err(TickError::at(*pos, format!("not supported yet: alert handler {name}")));
                            }
                            return Err(TickError::at(
                                *pos,
                                format!("no method or property \"{name}\" on {}Node", capitalize(&kind)),
                            ));
                        }
                        self.pipeline.nodes[parent].props.push(Property { name: name.clone(), args, pos: *pos });
                        Value::Node(parent)
                    }
                }
            }
        })
    }

    fn chain(
        &mut self,
        parent: usize,
        name: &str,
        args: Vec<Arg>,
        pos: Pos,
    ) -> Result<usize, TickError> {
        let parent_kind = self.pipeline.nodes[parent].kind.clone();
        if UNSUPPORTED_NODES.contains(&name) {
            return Err(TickError::at(
                pos,
                format!("not supported yet: {name} node"),
            ));
        }
        if name == "batch" || name == "stream" || node_properties(name).is_none() {
            return Err(TickError::at(
                pos,
                format!(
                    "no method or property \"{name}\" on {}Node",
                    capitalize(&parent_kind)
                ),
            ));
        }
        match (parent_kind.as_str(), name) {
            ("stream", "from") => {}
            ("stream", _) => {
                return Err(TickError::at(
                    pos,
                    format!("no method or property \"{name}\" on StreamNode"),
                ))
            }
            ("batch", "query") => {}
            ("batch", _) => {
                return Err(TickError::at(
                    pos,
                    format!("no method or property \"{name}\" on BatchNode"),
                ))
            }
            (_, "from" | "query") => {
                return Err(TickError::at(
                    pos,
                    format!(
                        "no method or property \"{name}\" on {}Node",
                        capitalize(&parent_kind)
                    ),
                ))
            }
            _ => {}
        }
        if name == "deadman" {
            // Kapacitor: stats(interval).align() | derivative('emitted').unit(interval).nonNegative() | alert()
            //   .crit(lambda: "emitted" <= threshold)
            let (threshold, interval) = match args.as_slice() {
                [t, i, ..] => (t.clone(), i.clone()),
                _ => {
                    return Err(TickError::at(
                        pos,
                        "deadman takes a threshold and an interval",
                    ))
                }
            };
            let threshold_f = match threshold.value {
                Value::Float(f) => f,
                Value::Int(i) => i as f64,
                ref v => {
                    return Err(TickError::at(
                        threshold.pos,
                        format!("deadman threshold must be a number, got {}", v.type_name()),
                    ))
                }
            };
            let Value::Duration(interval_ns) = interval.value else {
                return Err(TickError::at(
                    interval.pos,
                    "deadman interval must be a duration",
                ));
            };
            let watched = self.pipeline.nodes[parent].name();
            let stats = self.add_node("stats", vec![interval.clone()], Some(parent), pos);
            self.pipeline.nodes[stats].props = vec![Property {
                name: "align".into(),
                args: vec![],
                pos,
            }];
            let deriv = self.add_node(
                "derivative",
                vec![Arg {
                    value: Value::Str("emitted".into()),
                    pos,
                }],
                Some(stats),
                pos,
            );
            self.pipeline.nodes[deriv].props = vec![
                Property {
                    name: "unit".into(),
                    args: vec![interval.clone()],
                    pos,
                },
                Property {
                    name: "nonNegative".into(),
                    args: vec![],
                    pos,
                },
            ];
            let alert = self.add_node("alert", vec![], Some(deriv), pos);
            let mut crit = Expr::Binary {
                op: "<=",
                lhs: Box::new(Expr::Reference("emitted".into(), pos)),
                rhs: Box::new(Expr::Float(threshold_f, pos)),
                pos,
            };
            for extra in &args[2..] {
                let Value::Lambda(e) = &extra.value else {
                    return Err(TickError::at(
                        extra.pos,
                        "extra deadman arguments must be lambdas",
                    ));
                };
                crit = Expr::Binary {
                    op: "AND",
                    lhs: Box::new(crit),
                    rhs: Box::new(e.clone()),
                    pos,
                };
            }
            let interval_text = crate::model::format_duration(interval_ns);
            let s = |t: String| {
                vec![Arg {
                    value: Value::Str(t),
                    pos,
                }]
            };
            self.pipeline.nodes[alert].props = vec![
                Property { name: "crit".into(), args: vec![Arg { value: Value::Lambda(crit), pos }], pos },
                Property { name: "id".into(), args: s(format!("node '{watched}' in task '{{{{ .TaskName }}}}'")), pos },
                Property {
                    name: "message".into(),
                    args: s(format!(
                        "{{{{ .ID }}}} is {{{{ if eq .Level \"OK\" }}}}alive{{{{ else }}}}dead{{{{ end }}}}: {{{{ index .Fields \"emitted\" | printf \"%0.3f\" }}}} points/{interval_text}."
                    )),
                    pos,
                },
            ];
            return Ok(alert);
        }
        if name == "join" || name == "union" {
            let mut others = Vec::new();
            for a in &args {
                match a.value {
                    Value::Node(n) => others.push(n),
                    ref v => {
                        return Err(TickError::at(
                            a.pos,
                            format!("{name} expects nodes, got {}", v.type_name()),
                        ))
                    }
                }
            }
            if name == "join" && others.is_empty() {
                return Err(TickError::at(pos, "join expects at least one other node"));
            }
            let id = self.add_node(name, Vec::new(), Some(parent), pos);
            self.pipeline.nodes[id].others = others;
            return Ok(id);
        }
        Ok(self.add_node(name, args, Some(parent), pos))
    }

    /// Replaces variables inside a lambda by their values.
    fn substitute(&self, e: &Expr) -> Result<Expr, TickError> {
        Ok(match e {
            Expr::Ident(name, pos) => match self.scope.get(name) {
                Some(v) => v.to_expr(*pos).ok_or_else(|| {
                    TickError::at(
                        *pos,
                        format!(
                            "variable {name} of type {} cannot be used in a lambda",
                            v.type_name()
                        ),
                    )
                })?,
                None => return Err(TickError::at(*pos, format!("undefined variable: {name}"))),
            },
            Expr::Lambda(b, _) => self.substitute(b)?,
            Expr::Unary { op, expr, pos } => Expr::Unary {
                op,
                expr: Box::new(self.substitute(expr)?),
                pos: *pos,
            },
            Expr::Binary { op, lhs, rhs, pos } => Expr::Binary {
                op,
                lhs: Box::new(self.substitute(lhs)?),
                rhs: Box::new(self.substitute(rhs)?),
                pos: *pos,
            },
            Expr::Call { name, args, pos } => Expr::Call {
                name: name.clone(),
                args: args
                    .iter()
                    .map(|a| self.substitute(a))
                    .collect::<Result<_, _>>()?,
                pos: *pos,
            },
            Expr::Chain { pos, .. } => {
                return Err(TickError::at(
                    *pos,
                    "node chains are not allowed inside a lambda",
                ))
            }
            Expr::List(_, pos) | Expr::Star(pos) => {
                return Err(TickError::at(*pos, "lists are not allowed inside a lambda"))
            }
            other => other.clone(),
        })
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// Constant folding for top-level expressions (`var x = 5m * 2`).
fn const_binary(op: &str, l: Value, r: Value) -> Result<Value, String> {
    use Value::*;
    Ok(match (op, l, r) {
        ("+", Int(a), Int(b)) => Int(a.wrapping_add(b)),
        ("-", Int(a), Int(b)) => Int(a.wrapping_sub(b)),
        ("*", Int(a), Int(b)) => Int(a.wrapping_mul(b)),
        ("/", Int(a), Int(b)) if b != 0 => Int(a / b),
        ("+", Float(a), Float(b)) => Float(a + b),
        ("-", Float(a), Float(b)) => Float(a - b),
        ("*", Float(a), Float(b)) => Float(a * b),
        ("/", Float(a), Float(b)) => Float(a / b),
        ("+", Duration(a), Duration(b)) => Duration(a.wrapping_add(b)),
        ("-", Duration(a), Duration(b)) => Duration(a.wrapping_sub(b)),
        ("*", Duration(a), Int(b)) | ("*", Int(b), Duration(a)) => Duration(a.wrapping_mul(b)),
        ("/", Duration(a), Int(b)) if b != 0 => Duration(a / b),
        ("+", Str(a), Str(b)) => Str(a + &b),
        ("AND", Bool(a), Bool(b)) => Bool(a && b),
        ("OR", Bool(a), Bool(b)) => Bool(a || b),
        (op, l, r) => {
            return Err(format!(
                "invalid binary operator {op} for {} and {} outside a lambda",
                l.type_name(),
                r.type_name()
            ))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tick::parse;

    fn eval(src: &str) -> Result<Pipeline, TickError> {
        evaluate(&parse(src)?, &HashMap::new())
    }

    #[test]
    fn builds_graph_and_names() {
        let p = eval("var s = stream|from().measurement('cpu')\ns|window().period(1m).every(1m)|mean('v')\ns|alert().crit(lambda: \"v\" > 1)").unwrap();
        let names: Vec<String> = p.nodes.iter().map(|n| n.name()).collect();
        assert_eq!(names, ["stream0", "from1", "window2", "mean3", "alert4"]);
        assert_eq!(p.children(1), vec![2, 4]);
    }

    #[test]
    fn rejects_unknown_nodes_and_properties() {
        let e = eval("stream|from().measurement('cpu')\n  .foo(1)").unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 2 char 4: no method or property \"foo\" on FromNode"
        );
        let e = eval("stream|from()|bogus()").unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 1 char 15: no method or property \"bogus\" on FromNode"
        );
        let e = eval("stream|from()|k8sAutoscale()").unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 1 char 15: not supported yet: k8sAutoscale node"
        );
        let e = eval("stream|from()|alert().hipChat()").unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 1 char 23: not supported yet: alert handler hipChat"
        );
        let e = eval("stream|window()").unwrap_err();
        assert!(e.to_string().contains("on StreamNode"));
    }

    #[test]
    fn substitutes_vars_in_lambdas_and_templates() {
        let p = eval("var t = 10\nstream|from()|alert().crit(lambda: \"v\" > t)").unwrap();
        let Value::Lambda(e) = &p.nodes[2].props[0].args[0].value else {
            panic!()
        };
        assert_eq!(e.to_string(), "(\"v\" > 10)");
        let prog = parse("var t float\nstream|from()|alert().crit(lambda: \"v\" > t)").unwrap();
        let mut vars = HashMap::new();
        vars.insert("t".to_string(), Value::Float(2.5));
        let p = evaluate(&prog, &vars).unwrap();
        let Value::Lambda(e) = &p.nodes[2].props[0].args[0].value else {
            panic!()
        };
        assert_eq!(e.to_string(), "(\"v\" > 2.5)");
        vars.insert("t".to_string(), Value::Str("x".into()));
        assert!(evaluate(&prog, &vars)
            .unwrap_err()
            .to_string()
            .contains("invalid type supplied for t"));
    }

    #[test]
    fn deadman_expands() {
        let p = eval("stream|from().measurement('cpu')|deadman(0.0, 10s)").unwrap();
        let names: Vec<String> = p.nodes.iter().map(|n| n.name()).collect();
        assert_eq!(
            names,
            ["stream0", "from1", "stats2", "derivative3", "alert4"]
        );
    }
}
