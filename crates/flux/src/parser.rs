//! Recursive-descent Flux parser producing [`crate::ast`] nodes. Never panics:
//! every malformed input is a [`Error::Syntax`] naming line and column.

use crate::ast::*;
use crate::error::{Error, Result};
use crate::lexer::{lex, parse_time, StrPart, Tok, Token};
use std::sync::Arc;

/// Deepest expression nesting accepted (guards the stack).
const MAX_DEPTH: usize = 64;

/// Parse a Flux source file.
pub fn parse_file(src: &str) -> Result<File> {
    let toks = lex(src)?;
    let mut p = Parser {
        toks,
        i: 0,
        depth: 0,
    };
    p.file()
}

/// Parse a Flux source into a package named after its package clause (`main` by default).
pub fn parse_package(src: &str) -> Result<Package> {
    let file = parse_file(src)?;
    let package = file
        .package
        .as_ref()
        .map(|p| p.name.name.clone())
        .unwrap_or_else(|| "main".into());
    Ok(Package {
        package,
        files: vec![file],
    })
}

struct Parser {
    toks: Vec<Token>,
    i: usize,
    depth: usize,
}

fn describe(t: &Tok) -> String {
    t.name().to_string()
}

impl Parser {
    fn peek(&self) -> &Tok {
        self.toks.get(self.i).map(|t| &t.tok).unwrap_or(&Tok::Eof)
    }

    fn peek_at(&self, n: usize) -> &Tok {
        self.toks
            .get(self.i + n)
            .map(|t| &t.tok)
            .unwrap_or(&Tok::Eof)
    }

    fn loc(&self) -> Location {
        self.toks
            .get(self.i)
            .or_else(|| self.toks.last())
            .map(|t| t.loc)
            .unwrap_or_default()
    }

    fn prev_loc(&self) -> Location {
        if self.i == 0 {
            return self.loc();
        }
        self.toks.get(self.i - 1).map(|t| t.loc).unwrap_or_default()
    }

    fn next(&mut self) -> Token {
        let t = self.toks.get(self.i).cloned().unwrap_or(Token {
            tok: Tok::Eof,
            loc: self.loc(),
        });
        if self.i < self.toks.len() {
            self.i += 1;
        }
        t
    }

    fn err<T>(&self, msg: impl Into<String>) -> Result<T> {
        Err(Error::Syntax {
            loc: self.loc(),
            msg: msg.into(),
        })
    }

    fn expect(&mut self, want: Tok, ctx: &str) -> Result<Location> {
        if *self.peek() == want {
            Ok(self.next().loc)
        } else {
            self.err(format!(
                "expected {}{}, got {}",
                want.name(),
                ctx,
                describe(self.peek())
            ))
        }
    }

    fn eat(&mut self, t: Tok) -> bool {
        if *self.peek() == t {
            self.next();
            true
        } else {
            false
        }
    }

    fn ident(&mut self) -> Result<Identifier> {
        match self.peek().clone() {
            Tok::Ident(name) => {
                let loc = self.next().loc;
                Ok(Identifier {
                    location: loc,
                    name,
                })
            }
            other => self.err(format!("expected IDENT, got {}", describe(&other))),
        }
    }

    fn file(&mut self) -> Result<File> {
        let start = self.loc();
        let package = if *self.peek() == Tok::Package {
            let l = self.next().loc;
            let name = self.ident()?;
            Some(PackageClause {
                location: l.to(name.location),
                name,
            })
        } else {
            None
        };
        let mut imports = Vec::new();
        while *self.peek() == Tok::Import {
            let l = self.next().loc;
            let alias = if matches!(self.peek(), Tok::Ident(_)) {
                Some(self.ident()?)
            } else {
                None
            };
            let path = self.string_literal()?;
            imports.push(ImportDeclaration {
                location: l.to(path.location),
                alias,
                path,
            });
        }
        let mut body = Vec::new();
        while *self.peek() != Tok::Eof {
            if matches!(self.peek(), Tok::Import | Tok::Package) {
                return self.err(format!(
                    "invalid statement: {} must come first",
                    self.peek().name().to_lowercase()
                ));
            }
            body.push(self.statement()?);
        }
        let end = self.prev_loc();
        Ok(File {
            location: start.to(end),
            package,
            imports,
            body,
        })
    }

    fn string_literal(&mut self) -> Result<StringLiteral> {
        match self.peek().clone() {
            Tok::Str(parts) => {
                let loc = self.next().loc;
                let mut value = String::new();
                for p in parts {
                    match p {
                        StrPart::Text(t, _) => value.push_str(&t),
                        StrPart::Interp(_, l) => {
                            return Err(Error::Syntax {
                                loc: l,
                                msg: "string interpolation is not allowed here".into(),
                            })
                        }
                    }
                }
                Ok(StringLiteral {
                    location: loc,
                    value,
                })
            }
            other => self.err(format!("expected STRING, got {}", describe(&other))),
        }
    }

    fn statement(&mut self) -> Result<Statement> {
        let start = self.loc();
        match self.peek().clone() {
            Tok::Option => {
                self.next();
                let id = self.ident()?;
                let assignment = if self.eat(Tok::Dot) {
                    let prop = self.ident()?;
                    self.expect(Tok::Assign, "")?;
                    let init = self.expr()?;
                    let member = MemberExpression {
                        location: id.location.to(prop.location),
                        object: Box::new(Expression::Identifier(id)),
                        property: PropertyKey::Identifier(prop),
                    };
                    Assignment::MemberAssignment(MemberAssignment {
                        location: member.location.to(init.location()),
                        member,
                        init,
                    })
                } else {
                    self.expect(Tok::Assign, "")?;
                    let init = self.expr()?;
                    Assignment::VariableAssignment(VariableAssignment {
                        location: id.location.to(init.location()),
                        id,
                        init,
                    })
                };
                Ok(Statement::OptionStatement(OptionStatement {
                    location: start.to(self.prev_loc()),
                    assignment,
                }))
            }
            Tok::Builtin => {
                self.next();
                let id = self.ident()?;
                self.expect(Tok::Colon, "")?;
                let ty = self.type_expression()?;
                Ok(Statement::BuiltinStatement(BuiltinStatement {
                    location: start.to(self.prev_loc()),
                    id,
                    ty,
                }))
            }
            Tok::Testcase => {
                self.next();
                let id = self.ident()?;
                let extends = if matches!(self.peek(), Tok::Ident(n) if n == "extends") {
                    self.next();
                    Some(self.string_literal()?)
                } else {
                    None
                };
                let block = self.block()?;
                Ok(Statement::TestCaseStatement(TestCaseStatement {
                    location: start.to(block.location),
                    id,
                    extends,
                    block,
                }))
            }
            Tok::Return => {
                self.next();
                let argument = self.expr()?;
                Ok(Statement::ReturnStatement(ReturnStatement {
                    location: start.to(argument.location()),
                    argument,
                }))
            }
            Tok::Ident(_) if *self.peek_at(1) == Tok::Assign => {
                let id = self.ident()?;
                self.next();
                let init = self.expr()?;
                Ok(Statement::VariableAssignment(VariableAssignment {
                    location: start.to(init.location()),
                    id,
                    init,
                }))
            }
            Tok::RParen | Tok::RBrack | Tok::RBrace | Tok::Comma | Tok::Assign | Tok::Arrow => self
                .err(format!(
                    "invalid statement: unexpected {}",
                    self.peek().name()
                )),
            _ => {
                let expression = self.expr()?;
                Ok(Statement::ExpressionStatement(ExpressionStatement {
                    location: expression.location(),
                    expression,
                }))
            }
        }
    }

    fn block(&mut self) -> Result<Block> {
        let start = self.expect(Tok::LBrace, "")?;
        let mut body = Vec::new();
        while !matches!(self.peek(), Tok::RBrace | Tok::Eof) {
            body.push(self.statement()?);
        }
        let end = self.expect(Tok::RBrace, " to close block")?;
        Ok(Block {
            location: start.to(end),
            body,
        })
    }

    // ----- type expressions -----

    fn type_expression(&mut self) -> Result<TypeExpression> {
        let start = self.loc();
        let monotype = self.monotype()?;
        let mut constraints = Vec::new();
        if matches!(self.peek(), Tok::Ident(n) if n == "where") {
            self.next();
            loop {
                let tvar = self.ident()?;
                self.expect(Tok::Colon, "")?;
                let mut kinds = vec![self.ident()?];
                while self.eat(Tok::Plus) {
                    kinds.push(self.ident()?);
                }
                constraints.push(TypeConstraint {
                    location: tvar.location.to(self.prev_loc()),
                    tvar,
                    kinds,
                });
                if !self.eat(Tok::Comma) {
                    break;
                }
            }
        }
        Ok(TypeExpression {
            location: start.to(self.prev_loc()),
            monotype,
            constraints,
        })
    }

    fn monotype(&mut self) -> Result<MonoType> {
        self.enter()?;
        let r = self.monotype_inner();
        self.depth -= 1;
        r
    }

    fn monotype_inner(&mut self) -> Result<MonoType> {
        let start = self.loc();
        match self.peek().clone() {
            Tok::Ident(name) => {
                let id = self.ident()?;
                if (name == "stream" || name == "vector") && *self.peek() == Tok::LBrack {
                    self.next();
                    let element = Box::new(self.monotype()?);
                    let end = self.expect(Tok::RBrack, "")?;
                    let location = start.to(end);
                    return Ok(if name == "stream" {
                        MonoType::StreamType { location, element }
                    } else {
                        MonoType::VectorType { location, element }
                    });
                }
                let is_tvar = name.chars().next().is_some_and(|c| c.is_ascii_uppercase())
                    && name.chars().skip(1).all(|c| c.is_ascii_digit());
                Ok(if is_tvar {
                    MonoType::TvarType {
                        location: id.location,
                        name: id,
                    }
                } else {
                    MonoType::NamedType {
                        location: id.location,
                        name: id,
                    }
                })
            }
            Tok::LBrack => {
                self.next();
                let first = self.monotype()?;
                if self.eat(Tok::Colon) {
                    let val = self.monotype()?;
                    let end = self.expect(Tok::RBrack, "")?;
                    Ok(MonoType::DictType {
                        location: start.to(end),
                        key: Box::new(first),
                        val: Box::new(val),
                    })
                } else {
                    let end = self.expect(Tok::RBrack, "")?;
                    Ok(MonoType::ArrayType {
                        location: start.to(end),
                        element: Box::new(first),
                    })
                }
            }
            Tok::LBrace => {
                self.next();
                let mut tvar = None;
                if matches!(self.peek(), Tok::Ident(_))
                    && matches!(self.peek_at(1), Tok::Ident(w) if w == "with")
                {
                    tvar = Some(self.ident()?);
                    self.next();
                }
                let mut properties = Vec::new();
                while *self.peek() != Tok::RBrace {
                    let name = match self.peek().clone() {
                        Tok::Str(_) => {
                            let s = self.string_literal()?;
                            Identifier {
                                location: s.location,
                                name: s.value,
                            }
                        }
                        _ => self.ident()?,
                    };
                    self.expect(Tok::Colon, "")?;
                    let monotype = self.monotype()?;
                    properties.push(PropertyType {
                        location: name.location.to(self.prev_loc()),
                        name,
                        monotype,
                    });
                    if !self.eat(Tok::Comma) {
                        break;
                    }
                }
                let end = self.expect(Tok::RBrace, "")?;
                Ok(MonoType::RecordType {
                    location: start.to(end),
                    tvar,
                    properties,
                })
            }
            Tok::LParen => {
                self.next();
                let mut parameters = Vec::new();
                while *self.peek() != Tok::RParen {
                    let pstart = self.loc();
                    if self.eat(Tok::PipeReceive) {
                        let name = if matches!(self.peek(), Tok::Ident(_)) {
                            Some(self.ident()?)
                        } else {
                            None
                        };
                        self.expect(Tok::Colon, "")?;
                        let monotype = self.monotype()?;
                        parameters.push(ParameterType::Pipe {
                            location: pstart.to(self.prev_loc()),
                            name,
                            monotype,
                        });
                    } else {
                        let optional = self.eat(Tok::Question);
                        let name = self.ident()?;
                        self.expect(Tok::Colon, "")?;
                        let monotype = self.monotype()?;
                        let location = pstart.to(self.prev_loc());
                        parameters.push(if optional {
                            ParameterType::Optional {
                                location,
                                name,
                                monotype,
                            }
                        } else {
                            ParameterType::Required {
                                location,
                                name,
                                monotype,
                            }
                        });
                    }
                    if !self.eat(Tok::Comma) {
                        break;
                    }
                }
                self.expect(Tok::RParen, "")?;
                self.expect(Tok::Arrow, "")?;
                let ret = self.monotype()?;
                Ok(MonoType::FunctionType {
                    location: start.to(self.prev_loc()),
                    parameters,
                    monotype: Box::new(ret),
                })
            }
            other => self.err(format!("expected type, got {}", describe(&other))),
        }
    }

    // ----- expressions -----

    fn enter(&mut self) -> Result<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            self.depth -= 1;
            return self.err("program is too deeply nested");
        }
        Ok(())
    }

    fn expr(&mut self) -> Result<Expression> {
        self.enter()?;
        let r = self.conditional();
        self.depth -= 1;
        r
    }

    fn conditional(&mut self) -> Result<Expression> {
        if *self.peek() == Tok::If {
            let start = self.next().loc;
            let test = self.expr()?;
            self.expect(Tok::Then, "")?;
            let consequent = self.expr()?;
            self.expect(Tok::Else, "")?;
            let alternate = self.expr()?;
            return Ok(Expression::ConditionalExpression(ConditionalExpression {
                location: start.to(alternate.location()),
                test: Box::new(test),
                consequent: Box::new(consequent),
                alternate: Box::new(alternate),
            }));
        }
        self.logical_or()
    }

    fn logical_or(&mut self) -> Result<Expression> {
        let mut left = self.logical_and()?;
        while *self.peek() == Tok::Or {
            self.next();
            let right = self.logical_and()?;
            left = Expression::LogicalExpression(LogicalExpression {
                location: left.location().to(right.location()),
                operator: LogicalOperator::Or,
                left: Box::new(left),
                right: Box::new(right),
            });
        }
        Ok(left)
    }

    fn logical_and(&mut self) -> Result<Expression> {
        let mut left = self.unary_logical()?;
        while *self.peek() == Tok::And {
            self.next();
            let right = self.unary_logical()?;
            left = Expression::LogicalExpression(LogicalExpression {
                location: left.location().to(right.location()),
                operator: LogicalOperator::And,
                left: Box::new(left),
                right: Box::new(right),
            });
        }
        Ok(left)
    }

    fn unary_logical(&mut self) -> Result<Expression> {
        let op = match self.peek() {
            Tok::Not => Operator::Not,
            Tok::Exists => Operator::Exists,
            _ => return self.comparison(),
        };
        let start = self.next().loc;
        self.enter()?;
        let arg = self.unary_logical();
        self.depth -= 1;
        let arg = arg?;
        Ok(Expression::UnaryExpression(UnaryExpression {
            location: start.to(arg.location()),
            operator: op,
            argument: Box::new(arg),
        }))
    }

    fn binary(op: Operator, left: Expression, right: Expression) -> Expression {
        Expression::BinaryExpression(BinaryExpression {
            location: left.location().to(right.location()),
            operator: op,
            left: Box::new(left),
            right: Box::new(right),
        })
    }

    fn comparison(&mut self) -> Result<Expression> {
        let mut left = self.additive()?;
        loop {
            let op = match self.peek() {
                Tok::Eq => Operator::Eq,
                Tok::Neq => Operator::Neq,
                Tok::Lt => Operator::Lt,
                Tok::Lte => Operator::Lte,
                Tok::Gt => Operator::Gt,
                Tok::Gte => Operator::Gte,
                Tok::RegexEq => Operator::RegexMatch,
                Tok::RegexNeq => Operator::RegexNotMatch,
                _ => return Ok(left),
            };
            self.next();
            let right = self.additive()?;
            left = Self::binary(op, left, right);
        }
    }

    fn additive(&mut self) -> Result<Expression> {
        let mut left = self.multiplicative()?;
        loop {
            let op = match self.peek() {
                Tok::Plus => Operator::Add,
                Tok::Minus => Operator::Sub,
                _ => return Ok(left),
            };
            self.next();
            let right = self.multiplicative()?;
            left = Self::binary(op, left, right);
        }
    }

    fn multiplicative(&mut self) -> Result<Expression> {
        let mut left = self.pipe()?;
        loop {
            let op = match self.peek() {
                Tok::Mul => Operator::Mul,
                Tok::Div => Operator::Div,
                Tok::Mod => Operator::Mod,
                Tok::Pow => Operator::Pow,
                _ => return Ok(left),
            };
            self.next();
            let right = self.pipe()?;
            left = Self::binary(op, left, right);
        }
    }

    fn pipe(&mut self) -> Result<Expression> {
        let mut left = self.unary()?;
        while *self.peek() == Tok::PipeForward {
            self.next();
            let callloc = self.loc();
            let rhs = self.unary()?;
            let Expression::CallExpression(call) = rhs else {
                return Err(Error::Syntax {
                    loc: callloc,
                    msg: "pipe destination must be a function call".into(),
                });
            };
            left = Expression::PipeExpression(PipeExpression {
                location: left.location().to(call.location),
                argument: Box::new(left),
                call,
            });
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expression> {
        let op = match self.peek() {
            Tok::Minus => Operator::Sub,
            Tok::Plus => Operator::Add,
            _ => return self.postfix(),
        };
        let start = self.next().loc;
        self.enter()?;
        let arg = self.unary();
        self.depth -= 1;
        let arg = arg?;
        Ok(Expression::UnaryExpression(UnaryExpression {
            location: start.to(arg.location()),
            operator: op,
            argument: Box::new(arg),
        }))
    }

    fn postfix(&mut self) -> Result<Expression> {
        let mut e = self.primary()?;
        loop {
            match self.peek() {
                Tok::Dot => {
                    self.next();
                    let prop = self.ident()?;
                    e = Expression::MemberExpression(MemberExpression {
                        location: e.location().to(prop.location),
                        object: Box::new(e),
                        property: PropertyKey::Identifier(prop),
                    });
                }
                Tok::LBrack => {
                    self.next();
                    let idx = self.expr()?;
                    let end = self.expect(Tok::RBrack, " to close index")?;
                    let location = e.location().to(end);
                    e = match idx {
                        Expression::StringLiteral(s) => {
                            Expression::MemberExpression(MemberExpression {
                                location,
                                object: Box::new(e),
                                property: PropertyKey::StringLiteral(s),
                            })
                        }
                        idx => Expression::IndexExpression(IndexExpression {
                            location,
                            array: Box::new(e),
                            index: Box::new(idx),
                        }),
                    };
                }
                Tok::LParen => {
                    self.next();
                    let start = self.prev_loc();
                    let props = self.properties(Tok::RParen)?;
                    let end = self.expect(Tok::RParen, " to close argument list")?;
                    let arguments = if props.is_empty() {
                        vec![]
                    } else {
                        vec![ObjectExpression {
                            location: start.to(end),
                            with: None,
                            properties: props,
                        }]
                    };
                    e = Expression::CallExpression(CallExpression {
                        location: e.location().to(end),
                        callee: Box::new(e),
                        arguments,
                    });
                }
                _ => return Ok(e),
            }
        }
    }

    /// `key[: value], ...` until `close` (not consumed).
    fn properties(&mut self, close: Tok) -> Result<Vec<Property>> {
        let mut props = Vec::new();
        while *self.peek() != close {
            let key = match self.peek().clone() {
                Tok::Str(_) => PropertyKey::StringLiteral(self.string_literal()?),
                Tok::Ident(_) => PropertyKey::Identifier(self.ident()?),
                other => {
                    return self.err(format!(
                        "expected IDENT or STRING as property key, got {}",
                        describe(&other)
                    ))
                }
            };
            let value = if self.eat(Tok::Colon) {
                Some(self.expr()?)
            } else {
                None
            };
            let end = value
                .as_ref()
                .map(|v| v.location())
                .unwrap_or(key.location());
            props.push(Property {
                location: key.location().to(end),
                key,
                value,
            });
            if !self.eat(Tok::Comma) {
                if *self.peek() != close {
                    return self.err(format!(
                        "expected comma in property list, got {}",
                        describe(self.peek())
                    ));
                }
                break;
            }
        }
        Ok(props)
    }

    fn primary(&mut self) -> Result<Expression> {
        let t = self.peek().clone();
        let loc = self.loc();
        match t {
            Tok::Ident(name) => {
                self.next();
                Ok(Expression::Identifier(Identifier {
                    location: loc,
                    name,
                }))
            }
            Tok::Int(s) => {
                self.next();
                match s.parse::<i64>() {
                    Ok(value) => Ok(Expression::IntegerLiteral(IntegerLiteral {
                        location: loc,
                        value,
                    })),
                    Err(_) => Err(Error::Syntax {
                        loc,
                        msg: format!("invalid integer literal \"{s}\": value out of range"),
                    }),
                }
            }
            Tok::Float(s) => {
                self.next();
                match s.parse::<f64>() {
                    Ok(value) => Ok(Expression::FloatLiteral(FloatLiteral {
                        location: loc,
                        value,
                    })),
                    Err(_) => Err(Error::Syntax {
                        loc,
                        msg: format!("invalid float literal \"{s}\""),
                    }),
                }
            }
            Tok::Str(parts) => {
                self.next();
                self.string_expr(parts, loc)
            }
            Tok::Regex(s) => {
                self.next();
                match regex::Regex::new(&s) {
                    Ok(r) => Ok(Expression::RegexpLiteral(RegexpLiteral {
                        location: loc,
                        value: Arc::new(r),
                    })),
                    Err(e) => Err(Error::Syntax {
                        loc,
                        msg: format!("invalid regular expression: {e}"),
                    }),
                }
            }
            Tok::Duration(parts) => {
                self.next();
                let values = parts
                    .into_iter()
                    .map(|(magnitude, unit)| Duration { magnitude, unit })
                    .collect();
                Ok(Expression::DurationLiteral(DurationLiteral {
                    location: loc,
                    values,
                }))
            }
            Tok::Time(s) => {
                self.next();
                let Some(nanos) = parse_time(&s) else {
                    return Err(Error::Syntax {
                        loc,
                        msg: format!("invalid date time literal {s:?}"),
                    });
                };
                Ok(Expression::DateTimeLiteral(DateTimeLiteral {
                    location: loc,
                    text: s,
                    nanos,
                }))
            }
            Tok::PipeReceive => {
                self.next();
                Ok(Expression::PipeLiteral(PipeLiteral { location: loc }))
            }
            Tok::LBrack => self.array_or_dict(),
            Tok::LBrace => self.record(),
            Tok::LParen => {
                if self.is_function() {
                    self.function()
                } else {
                    self.next();
                    let inner = self.expr()?;
                    let end = self.expect(Tok::RParen, " to close parenthesized expression")?;
                    Ok(Expression::ParenExpression(ParenExpression {
                        location: loc.to(end),
                        expression: Box::new(inner),
                    }))
                }
            }
            other => self.err(format!(
                "invalid expression: unexpected token {}",
                describe(&other)
            )),
        }
    }

    fn string_expr(&mut self, parts: Vec<StrPart>, loc: Location) -> Result<Expression> {
        if parts.iter().all(|p| matches!(p, StrPart::Text(..))) {
            let value = parts
                .into_iter()
                .map(|p| match p {
                    StrPart::Text(t, _) => t,
                    StrPart::Interp(..) => String::new(),
                })
                .collect();
            return Ok(Expression::StringLiteral(StringLiteral {
                location: loc,
                value,
            }));
        }
        let mut out = Vec::new();
        for p in parts {
            match p {
                StrPart::Text(value, location) => {
                    out.push(StringExpressionPart::TextPart { location, value })
                }
                StrPart::Interp(toks, location) => {
                    let mut sub = Parser {
                        toks,
                        i: 0,
                        depth: self.depth,
                    };
                    let e = sub.expr()?;
                    if *sub.peek() != Tok::Eof {
                        return sub.err(format!(
                            "expected RBRACE to close interpolation, got {}",
                            describe(sub.peek())
                        ));
                    }
                    out.push(StringExpressionPart::InterpolatedPart {
                        location,
                        expression: Box::new(e),
                    });
                }
            }
        }
        Ok(Expression::StringExpression(StringExpression {
            location: loc,
            parts: out,
        }))
    }

    /// After `(`: is this a function literal (matching `)` followed by `=>`)?
    fn is_function(&self) -> bool {
        let mut depth = 0usize;
        let mut j = self.i;
        while let Some(t) = self.toks.get(j) {
            match t.tok {
                Tok::LParen | Tok::LBrack | Tok::LBrace => depth += 1,
                Tok::RParen | Tok::RBrack | Tok::RBrace => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return matches!(self.toks.get(j + 1).map(|t| &t.tok), Some(Tok::Arrow));
                    }
                }
                Tok::Eof => return false,
                _ => {}
            }
            j += 1;
        }
        false
    }

    fn function(&mut self) -> Result<Expression> {
        let start = self.expect(Tok::LParen, "")?;
        let mut params = Vec::new();
        while *self.peek() != Tok::RParen {
            let key = self.ident()?;
            let value = if self.eat(Tok::Assign) {
                Some(self.expr()?)
            } else {
                None
            };
            let end = value.as_ref().map(|v| v.location()).unwrap_or(key.location);
            params.push(Property {
                location: key.location.to(end),
                key: PropertyKey::Identifier(key),
                value,
            });
            if !self.eat(Tok::Comma) {
                break;
            }
        }
        self.expect(Tok::RParen, " to close parameter list")?;
        self.expect(Tok::Arrow, "")?;
        let body = if *self.peek() == Tok::LBrace {
            FunctionBody::Block(self.block()?)
        } else {
            FunctionBody::Expression(Box::new(self.expr()?))
        };
        Ok(Expression::FunctionExpression(FunctionExpression {
            location: start.to(self.prev_loc()),
            params: Arc::new(params),
            body: Arc::new(body),
        }))
    }

    fn array_or_dict(&mut self) -> Result<Expression> {
        let start = self.expect(Tok::LBrack, "")?;
        if *self.peek() == Tok::Colon && *self.peek_at(1) == Tok::RBrack {
            self.next();
            let end = self.next().loc;
            return Ok(Expression::DictExpression(DictExpression {
                location: start.to(end),
                elements: vec![],
            }));
        }
        if *self.peek() == Tok::RBrack {
            let end = self.next().loc;
            return Ok(Expression::ArrayExpression(ArrayExpression {
                location: start.to(end),
                elements: vec![],
            }));
        }
        let first = self.expr()?;
        if self.eat(Tok::Colon) {
            let val = self.expr()?;
            let mut elements = vec![DictItem { key: first, val }];
            while self.eat(Tok::Comma) {
                if *self.peek() == Tok::RBrack {
                    break;
                }
                let key = self.expr()?;
                self.expect(Tok::Colon, " in dictionary")?;
                let val = self.expr()?;
                elements.push(DictItem { key, val });
            }
            let end = self.expect(Tok::RBrack, " to close dictionary")?;
            return Ok(Expression::DictExpression(DictExpression {
                location: start.to(end),
                elements,
            }));
        }
        let mut elements = vec![first];
        while self.eat(Tok::Comma) {
            if *self.peek() == Tok::RBrack {
                break;
            }
            elements.push(self.expr()?);
        }
        let end = self.expect(Tok::RBrack, " to close array")?;
        Ok(Expression::ArrayExpression(ArrayExpression {
            location: start.to(end),
            elements,
        }))
    }

    fn record(&mut self) -> Result<Expression> {
        let start = self.expect(Tok::LBrace, "")?;
        let mut with = None;
        if matches!(self.peek(), Tok::Ident(_))
            && matches!(self.peek_at(1), Tok::Ident(w) if w == "with")
        {
            with = Some(self.ident()?);
            self.next();
        }
        let properties = self.properties(Tok::RBrace)?;
        let end = self.expect(Tok::RBrace, " to close record")?;
        Ok(Expression::ObjectExpression(ObjectExpression {
            location: start.to(end),
            with,
            properties,
        }))
    }
}
