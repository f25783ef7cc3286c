//! Tree-walking evaluator: scopes, closures, calls with defaults and pipe
//! arguments, options, operators with Flux semantics, implicit yields.

use crate::ast::*;
use crate::error::{Error, Result};
use crate::source::FluxSource;
use crate::stdlib::Registry;
use crate::table::Table;
use crate::value::{Args, Duration as Dur, Function, PendingRead, Record, Stream, Value};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// A lexical scope.
#[derive(Debug, Default)]
pub struct Scope {
    vars: RwLock<HashMap<String, Value>>,
    parent: Option<Env>,
}

/// Shared handle on a scope.
pub type Env = Arc<Scope>;

impl Scope {
    /// A new child scope.
    pub fn child(parent: &Env) -> Env {
        Arc::new(Scope {
            vars: RwLock::new(HashMap::new()),
            parent: Some(parent.clone()),
        })
    }

    /// A new root scope.
    pub fn root() -> Env {
        Arc::new(Scope::default())
    }

    /// Look a name up through the chain.
    pub fn lookup(&self, name: &str) -> Option<Value> {
        if let Some(v) = self.vars.read().ok().and_then(|m| m.get(name).cloned()) {
            return Some(v);
        }
        self.parent.as_ref().and_then(|p| p.lookup(name))
    }

    /// Define (or shadow) a name in this scope.
    pub fn define(&self, name: &str, v: Value) {
        if let Ok(mut m) = self.vars.write() {
            m.insert(name.to_string(), v);
        }
    }

    /// Assign to the nearest scope that defines `name`; false if none does.
    pub fn assign_existing(&self, name: &str, v: Value) -> bool {
        if let Ok(mut m) = self.vars.write() {
            if let Some(slot) = m.get_mut(name) {
                *slot = v;
                return true;
            }
        }
        match &self.parent {
            Some(p) => p.assign_existing(name, v),
            None => false,
        }
    }

    /// Names defined directly in this scope, with values.
    pub fn entries(&self) -> Vec<(String, Value)> {
        let mut v: Vec<_> = self
            .vars
            .read()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    }
}

/// Settings of one execution.
#[derive(Debug, Clone)]
pub struct ExecContext {
    /// Value of `now()` in nanoseconds since the epoch (unless the script sets `option now`).
    pub now: i64,
    /// Names defined before the script runs (the API's `params` record).
    pub globals: Vec<(String, Value)>,
}

impl Default for ExecContext {
    fn default() -> Self {
        let now = chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0);
        ExecContext {
            now,
            globals: Vec::new(),
        }
    }
}

/// A loaded package: its scope (for options) and exported members.
#[derive(Clone)]
pub struct LoadedPackage {
    /// Package scope (members and options live here).
    pub env: Env,
}

impl LoadedPackage {
    /// The package as a record of its public members.
    pub fn record(&self) -> Value {
        Value::record(
            self.env
                .entries()
                .into_iter()
                .filter(|(k, _)| !k.starts_with('_') || k == "_from")
                .collect(),
        )
    }
}

enum Flow {
    Normal,
    Return(Value),
}

/// The interpreter state for one execution.
pub struct Interp<'a> {
    /// Data source for `from()`.
    pub source: &'a dyn FluxSource,
    /// Execution settings.
    pub ctx: ExecContext,
    /// Yielded results in order.
    pub results: Vec<(String, Vec<Table>)>,
    /// The universe scope.
    pub universe: Env,
    registry: Arc<Registry>,
    packages: HashMap<String, LoadedPackage>,
    depth: usize,
}

const MAX_CALL_DEPTH: usize = 200;

/// Native table functions that accept a pending read as input (they push
/// themselves into it); every other native gets its streams read first.
const LAZY_NATIVES: [&str; 8] = [
    "range",
    "filter",
    "group",
    "aggregateWindow",
    "first",
    "last",
    "pivot",
    "limit",
];

fn has_pending(v: &Value) -> bool {
    match v {
        Value::Stream(s) => matches!(s.as_ref(), Stream::Read(_)),
        Value::Array(a) => a.iter().any(has_pending),
        Value::Record(r) => r.fields.iter().any(|(_, v)| has_pending(v)),
        _ => false,
    }
}

/// The universe's members once its prelude has run, built once per process:
/// running the prelude took a fifth of a small query's CPU. Every query's
/// universe starts as a copy of it; prelude closures keep the template's
/// scope, whose values equal the copy's, and options a script sets (`now`)
/// are looked up in the query's own universe (see [`Interp::now`]).
pub(crate) fn universe_template() -> Result<&'static HashMap<String, Value>> {
    static TEMPLATE: std::sync::OnceLock<std::result::Result<HashMap<String, Value>, Error>> =
        std::sync::OnceLock::new();
    TEMPLATE
        .get_or_init(|| {
            let source = crate::source::EmptySource;
            let universe = Scope::root();
            let mut it = Interp {
                source: &source,
                ctx: ExecContext::default(),
                results: Vec::new(),
                universe: universe.clone(),
                registry: Registry::shared(),
                packages: HashMap::new(),
                depth: 0,
            };
            it.populate("universe", &universe)?;
            let vars = universe.vars.read().map(|m| m.clone()).unwrap_or_default();
            Ok(vars)
        })
        .as_ref()
        .map_err(Clone::clone)
}

impl<'a> Interp<'a> {
    /// A fresh interpreter with the universe loaded.
    pub fn new(source: &'a dyn FluxSource, ctx: ExecContext) -> Result<Self> {
        let vars = universe_template()?.clone();
        let universe = Arc::new(Scope {
            vars: RwLock::new(vars),
            parent: None,
        });
        Ok(Interp {
            source,
            ctx,
            results: Vec::new(),
            universe,
            registry: Registry::shared(),
            packages: HashMap::new(),
            depth: 0,
        })
    }

    /// `now()` as the script sees it (honours `option now`).
    pub fn now(&mut self) -> Result<i64> {
        match self.universe.lookup("now") {
            // The builtin itself (not a script's `option now`) reads the clock.
            Some(Value::Function(f)) if matches!(f.as_ref(), Function::Native { name, .. } if name == "now") => {
                Ok(self.ctx.now)
            }
            Some(f @ Value::Function(_)) => match self.call(&f, vec![])? {
                Value::Time(t) => Ok(t),
                v => Err(Error::rt(format!(
                    "now: expected time but found {}",
                    v.type_name()
                ))),
            },
            _ => Ok(self.ctx.now),
        }
    }

    /// Run pending reads inside a value (streams, arrays and records of them).
    pub fn materialize(&mut self, v: Value) -> Result<Value> {
        if !has_pending(&v) {
            return Ok(v);
        }
        Ok(match v {
            Value::Stream(s) => match s.as_ref() {
                Stream::Read(r) => Value::stream(self.execute_read(r)?),
                _ => Value::Stream(s),
            },
            Value::Array(a) => Value::Array(Arc::new(
                a.iter()
                    .map(|x| self.materialize(x.clone()))
                    .collect::<Result<Vec<_>>>()?,
            )),
            Value::Record(r) => Value::record(
                r.fields
                    .iter()
                    .map(|(k, x)| Ok((k.clone(), self.materialize(x.clone())?)))
                    .collect::<Result<Vec<_>>>()?,
            ),
            v => v,
        })
    }

    /// Read a pending read from the source and apply its remaining filters and
    /// pushed operations.
    pub fn execute_read(&mut self, r: &PendingRead) -> Result<Vec<Table>> {
        crate::read_plan::execute(self, r)
    }

    /// Names known in the universe (for semantic checks).
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    fn populate(&mut self, path: &str, env: &Env) -> Result<()> {
        let reg = self.registry.clone();
        let Some(pkg) = reg.get(path) else {
            return Err(Error::rt(format!("unknown import path {path:?}")));
        };
        for (name, v) in pkg.members(path) {
            env.define(&name, v);
        }
        if path != "universe" {
            // lets a package's Flux source reach universe members it shadows
            env.define("_universe", Value::record(self.universe.entries()));
        }
        if let Some(parsed) = reg.parsed_flux(path) {
            let file = parsed.map_err(|e| Error::rt(format!("package {path}: {e}")))?;
            for imp in &file.imports {
                self.import(imp, env)?;
            }
            for st in &file.body {
                self.stmt(st, env, false)?;
            }
        }
        Ok(())
    }

    /// Load (once) and return a package.
    pub fn package(&mut self, path: &str) -> Result<LoadedPackage> {
        if let Some(p) = self.packages.get(path) {
            return Ok(p.clone());
        }
        let env = Scope::child(&self.universe);
        self.populate(path, &env)?;
        let p = LoadedPackage { env };
        self.packages.insert(path.to_string(), p.clone());
        Ok(p)
    }

    fn import(&mut self, imp: &ImportDeclaration, env: &Env) -> Result<()> {
        let path = &imp.path.value;
        let pkg = self.package(path).map_err(|e| match e {
            Error::Runtime(m) => Error::Semantic {
                loc: imp.path.location,
                msg: m,
            },
            e => e,
        })?;
        let name = match &imp.alias {
            Some(a) => a.name.clone(),
            None => path.rsplit('/').next().unwrap_or(path).to_string(),
        };
        env.define(&name, pkg.record());
        env.define(&format!("\u{0}pkg:{name}"), Value::str(path));
        Ok(())
    }

    /// Run a whole file in a fresh scope.
    pub fn run_file(&mut self, file: &File) -> Result<()> {
        let env = Scope::child(&self.universe);
        for (name, v) in self.ctx.globals.clone() {
            env.define(&name, v);
        }
        for imp in &file.imports {
            self.import(imp, &env)?;
        }
        for st in &file.body {
            let before = self.results.len();
            self.stmt(st, &env, true)?;
            let _ = before;
        }
        Ok(())
    }

    fn stmt(&mut self, st: &Statement, env: &Env, top: bool) -> Result<Flow> {
        match st {
            Statement::VariableAssignment(a) => {
                let v = self.eval(&a.init, env)?;
                env.define(&a.id.name, v);
            }
            Statement::OptionStatement(o) => match &o.assignment {
                Assignment::VariableAssignment(a) => {
                    let v = self.eval(&a.init, env)?;
                    if !env.assign_existing(&a.id.name, v.clone()) {
                        env.define(&a.id.name, v);
                    }
                }
                Assignment::MemberAssignment(m) => {
                    let v = self.eval(&m.init, env)?;
                    let Expression::Identifier(pkg) = m.member.object.as_ref() else {
                        return Err(Error::unsupported("option on a nested member"));
                    };
                    let path = match env.lookup(&format!("\u{0}pkg:{}", pkg.name)) {
                        Some(Value::String(p)) => p.to_string(),
                        _ => return Err(Error::rt(format!("undefined identifier {}", pkg.name))),
                    };
                    let loaded = self.package(&path)?;
                    let prop = m.member.property.name();
                    loaded.env.define(prop, v);
                    env.assign_existing(&pkg.name, loaded.record());
                }
            },
            Statement::ExpressionStatement(e) => {
                let before = self.results.len();
                let v = self.eval(&e.expression, env)?;
                if top && self.results.len() == before {
                    if let Value::Stream(s) = self.materialize(v)? {
                        let tables = s.into_tables()?;
                        self.add_result("_result".to_string(), tables)?;
                    }
                }
            }
            Statement::ReturnStatement(r) => {
                let v = self.eval(&r.argument, env)?;
                return Ok(Flow::Return(v));
            }
            Statement::BuiltinStatement(b) => {
                if env.lookup(&b.id.name).is_none() {
                    return Err(Error::unsupported(format!(
                        "builtin {} has no implementation",
                        b.id.name
                    )));
                }
            }
            Statement::TestCaseStatement(t) => {
                let scope = Scope::child(env);
                for s in &t.block.body {
                    let before = self.results.len();
                    let v = match s {
                        Statement::ExpressionStatement(e) => {
                            Some(self.eval(&e.expression, &scope)?)
                        }
                        s => {
                            self.stmt(s, &scope, false)?;
                            None
                        }
                    };
                    let v = match v {
                        Some(v) => Some(self.materialize(v)?),
                        None => None,
                    };
                    if let Some(Value::Stream(st)) = v {
                        if self.results.len() == before {
                            self.add_result("_result".into(), st.into_tables()?)?;
                        }
                    }
                }
            }
        }
        Ok(Flow::Normal)
    }

    /// Record a yielded result (duplicate names are an error, as in Flux).
    pub fn add_result(&mut self, name: String, tables: Vec<Table>) -> Result<()> {
        if self.results.iter().any(|(n, _)| *n == name) {
            return Err(Error::rt(format!(
                "duplicate yield name {name:?} found in query"
            )));
        }
        self.results.push((name, tables));
        Ok(())
    }

    /// Evaluate an expression.
    pub fn eval(&mut self, e: &Expression, env: &Env) -> Result<Value> {
        Ok(match e {
            Expression::Identifier(id) => match env.lookup(&id.name) {
                Some(v) => v,
                None => {
                    return Err(Error::Semantic {
                        loc: id.location,
                        msg: format!("undefined identifier {}", id.name),
                    })
                }
            },
            Expression::IntegerLiteral(l) => Value::Int(l.value),
            Expression::UnsignedIntegerLiteral(l) => Value::UInt(l.value),
            Expression::FloatLiteral(l) => Value::Float(l.value),
            Expression::StringLiteral(l) => Value::str(&l.value),
            Expression::BooleanLiteral(l) => Value::Bool(l.value),
            Expression::DateTimeLiteral(l) => Value::Time(l.nanos),
            Expression::RegexpLiteral(l) => Value::Regex(l.value.clone()),
            Expression::DurationLiteral(l) => {
                let parts: Vec<(i64, &str)> = l
                    .values
                    .iter()
                    .map(|d| (d.magnitude, d.unit.as_str()))
                    .collect();
                Value::Duration(Dur::from_parts(&parts)?)
            }
            Expression::PipeLiteral(_) => {
                return Err(Error::rt("pipe literal outside of a parameter list"))
            }
            Expression::ParenExpression(p) => self.eval(&p.expression, env)?,
            Expression::StringExpression(s) => {
                let mut out = String::new();
                for p in &s.parts {
                    match p {
                        StringExpressionPart::TextPart { value, .. } => out.push_str(value),
                        StringExpressionPart::InterpolatedPart { expression, .. } => {
                            match self.eval(expression, env)? {
                                Value::String(s) => out.push_str(&s),
                                v @ (Value::Int(_)
                                | Value::UInt(_)
                                | Value::Float(_)
                                | Value::Bool(_)
                                | Value::Time(_)
                                | Value::Duration(_)) => {
                                    if let Value::String(s) =
                                        crate::stdlib::universe::conv_string(&v)?
                                    {
                                        out.push_str(&s);
                                    }
                                }
                                Value::Null => {}
                                v => {
                                    return Err(Error::rt(format!(
                                        "expected string but found {} in string interpolation",
                                        v.type_name()
                                    )))
                                }
                            }
                        }
                    }
                }
                Value::str(out)
            }
            Expression::ArrayExpression(a) => {
                let vals = a
                    .elements
                    .iter()
                    .map(|x| self.eval(x, env))
                    .collect::<Result<Vec<_>>>()?;
                Value::Array(Arc::new(vals))
            }
            Expression::DictExpression(d) => {
                let mut items: Vec<(Value, Value)> = Vec::new();
                for it in &d.elements {
                    let k = self.eval(&it.key, env)?;
                    let v = self.eval(&it.val, env)?;
                    match items.iter_mut().find(|(ek, _)| *ek == k) {
                        Some(slot) => slot.1 = v,
                        None => items.push((k, v)),
                    }
                }
                items.sort_by(|a, b| a.0.sort_cmp(&b.0));
                Value::Dict(Arc::new(items))
            }
            Expression::ObjectExpression(o) => self.record(o, env)?,
            Expression::MemberExpression(m) => {
                let obj = self.eval(&m.object, env)?;
                member(&obj, m.property.name())?
            }
            Expression::IndexExpression(ix) => {
                let arr = self.eval(&ix.array, env)?;
                let idx = self.eval(&ix.index, env)?;
                match (&arr, &idx) {
                    (Value::Array(a), Value::Int(i)) => {
                        if *i < 0 || *i as usize >= a.len() {
                            return Err(Error::rt(format!(
                                "cannot access element {i} of array of length {}",
                                a.len()
                            )));
                        }
                        a[*i as usize].clone()
                    }
                    (Value::Array(_), v) => {
                        return Err(Error::rt(format!(
                            "expected int but found {} as array index",
                            v.type_name()
                        )))
                    }
                    (Value::Record(_), Value::String(s)) => member(&arr, s)?,
                    (v, _) => {
                        return Err(Error::rt(format!(
                            "cannot index into a value of type {}",
                            v.type_name()
                        )))
                    }
                }
            }
            Expression::FunctionExpression(f) => Value::Function(Arc::new(Function::Closure {
                expr: f.clone(),
                env: env.clone(),
            })),
            Expression::CallExpression(c) => self.call_expr(c, None, env)?,
            Expression::PipeExpression(p) => {
                let arg = self.eval(&p.argument, env)?;
                self.call_expr(&p.call, Some(arg), env)?
            }
            Expression::ConditionalExpression(c) => match self.eval(&c.test, env)? {
                Value::Bool(true) => self.eval(&c.consequent, env)?,
                Value::Bool(false) | Value::Null => self.eval(&c.alternate, env)?,
                v => {
                    return Err(Error::rt(format!(
                        "expected bool but found {} in conditional",
                        v.type_name()
                    )))
                }
            },
            Expression::LogicalExpression(l) => {
                // three-valued logic: null is "unknown"
                let left = truthy(self.eval(&l.left, env)?)?;
                match (l.operator, left) {
                    (LogicalOperator::And, Some(false)) => Value::Bool(false),
                    (LogicalOperator::Or, Some(true)) => Value::Bool(true),
                    (op, left) => {
                        let right = truthy(self.eval(&l.right, env)?)?;
                        match (op, left, right) {
                            (LogicalOperator::And, _, Some(false)) => Value::Bool(false),
                            (LogicalOperator::Or, _, Some(true)) => Value::Bool(true),
                            (_, Some(_), Some(r)) => Value::Bool(r),
                            _ => Value::Null,
                        }
                    }
                }
            }
            Expression::UnaryExpression(u) => {
                if u.operator == Operator::Exists {
                    let v = self.eval(&u.argument, env)?;
                    return Ok(Value::Bool(!v.is_null()));
                }
                let v = self.eval(&u.argument, env)?;
                unary(u.operator, v)?
            }
            Expression::BinaryExpression(b) => {
                let l = self.eval(&b.left, env)?;
                let r = self.eval(&b.right, env)?;
                binary(b.operator, l, r)?
            }
        })
    }

    fn record(&mut self, o: &ObjectExpression, env: &Env) -> Result<Value> {
        let mut rec = match &o.with {
            Some(w) => match env.lookup(&w.name) {
                Some(Value::Record(r)) => (*r).clone(),
                Some(v) => {
                    return Err(Error::rt(format!(
                        "expected record but found {}",
                        v.type_name()
                    )))
                }
                None => {
                    return Err(Error::Semantic {
                        loc: w.location,
                        msg: format!("undefined identifier {}", w.name),
                    })
                }
            },
            None => Record::default(),
        };
        for p in &o.properties {
            let v = match &p.value {
                Some(e) => self.eval(e, env)?,
                None => match env.lookup(p.key.name()) {
                    Some(v) => v,
                    None => {
                        return Err(Error::Semantic {
                            loc: p.key.location(),
                            msg: format!("undefined identifier {}", p.key.name()),
                        })
                    }
                },
            };
            rec.set(p.key.name(), v);
        }
        Ok(Value::Record(Arc::new(rec)))
    }

    fn call_expr(&mut self, c: &CallExpression, pipe: Option<Value>, env: &Env) -> Result<Value> {
        let callee = self.eval(&c.callee, env)?;
        let mut args = Vec::new();
        if let Some(o) = c.arguments.first() {
            for p in &o.properties {
                let v = match &p.value {
                    Some(e) => self.eval(e, env)?,
                    None => env.lookup(p.key.name()).ok_or_else(|| Error::Semantic {
                        loc: p.key.location(),
                        msg: format!("undefined identifier {}", p.key.name()),
                    })?,
                };
                args.push((p.key.name().to_string(), v));
            }
        }
        let Value::Function(f) = callee else {
            if let (Value::Null, Expression::MemberExpression(m)) = (&callee, c.callee.as_ref()) {
                if let Expression::Identifier(pkg) = m.object.as_ref() {
                    if env.lookup(&format!("\u{0}pkg:{}", pkg.name)).is_some() {
                        return Err(Error::unsupported(format!(
                            "{}.{}",
                            pkg.name,
                            m.property.name()
                        )));
                    }
                }
            }
            return Err(Error::rt(format!(
                "cannot call a value of type {}",
                callee.type_name()
            )));
        };
        self.call_at(&f, args, pipe, c.location)
    }

    /// Call a function value with named arguments and an optional piped value.
    pub fn call(&mut self, f: &Value, args: Vec<(String, Value)>) -> Result<Value> {
        match f {
            Value::Function(func) => self.call_at(func, args, None, Location::default()),
            v => Err(Error::rt(format!(
                "cannot call a value of type {}",
                v.type_name()
            ))),
        }
    }

    /// Call a function with a piped value.
    pub fn call_piped(
        &mut self,
        f: &Value,
        args: Vec<(String, Value)>,
        pipe: Value,
    ) -> Result<Value> {
        match f {
            Value::Function(func) => self.call_at(func, args, Some(pipe), Location::default()),
            v => Err(Error::rt(format!(
                "cannot call a value of type {}",
                v.type_name()
            ))),
        }
    }

    fn call_at(
        &mut self,
        f: &Function,
        args: Vec<(String, Value)>,
        pipe: Option<Value>,
        loc: Location,
    ) -> Result<Value> {
        self.depth += 1;
        if self.depth > MAX_CALL_DEPTH {
            self.depth -= 1;
            return Err(Error::rt("maximum call depth exceeded"));
        }
        let r = self.call_inner(f, args, pipe, loc);
        self.depth -= 1;
        r
    }

    fn call_inner(
        &mut self,
        f: &Function,
        args: Vec<(String, Value)>,
        pipe: Option<Value>,
        loc: Location,
    ) -> Result<Value> {
        match f {
            Function::Native { name, sig, f } => {
                for (k, _) in &args {
                    if !sig.required.contains(&k.as_str())
                        && !sig.optional.contains(&k.as_str())
                        && sig.pipe != Some(k.as_str())
                    {
                        return Err(Error::rt(format!("{name}: found unexpected argument {k}")));
                    }
                }
                let mut values = args;
                if let Some(p) = pipe {
                    let pname = sig.pipe.unwrap_or("tables");
                    if !values.iter().any(|(k, _)| k == pname) {
                        values.push((pname.to_string(), p));
                    }
                }
                for r in &sig.required {
                    if !values.iter().any(|(k, _)| k == r) {
                        return Err(Error::rt(format!("{name}: missing required argument {r}")));
                    }
                }
                if !LAZY_NATIVES.contains(&name.as_str())
                    && values.iter().any(|(_, v)| has_pending(v))
                {
                    values = values
                        .into_iter()
                        .map(|(k, v)| Ok((k, self.materialize(v)?)))
                        .collect::<Result<Vec<_>>>()?;
                }
                let mut a = Args {
                    func: name.clone(),
                    values,
                    loc,
                };
                f(self, &mut a)
            }
            Function::Closure { expr, env } => {
                let scope = Scope::child(env);
                for (k, _) in &args {
                    if !expr.params.iter().any(|p| p.key.name() == k) {
                        return Err(Error::rt(format!("found unexpected argument {k}")));
                    }
                }
                let mut args = args;
                let mut pipe = pipe;
                for p in expr.params.iter() {
                    let name = p.key.name();
                    if let Some(i) = args.iter().position(|(k, _)| k == name) {
                        let v = args.swap_remove(i).1;
                        scope.define(name, v);
                        continue;
                    }
                    match &p.value {
                        Some(Expression::PipeLiteral(_)) => match pipe.take() {
                            Some(v) => scope.define(name, v),
                            None => {
                                return Err(Error::rt(format!("missing required argument {name}")))
                            }
                        },
                        Some(def) => {
                            let v = self.eval(def, &scope)?;
                            scope.define(name, v);
                        }
                        None => return Err(Error::rt(format!("missing required argument {name}"))),
                    }
                }
                match expr.body.as_ref() {
                    FunctionBody::Expression(e) => self.eval(e, &scope),
                    FunctionBody::Block(b) => {
                        for st in &b.body {
                            if let Flow::Return(v) = self.stmt(st, &scope, false)? {
                                return Ok(v);
                            }
                        }
                        Err(Error::rt("function block has no return statement"))
                    }
                }
            }
        }
    }
}

fn truthy(v: Value) -> Result<Option<bool>> {
    match v {
        Value::Bool(b) => Ok(Some(b)),
        Value::Null => Ok(None),
        v => Err(Error::rt(format!(
            "expected bool but found {}",
            v.type_name()
        ))),
    }
}

/// `obj.name`.
pub fn member(obj: &Value, name: &str) -> Result<Value> {
    match obj {
        Value::Record(r) => Ok(r.get(name).cloned().unwrap_or(Value::Null)),
        Value::Null => Ok(Value::Null),
        v => Err(Error::rt(format!(
            "cannot access property {name:?} of a value of type {}",
            v.type_name()
        ))),
    }
}

/// Evaluate a unary operator.
pub fn unary(op: Operator, v: Value) -> Result<Value> {
    Ok(match (op, v) {
        (_, Value::Null) => Value::Null,
        (Operator::Sub, Value::Int(i)) => Value::Int(i.wrapping_neg()),
        (Operator::Sub, Value::Float(f)) => Value::Float(-f),
        (Operator::Sub, Value::Duration(d)) => Value::Duration(d.negated()),
        (
            Operator::Add,
            v @ (Value::Int(_) | Value::Float(_) | Value::UInt(_) | Value::Duration(_)),
        ) => v,
        (Operator::Not, Value::Bool(b)) => Value::Bool(!b),
        (op, v) => {
            return Err(Error::rt(format!(
                "unsupported operand type for unary {}: {}",
                op.as_str(),
                v.type_name()
            )))
        }
    })
}

fn type_err(op: Operator, l: &Value, r: &Value) -> Error {
    if std::mem::discriminant(l) != std::mem::discriminant(r) {
        Error::rt(format!(
            "expected {} but found {}",
            l.type_name(),
            r.type_name()
        ))
    } else {
        Error::rt(format!(
            "unsupported binary operation {} for type {}",
            op.as_str(),
            l.type_name()
        ))
    }
}

/// Evaluate a binary operator with Flux semantics.
pub fn binary(op: Operator, l: Value, r: Value) -> Result<Value> {
    use Operator::*;
    use Value as V;
    match op {
        Eq | Neq => {
            if l.is_null() || r.is_null() {
                return Ok(V::Null);
            }
            let eq = match l.compare(&r) {
                Some(o) => o == std::cmp::Ordering::Equal,
                None => {
                    if matches!(
                        (&l, &r),
                        (V::Array(_), V::Array(_))
                            | (V::Record(_), V::Record(_))
                            | (V::Dict(_), V::Dict(_))
                    ) {
                        l == r
                    } else {
                        return Err(type_err(op, &l, &r));
                    }
                }
            };
            return Ok(V::Bool(if op == Eq { eq } else { !eq }));
        }
        Lt | Lte | Gt | Gte => {
            if l.is_null() || r.is_null() {
                return Ok(V::Null);
            }
            let Some(o) = l.compare(&r) else {
                if let (V::Float(a), V::Float(b)) = (&l, &r) {
                    let _ = (a, b);
                    return Ok(V::Bool(false));
                }
                return Err(type_err(op, &l, &r));
            };
            use std::cmp::Ordering::*;
            return Ok(V::Bool(match op {
                Lt => o == Less,
                Lte => o != Greater,
                Gt => o == Greater,
                _ => o != Less,
            }));
        }
        RegexMatch | RegexNotMatch => {
            return match (&l, &r) {
                (V::Null, _) | (_, V::Null) => Ok(V::Null),
                (V::String(s), V::Regex(re)) => {
                    let m = re.is_match(s);
                    Ok(V::Bool(if op == RegexMatch { m } else { !m }))
                }
                _ => Err(Error::rt(format!(
                    "expected string =~ regexp but found {} {} {}",
                    l.type_name(),
                    op.as_str(),
                    r.type_name()
                ))),
            }
        }
        _ => {}
    }
    if l.is_null() || r.is_null() {
        return Ok(V::Null);
    }
    Ok(match (op, &l, &r) {
        (Add, V::Int(a), V::Int(b)) => V::Int(a.wrapping_add(*b)),
        (Sub, V::Int(a), V::Int(b)) => V::Int(a.wrapping_sub(*b)),
        (Mul, V::Int(a), V::Int(b)) => V::Int(a.wrapping_mul(*b)),
        (Div, V::Int(_), V::Int(0)) | (Mod, V::Int(_), V::Int(0)) => {
            return Err(Error::rt("cannot divide by zero"))
        }
        (Div, V::Int(a), V::Int(b)) => V::Int(a.wrapping_div(*b)),
        (Mod, V::Int(a), V::Int(b)) => V::Int(a.wrapping_rem(*b)),
        (Pow, V::Int(a), V::Int(b)) => V::Float((*a as f64).powf(*b as f64)),
        (Add, V::UInt(a), V::UInt(b)) => V::UInt(a.wrapping_add(*b)),
        (Sub, V::UInt(a), V::UInt(b)) => V::UInt(a.wrapping_sub(*b)),
        (Mul, V::UInt(a), V::UInt(b)) => V::UInt(a.wrapping_mul(*b)),
        (Div, V::UInt(_), V::UInt(0)) | (Mod, V::UInt(_), V::UInt(0)) => {
            return Err(Error::rt("cannot divide by zero"))
        }
        (Div, V::UInt(a), V::UInt(b)) => V::UInt(a / b),
        (Mod, V::UInt(a), V::UInt(b)) => V::UInt(a % b),
        (Pow, V::UInt(a), V::UInt(b)) => V::Float((*a as f64).powf(*b as f64)),
        (Add, V::Float(a), V::Float(b)) => V::Float(a + b),
        (Sub, V::Float(a), V::Float(b)) => V::Float(a - b),
        (Mul, V::Float(a), V::Float(b)) => V::Float(a * b),
        (Div, V::Float(a), V::Float(b)) => V::Float(a / b),
        (Mod, V::Float(a), V::Float(b)) => V::Float(a % b),
        (Pow, V::Float(a), V::Float(b)) => V::Float(a.powf(*b)),
        (Add, V::String(a), V::String(b)) => V::str(format!("{a}{b}")),
        (Add, V::Time(t), V::Duration(d)) | (Add, V::Duration(d), V::Time(t)) => {
            V::Time(d.add_to(*t)?)
        }
        (Sub, V::Time(t), V::Duration(d)) => V::Time(d.negated().add_to(*t)?),
        (Sub, V::Time(a), V::Time(b)) => V::Duration(Dur::from_nanos(a.wrapping_sub(*b))),
        (Add, V::Duration(a), V::Duration(b)) => V::Duration(Dur {
            months: a.months + b.months,
            nanos: a.nanos.wrapping_add(b.nanos),
        }),
        (Sub, V::Duration(a), V::Duration(b)) => V::Duration(Dur {
            months: a.months - b.months,
            nanos: a.nanos.wrapping_sub(b.nanos),
        }),
        _ => return Err(type_err(op, &l, &r)),
    })
}
