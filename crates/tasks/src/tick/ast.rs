//! The TICKscript syntax tree.

use super::Pos;

/// A whole script.
#[derive(Debug, Clone, PartialEq)]
pub struct Program {
    /// Statements in order.
    pub statements: Vec<Statement>,
}

/// Declared types of template variables (`var x float`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VarType {
    /// `int`
    Int,
    /// `float`
    Float,
    /// `string`
    String,
    /// `bool`
    Bool,
    /// `duration`
    Duration,
    /// `lambda`
    Lambda,
    /// `regex`
    Regex,
    /// `list`
    List,
    /// `star`
    Star,
}

impl VarType {
    /// Parses a type name as written in `var x <type>`.
    pub fn from_name(s: &str) -> Option<VarType> {
        Some(match s {
            "int" => VarType::Int,
            "float" => VarType::Float,
            "string" => VarType::String,
            "bool" => VarType::Bool,
            "duration" => VarType::Duration,
            "lambda" => VarType::Lambda,
            "regex" => VarType::Regex,
            "list" => VarType::List,
            "star" => VarType::Star,
            _ => return None,
        })
    }

    /// The type's name as Kapacitor's API spells it.
    pub fn name(self) -> &'static str {
        match self {
            VarType::Int => "int",
            VarType::Float => "float",
            VarType::String => "string",
            VarType::Bool => "bool",
            VarType::Duration => "duration",
            VarType::Lambda => "lambda",
            VarType::Regex => "regex",
            VarType::List => "list",
            VarType::Star => "star",
        }
    }
}

/// One statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Statement {
    /// `var name = expr`
    Var {
        /// Variable name.
        name: String,
        /// Its value.
        value: Expr,
        /// Position of `var`.
        pos: Pos,
    },
    /// `var name type` (a template variable without a default).
    Declare {
        /// Variable name.
        name: String,
        /// Declared type.
        ty: VarType,
        /// Position of `var`.
        pos: Pos,
    },
    /// `dbrp "db"."rp"`
    Dbrp {
        /// Database.
        db: String,
        /// Retention policy.
        rp: String,
        /// Position of `dbrp`.
        pos: Pos,
    },
    /// A pipeline expression.
    Expr(Expr),
}

/// How a chain link attaches to its left side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChainOp {
    /// `|node()` creates a child node.
    Pipe,
    /// `.property()` sets a property.
    Dot,
    /// `@udf()` creates a UDF node.
    At,
}

/// Expressions (pipelines and lambda bodies).
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// An identifier: a variable, or `stream`/`batch`.
    Ident(String, Pos),
    /// A double-quoted field or tag reference.
    Reference(String, Pos),
    /// A string literal.
    Str(String, Pos),
    /// An integer literal.
    Int(i64, Pos),
    /// A float literal.
    Float(f64, Pos),
    /// A boolean literal.
    Bool(bool, Pos),
    /// A duration literal in nanoseconds.
    Duration(i64, Pos),
    /// A regex literal.
    Regex(String, Pos),
    /// `*`.
    Star(Pos),
    /// `[a, b]`.
    List(Vec<Expr>, Pos),
    /// `lambda: expr`.
    Lambda(Box<Expr>, Pos),
    /// A unary operator (`-`, `!`).
    Unary {
        /// Operator.
        op: &'static str,
        /// Operand.
        expr: Box<Expr>,
        /// Position of the operator.
        pos: Pos,
    },
    /// A binary operator.
    Binary {
        /// Operator.
        op: &'static str,
        /// Left operand.
        lhs: Box<Expr>,
        /// Right operand.
        rhs: Box<Expr>,
        /// Position of the operator.
        pos: Pos,
    },
    /// A function call inside a lambda: `name(args)`.
    Call {
        /// Function name.
        name: String,
        /// Arguments.
        args: Vec<Expr>,
        /// Position of the name.
        pos: Pos,
    },
    /// A chain link: `lhs|name(args)`, `lhs.name(args)`, `lhs@name(args)`.
    Chain {
        /// Left side.
        lhs: Box<Expr>,
        /// The link kind.
        op: ChainOp,
        /// Node or property name.
        name: String,
        /// Arguments.
        args: Vec<Expr>,
        /// Position of the name.
        pos: Pos,
    },
}

impl Expr {
    /// Where the expression starts (or its operator for binary expressions).
    pub fn pos(&self) -> Pos {
        match self {
            Expr::Ident(_, p)
            | Expr::Reference(_, p)
            | Expr::Str(_, p)
            | Expr::Int(_, p)
            | Expr::Float(_, p)
            | Expr::Bool(_, p)
            | Expr::Duration(_, p)
            | Expr::Regex(_, p)
            | Expr::Star(p)
            | Expr::List(_, p)
            | Expr::Lambda(_, p) => *p,
            Expr::Unary { pos, .. } | Expr::Binary { pos, .. } | Expr::Call { pos, .. } => *pos,
            Expr::Chain { pos, .. } => *pos,
        }
    }
}

impl std::fmt::Display for Expr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Expr::Ident(s, _) => write!(f, "{s}"),
            Expr::Reference(s, _) => write!(f, "\"{}\"", s.replace('"', "\\\"")),
            Expr::Str(s, _) => write!(f, "'{}'", s.replace('\'', "\\'")),
            Expr::Int(i, _) => write!(f, "{i}"),
            Expr::Float(x, _) => write!(f, "{x:?}"),
            Expr::Bool(b, _) => write!(f, "{}", if *b { "TRUE" } else { "FALSE" }),
            Expr::Duration(d, _) => write!(f, "{}", crate::model::format_duration(*d)),
            Expr::Regex(r, _) => write!(f, "/{}/", r.replace('/', "\\/")),
            Expr::Star(_) => write!(f, "*"),
            Expr::List(items, _) => {
                write!(f, "[")?;
                for (i, e) in items.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{e}")?;
                }
                write!(f, "]")
            }
            Expr::Lambda(e, _) => write!(f, "lambda: {e}"),
            Expr::Unary { op, expr, .. } => write!(f, "{op}{expr}"),
            Expr::Binary { op, lhs, rhs, .. } => write!(f, "({lhs} {op} {rhs})"),
            Expr::Call { name, args, .. } | Expr::Chain { name, args, .. } => {
                if let Expr::Chain { lhs, op, .. } = self {
                    let sep = match op {
                        ChainOp::Pipe => "|",
                        ChainOp::Dot => ".",
                        ChainOp::At => "@",
                    };
                    write!(f, "{lhs}{sep}")?;
                }
                write!(f, "{name}(")?;
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{a}")?;
                }
                write!(f, ")")
            }
        }
    }
}
