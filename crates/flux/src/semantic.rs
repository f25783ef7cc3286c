//! Semantic checks run before evaluation: undefined identifiers, arity and
//! argument names of calls to known functions, and simple type mismatches
//! between operands of statically known types. Errors use Flux's wording.
//!
//! This is deliberately not full Hindley–Milner inference: `StaticType` covers
//! literals and names bound to them, which is where the later inference pass
//! will plug in (same walk, richer types).

use crate::ast::*;
use crate::error::{Error, Result};
use crate::interp::Interp;
use crate::value::{Function, Value};
use std::collections::HashMap;

/// Types known without inference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaticType {
    Int,
    UInt,
    Float,
    String,
    Bool,
    Duration,
    Time,
    Regexp,
}

impl StaticType {
    fn name(self) -> &'static str {
        match self {
            StaticType::Int => "int",
            StaticType::UInt => "uint",
            StaticType::Float => "float",
            StaticType::String => "string",
            StaticType::Bool => "bool",
            StaticType::Duration => "duration",
            StaticType::Time => "time",
            StaticType::Regexp => "regexp",
        }
    }
}

/// Parameters of a function known statically.
#[derive(Debug, Clone, Default)]
struct FnSig {
    params: Vec<(String, bool)>,
    pipe: Option<String>,
}

#[derive(Debug, Clone, Default)]
struct Info {
    ty: Option<StaticType>,
    sig: Option<FnSig>,
    package: Option<HashMap<String, Option<FnSig>>>,
}

struct Checker {
    /// The universe's names, shared by every check (looked up last).
    universe: &'static HashMap<String, Info>,
    scopes: Vec<HashMap<String, Info>>,
}

/// What the checker knows of the universe's members, computed once from
/// the universe every query starts with.
fn universe_infos() -> Result<&'static HashMap<String, Info>> {
    static INFOS: std::sync::OnceLock<HashMap<String, Info>> = std::sync::OnceLock::new();
    if let Some(infos) = INFOS.get() {
        return Ok(infos);
    }
    let infos = crate::interp::universe_template()?
        .iter()
        .map(|(name, v)| {
            let info = Info {
                ty: None,
                sig: sig_of_value(v),
                package: None,
            };
            (name.clone(), info)
        })
        .collect();
    Ok(INFOS.get_or_init(|| infos))
}

fn sig_of_value(v: &Value) -> Option<FnSig> {
    let Value::Function(f) = v else { return None };
    Some(match f.as_ref() {
        Function::Native { sig, .. } => FnSig {
            params: sig
                .required
                .iter()
                .map(|p| (p.to_string(), true))
                .chain(sig.optional.iter().map(|p| (p.to_string(), false)))
                .collect(),
            pipe: sig.pipe.map(|p| p.to_string()),
        },
        Function::Closure { expr, .. } => sig_of_literal(expr),
    })
}

fn sig_of_literal(f: &FunctionExpression) -> FnSig {
    let mut s = FnSig::default();
    for p in f.params.iter() {
        match &p.value {
            Some(Expression::PipeLiteral(_)) => s.pipe = Some(p.key.name().to_string()),
            Some(_) => s.params.push((p.key.name().to_string(), false)),
            None => s.params.push((p.key.name().to_string(), true)),
        }
    }
    s
}

/// Check a file against the interpreter's universe and packages.
pub fn check(file: &File, it: &Interp) -> Result<()> {
    let mut globals = HashMap::new();
    for (name, v) in &it.ctx.globals {
        globals.insert(
            name.clone(),
            Info {
                ty: None,
                sig: sig_of_value(v),
                package: None,
            },
        );
    }
    let mut c = Checker {
        universe: universe_infos()?,
        scopes: vec![globals, HashMap::new()],
    };
    for imp in &file.imports {
        let path = &imp.path.value;
        let Some(pkg) = it.registry().get(path) else {
            return Err(Error::Semantic {
                loc: imp.path.location,
                msg: format!("unknown import path {path:?}"),
            });
        };
        let members = pkg
            .members(path)
            .into_iter()
            .map(|(n, v)| (n, sig_of_value(&v)))
            .collect();
        let name = match &imp.alias {
            Some(a) => a.name.clone(),
            None => path.rsplit('/').next().unwrap_or(path).to_string(),
        };
        // packages with Flux source have members the registry does not list: no member checks then
        let package = if pkg.flux.is_some() {
            None
        } else {
            Some(members)
        };
        c.define(
            &name,
            Info {
                package,
                ..Default::default()
            },
        );
    }
    c.block(&file.body)
}

impl Checker {
    fn define(&mut self, name: &str, info: Info) {
        if let Some(s) = self.scopes.last_mut() {
            s.insert(name.to_string(), info);
        }
    }

    fn lookup(&self, name: &str) -> Option<&Info> {
        self.scopes
            .iter()
            .rev()
            .find_map(|s| s.get(name))
            .or_else(|| self.universe.get(name))
    }

    fn block(&mut self, body: &[Statement]) -> Result<()> {
        for st in body {
            self.stmt(st)?;
        }
        Ok(())
    }

    fn stmt(&mut self, st: &Statement) -> Result<()> {
        match st {
            Statement::ExpressionStatement(e) => {
                self.expr(&e.expression)?;
            }
            Statement::ReturnStatement(r) => {
                self.expr(&r.argument)?;
            }
            Statement::VariableAssignment(a) => {
                let info = self.binding(&a.init)?;
                self.define(&a.id.name, info);
            }
            Statement::OptionStatement(o) => match &o.assignment {
                Assignment::VariableAssignment(a) => {
                    let info = self.binding(&a.init)?;
                    self.define(&a.id.name, info);
                }
                Assignment::MemberAssignment(m) => {
                    self.expr(&m.member.object)?;
                    self.expr(&m.init)?;
                }
            },
            Statement::BuiltinStatement(b) => self.define(&b.id.name, Info::default()),
            Statement::TestCaseStatement(t) => {
                self.scopes.push(HashMap::new());
                let r = self.block(&t.block.body);
                self.scopes.pop();
                r?;
            }
        }
        Ok(())
    }

    fn binding(&mut self, init: &Expression) -> Result<Info> {
        let ty = self.expr(init)?;
        let sig = match init {
            Expression::FunctionExpression(f) => Some(sig_of_literal(f)),
            _ => None,
        };
        Ok(Info {
            ty,
            sig,
            package: None,
        })
    }

    fn expr(&mut self, e: &Expression) -> Result<Option<StaticType>> {
        Ok(match e {
            Expression::Identifier(id) => match self.lookup(&id.name) {
                Some(i) => i.ty,
                None => {
                    return Err(Error::Semantic {
                        loc: id.location,
                        msg: format!("undefined identifier {}", id.name),
                    })
                }
            },
            Expression::IntegerLiteral(_) => Some(StaticType::Int),
            Expression::UnsignedIntegerLiteral(_) => Some(StaticType::UInt),
            Expression::FloatLiteral(_) => Some(StaticType::Float),
            Expression::StringLiteral(_) => Some(StaticType::String),
            Expression::StringExpression(s) => {
                for p in &s.parts {
                    if let StringExpressionPart::InterpolatedPart { expression, .. } = p {
                        self.expr(expression)?;
                    }
                }
                Some(StaticType::String)
            }
            Expression::BooleanLiteral(_) => Some(StaticType::Bool),
            Expression::DurationLiteral(_) => Some(StaticType::Duration),
            Expression::DateTimeLiteral(_) => Some(StaticType::Time),
            Expression::RegexpLiteral(_) => Some(StaticType::Regexp),
            Expression::PipeLiteral(_) => None,
            Expression::ParenExpression(p) => self.expr(&p.expression)?,
            Expression::ArrayExpression(a) => {
                let mut first: Option<StaticType> = None;
                for (i, x) in a.elements.iter().enumerate() {
                    let t = self.expr(x)?;
                    if i == 0 {
                        first = t;
                    } else if let (Some(f), Some(t)) = (first, t) {
                        if f != t {
                            return Err(Error::Semantic {
                                loc: x.location(),
                                msg: format!("expected {} but found {} (array elements must have the same type)", f.name(), t.name()),
                            });
                        }
                    }
                }
                None
            }
            Expression::DictExpression(d) => {
                for it in &d.elements {
                    self.expr(&it.key)?;
                    self.expr(&it.val)?;
                }
                None
            }
            Expression::ObjectExpression(o) => {
                if let Some(w) = &o.with {
                    if self.lookup(&w.name).is_none() {
                        return Err(Error::Semantic {
                            loc: w.location,
                            msg: format!("undefined identifier {}", w.name),
                        });
                    }
                }
                for p in &o.properties {
                    match &p.value {
                        Some(v) => {
                            self.expr(v)?;
                        }
                        None => {
                            if self.lookup(p.key.name()).is_none() {
                                return Err(Error::Semantic {
                                    loc: p.key.location(),
                                    msg: format!("undefined identifier {}", p.key.name()),
                                });
                            }
                        }
                    }
                }
                None
            }
            Expression::MemberExpression(m) => {
                self.expr(&m.object)?;
                None
            }
            Expression::IndexExpression(ix) => {
                self.expr(&ix.array)?;
                if let Some(t) = self.expr(&ix.index)? {
                    if t != StaticType::Int {
                        return Err(Error::Semantic {
                            loc: ix.index.location(),
                            msg: format!("expected int but found {}", t.name()),
                        });
                    }
                }
                None
            }
            Expression::FunctionExpression(f) => {
                let mut scope = HashMap::new();
                for p in f.params.iter() {
                    if let Some(d) = &p.value {
                        if !matches!(d, Expression::PipeLiteral(_)) {
                            self.expr(d)?;
                        }
                    }
                    scope.insert(p.key.name().to_string(), Info::default());
                }
                self.scopes.push(scope);
                let r = match f.body.as_ref() {
                    FunctionBody::Expression(e) => self.expr(e).map(|_| ()),
                    FunctionBody::Block(b) => self.block(&b.body),
                };
                self.scopes.pop();
                r?;
                None
            }
            Expression::CallExpression(c) => {
                self.call(c, false)?;
                None
            }
            Expression::PipeExpression(p) => {
                self.expr(&p.argument)?;
                self.call(&p.call, true)?;
                None
            }
            Expression::ConditionalExpression(c) => {
                if let Some(t) = self.expr(&c.test)? {
                    if t != StaticType::Bool {
                        return Err(Error::Semantic {
                            loc: c.test.location(),
                            msg: format!("expected bool but found {}", t.name()),
                        });
                    }
                }
                let a = self.expr(&c.consequent)?;
                let b = self.expr(&c.alternate)?;
                if let (Some(a), Some(b)) = (a, b) {
                    if a != b {
                        return Err(Error::Semantic {
                            loc: c.alternate.location(),
                            msg: format!("expected {} but found {}", a.name(), b.name()),
                        });
                    }
                }
                a
            }
            Expression::LogicalExpression(l) => {
                for side in [&l.left, &l.right] {
                    if let Some(t) = self.expr(side)? {
                        if t != StaticType::Bool {
                            return Err(Error::Semantic {
                                loc: side.location(),
                                msg: format!("expected bool but found {}", t.name()),
                            });
                        }
                    }
                }
                Some(StaticType::Bool)
            }
            Expression::UnaryExpression(u) => {
                let t = self.expr(&u.argument)?;
                match u.operator {
                    Operator::Not | Operator::Exists => Some(StaticType::Bool),
                    _ => t,
                }
            }
            Expression::BinaryExpression(b) => {
                let l = self.expr(&b.left)?;
                let r = self.expr(&b.right)?;
                binary_type(b, l, r)?
            }
        })
    }

    fn call(&mut self, c: &CallExpression, piped: bool) -> Result<()> {
        self.expr(&c.callee)?;
        let args: Vec<&Property> = c
            .arguments
            .iter()
            .flat_map(|o| o.properties.iter())
            .collect();
        for p in &args {
            match &p.value {
                Some(v) => {
                    self.expr(v)?;
                }
                None => {
                    if self.lookup(p.key.name()).is_none() {
                        return Err(Error::Semantic {
                            loc: p.key.location(),
                            msg: format!("undefined identifier {}", p.key.name()),
                        });
                    }
                }
            }
        }
        let sig = match c.callee.as_ref() {
            Expression::Identifier(id) => self.lookup(&id.name).and_then(|i| i.sig.clone()),
            Expression::MemberExpression(m) => match m.object.as_ref() {
                Expression::Identifier(pkg) => {
                    match self.lookup(&pkg.name).and_then(|i| i.package.as_ref()) {
                        Some(members) => match members.get(m.property.name()) {
                            Some(s) => s.clone(),
                            None => {
                                return Err(Error::Semantic {
                                    loc: m.location,
                                    msg: format!("record is missing label {}", m.property.name()),
                                })
                            }
                        },
                        None => None,
                    }
                }
                _ => None,
            },
            _ => None,
        };
        let Some(sig) = sig else { return Ok(()) };
        for p in &args {
            let name = p.key.name();
            if !sig.params.iter().any(|(n, _)| n == name) && sig.pipe.as_deref() != Some(name) {
                return Err(Error::Semantic {
                    loc: p.location,
                    msg: format!("found unexpected argument {name}"),
                });
            }
        }
        for (name, required) in &sig.params {
            if *required && !args.iter().any(|p| p.key.name() == name) {
                return Err(Error::Semantic {
                    loc: c.location,
                    msg: format!("missing required argument {name}"),
                });
            }
        }
        if let Some(p) = &sig.pipe {
            if !piped && !args.iter().any(|a| a.key.name() == p) && p != "tables" {
                return Err(Error::Semantic {
                    loc: c.location,
                    msg: format!("missing required argument {p}"),
                });
            }
        }
        Ok(())
    }
}

fn binary_type(
    b: &BinaryExpression,
    l: Option<StaticType>,
    r: Option<StaticType>,
) -> Result<Option<StaticType>> {
    use Operator::*;
    use StaticType as T;
    let (Some(l), Some(r)) = (l, r) else {
        return Ok(match b.operator {
            Eq | Neq | Lt | Lte | Gt | Gte | RegexMatch | RegexNotMatch => Some(T::Bool),
            _ => None,
        });
    };
    let err = |want: StaticType, got: StaticType| Error::Semantic {
        loc: b.location,
        msg: format!("expected {} but found {}", want.name(), got.name()),
    };
    match b.operator {
        RegexMatch | RegexNotMatch => {
            if l != T::String {
                return Err(err(T::String, l));
            }
            if r != T::Regexp {
                return Err(err(T::Regexp, r));
            }
            Ok(Some(T::Bool))
        }
        Eq | Neq | Lt | Lte | Gt | Gte => {
            if l != r {
                return Err(err(l, r));
            }
            Ok(Some(T::Bool))
        }
        Add | Sub => match (l, r) {
            (T::Time, T::Duration) => Ok(Some(T::Time)),
            (T::Duration, T::Time) if b.operator == Add => Ok(Some(T::Time)),
            (T::Time, T::Time) if b.operator == Sub => Ok(Some(T::Duration)),
            (l, r) if l != r => Err(err(l, r)),
            (T::Bool, _) | (T::Regexp, _) | (T::Time, _) => Err(Error::Semantic {
                loc: b.location,
                msg: format!("{} is not Addable", l.name()),
            }),
            (T::String, _) if b.operator == Sub => Err(Error::Semantic {
                loc: b.location,
                msg: "string is not Subtractable".into(),
            }),
            (l, _) => Ok(Some(l)),
        },
        Mul | Div | Mod | Pow => {
            if l != r {
                return Err(err(l, r));
            }
            match l {
                T::Int | T::UInt | T::Float => {
                    Ok(Some(if b.operator == Pow { T::Float } else { l }))
                }
                l => Err(Error::Semantic {
                    loc: b.location,
                    msg: format!("{} is not Divisible", l.name()),
                }),
            }
        }
        Not | Exists => Ok(None),
    }
}
